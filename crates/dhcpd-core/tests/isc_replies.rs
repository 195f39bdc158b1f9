//! Our engine against ISC dhcpd 4.4.3's recorded answers.
//!
//! `corpus/pcap/clients/` holds real clients talking to the real ISC dhcpd (one server run,
//! config `isc-clients.conf`, interface eth0 192.0.2.1/24, MAC 02:00:00:00:00:01). We feed
//! the clients' packets, at their capture times and in the run's order, to our engine with
//! the same configuration, and compare every reply with ISC's: message type, addresses,
//! flags, every option (code, value, order), the whole message byte for byte, and where it
//! was sent (MAC and IP).

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use dhcpd_conf::{Loader, ParseOptions, parse_config};
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;
use dhcpd_core::{Action, Engine, Received, Route};
use dhcpd_testlab::pcap;
use dhcpd_wire::frame::{RxChecksums, parse_frame};
use dhcpd_wire::message::Message;

const SERVER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

struct Fs;
impl Loader for Fs {
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| e.to_string())
    }
}

/// A reply as compared: everything ISC controls.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    dst_mac: [u8; 6],
    dst_ip: Ipv4Addr,
    dst_port: u16,
    msg_type: Option<u8>,
    ciaddr: Ipv4Addr,
    yiaddr: Ipv4Addr,
    siaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    flags: u16,
    options: Vec<(u8, Vec<u8>)>,
    /// The whole BOOTP/DHCP message, byte for byte.
    bytes: Vec<u8>,
}

fn seen(msg: &Message, bytes: &[u8], dst_mac: [u8; 6], dst_ip: Ipv4Addr, dst_port: u16) -> Seen {
    Seen {
        bytes: bytes.to_vec(),
        dst_mac,
        dst_ip,
        dst_port,
        msg_type: msg.message_type().map(u8::from),
        ciaddr: msg.ciaddr,
        yiaddr: msg.yiaddr,
        siaddr: msg.siaddr,
        giaddr: msg.giaddr,
        flags: msg.flags,
        options: msg
            .joined_options()
            .into_iter()
            .map(|o| (o.code, o.data))
            .collect(),
    }
}

fn server(folder: &str, conf: &str) -> (Server, std::path::PathBuf) {
    let dir = pcap::corpus_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .join("pcap")
        .join(folder);
    let conf = dir.join(conf);
    let out = parse_config(
        conf.to_str().expect("utf8"),
        &mut Fs,
        ParseOptions::default(),
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let model = Model::from_config(&out.config);
    let eth0 = IfaceInfo {
        index: 2,
        name: "eth0".into(),
        mac: SERVER_MAC,
        addrs: vec![(SERVER_IP, 24)],
    };
    let (srv, _log) = Server::new(model, out.registry, &[eth0], &[], 68).expect("server");
    (srv, dir)
}

/// Replays one capture; returns (ours, ISC's) replies and our log lines.
fn replay(srv: &mut Server, file: &Path, relayed: bool) -> (Vec<Seen>, Vec<Seen>, Vec<String>) {
    let (mut ours, mut isc, mut log) = (Vec::new(), Vec::new(), Vec::new());
    for cap in pcap::read(file) {
        let Ok(f) = parse_frame(&cap.data, RxChecksums { udp: false }) else {
            continue;
        };
        // What reached the server: a client's broadcast on its segment, or a relay's unicast
        // (the relay capture merges both segments; the client's own broadcast there was on
        // the far segment).
        let giaddr_set = Message::from_bytes(f.payload)
            .map(|m| m.giaddr != Ipv4Addr::UNSPECIFIED)
            .unwrap_or(false);
        let to_server = f.dst_port == 67
            && ((f.src_port == 68 && !relayed)
                || (f.src_port == 67 && f.dst_ip == SERVER_IP && giaddr_set));
        if to_server {
            let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(cap.secs).expect("time"));
            srv.handle_packet(
                now,
                &Received {
                    ifindex: 2,
                    src_mac: f.src_mac,
                    src_ip: f.src_ip,
                    dst_ip: f.dst_ip,
                    src_port: f.src_port,
                    payload: f.payload,
                },
            );
            let mut pinged = false;
            loop {
                let Some(a) = srv.poll_action() else {
                    // ISC pinged the address before offering it and nobody answered: its
                    // OFFER left after ping-timeout (1 s), as ours does at its timer.
                    if std::mem::take(&mut pinged) {
                        srv.handle_timeout(now + Duration::from_secs(1));
                        continue;
                    }
                    break;
                };
                let tx = match a {
                    Action::Ping { .. } => {
                        pinged = true;
                        continue;
                    }
                    Action::Send(t) => t,
                    Action::Commit { then: Some(t), .. } => t,
                    Action::Commit { then: None, .. }
                    | Action::CommitAck { .. }
                    | Action::Execute { .. }
                    | Action::DnsSend { .. } => continue,
                    Action::Log(_, l) => {
                        log.push(l);
                        continue;
                    }
                };
                let msg = Message::from_bytes(&tx.payload).expect("our reply parses");
                let (mac, ip, port) = match tx.route {
                    Route::Frame { mac, ip, port, .. } => (mac, ip, port),
                    Route::Udp { ip, port } => ([0; 6], ip, port),
                };
                ours.push(seen(&msg, &tx.payload, mac, ip, port));
            }
        } else if f.src_port == 67 && f.src_ip == SERVER_IP {
            let msg = Message::from_bytes(f.payload).expect("ISC's reply parses");
            // Replies through the kernel's UDP socket: compare the IP only (the MAC is the
            // kernel's ARP result).
            let via_udp = f.dst_ip != Ipv4Addr::BROADCAST
                && (f.dst_ip == msg.ciaddr || f.dst_ip == msg.giaddr);
            let mac = if via_udp { [0; 6] } else { f.dst_mac };
            isc.push(seen(&msg, f.payload, mac, f.dst_ip, f.dst_port));
        }
    }
    (ours, isc, log)
}

/// Replays `files` of `folder` in order against one server; fails on any difference.
fn check(folder: &str, conf: &str, files: &[&str]) -> usize {
    let (mut srv, dir) = server(folder, conf);
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in files {
        let (ours, isc, log) = replay(&mut srv, &dir.join(name), name.starts_with("relay"));
        if ours.len() != isc.len() {
            failures.push(format!(
                "{name}: {} replies from us, {} from ISC\n  ours: {ours:?}\n  ISC:  {isc:?}\n  log: {log:#?}",
                ours.len(),
                isc.len()
            ));
            continue;
        }
        for (i, (o, r)) in ours.iter().zip(&isc).enumerate() {
            compared += 1;
            if o != r {
                failures.push(format!(
                    "{name} reply {i}:\n  ours: {o:?}\n  ISC:  {r:?}\n  log: {log:#?}"
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("MISMATCH {f}\n");
    }
    eprintln!(
        "isc replies: {compared} compared, {} mismatches",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches with ISC",
        failures.len()
    );
    compared
}

#[test]
fn replies_match_isc_for_real_clients() {
    // The run's order (udhcpc is classified by its vendor class into the second pool).
    let files = [
        "dhclient-dora.pcap",
        "dhclient-renew.pcap",
        "dhclient-release.pcap",
        "dhclient-fixed.pcap",
        "udhcpc-dora.pcap",
        "udhcpc-renew.pcap",
        "udhcpc-release.pcap",
        "dhcpcd-dora.pcap",
        "dhcpcd-release.pcap",
        "dhcpcd-decline.pcap",
        "dhcpcd-inform.pcap",
        "relay-dora.pcap",
    ];
    assert!(check("clients", "isc-clients.conf", &files) >= 17);
}

#[test]
fn replies_match_isc_for_edge_cases() {
    let files = [
        "overload.pcap",
        "split.pcap",
        "longopt.pcap",
        "longopt-small.pcap",
        "relay82.pcap",
        "relay82-local.pcap",
        "bootp-fixed.pcap",
        "bootp-novend.pcap",
        "bootp-dynamic.pcap",
        "bootp-unknown.pcap",
        "clientid-host.pcap",
        "clientid-duid.pcap",
        "broadcast-flag.pcap",
        "nak.pcap",
        "inform.pcap",
    ];
    assert!(check("edge", "isc-edge.conf", &files) >= 15);
}
