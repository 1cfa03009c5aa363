//! Hidden tests of Lab 1.1: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use lab1_race::{ITERATIONS_PER_THREAD, RacyCounter, run_threads};
use labkit::sync::probe;

/// Claims: 6, 7.
#[test]
fn zero_threads_count_nothing() {
    let total = run_threads(0, 10, || {});
    assert_eq!(
        probe::unjoined(),
        0,
        "no threads were asked for, yet some were left unjoined"
    );
    assert_eq!(
        total, 0,
        "no threads should leave the counter at 0, got {total}"
    );
}

/// Claims: 2, 5, 6.
#[test]
fn the_seed_workload_alone_counts_every_increment() {
    // Alone, a thread loses nothing: an increment that adds more than one shows here on every
    // run, not only when too few updates happen to be lost.
    let pauses = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&pauses);
    let alone = run_threads(1, ITERATIONS_PER_THREAD, move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let left = probe::unjoined();
    assert_eq!(
        left, 0,
        "`run_threads` returned leaving {left} thread unjoined: join every handle before \
         reading the counter"
    );
    assert_eq!(
        pauses.load(Ordering::SeqCst),
        ITERATIONS_PER_THREAD,
        "every one of the {ITERATIONS_PER_THREAD} increments must pause exactly once"
    );
    assert_eq!(
        alone, ITERATIONS_PER_THREAD,
        "one thread alone ended at {alone} after {ITERATIONS_PER_THREAD} increments: each \
         increment must add exactly one"
    );
}

/// Two whole increments by other threads land inside one thread's window: both are lost.
///
/// Claims: 1, 3.
#[test]
fn two_writes_inside_one_window_are_both_lost() {
    let counter = Arc::new(RacyCounter::new());
    let (has_read, may_go) = mpsc::channel::<()>();
    let (others_done, may_write) = mpsc::channel::<()>();
    let slow = {
        let counter = Arc::clone(&counter);
        thread::spawn(move || {
            counter.increment(move || {
                has_read.send(()).unwrap();
                may_write.recv().unwrap();
            })
        })
    };
    if may_go.recv().is_err() {
        match slow.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => {
                panic!("the slow thread never reached its pause: does `increment` call `pause`?")
            }
        }
    }
    for _ in 0..2 {
        let counter = Arc::clone(&counter);
        thread::spawn(move || counter.increment(|| {}))
            .join()
            .unwrap();
    }
    assert_eq!(
        counter.get(),
        2,
        "two full increments should have written 2"
    );
    others_done.send(()).unwrap();
    slow.join().unwrap();
    let total = counter.get();
    assert_eq!(
        total, 1,
        "the slow thread read 0 before two other increments, so its write should set 1 and \
         lose both, got {total}: write back the value read before the pause, plus one"
    );
}

/// Claims: 3.
#[test]
fn increments_add_exactly_one_each() {
    let counter = RacyCounter::new();
    for _ in 0..37 {
        counter.increment(|| {});
    }
    assert_eq!(
        counter.get(),
        37,
        "37 increments on one thread gave {}",
        counter.get()
    );
}
