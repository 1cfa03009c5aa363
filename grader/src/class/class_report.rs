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

mod charts;
mod page;
mod reasons;
mod stats;

use std::time::{SystemTime, UNIX_EPOCH};

use askama::Template;

use crate::score::report::Report;
use page::Page;

/// The class report of `class` (one student id and report each, in the order shown) as a
/// complete HTML page, saying it was made on `date` by this version of the grader.
pub fn render(class: &[(String, Report)], date: &str) -> String {
    Page::new(class, date)
        .render()
        .expect("the class report's template renders any class")
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
    use std::path::Path;

    use super::charts::{LABEL_CHARS, Row, pass_rates, shorten};
    use super::page::heat_class;
    use super::stats::{buckets, lab_names};
    use super::*;
    use crate::class::batch::student_dir;
    use crate::execute::outcome::Failure;
    use crate::intake::catalog::Tier;
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
        let page = render(&class, "today");
        let chart = part(&page, "<svg id=\"pass-rates\"", "</svg>");
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
        let reason = "x".repeat(LABEL_CHARS + 5);
        let page = render(&[("a".to_owned(), race(&[("t", &reason)]))], "today");
        let chart = part(&page, "<svg id=\"failure-reasons\"", "</svg>");
        let label = format!("1. {reason}");
        let short = format!("{}…", &label[..LABEL_CHARS - 1]);
        assert!(
            chart.contains(&format!(">{short}<title>{label}</title>")),
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
