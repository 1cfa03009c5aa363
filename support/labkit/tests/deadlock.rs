//! The deadlock report on real threads: it names each kind of deadlock at once, at the lines
//! that wait, and never fires on a program that can still go on.
#![cfg(not(loom))]

use std::cell::RefCell;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use labkit::sync::{AtomicBool, Condvar, Mutex, Ordering, probe, thread};

/// The message of the panic that `f` ends with, run on a thread named `root` (not started by
/// the facade, as a test's own thread is not).
fn panic_of(f: impl FnOnce() + Send + 'static) -> String {
    let panic = std::thread::Builder::new()
        .name("root".into())
        .spawn(f)
        .unwrap()
        .join()
        .expect_err("the deadlock was not reported");
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(_) => String::from("(not a formatted panic)"),
    }
}

/// `this file:line` of the line of this file under the comment `// at: mark`.
fn at(mark: &str) -> String {
    let source = include_str!("deadlock.rs");
    let marker = format!("// at: {mark}");
    let line = source
        .lines()
        .position(|line| line.trim() == marker)
        .unwrap_or_else(|| panic!("no line is marked {mark}"));
    // `position` counts from 0, and the marked line is the one after the marker.
    format!("{}:{}", file!(), line + 2)
}

/// Asserts that `report` is a deadlock report of exactly `lines`, in order.
fn says(report: &str, lines: &[String]) {
    let mut expected = vec![String::from(
        "deadlock: every thread is asleep, and none is left to wake another",
    )];
    expected.extend(lines.iter().map(|line| format!("  {line}")));
    assert_eq!(report.lines().collect::<Vec<_>>(), expected, "{report}");
}

#[test]
fn a_thread_that_locks_a_mutex_it_holds_is_named_with_both_lines() {
    let report = panic_of(|| {
        let mutex = Mutex::new(0);
        // at: held
        let _held = mutex.lock().unwrap();
        // at: again
        let _again = mutex.lock();
    });
    says(
        &report,
        &[format!(
            "the test's thread `root`: waits at {} for a lock it holds itself, taken at {}",
            at("again"),
            at("held")
        )],
    );
}

#[test]
fn a_wait_nobody_notifies_and_the_join_on_it_are_named() {
    let report = panic_of(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let waiter = {
            let pair = Arc::clone(&pair);
            // at: spawned
            thread::spawn(move || {
                let (ready, changed) = &*pair;
                let mut ready = ready.lock().unwrap();
                while !*ready {
                    // at: waits
                    ready = changed.wait(ready).unwrap();
                }
            })
        };
        // at: joins
        waiter.join().unwrap();
    });
    says(
        &report,
        &[
            format!(
                "the test's thread `root`: waits at {} to join the thread started at {}",
                at("joins"),
                at("spawned")
            ),
            format!(
                "the thread started at {}: waits at {} for a notification of a condition \
                 variable, and no thread is left to send one",
                at("spawned"),
                at("waits")
            ),
        ],
    );
}

#[test]
fn threads_that_lock_two_mutexes_in_opposite_orders_are_named() {
    let report = panic_of(|| {
        let locks = Arc::new((Mutex::new(()), Mutex::new(())));
        // at: root takes a
        let _a = locks.0.lock().unwrap();
        let other = {
            let locks = Arc::clone(&locks);
            // at: spawned other
            thread::spawn(move || {
                // at: other takes b
                let _b = locks.1.lock().unwrap();
                // at: other waits for a
                let _a = locks.0.lock().unwrap();
            })
        };
        // Once the other thread holds `b`, both wait for good.
        while locks.1.try_lock().is_ok() {
            std::thread::yield_now();
        }
        // at: root waits for b
        let _b = locks.1.lock().unwrap();
        other.join().unwrap();
    });
    says(
        &report,
        &[
            format!(
                "the test's thread `root`: waits at {} for a lock taken at {} by a thread \
                 asleep at {}",
                at("root waits for b"),
                at("other takes b"),
                at("other waits for a")
            ),
            format!(
                "the thread started at {}: waits at {} for a lock taken at {} by a thread \
                 asleep at {}",
                at("spawned other"),
                at("other waits for a"),
                at("root takes a"),
                at("root waits for b")
            ),
        ],
    );
}

#[test]
fn a_spin_on_a_flag_nobody_clears_is_named() {
    let report = panic_of(|| {
        let flag = AtomicBool::new(true);
        // at: spins
        while flag.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    });
    says(
        &report,
        &[format!(
            "the test's thread `root`: spins at {} on an atomic that stays `true`, and no \
             thread is left to change it",
            at("spins")
        )],
    );
}

#[test]
fn a_spinner_whose_flag_is_cleared_before_it_looks_again_is_no_deadlock() {
    thread_local! {
        /// Held by the clearing thread until it has exited, after the facade has marked it
        /// finished.
        static GO: RefCell<Option<mpsc::Sender<()>>> = const { RefCell::new(None) };
    }
    let flag = Arc::new(AtomicBool::new(true));
    let (counted, is_counted) = mpsc::channel();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let spinner = {
        let flag = Arc::clone(&flag);
        thread::spawn(move || {
            let mut spins = 0u32;
            while flag.load(Ordering::Acquire) {
                spins += 1;
                // The facade counts it as spinning now; it stops looking, outside the facade,
                // until the clearing thread has exited.
                if spins == 1 << 16 {
                    counted.send(()).unwrap();
                    let _ = wait_for_go.recv();
                }
            }
        })
    };
    let clearer = {
        let flag = Arc::clone(&flag);
        thread::spawn(move || {
            GO.with(|slot| *slot.borrow_mut() = Some(go));
            is_counted.recv().unwrap();
            // Once the test's thread is asleep joining the spinner (and the spinner counts
            // as spinning), the flag is cleared, and this thread finishes: the write alone
            // must make the spinner run again, or its finish looks like the last hope gone.
            probe::returns(Duration::from_secs(5), || false);
            flag.store(false, Ordering::Release);
        })
    };
    spinner.join().unwrap();
    clearer.join().unwrap();
}

#[test]
fn a_wait_with_a_timeout_a_running_thread_and_a_pending_notification_keep_it_quiet() {
    let _serial = probe::serial();
    let pair = Arc::new((Mutex::new(0), Condvar::new()));
    // A wait with a timeout ends by itself.
    let (count, changed) = &*pair;
    let (guard, waited) = changed
        .wait_timeout(count.lock().unwrap(), Duration::from_millis(1))
        .unwrap();
    assert!(waited.timed_out());
    drop(guard);
    // A thread running outside the facade (asleep on a channel) while this one waits, until
    // a third thread sees this one asleep and lets it go on to notify.
    let before = probe::waiting();
    let (go, gate) = mpsc::channel::<()>();
    let notifier = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            gate.recv().unwrap();
            *pair.0.lock().unwrap() += 1;
            pair.1.notify_all();
        })
    };
    let releaser = thread::spawn(move || {
        probe::asleep(before + 1, Duration::from_secs(5), || false);
        go.send(()).unwrap();
    });
    let mut count = pair.0.lock().unwrap();
    while *count == 0 {
        count = pair.1.wait(count).unwrap();
    }
    drop(count);
    notifier.join().unwrap();
    releaser.join().unwrap();
    // Scoped threads taking turns, each asleep until its turn, and a spin lock's holder
    // that other threads spin on while it works.
    let turn = Mutex::new(0usize);
    let next = Condvar::new();
    let busy = AtomicBool::new(false);
    thread::scope(|scope| {
        for me in 0..4 {
            let (turn, next, busy) = (&turn, &next, &busy);
            scope.spawn(move || {
                for round in 0..50 {
                    let mut now = turn.lock().unwrap();
                    while *now != round * 4 + me {
                        now = next.wait(now).unwrap();
                    }
                    *now += 1;
                    next.notify_all();
                    drop(now);
                    while busy.swap(true, Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    busy.store(false, Ordering::Release);
                }
            });
        }
    });
    assert_eq!(*turn.lock().unwrap(), 200);
}

#[test]
fn a_thread_held_at_its_start_by_a_gate_nobody_opens_is_named() {
    let report = panic_of(|| {
        let gate = probe::hold_starts();
        // at: gated
        let held = thread::spawn(|| {});
        // at: join
        held.join().unwrap();
        drop(gate);
    });
    says(
        &report,
        &[
            format!(
                "the test's thread `root`: waits at {} to join the thread started at {}",
                at("join"),
                at("gated")
            ),
            format!(
                "the thread started at {}: is held at its start by the test's gate \
                 (`probe::hold_starts`), and no thread is left to open it",
                at("gated")
            ),
        ],
    );
}

#[test]
fn a_gate_lets_threads_start_one_at_a_time_in_the_order_they_were_spawned() {
    let (started, starts) = mpsc::channel();
    let (go, ready) = mpsc::channel::<()>();
    let spawner = thread::spawn(move || {
        ready.recv().unwrap();
        let threads: Vec<_> = (0..3)
            .map(|index| {
                let started = started.clone();
                thread::spawn(move || started.send(index).unwrap())
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    });
    let gate = probe::hold_starts();
    go.send(()).unwrap();
    let patience = Duration::from_secs(10);
    for expected in 0..3 {
        assert!(
            starts.try_recv().is_err(),
            "a thread started before the gate let it go"
        );
        assert!(gate.start_one(patience), "no thread was there to start");
        assert_eq!(starts.recv_timeout(patience), Ok(expected));
    }
    spawner.join().unwrap();
    assert!(
        !gate.start_one(patience),
        "the gate let go a thread that was never spawned"
    );
}

#[test]
fn watch_for_stops_at_sleepers_and_kept_waiters_and_waits_out_runners() {
    let _serial = probe::serial();
    let an_hour = Duration::from_secs(3600);
    // Asleep in a wait that only this thread could end: no, with an hour's patience.
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let sleeper = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            let (go, changed) = &*pair;
            let _go = changed.wait_while(go.lock().unwrap(), |go| !*go).unwrap();
        })
    };
    assert!(!probe::watch_for(an_hour, || false, || None::<()>));
    *pair.0.lock().unwrap() = true;
    pair.1.notify_all();
    sleeper.join().unwrap();
    // From here a thread runs outside the facade's sight (asleep on a channel), so nobody is
    // ever at rest. One kept waiting on the same thing past the patience: no.
    let (keep, kept) = mpsc::channel::<()>();
    let runner = thread::spawn(move || kept.recv().is_err());
    assert!(!probe::watch_for(Duration::ZERO, || false, || Some(())));
    // Waiting on something new at every look, or nobody waiting: watched on until done, a
    // hundred looks (each a millisecond or more apart) after the patience of one.
    for progress in [true, false] {
        let looks = RefCell::new(0);
        let done = || *looks.borrow() >= 100;
        let waiting = || {
            *looks.borrow_mut() += 1;
            progress.then(|| *looks.borrow())
        };
        assert!(probe::watch_for(Duration::from_millis(1), done, waiting));
    }
    drop(keep);
    assert!(runner.join().unwrap());
}
