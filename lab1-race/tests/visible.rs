//! Visible tests of Lab 1.1 on real threads. Run them with `cargo test -p lab1-race`.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use lab1_race::{RacyCounter, run_threads};

#[test]
fn one_thread_counts_every_increment() {
    let total = run_threads(1, 1000, || {});
    assert_eq!(
        total, 1000,
        "one thread alone cannot race, so 1000 increments must give 1000, got {total}: \
         does `increment` store the value it read plus one, and does `run_threads` run \
         `iterations` increments per thread?"
    );
}

#[test]
fn increment_writes_after_the_pause() {
    let counter = RacyCounter::new();
    counter.increment(|| {});
    let seen_during_pause = AtomicUsize::new(usize::MAX);
    counter.increment(|| seen_during_pause.store(counter.get(), Ordering::SeqCst));
    let seen = seen_during_pause.load(Ordering::SeqCst);
    assert_ne!(
        seen,
        usize::MAX,
        "`increment` never called `pause`: call it between the read and the write"
    );
    assert_eq!(
        seen, 1,
        "during `pause` the counter already read {seen} instead of the old value 1: \
         `pause` must come after the read and before the write"
    );
    assert_eq!(
        counter.get(),
        2,
        "two increments of a fresh counter gave {}, not 2",
        counter.get()
    );
}

/// Forces the interleaving that loses an update: thread A reads, then waits inside its pause
/// until thread B has done a whole increment; A then writes back its stale value.
#[test]
fn a_write_between_read_and_write_is_lost() {
    let counter = Arc::new(RacyCounter::new());
    let (a_has_read, b_may_start) = mpsc::channel::<()>();
    let (b_has_written, a_may_write) = mpsc::channel::<()>();

    let a = {
        let counter = Arc::clone(&counter);
        thread::spawn(move || {
            counter.increment(move || {
                a_has_read.send(()).unwrap();
                a_may_write
                    .recv()
                    .expect("thread B ended without incrementing");
            })
        })
    };
    if b_may_start.recv().is_err() {
        // Thread A ended without pausing: re-raise its panic, or say what it skipped.
        match a.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("thread A never reached its pause: does `increment` call `pause`?"),
        }
    }
    counter.increment(|| {});
    b_has_written.send(()).unwrap();
    a.join().expect("thread A panicked");

    let total = counter.get();
    assert_eq!(
        total, 1,
        "two increments interleaved as read(A), increment(B), write(A) should lose B's update \
         and leave 1, got {total}: the lab's counter must read, pause, then write what it read \
         plus one (no `fetch_add`)"
    );
}

#[test]
fn run_threads_waits_for_every_thread() {
    let pauses = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&pauses);
    let total = run_threads(4, 250, move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let pauses = pauses.load(Ordering::SeqCst);
    assert_eq!(
        pauses, 1000,
        "4 threads x 250 increments should have paused 1000 times by the time `run_threads` \
         returned, saw {pauses}: start every thread and join every handle before reading the \
         counter"
    );
    assert!(
        (1..=1000).contains(&total),
        "4 threads x 250 increments gave {total}: it can be less than 1000 (lost updates are \
         the point of this lab) but never more, and never 0"
    );
}
