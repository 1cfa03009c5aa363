//! The Gradescope autograder package: a zip of the pristine workspace with the two scripts
//! Gradescope runs.
//!
//! Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` there once when it
//! builds the image (install Rust, build the grader, warm the dependency cache by grading the
//! references and the stubs), and `run_autograder` for every submission: it grades
//! `/autograder/submission` and writes `/autograder/results/results.json`. If the grader
//! itself fails, `run_autograder` still writes a `results.json`, with score 0 and the error, so
//! a broken run never looks like a pass. `AUTOGRADER_ROOT` (default `/autograder`), `GRADER`
//! (the grader binary) and `GRADER_CACHE` (its build cache) let a test run the package
//! outside Gradescope.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::{Context, IoContext, Result};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::intake::tree::{self, Kind, Links};

/// Gradescope's image set-up script.
const SETUP: &str = include_str!("../../gradescope/setup.sh");

/// Gradescope's per-submission script.
const RUN_AUTOGRADER: &str = include_str!("../../gradescope/run_autograder");

/// What of the pristine workspace stays out of the package: build output and history.
const EXCLUDED: &[&str] = &["target", ".git"];

/// What a failure to write the package's zip file says.
const ZIP: &str = "cannot write the autograder package";

/// Writes the autograder package of the `pristine` workspace to the zip file `out`.
pub fn write_package(pristine: &Path, out: &Path) -> Result<()> {
    let file = File::create(out).on("create", out)?;
    let mut zip = ZipWriter::new(file);
    let executable = SimpleFileOptions::default().unix_permissions(0o755);
    let regular = SimpleFileOptions::default().unix_permissions(0o644);
    for (name, text) in [("setup.sh", SETUP), ("run_autograder", RUN_AUTOGRADER)] {
        zip.start_file(name, executable).context(ZIP)?;
        zip.write_all(text.as_bytes()).on("write", out)?;
    }
    // Links followed: the package holds the facade's text wherever a lab links to it.
    for entry in tree::walk(pristine, EXCLUDED, Links::Follow)? {
        if entry.kind != Kind::File {
            continue;
        }
        let name = entry
            .relative
            .to_str()
            .with_context(|| format!("{} is not UTF-8", entry.relative.display()))?;
        zip.start_file(name, regular).context(ZIP)?;
        zip.write_all(&fs::read(&entry.path).on("read", &entry.path)?)
            .on("write", out)?;
    }
    zip.finish().context(ZIP)?;
    Ok(())
}
