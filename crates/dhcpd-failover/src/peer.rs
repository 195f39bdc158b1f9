//! One failover relationship's state machine, as ISC dhcpd 4.4 runs it (sans-IO).
//!
//! Inputs: [`Peer::handle_connected`], [`Peer::handle_message`], [`Peer::handle_timeout`],
//! [`Peer::handle_disconnected`], and the lease-level calls of the engine
//! ([`Peer::queue_update`], [`Peer::updates_queued`], [`Peer::process_bind_update`],
//! [`Peer::queue_ack`], [`Peer::answer_pool_request`], [`Peer::request_pool`],
//! [`Peer::set_local_state`]).
//! Outputs: [`Peer::poll_event`] (drain it first: it carries the state to persist before the
//! STATE message that announces it leaves), [`Peer::poll_transmit`], [`Peer::poll_timeout`].
//!
//! ISC's behaviour is a table over (my state, the peer's reported state), so the state is a
//! plain enum ([`State`], the lease file's names) and each input is one `match` over that
//! pair, in the order of ISC's tables; the per-state data (the saved state while in STARTUP,
//! the RECOVER-WAIT deadline) lives beside it.

use std::collections::{HashSet, VecDeque};
use std::net::Ipv4Addr;

use dhcpd_leases::model::{BindingState, FailoverState, FailoverStateName, Lease, PeerState};

use crate::body::{
    BindAck, BindUpdate, Body, Connect, ConnectAck, Disconnect, Hba, StateMsg,
    binding_state_to_wire,
};
use crate::error::ProtocolError;
use crate::lease;
use crate::message::{Message, MessageType, RejectReason, SERVER_FLAG_STARTUP, ServerState};

/// A failover state (ISC's names, as in the lease file).
pub type State = FailoverStateName;

/// How long ISC stays in STARTUP without hearing the peer's state.
pub const STARTUP_DELAY: i64 = 15;
/// How long a new TCP connection may wait for CONNECT / CONNECTACK.
pub const LINK_STARTUP_TIMEOUT: i64 = 15;
/// How long a BNDACK may be held back to be batched.
pub const ACK_DELAY: i64 = 2;
/// Largest accepted difference between the peer's clock and ours at CONNECT, seconds.
pub const MAX_CLOCK_SKEW: i64 = 60;
/// ISC's interval between connection attempts after a link closes (the server's job).
pub const RECONNECT_INTERVAL: i64 = 5;

/// Which side of the relationship this server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends CONNECT; owns FREE leases; configures MCLT and the HBA.
    Primary,
    /// Answers CONNECT; owns BACKUP leases.
    Secondary,
}

impl Role {
    /// The binding state this role allocates from in NORMAL (FREE or BACKUP).
    pub fn free_state(self) -> BindingState {
        match self {
            Role::Primary => BindingState::Free,
            Role::Secondary => BindingState::Backup,
        }
    }

    /// The peer's free state.
    pub fn peer_free_state(self) -> BindingState {
        match self {
            Role::Primary => BindingState::Backup,
            Role::Secondary => BindingState::Free,
        }
    }
}

/// A relationship's configuration (`failover peer "NAME" { … }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The relationship name (sent and compared byte for byte).
    pub name: String,
    /// Primary or secondary.
    pub role: Role,
    /// Maximum client lead time; a secondary learns it from CONNECT.
    pub mclt: u32,
    /// Hash bucket assignment (`split` / `hba`); a secondary learns it from CONNECT.
    pub hba: Hba,
    /// `max-unacked-updates` (default 100): how many BNDUPDs the peer may have outstanding
    /// towards us.
    pub max_unacked_updates: u32,
    /// `max-response-delay` (default 20): our receive timer, seconds.
    pub max_response_delay: u32,
    /// `load balance max seconds` (0 = load balancing off).
    pub load_balance_max_seconds: u32,
    /// `auto-partner-down` seconds (0 = off).
    pub auto_partner_down: u32,
    /// vendor-class-identifier we send.
    pub vendor_class: Vec<u8>,
}

impl Config {
    /// ISC's defaults for a relationship called `name`, with `split 128` for a primary.
    pub fn new(name: &str, role: Role, mclt: u32) -> Self {
        Config {
            name: name.to_string(),
            role,
            mclt,
            hba: crate::hash::hba_from_split(128),
            max_unacked_updates: 100,
            max_response_delay: 20,
            load_balance_max_seconds: 0,
            auto_partner_down: 0,
            vendor_class: b"isc-4.4.3-P1".to_vec(),
        }
    }
}

/// Which clients this server may answer (ISC's service state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Nobody ("not responding").
    None,
    /// Load balanced: DISCOVERs by the hash, everything else.
    Balanced,
    /// Every client, from our own free leases only (COMMUNICATIONS-INTERRUPTED).
    OwnPool,
    /// Every client; the peer's free leases after MCLT (PARTNER-DOWN).
    All,
}

/// What the engine must do with the lease database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateScope {
    /// Every lease of the relationship (answer to UPDREQALL).
    All,
    /// Leases not known to be acknowledged: [`lease::needs_update`] (answer to UPDREQ, or
    /// catch-up on entering NORMAL).
    Unacked,
}

/// Something the server must act on or log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A line to log, in ISC's wording.
    Log(String),
    /// My state changed (the line was logged with [`Event::Log`]).
    StateChanged {
        /// Old state.
        from: State,
        /// New state.
        to: State,
    },
    /// The peer reported a new state.
    PeerStateChanged {
        /// Old state.
        from: State,
        /// New state.
        to: State,
    },
    /// Write this `failover peer "NAME" state { … }` record to the lease file and commit it
    /// before sending anything that follows (ISC commits before the STATE goes out).
    Persist(FailoverState),
    /// Queue BNDUPDs: call [`Peer::queue_update`] for each lease `scope` selects, then
    /// [`Peer::updates_queued`]. In between, leases already queued or awaiting an ack are
    /// skipped (ISC's update-queue generation), so handle this event before any other.
    SendUpdates(UpdateScope),
    /// Run a pool balancing pass ([`crate::pool`]); when `answer` is set the pass answers the
    /// peer's POOLREQ: call [`Peer::answer_pool_request`] with the number of leases moved.
    BalancePools {
        /// The POOLREQ's xid, if the pass answers one.
        answer: Option<u32>,
    },
    /// Entering PARTNER-DOWN: apply [`lease::enter_partner_down`] to every lease.
    PartnerDown {
        /// Start of the PARTNER-DOWN state.
        stos: i64,
        /// MCLT.
        mclt: u32,
    },
    /// Which clients may be served changed.
    ServiceChanged(Service),
    /// Close the TCP connection (a refused CONNECT/CONNECTACK, link startup or receive
    /// timeout). The state machine already treats the link as gone.
    CloseLink,
}

/// A received BNDUPD, waiting for the engine to look its lease up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedUpdate {
    /// The BNDUPD's xid (the BNDACK copies it).
    pub xid: u32,
    /// Its contents.
    pub update: BindUpdate,
}

/// What the engine must do after [`Peer::handle_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// Nothing lease-related.
    None,
    /// A BNDUPD: look up the lease of `update.addr` (if it is in a pool of this relationship)
    /// and call [`Peer::process_bind_update`].
    BindUpdate(ReceivedUpdate),
    /// The peer accepted our BNDUPD: apply [`lease::apply_ack`] to the lease and commit.
    Acked(BindUpdate),
    /// The peer refused our BNDUPD (already logged); the lease keeps its state.
    Rejected(BindUpdate),
}

/// The result of [`Peer::process_bind_update`]: write `commit` (if any) to the lease
/// database, fsync, and only then pass `ack` to [`Peer::queue_ack`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The lease as it must be stored; `None` when the update was refused.
    pub commit: Option<Lease>,
    /// The BNDACK (accepting or rejecting).
    pub ack: Message,
}

#[derive(Debug, Clone)]
struct Link {
    established: bool,
    opened_at: i64,
    next_xid: u32,
    peer_max_unacked: u32,
    peer_receive_timer: u32,
    last_sent: i64,
    last_received: i64,
}

#[derive(Debug, Clone)]
struct Sent {
    xid: u32,
    update: BindUpdate,
}

#[derive(Debug, Clone)]
struct Answer {
    xid: u32,
    all: bool,
    waiting: HashSet<Ipv4Addr>,
    collecting: bool,
}

/// One failover relationship.
#[derive(Debug, Clone)]
pub struct Peer {
    cfg: Config,
    me: State,
    stos: i64,
    saved: State,
    partner: State,
    partner_stos: i64,
    mclt: u32,
    hba: Hba,
    link: Option<Link>,
    startup_at: Option<i64>,
    recover_wait_at: Option<i64>,
    auto_partner_down_at: Option<i64>,
    updates: VecDeque<BindUpdate>,
    unacked: Vec<Sent>,
    acks: Vec<Message>,
    ack_at: Option<i64>,
    request_pending: Option<bool>,
    answering: Option<Answer>,
    bulk: bool,
    service: Service,
    transmit: VecDeque<Message>,
    events: VecDeque<Event>,
}

fn wire_state(s: State) -> ServerState {
    match s {
        State::Unknown => ServerState::UnknownState,
        State::Startup => ServerState::Startup,
        State::Normal => ServerState::Normal,
        State::CommunicationsInterrupted => ServerState::CommunicationsInterrupted,
        State::PartnerDown => ServerState::PartnerDown,
        State::PotentialConflict => ServerState::PotentialConflict,
        State::Recover => ServerState::Recover,
        State::Paused => ServerState::Paused,
        State::Shutdown => ServerState::Shutdown,
        State::RecoverDone => ServerState::RecoverDone,
        State::ResolutionInterrupted => ServerState::ResolutionInterrupted,
        State::ConflictDone => ServerState::ConflictDone,
        State::RecoverWait => ServerState::RecoverWait,
    }
}

fn state_from_wire(s: ServerState) -> Option<State> {
    Some(match s {
        ServerState::UnknownState => State::Unknown,
        ServerState::Startup => State::Startup,
        ServerState::Normal => State::Normal,
        ServerState::CommunicationsInterrupted => State::CommunicationsInterrupted,
        ServerState::PartnerDown => State::PartnerDown,
        ServerState::PotentialConflict => State::PotentialConflict,
        ServerState::Recover => State::Recover,
        ServerState::Paused => State::Paused,
        ServerState::Shutdown => State::Shutdown,
        ServerState::RecoverDone => State::RecoverDone,
        ServerState::ResolutionInterrupted => State::ResolutionInterrupted,
        ServerState::ConflictDone => State::ConflictDone,
        ServerState::RecoverWait => State::RecoverWait,
        ServerState::Unknown(_) => return None,
    })
}

/// ISC's "communications failed" transition of a state.
fn comms_failed(s: State) -> State {
    match s {
        State::Normal => State::CommunicationsInterrupted,
        State::PotentialConflict | State::Unknown => State::ResolutionInterrupted,
        other => other,
    }
}

fn wire_time(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

impl Peer {
    /// A relationship starting at `now`. `persisted` is the state read from the lease file;
    /// without one a server starts in RECOVER with stos = `now` (as ISC does). The peer then
    /// enters STARTUP at once.
    pub fn new(cfg: Config, persisted: Option<&FailoverState>, now: i64) -> Self {
        let (me, stos, partner, partner_stos, mclt) = match persisted {
            Some(p) if p.me.state != State::Unknown => (
                if p.me.state == State::Startup {
                    State::Recover
                } else {
                    p.me.state
                },
                p.me.stos,
                p.partner.state,
                p.partner.stos,
                match cfg.role {
                    Role::Primary => cfg.mclt,
                    Role::Secondary => p.mclt.unwrap_or(cfg.mclt),
                },
            ),
            _ => (State::Recover, now, State::Unknown, 0, cfg.mclt),
        };
        let hba = cfg.hba;
        let mut p = Peer {
            cfg,
            me,
            stos,
            saved: me,
            partner,
            partner_stos,
            mclt,
            hba,
            link: None,
            startup_at: None,
            recover_wait_at: None,
            auto_partner_down_at: None,
            updates: VecDeque::new(),
            unacked: Vec::new(),
            acks: Vec::new(),
            ack_at: None,
            request_pending: None,
            answering: None,
            bulk: false,
            service: Service::None,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        };
        p.set_state(now, State::Startup);
        p
    }

    // ----- accessors -----

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// My state (STARTUP while starting).
    pub fn state(&self) -> State {
        self.me
    }

    /// My start time of state.
    pub fn stos(&self) -> i64 {
        self.stos
    }

    /// The peer's last reported state.
    pub fn partner_state(&self) -> State {
        self.partner
    }

    /// The MCLT in force (a secondary's comes from CONNECT).
    pub fn mclt(&self) -> u32 {
        self.mclt
    }

    /// The hash bucket assignment in force.
    pub fn hba(&self) -> &Hba {
        &self.hba
    }

    /// Whether CONNECT/CONNECTACK have been exchanged on the current link.
    pub fn is_connected(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.established)
    }

    /// Which clients may be served now.
    pub fn service(&self) -> Service {
        self.service
    }

    /// BNDUPDs sent and not yet acknowledged.
    pub fn unacked_updates(&self) -> usize {
        self.unacked.len()
    }

    /// BNDUPDs waiting for a window slot or a link.
    pub fn queued_updates(&self) -> usize {
        self.updates.len()
    }

    /// The failover state record as the lease file holds it.
    pub fn record(&self) -> FailoverState {
        FailoverState {
            peer: self.cfg.name.clone(),
            me: PeerState {
                state: if self.me == State::Startup {
                    self.saved
                } else {
                    self.me
                },
                stos: self.stos,
            },
            partner: PeerState {
                state: self.partner,
                stos: self.partner_stos,
            },
            mclt: (self.cfg.role == Role::Secondary).then_some(self.mclt),
        }
    }

    /// Whether this server answers a DHCPDISCOVER (or dynamic BOOTP request) from a client
    /// with hash key `key` (see [`crate::hash::client_key`]) and `secs`.
    pub fn serves_discover(&self, key: &[u8], secs: u16) -> bool {
        match self.service {
            Service::None => false,
            Service::OwnPool | Service::All => true,
            Service::Balanced => crate::hash::load_balance_mine(
                &self.hba,
                self.cfg.role,
                key,
                secs,
                self.cfg.load_balance_max_seconds,
            ),
        }
    }

    // ----- outputs -----

    /// The next event. Drain events before transmitting.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next message to write to the TCP connection.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.transmit.pop_front()
    }

    /// When [`Peer::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<i64> {
        let mut t: Option<i64> = None;
        let mut at = |d: Option<i64>| {
            if let Some(d) = d {
                t = Some(t.map_or(d, |x| x.min(d)));
            }
        };
        at(self.startup_at);
        at(self.recover_wait_at);
        at(self.auto_partner_down_at);
        at(self.ack_at);
        if let Some(l) = &self.link {
            if l.established {
                at(Some(
                    l.last_received + i64::from(self.cfg.max_response_delay),
                ));
                at(Some(l.last_sent + self.contact_interval(l)));
            } else {
                at(Some(l.opened_at + LINK_STARTUP_TIMEOUT));
            }
        }
        t
    }

    fn contact_interval(&self, l: &Link) -> i64 {
        i64::from((l.peer_receive_timer / 3).max(1))
    }

    // ----- inputs -----

    /// A TCP connection to the peer is up (either direction). A primary sends CONNECT at
    /// once. Only one link is kept: a second connection while one is established should be
    /// closed by the server (ISC's secondary closes it).
    pub fn handle_connected(&mut self, now: i64) {
        self.link = Some(Link {
            established: false,
            opened_at: now,
            next_xid: 0,
            peer_max_unacked: 0,
            peer_receive_timer: 0,
            last_sent: now,
            last_received: now,
        });
        if self.cfg.role == Role::Primary {
            let c = Connect {
                name: Some(self.cfg.name.as_bytes().to_vec()),
                max_unacked: Some(self.cfg.max_unacked_updates),
                receive_timer: Some(self.cfg.max_response_delay),
                vendor_class: Some(self.cfg.vendor_class.clone()),
                protocol_version: Some(1),
                tls_request: Some(0),
                mclt: Some(self.mclt),
                hba: Some(self.hba.to_vec()),
            };
            let xid = self.next_xid();
            self.send(now, c.to_message(wire_time(now), xid));
        }
    }

    /// The TCP connection closed (or the server gave up on it). Idempotent.
    pub fn handle_disconnected(&mut self, now: i64) {
        let Some(link) = self.link.take() else {
            return;
        };
        if link.established {
            self.log(format!("peer {}: disconnected", self.cfg.name));
        }
        self.answering = None;
        self.request_pending = None;
        self.acks.clear();
        self.ack_at = None;
        self.requeue_unacked();
        let base = self.effective_state();
        let next = comms_failed(base);
        if next != base {
            self.set_state(now, next);
        }
    }

    /// Time has passed; fire what is due.
    pub fn handle_timeout(&mut self, now: i64) {
        if self.startup_at.is_some_and(|t| t <= now) {
            self.startup_at = None;
            if self.me == State::Startup {
                let next = comms_failed(self.saved);
                self.set_state(now, next);
            }
        }
        if self.recover_wait_at.is_some_and(|t| t <= now) {
            self.recover_wait_at = None;
            if self.me == State::RecoverWait {
                self.set_state(now, State::RecoverDone);
            }
        }
        if self.auto_partner_down_at.is_some_and(|t| t <= now) {
            self.auto_partner_down_at = None;
            if self.me == State::CommunicationsInterrupted {
                self.set_state(now, State::PartnerDown);
            }
        }
        if self.ack_at.is_some_and(|t| t <= now) {
            self.flush_acks(now);
        }
        let Some(l) = &self.link else {
            return;
        };
        if !l.established {
            if l.opened_at + LINK_STARTUP_TIMEOUT <= now {
                self.events.push_back(Event::CloseLink);
                self.handle_disconnected(now);
            }
            return;
        }
        if l.last_received + i64::from(self.cfg.max_response_delay) <= now {
            self.log(format!(
                "timeout waiting for failover peer {}",
                self.cfg.name
            ));
            self.events.push_back(Event::CloseLink);
            self.handle_disconnected(now);
            return;
        }
        if l.last_sent + self.contact_interval(l) <= now {
            let xid = self.next_xid();
            self.send(now, Message::new(MessageType::Contact, wire_time(now), xid));
        }
        self.pump(now);
    }

    /// A message arrived on the link. An error means the connection must be closed (then
    /// call [`Peer::handle_disconnected`]).
    pub fn handle_message(&mut self, now: i64, msg: Message) -> Result<Incoming, ProtocolError> {
        let r = self.on_message(now, msg);
        self.pump(now);
        r
    }

    fn on_message(&mut self, now: i64, msg: Message) -> Result<Incoming, ProtocolError> {
        let Some(link) = self.link.as_mut() else {
            return Err(ProtocolError::Unexpected {
                msg_type: msg.msg_type,
            });
        };
        link.last_received = now;
        let established = link.established;
        let body = Body::parse(&msg)?;
        let unexpected = Err(ProtocolError::Unexpected {
            msg_type: msg.msg_type,
        });
        match body {
            Body::Connect(c) if self.cfg.role == Role::Secondary => {
                self.on_connect(now, &msg, c);
                Ok(Incoming::None)
            }
            Body::ConnectAck(a) if self.cfg.role == Role::Primary && !established => {
                self.on_connect_ack(now, &msg, a);
                Ok(Incoming::None)
            }
            Body::Disconnect(d) => {
                let why = d
                    .message
                    .map(|m| String::from_utf8_lossy(&m).into_owned())
                    .or(d.reject.map(|r| r.name().to_string()))
                    .unwrap_or_default();
                self.log(format!(
                    "failover: disconnect: peer {}: {}",
                    self.cfg.name, why
                ));
                self.events.push_back(Event::CloseLink);
                self.handle_disconnected(now);
                Ok(Incoming::None)
            }
            _ if !established => unexpected,
            Body::Connect(_) | Body::ConnectAck(_) => unexpected,
            Body::State(s) => {
                self.on_state(now, s)?;
                Ok(Incoming::None)
            }
            Body::Contact | Body::Unknown(_) => Ok(Incoming::None),
            Body::BndUpd(update) => Ok(Incoming::BindUpdate(ReceivedUpdate {
                xid: msg.xid,
                update,
            })),
            Body::BndAck(a) => Ok(self.on_bind_ack(now, msg.xid, a)),
            Body::UpdReq | Body::UpdReqAll => {
                let all = matches!(body, Body::UpdReqAll);
                if self.answering.is_some() {
                    self.log(
                        "Received update request while old update still flying!  Silently discarding old request."
                            .to_string(),
                    );
                }
                self.answering = Some(Answer {
                    xid: msg.xid,
                    all,
                    waiting: HashSet::new(),
                    collecting: true,
                });
                self.bulk = true;
                self.events.push_back(Event::SendUpdates(if all {
                    UpdateScope::All
                } else {
                    UpdateScope::Unacked
                }));
                Ok(Incoming::None)
            }
            Body::UpdDone => {
                self.on_update_done(now);
                Ok(Incoming::None)
            }
            Body::PoolReq => {
                self.events.push_back(Event::BalancePools {
                    answer: Some(msg.xid),
                });
                Ok(Incoming::None)
            }
            Body::PoolResp(n) => {
                self.log(format!("pool response: {} leases", n.unwrap_or(0)));
                Ok(Incoming::None)
            }
        }
    }

    // ----- lease-level calls from the engine -----

    /// Queues a BNDUPD for a lease that changed (or that an update request selected). A lease
    /// already queued keeps its place with the new contents; one waiting for an ack is taken
    /// off the ack queue and queued again (ISC).
    pub fn queue_update(&mut self, now: i64, update: BindUpdate) {
        let Some(addr) = update.addr else {
            return;
        };
        let queued = self.updates.iter().position(|u| u.addr == Some(addr));
        if self.bulk {
            // ISC's update-queue generation skips leases already on either queue.
            if queued.is_some() || self.unacked.iter().any(|s| s.update.addr == Some(addr)) {
                return;
            }
        } else if let Some(i) = queued {
            self.updates[i] = update;
            return;
        }
        self.unacked.retain(|s| s.update.addr != Some(addr));
        self.updates.push_back(update);
        self.pump(now);
    }

    /// Convenience: [`Peer::queue_update`] with the BNDUPD ISC builds for `l`.
    pub fn queue_lease(&mut self, now: i64, l: &Lease) {
        self.queue_update(now, lease::bind_update_from_lease(l));
    }

    /// The engine has queued every lease of an [`Event::SendUpdates`]; if that answers an
    /// UPDREQ/UPDREQALL with nothing pending, UPDDONE leaves at once, else after the last ack.
    pub fn updates_queued(&mut self, now: i64) {
        self.bulk = false;
        self.pump(now);
        let Some(a) = self.answering.as_mut() else {
            return;
        };
        if !a.collecting {
            return;
        }
        a.collecting = false;
        // UPDDONE goes after the ack of everything now waiting to be sent (ISC: after the
        // ack of the queue's tail).
        a.waiting = self.updates.iter().filter_map(|u| u.addr).collect();
        let (empty, xid, all) = (a.waiting.is_empty(), a.xid, a.all);
        self.log(format!(
            "Update request{} from {}: {}",
            if all { " all" } else { "" },
            self.cfg.name,
            if empty {
                "nothing pending"
            } else {
                "sending update"
            }
        ));
        if empty {
            self.answering = None;
            self.send_update_done(now, xid);
        }
    }

    /// A lease of an UPDREQ/UPDREQALL answer is settled (acked, refused, or superseded by
    /// the peer's own update); UPDDONE goes when none is left.
    fn settle(&mut self, now: i64, addr: Ipv4Addr) {
        if let Some(ans) = self.answering.as_mut() {
            ans.waiting.remove(&addr);
            if ans.waiting.is_empty() && !ans.collecting {
                let x = ans.xid;
                self.answering = None;
                self.send_update_done(now, x);
            }
        }
    }

    /// Decides on a received BNDUPD. `current` is this server's lease for the address, or
    /// `None` when the address is not in a pool of this relationship. See
    /// [`UpdateOutcome`]: commit first, then [`Peer::queue_ack`] the ack.
    pub fn process_bind_update(
        &mut self,
        now: i64,
        rx: &ReceivedUpdate,
        current: Option<&Lease>,
    ) -> UpdateOutcome {
        let u = &rx.update;
        let reject = |reason: RejectReason, text: String| BindAck {
            addr: u.addr,
            reject: Some(reason),
            message: Some(text.into_bytes()),
        };
        let (Some(addr), Some(_)) = (u.addr, u.status) else {
            let text = "missing IP address or binding status".to_string();
            return self.refuse(now, rx, reject(RejectReason::MissingBindinfo, text));
        };
        let Some(cur) = current else {
            let text = format!("unknown IP address {addr}");
            return self.refuse(now, rx, reject(RejectReason::IllegalIpAddr, text));
        };
        // Dueling updates: an unacked BNDUPD of ours for the same lease.
        if let Some(pos) = self
            .unacked
            .iter()
            .position(|s| s.update.addr == Some(addr))
        {
            let mine = &self.unacked[pos].update;
            if !self.peer_wins(mine, u) {
                let text = "incoming update is less critical than outgoing update".to_string();
                return self.refuse(now, rx, reject(RejectReason::LessCriticalBindInfo, text));
            }
            self.unacked.remove(pos);
            self.settle(now, addr);
            self.pump(now);
        }
        match lease::apply_update(
            cur,
            u,
            self.cfg.role,
            self.effective_state() == State::Normal,
            now,
        ) {
            Ok(l) => UpdateOutcome {
                commit: Some(l),
                ack: BindAck {
                    addr: Some(addr),
                    reject: None,
                    message: None,
                }
                .to_message(wire_time(now), rx.xid),
            },
            Err((reason, text)) => self.refuse(now, rx, reject(reason, text)),
        }
    }

    fn refuse(&mut self, now: i64, rx: &ReceivedUpdate, ack: BindAck) -> UpdateOutcome {
        UpdateOutcome {
            commit: None,
            ack: ack.to_message(wire_time(now), rx.xid),
        }
    }

    /// ISC's dueling rule: whether the peer's update beats our unacked one.
    fn peer_wins(&self, mine: &BindUpdate, theirs: &BindUpdate) -> bool {
        use BindingState::*;
        let primary_wins = self.cfg.role == Role::Secondary;
        match (mine.status, theirs.status) {
            (Some(Active), Some(Active)) => {
                let (m, t) = (mine.cltt.unwrap_or(0), theirs.cltt.unwrap_or(0));
                if m == t { primary_wins } else { t > m }
            }
            (Some(Active), Some(Expired)) => true,
            (_, Some(Active)) => true,
            _ => primary_wins,
        }
    }

    /// Sends a BNDACK once the lease it answers is committed. Acks are batched as ISC does:
    /// out at once when half the peer's window is waiting, before our own next BNDUPD, or
    /// after [`ACK_DELAY`].
    pub fn queue_ack(&mut self, now: i64, ack: Message) {
        if !self.is_connected() {
            return;
        }
        self.acks.push(ack);
        let half = self
            .link
            .as_ref()
            .map_or(1, |l| (l.peer_max_unacked / 2).max(1));
        if self.acks.len() as u32 >= half {
            self.flush_acks(now);
        } else if self.ack_at.is_none() {
            self.ack_at = Some(now + ACK_DELAY);
        }
    }

    /// Answers the peer's POOLREQ (after the [`Event::BalancePools`] pass queued `moved`
    /// leases for it).
    pub fn answer_pool_request(&mut self, now: i64, xid: u32, moved: u32) {
        if moved == 0 {
            self.log(format!(
                "peer {}: Got POOLREQ, answering negatively!  Peer may be out of leases or database inconsistent.",
                self.cfg.name
            ));
        }
        self.send(
            now,
            Body::PoolResp(Some(moved)).to_message(wire_time(now), xid),
        );
        self.pump(now);
    }

    /// Asks the peer to give us free leases (the pool check found us below the panic level).
    pub fn request_pool(&mut self, now: i64) {
        if self.is_connected() {
            let xid = self.next_xid();
            self.send(now, Message::new(MessageType::PoolReq, wire_time(now), xid));
        }
    }

    /// Sets my state by administrative action (ISC: OMAPI `local-state`, e.g. PARTNER-DOWN).
    pub fn set_local_state(&mut self, now: i64, state: State) {
        self.set_state(now, state);
    }

    // ----- internals -----

    fn effective_state(&self) -> State {
        if self.me == State::Startup {
            self.saved
        } else {
            self.me
        }
    }

    fn log(&mut self, line: String) {
        self.events.push_back(Event::Log(line));
    }

    fn next_xid(&mut self) -> u32 {
        match self.link.as_mut() {
            Some(l) => {
                let x = l.next_xid;
                l.next_xid = l.next_xid.wrapping_add(1);
                x
            }
            None => 0,
        }
    }

    fn send(&mut self, now: i64, msg: Message) {
        if let Some(l) = self.link.as_mut() {
            l.last_sent = now;
            self.transmit.push_back(msg);
        }
    }

    fn flush_acks(&mut self, now: i64) {
        self.ack_at = None;
        for a in std::mem::take(&mut self.acks) {
            self.send(now, a);
        }
    }

    fn requeue_unacked(&mut self) {
        for s in std::mem::take(&mut self.unacked).into_iter().rev() {
            if !self.updates.iter().any(|u| u.addr == s.update.addr) {
                self.updates.push_front(s.update);
            }
        }
    }

    /// Sends queued BNDUPDs while the peer's window allows.
    fn pump(&mut self, now: i64) {
        let Some(l) = &self.link else {
            return;
        };
        if !l.established {
            return;
        }
        let window = l.peer_max_unacked as usize;
        while self.unacked.len() < window {
            let Some(u) = self.updates.pop_front() else {
                break;
            };
            if !self.acks.is_empty() {
                self.flush_acks(now);
            }
            let mut xid = self.next_xid();
            if xid == 0 {
                xid = self.next_xid();
            }
            self.send(now, u.to_message(wire_time(now), xid));
            self.unacked.push(Sent { xid, update: u });
        }
    }

    fn send_state(&mut self, now: i64) {
        if !self.is_connected() {
            return;
        }
        let (state, flags) = if self.me == State::Startup {
            (self.saved, SERVER_FLAG_STARTUP)
        } else {
            (self.me, 0)
        };
        let st = StateMsg {
            state: wire_state(state),
            flags,
            stos: wire_time(self.stos),
        };
        let xid = self.next_xid();
        self.send(now, st.to_message(wire_time(now), xid));
    }

    fn send_update_request(&mut self, now: i64, all: bool) {
        if !self.is_connected() {
            return;
        }
        let all = all || self.request_pending == Some(true);
        self.request_pending = Some(all);
        let xid = self.next_xid();
        let t = if all {
            MessageType::UpdReqAll
        } else {
            MessageType::UpdReq
        };
        self.send(now, Message::new(t, wire_time(now), xid));
        self.log(format!(
            "Sent update request {}message to {}",
            if all { "all " } else { "" },
            self.cfg.name
        ));
    }

    fn send_update_done(&mut self, now: i64, xid: u32) {
        self.send(now, Message::new(MessageType::UpdDone, wire_time(now), xid));
        self.log(format!("Sent update done message to {}", self.cfg.name));
    }

    fn recompute_service(&mut self) {
        let peer_blocks = matches!(
            self.partner,
            State::PartnerDown
                | State::PotentialConflict
                | State::ConflictDone
                | State::ResolutionInterrupted
        );
        let s = match self.me {
            State::Normal if !peer_blocks => Service::Balanced,
            State::CommunicationsInterrupted if !peer_blocks => Service::OwnPool,
            State::PartnerDown if !peer_blocks => Service::All,
            _ => Service::None,
        };
        if s != self.service {
            self.service = s;
            self.events.push_back(Event::ServiceChanged(s));
        }
    }

    fn set_state(&mut self, now: i64, new: State) {
        let old = self.me;
        if old == new {
            return;
        }
        if matches!(
            old,
            State::Normal | State::PotentialConflict | State::PartnerDown
        ) {
            self.requeue_unacked();
        }
        if new == State::Startup {
            self.saved = old;
        }
        if !(new == State::RecoverWait || new == State::Startup || old == State::Startup) {
            self.stos = now;
            if old == State::Shutdown
                && new == State::Recover
                && self.partner == State::PartnerDown
                && self.updates.is_empty()
            {
                self.stos = now - i64::from(self.mclt);
            }
        }
        self.me = new;
        self.log(format!(
            "failover peer {}: I move from {} to {}",
            self.cfg.name,
            old.name(),
            new.name()
        ));
        if new == State::Normal && self.partner == State::Normal {
            self.log(format!(
                "failover peer {}: Both servers normal",
                self.cfg.name
            ));
        }
        self.events
            .push_back(Event::StateChanged { from: old, to: new });
        self.events.push_back(Event::Persist(self.record()));
        if new != State::Startup {
            self.startup_at = None;
        }
        self.auto_partner_down_at = None;
        if new != State::RecoverWait {
            self.recover_wait_at = None;
        }
        self.recompute_service();
        self.send_state(now);
        match new {
            State::CommunicationsInterrupted if self.cfg.auto_partner_down > 0 => {
                self.auto_partner_down_at = Some(now + i64::from(self.cfg.auto_partner_down));
            }
            State::Normal => {
                self.bulk = true;
                self.events
                    .push_back(Event::SendUpdates(UpdateScope::Unacked));
                self.events.push_back(Event::BalancePools { answer: None });
                self.pump(now);
            }
            State::PotentialConflict
                if self.cfg.role == Role::Primary || self.partner == State::ConflictDone =>
            {
                self.send_update_request(now, false);
            }
            State::Startup => self.startup_at = Some(now + STARTUP_DELAY),
            State::RecoverWait => {
                let at = self.stos + i64::from(self.mclt);
                if at > now {
                    self.recover_wait_at = Some(at);
                } else {
                    self.set_state(now, State::RecoverDone);
                }
            }
            State::Recover => self.send_update_request(now, true),
            State::PartnerDown => self.events.push_back(Event::PartnerDown {
                stos: self.stos,
                mclt: self.mclt,
            }),
            _ => {}
        }
    }

    fn on_connect(&mut self, now: i64, msg: &Message, c: Connect) {
        let own = self.cfg.name.as_bytes().to_vec();
        let identified = c.name.as_deref() == Some(own.as_slice());
        let refusal = if c.name.is_none() {
            Some((RejectReason::InvalidPartner, "missing relationship-name"))
        } else if !identified {
            Some((
                RejectReason::InvalidPartner,
                "unknown failover relationship name",
            ))
        } else if (now - i64::from(msg.time)).abs() > MAX_CLOCK_SKEW {
            Some((RejectReason::TimeMismatch, "time offset too large"))
        } else if c.hba32().is_none() {
            Some((RejectReason::HbaConflict, "invalid HBA"))
        } else if self.is_connected() {
            Some((RejectReason::DuplicateConnection, "already connected"))
        } else if c.mclt.is_none() {
            Some((RejectReason::InvalidMclt, "no MCLT provided"))
        } else {
            None
        };
        let mut ack = ConnectAck {
            name: Some(if identified || c.name.is_none() {
                own
            } else {
                c.name.clone().unwrap_or_default()
            }),
            max_unacked: identified.then_some(self.cfg.max_unacked_updates),
            receive_timer: identified.then_some(self.cfg.max_response_delay),
            vendor_class: Some(self.cfg.vendor_class.clone()),
            protocol_version: Some(1),
            tls_reply: c.tls_request.map(|_| 0),
            reject: None,
            message: None,
        };
        if let Some((reason, text)) = refusal {
            ack.reject = Some(reason);
            ack.message = Some(text.as_bytes().to_vec());
            self.send(now, ack.to_message(wire_time(now), msg.xid));
            self.log(format!(
                "Failover CONNECT from {} rejected: {}",
                self.cfg.name, text
            ));
            self.events.push_back(Event::CloseLink);
            // The link never came up: nothing to transition, just forget it.
            self.link = None;
            return;
        }
        if let Some(h) = c.hba32() {
            self.hba = h;
        }
        if let Some(m) = c.mclt {
            self.mclt = m;
        }
        if let Some(l) = self.link.as_mut() {
            l.established = true;
            if let Some(v) = c.max_unacked {
                l.peer_max_unacked = v;
            }
            if let Some(v) = c.receive_timer {
                l.peer_receive_timer = v;
            }
        }
        self.send(now, ack.to_message(wire_time(now), msg.xid));
        self.send_state(now);
        self.pump(now);
    }

    fn on_connect_ack(&mut self, now: i64, msg: &Message, a: ConnectAck) {
        let own = self.cfg.name.as_bytes();
        let refuse = |reason: RejectReason, text: String| Disconnect {
            reject: Some(reason),
            message: Some(text.into_bytes()),
        };
        let disconnect = match &a.name {
            None => Some(refuse(
                RejectReason::InvalidPartner,
                "missing relationship name".into(),
            )),
            Some(_) if a.reject.is_some() => {
                let why = a
                    .message
                    .as_ref()
                    .map(|m| String::from_utf8_lossy(m).into_owned())
                    .or(a.reject.map(|r| r.name().to_string()))
                    .unwrap_or_default();
                self.log(format!(
                    "Failover CONNECT to {} rejected: {}",
                    self.cfg.name, why
                ));
                self.events.push_back(Event::CloseLink);
                self.link = None;
                return;
            }
            Some(n) if n.as_slice() != own => Some(refuse(
                RejectReason::InvalidPartner,
                format!(
                    "remote failover relationship name {} does not match",
                    String::from_utf8_lossy(n)
                ),
            )),
            Some(_) if (now - i64::from(msg.time)).abs() > MAX_CLOCK_SKEW => Some(refuse(
                RejectReason::TimeMismatch,
                "time offset too large".into(),
            )),
            Some(_) => None,
        };
        if let Some(d) = disconnect {
            let xid = self.next_xid();
            self.send(now, d.to_message(wire_time(now), xid));
            self.events.push_back(Event::CloseLink);
            self.link = None;
            return;
        }
        if let Some(l) = self.link.as_mut() {
            l.established = true;
            if let Some(v) = a.max_unacked {
                l.peer_max_unacked = v;
            }
            if let Some(v) = a.receive_timer {
                l.peer_receive_timer = v;
            }
        }
        self.send_state(now);
        self.pump(now);
    }

    fn on_state(&mut self, now: i64, s: StateMsg) -> Result<(), ProtocolError> {
        let Some(new) = state_from_wire(s.state) else {
            let value = u8::from(s.state);
            self.log(format!(
                "failover peer {}: Invalid state: {}",
                self.cfg.name, value
            ));
            self.set_state(now, State::Shutdown);
            return Err(ProtocolError::BadServerState { value });
        };
        let prev = self.partner;
        let in_startup = self.me == State::Startup;
        if new == prev {
            if in_startup {
                let target = if self.saved == State::ResolutionInterrupted {
                    State::PotentialConflict
                } else {
                    self.saved
                };
                self.set_state(now, target);
                return Ok(());
            }
            if matches!(
                self.me,
                State::Normal
                    | State::PotentialConflict
                    | State::RecoverDone
                    | State::Shutdown
                    | State::Paused
                    | State::RecoverWait
            ) {
                return Ok(());
            }
        }
        self.partner = new;
        self.partner_stos = now;
        self.log(format!(
            "failover peer {}: peer moves from {} to {}",
            self.cfg.name,
            prev.name(),
            new.name()
        ));
        if self.me == State::Normal && new == State::Normal {
            self.log(format!(
                "failover peer {}: Both servers normal",
                self.cfg.name
            ));
        }
        self.events.push_back(Event::PeerStateChanged {
            from: prev,
            to: new,
        });
        self.events.push_back(Event::Persist(self.record()));
        self.recompute_service();

        use FailoverStateName::*;
        let mine = self.effective_state();
        let invalid = |p: &mut Peer| {
            p.log(format!(
                "Peer {}: Invalid state transition {} to {}.",
                p.cfg.name,
                prev.name(),
                new.name()
            ));
        };
        let target: Option<State> = match mine {
            Normal => match new {
                PartnerDown => Some(if in_startup {
                    Recover
                } else {
                    PotentialConflict
                }),
                PotentialConflict | ResolutionInterrupted | ConflictDone => {
                    invalid(self);
                    Some(Shutdown)
                }
                Recover | Shutdown => Some(PartnerDown),
                Paused => Some(CommunicationsInterrupted),
                _ => None,
            },
            Recover => match new {
                Recover | PartnerDown | CommunicationsInterrupted => {
                    if new == Recover {
                        self.log(format!(
                            "failover peer {}: requesting full update from peer",
                            self.cfg.name
                        ));
                    }
                    if !in_startup {
                        self.send_update_request(now, true);
                    }
                    None
                }
                Normal | PotentialConflict | ResolutionInterrupted | ConflictDone => {
                    Some(PotentialConflict)
                }
                Shutdown => Some(PartnerDown),
                _ => None,
            },
            PotentialConflict => match new {
                Normal => {
                    self.log(format!(
                        "Peer {} moves to normal during conflict resolution - panic, shutting down.",
                        self.cfg.name
                    ));
                    Some(Shutdown)
                }
                ConflictDone => {
                    if prev == PotentialConflict {
                        self.send_update_request(now, false);
                    } else {
                        self.log(format!(
                            "Peer {}: Unexpected move to conflict-done.",
                            self.cfg.name
                        ));
                    }
                    None
                }
                Recover => Some(Recover),
                Shutdown => Some(PartnerDown),
                _ => None,
            },
            ConflictDone => match new {
                Normal => Some(Normal),
                Shutdown => Some(Shutdown),
                PotentialConflict | ResolutionInterrupted => None,
                _ => {
                    // ISC exits here; we refuse to go on serving instead.
                    invalid(self);
                    Some(Shutdown)
                }
            },
            PartnerDown => {
                if s.flags & SERVER_FLAG_STARTUP != 0 {
                    None
                } else {
                    match new {
                        RecoverDone => Some(Normal),
                        Normal
                        | PotentialConflict
                        | PartnerDown
                        | CommunicationsInterrupted
                        | ResolutionInterrupted
                        | ConflictDone => Some(PotentialConflict),
                        _ => None,
                    }
                }
            }
            CommunicationsInterrupted => match new {
                Recover | Shutdown => Some(PartnerDown),
                Normal | CommunicationsInterrupted | RecoverDone | RecoverWait => Some(Normal),
                PotentialConflict | PartnerDown | ResolutionInterrupted | ConflictDone => {
                    Some(PotentialConflict)
                }
                _ => None,
            },
            ResolutionInterrupted => match new {
                Shutdown => Some(PartnerDown),
                Normal
                | Recover
                | PotentialConflict
                | PartnerDown
                | CommunicationsInterrupted
                | ResolutionInterrupted
                | ConflictDone
                | RecoverDone
                | RecoverWait => Some(PotentialConflict),
                _ => None,
            },
            RecoverDone => match new {
                RecoverDone | Normal => {
                    if new == RecoverDone {
                        self.log("Both servers have entered recover-done!".to_string());
                    }
                    Some(Normal)
                }
                Shutdown => Some(PartnerDown),
                _ => None,
            },
            RecoverWait | Shutdown | Paused | Unknown | Startup => None,
        };
        if let Some(t) = target {
            self.set_state(now, t);
        }
        if self.me == State::Startup {
            let saved = self.saved;
            self.set_state(now, saved);
        }
        Ok(())
    }

    fn on_update_done(&mut self, now: i64) {
        self.log(format!(
            "failover peer {}: peer update completed.",
            self.cfg.name
        ));
        self.request_pending = None;
        match self.me {
            State::PotentialConflict => {
                if self.partner == State::ConflictDone {
                    match self.cfg.role {
                        Role::Secondary => self.set_state(now, State::Normal),
                        Role::Primary => {
                            self.log(format!(
                                "failover peer {}: unexpected update done in conflict resolution",
                                self.cfg.name
                            ));
                            self.set_state(now, State::Shutdown);
                        }
                    }
                } else if self.cfg.role == Role::Primary {
                    self.set_state(now, State::ConflictDone);
                } else {
                    self.log(format!(
                        "failover peer {}: spurious update done",
                        self.cfg.name
                    ));
                }
            }
            State::Recover => {
                if self.stos + i64::from(self.mclt) > now
                    && !matches!(self.partner, State::Recover | State::RecoverDone)
                {
                    self.set_state(now, State::RecoverWait);
                } else {
                    self.set_state(now, State::RecoverDone);
                }
            }
            _ => {}
        }
    }

    fn on_bind_ack(&mut self, now: i64, xid: u32, a: BindAck) -> Incoming {
        let Some(addr) = a.addr else {
            return Incoming::None;
        };
        let Some(pos) = self
            .unacked
            .iter()
            .position(|s| s.update.addr == Some(addr))
        else {
            return Incoming::None;
        };
        if self.unacked[pos].xid != xid {
            self.log(format!(
                "bind update on {} got ack from {}: xid mismatch.",
                addr, self.cfg.name
            ));
            return Incoming::None;
        }
        let sent = self.unacked.remove(pos).update;
        let out = match a.reject {
            Some(r) => {
                let text = a
                    .message
                    .as_ref()
                    .map(|m| String::from_utf8_lossy(m).into_owned())
                    .unwrap_or_else(|| r.name().to_string());
                self.log(format!(
                    "bind update on {} from {} rejected: {}",
                    addr, self.cfg.name, text
                ));
                Incoming::Rejected(sent)
            }
            None => Incoming::Acked(sent),
        };
        self.settle(now, addr);
        self.pump(now);
        out
    }
}

/// The wire value of a binding state (re-exported for engine code building BNDUPDs).
pub fn binding_status(s: BindingState) -> u8 {
    binding_state_to_wire(s)
}
