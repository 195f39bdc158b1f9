//! Lease updates from OMAPI (ISC's `dhcp_lease_set_value`) in the sans-IO engine: the
//! moves ISC's `supersede_lease` makes, the records, and what a client is offered next.
//! The omshell comparison with ISC is in `tests/tests/omapi.rs`.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_core::{Engine, LeaseChange, LeaseError, Level};
use dhcpd_leases::{Binding, BindingValue, LeaseDb, LoadOptions};
use dhcpd_wire::message::MessageType;

const NOW: u64 = 1_800_000_000;

const CONF: &str = "ping-check false;\ndefault-lease-time 600;\n\
on expiry { log(info, concat(\"expiry \", binary-to-ascii(10, 8, \".\", leased-address))); }\n\
subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.50 198.51.100.52; }\n";

/// Every address active until 2036 for clients 02:00:00:00:00:5x.
fn leases() -> String {
    (50..=52)
        .map(|i| {
            format!(
                "lease 198.51.100.{i} {{\n  starts 4 2026/11/26 10:00:00;\n  \
                 ends 0 2036/11/30 10:00:00;\n  cltt 4 2026/11/26 10:00:00;\n  \
                 binding state active;\n  next binding state free;\n  \
                 rewind binding state free;\n  hardware ethernet 02:00:00:00:00:{i};\n  \
                 client-hostname \"h{i}\";\n  \
                 on expiry {{ log(info, concat(\"gone \", binary-to-ascii(10, 8, \".\", leased-address))); }}\n}}\n"
            )
        })
        .collect()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW + secs)
}

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, d)
}

fn server() -> Server {
    let mut s = common::server_from_text(CONF);
    let db = LeaseDb::load("leases", leases().as_bytes(), &LoadOptions::default());
    assert!(!db.has_errors(), "{:?}", db.diagnostics);
    s.load_leases(&db.state);
    drain(&mut s);
    s
}

/// The actions queued: log lines, committed records.
fn drain(s: &mut Server) -> (Vec<(Level, String)>, Vec<String>) {
    let d = common::drain(s);
    let records = d.records();
    (d.logs, records)
}

/// The address offered to a DISCOVER from 02:00:00:00:00:`last`.
fn offer(s: &mut Server, last: u8) -> Option<Ipv4Addr> {
    let d = common::packet(
        MessageType::Discover,
        [2, 0, 0, 0, 0, last],
        0x5500 + u32::from(last),
        &[],
    );
    common::offered(s, at(10), &d)
}

fn update(s: &mut Server, d: u8, c: LeaseChange) -> Result<Option<Vec<String>>, LeaseError> {
    s.lease_update(ip(d), c, at(0))
}

#[test]
fn a_new_end_in_the_past_frees_the_lease_with_its_expiry_event() {
    let mut s = server();
    assert_eq!(offer(&mut s, 0x99), None, "every lease is taken");
    let records = update(&mut s, 52, LeaseChange::Ends(0))
        .expect("update")
        .expect("changed");
    // ISC writes neither `ends` nor `tstp` when they are 0; the expiry event dropped the
    // client-hostname and ran the lease's own `on expiry`; rewind stays what it was.
    assert_eq!(
        records,
        vec![
            "lease 198.51.100.52 {\n  starts 4 2026/11/26 10:00:00;\n  \
             cltt 4 2026/11/26 10:00:00;\n  binding state free;\n  \
             hardware ethernet 02:00:00:00:00:52;\n}\n"
                .to_string()
        ]
    );
    let (logs, _) = drain(&mut s);
    assert!(
        logs.contains(&(Level::Info, "gone 198.51.100.52".to_string())),
        "{logs:?}"
    );
    assert!(
        logs.contains(&(
            Level::Info,
            "lease 198.51.100.52 end changed from 2111652000 to 0".to_string()
        )),
        "{logs:?}"
    );
    let v = s.lease_view(ip(52)).expect("lease");
    assert_eq!((v.state, v.client_hostname), (1, None));
    // Another client gets it now.
    assert_eq!(offer(&mut s, 0x99), Some(ip(52)));
}

#[test]
fn a_new_end_in_the_future_frees_an_active_lease_too_but_it_is_not_handed_out_before_then() {
    let mut s = server();
    let records = update(&mut s, 51, LeaseChange::Ends(0x7f00_0000))
        .expect("update")
        .expect("changed");
    assert_eq!(records.len(), 1);
    assert!(records[0].contains("binding state free;"), "{}", records[0]);
    assert!(
        records[0].contains("tstp 3 2037/07/08 22:53:52;"),
        "{}",
        records[0]
    );
    assert_eq!(s.lease_view(ip(51)).expect("lease").state, 1);
    // ISC's allocate_lease passes over a free lease whose end is still to come.
    assert_eq!(offer(&mut s, 0x99), None);
}

#[test]
fn state_changes_follow_isc() {
    let mut s = server();
    assert_eq!(
        update(&mut s, 50, LeaseChange::State(2)),
        Ok(None),
        "same state"
    );
    assert!(matches!(
        update(&mut s, 50, LeaseChange::State(9)),
        Err(LeaseError::InvalidArg(_))
    ));
    assert!(matches!(
        update(&mut s, 50, LeaseChange::State(0)),
        Err(LeaseError::InvalidArg(_))
    ));
    // Released: the release event (no expiry body), next state free.
    let r = update(&mut s, 50, LeaseChange::State(4))
        .expect("update")
        .expect("changed");
    assert_eq!(r.len(), 1);
    assert!(
        r[0].contains("binding state released;\n  next binding state free;"),
        "{}",
        r[0]
    );
    assert!(!r[0].contains("client-hostname"), "{}", r[0]);
    let (logs, _) = drain(&mut s);
    assert!(
        logs.contains(&(
            Level::Info,
            "lease 198.51.100.50 state changed from active to released".to_string()
        )),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|(_, t)| t.starts_with("gone ")),
        "{logs:?}"
    );
    // Back to active from free with an end that has passed: ISC's pool_timer expires it
    // at once (a second record, free again).
    update(&mut s, 52, LeaseChange::Ends(1)).expect("ends");
    let r = update(&mut s, 52, LeaseChange::State(2))
        .expect("update")
        .expect("changed");
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[0].contains("binding state active;"), "{}", r[0]);
    assert!(r[1].contains("binding state free;"), "{}", r[1]);
}

#[test]
fn flags_and_variables() {
    let mut s = server();
    // Only BOOTP and reserved are kept: another bit alone changes nothing.
    assert_eq!(update(&mut s, 50, LeaseChange::Flags(8)), Ok(None));
    let r = update(&mut s, 50, LeaseChange::Flags(4))
        .expect("update")
        .expect("changed");
    // ISC frees the active lease on the way (its next state is free).
    assert!(
        r[0].contains("binding state free;\n  reserved;"),
        "{}",
        r[0]
    );
    assert_eq!(s.lease_view(ip(50)).expect("lease").flags, 4);
    // A reserved lease is never handed out, even when its end has passed.
    update(&mut s, 50, LeaseChange::Ends(0)).expect("ends");
    assert_eq!(offer(&mut s, 0x99), None);
    // Variables: a new one goes in front, an existing one is replaced in place.
    let var = |name: &str, value: BindingValue| {
        LeaseChange::Variable(Binding {
            name: name.into(),
            value,
        })
    };
    update(&mut s, 51, var("remote-handle", BindingValue::Numeric(4))).expect("set");
    let r = update(&mut s, 51, var("foo", BindingValue::Boolean(true)))
        .expect("set")
        .expect("record");
    assert!(
        r[0].contains("set foo = true;\n  set remote-handle = %4;"),
        "{}",
        r[0]
    );
    let r = update(&mut s, 51, var("remote-handle", BindingValue::Numeric(7)))
        .expect("set")
        .expect("record");
    assert!(
        r[0].contains("set foo = true;\n  set remote-handle = %7;"),
        "{}",
        r[0]
    );
    // Nothing moved: still active, with its client-hostname.
    assert!(
        r[0].contains("binding state active;") && r[0].contains("client-hostname \"h51\";"),
        "{}",
        r[0]
    );
    let names: Vec<String> = s
        .lease_variables(ip(51))
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["foo", "remote-handle"]);
    assert_eq!(
        update(&mut s, 60, LeaseChange::State(1)),
        Err(LeaseError::NotFound)
    );
}

#[test]
fn an_expired_lease_offered_to_a_new_client_loses_its_variables() {
    let mut s = server();
    update(
        &mut s,
        52,
        LeaseChange::Variable(Binding {
            name: "foo".into(),
            value: BindingValue::Boolean(true),
        }),
    )
    .expect("set");
    update(&mut s, 52, LeaseChange::Ends(0)).expect("ends");
    assert_eq!(s.lease_variables(ip(52)).len(), 1);
    assert_eq!(offer(&mut s, 0x99), Some(ip(52)));
    assert!(s.lease_variables(ip(52)).is_empty());
}

#[test]
fn leases_of_a_failover_pool_are_refused() {
    let conf = "ping-check false;\n\
failover peer \"fo\" {\n  primary;\n  address 198.51.100.1;\n  peer address 198.51.100.3;\n  \
max-response-delay 30;\n  max-unacked-updates 10;\n  mclt 60;\n  split 128;\n}\n\
subnet 198.51.100.0 netmask 255.255.255.0 {\n  pool {\n    failover peer \"fo\";\n    \
range 198.51.100.50 198.51.100.52;\n  }\n}\n";
    let mut s = common::server_from_text(conf);
    let db = LeaseDb::load("leases", leases().as_bytes(), &LoadOptions::default());
    s.load_leases(&db.state);
    let r = s.lease_update(ip(50), LeaseChange::State(1), at(0));
    assert!(matches!(r, Err(LeaseError::Refused(_))), "{r:?}");
    assert_eq!(s.lease_view(ip(50)).expect("lease").state, 2);
}
