//! Declarations and the statement dispatcher (ISC's `server/confpars.c` part of the grammar).
//!
//! Every function here consumes and peeks tokens where ISC's twin does, so that errors land on
//! ISC's line; each error keeps ISC's wording and adds a help line. Checks that ISC makes while
//! reading (duplicate hosts, addresses declared twice, ranges outside their subnet, overlapping
//! subnets ...) are made at the same moment here, against the registry in [`crate::semantic`].
//!
//! * `network`: shared-network, subnet, subnet6, range, range6, prefix6, fixed-prefix6, pool,
//!   pool6, permits, interface.
//! * `host`: host and group.
//! * `class`: class, vendor-class, user-class, subclass.
//! * `failover`: failover peer declarations, references and state blocks, dates.

mod class;
mod failover;
mod host;
mod network;
#[cfg(test)]
mod tests;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ast::{AddrList, DuidHwType, LeaseIdFormat, ServerDuid, Span, Stmt};
use crate::basic::AddrOrName;
use crate::cursor::Cursor;
use crate::diag::Diagnostic;
use crate::exec::{ExprContext, Parsed};
use crate::keywords::Kw;
use crate::lexer::{Pos, TokKind};
use crate::parser::Parser;
use crate::semantic::Networks;

pub(crate) use failover::PeerInfo;

/// The kind of scope a statement is in (ISC's group types), with the network objects the
/// scope belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The top of the file.
    Root,
    /// Directly in a `shared-network` (the index of its network).
    SharedNet(usize),
    /// Directly in a `subnet`/`subnet6` (the index of the subnet).
    Subnet(usize),
    /// In a `host`.
    Host,
    /// In a `class` or `subclass`.
    Class,
    /// In a `group`.
    Group,
    /// In a `pool`/`pool6`.
    Pool,
}

/// Cross-statement state of the declaration parser (declared hosts, classes, peers, ...).
#[derive(Debug, Default)]
pub struct DeclState {
    /// Host names entered so far (case-sensitive, as ISC's host hash). The name sets hash
    /// with FxHash, which is fast but not DoS-resistant: the names come from the
    /// administrator's own configuration, not from the network.
    pub(crate) hosts: NameSet,
    /// The "host declarations are global" warning was printed.
    pub(crate) host_warned: bool,
    /// Names of the classes declared so far.
    pub(crate) classes: FxHashSet<String>,
    /// Named groups in ISC's group hash: name → whether the entry is dynamic-only (only
    /// those leave the hash when deleted; static ones stay, marked deleted, and still resolve).
    pub(crate) groups: FxHashMap<String, bool>,
    /// Failover peers, in declaration order.
    pub(crate) peers: Vec<PeerInfo>,
    /// Subnets, shared networks, pools and declared addresses.
    pub(crate) net: Networks,
    /// Reused buffer for the name of the host being read.
    pub(crate) host_name: String,
    /// The buffer a host body is read into (see `parse_host_declaration`).
    pub(crate) host_body: Vec<Stmt>,
    /// How many statements are being parsed inside each other (blocks and includes).
    pub(crate) depth: u32,
    /// Every class name counts as declared (statements read without their configuration).
    pub(crate) any_class: bool,
}

/// A set of names kept in one text buffer: no allocation per name, and dropping it frees two
/// blocks however many names it holds (a configuration can declare 100,000 hosts). Entries
/// are 32-bit offsets (8 bytes each: the table is most of the set's memory).
#[derive(Debug, Default)]
pub(crate) struct NameSet {
    /// Every name inserted, one after the other (removed ones stay, unreferenced).
    text: String,
    /// Start and length in `text` of each name in the set.
    table: hashbrown::HashTable<(u32, u32)>,
}

impl NameSet {
    fn hash(name: &str) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(name)
    }

    fn name(text: &str, (start, len): (u32, u32)) -> &str {
        let start = start as usize;
        text.get(start..start + len as usize).unwrap_or_default()
    }

    /// Adds `name`; `false` if it was already there. (Past 4 GiB of names, which no
    /// configuration comes near, names are no longer recorded.)
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        let hash = Self::hash(name);
        let text = &self.text;
        if self
            .table
            .find(hash, |&e| Self::name(text, e) == name)
            .is_some()
        {
            return false;
        }
        let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(name.len()))
        else {
            return true;
        };
        if start.checked_add(len).is_none() {
            return true;
        }
        self.text.push_str(name);
        let text = &self.text;
        self.table
            .insert_unique(hash, (start, len), |&e| Self::hash(Self::name(text, e)));
        true
    }

    /// Removes `name` if it is there.
    pub(crate) fn remove(&mut self, name: &str) {
        let text = &self.text;
        if let Ok(e) = self
            .table
            .find_entry(Self::hash(name), |&e| Self::name(text, e) == name)
        {
            e.remove();
        }
    }
}

/// Deepest nesting of declarations and includes we read. ISC has no limit (a file that
/// includes itself makes it crash); real configurations nest a few levels.
pub(crate) const MAX_DEPTH: u32 = 100;

impl DeclState {
    /// Whether a class of this name has been declared (so far in the file).
    pub fn class_exists(&self, name: &str) -> bool {
        self.any_class || self.classes.contains(name)
    }

    /// The index of the failover peer called `name`.
    pub(crate) fn peer(&self, name: &str) -> Option<usize> {
        self.peers.iter().position(|p| p.name == name)
    }
}

/// What a `host` body has set so far (ISC's `host_decl` as seen by `parse_statement`).
#[derive(Debug, Default)]
pub(crate) struct HostCtx<'n> {
    pub(crate) name: &'n str,
    pub(crate) has_hardware: bool,
    pub(crate) has_fixed: bool,
    /// The host's hardware address (the AST keeps it out of the body, see `ast::Host`).
    pub(crate) hardware: Option<crate::basic::HardwareAddr>,
    /// Its `fixed-address`, when that is one literal address.
    pub(crate) fixed: Option<std::net::Ipv4Addr>,
}

/// The position of a token as a span in the cursor's file.
pub(crate) fn span_at(c: &Cursor<'_>, pos: Pos) -> Span {
    Span {
        file: c.file_id(),
        pos,
    }
}

/// ISC's `atoi` on a token's text.
pub(crate) fn atoi_tok(c: &Cursor<'_>, t: &crate::lexer::Token) -> i64 {
    crate::basic::atoi(c.text(t))
}

impl Parser<'_> {
    /// Parses statements until end of file (a whole file, in `scope`).
    pub(crate) fn parse_statements_to_eof(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        out: &mut Vec<Stmt>,
    ) {
        let mut declaration = false;
        while !self.aborted && !c.peek().is_eof() {
            declaration = self.parse_statement(c, scope, None, declaration, out);
        }
        if !self.aborted {
            c.skip();
        }
    }

    /// A log line without position (ISC's `log_error`), kept in order with the parse errors.
    pub(crate) fn log_line(&mut self, c: &mut Cursor<'_>, text: impl Into<String>) {
        c.push(Diagnostic::warning(text));
    }

    /// A fatal error (ISC's `log_fatal` while reading): reported, and parsing stops.
    pub(crate) fn fatal(&mut self, c: &mut Cursor<'_>, d: Diagnostic) {
        c.push(d);
        self.aborted = true;
    }

    /// ISC's `parse_statement`: one statement or declaration in `scope`. `host` is the host
    /// whose body this is (only directly in a host body). Returns ISC's `declaration` flag:
    /// whether the next unparsable statement is reported as "expecting a declaration".
    pub(crate) fn parse_statement(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        host: Option<&mut HostCtx<'_>>,
        declaration: bool,
        out: &mut Vec<Stmt>,
    ) -> bool {
        if self.decls.depth >= MAX_DEPTH {
            // Without a position: the case met in practice, a file including itself, makes
            // ISC 4.4.3 die (SIGSEGV) with no positional message.
            let file = c.file().to_string();
            c.push(
                Diagnostic::error(format!(
                    "declarations or includes nested more than {MAX_DEPTH} deep (in {file})"
                ))
                .with_help(
                    "this limit is ours (ISC crashes on an include that includes itself); check for one",
                ),
            );
            self.aborted = true;
            return declaration;
        }
        self.decls.depth += 1;
        let r = self.parse_statement_at(c, scope, host, declaration, out);
        self.decls.depth -= 1;
        r
    }

    fn parse_statement_at(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        host: Option<&mut HostCtx<'_>>,
        declaration: bool,
        out: &mut Vec<Stmt>,
    ) -> bool {
        let first = *c.peek();
        let span = span_at(c, first.pos);
        match first.kind {
            TokKind::Kw(Kw::Include) => {
                c.skip();
                self.parse_include(c, scope, span, out);
                true
            }
            TokKind::Kw(Kw::Host) => {
                c.skip();
                if scope != Scope::Host && scope != Scope::Class {
                    if !self.decls.host_warned
                        && matches!(scope, Scope::Subnet(_) | Scope::SharedNet(_))
                    {
                        self.decls.host_warned = true;
                        self.log_line(
                            c,
                            "WARNING: Host declarations are global.  They are not limited to the scope you declared them in.",
                        );
                    }
                    self.parse_host_declaration(c, span, out);
                } else {
                    c.error_help(
                        "host declarations not allowed here.",
                        "declare hosts at the top level or in a group, subnet or shared-network",
                    );
                    c.skip_to_semi();
                }
                true
            }
            TokKind::Kw(Kw::Group) => {
                c.skip();
                if scope != Scope::Host && scope != Scope::Class {
                    self.parse_group_declaration(c, span, out);
                } else {
                    c.error_help(
                        "group declarations not allowed here.",
                        "groups cannot be declared inside a host or class",
                    );
                    c.skip_to_semi();
                }
                true
            }
            TokKind::Kw(Kw::SharedNetwork) => {
                c.skip();
                if matches!(
                    scope,
                    Scope::SharedNet(_) | Scope::Host | Scope::Subnet(_) | Scope::Class
                ) {
                    c.error_help(
                        "shared-network parameters not allowed here.",
                        "a shared-network may only be declared at the top level or in a group",
                    );
                    c.skip_to_semi();
                    return false;
                }
                self.parse_shared_net_declaration(c, span, out);
                true
            }
            TokKind::Kw(kw @ (Kw::Subnet | Kw::Subnet6)) => {
                c.skip();
                if matches!(scope, Scope::Host | Scope::Subnet(_) | Scope::Class) {
                    c.error_help(
                        "subnet declarations not allowed here.",
                        "subnets may not be nested in subnets, hosts or classes; close the enclosing block first",
                    );
                    c.skip_to_semi();
                    return true;
                }
                let v6 = kw == Kw::Subnet6;
                match scope {
                    Scope::SharedNet(share) => {
                        self.parse_subnet_any(c, share, v6, span, out);
                        false
                    }
                    _ => {
                        let share = self.decls.net.new_share(String::new(), true);
                        self.parse_subnet_any(c, share, v6, span, out);
                        true
                    }
                }
            }
            TokKind::Kw(kw @ (Kw::VendorClass | Kw::UserClass | Kw::Class | Kw::Subclass)) => {
                c.skip();
                if scope == Scope::Class {
                    c.error_help(
                        "class declarations not allowed here.",
                        "classes cannot be declared inside a class; close the class first",
                    );
                    c.skip_to_semi();
                    return false;
                }
                self.parse_class_declaration(c, kw, span, out);
                true
            }
            TokKind::Kw(Kw::Hardware) => {
                c.skip();
                if let Some(h) = host.as_ref().filter(|h| h.has_hardware) {
                    let msg = format!("Host {} hardware address already configured.", h.name);
                    c.error_help(msg, "a host has one hardware address; declare another host for a second interface");
                    return false;
                }
                // ISC keeps the hardware type even when the address that follows is bad, and
                // then counts the host's hardware as configured.
                let ty = *c.peek();
                let known_type = matches!(
                    ty.kind,
                    TokKind::Kw(Kw::Ethernet | Kw::TokenRing | Kw::Fddi | Kw::Infiniband)
                ) || c.text(&ty).starts_with(b"unknown-");
                let hw = c.parse_hardware_param();
                match host {
                    Some(h) => {
                        h.has_hardware |= known_type;
                        if let Some(hw) = hw {
                            h.has_hardware = true;
                            if h.hardware.is_none() {
                                h.hardware = Some(hw);
                            } else {
                                out.push(Stmt::Hardware(span, hw));
                            }
                        }
                    }
                    None => c.error_help(
                        "hardware address parameter not allowed here.",
                        "`hardware` belongs directly inside a `host { }` declaration",
                    ),
                }
                false
            }
            TokKind::Kw(kw @ (Kw::FixedAddress | Kw::FixedAddress6)) => {
                c.skip();
                self.parse_fixed_addr(c, kw == Kw::FixedAddress6, host, span, out);
                false
            }
            TokKind::Kw(kw @ (Kw::Pool | Kw::Pool6)) => {
                c.skip();
                let v6 = kw == Kw::Pool6;
                let what = if v6 { "pool6" } else { "pool" };
                if scope == Scope::Pool {
                    c.error_help(
                        format!("{what} declared within pool."),
                        "pools cannot be nested; close the enclosing pool first",
                    );
                    c.skip_to_semi();
                } else if v6 && !matches!(scope, Scope::Subnet(_)) {
                    c.error_help(
                        "pool6 declared outside of network",
                        "declare pool6 inside a subnet6",
                    );
                    c.skip_to_semi();
                } else if !matches!(scope, Scope::Subnet(_) | Scope::SharedNet(_)) {
                    c.error_help(
                        "pool declared outside of network",
                        "declare the pool directly inside a subnet or shared-network",
                    );
                    c.skip_to_semi();
                } else if v6 {
                    self.parse_pool6_statement(c, scope, span, out);
                } else {
                    self.parse_pool_statement(c, scope, span, out);
                }
                declaration
            }
            TokKind::Kw(Kw::Range) => {
                c.skip();
                let Scope::Subnet(subnet) = scope else {
                    c.error_help(
                        "range declaration not allowed here.",
                        "a range belongs directly inside a subnet, or inside a pool",
                    );
                    c.skip_to_semi();
                    return declaration;
                };
                self.parse_address_range(c, scope, Some(subnet), None, span, out);
                declaration
            }
            TokKind::Kw(kw @ (Kw::Range6 | Kw::Prefix6)) => {
                c.skip();
                let Scope::Subnet(subnet) = scope else {
                    c.error_help(
                        format!("{} declaration not allowed here.", kw.as_str()),
                        format!(
                            "{} belongs directly inside a subnet6, or inside a pool6",
                            kw.as_str()
                        ),
                    );
                    c.skip_to_semi();
                    return declaration;
                };
                if kw == Kw::Range6 {
                    self.parse_address_range6(c, subnet, span, out);
                } else {
                    self.parse_prefix6(c, span, out);
                }
                declaration
            }
            TokKind::Kw(Kw::FixedPrefix6) => {
                c.skip();
                if host.is_none() {
                    c.error_help(
                        "fixed-prefix6 declaration not allowed here.",
                        "`fixed-prefix6` belongs directly inside a `host { }` declaration",
                    );
                    c.skip_to_semi();
                    return false;
                }
                self.parse_fixed_prefix6(c, span, out);
                false
            }
            TokKind::Kw(Kw::Not) => {
                c.skip();
                let t = c.next();
                if t.is_kw(Kw::Authoritative) {
                    self.authoritative(c, scope, false, span, out);
                } else {
                    c.error_help(
                        "expecting assertion",
                        "the only negated statement is `not authoritative;`",
                    );
                    c.skip_to_semi();
                }
                false
            }
            TokKind::Kw(Kw::Authoritative) => {
                c.skip();
                self.authoritative(c, scope, true, span, out);
                false
            }
            TokKind::Kw(Kw::ServerIdentifier) => {
                c.skip();
                let name = self.server_identifier_option();
                if let Some(e) = self.parse_option_statement(c, name) {
                    out.push(Stmt::Exec(span, Box::new(e)));
                }
                declaration
            }
            TokKind::Kw(Kw::Option) => {
                c.skip();
                self.option_case(c, scope, declaration, span, out)
            }
            TokKind::Kw(Kw::Failover) => {
                if scope != Scope::Root && !matches!(scope, Scope::SharedNet(_)) {
                    c.error_help(
                        "failover peers may only be defined in shared-network",
                        "declare the failover peer at the top level (before the pools that use it); pools refer to it with `failover peer \"NAME\";`",
                    );
                    self.log_line(c, "declarations and the outer scope.");
                    c.skip_to_semi();
                    return false;
                }
                c.skip();
                self.parse_failover_peer(c, scope, span, out);
                false
            }
            TokKind::Kw(Kw::ServerDuid) => {
                if let Some(d) = self.parse_server_duid_conf(c) {
                    out.push(Stmt::ServerDuid(span, Box::new(d)));
                }
                false
            }
            TokKind::Kw(Kw::LeaseIdFormat) => {
                c.skip();
                self.parse_lease_id_format(c, span, out);
                false
            }
            TokKind::Punct(b'%') => {
                c.skip_to_semi();
                false
            }
            _ => {
                match self.parse_executable_statement(c, ExprContext::Any) {
                    Parsed::Ok(e) => out.push(Stmt::Exec(span, Box::new(e))),
                    Parsed::Failed => {}
                    Parsed::NotMine => {
                        if declaration {
                            c.error_help(
                                "expecting a declaration",
                                "parameters must come before the declarations of a block; or this is not a dhcpd.conf statement",
                            );
                        } else {
                            c.error_help(
                                "expecting a parameter or declaration",
                                "not a dhcpd.conf statement; check for a missing `;` or `}`, a stray `;`, or text that is not configuration",
                            );
                        }
                        c.skip_to_semi();
                    }
                }
                declaration
            }
        }
    }

    /// `include "path";` (the keyword consumed): the file is parsed in the same scope.
    fn parse_include(&mut self, c: &mut Cursor<'_>, scope: Scope, span: Span, out: &mut Vec<Stmt>) {
        let t = c.next();
        if t.kind != TokKind::Str {
            c.error_help(
                "filename string expected.",
                "write the file name in double quotes: include \"/etc/dhcp/file.conf\";",
            );
            c.skip_to_semi();
            return;
        }
        let path = c.string(&t);
        let before = self.files.len();
        let mut statements = Vec::new();
        let mut diags = Vec::new();
        self.parse_file(&path, scope, &mut statements, &mut diags);
        let bad = diags.iter().any(Diagnostic::is_error);
        for d in diags {
            c.push(d);
        }
        let file = (self.files.len() > before).then_some(before as u32);
        out.push(Stmt::Include(Box::new(crate::ast::Include {
            span,
            path: path.clone(),
            file,
            statements,
        })));
        if self.aborted {
            return;
        }
        if bad {
            c.error_help(
                format!("{path}: bad parse."),
                "the included file has errors (reported above)",
            );
        }
        c.parse_semi();
    }

    /// `authoritative;` / `not authoritative;` (keywords consumed).
    fn authoritative(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        on: bool,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        if scope == Scope::Host {
            c.error_help(
                "authority makes no sense here.",
                "`authoritative` applies to networks; move it out of the host",
            );
        }
        if c.parse_semi() {
            out.push(Stmt::Authoritative(span, on));
        }
    }

    /// The `option` case of ISC's `parse_statement` (`option` consumed).
    fn option_case(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        declaration: bool,
        span: Span,
        out: &mut Vec<Stmt>,
    ) -> bool {
        if c.peek_is_kw(Kw::Space) {
            if scope != Scope::Root {
                c.error_help(
                    "option space definitions may not be scoped.",
                    "move `option space` to the top level of the file",
                );
                c.skip_to_semi();
                return false;
            }
            if let Some(d) = self.parse_option_space_decl(c) {
                out.push(Stmt::OptionSpace(span, Box::new(d)));
            }
            return declaration;
        }
        let Some(name) = self.parse_option_name(c, true) else {
            return declaration;
        };
        if c.peek_is_kw(Kw::Code) {
            if scope != Scope::Root {
                c.error_help(
                    "option definitions may not be scoped.",
                    "move `option NAME code N = TYPE;` to the top level of the file",
                );
                c.skip_to_semi();
                return false;
            }
            c.skip();
            if let Some(d) = self.parse_option_code_definition(c, name) {
                out.push(Stmt::OptionDef(span, Box::new(d)));
            }
            return declaration;
        }
        if !name.known {
            c.error_help(
                format!("unknown option {}.{}", name.space, name.name),
                "define it first with `option NAME code N = TYPE;` (and `option space` for a new space), or check the spelling",
            );
            c.skip_to_semi();
            return declaration;
        }
        if let Some(e) = self.parse_option_statement(c, name) {
            out.push(Stmt::Exec(span, Box::new(e)));
        }
        declaration
    }

    /// ISC's `parse_fixed_addr_param` and the host check (keyword consumed).
    fn parse_fixed_addr(
        &mut self,
        c: &mut Cursor<'_>,
        v6: bool,
        host: Option<&mut HostCtx<'_>>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        // Almost every fixed-address has one address, which the AST keeps inline
        // (`AddrList::One`): no vector is allocated until a second one comes.
        let mut first = None;
        let mut v4s = Vec::new();
        let mut v6s = Vec::with_capacity(usize::from(v6));
        loop {
            if v6 {
                match c.parse_ip6_addr() {
                    Some(a) => v6s.push(a),
                    None => return,
                }
            } else {
                match c.parse_ip_addr_or_hostname() {
                    Some(a) if first.is_none() && v4s.is_empty() => first = Some(a),
                    Some(a) => {
                        v4s.extend(first.take());
                        v4s.push(a);
                    }
                    None => return,
                }
            }
            if c.peek_is(b',') {
                c.skip();
            } else {
                break;
            }
        }
        if !c.parse_semi() {
            return;
        }
        match host {
            Some(h) if h.has_fixed => c.error_help(
                "Only one fixed address declaration per host.",
                "list all addresses in one statement: fixed-address 192.0.2.1, 192.0.2.2;",
            ),
            Some(h) => {
                h.has_fixed = true;
                out.push(if v6 {
                    Stmt::FixedAddress6(span, v6s)
                } else {
                    match first {
                        // One literal address: a field of the host (see `ast::Host`).
                        Some(AddrOrName::Addr(a)) if h.fixed.is_none() => {
                            h.fixed = Some(a);
                            return;
                        }
                        Some(a) => Stmt::FixedAddress(span, AddrList::One(a)),
                        None => Stmt::FixedAddress(span, AddrList::Many(v4s)),
                    }
                });
            }
            None => c.error_help(
                "fixed-address parameter not allowed here.",
                "`fixed-address` belongs directly inside a `host { }` declaration",
            ),
        }
    }

    /// ISC's `parse_lease_id_format` (keyword consumed).
    fn parse_lease_id_format(&mut self, c: &mut Cursor<'_>, span: Span, out: &mut Vec<Stmt>) {
        let t = c.next();
        let f = match t.kind {
            TokKind::Kw(Kw::Octal) => LeaseIdFormat::Octal,
            TokKind::Kw(Kw::Hex) => LeaseIdFormat::Hex,
            _ => {
                c.error_help(
                    "lease-id-format is invalid:  it must be octal or hex.",
                    "write `lease-id-format octal;` or `lease-id-format hex;`",
                );
                c.skip_to_semi();
                return;
            }
        };
        // ISC logs the setting (log_debug, printed under -t) before it checks the `;`.
        let shown = if f == LeaseIdFormat::Octal {
            "octal"
        } else {
            "hex"
        };
        self.log_line(c, format!("lease_id_format is: {shown}"));
        if !c.next().is_punct(b';') {
            c.error_help(
                "corrupt lease file; expecting a semicolon",
                "end the statement with `;`",
            );
            c.skip_to_semi();
            return;
        }
        out.push(Stmt::LeaseIdFormat(span, f));
    }

    /// ISC's `parse_server_duid_conf` (keyword not yet consumed).
    fn parse_server_duid_conf(&mut self, c: &mut Cursor<'_>) -> Option<ServerDuid> {
        c.skip();
        let t = c.next();
        let duid = match t.kind {
            TokKind::Kw(Kw::En) => {
                let n = c.next();
                if n.kind != TokKind::Number {
                    c.error_help(
                        "enterprise number expected",
                        "write server-duid EN NUMBER \"ID\";",
                    );
                    c.skip_to_semi();
                    return None;
                }
                let num = atoi_tok(c, &n);
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help("identifier expected", "the identifier is a quoted string");
                    c.skip_to_semi();
                    return None;
                }
                ServerDuid::En(num, c.text(&s).to_vec())
            }
            TokKind::Kw(kw @ (Kw::Ll | Kw::Llt)) => {
                if c.peek_is(b';') {
                    if kw == Kw::Ll {
                        ServerDuid::Ll(None)
                    } else {
                        ServerDuid::Llt(None)
                    }
                } else {
                    let ht = c.next();
                    let hw = match ht.kind {
                        TokKind::Kw(Kw::Ethernet) => DuidHwType::Ethernet,
                        TokKind::Kw(Kw::TokenRing) => DuidHwType::TokenRing,
                        TokKind::Kw(Kw::Fddi) => DuidHwType::Fddi,
                        _ => {
                            c.error_help(
                                "hardware type expected",
                                "use ethernet, token-ring or fddi",
                            );
                            c.skip_to_semi();
                            return None;
                        }
                    };
                    if kw == Kw::Ll {
                        let a = c.parse_cshl()?;
                        ServerDuid::Ll(Some((hw, a)))
                    } else {
                        let n = c.next();
                        if n.kind != TokKind::Number {
                            c.error_help("timestamp expected", "write the DUID time as a number");
                            c.skip_to_semi();
                            return None;
                        }
                        let time = atoi_tok(c, &n);
                        let a = c.parse_cshl()?;
                        ServerDuid::Llt(Some((hw, time, a)))
                    }
                }
            }
            TokKind::Number => {
                let num = atoi_tok(c, &t);
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help("identifier expected", "the identifier is a quoted string");
                    c.skip_to_semi();
                    return None;
                }
                ServerDuid::Other(num, c.text(&s).to_vec())
            }
            _ => {
                c.error_help(
                    "DUID type of LLT, EN, or LL expected",
                    "write server-duid LLT|LL|EN ...;",
                );
                c.skip_to_semi();
                return None;
            }
        };
        if !c.next().is_punct(b';') {
            c.error_help("semicolon expected", "end the statement with `;`");
            c.skip_to_semi();
        }
        Some(duid)
    }
}
