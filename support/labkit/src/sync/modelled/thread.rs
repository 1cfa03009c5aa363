//! Loom's threads, plus `scope`, which loom lacks (in `sync::scope`, shared with real threads),
//! and a `yield_now` that is the hint std's is.

pub use loom::thread::*;

pub use crate::sync::scope::{Scope, ScopedJoinHandle, scope};

pub use std::thread::available_parallelism;

use std::cell::Cell;
use std::time::Duration;

/// What this loom thread did since it last yielded.
#[derive(Clone, Copy, Default)]
struct Yields {
    /// It yielded and has written nothing another thread can see since: a wait loop.
    idle: bool,
    /// The model's count of changes (see [`changed`]) when it last gave way in a wait loop.
    changes_at_last_wait: Option<usize>,
}

loom::thread_local! {
    static YIELDS: Cell<Yields> = Cell::new(Yields::default());
}

std::thread_local! {
    // How many changes the model's threads have made that a waiting thread could be waiting
    // for. Loom runs every thread of a model on the test's own thread, so this one count is
    // theirs alone (and another test's, on its own thread, never moves it); it only grows,
    // and a loom thread compares two of its readings within one run.
    static CHANGES: Cell<usize> = const { Cell::new(0) };
}

/// A hint that another thread may run now, as std's `thread::yield_now`, which loom may follow
/// or not (loom switches threads where another thread's next step depends on the order, so a
/// hint needs no switch of its own).
///
/// Only a yield that comes again with nothing written in between (a wait loop, polling) is
/// loom's own `yield_now`, which runs another thread first and is how loom tells a wait from
/// an endless loop. When, by then, no thread has changed anything since this one last gave way
/// (the threads that ran only looked and gave way in turn, as two threads polling can forever),
/// the run is at a state loom has already explored from, and loom goes on from here along one
/// schedule only, as an operating system's fair scheduler would let the others run.
pub fn yield_now() {
    let changes = CHANGES.with(Cell::get);
    let before = YIELDS.with(|yields| {
        yields.replace(Yields {
            idle: true,
            ..yields.get()
        })
    });
    if !before.idle {
        return;
    }
    if before.changes_at_last_wait == Some(changes) {
        loom::skip_branch();
    }
    YIELDS.with(|yields| {
        yields.set(Yields {
            idle: true,
            changes_at_last_wait: Some(changes),
        });
    });
    loom::thread::yield_now();
}

/// Tells [`yield_now`] that this thread wrote something another thread can see (an atomic
/// changed, a notification), so its next yield is not a wait loop's.
pub(crate) fn progressed() {
    YIELDS.with(|cell| {
        cell.set(Yields {
            idle: false,
            ..cell.get()
        });
    });
    changed();
}

/// Tells [`yield_now`] that this thread may have changed something a waiting thread waits
/// for (a value under a lock, a cell), though not in a way that ends its own wait loop.
pub(crate) fn changed() {
    CHANGES.with(|changes| changes.set(changes.get().wrapping_add(1)));
}

/// As std's `thread::sleep`; under loom, where no time passes, the hint [`yield_now`] is.
pub fn sleep(_duration: Duration) {
    yield_now();
}

/// As std's `thread::park_timeout`; under loom it returns at once, as a spurious wake-up
/// (which std allows), after the hint [`yield_now`] is.
pub fn park_timeout(_timeout: Duration) {
    yield_now();
}
