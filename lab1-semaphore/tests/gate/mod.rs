//! A `connect` that holds connections inside until the limit is reached, shared by the
//! visible and stress tests of Lab 1.3.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lab1_semaphore::Connection;

/// How many connections are inside, the most there ever were, and how many have finished.
#[derive(Default)]
pub struct Gate {
    inside: usize,
    /// The most connections that were ever inside at once.
    pub peak: usize,
    finished: usize,
}

/// The gate's state and the condition variable that signals its changes.
pub type SharedGate = Arc<(Mutex<Gate>, Condvar)>;

/// A `connect` that stays inside until the semaphore's limit (or every remaining device) is
/// inside at once, so that the peak is the limit whenever the semaphore lets it be; and that
/// records the peak. It fails, rather than hangs, if that never happens.
pub fn gated_connect(
    devices: usize,
    limit: usize,
) -> (SharedGate, impl Fn(&Connection) -> Connection) {
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
