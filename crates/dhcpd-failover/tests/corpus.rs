//! Every failover message two real ISC dhcpd 4.4.3-P1 servers exchanged in the lab captures
//! (`shared/corpus/pcap/failover/*.pcap`) decodes, re-encodes to the same bytes, and agrees
//! with the independent decode in the capture's `.msgs.json`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dhcpd_failover::body::Body;
use dhcpd_failover::message::{FoOption, Message, StreamDecoder};
use dhcpd_testlab::pcap;

const FAILOVER_PORTS: [u16; 2] = [647, 847];

/// One direction of one TCP connection.
#[derive(Default)]
struct Flow {
    /// Sequence number of the next byte to append.
    next: Option<u32>,
    /// Segments that arrived ahead of `next`.
    ahead: BTreeMap<u32, Vec<u8>>,
    decoder: StreamDecoder,
}

/// A message found in a capture: (time of the completing segment, source port, destination
/// port, raw bytes).
type Found = (f64, u16, u16, Vec<u8>);

fn corpus() -> PathBuf {
    pcap::corpus_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).join("pcap/failover")
}

/// Reassembles every failover TCP stream of a capture by sequence number and cuts it into
/// messages.
fn messages(path: &Path) -> Vec<Found> {
    let mut flows: BTreeMap<([u8; 4], u16, [u8; 4], u16), Flow> = BTreeMap::new();
    let mut out = Vec::new();
    for f in pcap::read(path) {
        let d = &f.data;
        if d.len() < 14 + 20 || d[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &d[14..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        if ip[9] != 6 || ip.len() < total || total < ihl + 20 {
            continue;
        }
        let src: [u8; 4] = ip[12..16].try_into().unwrap();
        let dst: [u8; 4] = ip[16..20].try_into().unwrap();
        let tcp = &ip[ihl..total];
        let sport = u16::from_be_bytes([tcp[0], tcp[1]]);
        let dport = u16::from_be_bytes([tcp[2], tcp[3]]);
        if !FAILOVER_PORTS.contains(&sport) && !FAILOVER_PORTS.contains(&dport) {
            continue;
        }
        let seq = u32::from_be_bytes(tcp[4..8].try_into().unwrap());
        let doff = usize::from(tcp[12] >> 4) * 4;
        let flags = tcp[13];
        let payload = &tcp[doff..];
        let key = (src, sport, dst, dport);
        if flags & 0x02 != 0 {
            // SYN: a new connection on this 4-tuple.
            flows.insert(
                key,
                Flow {
                    next: Some(seq.wrapping_add(1)),
                    ..Flow::default()
                },
            );
            continue;
        }
        if payload.is_empty() {
            continue;
        }
        let flow = flows.entry(key).or_default();
        let next = *flow.next.get_or_insert(seq);
        // Keep only bytes at or beyond `next` (drops retransmissions).
        let behind = next.wrapping_sub(seq);
        if (behind as i32) > 0 {
            if behind as usize >= payload.len() {
                continue;
            }
            flow.ahead.insert(next, payload[behind as usize..].to_vec());
        } else {
            flow.ahead.insert(seq, payload.to_vec());
        }
        while let Some(bytes) = flow.ahead.remove(&flow.next.unwrap_or(0)) {
            flow.next = Some(flow.next.unwrap_or(0).wrapping_add(bytes.len() as u32));
            flow.decoder.push(&bytes);
        }
        let t = f.secs as f64 + f64::from(f.frac) / 1e6;
        while let Some(m) = flow.decoder.next_message() {
            let m = m.unwrap_or_else(|e| panic!("{}: stream broken: {e}", path.display()));
            out.push((t, sport, dport, m.to_vec()));
        }
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Decodes, re-encodes, and returns the decoded messages.
fn round_trip(path: &Path) -> Vec<(f64, u16, u16, Message)> {
    let found = messages(path);
    assert!(!found.is_empty(), "{}: no failover message", path.display());
    found
        .into_iter()
        .map(|(t, s, d, bytes)| {
            let m = Message::decode(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e} in {}", path.display(), hex(&bytes)));
            assert_eq!(m.to_vec(), bytes, "{}: re-encoding differs", path.display());
            assert!(
                !m.options.iter().any(|o| matches!(o, FoOption::Raw { .. })),
                "{}: an ISC option was not typed: {m:?}",
                path.display()
            );
            // The typed view rebuilds ISC's exact bytes (ISC's option order).
            let body =
                Body::parse(&m).unwrap_or_else(|e| panic!("{}: {e} in {m:?}", path.display()));
            assert_eq!(
                body.to_message(m.time, m.xid).to_vec(),
                bytes,
                "{}: typed rebuild differs for {body:?}",
                path.display()
            );
            (t, s, d, m)
        })
        .collect()
}

#[test]
fn every_captured_message_round_trips_and_matches_the_reference_decode() {
    let dir = corpus();
    let mut scenarios = 0;
    let mut total = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("fo-") && n.ends_with(".pcap")
        })
        .collect();
    entries.sort();
    for pcap_path in entries {
        let json_path = pcap_path.with_extension("msgs.json");
        let reference: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        let mut ours = round_trip(&pcap_path);
        ours.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Compare per direction (ports), in order: ordering across connections may differ by
        // microseconds between the two decoders, within one stream it cannot.
        let mut ours_by: BTreeMap<(u16, u16), Vec<&Message>> = BTreeMap::new();
        for (_, s, d, m) in &ours {
            ours_by.entry((*s, *d)).or_default().push(m);
        }
        let mut ref_by: BTreeMap<(u16, u16), Vec<&serde_json::Value>> = BTreeMap::new();
        for r in &reference {
            let s = r["sport"].as_u64().unwrap() as u16;
            let d = r["dport"].as_u64().unwrap() as u16;
            ref_by.entry((s, d)).or_default().push(r);
        }
        assert_eq!(
            ours_by.keys().collect::<Vec<_>>(),
            ref_by.keys().collect::<Vec<_>>(),
            "{}: streams differ",
            pcap_path.display()
        );
        for (k, ms) in &ours_by {
            let rs = &ref_by[k];
            assert_eq!(ms.len(), rs.len(), "{}: {k:?} count", pcap_path.display());
            for (m, r) in ms.iter().zip(rs.iter()) {
                assert_eq!(u64::from(u8::from(m.msg_type)), r["type"].as_u64().unwrap());
                assert_eq!(u64::from(m.xid), r["xid"].as_u64().unwrap());
                assert_eq!(u64::from(m.time), r["time"].as_u64().unwrap());
                assert_eq!(m.to_vec().len() as u64, r["length"].as_u64().unwrap());
                let ropts: Vec<(u64, String)> = r["opts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| (o[0].as_u64().unwrap(), o[1].as_str().unwrap().to_string()))
                    .collect();
                let mopts: Vec<(u64, String)> = m
                    .options
                    .iter()
                    .map(|o| {
                        let mut b = Vec::new();
                        dhcpd_failover::codec::Codec::encode(o, &mut b);
                        (u64::from(o.code()), hex(&b[4..]))
                    })
                    .collect();
                assert_eq!(mopts, ropts, "{}: options of {m:?}", pcap_path.display());
            }
        }
        scenarios += 1;
        total += ours.len();
    }
    assert_eq!(scenarios, 14, "expected the 14 lab scenarios");
    assert!(total > 4000, "only {total} messages found");
}

#[test]
fn the_older_lab_captures_round_trip() {
    for name in ["failover-capture-lab1.pcap", "failover-capture-lab2.pcap"] {
        let ms = round_trip(&corpus().join(name));
        // Both contain the start of a relationship: a CONNECT from the primary.
        assert!(
            ms.iter()
                .any(|(_, _, _, m)| m.msg_type == dhcpd_failover::MessageType::Connect),
            "{name}: no CONNECT"
        );
    }
}

/// Plays one side of the fo-a-startup capture (two fresh ISC servers) against our `Peer` in
/// the other role and checks that our first messages are ISC's, byte for byte: the
/// CONNECT/CONNECTACK handshake, the STATE sequence out of STARTUP and the two UPDREQALLs.
fn replay_startup(ours: dhcpd_failover::peer::Role, expect: usize) {
    use dhcpd_failover::peer::{Config, Incoming, Peer, Role};
    use dhcpd_failover::{MessageType, ServerState};

    let path = corpus().join("fo-a-startup.pcap");
    let mut found = messages(&path);
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The connection that carried CONNECT; P listens on 647.
    let from_primary = |s: u16| s == 647;
    let msgs: Vec<(bool, Message)> = found
        .into_iter()
        .map(|(_, s, _, b)| (from_primary(s), Message::decode(&b).unwrap()))
        .skip_while(|(_, m)| m.msg_type != MessageType::Connect)
        .collect();
    let we_are_primary = ours == Role::Primary;
    let theirs: Vec<&Message> = msgs
        .iter()
        .filter(|(p, _)| *p != we_are_primary)
        .map(|(_, m)| m)
        .collect();
    let isc_ours: Vec<&Message> = msgs
        .iter()
        .filter(|(p, _)| *p == we_are_primary)
        .map(|(_, m)| m)
        .take(expect)
        .collect();
    // Our start time: the stos ISC's server of our role announced.
    let stos = isc_ours
        .iter()
        .find(|m| m.msg_type == MessageType::State)
        .and_then(|m| m.u32_option(dhcpd_failover::message::code::START_TIME_OF_STATE))
        .unwrap();
    let mut cfg = Config::new("dhcp-failover", ours, 60);
    cfg.max_unacked_updates = 10;
    cfg.max_response_delay = 30;
    let mut peer = Peer::new(cfg, None, i64::from(stos));
    let now = i64::from(isc_ours[0].time);
    peer.handle_connected(now);
    let mut sent = Vec::new();
    let drain = |peer: &mut Peer, sent: &mut Vec<Message>| {
        while peer.poll_event().is_some() {}
        while let Some(m) = peer.poll_transmit() {
            sent.push(m);
        }
    };
    drain(&mut peer, &mut sent);
    for m in theirs {
        if sent.len() >= expect {
            break;
        }
        if m.msg_type == MessageType::BndUpd {
            break;
        }
        let r = peer.handle_message(i64::from(m.time), m.clone()).unwrap();
        assert_eq!(r, Incoming::None);
        drain(&mut peer, &mut sent);
    }
    sent.truncate(expect);
    let got: Vec<String> = sent.iter().map(|m| hex(&m.to_vec())).collect();
    let want: Vec<String> = isc_ours.iter().map(|m| hex(&m.to_vec())).collect();
    assert_eq!(got, want, "our {ours:?} differs from ISC's");
    assert!(
        sent.iter()
            .any(|m| m.u8_option(24) == Some(u8::from(ServerState::Recover))),
        "no STATE recover"
    );
}

#[test]
fn our_primary_speaks_like_isc_at_first_start() {
    // CONNECT, STATE recover+STARTUP, STATE recover, UPDREQALL, UPDREQALL.
    replay_startup(dhcpd_failover::peer::Role::Primary, 5);
}

#[test]
fn our_secondary_speaks_like_isc_at_first_start() {
    // CONNECTACK, STATE recover+STARTUP, STATE recover, UPDREQALL, UPDREQALL.
    replay_startup(dhcpd_failover::peer::Role::Secondary, 5);
}
