//! The failover message codec on arbitrary bytes: decoding never panics; an accepted message
//! re-encodes to the same bytes and decodes back to the same value; the stream decoder cuts
//! the same bytes into the same message; the typed views never panic on it.
#![no_main]

use dhcpd_failover::message::{Message, StreamDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::decode(data) {
        let out = msg.to_vec();
        assert_eq!(out, data, "encode of decode differs");
        let again = Message::decode(&out).expect("an encoded message decodes");
        assert_eq!(again, msg);
        let mut s = StreamDecoder::new();
        s.push(data);
        let from_stream = s.next_message().expect("a whole message").expect("decodes");
        assert_eq!(from_stream, msg);
        let _ = dhcpd_failover::body::Body::parse(&msg);
    }
    // As a stream: any cut is handled without panicking.
    let mut s = StreamDecoder::new();
    s.push(data);
    while let Some(Ok(_)) = s.next_message() {}
});
