//! `std::thread::scope`'s API on the facade's threads, for both configurations: loom has no
//! scoped threads, and on real threads a scoped thread must be the facade's, so that the
//! registry of waits knows it from its spawn and its joins are waits it can see.

use std::any::Any;
use std::marker::PhantomData;
// Plain std storage: the threads' handles and results, each taken once (under loom, which
// runs one thread at a time, `join` orders the accesses).
use std::sync::{Arc, Mutex, PoisonError};

use super::thread::{JoinHandle, spawn};

/// A thread of a scope, taken out once joined.
type Slot = Arc<Mutex<Option<JoinHandle<()>>>>;

/// Runs `f` with a scope to spawn threads in, as `std::thread::scope`: every thread spawned
/// in the scope is joined before it returns (also when `f` panics), and if one of them
/// panicked, so does `scope`, with that thread's panic.
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        threads: Mutex::new(Vec::new()),
        scope: PhantomData,
        env: PhantomData,
    };
    let joining = JoinAll(&scope.threads);
    let result = f(&scope);
    if let Some(panic) = joining.join() {
        std::panic::resume_unwind(panic);
    }
    result
}

/// Joins every thread of a scope: explicitly, or when dropped (as `f` unwinds), so that no
/// thread outlives what it borrows.
struct JoinAll<'a>(&'a Mutex<Vec<Slot>>);

impl JoinAll<'_> {
    /// Joins them all, threads spawned meanwhile included; the first panic among them.
    #[track_caller]
    fn join(self) -> Option<Box<dyn Any + Send>> {
        let panic = join_all(self.0);
        std::mem::forget(self);
        panic
    }
}

impl Drop for JoinAll<'_> {
    fn drop(&mut self) {
        join_all(self.0);
    }
}

#[track_caller]
fn join_all(threads: &Mutex<Vec<Slot>>) -> Option<Box<dyn Any + Send>> {
    let mut first = None;
    loop {
        let batch = std::mem::take(&mut *threads.lock().unwrap_or_else(PoisonError::into_inner));
        if batch.is_empty() {
            return first;
        }
        for slot in batch {
            let handle = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(Err(panic)) = handle.map(JoinHandle::join) {
                first.get_or_insert(panic);
            }
        }
    }
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
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let result = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&result);
        let body: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
            let value = f();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
        });
        // SAFETY: `scope` joins this thread before `'scope` ends, also when it unwinds, so
        // nothing the thread borrows is gone while it runs.
        let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
        let thread = Arc::new(Mutex::new(Some(spawn(body))));
        self.threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&thread));
        ScopedJoinHandle {
            thread,
            result,
            scope: PhantomData,
        }
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish and returns what it returned (`Err` if it panicked).
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            handle.join()?;
        }
        let result = self
            .result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // A thread that returned has left its result; one that panicked was answered above.
        result.ok_or_else(|| Box::new("the scoped thread left no result") as Box<dyn Any + Send>)
    }

    /// Whether the thread has finished (on real threads: loom's handles cannot tell).
    #[cfg(not(loom))]
    pub fn is_finished(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }
}
