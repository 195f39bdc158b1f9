//! Zero-copy view of a BOOTP/DHCPv4 message (RFC 2131 §2).
//!
//! Length checking is a contract: [`DhcpPacket::new_checked`] (or
//! [`DhcpPacket::check_len`] after [`DhcpPacket::new_unchecked`]) verifies
//! the buffer holds the fixed 236-byte header; after that no getter or setter
//! panics. The vendor area (magic cookie and options) may be any length,
//! including empty.

use std::net::Ipv4Addr;

use crate::error::{Area, Result, WireError};

/// Field offsets of the fixed header.
pub(crate) mod field {
    /// A byte range of the header.
    pub type Field = std::ops::Range<usize>;

    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: Field = 4..8;
    pub const SECS: Field = 8..10;
    pub const FLAGS: Field = 10..12;
    pub const CIADDR: Field = 12..16;
    pub const YIADDR: Field = 16..20;
    pub const SIADDR: Field = 20..24;
    pub const GIADDR: Field = 24..28;
    pub const CHADDR: Field = 28..44;
    pub const SNAME: Field = 44..108;
    pub const FILE: Field = 108..236;
    /// Everything after the fixed header: magic cookie and options.
    pub const VENDOR: usize = 236;
    pub const MAGIC: Field = 236..240;
    pub const OPTIONS: usize = 240;
}

/// Length of the fixed BOOTP header (everything before the magic cookie).
pub const HEADER_LEN: usize = field::VENDOR;
/// The RFC 1497 magic cookie 99.130.83.99.
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// Length of the `sname` field.
pub const SNAME_LEN: usize = 64;
/// Length of the `file` field.
pub const FILE_LEN: usize = 128;
/// The broadcast bit of `flags`.
pub const FLAG_BROADCAST: u16 = 0x8000;

/// A read/write view of a DHCPv4 message in a byte buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8]) -> u16 {
    let mut a = [0; 2];
    a.copy_from_slice(&b[..2]);
    u16::from_be_bytes(a)
}

fn be32(b: &[u8]) -> u32 {
    let mut a = [0; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}

fn ip(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl<T: AsRef<[u8]>> DhcpPacket<T> {
    /// Wraps a buffer without checking its length; call
    /// [`check_len`](Self::check_len) before using getters.
    pub const fn new_unchecked(buffer: T) -> DhcpPacket<T> {
        DhcpPacket { buffer }
    }

    /// Wraps a buffer after checking it holds the fixed header.
    pub fn new_checked(buffer: T) -> Result<DhcpPacket<T>> {
        let packet = DhcpPacket::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds at least the 236-byte fixed header.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            Err(WireError::Truncated {
                len,
                min: HEADER_LEN,
            })
        } else {
            Ok(())
        }
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Total length of the buffer.
    pub fn len(&self) -> usize {
        self.buffer.as_ref().len()
    }

    /// `true` if the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buffer.as_ref().is_empty()
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// `op`: 1 BOOTREQUEST, 2 BOOTREPLY.
    pub fn op(&self) -> u8 {
        self.b()[field::OP]
    }
    /// `htype`: hardware address type (1 = Ethernet).
    pub fn htype(&self) -> u8 {
        self.b()[field::HTYPE]
    }
    /// `hlen`: hardware address length.
    pub fn hlen(&self) -> u8 {
        self.b()[field::HLEN]
    }
    /// `hops`: relay hop count.
    pub fn hops(&self) -> u8 {
        self.b()[field::HOPS]
    }
    /// `xid`: transaction id.
    pub fn xid(&self) -> u32 {
        be32(&self.b()[field::XID])
    }
    /// `secs`: seconds since the client began (network byte order as sent).
    pub fn secs(&self) -> u16 {
        be16(&self.b()[field::SECS])
    }
    /// `flags`.
    pub fn flags(&self) -> u16 {
        be16(&self.b()[field::FLAGS])
    }
    /// The broadcast bit of `flags`.
    pub fn broadcast(&self) -> bool {
        self.flags() & FLAG_BROADCAST != 0
    }
    /// `ciaddr`: client address.
    pub fn ciaddr(&self) -> Ipv4Addr {
        ip(&self.b()[field::CIADDR])
    }
    /// `yiaddr`: "your" address.
    pub fn yiaddr(&self) -> Ipv4Addr {
        ip(&self.b()[field::YIADDR])
    }
    /// `siaddr`: next server address.
    pub fn siaddr(&self) -> Ipv4Addr {
        ip(&self.b()[field::SIADDR])
    }
    /// `giaddr`: relay agent address.
    pub fn giaddr(&self) -> Ipv4Addr {
        ip(&self.b()[field::GIADDR])
    }
    /// The 16-byte `chaddr` field.
    pub fn chaddr(&self) -> &[u8] {
        &self.b()[field::CHADDR]
    }
    /// The client hardware address: the first `min(hlen, 16)` bytes of `chaddr`.
    pub fn client_hardware_address(&self) -> &[u8] {
        let n = usize::from(self.hlen()).min(field::CHADDR.len());
        &self.chaddr()[..n]
    }
    /// The 64-byte `sname` field.
    pub fn sname(&self) -> &[u8] {
        &self.b()[field::SNAME]
    }
    /// The 128-byte `file` field.
    pub fn file(&self) -> &[u8] {
        &self.b()[field::FILE]
    }
    /// Everything after the fixed header (magic cookie and options, or
    /// BOOTP vendor extensions); may be empty.
    pub fn vendor_area(&self) -> &[u8] {
        &self.b()[field::VENDOR..]
    }
    /// `true` if the vendor area starts with the DHCP magic cookie.
    pub fn has_magic_cookie(&self) -> bool {
        self.b().get(field::MAGIC) == Some(&MAGIC_COOKIE[..])
    }
    /// The options area after the magic cookie, if the cookie is present.
    pub fn options_area(&self) -> Option<&[u8]> {
        if self.has_magic_cookie() {
            Some(&self.b()[field::OPTIONS..])
        } else {
            None
        }
    }

    /// The option instances of the options area, in wire order (pads
    /// skipped, stopping at the end option). Empty without the magic
    /// cookie. Allocates nothing.
    pub fn options(&self) -> Options<'_> {
        match self.options_area() {
            Some(area) => Options::new(area, Area::Options, field::OPTIONS),
            None => Options::new(&[], Area::Options, field::OPTIONS),
        }
    }

    /// The value of option 52 (option overload) in the options area: the
    /// first byte of its instances joined (RFC 3396). As in ISC, bit 1 means
    /// `file` and bit 2 means `sname` carry options.
    pub fn overload(&self) -> Option<u8> {
        self.options()
            .map_while(|o| o.ok())
            .find_map(|(code, data)| {
                if code == 52 {
                    data.first().copied()
                } else {
                    None
                }
            })
    }

    /// Every option instance in RFC 3396 order: the options area, then
    /// `file` and `sname` when option 52 says they carry options. Allocates
    /// nothing.
    pub fn all_options(&self) -> impl Iterator<Item = Result<(u8, &[u8])>> + '_ {
        let v = self.overload().unwrap_or(0);
        let (file, sname) = (v & 1 != 0, v & 2 != 0);
        let file = file.then(|| Options::new(self.file(), Area::File, field::FILE.start));
        let sname = sname.then(|| Options::new(self.sname(), Area::Sname, field::SNAME.start));
        self.options()
            .chain(file.into_iter().flatten())
            .chain(sname.into_iter().flatten())
    }

    /// The data of the first instance of option `code` (see
    /// [`crate::Message::option`] for the RFC 3396 join), or `None`.
    /// Malformed options before it give an error.
    pub fn find_option(&self, code: u8) -> Option<Result<&[u8]>> {
        self.all_options().find_map(|o| match o {
            Ok((c, data)) if c == code => Some(Ok(data)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// Iterator over the option instances of one area: `(code, data)`; pads
/// are skipped and iteration stops at the end option or after the first
/// error.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    bytes: &'a [u8],
    pos: usize,
    area: Area,
    base: usize,
}

impl<'a> Options<'a> {
    /// Options of `bytes`, an area starting at offset `base` of the message.
    pub fn new(bytes: &'a [u8], area: Area, base: usize) -> Options<'a> {
        Options {
            bytes,
            pos: 0,
            area,
            base,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<(u8, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let code = *self.bytes.get(self.pos)?;
            match code {
                0 => self.pos += 1,
                255 => {
                    self.pos = self.bytes.len();
                    return None;
                }
                _ => {
                    let start = self.pos;
                    let data = self
                        .bytes
                        .get(start + 1)
                        .map(|&l| start + 2..start + 2 + usize::from(l))
                        .and_then(|r| self.bytes.get(r));
                    return match data {
                        Some(d) => {
                            self.pos = start + 2 + d.len();
                            Some(Ok((code, d)))
                        }
                        None => {
                            self.pos = self.bytes.len();
                            Some(Err(WireError::OptionTruncated {
                                area: self.area,
                                offset: self.base + start,
                                code,
                            }))
                        }
                    };
                }
            }
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> DhcpPacket<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    /// Sets `op`.
    pub fn set_op(&mut self, v: u8) {
        self.m()[field::OP] = v;
    }
    /// Sets `htype`.
    pub fn set_htype(&mut self, v: u8) {
        self.m()[field::HTYPE] = v;
    }
    /// Sets `hlen`.
    pub fn set_hlen(&mut self, v: u8) {
        self.m()[field::HLEN] = v;
    }
    /// Sets `hops`.
    pub fn set_hops(&mut self, v: u8) {
        self.m()[field::HOPS] = v;
    }
    /// Sets `xid`.
    pub fn set_xid(&mut self, v: u32) {
        self.m()[field::XID].copy_from_slice(&v.to_be_bytes());
    }
    /// Sets `secs`.
    pub fn set_secs(&mut self, v: u16) {
        self.m()[field::SECS].copy_from_slice(&v.to_be_bytes());
    }
    /// Sets `flags`.
    pub fn set_flags(&mut self, v: u16) {
        self.m()[field::FLAGS].copy_from_slice(&v.to_be_bytes());
    }
    /// Sets `ciaddr`.
    pub fn set_ciaddr(&mut self, v: Ipv4Addr) {
        self.m()[field::CIADDR].copy_from_slice(&v.octets());
    }
    /// Sets `yiaddr`.
    pub fn set_yiaddr(&mut self, v: Ipv4Addr) {
        self.m()[field::YIADDR].copy_from_slice(&v.octets());
    }
    /// Sets `siaddr`.
    pub fn set_siaddr(&mut self, v: Ipv4Addr) {
        self.m()[field::SIADDR].copy_from_slice(&v.octets());
    }
    /// Sets `giaddr`.
    pub fn set_giaddr(&mut self, v: Ipv4Addr) {
        self.m()[field::GIADDR].copy_from_slice(&v.octets());
    }
    /// The 16-byte `chaddr` field, mutable.
    pub fn chaddr_mut(&mut self) -> &mut [u8] {
        &mut self.m()[field::CHADDR]
    }
    /// The 64-byte `sname` field, mutable.
    pub fn sname_mut(&mut self) -> &mut [u8] {
        &mut self.m()[field::SNAME]
    }
    /// The 128-byte `file` field, mutable.
    pub fn file_mut(&mut self) -> &mut [u8] {
        &mut self.m()[field::FILE]
    }
    /// Everything after the fixed header, mutable.
    pub fn vendor_area_mut(&mut self) -> &mut [u8] {
        &mut self.m()[field::VENDOR..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_buffers_are_rejected() {
        assert_eq!(
            DhcpPacket::new_checked(&[0u8; 235][..]).err(),
            Some(WireError::Truncated { len: 235, min: 236 })
        );
        let p = DhcpPacket::new_checked(&[0u8; 236][..]).expect("header only is fine");
        assert!(p.vendor_area().is_empty());
        assert_eq!(p.options_area(), None);
    }

    #[test]
    fn getters_and_setters_agree() {
        let mut buf = [0u8; 244];
        let mut p = DhcpPacket::new_checked(&mut buf[..]).expect("long enough");
        p.set_op(2);
        p.set_htype(1);
        p.set_hlen(6);
        p.set_hops(1);
        p.set_xid(0xdead_beef);
        p.set_secs(7);
        p.set_flags(FLAG_BROADCAST);
        p.set_ciaddr(Ipv4Addr::new(10, 0, 0, 1));
        p.set_yiaddr(Ipv4Addr::new(10, 0, 0, 2));
        p.set_siaddr(Ipv4Addr::new(10, 0, 0, 3));
        p.set_giaddr(Ipv4Addr::new(10, 0, 0, 4));
        p.chaddr_mut()[..6].copy_from_slice(&[2, 0, 0, 0, 1, 1]);
        p.vendor_area_mut()[..4].copy_from_slice(&MAGIC_COOKIE);
        assert_eq!((p.op(), p.htype(), p.hlen(), p.hops()), (2, 1, 6, 1));
        assert_eq!((p.xid(), p.secs(), p.flags()), (0xdead_beef, 7, 0x8000));
        assert!(p.broadcast());
        assert_eq!(p.giaddr(), Ipv4Addr::new(10, 0, 0, 4));
        assert_eq!(p.client_hardware_address(), &[2, 0, 0, 0, 1, 1]);
        assert_eq!(p.options_area().map(<[u8]>::len), Some(4));
        assert_eq!(&buf[4..8], &[0xde, 0xad, 0xbe, 0xef]);
    }
}
