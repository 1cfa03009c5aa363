//! Visible tests of Lab 2. Run them with `cargo test -p lab2-async`.
//!
//! Every test runs on tokio's paused clock (`start_paused = true`): a `tokio::time::sleep`
//! costs no real time, the clock jumps straight to the next timer, and a run's total is exact.
//! A blocking `std::thread::sleep` does not move that clock at all, which is how these tests
//! tell the two apart.

mod in_flight;
mod results;

use in_flight::InFlight;
use results::assert_results;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab2_async::{
    ConfigError, Device, Fetch, concurrent_fetches, config_time, configure_all, configure_bounded,
    configure_device, devices_to_configure, fetch_concurrently, fetch_sequentially,
    sequential_fetches, simulate_network_fetch,
};
use labkit::log::record;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;

/// Asserts that `what` took exactly `expected` of virtual time, and otherwise explains the
/// total, naming the usual mistakes (`sum` is what awaiting each step in turn would take).
#[track_caller]
fn assert_took(what: &str, elapsed: Duration, expected: Duration, sum: Duration) {
    if elapsed == expected {
        return;
    }
    let mut hint = format!(
        "{what} took {:.3} s of virtual time, expected exactly {:.3} s",
        elapsed.as_secs_f64(),
        expected.as_secs_f64()
    );
    if elapsed.is_zero() {
        hint.push_str(
            ": the clock did not move, so nothing awaited a tokio timer. A blocking \
             `std::thread::sleep` stops the whole runtime (and still costs real seconds); \
             use `tokio::time::sleep(delay).await`",
        );
    } else if elapsed == sum {
        hint.push_str(
            ": that is the sum of the delays, so each future was awaited in turn. Start them \
             all first, then await them together (`futures::future::join_all`, `tokio::join!`)",
        );
    }
    panic!("{hint}");
}

/// `lines` as logged, each with its moment, in the order of their moments: lines logged at the
/// same moment may come in any order, so they are put in alphabetical order.
fn timeline(mut lines: Vec<(Duration, String)>) -> Vec<(Duration, String)> {
    lines.sort();
    lines
}

/// Asserts that `what` logged exactly `expected` (seconds, line), each at its moment on the
/// paused clock, and otherwise says what the seed's lines are for.
#[track_caller]
fn assert_logged(what: &str, logged: Vec<(Duration, String)>, expected: &[(f64, String)]) {
    let expected: Vec<(Duration, String)> = expected
        .iter()
        .map(|(secs, line)| (Duration::from_secs_f64(*secs), line.clone()))
        .collect();
    let (logged, expected) = (timeline(logged), timeline(expected));
    if logged == expected {
        return;
    }
    let mut hint = String::new();
    let moved = |lines: &[(Duration, String)]| lines.iter().any(|(at, _)| !at.is_zero());
    if moved(&expected) && !moved(&logged) {
        hint.push_str(
            " The clock did not move, so nothing awaited a tokio timer: a blocking \
             `std::thread::sleep` stops the whole runtime; use `tokio::time::sleep(..).await`.",
        );
    } else if logged.iter().filter(|(at, _)| at.is_zero()).count()
        < expected.iter().filter(|(at, _)| at.is_zero()).count()
    {
        hint.push_str(
            " Not everything started at 0 s: each future was awaited in turn. Start them all \
             first, then await them together.",
        );
    }
    panic!(
        "{what} should print the seed's lines with `log`, each at its moment: a start line when \
         the device's work starts, and a finish line when its own time is over (lines at the \
         same moment in any order).{hint}\n  got:      {logged:?}\n  expected: {expected:?}"
    );
}

/// Claims: 1.
#[tokio::test(start_paused = true)]
async fn a_fetch_returns_the_devices_data_after_its_delay() {
    let start = Instant::now();
    let data = simulate_network_fetch("192.168.1.1", Duration::from_secs(3)).await;
    let elapsed = start.elapsed();
    assert_eq!(
        data, "Data from 192.168.1.1",
        "a fetch returns \"Data from {{ip}}\""
    );
    assert_took(
        "a 3 s fetch",
        elapsed,
        Duration::from_secs(3),
        Duration::ZERO,
    );
}

/// Claims: 1.
#[tokio::test(start_paused = true)]
async fn a_fetch_lets_other_tasks_run_while_it_waits() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let ticks = Arc::clone(&ticks);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    simulate_network_fetch("192.168.1.1", Duration::from_millis(2_250)).await;
    ticker.abort();
    let ticks = ticks.load(Ordering::SeqCst);
    assert_eq!(
        ticks, 4,
        "another task meant to tick every 0.5 s ticked {ticks} times during a 2.25 s fetch \
         (expected 4): a fetch must pause with `tokio::time::sleep(..).await`, which lets other \
         tasks run, not block the thread with `std::thread::sleep`"
    );
}

/// Claims: 2.
#[tokio::test(start_paused = true)]
async fn sequential_fetches_take_the_sum_of_their_delays() {
    let start = Instant::now();
    let results = fetch_sequentially(sequential_fetches()).await;
    let elapsed = start.elapsed();
    assert_results(
        &results,
        &["Data from 192.168.1.1", "Data from 192.168.1.2"],
        "one result per fetch, in input order",
    );
    assert_took(
        "the sequential run (3 s then 2 s)",
        elapsed,
        Duration::from_secs(5),
        Duration::from_secs(5),
    );
}

/// Claims: 3.
#[tokio::test(start_paused = true)]
async fn concurrent_fetches_take_the_longest_delay() {
    let start = Instant::now();
    let results = fetch_concurrently(concurrent_fetches()).await;
    let elapsed = start.elapsed();
    assert_results(
        &results,
        &[
            "Data from 192.168.1.10",
            "Data from 192.168.1.11",
            "Data from 192.168.1.12",
        ],
        "one result per fetch, in input order (not in the order they finished)",
    );
    assert_took(
        "the concurrent run (3 s, 2 s and 4 s)",
        elapsed,
        Duration::from_secs(4),
        Duration::from_secs(9),
    );
}

/// Claims: 1, 3.
#[tokio::test(start_paused = true)]
async fn concurrent_fetches_print_the_seeds_lines_at_their_moments() {
    let recording = record();
    let results = fetch_concurrently(concurrent_fetches()).await;
    assert_eq!(results.len(), 3, "one result per fetch");
    let line = |secs: f64, text: &str| (secs, text.to_owned());
    assert_logged(
        "the concurrent run (3 s, 2 s and 4 s)",
        recording.lines(),
        &[
            line(0.0, "Starting fetch from 192.168.1.10 (delay: 3s)..."),
            line(0.0, "Starting fetch from 192.168.1.11 (delay: 2s)..."),
            line(0.0, "Starting fetch from 192.168.1.12 (delay: 4s)..."),
            line(2.0, "Finished fetch from 192.168.1.11."),
            line(3.0, "Finished fetch from 192.168.1.10."),
            line(4.0, "Finished fetch from 192.168.1.12."),
        ],
    );
}

/// Claims: 3.
#[tokio::test(start_paused = true)]
async fn concurrent_results_keep_input_order() {
    let fetches: Vec<Fetch> = [4, 1, 3, 2]
        .iter()
        .enumerate()
        .map(|(i, &secs)| Fetch::new(&format!("10.0.0.{i}"), secs))
        .collect();
    let results = fetch_concurrently(fetches).await;
    assert_results(
        &results,
        &[
            "Data from 10.0.0.0",
            "Data from 10.0.0.1",
            "Data from 10.0.0.2",
            "Data from 10.0.0.3",
        ],
        "one result per fetch, each with its own device's data, in the order the fetches were \
         given (the slowest is first here)",
    );
}

/// Claims: 4.
#[tokio::test(start_paused = true)]
async fn configuring_a_device_reports_its_command_count() {
    let device = &devices_to_configure()[0];
    let start = Instant::now();
    let result = configure_device(&device.ip, &device.commands, Duration::from_millis(1_500)).await;
    let elapsed = start.elapsed();
    assert_eq!(result, "Configured 192.168.10.1 with 3 commands.");
    assert_took(
        "a 1.5 s configuration",
        elapsed,
        Duration::from_millis(1_500),
        Duration::ZERO,
    );
}

/// Claims: 5.
#[tokio::test(start_paused = true)]
async fn configuring_the_seed_devices_takes_the_slowest_device() {
    let devices = devices_to_configure();
    let mut draws = StdRng::seed_from_u64(2024);
    let times: Vec<Duration> = devices.iter().map(|_| config_time(&mut draws)).collect();
    let slowest = times.iter().copied().max().unwrap();
    let sum = times.iter().sum();

    let start = Instant::now();
    let results = configure_all(devices, &mut StdRng::seed_from_u64(2024)).await;
    let elapsed = start.elapsed();
    assert_results(
        &results,
        &[
            "Configured 192.168.10.1 with 3 commands.",
            "Configured 192.168.10.2 with 3 commands.",
            "Configured 192.168.10.3 with 3 commands.",
            "Configured 192.168.10.4 with 3 commands.",
        ],
        "one result per device, in input order",
    );
    assert_took(
        &format!(
            "configuring the four devices (their times, drawn one per device in input order \
             before any starts: {times:?})"
        ),
        elapsed,
        slowest,
        sum,
    );
}

/// Claims: 4, 5.
#[tokio::test(start_paused = true)]
async fn each_seed_device_reports_completion_at_its_own_time() {
    let devices = devices_to_configure();
    let mut draws = StdRng::seed_from_u64(2024);
    let times: Vec<Duration> = devices.iter().map(|_| config_time(&mut draws)).collect();
    let recording = record();
    let results = configure_all(devices.clone(), &mut StdRng::seed_from_u64(2024)).await;
    let configured: Vec<String> = devices
        .iter()
        .map(|device| format!("Configured {} with 3 commands.", device.ip))
        .collect();
    assert_results(
        &results,
        &configured,
        "one result per device, in input order",
    );
    let mut expected = Vec::new();
    for (device, time) in devices.iter().zip(&times) {
        expected.push((0.0, format!("Configuring {}...", device.ip)));
        expected.push((
            time.as_secs_f64(),
            format!("Configuration complete for {}.", device.ip),
        ));
    }
    assert_logged(
        &format!(
            "configuring the four devices (their times, drawn one per device in input order \
             before any starts: {times:?}; each device takes its own)"
        ),
        recording.lines(),
        &expected,
    );
}

/// A fake device configuration for `configure_bounded`: each device's time comes from
/// `plan` (by address), `Err` if the time is `None`; records when each one started, and the
/// most that were ever in flight at once.
#[derive(Clone, Default)]
struct FakeFleet {
    plan: Arc<Vec<(String, Option<Duration>)>>,
    started: Arc<Mutex<Vec<(String, Duration)>>>,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl FakeFleet {
    /// Devices `10.0.0.10`, `10.0.0.9`, ... (in an order that sorting by address, as text or
    /// as numbers, would change) taking `times` (`None` fails at once).
    fn new(times: &[Option<u64>]) -> (Self, Vec<Device>) {
        let plan: Vec<_> = times
            .iter()
            .enumerate()
            .map(|(i, time)| (format!("10.0.0.{}", 10 - i), time.map(Duration::from_secs)))
            .collect();
        let devices = plan
            .iter()
            .map(|(ip, _)| Device::new(ip, &["hostname X"]))
            .collect();
        let fleet = Self {
            plan: Arc::new(plan),
            ..Self::default()
        };
        (fleet, devices)
    }

    /// Configures `device`, as `configure_bounded` is asked to; `start` is the run's start.
    async fn configure(self, device: Device, start: Instant) -> Result<String, String> {
        let time = self
            .plan
            .iter()
            .find(|(ip, _)| *ip == device.ip)
            .and_then(|(_, time)| *time);
        self.started
            .lock()
            .unwrap()
            .push((device.ip.clone(), start.elapsed()));
        let _inside = InFlight::enter(&self.in_flight, &self.peak);
        match time {
            Some(time) => {
                tokio::time::sleep(time).await;
                Ok(format!("Configured {}", device.ip))
            }
            None => Err("authentication failed".to_owned()),
        }
    }
}

/// Claims: 6, 9.
#[tokio::test(start_paused = true)]
async fn bounded_configuration_follows_its_schedule() {
    let (fleet, devices) = FakeFleet::new(&[Some(3), Some(1), Some(2), Some(1), Some(1)]);
    let start = Instant::now();
    let results = configure_bounded(devices, 2, Duration::from_secs(60), |device| {
        fleet.clone().configure(device, start)
    })
    .await;
    let elapsed = start.elapsed();

    let peak = fleet.peak.load(Ordering::SeqCst);
    assert_eq!(
        peak, 2,
        "with a limit of 2, the most devices in flight at once was {peak}, expected exactly 2"
    );
    let ok: Vec<String> = (0..5)
        .map(|i| format!("Configured 10.0.0.{}", 10 - i))
        .collect();
    let expected: Vec<Result<String, ConfigError>> = ok.into_iter().map(Ok).collect();
    assert_results(&results, &expected, "one result per device, in input order");
    let started = fleet.started.lock().unwrap().clone();
    let expected_starts: Vec<(String, Duration)> = [0, 0, 1, 3, 3]
        .iter()
        .enumerate()
        .map(|(i, &at)| (format!("10.0.0.{}", 10 - i), Duration::from_secs(at)))
        .collect();
    assert_eq!(
        started, expected_starts,
        "devices taking 3, 1, 2, 1, 1 s with 2 slots should start at 0, 0, 1, 3, 3 s: each \
         device starts, in input order, the moment a slot frees up"
    );
    assert_eq!(
        elapsed,
        Duration::from_secs(4),
        "the bounded run took {:.3} s, expected exactly 4 s",
        elapsed.as_secs_f64()
    );
}

/// Claims: 7, 8.
#[tokio::test(start_paused = true)]
async fn a_slow_device_times_out_alone() {
    let (fleet, devices) = FakeFleet::new(&[Some(2), Some(600), Some(3)]);
    let start = Instant::now();
    let results = configure_bounded(devices, 3, Duration::from_secs(5), |device| {
        fleet.clone().configure(device, start)
    })
    .await;
    let elapsed = start.elapsed();
    assert_results(
        &results,
        &[
            Ok("Configured 10.0.0.10".to_owned()),
            Err(ConfigError::TimedOut {
                ip: "10.0.0.9".to_owned(),
                after: Duration::from_secs(5),
            }),
            Ok("Configured 10.0.0.8".to_owned()),
        ],
        "the 600 s device should time out after 5 s and the other two still finish \
         (wrap each device in `tokio::time::timeout`, not the whole run)",
    );
    assert_eq!(
        elapsed,
        Duration::from_secs(5),
        "the run should end when the slow device's 5 s timeout fires, not after {:.3} s",
        elapsed.as_secs_f64()
    );
}

/// Claims: 8, 9.
#[tokio::test(start_paused = true)]
async fn a_failing_device_keeps_its_own_error() {
    let (fleet, devices) = FakeFleet::new(&[Some(1), None, Some(2), Some(1)]);
    let start = Instant::now();
    let results = configure_bounded(devices, 2, Duration::from_secs(5), |device| {
        fleet.clone().configure(device, start)
    })
    .await;
    assert_results(
        &results,
        &[
            Ok("Configured 10.0.0.10".to_owned()),
            Err(ConfigError::Failed {
                ip: "10.0.0.9".to_owned(),
                reason: "authentication failed".to_owned(),
            }),
            Ok("Configured 10.0.0.8".to_owned()),
            Ok("Configured 10.0.0.7".to_owned()),
        ],
        "a device whose configuration fails gets its own `ConfigError::Failed`; the others \
         are neither cancelled nor lost (is one `?` ending the whole run?)",
    );
}
