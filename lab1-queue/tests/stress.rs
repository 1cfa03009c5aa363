//! Stress tests of Lab 1.4 on real threads: they catch a mistake only when the scheduler
//! happens to interleave the threads badly, so the grader shows what they find as advice and
//! gives them no points (the visible tests and the loom models check the same claims on every
//! run). `cargo test -p lab1-queue` runs them with the visible tests.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lab1_queue::{NUM_TASKS, NUM_WORKERS, TaskQueue, loopback_config, run_pipeline};

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
         lost, one twice means two workers got the same item. `cargo loom -p lab1-queue` \
         shows, step by step, an interleaving that \
         does it"
    );
}

#[test]
fn many_producers_and_getters_lose_nothing() {
    let queue = Arc::new(TaskQueue::new());
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (0..200).for_each(|i| queue.put(p * 1000 + i)))
        })
        .collect();
    let total = Arc::new(AtomicUsize::new(0));
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let total = Arc::clone(&total);
            thread::spawn(move || {
                for _ in 0..200 {
                    total.fetch_add(queue.get(), Ordering::SeqCst);
                    queue.task_done();
                }
            })
        })
        .collect();
    for handle in producers.into_iter().chain(getters) {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    queue.join();
    let expected: usize = (0..3)
        .map(|p| (0..200).map(|i| p * 1000 + i).sum::<usize>())
        .sum();
    assert_eq!(
        total.load(Ordering::SeqCst),
        expected,
        "the 600 items taken do not add up to the 600 put: items were lost or duplicated. \
         `cargo loom -p lab1-queue` shows, step \
         by step, an interleaving that does it"
    );
}

#[test]
fn one_worker_applies_everything_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let per_worker = run_pipeline(
        4,
        1,
        |_| {},
        move |_, task: &str| log.lock().unwrap().push(task.to_owned()),
    );
    assert_eq!(per_worker, vec![4]);
    let expected: Vec<String> = (0..4).map(loopback_config).collect();
    assert_eq!(
        *seen.lock().unwrap(),
        expected,
        "one worker sees the tasks in the order put"
    );
}

#[test]
fn the_producer_reports_each_task_after_putting_it() {
    let reported = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&reported);
    run_pipeline(
        3,
        2,
        move |task| log.lock().unwrap().push(task.to_owned()),
        |_, _| {},
    );
    let expected: Vec<String> = (0..3).map(loopback_config).collect();
    assert_eq!(*reported.lock().unwrap(), expected);
}
