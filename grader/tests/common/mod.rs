//! What the grader's integration tests share: the pristine workspace and a grader over it.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::execute::outcome::{Failure, TestOutcome};
use grader::grade::Grader;
use grader::intake::catalog::{TestId, Tier};

/// The workspace this grader was built from: its pristine copy.
pub fn pristine() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A grader over the pristine workspace, caching builds in this test run's temporary folder.
pub fn grader() -> Grader {
    Grader::new(
        pristine(),
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("grader-cache"),
        Duration::from_secs(60),
        2,
    )
}

/// The outcome of test `name` of `tier` (in the target named after its tier): passed when
/// `failure` is `None`, having printed `output`.
pub fn outcome(tier: Tier, name: &str, failure: Option<Failure>, output: String) -> TestOutcome {
    let test = TestId {
        tier,
        target: tier.to_string(),
        name: name.into(),
    };
    match failure {
        None => TestOutcome::passed(&test, output),
        Some(failure) => TestOutcome::failed(&test, failure, output),
    }
}

/// Writes a zip file at `path` holding `files` (name inside the zip, contents), in order;
/// none makes an empty zip.
pub fn zip_of(path: &Path, files: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.finish().unwrap();
}
