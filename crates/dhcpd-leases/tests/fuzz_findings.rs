//! The inputs fuzzing found (`fuzz/fuzz_targets/leases_parse.rs`), kept in
//! `tests/fuzz-findings/`: none may panic, and from the second rewrite on, rewriting twice
//! must give the same bytes back (the fuzz target's property). Most of them once grew by a `}`
//! or lost a closing quote on every rewrite, when statements were kept as source text.

use dhcpd_leases::{LeaseDb, LoadOptions, write_database};

const NOW: i64 = 1_800_000_000;

fn rewrite(name: &str, src: &[u8], opts: &LoadOptions) -> Option<String> {
    let db = LeaseDb::load(name, src, opts);
    if db.fatal {
        return None;
    }
    Some(write_database(&db.state, NOW))
}

/// `None` when the property holds, else what went wrong.
fn check(data: &[u8]) -> Option<String> {
    let opts = LoadOptions {
        now: NOW,
        ..LoadOptions::default()
    };
    let first = rewrite("fuzz.leases", data, &opts)?;
    let mut texts = vec![first];
    for _ in 0..3 {
        let prev = texts.last().map(String::as_bytes).unwrap_or_default();
        match rewrite("rewritten.leases", prev, &opts) {
            Some(t) => texts.push(t),
            None => return Some(format!("a rewrite is fatal to read:\n{}", texts.last()?)),
        }
    }
    (texts[1] != texts[3]).then(|| {
        format!(
            "rewriting twice does not give the rewrite back:\n--- 2nd\n{}\n--- 4th\n{}",
            texts[1], texts[3]
        )
    })
}

#[test]
fn fuzz_findings_rewrite_stably() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-findings");
    let mut n = 0;
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fuzz-findings directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).expect("readable finding");
        n += 1;
        if let Some(why) = check(&data) {
            bad.push(format!("{}: {why}", path.display()));
        }
    }
    assert!(n >= 100, "only {n} findings found in {dir}");
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}
