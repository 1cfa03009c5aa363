//! Negative controls and fixture submissions: every mutant in `mutants.toml` (a reference
//! with one deliberate bug) graded on its tiers loses exactly the tests listed as catching it
//! (plus, at most, the real-thread tests listed as catching it only in some schedules), each
//! with a reason.

mod common;

use std::collections::BTreeSet;
use std::fs;

use grader::catalog::{Tier, lab};
use grader::collect::collect;
use serde::Deserialize;

use common::{grader, pristine};

#[derive(Deserialize)]
struct Mutants {
    mutant: Vec<Mutant>,
}

#[derive(Deserialize)]
struct Mutant {
    lab: String,
    name: String,
    caught_by: Vec<String>,
    /// Real-thread tests that catch the bug only in some schedules: they may fail or pass.
    #[serde(default)]
    may_catch: Vec<String>,
    tiers: Vec<Tier>,
    edit: Vec<Edit>,
}

#[derive(Deserialize)]
struct Edit {
    replace: String,
    with: String,
}

#[test]
fn every_mutant_is_caught_by_its_tests() {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mutants.toml"))
        .expect("mutants.toml");
    let mutants: Mutants = toml::from_str(&text).expect("mutants.toml parses");
    let mut escaped = Vec::new();
    for mutant in &mutants.mutant {
        let lab = lab(&mutant.lab).unwrap_or_else(|| panic!("unknown lab {}", mutant.lab));
        let mut sources = collect(&pristine().join("solutions"), lab.name).unwrap();
        let lib = sources
            .files
            .get_mut(std::path::Path::new("lib.rs"))
            .unwrap();
        let mut text = String::from_utf8(lib.clone()).unwrap();
        for edit in &mutant.edit {
            assert_eq!(
                text.matches(&edit.replace).count(),
                1,
                "mutant {:?}: the reference must hold {:?} exactly once",
                mutant.name,
                edit.replace
            );
            text = text.replace(&edit.replace, &edit.with);
        }
        *lib = text.into_bytes();
        let outcomes = grader()
            .grade_tiers(lab, Ok(sources), &mutant.tiers)
            .unwrap();
        let failed: BTreeSet<String> = outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| o.test.to_string())
            .collect();
        let expected: BTreeSet<String> = mutant.caught_by.iter().cloned().collect();
        let unexpected: BTreeSet<&String> = failed
            .difference(&expected)
            .filter(|test| !mutant.may_catch.contains(test))
            .collect();
        if !failed.is_superset(&expected) || !unexpected.is_empty() {
            escaped.push(format!(
                "{} / {}: failed {failed:?}, expected {expected:?} (and maybe {:?})",
                mutant.lab, mutant.name, mutant.may_catch
            ));
        }
        for outcome in outcomes.iter().filter(|o| !o.passed) {
            assert!(
                !outcome.reason.trim().is_empty(),
                "{}: {} failed without a reason",
                mutant.name,
                outcome.test
            );
        }
    }
    assert!(
        escaped.is_empty(),
        "mutants not caught exactly by the tests meant to catch them:\n{}",
        escaped.join("\n")
    );
}
