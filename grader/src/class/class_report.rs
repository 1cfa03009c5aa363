//! The class report: one self-contained HTML page of a batch's results, for a browser with no
//! network (no script, no style sheet or image from elsewhere; the only links are to places
//! in the page and to each student's JSON report beside it). In page order:
//! - when and by which grader version it was made, and the class's mean and median;
//! - the distribution of total scores, an SVG column chart (`#score-distribution`);
//! - each lab's mean score (`#lab-means`);
//! - each test's pass rate, an SVG bar chart (`#pass-rates`) in one section per lab and tier,
//!   hardest (lowest pass rate) first in each, every bar coloured by its tier;
//! - the most common failure reasons, an SVG bar chart (`#failure-reasons`) whose bars count
//!   students and whose labels link to the table of every reason, whole (`#reasons`), each
//!   with how many students and how many failed tests it explains (grouped as
//!   `reasons` says);
//! - a heat map of every student's score per lab and in total (`#heat-map`), each student's
//!   id a link to their JSON report (`students/<id>/report.json`, as [`batch`] writes it).
//!
//! Every chart is an image named by its heading (`aria-labelledby`). Every piece of text that
//! comes from a submission (ids, reasons) is HTML-escaped.
//!
//! [`batch`]: crate::class::batch

mod reasons;
mod stats;

use std::fmt::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::class::batch::{REPORT_JSON, student_dir};
use crate::intake::catalog::Tier;
use crate::score::report::Report;
use reasons::ReasonGroup;
use stats::{
    BUCKETS, LabMean, PassRate, Section, buckets, lab_mean, lab_names, pass_rate_sections, percent,
    share,
};

/// How many failure reasons the reasons chart shows (the table below it shows them all).
const TOP_REASONS: usize = 10;

/// How many characters of a bar's label fit left of its bar: 560 px at 12 px sans-serif, about
/// 7 px a character.
const LABEL_CHARS: usize = 78;

/// Colours of the heat map and the scores they stand for, from the lowest fifth of scores to
/// the highest, as the CSS classes `heat-0` to `heat-4`.
const HEAT: [(&str, &str); 5] = [
    ("#f4a6a6", "below 20 %"),
    ("#f8c89b", "20 to 40 %"),
    ("#f6e59a", "40 to 60 %"),
    ("#cfe6a0", "60 to 80 %"),
    ("#97d4a0", "80 % or more"),
];

/// The page's head and style: bars are `#3b7dd8` but for the hidden (`#8e5bc0`), loom
/// (`#d97a1e`) and stress (`#3f9a57`) tiers' bars of the pass-rate chart.
const HEAD: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>Class report</title><style>\
    body{font-family:sans-serif;margin:2em;max-width:1100px}\
    table{border-collapse:collapse;margin-bottom:1em}\
    td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}\
    th{white-space:nowrap}\
    td.n{text-align:right}#heat-map td{text-align:center;min-width:5em}\
    #heat-map small{display:block;color:#333}a{color:#1d4f91}\
    rect.bar{fill:#3b7dd8}rect.hidden{fill:#8e5bc0}rect.loom{fill:#d97a1e}\
    rect.stress{fill:#3f9a57}text{font-size:12px}text.section{font-weight:bold}\
    svg a text{fill:#1d4f91;text-decoration:underline}\
    pre{white-space:pre-wrap;margin:4px 0;font-size:12px}summary{cursor:pointer}\
    .legend span{padding:2px 8px;margin-right:6px}p.note{max-width:900px}";

/// One row of a horizontal bar chart: a section's heading, or a bar.
enum Row {
    /// The heading of the bars below it.
    Heading(String),
    /// A bar.
    Bar(Bar),
}

/// One bar of a horizontal bar chart.
struct Bar {
    /// What it measures, whole (the chart shortens it).
    label: String,
    /// Its value.
    value: f64,
    /// The largest value possible, the length of a full bar.
    max: f64,
    /// Its value as written right of it.
    text: String,
    /// The tier that colours it; `None` for the default colour.
    tier: Option<Tier>,
    /// The id of the element that says more, which the label links to.
    more: Option<String>,
}

/// The class report of `class` (one student id and report each, in the order shown) as a
/// complete HTML page, saying it was made on `date` by this version of the grader.
pub fn render(class: &[(String, Report)], date: &str) -> String {
    let mut page = format!(
        "{HEAD}{}</style></head><body>\n<h1>Class report</h1>\n<p>Made on {} by grader {}.",
        heat_style(),
        escape(date),
        env!("CARGO_PKG_VERSION")
    );
    if class.is_empty() {
        page.push_str("</p>\n<p>No students were graded.</p></body></html>\n");
        return page;
    }
    let totals: Vec<f64> = class.iter().map(|(_, report)| percent(report)).collect();
    let mut sorted = totals.clone();
    sorted.sort_by(f64::total_cmp);
    let _ = writeln!(
        page,
        " {}; mean score {:.1} %, median {:.1} %.</p>",
        count(class.len(), "student"),
        totals.iter().sum::<f64>() / totals.len() as f64,
        sorted[sorted.len() / 2]
    );
    let labs = lab_names(class);
    page.push_str(&heading("score-distribution", "Score distribution"));
    page.push_str(&histogram(&buckets(&totals)));
    page.push_str("<h2>Mean score per lab</h2>\n");
    page.push_str(&lab_means(class, &labs));
    page.push_str(&heading("pass-rates", "Pass rate per test"));
    page.push_str(
        "<p class=\"note\">One section per lab and tier, its hardest test (lowest pass rate) \
         first. A bar is the share of students who passed the test; its colour is the tier: \
         visible blue, hidden purple, loom orange, stress green.</p>\n",
    );
    page.push_str(&bar_chart("pass-rates", &pass_rates(class, &labs)));
    let groups = reasons::group(class);
    page.push_str(&heading("failure-reasons", "Most common failure reasons"));
    page.push_str(FAILURE_NOTE);
    page.push_str(&bar_chart("failure-reasons", &reason_bars(&groups)));
    page.push_str("<h2>Every failure reason</h2>\n");
    page.push_str(&reasons_table(&groups));
    page.push_str("<h2>Score per student and lab</h2>\n");
    page.push_str(&heat_map(class, &labs));
    page.push_str("</body></html>\n");
    page
}

/// What the failure reasons' counts are, and how reasons are grouped.
const FAILURE_NOTE: &str = "<p class=\"note\">Each reason is counted twice: <b>students</b> \
    is how many students had at least one test fail for it (the length of its bar), \
    <b>failed tests</b> how many test results it explains, one per student and test (a lab \
    that does not compile fails every test of the lab). Reasons are grouped when their text \
    is the same, once paths into temporary folders and memory addresses are set aside; a \
    failed loom model's example interleaving is left out (it is in the student's JSON \
    report). Click a reason to read it whole in the table below.</p>\n";

/// The CSS of the heat map's classes `heat-0` to `heat-4`.
fn heat_style() -> String {
    HEAT.iter()
        .enumerate()
        .map(|(i, (colour, _))| format!(".heat-{i}{{background:{colour}}}"))
        .collect()
}

/// The heading of the chart `id`, which names the chart for screen readers
/// (`aria-labelledby`).
fn heading(id: &str, title: &str) -> String {
    format!("<h2 id=\"{id}-title\">{title}</h2>\n")
}

/// `n` and `noun`, plural unless `n` is 1.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The score distribution as an SVG column chart: each column's count above it, its range of
/// scores below.
fn histogram(counts: &[usize; BUCKETS]) -> String {
    let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    // Room above the tallest column for its count, and below the columns for the ranges.
    let (width, height, top) = (60.0, 200.0, 20.0);
    let mut svg = format!(
        "<svg id=\"score-distribution\" width=\"{}\" height=\"{}\" role=\"img\" \
         aria-labelledby=\"score-distribution-title\">\n",
        width * BUCKETS as f64,
        top + height + 24.0
    );
    for (i, &count) in counts.iter().enumerate() {
        let bar = height * count as f64 / most;
        let middle = width * i as f64 + width / 2.0;
        let range = format!("{}-{} %", i * 10, i * 10 + 10);
        let students = if count == 1 { "student" } else { "students" };
        let _ = writeln!(
            svg,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bar}\">\
             <title>{range}: {count} {students}</title></rect>\
             <text x=\"{middle}\" y=\"{}\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{middle}\" y=\"{}\" text-anchor=\"middle\">{range}</text>",
            middle - width / 2.0 + 5.0,
            top + height - bar,
            width - 10.0,
            top + height - bar - 5.0,
            top + height + 18.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Each lab's mean score over the students graded on it, in points and as a percentage
/// (coloured as in the heat map).
fn lab_means(class: &[(String, Report)], labs: &[&str]) -> String {
    let mut table = String::from(
        "<table id=\"lab-means\"><thead><tr><th>lab</th><th>students</th>\
         <th>mean points</th><th>mean score</th></tr></thead><tbody>\n",
    );
    for lab in labs {
        let LabMean {
            students,
            points,
            max,
            percent: mean,
        } = lab_mean(class, lab);
        let _ = writeln!(
            table,
            "<tr><td>{}</td><td class=\"n\">{students}</td><td class=\"n\">{points:.1} of {max}</td>\
             <td class=\"{}\">{mean:.1} %</td></tr>",
            escape(lab),
            heat_class(mean)
        );
    }
    table.push_str("</tbody></table>\n");
    table
}

/// The heat map's class for a score of `percent` %: `heat-0` below 20 %, ..., `heat-4` from
/// 80 % up.
fn heat_class(percent: f64) -> String {
    let fifth = ((percent / 20.0) as usize).min(HEAT.len() - 1);
    format!("heat-{fifth}")
}

/// One bar per test, in sections of a lab's tier (labs in course order, tiers in [`Tier`]
/// order), the lowest pass rate first in each; each section headed by its pass rate.
fn pass_rates(class: &[(String, Report)], labs: &[&str]) -> Vec<Row> {
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
/// students, each numbered and linked to its row of the [`reasons_table`].
fn reason_bars(groups: &[ReasonGroup]) -> Vec<Row> {
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

/// Every reason of `groups`, numbered as in the chart (row `#reason-<n>`), with its counts and
/// its whole text: a one-line reason as it is, a longer one as its first line that opens onto
/// the whole text.
fn reasons_table(groups: &[ReasonGroup]) -> String {
    if groups.is_empty() {
        return "<p>No test failed.</p>\n".to_owned();
    }
    let mut table = String::from(
        "<table id=\"reasons\"><thead><tr><th>#</th><th>students</th><th>failed tests</th>\
         <th>reason</th></tr></thead><tbody>\n",
    );
    for (i, group) in groups.iter().enumerate() {
        let text = match group.text.split_once('\n') {
            None => escape(&group.text),
            Some((first, _)) => format!(
                "<details><summary>{} <small>({})</small></summary><pre>{}</pre></details>",
                escape(first),
                count(group.text.lines().count() - 1, "more line"),
                escape(&group.text)
            ),
        };
        let _ = writeln!(
            table,
            "<tr id=\"reason-{}\"><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{text}</td></tr>",
            i + 1,
            i + 1,
            group.students,
            group.tests
        );
    }
    table.push_str("</tbody></table>\n");
    table
}

/// `rows` as an SVG horizontal bar chart with the given element id: a heading's text across
/// the chart; a bar's label on its left (shortened to [`LABEL_CHARS`], whole in its tooltip,
/// linked to what says more if anything does), its value on its right.
fn bar_chart(id: &str, rows: &[Row]) -> String {
    let (bar_row, heading_row, label_width) = (22.0, 28.0, 560.0);
    let height: f64 = rows
        .iter()
        .map(|row| match row {
            Row::Heading(_) => heading_row,
            Row::Bar(_) => bar_row,
        })
        .sum();
    let mut svg = format!(
        "<svg id=\"{id}\" width=\"{}\" height=\"{}\" role=\"img\" \
         aria-labelledby=\"{id}-title\">\n",
        label_width + BAR_WIDTH + 160.0,
        height.max(bar_row) + 4.0
    );
    if rows.is_empty() {
        svg.push_str("<text x=\"0\" y=\"16\">none</text>\n");
    }
    let mut y = 0.0;
    for row in rows {
        match row {
            Row::Heading(text) => {
                let _ = writeln!(
                    svg,
                    "<text class=\"section\" x=\"0\" y=\"{}\">{}</text>",
                    y + 20.0,
                    escape(text)
                );
                y += heading_row;
            }
            Row::Bar(bar) => {
                svg.push_str(&bar_svg(bar, y, label_width));
                y += bar_row;
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// The length of a full bar, in pixels.
const BAR_WIDTH: f64 = 360.0;

/// One bar of [`bar_chart`], its row starting `y` pixels down, its label `label_width` wide.
fn bar_svg(bar: &Bar, y: f64, label_width: f64) -> String {
    let length = if bar.max > 0.0 {
        BAR_WIDTH * bar.value / bar.max
    } else {
        0.0
    };
    let full = escape(&bar.label);
    let mut label = format!(
        "<text x=\"0\" y=\"{}\">{}<title>{full}</title></text>",
        y + 15.0,
        escape(&shorten(&bar.label, LABEL_CHARS))
    );
    if let Some(more) = &bar.more {
        label = format!("<a href=\"#{}\">{label}</a>", escape(more));
    }
    let class = match bar.tier {
        None | Some(Tier::Visible) => "bar".to_owned(),
        Some(tier) => format!("bar {tier}"),
    };
    let text = escape(&bar.text);
    format!(
        "{label}<rect class=\"{class}\" x=\"{label_width}\" y=\"{}\" width=\"{length}\" \
         height=\"16\"><title>{full}: {text}</title></rect><text x=\"{}\" y=\"{}\">{text}</text>\n",
        y + 2.0,
        label_width + length + 6.0,
        y + 15.0,
    )
}

/// `text` cut to at most `chars` characters, the last of them an ellipsis if it was cut.
fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(chars - 1).collect();
    short.push('…');
    short
}

/// Every student's score per lab and in total, each cell coloured by its percentage (a legend
/// above), each student's id a link to their JSON report.
fn heat_map(class: &[(String, Report)], labs: &[&str]) -> String {
    let mut table = String::from("<p class=\"legend\">Colour of a score: ");
    for (i, (_, range)) in HEAT.iter().enumerate() {
        let _ = write!(table, "<span class=\"heat-{i}\">{range}</span>");
    }
    table.push_str("</p>\n<table id=\"heat-map\"><thead><tr><th>student (JSON report)</th>");
    for lab in labs {
        let _ = write!(table, "<th>{}</th>", escape(lab));
    }
    table.push_str("<th>total</th></tr></thead><tbody>\n");
    for (student, report) in class {
        let _ = write!(
            table,
            "<tr><th><a href=\"{}\">{}</a></th>",
            escape(&report_link(student)),
            escape(student)
        );
        for lab in labs {
            match report.labs.iter().find(|l| l.lab == *lab) {
                Some(lab) => table.push_str(&heat_cell(lab.score, lab.max_score)),
                None => table.push_str("<td>not graded</td>"),
            }
        }
        table.push_str(&heat_cell(report.score, report.max_score));
        table.push_str("</tr>\n");
    }
    table.push_str("</tbody></table>\n");
    table
}

/// A heat map cell of `score` points out of `max`: its percentage, coloured, over its points.
fn heat_cell(score: f64, max: f64) -> String {
    if max <= 0.0 {
        return format!("<td>{score}/{max}</td>");
    }
    let percent = share(score, max);
    format!(
        "<td class=\"{}\">{percent:.0} %<small>{score}/{max}</small></td>",
        heat_class(percent)
    )
}

/// The link from the page (`<out>/report.html`) to the JSON report of the student `id`, as
/// [`batch`](crate::class::batch) writes it: `students/<id>/report.json`, the id made a safe file
/// name.
fn report_link(id: &str) -> String {
    let path = student_dir(Path::new(""), id).join(REPORT_JSON);
    path.to_string_lossy().into_owned()
}

/// `text` safe to put in HTML text or a quoted attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `time` as a date in UTC, `YYYY-MM-DD`; a time before 1970 is 1970-01-01.
pub fn utc_date(time: SystemTime) -> String {
    let days = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / 86_400);
    // Howard Hinnant's `civil_from_days`, on days since 0000-03-01 (a year that starts in
    // March ends on the leap day), in 400-year eras of 146 097 days.
    let days = days + 719_468;
    let (era, day_of_era) = (days / 146_097, days % 146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::outcome::Failure;
    use crate::score::report::{LabReport, TestReport};

    /// A test of `tier` called `name`, worth 1 point, failed with `reason` unless it is empty.
    pub(super) fn test(tier: Tier, name: &str, reason: &str) -> TestReport {
        let passed = reason.is_empty();
        TestReport {
            tier,
            target: tier.to_string(),
            name: name.into(),
            passed,
            score: if passed { 1.0 } else { 0.0 },
            max_score: 1.0,
            reason: reason.into(),
            failure: (!passed).then(|| Failure::NotHandedIn { why: reason.into() }),
            output: String::new(),
        }
    }

    /// A report of one lab per `(lab, tests)`.
    pub(super) fn report(labs: Vec<(&str, Vec<TestReport>)>) -> Report {
        let labs = labs
            .into_iter()
            .map(|(lab, tests)| LabReport {
                lab: lab.into(),
                score: tests.iter().map(|t| t.score).sum(),
                max_score: tests.iter().map(|t| t.max_score).sum(),
                tests,
            })
            .collect();
        Report::new("x", labs)
    }

    /// A report of lab1-race's visible tests, one per `(name, reason)`.
    fn race(tests: &[(&str, &str)]) -> Report {
        let tests = tests
            .iter()
            .map(|(name, reason)| test(Tier::Visible, name, reason))
            .collect();
        report(vec![("lab1-race", tests)])
    }

    /// The part of `page` from `start` up to the next `end`.
    fn part<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
        let from = page.find(start).unwrap_or_else(|| panic!("no {start}"));
        &page[from..from + page[from..].find(end).unwrap()]
    }

    #[test]
    fn student_text_is_escaped() {
        let class = vec![(
            "<script>alert(1)</script>".to_owned(),
            race(&[("a", "<script>evil()</script>\n<b>more</b>")]),
        )];
        let page = render(&class, "<today>");
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<b>more"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)"));
        assert!(page.contains("&lt;script&gt;evil()&lt;/script&gt;"));
        assert!(page.contains("Made on &lt;today&gt;"));
        let folder = student_dir(Path::new(""), "<script>alert(1)</script>");
        let folder = folder.to_str().unwrap();
        assert!(folder.starts_with("students/_script_alert_1___script_-"));
        assert!(page.contains(&format!("href=\"{folder}/report.json\"")));
    }

    #[test]
    fn an_empty_class_is_a_page_that_says_so_and_when() {
        let page = render(&[], "2025-01-31");
        assert!(page.contains("No students were graded."));
        let made = format!(
            "Made on 2025-01-31 by grader {}.",
            env!("CARGO_PKG_VERSION")
        );
        assert!(page.contains(&made), "{page}");
        assert!(!page.contains("NaN"));
    }

    #[test]
    fn pass_rates_are_in_sections_of_lab_and_tier_hardest_first() {
        let student = |easy, hard| {
            report(vec![
                (
                    "lab1-race",
                    vec![
                        test(Tier::Loom, "model", "x"),
                        test(Tier::Visible, "easy", easy),
                        test(Tier::Visible, "hard", hard),
                    ],
                ),
                ("lab1-lock", vec![test(Tier::Hidden, "h", "")]),
            ])
        };
        let class = [
            ("a", student("", "x")),
            ("b", student("x", "x")),
            ("c", student("", "")),
        ]
        .map(|(id, report)| (id.to_owned(), report));
        let rows: Vec<String> = pass_rates(&class, &lab_names(&class))
            .iter()
            .map(|row| match row {
                Row::Heading(text) => format!("# {text}"),
                Row::Bar(bar) => format!("{} {} {:?}", bar.label, bar.text, bar.tier),
            })
            .collect();
        assert_eq!(
            rows,
            [
                "# lab1-race · visible: 2 tests, 50 % of runs passed",
                "visible::hard 1/3 Some(Visible)",
                "visible::easy 2/3 Some(Visible)",
                "# lab1-race · loom: 1 test, 0 % of runs passed",
                "loom::model 0/3 Some(Loom)",
                "# lab1-lock · hidden: 1 test, 100 % of runs passed",
                "hidden::h 3/3 Some(Hidden)",
            ]
        );
        let chart = bar_chart("c", &pass_rates(&class, &lab_names(&class)));
        assert!(chart.contains("<rect class=\"bar loom\""), "{chart}");
        assert!(chart.contains("<rect class=\"bar hidden\""), "{chart}");
    }

    #[test]
    fn reasons_are_counted_by_student_and_test_and_readable_whole() {
        let long = format!("does not compile:\nerror[E0308]: {}", "y".repeat(200));
        let class = vec![
            ("a".to_owned(), race(&[("t", &long), ("u", &long)])),
            ("b".to_owned(), race(&[("t", "lost 5 updates"), ("u", "")])),
        ];
        let page = render(&class, "today");
        let chart = part(&page, "<svg id=\"failure-reasons\"", "</svg>");
        assert!(chart.contains("<a href=\"#reason-1\"><text"), "{chart}");
        assert!(
            chart.contains("1. does not compile: · error[E0308]: yyy"),
            "{chart}"
        );
        assert!(chart.contains("1 student, 2 failed tests"), "{chart}");
        assert!(chart.contains("<a href=\"#reason-2\">"), "{chart}");
        let table = part(&page, "<table id=\"reasons\"", "</table>");
        let first = part(table, "<tr id=\"reason-1\">", "</tr>");
        assert!(
            first.contains("<td class=\"n\">1</td><td class=\"n\">2</td>"),
            "{first}"
        );
        assert!(
            first.contains("<summary>does not compile: <small>(1 more line)"),
            "{first}"
        );
        assert!(first.contains(&format!("<pre>{long}</pre>")), "{first}");
        let second = part(table, "<tr id=\"reason-2\">", "</tr>");
        assert!(second.ends_with("<td>lost 5 updates</td>"), "{second}");
        assert!(page.contains("<b>students</b>") && page.contains("<b>failed tests</b>"));
    }

    #[test]
    fn long_labels_are_shortened_and_whole_in_their_tooltip() {
        let long = "x".repeat(LABEL_CHARS + 5);
        let bar = Bar {
            label: long.clone(),
            value: 1.0,
            max: 1.0,
            text: "1".into(),
            tier: None,
            more: None,
        };
        let chart = bar_chart("c", &[Row::Bar(bar)]);
        let short = format!("{}…", "x".repeat(LABEL_CHARS - 1));
        assert!(
            chart.contains(&format!(">{short}<title>{long}</title>")),
            "{chart}"
        );
        assert_eq!(shorten("short", LABEL_CHARS), "short");
    }

    #[test]
    fn scores_fall_in_their_buckets() {
        assert_eq!(
            buckets(&[0.0, 5.0, 10.0, 55.0, 99.9, 100.0]),
            [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
        );
        let fifths = [0.0, 19.9, 20.0, 59.9, 60.0, 80.0, 100.0].map(heat_class);
        assert_eq!(
            fifths,
            [
                "heat-0", "heat-0", "heat-1", "heat-2", "heat-3", "heat-4", "heat-4"
            ]
        );
    }

    #[test]
    fn the_heat_map_and_lab_means_colour_each_score_and_link_each_student() {
        let class = vec![
            ("ann".to_owned(), race(&[("t", ""), ("u", ""), ("v", "x")])),
            (
                "bo b".to_owned(),
                race(&[("t", "x"), ("u", "x"), ("v", "x")]),
            ),
        ];
        let page = render(&class, "today");
        let map = part(&page, "<table id=\"heat-map\"", "</table>");
        let ann = part(
            map,
            "<tr><th><a href=\"students/ann/report.json\">ann</a>",
            "</tr>",
        );
        assert!(
            ann.contains("<td class=\"heat-3\">67 %<small>2/3</small></td>"),
            "{ann}"
        );
        let bob_folder = student_dir(Path::new(""), "bo b");
        let bob = part(
            map,
            &format!(
                "<tr><th><a href=\"{}/report.json\">bo b</a>",
                bob_folder.display()
            ),
            "</tr>",
        );
        assert!(
            bob.contains("<td class=\"heat-0\">0 %<small>0/3</small></td>"),
            "{bob}"
        );
        let means = part(&page, "<table id=\"lab-means\"", "</table>");
        assert!(
            means.contains(
                "<td>lab1-race</td><td class=\"n\">2</td><td class=\"n\">1.0 of 3</td>\
                 <td class=\"heat-1\">33.3 %</td>"
            ),
            "{means}"
        );
    }

    #[test]
    fn every_chart_is_drawn() {
        let class = vec![
            ("a".to_owned(), race(&[("t", ""), ("u", "x")])),
            ("b".to_owned(), race(&[("t", "y"), ("u", "x")])),
        ];
        let page = render(&class, "today");
        for id in ["score-distribution", "pass-rates", "failure-reasons"] {
            let chart = part(&page, &format!("<svg id=\"{id}\""), "</svg>");
            assert!(chart.contains("<rect"), "{id} has no bars");
        }
        assert!(!page.contains("NaN"));
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        let date = |secs| utc_date(UNIX_EPOCH + std::time::Duration::from_secs(secs));
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_709_164_800), "2024-02-29");
        assert_eq!(date(1_735_689_599), "2024-12-31");
        assert_eq!(date(1_735_689_600), "2025-01-01");
        assert_eq!(date(4_102_444_800), "2100-01-01");
        assert_eq!(
            utc_date(UNIX_EPOCH - std::time::Duration::from_secs(1)),
            "1970-01-01"
        );
    }
}
