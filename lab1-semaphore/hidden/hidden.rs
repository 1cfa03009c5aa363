//! Hidden tests of Lab 1.3: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::Arc;

use lab1_semaphore::{Semaphore, connect_all};

/// Claims: 6, 7.
#[test]
fn a_lone_connection_under_a_limit_of_one_holds_the_only_permit() {
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
}

/// Claims: 8.
#[test]
fn no_devices_means_no_connections() {
    let results = connect_all(Vec::new(), 3, |connection| connection.device_ip.clone());
    assert!(results.is_empty(), "no devices should give no results");
}

/// Claims: 4.
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

/// Claims: 2, 5.
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
