//! The cores a grader may keep busy, shared by every grading it runs at once.
//!
//! A build takes them all (cargo keeps as many compilers busy as there are cores), a test
//! process one. Gradings that run side by side (a class, `-j 2`) then take turns instead of
//! crowding the machine: a build beside two tests on two cores makes every one of them slower,
//! and spinning tests burn the time they wait for a core. Turns are first come, first served,
//! so a build waiting for every core is not starved by a stream of tests.

use std::sync::{Condvar, Mutex, MutexGuard};

/// A count of cores, handed out in turns.
#[derive(Debug)]
pub struct Cores {
    total: usize,
    state: Mutex<Turns>,
    changed: Condvar,
}

/// Who is served next, and how many cores are free.
#[derive(Debug)]
struct Turns {
    free: usize,
    next_ticket: u64,
    serving: u64,
}

/// Cores taken from [`Cores`]; given back when dropped.
#[derive(Debug)]
pub struct Held<'a> {
    cores: &'a Cores,
    count: usize,
}

impl Cores {
    /// `total` cores (at least one).
    pub fn new(total: usize) -> Self {
        let total = total.max(1);
        Self {
            total,
            state: Mutex::new(Turns {
                free: total,
                next_ticket: 0,
                serving: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// How many cores there are.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Waits for this caller's turn and for `wanted` cores (at least one, at most
    /// [`total`](Self::total)) to be free, then holds them.
    pub fn take(&self, wanted: usize) -> Held<'_> {
        let count = wanted.clamp(1, self.total);
        let mut turns = self.turns();
        let ticket = turns.next_ticket;
        turns.next_ticket += 1;
        while turns.serving != ticket || turns.free < count {
            turns = self
                .changed
                .wait(turns)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        turns.free -= count;
        turns.serving += 1;
        self.changed.notify_all();
        Held { cores: self, count }
    }

    /// Holds every core.
    pub fn take_all(&self) -> Held<'_> {
        self.take(self.total)
    }

    fn turns(&self) -> MutexGuard<'_, Turns> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.cores.turns().free += self.count;
        self.cores.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    #[test]
    fn a_caller_waiting_for_every_core_is_served_before_later_callers() {
        let cores = Cores::new(2);
        let first = cores.take(1);
        let (order, seen) = mpsc::channel();
        thread::scope(|scope| {
            let all = order.clone();
            let cores = &cores;
            scope.spawn(move || {
                let _all = cores.take_all();
                all.send("all").unwrap();
            });
            // The build's ticket is taken before the test's: wait until it is.
            while cores.turns().next_ticket < 2 {
                thread::yield_now();
            }
            let one = order.clone();
            scope.spawn(move || {
                let _one = cores.take(1);
                one.send("one").unwrap();
            });
            while cores.turns().next_ticket < 3 {
                thread::yield_now();
            }
            assert!(
                seen.try_recv().is_err(),
                "no one is served while a core is held"
            );
            drop(first);
        });
        let served: Vec<&str> = seen.try_iter().collect();
        assert_eq!(served, ["all", "one"]);
    }

    #[test]
    fn requests_are_clamped_to_what_there_is() {
        let cores = Cores::new(2);
        let held = cores.take(5);
        assert_eq!(held.count, 2);
        drop(held);
        assert_eq!(cores.take(0).count, 1);
    }
}
