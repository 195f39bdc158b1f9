//! ISC's `ping-check` in the sans-IO engine: an address about to be offered is pinged; the
//! OFFER waits for the ping timeout; an echo reply abandons the address and the DISCOVER goes
//! unanswered; the client's retransmission gets the next address.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_core::Engine;
use dhcpd_core::engine::Server;
use dhcpd_leases::model::BindingState;
use dhcpd_wire::message::MessageType;

const T0: u64 = 1_800_000_000;

fn server(extra: &str) -> Server {
    let text = format!(
        "{extra}\nsubnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.52; }}\n"
    );
    common::server_from_text(&text)
}

fn discover(mac: u8) -> Vec<u8> {
    common::packet(
        MessageType::Discover,
        [2, 0, 0, 0, 0, mac],
        0x1000 + u32::from(mac),
        &[],
    )
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_millis(ms)
}

fn send(s: &mut Server, ms: u64, payload: &[u8]) {
    common::broadcast(s, at(ms), payload);
}

/// (pings, offered addresses, log lines)
fn drain(s: &mut Server) -> (Vec<Ipv4Addr>, Vec<Ipv4Addr>, Vec<String>) {
    let d = common::drain(s);
    let offers = d
        .sent
        .iter()
        .map(|m| {
            assert_eq!(m.message_type(), Some(MessageType::Offer));
            m.yiaddr
        })
        .collect();
    let log = d.log_lines();
    (d.pings, offers, log)
}

#[test]
fn an_unanswered_ping_lets_the_offer_go_after_the_timeout() {
    let mut s = server("");
    send(&mut s, 0, &discover(1));
    let (pings, offers, _) = drain(&mut s);
    assert_eq!(pings, vec![Ipv4Addr::new(198, 51, 100, 50)]);
    assert!(offers.is_empty(), "the OFFER waits for the ping");
    assert_eq!(
        s.poll_timeout(),
        Some(at(1000)),
        "ping-timeout defaults to 1 s"
    );
    // A retransmission while the ping is out is ignored (ISC: the lease has a state).
    send(&mut s, 300, &discover(1));
    assert_eq!(drain(&mut s), (vec![], vec![], vec![]));
    s.handle_timeout(at(999));
    assert!(drain(&mut s).1.is_empty());
    s.handle_timeout(at(1000));
    let (_, offers, log) = drain(&mut s);
    assert_eq!(offers, vec![Ipv4Addr::new(198, 51, 100, 50)]);
    assert!(
        log.iter()
            .any(|l| l.starts_with("DHCPOFFER on 198.51.100.50"))
    );
}

#[test]
fn an_answered_ping_abandons_the_address_and_the_next_one_is_offered() {
    let mut s = server("");
    send(&mut s, 0, &discover(1));
    drain(&mut s);
    s.handle_icmp_reply(at(5), Ipv4Addr::new(198, 51, 100, 50));
    let (_, offers, log) = drain(&mut s);
    assert!(offers.is_empty(), "the DISCOVER goes unanswered");
    assert!(
        log.contains(&"Abandoning IP address 198.51.100.50: pinged before offer".to_string()),
        "{log:?}"
    );
    let e = s
        .leases()
        .get(Ipv4Addr::new(198, 51, 100, 50))
        .expect("lease");
    assert_eq!(e.lease.binding_state, BindingState::Abandoned);
    assert_eq!(s.poll_timeout(), None, "no ping waits any more");
    s.handle_timeout(at(1000));
    assert!(drain(&mut s).1.is_empty(), "nothing left to send");
    // The client tries again: the next address is pinged, then offered.
    send(&mut s, 4000, &discover(1));
    let (pings, _, _) = drain(&mut s);
    assert_eq!(pings, vec![Ipv4Addr::new(198, 51, 100, 51)]);
    s.handle_timeout(at(5000));
    assert_eq!(drain(&mut s).1, vec![Ipv4Addr::new(198, 51, 100, 51)]);
    // A late reply for an address no longer pinged changes nothing.
    s.handle_icmp_reply(at(5100), Ipv4Addr::new(198, 51, 100, 51));
    assert_eq!(drain(&mut s).2, Vec::<String>::new());
}

#[test]
fn ping_check_false_offers_at_once_and_ping_timeout_ms_is_honoured() {
    let mut s = server("ping-check false;");
    send(&mut s, 0, &discover(1));
    let (pings, offers, _) = drain(&mut s);
    assert!(pings.is_empty());
    assert_eq!(offers, vec![Ipv4Addr::new(198, 51, 100, 50)]);
    let mut s = server("ping-timeout-ms 250;");
    send(&mut s, 0, &discover(1));
    assert_eq!(drain(&mut s).0.len(), 1);
    assert_eq!(s.poll_timeout(), Some(at(250)));
    let mut s = server("ping-timeout 3;");
    send(&mut s, 0, &discover(1));
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(at(3000)));
}

#[test]
fn when_every_address_is_abandoned_the_oldest_is_reclaimed_and_pinged_again() {
    let mut s = server("");
    // Three DISCOVERs, three answered pings: the whole pool (.50-.52) is abandoned.
    for (i, d) in [50u8, 51, 52].into_iter().enumerate() {
        let ms = 2000 * i as u64;
        send(&mut s, ms, &discover(1));
        assert_eq!(drain(&mut s).0, vec![Ipv4Addr::new(198, 51, 100, d)]);
        s.handle_icmp_reply(at(ms + 10), Ipv4Addr::new(198, 51, 100, d));
        drain(&mut s);
    }
    send(&mut s, 10_000, &discover(1));
    let (pings, offers, log) = drain(&mut s);
    assert!(
        log.contains(&"Reclaiming abandoned lease 198.51.100.50.".to_string()),
        "{log:?}"
    );
    assert_eq!(
        pings,
        vec![Ipv4Addr::new(198, 51, 100, 50)],
        "re-pinged first"
    );
    assert!(offers.is_empty());
    s.handle_timeout(at(11_000));
    assert_eq!(drain(&mut s).1, vec![Ipv4Addr::new(198, 51, 100, 50)]);
    // The client takes it: ACKed, and the lease is active again.
    send(&mut s, 12_000, &request(1, Ipv4Addr::new(198, 51, 100, 50)));
    let acked = common::drain(&mut s)
        .commits
        .iter()
        .filter_map(|(_, then)| then.as_ref())
        .next_back()
        .is_some_and(|m| m.message_type() == Some(MessageType::Ack));
    assert!(acked, "the reclaimed address is ACKed");
    let e = s
        .leases()
        .get(Ipv4Addr::new(198, 51, 100, 50))
        .expect("lease");
    assert_eq!(e.lease.binding_state, BindingState::Active);
}

fn request(mac: u8, addr: Ipv4Addr) -> Vec<u8> {
    common::packet(
        MessageType::Request,
        [2, 0, 0, 0, 0, mac],
        0x1000 + u32::from(mac),
        &[(50, &addr.octets())],
    )
}
