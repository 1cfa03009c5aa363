//! The facade names a deadlock only among the threads it knows, so every thread that the
//! tests, hidden tests or demo of a lab built on the facade start goes through
//! `labkit::sync::thread`: a thread started with `std::thread` could wake the others without
//! the facade seeing it, and make a wait that is not hopeless look so. (Lab 2 takes nothing
//! from the facade: its demo's threads only sleep.)

mod common;

use std::fs;

use grader::intake::catalog::LABS;
use walkdir::WalkDir;

/// The ways of starting a thread that bypass the facade.
const STD_SPAWNS: &[&str] = &[
    "use std::thread;",
    "use std::thread::{",
    "std::thread::spawn",
    "std::thread::scope",
    "std::thread::Builder",
];

#[test]
fn every_thread_a_lab_test_or_demo_starts_goes_through_the_facade() {
    let pristine = common::pristine();
    let mut offenders = Vec::new();
    let mut files = 0;
    for lab in LABS {
        let stub = fs::read_to_string(pristine.join(lab.name).join("src/lib.rs")).unwrap();
        if !stub.contains("labkit::sync") {
            continue;
        }
        for folder in ["tests", "hidden", "demo"] {
            let folder = pristine.join(lab.name).join(folder);
            for entry in WalkDir::new(&folder).into_iter().filter_map(Result::ok) {
                let path = entry.path();
                if path.extension().is_none_or(|ext| ext != "rs") {
                    continue;
                }
                files += 1;
                let source = fs::read_to_string(path).unwrap();
                for (number, line) in source.lines().enumerate() {
                    if let Some(spawn) = STD_SPAWNS.iter().find(|spawn| line.contains(*spawn)) {
                        offenders.push(format!("{}:{}: {spawn}", path.display(), number + 1));
                    }
                }
            }
        }
    }
    assert!(files > 15, "only {files} test and demo files were read");
    assert!(
        offenders.is_empty(),
        "start these threads with `labkit::sync::thread`:\n{}",
        offenders.join("\n")
    );
}
