//! The student's companion, `cargo labs`, driven as a student drives it, in a copy of the
//! release: on the stubs as shipped, on the references, on one broken lab, and in watch mode.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, mpsc};
use std::time::Duration;

use assert_cmd::assert::OutputAssertExt;
use common::pristine;
use sha2::{Digest, Sha256};

/// The copy of the release the tests share, each in its turn, and each lab's stub as shipped.
struct SharedRelease {
    root: PathBuf,
    stubs: BTreeMap<&'static str, String>,
}

/// The shared copy, written once per run of this file: a copy of its own for each test would
/// rebuild the support crates and every lab each time, where a lab whose files did not change
/// since the last test is not built again.
fn shared_release() -> &'static SharedRelease {
    static SHARED: OnceLock<SharedRelease> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Outside the kit: cargo reads the `.cargo/config.toml` of every folder above, and
        // would join the kit's `labs` alias to the release's.
        let kit = Sha256::digest(env!("CARGO_TARGET_TMPDIR"));
        let root = std::env::temp_dir().join(&format!("companion-release-{kit:x}")[..28]);
        let _ = std::fs::remove_dir_all(&root);
        grader::package::release::write_release(&pristine(), &root).unwrap();
        let stubs = labs()
            .into_iter()
            .map(|lab| {
                let stub = std::fs::read_to_string(root.join(lab).join("src/lib.rs")).unwrap();
                (lab, stub)
            })
            .collect();
        SharedRelease { root, stubs }
    })
}

/// Every lab's name, in course order.
fn labs() -> Vec<&'static str> {
    grader::intake::catalog::LABS
        .iter()
        .map(|lab| lab.name)
        .collect()
}

/// The shared release, this test's for as long as it is kept.
struct Release {
    root: &'static Path,
    _turn: MutexGuard<'static, ()>,
}

/// The shared release with the `(lab, text)` overlays given over each lab's `src/lib.rs` and
/// every other lab as shipped, once the tests before have finished with it. The tests take
/// turns: they share the release and its target folder (two builds at once of a workspace's
/// test executables would overwrite each other's).
fn release(overlays: &[(&str, &str)]) -> Release {
    static TURNS: Mutex<()> = Mutex::new(());
    let turn = TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let shared = shared_release();
    for (lab, stub) in &shared.stubs {
        let src = shared.root.join(lab).join("src");
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name() != Some("lib.rs".as_ref()) {
                std::fs::remove_file(&path).unwrap();
            }
        }
        let wanted = overlays
            .iter()
            .find(|(name, _)| name == lab)
            .map_or(stub.as_str(), |(_, text)| text);
        let lib = src.join("lib.rs");
        // Written only when it differs: an unchanged file keeps its time, and its lab its build.
        if std::fs::read_to_string(&lib).unwrap() != wanted {
            std::fs::write(&lib, wanted).unwrap();
        }
    }
    Release {
        root: &shared.root,
        _turn: turn,
    }
}

/// The build cache the release tests share.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target")
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
    let release = release(&[]);
    let table = cargo_labs(release.root, &[]).output().unwrap();
    assert_eq!(table.status.code(), Some(1), "{table:?}");
    insta::assert_snapshot!("stubs-table", stable(&stdout(&table)));

    let check = cargo_labs(release.root, &["check", "lab1-lock"])
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

    let mistake = cargo_labs(release.root, &["check", "lab9"])
        .output()
        .unwrap();
    assert_eq!(mistake.status.code(), Some(2));
    let said = String::from_utf8_lossy(&mistake.stderr);
    assert!(said.contains("there is no lab `lab9`"), "{said}");
}

#[test]
fn on_the_references_every_tier_of_every_lab_passes() {
    let labs = labs();
    let references: Vec<String> = labs.iter().map(|lab| reference(lab)).collect();
    let overlays: Vec<(&str, &str)> = labs
        .iter()
        .copied()
        .zip(references.iter().map(String::as_str))
        .collect();
    let release = release(&overlays);
    for lab in &labs {
        let check = cargo_labs(release.root, &["check", lab]).output().unwrap();
        let text = stdout(&check);
        assert!(check.status.success(), "{lab}: {text}");
        assert!(text.contains("every tier passes"), "{lab}: {text}");
    }
    let table = cargo_labs(release.root, &[]).output().unwrap();
    assert!(table.status.success(), "{table:?}");
    insta::assert_snapshot!("references-table", stable(&stdout(&table)));
}

#[test]
fn a_relaxed_spin_lock_is_shown_its_loom_timeline_at_its_own_lines() {
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
    let release = release(&[("lab1-lock", &broken)]);
    let check = cargo_labs(release.root, &["check", "lab1-lock"])
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
    let release = release(&[]);
    let _ = std::fs::remove_dir_all(target_dir().join("labs/hints"));
    let mut titles = Vec::new();
    for _ in 0..6 {
        let hint = cargo_labs(release.root, &["hint", "lab1-lock"])
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
    let release = release(&[]);
    cargo_labs(release.root, &["--help"]).assert().success();
    // The companion itself, not cargo: so that stopping it stops the watch.
    let binary = target_dir()
        .join("debug")
        .join(format!("labs{}", std::env::consts::EXE_SUFFIX));
    let mut watch = Stopped(
        Command::new(&binary)
            .args(["watch", "lab1-race"])
            .current_dir(release.root)
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
    std::fs::write(release.root.join("lab1-race/src/notes.rs"), "// saved\n").unwrap();
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
