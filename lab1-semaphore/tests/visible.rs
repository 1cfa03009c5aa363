//! Visible tests of Lab 1.3 on real threads. Run them with `cargo test -p lab1-semaphore`.
#![cfg(not(loom))]

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use lab1_semaphore::{Connection, MAX_CONCURRENT_CONNECTIONS, Semaphore, connect_all, device_ips};

#[test]
fn permits_run_out_at_the_limit() {
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

#[test]
fn a_waiting_thread_gets_a_returned_permit() {
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.acquire();
    let waiter = {
        let semaphore = Arc::clone(&semaphore);
        thread::spawn(move || {
            let _permit = semaphore.acquire();
        })
    };
    drop(held);
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

/// How many connections are inside, the most there ever were, and how many have finished.
#[derive(Default)]
struct Gate {
    inside: usize,
    peak: usize,
    finished: usize,
}

/// The gate's state and the condition variable that signals its changes.
type SharedGate = Arc<(Mutex<Gate>, Condvar)>;

/// A `connect` that stays inside until the semaphore's limit (or every remaining device) is
/// inside at once, so that the peak is the limit whenever the semaphore lets it be; and that
/// records the peak. It fails, rather than hangs, if that never happens.
fn gated_connect(devices: usize, limit: usize) -> (SharedGate, impl Fn(&Connection) -> Connection) {
    let gate = Arc::new((Mutex::new(Gate::default()), Condvar::new()));
    let shared = Arc::clone(&gate);
    let connect = move |connection: &Connection| {
        let (state, changed) = &*shared;
        let mut gate = state.lock().unwrap();
        gate.inside += 1;
        gate.peak = gate.peak.max(gate.inside);
        changed.notify_all();
        loop {
            let needed = limit.min(devices - gate.finished);
            if gate.inside >= needed {
                break;
            }
            let (next, timeout) = changed.wait_timeout(gate, Duration::from_secs(10)).unwrap();
            gate = next;
            assert!(
                !timeout.timed_out(),
                "only {} connections were ever open at once while {} devices still waited: \
                 does the semaphore hand out all {limit} permits, and wake a waiter when one \
                 is given back?",
                gate.inside,
                devices - gate.finished - gate.inside
            );
        }
        gate.inside -= 1;
        gate.finished += 1;
        changed.notify_all();
        connection.clone()
    };
    (gate, connect)
}

#[test]
fn at_most_three_devices_connect_at_once_and_three_do() {
    let devices = device_ips();

    // At most three: three devices and no other thread, each held inside `connect` until all
    // three are in, so no permit is given back before the last of them reads `free_slots`.
    // That reading was taken with all three permits held, so a semaphore of 3 counts exactly
    // 0 free then, on every schedule; 1 free means a 4th device could have connected beside
    // them. (A thread waiting in `acquire` cannot be seen without a clock; a spare permit
    // can.)
    let three = devices[..MAX_CONCURRENT_CONNECTIONS].to_vec();
    let (_, connect) = gated_connect(three.len(), MAX_CONCURRENT_CONNECTIONS);
    let connections = connect_all(three, MAX_CONCURRENT_CONNECTIONS, connect);
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

    // And three do: all ten devices, each held until the limit (or every remaining device)
    // is inside at once; the peak must be the limit, never above it.
    let (gate, connect) = gated_connect(devices.len(), MAX_CONCURRENT_CONNECTIONS);
    let connections = connect_all(devices.clone(), MAX_CONCURRENT_CONNECTIONS, connect);
    let peak = gate.0.lock().unwrap().peak;
    assert!(
        peak <= MAX_CONCURRENT_CONNECTIONS,
        "{peak} connections were open at once, above the limit of {MAX_CONCURRENT_CONNECTIONS}: \
         does every thread hold a permit for the whole of `connect`?"
    );
    assert_eq!(
        peak, MAX_CONCURRENT_CONNECTIONS,
        "never more than {peak} connections were open at once: the limit of \
         {MAX_CONCURRENT_CONNECTIONS} should be used in full"
    );
    assert_eq!(
        connections.len(),
        devices.len(),
        "{} of the {} devices got a result: every device must be connected once",
        connections.len(),
        devices.len()
    );
    for connection in &connections {
        assert!(
            connection.free_slots < MAX_CONCURRENT_CONNECTIONS,
            "{} saw {} free slots right after taking one of {MAX_CONCURRENT_CONNECTIONS}: the \
             count must drop when a permit is taken",
            connection.thread_name,
            connection.free_slots
        );
    }
}

#[test]
fn every_device_is_connected_once_in_input_order() {
    let devices = device_ips();
    let connections = connect_all(devices.clone(), 3, |connection| connection.clone());
    let ips: Vec<_> = connections.iter().map(|c| c.device_ip.clone()).collect();
    assert_eq!(
        ips, devices,
        "results must come back one per device, in the order the devices were given"
    );
    for (i, connection) in connections.iter().enumerate() {
        assert_eq!(
            connection.thread_name,
            format!("DeviceConn-{}", i + 1),
            "the connection to {} should be named after its position",
            connection.device_ip
        );
    }
}
