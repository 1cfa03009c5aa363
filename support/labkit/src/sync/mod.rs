//! The only place the labs take their concurrency primitives from: lab code names them as
//! `labkit::sync::...`. It is the grader's: the grader always uses its own copy of this crate,
//! so edits here are ignored when grading.
//!
//! On real threads these have std's API; built with `--cfg loom` (`cargo loom`) they are loom's,
//! so the same lab code runs on real threads and under the loom model checker. Lab code never
//! names `std::sync`, `std::thread`, `std::hint` or `std::cell` itself: anything that bypasses
//! this module escapes loom.
//!
//! What std allows but leaves to chance, the tests can steer here ([`probe`]), so that a
//! mistake fails on every run rather than when the scheduler happens to interleave badly:
//! - `Mutex` and `Condvar` are built on std's. A `Condvar` wakes exactly the waiters it is
//!   asked to, and wakes one spuriously (which std allows any condition variable to do) only
//!   when a test asks: a wait that does not re-check its condition in a loop, or a wake-up
//!   that reaches too few waiters, fails on every run. A test can also count the threads
//!   asleep in a wait or waiting for a lock, and make a thread hold a lock for a while.
//! - `AtomicBool::compare_exchange_weak` fails spuriously (as std allows) when a test asks.
//! - `thread::spawn` counts each thread until it is joined, so a test can see a function
//!   return before joining its threads, and a demo can see threads that never ran at the same
//!   time (at most one unjoined at once).
//! - A thread may start running at any moment after its `spawn`, as std allows: a test can
//!   hold every thread its code starts at its start and let them go one at a time, in spawn
//!   order (`probe::hold_starts`), so it chooses what each thread reads first.
//!
//! On real threads the facade also knows who waits for what, as Go's runtime does: each thread
//! it started (and each thread that uses it), the wait each is asleep in (a lock, a condition
//! variable, a join, a spin on an atomic that keeps its value, or a test's gate at its start)
//! at the caller's line, and the locks each holds. The moment every thread is asleep with none
//! left to wake another, a test's own thread (or a demo's `main`) panics with a report that
//! names each thread's wait, where, and what would end it: "deadlock: every thread is asleep,
//! and none is left to wake another", then a line per thread. It never fires while a thread
//! runs anywhere else (computing, sleeping, in a wait with a timeout, in a channel) or a
//! notification is still to be taken up. It sees only the threads that use the facade, so a
//! thread that works with the facade's primitives must be started by `labkit::sync::thread`
//! (every lab's tests do).
//!
//! Under loom, the facade adds what std has and loom lacks: `Condvar::wait_while` and
//! `wait_timeout_while`, `thread::scope`, and std's own `Arc` (`Arc::into_inner`,
//! `Arc<dyn Fn()>`). `thread::yield_now` and `hint::spin_loop` are hints, as on std: loom may
//! switch threads there or go on with the same one, and only a thread that yields again
//! without having written anything since (a wait loop) gets loom's own `yield_now`, which runs
//! another thread first, so that loom can tell a wait from an endless loop. Loom switches
//! threads only at an operation on something another thread also uses, and its release of a
//! mutex is none: the facade's `Mutex` gives loom such a point just before each release, so
//! that, as on real threads, another thread can find the lock held (a `try_lock` that fails,
//! a `lock` that waits) while its holder still runs. A `swap`, `fetch_or` or `fetch_and` of an
//! `AtomicBool` that leaves the value as it was is modelled as the load it amounts to, so that
//! loom can explore a lock that spins on `swap(true, ..)`. Its atomics, mutexes, condition
//! variables and `UnsafeCell` also record each step at the caller's line, and a failed model
//! run by [`crate::timeline::model`] prints those steps as a timeline.
//!
//! `tests/api.rs` uses every method of every type here once, and runs in both configurations:
//! what std has and one configuration lacks does not compile there. Its first lines list what
//! std has and the facade has in neither (`get_mut` of an atomic, which loom cannot give).
//!
//! The primitives on real threads, with the probes that steer them, are in `real`; the
//! loom-backed ones in `modelled`. This module holds what both share: the API's one surface,
//! and `AtomicBool`, a thin wrapper either way.

#[cfg(not(loom))]
mod real;

#[cfg(loom)]
mod modelled;

mod scope;

#[cfg(not(loom))]
pub use std::{
    hint,
    sync::{
        Arc, LockResult, PoisonError, TryLockError, TryLockResult,
        atomic::{AtomicUsize, Ordering},
    },
};

#[cfg(not(loom))]
pub use real::{Condvar, Mutex, MutexGuard, cell, probe, thread};

#[cfg(loom)]
pub use loom::sync::{LockResult, TryLockResult, atomic::Ordering};

// std's own `Arc` under loom too: `into_inner`, unsized coercions (`Arc<dyn Fn()>`) and the
// rest of std's API. The labs share values through it; none models a reference count.
#[cfg(loom)]
pub use std::sync::{Arc, PoisonError, TryLockError};

#[cfg(loom)]
pub use modelled::{AtomicUsize, Condvar, Mutex, MutexGuard, cell, hint, thread};

#[cfg(loom)]
use crate::timeline;

#[cfg(not(loom))]
use std::sync::atomic::AtomicBool as Inner;

#[cfg(loom)]
use loom::sync::atomic::AtomicBool as Inner;

/// A boolean shared between threads, with std's API; see the module's documentation.
#[derive(Debug, Default)]
pub struct AtomicBool {
    inner: Inner,
}

impl From<bool> for AtomicBool {
    fn from(value: bool) -> Self {
        Self::new(value)
    }
}

impl AtomicBool {
    /// An atomic holding `value`.
    pub fn new(value: bool) -> Self {
        Self {
            inner: Inner::new(value),
        }
    }

    /// The value, read with `order`.
    #[track_caller]
    pub fn load(&self, order: Ordering) -> bool {
        let value = self.inner.load(order);
        #[cfg(not(loom))]
        self.spun(true, value);
        #[cfg(loom)]
        recorded(format!("loaded {value}"), order, true, false);
        value
    }

    /// Writes `value` with `order`.
    #[track_caller]
    pub fn store(&self, value: bool, order: Ordering) {
        self.inner.store(value, order);
        #[cfg(not(loom))]
        self.spun(false, value);
        #[cfg(loom)]
        recorded(format!("stored {value}"), order, false, true);
    }

    /// Writes `value` and returns the value before, with `order`.
    #[track_caller]
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.spun_on(self.inner.swap(value, order), |_| value);
        #[cfg(loom)]
        self.write_unless_equal("swap", order, |_| value)
    }

    /// Writes `current | value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_or(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.spun_on(self.inner.fetch_or(value, order), |was| was | value);
        #[cfg(loom)]
        self.write_unless_equal("fetch_or", order, |current| current | value)
    }

    /// Writes `current & value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_and(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.spun_on(self.inner.fetch_and(value, order), |was| was & value);
        #[cfg(loom)]
        self.write_unless_equal("fetch_and", order, |current| current & value)
    }

    /// Writes `current ^ value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_xor(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.spun_on(self.inner.fetch_xor(value, order), |was| was ^ value);
        #[cfg(loom)]
        self.write_unless_equal("fetch_xor", order, |current| current ^ value)
    }

    /// Writes `!(current & value)` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_nand(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.spun_on(self.inner.fetch_nand(value, order), |was| !(was & value));
        #[cfg(loom)]
        self.write_unless_equal("fetch_nand", order, |current| !(current & value))
    }

    /// Writes `!current` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.fetch_xor(true, order)
    }

    /// Writes `f(value)` for as long as `f` returns `Some` and another thread changed the
    /// value in between; returns the value before, `Err` if `f` returned `None`.
    #[track_caller]
    pub fn fetch_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        mut f: F,
    ) -> Result<bool, bool>
    where
        F: FnMut(bool) -> Option<bool>,
    {
        let mut current = self.load(fetch_order);
        while let Some(new) = f(current) {
            match self.compare_exchange_weak(current, new, set_order, fetch_order) {
                Ok(before) => return Ok(before),
                Err(actual) => current = actual,
            }
        }
        Err(current)
    }

    /// Writes `new` if the value is `current`; returns the value before, `Ok` if it wrote.
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        let result = self.inner.compare_exchange(current, new, success, failure);
        #[cfg(not(loom))]
        self.spun_exchange(current, new, result);
        #[cfg(loom)]
        recorded_exchange("compare_exchange", current, new, result, success, failure);
        result
    }

    /// As [`compare_exchange`](Self::compare_exchange), but it may also fail, spuriously,
    /// when the value is `current`: call it in a loop.
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        #[cfg(not(loom))]
        if probe::take_spurious_failure() {
            return Err(self.inner.load(failure));
        }
        let result = self
            .inner
            .compare_exchange_weak(current, new, success, failure);
        #[cfg(not(loom))]
        self.spun_exchange(current, new, result);
        #[cfg(loom)]
        recorded_exchange(
            "compare_exchange_weak",
            current,
            new,
            result,
            success,
            failure,
        );
        result
    }

    /// The value, giving up the atomic.
    pub fn into_inner(self) -> bool {
        #[cfg(not(loom))]
        return self.inner.into_inner();
        #[cfg(loom)]
        self.inner.load(Ordering::SeqCst)
    }

    /// Tells the registry of waits of an operation at the caller's line that left the value
    /// as it was (`unchanged`), or not, and now holds `value`: many in a row are a spin.
    #[cfg(not(loom))]
    #[track_caller]
    fn spun(&self, unchanged: bool, value: bool) {
        let atomic = (self as *const Self).cast::<()>() as usize;
        let current = || self.inner.load(Ordering::SeqCst);
        real::spun(
            atomic,
            unchanged,
            value,
            std::panic::Location::caller(),
            current,
        );
    }

    /// [`spun`](Self::spun) for a read-modify-write that found `was` and wrote `next(was)`;
    /// `was`.
    #[cfg(not(loom))]
    #[track_caller]
    fn spun_on(&self, was: bool, next: impl Fn(bool) -> bool) -> bool {
        self.spun(next(was) == was, next(was));
        was
    }

    /// [`spun`](Self::spun) for a compare-exchange of `current` for `new`.
    #[cfg(not(loom))]
    #[track_caller]
    fn spun_exchange(&self, current: bool, new: bool, result: Result<bool, bool>) {
        match result {
            Ok(_) => self.spun(current == new, new),
            Err(actual) => self.spun(true, actual),
        }
    }

    /// A read-modify-write, `operation`, that writes `next(current)` with `order`, modelled
    /// as a load (with `order`'s reading half) when that leaves the value as it was.
    #[cfg(loom)]
    #[track_caller]
    fn write_unless_equal(
        &self,
        operation: &str,
        order: Ordering,
        next: impl Fn(bool) -> bool,
    ) -> bool {
        let reading = match order {
            Ordering::Release => Ordering::Relaxed,
            Ordering::AcqRel => Ordering::Acquire,
            order => order,
        };
        loop {
            let current = self.inner.load(reading);
            if next(current) == current {
                recorded(
                    format!("{operation}: was {current}, left {current}"),
                    reading,
                    true,
                    false,
                );
                return current;
            }
            if self
                .inner
                .compare_exchange(current, next(current), order, reading)
                .is_ok()
            {
                recorded(
                    format!("{operation}: {current} → {}", next(current)),
                    order,
                    true,
                    true,
                );
                return current;
            }
        }
    }
}

/// Records an atomic step of the caller on the model's timeline.
#[cfg(loom)]
#[track_caller]
fn recorded(what: String, ordering: Ordering, reads: bool, writes: bool) {
    if writes {
        modelled::thread::progressed();
    }
    timeline::record(
        std::panic::Location::caller(),
        timeline::Action::Atomic {
            what,
            ordering,
            reads,
            writes,
        },
    );
}

/// Records a compare-exchange of the caller on the model's timeline, with the ordering of
/// the half that took effect.
#[cfg(loom)]
#[track_caller]
fn recorded_exchange<T: std::fmt::Display>(
    operation: &str,
    current: T,
    new: T,
    result: Result<T, T>,
    success: Ordering,
    failure: Ordering,
) {
    match result {
        Ok(_) => recorded(
            format!("{operation} {current} → {new} succeeded"),
            success,
            true,
            true,
        ),
        Err(actual) => recorded(
            format!("{operation} {current} → {new} failed: it was {actual}"),
            failure,
            true,
            false,
        ),
    }
}

/// Whether a timed wait gave up, as `std::sync::WaitTimeoutResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time was up.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}
