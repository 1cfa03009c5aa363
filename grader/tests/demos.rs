//! What a student sees when running a lab's demo (`cargo run -p <lab>`), as insta snapshots.
//!
//! - On the stubs, every demo stops at the first `todo!()` it reaches, names the function to
//!   fill in and the README sections that help, and exits with 101; so does lab1-race's demo
//!   when five threads reach `increment`'s `todo!()` at once, with one explanation.
//! - lab1-race's demo gives the true reason when the count says nothing about a race: threads
//!   never joined, or joined one by one (so they never ran at the same time). The two
//!   submissions are the hostile corpus's fixtures `race-threads-never-joined` and
//!   `race-threads-joined-one-by-one`, edits of the reference, built in a copy of the workspace.
//! - On the reference, whose count varies from run to run, the demo prints the seed's lines
//!   and neither of those reasons (checked, not snapshotted).
//!
//! The pristine demos are built in the target directory the release tests use too
//! (`release-target`, under `CARGO_TARGET_TMPDIR`), so the dependencies are built once for
//! both; target directories are kept between runs, so a repeated run rebuilds only what
//! changed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use grader::compile::scratch::copy_tree;
use grader::intake::catalog::LABS;
use serde::Deserialize;

use common::pristine;

/// What the race demo prints when the threads were never joined.
const NOT_JOINED: &str = "Not a race: `run_threads` returned before joining its threads";

/// What the race demo prints when the threads were joined one by one.
const ONE_BY_ONE: &str = "none could happen: the threads never ran at once";

/// The line with the race demo's final count.
const COUNT_LINE: &str = "Actual final counter value:";

/// A folder for this test's workspaces, kept between test runs.
fn work_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The target directory of the pristine demos' build, shared with `tests/release.rs`.
fn target_dir() -> PathBuf {
    work_dir("release-target")
}

/// Builds the demos (the binaries named as their packages) of `packages` in the workspace at
/// `root` into `target`, and returns each one's executable.
fn build_demos(root: &Path, packages: &[&str], target: &Path) -> Vec<PathBuf> {
    let output = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--locked", "--quiet", "--bins"])
        .args(packages.iter().flat_map(|package| ["-p", package]))
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build {packages:?} in {}: {}",
        root.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    packages
        .iter()
        .map(|package| target.join("debug").join(package))
        .collect()
}

/// Runs a demo, with no arguments, from the workspace at `root` (as `cargo run` would).
fn run(demo: &Path, root: &Path) -> Output {
    Command::new(demo)
        .current_dir(root)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", demo.display()))
}

/// The exit code and both streams, as snapshotted.
fn transcript(output: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn each_stub_demo_names_the_function_to_fill_in() {
    let root = pristine();
    let names: Vec<&str> = LABS.iter().map(|lab| lab.name).collect();
    let demos = build_demos(&root, &names, &target_dir());
    for (name, demo) in names.iter().zip(demos) {
        let output = run(&demo, &root);
        insta::assert_snapshot!(format!("stub_{name}"), transcript(&output));
    }
}

/// The part of the hostile corpus read here: each fixture's labs and their edits.
#[derive(Debug, Deserialize)]
struct Corpus {
    /// Every fixture.
    fixture: Vec<Fixture>,
}

/// One fixture of the corpus.
#[derive(Debug, Deserialize)]
struct Fixture {
    /// Its name.
    id: String,
    /// The labs it hands in.
    labs: Vec<LabCase>,
}

/// One lab a fixture hands in.
#[derive(Debug, Deserialize)]
struct LabCase {
    /// The lab.
    name: String,
    /// What its `src/lib.rs` starts from: "reference", "stub" or "missing".
    base: String,
    /// Edits of that `src/lib.rs`, applied in order.
    #[serde(default)]
    edit: Vec<Edit>,
}

/// One edit: `replace`, found exactly once, becomes `with`.
#[derive(Debug, Deserialize)]
struct Edit {
    /// The text replaced.
    replace: String,
    /// What replaces it.
    with: String,
}

/// The `src/lib.rs` of lab1-race that the corpus fixture `id` hands in.
fn race_fixture_source(id: &str) -> String {
    let corpus = pristine().join("grader/tests/corpus/corpus.toml");
    let corpus: Corpus = toml::from_str(&fs::read_to_string(corpus).unwrap()).unwrap();
    let fixture = corpus
        .fixture
        .into_iter()
        .find(|fixture| fixture.id == id)
        .unwrap_or_else(|| panic!("the corpus has no fixture {id}"));
    let [case] = &fixture.labs[..] else {
        panic!("{id} hands in one lab");
    };
    assert_eq!(
        (case.name.as_str(), case.base.as_str()),
        ("lab1-race", "reference"),
        "{id} is an edit of lab1-race's reference"
    );
    let mut source = fs::read_to_string(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    for edit in &case.edit {
        assert_eq!(source.matches(&edit.replace).count(), 1, "{id}: {edit:?}");
        source = source.replacen(&edit.replace, &edit.with, 1);
    }
    source
}

/// Runs lab1-race's demo on `source` as its `src/lib.rs`, in a copy of the workspace at a
/// fixed path named `name` (written anew each time), built into `target`.
fn race_demo(name: &str, source: &str, target: &Path) -> Output {
    let root = work_dir("demos").join(name);
    if root.exists() {
        fs::remove_dir_all(&root).unwrap();
    }
    fs::create_dir_all(&root).unwrap();
    copy_tree(&pristine(), &root).unwrap();
    fs::write(root.join("lab1-race/src/lib.rs"), source).unwrap();
    let [demo] = &build_demos(&root, &["lab1-race"], target)[..] else {
        unreachable!("one package, one demo");
    };
    run(demo, &root)
}

#[test]
fn the_race_demo_gives_the_true_reason_for_its_count() {
    // One target directory, and one build at a time: every copy makes `debug/lab1-race`.
    // Its own: this lab1-race is not the pristine one, and its binary would take the same
    // path as the pristine demo's, which the other test runs meanwhile.
    let target = work_dir("demos-race-target");

    let id = "race-threads-never-joined";
    let never_joined = race_demo(id, &race_fixture_source(id), &target);
    let text = transcript(&never_joined);
    assert!(text.contains(NOT_JOINED), "{text}");
    // The count is whatever the threads had done when it was read: it varies.
    let text: String = text
        .lines()
        .map(|line| match line.strip_prefix(COUNT_LINE) {
            Some(_) => format!("{COUNT_LINE}   [varies]\n"),
            None => format!("{line}\n"),
        })
        .collect();
    insta::assert_snapshot!("race_threads_never_joined", text);

    let id = "race-threads-joined-one-by-one";
    let one_by_one = race_demo(id, &race_fixture_source(id), &target);
    let text = transcript(&one_by_one);
    assert!(text.contains(ONE_BY_ONE), "{text}");
    insta::assert_snapshot!("race_threads_joined_one_by_one", text);

    // A `todo!()` reached by the five counting threads at once: one explanation, exit 101.
    let reference_lib =
        fs::read_to_string(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    let body = "        let current = self.value.load(Ordering::SeqCst);
        pause();
        self.value.store(current + 1, Ordering::SeqCst);";
    assert_eq!(
        reference_lib.matches(body).count(),
        1,
        "the reference's increment"
    );
    let todo = "        let _ = pause;\n        todo!(\"RacyCounter::increment\")";
    let in_threads = race_demo(
        "increment-left-to-do",
        &reference_lib.replace(body, todo),
        &target,
    );
    insta::assert_snapshot!("race_increment_left_to_do", transcript(&in_threads));

    // The reference races for real: the seed's lines, whatever the count, and no other reason.
    let root = pristine();
    let [demo] = &build_demos(&root, &["lab1-race-reference"], &target)[..] else {
        unreachable!("one package, one demo");
    };
    let reference = run(demo, &root);
    let text = transcript(&reference);
    assert!(reference.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&reference.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 4, "{text}");
    assert_eq!(
        lines[..2],
        [
            "--- Observing a Race Condition ---",
            "If all threads worked perfectly, the counter should be: 50000",
        ],
        "{text}"
    );
    assert!(lines[2].starts_with(COUNT_LINE), "{text}");
    let verdict = &lines[3..];
    assert!(
        verdict
            == [
                "!!! Race condition observed: The actual value is NOT what we expected. !!!",
                "This means threads interfered with each other's updates.",
            ]
            || verdict
                == [
                    "No race condition observed this time. (Try running it again, it's often random!)"
                ],
        "{text}"
    );
    assert!(reference.stderr.is_empty(), "{text}");
}
