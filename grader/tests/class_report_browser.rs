//! The class report page as a browser shows it: headless Chromium opens `report.html` of a small
//! synthetic class (reports built in memory: no grading, no cargo build), beside each student's
//! JSON report where `grader batch` writes it, and this proves that
//! - the page loads nothing from outside (no script, no style sheet, no `src`, no `url()`), and
//!   its only links are to places in the page and to files beside it;
//! - Chromium parses all three charts (`#score-distribution`, `#pass-rates`, `#failure-reasons`)
//!   into its DOM, each an SVG image with an accessible name and one bar per bucket, test or
//!   failure reason; the pass rates in one section per lab and tier, each bar coloured by its
//!   tier;
//! - failure reasons are grouped by their text, digits and all, once temporary folders, memory
//!   addresses and loom's example interleavings are set aside, each counted in students and in
//!   failed tests; each reason of the chart links to its row of the table of every reason,
//!   which holds its whole text;
//! - the lab means and the heat map show each score with the colour of its fifth, and each
//!   student's id links to the JSON report file that batch writes for them;
//! - the page says when it was made and by which grader version;
//! - the screenshot shows each chart, in page order, as solid bars of their fill colours (blue
//!   `#3b7dd8`, hidden purple `#8e5bc0`, loom orange `#d97a1e`, stress green `#3f9a57`): one per
//!   non-empty bar of the DOM, each the size the DOM gives it, with nothing (a label, a count)
//!   drawn over it, touching it or running under it; and one cell of each heat colour per
//!   element of that colour in the DOM.
//!
//! Chromium must be at `/usr/bin/chromium` (`apt-get install chromium`). Where it is missing,
//! the test says so on stderr and checks only what needs no browser, so that `cargo test`
//! passes on a machine with nothing but Rust; with `REQUIRE_CHROMIUM=1` (which `.ci/run` sets
//! after installing it) a missing Chromium fails the test, so CI proves the page every time.
//! The screenshot is kept at
//! `$CARGO_TARGET_TMPDIR/class-report.png` (the page beside it) for a person to look at.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use grader::class::batch::{REPORT_JSON, student_dir};
use grader::class::class_report;
use grader::confinement::Watchdog;
use grader::execute::outcome::Failure;
use grader::intake::catalog::Tier;
use grader::score::report::{LabReport, Report};
use grader::score::rubric::Rubric;

/// Debian's Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium's flags for a headless run on a machine with no display, no sandbox and no network:
/// without the background-networking ones it hangs on refused connections. The window is tall
/// enough for the whole page.
const HEADLESS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--window-size=1280,2600",
];

/// How long one Chromium run may take before its process group is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The bars' fill colours: the default, and the tiers' in the pass-rate chart.
const BLUE: [u8; 3] = [0x3b, 0x7d, 0xd8];
const PURPLE: [u8; 3] = [0x8e, 0x5b, 0xc0];
const ORANGE: [u8; 3] = [0xd9, 0x7a, 0x1e];
const GREEN: [u8; 3] = [0x3f, 0x9a, 0x57];

/// The heat map's colours, `heat-0` to `heat-4`.
const HEAT: [[u8; 3]; 5] = [
    [0xf4, 0xa6, 0xa6],
    [0xf8, 0xc8, 0x9b],
    [0xf6, 0xe5, 0x9a],
    [0xcf, 0xe6, 0xa0],
    [0x97, 0xd4, 0xa0],
];

/// The charts' element ids, in page order.
const CHARTS: [&str; 3] = ["score-distribution", "pass-rates", "failure-reasons"];

/// The date the page is made on.
const DATE: &str = "2025-01-31";

/// The synthetic class's tests: lab, tier, test function.
const TESTS: [(&str, Tier, &str); 7] = [
    (
        "lab1-race",
        Tier::Visible,
        "one_thread_counts_every_increment",
    ),
    (
        "lab1-race",
        Tier::Visible,
        "a_write_between_read_and_write_is_lost",
    ),
    ("lab1-race", Tier::Loom, "some_interleaving_loses_an_update"),
    (
        "lab1-lock",
        Tier::Visible,
        "the_seed_workload_loses_no_update",
    ),
    ("lab1-lock", Tier::Hidden, "many_threads_lose_no_update"),
    (
        "lab1-lock",
        Tier::Loom,
        "locked_counter_loses_no_update_in_any_interleaving",
    ),
    ("lab1-lock", Tier::Stress, "eight_threads_lose_no_update"),
];

/// A passed test's reason: none.
const PASS: &str = "";
// Failure reasons, worded as the grader words them.
const TODO_RACE: &str = "not yet implemented (at lab1-race/src/lib.rs:21:9)";
const TODO_LOCK: &str = "not yet implemented (at lab1-lock/src/lib.rs:17:9)";
const NO_RACE: &str = "no interleaving lost an update: is there a pause between the read and \
                       the write? (at lab1-race/tests/loom.rs:20:5)";
const TIMED_OUT: &str = "timed out after 30 s: look for a deadlock (a lock or a wait that is \
                         never released) or an endless loop";
const LOST_37: &str = "lost 37 updates: is the read and the write inside one critical \
                       section? (at lab1-lock/tests/visible.rs:33:5)";
const LOST_12: &str = "lost 12 updates: is the read and the write inside one critical \
                       section? (at lab1-lock/tests/visible.rs:33:5)";
const NO_BUILD: &str =
    "does not compile:\nerror[E0308]: mismatched types\n --> lab1-lock/src/lib.rs:42:9";
// Two loom failures that mean the same, each with the timeline of its own interleaving.
const LOOM_LOST: &str = "two threads adding one each ended at 1 in some interleaving: the read \
                         and the write must happen under one lock (tests/loom.rs:24)";
const LOOM_LOST_A: &str = "loom found this interleaving, step by step: (1 preemption)\n       \
    main                                thread 1\n    1                                      \
    src/lib.rs:46: took and released the lock\n   ✗  two threads adding one each ended at 1 in \
    some interleaving: the read and the write must happen under one lock (tests/loom.rs:24)\n      \
    replay: cargo loom -p lab1-lock";
const LOOM_LOST_B: &str = "loom found this interleaving, step by step: (1 preemption)\n       \
    main                                thread 2\n    1                                      \
    src/lib.rs:51: took and released the lock\n   ✗  two threads adding one each ended at 1 in \
    some interleaving: the read and the write must happen under one lock (tests/loom.rs:24)\n      \
    replay: cargo loom -p lab1-lock";
// Two panics that differ only in a temporary folder and an address.
const POISONED_A: &str = "a thread panicked holding the lock at 0x7ffd5e8c1a20 (at \
                          /tmp/.tmpAb12Cd/lab1-lock/tests/stress.rs:30:5)";
const POISONED_B: &str = "a thread panicked holding the lock at 0x55d0c0a0b2c0 (at \
                          /home/t/cache/runs/.tmpXy34Zw/lab1-lock/tests/stress.rs:30:5)";
const POISONED: &str =
    "a thread panicked holding the lock at 0x… (at lab1-lock/tests/stress.rs:30:5)";

/// Each student's outcome of each of [`TESTS`]. With visible and hidden tests worth 1 point,
/// loom models 3 and stress tests nothing, the totals are 100, 70, 0, 50, 40, 50, 70 and 90 %:
/// five non-empty score buckets; every test is passed by someone, so every pass-rate bar is
/// drawn; and the reasons make the nine groups of [`REASONS`].
const CLASS: [(&str, [&str; 7]); 8] = [
    ("ada", [PASS; 7]),
    ("ben", [PASS, PASS, PASS, PASS, PASS, LOOM_LOST_A, PASS]),
    (
        "cy",
        [
            TODO_RACE, TODO_RACE, TODO_RACE, TODO_LOCK, TODO_LOCK, TODO_LOCK, TODO_LOCK,
        ],
    ),
    (
        "dee",
        [PASS, PASS, PASS, NO_BUILD, NO_BUILD, NO_BUILD, NO_BUILD],
    ),
    (
        "eve",
        [
            PASS,
            TIMED_OUT,
            PASS,
            LOST_37,
            TIMED_OUT,
            LOOM_LOST_B,
            POISONED_A,
        ],
    ),
    (
        "fay",
        [PASS, PASS, PASS, TODO_LOCK, TODO_LOCK, TODO_LOCK, TODO_LOCK],
    ),
    ("gus", [PASS, PASS, NO_RACE, PASS, PASS, PASS, POISONED_B]),
    ("hal o'hara", [PASS, PASS, PASS, LOST_12, PASS, PASS, PASS]),
];

/// The failure reasons the page must list, in its order (most students, then most failed
/// tests, then by text): the text, its students, its failed tests. Digits are never merged
/// (the two lost updates stay apart); the two poisoned locks and the two loom failures are
/// one each.
const REASONS: [(&str, usize, usize); 9] = [
    (TODO_LOCK, 2, 8),
    (POISONED, 2, 2),
    (LOOM_LOST, 2, 2),
    (NO_BUILD, 1, 4),
    (TODO_RACE, 1, 3),
    (TIMED_OUT, 1, 2),
    (LOST_12, 1, 1),
    (LOST_37, 1, 1),
    (NO_RACE, 1, 1),
];

/// Bars the DOM must hold per chart, in [`CHARTS`] order: every score bucket, every test,
/// every reason group.
const DOM_BARS: [usize; 3] = [10, 7, 9];

/// Of those, the bars with a size, which the screenshot must show: the non-empty buckets,
/// every test, every reason.
const DRAWN_BARS: [usize; 3] = [5, 7, 9];

/// The pass-rate chart's sections and the colours of their bars, in page order.
const SECTIONS: [(&str, &[[u8; 3]]); 6] = [
    ("lab1-race · visible: 2 tests", &[BLUE, BLUE]),
    ("lab1-race · loom: 1 test", &[ORANGE]),
    ("lab1-lock · visible: 1 test", &[BLUE]),
    ("lab1-lock · hidden: 1 test", &[PURPLE]),
    ("lab1-lock · loom: 1 test", &[ORANGE]),
    ("lab1-lock · stress: 1 test", &[GREEN]),
];

/// Each student's row of the heat map: the id's link, then lab1-race, lab1-lock and the total
/// as `<heat class> <percent>`.
const HEAT_MAP: [(&str, &str, [&str; 3]); 8] = [
    (
        "ada",
        "students/ada",
        ["heat-4 100 %", "heat-4 100 %", "heat-4 100 %"],
    ),
    (
        "ben",
        "students/ben",
        ["heat-4 100 %", "heat-2 40 %", "heat-3 70 %"],
    ),
    (
        "cy",
        "students/cy",
        ["heat-0 0 %", "heat-0 0 %", "heat-0 0 %"],
    ),
    (
        "dee",
        "students/dee",
        ["heat-4 100 %", "heat-0 0 %", "heat-2 50 %"],
    ),
    (
        "eve",
        "students/eve",
        ["heat-4 80 %", "heat-0 0 %", "heat-2 40 %"],
    ),
    (
        "fay",
        "students/fay",
        ["heat-4 100 %", "heat-0 0 %", "heat-2 50 %"],
    ),
    (
        "gus",
        "students/gus",
        ["heat-2 40 %", "heat-4 100 %", "heat-3 70 %"],
    ),
    (
        "hal o'hara",
        "students/hal_o_hara-0d55bb09",
        ["heat-4 100 %", "heat-4 80 %", "heat-4 90 %"],
    ),
];

/// The lab means' rows: lab, students, mean points, and `<heat class> <mean score>`.
const LAB_MEANS: [[&str; 4]; 2] = [
    ["lab1-race", "8", "3.9 of 5", "heat-3 77.5 %"],
    ["lab1-lock", "8", "2.0 of 5", "heat-2 40.0 %"],
];

#[test]
fn chromium_draws_the_class_report() {
    let class = class();
    let page = class_report::render(&class, DATE);
    self_contained(&page);
    if !Path::new(CHROMIUM).is_file() {
        assert!(
            std::env::var_os("REQUIRE_CHROMIUM").is_none(),
            "REQUIRE_CHROMIUM is set, and headless Chromium is needed at {CHROMIUM}: install \
             it with `apt-get install chromium`"
        );
        eprintln!(
            "class report browser test: no Chromium at {CHROMIUM}, so the page was checked \
             without a browser only (`apt-get install chromium` to check it in one)"
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let html = work.path().join("report.html");
    fs::write(&html, &page).unwrap();
    for (student, report) in &class {
        let dir = student_dir(work.path(), student);
        fs::create_dir_all(&dir).unwrap();
        let json = serde_json::to_string_pretty(report).unwrap();
        fs::write(dir.join(REPORT_JSON), json).unwrap();
    }
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR"));
    fs::write(kept.join("class-report.html"), &page).unwrap();

    let dom = chromium(work.path(), &["--dump-dom"], &html);
    let made = format!("Made on {DATE} by grader {}.", env!("CARGO_PKG_VERSION"));
    assert!(dom.contains(&made), "the page does not say {made:?}");
    let expected = charts(&dom);
    reasons(&dom);
    heat_map(&dom, work.path(), &class);

    let screenshot = kept.join("class-report.png");
    let _ = fs::remove_file(&screenshot);
    chromium(
        work.path(),
        &[&format!("--screenshot={}", screenshot.display())],
        &html,
    );
    println!("screenshot: {}", screenshot.display());
    let image = Image::read(&screenshot);
    bars_on_screen(&image, expected);
    heat_on_screen(&image, &dom);
}

/// Checks that `page` loads nothing from outside: no script, style sheet, frame, object,
/// `src`, `url()` or `@import`, and every link to a place in the page (`#id`) or to a file
/// beside it (a relative path, no scheme).
fn self_contained(page: &str) {
    let outside = [
        "<script", "<link", "<iframe", "<object", "<embed", "src=", "url(", "@import",
    ];
    for outside in outside {
        assert!(
            !page.contains(outside),
            "the page is not self-contained: {outside}"
        );
    }
    for link in page.split(" href=\"").skip(1) {
        let link = &link[..link.find('"').unwrap()];
        assert!(
            link.starts_with('#') || !(link.contains(':') || link.starts_with('/')),
            "a link out of the page's folder: {link}"
        );
    }
}

/// Checks each chart of `dom` and returns its bars with a size, in document order.
fn charts(dom: &str) -> Vec<Vec<Rect>> {
    let mut expected = Vec::new();
    for ((id, bars), drawn) in CHARTS.iter().zip(DOM_BARS).zip(DRAWN_BARS) {
        let rects = chart_bars(dom, id);
        assert_eq!(rects.len(), bars, "#{id}: bars in the DOM");
        let sized: Vec<Rect> = rects
            .into_iter()
            .filter(|r| r.w > 0.0 && r.h > 0.0)
            .collect();
        assert_eq!(sized.len(), drawn, "#{id}: bars with a size in the DOM");
        assert!(
            sized.iter().all(|r| r.w >= 3.0 && r.h >= 3.0),
            "#{id}: a bar too thin to find in a screenshot: {sized:?}"
        );
        expected.push(sized);
    }
    let pass_rates = element(dom, "<svg id=\"pass-rates\"", "</svg>");
    let mut fills = expected[1].iter().map(|rect| rect.fill);
    let mut after = 0;
    for (section, colours) in SECTIONS {
        let at = pass_rates[after..]
            .find(&format!(">{section}, "))
            .unwrap_or_else(|| panic!("no section {section:?} after the one before"));
        after += at;
        for &colour in colours {
            assert_eq!(fills.next(), Some(colour), "a bar's colour in {section:?}");
        }
    }
    let others = expected[0].iter().chain(&expected[2]);
    assert!(others.into_iter().all(|rect| rect.fill == BLUE));
    expected
}

/// Checks the reasons of `dom`: each group of [`REASONS`] a row of the table, in order, with
/// its students, failed tests and whole text; each bar of the chart a label that links to
/// its row; nothing written with digits replaced.
fn reasons(dom: &str) {
    let table = element(dom, "<table id=\"reasons\"", "</table>");
    assert_eq!(table.matches("<tr id=").count(), REASONS.len(), "{table}");
    let chart = element(dom, "<svg id=\"failure-reasons\"", "</svg>");
    for (i, (reason, students, tests)) in REASONS.iter().enumerate() {
        let id = format!("reason-{}", i + 1);
        let row = element(table, &format!("<tr id=\"{id}\">"), "</tr>");
        let counts = format!(
            "<td class=\"n\">{}</td><td class=\"n\">{students}</td><td class=\"n\">{tests}</td>",
            i + 1
        );
        assert!(row.contains(&counts), "#{id} should count {counts}: {row}");
        let whole = if reason.contains('\n') {
            format!("<pre>{}</pre></details></td>", text(reason))
        } else {
            format!("<td>{}</td>", text(reason))
        };
        assert!(row.ends_with(&whole), "#{id} should end {whole}: {row}");
        let link = format!("<a href=\"#{id}\"><text ");
        assert!(chart.contains(&link), "no chart label links to #{id}");
    }
    assert!(
        chart.contains("…"),
        "a long reason should be shortened in the chart"
    );
    for mangled in ["labN", ":N:N", "lost N"] {
        assert!(!dom.contains(mangled), "digits replaced: {mangled}");
    }
}

/// Checks the lab means and the heat map of `dom` against [`LAB_MEANS`] and [`HEAT_MAP`], and
/// that each student's link, from the page in `work`, opens their report.
fn heat_map(dom: &str, work: &Path, class: &[(String, Report)]) {
    let means = element(dom, "<table id=\"lab-means\"", "</table>");
    for [lab, students, points, score] in LAB_MEANS {
        let (class, percent) = score.split_once(' ').unwrap();
        let row = format!(
            "<tr><td>{lab}</td><td class=\"n\">{students}</td><td class=\"n\">{points}</td>\
             <td class=\"{class}\">{percent}</td></tr>"
        );
        assert!(means.contains(&row), "no {row} in {means}");
    }
    let map = element(dom, "<table id=\"heat-map\"", "</table>");
    let rows: Vec<&str> = map.split("<tr><th><a href=\"").skip(1).collect();
    assert_eq!(rows.len(), HEAT_MAP.len(), "{map}");
    for ((row, (id, folder, cells)), (student, report)) in rows.iter().zip(HEAT_MAP).zip(class) {
        let link = format!("{folder}/{REPORT_JSON}\">{}</a></th>", text(id));
        assert!(row.starts_with(&link), "{row} should start {link}");
        let linked = fs::read_to_string(work.join(folder).join(REPORT_JSON)).unwrap();
        let linked: Report = serde_json::from_str(&linked).unwrap();
        assert_eq!(id, student, "the heat map's rows are the class's, in order");
        assert_eq!(&linked, report, "{id}'s link opens another report");
        for cell in cells {
            let (class, percent) = cell.split_once(' ').unwrap();
            let cell = format!("<td class=\"{class}\">{percent}<small>");
            assert!(row.contains(&cell), "{id}: no {cell} in {row}");
        }
    }
}

/// Checks that `image` shows the bars of `expected` (per chart, in page order), each solid,
/// clear of text, of its size and colour.
fn bars_on_screen(image: &Image, expected: Vec<Vec<Rect>>) {
    let mut found: Vec<Found> = [BLUE, PURPLE, ORANGE, GREEN]
        .into_iter()
        .flat_map(|colour| image.shapes(colour))
        .collect();
    let total: usize = found.iter().map(|bar| bar.pixels).sum();
    println!("{total} pixels of bar colours in {} bars", found.len());
    assert_eq!(
        found.len(),
        DRAWN_BARS.iter().sum::<usize>(),
        "bar-coloured shapes in the screenshot: {found:?}"
    );
    found.sort_by_key(|bar| (bar.top, bar.left));
    let mut above = 0;
    for (id, expected) in CHARTS.iter().zip(expected) {
        let mut chart: Vec<Found> = found.drain(..expected.len()).collect();
        let top = chart.iter().map(|bar| bar.top).min().unwrap();
        assert!(top >= above, "#{id} overlaps the chart above it: {chart:?}");
        above = chart.iter().map(|bar| bar.bottom).max().unwrap();
        if *id == "score-distribution" {
            chart.sort_by_key(|bar| bar.left);
        } else {
            chart.sort_by_key(|bar| bar.top);
        }
        let pixels: usize = chart.iter().map(|bar| bar.pixels).sum();
        println!("#{id}: {} bars, {pixels} pixels", chart.len());
        for (bar, rect) in chart.iter().zip(&expected) {
            let (w, h) = (bar.right - bar.left, bar.bottom - bar.top);
            assert!(
                (w as f64 - rect.w).abs() <= 1.0 && (h as f64 - rect.h).abs() <= 1.0,
                "#{id}: a bar of {rect:?} is drawn {w}x{h} px ({bar:?})"
            );
            assert_eq!(bar.fill, rect.fill, "#{id}: a bar's colour ({bar:?})");
            assert!(
                bar.solid,
                "#{id}: something is drawn over {rect:?} ({bar:?})"
            );
            assert!(bar.clear, "#{id}: something touches {rect:?} ({bar:?})");
        }
    }
}

/// Checks that `image` shows, of each heat colour, as many cells (shapes at least 20 by 10
/// pixels) as `dom` has elements of that class.
fn heat_on_screen(image: &Image, dom: &str) {
    for (i, colour) in HEAT.into_iter().enumerate() {
        let elements = dom.matches(&format!("class=\"heat-{i}\"")).count();
        let cells: Vec<Found> = image
            .shapes(colour)
            .into_iter()
            .filter(|cell| cell.right - cell.left >= 20 && cell.bottom - cell.top >= 10)
            .collect();
        println!("heat-{i}: {} cells", cells.len());
        assert_eq!(cells.len(), elements, "heat-{i} cells on screen: {cells:?}");
    }
}

/// The part of `dom` from `start` up to the next `end`.
fn element<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in the DOM:\n{dom}"));
    &dom[from..from + dom[from..].find(end).unwrap()]
}

/// `text` as Chromium writes a text node: `&`, `<` and `>` escaped.
fn text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The class of [`CLASS`], reports built as the grader builds them.
fn class() -> Vec<(String, Report)> {
    let rubric = Rubric {
        tiers: BTreeMap::from([(Tier::Visible, 1.0), (Tier::Hidden, 1.0), (Tier::Loom, 3.0)]),
        ..Rubric::default()
    };
    CLASS
        .iter()
        .map(|(student, reasons)| {
            let labs = ["lab1-race", "lab1-lock"].map(|lab| {
                let outcomes = TESTS
                    .iter()
                    .zip(reasons)
                    .filter(|((test_lab, _, _), _)| *test_lab == lab)
                    .map(|(&(_, tier, name), reason)| {
                        let failure = (!reason.is_empty()).then(|| failure(reason));
                        common::outcome(tier, name, failure, String::new())
                    })
                    .collect();
                LabReport::new(lab, outcomes, &rubric)
            });
            let submission = format!("class/{student}");
            (student.to_string(), Report::new(&submission, labs.into()))
        })
        .collect()
}

/// The failure a reason of [`CLASS`] stands for: a loom counterexample when it is a timeline,
/// rendered as the grader renders one; else a failure whose text is the reason.
fn failure(reason: &str) -> Failure {
    if reason.starts_with("loom found this interleaving") {
        Failure::LoomCounterexample {
            failure: Box::new(Failure::NotHandedIn {
                why: "panic in a destructor during cleanup".into(),
            }),
            interleaving: Some(reason.into()),
        }
    } else {
        Failure::NotHandedIn { why: reason.into() }
    }
}

/// Runs headless Chromium with `args` on the page `html`, in a fresh profile under `work`, and
/// returns its standard output. Fails if Chromium is missing, fails, or takes longer than
/// [`TIMEOUT`] (then its whole process group is killed).
fn chromium(work: &Path, args: &[&str], html: &Path) -> String {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "headless Chromium is needed at {CHROMIUM}: install it with `apt-get install chromium`"
    );
    let profile = tempfile::tempdir_in(work).unwrap();
    let (out, err) = (work.join("chromium.stdout"), work.join("chromium.stderr"));
    let mut child = Command::new(CHROMIUM)
        .args(HEADLESS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let watchdog = Watchdog::start(&child, TIMEOUT);
    let status = child.wait().unwrap();
    assert!(
        !watchdog.finish(),
        "chromium {args:?} did not finish in {TIMEOUT:?} and was killed; its stderr:\n{}",
        fs::read_to_string(&err).unwrap_or_default()
    );
    assert!(
        status.success(),
        "chromium {args:?} failed with {status}; its stderr:\n{}",
        fs::read_to_string(&err).unwrap_or_default()
    );
    fs::read_to_string(out).unwrap()
}

/// A bar as the DOM places it in its chart, in CSS pixels, and the colour its class gives it.
#[derive(Debug)]
struct Rect {
    /// Width.
    w: f64,
    /// Height.
    h: f64,
    /// Fill colour.
    fill: [u8; 3],
}

/// The bars (`<rect class="bar">`, or `"bar <tier>"`) of the chart `id` in Chromium's serialised DOM, in document
/// order, after checking that the chart is an SVG image with an accessible name.
fn chart_bars(dom: &str, id: &str) -> Vec<Rect> {
    let start = dom
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no <svg id=\"{id}\"> in the DOM:\n{dom}"));
    let svg = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    let tag = &svg[..svg.find('>').unwrap()];
    assert!(tag.contains("role=\"img\""), "#{id} is not an image: {tag}");
    let label = attribute(tag, "aria-labelledby")
        .unwrap_or_else(|| panic!("#{id} has no accessible name: {tag}"));
    let named = dom
        .split(&format!(" id=\"{label}\">"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .is_some_and(|text| !text.trim().is_empty());
    assert!(
        named,
        "#{id} is labelled by #{label}, which is missing or has no text"
    );
    // Each tag keeps the space before its first attribute, as `attribute` needs.
    svg.split("<rect")
        .skip(1)
        .map(|rect| &rect[..rect.find('>').unwrap()])
        .filter(|rect| rect.contains("class=\"bar"))
        .map(|rect| {
            let number = |name| {
                attribute(rect, name)
                    .and_then(|value| value.parse().ok())
                    .unwrap_or_else(|| panic!("#{id}: a bar without a numeric {name}: {rect}"))
            };
            let fill = match attribute(rect, "class") {
                Some("bar") => BLUE,
                Some("bar hidden") => PURPLE,
                Some("bar loom") => ORANGE,
                Some("bar stress") => GREEN,
                other => panic!("#{id}: a bar of an unknown class {other:?}: {rect}"),
            };
            Rect {
                w: number("width"),
                h: number("height"),
                fill,
            }
        })
        .collect()
}

/// The value of the attribute `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// A decoded screenshot.
struct Image {
    /// Width in pixels.
    width: usize,
    /// Height in pixels.
    height: usize,
    /// Row by row, each pixel's red, green and blue.
    rgb: Vec<[u8; 3]>,
}

/// One 4-connected shape of one colour found in a screenshot (bounds exclusive at the end).
#[derive(Debug)]
struct Found {
    /// Its colour.
    fill: [u8; 3],
    /// Leftmost column.
    left: usize,
    /// One past the rightmost column.
    right: usize,
    /// Top row.
    top: usize,
    /// One past the bottom row.
    bottom: usize,
    /// Pixels of its colour in the shape.
    pixels: usize,
    /// Whether every pixel inside its bounding box, but for the edges (which may be partly
    /// covered, so blended), is of its colour: nothing is drawn over it.
    solid: bool,
    /// Whether the band 2 to 4 pixels around its bounding box is blank (white): no label or
    /// count touches it or runs under it.
    clear: bool,
}

impl Image {
    /// Decodes the PNG at `path` (8-bit RGB or RGBA, as Chromium writes).
    fn read(path: &Path) -> Self {
        let decoder = png::Decoder::new(BufReader::new(File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
        let channels = info.color_type.samples();
        assert!(channels >= 3, "{}: not a colour image", path.display());
        let (width, height) = (info.width as usize, info.height as usize);
        let rgb = buffer[..info.buffer_size()]
            .chunks_exact(info.line_size)
            .flat_map(|line| line[..width * channels].chunks_exact(channels))
            .map(|pixel| [pixel[0], pixel[1], pixel[2]])
            .collect();
        Self { width, height, rgb }
    }

    /// Whether the pixel at `x`, `y` is `colour` (give or take rounding).
    fn is(&self, x: usize, y: usize, colour: [u8; 3]) -> bool {
        self.rgb[y * self.width + x]
            .iter()
            .zip(colour)
            .all(|(&value, fill)| value.abs_diff(fill) <= 2)
    }

    /// Whether the pixel at `x`, `y` is the page's white background.
    fn blank(&self, x: usize, y: usize) -> bool {
        self.rgb[y * self.width + x]
            .iter()
            .all(|&value| value >= 250)
    }

    /// The shapes of `colour`, in no particular order.
    fn shapes(&self, colour: [u8; 3]) -> Vec<Found> {
        let mut seen = vec![false; self.rgb.len()];
        let mut bars = Vec::new();
        for (x, y) in (0..self.height).flat_map(|y| (0..self.width).map(move |x| (x, y))) {
            if seen[y * self.width + x] || !self.is(x, y, colour) {
                continue;
            }
            seen[y * self.width + x] = true;
            let (mut left, mut right, mut top, mut bottom) = (x, x + 1, y, y + 1);
            let mut pixels = 0;
            let mut stack = vec![(x, y)];
            while let Some((x, y)) = stack.pop() {
                pixels += 1;
                (left, right) = (left.min(x), right.max(x + 1));
                (top, bottom) = (top.min(y), bottom.max(y + 1));
                let neighbours = [
                    (x > 0).then(|| (x - 1, y)),
                    (x + 1 < self.width).then_some((x + 1, y)),
                    (y > 0).then(|| (x, y - 1)),
                    (y + 1 < self.height).then_some((x, y + 1)),
                ];
                for (x, y) in neighbours.into_iter().flatten() {
                    if !seen[y * self.width + x] && self.is(x, y, colour) {
                        seen[y * self.width + x] = true;
                        stack.push((x, y));
                    }
                }
            }
            let solid =
                (top + 1..bottom - 1).all(|y| (left + 1..right - 1).all(|x| self.is(x, y, colour)));
            let (outer_x, outer_y) = (
                left.saturating_sub(4)..(right + 4).min(self.width),
                top.saturating_sub(4)..(bottom + 4).min(self.height),
            );
            let clear = outer_y
                .flat_map(|y| outer_x.clone().map(move |x| (x, y)))
                .all(|(x, y)| {
                    let inner = x + 2 >= left && x < right + 2 && y + 2 >= top && y < bottom + 2;
                    inner || self.blank(x, y)
                });
            bars.push(Found {
                fill: colour,
                left,
                right,
                top,
                bottom,
                pixels,
                solid,
                clear,
            });
        }
        bars
    }
}
