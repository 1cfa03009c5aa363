//! The interleaving a failed loom model found, shortened for a report.
//!
//! A failed model is run once more with `LOOM_LOG=trace`; loom then logs every event of every
//! iteration, and the last iteration is the failing one. This keeps that iteration's thread
//! switches and the events that matter to a student (locks taken and released, atomics,
//! waits and notifications, spawns and ends), at most [`MAX_LINES`] of them.

/// Environment that makes loom log its events.
pub const TRACE_ENV: &[(&str, &str)] = &[
    ("LOOM_LOG", "trace"),
    ("LOOM_LOCATION", "1"),
    ("NO_COLOR", "1"),
];

/// The most lines a shortened interleaving has.
pub const MAX_LINES: usize = 30;

/// Events worth showing, by the text loom logs for them.
const SHOWN: &[&str] = &[
    "~~~~~~~~ THREAD",
    "spawn thread",
    "thread_done: terminate",
    "Mutex::post_acquire",
    "Mutex::release_lock",
    "Atomic::",
    "Notify::notify",
    "Notify::wait 1",
    "Condvar",
    "Causality",
];

/// The failing iteration's interleaving from a loom trace, or `None` if there is no trace.
pub fn shorten(trace: &str) -> Option<String> {
    let plain = strip_ansi(trace);
    let last = plain.lines().filter_map(iteration).next_back()?.to_owned();
    let events: Vec<String> = plain
        .lines()
        .filter(|line| iteration(line) == Some(last.as_str()))
        .filter(|line| SHOWN.iter().any(|shown| line.contains(shown)))
        .map(event)
        .collect();
    if events.is_empty() {
        return None;
    }
    let left_out = events.len().saturating_sub(MAX_LINES);
    let mut shown: Vec<String> = events.into_iter().skip(left_out).collect();
    if left_out > 0 {
        shown.insert(0, format!("... {left_out} earlier events left out"));
    }
    Some(format!(
        "the interleaving loom found (iteration {last}, shortened):\n  {}",
        shown.join("\n  ")
    ))
}

/// The iteration number a trace line belongs to (`iter{12}` gives `12`).
fn iteration(line: &str) -> Option<&str> {
    let start = line.find("iter{")? + "iter{".len();
    let end = start + line[start..].find('}')?;
    Some(&line[start..end])
}

/// The event of a trace line: what loom logged, without the span prefix and internal ids.
fn event(line: &str) -> String {
    let text = line
        .split_once("loom::rt")
        .and_then(|(_, rest)| rest.split_once(": "))
        .map_or(line, |(_, message)| message);
    let kept: Vec<&str> = text
        .split_whitespace()
        .filter(|word| !word.starts_with("state=") && !word.starts_with("seq_cst="))
        .collect();
    kept.join(" ")
}

/// `text` without ANSI colour sequences.
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_iteration_s_switches_and_lock_events() {
        let trace = "\
 TRACE iter{1}:thread{id=0}: loom::rt::mutex: Mutex::post_acquire state=Ref(0) thread=Id(0)
 INFO iter{2}:thread{id=1}: loom::rt::execution: ~~~~~~~~ THREAD 1 ~~~~~~~~
 TRACE iter{2}:thread{id=1}: loom::rt: branch switch=true
 TRACE iter{2}:thread{id=1}: loom::rt::mutex: Mutex::post_acquire state=Ref(0) thread=Id(1)
 TRACE iter{2}:thread{id=1}: loom::rt::mutex: Mutex::release_lock state=Ref(0) thread=Id(1)
\u{1b}[35mTRACE\u{1b}[0m iter{2}:thread{id=0}: loom::rt::mutex: Mutex::post_acquire state=Ref(0) thread=Id(0)
";
        let shortened = shorten(trace).unwrap();
        assert_eq!(
            shortened,
            "the interleaving loom found (iteration 2, shortened):\n  \
             ~~~~~~~~ THREAD 1 ~~~~~~~~\n  \
             Mutex::post_acquire thread=Id(1)\n  \
             Mutex::release_lock thread=Id(1)\n  \
             Mutex::post_acquire thread=Id(0)"
        );
    }

    #[test]
    fn no_trace_no_interleaving() {
        assert_eq!(shorten("thread 'x' panicked at a.rs:1:1:\nboom\n"), None);
    }
}
