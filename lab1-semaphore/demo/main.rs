//! Demo of Lab 1.3, as the seed runs it: ten threads connect to ten fake devices, at most
//! three at a time, each connection taking a random 1 to 3 seconds.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use std::time::Duration;

use lab1_semaphore::{MAX_CONCURRENT_CONNECTIONS, connect_all, device_ips};
use rand::RngExt;

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab1-semaphore/README.md";

fn main() {
    labkit::todo_stop::stop_at_todo(README);
    println!("\n--- Limiting Concurrent Connections with a Semaphore ---");
    connect_all(device_ips(), MAX_CONCURRENT_CONNECTIONS, |connection| {
        println!(
            "[{}] Acquiring connection to {}. Active slots: {}",
            connection.thread_name, connection.device_ip, connection.free_slots
        );
        let connection_time = rand::rng().random_range(1.0..3.0);
        std::thread::sleep(Duration::from_secs_f64(connection_time));
        println!(
            "[{}] Finished connection to {}. Releasing slot.",
            connection.thread_name, connection.device_ip
        );
    });
    println!("\nAll simulated network connections completed.");
}
