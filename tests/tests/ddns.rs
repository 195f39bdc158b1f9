//! DDNS against a real DNS server: BIND (`named`) serves `example.org` and
//! `100.51.198.in-addr.arpa` as dynamic zones that take updates signed with a TSIG key
//! (hmac-sha256). A dhclient sending a host name gets a lease, first from ISC dhcpd 4.4.3, then
//! from ours, on the same configuration (`ddns-update-style standard`, then `interim`); `dig`
//! must show the same A, DHCID/TXT and PTR records (TTLs included), the lease files the same
//! `set ddns-…` lines, and after the client's DHCPRELEASE the records must be gone.
//! Everything runs in network namespaces on TEST-NET-2.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd};
use dhcpd_testlab::{Lab, hook_script};

const SECRET: &str = "ZGhjcGQtcnMtZGRucy1sYWItc2VjcmV0LTMyYnl0ZSE=";
const MAC: &str = "02:00:00:00:00:42";

fn named_conf(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; listen-on {{ 198.51.100.2; }};\n\
         listen-on-v6 {{ none; }}; recursion no; dnssec-validation no; }};\n\
         controls {{ }};\n\
         key \"ddns-key\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n\
         zone \"example.org\" {{ type master; file \"{d}/fwd.db\"; allow-update {{ key ddns-key; }}; }};\n\
         zone \"100.51.198.in-addr.arpa\" {{ type master; file \"{d}/rev.db\"; allow-update {{ key ddns-key; }}; }};\n"
    )
}

const ZONE: &str = "$TTL 300\n@ IN SOA ns.example.org. admin.example.org. 1 3600 600 86400 300\n\
@ IN NS ns.example.org.\n";

fn dhcpd_conf(style: &str) -> String {
    format!(
        "ddns-update-style {style};\nddns-domainname \"example.org\";\n\
         authoritative;\nping-check false;\ndefault-lease-time 600;\nmax-lease-time 600;\n\
         key ddns-key {{ algorithm hmac-sha256; secret \"{SECRET}\"; }}\n\
         zone example.org. {{ primary 198.51.100.2; key ddns-key; }}\n\
         zone 100.51.198.in-addr.arpa. {{ primary 198.51.100.2; key ddns-key; }}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.100 198.51.100.110; }}\n"
    )
}

struct Result {
    /// `dig` answers after the ACK: A, guard, PTR.
    added: Vec<String>,
    /// The lease file's `set ddns-…` lines after the updates.
    vars: Vec<String>,
    /// `dig` answers after the release.
    removed: Vec<String>,
    log: String,
}

fn dig(lab: &Lab, ns: &str, args: &[&str]) -> String {
    let mut a = vec!["dig", "@198.51.100.2", "+noall", "+answer", "+norecurse"];
    a.extend_from_slice(args);
    let out = lab.exec(ns, &a, Duration::from_secs(10)).expect("dig");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ddns_lines(leases: &str) -> Vec<String> {
    // The last record of the lease that has them.
    let mut last = Vec::new();
    let mut cur = Vec::new();
    for l in leases.lines() {
        let t = l.trim();
        if t.starts_with("lease ") {
            cur.clear();
        } else if t.starts_with("set ddns-") {
            cur.push(t.to_string());
        } else if t == "}" {
            last = cur.clone();
        }
    }
    last
}

fn run(which: &str, program: &Path, style: &str, guard: &str) -> Result {
    let mut lab = Lab::new(&format!("dd{which}{}", &style[..1])).expect("lab (root needed)");
    let s = lab.add_host("s").expect("s");
    lab.connect(&s, "lan", "eth0", &["198.51.100.2/24"])
        .expect("s eth0");
    let c = lab.add_host("c").expect("c");
    lab.connect(&c, "lan", "eth0", &[]).expect("c eth0");
    let dir = TempDir::new("ddns").expect("tempdir");
    let f = |x: &str| dir.path().join(x);
    std::fs::write(f("named.conf"), named_conf(dir.path())).expect("named.conf");
    std::fs::write(f("fwd.db"), format!("{ZONE}ns IN A 198.51.100.2\n")).expect("zone");
    std::fs::write(f("rev.db"), ZONE).expect("zone");
    let nlog = std::fs::File::create(f("named.log")).expect("log");
    let mut cmd = lab.command(&s, "/usr/sbin/named");
    cmd.args(["-g", "-4", "-c"])
        .arg(f("named.conf"))
        .stdout(Stdio::null())
        .stderr(nlog);
    lab.spawn(cmd)
        .expect("named (install bind9: scripts/install-test-deps.sh)");
    let nread = || std::fs::read_to_string(f("named.log")).unwrap_or_default();
    assert!(
        Lab::wait_for(Duration::from_secs(20), || nread().contains("running")),
        "named did not start:\n{}",
        nread()
    );
    std::fs::write(f("dhcpd.conf"), dhcpd_conf(style)).expect("conf");
    std::fs::write(f("leases"), "").expect("leases");
    let log = std::fs::File::create(f("log")).expect("log");
    let mut cmd = lab.command(&s, program.to_str().expect("utf8"));
    cmd.args(["-4", "-f", "-d", "-cf"])
        .arg(f("dhcpd.conf"))
        .arg("-lf")
        .arg(f("leases"))
        .arg("-pf")
        .arg(f("dhcpd.pid"))
        .arg("eth0")
        .stdout(Stdio::null())
        .stderr(log);
    let dpid = lab.spawn(cmd).expect("dhcpd");
    let read = || std::fs::read_to_string(f("log")).unwrap_or_default();
    assert!(
        Lab::wait_for(Duration::from_secs(20), || read()
            .contains("Server starting service")
            || read().contains("Sending on")),
        "{which}: dhcpd did not start:\n{}",
        read()
    );
    for args in [
        vec!["ip", "link", "set", "eth0", "down"],
        vec!["ip", "link", "set", "eth0", "address", MAC],
        vec!["ip", "link", "set", "eth0", "up"],
    ] {
        let out = lab.exec(&c, &args, Duration::from_secs(5)).expect("ip");
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    std::fs::write(f("dhclient.conf"), "send host-name \"box\";\n").expect("cf");
    let hook = hook_script();
    let client = |release: bool| {
        let mut a: Vec<String> = vec!["dhclient".into()];
        if release {
            a.push("-r".into());
        } else {
            a.push("-1".into());
        }
        for (k, v) in [
            ("-sf", hook.clone()),
            ("-lf", f("dhclient.leases")),
            ("-pf", f("dhclient.pid")),
            ("-cf", f("dhclient.conf")),
        ] {
            a.push(k.into());
            a.push(v.to_string_lossy().into_owned());
        }
        a.push("eth0".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = lab.exec(&c, &a, Duration::from_secs(25)).expect("dhclient");
        assert!(out.status.success(), "{which}: dhclient {a:?}: {out:?}");
    };
    client(false);
    let done = Lab::wait_for(Duration::from_secs(20), || {
        std::fs::read_to_string(f("leases")).is_ok_and(|l| l.contains("set ddns-rev-name"))
    });
    let leases = std::fs::read_to_string(f("leases")).unwrap_or_default();
    assert!(
        done,
        "{which}: no ddns-rev-name in the lease file:\n{leases}\n{}\n{}",
        read(),
        nread()
    );
    let addr = leases
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("lease ").and_then(|r| r.split(' ').next()))
        .expect("a lease")
        .to_string();
    let added = vec![
        dig(&lab, &s, &["box.example.org", "A"]),
        dig(&lab, &s, &["box.example.org", guard]),
        dig(&lab, &s, &["-x", &addr]),
    ];
    let vars = ddns_lines(&leases);
    // dhclient -r: stops the running client and releases.
    client(true);
    let gone = Lab::wait_for(Duration::from_secs(20), || {
        dig(&lab, &s, &["box.example.org", "A"]).is_empty()
            && dig(&lab, &s, &["-x", &addr]).is_empty()
    });
    let removed = vec![
        dig(&lab, &s, &["box.example.org", "A"]),
        dig(&lab, &s, &["box.example.org", guard]),
        dig(&lab, &s, &["-x", &addr]),
    ];
    lab.stop(dpid);
    assert!(
        gone,
        "{which}: records not removed: {removed:?}\n{}",
        read()
    );
    Result {
        added,
        vars,
        removed,
        log: read(),
    }
}

fn compare(style: &str, guard: &str) {
    let Some(isc) = isc_dhcpd() else { return };
    let ours: PathBuf = our_dhcpd();
    let a = run("isc", &isc, style, guard);
    let b = run("ours", &ours, style, guard);
    eprintln!(
        "ISC:  {:?}\n      {:?}\nours: {:?}\n      {:?}",
        a.added, a.vars, b.added, b.vars
    );
    for r in [&a, &b] {
        assert!(
            r.added.iter().all(|x| !x.is_empty()),
            "records missing: {:?}\n{}",
            r.added,
            r.log
        );
        assert_eq!(r.vars.len(), 3, "{:?}", r.vars);
        assert!(r.removed.iter().all(String::is_empty), "{:?}", r.removed);
    }
    assert_eq!(
        a.added, b.added,
        "DNS records differ\nISC:\n{}\nours:\n{}",
        a.log, b.log
    );
    assert_eq!(a.vars, b.vars, "lease variables differ");
}

#[test]
fn standard_style_adds_and_removes_a_dhcid_ptr_as_isc() {
    compare("standard", "DHCID");
}

#[test]
fn interim_style_adds_and_removes_a_txt_ptr_as_isc() {
    compare("interim", "TXT");
}
