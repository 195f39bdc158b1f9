//! Differential test of `dhcpd -4 -t -cf FILE` against ISC dhcpd 4.4.3, the oracle.
//!
//! A seeded generator ([`dhcpd_system_tests::confgen`]) writes configurations covering the
//! grammar broadly; two thirds of them are then broken the way people break them (a dropped
//! `;` or `}`, a misspelt keyword, a range outside its subnet, a duplicate host, …). Each file is
//! checked by ISC and by our binary, each in a fresh temporary directory that is also the working
//! directory, and the two must agree on:
//!
//! * the exit status (accepted = 0, rejected = anything else), and
//! * for a rejected file, the line of the first positional error (`dhcpd.conf line N: …`), or
//!   both having none.
//!
//! Environment: `DHCPD_RS_ORACLE_CASES` (default 400), `DHCPD_RS_ORACLE_SEED` (default fixed),
//! plus what [`dhcpd_system_tests::our_dhcpd`] and [`dhcpd_system_tests::isc_dhcpd`] read.
//! Disagreements are saved under `target/oracle-failures/` (the file and both outputs), and
//! the test fails listing them with a triage summary grouped by construct.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dhcpd_system_tests::confgen::{self, Case, Mutation};
use dhcpd_system_tests::{
    RunResult, TempDir, first_message, first_positional_error, isc_dhcpd, our_dhcpd, run_check,
    target_dir,
};

const DEFAULT_CASES: usize = 400;
const DEFAULT_SEED: u64 = 0x00d1_cc9d_2025;
const TIMEOUT: Duration = Duration::from_secs(5);
const FILE: &str = "dhcpd.conf";

struct Outcome {
    index: usize,
    case: Case,
    isc: RunResult,
    ours: RunResult,
    /// `None` when the two agree, else why not.
    disagreement: Option<String>,
    /// Grouping key for the triage summary.
    triage: String,
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = if let Some(hex) = v.strip_prefix("0x") {
        u64::from_str_radix(hex, 16)
    } else {
        v.parse()
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// Words holding a digit (addresses, numbers, generated names) become `N` and quoted text
/// `"…"`, so that messages naming different hosts or addresses group together.
fn normalize(msg: &str) -> String {
    let mut words = Vec::new();
    let mut in_quote = false;
    for w in msg.split(' ') {
        let quotes = w.matches('"').count();
        if in_quote || w.starts_with('"') {
            if !in_quote {
                words.push("\"…\"".to_string());
            }
            in_quote ^= quotes % 2 == 1;
            continue;
        }
        if w.chars().any(|c| c.is_ascii_digit()) {
            let tail: String = w
                .chars()
                .rev()
                .take_while(|c| matches!(c, ':' | ',' | '.' | ';'))
                .collect();
            words.push(format!("N{tail}"));
        } else {
            words.push(w.to_string());
        }
    }
    words.join(" ").chars().take(90).collect()
}

/// The construct at line `n` of `text` (its first word; the next line's when line `n` is a
/// comment, blank or a lone `}`: errors on a peeked token point at the line before it).
fn construct_at(text: &str, n: u32) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first_word = |i: usize| -> Option<String> {
        let w = lines.get(i)?.split_whitespace().next()?;
        if w.starts_with('#') || w.starts_with('}') {
            None
        } else {
            Some(w.trim_end_matches(';').to_string())
        }
    };
    let i = (n as usize).saturating_sub(1);
    first_word(i)
        .or_else(|| first_word(i + 1))
        .unwrap_or_else(|| "(nothing)".into())
}

fn compare(case: &Case, isc: &RunResult, ours: &RunResult) -> (Option<String>, String) {
    let isc_err = first_positional_error(&isc.output, FILE);
    let our_err = first_positional_error(&ours.output, FILE);
    let isc_msg = isc_err
        .as_ref()
        .map(|e| e.message.clone())
        .or_else(|| first_message(&isc.output))
        .unwrap_or_default();
    let our_msg = our_err
        .as_ref()
        .map(|e| e.message.clone())
        .or_else(|| first_message(&ours.output))
        .unwrap_or_default();
    if ours.code.is_none() {
        return (
            Some(format!(
                "ours {} (ISC: {})",
                ours.status_text(),
                isc.status_text()
            )),
            format!("ours crashed or hung [{}]", case.mutation),
        );
    }
    // ISC crashing (the corpus has one input that segfaults 4.4.3) counts as a rejection.
    let isc_ok = isc.accepted();
    let ours_ok = ours.accepted();
    match (isc_ok, ours_ok) {
        (true, true) => (None, String::new()),
        (true, false) => {
            let construct = our_err
                .as_ref()
                .map(|e| construct_at(&case.text, e.line))
                .unwrap_or_else(|| "(no position)".into());
            (
                Some(format!("ISC accepts, ours rejects: {our_msg}")),
                format!(
                    "ISC accepts, ours rejects at `{construct}`: {}",
                    normalize(&our_msg)
                ),
            )
        }
        (false, true) => {
            let gen_bug = if case.mutation == Mutation::None {
                " (unmutated file: generator or ISC quirk)"
            } else {
                ""
            };
            (
                Some(format!("ISC rejects, ours accepts: {isc_msg}")),
                format!(
                    "ISC rejects, ours accepts [{}]{gen_bug}: {}",
                    case.mutation,
                    normalize(&isc_msg)
                ),
            )
        }
        (false, false) => {
            let il = isc_err.as_ref().map(|e| e.line);
            let ol = our_err.as_ref().map(|e| e.line);
            if il == ol {
                (None, String::new())
            } else {
                let show =
                    |l: Option<u32>| l.map_or("no position".to_string(), |l| format!("line {l}"));
                (
                    Some(format!(
                        "both reject, first error differs: ISC {} `{isc_msg}`, ours {} `{our_msg}`",
                        show(il),
                        show(ol)
                    )),
                    format!(
                        "both reject, different line [{}]: ISC says {}",
                        case.mutation,
                        normalize(&isc_msg)
                    ),
                )
            }
        }
    }
}

fn run_case(index: usize, seed: u64, isc: &Path, ours: &Path) -> Outcome {
    let mutation = confgen::mutation_for_case(index);
    let case = confgen::generate(seed.wrapping_add(index as u64), mutation);
    let dir = TempDir::new("dhcpd-rs-oracle").expect("create a temporary directory");
    fs::write(dir.path().join(FILE), &case.text).expect("write the generated configuration");
    let isc_run = run_check(isc, dir.path(), FILE, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot run ISC dhcpd {}: {e}", isc.display()));
    let our_run = run_check(ours, dir.path(), FILE, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot run our dhcpd {}: {e}", ours.display()));
    let (disagreement, triage) = compare(&case, &isc_run, &our_run);
    Outcome {
        index,
        case,
        isc: isc_run,
        ours: our_run,
        disagreement,
        triage,
    }
}

fn save_failure(dir: &Path, o: &Outcome) -> PathBuf {
    let stem = format!("case-{:04}-{}", o.index, o.case.mutation);
    let conf = dir.join(format!("{stem}.conf"));
    let mut about = String::new();
    let _ = writeln!(
        about,
        "case {} seed {} mutation {} (at line {})\nfeatures: {}\ndisagreement: {}\n\
         ISC: {}\nours: {}\nrerun: cd {} && cp {stem}.conf /tmp/x/dhcpd.conf && (cd /tmp/x && \
         /usr/sbin/dhcpd -4 -t -cf dhcpd.conf)",
        o.index,
        o.case.seed,
        o.case.mutation,
        o.case.mutated_line,
        o.case.features.join(" "),
        o.disagreement.as_deref().unwrap_or(""),
        o.isc.status_text(),
        o.ours.status_text(),
        dir.display()
    );
    let writes = [
        (conf.clone(), o.case.text.clone()),
        (dir.join(format!("{stem}.isc.txt")), o.isc.output.clone()),
        (dir.join(format!("{stem}.ours.txt")), o.ours.output.clone()),
        (dir.join(format!("{stem}.about.txt")), about),
    ];
    for (path, text) in writes {
        fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    conf
}

#[test]
fn generated_configs_agree_with_isc() {
    let Some(isc) = isc_dhcpd() else {
        return;
    };
    let ours = our_dhcpd();
    let cases = env_number("DHCPD_RS_ORACLE_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let seed = env_number("DHCPD_RS_ORACLE_SEED").unwrap_or(DEFAULT_SEED);
    let failures_dir = target_dir().join("oracle-failures");
    let _ = fs::remove_dir_all(&failures_dir);
    println!(
        "oracle: {cases} generated configurations, seed {seed:#x}\n  ISC:  {}\n  ours: {}",
        isc.display(),
        ours.display()
    );

    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(cases));
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= cases {
                        break;
                    }
                    let o = run_case(i, seed, &isc, &ours);
                    results.lock().expect("no worker panicked").push(o);
                }
            });
        }
    });
    let mut outcomes = results.into_inner().expect("no worker panicked");
    outcomes.sort_by_key(|o| o.index);
    assert_eq!(outcomes.len(), cases, "every case ran");

    // How well the generator exercises ISC: unmutated files should be accepted, broken ones
    // mostly rejected.
    let mut per_mutation: BTreeMap<Mutation, [usize; 3]> = BTreeMap::new(); // [cases, isc ok, agree]
    for o in &outcomes {
        let e = per_mutation.entry(o.case.mutation).or_default();
        e[0] += 1;
        e[1] += usize::from(o.isc.accepted());
        e[2] += usize::from(o.disagreement.is_none());
    }
    println!("\n  mutation                 cases  ISC accepts  agree");
    for (m, [n, ok, agree]) in &per_mutation {
        println!("  {:<24} {n:>5}  {ok:>11}  {agree:>5}", m.name());
    }
    let mut features: BTreeMap<&str, [usize; 2]> = BTreeMap::new(); // [files, disagreeing]
    for o in &outcomes {
        for f in &o.case.features {
            let e = features.entry(f).or_default();
            e[0] += 1;
            e[1] += usize::from(o.disagreement.is_some());
        }
    }
    println!("\n  feature coverage (files with it / of those disagreeing):");
    let cov: Vec<String> = features
        .iter()
        .map(|(f, [n, d])| format!("{f} {n}/{d}"))
        .collect();
    for chunk in cov.chunks(5) {
        println!("    {}", chunk.join(", "));
    }

    let bad: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.disagreement.is_some())
        .collect();
    let mut saved = Vec::new();
    if !bad.is_empty() {
        fs::create_dir_all(&failures_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", failures_dir.display()));
        for o in &bad {
            saved.push(save_failure(&failures_dir, o));
        }
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for o in &bad {
            groups.entry(o.triage.as_str()).or_default().push(o.index);
        }
        let mut groups: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        println!("\n  triage (disagreements grouped; case numbers in brackets):");
        for (key, idx) in &groups {
            let ex: Vec<String> = idx.iter().take(4).map(|i| format!("{i:04}")).collect();
            println!("  {:>4} × {key}  [{}]", idx.len(), ex.join(" "));
        }
        println!("\n  first disagreements:");
        for o in bad.iter().take(15) {
            println!(
                "    case-{:04}-{}: {}",
                o.index,
                o.case.mutation,
                o.disagreement.as_deref().unwrap_or("")
            );
        }
    }
    let base: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.case.mutation == Mutation::None)
        .collect();
    let base_ok = base.iter().filter(|o| o.isc.accepted()).count();
    println!(
        "\noracle: {} agree, {} disagree ({} cases in {:.1}s; ISC accepted {base_ok} of {} unmutated files)",
        outcomes.len() - bad.len(),
        bad.len(),
        outcomes.len(),
        start.elapsed().as_secs_f64(),
        base.len()
    );
    // The generator's own health: an unmutated file ISC rejects tests nothing useful.
    assert!(
        base.is_empty() || base_ok * 10 >= base.len() * 9,
        "the generator is broken: ISC rejected {} of {} unmutated files (see the triage above)",
        base.len() - base_ok,
        base.len()
    );
    assert!(
        bad.is_empty(),
        "{} of {} generated configurations disagree with ISC dhcpd; saved under {}:\n{}",
        bad.len(),
        outcomes.len(),
        failures_dir.display(),
        saved
            .iter()
            .take(40)
            .map(|p| format!("  {}", p.display()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A file written beside a hand-written case: its name and contents.
type ExtraFile = (&'static str, Vec<u8>);

/// Hand-written inputs for what a survey of real configurations found (keys without a secret,
/// statements ISC runs at start-up, bytes ISC's lexer treats specially): each is checked by
/// ISC and by ours like a generated case, with any extra files beside it.
#[test]
fn handwritten_quirks_agree_with_isc() {
    let Some(isc) = isc_dhcpd() else {
        return;
    };
    let ours = our_dhcpd();
    let long_ws = |n: usize| " ".repeat(n).into_bytes();
    let cat = |parts: &[&[u8]]| parts.concat();
    let cases: Vec<(&str, Vec<u8>, Vec<ExtraFile>)> = vec![
        (
            "key-no-secret",
            b"key k { algorithm hmac-md5; }\nfoo bar;\n".to_vec(),
            vec![],
        ),
        (
            "key-empty",
            b"default-lease-time x;\nkey k { }\n".to_vec(),
            vec![],
        ),
        (
            "key-no-algorithm",
            b"group { key \"k\" { secret \"YWJj\"; }; }\n".to_vec(),
            vec![],
        ),
        (
            "top-level-fatal-log",
            b"authoritative;\nlog (fatal, \"stop\");\n".to_vec(),
            vec![],
        ),
        (
            "nested-fatal-log",
            b"group { log (fatal, \"x\"); }\n".to_vec(),
            vec![],
        ),
        (
            "top-level-add",
            b"class \"c\" { }\nadd \"c\";\n".to_vec(),
            vec![],
        ),
        (
            "self-include",
            b"include \"dhcpd.conf\";\n".to_vec(),
            vec![],
        ),
        ("utf16", b"\xff\xfes\0u\0b\0n\0e\0t\0".to_vec(), vec![]),
        (
            "ff-in-comment",
            b"authoritative;\n# caf\xff foo bar\n".to_vec(),
            vec![],
        ),
        (
            "ff-in-string",
            b"option domain-name \"a\xffb\";\n".to_vec(),
            vec![],
        ),
        ("ff-after-name", b"authori\xfftative;\n".to_vec(), vec![]),
        (
            "ff-in-block",
            b"subnet 10.0.0.0 netmask 255.0.0.0 {\xff }\n".to_vec(),
            vec![],
        ),
        (
            "nul-peeked",
            b"authoritative;\n\0\nfoo bar;\n".to_vec(),
            vec![],
        ),
        ("nul-read", b"authoritative\0;\n".to_vec(), vec![]),
        (
            "nul-in-base64",
            b"key k { algorithm hmac-md5; secret YWJj\0YWJj; }\nfoo bar;\n".to_vec(),
            vec![],
        ),
        (
            "string-1500",
            cat(&[b"option domain-name \"", &[b'x'; 1500], b"\";\nfoo;\n"]),
            vec![],
        ),
        (
            "octal-escape-goes-on",
            b"option domain-name \"\\1823\\0zn\";\nfoo bar;\n".to_vec(),
            vec![],
        ),
        (
            "ws-1499",
            cat(&[b"authoritative;", &long_ws(1499), b"foo;\n"]),
            vec![],
        ),
        (
            "ws-1500",
            cat(&[b"authoritative;", &long_ws(1500), b"foo;\n"]),
            vec![],
        ),
        (
            "ws-after-comment",
            cat(&[b"authoritative; # c\n", &long_ws(1499), b"x;\n"]),
            vec![],
        ),
        (
            "ws-in-include",
            b"include \"ws.conf\";\nfoo;\n".to_vec(),
            vec![("ws.conf", cat(&[b"authoritative;", &long_ws(2000)]))],
        ),
        (
            "ad-hoc-in-include",
            b"include \"g.conf\";\n".to_vec(),
            vec![("g.conf", b"ddns-update-style ad-hoc;\n".to_vec())],
        ),
        (
            "omapi-key-in-include",
            b"include \"g.conf\";\nkey k { algorithm hmac-md5; secret \"YWJj\"; }\n".to_vec(),
            vec![("g.conf", b"omapi-key nokey;\n".to_vec())],
        ),
        (
            "fatal-log-in-group-include",
            b"group { include \"g.conf\"; }\n".to_vec(),
            vec![("g.conf", b"log (fatal, \"x\");\n".to_vec())],
        ),
        (
            "include-directory",
            b"include \"conf.d\";\n".to_vec(),
            vec![("conf.d/x", b"".to_vec())],
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, extra) in &cases {
        let dir = TempDir::new("dhcpd-rs-quirk").expect("create a temporary directory");
        fs::write(dir.path().join(FILE), text).expect("write the configuration");
        for (f, t) in extra {
            let p = dir.path().join(f);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("create a directory");
            }
            fs::write(p, t).expect("write an extra file");
        }
        let i = run_check(&isc, dir.path(), FILE, TIMEOUT).expect("run ISC dhcpd");
        let o = run_check(&ours, dir.path(), FILE, TIMEOUT).expect("run our dhcpd");
        let first = |r: &RunResult| {
            r.output
                .lines()
                .find_map(|l| {
                    l.split_once(" line ")
                        .map(|(f, rest)| (f.to_string(), rest))
                })
                .and_then(|(f, rest)| Some((f, rest.split_once(':')?.0.to_string())))
        };
        let (iv, ov) = (i.accepted(), o.accepted());
        if o.code.is_none() || iv != ov || first(&i) != first(&o) {
            failures.push(format!(
                "{name}: ISC {} {:?}, ours {} {:?}",
                i.status_text(),
                first(&i),
                o.status_text(),
                first(&o)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}
