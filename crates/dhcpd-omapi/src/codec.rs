//! OMAPI framing: the introduction and messages, encoded and decoded incrementally.

use std::fmt;

/// The protocol version both sides announce (ISC's only version).
pub const PROTOCOL_VERSION: u32 = 100;
/// The size of the message header this implementation sends and expects at least.
pub const HEADER_SIZE: u32 = 24;
/// Largest header size accepted from a peer (the surplus is skipped).
pub const MAX_HEADER_SIZE: u32 = 1024;
/// Largest message accepted (names, values and signature together).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// The 8 bytes each side sends first.
pub fn intro() -> [u8; 8] {
    let mut b = [0; 8];
    b[..4].copy_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    b[4..].copy_from_slice(&HEADER_SIZE.to_be_bytes());
    b
}

/// A message operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// 1: look an object up (and perhaps create or update it).
    Open,
    /// 2: send an object's values again, by handle.
    Refresh,
    /// 3: new values for an object (client → server), or an object's values (server →
    /// client).
    Update,
    /// 4: not implemented by ISC either.
    Notify,
    /// 5: the result of a request.
    Status,
    /// 6: remove an object.
    Delete,
    /// Any other number.
    Other(u32),
}

impl Op {
    /// From the wire value.
    pub fn from_u32(v: u32) -> Op {
        match v {
            1 => Op::Open,
            2 => Op::Refresh,
            3 => Op::Update,
            4 => Op::Notify,
            5 => Op::Status,
            6 => Op::Delete,
            n => Op::Other(n),
        }
    }
    /// The wire value.
    pub fn to_u32(self) -> u32 {
        match self {
            Op::Open => 1,
            Op::Refresh => 2,
            Op::Update => 3,
            Op::Notify => 4,
            Op::Status => 5,
            Op::Delete => 6,
            Op::Other(n) => n,
        }
    }
}

/// One name/value pair as on the wire (OMAPI carries no types: the receiver interprets).
pub type Pair = (Vec<u8>, Vec<u8>);

/// One OMAPI message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Handle of the authenticator (0 = none).
    pub authid: u32,
    /// The operation.
    pub op: Op,
    /// The object handle the message is about (0 = none).
    pub handle: u32,
    /// The sender's transaction id.
    pub id: u32,
    /// The transaction id this message answers (0 = none).
    pub rid: u32,
    /// The message's own values (`type`, `create`, `update`, `exclusive`, `result`, …).
    pub message: Vec<Pair>,
    /// The object's values.
    pub object: Vec<Pair>,
    /// The signature (`authlen` bytes; empty when unauthenticated).
    pub signature: Vec<u8>,
}

impl Message {
    /// A message with no values.
    pub fn new(op: Op, handle: u32, id: u32, rid: u32) -> Message {
        Message {
            authid: 0,
            op,
            handle,
            id,
            rid,
            message: Vec::new(),
            object: Vec::new(),
            signature: Vec::new(),
        }
    }

    /// The first message value called `name`.
    pub fn message_value(&self, name: &str) -> Option<&[u8]> {
        find(&self.message, name)
    }

    /// The first object value called `name`.
    pub fn object_value(&self, name: &str) -> Option<&[u8]> {
        find(&self.object, name)
    }

    /// Appends the encoded message to `out`. Names longer than 65535 bytes or values longer
    /// than 4 GiB are cut (nothing this crate builds comes near).
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in [
            self.authid,
            u32::try_from(self.signature.len()).unwrap_or(u32::MAX),
            self.op.to_u32(),
            self.handle,
            self.id,
            self.rid,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for list in [&self.message, &self.object] {
            for (n, v) in list {
                let n = &n[..n.len().min(usize::from(u16::MAX))];
                out.extend_from_slice(&u16::try_from(n.len()).unwrap_or(0).to_be_bytes());
                out.extend_from_slice(n);
                let v = &v[..v.len().min(u32::MAX as usize)];
                out.extend_from_slice(&u32::try_from(v.len()).unwrap_or(0).to_be_bytes());
                out.extend_from_slice(v);
            }
            out.extend_from_slice(&[0, 0]);
        }
        out.extend_from_slice(&self.signature);
    }
}

fn find<'a>(list: &'a [Pair], name: &str) -> Option<&'a [u8]> {
    list.iter()
        .find(|(n, _)| n == name.as_bytes())
        .map(|(_, v)| v.as_slice())
}

/// Why a stream was given up (the connection should be closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The introduction announced another protocol version.
    Version(u32),
    /// The introduction announced a header size below 24 or above [`MAX_HEADER_SIZE`].
    HeaderSize(u32),
    /// A message is larger than [`MAX_MESSAGE`].
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Version(v) => write!(f, "protocol version {v} (only {PROTOCOL_VERSION})"),
            Error::HeaderSize(s) => write!(f, "header size {s}"),
            Error::TooLarge => write!(f, "message larger than {MAX_MESSAGE} bytes"),
        }
    }
}

impl std::error::Error for Error {}

/// Incremental decoder of what the peer sends: its introduction, then messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    header_size: Option<u32>,
    failed: Option<Error>,
}

/// A cursor over a buffer that may not hold the whole message yet.
struct Cur<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cur<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
}

impl Decoder {
    /// A decoder waiting for the peer's introduction.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Whether the introduction has been received.
    pub fn introduced(&self) -> bool {
        self.header_size.is_some()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message, `Ok(None)` when more bytes are needed. After an error
    /// every call returns it again.
    pub fn next_message(&mut self) -> Result<Option<Message>, Error> {
        Ok(self.next_signed()?.map(|(m, _)| m))
    }

    /// As [`Decoder::next_message`], with the bytes a signature covers: from `authlen` to
    /// the end of the object's values (ISC signs everything after `authid` but the
    /// signature itself).
    pub fn next_signed(&mut self) -> Result<Option<(Message, Vec<u8>)>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.step();
        if let Err(e) = &r {
            self.failed = Some(e.clone());
            self.buf.clear();
        }
        r
    }

    fn step(&mut self) -> Result<Option<(Message, Vec<u8>)>, Error> {
        let hsize = match self.header_size {
            Some(h) => h,
            None => {
                let mut c = Cur {
                    b: &self.buf,
                    at: 0,
                };
                let (Some(ver), Some(hs)) = (c.u32(), c.u32()) else {
                    return Ok(None);
                };
                if ver != PROTOCOL_VERSION {
                    return Err(Error::Version(ver));
                }
                if !(HEADER_SIZE..=MAX_HEADER_SIZE).contains(&hs) {
                    return Err(Error::HeaderSize(hs));
                }
                self.buf.drain(..8);
                self.header_size = Some(hs);
                hs
            }
        };
        let mut c = Cur {
            b: &self.buf,
            at: 0,
        };
        let parsed = parse(&mut c, hsize);
        match parsed {
            Some(m) => {
                let used = c.at;
                let signed = self
                    .buf
                    .get(4..used - m.signature.len())
                    .unwrap_or_default()
                    .to_vec();
                self.buf.drain(..used);
                Ok(Some((m, signed)))
            }
            None if self.buf.len() > MAX_MESSAGE + MAX_HEADER_SIZE as usize => Err(Error::TooLarge),
            None => {
                // Incomplete; a declared length that can never fit is refused now.
                if declared_too_large(&self.buf, hsize) {
                    Err(Error::TooLarge)
                } else {
                    Ok(None)
                }
            }
        }
    }
}

/// One message from the cursor, `None` if the buffer ends first.
fn parse(c: &mut Cur<'_>, hsize: u32) -> Option<Message> {
    let authid = c.u32()?;
    let authlen = c.u32()?;
    let op = Op::from_u32(c.u32()?);
    let handle = c.u32()?;
    let id = c.u32()?;
    let rid = c.u32()?;
    c.take(hsize as usize - HEADER_SIZE as usize)?;
    let mut lists: [Vec<Pair>; 2] = [Vec::new(), Vec::new()];
    for list in &mut lists {
        loop {
            let nlen = c.u16()?;
            if nlen == 0 {
                break;
            }
            let name = c.take(usize::from(nlen))?.to_vec();
            let vlen = c.u32()? as usize;
            if vlen > MAX_MESSAGE {
                return None;
            }
            let value = c.take(vlen)?.to_vec();
            list.push((name, value));
        }
    }
    if authlen as usize > MAX_MESSAGE {
        return None;
    }
    let signature = c.take(authlen as usize)?.to_vec();
    let [message, object] = lists;
    Some(Message {
        authid,
        op,
        handle,
        id,
        rid,
        message,
        object,
        signature,
    })
}

/// Whether the buffered (incomplete) message declares a length beyond [`MAX_MESSAGE`].
fn declared_too_large(buf: &[u8], hsize: u32) -> bool {
    let mut c = Cur { b: buf, at: 0 };
    let Some(_) = c.u32() else { return false };
    let Some(authlen) = c.u32() else { return false };
    if authlen as usize > MAX_MESSAGE {
        return true;
    }
    if c.take(hsize as usize - 8).is_none() {
        return false;
    }
    let mut ends = 0;
    while ends < 2 {
        let Some(nlen) = c.u16() else { return false };
        if nlen == 0 {
            ends += 1;
            continue;
        }
        if c.take(usize::from(nlen)).is_none() {
            return false;
        }
        let Some(vlen) = c.u32() else { return false };
        if vlen as usize > MAX_MESSAGE {
            return true;
        }
        if c.take(vlen as usize).is_none() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        let mut m = Message::new(Op::Open, 0, 7, 0);
        m.message
            .push((b"type".to_vec(), b"failover-state".to_vec()));
        m.message.push((b"create".to_vec(), vec![0, 0, 0, 0]));
        m.object.push((b"name".to_vec(), b"fo".to_vec()));
        m
    }

    #[test]
    fn round_trip_byte_by_byte() {
        let mut wire = intro().to_vec();
        sample().encode(&mut wire);
        sample().encode(&mut wire);
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for b in &wire {
            d.push(&[*b]);
            while let Some(m) = d.next_message().expect("valid stream") {
                got.push(m);
            }
        }
        assert_eq!(got, vec![sample(), sample()]);
        assert!(d.introduced());
    }

    #[test]
    fn header_layout() {
        let mut wire = Vec::new();
        Message::new(Op::Status, 9, 2, 1).encode(&mut wire);
        assert_eq!(
            wire,
            [
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn larger_header_is_skipped() {
        let mut wire = Vec::new();
        wire.extend_from_slice(&100u32.to_be_bytes());
        wire.extend_from_slice(&28u32.to_be_bytes());
        let mut m = Vec::new();
        sample().encode(&mut m);
        wire.extend_from_slice(&m[..24]);
        wire.extend_from_slice(&[1, 2, 3, 4]);
        wire.extend_from_slice(&m[24..]);
        let mut d = Decoder::new();
        d.push(&wire);
        assert_eq!(d.next_message(), Ok(Some(sample())));
    }

    #[test]
    fn bad_intro_and_sizes() {
        let mut d = Decoder::new();
        d.push(&[0, 0, 0, 99, 0, 0, 0, 24]);
        assert_eq!(d.next_message(), Err(Error::Version(99)));
        assert_eq!(d.next_message(), Err(Error::Version(99)));
        let mut d = Decoder::new();
        d.push(&[0, 0, 0, 100, 0, 0, 0, 8]);
        assert_eq!(d.next_message(), Err(Error::HeaderSize(8)));
        let mut d = Decoder::new();
        d.push(&intro());
        let mut h = vec![0; 24];
        h.extend_from_slice(&[0, 1, b'x', 0xff, 0xff, 0xff, 0xff]);
        d.push(&h);
        assert_eq!(d.next_message(), Err(Error::TooLarge));
    }

    #[test]
    fn values_found_by_name() {
        let m = sample();
        assert_eq!(m.message_value("type"), Some(&b"failover-state"[..]));
        assert_eq!(m.object_value("name"), Some(&b"fo"[..]));
        assert_eq!(m.object_value("type"), None);
    }
}
