//! Stage 5: the grader, which drives stages 1 to 4 for one submission: one outcome per
//! expected test of a lab; a test passes only on evidence.
//!
//! A lab whose files are missing or refused by the [`policy`] is not built: every expected
//! test fails with that reason. The other labs of a submission are built together and their
//! tests run in one pool of processes. Passing needs all three: the process exited
//! successfully, before its timeout, and its stdout holds the evidence line of this run's
//! secret for this test. Everything else is a failure with a reason: missing lab, compile
//! error, panic (its message), stack overflow, out of memory, crash (its signal), timeout, or
//! an exit without evidence.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::{IoContext, Result};
use tempfile::TempDir;

use crate::compile::cargo_build::BuildLimits;
use crate::cores::Cores;
use crate::evidence::new_secret;
use crate::execute::outcome::{Failure, TestOutcome, all_failed};
use crate::execute::pace::Pace;
use crate::execute::run::Limits;
use crate::intake::catalog::{Lab, TestId, Tier, expected_tests};
use crate::intake::collect::{CollectError, Sources, collect};
use crate::intake::policy;
use crate::score::report::{LabReport, Report};
use crate::score::rubric::Rubric;

mod builds;
mod schedule;

use schedule::pace_timeouts;

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
    /// The time one lab's stress tier may take in all (it is worth no points, and runs after
    /// the scored tiers): each of its tests gets an equal share as its timeout, at most
    /// [`limits`](Self::limits)' timeout.
    pub stress_budget: Duration,
    /// Whether each real-thread test's timeout is in proportion to its reference's time on
    /// this machine, at most the timeout of [`limits`](Self::limits) (the pace of
    /// [`measure_pace`](Self::measure_pace), measured when first needed: when a graded lab has
    /// tests to run); else every test gets those flat timeouts.
    pub paced: bool,
    /// Told, in a short line, each stage of grading a submission as it starts (building,
    /// running), so that a long grading is not silent; `None` for silence.
    pub on_stage: Option<fn(&str)>,
    /// The cores that builds and test processes take turns on: a test takes one, no test
    /// starts during a build, and as many tests run at once as there are cores. Shared by
    /// every clone of the grader, so that gradings side by side (a class) do not crowd the
    /// machine.
    pub cores: Arc<Cores>,
}

/// The time one lab's stress tier may take in all, by default.
pub const STRESS_BUDGET: Duration = Duration::from_secs(60);

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

/// A test's outcome and how long its process ran (`None`: it did not run).
type Timed = (TestOutcome, Option<Duration>);

impl Grader {
    /// A grader over the `pristine` workspace, caching builds in `cache`, giving each test
    /// `timeout` (each loom model four times as long), on `jobs` [`Cores`],
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
            stress_budget: STRESS_BUDGET,
            paced: false,
            on_stage: None,
            cores: Arc::new(Cores::new(jobs)),
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
        let mut runs = self.grade_labs_runs(labs, 1)?;
        Ok(runs.pop().unwrap_or_default())
    }

    /// As [`grade_labs`](Self::grade_labs), but over one build the tests run `runs` times
    /// (at least once), each time anew: one list of outcomes per run, to check that no
    /// outcome depends on the run.
    pub fn grade_labs_runs(
        &self,
        labs: Vec<LabSubmission<'_>>,
        runs: usize,
    ) -> Result<Vec<Vec<Vec<TestOutcome>>>> {
        let runs = self.grade_labs_timed(labs, runs)?;
        Ok(runs
            .into_iter()
            .map(|run| {
                run.into_iter()
                    .map(|lab| lab.into_iter().map(|(outcome, _)| outcome).collect())
                    .collect()
            })
            .collect())
    }

    /// The references' own time for each test of `labs` on this machine: for each lab, the
    /// pace kept in the cache for the pristine workspace as it is now, or, if none is,
    /// measured now by [`grade_references`](Self::grade_references) (told as a stage).
    pub fn measure_pace(&self, labs: &[&Lab]) -> Result<Pace> {
        let folder = self.cache.join("pace");
        let (mut pace, mut unmeasured) = (Pace::default(), Vec::new());
        for lab in labs {
            match Pace::kept(&folder, &self.pristine, lab)? {
                Some(kept) => pace = pace.merged(kept),
                None => unmeasured.push(*lab),
            }
        }
        if !unmeasured.is_empty() {
            let names: Vec<&str> = unmeasured.iter().map(|lab| lab.name).collect();
            self.stage(&format!(
                "timing the references of {}, once for this version of the tests",
                names.join(", ")
            ));
            pace = pace.merged(self.grade_references(&unmeasured)?.1);
        }
        Ok(pace)
    }

    /// Grades the references (`<pristine>/solutions`) of `labs` on every tier, under the
    /// flat timeouts, and keeps each lab's pace (its reference's time for each test it
    /// passes) in the cache for [`measure_pace`](Self::measure_pace). Returns each lab's
    /// outcomes, in order, and their pace.
    pub fn grade_references(&self, labs: &[&Lab]) -> Result<(Vec<Vec<TestOutcome>>, Pace)> {
        let flat = Self {
            paced: false,
            ..self.clone()
        };
        let solutions = self.pristine.join("solutions");
        let submissions = labs
            .iter()
            .map(|lab| LabSubmission::in_folder(lab, &solutions))
            .collect();
        let graded = flat
            .grade_labs_timed(submissions, 1)?
            .pop()
            .unwrap_or_default();
        let mut pace = Pace::default();
        let mut outcomes = Vec::new();
        for (lab, timed) in labs.iter().zip(graded) {
            let lab_pace = Pace::new(timed.iter().filter_map(|(outcome, elapsed)| {
                let elapsed = elapsed.filter(|_| outcome.is_pass())?;
                Some((outcome.test.clone(), elapsed))
            }));
            lab_pace.keep(&self.cache.join("pace"), &self.pristine, lab)?;
            pace = pace.merged(lab_pace);
            outcomes.push(timed.into_iter().map(|(outcome, _)| outcome).collect());
        }
        Ok((outcomes, pace))
    }

    /// As [`grade_labs_runs`](Self::grade_labs_runs), with how long each test's process ran
    /// (`None` for a test that did not run).
    fn grade_labs_timed(
        &self,
        labs: Vec<LabSubmission<'_>>,
        runs: usize,
    ) -> Result<Vec<Vec<Vec<Timed>>>> {
        let mut outcomes: Vec<Vec<TestOutcome>> = Vec::new();
        let to_build = self.accept(labs, &mut outcomes)?;
        let untimed = |outcomes: &[Vec<TestOutcome>]| -> Vec<Vec<Timed>> {
            outcomes
                .iter()
                .map(|lab| lab.iter().map(|outcome| (outcome.clone(), None)).collect())
                .collect()
        };
        let mut graded = Vec::new();
        if to_build.is_empty() {
            graded.resize(runs.max(1), untimed(&outcomes));
        } else {
            let secret = new_secret();
            let binaries = self.temp_folder("runs")?;
            let mut runnable = self.build(&to_build, binaries.path(), &mut outcomes)?;
            if self.paced && !runnable.is_empty() {
                let run: Vec<&Lab> = to_build
                    .iter()
                    .filter(|lab| runnable.iter().any(|test| test.lab == lab.index))
                    .map(|lab| lab.lab)
                    .collect();
                pace_timeouts(&self.measure_pace(&run)?, &mut runnable);
            }
            let untimed = untimed(&outcomes);
            for _ in 0..runs.max(1) {
                self.stage(&format!(
                    "running {} tests, {} at a time",
                    runnable.len(),
                    self.cores.total()
                ));
                let mut run = untimed.clone();
                for (lab, outcome, elapsed) in
                    schedule::run_all(runnable.clone(), &secret, &self.cores, self.stress_budget)?
                {
                    run[lab].push((outcome, Some(elapsed)));
                }
                graded.push(run);
            }
        }
        for run in &mut graded {
            for lab in run.iter_mut() {
                lab.sort_by(|(a, _), (b, _)| a.test.cmp(&b.test));
            }
        }
        Ok(graded)
    }

    /// The labs of `labs` to build: those handed in whose files the policy accepts. Every
    /// lab gets its list in `outcomes`, in order: all its tests failed with the reason for a
    /// lab that is missing or refused; for a lab whose files only escape loom, its loom tests
    /// refused (its real-thread tiers are built).
    fn accept<'a>(
        &self,
        labs: Vec<LabSubmission<'a>>,
        outcomes: &mut Vec<Vec<TestOutcome>>,
    ) -> Result<Vec<Accepted<'a>>> {
        let mut to_build = Vec::new();
        for (index, submission) in labs.into_iter().enumerate() {
            let mut expected = expected_tests(&self.pristine.join(submission.lab.name))?;
            expected.retain(|test| submission.tiers.contains(&test.tier));
            let sources = match submission.sources {
                Ok(sources) => sources,
                Err(error) => {
                    let failure = Failure::NotHandedIn {
                        why: error.to_string(),
                    };
                    outcomes.push(all_failed(&expected, &failure));
                    continue;
                }
            };
            let stub = self.pristine.join(submission.lab.name).join("src/lib.rs");
            let stub = fs::read_to_string(&stub).on("read the stub", &stub)?;
            let violations = policy::check(submission.lab, &stub, &sources);
            let refusal = Failure::Refused {
                violations: violations.clone(),
            };
            if violations.iter().any(|violation| !violation.loom_only) {
                outcomes.push(all_failed(&expected, &refusal));
                continue;
            }
            // Only escapes loom: the real-thread tiers are graded, the loom tier is refused.
            let (refused, expected): (Vec<TestId>, Vec<TestId>) = expected
                .into_iter()
                .partition(|test| !violations.is_empty() && test.tier == Tier::Loom);
            outcomes.push(all_failed(&refused, &refusal));
            to_build.push(Accepted {
                index,
                lab: submission.lab,
                sources,
                expected,
            });
        }
        Ok(to_build)
    }

    /// A new folder under `<cache>/<kind>`, deleted when dropped. Folders there that a grader
    /// killed before it could clean up left more than a day ago are deleted first, so the
    /// cache does not grow without end.
    pub fn temp_folder(&self, kind: &str) -> Result<TempDir> {
        let parent = self.cache.join(kind);
        fs::create_dir_all(&parent).on("create", &parent)?;
        let day_ago = SystemTime::now() - Duration::from_secs(24 * 60 * 60);
        for entry in fs::read_dir(&parent).on("list", &parent)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified < day_ago);
            if stale {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        tempfile::tempdir_in(&parent).on("create a folder in", &parent)
    }

    /// Tells [`on_stage`](Self::on_stage), if anyone listens, that `stage` starts.
    fn stage(&self, stage: &str) {
        if let Some(on_stage) = self.on_stage {
            on_stage(stage);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
