//! The journal carries lease records written by `dhcpd_leases::write_lease`; after N commits
//! the lease file, read back by `dhcpd-leases`, holds every lease exactly as committed.

use std::net::Ipv4Addr;

use dhcpd_leases::{
    BindingState, BindingValue, HardwareAddr, Lease, LeaseDb, LoadOptions, write_header,
    write_lease,
};
use dhcpd_server::journal::Journal;

const NOW: i64 = 1_800_000_000;

fn lease(i: u32) -> Lease {
    let mut l = Lease::new(Ipv4Addr::from(0xcb00_7100u32 + (i % 200) + (i / 200) * 256));
    l.starts = NOW - 60 + i64::from(i);
    l.ends = NOW + 3600 + i64::from(i);
    l.cltt = l.starts;
    l.tstp = l.ends;
    l.binding_state = BindingState::Active;
    l.next_binding_state = BindingState::Free;
    l.rewind_binding_state = BindingState::Free;
    l.hardware = HardwareAddr::new(1, &[2, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
    l.uid = vec![1, 2, 0, 0, (i >> 8) as u8, i as u8];
    l.client_hostname = Some(format!("host-{i}").into_bytes());
    l.bind(
        "ddns-fwd-name",
        BindingValue::Data(format!("h{i}.example").into_bytes()),
    );
    l
}

#[test]
fn committed_leases_read_back_identical() {
    let dir = std::env::temp_dir().join(format!("dhcpd-journal-leases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("dhcpd.leases");
    std::fs::write(&path, write_header()).expect("header");
    let mut j: Journal<u32> = Journal::open(&path).expect("open");
    let n = 1000u32;
    let mut committed = Vec::new();
    for i in 0..n {
        let l = lease(i);
        j.stage(write_lease(&l, NOW).as_bytes(), i).expect("stage");
        committed.push(l);
        // A turn of the event loop every 64 commits.
        if i % 64 == 63 {
            j.flush().expect("flush");
        }
    }
    let released = j.flush().expect("flush");
    assert!(released.len() <= 64);
    assert_eq!(j.stats().records, u64::from(n));
    assert_eq!(j.stats().syncs, u64::from(n.div_ceil(64)));

    let src = std::fs::read(&path).expect("read");
    let db = LeaseDb::load(
        "dhcpd.leases",
        &src,
        &LoadOptions {
            now: NOW,
            ..LoadOptions::default()
        },
    );
    assert!(db.diagnostics.is_empty(), "{:?}", db.diagnostics);
    assert_eq!(db.state.leases.len(), committed.len());
    for l in &committed {
        assert_eq!(db.state.leases.get(&l.addr), Some(l), "lease {}", l.addr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
