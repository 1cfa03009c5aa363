//! Demo of Lab 1.3, as the seed runs it: ten threads connect to ten fake devices, at most
//! three at a time, each connection taking a random 1 to 3 seconds.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use lab1_semaphore::{MAX_CONCURRENT_CONNECTIONS, connect_all, device_ips};
use rand::RngExt;

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab1-semaphore/README.md";

fn main() {
    stop_at_todo();
    println!("\n--- Limiting Concurrent Connections with a Semaphore ---");
    connect_all(device_ips(), MAX_CONCURRENT_CONNECTIONS, |connection| {
        println!(
            "[{}] Acquiring connection to {}. Active slots: {}",
            connection.thread_name, connection.device_ip, connection.free_slots
        );
        let connection_time = rand::rng().random_range(1.0..3.0);
        thread::sleep(Duration::from_secs_f64(connection_time));
        println!(
            "[{}] Finished connection to {}. Releasing slot.",
            connection.thread_name, connection.device_ip
        );
    });
    println!("\nAll simulated network connections completed.");
}

/// Ends the demo at the first `todo!()` it reaches, in any thread, with the function to fill in
/// and where [`README`] helps, in place of Rust's panic message; other panics are reported as
/// usual.
fn stop_at_todo() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or_default();
        let Some(function) = message.strip_prefix("not yet implemented") else {
            return report(info);
        };
        // One explanation, even when several threads reach a `todo!()` at once.
        static FIRST: Mutex<()> = Mutex::new(());
        let _first = FIRST.lock().unwrap_or_else(PoisonError::into_inner);
        let what = match function.strip_prefix(": ") {
            Some(name) => format!("`{name}` is not yet implemented: fill in its"),
            None => "This is not yet implemented: fill in the".to_owned(),
        };
        let at = info.location().map_or_else(String::new, |at| {
            format!(" at {}:{}:{}", at.file(), at.line(), at.column())
        });
        eprintln!("{what} `todo!()`{at}.");
        eprintln!("See \"Your task\" and \"Hints\" in {README}.");
        std::process::exit(101);
    }));
}
