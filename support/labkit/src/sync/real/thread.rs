//! std's threads, with every spawned thread counted until it is joined (see [`probe`]),
//! and known to the registry of waits from its spawn to its end, its joins among its waits.

pub use std::thread::*;

pub use crate::sync::scope::{Scope, ScopedJoinHandle, scope};

use std::collections::HashMap;
use std::io;
use std::panic::Location;
use std::sync::{Mutex, MutexGuard};

use super::waits::{self, Key, Site, Wait};

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
pub(crate) fn unjoined_by_current() -> usize {
    unjoined()
        .by_spawner
        .as_ref()
        .and_then(|counts| counts.get(&current().id()).copied())
        .unwrap_or(0)
}

/// The most threads there have been spawned and not joined at once, in the whole process.
pub(crate) fn peak_unjoined() -> usize {
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
    /// The thread in the registry of waits.
    key: Key,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns what it returned (`Err` if it panicked).
    #[track_caller]
    pub fn join(self) -> Result<T> {
        let at = Location::caller();
        count(self.spawner, -1);
        let key = self.key;
        waits::asleep_until(Wait::Join { thread: key }, at, |registry| {
            registry.has_finished(key).then_some(())
        });
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

fn counted<T>(inner: std::thread::JoinHandle<T>, key: Key) -> JoinHandle<T> {
    let spawner = current().id();
    count(spawner, 1);
    JoinHandle {
        inner,
        spawner,
        key,
    }
}

/// Marks a thread finished in the registry of waits when its closure returns or panics.
struct Finishing(Key);

impl Drop for Finishing {
    fn drop(&mut self) {
        waits::finished(self.0);
    }
}

/// `f` registered as a thread started at `at`: its key, and the closure the thread runs.
fn registered<F, T>(at: Site, f: F) -> (Key, impl FnOnce() -> T + Send + 'static)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let key = waits::spawning(at);
    let body = move || {
        waits::started(key);
        let _finishing = Finishing(key);
        waits::hold_if_gated(key, at);
        f()
    };
    (key, body)
}

/// Starts a thread running `f`, as `std::thread::spawn`.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (key, body) = registered(Location::caller(), f);
    counted(std::thread::spawn(body), key)
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
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (key, body) = registered(Location::caller(), f);
        match self.0.spawn(body) {
            Ok(inner) => Ok(counted(inner, key)),
            Err(error) => {
                waits::finished(key);
                Err(error)
            }
        }
    }
}
