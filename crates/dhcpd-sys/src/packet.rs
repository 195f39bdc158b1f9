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

/// The receive buffer asked for: room for a few thousand requests, so that a burst (many
/// clients after a power cut, or the frames that arrive while the loop coalesces or reloads)
/// waits in the kernel instead of being dropped. The kernel's default is ~200 KiB, a few
/// hundred small frames.
const RCVBUF: usize = 4 << 20;

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
        // Beyond net.core.rmem_max only with CAP_NET_ADMIN (the server opens its sockets as
        // root); otherwise as much as rmem_max allows.
        if nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::RcvBufForce, &RCVBUF)
            .is_err()
        {
            let _ = sock.set_recv_buffer_size(RCVBUF);
        }
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

    /// Receives as many waiting frames as `batch` has room for with one `recvmmsg`; returns
    /// how many (0 when nothing is waiting). Fewer than [`RecvBatch::capacity`] means the
    /// queue was empty at that moment. Frames longer than [`RecvBatch::SLOT`] bytes are
    /// counted in [`RecvBatch::truncated`] and left out.
    pub fn recv_many(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        match recv_many_with_auxdata(self.sock.as_raw_fd(), batch) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
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

    /// Sends complete Ethernet frames out of the interface, in order, with as few system calls
    /// as possible; returns the frames refused (index, error). See [`crate::sendmany`].
    pub fn send_many(&self, frames: &[&[u8]]) -> Vec<(usize, io::Error)> {
        let msgs: Vec<crate::sendmany::Datagram<'_>> = frames
            .iter()
            .map(|f| crate::sendmany::Datagram { to: None, data: f })
            .collect();
        crate::sendmany::send_many(&self.sock, &msgs)
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

/// Buffers for [`PacketSocket::recv_many`]: a fixed number of frame slots, reused.
#[derive(Debug)]
pub struct RecvBatch {
    data: Vec<u8>,
    meta: Vec<FrameMeta>,
    /// Room for one tpacket_auxdata control message per slot (aligned generously).
    cbufs: Vec<[u64; 16]>,
    /// The slots that hold a received frame after the last call, in arrival order.
    filled: Vec<usize>,
    /// Frames dropped because they did not fit a slot (since the batch was made).
    pub truncated: u64,
}

impl RecvBatch {
    /// Bytes per slot: more than any DHCP frame (ISC reads at most 4,095).
    pub const SLOT: usize = 16 * 1024;

    /// Room for `slots` frames.
    pub fn new(slots: usize) -> Self {
        let slots = slots.clamp(1, 1024);
        RecvBatch {
            data: vec![0; slots * Self::SLOT],
            meta: vec![FrameMeta::default(); slots],
            cbufs: vec![[0; 16]; slots],
            filled: Vec::with_capacity(slots),
            truncated: 0,
        }
    }

    /// How many frames one call can receive.
    pub fn capacity(&self) -> usize {
        self.meta.len()
    }

    /// The frames received by the last call, with what the kernel said about each.
    pub fn frames(&self) -> impl Iterator<Item = (&[u8], FrameMeta)> + '_ {
        self.filled.iter().filter_map(|&i| {
            let m = *self.meta.get(i)?;
            let start = i * Self::SLOT;
            Some((self.data.get(start..start + m.len)?, m))
        })
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
    // SAFETY: `msg` was filled in by recvmsg and its control pointers still point into `cbuf`.
    Ok(unsafe { frame_meta(&raw const msg, n as usize) })
}

/// What the control messages of a received `msg` say about its frame of `len` bytes.
///
/// # Safety
/// `msg` must point to a msghdr filled in by the kernel whose `msg_control` still points to
/// the live buffer of `msg_controllen` bytes it was received with.
#[allow(unsafe_code)]
unsafe fn frame_meta(msg: *const libc::msghdr, len: usize) -> FrameMeta {
    let mut meta = FrameMeta {
        len,
        ..FrameMeta::default()
    };
    // SAFETY: by the contract above; CMSG_FIRSTHDR/NXTHDR only walk inside msg_control as
    // bounded by msg_controllen.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: `cmsg` is non-null and points inside the control buffer (see above).
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
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    meta
}

#[allow(unsafe_code)]
fn recv_many_with_auxdata(fd: RawFd, batch: &mut RecvBatch) -> io::Result<usize> {
    batch.filled.clear();
    let RecvBatch {
        data, meta, cbufs, ..
    } = batch;
    let mut iovs: Vec<libc::iovec> = data
        .chunks_exact_mut(RecvBatch::SLOT)
        .map(|c| libc::iovec {
            iov_base: c.as_mut_ptr().cast(),
            iov_len: c.len(),
        })
        .collect();
    let mut hdrs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .zip(cbufs.iter_mut())
        .map(|(iov, cbuf)| {
            // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = std::ptr::from_mut(iov);
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = cbuf.as_mut_ptr().cast();
            h.msg_hdr.msg_controllen = std::mem::size_of_val(cbuf);
            h
        })
        .collect();
    let vlen = u32::try_from(hdrs.len()).unwrap_or(1);
    // SAFETY: `hdrs` holds `vlen` headers whose iovec and control pointers point to live
    // buffers (`batch.data` slots, `cbufs`) of the stated lengths, all outliving the call; no
    // timeout is passed.
    let n = unsafe {
        libc::recvmmsg(
            fd,
            hdrs.as_mut_ptr(),
            vlen,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    for (i, h) in hdrs.iter().take(n).enumerate() {
        if h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
            batch.truncated += 1;
            continue;
        }
        // SAFETY: the kernel filled in this header; its control pointer still points into
        // `cbufs`, which is alive.
        let m = unsafe { frame_meta(&raw const h.msg_hdr, h.msg_len as usize) };
        if let Some(slot) = meta.get_mut(i) {
            *slot = m;
            batch.filled.push(i);
        }
    }
    Ok(n)
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

    #[test]
    fn receives_several_frames_with_one_call() {
        assert!(
            nix::unistd::Uid::effective().is_root(),
            "this test opens an AF_PACKET socket: run the tests as root (CAP_NET_RAW)"
        );
        let lo = crate::iface::interfaces()
            .into_iter()
            .find(|i| i.loopback)
            .expect("loopback");
        let port = 40000 + ((std::process::id() + 7) % 20000) as u16;
        let sock = PacketSocket::open(lo.index, port).expect("open packet socket");
        let mut batch = RecvBatch::new(4);
        assert_eq!(sock.recv_many(&mut batch).expect("empty"), 0);
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        for i in 0..6u8 {
            tx.send_to(&[b'd', b'h', b'c', b'p', i], ("127.0.0.1", port))
                .expect("send");
        }
        let mut got = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while got.len() < 6 {
            let n = sock.recv_many(&mut batch).expect("recv");
            assert!(n <= batch.capacity());
            got.extend(batch.frames().map(|(f, m)| {
                assert_eq!(m.len, f.len());
                f.last().copied()
            }));
            assert!(
                std::time::Instant::now() < deadline,
                "frames missing: {got:?}"
            );
        }
        assert_eq!(got, (0..6u8).map(Some).collect::<Vec<_>>(), "all, in order");
    }
}
