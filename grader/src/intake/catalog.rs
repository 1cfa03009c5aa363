//! The labs the grader knows, and the tests each one is expected to pass.
//!
//! The expected tests are read from the pristine test sources, never from a build: a lab that
//! does not compile still has one (failed) result per expected test.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, IoContext, Result};
use serde::{Deserialize, Serialize};

/// One lab crate of the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lab {
    /// The crate's directory and package name, e.g. `lab1-lock`.
    pub name: &'static str,
    /// Whether the lab has a loom model (`tests/loom.rs`), run in the loom tier.
    pub loom: bool,
    /// Whether the lab asks the student for `unsafe` code.
    pub allows_unsafe: bool,
}

/// The support crates every lab builds on, which go to students with the labs but are no
/// student's to change (the grader always builds against its own copy): the `sync` facade with
/// the loom timeline, the demos' todo stop and Lab 2's log (`labkit`), and Lab 2.5's fleet of
/// fake routers.
pub const KIT_CRATES: &[&str] = &["support/labkit", "support/fleet"];

/// The crates of the kit that are the student's tools rather than anything a lab builds on:
/// the companion `cargo labs` runs (`support/labs`). They go to students with the labs.
pub const STUDENT_TOOLS: &[&str] = &["support/labs"];

/// Every lab, in the order the course takes them.
pub const LABS: &[Lab] = &[
    Lab {
        name: "lab1-race",
        loom: true,
        allows_unsafe: false,
    },
    Lab {
        name: "lab1-lock",
        loom: true,
        allows_unsafe: true,
    },
    Lab {
        name: "lab1-semaphore",
        loom: true,
        allows_unsafe: false,
    },
    Lab {
        name: "lab1-queue",
        loom: true,
        allows_unsafe: false,
    },
    Lab {
        name: "lab2-async",
        loom: false,
        allows_unsafe: false,
    },
];

/// The lab called `name`, if there is one.
pub fn lab(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|lab| lab.name == name)
}

/// Which suite a test belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// `tests/*.rs` other than the loom model: the student has them.
    Visible,
    /// `hidden/*.rs`: only the grader has them.
    Hidden,
    /// `tests/loom.rs`, built with `--cfg loom` in release.
    Loom,
    /// `tests/stress.rs`: real threads under load, which catch a bug only when the scheduler
    /// happens to interleave badly. They run and their reasons are shown as advice, but they
    /// are worth no points (the rubric's default), so that a score never depends on luck.
    Stress,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Visible => "visible",
            Tier::Hidden => "hidden",
            Tier::Loom => "loom",
            Tier::Stress => "stress",
        })
    }
}

/// One test a lab is expected to pass.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TestId {
    /// The suite it belongs to.
    pub tier: Tier,
    /// The cargo test target it is compiled into (`visible`, `hidden`, `loom`).
    pub target: String,
    /// The test function's name, as libtest knows it.
    pub name: String,
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.target, self.name)
    }
}

/// A test source file of a lab and the suite its tests belong to.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file, inside the lab's directory.
    pub path: PathBuf,
    /// The cargo test target it is compiled into.
    pub target: String,
    /// The suite of every test in it.
    pub tier: Tier,
}

/// The test files of the lab in `lab_dir`: `tests/*.rs` (visible; `loom.rs` is the loom tier
/// and `stress.rs` the stress tier) and `hidden/*.rs` (hidden), in a stable order.
pub fn test_files(lab_dir: &Path) -> Result<Vec<TestFile>> {
    let mut files = Vec::new();
    for (dir, hidden) in [("tests", false), ("hidden", true)] {
        let dir = lab_dir.join(dir);
        if !dir.is_dir() {
            continue;
        }
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .on("list", &dir)?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()
            .on("list", &dir)?;
        paths.retain(|path| path.extension().is_some_and(|ext| ext == "rs"));
        paths.sort();
        for path in paths {
            let target = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .context("a test file name is not UTF-8")?
                .to_owned();
            let tier = match (hidden, target.as_str()) {
                (true, _) => Tier::Hidden,
                (false, "loom") => Tier::Loom,
                (false, "stress") => Tier::Stress,
                (false, _) => Tier::Visible,
            };
            files.push(TestFile { path, target, tier });
        }
    }
    Ok(files)
}

/// The names of the test functions in a test source: the top-level functions carrying an
/// attribute whose last path segment is `test` (`#[test]`, `#[tokio::test]`), and not
/// `#[ignore]`.
pub fn test_names(source: &str) -> Result<Vec<String>> {
    let file = syn::parse_file(source).context("not Rust")?;
    Ok(file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(function) if is_graded(&function.attrs) => {
                Some(function.sig.ident.to_string())
            }
            _ => None,
        })
        .collect())
}

/// Whether `attrs` mark a test the grader runs: a test function, not `#[ignore]`d.
pub fn is_graded(attrs: &[syn::Attribute]) -> bool {
    is_test(attrs) && !is_ignored(attrs)
}

/// Whether `attrs` mark a test `#[ignore]`d: a demonstration a student runs by hand
/// (`-- --ignored`), never graded.
fn is_ignored(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("ignore"))
}

/// Whether `attrs` mark a test function.
pub fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|seg| seg.ident == "test")
    })
}

/// Every test the lab in `lab_dir` is expected to pass, in a stable order.
pub fn expected_tests(lab_dir: &Path) -> Result<Vec<TestId>> {
    let mut tests = Vec::new();
    for file in test_files(lab_dir)? {
        let source = fs::read_to_string(&file.path).on("read", &file.path)?;
        let names =
            test_names(&source).with_context(|| format!("cannot parse {}", file.path.display()))?;
        tests.extend(names.into_iter().map(|name| TestId {
            tier: file.tier,
            target: file.target.clone(),
            name,
        }));
    }
    tests.sort();
    Ok(tests)
}
