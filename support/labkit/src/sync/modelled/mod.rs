//! The primitives under `--cfg loom`: loom's `Mutex`, `Condvar` and `AtomicUsize` behind std's
//! API (with what std has and loom lacks, such as `Condvar::wait_while`), each recording its
//! steps for the timeline, with `cell` and `thread` beside them.

pub mod cell;
pub mod hint;
pub mod thread;

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{PoisonError, TryLockError};
use std::time::Duration;

use loom::sync::{LockResult, TryLockResult};

use super::{Ordering, WaitTimeoutResult};
use crate::timeline::{self, Action};

/// An unsigned integer shared between threads, with std's API, on loom's, whose
/// operations go on the model's timeline.
#[derive(Debug, Default)]
pub struct AtomicUsize {
    inner: loom::sync::atomic::AtomicUsize,
}

impl From<usize> for AtomicUsize {
    #[track_caller]
    fn from(value: usize) -> Self {
        Self::new(value)
    }
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

    /// Writes `current & value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_and(&self, value: usize, order: Ordering) -> usize {
        let and = |before: usize| before & value;
        self.changed("fetch_and", order, |a| a.fetch_and(value, order), and)
    }

    /// Writes `!(current & value)` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_nand(&self, value: usize, order: Ordering) -> usize {
        let nand = |before: usize| !(before & value);
        self.changed("fetch_nand", order, |a| a.fetch_nand(value, order), nand)
    }

    /// Writes `current | value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_or(&self, value: usize, order: Ordering) -> usize {
        let or = |before: usize| before | value;
        self.changed("fetch_or", order, |a| a.fetch_or(value, order), or)
    }

    /// Writes `current ^ value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_xor(&self, value: usize, order: Ordering) -> usize {
        let xor = |before: usize| before ^ value;
        self.changed("fetch_xor", order, |a| a.fetch_xor(value, order), xor)
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
    /// Loom's mutex, for the point just before the release and the timeline's name for it.
    mutex: &'a loom::sync::Mutex<T>,
}

/// The mutex, as the timeline tells it from the model's others: its address.
fn lock_id<T: ?Sized>(mutex: &loom::sync::Mutex<T>) -> usize {
    std::ptr::from_ref(mutex).cast::<()>() as usize
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
        guarded(locked, at, &self.inner)
    }

    /// Takes the lock if it is free right now.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let at = Location::caller();
        match self.inner.try_lock() {
            Ok(inner) => {
                timeline::record(at, Action::TookLock { lock: self.id() });
                Ok(MutexGuard::new(inner, at, &self.inner))
            }
            Err(TryLockError::WouldBlock) => {
                timeline::record(at, Action::FoundLockHeld { lock: self.id() });
                Err(TryLockError::WouldBlock)
            }
            Err(TryLockError::Poisoned(poisoned)) => {
                timeline::record(at, Action::TookLock { lock: self.id() });
                Err(TryLockError::Poisoned(PoisonError::new(MutexGuard::new(
                    poisoned.into_inner(),
                    at,
                    &self.inner,
                ))))
            }
        }
    }

    /// The value, through a unique borrow of the mutex.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    /// Whether a thread panicked while holding the lock: never, under loom, where a panic
    /// fails the whole model.
    pub fn is_poisoned(&self) -> bool {
        false
    }

    /// Clears the poison, as std's; nothing to clear under loom.
    pub fn clear_poison(&self) {}

    /// The mutex, as the timeline tells it from the model's others.
    fn id(&self) -> usize {
        lock_id(&self.inner)
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
    mutex: &'a loom::sync::Mutex<T>,
) -> LockResult<MutexGuard<'a, T>> {
    match locked {
        Ok(inner) => Ok(MutexGuard::new(inner, at, mutex)),
        Err(poisoned) => Err(PoisonError::new(MutexGuard::new(
            poisoned.into_inner(),
            at,
            mutex,
        ))),
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(
        inner: loom::sync::MutexGuard<'a, T>,
        taken_at: &'static Location<'static>,
        mutex: &'a loom::sync::Mutex<T>,
    ) -> Self {
        Self {
            inner: Some(inner),
            taken_at,
            mutex,
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
    /// The value, which the caller may change (so a waiting thread may see a change).
    fn deref_mut(&mut self) -> &mut T {
        thread::changed();
        self.inner.as_mut().expect("a guard holds its lock")
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    /// Releases the lock. Just before, loom may run another thread that uses the mutex, so
    /// that it can find the lock held: loom switches threads only at an operation on something
    /// another thread also uses, and its release of a mutex is none, so on loom's alone no
    /// thread could ever find the lock held by one that still runs. The point is a `try_lock`
    /// of the holder's own, which fails and changes nothing.
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if !std::thread::panicking() {
                let _ = self.mutex.try_lock();
            }
            drop(inner);
            timeline::record(
                self.taken_at,
                Action::ReleasedLock {
                    lock: lock_id(self.mutex),
                },
            );
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
        let (taken_at, mutex) = (guard.taken_at, guard.mutex);
        timeline::record(at, Action::Waits);
        timeline::blocking(at, false);
        let woken = self.inner.wait(guard.take());
        timeline::record(at, Action::Woken);
        guarded(woken, taken_at, mutex)
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
        thread::progressed();
        timeline::record(Location::caller(), Action::Notified { all: false });
    }

    /// Wakes every thread waiting on this condition variable.
    #[track_caller]
    pub fn notify_all(&self) {
        self.inner.notify_all();
        thread::progressed();
        timeline::record(Location::caller(), Action::Notified { all: true });
    }
}
