//! The student release: the workspace students clone, without what only the grader may see.
//!
//! It holds every lab crate with its stubs, visible tests, README and demo, the support
//! crates they build on, and the student's companion (`cargo labs`); a root `Cargo.toml` whose members are those crates alone and whose
//! shared dependencies are only those they use; a `Cargo.lock` pruned to what they use (with the pristine versions); a
//! `.cargo/config.toml` with the workspace's cargo aliases (`cargo loom`); a
//! `rust-toolchain.toml` pinning the Rust version the release was written with; a students'
//! README and a GitHub Classroom workflow that runs the visible tests, caching cargo's
//! downloads and build between pushes. It never holds `solutions`, `grader` (rubric included), a lab's `hidden/`
//! tests, or a manifest entry that names them.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, IoContext, Result, bail};
use cargo_metadata::MetadataCommand;
use toml_edit::{Array, DocumentMut, Item, value};

use crate::intake::catalog::{KIT_CRATES, LABS, STUDENT_TOOLS, Tier, test_files};
use crate::intake::tree::{self, Kind, Links};

/// The students' README at the release's root, with `LABS_TABLE` to fill.
const README: &str = include_str!("../../release/README.md");

/// The GitHub Classroom workflow, with `LABS_STEPS`, `LABS_ENV` and `LABS_RUNNERS` to fill.
const CLASSROOM_WORKFLOW: &str = include_str!("../../release/classroom.yml");

/// What a lab keeps out of the release: its hidden tests, and build output.
const LAB_EXCLUDED: &[&str] = &["hidden", "target"];

/// Writes the student release of the `pristine` workspace into `out`, which must not exist or
/// be empty; returns the files written, relative to `out`.
pub fn write_release(pristine: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    if out.exists() && fs::read_dir(out).on("read", out)?.next().is_some() {
        bail!(
            "{} is not empty: give a new or empty folder for the release",
            out.display()
        );
    }
    fs::create_dir_all(out).on("create", out)?;
    for name in LABS
        .iter()
        .map(|lab| lab.name)
        .chain(KIT_CRATES.iter().copied())
        .chain(STUDENT_TOOLS.iter().copied())
    {
        copy_lab(&pristine.join(name), &out.join(name))?;
    }
    write(out, "Cargo.toml", &root_manifest(pristine)?)?;
    write(out, "rust-toolchain.toml", &toolchain_file()?)?;
    fs::copy(pristine.join("Cargo.lock"), out.join("Cargo.lock"))
        .context("cannot copy Cargo.lock")?;
    prune_lock_file(out)?;
    write(out, "README.md", &readme(pristine)?)?;
    // The workspace's cargo aliases (`cargo loom`), which work in every shell.
    let cargo_folder = out.join(".cargo");
    fs::create_dir_all(&cargo_folder).on("create", &cargo_folder)?;
    fs::copy(
        pristine.join(".cargo/config.toml"),
        out.join(".cargo/config.toml"),
    )
    .context("cannot copy .cargo/config.toml")?;
    write(out, ".gitignore", "/target\n")?;
    write(
        out,
        ".github/workflows/classroom.yml",
        &classroom_workflow(&visible_targets(pristine)?),
    )?;
    let files: Vec<PathBuf> = tree::walk(out, &[], Links::Keep)?
        .into_iter()
        .filter(|entry| entry.kind == Kind::File)
        .map(|entry| entry.relative)
        .collect();
    Ok(files)
}

/// Writes `text` to `root/relative`, creating its folder.
fn write(root: &Path, relative: &str, text: &str) -> Result<()> {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).on("create", parent)?;
    }
    fs::write(&path, text).on("write", &path)
}

/// Copies one crate, without [`LAB_EXCLUDED`], with its manifest stripped of them.
fn copy_lab(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).on("create", to)?;
    for entry in tree::walk(from, LAB_EXCLUDED, Links::Follow)? {
        let target = to.join(&entry.relative);
        if entry.kind == Kind::Dir {
            fs::create_dir_all(&target).on("create", &target)?;
        } else if entry.relative == Path::new("Cargo.toml") {
            let manifest = fs::read_to_string(&entry.path).on("read", &entry.path)?;
            fs::write(&target, lab_manifest(&manifest)?).on("write", &target)?;
        } else {
            fs::copy(&entry.path, &target).on("copy", &entry.path)?;
        }
    }
    Ok(())
}

/// A lab's manifest without the test targets whose sources are left out of the release; its
/// comments, written for students, and the order of its keys as they were.
fn lab_manifest(manifest: &str) -> Result<String> {
    let mut document: DocumentMut = manifest.parse().context("cannot parse a lab manifest")?;
    if let Some(tests) = document
        .get_mut("test")
        .and_then(Item::as_array_of_tables_mut)
    {
        tests.retain(|test| {
            let path = test.get("path").and_then(Item::as_str).unwrap_or("");
            !LAB_EXCLUDED
                .iter()
                .any(|excluded| path.starts_with(&format!("{excluded}/")))
        });
        if tests.is_empty() {
            document.remove("test");
        }
    }
    Ok(document.to_string())
}

/// The release's root manifest: the pristine one with the labs, the support crates
/// ([`KIT_CRATES`]) and the student's tools ([`STUDENT_TOOLS`]) as its only members, and of
/// its `[workspace.dependencies]` only those their manifests name; the comments of what is
/// kept stay with it.
fn root_manifest(pristine: &Path) -> Result<String> {
    let text = fs::read_to_string(pristine.join("Cargo.toml"))
        .context("cannot read the pristine Cargo.toml")?;
    let mut document: DocumentMut = text
        .parse()
        .context("cannot parse the pristine Cargo.toml")?;
    let mut used = Vec::new();
    let crates: Vec<&str> = LABS
        .iter()
        .map(|lab| lab.name)
        .chain(KIT_CRATES.iter().copied())
        .chain(STUDENT_TOOLS.iter().copied())
        .collect();
    for name in &crates {
        let path = pristine.join(name).join("Cargo.toml");
        let manifest: toml::Table = toml::from_str(&fs::read_to_string(&path).on("read", &path)?)
            .with_context(|| format!("cannot parse {}", path.display()))?;
        used.extend(dependency_names(&manifest));
    }
    let workspace = document
        .get_mut("workspace")
        .and_then(Item::as_table_mut)
        .context("the pristine Cargo.toml has no [workspace]")?;
    let mut members: Array = crates.iter().copied().collect();
    for member in members.iter_mut() {
        member.decor_mut().set_prefix("\n    ");
    }
    members.set_trailing("\n");
    members.set_trailing_comma(true);
    workspace.insert("members", value(members));
    workspace.remove("default-members");
    if let Some(shared) = workspace
        .get_mut("dependencies")
        .and_then(Item::as_table_mut)
    {
        shared.retain(|name, _| used.iter().any(|used| used == name));
    }
    Ok(format!(
        "# The student release of the concurrency labs, written by `grader release`.\n\n{document}"
    ))
}

/// The names of every dependency a crate's `manifest` declares, for any target or kind.
fn dependency_names(manifest: &toml::Table) -> Vec<String> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let targets = manifest
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|targets| targets.values().filter_map(toml::Value::as_table));
    std::iter::once(manifest)
        .chain(targets)
        .flat_map(|table| KINDS.iter().filter_map(|kind| table.get(*kind)))
        .filter_map(toml::Value::as_table)
        .flat_map(|deps| deps.keys().cloned())
        .collect()
}

/// `rust-toolchain.toml` pinning the version of the `rustc` that cargo runs here, so that
/// students build with the compiler the grader was checked with.
fn toolchain_file() -> Result<String> {
    let output = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .running("run rustc --version")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .nth(1)
        .filter(|version| output.status.success() && !version.is_empty())
        .with_context(|| format!("rustc --version printed {text:?}"))?;
    Ok(format!(
        "# The Rust version the labs were written and graded with; rustup installs it.\n\
         [toolchain]\nchannel = \"{version}\"\ncomponents = [\"rustfmt\", \"clippy\"]\n"
    ))
}

/// Lets cargo drop from the copied `Cargo.lock` what only the grader and solutions used,
/// keeping every other package at its pristine version. Offline first; if that fails (cargo
/// resolves for every platform, and a package only another platform uses, such as one of
/// `mio`'s, may never have been downloaded here), online.
fn prune_lock_file(root: &Path) -> Result<()> {
    let resolve = |options: Vec<String>| {
        MetadataCommand::new()
            .manifest_path(root.join("Cargo.toml"))
            .other_options(options)
            .exec()
    };
    resolve(vec!["--offline".to_owned()])
        .or_else(|_| resolve(Vec::new()))
        .context("cargo cannot resolve the release workspace")?;
    Ok(())
}

/// The students' README: [`README`] with a table of every lab of the catalog, each described
/// as its manifest's `description` says.
fn readme(pristine: &Path) -> Result<String> {
    let mut table = String::from("| crate | task |\n|---|---|\n");
    for lab in LABS {
        let path = pristine.join(lab.name).join("Cargo.toml");
        let manifest: toml::Table = toml::from_str(&fs::read_to_string(&path).on("read", &path)?)
            .with_context(|| format!("cannot parse {}", path.display()))?;
        let description = manifest
            .get("package")
            .and_then(|package| package.get("description"))
            .and_then(toml::Value::as_str)
            .with_context(|| format!("{} has no package description", path.display()))?;
        table.push_str(&format!("| `{}` | {description} |\n", lab.name));
    }
    Ok(README.replace("LABS_TABLE\n", &table))
}

/// Every lab of the catalog with its visible test targets (`tests/*.rs` but the loom models
/// and the stress tests), as the catalog finds them in the `pristine` lab.
fn visible_targets(pristine: &Path) -> Result<Vec<(&'static str, Vec<String>)>> {
    LABS.iter()
        .map(|lab| {
            let targets = test_files(&pristine.join(lab.name))?
                .into_iter()
                .filter(|file| file.tier == Tier::Visible)
                .map(|file| file.target)
                .collect();
            Ok((lab.name, targets))
        })
        .collect()
}

/// The GitHub Classroom workflow: one command-grader step per lab, running each of its
/// visible test targets (`labs`: each lab with its targets).
fn classroom_workflow(labs: &[(&str, Vec<String>)]) -> String {
    let id = |name: &str| name.replace('-', "_");
    let steps: String = labs
        .iter()
        .map(|(name, targets)| {
            let targets: String = targets
                .iter()
                .map(|target| format!(" --test {target}"))
                .collect();
            format!(
                "      - name: {name}\n        id: {id}\n        uses: classroom-resources/autograding-command-grader@v1\n        with:\n          test-name: {name}\n          command: cargo test --locked -p {name}{targets}\n          timeout: 10\n          max-score: 1\n",
                id = id(name)
            )
        })
        .collect();
    let env: String = labs
        .iter()
        .map(|(name, _)| {
            format!(
                "          {}_RESULTS: \"${{{{steps.{}.outputs.result}}}}\"\n",
                id(name).to_uppercase(),
                id(name)
            )
        })
        .collect();
    let runners: Vec<String> = labs.iter().map(|(name, _)| id(name)).collect();
    CLASSROOM_WORKFLOW
        .replace("LABS_STEPS\n", &steps)
        .replace("LABS_ENV\n", &env)
        .replace("LABS_RUNNERS", &runners.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lab_manifest_keeps_its_comments_and_key_order_in_the_release() {
        let pristine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lab1-race/Cargo.toml");
        let manifest = fs::read_to_string(pristine).unwrap();
        insta::assert_snapshot!(lab_manifest(&manifest).unwrap());
    }

    #[test]
    fn hidden_test_targets_leave_the_manifest() {
        let manifest = "[package]\nname = \"x\"\n\n[[test]]\nname = \"hidden\"\npath = \"hidden/hidden.rs\"\n\n[[test]]\nname = \"extra\"\npath = \"tests/extra.rs\"\n";
        let stripped = lab_manifest(manifest).unwrap();
        assert!(!stripped.contains("hidden"), "{stripped}");
        assert!(stripped.contains("tests/extra.rs"), "{stripped}");
        let only_hidden =
            "[package]\nname = \"x\"\n\n[[test]]\nname = \"hidden\"\npath = \"hidden/hidden.rs\"\n";
        assert!(!lab_manifest(only_hidden).unwrap().contains("test"));
    }

    #[test]
    fn every_kind_of_dependency_is_named() {
        let manifest: toml::Table = toml::from_str(
            "[dependencies]\ntokio.workspace = true\n[dev-dependencies]\nrand = \"1\"\n\
             [target.'cfg(loom)'.dependencies]\nloom.workspace = true\n",
        )
        .unwrap();
        let mut names = dependency_names(&manifest);
        names.sort();
        assert_eq!(names, ["loom", "rand", "tokio"]);
    }

    #[test]
    fn the_workflow_runs_every_visible_test_target_of_every_lab() {
        let pristine = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let workflow = classroom_workflow(&visible_targets(&pristine).unwrap());
        for lab in LABS.iter().filter(|lab| lab.loom) {
            assert!(workflow.contains(&format!(
                "command: cargo test --locked -p {} --test visible\n",
                lab.name
            )));
        }
        // Task 2.5's tests are a target of their own.
        assert!(
            workflow.contains(
                "command: cargo test --locked -p lab2-async --test routers --test visible\n"
            ),
            "{workflow}"
        );
        assert!(!workflow.contains("--test loom") && !workflow.contains("--test stress"));
        assert!(workflow.contains("runners: lab1_race,lab1_lock,"));
        assert!(workflow.contains("LAB1_RACE_RESULTS: \"${{steps.lab1_race.outputs.result}}\""));
        assert!(!workflow.contains("LABS_"));
        assert!(workflow.contains("uses: actions/cache@v4"));
    }

    #[test]
    fn the_readme_describes_every_lab_as_its_manifest_does() {
        let pristine = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let readme = readme(&pristine).unwrap();
        for lab in LABS {
            assert!(
                readme.contains(&format!("| `{}` | Lab ", lab.name)),
                "{readme}"
            );
        }
        assert!(readme.contains("Lab 2.1-2.5"), "{readme}");
        assert!(!readme.contains("LABS_TABLE"));
    }
}
