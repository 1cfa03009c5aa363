//! The tests of one grading, scheduled: each made runnable from its lab's build, given its
//! timeout (the references' pace, each lab's stress budget), and run in its own process on the
//! grader's [`Cores`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::Result;

use crate::compile::cargo_build::Build;
use crate::compile::merged;
use crate::cores::Cores;
use crate::execute::judge::judge;
use crate::execute::outcome::{Failure, TestOutcome, all_failed};
use crate::execute::pace::Pace;
use crate::execute::run::Limits;
use crate::intake::catalog::{TestId, Tier};

/// How many lines of the compiler's errors a failure quotes.
const COMPILE_ERROR_LINES: usize = 12;

/// A test ready to run: which lab (by index) it belongs to, its executable and limits.
#[derive(Clone)]
pub(super) struct Runnable {
    pub(super) lab: usize,
    pub(super) test: TestId,
    pub(super) executable: PathBuf,
    /// The test's name in `executable`, as libtest knows it.
    pub(super) name: String,
    pub(super) limits: Limits,
}

/// Gives each of `tests` a timeout in proportion to its reference's time in `pace`, within
/// the one it has.
pub(super) fn pace_timeouts(pace: &Pace, tests: &mut [Runnable]) {
    for runnable in tests {
        runnable.limits.timeout = pace.timeout(&runnable.test, runnable.limits.timeout);
    }
}

/// The `tests` of lab `index` that its `build` made runnable under `limits`; the others go
/// to `outcomes`, failed: all of them when the lab does not compile, one whose target has no
/// executable.
pub(super) fn runnable_tests(
    index: usize,
    tests: Vec<TestId>,
    build: Build,
    limits: Limits,
    outcomes: &mut [Vec<TestOutcome>],
) -> Vec<Runnable> {
    let executables = match build {
        Build::CompileError(error) => {
            let errors: Vec<&str> = error.lines().take(COMPILE_ERROR_LINES).collect();
            let failure = Failure::DoesNotCompile {
                errors: errors.join("\n"),
            };
            outcomes[index].extend(all_failed(&tests, &failure));
            return Vec::new();
        }
        Build::Built(executables) => executables,
    };
    let mut runnable = Vec::new();
    for test in tests {
        let (target, name) = merged::locate(&test);
        match executables.get(target) {
            None => {
                outcomes[index].push(TestOutcome::failed(&test, Failure::NotBuilt, String::new()))
            }
            Some(executable) => runnable.push(Runnable {
                lab: index,
                executable: executable.clone(),
                name,
                test,
                limits,
            }),
        }
    }
    runnable
}

/// Shares `budget` among each lab's stress tests, as their timeouts.
fn time_box_stress(budget: Duration, tests: &mut [Runnable]) {
    let mut stress_tests: BTreeMap<usize, u32> = BTreeMap::new();
    for runnable in tests
        .iter()
        .filter(|runnable| runnable.test.tier == Tier::Stress)
    {
        *stress_tests.entry(runnable.lab).or_default() += 1;
    }
    for runnable in tests.iter_mut() {
        if let Some(&count) = stress_tests.get(&runnable.lab)
            && runnable.test.tier == Tier::Stress
        {
            let share = budget / count;
            runnable.limits.timeout = runnable.limits.timeout.min(share);
        }
    }
}

/// Runs `tests` with this run's `secret`, each in its own process on one of `cores`, each
/// within its timeout: the scored ones first, the longest of them (loom models) first, then
/// the stress tier, each lab's within `stress_budget`; returns each one's lab index, outcome,
/// and how long it ran.
pub(super) fn run_all(
    mut tests: Vec<Runnable>,
    secret: &str,
    cores: &Cores,
    stress_budget: Duration,
) -> Result<Vec<(usize, TestOutcome, Duration)>> {
    tests.sort_by_key(|runnable| match runnable.test.tier {
        Tier::Loom => 0,
        Tier::Visible | Tier::Hidden => 1,
        Tier::Stress => 2,
    });
    time_box_stress(stress_budget, &mut tests);
    let next = Mutex::new(tests.iter());
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..cores.total())
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let Some(runnable) = next.lock().expect("queue lock").next() else {
                            return Ok(());
                        };
                        let core = cores.test();
                        let (outcome, elapsed) = judge(
                            &runnable.test,
                            &runnable.executable,
                            &runnable.name,
                            secret,
                            runnable.limits,
                        )?;
                        drop(core);
                        outcomes.lock().expect("outcomes lock").push((
                            runnable.lab,
                            outcome,
                            elapsed,
                        ));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a test runner thread panicked")?;
        }
        Ok(())
    })?;
    Ok(outcomes.into_inner().expect("outcomes lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_labs_stress_tier_shares_its_budget_and_the_scored_tiers_keep_their_timeout() {
        let limits = Limits {
            timeout: Duration::from_secs(30),
            ..Limits::default()
        };
        let test = |lab, tier, name: &str| Runnable {
            lab,
            test: TestId {
                tier,
                target: String::from("t"),
                name: name.to_owned(),
            },
            executable: PathBuf::new(),
            name: String::new(),
            limits,
        };
        let mut tests = vec![
            test(0, Tier::Stress, "a"),
            test(0, Tier::Visible, "b"),
            test(0, Tier::Stress, "c"),
            test(0, Tier::Stress, "d"),
            test(0, Tier::Stress, "e"),
            test(1, Tier::Stress, "f"),
        ];
        time_box_stress(Duration::from_secs(60), &mut tests);
        let timeouts: Vec<u64> = tests.iter().map(|t| t.limits.timeout.as_secs()).collect();
        assert_eq!(timeouts, [15, 30, 15, 15, 15, 30]);
    }

    #[test]
    fn paced_tests_are_timed_by_their_reference_within_the_flat_timeout() {
        let limits = Limits {
            timeout: Duration::from_secs(30),
            ..Limits::default()
        };
        let test = |name: &str| TestId {
            tier: Tier::Visible,
            target: String::from("visible"),
            name: name.to_owned(),
        };
        let runnable = |name: &str| Runnable {
            lab: 0,
            test: test(name),
            executable: PathBuf::new(),
            name: String::new(),
            limits,
        };
        let mut tests = vec![runnable("quick"), runnable("slow"), runnable("untimed")];
        let pace = Pace::new([
            (test("quick"), Duration::from_millis(5)),
            (test("slow"), Duration::from_millis(2_100)),
        ]);
        pace_timeouts(&pace, &mut tests);
        let timeouts: Vec<u64> = tests.iter().map(|t| t.limits.timeout.as_secs()).collect();
        assert_eq!(timeouts, [12, 21, 30]);
    }
}
