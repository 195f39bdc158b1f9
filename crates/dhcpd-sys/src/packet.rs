//! One `AF_PACKET` socket per served interface, as ISC's LPF code on Linux: it receives DHCP
//! requests before the IP layer (so a host firewall that never opened 67/udp does not silently
//! break the server) and sends whole Ethernet frames to a client's MAC address, so a reply
//! reaches a client that has no address yet without an ARP entry on this host.
//!
//! The socket is opened for `ETH_P_IP` (our own outgoing frames are not looped back), bound to
//! the interface, filtered in the kernel by ISC's BPF program (IPv4, UDP, not a fragment,
//! destination port 67 or `-p`), and asks for `PACKET_AUXDATA` so that frames whose checksum
//! the kernel has not filled in yet, and VLAN-tagged frames seen on the parent interface, are
//! recognised.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::libc;
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

/// What the kernel told us about a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameMeta {
    /// Bytes received.
    pub len: usize,
    /// The kernel has not computed the checksums yet (offload): do not verify them.
    pub csum_not_ready: bool,
    /// The frame carried an 802.1Q tag (stripped by the kernel); ISC ignores such frames on
    /// the parent interface, since they belong to a VLAN interface.
    pub vlan_tci: Option<u16>,
}

// Classic BPF opcodes (linux/filter.h).
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const LD_H_IND: u16 = 0x48;
const LDX_B_MSH: u16 = 0xb1;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

/// ISC's DHCP filter as (code, jt, jf, k): accept IPv4/UDP frames that are not fragments
/// and go to `port`.
pub fn dhcp_filter(port: u16) -> [(u16, u8, u8, u32); 11] {
    [
        (LD_H_ABS, 0, 0, 12),           // ethertype
        (JEQ_K, 0, 8, 0x0800),          // IPv4, else drop
        (LD_B_ABS, 0, 0, 23),           // IP protocol
        (JEQ_K, 0, 6, 17),              // UDP, else drop
        (LD_H_ABS, 0, 0, 20),           // flags + fragment offset
        (JSET_K, 4, 0, 0x1fff),         // a fragment: drop
        (LDX_B_MSH, 0, 0, 14),          // X = IP header length
        (LD_H_IND, 0, 0, 16),           // UDP destination port
        (JEQ_K, 0, 1, u32::from(port)), // our port, else drop
        (RET_K, 0, 0, 0x0004_0000),     // accept the whole frame
        (RET_K, 0, 0, 0),               // drop
    ]
}

/// A packet socket bound to one interface.
#[derive(Debug)]
pub struct PacketSocket {
    sock: Socket,
    ifindex: u32,
}

const ETH_P_IP: u16 = 0x0800;

impl PacketSocket {
    /// Opens the socket on interface `ifindex`, receiving frames for UDP `port`.
    /// Needs CAP_NET_RAW (only while opening).
    pub fn open(ifindex: u32, port: u16) -> io::Result<Self> {
        let proto = Protocol::from(i32::from(ETH_P_IP.to_be()));
        let sock = Socket::new(Domain::PACKET, Type::RAW, Some(proto))?;
        sock.set_nonblocking(true)?;
        let prog: Vec<SockFilter> = dhcp_filter(port)
            .iter()
            .map(|&(code, jt, jf, k)| SockFilter::new(code, jt, jf, k))
            .collect();
        sock.attach_filter(&prog)?;
        set_packet_auxdata(sock.as_raw_fd())?;
        bind_ifindex(sock.as_raw_fd(), ifindex)?;
        Ok(PacketSocket { sock, ifindex })
    }

    /// The interface this socket is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Receives one frame into `buf`; `Ok(None)` when nothing is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<FrameMeta>> {
        match recv_with_auxdata(self.sock.as_raw_fd(), buf) {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A second handle on the same socket (`dup`), e.g. for another thread to send on.
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(PacketSocket {
            sock: self.sock.try_clone()?,
            ifindex: self.ifindex,
        })
    }

    /// Sends one complete Ethernet frame out of the interface.
    pub fn send(&self, frame: &[u8]) -> io::Result<usize> {
        self.sock.send(frame)
    }
}

impl Source for PacketSocket {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).deregister(r)
    }
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

#[allow(unsafe_code)]
fn set_packet_auxdata(fd: RawFd) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: `fd` is an open socket; the option value points to a live c_int of the size
    // we pass.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_AUXDATA,
            (&raw const one).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    cvt(rc).map(drop)
}

#[allow(unsafe_code)]
fn bind_ifindex(fd: RawFd, ifindex: u32) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = ETH_P_IP.to_be();
    sll.sll_ifindex = i32::try_from(ifindex)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index too large"))?;
    // SAFETY: `fd` is an open AF_PACKET socket and `sll` a fully initialised sockaddr_ll whose
    // size we pass.
    let rc = unsafe {
        libc::bind(
            fd,
            (&raw const sll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    cvt(rc).map(drop)
}

#[allow(unsafe_code)]
fn recv_with_auxdata(fd: RawFd, buf: &mut [u8]) -> io::Result<FrameMeta> {
    // Room for one tpacket_auxdata control message (aligned generously).
    let mut cbuf = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&cbuf);
    // SAFETY: every pointer in `msg` points to live buffers of the stated lengths, which
    // outlive the call.
    let n = unsafe { libc::recvmsg(fd, &raw mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut meta = FrameMeta {
        len: n as usize,
        ..FrameMeta::default()
    };
    // SAFETY: `msg` was filled in by recvmsg; CMSG_FIRSTHDR/NXTHDR only walk inside
    // msg_control as bounded by msg_controllen.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&raw const msg) };
    while !cmsg.is_null() {
        // SAFETY: `cmsg` is non-null and points inside `cbuf` (see above).
        let hdr = unsafe { &*cmsg };
        if hdr.cmsg_level == libc::SOL_PACKET
            && hdr.cmsg_type == libc::PACKET_AUXDATA
            && hdr.cmsg_len as usize
                >= std::mem::size_of::<libc::cmsghdr>()
                    + std::mem::size_of::<libc::tpacket_auxdata>()
        {
            // SAFETY: the kernel wrote a tpacket_auxdata after this header (length checked);
            // read_unaligned copes with any alignment.
            let aux: libc::tpacket_auxdata =
                unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast()) };
            meta.csum_not_ready = aux.tp_status & libc::TP_STATUS_CSUMNOTREADY != 0;
            if aux.tp_status & libc::TP_STATUS_VLAN_VALID != 0 || aux.tp_vlan_tci != 0 {
                meta.vlan_tci = Some(aux.tp_vlan_tci);
            }
        }
        // SAFETY: as for CMSG_FIRSTHDR.
        cmsg = unsafe { libc::CMSG_NXTHDR(&raw const msg, cmsg) };
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program of the kinds used above on a frame.
    fn run(prog: &[(u16, u8, u8, u32)], pkt: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let byte = |i: usize| u32::from(pkt.get(i).copied().unwrap_or(0));
        let half = |i: usize| (byte(i) << 8) | byte(i + 1);
        loop {
            let (code, jt, jf, k) = prog[pc];
            pc += 1;
            match code {
                LD_H_ABS => a = half(k as usize),
                LD_B_ABS => a = byte(k as usize),
                LD_H_IND => a = half((x + k) as usize),
                LDX_B_MSH => x = 4 * (byte(k as usize) & 0xf),
                JEQ_K => pc += usize::from(if a == k { jt } else { jf }),
                JSET_K => pc += usize::from(if a & k != 0 { jt } else { jf }),
                RET_K => return k,
                _ => panic!("opcode {code:#x}"),
            }
        }
    }

    fn frame(ethertype: u16, proto: u8, frag: u16, ihl: u8, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 14 + usize::from(ihl) * 4 + 8];
        f[12..14].copy_from_slice(&ethertype.to_be_bytes());
        f[14] = 0x40 | ihl;
        f[20..22].copy_from_slice(&frag.to_be_bytes());
        f[23] = proto;
        let udp = 14 + usize::from(ihl) * 4;
        f[udp + 2..udp + 4].copy_from_slice(&dport.to_be_bytes());
        f
    }

    #[test]
    fn filter_accepts_only_unfragmented_udp_to_our_port() {
        let p = dhcp_filter(67);
        assert_ne!(run(&p, &frame(0x0800, 17, 0, 5, 67)), 0);
        assert_ne!(
            run(&p, &frame(0x0800, 17, 0x4000, 6, 67)),
            0,
            "DF set, IP options"
        );
        assert_eq!(run(&p, &frame(0x0800, 17, 0, 5, 68)), 0, "other port");
        assert_eq!(run(&p, &frame(0x0800, 6, 0, 5, 67)), 0, "TCP");
        assert_eq!(run(&p, &frame(0x0806, 17, 0, 5, 67)), 0, "ARP");
        assert_eq!(run(&p, &frame(0x0800, 17, 0x2001, 5, 67)), 0, "fragment");
        assert_ne!(run(&dhcp_filter(1067), &frame(0x0800, 17, 0, 5, 1067)), 0);
    }

    #[test]
    fn receives_a_datagram_on_loopback_through_the_filter() {
        assert!(
            nix::unistd::Uid::effective().is_root(),
            "this test opens an AF_PACKET socket: run the tests as root (CAP_NET_RAW)"
        );
        let lo = crate::iface::interfaces()
            .into_iter()
            .find(|i| i.loopback)
            .expect("loopback");
        let port = 40000 + (std::process::id() % 20000) as u16;
        let sock = PacketSocket::open(lo.index, port).expect("open packet socket");
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        // One datagram to another port (must be filtered out), then one to ours.
        tx.send_to(b"not-for-us", ("127.0.0.1", port + 1))
            .expect("send");
        tx.send_to(b"hello-dhcp", ("127.0.0.1", port))
            .expect("send");
        let mut buf = [0u8; 2048];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let meta = loop {
            if let Some(m) = sock.recv(&mut buf).expect("recv") {
                break m;
            }
            assert!(std::time::Instant::now() < deadline, "no frame within 2 s");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(
            buf[..meta.len].ends_with(b"hello-dhcp"),
            "{:?}",
            &buf[..meta.len]
        );
        assert_eq!(meta.vlan_tci, None);
    }
}
