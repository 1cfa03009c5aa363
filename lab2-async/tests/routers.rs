//! Visible tests of task 2.5: configuring a fleet of fake routers. Run them with
//! `cargo test -p lab2-async --test routers`.
//!
//! Each test starts its own fleet (`support/fleet`) and hands your code its connector. The
//! devices keep the evidence: every line they were sent and when, and how many sessions were
//! ever open at once. All but the last test run in memory on tokio's paused clock, so every
//! moment is exact; the last one talks real TCP on 127.0.0.1.

mod results;
mod sessions;

use std::collections::BTreeMap;
use std::time::Duration;

use fleet::{DeviceSpec, Fault, Fleet, INVALID};
use lab2_async::{RouterError, configure_fleet};
use sessions::{
    assert_fleet_results, assert_peak, assert_session, assert_took, faulty, healthy, ms, router,
    run_fleet, run_router, session_time,
};

/// Claims: 10.
#[tokio::test(start_paused = true)]
async fn a_router_is_configured_in_one_session_and_shows_its_config() {
    let fleet = Fleet::new(vec![healthy("R1", ms(10))]);
    let r1 = router("R1", 3);
    let result = run_router(&fleet, &r1).await;
    assert_eq!(
        result,
        Ok(r1.commands.clone()),
        "configure_router should return the running configuration that `show running-config` \
         shows, one line each (without the prompt or empty lines)"
    );
    assert_eq!(fleet.running_config("R1"), r1.commands);
    assert_session(&fleet, &r1, Duration::ZERO, ms(10));
}

/// Claims: 12, 14.
#[tokio::test(start_paused = true)]
async fn a_bounded_fleet_is_configured_on_schedule() {
    let latencies = [10, 20, 30, 10, 20, 10];
    let specs: Vec<DeviceSpec> = (1..=6)
        .zip(latencies)
        .map(|(n, latency)| healthy(&format!("R{n}"), ms(latency)))
        .collect();
    let fleet = Fleet::new(specs);
    let routers: Vec<_> = (1..=6).map(|n| router(&format!("R{n}"), 2)).collect();
    let (results, elapsed) = run_fleet(&fleet, &routers, 2, ms(5000)).await;

    let expected: Vec<_> = routers.iter().map(|r| Ok(r.commands.clone())).collect();
    assert_fleet_results(
        &results,
        &expected,
        "every router of a healthy fleet should be configured: one `Ok` with its running \
         configuration per router, in input order",
    );
    assert_peak(&fleet, 2, 2);
    // Sessions of 70, 140, 210, 70, 140 and 70 ms, two at a time, each starting the moment
    // one closes.
    let starts = [0, 0, 70, 140, 210, 280];
    for ((router, latency), start) in routers.iter().zip(latencies).zip(starts) {
        assert_session(&fleet, router, ms(start), ms(latency));
    }
    assert_took(
        elapsed,
        ms(350),
        "sessions of 70, 140, 210, 70, 140 and 70 ms, two at a time, start at 0, 0, 70, 140, \
         210 and 280 ms and end by 350 ms (does a finished router keep its slot until the \
         ones before it finish? `buffered` does; `buffer_unordered` does not)",
    );
}

/// Claims: 13.
#[tokio::test(start_paused = true)]
async fn a_silent_router_is_cut_at_its_own_timeout() {
    let fleet = Fleet::new(vec![
        faulty("R1", ms(100), Fault::Silent),
        healthy("R2", ms(100)),
        healthy("R3", ms(100)),
        healthy("R4", ms(100)),
    ]);
    let routers: Vec<_> = (1..=4).map(|n| router(&format!("R{n}"), 2)).collect();
    assert_eq!(session_time(&routers[1], ms(100)), ms(700));
    let (results, elapsed) = run_fleet(&fleet, &routers, 2, ms(1000)).await;

    let mut expected = vec![Err(RouterError::TimedOut {
        router: "R1".to_owned(),
        after: ms(1000),
    })];
    expected.extend(routers[1..].iter().map(|r| Ok(r.commands.clone())));
    assert_fleet_results(
        &results,
        &expected,
        "R1 never answers and should time out after its own 1 s; R2, R3 and R4 take 700 ms \
         each and should all be configured. Each router's timeout covers its own session and \
         starts when it does: not one deadline for the whole run, nor one that counts the \
         wait for a free slot",
    );
    assert_peak(&fleet, 2, 2);
    // R2 runs beside the silent R1; R3 takes R2's slot at 700 ms, R4 takes R1's at 1000 ms.
    for (router, start) in routers[1..].iter().zip([0, 700, 1000]) {
        assert_session(&fleet, router, ms(start), ms(100));
    }
    assert_took(
        elapsed,
        ms(1700),
        "R1 is cut at 1000 ms and R4 then takes its slot, ending at 1700 ms",
    );
    let r1 = fleet.log_of("R1");
    assert_eq!(
        r1.last().map(|event| event.at),
        Some(ms(1000)),
        "R1's session should close when its timeout fires, at 1000 ms: {r1:?}"
    );
}

/// Claims: 11, 13.
#[tokio::test(start_paused = true)]
async fn each_fault_is_that_routers_own_error() {
    let rejected = "interface Loopback1";
    let fleet = Fleet::new(vec![
        healthy("R1", ms(10)),
        faulty("R2", ms(10), Fault::Refuses),
        DeviceSpec {
            session_limit: 0,
            ..healthy("R3", ms(10))
        },
        faulty("R4", ms(10), Fault::Rejects(rejected.to_owned())),
        faulty("R5", ms(10), Fault::DropsAfter(3)),
        healthy("R6", ms(10)),
    ]);
    let routers: Vec<_> = (1..=6).map(|n| router(&format!("R{n}"), 3)).collect();
    let (results, _) = run_fleet(&fleet, &routers, 6, ms(5000)).await;
    let name = |n: usize| format!("R{n}");
    let expected = vec![
        Ok(routers[0].commands.clone()),
        Err(RouterError::Refused {
            router: name(2),
            reason: "R2 refused the connection".to_owned(),
        }),
        Err(RouterError::Busy { router: name(3) }),
        Err(RouterError::Rejected {
            router: name(4),
            command: rejected.to_owned(),
            message: INVALID.to_owned(),
        }),
        Err(RouterError::Dropped { router: name(5) }),
        Ok(routers[5].commands.clone()),
    ];
    assert_fleet_results(
        &results,
        &expected,
        "R2 refuses connections (the connector's error), R3 has no free line (it says \
         `% All lines busy` and closes), R4 answers one line with `% Invalid input detected \
         at '^' marker.` (a rejected line), R5 drops the session after three answers; each is \
         its own router's error, and R1 and R6 are configured all the same",
    );
    // R2 refuses, so five sessions open at once.
    assert_peak(&fleet, 6, 5);
    assert_eq!(
        fleet.running_config("R4"),
        routers[3].commands[..1],
        "after R4 rejected `{rejected}`, no later line should be sent"
    );
}

/// Worth no points in the grader's rubric: real time decides how a broken program's reads meet
/// the answers. The tests above score the same claims exactly.
///
/// Claims: 10, 12, 14.
#[tokio::test]
async fn a_fleet_is_configured_over_loopback_tcp() {
    let fleet = Fleet::new(DeviceSpec::seeded(4, 7, ms(1), ms(3)));
    let addresses: BTreeMap<String, _> = fleet.listen().await.unwrap().into_iter().collect();
    assert!(addresses.values().all(|address| address.ip().is_loopback()));
    let routers: Vec<_> = (1..=4).map(|n| router(&format!("R{n}"), 2)).collect();
    let connect = |name: String| {
        let address = addresses[&name];
        async move { tokio::net::TcpStream::connect(address).await }
    };
    let results = configure_fleet(routers.clone(), 2, Duration::from_secs(3), connect).await;
    let expected: Vec<_> = routers.iter().map(|r| Ok(r.commands.clone())).collect();
    // Real time decides which router finishes first, so this test leaves the order to the
    // ones on the paused clock: it compares the results sorted.
    let sorted = |results: &[Result<Vec<String>, RouterError>]| {
        let mut sorted = results.to_vec();
        sorted.sort_by_key(|result| format!("{result:?}"));
        sorted
    };
    assert_fleet_results(
        &sorted(&results),
        &sorted(&expected),
        "over real TCP, every router should be configured just as in memory (results compared \
         in any order)",
    );
    for router in &routers {
        assert_eq!(fleet.running_config(&router.name), router.commands);
    }
}
