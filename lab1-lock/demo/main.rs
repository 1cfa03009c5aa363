//! Demo of Lab 1.2, as the seed runs it: the counter of Lab 1.1, now behind a lock, 5 threads
//! x 10 000 increments; then the same with the spin lock you built.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use labkit::sync::thread;
use std::sync::Arc;

use lab1_lock::{ITERATIONS_PER_THREAD, NUM_THREADS, SpinLock, run_locked};

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab1-lock/README.md";

fn main() {
    labkit::todo_stop::stop_at_todo(README);
    println!("\n--- Fixing the Race Condition with a Lock ---");
    let expected_total = NUM_THREADS * ITERATIONS_PER_THREAD;
    println!("Expected final counter value (with lock): {expected_total}");
    let actual = run_locked(NUM_THREADS, ITERATIONS_PER_THREAD);
    println!("Actual final counter value (with lock):   {actual}");
    report(
        actual,
        expected_total,
        "The lock successfully made threads take turns.",
    );

    println!("\n--- The Same Counter Behind Your SpinLock ---");
    let counter = Arc::new(SpinLock::new(0usize));
    let handles: Vec<_> = (0..NUM_THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..ITERATIONS_PER_THREAD {
                    let mut value = counter.lock();
                    let current = *value;
                    *value = current + 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a counting thread panicked");
    }
    let actual = *counter.lock();
    println!("Actual final counter value (with spin lock): {actual}");
    report(
        actual,
        expected_total,
        "The spin lock made threads take turns too.",
    );
}

/// Prints the seed's verdict on a final counter value.
fn report(actual: usize, expected: usize, success: &str) {
    if actual == expected {
        println!("!!! Race condition PREVENTED: The actual value now matches the expected. !!!");
        println!("{success}");
    } else {
        println!("Race condition still observed (something is wrong).");
    }
}
