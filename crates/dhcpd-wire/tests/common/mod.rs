//! Test helpers: locate the shared corpus and read classic pcap files.

#![allow(dead_code)]

use std::path::PathBuf;

/// `shared/corpus/pcap`, found by walking up from the crate directory
/// (`/work/main/../shared` or a worktree's ancestor). Panics if absent so
/// that a missing corpus fails the test instead of skipping it.
pub fn pcap_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in here.ancestors() {
        let candidate = dir.join("shared/corpus/pcap");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!("shared/corpus/pcap not found above {}", here.display());
}

/// Every `*.pcap` file under the corpus, sorted.
pub fn pcap_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![pcap_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable corpus dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "pcap") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A UDP datagram on port 67/68 from an Ethernet frame.
pub struct Dhcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// Reads a classic pcap file (Ethernet link type) and returns the BOOTP/DHCP UDP payloads in
/// capture order.
pub fn dhcp_payloads(path: &std::path::Path) -> Vec<Dhcp> {
    let mut out = Vec::new();
    for frame in frames(path) {
        if frame.len() < 14 + 20 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &frame[14..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        if ip[9] != 17 || ip.len() < ihl + 8 {
            continue;
        }
        let udp = &ip[ihl..];
        let src_port = u16::from_be_bytes([udp[0], udp[1]]);
        let dst_port = u16::from_be_bytes([udp[2], udp[3]]);
        let ulen = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        if ![67, 68].contains(&src_port) && ![67, 68].contains(&dst_port) {
            continue;
        }
        assert!(
            ulen >= 8 && ulen <= udp.len(),
            "{}: bad UDP length",
            path.display()
        );
        out.push(Dhcp {
            src_port,
            dst_port,
            payload: udp[8..ulen].to_vec(),
        });
    }
    out
}

/// Every captured frame of a classic pcap file, in capture order (the shared reader of the
/// test-support crate).
pub fn frames(path: &std::path::Path) -> Vec<Vec<u8>> {
    dhcpd_testlab::pcap::read(path)
        .into_iter()
        .map(|c| c.data)
        .collect()
}
