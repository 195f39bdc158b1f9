//! `host-identifier option SPACE.NAME VALUE;`: hosts found by an option of the packet when
//! neither the client identifier nor the hardware address names one (ISC's
//! `find_hosts_by_option`). The live comparison with ISC is in
//! `tests/tests/differential.rs` (rows "host-identifier …").

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_wire::message::MessageType;

fn server(hosts: &str) -> Server {
    let text = format!(
        "ping-check false;\n{hosts}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.52; }}\n"
    );
    common::server_from_text(&text)
}

/// The address offered to a DISCOVER carrying `opts`.
fn offer(s: &mut Server, mac: u8, opts: &[(u8, &[u8])]) -> Option<Ipv4Addr> {
    let d = common::packet(
        MessageType::Discover,
        [2, 0, 0, 0, 0x18, mac],
        0x1800 + u32::from(mac),
        opts,
    );
    common::offered(s, UNIX_EPOCH + Duration::from_secs(1_800_000_000), &d)
}

const HOSTS: &str = r#"
host circuit-a { host-identifier option agent.circuit-id "a"; fixed-address 198.51.100.10; }
host circuit-a-again { host-identifier option agent.circuit-id "a"; fixed-address 198.51.100.11; }
host remote-r { host-identifier option agent.remote-id "r"; fixed-address 198.51.100.12; }
host by-vci { host-identifier option vendor-class-identifier "thin"; fixed-address 198.51.100.13; }
host by-mac { hardware ethernet 02:00:00:00:18:09; fixed-address 198.51.100.14; }
"#;

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, d)
}

#[test]
fn a_sub_option_of_the_relay_agent_option_names_the_host() {
    let mut s = server(HOSTS);
    assert_eq!(offer(&mut s, 1, &[(82, &[1, 1, b'a'])]), Some(ip(10)));
    assert_eq!(offer(&mut s, 2, &[(82, &[2, 1, b'r'])]), Some(ip(12)));
    assert_eq!(offer(&mut s, 3, &[(60, b"thin")]), Some(ip(13)));
    // No match: a dynamic address.
    let dynamic = offer(&mut s, 4, &[(82, &[1, 1, b'b'])]).expect("offer");
    assert!((50..=52).contains(&dynamic.octets()[3]), "{dynamic}");
}

#[test]
fn options_are_tried_newest_first_and_a_value_keeps_its_first_host() {
    let mut s = server(HOSTS);
    // circuit-id "a" and remote-id "r": remote-id's entry was made later, so it is tried
    // first; ISC keeps the first host declared with a value.
    assert_eq!(
        offer(&mut s, 5, &[(82, &[1, 1, b'a', 2, 1, b'r'])]),
        Some(ip(12))
    );
    let mut s = server(HOSTS);
    assert_eq!(offer(&mut s, 6, &[(82, &[1, 1, b'a'])]), Some(ip(10)));
}

#[test]
fn the_hardware_address_comes_first() {
    let mut s = server(HOSTS);
    assert_eq!(offer(&mut s, 9, &[(82, &[1, 1, b'a'])]), Some(ip(14)));
}
