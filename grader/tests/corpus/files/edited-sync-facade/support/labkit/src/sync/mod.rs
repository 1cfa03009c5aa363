//! The support crate's facade, edited in the submission: `std` under loom too, so the model
//! checker would see no lock, no atomic and no cell, explore a single run, and prove nothing.

pub use std::{
    hint,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

/// `UnsafeCell` with loom's API, on `std` always.
pub mod cell {
    /// A cell whose contents may be mutated through a shared reference.
    #[derive(Debug)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// A cell holding `data`.
        pub const fn new(data: T) -> Self {
            Self(std::cell::UnsafeCell::new(data))
        }

        /// A pointer through which the contents can be mutated.
        pub fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }

        /// The contents.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    /// A mutable pointer into an [`UnsafeCell`].
    #[derive(Debug)]
    pub struct MutPtr<T>(*mut T);

    impl<T> MutPtr<T> {
        /// The contents, mutably.
        ///
        /// # Safety
        /// No other reference to the contents may exist while the result lives.
        #[allow(clippy::mut_from_ref)]
        pub unsafe fn deref(&self) -> &mut T {
            // SAFETY: the caller guarantees exclusive access.
            unsafe { &mut *self.0 }
        }
    }
}
