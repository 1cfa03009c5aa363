//! `UnsafeCell` with loom's API, on top of `std::cell::UnsafeCell`.

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
