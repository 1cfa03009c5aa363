//! The stub/reference contract, as rustlings' `dev check` proves it: graded by the grader
//! itself, every lab's stub fails every expected test on `not yet implemented`, and every
//! lab's reference passes every one, loom models included.

mod common;

use std::path::Path;

use grader::catalog::{LABS, Lab};
use grader::grade::{LabSubmission, TestOutcome};

use common::{grader, pristine};

/// Grades every tier of every lab, together as one submission, with the student files found
/// under `root` (a folder shaped like the workspace).
fn grade_all(root: &Path) -> Vec<(&'static Lab, Vec<TestOutcome>)> {
    let submissions = LABS
        .iter()
        .map(|lab| LabSubmission::in_folder(lab, root))
        .collect();
    LABS.iter()
        .zip(grader().grade_labs(submissions).unwrap())
        .collect()
}

/// One line per outcome: test, tier, reason.
fn describe(outcomes: &[&TestOutcome]) -> String {
    outcomes
        .iter()
        .map(|o| format!("  {} [{}]: {}", o.test, o.test.tier, o.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_stub_fails_every_test_on_not_yet_implemented() {
    for (lab, outcomes) in grade_all(&pristine()) {
        assert!(!outcomes.is_empty(), "{} has no expected tests", lab.name);
        let wrong: Vec<&TestOutcome> = outcomes
            .iter()
            .filter(|o| o.passed || !o.reason.contains("not yet implemented"))
            .collect();
        assert!(
            wrong.is_empty(),
            "{}'s stub must fail every test on `not yet implemented`; these did not:\n{}",
            lab.name,
            describe(&wrong)
        );
    }
}

#[test]
fn every_reference_passes_every_test() {
    for (lab, outcomes) in grade_all(&pristine().join("solutions")) {
        let failed: Vec<&TestOutcome> = outcomes.iter().filter(|o| !o.passed).collect();
        assert!(
            failed.is_empty(),
            "{}'s reference must pass every test; these failed:\n{}",
            lab.name,
            describe(&failed)
        );
        if lab.loom {
            assert!(
                outcomes
                    .iter()
                    .any(|o| o.test.tier == grader::catalog::Tier::Loom),
                "{} is loom-checked but has no loom model",
                lab.name
            );
        }
    }
}
