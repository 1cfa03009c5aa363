//! Visible tests of Lab 1.2 on real threads. Run them with `cargo test -p lab1-lock`.
#![cfg(not(loom))]

use std::sync::Arc;
use std::thread;

use lab1_lock::{ITERATIONS_PER_THREAD, LockedCounter, NUM_THREADS, SpinLock, run_locked};

#[test]
fn locked_counter_adds_one_per_increment() {
    let counter = LockedCounter::new();
    for _ in 0..3 {
        counter.increment();
    }
    assert_eq!(
        counter.get(),
        3,
        "three increments of a fresh counter gave {}: `increment` must add exactly one",
        counter.get()
    );
}

#[test]
fn the_seed_workload_loses_no_update() {
    let expected = NUM_THREADS * ITERATIONS_PER_THREAD;
    let total = run_locked(NUM_THREADS, ITERATIONS_PER_THREAD);
    assert!(
        total <= expected,
        "the counter ended at {total}, {} above the {expected} increments made: is the total \
         computed instead of counted? `run_locked` must return what its threads' increments \
         added up to, one per `increment`",
        total - expected
    );
    assert_eq!(
        total,
        expected,
        "lost {} updates: is the read and the write inside one critical section (one `lock()` \
         held for both), and does `run_locked` join every thread before reading?",
        expected - total
    );
}

#[test]
fn a_held_spin_lock_cannot_be_taken_again() {
    let lock = SpinLock::new(0);
    let guard = lock.lock();
    assert!(
        lock.try_lock().is_none(),
        "`try_lock` succeeded while a guard was alive: two threads could both be inside"
    );
    drop(guard);
    assert!(
        lock.try_lock().is_some(),
        "`try_lock` failed after the only guard was dropped: does dropping the guard release \
         the lock?"
    );
}

#[test]
fn a_spin_lock_keeps_what_was_written() {
    let lock = SpinLock::new(String::from("R1"));
    lock.lock().push_str(" configured");
    assert_eq!(
        *lock.lock(),
        "R1 configured",
        "a write through one guard must be seen by the next"
    );
    assert_eq!(lock.into_inner(), "R1 configured");
}

#[test]
fn a_spin_lock_makes_threads_take_turns() {
    let threads = 4;
    let iterations = 5_000;
    let counter = Arc::new(SpinLock::new(0usize));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..iterations {
                    let mut value = counter.lock();
                    let current = *value;
                    *value = current + 1;
                }
            })
        })
        .collect();
    for handle in handles {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    let total = *counter.lock();
    let expected = threads * iterations;
    assert!(
        total <= expected,
        "the value behind the spin lock ended at {total}, {} above the {expected} increments \
         made: does each guard give access to the one value the lock holds?",
        total - expected
    );
    assert_eq!(
        total,
        expected,
        "lost {} updates behind the spin lock: does `lock` wait until it alone has flipped \
         the flag from false to true (one `compare_exchange`, not a load then a store)?",
        expected - total
    );
}
