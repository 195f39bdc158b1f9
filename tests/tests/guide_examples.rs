//! docs/failover-guide.md and its example files stay true.
//!
//! * Every `examples/failover-guide-*.conf` is accepted by our `dhcpd -4 -t -cf` **and** by ISC
//!   dhcpd's (the oracle); the `-a`/`-b` pair is a consistent failover pair (one primary, one
//!   secondary, same relationship name, each one's `address`/`port` is the other's
//!   `peer address`/`peer port`, primary-only statements only on the primary), and the sample
//!   lease file passes `dhcpd -4 -T` in both programs.
//! * Every shell block of the guide marked `<!-- run-here -->` (the marker on the line before
//!   the opening fence, which must be ```` ```sh ````) runs with `bash -e -o pipefail` in a scratch
//!   directory holding copies of `examples/` and `packaging/systemd/`, with our `dhcpd` first on
//!   `PATH`, under a timeout, and must exit 0. Marked blocks are checked for safety first: no
//!   command that changes the machine (`systemctl`, `firewall-cmd`, `dnf`, `ip`, …) and no
//!   `dhcpd` invocation that could serve (only `-t`, `-T` or `--version`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dhcpd_system_tests::{TempDir, copy_tree, isc_dhcpd, our_dhcpd, run_with_args, workspace_root};

/// How long one `dhcpd -t` or one guide block may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The marker that makes the next ```` ```sh ```` block of the guide runnable here.
const MARKER: &str = "<!-- run-here -->";

fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

fn guide_path() -> PathBuf {
    workspace_root().join("docs").join("failover-guide.md")
}

/// The example configurations of the guide, sorted by name.
fn guide_configs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(examples_dir())
        .expect("examples/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("failover-guide-") && n.ends_with(".conf"))
        })
        .collect();
    v.sort();
    v
}

/// Copies the example files into a scratch directory (both programs' `-T` writes a temporary
/// file beside the lease file, and nothing may be written into the repository).
fn scratch_with_examples(prefix: &str) -> TempDir {
    let dir = TempDir::new(prefix).expect("scratch directory");
    copy_tree(&examples_dir(), &dir.path().join("examples")).expect("copy examples/");
    copy_tree(
        &workspace_root().join("packaging").join("systemd"),
        &dir.path().join("packaging").join("systemd"),
    )
    .expect("copy packaging/systemd/");
    dir
}

#[test]
fn guide_configs_are_accepted_by_ours_and_by_isc() {
    let configs = guide_configs();
    assert!(
        configs.len() >= 2,
        "expected at least examples/failover-guide-a.conf and -b.conf, found {configs:?}"
    );
    let ours = our_dhcpd();
    let isc = isc_dhcpd();
    let scratch = scratch_with_examples("guide-conf");
    let cwd = scratch.path().join("examples");
    for path in &configs {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        let r = run_with_args(&ours, &cwd, &["-4", "-t", "-cf", name], TIMEOUT).expect("run ours");
        assert!(
            r.accepted(),
            "our dhcpd -t rejected examples/{name} ({}):\n{}",
            r.status_text(),
            r.output
        );
        if let Some(isc) = &isc {
            let r = run_with_args(isc, &cwd, &["-4", "-t", "-cf", name], TIMEOUT).expect("run ISC");
            assert!(
                r.accepted(),
                "ISC dhcpd -t rejected examples/{name} ({}):\n{}",
                r.status_text(),
                r.output
            );
            // A pair without "load balance max seconds" makes ISC warn that load balancing is
            // off; the guide promises load balancing, so that warning must not appear.
            assert!(
                !r.output.contains("load balancing will be disabled"),
                "ISC warns about examples/{name}:\n{}",
                r.output
            );
        }
    }
}

#[test]
fn guide_sample_lease_file_passes_dash_capital_t() {
    let ours = our_dhcpd();
    let isc = isc_dhcpd();
    let scratch = scratch_with_examples("guide-leases");
    let cwd = scratch.path().join("examples");
    let args = [
        "-4",
        "-T",
        "-cf",
        "failover-guide-b.conf",
        "-lf",
        "failover-guide-b.leases",
    ];
    let before = fs::read(cwd.join("failover-guide-b.leases")).expect("sample lease file");
    let r = run_with_args(&ours, &cwd, &args, TIMEOUT).expect("run ours");
    assert!(
        r.accepted(),
        "our dhcpd -T: {}\n{}",
        r.status_text(),
        r.output
    );
    if let Some(isc) = &isc {
        let r = run_with_args(isc, &cwd, &args, TIMEOUT).expect("run ISC");
        assert!(
            r.accepted(),
            "ISC dhcpd -T: {}\n{}",
            r.status_text(),
            r.output
        );
    }
    let after = fs::read(cwd.join("failover-guide-b.leases")).expect("sample lease file");
    assert_eq!(before, after, "-T must not change the lease file");
}

/// The statements of the `failover peer "NAME" { … }` block of a configuration, as
/// `(keyword words, value)` pairs with comments removed, plus the relationship name.
fn peer_block(text: &str) -> (String, Vec<(String, String)>) {
    let mut name = None;
    let mut stmts = Vec::new();
    let mut inside = false;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if !inside {
            if let Some(rest) = line.strip_prefix("failover peer \"")
                && line.ends_with('{')
            {
                name = rest.split('"').next().map(str::to_string);
                inside = true;
            }
            continue;
        }
        if line.starts_with('}') {
            break;
        }
        let Some(stmt) = line.strip_suffix(';') else {
            assert!(
                line.is_empty(),
                "unexpected line in the peer block: {raw:?}"
            );
            continue;
        };
        // The value is the last word for every statement used here; the keyword is the rest.
        let words: Vec<&str> = stmt.split_whitespace().collect();
        match words.as_slice() {
            [single] => stmts.push(((*single).to_string(), String::new())),
            [kw @ .., value] => stmts.push((kw.join(" "), (*value).to_string())),
            [] => {}
        }
    }
    (name.expect("a failover peer block"), stmts)
}

fn get<'a>(stmts: &'a [(String, String)], kw: &str) -> Option<&'a str> {
    stmts.iter().find(|(k, _)| k == kw).map(|(_, v)| v.as_str())
}

#[test]
fn guide_pair_mirrors_itself() {
    let read = |n: &str| fs::read_to_string(examples_dir().join(n)).expect("example file");
    let (name_a, a) = peer_block(&read("failover-guide-a.conf"));
    let (name_b, b) = peer_block(&read("failover-guide-b.conf"));
    assert_eq!(
        name_a, name_b,
        "both servers must use the same relationship name"
    );
    assert!(get(&a, "primary").is_some() && get(&a, "secondary").is_none());
    assert!(get(&b, "secondary").is_some() && get(&b, "primary").is_none());
    assert_eq!(get(&a, "address"), get(&b, "peer address"));
    assert_eq!(get(&b, "address"), get(&a, "peer address"));
    assert_eq!(get(&a, "port"), get(&b, "peer port"));
    assert_eq!(get(&b, "port"), get(&a, "peer port"));
    for kw in ["mclt", "split", "hba"] {
        assert!(get(&b, kw).is_none(), "{kw} belongs on the primary only");
    }
    assert!(get(&a, "mclt").is_some() && get(&a, "split").is_some());
    // Each server decides by its own "load balance max seconds"; 0 or missing disables load
    // balancing on that server, so both carry the same non-zero value.
    let lb = "load balance max seconds";
    assert_eq!(get(&a, lb), get(&b, lb));
    assert!(get(&a, lb).is_some_and(|v| v != "0"));

    // Outside the peer block (and the header comment) the two files are the same.
    let strip = |t: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut inside = false;
        for l in t.lines() {
            let l = l.split('#').next().unwrap_or("").trim_end();
            if l.starts_with("failover peer \"") && l.ends_with('{') {
                inside = true;
            }
            if !inside && !l.trim().is_empty() {
                out.push(l.to_string());
            }
            if inside && l.trim_start().starts_with('}') {
                inside = false;
            }
        }
        out
    };
    assert_eq!(
        strip(&read("failover-guide-a.conf")),
        strip(&read("failover-guide-b.conf")),
        "A and B must differ only in the failover peer block"
    );
}

/// A runnable block of the guide: its first line number (1-based) and its text.
#[derive(Debug)]
struct Block {
    line: usize,
    text: String,
}

/// The blocks marked with [`MARKER`]. Panics when a marker is not directly followed by a
/// ```` ```sh ```` fence, or a block is not closed.
fn runnable_blocks(guide: &str) -> Vec<Block> {
    let lines: Vec<&str> = guide.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == MARKER {
            let fence = lines.get(i + 1).map(|l| l.trim());
            assert_eq!(
                fence,
                Some("```sh"),
                "docs/failover-guide.md line {}: {MARKER} must be followed by a ```sh fence",
                i + 1
            );
            let start = i + 2;
            let end = (start..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap_or_else(|| {
                    panic!("docs/failover-guide.md line {start}: unclosed run-here block")
                });
            blocks.push(Block {
                line: start + 1,
                text: lines[start..end].join("\n"),
            });
            i = end;
        }
        i += 1;
    }
    blocks
}

/// Commands a run-here block must never contain: they change the machine or its network.
const FORBIDDEN: &[&str] = &[
    "systemctl",
    "firewall-cmd",
    "nft ",
    "iptables",
    "dnf ",
    "rpm -",
    "ip addr",
    "ip link",
    "ip route",
    "chronyc",
    "omshell",
    "sudo",
    "rm -rf /",
    "/etc/",
    "/var/lib/",
];

/// Refuses a block that could change this machine (see [`FORBIDDEN`]) or start a server.
fn check_safe(b: &Block) {
    for line in b.text.lines() {
        let code = line.split('#').next().unwrap_or("");
        for bad in FORBIDDEN {
            assert!(
                !code.contains(bad),
                "run-here block at docs/failover-guide.md line {}: {bad:?} is not safe to run \
                 here: {line:?}",
                b.line
            );
        }
        // Any dhcpd invocation must be a check (-t / -T) or --version, never a server start.
        for (pos, _) in code.match_indices("dhcpd") {
            let after = &code[pos + "dhcpd".len()..];
            let is_command = after.starts_with(' ') || after.is_empty();
            let is_word_start = pos == 0
                || code[..pos]
                    .chars()
                    .last()
                    .is_some_and(|c| c == ' ' || c == '(' || c == '|' || c == ';' || c == '/');
            if !(is_command && is_word_start) {
                continue;
            }
            let args: Vec<&str> = after.split_whitespace().collect();
            let check = args
                .iter()
                .take_while(|a| !matches!(**a, "|" | "&&" | "||" | ";"))
                .any(|a| matches!(*a, "-t" | "-T" | "--version"));
            assert!(
                check,
                "run-here block at docs/failover-guide.md line {}: dhcpd without -t/-T would \
                 start a server: {line:?}",
                b.line
            );
        }
    }
}

#[test]
fn guide_run_here_blocks_succeed() {
    let guide = fs::read_to_string(guide_path()).expect("docs/failover-guide.md");
    let blocks = runnable_blocks(&guide);
    assert!(
        blocks.len() >= 3,
        "expected at least 3 {MARKER} blocks in docs/failover-guide.md, found {}",
        blocks.len()
    );
    for b in &blocks {
        check_safe(b);
    }
    let ours = our_dhcpd();
    for b in &blocks {
        let scratch = scratch_with_examples("guide-run");
        let dir = scratch.path();
        let bin = dir.join("bin");
        fs::create_dir(&bin).expect("bin/");
        std::os::unix::fs::symlink(&ours, bin.join("dhcpd")).expect("symlink our dhcpd");
        let script = dir.join("block.sh");
        fs::write(
            &script,
            format!("export PATH=\"$PWD/bin:$PATH\"\n{}\n", b.text),
        )
        .expect("write block.sh");
        let r = run_with_args(
            Path::new("/bin/bash"),
            dir,
            &["-e", "-o", "pipefail", "block.sh"],
            TIMEOUT,
        )
        .expect("run bash");
        assert!(
            r.accepted(),
            "run-here block at docs/failover-guide.md line {} failed ({}):\n--- block ---\n{}\n\
             --- output ---\n{}",
            b.line,
            r.status_text(),
            b.text,
            r.output
        );
    }
}

#[test]
fn marker_parser_and_safety_check_work() {
    let doc = "text\n<!-- run-here -->\n```sh\ndhcpd -4 -t -cf x.conf\necho ok\n```\n\n```sh\nsystemctl start dhcpd\n```\n";
    let blocks = runnable_blocks(doc);
    assert_eq!(blocks.len(), 1, "only the marked block counts");
    assert_eq!(blocks[0].line, 4);
    assert_eq!(blocks[0].text, "dhcpd -4 -t -cf x.conf\necho ok");
    check_safe(&blocks[0]);

    let unsafe_blocks = [
        "systemctl enable --now dhcpd",
        "dhcpd -4 -f -cf x.conf",
        "sudo dhcpd -t -cf x.conf",
        "firewall-cmd --add-service=dhcp",
        "grep x /var/lib/dhcpd/dhcpd.leases",
    ];
    for text in unsafe_blocks {
        let b = Block {
            line: 1,
            text: text.to_string(),
        };
        let refused = std::panic::catch_unwind(|| check_safe(&b)).is_err();
        assert!(refused, "{text:?} must be refused");
    }
    let misplaced =
        std::panic::catch_unwind(|| runnable_blocks("<!-- run-here -->\n\n```sh\n```\n"));
    assert!(
        misplaced.is_err(),
        "a marker not followed by the fence is an error"
    );
}
