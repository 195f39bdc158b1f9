//! The dhcpd.leases reader on arbitrary bytes: it must never panic, and what the writer makes of
//! what it read must be stable. Reading a rewritten file may still change it once (as in ISC: a
//! lease whose `tstp` line was unreadable is written without one, and a record without `tstp`
//! reads back with `tstp` = `ends`), and ISC reverses the `set` lines of a lease each time it
//! reads and rewrites a file; so from the second rewrite on, rewriting twice must give the same
//! bytes back, and no rewrite may be fatal to read.
#![no_main]

use dhcpd_leases::{LeaseDb, LoadOptions, write_database};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fn rewrite(name: &str, src: &[u8], opts: &LoadOptions) -> Option<String> {
    let db = LeaseDb::load(name, src, opts);
    if db.fatal {
        return None;
    }
    Some(write_database(&db.state, NOW))
}

fuzz_target!(|data: &[u8]| {
    let opts = LoadOptions {
        now: NOW,
        ..LoadOptions::default()
    };
    let Some(first) = rewrite("fuzz.leases", data, &opts) else {
        return;
    };
    let mut texts = vec![first];
    for _ in 0..3 {
        let prev = texts.last().map(String::as_bytes).unwrap_or_default();
        match rewrite("rewritten.leases", prev, &opts) {
            Some(t) => texts.push(t),
            None => panic!(
                "a rewrite is fatal to read:\n{}",
                texts.last().map_or("", |s| s)
            ),
        }
    }
    assert_eq!(
        texts[1], texts[3],
        "rewriting twice does not give the rewrite back"
    );
});
