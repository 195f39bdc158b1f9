//! Corpus tests against files written and read by the real ISC dhcpd 4.4.3-P1
//! (`$DHCPD_RS_CORPUS/leases`, default `../shared/corpus` beside the repository, see its
//! MANIFEST.tsv). The tests fail, naming the path, when it is absent.
//!
//! 1. Files written by ISC servers (`isc-single-*`, `isc-failover-*`): each is ISC's header
//!    followed by the records ISC appended. We parse the file and write every record back;
//!    the result must be the file, byte for byte, record by record.
//! 2. Third-party files (`isc-src-*`) with ISC's `dhcpd -T` output beside them
//!    (`FILE.isc-T`): our diagnostics must be ISC's (same lines, same messages, same order).

use std::path::{Path, PathBuf};

use dhcpd_leases::{ByteOrder, LeaseDb, LoadOptions, Record, WriteOptions};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("DHCPD_RS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("leases");
    assert!(
        dir.is_dir(),
        "the shared corpus is missing: {} is not a directory (set DHCPD_RS_CORPUS)",
        dir.display()
    );
    dir
}

fn files(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".leases") && pred(n))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Where two texts first differ, with some context, for failure messages.
fn first_difference(a: &str, b: &str) -> String {
    let i = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = a[..i].rfind('\n').map_or(0, |k| k + 1);
    let show = |s: &str| s.get(from..(i + 80).min(s.len())).unwrap_or("").to_string();
    format!(
        "at byte {i}:\n--- ISC ---\n{}\n--- ours ---\n{}",
        show(a),
        show(b)
    )
}

/// The lease as ISC held it in memory when it wrote `isc_text` (which starts with the record).
/// Reading fills an absent `tstp` with `ends` (as ISC's reader does), so a record written
/// while `tstp` was 0 reads back with `tstp` set; undo that to compare with what ISC wrote.
fn as_isc_held_it(r: &Record, isc_text: &str) -> Record {
    let mut r = r.clone();
    if let Record::Lease(l) = &mut r {
        let end = isc_text.find("\n}\n").unwrap_or(isc_text.len());
        if !isc_text[..end].contains("\n  tstp ") {
            l.tstp = 0;
        }
    }
    r
}

#[test]
fn isc_written_files_round_trip_byte_for_byte() {
    let dir = corpus_dir();
    let list = files(&dir, |n| {
        n.starts_with("isc-single-") || n.starts_with("isc-failover-")
    });
    assert!(!list.is_empty(), "no ISC-written files in the corpus");
    let opts = WriteOptions::default();
    let mut failures = Vec::new();
    let (mut total_records, mut total_leases) = (0usize, 0usize);
    for path in &list {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let Ok(src) = std::fs::read(path) else {
            failures.push(format!("{name}: unreadable"));
            continue;
        };
        let text = String::from_utf8_lossy(&src).into_owned();
        let db = LeaseDb::load(name, &src, &LoadOptions::default());
        if !db.diagnostics.is_empty() {
            let d: Vec<String> = db.diagnostics.iter().map(|d| d.to_string()).collect();
            failures.push(format!("{name}: diagnostics:\n{}", d.join("\n")));
            continue;
        }
        // The header carries the authoring-byte-order record.
        let mut records = db.records.iter();
        if records.next() != Some(&Record::AuthoringByteOrder(ByteOrder::Little)) {
            failures.push(format!("{name}: no authoring-byte-order first"));
            continue;
        }
        let mut ours = opts.header();
        if !text.starts_with(&ours) {
            failures.push(format!(
                "{name}: header differs {}",
                first_difference(&text, &ours)
            ));
            continue;
        }
        for r in records {
            let before = ours.len();
            let r = as_isc_held_it(r, &text[before..]);
            ours.push_str(&opts.record(&r, 0));
            total_records += 1;
            if matches!(r, Record::Lease(_)) {
                total_leases += 1;
            }
            if !text[before..].starts_with(&ours[before..]) {
                failures.push(format!(
                    "{name}: record {r:?} written differently {}",
                    first_difference(&text[before..], &ours[before..])
                ));
                break;
            }
        }
        if ours != text && failures.is_empty() {
            failures.push(format!(
                "{name}: file differs {}",
                first_difference(&text, &ours)
            ));
        }
    }
    eprintln!(
        "{} ISC-written files, {total_records} records ({total_leases} leases) written back",
        list.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// ISC's diagnostics in a `-T` transcript for lease file `name`: (line, message), with 0 for
/// messages printed without a position.
fn isc_diagnostics(transcript: &str, name: &str) -> Vec<(u32, String)> {
    let prefix = format!("{name} line ");
    let mut out = Vec::new();
    for l in transcript.lines() {
        if let Some(rest) = l.strip_prefix(&prefix)
            && let Some((n, msg)) = rest.split_once(": ")
            && let Ok(n) = n.parse()
        {
            out.push((n, msg.to_string()));
        } else if l == "Corrupt lease file - possible data loss!" {
            out.push((0, l.to_string()));
        }
    }
    out
}

#[test]
fn third_party_files_give_iscs_diagnostics() {
    let dir = corpus_dir();
    let list = files(&dir, |n| n.starts_with("isc-src-"));
    assert!(!list.is_empty(), "no third-party files in the corpus");
    let mut failures = Vec::new();
    let mut compared = 0;
    for path in &list {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let transcript_path = path.with_file_name(format!("{name}.isc-T"));
        let (Ok(src), Ok(transcript)) = (
            std::fs::read(path),
            std::fs::read_to_string(&transcript_path),
        ) else {
            continue;
        };
        if transcript.contains("Configuration file errors encountered") {
            // ISC rejected the configuration and never read this file.
            continue;
        }
        compared += 1;
        let db = LeaseDb::load(name, &src, &LoadOptions::default());
        let ours: Vec<(u32, String)> = db
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.line().unwrap_or(0), d.message.clone()))
            .collect();
        let isc = isc_diagnostics(&transcript, name);
        if ours != isc {
            failures.push(format!("{name}:\n  ISC:  {isc:?}\n  ours: {ours:?}"));
        }
        // Whatever we read, we can write back and read again to the same state.
        let again = WriteOptions::default().database(&db.state, 0);
        let db2 = LeaseDb::load("rewrite", again.as_bytes(), &LoadOptions::default());
        let errs: Vec<String> = db2.diagnostics.iter().map(|d| d.to_string()).collect();
        if !errs.is_empty() {
            failures.push(format!(
                "{name}: our rewrite does not read back:\n{}",
                errs.join("\n")
            ));
        }
    }
    eprintln!("{compared} third-party files compared with ISC's -T output");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
