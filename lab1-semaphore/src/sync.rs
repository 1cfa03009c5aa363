//! The only place this lab takes its concurrency primitives from. It is the grader's file:
//! the grader always uses its own copy, so edits here are ignored when grading.
//!
//! Normally these are `std`'s; built with `RUSTFLAGS="--cfg loom"` they are loom's, so the
//! same lab code runs on real threads and under the loom model checker. Lab code never names
//! `std::sync` or `std::thread` itself: anything that bypasses this module escapes loom.
//!
//! `Condvar` has std's whole API (`wait`, `wait_while`, `wait_timeout`, `wait_timeout_while`,
//! `notify_one`, `notify_all`) in both builds, and `thread::scope` works under loom too. On real
//! threads the `Condvar` does what std allows any condition variable to do: it may wake a
//! waiter spuriously, with no notification. The tests use that ([`probe`]) to check that every
//! wait re-checks its condition in a loop.

#[cfg(not(loom))]
pub use std::{
    sync::{Arc, LockResult, Mutex, MutexGuard},
    thread,
};

#[cfg(loom)]
pub use loom::sync::{Arc, LockResult, Mutex, MutexGuard};

#[cfg(not(loom))]
use std::sync::Condvar as Inner;

#[cfg(loom)]
use loom::sync::Condvar as Inner;

use std::time::Duration;

/// Whether a timed wait gave up, as `std::sync::WaitTimeoutResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time was up.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable with std's API; see the module's documentation.
#[derive(Debug, Default)]
pub struct Condvar {
    inner: Inner,
}

impl Condvar {
    /// A condition variable no thread waits on.
    pub fn new() -> Self {
        Self {
            inner: Inner::new(),
        }
    }

    /// Gives the lock back, sleeps until notified (or woken spuriously), and takes the lock
    /// again: the caller must re-check its condition, in a loop.
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        #[cfg(not(loom))]
        if probe::take_spurious_wakeup() {
            return Ok(guard);
        }
        #[cfg(not(loom))]
        let _waiting = probe::Waiting::enter();
        self.inner.wait(guard)
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

    /// As [`wait`](Self::wait), for at most `timeout` (under loom, never times out).
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        #[cfg(not(loom))]
        if probe::take_spurious_wakeup() {
            return Ok((guard, WaitTimeoutResult(false)));
        }
        #[cfg(not(loom))]
        let _waiting = probe::Waiting::enter();
        match self.inner.wait_timeout(guard, timeout) {
            Ok((guard, result)) => Ok((guard, WaitTimeoutResult(result.timed_out()))),
            Err(poisoned) => {
                let (guard, result) = poisoned.into_inner();
                Err(std::sync::PoisonError::new((
                    guard,
                    WaitTimeoutResult(result.timed_out()),
                )))
            }
        }
    }

    /// As [`wait_while`](Self::wait_while), for at most `timeout` in all (under loom, never
    /// times out).
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
        #[cfg(not(loom))]
        let deadline = std::time::Instant::now() + timeout;
        while condition(&mut *guard) {
            #[cfg(not(loom))]
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            #[cfg(loom)]
            let left = timeout;
            let (next, result) = self.wait_timeout(guard, left)?;
            guard = next;
            if result.timed_out() {
                let timed_out = condition(&mut *guard);
                return Ok((guard, WaitTimeoutResult(timed_out)));
            }
        }
        Ok((guard, WaitTimeoutResult(false)))
    }

    /// Wakes one thread waiting on this condition variable, if any.
    #[track_caller]
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes every thread waiting on this condition variable.
    #[track_caller]
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}

/// Hooks the tests use to force an interleaving on real threads; lab code never needs them.
#[cfg(not(loom))]
pub mod probe {
    use std::sync::{Condvar, Mutex, MutexGuard};
    use std::time::{Duration, Instant};

    /// What the hooks count.
    struct State {
        /// Threads inside a wait of this module's `Condvar`.
        waiting: usize,
        /// Waits still to return at once, as a spurious wake-up.
        spurious: usize,
    }

    static STATE: Mutex<State> = Mutex::new(State {
        waiting: 0,
        spurious: 0,
    });
    static CHANGED: Condvar = Condvar::new();

    fn state() -> MutexGuard<'static, State> {
        STATE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many threads wait on a `Condvar` of this module right now. A thread counts from
    /// just before it gives its lock back, so whoever takes that lock next finds it asleep.
    pub fn waiting() -> usize {
        state().waiting
    }

    /// Whether threads meant to block stay blocked: `true` as soon as at least `threads`
    /// threads wait on a `Condvar` of this module, `false` as soon as `returned()` says the
    /// threads meant to block have returned instead. After `patience` with neither, `true`:
    /// a thread that has not returned is taken to wait where this module cannot see it.
    pub fn asleep(threads: usize, patience: Duration, returned: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + patience;
        let mut state = state();
        while state.waiting < threads {
            if returned() {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            // Woken by every change of the count; the short slice notices `returned()`.
            let slice = left.min(Duration::from_millis(1));
            state = CHANGED
                .wait_timeout(state, slice)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }

    /// Makes the next `times` waits on a `Condvar` of this module return at once, without a
    /// notification: a spurious wake-up, which std allows any condition variable.
    pub fn wake_spuriously(times: usize) {
        state().spurious = times;
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
            state().waiting += 1;
            CHANGED.notify_all();
            Waiting
        }
    }

    impl Drop for Waiting {
        fn drop(&mut self) {
            state().waiting -= 1;
            CHANGED.notify_all();
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
            if let Some(handle) = slot.lock().expect("scope thread").take() {
                if let Err(panic) = handle.join() {
                    std::panic::resume_unwind(panic);
                }
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
