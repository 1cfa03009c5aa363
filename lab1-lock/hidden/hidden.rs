//! Hidden tests of Lab 1.2: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::Arc;
use std::time::Duration;

use lab1_lock::{SpinLock, run_locked};
use labkit::sync::probe;

/// Asserts that `work` counted `total`, exactly the `made` increments it made, and otherwise
/// says which way it is off and where to look.
#[track_caller]
fn assert_counted(work: &str, total: usize, made: usize) {
    assert!(
        total >= made,
        "{work} gave {total}: lost {} updates. Is the read and the write inside one critical \
         section (one `lock()` held for both), and does `run_locked` join every thread before \
         reading? `cargo loom -p lab1-lock` \
         shows, step by step, an interleaving that loses one",
        made - total
    );
    assert!(
        total == made,
        "{work} gave {total}: counted {} more than were made. Is the total computed instead of \
         counted (a fixed answer, or a formula)? It must be what the threads' increments added \
         up to, one per `increment`",
        total - made
    );
}

/// Claims: 3.
#[test]
fn no_threads_count_nothing() {
    let total = run_locked(0, 100);
    assert_eq!(
        probe::unjoined(),
        0,
        "no threads were asked for, yet some were left unjoined"
    );
    assert_counted("0 threads x 100 increments", total, 0);
}

/// Claims: 2, 3.
#[test]
fn many_threads_are_all_joined() {
    let total = run_locked(8, 0);
    let left = probe::unjoined();
    assert_eq!(
        left, 0,
        "`run_locked(8, 0)` returned leaving {left} of its 8 threads unjoined: join every \
         handle before reading the counter"
    );
    assert_counted("8 threads x 0 increments", total, 0);
}

/// Claims: 4, 5.
#[test]
fn another_thread_cannot_take_a_held_spin_lock() {
    let lock = Arc::new(SpinLock::new(()));
    let guard = lock.lock();
    let other = Arc::clone(&lock);
    let got_it = thread::spawn(move || other.try_lock().is_some())
        .join()
        .unwrap();
    assert!(
        !got_it,
        "another thread took the spin lock while a guard was alive"
    );
    drop(guard);
    let other = Arc::clone(&lock);
    let got_it = thread::spawn(move || other.try_lock().is_some())
        .join()
        .unwrap();
    assert!(
        got_it,
        "another thread could not take the spin lock after it was released"
    );
}

/// Claims: 7.
#[test]
fn a_panicking_holder_still_releases_the_spin_lock() {
    let lock = Arc::new(SpinLock::new(0));
    let holder = Arc::clone(&lock);
    let outcome = thread::spawn(move || {
        let _guard = holder.lock();
        panic!("the holder fails while holding the lock");
    })
    .join();
    assert!(outcome.is_err());
    assert!(
        lock.try_lock().is_some(),
        "the lock stayed taken after its holder panicked: release it in the guard's `Drop`, \
         which runs during unwinding too"
    );
}

/// The lock stays held while the waiter spins for it a hundred thousand times (a few
/// milliseconds), more than any short wait could give: `lock` waits for as long as it takes,
/// never gives up and never takes a lock that is held, and gets it once it is released.
///
/// Claims: 6, 7.
#[test]
fn a_waiting_thread_gets_the_lock_once_released() {
    const STEPS: usize = 100_000;
    let lock = Arc::new(SpinLock::new(0));
    let guard = lock.lock();
    let waiter = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || *lock.lock() += 1)
    };
    // Held until the waiter has spun STEPS times, or returned.
    let kept_waiting = probe::spins(STEPS, Duration::from_secs(3), || waiter.is_finished());
    drop(guard);
    let outcome = waiter.join();
    assert!(
        kept_waiting,
        "`lock` returned{} while another thread held the lock, before it had spun {STEPS} \
         times: `lock` waits for as long as the lock is held, however long, and returns only \
         once it has taken the lock (no bounded number of tries)",
        if outcome.is_err() { ", panicking," } else { "" }
    );
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(*lock.lock(), 1, "the waiter's write was lost");
}
