//! Hidden tests of Lab 2: the grader runs these; they are not in the student release.

#[path = "../tests/in_flight/mod.rs"]
mod in_flight;
#[path = "../tests/results/mod.rs"]
mod results;

use in_flight::InFlight;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lab2_async::{
    ConfigError, Device, Fetch, config_time, configure_all, configure_bounded, fetch_concurrently,
    fetch_sequentially,
};
use labkit::log::record;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;

/// `count` fetches from `10.1.0.<i>`, the i-th taking `secs(i)` seconds.
fn fetches(count: usize, secs: impl Fn(usize) -> u64) -> Vec<Fetch> {
    (0..count)
        .map(|i| Fetch::new(&format!("10.1.0.{i}"), secs(i)))
        .collect()
}

/// The results `fetches(count, ..)` should give, in input order.
fn data(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("Data from 10.1.0.{i}"))
        .collect()
}

/// Claims: 2, 3.
#[tokio::test(start_paused = true)]
async fn no_fetches_take_no_time() {
    let start = Instant::now();
    assert!(fetch_sequentially(Vec::new()).await.is_empty());
    assert!(fetch_concurrently(Vec::new()).await.is_empty());
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "no fetches should take no time"
    );
}

/// Claims: 1, 2.
#[tokio::test(start_paused = true)]
async fn sequential_fetches_print_one_after_another() {
    let recording = record();
    fetch_sequentially(lab2_async::sequential_fetches()).await;
    let expected: Vec<(Duration, String)> = [
        (0, "Starting fetch from 192.168.1.1 (delay: 3s)..."),
        (3, "Finished fetch from 192.168.1.1."),
        (3, "Starting fetch from 192.168.1.2 (delay: 2s)..."),
        (5, "Finished fetch from 192.168.1.2."),
    ]
    .iter()
    .map(|(secs, line)| (Duration::from_secs(*secs), (*line).to_owned()))
    .collect();
    assert_eq!(
        recording.lines(),
        expected,
        "the sequential run should print each fetch's start, then its finish when its delay is \
         over, and only then start the next, as the seed shows"
    );
}

/// Claims: 2.
#[tokio::test(start_paused = true)]
async fn many_sequential_fetches_add_up() {
    let start = Instant::now();
    let results = fetch_sequentially(fetches(6, |i| i as u64 % 3 + 1)).await;
    let elapsed = start.elapsed();
    assert_eq!(results, data(6), "one result per fetch, in input order");
    assert_eq!(
        elapsed,
        Duration::from_secs(12),
        "six sequential fetches of 1+2+3+1+2+3 s took {:.3} s",
        elapsed.as_secs_f64()
    );
}

/// Claims: 3.
#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_fetches_take_the_longest() {
    let start = Instant::now();
    let results = fetch_concurrently(fetches(100, |i| (i as u64 * 37) % 7 + 1)).await;
    let elapsed = start.elapsed();
    assert_eq!(results, data(100), "100 results, in input order, none lost");
    assert_eq!(
        elapsed,
        Duration::from_secs(7),
        "100 concurrent fetches of at most 7 s took {:.3} s: are they awaited in turn?",
        elapsed.as_secs_f64()
    );
}

/// Claims: 5.
#[tokio::test(start_paused = true)]
async fn configuring_ten_devices_with_another_seed() {
    let devices: Vec<Device> = (0..10)
        .map(|i| Device::new(&format!("172.16.0.{i}"), &vec!["x"; i]))
        .collect();
    let mut draws = StdRng::seed_from_u64(7);
    let slowest = devices
        .iter()
        .map(|_| config_time(&mut draws))
        .max()
        .unwrap();
    let start = Instant::now();
    let results = configure_all(devices, &mut StdRng::seed_from_u64(7)).await;
    let elapsed = start.elapsed();
    let expected: Vec<String> = (0..10)
        .map(|i| format!("Configured 172.16.0.{i} with {i} commands."))
        .collect();
    results::assert_results(&results, &expected, "one result per device, in input order");
    assert_eq!(
        elapsed,
        slowest,
        "ten devices took {:.3} s, expected the slowest, {:.3} s",
        elapsed.as_secs_f64(),
        slowest.as_secs_f64()
    );
}

/// Runs `configure_bounded` over devices taking `secs` seconds each (0 fails at once) with
/// `limit` and `per_device`; returns the results, the total and the peak in flight.
async fn bounded(
    secs: &[u64],
    limit: usize,
    per_device: Duration,
) -> (Vec<Result<String, ConfigError>>, Duration, usize) {
    let devices: Vec<Device> = secs
        .iter()
        .enumerate()
        .map(|(i, &s)| Device::new(&format!("10.2.0.{i}"), &vec!["x"; s as usize]))
        .collect();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let results = configure_bounded(devices, limit, per_device, |device| {
        let (in_flight, peak) = (Arc::clone(&in_flight), Arc::clone(&peak));
        async move {
            let _inside = InFlight::enter(&in_flight, &peak);
            let secs = device.commands.len() as u64;
            if secs == 0 {
                Err(format!("{} refused", device.ip))
            } else {
                tokio::time::sleep(Duration::from_secs(secs)).await;
                Ok(device.ip)
            }
        }
    })
    .await;
    (results, start.elapsed(), peak.load(Ordering::SeqCst))
}

/// Claims: 6.
#[tokio::test(start_paused = true)]
async fn a_limit_of_one_is_sequential() {
    let (results, elapsed, peak) = bounded(&[1, 2, 3], 1, Duration::from_secs(60)).await;
    assert_eq!(peak, 1, "a limit of 1 let {peak} devices run at once");
    assert_eq!(results.len(), 3, "one result per device");
    assert_eq!(
        elapsed,
        Duration::from_secs(6),
        "a limit of 1 should take 1+2+3 s, took {:.3} s",
        elapsed.as_secs_f64()
    );
}

/// Claims: 6, 9.
#[tokio::test(start_paused = true)]
async fn a_limit_above_the_device_count_is_fully_concurrent() {
    let (results, elapsed, peak) = bounded(&[1, 2, 3], 10, Duration::from_secs(60)).await;
    assert_eq!(
        peak, 3,
        "with room for 10, all 3 devices should run at once, {peak} did"
    );
    let expected: Vec<Result<String, ConfigError>> =
        (0..3).map(|i| Ok(format!("10.2.0.{i}"))).collect();
    assert_eq!(results, expected, "one result per device, in input order");
    assert_eq!(
        elapsed,
        Duration::from_secs(3),
        "took {:.3} s",
        elapsed.as_secs_f64()
    );
}

/// Claims: 7, 8, 9.
#[tokio::test(start_paused = true)]
async fn every_slow_device_times_out_on_its_own_clock() {
    let (results, elapsed, peak) = bounded(&[9, 9, 9, 9], 2, Duration::from_secs(5)).await;
    assert_eq!(peak, 2, "a limit of 2 let {peak} devices run at once");
    let expected: Vec<Result<String, ConfigError>> = (0..4)
        .map(|i| {
            Err(ConfigError::TimedOut {
                ip: format!("10.2.0.{i}"),
                after: Duration::from_secs(5),
            })
        })
        .collect();
    assert_eq!(
        results, expected,
        "every device should time out, each with its own error, in input order"
    );
    assert_eq!(
        elapsed,
        Duration::from_secs(10),
        "four 5 s timeouts, two at a time, should take 10 s, took {:.3} s: does each device's \
         timeout start when that device starts?",
        elapsed.as_secs_f64()
    );
}

/// Claims: 6, 8.
#[tokio::test(start_paused = true)]
async fn a_device_that_fails_at_once_frees_its_slot() {
    let (results, elapsed, _) = bounded(&[0, 0, 2, 2], 2, Duration::from_secs(60)).await;
    assert_eq!(
        results,
        [
            Err(ConfigError::Failed {
                ip: "10.2.0.0".to_owned(),
                reason: "10.2.0.0 refused".to_owned()
            }),
            Err(ConfigError::Failed {
                ip: "10.2.0.1".to_owned(),
                reason: "10.2.0.1 refused".to_owned()
            }),
            Ok("10.2.0.2".to_owned()),
            Ok("10.2.0.3".to_owned()),
        ],
        "each device keeps its own result, in input order"
    );
    assert_eq!(
        elapsed,
        Duration::from_secs(2),
        "two devices that fail at once should free their slots at once; took {:.3} s",
        elapsed.as_secs_f64()
    );
}

/// A device that fails on its first try and would work on a second: its failure is its
/// result, and nothing tries it again.
///
/// Claims: 8, 9.
#[tokio::test(start_paused = true)]
async fn a_device_that_fails_keeps_its_failure_and_is_not_tried_again() {
    let devices = vec![
        Device::new("10.3.0.1", &["hostname A"]),
        Device::new("10.3.0.2", &["hostname B"]),
    ];
    let tries: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&tries);
    let results = configure_bounded(devices, 2, Duration::from_secs(5), move |device| {
        let tries = Arc::clone(&seen);
        async move {
            let mut tries = tries.lock().unwrap();
            tries.push(device.ip.clone());
            let first = tries.iter().filter(|ip| **ip == device.ip).count() == 1;
            if device.ip == "10.3.0.2" && first {
                Err("busy, try later".to_owned())
            } else {
                Ok(device.ip)
            }
        }
    })
    .await;
    let tries = tries.lock().unwrap().clone();
    let times = tries.iter().filter(|ip| *ip == "10.3.0.2").count();
    assert!(
        !results.contains(&Ok("10.3.0.2".to_owned())),
        "10.3.0.2 failed (\"busy, try later\") on its first try, was configured {times} times \
         in all, and came back `Ok`: a failure is that device's result \
         (`ConfigError::Failed`), whatever another try would give; `configure` is called once \
         per device"
    );
    let expected = vec![
        Ok("10.3.0.1".to_owned()),
        Err(ConfigError::Failed {
            ip: "10.3.0.2".to_owned(),
            reason: "busy, try later".to_owned(),
        }),
    ];
    assert_eq!(
        results, expected,
        "10.3.0.1 worked and 10.3.0.2 failed (\"busy, try later\"), but the results came back \
         as {results:?}: one result per device, in input order, not in another order"
    );
}
