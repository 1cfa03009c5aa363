//! Every claim of every lab's contract has a scored test, and every scored test names the
//! claims it checks.
//!
//! A lab's README lists its contract as numbered claims under "## The contract, claim by
//! claim"; each test names the claims it checks on a doc-comment line `Claims: 2, 3.`. A test
//! is scored when the rubric gives it points: a stress test, or a test the rubric makes advice,
//! may name claims too, but no claim rests on it alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use grader::intake::catalog::{LABS, TestId, is_graded, test_files};
use grader::score::rubric::Rubric;

/// The heading of the claims' section in a lab's README.
const SECTION: &str = "## The contract, claim by claim";

/// The doc-comment line on which a test names its claims.
const MARKER: &str = "Claims:";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The claims' numbers in the README of the lab at `lab_dir`, in order.
fn claims(lab_dir: &Path) -> Result<Vec<u32>, String> {
    let readme = fs::read_to_string(lab_dir.join("README.md")).map_err(|e| e.to_string())?;
    let (_, section) = readme
        .split_once(SECTION)
        .ok_or_else(|| format!("its README has no \"{SECTION}\" section"))?;
    let section = section.split("\n## ").next().unwrap_or_default();
    Ok(section
        .lines()
        .filter_map(|line| line.split_once(". "))
        .filter_map(|(number, _)| number.parse().ok())
        .collect())
}

/// The claims each graded test of `source` names, by test name: `None` for a test that names
/// none.
fn named_claims(source: &str) -> Result<BTreeMap<String, Option<Vec<u32>>>, String> {
    let file = syn::parse_file(source).map_err(|e| e.to_string())?;
    let mut named = BTreeMap::new();
    for item in file.items {
        let syn::Item::Fn(function) = item else {
            continue;
        };
        if !is_graded(&function.attrs) {
            continue;
        }
        let name = function.sig.ident.to_string();
        let line = doc_lines(&function.attrs).find_map(|line| {
            line.trim()
                .strip_prefix(MARKER)
                .map(|rest| rest.trim().trim_end_matches('.').to_owned())
        });
        let numbers = match line {
            Some(list) => Some(
                list.split(',')
                    .map(|number| number.trim().parse::<u32>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| format!("{name}: `{MARKER} {list}` is not a list of numbers"))?,
            ),
            None => None,
        };
        named.insert(name, numbers);
    }
    Ok(named)
}

/// The lines of the doc comments among `attrs`.
fn doc_lines(attrs: &[syn::Attribute]) -> impl Iterator<Item = String> + '_ {
    attrs.iter().filter_map(|attr| match &attr.meta {
        syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    })
}

/// What is wrong with the lab at `lab_dir`'s claims and its tests' names for them.
fn problems(lab: &str, lab_dir: &Path, rubric: &Rubric) -> Result<Vec<String>, String> {
    let claims = claims(lab_dir)?;
    let expected: Vec<u32> = (1..).take(claims.len()).collect();
    let mut problems = Vec::new();
    if claims.is_empty() || claims != expected {
        problems.push(format!(
            "its README's claims are numbered {claims:?}: number them 1, 2, 3, ... in order"
        ));
    }
    let mut scored = BTreeSet::new();
    for file in test_files(lab_dir).map_err(|e| e.to_string())? {
        let source = fs::read_to_string(&file.path).map_err(|e| e.to_string())?;
        let named = named_claims(&source).map_err(|e| format!("{}: {e}", file.path.display()))?;
        for (name, numbers) in named {
            let id = TestId {
                tier: file.tier,
                target: file.target.clone(),
                name,
            };
            let is_scored = rubric.points(lab, &id) > 0.0;
            let Some(numbers) = numbers else {
                if is_scored {
                    problems.push(format!(
                        "{id} is scored but names no claim (`/// {MARKER} ..`)"
                    ));
                }
                continue;
            };
            for number in numbers {
                if !claims.contains(&number) {
                    problems.push(format!("{id} names claim {number}, which the README lacks"));
                } else if is_scored {
                    scored.insert(number);
                }
            }
        }
    }
    for claim in &claims {
        if !scored.contains(claim) {
            problems.push(format!("claim {claim} has no scored test"));
        }
    }
    Ok(problems)
}

#[test]
fn every_claim_has_a_scored_test_and_every_scored_test_names_its_claims() {
    let root = workspace();
    let rubric = Rubric::load(&root.join("grader/rubric.toml")).expect("the shipped rubric");
    let mut report = Vec::new();
    for lab in LABS {
        match problems(lab.name, &root.join(lab.name), &rubric) {
            Ok(found) => report.extend(found.into_iter().map(|p| format!("{}: {p}", lab.name))),
            Err(error) => report.push(format!("{}: {error}", lab.name)),
        }
    }
    assert!(
        report.is_empty(),
        "the claims tables and the tests disagree:\n{}",
        report.join("\n")
    );
}

#[test]
fn a_claim_without_a_scored_test_and_an_unnamed_scored_test_are_found() {
    let lab = tempdir_with(
        "## The contract, claim by claim\n\n1. One.\n2. Two.\n\n## Run it\n",
        &[
            (
                "tests/visible.rs",
                "/// Claims: 1, 3.\n#[test]\nfn a() {}\n#[test]\nfn b() {}\n",
            ),
            ("tests/stress.rs", "/// Claims: 2.\n#[test]\nfn c() {}\n"),
        ],
    );
    let found = problems("lab1-race", lab.path(), &Rubric::default()).unwrap();
    assert_eq!(
        found,
        [
            "visible::a names claim 3, which the README lacks",
            "visible::b is scored but names no claim (`/// Claims: ..`)",
            "claim 2 has no scored test",
        ]
    );
}

/// A lab folder, removed when dropped, with `readme` and `files`.
fn tempdir_with(readme: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    fs::write(dir.path().join("README.md"), readme).unwrap();
    dir
}
