//! Stage 1: take a submission's student files of one lab, and nothing else.
//!
//! Only `<lab>/src/**/*.rs` is the student's; the facade (`src/sync.rs`) and the demo
//! (`src/main.rs`) are ours, like the tests, manifests and lock file, and come from the
//! grader's pristine copy. Symbolic links are never followed. A lab without a regular
//! `src/lib.rs` is not collected: there is nothing to build.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

/// Files under `src/` that always come from the pristine copy.
pub const PRISTINE_SRC_FILES: &[&str] = &["sync.rs", "main.rs"];

/// The student's files of one lab: paths relative to the lab's `src/`, with their bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// Each file's path under `src/` and its contents.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

/// Why a lab's files could not be taken.
#[derive(Debug, Error)]
pub enum CollectError {
    /// The submission has no `<lab>/src` folder.
    #[error("the submission has no {0}/src folder")]
    Missing(String),
    /// The lab has no regular `src/lib.rs`, where its code must be.
    #[error("the submission has no {lab}/src/lib.rs: {why}")]
    NoLib {
        /// The lab.
        lab: String,
        /// What is there instead, and what to do.
        why: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The path, relative to the submission.
        path: String,
        /// What the system said.
        reason: String,
    },
}

/// The student's `.rs` files of `lab` in `submission` (a copy of the workspace).
pub fn collect(submission: &Path, lab: &str) -> Result<Sources, CollectError> {
    let src = submission.join(lab).join("src");
    if !src.is_dir() {
        return Err(CollectError::Missing(lab.to_owned()));
    }
    let mut files = BTreeMap::new();
    for entry in WalkDir::new(&src).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|error| CollectError::Unreadable {
            path: error
                .path()
                .map(|p| relative(submission, p))
                .unwrap_or_else(|| format!("{lab}/src")),
            reason: error.to_string(),
        })?;
        let path = entry.path();
        let under_src = path
            .strip_prefix(&src)
            .expect("walkdir stays under its root");
        let is_student_rs = entry.file_type().is_file()
            && path.extension().is_some_and(|ext| ext == "rs")
            && !PRISTINE_SRC_FILES
                .iter()
                .any(|pristine| under_src == Path::new(pristine));
        if !is_student_rs {
            continue;
        }
        let bytes = fs::read(path).map_err(|error| CollectError::Unreadable {
            path: relative(submission, path),
            reason: error.to_string(),
        })?;
        files.insert(under_src.to_path_buf(), bytes);
    }
    if !files.contains_key(Path::new("lib.rs")) {
        return Err(CollectError::NoLib {
            lab: lab.to_owned(),
            why: missing_lib_reason(&src, &files),
        });
    }
    Ok(Sources { files })
}

/// Why `src/lib.rs` is not among the student's `files`, and what to do about it.
fn missing_lib_reason(src: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let lib = src.join("lib.rs");
    if lib.symlink_metadata().is_ok_and(|meta| meta.is_symlink()) {
        return "it is a symbolic link, and the grader takes only regular files: hand in the \
                file itself"
            .to_owned();
    }
    let near_miss = files.keys().find(|path| {
        path.to_str()
            .is_some_and(|name| name.eq_ignore_ascii_case("lib.rs"))
    });
    match near_miss {
        Some(path) => format!(
            "found src/{} instead: file names are case-sensitive, rename it to lib.rs",
            path.display()
        ),
        None => "the lab's code goes in src/lib.rs".to_owned(),
    }
}

/// `path` relative to `root`, for messages.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
