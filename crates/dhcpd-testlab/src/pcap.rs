//! Reading classic pcap files (either byte order) for tests that replay captured traffic.

use std::path::{Path, PathBuf};

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Capture time, seconds since the epoch.
    pub secs: i64,
    /// Microseconds (or nanoseconds for nanosecond pcaps) within the second.
    pub frac: u32,
    /// The frame (link type as in the file's header).
    pub data: Vec<u8>,
}

/// The shared corpus directory: `DHCPD_RS_CORPUS`, else `shared/corpus` found by walking up
/// from `start`. Panics, naming where it looked, when absent (a test must fail, not skip).
pub fn corpus_dir(start: &Path) -> PathBuf {
    if let Some(d) = std::env::var_os("DHCPD_RS_CORPUS") {
        let d = PathBuf::from(d);
        assert!(
            d.is_dir(),
            "DHCPD_RS_CORPUS={} is not a directory",
            d.display()
        );
        return d;
    }
    for dir in start.ancestors() {
        let c = dir.join("shared/corpus");
        if c.is_dir() {
            return c;
        }
    }
    panic!(
        "the shared corpus is missing: no shared/corpus above {} (set DHCPD_RS_CORPUS)",
        start.display()
    );
}

/// Every frame of a classic pcap file, in capture order. Panics on a malformed file.
pub fn read(path: &Path) -> Vec<Captured> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(data.len() >= 24, "{}: short pcap", path.display());
    let le = match [data[0], data[1], data[2], data[3]] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("{}: not a classic pcap", path.display()),
    };
    let u32_at = |i: usize| {
        let a = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32_at(off + 8) as usize;
        let end = (off + 16 + incl).min(data.len());
        out.push(Captured {
            secs: i64::from(u32_at(off)),
            frac: u32_at(off + 4),
            data: data[off + 16..end].to_vec(),
        });
        off = end;
    }
    out
}
