//! Stage 1, intake: refuse, before building, what the labs never need and a cheat would.
//!
//! Each student file is read as Rust tokens (syn's lexer, `proc_macro2`), macro bodies
//! included, so a forbidden path cannot hide inside `macro_rules!`. Refused: `unsafe` where the
//! lab does not ask for it, and where it does, any `unsafe` but the stub's own (so no student
//! code can read raw memory, such as the test's evidence secret); `extern` (FFI, `extern
//! crate`); paths into `std::process`, `std::env`, `std::fs`, `std::net`, `std::os`, and
//! tokio's `process`, `fs`, `net` and `signal`; renaming or glob-importing one of those crate
//! roots (which would hide those paths); `#[path]`; the `include!` family, `env!`,
//! `option_env!` and `asm!`; and, in the loom-checked labs, `std::sync`, `std::thread`,
//! `std::cell` and `std::hint`, which would escape loom (the facade `labkit::sync` has them
//! all): that costs only the loom tier, since the real-thread tests are as sound with std's
//! own. No crate is refused by name: the demos' own crates (`nix`, `indicatif`, `clap`, the
//! fleet) are optional, behind the `demo` feature the grader builds without, so lab code
//! cannot reach them at all.
//!
//! Items under `#[cfg(test)]` are not read: the grader never compiles them. The stub's
//! `unsafe` constructs are compared token by token, without their semicolons, so that their
//! formatting does not matter.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use serde::{Deserialize, Serialize};

use crate::intake::catalog::Lab;
use crate::intake::collect::Sources;

/// Crate roots whose modules are checked: the standard library's, and tokio's, which offers
/// files, processes, signals and the network of its own (whichever of its features a build
/// happens to enable).
const ROOTS: &[&str] = &["std", "core", "alloc", "tokio"];

/// Modules of the standard library no lab needs, and what each would allow.
const FORBIDDEN_MODULES: &[(&str, &str)] = &[
    (
        "process",
        "processes (exiting or spawning) are not part of any lab",
    ),
    ("env", "the environment is not part of any lab"),
    ("fs", "files are not part of any lab"),
    ("net", "the network is not part of any lab"),
    ("os", "OS-specific handles are not part of any lab"),
    ("signal", "signals are not part of any lab"),
];

/// Modules a loom-checked lab must take from the facade `labkit::sync` instead.
const FACADE_MODULES: &[&str] = &["sync", "thread", "cell", "hint"];

/// Macros no lab needs.
const FORBIDDEN_MACROS: &[&str] = &[
    "include",
    "include_str",
    "include_bytes",
    "env",
    "option_env",
    "asm",
    "global_asm",
    "naked_asm",
];

/// One refused construct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The file, relative to the lab's `src/`.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// Why, in one line.
    pub reason: String,
    /// Whether it only escapes loom (a primitive taken from std rather than the facade): the
    /// lab is still built and graded on real threads, and only its loom tier is refused.
    pub loom_only: bool,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "src/{}:{}: {}",
            self.file.display(),
            self.line,
            self.reason
        )
    }
}

/// What one lab's student files may not contain.
struct Rules<'a> {
    lab: &'a Lab,
    /// The `unsafe` constructs the lab's stub already has, as [`unsafe_form`]s: in a lab that
    /// asks for `unsafe`, the only ones allowed.
    stub_unsafe: BTreeSet<String>,
}

/// Every violation of the policy in `lab`'s student files `sources`, in file and line order.
/// `stub` is the lab's pristine `src/lib.rs`: where the lab asks for `unsafe`, the student may
/// keep the `unsafe` constructs it already has, word for word, and write no other.
pub fn check(lab: &Lab, stub: &str, sources: &Sources) -> Vec<Violation> {
    let mut stub_unsafe = BTreeSet::new();
    if lab.allows_unsafe
        && let Ok(tokens) = TokenStream::from_str(stub)
    {
        collect_unsafe_forms(&tokens.into_iter().collect::<Vec<_>>(), &mut stub_unsafe);
    }
    let rules = Rules { lab, stub_unsafe };
    let mut violations = Vec::new();
    for (file, bytes) in &sources.files {
        let mut found = Found::default();
        match std::str::from_utf8(bytes) {
            Err(_) => found.lab(1, "the file is not UTF-8 text".to_owned()),
            // A file that does not lex cannot hide anything: if it is a module, the compiler
            // rejects it with a better message than the lexer's; if not, it is never compiled.
            Ok(text) => {
                if let Ok(tokens) = TokenStream::from_str(text) {
                    scan(&rules, &tokens.into_iter().collect::<Vec<_>>(), &mut found);
                }
            }
        }
        violations.extend(
            found
                .0
                .into_iter()
                .map(|(line, reason, loom_only)| Violation {
                    file: file.clone(),
                    line,
                    reason,
                    loom_only,
                }),
        );
    }
    violations
}

/// What the policy refuses in one file: line, reason, and whether only the loom tier is refused.
#[derive(Default)]
struct Found(Vec<(usize, String, bool)>);

impl Found {
    /// Refuses the whole lab.
    fn lab(&mut self, line: usize, reason: String) {
        self.0.push((line, reason, false));
    }

    /// Refuses the lab's loom tier only.
    fn loom_tier(&mut self, line: usize, reason: String) {
        self.0.push((line, reason, true));
    }
}

/// The `unsafe` construct that starts at `tokens[0]`, in a canonical spelling: the keyword
/// and what follows it up to and including its first `{ ... }` block (`unsafe { f() }`,
/// `unsafe impl Send for T {}`, `unsafe fn f() { ... }`).
fn unsafe_form(tokens: &[TokenTree]) -> String {
    let end = tokens
        .iter()
        .position(|token| {
            matches!(token, TokenTree::Group(group) if group.delimiter() == Delimiter::Brace)
        })
        .map_or(tokens.len(), |brace| brace + 1);
    without_semicolons(&tokens[..end]).to_string()
}

/// `tokens` with every `;`, at any depth, left out.
fn without_semicolons(tokens: &[TokenTree]) -> TokenStream {
    tokens
        .iter()
        .filter(|token| !is_punct(token, ';'))
        .map(|token| match token {
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                TokenTree::Group(proc_macro2::Group::new(
                    group.delimiter(),
                    without_semicolons(&inner),
                ))
            }
            other => other.clone(),
        })
        .collect()
}

/// Adds to `forms` the [`unsafe_form`] of every `unsafe` in `tokens`, groups included.
fn collect_unsafe_forms(tokens: &[TokenTree], forms: &mut BTreeSet<String>) {
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "unsafe" => {
                forms.insert(unsafe_form(&tokens[i..]));
            }
            TokenTree::Group(group) => {
                collect_unsafe_forms(&group.stream().into_iter().collect::<Vec<_>>(), forms);
            }
            _ => {}
        }
    }
}

/// The indices of `tokens` that belong to an item under `#[cfg(test)]`: its attributes, and
/// the item up to its first `{ ... }` block or `;`.
fn cfg_test_items(tokens: &[TokenTree]) -> BTreeSet<usize> {
    let mut skipped = BTreeSet::new();
    let mut i = 0;
    while i + 1 < tokens.len() {
        let is_cfg_test = is_punct(&tokens[i], '#')
            && matches!(&tokens[i + 1], TokenTree::Group(group)
                if group.delimiter() == Delimiter::Bracket
                    && group.stream().to_string().replace(' ', "") == "cfg(test)");
        if !is_cfg_test {
            i += 1;
            continue;
        }
        let mut end = i + 2;
        while end < tokens.len() {
            let closes = is_punct(&tokens[end], ';')
                || matches!(&tokens[end], TokenTree::Group(group)
                    if group.delimiter() == Delimiter::Brace);
            end += 1;
            if closes {
                break;
            }
        }
        skipped.extend(i..end);
        i = end;
    }
    skipped
}

/// Checks one token sequence and, recursively, every group in it.
fn scan(rules: &Rules<'_>, tokens: &[TokenTree], found: &mut Found) {
    let skipped = cfg_test_items(tokens);
    for (i, token) in tokens.iter().enumerate() {
        if skipped.contains(&i) {
            continue;
        }
        match token {
            TokenTree::Group(group) => {
                if group.delimiter() == Delimiter::Bracket
                    && i > 0
                    && is_punct(&tokens[i - 1], '#')
                    && first_ident(group.stream()).as_deref() == Some("path")
                {
                    found.lab(
                        line(token),
                        "`#[path]` may not point a module outside src/".into(),
                    );
                }
                scan(
                    rules,
                    &group.stream().into_iter().collect::<Vec<_>>(),
                    found,
                );
            }
            TokenTree::Ident(ident) => check_ident(rules, &ident.to_string(), &tokens[i..], found),
            _ => {}
        }
    }
}

/// Checks the identifier `name` that starts `tokens`: `unsafe`, `extern`, a forbidden macro,
/// or a crate root whose path is checked.
fn check_ident(rules: &Rules<'_>, name: &str, tokens: &[TokenTree], found: &mut Found) {
    let (lab, line) = (rules.lab, line(&tokens[0]));
    if name == "unsafe" && !lab.allows_unsafe {
        found.lab(line, format!("`unsafe` is not needed in {}", lab.name));
    } else if name == "unsafe" && !rules.stub_unsafe.contains(&unsafe_form(tokens)) {
        found.lab(
            line,
            format!(
                "`unsafe` other than the stub's own is not allowed in {}: keep the `unsafe` \
                 the stub has as it is; the parts you fill need none",
                lab.name
            ),
        );
    } else if name == "extern" {
        found.lab(
            line,
            "`extern` (FFI or extern crates) is not allowed".into(),
        );
    } else if FORBIDDEN_MACROS.contains(&name) && tokens.get(1).is_some_and(|t| is_punct(t, '!')) {
        found.lab(line, format!("the `{name}!` macro is not allowed"));
    } else if ROOTS.contains(&name) {
        check_root(lab, name, &tokens[1..], line, found);
    }
}

/// Checks what follows a crate root `root` (`std`, `core`, `alloc`, `tokio`).
fn check_root(lab: &Lab, root: &str, after: &[TokenTree], line: usize, found: &mut Found) {
    if after.first().is_some_and(|t| is_ident(t, "as")) {
        found.lab(line, format!("renaming `{root}` is not allowed"));
        return;
    }
    let is_path = after.len() >= 3 && is_punct(&after[0], ':') && is_punct(&after[1], ':');
    if !is_path {
        return;
    }
    match &after[2] {
        TokenTree::Ident(module) => check_module(lab, root, &module.to_string(), line, found),
        TokenTree::Punct(p) if p.as_char() == '*' => {
            found.lab(line, format!("glob imports of `{root}::*` are not allowed"))
        }
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            for (j, item) in inner.iter().enumerate() {
                let starts_item = j == 0 || is_punct(&inner[j - 1], ',');
                if let (true, TokenTree::Ident(module)) = (starts_item, item) {
                    let module = module.to_string();
                    if module == "self" && inner.get(j + 1).is_some_and(|t| is_ident(t, "as")) {
                        found.lab(line, format!("renaming `{root}` is not allowed"));
                    }
                    check_module(lab, root, &module, line, found);
                }
            }
        }
        _ => {}
    }
}

/// Refuses `root::module` when the policy forbids `module`.
fn check_module(lab: &Lab, root: &str, module: &str, line: usize, found: &mut Found) {
    if let Some((_, why)) = FORBIDDEN_MODULES.iter().find(|(name, _)| *name == module) {
        found.lab(line, format!("`{root}::{module}` is not allowed: {why}"));
    } else if lab.loom && FACADE_MODULES.contains(&module) {
        found.loom_tier(
            line,
            format!(
                "`{root}::{module}` bypasses the `sync` facade and would escape loom: take it \
                 from `labkit::sync`, which is std's on real threads and loom's under the model \
                 checker; the loom tier is refused until then"
            ),
        );
    }
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(p) if p.as_char() == c)
}

fn is_ident(token: &TokenTree, name: &str) -> bool {
    matches!(token, TokenTree::Ident(i) if i == name)
}

fn first_ident(stream: TokenStream) -> Option<String> {
    match stream.into_iter().next()? {
        TokenTree::Ident(ident) => Some(ident.to_string()),
        _ => None,
    }
}

fn line(token: &TokenTree) -> usize {
    token.span().start().line
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::intake::catalog::lab;

    /// The pristine stub of the lab called `name`.
    fn stub(name: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(name).join("src/lib.rs")).unwrap()
    }

    fn violations(lab_name: &str, source: &str) -> Vec<String> {
        let sources = Sources {
            files: [(
                Path::new("lib.rs").to_path_buf(),
                source.as_bytes().to_vec(),
            )]
            .into(),
        };
        check(lab(lab_name).unwrap(), &stub(lab_name), &sources)
            .into_iter()
            .map(|v| format!("{}: {}", v.line, v.reason))
            .collect()
    }

    #[test]
    fn the_references_and_stubs_are_allowed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for lab in crate::intake::catalog::LABS {
            for base in [root.clone(), root.join("solutions")] {
                let sources = crate::intake::collect::collect(&base, lab.name).unwrap();
                assert_eq!(
                    check(lab, &stub(lab.name), &sources),
                    vec![],
                    "{} in {}",
                    lab.name,
                    base.display()
                );
            }
        }
    }

    #[test]
    fn tokio_s_files_processes_signals_and_network_are_refused() {
        let found = violations(
            "lab2-async",
            "async fn a() { tokio::fs::read(\"x\").await; }\n\
             use tokio::{net::TcpStream, time};\n\
             use tokio::process::Command;\n\
             async fn b() { ::tokio::signal::ctrl_c().await; }\n\
             use tokio::time::sleep;\n",
        );
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("1: `tokio::fs` is not allowed"));
        assert!(found[1].starts_with("2: `tokio::net` is not allowed"));
        assert!(found[2].starts_with("3: `tokio::process` is not allowed"));
        assert!(found[3].starts_with("4: `tokio::signal` is not allowed"));
    }

    #[test]
    fn forbidden_paths_are_refused_even_in_macros_and_use_groups() {
        let found = violations(
            "lab2-async",
            "fn a() { std::process::exit(0) }\n\
             use std::{fs, io};\n\
             macro_rules! m { () => { ::std::env::var(\"X\") } }\n\
             use std as s;\n\
             use core::*;\n",
        );
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("1: `std::process` is not allowed"));
        assert!(found[1].starts_with("2: `std::fs`"));
        assert!(found[2].starts_with("3: `std::env`"));
        assert!(found[3].starts_with("4: renaming `std`"));
        assert!(found[4].starts_with("5: glob imports"));
    }

    #[test]
    fn unsafe_is_allowed_only_in_the_stubs_own_forms() {
        let stubs_own = "fn deref(&self) -> &T {\n    unsafe { MutPtr::deref(&self.value) }\n}";
        assert_eq!(violations("lab1-lock", stubs_own), Vec::<String>::new());
        let own = "fn peek(p: *const u8) -> u8 {\n    unsafe { *p }\n}";
        let found = violations("lab1-lock", own);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("2: `unsafe` other than the stub's own"));
        assert_eq!(
            violations("lab1-queue", stubs_own),
            vec!["2: `unsafe` is not needed in lab1-queue"]
        );
    }

    #[test]
    fn cfg_test_items_are_not_read_and_the_stubs_unsafe_may_be_reformatted() {
        let found = violations(
            "lab1-queue",
            "#[cfg(test)]\nmod tests {\n    use std::sync::Mutex;\n}\nuse std::fs;\n",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("5: `std::fs`"));
        let retyped = "fn drop(&mut self) {\n    unsafe {\n        ManuallyDrop::drop(&mut self.value);\n    }\n}";
        assert_eq!(violations("lab1-lock", retyped), Vec::<String>::new());
    }

    #[test]
    fn loom_labs_must_use_the_facade() {
        let found = violations(
            "lab1-queue",
            "use std::sync::Mutex;\nuse std::collections::VecDeque;",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("bypasses the `sync` facade"));
        assert_eq!(
            violations("lab2-async", "use std::sync::Arc;"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn path_attributes_includes_ffi_and_non_utf8_are_refused() {
        let found = violations(
            "lab1-race",
            "#[path = \"../tests/visible.rs\"]\nmod t;\nconst S: &str = include_str!(\"x\");\nextern \"C\" { fn f(); }",
        );
        assert_eq!(found.len(), 3, "{found:#?}");
        let sources = Sources {
            files: [(Path::new("lib.rs").to_path_buf(), vec![0xff, 0xfe])].into(),
        };
        assert_eq!(
            check(lab("lab1-race").unwrap(), "", &sources)[0].reason,
            "the file is not UTF-8 text"
        );
    }
}
