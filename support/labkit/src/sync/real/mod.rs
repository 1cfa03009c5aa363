//! The primitives on real threads: std's `Mutex` and `Condvar` with their API, a `Condvar`
//! that wakes exactly the waiters it is asked to (and one spuriously only when a test asks),
//! `thread` counting what it spawns until joined, and the `probe`s by which tests steer them.

pub mod cell;
pub mod probe;
pub mod thread;

use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::{Duration, Instant};

use super::WaitTimeoutResult;

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
