//! The steps of the loom iteration running now, as the facade's primitives record them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::sync::atomic::Ordering;

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// An atomic operation: what it did (`swap false → true`), with its ordering, and whether
    /// it read and wrote the atomic.
    Atomic {
        /// The operation and the values it saw and wrote.
        what: String,
        /// Its memory ordering (of the half that took effect).
        ordering: Ordering,
        /// Whether it read the atomic (so could acquire).
        reads: bool,
        /// Whether it wrote the atomic (so could release).
        writes: bool,
    },
    /// Access to the value inside an `UnsafeCell` began.
    UsedValue,
    /// A `Mutex` was taken; `lock` tells the mutexes of a model apart.
    TookLock {
        /// The mutex (its address).
        lock: usize,
    },
    /// A `try_lock` found the `Mutex` held by another thread.
    FoundLockHeld {
        /// The mutex (its address).
        lock: usize,
    },
    /// A `Mutex` was released.
    ReleasedLock {
        /// The mutex (its address).
        lock: usize,
    },
    /// A thread gave its lock back and slept on a condition variable.
    Waits,
    /// A thread sleeping on a condition variable woke and took its lock back.
    Woken,
    /// A condition variable was notified (`all`: every waiter).
    Notified {
        /// `notify_all` rather than `notify_one`.
        all: bool,
    },
    /// A step in the test's own words.
    Note(String),
}

/// One recorded step.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) thread: usize,
    pub(super) at: &'static Location<'static>,
    pub(super) action: Action,
}

/// A thread blocked where the facade can see it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Blocked {
    Lock(&'static Location<'static>),
    Condvar(&'static Location<'static>),
}

/// The recording of the iteration running now, and the first panic of the run.
#[derive(Debug, Default)]
pub(super) struct Recording {
    /// Whether a model of this module is running on this thread.
    pub(super) active: bool,
    pub(super) steps: Vec<Step>,
    pub(super) blocked: BTreeMap<usize, Blocked>,
    pub(super) panic: Option<(String, String)>,
    /// Where the test called [`model`] or [`model_bounded`]: the lab to replay it in.
    pub(super) model_at: Option<&'static Location<'static>>,
}

thread_local! {
    // Loom runs every thread of a model on the test's own thread, one at a time.
    pub(super) static RECORDING: RefCell<Recording> = RefCell::new(Recording::default());
}

/// Records that the current loom thread did `action` at `at`; nothing outside a model of this
/// module, or while a panic unwinds.
pub(crate) fn record(at: &'static Location<'static>, action: Action) {
    if std::thread::panicking() || !RECORDING.with(|r| r.borrow().active) {
        return;
    }
    let thread = current_thread();
    RECORDING.with(|r| {
        let mut r = r.borrow_mut();
        if matches!(action, Action::TookLock { .. } | Action::Woken) {
            r.blocked.remove(&thread);
        }
        r.steps.push(Step { thread, at, action });
    });
}

/// Records that the current loom thread is about to block on a lock taken at `at` (`lock`)
/// or in a wait at `at`, until [`record`] sees it take the lock or wake.
pub(crate) fn blocking(at: &'static Location<'static>, on_lock: bool) {
    if std::thread::panicking() || !RECORDING.with(|r| r.borrow().active) {
        return;
    }
    let thread = current_thread();
    let blocked = if on_lock {
        Blocked::Lock(at)
    } else {
        Blocked::Condvar(at)
    };
    RECORDING.with(|r| r.borrow_mut().blocked.insert(thread, blocked));
}

/// The loom thread running now: 0 for the model's main thread, then 1, 2, ... in spawn order.
pub(super) fn current_thread() -> usize {
    let id = format!("{:?}", loom::thread::current().id());
    id.trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .unwrap_or(usize::MAX)
}
