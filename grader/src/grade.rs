//! Stage 6: one outcome per expected test of a lab; a test passes only on evidence.
//!
//! A lab whose files are missing or refused by the [`policy`] is not built: every expected
//! test fails with that reason. The other labs of a submission are built together and their
//! tests run in one pool of processes. Passing needs all three: the process exited
//! successfully, before its timeout, and its stdout holds the evidence line of this run's
//! secret for this test. Everything else is a failure with a reason: missing lab, compile
//! error, panic (its message), stack overflow, out of memory, crash (its signal), timeout, or
//! an exit without evidence.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

use crate::catalog::{Lab, TestId, Tier, expected_tests};
use crate::collect::{CollectError, Sources, collect};
use crate::compile::{Build, BuildLimits, BuildPlan, BuildWorkspace, Profile, build_tests};
use crate::evidence::{has_evidence, new_secret, without_evidence};
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
    /// The build cache: the one build workspace, the shared target directories, and each
    /// grading's test executables while it runs.
    pub cache: PathBuf,
    /// Limits of each visible or hidden test process.
    pub limits: Limits,
    /// Limits of each loom model process.
    pub loom_limits: Limits,
    /// Limits of each build.
    pub build_limits: BuildLimits,
    /// Told, in a short line, each stage of grading a submission as it starts (building,
    /// running), so that a long grading is not silent; `None` for silence.
    pub on_stage: Option<fn(&str)>,
    /// How many test processes run at once.
    pub jobs: usize,
}

/// Every tier: what a lab is graded on unless told otherwise.
pub const ALL_TIERS: &[Tier] = &[Tier::Visible, Tier::Hidden, Tier::Loom, Tier::Stress];

/// One lab of a submission to grade.
#[derive(Debug)]
pub struct LabSubmission<'a> {
    /// The lab.
    pub lab: &'a Lab,
    /// The student's files of the lab, or why they could not be taken.
    pub sources: Result<Sources, CollectError>,
    /// The tiers whose expected tests are graded (usually [`ALL_TIERS`]).
    pub tiers: &'a [Tier],
}

impl<'a> LabSubmission<'a> {
    /// `lab` as handed in in the folder `root` (a copy of the workspace), on every tier.
    pub fn in_folder(lab: &'a Lab, root: &Path) -> Self {
        Self {
            lab,
            sources: collect(root, lab.name),
            tiers: ALL_TIERS,
        }
    }
}

/// A lab that passed collection and the policy: it is built.
struct Accepted<'a> {
    /// Its index among the submission's labs.
    index: usize,
    lab: &'a Lab,
    sources: Sources,
    /// Its expected tests, of the tiers graded.
    expected: Vec<TestId>,
}

/// A test ready to run: which lab (by index) it belongs to, its executable and limits.
struct Runnable {
    lab: usize,
    test: TestId,
    executable: PathBuf,
    limits: Limits,
}

impl Grader {
    /// A grader over the `pristine` workspace, caching builds in `cache`, giving each test
    /// `timeout` (each loom model four times as long), running `jobs` test processes at once,
    /// with the other limits at their defaults and no stage reports.
    pub fn new(pristine: PathBuf, cache: PathBuf, timeout: Duration, jobs: usize) -> Self {
        let limits = Limits {
            timeout,
            ..Limits::default()
        };
        Self {
            pristine,
            cache,
            limits,
            loom_limits: Limits {
                timeout: timeout * 4,
                ..limits
            },
            build_limits: BuildLimits::default(),
            on_stage: None,
            jobs,
        }
    }

    /// Grades `labs` of the submission in `root` (a student's copy of the workspace), scored
    /// with `rubric`; `on_lab` sees each lab's report once it is graded.
    pub fn grade_submission(
        &self,
        rubric: &Rubric,
        root: &Path,
        labs: &[&Lab],
        mut on_lab: impl FnMut(&LabReport),
    ) -> Result<Report> {
        let submissions = labs
            .iter()
            .map(|lab| LabSubmission::in_folder(lab, root))
            .collect();
        let mut reports = Vec::new();
        for (lab, outcomes) in labs.iter().zip(self.grade_labs(submissions)?) {
            let report = LabReport::new(lab.name, outcomes, rubric);
            on_lab(&report);
            reports.push(report);
        }
        Ok(Report::new(&root.display().to_string(), reports))
    }

    /// Grades the labs of one submission together: one scratch workspace, one build per
    /// profile, one pool of test processes. Returns, for each lab in order, one outcome per
    /// expected test of its tiers, in the catalogue's order. A lab that is missing, refused
    /// or does not compile fails its tests with that reason and costs the others nothing.
    pub fn grade_labs(&self, labs: Vec<LabSubmission<'_>>) -> Result<Vec<Vec<TestOutcome>>> {
        let mut outcomes: Vec<Vec<TestOutcome>> = Vec::new();
        let mut to_build = Vec::new();
        for (index, submission) in labs.into_iter().enumerate() {
            let mut expected = expected_tests(&self.pristine.join(submission.lab.name))?;
            expected.retain(|test| submission.tiers.contains(&test.tier));
            let sources = match submission.sources {
                Ok(sources) => sources,
                Err(error) => {
                    outcomes.push(all_failed(&expected, &error.to_string()));
                    continue;
                }
            };
            let stub = self.pristine.join(submission.lab.name).join("src/lib.rs");
            let stub = fs::read_to_string(&stub)
                .with_context(|| format!("cannot read the stub {}", stub.display()))?;
            let violations = policy::check(submission.lab, &stub, &sources);
            if violations.iter().any(|violation| !violation.loom_only) {
                outcomes.push(all_failed(&expected, &policy::refusal_reason(&violations)));
                continue;
            }
            // Only escapes loom: the real-thread tiers are graded, the loom tier is refused.
            let (refused, expected): (Vec<TestId>, Vec<TestId>) = expected
                .into_iter()
                .partition(|test| !violations.is_empty() && test.tier == Tier::Loom);
            outcomes.push(all_failed(&refused, &policy::refusal_reason(&violations)));
            to_build.push(Accepted {
                index,
                lab: submission.lab,
                sources,
                expected,
            });
        }
        if !to_build.is_empty() {
            let secret = new_secret();
            let binaries = self.temp_folder("runs")?;
            let runnable = self.build(&to_build, &secret, binaries.path(), &mut outcomes)?;
            self.stage(&format!(
                "running {} tests, {} at a time",
                runnable.len(),
                self.jobs
            ));
            for (lab, outcome) in self.run_all(runnable, &secret)? {
                outcomes[lab].push(outcome);
            }
        }
        for lab in &mut outcomes {
            lab.sort_by(|a, b| a.test.cmp(&b.test));
        }
        Ok(outcomes)
    }

    /// Builds the `accepted` labs with their tests reporting `secret`, once per profile,
    /// copying the executables into `binaries`. Returns the tests to run; the tests of a lab
    /// that does not compile go straight to `outcomes`, failed with the compiler's error.
    fn build(
        &self,
        accepted: &[Accepted<'_>],
        secret: &str,
        binaries: &Path,
        outcomes: &mut [Vec<TestOutcome>],
    ) -> Result<Vec<Runnable>> {
        let workspace = BuildWorkspace::lock(&self.cache)?;
        let overlays: Vec<(&str, &Sources)> = accepted
            .iter()
            .map(|lab| (lab.lab.name, &lab.sources))
            .collect();
        scratch::prepare(&self.pristine, workspace.root(), &overlays, secret)?;
        let mut runnable = Vec::new();
        for (profile, limits) in [
            (Profile::Threads, self.limits),
            (Profile::Loom, self.loom_limits),
        ] {
            // Each accepted lab's expected tests of this profile, in `accepted`'s order.
            let tests: Vec<Vec<TestId>> = accepted
                .iter()
                .map(|lab| {
                    lab.expected
                        .iter()
                        .filter(|test| (test.tier == Tier::Loom) == (profile == Profile::Loom))
                        .cloned()
                        .collect()
                })
                .collect();
            let names: Vec<&str> = accepted
                .iter()
                .zip(&tests)
                .filter(|(_, tests)| !tests.is_empty())
                .map(|(lab, _)| lab.lab.name)
                .collect();
            let targets: BTreeSet<&str> = tests
                .iter()
                .flatten()
                .map(|test| test.target.as_str())
                .collect();
            let targets: Vec<&str> = targets.into_iter().collect();
            if !names.is_empty() {
                self.stage(&format!(
                    "building the {} tests of {}",
                    match profile {
                        Profile::Threads => "visible and hidden",
                        Profile::Loom => "loom",
                    },
                    names.join(", ")
                ));
            }
            let plan = BuildPlan {
                labs: &names,
                targets: &targets,
                profile,
                limits: self.build_limits,
            };
            let mut builds = build_tests(&workspace, plan, &self.cache, binaries)?;
            for (lab, tests) in accepted.iter().zip(tests) {
                let Some(build) = builds.remove(lab.lab.name) else {
                    continue;
                };
                match build {
                    Build::CompileError(error) => {
                        outcomes[lab.index].extend(all_failed(&tests, &compile_reason(&error)));
                    }
                    Build::Built(executables) => {
                        for test in tests {
                            match executables.get(&test.target) {
                                None => outcomes[lab.index].push(failed(
                                    &test,
                                    "its test binary was not built",
                                    String::new(),
                                )),
                                Some(executable) => runnable.push(Runnable {
                                    lab: lab.index,
                                    test,
                                    executable: executable.clone(),
                                    limits,
                                }),
                            }
                        }
                    }
                }
            }
        }
        Ok(runnable)
    }

    /// A new folder under `<cache>/<kind>`, deleted when dropped. Folders there that a grader
    /// killed before it could clean up left more than a day ago are deleted first, so the
    /// cache does not grow without end.
    pub fn temp_folder(&self, kind: &str) -> Result<TempDir> {
        let parent = self.cache.join(kind);
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let day_ago = SystemTime::now() - Duration::from_secs(24 * 60 * 60);
        for entry in fs::read_dir(&parent)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified < day_ago);
            if stale {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        tempfile::tempdir_in(&parent)
            .with_context(|| format!("cannot create a folder in {}", parent.display()))
    }

    /// Tells [`on_stage`](Self::on_stage), if anyone listens, that `stage` starts.
    fn stage(&self, stage: &str) {
        if let Some(on_stage) = self.on_stage {
            on_stage(stage);
        }
    }

    /// Runs `tests`, `jobs` at a time, each in its own process, the longest (loom models)
    /// first; returns each one's lab index and outcome.
    fn run_all(&self, mut tests: Vec<Runnable>, secret: &str) -> Result<Vec<(usize, TestOutcome)>> {
        tests.sort_by_key(|runnable| runnable.test.tier != Tier::Loom);
        let next = Mutex::new(tests.iter());
        let outcomes = Mutex::new(Vec::new());
        std::thread::scope(|scope| -> Result<()> {
            let workers: Vec<_> = (0..self.jobs.max(1))
                .map(|_| {
                    scope.spawn(|| -> Result<()> {
                        loop {
                            let Some(runnable) = next.lock().expect("queue lock").next() else {
                                return Ok(());
                            };
                            let outcome = judge(
                                &runnable.test,
                                &runnable.executable,
                                secret,
                                runnable.limits,
                            )?;
                            outcomes
                                .lock()
                                .expect("outcomes lock")
                                .push((runnable.lab, outcome));
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
}

/// Runs one test and judges it on evidence.
fn judge(test: &TestId, executable: &Path, secret: &str, limits: Limits) -> Result<TestOutcome> {
    let finished = run_test(executable, &test.name, limits, &[])?;
    let output = without_evidence(&format!("{}{}", finished.stdout, finished.stderr), secret);
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
    let mut reason = failure_reason(&finished, evidence, limits, &test.name);
    if test.tier == Tier::Loom {
        reason = explain_loom(reason);
    }
    if test.tier == Tier::Loom && finished.status.is_some() {
        let traced = run_test(executable, &test.name, limits, interleaving::TRACE_ENV)?;
        if let Some(found) = interleaving::shorten(&format!("{}{}", traced.stdout, traced.stderr)) {
            reason = format!("{reason}\n{found}");
        }
    }
    Ok(failed(test, &reason, output))
}

/// Why the test `test_name`, whose process did not pass, failed, from what it left behind.
fn failure_reason(finished: &Finished, evidence: bool, limits: Limits, test_name: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let Some(status) = finished.status else {
        let mut reason = format!(
            "timed out after {} s: look for a deadlock (a lock or a wait that is never \
             released) or an endless loop",
            limits.timeout.as_secs()
        );
        if let Some(message) = panic_message(&finished.stderr, test_name) {
            reason.push_str(&format!("; before that, it panicked: {message}"));
        }
        return reason;
    };
    if let Some(message) = panic_message(&finished.stderr, test_name) {
        return message;
    }
    if let Some(thread) = overflowed_thread(&finished.stderr) {
        return format!(
            "crashed: thread {thread} overflowed its stack: look for a recursion that never \
             stops, or a very large value on the stack"
        );
    }
    if let Some(allocation) = failed_allocation(&finished.stderr) {
        return format!(
            "crashed: out of memory ({allocation}, over the test's limit of {} MiB): look for \
             a collection that grows without end",
            limits.memory_bytes >> 20
        );
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

/// `reason` of a failed loom model, with what loom's own failures mean in the student's terms.
fn explain_loom(reason: String) -> String {
    let meaning = if reason.contains("deadlock; threads") {
        "loom found an interleaving in which every thread left is blocked for good: a \
         wake-up was lost (a condition variable not notified after a change a waiter waits \
         for, or `notify_one` where several threads may wait), or a lock is never released"
    } else if reason.contains("maximum number of branches") {
        "loom gave up on an endless wait: a loop that waits without letting loom see it wait; \
         spin with the facade's `hint::spin_loop()`, or sleep on a condition variable"
    } else {
        return reason;
    };
    format!("{meaning}\n(loom: {reason})")
}

/// The panic that explains why the test `test_name` failed, from its stderr, shortened to a
/// few lines, with where it happened. A test's own assertion says most: the test thread's
/// panic if it is in a test file (a test that expects a panic from lab code and then fails
/// its own check), else the first panic in a test file (an assertion in a thread the test
/// started), else the first panic.
pub fn panic_message(stderr: &str, test_name: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let panics: Vec<Panic<'_>> = (0..lines.len())
        .filter(|&at| lines[at].contains("panicked at "))
        .map(|at| Panic::read(&lines[at..]))
        .collect();
    let in_test_file = |panic: &&Panic<'_>| {
        ["tests/", "hidden/"]
            .iter()
            .any(|folder| panic.location.contains(folder))
    };
    let chosen = panics
        .iter()
        .filter(in_test_file)
        .find(|panic| panic.thread == test_name)
        .or_else(|| panics.iter().find(in_test_file))
        .or_else(|| panics.first())?;
    Some(format!("{} (at {})", chosen.message, chosen.location))
}

/// One panic's report in a test's stderr.
struct Panic<'a> {
    /// The thread that panicked, as Rust names it.
    thread: &'a str,
    /// Where, shortened for a panic inside a dependency.
    location: &'a str,
    /// The message, at most six lines.
    message: String,
}

impl<'a> Panic<'a> {
    /// The panic reported by the first of `lines`, with its message in the lines after it.
    fn read(lines: &[&'a str]) -> Self {
        let line = lines[0];
        let (head, location) = line.split_once("panicked at ").unwrap_or((line, line));
        let thread = head.split('\'').nth(1).unwrap_or_default();
        let location = location.trim_end_matches(':');
        // A panic inside a dependency (loom reporting a data race, a deadlock, a leak) is
        // located in cargo's registry: keep the crate and file, which say what found it.
        let location = location
            .split_once("/.cargo/registry/src/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or(location, |(_, in_crate)| in_crate);
        let message: Vec<&str> = lines[1..]
            .iter()
            .copied()
            .take_while(|line| !line.starts_with("note: ") && !line.starts_with("thread '"))
            .take(6)
            .collect();
        Self {
            thread,
            location,
            message: message.join("\n").trim().to_owned(),
        }
    }
}

/// The thread named in Rust's stack overflow message (`thread 'x' has overflowed its stack`).
fn overflowed_thread(stderr: &str) -> Option<&str> {
    stderr.lines().find_map(|line| {
        let rest = line.strip_prefix("thread ")?;
        let (thread, _) = rest.split_once(" has overflowed its stack")?;
        Some(thread)
    })
}

/// The failed allocation in Rust's out-of-memory message (`memory allocation of N bytes
/// failed`).
fn failed_allocation(stderr: &str) -> Option<&str> {
    stderr.lines().find_map(|line| {
        let start = line.find("memory allocation of ")?;
        Some(line[start..].trim_end_matches(" failed"))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_message_keeps_its_lines_and_a_short_location() {
        let stderr = "\nthread 'main' (7) panicked at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/loom-0.7.3/src/rt/location.rs:115:9:\nCausality violation: Concurrent write accesses to `UnsafeCell`.\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr, "t").unwrap(),
            "Causality violation: Concurrent write accesses to `UnsafeCell`. \
             (at loom-0.7.3/src/rt/location.rs:115:9)"
        );
        let own = "thread 'x' panicked at tests/visible.rs:30:5:\nlost 3 updates\n";
        assert_eq!(
            panic_message(own, "t").unwrap(),
            "lost 3 updates (at tests/visible.rs:30:5)"
        );
        assert_eq!(panic_message("all good\n", "t"), None);
        let expected_then_failed = "thread '<unnamed>' (8) panicked at hidden/hidden.rs:70:9:\nthe holder fails\nthread 't' (7) panicked at hidden/hidden.rs:75:5:\nthe lock stayed taken\n";
        assert_eq!(
            panic_message(expected_then_failed, "t").unwrap(),
            "the lock stayed taken (at hidden/hidden.rs:75:5)"
        );
        let rethrown = "thread '<unnamed>' (8) panicked at tests/visible.rs:90:9:\nonly 1 of 4 threads\nthread 't' (7) panicked at src/lib.rs:80:9:\na counting thread panicked\n";
        assert_eq!(
            panic_message(rethrown, "t").unwrap(),
            "only 1 of 4 threads (at tests/visible.rs:90:9)"
        );
    }

    #[test]
    fn temporary_folders_left_behind_long_ago_are_cleaned_up() {
        let cache = tempfile::tempdir().unwrap();
        let grader = Grader::new(
            PathBuf::new(),
            cache.path().to_path_buf(),
            Duration::from_secs(1),
            1,
        );
        let runs = cache.path().join("runs");
        let (stale, fresh) = (runs.join("run-stale"), runs.join("run-fresh"));
        fs::create_dir_all(&stale).unwrap();
        fs::create_dir_all(&fresh).unwrap();
        let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 60 * 60);
        fs::File::open(&stale)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        let folder = grader.temp_folder("runs").unwrap();
        assert!(!stale.exists(), "a folder left two days ago is removed");
        assert!(fresh.exists(), "a folder in use is kept");
        assert!(folder.path().starts_with(&runs));
    }

    #[test]
    fn stack_overflows_and_failed_allocations_are_recognised() {
        let overflow = "\nthread 'main' has overflowed its stack\nfatal runtime error: stack overflow, aborting\n";
        assert_eq!(overflowed_thread(overflow), Some("'main'"));
        let oom = "memory allocation of 67108864 bytes failed\n";
        assert_eq!(
            failed_allocation(oom),
            Some("memory allocation of 67108864 bytes")
        );
        assert_eq!(overflowed_thread(oom), None);
        assert_eq!(failed_allocation(overflow), None);
    }
}
