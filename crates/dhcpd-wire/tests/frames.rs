//! The raw-socket frame codec on the corpus: every IPv4/UDP frame parses
//! (with UDP checksums verified where the capture had them filled in), and every frame ISC sent through its packet
//! socket is rebuilt byte for byte from its addressing and DHCP payload.

mod common;

use dhcpd_wire::frame::ISC_TTL;
use dhcpd_wire::{FrameError, FrameSpec, RxChecksums, build_frame, parse_frame};

#[test]
fn corpus_frames_parse_and_isc_frames_rebuild_exactly() {
    let mut parsed = 0;
    let mut rebuilt = 0;
    for path in common::pcap_files() {
        let payloads = common::dhcp_payloads(&path);
        let mut next_payload = payloads.iter();
        for frame in common::frames(&path) {
            let is_udp = frame.len() >= 34 && frame[12..14] == [8, 0] && frame[23] == 17;
            // The failover captures were taken with TX checksum offload on,
            // so locally sent frames carry partial UDP checksums there (the
            // clients/ and edge/ READMEs say offload was off).
            let checks = RxChecksums {
                udp: !path.components().any(|c| c.as_os_str() == "failover"),
            };
            let result = parse_frame(&frame, checks);
            if !is_udp {
                assert!(
                    matches!(
                        result,
                        Err(FrameError::NotIpv4 { .. } | FrameError::NotUdp { .. })
                    ),
                    "{}: {result:?}",
                    path.display()
                );
                continue;
            }
            let f = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            parsed += 1;
            let dhcp = [67, 68].contains(&f.src_port) || [67, 68].contains(&f.dst_port);
            if dhcp {
                let expected = next_payload.next().expect("same DHCP datagrams");
                assert_eq!(f.payload, &expected.payload[..], "{}", path.display());
            }
            // ISC's packet-socket replies: TTL 128, ID 0, from port 67.
            let ip = &frame[14..];
            if f.src_port == 67 && ip[8] == ISC_TTL && ip[4..6] == [0, 0] {
                let spec = FrameSpec {
                    src_mac: f.src_mac,
                    dst_mac: f.dst_mac,
                    vlan: f.vlan,
                    src_ip: f.src_ip,
                    dst_ip: f.dst_ip,
                    src_port: f.src_port,
                    dst_port: f.dst_port,
                };
                let ours = build_frame(&spec, f.payload).expect("builds");
                assert_eq!(ours, frame, "{}: rebuilt frame differs", path.display());
                rebuilt += 1;
            }
        }
        assert!(next_payload.next().is_none(), "{}", path.display());
    }
    assert!(parsed >= 3000, "only {parsed} UDP frames");
    // 30 packet-socket replies in clients/ and edge/ when written.
    assert!(rebuilt >= 30, "only {rebuilt} ISC frames rebuilt");
}
