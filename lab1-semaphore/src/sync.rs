//! The only place this lab takes its concurrency primitives from. It is the grader's file:
//! the grader always uses its own copy, so edits here are ignored when grading.
//!
//! Normally these are `std`'s API on real threads; built with `RUSTFLAGS="--cfg loom"` they
//! are loom's, so the same lab code runs on real threads and under the loom model checker. Lab
//! code never names `std::sync` or `std::thread` itself: anything that bypasses this module
//! escapes loom.
//!
//! `Condvar` has std's whole API (`wait`, `wait_while`, `wait_timeout`, `wait_timeout_while`,
//! `notify_one`, `notify_all`) in both builds, and `thread::scope` works under loom too. On real
//! threads, `Mutex` and `Condvar` are built here, on std's, so that the tests can see and steer
//! what std leaves to chance ([`probe`]): a `Condvar` here wakes exactly the waiters it is
//! asked to, and wakes one spuriously (which std allows any condition variable to do) only
//! when a test asks, so a wait that does not re-check its condition in a loop fails on every
//! run, and so does a wake-up that reaches too few waiters.

#[cfg(not(loom))]
pub use std::{
    sync::{Arc, LockResult, PoisonError, TryLockError, TryLockResult},
    thread,
};

#[cfg(not(loom))]
pub use exact::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub use loom::sync::{Arc, LockResult, Mutex, MutexGuard, TryLockResult};

#[cfg(loom)]
pub use std::sync::{PoisonError, TryLockError};

#[cfg(loom)]
pub use modelled::Condvar;

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
    use std::time::Duration;

    use loom::sync::{LockResult, MutexGuard};

    use super::WaitTimeoutResult;

    /// A condition variable with std's API, on loom's (which never wakes spuriously and
    /// never times out).
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

        /// As [`wait`](Self::wait); under loom it never times out.
        #[track_caller]
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Duration,
        ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
            match self.inner.wait(guard) {
                Ok(guard) => Ok((guard, WaitTimeoutResult(false))),
                Err(poisoned) => Err(std::sync::PoisonError::new((
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
                Err(poisoned) => Err(std::sync::PoisonError::new((
                    poisoned.into_inner(),
                    WaitTimeoutResult(false),
                ))),
            }
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
    }

    static STATE: Mutex<State> = Mutex::new(State {
        waiting: 0,
        contending: 0,
        spurious: 0,
        lingering: false,
        released: false,
    });
    static CHANGED: Condvar = Condvar::new();

    thread_local! {
        /// Whether this thread's next `Mutex::lock` lingers, holding the lock.
        static LINGER: Cell<bool> = const { Cell::new(false) };
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
