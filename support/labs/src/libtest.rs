//! What a test executable printed, read back: which tests passed, and each failure's own
//! output (libtest's `---- name stdout ----` sections, where a panic's message and a loom
//! timeline are).

use std::collections::BTreeMap;

/// The outcome of one test, as the executable reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// The test's name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
}

/// Every test result line (`test <name> ... ok` or `... FAILED`) in `output`, in order;
/// ignored tests are left out.
pub fn results(output: &str) -> Vec<Reported> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, verdict) = rest.rsplit_once(" ... ")?;
            let passed = match verdict.trim() {
                "ok" => true,
                "FAILED" => false,
                _ => return None,
            };
            Some(Reported {
                name: name.to_owned(),
                passed,
            })
        })
        .collect()
}

/// Each failed test's own output, by test name: the lines of its `---- <name> stdout ----`
/// section, trimmed.
pub fn failure_sections(output: &str) -> BTreeMap<String, String> {
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in output.lines() {
        let header = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"));
        if (header.is_some() || line == "failures:")
            && let Some((name, lines)) = current.take()
        {
            sections.insert(name, lines.join("\n").trim().to_owned());
        }
        match header {
            Some(name) => current = Some((name.to_owned(), Vec::new())),
            None => {
                if let Some((_, lines)) = &mut current {
                    lines.push(line);
                }
            }
        }
    }
    if let Some((name, lines)) = current {
        sections.insert(name, lines.join("\n").trim().to_owned());
    }
    sections
}

/// A failure's output said in one line: its first panic's message (first line) and where
/// (`file:line`), e.g. `lab1-lock/src/lib.rs:37: not yet implemented`; else its first line.
pub fn one_line(section: &str) -> String {
    let lines: Vec<&str> = section.lines().collect();
    for (at, line) in lines.iter().enumerate() {
        let Some((_, location)) = line.split_once(" panicked at ") else {
            continue;
        };
        let location = location.trim_end_matches(':');
        // `file:line:column`: the column says little to a reader.
        let location = match location.rsplit_once(':') {
            Some((file_line, column)) if column.parse::<u32>().is_ok() => file_line,
            _ => location,
        };
        let message = lines.get(at + 1).map_or("", |message| message.trim());
        return format!("{location}: {message}");
    }
    lines
        .first()
        .map_or_else(String::new, |line| line.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\nrunning 3 tests\ntest one ... ok\ntest two ... FAILED\n\
        test three ... FAILED\ntest four ... ignored\n\nfailures:\n\n---- two stdout ----\n\
        counting\n\nthread 'two' panicked at lab1-lock/src/lib.rs:37:9:\nnot yet implemented\n\
        note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\
        ---- three stdout ----\nthread 'three' panicked at lab1-lock/tests/visible.rs:40:5:\n\
        assertion `left == right` failed: lost an update\n  left: 1\n right: 2\n\n\
        failures:\n    two\n    three\n\ntest result: FAILED. 1 passed; 2 failed\n";

    #[test]
    fn results_are_read_from_the_result_lines() {
        let read: Vec<(String, bool)> = results(OUTPUT)
            .into_iter()
            .map(|result| (result.name, result.passed))
            .collect();
        let expected = [("one", true), ("two", false), ("three", false)];
        assert_eq!(
            read,
            expected.map(|(name, passed)| (name.to_owned(), passed))
        );
    }

    #[test]
    fn each_failure_keeps_its_own_section_and_says_it_in_one_line() {
        let sections = failure_sections(OUTPUT);
        assert_eq!(sections.len(), 2);
        assert!(sections["two"].starts_with("counting"));
        assert!(sections["three"].ends_with("right: 2"));
        assert_eq!(
            one_line(&sections["two"]),
            "lab1-lock/src/lib.rs:37: not yet implemented"
        );
        assert_eq!(
            one_line(&sections["three"]),
            "lab1-lock/tests/visible.rs:40: assertion `left == right` failed: lost an update"
        );
        assert_eq!(one_line("no panic here\nat all"), "no panic here");
    }
}
