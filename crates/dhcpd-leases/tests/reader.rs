//! Reader behaviours, each checked against ISC dhcpd 4.4.3-P1 (run in a private network
//! namespace so that it read, rewrote and exited) or read off ISC's `server/confpars.c`.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use dhcpd_leases::{
    BindingState, BindingValue, FailoverRole, FailoverStateName, LeaseDb, LoadOptions, NEVER,
    OnRelease, Record, write_database, write_lease,
};

fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, n)
}

fn load(text: &str, now: i64) -> LeaseDb {
    LeaseDb::load(
        "test.leases",
        text.as_bytes(),
        &LoadOptions {
            now,
            ..LoadOptions::default()
        },
    )
}

fn errors(db: &LeaseDb) -> Vec<(u32, String)> {
    db.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.line().unwrap_or(0), d.message.clone()))
        .collect()
}

const ISC_REWRITE_INPUT: &str = r#"lease 10.0.0.10 {
  starts 2 2030/01/01 00:00:00;
  ends 4 2037/01/01 00:00:00;
  cltt 2 2030/01/01 00:00:00;
  binding state active;
  next binding state free;
  hardware ethernet 24:65:11:D9:a6:b3;
  uid 01:24:65:11:d9:a6:b3;
  set a = "one";
  set b = %42;
  set c = true;
  set d = aa:00;
  set a = "two";
  option agent.circuit-id 0:1:3:e9;
  option agent.remote-id "a$b";
  option agent.agent-id 1.2.3.4;
  client-hostname "host1";
}
"#;

/// ISC's rewrite of `ISC_REWRITE_INPUT` (dhcpd 4.4.3-P1).
const ISC_REWRITE_OUTPUT: &str = r#"lease 10.0.0.10 {
  starts 2 2030/01/01 00:00:00;
  ends 4 2037/01/01 00:00:00;
  tstp 4 2037/01/01 00:00:00;
  cltt 2 2030/01/01 00:00:00;
  binding state active;
  next binding state free;
  hardware ethernet 24:65:11:d9:a6:b3;
  uid "\001$e\021\331\246\263";
  set d = "\252\000";
  set c = true;
  set b = %42;
  set a = "two";
  option agent.circuit-id 0:1:3:e9;
  option agent.remote-id "a\$b";
  option agent.agent-id 1.2.3.4;
  client-hostname "host1";
}
"#;

#[test]
fn rewrite_matches_isc() {
    let db = load(ISC_REWRITE_INPUT, 1_700_000_000);
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    let Some(Record::Lease(l)) = db.records.first() else {
        panic!("no lease read");
    };
    assert_eq!(write_lease(l, 1_700_000_000), ISC_REWRITE_OUTPUT);
    // The full rewrite starts with ISC's header.
    let full = write_database(&db.state, 1_700_000_000);
    assert!(full.starts_with("# The format of this file is documented in the dhcpd.leases(5) manual page.\n# This lease file was written by isc-dhcp-4.4.3-P1\n\n# authoring-byte-order entry is generated, DO NOT DELETE\nauthoring-byte-order little-endian;\n\n"));
    assert!(full.ends_with(ISC_REWRITE_OUTPUT));
}

#[test]
fn later_records_override_earlier_ones() {
    let db = load(
        "lease 10.0.0.1 { binding state active; ends never; hardware ethernet 00:00:00:00:00:01; }\n\
         lease 10.0.0.2 { binding state free; }\n\
         lease 10.0.0.1 { binding state free; }\n",
        0,
    );
    assert_eq!(db.records.len(), 3);
    assert_eq!(db.state.leases.len(), 2);
    let l = &db.state.leases[&ip(1)];
    // The whole lease is replaced, not merged.
    assert_eq!(l.binding_state, BindingState::Free);
    assert_eq!(l.hardware, None);
    assert_eq!(l.ends, 0);
}

#[test]
fn missing_binding_state_depends_on_now() {
    let text = "lease 10.0.0.1 { ends 2 2030/01/01 00:00:00; }\n";
    let active = load(text, 1_800_000_000);
    let l = &active.state.leases[&ip(1)];
    assert_eq!(l.binding_state, BindingState::Active);
    assert_eq!(l.next_binding_state, BindingState::Free);
    assert_eq!(l.tstp, l.ends, "a missing tstp is set to ends");
    let free = load(text, 1_900_000_000);
    let l = &free.state.leases[&ip(1)];
    assert_eq!(l.binding_state, BindingState::Free);
}

#[test]
fn dates_weekday_ignored_offsets_epoch_and_2038() {
    let db = load(
        "lease 10.0.0.1 {\n starts 0 2030/01/01 00:00:00;\n ends 2 2030/01/01 00:00:00 3600;\n \
         cltt epoch 1893456000; # comment\n tsfp 1 2038/01/01 00:00:00;\n atsfp 1 130/01/01 00:00:00;\n}\n",
        0,
    );
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    let l = &db.state.leases[&ip(1)];
    assert_eq!(l.starts, 1_893_456_000);
    assert_eq!(l.ends, 1_893_456_000 + 3600);
    assert_eq!(l.cltt, 1_893_456_000);
    assert_eq!(l.tsfp, NEVER);
    assert_eq!(l.atsfp, 1_893_456_000, "a year below 1900 counts from 1900");
    assert!(write_lease(l, 0).contains("\n  starts 2 2030/01/01 00:00:00;\n"));
}

#[test]
fn utc_suffix_is_isc_error_and_lease_is_kept() {
    let db = load(
        "lease 10.0.0.1 {\n  starts 2 2019/01/01 22:00:00 UTC;\n  binding state active;\n}\n",
        0,
    );
    assert_eq!(
        errors(&db),
        vec![(2, "Time zone offset or semicolon expected.".to_string())]
    );
    let l = &db.state.leases[&ip(1)];
    assert_eq!(l.starts, 0);
}

#[test]
fn repeated_field_warns_and_unknown_field_drops_the_lease() {
    let db = load(
        "lease 10.0.0.1 {\n ends never;\n ends never;\n}\nlease 10.0.0.2 {\n hostname \"x\";\n}\n",
        0,
    );
    assert_eq!(
        errors(&db),
        vec![
            (3, "Too many ends parameters in lease 10.0.0.1".to_string()),
            (6, "Unexpected configuration directive.".to_string()),
            (6, "possibly corrupt lease file".to_string()),
            (0, "Corrupt lease file - possible data loss!".to_string()),
        ]
    );
    assert_eq!(db.state.leases.len(), 1);
}

#[test]
fn timestamp_is_fatal_in_isc_4_4_3() {
    let db = load(
        "lease 10.0.0.1 {\n timestamp 2 2030/01/01 00:00:00;\n}\nlease 10.0.0.2 { }\n",
        0,
    );
    assert!(db.fatal);
    assert!(db.state.leases.is_empty());
}

#[test]
fn old_forms_are_converted() {
    let db = load(
        "lease 10.0.0.1 {\n binding state bootp;\n ddns-fwd-name \"a.example\";\n}\n\
         lease 10.0.0.2 {\n abandoned;\n}\n",
        0,
    );
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    let l = &db.state.leases[&ip(1)];
    assert_eq!(l.binding_state, BindingState::Active);
    assert!(l.bootp);
    assert_eq!(
        l.binding("ddns-fwd-name"),
        Some(&BindingValue::Data(b"a.example".to_vec()))
    );
    let l = &db.state.leases[&ip(2)];
    assert_eq!(l.binding_state, BindingState::Abandoned);
    // Written as ISC does: no next/rewind lines.
    assert_eq!(
        write_lease(l, 0),
        "lease 10.0.0.2 {\n  binding state abandoned;\n}\n"
    );
}

#[test]
fn on_handlers_keep_their_statements() {
    let db = load(
        "lease 10.0.0.1 {\n ends never;\n on expiry or release {\n    log (info, \"x\");\n  }\n}\n\
         lease 10.0.0.2 {\n ends never;\n on expiry or release { foo; }\n on release { bar; }\n on commit { c; }\n}\n",
        0,
    );
    // A second `on release` is a repeated field for ISC (checked with dhcpd 4.4.3).
    assert_eq!(
        errors(&db),
        vec![(10, "Too many on parameters in lease 10.0.0.2".to_string())]
    );
    let l = &db.state.leases[&ip(1)];
    assert_eq!(l.on_release, OnRelease::SameAsExpiry);
    assert!(write_lease(l, 0).ends_with(
        "  binding state active;\n  next binding state free;\n  on expiry or release {\n    log (info, \"x\");\n  }\n}\n"
    ));
    let l = &db.state.leases[&ip(2)];
    // A bare name is an `eval` statement for ISC (`a` would be a hex byte).
    let text = |s: &dhcpd_leases::Statements| {
        let mut o = String::new();
        dhcpd_leases::statements::write_statements(&mut o, &s.stmts, 4, None);
        o
    };
    assert_eq!(
        l.on_expiry.as_ref().map(text).as_deref(),
        Some("\n    eval foo;")
    );
    assert!(matches!(&l.on_release, OnRelease::Own(s) if text(s) == "\n    eval bar;"));
}

#[test]
fn failover_state_records_merge_and_check_the_config() {
    let text = "failover peer \"fo\" state {\n my state normal at 2 2030/01/01 00:00:00;\n \
                partner state communications-interrupted at 2 2030/01/01 00:00:00;\n mclt 3600;\n}\n\
                failover peer \"fo\" state {\n my state partner-down at 2 2030/01/01 00:01:00;\n}\n";
    let db = load(text, 0);
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    let s = &db.state.failover["fo"];
    assert_eq!(s.me.state, FailoverStateName::PartnerDown);
    assert_eq!(
        s.partner.state,
        FailoverStateName::CommunicationsInterrupted
    );
    assert_eq!(s.mclt, Some(3600));

    let mut peers = HashMap::new();
    peers.insert("fo".to_string(), FailoverRole::Primary);
    let db = LeaseDb::load(
        "t",
        text.as_bytes(),
        &LoadOptions {
            failover_peers: Some(peers),
            ..LoadOptions::default()
        },
    );
    assert_eq!(
        errors(&db),
        vec![(4, "mclt not valid for primary".to_string())]
    );
    let db = LeaseDb::load(
        "t",
        text.as_bytes(),
        &LoadOptions {
            failover_peers: Some(HashMap::new()),
            ..LoadOptions::default()
        },
    );
    assert_eq!(errors(&db)[0], (1, "unknown failover peer: fo".to_string()));
}

#[test]
fn hosts_rubouts_and_duplicates() {
    let db = load(
        "host a { dynamic; hardware ethernet 00:00:00:00:00:01; fixed-address 10.0.0.5; }\n\
         host a { dynamic; deleted; }\n\
         host a { dynamic; fixed-address 10.0.0.6; }\n\
         host b { dynamic; }\n\
         host b { dynamic; }\n",
        0,
    );
    assert_eq!(errors(&db), vec![(5, "host b: already exists".to_string())]);
    let a = &db.state.hosts["a"];
    assert!(!a.deleted);
    assert_eq!(a.fixed_address.len(), 1);
    let out = write_database(&db.state, 0);
    assert!(out.contains("host a {\n  dynamic;\n  fixed-address 10.0.0.6;\n}\n"));
}

#[test]
fn v6_records_are_kept_untouched() {
    let ia = "ia-na \"\\001\\000\\000\\000\\000\\001\\000\\001\" {\n  cltt 0 2036/01/06 14:50:34;\n  iaaddr 2001:10:10::106 {\n    binding state active;\n    preferred-life 540;\n    max-life 864;\n    ends 0 2036/01/06 15:04:58;\n  }\n}";
    let text =
        format!("authoring-byte-order little-endian;\nserver-duid 00:01:00:01:1e:68;\n\n{ia}\n\n");
    let db = load(&text, 0);
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    assert_eq!(db.state.ias.len(), 1);
    let out = write_database(&db.state, 0);
    assert!(out.ends_with(&format!(
        "server-duid \"\\000\\001\\000\\001\\036h\";\n\n{ia}\n\n"
    )));
}

/// Found by the leases_parse fuzz target: a long token with bytes that are not UTF-8 inside a
/// lease made the reader panic (cutting the token's text to ISC's 31 bytes inside a character).
#[test]
fn long_non_utf8_token_in_lease_is_an_error_not_a_panic() {
    let src = include_bytes!("fuzz-findings/panic-truncate-in-char.leases");
    // Its header comment holds two 0xFF bytes, which ISC's lexer reads as end of file: the
    // first ends the comment, the second the file (ISC 4.4.3 `-T`: no error, no lease).
    let db = dhcpd_leases::LeaseDb::load("x.leases", src, &Default::default());
    assert!(!db.has_errors(), "{:?}", db.diagnostics);
    assert!(db.state.leases.is_empty());
    // Made 0xFE, they let the reader get to the long token: an error, not a panic.
    let patched: Vec<u8> = src
        .iter()
        .map(|&b| if b == 0xff { 0xfe } else { b })
        .collect();
    let db = dhcpd_leases::LeaseDb::load("x.leases", &patched, &Default::default());
    assert!(db.has_errors(), "{:?}", db.diagnostics);
}
