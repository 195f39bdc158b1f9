//! The differential table: the same scripted client packets, one at a time, to ISC dhcpd
//! 4.4.3 and to ours, each started fresh in the same lab with the same configuration. Every
//! reply is compared — message type, addresses, flags, `file`/`sname`, every option (code,
//! value, order), where it went (MAC, IP, port) — and lease times (51, 58, 59) to the second:
//! both servers answer a renewal inside the cache threshold with the lease's *remaining*
//! time, which depends on when the row ran, so lease times may differ by 1 s plus the
//! difference between the two runs' elapsed time at that row.
//!
//! The servers' log lines after start-up must be the same too (ISC's debug-level
//! `reuse_lease:` lines aside).
//!
//! A row that differs fails the test unless docs/compatibility.md lists it, with its reason,
//! under "Differential table: accepted differences" as ``- `ROW`: reason``.
//!
//! The probe host acts as every client (each row its own hardware address) and as the relay
//! agents (giaddr 203.0.113.1 and 203.0.113.129); it holds the clients' addresses so that the
//! servers' unicast replies (renewals, INFORM, relays) are ARPed and delivered.

mod common;

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use common::{Pkt, Reply, probe, start_server};
use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd, workspace_root};
use dhcpd_testlab::Lab;
use dhcpd_wire::message::MessageType::{self, Decline, Discover, Inform, Release, Request};

const CONF: &str = r#"ddns-update-style none;
ping-check false;
default-lease-time 600;
max-lease-time 7200;
min-lease-time 60;
option domain-name "lab.example";
option domain-name-servers 198.51.100.53;

class "vendor-a" {
  match if substring (option vendor-class-identifier, 0, 7) = "vendorA";
  option domain-name "a.lab.example";
  set seen-as = "vendor-a";
}
class "short" {
  match if option vendor-class-identifier = "short";
  default-lease-time 2;
  min-lease-time 2;
  on expiry {
    set lapsed = "yes";
    unset vendor-class-identifier;
  }
}
class "limited" {
  match if substring (option vendor-class-identifier, 0, 7) = "limited";
  spawn with option agent.circuit-id;
  lease limit 1;
}
class "olpc" {
  match if option vendor-class-identifier = "olpc";
  one-lease-per-client true;
  set doomed = "x";
  on release {
    log (info, concat ("olpc release ", binary-to-ascii (10, 8, ".", leased-address)));
  }
  on commit {
    log (info, concat ("olpc commit ", binary-to-ascii (10, 8, ".", leased-address)));
    set olpc-committed = binary-to-ascii (10, 8, ".", leased-address);
    set commits = "one";
    unset doomed;
  }
}

subnet 198.51.100.0 netmask 255.255.255.0 {
  authoritative;
  option routers 198.51.100.1;
  pool {
    range 198.51.100.50 198.51.100.59;
    range 198.51.100.100 198.51.100.109;
    deny members of "vendor-a";
    deny known-clients;
  }
  pool {
    range 198.51.100.60 198.51.100.64;
    allow members of "vendor-a";
    option domain-name "pool-a.lab.example";
    default-lease-time 900;
  }
  pool {
    range 198.51.100.65 198.51.100.69;
    allow known-clients;
  }
  pool {
    range dynamic-bootp 198.51.100.70 198.51.100.74;
    allow dynamic bootp clients;
  }
}

subnet 203.0.113.0 netmask 255.255.255.128 {
  authoritative;
  option routers 203.0.113.1;
  range 203.0.113.10 203.0.113.20;
  if option agent.circuit-id = "stash-1" {
    option domain-name "stashed.lab.example";
  }
}

subnet 203.0.113.128 netmask 255.255.255.128 {
  option routers 203.0.113.129;
  option domain-name "far.lab.example";
  max-lease-time 1000;
  range 203.0.113.140 203.0.113.150;
}

host known1 { hardware ethernet 02:00:00:00:20:01; }
host fixed1 {
  hardware ethernet 02:00:00:00:20:02;
  fixed-address 198.51.100.9;
  option host-name "fixed1";
  default-lease-time 3000;
}
host byid {
  option dhcp-client-identifier "client-3";
  fixed-address 198.51.100.10;
}
host by-circuit {
  host-identifier option agent.circuit-id "port-7";
  fixed-address 203.0.113.5;
  option host-name "by-circuit";
}
host by-circuit-dynamic {
  host-identifier option agent.circuit-id "port-8";
}
host boot1 {
  hardware ethernet 02:00:00:00:20:04;
  fixed-address 198.51.100.11;
  filename "boot.img";
  next-server 198.51.100.1;
}
"#;

const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const NEAR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const FAR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 129);

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, d)
}
fn mac(s: u8, n: u8) -> [u8; 6] {
    [2, 0, 0, 0, s, n]
}

/// A row: a name, the packet, and whether the client sends it to the server's address
/// (renewing) rather than broadcast.
struct Row {
    name: &'static str,
    pkt: Pkt,
    unicast: bool,
    /// Wait this long before sending (lets a short lease expire).
    delay_ms: u64,
}

fn row(name: &'static str, pkt: Pkt) -> Row {
    Row {
        name,
        pkt,
        unicast: false,
        delay_ms: 0,
    }
}

fn rows() -> Vec<Row> {
    let sid = |p: Pkt| p.addr(54, SERVER);
    let prl = [1u8, 3, 6, 15, 51, 54, 58, 59];
    let mut x = 0x5000_u32;
    let mut xid = || {
        x += 1;
        x
    };
    let a = mac(0x10, 1);
    let b = mac(0x10, 2);
    vec![
        row(
            "plain discover",
            Pkt::dhcp(a, Discover, xid()).opt(55, &prl),
        ),
        row(
            "plain request (selecting)",
            sid(Pkt::dhcp(a, Request, xid()).addr(50, ip(50))).opt(55, &prl),
        ),
        Row {
            name: "renew (unicast, ciaddr)",
            pkt: Pkt::dhcp(a, Request, xid()).ciaddr(ip(50)).opt(55, &prl),
            unicast: true,
            delay_ms: 0,
        },
        row(
            "rebind (broadcast, ciaddr)",
            Pkt::dhcp(a, Request, xid()).ciaddr(ip(50)).opt(55, &prl),
        ),
        row("release", sid(Pkt::dhcp(a, Release, xid()).ciaddr(ip(50)))),
        row(
            "discover after release: same address",
            Pkt::dhcp(a, Discover, xid()),
        ),
        row(
            "requested lease time below min-lease-time",
            Pkt::dhcp(b, Discover, xid()).opt(51, &30u32.to_be_bytes()),
        ),
        row(
            "requested lease time above max-lease-time",
            sid(Pkt::dhcp(b, Request, xid()).addr(50, ip(51))).opt(51, &100_000u32.to_be_bytes()),
        ),
        row(
            "requested lease time within bounds",
            Pkt::dhcp(mac(0x10, 0x0e), Discover, xid()).opt(51, &1234u32.to_be_bytes()),
        ),
        row(
            "discover requesting a free address",
            Pkt::dhcp(mac(0x10, 3), Discover, xid()).addr(50, ip(55)),
        ),
        row(
            "discover requesting a taken address",
            Pkt::dhcp(mac(0x10, 4), Discover, xid()).addr(50, ip(51)),
        ),
        row(
            "init-reboot for a foreign address (authoritative)",
            Pkt::dhcp(mac(0x10, 4), Request, xid()).addr(50, Ipv4Addr::new(203, 0, 113, 200)),
        ),
        row(
            "init-reboot for a free address never leased",
            Pkt::dhcp(mac(0x10, 5), Request, xid()).addr(50, ip(57)),
        ),
        row(
            "init-reboot for another client's address",
            Pkt::dhcp(mac(0x10, 6), Request, xid()).addr(50, ip(51)),
        ),
        row(
            "init-reboot for an address outside every pool",
            Pkt::dhcp(mac(0x10, 6), Request, xid()).addr(50, ip(99)),
        ),
        row(
            "selecting for an address never offered",
            sid(Pkt::dhcp(mac(0x10, 0x0f), Request, xid()).addr(50, ip(58))),
        ),
        row(
            "class member: class pool, class option over pool option",
            Pkt::dhcp(mac(0x10, 7), Discover, xid())
                .opt(60, b"vendorA-1.0")
                .opt(55, &prl),
        ),
        row(
            "class member request",
            sid(Pkt::dhcp(mac(0x10, 7), Request, xid()).addr(50, ip(60)))
                .opt(60, b"vendorA-1.0")
                .opt(55, &prl),
        ),
        row(
            "known client: known-clients pool",
            Pkt::dhcp(mac(0x20, 1), Discover, xid()),
        ),
        row(
            "unknown client asking for a known-clients address",
            Pkt::dhcp(mac(0x10, 8), Discover, xid()).addr(50, ip(65)),
        ),
        row(
            "host fixed address with host options",
            Pkt::dhcp(mac(0x20, 2), Discover, xid()).opt(55, &[1, 3, 6, 12, 15, 51]),
        ),
        row(
            "host fixed address request",
            sid(Pkt::dhcp(mac(0x20, 2), Request, xid()).addr(50, ip(9))).opt(55, &[1, 3, 12, 51]),
        ),
        row(
            "host fixed address, the client sends a host name (not in ISC's log lines)",
            Pkt::dhcp(mac(0x20, 2), Discover, xid()).opt(12, b"laptop"),
        ),
        row(
            "host fixed address request with a host name",
            sid(Pkt::dhcp(mac(0x20, 2), Request, xid()).addr(50, ip(9))).opt(12, b"laptop"),
        ),
        row(
            "host by client identifier",
            Pkt::dhcp(mac(0x10, 9), Discover, xid()).opt(61, b"client-3"),
        ),
        row(
            "bootp fixed address, filename, next-server",
            Pkt::bootp(mac(0x20, 4), xid()),
        ),
        row("bootp dynamic client", Pkt::bootp(mac(0x10, 0x0a), xid())),
        row(
            "relay discover with option 82 (authoritative subnet)",
            Pkt::dhcp(mac(0x11, 1), Discover, xid())
                .relayed(NEAR)
                .opt(55, &prl)
                .opt(82, &[1, 2, b'c', b'1', 2, 3, b'r', b'i', b'd']),
        ),
        row(
            "relay request with option 82",
            sid(Pkt::dhcp(mac(0x11, 1), Request, xid()).addr(50, Ipv4Addr::new(203, 0, 113, 10)))
                .relayed(NEAR)
                .opt(55, &prl)
                .opt(82, &[1, 2, b'c', b'1']),
        ),
        row(
            "relay discover (non-authoritative subnet, max-lease-time)",
            Pkt::dhcp(mac(0x11, 2), Discover, xid())
                .relayed(FAR)
                .opt(51, &5000u32.to_be_bytes()),
        ),
        row(
            "relay init-reboot wrong subnet, not authoritative",
            Pkt::dhcp(mac(0x11, 3), Request, xid())
                .relayed(FAR)
                .addr(50, ip(52)),
        ),
        row(
            "relay init-reboot wrong subnet, authoritative",
            Pkt::dhcp(mac(0x11, 3), Request, xid())
                .relayed(NEAR)
                .addr(50, ip(52)),
        ),
        row(
            "init-reboot wrong subnet on the local segment",
            Pkt::dhcp(mac(0x11, 4), Request, xid()).addr(50, Ipv4Addr::new(203, 0, 113, 12)),
        ),
        row(
            "decline: discover",
            Pkt::dhcp(mac(0x12, 1), Discover, xid()),
        ),
        row(
            "decline: request",
            sid(Pkt::dhcp(mac(0x12, 1), Request, xid()).addr(50, ip(53))),
        ),
        row(
            "decline",
            sid(Pkt::dhcp(mac(0x12, 1), Decline, xid()).addr(50, ip(53))),
        ),
        row(
            "discover after decline: another address",
            Pkt::dhcp(mac(0x12, 1), Discover, xid()),
        ),
        Row {
            name: "inform (unicast)",
            pkt: Pkt::dhcp(mac(0x12, 2), Inform, xid())
                .ciaddr(ip(30))
                .opt(55, &[1, 3, 6, 15]),
            unicast: true,
            delay_ms: 0,
        },
        row(
            "inform (broadcast)",
            Pkt::dhcp(mac(0x12, 2), Inform, xid())
                .ciaddr(ip(30))
                .opt(55, &[6, 15, 3]),
        ),
        row(
            "lease limit: first client of a circuit",
            Pkt::dhcp(mac(0x13, 1), Discover, xid())
                .relayed(NEAR)
                .opt(60, b"limited")
                .opt(82, &[1, 2, b'L', b'1']),
        ),
        row(
            "lease limit: first client's request",
            sid(Pkt::dhcp(mac(0x13, 1), Request, xid()).addr(50, Ipv4Addr::new(203, 0, 113, 12)))
                .relayed(NEAR)
                .opt(60, b"limited")
                .opt(82, &[1, 2, b'L', b'1']),
        ),
        row(
            "lease limit: second client of the same circuit",
            Pkt::dhcp(mac(0x13, 2), Discover, xid())
                .relayed(NEAR)
                .opt(60, b"limited")
                .opt(82, &[1, 2, b'L', b'1']),
        ),
        row(
            "lease limit: client of another circuit",
            Pkt::dhcp(mac(0x13, 3), Discover, xid())
                .relayed(NEAR)
                .opt(60, b"limited")
                .opt(82, &[1, 2, b'L', b'2']),
        ),
        row(
            "no parameter request list: default order",
            Pkt::dhcp(mac(0x14, 1), Discover, xid()),
        ),
        row(
            "long parameter request list",
            Pkt::dhcp(mac(0x14, 2), Discover, xid()).opt(
                55,
                &[
                    59, 58, 54, 51, 15, 6, 3, 1, 28, 2, 12, 42, 119, 121, 26, 44, 47,
                ],
            ),
        ),
        row(
            "small maximum message size",
            Pkt::dhcp(mac(0x14, 3), Discover, xid())
                .opt(57, &300u16.to_be_bytes())
                .opt(55, &[1, 3, 6, 15]),
        ),
        row(
            "request for another server",
            Pkt::dhcp(mac(0x14, 3), Request, xid())
                .addr(54, ip(254))
                .addr(50, ip(56)),
        ),
        row(
            "discover with the broadcast flag",
            Pkt::dhcp(mac(0x14, 4), Discover, xid()).broadcast(),
        ),
        row(
            "discover with a host name",
            Pkt::dhcp(mac(0x14, 5), Discover, xid()).opt(12, b"laptop"),
        ),
        row(
            "request with a client identifier, then by it",
            sid(Pkt::dhcp(mac(0x14, 6), Request, xid()).addr(50, ip(59)))
                .opt(61, &[1, 2, 0, 0, 0, 0x14, 6]),
        ),
        row(
            "same identifier, other hardware: same lease",
            Pkt::dhcp(mac(0x14, 7), Discover, xid()).opt(61, &[1, 2, 0, 0, 0, 0x14, 6]),
        ),
        row(
            "release of an address not the client's",
            sid(Pkt::dhcp(mac(0x14, 8), Release, xid()).ciaddr(ip(51))),
        ),
        row(
            "bootp client asking again",
            Pkt::bootp(mac(0x10, 0x0a), xid()),
        ),
        row(
            "inform relayed from a non-authoritative subnet",
            Pkt::dhcp(mac(0x15, 1), Inform, xid())
                .ciaddr(Ipv4Addr::new(203, 0, 113, 141))
                .relayed(FAR),
        ),
        row(
            "inform relayed from an authoritative subnet",
            Pkt::dhcp(mac(0x15, 2), Inform, xid())
                .ciaddr(Ipv4Addr::new(203, 0, 113, 30))
                .relayed(NEAR)
                .opt(55, &[3, 15, 6]),
        ),
        row(
            "inform with no address at all",
            Pkt::dhcp(mac(0x15, 3), Inform, xid()),
        ),
        row(
            "discover from a client with an active lease",
            Pkt::dhcp(b, Discover, xid()),
        ),
        Row {
            name: "renew with ciaddr and server id (RFC 1541 client)",
            pkt: sid(Pkt::dhcp(b, Request, xid()).ciaddr(ip(51))),
            unicast: true,
            delay_ms: 0,
        },
        row(
            "rebind with the broadcast flag",
            Pkt::dhcp(b, Request, xid()).ciaddr(ip(51)).broadcast(),
        ),
        row(
            "decline of an address that is not leased",
            sid(Pkt::dhcp(mac(0x15, 4), Decline, xid()).addr(50, ip(107))),
        ),
        row(
            "discover after an unleased address was declined",
            Pkt::dhcp(mac(0x15, 5), Discover, xid()),
        ),
        row(
            "short lease (class default-lease-time 2): discover",
            Pkt::dhcp(mac(0x16, 1), Discover, xid()).opt(60, b"short"),
        ),
        row(
            "short lease: request",
            sid(Pkt::dhcp(mac(0x16, 1), Request, xid()).addr(50, ip(52))).opt(60, b"short"),
        ),
        Row {
            name: "after the short lease expired: a new client",
            pkt: Pkt::dhcp(mac(0x16, 2), Discover, xid()),
            unicast: false,
            delay_ms: 3500,
        },
        row(
            "after expiry: the same client discovers",
            Pkt::dhcp(mac(0x16, 1), Discover, xid()).opt(60, b"short"),
        ),
        row(
            "after expiry: init-reboot for the expired address",
            Pkt::dhcp(mac(0x16, 1), Request, xid())
                .addr(50, ip(52))
                .opt(60, b"short"),
        ),
        row(
            "one-lease-per-client: first lease",
            Pkt::dhcp(mac(0x17, 1), Request, xid())
                .addr(50, ip(101))
                .opt(60, b"olpc"),
        ),
        row(
            "one-lease-per-client: init-reboot into a never-used address elsewhere",
            Pkt::dhcp(mac(0x17, 1), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 15))
                .opt(60, b"olpc")
                .relayed(NEAR),
        ),
        row(
            "one-lease-per-client: the first lease was kept",
            Pkt::dhcp(mac(0x17, 2), Request, xid()).addr(50, ip(101)),
        ),
        row(
            "one-lease-per-client: renewing the second lease",
            Pkt::dhcp(mac(0x17, 1), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 15))
                .opt(60, b"olpc")
                .relayed(NEAR),
        ),
        row(
            "one-lease-per-client: the first address is free now",
            Pkt::dhcp(mac(0x17, 2), Request, xid()).addr(50, ip(101)),
        ),
        row(
            "one-lease-per-client: another client's first lease",
            Pkt::dhcp(mac(0x17, 5), Request, xid())
                .addr(50, ip(103))
                .opt(60, b"olpc"),
        ),
        row(
            "one-lease-per-client: discover elsewhere",
            Pkt::dhcp(mac(0x17, 5), Discover, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 17))
                .opt(60, b"olpc")
                .relayed(NEAR),
        ),
        row(
            "one-lease-per-client: request elsewhere",
            sid(Pkt::dhcp(mac(0x17, 5), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 17))
                .opt(60, b"olpc")
                .relayed(NEAR)),
        ),
        row(
            "one-lease-per-client: that first address is free now",
            Pkt::dhcp(mac(0x17, 6), Request, xid()).addr(50, ip(103)),
        ),
        row(
            "host-identifier agent.circuit-id: discover",
            Pkt::dhcp(mac(0x18, 1), Discover, xid())
                .relayed(NEAR)
                .opt(55, &[1, 3, 12])
                .opt(82, &[1, 6, b'p', b'o', b'r', b't', b'-', b'7']),
        ),
        row(
            "host-identifier agent.circuit-id: request",
            sid(Pkt::dhcp(mac(0x18, 1), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 5))
                .relayed(NEAR)
                .opt(55, &[1, 3, 12])
                .opt(82, &[1, 6, b'p', b'o', b'r', b't', b'-', b'7'])),
        ),
        row(
            "host-identifier: another circuit is not that host",
            Pkt::dhcp(mac(0x18, 2), Discover, xid())
                .relayed(NEAR)
                .opt(82, &[1, 6, b'p', b'o', b'r', b't', b'-', b'9']),
        ),
        row(
            "host-identifier: a known client without fixed address (known-clients pool)",
            Pkt::dhcp(mac(0x18, 3), Discover, xid())
                .opt(82, &[1, 6, b'p', b'o', b'r', b't', b'-', b'8']),
        ),
        row(
            "stash-agent-options: relayed discover with option 82",
            Pkt::dhcp(mac(0x19, 1), Discover, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 18))
                .relayed(NEAR)
                .opt(82, &[1, 7, b's', b't', b'a', b's', b'h', b'-', b'1']),
        ),
        row(
            "stash-agent-options: relayed request with option 82",
            sid(Pkt::dhcp(mac(0x19, 1), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 18))
                .relayed(NEAR)
                .opt(82, &[1, 7, b's', b't', b'a', b's', b'h', b'-', b'1'])),
        ),
        Row {
            name: "stash-agent-options: unicast renewal without option 82",
            pkt: Pkt::dhcp(mac(0x19, 1), Request, xid()).ciaddr(Ipv4Addr::new(203, 0, 113, 18)),
            unicast: true,
            delay_ms: 0,
        },
        Row {
            name: "stash-agent-options: another client renewing that address gets nothing stashed",
            pkt: Pkt::dhcp(mac(0x19, 2), Request, xid()).ciaddr(Ipv4Addr::new(203, 0, 113, 18)),
            unicast: true,
            delay_ms: 0,
        },
        row(
            "two leases allowed: first lease",
            Pkt::dhcp(mac(0x17, 3), Request, xid()).addr(50, ip(102)),
        ),
        row(
            "two leases allowed: a lease on another subnet",
            Pkt::dhcp(mac(0x17, 3), Request, xid())
                .addr(50, Ipv4Addr::new(203, 0, 113, 16))
                .relayed(NEAR),
        ),
        row(
            "two leases allowed: the first address is still taken",
            Pkt::dhcp(mac(0x17, 4), Request, xid()).addr(50, ip(102)),
        ),
    ]
}

/// What is compared of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    to: String,
    kind: Option<u8>,
    ciaddr: Ipv4Addr,
    yiaddr: Ipv4Addr,
    siaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    flags: u16,
    file: Vec<u8>,
    options: Vec<(u8, Vec<u8>)>,
}

fn seen(r: &Reply) -> Seen {
    let m = r.msg();
    let b = &r.payload;
    Seen {
        to: format!("{} {}:{}", r.dst_mac, r.dst_ip, r.dst_port),
        kind: m.message_type().map(u8::from),
        ciaddr: m.ciaddr,
        yiaddr: m.yiaddr,
        siaddr: m.siaddr,
        giaddr: m.giaddr,
        flags: m.flags,
        file: b.get(108..236).map(<[u8]>::to_vec).unwrap_or_default(),
        options: m
            .joined_options()
            .into_iter()
            .map(|o| (o.code, o.data))
            .collect(),
    }
}

/// Equal, lease times within `slack` seconds.
fn same(a: &Seen, b: &Seen, slack: u32) -> bool {
    if a == b {
        return true;
    }
    let strip = |s: &Seen| {
        let mut s = s.clone();
        for o in &mut s.options {
            if matches!(o.0, 51 | 58 | 59) {
                o.1.clear();
            }
        }
        s
    };
    if strip(a) != strip(b) {
        return false;
    }
    a.options.iter().zip(&b.options).all(|(x, y)| {
        if !matches!(x.0, 51 | 58 | 59) {
            return true;
        }
        match (
            <[u8; 4]>::try_from(x.1.as_slice()),
            <[u8; 4]>::try_from(y.1.as_slice()),
        ) {
            (Ok(p), Ok(q)) => u32::from_be_bytes(p).abs_diff(u32::from_be_bytes(q)) <= slack,
            _ => false,
        }
    })
}

fn summary(v: &[Seen]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(|s| {
            let kind = match s.kind.map(MessageType::from) {
                Some(k) => format!("{k:?}").to_uppercase(),
                None => "BOOTREPLY".into(),
            };
            let lt = s
                .options
                .iter()
                .find(|o| o.0 == 51)
                .and_then(|o| <[u8; 4]>::try_from(o.1.as_slice()).ok())
                .map(|t| format!(" {}s", u32::from_be_bytes(t)))
                .unwrap_or_default();
            format!("{kind} {}{lt}", s.yiaddr)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_all(
    lab: &mut Lab,
    srv: &str,
    cli: &str,
    srv_mac: &str,
    program: &std::path::Path,
    dir: &std::path::Path,
) -> (Vec<Vec<Seen>>, Vec<f64>, String, String) {
    let run = start_server(lab, srv, program, dir, CONF, &["eth0"], &[]);
    let mut out = Vec::new();
    let mut when = Vec::new();
    let start = std::time::Instant::now();
    for r in rows() {
        std::thread::sleep(std::time::Duration::from_millis(r.delay_ms));
        when.push(start.elapsed().as_secs_f64());
        let p = &r.pkt;
        let (src, dst, dmac) = if p.giaddr != Ipv4Addr::UNSPECIFIED {
            ((p.giaddr, 67), (SERVER, 67), srv_mac)
        } else if r.unicast {
            ((p.ciaddr, 68), (SERVER, 67), srv_mac)
        } else {
            (
                (p.ciaddr, 68),
                (Ipv4Addr::BROADCAST, 67),
                "ff:ff:ff:ff:ff:ff",
            )
        };
        let replies = probe(lab, cli, 700, src, dst, dmac, &p.bytes());
        if std::env::var("DIFF_DEBUG").is_ok() {
            eprintln!(
                "{}: alive={}",
                r.name,
                std::path::Path::new(&format!("/proc/{}", run.pid)).exists()
            );
        }
        out.push(replies.iter().map(seen).collect());
    }
    let log = run.log();
    let leases = run.leases();
    if std::env::var("DIFF_DEBUG").is_ok() {
        eprintln!("--- {} log ---\n{log}", program.display());
    }
    lab.stop(run.pid);
    (out, when, log, leases)
}

/// The variables (`set` lines) of each lease's last record in a lease file.
fn lease_variables(text: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("lease ") {
            let addr = rest.trim_end_matches(" {").to_string();
            current = Some((addr, Vec::new()));
        } else if line.starts_with('}') {
            if let Some((a, v)) = current.take() {
                out.insert(a, v);
            }
        } else if let Some((_, v)) = current.as_mut() {
            let t = line.trim();
            if t.starts_with("set ") {
                v.push(t.to_string());
            }
        }
    }
    out
}

/// Rows docs/compatibility.md accepts as different, with the reason.
fn accepted() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(workspace_root().join("docs/compatibility.md"))
        .expect("docs/compatibility.md");
    let Some(sec) = doc.split("Differential table: accepted differences").nth(1) else {
        return Vec::new();
    };
    sec.lines()
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (name, reason) = rest.split_once("`:")?;
            Some((name.to_string(), reason.trim().to_string()))
        })
        .filter(|(_, reason)| !reason.is_empty())
        .collect()
}

#[test]
fn ours_answers_scripted_clients_as_isc_does() {
    let Some(isc) = isc_dhcpd() else { return };
    let mut lab = Lab::new("diff").expect("lab (root needed)");
    let srv = lab.add_host("srv").expect("srv");
    let cli = lab.add_host("cli").expect("cli");
    let srv_mac = lab
        .connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .expect("srv");
    let mut addrs: Vec<String> = vec![
        "198.51.100.2/24".into(),
        "203.0.113.1/25".into(),
        "203.0.113.129/25".into(),
    ];
    for d in (9..=11).chain([30]).chain(50..=74).chain(100..=109) {
        addrs.push(format!("198.51.100.{d}/32"));
    }
    let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
    lab.connect(&cli, "lan", "eth0", &refs).expect("cli");
    let out = lab
        .exec(
            &cli,
            &["ip", "link", "set", "eth0", "promisc", "on"],
            std::time::Duration::from_secs(5),
        )
        .expect("promisc");
    assert!(out.status.success());
    lab.route(&srv, "203.0.113.0/25", "198.51.100.2")
        .expect("route");
    lab.route(&srv, "203.0.113.128/25", "198.51.100.2")
        .expect("route");

    let d_isc = TempDir::new("diff-isc").expect("tmp");
    let d_ours = TempDir::new("diff-ours").expect("tmp");
    let (theirs, t_isc, log_isc, leases_isc) =
        run_all(&mut lab, &srv, &cli, &srv_mac, &isc, d_isc.path());
    let (ours, t_ours, log_ours, leases_ours) =
        run_all(&mut lab, &srv, &cli, &srv_mac, &our_dhcpd(), d_ours.path());

    let ok_list = accepted();
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<58} | {:<34} | {:<34} | verdict",
        "row", "ISC", "ours"
    );
    let mut failures = Vec::new();
    let names: Vec<&str> = rows().iter().map(|r| r.name).collect();
    let mut differing = 0;
    for (i, name) in names.iter().enumerate() {
        let (t, o) = (&theirs[i], &ours[i]);
        // A lease re-sent with its remaining time depends on when the row ran in each run.
        let drift = (t_isc[i] - t_ours[i]).abs().ceil();
        let slack = 1 + if drift < 100.0 { drift as u32 } else { 100 };
        let equal = t.len() == o.len() && t.iter().zip(o).all(|(a, b)| same(a, b, slack));
        let verdict = if equal {
            "same".to_string()
        } else {
            differing += 1;
            match ok_list.iter().find(|(n, _)| n == name) {
                Some((_, why)) => format!("accepted: {why}"),
                None => {
                    failures.push(format!("row {name:?}:\n  ISC:  {t:?}\n  ours: {o:?}"));
                    "DIFFERENT".to_string()
                }
            }
        };
        let _ = writeln!(
            table,
            "{name:<58} | {:<34} | {:<34} | {verdict}",
            summary(t),
            summary(o)
        );
    }
    println!("{table}");
    // Rows whose point is an option ISC sends (or does not): check ISC's reply, so that the
    // row tests what its name says.
    let expect: [(&str, u8, Option<&[u8]>); 3] = [
        (
            "stash-agent-options: unicast renewal without option 82",
            15,
            Some(b"stashed.lab.example"),
        ),
        (
            "stash-agent-options: unicast renewal without option 82",
            82,
            None,
        ),
        (
            "stash-agent-options: relayed request with option 82",
            15,
            Some(b"stashed.lab.example"),
        ),
    ];
    for (name, code, want) in expect {
        let i = names.iter().position(|n| *n == name).expect("row");
        let got = theirs[i]
            .first()
            .and_then(|r| r.options.iter().find(|o| o.0 == code))
            .map(|o| o.1.as_slice());
        assert_eq!(got, want, "ISC's reply to row {name:?}, option {code}");
    }
    println!(
        "{} rows, {} identical, {differing} different ({} accepted in docs/compatibility.md)",
        names.len(),
        names.len() - differing,
        differing - failures.len()
    );
    assert!(names.len() >= 40);
    // Both servers must have answered most rows: a lab that delivers nothing is no test.
    let answered = theirs.iter().filter(|v| !v.is_empty()).count();
    assert!(
        answered >= 30,
        "ISC answered only {answered} rows:\n{log_isc}"
    );
    // The log lines too, in ISC's wording and order (without ISC's debug-level
    // `reuse_lease:` lines, which dhcpd-rs does not print with -d).
    let served = |log: &str| -> Vec<String> {
        log.lines()
            .skip_while(|l| !l.contains("Server starting service."))
            .skip(1)
            .filter(|l| !l.starts_with("reuse_lease:") && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let (li, lo) = (served(&log_isc), served(&log_ours));
    if li != lo {
        let at = li.iter().zip(&lo).take_while(|(a, b)| a == b).count();
        failures.push(format!(
            "log lines differ from line {at} after start-up:\n  ISC:  {:?}\n  ours: {:?}",
            li.get(at..(at + 3).min(li.len())),
            lo.get(at..(at + 3).min(lo.len()))
        ));
    } else {
        println!("log lines: {} identical to ISC's", li.len());
    }
    // The lease variables written to the lease file (`set` of the scopes, of `on commit`,
    // the client's vendor class), lease by lease.
    let (vi, vo) = (lease_variables(&leases_isc), lease_variables(&leases_ours));
    let with_vars = vi.values().filter(|v| !v.is_empty()).count();
    if std::env::var("DIFF_DEBUG").is_ok() {
        eprintln!("ISC's lease variables: {vi:#?}");
    }
    if vi != vo {
        for a in vi.keys().chain(vo.keys()) {
            if vi.get(a) != vo.get(a) {
                failures.push(format!(
                    "lease {a}: variables differ:\n  ISC:  {:?}\n  ours: {:?}",
                    vi.get(a),
                    vo.get(a)
                ));
            }
        }
    } else {
        println!("lease variables: identical to ISC's ({with_vars} leases with variables)");
    }
    assert!(with_vars >= 3, "ISC wrote too few variables:\n{leases_isc}");
    assert!(
        failures.is_empty(),
        "{table}\n{}\n--- ISC log ---\n{log_isc}\n--- our log ---\n{log_ours}",
        failures.join("\n")
    );
}
