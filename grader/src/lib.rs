//! The grader of the concurrency labs.
//!
//! Grading one lab of one submission is a pipeline, one module per stage:
//! 1. [`catalog`]: the labs, and the tests each is expected to pass, read from the grader's
//!    pristine copy of the workspace.
//! 2. [`collect`]: the student's own files of the lab (`src/**`), nothing else.
//! 3. [`scratch`]: a scratch copy of the pristine workspace with the student's files laid over
//!    it, and every test body rewritten by [`evidence`] to report, as its last act, a secret
//!    that student code cannot know.
//! 4. [`compile`]: the lab's test binaries, built offline against a shared dependency cache.
//! 5. [`run`]: each test in its own process, with a timeout, a memory limit and capped output.
//! 6. [`grade`]: one outcome per expected test; a test passes only on evidence.
//! 7. [`report`]: the versioned JSON report and the terminal table.
//!
//! At class scale, [`batch`] grades many submissions (resumably, N at a time) and
//! [`class_report`] draws the class's results as one offline HTML page; [`release`] writes the
//! student workspace and [`gradescope`] the autograder package. [`unzip`] unpacks a
//! submission handed in as a zip.

pub mod batch;
pub mod catalog;
pub mod class_report;
pub mod collect;
pub mod compile;
pub mod evidence;
pub mod grade;
pub mod gradescope;
pub mod interleaving;
pub mod policy;
pub mod release;
pub mod report;
pub mod rubric;
pub mod run;
pub mod scratch;
pub mod unzip;
