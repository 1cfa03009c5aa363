//! The class report page as a browser shows it: headless Chromium opens `report.html` of a small
//! synthetic class (reports built in memory: no grading, no cargo build) and this proves that
//! - Chromium parses all three charts (`#score-distribution`, `#pass-rates`, `#failure-reasons`)
//!   into its DOM, each an SVG image with an accessible name and one bar per bucket, test or
//!   failure reason, and the page loads nothing from outside (no script, no link, no `src`);
//! - the screenshot shows each chart, in page order, as solid bars of the fill colour `#3b7dd8`:
//!   one per non-empty bar of the DOM, each the size the DOM gives it, with nothing (a label, a
//!   count) drawn over it, touching it or running under it.
//!
//! Chromium must be at `/usr/bin/chromium` (`apt-get install chromium`). Where it is missing,
//! the test says so on stderr and checks only what needs no browser, so that `cargo test`
//! passes on a machine with nothing but Rust; with `REQUIRE_CHROMIUM=1` (which `.ci/run` sets
//! after installing it) a missing Chromium fails the test, so CI proves the page every time.
//! The screenshot is kept at
//! `$CARGO_TARGET_TMPDIR/class-report.png` (the page beside it) for a person to look at.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use grader::catalog::{TestId, Tier};
use grader::class_report;
use grader::outcome::{Failure, TestOutcome};
use grader::report::{LabReport, Report};
use grader::rubric::Rubric;
use grader::run::Watchdog;

/// Debian's Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium's flags for a headless run on a machine with no display, no sandbox and no network:
/// without the background-networking ones it hangs on refused connections.
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
    "--window-size=1280,1700",
];

/// How long one Chromium run may take before its process group is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The bars' fill colour, `#3b7dd8`.
const BAR_FILL: [u8; 3] = [0x3b, 0x7d, 0xd8];

/// The charts' element ids, in page order.
const CHARTS: [&str; 3] = ["score-distribution", "pass-rates", "failure-reasons"];

/// The synthetic class's tests: lab, tier, test function.
const TESTS: [(&str, Tier, &str); 6] = [
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
const LOOM_LOST: &str = "two threads adding one each ended at 1 in some interleaving: the read \
                         and the write must happen under one lock (at lab1-lock/tests/loom.rs:13:9)";
const NO_BUILD: &str =
    "does not compile:\nerror[E0308]: mismatched types\n --> lab1-lock/src/lib.rs:42:9";

/// Each student's outcome of each of [`TESTS`]. With visible and hidden tests worth 1 point
/// and loom models 3, the totals are 100, 70, 0, 50, 40, 50, 70 and 90 %: five non-empty score
/// buckets; every test is passed by someone, so every pass-rate bar is drawn; and seven failure
/// reasons remain once numbers are ignored (the two "lost N updates" are one).
const CLASS: [(&str, [&str; 6]); 8] = [
    ("ada", [PASS; 6]),
    ("ben", [PASS, PASS, PASS, PASS, PASS, LOOM_LOST]),
    (
        "cy",
        [
            TODO_RACE, TODO_RACE, TODO_RACE, TODO_LOCK, TODO_LOCK, TODO_LOCK,
        ],
    ),
    ("dee", [PASS, PASS, PASS, NO_BUILD, NO_BUILD, NO_BUILD]),
    (
        "eve",
        [PASS, TIMED_OUT, PASS, LOST_37, TIMED_OUT, LOOM_LOST],
    ),
    ("fay", [PASS, PASS, PASS, TODO_LOCK, TODO_LOCK, TODO_LOCK]),
    ("gus", [PASS, PASS, NO_RACE, PASS, PASS, PASS]),
    ("hal", [PASS, PASS, PASS, LOST_12, PASS, PASS]),
];

/// Bars the DOM must hold per chart, in [`CHARTS`] order: every score bucket, every test,
/// every distinct failure reason.
const DOM_BARS: [usize; 3] = [10, 6, 7];

/// Of those, the bars with a size, which the screenshot must show: the non-empty buckets,
/// every test, every reason.
const DRAWN_BARS: [usize; 3] = [5, 6, 7];

#[test]
fn chromium_draws_every_chart_of_the_class_report() {
    let page = class_report::render(&class());
    for outside in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(
            !page.contains(outside),
            "the page is not self-contained: {outside}"
        );
    }
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
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR"));
    fs::write(kept.join("class-report.html"), &page).unwrap();

    let dom = chromium(work.path(), &["--dump-dom"], &html);
    let mut expected = Vec::new();
    for ((id, bars), drawn) in CHARTS.iter().zip(DOM_BARS).zip(DRAWN_BARS) {
        let rects = chart_bars(&dom, id);
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

    let screenshot = kept.join("class-report.png");
    let _ = fs::remove_file(&screenshot);
    chromium(
        work.path(),
        &[&format!("--screenshot={}", screenshot.display())],
        &html,
    );
    println!("screenshot: {}", screenshot.display());
    let image = Image::read(&screenshot);
    let mut found = image.bars();
    let total: usize = found.iter().map(|bar| bar.pixels).sum();
    println!("{total} pixels of #3b7dd8 in {} bars", found.len());
    assert_eq!(
        found.len(),
        DRAWN_BARS.iter().sum::<usize>(),
        "#3b7dd8 shapes in the screenshot: {found:?}"
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
            assert!(
                bar.solid,
                "#{id}: something is drawn over the bar {rect:?} ({bar:?})"
            );
            assert!(
                bar.clear,
                "#{id}: something touches the bar {rect:?} ({bar:?})"
            );
        }
    }
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
                        let test = TestId {
                            tier,
                            target: tier.to_string(),
                            name: name.into(),
                        };
                        if reason.is_empty() {
                            TestOutcome::passed(&test, String::new())
                        } else {
                            let why = (*reason).into();
                            TestOutcome::failed(&test, Failure::NotHandedIn { why }, String::new())
                        }
                    })
                    .collect();
                LabReport::new(lab, outcomes, &rubric)
            });
            let submission = format!("class/{student}");
            (student.to_string(), Report::new(&submission, labs.into()))
        })
        .collect()
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

/// A bar as the DOM places it in its chart, in CSS pixels.
#[derive(Debug)]
struct Rect {
    /// Width.
    w: f64,
    /// Height.
    h: f64,
}

/// The bars (`<rect class="bar">`) of the chart `id` in Chromium's serialised DOM, in document
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
    svg.split("<rect ")
        .skip(1)
        .map(|rect| &rect[..rect.find('>').unwrap()])
        .filter(|rect| rect.contains("class=\"bar\""))
        .map(|rect| {
            let number = |name| {
                attribute(rect, name)
                    .and_then(|value| value.parse().ok())
                    .unwrap_or_else(|| panic!("#{id}: a bar without a numeric {name}: {rect}"))
            };
            Rect {
                w: number("width"),
                h: number("height"),
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

/// One 4-connected shape of the fill colour found in a screenshot (bounds exclusive at the end).
#[derive(Debug)]
struct Found {
    /// Leftmost column.
    left: usize,
    /// One past the rightmost column.
    right: usize,
    /// Top row.
    top: usize,
    /// One past the bottom row.
    bottom: usize,
    /// Pixels of the fill colour in the shape.
    pixels: usize,
    /// Whether every pixel inside its bounding box, but for the edges (which may be partly
    /// covered, so blended), is of the fill colour: nothing is drawn over it.
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

    /// Whether the pixel at `x`, `y` is [`BAR_FILL`] (give or take rounding).
    fn fill(&self, x: usize, y: usize) -> bool {
        self.rgb[y * self.width + x]
            .iter()
            .zip(BAR_FILL)
            .all(|(&value, fill)| value.abs_diff(fill) <= 2)
    }

    /// Whether the pixel at `x`, `y` is the page's white background.
    fn blank(&self, x: usize, y: usize) -> bool {
        self.rgb[y * self.width + x]
            .iter()
            .all(|&value| value >= 250)
    }

    /// The shapes of the fill colour, in no particular order.
    fn bars(&self) -> Vec<Found> {
        let mut seen = vec![false; self.rgb.len()];
        let mut bars = Vec::new();
        for (x, y) in (0..self.height).flat_map(|y| (0..self.width).map(move |x| (x, y))) {
            if seen[y * self.width + x] || !self.fill(x, y) {
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
                    if !seen[y * self.width + x] && self.fill(x, y) {
                        seen[y * self.width + x] = true;
                        stack.push((x, y));
                    }
                }
            }
            let solid =
                (top + 1..bottom - 1).all(|y| (left + 1..right - 1).all(|x| self.fill(x, y)));
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
