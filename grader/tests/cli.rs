//! The command line: errors an instructor can make get one clear line and exit code 2, never a
//! panic or a backtrace.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn grader() -> Command {
    let mut command = Command::cargo_bin("grader").unwrap();
    command.env("RUST_BACKTRACE", "1");
    command
}

/// Asserts that the command failed with exit code 2 and one line on stderr containing `what`.
fn fails_with_one_line(command: &mut Command, what: &str) {
    let output = command.assert().code(2).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(what),
        "stderr should mention {what:?}: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
}

#[test]
fn a_missing_submission_folder_is_one_line() {
    fails_with_one_line(
        grader().args(["grade", "/no/such/submission"]),
        "no submission folder or .zip file at /no/such/submission",
    );
}

#[test]
fn an_unreadable_rubric_is_one_line() {
    let submission = tempfile::tempdir().unwrap();
    fails_with_one_line(
        grader()
            .args(["grade"])
            .arg(submission.path())
            .args(["--rubric", "/no/such/rubric.toml"]),
        "cannot read the rubric /no/such/rubric.toml",
    );
}

#[test]
fn a_rubric_naming_an_unknown_test_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let rubric = dir.path().join("rubric.toml");
    std::fs::write(&rubric, "[tests]\n\"lab1-lock::visible::typo\" = 2.0\n").unwrap();
    fails_with_one_line(
        grader().args(["grade", "."]).arg("--rubric").arg(&rubric),
        &format!(
            "grader: the rubric {} is not valid: the rubric names an unknown test \
             \"lab1-lock::visible::typo\"",
            rubric.display()
        ),
    );
}

#[test]
fn an_unknown_lab_is_refused_with_the_known_ones() {
    grader()
        .args(["grade", ".", "--lab", "lab9-nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'lab9-nope'"))
        .stderr(predicate::str::contains("lab1-lock"));
}

#[test]
fn a_folder_that_is_not_a_workspace_is_one_line() {
    let empty = tempfile::tempdir().unwrap();
    fails_with_one_line(
        grader().arg("grade").arg(empty.path()),
        &format!(
            "grader: {} is empty: hand in your copy of the workspace, the folder that holds \
             lab1-race, lab1-lock, lab1-semaphore, lab1-queue, lab2-async",
            empty.path().display()
        ),
    );

    let no_labs = tempfile::tempdir().unwrap();
    std::fs::write(no_labs.path().join("notes.txt"), "").unwrap();
    std::fs::create_dir_all(no_labs.path().join("lab1_lock/src")).unwrap();
    std::fs::create_dir_all(no_labs.path().join("target")).unwrap();
    fails_with_one_line(
        grader().arg("grade").arg(no_labs.path()),
        &format!(
            "grader: {} holds no lab folder (lab1-race, lab1-lock, lab1-semaphore, lab1-queue, \
             lab2-async), and neither does a single folder inside it; it holds lab1_lock/, \
             notes.txt, target/",
            no_labs.path().display()
        ),
    );

    let parent = tempfile::tempdir().unwrap();
    let one_lab = parent.path().join("lab1-lock");
    std::fs::create_dir_all(one_lab.join("src")).unwrap();
    std::fs::write(one_lab.join("src/lib.rs"), "").unwrap();
    fails_with_one_line(
        grader().arg("grade").arg(&one_lab),
        &format!(
            "grader: {} is the lab1-lock folder alone: hand in the workspace folder that holds it \
             (its parent), where each lab is a folder",
            one_lab.display()
        ),
    );
}

#[test]
fn a_zip_that_is_not_a_workspace_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.zip");
    std::fs::write(&damaged, b"PK not really a zip").unwrap();
    fails_with_one_line(
        grader().arg("grade").arg(&damaged),
        &format!(
            "grader: {}: it is not a zip file, or it is damaged: zip the workspace folder again",
            damaged.display()
        ),
    );

    let empty = dir.path().join("empty.zip");
    common::zip_of(&empty, &[]);
    fails_with_one_line(
        grader().arg("grade").arg(&empty),
        &format!(
            "grader: {}: the zip is empty: zip the workspace folder, with the labs in it",
            empty.display()
        ),
    );

    let no_labs = dir.path().join("notes.zip");
    common::zip_of(&no_labs, &[("notes.txt", b"")]);
    fails_with_one_line(
        grader().arg("grade").arg(&no_labs),
        &format!(
            "grader: {} holds no lab folder (lab1-race, lab1-lock, lab1-semaphore, lab1-queue, \
             lab2-async), and neither does a single folder inside it; it holds notes.txt",
            no_labs.display()
        ),
    );
}

#[test]
fn a_workspace_wrapped_in_one_folder_is_graded_from_inside_it() {
    let submission = tempfile::tempdir().unwrap();
    let inner = submission.path().join("my-labs");
    std::fs::create_dir_all(inner.join("lab1-lock/src")).unwrap();
    std::fs::create_dir_all(submission.path().join(".git")).unwrap();
    let output = grader()
        .args(["grade", "--format", "json", "--lab", "lab1-race"])
        .arg(submission.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["submission"], inner.display().to_string());
    assert_eq!(report["score"], 0.0);
    let tests = report["labs"][0]["tests"].as_array().unwrap();
    assert!(!tests.is_empty());
    for test in tests {
        assert_eq!(test["score"], 0.0);
        assert_eq!(test["reason"], "the submission has no lab1-race/src folder");
    }
}

#[test]
fn a_batch_of_a_missing_or_empty_class_is_one_line() {
    let out = tempfile::tempdir().unwrap();
    fails_with_one_line(
        grader()
            .args(["batch", "/no/such/class", "--out"])
            .arg(out.path()),
        "cannot list /no/such/class",
    );
    let class = tempfile::tempdir().unwrap();
    fails_with_one_line(
        grader()
            .arg("batch")
            .arg(class.path())
            .arg("--out")
            .arg(out.path()),
        "no submissions in",
    );
}

#[test]
fn a_zipped_workspace_is_graded_and_named_by_its_zip() {
    let dir = tempfile::tempdir().unwrap();
    let zipped = dir.path().join("alice.zip");
    common::zip_of(&zipped, &[("alice/lab1-lock/src/notes.txt", b"")]);
    let output = grader()
        .args(["grade", "--format", "json", "--lab", "lab1-race"])
        .arg(&zipped)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(report["submission"], zipped.display().to_string());
    assert_eq!(
        report["labs"][0]["tests"][0]["reason"],
        "the submission has no lab1-race/src folder"
    );
}
