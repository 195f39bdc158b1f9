//! Reads a lease file and prints our diagnostics, then the file ISC would write at start-up
//! (leases in address order). Usage: `leases-rewrite FILE [NOW]`.

use dhcpd_leases::{LeaseDb, LoadOptions, write_database};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: leases-rewrite FILE [NOW]");
        std::process::exit(2);
    };
    let now = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let src = match std::fs::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let opts = LoadOptions {
        now,
        ..LoadOptions::default()
    };
    let db = LeaseDb::load(&path, &src, &opts);
    for d in &db.diagnostics {
        eprintln!("{d}");
    }
    print!("{}", write_database(&db.state, now));
}
