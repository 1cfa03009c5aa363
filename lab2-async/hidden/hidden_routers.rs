//! Hidden tests of task 2.5: the grader runs these; they are not in the student release.

#[path = "../tests/results/mod.rs"]
mod results;
#[path = "../tests/sessions/mod.rs"]
mod sessions;

use std::time::Duration;

use fleet::{DeviceSpec, Fault, Fleet, INVALID, What};
use lab2_async::{Router, RouterError};
use sessions::{
    assert_fleet_results, assert_peak, assert_session, assert_took, faulty, healthy, ms, router,
    run_fleet, run_router, session_time,
};

/// A fleet `R1`, `R2`, ... whose devices answer after `latencies` (ms), and its routers, each
/// with `lines` configuration lines.
fn fleet_of(latencies: &[u64], lines: usize) -> (std::sync::Arc<Fleet>, Vec<Router>) {
    let names: Vec<String> = (1..=latencies.len()).map(|n| format!("R{n}")).collect();
    let specs = names
        .iter()
        .zip(latencies)
        .map(|(name, &latency)| healthy(name, ms(latency)))
        .collect();
    let routers = names.iter().map(|name| router(name, lines)).collect();
    (Fleet::new(specs), routers)
}

/// Every router configured with its own lines.
fn all_configured(routers: &[Router]) -> Vec<Result<Vec<String>, RouterError>> {
    routers.iter().map(|r| Ok(r.commands.clone())).collect()
}

/// Claims: 14.
#[tokio::test(start_paused = true)]
async fn no_routers_open_no_sessions() {
    let (fleet, _) = fleet_of(&[10], 1);
    let (results, elapsed) = run_fleet(&fleet, &[], 3, ms(1000)).await;
    assert!(results.is_empty(), "no routers, no results: {results:?}");
    assert_eq!(fleet.peak_connections(), 0);
    assert_took(elapsed, Duration::ZERO, "there is nothing to wait for");
}

/// Claims: 12.
#[tokio::test(start_paused = true)]
async fn a_limit_of_one_configures_the_routers_one_after_another() {
    let latencies = [30, 10, 20];
    let (fleet, routers) = fleet_of(&latencies, 1);
    let (results, elapsed) = run_fleet(&fleet, &routers, 1, ms(5000)).await;
    assert_fleet_results(&results, &all_configured(&routers), "one result per router");
    assert_peak(&fleet, 1, 1);
    for ((router, latency), start) in routers.iter().zip(latencies).zip([0, 180, 240]) {
        assert_session(&fleet, router, ms(start), ms(latency));
    }
    assert_took(
        elapsed,
        ms(360),
        "sessions of 180, 60 and 120 ms one after another",
    );
}

/// Claims: 12.
#[tokio::test(start_paused = true)]
async fn a_limit_above_the_fleet_starts_every_router_at_once() {
    let latencies = [10, 40, 20, 30];
    let (fleet, routers) = fleet_of(&latencies, 2);
    let (results, elapsed) = run_fleet(&fleet, &routers, 10, ms(5000)).await;
    assert_fleet_results(&results, &all_configured(&routers), "one result per router");
    assert_peak(&fleet, 10, 4);
    for (router, latency) in routers.iter().zip(latencies) {
        assert_session(&fleet, router, Duration::ZERO, ms(latency));
    }
    assert_took(
        elapsed,
        session_time(&routers[1], ms(40)),
        "the slowest session, 7 x 40 ms",
    );
}

/// Claims: 14.
#[tokio::test(start_paused = true)]
async fn results_come_back_in_input_order_whatever_order_routers_finish() {
    let (fleet, routers) = fleet_of(&[40, 30, 20, 10], 1);
    let (results, _) = run_fleet(&fleet, &routers, 4, ms(5000)).await;
    assert_fleet_results(
        &results,
        &all_configured(&routers),
        "one result per router, in input order",
    );
    assert_peak(&fleet, 4, 4);
}

/// Claims: 13.
#[tokio::test(start_paused = true)]
async fn timeouts_count_from_each_routers_own_start() {
    // Sessions of 800 ms under a 1 s timeout, two at a time: the last two start at 800 ms.
    let (fleet, routers) = fleet_of(&[100, 100, 100, 100], 3);
    let (results, elapsed) = run_fleet(&fleet, &routers, 2, ms(1000)).await;
    assert_fleet_results(
        &results,
        &all_configured(&routers),
        "each 800 ms session fits its own 1 s timeout, counted from when that router starts: \
         not one deadline for the whole run, nor one that counts the wait for a free slot",
    );
    assert_peak(&fleet, 2, 2);
    assert_took(elapsed, ms(1600), "two rounds of 800 ms sessions");
}

/// Claims: 12, 13.
#[tokio::test(start_paused = true)]
async fn a_failed_router_frees_its_slot_at_once() {
    let fleet = Fleet::new(vec![
        DeviceSpec {
            session_limit: 0,
            ..healthy("R1", ms(10))
        },
        faulty("R2", ms(10), Fault::Refuses),
        faulty("R3", ms(10), Fault::DropsAfter(2)),
        healthy("R4", ms(10)),
    ]);
    let routers: Vec<_> = (1..=4).map(|n| router(&format!("R{n}"), 1)).collect();
    let (results, elapsed) = run_fleet(&fleet, &routers, 1, ms(5000)).await;
    let expected = vec![
        Err(RouterError::Busy {
            router: "R1".to_owned(),
        }),
        Err(RouterError::Refused {
            router: "R2".to_owned(),
            reason: String::new(),
        }),
        Err(RouterError::Dropped {
            router: "R3".to_owned(),
        }),
        Ok(routers[3].commands.clone()),
    ];
    assert_fleet_results(
        &results,
        &expected,
        "each router's own outcome, in input order",
    );
    assert_peak(&fleet, 1, 1);
    // R1 is told at once that it is busy and R2 refused at once; R3 greets at 10 ms, answers
    // twice, and drops the session when its third line would be answered, at 40 ms.
    assert_session(&fleet, &routers[3], ms(40), ms(10));
    assert_took(
        elapsed,
        ms(100),
        "R4 starts the moment R3's session drops, at 40 ms, and takes 60 ms",
    );
}

/// Claims: 13.
#[tokio::test(start_paused = true)]
async fn a_connection_that_never_completes_is_cut_at_the_routers_timeout() {
    let fleet = Fleet::new(vec![
        faulty("R1", ms(10), Fault::Unreachable),
        healthy("R2", ms(10)),
    ]);
    let routers: Vec<_> = (1..=2).map(|n| router(&format!("R{n}"), 2)).collect();
    let (results, elapsed) = run_fleet(&fleet, &routers, 1, ms(500)).await;
    let expected = vec![
        Err(RouterError::TimedOut {
            router: "R1".to_owned(),
            after: ms(500),
        }),
        Ok(routers[1].commands.clone()),
    ];
    assert_fleet_results(
        &results,
        &expected,
        "R1's connection never completes: its timeout covers connecting too, so it times out \
         after 500 ms and R2 then takes the slot",
    );
    assert_session(&fleet, &routers[1], ms(500), ms(10));
    assert_took(elapsed, ms(570), "R1's 500 ms, then R2's 70 ms session");
}

/// Claims: 11.
#[tokio::test(start_paused = true)]
async fn a_rejected_line_ends_that_routers_configuration() {
    let r1 = Router::new("R1", &["hostname core", "ip routing", "router ospf 1"]);
    let fleet = Fleet::new(vec![faulty(
        "R1",
        ms(10),
        Fault::Rejects("ip routing".to_owned()),
    )]);
    let result = run_router(&fleet, &r1).await;
    assert_eq!(
        result,
        Err(RouterError::Rejected {
            router: "R1".to_owned(),
            command: "ip routing".to_owned(),
            message: INVALID.to_owned(),
        }),
        "a configuration line answered with a `%` line is rejected, with the device's own \
         message"
    );
    let sent: Vec<What> = fleet.log_of("R1").into_iter().map(|e| e.what).collect();
    assert!(
        !sent.contains(&What::Command("router ospf 1".to_owned())),
        "no line should be sent after a rejected one: {sent:?}"
    );
}

/// Claims: 10.
#[tokio::test(start_paused = true)]
async fn a_router_without_lines_still_logs_in_shows_and_exits() {
    let r1 = Router::new("R1", &[]);
    let fleet = Fleet::new(vec![healthy("R1", ms(10))]);
    let result = run_router(&fleet, &r1).await;
    assert_eq!(
        result,
        Ok(Vec::new()),
        "an empty configuration shows no lines"
    );
    assert_session(&fleet, &r1, Duration::ZERO, ms(10));
}

/// Claims: 10.
#[tokio::test(start_paused = true)]
async fn the_running_config_shows_what_was_there_before() {
    let fleet = Fleet::new(vec![healthy("R1", ms(10))]);
    let first = Router::new("R1", &["hostname core"]);
    let second = Router::new("R1", &["ntp server 10.0.0.1", "logging host 10.0.0.2"]);
    for router in [&first, &second] {
        let _ = run_router(&fleet, router).await;
    }
    assert_eq!(
        fleet.running_config("R1"),
        [
            "hostname core",
            "ntp server 10.0.0.1",
            "logging host 10.0.0.2"
        ]
    );
    let shown = run_router(&fleet, &Router::new("R1", &[])).await;
    assert_eq!(
        shown,
        Ok(fleet.running_config("R1")),
        "the result is what `show running-config` shows, every line of it, not the lines sent"
    );
}
