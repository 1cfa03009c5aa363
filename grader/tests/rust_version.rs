//! The declared Rust version is the true one: every package of the workspace inherits the
//! workspace's `rust-version`, and no package in the committed lock file, for any platform,
//! needs a newer rustc than it.

use cargo_metadata::semver::Version;
use cargo_metadata::{Metadata, MetadataCommand};

/// The workspace's metadata, resolved from the committed lock file for every platform.
fn metadata() -> Metadata {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    MetadataCommand::new()
        .manifest_path(root)
        .other_options(vec!["--locked".to_owned(), "--offline".to_owned()])
        .exec()
        .or_else(|_| {
            MetadataCommand::new()
                .manifest_path(root)
                .other_options(vec!["--locked".to_owned()])
                .exec()
        })
        .expect("cargo metadata of the workspace")
}

/// `1.89` or `1.89.0` as a version.
fn version(text: &str) -> Version {
    let parts = text.split('.').count();
    let full = if parts == 2 {
        format!("{text}.0")
    } else {
        text.to_owned()
    };
    Version::parse(&full).unwrap_or_else(|error| panic!("rust-version {text}: {error}"))
}

#[test]
fn no_locked_package_needs_a_newer_rustc_than_declared() {
    let metadata = metadata();
    let manifest = std::fs::read_to_string(metadata.workspace_root.join("Cargo.toml")).unwrap();
    let table: toml::Table = manifest.parse().unwrap();
    let declared = table["workspace"]["package"]["rust-version"]
        .as_str()
        .expect("[workspace.package] rust-version");
    let declared = version(declared);

    let members: Vec<_> = metadata.workspace_packages();
    for package in &members {
        assert_eq!(
            package.rust_version.as_ref(),
            Some(&declared),
            "{} does not inherit the workspace's rust-version (`rust-version.workspace = true`)",
            package.name
        );
    }
    let too_new: Vec<String> = metadata
        .packages
        .iter()
        .filter(|package| {
            package
                .rust_version
                .as_ref()
                .is_some_and(|needed| *needed > declared)
        })
        .map(|package| {
            format!(
                "{} {} needs rustc {}",
                package.name,
                package.version,
                package.rust_version.as_ref().unwrap()
            )
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "the lock file holds packages that need a newer rustc than the declared {declared}: {}; \
         lower them (`cargo update -p NAME --precise VERSION`) or raise `rust-version`",
        too_new.join(", ")
    );
}

#[test]
fn the_readmes_state_the_declared_version() {
    let metadata = metadata();
    let root = metadata.workspace_root.as_std_path();
    let declared = metadata
        .workspace_packages()
        .first()
        .and_then(|package| package.rust_version.clone())
        .expect("a rust-version");
    let short = format!("{}.{}", declared.major, declared.minor);
    for readme in ["README.md", "grader/release/README.md"] {
        let text = std::fs::read_to_string(root.join(readme)).unwrap();
        assert!(
            text.contains(&format!("{short} or newer")),
            "{readme} does not say Rust {short} or newer"
        );
    }
}
