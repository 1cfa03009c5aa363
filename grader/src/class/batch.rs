//! Batch grading: every submission of a class, N at a time, resumably.
//!
//! A class folder holds one subfolder, or one `.zip` file, per student. Each student's results
//! go to `<out>/students/<id>/` as `report.json` (the versioned report), `results.json`
//! (Gradescope's shape) and, last, `fingerprint`: a hash of what was graded (the student's lab
//! sources, the rubric, the grader's version and its pristine tests). A run skips a student
//! whose `fingerprint` matches, so an interrupted batch run again grades only the students not
//! yet graded, and a submission that changed is graded again. Every file is written whole or
//! not at all (written aside, then renamed), so an interruption never leaves a half-written
//! result.
//!
//! Students share the grader's dependency cache, and each test runs in its own process with
//! its own limits, so one student's infinite loop, memory bomb or compile error changes no
//! other student's score.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::error::{Context, Error, IoContext, Result, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::grade::{ALL_TIERS, Grader, LabSubmission};
use crate::intake::catalog::{KIT_CRATES, Lab};
use crate::intake::collect::{CollectError, collect, find_workspace, workspace_handed_in};
use crate::intake::tree;
use crate::intake::unzip;
use crate::score::report::{LabReport, Report};
use crate::score::rubric::Rubric;

/// The file name of a student's JSON report in their [`student_dir`].
pub const REPORT_JSON: &str = "report.json";

/// The folder of the results of the student `id` in the batch output folder `out`:
/// `out/students/<id>`, with every character of the id other than an ASCII letter or digit,
/// `.`, `_` or `-` replaced by `_`, so that any id is a safe file name. An id that had to be
/// changed (or is only dots, as `..` is) also gets the start of its hash, so that two ids
/// never share a folder (`a b` and `a_b`) and none is the output folder itself.
pub fn student_dir(out: &Path, id: &str) -> PathBuf {
    let mut safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe != id || safe.chars().all(|c| c == '.') {
        let hash = format!("{:x}", Sha256::digest(id.as_bytes()));
        safe = format!("{}-{}", safe.replace('.', "_"), &hash[..8]);
    }
    out.join("students").join(safe)
}

/// One student's submission in a class folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// The student's id: the subfolder's name (lossily made UTF-8).
    pub id: String,
    /// The submission's folder.
    pub path: PathBuf,
}

/// The students of `class_dir`: its subfolders and `.zip` files, by id (a zip's id is its
/// name without `.zip`). Hidden entries (a name that starts with `.`, as `.git` does) and
/// `__MACOSX` (what macOS's archiver adds) are no students. A folder and a zip of the same
/// name would share an id: an error that names both.
pub fn discover(class_dir: &Path) -> Result<Vec<Student>> {
    let mut students = Vec::new();
    for entry in fs::read_dir(class_dir).on("list", class_dir)? {
        let path = entry.on("list", class_dir)?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name == "__MACOSX" {
            continue;
        }
        let id = if path.is_dir() {
            path.file_name()
        } else if unzip::is_zip(&path) {
            path.file_stem()
        } else {
            continue;
        };
        students.push(Student {
            id: id.unwrap_or_default().to_string_lossy().into_owned(),
            path,
        });
    }
    students.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    if let Some(pair) = students.windows(2).find(|pair| pair[0].id == pair[1].id) {
        bail!(
            "{} and {} would both be the student `{}`: keep one of them",
            pair[0].path.display(),
            pair[1].path.display(),
            pair[0].id
        );
    }
    Ok(students)
}

/// What happened to one student in a batch.
#[derive(Debug)]
pub enum Outcome {
    /// Graded in this run.
    Graded(Report),
    /// Graded by an earlier run, on the same submission, rubric and grader.
    Unchanged(Report),
    /// The grader itself failed (not the student's code); nothing was written, so the next
    /// run tries again.
    Failed(Arc<Error>),
}

/// What a batch reports as it goes.
pub trait Progress: Sync {
    /// `student` is being graded.
    fn started(&self, student: &Student);
    /// `student` is done; `outcome` says how.
    fn finished(&self, student: &Student, outcome: &Outcome);
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Batch<'a> {
    /// The grader, shared by every student.
    pub grader: &'a Grader,
    /// Points per test.
    pub rubric: &'a Rubric,
    /// The text the rubric was read from, part of the fingerprint.
    pub rubric_text: &'a str,
    /// The labs to grade.
    pub labs: &'a [&'a Lab],
    /// Where results go.
    pub out: &'a Path,
    /// Students graded at once.
    pub jobs: usize,
    /// Grade every student, even those already graded on the same submission.
    pub regrade: bool,
}

impl Batch<'_> {
    /// Grades `students`, `jobs` at a time, and returns one outcome per student, in order.
    pub fn run(&self, students: &[Student], progress: &dyn Progress) -> Vec<Outcome> {
        let pristine = match self.pristine_digest() {
            Ok(pristine) => pristine,
            Err(error) => {
                let error = Arc::new(error);
                let failed = || Outcome::Failed(Arc::clone(&error));
                return students.iter().map(|_| failed()).collect();
            }
        };
        let next = AtomicUsize::new(0);
        let outcomes: Mutex<Vec<Option<Outcome>>> =
            Mutex::new(students.iter().map(|_| None).collect());
        thread::scope(|scope| {
            for _ in 0..self.jobs.max(1) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(student) = students.get(index) else {
                            break;
                        };
                        progress.started(student);
                        let outcome = self
                            .student(student, &pristine)
                            .unwrap_or_else(|error| Outcome::Failed(Arc::new(error)));
                        progress.finished(student, &outcome);
                        outcomes.lock().unwrap()[index] = Some(outcome);
                    }
                });
            }
        });
        outcomes
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|outcome| outcome.expect("every student is graded by some worker"))
            .collect()
    }

    /// Grades one student, unless an earlier run already did on the same fingerprint;
    /// `pristine` is the [`pristine_digest`](Self::pristine_digest).
    fn student(&self, student: &Student, pristine: &str) -> Result<Outcome> {
        let dir = student_dir(self.out, &student.id);
        let fingerprint = self.fingerprint(&student.path, pristine)?;
        if !self.regrade
            && fs::read_to_string(dir.join("fingerprint")).ok().as_deref()
                == Some(fingerprint.as_str())
            && let Ok(text) = fs::read_to_string(dir.join(REPORT_JSON))
            && let Ok(report) = serde_json::from_str::<Report>(&text)
        {
            return Ok(Outcome::Unchanged(report));
        }
        let report = self.grade(student)?;
        let report = Report {
            submission: student.id.clone(),
            ..report
        };
        fs::create_dir_all(&dir).on("create", &dir)?;
        tree::write_whole(&dir.join(REPORT_JSON), &to_json(&report)?)?;
        tree::write_whole(&dir.join("results.json"), &to_json(&report.gradescope())?)?;
        tree::write_whole(&dir.join("fingerprint"), &fingerprint)?;
        Ok(Outcome::Graded(report))
    }

    /// Grades `student`'s workspace: their folder, or what their zip unpacks to, or the one
    /// folder either wraps ([`find_workspace`]). A zip that cannot be unpacked, or no
    /// workspace, scores zero on every lab, with one reason for all of them.
    fn grade(&self, student: &Student) -> Result<Report> {
        let unpacked = self.grader.temp_folder("unpacked")?;
        let file = student
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        match workspace_handed_in(&student.path, &file, unpacked.path()) {
            Ok(root) => self
                .grader
                .grade_submission(self.rubric, &root, self.labs, |_| {}),
            Err(not_a_submission) => self.not_a_submission(student, &not_a_submission),
        }
    }

    /// The report of a `student` whose hand-in is not a workspace, for `reason`: every test of
    /// every lab fails with it.
    fn not_a_submission(&self, student: &Student, reason: &CollectError) -> Result<Report> {
        let submissions = self
            .labs
            .iter()
            .map(|lab| LabSubmission {
                lab,
                sources: Err(CollectError::NotASubmission(reason.to_string())),
                tiers: ALL_TIERS,
            })
            .collect();
        let reports = self
            .labs
            .iter()
            .zip(self.grader.grade_labs(submissions)?)
            .map(|(lab, outcomes)| LabReport::new(lab.name, outcomes, self.rubric))
            .collect();
        Ok(Report::new(&student.id, reports))
    }

    /// A hash of everything a student's grade depends on that can change between runs: the
    /// grader's version, the rubric, the grader's pristine copy of the graded labs (its
    /// `pristine` digest), and the student's lab sources (or zip file).
    fn fingerprint(&self, submission: &Path, pristine: &str) -> Result<String> {
        let mut hash = Sha256::new();
        hash.update(env!("CARGO_PKG_VERSION"));
        hash.update(self.rubric_text);
        hash.update(pristine);
        if unzip::is_zip(submission) {
            let zip = fs::read(submission).on("read", submission)?;
            hash.update(zip);
            return Ok(format!("{:x}", hash.finalize()));
        }
        let root = find_workspace(submission).unwrap_or_else(|_| submission.to_path_buf());
        for lab in self.labs {
            hash.update(lab.name);
            match collect(&root, lab.name) {
                Ok(sources) => {
                    for (path, bytes) in &sources.files {
                        hash.update(path.to_string_lossy().as_bytes());
                        hash.update((bytes.len() as u64).to_le_bytes());
                        hash.update(bytes);
                    }
                }
                Err(error) => hash.update(error.to_string()),
            }
        }
        Ok(format!("{:x}", hash.finalize()))
    }

    /// A hash of every file of the pristine copy of the graded labs (tests, hidden tests,
    /// manifests), of the kit's crates (the facade the tests steer threads by, the fleet) and
    /// of the lock file, by path relative to the pristine workspace, so that changing a test,
    /// the facade or a dependency grades everyone again. The same for every student of a run.
    fn pristine_digest(&self) -> Result<String> {
        let mut hash = Sha256::new();
        let parts = self.labs.iter().map(|lab| lab.name);
        let parts: Vec<&str> = parts
            .chain(KIT_CRATES.iter().copied())
            .chain(["Cargo.lock"])
            .collect();
        tree::digest(&self.grader.pristine, &parts, &mut hash)?;
        Ok(format!("{:x}", hash.finalize()))
    }
}

/// `value` as pretty JSON with a final newline.
fn to_json(value: &impl Serialize) -> Result<String> {
    Ok(serde_json::to_string_pretty(value).context("cannot write JSON")? + "\n")
}

/// What a failure to write `grades.csv` says.
const GRADES: &str = "cannot write grades.csv";

/// What a failure to write `failed-tests.csv` says.
const FAILED_TESTS: &str = "cannot write failed-tests.csv";

/// `grades.csv`: one row per student: id, each lab's points, the total, the most, and why
/// each lab that earned nothing earned nothing; labs that share a reason share one mention.
pub fn grades_csv(labs: &[&Lab], class: &[(String, Report)]) -> Result<String> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["student".to_owned()];
    header.extend(labs.iter().map(|lab| lab.name.to_owned()));
    header.extend(["total", "max", "zero_reasons"].map(str::to_owned));
    csv.write_record(&header).context(GRADES)?;
    for (student, report) in class {
        let mut row = vec![student.clone()];
        let mut zero_reasons: Vec<(Vec<&str>, &str)> = Vec::new();
        for lab in labs {
            let lab_report = report.labs.iter().find(|l| l.lab == lab.name);
            row.push(lab_report.map_or(0.0, |l| l.score).to_string());
            if let Some(lab_report) = lab_report
                && lab_report.score == 0.0
                && lab_report.max_score > 0.0
            {
                let reason = lab_report
                    .tests
                    .iter()
                    .find(|test| !test.passed)
                    .and_then(|test| test.reason.lines().next())
                    .unwrap_or("no test passed");
                match zero_reasons.iter_mut().find(|(_, said)| *said == reason) {
                    Some((named, _)) => named.push(lab.name),
                    None => zero_reasons.push((vec![lab.name], reason)),
                }
            }
        }
        row.push(report.score.to_string());
        row.push(report.max_score.to_string());
        let zero_reasons: Vec<String> = zero_reasons
            .iter()
            .map(|(named, reason)| format!("{}: {reason}", named.join(", ")))
            .collect();
        row.push(zero_reasons.join("; "));
        csv.write_record(&row).context(GRADES)?;
    }
    let bytes = csv.into_inner().context(GRADES)?;
    String::from_utf8(bytes).context(GRADES)
}

/// `failed-tests.csv`: one row per student and failed test (student, lab, tier, test, points,
/// most, the reason's first line), so a partly failed lab says which tests it lost and why.
pub fn failed_tests_csv(class: &[(String, Report)]) -> Result<String> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["student", "lab", "tier", "test", "points", "max", "reason"])
        .context(FAILED_TESTS)?;
    for (student, report) in class {
        for lab in &report.labs {
            for test in lab.tests.iter().filter(|test| !test.passed) {
                csv.write_record([
                    student.as_str(),
                    &lab.lab,
                    &test.tier.to_string(),
                    &test.name,
                    &test.score.to_string(),
                    &test.max_score.to_string(),
                    test.reason.lines().next().unwrap_or(""),
                ])
                .context(FAILED_TESTS)?;
            }
        }
    }
    let bytes = csv.into_inner().context(FAILED_TESTS)?;
    String::from_utf8(bytes).context(FAILED_TESTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_gets_a_folder_of_its_own_inside_students() {
        let out = Path::new("out");
        let dir = |id: &str| student_dir(out, id);
        assert_eq!(dir("alice"), out.join("students/alice"));
        assert_ne!(dir("a b"), dir("a_b"));
        for id in ["..", ".", "", "a/../../b"] {
            let folder = dir(id);
            assert_eq!(
                folder.parent(),
                Some(out.join("students").as_path()),
                "{id:?}"
            );
            assert!(
                !folder.ends_with("..") && folder.file_name().is_some(),
                "{id:?}"
            );
        }
    }
    #[test]
    fn hidden_folders_are_no_students_and_a_folder_and_zip_of_one_name_are_refused() {
        let class = tempfile::tempdir().unwrap();
        for folder in ["bob", ".git", "__MACOSX", "alice"] {
            fs::create_dir(class.path().join(folder)).unwrap();
        }
        fs::write(class.path().join("carol.zip"), b"PK").unwrap();
        fs::write(class.path().join("notes.txt"), b"").unwrap();
        let ids: Vec<String> = discover(class.path())
            .unwrap()
            .into_iter()
            .map(|student| student.id)
            .collect();
        assert_eq!(ids, ["alice", "bob", "carol"]);

        fs::write(class.path().join("alice.zip"), b"PK").unwrap();
        let error = discover(class.path()).unwrap_err().to_string();
        assert!(
            error.contains("alice.zip") && error.contains("the student `alice`"),
            "{error}"
        );
    }
}
