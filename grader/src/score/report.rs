//! Reports of a graded submission: a versioned JSON document, Gradescope's `results.json`, and
//! a terminal table.
//!
//! JSON report, schema version 2 (`schema_version: 2`):
//! `{ schema_version, submission, score, max_score, labs: [{ lab, score, max_score,
//! tests: [{ tier, target, name, passed, score, max_score, reason, failure, output }] }] }`.
//! There is exactly one test entry per expected test of each graded lab, whether or not it
//! ran; `reason` is the text a student reads, empty for a passed test; `failure` is the same
//! as a typed value, `{ "kind": ..., ... }` (a [`Failure`]), or `null` for a passed test;
//! points come from the [`Rubric`]. Version 2 added `failure`.
//!
//! Gradescope (`--format gradescope`): `{ score, max_score, output, tests: [{ name, score,
//! max_score, output, visibility }] }`, hidden tests with visibility `after_published`.

use comfy_table::{ContentArrangement, Table};
use serde::{Deserialize, Serialize};

use crate::execute::outcome::{Failure, TestOutcome};
use crate::intake::catalog::Tier;
use crate::score::rubric::Rubric;

/// The version of the JSON report's schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// A graded submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The submission's folder, as given.
    pub submission: String,
    /// Points earned, over every graded lab.
    pub score: f64,
    /// Points possible, over every graded lab.
    pub max_score: f64,
    /// One entry per graded lab, in course order.
    pub labs: Vec<LabReport>,
}

/// One graded lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabReport {
    /// The lab's name, e.g. `lab1-lock`.
    pub lab: String,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// One entry per expected test.
    pub tests: Vec<TestReport>,
}

/// One expected test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    /// Its suite.
    pub tier: Tier,
    /// Its cargo test target.
    pub target: String,
    /// Its function's name.
    pub name: String,
    /// Whether it passed, on evidence.
    pub passed: bool,
    /// Points earned: `max_score` if it passed, else 0.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Why it failed, as a student reads it; empty when it passed.
    pub reason: String,
    /// Why it failed, by kind; `None` when it passed.
    pub failure: Option<Failure>,
    /// Its captured output, head and tail.
    pub output: String,
}

impl LabReport {
    /// The report of `lab` from its outcomes, scored with `rubric`.
    pub fn new(lab: &str, outcomes: Vec<TestOutcome>, rubric: &Rubric) -> Self {
        let tests: Vec<TestReport> = outcomes
            .into_iter()
            .map(|outcome| {
                let max_score = rubric.points(lab, &outcome.test);
                let passed = outcome.is_pass();
                TestReport {
                    reason: outcome.reason(),
                    tier: outcome.test.tier,
                    target: outcome.test.target,
                    name: outcome.test.name,
                    passed,
                    score: if passed { max_score } else { 0.0 },
                    max_score,
                    failure: outcome.failure,
                    output: outcome.output,
                }
            })
            .collect();
        Self {
            lab: lab.to_owned(),
            score: tests.iter().map(|t| t.score).sum(),
            max_score: tests.iter().map(|t| t.max_score).sum(),
            tests,
        }
    }
}

/// Gradescope's `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradescopeResults {
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Text shown above the tests.
    pub output: String,
    /// One entry per expected test.
    pub tests: Vec<GradescopeTest>,
}

/// One test in Gradescope's `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradescopeTest {
    /// `<lab> <tier>: <test>`.
    pub name: String,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Why it failed, then its output.
    pub output: String,
    /// Who sees the test, and when.
    pub visibility: Visibility,
}

/// Gradescope's visibility of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Shown to the student at once.
    Visible,
    /// Shown once the instructor publishes the grades: hidden tests.
    AfterPublished,
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

    /// The report in Gradescope's `results.json` shape.
    pub fn gradescope(&self) -> GradescopeResults {
        let tests = self
            .labs
            .iter()
            .flat_map(|lab| {
                lab.tests.iter().map(|test| GradescopeTest {
                    name: format!("{} {}: {}", lab.lab, test.tier, test.name),
                    score: test.score,
                    max_score: test.max_score,
                    output: if test.passed {
                        String::new()
                    } else {
                        format!("{}\n\n{}", test.reason, test.output)
                            .trim()
                            .to_owned()
                    },
                    visibility: match test.tier {
                        Tier::Hidden => Visibility::AfterPublished,
                        Tier::Visible | Tier::Loom | Tier::Stress => Visibility::Visible,
                    },
                })
            })
            .collect();
        GradescopeResults {
            score: self.score,
            max_score: self.max_score,
            output: self.totals(),
            tests,
        }
    }

    /// One line: each lab's points, then the total.
    fn totals(&self) -> String {
        let labs: Vec<String> = self
            .labs
            .iter()
            .map(|lab| format!("{} {}/{}", lab.lab, lab.score, lab.max_score))
            .collect();
        format!(
            "{}  total {}/{}",
            labs.join("  "),
            self.score,
            self.max_score
        )
    }

    /// The report as a table: one row per test, with its reason when it failed. Cells wrap to
    /// fit `width` columns, or never when `width` is `None` (a file, a pipe).
    pub fn table(&self, width: Option<u16>) -> String {
        let mut table = Table::new();
        table
            .load_style(comfy_table::presets::ASCII_FULL_CONDENSED)
            .set_header(["lab", "tier", "test", "points", "reason"]);
        match width {
            Some(width) => table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width),
            None => table.set_content_arrangement(ContentArrangement::Disabled),
        };
        for lab in &self.labs {
            for test in &lab.tests {
                let reason: Vec<&str> = test.reason.lines().take(3).collect();
                table.add_row([
                    lab.lab.clone(),
                    test.tier.to_string(),
                    test.name.clone(),
                    format!("{}/{}", test.score, test.max_score),
                    reason.join("\n"),
                ]);
            }
        }
        format!("{table}\n{}\n", self.totals())
    }
}
