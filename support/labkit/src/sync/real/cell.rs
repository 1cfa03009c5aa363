//! `UnsafeCell` with loom's API, on top of `std::cell::UnsafeCell`.

/// A cell whose contents may be mutated through a shared reference; the caller proves
/// exclusive access (for example by holding a lock).
#[derive(Debug, Default)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// A cell holding `data`.
    pub const fn new(data: T) -> Self {
        Self(std::cell::UnsafeCell::new(data))
    }

    /// Runs `f` with a shared pointer to the contents.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a mutable pointer to the contents.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    /// A pointer through which the contents can be read, for as long as it lives.
    pub fn get(&self) -> ConstPtr<T> {
        ConstPtr(self.0.get())
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

/// A shared pointer into an [`UnsafeCell`], as `loom::cell::ConstPtr`.
#[derive(Debug)]
pub struct ConstPtr<T>(*const T);

impl<T> ConstPtr<T> {
    /// The contents.
    ///
    /// # Safety
    /// No mutable reference to the contents may exist while the result lives.
    pub unsafe fn deref(&self) -> &T {
        // SAFETY: the caller guarantees that nothing mutates the contents meanwhile.
        unsafe { &*self.0 }
    }

    /// Runs `f` with the raw pointer.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0)
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

    /// Runs `f` with the raw pointer.
    pub fn with<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0)
    }
}
