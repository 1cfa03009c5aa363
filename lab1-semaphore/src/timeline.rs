//! What a failed loom model did, step by step, in the terms of the code that did it: one
//! column per thread, one row per step that matters, each step at its `file:line` in the lab
//! (`src/lib.rs`) or its test, and a last row that names the mistake. It is the grader's file,
//! like `sync.rs`, and exists only under `--cfg loom`.
//!
//! The facade's primitives record their steps here as they run ([`record`]); a test may add
//! steps in its own words ([`note`]). A test runs its model with [`model`] or
//! [`model_bounded`] instead of `loom::model`: when the model fails, they run it again with
//! the fewest preemptions that still fail it, so the timeline is as short as it can be, print
//! the timeline, and fail the test with the failure and a sentence saying what is missing.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Once;
use std::sync::atomic::Ordering;

/// The first line of a printed timeline; the grader finds the timeline by it.
pub const HEADER: &str = "loom found this interleaving, step by step:";

/// The most step rows a timeline shows; earlier steps are counted, not shown.
pub const MAX_ROWS: usize = 12;

/// The most preemptions tried when looking for the shortest failing interleaving of a model
/// that sets no bound of its own.
const MAX_PREEMPTIONS_TRIED: usize = 3;

/// The widest a column is; longer steps wrap.
const COLUMN_WIDTH: usize = 34;

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// An atomic operation: what it did (`swap false → true`), with its ordering, and whether
    /// it read and wrote the atomic.
    Atomic {
        /// The operation and the values it saw and wrote.
        what: String,
        /// Its memory ordering (of the half that took effect).
        ordering: Ordering,
        /// Whether it read the atomic (so could acquire).
        reads: bool,
        /// Whether it wrote the atomic (so could release).
        writes: bool,
    },
    /// Access to the value inside an `UnsafeCell` began.
    UsedValue,
    /// A `Mutex` was taken; `lock` tells the mutexes of a model apart.
    TookLock {
        /// The mutex (its address).
        lock: usize,
    },
    /// A `Mutex` was released.
    ReleasedLock {
        /// The mutex (its address).
        lock: usize,
    },
    /// A thread gave its lock back and slept on a condition variable.
    Waits,
    /// A thread sleeping on a condition variable woke and took its lock back.
    Woken,
    /// A condition variable was notified (`all`: every waiter).
    Notified {
        /// `notify_all` rather than `notify_one`.
        all: bool,
    },
    /// A step in the test's own words.
    Note(String),
}

/// One recorded step.
#[derive(Debug, Clone)]
struct Step {
    thread: usize,
    at: &'static Location<'static>,
    action: Action,
}

/// A thread blocked where the facade can see it.
#[derive(Debug, Clone, Copy)]
enum Blocked {
    Lock(&'static Location<'static>),
    Condvar(&'static Location<'static>),
}

/// The recording of the iteration running now, and the first panic of the run.
#[derive(Debug, Default)]
struct Recording {
    /// Whether a model of this module is running on this thread.
    active: bool,
    steps: Vec<Step>,
    blocked: BTreeMap<usize, Blocked>,
    panic: Option<(String, String)>,
}

thread_local! {
    // Loom runs every thread of a model on the test's own thread, one at a time.
    static RECORDING: RefCell<Recording> = RefCell::new(Recording::default());
}

/// Records that the current loom thread did `action` at `at`; nothing outside a model of this
/// module, or while a panic unwinds.
pub(crate) fn record(at: &'static Location<'static>, action: Action) {
    if std::thread::panicking() || !RECORDING.with(|r| r.borrow().active) {
        return;
    }
    let thread = current_thread();
    RECORDING.with(|r| {
        let mut r = r.borrow_mut();
        if matches!(action, Action::TookLock { .. } | Action::Woken) {
            r.blocked.remove(&thread);
        }
        r.steps.push(Step { thread, at, action });
    });
}

/// Records that the current loom thread is about to block on a lock taken at `at` (`lock`)
/// or in a wait at `at`, until [`record`] sees it take the lock or wake.
pub(crate) fn blocking(at: &'static Location<'static>, on_lock: bool) {
    if std::thread::panicking() || !RECORDING.with(|r| r.borrow().active) {
        return;
    }
    let thread = current_thread();
    let blocked = if on_lock {
        Blocked::Lock(at)
    } else {
        Blocked::Condvar(at)
    };
    RECORDING.with(|r| r.borrow_mut().blocked.insert(thread, blocked));
}

/// Adds a step in the test's own words (for example `read 0`), at the caller's line.
#[track_caller]
pub fn note(what: impl Into<String>) {
    record(Location::caller(), Action::Note(what.into()));
}

/// Runs `model` over every interleaving, as `loom::model`; when one fails, fails the test
/// with the shortest failing interleaving as a timeline.
#[track_caller]
pub fn model<F>(model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check(None, model);
}

/// As [`model`], exploring only interleavings with at most `preemptions` preemptions.
#[track_caller]
pub fn model_bounded<F>(preemptions: usize, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check(Some(preemptions), model);
}

/// A failed run: what failed, the steps of the failing iteration, and the bound it ran with.
struct Failed {
    message: String,
    location: String,
    steps: Vec<Step>,
    blocked: BTreeMap<usize, Blocked>,
    preemptions: Option<usize>,
}

/// Runs `model` with at most `bound` preemptions (loom's default when `None`); if it fails,
/// runs it again with 0, 1, ... preemptions up to the bound (or [`MAX_PREEMPTIONS_TRIED`]),
/// prints the first failing run's timeline, and fails with its panic's message.
#[track_caller]
fn check<F>(bound: Option<usize>, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    install_hook();
    let model = std::sync::Arc::new(model);
    let Some(first) = run(bound, &model) else {
        return;
    };
    if is_todo(&first.message) {
        // A stub, not an interleaving: nothing to show.
        panic!("{} ({})", first.message, first.location);
    }
    let tries = bound.unwrap_or(MAX_PREEMPTIONS_TRIED);
    let shortest = (0..tries)
        .find_map(|preemptions| run(Some(preemptions), &model))
        .unwrap_or(first);
    eprintln!("\n{}", render(&shortest));
    panic!("{}", shortest.message);
}

/// Runs `model` with at most `preemptions` preemptions; the failure, if an interleaving failed.
fn run<F>(preemptions: Option<usize>, model: &std::sync::Arc<F>) -> Option<Failed>
where
    F: Fn() + Sync + Send + 'static,
{
    RECORDING.with(|r| *r.borrow_mut() = Recording::default());
    let mut builder = loom::model::Builder::new();
    if preemptions.is_some() {
        builder.preemption_bound = preemptions;
    }
    let body = std::sync::Arc::clone(model);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || {
            RECORDING.with(|r| {
                let mut r = r.borrow_mut();
                r.active = true;
                r.steps.clear();
                r.blocked.clear();
            });
            body();
        });
    }));
    let recording = RECORDING.with(|r| std::mem::take(&mut *r.borrow_mut()));
    let payload = outcome.err()?;
    let (message, location) = recording
        .panic
        .unwrap_or_else(|| (payload_text(payload.as_ref()), String::new()));
    Some(Failed {
        message,
        location,
        steps: recording.steps,
        blocked: recording.blocked,
        preemptions: preemptions.or(bound_from_env()),
    })
}

/// The preemption bound loom takes from its environment, if any.
fn bound_from_env() -> Option<usize> {
    std::env::var("LOOM_MAX_PREEMPTIONS").ok()?.parse().ok()
}

/// The text of a panic's payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Installs, once, a panic hook that keeps the first panic of a running model (its message and
/// place) instead of printing it, and leaves every other panic to the hook before it.
fn install_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let text = info.to_string();
            let aborts = ["panic in a destructor during cleanup", "cannot unwind"]
                .iter()
                .any(|words| text.contains(words));
            if aborts {
                // The process aborts after this hook: show what the model did first.
                print_before_abort();
                previous(info);
                return;
            }
            let kept = RECORDING.with(|r| {
                let Ok(mut r) = r.try_borrow_mut() else {
                    return false;
                };
                if !r.active {
                    return false;
                }
                if r.panic.is_none() {
                    let message = payload_text(info.payload());
                    let location = info.location().map_or_else(String::new, |at| place(at));
                    r.panic = Some((message.trim_end().to_owned(), location));
                }
                true
            });
            if !kept {
                previous(info);
            }
        }));
    });
}

/// Prints the timeline of the iteration running now, if a model of this module is running
/// and has failed: loom's clean-up after the failure is about to abort the process.
fn print_before_abort() {
    let failed = RECORDING.with(|r| {
        let r = r.try_borrow().ok()?;
        let (message, location) = r.panic.clone()?;
        Some(Failed {
            message,
            location,
            steps: r.steps.clone(),
            blocked: r.blocked.clone(),
            preemptions: None,
        })
    });
    let Some(failed) = failed else {
        return;
    };
    if is_todo(&failed.message) {
        // The panic this hook kept from printing, as Rust prints one.
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        eprintln!(
            "\nthread '{name}' panicked at {}:\n{}",
            failed.location, failed.message
        );
        return;
    }
    eprintln!(
        "\n{}\n      (loom then crashed cleaning up after this failure: the process aborts)\n",
        render(&failed)
    );
}

/// Whether a panic's `message` is a `todo!()`'s: a stub reached, not an interleaving.
fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented")
}

/// The loom thread running now: 0 for the model's main thread, then 1, 2, ... in spawn order.
fn current_thread() -> usize {
    let id = format!("{:?}", loom::thread::current().id());
    id.trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .unwrap_or(usize::MAX)
}

/// A thread's name in a timeline.
fn thread_name(thread: usize) -> String {
    if thread == 0 {
        "main".to_owned()
    } else {
        format!("thread {thread}")
    }
}

/// `location` as the lab knows it: `src/lib.rs:12`, `tests/loom.rs:40` (the part of the path
/// from `src/`, `tests/` or `hidden/` on), or the file name for a place elsewhere.
fn place(location: &Location<'_>) -> String {
    let file = location.file().replace('\\', "/");
    let from = ["src/", "tests/", "hidden/"]
        .iter()
        .filter_map(|folder| {
            file.rfind(&format!("/{folder}"))
                .map(|at| at + 1)
                .or(file.starts_with(folder).then_some(0))
        })
        .max();
    let short = match from {
        Some(at) if !file.contains("/.cargo/") => &file[at..],
        _ => file.rsplit('/').next().unwrap_or(&file),
    };
    format!("{short}:{}", location.line())
}

/// What a step did, in words.
fn describe(action: &Action) -> String {
    match action {
        Action::Atomic { what, ordering, .. } => format!("{what} ({ordering:?})"),
        Action::UsedValue => "uses the value".to_owned(),
        Action::TookLock { .. } => "took the lock".to_owned(),
        Action::ReleasedLock { .. } => "released the lock".to_owned(),
        Action::Waits => "waits (lock given back)".to_owned(),
        Action::Woken => "woken, took the lock back".to_owned(),
        Action::Notified { all: false } => "notify_one".to_owned(),
        Action::Notified { all: true } => "notify_all".to_owned(),
        Action::Note(text) => text.clone(),
    }
}

/// A row of the timeline: one step of a thread, or a few lock and condition-variable steps it
/// made in a row, or a step it repeated at the same place.
struct Row {
    thread: usize,
    /// Each step's place and words, in order.
    parts: Vec<(String, String)>,
    /// How many times the one step of the row was made in a row (1 for a merged row).
    times: usize,
}

impl Row {
    /// The row's words: each step at its place (a place repeated is left out).
    fn text(&self) -> String {
        let mut text = String::new();
        let mut last_place = "";
        for (place, words) in &self.parts {
            if !text.is_empty() {
                text.push_str("; ");
            }
            if place != last_place {
                let _ = write!(text, "{place}: ");
                last_place = place;
            }
            text.push_str(words);
        }
        if self.times > 1 {
            let _ = write!(text, " (×{})", self.times);
        }
        text.replace(
            "took the lock; released the lock",
            "took and released the lock",
        )
    }
}

/// The most steps merged into one row.
const MERGED_STEPS: usize = 3;

/// Whether `action` is a lock or condition-variable step, which merges with the same
/// thread's step before it.
fn merges(action: &Action) -> bool {
    matches!(
        action,
        Action::TookLock { .. }
            | Action::ReleasedLock { .. }
            | Action::Waits
            | Action::Woken
            | Action::Notified { .. }
    )
}

/// The rows of `steps`: a thread's lock and condition-variable steps made one after the other
/// share a row (up to [`MERGED_STEPS`]), and a step repeated by the same thread at the same
/// place is one row with a count.
fn rows(steps: &[Step]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut previous: Option<&Step> = None;
    for step in steps {
        let part = (place(step.at), describe(&step.action));
        let same_thread = previous.is_some_and(|before| before.thread == step.thread);
        let merge = same_thread
            && previous.is_some_and(|before| merges(&before.action))
            && merges(&step.action);
        match rows.last_mut() {
            Some(row) if same_thread && row.parts.len() == 1 && row.parts[0] == part => {
                row.times += 1;
            }
            Some(row) if merge && row.times == 1 && row.parts.len() < MERGED_STEPS => {
                row.parts.push(part);
            }
            _ => rows.push(Row {
                thread: step.thread,
                parts: vec![part],
                times: 1,
            }),
        }
        previous = Some(step);
    }
    rows
}

/// The timeline of a failed run, as printed.
fn render(failed: &Failed) -> String {
    let all_rows = rows(&failed.steps);
    let left_out = all_rows.len().saturating_sub(MAX_ROWS);
    let shown = &all_rows[left_out..];
    let mut threads: Vec<usize> = failed.steps.iter().map(|step| step.thread).collect();
    threads.extend(failed.blocked.keys());
    threads.sort_unstable();
    threads.dedup();
    if threads.is_empty() {
        threads.push(0);
    }
    let mut out = String::new();
    let preemptions = match failed.preemptions {
        Some(0) => " (no preemption needed)".to_owned(),
        Some(1) => " (1 preemption)".to_owned(),
        Some(bound) => format!(" (at most {bound} preemptions)"),
        None => String::new(),
    };
    let _ = writeln!(out, "{HEADER}{preemptions}");
    let header: Vec<String> = threads.iter().map(|&t| thread_name(t)).collect();
    write_row(&mut out, "", &header);
    if left_out > 0 {
        let _ = writeln!(out, "      ({left_out} earlier steps left out)");
    }
    for (number, row) in shown.iter().enumerate() {
        let cells: Vec<String> = threads
            .iter()
            .map(|&t| {
                if t == row.thread {
                    row.text()
                } else {
                    String::new()
                }
            })
            .collect();
        write_row(&mut out, &format!("{}", left_out + number + 1), &cells);
    }
    // One line, whatever its length: the grader groups a class's failures by it.
    let _ = writeln!(out, "   ✗  {}", failure_line(failed));
    write_paragraph(&mut out, "      ", &explain(failed));
    let _ = write!(out, "      replay: {}", replay());
    out
}

/// The widest a line of the failure and its explanation is, after their margin.
const PARAGRAPH_WIDTH: usize = 92;

/// Writes `text` after `margin`, wrapped at [`PARAGRAPH_WIDTH`], later lines under the first.
fn write_paragraph(out: &mut String, margin: &str, text: &str) {
    let indent = " ".repeat(margin.chars().count());
    for (number, line) in wrap(text, PARAGRAPH_WIDTH).iter().enumerate() {
        let margin = if number == 0 { margin } else { &indent };
        let _ = writeln!(out, "{margin}{line}");
    }
}

/// Writes one row: its label, then each cell in its column, wrapping long cells.
fn write_row(out: &mut String, label: &str, cells: &[String]) {
    let wrapped: Vec<Vec<String>> = cells.iter().map(|cell| wrap(cell, COLUMN_WIDTH)).collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    for line in 0..height {
        let label = if line == 0 { label } else { "" };
        let mut text = format!("  {label:>3}  ");
        for cell in &wrapped {
            let part = cell.get(line).map_or("", String::as_str);
            let _ = write!(text, "{part:<COLUMN_WIDTH$}  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The failure, on one line: its first line, and where, if in the lab or its tests.
fn failure_line(failed: &Failed) -> String {
    let first = failed.message.lines().next().unwrap_or_default().trim();
    if first.starts_with("deadlock;") {
        return "deadlock: loom found every thread left blocked, with none to wake it".to_owned();
    }
    if first.contains("maximum number of branches") {
        return "loom gave up: the model exceeded its maximum number of branches".to_owned();
    }
    let ours = ["src/", "tests/", "hidden/"]
        .iter()
        .any(|folder| failed.location.starts_with(folder));
    if ours {
        format!("{first} ({})", failed.location)
    } else {
        first.to_owned()
    }
}

/// What the failure means, in the lab's terms: which accesses conflict and what orders
/// them, who waits for what, or which loop never lets loom see it wait.
fn explain(failed: &Failed) -> String {
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
        .or_else(|| explain_lost_update(&failed.steps))
        .unwrap_or_else(|| {
            "the step marked ✗ failed after the steps above, in this order".to_owned()
        })
}

/// Two threads that loaded the same value of an atomic, each before the other stored: the
/// classic lost update of a read and a write made as two steps.
fn explain_lost_update(steps: &[Step]) -> Option<String> {
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
fn explain_split_section(steps: &[Step]) -> Option<String> {
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

/// Which two uses of the value conflict, and which ordering would have ordered them.
fn explain_race(steps: &[Step]) -> String {
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
fn is_atomic(step: &Step, matches: impl Fn(bool, bool) -> bool) -> bool {
    match &step.action {
        Action::Atomic { reads, writes, .. } => matches(*reads, *writes),
        _ => false,
    }
}

/// The ordering of an atomic step (`SeqCst` for any other step, never asked).
fn ordering_of(step: &Step) -> Ordering {
    match &step.action {
        Action::Atomic { ordering, .. } => *ordering,
        _ => Ordering::SeqCst,
    }
}

/// Who waits for what when every thread is blocked.
fn explain_deadlock(failed: &Failed) -> String {
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
fn explain_endless_loop(steps: &[Step]) -> String {
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

/// The command that runs the failing test again.
fn replay() -> String {
    let package = env!("CARGO_PKG_NAME");
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(|name| format!(" {name} -- --exact"))
        .unwrap_or_default();
    format!("RUSTFLAGS=\"--cfg loom\" cargo test --release -p {package} --test loom{test}")
}
