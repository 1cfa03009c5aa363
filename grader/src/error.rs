//! The grader's own errors: what keeps it from doing its job (a file it cannot read or write, a
//! program it cannot run, a rubric or manifest it cannot take), never a student's mistake,
//! which is a test's [`Failure`](crate::execute::outcome::Failure). Each says in one line what
//! the grader was doing, on what, and why it failed; the binary prints it and exits with 2.

use std::fmt::Display;
use std::io;
use std::path::{Path, PathBuf};

/// What kept the grader from doing its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read, listed, written, created, copied, linked or
    /// removed.
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        /// What was being done (`read`, `create`, `read the rubric`, ...).
        action: &'static str,
        /// To what.
        path: PathBuf,
        /// Why it failed.
        error: io::Error,
    },
    /// A program the grader runs (cargo, rustc, a test) could not be started or waited for.
    #[error("cannot {action}: {error}")]
    Run {
        /// What was being done (`run cargo`, `wait for the test`, ...).
        action: String,
        /// Why it failed.
        error: io::Error,
    },
    /// What the grader read is not what it must be (a rubric, a manifest, a test file,
    /// cargo's output, a name that is not UTF-8), or a step failed for a reason it states.
    #[error("{0}")]
    Invalid(String),
}

/// The grader's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::Invalid`] that says `why`.
pub fn invalid(why: impl Display) -> Error {
    Error::Invalid(why.to_string())
}

/// Returns early with an [`Error::Invalid`] of the formatted text.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Says what failed I/O was doing.
pub trait IoContext<T> {
    /// The error as [`Error::Io`]: `action` on `path` failed.
    fn on(self, action: &'static str, path: &Path) -> Result<T>;

    /// The error as [`Error::Run`]: `action` (running or waiting for a program) failed.
    fn running(self, action: impl Display) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn on(self, action: &'static str, path: &Path) -> Result<T> {
        self.map_err(|error| Error::Io {
            action,
            path: path.to_path_buf(),
            error,
        })
    }

    fn running(self, action: impl Display) -> Result<T> {
        self.map_err(|error| Error::Run {
            action: action.to_string(),
            error,
        })
    }
}

/// Says what a failed step was doing, for an error of any kind (another crate's, or the
/// grader's own from a step below): [`Error::Invalid`], `<what>: <the error>`.
pub trait Context<T> {
    /// The error, after `what`.
    fn context(self, what: impl Display) -> Result<T>;

    /// The error, after what `what` says (made only on failure).
    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|error| invalid(format!("{what}: {error}")))
    }

    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|error| invalid(format!("{}: {error}", what())))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Display) -> Result<T> {
        self.ok_or_else(|| invalid(what))
    }

    fn with_context<D: Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.ok_or_else(|| invalid(what()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_one_line_of_what_on_what_and_why() {
        let missing = io::Error::new(io::ErrorKind::NotFound, "not found");
        let read: Result<()> = Err(missing).on("read the rubric", Path::new("r.toml"));
        assert_eq!(
            read.unwrap_err().to_string(),
            "cannot read the rubric r.toml: not found"
        );
        let parse: Result<()> = Err("bad key").context("the rubric r.toml is not valid");
        assert_eq!(
            parse.unwrap_err().to_string(),
            "the rubric r.toml is not valid: bad key"
        );
        let none: Result<()> = None.context("no [workspace]");
        assert_eq!(none.unwrap_err().to_string(), "no [workspace]");
    }
}
