//! What happened to one expected test, as a typed value: passed, or failed with a [`Failure`]
//! of a known kind. The text a student reads is rendered from it here and nowhere else
//! ([`Failure`]'s `Display`); reports keep both, and every consumer that needs to know *why*
//! a test failed matches on the kind, never on the text.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::intake::catalog::TestId;
use crate::intake::policy::Violation;

/// The result of one expected test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// Which test.
    pub test: TestId,
    /// Why it failed; `None` when it passed, on evidence.
    pub failure: Option<Failure>,
    /// The test's captured output, head and tail (empty when it never ran).
    pub output: String,
}

impl TestOutcome {
    /// `test` passed, having printed `output`.
    pub fn passed(test: &TestId, output: String) -> Self {
        Self {
            test: test.clone(),
            failure: None,
            output,
        }
    }

    /// `test` failed with `failure`, having printed `output`.
    pub fn failed(test: &TestId, failure: Failure, output: String) -> Self {
        Self {
            test: test.clone(),
            failure: Some(failure),
            output,
        }
    }

    /// Whether the test passed.
    pub fn is_pass(&self) -> bool {
        self.failure.is_none()
    }

    /// Why it failed, as a student reads it; empty when it passed.
    pub fn reason(&self) -> String {
        self.failure
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

/// Every test in `tests` failed with the same `failure`, none having run.
pub fn all_failed(tests: &[TestId], failure: &Failure) -> Vec<TestOutcome> {
    tests
        .iter()
        .map(|test| TestOutcome::failed(test, failure.clone(), String::new()))
        .collect()
}

/// A panic as a test's stderr reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panic {
    /// The message, at most six lines.
    pub message: String,
    /// Where: `file:line:column`, shortened for a panic inside a dependency.
    pub location: String,
}

impl Panic {
    /// Whether this is a `todo!()` (or `unimplemented!()`) that was reached.
    pub fn is_not_implemented(&self) -> bool {
        self.message.starts_with("not yet implemented")
            || self.message.starts_with("not implemented")
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.location)
    }
}

/// Why a test failed, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The lab's files could not be taken (missing, linked, too large, not a workspace): the
    /// collect stage's reason.
    NotHandedIn {
        /// What the collect stage said.
        why: String,
    },
    /// The policy refused the lab's code (or, when every violation is loom-only, its loom
    /// tier).
    Refused {
        /// What was refused, and where.
        violations: Vec<Violation>,
    },
    /// The lab does not compile.
    DoesNotCompile {
        /// The compiler's first errors, at most twelve lines.
        errors: String,
    },
    /// The lab compiled, but the test's target produced no executable.
    NotBuilt,
    /// A `todo!()` was reached.
    NotImplemented {
        /// The panic it caused.
        panic: Panic,
    },
    /// The test, or code it called, panicked: usually an assertion.
    Panicked {
        /// The panic that says most.
        panic: Panic,
    },
    /// The test ran past its time and was killed.
    TimedOut {
        /// Its time limit.
        seconds: u64,
        /// A panic it reported before it hung.
        panic: Option<Panic>,
    },
    /// A thread overflowed its stack.
    StackOverflow {
        /// The thread, as Rust names it.
        thread: String,
    },
    /// An allocation failed at the test's memory limit.
    OutOfMemory {
        /// Rust's words for it: `memory allocation of N bytes`.
        allocation: String,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// The process was ended by a signal.
    Crashed {
        /// The signal's number.
        signal: i32,
    },
    /// The process exited successfully before the test ran to its end.
    ExitedEarly,
    /// The process exited with failure and left no panic to explain it.
    ExitStatus {
        /// The status, as Rust prints it.
        status: String,
    },
    /// A loom model failed: loom found an interleaving that breaks it.
    LoomCounterexample {
        /// How the model failed.
        failure: Box<Failure>,
        /// The shortest interleaving that fails it, as the model's timeline; `None` when the
        /// model printed none (it crashed first).
        interleaving: Option<String>,
    },
}

impl Failure {
    /// Whether the failure comes from a `todo!()` reached, directly, before a hang, or in a
    /// loom model.
    pub fn is_not_implemented(&self) -> bool {
        match self {
            Failure::NotImplemented { .. } => true,
            Failure::TimedOut {
                panic: Some(panic), ..
            } => panic.is_not_implemented(),
            Failure::LoomCounterexample { failure, .. } => failure.is_not_implemented(),
            _ => false,
        }
    }

    /// The failure of a process that panicked with `panic`: a `todo!()` or another panic.
    pub fn from_panic(panic: Panic) -> Self {
        if panic.is_not_implemented() {
            Failure::NotImplemented { panic }
        } else {
            Failure::Panicked { panic }
        }
    }
}

/// How many violations a refusal lists.
const VIOLATIONS_LISTED: usize = 5;

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotHandedIn { why } => f.write_str(why),
            Failure::Refused { violations } => write_refusal(f, violations),
            Failure::DoesNotCompile { errors } => write!(f, "does not compile:\n{errors}"),
            Failure::NotBuilt => f.write_str("its test binary was not built"),
            Failure::NotImplemented { panic } | Failure::Panicked { panic } => {
                write!(f, "{panic}")
            }
            Failure::TimedOut { seconds, panic } => {
                write!(
                    f,
                    "timed out after {seconds} s: look for a deadlock (a lock or a wait that is \
                     never released) or an endless loop"
                )?;
                match panic {
                    Some(panic) => write!(f, "; before that, it panicked: {panic}"),
                    None => Ok(()),
                }
            }
            Failure::StackOverflow { thread } => write!(
                f,
                "crashed: thread {thread} overflowed its stack: look for a recursion that never \
                 stops, or a very large value on the stack"
            ),
            Failure::OutOfMemory {
                allocation,
                limit_mib,
            } => write!(
                f,
                "crashed: out of memory ({allocation}, over the test's limit of {limit_mib} \
                 MiB): look for a collection that grows without end"
            ),
            Failure::Crashed { signal } => f.write_str(&signal_reason(*signal)),
            Failure::ExitedEarly => f.write_str(
                "the test process exited before the test ran to its end (did the code exit \
                 the process?)",
            ),
            Failure::ExitStatus { status } => write!(f, "failed with {status}"),
            Failure::LoomCounterexample {
                failure,
                interleaving,
            } => match interleaving {
                // The timeline's last rows name the failure and what it means.
                Some(interleaving) => f.write_str(interleaving),
                None => write!(f, "{failure}"),
            },
        }
    }
}

/// A policy refusal: what was refused, then the first violations.
fn write_refusal(f: &mut fmt::Formatter<'_>, violations: &[Violation]) -> fmt::Result {
    let what = if violations.iter().all(|violation| violation.loom_only) {
        "the loom tier is refused by the grader's policy"
    } else {
        "refused by the grader's policy"
    };
    write!(f, "{what}:")?;
    for violation in violations.iter().take(VIOLATIONS_LISTED) {
        write!(f, "\n{violation}")?;
    }
    let more = violations.len().saturating_sub(VIOLATIONS_LISTED);
    if more > 0 {
        write!(f, "\n... and {more} more")?;
    }
    Ok(())
}

/// What ending by `signal` means.
fn signal_reason(signal: i32) -> String {
    use nix::sys::signal::Signal;
    match Signal::try_from(signal) {
        Ok(Signal::SIGABRT) => "crashed: the process aborted (a panic inside a panic, `abort`, \
                                or memory allocation failed)"
            .to_owned(),
        Ok(Signal::SIGSEGV) => "crashed: segmentation fault or stack overflow".to_owned(),
        Ok(Signal::SIGKILL) => "killed: it ran out of its memory limit or was killed".to_owned(),
        _ => format!("crashed with signal {signal}"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn panic(message: &str) -> Panic {
        Panic {
            message: message.to_owned(),
            location: "src/lib.rs:3:9".to_owned(),
        }
    }

    #[test]
    fn a_todo_is_not_implemented_wherever_it_shows() {
        let todo = panic("not yet implemented");
        assert!(Failure::from_panic(todo.clone()).is_not_implemented());
        let hung = Failure::TimedOut {
            seconds: 5,
            panic: Some(todo.clone()),
        };
        assert!(hung.is_not_implemented());
        assert_eq!(
            hung.to_string(),
            "timed out after 5 s: look for a deadlock (a lock or a wait that is never \
             released) or an endless loop; before that, it panicked: not yet implemented (at \
             src/lib.rs:3:9)"
        );
        let model = Failure::LoomCounterexample {
            failure: Box::new(Failure::from_panic(todo)),
            interleaving: None,
        };
        assert!(model.is_not_implemented());
        assert!(!Failure::from_panic(panic("assertion failed")).is_not_implemented());
    }

    #[test]
    fn a_refusal_lists_five_violations_then_counts_the_rest() {
        let violation = |line| Violation {
            file: PathBuf::from("lib.rs"),
            line,
            reason: "no".to_owned(),
            loom_only: true,
        };
        let failure = Failure::Refused {
            violations: (1..=7).map(violation).collect(),
        };
        let text = failure.to_string();
        assert!(
            text.starts_with("the loom tier is refused by the grader's policy:\nsrc/lib.rs:1: no")
        );
        assert!(text.ends_with("src/lib.rs:5: no\n... and 2 more"), "{text}");
    }

    #[test]
    fn a_kind_is_tagged_in_json() {
        let json = serde_json::to_value(Failure::Crashed { signal: 6 }).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "crashed", "signal": 6}));
        assert!(
            Failure::Crashed { signal: 6 }
                .to_string()
                .starts_with("crashed: the process aborted")
        );
    }
}
