//! Lease journal under a burst: commits N leases (records from `dhcpd_leases::write_lease`)
//! through the group-commit journal, B per event-loop turn, and prints commits per second and
//! fsyncs per lease. B = 1 is ISC's behaviour (one fsync per committed lease).
//!
//! Usage: `journal-bench [N=10000] [DIR=/var/tmp] [B...=1 16 64 256]`

use std::net::Ipv4Addr;
use std::time::Instant;

use dhcpd_leases::{BindingState, HardwareAddr, Lease, write_header, write_lease};
use dhcpd_server::journal::Journal;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = args.next().unwrap_or_else(|| "/var/tmp".into());
    let mut batches: Vec<u32> = args.filter_map(|s| s.parse().ok()).collect();
    if batches.is_empty() {
        batches = vec![1, 16, 64, 256];
    }
    let now = 1_800_000_000i64;
    let records: Vec<String> = (0..n)
        .map(|i| {
            let mut l = Lease::new(Ipv4Addr::from(0x0a00_0000 + i));
            l.starts = now;
            l.ends = now + 3600;
            l.cltt = now;
            l.tstp = l.ends;
            l.binding_state = BindingState::Active;
            l.next_binding_state = BindingState::Free;
            let [a, b, c, d] = i.to_be_bytes();
            l.hardware = HardwareAddr::new(1, &[2, 0, a, b, c, d]);
            write_lease(&l, now)
        })
        .collect();
    for b in batches {
        let path =
            std::path::Path::new(&dir).join(format!("journal-bench-{}.leases", std::process::id()));
        if let Err(e) = std::fs::write(&path, write_header()) {
            eprintln!("{}: {e}", path.display());
            std::process::exit(1);
        }
        let mut j: Journal<u32> = match Journal::open(&path) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                std::process::exit(1);
            }
        };
        let t = Instant::now();
        for (i, r) in records.iter().enumerate() {
            if j.stage(r.as_bytes(), i as u32).is_err() {
                eprintln!("journal stopped");
                std::process::exit(1);
            }
            if (i as u32 + 1) % b == 0 && j.flush().is_err() {
                eprintln!("flush failed");
                std::process::exit(1);
            }
        }
        if j.flush().is_err() {
            eprintln!("flush failed");
            std::process::exit(1);
        }
        let secs = t.elapsed().as_secs_f64();
        let st = j.stats();
        println!(
            "batch {b:>4}: {n} commits in {secs:.3} s = {:.0} commits/s, {} fsyncs = {:.4} fsyncs/lease, {} bytes",
            f64::from(n) / secs,
            st.syncs,
            st.syncs as f64 / f64::from(n),
            st.bytes
        );
        let _ = std::fs::remove_file(&path);
    }
}
