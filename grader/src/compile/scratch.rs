//! Stage 2, compile: the scratch workspace in which the labs of one submission are built.
//!
//! It is a copy of the grader's pristine workspace (manifests, lock file, the support crates,
//! tests, hidden tests) in which only the graded labs' `src/` folders are replaced by the
//! submission's, and in which every test body of those labs reports
//! [`evidence`] of its end. It lives in the build cache at a fixed path
//! ([`BuildWorkspace`](crate::compile::cargo_build::BuildWorkspace)), so that rustc's incremental cache
//! carries over from one submission to the next.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, IoContext, Result, bail};

use crate::compile::merged;
use crate::evidence;
use crate::intake::catalog::test_files;
use crate::intake::collect::Sources;
use crate::intake::tree::{self, Kind, Links};

/// Entries of the pristine workspace never copied: build output, history, and the data of the
/// grader's own tests (the corpora and snapshots). The grader's test files themselves are
/// copied: its manifest names the corpus's harness, and cargo reads every member's manifest.
const NOT_COPIED: &[&str] = &[
    "target",
    ".git",
    "grader/tests/corpus",
    "grader/tests/snapshots",
];

/// Makes `root` a copy of `pristine` and, for each lab and its student files in `labs`,
/// replaces the lab's student files with them and rewrites the lab's test files to report
/// evidence. Labs not named keep their pristine files. Only what differs from
/// what `root` holds is written (and what it should not hold removed): a file written is newer
/// than anything built before, and a file left alone is the very content the last build saw,
/// so cargo rebuilds exactly the crates whose files changed (never the support crates only
/// because they were copied again).
pub fn prepare(pristine: &Path, root: &Path, labs: &[(&str, &Sources)]) -> Result<()> {
    let mut wanted = BTreeMap::new();
    for entry in tree::walk(pristine, NOT_COPIED, Links::Keep)? {
        let content = match entry.kind {
            Kind::Dir => Wanted::Dir,
            Kind::Link => {
                Wanted::Link(fs::read_link(&entry.path).on("read the link", &entry.path)?)
            }
            Kind::File => Wanted::File(fs::read(&entry.path).on("read", &entry.path)?),
        };
        wanted.insert(entry.relative, content);
    }
    for (lab, sources) in labs {
        overlay(&mut wanted, pristine, lab, sources)?;
    }
    sync(root, &wanted)
}

/// What one path of the scratch workspace should be.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

/// In `wanted`, replaces the whole of the lab `lab`'s `src/` with `sources`, rewrites its
/// test files (as found in `pristine`) to report evidence, and adds the
/// [`merged`] root of its real-thread tests to its folder and manifest.
fn overlay(
    wanted: &mut BTreeMap<PathBuf, Wanted>,
    pristine: &Path,
    lab: &str,
    sources: &Sources,
) -> Result<()> {
    let src = Path::new(lab).join("src");
    wanted.retain(|path, _| !path.starts_with(&src));
    wanted.insert(src.clone(), Wanted::Dir);
    for (relative, bytes) in &sources.files {
        let path = src.join(relative);
        for folder in path.ancestors().skip(1).take_while(|folder| *folder != src) {
            wanted.insert(folder.to_path_buf(), Wanted::Dir);
        }
        wanted.insert(path, Wanted::File(bytes.clone()));
    }
    let files = test_files(&pristine.join(lab))?;
    for file in &files {
        let source = fs::read_to_string(&file.path).on("read", &file.path)?;
        let rewritten = evidence::inject(&source)
            .with_context(|| format!("cannot rewrite {}", file.path.display()))?;
        let relative = file
            .path
            .strip_prefix(pristine)
            .context("a test file is outside the pristine workspace")?
            .to_path_buf();
        wanted.insert(relative, Wanted::File(rewritten.into_bytes()));
    }
    let root = merged::root_source(&pristine.join(lab), &files)?;
    wanted.insert(
        Path::new(lab).join(merged::ROOT),
        Wanted::File(root.into_bytes()),
    );
    let manifest = Path::new(lab).join("Cargo.toml");
    match wanted.get_mut(&manifest) {
        Some(Wanted::File(bytes)) => bytes.extend_from_slice(merged::manifest_section().as_bytes()),
        _ => bail!("the pristine lab {lab} has no Cargo.toml"),
    }
    Ok(())
}

/// Makes the folder `root` hold exactly `wanted` (paths relative to it), writing only what
/// differs.
fn sync(root: &Path, wanted: &BTreeMap<PathBuf, Wanted>) -> Result<()> {
    fs::create_dir_all(root).on("create", root)?;
    for entry in tree::walk(root, &[], Links::Keep)? {
        let keep = matches!(
            (wanted.get(&entry.relative), entry.kind),
            (Some(Wanted::Dir), Kind::Dir)
                | (Some(Wanted::File(_)), Kind::File)
                | (Some(Wanted::Link(_)), Kind::Link)
        );
        let removed = match (keep, entry.kind) {
            (true, _) => Ok(()),
            (false, Kind::Dir) => fs::remove_dir_all(&entry.path),
            (false, _) => fs::remove_file(&entry.path),
        };
        match removed {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).on("remove", &entry.path);
            }
            _ => {}
        }
    }
    for (relative, content) in wanted {
        let path = root.join(relative);
        match content {
            Wanted::Dir => fs::create_dir_all(&path).on("create", &path)?,
            Wanted::File(bytes) => {
                if fs::read(&path).ok().as_ref() != Some(bytes) {
                    fs::write(&path, bytes).on("write", &path)?;
                }
            }
            Wanted::Link(target) => {
                if fs::read_link(&path).ok().as_ref() != Some(target) {
                    let _ = fs::remove_file(&path);
                    std::os::unix::fs::symlink(target, &path).on("link", &path)?;
                }
            }
        }
    }
    Ok(())
}

/// Copies the workspace (or any folder) at `from` into the folder `to`, merging into folders
/// that exist and replacing files, leaving out `NOT_COPIED` (build output, history, the
/// grader's own tests), keeping symbolic links as links.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).on("create", to)?;
    for entry in tree::walk(from, NOT_COPIED, Links::Keep)? {
        let target: PathBuf = to.join(&entry.relative);
        match entry.kind {
            Kind::Dir => fs::create_dir_all(&target).on("create", &target)?,
            Kind::Link => {
                let link = fs::read_link(&entry.path).on("read the link", &entry.path)?;
                std::os::unix::fs::symlink(link, &target).on("link", &target)?;
            }
            Kind::File => {
                fs::copy(&entry.path, &target).on("copy", &entry.path)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        Sources {
            files: files
                .iter()
                .map(|(path, text)| (PathBuf::from(path), text.as_bytes().to_vec()))
                .collect(),
        }
    }

    fn age(path: &Path) {
        let long_ago = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }

    fn is_old(path: &Path) -> bool {
        let modified = fs::metadata(path).unwrap().modified().unwrap();
        modified < SystemTime::now() - Duration::from_secs(60)
    }

    /// A pristine workspace of one lab with a visible test, one support crate and build
    /// output, in a temporary folder.
    fn pristine_of_one_lab() -> tempfile::TempDir {
        let folder = tempfile::tempdir().unwrap();
        let pristine = folder.path();
        for folder in ["support/kit/src", "lab/src", "lab/tests", "target/debug"] {
            fs::create_dir_all(pristine.join(folder)).unwrap();
        }
        let files = [
            ("support/kit/src/lib.rs", "pub fn kit() {}"),
            ("lab/src/lib.rs", "todo"),
            ("lab/Cargo.toml", "[package]\nname = \"lab\"\n"),
            ("lab/tests/visible.rs", "#[test]\nfn t() {}\n"),
            ("target/debug/big", "build output"),
        ];
        for (path, text) in files {
            fs::write(pristine.join(path), text).unwrap();
        }
        folder
    }

    #[test]
    fn the_submission_is_laid_over_the_pristine_workspace_with_its_tests_rewritten() {
        let (pristine, root) = (pristine_of_one_lab(), tempfile::tempdir().unwrap());
        let (pristine, root) = (pristine.path(), root.path().join("workspace"));
        let first = sources(&[("lib.rs", "mod extra;"), ("extra.rs", "")]);
        prepare(pristine, &root, &[("lab", &first)]).unwrap();
        assert_eq!(
            fs::read_to_string(root.join("lab/src/lib.rs")).unwrap(),
            "mod extra;"
        );
        assert!(root.join("lab/src/extra.rs").exists());
        assert!(!root.join("target").exists(), "build output is not copied");
        let test = fs::read_to_string(root.join("lab/tests/visible.rs")).unwrap();
        assert!(
            test.contains("__grader_evidence(\"t\")"),
            "the test reports evidence: {test}"
        );
        let root_file = fs::read_to_string(root.join("lab").join(merged::ROOT)).unwrap();
        assert!(root_file.contains("mod visible;"), "{root_file}");
        let manifest = fs::read_to_string(root.join("lab/Cargo.toml")).unwrap();
        assert!(
            manifest.ends_with(&merged::manifest_section()),
            "{manifest}"
        );
    }

    #[test]
    fn preparing_again_writes_only_what_differs_and_removes_what_the_last_submission_left() {
        let (pristine, root) = (pristine_of_one_lab(), tempfile::tempdir().unwrap());
        let (pristine, root) = (pristine.path(), root.path().join("workspace"));
        let first = sources(&[("lib.rs", "mod extra;"), ("extra.rs", "")]);
        prepare(pristine, &root, &[("lab", &first)]).unwrap();
        let merged_root = format!("lab/{}", merged::ROOT);
        let unchanged = [
            "support/kit/src/lib.rs",
            "lab/src/lib.rs",
            "lab/Cargo.toml",
            "lab/tests/visible.rs",
            &merged_root,
        ];
        for file in unchanged {
            age(&root.join(file));
        }

        let second = sources(&[("lib.rs", "mod extra;"), ("other.rs", "")]);
        prepare(pristine, &root, &[("lab", &second)]).unwrap();
        assert!(
            is_old(&root.join("support/kit/src/lib.rs")),
            "the same content is left alone"
        );
        assert!(
            is_old(&root.join("lab/src/lib.rs")),
            "the student's same file too"
        );
        for file in ["lab/Cargo.toml", "lab/tests/visible.rs", &merged_root] {
            assert!(is_old(&root.join(file)), "the same generated {file} too");
        }
        assert!(
            !root.join("lab/src/extra.rs").exists(),
            "the last submission's file is gone"
        );
        assert!(root.join("lab/src/other.rs").exists());

        prepare(pristine, &root, &[]).unwrap();
        assert_eq!(
            fs::read_to_string(root.join("lab/src/lib.rs")).unwrap(),
            "todo"
        );
        assert!(
            !root.join("lab/src/other.rs").exists(),
            "a lab not graded is pristine"
        );
    }
}
