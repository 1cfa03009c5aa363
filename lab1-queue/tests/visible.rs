//! Visible tests of Lab 1.4 on real threads. Run them with `cargo test -p lab1-queue`.
#![cfg(not(loom))]

mod todo;

use std::sync::Arc;
use std::time::Duration;

use lab1_queue::TaskQueue;
use labkit::sync::probe;
use labkit::sync::thread::{self, JoinHandle};
use todo::is_todo;

/// How long a test gives a thread to go to sleep in a wait (it takes microseconds).
const ASLEEP: Duration = Duration::from_secs(3);

/// How long a test gives woken threads to return (they take microseconds).
const WOKEN: Duration = Duration::from_secs(5);

/// How many spurious wake-ups in a row a test makes a wait take: far more than any bounded
/// number of tries a wait could make before giving up.
const SPURIOUS: usize = 1000;

/// Whether every thread of `handles` stays blocked until `threads` more threads than `before`
/// wait in the queue: `false` as soon as they have all returned instead.
fn asleep<T>(before: usize, threads: usize, handles: &[&JoinHandle<T>]) -> bool {
    probe::asleep(before + threads, ASLEEP, || {
        handles.iter().all(|handle| handle.is_finished())
    })
}

/// Whether every thread of `handles` returns: `false` as soon as they are asleep with
/// nothing left to wake them, or after [`WOKEN`].
fn returns<T>(handles: &[&JoinHandle<T>]) -> bool {
    probe::returns(WOKEN, || handles.iter().all(|handle| handle.is_finished()))
}

/// Claims: 1, 3.
#[test]
fn items_come_out_in_the_order_they_went_in() {
    let _serial = probe::serial();
    let queue = TaskQueue::new();
    for i in 0..3 {
        queue.put(i);
    }
    assert_eq!(queue.len(), 3, "3 items put, none taken: `len` should be 3");
    assert!(
        !queue.is_empty(),
        "3 items wait, yet the queue says it is empty"
    );
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

/// Claims: 4, 5.
#[test]
fn join_returns_once_every_item_is_done() {
    let _serial = probe::serial();
    let queue = TaskQueue::new();
    queue.put("R1");
    queue.put("R2");
    queue.get();
    queue.task_done();
    queue.get();
    queue.task_done();
    queue.join();
}

/// Claims: 2.
#[test]
fn a_waiting_getter_receives_an_item_put_later() {
    let _serial = probe::serial();
    let queue = Arc::new(TaskQueue::new());
    let before = probe::waiting();
    let getter = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.get())
    };
    if !asleep(before, 1, &[&getter]) {
        if let Err(panic) = getter.join() {
            std::panic::resume_unwind(panic);
        }
        panic!(
            "`get` on an empty queue returned instead of waiting for an item: wait on a \
             condition variable while the queue is empty"
        );
    }
    queue.put(String::from("interface Loopback0"));
    assert!(
        returns(&[&getter]),
        "a thread asleep in `get` was never woken by `put` (a lost wake-up): notify the \
         condition variable (`notify_one`) after adding the item\n{}",
        probe::sleepers()
    );
    match getter.join() {
        Ok(item) => assert_eq!(item, "interface Loopback0"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Claims: 2.
#[test]
fn get_waits_again_after_a_spurious_wake_up() {
    let _serial = probe::serial();
    let queue = Arc::new(TaskQueue::new());
    let before = probe::waiting();
    // The next waits return at once with nothing put, as std allows any condition variable,
    // again and again.
    probe::wake_spuriously(SPURIOUS);
    let getter = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.get())
    };
    let waits_again = asleep(before, 1, &[&getter]);
    probe::wake_spuriously(0);
    if !waits_again {
        let outcome = getter.join();
        if let Err(panic) = outcome.as_ref()
            && is_todo(&**panic)
        {
            std::panic::resume_unwind(outcome.unwrap_err());
        }
        panic!(
            "`get` woke up with the queue still empty (a spurious wake-up, which std allows \
             any condition variable, up to {SPURIOUS} times in a row here) and {}: wait in a \
             loop, `while` the queue is empty (or `wait_while`), so that every wake-up checks \
             again, however many there are",
            match &outcome {
                Err(panic) => format!("then panicked (\"{}\")", todo::message(&**panic)),
                Ok(_) => "returned without waiting for an item".to_owned(),
            }
        );
    }
    queue.put(String::from("hostname R1"));
    assert!(
        returns(&[&getter]),
        "a thread asleep in `get` was never woken by `put` (a lost wake-up): notify the \
         condition variable (`notify_one`) after adding the item\n{}",
        probe::sleepers()
    );
    match getter.join() {
        Ok(item) => assert_eq!(item, "hostname R1"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Claims: 5.
#[test]
fn join_waits_again_after_a_spurious_wake_up() {
    let _serial = probe::serial();
    let queue = Arc::new(TaskQueue::new());
    queue.put("R1");
    queue.get();
    let before = probe::waiting();
    probe::wake_spuriously(SPURIOUS);
    let joiner = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.join())
    };
    let waits_again = asleep(before, 1, &[&joiner]);
    probe::wake_spuriously(0);
    assert!(
        waits_again,
        "`join` returned after spurious wake-ups (which std allows any condition variable, up \
         to {SPURIOUS} times in a row here) while one item was still not done: wait in a loop, \
         `while` items are unfinished (or `wait_while`), however many wake-ups there are"
    );
    queue.task_done();
    assert!(
        returns(&[&joiner]),
        "a thread asleep in `join` was never woken by the last `task_done` (a lost wake-up): \
         notify the condition variable when the count of unfinished items reaches 0\n{}",
        probe::sleepers()
    );
    if let Err(panic) = joiner.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Claims: 6.
#[test]
fn every_thread_in_join_is_woken_by_the_last_task_done() {
    let _serial = probe::serial();
    let queue = Arc::new(TaskQueue::new());
    queue.put("R1");
    queue.get();
    let before = probe::waiting();
    let joiners: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.join())
        })
        .collect();
    let both_asleep = asleep(before, 2, &[&joiners[0], &joiners[1]]);
    assert!(
        both_asleep,
        "`join` returned while an item taken with `get` was not yet marked done"
    );
    queue.task_done();
    returns(&[&joiners[0], &joiners[1]]);
    let woken = joiners.iter().filter(|joiner| joiner.is_finished()).count();
    assert_eq!(
        woken,
        2,
        "two threads were asleep in `join`, and the last `task_done` woke {woken} of them: \
         every thread in `join` must return, so wake them all (`notify_all`)\n{}",
        probe::sleepers()
    );
    for joiner in joiners {
        if let Err(panic) = joiner.join() {
            std::panic::resume_unwind(panic);
        }
    }
}
