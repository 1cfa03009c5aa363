//! Progress of a batch on stderr: an indicatif bar on a terminal (students done, the student
//! being graded, elapsed time, ETA), plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use grader::class::batch::{Outcome, Progress, Student};

/// Shows a batch of `students` on stderr, as a bar when stderr is a terminal.
pub fn for_terminal(students: usize) -> BatchProgress {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(students as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {pos}/{len} students  {elapsed_precise} elapsed, ETA {eta}  {msg}",
            )
            .expect("a valid progress template"),
        );
        bar
    });
    BatchProgress {
        bar,
        total: students,
        done: Mutex::new(0),
    }
}

/// A batch's progress display.
pub struct BatchProgress {
    bar: Option<ProgressBar>,
    total: usize,
    done: Mutex<usize>,
}

impl Progress for BatchProgress {
    fn started(&self, student: &Student) {
        match &self.bar {
            Some(bar) => bar.set_message(format!("grading {}", student.id)),
            None => eprintln!("grading {} ...", student.id),
        }
    }

    fn finished(&self, student: &Student, outcome: &Outcome) {
        let line = match outcome {
            Outcome::Graded(report) => {
                format!("{}: {}/{}", student.id, report.score, report.max_score)
            }
            Outcome::Unchanged(report) => format!(
                "{}: {}/{} (unchanged since the last run)",
                student.id, report.score, report.max_score
            ),
            Outcome::Failed(error) => format!("{}: not graded: {error}", student.id),
        };
        let mut done = self.done.lock().unwrap();
        *done += 1;
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
                if *done == self.total {
                    bar.finish_and_clear();
                }
            }
            None => eprintln!("[{}/{}] {line}", *done, self.total),
        }
    }
}
