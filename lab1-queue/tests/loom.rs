//! Loom model of Lab 1.4: a producer (the main thread) puts one item, starts two workers, and
//! puts a second while they run; each worker takes one item, applies it and marks it done,
//! and the producer joins the queue. Proves, over every
//! interleaving, that each item is applied exactly once, that no worker waits forever (loom
//! fails a model in which every thread is blocked), and that `join` never returns before the
//! last item is done. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release -p lab1-queue --test loom`.
#![cfg(loom)]

// A plain std atomic: the count is checked, not explored; the worker yields to loom before
// applying, so other threads may run between taking an item and applying it.
use std::sync::atomic::{AtomicUsize, Ordering};

use lab1_queue::TaskQueue;
use lab1_queue::sync::{Arc, thread};

/// The bit an item sets when applied: applying one twice carries into the next bit, and shows.
fn bit(item: char) -> usize {
    if item == 'a' { 1 } else { 4 }
}

#[test]
fn two_workers_apply_two_items_exactly_once() {
    loom::model(|| {
        let queue = Arc::new(TaskQueue::new());
        queue.put('a');
        let applied = std::sync::Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let applied = std::sync::Arc::clone(&applied);
                thread::spawn(move || {
                    let item = queue.get();
                    thread::yield_now();
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
