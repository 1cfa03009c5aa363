//! A `connect` that holds connections inside until the limit is reached, shared by the
//! visible and stress tests of Lab 1.3.

use std::sync::Arc;
use std::time::Duration;

use lab1_semaphore::{Connection, connect_all};
use labkit::sync::{Condvar, Mutex, probe, thread};

/// How long connections may wait inside the gate with no other getting in or out, while some
/// thread still runs (a semaphore that spins, say), before the test says what never happened.
const PATIENCE: Duration = Duration::from_secs(10);

/// `connect_all(devices, limit, ..)` with the gate's `connect` ([`gated_connect`]), on a
/// thread of its own: its result (each device's connection, in the order given), and the
/// most connections that were ever inside `connect` at once. Fails as soon as every thread
/// is asleep in a wait that nothing is left to end (a permit never handed out, a waiter
/// never woken), naming each wait and its line; or once connections have waited inside for
/// [`PATIENCE`] with none getting in or out, while another thread still runs.
pub fn connect_all_gated(devices: Vec<String>, limit: usize) -> (Vec<Connection>, usize) {
    let count = devices.len();
    let (gate, connect) = gated_connect(count, limit);
    let runner = thread::spawn(move || connect_all(devices, limit, connect));
    // Someone waiting inside, and how far the connections have got.
    let waiting_inside = || {
        let gate = gate.0.lock().unwrap();
        (gate.inside > 0).then_some((gate.inside, gate.finished))
    };
    if !probe::watch_for(PATIENCE, || runner.is_finished(), waiting_inside) {
        let gate = gate.0.lock().unwrap();
        panic!(
            "`connect_all` never returned: {} device(s) connected at once, {} still to go, \
             under a limit of {limit}. Start every device's thread first, then join them all; \
             the semaphore must hand out all {limit} permits, and wake a waiter when one is \
             given back\n{}",
            gate.inside,
            count - gate.finished - gate.inside,
            probe::sleepers()
        );
    }
    match runner.join() {
        Ok(connections) => (connections, gate.0.lock().unwrap().peak),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// How many connections are inside, the most there ever were, and how many have finished.
#[derive(Default)]
struct Gate {
    inside: usize,
    /// The most connections that were ever inside at once.
    peak: usize,
    finished: usize,
}

/// The gate's state and the condition variable that signals its changes.
type SharedGate = Arc<(Mutex<Gate>, Condvar)>;

/// A `connect` that stays inside until the semaphore's limit (or every remaining device) is
/// inside at once, so that the peak is the limit whenever the semaphore lets it be; and that
/// records the peak. It waits in the facade, with no timeout, for [`connect_all_gated`]'s
/// probe to see.
fn gated_connect(devices: usize, limit: usize) -> (SharedGate, impl Fn(&Connection) -> Connection) {
    let gate = Arc::new((Mutex::new(Gate::default()), Condvar::new()));
    let shared = Arc::clone(&gate);
    let connect = move |connection: &Connection| {
        let (state, changed) = &*shared;
        let mut gate = state.lock().unwrap();
        gate.inside += 1;
        gate.peak = gate.peak.max(gate.inside);
        changed.notify_all();
        // Inside until `limit` connections are, or every device left is.
        gate = changed
            .wait_while(gate, |gate| {
                gate.inside < limit.min(devices - gate.finished)
            })
            .unwrap();
        gate.inside -= 1;
        gate.finished += 1;
        changed.notify_all();
        connection.clone()
    };
    (gate, connect)
}
