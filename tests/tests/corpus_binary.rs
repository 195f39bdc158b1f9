//! Our `dhcpd` binary (not the library) on every DHCPv4 configuration of the shared corpus:
//! `dhcpd -4 -t -cf FILE` must exit 0 for `conf/accepted/*` and non-zero (without crashing) for
//! `conf/rejected/*`. This proves the command-line wiring end to end; the library-level corpus
//! test (`crates/dhcpd-conf/tests/corpus.rs`) checks messages and positions.
//!
//! Each file runs in a fresh temporary directory laid out as the corpus README describes:
//! `TMP/work/FILE` is the configuration and `TMP/work` the working directory;
//! `FILE.includes/cwd/…` is copied into `TMP/work/` (relative includes) and any other
//! `FILE.includes/X/…` into `TMP/X/…` (includes written `../X/…`). Files that include by
//! absolute path (`FILE.includes/root/…`) would need a private mount namespace; they are
//! skipped, and the test says how many.

use std::fs;
use std::path::Path;
use std::time::Duration;

use dhcpd_system_tests::{TempDir, copy_tree, corpus_dir, first_message, our_dhcpd, run_check};

const TIMEOUT: Duration = Duration::from_secs(10);

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

enum Setup {
    Ready(TempDir),
    /// Needs files at absolute paths.
    Skip,
}

fn lay_out(dir: &Path, name: &str) -> Setup {
    let includes = dir.join(format!("{name}.includes"));
    if includes.join("root").exists() {
        return Setup::Skip;
    }
    let tmp = TempDir::new("dhcpd-rs-corpus").expect("create a temporary directory");
    let work = tmp.path().join("work");
    fs::create_dir(&work).expect("create the working directory");
    fs::copy(dir.join(name), work.join(name)).unwrap_or_else(|e| panic!("cannot copy {name}: {e}"));
    if includes.is_dir() {
        for entry in fs::read_dir(&includes).expect("read the includes directory") {
            let entry = entry.expect("read an includes entry");
            let sub = entry.file_name();
            let to = if sub == "cwd" {
                work.clone()
            } else {
                tmp.path().join(&sub)
            };
            copy_tree(&entry.path(), &to)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
        }
    }
    Setup::Ready(tmp)
}

/// Runs our binary on every file of `conf/SUB`; returns (checked, skipped, failures).
fn check_dir(sub: &str, want_accept: bool) -> (usize, usize, Vec<String>) {
    let ours = our_dhcpd();
    let dir = corpus_dir().join("conf").join(sub);
    let names = configs(&dir);
    assert!(
        names.len() > 30,
        "too few configurations in {} ({})",
        dir.display(),
        names.len()
    );
    let (mut checked, mut skipped, mut bad) = (0, 0, Vec::new());
    for name in &names {
        let tmp = match lay_out(&dir, name) {
            Setup::Ready(t) => t,
            Setup::Skip => {
                skipped += 1;
                continue;
            }
        };
        let r = run_check(&ours, &tmp.path().join("work"), name, TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", ours.display()));
        checked += 1;
        let ok = match (r.code, want_accept) {
            (None, _) => false,
            (Some(c), true) => c == 0,
            (Some(c), false) => c != 0,
        };
        if !ok {
            let why = first_message(&r.output).unwrap_or_default();
            bad.push(format!("{sub}/{name}: {} {why}", r.status_text()));
        }
    }
    (checked, skipped, bad)
}

fn report(sub: &str, want: &str, (checked, skipped, bad): (usize, usize, Vec<String>)) {
    for b in &bad {
        eprintln!("WRONG VERDICT {b}");
    }
    println!(
        "corpus binary {sub}: {} of {checked} {want} by our dhcpd -4 -t; {skipped} skipped \
         (they include files by absolute path, which needs a private mount namespace; the \
         library corpus test covers them)",
        checked - bad.len()
    );
    assert!(
        bad.is_empty(),
        "{} of {checked} corpus files in conf/{sub} got the wrong exit status from our dhcpd \
         (expected {want}; see above)",
        bad.len()
    );
}

#[test]
fn accepted_corpus_files_exit_zero() {
    report("accepted", "accepted", check_dir("accepted", true));
}

#[test]
fn rejected_corpus_files_exit_non_zero() {
    report("rejected", "rejected", check_dir("rejected", false));
}
