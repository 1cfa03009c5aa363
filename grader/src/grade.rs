//! Stage 6: one outcome per expected test of a lab; a test passes only on evidence.
//!
//! A lab whose files are missing or refused by the [`policy`] is not built: every expected
//! test fails with that reason. Passing needs all three: the process exited successfully, before its timeout, and its
//! stdout holds the evidence line of this run's secret for this test. Everything else is a
//! failure with a reason: missing lab, compile error, panic (its message), crash (its signal),
//! timeout, or an exit without evidence.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::catalog::{Lab, TestId, Tier, expected_tests};
use crate::collect::{CollectError, Sources, collect};
use crate::compile::{Build, Profile, build_tests};
use crate::evidence::{has_evidence, new_secret};
use crate::report::{LabReport, Report};
use crate::rubric::Rubric;
use crate::run::{Finished, Limits, run_test};
use crate::{interleaving, policy, scratch};

/// The result of one expected test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// Which test.
    pub test: TestId,
    /// Whether it passed, on evidence.
    pub passed: bool,
    /// Why it failed (empty when it passed), in one or a few lines a student can act on.
    pub reason: String,
    /// The test's captured output, head and tail (empty when it never ran).
    pub output: String,
}

/// Everything the grader needs to grade labs.
#[derive(Debug, Clone)]
pub struct Grader {
    /// The pristine workspace: manifests, lock file, facades, tests and hidden tests.
    pub pristine: PathBuf,
    /// Where scratch workspaces and the shared target directories live.
    pub cache: PathBuf,
    /// Limits of each visible or hidden test process.
    pub limits: Limits,
    /// Limits of each loom model process.
    pub loom_limits: Limits,
    /// How many test processes run at once.
    pub jobs: usize,
}

impl Grader {
    /// Grades `labs` of the submission in `root` (a student's copy of the workspace), scored
    /// with `rubric`; `on_lab` sees each lab's report as soon as it is graded.
    pub fn grade_submission(
        &self,
        rubric: &Rubric,
        root: &Path,
        labs: &[&Lab],
        mut on_lab: impl FnMut(&LabReport),
    ) -> Result<Report> {
        let mut reports = Vec::new();
        for lab in labs {
            let outcomes = self.grade_lab(lab, collect(root, lab.name))?;
            let report = LabReport::new(lab.name, outcomes, rubric);
            on_lab(&report);
            reports.push(report);
        }
        Ok(Report::new(&root.display().to_string(), reports))
    }

    /// Grades `lab` with the student files `sources` (or the reason they could not be taken):
    /// one outcome per expected test, in the catalogue's order.
    pub fn grade_lab(
        &self,
        lab: &Lab,
        sources: Result<Sources, CollectError>,
    ) -> Result<Vec<TestOutcome>> {
        self.grade_tiers(lab, sources, &[Tier::Visible, Tier::Hidden, Tier::Loom])
    }

    /// [`grade_lab`](Self::grade_lab), for the expected tests of `tiers` only.
    pub fn grade_tiers(
        &self,
        lab: &Lab,
        sources: Result<Sources, CollectError>,
        tiers: &[Tier],
    ) -> Result<Vec<TestOutcome>> {
        let mut expected = expected_tests(&self.pristine.join(lab.name))?;
        expected.retain(|test| tiers.contains(&test.tier));
        let sources = match sources {
            Ok(sources) => sources,
            Err(error) => return Ok(all_failed(&expected, &error.to_string())),
        };
        let violations = policy::check(lab, &sources);
        if !violations.is_empty() {
            return Ok(all_failed(&expected, &policy::refusal_reason(&violations)));
        }
        let secret = new_secret();
        let scratch = scratch::prepare(
            &self.pristine,
            &self.cache.join("scratch"),
            lab.name,
            &sources,
            &secret,
        )?;
        let mut outcomes = Vec::new();
        for (profile, limits) in [
            (Profile::Threads, self.limits),
            (Profile::Loom, self.loom_limits),
        ] {
            let tests: Vec<TestId> = expected
                .iter()
                .filter(|test| (test.tier == Tier::Loom) == (profile == Profile::Loom))
                .cloned()
                .collect();
            if tests.is_empty() {
                continue;
            }
            match build_tests(scratch.root(), lab.name, profile, &self.cache)? {
                Build::CompileError(error) => {
                    outcomes.extend(all_failed(&tests, &compile_reason(&error)));
                }
                Build::Built(executables) => {
                    outcomes.extend(self.run_all(&tests, &executables, &secret, limits)?);
                }
            }
        }
        outcomes.sort_by(|a, b| a.test.cmp(&b.test));
        Ok(outcomes)
    }

    /// Runs `tests`, `jobs` at a time, each in its own process.
    fn run_all(
        &self,
        tests: &[TestId],
        executables: &BTreeMap<String, PathBuf>,
        secret: &str,
        limits: Limits,
    ) -> Result<Vec<TestOutcome>> {
        let next = Mutex::new(tests.iter());
        let outcomes = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1) {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let Some(test) = next.lock().expect("queue lock").next() else {
                            return Ok(());
                        };
                        let outcome = match executables.get(&test.target) {
                            None => failed(test, "its test binary was not built", String::new()),
                            Some(executable) => judge(test, executable, secret, limits)?,
                        };
                        outcomes.lock().expect("outcomes lock").push(outcome);
                    }
                });
            }
        });
        Ok(outcomes.into_inner().expect("outcomes lock"))
    }
}

/// Runs one test and judges it on evidence.
fn judge(test: &TestId, executable: &Path, secret: &str, limits: Limits) -> Result<TestOutcome> {
    let finished = run_test(executable, &test.name, limits, &[])?;
    let output = format!("{}{}", finished.stdout, finished.stderr);
    let evidence = has_evidence(&finished.stdout, secret, &test.name);
    let exited_ok = finished.status.is_some_and(|status| status.success());
    if evidence && exited_ok {
        return Ok(TestOutcome {
            test: test.clone(),
            passed: true,
            reason: String::new(),
            output,
        });
    }
    let mut reason = failure_reason(&finished, evidence, limits);
    if test.tier == Tier::Loom && finished.status.is_some() {
        let traced = run_test(executable, &test.name, limits, interleaving::TRACE_ENV)?;
        if let Some(found) = interleaving::shorten(&format!("{}{}", traced.stdout, traced.stderr)) {
            reason = format!("{reason}\n{found}");
        }
    }
    Ok(failed(test, &reason, output.replace(secret, "<secret>")))
}

/// Why a test process that did not pass failed, from what it left behind.
fn failure_reason(finished: &Finished, evidence: bool, limits: Limits) -> String {
    use std::os::unix::process::ExitStatusExt;
    let Some(status) = finished.status else {
        return format!(
            "timed out after {} s: look for a deadlock (a lock or a wait that is never \
             released) or an endless loop",
            limits.timeout.as_secs()
        );
    };
    if let Some(message) = panic_message(&finished.stderr) {
        return message;
    }
    if let Some(signal) = status.signal() {
        return match signal {
            6 => "crashed: the process aborted (a panic inside a panic, `abort`, or memory \
                  allocation failed)"
                .to_owned(),
            11 => "crashed: segmentation fault or stack overflow".to_owned(),
            9 => "killed: it ran out of its memory limit or was killed".to_owned(),
            other => format!("crashed with signal {other}"),
        };
    }
    if status.success() && !evidence {
        return "the test process exited before the test ran to its end (did the code exit \
                the process?)"
            .to_owned();
    }
    format!("failed with {status}")
}

/// The first panic message in a test's stderr, shortened to a few lines.
pub fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr
        .lines()
        .skip_while(|line| !line.contains("panicked at"));
    let location = lines.next()?;
    let location = location
        .split_once("panicked at ")
        .map_or(location, |(_, at)| at.trim_end_matches(':'));
    let message: Vec<&str> = lines
        .take_while(|line| !line.starts_with("note: ") && !line.starts_with("thread '"))
        .take(6)
        .collect();
    Some(format!("{} (at {location})", message.join("\n").trim()))
}

/// The reason every test of a lab that does not compile fails.
fn compile_reason(error: &str) -> String {
    let shortened: Vec<&str> = error.lines().take(12).collect();
    format!("does not compile:\n{}", shortened.join("\n"))
}

/// A failed outcome.
fn failed(test: &TestId, reason: &str, output: String) -> TestOutcome {
    TestOutcome {
        test: test.clone(),
        passed: false,
        reason: reason.to_owned(),
        output,
    }
}

/// Every test in `tests` failed for the same `reason`, none having run.
fn all_failed(tests: &[TestId], reason: &str) -> Vec<TestOutcome> {
    tests
        .iter()
        .map(|test| failed(test, reason, String::new()))
        .collect()
}
