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
    /// Append `record` (a lease the failover peer sent us); once it is durable, hand `ack`
    /// back through [`FailoverEngine::failover_committed`] so the BNDACK leaves only then.
    CommitAck {
        /// Lease-file text.
        record: String,
        /// The failover link (index into [`FailoverEngine::failover_links`]).
        link: usize,
        /// The BNDACK that waits for the record.
        ack: dhcpd_failover::Message,
    },
    /// Send an ICMP echo request to `addr` (ISC's `ping-check` before an OFFER). An echo
    /// reply from `addr` goes back in through [`Engine::handle_icmp_reply`]; the engine's
    /// timer ([`Engine::poll_timeout`]) covers the wait.
    Ping {
        /// The address about to be offered.
        addr: Ipv4Addr,
        /// ICMP identifier to put in the echo request (derived from the address, as ISC).
        id: u16,
    },
    /// Send a DNS UPDATE (DDNS) to `to` from the server's DDNS UDP socket; answers go back
    /// in through [`Engine::handle_dns_response`]. The engine's timer covers retries.
    DnsSend {
        /// The DNS server.
        to: std::net::SocketAddrV4,
        /// The message.
        payload: Vec<u8>,
    },
    /// Run `command` with `args` (an `execute` statement in an `on commit`/`expiry`/`release`
    /// body), as ISC does: argv[0] is the command, found through `PATH`. The server starts it
    /// without waiting, and logs ISC's `execute: CMD exit status N` / `Unable to execute CMD`
    /// failures.
    Execute {
        /// The program.
        command: Vec<u8>,
        /// Its arguments, evaluated.
        args: Vec<Vec<u8>>,
    },
}

/// How OMAPI names a host or a lease it looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKey {
    /// The host's name.
    Name(String),
    /// Hardware type and address.
    Hardware(dhcpd_conf::basic::HardwareAddr),
    /// Client identifier.
    Uid(Vec<u8>),
}

/// A host declaration as ISC's OMAPI `host` object publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostView {
    /// The name.
    pub name: String,
    /// `hardware`.
    pub hardware: Option<dhcpd_conf::basic::HardwareAddr>,
    /// The client identifier (`uid`, or an `option dhcp-client-identifier` statement).
    pub uid: Option<Vec<u8>>,
    /// The fixed addresses (those given as addresses).
    pub fixed: Vec<Ipv4Addr>,
    /// Entered at run time (OMAPI) rather than declared in dhcpd.conf.
    pub dynamic: bool,
    /// The host has statements of its own.
    pub has_statements: bool,
}

/// Why a host could not be entered or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// Another host holds the name (ISC's `ISC_R_EXISTS`).
    Exists,
    /// No such host.
    NotFound,
    /// The engine does not keep hosts, or the record cannot be written (ISC's
    /// `ISC_R_IOERROR` for a name its lease file cannot hold).
    Refused(String),
}

/// One value an OMAPI `update` sets on a lease, as ISC's `dhcp_lease_set_value` takes it
/// (the OMAPI names are sorted out by the server; see [`Engine::lease_update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseChange {
    /// `state`: ISC's binding-state number (1 free, 2 active, 3 expired, 4 released,
    /// 5 abandoned, 6 reset, 7 backup; anything else is refused).
    State(u32),
    /// `ends`: the new end (Unix seconds, as ISC's unsigned 4-byte value).
    Ends(u32),
    /// `flags`: the new flags byte; only ISC's ephemeral flags change, and of those
    /// dhcpd-rs keeps 2 (BOOTP) and 4 (reserved).
    Flags(u8),
    /// A variable of the lease's scope (any name OMAPI has no other use for), created in
    /// front of the others or replaced in place, as ISC's `binding_scope_set_value`.
    Variable(dhcpd_leases::model::Binding),
}

/// Why a lease could not be changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseError {
    /// No lease at that address.
    NotFound,
    /// The value is out of range (ISC's `DHCP_R_INVALIDARG`).
    InvalidArg(String),
    /// The engine does not make this change (a lease of a failover pool, an engine without
    /// leases).
    Refused(String),
}

/// A sans-IO DHCPv4 engine, as the server loop drives it.
pub trait Engine {
    /// The name of the live host `key` finds (ISC's host hashes; `None`: none).
    fn host_find(&self, key: &HostKey) -> Option<String> {
        let _ = key;
        None
    }
    /// The live host called `name`.
    fn host_view(&self, name: &str) -> Option<HostView> {
        let _ = name;
        None
    }
    /// Enters a host at run time (ISC's `enter_host` from OMAPI): served from now on.
    /// `replace`: it replaces the live host of the same name (an OMAPI update), else that
    /// name must be free. Returns the lease-file records to append, in order (for a
    /// replacement, the rubout of the old host first, as ISC writes it); the caller makes
    /// them durable before it confirms the change. No I/O here.
    fn host_enter(
        &mut self,
        host: dhcpd_leases::Host,
        replace: bool,
    ) -> Result<Vec<String>, HostError> {
        let _ = (host, replace);
        Err(HostError::Refused("hosts cannot be entered".to_string()))
    }
    /// Deletes the live host called `name` (ISC's `delete_host` from OMAPI; a host of the
    /// configuration too). Returns the rubout record to append.
    fn host_remove(&mut self, name: &str) -> Result<String, HostError> {
        let _ = name;
        Err(HostError::NotFound)
    }
    /// The addresses of the leases with this client identifier or hardware address, in
    /// ISC's order (OMAPI's lease look-up; a name finds none).
    fn leases_of(&self, key: &HostKey) -> Vec<Ipv4Addr> {
        let _ = key;
        Vec::new()
    }
    /// A lease as ISC's OMAPI `lease` object publishes it (read only; `None`: no lease for
    /// that address). The default knows none.
    fn lease_view(&self, addr: Ipv4Addr) -> Option<LeaseView> {
        let _ = addr;
        None
    }
    /// The variables of the lease's scope, in ISC's order (OMAPI publishes them after the
    /// lease's own values). The default knows none.
    fn lease_variables(&self, addr: Ipv4Addr) -> Vec<dhcpd_leases::model::Binding> {
        let _ = addr;
        Vec::new()
    }
    /// Changes one value of the lease at `addr` (an OMAPI `update`, ISC's
    /// `dhcp_lease_set_value`): `state`, `ends` and `flags` move the lease as ISC's
    /// `supersede_lease` does (an active lease that is given another state, end or flags
    /// expires, ISC's expiry event included), a variable is stored in its scope.
    /// `Ok(None)`: nothing changed (ISC's `DHCP_R_UNCHANGED`); `Ok(Some(records))`: the
    /// lease-file records to append, in order, before the change is confirmed. Other
    /// effects (DNS removals, `on expiry` bodies, log lines) are queued as actions.
    fn lease_update(
        &mut self,
        addr: Ipv4Addr,
        change: LeaseChange,
        now: SystemTime,
    ) -> Result<Option<Vec<String>>, LeaseError> {
        let _ = (addr, change, now);
        Err(LeaseError::Refused("leases cannot be changed".to_string()))
    }
    /// One received datagram.
    fn handle_packet(&mut self, now: SystemTime, rx: &Received<'_>);
    /// An ICMP echo reply came from `addr` (see [`Action::Ping`]). The default ignores it.
    fn handle_icmp_reply(&mut self, now: SystemTime, addr: Ipv4Addr) {
        let _ = (now, addr);
    }
    /// A datagram arrived on the DDNS socket from `from` (see [`Action::DnsSend`]). The default
    /// ignores it.
    fn handle_dns_response(
        &mut self,
        now: SystemTime,
        from: std::net::SocketAddrV4,
        payload: &[u8],
    ) {
        let _ = (now, from, payload);
    }
    /// Whether the engine makes DNS updates (the server then opens a UDP socket for them).
    fn ddns_enabled(&self) -> bool {
        false
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

/// One `failover peer` relationship's TCP endpoints, for the server to listen and connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverLink {
    /// The relationship name.
    pub name: String,
    /// Our `address` (listen on it and connect from it); `None` = any.
    pub local: Option<Ipv4Addr>,
    /// Our `port` (ISC default 647).
    pub port: u16,
    /// `peer address`: the only source accepted on the listener, and where we connect.
    pub peer: Ipv4Addr,
    /// `peer port` (ISC default 647).
    pub peer_port: u16,
    /// We are the secondary (a surplus connection is answered "already connected").
    pub secondary: bool,
}

/// A lease as ISC's OMAPI `lease` object publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    /// The address.
    pub addr: Ipv4Addr,
    /// ISC's binding-state number (1 free, 2 active, 3 expired, 4 released, 5 abandoned,
    /// 6 reset, 7 backup).
    pub state: u32,
    /// `uid` (empty: none).
    pub uid: Vec<u8>,
    /// `client-hostname`.
    pub client_hostname: Option<Vec<u8>>,
    /// Hardware type and address.
    pub hardware: Option<(u8, Vec<u8>)>,
    /// `ends`, `starts`, `tstp`, `tsfp`, `atsfp`, `cltt` (Unix seconds).
    pub times: [i64; 6],
    /// ISC's lease flags as OMAPI shows them (2 BOOTP, 4 reserved).
    pub flags: u8,
}

/// A relationship as ISC's OMAPI `failover-state` object publishes it (states are ISC's
/// numbers: 1 startup, 2 normal, 3 communications-interrupted, 4 partner-down, …, 254
/// recover-wait).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverView {
    /// The relationship name.
    pub name: String,
    /// `peer address`.
    pub partner_address: Ipv4Addr,
    /// `peer port`.
    pub partner_port: u16,
    /// `address` (unspecified when none was configured).
    pub local_address: Ipv4Addr,
    /// `port`.
    pub local_port: u16,
    /// `max-unacked-updates`.
    pub max_outstanding_updates: u32,
    /// The MCLT in use.
    pub mclt: u32,
    /// `load balance max seconds`.
    pub load_balance_max_secs: u32,
    /// The hash bucket array in use.
    pub hba: [u8; 32],
    /// The partner's state as last heard.
    pub partner_state: u32,
    /// This server's state.
    pub local_state: u32,
    /// When the partner entered its state (Unix seconds).
    pub partner_stos: i64,
    /// When this server entered its state.
    pub local_stos: i64,
    /// 0 primary, 1 secondary.
    pub hierarchy: u32,
    /// `max-response-delay`.
    pub max_response_delay: u32,
    /// BNDUPDs sent and not yet acknowledged.
    pub cur_unacked_updates: u32,
}

/// The failover side of an engine: the server owns the TCP connections and the journal, the
/// engine owns the state machines and the lease table. Every method has a do-nothing default
/// so an engine without failover needs no code.
///
/// Order the server keeps each turn: feed input, execute [`Engine::poll_action`] (staging
/// records), make the journal durable, call [`FailoverEngine::failover_committed`] for every
/// released BNDACK, and only then write [`FailoverEngine::failover_poll_transmit`] to the
/// sockets: so a persisted state precedes its STATE message and a BNDACK follows its fsync.
pub trait FailoverEngine {
    /// The relationships to serve.
    fn failover_links(&self) -> Vec<FailoverLink> {
        Vec::new()
    }
    /// A TCP connection of `link` is up.
    fn failover_connected(&mut self, _link: usize, _now: SystemTime) {}
    /// The TCP connection of `link` closed.
    fn failover_disconnected(&mut self, _link: usize, _now: SystemTime) {}
    /// A message arrived; `false` means: close the connection (then report it with
    /// [`FailoverEngine::failover_disconnected`]).
    fn failover_message(
        &mut self,
        _link: usize,
        _now: SystemTime,
        _msg: dhcpd_failover::Message,
    ) -> bool {
        true
    }
    /// A record of [`Action::CommitAck`] is durable: its BNDACK may go.
    fn failover_committed(
        &mut self,
        _link: usize,
        _ack: dhcpd_failover::Message,
        _now: SystemTime,
    ) {
    }
    /// The next message to write on `link`'s connection.
    fn failover_poll_transmit(&mut self, _link: usize) -> Option<dhcpd_failover::Message> {
        None
    }
    /// Whether the state machine asked to close `link`'s connection (cleared by the call).
    fn failover_poll_close(&mut self, _link: usize) -> bool {
        false
    }
    /// When [`FailoverEngine::failover_handle_timeout`] is due.
    fn failover_timeout(&self) -> Option<SystemTime> {
        None
    }
    /// Failover timers.
    fn failover_handle_timeout(&mut self, _now: SystemTime) {}
    /// An operator command from the control socket (`partner-down NAME`, `status`); the
    /// answer is one line of text.
    fn failover_control(&mut self, _cmd: &str, _now: SystemTime) -> String {
        "no failover relationships".to_string()
    }
    /// The relationship `name` for OMAPI (`None`: no such relationship).
    fn failover_view(&self, _name: &str) -> Option<FailoverView> {
        None
    }
    /// An operator sets this server's state of relationship `name` (OMAPI `local-state`,
    /// ISC's numbering). Only partner-down (4) is supported, on the same terms as the
    /// control socket's `partner-down NAME`; the error says why not.
    fn failover_set_local_state(
        &mut self,
        name: &str,
        _state: u32,
        _now: SystemTime,
    ) -> Result<(), String> {
        Err(format!("failover peer {name}: no such relationship"))
    }
}
