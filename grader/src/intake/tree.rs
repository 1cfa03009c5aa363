//! The one way the grader walks a folder: every entry under a root, in name order, with its
//! path relative to the root, leaving out the relative paths it is told to (and all under
//! them). Copies (scratch, release), packages (Gradescope) and digests (batch, pace) use it.
//! And the one way it writes a file that must never be seen half written (reports, the pace).

use std::path::{Path, PathBuf};

use crate::error::{Context, IoContext, Result};
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder.
    Dir,
    /// A regular file (or, when links are followed, what a link points to).
    File,
    /// A symbolic link, not followed.
    Link,
}

/// One entry of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path.
    pub path: PathBuf,
    /// Its path relative to the root walked.
    pub relative: PathBuf,
    /// What it is.
    pub kind: Kind,
}

/// Whether a walk follows symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Report links as links.
    Keep,
    /// Report what links point to.
    Follow,
}

/// Every entry under `root` (the root itself excluded), in name order, but those whose path
/// relative to `root` is in `excluded`, and everything under them.
pub fn walk(root: &Path, excluded: &[&str], links: Links) -> Result<Vec<Entry>> {
    let walker = WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .follow_links(links == Links::Follow)
        .into_iter()
        .filter_entry(|entry| {
            let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
            !excluded.iter().any(|skip| relative == Path::new(skip))
        });
    let mut entries = Vec::new();
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read {}", root.display()))?;
        let kind = entry.file_type();
        let kind = if kind.is_dir() {
            Kind::Dir
        } else if kind.is_symlink() {
            Kind::Link
        } else {
            Kind::File
        };
        entries.push(Entry {
            relative: entry
                .path()
                .strip_prefix(root)
                .context("the walk left its folder")?
                .to_path_buf(),
            path: entry.into_path(),
            kind,
        });
    }
    Ok(entries)
}

/// Feeds `hash` every file of each of `parts` (files or folders, by their paths relative to
/// `root`; a part that does not exist is left out), in name order: its path relative to
/// `root`, then its length and content. Links are followed. So the digest is the same
/// wherever `root` is, and an unreadable file is an error, never a silent difference.
pub fn digest(root: &Path, parts: &[&str], hash: &mut Sha256) -> Result<()> {
    for part in parts {
        let top = root.join(part);
        let mut files = Vec::new();
        if top.is_file() {
            files.push((PathBuf::from(part), top));
        } else if top.is_dir() {
            for entry in walk(&top, &[], Links::Follow)? {
                if entry.kind == Kind::File {
                    files.push((Path::new(part).join(&entry.relative), entry.path));
                }
            }
        }
        for (relative, path) in files {
            let bytes = std::fs::read(&path).on("read", &path)?;
            hash.update(relative.to_string_lossy().as_bytes());
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        }
    }
    Ok(())
}

/// Writes `text` to `path` whole or not at all: aside, then renamed over it.
pub fn write_whole(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).on("write in", dir)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).on("write", file.path())?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn excluded_paths_and_what_is_under_them_are_left_out_and_links_kept_or_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["a/tests", "a/src", "target/debug"] {
            fs::create_dir_all(root.join(folder)).unwrap();
        }
        fs::write(root.join("a/src/lib.rs"), "").unwrap();
        fs::write(root.join("a/tests/t.rs"), "").unwrap();
        std::os::unix::fs::symlink("lib.rs", root.join("a/src/sync.rs")).unwrap();
        let kept = walk(root, &["target", "a/tests"], Links::Keep).unwrap();
        let listed: Vec<(String, Kind)> = kept
            .iter()
            .map(|entry| (entry.relative.display().to_string(), entry.kind))
            .collect();
        assert_eq!(
            listed,
            [
                ("a".to_owned(), Kind::Dir),
                ("a/src".to_owned(), Kind::Dir),
                ("a/src/lib.rs".to_owned(), Kind::File),
                ("a/src/sync.rs".to_owned(), Kind::Link),
            ]
        );
        let followed = walk(root, &["target", "a/tests"], Links::Follow).unwrap();
        assert_eq!(followed[3].kind, Kind::File);
    }
}
