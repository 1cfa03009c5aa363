//! Stage 2, compile: build the test binaries of a submission's labs.
//!
//! Builds are offline and locked (`--offline --locked`): the dependencies come from the cache
//! filled once by [`fetch_dependencies`], and the scratch workspace's manifests and lock file
//! are the pristine ones. Every lab of a submission is built by one cargo invocation per
//! profile, which keeps going past a lab that does not compile (`--keep-going`), so one
//! broken lab never costs another its build. Submissions are built one at a time in one
//! [`BuildWorkspace`] at a fixed path, against one target directory per profile, so each
//! compiles only its own lab crates and rustc's incremental cache carries over. Cargo decides
//! by modification times whether a lab is up to date: the workspace is written anew while the
//! lock is held, so its files are newer than anything built before, and cargo never takes
//! another submission's artifacts for this one's. Test executables are copied out before the
//! lock is released.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::error::{Context, IoContext, Result, bail};
use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Message, Target};

use crate::confinement::{Watchdog, confine};

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

/// The limits a build runs under: cargo, and every compiler it starts.
#[derive(Debug, Clone, Copy)]
pub struct BuildLimits {
    /// Wall-clock time before the build is stopped: enough for a cold dependency build.
    pub timeout: Duration,
    /// Address space each process of the build may map, in bytes.
    pub memory_bytes: u64,
}

impl Default for BuildLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            memory_bytes: 12 << 30,
        }
    }
}

/// The outcome of building one lab's tests.
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
        .running("run cargo fetch")?;
    if !status.success() {
        bail!("cargo fetch failed in {}", root.display());
    }
    Ok(())
}

/// The one workspace in the build cache in which submissions are built, held by one build
/// at a time (a file lock, so across grader processes too) until dropped.
#[derive(Debug)]
pub struct BuildWorkspace {
    root: PathBuf,
    _lock: File,
}

impl BuildWorkspace {
    /// Waits until no other build holds the workspace of `cache`, then holds it.
    pub fn lock(cache: &Path) -> Result<Self> {
        fs::create_dir_all(cache).on("create", cache)?;
        let path = cache.join("grader-build.lock");
        let lock = File::create(&path).on("create", &path)?;
        lock.lock().context("cannot lock the build workspace")?;
        Ok(Self {
            root: cache.join("workspace"),
            _lock: lock,
        })
    }

    /// The workspace root: always the same path, so that incremental builds carry over.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// What one build makes: which labs, which of their test targets, how, and within what
/// limits.
#[derive(Debug, Clone, Copy)]
pub struct BuildPlan<'a> {
    /// The labs: each a directory and package name of the workspace.
    pub labs: &'a [&'a str],
    /// The test targets (`visible`, `hidden`, `loom`) built for each lab that has them.
    pub targets: &'a [&'a str],
    /// Threads or loom.
    pub profile: Profile,
    /// How long and how much memory the build may take.
    pub limits: BuildLimits,
}

/// Builds `plan` in the held `workspace`, in one cargo invocation, using the shared target
/// directory under `cache`, and copies the test executables into `out`, where they stay
/// valid after the workspace is released. Returns one [`Build`] per lab; fails only when
/// cargo itself fails without a compiler error to show.
pub fn build_tests(
    workspace: &BuildWorkspace,
    plan: BuildPlan<'_>,
    cache: &Path,
    out: &Path,
) -> Result<BTreeMap<String, Build>> {
    if plan.labs.is_empty() {
        return Ok(BTreeMap::new());
    }
    let target_dir = plan.profile.target_dir(cache);
    fs::create_dir_all(&target_dir).on("create", &target_dir)?;
    let builds = build_locked(workspace.root(), plan, &target_dir)?;
    let own = out.join(format!("{:?}", plan.profile));
    let mut copied = BTreeMap::new();
    for (lab, build) in builds {
        let Build::Built(executables) = build else {
            copied.insert(lab, build);
            continue;
        };
        let folder = own.join(&lab);
        fs::create_dir_all(&folder).on("create", &folder)?;
        let mut copies = BTreeMap::new();
        for (target, executable) in executables {
            let copy = folder.join(&target);
            fs::copy(&executable, &copy).on("copy", &executable)?;
            copies.insert(target, copy);
        }
        copied.insert(lab, Build::Built(copies));
    }
    Ok(copied)
}

/// `-p <lab>` for every lab.
fn packages<'a>(labs: &'a [&'a str]) -> impl Iterator<Item = &'a str> {
    labs.iter().flat_map(|lab| ["-p", lab])
}

/// [`build_tests`] in the workspace at `root`: the executables or first error of
/// each lab, as read from cargo's JSON messages.
fn build_locked(
    root: &Path,
    plan: BuildPlan<'_>,
    target_dir: &Path,
) -> Result<BTreeMap<String, Build>> {
    let mut command = build_command(root, &plan, target_dir);
    let mut child = command.spawn().running("run cargo")?;
    let watchdog = Watchdog::start(&child, plan.limits.timeout);
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr = thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let root = root.canonicalize().on("resolve", root)?;
    let said = read_messages(stdout, &root, plan.labs)?;
    let status = child.wait().running("wait for cargo")?;
    let stderr = if watchdog.finish() {
        format!(
            "the build took longer than {} s and was stopped: look for code that keeps the \
             compiler busy without end (a huge constant, a deep recursion in const or macro \
             code)",
            plan.limits.timeout.as_secs()
        )
    } else {
        stderr.join().unwrap_or_default()
    };
    builds_of(plan.labs, said, status.success(), &stderr)
}

/// The `cargo build` of `plan` in `root`, its JSON messages on stdout, confined.
fn build_command(root: &Path, plan: &BuildPlan<'_>, target_dir: &Path) -> Command {
    let mut command = cargo(root, target_dir, plan.profile);
    command
        .args(["build", "--keep-going", "--offline", "--locked", "--quiet"])
        .args(packages(plan.labs))
        .args(plan.targets.iter().flat_map(|target| ["--test", target]))
        // Without the labs' `demo` feature: cargo would otherwise build each lab's demo binary
        // beside its tests, which never run it.
        .arg("--no-default-features")
        .arg("--message-format=json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let profile = match plan.profile {
        Profile::Threads => "dev",
        Profile::Loom => "release",
    };
    if plan.profile == Profile::Loom {
        // Incremental in release too: a submission's lab crates differ from the last one's
        // in the student's files only, and rebuild in a fraction of the time.
        command.args(["--release", "--config", "profile.release.incremental=true"]);
    }
    for lab in plan.labs {
        // The lab crates, compiled again for every submission, in 4 codegen units rather
        // than incremental's 256: small crates, and less to set up, write and link for each.
        // A new submission's debug build takes about a tenth less time.
        command.args([
            "--config",
            &format!("profile.{profile}.package.{lab}.codegen-units=4"),
        ]);
        if plan.profile == Profile::Loom {
            // The student's code and the models not optimised: loom's engine and the facade,
            // where a model spends its time, stay fully optimised. A new submission's loom
            // build takes a third of the time it takes at `opt-level = 1`, and the models run
            // about as fast.
            command.args([
                "--config",
                &format!("profile.release.package.{lab}.opt-level=0"),
            ]);
        }
    }
    confine(&mut command, plan.limits.memory_bytes);
    command
}

/// What cargo's JSON messages said of each lab.
#[derive(Debug, Default)]
struct CargoSaid {
    /// Each lab's test executables, by target name.
    executables: BTreeMap<String, BTreeMap<String, PathBuf>>,
    /// Each lab's first compiler error, rendered.
    first_errors: BTreeMap<String, String>,
}

/// Reads cargo's JSON `messages` of a build in `root` (canonical) of `labs`.
fn read_messages(messages: impl std::io::BufRead, root: &Path, labs: &[&str]) -> Result<CargoSaid> {
    let lab_of = |target: &Target| -> Option<String> {
        let relative = target.src_path.as_std_path().strip_prefix(root).ok()?;
        let lab = relative.components().next()?.as_os_str().to_str()?;
        labs.contains(&lab).then(|| lab.to_owned())
    };
    let mut said = CargoSaid::default();
    for message in Message::parse_stream(messages) {
        match message.context("cannot read cargo's output")? {
            Message::CompilerArtifact(artifact) => {
                let is_test = artifact.profile.test
                    && artifact
                        .target
                        .kind
                        .iter()
                        .any(|kind| kind.to_string() == "test");
                if let (true, Some(executable), Some(lab)) =
                    (is_test, artifact.executable, lab_of(&artifact.target))
                {
                    said.executables
                        .entry(lab)
                        .or_default()
                        .insert(artifact.target.name.clone(), executable.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message)
                if message.message.level == DiagnosticLevel::Error =>
            {
                if let (Some(lab), Some(rendered)) =
                    (lab_of(&message.target), message.message.rendered)
                {
                    said.first_errors.entry(lab).or_insert(rendered);
                }
            }
            _ => {}
        }
    }
    Ok(said)
}

/// Each lab's build from what cargo `said`, whether it `succeeded`, and its `stderr`; an error
/// when cargo failed and no lab's compile error explains why (the grader's fault).
fn builds_of(
    labs: &[&str],
    mut said: CargoSaid,
    succeeded: bool,
    stderr: &str,
) -> Result<BTreeMap<String, Build>> {
    let builds: BTreeMap<String, Build> = labs
        .iter()
        .map(|lab| {
            let build = match (
                said.first_errors.remove(*lab),
                said.executables.remove(*lab),
            ) {
                (Some(error), _) => Build::CompileError(error),
                (None, Some(built)) => Build::Built(built),
                // Cargo gave up on the lab before the compiler said why (a missing file, a
                // failed link): what cargo said is the reason.
                (None, None) if !succeeded => Build::CompileError(stderr.to_owned()),
                (None, None) => Build::Built(BTreeMap::new()),
            };
            ((*lab).to_owned(), build)
        })
        .collect();
    let explained = builds
        .values()
        .any(|build| matches!(build, Build::CompileError(_)));
    if !succeeded && !explained {
        bail!(
            "cargo failed to build the tests of {}:\n{stderr}",
            labs.join(", ")
        );
    }
    Ok(builds)
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
    } else {
        // No debug info, and none of the dependencies' linked in: tests run without
        // backtraces (`RUST_BACKTRACE=0`), and a panic's place comes from the code itself.
        // A submission's build then writes and links a fifth as much (2 MB test executables
        // instead of 10 MB), and rebuilds after a stub in a fifth less time.
        command
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .env("CARGO_PROFILE_DEV_STRIP", "debuginfo");
    }
    command
}
