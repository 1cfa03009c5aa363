//! The class report's page as values for its template, `grader/templates/class_report.html`:
//! every number placed and formatted, every text as it reads. The template escapes every value
//! it inserts ([`Entities`]), so no text from a submission can become markup.

use std::fmt;
use std::path::Path;

use askama::Template;

use crate::class::batch::{REPORT_JSON, student_dir};
use crate::score::report::Report;

use super::charts::{Chart, count, pass_rates, reason_bars};
use super::reasons::ReasonGroup;
use super::stats::{BUCKETS, LabMean, buckets, lab_mean, lab_names, percent, share};

/// Colours of the heat map and the scores they stand for, from the lowest fifth of scores to
/// the highest, as the CSS classes `heat-0` to `heat-4`.
const HEAT: [(&str, &str); 5] = [
    ("#f4a6a6", "below 20 %"),
    ("#f8c89b", "20 to 40 %"),
    ("#f6e59a", "40 to 60 %"),
    ("#cfe6a0", "60 to 80 %"),
    ("#97d4a0", "80 % or more"),
];

/// HTML's escaping with named entities (`&lt;`, `&quot;`, ...), for the template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Entities;

impl askama::filters::Escaper for Entities {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        for c in text.chars() {
            match c {
                '&' => dest.write_str("&amp;")?,
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '"' => dest.write_str("&quot;")?,
                '\'' => dest.write_str("&#39;")?,
                c => dest.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// The whole page.
#[derive(Template)]
#[template(path = "class_report.html")]
pub(super) struct Page<'a> {
    /// The CSS of the heat map's classes.
    heat_style: String,
    /// When it was made.
    date: &'a str,
    /// The grader's version.
    version: &'static str,
    /// Everything below the first line; `None` for a class of no one.
    class: Option<Class>,
}

/// What the page shows of a class of at least one student.
pub(super) struct Class {
    /// How many students, in words.
    students: String,
    /// The mean and median total score, in percent.
    mean: String,
    median: String,
    histogram: Histogram,
    lab_means: Vec<LabMeanRow>,
    pass_rates: Chart,
    reason_bars: Chart,
    reasons: Vec<ReasonRow>,
    heat_map: HeatMap,
}

/// The score distribution, an SVG column chart.
struct Histogram {
    width: f64,
    height: f64,
    columns: Vec<Column>,
}

/// One column of the [`Histogram`]: its count above it, its range of scores below.
struct Column {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    middle: f64,
    count_y: f64,
    range_y: f64,
    range: String,
    count: usize,
    students: &'static str,
}

/// A lab's mean score over the students graded on it, as points and a coloured percentage.
struct LabMeanRow {
    lab: String,
    students: usize,
    points: String,
    max: f64,
    heat: String,
    mean: String,
}

/// One failure reason of the table: its number, counts, and text.
struct ReasonRow {
    number: usize,
    students: usize,
    tests: usize,
    text: String,
    /// A reason of more than one line: its first line, which opens onto the whole text.
    opens: Option<FirstLine>,
}

/// The first line of a long reason, and how many more lines it has, in words.
struct FirstLine {
    first: String,
    more: String,
}

/// Every student's score per lab and in total.
struct HeatMap {
    /// Each colour's class and the scores it stands for.
    legend: Vec<(String, &'static str)>,
    labs: Vec<String>,
    rows: Vec<HeatRow>,
}

/// One student's row of the [`HeatMap`]: their id, a link to their JSON report, their cells.
struct HeatRow {
    link: String,
    student: String,
    cells: Vec<HeatCell>,
}

/// One cell of the [`HeatMap`]: a lab not graded, or a score as points, and, when its
/// maximum is positive, its percentage and class.
struct HeatCell {
    graded: bool,
    points: String,
    percent: Option<Percent>,
}

/// A score's percentage, rounded, and the heat map class of its colour.
struct Percent {
    heat: String,
    rounded: String,
}

impl<'a> Page<'a> {
    /// The page of `class` (one student id and report each, in the order shown), made on
    /// `date`.
    pub(super) fn new(class: &[(String, Report)], date: &'a str) -> Self {
        Self {
            heat_style: HEAT
                .iter()
                .enumerate()
                .map(|(i, (colour, _))| format!(".heat-{i}{{background:{colour}}}"))
                .collect(),
            date,
            version: env!("CARGO_PKG_VERSION"),
            class: (!class.is_empty()).then(|| Class::new(class)),
        }
    }
}

impl Class {
    fn new(class: &[(String, Report)]) -> Self {
        let totals: Vec<f64> = class.iter().map(|(_, report)| percent(report)).collect();
        let mut sorted = totals.clone();
        sorted.sort_by(f64::total_cmp);
        let labs = lab_names(class);
        let groups = super::reasons::group(class);
        Self {
            students: count(class.len(), "student"),
            mean: format!("{:.1}", totals.iter().sum::<f64>() / totals.len() as f64),
            median: format!("{:.1}", sorted[sorted.len() / 2]),
            histogram: Histogram::new(&buckets(&totals)),
            lab_means: labs.iter().map(|lab| LabMeanRow::new(class, lab)).collect(),
            pass_rates: Chart::new("pass-rates", &pass_rates(class, &labs)),
            reason_bars: Chart::new("failure-reasons", &reason_bars(&groups)),
            reasons: groups.iter().enumerate().map(ReasonRow::new).collect(),
            heat_map: HeatMap::new(class, &labs),
        }
    }
}

impl Histogram {
    /// The columns of `counts`: room above the tallest for its count, and below them all for
    /// the ranges.
    fn new(counts: &[usize; BUCKETS]) -> Self {
        let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (width, height, top) = (60.0, 200.0, 20.0);
        let columns = counts
            .iter()
            .enumerate()
            .map(|(i, &count)| {
                let bar = height * count as f64 / most;
                let middle = width * i as f64 + width / 2.0;
                Column {
                    x: middle - width / 2.0 + 5.0,
                    y: top + height - bar,
                    width: width - 10.0,
                    height: bar,
                    middle,
                    count_y: top + height - bar - 5.0,
                    range_y: top + height + 18.0,
                    range: format!("{}-{} %", i * 10, i * 10 + 10),
                    count,
                    students: if count == 1 { "student" } else { "students" },
                }
            })
            .collect();
        Self {
            width: width * BUCKETS as f64,
            height: top + height + 24.0,
            columns,
        }
    }
}

impl LabMeanRow {
    fn new(class: &[(String, Report)], lab: &str) -> Self {
        let LabMean {
            students,
            points,
            max,
            percent: mean,
        } = lab_mean(class, lab);
        Self {
            lab: lab.to_owned(),
            students,
            points: format!("{points:.1}"),
            max,
            heat: heat_class(mean),
            mean: format!("{mean:.1}"),
        }
    }
}

/// The heat map's class for a score of `percent` %: `heat-0` below 20 %, ..., `heat-4` from
/// 80 % up.
pub(super) fn heat_class(percent: f64) -> String {
    let fifth = ((percent / 20.0) as usize).min(HEAT.len() - 1);
    format!("heat-{fifth}")
}

impl ReasonRow {
    /// The reason `group`, number `index + 1`: a one-line reason as it is, a longer one as its
    /// first line that opens onto the whole text.
    fn new((index, group): (usize, &ReasonGroup)) -> Self {
        let opens = group.text.split_once('\n').map(|(first, _)| FirstLine {
            first: first.to_owned(),
            more: count(group.text.lines().count() - 1, "more line"),
        });
        Self {
            number: index + 1,
            students: group.students,
            tests: group.tests,
            text: group.text.clone(),
            opens,
        }
    }
}

impl HeatMap {
    /// Every student's score per lab and in total, each cell coloured by its percentage (a
    /// legend above), each student's id a link to their JSON report.
    fn new(class: &[(String, Report)], labs: &[&str]) -> Self {
        let rows = class
            .iter()
            .map(|(student, report)| {
                let mut cells: Vec<HeatCell> = labs
                    .iter()
                    .map(|lab| match report.labs.iter().find(|l| l.lab == *lab) {
                        Some(lab) => HeatCell::new(lab.score, lab.max_score),
                        None => HeatCell {
                            graded: false,
                            points: String::new(),
                            percent: None,
                        },
                    })
                    .collect();
                cells.push(HeatCell::new(report.score, report.max_score));
                HeatRow {
                    link: report_link(student),
                    student: student.clone(),
                    cells,
                }
            })
            .collect();
        Self {
            legend: HEAT
                .iter()
                .enumerate()
                .map(|(i, (_, range))| (format!("heat-{i}"), *range))
                .collect(),
            labs: labs.iter().map(|lab| (*lab).to_owned()).collect(),
            rows,
        }
    }
}

impl HeatCell {
    /// A graded cell of `score` points out of `max`.
    fn new(score: f64, max: f64) -> Self {
        let percent = (max > 0.0).then(|| {
            let percent = share(score, max);
            Percent {
                heat: heat_class(percent),
                rounded: format!("{percent:.0}"),
            }
        });
        Self {
            graded: true,
            points: format!("{score}/{max}"),
            percent,
        }
    }
}

/// The link from the page (`<out>/report.html`) to the JSON report of the student `id`, as
/// [`batch`](crate::class::batch) writes it: `students/<id>/report.json`, the id made a safe
/// file name.
fn report_link(id: &str) -> String {
    let path = student_dir(Path::new(""), id).join(REPORT_JSON);
    path.to_string_lossy().into_owned()
}
