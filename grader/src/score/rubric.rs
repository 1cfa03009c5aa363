//! The rubric: how many points each expected test is worth.
//!
//! A test's points are its tier's points times its lab's weight, unless the rubric names the
//! test (`"<lab>::<target>::<test>" = points`). Labs the file leaves out weigh 1; tiers it
//! leaves out are worth 1 a test, but for the stress tier, which is worth nothing unless the
//! file says otherwise (a stress test's outcome depends on the scheduler's luck).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::error::{Context, IoContext, Result, bail};
use serde::Deserialize;

use crate::intake::catalog::{LABS, TestId, Tier, expected_tests};

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
        let text = fs::read_to_string(path).on("read the rubric", path)?;
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

    /// Checks that every test the rubric names is one of the `pristine` workspace's expected
    /// tests, so that a misspelt name is an error rather than a test at its default points.
    pub fn check_test_names(&self, pristine: &Path) -> Result<()> {
        for name in self.tests.keys() {
            let known = match name.split_once("::") {
                Some((lab, test)) if LABS.iter().any(|l| l.name == lab) => {
                    expected_tests(&pristine.join(lab))?
                        .iter()
                        .any(|expected| expected.to_string() == test)
                }
                _ => false,
            };
            if !known {
                bail!(
                    "the rubric names an unknown test {name:?}: write \"<lab>::<target>::<test>\" \
                     of a test the lab has, e.g. \"lab1-lock::visible::<test>\""
                );
            }
        }
        Ok(())
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

    #[test]
    fn a_test_name_the_labs_do_not_have_is_refused() {
        let pristine = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let known = expected_tests(&pristine.join("lab1-lock")).unwrap()[0].to_string();
        let rubric: Rubric =
            toml::from_str(&format!("[tests]\n\"lab1-lock::{known}\" = 2.0\n")).unwrap();
        rubric.check_test_names(&pristine).unwrap();
        for unknown in [
            "lab1-lock::visible::no_such_test",
            "lab9::visible::x",
            "nonsense",
        ] {
            let rubric: Rubric =
                toml::from_str(&format!("[tests]\n\"{unknown}\" = 2.0\n")).unwrap();
            let error = rubric.check_test_names(&pristine).unwrap_err().to_string();
            assert!(
                error.contains(&format!("unknown test \"{unknown}\"")),
                "{error}"
            );
        }
    }
}
