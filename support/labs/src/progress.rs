//! Progress on what takes more than a moment (a build, a run of the loom models): one spinner
//! line on stderr, drawn only on a terminal and cleared when the work is done.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner with a message saying what is being done.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A spinner on stderr (hidden when stderr is not a terminal).
    pub fn start() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    /// Says that `what` is being done now.
    pub fn say(&self, what: &str) {
        self.bar.set_message(what.to_owned());
    }

    /// Clears the spinner, so that what is printed next starts on a clean line.
    pub fn done(&self) {
        self.bar.finish_and_clear();
    }
}
