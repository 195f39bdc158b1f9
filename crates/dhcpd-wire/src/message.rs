//! The owned, lossless model of a DHCPv4 message.
//!
//! [`Message::parse`] keeps everything needed to re-emit the exact bytes it
//! was given: every option instance in wire order (split RFC 3396 instances
//! are *not* merged), pad and end options, the bytes after the end option,
//! and `sname`/`file` either as plain bytes or, when option 52 overloads
//! them, as option lists. Logical (joined) views are provided on top:
//! [`Message::option`], [`Message::joined_options`].
//!
//! Contract (smoltcp style): `parse` never panics, whatever the bytes;
//! `emit` never panics, and succeeds whenever the buffer is at least
//! [`Message::buffer_len`] long and every `file`/`sname` option list fits
//! its field.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use crate::error::{Area, Result, WireError};
use crate::packet::{DhcpPacket, FILE_LEN, HEADER_LEN, MAGIC_COOKIE, SNAME_LEN, field};

/// Option code 0, padding.
pub const PAD: u8 = 0;
/// Option code 255, end of options.
pub const END: u8 = 255;
/// Option 52, option overload.
pub const OPTION_OVERLOAD: u8 = 52;
/// Option 53, DHCP message type.
pub const MESSAGE_TYPE: u8 = 53;

macro_rules! enum_with_unknown {
    (
        $(#[$meta:meta])* pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value with no name here; kept as is.
            Unknown(u8),
        }
        impl From<u8> for $name {
            fn from(v: u8) -> $name {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }
        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

enum_with_unknown! {
    /// BOOTP `op` field.
    pub enum OpCode {
        /// 1: client to server.
        Request = 1,
        /// 2: server to client.
        Reply = 2,
    }
}

enum_with_unknown! {
    /// DHCP message type (option 53).
    pub enum MessageType {
        /// DHCPDISCOVER.
        Discover = 1,
        /// DHCPOFFER.
        Offer = 2,
        /// DHCPREQUEST.
        Request = 3,
        /// DHCPDECLINE.
        Decline = 4,
        /// DHCPACK.
        Ack = 5,
        /// DHCPNAK.
        Nak = 6,
        /// DHCPRELEASE.
        Release = 7,
        /// DHCPINFORM.
        Inform = 8,
        /// DHCPLEASEQUERY.
        LeaseQuery = 10,
        /// DHCPLEASEUNASSIGNED.
        LeaseUnassigned = 11,
        /// DHCPLEASEUNKNOWN.
        LeaseUnknown = 12,
        /// DHCPLEASEACTIVE.
        LeaseActive = 13,
    }
}

/// Option data of at most 255 bytes: short values (most options) are kept
/// inline so that parsing a message does not allocate per option.
#[derive(Clone)]
enum OptData {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

/// Bytes of option data kept inline.
const INLINE: usize = 30;

impl OptData {
    fn from_slice(data: &[u8]) -> OptData {
        match u8::try_from(data.len()) {
            Ok(len) if data.len() <= INLINE => {
                let mut buf = [0; INLINE];
                buf[..data.len()].copy_from_slice(data);
                OptData::Inline { len, buf }
            }
            _ => OptData::Heap(data.to_vec()),
        }
    }

    /// Data of `len` bytes at the start of `window`. When the window holds
    /// at least `INLINE` bytes, a fixed-size copy is made (bytes past `len`
    /// are never read), which avoids a variable-length copy per option.
    fn from_window(window: &[u8], len: usize) -> OptData {
        match (window.get(..INLINE), u8::try_from(len)) {
            (Some(chunk), Ok(l)) if len <= INLINE => match <[u8; INLINE]>::try_from(chunk) {
                Ok(buf) => OptData::Inline { len: l, buf },
                Err(_) => OptData::from_slice(&window[..len]),
            },
            _ => OptData::from_slice(&window[..len.min(window.len())]),
        }
    }

    fn from_vec(data: Vec<u8>) -> OptData {
        if data.len() <= INLINE {
            OptData::from_slice(&data)
        } else {
            OptData::Heap(data)
        }
    }
}

impl std::ops::Deref for OptData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            OptData::Inline { len, buf } => &buf[..usize::from(*len).min(INLINE)],
            OptData::Heap(v) => v,
        }
    }
}

impl PartialEq for OptData {
    fn eq(&self, other: &OptData) -> bool {
        **self == **other
    }
}

impl Eq for OptData {}

impl std::hash::Hash for OptData {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::fmt::Debug for OptData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// One option instance as it appears on the wire: a code and at most 255
/// bytes of data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawOption {
    code: u8,
    data: OptData,
}

impl RawOption {
    /// An option instance; fails if `data` is longer than 255 bytes (use
    /// [`DhcpOption::split`] for long values).
    pub fn new(code: u8, data: Vec<u8>) -> Result<RawOption> {
        if data.len() > 255 {
            return Err(WireError::OptionTooLong {
                code,
                len: data.len(),
            });
        }
        Ok(RawOption {
            code,
            data: OptData::from_vec(data),
        })
    }
    /// An instance from at most 255 bytes (callers guarantee the length;
    /// longer data is cut at 255).
    pub(crate) fn from_short(code: u8, data: &[u8]) -> RawOption {
        RawOption {
            code,
            data: OptData::from_slice(&data[..data.len().min(255)]),
        }
    }
    /// The option code.
    pub fn code(&self) -> u8 {
        self.code
    }
    /// The option data (0..=255 bytes).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A logical option: all instances of one code joined (RFC 3396); the data
/// may be longer than 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DhcpOption {
    /// The option code.
    pub code: u8,
    /// The joined data.
    pub data: Vec<u8>,
}

impl DhcpOption {
    /// Splits into wire instances of at most 255 bytes (RFC 3396). Empty
    /// data gives one empty instance.
    pub fn split(&self) -> Vec<RawOption> {
        if self.data.is_empty() {
            return vec![RawOption {
                code: self.code,
                data: OptData::from_slice(&[]),
            }];
        }
        self.data
            .chunks(255)
            .map(|c| RawOption {
                code: self.code,
                data: OptData::from_slice(c),
            })
            .collect()
    }
}

/// One entry of an options area.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Entry {
    /// Pad option (code 0, one byte).
    Pad,
    /// End option (code 255); only bytes in [`OptionList::trailer`] follow.
    End,
    /// Any other option.
    Option(RawOption),
}

/// The options of one area, in wire order, plus the bytes after the end
/// option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OptionList {
    /// Entries in wire order. After an [`Entry::End`] nothing but the
    /// trailer is emitted.
    pub entries: Vec<Entry>,
    /// Bytes after the end option (usually zero padding), kept verbatim.
    /// All-zero trailers borrow a static buffer (see [`zero_trailer`]), so
    /// parsing a padded message does not allocate for them.
    pub trailer: Cow<'static, [u8]>,
}

impl OptionList {
    /// A list of the given instances followed by an end option.
    pub fn with_end(options: impl IntoIterator<Item = RawOption>) -> OptionList {
        let mut entries: Vec<Entry> = options.into_iter().map(Entry::Option).collect();
        entries.push(Entry::End);
        OptionList {
            entries,
            trailer: Cow::Borrowed(&[]),
        }
    }

    /// The option instances (no pads, no end), in order.
    pub fn options(&self) -> impl Iterator<Item = &RawOption> + '_ {
        self.entries.iter().filter_map(|e| match e {
            Entry::Option(o) => Some(o),
            _ => None,
        })
    }

    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        let entries: usize = self
            .entries
            .iter()
            .map(|e| match e {
                Entry::Pad | Entry::End => 1,
                Entry::Option(o) => 2 + o.data.len(),
            })
            .sum();
        entries + self.trailer.len()
    }

    /// Parses an area. `base` is the offset of `bytes` in the message (for
    /// error reporting).
    fn parse(bytes: &[u8], area: Area, base: usize) -> Result<OptionList> {
        let mut entries = Vec::with_capacity(count_entries(bytes));
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                PAD => {
                    entries.push(Entry::Pad);
                    i += 1;
                }
                END => {
                    entries.push(Entry::End);
                    return Ok(OptionList {
                        entries,
                        trailer: trailer(&bytes[i + 1..]),
                    });
                }
                code => {
                    let truncated = || WireError::OptionTruncated {
                        area,
                        offset: base + i,
                        code,
                    };
                    let len = usize::from(*bytes.get(i + 1).ok_or_else(truncated)?);
                    if i + 2 + len > bytes.len() {
                        return Err(truncated());
                    }
                    entries.push(Entry::Option(RawOption {
                        code,
                        data: OptData::from_window(&bytes[i + 2..], len),
                    }));
                    i += 2 + len;
                }
            }
        }
        Ok(OptionList {
            entries,
            trailer: Cow::Borrowed(&[]),
        })
    }

    fn write(&self, out: &mut [u8]) {
        let mut i = 0;
        for e in &self.entries {
            match e {
                Entry::Pad => {
                    out[i] = PAD;
                    i += 1;
                }
                Entry::End => {
                    out[i] = END;
                    i += 1;
                    break;
                }
                Entry::Option(o) => {
                    out[i] = o.code;
                    // RawOption guarantees data.len() <= 255.
                    out[i + 1] = u8::try_from(o.data.len()).unwrap_or(u8::MAX);
                    out[i + 2..i + 2 + o.data.len()].copy_from_slice(&o.data);
                    i += 2 + o.data.len();
                }
            }
        }
        out[i..i + self.trailer.len()].copy_from_slice(&self.trailer);
    }

    /// Encoded length counting only the entries up to the first end option
    /// (what `write` emits) plus the trailer.
    fn written_len(&self) -> usize {
        let mut n = 0;
        for e in &self.entries {
            match e {
                Entry::Pad => n += 1,
                Entry::End => {
                    n += 1;
                    break;
                }
                Entry::Option(o) => n += 2 + o.data.len(),
            }
        }
        n + self.trailer.len()
    }
}

static ZEROS: [u8; 2048] = [0; 2048];

/// A trailer of `len` zero bytes (borrowed from a static buffer when up to
/// 2048 bytes long).
pub fn zero_trailer(len: usize) -> Cow<'static, [u8]> {
    match ZEROS.get(..len) {
        Some(z) => Cow::Borrowed(z),
        None => Cow::Owned(vec![0; len]),
    }
}

fn trailer(bytes: &[u8]) -> Cow<'static, [u8]> {
    if ZEROS.get(..bytes.len()) == Some(bytes) {
        zero_trailer(bytes.len())
    } else {
        Cow::Owned(bytes.to_vec())
    }
}

/// Number of entries `OptionList::parse` will produce (at most), so that
/// it allocates once.
fn count_entries(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(&code) = bytes.get(i) {
        n += 1;
        match code {
            PAD => i += 1,
            END => break,
            _ => match bytes.get(i + 1) {
                Some(&len) => i += 2 + usize::from(len),
                None => break,
            },
        }
    }
    n
}

/// `sname` or `file`: plain bytes, or options when overloaded by option 52.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BootField<const N: usize> {
    /// The field as plain bytes (a NUL-padded name).
    Bytes([u8; N]),
    /// The field carries options; shorter lists are zero-padded on emit.
    Options(OptionList),
}

impl<const N: usize> Default for BootField<N> {
    fn default() -> Self {
        BootField::Bytes([0; N])
    }
}

impl<const N: usize> BootField<N> {
    /// The option list, if the field is overloaded.
    pub fn options(&self) -> Option<&OptionList> {
        match self {
            BootField::Options(l) => Some(l),
            BootField::Bytes(_) => None,
        }
    }

    /// The plain bytes up to the first NUL, if not overloaded.
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            BootField::Bytes(b) => {
                let end = b.iter().position(|&c| c == 0).unwrap_or(N);
                Some(&b[..end])
            }
            BootField::Options(_) => None,
        }
    }

    fn write(&self, out: &mut [u8], area: Area) -> Result<()> {
        match self {
            BootField::Bytes(b) => out.copy_from_slice(b),
            BootField::Options(list) => {
                let len = list.written_len();
                if len > N {
                    return Err(WireError::AreaOverflow {
                        area,
                        len,
                        capacity: N,
                    });
                }
                out.fill(0);
                list.write(out);
            }
        }
        Ok(())
    }
}

/// What follows the fixed header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// The magic cookie and the options area.
    Options(OptionList),
    /// No magic cookie: the bytes as they are (BOOTP vendor extensions, or
    /// nothing at all).
    Raw(Vec<u8>),
}

impl Default for Vendor {
    fn default() -> Vendor {
        Vendor::Options(OptionList::default())
    }
}

/// An owned BOOTP/DHCPv4 message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// `op`.
    pub op: OpCode,
    /// `htype`.
    pub htype: u8,
    /// `hlen`.
    pub hlen: u8,
    /// `hops`.
    pub hops: u8,
    /// `xid`.
    pub xid: u32,
    /// `secs`.
    pub secs: u16,
    /// `flags` (bit 15 = broadcast).
    pub flags: u16,
    /// `ciaddr`.
    pub ciaddr: Ipv4Addr,
    /// `yiaddr`.
    pub yiaddr: Ipv4Addr,
    /// `siaddr`.
    pub siaddr: Ipv4Addr,
    /// `giaddr`.
    pub giaddr: Ipv4Addr,
    /// `chaddr`, all 16 bytes.
    pub chaddr: [u8; 16],
    /// `sname`.
    pub sname: BootField<SNAME_LEN>,
    /// `file`.
    pub file: BootField<FILE_LEN>,
    /// Magic cookie + options, or raw vendor bytes.
    pub vendor: Vendor,
}

impl Default for Message {
    fn default() -> Message {
        Message {
            op: OpCode::Request,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 0,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr: [0; 16],
            sname: BootField::default(),
            file: BootField::default(),
            vendor: Vendor::default(),
        }
    }
}

fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[..N]);
    a
}

impl Message {
    /// Parses a checked packet. Options in `file`/`sname` are parsed when
    /// the main options area carries option 52 (first byte of its joined
    /// instances) with bit 1 (file) or bit 2 (sname) set, as ISC reads it;
    /// otherwise the fields stay bytes.
    pub fn parse<T: AsRef<[u8]>>(packet: &DhcpPacket<T>) -> Result<Message> {
        packet.check_len()?;
        let vendor = match packet.options_area() {
            Some(area) => Vendor::Options(OptionList::parse(area, Area::Options, field::OPTIONS)?),
            None => Vendor::Raw(packet.vendor_area().to_vec()),
        };
        let overload = match &vendor {
            Vendor::Options(list) => overload_value(list),
            Vendor::Raw(_) => None,
        };
        // As ISC: bit 1 of option 52 = `file`, bit 2 = `sname`.
        let v = overload.unwrap_or(0);
        let (in_file, in_sname) = (v & 1 != 0, v & 2 != 0);
        let file = if in_file {
            BootField::Options(OptionList::parse(
                packet.file(),
                Area::File,
                field::FILE.start,
            )?)
        } else {
            BootField::Bytes(array(packet.file()))
        };
        let sname = if in_sname {
            BootField::Options(OptionList::parse(
                packet.sname(),
                Area::Sname,
                field::SNAME.start,
            )?)
        } else {
            BootField::Bytes(array(packet.sname()))
        };
        Ok(Message {
            op: OpCode::from(packet.op()),
            htype: packet.htype(),
            hlen: packet.hlen(),
            hops: packet.hops(),
            xid: packet.xid(),
            secs: packet.secs(),
            flags: packet.flags(),
            ciaddr: packet.ciaddr(),
            yiaddr: packet.yiaddr(),
            siaddr: packet.siaddr(),
            giaddr: packet.giaddr(),
            chaddr: array(packet.chaddr()),
            sname,
            file,
            vendor,
        })
    }

    /// Parses a message from bytes (`DhcpPacket::new_checked` + `parse`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Message> {
        Message::parse(&DhcpPacket::new_checked(bytes)?)
    }

    /// Length of the emitted message.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match &self.vendor {
                Vendor::Options(list) => MAGIC_COOKIE.len() + list.written_len(),
                Vendor::Raw(raw) => raw.len(),
            }
    }

    /// Writes the message into the first [`buffer_len`](Self::buffer_len)
    /// bytes of `packet`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut DhcpPacket<T>) -> Result<()> {
        let needed = self.buffer_len();
        if packet.len() < needed {
            return Err(WireError::BufferTooSmall {
                len: packet.len(),
                needed,
            });
        }
        packet.set_op(u8::from(self.op));
        packet.set_htype(self.htype);
        packet.set_hlen(self.hlen);
        packet.set_hops(self.hops);
        packet.set_xid(self.xid);
        packet.set_secs(self.secs);
        packet.set_flags(self.flags);
        packet.set_ciaddr(self.ciaddr);
        packet.set_yiaddr(self.yiaddr);
        packet.set_siaddr(self.siaddr);
        packet.set_giaddr(self.giaddr);
        packet.chaddr_mut().copy_from_slice(&self.chaddr);
        self.sname.write(packet.sname_mut(), Area::Sname)?;
        self.file.write(packet.file_mut(), Area::File)?;
        let vendor = packet.vendor_area_mut();
        match &self.vendor {
            Vendor::Options(list) => {
                vendor[..4].copy_from_slice(&MAGIC_COOKIE);
                list.write(&mut vendor[4..]);
            }
            Vendor::Raw(raw) => vendor[..raw.len()].copy_from_slice(raw),
        }
        Ok(())
    }

    /// Emits into a new vector of exactly [`buffer_len`](Self::buffer_len) bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0; self.buffer_len()];
        self.emit(&mut DhcpPacket::new_unchecked(&mut buf[..]))?;
        Ok(buf)
    }

    /// The main options list, if the message has the magic cookie.
    pub fn option_list(&self) -> Option<&OptionList> {
        match &self.vendor {
            Vendor::Options(l) => Some(l),
            Vendor::Raw(_) => None,
        }
    }

    /// Every option instance in RFC 3396 order: options area, then `file`,
    /// then `sname` (when overloaded). Stops at each area's end option.
    pub fn raw_options(&self) -> impl Iterator<Item = &RawOption> + '_ {
        let areas = [
            self.option_list(),
            self.file.options(),
            self.sname.options(),
        ];
        areas.into_iter().flatten().flat_map(|l| {
            l.entries
                .iter()
                .take_while(|e| !matches!(e, Entry::End))
                .filter_map(|e| match e {
                    Entry::Option(o) => Some(o),
                    _ => None,
                })
        })
    }

    /// The data of option `code`, all instances joined (RFC 3396), or `None`
    /// if absent.
    pub fn option(&self, code: u8) -> Option<Vec<u8>> {
        self.option_data(code).map(Cow::into_owned)
    }

    /// [`Message::option`] without a copy when the option has one instance
    /// (the usual case): the data is borrowed from the message, and only
    /// split options (RFC 3396) are joined into a new vector.
    pub fn option_data(&self, code: u8) -> Option<Cow<'_, [u8]>> {
        let mut data: Option<Cow<'_, [u8]>> = None;
        for o in self.raw_options().filter(|o| o.code == code) {
            match &mut data {
                None => data = Some(Cow::Borrowed(&o.data)),
                Some(d) => d.to_mut().extend_from_slice(&o.data),
            }
        }
        data
    }

    /// All options, instances of a code joined (RFC 3396), in order of first
    /// appearance.
    pub fn joined_options(&self) -> Vec<DhcpOption> {
        let mut out: Vec<DhcpOption> = Vec::new();
        for o in self.raw_options() {
            match out.iter_mut().find(|d| d.code == o.code) {
                Some(d) => d.data.extend_from_slice(&o.data),
                None => out.push(DhcpOption {
                    code: o.code,
                    data: o.data.to_vec(),
                }),
            }
        }
        out
    }

    /// The DHCP message type (option 53), `None` for BOOTP.
    pub fn message_type(&self) -> Option<MessageType> {
        let data = self.option_data(MESSAGE_TYPE)?;
        data.first().map(|&b| MessageType::from(b))
    }

    /// The client hardware address: `chaddr[..min(hlen, 16)]`.
    pub fn client_hardware_address(&self) -> &[u8] {
        &self.chaddr[..usize::from(self.hlen).min(16)]
    }
}

fn overload_value(list: &OptionList) -> Option<u8> {
    list.entries
        .iter()
        .take_while(|e| !matches!(e, Entry::End))
        .find_map(|e| match e {
            Entry::Option(o) if o.code == OPTION_OVERLOAD => o.data.first().copied(),
            _ => None,
        })
}

/// Lays logical options out in the given order (an order-preserving,
/// lossless layout; a server answering a client should use
/// [`crate::order::build_reply_options`], which reproduces ISC's choice and
/// placement, including moving options that only fit `file`/`sname`). It
/// matches ISC when the options need no reordering: long values are split into 255-byte instances (RFC 3396); when the
/// options area (of `capacity` bytes, magic cookie excluded) is too small,
/// it is filled to its last byte — splitting the option that crosses the
/// boundary — with option 52 last, and the rest continues in `file`, then
/// `sname`, each closed by an end option and zero-padded.
///
/// Returns the three areas (options, file, sname); `file`/`sname` are `None`
/// when not needed. Fails with [`WireError::AreaOverflow`] when everything
/// does not fit.
pub fn layout_options(
    options: &[DhcpOption],
    capacity: usize,
) -> Result<(OptionList, Option<OptionList>, Option<OptionList>)> {
    let total: usize = options
        .iter()
        .map(|o| o.split().iter().map(|i| 2 + i.data.len()).sum::<usize>())
        .sum();
    if total < capacity {
        return Ok((
            OptionList::with_end(options.iter().flat_map(DhcpOption::split)),
            None,
            None,
        ));
    }
    // The options as one stream cut into areas; an option crossing an area
    // boundary is split there, and every instance holds at most 255 bytes.
    let caps = [capacity.saturating_sub(3), FILE_LEN - 1, SNAME_LEN - 1];
    let mut lists: Vec<Vec<RawOption>> = vec![Vec::new(); 3];
    let mut area = 0;
    let mut room = caps[0];
    for opt in options {
        let mut data: &[u8] = &opt.data;
        loop {
            if room >= 3 || (room >= 2 && data.is_empty()) {
                let n = data.len().min(255).min(room - 2);
                let (head, tail) = data.split_at(n);
                lists[area].push(RawOption {
                    code: opt.code,
                    data: OptData::from_slice(head),
                });
                room -= 2 + n;
                data = tail;
                if data.is_empty() {
                    break;
                }
                continue;
            }
            area += 1;
            let Some(&cap) = caps.get(area) else {
                return Err(WireError::AreaOverflow {
                    area: Area::Sname,
                    len: total,
                    capacity: SNAME_LEN,
                });
            };
            room = cap;
        }
    }
    let overload = if area >= 2 { 3 } else { 1 };
    let mut lists = lists.into_iter();
    let mut main: Vec<Entry> = lists
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(Entry::Option)
        .collect();
    main.push(Entry::Option(RawOption {
        code: OPTION_OVERLOAD,
        data: OptData::from_slice(&[overload]),
    }));
    let used: usize = main
        .iter()
        .map(|e| match e {
            Entry::Option(o) => 2 + o.data.len(),
            _ => 1,
        })
        .sum();
    if used < capacity {
        main.push(Entry::End);
    }
    let file = Some(OptionList::with_end(lists.next().unwrap_or_default()));
    let sname = lists.next().filter(|_| area >= 2).map(OptionList::with_end);
    Ok((
        OptionList {
            entries: main,
            trailer: Cow::Borrowed(&[]),
        },
        file,
        sname,
    ))
}
