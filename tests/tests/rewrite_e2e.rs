//! The lease-file rewrite of a running server (ISC's `commit_leases` rule: at a commit more
//! than an hour after the last rewrite). ISC's hour cannot be waited for in a test, so the
//! server runs with `DHCPD_RS_LEASE_REWRITE_PERIOD=8` (a testing knob of dhcpd-rs; ISC has
//! none, so this test runs against ours only). Checked: the rewrite happens at a commit once
//! the period has passed (ISC's `Wrote N leases to leases file.` logged), the new file holds
//! every lease ACKed before it once (`dhcpd.leases~` holds the old file), leases ACKed after
//! it are appended to the new file, and ISC's `dhcpd -T` accepts the result.

mod common;

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::Duration;

use common::{Pkt, probe};
use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd};
use dhcpd_testlab::Lab;
use dhcpd_wire::message::MessageType::{Ack, Discover, Release, Request};

const CONF: &str = "ddns-update-style none;\nping-check false;\ndefault-lease-time 600;\n\
subnet 198.51.100.0 netmask 255.255.255.0 {\n  authoritative;\n  range 198.51.100.50 198.51.100.69;\n}\n";

const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

/// DISCOVER then REQUEST for client `n`; the ACKed address.
fn lease(lab: &Lab, cli: &str, srv_mac: &str, n: u8) -> Ipv4Addr {
    let mac = [2, 0, 0, 0, 0x30, n];
    let bcast = (Ipv4Addr::BROADCAST, 67);
    let src = (Ipv4Addr::UNSPECIFIED, 68);
    let offer = probe(
        lab,
        cli,
        700,
        src,
        bcast,
        "ff:ff:ff:ff:ff:ff",
        &Pkt::dhcp(mac, Discover, 0x3000 + u32::from(n)).bytes(),
    );
    let yiaddr = offer.first().expect("an OFFER").msg().yiaddr;
    let ack = probe(
        lab,
        cli,
        700,
        src,
        bcast,
        "ff:ff:ff:ff:ff:ff",
        &Pkt::dhcp(mac, Request, 0x3100 + u32::from(n))
            .addr(50, yiaddr)
            .addr(54, SERVER)
            .bytes(),
    );
    let m = ack.first().expect("an ACK").msg();
    assert_eq!(m.message_type(), Some(Ack));
    let _ = srv_mac;
    m.yiaddr
}

fn count(text: &str, addr: Ipv4Addr) -> usize {
    text.matches(&format!("lease {addr} {{")).count()
}

#[test]
fn a_running_server_rewrites_its_lease_file_after_the_period() {
    if common::is_isc() {
        return; // ISC's period is an hour, fixed at build time
    }
    let mut lab = Lab::new("rwr").expect("lab (root needed)");
    let srv = lab.add_host("srv").expect("srv");
    let cli = lab.add_host("cli").expect("cli");
    let srv_mac = lab
        .connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .expect("srv");
    lab.connect(&cli, "lan", "eth0", &["198.51.100.2/24"])
        .expect("cli");
    let _ = lab.exec(
        &cli,
        &["ip", "link", "set", "eth0", "promisc", "on"],
        Duration::from_secs(5),
    );
    let tmp = TempDir::new("rewrite-e2e").expect("tmp");
    let dir = tmp.path();
    std::fs::write(dir.join("dhcpd.conf"), CONF).expect("conf");
    std::fs::write(dir.join("dhcpd.leases"), "").expect("leases");
    let mut cmd = lab.command(&srv, our_dhcpd().to_str().expect("utf8"));
    cmd.args(["-4", "-f", "-d", "-cf"])
        .arg(dir.join("dhcpd.conf"))
        .arg("-lf")
        .arg(dir.join("dhcpd.leases"))
        .arg("-pf")
        .arg(dir.join("dhcpd.pid"))
        .arg("eth0")
        .env("DHCPD_RS_LEASE_REWRITE_PERIOD", "8")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).expect("log"));
    let pid = lab.spawn(cmd).expect("start");
    let log = || std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    assert!(
        Lab::wait_for(Duration::from_secs(5), || log()
            .contains("Server starting service.")),
        "did not start:\n{}",
        log()
    );
    let served = || {
        log()
            .split("Server starting service.")
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    // Within the first period (the probes take about 4 s): a lease, its release (a second
    // record of the same address) and another lease, appended to the journal.
    let a = lease(&lab, &cli, &srv_mac, 1);
    let released = probe(
        &lab,
        &cli,
        700,
        (a, 68),
        (Ipv4Addr::BROADCAST, 67),
        "ff:ff:ff:ff:ff:ff",
        &Pkt::dhcp([2, 0, 0, 0, 0x30, 1], Release, 0x3201)
            .ciaddr(a)
            .addr(54, SERVER)
            .bytes(),
    );
    assert!(released.is_empty());
    let b = lease(&lab, &cli, &srv_mac, 2);
    let before = std::fs::read_to_string(dir.join("dhcpd.leases")).expect("leases");
    assert_eq!(count(&before, a), 2, "journal appends:\n{before}");
    assert!(
        !served().contains("leases to leases file."),
        "rewritten too early:\n{}",
        log()
    );
    // More than the period after start-up, the next commit rewrites the file.
    std::thread::sleep(Duration::from_secs(9));
    let c = lease(&lab, &cli, &srv_mac, 3);
    assert!(
        Lab::wait_for(Duration::from_secs(5), || served()
            .contains("leases to leases file.")),
        "no rewrite logged:\n{}",
        log()
    );
    let after = std::fs::read_to_string(dir.join("dhcpd.leases")).expect("leases");
    assert!(after.starts_with("# The format of this file"), "{after}");
    assert_eq!(count(&after, a), 1, "compacted:\n{after}");
    assert_eq!(count(&after, b), 1, "{after}");
    assert_eq!(count(&after, c), 1, "{after}");
    let backup = std::fs::read_to_string(dir.join("dhcpd.leases~")).expect("backup");
    assert!(count(&backup, a) == 2 && count(&backup, c) == 1, "{backup}");
    // A lease ACKed right after is appended to the new file (no second rewrite: the
    // period starts again).
    let d = lease(&lab, &cli, &srv_mac, 4);
    let last = std::fs::read_to_string(dir.join("dhcpd.leases")).expect("leases");
    assert!(last.starts_with(&after), "appended to the new file");
    assert_eq!(count(&last, d), 1);
    assert_eq!(served().matches("leases to leases file.").count(), 1);
    lab.stop(pid);
    // ISC reads what we wrote.
    if let Some(isc) = isc_dhcpd() {
        let out = std::process::Command::new("unshare")
            .arg("-n")
            .arg(isc)
            .args(["-4", "-T", "-cf"])
            .arg(dir.join("dhcpd.conf"))
            .arg("-lf")
            .arg(dir.join("dhcpd.leases"))
            .output()
            .expect("dhcpd -T");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "ISC rejects our file:\n{text}");
        assert!(text.contains("Wrote 4 leases to leases file."), "{text}");
    }
}
