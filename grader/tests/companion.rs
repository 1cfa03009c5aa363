//! The student's companion, `cargo labs`, driven as a student drives it, in a copy of the
//! release: on the stubs as shipped, on the references, on one broken lab, and in watch mode.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

use assert_cmd::assert::OutputAssertExt;
use common::pristine;

/// Makes the tests take turns: every copy of the release builds into the one target folder
/// (cargo names a workspace's artifacts by their path inside it, so two copies built at once
/// would overwrite each other's test executables).
fn turn() -> MutexGuard<'static, ()> {
    static TURNS: Mutex<()> = Mutex::new(());
    TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The build cache the release tests share.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target")
}

/// A fresh copy of the release, in a folder of its own, with the `(lab, file)` overlays given
/// (each a file of `solutions/<lab>/src/` or text, over the lab's `src/lib.rs`).
fn release(overlays: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    grader::package::release::write_release(&pristine(), &dir.path().join("release")).unwrap();
    for (lab, text) in overlays {
        std::fs::write(root(&dir).join(lab).join("src/lib.rs"), text).unwrap();
    }
    dir
}

fn root(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("release")
}

fn reference(lab: &str) -> String {
    std::fs::read_to_string(pristine().join("solutions").join(lab).join("src/lib.rs")).unwrap()
}

/// `cargo labs <args>` in the release at `root`, as a student types it.
fn cargo_labs(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .arg("labs")
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS");
    command
}

/// Its standard output, as text.
fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `text` with the parts that differ from machine to machine taken out (none so far: every
/// path the companion prints is relative to the workspace).
fn stable(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn on_the_stubs_every_lab_is_not_started_and_check_stops_at_the_first_todo() {
    let _turn = turn();
    let dir = release(&[]);
    let table = cargo_labs(&root(&dir), &[]).output().unwrap();
    assert_eq!(table.status.code(), Some(1), "{table:?}");
    insta::assert_snapshot!("stubs-table", stable(&stdout(&table)));

    let check = cargo_labs(&root(&dir), &["check", "lab1-lock"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{check:?}");
    let text = stdout(&check);
    assert!(
        text.contains("not yet implemented: SpinLock::lock"),
        "check names the function to fill in: {text}"
    );
    assert!(
        !text.contains("stress tests:"),
        "check stops at the first tier: {text}"
    );

    let mistake = cargo_labs(&root(&dir), &["check", "lab9"])
        .output()
        .unwrap();
    assert_eq!(mistake.status.code(), Some(2));
    let said = String::from_utf8_lossy(&mistake.stderr);
    assert!(said.contains("there is no lab `lab9`"), "{said}");
}

#[test]
fn on_the_references_every_tier_of_every_lab_passes() {
    let _turn = turn();
    let labs: Vec<&str> = grader::intake::catalog::LABS
        .iter()
        .map(|lab| lab.name)
        .collect();
    let references: Vec<String> = labs.iter().map(|lab| reference(lab)).collect();
    let overlays: Vec<(&str, &str)> = labs
        .iter()
        .copied()
        .zip(references.iter().map(String::as_str))
        .collect();
    let dir = release(&overlays);
    for lab in &labs {
        let check = cargo_labs(&root(&dir), &["check", lab]).output().unwrap();
        let text = stdout(&check);
        assert!(check.status.success(), "{lab}: {text}");
        assert!(text.contains("every tier passes"), "{lab}: {text}");
    }
    let table = cargo_labs(&root(&dir), &[]).output().unwrap();
    assert!(table.status.success(), "{table:?}");
    insta::assert_snapshot!("references-table", stable(&stdout(&table)));
}

#[test]
fn a_relaxed_spin_lock_is_shown_its_loom_timeline_at_its_own_lines() {
    let _turn = turn();
    // The corpus's `spin-lock-with-relaxed-orderings`.
    let fixed = reference("lab1-lock");
    let broken = fixed
        .replace(
            "compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)",
            "compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)",
        )
        .replace(
            "self.lock.locked.store(false, Ordering::Release);",
            "self.lock.locked.store(false, Ordering::Relaxed);",
        );
    assert_ne!(
        broken, fixed,
        "the reference no longer has the orderings this test relaxes"
    );
    let dir = release(&[("lab1-lock", &broken)]);
    let check = cargo_labs(&root(&dir), &["check", "lab1-lock"])
        .output()
        .unwrap();
    let text = stdout(&check);
    assert_eq!(check.status.code(), Some(1), "{text}");
    assert!(text.contains("visible tests: 5 of 5 passed"), "{text}");
    assert!(text.contains("loom models:"), "{text}");
    assert!(
        text.contains("src/lib.rs:124: compare_exchange"),
        "the timeline names the student's lines: {text}"
    );
    assert!(
        text.contains("replay: cargo loom -p lab1-lock"),
        "the timeline is shown whole: {text}"
    );
}

#[test]
fn hints_come_one_more_each_time() {
    let _turn = turn();
    let dir = release(&[]);
    let _ = std::fs::remove_dir_all(target_dir().join("labs/hints"));
    let mut titles = Vec::new();
    for _ in 0..6 {
        let hint = cargo_labs(&root(&dir), &["hint", "lab1-lock"])
            .output()
            .unwrap();
        assert!(hint.status.success(), "{hint:?}");
        titles.push(stdout(&hint).lines().next().unwrap_or_default().to_owned());
    }
    assert_eq!(
        titles[..4],
        [
            "Hint 1: one guard, one critical section",
            "Hint 2: taking the flag in one step",
            "Hint 3: orderings, and spinning under loom",
            "Hint 4: nearly there"
        ]
    );
    assert_eq!(titles[4], titles[3], "after the last, the last again");
}

#[test]
fn watch_checks_again_when_a_file_is_saved() {
    let _turn = turn();
    let dir = release(&[]);
    cargo_labs(&root(&dir), &["--help"]).assert().success();
    // The companion itself, not cargo: so that stopping it stops the watch.
    let binary = target_dir()
        .join("debug")
        .join(format!("labs{}", std::env::consts::EXE_SUFFIX));
    let mut watch = Stopped(
        Command::new(&binary)
            .args(["watch", "lab1-race"])
            .current_dir(root(&dir))
            .env("CARGO_TARGET_DIR", target_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (line, lines) = mpsc::channel();
    let stdout = watch.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.send(text).is_err() {
                return;
            }
        }
    });
    // A bound on a wait for the companion's own lines, not a pause: each comes as it runs.
    let patience = Duration::from_secs(120);
    let next_line_with = |wanted: &str| -> String {
        let mut seen = Vec::new();
        loop {
            match lines.recv_timeout(patience) {
                Ok(text) if text.contains(wanted) => return text,
                Ok(text) => seen.push(text),
                Err(_) => panic!(
                    "no line with {wanted:?} came; it said:\n{}",
                    seen.join("\n")
                ),
            }
        }
    };
    next_line_with("watching lab1-race/src");
    // A file no check reads: a second check for any other reason names another file (cargo
    // opens lib.rs on every check, and a watch that took reads for saves would check forever).
    std::fs::write(root(&dir).join("lab1-race/src/notes.rs"), "// saved\n").unwrap();
    let second = next_line_with("check 2");
    assert!(
        second.ends_with("check 2 (lab1-race/src/notes.rs changed)"),
        "the second check is for the save: {second}"
    );
}

/// A child process stopped when the test ends, passed or not.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
