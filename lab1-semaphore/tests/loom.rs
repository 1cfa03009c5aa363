//! Loom model of Lab 1.3: proves, over every interleaving of 3 threads sharing 2 permits, that
//! no more than 2 are ever inside and that no interleaving deadlocks (loom fails a model in
//! which every thread is blocked). Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release -p lab1-semaphore --test loom`.
#![cfg(loom)]

// A plain std atomic: the count is checked, not explored (loom runs one thread at a time).
use lab1_semaphore::Semaphore;
use lab1_semaphore::sync::{Arc, thread};
use std::sync::atomic::{AtomicUsize, Ordering};

const PERMITS: usize = 2;

/// Takes a permit, checks how many are inside with it, and leaves.
fn visit(semaphore: &Semaphore, inside: &AtomicUsize) {
    let _permit = semaphore.acquire();
    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
    assert!(
        now <= PERMITS,
        "{now} threads were inside a semaphore of {PERMITS} permits in some interleaving"
    );
    inside.fetch_sub(1, Ordering::SeqCst);
}

#[test]
fn three_threads_never_exceed_two_permits() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(PERMITS));
        let inside = std::sync::Arc::new(AtomicUsize::new(0));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = Arc::clone(&semaphore);
                let inside = std::sync::Arc::clone(&inside);
                thread::spawn(move || visit(&semaphore, &inside))
            })
            .collect();
        visit(&semaphore, &inside);
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(
            semaphore.available(),
            PERMITS,
            "after every thread left, all {PERMITS} permits should be free again"
        );
    });
}
