//! The byte cursor and the codec trait shared by the header and the options (rustls'
//! `msgs/codec.rs` shape: `encode` appends to a `Vec`, `read` consumes from a [`Reader`]).

use crate::error::DecodeError;

/// A forward-only cursor over a received message. It knows its absolute offset so errors can
/// say where in the message they happened.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// The offset of the next byte to be read.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Takes the next `n` bytes, or `None` (and consumes nothing) if fewer are left.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.left() < n {
            return None;
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(s)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// The next big-endian 16-bit integer.
    pub fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// The next big-endian 32-bit integer.
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A wire element that can be written and read back.
pub trait Codec: Sized {
    /// Appends the wire form of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one element from `r`.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}
