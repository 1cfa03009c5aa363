//! Checking labs: `cargo labs check <lab>` runs a lab's tiers in order and stops at the first
//! that fails; `cargo labs` (the table) runs what changed since the last run and remembers it.

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets::ASCII_FULL_CONDENSED};

use crate::memory::{self, Outcomes, Remembered};
use crate::progress::Progress;
use crate::render;
use crate::tier::{self, Tier};
use crate::workspace::{Lab, Workspace};

/// Runs `lab`'s tiers in order (visible tests, stress tests, loom models), stopping at the
/// first that fails, and remembers the outcomes. Returns them, in order.
pub fn check(workspace: &Workspace, lab: &Lab, progress: &Progress) -> Result<Remembered> {
    let mut remembered = Remembered {
        digest: memory::digest(workspace, lab)?,
        ..Remembered::default()
    };
    for tier in Tier::ALL {
        let outcome = tier::run(workspace, lab, tier, progress)?;
        let passed = outcome.passed();
        remembered.tiers.insert(tier, outcome);
        if !passed {
            break;
        }
    }
    let mut outcomes = Outcomes::load(workspace);
    outcomes.set(&lab.name, remembered.clone());
    outcomes.save(workspace)?;
    Ok(remembered)
}

/// `check` as the student reads it: each tier run, whole; whether every tier passed.
pub fn check_and_report(workspace: &Workspace, lab: &Lab) -> Result<bool> {
    let progress = Progress::start();
    let checked = check(workspace, lab, &progress);
    progress.done();
    let checked = checked?;
    for (tier, outcome) in &checked.tiers {
        print!("{}", render::tier_report(&lab.name, *tier, outcome));
    }
    let passed = checked.tiers.len() == Tier::ALL.len()
        && checked.tiers.values().all(|outcome| outcome.passed());
    if passed {
        println!("\n{}: every tier passes.", lab.name);
    } else {
        println!(
            "\n{}: fix the first failure above, then run `cargo labs check {}` again \
             (or `cargo labs watch {}` to check on every save).",
            lab.name, lab.name, lab.name
        );
    }
    Ok(passed)
}

/// The outcomes of every lab, from memory where its files did not change, else checked now.
pub fn every_lab(workspace: &Workspace) -> Result<Vec<(&Lab, Remembered)>> {
    let mut outcomes = Outcomes::load(workspace);
    let progress = Progress::start();
    let mut every = Vec::new();
    for lab in &workspace.labs {
        let digest = memory::digest(workspace, lab)?;
        let remembered = match outcomes.current(&lab.name, &digest) {
            Some(remembered) => remembered.clone(),
            None => {
                let checked = check(workspace, lab, &progress);
                let checked = match checked {
                    Ok(checked) => checked,
                    Err(error) => {
                        progress.done();
                        return Err(error);
                    }
                };
                outcomes.set(&lab.name, checked.clone());
                checked
            }
        };
        every.push((lab, remembered));
    }
    progress.done();
    Ok(every)
}

/// The table of every lab: its tiers' counts and its next step.
pub fn table(every: &[(&Lab, Remembered)]) -> String {
    let mut table = Table::new();
    table
        .load_style(ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["lab", "task", "visible", "stress", "loom", "next step"]);
    for (lab, remembered) in every {
        let tiers = &remembered.tiers;
        table.add_row([
            lab.name.clone(),
            lab.title.clone(),
            render::count(tiers.get(&Tier::Visible)),
            render::count(tiers.get(&Tier::Stress)),
            render::count(tiers.get(&Tier::Loom)),
            render::next_step(
                &lab.name,
                tiers.iter().map(|(tier, outcome)| (*tier, outcome)),
            ),
        ]);
    }
    format!(
        "{table}\nThis is not your grade: the grader runs hidden tests too. \
         `cargo labs check <lab>` shows a lab's failures whole; stress tests are advice.\n"
    )
}

/// The first lab not done (every tier passing), if any.
pub fn first_not_done<'a>(every: &[(&'a Lab, Remembered)]) -> Option<&'a Lab> {
    every
        .iter()
        .find(|(_, remembered)| {
            remembered.tiers.len() < Tier::ALL.len()
                || !remembered.tiers.values().all(|outcome| outcome.passed())
        })
        .map(|(lab, _)| *lab)
}
