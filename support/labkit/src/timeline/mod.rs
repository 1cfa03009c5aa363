//! What a failed loom model did, step by step, in the terms of the code that did it: one
//! column per thread, one row per step that matters, each step at its `file:line` in the lab
//! (`src/lib.rs`) or its test, and a last row that names the mistake. It exists only under
//! `--cfg loom`.
//!
//! The facade's primitives record their steps here as they run (`record`); a test may add
//! steps in its own words ([`note`]). A test runs its model with [`model`] or
//! [`model_bounded`] instead of `loom::model`: when the model fails, they run it again with
//! the fewest preemptions that still fail it, so the timeline is as short as it can be, print
//! the timeline, and fail the test with the failure and a sentence saying what is missing.
//!
//! One module a stage: `record` keeps the steps of the iteration running now, `render` lays a
//! failed run out as rows and columns, `explain` names the mistake in the timeline's last
//! row; this module runs the models and prints the timeline of the one that fails.

mod explain;
mod record;
mod render;

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Once;

pub(crate) use record::{Action, blocking, record};
use record::{Blocked, RECORDING, Recording, Step};
use render::{place, render};

/// The first line of a printed timeline; the grader finds the timeline by it.
pub const HEADER: &str = "loom found this interleaving, step by step:";

/// The most step rows a timeline shows; earlier steps are counted, not shown.
pub const MAX_ROWS: usize = 12;

/// The most preemptions tried when looking for the shortest failing interleaving of a model
/// that sets no bound of its own.
const MAX_PREEMPTIONS_TRIED: usize = 3;

/// Adds a step in the test's own words (for example `read 0`), at the caller's line.
#[track_caller]
pub fn note(what: impl Into<String>) {
    record(Location::caller(), Action::Note(what.into()));
}

/// Runs `model` over every interleaving, as `loom::model`; when one fails, fails the test
/// with the shortest failing interleaving as a timeline.
#[track_caller]
pub fn model<F>(model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check(None, model);
}

/// As [`model`], exploring only interleavings with at most `preemptions` preemptions.
#[track_caller]
pub fn model_bounded<F>(preemptions: usize, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    check(Some(preemptions), model);
}

/// A failed run: what failed, the steps of the failing iteration, and the bound it ran with.
struct Failed {
    pub(super) message: String,
    pub(super) location: String,
    pub(super) steps: Vec<Step>,
    pub(super) blocked: BTreeMap<usize, Blocked>,
    pub(super) preemptions: Option<usize>,
    pub(super) model_at: Option<&'static Location<'static>>,
}

/// Runs `model` with at most `bound` preemptions (loom's default when `None`); if it fails,
/// runs it again with 0, 1, ... preemptions up to the bound (or [`MAX_PREEMPTIONS_TRIED`]),
/// prints the first failing run's timeline, and fails with its panic's message.
#[track_caller]
fn check<F>(bound: Option<usize>, model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    install_hook();
    let at = Location::caller();
    let model = std::sync::Arc::new(model);
    let Some(first) = run(bound, &model, at) else {
        return;
    };
    if is_todo(&first.message) {
        // A stub, not an interleaving: nothing to show.
        panic!("{} ({})", first.message, first.location);
    }
    let tries = bound.unwrap_or(MAX_PREEMPTIONS_TRIED);
    let shortest = (0..tries)
        .find_map(|preemptions| run(Some(preemptions), &model, at))
        .unwrap_or(first);
    eprintln!("\n{}", render(&shortest));
    panic!("{}", shortest.message);
}

/// Runs `model`, which the test started `at`, with at most `preemptions` preemptions; the
/// failure, if an interleaving failed.
fn run<F>(
    preemptions: Option<usize>,
    model: &std::sync::Arc<F>,
    at: &'static Location<'static>,
) -> Option<Failed>
where
    F: Fn() + Sync + Send + 'static,
{
    RECORDING.with(|r| {
        *r.borrow_mut() = Recording {
            model_at: Some(at),
            ..Recording::default()
        }
    });
    let mut builder = loom::model::Builder::new();
    if preemptions.is_some() {
        builder.preemption_bound = preemptions;
    }
    let body = std::sync::Arc::clone(model);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || {
            RECORDING.with(|r| {
                let mut r = r.borrow_mut();
                r.active = true;
                r.steps.clear();
                r.blocked.clear();
            });
            body();
        });
    }));
    let recording = RECORDING.with(|r| std::mem::take(&mut *r.borrow_mut()));
    let payload = outcome.err()?;
    let (message, location) = recording
        .panic
        .unwrap_or_else(|| (payload_text(payload.as_ref()), String::new()));
    Some(Failed {
        message,
        location,
        steps: recording.steps,
        blocked: recording.blocked,
        preemptions: preemptions.or(bound_from_env()),
        model_at: recording.model_at,
    })
}

/// The preemption bound loom takes from its environment, if any.
fn bound_from_env() -> Option<usize> {
    std::env::var("LOOM_MAX_PREEMPTIONS").ok()?.parse().ok()
}

/// The text of a panic's payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Installs, once, a panic hook that keeps the first panic of a running model (its message and
/// place) instead of printing it, and leaves every other panic to the hook before it.
fn install_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let text = info.to_string();
            let aborts = ["panic in a destructor during cleanup", "cannot unwind"]
                .iter()
                .any(|words| text.contains(words));
            if aborts {
                // The process aborts after this hook: show what the model did first.
                print_before_abort();
                previous(info);
                return;
            }
            let kept = RECORDING.with(|r| {
                let Ok(mut r) = r.try_borrow_mut() else {
                    return false;
                };
                if !r.active {
                    return false;
                }
                if r.panic.is_none() {
                    let message = payload_text(info.payload());
                    let location = info.location().map_or_else(String::new, |at| place(at));
                    r.panic = Some((message.trim_end().to_owned(), location));
                }
                true
            });
            if !kept {
                previous(info);
            }
        }));
    });
}

/// Prints the timeline of the iteration running now, if a model of this module is running
/// and has failed: loom's clean-up after the failure is about to abort the process.
fn print_before_abort() {
    let failed = RECORDING.with(|r| {
        let r = r.try_borrow().ok()?;
        let (message, location) = r.panic.clone()?;
        Some(Failed {
            message,
            location,
            steps: r.steps.clone(),
            blocked: r.blocked.clone(),
            preemptions: None,
            model_at: r.model_at,
        })
    });
    let Some(failed) = failed else {
        return;
    };
    if is_todo(&failed.message) {
        // The panic this hook kept from printing, as Rust prints one.
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        eprintln!(
            "\nthread '{name}' panicked at {}:\n{}",
            failed.location, failed.message
        );
        return;
    }
    eprintln!(
        "\n{}\n      (loom then crashed cleaning up after this failure: the process aborts)\n",
        render(&failed)
    );
}

/// Whether a panic's `message` is a `todo!()`'s: a stub reached, not an interleaving.
fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented")
}
