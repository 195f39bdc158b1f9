//! The engine's cost per DHCP exchange (DISCOVER/OFFER/REQUEST/ACK), the workload of
//! `scripts/bench-serve.sh` without the sockets: 200 relayed clients (giaddr set, source port
//! 67, as `perfdhcp -l`) come back again and again to a server with one 241-address pool and
//! `dhcp-cache-threshold 0`, so that every ACK rewrites the lease. Every action is drained
//! and its text kept alive until the next packet (log lines and lease records are part of
//! the cost).
//!
//! Run: `cargo bench -p dhcpd-core --bench exchange` (`-- --quick` for a shorter run). Prints
//! the best round's nanoseconds per exchange, the allocations and allocated bytes per
//! exchange, and a digest of everything the engine said in the first pass (which must not
//! change when only the speed does).

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::System;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dhcpd_core::engine::Server;
use dhcpd_core::{Action, Engine, Received, Route};
use dhcpd_wire::DhcpPacket;
use dhcpd_wire::message::{Entry, Message, OpCode, OptionList, RawOption, Vendor};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CONFIG: &str = "ddns-update-style none; authoritative; ping-check false;
dhcp-cache-threshold 0; default-lease-time 3600; max-lease-time 3600;
subnet 198.51.100.0 netmask 255.255.255.0 {
  range 198.51.100.10 198.51.100.250;
  option routers 198.51.100.1;
}
";

const CLIENTS: usize = 200;
const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

/// A relayed client message as perfdhcp builds it: message type, parameter request list,
/// and for a REQUEST the requested address and the server identifier.
fn client_message(client: usize, xid: u32, request: Option<Ipv4Addr>) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[0x00, 0x0c, 0x01, 0x02, (client >> 8) as u8, client as u8]);
    let mut opts = vec![RawOption::new(
        53,
        vec![if request.is_some() { 3 } else { 1 }],
    )];
    if let Some(addr) = request {
        opts.push(RawOption::new(50, addr.octets().to_vec()));
        opts.push(RawOption::new(54, SERVER.octets().to_vec()));
    }
    opts.push(RawOption::new(55, vec![1, 28, 2, 3, 15, 6, 12]));
    let opts: Vec<RawOption> = opts.into_iter().map(|o| o.expect("short option")).collect();
    let mut list = OptionList::with_end(opts);
    list.entries.retain(|e| !matches!(e, Entry::Pad));
    Message {
        op: OpCode::Request,
        hops: 1,
        xid,
        giaddr: RELAY,
        chaddr,
        vendor: Vendor::Options(list),
        ..Message::default()
    }
    .to_vec()
    .expect("emit")
}

fn received(payload: &[u8]) -> Received<'_> {
    Received {
        ifindex: 2,
        src_mac: [2, 0, 0, 0, 0, 2],
        src_ip: RELAY,
        dst_ip: SERVER,
        src_port: 67,
        payload,
    }
}

/// FNV-1a over everything the engine said.
#[derive(Default)]
struct Digest(u64);

impl Digest {
    fn add(&mut self, bytes: &[u8]) {
        if self.0 == 0 {
            self.0 = 0xcbf2_9ce4_8422_2325;
        }
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Drains the actions into `kept` (so that their text lives until the next packet); returns
/// the reply's yiaddr and message type, read in place.
fn drain(
    srv: &mut Server,
    digest: &mut Option<&mut Digest>,
    kept: &mut Vec<Action>,
) -> (Ipv4Addr, u8) {
    kept.clear();
    let mut reply = (Ipv4Addr::UNSPECIFIED, 0);
    while let Some(a) = srv.poll_action() {
        if let Some(d) = digest.as_deref_mut() {
            d.add(format!("{a:?}").as_bytes());
        }
        if let Action::Send(t) | Action::Commit { then: Some(t), .. } = &a {
            assert!(matches!(t.route, Route::Udp { ip, port: 67 } if ip == RELAY));
            let p = DhcpPacket::new_checked(&t.payload[..]).expect("a reply");
            let kind = match p.find_option(53) {
                Some(Ok([k])) => *k,
                _ => 0,
            };
            reply = (p.yiaddr(), kind);
        }
        kept.push(a);
    }
    black_box(&kept);
    reply
}

/// The simulated clock: one exchange a millisecond from a fixed start.
fn clock(tick: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(tick)
}

/// Every client's DISCOVER and REQUEST, patched in place for each exchange (new xid, the
/// offered address), so that the harness allocates nothing per exchange.
struct Clients {
    discover: Vec<Vec<u8>>,
    request: Vec<Vec<u8>>,
    /// Where the requested address (option 50's data) starts in a REQUEST.
    requested_at: usize,
}

impl Clients {
    fn new() -> Clients {
        let request: Vec<Vec<u8>> = (0..CLIENTS)
            .map(|c| client_message(c, 0, Some(Ipv4Addr::UNSPECIFIED)))
            .collect();
        let p = DhcpPacket::new_checked(&request[0][..]).expect("request");
        let area = p.options_area().expect("cookie");
        let base = request[0].len() - area.len();
        // Option 50 follows option 53 (3 bytes): code, length, then the address.
        assert_eq!(&area[3..5], &[50, 4]);
        Clients {
            discover: (0..CLIENTS).map(|c| client_message(c, 0, None)).collect(),
            request,
            requested_at: base + 5,
        }
    }
}

/// One DORA exchange for every client; `tick` is the running clock.
fn pass(
    srv: &mut Server,
    clients: &mut Clients,
    kept: &mut Vec<Action>,
    tick: &mut u64,
    xid: &mut u32,
    mut digest: Option<&mut Digest>,
) {
    for c in 0..CLIENTS {
        *xid = xid.wrapping_add(1);
        *tick += 1;
        let discover = &mut clients.discover[c];
        DhcpPacket::new_unchecked(&mut discover[..]).set_xid(*xid);
        srv.handle_packet(clock(*tick), &received(discover));
        let (offered, kind) = drain(srv, &mut digest, kept);
        assert_eq!(kind, 2, "OFFER");
        let request = &mut clients.request[c];
        DhcpPacket::new_unchecked(&mut request[..]).set_xid(*xid);
        let at = clients.requested_at;
        request[at..at + 4].copy_from_slice(&offered.octets());
        srv.handle_packet(clock(*tick), &received(request));
        let (acked, kind) = drain(srv, &mut digest, kept);
        assert_eq!((kind, acked), (5, offered), "ACK");
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 30 };
    let passes_per_round = 25;

    let mut srv = common::server_from_text(CONFIG);
    let mut clients = Clients::new();
    let mut kept = Vec::new();
    let (mut tick, mut xid) = (0u64, 0u32);
    // First pass: every client gets its lease; the second: they come back (the steady
    // state). What the engine said in both is the behaviour digest.
    let mut digest = Digest::default();
    for _ in 0..2 {
        pass(
            &mut srv,
            &mut clients,
            &mut kept,
            &mut tick,
            &mut xid,
            Some(&mut digest),
        );
    }

    let region = Region::new(GLOBAL);
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..passes_per_round {
            pass(&mut srv, &mut clients, &mut kept, &mut tick, &mut xid, None);
        }
        let ns = start.elapsed().as_nanos() as f64 / (passes_per_round * CLIENTS) as f64;
        best = best.min(ns);
    }
    let stats = region.change();
    let exchanges = (rounds * passes_per_round * CLIENTS) as f64;

    println!(
        "exchange (DISCOVER/OFFER/REQUEST/ACK, {CLIENTS} relayed clients, best of {rounds} rounds of {} exchanges)",
        passes_per_round * CLIENTS
    );
    println!("  {best:.0} ns per exchange");
    println!(
        "  {:.1} allocations, {:.1} reallocations, {:.0} bytes allocated per exchange",
        stats.allocations as f64 / exchanges,
        stats.reallocations as f64 / exchanges,
        stats.bytes_allocated as f64 / exchanges,
    );
    println!(
        "  digest of the first two passes' actions: {:016x}",
        digest.0
    );
}
