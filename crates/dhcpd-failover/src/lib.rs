//! ISC dhcpd 4.4's DHCPv4 failover protocol (draft-ietf-dhc-failover-12 as ISC speaks it),
//! sans-IO.
//!
//! This crate does no I/O: it never touches sockets, files or the clock. Time is passed in
//! as seconds since 1970 UTC (`i64`, ISC's `TIME`, the unit of `dhcpd_leases`). The server
//! owns the TCP connection and the lease database; it feeds this crate and carries out what
//! it returns:
//!
//! ```text
//!   TCP bytes ─► StreamDecoder ─► Peer::handle_message(now, msg) ─► Incoming (lease work)
//!   connect/close ─► Peer::handle_connected / handle_disconnected
//!   timer ─► Peer::handle_timeout(now)
//!   Peer::poll_event()     ─► log lines, state to persist, lease work to do
//!   Peer::poll_transmit()  ─► Message ─► encode ─► TCP
//!   Peer::poll_timeout()   ─► when to call handle_timeout next
//! ```
//!
//! Modules: [`message`] (codec, lossless), [`body`] (typed views of the messages),
//! [`hash`] (RFC 3074 load balancing), [`lease`] (MCLT rules; BNDUPD from and into
//! `dhcpd_leases::model::Lease`), [`pool`] (FREE/BACKUP balancing), [`peer`] (the state
//! machine).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
pub mod codec;
pub mod error;
pub mod hash;
pub mod lease;
pub mod message;
pub mod peer;
pub mod pool;

pub use error::{DecodeError, ProtocolError};
pub use message::{FoOption, Message, MessageType, RejectReason, ServerState, StreamDecoder};
pub use peer::{Config, Event, Incoming, Peer, Role, Service, UpdateOutcome};
