//! Timeouts in proportion to the references: a test on real threads may run [`MULTIPLE`]
//! times as long as the reference's own run of it took on this machine, never less than
//! [`FLOOR`] and never more than the grader's flat timeout, which stays the last guard.
//!
//! Loom models keep the flat timeout: a model's time grows with the interleavings of the
//! student's code, which a correct alternative can multiply (the fair corpus's
//! `fair-queue-notify-all` takes 3 to 4 times its reference's time alone, and more than 10
//! times on a busy machine), and loom stops an endless loop on its own, at its branch limit.
//!
//! The references' times are measured by grading `<pristine>/solutions` once, and kept in the
//! cache for each lab under a digest of everything they depend on (the lab's folder, its
//! reference, the kit's crates, the lock file), so that a class is graded under the same
//! timeouts throughout, and a change to any of those measures that lab again.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::error::{Context, IoContext, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::intake::catalog::{KIT_CRATES, Lab, TestId, Tier};
use crate::intake::tree;

/// How many times the reference's time a test may take.
pub const MULTIPLE: u32 = 10;

/// The least time any test gets: above the longest patience of any lab test (the semaphore's
/// gate waits 10 s for a thread to move), so that a test's own advice is what a student reads
/// when it gives up, never a timeout.
pub const FLOOR: Duration = Duration::from_secs(12);

/// The references' own time for each test they pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pace {
    /// Each test's reference time, in milliseconds (JSON keys must be text).
    times: Vec<(TestId, u64)>,
}

impl Pace {
    /// The pace of references that took `times`.
    pub fn new(times: impl IntoIterator<Item = (TestId, Duration)>) -> Self {
        let times: BTreeMap<TestId, u64> = times
            .into_iter()
            .map(|(test, time)| (test, time.as_millis().try_into().unwrap_or(u64::MAX)))
            .collect();
        Self {
            times: times.into_iter().collect(),
        }
    }

    /// The timeout of `test`: [`MULTIPLE`] times its reference's time, at least [`FLOOR`], at
    /// most `cap`; `cap` for a loom model, and for a test the references were not timed on.
    pub fn timeout(&self, test: &TestId, cap: Duration) -> Duration {
        if test.tier == Tier::Loom {
            return cap;
        }
        match self.times.binary_search_by(|(timed, _)| timed.cmp(test)) {
            Ok(at) => (Duration::from_millis(self.times[at].1) * MULTIPLE)
                .max(FLOOR)
                .min(cap),
            Err(_) => cap,
        }
    }

    /// It and `other` together.
    pub fn merged(self, other: Self) -> Self {
        let times = self.times.into_iter().chain(other.times);
        Self::new(times.map(|(test, millis)| (test, Duration::from_millis(millis))))
    }

    /// The pace of `lab` kept in `folder` for the pristine workspace as it is now, if one was.
    pub fn kept(folder: &Path, pristine: &Path, lab: &Lab) -> Result<Option<Self>> {
        let path = folder.join(file_name(pristine, lab)?);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(serde_json::from_str(&text).ok()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).on("read", &path),
        }
    }

    /// Keeps it in `folder` as the pace of `lab` for the pristine workspace as it is now,
    /// written whole.
    pub fn keep(&self, folder: &Path, pristine: &Path, lab: &Lab) -> Result<()> {
        fs::create_dir_all(folder).on("create", folder)?;
        let path = folder.join(file_name(pristine, lab)?);
        let text = serde_json::to_string_pretty(self).context("cannot write the pace as JSON")?;
        tree::write_whole(&path, &text)
    }
}

/// The name of the file that keeps the pace of `lab`: the lab's name and a hash of every file
/// its reference's times depend on (the lab's folder, its reference, the kit's crates, the
/// lock file), by path relative to `pristine` and content.
fn file_name(pristine: &Path, lab: &Lab) -> Result<String> {
    let mut hash = Sha256::new();
    let reference = format!("solutions/{}", lab.name);
    let parts = [lab.name, reference.as_str(), "Cargo.lock"];
    let parts: Vec<&str> = parts
        .into_iter()
        .chain(KIT_CRATES.iter().copied())
        .collect();
    tree::digest(pristine, &parts, &mut hash)?;
    Ok(format!("{}-{:x}.json", lab.name, hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::catalog::lab;

    fn test(name: &str) -> TestId {
        TestId {
            tier: Tier::Visible,
            target: String::from("visible"),
            name: name.to_owned(),
        }
    }

    fn model(name: &str) -> TestId {
        TestId {
            tier: Tier::Loom,
            target: String::from("loom"),
            name: name.to_owned(),
        }
    }

    #[test]
    fn a_timeout_is_a_multiple_of_the_references_time_between_the_floor_and_the_cap() {
        let pace = Pace::new([
            (test("quick"), Duration::from_millis(40)),
            (test("slow"), Duration::from_secs(2)),
            (test("slower"), Duration::from_secs(5)),
            (model("quick"), Duration::from_millis(40)),
        ]);
        let cap = Duration::from_secs(30);
        assert_eq!(pace.timeout(&test("quick"), cap), FLOOR);
        assert_eq!(pace.timeout(&test("slow"), cap), Duration::from_secs(20));
        assert_eq!(pace.timeout(&test("slower"), cap), cap);
        assert_eq!(pace.timeout(&test("untimed"), cap), cap);
        assert_eq!(
            pace.timeout(&model("quick"), cap),
            cap,
            "a loom model keeps the cap"
        );
        assert_eq!(
            pace.timeout(&test("quick"), Duration::from_secs(5)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_kept_pace_is_found_again_until_a_file_it_depends_on_changes() {
        let pristine = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let (cache, pristine) = (cache.path(), pristine.path());
        for folder in ["lab1-lock/tests", "lab1-race/tests", "grader"] {
            fs::create_dir_all(pristine.join(folder)).unwrap();
        }
        fs::write(pristine.join("lab1-lock/tests/visible.rs"), "a").unwrap();
        let (lock, race) = (lab("lab1-lock").unwrap(), lab("lab1-race").unwrap());
        let pace = Pace::new([(test("t"), Duration::from_millis(7))]);
        assert_eq!(Pace::kept(cache, pristine, lock).unwrap(), None);
        pace.keep(cache, pristine, lock).unwrap();
        assert_eq!(
            Pace::kept(cache, pristine, lock).unwrap(),
            Some(pace.clone())
        );
        assert_eq!(
            Pace::kept(cache, pristine, race).unwrap(),
            None,
            "kept for its lab only"
        );
        fs::write(pristine.join("grader/notes.md"), "not measured from").unwrap();
        fs::write(pristine.join("lab1-race/tests/visible.rs"), "another lab").unwrap();
        assert_eq!(Pace::kept(cache, pristine, lock).unwrap(), Some(pace));
        fs::write(pristine.join("lab1-lock/tests/visible.rs"), "b").unwrap();
        assert_eq!(Pace::kept(cache, pristine, lock).unwrap(), None);
    }
}
