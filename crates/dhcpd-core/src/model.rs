//! The served configuration: the AST lowered into what the engine looks things up in —
//! scopes (ISC's groups), shared networks, subnets, pools with their ranges and permits,
//! hosts and classes — built the way ISC builds them while it reads dhcpd.conf:
//!
//! * a `subnet` outside any `shared-network` gets a shared network of its own, named after
//!   the subnet number;
//! * a `range` written directly in a subnet goes into an ad-hoc pool of the shared network:
//!   one that prohibits dynamic-BOOTP clients (for plain ranges) or one that permits all
//!   clients (for `dynamic-bootp` ranges), shared by every such range of the network;
//! * every scope starts as a copy of its parent, so `authoritative;` applies to the scope it
//!   is written in and to scopes declared *after* it inside that scope, as in ISC.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use dhcpd_conf::ast::{self, ClassKind, Config, Permit, Stmt};
use dhcpd_conf::basic::{AddrOrName, HardwareAddr};
use dhcpd_conf::exec::{Executable, Expr};

/// Index of a scope in [`Model::scopes`].
pub type ScopeId = usize;

/// What declared a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole file.
    Global,
    /// `group { }`.
    Group,
    /// `shared-network` (or the implicit one of a lone subnet).
    SharedNetwork(usize),
    /// `subnet`.
    Subnet(usize),
    /// `pool` (or an ad-hoc pool).
    Pool(usize),
    /// `host`.
    Host(usize),
    /// `class` / `subclass`.
    Class(usize),
}

/// A scope: statements executed for clients inside it, outer scopes first.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The enclosing scope.
    pub parent: Option<ScopeId>,
    /// What declared it.
    pub kind: ScopeKind,
    /// Its executable statements (options, parameters, conditionals ...), in order.
    pub stmts: Vec<Executable>,
    /// `authoritative` as in effect for this scope.
    pub authoritative: bool,
    /// The constant option statements of `stmts`, encoded on first use; reset it
    /// (`ScopeValues::default()`) whenever `stmts` changes.
    pub values: crate::scope::ScopeValues,
}

/// A shared network.
#[derive(Debug, Clone)]
pub struct SharedNet {
    /// Its name (the subnet number for an implicit one).
    pub name: String,
    /// Its scope.
    pub scope: ScopeId,
    /// Its subnets, in declaration order.
    pub subnets: Vec<usize>,
    /// Its pools, in declaration order (ad-hoc pools included).
    pub pools: Vec<usize>,
    /// `interface NAME;`, if given.
    pub interface: Option<String>,
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct SubnetM {
    /// Network number.
    pub net: Ipv4Addr,
    /// Netmask.
    pub mask: Ipv4Addr,
    /// Its scope.
    pub scope: ScopeId,
    /// Its shared network.
    pub shared: usize,
}

impl SubnetM {
    /// Whether `a` is on this subnet.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        u32::from(a) & u32::from(self.mask) == u32::from(self.net)
    }

    /// The prefix length (for the netmask).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net) | !u32::from(self.mask))
    }
}

/// An address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeM {
    /// Lowest address.
    pub low: Ipv4Addr,
    /// Highest address.
    pub high: Ipv4Addr,
    /// `dynamic-bootp`.
    pub dynamic_bootp: bool,
}

/// A pool.
#[derive(Debug, Clone)]
pub struct PoolM {
    /// Its scope.
    pub scope: ScopeId,
    /// Its shared network.
    pub shared: usize,
    /// Its ranges.
    pub ranges: Vec<RangeM>,
    /// `allow …` list (empty: everybody not prohibited).
    pub permits: Vec<Permit>,
    /// `deny …` list.
    pub prohibits: Vec<Permit>,
    /// `failover peer "NAME";`.
    pub failover: Option<String>,
}

/// A host declaration.
#[derive(Debug, Clone)]
pub struct HostM {
    /// Its name.
    pub name: String,
    /// Its scope.
    pub scope: ScopeId,
    /// `hardware`.
    pub hardware: Option<HardwareAddr>,
    /// `uid` (client identifier).
    pub uid: Option<Vec<u8>>,
    /// `fixed-address`.
    pub fixed: Vec<AddrOrName>,
    /// `host-identifier option NAME VALUE;`
    pub identifier: Option<ast::HostIdentifier>,
    /// Entered at run time (OMAPI) or read from the lease file with `dynamic;` (ISC's
    /// `HOST_DECL_DYNAMIC`).
    pub dynamic: bool,
    /// Deleted (OMAPI `remove`, or a `deleted;` rubout in the lease file): no longer found
    /// by hardware address, client identifier or host identifier (ISC's
    /// `HOST_DECL_DELETED`).
    pub deleted: bool,
    /// It has statements of its own (OMAPI's `statements` value can be set only once).
    pub has_statements: bool,
}

/// A class (or subclass, or spawned subclass).
#[derive(Debug, Clone)]
pub struct ClassM {
    /// Its name.
    pub name: String,
    /// `class`, `vendor-class` or `user-class`.
    pub kind: ClassKind,
    /// Its scope.
    pub scope: ScopeId,
    /// `match if EXPR;`
    pub match_if: Option<Expr>,
    /// `match EXPR;` (subclass lookup key).
    pub match_expr: Option<Expr>,
    /// `spawn with EXPR;`
    pub spawn: Option<Expr>,
    /// `lease limit N;`
    pub lease_limit: Option<i64>,
    /// Subclasses by their value: index into [`Model::classes`].
    pub subclasses: HashMap<Vec<u8>, usize>,
    /// For a subclass: its class.
    pub superclass: Option<usize>,
}

/// The whole served configuration.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Every scope; 0 is the global one.
    pub scopes: Vec<Scope>,
    /// Shared networks.
    pub shared: Vec<SharedNet>,
    /// Subnets.
    pub subnets: Vec<SubnetM>,
    /// Pools.
    pub pools: Vec<PoolM>,
    /// Hosts.
    pub hosts: Vec<HostM>,
    /// Classes, then subclasses.
    pub classes: Vec<ClassM>,
    /// Class names → index.
    pub class_index: HashMap<String, usize>,
    /// Hardware address → the first host declared with it (see [`Model::host_by_hardware`]).
    host_hw: HashMap<HardwareAddr, usize>,
    /// Client identifier → the first host declared with it.
    host_uid: HashMap<Vec<u8>, usize>,
    /// Name → the host that holds the name (ISC's `host_name_hash`: the first declared; a
    /// deleted host of the configuration keeps its name until a new host supersedes it).
    host_name: HashMap<String, usize>,
}

/// Where the lowering walk is.
#[derive(Debug, Clone, Copy)]
struct At {
    scope: ScopeId,
    shared: Option<usize>,
    pool: Option<usize>,
}

impl Model {
    /// Lowers a parsed, checked configuration.
    pub fn from_config(config: &Config) -> Model {
        let mut m = Model {
            scopes: vec![Scope {
                parent: None,
                kind: ScopeKind::Global,
                stmts: Vec::new(),
                authoritative: false,
                values: Default::default(),
            }],
            ..Model::default()
        };
        let at = At {
            scope: 0,
            shared: None,
            pool: None,
        };
        m.walk(&config.statements, at);
        m.index_hosts();
        m.index_names();
        m
    }

    /// Builds the host look-up maps: a configuration can declare 100,000 hosts, and every
    /// packet looks its client up.
    fn index_hosts(&mut self) {
        self.host_hw.clear();
        self.host_uid.clear();
        for (i, h) in self.hosts.iter().enumerate() {
            if h.deleted {
                continue;
            }
            if let Some(hw) = h.hardware {
                self.host_hw.entry(hw).or_insert(i);
            }
            if let Some(uid) = &h.uid {
                self.host_uid.entry(uid.clone()).or_insert(i);
            }
        }
    }

    /// The name map, built once with the model (names stay put when hosts are deleted).
    fn index_names(&mut self) {
        self.host_name.clear();
        for (i, h) in self.hosts.iter().enumerate() {
            self.host_name.entry(h.name.clone()).or_insert(i);
        }
    }

    /// The host holding `name` (it may be [`HostM::deleted`]).
    pub fn host_by_name(&self, name: &str) -> Option<usize> {
        self.host_name.get(name).copied()
    }

    /// ISC's `enter_host` for a host entered at run time (OMAPI) or read from the lease
    /// file: a new host in scope `parent` (the global one, or for a replaced host the scope
    /// it was declared in) with its statements, found by its hardware address
    /// and client identifier after the hosts entered before it (ISC appends it to their
    /// chains), and holding its name. A client identifier set by an `option
    /// dhcp-client-identifier` statement counts when it has no `uid`, as in ISC. The
    /// record's `deleted` and `group` are not looked at. The caller
    /// has checked the name (see [`Model::host_by_name`]). Returns the new host's index.
    pub fn enter_host(&mut self, host: dhcpd_leases::Host, parent: ScopeId) -> usize {
        let dhcpd_leases::Host {
            name,
            hardware,
            uid,
            fixed_address: fixed,
            statements,
            dynamic,
            ..
        } = host;
        let idx = self.hosts.len();
        let scope = self.new_scope(parent, ScopeKind::Host(idx));
        let mut uid = Some(uid).filter(|u| !u.is_empty());
        for e in &statements {
            if let Executable::Option { name, value, .. } = e {
                if name.space == "dhcp" && name.code == 61 && uid.is_none() {
                    uid = crate::scope::constant_value(value);
                }
            }
        }
        let has_statements = !statements.is_empty();
        self.scopes[scope].stmts = statements;
        self.scopes[scope].values = Default::default();
        if let Some(hw) = hardware {
            self.host_hw.entry(hw).or_insert(idx);
        }
        if let Some(u) = &uid {
            self.host_uid.entry(u.clone()).or_insert(idx);
        }
        self.host_name.insert(name.clone(), idx);
        self.hosts.push(HostM {
            name,
            scope,
            hardware,
            uid,
            fixed,
            identifier: None,
            dynamic,
            deleted: false,
            has_statements,
        });
        idx
    }

    /// ISC's `delete_host`: the host is no longer found by hardware address or client
    /// identifier (the next host entered with the same one is, as in ISC's chains). A host
    /// of the configuration keeps its name (ISC keeps a static host's name in its hash,
    /// flagged deleted); a dynamic one gives it up.
    pub fn delete_host(&mut self, idx: usize) {
        let Some(h) = self.hosts.get_mut(idx) else {
            return;
        };
        if h.deleted {
            return;
        }
        h.deleted = true;
        if h.dynamic && self.host_name.get(&h.name) == Some(&idx) {
            let name = h.name.clone();
            self.host_name.remove(&name);
        }
        self.index_hosts();
    }

    /// The first host declared with hardware address `hw`.
    pub fn host_by_hardware(&self, hw: &HardwareAddr) -> Option<usize> {
        self.host_hw.get(hw).copied()
    }

    /// The first host declared with client identifier `uid`.
    pub fn host_by_uid(&self, uid: &[u8]) -> Option<usize> {
        self.host_uid.get(uid).copied()
    }

    fn new_scope(&mut self, parent: ScopeId, kind: ScopeKind) -> ScopeId {
        let authoritative = self.scopes.get(parent).is_some_and(|s| s.authoritative);
        self.scopes.push(Scope {
            parent: Some(parent),
            kind,
            stmts: Vec::new(),
            authoritative,
            values: Default::default(),
        });
        self.scopes.len() - 1
    }

    fn walk(&mut self, body: &[Stmt], at: At) {
        for s in body {
            self.stmt(s, at);
        }
    }

    fn stmt(&mut self, s: &Stmt, at: At) {
        match s {
            Stmt::Exec(_, e) => {
                if let Some(sc) = self.scopes.get_mut(at.scope) {
                    sc.stmts.push((**e).clone());
                    sc.values = Default::default();
                }
            }
            Stmt::Include(i) => self.walk(&i.statements, at),
            Stmt::Authoritative(_, on) => {
                if let Some(sc) = self.scopes.get_mut(at.scope) {
                    sc.authoritative = *on;
                }
            }
            Stmt::Group(g) => {
                let scope = self.new_scope(at.scope, ScopeKind::Group);
                self.walk(&g.body, At { scope, ..at });
            }
            Stmt::SharedNetwork(n) => {
                let idx = self.shared.len();
                let scope = self.new_scope(at.scope, ScopeKind::SharedNetwork(idx));
                self.shared.push(SharedNet {
                    name: n.name.clone(),
                    scope,
                    subnets: Vec::new(),
                    pools: Vec::new(),
                    interface: None,
                });
                self.walk(
                    &n.body,
                    At {
                        scope,
                        shared: Some(idx),
                        pool: None,
                    },
                );
            }
            Stmt::Subnet(sn) => {
                let shared = match at.shared {
                    Some(s) => s,
                    None => {
                        let idx = self.shared.len();
                        let scope = self.new_scope(at.scope, ScopeKind::SharedNetwork(idx));
                        self.shared.push(SharedNet {
                            // ISC names it `NET/PREFIXLEN` (piaddrmask).
                            name: format!("{}/{}", sn.addr, u32::from(sn.mask).count_ones()),
                            scope,
                            subnets: Vec::new(),
                            pools: Vec::new(),
                            interface: None,
                        });
                        idx
                    }
                };
                let parent = if at.shared.is_some() {
                    at.scope
                } else {
                    self.shared[shared].scope
                };
                let idx = self.subnets.len();
                let scope = self.new_scope(parent, ScopeKind::Subnet(idx));
                self.subnets.push(SubnetM {
                    net: sn.addr,
                    mask: sn.mask,
                    scope,
                    shared,
                });
                self.shared[shared].subnets.push(idx);
                self.walk(
                    &sn.body,
                    At {
                        scope,
                        shared: Some(shared),
                        pool: None,
                    },
                );
                if at.shared.is_none() {
                    // ISC copies a lone subnet's `authoritative` to its implicit shared
                    // network (there is nowhere else to declare it).
                    let auth = self.scopes[scope].authoritative;
                    let net_scope = self.shared[shared].scope;
                    self.scopes[net_scope].authoritative = auth;
                }
            }
            Stmt::Pool(p) => {
                let Some(shared) = at.shared else { return };
                let idx = self.pools.len();
                let scope = self.new_scope(at.scope, ScopeKind::Pool(idx));
                self.pools.push(PoolM {
                    scope,
                    shared,
                    ranges: Vec::new(),
                    permits: Vec::new(),
                    prohibits: Vec::new(),
                    failover: None,
                });
                self.shared[shared].pools.push(idx);
                self.walk(
                    &p.body,
                    At {
                        scope,
                        pool: Some(idx),
                        ..at
                    },
                );
            }
            Stmt::Range(r) => {
                let (low, high) = match r.high {
                    Some(h) if u32::from(h) < u32::from(r.low) => (h, r.low),
                    Some(h) => (r.low, h),
                    None => (r.low, r.low),
                };
                let range = RangeM {
                    low,
                    high,
                    dynamic_bootp: r.dynamic_bootp,
                };
                match at.pool {
                    Some(p) => self.pools[p].ranges.push(range),
                    None => {
                        if let Some(shared) = at.shared {
                            let p = self.adhoc_pool(shared, r.dynamic_bootp);
                            self.pools[p].ranges.push(range);
                        }
                    }
                }
            }
            Stmt::Permit(pp) => {
                if let Some(p) = at.pool {
                    let list = if pp.allow {
                        &mut self.pools[p].permits
                    } else {
                        &mut self.pools[p].prohibits
                    };
                    list.push(pp.permit.clone());
                }
            }
            Stmt::PoolFailover(_, name) => {
                if let Some(p) = at.pool {
                    self.pools[p].failover = name.clone();
                }
            }
            Stmt::Interface(_, name) => {
                if let Some(s) = at.shared {
                    self.shared[s].interface = Some(name.clone());
                }
            }
            Stmt::Host(h) => {
                let idx = self.hosts.len();
                let scope = self.new_scope(at.scope, ScopeKind::Host(idx));
                let mut host = HostM {
                    name: h.name.to_string(),
                    scope,
                    hardware: h.hardware,
                    uid: None,
                    fixed: h.fixed.map(AddrOrName::Addr).into_iter().collect(),
                    identifier: None,
                    dynamic: false,
                    deleted: false,
                    has_statements: false,
                };
                let mut body = Vec::new();
                flatten(&h.body, &mut body);
                for s in body {
                    match s {
                        Stmt::Hardware(_, hw) => host.hardware = Some(*hw),
                        Stmt::Uid(_, b) => host.uid = Some(bytes(b)),
                        Stmt::FixedAddress(_, list) => host.fixed.extend(list.iter().cloned()),
                        Stmt::HostIdentifier(id) => host.identifier = Some((**id).clone()),
                        Stmt::Exec(_, e) => {
                            // ISC indexes a host by `option dhcp-client-identifier` as by `uid`.
                            if let Executable::Option { name, value, .. } = &**e {
                                if name.space == "dhcp" && name.code == 61 && host.uid.is_none() {
                                    host.uid = crate::scope::constant_value(value);
                                }
                            }
                            self.scopes[scope].stmts.push((**e).clone());
                            self.scopes[scope].values = Default::default();
                            host.has_statements = true;
                        }
                        Stmt::Authoritative(_, on) => self.scopes[scope].authoritative = *on,
                        _ => {}
                    }
                }
                self.hosts.push(host);
            }
            Stmt::Class(c) => {
                let idx = self.classes.len();
                let scope = self.new_scope(at.scope, ScopeKind::Class(idx));
                let mut class = ClassM {
                    name: c.name.clone(),
                    kind: c.kind,
                    scope,
                    match_if: None,
                    match_expr: None,
                    spawn: None,
                    lease_limit: None,
                    subclasses: HashMap::new(),
                    superclass: None,
                };
                self.class_body(&mut class, c.body.as_deref().unwrap_or_default(), scope);
                // `vendor-class "X"` / `user-class "X"` are, in ISC, subclasses of the class
                // of that name: they must not shadow `class "X"` in lookups by name.
                if c.kind == ClassKind::Class || !self.class_index.contains_key(&c.name) {
                    self.class_index.insert(c.name.clone(), idx);
                }
                self.classes.push(class);
            }
            Stmt::Subclass(sc) => {
                let Some(&sup) = self.class_index.get(&sc.class) else {
                    return;
                };
                let value = bytes(&sc.value);
                let parent = self.classes[sup].scope;
                let idx = self.classes.len();
                let scope = self.new_scope(parent, ScopeKind::Class(idx));
                let mut class = ClassM {
                    name: sc.class.clone(),
                    kind: self.classes[sup].kind,
                    scope,
                    match_if: None,
                    match_expr: None,
                    spawn: None,
                    lease_limit: self.classes[sup].lease_limit,
                    subclasses: HashMap::new(),
                    superclass: Some(sup),
                };
                self.class_body(&mut class, sc.body.as_deref().unwrap_or_default(), scope);
                self.classes.push(class);
                self.classes[sup].subclasses.insert(value, idx);
            }
            _ => {}
        }
    }

    fn class_body(&mut self, class: &mut ClassM, body: &[Stmt], scope: ScopeId) {
        let mut flat = Vec::new();
        flatten(body, &mut flat);
        for s in flat {
            match s {
                Stmt::MatchIf(_, e) => class.match_if = Some((**e).clone()),
                Stmt::Match(_, e) => class.match_expr = Some((**e).clone()),
                Stmt::SpawnWith(_, e) => class.spawn = Some((**e).clone()),
                Stmt::LeaseLimit(_, n) => class.lease_limit = Some(*n),
                Stmt::Exec(_, e) => {
                    self.scopes[scope].stmts.push((**e).clone());
                    self.scopes[scope].values = Default::default();
                }
                Stmt::Authoritative(_, on) => self.scopes[scope].authoritative = *on,
                _ => {}
            }
        }
    }

    /// ISC's ad-hoc pool for a range written outside a pool.
    fn adhoc_pool(&mut self, shared: usize, dynamic: bool) -> usize {
        let found = self.shared[shared].pools.iter().copied().find(|&p| {
            let pool = &self.pools[p];
            if dynamic {
                pool.prohibits.is_empty()
                    && pool.permits.len() == 1
                    && pool.permits[0] == Permit::AllClients
            } else {
                pool.permits.is_empty()
                    && pool.prohibits.len() == 1
                    && pool.prohibits[0] == Permit::DynamicBootpClients
            }
        });
        if let Some(p) = found {
            return p;
        }
        let idx = self.pools.len();
        let scope = self.new_scope(self.shared[shared].scope, ScopeKind::Pool(idx));
        let (permits, prohibits) = if dynamic {
            (vec![Permit::AllClients], Vec::new())
        } else {
            (Vec::new(), vec![Permit::DynamicBootpClients])
        };
        self.pools.push(PoolM {
            scope,
            shared,
            ranges: Vec::new(),
            permits,
            prohibits,
            failover: None,
        });
        self.shared[shared].pools.push(idx);
        idx
    }

    /// The subnet an address is on (the first declared that contains it).
    pub fn subnet_for(&self, a: Ipv4Addr) -> Option<usize> {
        self.subnets.iter().position(|s| s.contains(a))
    }

    /// Scope chain from the outermost scope down to `scope` (inclusive).
    pub fn chain(&self, scope: ScopeId) -> Vec<ScopeId> {
        let mut v = Vec::with_capacity(8);
        let mut cur = Some(scope);
        while let Some(s) = cur {
            v.push(s);
            cur = self.scopes.get(s).and_then(|x| x.parent);
        }
        v.reverse();
        v
    }

    /// ISC's `execute_statements_in_scope(group, limiting_group)`: the scopes from just below
    /// `limit` (exclusive; `None` = from the global scope) down to `scope`.
    /// As ISC, the walk up from `scope` stops at `limit` *or any scope enclosing it*: a class
    /// or host declared at the top level runs only its own statements below a pool.
    pub fn chain_below(&self, scope: ScopeId, limit: Option<ScopeId>) -> Vec<ScopeId> {
        let mut full = self.chain(scope);
        let Some(l) = limit else { return full };
        // `limit` and the scopes enclosing it, walked up without a list.
        let encloses = |s: ScopeId| {
            let mut cur = Some(l);
            while let Some(c) = cur {
                if c == s {
                    return true;
                }
                cur = self.scopes.get(c).and_then(|x| x.parent);
            }
            false
        };
        if let Some(i) = full.iter().rposition(|&s| encloses(s)) {
            full.drain(..=i);
        }
        full
    }

    /// Every address of every pool, with its pool index, in declaration order.
    pub fn pool_addresses(&self) -> impl Iterator<Item = (Ipv4Addr, usize)> + '_ {
        self.pools.iter().enumerate().flat_map(|(p, pool)| {
            pool.ranges.iter().flat_map(move |r| {
                (u32::from(r.low)..=u32::from(r.high)).map(move |a| (Ipv4Addr::from(a), p))
            })
        })
    }
}

/// Statements of a body with `include`s opened up.
fn flatten<'a>(body: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
    for s in body {
        match s {
            Stmt::Include(i) => flatten(&i.statements, out),
            other => out.push(other),
        }
    }
}

fn bytes(b: &ast::Bytes) -> Vec<u8> {
    match b {
        ast::Bytes::String(v) | ast::Bytes::Hex(v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_conf::{MemLoader, ParseOptions, parse_config};

    fn model(text: &str) -> Model {
        let mut l = MemLoader::single("t.conf", text);
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        Model::from_config(&out.config)
    }

    /// The look-up maps answer what a scan of the hosts in declaration order answers: the
    /// first host declared with the hardware address or client identifier.
    #[test]
    fn host_lookups_find_the_first_declared_host() {
        let m = model(
            "host a { hardware ethernet 02:00:00:00:00:01; }\n\
             host b { hardware ethernet 02:00:00:00:00:01; option dhcp-client-identifier \"x\"; }\n\
             host c { option dhcp-client-identifier \"x\"; hardware ethernet 02:00:00:00:00:02; }\n",
        );
        let hw = |last: u8| HardwareAddr::new(1, &[2, 0, 0, 0, 0, last]).expect("hw");
        for (i, h) in m.hosts.iter().enumerate() {
            if let Some(a) = h.hardware {
                let first = m.hosts.iter().position(|x| x.hardware == Some(a));
                assert_eq!(m.host_by_hardware(&a), first, "host {i}");
            }
            if let Some(u) = &h.uid {
                let first = m.hosts.iter().position(|x| x.uid.as_ref() == Some(u));
                assert_eq!(m.host_by_uid(u), first, "host {i}");
            }
        }
        assert_eq!(
            m.host_by_hardware(&hw(1)).map(|h| m.hosts[h].name.as_str()),
            Some("a")
        );
        assert_eq!(
            m.host_by_hardware(&hw(2)).map(|h| m.hosts[h].name.as_str()),
            Some("c")
        );
        assert_eq!(
            m.host_by_uid(b"x").map(|h| m.hosts[h].name.as_str()),
            Some("b")
        );
        assert_eq!(m.host_by_hardware(&hw(3)), None);
        assert_eq!(m.host_by_uid(b"y"), None);
    }

    #[test]
    fn lone_subnet_gets_its_own_shared_network_and_adhoc_pool() {
        let m = model(
            "subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.10 198.51.100.20;\n range 198.51.100.30;\n range dynamic-bootp 198.51.100.40 198.51.100.41;\n}\n",
        );
        assert_eq!(m.shared.len(), 1);
        assert_eq!(m.shared[0].name, "198.51.100.0/24");
        assert_eq!(
            m.pools.len(),
            2,
            "plain ranges share one ad-hoc pool; bootp gets another"
        );
        assert_eq!(m.pools[0].ranges.len(), 2);
        assert_eq!(m.pools[0].prohibits, vec![Permit::DynamicBootpClients]);
        assert_eq!(m.pools[1].permits, vec![Permit::AllClients]);
        assert_eq!(m.pool_addresses().count(), 11 + 1 + 2);
    }

    #[test]
    fn authoritative_is_copied_when_a_scope_is_created() {
        let m = model(
            "subnet 198.51.100.0 netmask 255.255.255.0 { }\nauthoritative;\nsubnet 203.0.113.0 netmask 255.255.255.0 { }\n",
        );
        let a = m.subnets[0].scope;
        let b = m.subnets[1].scope;
        assert!(
            !m.scopes[a].authoritative,
            "declared before `authoritative;`"
        );
        assert!(m.scopes[b].authoritative);
        assert_eq!(m.subnet_for("203.0.113.9".parse().expect("ip")), Some(1));
    }

    #[test]
    fn hosts_classes_and_chains() {
        let m = model(
            "class \"vendor\" { match if substring(option vendor-class-identifier, 0, 4) = \"MSFT\"; }\n\
             shared-network lan {\n subnet 198.51.100.0 netmask 255.255.255.0 {\n  pool { range 198.51.100.10 198.51.100.20; allow members of \"vendor\"; }\n  host h1 { hardware ethernet 00:16:3e:00:00:01; fixed-address 198.51.100.5; }\n }\n}\n",
        );
        assert_eq!(
            m.hosts[0].fixed,
            vec![AddrOrName::Addr("198.51.100.5".parse().expect("ip"))]
        );
        assert!(m.classes[0].match_if.is_some());
        assert_eq!(m.pools[0].permits, vec![Permit::MembersOf("vendor".into())]);
        let chain = m.chain(m.pools[0].scope);
        assert_eq!(chain.len(), 4, "global, shared, subnet, pool");
        assert_eq!(
            m.chain_below(m.pools[0].scope, Some(m.shared[0].scope))
                .len(),
            2
        );
    }
}
