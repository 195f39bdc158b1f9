//! Ethernet (optionally 802.1Q-tagged) / IPv4 / UDP frames for the raw
//! (packet-socket) path, with ISC dhcpd's acceptance rules and header
//! choices.
//!
//! * [`parse_frame`] reads a received frame into a [`Frame`]: MAC addresses,
//!   VLAN tag, IP addresses, ports and the UDP payload. It rejects what ISC's
//!   LPF receive path rejects — non-IPv4, non-UDP, fragments, lengths that
//!   do not fit the frame, a bad IPv4 header checksum, and (when
//!   [`RxChecksums::udp`] is set, i.e. the kernel did not report the
//!   checksum as "not ready") a bad UDP checksum; a UDP checksum of 0 means
//!   "none" and is accepted. Errors are typed and carry the byte offset in
//!   the frame.
//! * [`emit_frame`] / [`build_frame`] write a reply frame with the header
//!   fields ISC's `assemble_udp_ip_header` uses: IPv4 TOS 0x10 (low delay),
//!   identification 0, no DF, TTL 128, and both checksums filled in. Given
//!   the same DHCP payload, the frame is byte-identical to ISC's.
//!
//! As in ISC, the UDP length is checked against the received buffer (not
//! against the IP total length), and a computed UDP checksum of 0 is sent as
//! 0 (ISC does not substitute 0xffff).
//!
//! Sans-IO: the functions work on byte slices; sending and receiving is the
//! caller's business.

use std::fmt;
use std::net::Ipv4Addr;

use pnet_packet::Packet;
use pnet_packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::{self, Ipv4Packet, MutableIpv4Packet};
use pnet_packet::udp::{self, MutableUdpPacket, UdpPacket};
use pnet_packet::vlan::VlanPacket;

/// Length of an untagged Ethernet header.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// Length of an 802.1Q tag.
pub const VLAN_TAG_LEN: usize = 4;
/// Length of the IPv4 header ISC sends (no options).
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of the UDP header.
pub const UDP_HEADER_LEN: usize = 8;
/// IPv4 type of service ISC sets on replies (`IPTOS_LOWDELAY`).
pub const ISC_TOS: u8 = 0x10;
/// IPv4 time to live ISC sets on replies.
pub const ISC_TTL: u8 = 128;

/// An 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (12 bits).
    pub vid: u16,
}

/// What the receive path verifies; like smoltcp's checksum capabilities,
/// for interfaces that offload checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxChecksums {
    /// Verify a non-zero UDP checksum. ISC skips this when the packet
    /// socket reports `TP_STATUS_CSUMNOTREADY` (checksum offload).
    pub udp: bool,
}

impl Default for RxChecksums {
    fn default() -> RxChecksums {
        RxChecksums { udp: true }
    }
}

/// A received IPv4/UDP datagram and its link-layer addressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Ethernet source address.
    pub src_mac: [u8; 6],
    /// Ethernet destination address.
    pub dst_mac: [u8; 6],
    /// The 802.1Q tag, if the frame carried one.
    pub vlan: Option<VlanTag>,
    /// IPv4 source address.
    pub src_ip: Ipv4Addr,
    /// IPv4 destination address.
    pub dst_ip: Ipv4Addr,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
    /// The UDP payload (UDP length minus 8 bytes).
    pub payload: &'a [u8],
}

/// Why a frame was rejected (or could not be built). `offset` is the byte
/// offset in the frame of the header or field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame ends inside a header.
    Truncated {
        /// Offset of the header.
        offset: usize,
        /// Bytes the header needs from `offset`.
        needed: usize,
        /// Bytes available from `offset`.
        available: usize,
    },
    /// The (inner) ethertype is not IPv4.
    NotIpv4 {
        /// Offset of the ethertype field.
        offset: usize,
        /// The ethertype.
        ethertype: u16,
    },
    /// The IP version field is not 4.
    IpVersion {
        /// Offset of the IP header.
        offset: usize,
        /// The version.
        version: u8,
    },
    /// The IP header length is below 20 bytes or past the frame.
    IpHeaderLength {
        /// Offset of the IP header.
        offset: usize,
        /// The header length in bytes.
        len: usize,
    },
    /// The IP total length is past the end of the frame.
    IpTotalLength {
        /// Offset of the IP header.
        offset: usize,
        /// The total length field.
        len: usize,
    },
    /// The datagram is a fragment (more-fragments set or non-zero offset).
    Fragment {
        /// Offset of the IP header.
        offset: usize,
        /// The flags and fragment offset word.
        flags_offset: u16,
    },
    /// The IPv4 header checksum does not verify.
    IpChecksum {
        /// Offset of the IP header.
        offset: usize,
    },
    /// The IP protocol is not UDP.
    NotUdp {
        /// Offset of the IP header.
        offset: usize,
        /// The protocol number.
        protocol: u8,
    },
    /// The UDP length is below 8 or past the end of the frame.
    UdpLength {
        /// Offset of the UDP header.
        offset: usize,
        /// The UDP length field.
        len: usize,
    },
    /// The UDP checksum is non-zero and does not verify.
    UdpChecksum {
        /// Offset of the UDP header.
        offset: usize,
    },
    /// Building: the output buffer is too small.
    BufferTooSmall {
        /// Buffer length given.
        len: usize,
        /// Length needed.
        needed: usize,
    },
    /// Building: the payload does not fit an IPv4 datagram.
    PayloadTooLong {
        /// Payload length.
        len: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "frame truncated at offset {offset}: {needed} bytes needed, {available} left"
            ),
            FrameError::NotIpv4 { offset, ethertype } => {
                write!(
                    f,
                    "ethertype {ethertype:#06x} at offset {offset} is not IPv4"
                )
            }
            FrameError::IpVersion { offset, version } => {
                write!(f, "IP version {version} at offset {offset}")
            }
            FrameError::IpHeaderLength { offset, len } => {
                write!(f, "bad IP header length {len} at offset {offset}")
            }
            FrameError::IpTotalLength { offset, len } => {
                write!(
                    f,
                    "IP total length {len} at offset {offset} exceeds the frame"
                )
            }
            FrameError::Fragment {
                offset,
                flags_offset,
            } => write!(
                f,
                "IP fragment (flags/offset {flags_offset:#06x}) at offset {offset}"
            ),
            FrameError::IpChecksum { offset } => {
                write!(f, "bad IP header checksum at offset {offset}")
            }
            FrameError::NotUdp { offset, protocol } => {
                write!(f, "IP protocol {protocol} at offset {offset} is not UDP")
            }
            FrameError::UdpLength { offset, len } => {
                write!(f, "bad UDP length {len} at offset {offset}")
            }
            FrameError::UdpChecksum { offset } => {
                write!(f, "bad UDP checksum at offset {offset}")
            }
            FrameError::BufferTooSmall { len, needed } => {
                write!(f, "buffer of {len} bytes is too small; {needed} needed")
            }
            FrameError::PayloadTooLong { len } => {
                write!(
                    f,
                    "UDP payload of {len} bytes does not fit an IPv4 datagram"
                )
            }
        }
    }
}

impl std::error::Error for FrameError {}

fn truncated(offset: usize, needed: usize, frame: &[u8]) -> FrameError {
    FrameError::Truncated {
        offset,
        needed,
        available: frame.len().saturating_sub(offset),
    }
}

fn mac(b: &[u8]) -> [u8; 6] {
    let mut m = [0; 6];
    m.copy_from_slice(&b[..6]);
    m
}

/// Parses a received Ethernet frame (no FCS) carrying IPv4/UDP; see the
/// module documentation for what is rejected.
pub fn parse_frame(frame: &[u8], checks: RxChecksums) -> Result<Frame<'_>, FrameError> {
    let eth = EthernetPacket::new(frame).ok_or(truncated(0, ETHERNET_HEADER_LEN, frame))?;
    let dst_mac = mac(&frame[0..6]);
    let src_mac = mac(&frame[6..12]);
    let mut ip_start = ETHERNET_HEADER_LEN;
    let mut vlan = None;
    let mut ethertype = eth.get_ethertype();
    if ethertype == EtherTypes::Vlan {
        let tag = VlanPacket::new(eth.payload()).ok_or(truncated(
            ETHERNET_HEADER_LEN,
            VLAN_TAG_LEN,
            frame,
        ))?;
        vlan = Some(VlanTag {
            pcp: tag.get_priority_code_point().0,
            dei: tag.get_drop_eligible_indicator() != 0,
            vid: tag.get_vlan_identifier(),
        });
        ethertype = tag.get_ethertype();
        ip_start += VLAN_TAG_LEN;
    }
    if ethertype != EtherTypes::Ipv4 {
        return Err(FrameError::NotIpv4 {
            offset: ip_start - 2,
            ethertype: ethertype.0,
        });
    }
    let ip_bytes = &frame[ip_start..];
    let ip = Ipv4Packet::new(ip_bytes).ok_or(truncated(ip_start, IPV4_HEADER_LEN, frame))?;
    if ip.get_version() != 4 {
        return Err(FrameError::IpVersion {
            offset: ip_start,
            version: ip.get_version(),
        });
    }
    let ihl = usize::from(ip.get_header_length()) * 4;
    if ihl < IPV4_HEADER_LEN || ihl > ip_bytes.len() {
        return Err(FrameError::IpHeaderLength {
            offset: ip_start,
            len: ihl,
        });
    }
    let total = usize::from(ip.get_total_length());
    if total > ip_bytes.len() {
        return Err(FrameError::IpTotalLength {
            offset: ip_start,
            len: total,
        });
    }
    let flags_offset = u16::from_be_bytes([ip_bytes[6], ip_bytes[7]]);
    // More-fragments bit or a non-zero fragment offset.
    if flags_offset & 0x3fff != 0 {
        return Err(FrameError::Fragment {
            offset: ip_start,
            flags_offset,
        });
    }
    if internet_checksum(&ip_bytes[..ihl], 0) != 0 {
        return Err(FrameError::IpChecksum { offset: ip_start });
    }
    if ip.get_next_level_protocol() != IpNextHeaderProtocols::Udp {
        return Err(FrameError::NotUdp {
            offset: ip_start,
            protocol: ip.get_next_level_protocol().0,
        });
    }
    let udp_start = ip_start + ihl;
    let udp_bytes = &ip_bytes[ihl..];
    let udp = UdpPacket::new(udp_bytes).ok_or(truncated(udp_start, UDP_HEADER_LEN, frame))?;
    // ISC checks the UDP length against the received buffer, not against
    // the IP total length.
    let ulen = usize::from(udp.get_length());
    if ulen < UDP_HEADER_LEN || ulen > udp_bytes.len() {
        return Err(FrameError::UdpLength {
            offset: udp_start,
            len: ulen,
        });
    }
    let src_ip = ip.get_source();
    let dst_ip = ip.get_destination();
    if checks.udp && udp.get_checksum() != 0 {
        let seed = pseudo_header_sum(src_ip, dst_ip, ulen);
        if internet_checksum(&udp_bytes[..ulen], seed) != 0 {
            return Err(FrameError::UdpChecksum { offset: udp_start });
        }
    }
    Ok(Frame {
        src_mac,
        dst_mac,
        vlan,
        src_ip,
        dst_ip,
        src_port: udp.get_source(),
        dst_port: udp.get_destination(),
        payload: &udp_bytes[UDP_HEADER_LEN..ulen],
    })
}

/// The addressing of a frame to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSpec {
    /// Ethernet source (the interface's address).
    pub src_mac: [u8; 6],
    /// Ethernet destination (the client's `chaddr`, or broadcast).
    pub dst_mac: [u8; 6],
    /// An 802.1Q tag to insert (ISC never tags; for VLAN sub-interfaces the
    /// kernel does).
    pub vlan: Option<VlanTag>,
    /// IPv4 source.
    pub src_ip: Ipv4Addr,
    /// IPv4 destination.
    pub dst_ip: Ipv4Addr,
    /// UDP source port.
    pub src_port: u16,
    /// UDP destination port.
    pub dst_port: u16,
}

impl FrameSpec {
    /// Length of the frame carrying `payload_len` bytes of UDP payload.
    pub fn frame_len(&self, payload_len: usize) -> usize {
        self.header_len() + payload_len
    }

    fn header_len(&self) -> usize {
        ETHERNET_HEADER_LEN
            + if self.vlan.is_some() { VLAN_TAG_LEN } else { 0 }
            + IPV4_HEADER_LEN
            + UDP_HEADER_LEN
    }
}

/// Writes a frame carrying `payload` into the first
/// [`FrameSpec::frame_len`] bytes of `buf`, with ISC's IPv4 header choices
/// (TOS 0x10, ID 0, no DF, TTL 128) and both checksums; returns the frame
/// length.
pub fn emit_frame(spec: &FrameSpec, payload: &[u8], buf: &mut [u8]) -> Result<usize, FrameError> {
    let ip_len = IPV4_HEADER_LEN + UDP_HEADER_LEN + payload.len();
    let (Ok(ip_total), Ok(udp_len)) = (
        u16::try_from(ip_len),
        u16::try_from(UDP_HEADER_LEN + payload.len()),
    ) else {
        return Err(FrameError::PayloadTooLong { len: payload.len() });
    };
    let needed = spec.frame_len(payload.len());
    if buf.len() < needed {
        return Err(FrameError::BufferTooSmall {
            len: buf.len(),
            needed,
        });
    }
    let buf = &mut buf[..needed];
    let ip_start = needed - ip_len;
    let (link, rest) = buf.split_at_mut(ip_start);
    {
        let mut eth = MutableEthernetPacket::new(link)
            .ok_or(FrameError::BufferTooSmall { len: 0, needed })?;
        match spec.vlan {
            Some(_) => eth.set_ethertype(EtherTypes::Vlan),
            None => eth.set_ethertype(EtherTypes::Ipv4),
        }
    }
    link[0..6].copy_from_slice(&spec.dst_mac);
    link[6..12].copy_from_slice(&spec.src_mac);
    if let Some(tag) = spec.vlan {
        let tci = (u16::from(tag.pcp & 7) << 13) | (u16::from(tag.dei) << 12) | (tag.vid & 0x0fff);
        link[14..16].copy_from_slice(&tci.to_be_bytes());
        link[16..18].copy_from_slice(&EtherTypes::Ipv4.0.to_be_bytes());
    }
    let (ip_hdr, udp_bytes) = rest.split_at_mut(IPV4_HEADER_LEN);
    {
        let mut ip =
            MutableIpv4Packet::new(ip_hdr).ok_or(FrameError::BufferTooSmall { len: 0, needed })?;
        ip.set_version(4);
        ip.set_header_length(5);
        ip.set_dscp(ISC_TOS >> 2);
        ip.set_ecn(ISC_TOS & 3);
        ip.set_total_length(ip_total);
        ip.set_identification(0);
        ip.set_flags(0);
        ip.set_fragment_offset(0);
        ip.set_ttl(ISC_TTL);
        ip.set_next_level_protocol(IpNextHeaderProtocols::Udp);
        ip.set_source(spec.src_ip);
        ip.set_destination(spec.dst_ip);
        ip.set_checksum(0);
        let sum = ipv4::checksum(&ip.to_immutable());
        ip.set_checksum(sum);
    }
    udp_bytes[UDP_HEADER_LEN..].copy_from_slice(payload);
    let mut u =
        MutableUdpPacket::new(udp_bytes).ok_or(FrameError::BufferTooSmall { len: 0, needed })?;
    u.set_source(spec.src_port);
    u.set_destination(spec.dst_port);
    u.set_length(udp_len);
    u.set_checksum(0);
    // A result of 0 is sent as 0, as ISC does.
    let sum = udp::ipv4_checksum(&u.to_immutable(), &spec.src_ip, &spec.dst_ip);
    u.set_checksum(sum);
    Ok(needed)
}

/// [`emit_frame`] into a new vector.
pub fn build_frame(spec: &FrameSpec, payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0; spec.frame_len(payload.len())];
    emit_frame(spec, payload, &mut buf)?;
    Ok(buf)
}

fn pseudo_header_sum(src: Ipv4Addr, dst: Ipv4Addr, udp_len: usize) -> u32 {
    let word = |o: [u8; 4]| {
        u32::from(u16::from_be_bytes([o[0], o[1]])) + u32::from(u16::from_be_bytes([o[2], o[3]]))
    };
    // udp_len comes from a 16-bit field.
    word(src.octets()) + word(dst.octets()) + 17 + (udp_len as u32 & 0xffff)
}

/// One's-complement checksum of `data` starting from `seed`: 0 when a
/// header including its checksum field verifies.
fn internet_checksum(data: &[u8], seed: u32) -> u16 {
    let mut sum = u64::from(seed);
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // `sum` now fits 16 bits.
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FrameSpec {
        FrameSpec {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 1, 1],
            vlan: None,
            src_ip: Ipv4Addr::new(192, 0, 2, 1),
            dst_ip: Ipv4Addr::new(192, 0, 2, 100),
            src_port: 67,
            dst_port: 68,
        }
    }

    #[test]
    fn build_then_parse() {
        let payload: Vec<u8> = (0..301u16).map(|i| (i % 251) as u8).collect();
        let f = build_frame(&spec(), &payload).unwrap();
        assert_eq!(f.len(), 14 + 20 + 8 + 301);
        let p = parse_frame(&f, RxChecksums::default()).unwrap();
        assert_eq!(p.payload, &payload[..]);
        assert_eq!(p.src_port, 67);
        assert_eq!(p.dst_ip, Ipv4Addr::new(192, 0, 2, 100));
        assert_eq!(p.vlan, None);
    }

    #[test]
    fn vlan_tag_round_trips() {
        let mut s = spec();
        s.vlan = Some(VlanTag {
            pcp: 5,
            dei: true,
            vid: 42,
        });
        let f = build_frame(&s, b"hello").unwrap();
        assert_eq!(&f[12..14], &[0x81, 0x00]);
        let p = parse_frame(&f, RxChecksums::default()).unwrap();
        assert_eq!(p.vlan, s.vlan);
        assert_eq!(p.payload, b"hello");
    }

    #[test]
    fn rejects_with_offsets() {
        let good = build_frame(&spec(), b"0123456789").unwrap();
        let rx = RxChecksums::default();
        // Bad IP checksum.
        let mut f = good.clone();
        f[14 + 10] ^= 1;
        assert_eq!(
            parse_frame(&f, rx),
            Err(FrameError::IpChecksum { offset: 14 })
        );
        // Bad UDP checksum, accepted when not verified, and checksum 0 = none.
        let mut f = good.clone();
        f[42] ^= 0xff;
        assert_eq!(
            parse_frame(&f, rx),
            Err(FrameError::UdpChecksum { offset: 34 })
        );
        assert!(parse_frame(&f, RxChecksums { udp: false }).is_ok());
        f[40] = 0;
        f[41] = 0;
        assert!(parse_frame(&f, rx).is_ok());
        // Fragment (more-fragments bit), IP checksum fixed up.
        let mut f = good.clone();
        f[14 + 6] = 0x20;
        fix_ip_checksum(&mut f);
        assert!(matches!(
            parse_frame(&f, rx),
            Err(FrameError::Fragment { offset: 14, .. })
        ));
        // UDP length past the frame.
        let mut f = good.clone();
        f[38] = 0x10;
        assert_eq!(
            parse_frame(&f, rx),
            Err(FrameError::UdpLength {
                offset: 34,
                len: 0x1000 + 18
            })
        );
        // Truncated Ethernet header, not IPv4, not UDP.
        assert!(matches!(
            parse_frame(&good[..10], rx),
            Err(FrameError::Truncated { offset: 0, .. })
        ));
        let mut f = good.clone();
        f[12] = 0x86;
        f[13] = 0xdd;
        assert_eq!(
            parse_frame(&f, rx),
            Err(FrameError::NotIpv4 {
                offset: 12,
                ethertype: 0x86dd
            })
        );
        let mut f = good.clone();
        f[14 + 9] = 6;
        fix_ip_checksum(&mut f);
        assert_eq!(
            parse_frame(&f, rx),
            Err(FrameError::NotUdp {
                offset: 14,
                protocol: 6
            })
        );
        // IP total length past the frame.
        let mut f = good.clone();
        f[14 + 2] = 0x05;
        fix_ip_checksum(&mut f);
        assert!(matches!(
            parse_frame(&f, rx),
            Err(FrameError::IpTotalLength { .. })
        ));
        // Header length below 20.
        let mut f = good;
        f[14] = 0x44;
        assert!(matches!(
            parse_frame(&f, rx),
            Err(FrameError::IpHeaderLength {
                offset: 14,
                len: 16
            })
        ));
    }

    fn fix_ip_checksum(f: &mut [u8]) {
        f[24] = 0;
        f[25] = 0;
        let sum = internet_checksum(&f[14..34], 0);
        f[24..26].copy_from_slice(&sum.to_be_bytes());
    }

    #[test]
    fn checksum_matches_pnet() {
        let data: Vec<u8> = (0..77u8).collect();
        assert_eq!(
            internet_checksum(&data, 0),
            pnet_packet::util::checksum(&data, 1000)
        );
    }

    #[test]
    fn small_buffer_is_an_error() {
        let mut buf = [0u8; 20];
        assert_eq!(
            emit_frame(&spec(), b"x", &mut buf),
            Err(FrameError::BufferTooSmall {
                len: 20,
                needed: 43
            })
        );
        assert!(matches!(
            build_frame(&spec(), &vec![0; 70_000]),
            Err(FrameError::PayloadTooLong { .. })
        ));
    }
}
