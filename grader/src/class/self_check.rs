//! The stub/reference contract, as rustlings' `dev check` proves it: graded by the grader
//! itself, every lab's reference passes every expected test, loom models included, and every
//! lab's stub fails every one on `not yet implemented`. `grader self-check` and the kit's
//! contract test both run it.

use crate::error::Result;

use crate::execute::outcome::Failure;
use crate::grade::Grader;
use crate::intake::catalog::{LABS, Lab, Tier};
use crate::score::report::{LabReport, Report};
use crate::score::rubric::Rubric;

/// The contract's verdict on the grader's pristine workspace.
#[derive(Debug)]
pub struct Contract {
    /// The references' report: full marks expected.
    pub references: Report,
    /// The stubs' report: zero expected.
    pub stubs: Report,
    /// One line per broken promise (a test, or a lab without a loom model it should have);
    /// empty when the contract holds.
    pub broken: Vec<String>,
}

/// Grades the references (`<pristine>/solutions`, under the flat timeouts, keeping their pace
/// for later gradings: [`Grader::grade_references`]), then the stubs (the pristine workspace
/// itself), every lab on every tier with the default rubric; `on_lab` sees each lab's report,
/// and `on_part` is told which part starts.
pub fn check(
    grader: &Grader,
    mut on_part: impl FnMut(&str),
    mut on_lab: impl FnMut(&LabReport),
) -> Result<Contract> {
    let labs: Vec<&Lab> = LABS.iter().collect();
    let rubric = Rubric::default();
    on_part("references (full marks expected)");
    let (graded, _) = grader.grade_references(&labs)?;
    let mut reports = Vec::new();
    for (lab, outcomes) in labs.iter().zip(graded) {
        let report = LabReport::new(lab.name, outcomes, &rubric);
        on_lab(&report);
        reports.push(report);
    }
    let solutions = grader.pristine.join("solutions");
    let references = Report::new(&solutions.display().to_string(), reports);
    on_part("stubs (zero expected, every test on `not yet implemented`)");
    let stubs = grader.grade_submission(&rubric, &grader.pristine, &labs, &mut on_lab)?;
    let broken = broken_promises(&labs, &references, &stubs);
    Ok(Contract {
        references,
        stubs,
        broken,
    })
}

/// Every way `references` and `stubs` break the contract, one line each.
fn broken_promises(labs: &[&Lab], references: &Report, stubs: &Report) -> Vec<String> {
    let mut broken = Vec::new();
    for lab in &references.labs {
        for test in lab.tests.iter().filter(|t| !t.passed) {
            broken.push(format!(
                "reference {} {}::{} [{}] failed: {}",
                lab.lab, test.target, test.name, test.tier, test.reason
            ));
        }
        let loom_checked = labs.iter().any(|l| l.name == lab.lab && l.loom);
        if loom_checked && !lab.tests.iter().any(|t| t.tier == Tier::Loom) {
            broken.push(format!("{} is loom-checked but has no loom model", lab.lab));
        }
    }
    for lab in &stubs.labs {
        if lab.tests.is_empty() {
            broken.push(format!("{} has no expected tests", lab.lab));
        }
        for test in &lab.tests {
            if !test
                .failure
                .as_ref()
                .is_some_and(Failure::is_not_implemented)
            {
                broken.push(format!(
                    "stub {} {}::{} [{}] passed, or failed otherwise: {}",
                    lab.lab, test.target, test.name, test.tier, test.reason
                ));
            }
        }
    }
    broken
}
