//! `cargo labs watch`: checks a lab again each time a file under its `src/` is saved, clearing
//! the screen between checks, until Ctrl-C.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::ModifyKind;
use notify::{Event, EventKind, RecursiveMode, Watcher};

use crate::check::check_and_report;
use crate::workspace::{Lab, Workspace};

/// How long the files must be quiet after a save before the check starts: an editor's save
/// is often several writes.
const QUIET: Duration = Duration::from_millis(300);

/// Checks `lab`, then again after every save under its `src/`; returns only on an error.
pub fn watch(workspace: &Workspace, lab: &Lab) -> Result<()> {
    let src = lab.dir.join("src");
    let (event, events) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(event).context("cannot watch files")?;
    watcher
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
        let Some(saved) = next_save(&events, QUIET)? else {
            return Ok(());
        };
        why = format!("{} changed", workspace.shown(&saved));
    }
    Ok(())
}

/// Waits for a save and for the files to be `quiet` for that long after it: the first file
/// saved, or `None` when the watcher is gone. Reading a file is not a save: cargo reads the lab's sources on
/// every check, and on Linux the watcher reports each open.
fn next_save(events: &Receiver<notify::Result<Event>>, quiet: Duration) -> Result<Option<PathBuf>> {
    let mut first = None;
    loop {
        let event = match first {
            None => match events.recv() {
                Ok(event) => event,
                Err(_) => return Ok(None),
            },
            Some(_) => match events.recv_timeout(quiet) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return Ok(first),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            },
        };
        let event = event.context("cannot watch files")?;
        if is_save(&event.kind) && first.is_none() {
            first = event.paths.into_iter().next();
        }
    }
}

/// Whether an event changes a file's content or the files there are: not an access, nor a
/// change of metadata alone.
fn is_save(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, MetadataKind};

    #[test]
    fn a_save_is_a_change_of_content_or_of_the_files_there() {
        assert!(is_save(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(is_save(&EventKind::Create(CreateKind::File)));
        assert!(!is_save(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_save(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!is_save(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
    }

    #[test]
    fn reads_are_passed_over_and_a_burst_of_writes_is_one_save() {
        let (event, events) = mpsc::channel();
        let at = |kind, path: &str| Ok(Event::new(kind).add_path(PathBuf::from(path)));
        event
            .send(at(
                EventKind::Access(AccessKind::Open(AccessMode::Any)),
                "read.rs",
            ))
            .unwrap();
        for path in ["lib.rs", "lib.rs", "other.rs"] {
            event
                .send(at(
                    EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                    path,
                ))
                .unwrap();
        }
        assert_eq!(
            next_save(&events, Duration::ZERO).unwrap(),
            Some(PathBuf::from("lib.rs"))
        );
        drop(event);
        assert_eq!(next_save(&events, Duration::ZERO).unwrap(), None);
    }
}
