//! Every BOOTP/DHCP message in `shared/corpus/pcap` must parse and re-emit
//! byte for byte; selected captures are checked field by field.

mod common;

use std::net::Ipv4Addr;

use dhcpd_wire::{BootField, DhcpOption, Message, MessageType, OpCode, Vendor, layout_options};

fn messages(name: &str) -> Vec<Message> {
    let path = common::pcap_dir().join(name);
    common::dhcp_payloads(&path)
        .iter()
        .map(|d| Message::from_bytes(&d.payload).expect("corpus message parses"))
        .collect()
}

#[test]
fn every_corpus_message_round_trips() {
    let mut count = 0;
    for path in common::pcap_files() {
        for d in common::dhcp_payloads(&path) {
            let msg = Message::from_bytes(&d.payload)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(msg.buffer_len(), d.payload.len(), "{}", path.display());
            let out = msg.to_vec().expect("emit");
            assert_eq!(out, d.payload, "{}: re-encoding differs", path.display());
            let expected_op = if d.dst_port == 67 && d.src_port == 68 {
                Some(OpCode::Request)
            } else {
                None
            };
            if let Some(op) = expected_op {
                assert_eq!(msg.op, op, "{}", path.display());
            }
            count += 1;
        }
    }
    // 3359 DHCP datagrams in the corpus when this test was written.
    assert!(count >= 3000, "only {count} DHCP messages found");
}

#[test]
fn dhclient_dora_sequence() {
    let msgs = messages("clients/dhclient-dora.pcap");
    let types: Vec<_> = msgs.iter().map(Message::message_type).collect();
    assert_eq!(
        types,
        [
            Some(MessageType::Discover),
            Some(MessageType::Offer),
            Some(MessageType::Request),
            Some(MessageType::Ack)
        ]
    );
    let offer = &msgs[1];
    assert_eq!(offer.op, OpCode::Reply);
    assert_eq!(offer.yiaddr, Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(offer.client_hardware_address(), &[2, 0, 0, 0, 1, 1]);
    assert_eq!(offer.option(54), Some(vec![192, 0, 2, 1]));
    assert_eq!(offer.option(51), Some(40u32.to_be_bytes().to_vec()));
    // The DISCOVER carries 53, 12, 55 and no client identifier.
    let codes: Vec<u8> = msgs[0].joined_options().iter().map(|o| o.code).collect();
    assert_eq!(codes, [53, 12, 55]);
}

#[test]
fn overloaded_request_reads_file_and_sname() {
    let msgs = messages("edge/overload.pcap");
    let req = &msgs[0];
    assert_eq!(req.option(52), Some(vec![3]));
    assert!(matches!(req.file, BootField::Options(_)));
    assert!(matches!(req.sname, BootField::Options(_)));
    assert_eq!(req.option(12), Some(b"overload-file-name".to_vec()));
    assert!(req.option(61).is_some());
    assert_eq!(req.option(55).map(|v| v.len()), Some(10));
    // The reply is not overloaded: file/sname stay plain bytes.
    assert!(matches!(msgs[1].file, BootField::Bytes(_)));
}

#[test]
fn split_options_are_joined() {
    let req = &messages("edge/split.pcap")[0];
    assert_eq!(req.raw_options().filter(|o| o.code() == 12).count(), 2);
    assert_eq!(req.option(12), Some(b"split-host-name".to_vec()));
    assert_eq!(req.option(55), Some(vec![1, 3, 6, 15, 119]));
}

#[test]
fn long_option_reply_is_laid_out_like_isc() {
    let reply = &messages("edge/longopt.pcap")[1];
    assert_eq!(reply.option(52), Some(vec![1]));
    let search = reply.option(119).expect("domain-search present");
    assert_eq!(search.len(), 262);
    // Rebuild the reply from its logical options with our layout and the
    // same options-area capacity: it must match ISC's bytes exactly.
    let logical: Vec<DhcpOption> = reply
        .joined_options()
        .into_iter()
        .filter(|o| o.code != 52)
        .collect();
    let wire = reply.to_vec().expect("emit");
    let capacity = wire.len() - 240;
    let (main, file, sname) = layout_options(&logical, capacity).expect("fits");
    assert!(sname.is_none());
    let mut rebuilt = reply.clone();
    rebuilt.vendor = Vendor::Options(main);
    rebuilt.file = BootField::Options(file.expect("file used"));
    assert_eq!(rebuilt.to_vec().expect("emit"), wire);
}

#[test]
fn short_reply_layout_matches_isc() {
    // The OFFER of overload.pcap fits the options area; ISC ends it and pads
    // to the 300-byte BOOTP minimum.
    let reply = &messages("edge/overload.pcap")[1];
    let wire = reply.to_vec().expect("emit");
    let logical = reply.joined_options();
    let (mut main, file, sname) = layout_options(&logical, wire.len() - 240).expect("fits");
    assert!(file.is_none() && sname.is_none());
    main.trailer = dhcpd_wire::message::zero_trailer(wire.len() - 240 - main.encoded_len());
    let mut rebuilt = reply.clone();
    rebuilt.vendor = Vendor::Options(main);
    assert_eq!(rebuilt.to_vec().expect("emit"), wire);
}

#[test]
fn bootp_without_cookie_keeps_raw_vendor_area() {
    let msgs = messages("edge/bootp-novend.pcap");
    for m in &msgs {
        assert_eq!(m.vendor, Vendor::Raw(vec![0; 64]));
        assert_eq!(m.message_type(), None);
    }
    assert_eq!(msgs[1].file.as_name(), Some(&b"pxelinux.0"[..]));
    assert_eq!(msgs[1].yiaddr, Ipv4Addr::new(192, 0, 2, 21));
}

#[test]
fn relay_agent_information_is_last_and_echoed() {
    let msgs = messages("edge/relay82.pcap");
    let req = &msgs[0];
    assert_eq!(req.giaddr, Ipv4Addr::new(198, 51, 100, 1));
    assert_eq!(req.joined_options().last().map(|o| o.code), Some(82));
    let agent = req.option(82).expect("option 82");
    assert_eq!(&agent[..2], &[1, 10]);
    assert_eq!(&agent[2..12], b"lab-port-1");
    assert_eq!(msgs[1].option(82), Some(agent));
}

#[test]
fn domain_search_compression_matches_isc() {
    use dhcpd_wire::options::{Registry, Value, value};
    // The names configured in edge/isc-edge.conf for host long-option.
    let names: Vec<String> = ["first", "second", "third", "fourth", "fifth"]
        .iter()
        .zip(["one", "two", "three", "four", "five"])
        .map(|(n, d)| format!("{n}-rather-long-search-domain.department-{d}.lab.example"))
        .collect();
    let reg = Registry::new();
    let def = reg.lookup_name("dhcp", "domain-search").expect("built in");
    let encoded =
        value::encode(def.format(), &[Value::DomainList(names.clone())]).expect("encodes");
    let reply = &messages("edge/longopt.pcap")[1];
    assert_eq!(Some(encoded), reply.option(119));
    let decoded =
        value::decode(def.format(), &reply.option(119).unwrap_or_default()).expect("decodes");
    assert_eq!(decoded, [Value::DomainList(names)]);
}

#[test]
fn view_options_agree_with_the_owned_model() {
    for path in common::pcap_files() {
        for d in common::dhcp_payloads(&path) {
            let view = dhcpd_wire::DhcpPacket::new_checked(&d.payload[..]).expect("header");
            let msg = Message::from_bytes(&d.payload).expect("parses");
            let from_view: Vec<(u8, Vec<u8>)> = view
                .all_options()
                .map(|o| o.map(|(c, v)| (c, v.to_vec())).expect("well formed"))
                .collect();
            let from_msg: Vec<(u8, Vec<u8>)> = msg
                .raw_options()
                .map(|o| (o.code(), o.data().to_vec()))
                .collect();
            assert_eq!(from_view, from_msg, "{}", path.display());
            if let Some(first) = from_msg.first() {
                assert_eq!(
                    view.find_option(first.0).map(|r| r.expect("ok").to_vec()),
                    Some(first.1.clone())
                );
            }
        }
    }
}

#[test]
fn overload_is_read_like_isc() {
    // An empty option 52, then 52 = 5: the joined value starts with 5, whose
    // bit 1 says `file` carries options (ISC tests bits, not values).
    let mut bytes = vec![0u8; 236];
    bytes[108..114].copy_from_slice(&[12, 3, b'a', b'b', b'c', 255]);
    bytes.extend_from_slice(&[99, 130, 83, 99, 52, 0, 52, 1, 5, 255]);
    let msg = Message::from_bytes(&bytes).expect("parses");
    assert!(matches!(msg.file, BootField::Options(_)));
    assert!(matches!(msg.sname, BootField::Bytes(_)));
    assert_eq!(msg.option(12), Some(b"abc".to_vec()));
    assert_eq!(msg.to_vec().expect("emit"), bytes);
    let view = dhcpd_wire::DhcpPacket::new_checked(&bytes[..]).expect("header");
    assert_eq!(view.overload(), Some(5));
    assert_eq!(
        view.find_option(12).map(|r| r.expect("ok")),
        Some(&b"abc"[..])
    );
}
