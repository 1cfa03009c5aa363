//! The labs of the workspace the companion runs in, as cargo describes them: every package in
//! a folder of its own at the workspace's top (`lab1-race/`, ...) with a `visible` test target.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cargo_metadata::{MetadataCommand, TargetKind};

/// The workspace: where it is, where cargo builds, and its labs in the course's order.
#[derive(Debug)]
pub struct Workspace {
    /// Its root folder.
    pub root: PathBuf,
    /// Cargo's target folder, where the companion keeps what it remembers (`labs/`).
    pub target: PathBuf,
    /// Its labs, in the order the course takes them.
    pub labs: Vec<Lab>,
}

/// One lab: a package with tests to pass.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Its package name, which is also its folder's name.
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its task, as its README's title says it (`Lab 1.2: Fix the race condition with a lock`).
    pub title: String,
    /// Its visible test targets: every test target but `stress` and `loom`.
    pub visible: Vec<String>,
    /// Whether it has stress tests (`tests/stress.rs`).
    pub stress: bool,
    /// Whether it has loom models (`tests/loom.rs`).
    pub loom: bool,
}

impl Workspace {
    /// The workspace around the current folder, from `cargo metadata`.
    pub fn discover() -> Result<Self> {
        let metadata = MetadataCommand::new()
            .no_deps()
            .exec()
            .context("cannot read the workspace with `cargo metadata`")?;
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let mut labs = Vec::new();
        for package in metadata.workspace_packages() {
            let dir = package
                .manifest_path
                .parent()
                .map(|dir| dir.as_std_path().to_path_buf())
                .unwrap_or_default();
            let at_top = dir.parent() == Some(root.as_path());
            // The test targets whose files are in the lab's `tests/`: an instructor's copy
            // also declares its hidden tests, which are not the student's to see.
            let tests: Vec<String> = package
                .targets
                .iter()
                .filter(|target| target.kind.contains(&TargetKind::Test))
                .filter(|target| target.src_path.as_std_path().starts_with(dir.join("tests")))
                .map(|target| target.name.clone())
                .collect();
            if !at_top || !package.name.starts_with("lab") || !tests.iter().any(|t| t == "visible")
            {
                continue;
            }
            let mut visible: Vec<String> = tests
                .iter()
                .filter(|target| *target != "stress" && *target != "loom")
                .cloned()
                .collect();
            visible.sort();
            labs.push(Lab {
                name: package.name.to_string(),
                title: title(&dir),
                stress: tests.iter().any(|t| t == "stress"),
                loom: tests.iter().any(|t| t == "loom"),
                visible,
                dir,
            });
        }
        if labs.is_empty() {
            bail!(
                "no lab in the workspace at {}: run `cargo labs` inside the labs' folder",
                root.display()
            );
        }
        labs.sort_by_key(|lab| course_order(&lab.title, &lab.name));
        Ok(Self {
            target: metadata.target_directory.into_std_path_buf(),
            root,
            labs,
        })
    }

    /// The lab called `name`, or a mistake naming the labs there are.
    pub fn lab(&self, name: &str) -> Result<&Lab> {
        let name = name.trim_end_matches(['/', '\\']);
        self.labs
            .iter()
            .find(|lab| lab.name == name)
            .with_context(|| {
                let names: Vec<&str> = self.labs.iter().map(|lab| lab.name.as_str()).collect();
                format!(
                    "there is no lab `{name}`; the labs are {}",
                    names.join(", ")
                )
            })
    }

    /// Where the companion keeps what it remembers between runs.
    pub fn memory(&self) -> PathBuf {
        self.target.join("labs")
    }

    /// `path` relative to the workspace root, with `/` between its parts on every system.
    pub fn shown(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }
}

/// The title of the README of the lab in `dir` (its first line, without the `# `).
fn title(dir: &Path) -> String {
    let readme = fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let first = readme.lines().next().unwrap_or_default();
    first.trim_start_matches('#').trim().to_owned()
}

/// Where the lab of README title `title` comes in the course (`Lab 1.2: ...` is (1, 2),
/// `Lab 2: ...` is (2, 0)); a lab without such a title comes last, by name.
fn course_order(title: &str, name: &str) -> (u32, u32, String) {
    let number = title
        .strip_prefix("Lab ")
        .and_then(|rest| rest.split([':', ' ']).next())
        .map(|number| {
            let mut parts = number.split('.').map(|part| part.parse::<u32>().ok());
            (parts.next().flatten(), parts.next().flatten().unwrap_or(0))
        });
    match number {
        Some((Some(major), minor)) => (major, minor, name.to_owned()),
        _ => (u32::MAX, 0, name.to_owned()),
    }
}
