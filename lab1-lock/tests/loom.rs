//! Loom models of Lab 1.2: prove, over every interleaving, that both locks lose no update (and
//! that `run_locked` really runs its threads concurrently) and that the spin lock never lets
//! two guards touch the value at once. Run with
//! `cargo loom -p lab1-lock`.
#![cfg(loom)]

use lab1_lock::{SpinLock, run_locked};
use labkit::sync::{Arc, thread};
use labkit::timeline;

/// Claims: 1, 2, 3.
#[test]
fn locked_counter_loses_no_update_in_any_interleaving() {
    // Counted outside the model (a std atomic, which loom does not see): how many
    // interleavings loom explored. Two threads that each take the lock have at least two.
    static EXPLORED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    timeline::model(|| {
        EXPLORED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let total = run_locked(2, 1);
        assert!(
            total <= 2,
            "two threads adding one each ended at {total}, above the 2 increments made: is the \
             total computed instead of counted? `run_locked` must return what its threads' \
             increments added up to"
        );
        assert_eq!(
            total, 2,
            "two threads adding one each ended at {total} in some interleaving: the read and \
             the write must happen under one lock"
        );
    });
    let explored = EXPLORED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        explored > 1,
        "loom found a single interleaving of `run_locked(2, 1)`, so nothing ran concurrently: \
         it must start `threads` threads (from `labkit::sync::thread`) that each call \
         `increment` through the shared counter, not compute the total"
    );
}

/// Claims: 6, 8, 9.
#[test]
fn spin_lock_is_exclusive_in_every_interleaving() {
    timeline::model(|| {
        let lock = Arc::new(SpinLock::new(0usize));
        let other = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                let mut value = lock.lock();
                let current = *value;
                *value = current + 1;
                timeline::note(format!("read {current}, wrote {}", current + 1));
            })
        };
        {
            let mut value = lock.lock();
            let current = *value;
            *value = current + 1;
            timeline::note(format!("read {current}, wrote {}", current + 1));
        }
        other.join().unwrap();
        let total = *lock.lock();
        assert_eq!(
            total, 2,
            "two threads adding one each behind the spin lock ended at {total}: two guards \
             were alive at once"
        );
    });
}

/// Adds one through a guard of the spin lock, noting what it read.
fn add_one(value: &mut usize) {
    let current = *value;
    *value = current + 1;
    timeline::note(format!("read {current}, wrote {}", current + 1));
}

/// Three contenders, one of which only tries: `try_lock` may take the lock only while no other
/// guard lives, and `lock` still waits for a free lock when a third thread is about.
///
/// Claims: 5, 6, 8.
#[test]
fn three_contenders_one_trying_never_hold_the_spin_lock_at_once() {
    // At most three preemptions: a thread taking the lock held by another needs one between
    // the holder's take and its release, and the bound is fixed, so every run explores the
    // same interleavings.
    timeline::model_bounded(3, || {
        let lock = Arc::new(SpinLock::new(0usize));
        let lockers: Vec<_> = (0..2)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || add_one(&mut lock.lock()))
            })
            .collect();
        let took = match lock.try_lock() {
            Some(mut value) => {
                add_one(&mut value);
                1
            }
            None => {
                timeline::note("try_lock found the lock held");
                0
            }
        };
        for locker in lockers {
            locker.join().unwrap();
        }
        let total = *lock.lock();
        assert_eq!(
            total,
            2 + took,
            "two threads locking and one trying ({}) added up to {total}: two guards were \
             alive at once",
            if took == 1 {
                "and taking it"
            } else {
                "and finding it held"
            }
        );
    });
}
