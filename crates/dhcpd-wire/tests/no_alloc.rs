//! The view's decode path allocates nothing: reading the header fields and
//! iterating every option of every corpus message, under a counting global
//! allocator. Runs without the libtest harness (`harness = false`), so no
//! other thread (test runner, output capture) allocates meanwhile.

mod common;

use std::alloc::System;

use dhcpd_wire::DhcpPacket;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let mut all: Vec<Vec<u8>> = Vec::new();
    for path in common::pcap_files() {
        all.extend(common::dhcp_payloads(&path).into_iter().map(|d| d.payload));
    }
    assert!(all.len() >= 3000);
    let region = Region::new(GLOBAL);
    let mut options = 0usize;
    let mut acc = 0u64;
    for p in &all {
        let v = DhcpPacket::new_checked(&p[..]).expect("header");
        acc ^= u64::from(v.xid()) ^ u64::from(u32::from(v.giaddr()));
        for o in v.all_options() {
            let (code, data) = o.expect("corpus options are well formed");
            acc ^= u64::from(code) ^ data.len() as u64;
            options += 1;
        }
        if let Some(Ok(t)) = v.find_option(53) {
            acc ^= u64::from(t.first().copied().unwrap_or(0));
        }
    }
    let stats = region.change();
    std::hint::black_box(acc);
    assert!(options > 10_000, "{options} options");
    assert_eq!(stats.allocations, 0);
    assert_eq!(stats.reallocations, 0);
    // Sanity: the counter does see allocations.
    let region = Region::new(GLOBAL);
    std::hint::black_box(vec![0u8; 64]);
    assert!(region.change().allocations >= 1);
    println!(
        "view decode of {} messages ({options} options): 0 allocations",
        all.len()
    );
}
