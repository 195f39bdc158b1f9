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
//! # Server integration (one [`Peer`] per `failover peer` block)
//!
//! * Start: `Peer::new(config, lease_file_state, now)` (the `failover peer "X" state` record
//!   read by `dhcpd_leases`, or `None`: a new server starts in RECOVER as ISC does).
//! * TCP up (either direction; keep one): `handle_connected`; bytes in: a
//!   [`StreamDecoder`] per connection, then `handle_message` (an `Err` means: close the
//!   socket, then `handle_disconnected`); TCP down: `handle_disconnected`. Reconnect every
//!   [`peer::RECONNECT_INTERVAL`] seconds while not connected.
//! * After every input: drain `poll_event` first ([`Event::Persist`] must be written and
//!   committed before the next STATE leaves), then `poll_transmit`; sleep until
//!   `poll_timeout`.
//! * Lease changes the engine commits with "propagate" (ACK, release, decline, expiry,
//!   balancing moves): `queue_lease(now, &lease)` after updating the lease with
//!   [`lease::on_client_ack`] / [`lease::lease_time`] (MCLT rule) as appropriate.
//! * [`Incoming::BindUpdate`]: look up the lease, `process_bind_update` gives
//!   [`UpdateOutcome`] `{ commit, ack }`: write `commit`, fsync, then `queue_ack(now, ack)`.
//! * [`Incoming::Acked`]: [`lease::apply_ack`] on the lease and commit it.
//! * [`Event::SendUpdates`]: queue the selected leases, then `updates_queued`.
//!   [`Event::BalancePools`]: [`pool::balance`] per pool, [`pool::give_away`] + `queue_lease`
//!   for each move, and `answer_pool_request` when it answers a POOLREQ; the periodic check is
//!   [`pool::next_check`], with `request_pool` when [`pool::Balance::request_peer`].
//!   [`Event::PartnerDown`]: [`lease::enter_partner_down`] on every lease.
//! * Serving: `serves_discover(hash::client_key(&packet), secs)` for DISCOVER/dynamic BOOTP,
//!   `service()` for everything else, [`lease::may_allocate`] when picking a lease.
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
