//! OMAPI on `omapi-port`: the TCP listener and its connections, each a
//! [`dhcpd_omapi::Session`] whose objects are the engine's failover relationships
//! (`failover-state`) and, read only, its leases (`lease`, by `ip-address`).
//! With `omapi-key` naming an HMAC-MD5 key every request must be signed with it, as ISC
//! demands; a key this server cannot use (another algorithm, no secret) refuses every
//! connection (logged) rather than serve unsigned.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::SystemTime;

use dhcpd_core::{Engine, FailoverEngine};
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
}

/// The OMAPI listener and its connections.
pub struct OmapiNet {
    listener: TcpListener,
    conns: HashMap<Token, Conn>,
    next: usize,
    /// Requests must be signed with this key.
    key: Option<dhcpd_omapi::Key>,
    /// Why every connection is refused (an `omapi-key` this server cannot use).
    refuse: Option<String>,
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
        })
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
        let keep = serve(c, engine);
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

/// Reads everything available, answers, writes. `false`: close.
fn serve<E: Engine + FailoverEngine>(c: &mut Conn, engine: &mut E) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                let mut objects = EngineObjects { engine };
                match c.session.receive(&buf[..n], &mut objects) {
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
                c.out.extend_from_slice(&more);
                if c.out.len() > MAX_PENDING {
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

/// The engine's failover relationships as OMAPI `failover-state` objects.
struct EngineObjects<'a, E> {
    engine: &'a mut E,
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
        if kind != "failover-state" {
            return Err(Refusal::new(
                result::NOT_IMPLEMENTED,
                &format!(
                    "dhcpd-rs serves only failover-state and lease objects over OMAPI, not {kind}"
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
            return Err(Refusal::new(
                result::NOT_IMPLEMENTED,
                "dhcpd-rs's OMAPI lease object is read-only",
            ));
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
}

/// A lease by `ip-address` (ISC also looks leases up by `dhcp-client-identifier` and
/// `hardware-address`; those are refused here).
fn lease_lookup<E: Engine>(engine: &E, key: &[Pair]) -> Result<Option<String>, Refusal> {
    let Some((_, v)) = key.iter().find(|(n, _)| n == b"ip-address") else {
        return Err(Refusal::new(
            result::NOT_IMPLEMENTED,
            "dhcpd-rs looks leases up by ip-address only",
        ));
    };
    let Ok(b) = <[u8; 4]>::try_from(v.as_slice()) else {
        return Err(Refusal::new(result::INVALID_ARG, "ip-address: not 4 bytes"));
    };
    let addr = Ipv4Addr::from(b);
    Ok(engine.lease_view(addr).map(|_| addr.to_string()))
}

/// ISC's lease values in ISC's order, without the `host`, `subnet`, `pool` and
/// `billing-class` handles (dhcpd-rs has no such OMAPI objects) and without the lease's
/// scope variables.
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
    Some(out)
}
