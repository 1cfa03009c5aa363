//! A class's failure reasons, grouped: two failed tests share a group when their reasons say
//! the same, word for word and digit for digit, once three things that differ from run to run
//! or from student to student without saying anything different are set aside:
//! - a path into a temporary folder (named `.tmp` and six letters or digits, as the
//!   `tempfile` crate names them) is made relative to that folder;
//! - a memory address (`0x` and six hexadecimal digits or more) is `0x…`;
//! - a failed loom model's timeline (the `interleaving` of a
//!   [`Failure::LoomCounterexample`]) is reduced to the failure it names: its steps are one
//!   schedule among many, at each student's own lines, and each student's own is in their
//!   JSON report.
//!
//! Nothing else is changed: file names, lines, columns, versions and counts stay as written.

use std::collections::{BTreeMap, BTreeSet};

use crate::execute::interleaving;
use crate::execute::outcome::Failure;
use crate::score::report::{Report, TestReport};

/// One failure reason and what it hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonGroup {
    /// The reason, as grouped (see the module's documentation); may span several lines.
    pub text: String,
    /// How many students had at least one test fail for it.
    pub students: usize,
    /// How many failed tests it explains, one per student and test.
    pub tests: usize,
}

/// Every reason of a failed test in `class` (one student id and report each), grouped, most
/// students first, then most tests, then by text.
pub fn group(class: &[(String, Report)]) -> Vec<ReasonGroup> {
    let mut groups: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for (student, report) in class {
        for test in report.labs.iter().flat_map(|lab| &lab.tests) {
            if !test.passed {
                let (students, tests) = groups.entry(grouped(test)).or_default();
                students.insert(student);
                *tests += 1;
            }
        }
    }
    let mut groups: Vec<ReasonGroup> = groups
        .into_iter()
        .map(|(text, (students, tests))| ReasonGroup {
            text,
            students: students.len(),
            tests,
        })
        .collect();
    groups.sort_by(|a, b| {
        (b.students, b.tests)
            .cmp(&(a.students, a.tests))
            .then_with(|| a.text.cmp(&b.text))
    });
    groups
}

/// The reason of the failed `test` as it is grouped: a loom counterexample by the failure
/// its timeline names (not the interleaving, nor what it says of the student's lines), then
/// [`tidy`].
fn grouped(test: &TestReport) -> String {
    match &test.failure {
        Some(Failure::LoomCounterexample {
            failure,
            interleaving: Some(timeline),
        }) => match interleaving::failure_of(timeline) {
            Some(named) => tidy(named),
            None => tidy(&failure.to_string()),
        },
        _ => tidy(&test.reason),
    }
}

/// `reason` without temporary folders or addresses, and without white space at its ends or
/// at the end of any line.
fn tidy(reason: &str) -> String {
    let text = without_addresses(&without_temp_dirs(reason));
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_owned()
}

/// `text` with every path into a temporary folder relative to it:
/// `(at /home/t/.cache/.tmpAb12Cd/lab1-lock/src/lib.rs:9:5)` is
/// `(at lab1-lock/src/lib.rs:9:5)`. A path starts after white space or one of ``(`'"<[=``.
fn without_temp_dirs(text: &str) -> String {
    const TEMP: &str = "/.tmp";
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TEMP) {
        let name = &rest.as_bytes()[at + TEMP.len()..];
        let end = at + TEMP.len() + 7;
        if name.len() < 7 || !name[..6].iter().all(u8::is_ascii_alphanumeric) || name[6] != b'/' {
            kept.push_str(&rest[..at + TEMP.len()]);
            rest = &rest[at + TEMP.len()..];
            continue;
        }
        let start = rest[..at]
            .rfind(|c: char| c.is_ascii_whitespace() || "(`'\"<[=".contains(c))
            .map_or(0, |delimiter| delimiter + 1);
        kept.push_str(&rest[..start]);
        rest = &rest[end..];
    }
    kept.push_str(rest);
    kept
}

/// `text` with every memory address (`0x` and at least six hexadecimal digits, not inside a
/// word) as `0x…`.
fn without_addresses(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        let digits = rest[at + 2..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        let in_word = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let word_goes_on = rest[at + 2 + digits..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        kept.push_str(&rest[..at + 2]);
        if digits >= 6 && !in_word && !word_goes_on {
            kept.push('…');
            rest = &rest[at + 2 + digits..];
        } else {
            rest = &rest[at + 2..];
        }
    }
    kept.push_str(rest);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::catalog::Tier;
    use crate::score::report::{LabReport, TestReport};

    /// A failed test called `name`, failed with `failure`.
    fn test(name: &str, failure: Failure) -> TestReport {
        TestReport {
            tier: Tier::Visible,
            target: "visible".into(),
            name: name.into(),
            passed: false,
            score: 0.0,
            max_score: 1.0,
            reason: failure.to_string(),
            failure: Some(failure),
            output: String::new(),
        }
    }

    /// A one-lab report whose tests failed with `reasons`, one test each.
    fn failed(reasons: &[&str]) -> Report {
        let tests = reasons
            .iter()
            .enumerate()
            .map(|(i, reason)| {
                let why = (*reason).to_owned();
                test(&format!("t{i}"), Failure::NotHandedIn { why })
            })
            .collect();
        let lab = LabReport {
            lab: "lab1-lock".into(),
            score: 0.0,
            max_score: reasons.len() as f64,
            tests,
        };
        Report::new("x", vec![lab])
    }

    #[test]
    fn digits_in_files_lines_versions_and_counts_are_kept() {
        for reason in [
            "not yet implemented (at lab2-async/src/lib.rs:120:9)",
            "data race (at loom-0.7.2/src/rt/location.rs:115:9)",
            "lost 37 updates",
        ] {
            assert_eq!(tidy(reason), reason);
        }
        let class = vec![
            ("a".to_owned(), failed(&["lost 37 updates"])),
            ("b".to_owned(), failed(&["lost 12 updates"])),
        ];
        assert_eq!(
            group(&class).len(),
            2,
            "different counts are different reasons"
        );
    }

    #[test]
    fn temporary_folders_and_addresses_are_set_aside() {
        assert_eq!(
            tidy("panicked (at /home/t/cache/runs/.tmpAb12Cd/lab1-lock/src/lib.rs:9:5)"),
            "panicked (at lab1-lock/src/lib.rs:9:5)"
        );
        assert_eq!(
            tidy("cannot read `/tmp/.tmpZZ99zz/x.rs` nor /tmp/.tmpQ/y"),
            "cannot read `x.rs` nor /tmp/.tmpQ/y"
        );
        assert_eq!(
            tidy("lock at 0x7ffd5e8c1a20 poisoned; code 0x1f; id0x123456"),
            "lock at 0x… poisoned; code 0x1f; id0x123456"
        );
    }

    #[test]
    fn a_loom_interleaving_is_left_out_and_its_meaning_kept() {
        let counterexample = |row: &str| Failure::LoomCounterexample {
            failure: Box::new(Failure::NotHandedIn {
                why: "panic in a destructor during cleanup".into(),
            }),
            interleaving: Some(format!(
                "loom found this interleaving, step by step:\n    1  {row}\n   ✗  lost an \
                 update (tests/loom.rs:9)\n      explained"
            )),
        };
        let one = test("a", counterexample("src/lib.rs:3: took the lock"));
        assert!(one.reason.contains("src/lib.rs:3"), "{}", one.reason);
        assert_eq!(grouped(&one), "lost an update (tests/loom.rs:9)");
        let two = test("b", counterexample("src/lib.rs:41: took the lock"));
        let lab = LabReport {
            lab: "lab1-lock".into(),
            score: 0.0,
            max_score: 2.0,
            tests: vec![one, two],
        };
        let class = [("a".to_owned(), Report::new("x", vec![lab]))];
        assert_eq!(group(&class).len(), 1, "{:?}", group(&class));
    }

    #[test]
    fn groups_count_students_and_tests_apart() {
        let todo = "not yet implemented (at lab1-lock/src/lib.rs:17:9)";
        let class = vec![
            ("a".to_owned(), failed(&[todo, todo, todo])),
            ("b".to_owned(), failed(&[todo, "timed out  \n"])),
            ("c".to_owned(), failed(&["timed out"])),
        ];
        let expected = |text: &str, students, tests| ReasonGroup {
            text: text.to_owned(),
            students,
            tests,
        };
        assert_eq!(
            group(&class),
            [expected(todo, 2, 4), expected("timed out", 2, 2)]
        );
    }
}
