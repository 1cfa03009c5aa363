//! The cores a grader keeps busy, shared by every grading it runs at once.
//!
//! Tests take one core each, and no more tests run at once than there are cores. While a
//! build is under way no new test starts: cargo keeps a compiler busy on every core, and a
//! build beside tests makes both slower (spinning tests burn the time they wait for a core).
//! A build never waits for tests, so a test that hangs until its timeout holds up no build.
//! Gradings side by side (a class, `-j 2`) thus take turns: one builds while the other's
//! running tests end.

use std::sync::{Condvar, Mutex, MutexGuard};

/// A count of cores, and whether a build is under way.
#[derive(Debug)]
pub struct Cores {
    total: usize,
    state: Mutex<State>,
    changed: Condvar,
}

/// How many cores are free, and how many builds are under way.
#[derive(Debug)]
struct State {
    free: usize,
    building: usize,
}

/// A core held by a test; given back when dropped.
#[derive(Debug)]
pub struct TestCore<'a> {
    cores: &'a Cores,
}

/// A build under way; ended when dropped.
#[derive(Debug)]
pub struct Building<'a> {
    cores: &'a Cores,
}

impl Cores {
    /// `total` cores (at least one).
    pub fn new(total: usize) -> Self {
        let total = total.max(1);
        Self {
            total,
            state: Mutex::new(State {
                free: total,
                building: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// How many cores there are: the most tests that run at once.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Marks a build under way until the guard is dropped. Never waits.
    pub fn build(&self) -> Building<'_> {
        self.state().building += 1;
        Building { cores: self }
    }

    /// Waits until no build is under way and a core is free, then holds the core.
    pub fn test(&self) -> TestCore<'_> {
        let mut state = self.state();
        while !state.may_start_a_test() {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        state.free -= 1;
        TestCore { cores: self }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn may_start_a_test(&self) -> bool {
        self.building == 0 && self.free > 0
    }
}

impl Drop for TestCore<'_> {
    fn drop(&mut self) {
        self.cores.state().free += 1;
        self.cores.changed.notify_all();
    }
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        self.cores.state().building -= 1;
        self.cores.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_test_starts_while_a_build_is_under_way_and_a_build_never_waits() {
        let cores = Cores::new(2);
        let (first, second) = (cores.test(), cores.test());
        let building = cores.build();
        drop(first);
        assert!(
            !cores.state().may_start_a_test(),
            "a core is free, but a build is under way"
        );
        drop(building);
        assert!(cores.state().may_start_a_test());
        drop(second);
    }

    #[test]
    fn no_more_tests_run_at_once_than_there_are_cores() {
        let cores = Cores::new(2);
        let (first, second) = (cores.test(), cores.test());
        assert_eq!(cores.state().free, 0);
        drop(first);
        let third = cores.test();
        assert_eq!(cores.state().free, 0);
        drop((second, third));
        assert_eq!(cores.state().free, 2);
    }
}
