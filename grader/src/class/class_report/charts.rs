//! The class report's horizontal bar charts, placed for the template's `bar_chart` macro
//! (`grader/templates/charts.html`): each test's pass rate, and the most common failure
//! reasons.

use crate::intake::catalog::Tier;
use crate::score::report::Report;

use super::reasons::ReasonGroup;
use super::stats::{PassRate, Section, pass_rate_sections, share};

/// How many failure reasons the reasons chart shows (the table below it shows them all).
const TOP_REASONS: usize = 10;

/// How many characters of a bar's label fit left of its bar: 560 px at 12 px sans-serif, about
/// 7 px a character.
pub(super) const LABEL_CHARS: usize = 78;

/// The length of a full bar, in pixels.
const BAR_WIDTH: f64 = 360.0;

/// An SVG horizontal bar chart: its element id and size, and its rows.
pub(super) struct Chart {
    pub(super) id: &'static str,
    pub(super) width: f64,
    pub(super) height: f64,
    pub(super) rows: Vec<ChartRow>,
}

/// One row of a [`Chart`]: a section's heading across the chart, or a bar.
pub(super) struct ChartRow {
    pub(super) heading: Option<Heading>,
    pub(super) bar: Option<BarRow>,
}

/// A section's heading in a [`Chart`]: its baseline and text.
pub(super) struct Heading {
    pub(super) y: f64,
    pub(super) text: String,
}

/// One bar of a [`Chart`], placed.
pub(super) struct BarRow {
    /// Its label, shortened, and whole (its tooltip).
    pub(super) short: String,
    pub(super) full: String,
    /// The id of the element that says more, which the label links to.
    pub(super) more: Option<String>,
    /// Its CSS class (`bar`, or `bar <tier>`).
    pub(super) class: String,
    /// Its value as written right of it.
    pub(super) text: String,
    pub(super) label_y: f64,
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) length: f64,
    pub(super) text_x: f64,
}

/// One bar of a horizontal bar chart, before it is placed.
pub(super) struct Bar {
    /// What it measures, whole (the chart shortens it).
    pub(super) label: String,
    /// Its value.
    pub(super) value: f64,
    /// The largest value possible, the length of a full bar.
    pub(super) max: f64,
    /// Its value as written right of it.
    pub(super) text: String,
    /// The tier that colours it; `None` for the default colour.
    pub(super) tier: Option<Tier>,
    /// The id of the element that says more, which the label links to.
    pub(super) more: Option<String>,
}

/// A row of a bar chart before it is placed: a section's heading, or a bar.
pub(super) enum Row {
    /// The heading of the bars below it.
    Heading(String),
    /// A bar.
    Bar(Bar),
}

/// One bar per test, in sections of a lab's tier (labs in course order, tiers in [`Tier`]
/// order), the lowest pass rate first in each; each section headed by its pass rate.
pub(super) fn pass_rates(class: &[(String, Report)], labs: &[&str]) -> Vec<Row> {
    let mut rows = Vec::new();
    for Section { lab, tier, tests } in pass_rate_sections(class, labs) {
        let passed: usize = tests.iter().map(|test| test.passed).sum();
        let run: usize = tests.iter().map(|test| test.run).sum();
        rows.push(Row::Heading(format!(
            "{lab} · {tier}: {}, {:.0} % of runs passed",
            count(tests.len(), "test"),
            share(passed as f64, run as f64)
        )));
        for PassRate { label, passed, run } in tests {
            rows.push(Row::Bar(Bar {
                label,
                value: passed as f64,
                max: run as f64,
                text: format!("{passed}/{run}"),
                tier: Some(tier),
                more: None,
            }));
        }
    }
    rows
}

/// The [`TOP_REASONS`] most common reasons of `groups` (most common first) as bars of their
/// students, each numbered and linked to its row of the table of reasons.
pub(super) fn reason_bars(groups: &[ReasonGroup]) -> Vec<Row> {
    let most = groups.first().map_or(1, |group| group.students) as f64;
    groups
        .iter()
        .take(TOP_REASONS)
        .enumerate()
        .map(|(i, group)| {
            Row::Bar(Bar {
                label: format!("{}. {}", i + 1, one_line(&group.text)),
                value: group.students as f64,
                max: most,
                text: format!(
                    "{}, {}",
                    count(group.students, "student"),
                    count(group.tests, "failed test")
                ),
                tier: None,
                more: Some(format!("reason-{}", i + 1)),
            })
        })
        .collect()
}

/// `text`'s non-blank lines, trimmed, on one line separated by ` · `.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines.join(" · ")
}

impl Chart {
    /// `rows` placed as the chart `id`: a heading's text across the chart; a bar's label on
    /// its left (shortened to [`LABEL_CHARS`], whole in its tooltip, linked to what says more
    /// if anything does), its value on its right.
    pub(super) fn new(id: &'static str, rows: &[Row]) -> Self {
        let (bar_row, heading_row, label_width) = (22.0, 28.0, 560.0);
        let mut y = 0.0;
        let mut placed = Vec::new();
        for row in rows {
            placed.push(match row {
                Row::Heading(text) => ChartRow {
                    heading: Some(Heading {
                        y: y + 20.0,
                        text: text.clone(),
                    }),
                    bar: None,
                },
                Row::Bar(bar) => ChartRow {
                    heading: None,
                    bar: Some(BarRow::new(bar, y, label_width)),
                },
            });
            y += match row {
                Row::Heading(_) => heading_row,
                Row::Bar(_) => bar_row,
            };
        }
        Self {
            id,
            width: label_width + BAR_WIDTH + 160.0,
            height: f64::max(y, bar_row) + 4.0,
            rows: placed,
        }
    }
}

impl BarRow {
    /// `bar` in a row starting `y` pixels down, its label `label_width` wide.
    fn new(bar: &Bar, y: f64, label_width: f64) -> Self {
        let length = if bar.max > 0.0 {
            BAR_WIDTH * bar.value / bar.max
        } else {
            0.0
        };
        Self {
            short: shorten(&bar.label, LABEL_CHARS),
            full: bar.label.clone(),
            more: bar.more.clone(),
            class: match bar.tier {
                None | Some(Tier::Visible) => "bar".to_owned(),
                Some(tier) => format!("bar {tier}"),
            },
            text: bar.text.clone(),
            label_y: y + 15.0,
            x: label_width,
            y: y + 2.0,
            length,
            text_x: label_width + length + 6.0,
        }
    }
}

/// `text` cut to at most `chars` characters, the last of them an ellipsis if it was cut.
pub(super) fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(chars - 1).collect();
    short.push('…');
    short
}

/// `n` and `noun`, plural unless `n` is 1.
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
