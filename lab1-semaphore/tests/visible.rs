//! Visible tests of Lab 1.3 on real threads. Run them with `cargo test -p lab1-semaphore`.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

mod gate;

use gate::connect_all_gated;
use lab1_semaphore::{MAX_CONCURRENT_CONNECTIONS, Semaphore, connect_all, device_ips};
use labkit::sync::{Condvar, Mutex, probe, thread};

/// How long a test waits for something that a correct semaphore does at once, before it
/// says what never happened.
const PATIENCE: Duration = Duration::from_secs(5);

/// How long a test gives a thread to go to sleep in `acquire` (it takes microseconds).
const ASLEEP: Duration = Duration::from_secs(3);

/// How many spurious wake-ups in a row a test makes a wait take: far more than any bounded
/// number of tries a wait could make before giving up.
const SPURIOUS: usize = 1000;

/// Claims: 2, 3, 4, 5.
#[test]
fn permits_run_out_at_the_limit() {
    let _serial = probe::serial();
    let semaphore = Semaphore::new(3);
    let permits: Vec<_> = (0..3).filter_map(|_| semaphore.try_acquire()).collect();
    assert_eq!(
        permits.len(),
        3,
        "a semaphore made with 3 permits handed out only {} of them",
        permits.len()
    );
    assert!(
        semaphore.try_acquire().is_none(),
        "a semaphore made with 3 permits handed out a 4th while the other 3 were held: it \
         hands out more permits than it was made with. Does `new` start the count at exactly \
         `permits`, and does `try_acquire` take one?"
    );
    assert_eq!(
        semaphore.available(),
        0,
        "no permit should be free while all 3 are held"
    );
    drop(permits);
    assert_free(&semaphore, 3, 3, "once the 3 permits were dropped");
}

/// Claims: 1, 4.
#[test]
fn a_waiting_thread_gets_a_returned_permit() {
    let _serial = probe::serial();
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.acquire();
    let waiting_before = probe::waiting();
    let waiter = {
        let semaphore = Arc::clone(&semaphore);
        thread::spawn(move || {
            let _permit = semaphore.acquire();
        })
    };
    // The waiter is asleep in `acquire` before the permit comes back, on every run.
    probe::asleep(waiting_before + 1, ASLEEP, || waiter.is_finished());
    drop(held);
    assert!(
        probe::returns(PATIENCE, || waiter.is_finished()),
        "a thread waiting in `acquire` was never woken when the only permit was given back: \
         dropping a `Permit` must notify the condition variable (`notify_one`) after adding \
         the permit back\n{}",
        probe::sleepers()
    );
    if let Err(panic) = waiter.join() {
        std::panic::resume_unwind(panic);
    }
    assert_free(
        &semaphore,
        1,
        1,
        "after both threads gave their permit back",
    );
}

/// Claims: 1.
#[test]
fn acquire_waits_again_after_a_spurious_wake_up() {
    let _serial = probe::serial();
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.acquire();
    assert!(
        semaphore.try_acquire().is_none(),
        "a semaphore made with 1 permit handed out a 2nd while the first was held: it has \
         more permits than it was made with. Does `new` start the count at exactly `permits`?"
    );
    let waiting_before = probe::waiting();
    // The next waits return at once with no permit returned, as std allows any condition
    // variable to do, again and again.
    probe::wake_spuriously(SPURIOUS);
    let (acquired, has_acquired) = mpsc::channel();
    let waiter = {
        let semaphore = Arc::clone(&semaphore);
        thread::spawn(move || {
            let _permit = semaphore.acquire();
            let _ = acquired.send(());
        })
    };
    let waits_again = probe::asleep(waiting_before + 1, ASLEEP, || waiter.is_finished());
    probe::wake_spuriously(0);
    if !waits_again || has_acquired.try_recv().is_ok() {
        // The count may be broken now: leave the held permit alone rather than give it back.
        std::mem::forget(held);
        panic!(
            "`acquire` woke up while no permit was free (a spurious wake-up, which std allows \
             any condition variable, up to {SPURIOUS} times in a row here), and then {}: wait \
             in a loop, `while *free == 0 {{ free = condvar.wait(free)... }}` (or \
             `wait_while`), so that every wake-up checks the count again, however many there \
             are",
            match waiter.join() {
                Err(panic) => format!(
                    "panicked (\"{}\")",
                    panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or_default()
                ),
                Ok(()) => "went on as if it had a permit, while another thread held the only one"
                    .to_owned(),
            }
        );
    }
    drop(held);
    if let Err(panic) = waiter.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Asserts that `semaphore`, made with `made_with` permits, counts `expected` free `when`,
/// and otherwise says which way the count is wrong.
#[track_caller]
fn assert_free(semaphore: &Semaphore, expected: usize, made_with: usize, when: &str) {
    let free = semaphore.available();
    let permits = if made_with == 1 { "permit" } else { "permits" };
    assert!(
        free <= expected,
        "{when}, a semaphore made with {made_with} {permits} counted {free} free: it has more \
         permits than it was made with. Does `new` start the count at exactly `permits`, and \
         does dropping a `Permit` give back exactly one?"
    );
    assert!(
        free == expected,
        "{when}, {free} of {made_with} permits were free, expected {expected}: a permit that \
         is never given back is lost for good. Does dropping a `Permit` add one back to the \
         count?"
    );
}

/// Claims: 5, 6, 7.
#[test]
fn at_most_three_devices_connect_at_once() {
    let _serial = probe::serial();
    let devices = device_ips();

    // At most three: three devices and no other thread, each held inside `connect` until all
    // three are in, so no permit is given back before the last of them reads `free_slots`.
    // That reading was taken with all three permits held, so a semaphore of 3 counts exactly
    // 0 free then, on every schedule; 1 free means a 4th device could have connected beside
    // them. (A thread waiting in `acquire` cannot be seen without a clock; a spare permit
    // can.)
    let three = devices[..MAX_CONCURRENT_CONNECTIONS].to_vec();
    let connections = connect_all_gated(three, MAX_CONCURRENT_CONNECTIONS).0;
    assert_eq!(
        connections.len(),
        MAX_CONCURRENT_CONNECTIONS,
        "{} of {MAX_CONCURRENT_CONNECTIONS} devices got a result: every device must be \
         connected once",
        connections.len()
    );
    let least_free = connections.iter().map(|c| c.free_slots).min();
    assert!(
        least_free == Some(0),
        "{MAX_CONCURRENT_CONNECTIONS} devices were connected at once, each with a permit of a \
         semaphore of {MAX_CONCURRENT_CONNECTIONS}, yet each of them saw at least {} free in \
         `free_slots`, the last one with all {MAX_CONCURRENT_CONNECTIONS} permits taken: the \
         semaphore acts as if it had more permits than it was made with, so a 4th device \
         could have connected beside them, above the limit of \
         {MAX_CONCURRENT_CONNECTIONS}. Does `new` start the count at exactly `permits`, does \
         `acquire` take one, and does each thread keep its permit for the whole of `connect` \
         (`let _permit`, not `let _`) and read `free_slots` with `available()` after taking \
         it?",
        least_free.unwrap_or_default()
    );
}

/// Claims: 2.
#[test]
fn try_acquire_takes_a_free_permit_even_while_the_count_is_locked() {
    let _serial = probe::serial();
    let semaphore = Arc::new(Semaphore::new(1));
    // A thread reads the count and, on its way, holds the count's lock for a while.
    let reader = {
        let semaphore = Arc::clone(&semaphore);
        thread::spawn(move || {
            probe::linger_in_next_lock();
            semaphore.available()
        })
    };
    // If the count is not behind the facade's `Mutex`, nothing is held up: the test is moot.
    let lingering = probe::await_lingering(ASLEEP);
    let taker = {
        let semaphore = Arc::clone(&semaphore);
        thread::spawn(move || semaphore.try_acquire().is_some())
    };
    if lingering {
        probe::blocked_on_a_lock(1, ASLEEP, || taker.is_finished());
    }
    probe::release_lingering();
    let (took, read) = (taker.join(), reader.join());
    let took = match (took, read) {
        (_, Err(panic)) | (Err(panic), _) => std::panic::resume_unwind(panic),
        (Ok(took), Ok(_)) => took,
    };
    assert!(
        took,
        "`try_acquire` returned `None` while the only permit was free, because another thread \
         held the count's lock at that moment: `try_acquire` may say no only when no permit is \
         free. Lock the count with `lock()`, which waits only for the other thread's short \
         critical section, not `try_lock()`"
    );
}

/// Claims: 6, 8.
#[test]
fn every_device_is_connected_once_in_input_order() {
    let _serial = probe::serial();
    let devices = device_ips();
    // The first device finishes last, on every run: it waits until the last device has
    // finished. Results in finishing order would put it at the end. (The
    // order permits are taken in is left to the scheduler here; the loom model checks that
    // names follow positions whatever that order.)
    // The first device waits in a wait of the facade, and `connect_all` runs on a thread of
    // its own while the test watches for the last device: connections made one after another
    // leave every thread asleep, and the test says so at once.
    let last_done = Arc::new((Mutex::new(false), Condvar::new()));
    let (first_waiting, last_connected) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (waiting, connected) = (Arc::clone(&first_waiting), Arc::clone(&last_connected));
    let first_ip = devices[0].clone();
    let last_ip = devices[devices.len() - 1].clone();
    // A limit of one permit per device: no thread ever waits for a permit, so a wake-up bug
    // (tested elsewhere) cannot make this test's outcome depend on the run.
    let limit = devices.len();
    let to_connect = devices.clone();
    let runner = thread::spawn(move || {
        connect_all(to_connect, limit, move |connection| {
            let (done, changed) = &*last_done;
            if connection.device_ip == first_ip {
                let done = done.lock().unwrap();
                waiting.store(true, Ordering::SeqCst);
                let _done = changed.wait_while(done, |done| !*done).unwrap();
            } else if connection.device_ip == last_ip {
                *done.lock().unwrap() = true;
                connected.store(true, Ordering::SeqCst);
                changed.notify_all();
            }
            connection.clone()
        })
    });
    assert!(
        probe::watch_for(
            PATIENCE,
            || last_connected.load(Ordering::SeqCst) || runner.is_finished(),
            || first_waiting.load(Ordering::SeqCst).then_some(())
        ),
        "the last device never connected while the first one held its permit: does \
         `connect_all` connect every device, each on a thread started before any is joined \
         (start them all, then join them all)?\n{}",
        probe::sleepers()
    );
    let connections = runner
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let ips: Vec<_> = connections.iter().map(|c| c.device_ip.clone()).collect();
    assert_eq!(
        ips, devices,
        "results must come back one per device, in the order the devices were given (the \
         first device finished last here): join the threads in the order they were started"
    );
}
