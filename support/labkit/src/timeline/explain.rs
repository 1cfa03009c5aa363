//! The timeline's last words: which mistake a failed run shows (a lost update, a critical
//! section split in two, a data race, a deadlock, an endless loop), in a sentence.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::Failed;
use super::record::{Action, Blocked, Step};
use super::render::{describe, place, thread_name};

/// What the failure means, in the lab's terms: which accesses conflict and what orders
/// them, who waits for what, or which loop never lets loom see it wait.
pub(super) fn explain(failed: &Failed) -> String {
    let message = &failed.message;
    if message.contains("Causality violation") {
        return explain_race(&failed.steps);
    }
    if message.contains("deadlock") {
        return explain_deadlock(failed);
    }
    if message.contains("maximum number of branches") {
        return explain_endless_loop(&failed.steps);
    }
    explain_split_section(&failed.steps)
        .or_else(|| explain_skipped_lock(&failed.steps))
        .or_else(|| explain_lost_update(&failed.steps))
        .unwrap_or_else(|| {
            "the step marked ✗ failed after the steps above, in this order".to_owned()
        })
}

/// Two threads that loaded the same value of an atomic, each before the other stored: the
/// classic lost update of a read and a write made as two steps.
pub(super) fn explain_lost_update(steps: &[Step]) -> Option<String> {
    let loads: Vec<(usize, &Step)> = steps
        .iter()
        .enumerate()
        .filter(|(_, step)| is_atomic(step, |reads, writes| reads && !writes))
        .collect();
    for (first_at, first) in &loads {
        for (second_at, second) in &loads {
            let overlapping = second_at > first_at
                && second.thread != first.thread
                && second.at == first.at
                && second.action == first.action;
            if !overlapping {
                continue;
            }
            let stored = |thread: usize, after: usize| {
                steps[after..]
                    .iter()
                    .find(|step| step.thread == thread && is_atomic(step, |_, writes| writes))
            };
            let (Some(store), Some(_)) = (
                stored(first.thread, *first_at),
                stored(second.thread, *second_at),
            ) else {
                continue;
            };
            if steps[*first_at..*second_at]
                .iter()
                .any(|step| std::ptr::eq(step, store))
            {
                continue;
            }
            return Some(format!(
                "{} and {} both {} at {} before either wrote back at {}: each wrote what it \
                 read plus one, and one update was lost. A read and a write made as two steps \
                 let another thread in between: make them one step (a lock around both, or one \
                 atomic read-modify-write)",
                thread_name(first.thread),
                thread_name(second.thread),
                describe(&first.action),
                place(first.at),
                place(store.at),
            ));
        }
    }
    None
}

/// A thread that took a lock, released it, and took it again at another line at once, while
/// another thread took it in between: a read-modify-write split over two critical sections.
pub(super) fn explain_split_section(steps: &[Step]) -> Option<String> {
    for (index, step) in steps.iter().enumerate() {
        let Action::ReleasedLock { lock } = step.action else {
            continue;
        };
        let first = steps[..index].iter().rev().find(|before| {
            before.thread == step.thread && before.action == Action::TookLock { lock }
        })?;
        let next = steps[index + 1..]
            .iter()
            .position(|after| after.thread == step.thread)?
            + index
            + 1;
        let again = &steps[next];
        if again.action != (Action::TookLock { lock }) || again.at == first.at {
            continue;
        }
        let Some(other) = steps[index + 1..next]
            .iter()
            .find(|between| between.action == Action::TookLock { lock })
        else {
            continue;
        };
        return Some(format!(
            "{} took the lock at {}, released it, and took it again at {}, but {} took it in \
             between (at {}): what {} saw under the lock the first time was out of date the \
             second time. A read and the write that depends on it belong under one lock",
            thread_name(step.thread),
            place(first.at),
            place(again.at),
            thread_name(other.thread),
            place(other.at),
            thread_name(step.thread),
        ));
    }
    None
}

/// A thread whose `try_lock` found a mutex held and that never took it afterwards: the work
/// it was to do under the lock was skipped.
pub(super) fn explain_skipped_lock(steps: &[Step]) -> Option<String> {
    steps.iter().enumerate().find_map(|(index, step)| {
        let Action::FoundLockHeld { lock } = step.action else {
            return None;
        };
        let took_it_later = steps[index + 1..]
            .iter()
            .any(|after| after.thread == step.thread && after.action == Action::TookLock { lock });
        (!took_it_later).then(|| {
            format!(
                "{}'s `try_lock` at {} found the lock held by another thread, and {} went on \
                 without ever taking it: what it was to do under the lock was skipped. \
                 `try_lock` fails whenever another thread holds the lock; work that must be \
                 done waits for it (`lock()`)",
                thread_name(step.thread),
                place(step.at),
                thread_name(step.thread),
            )
        })
    })
}

/// Which two uses of the value conflict, and which ordering would have ordered them.
pub(super) fn explain_race(steps: &[Step]) -> String {
    let Some((second_at, second)) = steps
        .iter()
        .enumerate()
        .rev()
        .find(|(_, step)| step.action == Action::UsedValue)
    else {
        return "two threads used the same value with nothing ordering one use before the \
                other"
            .to_owned();
    };
    let Some((first_at, first)) = steps[..second_at]
        .iter()
        .enumerate()
        .rev()
        .find(|(_, step)| step.action == Action::UsedValue && step.thread != second.thread)
    else {
        return format!(
            "{} used the value at {} while another thread's use was not ordered before it",
            thread_name(second.thread),
            place(second.at)
        );
    };
    let release = steps[first_at..second_at]
        .iter()
        .find(|step| step.thread == first.thread && is_atomic(step, |_, writes| writes));
    let take = steps[first_at..second_at]
        .iter()
        .rev()
        .find(|step| step.thread == second.thread && is_atomic(step, |reads, _| reads));
    let mut text = format!(
        "{} used the value at {}, then {} used it at {}; ",
        thread_name(first.thread),
        place(first.at),
        thread_name(second.thread),
        place(second.at)
    );
    let (Some(release), Some(take)) = (release, take) else {
        text.push_str(
            "no lock was released and taken between the two uses, so nothing orders them: \
             both threads held the lock at once",
        );
        return text;
    };
    let released_with = ordering_of(release);
    let taken_with = ordering_of(take);
    let _ = write!(
        text,
        "{} released the flag at {} with `{released_with:?}` and {} took it at {} with \
         `{taken_with:?}`; ",
        thread_name(first.thread),
        place(release.at),
        thread_name(second.thread),
        place(take.at)
    );
    let release_ok = matches!(
        released_with,
        Ordering::Release | Ordering::AcqRel | Ordering::SeqCst
    );
    let take_ok = matches!(
        taken_with,
        Ordering::Acquire | Ordering::AcqRel | Ordering::SeqCst
    );
    let fix = match (release_ok, take_ok) {
        (false, false) => {
            "nothing orders the first use before the second: the release needs \
                           `Release` and the take needs `Acquire`"
        }
        (false, true) => {
            "nothing orders the first use before the second: the release needs \
                          `Release`"
        }
        (true, false) => {
            "nothing orders the first use before the second: the take needs \
                          `Acquire`"
        }
        (true, true) => {
            "the orderings pair up, so the second thread took the flag without \
                         the first having released it: two guards were alive at once"
        }
    };
    text.push_str(fix);
    text
}

/// Whether `step` is an atomic operation for which `matches(reads, writes)` holds.
pub(super) fn is_atomic(step: &Step, matches: impl Fn(bool, bool) -> bool) -> bool {
    match &step.action {
        Action::Atomic { reads, writes, .. } => matches(*reads, *writes),
        _ => false,
    }
}

/// The ordering of an atomic step (`SeqCst` for any other step, never asked).
pub(super) fn ordering_of(step: &Step) -> Ordering {
    match &step.action {
        Action::Atomic { ordering, .. } => *ordering,
        _ => Ordering::SeqCst,
    }
}

/// Who waits for what when every thread is blocked.
pub(super) fn explain_deadlock(failed: &Failed) -> String {
    let waits: Vec<String> = failed
        .blocked
        .iter()
        .map(|(&thread, blocked)| match blocked {
            Blocked::Lock(at) => format!(
                "{} waits for the lock at {}",
                thread_name(thread),
                place(at)
            ),
            Blocked::Condvar(at) => format!(
                "{} sleeps in the wait at {} and nothing will notify it",
                thread_name(thread),
                place(at)
            ),
        })
        .collect();
    let who = if waits.is_empty() {
        "every thread is blocked".to_owned()
    } else {
        waits.join("; ")
    };
    format!(
        "every thread left is blocked for good: {who}. A wake-up was lost (a change a waiter \
         waits for made without notifying, or `notify_one` where several threads may wait), \
         or a lock is never released"
    )
}

/// The loop loom gave up on: the place repeated most in the failing iteration.
pub(super) fn explain_endless_loop(steps: &[Step]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for step in steps {
        *counts.entry(place(step.at)).or_default() += 1;
    }
    let busiest = counts.into_iter().max_by_key(|(_, count)| *count);
    let at = busiest.map_or_else(String::new, |(at, count)| {
        format!(" (the step at {at} ran {count} times)")
    });
    format!(
        "a loop waits without letting loom see it wait{at}: in a wait loop, call the \
         facade's `hint::spin_loop()`, or sleep on a condition variable"
    )
}
