//! Demo of Lab 1.1, as the seed runs it: 5 threads each add one to a shared counter 10 000
//! times, pausing 10 microseconds between reading the value and writing it back.

use std::time::Duration;

use lab1_race::{ITERATIONS_PER_THREAD, NUM_THREADS, run_threads};

/// The seed's `time.sleep(0.00001)`: the window in which another thread can get in.
const PAUSE: Duration = Duration::from_micros(10);

fn main() {
    println!("--- Observing a Race Condition ---");
    let expected_total = NUM_THREADS * ITERATIONS_PER_THREAD;
    println!("If all threads worked perfectly, the counter should be: {expected_total}");

    let actual = run_threads(NUM_THREADS, ITERATIONS_PER_THREAD, || {
        std::thread::sleep(PAUSE)
    });

    println!("Actual final counter value:   {actual}");
    if actual != expected_total {
        println!("!!! Race condition observed: The actual value is NOT what we expected. !!!");
        println!("This means threads interfered with each other's updates.");
    } else {
        println!(
            "No race condition observed this time. (Try running it again, it's often random!)"
        );
    }
}
