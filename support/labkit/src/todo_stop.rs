//! What a lab's demo does at the first `todo!()` it reaches: say which function to fill in and
//! where the README helps, instead of Rust's panic message.
//!
//! Every lab's demo calls [`stop_at_todo`] first.

use std::sync::{Mutex, PoisonError};

/// Ends the demo at the first `todo!()` it reaches, in any thread, with the function to fill in
/// and where `readme` (the lab's README, relative to the workspace) helps; other panics are
/// reported as usual.
pub fn stop_at_todo(readme: &'static str) {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or_default();
        let Some(function) = message.strip_prefix("not yet implemented") else {
            return report(info);
        };
        // One explanation, even when several threads reach a `todo!()` at once.
        static FIRST: Mutex<()> = Mutex::new(());
        let _first = FIRST.lock().unwrap_or_else(PoisonError::into_inner);
        let what = match function.strip_prefix(": ") {
            Some(name) => format!("`{name}` is not yet implemented: fill in its"),
            None => "This is not yet implemented: fill in the".to_owned(),
        };
        let at = info.location().map_or_else(String::new, |at| {
            format!(" at {}:{}:{}", at.file(), at.line(), at.column())
        });
        eprintln!("{what} `todo!()`{at}.");
        eprintln!("See \"Your task\" and \"Hints\" in {readme}.");
        std::process::exit(101);
    }));
}
