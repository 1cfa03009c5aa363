//! Hints: a lab README's `<details><summary>Hint N: ...</summary> ... </details>` blocks, one
//! more each time a student asks, the count remembered under `target/labs/hints/`.

use std::fs;

use anyhow::{Context, Result};

use crate::memory;
use crate::workspace::{Lab, Workspace};

/// One hint: its title and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// Its title, `Hint 1: one guard, one critical section`.
    pub title: String,
    /// Its text, Markdown as the README has it.
    pub text: String,
}

/// Every hint of a README, in order.
pub fn hints(readme: &str) -> Vec<Hint> {
    let mut hints = Vec::new();
    let mut rest = readme;
    while let Some(start) = rest.find("<details><summary>") {
        let after = &rest[start + "<details><summary>".len()..];
        let Some((title, body)) = after.split_once("</summary>") else {
            break;
        };
        let (text, next) = body.split_once("</details>").unwrap_or((body, ""));
        if title.trim_start().starts_with("Hint") {
            hints.push(Hint {
                title: title.trim().to_owned(),
                text: text.trim().to_owned(),
            });
        }
        rest = next;
    }
    hints
}

/// Shows `lab`'s next hint, with how many there are, and remembers it was shown; once all
/// were shown, shows the last again.
pub fn next_hint(workspace: &Workspace, lab: &Lab) -> Result<String> {
    let path = lab.dir.join("README.md");
    let readme =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let hints = hints(&readme);
    if hints.is_empty() {
        return Ok(format!("{} has no hints in its README.\n", lab.name));
    }
    let shown = memory::hints_shown(workspace, &lab.name);
    let now = (shown + 1).min(hints.len());
    memory::set_hints_shown(workspace, &lab.name, now)?;
    let hint = &hints[now - 1];
    let more = if now < hints.len() {
        format!(
            "Hint {now} of {}. Ask again (`cargo labs hint {}`) for the next one.",
            hints.len(),
            lab.name
        )
    } else {
        format!(
            "Hint {now} of {}: the last. The README's \"Hints\" section has them all.",
            hints.len()
        )
    };
    Ok(format!("{}\n\n{}\n\n{more}\n", hint.title, hint.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_readmes_hint_blocks_in_order() {
        let readme = "# Lab\n\n## Hints\n\n<details><summary>Hint 1: first</summary>\n\nUse a \
                      `Mutex`.\n</details>\n\n<details><summary>Why it works</summary>\nnot a \
                      hint\n</details>\n<details><summary>Hint 2: second</summary>\nJoin.\n\
                      </details>\n";
        let found = hints(readme);
        let titles: Vec<&str> = found.iter().map(|hint| hint.title.as_str()).collect();
        assert_eq!(titles, ["Hint 1: first", "Hint 2: second"]);
        assert_eq!(found[0].text, "Use a `Mutex`.");
    }
}
