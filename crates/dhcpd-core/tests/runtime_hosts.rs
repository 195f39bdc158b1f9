//! Hosts entered and removed at run time (OMAPI's `host` object, ISC's `enter_host` and
//! `delete_host`) and the lease file's host records read at start-up: served at once, the
//! records written as ISC writes them. The omshell comparison with ISC is in
//! `tests/tests/omapi.rs`.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_conf::basic::{AddrOrName, HardwareAddr};
use dhcpd_core::engine::Server;
use dhcpd_core::{Engine, HostError, HostKey};
use dhcpd_wire::message::MessageType;

const CONF: &str = "ping-check false;\n\
subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.50 198.51.100.52; }\n\
host conf { hardware ethernet 02:00:00:00:00:09; fixed-address 198.51.100.9; }\n";

fn mac(last: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, last]
}

/// The address offered to a DISCOVER from `mac(last)`.
fn offer(s: &mut Server, last: u8) -> Option<Ipv4Addr> {
    let d = common::packet(
        MessageType::Discover,
        mac(last),
        0x4400 + u32::from(last),
        &[],
    );
    common::offered(s, UNIX_EPOCH + Duration::from_secs(1_800_000_000), &d)
}

fn host(name: &str, last: u8, fixed: u8) -> dhcpd_leases::Host {
    dhcpd_leases::Host {
        name: name.into(),
        hardware: HardwareAddr::new(1, &mac(last)),
        fixed_address: vec![AddrOrName::Addr(Ipv4Addr::new(198, 51, 100, fixed))],
        ..Default::default()
    }
}

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, d)
}

#[test]
fn a_host_entered_is_served_at_once_and_a_removed_one_no_longer() {
    let mut s = common::server_from_text(CONF);
    assert_eq!(offer(&mut s, 0x20), Some(ip(50)));
    let records = s.host_enter(host("h1", 0x20, 20), false).expect("enter");
    assert_eq!(
        records,
        vec![
            "host h1 {\n  dynamic;\n  hardware ethernet 02:00:00:00:00:20;\n  \
             fixed-address 198.51.100.20;\n}\n"
                .to_string()
        ]
    );
    assert_eq!(offer(&mut s, 0x20), Some(ip(20)));
    assert_eq!(
        s.host_find(&HostKey::Hardware(
            HardwareAddr::new(1, &mac(0x20)).expect("hw")
        )),
        Some("h1".to_string())
    );
    // The name is taken; an update replaces the host (the rubout first).
    assert_eq!(
        s.host_enter(host("h1", 0x21, 21), false),
        Err(HostError::Exists)
    );
    let records = s.host_enter(host("h1", 0x20, 21), true).expect("update");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0], "host h1 {\n  dynamic;\n  deleted;\n}\n");
    assert_eq!(offer(&mut s, 0x20), Some(ip(21)));
    assert_eq!(
        s.host_remove("h1"),
        Ok("host h1 {\n  dynamic;\n  deleted;\n}\n".to_string())
    );
    assert_eq!(s.host_remove("h1"), Err(HostError::NotFound));
    assert_ne!(offer(&mut s, 0x20), Some(ip(21)));
    assert_eq!(s.host_find(&HostKey::Name("h1".into())), None);
    // A host of the configuration: removed with a rubout without `dynamic;`.
    assert_eq!(offer(&mut s, 9), Some(ip(9)));
    assert_eq!(
        s.host_remove("conf"),
        Ok("host conf {\n  deleted;\n}\n".to_string())
    );
    assert_ne!(offer(&mut s, 9), Some(ip(9)));
    assert_eq!(s.host_view("conf"), None);
}

#[test]
fn lease_file_hosts_apply_in_order_as_isc_reads_them() {
    let mut s = common::server_from_text(CONF);
    let mut gone = host("conf", 0, 0);
    gone.hardware = None;
    gone.fixed_address.clear();
    gone.deleted = true;
    let mut dup = host("dup", 0x31, 31);
    dup.dynamic = true;
    let mut dup2 = host("dup", 0x32, 32);
    dup2.dynamic = true;
    let warnings = s.load_hosts(&[gone, dup, dup2]);
    assert_eq!(warnings, vec!["host dup: already exists".to_string()]);
    assert_ne!(offer(&mut s, 9), Some(ip(9)), "the rubout deletes it");
    assert_eq!(offer(&mut s, 0x31), Some(ip(31)));
    assert_ne!(offer(&mut s, 0x32), Some(ip(32)));
    // A name freed by a deleted host of the configuration can be taken again.
    s.host_enter(host("conf", 0x33, 33), false).expect("enter");
    assert_eq!(offer(&mut s, 0x33), Some(ip(33)));
    let v = s.host_view("conf").expect("view");
    assert!(v.dynamic);
    assert_eq!(v.fixed, vec![ip(33)]);
}
