//! What the grader's integration tests share: the pristine workspace and a grader over it.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::compile::BuildLimits;
use grader::grade::Grader;
use grader::run::Limits;

/// The workspace this grader was built from: its pristine copy.
pub fn pristine() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A grader over the pristine workspace, caching builds in this test run's temporary folder.
pub fn grader() -> Grader {
    let limits = Limits {
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    Grader {
        pristine: pristine(),
        cache: Path::new(env!("CARGO_TARGET_TMPDIR")).join("grader-cache"),
        limits,
        loom_limits: Limits {
            timeout: Duration::from_secs(120),
            ..limits
        },
        build_limits: BuildLimits::default(),
        on_stage: None,
        jobs: 2,
    }
}
