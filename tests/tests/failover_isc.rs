//! Failover pairs in a network-namespace lab (TEST-NET-2 only): our dhcpd and the real ISC
//! dhcpd 4.4.3 as the two partners of one `failover peer` relationship, and two of ours.
//!
//! Interop scenarios: both servers start with empty lease files, reach NORMAL (read from both
//! logs), balance the pool (the FREE/BACKUP split must be what two ISC peers produce: the
//! baseline runs ISC against ISC), a dhclient gets a lease from whichever server the hash
//! picks and the lease shows up ACTIVE in both lease files; the failover TCP stream is
//! captured and tshark must decode every message without a malformed or error-level expert
//! item. Then each peer in turn is killed (SIGKILL) and restarted, and both must return to
//! NORMAL. Failure scenarios (kill -9, partition, partner-down and return) follow, with ISC
//! and with ours as the partner, under the invariants described further down.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd};
use dhcpd_testlab::Lab;

const POOL_FIRST: u8 = 100;
const POOL_LAST: u8 = 139;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Ours,
    Isc,
}

/// What differs between the labs' configurations.
#[derive(Debug, Clone, Copy)]
struct Opts {
    /// `max-response-delay`.
    delay: u32,
    /// `mclt` (primary).
    mclt: u32,
    /// `auto-partner-down` (0: not written).
    auto_partner_down: u32,
    /// Last host number of the pool (the first is [`POOL_FIRST`]).
    last: u8,
}

impl Opts {
    fn with_delay(delay: u32) -> Opts {
        Opts {
            delay,
            mclt: 60,
            auto_partner_down: 0,
            last: POOL_LAST,
        }
    }
}

fn conf(primary: bool, o: &Opts) -> String {
    let (me, peer, role) = if primary {
        (
            "198.51.100.2",
            "198.51.100.3",
            format!("primary;\n  mclt {};\n  split 128;", o.mclt),
        )
    } else {
        ("198.51.100.3", "198.51.100.2", "secondary;".to_string())
    };
    let apd = if o.auto_partner_down > 0 {
        format!("\n  auto-partner-down {};", o.auto_partner_down)
    } else {
        String::new()
    };
    let (delay, last) = (o.delay, o.last);
    format!(
        "ddns-update-style none;\nping-check false;\nauthoritative;\n\
         default-lease-time 600;\nmax-lease-time 7200;\n\
         failover peer \"fo\" {{\n  {role}\n  address {me};\n  port 647;\n  peer address {peer};\n  \
         peer port 647;\n  max-response-delay {delay};\n  max-unacked-updates 10;\n  \
         load balance max seconds 3;{apd}\n}}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{\n  option routers 198.51.100.1;\n  \
         pool {{\n    failover peer \"fo\";\n    range 198.51.100.{POOL_FIRST} 198.51.100.{last};\n  }}\n}}\n"
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
        Self::with_opts(tag, primary, secondary, &Opts::with_delay(30))
    }

    fn with_opts(tag: &str, primary: Impl, secondary: Impl, opts: &Opts) -> Pair {
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
                conf(is_primary, opts),
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

    /// Runs dhclient once with hardware address `mac` (a fresh client each time), with a
    /// dhclient.conf (`-cf`) if given, e.g. one with a short `timeout`.
    fn dhclient_with(&self, mac: &str, cf: Option<&Path>) -> std::process::Output {
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
        let cf = cf.map(|cf| cf.to_str().expect("utf8"));
        let extra: Vec<&str> = cf.iter().flat_map(|cf| ["-cf", cf]).collect();
        self.lab
            .dhclient(&self.cli, &lf, &pf, &extra)
            .expect("dhclient")
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
    let mut grants = Vec::new();
    for (mac, granter) in [(mac_for(true), "p.log"), (mac_for(false), "s.log")] {
        let g = pair
            .client(parse_mac(&mac).expect("mac"), 15)
            .unwrap_or_else(|| panic!("dhclient {mac} got no lease\n{}", pair.logs()));
        let addr = g.ip;
        grants.push(g);
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

    // kill -9 of our server, then of the ISC one: meanwhile the survivor serves a client of
    // the dead one's hash half from its own free leases; after the restart both are back in
    // NORMAL, no ACKed lease is lost and no address has two clients.
    let ours_primary = primary == Impl::Ours;
    for (k, killed_primary) in [(8u8, ours_primary), (9, !ours_primary)] {
        let (killed, survivor) = if killed_primary {
            ("p", "s")
        } else {
            ("s", "p")
        };
        let from = pair.log_len();
        let synced = grants.len();
        pair.kill9(killed_primary);
        // The killed server's file holds every lease ACKed so far (fsync before DHCPACK and
        // before BNDACK).
        let dead = bindings(&pair.read(&format!("{killed}.leases")));
        for g in &grants[..synced] {
            if g.ack + g.secs > now_epoch() + 2 {
                assert_eq!(
                    dead.get(&g.ip),
                    Some(&("active".to_string(), Some(g.mac))),
                    "{killed}.leases lost {} after kill -9",
                    g.ip
                );
            }
        }
        let at = if survivor == "p" { from.0 } else { from.1 };
        pair.wait_log(
            survivor,
            at,
            "failover peer fo: I move from normal to communications-interrupted",
            30,
        );
        let own = if survivor == "p" { "free" } else { "backup" };
        let before = states(&pair.read(&format!("{survivor}.leases")));
        let g = pair.grant(client_mac(killed_primary, k, 0), survivor, &mut grants);
        assert_eq!(
            before.get(&g.ip).map_or("free", String::as_str),
            own,
            "{survivor} ({:?}) gave {} while its partner was down, not from its own pool",
            if survivor == "p" { primary } else { secondary },
            g.ip
        );
        pair.check_invariants(&grants, false);
        std::thread::sleep(Duration::from_secs(1));
        pair.restart(killed_primary);
        pair.wait_normal(from, 60);
        pair.wait_synced(&grants);
    }
    assert_eq!(
        states(&pair.read(ours_file)).get(&addr).map(String::as_str),
        Some("active"),
        "{}",
        pair.read(ours_file)
    );
    let ours_primary = primary == Impl::Ours;

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

/// A partition of the failover link (TCP port 647 dropped both ways, DHCP untouched), our
/// primary put into partner-down by the operator (`dhcpd --partner-down`) while the secondary
/// still serves in communications-interrupted, then the link healed: ISC's path back to
/// NORMAL (potential-conflict, conflict-done) on both sides, with the bindings both made in
/// both lease files and no address given to two clients.
fn partition_scenario(tag: &str, secondary: Impl) {
    let mut pair = Pair::with_opts(tag, Impl::Ours, secondary, &Opts::with_delay(6));
    pair.wait_normal((0, 0), 40);
    settle_split(&pair);
    let mut grants = Vec::new();
    pair.grant(client_mac(true, 10, 0), "p", &mut grants);
    pair.grant(client_mac(false, 10, 0), "s", &mut grants);
    pair.wait_synced(&grants);
    let from = pair.log_len();
    pair.partition_tcp(true);
    for name in ["p", "s"] {
        let at = if name == "p" { from.0 } else { from.1 };
        pair.wait_log(
            name,
            at,
            "failover peer fo: I move from normal to communications-interrupted",
            30,
        );
    }
    // The operator declares the partner down.
    let out = pair.control("p", &["--partner-down", "fo"]);
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
    let status = pair.control("p", &["--failover-status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("my state partner-down") && text.contains("not connected"),
        "{text}"
    );
    // The log line may come out before the journal has written the state record (a few ms,
    // more on a loaded machine; docs/failover.md).
    let recorded = Lab::wait_for(Duration::from_secs(10), || {
        pair.read("p.leases")
            .contains("failover peer \"fo\" state {\n  my state partner-down at")
    });
    assert!(recorded, "the partner-down state is not in the lease file");
    // Both still answer clients (the secondary in communications-interrupted, our primary in
    // partner-down, from its own leases: MCLT has not passed).
    for i in 0..3 {
        let mac = client_mac(i % 2 == 0, 11, i);
        let g = pair
            .client(mac, 15)
            .unwrap_or_else(|| panic!("no lease during the partition\n{}", pair.logs()));
        grants.push(g);
        pair.check_invariants(&grants, false);
    }
    // Heal.
    let healed = pair.log_len();
    pair.partition_tcp(false);
    pair.wait_log(
        "p",
        healed.0,
        "failover peer fo: I move from partner-down to potential-conflict",
        30,
    );
    pair.wait_log(
        "s",
        healed.1,
        "failover peer fo: I move from communications-interrupted to potential-conflict",
        30,
    );
    pair.wait_normal(healed, 40);
    pair.wait_synced(&grants);
    pair.check_capture();
    pair.dump();
}

#[test]
fn partition_partner_down_and_heal() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    partition_scenario("fox", Impl::Isc);
}

#[test]
fn ours_pair_partition_partner_down_and_heal() {
    partition_scenario("fo4x", Impl::Ours);
}

// ---------------------------------------------------------------------------------------------
// Failure scenarios with invariants, ours as the partner of ours (and of ISC where noted).
//
// Every client is a real dhclient with a MAC of its own. Its lease file gives the address, the
// lease time and the expiry (so the time of the DHCPACK, to the second). Over each scenario:
// * no address is bound to two different clients at once: every `DHCPACK on IP to MAC` line of
//   both logs (kept across restarts) and every client record; an address ACKed to two MACs must
//   have disjoint lease intervals;
// * both lease files never hold one address ACTIVE for two different clients, and every ACTIVE
//   binding in a file was ACKed to that client by one of the servers;
// * no ACKed lease is lost: after a kill -9 and restart (and once the pair is back in NORMAL),
//   every unexpired grant is ACTIVE for its client in both lease files.
// ---------------------------------------------------------------------------------------------

/// One lease a client got: its address, when it was ACKed (epoch seconds) and for how long.
#[derive(Debug, Clone)]
struct Grant {
    mac: [u8; 6],
    ip: Ipv4Addr,
    ack: i64,
    secs: i64,
}

fn mac_text(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn parse_mac(t: &str) -> Option<[u8; 6]> {
    let v: Vec<u8> = t
        .split(':')
        .map(|x| u8::from_str_radix(x, 16).ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

/// The `i`-th client address (prefix `02:00:00:4f:K:`) whose RFC 3074 bucket belongs to the
/// primary (`split 128`) or to the secondary.
fn client_mac(primary: bool, k: u8, i: usize) -> [u8; 6] {
    (1u8..=255)
        .map(|n| [0x02, 0, 0, 0x4f, k, n])
        .filter(|m| (dhcpd_failover::hash::bucket(m) < 128) == primary)
        .nth(i)
        .expect("enough addresses hash each way")
}

/// Seconds since 1970 of a lease-file date `W YYYY/MM/DD HH:MM:SS` (UTC).
fn lease_epoch(text: &str) -> Option<i64> {
    let mut it = text.split_whitespace().skip(1);
    let date: Vec<i64> = it
        .next()?
        .split('/')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let time: Vec<i64> = it
        .next()?
        .trim_end_matches(';')
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let (&[y, m, d], &[hh, mm, ss]) = (date.as_slice(), time.as_slice()) else {
        return None;
    };
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The last record of every address in a lease file: binding state and hardware address.
fn bindings(text: &str) -> BTreeMap<Ipv4Addr, (String, Option<[u8; 6]>)> {
    let mut out = BTreeMap::new();
    let mut cur: Option<(Ipv4Addr, String, Option<[u8; 6]>)> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("lease ") {
            cur = rest
                .trim_end_matches('{')
                .trim()
                .parse()
                .ok()
                .map(|a| (a, String::new(), None));
        } else if let Some(c) = cur.as_mut() {
            if let Some(st) = t.strip_prefix("binding state ") {
                c.1 = st.trim_end_matches(';').to_string();
            } else if let Some(h) = t.strip_prefix("hardware ethernet ") {
                c.2 = parse_mac(h.trim_end_matches(';'));
            } else if t == "}"
                && let Some((a, st, hw)) = cur.take()
            {
                out.insert(a, (st, hw));
            }
        }
    }
    out
}

/// The dates of `my state NAME at DATE;` in a lease file's failover state records, in order.
fn my_state_times(text: &str, state: &str) -> Vec<i64> {
    let key = format!("my state {state} at ");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(&key))
        .filter_map(lease_epoch)
        .collect()
}

/// Every `DHCPACK on IP to MAC` line of a log.
fn acks_in(log: &str) -> Vec<(Ipv4Addr, [u8; 6])> {
    log.lines()
        .filter_map(|l| {
            let rest = &l[l.find("DHCPACK on ")? + "DHCPACK on ".len()..];
            let mut w = rest.split_whitespace();
            let ip = w.next()?.parse().ok()?;
            (w.next()? == "to").then_some(())?;
            Some((ip, parse_mac(w.next()?)?))
        })
        .collect()
}

impl Pair {
    /// A dhclient run for `mac` with a `timeout`-second dhclient.conf; the lease it got (from
    /// its own lease file), or `None` if it got none.
    fn client(&self, mac: [u8; 6], timeout: u32) -> Option<Grant> {
        let cf = self.file(&format!("dhclient-{timeout}.conf"));
        std::fs::write(&cf, format!("timeout {timeout};\nretry 1;\n")).expect("dhclient.conf");
        let text = mac_text(&mac);
        let out = self.dhclient_with(&text, Some(&cf));
        if !out.status.success() {
            return None;
        }
        let lf = self.file(&format!("dhclient-{}.leases", text.replace(':', "")));
        let leases = std::fs::read_to_string(lf).ok()?;
        let last = leases.rsplit("lease {").next()?;
        let field = |k: &str| {
            last.lines()
                .find_map(|l| l.trim().strip_prefix(k).map(|v| v.trim_end_matches(';')))
        };
        let ip: Ipv4Addr = field("fixed-address ")?.parse().ok()?;
        let secs: i64 = field("option dhcp-lease-time ")?.parse().ok()?;
        let expire = lease_epoch(field("expire ")?)?;
        Some(Grant {
            mac,
            ip,
            ack: expire - secs,
            secs,
        })
    }

    /// [`Pair::client`] that must succeed; asserts which server's log has the DHCPACK.
    fn grant(&self, mac: [u8; 6], by: &str, grants: &mut Vec<Grant>) -> Grant {
        let g = self
            .client(mac, 15)
            .unwrap_or_else(|| panic!("client {} got no lease\n{}", mac_text(&mac), self.logs()));
        let line = format!("DHCPACK on {} to {}", g.ip, mac_text(&mac));
        assert!(
            self.read(&format!("{by}.log")).contains(&line),
            "{by} should have ACKed {} to {}\n{}",
            g.ip,
            mac_text(&mac),
            self.logs()
        );
        grants.push(g.clone());
        g
    }

    /// Drops (or lets through again) every TCP segment to or from port 647 on both servers'
    /// interfaces (tc, inside their namespaces): the failover link is partitioned, DHCP is not.
    fn partition_tcp(&self, cut: bool) {
        for ns in [&self.p.ns, &self.s.ns] {
            // No tc actions in every kernel: classify the segments (u32) into an htb class
            // whose queue holds nothing (pfifo limit 0), which drops them.
            let f = |prio: &'static str, dir: &'static str| {
                vec![
                    "tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio",
                    prio, "u32", "match", "ip", "protocol", "6", "0xff", "match", "ip", dir, "647",
                    "0xffff", "flowid", "1:20",
                ]
            };
            let cmds: Vec<Vec<&str>> = if cut {
                vec![
                    vec![
                        "tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb",
                        "default", "10",
                    ],
                    vec![
                        "tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10",
                        "htb", "rate", "10gbit",
                    ],
                    vec![
                        "tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:20",
                        "htb", "rate", "10gbit",
                    ],
                    vec![
                        "tc", "qdisc", "add", "dev", "eth0", "parent", "1:20", "handle", "20:",
                        "pfifo", "limit", "0",
                    ],
                    f("1", "dport"),
                    f("2", "sport"),
                ]
            } else {
                vec![vec!["tc", "qdisc", "del", "dev", "eth0", "root"]]
            };
            for c in cmds {
                let out = self.lab.exec(ns, &c, Duration::from_secs(5)).expect("tc");
                assert!(out.status.success(), "{c:?}: {out:?}");
            }
        }
    }

    /// Our dhcpd as the client of server `name`'s control socket.
    fn control(&self, name: &str, args: &[&str]) -> std::process::Output {
        Command::new(our_dhcpd())
            .arg("--control-socket")
            .arg(self.file(&format!("{name}.sock")))
            .args(args)
            .output()
            .expect("dhcpd control client")
    }

    /// Checks the invariants over everything so far (see the section comment). `quiet`: the
    /// pair is NORMAL and synchronised, so every unexpired grant must be ACTIVE in both files.
    fn check_invariants(&self, grants: &[Grant], quiet: bool) {
        let logs = self.logs();
        // Client records: one address, two clients, overlapping leases?
        for (i, a) in grants.iter().enumerate() {
            for b in &grants[i + 1..] {
                if a.ip == b.ip && a.mac != b.mac {
                    assert!(
                        a.ack + a.secs <= b.ack || b.ack + b.secs <= a.ack,
                        "{} bound to {} and {} at once: {a:?} {b:?}\n{logs}",
                        a.ip,
                        mac_text(&a.mac),
                        mac_text(&b.mac)
                    );
                }
            }
        }
        // Server logs: every DHCPACK is one of the clients' grants (so the check above saw
        // it): an address ACKed to two clients by the two servers shows up there.
        let mut acked: BTreeMap<Ipv4Addr, Vec<[u8; 6]>> = BTreeMap::new();
        for (ip, mac) in acks_in(&self.read("p.log"))
            .into_iter()
            .chain(acks_in(&self.read("s.log")))
        {
            assert!(
                grants.iter().any(|g| g.ip == ip && g.mac == mac),
                "DHCPACK on {ip} to {} is no client's lease\n{logs}",
                mac_text(&mac)
            );
            acked.entry(ip).or_default().push(mac);
        }
        // Lease files.
        let (pf, sf) = (
            bindings(&self.read("p.leases")),
            bindings(&self.read("s.leases")),
        );
        for (name, f) in [("p", &pf), ("s", &sf)] {
            for (ip, (st, hw)) in f {
                if st != "active" {
                    continue;
                }
                let hw = hw.unwrap_or_else(|| panic!("{name}: active {ip} without hardware"));
                assert!(
                    acked.get(ip).is_some_and(|m| m.contains(&hw)),
                    "{name}.leases: {ip} active for {} that no server ACKed\n{logs}",
                    mac_text(&hw)
                );
            }
        }
        for (ip, (st, hw)) in &pf {
            if let Some((st2, hw2)) = sf.get(ip)
                && st == "active"
                && st2 == "active"
            {
                assert_eq!(
                    hw, hw2,
                    "{ip} active for different clients in the two files"
                );
            }
        }
        if quiet {
            let now = now_epoch();
            for g in grants.iter().filter(|g| g.ack + g.secs > now + 2) {
                for (name, f) in [("p", &pf), ("s", &sf)] {
                    assert_eq!(
                        f.get(&g.ip),
                        Some(&("active".to_string(), Some(g.mac))),
                        "{name}.leases lost {} of {} (ACKed {} s ago for {} s)\n{logs}",
                        g.ip,
                        mac_text(&g.mac),
                        now - g.ack,
                        g.secs
                    );
                }
            }
        }
    }

    /// Waits until both lease files hold every unexpired grant ACTIVE (the BNDUPDs of the
    /// last grants may still be in flight or batched for 2 s).
    fn wait_synced(&self, grants: &[Grant]) {
        Lab::wait_for(Duration::from_secs(15), || {
            let now = now_epoch();
            let (pf, sf) = (
                bindings(&self.read("p.leases")),
                bindings(&self.read("s.leases")),
            );
            grants.iter().filter(|g| g.ack + g.secs > now + 2).all(|g| {
                [&pf, &sf].iter().all(|f| {
                    f.get(&g.ip)
                        .is_some_and(|(st, hw)| st == "active" && *hw == Some(g.mac))
                })
            })
        });
        self.check_invariants(grants, true);
    }
}

/// kill -9 of either of our peers and restart: the survivor serves every client from its own
/// free leases meanwhile (COMMUNICATIONS-INTERRUPTED), the restarted one comes back from its
/// lease file without losing an ACKed lease and learns the survivor's new bindings.
#[test]
fn ours_pair_kill9_either_peer_and_restart() {
    let opts = Opts {
        delay: 6,
        mclt: 120,
        auto_partner_down: 0,
        last: POOL_LAST,
    };
    let mut pair = Pair::with_opts("fo4k", Impl::Ours, Impl::Ours, &opts);
    pair.wait_normal((0, 0), 60);
    settle_split(&pair);
    let mut grants = Vec::new();
    pair.grant(client_mac(true, 1, 0), "p", &mut grants);
    pair.grant(client_mac(false, 1, 0), "s", &mut grants);
    pair.wait_synced(&grants);

    for (killed, survivor) in [("p", "s"), ("s", "p")] {
        let from = pair.log_len();
        pair.kill9(killed == "p");
        let at = if survivor == "p" { from.0 } else { from.1 };
        pair.wait_log(
            survivor,
            at,
            "failover peer fo: I move from normal to communications-interrupted",
            30,
        );
        // A client of the dead server's hash half: the survivor answers it from its own pool.
        let own = if survivor == "p" { "free" } else { "backup" };
        let before = states(&pair.read(&format!("{survivor}.leases")));
        let k = if killed == "p" { 2 } else { 3 };
        let g = pair.grant(client_mac(killed == "p", k, 0), survivor, &mut grants);
        // (A FREE lease with no client is left out of a rewritten file, by ISC too.)
        assert_eq!(
            before.get(&g.ip).map_or("free", String::as_str),
            own,
            "{survivor} gave {} in communications-interrupted, not from its own {own} leases\n{}",
            g.ip,
            pair.read(&format!("{survivor}.leases"))
        );
        assert!(g.secs <= i64::from(opts.mclt), "{g:?}: longer than MCLT");
        pair.check_invariants(&grants, false);
        // The dead server's file still has every lease it ACKed (kill -9 loses nothing).
        let dead = bindings(&pair.read(&format!("{killed}.leases")));
        for g in &grants[..2] {
            assert_eq!(
                dead.get(&g.ip),
                Some(&("active".to_string(), Some(g.mac))),
                "{killed}.leases lost {} after kill -9",
                g.ip
            );
        }
        std::thread::sleep(Duration::from_secs(1));
        pair.restart(killed == "p");
        pair.wait_normal(from, 60);
        pair.wait_synced(&grants);
    }
    pair.dump();
}

/// A partition of the failover link only (TCP port 647 dropped both ways, DHCP untouched):
/// both servers go COMMUNICATIONS-INTERRUPTED after max-response-delay, each serves every
/// client from its own free leases, and after the heal both return to NORMAL with all the
/// bindings made meanwhile in both files.
#[test]
fn ours_pair_tcp_partition_and_heal() {
    let opts = Opts {
        delay: 6,
        mclt: 120,
        auto_partner_down: 0,
        last: POOL_LAST,
    };
    let pair = Pair::with_opts("fo4t", Impl::Ours, Impl::Ours, &opts);
    pair.wait_normal((0, 0), 60);
    settle_split(&pair);
    let mut grants = Vec::new();
    pair.grant(client_mac(true, 4, 0), "p", &mut grants);
    pair.wait_synced(&grants);
    let from = pair.log_len();
    pair.partition_tcp(true);
    for (name, at) in [("p", from.0), ("s", from.1)] {
        pair.wait_log(
            name,
            at,
            "failover peer fo: I move from normal to communications-interrupted",
            30,
        );
    }
    // Both answer every client now, each from its own free leases.
    let before = (
        states(&pair.read("p.leases")),
        states(&pair.read("s.leases")),
    );
    for i in 0..4 {
        let mac = client_mac(i % 2 == 0, 5, i);
        let g = pair
            .client(mac, 15)
            .unwrap_or_else(|| panic!("no lease in the partition\n{}", pair.logs()));
        let line = format!("DHCPACK on {} to {}", g.ip, mac_text(&mac));
        let by_p = pair.read("p.log").contains(&line);
        let (snapshot, own) = if by_p {
            (&before.0, "free")
        } else {
            (&before.1, "backup")
        };
        assert_eq!(
            snapshot.get(&g.ip).map_or("free", String::as_str),
            own,
            "{} granted by {} not from its own pool",
            g.ip,
            if by_p { "p" } else { "s" }
        );
        grants.push(g);
        pair.check_invariants(&grants, false);
    }
    let healed = pair.log_len();
    pair.partition_tcp(false);
    pair.wait_normal(healed, 60);
    pair.wait_synced(&grants);
    pair.dump();
}

/// The partner dies (kill -9) and the survivor, primary or secondary (ours; ISC's too with
/// `auto-partner-down`), enters PARTNER-DOWN (by the operator, `dhcpd --partner-down`, or by
/// `auto-partner-down`): it serves from its own free leases at once, from
/// the partner's only strictly after MCLT; then the partner comes back with an empty lease
/// file (a replaced server) and goes RECOVER, RECOVER-WAIT (MCLT), RECOVER-DONE, NORMAL.
fn partner_down_scenario(
    tag: &str,
    primary: Impl,
    secondary: Impl,
    survivor_primary: bool,
    auto: bool,
    restart_survivor: bool,
    return_empty: bool,
) {
    const MCLT: i64 = 30;
    let opts = Opts {
        delay: 6,
        mclt: MCLT as u32,
        auto_partner_down: if auto { 5 } else { 0 },
        last: POOL_FIRST + 5,
    };
    let (sv, dead) = if survivor_primary {
        ("p", "s")
    } else {
        ("s", "p")
    };
    let mut pair = Pair::with_opts(tag, primary, secondary, &opts);
    pair.wait_normal((0, 0), 60);
    settle_split(&pair);
    let split = states(&pair.read(&format!("{sv}.leases")));
    // The survivor's own free leases (FREE for a primary, BACKUP for a secondary) and its
    // partner's. (A FREE lease with no client may be absent from a file: ISC leaves those out
    // too.)
    let (own, theirs): (Vec<Ipv4Addr>, Vec<Ipv4Addr>) = (POOL_FIRST..=opts.last)
        .map(|n| Ipv4Addr::new(198, 51, 100, n))
        .partition(|a| (split.get(a).is_some_and(|s| s == "backup")) != survivor_primary);
    assert!(!own.is_empty() && !theirs.is_empty(), "{split:?}");

    let from = pair.log_len();
    let sv_from = if survivor_primary { from.0 } else { from.1 };
    pair.kill9(!survivor_primary);
    pair.wait_log(
        sv,
        sv_from,
        "failover peer fo: I move from normal to communications-interrupted",
        30,
    );
    if auto {
        pair.wait_log(
            sv,
            sv_from,
            "failover peer fo: I move from communications-interrupted to partner-down",
            30,
        );
    } else {
        let out = pair.control(sv, &["--partner-down", "fo"]);
        assert!(out.status.success(), "{out:?}\n{}", pair.logs());
        pair.wait_log(
            sv,
            sv_from,
            "failover peer fo: I move from communications-interrupted to partner-down",
            5,
        );
    }
    // The log line may come out before the journal has written the state record.
    let recorded = Lab::wait_for(Duration::from_secs(10), || {
        !my_state_times(&pair.read(&format!("{sv}.leases")), "partner-down").is_empty()
    });
    let text = pair.read(&format!("{sv}.leases"));
    assert!(
        recorded,
        "partner-down not recorded in {sv}.leases:\n{text}"
    );
    let pd = *my_state_times(&text, "partner-down")
        .last()
        .expect("partner-down recorded in the lease file");
    if auto {
        let ci = *my_state_times(&text, "communications-interrupted")
            .last()
            .expect("communications-interrupted recorded");
        assert!(
            (4..=7).contains(&(pd - ci)),
            "auto-partner-down 5 fired {} s after communications-interrupted",
            pd - ci
        );
    }

    // Its own FREE leases first (one client per lease, from both hash halves).
    let mut grants = Vec::new();
    for i in 0..own.len() {
        let g = pair.grant(client_mac(i % 2 == 1, 6, i), sv, &mut grants);
        assert!(own.contains(&g.ip), "{g:?}: not one of {own:?}");
    }
    // Own pool exhausted: no address of the partner before MCLT has passed.
    let t = now_epoch();
    let extra = pair.client(client_mac(true, 7, 0), 6);
    if let Some(g) = &extra {
        assert!(
            g.ack > pd + MCLT,
            "{g:?}: an address of the partner before MCLT (partner-down at {pd})"
        );
        grants.push(g.clone());
    } else {
        assert!(t < pd + MCLT, "the refused attempt was not before MCLT");
    }
    // After MCLT the partner's leases are ours.
    while now_epoch() <= pd + MCLT {
        std::thread::sleep(Duration::from_millis(200));
    }
    let g = pair.grant(client_mac(false, 7, 1), sv, &mut grants);
    assert!(g.ack > pd + MCLT);
    eprintln!(
        "{tag}: partner-down at {pd}; own {own:?}, partner's {theirs:?}; before MCLT: {extra:?}; after: {g:?}"
    );
    let reused = grants
        .iter()
        .any(|h| h.ip == g.ip && h.mac != g.mac && h.ack + h.secs <= g.ack);
    assert!(
        theirs.contains(&g.ip) || reused,
        "{g:?}: neither the partner's lease nor an expired one"
    );
    pair.check_invariants(&grants, false);

    if restart_survivor {
        // kill -9 of the survivor itself: it comes back through STARTUP (15 s, no partner)
        // to PARTNER-DOWN with the same start of state (so the MCLT wait is not restarted),
        // and with every lease it ACKed.
        let again = pair.log_len();
        pair.kill9(survivor_primary);
        let file = bindings(&pair.read(&format!("{sv}.leases")));
        for g in grants.iter().filter(|g| g.ack + g.secs > now_epoch() + 2) {
            assert_eq!(
                file.get(&g.ip),
                Some(&("active".to_string(), Some(g.mac))),
                "{sv}.leases lost {} after kill -9",
                g.ip
            );
        }
        pair.restart(survivor_primary);
        let at = if survivor_primary { again.0 } else { again.1 };
        pair.wait_log(
            sv,
            at,
            "failover peer fo: I move from startup to partner-down",
            40,
        );
        let text = pair.read(&format!("{sv}.leases"));
        assert_eq!(
            my_state_times(&text, "partner-down").last(),
            Some(&pd),
            "the start of PARTNER-DOWN changed across the restart"
        );
        let g = pair.grant(client_mac(true, 7, 2), sv, &mut grants);
        assert!(g.ack > pd + MCLT);
        pair.check_invariants(&grants, false);
    }

    // The partner comes back, with an empty lease file (a replaced server: RECOVER starts
    // now, so RECOVER-WAIT lasts MCLT) or with its old one (its saved NORMAL began more than
    // MCLT ago and leaving STARTUP keeps that start, so RECOVER goes straight to RECOVER-DONE,
    // as ISC's dhcp_failover_process_update_done decides).
    if return_empty {
        std::fs::write(pair.file(&format!("{dead}.leases")), "").expect("empty lease file");
    }
    let back = pair.log_len();
    pair.restart(!survivor_primary);
    pair.wait_normal(back, 60 + MCLT as u64);
    let (dead_log, sv_log) = (
        pair.read(&format!("{dead}.log")),
        pair.read(&format!("{sv}.log")),
    );
    let (dead_at, sv_at) = if survivor_primary {
        (back.1, back.0)
    } else {
        (back.0, back.1)
    };
    let tail = &dead_log[dead_at..];
    let path: &[&str] = if return_empty {
        &[
            "failover peer fo: I move from startup to recover",
            "failover peer fo: I move from recover to recover-wait",
            "failover peer fo: I move from recover-wait to recover-done",
            "failover peer fo: I move from recover-done to normal",
        ]
    } else {
        &[
            "failover peer fo: I move from startup to recover",
            "failover peer fo: I move from recover to recover-done",
            "failover peer fo: I move from recover-done to normal",
        ]
    };
    let mut pos = 0;
    for line in path {
        let at = tail[pos..]
            .find(line)
            .unwrap_or_else(|| panic!("{dead}: no {line:?} after {pos}\n{}", pair.logs()));
        pos += at + line.len();
    }
    assert!(
        sv_log[sv_at..].contains("failover peer fo: I move from partner-down to normal"),
        "{}",
        pair.logs()
    );
    pair.wait_synced(&grants);
    pair.dump();
}

#[test]
fn ours_pair_partner_down_then_partner_returns() {
    // The survivor is itself killed and restarted while in PARTNER-DOWN.
    partner_down_scenario("fo4d", Impl::Ours, Impl::Ours, true, false, true, true);
}

#[test]
fn ours_pair_auto_partner_down_then_partner_returns() {
    // The survivor is the secondary here: its takeover is of the primary's FREE leases. The
    // primary returns with its old lease file.
    partner_down_scenario("fo4a", Impl::Ours, Impl::Ours, false, true, false, false);
}

#[test]
fn partner_down_then_isc_partner_returns() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    // ISC returns with its old lease file.
    partner_down_scenario("fo4i", Impl::Ours, Impl::Isc, true, false, false, false);
}

#[test]
fn partner_down_then_isc_primary_returns() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    partner_down_scenario("fo4j", Impl::Isc, Impl::Ours, false, false, false, true);
}

/// The helpers the invariants rest on read dates, lease files and log lines correctly.
#[test]
fn invariant_helpers_read_dates_leases_and_logs() {
    assert_eq!(lease_epoch("6 2026/11/28 07:12:10;"), Some(1_795_849_930));
    assert_eq!(lease_epoch("4 2024/02/29 23:59:59"), Some(1_709_251_199));
    assert_eq!(lease_epoch("garbage"), None);
    let file = "lease 198.51.100.100 {\n  binding state free;\n}\n\
                lease 198.51.100.100 {\n  binding state active;\n  \
                hardware ethernet 02:00:00:4f:01:02;\n}\n\
                failover peer \"fo\" state {\n  my state partner-down at 6 2026/11/28 07:12:10;\n}\n";
    let b = bindings(file);
    let a: Ipv4Addr = "198.51.100.100".parse().expect("addr");
    assert_eq!(
        b.get(&a),
        Some(&("active".to_string(), Some([2, 0, 0, 0x4f, 1, 2])))
    );
    assert_eq!(my_state_times(file, "partner-down"), vec![1_795_849_930]);
    let log = "DHCPACK on 198.51.100.100 to 02:00:00:4f:01:02 via eth0\n\
               DHCPACK on 198.51.100.101 to 02:00:00:4f:01:03 (host) via eth0\n\
               DHCPOFFER on 198.51.100.102 to 02:00:00:4f:01:04 via eth0\n";
    assert_eq!(
        acks_in(log),
        vec![
            (a, [2, 0, 0, 0x4f, 1, 2]),
            (
                "198.51.100.101".parse().expect("addr"),
                [2, 0, 0, 0x4f, 1, 3]
            )
        ]
    );
    // Two clients of each hash half, all distinct.
    let m: Vec<[u8; 6]> = [true, false]
        .iter()
        .flat_map(|&p| (0..2).map(move |i| client_mac(p, 1, i)))
        .collect();
    assert!(m.iter().enumerate().all(|(i, x)| !m[..i].contains(x)));
}

/// ISC's own `auto-partner-down`: ISC as the survivor (primary) declares our dead secondary
/// down by itself, takes over its leases only after MCLT, and our secondary, back with its
/// lease file, recovers against it.
#[test]
fn isc_auto_partner_down_then_ours_returns() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    partner_down_scenario("fo4z", Impl::Isc, Impl::Ours, true, true, false, false);
}

/// A `failover peer "NAME" state { … }` block in dhcpd.conf, with an empty lease file: ISC and
/// ours, each alone (its partner never answers), start from the state it gives and keep its
/// dates (ISC reads the block into the peer before the lease file).
#[test]
fn a_state_block_in_dhcpd_conf_starts_isc_and_ours_alike() {
    if isc_dhcpd().is_none() {
        return; // DHCPD_RS_NO_ORACLE=1: said so already
    }
    let mut lab = Lab::new("fo4s").expect("lab (root needed)");
    let dir = TempDir::new("failover-state").expect("tempdir");
    let mut pids = Vec::new();
    for (name, which, addr) in [("i", Impl::Isc, 2u8), ("o", Impl::Ours, 3)] {
        let ns = lab.add_host(name).expect("host");
        lab.connect(&ns, "lan", "eth0", &[&format!("198.51.100.{addr}/24")])
            .expect("eth0");
        let text = format!(
            "ddns-update-style none;\nping-check false;\n\
             failover peer \"fo\" {{\n  primary;\n  address 198.51.100.{addr};\n  \
             peer address 198.51.100.9;\n  mclt 30;\n  split 128;\n  max-response-delay 6;\n  \
             load balance max seconds 3;\n}}\n\
             failover peer \"fo\" state {{\n  my state partner-down at 4 2026/11/26 10:00:00;\n  \
             partner state communications-interrupted at 4 2026/11/26 09:00:00;\n}}\n\
             subnet 198.51.100.0 netmask 255.255.255.0 {{\n  pool {{\n    failover peer \"fo\";\n    \
             range 198.51.100.100 198.51.100.105;\n  }}\n}}\n"
        );
        std::fs::write(dir.path().join(format!("{name}.conf")), text).expect("conf");
        std::fs::write(dir.path().join(format!("{name}.leases")), "").expect("leases");
        let n: &'static str = if name == "i" { "i" } else { "o" };
        pids.push(Pair::start(&mut lab, dir.path(), &ns, which, n));
    }
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap_or_default();
    let done = Lab::wait_for(Duration::from_secs(40), || {
        ["i.log", "o.log"]
            .iter()
            .all(|f| read(f).contains("failover peer fo: I move from startup to partner-down"))
    });
    let logs = format!(
        "--- ISC ---\n{}\n--- ours ---\n{}",
        read("i.log"),
        read("o.log")
    );
    assert!(done, "both should go from startup to partner-down\n{logs}");
    for (log, leases) in [("i.log", "i.leases"), ("o.log", "o.leases")] {
        assert!(
            read(log).contains("failover peer fo: I move from partner-down to startup"),
            "{log}: not started from the block's state\n{logs}"
        );
        let file = read(leases);
        assert!(
            file.contains("my state partner-down at 4 2026/11/26 10:00:00;")
                && file
                    .contains("partner state communications-interrupted at 4 2026/11/26 09:00:00;"),
            "{leases} lacks the block's dates:\n{file}"
        );
    }
    for pid in pids {
        lab.stop(pid);
    }
}
