//! Stress tests of Lab 1.1 on real threads: they catch a mistake only when the scheduler
//! happens to interleave the threads badly, so the grader shows what they find as advice and
//! gives them no points. `cargo test -p lab1-race` runs them with the visible tests.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lab1_race::{ITERATIONS_PER_THREAD, NUM_THREADS, run_threads};

#[test]
fn the_seed_workload_pauses_once_per_increment_and_never_overcounts() {
    let pauses = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&pauses);
    let total = run_threads(NUM_THREADS, ITERATIONS_PER_THREAD, move || {
        seen.fetch_add(1, Ordering::SeqCst);
        thread::yield_now();
    });
    let expected = NUM_THREADS * ITERATIONS_PER_THREAD;
    let pauses = pauses.load(Ordering::SeqCst);
    assert_eq!(
        pauses, expected,
        "{pauses} pauses by the time `run_threads` returned, for {expected} increments: start \
         every thread and join every handle before reading the counter"
    );
    assert!(
        (1..=expected).contains(&total),
        "the counter ended at {total} after {expected} increments: it can be less (lost \
         updates are the point of this lab) but never more, and never 0"
    );
}
