//! `on commit`, `on release` and `on expiry` bodies run in the sans-IO engine with the lease
//! in context: `log` lines come out as [`Action::Log`] with ISC's priority, `execute` as
//! [`Action::Execute`].

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_core::{Engine, Level};
use dhcpd_wire::message::MessageType;

const HOOKS: &str = "ping-check false; default-lease-time 600; max-lease-time 600;\n\
on commit { log(info, concat(\"commit \", binary-to-ascii(10, 8, \".\", leased-address)));\n\
            execute(\"/bin/echo\", \"hello\", binary-to-ascii(10, 8, \".\", leased-address)); }\n\
on release { log(info, concat(\"release \", binary-to-ascii(10, 8, \".\", leased-address))); }\n\
on expiry { log(error, concat(\"expiry \", binary-to-ascii(10, 8, \".\", leased-address))); }\n";

const T0: u64 = 1_800_000_000;

fn server(extra: &str) -> Server {
    let text = format!(
        "{extra}\nsubnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.52; }}\n"
    );
    common::server_from_text(&text)
}

fn msg(mac: u8, ty: MessageType, ciaddr: Ipv4Addr, opts: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = common::request(ty, [2, 0, 0, 0, 0, mac], 0x1000 + u32::from(mac), opts);
    m.ciaddr = ciaddr;
    m.to_vec().expect("encode")
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_millis(ms)
}

fn send(s: &mut Server, ms: u64, payload: &[u8]) {
    common::broadcast(s, at(ms), payload);
}

/// Log lines (with level), executes, and replies (type, yiaddr).
type Drained = (
    Vec<(Level, String)>,
    Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    Vec<(MessageType, Ipv4Addr)>,
);

fn drain(s: &mut Server) -> Drained {
    let d = common::drain(s);
    let replies = d
        .replies
        .iter()
        .map(|m| (m.message_type().expect("type"), m.yiaddr))
        .collect();
    (d.logs, d.execs, replies)
}

/// DISCOVER + REQUEST: the ACKed address and what the REQUEST produced.
fn lease(s: &mut Server, mac: u8) -> (Ipv4Addr, Drained) {
    send(
        s,
        0,
        &msg(mac, MessageType::Discover, Ipv4Addr::UNSPECIFIED, &[]),
    );
    let (_, _, replies) = drain(s);
    let offered = match replies.as_slice() {
        [(MessageType::Offer, a)] => *a,
        other => panic!("expected one OFFER, got {other:?} {:?}", drain(s)),
    };
    let req = msg(
        mac,
        MessageType::Request,
        Ipv4Addr::UNSPECIFIED,
        &[(50, &offered.octets()), (54, &[198, 51, 100, 1])],
    );
    send(s, 10, &req);
    (offered, drain(s))
}

fn has_log(d: &Drained, level: Level, text: &str) -> bool {
    d.0.iter().any(|(l, t)| *l == level && t == text)
}

#[test]
fn on_commit_runs_at_ack_with_the_lease() {
    let mut s = server(HOOKS);
    send(
        &mut s,
        0,
        &msg(1, MessageType::Discover, Ipv4Addr::UNSPECIFIED, &[]),
    );
    let offer = drain(&mut s);
    assert!(
        !offer.0.iter().any(|(_, t)| t.starts_with("commit ")),
        "no commit for an offer: {:?}",
        offer.0
    );
    assert!(offer.1.is_empty());
    let (addr, d) = lease(&mut s, 1);
    assert!(d.2.contains(&(MessageType::Ack, addr)), "{:?}", d.2);
    assert!(
        has_log(&d, Level::Info, &format!("commit {addr}")),
        "{:?}",
        d.0
    );
    assert!(
        has_log(&d, Level::Debug, "execute_statement argv[0] = /bin/echo")
            && has_log(&d, Level::Debug, "execute_statement argv[1] = hello"),
        "{:?}",
        d.0
    );
    assert_eq!(
        d.1,
        [(
            b"/bin/echo".to_vec(),
            vec![b"hello".to_vec(), addr.to_string().into_bytes()]
        )]
    );
}

#[test]
fn on_release_runs_at_release() {
    let mut s = server(HOOKS);
    let (addr, _) = lease(&mut s, 2);
    send(
        &mut s,
        20,
        &msg(2, MessageType::Release, addr, &[(54, &[198, 51, 100, 1])]),
    );
    let d = drain(&mut s);
    assert!(
        has_log(&d, Level::Info, &format!("release {addr}")),
        "{:?}",
        d.0
    );
    assert!(!d.0.iter().any(|(_, t)| t.starts_with("expiry ")));
    // Released: the expiry hook is gone too.
    s.handle_timeout(at(3_600_000));
    let d = drain(&mut s);
    assert!(
        !d.0.iter().any(|(_, t)| t.starts_with("expiry ")),
        "{:?}",
        d.0
    );
}

#[test]
fn on_expiry_runs_when_the_lease_expires() {
    let mut s = server(HOOKS);
    let (addr, _) = lease(&mut s, 3);
    s.handle_timeout(at(300_000));
    let d = drain(&mut s);
    assert!(
        !d.0.iter().any(|(_, t)| t.starts_with("expiry ")),
        "early: {:?}",
        d.0
    );
    s.handle_timeout(at(700_000));
    let d = drain(&mut s);
    assert!(
        has_log(&d, Level::Error, &format!("expiry {addr}")),
        "{:?}",
        d.0
    );
    // Once only.
    s.handle_timeout(at(800_000));
    let d = drain(&mut s);
    assert!(
        !d.0.iter().any(|(_, t)| t.starts_with("expiry ")),
        "{:?}",
        d.0
    );
}

#[test]
fn on_event_semicolon_clears_the_body() {
    let mut s = server(&format!("{HOOKS}on commit;\n"));
    let (addr, d) = lease(&mut s, 4);
    assert!(d.2.contains(&(MessageType::Ack, addr)));
    assert!(
        !d.0.iter().any(|(_, t)| t.starts_with("commit ")),
        "{:?}",
        d.0
    );
    assert!(d.1.is_empty());
}

/// The lease records the REQUEST produced.
fn records(s: &mut Server, mac: u8) -> Vec<String> {
    send(
        s,
        0,
        &msg(mac, MessageType::Discover, Ipv4Addr::UNSPECIFIED, &[]),
    );
    while s.poll_action().is_some() {}
    let offered = Ipv4Addr::new(198, 51, 100, 50);
    let req = msg(
        mac,
        MessageType::Request,
        Ipv4Addr::UNSPECIFIED,
        &[(50, &offered.octets()), (54, &[198, 51, 100, 1])],
    );
    send(s, 10, &req);
    common::drain(s).records()
}

#[test]
fn expiry_and_release_bodies_are_written_with_the_lease() {
    let mut s = server(HOOKS);
    let r = records(&mut s, 5).concat();
    assert!(r.contains("on expiry {"), "{r}");
    assert!(r.contains("on release {"), "{r}");
    assert!(!r.contains("on commit"), "{r}");
    let mut s = server("ping-check false; on expiry or release { log(info, \"gone\"); }");
    let r = records(&mut s, 6).concat();
    assert!(r.contains("on expiry or release {"), "{r}");
}

#[test]
fn on_expiry_or_release_runs_once_at_release() {
    let mut s = server(
        "ping-check false; default-lease-time 600;\non expiry or release { log(info, \"gone\"); }",
    );
    let (addr, _) = lease(&mut s, 7);
    send(
        &mut s,
        20,
        &msg(7, MessageType::Release, addr, &[(54, &[198, 51, 100, 1])]),
    );
    let d = drain(&mut s);
    assert_eq!(
        d.0.iter().filter(|(_, t)| t == "gone").count(),
        1,
        "{:?}",
        d.0
    );
    s.handle_timeout(at(3_600_000));
    let d = drain(&mut s);
    assert!(!d.0.iter().any(|(_, t)| t == "gone"), "{:?}", d.0);
}

#[test]
fn set_and_unset_in_hooks_become_the_lease_variables() {
    let conf = "ping-check false; default-lease-time 600; max-lease-time 600;\n\
        set from-scope = \"s\";\n\
        set doomed = \"d\";\n\
        on commit { set n = concat(\"c-\", binary-to-ascii(10, 8, \".\", leased-address)); unset doomed; set from-scope = \"again\"; }\n\
        on expiry { set lapsed = \"yes\"; }\n";
    let mut s = server(conf);
    let (addr, _) = lease(&mut s, 3);
    let l = &s.leases().get(addr).expect("lease").lease;
    let vars: Vec<(String, dhcpd_leases::BindingValue)> = l
        .bindings
        .iter()
        .map(|b| (b.name.clone(), b.value.clone()))
        .collect();
    let data = |v: &str| dhcpd_leases::BindingValue::Data(v.as_bytes().to_vec());
    // Newest first; `from-scope` keeps its place with its new value; `doomed` is gone.
    assert_eq!(
        vars,
        vec![
            ("n".to_string(), data(&format!("c-{addr}"))),
            ("from-scope".to_string(), data("again")),
        ]
    );
    // At expiry the `on expiry` body's `set` is written with the expired lease.
    s.handle_timeout(at(3_600_000));
    let rec = common::drain(&mut s)
        .records()
        .pop()
        .expect("expiry record");
    assert!(rec.contains("set lapsed = \"yes\";"), "{rec}");
    assert!(rec.contains("set from-scope = \"again\";"), "{rec}");
}
