//! Reports of a graded submission: a versioned JSON document and a terminal table.
//!
//! JSON schema, version 1 (`schema_version: 1`): `{ schema_version, submission, score,
//! max_score, labs: [{ lab, score, max_score, tests: [{ test: { tier, target, name }, passed,
//! reason, output }] }] }`. There is exactly one test entry per expected test of each graded
//! lab, whether or not it ran. Every test is worth one point.

use comfy_table::{ContentArrangement, Table};
use serde::{Deserialize, Serialize};

use crate::grade::TestOutcome;

/// The version of the JSON document's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A graded submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The submission's folder, as given.
    pub submission: String,
    /// Tests passed, over every graded lab.
    pub score: usize,
    /// Tests expected, over every graded lab.
    pub max_score: usize,
    /// One entry per graded lab, in course order.
    pub labs: Vec<LabReport>,
}

/// One graded lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabReport {
    /// The lab's name, e.g. `lab1-lock`.
    pub lab: String,
    /// Tests passed.
    pub score: usize,
    /// Tests expected.
    pub max_score: usize,
    /// One outcome per expected test.
    pub tests: Vec<TestOutcome>,
}

impl LabReport {
    /// The report of `lab` from its outcomes.
    pub fn new(lab: &str, tests: Vec<TestOutcome>) -> Self {
        Self {
            lab: lab.to_owned(),
            score: tests.iter().filter(|t| t.passed).count(),
            max_score: tests.len(),
            tests,
        }
    }
}

impl Report {
    /// The report of `submission` from its labs' reports.
    pub fn new(submission: &str, labs: Vec<LabReport>) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            submission: submission.to_owned(),
            score: labs.iter().map(|lab| lab.score).sum(),
            max_score: labs.iter().map(|lab| lab.max_score).sum(),
            labs,
        }
    }

    /// The report as a terminal table: one row per test, with its reason when it failed.
    pub fn table(&self) -> String {
        let mut table = Table::new();
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(120)
            .set_header(["lab", "tier", "test", "result", "reason"]);
        for lab in &self.labs {
            for outcome in &lab.tests {
                let reason: String = outcome
                    .reason
                    .lines()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("\n");
                table.add_row([
                    lab.lab.clone(),
                    outcome.test.tier.to_string(),
                    outcome.test.name.clone(),
                    if outcome.passed { "pass" } else { "FAIL" }.to_owned(),
                    reason,
                ]);
            }
        }
        let totals: Vec<String> = self
            .labs
            .iter()
            .map(|lab| format!("{} {}/{}", lab.lab, lab.score, lab.max_score))
            .collect();
        format!(
            "{table}\n{}\ntotal: {}/{}\n",
            totals.join("  "),
            self.score,
            self.max_score
        )
    }
}
