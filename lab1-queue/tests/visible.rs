//! Visible tests of Lab 1.4 on real threads. Run them with `cargo test -p lab1-queue`.
#![cfg(not(loom))]

use std::sync::{Arc, Mutex};
use std::thread;

use lab1_queue::{NUM_TASKS, NUM_WORKERS, TaskQueue, loopback_config, run_pipeline};

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let queue = TaskQueue::new();
    for i in 0..3 {
        queue.put(i);
    }
    assert_eq!(queue.len(), 3, "3 items put, none taken: `len` should be 3");
    let taken: Vec<i32> = (0..3).map(|_| queue.get()).collect();
    assert_eq!(
        taken,
        vec![0, 1, 2],
        "a queue is first in, first out: take from the front, put at the back"
    );
    assert!(
        queue.is_empty(),
        "every item was taken, yet the queue is not empty"
    );
}

#[test]
fn join_returns_once_every_item_is_done() {
    let queue = TaskQueue::new();
    queue.put("R1");
    queue.put("R2");
    queue.get();
    queue.task_done();
    queue.get();
    queue.task_done();
    queue.join();
}

#[test]
fn a_waiting_getter_receives_an_item_put_later() {
    let queue = Arc::new(TaskQueue::new());
    let getter = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.get())
    };
    queue.put(String::from("interface Loopback0"));
    match getter.join() {
        Ok(item) => assert_eq!(item, "interface Loopback0"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[test]
fn the_seed_pipeline_applies_every_task_exactly_once() {
    let applied = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&applied);
    let per_worker = run_pipeline(
        NUM_TASKS,
        NUM_WORKERS,
        |_| {},
        move |worker_id, task: &str| log.lock().unwrap().push((worker_id, task.to_owned())),
    );
    let mut applied = applied.lock().unwrap().clone();
    assert_eq!(
        per_worker.len(),
        NUM_WORKERS,
        "`run_pipeline` should report one count per worker, every worker having exited"
    );
    assert_eq!(
        per_worker.iter().sum::<usize>(),
        NUM_TASKS,
        "the workers report {per_worker:?} tasks applied, not {NUM_TASKS} in all"
    );
    assert!(
        applied.iter().all(|(id, _)| (1..=NUM_WORKERS).contains(id)),
        "worker ids should run from 1 to {NUM_WORKERS}"
    );
    applied.sort_by(|a, b| a.1.cmp(&b.1));
    let mut tasks: Vec<String> = applied.into_iter().map(|(_, task)| task).collect();
    tasks.dedup();
    let mut expected: Vec<String> = (0..NUM_TASKS).map(loopback_config).collect();
    expected.sort();
    assert_eq!(
        tasks, expected,
        "every configuration must be applied exactly once: one missing means an item was \
         lost, one twice means two workers got the same item"
    );
}
