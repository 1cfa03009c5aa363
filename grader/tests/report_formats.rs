//! Snapshots of the three report formats for one fixed report.

mod common;

use grader::execute::outcome::{Failure, Panic, TestOutcome};
use grader::intake::catalog::Tier;
use grader::score::report::{LabReport, Report};
use grader::score::rubric::Rubric;

/// The outcome of `name`, its output the failure's text, as a test would print it.
fn outcome(tier: Tier, name: &str, failure: Option<Failure>) -> TestOutcome {
    let output = failure
        .as_ref()
        .map(|failure| format!("thread panicked:\n{failure}\n"))
        .unwrap_or_default();
    common::outcome(tier, name, failure, output)
}

fn report() -> Report {
    let rubric: Rubric =
        toml::from_str("[tiers]\nvisible = 1.0\nhidden = 1.0\nloom = 3.0\n").unwrap();
    let lock = LabReport::new(
        "lab1-lock",
        vec![
            outcome(Tier::Visible, "the_seed_workload_loses_no_update", None),
            outcome(Tier::Hidden, "many_threads_lose_no_update", None),
            outcome(
                Tier::Loom,
                "locked_counter_loses_no_update_in_any_interleaving",
                Some(Failure::LoomCounterexample {
                    failure: Box::new(Failure::Panicked {
                        panic: Panic {
                            message: "two threads adding one each ended at 1 in some \
                                      interleaving: the read and the write must happen under \
                                      one lock"
                                .into(),
                            location: "lab1-lock/tests/loom.rs:13:9".into(),
                        },
                    }),
                    interleaving: None,
                }),
            ),
        ],
        &rubric,
    );
    let race = LabReport::new(
        "lab1-race",
        vec![outcome(
            Tier::Visible,
            "one_thread_counts_every_increment",
            Some(Failure::NotHandedIn {
                why: "the submission has no lab1-race/src folder".into(),
            }),
        )],
        &rubric,
    );
    Report::new("submissions/ada", vec![race, lock])
}

#[test]
fn json_report() {
    insta::assert_json_snapshot!(report());
}

#[test]
fn gradescope_results() {
    insta::assert_json_snapshot!(report().gradescope());
}

#[test]
fn terminal_table() {
    insta::assert_snapshot!(report().table(Some(120)));
}

#[test]
fn a_table_for_a_file_never_wraps() {
    let report = report();
    let table = report.table(None);
    for lab in &report.labs {
        for test in &lab.tests {
            let first_line = test.reason.lines().next().unwrap_or("");
            assert!(
                table
                    .lines()
                    .any(|row| row.contains(&test.name) && row.contains(first_line)),
                "{} and its reason should be whole on one row:\n{table}",
                test.name
            );
        }
    }
}
