//! OMAPI on `omapi-port`: the TCP listener and its connections, each a
//! [`dhcpd_omapi::Session`] whose objects are the engine's failover relationships
//! (`failover-state`), its host declarations (`host`: open, create, update, remove, as ISC
//! allows them) and its leases (`lease`, opened by `ip-address`, `hardware-address` or
//! `dhcp-client-identifier`; updated as ISC's `dhcp_lease_set_value`: `state`, `ends`,
//! `flags`, scope variables, then `remote-handle`; not for leases of failover pools).
//!
//! Durability: a host created, updated or removed, or a lease updated, is served (or no
//! longer served) at once, but the answer confirming it waits until its lease-file records
//! are on disk: the records
//! go to the journal ([`OmapiNet::take_records`]) and the connection's output from then on
//! is held until the journal reports them durable ([`OmapiNet::committed`]).
//! With `omapi-key` naming an HMAC-MD5 key every request must be signed with it, as ISC
//! demands; a key this server cannot use (another algorithm, no secret) refuses every
//! connection (logged) rather than serve unsigned.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::SystemTime;

use dhcpd_core::{Engine, FailoverEngine, HostError, HostKey, HostView, LeaseChange, LeaseError};
pub use dhcpd_omapi::Key;
use dhcpd_omapi::codec::Pair;
pub use dhcpd_omapi::session::HMAC_MD5;
use dhcpd_omapi::session::{Refusal, int_value, result};
use dhcpd_omapi::{Objects, Session, Value};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

/// The listener's token.
pub const LISTENER: Token = Token(5);
/// Connection tokens start here (above the failover links' range).
const FIRST_CONN: usize = 1 << 28;
/// Answers a client may leave unread before it is dropped.
const MAX_PENDING: usize = 1 << 20;
/// At most this many OMAPI connections at once (more are closed at once, logged).
const MAX_CONNS: usize = 32;

/// ISC's object types (a type the server has but this one does not serve is refused with a
/// STATUS rather than treated as unknown).
const ISC_TYPES: &[&str] = &[
    "failover-state",
    "lease",
    "host",
    "group",
    "class",
    "subclass",
    "pool",
    "control",
    "authenticator",
];

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    session: Session,
    out: Vec<u8>,
    /// Answers waiting for lease-file records (sent once record `held_until` is durable).
    held: Vec<u8>,
    /// The last record this connection staged (numbered from 1).
    staged: u64,
    /// Held output is released when record number `held_until` is durable.
    held_until: u64,
    /// The last record known durable.
    durable: u64,
}

/// A lease-file record an OMAPI change needs on disk before it is confirmed: the
/// connection, the record's number on that connection, the text.
pub type OmapiRecord = (Token, u64, String);

/// The OMAPI listener and its connections.
pub struct OmapiNet {
    listener: TcpListener,
    conns: HashMap<Token, Conn>,
    next: usize,
    /// Requests must be signed with this key.
    key: Option<dhcpd_omapi::Key>,
    /// Why every connection is refused (an `omapi-key` this server cannot use).
    refuse: Option<String>,
    /// Records to stage in the journal (taken by [`OmapiNet::take_records`]).
    records: Vec<OmapiRecord>,
}

impl std::fmt::Debug for OmapiNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmapiNet")
            .field("listener", &self.listener)
            .field("conns", &self.conns.len())
            .field("key", &self.key)
            .field("refuse", &self.refuse)
            .finish()
    }
}

impl OmapiNet {
    /// Listens on `port` on every address (as ISC does). `key`: the `omapi-key` requests
    /// must be signed with; `refuse`: why every connection is to be refused instead.
    pub fn open(
        port: u16,
        key: Option<dhcpd_omapi::Key>,
        refuse: Option<String>,
    ) -> io::Result<OmapiNet> {
        let listener = TcpListener::bind(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::UNSPECIFIED,
            port,
        )))?;
        Ok(OmapiNet {
            listener,
            conns: HashMap::new(),
            next: FIRST_CONN,
            key,
            refuse,
            records: Vec::new(),
        })
    }

    /// The lease-file records OMAPI changes made since the last call: the caller stages
    /// each in the journal and reports it durable with [`OmapiNet::committed`].
    pub fn take_records(&mut self) -> Vec<OmapiRecord> {
        std::mem::take(&mut self.records)
    }

    /// Record `seq` of connection `t` is durable: the answers that waited for it go out.
    pub fn committed(&mut self, t: Token, seq: u64) {
        let Some(c) = self.conns.get_mut(&t) else {
            return;
        };
        c.durable = c.durable.max(seq);
        if c.durable >= c.held_until && !c.held.is_empty() {
            let held = std::mem::take(&mut c.held);
            c.out.extend_from_slice(&held);
            if flush(c).is_err() {
                log::error!("OMAPI connection from {}: closed", c.peer);
            }
        }
    }

    /// Registers the listener and the connections.
    pub fn register(&mut self, reg: &Registry) -> io::Result<()> {
        reg.register(&mut self.listener, LISTENER, Interest::READABLE)?;
        for (t, c) in &mut self.conns {
            reg.register(&mut c.stream, *t, Interest::READABLE | Interest::WRITABLE)?;
        }
        Ok(())
    }

    /// Deregisters everything.
    pub fn deregister(&mut self, reg: &Registry) {
        let _ = reg.deregister(&mut self.listener);
        for c in self.conns.values_mut() {
            let _ = reg.deregister(&mut c.stream);
        }
    }

    /// Whether the token is ours.
    pub fn owns(&self, t: Token) -> bool {
        t == LISTENER || self.conns.contains_key(&t)
    }

    /// A readiness event on one of our tokens.
    pub fn handle_event<E: Engine + FailoverEngine>(
        &mut self,
        engine: &mut E,
        reg: &Registry,
        t: Token,
    ) {
        if t == LISTENER {
            self.accept(reg);
            return;
        }
        let Some(c) = self.conns.get_mut(&t) else {
            return;
        };
        let keep = serve(c, engine, t, &mut self.records);
        if !keep {
            if let Some(mut c) = self.conns.remove(&t) {
                let _ = reg.deregister(&mut c.stream);
            }
        }
    }

    fn accept(&mut self, reg: &Registry) {
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::error!("OMAPI: accept: {e}");
                    return;
                }
            };
            if let Some(why) = &self.refuse {
                log::error!("OMAPI connection from {peer} refused: {why}");
                continue;
            }
            if self.conns.len() >= MAX_CONNS {
                log::error!("OMAPI connection from {peer} refused: {MAX_CONNS} already open");
                continue;
            }
            let t = Token(self.next);
            self.next = self.next.wrapping_add(1).max(FIRST_CONN);
            if let Err(e) = reg.register(&mut stream, t, Interest::READABLE | Interest::WRITABLE) {
                log::error!("OMAPI: {e}");
                continue;
            }
            let mut session = Session::with_key(self.key.clone());
            let out = session.take_output();
            let mut c = Conn {
                stream,
                peer,
                session,
                out,
                held: Vec::new(),
                staged: 0,
                held_until: 0,
                durable: 0,
            };
            if flush(&mut c).is_err() {
                let _ = reg.deregister(&mut c.stream);
                continue;
            }
            self.conns.insert(t, c);
        }
    }

    /// Closes every connection (stop).
    pub fn close_all(&mut self, reg: &Registry) {
        for (_, mut c) in self.conns.drain() {
            let _ = reg.deregister(&mut c.stream);
        }
    }
}

/// Writes what is pending; `Err` when the connection is gone.
fn flush(c: &mut Conn) -> io::Result<()> {
    while !c.out.is_empty() {
        match c.stream.write(&c.out) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                c.out.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads everything available, answers, writes (answers that wait for records are held,
/// their records added to `records`). `false`: close.
fn serve<E: Engine + FailoverEngine>(
    c: &mut Conn,
    engine: &mut E,
    t: Token,
    records: &mut Vec<OmapiRecord>,
) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                let mut objects = EngineObjects {
                    engine,
                    records: Vec::new(),
                };
                let received = c.session.receive(&buf[..n], &mut objects);
                let new = std::mem::take(&mut objects.records);
                for r in new {
                    c.staged += 1;
                    c.held_until = c.staged;
                    records.push((t, c.staged, r));
                }
                match received {
                    Ok(lines) => {
                        for l in lines {
                            log::info!("{l} (from {})", c.peer);
                        }
                    }
                    Err(e) => {
                        log::error!("OMAPI connection from {}: {e}; closed", c.peer);
                        return false;
                    }
                }
                let more = c.session.take_output();
                if c.held_until > c.durable {
                    // After (or with) an answer that waits for a record: in order.
                    c.held.extend_from_slice(&more);
                } else {
                    c.out.extend_from_slice(&more);
                }
                if c.out.len() + c.held.len() > MAX_PENDING {
                    log::error!(
                        "OMAPI connection from {}: not reading its answers; closed",
                        c.peer
                    );
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    flush(c).is_ok()
}

/// The engine's failover relationships, hosts and leases as OMAPI objects.
struct EngineObjects<'a, E> {
    engine: &'a mut E,
    /// Lease-file records the changes made (to be durable before the answers go).
    records: Vec<String>,
}

/// The names ISC's `failover-state` accepts in an update (all but local-state are ignored).
const FAILOVER_NAMES: &[&str] = &[
    "name",
    "partner-address",
    "local-address",
    "partner-port",
    "local-port",
    "max-outstanding-updates",
    "mclt",
    "load-balance-max-secs",
    "load-balance-hba",
    "partner-state",
    "local-state",
    "partner-stos",
    "local-stos",
    "hierarchy",
    "last-packet-sent",
    "last-timestamp-received",
    "skew",
    "max-response-delay",
    "cur-unacked-updates",
];

impl<E: Engine + FailoverEngine> Objects for EngineObjects<'_, E> {
    fn known_type(&self, kind: &str) -> bool {
        ISC_TYPES.contains(&kind)
    }

    fn lookup(&self, kind: &str, key: &[Pair]) -> Result<Option<String>, Refusal> {
        if kind == "lease" {
            return lease_lookup(self.engine, key);
        }
        if kind == "host" {
            return host_lookup(self.engine, key);
        }
        if kind != "failover-state" {
            return Err(Refusal::new(
                result::NOT_IMPLEMENTED,
                &format!(
                    "dhcpd-rs serves only failover-state, host and lease objects over OMAPI, not {kind}"
                ),
            ));
        }
        let Some((_, name)) = key.iter().find(|(n, _)| n == b"name") else {
            // ISC: no key, so it tries to create one, which failover-state cannot.
            return Err(Refusal::new(
                result::NOT_IMPLEMENTED,
                "can't create new object",
            ));
        };
        let name = String::from_utf8_lossy(name).into_owned();
        Ok(self.engine.failover_view(&name).map(|_| name))
    }

    fn values(&self, kind: &str, id: &str) -> Option<Vec<(String, Value)>> {
        if kind == "lease" {
            return lease_values(self.engine, id);
        }
        if kind == "host" {
            return host_values(self.engine, id);
        }
        let v = self.engine.failover_view(id)?;
        let int = |i: i64| Value::Int(i as u32);
        let mut out = vec![
            ("name".to_string(), Value::Str(v.name.clone())),
            (
                "partner-address".to_string(),
                Value::Bytes(v.partner_address.octets().to_vec()),
            ),
            (
                "partner-port".to_string(),
                Value::Int(u32::from(v.partner_port)),
            ),
            (
                "local-address".to_string(),
                Value::Bytes(v.local_address.octets().to_vec()),
            ),
            (
                "local-port".to_string(),
                Value::Int(u32::from(v.local_port)),
            ),
            (
                "max-outstanding-updates".to_string(),
                Value::Int(v.max_outstanding_updates),
            ),
            ("mclt".to_string(), Value::Int(v.mclt)),
            (
                "load-balance-max-secs".to_string(),
                Value::Int(v.load_balance_max_secs),
            ),
        ];
        if v.hba.iter().any(|b| *b != 0) {
            out.push(("load-balance-hba".to_string(), Value::Bytes(v.hba.to_vec())));
        }
        out.extend([
            ("partner-state".to_string(), Value::Int(v.partner_state)),
            ("local-state".to_string(), Value::Int(v.local_state)),
            ("partner-stos".to_string(), int(v.partner_stos)),
            ("local-stos".to_string(), int(v.local_stos)),
            ("hierarchy".to_string(), Value::Int(v.hierarchy)),
            // Not tracked by dhcpd-rs: 0.
            ("last-packet-sent".to_string(), Value::Int(0)),
            ("last-timestamp-received".to_string(), Value::Int(0)),
            ("skew".to_string(), Value::Int(0)),
            (
                "max-response-delay".to_string(),
                Value::Int(v.max_response_delay),
            ),
            (
                "cur-unacked-updates".to_string(),
                Value::Int(v.cur_unacked_updates),
            ),
        ]);
        Some(out)
    }

    fn update(&mut self, kind: &str, id: &str, values: &[Pair]) -> Result<(), Refusal> {
        if kind == "lease" {
            return self.lease_update(id, values, None);
        }
        if kind == "host" {
            let Some(view) = self.engine.host_view(id) else {
                return Err(Refusal::new(result::NOT_FOUND, "the host is gone"));
            };
            let mut draft = HostDraft::of(&view);
            draft.apply(values)?;
            let host = draft.finish()?;
            let records = self.engine.host_enter(host, true).map_err(host_refusal)?;
            self.records.extend(records);
            return Ok(());
        }
        for (n, v) in values {
            let name = String::from_utf8_lossy(n);
            if !FAILOVER_NAMES.contains(&name.as_ref()) {
                return Err(Refusal::new(
                    result::NOT_FOUND,
                    &format!("failover-state has no value {name}"),
                ));
            }
            if name != "local-state" {
                continue;
            }
            let Some(state) = int_value(v) else {
                return Err(Refusal::new(
                    result::INVALID_ARG,
                    "local-state: not a 4-byte integer",
                ));
            };
            self.engine
                .failover_set_local_state(id, state, SystemTime::now())
                .map_err(|e| Refusal::new(result::INVALID_ARG, &e))?;
        }
        Ok(())
    }

    fn update_handle(
        &mut self,
        kind: &str,
        id: &str,
        values: &[Pair],
        handle: u32,
    ) -> Result<(), Refusal> {
        if kind == "lease" {
            return self.lease_update(id, values, Some(handle));
        }
        self.update(kind, id, values)
    }

    fn create(&mut self, kind: &str, values: &[Pair]) -> Result<String, Refusal> {
        if kind != "host" {
            return Err(Refusal::new(
                result::NOT_IMPLEMENTED,
                "can't create new object",
            ));
        }
        let mut draft = HostDraft::default();
        draft.apply(values)?;
        let host = draft.finish()?;
        let name = host.name.clone();
        let records = self.engine.host_enter(host, false).map_err(host_refusal)?;
        self.records.extend(records);
        Ok(name)
    }

    fn remove(&mut self, kind: &str, id: &str) -> Result<(), Refusal> {
        if kind != "host" {
            return Err(Refusal {
                code: result::NOT_IMPLEMENTED,
                text: None,
            });
        }
        let record = self.engine.host_remove(id).map_err(host_refusal)?;
        self.records.push(record);
        Ok(())
    }
}

impl<E: Engine + FailoverEngine> EngineObjects<'_, E> {
    /// ISC's `dhcp_lease_set_value` for each value in order (the values before a refused
    /// one stay applied, as in ISC), then, for an UPDATE by handle, the lease's
    /// `remote-handle` variable (ISC's `omapi_object_update`). Every change's record goes
    /// to the journal before the answer.
    fn lease_update(
        &mut self,
        id: &str,
        values: &[Pair],
        handle: Option<u32>,
    ) -> Result<(), Refusal> {
        let Ok(addr) = id.parse::<Ipv4Addr>() else {
            return Err(Refusal::new(result::NOT_FOUND, "the lease is gone"));
        };
        let int = |what: &str, v: &[u8]| {
            int_value(v).ok_or_else(|| {
                Refusal::new(
                    result::INVALID_ARG,
                    &format!("{what}: not a 4-byte integer"),
                )
            })
        };
        let no_perm = |what: &str| {
            Refusal::new(
                result::NO_PERMISSION,
                &format!("a lease's {what} cannot be changed"),
            )
        };
        for (n, v) in values {
            let change = match n.as_slice() {
                b"state" => LeaseChange::State(int("state", v)?),
                b"ends" => LeaseChange::Ends(int("ends", v)?),
                b"flags" => LeaseChange::Flags(match v.as_slice() {
                    [f] => *f,
                    // ISC keeps the low byte of a 4-byte integer.
                    _ => int("flags", v)? as u8,
                }),
                b"ip-address" => return Err(no_perm("ip-address")),
                b"starts" => return Err(no_perm("starts")),
                b"pool" => return Err(no_perm("pool")),
                b"subnet" => {
                    return Err(Refusal::new(
                        result::INVALID_ARG,
                        "a lease's subnet cannot be changed",
                    ));
                }
                // ISC accepts these and leaves them as they are.
                b"dhcp-client-identifier"
                | b"hostname"
                | b"client-hostname"
                | b"host"
                | b"billing-class"
                | b"hardware-address"
                | b"hardware-type" => continue,
                // Any other name is a variable of the lease's scope. ISC 4.4.3 stores a
                // value that came over the wire as a boolean (its `binding_scope_set_value`
                // never sets the type of a data value): `set NAME = true;`.
                other => LeaseChange::Variable(dhcpd_leases::model::Binding {
                    name: String::from_utf8_lossy(other).into_owned(),
                    value: dhcpd_leases::model::BindingValue::Boolean(true),
                }),
            };
            self.lease_change(addr, change)?;
        }
        if let Some(h) = handle {
            let change = LeaseChange::Variable(dhcpd_leases::model::Binding {
                name: "remote-handle".to_string(),
                value: dhcpd_leases::model::BindingValue::Numeric(i64::from(h)),
            });
            self.lease_change(addr, change)?;
        }
        Ok(())
    }

    fn lease_change(&mut self, addr: Ipv4Addr, change: LeaseChange) -> Result<(), Refusal> {
        match self.engine.lease_update(addr, change, SystemTime::now()) {
            Ok(records) => {
                self.records.extend(records.into_iter().flatten());
                Ok(())
            }
            Err(LeaseError::NotFound) => Err(Refusal::new(result::NOT_FOUND, "the lease is gone")),
            Err(LeaseError::InvalidArg(why)) => Err(Refusal::new(result::INVALID_ARG, &why)),
            Err(LeaseError::Refused(why)) => Err(Refusal::new(result::NOT_IMPLEMENTED, &why)),
        }
    }
}

/// ISC's result for an engine's host error.
fn host_refusal(e: HostError) -> Refusal {
    match e {
        HostError::Exists => Refusal::new(result::EXISTS, "a host of that name exists"),
        HostError::NotFound => Refusal::new(result::NOT_FOUND, "no such host"),
        HostError::Refused(why) => Refusal::new(result::IO_ERROR, &why),
    }
}

/// A host being made from OMAPI values, with ISC's rules (`dhcp_host_set_value`): the
/// name, hardware address, client identifier and statements can be set once only (an
/// update of any of them is refused `already exists`), the hardware type and the fixed
/// addresses at any time; the host needs a hardware address or a client identifier.
#[derive(Debug, Default)]
struct HostDraft {
    name: Option<String>,
    htype: u8,
    hw: Option<Vec<u8>>,
    uid: Vec<u8>,
    fixed: Vec<Ipv4Addr>,
    statements: Option<Vec<dhcpd_conf::exec::Executable>>,
    /// The host it replaces already has statements.
    had_statements: bool,
}

/// Numbers the names of hosts created without one (ISC: `nh` + time + pointer).
static UNNAMED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl HostDraft {
    fn of(v: &HostView) -> HostDraft {
        HostDraft {
            name: Some(v.name.clone()),
            htype: v.hardware.map_or(0, |h| h.htype),
            hw: v.hardware.map(|h| h.addr().to_vec()),
            uid: v.uid.clone().unwrap_or_default(),
            fixed: v.fixed.clone(),
            statements: None,
            had_statements: v.has_statements,
        }
    }

    fn apply(&mut self, values: &[Pair]) -> Result<(), Refusal> {
        let exists = |what: &str| Refusal::new(result::EXISTS, &format!("{what} is already set"));
        for (n, v) in values {
            match n.as_slice() {
                b"name" => {
                    if self.name.is_some() {
                        return Err(exists("name"));
                    }
                    self.name = Some(String::from_utf8_lossy(v).into_owned());
                }
                b"hardware-address" => {
                    if self.hw.is_some() {
                        return Err(exists("hardware-address"));
                    }
                    if v.len() > dhcpd_conf::basic::HARDWARE_ADDR_LEN {
                        return Err(Refusal::new(
                            result::INVALID_ARG,
                            "hardware-address: too long",
                        ));
                    }
                    self.hw = Some(v.clone());
                }
                b"hardware-type" => {
                    let t = int_value(v).ok_or_else(|| {
                        Refusal::new(result::INVALID_ARG, "hardware-type: not a 4-byte integer")
                    })?;
                    // ISC keeps the low byte.
                    self.htype = t as u8;
                }
                b"dhcp-client-identifier" => {
                    if !self.uid.is_empty() {
                        return Err(exists("dhcp-client-identifier"));
                    }
                    self.uid = v.clone();
                }
                b"ip-address" => {
                    self.fixed = v
                        .chunks_exact(4)
                        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                        .collect();
                }
                b"statements" => {
                    if self.had_statements || self.statements.is_some() {
                        return Err(exists("statements"));
                    }
                    self.statements = Some(parse_statements(v)?);
                }
                // ISC accepts `known` and ignores it.
                b"known" => {}
                b"group" => {
                    return Err(Refusal::new(
                        result::NOT_FOUND,
                        "dhcpd-rs has no named groups for OMAPI hosts",
                    ));
                }
                other => {
                    return Err(Refusal::new(
                        result::UNKNOWN_ATTRIBUTE,
                        &format!("host has no value {}", String::from_utf8_lossy(other)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The host to enter (ISC's `updated` signal): it needs a hardware address or a client
    /// identifier; a host without a name gets one.
    fn finish(self) -> Result<dhcpd_leases::Host, Refusal> {
        let hardware = match &self.hw {
            Some(a) => Some(
                dhcpd_conf::basic::HardwareAddr::new(self.htype, a).ok_or_else(|| {
                    Refusal::new(result::INVALID_ARG, "hardware-address: too long")
                })?,
            ),
            None => None,
        };
        if hardware.is_none() && self.uid.is_empty() {
            return Err(Refusal::new(
                result::INVALID_ARG,
                "a host needs a hardware-address or a dhcp-client-identifier",
            ));
        }
        let name = self.name.unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let n = UNNAMED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("nh{:08x}{n:08x}", now as u32)
        });
        Ok(dhcpd_leases::Host {
            name,
            dynamic: true,
            deleted: false,
            hardware,
            uid: self.uid,
            fixed_address: self
                .fixed
                .into_iter()
                .map(dhcpd_conf::basic::AddrOrName::Addr)
                .collect(),
            group: None,
            statements: self.statements.unwrap_or_default(),
        })
    }
}

/// OMAPI's `statements` value, parsed as ISC parses it (executable statements, as in a
/// host declaration; here through the lease-file reader's host parser).
fn parse_statements(text: &[u8]) -> Result<Vec<dhcpd_conf::exec::Executable>, Refusal> {
    let bad = || Refusal::new(result::BAD_PARSE, "statements: syntax error");
    if text.contains(&b'}') {
        return Err(bad());
    }
    let mut src = b"host omapi-statements {\n".to_vec();
    src.extend_from_slice(text);
    src.extend_from_slice(b"\n}\n");
    let parsed = dhcpd_leases::parse_file(
        "network client",
        &src,
        &dhcpd_leases::LoadOptions::default(),
    );
    if parsed.diagnostics.iter().any(|d| d.is_error()) || parsed.fatal {
        return Err(bad());
    }
    match parsed.records.as_slice() {
        [dhcpd_leases::Record::Host(h)]
            if h.hardware.is_none() && h.uid.is_empty() && h.fixed_address.is_empty() =>
        {
            Ok(h.statements.clone())
        }
        _ => Err(bad()),
    }
}

/// ISC's `dhcp_host_lookup`: by client identifier, hardware address (type 1 unless given),
/// the hardware address of the lease at an ip-address, and name; keys that find different
/// hosts conflict. `Ok(None)`: no key given (an OPEN with `create` then creates one).
fn host_lookup<E: Engine>(engine: &E, key: &[Pair]) -> Result<Option<String>, Refusal> {
    not_found_is_none(host_search(engine, key))
}

/// A search's "not found" as no match (the OPEN may then create the object).
fn not_found_is_none(r: Result<Option<String>, Refusal>) -> Result<Option<String>, Refusal> {
    match r {
        Err(r) if r.code == result::NOT_FOUND => Ok(None),
        other => other,
    }
}

fn host_search<E: Engine>(engine: &E, key: &[Pair]) -> Result<Option<String>, Refusal> {
    let get = |name: &[u8]| key.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let failed = |code: u32| Refusal::new(code, "object lookup failed");
    let not_found = || Refusal::new(result::NOT_FOUND, "no object matches specification");
    let mut found: Option<String> = None;
    let merge = |hit: Option<String>, found: &mut Option<String>| -> Result<(), Refusal> {
        match (hit, found.as_ref()) {
            (Some(h), Some(f)) if &h != f => Err(failed(result::KEY_CONFLICT)),
            (None, Some(_)) => Err(failed(result::KEY_CONFLICT)),
            (None, None) => Err(not_found()),
            (Some(h), _) => {
                *found = Some(h);
                Ok(())
            }
        }
    };
    if let Some(uid) = get(b"dhcp-client-identifier") {
        let hit = engine.host_find(&HostKey::Uid(uid.clone()));
        merge(hit, &mut found)?;
    }
    if let Some(addr) = get(b"hardware-address") {
        let hw = hardware_key(addr, get(b"hardware-type"))?;
        let hit = engine.host_find(&HostKey::Hardware(hw));
        merge(hit, &mut found)?;
    }
    if let Some(ip) = get(b"ip-address") {
        let lease = <[u8; 4]>::try_from(ip.as_slice())
            .ok()
            .and_then(|b| engine.lease_view(Ipv4Addr::from(b)));
        match lease {
            None if found.is_none() => return Err(not_found()),
            None => {}
            Some(l) => {
                let hit = l
                    .hardware
                    .and_then(|(t, a)| dhcpd_conf::basic::HardwareAddr::new(t, &a))
                    .and_then(|hw| engine.host_find(&HostKey::Hardware(hw)));
                match (hit, found.as_ref()) {
                    (Some(h), Some(f)) if &h != f => return Err(failed(result::KEY_CONFLICT)),
                    (None, None) => return Err(not_found()),
                    (Some(h), _) => found = Some(h),
                    (None, Some(_)) => {}
                }
            }
        }
    }
    if let Some(name) = get(b"name") {
        let hit = engine.host_find(&HostKey::Name(String::from_utf8_lossy(name).into_owned()));
        match (hit, found.as_ref()) {
            (Some(h), Some(f)) if &h != f => return Err(failed(result::KEY_CONFLICT)),
            (None, _) => return Err(not_found()),
            (Some(h), _) => found = Some(h),
        }
    }
    Ok(found)
}

/// The hardware address OMAPI names: the address, and the type (a 4-byte integer whose
/// first three bytes are 0; ISC takes ethernet without one).
fn hardware_key(
    addr: &[u8],
    htype: Option<&Vec<u8>>,
) -> Result<dhcpd_conf::basic::HardwareAddr, Refusal> {
    let t = match htype {
        None => 1,
        Some(v) => match v.as_slice() {
            [0, 0, 0, t] => *t,
            _ => return Err(Refusal::new(result::INVALID_ARG, "object lookup failed")),
        },
    };
    dhcpd_conf::basic::HardwareAddr::new(t, addr)
        .ok_or_else(|| Refusal::new(result::NOT_FOUND, "no object matches specification"))
}

/// ISC's host values in ISC's order (`dhcp_host_stuff_values`).
fn host_values<E: Engine>(engine: &E, name: &str) -> Option<Vec<(String, Value)>> {
    let h = engine.host_view(name)?;
    let mut out = Vec::new();
    if !h.fixed.is_empty() {
        let bytes = h.fixed.iter().flat_map(|a| a.octets()).collect();
        out.push(("ip-address".to_string(), Value::Bytes(bytes)));
    }
    if let Some(uid) = h.uid.filter(|u| !u.is_empty()) {
        out.push(("dhcp-client-identifier".to_string(), Value::Bytes(uid)));
    }
    out.push(("name".to_string(), Value::Str(h.name)));
    if let Some(hw) = h.hardware {
        out.push((
            "hardware-address".to_string(),
            Value::Bytes(hw.addr().to_vec()),
        ));
        out.push(("hardware-type".to_string(), Value::Int(u32::from(hw.htype))));
    }
    Some(out)
}

/// ISC's `dhcp_lease_lookup`: by `ip-address`, `dhcp-client-identifier` (refused
/// `multiple` when several leases have it) and `hardware-address` (type 1 unless given);
/// keys that find different leases conflict.
fn lease_lookup<E: Engine>(engine: &E, key: &[Pair]) -> Result<Option<String>, Refusal> {
    not_found_is_none(lease_search(engine, key))
}

fn lease_search<E: Engine>(engine: &E, key: &[Pair]) -> Result<Option<String>, Refusal> {
    let get = |name: &[u8]| key.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let failed = |code: u32| Refusal::new(code, "object lookup failed");
    let mut found: Option<Ipv4Addr> = None;
    let mut merge = |hits: Vec<Ipv4Addr>, multiple_ok: bool| -> Result<(), Refusal> {
        match (hits.first(), found) {
            (Some(h), Some(f)) if *h != f => Err(failed(result::KEY_CONFLICT)),
            (None, Some(_)) => Err(failed(result::KEY_CONFLICT)),
            (None, None) => Ok(()),
            (Some(_), _) if hits.len() > 1 && !multiple_ok => Err(failed(result::MULTIPLE)),
            (Some(h), _) => {
                found = Some(*h);
                Ok(())
            }
        }
    };
    let mut any = false;
    let not_found = || Refusal::new(result::NOT_FOUND, "no object matches specification");
    if let Some(v) = get(b"ip-address") {
        any = true;
        let addr = <[u8; 4]>::try_from(v.as_slice())
            .ok()
            .map(Ipv4Addr::from)
            .filter(|a| engine.lease_view(*a).is_some());
        let Some(a) = addr else {
            return Err(not_found());
        };
        merge(vec![a], true)?;
    }
    if let Some(uid) = get(b"dhcp-client-identifier") {
        any = true;
        let hits = engine.leases_of(&HostKey::Uid(uid.clone()));
        if hits.is_empty() {
            return Err(not_found());
        }
        merge(hits, false)?;
    }
    if let Some(addr) = get(b"hardware-address") {
        any = true;
        let hits = hardware_key(addr, get(b"hardware-type"))
            .map(|hw| engine.leases_of(&HostKey::Hardware(hw)))?;
        if hits.is_empty() {
            return Err(not_found());
        }
        merge(hits, false)?;
    }
    if !any {
        // ISC: no key, so it tries to create a lease, which it cannot.
        return Err(Refusal::new(
            result::NOT_IMPLEMENTED,
            "can't create new object",
        ));
    }
    Ok(found.map(|a| a.to_string()))
}

/// ISC's lease values in ISC's order, without the `host`, `subnet`, `pool` and
/// `billing-class` handles (dhcpd-rs has no such OMAPI objects), then the lease's scope
/// variables.
fn lease_values<E: Engine>(engine: &E, id: &str) -> Option<Vec<(String, Value)>> {
    let l = engine.lease_view(id.parse().ok()?)?;
    let mut out = vec![
        ("state".to_string(), Value::Int(l.state)),
        (
            "ip-address".to_string(),
            Value::Bytes(l.addr.octets().to_vec()),
        ),
    ];
    if !l.uid.is_empty() {
        out.push(("dhcp-client-identifier".to_string(), Value::Bytes(l.uid)));
    }
    if let Some(h) = l.client_hostname {
        out.push(("client-hostname".to_string(), Value::Bytes(h)));
    }
    if let Some((htype, addr)) = l.hardware.filter(|(_, a)| !a.is_empty()) {
        out.push(("hardware-address".to_string(), Value::Bytes(addr)));
        out.push(("hardware-type".to_string(), Value::Int(u32::from(htype))));
    }
    for (name, t) in ["ends", "starts", "tstp", "tsfp", "atsfp", "cltt"]
        .into_iter()
        .zip(l.times)
    {
        // ISC sends the low 32 bits.
        out.push((name.to_string(), Value::Int(t as u32)));
    }
    out.push(("flags".to_string(), Value::Bytes(vec![l.flags])));
    // The scope's variables, as ISC's `binding_scope_stuff_values` sends them.
    for b in engine.lease_variables(l.addr) {
        use dhcpd_leases::model::BindingValue;
        let v = match b.value {
            BindingValue::Data(d) => Value::Bytes(d),
            // ISC sends the low 32 bits.
            BindingValue::Numeric(n) => Value::Int(n as u32),
            BindingValue::Boolean(t) => Value::Int(u32::from(t)),
        };
        out.push((b.name, v));
    }
    Some(out)
}
