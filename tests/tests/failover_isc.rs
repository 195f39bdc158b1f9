//! Failover interop with the real ISC dhcpd 4.4.3: our dhcpd and ISC's as the two partners of
//! one `failover peer` relationship, in a network-namespace lab (TEST-NET-2 only).
//!
//! Each scenario: both servers start with empty lease files, reach NORMAL (read from both
//! logs), balance the pool (the FREE/BACKUP split must be what two ISC peers produce: the
//! baseline runs ISC against ISC), a dhclient gets a lease from whichever server the hash
//! picks and the lease shows up ACTIVE in both lease files; the failover TCP stream is
//! captured and tshark must decode every message without a malformed or error-level expert
//! item. Then the peer that is ours is killed (SIGKILL) and restarted, and both must return
//! to NORMAL.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd};
use dhcpd_testlab::{Lab, hook_script};

const POOL_FIRST: u8 = 100;
const POOL_LAST: u8 = 139;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Ours,
    Isc,
}

fn conf(primary: bool, delay: u32) -> String {
    let (me, peer, role) = if primary {
        (
            "198.51.100.2",
            "198.51.100.3",
            "primary;\n  mclt 60;\n  split 128;",
        )
    } else {
        ("198.51.100.3", "198.51.100.2", "secondary;")
    };
    format!(
        "ddns-update-style none;\nping-check false;\nauthoritative;\n\
         default-lease-time 600;\nmax-lease-time 7200;\n\
         failover peer \"fo\" {{\n  {role}\n  address {me};\n  port 647;\n  peer address {peer};\n  \
         peer port 647;\n  max-response-delay {delay};\n  max-unacked-updates 10;\n  \
         load balance max seconds 3;\n}}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{\n  option routers 198.51.100.1;\n  \
         pool {{\n    failover peer \"fo\";\n    range 198.51.100.{POOL_FIRST} 198.51.100.{POOL_LAST};\n  }}\n}}\n"
    )
}

/// The last binding state of every pool address in a lease file.
fn states(text: &str) -> BTreeMap<Ipv4Addr, String> {
    let mut out = BTreeMap::new();
    let mut cur: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("lease ") {
            cur = rest.trim_end_matches('{').trim().parse().ok();
        } else if let (Some(a), Some(st)) = (cur, t.strip_prefix("binding state ")) {
            out.insert(a, st.trim_end_matches(';').to_string());
        } else if t == "}" {
            cur = None;
        }
    }
    out
}

fn count(text: &str, state: &str) -> usize {
    states(text).values().filter(|s| *s == state).count()
}

struct Server {
    which: Impl,
    ns: String,
    name: &'static str,
    pid: u32,
}

struct Pair {
    lab: Lab,
    dir: TempDir,
    p: Server,
    s: Server,
    cli: String,
    cap: u32,
}

fn program(which: Impl) -> PathBuf {
    match which {
        Impl::Ours => our_dhcpd(),
        Impl::Isc => isc_dhcpd().expect("ISC dhcpd 4.4.3 is needed for the failover interop tests"),
    }
}

impl Pair {
    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    fn start(lab: &mut Lab, dir: &Path, ns: &str, which: Impl, name: &'static str) -> u32 {
        let f = |x: &str| dir.join(format!("{name}.{x}"));
        let mut cmd = lab.command(ns, program(which).to_str().expect("utf8"));
        cmd.args(["-4", "-f", "-d", "-cf"])
            .arg(f("conf"))
            .arg("-lf")
            .arg(f("leases"))
            .arg("-pf")
            .arg(f("pid"));
        if which == Impl::Ours {
            cmd.arg("--control-socket").arg(f("sock"));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(f("log"))
            .expect("log");
        cmd.arg("eth0").stdout(Stdio::null()).stderr(log);
        lab.spawn(cmd).expect("start server")
    }

    fn new(tag: &str, primary: Impl, secondary: Impl) -> Pair {
        Self::with_delay(tag, primary, secondary, 30)
    }

    fn with_delay(tag: &str, primary: Impl, secondary: Impl, delay: u32) -> Pair {
        let mut lab = Lab::new(tag).expect("lab (root needed)");
        let pns = lab.add_host("p").expect("p");
        let sns = lab.add_host("s").expect("s");
        let cli = lab.add_host("cli").expect("cli");
        lab.connect(&pns, "lan", "eth0", &["198.51.100.2/24"])
            .expect("p eth0");
        lab.connect(&sns, "lan", "eth0", &["198.51.100.3/24"])
            .expect("s eth0");
        lab.connect(&cli, "lan", "eth0", &[]).expect("cli eth0");
        let dir = TempDir::new("failover").expect("tempdir");
        for (name, is_primary) in [("p", true), ("s", false)] {
            std::fs::write(
                dir.path().join(format!("{name}.conf")),
                conf(is_primary, delay),
            )
            .expect("conf");
            std::fs::write(dir.path().join(format!("{name}.leases")), "").expect("leases");
        }
        let mut c = lab.command(&pns, "dumpcap");
        c.args(["-q", "-i", "eth0", "-f", "tcp port 647", "-w"])
            .arg(dir.path().join("fo.pcap"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let cap = lab.spawn(c).expect("dumpcap");
        std::thread::sleep(Duration::from_millis(500));
        let ppid = Self::start(&mut lab, dir.path(), &pns, primary, "p");
        let spid = Self::start(&mut lab, dir.path(), &sns, secondary, "s");
        Pair {
            lab,
            dir,
            p: Server {
                which: primary,
                ns: pns,
                name: "p",
                pid: ppid,
            },
            s: Server {
                which: secondary,
                ns: sns,
                name: "s",
                pid: spid,
            },
            cli,
            cap,
        }
    }

    /// With `FO_DUMP` set, prints both logs and lease files (for reading a run).
    fn dump(&self) {
        if std::env::var_os("FO_DUMP").is_some() {
            eprintln!("{}", self.logs());
            eprintln!(
                "--- p.leases ---\n{}\n--- s.leases ---\n{}",
                self.read("p.leases"),
                self.read("s.leases")
            );
        }
    }

    fn logs(&self) -> String {
        format!(
            "--- primary ({:?}) ---\n{}\n--- secondary ({:?}) ---\n{}",
            self.p.which,
            self.read("p.log"),
            self.s.which,
            self.read("s.log")
        )
    }

    /// Whether a log says the server and its peer are both NORMAL (after `from` bytes).
    fn normal(&self, name: &str, from: usize) -> bool {
        let log = self.read(&format!("{name}.log"));
        let tail = log.get(from..).unwrap_or("");
        tail.contains("failover peer fo: I move from") && {
            let me = tail.rfind("failover peer fo: I move from");
            let peer = tail.rfind("failover peer fo: peer moves from");
            let line_ends_normal = |i: Option<usize>| {
                i.and_then(|i| tail[i..].lines().next())
                    .is_some_and(|l| l.trim_end().ends_with("to normal"))
            };
            line_ends_normal(me) && line_ends_normal(peer)
        }
    }

    fn wait_normal(&self, from: (usize, usize), secs: u64) {
        let ok = Lab::wait_for(Duration::from_secs(secs), || {
            self.normal("p", from.0) && self.normal("s", from.1)
        });
        assert!(ok, "both servers did not reach normal:\n{}", self.logs());
    }

    fn log_len(&self) -> (usize, usize) {
        (self.read("p.log").len(), self.read("s.log").len())
    }

    /// Runs dhclient once with hardware address `mac` (a fresh client each time).
    fn dhclient(&self, mac: &str) -> std::process::Output {
        for args in [
            vec!["ip", "link", "set", "eth0", "down"],
            vec!["ip", "link", "set", "eth0", "address", mac],
            vec!["ip", "addr", "flush", "dev", "eth0"],
            vec!["ip", "link", "set", "eth0", "up"],
        ] {
            let out = self
                .lab
                .exec(&self.cli, &args, Duration::from_secs(5))
                .expect("ip");
            assert!(out.status.success(), "{args:?}: {out:?}");
        }
        let d = self.dir.path();
        let lf = d.join(format!("dhclient-{}.leases", mac.replace(':', "")));
        let pf = d.join("dhclient.pid");
        let hook = hook_script();
        let args = [
            "dhclient",
            "-1",
            "-v",
            "-sf",
            hook.to_str().expect("utf8"),
            "-lf",
            lf.to_str().expect("utf8"),
            "-pf",
            pf.to_str().expect("utf8"),
            "eth0",
        ];
        let out = self
            .lab
            .exec(&self.cli, &args, Duration::from_secs(25))
            .expect("dhclient");
        if let Ok(pid) = std::fs::read_to_string(&pf) {
            let _ = Command::new("kill").arg(pid.trim()).status();
            let _ = std::fs::remove_file(&pf);
        }
        out
    }

    /// Cuts (or heals) the failover link: a blackhole route to the partner in each server's
    /// namespace (inside the lab only).
    fn partition(&self, cut: bool) {
        let verb = if cut { "add" } else { "del" };
        for (ns, peer) in [
            (&self.p.ns, "198.51.100.3/32"),
            (&self.s.ns, "198.51.100.2/32"),
        ] {
            let out = self
                .lab
                .exec(
                    ns,
                    &["ip", "route", verb, "blackhole", peer],
                    Duration::from_secs(5),
                )
                .expect("ip route");
            assert!(out.status.success(), "ip route {verb}: {out:?}");
        }
    }

    /// Waits until `name`'s log (after `from` bytes) contains `what`.
    fn wait_log(&self, name: &str, from: usize, what: &str, secs: u64) {
        let file = format!("{name}.log");
        let ok = Lab::wait_for(Duration::from_secs(secs), || {
            self.read(&file)
                .get(from..)
                .is_some_and(|t| t.contains(what))
        });
        assert!(ok, "{file} lacks {what:?}:\n{}", self.logs());
    }

    fn kill9(&mut self, primary: bool) {
        let srv = if primary { &self.p } else { &self.s };
        let _ = Command::new("kill")
            .args(["-KILL", &srv.pid.to_string()])
            .status();
        self.lab.stop(srv.pid);
    }

    fn restart(&mut self, primary: bool) {
        let (which, ns, name) = {
            let srv = if primary { &self.p } else { &self.s };
            (srv.which, srv.ns.clone(), srv.name)
        };
        let pid = Self::start(&mut self.lab, self.dir.path(), &ns, which, name);
        if primary {
            self.p.pid = pid;
        } else {
            self.s.pid = pid;
        }
    }

    /// Stops the capture and checks tshark's verdict on every failover message.
    fn check_capture(&mut self) {
        self.lab.stop(self.cap);
        let pcap = self.file("fo.pcap");
        let run = |filter: &str| {
            let out = Command::new("tshark")
                .arg("-r")
                .arg(&pcap)
                .args(["-Y", filter])
                .output()
                .expect("tshark");
            assert!(out.status.success(), "tshark -Y {filter:?}: {out:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let all = run("dhcpfo");
        let ours = match (self.p.which, self.s.which) {
            (Impl::Ours, _) => "ip.src == 198.51.100.2",
            (_, Impl::Ours) => "ip.src == 198.51.100.3",
            _ => "ip.src == 198.51.100.2 || ip.src == 198.51.100.3",
        };
        let sent = run(&format!("dhcpfo && ({ours})"));
        for kind in ["connect", "state", "binding update", "binding acknowledge"] {
            assert!(
                all.lines().any(|l| l.to_lowercase().contains(kind)),
                "no {kind} message in the capture:\n{all}"
            );
        }
        assert!(
            sent.lines().count() >= 5,
            "too few messages from our server:\n{all}"
        );
        let bad = run("dhcpfo && (_ws.malformed || _ws.expert.severity >= error)");
        assert!(
            bad.trim().is_empty(),
            "tshark finds malformed failover messages:\n{bad}"
        );
    }
}

/// A client hardware address whose RFC 3074 bucket belongs to the primary (`split 128`:
/// buckets 0-127) or to the secondary.
fn mac_for(primary: bool) -> String {
    (1u8..=255)
        .map(|n| [0x02, 0, 0, 0, 0x0f, n])
        .find(|m| (dhcpd_failover::hash::bucket(m) < 128) == primary)
        .map(|m| {
            m.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .expect("some address hashes each way")
}

/// The FREE/BACKUP split two ISC peers settle on (primary file, secondary file).
fn isc_baseline() -> (usize, usize) {
    static BASE: OnceLock<Mutex<Option<(usize, usize)>>> = OnceLock::new();
    let m = BASE.get_or_init(|| Mutex::new(None));
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = *g {
        return v;
    }
    let pair = Pair::new("fob", Impl::Isc, Impl::Isc);
    pair.wait_normal((0, 0), 40);
    let v = settle_split(&pair);
    *g = Some(v);
    v
}

/// Waits for the BACKUP counts of both files to stop changing; returns them.
fn settle_split(pair: &Pair) -> (usize, usize) {
    let mut last = (usize::MAX, usize::MAX);
    let mut stable = 0;
    for _ in 0..40 {
        let now = (
            count(&pair.read("p.leases"), "backup"),
            count(&pair.read("s.leases"), "backup"),
        );
        if now == last && now.0 > 0 && now.0 == now.1 {
            stable += 1;
            if stable >= 4 {
                return now;
            }
        } else {
            stable = 0;
        }
        last = now;
        std::thread::sleep(Duration::from_millis(250));
    }
    last
}

fn scenario(tag: &str, primary: Impl, secondary: Impl) {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    let expected = isc_baseline();
    let mut pair = Pair::new(tag, primary, secondary);
    pair.wait_normal((0, 0), 40);

    // Pool balancing: the split two ISC peers produce, in both files.
    let split = settle_split(&pair);
    assert_eq!(
        split,
        expected,
        "free/backup split (backup leases in primary file, secondary file) differs from ISC's pair\n{}",
        pair.logs()
    );
    let total = usize::from(POOL_LAST - POOL_FIRST) + 1;
    let p_leases = pair.read("p.leases");
    assert_eq!(
        count(&p_leases, "free") + count(&p_leases, "backup"),
        total,
        "{p_leases}"
    );

    // Two clients, one in each server's hash buckets: each server grants one lease, and
    // both lease files show both bindings.
    let mut addrs = Vec::new();
    for (mac, granter) in [(mac_for(true), "p.log"), (mac_for(false), "s.log")] {
        let out = pair.dhclient(&mac);
        assert!(
            out.status.success(),
            "dhclient {mac} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            pair.logs()
        );
        let got = pair.lab.addrs(&pair.cli, "eth0");
        let addr = *got.first().expect("the client has an address");
        let ack = format!("DHCPACK on {addr} to {mac}");
        assert!(
            pair.read(granter).contains(&ack),
            "{granter} should have granted {addr} to {mac} (load balancing)\n{}",
            pair.logs()
        );
        let both = Lab::wait_for(Duration::from_secs(10), || {
            ["p.leases", "s.leases"]
                .iter()
                .all(|f| states(&pair.read(f)).get(&addr).map(String::as_str) == Some("active"))
        });
        assert!(
            both,
            "lease {addr} not active in both lease files\n--- p.leases ---\n{}\n--- s.leases ---\n{}\n{}",
            pair.read("p.leases"),
            pair.read("s.leases"),
            pair.logs()
        );
        addrs.push(addr);
    }
    let addr = addrs[0];
    // The state records are in our lease file.
    let ours_file = if primary == Impl::Ours {
        "p.leases"
    } else {
        "s.leases"
    };
    assert!(
        pair.read(ours_file)
            .contains("failover peer \"fo\" state {\n  my state normal at"),
        "{}",
        pair.read(ours_file)
    );

    // kill -9 of our server, restart: back to normal on both sides, lease kept.
    let ours_primary = primary == Impl::Ours;
    let from = pair.log_len();
    pair.kill9(ours_primary);
    std::thread::sleep(Duration::from_secs(1));
    pair.restart(ours_primary);
    pair.wait_normal(from, 60);
    assert_eq!(
        states(&pair.read(ours_file)).get(&addr).map(String::as_str),
        Some("active"),
        "{}",
        pair.read(ours_file)
    );

    // kill -9 of the ISC peer, restart: likewise.
    let from = pair.log_len();
    pair.kill9(!ours_primary);
    std::thread::sleep(Duration::from_secs(1));
    pair.restart(!ours_primary);
    pair.wait_normal(from, 60);

    // Idle in NORMAL, our server sleeps between CONTACTs (no busy loop).
    let ours = if ours_primary { pair.p.pid } else { pair.s.pid };
    let t0 = cpu_ticks(ours);
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(ours) - t0;
    assert!(used < 30, "our server used {used} ticks of CPU in 3 s idle");

    pair.check_capture();
    pair.dump();
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum()
}

#[test]
fn ours_secondary_with_isc_primary() {
    scenario("fos", Impl::Isc, Impl::Ours);
}

#[test]
fn ours_primary_with_isc_secondary() {
    scenario("fop", Impl::Ours, Impl::Isc);
}

/// A partition (no failover traffic either way), our primary put into partner-down by the
/// operator (`dhcpd --partner-down`), then the link healed: ISC's path back to NORMAL
/// (potential-conflict, conflict-done) on both sides.
#[test]
fn partition_partner_down_and_heal() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    let mut pair = Pair::with_delay("fox", Impl::Ours, Impl::Isc, 6);
    pair.wait_normal((0, 0), 40);
    let from = pair.log_len();
    pair.partition(true);
    for name in ["p", "s"] {
        let at = if name == "p" { from.0 } else { from.1 };
        pair.wait_log(
            name,
            at,
            "failover peer fo: I move from normal to communications-interrupted",
            20,
        );
    }
    // The operator declares the partner down.
    let sock = pair.file("p.sock");
    let out = Command::new(our_dhcpd())
        .arg("--control-socket")
        .arg(&sock)
        .args(["--partner-down", "fo"])
        .output()
        .expect("dhcpd --partner-down");
    assert!(
        out.status.success(),
        "dhcpd --partner-down failed: {out:?}\n{}",
        pair.logs()
    );
    pair.wait_log(
        "p",
        from.0,
        "failover peer fo: I move from communications-interrupted to partner-down",
        5,
    );
    let status = Command::new(our_dhcpd())
        .arg("--control-socket")
        .arg(&sock)
        .arg("--failover-status")
        .output()
        .expect("dhcpd --failover-status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("my state partner-down") && text.contains("not connected"),
        "{text}"
    );
    assert!(
        pair.read("p.leases")
            .contains("failover peer \"fo\" state {\n  my state partner-down at"),
        "the partner-down state is not in the lease file"
    );
    // Heal.
    let healed = pair.log_len();
    pair.partition(false);
    pair.wait_log(
        "p",
        healed.0,
        "failover peer fo: I move from partner-down to potential-conflict",
        20,
    );
    pair.wait_log(
        "s",
        healed.1,
        "failover peer fo: I move from communications-interrupted to potential-conflict",
        20,
    );
    pair.wait_normal(healed, 30);
    pair.check_capture();
    pair.dump();
}
