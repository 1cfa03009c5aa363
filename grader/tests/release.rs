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
    let files = grader::release::write_release(&pristine(), &root).unwrap();

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
    let lab_manifests: String = [
        "lab1-race",
        "lab1-lock",
        "lab1-semaphore",
        "lab1-queue",
        "lab2-async",
    ]
    .iter()
    .map(|lab| std::fs::read_to_string(root.join(lab).join("Cargo.toml")).unwrap())
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
