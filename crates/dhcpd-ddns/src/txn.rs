//! The update transactions, as ISC's `ddns.c` runs them, one per lease address:
//!
//! - add: forward add 1 (prerequisite "name not in use"; add A and guard); on YXDOMAIN,
//!   forward add 2 (prerequisite "our guard is there"; replace the A); then the PTR
//!   (delete the PTR RRset, add ours). A lease variable change follows each success.
//! - remove: forward remove 1 (prerequisite "our guard"; delete our A); on success forward
//!   remove 2 (prerequisites "no A, no AAAA"; delete our guard); then the PTR; then an add
//!   that waited for the removal (a lease whose name changed).
//!
//! Sans-IO: [`Ddns::poll_output`] says what to send and which lease variables change; the
//! caller feeds answers ([`Ddns::handle_response`]) and the clock ([`Ddns::handle_timeout`]).

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::guard::Guard;
use crate::message::{Rr, TsigKey, Update, class, parse_response, rtype};
use crate::name::Name;

/// A `zone` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone's name.
    pub name: Name,
    /// `primary` servers (port 53); updates go to the first.
    pub servers: Vec<SocketAddrV4>,
    /// Its `key`.
    pub key: Option<TsigKey>,
}

/// Global settings (ISC reads them once, from the global scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `update-conflict-detection` (default on).
    pub conflict_detection: bool,
    /// `ddns-guard-id-must-match` (default on; off when conflict detection is off).
    pub guard_id_must_match: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            conflict_detection: true,
            guard_id_must_match: true,
        }
    }
}

/// What to add for an acknowledged lease (computed by the caller as ISC's `ddns_updates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Add {
    /// The lease's address.
    pub addr: Ipv4Addr,
    /// The forward name (`ddns-fwd-name`), as text.
    pub fwd_name: Vec<u8>,
    /// The guard: `Some` when the server updates the A record, `None` when the client does.
    pub guard: Option<Guard>,
    /// The reverse name (`ddns-rev-name`), when the PTR is to be updated.
    pub rev_name: Option<Vec<u8>>,
    /// TTL of the records.
    pub ttl: u32,
}

/// What to remove, from a lease's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remove {
    /// The lease's address.
    pub addr: Ipv4Addr,
    /// `ddns-fwd-name`, with the guard (`ddns-dhcid`/`ddns-txt`) when both are known.
    pub fwd: Option<(Vec<u8>, Guard)>,
    /// `ddns-rev-name`.
    pub rev_name: Option<Vec<u8>>,
    /// The client updated its A record (`ddns-client-fqdn`): unset with the PTR.
    pub client_fqdn: bool,
    /// The lease stays active: its variables follow the removals.
    pub active: bool,
}

/// A change of one lease variable (`None`: unset).
pub type VarChange = (String, Option<Vec<u8>>);

/// What the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a datagram to a DNS server.
    Send {
        /// The server.
        to: SocketAddrV4,
        /// The message.
        payload: Vec<u8>,
    },
    /// Apply these changes, in order, to the variables of the lease at `addr` (if it is still
    /// there) and write the lease.
    Vars {
        /// The lease.
        addr: Ipv4Addr,
        /// Changes in order.
        changes: Vec<VarChange>,
    },
    /// A log line in ISC's wording; `error`: `log_error`, else `log_info`.
    Log {
        /// Error or info.
        error: bool,
        /// The text.
        text: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    AddFwd1,
    AddFwd2,
    AddPtr,
    RemFwd1,
    RemFwd2,
    RemPtr,
}

/// The result of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Rcode(u8),
    TimedOut,
    BadSig,
}

const NOERROR: u8 = 0;
const NXDOMAIN: u8 = 3;
const YXDOMAIN: u8 = 6;
const YXRRSET: u8 = 7;
const NXRRSET: u8 = 8;

fn outcome_text(o: Outcome) -> String {
    match o {
        Outcome::TimedOut => "timed out".to_string(),
        Outcome::BadSig => "tsig verify failure".to_string(),
        Outcome::Rcode(r) => match r {
            0 => "success",
            1 => "FORMERR",
            2 => "SERVFAIL",
            3 => "NXDOMAIN",
            4 => "NOTIMP",
            5 => "REFUSED",
            6 => "YXDOMAIN",
            7 => "YXRRSET",
            8 => "NXRRSET",
            9 => "NOTAUTH",
            10 => "NOTZONE",
            _ => "unexpected rcode",
        }
        .to_string(),
    }
}

#[derive(Debug, Clone)]
struct InFlight {
    id: u16,
    to: SocketAddrV4,
    bytes: Vec<u8>,
    mac: Vec<u8>,
    key: Option<TsigKey>,
    sends: u32,
    deadline: SystemTime,
}

#[derive(Debug, Clone)]
struct Txn {
    step: Step,
    active: bool,
    /// The add in progress, or waiting for the removal.
    add: Option<Add>,
    remove: Option<Remove>,
    /// The removal succeeded far enough for the waiting add to run.
    execute_next: bool,
    flight: Option<InFlight>,
}

/// Seconds between sends of one request, and sends before giving up (BIND's client: a
/// 3-second UDP timeout, 3 retries).
pub const RETRY_AFTER: Duration = Duration::from_secs(3);
/// Sends of one request.
pub const SENDS: u32 = 4;

/// The DDNS updater.
#[derive(Debug)]
pub struct Ddns {
    zones: Vec<Zone>,
    settings: Settings,
    txns: HashMap<Ipv4Addr, Txn>,
    out: VecDeque<Output>,
    rng: u64,
}

impl Ddns {
    /// An updater for these zones; `seed` starts the message-ID sequence.
    pub fn new(zones: Vec<Zone>, settings: Settings, seed: u64) -> Ddns {
        Ddns {
            zones,
            settings,
            txns: HashMap::new(),
            out: VecDeque::new(),
            rng: seed | 1,
        }
    }

    /// Whether a transaction for `addr` is running.
    pub fn busy(&self, addr: Ipv4Addr) -> bool {
        self.txns.contains_key(&addr)
    }

    fn next_id(&mut self) -> u16 {
        loop {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let id = (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 48) as u16;
            if !self
                .txns
                .values()
                .any(|t| t.flight.as_ref().is_some_and(|f| f.id == id))
            {
                return id;
            }
        }
    }

    fn log(&mut self, error: bool, text: String) {
        self.out.push_back(Output::Log { error, text });
    }

    /// Starts the updates for an acknowledged lease (cancelling what ran for it). With
    /// `remove_first` (the lease had another name), the old records go first and the add
    /// runs only if that worked.
    pub fn start_add(&mut self, now: SystemTime, add: Add, remove_first: Option<Remove>) {
        self.txns.remove(&add.addr);
        let addr = add.addr;
        if let Some(rem) = remove_first {
            self.txns.insert(
                addr,
                Txn {
                    step: Step::RemFwd1,
                    active: true,
                    add: Some(add),
                    remove: Some(rem),
                    execute_next: false,
                    flight: None,
                },
            );
            self.begin_remove(now, addr);
            return;
        }
        self.txns.insert(
            addr,
            Txn {
                step: Step::AddFwd1,
                active: true,
                add: Some(add),
                remove: None,
                execute_next: false,
                flight: None,
            },
        );
        self.begin_add(now, addr);
    }

    /// Starts the removals for a lease that was released or expired (`active` false) or
    /// stays active. A removal already running for it goes on (ISC's rule, without the add
    /// that may have waited for it).
    pub fn start_remove(&mut self, now: SystemTime, rem: Remove) {
        let addr = rem.addr;
        if let Some(t) = self.txns.get_mut(&addr) {
            let adding = matches!(t.step, Step::AddFwd1 | Step::AddFwd2 | Step::AddPtr);
            let deactivating = t.active && !rem.active;
            if !adding && !deactivating {
                t.add = None;
                return;
            }
            self.txns.remove(&addr);
        }
        self.txns.insert(
            addr,
            Txn {
                step: Step::RemFwd1,
                active: rem.active,
                add: None,
                remove: Some(rem),
                execute_next: false,
                flight: None,
            },
        );
        self.begin_remove(now, addr);
    }

    fn begin_add(&mut self, now: SystemTime, addr: Ipv4Addr) {
        let Some(t) = self.txns.get(&addr) else {
            return;
        };
        let Some(add) = t.add.clone() else {
            self.txns.remove(&addr);
            return;
        };
        if add.guard.is_some() {
            self.send_step(now, addr, Step::AddFwd1);
        } else if add.rev_name.is_some() {
            self.send_step(now, addr, Step::AddPtr);
        } else {
            self.txns.remove(&addr);
        }
    }

    fn begin_remove(&mut self, now: SystemTime, addr: Ipv4Addr) {
        let Some(rem) = self.txns.get(&addr).and_then(|t| t.remove.clone()) else {
            return;
        };
        if rem.fwd.is_some() {
            self.send_step(now, addr, Step::RemFwd1);
        } else if rem.rev_name.is_some() {
            if let Some(t) = self.txns.get_mut(&addr) {
                // Nothing forward to remove: the add may follow (when there is a name).
                t.execute_next = true;
            }
            self.send_step(now, addr, Step::RemPtr);
        } else {
            self.after_remove(now, addr, true);
        }
    }

    /// The removal is over: run the add that waited, if it may.
    fn after_remove(&mut self, now: SystemTime, addr: Ipv4Addr, go: bool) {
        let Some(t) = self.txns.get_mut(&addr) else {
            return;
        };
        t.remove = None;
        if go && t.add.is_some() {
            t.step = Step::AddFwd1;
            t.execute_next = false;
            self.begin_add(now, addr);
        } else {
            self.txns.remove(&addr);
        }
    }

    fn zone_for(&self, name: &Name) -> Option<Zone> {
        name.suffixes()
            .find_map(|s| self.zones.iter().find(|z| z.name.eq_ignore_case(&s)))
            .cloned()
    }

    /// Builds and sends `step`'s message; when it cannot (no zone, bad name) the transaction
    /// ends, as ISC's does when `ddns_modify_*` fails.
    fn send_step(&mut self, now: SystemTime, addr: Ipv4Addr, step: Step) {
        let Some(t) = self.txns.get(&addr) else {
            return;
        };
        let built = self.build(t, step, addr);
        let (update, zone) = match built {
            Ok(x) => x,
            Err(why) => {
                self.log(true, format!("DDNS: unable to update {addr}: {why}"));
                self.txns.remove(&addr);
                return;
            }
        };
        let Some(&to) = zone.servers.first() else {
            self.log(
                true,
                format!("DDNS: zone {} has no primary server", zone.name),
            );
            self.txns.remove(&addr);
            return;
        };
        let id = self.next_id();
        let update = Update { id, ..update };
        let time = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let signed = update.sign(zone.key.as_ref(), time);
        self.out.push_back(Output::Send {
            to,
            payload: signed.bytes.clone(),
        });
        if let Some(t) = self.txns.get_mut(&addr) {
            t.step = step;
            t.flight = Some(InFlight {
                id,
                to,
                bytes: signed.bytes,
                mac: signed.mac,
                key: zone.key.clone(),
                sends: 1,
                deadline: now + RETRY_AFTER,
            });
        }
    }

    fn build(&self, t: &Txn, step: Step, addr: Ipv4Addr) -> Result<(Update, Zone), String> {
        let a_rdata = addr.octets().to_vec();
        let rr = |name: &Name, rtype: u16, class: u16, ttl: u32, rdata: Vec<u8>| Rr {
            name: name.clone(),
            rtype,
            class,
            ttl,
            rdata,
        };
        let s = &self.settings;
        let parse = |n: &[u8]| {
            Name::parse(n).map_err(|_| format!("bad domain name {}", String::from_utf8_lossy(n)))
        };
        let (name, prereqs, updates) = match step {
            Step::AddFwd1 | Step::AddFwd2 => {
                let add = t.add.as_ref().ok_or("no add")?;
                let guard = add.guard.as_ref().ok_or("no guard")?;
                let n = parse(&add.fwd_name)?;
                let (mut p, mut u) = (Vec::new(), Vec::new());
                if step == Step::AddFwd1 {
                    p.push(rr(&n, rtype::ANY, class::NONE, 0, vec![]));
                    u.push(rr(&n, rtype::A, class::IN, add.ttl, a_rdata));
                    u.push(rr(
                        &n,
                        guard.rtype(),
                        class::IN,
                        add.ttl,
                        guard.rdata.clone(),
                    ));
                } else {
                    if s.conflict_detection {
                        if s.guard_id_must_match {
                            p.push(rr(&n, guard.rtype(), class::IN, 0, guard.rdata.clone()));
                        } else {
                            p.push(rr(&n, guard.rtype(), class::ANY, 0, vec![]));
                        }
                    } else {
                        u.push(rr(&n, guard.rtype(), class::ANY, 0, vec![]));
                        u.push(rr(
                            &n,
                            guard.rtype(),
                            class::IN,
                            add.ttl,
                            guard.rdata.clone(),
                        ));
                    }
                    u.push(rr(&n, rtype::A, class::ANY, 0, vec![]));
                    u.push(rr(&n, rtype::A, class::IN, add.ttl, a_rdata));
                }
                (n, p, u)
            }
            Step::RemFwd1 | Step::RemFwd2 => {
                let rem = t.remove.as_ref().ok_or("no removal")?;
                let (fwd, guard) = rem.fwd.as_ref().ok_or("no forward name")?;
                let n = parse(fwd)?;
                let (mut p, mut u) = (Vec::new(), Vec::new());
                if step == Step::RemFwd1 {
                    if s.conflict_detection {
                        if s.guard_id_must_match {
                            p.push(rr(&n, guard.rtype(), class::IN, 0, guard.rdata.clone()));
                        } else {
                            p.push(rr(&n, guard.rtype(), class::ANY, 0, vec![]));
                        }
                    }
                    u.push(rr(&n, rtype::A, class::NONE, 0, a_rdata));
                } else {
                    p.push(rr(&n, rtype::A, class::NONE, 0, vec![]));
                    p.push(rr(&n, rtype::AAAA, class::NONE, 0, vec![]));
                    if s.guard_id_must_match {
                        u.push(rr(&n, guard.rtype(), class::NONE, 0, guard.rdata.clone()));
                    } else {
                        u.push(rr(&n, guard.rtype(), class::ANY, 0, vec![]));
                    }
                }
                (n, p, u)
            }
            Step::AddPtr | Step::RemPtr => {
                let (rev, fwd, ttl) = if step == Step::AddPtr {
                    let add = t.add.as_ref().ok_or("no add")?;
                    (
                        add.rev_name.clone().ok_or("no reverse name")?,
                        Some(add.fwd_name.clone()),
                        add.ttl,
                    )
                } else {
                    let rem = t.remove.as_ref().ok_or("no removal")?;
                    (rem.rev_name.clone().ok_or("no reverse name")?, None, 0)
                };
                let n = parse(&rev)?;
                let mut u = vec![rr(&n, rtype::PTR, class::ANY, 0, vec![])];
                if let Some(f) = fwd {
                    u.push(rr(&n, rtype::PTR, class::IN, ttl, parse(&f)?.to_wire()));
                }
                (n, Vec::new(), u)
            }
        };
        let zone = self
            .zone_for(&name)
            .ok_or_else(|| format!("no zone declared for {name}"))?;
        Ok((
            Update {
                id: 0,
                zone: zone.name.clone(),
                prereqs,
                updates,
            },
            zone,
        ))
    }

    /// An answer arrived from `from`. Unknown or unmatched answers are ignored.
    pub fn handle_response(&mut self, now: SystemTime, from: SocketAddrV4, bytes: &[u8]) {
        if bytes.len() < 2 {
            return;
        }
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let Some((&addr, t)) = self.txns.iter().find(|(_, t)| {
            t.flight
                .as_ref()
                .is_some_and(|f| f.id == id && f.to == from)
        }) else {
            return;
        };
        let Some(f) = t.flight.clone() else {
            return;
        };
        let outcome = match parse_response(bytes, f.key.as_ref(), &f.mac) {
            Err(_) => return, // not an answer to us: keep waiting
            Ok(r) if r.tsig_ok == Some(false) => Outcome::BadSig,
            Ok(r) => Outcome::Rcode(r.rcode),
        };
        if let Some(t) = self.txns.get_mut(&addr) {
            t.flight = None;
        }
        self.finish(now, addr, outcome);
    }

    /// The clock reached [`Ddns::poll_timeout`]: resend, or give up on, the requests due.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        let due: Vec<Ipv4Addr> = self
            .txns
            .iter()
            .filter(|(_, t)| t.flight.as_ref().is_some_and(|f| f.deadline <= now))
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            let Some(f) = self.txns.get_mut(&addr).and_then(|t| t.flight.as_mut()) else {
                continue;
            };
            if f.sends < SENDS {
                f.sends += 1;
                f.deadline = now + RETRY_AFTER;
                let send = Output::Send {
                    to: f.to,
                    payload: f.bytes.clone(),
                };
                self.out.push_back(send);
            } else {
                if let Some(t) = self.txns.get_mut(&addr) {
                    t.flight = None;
                }
                self.finish(now, addr, Outcome::TimedOut);
            }
        }
    }

    /// When [`Ddns::handle_timeout`] is due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        self.txns
            .values()
            .filter_map(|t| t.flight.as_ref().map(|f| f.deadline))
            .min()
    }

    /// The next thing to do.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn vars(&mut self, addr: Ipv4Addr, changes: Vec<VarChange>) {
        let active = self.txns.get(&addr).is_some_and(|t| t.active);
        if active && !changes.is_empty() {
            self.out.push_back(Output::Vars { addr, changes });
        }
    }

    /// The action routines of ISC's `ddns.c`.
    fn finish(&mut self, now: SystemTime, addr: Ipv4Addr, o: Outcome) {
        let Some(t) = self.txns.get(&addr).cloned() else {
            return;
        };
        let add = t.add.clone();
        let rem = t.remove.clone();
        let fwd_text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match t.step {
            Step::AddFwd1 | Step::AddFwd2 => {
                let Some(add) = add else { return };
                let fwd = fwd_text(&add.fwd_name);
                let guard_var = add.guard.as_ref().map(|g| (g.variable(), g.lease_value()));
                if o == Outcome::Rcode(NOERROR) {
                    self.log(false, format!("Added new forward map from {fwd} to {addr}"));
                    let mut ch = vec![("ddns-fwd-name".to_string(), Some(add.fwd_name.clone()))];
                    if let Some((v, val)) = guard_var {
                        ch.push((v.to_string(), Some(val)));
                    }
                    self.vars(addr, ch);
                    if add.rev_name.is_some() {
                        self.send_step(now, addr, Step::AddPtr);
                    } else {
                        self.txns.remove(&addr);
                    }
                    return;
                }
                if t.step == Step::AddFwd1 && o == Outcome::Rcode(YXDOMAIN) {
                    self.send_step(now, addr, Step::AddFwd2);
                    return;
                }
                if t.step == Step::AddFwd1 {
                    self.log(
                        true,
                        format!(
                            "Unable to add forward map from {fwd} to {addr}: {}",
                            outcome_text(o)
                        ),
                    );
                } else {
                    let why = match o {
                        Outcome::Rcode(YXRRSET | YXDOMAIN) => {
                            "DHCID mismatch, belongs to another client.".to_string()
                        }
                        Outcome::Rcode(NXRRSET | NXDOMAIN) => {
                            "Has an address record but no DHCID, not mine.".to_string()
                        }
                        _ => outcome_text(o),
                    };
                    self.log(
                        true,
                        format!("Forward map from {fwd} to {addr} FAILED: {why}"),
                    );
                }
                self.txns.remove(&addr);
            }
            Step::AddPtr => {
                let Some(add) = add else { return };
                let rev = fwd_text(add.rev_name.as_deref().unwrap_or_default());
                let fwd = fwd_text(&add.fwd_name);
                if o == Outcome::Rcode(NOERROR) {
                    self.log(false, format!("Added reverse map from {rev} to {fwd}"));
                    let mut ch = vec![("ddns-rev-name".to_string(), add.rev_name.clone())];
                    if add.guard.is_none() {
                        ch.push(("ddns-client-fqdn".to_string(), Some(add.fwd_name.clone())));
                    }
                    self.vars(addr, ch);
                } else {
                    self.log(
                        true,
                        format!(
                            "Unable to add reverse map from {rev} to {fwd}: {}",
                            outcome_text(o)
                        ),
                    );
                }
                self.txns.remove(&addr);
            }
            Step::RemFwd1 => {
                let Some(rem) = rem else { return };
                let Some((fwd, guard)) = rem.fwd.clone() else {
                    return;
                };
                let mut ok = false;
                match o {
                    Outcome::Rcode(NOERROR) => {
                        self.log(
                            false,
                            format!("Removed forward map from {} to {addr}", fwd_text(&fwd)),
                        );
                        self.send_step(now, addr, Step::RemFwd2);
                        return;
                    }
                    Outcome::Rcode(NXRRSET | NXDOMAIN) => {
                        self.vars(
                            addr,
                            vec![
                                ("ddns-fwd-name".to_string(), None),
                                (guard.variable().to_string(), None),
                            ],
                        );
                        ok = true;
                    }
                    _ => {}
                }
                self.remove_ptr_or_end(now, addr, &rem, ok);
            }
            Step::RemFwd2 => {
                let Some(rem) = rem else { return };
                let mut ok = false;
                if matches!(o, Outcome::Rcode(NOERROR | YXRRSET)) {
                    if let Some((_, guard)) = &rem.fwd {
                        self.vars(
                            addr,
                            vec![
                                ("ddns-fwd-name".to_string(), None),
                                (guard.variable().to_string(), None),
                            ],
                        );
                    }
                    ok = true;
                }
                self.remove_ptr_or_end(now, addr, &rem, ok);
            }
            Step::RemPtr => {
                let Some(rem) = rem else { return };
                let rev = fwd_text(rem.rev_name.as_deref().unwrap_or_default());
                let mut ok = false;
                match o {
                    Outcome::Rcode(NOERROR | NXRRSET | NXDOMAIN) => {
                        if o == Outcome::Rcode(NOERROR) {
                            self.log(false, format!("Removed reverse map on {rev}"));
                        }
                        let mut ch = vec![("ddns-rev-name".to_string(), None)];
                        if rem.client_fqdn {
                            ch.push(("ddns-client-fqdn".to_string(), None));
                        }
                        self.vars(addr, ch);
                        ok = true;
                    }
                    _ => self.log(
                        true,
                        format!("Can't remove reverse map on {rev}: {}", outcome_text(o)),
                    ),
                }
                let go = ok && t.execute_next;
                self.after_remove(now, addr, go);
            }
        }
    }

    fn remove_ptr_or_end(&mut self, now: SystemTime, addr: Ipv4Addr, rem: &Remove, ok: bool) {
        if rem.rev_name.is_some() {
            if let Some(t) = self.txns.get_mut(&addr) {
                t.execute_next = ok;
            }
            self.send_step(now, addr, Step::RemPtr);
        } else {
            self.after_remove(now, addr, ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{Identity, Style};

    fn answer(req: &[u8], rcode: u8) -> Vec<u8> {
        let mut a = req[..12].to_vec();
        a[2] |= 0x80;
        a[3] = rcode;
        a[4..12].copy_from_slice(&[0; 8]);
        a
    }

    fn sent(d: &mut Ddns) -> (SocketAddrV4, Vec<u8>) {
        loop {
            match d.poll_output() {
                Some(Output::Send { to, payload }) => return (to, payload),
                Some(_) => {}
                None => panic!("nothing sent"),
            }
        }
    }

    #[test]
    fn add_second_try_then_ptr_then_vars() {
        let server = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 1), 53);
        let zones = vec![
            Zone {
                name: Name::parse(b"example.org").unwrap(),
                servers: vec![server],
                key: None,
            },
            Zone {
                name: Name::parse(b"100.51.198.in-addr.arpa").unwrap(),
                servers: vec![server],
                key: None,
            },
        ];
        let mut d = Ddns::new(zones, Settings::default(), 42);
        let fwd = b"h.example.org".to_vec();
        let guard = Guard::for_lease(
            Style::Standard,
            Identity::Hardware(&[1, 2, 3, 4, 5, 6, 7]),
            &Name::parse(&fwd).unwrap(),
        )
        .unwrap();
        let addr = Ipv4Addr::new(198, 51, 100, 10);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        d.start_add(
            t0,
            Add {
                addr,
                fwd_name: fwd.clone(),
                guard: Some(guard.clone()),
                rev_name: Some(b"10.100.51.198.in-addr.arpa.".to_vec()),
                ttl: 300,
            },
            None,
        );
        let (to, m1) = sent(&mut d);
        assert_eq!(to, server);
        assert_eq!(&m1[4..12], &[0, 1, 0, 1, 0, 2, 0, 0]);
        // An answer from elsewhere is ignored; the name is in use: second try.
        let other = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 1), 53);
        d.handle_response(t0, other, &answer(&m1, YXDOMAIN));
        assert!(d.poll_output().is_none());
        d.handle_response(t0, server, &answer(&m1, YXDOMAIN));
        let (_, m2) = sent(&mut d);
        assert_eq!(&m2[4..12], &[0, 1, 0, 1, 0, 2, 0, 0]);
        // No answer: resent after 3 s with the same bytes.
        assert_eq!(d.poll_timeout(), Some(t0 + RETRY_AFTER));
        d.handle_timeout(t0 + RETRY_AFTER);
        assert_eq!(sent(&mut d).1, m2);
        d.handle_response(t0, server, &answer(&m2, NOERROR));
        let mut vars = Vec::new();
        let mut ptr = None;
        while let Some(o) = d.poll_output() {
            match o {
                Output::Vars { changes, .. } => vars.extend(changes),
                Output::Send { payload, .. } => ptr = Some(payload),
                Output::Log { .. } => {}
            }
        }
        assert_eq!(
            vars,
            vec![
                ("ddns-fwd-name".to_string(), Some(fwd.clone())),
                ("ddns-dhcid".to_string(), Some(guard.rdata.clone())),
            ]
        );
        let ptr = ptr.unwrap();
        assert_eq!(&ptr[4..12], &[0, 1, 0, 0, 0, 2, 0, 0]);
        d.handle_response(t0, server, &answer(&ptr, NOERROR));
        let v: Vec<_> = std::iter::from_fn(|| d.poll_output())
            .filter_map(|o| match o {
                Output::Vars { changes, .. } => Some(changes),
                _ => None,
            })
            .collect();
        assert_eq!(
            v,
            vec![vec![(
                "ddns-rev-name".to_string(),
                Some(b"10.100.51.198.in-addr.arpa.".to_vec())
            )]]
        );
        assert!(!d.busy(addr));
    }

    #[test]
    fn removal_of_an_inactive_lease_changes_no_variables() {
        let server = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 1), 53);
        let zones = vec![Zone {
            name: Name::parse(b"example.org").unwrap(),
            servers: vec![server],
            key: None,
        }];
        let mut d = Ddns::new(zones, Settings::default(), 1);
        let addr = Ipv4Addr::new(198, 51, 100, 10);
        let g = Guard::from_lease(Style::Interim, &[b'a'; 34]).unwrap();
        let t0 = UNIX_EPOCH + Duration::from_secs(5);
        d.start_remove(
            t0,
            Remove {
                addr,
                fwd: Some((b"h.example.org".to_vec(), g)),
                rev_name: None,
                client_fqdn: false,
                active: false,
            },
        );
        let (_, m) = sent(&mut d);
        d.handle_response(t0, server, &answer(&m, NOERROR));
        let (_, m2) = sent(&mut d);
        assert_eq!(&m2[4..12], &[0, 1, 0, 2, 0, 1, 0, 0]);
        d.handle_response(t0, server, &answer(&m2, NOERROR));
        assert!(std::iter::from_fn(|| d.poll_output()).all(|o| !matches!(o, Output::Vars { .. })));
        assert!(!d.busy(addr));
        d.start_remove(
            t0,
            Remove {
                addr,
                fwd: None,
                rev_name: Some(b"10.100.51.198.in-addr.arpa".to_vec()),
                client_fqdn: false,
                active: false,
            },
        );
        // No zone for the reverse name: ends at once, with an error logged.
        assert!(!d.busy(addr));
        assert!(matches!(
            d.poll_output(),
            Some(Output::Log { error: true, .. })
        ));
    }
}
