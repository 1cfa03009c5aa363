//! The build of one grading: the scratch workspace prepared, then both profiles (real
//! threads, and loom) built at once, each in its own target directory, while the grader's
//! [`Cores`](crate::cores::Cores) hold tests back.

use std::collections::BTreeSet;
use std::path::Path;

use crate::compile::cargo_build::{Build, BuildPlan, BuildWorkspace, Profile, build_tests};
use crate::compile::{merged, scratch};
use crate::error::Result;
use crate::execute::outcome::TestOutcome;
use crate::intake::catalog::{TestId, Tier};
use crate::intake::collect::Sources;

use super::schedule::{Runnable, runnable_tests};
use super::{Accepted, Grader};

/// What one profile builds: each accepted lab's expected tests of the profile, in order; the
/// labs that have any; and their test targets.
struct ProfilePlan<'a> {
    profile: Profile,
    tests: Vec<Vec<TestId>>,
    labs: Vec<&'a str>,
    targets: Vec<String>,
}

impl Grader {
    /// Builds the `accepted` labs with their tests reporting evidence, once per profile,
    /// copying the executables into `binaries`. Returns the tests to run; the tests of a lab
    /// that does not compile go straight to `outcomes`, failed with the compiler's error.
    pub(super) fn build(
        &self,
        accepted: &[Accepted<'_>],
        binaries: &Path,
        outcomes: &mut [Vec<TestOutcome>],
    ) -> Result<Vec<Runnable>> {
        let workspace = BuildWorkspace::lock(&self.cache)?;
        let overlays: Vec<(&str, &Sources)> = accepted
            .iter()
            .map(|lab| (lab.lab.name, &lab.sources))
            .collect();
        scratch::prepare(&self.pristine, workspace.root(), &overlays)?;
        // Both profiles at once, each in its own target directory: while one compiles its
        // last crate on one core, the other has the rest.
        let profiles = [
            (Profile::Threads, self.limits),
            (Profile::Loom, self.loom_limits),
        ];
        let plans = profiles.map(|(profile, _)| self.plan_profile(accepted, profile));
        let built: Vec<Result<_>> = std::thread::scope(|scope| {
            let builds: Vec<_> = plans
                .into_iter()
                .map(|plan| {
                    let workspace = &workspace;
                    scope.spawn(move || self.build_profile(workspace, accepted, plan, binaries))
                })
                .collect();
            builds
                .into_iter()
                .map(|build| build.join().expect("a build thread panicked"))
                .collect()
        });
        let mut runnable = Vec::new();
        for (built, (_, limits)) in built.into_iter().zip(profiles) {
            for (lab, (tests, build)) in accepted.iter().zip(built?) {
                let Some(build) = build else {
                    continue;
                };
                runnable.extend(runnable_tests(lab.index, tests, build, limits, outcomes));
            }
        }
        Ok(runnable)
    }

    /// What `profile` builds of the `accepted` labs: for each lab in order, its expected tests
    /// of the profile; the labs that have any; and their test targets. Tells the stage.
    fn plan_profile<'a>(&self, accepted: &[Accepted<'a>], profile: Profile) -> ProfilePlan<'a> {
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
        let labs: Vec<&'a str> = accepted
            .iter()
            .zip(&tests)
            .filter(|(_, tests)| !tests.is_empty())
            .map(|(lab, _)| lab.lab.name)
            .collect();
        let targets: BTreeSet<String> = tests
            .iter()
            .flatten()
            .map(|test| merged::locate(test).0.to_owned())
            .collect();
        if !labs.is_empty() {
            self.stage(&format!(
                "building the {} tests of {}",
                match profile {
                    Profile::Threads => "visible and hidden",
                    Profile::Loom => "loom",
                },
                labs.join(", ")
            ));
        }
        ProfilePlan {
            profile,
            tests,
            labs,
            targets: targets.into_iter().collect(),
        }
    }

    /// Builds `plan` in `workspace`; returns, for each accepted lab in order, its expected
    /// tests of the profile and their build (`None` when it has none of the profile).
    fn build_profile(
        &self,
        workspace: &BuildWorkspace,
        accepted: &[Accepted<'_>],
        plan: ProfilePlan<'_>,
        binaries: &Path,
    ) -> Result<Vec<(Vec<TestId>, Option<Build>)>> {
        let targets: Vec<&str> = plan.targets.iter().map(String::as_str).collect();
        let build_plan = BuildPlan {
            labs: &plan.labs,
            targets: &targets,
            profile: plan.profile,
            limits: self.build_limits,
        };
        let building = self.cores.build();
        let mut builds = build_tests(workspace, build_plan, &self.cache, binaries)?;
        drop(building);
        Ok(accepted
            .iter()
            .zip(plan.tests)
            .map(|(lab, tests)| {
                let build = builds.remove(lab.lab.name);
                (tests, build)
            })
            .collect())
    }
}
