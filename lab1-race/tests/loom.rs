//! Loom model of Lab 1.1: proves, over every interleaving, that the racy counter can lose an
//! update and that nothing else can happen. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release -p lab1-race --test loom`.
#![cfg(loom)]

use std::collections::BTreeSet;
use std::sync::Mutex;

use lab1_race::run_threads;

#[test]
fn some_interleaving_loses_an_update() {
    let outcomes = std::sync::Arc::new(Mutex::new(BTreeSet::new()));
    let seen = std::sync::Arc::clone(&outcomes);
    loom::model(move || {
        let total = run_threads(2, 1, || {});
        seen.lock().unwrap().insert(total);
    });
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(
        outcomes,
        BTreeSet::from([1, 2]),
        "over every interleaving of two threads adding one each, the counter should end at 2 \
         (no overlap) or 1 (an update lost), and at nothing else; loom saw {outcomes:?}: \
         read, then write back what you read plus one, with no read-modify-write"
    );
}
