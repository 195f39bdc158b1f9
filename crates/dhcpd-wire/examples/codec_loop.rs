//! Runs one codec operation over every DHCP message of the corpus
//! `ITERS` times (default 1000) and prints the mean time per message; made
//! for instruction counting, which is not disturbed by other load:
//!
//! ```text
//! cargo build --release -p dhcpd-wire --example codec_loop
//! ITERS=21 valgrind --tool=cachegrind --cache-sim=no target/release/examples/codec_loop decode
//! ```
//!
//! Operations: `view` (header fields and every option through the
//! allocation-free view), `decode` (`Message::from_bytes`), `encode`
//! (`Message::emit` into a reused buffer), `dhcproto-decode`,
//! `dhcproto-encode` (into a reused vector). Per-message cost:
//! (Ir(ITERS=21) - Ir(ITERS=1)) / 20 / messages.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use dhcpd_wire::{DhcpPacket, Message};
use dhcproto::{Decodable, Decoder, Encodable, Encoder, v4};

fn main() {
    let op = std::env::args().nth(1).unwrap_or_else(|| "decode".into());
    let iters: u32 = std::env::var("ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .max(1);
    let mut all: Vec<Vec<u8>> = Vec::new();
    for path in common::pcap_files() {
        all.extend(common::dhcp_payloads(&path).into_iter().map(|d| d.payload));
    }
    let ours: Vec<Message> = all
        .iter()
        .filter_map(|p| Message::from_bytes(p).ok())
        .collect();
    let theirs: Vec<v4::Message> = all
        .iter()
        .filter_map(|p| v4::Message::decode(&mut Decoder::new(p)).ok())
        .collect();
    let mut buf = vec![0u8; 4096];
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut acc = 0u64;
    let start = std::time::Instant::now();
    for _ in 0..iters {
        match op.as_str() {
            "view" => {
                for p in &all {
                    if let Ok(v) = DhcpPacket::new_checked(black_box(&p[..])) {
                        acc ^= u64::from(v.xid()) ^ u64::from(u32::from(v.giaddr()));
                        for (code, data) in v.all_options().map_while(Result::ok) {
                            acc ^= u64::from(code) ^ data.len() as u64;
                        }
                    }
                }
            }
            "decode" => {
                for p in &all {
                    acc ^= Message::from_bytes(black_box(p)).map_or(0, |m| u64::from(m.xid));
                }
            }
            "dhcproto-decode" => {
                for p in &all {
                    acc ^= v4::Message::decode(&mut Decoder::new(black_box(p)))
                        .map_or(0, |m| u64::from(m.xid()));
                }
            }
            "encode" => {
                for m in &ours {
                    let len = m.buffer_len();
                    let mut pkt = DhcpPacket::new_unchecked(&mut buf[..len]);
                    acc ^= u64::from(m.emit(&mut pkt).is_ok());
                }
                acc ^= u64::from(black_box(&buf)[0]);
            }
            "dhcproto-encode" => {
                for m in &theirs {
                    out.clear();
                    acc ^= u64::from(m.encode(&mut Encoder::new(&mut out)).is_ok());
                }
                acc ^= u64::from(black_box(&out).first().copied().unwrap_or(0));
            }
            other => {
                eprintln!("unknown operation {other}");
                std::process::exit(2);
            }
        }
    }
    let per = start.elapsed().as_nanos() / (u128::from(iters) * all.len() as u128);
    println!(
        "{op}: {} messages x {iters}: {per} ns/message ({acc})",
        all.len()
    );
}
