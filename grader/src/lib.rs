//! The grader of the concurrency labs.
//!
//! Grading the labs of one submission is a pipeline, one module per stage:
//! 1. [`catalog`]: the labs, and the tests each is expected to pass, read from the grader's
//!    pristine copy of the workspace.
//! 2. [`collect`]: the student's own files of each lab (`src/**`), nothing else; [`policy`]
//!    refuses what no lab needs and a cheat would.
//! 3. [`scratch`]: a scratch copy of the pristine workspace with the student's files laid over
//!    it, and every test body rewritten by [`evidence`] to report, as its last act, a secret
//!    that student code cannot know.
//! 4. [`compile`]: the labs' test binaries, all labs in one build per profile, offline against
//!    a shared dependency cache.
//! 5. [`run`]: each test in its own process, with a timeout, a memory limit and capped output.
//! 6. [`grade`]: one outcome per expected test; a test passes only on evidence, and a failed
//!    loom model's reason carries the interleaving that [`interleaving`] shortens.
//! 7. [`rubric`] and [`report`]: points per test; the versioned JSON report, Gradescope's
//!    `results.json` and the terminal table.
//!
//! At class scale, [`batch`] grades many submissions (resumably, N at a time) and
//! [`class_report`] draws the class's results as one offline HTML page; [`release`] writes the
//! student workspace and [`gradescope`] the autograder package. [`unzip`] unpacks a
//! submission handed in as a zip. [`self_check`] proves the stub/reference contract. [`tree`]
//! is the one way any of them walks a folder.

pub mod batch;
pub mod catalog;
pub mod class_report;
pub mod collect;
pub mod compile;
pub mod evidence;
pub mod grade;
pub mod gradescope;
pub mod interleaving;
pub mod judge;
pub mod outcome;
pub mod policy;
pub mod release;
pub mod report;
pub mod rubric;
pub mod run;
pub mod scratch;
pub mod self_check;
pub mod tree;
pub mod unzip;
