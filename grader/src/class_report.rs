//! The class report: one self-contained HTML page of a batch's results, for a browser with no
//! network. Three charts, drawn as inline SVG (no script, no CDN): the distribution of total
//! scores (`#score-distribution`), each test's pass rate (`#pass-rates`) and the most common
//! failure reasons (`#failure-reasons`), each an image named by its heading (`aria-labelledby`);
//! then a table of every student's points per lab.
//! Every piece of text that comes from a submission (ids, reasons) is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::Report;

/// Score buckets of the distribution chart: 0-10 %, ..., 90-100 %.
const BUCKETS: usize = 10;

/// How many failure reasons the reasons chart shows.
const TOP_REASONS: usize = 10;

/// How many characters of a bar's label fit left of its bar: 560 px at 12 px sans-serif, about
/// 7 px a character.
const LABEL_CHARS: usize = 78;

/// One bar of a horizontal bar chart: its label, its value, and the largest value possible.
struct Bar {
    label: String,
    value: f64,
    max: f64,
    text: String,
}

/// The class report of `class` (one student id and report each) as a complete HTML page.
pub fn render(class: &[(String, Report)]) -> String {
    let mut page = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Class report</title><style>\
         body{font-family:sans-serif;margin:2em;max-width:1100px}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}\
         rect.bar{fill:#3b7dd8}text{font-size:12px}</style></head><body>\n\
         <h1>Class report</h1>\n",
    );
    if class.is_empty() {
        page.push_str("<p>No students were graded.</p></body></html>\n");
        return page;
    }
    let totals: Vec<f64> = class.iter().map(|(_, report)| percent(report)).collect();
    let mut sorted = totals.clone();
    sorted.sort_by(f64::total_cmp);
    let _ = writeln!(
        page,
        "<p>{} students; mean score {:.1} %, median {:.1} %.</p>",
        class.len(),
        totals.iter().sum::<f64>() / totals.len() as f64,
        sorted[sorted.len() / 2]
    );
    page.push_str(&heading("score-distribution", "Score distribution"));
    page.push_str(&histogram(&buckets(&totals)));
    page.push_str(&heading("pass-rates", "Pass rate per test"));
    page.push_str(&bar_chart("pass-rates", &pass_rates(class)));
    page.push_str(&heading("failure-reasons", "Most common failure reasons"));
    page.push_str(&bar_chart("failure-reasons", &failure_reasons(class)));
    page.push_str("<h2>Students</h2>\n");
    page.push_str(&students_table(class));
    page.push_str("</body></html>\n");
    page
}

/// The heading of the chart `id`, which names the chart for screen readers
/// (`aria-labelledby`).
fn heading(id: &str, title: &str) -> String {
    format!("<h2 id=\"{id}-title\">{title}</h2>\n")
}

/// A report's total as a percentage of its maximum (0 when nothing could be earned).
fn percent(report: &Report) -> f64 {
    if report.max_score > 0.0 {
        100.0 * report.score / report.max_score
    } else {
        0.0
    }
}

/// How many of `percents` fall in each of the [`BUCKETS`] (100 % in the last).
fn buckets(percents: &[f64]) -> [usize; BUCKETS] {
    let mut counts = [0; BUCKETS];
    for &p in percents {
        let bucket = ((p / (100.0 / BUCKETS as f64)) as usize).min(BUCKETS - 1);
        counts[bucket] += 1;
    }
    counts
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

/// One bar per test, in course order: the share of students who passed it.
fn pass_rates(class: &[(String, Report)]) -> Vec<Bar> {
    let mut rates: Vec<(String, usize, usize)> = Vec::new();
    for (_, report) in class {
        for lab in &report.labs {
            for test in &lab.tests {
                let label = format!("{} / {}::{}", lab.lab, test.target, test.name);
                let index = match rates.iter().position(|(l, _, _)| *l == label) {
                    Some(index) => index,
                    None => {
                        rates.push((label, 0, 0));
                        rates.len() - 1
                    }
                };
                rates[index].1 += usize::from(test.passed);
                rates[index].2 += 1;
            }
        }
    }
    rates
        .into_iter()
        .map(|(label, passed, all)| Bar {
            text: format!("{passed}/{all}"),
            label,
            value: passed as f64,
            max: all as f64,
        })
        .collect()
}

/// `reason`'s first line with every run of digits as `N`, at most 100 characters: reasons
/// that differ only in numbers, lines or paths' digits count as one.
fn normalise(reason: &str) -> String {
    let mut normal = String::new();
    for c in reason.lines().next().unwrap_or("").trim().chars() {
        if c.is_ascii_digit() {
            if !normal.ends_with('N') {
                normal.push('N');
            }
        } else {
            normal.push(c);
        }
    }
    normal.chars().take(100).collect()
}

/// The [`TOP_REASONS`] most common normalised failure reasons, most common first.
fn failure_reasons(class: &[(String, Report)]) -> Vec<Bar> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, report) in class {
        for test in report.labs.iter().flat_map(|lab| &lab.tests) {
            if !test.passed {
                *counts.entry(normalise(&test.reason)).or_default() += 1;
            }
        }
    }
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let most = counts.first().map_or(1, |(_, count)| *count) as f64;
    counts
        .into_iter()
        .take(TOP_REASONS)
        .map(|(label, count)| Bar {
            label,
            value: count as f64,
            max: most,
            text: count.to_string(),
        })
        .collect()
}

/// `bars` as an SVG horizontal bar chart with the given element id: each bar's label on its
/// left (shortened to [`LABEL_CHARS`], whole in its tooltip), its value on its right.
fn bar_chart(id: &str, bars: &[Bar]) -> String {
    let (row, label_width, bar_width) = (22.0, 560.0, 400.0);
    let mut svg = format!(
        "<svg id=\"{id}\" width=\"{}\" height=\"{}\" role=\"img\" \
         aria-labelledby=\"{id}-title\">\n",
        label_width + bar_width + 60.0,
        row * bars.len().max(1) as f64 + 4.0
    );
    if bars.is_empty() {
        svg.push_str("<text x=\"0\" y=\"16\">none</text>\n");
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = row * i as f64;
        let length = if bar.max > 0.0 {
            bar_width * bar.value / bar.max
        } else {
            0.0
        };
        let label = escape(&bar.label);
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{}\">{}<title>{label}</title></text>\
             <rect class=\"bar\" x=\"{label_width}\" y=\"{}\" width=\"{length}\" height=\"{}\">\
             <title>{label}: {}</title></rect><text x=\"{}\" y=\"{}\">{}</text>",
            y + 15.0,
            escape(&shorten(&bar.label, LABEL_CHARS)),
            y + 2.0,
            row - 6.0,
            escape(&bar.text),
            label_width + length + 6.0,
            y + 15.0,
            escape(&bar.text)
        );
    }
    svg.push_str("</svg>\n");
    svg
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

/// Every student's points per lab and in total.
fn students_table(class: &[(String, Report)]) -> String {
    let labs: Vec<&str> = class
        .first()
        .map(|(_, report)| report.labs.iter().map(|lab| lab.lab.as_str()).collect())
        .unwrap_or_default();
    let mut table = String::from("<table><tr><th>student</th>");
    for lab in &labs {
        let _ = write!(table, "<th>{}</th>", escape(lab));
    }
    table.push_str("<th>total</th></tr>\n");
    for (student, report) in class {
        let _ = write!(table, "<tr><td>{}</td>", escape(student));
        for lab in &report.labs {
            let _ = write!(table, "<td>{}/{}</td>", lab.score, lab.max_score);
        }
        let _ = writeln!(table, "<td>{}/{}</td></tr>", report.score, report.max_score);
    }
    table.push_str("</table>\n");
    table
}

/// `text` safe to put in HTML text or a quoted attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Tier;
    use crate::report::{LabReport, TestReport};

    /// A one-lab report with a test per `(name, passed, reason)`.
    fn report(tests: &[(&str, bool, &str)]) -> Report {
        let tests = tests
            .iter()
            .map(|&(name, passed, reason)| TestReport {
                tier: Tier::Visible,
                target: "visible".into(),
                name: name.into(),
                passed,
                score: if passed { 1.0 } else { 0.0 },
                max_score: 1.0,
                reason: reason.into(),
                failure: None,
                output: String::new(),
            })
            .collect::<Vec<_>>();
        let score = tests.iter().map(|t| t.score).sum();
        let max_score = tests.len() as f64;
        Report::new(
            "x",
            vec![LabReport {
                lab: "lab1-race".into(),
                score,
                max_score,
                tests,
            }],
        )
    }

    #[test]
    fn student_text_is_escaped() {
        let class = vec![(
            "<script>alert(1)</script>".to_owned(),
            report(&[("a", false, "<script>evil()</script>")]),
        )];
        let page = render(&class);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn an_empty_class_is_a_page_that_says_so() {
        let page = render(&[]);
        assert!(page.contains("No students were graded."));
        assert!(!page.contains("NaN"));
    }

    #[test]
    fn reasons_that_differ_only_in_numbers_are_one() {
        let class = vec![
            (
                "a".to_owned(),
                report(&[("t", false, "lost 37 updates\nmore")]),
            ),
            ("b".to_owned(), report(&[("t", false, "lost 5 updates")])),
        ];
        let bars = failure_reasons(&class);
        assert_eq!(bars.len(), 1);
        assert_eq!(bars[0].label, "lost N updates");
        assert_eq!(bars[0].value, 2.0);
    }

    #[test]
    fn long_labels_are_shortened_and_whole_in_their_tooltip() {
        let long = "x".repeat(LABEL_CHARS + 5);
        let chart = bar_chart(
            "c",
            &[Bar {
                label: long.clone(),
                value: 1.0,
                max: 1.0,
                text: "1".into(),
            }],
        );
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
    }

    #[test]
    fn every_chart_is_drawn() {
        let class = vec![
            (
                "a".to_owned(),
                report(&[("t", true, ""), ("u", false, "x")]),
            ),
            (
                "b".to_owned(),
                report(&[("t", false, "y"), ("u", false, "x")]),
            ),
        ];
        let page = render(&class);
        for id in ["score-distribution", "pass-rates", "failure-reasons"] {
            let start = page.find(&format!("<svg id=\"{id}\"")).unwrap();
            let end = start + page[start..].find("</svg>").unwrap();
            assert!(page[start..end].contains("<rect"), "{id} has no bars");
        }
        assert!(!page.contains("NaN"));
    }
}
