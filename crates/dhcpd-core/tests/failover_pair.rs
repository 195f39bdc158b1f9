//! Two engines as a failover pair on a virtual clock, the wire and the journal simulated:
//! both reach NORMAL, the pool is split as ISC splits it, each DISCOVER is answered by exactly
//! one server (RFC 3074 buckets), a lease granted by one shows up ACTIVE at the other, lease
//! times respect MCLT, and no accepting BNDACK leaves before its lease was committed.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_core::engine::failover::setups_from_config;
use dhcpd_core::{Engine, FailoverEngine};
use dhcpd_failover::MessageType as FoType;
use dhcpd_leases::model::{BindingState, FailoverStateName};
use dhcpd_wire::message::{Message, MessageType};

const T0: u64 = 1_800_000_000;

fn conf(primary: bool) -> String {
    let role = if primary {
        "primary; mclt 300; split 128; address 198.51.100.2; peer address 198.51.100.3;"
    } else {
        "secondary; address 198.51.100.3; peer address 198.51.100.2;"
    };
    format!(
        "ping-check false;\nauthoritative;\ndefault-lease-time 3600;\nmax-lease-time 7200;\n\
         failover peer \"fo\" {{ {role} max-unacked-updates 10; max-response-delay 30; load balance max seconds 3; }}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{\n  pool {{ failover peer \"fo\"; range 198.51.100.100 198.51.100.139; }}\n}}\n"
    )
}

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + s)
}

fn server(primary: bool) -> Server {
    server_with(&conf(primary), primary, &BTreeMap::new())
}

fn server_with(
    text: &str,
    primary: bool,
    persisted: &BTreeMap<String, dhcpd_leases::model::FailoverState>,
) -> Server {
    let (mut s, config) = common::server_at(text, if primary { 2 } else { 3 });
    let setups = setups_from_config(&config).expect("setups");
    assert_eq!(setups.len(), 1);
    s.enable_failover(setups, persisted, at(0))
        .expect("failover");
    s
}

struct Pair {
    s: [Server; 2],
    /// xids of BNDACKs whose lease is committed, per server.
    committed: [HashSet<u32>; 2],
    /// Replies (OFFER/ACK) each server sent, with the lease time.
    replies: [Vec<(MessageType, Ipv4Addr, u32)>; 2],
    log: [Vec<String>; 2],
    /// Every failover message each server sent.
    wire: [Vec<dhcpd_failover::Message>; 2],
}

fn lease_time(m: &Message) -> u32 {
    m.option(51)
        .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
        .map_or(0, u32::from_be_bytes)
}

impl Pair {
    fn new() -> Pair {
        Pair {
            s: [server(true), server(false)],
            committed: [HashSet::new(), HashSet::new()],
            replies: [Vec::new(), Vec::new()],
            log: [Vec::new(), Vec::new()],
            wire: [Vec::new(), Vec::new()],
        }
    }

    /// Runs both servers until nothing moves: the journal is "flushed" at once, messages
    /// cross the wire through the codec.
    fn settle(&mut self, now: SystemTime) {
        for _ in 0..10_000 {
            let mut moved = false;
            for i in 0..2 {
                let d = common::drain(&mut self.s[i]);
                for m in &d.replies {
                    let ty = m.message_type().expect("type");
                    self.replies[i].push((ty, m.yiaddr, lease_time(m)));
                }
                self.log[i].extend(d.log_lines());
                // Everything a message produced is now on the wire; BNDACKs must wait.
                while let Some(m) = self.s[i].failover_poll_transmit(0) {
                    if m.msg_type == FoType::BndAck && m.reject_reason().is_none() {
                        assert!(
                            self.committed[i].contains(&m.xid),
                            "server {i} sent BNDACK xid {} before its lease was committed",
                            m.xid
                        );
                    }
                    self.wire[i].push(m.clone());
                    let bytes = m.to_vec();
                    let back = dhcpd_failover::Message::decode(&bytes).expect("decodes");
                    assert_eq!(back, m, "lossless codec");
                    assert!(
                        self.s[1 - i].failover_message(0, now, back),
                        "server {} refused a message",
                        1 - i
                    );
                    moved = true;
                }
                for (_, ack) in d.commit_acks {
                    self.committed[i].insert(ack.xid);
                    self.s[i].failover_committed(0, ack, now);
                    moved = true;
                }
                assert!(
                    !self.s[i].failover_poll_close(0),
                    "server {i} closed the link"
                );
            }
            if !moved {
                return;
            }
        }
        panic!("the pair never settles");
    }

    /// Advances the clock second by second to `until`, firing timers.
    fn run(&mut self, from: u64, until: u64) {
        for t in from..=until {
            let now = at(t);
            for i in 0..2 {
                if self.s[i].failover_timeout().is_some_and(|d| d <= now) {
                    self.s[i].failover_handle_timeout(now);
                }
                if self.s[i].poll_timeout().is_some_and(|d| d <= now) {
                    self.s[i].handle_timeout(now);
                }
            }
            self.settle(now);
        }
    }

    /// A new pair, both connected at 1 s and run to 20 s (in NORMAL by then).
    fn connected() -> Pair {
        let mut p = Pair::new();
        p.connect(1);
        p.settle(at(1));
        p.run(2, 20);
        p
    }

    /// Both servers see their link come up at `t`.
    fn connect(&mut self, t: u64) {
        for i in 0..2 {
            self.s[i].failover_connected(0, at(t));
        }
    }

    /// Broadcasts `payload` to both servers at `t` and settles.
    fn broadcast(&mut self, t: u64, payload: &[u8]) {
        for i in 0..2 {
            common::broadcast(&mut self.s[i], at(t), payload);
        }
        self.settle(at(t));
    }

    fn count(&self, i: usize, st: BindingState) -> usize {
        self.s[i].leases().count(st)
    }
}

fn packet(mac: u8, ty: MessageType, extra: &[(u8, &[u8])]) -> Vec<u8> {
    common::packet(ty, [2, 0, 0, 0, 0x0f, mac], 0x1000 + u32::from(mac), extra)
}

/// Client `mac`'s REQUEST for `addr` offered by server `i` (its server identifier).
fn request(mac: u8, addr: Ipv4Addr, i: usize) -> Vec<u8> {
    let sid = Ipv4Addr::new(198, 51, 100, if i == 0 { 2 } else { 3 });
    packet(
        mac,
        MessageType::Request,
        &[(50, &addr.octets()), (54, &sid.octets())],
    )
}

#[test]
fn a_pair_reaches_normal_splits_balances_and_shares_leases() {
    // Both start in RECOVER → STARTUP, connect, and converge.
    let mut p = Pair::connected();
    for i in 0..2 {
        assert_eq!(
            p.s[i].failover_state("fo"),
            Some((FailoverStateName::Normal, FailoverStateName::Normal)),
            "server {i}: {:#?}",
            p.log[i]
        );
    }
    assert!(
        p.log[0]
            .iter()
            .any(|l| l == "failover peer fo: I move from recover-done to normal"),
        "{:#?}",
        p.log[0]
    );
    // ISC's split of a fresh 40-lease pool: 20 FREE, 20 BACKUP, on both sides.
    for i in 0..2 {
        assert_eq!(p.count(i, BindingState::Free), 20, "server {i}");
        assert_eq!(p.count(i, BindingState::Backup), 20, "server {i}");
    }

    // Each DISCOVER is answered by exactly one server, the one owning its hash bucket.
    let mut served_by = [0usize; 2];
    for mac in 1..=16u8 {
        let before = [p.replies[0].len(), p.replies[1].len()];
        p.broadcast(21, &packet(mac, MessageType::Discover, &[]));
        let offered: Vec<usize> = (0..2).filter(|&i| p.replies[i].len() > before[i]).collect();
        assert_eq!(offered.len(), 1, "mac {mac}: offers from {offered:?}");
        let i = offered[0];
        let bucket = dhcpd_failover::hash::bucket(&[2, 0, 0, 0, 0x0f, mac]);
        assert_eq!(i == 0, bucket < 128, "mac {mac} bucket {bucket}");
        served_by[i] += 1;
        // The offer comes from the server's own free state and is at most MCLT long.
        let (ty, addr, t) = p.replies[i][before[i]];
        assert_eq!(ty, MessageType::Offer);
        assert!(t <= 300, "offered {t} s, MCLT is 300");
        let own = if i == 0 {
            BindingState::Free
        } else {
            BindingState::Backup
        };
        let st = p.s[i]
            .leases()
            .get(addr)
            .expect("lease")
            .lease
            .binding_state;
        assert_eq!(st, own, "server {i} offered {addr} in state {st:?}");
        // REQUEST it: the granting server ACKs, the peer learns the binding.
        p.broadcast(22, &request(mac, addr, i));
        let (ty, yi, t) = *p.replies[i].last().expect("ack");
        assert_eq!((ty, yi), (MessageType::Ack, addr));
        assert!(t <= 300, "first ACK {t} s, MCLT is 300");
        p.run(23, 26); // BNDACK batching (2 s)
        for k in 0..2 {
            let l = &p.s[k].leases().get(addr).expect("lease").lease;
            assert_eq!(l.binding_state, BindingState::Active, "server {k}, {addr}");
            assert_eq!(
                l.hardware.as_ref().map(|h| h.addr().to_vec()),
                Some(vec![2, 0, 0, 0, 0x0f, mac])
            );
        }
        // The granting server's lease is acknowledged by the peer (tsfp = atsfp = tstp).
        let l = &p.s[i].leases().get(addr).expect("lease").lease;
        assert!(l.atsfp > 0 && l.atsfp == l.tstp, "{l:?}");
    }
    assert!(served_by[0] > 0 && served_by[1] > 0, "{served_by:?}");
    assert!(!p.committed[0].is_empty() && !p.committed[1].is_empty());
}

#[test]
fn partner_down_by_the_operator_needs_the_link_down() {
    let mut p = Pair::connected();
    let refused = p.s[0].failover_control("partner-down fo", at(21));
    assert!(refused.contains("refused"), "{refused}");
    p.s[0].failover_disconnected(0, at(22));
    p.s[1].failover_disconnected(0, at(22));
    p.settle(at(22));
    assert_eq!(
        p.s[0].failover_state("fo"),
        Some((
            FailoverStateName::CommunicationsInterrupted,
            FailoverStateName::Normal
        ))
    );
    let ok = p.s[0].failover_control("partner-down fo", at(23));
    assert_eq!(ok, "failover peer fo: partner-down");
    assert_eq!(
        p.s[0].failover_state("fo").map(|s| s.0),
        Some(FailoverStateName::PartnerDown)
    );
    let unknown = p.s[0].failover_control("partner-down nope", at(23));
    assert!(unknown.contains("no such relationship"), "{unknown}");
    let status = p.s[0].failover_control("status", at(23));
    assert!(
        status.contains("my state partner-down") && status.contains("not connected"),
        "{status}"
    );
}

/// The BNDACKs a primary sends right after connecting, before it has written any lease
/// record, are refusals: both servers answer the other's UPDREQALL with the same pool-state
/// BNDUPDs, and while its own BNDUPD for an address is unacknowledged the primary refuses the
/// secondary's ("incoming update is less critical than outgoing update", reject-reason 16, as
/// ISC does). A refusal stores nothing, so it needs no fsync. Every accepting BNDACK still
/// waits for its commit (checked in `settle` for all the other tests too).
#[test]
fn early_bndacks_at_connect_are_refusals_of_dueling_updates() {
    let mut p = Pair::new();
    p.connect(1);
    // (sender, address, refused) of every BNDACK, and the addresses each server committed
    // (wrote to its journal) before it sent that BNDACK.
    let mut acks: Vec<(usize, Ipv4Addr, bool)> = Vec::new();
    let mut written: [HashSet<Ipv4Addr>; 2] = [HashSet::new(), HashSet::new()];
    let mut before_first_write: Vec<(Ipv4Addr, bool)> = Vec::new();
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..2 {
            let d = common::drain(&mut p.s[i]);
            for record in d.records() {
                written[i].extend(record.lines().filter_map(|l| {
                    l.strip_prefix("lease ")?
                        .trim_end_matches(" {")
                        .parse::<Ipv4Addr>()
                        .ok()
                }));
            }
            while let Some(m) = p.s[i].failover_poll_transmit(0) {
                if m.msg_type == FoType::BndAck {
                    let a = m.assigned_ip().expect("BNDACK carries its address");
                    let refused = m.reject_reason().is_some();
                    if i == 0 && written[0].is_empty() {
                        before_first_write.push((a, refused));
                    }
                    if refused {
                        assert_eq!(
                            m.reject_reason(),
                            Some(dhcpd_failover::message::RejectReason::LessCriticalBindInfo)
                        );
                    } else {
                        assert!(
                            p.committed[i].contains(&m.xid),
                            "server {i}: accepting BNDACK for {a} before its commit"
                        );
                    }
                    acks.push((i, a, refused));
                }
                assert!(p.s[1 - i].failover_message(0, at(1), m));
                moved = true;
            }
            for (_, ack) in d.commit_acks {
                let a = ack.assigned_ip().expect("address");
                written[i].insert(a);
                p.committed[i].insert(ack.xid);
                p.s[i].failover_committed(0, ack, at(1));
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    // The primary acknowledged the secondary's first window before writing anything, and
    // every one of those BNDACKs was a refusal.
    assert!(!before_first_write.is_empty(), "{acks:?}");
    assert!(
        before_first_write.iter().all(|(_, refused)| *refused),
        "accepting BNDACK before any write: {before_first_write:?}"
    );
    // Later on the primary accepts the secondary's updates (after committing them).
    assert!(acks.iter().any(|(i, _, refused)| *i == 0 && !refused));
}

/// Runs one server alone (no peer) from `at(0)` to `at(until)`; its log lines and the lease
/// records it committed.
fn run_alone(s: &mut Server, until: u64) -> (Vec<String>, String) {
    let (mut log, mut records) = (Vec::new(), String::new());
    for t in 0..=until {
        let now = at(t);
        if s.failover_timeout().is_some_and(|d| d <= now) {
            s.failover_handle_timeout(now);
        }
        let d = common::drain(s);
        log.extend(d.log_lines());
        records.extend(d.records());
    }
    (log, records)
}

/// ISC reads `failover peer "NAME" state { … }` in dhcpd.conf into the peer before the lease
/// file: with no record in the lease file the server starts from it.
#[test]
fn a_state_block_in_dhcpd_conf_sets_the_start_state() {
    let text = format!(
        "{}failover peer \"fo\" state {{\n  my state partner-down at 4 2026/11/26 10:00:00;\n  \
         partner state communications-interrupted at 4 2026/11/26 09:00:00;\n}}\n",
        conf(true)
    );
    let mut s = server_with(&text, true, &BTreeMap::new());
    let (log, records) = run_alone(&mut s, 17);
    for line in [
        "failover peer fo: I move from partner-down to startup",
        "failover peer fo: I move from startup to partner-down",
    ] {
        assert!(log.iter().any(|l| l == line), "{line}: {log:#?}");
    }
    // The state's start is the one written (kept through STARTUP), and goes to the lease file.
    assert!(
        records.contains("my state partner-down at 4 2026/11/26 10:00:00;")
            && records
                .contains("partner state communications-interrupted at 4 2026/11/26 09:00:00;"),
        "{records}"
    );
    // Without `at`, the state starts when the configuration is read.
    let text = format!(
        "{}failover peer \"fo\" state {{ my state normal; }}\n",
        conf(true)
    );
    let mut s = server_with(&text, true, &BTreeMap::new());
    let (log, _) = run_alone(&mut s, 17);
    assert!(
        log.iter()
            .any(|l| l == "failover peer fo: I move from startup to communications-interrupted"),
        "{log:#?}"
    );
}

/// A record in the lease file wins over the dhcpd.conf block (ISC reads the lease file after
/// the configuration).
#[test]
fn the_lease_file_state_overrides_the_dhcpd_conf_block() {
    let text = format!(
        "{}failover peer \"fo\" state {{ my state partner-down; }}\n",
        conf(true)
    );
    let rec = dhcpd_leases::model::FailoverState {
        peer: "fo".into(),
        me: dhcpd_leases::model::PeerState {
            state: FailoverStateName::Normal,
            stos: (T0 - 100) as i64,
        },
        partner: dhcpd_leases::model::PeerState {
            state: FailoverStateName::Normal,
            stos: (T0 - 100) as i64,
        },
        mclt: None,
    };
    let persisted = BTreeMap::from([("fo".to_string(), rec)]);
    let mut s = server_with(&text, true, &persisted);
    let (log, _) = run_alone(&mut s, 17);
    assert!(
        log.iter()
            .any(|l| l == "failover peer fo: I move from normal to startup"),
        "{log:#?}"
    );
}

/// Whether `m` is a BNDUPD for `addr` with binding status `st`.
fn bndupd(m: &dhcpd_failover::Message, addr: Ipv4Addr, st: BindingState) -> bool {
    m.msg_type == FoType::BndUpd
        && m.assigned_ip() == Some(addr)
        && m.u8_option(dhcpd_failover::message::code::BINDING_STATUS)
            == Some(dhcpd_failover::body::binding_state_to_wire(st))
}

/// Gets a lease for client `mac` from the server owning its bucket at `at(t)`; returns the
/// server, the address and the lease time.
fn lease_for(p: &mut Pair, mac: u8, t: u64) -> (usize, Ipv4Addr, u32) {
    let before = [p.replies[0].len(), p.replies[1].len()];
    p.broadcast(t, &packet(mac, MessageType::Discover, &[]));
    let i = (0..2)
        .find(|&i| p.replies[i].len() > before[i])
        .expect("an offer");
    let (_, addr, _) = p.replies[i][before[i]];
    p.broadcast(t, &request(mac, addr, i));
    let (ty, yi, secs) = *p.replies[i].last().expect("ack");
    assert_eq!((ty, yi), (MessageType::Ack, addr));
    (i, addr, secs)
}

/// ISC's secondary in NORMAL does not expire ACTIVE leases itself (`pool_timer`): it waits
/// for the primary's EXPIRED BNDUPD, without spinning on the due lease meanwhile. Out of
/// NORMAL it expires them itself.
#[test]
fn the_secondary_in_normal_leaves_expiry_to_the_primary() {
    let mut p = Pair::connected();
    // A client of the secondary's hash half, bound by the secondary (MCLT-limited lease).
    let mac = (1..=255u8)
        .find(|&m| dhcpd_failover::hash::bucket(&[2, 0, 0, 0, 0x0f, m]) >= 128)
        .expect("a secondary client");
    let (i, addr, secs) = lease_for(&mut p, mac, 21);
    assert_eq!(i, 1, "served by the secondary");
    p.run(22, 26);
    let end = 21 + u64::from(secs);
    p.run(27, end - 1);
    p.wire = [Vec::new(), Vec::new()];
    // The lease has run out at the secondary, whose timer fires first: it keeps the lease
    // ACTIVE, sends nothing, and its next timeout is not the lease it just passed over.
    assert!(p.s[1].poll_timeout().is_some_and(|d| d <= at(end)));
    p.s[1].handle_timeout(at(end));
    assert_eq!(
        p.s[1]
            .leases()
            .get(addr)
            .expect("lease")
            .lease
            .binding_state,
        BindingState::Active
    );
    assert!(
        p.s[1].poll_timeout().is_none_or(|d| d > at(end)),
        "the secondary would spin on the lease left to the primary"
    );
    while let Some(m) = p.s[1].failover_poll_transmit(0) {
        assert!(
            !(m.msg_type == FoType::BndUpd && m.assigned_ip() == Some(addr)),
            "the secondary sent a BNDUPD for a lease it leaves to the primary"
        );
        assert!(p.s[0].failover_message(0, at(end), m));
    }
    // The primary expires it and tells the secondary.
    p.run(end, end + 3);
    assert!(
        p.wire[0]
            .iter()
            .any(|m| bndupd(m, addr, BindingState::Expired))
    );
    assert!(
        !p.wire[1]
            .iter()
            .any(|m| bndupd(m, addr, BindingState::Expired))
    );
    for k in 0..2 {
        assert_ne!(
            p.s[k]
                .leases()
                .get(addr)
                .expect("lease")
                .lease
                .binding_state,
            BindingState::Active,
            "server {k}"
        );
    }

    // Out of NORMAL (the link is gone), the secondary expires its leases itself.
    let t = end + 4;
    let mac2 = (mac + 1..=255u8)
        .find(|&m| dhcpd_failover::hash::bucket(&[2, 0, 0, 0, 0x0f, m]) >= 128)
        .expect("another secondary client");
    let (i, addr2, secs2) = lease_for(&mut p, mac2, t);
    assert_eq!(i, 1);
    p.run(t + 1, t + 3);
    for k in 0..2 {
        p.s[k].failover_disconnected(0, at(t + 4));
    }
    p.settle(at(t + 4));
    assert_eq!(
        p.s[1].failover_state("fo").map(|s| s.0),
        Some(FailoverStateName::CommunicationsInterrupted)
    );
    let end2 = t + u64::from(secs2);
    for k in t + 5..=end2 + 1 {
        let now = at(k);
        if p.s[1].poll_timeout().is_some_and(|d| d <= now) {
            p.s[1].handle_timeout(now);
        }
    }
    assert_ne!(
        p.s[1]
            .leases()
            .get(addr2)
            .expect("lease")
            .lease
            .binding_state,
        BindingState::Active
    );
}

/// OMAPI's `failover-state` object: the view shows ISC's state numbers, and setting
/// local-state 4 is the operator's partner-down, on the same terms.
#[test]
fn omapi_view_and_local_state() {
    let mut p = Pair::connected();
    let v = p.s[0].failover_view("fo").expect("relationship fo");
    assert_eq!((v.local_state, v.partner_state), (2, 2));
    assert_eq!(v.name, "fo");
    assert!(p.s[0].failover_view("nope").is_none());
    let refused = p.s[0].failover_set_local_state("fo", 4, at(21));
    assert!(refused.is_err_and(|e| e.contains("refused")));
    p.s[0].failover_disconnected(0, at(22));
    p.s[1].failover_disconnected(0, at(22));
    p.settle(at(22));
    assert_eq!(p.s[0].failover_view("fo").map(|v| v.local_state), Some(3));
    let other = p.s[0].failover_set_local_state("fo", 2, at(23));
    assert!(other.is_err_and(|e| e.contains("only 4")));
    assert_eq!(p.s[0].failover_set_local_state("fo", 4, at(23)), Ok(()));
    let v = p.s[0].failover_view("fo").expect("relationship fo");
    assert_eq!((v.local_state, v.partner_state), (4, 2));
    assert!(v.local_stos >= 23, "{v:?}");
    assert!(
        p.s[0]
            .failover_set_local_state("nope", 4, at(23))
            .is_err_and(|e| e.contains("no such"))
    );
}
