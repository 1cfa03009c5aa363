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
        "lab2-async/demo/main.rs",
        "support/labkit/src/sync/mod.rs",
        "support/fleet/src/lib.rs",
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
        .chain(grader::intake::catalog::STUDENT_TOOLS.iter().copied())
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
/// offline, without running it: `run` becomes `build`, `test` and `loom` get `--no-run`, and what is
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
    if args
        .first()
        .is_some_and(|subcommand| subcommand == "test" || subcommand == "loom")
    {
        args.push("--no-run".to_owned());
    }
    let loom = args.first().is_some_and(|subcommand| subcommand == "loom");
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
            assert!(
                env.is_empty(),
                "{}'s README quotes `{command}`, which sets the environment as bash does: \
                 PowerShell and cmd reject it",
                lab.name
            );
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
    let readme = "Run `cargo run -p lab1-race` or:\n\n```sh\ncargo loom -p lab1-lock   # the models\ncargo run -p lab2-async -- compare\n```\nNot `git status`.\n";
    let commands = quoted_commands(readme);
    assert_eq!(
        commands,
        [
            "cargo run -p lab1-race",
            "cargo loom -p lab1-lock",
            "cargo run -p lab2-async -- compare",
        ]
    );
    let (env, args) = check_only(&commands[1]);
    assert!(env.is_empty(), "{env:?}");
    assert_eq!(args.join(" "), "loom --offline -p lab1-lock --no-run");
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
        // The replay line's own command, as a student types it.
        .args(["loom", "--offline", "-p", "lab1-lock"])
        .arg("spin_lock_is_exclusive_in_every_interleaving")
        .current_dir(&root)
        .env(
            "CARGO_TARGET_DIR",
            // Shared with the README commands' check, which builds the same loom tests.
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-target"),
        )
        .env_remove("RUSTFLAGS")
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

/// The names of the packages `cargo tree` finds in the release at `root` for the target
/// `triple`, for every package and dependency kind (offline first, else online).
fn packages_for(root: &Path, triple: &str) -> Vec<String> {
    let tree = |offline: bool| {
        let mut args = vec![
            "tree",
            "--workspace",
            "--target",
            triple,
            "-e",
            "normal,build,dev",
            "--prefix",
            "none",
        ];
        if offline {
            args.push("--offline");
        }
        cargo(root, &args)
    };
    let mut output = tree(true);
    if !output.status.success() {
        output = tree(false);
    }
    assert!(
        output.status.success(),
        "cargo tree --target {triple} fails: {}",
        text(&output)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Paths in a source file that reach a unix-only API (`std::os::unix`, `nix`) outside an item,
/// statement or expression under `#[cfg(unix)]`, each with its line.
#[derive(Default)]
struct UnixOnly {
    found: Vec<(usize, String)>,
}

impl UnixOnly {
    fn is_unix_only(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|attr| {
            attr.path().is_ident("cfg") && {
                let tokens = attr.meta.require_list().map(|list| list.tokens.to_string());
                tokens.is_ok_and(|tokens| tokens == "unix" || tokens == "target_family = \"unix\"")
            }
        })
    }

    fn check(&mut self, segments: &[String], line: usize) {
        let unix = segments.len() >= 3
            && matches!(segments[0].as_str(), "std" | "core")
            && segments[1] == "os"
            && segments[2] == "unix";
        if unix || segments.first().is_some_and(|first| first == "nix") {
            self.found.push((line, segments.join("::")));
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for UnixOnly {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Struct(item) => &item.attrs,
            syn::Item::Enum(item) => &item.attrs,
            syn::Item::Const(item) => &item.attrs,
            syn::Item::Static(item) => &item.attrs,
            _ => &Vec::new(),
        };
        if !Self::is_unix_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !Self::is_unix_only(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let attrs = match stmt {
            syn::Stmt::Local(local) => &local.attrs,
            syn::Stmt::Macro(mac) => &mac.attrs,
            _ => &Vec::new(),
        };
        if !Self::is_unix_only(attrs) {
            syn::visit::visit_stmt(self, stmt);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        let line = path
            .segments
            .first()
            .map_or(0, |segment| segment.ident.span().start().line);
        self.check(&segments, line);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut UnixOnly) {
            match tree {
                syn::UseTree::Path(path) => {
                    prefix.push(path.ident.to_string());
                    out.check(prefix, path.ident.span().start().line);
                    walk(&path.tree, prefix, out);
                    prefix.pop();
                }
                syn::UseTree::Name(syn::UseName { ident })
                | syn::UseTree::Rename(syn::UseRename { ident, .. }) => {
                    prefix.push(ident.to_string());
                    out.check(prefix, ident.span().start().line);
                    prefix.pop();
                }
                syn::UseTree::Group(group) => {
                    for tree in &group.items {
                        walk(tree, prefix, out);
                    }
                }
                syn::UseTree::Glob(_) => out.check(prefix, 0),
            }
        }
        walk(&item.tree, &mut Vec::new(), self);
    }
}

#[test]
fn the_unix_only_scan_sees_what_is_outside_cfg_unix() {
    let source = "use std::os::unix::fs::symlink;\n\
                  #[cfg(unix)]\nuse nix::unistd::getpid;\n\
                  #[cfg(unix)]\nfn a() { nix::unistd::getpid(); }\n\
                  fn b() { let _ = ::nix::unistd::getpid(); }\n\
                  fn c() { #[cfg(unix)] let _ = std::os::unix::process::parent_id(); }\n\
                  use std::os::{windows, unix as u};\n";
    let mut scan = UnixOnly::default();
    syn::visit::Visit::visit_file(&mut scan, &syn::parse_file(source).unwrap());
    let lines: Vec<usize> = scan.found.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [1, 1, 1, 6, 8], "{:?}", scan.found);
}

#[test]
fn the_release_builds_on_windows_macos_and_linux() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    grader::package::release::write_release(&pristine(), &root).unwrap();

    // No symbolic link: a Windows clone would turn it into a text file.
    for entry in WalkDir::new(&root) {
        let entry = entry.unwrap();
        assert!(
            !entry.path_is_symlink(),
            "{} is a symbolic link",
            entry.path().display()
        );
    }
    // No crate only unix has, for Windows or macOS; Linux is where the tests run.
    for triple in ["x86_64-pc-windows-msvc", "aarch64-apple-darwin"] {
        let packages = packages_for(&root, triple);
        assert!(
            packages.iter().any(|name| name == "tokio"),
            "cargo tree --target {triple} lists no tokio: {packages:?}"
        );
        if triple.contains("windows") {
            assert!(
                !packages.iter().any(|name| name == "nix"),
                "the release pulls in `nix` (unix only) for {triple}"
            );
        }
    }
    // No source file reaches a unix-only API outside `#[cfg(unix)]`.
    let mut scanned = 0;
    for entry in WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(entry.path()).unwrap();
        let file = syn::parse_file(&source)
            .unwrap_or_else(|error| panic!("{}: {error}", entry.path().display()));
        let mut scan = UnixOnly::default();
        syn::visit::Visit::visit_file(&mut scan, &file);
        assert!(
            scan.found.is_empty(),
            "{} uses unix-only APIs outside #[cfg(unix)]: {:?}",
            entry.path().display(),
            scan.found
        );
        scanned += 1;
    }
    assert!(scanned >= 30, "only {scanned} source files scanned");
}

#[test]
fn the_classroom_workflow_runs_every_visible_test_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    grader::package::release::write_release(&pristine(), &root).unwrap();
    let workflow = std::fs::read_to_string(root.join(".github/workflows/classroom.yml")).unwrap();
    let mut labs = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let lab = entry.unwrap().path();
        let tests = lab.join("tests");
        if !tests.is_dir() || !lab.join("src/lib.rs").is_file() {
            continue;
        }
        let name = lab.file_name().unwrap().to_str().unwrap();
        if name == "support" {
            continue;
        }
        // Every test target cargo finds in `tests/`, but the loom models and the stress tests.
        let mut targets: Vec<String> = std::fs::read_dir(&tests)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .map(|path| path.file_stem().unwrap().to_str().unwrap().to_owned())
            .filter(|target| target != "loom" && target != "stress")
            .collect();
        targets.sort();
        let command: String = targets.iter().map(|t| format!(" --test {t}")).collect();
        assert!(
            workflow.contains(&format!(
                "command: cargo test --locked -p {name}{command}\n"
            )),
            "the workflow does not run {name}'s{command}:\n{workflow}"
        );
        labs += 1;
    }
    assert_eq!(labs, grader::intake::catalog::LABS.len(), "{workflow}");
}
