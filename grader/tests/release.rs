//! The student release builds on its own, holds nothing only the grader may see, and fails
//! every test as shipped.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use walkdir::WalkDir;

use common::pristine;

/// Cargo run in the release at `root`, with a build cache kept between test runs.
fn cargo(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

/// Both output streams, for assertion messages.
fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_release_builds_alone_and_fails_as_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    let files = grader::package::release::write_release(&pristine(), &root).unwrap();

    for file in &files {
        let path = file.to_string_lossy();
        assert!(
            !path.starts_with("solutions") && !path.starts_with("grader"),
            "{path} must not be released"
        );
        assert!(!path.contains("/hidden/"), "{path}: hidden tests released");
    }
    for entry in WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.file_name() == "Cargo.toml" {
            let manifest = std::fs::read_to_string(entry.path()).unwrap();
            assert!(
                !manifest.contains("hidden") && !manifest.contains("solutions"),
                "{}: {manifest}",
                entry.path().display()
            );
        }
    }
    for expected in [
        "Cargo.lock",
        "README.md",
        ".github/workflows/classroom.yml",
        "lab1-lock/src/lib.rs",
        "lab1-lock/tests/visible.rs",
        "lab1-lock/README.md",
        "lab2-async/src/main.rs",
    ] {
        assert!(root.join(expected).is_file(), "{expected} missing");
    }

    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let shared = manifest["workspace"]["dependencies"].as_table().unwrap();
    let grader_manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(pristine().join("grader/Cargo.toml")).unwrap())
            .unwrap();
    let lab_manifests: String = grader::intake::catalog::LABS
        .iter()
        .map(|lab| lab.name)
        .chain(grader::intake::catalog::KIT_CRATES.iter().copied())
        .map(|name| std::fs::read_to_string(root.join(name).join("Cargo.toml")).unwrap())
        .collect();
    for kind in ["dependencies", "dev-dependencies"] {
        for name in grader_manifest[kind].as_table().unwrap().keys() {
            assert!(
                !shared.contains_key(name) || lab_manifests.contains(name.as_str()),
                "the release's Cargo.toml names the grader's dependency {name}"
            );
        }
    }
    let toolchain = std::fs::read_to_string(root.join("rust-toolchain.toml")).unwrap();
    assert!(toolchain.contains("channel = \"1."), "{toolchain}");
    // The pinned toolchain is never older than the rust-version the manifests declare.
    let pinned = toolchain
        .split("channel = \"1.")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .and_then(|minor| minor.parse::<u64>().ok())
        .expect("a 1.N channel");
    let declared = manifest["workspace"]["package"]["rust-version"]
        .as_str()
        .and_then(|version| version.split('.').nth(1))
        .and_then(|minor| minor.parse::<u64>().ok())
        .expect("the release's rust-version");
    assert!(
        pinned >= declared,
        "rust-toolchain.toml pins 1.{pinned}, older than rust-version 1.{declared}"
    );

    let build = cargo(&root, &["build", "--offline", "--locked", "--workspace"]);
    assert!(build.status.success(), "cargo build: {}", text(&build));

    let test = cargo(&root, &["test", "--offline", "--locked", "-p", "lab1-lock"]);
    let output = text(&test);
    assert!(!test.status.success(), "the stubs passed: {output}");
    assert!(output.contains("not yet implemented"), "{output}");
    assert!(
        !output.contains(" ... ok"),
        "a test passed on the stub: {output}"
    );

    let run = cargo(&root, &["run", "--offline", "--locked", "-p", "lab1-race"]);
    let output = text(&run);
    assert!(
        output.contains("--- Observing a Race Condition ---"),
        "the demo did not start: {output}"
    );
    assert!(
        output.contains("not yet implemented"),
        "the demo should stop at the first todo!(): {output}"
    );
}

/// The cargo commands a README quotes: each line of its `sh` blocks and each inline code span
/// that starts with `cargo` or an environment assignment before it, comments cut off.
fn quoted_commands(readme: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if in_sh {
            commands.push(line.split(" #").next().unwrap_or("").trim().to_owned());
        } else {
            commands.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    commands.retain(|command| {
        let words = shell_words(command);
        words
            .iter()
            .position(|word| word == "cargo")
            .is_some_and(|at| words[..at].iter().all(|word| word.contains('=')))
    });
    commands
}

/// `command` split into words as a shell would: at spaces outside double quotes, which are
/// removed.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `command` (environment assignments, then `cargo ...`) made to build what it would run,
/// offline, without running it: `run` becomes `build`, `test` gets `--no-run`, and what is
/// passed to the program after `--` is dropped. A `--release` is dropped too, except in a
/// loom command (whose release build the timeline test shares): the code is the same, and an
/// optimised build of every dependency of the demo costs a minute of CI. Returns the
/// environment and cargo's arguments.
fn check_only(command: &str) -> (Vec<(String, String)>, Vec<String>) {
    let words = shell_words(command);
    let at = words
        .iter()
        .position(|word| word == "cargo")
        .expect("cargo");
    let env = words[..at]
        .iter()
        .map(|word| {
            let (name, value) = word.split_once('=').expect("an assignment");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let mut args: Vec<String> = words[at + 1..]
        .iter()
        .take_while(|word| *word != "--")
        .map(|word| {
            if word == "run" {
                "build".to_owned()
            } else {
                word.clone()
            }
        })
        .collect();
    if args.first().is_some_and(|subcommand| subcommand == "test") {
        args.push("--no-run".to_owned());
    }
    let loom = words[..at].iter().any(|word| word.contains("--cfg loom"));
    if !loom {
        args.retain(|word| word != "--release");
    }
    args.insert(1, "--offline".to_owned());
    (env, args)
}

#[test]
fn every_command_a_lab_readme_quotes_works_in_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    grader::package::release::write_release(&pristine(), &root).unwrap();
    let mut checked = 0;
    for lab in grader::intake::catalog::LABS {
        let readme = std::fs::read_to_string(root.join(lab.name).join("README.md")).unwrap();
        let commands = quoted_commands(&readme);
        assert!(
            !commands.is_empty(),
            "{}'s README quotes no command",
            lab.name
        );
        for command in commands {
            let (env, args) = check_only(&command);
            let mut cargo = Command::new(env!("CARGO"));
            cargo
                .args(&args)
                .current_dir(&root)
                .env(
                    "CARGO_TARGET_DIR",
                    Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target"),
                )
                .env_remove("RUSTFLAGS")
                .envs(env);
            let output = cargo.output().expect("cargo runs");
            assert!(
                output.status.success(),
                "{}'s README quotes `{command}`, which does not work in the release (checked \
                 as `cargo {}`): {}",
                lab.name,
                args.join(" "),
                text(&output)
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} commands were checked");
}

#[test]
fn a_quoted_command_is_checked_not_run() {
    let readme = "Run `cargo run -p lab1-race` or:\n\n```sh\nRUSTFLAGS=\"--cfg loom\" cargo test --release -p lab1-lock --test loom   # the models\ncargo run -p lab2-async -- compare\n```\nNot `git status`.\n";
    let commands = quoted_commands(readme);
    assert_eq!(
        commands,
        [
            "cargo run -p lab1-race",
            "RUSTFLAGS=\"--cfg loom\" cargo test --release -p lab1-lock --test loom",
            "cargo run -p lab2-async -- compare",
        ]
    );
    let (env, args) = check_only(&commands[1]);
    assert_eq!(env, [("RUSTFLAGS".to_owned(), "--cfg loom".to_owned())]);
    assert_eq!(
        args.join(" "),
        "test --offline --release -p lab1-lock --test loom --no-run"
    );
    assert_eq!(
        check_only(&commands[2]).1.join(" "),
        "build --offline -p lab2-async"
    );
}

/// The `src/lib.rs` of the corpus fixture `id`'s lab `lab`: the reference with its edits.
fn corpus_lib(id: &str, lab: &str) -> String {
    let corpus: toml::Table = toml::from_str(
        &std::fs::read_to_string(pristine().join("grader/tests/corpus/corpus.toml")).unwrap(),
    )
    .unwrap();
    let fixture = corpus["fixture"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fixture| fixture["id"].as_str() == Some(id))
        .unwrap();
    let case = fixture["labs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"].as_str() == Some(lab))
        .unwrap();
    assert_eq!(case["base"].as_str(), Some("reference"));
    let mut lib =
        std::fs::read_to_string(pristine().join("solutions").join(lab).join("src/lib.rs")).unwrap();
    for edit in case["edit"].as_array().unwrap() {
        let (replace, with) = (
            edit["replace"].as_str().unwrap(),
            edit["with"].as_str().unwrap(),
        );
        assert_eq!(lib.matches(replace).count(), 1, "{replace}");
        lib = lib.replace(replace, with);
    }
    lib
}

#[test]
fn a_failed_loom_model_prints_in_the_release_the_timeline_the_grader_reports() {
    let id = "lock-swap-spin-lock-relaxed-release";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    grader::package::release::write_release(&pristine(), &root).unwrap();
    std::fs::write(
        root.join("lab1-lock/src/lib.rs"),
        corpus_lib(id, "lab1-lock"),
    )
    .unwrap();
    let output = Command::new(env!("CARGO"))
        .args([
            "test",
            "--offline",
            "--release",
            "-p",
            "lab1-lock",
            "--test",
            "loom",
        ])
        .arg("spin_lock_is_exclusive_in_every_interleaving")
        .current_dir(&root)
        .env(
            "CARGO_TARGET_DIR",
            // Shared with the README commands' check, which builds the same loom tests.
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target"),
        )
        .env("RUSTFLAGS", "--cfg loom")
        .output()
        .expect("cargo runs");
    assert!(
        !output.status.success(),
        "the model should fail: {}",
        text(&output)
    );
    let printed = grader::execute::interleaving::timeline(&text(&output))
        .unwrap_or_else(|| panic!("no timeline printed: {}", text(&output)));
    let snapshot = std::fs::read_to_string(
        pristine().join(format!("grader/tests/snapshots/corpus__timeline-{id}.snap")),
    )
    .unwrap();
    let reported = snapshot.splitn(3, "---\n").nth(2).unwrap().trim_end();
    assert_eq!(
        printed, reported,
        "the release printed another timeline than the grader reports for {id}"
    );
}
