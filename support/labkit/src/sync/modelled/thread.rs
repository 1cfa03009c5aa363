//! Loom's threads, plus `scope`, which loom lacks (in `sync::scope`, shared with real threads).

pub use loom::thread::*;

pub use crate::sync::scope::{Scope, ScopedJoinHandle, scope};
