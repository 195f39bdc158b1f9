// SPDX-License-Identifier: GPL-3.0-or-later
//! Reads one configuration file the way `dhcpd -t` does (includes from the file system) and
//! prints how many diagnostics it gave: the parser alone, for profiling without building the
//! whole server, e.g.
//!
//! ```sh
//! cargo build --release -p dhcpd-conf --example check_conf
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/check_conf dhcpd.conf
//! ```

use dhcpd_conf::{Loader, ParseOptions, parse_config};

/// Files come from the file system, as in the `dhcpd` binary.
struct Fs;

impl Loader for Fs {
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| e.to_string())
    }
}

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_conf FILE");
        return std::process::ExitCode::from(2);
    };
    let out = parse_config(&path, &mut Fs, ParseOptions::default());
    for d in &out.diagnostics {
        eprintln!("{d}");
    }
    println!(
        "{} statements, {} diagnostics",
        out.config.statements.len(),
        out.diagnostics.len()
    );
    let failed = out.has_errors();
    // As `dhcpd -t`: the process ends now, freeing the AST would only cost time.
    std::mem::forget(out);
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
