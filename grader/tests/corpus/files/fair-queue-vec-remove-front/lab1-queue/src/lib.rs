//! Lab 1.4: thread-safe communication with a queue.
//!
//! A producer puts configuration tasks on a queue; workers take them off and apply them. The
//! queue is built here from a `Mutex` and two `Condvar`s, with the contract of Python's
//! `queue.Queue`: `put`, a blocking `get`, `task_done`, and a `join` that waits until every
//! item ever put has been marked done.

use labkit::sync::{Arc, Condvar, Mutex, MutexGuard, thread};

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
pub struct TaskQueue<T> {
    state: Mutex<QueueState<T>>,
    item_added: Condvar,
    all_done: Condvar,
}

/// What the queue's lock protects.
#[derive(Debug)]
struct QueueState<T> {
    items: Vec<T>,
    unfinished: usize,
}

impl<T> TaskQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(QueueState {
                items: Vec::new(),
                unfinished: 0,
            }),
            item_added: Condvar::new(),
            all_done: Condvar::new(),
        }
    }

    /// The queue's state, locked.
    fn state(&self) -> MutexGuard<'_, QueueState<T>> {
        self.state
            .lock()
            .expect("a thread panicked while holding the queue's lock")
    }

    /// Adds `item` at the back and wakes one thread waiting in [`get`](Self::get).
    pub fn put(&self, item: T) {
        let mut state = self.state();
        state.items.push(item);
        state.unfinished += 1;
        self.item_added.notify_one();
    }

    /// Removes and returns the item at the front, waiting while the queue is empty.
    pub fn get(&self) -> T {
        let mut state = self.state();
        while state.items.is_empty() {
            state = self
                .item_added
                .wait(state)
                .expect("a thread panicked while holding the queue's lock");
        }
        state.items.remove(0)
    }

    /// Marks one item taken with [`get`](Self::get) as done; wakes every thread in
    /// [`join`](Self::join) when it was the last unfinished one.
    ///
    /// # Panics
    /// When called more times than items were put, as Python's `task_done` raises.
    pub fn task_done(&self) {
        let mut state = self.state();
        assert!(
            state.unfinished > 0,
            "task_done() called more times than items were put"
        );
        state.unfinished -= 1;
        if state.unfinished == 0 {
            self.all_done.notify_all();
        }
    }

    /// Waits until every item put so far has been marked done with
    /// [`task_done`](Self::task_done).
    pub fn join(&self) {
        let mut state = self.state();
        while state.unfinished > 0 {
            state = self
                .all_done
                .wait(state)
                .expect("a thread panicked while holding the queue's lock");
        }
    }

    /// How many items are waiting in the queue right now (taken ones do not count).
    pub fn len(&self) -> usize {
        self.state().items.len()
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
    let mut applied = 0;
    while let Some(task) = queue.get() {
        apply(worker_id, &task);
        applied += 1;
        queue.task_done();
    }
    println!("[Worker {worker_id}] Received stop signal. Exiting.");
    queue.task_done();
    applied
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
    let queue = Arc::new(TaskQueue::new());
    let apply = Arc::new(apply);
    let workers: Vec<_> = (1..=num_workers)
        .map(|worker_id| {
            let queue = Arc::clone(&queue);
            let apply = Arc::clone(&apply);
            thread::spawn(move || worker(worker_id, &queue, &*apply))
        })
        .collect();
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for i in 0..num_tasks {
                let task = loopback_config(i);
                queue.put(Some(task.clone()));
                after_put(&task);
            }
            println!("[Producer] Finished adding tasks.");
        })
    };
    producer.join().expect("the producer panicked");
    for _ in 0..num_workers {
        queue.put(None);
    }
    queue.join();
    workers
        .into_iter()
        .map(|worker| worker.join().expect("a worker panicked"))
        .collect()
}
