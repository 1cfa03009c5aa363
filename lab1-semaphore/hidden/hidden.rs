//! Hidden tests of Lab 1.3: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use lab1_semaphore::{Semaphore, connect_all};

#[test]
fn one_permit_makes_connections_take_turns() {
    // A lone device: no other thread, so it reads `free_slots` while holding the only permit
    // there is, and a semaphore of 1 counts exactly 0 free then, on every schedule. 1 free
    // means a second connection could have run beside it.
    let alone = connect_all(vec!["10.0.0.99".to_owned()], 1, |connection| {
        connection.free_slots
    });
    assert_eq!(alone.len(), 1, "one device should give one result");
    assert_eq!(
        alone[0], 0,
        "a lone connection under a limit of 1 saw {} free in `free_slots` right after taking \
         its permit: the semaphore acts as if it had more permits than it was made with, so a \
         second connection could have run beside it. Does `new` start the count at exactly \
         `permits`, does `acquire` take one, and is `free_slots` read with `available()` \
         while the permit is held?",
        alone[0]
    );

    // Six devices take turns.
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, most) = (Arc::clone(&inside), Arc::clone(&peak));
    let devices: Vec<String> = (0..6).map(|i| format!("10.0.0.{i}")).collect();
    let results = connect_all(devices.clone(), 1, move |connection| {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(n, Ordering::SeqCst);
        thread::yield_now();
        now.fetch_sub(1, Ordering::SeqCst);
        (connection.device_ip.clone(), connection.free_slots)
    });
    let ips: Vec<String> = results.iter().map(|(ip, _)| ip.clone()).collect();
    assert_eq!(ips, devices, "every device, in input order");
    let peak = peak.load(Ordering::SeqCst);
    assert_eq!(
        peak, 1,
        "{peak} connections overlapped under a limit of 1: does every thread hold its permit \
         for the whole of `connect`?"
    );
    for (ip, free) in &results {
        assert_eq!(
            *free, 0,
            "the connection to {ip} saw {free} free under a limit of 1, while holding the only \
             permit: the count must drop when a permit is taken"
        );
    }
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
    let peak = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let semaphore = Arc::clone(&semaphore);
            let inside = Arc::clone(&inside);
            let peak = Arc::clone(&peak);
            thread::spawn(move || {
                for _ in 0..500 {
                    let _permit = semaphore.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
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
    let peak = peak.load(Ordering::SeqCst);
    assert!(
        peak <= 2,
        "{peak} threads held one of 2 permits at once: the semaphore handed out more permits \
         than it was made with. Does `acquire` wait, in a loop, while the count is 0, and does \
         `new` start the count at exactly `permits`?"
    );
    // Every thread has gone, so the count is settled: a semaphore of 2 counts 2 free, on
    // every schedule.
    let free = semaphore.available();
    assert!(
        free <= 2,
        "once every thread had gone, a semaphore made with 2 permits counted {free} free: it \
         has more permits than it was made with. Does `new` start the count at exactly \
         `permits`, and does dropping a `Permit` give back exactly one?"
    );
    assert_eq!(
        free, 2,
        "once every thread had gone, {free} of 2 permits were free: every permit should be \
         back. Does dropping a `Permit` add one back to the count?"
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
        "a semaphore made with 0 permits handed one out: it hands out more permits than it was \
         made with. Does `new` start the count at exactly `permits`?"
    );
    assert_eq!(semaphore.available(), 0);
}
