//! The only place the labs take their concurrency primitives from: one file, which every
//! Lab 1 crate uses as its `src/sync.rs`. It is the grader's file: the grader always uses its
//! own copy, so edits here are ignored when grading.
//!
//! On real threads these have std's API; built with `RUSTFLAGS="--cfg loom"` they are loom's,
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
//!
//! Under loom, the facade adds what std has and loom lacks: `Condvar::wait_while` and
//! `wait_timeout_while`, and `thread::scope`. A `swap`, `fetch_or` or `fetch_and` of an
//! `AtomicBool` that leaves the value as it was is modelled as the load it amounts to, so that
//! loom can explore a lock that spins on `swap(true, ..)`. Its atomics, mutexes, condition
//! variables and `UnsafeCell` also record each step at the caller's line, and a failed model
//! run by [`timeline::model`] prints those steps as a timeline (`src/timeline.rs`).

#[cfg(not(loom))]
pub use std::{
    hint,
    sync::{
        Arc, LockResult, PoisonError, TryLockError, TryLockResult,
        atomic::{AtomicUsize, Ordering},
    },
};

#[cfg(not(loom))]
pub use exact::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub use loom::{
    hint,
    sync::{Arc, LockResult, TryLockResult, atomic::Ordering},
};

#[cfg(loom)]
pub use modelled::AtomicUsize;

#[cfg(loom)]
pub use std::sync::{PoisonError, TryLockError};

#[cfg(loom)]
pub use modelled::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
#[path = "timeline.rs"]
pub mod timeline;

#[cfg(not(loom))]
use std::sync::atomic::AtomicBool as Inner;

#[cfg(loom)]
use loom::sync::atomic::AtomicBool as Inner;

/// A boolean shared between threads, with std's API; see the module's documentation.
#[derive(Debug)]
pub struct AtomicBool {
    inner: Inner,
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
        #[cfg(loom)]
        recorded(format!("loaded {value}"), order, true, false);
        value
    }

    /// Writes `value` with `order`.
    #[track_caller]
    pub fn store(&self, value: bool, order: Ordering) {
        self.inner.store(value, order);
        #[cfg(loom)]
        recorded(format!("stored {value}"), order, false, true);
    }

    /// Writes `value` and returns the value before, with `order`.
    #[track_caller]
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.inner.swap(value, order);
        #[cfg(loom)]
        self.write_unless_equal("swap", order, |_| value)
    }

    /// Writes `current | value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_or(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.inner.fetch_or(value, order);
        #[cfg(loom)]
        self.write_unless_equal("fetch_or", order, |current| current | value)
    }

    /// Writes `current & value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_and(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.inner.fetch_and(value, order);
        #[cfg(loom)]
        self.write_unless_equal("fetch_and", order, |current| current & value)
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

/// std's `Mutex` and `Condvar` API on real threads, with exact wake-ups (see the module).
#[cfg(not(loom))]
mod exact {
    use std::collections::VecDeque;
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult};
    use std::time::{Duration, Instant};

    use super::{WaitTimeoutResult, probe};

    /// A mutual-exclusion lock, as `std::sync::Mutex`.
    #[derive(Default)]
    pub struct Mutex<T: ?Sized> {
        inner: std::sync::Mutex<T>,
    }

    /// The lock of a [`Mutex`], held until dropped, as `std::sync::MutexGuard`.
    pub struct MutexGuard<'a, T: ?Sized> {
        mutex: &'a Mutex<T>,
        inner: std::sync::MutexGuard<'a, T>,
    }

    impl<T> Mutex<T> {
        /// An unlocked mutex holding `value`.
        pub const fn new(value: T) -> Self {
            Self {
                inner: std::sync::Mutex::new(value),
            }
        }

        /// The value, giving up the mutex.
        pub fn into_inner(self) -> LockResult<T> {
            self.inner.into_inner()
        }
    }

    impl<T: ?Sized> Mutex<T> {
        /// Waits until the lock is free and takes it.
        pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
            let locked = {
                let _contending = probe::Contending::enter();
                self.inner.lock()
            };
            let guard = match locked {
                Ok(inner) => Ok(MutexGuard { mutex: self, inner }),
                Err(poisoned) => Err(PoisonError::new(MutexGuard {
                    mutex: self,
                    inner: poisoned.into_inner(),
                })),
            };
            probe::linger_if_asked();
            guard
        }

        /// Takes the lock if it is free right now.
        pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
            match self.inner.try_lock() {
                Ok(inner) => Ok(MutexGuard { mutex: self, inner }),
                Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
                Err(TryLockError::Poisoned(poisoned)) => {
                    Err(TryLockError::Poisoned(PoisonError::new(MutexGuard {
                        mutex: self,
                        inner: poisoned.into_inner(),
                    })))
                }
            }
        }

        /// The value, through a unique borrow of the mutex.
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.inner.get_mut()
        }

        /// Whether a thread panicked while holding the lock.
        pub fn is_poisoned(&self) -> bool {
            self.inner.is_poisoned()
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    impl<T: ?Sized> Deref for MutexGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            &self.inner
        }
    }

    impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.inner
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    /// One waiter's wake-up call.
    #[derive(Default)]
    struct Token {
        woken: std::sync::Mutex<bool>,
        call: std::sync::Condvar,
    }

    impl Token {
        fn wake(&self) {
            *self.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
            self.call.notify_one();
        }
    }

    /// A condition variable, as `std::sync::Condvar`, that wakes exactly the waiters it is
    /// asked to (and one spuriously when a test asks, see [`probe`]).
    #[derive(Default)]
    pub struct Condvar {
        waiters: std::sync::Mutex<VecDeque<Arc<Token>>>,
    }

    impl fmt::Debug for Condvar {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Condvar").finish_non_exhaustive()
        }
    }

    impl Condvar {
        /// A condition variable no thread waits on.
        pub const fn new() -> Self {
            Self {
                waiters: std::sync::Mutex::new(VecDeque::new()),
            }
        }

        fn waiters(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Token>>> {
            self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Gives the lock back, sleeps until notified (or woken spuriously), and takes the
        /// lock again: the caller must re-check its condition, in a loop.
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
            self.wait_timeout(guard, Duration::MAX)
                .map(|(guard, _)| guard)
                .map_err(|poisoned| PoisonError::new(poisoned.into_inner().0))
        }

        /// Waits for as long as `condition` holds, re-checking it after every wake-up.
        pub fn wait_while<'a, T, F>(
            &self,
            mut guard: MutexGuard<'a, T>,
            mut condition: F,
        ) -> LockResult<MutexGuard<'a, T>>
        where
            F: FnMut(&mut T) -> bool,
        {
            while condition(&mut *guard) {
                guard = self.wait(guard)?;
            }
            Ok(guard)
        }

        /// As [`wait`](Self::wait), for at most `timeout`.
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            timeout: Duration,
        ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
            if probe::take_spurious_wakeup() {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let MutexGuard { mutex, inner } = guard;
            let token = Arc::new(Token::default());
            // Registered while the lock is still held: whoever takes it next and notifies
            // finds this waiter.
            self.waiters().push_back(Arc::clone(&token));
            let waiting = probe::Waiting::enter();
            drop(inner);
            let deadline = Instant::now().checked_add(timeout);
            let mut woken = token.woken.lock().unwrap_or_else(PoisonError::into_inner);
            while !*woken {
                let left = deadline.map(|at| at.saturating_duration_since(Instant::now()));
                if left.is_some_and(|left| left.is_zero()) {
                    break;
                }
                woken = match left {
                    None => token
                        .call
                        .wait(woken)
                        .unwrap_or_else(PoisonError::into_inner),
                    Some(left) => {
                        let waited = token.call.wait_timeout(woken, left);
                        waited.unwrap_or_else(PoisonError::into_inner).0
                    }
                };
            }
            let timed_out = !*woken;
            drop(woken);
            if timed_out {
                self.waiters().retain(|other| !Arc::ptr_eq(other, &token));
            }
            drop(waiting);
            let result = WaitTimeoutResult(timed_out);
            match mutex.lock() {
                Ok(guard) => Ok((guard, result)),
                Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), result))),
            }
        }

        /// As [`wait_while`](Self::wait_while), for at most `timeout` in all.
        pub fn wait_timeout_while<'a, T, F>(
            &self,
            mut guard: MutexGuard<'a, T>,
            timeout: Duration,
            mut condition: F,
        ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
        where
            F: FnMut(&mut T) -> bool,
        {
            let deadline = Instant::now().checked_add(timeout);
            while condition(&mut *guard) {
                let left = deadline.map_or(Duration::MAX, |at| {
                    at.saturating_duration_since(Instant::now())
                });
                let (next, result) = self.wait_timeout(guard, left)?;
                guard = next;
                if result.timed_out() {
                    let timed_out = condition(&mut *guard);
                    return Ok((guard, WaitTimeoutResult(timed_out)));
                }
            }
            Ok((guard, WaitTimeoutResult(false)))
        }

        /// Wakes the thread that has waited longest on this condition variable, if any.
        pub fn notify_one(&self) {
            let first = self.waiters().pop_front();
            if let Some(token) = first {
                token.wake();
            }
        }

        /// Wakes every thread waiting on this condition variable.
        pub fn notify_all(&self) {
            let all = std::mem::take(&mut *self.waiters());
            for token in all {
                token.wake();
            }
        }
    }
}

/// loom's `Condvar`, with the rest of std's API on top.
#[cfg(loom)]
mod modelled {
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::panic::Location;
    use std::sync::{PoisonError, TryLockError};
    use std::time::Duration;

    use loom::sync::{LockResult, TryLockResult};

    use super::timeline::{self, Action};
    use super::{Ordering, WaitTimeoutResult};

    /// An unsigned integer shared between threads, with std's API, on loom's, whose
    /// operations go on the model's timeline.
    #[derive(Debug, Default)]
    pub struct AtomicUsize {
        inner: loom::sync::atomic::AtomicUsize,
    }

    /// Records an operation on an `AtomicUsize` that read (`before`) and perhaps wrote.
    #[track_caller]
    fn recorded(what: String, ordering: Ordering, writes: bool) {
        super::recorded(what, ordering, true, writes);
    }

    impl AtomicUsize {
        /// An atomic holding `value`.
        #[track_caller]
        pub fn new(value: usize) -> Self {
            Self {
                inner: loom::sync::atomic::AtomicUsize::new(value),
            }
        }

        /// The value, read with `order`.
        #[track_caller]
        pub fn load(&self, order: Ordering) -> usize {
            let value = self.inner.load(order);
            recorded(format!("loaded {value}"), order, false);
            value
        }

        /// Writes `value` with `order`.
        #[track_caller]
        pub fn store(&self, value: usize, order: Ordering) {
            self.inner.store(value, order);
            super::recorded(format!("stored {value}"), order, false, true);
        }

        /// Writes `value` and returns the value before, with `order`.
        #[track_caller]
        pub fn swap(&self, value: usize, order: Ordering) -> usize {
            self.changed("swap", order, |a| a.swap(value, order), |_| value)
        }

        /// Adds `value` and returns the value before, with `order`.
        #[track_caller]
        pub fn fetch_add(&self, value: usize, order: Ordering) -> usize {
            let add = |before: usize| before.wrapping_add(value);
            self.changed("fetch_add", order, |a| a.fetch_add(value, order), add)
        }

        /// Subtracts `value` and returns the value before, with `order`.
        #[track_caller]
        pub fn fetch_sub(&self, value: usize, order: Ordering) -> usize {
            let sub = |before: usize| before.wrapping_sub(value);
            self.changed("fetch_sub", order, |a| a.fetch_sub(value, order), sub)
        }

        /// Writes the larger of the value and `value`; returns the value before.
        #[track_caller]
        pub fn fetch_max(&self, value: usize, order: Ordering) -> usize {
            let max = |before: usize| before.max(value);
            self.changed("fetch_max", order, |a| a.fetch_max(value, order), max)
        }

        /// Writes the smaller of the value and `value`; returns the value before.
        #[track_caller]
        pub fn fetch_min(&self, value: usize, order: Ordering) -> usize {
            let min = |before: usize| before.min(value);
            self.changed("fetch_min", order, |a| a.fetch_min(value, order), min)
        }

        /// Runs the read-modify-write `apply`, records it as `operation` from the value before
        /// to `after(before)`, and returns the value before.
        #[track_caller]
        fn changed(
            &self,
            operation: &str,
            order: Ordering,
            apply: impl FnOnce(&loom::sync::atomic::AtomicUsize) -> usize,
            after: impl FnOnce(usize) -> usize,
        ) -> usize {
            let before = apply(&self.inner);
            let text = format!("{operation}: {before} → {}", after(before));
            recorded(text, order, true);
            before
        }

        /// Writes `new` if the value is `current`; returns the value before, `Ok` if it
        /// wrote.
        #[track_caller]
        pub fn compare_exchange(
            &self,
            current: usize,
            new: usize,
            success: Ordering,
            failure: Ordering,
        ) -> Result<usize, usize> {
            let result = self.inner.compare_exchange(current, new, success, failure);
            super::recorded_exchange("compare_exchange", current, new, result, success, failure);
            result
        }

        /// As [`compare_exchange`](Self::compare_exchange), but it may also fail, spuriously.
        #[track_caller]
        pub fn compare_exchange_weak(
            &self,
            current: usize,
            new: usize,
            success: Ordering,
            failure: Ordering,
        ) -> Result<usize, usize> {
            let result = self
                .inner
                .compare_exchange_weak(current, new, success, failure);
            super::recorded_exchange(
                "compare_exchange_weak",
                current,
                new,
                result,
                success,
                failure,
            );
            result
        }

        /// Writes `f(value)` for as long as `f` returns `Some` and another thread changed the
        /// value in between; returns the value before, `Err` if `f` returned `None`.
        #[track_caller]
        pub fn fetch_update<F>(
            &self,
            set_order: Ordering,
            fetch_order: Ordering,
            mut f: F,
        ) -> Result<usize, usize>
        where
            F: FnMut(usize) -> Option<usize>,
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

        /// The value, giving up the atomic.
        pub fn into_inner(self) -> usize {
            self.inner.into_inner()
        }
    }

    /// A mutual-exclusion lock with std's API, on loom's, whose steps go on the model's
    /// timeline.
    #[derive(Default)]
    pub struct Mutex<T: ?Sized> {
        inner: loom::sync::Mutex<T>,
    }

    /// The lock of a [`Mutex`], held until dropped.
    pub struct MutexGuard<'a, T: ?Sized> {
        /// Always `Some`, but while a [`Condvar`] wait has given the lock back.
        inner: Option<loom::sync::MutexGuard<'a, T>>,
        taken_at: &'static Location<'static>,
        /// The mutex (its address), as the timeline names it.
        lock: usize,
    }

    impl<T> Mutex<T> {
        /// An unlocked mutex holding `value`.
        pub fn new(value: T) -> Self {
            Self {
                inner: loom::sync::Mutex::new(value),
            }
        }

        /// The value, giving up the mutex.
        pub fn into_inner(self) -> LockResult<T> {
            self.inner.into_inner()
        }
    }

    impl<T: ?Sized> Mutex<T> {
        /// Waits until the lock is free and takes it.
        #[track_caller]
        pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
            let at = Location::caller();
            timeline::blocking(at, true);
            let locked = self.inner.lock();
            timeline::record(at, Action::TookLock { lock: self.id() });
            guarded(locked, at, self.id())
        }

        /// Takes the lock if it is free right now.
        #[track_caller]
        pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
            let at = Location::caller();
            match self.inner.try_lock() {
                Ok(inner) => {
                    timeline::record(at, Action::TookLock { lock: self.id() });
                    Ok(MutexGuard::new(inner, at, self.id()))
                }
                Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
                Err(TryLockError::Poisoned(poisoned)) => {
                    timeline::record(at, Action::TookLock { lock: self.id() });
                    Err(TryLockError::Poisoned(PoisonError::new(MutexGuard::new(
                        poisoned.into_inner(),
                        at,
                        self.id(),
                    ))))
                }
            }
        }

        /// The value, through a unique borrow of the mutex.
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.inner.get_mut()
        }

        /// The mutex, as the timeline tells it from the model's others.
        fn id(&self) -> usize {
            (&raw const self.inner).cast::<()>() as usize
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.fmt(f)
        }
    }

    /// Our guard around loom's, poisoned as loom's was.
    fn guarded<'a, T: ?Sized>(
        locked: LockResult<loom::sync::MutexGuard<'a, T>>,
        at: &'static Location<'static>,
        lock: usize,
    ) -> LockResult<MutexGuard<'a, T>> {
        match locked {
            Ok(inner) => Ok(MutexGuard::new(inner, at, lock)),
            Err(poisoned) => Err(PoisonError::new(MutexGuard::new(
                poisoned.into_inner(),
                at,
                lock,
            ))),
        }
    }

    impl<'a, T: ?Sized> MutexGuard<'a, T> {
        fn new(
            inner: loom::sync::MutexGuard<'a, T>,
            taken_at: &'static Location<'static>,
            lock: usize,
        ) -> Self {
            Self {
                inner: Some(inner),
                taken_at,
                lock,
            }
        }

        /// Loom's guard, taken out for a wait: dropping `self` then records no release.
        fn take(mut self) -> loom::sync::MutexGuard<'a, T> {
            self.inner.take().expect("a guard holds its lock")
        }
    }

    impl<T: ?Sized> Deref for MutexGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            self.inner.as_ref().expect("a guard holds its lock")
        }
    }

    impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.inner.as_mut().expect("a guard holds its lock")
        }
    }

    impl<T: ?Sized> Drop for MutexGuard<'_, T> {
        fn drop(&mut self) {
            if let Some(inner) = self.inner.take() {
                drop(inner);
                timeline::record(self.taken_at, Action::ReleasedLock { lock: self.lock });
            }
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (**self).fmt(f)
        }
    }

    /// A condition variable with std's API, on loom's (which never wakes spuriously and
    /// never times out), whose steps go on the model's timeline.
    #[derive(Debug, Default)]
    pub struct Condvar {
        inner: loom::sync::Condvar,
    }

    impl Condvar {
        /// A condition variable no thread waits on.
        pub fn new() -> Self {
            Self {
                inner: loom::sync::Condvar::new(),
            }
        }

        /// Gives the lock back, sleeps until notified, and takes the lock again.
        #[track_caller]
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
            let at = Location::caller();
            let (taken_at, lock) = (guard.taken_at, guard.lock);
            timeline::record(at, Action::Waits);
            timeline::blocking(at, false);
            let woken = self.inner.wait(guard.take());
            timeline::record(at, Action::Woken);
            guarded(woken, taken_at, lock)
        }

        /// Waits for as long as `condition` holds, re-checking it after every wake-up.
        #[track_caller]
        pub fn wait_while<'a, T, F>(
            &self,
            mut guard: MutexGuard<'a, T>,
            mut condition: F,
        ) -> LockResult<MutexGuard<'a, T>>
        where
            F: FnMut(&mut T) -> bool,
        {
            while condition(&mut *guard) {
                guard = self.wait(guard)?;
            }
            Ok(guard)
        }

        /// As [`wait`](Self::wait); under loom it never times out.
        #[track_caller]
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Duration,
        ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
            match self.wait(guard) {
                Ok(guard) => Ok((guard, WaitTimeoutResult(false))),
                Err(poisoned) => Err(PoisonError::new((
                    poisoned.into_inner(),
                    WaitTimeoutResult(false),
                ))),
            }
        }

        /// As [`wait_while`](Self::wait_while); under loom it never times out.
        #[track_caller]
        pub fn wait_timeout_while<'a, T, F>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Duration,
            condition: F,
        ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
        where
            F: FnMut(&mut T) -> bool,
        {
            match self.wait_while(guard, condition) {
                Ok(guard) => Ok((guard, WaitTimeoutResult(false))),
                Err(poisoned) => Err(PoisonError::new((
                    poisoned.into_inner(),
                    WaitTimeoutResult(false),
                ))),
            }
        }

        /// Wakes one thread waiting on this condition variable, if any.
        #[track_caller]
        pub fn notify_one(&self) {
            self.inner.notify_one();
            timeline::record(Location::caller(), Action::Notified { all: false });
        }

        /// Wakes every thread waiting on this condition variable.
        #[track_caller]
        pub fn notify_all(&self) {
            self.inner.notify_all();
            timeline::record(Location::caller(), Action::Notified { all: true });
        }
    }
}

/// Hooks the tests use to see and steer real threads; lab code never needs them.
#[cfg(not(loom))]
pub mod probe {
    use std::cell::Cell;
    use std::sync::{Condvar, Mutex, MutexGuard};
    use std::time::{Duration, Instant};

    /// What the hooks count.
    struct State {
        /// Threads inside a wait of this module's `Condvar`.
        waiting: usize,
        /// Threads waiting to take a `Mutex` of this module.
        contending: usize,
        /// Waits still to return at once, as a spurious wake-up.
        spurious: usize,
        /// Whether a thread holds a lock it was asked to linger in.
        lingering: bool,
        /// Whether the lingering thread may go.
        released: bool,
        /// Weak exchanges still to fail spuriously.
        failing_exchanges: usize,
    }

    static STATE: Mutex<State> = Mutex::new(State {
        waiting: 0,
        contending: 0,
        spurious: 0,
        lingering: false,
        released: false,
        failing_exchanges: 0,
    });
    static CHANGED: Condvar = Condvar::new();

    thread_local! {
        /// Whether this thread's next `Mutex::lock` lingers, holding the lock.
        static LINGER: Cell<bool> = const { Cell::new(false) };
    }

    /// One test at a time for as long as the result lives: the counts and the spurious
    /// wake-ups here are shared by the whole test process, and `cargo test` runs a file's
    /// tests side by side.
    pub fn serial() -> MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state() -> MutexGuard<'static, State> {
        STATE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the state and tells every thread watching it.
    fn change(f: impl FnOnce(&mut State)) {
        f(&mut state());
        CHANGED.notify_all();
    }

    /// How many threads wait on a `Condvar` of this module right now. A thread counts from
    /// just before it gives its lock back, and is already registered for a notification
    /// then, so whoever takes that lock next and notifies reaches it.
    pub fn waiting() -> usize {
        state().waiting
    }

    /// How many threads wait to take a `Mutex` of this module right now.
    pub fn contending() -> usize {
        state().contending
    }

    /// Waits until `condition` holds of the counts (`true`), or until `returned()` says
    /// the threads meant to block have returned instead (`false`). After `patience` with
    /// neither, `true`: a thread that has not returned is taken to block where this module
    /// cannot see it.
    fn until(
        condition: impl Fn(&State) -> bool,
        patience: Duration,
        returned: impl Fn() -> bool,
    ) -> bool {
        let deadline = Instant::now() + patience;
        let mut state = state();
        while !condition(&state) {
            if returned() {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            // Woken by every change of the counts; the short slice notices `returned()`.
            state = CHANGED
                .wait_timeout(state, left.min(Duration::from_millis(1)))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }

    /// Whether threads meant to block in a wait stay blocked: `true` as soon as at least
    /// `threads` threads wait on a `Condvar` of this module, `false` as soon as `returned()`
    /// says they have returned instead; after `patience` with neither, `true` (they are taken
    /// to wait where this module cannot see them).
    pub fn asleep(threads: usize, patience: Duration, returned: impl Fn() -> bool) -> bool {
        until(|state| state.waiting >= threads, patience, returned)
    }

    /// As [`asleep`], for threads meant to block taking a `Mutex` of this module.
    pub fn blocked_on_a_lock(
        threads: usize,
        patience: Duration,
        returned: impl Fn() -> bool,
    ) -> bool {
        until(|state| state.contending >= threads, patience, returned)
    }

    /// Makes the next `times` waits on a `Condvar` of this module return at once, without a
    /// notification: a spurious wake-up, which std allows any condition variable.
    pub fn wake_spuriously(times: usize) {
        change(|state| state.spurious = times);
    }

    /// Makes the current thread's next `Mutex::lock` of this module, once it has the lock,
    /// hold it until [`release_lingering`] is called.
    pub fn linger_in_next_lock() {
        LINGER.with(|linger| linger.set(true));
    }

    /// Waits until a thread lingers holding a lock ([`linger_in_next_lock`]); `false` if none
    /// did within `patience`.
    pub fn await_lingering(patience: Duration) -> bool {
        until(|state| state.lingering, patience, || false) && state().lingering
    }

    /// Lets the lingering thread go on, with its lock.
    pub fn release_lingering() {
        change(|state| state.released = true);
    }

    /// Lingers here, holding the lock just taken, if this thread was asked to.
    pub(super) fn linger_if_asked() {
        if !LINGER.with(|linger| linger.replace(false)) {
            return;
        }
        change(|state| {
            state.lingering = true;
            state.released = false;
        });
        let state = CHANGED
            .wait_while(state(), |state| !state.released)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(state);
        change(|state| state.lingering = false);
    }

    /// Makes the next `times` calls of `AtomicBool::compare_exchange_weak` fail although the
    /// value was the expected one, as std allows.
    pub fn fail_weak_exchanges(times: usize) {
        change(|state| state.failing_exchanges = times);
    }

    /// Whether this weak exchange is to fail spuriously (using up one such failure).
    pub(super) fn take_spurious_failure() -> bool {
        let mut state = state();
        let failing = state.failing_exchanges > 0;
        if failing {
            state.failing_exchanges -= 1;
        }
        failing
    }

    /// How many threads the current thread spawned (with this module's `thread::spawn` or
    /// `Builder`) and has not joined. Scoped threads are always joined, and not counted.
    pub fn unjoined() -> usize {
        super::thread::unjoined_by_current()
    }

    /// The most threads spawned (with this module's `thread::spawn` or `Builder`) and not yet
    /// joined that there have been at once so far, counting every thread of the process, not
    /// only the current thread's as [`unjoined`] does. A thread runs only between its spawn
    /// and its join, so a peak of 1 means that no two of them ever ran at the same time: the
    /// race lab's demo tells threads joined one by one from a race that lost no update by
    /// luck. Scoped threads are not counted.
    pub fn peak_unjoined() -> usize {
        super::thread::peak_unjoined()
    }

    /// Whether this wait is to return at once, spuriously (using up one such wake-up).
    pub(super) fn take_spurious_wakeup() -> bool {
        let mut state = state();
        let spurious = state.spurious > 0;
        if spurious {
            state.spurious -= 1;
        }
        spurious
    }

    /// One thread counted in [`waiting`] for as long as this lives.
    pub(super) struct Waiting;

    impl Waiting {
        pub(super) fn enter() -> Self {
            change(|state| state.waiting += 1);
            Waiting
        }
    }

    impl Drop for Waiting {
        fn drop(&mut self) {
            change(|state| state.waiting -= 1);
        }
    }

    /// One thread counted in [`contending`] for as long as this lives.
    pub(super) struct Contending;

    impl Contending {
        pub(super) fn enter() -> Self {
            change(|state| state.contending += 1);
            Contending
        }
    }

    impl Drop for Contending {
        fn drop(&mut self) {
            change(|state| state.contending -= 1);
        }
    }
}

/// `UnsafeCell` with loom's API: access goes through a pointer object, so that under loom
/// every access is tracked and two threads touching the cell without a happens-before edge
/// between them is reported as a data race.
#[cfg(loom)]
pub mod cell {
    pub use loom::cell::{ConstPtr, MutPtr};

    use std::panic::Location;

    use super::timeline::{self, Action};

    /// loom's `UnsafeCell`, whose accesses go on the model's timeline.
    #[derive(Debug)]
    pub struct UnsafeCell<T: ?Sized>(loom::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// A cell holding `data`.
        #[track_caller]
        pub fn new(data: T) -> Self {
            Self(loom::cell::UnsafeCell::new(data))
        }

        /// The contents, giving up the cell.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Runs `f` with a shared pointer to the contents.
        #[track_caller]
        pub fn with<F, R>(&self, f: F) -> R
        where
            F: FnOnce(*const T) -> R,
        {
            timeline::record(Location::caller(), Action::UsedValue);
            self.0.with(f)
        }

        /// Runs `f` with a mutable pointer to the contents.
        #[track_caller]
        pub fn with_mut<F, R>(&self, f: F) -> R
        where
            F: FnOnce(*mut T) -> R,
        {
            timeline::record(Location::caller(), Action::UsedValue);
            self.0.with_mut(f)
        }

        /// A shared pointer to the contents; the access lasts as long as the pointer.
        #[track_caller]
        pub fn get(&self) -> ConstPtr<T> {
            timeline::record(Location::caller(), Action::UsedValue);
            self.0.get()
        }

        /// A mutable pointer to the contents; the access lasts as long as the pointer.
        #[track_caller]
        pub fn get_mut(&self) -> MutPtr<T> {
            timeline::record(Location::caller(), Action::UsedValue);
            self.0.get_mut()
        }
    }

    impl<T: Default> Default for UnsafeCell<T> {
        fn default() -> Self {
            Self::new(T::default())
        }
    }
}

/// `UnsafeCell` with loom's API, on top of `std::cell::UnsafeCell`.
#[cfg(not(loom))]
pub mod cell {
    /// A cell whose contents may be mutated through a shared reference; the caller proves
    /// exclusive access (for example by holding a lock).
    #[derive(Debug)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// A cell holding `data`.
        pub const fn new(data: T) -> Self {
            Self(std::cell::UnsafeCell::new(data))
        }

        /// A pointer through which the contents can be mutated, for as long as it lives.
        pub fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }

        /// The contents, giving up the cell.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    /// A mutable pointer into an [`UnsafeCell`], as `loom::cell::MutPtr`.
    #[derive(Debug)]
    pub struct MutPtr<T>(*mut T);

    impl<T> MutPtr<T> {
        /// The contents, mutably.
        ///
        /// # Safety
        /// No other reference to the contents may exist while the result lives.
        #[allow(clippy::mut_from_ref)] // the same contract as loom's `MutPtr::deref`
        pub unsafe fn deref(&self) -> &mut T {
            // SAFETY: the caller guarantees exclusive access.
            unsafe { &mut *self.0 }
        }
    }
}

/// Loom's threads, plus `scope`, which loom lacks: `std::thread::scope`'s API on loom threads.
#[cfg(loom)]
pub mod thread {
    pub use loom::thread::*;

    use std::marker::PhantomData;
    // Plain std storage: loom runs one thread at a time, and its `join` orders the accesses.
    use std::sync::{Arc, Mutex};

    /// A loom thread of a scope, taken out once joined.
    type Slot = Arc<Mutex<Option<JoinHandle<()>>>>;

    /// `std::thread::scope` on loom threads: every thread spawned in the scope is joined
    /// before it returns.
    pub fn scope<'env, F, T>(f: F) -> T
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
    {
        let scope = Scope {
            threads: Mutex::new(Vec::new()),
            scope: PhantomData,
            env: PhantomData,
        };
        let result = f(&scope);
        let threads = std::mem::take(&mut *scope.threads.lock().expect("scope threads"));
        for slot in threads {
            let handle = slot.lock().expect("scope thread").take();
            if let Some(handle) = handle
                && let Err(panic) = handle.join()
            {
                std::panic::resume_unwind(panic);
            }
        }
        result
    }

    /// A scope to spawn threads in, as `std::thread::Scope`.
    pub struct Scope<'scope, 'env: 'scope> {
        threads: Mutex<Vec<Slot>>,
        scope: PhantomData<&'scope mut &'scope ()>,
        env: PhantomData<&'env mut &'env ()>,
    }

    /// A thread spawned in a scope, as `std::thread::ScopedJoinHandle`.
    pub struct ScopedJoinHandle<'scope, T> {
        thread: Slot,
        result: Arc<Mutex<Option<T>>>,
        scope: PhantomData<&'scope ()>,
    }

    impl<'scope> Scope<'scope, '_> {
        /// Spawns a thread that may borrow from outside the scope; it is joined before the
        /// scope ends.
        pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
        where
            F: FnOnce() -> T + Send + 'scope,
            T: Send + 'scope,
        {
            let result = Arc::new(Mutex::new(None));
            let slot = Arc::clone(&result);
            let body: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
                let value = f();
                *slot.lock().expect("scope result") = Some(value);
            });
            // SAFETY: `scope` joins this thread before `'scope` ends, so nothing it borrows
            // is gone while it runs.
            let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
            let thread = Arc::new(Mutex::new(Some(spawn(body))));
            self.threads
                .lock()
                .expect("scope threads")
                .push(Arc::clone(&thread));
            ScopedJoinHandle {
                thread,
                result,
                scope: PhantomData,
            }
        }
    }

    impl<T> ScopedJoinHandle<'_, T> {
        /// Waits for the thread to finish and returns what it returned.
        pub fn join(self) -> std::thread::Result<T> {
            let handle = self.thread.lock().expect("scope thread").take();
            if let Some(handle) = handle {
                handle.join()?;
            }
            Ok(self
                .result
                .lock()
                .expect("scope result")
                .take()
                .expect("a joined scoped thread left its result"))
        }
    }
}

/// std's threads, with every spawned thread counted until it is joined (see [`probe`]).
#[cfg(not(loom))]
pub mod thread {
    pub use std::thread::*;

    use std::collections::HashMap;
    use std::io;
    use std::sync::{Mutex, MutexGuard};

    /// Threads spawned and not yet joined.
    struct Unjoined {
        /// By the thread that spawned them.
        by_spawner: Option<HashMap<ThreadId, usize>>,
        /// In the whole process.
        all: usize,
        /// The most there have been in the whole process at once.
        peak: usize,
    }

    static UNJOINED: Mutex<Unjoined> = Mutex::new(Unjoined {
        by_spawner: None,
        all: 0,
        peak: 0,
    });

    fn unjoined() -> MutexGuard<'static, Unjoined> {
        UNJOINED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many threads the current thread spawned and has not joined.
    pub(super) fn unjoined_by_current() -> usize {
        unjoined()
            .by_spawner
            .as_ref()
            .and_then(|counts| counts.get(&current().id()).copied())
            .unwrap_or(0)
    }

    /// The most threads there have been spawned and not joined at once, in the whole process.
    pub(super) fn peak_unjoined() -> usize {
        unjoined().peak
    }

    fn count(spawner: ThreadId, change: isize) {
        let mut counts = unjoined();
        let count = counts
            .by_spawner
            .get_or_insert_with(HashMap::new)
            .entry(spawner)
            .or_insert(0);
        *count = count.saturating_add_signed(change);
        counts.all = counts.all.saturating_add_signed(change);
        counts.peak = counts.peak.max(counts.all);
    }

    /// std's `JoinHandle`: its thread counts as unjoined until `join` is called.
    #[derive(Debug)]
    pub struct JoinHandle<T> {
        inner: std::thread::JoinHandle<T>,
        spawner: ThreadId,
    }

    impl<T> JoinHandle<T> {
        /// Waits for the thread to finish and returns what it returned (`Err` if it panicked).
        pub fn join(self) -> Result<T> {
            count(self.spawner, -1);
            self.inner.join()
        }

        /// The thread.
        pub fn thread(&self) -> &Thread {
            self.inner.thread()
        }

        /// Whether the thread has finished.
        pub fn is_finished(&self) -> bool {
            self.inner.is_finished()
        }
    }

    fn counted<T>(inner: std::thread::JoinHandle<T>) -> JoinHandle<T> {
        let spawner = current().id();
        count(spawner, 1);
        JoinHandle { inner, spawner }
    }

    /// Starts a thread running `f`, as `std::thread::spawn`.
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        counted(std::thread::spawn(f))
    }

    /// A thread's name and stack size before it starts, as `std::thread::Builder`.
    #[derive(Debug)]
    pub struct Builder(std::thread::Builder);

    impl Builder {
        /// A builder with no name and the default stack size.
        #[allow(clippy::new_without_default)] // as std's
        pub fn new() -> Self {
            Self(std::thread::Builder::new())
        }

        /// Names the thread.
        pub fn name(self, name: String) -> Self {
            Self(self.0.name(name))
        }

        /// Sets the thread's stack size, in bytes.
        pub fn stack_size(self, size: usize) -> Self {
            Self(self.0.stack_size(size))
        }

        /// Starts the thread running `f`.
        pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            self.0.spawn(f).map(counted)
        }
    }
}
