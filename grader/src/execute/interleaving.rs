//! The interleaving a failed loom model found, as the lab's own timeline prints it.
//!
//! Every loom model of the labs runs through the support crate's `labkit::timeline::model`, which,
//! when the model fails, prints the shortest failing interleaving as a timeline: one column
//! per thread, each step at the student's `file:line`, a last row naming the mistake, and a
//! replay command. The grader takes that block out of the test's output as it is: the text a
//! student reads in the report is the text `cargo loom` shows them.

/// The first line of a timeline: `HEADER` of `support/labkit/src/timeline.rs` (the corpus
/// test fails if they part).
pub const HEADER: &str = "loom found this interleaving, step by step:";

/// The start of a timeline's last line.
const LAST_LINE: &str = "replay: ";

/// The timeline a failed loom model printed in `output`, without its indentation's common
/// margin; `None` if there is none (the model crashed before, or never failed).
pub fn timeline(output: &str) -> Option<String> {
    let mut lines = output.lines().skip_while(|line| !line.starts_with(HEADER));
    let first = lines.next()?;
    let mut kept = vec![first];
    for line in lines {
        kept.push(line);
        if line.trim_start().starts_with(LAST_LINE) {
            break;
        }
    }
    Some(kept.join("\n"))
}

/// The failure a timeline names on its `✗` row (its first line).
pub fn failure_of(timeline: &str) -> Option<&str> {
    timeline
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(FAILURE_MARK))
        .map(str::trim)
}

/// What starts a timeline's failure row.
const FAILURE_MARK: &str = "✗ ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_timeline_from_header_to_replay_line() {
        let output = "\
running 1 test
noise
loom found this interleaving, step by step: (at most 1 preemption)
       main      thread 1
    1  src/lib.rs:3: took the lock
   ✗  boom (tests/loom.rs:9)
      replay: cargo loom -p lab1-lock t -- --exact

thread 't' panicked at tests/loom.rs:9:5:
boom
";
        assert_eq!(
            timeline(output).unwrap(),
            "loom found this interleaving, step by step: (at most 1 preemption)\n       main      \
             thread 1\n    1  src/lib.rs:3: took the lock\n   ✗  boom (tests/loom.rs:9)\n      \
             replay: cargo loom -p lab1-lock t -- --exact"
        );
    }

    #[test]
    fn the_failure_is_the_marked_row() {
        let timeline = "loom found this interleaving, step by step:\n    1  src/lib.rs:3: took \
                        the lock\n   ✗  boom (tests/loom.rs:9)\n      why";
        assert_eq!(failure_of(timeline), Some("boom (tests/loom.rs:9)"));
        assert_eq!(failure_of("no rows"), None);
    }

    #[test]
    fn no_timeline_no_interleaving() {
        assert_eq!(timeline("thread 'x' panicked at a.rs:1:1:\nboom\n"), None);
    }
}
