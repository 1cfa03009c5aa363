//! Lab 1.2: fix the race condition with a lock.
//!
//! Part (a) puts the whole read-add-write of Lab 1.1 inside one `Mutex` critical section.
//! Part (b) goes beyond the seed and builds the lock itself: a spin lock made of an atomic flag
//! and an `UnsafeCell`, handing out a guard that releases it when dropped.

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use labkit::sync::cell::{MutPtr, UnsafeCell};
use labkit::sync::{Arc, AtomicBool, Mutex, Ordering, hint, thread};

/// Threads the demo starts, as in the seed (`num_threads_fixed`).
pub const NUM_THREADS: usize = 5;

/// Increments each demo thread makes, as in the seed (`iterations_per_thread_fixed`).
pub const ITERATIONS_PER_THREAD: usize = 10_000;

/// A counter shared between threads, protected by a `Mutex`.
#[derive(Debug)]
pub struct LockedCounter {
    value: Mutex<usize>,
}

impl LockedCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            value: Mutex::new(0),
        }
    }

    /// The counter's current value.
    pub fn get(&self) -> usize {
        *self
            .value
            .lock()
            .expect("a thread panicked while holding the counter's lock")
    }

    /// Adds one: reads the value and writes it back plus one, both inside a single critical
    /// section, so no other thread's increment can come between the read and the write.
    pub fn increment(&self) {
        let mut value = self
            .value
            .lock()
            .expect("a thread panicked while holding the counter's lock");
        let current = *value;
        *value = current + 1;
    }
}

impl Default for LockedCounter {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts `threads` threads that each call [`LockedCounter::increment`] `iterations` times on
/// one shared counter, waits until all have finished, and returns the final value.
///
/// Contract: returns only after every thread has been joined, and then the value is exactly
/// `threads * iterations`: no update is ever lost.
pub fn run_locked(threads: usize, iterations: usize) -> usize {
    let counter = Arc::new(LockedCounter::new());
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..iterations {
                    counter.increment();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a counting thread panicked");
    }
    counter.get()
}

/// A mutual-exclusion lock that waits by spinning on an atomic flag.
///
/// Contract: at most one [`SpinLockGuard`] exists at any time; everything written through one
/// guard is visible to whoever takes the lock next (release on unlock, acquire on lock).
#[derive(Debug)]
pub struct SpinLock<T> {
    locked: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one thread at a time, so sharing the lock
// between threads is sound whenever `T` itself may move between threads.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the `T` it owns.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// An unlocked lock guarding `value`.
    pub fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Waits, spinning, until the lock is free, takes it, and returns the guard that gives
    /// access to the value and releases the lock when dropped.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        loop {
            while self.locked.load(Ordering::Relaxed) {
                hint::spin_loop();
            }
            if let Some(guard) = self.try_lock() {
                break guard;
            }
        }
    }

    /// Takes the lock if it is free right now; returns `None`, without waiting, if another
    /// guard holds it.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        if self.locked.fetch_or(true, Ordering::Acquire) {
            None
        } else {
            Some(SpinLockGuard {
                lock: self,
                value: ManuallyDrop::new(self.data.get_mut()),
            })
        }
    }

    /// The guarded value, giving up the lock.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

/// Access to a [`SpinLock`]'s value; the lock is held for as long as the guard lives and is
/// released when it is dropped.
#[derive(Debug)]
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// Dropped by hand, before the lock is released: under loom the pointer's access lasts as
    /// long as the pointer, and it must end inside the critical section.
    value: ManuallyDrop<MutPtr<T>>,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its thread holds the lock.
        unsafe { MutPtr::deref(&self.value) }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while its thread holds the lock.
        unsafe { MutPtr::deref(&self.value) }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    /// Releases the lock, publishing every write made through the guard.
    fn drop(&mut self) {
        // SAFETY: `value` is never used again after this line.
        unsafe { ManuallyDrop::drop(&mut self.value) };
        self.lock.locked.fetch_and(false, Ordering::Release);
    }
}
