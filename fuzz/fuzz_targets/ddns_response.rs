//! DNS UPDATE answers on arbitrary bytes (they come from the network): parsing never panics,
//! with or without a TSIG key of each algorithm to check the answer with; a name read from a
//! configuration string never panics either, and one that parses writes a wire form of the
//! length it reports.
#![no_main]

use dhcpd_ddns::message::{Algorithm, TsigKey, parse_response};
use dhcpd_ddns::name::Name;
use libfuzzer_sys::fuzz_target;

const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::HmacMd5,
    Algorithm::HmacSha224,
    Algorithm::HmacSha256,
    Algorithm::HmacSha384,
    Algorithm::HmacSha512,
];

fuzz_target!(|data: &[u8]| {
    let _ = parse_response(data, None, &[]);
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(name) = Name::parse(b"key.example.") else {
        return;
    };
    let key = TsigKey {
        name,
        algorithm: ALGORITHMS[usize::from(sel) % ALGORITHMS.len()],
        secret: b"0123456789abcdef".to_vec(),
    };
    let mac_len = usize::from(sel >> 3).min(rest.len());
    let (mac, msg) = rest.split_at(mac_len);
    let _ = parse_response(msg, Some(&key), mac);
    if let Ok(n) = Name::parse(msg) {
        assert_eq!(n.to_wire().len(), n.wire_len());
    }
});
