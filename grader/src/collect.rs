//! Stage 1: take a submission's student files of one lab, and nothing else.
//!
//! Only `<lab>/src/**/*.rs` is the student's; the facade (`src/sync.rs`), lab2's logger
//! (`src/log.rs`) and the demo (`src/main.rs`) are ours, like the tests, manifests and lock
//! file, and come from the grader's pristine copy. Symbolic links are never followed: a lab folder or `src/` that is
//! a link is not collected, nor is a lab without a regular `src/lib.rs` (there is nothing to
//! build), nor a file over [`MAX_FILE_BYTES`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

/// Files under `src/` that always come from the pristine copy.
pub const PRISTINE_SRC_FILES: &[&str] = &["sync.rs", "log.rs", "main.rs"];

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
    /// The lab's folder or its `src/` is a symbolic link: whatever it points to is not the
    /// submission's own.
    #[error(
        "{0} is a symbolic link, and the grader takes only the submission's own folders and \
         files: hand in the folder itself"
    )]
    Linked(String),
    /// A student file is larger than [`MAX_FILE_BYTES`].
    #[error("{path} is {bytes} bytes, more than the {max} a source file may have", max = MAX_FILE_BYTES)]
    TooLarge {
        /// The path, relative to the submission.
        path: String,
        /// Its size.
        bytes: u64,
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

/// The largest student source file taken, in bytes: far above any lab's, far below what
/// would cost the grader memory.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The student's `.rs` files of `lab` in `submission` (a copy of the workspace).
pub fn collect(submission: &Path, lab: &str) -> Result<Sources, CollectError> {
    let src = submission.join(lab).join("src");
    for (folder, shown) in [
        (submission.join(lab), lab.to_owned()),
        (src.clone(), format!("{lab}/src")),
    ] {
        if folder
            .symlink_metadata()
            .is_ok_and(|meta| meta.file_type().is_symlink())
        {
            return Err(CollectError::Linked(shown));
        }
    }
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
        let size = entry.metadata().map_or(0, |meta| meta.len());
        if size > MAX_FILE_BYTES {
            return Err(CollectError::TooLarge {
                path: relative(submission, path),
                bytes: size,
            });
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// A submission of lab1-race in a new temporary folder, with `lib` as its `src/lib.rs`.
    fn submission(lib: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("lab1-race/src")).unwrap();
        fs::write(dir.path().join("lab1-race/src/lib.rs"), lib).unwrap();
        dir
    }

    #[test]
    fn a_linked_lab_or_src_folder_is_not_collected() {
        let elsewhere = submission(b"pub fn elsewhere() {}");
        for linked in ["lab1-race", "lab1-race/src"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(linked);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            symlink(elsewhere.path().join(linked), &path).unwrap();
            let error = collect(dir.path(), "lab1-race").unwrap_err();
            assert!(
                matches!(&error, CollectError::Linked(shown) if shown == linked),
                "{linked}: {error}"
            );
        }
        assert!(collect(elsewhere.path(), "lab1-race").is_ok());
    }

    #[test]
    fn a_file_over_the_size_limit_is_not_collected() {
        let huge = vec![b' '; MAX_FILE_BYTES as usize + 1];
        let dir = submission(&huge);
        let error = collect(dir.path(), "lab1-race").unwrap_err();
        assert!(matches!(error, CollectError::TooLarge { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains("lab1-race/src/lib.rs is 1048577 bytes")
        );
    }
}
