//! Loom models of Lab 1.3: prove, over the interleavings of 3 threads sharing 2 permits (and of
//! 3 contenders for 1, two of which only try), that no more are ever inside than there are
//! permits, and that no interleaving deadlocks (loom fails a model in
//! which every thread is blocked). Run with
//! `cargo loom -p lab1-semaphore`.
#![cfg(loom)]

use lab1_semaphore::{Semaphore, connect_all};
// The facade's atomics: loom may switch threads between a holder's arrival and its leaving, so
// that another thread can come in meanwhile and the count of those inside shows it.
use labkit::sync::{Arc, AtomicUsize, Ordering, thread};
use labkit::timeline;

const PERMITS: usize = 2;

/// Takes a permit, checks how many are inside with it, and leaves.
fn visit(semaphore: &Semaphore, inside: &AtomicUsize) {
    let _permit = semaphore.acquire();
    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
    timeline::note(format!("inside with a permit: {now} of {PERMITS}"));
    assert!(
        now <= PERMITS,
        "{now} threads were inside a semaphore of {PERMITS} permits in some interleaving: it \
         handed out more permits than it was made with. Does `acquire` wait in a loop while \
         the count is 0, and does `new` start the count at exactly `permits`?"
    );
    inside.fetch_sub(1, Ordering::SeqCst);
}

/// Claims: 1, 4, 5.
#[test]
fn three_threads_never_exceed_two_permits() {
    // At most three preemptions: a third thread let in by a check and a change made apart
    // takes one preemption in each of two threads, and one more keeps a holder inside while
    // the others come in. The model takes a fifth of a second where every interleaving of
    // three threads takes many (paid again for every submission graded); the bound is fixed,
    // so every run explores the same.
    timeline::model_bounded(3, || {
        let semaphore = Arc::new(Semaphore::new(PERMITS));
        let inside = Arc::new(AtomicUsize::new(0));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = Arc::clone(&semaphore);
                let inside = Arc::clone(&inside);
                thread::spawn(move || visit(&semaphore, &inside))
            })
            .collect();
        visit(&semaphore, &inside);
        for other in others {
            other.join().unwrap();
        }
        let free = semaphore.available();
        assert!(
            free <= PERMITS,
            "after every thread left, a semaphore made with {PERMITS} permits counted {free} \
             free: it has more permits than it was made with. Does `new` start the count at \
             exactly `permits`, and does dropping a `Permit` give back exactly one?"
        );
        assert_eq!(
            free, PERMITS,
            "after every thread left, all {PERMITS} permits should be free again: does dropping \
             a `Permit` add one back to the count?"
        );
    });
}

/// Claims: 1, 4.
#[test]
fn two_waiters_both_get_the_permits_given_back() {
    // Four threads are too many to explore every interleaving in seconds; at most two
    // preemptions still covers a lost wake-up (one is enough to put both waiters to sleep
    // before the permits come back), and the bound is fixed, so every run explores the same.
    timeline::model_bounded(2, || {
        let semaphore = Arc::new(Semaphore::new(2));
        let (first, second) = (semaphore.acquire(), semaphore.acquire());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = Arc::clone(&semaphore);
                thread::spawn(move || drop(semaphore.acquire()))
            })
            .collect();
        // Loom fails the model ("deadlock") if, in some interleaving, a waiter sleeps
        // forever: dropping a permit must wake a waiter every time, not only when the count
        // leaves 0.
        drop(first);
        drop(second);
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

/// Claims: 5, 7, 8.
#[test]
fn connections_are_named_by_position_whatever_order_they_start_in() {
    timeline::model(|| {
        let devices = vec!["10.0.0.1".to_owned(), "10.0.0.2".to_owned()];
        let connected = connect_all(devices, 1, |connection| {
            (
                connection.device_ip.clone(),
                connection.thread_name.clone(),
                connection.free_slots,
            )
        });
        for (ip, name, free) in &connected {
            assert_eq!(
                *free, 0,
                "{name} ({ip}) saw {free} free slots right after taking the only permit of a \
                 limit of 1, in some interleaving: the semaphore had more permits than it was \
                 made with. Is each permit given back exactly once, by its `Drop` and nothing \
                 else?"
            );
        }
        let names: Vec<_> = connected
            .into_iter()
            .map(|(ip, name, _)| (ip, name))
            .collect();
        assert_eq!(
            names,
            vec![
                ("10.0.0.1".to_owned(), "DeviceConn-1".to_owned()),
                ("10.0.0.2".to_owned(), "DeviceConn-2".to_owned()),
            ],
            "in some interleaving the second device took its permit first, and the results \
             were {names:?}: name each connection after its device's position in the input \
             (`DeviceConn-{{i + 1}}`), not after the order permits are taken, and return the \
             results in input order"
        );
    });
}

/// Three contenders for one permit, two of which only try: `try_acquire` takes the permit only
/// while it is free, under the same lock as the count's change, whoever else is about.
///
/// Claims: 2, 5.
#[test]
fn three_contenders_two_trying_never_exceed_one_permit() {
    // At most three preemptions, fixed, so every run explores the same interleavings: a
    // permit taken twice needs one between a check of the count and its change.
    timeline::model_bounded(3, || {
        let semaphore = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let tries: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = Arc::clone(&semaphore);
                let inside = Arc::clone(&inside);
                thread::spawn(move || match semaphore.try_acquire() {
                    Some(_permit) => {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        timeline::note(format!("try_acquire took it: {now} inside of 1"));
                        assert!(
                            now <= 1,
                            "{now} threads held the only permit at once in some interleaving, \
                             one of them from `try_acquire`: it handed out more permits than \
                             it was made with. Check the count and take the permit in one \
                             critical section, under one lock"
                        );
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                    None => timeline::note("try_acquire found no permit free"),
                })
            })
            .collect();
        let permit = semaphore.acquire();
        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
        timeline::note(format!("acquire took it: {now} inside of 1"));
        assert!(
            now <= 1,
            "{now} threads held the only permit at once in some interleaving, one of them from \
             `acquire`: it handed out more permits than it was made with. Check the count and \
             take the permit in one critical section, under one lock"
        );
        inside.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
        for attempt in tries {
            attempt.join().unwrap();
        }
        let free = semaphore.available();
        assert!(
            free <= 1,
            "once every thread let go, a semaphore made with 1 permit counted {free} free: it \
             has more permits than it was made with. Does a `try_acquire` that finds no permit \
             free leave the count as it was?"
        );
        assert_eq!(
            free, 1,
            "once every thread let go, the one permit should be free again: does dropping a \
             `Permit` from `try_acquire` give it back?"
        );
    });
}
