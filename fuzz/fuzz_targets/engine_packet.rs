//! The DHCPv4 engine on arbitrary packets: whatever arrives, `handle_packet`,
//! `handle_timeout` and draining `poll_action` never panic, and every reply the
//! engine sends or commits is a BOOTP/DHCP message that parses.
//!
//! The engine is built once from a small fixed configuration: a directly attached
//! subnet with two pools (one for a class), a dynamic-bootp range, a host with a
//! fixed address and one without, and a relayed subnet with `ping-check true` (its
//! OFFERs wait for an echo reply, given when bit 4 of the control byte is set, or for
//! `handle_timeout`). The input is a sequence of
//! up to 16 packets, each `[control][length][body…]`:
//!
//! - control bit 0: relayed (UDP from a relay, port 67, giaddr forced on templated
//!   packets) rather than a client broadcast from port 68;
//! - bit 1: templated — `body` is `[chaddr byte][flags][option bytes…]` placed after a
//!   valid BOOTREQUEST header (so the fuzzer spends its time on options and state),
//!   else `body` is the whole payload, raw;
//! - bit 2: (templated) no magic cookie — the BOOTP path;
//! - bit 3: call `handle_timeout` at the new time after the packet;
//! - bits 4–7: seconds to advance the clock before the packet (×37); 15 means
//!   "arrived on an interface we do not serve".
#![no_main]

use std::net::Ipv4Addr;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;
use dhcpd_core::{Action, Engine, Received};
use dhcpd_wire::Message;
use dhcpd_wire::options::Registry;
use libfuzzer_sys::fuzz_target;

const CONF: &str = r#"
authoritative;
ddns-update-style none;
ping-check false;
default-lease-time 600;
max-lease-time 7200;
option domain-name "fuzz.example";
option domain-name-servers 198.51.100.53;

class "vendor-x" {
  match if substring (option vendor-class-identifier, 0, 4) = "PXEC";
  option domain-name "x.fuzz.example";
  filename "pxe.bin";
}

subnet 198.51.100.0 netmask 255.255.255.0 {
  option routers 198.51.100.1;
  pool {
    range 198.51.100.100 198.51.100.109;
    deny members of "vendor-x";
  }
  pool {
    range 198.51.100.110 198.51.100.114;
    allow members of "vendor-x";
  }
  range dynamic-bootp 198.51.100.200 198.51.100.203;
}

subnet 203.0.113.0 netmask 255.255.255.0 {
  # Relayed clients go through ping-check: OFFERs wait for an echo reply or the timeout.
  ping-check true;
  option routers 203.0.113.1;
  range 203.0.113.100 203.0.113.104;
}

host fixed {
  hardware ethernet 02:00:00:00:00:0a;
  fixed-address 198.51.100.20;
  option host-name "fixed";
}

host short {
  hardware ethernet 02:00:00:00:00:0b;
  default-lease-time 30;
  max-lease-time 30;
}
"#;

const SERVER_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const RELAY_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const IFINDEX: u32 = 2;

/// The parsed configuration, kept between inputs (parsing it is the slow part).
static PARSED: OnceLock<(Model, Registry)> = OnceLock::new();

fn build() -> Server {
    let (model, registry) = PARSED.get_or_init(|| {
        let out = parse_config(
            "dhcpd.conf",
            &mut MemLoader::single("dhcpd.conf", CONF),
            ParseOptions::default(),
        );
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        (Model::from_config(&out.config), out.registry)
    });
    let eth0 = IfaceInfo {
        index: IFINDEX,
        name: "eth0".into(),
        mac: [2, 0, 0, 0, 0, 1],
        addrs: vec![(SERVER_IP, 24)],
    };
    let (srv, _log) =
        Server::new(model.clone(), registry.clone(), &[eth0], &[], 68).expect("server");
    srv
}

/// A BOOTREQUEST with the given last chaddr byte, flags, giaddr and options area.
fn template(chaddr: u8, flags: u8, giaddr: Ipv4Addr, cookie: bool, opts: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 236];
    p[0] = 1; // BOOTREQUEST
    p[1] = 1; // Ethernet
    p[2] = 6;
    p[4..8].copy_from_slice(&[0x12, 0x34, 0x56, chaddr]); // xid
    if flags & 1 != 0 {
        p[10] = 0x80; // BROADCAST
    }
    if flags & 2 != 0 {
        p[12..16].copy_from_slice(&[198, 51, 100, 100 + (chaddr % 16)]); // ciaddr
    }
    p[24..28].copy_from_slice(&giaddr.octets());
    p[28..34].copy_from_slice(&[2, 0, 0, 0, 0, chaddr]);
    if cookie {
        p.extend_from_slice(&[99, 130, 83, 99]);
    }
    p.extend_from_slice(opts);
    p
}

fn check_reply(payload: &[u8]) {
    Message::from_bytes(payload).expect("the engine's reply parses");
}

fuzz_target!(|data: &[u8]| {
    // A fresh engine for every input keeps runs reproducible.
    let mut srv = build();
    let mut now = 1_800_000_000u64;
    let mut rest = data;
    for _ in 0..16 {
        let [ctl, len, tail @ ..] = rest else { break };
        let n = usize::from(*len).min(tail.len());
        let (body, next) = tail.split_at(n);
        rest = next;
        let relayed = ctl & 1 != 0;
        let step = u64::from(ctl >> 4);
        now += step * 37;
        let payload = if ctl & 2 != 0 {
            let (c, f, opts) = match body {
                [c, f, opts @ ..] => (*c, *f, opts),
                [c] => (*c, 0, &[][..]),
                [] => (0, 0, &[][..]),
            };
            let giaddr = if relayed {
                RELAY_IP
            } else {
                Ipv4Addr::UNSPECIFIED
            };
            template(c, f, giaddr, ctl & 4 == 0, opts)
        } else {
            body.to_vec()
        };
        let (src_ip, dst_ip, src_port) = if relayed {
            (RELAY_IP, SERVER_IP, 67)
        } else {
            (Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST, 68)
        };
        let at = UNIX_EPOCH + Duration::from_secs(now);
        srv.handle_packet(
            at,
            &Received {
                ifindex: if step == 15 { 99 } else { IFINDEX },
                src_mac: [2, 0, 0, 0, 0, payload.get(33).copied().unwrap_or(0)],
                src_ip,
                dst_ip,
                src_port,
                payload: &payload,
            },
        );
        if ctl & 8 != 0 {
            srv.handle_timeout(at);
        }
        let _ = srv.poll_timeout();
        while let Some(a) = srv.poll_action() {
            match a {
                Action::Send(t) => check_reply(&t.payload),
                Action::Commit { record, then } => {
                    assert!(!record.is_empty(), "an empty lease record");
                    if let Some(t) = then {
                        check_reply(&t.payload);
                    }
                }
                Action::Log(..)
                | Action::CommitAck { .. }
                | Action::Execute { .. }
                | Action::DnsSend { .. } => {}
                // An echo request the server would send; answer some of them, so the
                // ping-check paths (abandon on reply) are exercised too.
                Action::Ping { addr, .. } => {
                    if ctl & 16 != 0 {
                        srv.handle_icmp_reply(at, addr);
                    }
                }
            }
        }
    }
});
