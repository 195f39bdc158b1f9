//! `one-lease-per-client`: when a client is ACKed a lease on a DHCPREQUEST, its other leases
//! in use are released first (ISC's `ack_lease`), found by client identifier, or by hardware
//! address when the client sends none. The live comparison with ISC is in
//! `tests/tests/differential.rs` (rows "one-lease-per-client: …").

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_core::Level;
use dhcpd_core::engine::Server;
use dhcpd_leases::BindingState;
use dhcpd_wire::message::MessageType;

const T0: u64 = 1_800_000_000;
const NEAR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);

fn server(global: &str) -> Server {
    let text = format!(
        "ping-check false; default-lease-time 600; max-lease-time 600;\n{global}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ authoritative; range 198.51.100.50 198.51.100.52; }}\n\
         subnet 203.0.113.0 netmask 255.255.255.128 {{ authoritative; range 203.0.113.10 203.0.113.12; }}\n"
    );
    common::server_from_text(&text)
}

/// An INIT-REBOOT REQUEST for `want` from client `mac` (with `uid` if given), relayed by
/// `giaddr` unless it is unspecified.
fn request(mac: u8, want: Ipv4Addr, uid: Option<&[u8]>, giaddr: Ipv4Addr) -> Vec<u8> {
    packet(MessageType::Request, mac, want, uid, giaddr)
}

fn packet(
    ty: MessageType,
    mac: u8,
    want: Ipv4Addr,
    uid: Option<&[u8]>,
    giaddr: Ipv4Addr,
) -> Vec<u8> {
    packet_with(ty, mac, want, uid, giaddr, &[])
}

fn packet_with(
    ty: MessageType,
    mac: u8,
    want: Ipv4Addr,
    uid: Option<&[u8]>,
    giaddr: Ipv4Addr,
    extra: &[(u8, &[u8])],
) -> Vec<u8> {
    let want = want.octets();
    let mut opts: Vec<(u8, &[u8])> = vec![(50, &want)];
    opts.extend_from_slice(extra);
    if let Some(u) = uid {
        opts.push((61, u));
    }
    let mut m = common::request(ty, [2, 0, 0, 0, 0x17, mac], 0x1700 + u32::from(mac), &opts);
    m.giaddr = giaddr;
    m.hops = u8::from(giaddr != Ipv4Addr::UNSPECIFIED);
    m.to_vec().expect("encode")
}

fn send(s: &mut Server, secs: u64, payload: &[u8], giaddr: Ipv4Addr) {
    let now = UNIX_EPOCH + Duration::from_secs(T0 + secs);
    if giaddr != Ipv4Addr::UNSPECIFIED {
        common::receive(
            s,
            now,
            (giaddr, 67),
            Ipv4Addr::new(198, 51, 100, 1),
            payload,
        );
    } else {
        common::broadcast(s, now, payload);
    }
}

/// What one packet produced: lease records committed without a reply (releases), the ACKed
/// address, log lines.
#[derive(Debug, Default)]
struct Out {
    released: Vec<String>,
    acked: Option<Ipv4Addr>,
    logs: Vec<(Level, String)>,
}

fn drain(s: &mut Server) -> Out {
    let d = common::drain(s);
    Out {
        released: d
            .commits
            .into_iter()
            .filter_map(|(record, then)| then.is_none().then_some(record))
            .collect(),
        acked: d
            .replies
            .iter()
            .filter(|m| m.message_type() == Some(MessageType::Ack))
            .map(|m| m.yiaddr)
            .next_back(),
        logs: d.logs,
    }
}

fn state(s: &Server, a: Ipv4Addr) -> BindingState {
    s.leases().get(a).expect("lease").lease.binding_state
}

fn two_leases(s: &mut Server, uid: Option<&[u8]>, mac2: u8) -> Out {
    let a = Ipv4Addr::new(198, 51, 100, 50);
    let b = Ipv4Addr::new(203, 0, 113, 10);
    send(
        s,
        0,
        &request(1, a, uid, Ipv4Addr::UNSPECIFIED),
        Ipv4Addr::UNSPECIFIED,
    );
    let first = drain(s);
    assert_eq!(first.acked, Some(a), "{first:?}");
    assert!(first.released.is_empty());
    // DISCOVER, then REQUEST: the OFFER puts the client's identity on the lease.
    send(
        s,
        4,
        &packet(MessageType::Discover, mac2, b, uid, NEAR),
        NEAR,
    );
    drain(s);
    send(s, 5, &request(mac2, b, uid, NEAR), NEAR);
    let second = drain(s);
    assert_eq!(second.acked, Some(b), "{second:?}");
    assert_eq!(state(s, b), BindingState::Active);
    second
}

#[test]
fn the_other_lease_is_released_by_hardware_address() {
    let mut s = server("one-lease-per-client true;");
    let out = two_leases(&mut s, None, 1);
    let a = Ipv4Addr::new(198, 51, 100, 50);
    assert_eq!(state(&s, a), BindingState::Free);
    assert_eq!(out.released.len(), 1, "{out:?}");
    let rec = &out.released[0];
    assert!(rec.starts_with("lease 198.51.100.50 {"), "{rec}");
    assert!(rec.contains("binding state free;"), "{rec}");
    // Released now: ends at the time of the second request.
    let parsed = dhcpd_leases::parse_file("r", rec.as_bytes(), &Default::default());
    match parsed.records.as_slice() {
        [dhcpd_leases::Record::Lease(l)] => {
            assert_eq!(l.ends, i64::try_from(T0 + 5).expect("time"));
            assert_eq!(l.binding_state, BindingState::Free);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_the_option_both_leases_stay() {
    let mut s = server("");
    let out = two_leases(&mut s, None, 1);
    assert!(out.released.is_empty(), "{out:?}");
    assert_eq!(
        state(&s, Ipv4Addr::new(198, 51, 100, 50)),
        BindingState::Active
    );
    let mut s = server("one-lease-per-client false;");
    two_leases(&mut s, None, 1);
    assert_eq!(
        state(&s, Ipv4Addr::new(198, 51, 100, 50)),
        BindingState::Active
    );
}

#[test]
fn a_client_identifier_finds_the_lease_whatever_the_hardware() {
    let mut s = server("one-lease-per-client true;");
    // Same identifier, another network card: ISC looks the identifier up, not the MAC.
    two_leases(&mut s, Some(b"\x00client-17"), 2);
    assert_eq!(
        state(&s, Ipv4Addr::new(198, 51, 100, 50)),
        BindingState::Free
    );
    // A client with an identifier is not matched by hardware address alone.
    let mut s = server("one-lease-per-client true;");
    let a = Ipv4Addr::new(198, 51, 100, 50);
    send(
        &mut s,
        0,
        &request(1, a, Some(b"\x00one"), Ipv4Addr::UNSPECIFIED),
        Ipv4Addr::UNSPECIFIED,
    );
    drain(&mut s);
    let b = Ipv4Addr::new(203, 0, 113, 10);
    let two = Some(&b"\x00two"[..]);
    send(
        &mut s,
        4,
        &packet(MessageType::Discover, 1, b, two, NEAR),
        NEAR,
    );
    drain(&mut s);
    send(&mut s, 5, &request(1, b, two, NEAR), NEAR);
    let out = drain(&mut s);
    assert_eq!(out.acked, Some(b));
    assert!(out.released.is_empty(), "{out:?}");
    assert_eq!(state(&s, a), BindingState::Active);
}

#[test]
fn the_released_lease_runs_its_on_release_body() {
    let mut s = server(
        "one-lease-per-client true;\n\
         on release { log(info, concat(\"release \", binary-to-ascii(10, 8, \".\", leased-address))); }",
    );
    let out = two_leases(&mut s, None, 1);
    assert!(
        out.logs
            .iter()
            .any(|(l, t)| *l == Level::Info && t == "release 198.51.100.50"),
        "{:?}",
        out.logs
    );
}

#[test]
fn init_reboot_into_a_never_offered_address_releases_nothing() {
    // ISC looks the other leases up by the identity the ACKed lease carries before the
    // ACK; an address nobody held carries none (seen with ISC 4.4.3 in the differential
    // table's rows "one-lease-per-client: …").
    let mut s = server("one-lease-per-client true;");
    let a = Ipv4Addr::new(198, 51, 100, 50);
    let b = Ipv4Addr::new(203, 0, 113, 10);
    send(
        &mut s,
        0,
        &request(1, a, None, Ipv4Addr::UNSPECIFIED),
        Ipv4Addr::UNSPECIFIED,
    );
    drain(&mut s);
    send(&mut s, 5, &request(1, b, None, NEAR), NEAR);
    let out = drain(&mut s);
    assert_eq!(out.acked, Some(b));
    assert!(out.released.is_empty(), "{out:?}");
    assert_eq!(state(&s, a), BindingState::Active);
    // Renewing it (now the client's lease) releases the other one.
    send(&mut s, 9, &request(1, b, None, NEAR), NEAR);
    let out = drain(&mut s);
    assert_eq!(out.acked, Some(b));
    assert_eq!(out.released.len(), 1, "{out:?}");
    assert_eq!(state(&s, a), BindingState::Free);
}

#[test]
fn the_option_set_in_a_class_applies_to_its_members() {
    let mut s = server(
        "class \"olpc\" { match if option vendor-class-identifier = \"olpc\"; one-lease-per-client true; }",
    );
    let v: &[(u8, &[u8])] = &[(60, b"olpc")];
    let req = |mac, want, giaddr| packet_with(MessageType::Request, mac, want, None, giaddr, v);
    let (a, b) = (
        Ipv4Addr::new(198, 51, 100, 50),
        Ipv4Addr::new(203, 0, 113, 10),
    );
    let none = Ipv4Addr::UNSPECIFIED;
    send(&mut s, 0, &req(1, a, none), none);
    send(&mut s, 5, &req(1, b, NEAR), NEAR);
    send(&mut s, 9, &req(1, b, NEAR), NEAR);
    let out = drain(&mut s);
    assert_eq!(out.acked, Some(b));
    assert_eq!(state(&s, a), BindingState::Free, "{out:?}");
    // A client outside the class keeps both.
    let (c, d) = (
        Ipv4Addr::new(198, 51, 100, 51),
        Ipv4Addr::new(203, 0, 113, 11),
    );
    send(&mut s, 10, &request(2, c, None, none), none);
    send(&mut s, 11, &request(2, d, None, NEAR), NEAR);
    send(&mut s, 12, &request(2, d, None, NEAR), NEAR);
    drain(&mut s);
    assert_eq!(state(&s, c), BindingState::Active);
}
