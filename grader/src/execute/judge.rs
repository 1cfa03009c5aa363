//! Judging a finished test process: passed on evidence, or failed with the [`Failure`] that
//! what it left behind (its exit status, its stderr) explains: a panic and where, a timeout, a
//! stack overflow, an allocation over the limit, a signal, an early exit.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use crate::evidence::{self, has_evidence, without_evidence};
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
    let mut failure = failure(&finished, evidence, limits, name);
    if test.tier == Tier::Loom {
        failure = Failure::LoomCounterexample {
            failure: Box::new(failure),
            interleaving: interleaving::timeline(&output),
        };
    }
    Ok((TestOutcome::failed(test, failure, output), elapsed))
}

/// Why the test `test_name`, whose process did not pass, failed, from what it left behind.
fn failure(finished: &Finished, evidence: bool, limits: Limits, test_name: &str) -> Failure {
    use std::os::unix::process::ExitStatusExt;
    let Some(status) = finished.status else {
        return Failure::TimedOut {
            seconds: limits.timeout.as_secs(),
            panic: panic_of(&finished.stderr, test_name),
        };
    };
    if let Some(panic) = panic_of(&finished.stderr, test_name) {
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

/// The panic that explains why the test `test_name` failed, from its stderr, shortened to a
/// few lines, with where it happened. A test's own assertion says most: the test thread's
/// panic if it is in a test file (a test that expects a panic from lab code and then fails
/// its own check), else the first panic in a test file (an assertion in a thread the test
/// started), else the first panic.
pub fn panic_of(stderr: &str, test_name: &str) -> Option<Panic> {
    let lines: Vec<&str> = stderr.lines().collect();
    let panics: Vec<Reported<'_>> = (0..lines.len())
        .filter(|&at| lines[at].contains("panicked at "))
        .map(|at| Reported::read(&lines[at..]))
        .collect();
    let in_test_file = |panic: &&Reported<'_>| {
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
        message: chosen.message.clone(),
        location: chosen.location.to_owned(),
    })
}

/// One panic's report in a test's stderr.
struct Reported<'a> {
    /// The thread that panicked, as Rust names it.
    thread: &'a str,
    /// Where, shortened for a panic inside a dependency.
    location: &'a str,
    /// The message, at most six lines.
    message: String,
}

impl<'a> Reported<'a> {
    /// The panic reported by the first of `lines`, with its message in the lines after it.
    fn read(lines: &[&'a str]) -> Self {
        let line = lines[0];
        let (head, location) = line.split_once("panicked at ").unwrap_or((line, line));
        let thread = head.split('\'').nth(1).unwrap_or_default();
        let location = location.trim_end_matches(':');
        // A panic inside a dependency (loom reporting a data race, a deadlock, a leak) is
        // located in cargo's registry: keep the crate and file, which say what found it.
        let location = location
            .split_once("/.cargo/registry/src/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or(location, |(_, in_crate)| in_crate);
        let message: Vec<&str> = lines[1..]
            .iter()
            .copied()
            .take_while(|line| !line.starts_with("note: ") && !line.starts_with("thread '"))
            .take(6)
            .collect();
        Self {
            thread,
            location,
            message: message.join("\n").trim().to_owned(),
        }
    }
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
        panic_of(stderr, test_name).map(|panic| panic.to_string())
    }

    #[test]
    fn a_panic_message_keeps_its_lines_and_a_short_location() {
        let stderr = "\nthread 'main' (7) panicked at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/loom-0.7.3/src/rt/location.rs:115:9:\nCausality violation: Concurrent write accesses to `UnsafeCell`.\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr, "t").unwrap(),
            "Causality violation: Concurrent write accesses to `UnsafeCell`. \
             (at loom-0.7.3/src/rt/location.rs:115:9)"
        );
        let own = "thread 'x' panicked at tests/visible.rs:30:5:\nlost 3 updates\n";
        assert_eq!(
            panic_message(own, "t").unwrap(),
            "lost 3 updates (at tests/visible.rs:30:5)"
        );
        assert_eq!(panic_message("all good\n", "t"), None);
        let expected_then_failed = "thread '<unnamed>' (8) panicked at hidden/hidden.rs:70:9:\nthe holder fails\nthread 't' (7) panicked at hidden/hidden.rs:75:5:\nthe lock stayed taken\n";
        assert_eq!(
            panic_message(expected_then_failed, "t").unwrap(),
            "the lock stayed taken (at hidden/hidden.rs:75:5)"
        );
        let rethrown = "thread '<unnamed>' (8) panicked at tests/visible.rs:90:9:\nonly 1 of 4 threads\nthread 't' (7) panicked at src/lib.rs:80:9:\na counting thread panicked\n";
        assert_eq!(
            panic_message(rethrown, "t").unwrap(),
            "only 1 of 4 threads (at tests/visible.rs:90:9)"
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
