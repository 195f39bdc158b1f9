//! Host names where `dhcpd.conf` takes IPv4 addresses: `fixed-address NAME;` and the values
//! of address-valued options and parameters (`option routers gw.example;`,
//! `next-server boot.example;`, `option server.server-identifier NAME;` …).
//!
//! ISC keeps such a name as a DNS lookup that it evaluates when the value is used
//! (`gethostbyname`, all of the name's addresses in order; an unknown name logs
//! `NAME: host unknown.` and gives no value). The engine is sans-IO, so dhcpd-rs resolves the
//! names here, in the binary, when it reads the configuration (at start-up and at each
//! SIGHUP reload) and hands the engine a configuration with addresses in their place. A name
//! that does not resolve is left as it is: a host with it gets no fixed address from it, an
//! option with it is not sent — as in ISC while the lookup fails.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use dhcpd_conf::ast::{AddrList, Stmt};
use dhcpd_conf::basic::AddrOrName;
use dhcpd_conf::exec::{Else, Executable, IfStmt};
use dhcpd_conf::options::{Atom, OptionValue};

/// Looks a name up: its IPv4 addresses in order, or `None` when it has none.
pub type Lookup<'a> = dyn FnMut(&str) -> Option<Vec<Ipv4Addr>> + 'a;

/// The system resolver (`getaddrinfo`, as the C library's `gethostbyname` consults
/// `/etc/hosts` and DNS), IPv4 addresses only, duplicates dropped, in the order returned.
pub fn system_lookup(name: &str) -> Option<Vec<Ipv4Addr>> {
    use std::net::ToSocketAddrs;
    let mut out: Vec<Ipv4Addr> = Vec::new();
    for a in (name, 0u16).to_socket_addrs().ok()? {
        if let std::net::SocketAddr::V4(v4) = a {
            if !out.contains(v4.ip()) {
                out.push(*v4.ip());
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Replaces every host name in address positions of `stmts` by its addresses, looking each
/// name up once. Returns the log lines (ISC's `NAME: host unknown.` for each name that did
/// not resolve).
pub fn resolve(stmts: &mut [Stmt], lookup: &mut Lookup<'_>) -> Vec<String> {
    let mut r = Resolver {
        lookup,
        cache: HashMap::new(),
        log: Vec::new(),
    };
    r.stmts(stmts);
    r.log
}

struct Resolver<'l, 'a> {
    lookup: &'l mut Lookup<'a>,
    cache: HashMap<String, Option<Vec<Ipv4Addr>>>,
    log: Vec<String>,
}

impl Resolver<'_, '_> {
    fn addrs(&mut self, name: &str) -> Option<Vec<Ipv4Addr>> {
        if let Some(v) = self.cache.get(name) {
            return v.clone();
        }
        let v = (self.lookup)(name);
        if v.is_none() {
            self.log.push(format!("{name}: host unknown."));
        }
        self.cache.insert(name.to_string(), v.clone());
        v
    }

    fn stmts(&mut self, stmts: &mut [Stmt]) {
        for s in stmts {
            match s {
                Stmt::Include(i) => self.stmts(&mut i.statements),
                Stmt::SharedNetwork(n) => self.stmts(&mut n.body),
                Stmt::Subnet(n) => self.stmts(&mut n.body),
                Stmt::Pool(p) => self.stmts(&mut p.body),
                Stmt::Host(h) => self.stmts(&mut h.body),
                Stmt::Group(g) => self.stmts(&mut g.body),
                Stmt::Class(c) => {
                    if let Some(b) = c.body.as_mut() {
                        self.stmts(b);
                    }
                }
                Stmt::Subclass(c) => {
                    if let Some(b) = c.body.as_mut() {
                        self.stmts(b);
                    }
                }
                Stmt::FixedAddress(_, list) => {
                    let mut out = Vec::with_capacity(list.len());
                    for a in list.iter().cloned() {
                        match a {
                            AddrOrName::Name(n) => match self.addrs(&n) {
                                Some(v) => out.extend(v.into_iter().map(AddrOrName::Addr)),
                                None => out.push(AddrOrName::Name(n)),
                            },
                            addr => out.push(addr),
                        }
                    }
                    *list = AddrList::from_vec(out);
                }
                Stmt::Exec(_, e) => self.exec(e),
                _ => {}
            }
        }
    }

    fn execs(&mut self, list: &mut [Executable]) {
        for e in list {
            self.exec(e);
        }
    }

    fn exec(&mut self, e: &mut Executable) {
        match e {
            Executable::Option {
                value: OptionValue::Values(groups),
                ..
            } => self.values(groups),
            Executable::If(i) => self.if_stmt(i),
            Executable::Switch { body, .. } | Executable::Function { body, .. } => self.execs(body),
            Executable::On {
                body: Some(body), ..
            } => self.execs(body),
            _ => {}
        }
    }

    fn if_stmt(&mut self, i: &mut IfStmt) {
        self.execs(&mut i.then);
        match i.otherwise.as_mut() {
            Some(Else::Block(b)) => self.execs(b),
            Some(Else::ElseIf(n) | Else::Elsif(n)) => self.if_stmt(n),
            None => {}
        }
    }

    /// An option value: a group that is one name becomes one group per address (ISC's
    /// lookup yields them all, one after the other); a name inside a record takes the
    /// name's first address.
    fn values(&mut self, groups: &mut Vec<Vec<Atom>>) {
        let mut out = Vec::with_capacity(groups.len());
        for mut g in groups.drain(..) {
            if let [Atom::Addr(AddrOrName::Name(n))] = g.as_slice() {
                if let Some(v) = self.addrs(&n.clone()) {
                    out.extend(v.into_iter().map(|a| vec![Atom::Addr(AddrOrName::Addr(a))]));
                    continue;
                }
            }
            for a in &mut g {
                if let Atom::Addr(AddrOrName::Name(n)) = a {
                    if let Some(first) = self.addrs(&n.clone()).and_then(|v| v.first().copied()) {
                        *a = Atom::Addr(AddrOrName::Addr(first));
                    }
                }
            }
            out.push(g);
        }
        *groups = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_conf::{MemLoader, ParseOptions, parse_config};

    fn config(text: &str) -> dhcpd_conf::ast::Config {
        let out = parse_config(
            "t.conf",
            &mut MemLoader::single("t.conf", text),
            ParseOptions::default(),
        );
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        out.config
    }

    fn hosts(name: &str) -> Option<Vec<Ipv4Addr>> {
        match name {
            "gw.lab.example" => Some(vec![Ipv4Addr::new(198, 51, 100, 1)]),
            "dns.lab.example" => Some(vec![
                Ipv4Addr::new(198, 51, 100, 53),
                Ipv4Addr::new(198, 51, 100, 54),
            ]),
            "printer.lab.example" => Some(vec![Ipv4Addr::new(198, 51, 100, 9)]),
            _ => None,
        }
    }

    const CONF: &str = r#"
option domain-name-servers dns.lab.example, 198.51.100.2;
subnet 198.51.100.0 netmask 255.255.255.0 {
  option routers gw.lab.example;
  next-server printer.lab.example;
  if option vendor-class-identifier = "x" {
    option routers nowhere.lab.example;
  } else {
    option static-routes 203.0.113.0 gw.lab.example;
  }
  range 198.51.100.50 198.51.100.59;
}
group {
  host printer { hardware ethernet 02:00:00:00:00:09; fixed-address printer.lab.example, nowhere.lab.example; }
}
"#;

    #[test]
    fn names_become_their_addresses_and_unknown_names_are_logged_once() {
        let mut c = config(CONF);
        let mut calls = Vec::new();
        let mut lookup = |n: &str| {
            calls.push(n.to_string());
            hosts(n)
        };
        let log = resolve(&mut c.statements, &mut lookup);
        assert_eq!(log, vec!["nowhere.lab.example: host unknown.".to_string()]);
        // Each name is looked up once.
        let mut sorted = calls.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), calls.len(), "{calls:?}");
        let text = c.to_string();
        assert!(
            text.contains("option domain-name-servers 198.51.100.53, 198.51.100.54, 198.51.100.2;"),
            "{text}"
        );
        assert!(text.contains("option routers 198.51.100.1;"), "{text}");
        assert!(text.contains("next-server 198.51.100.9;"), "{text}");
        assert!(
            text.contains("option static-routes 203.0.113.0 198.51.100.1;"),
            "{text}"
        );
        // Unknown names stay (the engine then has no address from them).
        assert!(
            text.contains("option routers nowhere.lab.example;"),
            "{text}"
        );
        assert!(
            text.contains("fixed-address 198.51.100.9, nowhere.lab.example;"),
            "{text}"
        );
    }

    #[test]
    fn a_fixed_address_name_serves_its_host() {
        use dhcpd_core::model::Model;
        let mut c = config(CONF);
        resolve(&mut c.statements, &mut hosts);
        let m = Model::from_config(&c);
        let h = m.hosts.iter().find(|h| h.name == "printer").expect("host");
        assert_eq!(
            h.fixed.first(),
            Some(&AddrOrName::Addr(Ipv4Addr::new(198, 51, 100, 9)))
        );
    }

    #[test]
    fn the_system_resolver_knows_localhost() {
        assert_eq!(
            system_lookup("localhost").and_then(|v| v.first().copied()),
            Some(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(system_lookup("no-such-host.invalid"), None);
    }
}
