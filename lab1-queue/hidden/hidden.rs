//! Hidden tests of Lab 1.4: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

#[path = "../tests/todo/mod.rs"]
mod todo;

use labkit::sync::thread;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab1_queue::{TaskQueue, worker};
use labkit::sync::probe;
use todo::is_todo;

/// Claims: 5.
#[test]
fn join_on_a_queue_that_never_had_items_returns() {
    let queue: TaskQueue<u8> = TaskQueue::new();
    queue.join();
    assert!(queue.is_empty());
}

/// Claims: 4.
#[test]
fn task_done_without_an_item_panics() {
    let queue: TaskQueue<u8> = TaskQueue::new();
    let outcome = std::panic::catch_unwind(|| queue.task_done());
    match outcome {
        Ok(()) => {
            panic!("`task_done` with no unfinished item must panic, as Python's raises ValueError")
        }
        // A `todo!()` still to fill in is not the panic asked for.
        Err(panic) if is_todo(&*panic) => std::panic::resume_unwind(panic),
        Err(_) => {}
    }
}

/// Claims: 7.
#[test]
fn a_worker_stops_at_the_signal_and_marks_it_done() {
    let queue = TaskQueue::new();
    queue.put(Some(String::from("hostname R1")));
    queue.put(None);
    queue.put(Some(String::from("left for another worker")));
    let seen = Mutex::new(Vec::new());
    let applied = worker(7, &queue, &|id, task: &str| {
        seen.lock().unwrap().push((id, task.to_owned()))
    });
    assert_eq!(
        applied, 1,
        "the worker should apply the one task before the stop signal"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(7, String::from("hostname R1"))]
    );
    assert_eq!(
        queue.len(),
        1,
        "the worker must stop at the signal, leaving what follows"
    );
    queue.get();
    queue.task_done();
    queue.join();
}

/// Claims: 5.
#[test]
fn join_waits_for_the_last_task_done() {
    let queue = Arc::new(TaskQueue::new());
    queue.put(1);
    queue.get();
    let before = probe::waiting();
    let joiner = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.join())
    };
    probe::asleep(before + 1, Duration::from_secs(3), || joiner.is_finished());
    let returned_early = joiner.is_finished();
    queue.task_done();
    joiner.join().unwrap();
    assert!(
        !returned_early,
        "`join` returned before the only taken item was marked done"
    );
}
