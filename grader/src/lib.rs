//! The grader of the concurrency labs.
//!
//! Grading is a pipeline, and the folders of `src/` are its stages, in order. Each stage uses
//! only the stages before it, and the modules below them all: the [`evidence`] text that the
//! build writes into every test and the judge reads back, the [`confinement`] of every process
//! started (cargo's builds, each test), the [`cores`] that builds and tests take turns on, and
//! the grader's own [`error`]s (what keeps it from grading, never a student's mistake).
//! 1. [`intake`]: what the grader knows and what was handed in: the labs and their expected
//!    tests ([`intake::catalog`]), the one folder walker ([`intake::tree`]), a zip unpacked
//!    ([`intake::unzip`]), the workspace found and each lab's student files taken
//!    ([`intake::collect`]), and what no lab needs and a cheat would, refused
//!    ([`intake::policy`]).
//! 2. [`compile`]: a scratch copy of the pristine workspace with the student's files laid
//!    over it ([`compile::scratch`]), every test body rewritten to report, as its last act,
//!    the secret its process is given, which student code cannot know ([`evidence`]), each
//!    lab's real-thread test files as one test executable ([`compile::merged`]), and the test
//!    binaries built, all labs in one build per profile ([`compile::cargo_build`]).
//! 3. [`execute`]: each test in its own confined process ([`execute::run`]), judged on
//!    evidence ([`execute::judge`]) into a typed outcome whose text is rendered in one place
//!    ([`execute::outcome`]), a failed loom model with its interleaving
//!    ([`execute::interleaving`]).
//! 4. [`score`]: points per test ([`score::rubric`]) and the reports: versioned JSON,
//!    Gradescope's `results.json`, the table ([`score::report`]).
//! 5. [`grade`]: the [`grade::Grader`] that drives stages 1 to 4 for one submission.
//! 6. [`class`]: many submissions: a class graded resumably, N at a time ([`class::batch`]),
//!    its results as one offline page ([`class::class_report`]), and the stub/reference
//!    contract ([`class::self_check`]).
//! 7. [`package`]: what the kit ships: the student release ([`package::release`]) and the
//!    Gradescope autograder ([`package::gradescope`]).
//!
//! The `grader` binary (`src/bin/grader/`) is the command line over these, with its own
//! progress display.

pub mod confinement;
pub mod cores;
pub mod error;
pub mod evidence;

/// Stage 1: the labs, the folders handed in, and the student files taken from them.
pub mod intake {
    pub mod catalog;
    pub mod collect;
    pub mod policy;
    pub mod tree;
    pub mod unzip;
}

/// Stage 2: the scratch workspace, the evidence, and the build.
pub mod compile {
    pub mod cargo_build;
    pub mod merged;
    pub mod scratch;
}

/// Stage 3: each test run alone and judged into a typed outcome.
pub mod execute {
    pub mod interleaving;
    pub mod judge;
    pub mod outcome;
    pub mod pace;
    pub mod run;
}

/// Stage 4: points and reports.
pub mod score {
    pub mod report;
    pub mod rubric;
}

pub mod grade;

/// Stage 6: a class, its page, and the kit's own contract.
pub mod class {
    pub mod batch;
    pub mod class_report;
    pub mod self_check;
}

/// Stage 7: the student release and the Gradescope package.
pub mod package {
    pub mod gradescope;
    pub mod release;
}
