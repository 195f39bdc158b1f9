//! DDNS in the sans-IO engine: which events send DNS UPDATE messages (the transactions
//! themselves are tested in `dhcpd-ddns`, the records against ISC and BIND in
//! `tests/tests/ddns.rs`).

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_core::{Action, Engine, Received};
use dhcpd_leases::model::{Binding, BindingValue, Lease};
use dhcpd_wire::message::{Message, MessageType, OpCode, OptionList, RawOption, Vendor};

const T0: u64 = 1_800_000_000;
const DNS: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 2), 53);

fn server(extra: &str) -> Server {
    let text = format!(
        "ddns-update-style standard;\nddns-domainname \"example.org\";\nping-check false;\n\
         zone example.org. {{ primary 198.51.100.2; }}\n\
         zone 100.51.198.in-addr.arpa. {{ primary 198.51.100.2; }}\n{extra}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.52; }}\n\
         host box {{ hardware ethernet 02:00:00:00:00:07; fixed-address 198.51.100.9; }}\n"
    );
    common::server_from_text(&text)
}

fn msg(mac: u8, ty: MessageType, opts: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[2, 0, 0, 0, 0, mac]);
    Message {
        op: OpCode::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x2000 + u32::from(mac),
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: Default::default(),
        file: Default::default(),
        vendor: Vendor::Options(OptionList::with_end(
            std::iter::once((53, vec![u8::from(ty)]))
                .chain(opts.iter().cloned())
                .map(|(c, v)| RawOption::new(c, v).expect("option")),
        )),
    }
    .to_vec()
    .expect("encode")
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_millis(ms)
}

fn send(s: &mut Server, ms: u64, payload: &[u8]) {
    s.handle_packet(
        at(ms),
        &Received {
            ifindex: 2,
            src_mac: [2, 0, 0, 0, 0, 9],
            src_ip: Ipv4Addr::UNSPECIFIED,
            dst_ip: Ipv4Addr::BROADCAST,
            src_port: 68,
            payload,
        },
    );
}

/// The DNS messages (destination, payload) and the replies' (type, yiaddr).
type Drained = (Vec<(SocketAddrV4, Vec<u8>)>, Vec<(MessageType, Ipv4Addr)>);

fn drain(s: &mut Server) -> Drained {
    let (mut dns, mut replies) = (vec![], vec![]);
    while let Some(a) = s.poll_action() {
        match a {
            Action::DnsSend { to, payload } => dns.push((to, payload)),
            Action::Send(t) | Action::Commit { then: Some(t), .. } => {
                let m = Message::from_bytes(&t.payload).expect("reply");
                replies.push((m.message_type().expect("type"), m.yiaddr));
            }
            _ => {}
        }
    }
    (dns, replies)
}

/// DISCOVER + REQUEST with host name "box" from `mac`; what the REQUEST produced.
fn dora(s: &mut Server, mac: u8) -> Drained {
    let name = (12, b"box".to_vec());
    send(
        s,
        0,
        &msg(mac, MessageType::Discover, std::slice::from_ref(&name)),
    );
    let (_, replies) = drain(s);
    let offered = match replies.as_slice() {
        [(MessageType::Offer, a)] => *a,
        other => panic!("expected one OFFER, got {other:?}"),
    };
    let req = msg(
        mac,
        MessageType::Request,
        &[
            (50, offered.octets().to_vec()),
            (54, vec![198, 51, 100, 1]),
            name,
        ],
    );
    send(s, 10, &req);
    drain(s)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn fixed_addresses_are_updated_only_with_update_static_leases() {
    for (extra, updated) in [
        ("", false),
        ("update-static-leases off;", false),
        ("update-static-leases on;", true),
    ] {
        let mut s = server(extra);
        let (dns, replies) = dora(&mut s, 7);
        assert_eq!(
            replies,
            vec![(MessageType::Ack, Ipv4Addr::new(198, 51, 100, 9))],
            "{extra}"
        );
        assert_eq!(!dns.is_empty(), updated, "{extra}: {dns:?}");
        for (to, payload) in &dns {
            assert_eq!(*to, DNS);
            assert!(contains(payload, b"\x03box"), "{extra}");
        }
    }
    // A dynamic lease is updated without it.
    let mut s = server("");
    let (dns, _) = dora(&mut s, 1);
    assert_eq!(dns.len(), 1, "{dns:?}");
}

fn data(name: &str, v: &[u8]) -> Binding {
    Binding {
        name: name.to_string(),
        value: BindingValue::Data(v.to_vec()),
    }
}

#[test]
fn startup_removals_start_from_the_lease_variables() {
    let mut with = Lease::new(Ipv4Addr::new(198, 51, 100, 50));
    with.bindings = vec![
        data("ddns-rev-name", b"50.100.51.198.in-addr.arpa."),
        data(
            "ddns-dhcid",
            b"\x00\x00\x01H|\xbb\xb8\x03\xa9k\xe4\x03/\xbd\x02p\x01\xe46\x1a\x80\xb7\xdc\xc7s'\xd27\xcdz\xfb\x09Y\xfe\xf1",
        ),
        data("ddns-fwd-name", b"box.example.org"),
    ];
    let without = Lease::new(Ipv4Addr::new(198, 51, 100, 51));
    let mut s = server("");
    s.ddns_startup_removals(at(0), std::slice::from_ref(&without));
    assert!(drain(&mut s).0.is_empty(), "no variables, no removal");
    s.ddns_startup_removals(at(0), std::slice::from_ref(&with));
    let (dns, _) = drain(&mut s);
    // The forward removal first (the PTR follows its answer).
    assert_eq!(dns.len(), 1, "{dns:?}");
    assert_eq!(dns[0].0, DNS);
    assert!(contains(&dns[0].1, b"\x03box"));
    // Only the reverse name: the PTR removal.
    let mut rev = Lease::new(Ipv4Addr::new(198, 51, 100, 52));
    rev.bindings = vec![data("ddns-rev-name", b"52.100.51.198.in-addr.arpa.")];
    s.ddns_startup_removals(at(0), std::slice::from_ref(&rev));
    let (dns, _) = drain(&mut s);
    assert_eq!(dns.len(), 1, "{dns:?}");
    assert!(contains(&dns[0].1, b"\x0252"));
    // Without DDNS, nothing.
    let mut plain = common::server_from_text(
        "subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.50 198.51.100.52; }\n",
    );
    plain.ddns_startup_removals(at(0), std::slice::from_ref(&with));
    assert!(drain(&mut plain).0.is_empty());
}
