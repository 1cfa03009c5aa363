//! Evidence that a pristine test body ran to its end.
//!
//! Before a lab is built, every test function in its test files gets one statement added at
//! the very end of its body: print `<secret> passed <test>` on stdout. The secret is fresh for
//! every grading run; the test process finds it in its environment, under [`VARIABLE`], which
//! student code cannot read (the policy forbids the environment, files, processes, raw memory
//! and the `env!` family of macros). A test whose body returned normally prints it; one that
//! panicked, aborted, exited, hung or was killed does not; and nothing student code prints can
//! forge it. The statement is inserted on the body's last line, so line numbers in panic
//! messages stay those of the pristine file. The secret is never compiled in: the rewritten
//! tests are the same in every grading, and cargo rebuilds a test crate only when the
//! student's code changed.
//!
//! Each test body also starts by installing, once per process, a panic hook that writes every
//! panic as a line tagged with the secret, `<secret> panicked "<thread>" "<file:line:col>"
//! "<message>"` (Rust string literals), on stderr, before std's own report: the judge reads a
//! panic from that line ([`panics`]), never from the text std writes, which student code
//! could imitate and a new Rust could change. The call goes right after the body's opening
//! brace, so lines stay the pristine file's.

use proc_macro2::LineColumn;
use rand::RngExt;

use crate::error::{Context, Result};
use crate::intake::catalog::is_test;

/// The name of the function the rewritten tests call at the end of their body.
const REPORTER: &str = "__grader_evidence";

/// The name of the function the rewritten tests call at the start of their body.
const HOOK: &str = "__grader_panics";

/// What follows the secret on a pass line.
const PASSED: &str = " passed ";

/// What follows the secret on a panic's line.
const PANICKED: &str = " panicked ";

/// The environment variable that holds a grading run's secret in each test process it runs.
pub const VARIABLE: &str = "GRADER_EVIDENCE_SECRET";

/// A fresh random secret for one grading run.
pub fn new_secret() -> String {
    let mut rng = rand::rng();
    (0..4)
        .map(|_| format!("{:016x}", rng.random::<u64>()))
        .collect()
}

/// The line a test prints, and only prints, when its body ran to the end (on a line of its
/// own: the statement injected prints a newline before it, since libtest may leave
/// `test name ... ` unterminated).
pub fn marker(secret: &str, test: &str) -> String {
    format!("{secret}{PASSED}{test}")
}

/// Whether `stdout` holds the evidence that `test` ran to its end.
pub fn has_evidence(stdout: &str, secret: &str, test: &str) -> bool {
    let marker = marker(secret, test);
    stdout.lines().any(|line| line == marker)
}

/// `output` as a report may show it: without the evidence lines of `secret` and its panics'
/// lines (the text from the secret to the end of the line), and with the secret masked
/// anywhere else it appears.
pub fn without_evidence(output: &str, secret: &str) -> String {
    let mut kept = String::with_capacity(output.len());
    let panicked = format!("{secret}{PANICKED}");
    for line in output.split_inclusive('\n') {
        if line.starts_with(secret) && line.contains(PASSED) {
            continue;
        }
        match line.find(&panicked) {
            Some(at) => kept.push_str(&line[..at]),
            None => kept.push_str(line),
        }
    }
    kept.replace(secret, "<secret>")
}

/// One panic, as its tagged line in a test's stderr tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToldPanic {
    /// The thread that panicked, as std names it (`<unnamed>` for a thread without a name).
    pub thread: String,
    /// Where: `file:line:column`.
    pub location: String,
    /// The panic's message, whole.
    pub message: String,
}

/// Every panic that the hook of the run with `secret` told in `stderr`, in the order told. A
/// tagged line that does not read as three string literals is left out.
pub fn panics(stderr: &str, secret: &str) -> Vec<ToldPanic> {
    let panicked = format!("{secret}{PANICKED}");
    stderr
        .lines()
        .filter_map(|line| {
            let (_, told) = line.split_once(&panicked)?;
            let mut literals = told.parse::<proc_macro2::TokenStream>().ok()?.into_iter();
            let mut next = || -> Option<String> {
                let literal = syn::parse2::<syn::LitStr>(literals.next()?.into()).ok()?;
                Some(literal.value())
            };
            let panic = ToldPanic {
                thread: next()?,
                location: next()?,
                message: next()?,
            };
            literals.next().is_none().then_some(panic)
        })
        .collect()
}

/// `source` with every top-level test function installing the panic hook at the start of its
/// body and reporting, at its end, the secret its process finds under [`VARIABLE`] (neither
/// does anything when the variable is not set).
pub fn inject(source: &str) -> Result<String> {
    let file = syn::parse_file(source).context("cannot parse the test file")?;
    let mut insertions = Vec::new();
    for item in &file.items {
        if let syn::Item::Fn(function) = item
            && is_test(&function.attrs)
        {
            let open = function.block.brace_token.span.open().end();
            let close = function.block.brace_token.span.close().start();
            let name = function.sig.ident.to_string();
            let separator = if ends_open(&function.block) { ";" } else { "" };
            insertions.push((offset(source, open), format!("{HOOK}();")));
            insertions.push((
                offset(source, close),
                format!("{separator}{REPORTER}({name:?});"),
            ));
        }
    }
    if insertions.is_empty() {
        return Ok(source.to_owned());
    }
    let mut rewritten = source.to_owned();
    insertions.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, statement) in insertions {
        rewritten.insert_str(at, &statement);
    }
    rewritten.push_str(&reporter_and_hook());
    Ok(rewritten)
}

/// The two functions every rewritten test file gets: the evidence [`REPORTER`] and the
/// panic [`HOOK`].
fn reporter_and_hook() -> String {
    format!(
        "\n#[doc(hidden)]\n#[allow(dead_code)]\nfn {REPORTER}(test: &str) {{\n    \
         use std::io::Write as _;\n    \
         let Some(secret) = std::env::var_os({VARIABLE:?}) else {{ return }};\n    \
         let mut out = std::io::stdout().lock();\n    \
         let _ = writeln!(out, \"\\n{{}}\", {marker:?}.replace(\"{{SECRET}}\", \
         &secret.to_string_lossy()).replace(\"{{TEST}}\", test));\n    \
         let _ = out.flush();\n}}\n\
         \n#[doc(hidden)]\n#[allow(dead_code)]\nfn {HOOK}() {{\n    \
         use std::io::Write as _;\n    \
         static ONCE: std::sync::Once = std::sync::Once::new();\n    \
         ONCE.call_once(|| {{\n        \
         let Some(secret) = std::env::var_os({VARIABLE:?}) else {{ return }};\n        \
         let secret = secret.to_string_lossy().into_owned();\n        \
         let std_report = std::panic::take_hook();\n        \
         std::panic::set_hook(Box::new(move |info| {{\n            \
         let thread = std::thread::current();\n            \
         let location = info.location().map_or(String::new(), |at| {{\n                \
         format!(\"{{}}:{{}}:{{}}\", at.file(), at.line(), at.column())\n            \
         }});\n            \
         let message = info.payload_as_str().unwrap_or(\"Box<dyn Any>\");\n            \
         let _ = writeln!(\n                \
         std::io::stderr(),\n                \
         \"{{secret}}{PANICKED}{{:?}} {{location:?}} {{message:?}}\",\n                \
         thread.name().unwrap_or(\"<unnamed>\")\n            \
         );\n            \
         std_report(info);\n        \
         }}));\n    \
         }});\n}}\n",
        marker = marker("{SECRET}", "{TEST}"),
    )
}

/// Whether `block` ends in an expression that a statement may not follow without a `;`
/// (`assert_eq!(a, b)` with no `;`, say), as opposed to a statement or a block-like
/// expression (`for`, `if`, ...).
fn ends_open(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(expression, None)) => !matches!(
            expression,
            syn::Expr::Block(_)
                | syn::Expr::ForLoop(_)
                | syn::Expr::If(_)
                | syn::Expr::Loop(_)
                | syn::Expr::Match(_)
                | syn::Expr::Unsafe(_)
                | syn::Expr::While(_)
        ),
        Some(syn::Stmt::Macro(statement)) => statement.semi_token.is_none(),
        _ => false,
    }
}

/// The byte offset of a line and column (in characters) in `source`.
fn offset(source: &str, at: LineColumn) -> usize {
    let line_start = source
        .split_inclusive('\n')
        .take(at.line - 1)
        .map(str::len)
        .sum::<usize>();
    let line = source[line_start..].lines().next().unwrap_or("");
    let column = line
        .char_indices()
        .nth(at.column)
        .map_or(line.len(), |(byte, _)| byte);
    line_start + column
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_body_reports_at_its_end_on_its_last_line() {
        let source = "#[test]\nfn adds() {\n    assert_eq!(1 + 1, 2)\n}\n\nfn helper() {}\n";
        let rewritten = inject(source).unwrap();
        let lines: Vec<&str> = rewritten.lines().collect();
        assert_eq!(lines[3], ";__grader_evidence(\"adds\");}");
        assert_eq!(
            lines[5], "fn helper() {}",
            "non-test functions are left alone"
        );
        assert!(rewritten.contains("{SECRET} passed {TEST}"));
        assert!(rewritten.contains(&format!("std::env::var_os({VARIABLE:?})")));
        syn::parse_file(&rewritten).expect("the rewritten file still parses");
    }

    #[test]
    fn reports_show_no_evidence_line_and_no_secret() {
        let output = "running 1 test\ntest adds ... \ns3cret passed adds\nok\nsaw s3cret\n";
        assert_eq!(
            without_evidence(output, "s3cret"),
            "running 1 test\ntest adds ... \nok\nsaw <secret>\n"
        );
    }

    #[test]
    fn a_semicolon_is_added_only_where_one_is_missing() {
        let source = "#[test]\nfn a() {\n    f();\n}\n#[test]\nfn b() {\n    for _ in 0..1 {}\n}\n";
        let rewritten = inject(source).unwrap();
        assert!(
            rewritten.contains("    f();\n__grader_evidence(\"a\");}"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("    for _ in 0..1 {}\n__grader_evidence(\"b\");}"),
            "{rewritten}"
        );
    }

    #[test]
    fn a_panic_is_read_from_its_tagged_line_and_left_out_of_reports() {
        let stderr = "student text s3cret panicked \"t\" \"tests/a.rs:1:2\" \"two\\nlines \\\"q\\\"\"\n\
                      thread 't' panicked at tests/a.rs:1:2:\ntwo\nlines \"q\"\n\
                      s3cret panicked \"t\" \"x\"\n";
        let told = panics(stderr, "s3cret");
        assert_eq!(
            told,
            [ToldPanic {
                thread: "t".into(),
                location: "tests/a.rs:1:2".into(),
                message: "two\nlines \"q\"".into(),
            }],
            "a line that is not three literals is left out"
        );
        assert!(panics(stderr, "other").is_empty());
        assert_eq!(
            without_evidence(stderr, "s3cret"),
            "student text thread 't' panicked at tests/a.rs:1:2:\ntwo\nlines \"q\"\n"
        );
    }

    #[test]
    fn a_test_body_installs_the_hook_first_on_its_first_line() {
        let source = "#[test]\nfn adds() {\n    assert_eq!(1 + 1, 2)\n}\n";
        let rewritten = inject(source).unwrap();
        assert!(rewritten.starts_with("#[test]\nfn adds() {__grader_panics();\n"));
        assert!(rewritten.contains("std::panic::set_hook"));
    }

    #[test]
    fn only_the_exact_marker_line_counts() {
        let out = "test adds ... ok\nfake passed adds\ns3cret passed adds\n";
        assert!(has_evidence(out, "s3cret", "adds"));
        assert!(!has_evidence(out, "s3cret", "other"));
        assert!(!has_evidence("xs3cret passed adds\n", "s3cret", "adds"));
    }

    #[test]
    fn files_without_tests_are_unchanged() {
        let source = "#![cfg(loom)]\nfn helper() {}\n";
        assert_eq!(inject(source).unwrap(), source);
    }
}
