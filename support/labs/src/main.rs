//! `cargo labs`: the student's companion. It shows where you stand in every lab, checks a lab
//! whole (visible tests, stress tests, loom models), watches your files and checks on every
//! save, and gives the README's hints one at a time. It runs only the workspace's own labs,
//! through cargo, the same on Linux, macOS and Windows.

mod check;
mod hint;
mod libtest;
mod memory;
mod progress;
mod render;
mod tier;
mod watch;
mod workspace;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use workspace::Workspace;

/// Where you stand in every lab; `check`, `watch` and `hint` for one.
#[derive(Debug, Parser)]
#[command(name = "cargo labs", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a lab's visible tests, then its stress tests, then its loom models, stopping at
    /// the first tier that fails, and shows each failure whole.
    Check {
        /// The lab, e.g. lab1-lock.
        lab: String,
    },
    /// Checks a lab again each time a file under its src/ is saved, until Ctrl-C (the first
    /// lab not done if none is named).
    Watch {
        /// The lab, e.g. lab1-lock.
        lab: Option<String>,
    },
    /// Shows the next of a lab's hints (one more each time).
    Hint {
        /// The lab, e.g. lab1-lock.
        lab: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cargo labs: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Does what `cli` asks; the exit status is 0 when what was checked passes.
fn run(cli: Cli) -> Result<ExitCode> {
    let workspace = Workspace::discover()?;
    let passed = |passed: bool| {
        if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    };
    match cli.command {
        None => {
            let every = check::every_lab(&workspace)?;
            print!("{}", check::table(&every));
            Ok(passed(check::first_not_done(&every).is_none()))
        }
        Some(Command::Check { lab }) => {
            let lab = workspace.lab(&lab)?;
            Ok(passed(check::check_and_report(&workspace, lab)?))
        }
        Some(Command::Watch { lab }) => {
            let lab = match lab {
                Some(name) => workspace.lab(&name)?.clone(),
                None => {
                    let every = check::every_lab(&workspace)?;
                    match check::first_not_done(&every) {
                        Some(lab) => lab.clone(),
                        None => {
                            println!("Every lab passes every tier: nothing to watch.");
                            return Ok(ExitCode::SUCCESS);
                        }
                    }
                }
            };
            watch::watch(&workspace, &lab)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Hint { lab }) => {
            let lab = workspace.lab(&lab)?;
            print!("{}", hint::next_hint(&workspace, lab)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
