//! RFC 3074 load balancing against the reference table, its worked checks, and the 204 clients
//! whose DISCOVER two live ISC servers (split 128) answered in the lab.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use dhcpd_failover::hash::{MIX, bucket, client_key, hba_from_split, load_balance_mine};
use dhcpd_failover::peer::Role;
use dhcpd_testlab::pcap;

fn shared() -> std::path::PathBuf {
    pcap::corpus_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn table_is_the_reference_table() {
    let text =
        std::fs::read_to_string(shared().join("reference/failover-rfc3074-table.txt")).unwrap();
    let plain = text.split("plain (16 per line):").nth(1).unwrap();
    let nums: Vec<u8> = plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(16)
        .flat_map(|l| l.split_whitespace().map(|n| n.parse::<u8>().unwrap()))
        .collect();
    assert_eq!(nums.len(), 256);
    assert_eq!(nums[..], MIX[..]);
}

#[test]
fn worked_checks() {
    assert_eq!(bucket(&unhex("001122334455")), 135);
    assert_eq!(bucket(&unhex("aabbccddeeff")), 57);
    assert_eq!(bucket(&unhex("01aabbccddeeff")), 102);
    assert_eq!(bucket(&[14]), 232);
    let hba = hba_from_split(128);
    assert!(!load_balance_mine(
        &hba,
        Role::Primary,
        &unhex("001122334455"),
        0,
        3
    ));
    assert!(load_balance_mine(
        &hba,
        Role::Secondary,
        &unhex("001122334455"),
        0,
        3
    ));
    assert!(load_balance_mine(
        &hba,
        Role::Primary,
        &unhex("aabbccddeeff"),
        0,
        3
    ));
    assert!(load_balance_mine(
        &hba,
        Role::Primary,
        &unhex("01aabbccddeeff"),
        0,
        3
    ));
}

#[test]
fn lab_clients_go_where_isc_sent_them() {
    let csv =
        std::fs::read_to_string(shared().join("corpus/pcap/failover/loadbalance-split128.csv"))
            .unwrap();
    let hba = hba_from_split(128);
    let mut n = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (chaddr, client_id, input, responder) = (f[0], f[1], f[2], f[3]);
        // Build the DISCOVER and derive the key the way the server will.
        let mut msg = dhcpd_wire::Message::default();
        let mac = unhex(chaddr);
        msg.hlen = mac.len() as u8;
        msg.chaddr[..mac.len()].copy_from_slice(&mac);
        let mut bytes = msg.to_vec().unwrap();
        // Options area: message type DISCOVER, option 61 when the client sent one, end.
        bytes.truncate(240);
        bytes.extend_from_slice(&[53, 1, 1]);
        if !client_id.is_empty() {
            let id = unhex(client_id);
            bytes.extend_from_slice(&[61, id.len() as u8]);
            bytes.extend_from_slice(&id);
        }
        bytes.push(255);
        let msg = dhcpd_wire::Message::from_bytes(&bytes).unwrap();
        assert_eq!(&msg.chaddr[..mac.len()], &mac[..]);
        let key = client_key(&msg);
        assert_eq!(key, unhex(input), "{chaddr}: hash input");
        let primary = load_balance_mine(&hba, Role::Primary, &key, 0, 3);
        let secondary = load_balance_mine(&hba, Role::Secondary, &key, 0, 3);
        assert_ne!(primary, secondary);
        let expect = if primary { "primary" } else { "secondary" };
        assert_eq!(responder, expect, "{chaddr}");
        n += 1;
    }
    assert_eq!(n, 204);
}
