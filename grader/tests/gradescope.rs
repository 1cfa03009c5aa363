//! The Gradescope package, unpacked into a folder laid out as Gradescope's `/autograder`,
//! grades a submission end to end; a broken grader still yields a zero, never a pass.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::pristine;

/// Unpacks the package into `root/source` and puts `run_autograder` at `root`, as Gradescope
/// does.
fn unpack(root: &Path) {
    let zip = root.join("autograder.zip");
    grader::package::gradescope::write_package(&pristine(), &zip).unwrap();
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip).unwrap()).unwrap();
    archive.extract(root.join("source")).unwrap();
    fs::copy(
        root.join("source/run_autograder"),
        root.join("run_autograder"),
    )
    .unwrap();
    assert!(root.join("source/setup.sh").is_file(), "setup.sh missing");
    assert!(
        root.join("source/grader/rubric.toml").is_file(),
        "the grader's rubric is missing"
    );
    assert!(
        !root.join("source/target").exists(),
        "build output was packaged"
    );
}

/// Runs `run_autograder` in `root` with `grader` as the grader binary; returns results.json.
fn run_autograder(root: &Path, grader: &str) -> serde_json::Value {
    let status = Command::new("bash")
        .arg(root.join("run_autograder"))
        .env("AUTOGRADER_ROOT", root)
        .env("GRADER", grader)
        .env(
            "GRADER_CACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("grader-cache"),
        )
        .status()
        .unwrap();
    assert!(status.success(), "run_autograder failed");
    let results = fs::read_to_string(root.join("results/results.json")).unwrap();
    serde_json::from_str(&results).unwrap_or_else(|e| panic!("{e}: {results}"))
}

#[test]
fn a_submission_is_graded_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    unpack(root);
    // A student who uploaded one folder holding a finished lab1-race and nothing else.
    let lab = root.join("submission/my-labs/lab1-race/src");
    fs::create_dir_all(&lab).unwrap();
    fs::copy(
        pristine().join("solutions/lab1-race/src/lib.rs"),
        lab.join("lib.rs"),
    )
    .unwrap();

    let results = run_autograder(root, env!("CARGO_BIN_EXE_grader"));
    let tests = results["tests"].as_array().unwrap();
    let race: Vec<_> = tests
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("lab1-race "))
        .collect();
    assert!(!race.is_empty());
    for test in &race {
        assert_eq!(test["score"], test["max_score"], "{test}");
    }
    let race_points: f64 = race.iter().map(|t| t["score"].as_f64().unwrap()).sum();
    assert_eq!(results["score"].as_f64().unwrap(), race_points);
    let missing = tests
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("lab1-lock "))
        .unwrap();
    assert_eq!(missing["score"], 0.0);
    assert!(
        missing["output"]
            .as_str()
            .unwrap()
            .contains("has no lab1-lock/src folder"),
        "{missing}"
    );
    for test in tests {
        let visibility = test["visibility"].as_str().unwrap();
        assert!(["visible", "after_published"].contains(&visibility));
    }
}

#[test]
fn a_grader_that_fails_scores_zero_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    unpack(root);
    fs::create_dir_all(root.join("submission")).unwrap();
    let results = run_autograder(root, "/bin/false");
    assert_eq!(results["score"], 0);
    assert!(
        results["output"]
            .as_str()
            .unwrap()
            .contains("The grader failed"),
        "{results}"
    );
}
