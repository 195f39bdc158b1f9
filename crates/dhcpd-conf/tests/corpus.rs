//! Agreement with ISC dhcpd 4.4.3 on every real configuration of the shared corpus.
//!
//! `corpus/conf/accepted/*`: ISC's `dhcpd -4 -t` accepted them; we must report no error.
//! `corpus/conf/rejected/*`: ISC rejected them; its output is in `FILE.isc-err`. We must
//! reject them too, and our first error must be where ISC's first error is: the same file
//! and line for a positional message (`FILE line N: …`), the same text for a message ISC
//! prints without a position.
//!
//! Included files are served the way the corpus stores them (see `corpus/conf/README.md`):
//! absolute paths under `FILE.includes/root/`, relative ones under `FILE.includes/cwd/`
//! (`../x` under `FILE.includes/x`).
//!
//! The corpus location comes from `DHCPD_RS_CORPUS` (default `../shared/corpus` beside the
//! repository); the test fails, naming the path, when it is absent.

use std::fs;
use std::path::{Path, PathBuf};

use dhcpd_conf::{Loader, MemLoader, ParseOptions, parse_config};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("DHCPD_RS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    assert!(
        dir.join("conf").is_dir(),
        "the shared corpus is missing: {} has no conf/ (set DHCPD_RS_CORPUS)",
        dir.display()
    );
    dir
}

/// Serves one corpus configuration and its includes.
struct CorpusLoader {
    dir: PathBuf,
    main: String,
}

impl Loader for CorpusLoader {
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
        let inc = self.dir.join(format!("{}.includes", self.main));
        let file = if path == self.main {
            self.dir.join(path)
        } else if let Some(abs) = path.strip_prefix('/') {
            inc.join("root").join(abs)
        } else if let Some(up) = path.strip_prefix("../") {
            inc.join(up)
        } else {
            inc.join("cwd").join(path)
        };
        fs::read(&file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
            _ => e.to_string(),
        })
    }
}

/// ISC's first error: `(Some(file), Some(line), message)` for a positional one.
#[derive(Debug, Clone, PartialEq)]
struct FirstError {
    file: Option<String>,
    line: Option<u32>,
    message: String,
}

fn split_positional(line: &str) -> Option<(String, u32, String)> {
    let idx = line.find(" line ")?;
    let (file, rest) = (&line[..idx], &line[idx + 6..]);
    let colon = rest.find(": ")?;
    let n: u32 = rest[..colon].parse().ok()?;
    Some((file.to_string(), n, rest[colon + 2..].to_string()))
}

/// Reads ISC's first error message out of its `-t` output.
fn isc_first_error(out: &str) -> Option<FirstError> {
    let mut lines = out.lines().skip(4); // the banner
    while let Some(l) = lines.next() {
        if let Some((file, line, message)) = split_positional(l) {
            let _echo = lines.next();
            let _caret = lines.next();
            return Some(FirstError {
                file: Some(file),
                line: Some(line),
                message,
            });
        }
        if l.starts_with("WARNING") || l.starts_with("Warning") || l.trim().is_empty() {
            continue;
        }
        if l.starts_with("Configuration file errors encountered") {
            return None;
        }
        return Some(FirstError {
            file: None,
            line: None,
            message: l.to_string(),
        });
    }
    None
}

/// Whether our message is ISC's. ISC 4.4.3 prints freed memory in one message (`OMAPI key
/// <garbage>: not found`: the key name is freed before it is printed), so bytes that are not
/// valid text in ISC's message match anything, as long as the text before and after them is
/// the same.
fn same_message(isc: &str, ours: &str) -> bool {
    match isc.find('\u{fffd}') {
        None => isc == ours,
        Some(i) => {
            let prefix = &isc[..i];
            let suffix = isc.rfind(':').filter(|&j| j > i).map_or("", |j| &isc[j..]);
            ours.starts_with(prefix)
                && ours.ends_with(suffix)
                && ours.len() > prefix.len() + suffix.len()
        }
    }
}

#[test]
fn garbage_in_isc_messages_is_a_wildcard() {
    assert!(same_message(
        "OMAPI key \u{fffd}\u{fffd}`: not found",
        "OMAPI key my.key: not found"
    ));
    assert!(!same_message(
        "OMAPI key \u{fffd}`: not found",
        "OMAPI key my.key: found"
    ));
    assert!(!same_message("unknown key x", "unknown key y"));
}

fn configs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !n.ends_with(".isc-err")
                && !n.ends_with(".isc-out")
                && n != "MANIFEST.tsv"
                && n != "README.md"
        })
        .collect();
    v.sort();
    v
}

fn run(dir: &Path, name: &str) -> dhcpd_conf::ParseOutput {
    let mut loader = CorpusLoader {
        dir: dir.to_path_buf(),
        main: name.to_string(),
    };
    parse_config(name, &mut loader, ParseOptions::default())
}

#[test]
fn accepted_configs_are_accepted() {
    let dir = corpus_dir().join("conf/accepted");
    let names = configs(&dir);
    assert!(
        names.len() > 50,
        "too few accepted configs in {}",
        dir.display()
    );
    let mut bad = Vec::new();
    for name in &names {
        let out = run(&dir, name);
        if let Some(d) = out.diagnostics.iter().find(|d| d.is_error()) {
            bad.push(format!("{name}:\n{d}"));
        }
    }
    for b in &bad {
        eprintln!("REJECTED BY US, ACCEPTED BY ISC: {b}\n");
    }
    eprintln!(
        "accepted corpus: {} of {} agree with ISC",
        names.len() - bad.len(),
        names.len()
    );
    assert!(bad.is_empty(), "{} accepted configs rejected", bad.len());
}

#[test]
fn rejected_configs_fail_where_isc_fails() {
    let dir = corpus_dir().join("conf/rejected");
    let names = configs(&dir);
    assert!(
        names.len() > 30,
        "too few rejected configs in {}",
        dir.display()
    );
    let mut bad = Vec::new();
    for name in &names {
        let isc_bytes = fs::read(dir.join(format!("{name}.isc-err")))
            .unwrap_or_else(|e| panic!("{name}.isc-err: {e}"));
        let isc_out = String::from_utf8_lossy(&isc_bytes);
        let Some(isc) = isc_first_error(&isc_out) else {
            bad.push(format!(
                "{name}: no error found in ISC's output (test bug?)"
            ));
            continue;
        };
        let out = run(&dir, name);
        let Some(ours) = out.diagnostics.iter().find(|d| d.is_error()) else {
            bad.push(format!(
                "{name}: ACCEPTED BY US; ISC: {}",
                isc_out.lines().nth(4).unwrap_or("")
            ));
            continue;
        };
        let agree = match (&isc.file, isc.line, &ours.location) {
            (Some(f), Some(l), Some(loc)) => **f == *loc.file && l == loc.pos.line,
            (None, None, None) => same_message(&isc.message, &ours.message),
            _ => false,
        };
        if !agree {
            let isc_where = match (&isc.file, isc.line) {
                (Some(f), Some(l)) => format!("{f} line {l}: "),
                _ => String::new(),
            };
            bad.push(format!(
                "{name}:\n  ISC:  {isc_where}{}\n  ours: {}",
                isc.message,
                ours.to_string().replace('\n', "\n        ")
            ));
        }
    }
    for b in &bad {
        eprintln!("DISAGREE {b}\n");
    }
    eprintln!(
        "rejected corpus: {} of {} agree with ISC",
        names.len() - bad.len(),
        names.len()
    );
    assert!(bad.is_empty(), "{} rejected configs disagree", bad.len());
}

#[test]
fn isc_first_error_reader() {
    let out = "b1\nb2\nb3\nb4\nWARNING: Host declarations are global.\nf.conf line 9: host x: already exists\n\t}\n ^\n";
    assert_eq!(
        isc_first_error(out),
        Some(FirstError {
            file: Some("f.conf".into()),
            line: Some(9),
            message: "host x: already exists".into()
        })
    );
    let out = "b1\nb2\nb3\nb4\nCan't open x: No such file or directory\n";
    assert_eq!(isc_first_error(out).and_then(|e| e.line), None);
}

/// The AST without positions: its Debug text with every `Span { … }` replaced by `Span`.
fn shape(stmts: &[dhcpd_conf::ast::Stmt]) -> String {
    let dbg = format!("{stmts:?}");
    let mut out = String::with_capacity(dbg.len());
    let mut rest = dbg.as_str();
    while let Some(i) = rest.find("Span { file: ") {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        let tail = &rest[i..];
        // A span is `Span { file: N, pos: Pos { line: N, col: N, offset: N } }`.
        let end = tail.find("} }").map_or(tail.len(), |e| e + 3);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn canonical_text_reads_back_to_the_same_ast() {
    let dir = corpus_dir().join("conf/accepted");
    let names = configs(&dir);
    let mut bad = Vec::new();
    for name in &names {
        let first = run(&dir, name);
        let files = first.config.render_files();
        let mut mem = MemLoader::default();
        for (file, text) in &files {
            mem.files
                .insert(file.to_string(), text.clone().into_bytes());
        }
        let second = parse_config(name, &mut mem, ParseOptions::default());
        if let Some(d) = second.diagnostics.iter().find(|d| d.is_error()) {
            bad.push(format!("{name}: our canonical text is rejected:\n{d}"));
            continue;
        }
        let (a, b) = (
            shape(&first.config.statements),
            shape(&second.config.statements),
        );
        if a != b {
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let from = at.saturating_sub(80);
            bad.push(format!(
                "{name}: AST differs after printing\n  before: …{}\n  after:  …{}",
                &a[from..(at + 80).min(a.len())],
                &b[from..(at + 80).min(b.len())]
            ));
        }
    }
    for b in &bad {
        eprintln!("ROUND TRIP {b}\n");
    }
    eprintln!(
        "round trip: {} of {} accepted configs",
        names.len() - bad.len(),
        names.len()
    );
    assert!(bad.is_empty(), "{} configs do not round-trip", bad.len());
}

#[test]
fn shape_ignores_spans_only() {
    let parse = |t: &str| {
        let mut m = MemLoader::single("x.conf", t);
        parse_config("x.conf", &mut m, ParseOptions::default()).config
    };
    let a = parse("default-lease-time 600;");
    let b = parse("\n\n   default-lease-time    600 ;");
    let c = parse("default-lease-time 601;");
    assert_eq!(shape(&a.statements), shape(&b.statements));
    assert_ne!(shape(&a.statements), shape(&c.statements));
}
