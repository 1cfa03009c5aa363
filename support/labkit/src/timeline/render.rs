//! A failed run laid out as the timeline prints it: one column per thread, one row per step
//! that matters (repeated steps merged), the failure, what it means, and the replay command.

use std::fmt::Write as _;
use std::panic::Location;

use super::explain::explain;
use super::record::{Action, Step};
use super::{Failed, HEADER, MAX_ROWS};

/// The widest a column is; longer steps wrap.
pub(super) const COLUMN_WIDTH: usize = 34;

/// A thread's name in a timeline.
pub(super) fn thread_name(thread: usize) -> String {
    if thread == 0 {
        "main".to_owned()
    } else {
        format!("thread {thread}")
    }
}

/// `location` as the lab knows it: `src/lib.rs:12`, `tests/loom.rs:40` (the part of the path
/// from `src/`, `tests/` or `hidden/` on), or the file name for a place elsewhere.
pub(super) fn place(location: &Location<'_>) -> String {
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
        Some(at) if !file.contains("/.cargo/") && !file.contains("labkit/") => &file[at..],
        _ => file.rsplit('/').next().unwrap_or(&file),
    };
    format!("{short}:{}", location.line())
}

/// What a step did, in words.
pub(super) fn describe(action: &Action) -> String {
    match action {
        Action::Atomic { what, ordering, .. } => format!("{what} ({ordering:?})"),
        Action::UsedValue => "uses the value".to_owned(),
        Action::TookLock { .. } => "took the lock".to_owned(),
        Action::ReleasedLock { .. } => "released the lock".to_owned(),
        Action::FoundLockHeld { .. } => "try_lock found the lock held".to_owned(),
        Action::Waits => "waits (lock given back)".to_owned(),
        Action::Woken => "woken, took the lock back".to_owned(),
        Action::Notified { all: false } => "notify_one".to_owned(),
        Action::Notified { all: true } => "notify_all".to_owned(),
        Action::Note(text) => text.clone(),
    }
}

/// A row of the timeline: one step of a thread, or a few lock and condition-variable steps it
/// made in a row, or a step it repeated at the same place.
pub(super) struct Row {
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
pub(super) const MERGED_STEPS: usize = 3;

/// Whether `action` is a lock or condition-variable step, which merges with the same
/// thread's step before it.
pub(super) fn merges(action: &Action) -> bool {
    matches!(
        action,
        Action::TookLock { .. }
            | Action::ReleasedLock { .. }
            | Action::FoundLockHeld { .. }
            | Action::Waits
            | Action::Woken
            | Action::Notified { .. }
    )
}

/// The rows of `steps`: a thread's lock and condition-variable steps made one after the other
/// share a row (up to [`MERGED_STEPS`]), and a step repeated by the same thread at the same
/// place is one row with a count.
pub(super) fn rows(steps: &[Step]) -> Vec<Row> {
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
pub(super) fn render(failed: &Failed) -> String {
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
    let _ = write!(out, "      replay: {}", replay(failed.model_at));
    out
}

/// The widest a line of the failure and its explanation is, after their margin.
pub(super) const PARAGRAPH_WIDTH: usize = 92;

/// Writes `text` after `margin`, wrapped at [`PARAGRAPH_WIDTH`], later lines under the first.
pub(super) fn write_paragraph(out: &mut String, margin: &str, text: &str) {
    let indent = " ".repeat(margin.chars().count());
    for (number, line) in wrap(text, PARAGRAPH_WIDTH).iter().enumerate() {
        let margin = if number == 0 { margin } else { &indent };
        let _ = writeln!(out, "{margin}{line}");
    }
}

/// Writes one row: its label, then each cell in its column, wrapping long cells.
pub(super) fn write_row(out: &mut String, label: &str, cells: &[String]) {
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
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
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
pub(super) fn failure_line(failed: &Failed) -> String {
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

/// The command that runs the failing test again, in any shell: the workspace's `cargo loom`
/// alias, in the lab whose test file called the model (`model_at`, `<lab>/tests/loom.rs`).
pub(super) fn replay(model_at: Option<&Location<'_>>) -> String {
    let file = model_at.map(|at| at.file().replace('\\', "/"));
    let lab = file.as_deref().and_then(|file| {
        let parts: Vec<&str> = file.split('/').collect();
        let test_folder = parts
            .iter()
            .rposition(|part| *part == "tests" || *part == "hidden")?;
        test_folder.checked_sub(1).map(|lab| parts[lab].to_owned())
    });
    let package = lab.map_or_else(String::new, |lab| format!(" -p {lab}"));
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(|name| format!(" {name} -- --exact"))
        .unwrap_or_default();
    format!("cargo loom{package}{test}")
}
