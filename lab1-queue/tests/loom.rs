//! Loom model of Lab 1.4: a producer (the main thread) puts one item, starts two workers, and
//! puts a second while they run; each worker takes one item, applies it and marks it done,
//! and the producer joins the queue. Proves, over every
//! interleaving, that each item is applied exactly once, that no worker waits forever (loom
//! fails a model in which every thread is blocked), and that `join` never returns before the
//! last item is done; and that `run_pipeline` applies each task exactly once and returns each
//! worker's count. Run with
//! `cargo loom -p lab1-queue`.
#![cfg(loom)]

// A plain std atomic: the count is checked, not explored; the worker yields to loom before
// applying, so other threads may run between taking an item and applying it.
use std::sync::atomic::{AtomicUsize, Ordering};

use lab1_queue::TaskQueue;
use labkit::sync::{Arc, thread};
use labkit::timeline;

/// The bit an item sets when applied: applying one twice carries into the next bit, and shows.
fn bit(item: char) -> usize {
    if item == 'a' { 1 } else { 4 }
}

/// Claims: 1, 2, 5.
#[test]
fn two_workers_apply_two_items_exactly_once() {
    // At most four preemptions: an item taken twice or lost needs one preemption in each
    // worker between looking and taking, so four leaves room to spare, and the model takes
    // under half a second where every interleaving takes seconds (paid again for every
    // submission graded). The bound is fixed: every run explores the same.
    timeline::model_bounded(4, || {
        let queue = Arc::new(TaskQueue::new());
        queue.put('a');
        let applied = std::sync::Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let applied = std::sync::Arc::clone(&applied);
                thread::spawn(move || {
                    let item = queue.get();
                    loom::thread::yield_now();
                    applied.fetch_add(bit(item), Ordering::SeqCst);
                    queue.task_done();
                })
            })
            .collect();
        queue.put('b');
        queue.join();
        let seen = applied.load(Ordering::SeqCst);
        assert_eq!(
            seen, 5,
            "`join` returned when items were applied as {seen:#b} (want 0b101, each of the two \
             items once): it returned early, or an item was lost or given to two workers"
        );
        for worker in workers {
            worker.join().unwrap();
        }
    });
}

/// Claims: 5, 7.
#[test]
fn join_never_returns_before_a_workers_task_is_applied() {
    timeline::model(|| {
        let queue = Arc::new(TaskQueue::new());
        queue.put(Some(String::from("hostname R1")));
        let applied = std::sync::Arc::new(AtomicUsize::new(0));
        let worker = {
            let queue = Arc::clone(&queue);
            let applied = std::sync::Arc::clone(&applied);
            thread::spawn(move || {
                lab1_queue::worker(1, &queue, &|_, _: &str| {
                    loom::thread::yield_now();
                    applied.fetch_add(1, Ordering::SeqCst);
                })
            })
        };
        queue.join();
        let seen = applied.load(Ordering::SeqCst);
        // The stop signal only now, so that `join` above waited for the task alone.
        queue.put(None);
        assert_eq!(
            seen, 1,
            "in some interleaving `join` returned before the worker had applied its task: \
             `join` must wait until every item put has been marked done (not merely taken off \
             the queue), and the worker must call `task_done` after `apply`, never before, or \
             `join` says \"done\" while the work is still going on"
        );
        let applied = worker.join().unwrap();
        assert_eq!(
            applied, 1,
            "the worker applied one task, then took the stop signal, and returned {applied}: \
             `worker` returns how many tasks it applied, and the stop signal is not a task"
        );
    });
}

/// Claims: 8.
#[test]
fn the_producer_reports_a_task_only_once_it_is_on_the_queue() {
    // Counted outside the model: whether, in some interleaving, the worker applied the task
    // before the producer reported it, which a task reported only after its `put` allows.
    static APPLIED_FIRST: AtomicUsize = AtomicUsize::new(0);
    timeline::model_bounded(2, || {
        let applied = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&applied);
        lab1_queue::run_pipeline(
            1,
            1,
            move |_| {
                // Lets the worker run here, between the producer's `put` and its report.
                loom::thread::yield_now();
                if seen.load(Ordering::SeqCst) == 1 {
                    APPLIED_FIRST.fetch_add(1, Ordering::SeqCst);
                }
            },
            move |_, _| {
                applied.fetch_add(1, Ordering::SeqCst);
            },
        );
    });
    assert!(
        APPLIED_FIRST.load(Ordering::SeqCst) > 0,
        "in no interleaving was the task applied before the producer reported it: the producer \
         reports (`after_put`) each task before putting it on the queue. Put it first, then \
         report it, as the seed prints \"Added\" after `put`"
    );
}

/// Claims: 8, 9.
#[test]
fn the_pipeline_applies_each_task_once_and_counts_it_for_its_worker() {
    // At most one preemption: each mistake of the corpus this model catches (an item lost or
    // given to two workers, the stop signal counted as a task, `std::sync` in place of the
    // facade) shows with one, and the queue's own mistakes have the models above. Two took
    // 1.3 s of 0.6 s user and 0.7 s system time (loom maps a stack for every thread of every
    // run), paid again for every submission graded; one takes 0.03 s. The bound is fixed:
    // every run explores the same.
    timeline::model_bounded(1, || {
        // Plain std locking: what was applied is recorded, not explored.
        let applied = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&applied);
        let per_worker = lab1_queue::run_pipeline(
            2,
            2,
            |_| {},
            move |worker, task: &str| log.lock().unwrap().push((worker, task.to_owned())),
        );
        let applied = applied.lock().unwrap().clone();
        assert_eq!(
            per_worker.len(),
            2,
            "`run_pipeline(2, 2, ..)` returned {per_worker:?}: it should return one count per \
             worker, in worker id order"
        );
        for id in 1..=2 {
            let by_worker = applied.iter().filter(|(worker, _)| *worker == id).count();
            assert_eq!(
                per_worker[id - 1],
                by_worker,
                "worker {id} applied {by_worker} tasks but `run_pipeline` counts {}: return \
                 how many tasks each worker applied, by worker id",
                per_worker[id - 1]
            );
        }
        let mut tasks: Vec<String> = applied.into_iter().map(|(_, task)| task).collect();
        tasks.sort();
        assert_eq!(
            tasks,
            [
                lab1_queue::loopback_config(0),
                lab1_queue::loopback_config(1)
            ],
            "the workers applied these tasks: each of the producer's tasks, `loopback_config(i)` \
             for i in 0..2, must be applied exactly once before `run_pipeline` returns"
        );
    });
}
