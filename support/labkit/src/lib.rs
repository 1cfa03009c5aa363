//! What every lab shares and no student edits: the grader always builds a submission against its
//! own copy of this crate, so edits here are never graded.
//!
//! - [`sync`]: the primitives lab code uses (`labkit::sync::Mutex`, `thread`, ...), std's on real
//!   threads and loom's under `--cfg loom`, each recording what it does.
//! - `timeline` (under `--cfg loom` only): runs a loom model and, when it fails, prints the
//!   interleaving that broke it as one column per thread.
//! - [`todo_stop`]: how a demo stops at the first `todo!()` it reaches.
//! - `log` (feature `tokio`): Lab 2's timestamped lines, recordable on tokio's clock.

#[cfg(feature = "tokio")]
pub mod log;
pub mod sync;
#[cfg(loom)]
pub mod timeline;
pub mod todo_stop;
