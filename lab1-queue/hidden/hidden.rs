//! Hidden tests of Lab 1.4: the grader runs these; they are not in the student release.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use lab1_queue::{TaskQueue, loopback_config, run_pipeline, worker};

#[test]
fn join_on_a_queue_that_never_had_items_returns() {
    let queue: TaskQueue<u8> = TaskQueue::new();
    queue.join();
    assert!(queue.is_empty());
}

#[test]
fn task_done_without_an_item_panics() {
    let queue: TaskQueue<u8> = TaskQueue::new();
    let outcome = std::panic::catch_unwind(|| queue.task_done());
    let message = outcome
        .err()
        .and_then(|panic| {
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
        })
        .expect("`task_done` with no unfinished item must panic, as Python raises ValueError");
    assert!(
        message.contains("task_done() called more times than items were put"),
        "`task_done` panicked with {message:?}; say \"task_done() called more times than items \
         were put\""
    );
}

#[test]
fn a_worker_stops_at_the_signal_and_marks_it_done() {
    let queue = TaskQueue::new();
    queue.put(Some(String::from("hostname R1")));
    queue.put(None);
    queue.put(Some(String::from("left for another worker")));
    let seen = Mutex::new(Vec::new());
    let applied = worker(7, &queue, &|id, task: &str| {
        seen.lock().unwrap().push((id, task.to_owned()))
    });
    assert_eq!(
        applied, 1,
        "the worker should apply the one task before the stop signal"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(7, String::from("hostname R1"))]
    );
    assert_eq!(
        queue.len(),
        1,
        "the worker must stop at the signal, leaving what follows"
    );
    queue.get();
    queue.task_done();
    queue.join();
}

#[test]
fn many_producers_and_getters_lose_nothing() {
    let queue = Arc::new(TaskQueue::new());
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (0..200).for_each(|i| queue.put(p * 1000 + i)))
        })
        .collect();
    let total = Arc::new(AtomicUsize::new(0));
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let total = Arc::clone(&total);
            thread::spawn(move || {
                for _ in 0..200 {
                    total.fetch_add(queue.get(), Ordering::SeqCst);
                    queue.task_done();
                }
            })
        })
        .collect();
    for handle in producers.into_iter().chain(getters) {
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    queue.join();
    let expected: usize = (0..3)
        .map(|p| (0..200).map(|i| p * 1000 + i).sum::<usize>())
        .sum();
    assert_eq!(
        total.load(Ordering::SeqCst),
        expected,
        "the 600 items taken do not add up to the 600 put: items were lost or duplicated"
    );
}

#[test]
fn join_waits_for_the_last_task_done() {
    let queue = Arc::new(TaskQueue::new());
    queue.put(1);
    queue.get();
    let done = Arc::new(AtomicUsize::new(0));
    let (joined, has_joined) = mpsc::channel();
    let joiner = {
        let queue = Arc::clone(&queue);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            queue.join();
            joined.send(done.load(Ordering::SeqCst)).unwrap();
        })
    };
    done.store(1, Ordering::SeqCst);
    queue.task_done();
    let seen = has_joined.recv().unwrap();
    joiner.join().unwrap();
    assert_eq!(
        seen, 1,
        "`join` returned before the only taken item was marked done"
    );
}

#[test]
fn one_worker_applies_everything_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let per_worker = run_pipeline(
        4,
        1,
        |_| {},
        move |_, task: &str| log.lock().unwrap().push(task.to_owned()),
    );
    assert_eq!(per_worker, vec![4]);
    let expected: Vec<String> = (0..4).map(loopback_config).collect();
    assert_eq!(
        *seen.lock().unwrap(),
        expected,
        "one worker sees the tasks in the order put"
    );
}

#[test]
fn the_producer_reports_each_task_after_putting_it() {
    let reported = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&reported);
    run_pipeline(
        3,
        2,
        move |task| log.lock().unwrap().push(task.to_owned()),
        |_, _| {},
    );
    let expected: Vec<String> = (0..3).map(loopback_config).collect();
    assert_eq!(*reported.lock().unwrap(), expected);
}
