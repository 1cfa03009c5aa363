//! What the companion remembers between runs, under cargo's target folder (`target/labs/`):
//! each lab's last outcome of each tier, with a digest of the files it came from, so that
//! `cargo labs` answers at once for a lab nothing changed in; and how many hints of each lab
//! were shown.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::tier::{Tier, TierOutcome};
use crate::workspace::{Lab, Workspace};

/// One lab's remembered outcomes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Remembered {
    /// The digest of the files they came from ([`digest`]).
    pub digest: String,
    /// Each tier's outcome, for the tiers run.
    pub tiers: BTreeMap<Tier, TierOutcome>,
}

/// Every lab's remembered outcomes, by lab name.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Outcomes {
    labs: BTreeMap<String, Remembered>,
}

impl Outcomes {
    /// What is remembered in `workspace` (nothing if there is nothing yet, or it cannot be
    /// read: it is only a cache).
    pub fn load(workspace: &Workspace) -> Self {
        fs::read_to_string(outcomes_file(workspace))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// The outcomes remembered for `lab` if they came from its files as they are now.
    pub fn current(&self, lab: &str, digest: &str) -> Option<&Remembered> {
        self.labs.get(lab).filter(|kept| kept.digest == digest)
    }

    /// Remembers `outcomes` for `lab`.
    pub fn set(&mut self, lab: &str, outcomes: Remembered) {
        self.labs.insert(lab.to_owned(), outcomes);
    }

    /// Writes it down for the next run.
    pub fn save(&self, workspace: &Workspace) -> Result<()> {
        write(
            &outcomes_file(workspace),
            &serde_json::to_string_pretty(self)?,
        )
    }
}

/// A digest of every file `lab`'s outcomes depend on: the lab's folder, the support crates,
/// the workspace's manifest and lock file.
pub fn digest(workspace: &Workspace, lab: &Lab) -> Result<String> {
    let mut hasher = DefaultHasher::new();
    let parts = [
        lab.dir.clone(),
        workspace.root.join("support"),
        workspace.root.join("Cargo.toml"),
        workspace.root.join("Cargo.lock"),
    ];
    for part in parts {
        hash_tree(&part, &mut hasher)?;
    }
    Ok(format!("{:016x}", hasher.finish()))
}

/// Hashes the file, or every file under the folder, at `path`, in name order.
fn hash_tree(path: &Path, hasher: &mut DefaultHasher) -> Result<()> {
    path.hash(hasher);
    if path.is_file() {
        fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .hash(hasher);
    } else if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            hash_tree(&entry, hasher)?;
        }
    }
    Ok(())
}

/// How many hints of `lab` were shown so far.
pub fn hints_shown(workspace: &Workspace, lab: &str) -> usize {
    fs::read_to_string(hints_file(workspace, lab))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// Remembers that `shown` hints of `lab` were shown.
pub fn set_hints_shown(workspace: &Workspace, lab: &str, shown: usize) -> Result<()> {
    write(&hints_file(workspace, lab), &shown.to_string())
}

fn outcomes_file(workspace: &Workspace) -> PathBuf {
    workspace.memory().join("outcomes.json")
}

fn hints_file(workspace: &Workspace, lab: &str) -> PathBuf {
    workspace.memory().join("hints").join(lab)
}

/// Writes `text` to `path`, making its folder first.
fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
