//! What goes into the engine and what comes out of it. The engine never touches a socket, a
//! file or the clock: the server hands it datagrams with their arrival facts and the current
//! time, and executes the [`Action`]s it returns, in order.
//!
//! ```text
//!   server (mio loop)                      engine (this crate)
//!   frame/UDP ──► Received ─────────────►  handle_packet(now, rx)
//!                                          handle_timeout(now)
//!   executes ◄── Action::{Send, Commit,    ◄─ poll_actions()
//!                Log, Ping}                   poll_timeout() ─► next deadline
//!   ICMP echo reply ──────────────────►  handle_icmp_reply(now, addr)
//! ```
//!
//! Durability contract: a reply that depends on a lease change comes as
//! [`Action::Commit`] carrying the record *and* the reply; the server may send the reply only
//! after the record is on disk (the journal's group commit). Replies that depend on nothing
//! (OFFER, NAK, INFORM's ACK) come as [`Action::Send`].

use std::net::Ipv4Addr;
use std::time::SystemTime;

/// A DHCP datagram as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// Index of the interface it came in on.
    pub ifindex: u32,
    /// Ethernet source address (zero for the UDP path).
    pub src_mac: [u8; 6],
    /// IPv4 source.
    pub src_ip: Ipv4Addr,
    /// IPv4 destination (255.255.255.255 for broadcasts).
    pub dst_ip: Ipv4Addr,
    /// UDP source port (67 from a relay, 68 from a client).
    pub src_port: u16,
    /// The BOOTP/DHCP message.
    pub payload: &'a [u8],
}

/// How a reply must leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// As an Ethernet frame on the interface's packet socket to `mac`, IPv4 destination
    /// `ip` (a client with no address yet, no ARP; or broadcast with `mac` = ff:… and
    /// `ip` = 255.255.255.255).
    Frame {
        /// Interface to send on.
        ifindex: u32,
        /// Ethernet destination.
        mac: [u8; 6],
        /// IPv4 destination.
        ip: Ipv4Addr,
        /// UDP destination port.
        port: u16,
    },
    /// Through the ordinary UDP socket (relays, renewing clients): the kernel routes and ARPs.
    Udp {
        /// IPv4 destination.
        ip: Ipv4Addr,
        /// UDP destination port.
        port: u16,
    },
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where.
    pub route: Route,
    /// IPv4 source address (the server identifier on that network).
    pub src_ip: Ipv4Addr,
    /// The BOOTP/DHCP message.
    pub payload: Vec<u8>,
}

/// Log priorities (syslog's), as ISC logs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `log_error`.
    Error,
    /// Warnings.
    Warn,
    /// `log_info` (every DHCPDISCOVER/OFFER/REQUEST/ACK line).
    Info,
    /// `log_debug`.
    Debug,
}

/// Something the server must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send now.
    Send(Transmit),
    /// Append `record` to the lease file; once it is durable, send `then` (if any).
    Commit {
        /// Lease-file text of the changed lease, as ISC writes it.
        record: String,
        /// The reply that waits for it.
        then: Option<Transmit>,
    },
    /// Write a log line in ISC's wording.
    Log(Level, String),
    /// Send an ICMP echo request to `addr` (ISC's `ping-check` before an OFFER). An echo
    /// reply from `addr` goes back in through [`Engine::handle_icmp_reply`]; the engine's
    /// timer ([`Engine::poll_timeout`]) covers the wait.
    Ping {
        /// The address about to be offered.
        addr: Ipv4Addr,
        /// ICMP identifier to put in the echo request (derived from the address, as ISC).
        id: u16,
    },
}

/// A sans-IO DHCPv4 engine, as the server loop drives it.
pub trait Engine {
    /// One received datagram.
    fn handle_packet(&mut self, now: SystemTime, rx: &Received<'_>);
    /// An ICMP echo reply came from `addr` (see [`Action::Ping`]). The default ignores it.
    fn handle_icmp_reply(&mut self, now: SystemTime, addr: Ipv4Addr) {
        let _ = (now, addr);
    }
    /// The clock reached [`Engine::poll_timeout`].
    fn handle_timeout(&mut self, now: SystemTime);
    /// The next moment [`Engine::handle_timeout`] must be called, if any.
    #[must_use]
    fn poll_timeout(&self) -> Option<SystemTime>;
    /// The next action to execute, in order; `None` when there is nothing left.
    #[must_use]
    fn poll_action(&mut self) -> Option<Action>;
}
