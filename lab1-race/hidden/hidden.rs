//! Hidden tests of Lab 1.1: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use labkit::sync::thread;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use lab1_race::{ITERATIONS_PER_THREAD, RacyCounter, run_threads};
use labkit::sync::probe;

/// Claims: 6, 7.
#[test]
fn zero_threads_count_nothing() {
    let total = run_threads(0, 10, || {});
    assert_eq!(
        probe::unjoined(),
        0,
        "no threads were asked for, yet some were left unjoined"
    );
    assert_eq!(
        total, 0,
        "no threads should leave the counter at 0, got {total}"
    );
}

/// Claims: 2, 5, 6.
#[test]
fn the_seed_workload_alone_counts_every_increment() {
    // Alone, a thread loses nothing: an increment that adds more than one shows here on every
    // run, not only when too few updates happen to be lost.
    let pauses = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&pauses);
    let alone = run_threads(1, ITERATIONS_PER_THREAD, move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let left = probe::unjoined();
    assert_eq!(
        left, 0,
        "`run_threads` returned leaving {left} thread unjoined: join every handle before \
         reading the counter"
    );
    assert_eq!(
        pauses.load(Ordering::SeqCst),
        ITERATIONS_PER_THREAD,
        "every one of the {ITERATIONS_PER_THREAD} increments must pause exactly once"
    );
    assert_eq!(
        alone, ITERATIONS_PER_THREAD,
        "one thread alone ended at {alone} after {ITERATIONS_PER_THREAD} increments: each \
         increment must add exactly one"
    );
}

/// Two whole increments by other threads land inside one thread's window: both are lost.
///
/// Claims: 1, 3.
#[test]
fn two_writes_inside_one_window_are_both_lost() {
    let counter = Arc::new(RacyCounter::new());
    let (has_read, may_go) = mpsc::channel::<()>();
    let (others_done, may_write) = mpsc::channel::<()>();
    let slow = {
        let counter = Arc::clone(&counter);
        thread::spawn(move || {
            counter.increment(move || {
                has_read.send(()).unwrap();
                may_write.recv().unwrap();
            })
        })
    };
    if may_go.recv().is_err() {
        match slow.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => {
                panic!("the slow thread never reached its pause: does `increment` call `pause`?")
            }
        }
    }
    for _ in 0..2 {
        let counter = Arc::clone(&counter);
        thread::spawn(move || counter.increment(|| {}))
            .join()
            .unwrap();
    }
    assert_eq!(
        counter.get(),
        2,
        "two full increments should have written 2"
    );
    others_done.send(()).unwrap();
    slow.join().unwrap();
    let total = counter.get();
    assert_eq!(
        total, 1,
        "the slow thread read 0 before two other increments, so its write should set 1 and \
         lose both, got {total}: write back the value read before the pause, plus one"
    );
}

/// Claims: 3.
#[test]
fn increments_add_exactly_one_each() {
    let counter = RacyCounter::new();
    for _ in 0..37 {
        counter.increment(|| {});
    }
    assert_eq!(
        counter.get(),
        37,
        "37 increments on one thread gave {}",
        counter.get()
    );
}

/// What the threads of [`the_result_is_the_final_value_not_the_largest_seen`] report.
#[derive(Debug, PartialEq)]
enum Event {
    /// The first counting thread is inside its last pause, its write still to come.
    FirstInLastPause,
    /// A counting thread exited after this many pauses (`thread` 0 paused first, 1 second).
    Exited { thread: usize, pauses: usize },
    /// `run_threads` returned `total`, leaving `unjoined` of its threads unjoined.
    Returned { total: usize, unjoined: usize },
    /// `run_threads` panicked.
    Panicked,
}

/// Sends its event when dropped: when a thread exits, or a closure ends (also by a panic).
struct OnDrop(mpsc::Sender<Event>, Option<Event>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(event) = self.1.take() {
            let _ = self.0.send(event);
        }
    }
}

/// A stale write makes the counter go down: the value to return is the one it ends at, not
/// the largest any thread saw. Two threads, two increments each, let start one at a time (so
/// each first read is known): the first counts 0 to 1, reads 1 and waits in its pause; the
/// second then counts 1 to 3 and exits; the first writes 1 + 1 = 2, the final value, though
/// the counter was 3.
///
/// Claims: 7.
#[test]
fn the_result_is_the_final_value_not_the_largest_seen() {
    use labkit::sync::{Condvar, Mutex};
    use std::cell::RefCell;
    use std::time::Duration;

    type Pauses = RefCell<Option<(usize, usize, OnDrop)>>;
    thread_local!(static PAUSES: Pauses = const { RefCell::new(None) });
    const PATIENCE: Duration = Duration::from_secs(5);
    let (events, seen) = mpsc::channel::<Event>();
    // The first thread waits in its last pause until the test opens its window: a wait of
    // the facade, which the probes see.
    let window = Arc::new((Mutex::new(false), Condvar::new()));
    let arrivals = Arc::new(AtomicUsize::new(0));

    let pause = {
        let (events, window) = (events.clone(), Arc::clone(&window));
        move || {
            let (thread, pauses) = PAUSES.with(|slot| {
                let mut slot = slot.borrow_mut();
                let (thread, pauses, on_exit) = slot.get_or_insert_with(|| {
                    let thread = arrivals.fetch_add(1, Ordering::SeqCst);
                    (thread, 0, OnDrop(events.clone(), None))
                });
                *pauses += 1;
                on_exit.1 = Some(Event::Exited {
                    thread: *thread,
                    pauses: *pauses,
                });
                (*thread, *pauses)
            });
            if (thread, pauses) == (0, 2) {
                // The test may be over already, having failed.
                let _ = events.send(Event::FirstInLastPause);
                let (open, opened) = &*window;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = opened.wait(open).unwrap();
                }
            }
        }
    };
    // The runner, started before the gate goes up, calls `run_threads` once it is up: the
    // gate holds the threads that `run_threads` starts, and the test lets them go.
    let (go, ready) = mpsc::channel::<()>();
    let runner = {
        let events = events.clone();
        thread::spawn(move || {
            ready.recv().unwrap();
            let mut returned = OnDrop(events, Some(Event::Panicked));
            let total = run_threads(2, 2, pause);
            let unjoined = probe::unjoined();
            returned.1 = Some(Event::Returned { total, unjoined });
        })
    };
    drop(events);
    let gate = probe::hold_starts();
    go.send(()).unwrap();
    let mut runner = Some(runner);
    // The next event, as soon as there is one; `None` once nothing but the test could make
    // one. A return that leaves threads unjoined fails here, whenever it comes.
    let mut next = || {
        let event = RefCell::new(None);
        probe::returns(PATIENCE, || {
            let mut event = event.borrow_mut();
            if event.is_none() {
                *event = seen.try_recv().ok();
            }
            event.is_some()
        });
        match event.into_inner() {
            Some(Event::Panicked) => match runner.take().map(|runner| runner.join()) {
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                _ => None,
            },
            Some(Event::Returned { unjoined, .. }) if unjoined > 0 => panic!(
                "`run_threads(2, 2, ..)` returned leaving {unjoined} of its threads unjoined: \
                 join every handle (`handle.join()`) before reading the counter"
            ),
            event => event,
        }
    };

    if !gate.start_one(PATIENCE) {
        // `run_threads` may have panicked (its own panic is re-raised) or returned.
        let event = next();
        panic!(
            "`run_threads(2, 2, ..)` started no thread (then {event:?}): start `threads` \
             threads with `thread::spawn`"
        );
    }
    match next() {
        Some(Event::FirstInLastPause) => {}
        Some(Event::Exited { pauses, .. }) => panic!(
            "with `iterations` 2, the first thread exited after {pauses} pause(s): each thread \
             calls `increment` `iterations` times, each with one pause"
        ),
        other => panic!(
            "the first thread that `run_threads(2, 2, ..)` started never reached its second \
             pause{}: each of the `threads` threads it starts makes `iterations` increments \
             and ends (a thread of its own that never ends is left unjoined)\n{}",
            other
                .map(|event| format!(" (it sent {event:?})"))
                .unwrap_or_default(),
            probe::sleepers()
        ),
    }
    assert!(
        gate.start_one(PATIENCE),
        "`run_threads(2, 2, ..)` did not start its second thread while the first was still \
         counting: start every thread before joining any (a thread joined right after it \
         starts runs alone, and the threads run one after another)\n{}",
        probe::sleepers()
    );
    match next() {
        Some(Event::Exited {
            thread: 1,
            pauses: 2,
        }) => {}
        other => panic!(
            "the second thread was to make its two increments and exit while the first waited \
             in its pause; got {other:?}{}",
            probe::sleepers()
        ),
    }
    {
        let (open, opened) = &*window;
        *open.lock().unwrap() = true;
        opened.notify_all();
    }
    let total = loop {
        match next() {
            Some(Event::Returned { total, .. }) => break total,
            Some(Event::Exited { .. }) => continue,
            other => panic!(
                "`run_threads` never returned once both threads had counted (got {other:?}){}",
                probe::sleepers()
            ),
        }
    };
    drop(gate);
    match total {
        2 => {}
        4 => panic!(
            "no update was lost, although the first thread read 1 and paused while the second \
             counted to 3, and only then wrote: `run_threads` returned 4, not 2. Does \
             `increment` call `pause` between its read and its write, on one shared counter?"
        ),
        _ => panic!(
            "the first thread read 1 and waited in its pause while the second counted 1 -> 2 \
             -> 3 and exited; the first then wrote 1 + 1 = 2, the counter's final value, but \
             `run_threads` returned {total}: return the counter's value read once every \
             thread is joined, not a value some thread saw on the way"
        ),
    }
}
