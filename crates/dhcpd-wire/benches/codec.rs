//! Decode and encode every DHCP message of `shared/corpus/pcap`, ours
//! against the `dhcproto` crate on the same messages in the same run, and
//! check that the view's decode path allocates nothing.
//!
//! Run: `cargo bench -p dhcpd-wire --bench codec` (prints ns per packet and
//! the ratios; `-- --quick` for a shorter run). Each operation is timed in
//! 20 interleaved rounds of 100 ms and its best round is reported.

#[path = "../tests/common/mod.rs"]
mod common;

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};

use dhcpd_wire::{DhcpPacket, Message};
use dhcproto::{Decodable, Decoder, Encodable, Encoder, v4};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Runs `pass` (one pass over all packets) repeatedly for about `budget`
/// and returns nanoseconds per packet.
fn time_per_packet(budget: Duration, packets: usize, pass: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed() < budget {
        pass();
        passes += 1;
    }
    start.elapsed().as_nanos() as f64 / (passes as f64 * packets as f64)
}

/// Times every operation in interleaved rounds and keeps each one's best
/// round, so that load from other processes on a shared machine disturbs
/// the comparison as little as possible.
fn best_of_rounds(
    rounds: u32,
    budget: Duration,
    packets: usize,
    ops: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let mut best = vec![f64::INFINITY; ops.len()];
    for op in ops.iter_mut() {
        op(); // warm up
    }
    for _ in 0..rounds {
        for (i, op) in ops.iter_mut().enumerate() {
            best[i] = best[i].min(time_per_packet(budget, packets, *op));
        }
    }
    best
}

/// Everything a server reads from a request, through the view: header
/// fields and every option instance.
fn view_decode(p: &[u8]) -> u64 {
    let Ok(v) = DhcpPacket::new_checked(p) else {
        return 0;
    };
    let mut acc = u64::from(v.xid()) ^ u64::from(v.flags()) ^ u64::from(v.op());
    acc ^= u64::from(u32::from(v.ciaddr())) ^ u64::from(u32::from(v.giaddr()));
    acc ^= v.client_hardware_address().len() as u64;
    for (code, data) in v.all_options().map_while(Result::ok) {
        acc = acc.wrapping_mul(31) ^ u64::from(code) ^ data.len() as u64;
    }
    acc
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // Rounds of 100 ms per operation; the best round counts.
    let rounds = if quick { 3 } else { 20 };
    let budget = Duration::from_millis(100);

    let mut all: Vec<Vec<u8>> = Vec::new();
    for path in common::pcap_files() {
        all.extend(common::dhcp_payloads(&path).into_iter().map(|d| d.payload));
    }
    // The comparison set: messages dhcproto can decode and re-encode.
    let packets: Vec<Vec<u8>> = all
        .iter()
        .filter(|p| {
            v4::Message::decode(&mut Decoder::new(p)).is_ok_and(|m| {
                let mut out = Vec::new();
                m.encode(&mut Encoder::new(&mut out)).is_ok()
            })
        })
        .cloned()
        .collect();
    let n = packets.len();
    println!(
        "corpus: {} DHCP messages, {} of them accepted by dhcproto (used below)",
        all.len(),
        n
    );

    // Allocation check of the view's decode path, over the whole corpus.
    let region = Region::new(GLOBAL);
    let mut acc = 0;
    for p in &all {
        acc ^= view_decode(black_box(p));
    }
    black_box(acc);
    let stats = region.change();
    println!(
        "view decode of {} messages: {} allocations, {} bytes allocated",
        all.len(),
        stats.allocations + stats.reallocations,
        stats.bytes_allocated
    );
    assert_eq!(
        stats.allocations + stats.reallocations,
        0,
        "view decode allocated"
    );

    let ours_msgs: Vec<Message> = packets
        .iter()
        .filter_map(|p| Message::from_bytes(p).ok())
        .collect();
    let theirs_msgs: Vec<v4::Message> = packets
        .iter()
        .filter_map(|p| v4::Message::decode(&mut Decoder::new(p)).ok())
        .collect();
    let mut buf = vec![0u8; 4096];
    let mut out: Vec<u8> = Vec::with_capacity(4096);

    let mut view = || {
        for p in &packets {
            black_box(view_decode(black_box(p)));
        }
    };
    let mut decode = || {
        for p in &packets {
            black_box(Message::from_bytes(black_box(p)).ok());
        }
    };
    let mut their_decode = || {
        for p in &packets {
            black_box(v4::Message::decode(&mut Decoder::new(black_box(p))).ok());
        }
    };
    let mut encode = || {
        for m in &ours_msgs {
            let len = m.buffer_len();
            let mut pkt = DhcpPacket::new_unchecked(&mut buf[..len]);
            black_box(m.emit(&mut pkt).ok());
        }
    };
    let mut their_encode = || {
        for m in &theirs_msgs {
            out.clear();
            black_box(m.encode(&mut Encoder::new(&mut out)).ok());
        }
    };
    let t = best_of_rounds(
        rounds,
        budget,
        n,
        &mut [
            &mut view,
            &mut decode,
            &mut their_decode,
            &mut encode,
            &mut their_encode,
        ],
    );
    let [
        ours_view,
        ours_decode,
        theirs_decode,
        ours_encode,
        theirs_encode,
    ] = [t[0], t[1], t[2], t[3], t[4]];

    println!("{:<34} {:>10}", "operation", "ns/packet");
    println!(
        "{:<34} {:>10.1}",
        "decode: dhcpd-wire view (no alloc)", ours_view
    );
    println!("{:<34} {:>10.1}", "decode: dhcpd-wire Message", ours_decode);
    println!("{:<34} {:>10.1}", "decode: dhcproto", theirs_decode);
    println!(
        "{:<34} {:>10.1}",
        "encode: dhcpd-wire Message::emit", ours_encode
    );
    println!("{:<34} {:>10.1}", "encode: dhcproto", theirs_encode);
    println!(
        "ratios (dhcproto / ours): decode Message {:.1}x, decode view {:.1}x, encode {:.1}x",
        theirs_decode / ours_decode,
        theirs_decode / ours_view,
        theirs_encode / ours_encode
    );
}
