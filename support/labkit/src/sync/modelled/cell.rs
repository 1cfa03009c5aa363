//! `UnsafeCell` with loom's API: access goes through a pointer object, so that under loom
//! every access is tracked and two threads touching the cell without a happens-before edge
//! between them is reported as a data race.

pub use loom::cell::{ConstPtr, MutPtr};

use std::panic::Location;

use crate::timeline::{self, Action};

/// loom's `UnsafeCell`, whose accesses go on the model's timeline.
#[derive(Debug)]
pub struct UnsafeCell<T: ?Sized>(loom::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// A cell holding `data`.
    #[track_caller]
    pub fn new(data: T) -> Self {
        Self(loom::cell::UnsafeCell::new(data))
    }

    /// The contents, giving up the cell.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared pointer to the contents.
    #[track_caller]
    pub fn with<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*const T) -> R,
    {
        timeline::record(Location::caller(), Action::UsedValue);
        self.0.with(f)
    }

    /// Runs `f` with a mutable pointer to the contents.
    #[track_caller]
    pub fn with_mut<F, R>(&self, f: F) -> R
    where
        F: FnOnce(*mut T) -> R,
    {
        timeline::record(Location::caller(), Action::UsedValue);
        super::thread::changed();
        self.0.with_mut(f)
    }

    /// A shared pointer to the contents; the access lasts as long as the pointer.
    #[track_caller]
    pub fn get(&self) -> ConstPtr<T> {
        timeline::record(Location::caller(), Action::UsedValue);
        self.0.get()
    }

    /// A mutable pointer to the contents; the access lasts as long as the pointer.
    #[track_caller]
    pub fn get_mut(&self) -> MutPtr<T> {
        timeline::record(Location::caller(), Action::UsedValue);
        super::thread::changed();
        self.0.get_mut()
    }
}

impl<T: Default> Default for UnsafeCell<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}
