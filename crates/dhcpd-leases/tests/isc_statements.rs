//! Statements in lease files, written as ISC 4.4.3 writes them: `tests/isc-statements/
//! statements.leases` holds a host, a group and two leases with `on` blocks using every
//! statement kind and most expression kinds (long enough to be wrapped at column 79);
//! `statements.isc-rewrite` is the file ISC dhcpd 4.4.3 wrote from it at start-up (run in an
//! empty network namespace with a configuration holding a `10.0.0.0/24` range; ISC writes
//! the same file again from it). Ours must be byte-identical, and read back to itself.

use dhcpd_leases::{LeaseDb, LoadOptions, write_database};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/isc-statements");

fn rewrite(src: &[u8]) -> (String, usize) {
    // Before every lease's `ends` (2030), as when ISC wrote its file.
    let now = 1_800_000_000;
    let db = LeaseDb::load(
        "statements.leases",
        src,
        &LoadOptions {
            now,
            ..LoadOptions::default()
        },
    );
    (write_database(&db.state, now), db.diagnostics.len())
}

#[test]
fn statements_are_written_as_isc_writes_them() {
    let src = std::fs::read(format!("{DIR}/statements.leases")).expect("input");
    let isc = std::fs::read_to_string(format!("{DIR}/statements.isc-rewrite")).expect("ISC's");
    let (ours, diags) = rewrite(&src);
    assert_eq!(diags, 0);
    assert!(ours.contains("supersede routers = concat (0a:00:00:01, 0a:00:00:02);"));
    assert_eq!(ours, isc);
    let (again, diags) = rewrite(ours.as_bytes());
    assert_eq!(diags, 0);
    assert_eq!(again, ours);
}

/// `concat (A, concat (B, C))`: ISC writes `concat (A, B, C)`, which reads back as
/// `concat (concat (A, B), C)`, written differently again; ours keeps the nesting, and the
/// text is stable from the first rewrite on.
#[test]
fn a_concat_in_last_place_stays_nested() {
    let src = "lease 10.0.0.20 {\n  ends 4 2030/01/02 00:00:00;\n  on expiry {\n    \
               set e = concat (\"a\", concat (\"b\", concat (\"c\", \"d\")));\n  }\n}\n";
    let (first, diags) = rewrite(src.as_bytes());
    assert_eq!(diags, 0);
    assert!(first.contains("concat (\"a\", \n"), "not nested:\n{first}");
    let (second, _) = rewrite(first.as_bytes());
    assert_eq!(second, first);
}
