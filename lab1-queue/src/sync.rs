//! The only place this lab takes its concurrency primitives from.
//!
//! Normally these are `std`'s; built with `RUSTFLAGS="--cfg loom"` they are loom's, so the
//! same lab code runs on real threads and under the loom model checker. Lab code never names
//! `std::sync` or `std::thread` itself: anything that bypasses this module escapes loom.

#[cfg(not(loom))]
pub use std::{
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};

#[cfg(loom)]
pub use loom::{
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};
