//! Relay agent options stashed on a lease (ISC's `stash-agent-options`, on unless set false):
//! the lease record keeps the sub-options of the ACKed request's option 82, and a unicast
//! renewal without option 82 is handled as if it carried them (not echoed back). The live
//! comparison with ISC is in `tests/tests/differential.rs` (rows "stash-agent-options: …").

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_wire::message::{Message, MessageType};

const NEAR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);

fn server(global: &str) -> Server {
    let text = format!(
        "ping-check false; default-lease-time 600;\n{global}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ authoritative; }}\n\
         subnet 203.0.113.0 netmask 255.255.255.128 {{ authoritative; range 203.0.113.10 203.0.113.12;\n\
           if option agent.circuit-id = \"c1\" {{ option domain-name \"stashed\"; }} }}\n"
    );
    common::server_from_text(&text)
}

fn packet(
    ty: MessageType,
    mac: u8,
    ciaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    opts: &[(u8, &[u8])],
) -> Vec<u8> {
    let mut m = common::request(ty, [2, 0, 0, 0, 0x19, mac], 0x1900 + u32::from(mac), opts);
    m.ciaddr = ciaddr;
    m.giaddr = giaddr;
    m.to_vec().expect("encode")
}

/// Sends, returns (records committed, replies).
fn send(s: &mut Server, secs: u64, payload: &[u8], src: Ipv4Addr) -> (Vec<String>, Vec<Message>) {
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs);
    let port = if src == NEAR { 67 } else { 68 };
    common::receive(s, now, (src, port), Ipv4Addr::new(198, 51, 100, 1), payload);
    let d = common::drain(s);
    (d.records(), d.replies)
}

const AGENT: &[u8] = &[1, 2, b'c', b'1', 2, 3, b'r', b'-', b'1'];

/// Relayed DISCOVER + REQUEST with option 82; returns the REQUEST's lease record.
fn relayed_lease(s: &mut Server) -> String {
    let none = Ipv4Addr::UNSPECIFIED;
    let a = ADDR.octets();
    send(
        s,
        0,
        &packet(
            MessageType::Discover,
            1,
            none,
            NEAR,
            &[(50, &a), (82, AGENT)],
        ),
        NEAR,
    );
    let (records, replies) = send(
        s,
        1,
        &packet(
            MessageType::Request,
            1,
            none,
            NEAR,
            &[(50, &a), (54, &[198, 51, 100, 1]), (82, AGENT)],
        ),
        NEAR,
    );
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].message_type(), Some(MessageType::Ack));
    assert_eq!(replies[0].option(82).as_deref(), Some(AGENT), "echoed");
    assert_eq!(replies[0].option(15).as_deref(), Some(&b"stashed"[..]));
    records.into_iter().next().expect("record")
}

fn renew(s: &mut Server, mac: u8) -> Message {
    let (_, replies) = send(
        s,
        5,
        &packet(MessageType::Request, mac, ADDR, Ipv4Addr::UNSPECIFIED, &[]),
        ADDR,
    );
    replies.into_iter().next().expect("reply")
}

#[test]
fn the_lease_keeps_the_agent_options_and_a_renewal_uses_them() {
    let mut s = server("");
    let rec = relayed_lease(&mut s);
    assert!(rec.contains("option agent.circuit-id \"c1\";"), "{rec}");
    assert!(rec.contains("option agent.remote-id \"r-1\";"), "{rec}");
    let r = renew(&mut s, 1);
    assert_eq!(r.message_type(), Some(MessageType::Ack));
    assert_eq!(
        r.option(15).as_deref(),
        Some(&b"stashed"[..]),
        "as if relayed"
    );
    assert_eq!(r.option(82), None, "stashed options are not echoed");
    // Another client renewing that address gets nothing of them.
    let r = renew(&mut s, 2);
    assert_ne!(r.option(15).as_deref(), Some(&b"stashed"[..]));
}

#[test]
fn stash_agent_options_false_keeps_them_off_the_lease() {
    let mut s = server("stash-agent-options false;");
    let rec = relayed_lease(&mut s);
    assert!(!rec.contains("option agent."), "{rec}");
    let r = renew(&mut s, 1);
    assert_eq!(r.message_type(), Some(MessageType::Ack));
    assert_eq!(r.option(15), None);
}

#[test]
fn a_released_lease_drops_them() {
    let mut s = server("");
    relayed_lease(&mut s);
    let (records, _) = send(
        &mut s,
        3,
        &packet(
            MessageType::Release,
            1,
            ADDR,
            Ipv4Addr::UNSPECIFIED,
            &[(54, &[198, 51, 100, 1])],
        ),
        ADDR,
    );
    let rec = records.first().expect("release record");
    assert!(rec.contains("binding state free;"), "{rec}");
    assert!(!rec.contains("option agent."), "{rec}");
}
