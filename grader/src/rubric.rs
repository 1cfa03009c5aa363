//! The rubric: how many points each expected test is worth.
//!
//! A test's points are its tier's points times its lab's weight, unless the rubric names the
//! test (`"<lab>::<target>::<test>" = points`). Labs the file leaves out weigh 1; tiers it
//! leaves out are worth 1 a test, but for the stress tier, which is worth nothing unless the
//! file says otherwise (a stress test's outcome depends on the scheduler's luck).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::catalog::{LABS, TestId, Tier};

/// A parsed rubric file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// Points per test of each tier.
    #[serde(default)]
    pub tiers: BTreeMap<Tier, f64>,
    /// Weight of each lab, multiplying its tests' tier points.
    #[serde(default)]
    pub labs: BTreeMap<String, f64>,
    /// Points of single tests, by `<lab>::<target>::<test>`.
    #[serde(default)]
    pub tests: BTreeMap<String, f64>,
}

impl Rubric {
    /// Reads and checks the rubric at `path`: known labs only, no negative points.
    pub fn load(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the rubric {}", path.display()))?;
        let rubric: Rubric = toml::from_str(&text)
            .with_context(|| format!("the rubric {} is not valid", path.display()))?;
        if let Some(lab) = rubric
            .labs
            .keys()
            .find(|lab| !LABS.iter().any(|l| l.name == *lab))
        {
            bail!("the rubric {} names an unknown lab {lab:?}", path.display());
        }
        let values = rubric
            .tiers
            .values()
            .chain(rubric.labs.values())
            .chain(rubric.tests.values());
        if values
            .into_iter()
            .any(|points| !(points.is_finite() && *points >= 0.0))
        {
            bail!(
                "the rubric {} has a negative or invalid number of points",
                path.display()
            );
        }
        Ok(rubric)
    }

    /// The points `test` of `lab` is worth.
    pub fn points(&self, lab: &str, test: &TestId) -> f64 {
        if let Some(points) = self.tests.get(&format!("{lab}::{test}")) {
            return *points;
        }
        let unnamed = if test.tier == Tier::Stress { 0.0 } else { 1.0 };
        self.tiers.get(&test.tier).copied().unwrap_or(unnamed)
            * self.labs.get(lab).copied().unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rubric_loads_and_weights_loom_models() {
        let rubric =
            Rubric::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rubric.toml")).unwrap();
        let loom = TestId {
            tier: Tier::Loom,
            target: "loom".into(),
            name: "m".into(),
        };
        let visible = TestId {
            tier: Tier::Visible,
            target: "visible".into(),
            name: "v".into(),
        };
        assert_eq!(rubric.points("lab1-lock", &loom), 3.0);
        assert_eq!(rubric.points("lab1-lock", &visible), 1.0);
    }

    #[test]
    fn overrides_and_defaults() {
        let rubric: Rubric =
            toml::from_str("[labs]\nlab1-race = 2.0\n[tests]\n\"lab1-lock::visible::v\" = 5.0\n")
                .unwrap();
        let visible = TestId {
            tier: Tier::Visible,
            target: "visible".into(),
            name: "v".into(),
        };
        assert_eq!(rubric.points("lab1-lock", &visible), 5.0);
        assert_eq!(rubric.points("lab1-race", &visible), 2.0);
        assert_eq!(rubric.points("lab1-queue", &visible), 1.0);
    }
}
