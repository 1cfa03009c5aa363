//! `cargo labs watch`: checks a lab again each time a file under its `src/` is saved, clearing
//! the screen between checks, until Ctrl-C.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify_debouncer_mini::new_debouncer;
use notify_debouncer_mini::notify::RecursiveMode;

use crate::check::check_and_report;
use crate::workspace::{Lab, Workspace};

/// How long the files must be quiet after a save before the check starts: an editor's save
/// is often several writes.
const QUIET: Duration = Duration::from_millis(300);

/// Checks `lab`, then again after every save under its `src/`; returns only on an error.
pub fn watch(workspace: &Workspace, lab: &Lab) -> Result<()> {
    let src = lab.dir.join("src");
    let (saved, saves) = mpsc::channel();
    let mut debouncer = new_debouncer(QUIET, saved).context("cannot watch files")?;
    debouncer
        .watcher()
        .watch(&src, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", src.display()))?;
    let mut why = String::from("started");
    for run in 1.. {
        if std::io::stdout().is_terminal() {
            // Clears the screen and puts the cursor at the top, in every modern terminal
            // (Windows Terminal and PowerShell's console included).
            print!("\x1b[2J\x1b[H");
        }
        println!("== cargo labs watch {}: check {run} ({why})\n", lab.name);
        check_and_report(workspace, lab)?;
        println!(
            "\nwatching {}: save a file to check again; Ctrl-C to stop",
            workspace.shown(&src)
        );
        std::io::stdout().flush()?;
        let events = match saves.recv() {
            Ok(events) => events.context("cannot watch files")?,
            Err(_) => return Ok(()),
        };
        why = match events.first() {
            Some(event) => format!("{} changed", workspace.shown(&event.path)),
            None => String::from("a file changed"),
        };
    }
    Ok(())
}
