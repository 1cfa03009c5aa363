//! Lab 1.1: see a race condition happen.
//!
//! Several threads add one to a shared counter, each increment being three separate steps:
//! read the value, pause, write the value plus one. Nothing stops another thread from writing
//! between one thread's read and its write, so updates get lost.

// What the stub leaves unused until you fill in its `todo!()`s carries an `#[expect(..)]`:
// once your code uses it, the compiler warns that the expectation is unfulfilled, and you
// delete that attribute.

#[expect(unused_imports, reason = "delete this once your code uses it")]
use labkit::sync::{Arc, thread};
use labkit::sync::{AtomicUsize, Ordering};

/// Threads the demo starts, as in the seed (`num_threads`).
pub const NUM_THREADS: usize = 5;

/// Increments each demo thread makes, as in the seed (`iterations_per_thread`).
pub const ITERATIONS_PER_THREAD: usize = 10_000;

/// A counter shared between threads whose increment is deliberately not atomic.
///
/// The value lives in an atomic only so that reading and writing it is safe Rust; each load
/// and each store is atomic on its own, but a load followed by a store is not.
#[derive(Debug)]
pub struct RacyCounter {
    value: AtomicUsize,
}

impl RacyCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            value: AtomicUsize::new(0),
        }
    }

    /// The counter's current value.
    pub fn get(&self) -> usize {
        self.value.load(Ordering::SeqCst)
    }

    /// Adds one the racy way: reads the value, calls `pause` (the seed's `time.sleep`), then
    /// writes back what it read plus one.
    ///
    /// Contract: exactly one read before `pause`, exactly one write after it, and no
    /// read-modify-write operation (`fetch_add` and friends would hide the race this lab shows).
    pub fn increment(&self, pause: impl Fn()) {
        // TODO(1.1): read the value, call `pause()`, then store what you read plus one.
        let _ = pause;
        todo!("RacyCounter::increment")
    }
}

impl Default for RacyCounter {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts `threads` threads that each call [`RacyCounter::increment`] `iterations` times on
/// one shared counter, with `pause` inside every increment, waits until all have finished, and
/// returns the counter's final value.
///
/// Contract: returns only after every thread has finished (threads are joined, none is left
/// running), so `pause` has been called exactly `threads * iterations` times by then. The
/// value returned is at most `threads * iterations`, and lower whenever updates were lost.
pub fn run_threads<P>(threads: usize, iterations: usize, pause: P) -> usize
where
    P: Fn() + Send + Sync + 'static,
{
    // TODO(1.1): share one `RacyCounter` (and `pause`) between `threads` threads with `Arc`,
    // spawn them with `thread::spawn`, join every handle, then return the counter's value.
    let _ = (threads, iterations, pause);
    todo!("run_threads")
}
