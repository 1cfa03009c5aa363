//! The class report's statistics, apart from their HTML: percentages, the score distribution,
//! each lab's mean, and each test's pass rate in sections of lab and tier.

use std::collections::BTreeMap;

use crate::intake::catalog::Tier;
use crate::score::report::Report;

/// Score buckets of the distribution chart: 0-10 %, ..., 90-100 %.
pub(super) const BUCKETS: usize = 10;

/// A report's total as a percentage of its maximum (0 when nothing could be earned).
pub(super) fn percent(report: &Report) -> f64 {
    share(report.score, report.max_score)
}

/// `score` as a percentage of `max` (0 when `max` is 0).
pub(super) fn share(score: f64, max: f64) -> f64 {
    if max > 0.0 { 100.0 * score / max } else { 0.0 }
}

/// The labs of the class, in the order they first appear.
pub(super) fn lab_names(class: &[(String, Report)]) -> Vec<&str> {
    let mut labs: Vec<&str> = Vec::new();
    for lab in class.iter().flat_map(|(_, report)| &report.labs) {
        if !labs.contains(&lab.lab.as_str()) {
            labs.push(&lab.lab);
        }
    }
    labs
}

/// How many of `percents` fall in each of the [`BUCKETS`] (100 % in the last).
pub(super) fn buckets(percents: &[f64]) -> [usize; BUCKETS] {
    let mut counts = [0; BUCKETS];
    for &p in percents {
        let bucket = ((p / (100.0 / BUCKETS as f64)) as usize).min(BUCKETS - 1);
        counts[bucket] += 1;
    }
    counts
}

/// One lab's means over the students graded on it.
#[derive(Debug, PartialEq)]
pub(super) struct LabMean {
    /// How many students were graded on the lab.
    pub(super) students: usize,
    /// Their mean points.
    pub(super) points: f64,
    /// The mean of the points they could earn.
    pub(super) max: f64,
    /// The mean of each student's score as a percentage.
    pub(super) percent: f64,
}

/// The means of `lab` over the students of `class` graded on it.
pub(super) fn lab_mean(class: &[(String, Report)], lab: &str) -> LabMean {
    let reports: Vec<_> = class
        .iter()
        .filter_map(|(_, report)| report.labs.iter().find(|l| l.lab == lab))
        .collect();
    let n = reports.len() as f64;
    LabMean {
        students: reports.len(),
        points: reports.iter().map(|l| l.score).sum::<f64>() / n,
        max: reports.iter().map(|l| l.max_score).sum::<f64>() / n,
        percent: reports
            .iter()
            .map(|l| share(l.score, l.max_score))
            .sum::<f64>()
            / n,
    }
}

/// How often one test passed.
#[derive(Debug, PartialEq)]
pub(super) struct PassRate {
    /// The test, as `target::name`.
    pub(super) label: String,
    /// How many students' runs of it passed.
    pub(super) passed: usize,
    /// How many students' runs there were.
    pub(super) run: usize,
}

/// The tests of one lab's tier.
#[derive(Debug, PartialEq)]
pub(super) struct Section<'a> {
    /// The lab.
    pub(super) lab: &'a str,
    /// The tier.
    pub(super) tier: Tier,
    /// Its tests, the lowest pass rate first (ties in the order first seen).
    pub(super) tests: Vec<PassRate>,
}

/// Every test's pass rate over `class`, in one section per lab and tier (labs in the order of
/// `labs`, tiers in [`Tier`] order).
pub(super) fn pass_rate_sections<'a>(
    class: &[(String, Report)],
    labs: &[&'a str],
) -> Vec<Section<'a>> {
    // By lab, tier and label: the order first seen, passed, run.
    let mut tests: BTreeMap<(usize, Tier, String), (usize, usize, usize)> = BTreeMap::new();
    for lab in class.iter().flat_map(|(_, report)| &report.labs) {
        let lab_index = labs.iter().position(|l| *l == lab.lab).unwrap_or(0);
        for test in &lab.tests {
            let label = format!("{}::{}", test.target, test.name);
            let order = tests.len();
            let entry = tests
                .entry((lab_index, test.tier, label))
                .or_insert((order, 0, 0));
            entry.1 += usize::from(test.passed);
            entry.2 += 1;
        }
    }
    let mut tests: Vec<_> = tests.into_iter().collect();
    tests.sort_by(|((lab_a, tier_a, _), a), ((lab_b, tier_b, _), b)| {
        (lab_a, tier_a)
            .cmp(&(lab_b, tier_b))
            .then_with(|| (a.1 * b.2).cmp(&(b.1 * a.2)))
            .then_with(|| a.0.cmp(&b.0))
    });
    tests
        .chunk_by(|(a, _), (b, _)| (a.0, a.1) == (b.0, b.1))
        .map(|section| Section {
            lab: labs[section[0].0.0],
            tier: section[0].0.1,
            tests: section
                .iter()
                .map(|((_, _, label), (_, passed, run))| PassRate {
                    label: label.clone(),
                    passed: *passed,
                    run: *run,
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{report, test};
    use super::*;

    /// One student's lab and its tests `(tier, name, passed)`.
    type Student<'a> = (&'a str, &'a [(Tier, &'a str, bool)]);

    /// A class of one lab per student.
    fn class(students: &[Student<'_>]) -> Vec<(String, Report)> {
        students
            .iter()
            .map(|(lab, tests)| {
                let tests = tests
                    .iter()
                    .map(|&(tier, name, passed)| test(tier, name, if passed { "" } else { "no" }))
                    .collect();
                (String::from("x"), report(vec![(lab, tests)]))
            })
            .collect()
    }

    #[test]
    fn a_share_of_nothing_is_zero_and_full_marks_fall_in_the_last_bucket() {
        assert_eq!(share(1.0, 0.0), 0.0);
        assert_eq!(share(3.0, 4.0), 75.0);
        let counts = buckets(&[0.0, 9.99, 10.0, 100.0]);
        assert_eq!(counts[0], 2);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[BUCKETS - 1], 1);
    }

    #[test]
    fn a_labs_means_count_only_the_students_graded_on_it() {
        let class = class(&[
            ("lab1-race", &[(Tier::Visible, "t", true)]),
            ("lab1-race", &[(Tier::Visible, "t", false)]),
            ("lab1-lock", &[(Tier::Visible, "u", true)]),
        ]);
        assert_eq!(lab_names(&class), ["lab1-race", "lab1-lock"]);
        assert_eq!(
            lab_mean(&class, "lab1-race"),
            LabMean {
                students: 2,
                points: 0.5,
                max: 1.0,
                percent: 50.0
            }
        );
    }

    #[test]
    fn pass_rates_come_in_sections_of_lab_and_tier_the_lowest_first() {
        let class = class(&[
            (
                "lab1-race",
                &[
                    (Tier::Hidden, "h", true),
                    (Tier::Visible, "easy", true),
                    (Tier::Visible, "hard", false),
                ],
            ),
            (
                "lab1-race",
                &[
                    (Tier::Hidden, "h", false),
                    (Tier::Visible, "easy", true),
                    (Tier::Visible, "hard", true),
                ],
            ),
        ]);
        let sections = pass_rate_sections(&class, &lab_names(&class));
        let seen: Vec<(Tier, Vec<(&str, usize)>)> = sections
            .iter()
            .map(|section| {
                let tests = section.tests.iter();
                (
                    section.tier,
                    tests.map(|t| (t.label.as_str(), t.passed)).collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    Tier::Visible,
                    vec![("visible::hard", 1), ("visible::easy", 2)]
                ),
                (Tier::Hidden, vec![("hidden::h", 1)]),
            ]
        );
        assert!(sections.iter().all(|section| section.lab == "lab1-race"));
    }
}
