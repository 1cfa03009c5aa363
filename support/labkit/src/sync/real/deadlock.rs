//! The deadlock report: what each thread of a group waits for, and where, at the lines of
//! the code that called the facade. The registry (`waits`) builds it; this module alone
//! turns it into the text a student reads.

use std::collections::BTreeMap;
use std::fmt;

use super::waits::{Origin, Site};

/// A deadlock, as one thread not started by the facade (a test's thread, `main`) reports it:
/// the threads of its group, each asleep in a wait no other thread is left to end.
#[derive(Debug)]
pub(crate) struct Deadlock {
    /// Whether every thread is asleep (a deadlock), or every thread but the reporting one
    /// (which a probe reports, as the only one left that could wake the others).
    pub(crate) everyone: bool,
    /// The threads asleep, the reporting thread first.
    pub(crate) sleepers: Vec<Sleeper>,
}

/// One thread asleep.
#[derive(Debug)]
pub(crate) struct Sleeper {
    /// Which thread.
    pub(crate) thread: Origin,
    /// The line that called the wait.
    pub(crate) at: Site,
    /// What the wait is for.
    pub(crate) waiting: Waiting,
}

/// What a thread is asleep waiting for.
#[derive(Debug)]
pub(crate) enum Waiting {
    /// A notification of a condition variable.
    Notification,
    /// A thread to finish, started at this line (if by the facade).
    Join {
        /// Where the joined thread was started.
        spawned_at: Option<Site>,
    },
    /// The test's gate to let it start.
    Start,
    /// Another thread's change to an atomic that keeps this value.
    Spin {
        /// The value it keeps.
        value: bool,
    },
    /// A lock, taken at `taken_at` by `holder`.
    Lock {
        /// Where the holder took it.
        taken_at: Site,
        /// Who holds it.
        holder: Holder,
    },
}

/// Who holds a lock another thread waits for.
#[derive(Debug)]
pub(crate) enum Holder {
    /// The waiting thread itself.
    Itself,
    /// Another thread, asleep at this line (in a deadlock every thread is asleep).
    Other(Option<Site>),
    /// A thread that finished without giving the lock back.
    Finished,
}

/// `file:line` of a site.
struct Line(Site);

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

impl Sleeper {
    /// Which thread, as the report names it; and whether it is a group's own thread.
    fn who(&self) -> (bool, String) {
        match &self.thread {
            Origin::Own { name: Some(name) } if name == "main" => {
                (true, "the main thread".to_owned())
            }
            Origin::Own { name: Some(name) } => (true, format!("the test's thread `{name}`")),
            Origin::Own { name: None } => (true, "a thread not started by the facade".to_owned()),
            Origin::Spawned { at, .. } => (false, format!("started at {}", Line(at))),
        }
    }

    /// What the thread does ("waits at ... for ..."), after its name.
    fn what(&self) -> String {
        let at = Line(self.at);
        match &self.waiting {
            Waiting::Notification => format!(
                "waits at {at} for a notification of a condition variable, and no thread is left to send one"
            ),
            Waiting::Join {
                spawned_at: Some(spawned),
            } => format!(
                "waits at {at} to join the thread started at {}",
                Line(spawned)
            ),
            Waiting::Join { spawned_at: None } => format!("waits at {at} to join a thread"),
            Waiting::Start => String::from(
                "is held at its start by the test's gate (`probe::hold_starts`), and no thread is left to open it",
            ),
            Waiting::Spin { value } => format!(
                "spins at {at} on an atomic that stays `{value}`, and no thread is left to change it"
            ),
            Waiting::Lock { taken_at, holder } => {
                let taken = Line(taken_at);
                match holder {
                    Holder::Itself => {
                        format!("waits at {at} for a lock it holds itself, taken at {taken}")
                    }
                    Holder::Other(Some(asleep)) => format!(
                        "waits at {at} for a lock taken at {taken} by a thread asleep at {}",
                        Line(asleep)
                    ),
                    Holder::Other(None) => {
                        format!("waits at {at} for a lock taken at {taken} by another thread")
                    }
                    Holder::Finished => format!(
                        "waits at {at} for a lock taken at {taken} by a thread that finished without giving it back"
                    ),
                }
            }
        }
    }
}

impl fmt::Display for Deadlock {
    /// The headline, then one line per kind of thread: its own threads first, then the ones
    /// it started, alike threads counted on one line, in an order that does not depend on
    /// which thread got where first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: BTreeMap<(bool, String, String), usize> = BTreeMap::new();
        for sleeper in &self.sleepers {
            let (own, who) = sleeper.who();
            *lines.entry((!own, who, sleeper.what())).or_default() += 1;
        }
        f.write_str(if self.everyone {
            "deadlock: every thread is asleep, and none is left to wake another"
        } else {
            "every other thread is asleep, and only this test's thread is left to wake one:"
        })?;
        for ((spawned, who, what), count) in lines {
            match (spawned, count) {
                (false, _) => write!(f, "\n  {who}: {what}")?,
                (true, 1) => write!(f, "\n  the thread {who}: {what}")?,
                (true, count) => write!(f, "\n  {count} threads {who}: each {what}")?,
            }
        }
        Ok(())
    }
}
