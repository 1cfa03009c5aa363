//! Every text the companion prints about outcomes, rendered here and nowhere else: a tier's
//! count, a lab's next step in one line, and a failure whole.

use crate::libtest;
use crate::tier::{Failed, Tier, TierOutcome};

/// A tier's cell in the table: `passed/total`, `-` when the lab has none, `not run`, or
/// `does not compile`.
pub fn count(outcome: Option<&TierOutcome>) -> String {
    match outcome {
        None => "not run".to_owned(),
        Some(TierOutcome::NoTests) => "-".to_owned(),
        Some(TierOutcome::DoesNotCompile { .. }) => "does not compile".to_owned(),
        Some(TierOutcome::Ran { total, failed }) => {
            format!("{}/{total}", total.saturating_sub(failed.len()))
        }
    }
}

/// What a lab should do next, in one line, from its tiers' outcomes in the order they run:
/// the first failure's reason at its `file:line`, or that it is done.
pub fn next_step<'a>(
    lab: &str,
    tiers: impl IntoIterator<Item = (Tier, &'a TierOutcome)>,
) -> String {
    for (tier, outcome) in tiers {
        match outcome {
            TierOutcome::DoesNotCompile { error } => {
                return format!("does not compile: {}", first_line(error));
            }
            TierOutcome::Ran { failed, .. } if !failed.is_empty() => {
                let first = &failed[0];
                let reason = libtest::one_line(&first.output);
                if outcome.not_started() {
                    return format!("not started: the first todo!() is at {reason}");
                }
                let advice = if tier == Tier::Stress {
                    " (advice)"
                } else {
                    ""
                };
                return format!("{}{advice}: {} failed: {reason}", tier.name(), first.name);
            }
            _ => {}
        }
    }
    format!("done: every tier passes (`cargo labs check {lab}` to see it again)")
}

/// A tier's outcome as `check` prints it: a heading with the count, then each failure whole
/// (its panic message and where, its loom timeline, the deadlock report), or the compiler's
/// first error.
pub fn tier_report(lab: &str, tier: Tier, outcome: &TierOutcome) -> String {
    let command = tier.command(lab);
    match outcome {
        TierOutcome::NoTests => format!("{}: none in {lab}\n", tier.name()),
        TierOutcome::DoesNotCompile { error } => format!(
            "{}: {lab} does not compile ({command})\n\n{}\n",
            tier.name(),
            error.trim_end()
        ),
        TierOutcome::Ran { total, failed } if failed.is_empty() => {
            format!("{}: {total} of {total} passed ({command})\n", tier.name())
        }
        TierOutcome::Ran { total, failed } => {
            let mut text = format!(
                "{}: {} of {total} passed, {} failed ({command})\n",
                tier.name(),
                total.saturating_sub(failed.len()),
                failed.len()
            );
            for test in failed {
                text.push_str(&failure(test));
            }
            text
        }
    }
}

/// One failed test whole.
fn failure(test: &Failed) -> String {
    let output = if test.output.trim().is_empty() {
        "(it printed nothing)".to_owned()
    } else {
        test.output.trim_end().to_owned()
    };
    let indented: Vec<String> = output.lines().map(|line| format!("    {line}")).collect();
    format!("\n  FAILED {}\n{}\n", test.name, indented.join("\n"))
}

/// The first line of a compiler error that says something (`error[E0308]: mismatched types`).
fn first_line(error: &str) -> &str {
    error
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim()
}
