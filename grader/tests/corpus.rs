//! The corpus of hostile and broken submissions, each graded to exactly its score, and the fair
//! corpus of correct alternatives, each graded to full marks.
//!
//! `tests/corpus/fair.toml` holds correct programs written differently from the references
//! (their `src/lib.rs` in `tests/corpus/files/<id>/`): each is graded on every tier, stress
//! included, and must pass every test. Every round of fixtures is graded [`GRADINGS`] times
//! (`CORPUS_GRADINGS=10` for more) over one build, every test run anew each time, and every
//! grading must fail exactly the same tests: a score that depends on the run is a defect of
//! the tests.
//!
//! `tests/corpus/corpus.toml` holds one fixture per attack or mistake. A fixture hands in one
//! or more labs, each a copy of the pristine lab folder (`Cargo.toml`, `src/`, `tests/`) whose
//! `src/lib.rs` is the reference or the stub with a few small edits (or no folder at all), with
//! extra files laid over the submission from `tests/corpus/files/<id>/` and, where git cannot
//! hold them, files and links the harness makes itself. For each lab it names the tiers graded,
//! exactly which tests fail, the score, and text that every failure's reason contains.
//!
//! Each fixture is a test of its own (the harness is `libtest-mimic`'s), named by its id, of
//! kind `hostile` or `fair`: `cargo test -p grader --test corpus -- --exact deadlock` grades
//! one. The fixtures chosen are graded in the background as soon as the harness starts, and
//! each test waits for its own. Each proves that:
//! - exactly the listed tests fail and each lab scores exactly its points under
//!   `grader/rubric.toml`, so no fixture earns a point it should not;
//! - every failure has a reason, and it contains the fixture's expected text;
//! - grading writes nothing into the pristine workspace or the submission (both are hashed
//!   before and after) and runs no build script of a submission (the `build-script` fixture's
//!   build script would leave [`BUILD_SCRIPT_MARKER`] behind);
//! - no fixture outlasts its time budget (generous builds, plus every test at its timeout),
//!   and no test's captured output outgrows the capture cap.
//!
//! Fixtures that hand in different labs share one submission (a round), graded with one build
//! per profile, as a real submission of several labs is; each fixture keeps to its own labs.
//! Two rounds are graded at once ([`ROUNDS_AT_ONCE`]): one builds while the other's tests run,
//! so the fair corpus is also graded on a busy machine.
//! A fixture's mismatches are its own test's failure, all listed. A fixture whose expectation the
//! grader does not meet yet (a defect found by the corpus) is marked `# SHOULD:` in the corpus
//! file, with what the grader gives today, and fails until the grader is fixed. The cheap
//! checks of the corpus itself (well formed, edits that apply, scores that agree with the
//! failures) and of the grader README's table of attacks, which is generated from the corpus,
//! are tests of their own.
//!
//! While calibrating fixtures, grade several with
//! `CORPUS_ONLY=deadlock,memory-bomb cargo test -p grader --test corpus`, and
//! keep the submissions graded with `CORPUS_KEEP=DIR` (one folder per round, named by its
//! fixtures' ids joined by `+`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use grader::compile::scratch::copy_tree;
use grader::cores::Cores;
use grader::execute::outcome::{Failure, TestOutcome};
use grader::grade::{Grader, LabSubmission};
use grader::intake::catalog::{Lab, TestId, Tier, expected_tests, lab};
use grader::intake::collect::collect;
use grader::score::report::LabReport;
use grader::score::rubric::Rubric;
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use common::pristine;

/// How long a visible or hidden test may run in the corpus.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a loom model may run in the corpus.
const LOOM_TIMEOUT: Duration = Duration::from_secs(40);

/// The address space a visible or hidden test may map in the corpus: half the grader's
/// default, so that the memory bomb fills it in a second or two even where first touching
/// memory is slow (a fresh virtual machine), well within [`TEST_TIMEOUT`].
const MEMORY_LIMIT: u64 = 2 << 30;

/// What the time budget of a fixture allows for each build (one per profile a lab is graded
/// on): enough to build the dependencies on a cold cache, on two busy cores.
const BUILD_BUDGET: Duration = Duration::from_secs(300);

/// Where the `build-script` fixture's build script would leave its mark, had it run.
const BUILD_SCRIPT_MARKER: &str = "/tmp/grader-corpus-build-script-ran";

/// The least number of fixtures the corpus holds.
const MIN_FIXTURES: usize = 30;

/// The least number of correct alternatives the fair corpus holds.
const MIN_FAIR_FIXTURES: usize = 25;

/// How many times each round is graded unless `CORPUS_GRADINGS` says otherwise: every
/// grading must give the same outcomes.
const GRADINGS: usize = 2;

/// How many times each round is graded: `CORPUS_GRADINGS`, or [`GRADINGS`].
fn gradings() -> usize {
    std::env::var("CORPUS_GRADINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(GRADINGS)
}

/// The fair corpus file: correct programs written differently from the references.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FairCorpus {
    /// Every alternative, in the order they are graded.
    #[serde(default)]
    fixture: Vec<FairFixture>,
}

/// One correct alternative: it must get full marks on every tier, stress included.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FairFixture {
    /// Its name, in kebab-case, starting with `fair-`; its files live in `files/<id>/`.
    id: String,
    /// How it differs from the reference, in one line.
    alternative: String,
    /// The labs it hands in.
    labs: Vec<FairLab>,
}

/// One lab of a correct alternative.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FairLab {
    /// The lab's name.
    name: String,
    /// What its `src/lib.rs` starts from, before `files/<id>/` is laid over it.
    base: Base,
    /// Edits of the base `src/lib.rs`, applied in order.
    #[serde(default)]
    edit: Vec<Edit>,
}

impl FairFixture {
    /// The fixture that grades it: nothing fails, every tier of each lab, full marks.
    fn into_fixture(self, rubric: &Rubric) -> Result<Fixture> {
        let labs = self
            .labs
            .into_iter()
            .map(|fair| {
                let lab = lab(&fair.name).with_context(|| format!("no lab is {}", fair.name))?;
                let mut tiers = vec![Tier::Visible, Tier::Hidden, Tier::Stress];
                tiers.extend(lab.loom.then_some(Tier::Loom));
                tiers.sort();
                let score = tests_of(lab, &tiers)?
                    .iter()
                    .map(|test| rubric.points(lab.name, test))
                    .sum();
                Ok(LabCase {
                    name: fair.name,
                    base: fair.base,
                    tiers: Some(tiers),
                    fails: Fails::Listed(Vec::new()),
                    score,
                    reason: String::new(),
                    reasons: BTreeMap::new(),
                    timeline: None,
                    edit: fair.edit,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Fixture {
            id: self.id,
            attack: self.alternative,
            stopped_by: "nothing: a correct program gets full marks".to_owned(),
            labs,
            non_utf8_file: None,
            symlinks: Vec::new(),
            renames: Vec::new(),
        })
    }
}

/// The corpus file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    /// Every fixture, in the order they are graded.
    fixture: Vec<Fixture>,
}

/// One hostile or broken submission and how it must be graded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// Its name, in kebab-case; its extra files live in `files/<id>/`.
    id: String,
    /// The attack or mistake, in one line.
    attack: String,
    /// Which mechanism of the grader stops it, in one line.
    stopped_by: String,
    /// The labs it hands in, each with the grading it must get.
    labs: Vec<LabCase>,
    /// A file whose name is not UTF-8, which git cannot hold portably: the harness makes it.
    non_utf8_file: Option<NonUtf8File>,
    /// Symbolic links the harness makes, each replacing whatever its path held.
    #[serde(default)]
    symlinks: Vec<Symlink>,
    /// Files the harness renames, once everything else is in place.
    #[serde(default)]
    renames: Vec<Rename>,
}

/// One lab of a fixture.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabCase {
    /// The lab's name, e.g. `lab1-lock`.
    name: String,
    /// What its `src/lib.rs` starts from.
    base: Base,
    /// The tiers it is graded on; all the lab has when left out.
    tiers: Option<Vec<Tier>>,
    /// The tests that must fail.
    fails: Fails,
    /// The points it must score.
    score: f64,
    /// Text every failure's reason must contain (empty when nothing fails), unless
    /// `reasons` names the test.
    #[serde(default)]
    reason: String,
    /// Text the reason of the named failing tests must contain instead of `reason`, where
    /// one bug fails several tests, each saying it its own way.
    #[serde(default)]
    reasons: BTreeMap<String, String>,
    /// Edits of the base `src/lib.rs`, applied in order.
    #[serde(default)]
    edit: Vec<Edit>,
    /// A failing loom test ("loom::name") whose timeline is checked: at most
    /// [`TIMELINE_ROWS`] step rows, only the lab's `src/lib.rs` and its test file named, and
    /// the text of the snapshot `corpus__timeline-<fixture id>`.
    timeline: Option<String>,
}

/// What a lab's `src/lib.rs` starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Base {
    /// `solutions/<lab>/src/lib.rs`.
    Reference,
    /// `<lab>/src/lib.rs`, the `todo!()` stub.
    Stub,
    /// No lab folder at all.
    Missing,
}

/// The tests that must fail: `"all"`, or a list of `"target::name"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Fails {
    /// Every test of the graded tiers.
    All(AllTests),
    /// Exactly these.
    Listed(Vec<String>),
}

/// The keyword `"all"`.
#[derive(Debug, Deserialize)]
enum AllTests {
    /// `"all"`.
    #[serde(rename = "all")]
    All,
}

/// Replace `replace`, which must occur exactly once, with `with`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    /// The text replaced.
    replace: String,
    /// What replaces it.
    with: String,
}

/// A file named with bytes that are not UTF-8.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NonUtf8File {
    /// The folder it goes in, relative to the submission.
    dir: String,
    /// What it holds.
    content: String,
}

/// A symbolic link.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Symlink {
    /// Where the link goes, relative to the submission.
    path: String,
    /// What it points to; `{pristine}` stands for the pristine workspace.
    target: String,
}

/// A file renamed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    /// Its path, relative to the submission.
    from: String,
    /// Its new path, relative to the submission.
    to: String,
}

impl LabCase {
    /// The lab, if the catalogue knows it.
    fn lab(&self) -> Result<&'static Lab> {
        lab(&self.name).with_context(|| format!("no lab is called {}", self.name))
    }

    /// The tiers graded: those given, or every scored tier the lab has (stress tests are
    /// worth nothing, and what they find in a broken program depends on luck).
    fn tiers(&self) -> Result<Vec<Tier>> {
        let lab = self.lab()?;
        Ok(self.tiers.clone().unwrap_or_else(|| {
            let mut tiers = vec![Tier::Visible, Tier::Hidden];
            tiers.extend(lab.loom.then_some(Tier::Loom));
            tiers
        }))
    }
}

/// The name of the file [`NonUtf8File`] makes: `\xff\xfe.rs`, which no UTF-8 decoder accepts.
fn non_utf8_name() -> &'static OsStr {
    OsStr::from_bytes(b"\xff\xfe.rs")
}

/// The corpus folder.
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The rubric the corpus is scored with.
fn rubric() -> Rubric {
    Rubric::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rubric.toml")).expect("rubric")
}

/// A grader with the corpus's short timeouts and smaller memory limit, sharing the other
/// tests' build cache, paced by the references as a grader of a class is (their times kept by
/// the contract test, or measured here), so that the fair corpus proves the pace fair. Each
/// of the [`ROUNDS_AT_ONCE`] rounds runs as many tests at once as a lone grading does: many
/// of the corpus's tests wait out a timeout without using a core.
fn corpus_grader() -> Grader {
    let mut grader = common::grader();
    grader.limits.timeout = TEST_TIMEOUT;
    grader.limits.memory_bytes = MEMORY_LIMIT;
    grader.loom_limits.timeout = LOOM_TIMEOUT;
    grader.paced = true;
    grader.cores = Arc::new(Cores::new(2 * ROUNDS_AT_ONCE));
    grader
}

/// Grades `labs` of the submission in `submission`, each on its tiers, [`gradings`] times
/// over one build: the one place the corpus calls the grader. One map of each lab's outcomes
/// per grading.
fn grade_fixture(
    grader: &Grader,
    submission: &Path,
    labs: &[(&Lab, Vec<Tier>)],
) -> Result<Vec<BTreeMap<String, Vec<TestOutcome>>>> {
    let submissions = labs
        .iter()
        .map(|(lab, tiers)| LabSubmission {
            lab,
            sources: collect(submission, lab.name),
            tiers,
        })
        .collect();
    let gradings = grader.grade_labs_runs(submissions, gradings())?;
    Ok(gradings
        .into_iter()
        .map(|graded| {
            labs.iter()
                .map(|(lab, _)| lab.name.to_owned())
                .zip(graded)
                .collect()
        })
        .collect())
}

/// Both corpora, read and checked: the hostile one, and the fair one as fixtures that expect
/// full marks.
struct Corpora {
    /// Attacks and mistakes, each with its exact grading.
    hostile: Vec<Fixture>,
    /// Correct alternatives, each expecting full marks.
    fair: Vec<Fixture>,
}

/// Reads and checks both corpora: every problem found, or the corpora.
fn load() -> Result<Corpora> {
    let read = |name: &str| -> Result<String> {
        let path = corpus_dir().join(name);
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let hostile: Corpus = toml::from_str(&read("corpus.toml")?).context("corpus.toml")?;
    let fair: FairCorpus = toml::from_str(&read("fair.toml")?).context("fair.toml")?;
    let rubric = rubric();
    let mut problems = Vec::new();
    let mut fair_fixtures = Vec::new();
    for fixture in fair.fixture {
        if !fixture.id.starts_with("fair-") {
            problems.push(format!(
                "{}: a fair fixture's id starts with `fair-`",
                fixture.id
            ));
        }
        let id = fixture.id.clone();
        match fixture.into_fixture(&rubric) {
            Ok(fixture) => fair_fixtures.push(fixture),
            Err(error) => problems.push(format!("{id}: {error:#}")),
        }
    }
    let every = hostile.fixture.iter().chain(&fair_fixtures);
    let mut ids = BTreeSet::new();
    for fixture in every.clone() {
        if !ids.insert(fixture.id.as_str()) {
            problems.push(format!("{}: the id is used twice", fixture.id));
        }
        if let Err(error) = check_fixture(fixture, &rubric) {
            problems.push(format!("{}: {error:#}", fixture.id));
        }
    }
    if hostile.fixture.len() < MIN_FIXTURES {
        problems.push(format!(
            "the corpus holds {} fixtures, fewer than {MIN_FIXTURES}",
            hostile.fixture.len()
        ));
    }
    if fair_fixtures.len() < MIN_FAIR_FIXTURES {
        problems.push(format!(
            "the fair corpus holds {} fixtures, fewer than {MIN_FAIR_FIXTURES}",
            fair_fixtures.len()
        ));
    }
    for entry in fs::read_dir(corpus_dir().join("files"))? {
        let name = entry?.file_name();
        let Some(fixture) = every.clone().find(|f| *f.id == *name) else {
            problems.push(format!("files/{name:?} belongs to no fixture"));
            continue;
        };
        // Fixtures share a submission when their labs differ: each keeps to its own labs.
        for top in fs::read_dir(corpus_dir().join("files").join(&name))? {
            let top = top?.file_name();
            // A student may edit the support crates too (the grader ignores it).
            let handed_in = top == "support"
                || fixture
                    .labs
                    .iter()
                    .any(|case| case.base != Base::Missing && *case.name == *top);
            if !handed_in {
                problems.push(format!(
                    "files/{name:?}/{top:?} is neither `support` nor a lab the fixture hands in"
                ));
            }
        }
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(Corpora {
        hostile: hostile.fixture,
        fair: fair_fixtures,
    })
}

/// Checks one fixture: names, labs, tiers, edits, failures, reasons, and that the score is
/// what the rubric gives for the tests that do not fail.
fn check_fixture(fixture: &Fixture, rubric: &Rubric) -> Result<()> {
    let kebab = !fixture.id.is_empty()
        && fixture.id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    ensure!(kebab, "the id is not kebab-case");
    for (what, line) in [
        ("attack", &fixture.attack),
        ("stopped_by", &fixture.stopped_by),
    ] {
        ensure!(
            !line.trim().is_empty() && !line.contains('\n') && !line.contains('|'),
            "`{what}` must be one line, without `|` (it is a cell of the README's table)"
        );
    }
    ensure!(!fixture.labs.is_empty(), "it hands in no lab");
    let mut names = BTreeSet::new();
    for case in &fixture.labs {
        ensure!(names.insert(&case.name), "{} is handed in twice", case.name);
        check_case(case, rubric).with_context(|| case.name.clone())?;
    }
    let extra_paths = fixture
        .symlinks
        .iter()
        .map(|link| &link.path)
        .chain(fixture.non_utf8_file.iter().map(|file| &file.dir))
        .chain(
            fixture
                .renames
                .iter()
                .flat_map(|rename| [&rename.from, &rename.to]),
        );
    for path in extra_paths {
        let in_a_lab = fixture
            .labs
            .iter()
            .any(|case| case.base != Base::Missing && path.starts_with(&format!("{}/", case.name)));
        ensure!(in_a_lab, "{path} is not inside a lab the fixture hands in");
    }
    Ok(())
}

/// Checks one lab of a fixture.
fn check_case(case: &LabCase, rubric: &Rubric) -> Result<()> {
    let (lab, tiers) = (case.lab()?, case.tiers()?);
    ensure!(!tiers.is_empty(), "no tier is graded");
    ensure!(
        tiers.iter().collect::<BTreeSet<_>>().len() == tiers.len(),
        "a tier is listed twice"
    );
    ensure!(
        lab.loom || !tiers.contains(&Tier::Loom),
        "the lab has no loom tier"
    );
    ensure!(
        case.base != Base::Missing || case.edit.is_empty(),
        "a missing lab cannot be edited"
    );
    if case.base != Base::Missing {
        lib_source(case)?;
    }
    let tests = tests_of(lab, &tiers)?;
    let failing = failing(case, &tests)?;
    ensure!(
        failing.is_empty() == case.reason.is_empty(),
        "`reason` must be given exactly when some test fails"
    );
    for named in case.reasons.keys() {
        ensure!(
            failing.contains(named),
            "`reasons` names {named}, which is not among the failing tests"
        );
    }
    let expected: f64 = tests
        .iter()
        .filter(|test| !failing.contains(&test.to_string()))
        .map(|test| rubric.points(lab.name, test))
        .sum();
    ensure!(
        (expected - case.score).abs() < 1e-9,
        "`score` is {}, but the tests that do not fail are worth {expected}",
        case.score
    );
    Ok(())
}

/// The expected tests of `lab` in `tiers`.
fn tests_of(lab: &Lab, tiers: &[Tier]) -> Result<Vec<TestId>> {
    let mut tests = expected_tests(&pristine().join(lab.name))?;
    tests.retain(|test| tiers.contains(&test.tier));
    Ok(tests)
}

/// The tests of `tests` that `case` says fail, as `target::name`; every listed one must exist.
fn failing(case: &LabCase, tests: &[TestId]) -> Result<BTreeSet<String>> {
    let all: BTreeSet<String> = tests.iter().map(ToString::to_string).collect();
    match &case.fails {
        Fails::All(AllTests::All) => Ok(all),
        Fails::Listed(listed) => {
            let failing: BTreeSet<String> = listed.iter().cloned().collect();
            ensure!(
                failing.len() == listed.len(),
                "a failing test is listed twice"
            );
            if let Some(unknown) = failing.difference(&all).next() {
                bail!("{unknown} is not a test of the graded tiers");
            }
            Ok(failing)
        }
    }
}

/// The `src/lib.rs` a lab case hands in: its base with its edits.
fn lib_source(case: &LabCase) -> Result<String> {
    let base = match case.base {
        Base::Reference => pristine().join("solutions").join(&case.name),
        Base::Stub => pristine().join(&case.name),
        Base::Missing => bail!("a missing lab has no source"),
    };
    let mut text = fs::read_to_string(base.join("src/lib.rs"))?;
    for edit in &case.edit {
        let found = text.matches(&edit.replace).count();
        ensure!(
            found == 1,
            "the base lib.rs must hold {:?} exactly once, holds it {found} times",
            edit.replace
        );
        text = text.replacen(&edit.replace, &edit.with, 1);
    }
    Ok(text)
}

/// Makes the fixture's submission in the empty folder `root`.
fn hand_in(fixture: &Fixture, root: &Path) -> Result<()> {
    for case in fixture
        .labs
        .iter()
        .filter(|case| case.base != Base::Missing)
    {
        let (from, to) = (pristine().join(&case.name), root.join(&case.name));
        fs::create_dir_all(&to)?;
        fs::copy(from.join("Cargo.toml"), to.join("Cargo.toml"))?;
        for folder in ["src", "tests"] {
            copy_tree(&from.join(folder), &to.join(folder))?;
        }
        fs::write(to.join("src/lib.rs"), lib_source(case)?)?;
    }
    let files = corpus_dir().join("files").join(&fixture.id);
    if files.is_dir() {
        copy_tree(&files, root)?;
    }
    if let Some(file) = &fixture.non_utf8_file {
        let dir = root.join(&file.dir);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(non_utf8_name()), &file.content)?;
    }
    for link in &fixture.symlinks {
        let path = root.join(&link.path);
        match path.symlink_metadata() {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&path)?,
            Ok(_) => fs::remove_file(&path)?,
            Err(_) => {}
        }
        let target = link
            .target
            .replace("{pristine}", &pristine().display().to_string());
        std::os::unix::fs::symlink(target, &path)?;
    }
    for rename in &fixture.renames {
        fs::rename(root.join(&rename.from), root.join(&rename.to))?;
    }
    Ok(())
}

/// A hash of every name, kind, file content and link target under `root`, leaving out a
/// top-level `target` and `.git`.
fn digest(root: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            !(entry.depth() == 1
                && [".git", "target"]
                    .map(OsStr::new)
                    .contains(&entry.file_name()))
        });
    for entry in walker {
        let entry = entry?;
        hasher.update(entry.path().strip_prefix(root)?.as_os_str().as_bytes());
        let kind = entry.file_type();
        if kind.is_symlink() {
            hasher.update(b"\0link\0");
            hasher.update(fs::read_link(entry.path())?.as_os_str().as_bytes());
        } else if kind.is_file() {
            hasher.update(b"\0file\0");
            hasher.update(fs::read(entry.path())?);
        } else {
            hasher.update(b"\0dir\0");
        }
        hasher.update(b"\0");
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// How long grading `fixture` [`gradings`] times may take: each build (once) at
/// [`BUILD_BUDGET`], and in every grading every test at its timeout one after another (a
/// failed loom model runs twice: once more for its trace).
fn budget(fixture: &Fixture, grader: &Grader) -> Result<Duration> {
    let mut budget = Duration::from_secs(30);
    let gradings = u32::try_from(gradings()).unwrap_or(u32::MAX);
    for case in &fixture.labs {
        let tiers = case.tiers()?;
        let threads = tiers.iter().any(|tier| *tier != Tier::Loom);
        let loom = tiers.contains(&Tier::Loom);
        budget += BUILD_BUDGET * (u32::from(threads) + u32::from(loom));
        for test in tests_of(case.lab()?, &tiers)? {
            budget += gradings
                * match test.tier {
                    Tier::Loom => grader.loom_limits.timeout * 2,
                    _ => grader.limits.timeout,
                };
        }
    }
    Ok(budget)
}

/// What grading one fixture gave.
enum Graded {
    /// Each grading's outcomes of each lab, by lab name.
    Outcomes(Vec<BTreeMap<String, Vec<TestOutcome>>>),
    /// The grader failed or panicked: why.
    Failed(String),
    /// Grading ran past the fixture's budget; it may still be running.
    OutOfTime(Duration),
}

/// Grades the fixture's submission in `submission` with [`grade_fixture`], giving up after
/// `budget`.
fn grade_within(
    grader: &Grader,
    submission: &Path,
    labs: Vec<(&'static Lab, Vec<Tier>)>,
    budget: Duration,
) -> Graded {
    let (sender, receiver) = mpsc::channel();
    let (grader, submission) = (grader.clone(), submission.to_owned());
    thread::spawn(move || {
        let graded = grade_fixture(&grader, &submission, &labs);
        let _ = sender.send(graded);
    });
    match receiver.recv_timeout(budget) {
        Ok(Ok(graded)) => Graded::Outcomes(graded),
        Ok(Err(error)) => Graded::Failed(format!("the grader failed: {error:#}")),
        Err(RecvTimeoutError::Disconnected) => Graded::Failed("the grader panicked".to_owned()),
        Err(RecvTimeoutError::Timeout) => Graded::OutOfTime(budget),
    }
}

/// How grading one round of fixtures differed from what the corpus expects.
struct Verdict {
    /// Each fixture's id and differences, one line each (none: graded exactly).
    mismatches: Vec<(String, Vec<String>)>,
    /// The timelines the fixtures ask to be checked, by fixture id.
    timelines: Vec<(String, String)>,
    /// Whether grading ran past its budget, so that it may still hold the build workspace.
    out_of_time: bool,
}

/// Groups `fixtures` into rounds whose fixtures hand in different labs, first fit in corpus
/// order: one round is one submission, graded with one build per profile.
fn rounds<'a>(fixtures: &[&'a Fixture]) -> Vec<Vec<&'a Fixture>> {
    let mut rounds: Vec<(BTreeSet<&str>, Vec<&Fixture>)> = Vec::new();
    for fixture in fixtures {
        let labs: BTreeSet<&str> = fixture.labs.iter().map(|case| case.name.as_str()).collect();
        match rounds
            .iter_mut()
            .find(|(taken, _)| taken.is_disjoint(&labs))
        {
            Some((taken, round)) => {
                taken.extend(labs);
                round.push(fixture);
            }
            None => rounds.push((labs, vec![fixture])),
        }
    }
    rounds.into_iter().map(|(_, round)| round).collect()
}

/// Grades one round of fixtures as one submission and compares the result with the corpus.
/// A difference no single fixture explains (a build script ran, a file changed) is charged
/// to every fixture of the round.
fn grade_and_compare(round: &[&Fixture], grader: &Grader, rubric: &Rubric) -> Result<Verdict> {
    let ids: Vec<&str> = round.iter().map(|fixture| fixture.id.as_str()).collect();
    let folder = tempfile::Builder::new()
        .prefix(&format!("corpus-{}-", ids[0]))
        .tempdir()?;
    let submission = folder.path().join("submission");
    fs::create_dir(&submission)?;
    for fixture in round {
        hand_in(fixture, &submission)?;
    }
    if let Ok(keep) = std::env::var("CORPUS_KEEP") {
        copy_tree(&submission, &Path::new(&keep).join(ids.join("+")))?;
    }
    let before = (digest(&pristine())?, digest(&submission)?);
    let mut labs = Vec::new();
    let mut budget = Duration::ZERO;
    for fixture in round {
        for case in &fixture.labs {
            labs.push((case.lab()?, case.tiers()?));
        }
        budget += self::budget(fixture, grader)?;
    }

    let mut verdict = Verdict {
        mismatches: round
            .iter()
            .map(|fixture| (fixture.id.clone(), Vec::new()))
            .collect(),
        timelines: Vec::new(),
        out_of_time: false,
    };
    let mut whole_round = Vec::new();
    match grade_within(grader, &submission, labs.clone(), budget) {
        Graded::Outcomes(gradings) => {
            let mut gradings = (1..).zip(&gradings);
            if let Some((_, graded)) = gradings.next() {
                for (fixture, (_, mismatches)) in round.iter().zip(&mut verdict.mismatches) {
                    for case in &fixture.labs {
                        let outcomes = graded.get(&case.name).cloned().unwrap_or_default();
                        if let Some(test) = &case.timeline {
                            match checked_timeline(test, &outcomes) {
                                Ok(timeline) => {
                                    verdict.timelines.push((fixture.id.clone(), timeline));
                                }
                                Err(why) => mismatches.push(format!("{}: {why}", case.name)),
                            }
                        }
                        mismatches.extend(compare(case, outcomes, rubric, grader)?);
                    }
                }
                for (grading, again) in gradings {
                    for (fixture, (_, mismatches)) in round.iter().zip(&mut verdict.mismatches) {
                        for case in &fixture.labs {
                            let [a, b] = [graded, again].map(|g| g.get(&case.name));
                            mismatches.extend(differences(&case.name, grading, a, b, rubric));
                        }
                    }
                }
            }
        }
        Graded::Failed(why) => whole_round.push(why),
        Graded::OutOfTime(budget) => {
            verdict.out_of_time = true;
            whole_round.push(format!("grading ran past its budget of {budget:?}"));
        }
    }
    if !verdict.out_of_time {
        if Path::new(BUILD_SCRIPT_MARKER).exists() {
            whole_round.push(format!(
                "a build script of the submission ran: {BUILD_SCRIPT_MARKER} was written"
            ));
        }
        if digest(&pristine())? != before.0 {
            whole_round.push("grading changed the pristine workspace".to_owned());
        }
        if digest(&submission)? != before.1 {
            whole_round.push("grading changed the submission".to_owned());
        }
    }
    for why in whole_round {
        for (_, mismatches) in &mut verdict.mismatches {
            mismatches.push(format!("{why} (graded in one submission with {ids:?})"));
        }
    }
    Ok(verdict)
}

/// How grading number `grading` of lab `lab` differs from the first: tests whose outcome
/// changed, and the score.
fn differences(
    lab: &str,
    grading: usize,
    first: Option<&Vec<TestOutcome>>,
    again: Option<&Vec<TestOutcome>>,
    rubric: &Rubric,
) -> Vec<String> {
    let (first, again) = (
        first.cloned().unwrap_or_default(),
        again.cloned().unwrap_or_default(),
    );
    let failed = |outcomes: &[TestOutcome]| -> BTreeSet<String> {
        outcomes
            .iter()
            .filter(|o| !o.is_pass())
            .map(|o| o.test.to_string())
            .collect()
    };
    let mut differences = Vec::new();
    let (before, now) = (failed(&first), failed(&again));
    if before != now {
        differences.push(format!(
            "{lab}: grading {grading} failed {now:?}, the first failed {before:?}: the outcome \
             depends on the run"
        ));
    }
    let [a, b] = [first, again].map(|outcomes| LabReport::new(lab, outcomes, rubric).score);
    if (a - b).abs() > 1e-9 {
        differences.push(format!(
            "{lab}: grading {grading} scored {b}, the first {a}"
        ));
    }
    differences
}

/// The most step rows a timeline may have.
const TIMELINE_ROWS: usize = 12;

/// The timeline of the failed loom test `test` among `outcomes`, if it has at most
/// [`TIMELINE_ROWS`] step rows and names no file but the lab's `src/lib.rs` and its test file;
/// else what is wrong with it.
fn checked_timeline(test: &str, outcomes: &[TestOutcome]) -> Result<String, String> {
    let outcome = outcomes
        .iter()
        .find(|outcome| outcome.test.to_string() == test)
        .ok_or_else(|| format!("{test} was not graded"))?;
    let Some(Failure::LoomCounterexample {
        interleaving: Some(timeline),
        ..
    }) = &outcome.failure
    else {
        return Err(format!("{test} has no timeline: {}", outcome.reason()));
    };
    let rows = timeline
        .lines()
        .filter(|line| {
            let label = line.trim_start();
            label.starts_with(|c: char| c.is_ascii_digit())
                && label
                    .split_once("  ")
                    .is_some_and(|(number, _)| number.parse::<usize>().is_ok())
        })
        .count();
    if rows > TIMELINE_ROWS {
        return Err(format!(
            "{test}'s timeline has {rows} step rows, more than {TIMELINE_ROWS}:\n{timeline}"
        ));
    }
    let files: BTreeSet<&str> = timeline
        .match_indices(".rs:")
        .map(|(at, _)| {
            let start = timeline[..at]
                .rfind(|c: char| c.is_whitespace() || c == '(')
                .map_or(0, |space| space + 1);
            &timeline[start..at + 3]
        })
        .collect();
    let foreign: Vec<&&str> = files
        .iter()
        .filter(|file| !["src/lib.rs", "tests/loom.rs"].contains(file))
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "{test}'s timeline names {foreign:?}, not only the lab's src/lib.rs and \
             tests/loom.rs:\n{timeline}"
        ));
    }
    Ok(timeline.clone())
}

/// Every way one lab's outcomes differ from its case.
fn compare(
    case: &LabCase,
    outcomes: Vec<TestOutcome>,
    rubric: &Rubric,
    grader: &Grader,
) -> Result<Vec<String>> {
    let lab = case.lab()?;
    let tests = tests_of(lab, &case.tiers()?)?;
    let expected = failing(case, &tests)?;
    let mut mismatches = Vec::new();
    let mut say = |what: String| mismatches.push(format!("{}: {what}", case.name));

    let graded: Vec<String> = outcomes.iter().map(|o| o.test.to_string()).collect();
    let wanted: Vec<String> = tests.iter().map(ToString::to_string).collect();
    if graded != wanted {
        say(format!("graded the tests {graded:?}, expected {wanted:?}"));
    }
    let failed: BTreeSet<String> = outcomes
        .iter()
        .filter(|o| !o.is_pass())
        .map(|o| o.test.to_string())
        .collect();
    if failed != expected {
        let unexpected: Vec<&String> = failed.difference(&expected).collect();
        let passed: Vec<&String> = expected.difference(&failed).collect();
        say(format!(
            "failed unexpectedly: {unexpected:?}; passed although they should fail: {passed:?}"
        ));
    }
    let score = LabReport::new(lab.name, outcomes.clone(), rubric).score;
    if (score - case.score).abs() > 1e-9 {
        say(format!("scored {score}, expected {}", case.score));
    }
    for outcome in outcomes.iter().filter(|o| !o.is_pass()) {
        let reason = outcome.reason();
        let wanted = case
            .reasons
            .get(&outcome.test.to_string())
            .unwrap_or(&case.reason);
        if reason.trim().is_empty() || !reason.contains(wanted) {
            say(format!(
                "{} failed for the reason {reason:?}, which should contain {wanted:?}",
                outcome.test
            ));
        }
    }
    let cap = 4 * grader.limits.output_bytes + 4096;
    for outcome in outcomes.iter().filter(|o| o.output.len() > cap) {
        say(format!(
            "{} kept {} bytes of output, more than the capture cap allows ({cap})",
            outcome.test,
            outcome.output.len()
        ));
    }
    Ok(mismatches)
}

/// How many rounds are graded at once: while one round's tests run, the next one builds (the
/// grader's builds take turns in its one build workspace).
const ROUNDS_AT_ONCE: usize = 2;

/// Grades `round` with [`grade_and_compare`]; a harness that fails charges every fixture of
/// the round.
fn graded_round(round: &[&Fixture], grader: &Grader, rubric: &Rubric) -> Verdict {
    grade_and_compare(round, grader, rubric).unwrap_or_else(|error| Verdict {
        mismatches: round
            .iter()
            .map(|fixture| {
                let why = format!("the harness failed: {error:#}");
                (fixture.id.clone(), vec![why])
            })
            .collect(),
        timelines: Vec::new(),
        out_of_time: false,
    })
}

/// What grading found of one fixture: its differences from the corpus (none: graded
/// exactly), and the timeline it asks to be checked, if any.
#[derive(Debug, Default)]
struct Found {
    mismatches: Vec<String>,
    timeline: Option<String>,
}

/// Each fixture's [`Found`], by id, as its round is graded.
#[derive(Default)]
struct Findings {
    told: Mutex<Told>,
    added: Condvar,
}

/// What was found of the fixtures graded so far and not yet taken, and the ids of every
/// fixture told (taken or not).
#[derive(Default)]
struct Told {
    found: BTreeMap<String, Found>,
    ids: BTreeSet<String>,
}

impl Findings {
    fn add(&self, id: &str, found: Found) {
        let mut told = self.told.lock().unwrap();
        told.found.insert(id.to_owned(), found);
        told.ids.insert(id.to_owned());
        self.added.notify_all();
    }

    /// Tells every fixture of `chosen` not told yet that it was not graded, because `why`:
    /// no trial waits for ever.
    fn fail_the_rest(&self, chosen: &[&Fixture], why: &str) {
        for fixture in chosen {
            let told = self.told.lock().unwrap().ids.contains(&fixture.id);
            if !told {
                let mismatches = vec![why.to_owned()];
                let timeline = None;
                self.add(
                    &fixture.id,
                    Found {
                        mismatches,
                        timeline,
                    },
                );
            }
        }
    }

    /// Waits until the fixture `id` is graded, and takes what was found.
    fn take(&self, id: &str) -> Found {
        let mut told = self.told.lock().unwrap();
        loop {
            if let Some(mine) = told.found.remove(id) {
                return mine;
            }
            told = self.added.wait(told).unwrap();
        }
    }
}

/// Grades `chosen` in rounds, [`ROUNDS_AT_ONCE`] at a time, telling `findings` each fixture's
/// [`Found`] as its round ends. After a round that ran out of time (its grading may still hold
/// the build workspace, and would hold up every round after it), the rounds left are not
/// graded, and their fixtures say so.
fn grade_corpus(chosen: &[&Fixture], findings: &Findings) {
    if Path::new(BUILD_SCRIPT_MARKER).exists() {
        fs::remove_file(BUILD_SCRIPT_MARKER).expect("cannot remove the build script's marker");
    }
    let (grader, rubric) = (corpus_grader(), rubric());
    let start = Instant::now();
    let rounds = rounds(chosen);
    let next = Mutex::new(rounds.iter());
    let stopped: Mutex<Option<&str>> = Mutex::new(None);
    let exact = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..ROUNDS_AT_ONCE {
            scope.spawn(|| {
                while let Some(round) = next.lock().unwrap().next() {
                    if let Some(id) = *stopped.lock().unwrap() {
                        let why = format!(
                            "not graded: the corpus stopped after the round of {id}, whose \
                             grading may still hold the build workspace"
                        );
                        for fixture in round {
                            let mismatches = vec![why.clone()];
                            findings.add(
                                &fixture.id,
                                Found {
                                    mismatches,
                                    timeline: None,
                                },
                            );
                        }
                        continue;
                    }
                    let verdict = graded_round(round, &grader, &rubric);
                    if verdict.out_of_time {
                        *stopped.lock().unwrap() = Some(round[0].id.as_str());
                    }
                    let mut timelines: BTreeMap<String, String> =
                        verdict.timelines.into_iter().collect();
                    for (id, mismatches) in verdict.mismatches {
                        if mismatches.is_empty() {
                            exact.fetch_add(1, Ordering::Relaxed);
                        }
                        let timeline = timelines.remove(&id);
                        findings.add(
                            &id,
                            Found {
                                mismatches,
                                timeline,
                            },
                        );
                    }
                }
            });
        }
    });
    eprintln!(
        "corpus: {} of {} fixtures graded exactly in {:.0} s",
        exact.into_inner(),
        chosen.len(),
        start.elapsed().as_secs_f64()
    );
}

/// The trial of `fixture`: it passes when its round graded it exactly and its timeline, if it
/// asks for one, is its snapshot's.
fn fixture_trial(fixture: &'static Fixture, findings: &Arc<Findings>) -> Trial {
    let findings = Arc::clone(findings);
    Trial::test(&fixture.id, move || {
        let found = findings.take(&fixture.id);
        if let Some(timeline) = &found.timeline {
            insta::assert_snapshot!(format!("timeline-{}", fixture.id), timeline);
        }
        if found.mismatches.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} ({}), not graded as the corpus expects:\n  {}",
            fixture.id,
            fixture.attack,
            found.mismatches.join("\n  ")
        )
        .into())
    })
}

/// One trial per fixture, named by its id, of kind `hostile` or `fair` (`CORPUS_ONLY=a,b`
/// keeps only those). The fixtures that `args` select are graded in the background, starting
/// now, and each trial waits for its own.
fn fixture_trials(args: &Arguments, corpora: Corpora) -> Vec<Trial> {
    let corpora: &'static Corpora = Box::leak(Box::new(corpora));
    let only = std::env::var("CORPUS_ONLY").ok();
    let only: Option<BTreeSet<&str>> = only
        .as_deref()
        .map(|ids| ids.split(',').map(str::trim).collect());
    let every = (corpora.hostile.iter().map(|fixture| (fixture, "hostile")))
        .chain(corpora.fair.iter().map(|fixture| (fixture, "fair")))
        .filter(|(fixture, _)| {
            only.as_ref()
                .is_none_or(|only| only.contains(fixture.id.as_str()))
        });
    let findings = Arc::new(Findings::default());
    let (mut trials, mut chosen) = (Vec::new(), Vec::new());
    for (fixture, kind) in every {
        let trial = fixture_trial(fixture, &findings).with_kind(kind);
        if !args.list && !args.ignored && !args.is_filtered_out(&trial) {
            chosen.push(fixture);
        }
        trials.push(trial);
    }
    if !chosen.is_empty() {
        let findings = Arc::clone(&findings);
        thread::spawn(move || {
            let graded = panic::catch_unwind(AssertUnwindSafe(|| grade_corpus(&chosen, &findings)));
            if graded.is_err() {
                let why = "not graded: the corpus harness panicked (its message is above)";
                findings.fail_the_rest(&chosen, why);
            }
        });
    }
    trials
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("the_corpus_is_well_formed", the_corpus_is_well_formed),
        Trial::test(
            "the_readme_table_is_the_corpus",
            the_readme_table_is_the_corpus,
        ),
        Trial::test(
            "the_readme_counts_the_fair_corpus",
            the_readme_counts_the_fair_corpus,
        ),
    ];
    if let Ok(corpora) = load() {
        trials.extend(fixture_trials(&args, corpora));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn the_corpus_is_well_formed() -> Result<(), Failed> {
    load()
        .map(drop)
        .map_err(|error| format!("the corpus is not well formed:\n{error:#}").into())
}

fn the_readme_table_is_the_corpus() -> Result<(), Failed> {
    let corpora = load().map_err(|error| format!("the corpus is not well formed:\n{error:#}"))?;
    let mut table =
        String::from("| attack or mistake | what stops it | fixture |\n|---|---|---|\n");
    for fixture in &corpora.hostile {
        table.push_str(&format!(
            "| {} | {} | `{}` |\n",
            fixture.attack, fixture.stopped_by, fixture.id
        ));
    }
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .map_err(|error| format!("cannot read the grader's README: {error}"))?;
    if readme.contains(&table) {
        return Ok(());
    }
    Err(format!(
        "grader/README.md's table of attacks must be generated from tests/corpus/corpus.toml; \
         put this table in its place:\n\n{table}"
    )
    .into())
}

/// The one count of the corpus the README keeps current (the others are dated measurements,
/// each of the corpus as it was): how many correct programs the fair corpus holds.
fn the_readme_counts_the_fair_corpus() -> Result<(), Failed> {
    let corpora = load().map_err(|error| format!("the corpus is not well formed:\n{error:#}"))?;
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = fs::read_to_string(&readme)
        .map_err(|error| format!("cannot read {}: {error}", readme.display()))?;
    let claim = format!(
        "`grader/tests/corpus/fair.toml`: {} correct",
        corpora.fair.len()
    );
    if readme.contains(&claim) {
        return Ok(());
    }
    Err(format!("README.md must say \"{claim}\": the fair corpus's count changed").into())
}
