//! `grader`: grades students' copies of the concurrency labs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use grader::catalog::{LABS, Lab, lab};
use grader::collect::collect;
use grader::compile::fetch_dependencies;
use grader::grade::Grader;
use grader::report::{LabReport, Report};
use grader::rubric::Rubric;
use grader::run::Limits;

/// Grades students' copies of the concurrency labs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The pristine workspace (tests, hidden tests, manifests); defaults to the one this
    /// grader was built from.
    #[arg(long, global = true)]
    pristine: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade one submission: a student's copy of the workspace.
    Grade {
        /// The submission's folder.
        submission: PathBuf,
        /// Grade only this lab (repeatable); every lab by default.
        #[arg(long = "lab", value_parser = clap::builder::PossibleValuesParser::new(LABS.iter().map(|l| l.name)))]
        labs: Vec<String>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Points per test; the grader's `rubric.toml` by default.
        #[arg(long)]
        rubric: Option<PathBuf>,
        /// Write the report here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seconds each test may run (loom models get four times as long).
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Test processes run at once.
        #[arg(long, default_value_t = default_jobs())]
        jobs: usize,
    },
    /// Grade the references (full marks expected) and the stubs (zero expected).
    SelfCheck,
}

/// Report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A terminal table.
    Table,
    /// The versioned JSON report.
    Json,
    /// Gradescope's `results.json`.
    Gradescope,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("grader: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let pristine = match cli.pristine {
        Some(path) => path,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    };
    let pristine = pristine
        .canonicalize()
        .with_context(|| format!("no pristine workspace at {}", pristine.display()))?;
    match cli.command {
        Command::Grade {
            submission,
            labs,
            format,
            rubric,
            out,
            timeout,
            jobs,
        } => {
            if !submission.is_dir() {
                bail!("no submission folder at {}", submission.display());
            }
            let rubric = Rubric::load(
                &rubric.unwrap_or_else(|| pristine.join("grader").join("rubric.toml")),
            )?;
            let grader = grader(&pristine, timeout, jobs)?;
            let labs: Vec<&Lab> = if labs.is_empty() {
                LABS.iter().collect()
            } else {
                labs.iter().filter_map(|name| lab(name)).collect()
            };
            let report = grade(&grader, &rubric, &submission, &labs)?;
            let text = match format {
                Format::Table => report.table(),
                Format::Json => serde_json::to_string_pretty(&report)? + "\n",
                Format::Gradescope => serde_json::to_string_pretty(&report.gradescope())? + "\n",
            };
            match out {
                Some(path) => fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::SelfCheck => self_check(&grader(&pristine, 60, default_jobs())?, &pristine),
    }
}

/// A grader over `pristine`, caching builds under its `target/grader`.
fn grader(pristine: &Path, timeout: u64, jobs: usize) -> Result<Grader> {
    fetch_dependencies(pristine)?;
    let limits = Limits {
        timeout: Duration::from_secs(timeout),
        ..Limits::default()
    };
    Ok(Grader {
        pristine: pristine.to_path_buf(),
        cache: pristine.join("target").join("grader"),
        limits,
        loom_limits: Limits {
            timeout: limits.timeout * 4,
            ..limits
        },
        jobs,
    })
}

/// Grades `labs` of the submission in `root`, one line of progress per lab on stderr.
fn grade(grader: &Grader, rubric: &Rubric, root: &Path, labs: &[&Lab]) -> Result<Report> {
    let mut reports = Vec::new();
    for lab in labs {
        eprint!("grading {} ... ", lab.name);
        let outcomes = grader.grade_lab(lab, collect(root, lab.name))?;
        let report = LabReport::new(lab.name, outcomes, rubric);
        eprintln!("{}/{}", report.score, report.max_score);
        reports.push(report);
    }
    Ok(Report::new(&root.display().to_string(), reports))
}

/// Grades the references and the stubs; fails naming every test that broke the contract.
fn self_check(grader: &Grader, pristine: &Path) -> Result<ExitCode> {
    let labs: Vec<&Lab> = LABS.iter().collect();
    eprintln!("references (full marks expected):");
    let rubric = Rubric::default();
    let references = grade(grader, &rubric, &pristine.join("solutions"), &labs)?;
    eprintln!("stubs (zero expected, every test on `not yet implemented`):");
    let stubs = grade(grader, &rubric, pristine, &labs)?;
    let mut broken = Vec::new();
    for lab in &references.labs {
        for test in lab.tests.iter().filter(|t| !t.passed) {
            broken.push(format!(
                "reference {} {}::{}: {}",
                lab.lab, test.target, test.name, test.reason
            ));
        }
    }
    for lab in &stubs.labs {
        for test in &lab.tests {
            if test.passed || !test.reason.contains("not yet implemented") {
                broken.push(format!(
                    "stub {} {}::{}: passed, or failed otherwise ({})",
                    lab.lab, test.target, test.name, test.reason
                ));
            }
        }
    }
    if broken.is_empty() {
        println!(
            "self-check passed: references {}/{}, stubs {}/{}",
            references.score, references.max_score, stubs.score, stubs.max_score
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("self-check FAILED:\n{}", broken.join("\n"));
        Ok(ExitCode::FAILURE)
    }
}
