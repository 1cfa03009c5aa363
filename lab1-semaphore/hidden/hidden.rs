//! Hidden tests of Lab 1.3: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use lab1_semaphore::{Semaphore, connect_all};

#[test]
fn one_permit_makes_connections_take_turns() {
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, most) = (Arc::clone(&inside), Arc::clone(&peak));
    let devices: Vec<String> = (0..6).map(|i| format!("10.0.0.{i}")).collect();
    let results = connect_all(devices.clone(), 1, move |connection| {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(n, Ordering::SeqCst);
        thread::yield_now();
        now.fetch_sub(1, Ordering::SeqCst);
        connection.device_ip.clone()
    });
    assert_eq!(results, devices, "every device, in input order");
    let peak = peak.load(Ordering::SeqCst);
    assert_eq!(peak, 1, "{peak} connections overlapped under a limit of 1");
}

#[test]
fn no_devices_means_no_connections() {
    let results = connect_all(Vec::new(), 3, |connection| connection.device_ip.clone());
    assert!(results.is_empty(), "no devices should give no results");
}

#[test]
fn hammering_the_semaphore_never_exceeds_its_permits() {
    let semaphore = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let semaphore = Arc::clone(&semaphore);
            let inside = Arc::clone(&inside);
            thread::spawn(move || {
                for _ in 0..500 {
                    let _permit = semaphore.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now <= 2, "{now} threads held one of 2 permits at once");
                    thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for handle in handles {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    assert_eq!(
        semaphore.available(),
        2,
        "every permit should be back at the end"
    );
}

#[test]
fn a_panicking_holder_gives_its_permit_back() {
    let semaphore = Arc::new(Semaphore::new(1));
    let holder = Arc::clone(&semaphore);
    let outcome = thread::spawn(move || {
        let _permit = holder.acquire();
        panic!("the connection fails while holding a permit");
    })
    .join();
    assert!(outcome.is_err());
    assert!(
        semaphore.try_acquire().is_some(),
        "the permit was not given back when its holder panicked: give it back in `Drop`"
    );
}

#[test]
fn a_semaphore_of_zero_permits_admits_no_one() {
    let semaphore = Semaphore::new(0);
    assert!(
        semaphore.try_acquire().is_none(),
        "0 permits, yet one was handed out"
    );
    assert_eq!(semaphore.available(), 0);
}
