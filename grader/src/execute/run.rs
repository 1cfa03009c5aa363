//! Stage 3, execute: run one test in its own process, as cargo-nextest does.
//!
//! The process gets a timeout (then it and everything it started are killed), an
//! address-space limit, no core dumps, and output capture that keeps the head and the tail of
//! each stream and drops the middle, so an output flood costs neither memory nor time.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{IoContext, Result};

use crate::confinement::{Watchdog, confine, kill_process_group};

/// The limits one test process runs under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time before the test is killed.
    pub timeout: Duration,
    /// Address space the process may map, in bytes.
    pub memory_bytes: u64,
    /// Bytes kept from the head, and again from the tail, of each output stream.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            memory_bytes: 4 << 30,
            output_bytes: 32 << 10,
        }
    }
}

/// What a finished (or killed) test process left behind.
#[derive(Debug, Clone)]
pub struct Finished {
    /// How the process ended; `None` when it was killed at the timeout.
    pub status: Option<ExitStatus>,
    /// Its standard output, head and tail.
    pub stdout: String,
    /// Its standard error, head and tail.
    pub stderr: String,
    /// How long it ran, from its start until it ended or was killed.
    pub elapsed: Duration,
}

/// Runs test `name` of the libtest executable `executable`, alone, under `limits`, with `env`
/// added to its environment.
pub fn run_test(
    executable: &Path,
    name: &str,
    limits: Limits,
    env: &[(&str, &str)],
) -> Result<Finished> {
    let mut command = Command::new(executable);
    command
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    confine(&mut command, limits.memory_bytes);
    let started = Instant::now();
    let mut child = command.spawn().on("start", executable)?;
    let cap = limits.output_bytes;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let stdout = thread::spawn(move || capture(stdout, cap));
    let stderr = thread::spawn(move || capture(stderr, cap));

    let watchdog = Watchdog::start(&child, limits.timeout);
    let status = child.wait().running("wait for the test")?;
    let elapsed = started.elapsed();
    let timed_out = watchdog.finish();
    // Whatever the test left running (threads die with it; anything else is in its group).
    kill_process_group(child.id());
    let status = (!timed_out).then_some(status);
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed,
    })
}

/// Reads `stream` to its end, keeping its first and last `cap` bytes.
fn capture(mut stream: impl Read, cap: usize) -> String {
    let mut head = Vec::new();
    let mut tail = std::collections::VecDeque::new();
    let mut dropped = 0usize;
    let mut buffer = [0u8; 8192];
    while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
            break;
        }
        let mut chunk = &buffer[..read];
        if head.len() < cap {
            let take = chunk.len().min(cap - head.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        tail.extend(chunk.iter().copied());
        if tail.len() > cap {
            let excess = tail.len() - cap;
            tail.drain(..excess);
            dropped += excess;
        }
    }
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n[... {dropped} bytes of output left out ...]\n"));
    }
    text.push_str(&String::from_utf8_lossy(tail.make_contiguous()));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_stops_a_process_group_that_outlives_its_timeout_and_no_other() {
        let mut slow = Command::new("sh");
        slow.args(["-c", "sleep 30 & sleep 30"]);
        confine(&mut slow, 1 << 30);
        let mut child = slow.spawn().unwrap();
        let watchdog = Watchdog::start(&child, Duration::from_millis(200));
        let status = child.wait().unwrap();
        assert!(!status.success(), "the process should have been killed");
        assert!(
            watchdog.finish(),
            "the watchdog should say it killed the process"
        );

        let mut quick = Command::new("true");
        confine(&mut quick, 1 << 30);
        let mut child = quick.spawn().unwrap();
        let watchdog = Watchdog::start(&child, Duration::from_secs(30));
        assert!(child.wait().unwrap().success());
        assert!(
            !watchdog.finish(),
            "a process within its timeout is not killed"
        );
    }

    #[test]
    fn a_flood_keeps_its_head_and_tail() {
        let flood: Vec<u8> = b"start\n"
            .iter()
            .chain(std::iter::repeat_n(&b'x', 100_000))
            .chain(b"\nend\n")
            .copied()
            .collect();
        let text = capture(&flood[..], 1024);
        assert!(text.starts_with("start\n"));
        assert!(text.ends_with("\nend\n"));
        assert!(text.contains("bytes of output left out"));
        assert!(text.len() < 3000);
    }
}
