//! Loom model of Lab 1.1: proves, over every interleaving, that the racy counter can lose an
//! update and that nothing else can happen. Run with
//! `cargo loom -p lab1-race`; add `-- --ignored`
//! to see, step by step, an interleaving that loses an update.
#![cfg(loom)]

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lab1_race::run_threads;
use labkit::timeline;

/// Claims: 2, 4, 6, 7.
#[test]
fn some_interleaving_loses_an_update() {
    // Counted outside the model (std types, which loom does not see): the totals seen, the
    // totals of the interleavings in which both threads were inside their pause at once, and
    // the most threads ever inside a pause at once.
    let outcomes = std::sync::Arc::new(Mutex::new(BTreeSet::new()));
    let overlapped = std::sync::Arc::new(Mutex::new(BTreeSet::new()));
    let overlap = std::sync::Arc::new(AtomicUsize::new(0));
    let (seen, seen_overlapping, most) = (
        std::sync::Arc::clone(&outcomes),
        std::sync::Arc::clone(&overlapped),
        std::sync::Arc::clone(&overlap),
    );
    timeline::model(move || {
        let inside = std::sync::Arc::new(AtomicUsize::new(0));
        let both_inside = std::sync::Arc::new(AtomicBool::new(false));
        let (most, both) = (
            std::sync::Arc::clone(&most),
            std::sync::Arc::clone(&both_inside),
        );
        let total = run_threads(2, 1, move || {
            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            if now >= 2 {
                both.store(true, Ordering::SeqCst);
            }
            loom::thread::yield_now();
            inside.fetch_sub(1, Ordering::SeqCst);
        });
        seen.lock().unwrap().insert(total);
        if both_inside.load(Ordering::SeqCst) {
            seen_overlapping.lock().unwrap().insert(total);
        }
    });
    let outcomes = outcomes.lock().unwrap().clone();
    let overlapped = overlapped.lock().unwrap().clone();
    let overlap = overlap.load(Ordering::SeqCst);
    assert!(
        outcomes.iter().all(|&total| total >= 1),
        "in some interleaving of two threads adding one each, `run_threads` returned {:?} \
         (loom saw {outcomes:?}): it read the counter before a thread had written: join every \
         handle before reading the counter",
        outcomes.first()
    );
    assert!(
        overlap >= 2,
        "in no interleaving were both threads between their read and their write at once \
         (loom saw totals {outcomes:?}): the threads never run at the same time. Start every \
         thread first, then join them all; joining each one right after starting it runs them \
         one after another"
    );
    assert_eq!(
        outcomes,
        BTreeSet::from([1, 2]),
        "over every interleaving of two threads adding one each, the counter should end at 2 \
         (no overlap) or 1 (an update lost), and at nothing else; loom saw {outcomes:?}, though \
         both threads were inside their pause at once. Do all threads increment one shared \
         counter (one `Arc`, cloned into each thread), and does `increment` read, pause, then \
         write back what it read plus one, with no read-modify-write?"
    );
    if let Some(total) = overlapped.iter().find(|&&total| total != 1) {
        panic!(
            "in an interleaving in which both threads were inside their pause at once, the \
             counter ended at {total} (loom saw {overlapped:?} in such interleavings): two \
             threads inside the pause at once have both read the counter and neither has \
             written back, so both write 1. Is `pause` called inside `increment`, between its \
             read and its write, rather than before or after `increment`?"
        );
    }
}

#[test]
#[ignore = "a demonstration that fails on purpose: run it with -- --ignored to see the race"]
fn show_an_interleaving_that_loses_an_update() {
    timeline::model(|| {
        // Yields where the seed sleeps, between the read and the write.
        let total = run_threads(2, 1, loom::thread::yield_now);
        assert_eq!(
            total, 2,
            "two threads added one each and the counter ended at {total}: an update was lost"
        );
    });
}
