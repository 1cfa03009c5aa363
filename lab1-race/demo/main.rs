//! Demo of Lab 1.1, as the seed runs it: 5 threads each add one to a shared counter 10 000
//! times, pausing 10 microseconds between reading the value and writing it back.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use std::time::Duration;

use lab1_race::{ITERATIONS_PER_THREAD, NUM_THREADS, run_threads};

/// The seed's `time.sleep(0.00001)`: the window in which another thread can get in.
const PAUSE: Duration = Duration::from_micros(10);

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab1-race/README.md";

/// The README's hint on starting and joining the threads.
const HINT: &str = "Hint 3: start them all, then wait for them all";

fn main() {
    labkit::todo_stop::stop_at_todo(README);
    println!("--- Observing a Race Condition ---");
    let expected_total = NUM_THREADS * ITERATIONS_PER_THREAD;
    println!("If all threads worked perfectly, the counter should be: {expected_total}");

    let actual = run_threads(NUM_THREADS, ITERATIONS_PER_THREAD, || {
        std::thread::sleep(PAUSE)
    });

    println!("Actual final counter value:   {actual}");
    let (unjoined, peak) = thread_counts();
    if unjoined > 0 {
        println!("!!! Not a race: `run_threads` returned before joining its threads. !!!");
        println!(
            "The counter was read without waiting for its {unjoined} threads to finish: see \
             \"{HINT}\" in {README}."
        );
    } else if peak == 1 {
        println!("No race condition, and none could happen: the threads never ran at once.");
        println!(
            "`run_threads` joined each thread before starting the next: see \"{HINT}\" in \
             {README}."
        );
    } else if actual != expected_total {
        println!("!!! Race condition observed: The actual value is NOT what we expected. !!!");
        println!("This means threads interfered with each other's updates.");
    } else {
        println!(
            "No race condition observed this time. (Try running it again, it's often random!)"
        );
    }
}

/// How many threads `run_threads` left unjoined, and the most that were unjoined at once (1:
/// they never ran at the same time), as the facade `labkit::sync` counts them on real threads.
#[cfg(not(loom))]
fn thread_counts() -> (usize, usize) {
    use labkit::sync::probe;
    (probe::unjoined(), probe::peak_unjoined())
}

/// Under `--cfg loom` the facade counts nothing; the demo runs on real threads only (outside a
/// loom model, `run_threads` panics before this is reached).
#[cfg(loom)]
fn thread_counts() -> (usize, usize) {
    (0, 0)
}
