//! Stage 4: build a lab's test binaries in a scratch workspace.
//!
//! Builds are offline and locked (`--offline --locked`): the dependencies come from the cache
//! filled once by [`fetch_dependencies`], and the scratch workspace's manifests and lock file
//! are the pristine ones. All builds of one profile share a target directory, so each
//! submission compiles only its own lab crate. Cargo names a workspace member's artifacts
//! after its path relative to the workspace root, so two scratch workspaces write the same
//! files: a build holds a lock on the target directory until it has copied its test
//! executables into its own scratch workspace.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use cargo_metadata::Message;
use cargo_metadata::diagnostic::DiagnosticLevel;

/// How a lab's tests are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The visible and hidden suites: a debug build on real threads.
    Threads,
    /// The loom model: `--cfg loom`, release, the `loom` target only.
    Loom,
}

impl Profile {
    /// The target directory, under `cache`, shared by every build of this profile.
    pub fn target_dir(self, cache: &Path) -> PathBuf {
        cache.join(match self {
            Profile::Threads => "target-threads",
            Profile::Loom => "target-loom",
        })
    }
}

/// The outcome of building a lab's tests.
#[derive(Debug, Clone)]
pub enum Build {
    /// The test executables, by cargo test target name.
    Built(BTreeMap<String, PathBuf>),
    /// The lab did not compile: the compiler's first error, rendered.
    CompileError(String),
}

/// Downloads every dependency of the workspace at `root` into cargo's cache, so that later
/// builds can run offline. A no-op when the cache already has them.
pub fn fetch_dependencies(root: &Path) -> Result<()> {
    let status = Command::new("cargo")
        .args(["fetch", "--locked", "--quiet"])
        .current_dir(root)
        .status()
        .context("cannot run cargo fetch")?;
    if !status.success() {
        bail!("cargo fetch failed in {}", root.display());
    }
    Ok(())
}

/// Builds the tests of package `lab` in the workspace at `root` with `profile`, using the
/// shared target directory under `cache`, and copies the test executables into `root`.
pub fn build_tests(root: &Path, lab: &str, profile: Profile, cache: &Path) -> Result<Build> {
    let target_dir = profile.target_dir(cache);
    fs::create_dir_all(&target_dir)?;
    let lock = File::create(target_dir.join("grader-build.lock"))?;
    lock.lock()
        .context("cannot lock the shared target directory")?;
    // Cargo would take another scratch workspace's artifacts of `lab` for up to date.
    let clean = cargo(root, &target_dir, profile)
        .args(["clean", "--offline", "--quiet", "-p", lab])
        .args(if profile == Profile::Loom {
            &["--release"][..]
        } else {
            &[]
        })
        .status()
        .context("cannot run cargo clean")?;
    if !clean.success() {
        bail!("cargo clean -p {lab} failed");
    }
    let build = build_locked(root, lab, profile, &target_dir)?;
    let Build::Built(executables) = build else {
        return Ok(build);
    };
    let own = root.join("test-binaries").join(format!("{profile:?}"));
    fs::create_dir_all(&own)?;
    let mut copied = BTreeMap::new();
    for (target, executable) in executables {
        let copy = own.join(&target);
        fs::copy(&executable, &copy)
            .with_context(|| format!("cannot copy {}", executable.display()))?;
        copied.insert(target, copy);
    }
    Ok(Build::Built(copied))
}

/// [`build_tests`], once the target directory is locked.
fn build_locked(root: &Path, lab: &str, profile: Profile, target_dir: &Path) -> Result<Build> {
    let mut command = cargo(root, target_dir, profile);
    command
        .args([
            "test",
            "--no-run",
            "--offline",
            "--locked",
            "--quiet",
            "-p",
            lab,
        ])
        .arg("--message-format=json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if profile == Profile::Loom {
        command.args(["--release", "--test", "loom"]);
    }
    let mut child = command.spawn().context("cannot run cargo")?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));

    let mut executables = BTreeMap::new();
    let mut first_error = None;
    for message in Message::parse_stream(stdout) {
        match message.context("cannot read cargo's output")? {
            Message::CompilerArtifact(artifact) => {
                let is_test = artifact.profile.test
                    && artifact
                        .target
                        .kind
                        .iter()
                        .any(|kind| kind.to_string() == "test");
                if let (true, Some(executable)) = (is_test, artifact.executable) {
                    executables
                        .insert(artifact.target.name.clone(), executable.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message)
                if first_error.is_none() && message.message.level == DiagnosticLevel::Error =>
            {
                first_error = message.message.rendered.clone();
            }
            _ => {}
        }
    }
    let status = child.wait().context("cannot wait for cargo")?;
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        return Ok(Build::Built(executables));
    }
    match first_error {
        Some(error) => Ok(Build::CompileError(error)),
        None => bail!("cargo failed to build {lab}'s tests:\n{stderr}"),
    }
}

/// A cargo command in `root` with `profile`'s target directory and flags, and no flags
/// inherited from the caller's environment.
fn cargo(root: &Path, target_dir: &Path, profile: Profile) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if profile == Profile::Loom {
        command.env("RUSTFLAGS", "--cfg loom");
    }
    command
}
