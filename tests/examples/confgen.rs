//! Writes generated configurations to a directory, for looking at them or feeding them to
//! ISC dhcpd by hand:
//!
//! ```text
//! cargo run -p dhcpd-system-tests --example confgen -- OUTDIR [CASES] [SEED] [MUTATION]
//! ```
//!
//! Files are named `case-NNNN-MUTATION.conf`, numbered and mutated exactly as the oracle test
//! numbers and mutates them (MUTATION, e.g. `none`, restricts the output to that mutation).

use std::path::PathBuf;

use dhcpd_system_tests::confgen::{self, Mutation};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: confgen OUTDIR [CASES] [SEED] [MUTATION]");
        std::process::exit(2);
    };
    let cases: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(400);
    let seed: u64 = args
        .get(2)
        .and_then(|s| match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => s.parse().ok(),
        })
        .unwrap_or(0x00d1_cc9d_2025);
    let only = args.get(3).cloned();
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        std::process::exit(1);
    }
    for i in 0..cases {
        let m = confgen::mutation_for_case(i);
        if only.as_deref().is_some_and(|o| o != m.name()) {
            continue;
        }
        let case = confgen::generate(seed.wrapping_add(i as u64), m);
        let path = out.join(format!(
            "case-{i:04}-{}.conf",
            Mutation::name(case.mutation)
        ));
        if let Err(e) = std::fs::write(&path, case.text) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
