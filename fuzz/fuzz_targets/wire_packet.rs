//! The DHCPv4 codec on arbitrary bytes. As a DHCP message: parsing never
//! panics, an accepted message re-emits to the same bytes and parses back
//! to the same value, the allocation-free view iterates the same options,
//! and ISC's reply layout of its options emits a message that parses. As an
//! Ethernet frame: parsing never panics, and an accepted frame rebuilt from
//! its fields parses back to the same addressing and payload.
#![no_main]

use dhcpd_wire::order::{Overload, ReplyParams, build_reply_options};
use dhcpd_wire::{DhcpPacket, FrameSpec, Message, RxChecksums, build_frame, parse_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::from_bytes(data) {
        let out = msg.to_vec().expect("a parsed message emits");
        assert_eq!(out, data, "emit of parse differs");
        let again = Message::from_bytes(&out).expect("emitted message parses");
        assert_eq!(again, msg);

        let view = DhcpPacket::new_checked(data).expect("header present");
        let from_view: Vec<(u8, &[u8])> = view
            .all_options()
            .map(|o| o.expect("parse accepted the options"))
            .collect();
        let from_msg: Vec<(u8, &[u8])> = msg.raw_options().map(|o| (o.code(), o.data())).collect();
        assert_eq!(from_view, from_msg);

        // Answer with the message's own options under its own request list.
        let options = msg.joined_options();
        let prl = msg.option(55);
        let params = ReplyParams {
            prl: prl.as_deref(),
            request_type: msg.message_type(),
            max_message_size: msg
                .option(57)
                .filter(|d| d.len() >= 2)
                .map(|d| u16::from_be_bytes([d[0], d[1]])),
            overload: Overload {
                file: data.len() % 2 == 0,
                sname: data.len() % 3 == 0,
            },
            ..ReplyParams::default()
        };
        if let Ok(reply) = build_reply_options(&params, &options) {
            let mut out = Message::default();
            reply.apply(&mut out);
            let bytes = out.to_vec().expect("reply layout emits");
            Message::from_bytes(&bytes).expect("reply parses");
        }
    }

    for udp in [true, false] {
        if let Ok(f) = parse_frame(data, RxChecksums { udp }) {
            let spec = FrameSpec {
                src_mac: f.src_mac,
                dst_mac: f.dst_mac,
                vlan: f.vlan,
                src_ip: f.src_ip,
                dst_ip: f.dst_ip,
                src_port: f.src_port,
                dst_port: f.dst_port,
            };
            let built = build_frame(&spec, f.payload).expect("a received payload fits");
            let back = parse_frame(&built, RxChecksums::default()).expect("built frame parses");
            assert_eq!(back, f);
        }
    }
});
