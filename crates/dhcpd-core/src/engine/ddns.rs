//! DDNS: what ISC's `ddns_updates` decides for a DHCPACK (names, TTL, guard, the client FQDN
//! option of the reply) and `ddns_removals` for a release or an expiry. The transactions
//! themselves run in [`dhcpd_ddns::Ddns`]; this side turns its outputs into actions and lease
//! variable changes (each written as ISC rewrites the lease).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{SystemTime, UNIX_EPOCH};

use dhcpd_conf::basic::AddrOrName;
use dhcpd_conf::exec::Executable;
use dhcpd_ddns::{Add, Ddns, Guard, Identity, Name, Remove, Settings, Style, TsigKey, Zone};
use dhcpd_leases::model::{BindingValue, Lease};
use dhcpd_wire::message::Message;

use super::{Place, Server};
use crate::io::{Action, Level};
use crate::leases::Entry;
use crate::model::Model;
use crate::scope::{EvalCtx, OptionSet, execute_scopes};

/// The DDNS configuration and the updater.
#[derive(Debug)]
pub(super) struct DdnsState {
    style: Style,
    zones: Vec<Zone>,
    settings: Settings,
    /// Fixed addresses (ISC's static leases) whose updates run: their variables are never
    /// written (ISC's `DDNS_STATIC_LEASE`).
    statics: std::collections::HashSet<Ipv4Addr>,
    /// Made at the first update (its message IDs are seeded from that moment's clock).
    core: Option<Ddns>,
}

/// What a DHCPACK asks of DDNS, run once the lease is recorded.
#[derive(Debug)]
pub(super) enum Plan {
    Add(Add, Option<Remove>),
    Remove(Remove),
}

/// The client's FQDN option (81) as ISC decodes it.
#[derive(Debug, Default)]
struct ClientFqdn {
    server_update: bool,
    encoded: bool,
    /// The name as text (no trailing dot).
    fqdn: Vec<u8>,
    hostname: Vec<u8>,
    has_domain: bool,
}

fn decode_fqdn(v: &[u8]) -> Option<ClientFqdn> {
    if v.len() < 3 {
        return None;
    }
    let flags = v[0];
    let mut f = ClientFqdn {
        server_update: flags & 1 != 0,
        encoded: flags & 4 != 0,
        ..ClientFqdn::default()
    };
    let data = &v[3..];
    if f.encoded {
        let mut labels: Vec<&[u8]> = Vec::new();
        let mut i = 0;
        let mut terminated = false;
        while i < data.len() {
            let l = usize::from(data[i]);
            if l == 0 {
                terminated = true;
                break;
            }
            if l > 63 {
                return None;
            }
            labels.push(data.get(i + 1..i + 1 + l)?);
            i += 1 + l;
        }
        f.fqdn = labels.join(&b"."[..]);
        if terminated {
            f.hostname = labels.first().map(|l| l.to_vec()).unwrap_or_default();
            f.has_domain = labels.len() > 1;
        } else {
            f.hostname = f.fqdn.clone();
        }
    } else {
        let data = data.strip_suffix(&[0]).unwrap_or(data);
        f.fqdn = data.to_vec();
        let dot = data.iter().position(|&b| b == b'.');
        f.hostname = data[..dot.unwrap_or(data.len())].to_vec();
        f.has_domain = dot.is_some_and(|d| d + 1 < data.len());
    }
    Some(f)
}

/// The client FQDN option ISC sends back.
fn encode_fqdn(server_updates: bool, encoded: bool, name: &[u8]) -> Vec<u8> {
    let mut flags = 0u8;
    if server_updates {
        flags |= 3;
    }
    if encoded {
        flags |= 4;
    }
    let mut out = vec![flags, 255, 255];
    if name.is_empty() {
        return out;
    }
    if encoded {
        for l in name.split(|&b| b == b'.') {
            if l.is_empty() {
                break;
            }
            out.push(l.len().min(63) as u8);
            out.extend_from_slice(&l[..l.len().min(63)]);
        }
        out.push(0);
    } else {
        out.extend_from_slice(name);
    }
    out
}

fn binding<'l>(lease: &'l Lease, name: &str) -> Option<&'l [u8]> {
    lease.bindings.iter().find_map(|b| match &b.value {
        BindingValue::Data(d) if b.name.eq_ignore_ascii_case(name) => Some(d.as_slice()),
        _ => None,
    })
}

/// ISC's `ddns_removals` inputs, from a lease's variables (`None`: nothing was added).
fn removal(lease: &Lease, active: bool) -> Option<Remove> {
    let fwd = binding(lease, "ddns-fwd-name").map(<[u8]>::to_vec);
    let guard = binding(lease, "ddns-dhcid")
        .and_then(|v| Guard::from_lease(Style::Standard, v))
        .or_else(|| binding(lease, "ddns-txt").and_then(|v| Guard::from_lease(Style::Interim, v)));
    let client_fqdn = fwd.is_none() && binding(lease, "ddns-client-fqdn").is_some();
    let rev_name = binding(lease, "ddns-rev-name").map(<[u8]>::to_vec);
    if fwd.is_none() && rev_name.is_none() {
        return None;
    }
    Some(Remove {
        addr: lease.addr,
        fwd: fwd.zip(guard),
        rev_name,
        client_fqdn,
        active,
    })
}

impl DdnsState {
    /// Reads `ddns-update-style` and the conflict settings from the global scope, and the
    /// `zone`/`key` declarations. `None` when the style is `none`.
    pub(super) fn from_model(
        model: &Model,
        registry: &dhcpd_wire::options::Registry,
    ) -> (Option<DdnsState>, Vec<String>) {
        let ctx = EvalCtx {
            now: 0,
            model,
            registry,
            packet: None,
            lease: None,
            host: None,
            classes: &[],
        };
        let mut set = OptionSet::default();
        let mut effects = Vec::new();
        execute_scopes(&ctx, &[0], &mut set, &mut effects);
        let style = match set.server(registry, "ddns-update-style") {
            Some([2, ..]) => Style::Interim,
            Some([3, ..]) => Style::Standard,
            _ => return (None, Vec::new()),
        };
        let flag = |name: &str| {
            set.server(registry, name)
                .and_then(|v| v.first())
                .map(|&b| b == 1)
        };
        let detection = flag("update-conflict-detection").unwrap_or(true);
        let settings = Settings {
            conflict_detection: detection,
            guard_id_must_match: detection && flag("ddns-guard-id-must-match").unwrap_or(true),
        };
        let mut log = Vec::new();
        let (mut zones, mut keys) = (Vec::new(), Vec::new());
        for s in &model.scopes {
            for e in &s.stmts {
                match e {
                    Executable::Zone(z) => zones.push(z.clone()),
                    Executable::Key(k) => keys.push(k.clone()),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for z in zones {
            let Ok(name) = Name::parse(z.name.as_bytes()) else {
                log.push(format!("DDNS: zone {}: bad name", z.name));
                continue;
            };
            let servers = z
                .primary
                .iter()
                .filter_map(|p| match p {
                    AddrOrName::Addr(a) => Some(SocketAddrV4::new(*a, 53)),
                    AddrOrName::Name(n) => {
                        log.push(format!(
                            "DDNS: zone {}: primary {n}: only addresses are supported",
                            z.name
                        ));
                        None
                    }
                })
                .collect();
            let key = match &z.key {
                None => None,
                Some(kn) => {
                    let found = keys.iter().rev().find(|k| k.name.eq_ignore_ascii_case(kn));
                    let made = found.and_then(|k| {
                        let alg = k.algorithm.as_deref().unwrap_or("hmac-md5");
                        Some(TsigKey {
                            name: Name::parse(k.name.as_bytes()).ok()?,
                            algorithm: dhcpd_ddns::Algorithm::from_config(alg)?,
                            secret: k.secret.clone()?,
                        })
                    });
                    if made.is_none() {
                        log.push(format!(
                            "DDNS: zone {}: key {kn} is unknown or of an unsupported algorithm; updates of this zone are not sent",
                            z.name
                        ));
                        out.push(Zone {
                            name,
                            servers: Vec::new(),
                            key: None,
                        });
                        continue;
                    }
                    made
                }
            };
            out.push(Zone { name, servers, key });
        }
        (
            Some(DdnsState {
                style,
                zones: out,
                settings,
                statics: std::collections::HashSet::new(),
                core: None,
            }),
            log,
        )
    }

    fn core(&mut self, now: SystemTime) -> &mut Ddns {
        let (zones, settings) = (&self.zones, &self.settings);
        self.core.get_or_insert_with(|| {
            let seed = now
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
            Ddns::new(zones.clone(), settings.clone(), seed)
        })
    }
}

impl Server {
    /// ISC's `ddns_updates` for a DHCPACK: decides what to update and sets the reply's
    /// client FQDN option in `set`. `lease` is the lease as it was (its variables),
    /// `ends` the new end. `fixed`: the address is a host's `fixed-address` (ISC's static
    /// lease: the server updates it only with `update-static-leases on`, and it has no
    /// lease variables).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ddns_plan(
        &mut self,
        req: &Message,
        set: &mut OptionSet,
        lease: Option<&Lease>,
        addr: Ipv4Addr,
        at: &Place<'_>,
        c_uid: Option<&[u8]>,
        hw: &[u8],
        ends: i64,
        now: i64,
        fixed: bool,
    ) -> Option<Plan> {
        let style = self.ddns.as_ref()?.style;
        let reg = &self.registry;
        let raw = |name: &str| set.server(reg, name).and_then(|v| v.first().copied());
        // `ddns-updates` (default on).
        if raw("ddns-updates") == Some(0) {
            return None;
        }
        let fqdn = req.option_data(81).and_then(|v| decode_fqdn(&v));
        // allow/deny/ignore client-updates: 1/0/2; absent = allowed.
        let client_updates = raw("client-updates");
        let client_ignore = client_updates == Some(2);
        let mut server_updates_a = true;
        let mut fwd: Vec<u8> = Vec::new();
        let client_does = matches!(client_updates, None | Some(1))
            && fqdn
                .as_ref()
                .is_some_and(|f| !f.server_update && f.has_domain && !f.fqdn.is_empty());
        if client_does {
            fwd = fqdn.as_ref().map(|f| f.fqdn.clone()).unwrap_or_default();
            server_updates_a = false;
        } else {
            if raw("do-forward-updates") == Some(0) {
                return None;
            }
            // A static lease: only when asked (and then without variables: see `ddns_drain`).
            if fixed && raw("update-static-leases") != Some(1) {
                return None;
            }
            let hostname = set
                .server(reg, "ddns-hostname")
                .map(<[u8]>::to_vec)
                .or_else(|| {
                    fqdn.as_ref()
                        .map(|f| f.hostname.clone())
                        .filter(|h| !h.is_empty())
                })
                .or_else(|| req.option(12))
                .or_else(|| set.get("dhcp", 12).map(<[u8]>::to_vec))
                .or_else(|| {
                    let host = at.host.map(|h| &self.model.hosts[h])?;
                    (raw("use-host-decl-names") == Some(1) && !host.name.is_empty())
                        .then(|| host.name.as_bytes().to_vec())
                });
            let domain = set
                .server(reg, "ddns-domainname")
                .or_else(|| set.get("dhcp", 15))
                .map(<[u8]>::to_vec);
            if let (Some(h), Some(dn)) = (hostname, domain) {
                if h.len() + dn.len() > 253 {
                    self.log(
                        Level::Error,
                        "ddns_update: host.domain name too long".to_string(),
                    );
                    return None;
                }
                fwd = [h, dn].join(&b"."[..]);
            }
        }
        let old = lease.and_then(|l| binding(l, "ddns-fwd-name"));
        let optimize = raw("update-optimization") != Some(0);
        let mut do_remove = false;
        let mut skip = false;
        if let Some(old) = old {
            if old != fwd.as_slice() {
                do_remove = true;
            } else if optimize {
                skip = true;
            }
        } else if let Some(old) = lease.and_then(|l| binding(l, "ddns-client-fqdn")) {
            if old == fwd.as_slice() && optimize {
                skip = true;
            }
        }
        let mut plan = None;
        if !skip {
            let removal = if do_remove {
                lease.and_then(|l| removal(l, true))
            } else {
                None
            };
            if fwd.is_empty() || fwd.len() > 255 {
                if fwd.len() > 255 {
                    self.log(Level::Error, "client provided fqdn: too long".to_string());
                }
                return removal.map(Plan::Remove);
            }
            let mut ttl: u32 = if ends <= now {
                0
            } else {
                u32::try_from((ends - now) / 2).unwrap_or(u32::MAX)
            };
            ttl = ttl.min(3600);
            if let Some(&[a, b, c, e]) = set.server(reg, "ddns-ttl") {
                ttl = u32::from_be_bytes([a, b, c, e]);
            }
            let rev_domain = set
                .server(reg, "ddns-rev-domainname")
                .map_or_else(|| b"in-addr.arpa.".to_vec(), <[u8]>::to_vec);
            let o = addr.octets();
            let mut rev = format!("{}.{}.{}.{}.", o[3], o[2], o[1], o[0]).into_bytes();
            rev.extend_from_slice(&rev_domain);
            let rev_name =
                (raw("do-reverse-updates") != Some(0) && rev.len() <= 255).then_some(rev);
            let guard = if server_updates_a {
                let name = match Name::parse(&fwd) {
                    Ok(n) => n,
                    Err(_) => return None,
                };
                let id = match c_uid.filter(|u| !u.is_empty()) {
                    Some(u) => Identity::ClientId(u),
                    None => Identity::Hardware(hw),
                };
                match Guard::for_lease(style, id, &name) {
                    Ok(g) => Some(g),
                    Err(_) => return None,
                }
            } else {
                None
            };
            plan = Some(Plan::Add(
                Add {
                    addr,
                    fwd_name: fwd.clone(),
                    guard,
                    rev_name,
                    ttl,
                },
                removal,
            ));
            if let Some(d) = self.ddns.as_mut() {
                if fixed {
                    d.statics.insert(addr);
                } else {
                    d.statics.remove(&addr);
                }
            }
        }
        // The client FQDN option of the reply.
        if raw("fqdn-reply") != Some(0) {
            if let Some(f) = &fqdn {
                if client_ignore && !f.server_update {
                    if !f.fqdn.is_empty() {
                        set.set("dhcp", 81, encode_fqdn(false, f.encoded, &f.fqdn));
                    }
                } else {
                    set.set("dhcp", 81, encode_fqdn(server_updates_a, f.encoded, &fwd));
                }
            }
        }
        plan
    }

    /// Runs a plan made by [`Server::ddns_plan`] (after the lease is recorded).
    pub(super) fn ddns_start(&mut self, plan: Plan) {
        let now = self.clock;
        let Some(d) = self.ddns.as_mut() else {
            return;
        };
        match plan {
            Plan::Add(add, rem) => d.core(now).start_add(now, add, rem),
            Plan::Remove(rem) => d.core(now).start_remove(now, rem),
        }
        self.ddns_drain();
    }

    /// ISC's `ddns_removals` for a lease that is released or expires (`active` false).
    pub(super) fn ddns_remove(&mut self, lease: &Lease, active: bool) {
        if self.ddns.is_none() {
            return;
        }
        if let Some(rem) = removal(lease, active) {
            self.ddns_start(Plan::Remove(rem));
        }
    }

    /// ISC's `ddns_removals` for the leases its start-up expiry expired or released (as
    /// `make_binding_state_transition` calls it: the lease counts as active, so its
    /// variables are unset and the lease rewritten as each removal completes). `leases` are
    /// the leases as they were before the transition; the messages go out once the server
    /// runs. Nothing happens without DDNS.
    pub fn ddns_startup_removals(&mut self, now: SystemTime, leases: &[Lease]) {
        if self.ddns.is_none() {
            return;
        }
        self.clock = now;
        for l in leases {
            self.ddns_remove(l, true);
        }
    }

    /// Turns the updater's outputs into actions.
    pub(super) fn ddns_drain(&mut self) {
        let Some(d) = self.ddns.as_mut() else {
            return;
        };
        let Some(core) = d.core.as_mut() else {
            return;
        };
        let mut outs = Vec::new();
        while let Some(o) = core.poll_output() {
            outs.push(o);
        }
        let now = super::secs(self.clock);
        for o in outs {
            match o {
                dhcpd_ddns::Output::Send { to, payload } => {
                    self.actions.push_back(Action::DnsSend { to, payload });
                }
                dhcpd_ddns::Output::Log { error, text } => {
                    self.log(if error { Level::Error } else { Level::Info }, text);
                }
                dhcpd_ddns::Output::Vars { addr, changes } => {
                    if self
                        .ddns
                        .as_ref()
                        .is_some_and(|d| d.statics.contains(&addr))
                    {
                        continue;
                    }
                    let Some(mut e): Option<Entry> = self.leases.get(addr).cloned() else {
                        continue;
                    };
                    let effects: Vec<crate::scope::Effect> = changes
                        .into_iter()
                        .map(|(n, v)| match v {
                            Some(v) => crate::scope::Effect::Set(n, v),
                            None => crate::scope::Effect::Unset(n),
                        })
                        .collect();
                    super::apply_bindings(&mut e.lease.bindings, &effects);
                    let record = dhcpd_leases::write::write_lease(&e.lease, now);
                    self.leases.update(e);
                    self.actions
                        .push_back(Action::Commit { record, then: None });
                }
            }
        }
    }

    /// A DNS answer.
    pub(super) fn ddns_response(&mut self, now: SystemTime, from: SocketAddrV4, payload: &[u8]) {
        self.clock = now;
        if let Some(core) = self.ddns.as_mut().and_then(|d| d.core.as_mut()) {
            core.handle_response(now, from, payload);
        }
        self.ddns_drain();
    }

    /// DDNS retries.
    pub(super) fn ddns_timeout(&mut self, now: SystemTime) {
        if let Some(core) = self.ddns.as_mut().and_then(|d| d.core.as_mut()) {
            if core.poll_timeout().is_some_and(|t| t <= now) {
                core.handle_timeout(now);
            }
        }
        self.ddns_drain();
    }

    /// When DDNS needs the clock.
    pub(super) fn ddns_poll_timeout(&self) -> Option<SystemTime> {
        self.ddns.as_ref()?.core.as_ref()?.poll_timeout()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_option_decoding_as_isc() {
        let f = decode_fqdn(b"\x05\x00\x00\x04host\x07example\x03org\x00").unwrap();
        assert!(f.server_update && f.encoded && f.has_domain);
        assert_eq!(f.fqdn, b"host.example.org");
        assert_eq!(f.hostname, b"host");
        let f = decode_fqdn(b"\x00\x00\x00host\x00").unwrap();
        assert!(!f.server_update && !f.has_domain);
        assert_eq!(f.fqdn, b"host");
        assert!(decode_fqdn(b"\x04\x00").is_none());
        assert!(decode_fqdn(b"\x04\x00\x00\x09ab").is_none());
        assert_eq!(
            encode_fqdn(true, true, b"h.example.org"),
            b"\x07\xff\xff\x01h\x07example\x03org\x00"
        );
        assert_eq!(encode_fqdn(false, false, b"h.x"), b"\x00\xff\xffh.x");
    }
}
