//! Lab 1.4: thread-safe communication with a queue.
//!
//! A producer puts configuration tasks on a queue; workers take them off and apply them. The
//! queue is built here from a `Mutex` and two `Condvar`s, with the contract of Python's
//! `queue.Queue`: `put`, a blocking `get`, `task_done`, and a `join` that waits until every
//! item ever put has been marked done.

// What the stub leaves unused until you fill in its `todo!()`s carries an `#[expect(..)]`:
// once your code uses it, the compiler warns that the expectation is unfulfilled, and you
// delete that attribute.

use std::collections::VecDeque;

#[expect(unused_imports, reason = "delete this once your code uses it")]
use labkit::sync::{Arc, thread};
use labkit::sync::{Condvar, Mutex, MutexGuard};

/// The seed's `num_tasks_to_produce`.
pub const NUM_TASKS: usize = 10;

/// The seed's `num_workers`.
pub const NUM_WORKERS: usize = 3;

/// The seed's configuration task number `i`: a loopback interface and its address.
pub fn loopback_config(i: usize) -> String {
    format!("interface Loopback{i}\n ip address 10.0.0.{i} 255.255.255.255")
}

/// A first-in, first-out queue shared between threads.
///
/// Contract: every item put is returned by exactly one `get`, in the order put; `get` waits
/// while the queue is empty; `join` returns only once `task_done` has been called as many
/// times as `put` (an item counts as unfinished from its `put` to its `task_done`).
#[derive(Debug)]
#[expect(dead_code, reason = "delete this once your code uses it")]
pub struct TaskQueue<T> {
    state: Mutex<QueueState<T>>,
    item_added: Condvar,
    all_done: Condvar,
}

/// What the queue's lock protects.
#[derive(Debug)]
#[expect(dead_code, reason = "delete this once your code uses it")]
struct QueueState<T> {
    items: VecDeque<T>,
    unfinished: usize,
}

impl<T> TaskQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(QueueState {
                items: VecDeque::new(),
                unfinished: 0,
            }),
            item_added: Condvar::new(),
            all_done: Condvar::new(),
        }
    }

    /// The queue's state, locked.
    #[expect(dead_code, reason = "delete this once your code uses it")]
    fn state(&self) -> MutexGuard<'_, QueueState<T>> {
        self.state
            .lock()
            .expect("a thread panicked while holding the queue's lock")
    }

    /// Adds `item` at the back and wakes one thread waiting in [`get`](Self::get).
    pub fn put(&self, item: T) {
        // TODO(1.4): under the lock, push the item and count it as unfinished; wake a getter.
        let _ = item;
        todo!("TaskQueue::put")
    }

    /// Removes and returns the item at the front, waiting while the queue is empty.
    pub fn get(&self) -> T {
        // TODO(1.4): under the lock, pop the front item; while there is none, wait on
        // `item_added` (and check again after waking: another getter may have been first).
        todo!("TaskQueue::get")
    }

    /// Marks one item taken with [`get`](Self::get) as done; wakes every thread in
    /// [`join`](Self::join) when it was the last unfinished one.
    ///
    /// # Panics
    /// When called more times than items were put, as Python's `task_done` raises.
    pub fn task_done(&self) {
        // TODO(1.4): under the lock, count one item finished (panic if none was unfinished);
        // when none is left, wake every thread waiting in `join`.
        todo!("TaskQueue::task_done")
    }

    /// Waits until every item put so far has been marked done with
    /// [`task_done`](Self::task_done).
    pub fn join(&self) {
        // TODO(1.4): under the lock, wait on `all_done` while any item is unfinished.
        todo!("TaskQueue::join")
    }

    /// How many items are waiting in the queue right now (taken ones do not count).
    pub fn len(&self) -> usize {
        // TODO(1.4): the number of waiting items, read under the lock.
        todo!("TaskQueue::len")
    }

    /// Whether no item is waiting in the queue right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Default for TaskQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The seed's worker: takes tasks until it gets the stop signal `None`, calling `apply` with
/// its id and each task, and marks every item it takes done, the stop signal included.
/// Returns how many tasks it applied.
pub fn worker<F>(worker_id: usize, queue: &TaskQueue<Option<String>>, apply: &F) -> usize
where
    F: Fn(usize, &str),
{
    // TODO(1.4): loop: `get` a task; on `None` print the seed's line
    // "[Worker {worker_id}] Received stop signal. Exiting.", mark it done and return;
    // otherwise `apply` it and mark it done.
    let _ = (worker_id, queue, apply);
    todo!("worker")
}

/// Runs the seed's pipeline: starts `num_workers` workers (ids from 1), then a producer that
/// puts [`loopback_config`] 0 to `num_tasks - 1` on the queue, calling `after_put` after each;
/// once the producer is done, puts one stop signal per worker, waits with `join` until every
/// item is done, and joins the workers.
///
/// Returns how many tasks each worker applied, by worker id order. Contract: every task is
/// applied exactly once, by one worker; every worker has exited when this returns.
pub fn run_pipeline<P, F>(
    num_tasks: usize,
    num_workers: usize,
    after_put: P,
    apply: F,
) -> Vec<usize>
where
    P: Fn(&str) + Send + 'static,
    F: Fn(usize, &str) + Send + Sync + 'static,
{
    // TODO(1.4): start the workers first, then the producer (print
    // "[Producer] Finished adding tasks." when it is done); join the producer, put one `None`
    // per worker, `join` the queue, join the workers.
    let _ = (num_tasks, num_workers, after_put, apply);
    todo!("run_pipeline")
}
