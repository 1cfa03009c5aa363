//! std's `hint`, with a `spin_loop` that loom can tell from an endless loop.

pub use std::hint::*;

/// As std's `hint::spin_loop`, a hint inside a wait loop; under loom, the facade's
/// [`yield_now`](super::thread::yield_now): nothing the first time, and loom's own yield when
/// the thread spins again without having written anything.
pub fn spin_loop() {
    super::thread::yield_now();
}
