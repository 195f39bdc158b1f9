//! Property tests: parsing never panics, emit∘parse is the identity on
//! accepted input, and laid-out options read back as the same logical list.

use dhcpd_wire::{BootField, DhcpOption, Message, Vendor, layout_options};
use proptest::prelude::*;

/// Bytes that look like a DHCP message often enough to reach option parsing:
/// a random header, the magic cookie (usually), then random option bytes,
/// with option 52 inserted in front some of the time.
fn dhcp_like() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 236),
        any::<bool>(),
        prop_oneof![Just(None), (0u8..5).prop_map(Some)],
        proptest::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(mut header, cookie, overload, options)| {
            if cookie {
                header.extend_from_slice(&[99, 130, 83, 99]);
            }
            if let Some(v) = overload {
                header.extend_from_slice(&[52, 1, v]);
            }
            header.extend_from_slice(&options);
            header
        })
}

fn logical_options() -> impl Strategy<Value = Vec<DhcpOption>> {
    proptest::collection::btree_map(
        (1u8..=254).prop_filter("not overload", |c| *c != 52),
        proptest::collection::vec(any::<u8>(), 0..300),
        0..8,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(code, data)| DhcpOption { code, data })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        let _ = Message::from_bytes(&bytes);
    }

    #[test]
    fn emit_parse_is_identity(bytes in dhcp_like()) {
        if let Ok(msg) = Message::from_bytes(&bytes) {
            prop_assert_eq!(msg.buffer_len(), bytes.len());
            prop_assert_eq!(msg.to_vec().expect("emit of parsed message"), bytes);
        }
    }

    #[test]
    fn view_iterator_agrees_with_parse(bytes in dhcp_like()) {
        if let Ok(view) = dhcpd_wire::DhcpPacket::new_checked(&bytes[..]) {
            let from_view: Result<Vec<(u8, Vec<u8>)>, _> =
                view.all_options().map(|o| o.map(|(c, v)| (c, v.to_vec()))).collect();
            if let Ok(msg) = Message::from_bytes(&bytes) {
                let from_msg: Vec<(u8, Vec<u8>)> =
                    msg.raw_options().map(|o| (o.code(), o.data().to_vec())).collect();
                prop_assert_eq!(from_view.expect("parse accepted it"), from_msg);
            }
        }
    }

    #[test]
    fn layout_then_parse_gives_back_the_options(opts in logical_options(), capacity in 64usize..1300) {
        match layout_options(&opts, capacity) {
            Ok((main, file, sname)) => {
                let mut msg = Message { vendor: Vendor::Options(main), ..Message::default() };
                if let Some(f) = file {
                    msg.file = BootField::Options(f);
                }
                if let Some(s) = sname {
                    msg.sname = BootField::Options(s);
                }
                let bytes = msg.to_vec().expect("layout fits its areas");
                prop_assert!(bytes.len() <= 240 + capacity);
                let back = Message::from_bytes(&bytes).expect("parses");
                let joined: Vec<DhcpOption> =
                    back.joined_options().into_iter().filter(|o| o.code != 52).collect();
                prop_assert_eq!(joined, opts);
            }
            Err(_) => {
                // Only when the options nearly exceed all three areas (each
                // area boundary may waste up to 2 bytes and add a 2-byte
                // header for the split option; 3 bytes go to option 52 and
                // 2 to the end options of file and sname).
                let total: usize = opts.iter().map(|o| o.split().iter().map(|i| 2 + i.data().len()).sum::<usize>()).sum();
                prop_assert!(total + 16 > capacity + 128 + 64, "total {} capacity {}", total, capacity);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Decoding option data through every built-in format never panics, and
    /// re-encoding what decoded gives the same bytes for formats whose
    /// decoding is lossless (no flags, no domain names).
    #[test]
    fn value_codec_on_all_builtin_formats(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        use dhcpd_wire::options::{BUILTIN_SPACES, Format, value};
        for space in BUILTIN_SPACES {
            for o in space.options {
                let format = Format::parse(o.format).expect("built-in formats parse");
                if let Ok(values) = value::decode(&format, &data) {
                    let lossy = o.format.contains(['f', 'F', 'd', 'D']);
                    let encoded = value::encode(&format, &values);
                    if !lossy {
                        prop_assert_eq!(encoded.as_deref(), Ok(&data[..]), "{}.{}", space.name, o.name);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// ISC's reply layout never panics, always emits a message that parses,
    /// sends only options the server had (with their exact values), keeps
    /// within the size ISC allows, and pads to the BOOTP minimum.
    #[test]
    fn reply_layout_is_sound(
        opts in logical_options(),
        prl in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        mms in proptest::option::of(any::<u16>()),
        file in any::<bool>(),
        sname in any::<bool>(),
    ) {
        use dhcpd_wire::order::{Overload, ReplyParams, build_reply_options, max_option_len};
        let params = ReplyParams {
            prl: prl.as_deref(),
            max_message_size: mms,
            overload: Overload { file, sname },
            ..ReplyParams::default()
        };
        let Ok(reply) = build_reply_options(&params, &opts) else {
            return Ok(());
        };
        let mut msg = Message::default();
        reply.apply(&mut msg);
        let bytes = msg.to_vec().expect("reply layout fits its areas");
        let agent: usize = opts.iter().filter(|o| o.code == 82).map(|o| o.split().iter().map(|i| 2 + i.data().len()).sum::<usize>()).sum();
        prop_assert!(bytes.len() >= 300);
        prop_assert!(bytes.len() <= (236 + max_option_len(mms, None) + agent).clamp(300, 236 + 1236));
        let back = Message::from_bytes(&bytes).expect("parses");
        for o in back.joined_options() {
            if o.code == 52 {
                continue;
            }
            let original = opts.iter().find(|x| x.code == o.code);
            prop_assert_eq!(Some(&o), original);
        }
    }
}
