//! DDNS against a real DNS server: BIND (`named`) serves `example.org` and
//! `100.51.198.in-addr.arpa` as dynamic zones that take updates signed with a TSIG key
//! (hmac-sha256). A dhclient sending a host name gets a lease, first from ISC dhcpd 4.4.3, then
//! from ours, on the same configuration (`ddns-update-style standard`, then `interim`); `dig`
//! must show the same A, DHCID/TXT and PTR records (TTLs included), the lease files the same
//! `set ddns-…` lines, and after the client's DHCPRELEASE the records must be gone.
//! Further cases: a short lease whose client vanishes (SIGKILL) expires while the server runs,
//! or while it is stopped (the start-up expiry removes the records); both must remove the
//! records, write the same lease records from the expiry on and update again when the client
//! comes back. A host's `fixed-address` is updated with `update-static-leases on` only.
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
    dhcpd_conf_with(style, 600, "")
}

/// The lab's configuration with lease time `secs` and `extra` at the end.
fn dhcpd_conf_with(style: &str, secs: u32, extra: &str) -> String {
    format!(
        "ddns-update-style {style};\nddns-domainname \"example.org\";\n\
         authoritative;\nping-check false;\ndefault-lease-time {secs};\nmax-lease-time {secs};\n\
         key ddns-key {{ algorithm hmac-sha256; secret \"{SECRET}\"; }}\n\
         zone example.org. {{ primary 198.51.100.2; key ddns-key; }}\n\
         zone 100.51.198.in-addr.arpa. {{ primary 198.51.100.2; key ddns-key; }}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.100 198.51.100.110; }}\n\
         {extra}"
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

fn ddns_lines(leases: &str) -> Vec<String> {
    // The set lines of the file's last lease record.
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

/// The lease records of a lease file from the first one that is not active on (the
/// expiry, or at start-up the rewrite's), times reduced to their keyword.
fn lease_records(leases: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for l in leases.lines() {
        let t = l.trim();
        if t.starts_with("lease ") {
            cur = Some(vec![t.to_string()]);
        } else if t == "}" {
            if let Some(c) = cur.take() {
                all.push(c.join(" | "));
            }
        } else if let Some(c) = cur.as_mut() {
            let key = t.split(' ').next().unwrap_or("");
            if ["starts", "ends", "cltt", "tstp", "tsfp", "atsfp"].contains(&key) {
                c.push(key.to_string());
            } else {
                c.push(t.to_string());
            }
        }
    }
    let first = all
        .iter()
        .position(|r| !r.contains("binding state active"))
        .unwrap_or(all.len());
    all.split_off(first)
}

/// One lab: BIND on the server host with dhcpd (ISC's or ours), a client host.
struct Bed {
    lab: Lab,
    s: String,
    c: String,
    dir: TempDir,
    which: String,
    program: PathBuf,
    dhcpd: Option<u32>,
    /// dhcpd runs so far (each logs to a file of its own).
    starts: usize,
}

impl Bed {
    fn new(tag: &str, which: &str, program: &Path, conf: &str) -> Bed {
        let mut lab = Lab::new(tag).expect("lab (root needed)");
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
        std::fs::write(f("dhcpd.conf"), conf).expect("conf");
        std::fs::write(f("leases"), "").expect("leases");
        std::fs::write(f("dhclient.conf"), "send host-name \"box\";\n").expect("cf");
        let mut bed = Bed {
            lab,
            s,
            c,
            dir,
            which: which.to_string(),
            program: program.to_path_buf(),
            dhcpd: None,
            starts: 0,
        };
        assert!(
            Lab::wait_for(Duration::from_secs(20), || bed
                .named_log()
                .contains("running")),
            "named did not start:\n{}",
            bed.named_log()
        );
        for args in [
            vec!["ip", "link", "set", "eth0", "down"],
            vec!["ip", "link", "set", "eth0", "address", MAC],
            vec!["ip", "link", "set", "eth0", "up"],
        ] {
            let out = bed
                .lab
                .exec(&bed.c, &args, Duration::from_secs(5))
                .expect("ip");
            assert!(out.status.success(), "{args:?}: {out:?}");
        }
        bed.start_dhcpd();
        bed
    }

    fn f(&self, x: &str) -> PathBuf {
        self.dir.path().join(x)
    }

    fn named_log(&self) -> String {
        std::fs::read_to_string(self.f("named.log")).unwrap_or_default()
    }

    /// Every dhcpd run's log, in order.
    fn log(&self) -> String {
        (1..=self.starts)
            .map(|i| std::fs::read_to_string(self.f(&format!("log{i}"))).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("---- restart ----\n")
    }

    fn leases(&self) -> String {
        std::fs::read_to_string(self.f("leases")).unwrap_or_default()
    }

    fn start_dhcpd(&mut self) {
        self.starts += 1;
        let name = format!("log{}", self.starts);
        let log = std::fs::File::create(self.f(&name)).expect("log");
        let mut cmd = self
            .lab
            .command(&self.s, self.program.to_str().expect("utf8"));
        cmd.args(["-4", "-f", "-d", "-cf"])
            .arg(self.f("dhcpd.conf"))
            .arg("-lf")
            .arg(self.f("leases"))
            .arg("-pf")
            .arg(self.f("dhcpd.pid"))
            .arg("eth0")
            .stdout(Stdio::null())
            .stderr(log);
        self.dhcpd = Some(self.lab.spawn(cmd).expect("dhcpd"));
        let read = || std::fs::read_to_string(self.f(&name)).unwrap_or_default();
        assert!(
            Lab::wait_for(Duration::from_secs(20), || read()
                .contains("Server starting service")
                || read().contains("Sending on")),
            "{}: dhcpd did not start:\n{}",
            self.which,
            read()
        );
    }

    fn stop_dhcpd(&mut self) {
        if let Some(pid) = self.dhcpd.take() {
            self.lab.stop(pid);
        }
    }

    /// dhclient: one lease (it then stays in the background), or `-r` (release).
    fn client(&self, release: bool) {
        let hook = hook_script();
        let mut a: Vec<String> = vec!["dhclient".into(), if release { "-r" } else { "-1" }.into()];
        for (k, v) in [
            ("-sf", hook),
            ("-lf", self.f("dhclient.leases")),
            ("-pf", self.f("dhclient.pid")),
            ("-cf", self.f("dhclient.conf")),
        ] {
            a.push(k.into());
            a.push(v.to_string_lossy().into_owned());
        }
        a.push("eth0".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = self
            .lab
            .exec(&self.c, &a, Duration::from_secs(25))
            .expect("dhclient");
        assert!(
            out.status.success(),
            "{}: dhclient {a:?}: {out:?}",
            self.which
        );
    }

    /// Ends the background dhclient at once (SIGKILL: no release, no renewal).
    fn kill_client(&self) {
        let pid = std::fs::read_to_string(self.f("dhclient.pid")).unwrap_or_default();
        let pid = pid.trim();
        assert!(
            !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
            "no dhclient pid"
        );
        let out = self
            .lab
            .exec(&self.c, &["kill", "-9", pid], Duration::from_secs(5))
            .expect("kill");
        assert!(out.status.success(), "kill -9 {pid}: {out:?}");
    }

    fn dig(&self, args: &[&str]) -> String {
        let mut a = vec!["dig", "@198.51.100.2", "+noall", "+answer", "+norecurse"];
        a.extend_from_slice(args);
        let out = self
            .lab
            .exec(&self.s, &a, Duration::from_secs(10))
            .expect("dig");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A, guard and PTR answers for the client's name and `addr`.
    fn records(&self, guard: &str, addr: &str) -> Vec<String> {
        vec![
            self.dig(&["box.example.org", "A"]),
            self.dig(&["box.example.org", guard]),
            self.dig(&["-x", addr]),
        ]
    }

    /// Waits for all three records to be gone.
    fn wait_removed(&self, guard: &str, addr: &str, secs: u64) -> bool {
        Lab::wait_for(Duration::from_secs(secs), || {
            self.records(guard, addr).iter().all(String::is_empty)
        })
    }

    /// Gets a lease and waits for the updates to be recorded on it; returns its address.
    fn lease_with_updates(&self) -> String {
        self.client(false);
        let done = Lab::wait_for(Duration::from_secs(20), || {
            self.leases().contains("set ddns-rev-name")
        });
        let leases = self.leases();
        assert!(
            done,
            "{}: no ddns-rev-name in the lease file:\n{leases}\n{}\n{}",
            self.which,
            self.log(),
            self.named_log()
        );
        leases
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("lease ").and_then(|r| r.split(' ').next()))
            .expect("a lease")
            .to_string()
    }
}

fn run(which: &str, program: &Path, style: &str, guard: &str) -> Result {
    let tag = format!("dd{which}{}", &style[..1]);
    let mut bed = Bed::new(&tag, which, program, &dhcpd_conf(style));
    let addr = bed.lease_with_updates();
    let added = bed.records(guard, &addr);
    let vars = ddns_lines(&bed.leases());
    // dhclient -r: stops the running client and releases.
    bed.client(true);
    let gone = bed.wait_removed(guard, &addr, 20);
    let removed = bed.records(guard, &addr);
    bed.stop_dhcpd();
    assert!(
        gone,
        "{which}: records not removed: {removed:?}\n{}",
        bed.log()
    );
    Result {
        added,
        vars,
        removed,
        log: bed.log(),
    }
}

fn compare(style: &str, guard: &str) {
    let Some(isc) = isc_dhcpd() else { return };
    let ours: PathBuf = our_dhcpd();
    let a = run("isc", &isc, style, guard);
    let b = run("ours", &ours, style, guard);
    same_dns(&a, &b);
}

/// ISC's run `a` and ours `b` both added every record, stored the three `ddns-*` variables
/// and removed the records again, and agree on the records and the variables.
fn same_dns(a: &Result, b: &Result) {
    eprintln!(
        "ISC:  {:?}\n      {:?}\nours: {:?}\n      {:?}",
        a.added, a.vars, b.added, b.vars
    );
    for r in [a, b] {
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

/// The lease time of the expiry cases (seconds): short, and the client is killed before
/// its renewal time.
const SHORT: u32 = 8;

struct Expiry {
    /// The records after the ACK, the lease's `set ddns-…` lines once the updates are in,
    /// the records after the expiry, the server's log.
    dns: Result,
    /// The lease file's records from the expiry on (times left out): the removals'
    /// rewrites of the lease, then the returning client's lease.
    records: Vec<String>,
}

/// A lease with DNS records whose client disappears (SIGKILL: no release, no renewal).
/// `restart`: the server is stopped before the lease ends and started after, so the
/// lease expires in the start-up expiry; otherwise it expires while the server runs.
fn run_expiry(which: &str, program: &Path, restart: bool) -> Expiry {
    let tag = format!("dx{which}{}", if restart { "r" } else { "t" });
    let mut bed = Bed::new(
        &tag,
        which,
        program,
        &dhcpd_conf_with("standard", SHORT, ""),
    );
    let addr = bed.lease_with_updates();
    bed.kill_client();
    let added = bed.records("DHCID", &addr);
    let vars = ddns_lines(&bed.leases());
    if restart {
        bed.stop_dhcpd();
        std::thread::sleep(Duration::from_secs(u64::from(SHORT) + 2));
        // Nobody removed them while the server was down.
        assert_eq!(
            bed.records("DHCID", &addr),
            added,
            "{which}: records changed while the server was down"
        );
        bed.start_dhcpd();
    }
    let gone = bed.wait_removed("DHCID", &addr, u64::from(SHORT) + 20);
    let removed = bed.records("DHCID", &addr);
    // The variables go as the removals complete (the lease is rewritten each time). ISC
    // writes those records without flushing its lease file, so they show at its next
    // commit: the client comes back (and must get its records again).
    bed.client(false);
    let back = Lab::wait_for(Duration::from_secs(20), || {
        let l = bed.leases();
        l.rfind("binding state free") < l.rfind("set ddns-rev-name")
    });
    let again = bed.records("DHCID", &addr);
    bed.kill_client();
    bed.stop_dhcpd();
    let records = lease_records(&bed.leases());
    assert!(
        back,
        "{which}: no updates for the returning client\n{}\n{}",
        bed.log(),
        bed.leases()
    );
    assert_eq!(again, added, "{which}: records for the returning client");
    assert!(
        gone,
        "{which}: records not removed at expiry: {removed:?}\n{}\n{}",
        bed.log(),
        bed.leases()
    );
    Expiry {
        dns: Result {
            added,
            vars,
            removed,
            log: bed.log(),
        },
        records,
    }
}

fn compare_expiry(restart: bool) {
    let Some(isc) = isc_dhcpd() else { return };
    let ours: PathBuf = our_dhcpd();
    let a = run_expiry("isc", &isc, restart);
    let b = run_expiry("ours", &ours, restart);
    same_dns(&a.dns, &b.dns);
    assert_eq!(
        a.records.join("\n"),
        b.records.join("\n"),
        "lease records from the expiry on differ\nISC:\n{}\nours:\n{}",
        a.dns.log,
        b.dns.log
    );
}

#[test]
fn expiry_while_running_removes_the_records_as_isc() {
    compare_expiry(false);
}

#[test]
fn expiry_at_start_up_removes_the_records_as_isc() {
    compare_expiry(true);
}

/// The client's host declaration gives it a fixed address; `update-static-leases` decides
/// whether the server updates DNS for it. Returns the records and the lease file.
fn run_static(which: &str, program: &Path, on: bool) -> (Vec<String>, String, String) {
    let tag = format!("ds{which}{}", u8::from(on));
    let extra = format!(
        "{}host box {{ hardware ethernet {MAC}; fixed-address 198.51.100.50; }}\n",
        if on { "update-static-leases on;\n" } else { "" }
    );
    let bed = Bed::new(
        &tag,
        which,
        program,
        &dhcpd_conf_with("standard", 600, &extra),
    );
    bed.client(false);
    let addr = "198.51.100.50";
    if on {
        Lab::wait_for(Duration::from_secs(20), || {
            bed.records("DHCID", addr).iter().all(|r| !r.is_empty())
        });
    } else {
        // Time enough for an update to show, were one sent.
        std::thread::sleep(Duration::from_secs(3));
    }
    let records = bed.records("DHCID", addr);
    bed.kill_client();
    (records, bed.leases(), bed.log())
}

#[test]
fn fixed_addresses_are_updated_with_update_static_leases_as_isc() {
    let Some(isc) = isc_dhcpd() else { return };
    let ours: PathBuf = our_dhcpd();
    for on in [true, false] {
        let (a, a_leases, a_log) = run_static("isc", &isc, on);
        let (b, b_leases, b_log) = run_static("ours", &ours, on);
        eprintln!("update-static-leases {on}:\nISC:  {a:?}\nours: {b:?}");
        assert_eq!(a, b, "records differ\nISC:\n{a_log}\nours:\n{b_log}");
        if on {
            assert!(a.iter().all(|r| !r.is_empty()), "{a:?}\n{a_log}");
        } else {
            assert!(a.iter().all(String::is_empty), "{a:?}");
        }
        // A static lease has no lease record, so no variables.
        for (l, who) in [(&a_leases, "ISC"), (&b_leases, "ours")] {
            assert!(!l.contains("set ddns-"), "{who}: {l}");
        }
    }
}
