//! What the grader's integration tests share: the pristine workspace and a grader over it.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::grade::Grader;

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
