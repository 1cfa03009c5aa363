//! `grader`: grades students' copies of the concurrency labs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use grader::class::batch::{Batch, Outcome, discover, failed_tests_csv, grades_csv};
use grader::class::class_report;
use grader::compile::cargo_build::fetch_dependencies;
use grader::grade::Grader;
use grader::intake::catalog::{LABS, Lab, lab};
use grader::intake::collect::workspace_handed_in;
use grader::intake::tree::write_whole;
use grader::intake::unzip;
use grader::package::{gradescope, release};
use grader::score::report::Report;
use grader::score::rubric::Rubric;

mod progress;

/// Grades students' copies of the concurrency labs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The pristine workspace (tests, hidden tests, manifests); defaults to the one this
    /// grader was built from.
    #[arg(long, global = true)]
    pristine: Option<PathBuf>,
    /// Where builds are cached; `<pristine>/target/grader` by default.
    #[arg(long, global = true)]
    cache: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade one submission: a student's copy of the workspace, as a folder or a `.zip` file.
    Grade(GradeArgs),
    /// Grade the references (full marks expected) and the stubs (zero expected).
    SelfCheck,
    /// Grade a class: every subfolder or `.zip` file of the class folder is one student's
    /// submission.
    Batch(BatchArgs),
    /// Write the student release: labs, stubs, visible tests; no solutions, hidden tests or
    /// rubric.
    Release {
        /// A new or empty folder.
        out: PathBuf,
    },
    /// Write an autograder package for Gradescope (`setup.sh`, `run_autograder`, the source).
    Gradescope {
        /// The zip file to write.
        out: PathBuf,
    },
}

/// What `grade` is given.
#[derive(Debug, Args)]
struct GradeArgs {
    /// The submission: a student's copy of the workspace, as a folder or a `.zip` file.
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
    /// The most seconds any test may run (loom models four times as long); a test on real
    /// threads gets ten times its reference's time on this machine, at least 12 s, up to this.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Test processes run at once.
    #[arg(long, default_value_t = default_jobs())]
    jobs: usize,
}

/// What `batch` is given.
#[derive(Debug, Args)]
struct BatchArgs {
    /// The class folder.
    class: PathBuf,
    /// Where results go: `grades.csv`, `failed-tests.csv`, `report.html`, `students/<id>/`.
    #[arg(long)]
    out: PathBuf,
    /// Students graded at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 2)]
    jobs: usize,
    /// Grade again students already graded on the same submission.
    #[arg(long)]
    regrade: bool,
    /// Grade only this lab (repeatable); every lab by default.
    #[arg(long = "lab", value_parser = clap::builder::PossibleValuesParser::new(LABS.iter().map(|l| l.name)))]
    labs: Vec<String>,
    /// Points per test; the grader's `rubric.toml` by default.
    #[arg(long)]
    rubric: Option<PathBuf>,
    /// The most seconds any test may run (loom models four times as long); a test on real
    /// threads gets ten times its reference's time on this machine, at least 12 s, up to this.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
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
        Command::Grade(args) => grade_command(&pristine, cli.cache, args),
        Command::SelfCheck => self_check(&Grader {
            on_stage: Some(print_stage),
            ..grader(&pristine, cli.cache, 60, default_jobs())?
        }),
        Command::Batch(args) => batch_command(&pristine, cli.cache, args),
        Command::Release { out } => {
            let files = release::write_release(&pristine, &out)?;
            println!(
                "wrote the student release to {} ({} files)",
                out.display(),
                files.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Gradescope { out } => {
            gradescope::write_package(&pristine, &out)?;
            println!(
                "wrote the Gradescope autograder package to {}",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `grade`: grades one submission and writes its report.
fn grade_command(pristine: &Path, cache: Option<PathBuf>, args: GradeArgs) -> Result<ExitCode> {
    let GradeArgs {
        submission,
        labs,
        format,
        rubric,
        out,
        timeout,
        jobs,
    } = args;
    let zipped = unzip::is_zip(&submission);
    if !submission.is_dir() && !zipped {
        bail!(
            "no submission folder or .zip file at {}",
            submission.display()
        );
    }
    let rubric = load_rubric(pristine, &rubric_path(pristine, rubric))?;
    let unpacked = tempfile::tempdir().context("cannot make a temporary folder")?;
    let shown = submission.display().to_string();
    let root = workspace_handed_in(&submission, &shown, unpacked.path())?;
    let grader = Grader {
        on_stage: Some(print_stage),
        paced: true,
        ..grader(pristine, cache, timeout, jobs)?
    };
    let mut report = grade(&grader, &rubric, &root, &chosen_labs(&labs))?;
    if zipped {
        report.submission = submission.display().to_string();
    }
    let text = match format {
        Format::Table => report.table(terminal_width(out.is_none())),
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Gradescope => serde_json::to_string_pretty(&report.gradescope())? + "\n",
    };
    match out {
        Some(path) => {
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `batch`: grades a class and writes its files.
fn batch_command(pristine: &Path, cache: Option<PathBuf>, args: BatchArgs) -> Result<ExitCode> {
    let BatchArgs {
        class,
        out,
        jobs,
        regrade,
        labs,
        rubric,
        timeout,
    } = args;
    let students = discover(&class)?;
    if students.is_empty() {
        bail!(
            "no submissions in {}: each student is a subfolder or a .zip file",
            class.display()
        );
    }
    let rubric_path = rubric_path(pristine, rubric);
    let rubric_text = fs::read_to_string(&rubric_path)
        .with_context(|| format!("cannot read the rubric {}", rubric_path.display()))?;
    let rubric = load_rubric(pristine, &rubric_path)?;
    // Students graded side by side share the machine's cores (see `grader::cores`).
    let grader = Grader {
        paced: true,
        ..grader(pristine, cache, timeout, default_jobs())?
    };
    let labs = chosen_labs(&labs);
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let batch = Batch {
        grader: &grader,
        rubric: &rubric,
        rubric_text: &rubric_text,
        labs: &labs,
        out: &out,
        jobs,
        regrade,
    };
    let outcomes = batch.run(&students, &progress::for_terminal(students.len()));
    batch_results(&out, &labs, &students, outcomes)
}

/// The rubric given, or the grader's own.
fn rubric_path(pristine: &Path, rubric: Option<PathBuf>) -> PathBuf {
    rubric.unwrap_or_else(|| pristine.join("grader").join("rubric.toml"))
}

/// The rubric at `path`, checked against the tests of the `pristine` workspace.
fn load_rubric(pristine: &Path, path: &Path) -> Result<Rubric> {
    let rubric = Rubric::load(path)?;
    rubric
        .check_test_names(pristine)
        .with_context(|| format!("the rubric {} is not valid", path.display()))?;
    Ok(rubric)
}

/// The labs named on the command line, or every lab.
fn chosen_labs(names: &[String]) -> Vec<&'static Lab> {
    if names.is_empty() {
        LABS.iter().collect()
    } else {
        names.iter().filter_map(|name| lab(name)).collect()
    }
}

/// Writes a batch's class files and says what happened; fails if any student could not be
/// graded (they are graded again on the next run).
fn batch_results(
    out: &Path,
    labs: &[&Lab],
    students: &[grader::class::batch::Student],
    outcomes: Vec<Outcome>,
) -> Result<ExitCode> {
    let mut class = Vec::new();
    let mut failed = Vec::new();
    let (mut graded, mut unchanged) = (0, 0);
    for (student, outcome) in students.iter().zip(outcomes) {
        match outcome {
            Outcome::Graded(report) => {
                graded += 1;
                class.push((student.id.clone(), report));
            }
            Outcome::Unchanged(report) => {
                unchanged += 1;
                class.push((student.id.clone(), report));
            }
            Outcome::Failed(error) => failed.push(format!("{}: {error}", student.id)),
        }
    }
    write_whole(&out.join("grades.csv"), &grades_csv(labs, &class)?)?;
    write_whole(&out.join("failed-tests.csv"), &failed_tests_csv(&class)?)?;
    let today = class_report::utc_date(SystemTime::now());
    write_whole(
        &out.join("report.html"),
        &class_report::render(&class, &today),
    )?;
    println!(
        "{graded} graded, {unchanged} unchanged since the last run, {} failed; results in {}",
        failed.len(),
        out.display()
    );
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("not graded (run again to retry):\n{}", failed.join("\n"));
        Ok(ExitCode::FAILURE)
    }
}

/// A grader over `pristine`, caching builds in `cache` (by default `<pristine>/target/grader`).
fn grader(pristine: &Path, cache: Option<PathBuf>, timeout: u64, jobs: usize) -> Result<Grader> {
    fetch_dependencies(pristine)?;
    Ok(Grader::new(
        pristine.to_path_buf(),
        cache.unwrap_or_else(|| pristine.join("target").join("grader")),
        Duration::from_secs(timeout),
        jobs,
    ))
}

/// The terminal's width in columns when the report goes to standard output and that is a
/// terminal; `None` (never wrap) for a file or a pipe.
fn terminal_width(to_stdout: bool) -> Option<u16> {
    if !to_stdout || !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return None;
    }
    Some(comfy_table::Table::new().width().unwrap_or(120))
}

/// Says on stderr that a stage of grading starts.
fn print_stage(stage: &str) {
    eprintln!("{stage} ...");
}

/// Grades `labs` of the submission in `root`, one line of progress per lab on stderr.
fn grade(grader: &Grader, rubric: &Rubric, root: &Path, labs: &[&Lab]) -> Result<Report> {
    let report = grader.grade_submission(rubric, root, labs, |lab| {
        eprintln!("graded {}: {}/{}", lab.lab, lab.score, lab.max_score);
    })?;
    Ok(report)
}

/// Grades the references and the stubs; fails naming every test that broke the contract.
fn self_check(grader: &Grader) -> Result<ExitCode> {
    let contract = grader::class::self_check::check(
        grader,
        |part| eprintln!("{part}:"),
        |lab| eprintln!("graded {}: {}/{}", lab.lab, lab.score, lab.max_score),
    )?;
    if contract.broken.is_empty() {
        println!(
            "self-check passed: references {}/{}, stubs {}/{}",
            contract.references.score,
            contract.references.max_score,
            contract.stubs.score,
            contract.stubs.max_score
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("self-check FAILED:\n{}", contract.broken.join("\n"));
        Ok(ExitCode::FAILURE)
    }
}
