//! The start-up rewrite of `dhcpd.leases`, ours against ISC dhcpd 4.4.3, on every DHCPv4 lease
//! file of the shared corpus that ISC accepts.
//!
//! For each file: two copies in two directories; ISC (`dhcpd -4 -f`) and ours start at the same
//! moment on them with the same configuration. ISC reads the file, expires what has ended,
//! rewrites the file (keeping `FILE~`) and only then looks for interfaces; it finds none (it
//! runs under `unshare -n`, in an empty network namespace of its own) and exits. Ours, also
//! under `unshare -n`, does the same rewrite and is then stopped. The two new files must be identical
//! but for the header line naming the writer, and the two backups identical byte for byte.
//!
//! Then `dhcpd -T` (check only) of both on the original file must print the same messages
//! (ours without its `help:` lines and banner), and ISC's `dhcpd -T` must accept the file we
//! wrote without a parse error and count the same leases as on its own file.
//!
//! The configurations: the failover lab's primary and secondary (shared/corpus/pcap/failover),
//! the single-server labs' (pcap/clients, pcap/edge), dhcpd-pools' own test configurations,
//! and for the other third-party files one generated configuration with a `/24` subnet and a
//! `.1`–`.254` range for every `/24` their leases use (so `.0` and `.255` are dropped as
//! "no subnet", as ISC does). Statements that do not matter to the lease file (options,
//! lease times, `authoritative`…) are left out, as the configuration reader does not know them
//! all yet. DHCPv6 files are skipped: dhcpd-rs is DHCPv4-only.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dhcpd_system_tests::{TempDir, corpus_dir, isc_dhcpd, our_dhcpd};

const FAILOVER_PEER: &str = r#"
failover peer "dhcp-failover" {
  ROLE;
  address ME;
  port MYPORT;
  peer address PEER;
  peer port PEERPORT;
  max-response-delay 30;
  max-unacked-updates 10;
  load balance max seconds 3;
  EXTRA
}

subnet 192.0.2.0 netmask 255.255.255.0 {
  pool {
    failover peer "dhcp-failover";
    range 192.0.2.20 192.0.2.254;
  }
}
"#;

fn failover_conf(primary: bool, nobalance: bool) -> String {
    let (role, me, port, peer, peerport, extra) = if primary {
        (
            "primary",
            "192.0.2.11",
            "647",
            "192.0.2.12",
            "847",
            if nobalance {
                "mclt 60;\n  split 128;\n  max-lease-misbalance 50;"
            } else {
                "mclt 60;\n  split 128;"
            },
        )
    } else {
        ("secondary", "192.0.2.12", "847", "192.0.2.11", "647", "")
    };
    FAILOVER_PEER
        .replace("ROLE", role)
        .replace("ME", me)
        .replace("MYPORT", port)
        .replace("PEERPORT", peerport)
        .replace("PEER", peer)
        .replace("EXTRA", extra)
}

const CLIENTS_CONF: &str = r#"
class "udhcp-clients" { }
class "dhcpcd-clients" { }
subnet 192.0.2.0 netmask 255.255.255.0 {
  pool {
    range 192.0.2.100 192.0.2.149;
    deny members of "udhcp-clients";
  }
  pool {
    range 192.0.2.150 192.0.2.199;
    allow members of "udhcp-clients";
  }
}
subnet 198.51.100.0 netmask 255.255.255.0 {
  range 198.51.100.100 198.51.100.199;
}
host c1-short {
  hardware ethernet 02:00:00:00:01:01;
}
host c4-fixed {
  hardware ethernet 02:00:00:00:01:04;
  fixed-address 192.0.2.20;
}
"#;

const EDGE_CONF: &str = r#"
class "port-1" { }
subnet 192.0.2.0 netmask 255.255.255.0 {
  range 192.0.2.100 192.0.2.149;
}
subnet 198.51.100.0 netmask 255.255.255.0 {
  pool {
    range 198.51.100.100 198.51.100.149;
    deny members of "port-1";
  }
  pool {
    range 198.51.100.150 198.51.100.199;
    allow members of "port-1";
  }
}
subnet 203.0.113.0 netmask 255.255.255.0 {
  pool {
    allow dynamic bootp clients;
    range 203.0.113.100 203.0.113.149;
  }
}
host bootp-fixed {
  hardware ethernet 02:00:00:00:0e:06;
  fixed-address 192.0.2.21;
}
"#;

/// A configuration covering every `/24` the file's leases use with a `.1`–`.254` range.
fn generated_conf(leases: &str) -> String {
    let mut nets = BTreeSet::new();
    for line in leases.lines() {
        let Some(rest) = line.strip_prefix("lease ") else {
            continue;
        };
        let addr = rest.split_whitespace().next().unwrap_or("");
        if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
            let o = a.octets();
            nets.insert((o[0], o[1], o[2]));
        }
    }
    let mut out = String::new();
    for (a, b, c) in nets {
        out.push_str(&format!(
            "subnet {a}.{b}.{c}.0 netmask 255.255.255.0 {{\n  range {a}.{b}.{c}.1 {a}.{b}.{c}.254;\n}}\n"
        ));
    }
    out
}

/// The configuration for a corpus file, or `None` to skip it (with the reason).
fn conf_for(name: &str, text: &str, corpus: &Path) -> Result<String, &'static str> {
    if name.starts_with("isc-failover-") {
        let primary = name.ends_with("-primary.leases");
        let nobalance = primary && name.starts_with("isc-failover-j-");
        return Ok(failover_conf(primary, nobalance));
    }
    if name == "isc-single-edge.leases" {
        return Ok(EDGE_CONF.to_string());
    }
    if name.starts_with("isc-single-") {
        return Ok(CLIENTS_CONF.to_string());
    }
    if text.contains("ia-na ") || text.contains("ia-pd ") || text.contains("ia-ta ") {
        return Err("DHCPv6 lease file (dhcpd-rs is DHCPv4-only)");
    }
    if let Some(rest) = name.strip_prefix("isc-src-dhcpd-pools-tests-leases-") {
        let base = rest.trim_end_matches(".leases");
        let conf = corpus.join(format!(
            "conf/accepted/dhcpd-pools-tests-confs-{}.conf",
            if base == "same-twice" { "simple" } else { base }
        ));
        if let Ok(c) = fs::read_to_string(&conf) {
            return Ok(c);
        }
        if base == "one-ip" || base == "v6" {
            return Err("ISC rejects the matching configuration");
        }
    }
    Ok(generated_conf(text))
}

fn run(dir: &Path, cmd: &mut Command) -> Output {
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Starts ISC and ours at the same moment, each in an empty network namespace of its own
/// (`unshare -n`), so neither can ever serve on this machine's network. ISC exits once it finds
/// no interface; ours is stopped (SIGTERM, then SIGKILL) once its rewrite is in place.
fn start_both(isc: &Path, ours: &Path, a: &Path, b: &Path) -> Option<i32> {
    let args = [
        "-4",
        "-f",
        "-cf",
        "../dhcpd.conf",
        "-lf",
        "dhcpd.leases",
        "-pf",
        "dhcpd.pid",
    ];
    let mut ci = Command::new("unshare");
    ci.arg("-n").arg(isc).args(args).current_dir(a);
    // Ours serves when it finds an interface with a subnet: like ISC, it must run in an empty
    // network namespace of its own, so it can never answer on this machine's real network.
    let mut co = Command::new("unshare");
    co.arg("-n").arg(ours).args(args).current_dir(b);
    for c in [&mut ci, &mut co] {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    let mut pi = ci.spawn().expect("start ISC dhcpd");
    let mut po = co.spawn().expect("start our dhcpd");
    let _ = pi.wait();
    let deadline = Instant::now() + Duration::from_secs(20);
    let rewritten = || {
        b.join("dhcpd.leases~").exists()
            && fs::read_to_string(b.join("dhcpd.leases"))
                .is_ok_and(|t| t.starts_with("# The format of this file"))
    };
    loop {
        if let Ok(Some(st)) = po.try_wait() {
            return st.code();
        }
        if rewritten() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Still running (serving nothing in its empty namespace): stop it, as an operator would.
    let _ = Command::new("kill")
        .args(["-TERM", &po.id().to_string()])
        .status();
    let stop = Instant::now() + Duration::from_secs(5);
    while Instant::now() < stop {
        if let Ok(Some(st)) = po.try_wait() {
            return st.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = po.kill();
    po.wait().ok().and_then(|s| s.code())
}

fn without_writer(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("# This lease file was written by"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines ISC prints under `-T` that dhcpd-rs does not: the outcome of the `execute`
/// commands of expired leases' `on expiry` bodies (ISC runs them even when only checking;
/// dhcpd-rs runs them only when it serves), and a debug line of ISC's hash code.
const ISC_EXECUTE_LINES: &[&str] = &[
    "Unexpected hash function at ",
    "execute: ",
    "Unable to execute ",
];

/// Files whose rewrite differs from ISC's in the `host` records only: ISC writes them in the
/// order of its host name hash table (dhcpd-rs: name order) and re-prints their statements
/// (`option host-name "x";` → `supersede host-name = "x";`; dhcpd-rs keeps them as read); see
/// docs/compatibility.md. For these the test checks that everything but the host records is
/// identical and that both files have the same number of host records.
const HOST_RECORDS_DIFFER: &[&str] = &["isc-src-foreman-smart-proxy-fixtures-dhcp.leases"];

/// The messages of a `-T` run after `PID file:`, without our `help:` lines, with the
/// temporary file's time suffix blanked. Of a positioned message only the `FILE line N:
/// message` line is kept (ISC shows the source line only as far as it had read it; ours shows
/// the whole line).
fn t_messages(out: &Output) -> Vec<String> {
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = Vec::new();
    let mut on = false;
    let mut skip = 0;
    for l in text.lines() {
        if l.starts_with("PID file:") {
            on = true;
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if !on || l.starts_with("help: ") || ISC_EXECUTE_LINES.iter().any(|p| l.starts_with(p)) {
            continue;
        }
        if l.contains(" line ") && l.contains(": ") && l.starts_with('/') {
            skip = 2;
        }
        let l = match l.rfind(".leases.") {
            Some(i) if l.starts_with("Lease file test successful") => {
                format!("{}.leases.NNNN", &l[..i])
            }
            _ => l.to_string(),
        };
        lines.push(l);
    }
    lines
}

/// A program on the PATH or in /usr/sbin, /usr/bin.
fn tool_path(name: &str) -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/sbin".into());
    dirs.push("/usr/bin".into());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

fn wrote_count(msgs: &[String]) -> Option<String> {
    msgs.iter()
        .find(|l| l.starts_with("Wrote ") && l.ends_with(" leases to leases file."))
        .cloned()
}

#[test]
fn startup_rewrite_matches_isc() {
    let Some(isc) = isc_dhcpd() else { return };
    let ours = our_dhcpd();
    let corpus = corpus_dir();
    let dir = corpus.join("leases");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("corpus leases")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".leases"))
        .collect();
    names.sort();
    assert!(names.len() >= 60, "corpus too small: {}", names.len());

    let mut compared = 0;
    let mut consumer_runs = 0;
    let mut missing_tools = BTreeSet::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for name in &names {
        let path = dir.join(name);
        let text = String::from_utf8_lossy(&fs::read(&path).expect("read")).into_owned();
        let conf = match conf_for(name, &text, &corpus) {
            Ok(c) => c,
            Err(why) => {
                skipped.push(format!("{name}: {why}"));
                continue;
            }
        };
        let tmp = TempDir::new("leases-startup").expect("tempdir");
        let root = tmp.path().to_path_buf();
        fs::write(root.join("dhcpd.conf"), &conf).expect("write conf");
        // ISC must accept the configuration (else the case is not one ISC accepts).
        let t = run(
            &root,
            Command::new(&isc).args(["-4", "-t", "-cf", "dhcpd.conf"]),
        );
        if !t.status.success() {
            skipped.push(format!("{name}: ISC rejects the configuration"));
            continue;
        }

        // -T on the original: same messages.
        let tdir = root.join("t");
        fs::create_dir_all(&tdir).expect("mkdir");
        fs::copy(&path, tdir.join("dhcpd.leases")).expect("copy");
        let targs = ["-4", "-T", "-cf", "../dhcpd.conf", "-lf", "dhcpd.leases"];
        let ti = run(&tdir, Command::new(&isc).args(targs));
        let to = run(&tdir, Command::new(&ours).args(targs));
        if ti.status.code() != to.status.code() {
            failures.push(format!(
                "{name}: -T exit {:?} (ISC) vs {:?} (ours)",
                ti.status.code(),
                to.status.code()
            ));
        }
        let (mi, mo) = (t_messages(&ti), t_messages(&to));
        if mi != mo {
            failures.push(format!(
                "{name}: -T messages differ\nISC:\n{}\nours:\n{}",
                mi.join("\n"),
                mo.join("\n")
            ));
        }

        // The start-up rewrite, both at once; retried when the two straddle a second.
        let mut last_diff = String::new();
        let mut same = false;
        for _attempt in 0..3 {
            let (a, b) = (root.join("isc"), root.join("ours"));
            for d in [&a, &b] {
                let _ = fs::remove_dir_all(d);
                fs::create_dir_all(d).expect("mkdir");
                fs::copy(&path, d.join("dhcpd.leases")).expect("copy");
            }
            let _ = start_both(&isc, &ours, &a, &b);
            let ri = fs::read_to_string(a.join("dhcpd.leases")).unwrap_or_default();
            let ro = fs::read_to_string(b.join("dhcpd.leases")).unwrap_or_default();
            let bi = fs::read(a.join("dhcpd.leases~")).unwrap_or_default();
            let bo = fs::read(b.join("dhcpd.leases~")).unwrap_or_default();
            assert!(
                ri.starts_with("# The format of this file"),
                "{name}: ISC did not rewrite the file"
            );
            let same_text = if HOST_RECORDS_DIFFER.contains(&name.as_str()) {
                let (hi, rest_i) = split_hosts(&without_writer(&ri));
                let (ho, rest_o) = split_hosts(&without_writer(&ro));
                hi == ho && rest_i == rest_o
            } else {
                without_writer(&ri) == without_writer(&ro)
            };
            if same_text && bi == bo {
                same = true;
                // ISC -T accepts what we wrote and counts what it counts on its own file.
                let ci = run(&a, Command::new(&isc).args(targs));
                let co = run(&b, Command::new(&isc).args(targs));
                let (mi, mo) = (t_messages(&ci), t_messages(&co));
                if !co.status.success() || mo.iter().any(|l| l.contains(" line ")) {
                    failures.push(format!(
                        "{name}: ISC -T on our file: {:?}\n{}",
                        co.status.code(),
                        mo.join("\n")
                    ));
                }
                // Lease-file consumers report the same for both files.
                for (tool, args) in [
                    (
                        "dhcpd-pools",
                        vec!["-c", "../dhcpd.conf", "-l", "dhcpd.leases", "-f", "t"],
                    ),
                    (
                        "dhcp-lease-list",
                        vec!["--lease", "dhcpd.leases", "--parsable", "--all"],
                    ),
                ] {
                    let Some(path) = tool_path(tool) else {
                        missing_tools.insert(tool);
                        continue;
                    };
                    let ri = run(&a, Command::new(&path).args(&args));
                    let ro = run(&b, Command::new(&path).args(&args));
                    consumer_runs += 1;
                    if ri.stdout != ro.stdout || ri.status.code() != ro.status.code() {
                        failures.push(format!(
                            "{name}: {tool} reports differently\nISC's file:\n{}\nours:\n{}",
                            String::from_utf8_lossy(&ri.stdout),
                            String::from_utf8_lossy(&ro.stdout)
                        ));
                    }
                }
                if wrote_count(&mi) != wrote_count(&mo) || wrote_count(&mo).is_none() {
                    failures.push(format!(
                        "{name}: ISC -T counts {:?} on its file, {:?} on ours",
                        wrote_count(&mi),
                        wrote_count(&mo)
                    ));
                }
                break;
            }
            last_diff = first_difference(&ri, &ro, &bi, &bo);
        }
        if same {
            compared += 1;
        } else {
            failures.push(format!("{name}: rewrite differs: {last_diff}"));
        }
    }
    println!(
        "lease files compared: {compared}; consumer runs: {consumer_runs}; skipped: {}\n{}",
        skipped.len(),
        skipped.join("\n")
    );
    // The consumers are test dependencies (scripts/install-test-deps.sh): absent means failure.
    assert!(
        missing_tools.is_empty(),
        "lease-file consumers not installed: {missing_tools:?} (run scripts/install-test-deps.sh)"
    );
    assert!(
        failures.is_empty(),
        "{} of {} lease files differ from ISC:\n{}",
        failures.len(),
        compared + failures.len(),
        failures.join("\n\n")
    );
    assert!(compared >= 50, "only {compared} files compared");
}

/// The number of `host` records, and the text without them.
fn split_hosts(text: &str) -> (usize, String) {
    let (mut n, mut rest, mut inside) = (0, String::new(), false);
    for l in text.lines() {
        if !inside && l.starts_with("host ") {
            inside = true;
            n += 1;
        }
        if !inside {
            rest.push_str(l);
            rest.push('\n');
        }
        if inside && l == "}" {
            inside = false;
        }
    }
    (n, rest)
}

fn first_difference(ri: &str, ro: &str, bi: &[u8], bo: &[u8]) -> String {
    let (a, b) = (without_writer(ri), without_writer(ro));
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: ISC {x:?}, ours {y:?}", n + 2);
        }
    }
    if a.lines().count() != b.lines().count() {
        return format!(
            "ISC wrote {} lines, ours {}",
            a.lines().count(),
            b.lines().count()
        );
    }
    if bi != bo {
        return format!(
            "the backups differ ({} bytes ISC, {} ours)",
            bi.len(),
            bo.len()
        );
    }
    String::new()
}

/// A lease that ended before start-up with an `on expiry` body: both servers run it while
/// they expire the lease (`set`/`unset` change the lease written, `execute` runs), and write
/// the same file and backup.
#[test]
fn startup_expiry_runs_on_expiry_bodies_as_isc_does() {
    let Some(isc) = isc_dhcpd() else { return };
    let ours = our_dhcpd();
    let tmp = TempDir::new("leases-hooks").expect("tempdir");
    let root = tmp.path().to_path_buf();
    fs::write(
        root.join("dhcpd.conf"),
        "ddns-update-style none;\n\
         subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.10 198.51.100.20; }\n",
    )
    .expect("conf");
    let lease = |addr: &str, mac: &str| {
        format!(
            "lease {addr} {{\n  starts 4 2020/11/26 10:00:00;\n  ends 4 2020/11/26 11:00:00;\n  \
             cltt 4 2020/11/26 10:00:00;\n  binding state active;\n  next binding state free;\n  \
             rewind binding state free;\n  hardware ethernet {mac};\n  set kept = \"k\";\n  \
             set other = %7;\n  on expiry {{\n    set lapsed = concat (\"gone-\", \
             binary-to-ascii (10, 8, \".\", leased-address));\n    unset kept;\n    \
             log (info, concat (\"hook expired \", binary-to-ascii (10, 8, \".\", leased-address)));\n    \
             execute (\"/bin/sh\", \"-c\", \"echo $0 >> ran\", binary-to-ascii (10, 8, \".\", leased-address));\n  \
             }}\n}}\n"
        )
    };
    let text =
        lease("198.51.100.10", "00:00:5e:00:53:01") + &lease("198.51.100.11", "00:00:5e:00:53:02");
    let (a, b) = (root.join("isc"), root.join("ours"));
    for d in [&a, &b] {
        fs::create_dir_all(d).expect("dir");
        fs::write(d.join("dhcpd.leases"), &text).expect("leases");
    }
    start_both(&isc, &ours, &a, &b);
    let read = |d: &Path, f: &str| fs::read_to_string(d.join(f)).unwrap_or_default();
    let (fi, fo) = (read(&a, "dhcpd.leases"), read(&b, "dhcpd.leases"));
    assert!(
        fi.contains("set lapsed = \"gone-198.51.100.10\";"),
        "ISC ran the body:\n{fi}"
    );
    assert!(!fi.contains("set kept"), "ISC's unset:\n{fi}");
    assert_eq!(without_writer(&fi), without_writer(&fo), "new files differ");
    assert_eq!(
        read(&a, "dhcpd.leases~"),
        read(&b, "dhcpd.leases~"),
        "backups differ"
    );
    // Each server ran the `execute` of both leases, once each.
    let mut ran_i: Vec<String> = read(&a, "ran").lines().map(str::to_string).collect();
    let mut ran_o: Vec<String> = read(&b, "ran").lines().map(str::to_string).collect();
    ran_i.sort();
    ran_o.sort();
    assert_eq!(ran_i, vec!["198.51.100.10", "198.51.100.11"]);
    assert_eq!(ran_o, ran_i);
}
