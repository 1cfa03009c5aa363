//! Fleets of fake routers for the tests of task 2.5, and the evidence their devices keep: what
//! each device's log must show of one correct session, and when, on tokio's paused clock.

use std::future::Future;
use std::time::Duration;

use std::sync::Arc;

use fleet::{DeviceSpec, Event, Fault, Fleet, What};
use lab2_async::{Router, RouterError, configure_fleet, configure_router};
use tokio::time::Instant;

use super::results::assert_results;

/// `ms` milliseconds.
pub fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// A router named `name` with `count` configuration lines of its own.
pub fn router(name: &str, count: usize) -> Router {
    let lines: Vec<String> = (0..count)
        .map(|i| match i {
            0 => format!("hostname {name}-edge"),
            i => format!("interface Loopback{i}"),
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    Router::new(name, &lines)
}

/// A healthy device named `name` answering every line after `latency`.
pub fn healthy(name: &str, latency: Duration) -> DeviceSpec {
    DeviceSpec::healthy(name, latency)
}

/// A device named `name` answering after `latency`, with `fault`.
pub fn faulty(name: &str, latency: Duration, fault: Fault) -> DeviceSpec {
    DeviceSpec {
        fault: Some(fault),
        ..healthy(name, latency)
    }
}

/// How long one correct session with `router` takes on a device answering after `latency`:
/// the banner, `enable`, `configure terminal`, each line, `end` and `show running-config` take
/// one latency each; `exit` closes the session at once.
pub fn session_time(router: &Router, latency: Duration) -> Duration {
    latency * (router.commands.len() as u32 + 5)
}

/// What a device's log shows of one correct session with `router`, opened at `start`, the
/// device answering after `latency`: each line arrives the moment the prompt before it does.
pub fn session_log(router: &Router, start: Duration, latency: Duration) -> Vec<Event> {
    let mut lines = vec!["enable".to_owned(), "configure terminal".to_owned()];
    lines.extend(router.commands.iter().cloned());
    lines.extend(["end".to_owned(), "show running-config".to_owned()]);
    let event = |at, what| Event {
        at,
        session: 1,
        what,
    };
    let mut log = vec![event(start, What::Opened)];
    let mut at = start;
    for line in lines {
        at += latency;
        log.push(event(at, What::Command(line)));
    }
    log.push(event(at + latency, What::Command("exit".to_owned())));
    log.push(event(at + latency, What::Closed));
    log
}

/// The results of `configure_fleet(routers, limit, per_router, ..)` on `fleet`'s in-memory
/// connector, and how long it took; returns once the devices have served every session it
/// opened, so that their logs are complete.
pub async fn run_fleet(
    fleet: &Arc<Fleet>,
    routers: &[Router],
    limit: usize,
    per_router: Duration,
) -> (Vec<Result<Vec<String>, RouterError>>, Duration) {
    let start = Instant::now();
    let run = configure_fleet(routers.to_vec(), limit, per_router, fleet.connector());
    let results = guarded("configure_fleet", run).await;
    let elapsed = start.elapsed();
    settled(fleet).await;
    (results, elapsed)
}

/// The result of `configure_router(router, ..)` over a new in-memory session with `fleet`'s
/// device of the same name; returns once the device has served the session.
pub async fn run_router(fleet: &Arc<Fleet>, router: &Router) -> Result<Vec<String>, RouterError> {
    let io = fleet
        .connect(&router.name)
        .expect("the test's device accepts");
    let result = guarded("configure_router", configure_router(router, io)).await;
    settled(fleet).await;
    result
}

/// Waits until `fleet`'s devices have served every session, so that their logs are complete;
/// fails if a session stays open after the lab function returned.
async fn settled(fleet: &Fleet) {
    if tokio::time::timeout(Duration::from_secs(3600), fleet.settled())
        .await
        .is_err()
    {
        panic!(
            "a session was still open an hour after your function returned: every session \
             should be closed (its stream dropped) by the time its router's result is ready"
        );
    }
}

/// How to read a device's answer, for messages about a session that waits for nothing.
const READ_TO_THE_PROMPT: &str = "read until what the device said ends with the prompt you \
    expect: a prompt ends without a newline, so a line-by-line read (`read_line`, `lines()`) \
    waits forever for it, and an answer may arrive in pieces, so one read per line sent falls \
    out of step with the device";

/// `run` awaited for at most an hour of virtual time; past that, the test fails with the
/// likely reasons.
async fn guarded<T>(what: &str, run: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(3600), run).await {
        Ok(done) => done,
        Err(_) => panic!(
            "{what} had not returned after an hour of virtual time, so something waits \
             forever: a device that never answers, or whose connection never completes, \
             needs a timeout of its own (`tokio::time::timeout` around its whole session, \
             connecting included); and {READ_TO_THE_PROMPT}"
        ),
    }
}

/// Asserts that `results` are `expected`, in input order, comparing a `Refused` error by its
/// router only (its reason is the connector's text).
#[track_caller]
pub fn assert_fleet_results(
    results: &[Result<Vec<String>, RouterError>],
    expected: &[Result<Vec<String>, RouterError>],
    advice: &str,
) {
    let blank = |results: &[Result<Vec<String>, RouterError>]| -> Vec<_> {
        results
            .iter()
            .map(|result| match result {
                Err(RouterError::Refused { router, .. }) => Err(RouterError::Refused {
                    router: router.clone(),
                    reason: "...".to_owned(),
                }),
                other => other.clone(),
            })
            .collect()
    };
    let healthy_timed_out = results.iter().zip(expected).any(|(result, expected)| {
        expected.is_ok() && matches!(result, Err(RouterError::TimedOut { .. }))
    });
    let advice = if healthy_timed_out {
        format!(
            "{advice}. A router that answers every line within milliseconds timed out: \
             {READ_TO_THE_PROMPT}"
        )
    } else {
        advice.to_owned()
    };
    assert_results(&blank(results), &blank(expected), &advice);
}

/// Asserts that at most `limit` sessions were ever open at once, and exactly `expected` (as
/// many as the limit and the routers that accept a connection allow).
#[track_caller]
pub fn assert_peak(fleet: &Fleet, limit: usize, expected: usize) {
    let peak = fleet.peak_connections();
    if peak > limit {
        panic!(
            "with a limit of {limit}, {peak} sessions were open at once: start a router only \
             when fewer than `limit` sessions are open, and drop each router's session as soon \
             as it is done (a session is open until its stream is dropped)"
        );
    }
    assert_eq!(
        peak, expected,
        "with a limit of {limit}, at most {peak} sessions were open at once, expected exactly \
         {expected}: run up to `limit` routers at the same time"
    );
}

/// Asserts that the device of `router` logged exactly one correct session of it, opened at
/// `start`, the device answering after `latency`; otherwise names the first thing that
/// differs.
#[track_caller]
pub fn assert_session(fleet: &Fleet, router: &Router, start: Duration, latency: Duration) {
    let name = &router.name;
    let logged = fleet.log_of(name);
    let expected = session_log(router, start, latency);
    if logged == expected {
        return;
    }
    let opened: Vec<Duration> = logged
        .iter()
        .filter(|event| matches!(event.what, What::Opened | What::Busy))
        .map(|event| event.at)
        .collect();
    let sent = |log: &[Event]| -> Vec<String> {
        log.iter()
            .filter_map(|event| match &event.what {
                What::Command(line) => Some(line.clone()),
                _ => None,
            })
            .collect()
    };
    let why = if opened.is_empty() {
        format!("{name} was never connected")
    } else if opened.len() > 1 {
        format!(
            "{name} was connected {} times: each router gets exactly one session",
            opened.len()
        )
    } else if opened[0] != start {
        let late = if opened[0] > start {
            " (does a router that has finished keep its slot until every router before it has \
             finished? `buffered` does; `buffer_unordered` does not)"
        } else {
            ""
        };
        format!(
            "{name}'s session opened at {} ms, expected at {} ms: each router starts, in input \
             order, the moment fewer than `limit` sessions are open{late}",
            opened[0].as_millis(),
            start.as_millis()
        )
    } else if sent(&logged) != sent(&expected) {
        format!(
            "{name} was sent {:?}, expected {:?}: `enable`, `configure terminal`, its lines in \
             order, `end`, `show running-config`, `exit`",
            sent(&logged),
            sent(&expected)
        )
    } else {
        format!(
            "{name}'s lines came at other moments: send each line the moment the prompt \
             before it arrives ({} ms after the one before), and say `exit` as soon as `show \
             running-config` has answered",
            latency.as_millis()
        )
    };
    panic!("{why}\n  logged:   {logged:?}\n  expected: {expected:?}");
}

/// Asserts that `run` took exactly `expected` of virtual time, which `schedule` explains.
#[track_caller]
pub fn assert_took(elapsed: Duration, expected: Duration, schedule: &str) {
    assert_eq!(
        elapsed,
        expected,
        "the run took {} ms of virtual time, expected exactly {} ms: {schedule}",
        elapsed.as_millis(),
        expected.as_millis()
    );
}
