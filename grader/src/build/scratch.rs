//! Stage 2, build: the scratch workspace in which the labs of one submission are built.
//!
//! It is a copy of the grader's pristine workspace (manifests, lock file, the support crates,
//! tests, hidden tests) in which only the graded labs' `src/` folders are replaced by the
//! submission's, and in which every test body of those labs reports
//! [`evidence`] of its end. It lives in the build cache at a fixed path
//! ([`BuildWorkspace`](crate::build::compile::BuildWorkspace)), so that rustc's incremental cache
//! carries over from one submission to the next.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::build::evidence;
use crate::intake::catalog::test_files;
use crate::intake::collect::Sources;
use crate::intake::tree::{self, Kind, Links};

/// Top-level entries of the pristine workspace never copied: build output, history, and the
/// grader's own tests (the corpora among them).
const NOT_COPIED: &[&str] = &["target", ".git", "grader/tests"];

/// Makes `root` (emptied first) a copy of `pristine` and, for each lab and its student files in
/// `labs`, replaces the lab's student files with them and rewrites the lab's test files to
/// report evidence with `secret`. Labs not named keep their pristine files. Every file is
/// written anew, so each is newer than anything built before.
pub fn prepare(
    pristine: &Path,
    root: &Path,
    labs: &[(&str, &Sources)],
    secret: &str,
) -> Result<()> {
    if root.exists() {
        fs::remove_dir_all(root).with_context(|| format!("cannot empty {}", root.display()))?;
    }
    fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    copy_tree(pristine, root)?;
    for (lab, sources) in labs {
        overlay(&root.join(lab), sources, secret)?;
    }
    Ok(())
}

/// In the lab folder `lab_dir`, replaces the whole of `src/` with `sources` and
/// rewrites the test files to report evidence with `secret`.
fn overlay(lab_dir: &Path, sources: &Sources, secret: &str) -> Result<()> {
    let src = lab_dir.join("src");
    fs::remove_dir_all(&src).with_context(|| format!("cannot empty {}", src.display()))?;
    for (relative, bytes) in &sources.files {
        let path = src.join(relative);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder)?;
        }
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for file in test_files(lab_dir)? {
        let source = fs::read_to_string(&file.path)?;
        let rewritten = evidence::inject(&source, secret)
            .with_context(|| format!("cannot rewrite {}", file.path.display()))?;
        fs::write(&file.path, rewritten)?;
    }
    Ok(())
}

/// Copies the workspace (or any folder) at `from` into the folder `to`, merging into folders
/// that exist and replacing files, leaving out `NOT_COPIED` (build output, history, the
/// grader's own tests), keeping symbolic links as links.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in tree::walk(from, NOT_COPIED, Links::Keep)? {
        let target: PathBuf = to.join(&entry.relative);
        match entry.kind {
            Kind::Dir => fs::create_dir_all(&target)?,
            Kind::Link => std::os::unix::fs::symlink(fs::read_link(&entry.path)?, &target)?,
            Kind::File => {
                fs::copy(&entry.path, &target)
                    .with_context(|| format!("cannot copy {}", entry.path.display()))?;
            }
        }
    }
    Ok(())
}
