//! The only place this lab takes its concurrency primitives from.
//!
//! Normally these are `std`'s; built with `RUSTFLAGS="--cfg loom"` they are loom's, so the
//! same lab code runs on real threads and under the loom model checker. Lab code never names
//! `std::sync`, `std::thread` or `std::cell::UnsafeCell` itself: anything that bypasses this
//! module escapes loom.

#[cfg(not(loom))]
pub use std::{
    hint,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

#[cfg(loom)]
pub use loom::{
    hint,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

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
