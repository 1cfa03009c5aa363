//! Stage 1, intake: find the workspace handed in, and take a submission's student files of
//! one lab, and nothing else.
//!
//! `<lab>/src/**/*.rs` is the student's, whole, whatever the files are named; everything else
//! (the support crates under `support/`, the demos under `<lab>/demo/`, the tests, manifests
//! and lock file) is ours and comes from the grader's pristine copy. Symbolic links
//! are never followed: a lab folder or `src/` that is a link is not collected, nor is a lab
//! without a regular `src/lib.rs` (there is nothing to build), nor a file over
//! [`MAX_FILE_BYTES`].
//!
//! First, [`find_workspace`] finds the submission's root in what was handed in: the folder
//! itself, or the one folder it wraps.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

use crate::intake::catalog::{LABS, lab};
use crate::intake::unzip;

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
    /// What was handed in is not a copy of the workspace: [`WorkspaceError`], or a zip that
    /// cannot be unpacked.
    #[error("{0}")]
    NotASubmission(String),
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

/// Why a folder handed in is not a copy of the workspace, said once for all its labs.
#[derive(Debug, Error)]
pub enum WorkspaceError {
    /// The folder cannot be listed.
    #[error("cannot read {folder}: {reason}")]
    Unreadable {
        /// The folder, as given.
        folder: String,
        /// What the system said.
        reason: String,
    },
    /// The folder holds nothing.
    #[error("{folder} is empty: hand in your copy of the workspace, the folder that holds {labs}")]
    Empty {
        /// The folder, as given.
        folder: String,
        /// The labs' folder names.
        labs: String,
    },
    /// The folder is one lab's folder, not the workspace that holds the labs.
    #[error(
        "{folder} is the {lab} folder alone: hand in the workspace folder that holds it (its \
         parent), where each lab is a folder"
    )]
    OneLab {
        /// The folder, as given.
        folder: String,
        /// The lab it is.
        lab: String,
    },
    /// Neither the folder nor a single folder inside it holds a lab folder.
    #[error(
        "{folder} holds no lab folder ({labs}), and neither does a single folder inside it; it \
         holds {found}"
    )]
    NoLabs {
        /// The folder, as given.
        folder: String,
        /// The labs' folder names.
        labs: String,
        /// The first few names found at its top.
        found: String,
    },
}

/// The workspace in what was handed in at `path`: a folder, or a `.zip` file unpacked into the
/// empty folder `unpack_into`, then [`find_workspace`]. Otherwise
/// [`CollectError::NotASubmission`], in one line that names the hand-in as `shown` (never the
/// temporary folder it was unpacked into).
pub fn workspace_handed_in(
    path: &Path,
    shown: &str,
    unpack_into: &Path,
) -> Result<PathBuf, CollectError> {
    let folder = if unzip::is_zip(path) {
        unzip::unpack(path, unpack_into)
            .map_err(|error| CollectError::NotASubmission(format!("{shown}: {error}")))?;
        unpack_into
    } else {
        path
    };
    find_workspace(folder).map_err(|error| {
        let inner = folder.to_string_lossy().into_owned();
        CollectError::NotASubmission(error.to_string().replace(&inner, shown))
    })
}

/// How many names [`WorkspaceError::NoLabs`] quotes.
const NAMES_QUOTED: usize = 5;

/// The root of the submission handed in as `folder`: `folder` itself when a lab folder is at
/// its top, or else the one folder it wraps (hidden entries and `__MACOSX` aside, as "compress
/// this folder" and "download ZIP" make) when a lab folder is at that one's top.
pub fn find_workspace(folder: &Path) -> Result<PathBuf, WorkspaceError> {
    let shown = folder.display().to_string();
    let entries = visible_entries(folder).map_err(|error| WorkspaceError::Unreadable {
        folder: shown.clone(),
        reason: error.to_string(),
    })?;
    if holds_a_lab(&entries) {
        return Ok(folder.to_path_buf());
    }
    if let [only] = entries.as_slice()
        && only.is_dir()
        && visible_entries(only).is_ok_and(|inner| holds_a_lab(&inner))
    {
        return Ok(only.clone());
    }
    let labs = LABS
        .iter()
        .map(|lab| lab.name)
        .collect::<Vec<_>>()
        .join(", ");
    if entries.is_empty() {
        return Err(WorkspaceError::Empty {
            folder: shown,
            labs,
        });
    }
    if let Some(lab) = lab_folder(folder) {
        return Err(WorkspaceError::OneLab { folder: shown, lab });
    }
    let mut names: Vec<String> = entries
        .iter()
        .take(NAMES_QUOTED)
        .map(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                format!("{name}/")
            } else {
                name.into_owned()
            }
        })
        .collect();
    if entries.len() > NAMES_QUOTED {
        names.push(format!("and {} more", entries.len() - NAMES_QUOTED));
    }
    Err(WorkspaceError::NoLabs {
        folder: shown,
        labs,
        found: names.join(", "),
    })
}

/// The entries at the top of `folder`, by name, without hidden ones and `__MACOSX`.
fn visible_entries(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(folder)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('.') && name != "__MACOSX" {
            entries.push(folder.join(&*name));
        }
    }
    entries.sort();
    Ok(entries)
}

/// Whether one of `entries` is a lab's folder (a real folder, not a link).
fn holds_a_lab(entries: &[PathBuf]) -> bool {
    entries.iter().any(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| lab(name).is_some())
            && path.symlink_metadata().is_ok_and(|meta| meta.is_dir())
    })
}

/// The lab whose folder `folder` is: by its name, or by the package its `Cargo.toml` names.
fn lab_folder(folder: &Path) -> Option<String> {
    let by_name = folder
        .canonicalize()
        .ok()?
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(lab)
        .map(|lab| lab.name.to_owned());
    by_name.or_else(|| {
        let manifest: toml::Table =
            toml::from_str(&fs::read_to_string(folder.join("Cargo.toml")).ok()?).ok()?;
        let name = manifest.get("package")?.get("name")?.as_str()?;
        lab(name).map(|lab| lab.name.to_owned())
    })
}

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
        let is_student_rs =
            entry.file_type().is_file() && path.extension().is_some_and(|ext| ext == "rs");
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
    fn a_workspace_wrapped_in_one_folder_is_graded_from_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let wrapped = dir.path().join("alice/lab1-race/src");
        fs::create_dir_all(&wrapped).unwrap();
        fs::write(wrapped.join("lib.rs"), "pub fn f() {}").unwrap();
        assert_eq!(
            find_workspace(dir.path()).unwrap(),
            dir.path().join("alice")
        );
        assert_eq!(
            find_workspace(&dir.path().join("alice")).unwrap(),
            dir.path().join("alice"),
            "a lab folder at the top is the submission's root"
        );
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
