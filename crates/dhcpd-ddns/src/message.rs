//! RFC 2136 UPDATE messages as ISC dhcpd sends them through BIND's client library (zone
//! section, prerequisites, updates; owner names compressed), signed with TSIG (RFC 8945),
//! and the parts of a response the updater needs.

use hmac::{Hmac, Mac};

use crate::Error;
use crate::name::{Compressor, Name};

/// RR types the updates use.
pub mod rtype {
    /// A
    pub const A: u16 = 1;
    /// PTR
    pub const PTR: u16 = 12;
    /// TXT (ISC's interim guard)
    pub const TXT: u16 = 16;
    /// AAAA
    pub const AAAA: u16 = 28;
    /// DHCID (RFC 4701)
    pub const DHCID: u16 = 49;
    /// SOA (the zone section)
    pub const SOA: u16 = 6;
    /// TSIG
    pub const TSIG: u16 = 250;
    /// ANY
    pub const ANY: u16 = 255;
}

/// Classes: IN for data, NONE and ANY for RFC 2136's prerequisite and delete forms.
pub mod class {
    /// IN
    pub const IN: u16 = 1;
    /// NONE
    pub const NONE: u16 = 254;
    /// ANY
    pub const ANY: u16 = 255;
}

/// TSIG fudge BIND uses (seconds).
pub const TSIG_FUDGE: u16 = 300;

/// One RR of the prerequisite or update section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Owner.
    pub name: Name,
    /// Type.
    pub rtype: u16,
    /// Class (IN, NONE or ANY).
    pub class: u16,
    /// TTL (0 in prerequisites and deletes).
    pub ttl: u32,
    /// Data (empty for the "RRset exists"/"delete RRset" forms).
    pub rdata: Vec<u8>,
}

/// A TSIG algorithm ISC accepts in a `key` statement (those the RustCrypto crates give us).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `hmac-md5` (ISC's default).
    HmacMd5,
    /// `hmac-sha224`
    HmacSha224,
    /// `hmac-sha256`
    HmacSha256,
    /// `hmac-sha384`
    HmacSha384,
    /// `hmac-sha512`
    HmacSha512,
}

impl Algorithm {
    /// From the algorithm as dhcpd.conf writes it (`hmac-md5`, `HMAC-MD5.SIG-ALG.REG.INT.`,
    /// `hmac-sha256` …; case ignored, trailing dot optional). `None`: not supported.
    pub fn from_config(s: &str) -> Option<Algorithm> {
        let s = s.trim_end_matches('.').to_ascii_lowercase();
        Some(match s.as_str() {
            "hmac-md5" | "hmac-md5.sig-alg.reg.int" => Algorithm::HmacMd5,
            "hmac-sha224" => Algorithm::HmacSha224,
            "hmac-sha256" => Algorithm::HmacSha256,
            "hmac-sha384" => Algorithm::HmacSha384,
            "hmac-sha512" => Algorithm::HmacSha512,
            _ => return None,
        })
    }

    /// The algorithm name in the TSIG record (BIND's constants).
    pub fn wire_name(self) -> &'static [u8] {
        match self {
            Algorithm::HmacMd5 => b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
            Algorithm::HmacSha224 => b"\x0bhmac-sha224\x00",
            Algorithm::HmacSha256 => b"\x0bhmac-sha256\x00",
            Algorithm::HmacSha384 => b"\x0bhmac-sha384\x00",
            Algorithm::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    fn mac(self, secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes a key of any length: new_from_slice cannot fail for it.
            let Ok(mut m) = <M as Mac>::new_from_slice(secret) else {
                return Vec::new();
            };
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::HmacMd5 => run::<Hmac<md5::Md5>>(secret, parts),
            Algorithm::HmacSha224 => run::<Hmac<sha2::Sha224>>(secret, parts),
            Algorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(secret, parts),
            Algorithm::HmacSha384 => run::<Hmac<sha2::Sha384>>(secret, parts),
            Algorithm::HmacSha512 => run::<Hmac<sha2::Sha512>>(secret, parts),
        }
    }
}

/// A TSIG key (`key NAME { algorithm …; secret "…"; }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// The key's name.
    pub name: Name,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// The decoded secret.
    pub secret: Vec<u8>,
}

/// An UPDATE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// Message ID.
    pub id: u16,
    /// The zone (class IN, type SOA in the zone section).
    pub zone: Name,
    /// Prerequisites.
    pub prereqs: Vec<Rr>,
    /// Updates.
    pub updates: Vec<Rr>,
}

/// An encoded (and maybe signed) request, with what verifying its answer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The datagram.
    pub bytes: Vec<u8>,
    /// The request's MAC (empty when unsigned).
    pub mac: Vec<u8>,
}

impl Update {
    /// The message without TSIG: header, zone, prerequisites, updates.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&[0x28, 0x00]); // opcode UPDATE, everything else clear
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&(self.prereqs.len() as u16).to_be_bytes());
        out.extend_from_slice(&(self.updates.len() as u16).to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        let mut c = Compressor::default();
        c.write(&mut out, &self.zone);
        out.extend_from_slice(&rtype::SOA.to_be_bytes());
        out.extend_from_slice(&class::IN.to_be_bytes());
        for rr in self.prereqs.iter().chain(&self.updates) {
            c.write(&mut out, &rr.name);
            out.extend_from_slice(&rr.rtype.to_be_bytes());
            out.extend_from_slice(&rr.class.to_be_bytes());
            out.extend_from_slice(&rr.ttl.to_be_bytes());
            out.extend_from_slice(&(rr.rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(&rr.rdata);
        }
        out
    }

    /// The message, signed with `key` at `time` (Unix seconds) when there is a key.
    pub fn sign(&self, key: Option<&TsigKey>, time: u64) -> Signed {
        let mut bytes = self.encode();
        let Some(key) = key else {
            return Signed {
                bytes,
                mac: Vec::new(),
            };
        };
        let vars = tsig_variables(key, time, 0);
        let mac = key.algorithm.mac(&key.secret, &[&bytes, &vars]);
        append_tsig(&mut bytes, key, time, &mac, self.id, 0);
        Signed { bytes, mac }
    }
}

/// TSIG variables as digested (RFC 8945 4.3.3): key name and algorithm in canonical form.
fn tsig_variables(key: &TsigKey, time: u64, error: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    key.name.write_plain(&mut v, true);
    v.extend_from_slice(&class::ANY.to_be_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(key.algorithm.wire_name());
    v.extend_from_slice(&time.to_be_bytes()[2..]);
    v.extend_from_slice(&TSIG_FUDGE.to_be_bytes());
    v.extend_from_slice(&error.to_be_bytes());
    v.extend_from_slice(&0u16.to_be_bytes()); // other len
    v
}

fn append_tsig(out: &mut Vec<u8>, key: &TsigKey, time: u64, mac: &[u8], id: u16, error: u16) {
    key.name.write_plain(out, false);
    out.extend_from_slice(&rtype::TSIG.to_be_bytes());
    out.extend_from_slice(&class::ANY.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    let alg = key.algorithm.wire_name();
    let rdlen = alg.len() + 6 + 2 + 2 + mac.len() + 2 + 2 + 2;
    out.extend_from_slice(&(rdlen as u16).to_be_bytes());
    out.extend_from_slice(alg);
    out.extend_from_slice(&time.to_be_bytes()[2..]);
    out.extend_from_slice(&TSIG_FUDGE.to_be_bytes());
    out.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    out.extend_from_slice(mac);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&error.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    // ARCOUNT += 1
    let ar = u16::from_be_bytes([out[10], out[11]]).wrapping_add(1);
    out[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// What the updater needs from an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Message ID.
    pub id: u16,
    /// RCODE (4 bits).
    pub rcode: u8,
    /// The answer was signed and the signature checked out (`None`: no key was given to
    /// check with; `Some(false)`: missing, wrong or TSIG error).
    pub tsig_ok: Option<bool>,
}

/// A reader over a message.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        let s = self.b.get(self.at..self.at + n).ok_or(Error::Truncated)?;
        self.at += n;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, Error> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    /// Skips a (maybe compressed) name.
    fn skip_name(&mut self) -> Result<(), Error> {
        loop {
            let l = *self.take(1)?.first().ok_or(Error::Truncated)?;
            match l {
                0 => return Ok(()),
                0xc0..=0xff => {
                    self.take(1)?;
                    return Ok(());
                }
                64..=0xbf => return Err(Error::BadName),
                n => {
                    self.take(usize::from(n))?;
                }
            }
        }
    }
}

/// Parses an answer's header and, with `key` (the one the request was signed with) and the
/// request's MAC, checks its TSIG (RFC 8945 5.3: request MAC, the message without TSIG and
/// with its original ID, the TSIG variables with the timers).
pub fn parse_response(
    bytes: &[u8],
    key: Option<&TsigKey>,
    request_mac: &[u8],
) -> Result<Response, Error> {
    let mut r = Reader { b: bytes, at: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    if flags & 0x8000 == 0 || (flags >> 11) & 0xf != 5 {
        return Err(Error::NotAnUpdateResponse);
    }
    let rcode = (flags & 0xf) as u8;
    let counts = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    for _ in 0..counts[0] {
        r.skip_name()?;
        r.take(4)?;
    }
    for _ in 0..(u32::from(counts[1]) + u32::from(counts[2])) {
        r.skip_name()?;
        r.take(8)?;
        let len = r.u16()?;
        r.take(usize::from(len))?;
    }
    let Some(key) = key else {
        return Ok(Response {
            id,
            rcode,
            tsig_ok: None,
        });
    };
    // The TSIG must be the last additional record.
    let mut tsig = None;
    for i in 0..counts[3] {
        let start = r.at;
        r.skip_name()?;
        let t = r.u16()?;
        r.take(6)?;
        let len = r.u16()?;
        let rdata_at = r.at;
        r.take(usize::from(len))?;
        if t == rtype::TSIG && i + 1 == counts[3] {
            tsig = Some((start, rdata_at, usize::from(len)));
        }
    }
    let Some((start, rdata_at, len)) = tsig else {
        return Ok(Response {
            id,
            rcode,
            tsig_ok: Some(false),
        });
    };
    let ok = (|| -> Result<bool, Error> {
        let mut t = Reader {
            b: bytes
                .get(rdata_at..rdata_at + len)
                .ok_or(Error::Truncated)?,
            at: 0,
        };
        t.skip_name()?;
        let time = t.take(6)?.to_vec();
        let fudge = t.take(2)?.to_vec();
        let maclen = t.u16()?;
        let mac = t.take(usize::from(maclen))?.to_vec();
        let orig_id = t.take(2)?.to_vec();
        let error = t.take(2)?.to_vec();
        let olen = t.u16()?;
        let other = t.take(usize::from(olen))?.to_vec();
        if error != [0, 0] || mac.is_empty() {
            return Ok(false);
        }
        let mut msg = bytes[..start].to_vec();
        msg[0..2].copy_from_slice(&orig_id);
        let ar = counts[3].saturating_sub(1);
        msg[10..12].copy_from_slice(&ar.to_be_bytes());
        let mut vars = Vec::new();
        key.name.write_plain(&mut vars, true);
        vars.extend_from_slice(&class::ANY.to_be_bytes());
        vars.extend_from_slice(&0u32.to_be_bytes());
        vars.extend_from_slice(key.algorithm.wire_name());
        vars.extend_from_slice(&time);
        vars.extend_from_slice(&fudge);
        vars.extend_from_slice(&error);
        vars.extend_from_slice(&olen.to_be_bytes());
        vars.extend_from_slice(&other);
        let mlen = (request_mac.len() as u16).to_be_bytes();
        let want = key
            .algorithm
            .mac(&key.secret, &[&mlen, request_mac, &msg, &vars]);
        Ok(want == mac)
    })()?;
    Ok(Response {
        id,
        rcode,
        tsig_ok: Some(ok),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TsigKey {
        TsigKey {
            name: Name::parse(b"ddns-key").unwrap(),
            algorithm: Algorithm::HmacSha256,
            secret: b"0123456789abcdef".to_vec(),
        }
    }

    #[test]
    fn update_layout() {
        let u = Update {
            id: 0x1234,
            zone: Name::parse(b"example.org.").unwrap(),
            prereqs: vec![Rr {
                name: Name::parse(b"h.example.org").unwrap(),
                rtype: rtype::ANY,
                class: class::NONE,
                ttl: 0,
                rdata: vec![],
            }],
            updates: vec![Rr {
                name: Name::parse(b"h.example.org").unwrap(),
                rtype: rtype::A,
                class: class::IN,
                ttl: 300,
                rdata: vec![198, 51, 100, 10],
            }],
        };
        let b = u.encode();
        assert_eq!(&b[..12], &[0x12, 0x34, 0x28, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
        // zone, then "h" + pointer to the zone name, then a pointer to "h.example.org".
        assert_eq!(&b[12..29], b"\x07example\x03org\x00\x00\x06\x00\x01");
        assert_eq!(&b[29..33], b"\x01h\xc0\x0c");
        assert_eq!(&b[33..43], &[0, 255, 0, 254, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[43..45], b"\xc0\x1d");
    }

    #[test]
    fn signed_message_verifies_as_its_own_answer_would() {
        let k = key();
        let u = Update {
            id: 7,
            zone: Name::parse(b"example.org").unwrap(),
            prereqs: vec![],
            updates: vec![],
        };
        let s = u.sign(Some(&k), 1_700_000_000);
        assert_eq!(s.mac.len(), 32);
        assert_eq!(u16::from_be_bytes([s.bytes[10], s.bytes[11]]), 1);
        // An answer signed the way a server signs it.
        let mut ans = u.encode();
        ans[2] |= 0x80;
        ans[3] = 0; // NOERROR
        let mut vars = Vec::new();
        vars.extend_from_slice(&(s.mac.len() as u16).to_be_bytes());
        vars.extend_from_slice(&s.mac);
        let tv = tsig_variables(&k, 1_700_000_001, 0);
        let mac = k.algorithm.mac(&k.secret, &[&vars, &ans, &tv]);
        append_tsig(&mut ans, &k, 1_700_000_001, &mac, 7, 0);
        let r = parse_response(&ans, Some(&k), &s.mac).unwrap();
        assert_eq!((r.id, r.rcode, r.tsig_ok), (7, 0, Some(true)));
        // A flipped MAC byte fails.
        let n = ans.len();
        ans[n - 8] ^= 1;
        let r = parse_response(&ans, Some(&k), &s.mac).unwrap();
        assert_eq!(r.tsig_ok, Some(false));
        // Garbage is an error, not a panic.
        assert!(parse_response(&ans[..5], Some(&k), &s.mac).is_err());
    }
}
