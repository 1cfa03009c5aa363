//! The only place this lab takes its concurrency primitives from. It is the grader's file:
//! the grader always uses its own copy, so edits here are ignored when grading.
//!
//! Normally these are `std`'s; built with `RUSTFLAGS="--cfg loom"` they are loom's, so the
//! same lab code runs on real threads and under the loom model checker. Lab code never names
//! `std::sync`, `std::thread`, `std::hint` or `std::cell::UnsafeCell` itself: anything that
//! bypasses this module escapes loom.
//!
//! `AtomicBool` has std's API. On real threads its `compare_exchange_weak` does what std
//! allows it to do: it may fail although the value was the expected one (the tests use that,
//! through [`probe`], to check that every weak exchange is retried). Under loom, a `swap` or
//! `fetch_or` that leaves the value as it was is modelled as the load it amounts to, so that
//! loom can explore a lock that spins on `swap(true, ..)`. `thread` is std's on real threads,
//! except that the tests can see whether a function joined every thread it spawned; under
//! loom it is loom's, with `scope` added.

#[cfg(not(loom))]
pub use std::{
    hint,
    sync::{Arc, Mutex, atomic::Ordering},
};

#[cfg(loom)]
pub use loom::{
    hint,
    sync::{Arc, Mutex, atomic::Ordering},
};

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
        self.inner.load(order)
    }

    /// Writes `value` with `order`.
    #[track_caller]
    pub fn store(&self, value: bool, order: Ordering) {
        self.inner.store(value, order)
    }

    /// Writes `value` and returns the value before, with `order`.
    #[track_caller]
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.inner.swap(value, order);
        #[cfg(loom)]
        self.write_unless_equal(order, |_| value)
    }

    /// Writes `current | value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_or(&self, value: bool, order: Ordering) -> bool {
        #[cfg(not(loom))]
        return self.inner.fetch_or(value, order);
        #[cfg(loom)]
        self.write_unless_equal(order, |current| current | value)
    }

    /// Writes `current & value` and returns the value before, with `order`.
    #[track_caller]
    pub fn fetch_and(&self, value: bool, order: Ordering) -> bool {
        self.inner.fetch_and(value, order)
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
        self.inner.compare_exchange(current, new, success, failure)
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
        self.inner
            .compare_exchange_weak(current, new, success, failure)
    }

    /// The value, giving up the atomic.
    pub fn into_inner(self) -> bool {
        #[cfg(not(loom))]
        return self.inner.into_inner();
        #[cfg(loom)]
        self.inner.load(Ordering::SeqCst)
    }

    /// A read-modify-write that writes `next(current)` with `order`, modelled as a load (with
    /// `order`'s reading half) when that leaves the value as it was.
    #[cfg(loom)]
    #[track_caller]
    fn write_unless_equal(&self, order: Ordering, next: impl Fn(bool) -> bool) -> bool {
        let reading = match order {
            Ordering::Release => Ordering::Relaxed,
            Ordering::AcqRel => Ordering::Acquire,
            order => order,
        };
        loop {
            let current = self.inner.load(reading);
            if next(current) == current {
                return current;
            }
            if self
                .inner
                .compare_exchange(current, next(current), order, reading)
                .is_ok()
            {
                return current;
            }
        }
    }
}

/// Hooks the tests use to force an interleaving on real threads; lab code never needs them.
#[cfg(not(loom))]
pub mod probe {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Weak exchanges still to fail spuriously.
    static SPURIOUS: AtomicUsize = AtomicUsize::new(0);

    /// Makes the next `times` calls of `AtomicBool::compare_exchange_weak` fail although the
    /// value was the expected one, as std allows.
    pub fn fail_weak_exchanges(times: usize) {
        SPURIOUS.store(times, Ordering::SeqCst);
    }

    /// How many threads the current thread spawned (with this module's `thread::spawn` or
    /// `Builder`) and has not joined. Scoped threads are always joined, and not counted.
    pub fn unjoined() -> usize {
        super::thread::unjoined_by_current()
    }

    /// Whether this weak exchange is to fail spuriously (using up one such failure).
    pub(super) fn take_spurious_failure() -> bool {
        SPURIOUS
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// `UnsafeCell` with loom's API: access goes through a pointer object, so that under loom
/// every access is tracked and two threads touching the cell without a happens-before edge
/// between them is reported as a data race.
#[cfg(loom)]
pub use loom::cell;

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

    /// Threads spawned and not yet joined, by the thread that spawned them.
    static UNJOINED: Mutex<Option<HashMap<ThreadId, usize>>> = Mutex::new(None);

    fn unjoined() -> MutexGuard<'static, Option<HashMap<ThreadId, usize>>> {
        UNJOINED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many threads the current thread spawned and has not joined.
    pub(super) fn unjoined_by_current() -> usize {
        unjoined()
            .as_ref()
            .and_then(|counts| counts.get(&current().id()).copied())
            .unwrap_or(0)
    }

    fn count(spawner: ThreadId, change: isize) {
        let mut counts = unjoined();
        let count = counts
            .get_or_insert_with(HashMap::new)
            .entry(spawner)
            .or_insert(0);
        *count = count.saturating_add_signed(change);
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
