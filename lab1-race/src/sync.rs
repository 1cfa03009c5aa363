//! The only place this lab takes its concurrency primitives from. It is the grader's file:
//! the grader always uses its own copy, so edits here are ignored when grading.
//!
//! Normally these are `std`'s; built with `RUSTFLAGS="--cfg loom"` they are loom's, so the
//! same lab code runs on real threads and under the loom model checker. Lab code never names
//! `std::sync` or `std::thread` itself: anything that bypasses this module escapes loom.
//!
//! `thread` is std's on real threads, except that the tests can see whether a function joined
//! every thread it spawned ([`probe`]); under loom it is loom's, with `scope` added.

#[cfg(not(loom))]
pub use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

#[cfg(loom)]
pub use loom::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

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

/// Hooks the tests use to check what real threads cannot show by themselves; lab code never
/// needs them.
#[cfg(not(loom))]
pub mod probe {
    /// How many threads the current thread spawned (with this module's `thread::spawn` or
    /// `Builder`) and has not joined. Scoped threads are always joined, and not counted.
    pub fn unjoined() -> usize {
        super::thread::unjoined_by_current()
    }
}
