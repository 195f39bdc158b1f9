//! ISC's reply option choice, order and layout, checked on every reply ISC
//! sent in the corpus: given the request and the options ISC sent, the
//! `order` module must rebuild ISC's reply byte for byte.

mod common;

use std::net::Ipv4Addr;

use dhcpd_wire::order::{
    Overload, ReplyParams, bootp_vendor_echo, build_reply_options, effective_max_message_size,
};
use dhcpd_wire::{BootField, DhcpOption, Message, MessageType, RxChecksums, Vendor, parse_frame};

const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

struct Seen {
    msg: Message,
    bytes: Vec<u8>,
    from_server: bool,
}

fn exchanges(dir: &str) -> Vec<(String, Seen, Seen)> {
    let mut out = Vec::new();
    for path in common::pcap_files() {
        if !path.parent().is_some_and(|p| p.ends_with(dir)) {
            continue;
        }
        let mut seen: Vec<Seen> = Vec::new();
        for frame in common::frames(&path) {
            let Ok(f) = parse_frame(&frame, RxChecksums::default()) else {
                continue;
            };
            if ![67, 68].contains(&f.dst_port) {
                continue;
            }
            let msg = Message::from_bytes(f.payload).expect("corpus message parses");
            seen.push(Seen {
                msg,
                bytes: f.payload.to_vec(),
                from_server: f.src_ip == SERVER && f.src_port == 67,
            });
        }
        for i in 0..seen.len() {
            if !(seen[i].from_server && seen[i].msg.op == dhcpd_wire::OpCode::Reply) {
                continue;
            }
            let xid = seen[i].msg.xid;
            let Some(req) = seen[..i]
                .iter()
                .rev()
                .find(|s| s.msg.op == dhcpd_wire::OpCode::Request && s.msg.xid == xid)
            else {
                panic!("{}: reply without request", path.display());
            };
            let name = path.display().to_string();
            out.push((
                name,
                Seen {
                    msg: req.msg.clone(),
                    bytes: req.bytes.clone(),
                    from_server: false,
                },
                Seen {
                    msg: seen[i].msg.clone(),
                    bytes: seen[i].bytes.clone(),
                    from_server: true,
                },
            ));
        }
    }
    out
}

fn free<const N: usize>(field: &BootField<N>) -> bool {
    match field {
        BootField::Bytes(b) => b.iter().all(|&c| c == 0),
        BootField::Options(_) => true,
    }
}

/// Rebuilds ISC's reply from the request, the options ISC sent and
/// `extra` options the server had but (per ISC's rules) should not send.
fn rebuild(req: &Message, req_len: usize, reply: &Message, extra: &[DhcpOption]) -> Vec<u8> {
    let prl = req.option(55);
    let client_mms = req.option(57);
    let reply_type = reply.message_type();
    let req_type = req.message_type();
    let mut params = ReplyParams {
        request_type: req_type,
        client_sent_fqdn: req.option(81).is_some(),
        ..ReplyParams::default()
    };
    match (req_type, reply_type) {
        (None, _) => {
            params.bootp_request_len = Some(req_len);
            params.max_message_size =
                effective_max_message_size(client_mms.as_deref(), None, false);
        }
        (_, Some(MessageType::Nak)) => {
            params.max_message_size =
                effective_max_message_size(client_mms.as_deref(), None, false);
        }
        (Some(MessageType::Inform), _) => {
            params.prl = prl.as_deref();
            params.max_message_size =
                effective_max_message_size(client_mms.as_deref(), None, false);
        }
        _ => {
            params.prl = prl.as_deref();
            params.max_message_size = effective_max_message_size(client_mms.as_deref(), None, true);
            params.overload = Overload {
                file: free(&reply.file),
                sname: free(&reply.sname),
            };
        }
    }
    let mut options: Vec<DhcpOption> = reply
        .joined_options()
        .into_iter()
        .filter(|o| o.code != 52)
        .collect();
    options.extend_from_slice(extra);
    let mut ours = reply.clone();
    ours.file = BootField::Bytes([0; 128]);
    ours.sname = BootField::Bytes([0; 64]);
    if let BootField::Bytes(b) = reply.file {
        ours.file = BootField::Bytes(b);
    }
    if let BootField::Bytes(b) = reply.sname {
        ours.sname = BootField::Bytes(b);
    }
    build_reply_options(&params, &options)
        .expect("options fit")
        .apply(&mut ours);
    ours.to_vec().expect("emit")
}

#[test]
fn every_isc_reply_is_rebuilt_byte_for_byte() {
    let mut count = 0;
    for dir in ["clients", "edge"] {
        for (name, req, reply) in exchanges(dir) {
            if req.msg.option_list().is_none() {
                // BOOTP without the magic cookie: ISC echoes the vendor area.
                let vendor = bootp_vendor_echo(&req.bytes, false, false).expect("echo");
                let mut ours = reply.msg.clone();
                ours.vendor = Vendor::Raw(vendor);
                assert_eq!(ours.to_vec().expect("emit"), reply.bytes, "{name}");
            } else {
                let ours = rebuild(&req.msg, req.bytes.len(), &reply.msg, &[]);
                assert_eq!(ours, reply.bytes, "{name}: {:?}", reply.msg.message_type());
            }
            count += 1;
        }
    }
    // 37 ISC replies in clients/ and edge/ when written.
    assert!(count >= 37, "only {count} replies");
}

#[test]
fn options_not_requested_are_left_out() {
    let extra = [
        DhcpOption {
            code: 69,
            data: vec![192, 0, 2, 123],
        },
        DhcpOption {
            code: 66,
            data: b"tftp.lab.example".to_vec(),
        },
    ];
    let mut count = 0;
    for dir in ["clients", "edge"] {
        for (name, req, reply) in exchanges(dir) {
            let Some(prl) = req.msg.option(55) else {
                continue;
            };
            // A DHCPNAK ignores the request list; its option state only
            // ever holds 53, 54, 56 (and 61).
            let nak = reply.msg.message_type() == Some(MessageType::Nak);
            if nak || prl.contains(&69) || prl.contains(&66) {
                continue;
            }
            let ours = rebuild(&req.msg, req.bytes.len(), &reply.msg, &extra);
            assert_eq!(ours, reply.bytes, "{name}");
            count += 1;
        }
    }
    assert!(count >= 30, "only {count} replies with a request list");
}

#[test]
fn without_a_request_list_configured_options_are_sent() {
    // bootp-fixed: no parameter request list; ISC sends every configured
    // option. Adding one more (42) puts it in its hash bucket (42 -> 10),
    // i.e. before 15 (bucket 15).
    let (_, req, reply) = exchanges("edge")
        .into_iter()
        .find(|(n, ..)| n.ends_with("bootp-fixed.pcap"))
        .expect("bootp-fixed reply");
    let ours = rebuild(
        &req.msg,
        req.bytes.len(),
        &reply.msg,
        &[DhcpOption {
            code: 42,
            data: vec![192, 0, 2, 123],
        }],
    );
    let msg = Message::from_bytes(&ours).expect("parses");
    let codes: Vec<u8> = msg.joined_options().iter().map(|o| o.code).collect();
    assert_eq!(codes, [1, 3, 6, 42, 15]);
    assert_eq!(ours.len(), 300);
}
