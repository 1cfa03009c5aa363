//! Demo of Lab 1.4, as the seed runs it: a producer puts 10 loopback configurations on the
//! queue, 0.1 s apart; 3 workers apply them, 0.5 to 1.5 s each; one stop signal per worker.
//!
//! This file is the grader's: the grader always uses its own copy, so edits here are never
//! graded (change it freely to experiment).

use std::time::Duration;

use lab1_queue::{NUM_TASKS, NUM_WORKERS, run_pipeline};
use rand::RngExt;

/// The seed's `time.sleep(0.1)` after each task the producer puts.
const PRODUCER_PAUSE: Duration = Duration::from_millis(100);

/// A task's lines the way the seed prints them (Python's `str.splitlines()` list).
fn lines(task: &str) -> String {
    let quoted: Vec<String> = task.lines().map(|line| format!("'{line}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The lab's README, relative to the workspace: its task and its hints.
const README: &str = "lab1-queue/README.md";

fn main() {
    labkit::todo_stop::stop_at_todo(README);
    println!("\n--- Thread-Safe Communication with a Queue ---");
    run_pipeline(
        NUM_TASKS,
        NUM_WORKERS,
        |task| {
            println!("[Producer] Added: {}...", lines(task));
            std::thread::sleep(PRODUCER_PAUSE);
        },
        |worker_id, task| {
            println!("[Worker {worker_id}] Processing: {}...", lines(task));
            let apply_time = rand::rng().random_range(0.5..1.5);
            std::thread::sleep(Duration::from_secs_f64(apply_time));
            println!("[Worker {worker_id}] Finished: {}...", lines(task));
        },
    );
    println!("\nAll configuration tasks completed via queue.");
}
