//! The OMAPI codec and server session on arbitrary bytes: decoding never panics; every
//! decoded message re-encodes and decodes back to itself; a session fed the same bytes (in
//! two cuts) answers without panicking, and its output decodes; so does one that demands
//! HMAC-MD5 signatures.
#![no_main]

use dhcpd_omapi::codec::{Decoder, Pair};
use dhcpd_omapi::session::{Refusal, result};
use dhcpd_omapi::{Key, Objects, Session, Value};
use libfuzzer_sys::fuzz_target;

struct One;

impl Objects for One {
    fn known_type(&self, kind: &str) -> bool {
        kind == "failover-state"
    }
    fn lookup(&self, _: &str, key: &[Pair]) -> Result<Option<String>, Refusal> {
        match key.iter().find(|(n, _)| n == b"name") {
            Some((_, v)) if v == b"fo" => Ok(Some("fo".into())),
            Some(_) => Ok(None),
            None => Err(Refusal::new(result::NOT_IMPLEMENTED, "no key")),
        }
    }
    fn values(&self, _: &str, id: &str) -> Option<Vec<(String, Value)>> {
        Some(vec![("name".into(), Value::Str(id.into()))])
    }
    fn update(&mut self, _: &str, _: &str, _: &[Pair]) -> Result<(), Refusal> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut d = Decoder::new();
    d.push(&dhcpd_omapi::codec::intro());
    d.push(data);
    while let Ok(Some(m)) = d.next_message() {
        let mut wire = dhcpd_omapi::codec::intro().to_vec();
        m.encode(&mut wire);
        let mut again = Decoder::new();
        again.push(&wire);
        assert_eq!(again.next_message(), Ok(Some(m)));
    }
    let mut s = Session::new();
    let cut = data.len() / 2;
    let _ = s
        .receive(&data[..cut], &mut One)
        .and_then(|_| s.receive(&data[cut..], &mut One));
    let mut out = Decoder::new();
    out.push(&s.take_output());
    while let Some(m) = out.next_message().expect("our output decodes") {
        let _ = m;
    }
    // The same bytes to a session that demands signatures.
    let mut s = Session::with_key(Some(Key {
        name: "k".into(),
        secret: b"secret".to_vec(),
    }));
    let _ = s.receive(data, &mut One);
    let mut out = Decoder::new();
    out.push(&s.take_output());
    while let Some(m) = out.next_message().expect("our output decodes") {
        let _ = m;
    }
});
