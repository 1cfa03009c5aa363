//! The seed's timestamped lines, for Lab 2's code (`labkit::log::log`).
//!
//! [`log`] prints a line after the seed's `[HH:MM:SS]` wall-clock timestamp. A test can also
//! [`record`] what this thread logs, each line with the moment on tokio's clock it was logged
//! (on the paused clock, exact), to check that the lab prints the seed's lines at the right
//! moments.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Lines logged, each with how long after the recording began it was logged.
type Lines = Vec<(Duration, String)>;

thread_local! {
    /// The recording of this thread's lines, if one is on: when it began, and the lines.
    static RECORDING: RefCell<Option<(Instant, Lines)>> = const { RefCell::new(None) };
}

/// Prints `message` after the seed's `[HH:MM:SS]` timestamp (UTC wall-clock time).
pub fn log(message: &str) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    println!("[{h:02}:{m:02}:{s:02}] {message}");
    RECORDING.with(|recording| {
        if let Some((began, lines)) = recording.borrow_mut().as_mut() {
            lines.push((began.elapsed(), message.to_owned()));
        }
    });
}

/// Records, from now until the result is dropped, every line this thread logs, with how long
/// after now (on tokio's clock) it was logged. Call it inside a tokio runtime.
pub fn record() -> Recording {
    RECORDING.with(|recording| *recording.borrow_mut() = Some((Instant::now(), Vec::new())));
    Recording(())
}

/// A recording of this thread's logged lines; see [`record`].
#[derive(Debug)]
pub struct Recording(());

impl Recording {
    /// The lines logged so far, each with when it was logged.
    pub fn lines(&self) -> Lines {
        RECORDING.with(|recording| {
            recording
                .borrow()
                .as_ref()
                .map(|(_, lines)| lines.clone())
                .unwrap_or_default()
        })
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        RECORDING.with(|recording| *recording.borrow_mut() = None);
    }
}
