//! Loom's threads, plus `scope`, which loom lacks: `std::thread::scope`'s API on loom threads.

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
