//! One tier of a lab's tests, built and run: the visible tests, the stress tests, or the loom
//! models, each an outcome of a known kind. Builds are cargo's own (`cargo test --no-run`,
//! with the same flags as `cargo loom` for the models, so nothing is built twice); each test
//! executable runs as cargo would run it, in the lab's folder, within a time limit.

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use cargo_metadata::Message;
use cargo_metadata::diagnostic::DiagnosticLevel;
use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

use crate::libtest;
use crate::progress::Progress;
use crate::workspace::{Lab, Workspace};

/// A tier of tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    /// The visible tests (`cargo test -p <lab>`, but the stress tests).
    Visible,
    /// The stress tests (`cargo test -p <lab> --test stress`): advice, many runs on real
    /// threads.
    Stress,
    /// The loom models (`cargo loom -p <lab>`): every interleaving.
    Loom,
}

impl Tier {
    /// Every tier, in the order a lab is checked.
    pub const ALL: [Tier; 3] = [Tier::Visible, Tier::Stress, Tier::Loom];

    /// Its name, as the table and `check` say it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Visible => "visible tests",
            Tier::Stress => "stress tests",
            Tier::Loom => "loom models",
        }
    }

    /// The command a student types to run it alone.
    pub fn command(self, lab: &str) -> String {
        match self {
            Tier::Visible => format!("cargo test -p {lab}"),
            Tier::Stress => format!("cargo test -p {lab} --test stress"),
            Tier::Loom => format!("cargo loom -p {lab}"),
        }
    }

    /// Whether `lab` has tests of this tier, and which targets they are.
    pub fn targets(self, lab: &Lab) -> Vec<String> {
        match self {
            Tier::Visible => lab.visible.clone(),
            Tier::Stress if lab.stress => vec!["stress".to_owned()],
            Tier::Loom if lab.loom => vec!["loom".to_owned()],
            Tier::Stress | Tier::Loom => Vec::new(),
        }
    }

    /// How long one of its test executables may run before it is stopped.
    fn time_limit(self) -> Duration {
        match self {
            Tier::Visible | Tier::Stress => Duration::from_secs(60),
            Tier::Loom => Duration::from_secs(600),
        }
    }
}

/// One test that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// The test's name.
    pub name: String,
    /// What it printed: its panic message and where, a loom timeline, a deadlock report.
    pub output: String,
}

/// What one tier of a lab came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierOutcome {
    /// The lab has no tests of this tier.
    NoTests,
    /// The lab's code or its tests do not compile: the compiler's first error.
    DoesNotCompile {
        /// The first error, as rustc renders it.
        error: String,
    },
    /// The tests ran.
    Ran {
        /// How many tests there are.
        total: usize,
        /// The ones that did not pass, by name.
        failed: Vec<Failed>,
    },
}

impl TierOutcome {
    /// Whether every test of the tier passed (or it has none).
    pub fn passed(&self) -> bool {
        match self {
            TierOutcome::NoTests => true,
            TierOutcome::DoesNotCompile { .. } => false,
            TierOutcome::Ran { failed, .. } => failed.is_empty(),
        }
    }

    /// Whether it failed on the stubs' `todo!()` alone: the lab is not started.
    pub fn not_started(&self) -> bool {
        match self {
            TierOutcome::Ran { total, failed } => {
                *total > 0
                    && failed.len() == *total
                    && failed
                        .iter()
                        .all(|test| test.output.contains("not yet implemented"))
            }
            _ => false,
        }
    }
}

/// Builds and runs `tier` of `lab`, telling `progress` what it does.
pub fn run(
    workspace: &Workspace,
    lab: &Lab,
    tier: Tier,
    progress: &Progress,
) -> Result<TierOutcome> {
    let targets = tier.targets(lab);
    if targets.is_empty() {
        return Ok(TierOutcome::NoTests);
    }
    progress.say(&format!("building the {} of {}", tier.name(), lab.name));
    let executables = match build(workspace, lab, tier, &targets)? {
        Ok(executables) => executables,
        Err(error) => return Ok(TierOutcome::DoesNotCompile { error }),
    };
    progress.say(&format!("running the {} of {}", tier.name(), lab.name));
    let (mut total, mut failed) = (0, Vec::new());
    for executable in executables {
        let (ran, failures) = run_executable(lab, tier, &executable)?;
        total += ran;
        failed.extend(failures);
    }
    // By name: the order they finished in is the run's.
    failed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TierOutcome::Ran { total, failed })
}

/// `cargo test --no-run` of `targets` of `lab` for `tier`: the test executables, or the
/// compiler's first error.
fn build(
    workspace: &Workspace,
    lab: &Lab,
    tier: Tier,
    targets: &[String],
) -> Result<Result<Vec<PathBuf>, String>> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(&workspace.root).arg("test");
    if tier == Tier::Loom {
        // The same flags as the workspace's `cargo loom` alias: the same build.
        command.args(["--release", "--config", "build.rustflags=['--cfg', 'loom']"]);
    }
    command
        .args([
            "--package",
            &lab.name,
            "--no-run",
            "--message-format",
            "json",
        ])
        .args(
            targets
                .iter()
                .flat_map(|target| ["--test", target.as_str()]),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().context("cannot run cargo")?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr = thread::spawn(move || read_all(stderr));
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (mut executables, mut first_error) = (Vec::new(), None);
    for message in Message::parse_stream(stdout) {
        match message.context("cannot read cargo's output")? {
            Message::CompilerArtifact(artifact) if artifact.profile.test => {
                if let Some(executable) = artifact.executable {
                    executables.push(executable.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message)
                if message.message.level == DiagnosticLevel::Error && first_error.is_none() =>
            {
                first_error = message.message.rendered.clone();
            }
            _ => {}
        }
    }
    let status = child.wait().context("cannot wait for cargo")?;
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        return Ok(Ok(executables));
    }
    Ok(Err(first_error.unwrap_or_else(|| {
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    })))
}

/// Runs one test executable of `lab` as cargo would (in the lab's folder), within the tier's
/// time limit: how many tests it ran, and the ones that did not pass.
fn run_executable(lab: &Lab, tier: Tier, executable: &PathBuf) -> Result<(usize, Vec<Failed>)> {
    let mut child = Command::new(executable)
        .current_dir(&lab.dir)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", executable.display()))?;
    let (stdout, stderr) = readers(&mut child);
    let limit = tier.time_limit();
    let status = match child.wait_timeout(limit)? {
        Some(status) => Some(status),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };
    let output = format!(
        "{}{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    let reported = libtest::results(&output);
    let sections = libtest::failure_sections(&output);
    let mut failed: Vec<Failed> = reported
        .iter()
        .filter(|test| !test.passed)
        .map(|test| Failed {
            name: test.name.clone(),
            output: sections.get(&test.name).cloned().unwrap_or_default(),
        })
        .collect();
    let ended_well = status.is_some_and(|status| status.success() || status.code() == Some(101));
    if !ended_well {
        // It hung or crashed before it reported every test: the ones it was running.
        let how = match status {
            None => format!(
                "stopped after {} s: look for an endless loop, or a wait nothing ends",
                limit.as_secs()
            ),
            Some(status) => format!("the test process ended abnormally ({status})"),
        };
        let tail: Vec<&str> = output.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        failed.push(Failed {
            name: format!("{} (every test not reported)", executable_name(executable)),
            output: format!("{how}\n{}", tail.join("\n")),
        });
    }
    let total = reported.len().max(failed.len());
    Ok((total, failed))
}

/// The test target an executable was built for (`visible` of `visible-0123abcd`).
fn executable_name(executable: &std::path::Path) -> String {
    let stem = executable
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, _hash)) => name.to_owned(),
        None => stem,
    }
}

/// Threads reading the child's output streams whole, so that neither fills up.
fn readers(child: &mut Child) -> (thread::JoinHandle<String>, thread::JoinHandle<String>) {
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    (
        thread::spawn(move || read_all(stdout)),
        thread::spawn(move || read_all(stderr)),
    )
}

/// All of `stream`, as text.
fn read_all(mut stream: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
