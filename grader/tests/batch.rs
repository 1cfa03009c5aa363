//! Batch grading of a small class: each student isolated from the others (an endless loop,
//! a memory bomb, an output flood or a compile error costs only its author, and only the test
//! it hits), class files written, a second run grading only what changed (a submission, or
//! the grader's hidden tests), and zipped submissions.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use grader::compile::scratch::copy_tree;

use common::pristine;

/// Puts `lib` as `student`'s lab1-race in the class folder.
fn hand_in(class: &Path, student: &str, lib: &str) {
    let src = class.join(student).join("lab1-race/src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("lib.rs"), lib).unwrap();
}

/// Runs `grader batch` on lab1-race, with 20 s per test unless `extra` says otherwise;
/// returns its stdout.
fn batch(class: &Path, out: &Path, extra: &[&str]) -> String {
    let timeout: &[&str] = if extra.contains(&"--timeout") {
        &[]
    } else {
        &["--timeout", "20"]
    };
    let output = Command::cargo_bin("grader")
        .unwrap()
        .arg("--cache")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("grader-cache"))
        .arg("batch")
        .arg(class)
        .arg("--out")
        .arg(out)
        .args(["--lab", "lab1-race", "-j", "2"])
        .args(timeout)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .clone();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_class_is_graded_each_student_alone_and_resumably() {
    let reference = fs::read_to_string(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    let stub = fs::read_to_string(pristine().join("lab1-race/src/lib.rs")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (class, out) = (dir.path().join("class"), dir.path().join("out"));
    hand_in(&class, "alice", &reference);
    hand_in(&class, "bob", &stub);
    hand_in(&class, "carol", "this is not Rust");

    let first = batch(&class, &out, &[]);
    assert!(first.contains("3 graded, 0 unchanged"), "{first}");
    let csv = fs::read_to_string(out.join("grades.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "student,lab1-race,total,max,zero_reasons");
    assert!(rows[1].starts_with("alice,"), "{csv}");
    let alice: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(alice[1], alice[3], "alice should have full marks: {csv}");
    assert!(
        rows[2].starts_with("bob,0,0,") && rows[2].contains("not yet implemented"),
        "{csv}"
    );
    assert!(
        rows[3].starts_with("carol,0,0,") && rows[3].contains("does not compile"),
        "{csv}"
    );
    for student in ["alice", "bob", "carol"] {
        for file in ["report.json", "results.json", "fingerprint"] {
            assert!(
                out.join("students").join(student).join(file).is_file(),
                "{student}/{file}"
            );
        }
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("alice") && html.contains("<svg"),
        "report.html"
    );
    let files: Vec<&str> = html
        .split(" href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .filter(|link| !link.starts_with('#'))
        .collect();
    assert_eq!(
        files,
        ["alice", "bob", "carol"].map(|student| format!("students/{student}/report.json")),
        "report.html should link each student to their report"
    );
    for file in files {
        assert!(
            out.join(file).is_file(),
            "report.html links to {file}, which is missing"
        );
    }

    let again = batch(&class, &out, &[]);
    assert!(again.contains("0 graded, 3 unchanged"), "{again}");
    assert_eq!(fs::read_to_string(out.join("grades.csv")).unwrap(), csv);

    hand_in(&class, "carol", &reference);
    let changed = batch(&class, &out, &[]);
    assert!(changed.contains("1 graded, 2 unchanged"), "{changed}");
    let csv = fs::read_to_string(out.join("grades.csv")).unwrap();
    let carol: Vec<&str> = csv.lines().nth(3).unwrap().split(',').collect();
    assert_eq!(
        carol[1], carol[3],
        "carol's fixed lab should have full marks: {csv}"
    );

    let regraded = batch(&class, &out, &["--regrade"]);
    assert!(regraded.contains("3 graded, 0 unchanged"), "{regraded}");
}

#[test]
fn zipped_submissions_are_graded_and_what_is_not_a_workspace_scores_zero_with_one_reason() {
    let reference = fs::read(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (class, out) = (dir.path().join("class"), dir.path().join("out"));
    fs::create_dir_all(&class).unwrap();
    common::zip_of(
        &class.join("dave.zip"),
        &[("dave-workspace/lab1-race/src/lib.rs", &reference)],
    );
    fs::write(class.join("erin.zip"), b"PK but not a zip").unwrap();
    common::zip_of(&class.join("fay.zip"), &[]);
    fs::create_dir_all(class.join("gil/notes")).unwrap();

    let first = batch(&class, &out, &["--lab", "lab1-lock"]);
    assert!(first.contains("4 graded, 0 unchanged"), "{first}");
    let csv = fs::read_to_string(out.join("grades.csv")).unwrap();
    let dave: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(dave[0], "dave", "{csv}");
    assert_eq!(dave[1], dave[3], "dave's zip should earn full marks: {csv}");
    let zero_reasons: Vec<(String, String)> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_owned(), row[row.len() - 1].to_owned())
        })
        .collect();
    assert_eq!(
        zero_reasons[1..],
        [
            (
                "erin".to_owned(),
                "lab1-race, lab1-lock: erin.zip: it is not a zip file, or it is damaged: zip the \
                 workspace folder again"
                    .to_owned()
            ),
            (
                "fay".to_owned(),
                "lab1-race, lab1-lock: fay.zip: the zip is empty: zip the workspace folder, with \
                 the labs in it"
                    .to_owned()
            ),
            (
                "gil".to_owned(),
                "lab1-race, lab1-lock: gil holds no lab folder (lab1-race, lab1-lock, \
                 lab1-semaphore, lab1-queue, lab2-async), and neither does a single folder \
                 inside it; it holds notes/"
                    .to_owned()
            ),
        ],
        "one reason for all the labs of a hand-in that is not a workspace: {csv}"
    );
    let failed = fs::read_to_string(out.join("failed-tests.csv")).unwrap();
    assert!(
        failed.starts_with("student,lab,tier,test,points,max,reason\n"),
        "{failed}"
    );
    assert!(
        !failed.contains("\ndave,lab1-race,") && failed.contains("\nerin,lab1-lock,visible,"),
        "dave failed no lab1-race test, erin every test: {failed}"
    );
}

/// `run_threads` of the reference, misbehaving as `misbehaviour` says whenever it is asked
/// for 4 threads (which one visible test does, and nothing else).
fn misbehaving(reference: &str, misbehaviour: &str) -> String {
    let start = "    let counter = Arc::new(RacyCounter::new());\n";
    assert_eq!(reference.matches(start).count(), 1, "run_threads changed");
    reference.replacen(
        start,
        &format!("    if threads == 4 {{\n        {misbehaviour}\n    }}\n{start}"),
        1,
    )
}

#[test]
fn hostile_students_change_no_other_students_score() {
    let reference = fs::read_to_string(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (class, out) = (dir.path().join("class"), dir.path().join("out"));
    hand_in(&class, "alice", &reference);
    hand_in(&class, "zoe", &reference);
    hand_in(&class, "mallory", &misbehaving(&reference, "loop {}"));
    hand_in(
        &class,
        "hog",
        &misbehaving(
            &reference,
            // Zeroed memory is mapped, not touched: the limit is reached at once.
            "let mut hog = Vec::new(); loop { hog.push(vec![0u8; 256 << 20]); }",
        ),
    );
    hand_in(
        &class,
        "flood",
        &misbehaving(
            &reference,
            "loop { println!(\"{}\", \"flood \".repeat(1000)); }",
        ),
    );
    hand_in(
        &class,
        "carl",
        &format!("{reference}\nfn broken() -> u8 {{ \"x\" }}\n"),
    );

    let first = batch(&class, &out, &["--timeout", "5"]);
    assert!(
        first.contains("6 graded, 0 unchanged since the last run, 0 failed"),
        "{first}"
    );
    let csv = fs::read_to_string(out.join("grades.csv")).unwrap();
    let row = |student: &str| -> Vec<String> {
        csv.lines()
            .find(|line| line.starts_with(&format!("{student},")))
            .unwrap_or_else(|| panic!("no row for {student}: {csv}"))
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    let max = row("alice")[3].clone();
    for student in ["alice", "zoe"] {
        assert_eq!(
            row(student)[1],
            max,
            "{student} must keep full marks: {csv}"
        );
    }
    assert_eq!(row("carl")[1], "0", "{csv}");
    let report = |student: &str| -> serde_json::Value {
        let path = out.join("students").join(student).join("report.json");
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
    };
    for (student, reason) in [
        ("mallory", "timed out after 5 s"),
        ("hog", "out of memory"),
        ("flood", "timed out after 5 s"),
    ] {
        let report = report(student);
        let failed: Vec<&serde_json::Value> = report["labs"][0]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|test| test["passed"] == false)
            .collect();
        assert_eq!(
            failed.len(),
            1,
            "{student} misbehaves in one test only, and loses only that one: {failed:#?}"
        );
        assert_eq!(
            failed[0]["name"],
            "run_threads_runs_its_threads_at_the_same_time"
        );
        let why = failed[0]["reason"].as_str().unwrap();
        assert!(why.contains(reason), "{student}: {why}");
    }
}

#[test]
fn a_changed_hidden_test_grades_everyone_again() {
    let dir = tempfile::tempdir().unwrap();
    let pristine_copy = dir.path().join("pristine");
    copy_tree(&pristine(), &pristine_copy).unwrap();
    let reference = fs::read_to_string(pristine().join("solutions/lab1-race/src/lib.rs")).unwrap();
    let (class, out) = (dir.path().join("class"), dir.path().join("out"));
    hand_in(&class, "alice", &reference);
    let with_copy = ["--pristine", pristine_copy.to_str().unwrap()];

    let first = batch(&class, &out, &with_copy);
    assert!(first.contains("1 graded, 0 unchanged"), "{first}");
    let again = batch(&class, &out, &with_copy);
    assert!(again.contains("0 graded, 1 unchanged"), "{again}");

    let hidden = pristine_copy.join("lab1-race/hidden/hidden.rs");
    let mut text = fs::read_to_string(&hidden).unwrap();
    text.push_str("\n// The instructor changed the hidden tests.\n");
    fs::write(&hidden, text).unwrap();
    let changed = batch(&class, &out, &with_copy);
    assert!(
        changed.contains("1 graded, 0 unchanged"),
        "a change to the hidden tests must grade the class again: {changed}"
    );
}
