//! Visible tests of Lab 1.1 on real threads. Run them with `cargo test -p lab1-race`.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use lab1_race::{RacyCounter, run_threads};
use labkit::sync::{Condvar, Mutex, probe};

/// Runs `run_threads(threads, iterations, pause)` and checks that it joined every thread it
/// started, so that what it returns was counted by threads that have all finished.
#[track_caller]
fn run_and_join<P>(threads: usize, iterations: usize, pause: P) -> usize
where
    P: Fn() + Send + Sync + 'static,
{
    let total = run_threads(threads, iterations, pause);
    let left = probe::unjoined();
    assert_eq!(
        left, 0,
        "`run_threads({threads}, {iterations}, ..)` returned leaving {left} of its threads \
         unjoined: join every handle (`handle.join()`) before reading the counter, or the \
         value is read while threads are still counting"
    );
    total
}

/// Claims: 3, 5, 7.
#[test]
fn one_thread_counts_every_increment() {
    let total = run_and_join(1, 1000, || {});
    assert_eq!(
        total, 1000,
        "one thread alone cannot race, so 1000 increments must give 1000, got {total}: \
         does `increment` store the value it read plus one, and does `run_threads` run \
         `iterations` increments per thread?"
    );
}

/// Claims: 1, 2, 3.
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
///
/// Claims: 1, 2, 3.
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

/// Every thread pauses, at its first pause, until all of them are inside a pause at once,
/// which only threads that run at the same time can do. `run_threads` runs on a thread of its
/// own while the test watches the meeting: threads run one after another leave every thread
/// asleep, and the test says so at once.
///
/// Claims: 4, 6, 7.
#[test]
fn run_threads_runs_its_threads_at_the_same_time() {
    const THREADS: usize = 4;
    /// How long threads may wait at the meeting with no other arriving, while some other
    /// thread still runs.
    const PATIENCE: Duration = Duration::from_secs(3);
    thread_local!(static ARRIVED: Cell<bool> = const { Cell::new(false) });
    let meeting = Arc::new((Mutex::new(0usize), Condvar::new()));
    let arrivals = Arc::new(AtomicUsize::new(0));
    let arriving = Arc::clone(&arrivals);
    let runner = thread::spawn(move || {
        run_and_join(THREADS, 250, move || {
            if ARRIVED.with(|arrived| arrived.replace(true)) {
                return;
            }
            let (arrived, all_in) = &*meeting;
            let mut arrived = arrived.lock().unwrap();
            *arrived += 1;
            arriving.store(*arrived, Ordering::SeqCst);
            all_in.notify_all();
            let _all_in = all_in.wait_while(arrived, |n| *n < THREADS).unwrap();
        })
    });
    let arrived = || arrivals.load(Ordering::SeqCst);
    assert!(
        probe::watch_for(
            PATIENCE,
            || arrived() == THREADS || runner.is_finished(),
            || (arrived() > 0).then(arrived)
        ),
        "only {} of {THREADS} threads ever reached their first pause, and each waits there for \
         the others: the threads do not run at the same time. Start every thread first, then \
         join them all; joining each one right after starting it runs them one after \
         another, and nothing can race\n{}",
        arrived(),
        probe::sleepers()
    );
    let total = runner
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    assert!(
        total <= THREADS * 250,
        "4 threads x 250 increments gave {total}: it can be less than 1000 (lost updates are \
         the point of this lab) but never more"
    );
}
