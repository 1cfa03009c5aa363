//! Judging a finished test process: passed on evidence, or failed with the [`Failure`] that
//! what it left behind (its exit status, its stderr) explains: a panic and where, a timeout, a
//! stack overflow, an allocation over the limit, a signal, an early exit.

use std::path::Path;
use std::time::Duration;

use crate::error::Result;

use crate::evidence::{self, ToldPanic, has_evidence, panics, without_evidence};
use crate::execute::interleaving;
use crate::execute::outcome::{Failure, Panic, TestOutcome};
use crate::execute::run::{Finished, Limits, run_test};
use crate::intake::catalog::{TestId, Tier};

/// Runs one test, known as `name` in `executable`, with this run's `secret` in its
/// environment, and judges it on evidence: it passes only if its process exited successfully,
/// before its timeout, with the evidence line for it on stdout. Returns the outcome and how long the process ran.
pub fn judge(
    test: &TestId,
    executable: &Path,
    name: &str,
    secret: &str,
    limits: Limits,
) -> Result<(TestOutcome, Duration)> {
    let finished = run_test(executable, name, limits, &[(evidence::VARIABLE, secret)])?;
    let elapsed = finished.elapsed;
    let output = without_evidence(&format!("{}{}", finished.stdout, finished.stderr), secret);
    let evidence = has_evidence(&finished.stdout, secret, &test.name);
    let exited_ok = finished.status.is_some_and(|status| status.success());
    if evidence && exited_ok {
        return Ok((TestOutcome::passed(test, output), elapsed));
    }
    let mut failure = failure(&finished, secret, evidence, limits, name);
    if test.tier == Tier::Loom {
        failure = Failure::LoomCounterexample {
            failure: Box::new(failure),
            interleaving: interleaving::timeline(&output),
        };
    }
    Ok((TestOutcome::failed(test, failure, output), elapsed))
}

/// Why the test `test_name`, whose process (run with `secret`) did not pass, failed, from
/// what it left behind.
fn failure(
    finished: &Finished,
    secret: &str,
    evidence: bool,
    limits: Limits,
    test_name: &str,
) -> Failure {
    use std::os::unix::process::ExitStatusExt;
    let Some(status) = finished.status else {
        return Failure::TimedOut {
            seconds: limits.timeout.as_secs(),
            panic: panic_of(&finished.stderr, secret, test_name),
        };
    };
    if let Some(panic) = panic_of(&finished.stderr, secret, test_name) {
        return Failure::from_panic(panic);
    }
    if let Some(thread) = overflowed_thread(&finished.stderr) {
        return Failure::StackOverflow {
            thread: thread.to_owned(),
        };
    }
    if let Some(allocation) = failed_allocation(&finished.stderr) {
        return Failure::OutOfMemory {
            allocation: allocation.to_owned(),
            limit_mib: limits.memory_bytes >> 20,
        };
    }
    if let Some(signal) = status.signal() {
        return Failure::Crashed { signal };
    }
    if status.success() && !evidence {
        return Failure::ExitedEarly;
    }
    Failure::ExitStatus {
        status: status.to_string(),
    }
}

/// The panic that explains why the test `test_name` failed, as the hook of the run with
/// `secret` told it in `stderr`, shortened to a few lines, with where it happened. A test's
/// own assertion says most: the test thread's panic if it is in a test file (a test that
/// expects a panic from lab code and then fails its own check), else the first panic in a
/// test file (an assertion in a thread the test started), else the first panic.
pub fn panic_of(stderr: &str, secret: &str, test_name: &str) -> Option<Panic> {
    let panics = panics(stderr, secret);
    let in_test_file = |panic: &&ToldPanic| {
        ["tests/", "hidden/"]
            .iter()
            .any(|folder| panic.location.contains(folder))
    };
    let chosen = panics
        .iter()
        .filter(in_test_file)
        .find(|panic| panic.thread == test_name)
        .or_else(|| panics.iter().find(in_test_file))
        .or_else(|| panics.first())?;
    Some(Panic {
        message: first_lines(&chosen.message),
        location: short_location(&chosen.location).to_owned(),
    })
}

/// At most the first six lines of a panic's `message`, up to a line that starts a note or
/// another thread's report, trimmed.
fn first_lines(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .take_while(|line| !line.starts_with("note: ") && !line.starts_with("thread '"))
        .take(6)
        .collect();
    lines.join("\n").trim().to_owned()
}

/// `location`, shortened for a panic inside a dependency (loom reporting a data race, a
/// deadlock, a leak), which is located in cargo's registry: the crate and file, which say
/// what found it.
fn short_location(location: &str) -> &str {
    location
        .split_once("/.cargo/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(location, |(_, in_crate)| in_crate)
}

/// The thread named in Rust's stack overflow message (`thread 'x' has overflowed its stack`).
fn overflowed_thread(stderr: &str) -> Option<&str> {
    stderr.lines().find_map(|line| {
        let rest = line.strip_prefix("thread ")?;
        let (thread, _) = rest.split_once(" has overflowed its stack")?;
        Some(thread)
    })
}

/// The failed allocation in Rust's out-of-memory message (`memory allocation of N bytes
/// failed`).
fn failed_allocation(stderr: &str) -> Option<&str> {
    stderr.lines().find_map(|line| {
        let start = line.find("memory allocation of ")?;
        Some(line[start..].trim_end_matches(" failed"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The panic of `stderr` as a report shows it.
    fn panic_message(stderr: &str, test_name: &str) -> Option<String> {
        panic_of(stderr, "s3", test_name).map(|panic| panic.to_string())
    }

    /// The line the hook of the run with secret `s3` writes for a panic.
    fn told(thread: &str, location: &str, message: &str) -> String {
        format!("s3 panicked {thread:?} {location:?} {message:?}\n")
    }

    #[test]
    fn a_panic_message_keeps_its_lines_and_a_short_location() {
        let loom = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/loom-0.7.3/src/rt/location.rs:115:9";
        let stderr = told(
            "main",
            loom,
            "Causality violation: Concurrent write accesses to `UnsafeCell`.",
        );
        assert_eq!(
            panic_message(&stderr, "t").unwrap(),
            "Causality violation: Concurrent write accesses to `UnsafeCell`. \
             (at loom-0.7.3/src/rt/location.rs:115:9)"
        );
        let own = told("x", "tests/visible.rs:30:5", "lost 3 updates");
        assert_eq!(
            panic_message(&own, "t").unwrap(),
            "lost 3 updates (at tests/visible.rs:30:5)"
        );
        assert_eq!(panic_message("all good\n", "t"), None);
        let expected_then_failed = told("<unnamed>", "hidden/hidden.rs:70:9", "the holder fails")
            + &told("t", "hidden/hidden.rs:75:5", "the lock stayed taken");
        assert_eq!(
            panic_message(&expected_then_failed, "t").unwrap(),
            "the lock stayed taken (at hidden/hidden.rs:75:5)"
        );
        let rethrown = told("<unnamed>", "tests/visible.rs:90:9", "only 1 of 4 threads")
            + &told("t", "src/lib.rs:80:9", "a counting thread panicked");
        assert_eq!(
            panic_message(&rethrown, "t").unwrap(),
            "only 1 of 4 threads (at tests/visible.rs:90:9)"
        );
    }

    #[test]
    fn only_the_hooks_lines_tell_a_panic_whatever_std_or_student_code_writes() {
        let imitated = "thread 't' panicked at tests/visible.rs:1:1:\nall is well\n";
        assert_eq!(panic_message(imitated, "t"), None);
        let forged = "s4 panicked \"t\" \"tests/visible.rs:1:1\" \"all is well\"\n";
        assert_eq!(panic_message(forged, "t"), None, "another run's secret");
        let long = told("t", "tests/visible.rs:2:2", "1\n2\n3\n4\n5\n6\n7\nnote: no");
        assert_eq!(
            panic_message(&long, "t").unwrap(),
            "1\n2\n3\n4\n5\n6 (at tests/visible.rs:2:2)"
        );
    }

    #[test]
    fn stack_overflows_and_failed_allocations_are_recognised() {
        let overflow = "\nthread 'main' has overflowed its stack\nfatal runtime error: stack overflow, aborting\n";
        assert_eq!(overflowed_thread(overflow), Some("'main'"));
        let oom = "memory allocation of 67108864 bytes failed\n";
        assert_eq!(
            failed_allocation(oom),
            Some("memory allocation of 67108864 bytes")
        );
        assert_eq!(overflowed_thread(oom), None);
        assert_eq!(failed_allocation(overflow), None);
    }
}
