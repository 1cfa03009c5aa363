//! Zipped submissions: a student's copy of the workspace handed in as one `.zip` file.
//!
//! A zip comes from a student, so it is unpacked with care: only regular files and folders,
//! only at paths that stay inside the destination (no `..`, no absolute paths, no symbolic
//! links), and at most [`MAX_UNPACKED_BYTES`] in all, so a zip bomb fails instead of filling
//! the disk. Where the workspace is inside it is `collect`'s to say, which uses this module.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use thiserror::Error;
use zip::ZipArchive;

/// The most bytes a submission's zip may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 64 << 20;

/// Why a zip could not be unpacked: the student's mistake, reported as the reason.
#[derive(Debug, Error)]
pub enum UnzipError {
    /// The file is not a zip archive, or is damaged (what the zip library said is kept for
    /// the instructor, not shown).
    #[error("it is not a zip file, or it is damaged: zip the workspace folder again")]
    Unreadable(#[from] zip::result::ZipError),
    /// The archive holds no file.
    #[error("the zip is empty: zip the workspace folder, with the labs in it")]
    Empty,
    /// The archive unpacks to more than [`MAX_UNPACKED_BYTES`].
    #[error("the zip unpacks to more than {} MiB", MAX_UNPACKED_BYTES >> 20)]
    TooLarge,
    /// Writing the unpacked files failed.
    #[error("cannot unpack: {0}")]
    Io(#[from] io::Error),
}

/// Whether `path` is a file this module unpacks: a name ending in `.zip`.
pub fn is_zip(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("zip"))
}

/// Unpacks the zip file `zip` into the empty folder `into`.
pub fn unpack(zip: &Path, into: &Path) -> Result<(), UnzipError> {
    let mut archive = ZipArchive::new(File::open(zip)?)?;
    if archive.file_names().all(|name| name.ends_with('/')) {
        return Err(UnzipError::Empty);
    }
    let mut budget = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        let path = into.join(relative);
        if entry.is_dir() {
            fs::create_dir_all(&path)?;
            continue;
        }
        if !entry.is_file() {
            continue;
        }
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder)?;
        }
        let mut out = File::create(&path)?;
        let written = io::copy(&mut (&mut entry).take(budget + 1), &mut out)?;
        if written > budget {
            return Err(UnzipError::TooLarge);
        }
        budget -= written;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    /// A zip at `path` holding `files` (name, contents).
    fn zip_of(path: &Path, files: &[(&str, &[u8])]) {
        let mut zip = ZipWriter::new(File::create(path).unwrap());
        for (name, bytes) in files {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn a_zipped_folder_unpacks_as_that_folder() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("alice.zip");
        zip_of(&zip, &[("alice/lab1-race/src/lib.rs", b"pub fn f() {}")]);
        let into = dir.path().join("unpacked");
        fs::create_dir(&into).unwrap();
        unpack(&zip, &into).unwrap();
        let lib = into.join("alice/lab1-race/src/lib.rs");
        assert_eq!(fs::read(lib).unwrap(), b"pub fn f() {}");
    }

    #[test]
    fn an_empty_zip_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("empty.zip");
        zip_of(&zip, &[]);
        let into = dir.path().join("unpacked");
        fs::create_dir(&into).unwrap();
        let error = unpack(&zip, &into).unwrap_err();
        assert!(matches!(error, UnzipError::Empty), "{error}");
    }

    #[test]
    fn paths_that_leave_the_folder_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("mallory.zip");
        zip_of(
            &zip,
            &[
                ("../escaped.rs", b"x"),
                ("/tmp/absolute.rs", b"x"),
                ("lab1-race/src/lib.rs", b"y"),
            ],
        );
        let into = dir.path().join("unpacked");
        fs::create_dir(&into).unwrap();
        unpack(&zip, &into).unwrap();
        assert!(!dir.path().join("escaped.rs").exists());
        assert!(!Path::new("/tmp/absolute.rs").exists());
        assert!(into.join("lab1-race/src/lib.rs").is_file());
    }

    #[test]
    fn a_zip_bomb_and_a_damaged_zip_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = dir.path().join("bomb.zip");
        let zeros = vec![0u8; (MAX_UNPACKED_BYTES / 2 + 1) as usize];
        zip_of(&bomb, &[("a", &zeros), ("b", &zeros)]);
        let into = dir.path().join("bomb");
        fs::create_dir(&into).unwrap();
        assert!(matches!(unpack(&bomb, &into), Err(UnzipError::TooLarge)));

        let damaged = dir.path().join("damaged.zip");
        fs::write(&damaged, b"PK not really").unwrap();
        let into = dir.path().join("damaged");
        fs::create_dir(&into).unwrap();
        let error = unpack(&damaged, &into).unwrap_err();
        assert!(matches!(error, UnzipError::Unreadable(_)));
        assert_eq!(
            error.to_string(),
            "it is not a zip file, or it is damaged: zip the workspace folder again"
        );
    }
}
