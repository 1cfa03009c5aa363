//! The primitives on real threads: std's `Mutex` and `Condvar` with their API, a `Condvar`
//! that wakes exactly the waiters it is asked to (and one spuriously only when a test asks),
//! `thread` counting what it spawns until joined, the `probe`s by which tests steer them, and
//! the registry of who waits for what (`waits`), which names a deadlock the moment every
//! thread is asleep with none left to wake another.

pub mod cell;
mod deadlock;
pub mod probe;
pub mod thread;
mod waits;

use std::collections::VecDeque;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::{Duration, Instant};

use super::WaitTimeoutResult;
pub(crate) use waits::spun;
use waits::{Site, Wait};

/// A mutual-exclusion lock, as `std::sync::Mutex`.
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    inner: std::sync::Mutex<T>,
}

/// The lock of a [`Mutex`], held until dropped, as `std::sync::MutexGuard`.
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Dropped in `Drop` only, before the registry hears that the lock is free.
    inner: ManuallyDrop<std::sync::MutexGuard<'a, T>>,
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
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.lock_at(Location::caller())
    }

    /// [`lock`](Self::lock), called at `at` (and, for a deadlock's panic, by the caller).
    #[track_caller]
    fn lock_at(&self, at: Site) -> LockResult<MutexGuard<'_, T>> {
        let locked = match self.inner.try_lock() {
            Ok(inner) => Ok(inner),
            Err(TryLockError::Poisoned(poisoned)) => Err(poisoned),
            Err(TryLockError::WouldBlock) => {
                let _contending = probe::Contending::enter();
                let mutex = self.address();
                waits::asleep_until(Wait::Lock { mutex }, at, |_| match self.inner.try_lock() {
                    Ok(inner) => Some(Ok(inner)),
                    Err(TryLockError::Poisoned(poisoned)) => Some(Err(poisoned)),
                    Err(TryLockError::WouldBlock) => None,
                })
            }
        };
        waits::acquired(self.address(), at);
        let guard = match locked {
            Ok(inner) => Ok(self.guard(inner)),
            Err(poisoned) => Err(PoisonError::new(self.guard(poisoned.into_inner()))),
        };
        probe::linger_if_asked();
        guard
    }

    /// Takes the lock if it is free right now.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let at = Location::caller();
        let taken = match self.inner.try_lock() {
            Ok(inner) => Ok(self.guard(inner)),
            Err(TryLockError::WouldBlock) => return Err(TryLockError::WouldBlock),
            Err(TryLockError::Poisoned(poisoned)) => Err(TryLockError::Poisoned(PoisonError::new(
                self.guard(poisoned.into_inner()),
            ))),
        };
        waits::acquired(self.address(), at);
        taken
    }

    /// The value, through a unique borrow of the mutex.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    /// Whether a thread panicked while holding the lock.
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// Clears the poison a panicking holder left, so that the lock reads as not poisoned.
    pub fn clear_poison(&self) {
        self.inner.clear_poison();
    }

    /// The mutex's identity in the registry of waits.
    fn address(&self) -> usize {
        (self as *const Self).cast::<()>() as usize
    }

    fn guard<'a>(&'a self, inner: std::sync::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex: self,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `inner` is dropped here only, once, and never used after.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
        waits::released(self.mutex.address());
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

/// One waiter's wake-up call: set by the notification that reaches it.
type Token = Arc<AtomicBool>;

/// Wakes the waiters of `tokens`.
fn wake(tokens: impl IntoIterator<Item = Token>) {
    for token in tokens {
        token.store(true, Ordering::SeqCst);
    }
    waits::changed();
}

/// A condition variable, as `std::sync::Condvar`, that wakes exactly the waiters it is
/// asked to (and one spuriously when a test asks, see [`probe`]).
#[derive(Default)]
pub struct Condvar {
    waiters: std::sync::Mutex<VecDeque<Token>>,
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

    fn waiters(&self) -> std::sync::MutexGuard<'_, VecDeque<Token>> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives the lock back, sleeps until notified (or woken spuriously), and takes the
    /// lock again: the caller must re-check its condition, in a loop.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.wait_timeout(guard, Duration::MAX)
            .map(|(guard, _)| guard)
            .map_err(|poisoned| PoisonError::new(poisoned.into_inner().0))
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

    /// As [`wait`](Self::wait), for at most `timeout`.
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let at = Location::caller();
        if probe::take_spurious_wakeup() {
            return Ok((guard, WaitTimeoutResult(false)));
        }
        let mutex = guard.mutex;
        let token = Token::default();
        // Registered while the lock is still held: whoever takes it next and notifies
        // finds this waiter.
        self.waiters().push_back(Arc::clone(&token));
        let waiting = probe::Waiting::enter();
        drop(guard);
        let notified = |_: &_| token.load(Ordering::SeqCst).then_some(());
        let timed_out = match Instant::now().checked_add(timeout) {
            None => {
                let woken = Arc::clone(&token);
                waits::asleep_until(Wait::Notification { woken }, at, notified);
                false
            }
            Some(deadline) => waits::awake_until_or(deadline, notified).is_none(),
        };
        // A notification that came as the time ran out still counts as one.
        let timed_out = timed_out && {
            self.waiters().retain(|other| !Arc::ptr_eq(other, &token));
            !token.load(Ordering::SeqCst)
        };
        drop(waiting);
        let result = WaitTimeoutResult(timed_out);
        match mutex.lock_at(at) {
            Ok(guard) => Ok((guard, result)),
            Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), result))),
        }
    }

    /// As [`wait_while`](Self::wait_while), for at most `timeout` in all.
    #[track_caller]
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
        wake(first);
    }

    /// Wakes every thread waiting on this condition variable.
    pub fn notify_all(&self) {
        let all = std::mem::take(&mut *self.waiters());
        wake(all);
    }
}
