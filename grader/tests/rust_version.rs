//! The declared Rust version is the true one: every package of the workspace inherits the
//! workspace's `rust-version`, and no package in the committed lock file, for any platform,
//! needs a newer rustc than it.

use cargo_metadata::semver::Version;
use cargo_metadata::{Metadata, MetadataCommand};

/// The workspace's metadata, resolved from the committed lock file for every platform: offline
/// first, online if a package only another platform uses was never downloaded here.
fn metadata() -> Metadata {
    let resolve = |options: &[&str]| {
        MetadataCommand::new()
            .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
            .other_options(
                options
                    .iter()
                    .map(|option| option.to_string())
                    .collect::<Vec<_>>(),
            )
            .exec()
    };
    resolve(&["--locked", "--offline"])
        .or_else(|_| resolve(&["--locked"]))
        .expect("cargo metadata of the workspace")
}

/// The workspace's `[workspace.package] rust-version` (`1.89` read as `1.89.0`).
fn declared(metadata: &Metadata) -> Version {
    let manifest = std::fs::read_to_string(metadata.workspace_root.join("Cargo.toml")).unwrap();
    let table: toml::Table = manifest.parse().unwrap();
    let text = table["workspace"]["package"]["rust-version"]
        .as_str()
        .expect("[workspace.package] rust-version");
    let full = match text.split('.').count() {
        2 => format!("{text}.0"),
        _ => text.to_owned(),
    };
    Version::parse(&full).unwrap_or_else(|error| panic!("rust-version {text}: {error}"))
}

#[test]
fn no_locked_package_needs_a_newer_rustc_than_declared() {
    let metadata = metadata();
    let declared = declared(&metadata);
    for package in metadata.workspace_packages() {
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
        .filter_map(|package| {
            let needed = package.rust_version.as_ref()?;
            (*needed > declared)
                .then(|| format!("{} {} needs rustc {needed}", package.name, package.version))
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
    let declared = declared(&metadata);
    let short = format!("{}.{}", declared.major, declared.minor);
    for readme in ["README.md", "grader/release/README.md"] {
        let text = std::fs::read_to_string(root.join(readme)).unwrap();
        assert!(
            text.contains(&format!("{short} or newer")),
            "{readme} does not say Rust {short} or newer"
        );
    }
}
