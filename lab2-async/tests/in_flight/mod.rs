//! Counting the devices in flight, shared by the visible and hidden tests of Lab 2.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One device in flight: counted from `enter` until dropped, which also covers a device whose
/// future is dropped by its timeout.
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Counts one more device in flight, and raises `peak` to the new count.
    pub fn enter(in_flight: &Arc<AtomicUsize>, peak: &AtomicUsize) -> Self {
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        Self(Arc::clone(in_flight))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
