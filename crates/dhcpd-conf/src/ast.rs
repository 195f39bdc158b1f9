//! The AST of a dhcpd.conf: declarations and statements with their source positions.
//!
//! Owned by the declaration parser ([`crate::decl`]); executable statements and expressions
//! are in [`crate::exec`], option names, spaces and definitions in [`crate::options`].
//!
//! Every node can be printed back ([`std::fmt::Display`]) as canonical dhcpd.conf text that
//! parses to the same AST. Spans never take part in equality (`==` compares the meaning of a
//! configuration, not where it was written).
//!
//! `include "file";` is kept as an [`Include`] node holding the statements read from that file,
//! so nothing is lost: [`Config::render_files`] prints every file separately (the including
//! file keeps its `include` line), [`Config::to_flat_string`] prints one file with the
//! included statements in place of the `include` lines.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use crate::basic::{AddrOrName, HardwareAddr};
use crate::exec::{Executable, Expr};
use crate::lexer::Pos;
use crate::options::{OptionDef, OptionName, OptionSpaceDecl};

/// Where a node was written: file index (into [`Config::files`]) and position.
///
/// Two spans always compare equal, so that ASTs compare by meaning.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    /// Index of the file in [`Config::files`].
    pub file: u32,
    /// Position in that file.
    pub pos: Pos,
}

impl PartialEq for Span {
    fn eq(&self, _other: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

/// A whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Names of the files read, main file first; [`Span::file`] indexes this.
    pub files: Vec<Rc<str>>,
    /// The statements of the global scope.
    pub statements: Vec<Stmt>,
}

/// A statement or declaration in any scope.
///
/// Rare or large payloads are boxed so that the common statements (hosts, their hardware and
/// fixed addresses, subnets, ranges) stay small: a configuration may hold 100,000 hosts.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// An executable statement (options, parameters, conditionals, ...).
    Exec(Span, Box<Executable>),
    /// `include "path";` with the statements read from the file.
    Include(Box<Include>),
    /// `shared-network NAME { ... }`.
    SharedNetwork(Box<SharedNetwork>),
    /// `subnet ADDR netmask MASK { ... }`.
    Subnet(Subnet),
    /// `subnet6 PREFIX/LEN { ... }`.
    Subnet6(Box<Subnet6>),
    /// `range [dynamic-bootp] LOW [HIGH];`.
    Range(Range),
    /// `range6 ...;`.
    Range6(Range6),
    /// `prefix6 LOW HIGH / BITS;`.
    Prefix6(Prefix6),
    /// `fixed-prefix6 PREFIX / BITS;` (host only).
    FixedPrefix6(FixedPrefix6),
    /// `pool { ... }` or `pool6 { ... }`.
    Pool(Pool),
    /// `allow PERMIT;` / `deny PERMIT;` inside a pool.
    Permit(Box<PoolPermit>),
    /// `failover peer "NAME";` inside a pool, or `no failover peer` (`None`).
    PoolFailover(Span, Option<String>),
    /// `host NAME { ... }`.
    Host(Host),
    /// `group [NAME] { ... }`.
    Group(Box<Group>),
    /// `class`, `vendor-class` or `user-class` declaration.
    Class(Box<Class>),
    /// `subclass "CLASS" VALUE [{ ... } | ;]`.
    Subclass(Box<Subclass>),
    /// `match if BOOLEAN-EXPR;` (class body).
    MatchIf(Span, Box<Expr>),
    /// `match DATA-EXPR;` (class body).
    Match(Span, Box<Expr>),
    /// `spawn with DATA-EXPR;` (class body).
    SpawnWith(Span, Box<Expr>),
    /// `lease limit N;` (class body).
    LeaseLimit(Span, i64),
    /// `failover peer "NAME" { ... }`.
    FailoverPeer(Box<FailoverPeer>),
    /// `failover peer "NAME";` in a shared-network: the network's peer.
    FailoverPeerRef(Span, String),
    /// `failover peer "NAME" state { ... }`.
    FailoverState(Box<FailoverState>),
    /// `hardware TYPE ADDR;` (host only).
    Hardware(Span, HardwareAddr),
    /// `fixed-address ADDR-OR-NAME, ...;` (host only).
    FixedAddress(Span, AddrList),
    /// `fixed-address6 ADDR6, ...;` (host only).
    FixedAddress6(Span, Vec<Ipv6Addr>),
    /// `uid VALUE;` (host only).
    Uid(Span, Bytes),
    /// `host-identifier option NAME VALUE;` / `host-identifier v6relopt N NAME VALUE;`.
    HostIdentifier(Box<HostIdentifier>),
    /// `group "NAME";` inside a host: attach the host to a named group.
    HostGroup(Span, String),
    /// `dynamic;`, `deleted;`, `static;` (host, group and class bodies; lease-file forms).
    Flag(Span, DeclFlag),
    /// `authoritative;` (true) or `not authoritative;` (false).
    Authoritative(Span, bool),
    /// `server-duid ...;`.
    ServerDuid(Span, Box<ServerDuid>),
    /// `lease-id-format octal|hex;`.
    LeaseIdFormat(Span, LeaseIdFormat),
    /// `interface NAME;` (directly in a shared-network or subnet).
    Interface(Span, String),
    /// `option space ...;`.
    OptionSpace(Span, Box<OptionSpaceDecl>),
    /// `option NAME code N = TYPE;`.
    OptionDef(Span, Box<OptionDef>),
}

/// `include "path";` and what the file contained.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// Where the `include` was written.
    pub span: Span,
    /// The path exactly as written.
    pub path: String,
    /// Index of the included file in [`Config::files`] (`None` if it could not be read).
    pub file: Option<u32>,
    /// The statements read from the file (in the scope of the `include`).
    pub statements: Vec<Stmt>,
}

/// `shared-network NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedNetwork {
    /// Where it was written.
    pub span: Span,
    /// The network's name.
    pub name: String,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// `subnet ADDR netmask MASK { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    /// Where it was written.
    pub span: Span,
    /// Network number.
    pub addr: Ipv4Addr,
    /// Netmask (need not be contiguous).
    pub mask: Ipv4Addr,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// `subnet6 PREFIX/LEN { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet6 {
    /// Where it was written.
    pub span: Span,
    /// Network prefix.
    pub addr: Ipv6Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// `range [dynamic-bootp] LOW [HIGH];`.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Where it was written.
    pub span: Span,
    /// `dynamic-bootp` given.
    pub dynamic_bootp: bool,
    /// First address as written.
    pub low: Ipv4Addr,
    /// Last address as written (`None`: a one-address range). May be below `low`.
    pub high: Option<Ipv4Addr>,
}

/// `range6 ...;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Range6 {
    /// Where it was written.
    pub span: Span,
    /// What kind of range.
    pub kind: Range6Kind,
}

/// The forms of `range6`.
#[derive(Debug, Clone, PartialEq)]
pub enum Range6Kind {
    /// `range6 LOW HIGH;`.
    Span(Ipv6Addr, Ipv6Addr),
    /// `range6 ADDR/BITS [temporary];`.
    Cidr {
        /// Network.
        addr: Ipv6Addr,
        /// Prefix length.
        bits: u8,
        /// `temporary` given.
        temporary: bool,
    },
    /// `range6 ADDR temporary;`.
    Temporary(Ipv6Addr),
}

/// `prefix6 LOW HIGH / BITS;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefix6 {
    /// Where it was written.
    pub span: Span,
    /// First prefix.
    pub low: Ipv6Addr,
    /// Last prefix.
    pub high: Ipv6Addr,
    /// Delegated prefix length.
    pub bits: u8,
}

/// `fixed-prefix6 PREFIX / BITS;`.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPrefix6 {
    /// Where it was written.
    pub span: Span,
    /// Prefix.
    pub addr: Ipv6Addr,
    /// Prefix length.
    pub bits: u8,
}

/// `pool { ... }` / `pool6 { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// Where it was written.
    pub span: Span,
    /// `pool6`.
    pub v6: bool,
    /// Ranges, permits, the failover peer reference, parameters.
    pub body: Vec<Stmt>,
}

/// `allow PERMIT;` or `deny PERMIT;` in a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPermit {
    /// Where it was written.
    pub span: Span,
    /// `allow` (true) or `deny` (false).
    pub allow: bool,
    /// What is permitted or denied.
    pub permit: Permit,
}

/// A pool permit.
#[derive(Debug, Clone, PartialEq)]
pub enum Permit {
    /// `known-clients` / `known clients`.
    KnownClients,
    /// `unknown-clients` / `unknown clients`.
    UnknownClients,
    /// `authenticated clients`.
    AuthenticatedClients,
    /// `unauthenticated clients`.
    UnauthenticatedClients,
    /// `all clients`.
    AllClients,
    /// `dynamic bootp clients`.
    DynamicBootpClients,
    /// `members of "CLASS"`.
    MembersOf(String),
    /// `after DATE`.
    After(Date),
}

/// A date as written in a configuration or lease file (ISC's `parse_date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Date {
    /// `never`.
    Never,
    /// `epoch SECONDS`.
    Epoch(i64),
    /// `DOW YEAR/MONTH/DAY HOUR:MINUTE:SECOND [TZOFFSET]` (numbers as written).
    Calendar {
        /// Day of week (ignored by ISC).
        weekday: i64,
        /// Year (ISC accepts both 2024 and 124).
        year: i64,
        /// Month 1-12.
        month: i64,
        /// Day of month.
        day: i64,
        /// Hour.
        hour: i64,
        /// Minute.
        minute: i64,
        /// Second.
        second: i64,
        /// Time-zone offset in seconds, if written.
        tzoff: Option<i64>,
    },
}

/// `host NAME { ... }`.
///
/// Its `hardware` statement and a `fixed-address` of one literal address are fields rather
/// than statements of the body: most hosts have nothing else, so their body is empty and
/// costs no allocation (a configuration can declare 100,000 hosts). A host may have one
/// of each (ISC rejects a second); a `fixed-address` listing several addresses or a name
/// stays in the body as [`Stmt::FixedAddress`].
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// Where it was written.
    pub span: Span,
    /// Host name (dotted identifiers).
    pub name: HostName,
    /// `hardware TYPE ADDR;`.
    pub hardware: Option<HardwareAddr>,
    /// `fixed-address ADDR;` with a single literal address.
    pub fixed: Option<Ipv4Addr>,
    /// Its other statements.
    pub body: Box<[Stmt]>,
}

/// Bytes of a [`HostName`] kept inline.
const INLINE_NAME: usize = 22;

/// The name of a host declaration: kept inline up to 22 bytes (no heap allocation per host:
/// a configuration can declare 100,000), on the heap beyond. Dereferences to `str`.
#[derive(Clone)]
pub struct HostName(NameRepr);

#[derive(Clone)]
enum NameRepr {
    Inline { len: u8, bytes: [u8; INLINE_NAME] },
    Heap(Box<str>),
}

impl From<&str> for HostName {
    fn from(name: &str) -> Self {
        let mut bytes = [0; INLINE_NAME];
        match bytes.get_mut(..name.len()) {
            Some(b) => {
                b.copy_from_slice(name.as_bytes());
                HostName(NameRepr::Inline {
                    len: name.len() as u8,
                    bytes,
                })
            }
            None => HostName(NameRepr::Heap(name.into())),
        }
    }
}

impl std::ops::Deref for HostName {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            // Always whole UTF-8: the bytes come from a `str` of exactly this length.
            NameRepr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            NameRepr::Heap(s) => s,
        }
    }
}

impl std::fmt::Display for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl std::fmt::Debug for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for HostName {
    fn eq(&self, other: &HostName) -> bool {
        **self == **other
    }
}

impl Eq for HostName {}

impl PartialEq<str> for HostName {
    fn eq(&self, other: &str) -> bool {
        &**self == other
    }
}

impl PartialEq<&str> for HostName {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

/// The addresses of a `fixed-address` statement. Almost every one lists a single address,
/// which is kept inline (no heap allocation per host); it dereferences to a slice.
#[derive(Debug, Clone, PartialEq)]
pub enum AddrList {
    /// One address.
    One(AddrOrName),
    /// Several (or, only after an error, none).
    Many(Vec<AddrOrName>),
}

impl AddrList {
    /// The list of `addrs`.
    pub fn from_vec(mut addrs: Vec<AddrOrName>) -> Self {
        if addrs.len() == 1
            && let Some(a) = addrs.pop()
        {
            return AddrList::One(a);
        }
        AddrList::Many(addrs)
    }
}

impl std::ops::Deref for AddrList {
    type Target = [AddrOrName];

    fn deref(&self) -> &[AddrOrName] {
        match self {
            AddrList::One(a) => std::slice::from_ref(a),
            AddrList::Many(v) => v,
        }
    }
}

/// `group [NAME] { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Where it was written.
    pub span: Span,
    /// Name (OMAPI); most groups are anonymous.
    pub name: Option<String>,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// Which keyword declared a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassKind {
    /// `class`.
    Class,
    /// `vendor-class` (a subclass of an existing class, named by the string).
    VendorClass,
    /// `user-class` (likewise).
    UserClass,
}

/// `class "NAME" { ... }` (also `vendor-class`, `user-class`).
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    /// Where it was written.
    pub span: Span,
    /// Which keyword.
    pub kind: ClassKind,
    /// The class name.
    pub name: String,
    /// The body; `None` for `vendor-class "x";` / `user-class "x";`.
    pub body: Option<Vec<Stmt>>,
}

/// `subclass "CLASS" VALUE [{ ... } | ;]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subclass {
    /// Where it was written.
    pub span: Span,
    /// The parent class.
    pub class: String,
    /// The match value.
    pub value: Bytes,
    /// The body, if one was given.
    pub body: Option<Vec<Stmt>>,
}

/// A byte value written as a quoted string or a colon-separated hex list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bytes {
    /// `"text"`.
    String(Vec<u8>),
    /// `01:02:0a`.
    Hex(Vec<u8>),
}

/// A host identifier: `host-identifier option NAME VALUE;`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostIdentifier {
    /// Where it was written.
    pub span: Span,
    /// `v6relopt N` (number of relays), if given.
    pub relays: Option<i64>,
    /// The option.
    pub option: OptionName,
    /// Its value.
    pub value: crate::options::OptionValue,
}

/// `dynamic;`, `deleted;`, `static;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclFlag {
    /// `dynamic;`.
    Dynamic,
    /// `deleted;`.
    Deleted,
    /// `static;` (groups only).
    Static,
}

/// The role of a failover server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverRole {
    /// `primary;`.
    Primary,
    /// `secondary;`.
    Secondary,
}

/// The per-side settings of a failover peer (ours, or the partner's after `peer`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailoverSide {
    /// `address`.
    pub address: Option<AddrOrName>,
    /// `port` (as `atoi` read it).
    pub port: Option<i64>,
    /// `max-response-delay`.
    pub max_response_delay: Option<i64>,
    /// `max-unacked-updates`.
    pub max_unacked_updates: Option<i64>,
}

/// `failover peer "NAME" { ... }`: every sub-statement as a typed field (`None` = not written;
/// ISC's defaults apply).
#[derive(Debug, Clone, PartialEq)]
pub struct FailoverPeer {
    /// Where it was written.
    pub span: Span,
    /// Peer name.
    pub name: String,
    /// `primary;` / `secondary;` (the last one written).
    pub role: Option<FailoverRole>,
    /// Our side.
    pub me: FailoverSide,
    /// The partner's side (`peer address`, `peer port`, ...).
    pub partner: FailoverSide,
    /// `mclt`.
    pub mclt: Option<i64>,
    /// `split` (0-256).
    pub split: Option<i64>,
    /// `hba` (32 bytes).
    pub hba: Option<Vec<u8>>,
    /// `load balance max seconds`.
    pub load_balance_max_seconds: Option<i64>,
    /// `max-lease-misbalance`.
    pub max_lease_misbalance: Option<i64>,
    /// `max-lease-ownership`.
    pub max_lease_ownership: Option<i64>,
    /// `min-balance`.
    pub min_balance: Option<i64>,
    /// `max-balance`.
    pub max_balance: Option<i64>,
    /// `auto-partner-down`.
    pub auto_partner_down: Option<i64>,
}

impl FailoverPeer {
    /// A peer with nothing set.
    pub fn new(span: Span, name: String) -> Self {
        FailoverPeer {
            span,
            name,
            role: None,
            me: FailoverSide::default(),
            partner: FailoverSide::default(),
            mclt: None,
            split: None,
            hba: None,
            load_balance_max_seconds: None,
            max_lease_misbalance: None,
            max_lease_ownership: None,
            min_balance: None,
            max_balance: None,
            auto_partner_down: None,
        }
    }
}

/// A failover state (`my state`, `partner state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverStateName {
    /// `unknown-state`.
    UnknownState,
    /// `partner-down`.
    PartnerDown,
    /// `normal`.
    Normal,
    /// `communications-interrupted`.
    CommunicationsInterrupted,
    /// `conflict-done`.
    ConflictDone,
    /// `resolution-interrupted`.
    ResolutionInterrupted,
    /// `potential-conflict`.
    PotentialConflict,
    /// `recover`.
    Recover,
    /// `recover-wait`.
    RecoverWait,
    /// `recover-done`.
    RecoverDone,
    /// `shutdown`.
    Shutdown,
    /// `paused`.
    Paused,
    /// `startup`.
    Startup,
}

impl FailoverStateName {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverStateName::UnknownState => "unknown-state",
            FailoverStateName::PartnerDown => "partner-down",
            FailoverStateName::Normal => "normal",
            FailoverStateName::CommunicationsInterrupted => "communications-interrupted",
            FailoverStateName::ConflictDone => "conflict-done",
            FailoverStateName::ResolutionInterrupted => "resolution-interrupted",
            FailoverStateName::PotentialConflict => "potential-conflict",
            FailoverStateName::Recover => "recover",
            FailoverStateName::RecoverWait => "recover-wait",
            FailoverStateName::RecoverDone => "recover-done",
            FailoverStateName::Shutdown => "shutdown",
            FailoverStateName::Paused => "paused",
            FailoverStateName::Startup => "startup",
        }
    }
}

/// `failover peer "NAME" state { my state S [at DATE]; partner state S ...; mclt N; }`.
#[derive(Debug, Clone, PartialEq)]
pub struct FailoverState {
    /// Where it was written.
    pub span: Span,
    /// Peer name.
    pub name: String,
    /// Settings in the order written.
    pub items: Vec<FailoverStateItem>,
}

/// One statement of a failover state block.
#[derive(Debug, Clone, PartialEq)]
pub enum FailoverStateItem {
    /// `my state S [at DATE];`.
    My(FailoverStateName, Option<Date>),
    /// `partner state S [at DATE];`.
    Partner(FailoverStateName, Option<Date>),
    /// `mclt N;`.
    Mclt(i64),
}

/// Hardware type keywords accepted by `server-duid LL/LLT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuidHwType {
    /// `ethernet`.
    Ethernet,
    /// `token-ring`.
    TokenRing,
    /// `fddi`.
    Fddi,
}

/// `server-duid ...;`.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerDuid {
    /// `server-duid EN NUMBER "ID";`.
    En(i64, Vec<u8>),
    /// `server-duid LL [TYPE HEX];`.
    Ll(Option<(DuidHwType, Vec<u8>)>),
    /// `server-duid LLT [TYPE TIME HEX];`.
    Llt(Option<(DuidHwType, i64, Vec<u8>)>),
    /// `server-duid NUMBER "ID";`.
    Other(i64, Vec<u8>),
}

/// `lease-id-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseIdFormat {
    /// `octal`.
    Octal,
    /// `hex`.
    Hex,
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// Writes `s` as a dhcpd.conf quoted string (ISC's lexer reads it back to the same bytes).
pub fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

fn hex_list(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bytes::String(s) => f.write_str(&quote(s)),
            Bytes::Hex(h) => f.write_str(&hex_list(h)),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Date::Never => f.write_str("never"),
            Date::Epoch(s) => write!(f, "epoch {s}"),
            Date::Calendar {
                weekday,
                year,
                month,
                day,
                hour,
                minute,
                second,
                tzoff,
            } => {
                write!(f, "{weekday} {year}/{month}/{day} {hour}:{minute}:{second}")?;
                if let Some(t) = tzoff {
                    write!(f, " {t}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Permit::KnownClients => f.write_str("known-clients"),
            Permit::UnknownClients => f.write_str("unknown-clients"),
            Permit::AuthenticatedClients => f.write_str("authenticated clients"),
            Permit::UnauthenticatedClients => f.write_str("unauthenticated clients"),
            Permit::AllClients => f.write_str("all clients"),
            Permit::DynamicBootpClients => f.write_str("dynamic bootp clients"),
            Permit::MembersOf(c) => write!(f, "members of {}", quote(c.as_bytes())),
            Permit::After(d) => write!(f, "after {d}"),
        }
    }
}

impl fmt::Display for DuidHwType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DuidHwType::Ethernet => "ethernet",
            DuidHwType::TokenRing => "token-ring",
            DuidHwType::Fddi => "fddi",
        })
    }
}

impl fmt::Display for ServerDuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerDuid::En(n, id) => write!(f, "EN {n} {}", quote(id)),
            ServerDuid::Ll(None) => f.write_str("LL"),
            ServerDuid::Ll(Some((t, a))) => write!(f, "LL {t} {}", hex_list(a)),
            ServerDuid::Llt(None) => f.write_str("LLT"),
            ServerDuid::Llt(Some((t, time, a))) => {
                write!(f, "LLT {t} {time} {}", hex_list(a))
            }
            ServerDuid::Other(n, id) => write!(f, "{n} {}", quote(id)),
        }
    }
}

/// How `include` nodes are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IncludeMode {
    /// `include "path";`.
    Line,
    /// The included statements, in place.
    Inline,
}

struct Printer<'o> {
    out: &'o mut String,
    mode: IncludeMode,
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn block(&mut self, depth: usize, head: &str, body: &[Stmt]) {
        self.line(depth, &format!("{head} {{"));
        self.stmts(depth + 1, body);
        self.line(depth, "}");
    }

    fn stmts(&mut self, depth: usize, body: &[Stmt]) {
        for s in body {
            self.stmt(depth, s);
        }
    }

    fn multiline(&mut self, depth: usize, text: &str) {
        for l in text.lines() {
            self.line(depth, l);
        }
    }

    fn stmt(&mut self, d: usize, s: &Stmt) {
        match s {
            Stmt::Exec(_, e) => self.multiline(d, &e.to_string()),
            Stmt::Include(i) => match self.mode {
                IncludeMode::Line => {
                    self.line(d, &format!("include {};", quote(i.path.as_bytes())))
                }
                IncludeMode::Inline => self.stmts(d, &i.statements),
            },
            Stmt::SharedNetwork(n) => self.block(
                d,
                &format!("shared-network {}", quote(n.name.as_bytes())),
                &n.body,
            ),
            Stmt::Subnet(n) => {
                self.block(d, &format!("subnet {} netmask {}", n.addr, n.mask), &n.body)
            }
            Stmt::Subnet6(n) => {
                self.block(d, &format!("subnet6 {}/{}", n.addr, n.prefix_len), &n.body)
            }
            Stmt::Range(r) => {
                let mut t = String::from("range ");
                if r.dynamic_bootp {
                    t.push_str("dynamic-bootp ");
                }
                let _ = write!(t, "{}", r.low);
                if let Some(h) = r.high {
                    let _ = write!(t, " {h}");
                }
                t.push(';');
                self.line(d, &t);
            }
            Stmt::Range6(r) => {
                let t = match &r.kind {
                    Range6Kind::Span(a, b) => format!("range6 {a} {b};"),
                    Range6Kind::Cidr {
                        addr,
                        bits,
                        temporary,
                    } => format!(
                        "range6 {addr}/{bits}{};",
                        if *temporary { " temporary" } else { "" }
                    ),
                    Range6Kind::Temporary(a) => format!("range6 {a} temporary;"),
                };
                self.line(d, &t);
            }
            Stmt::Prefix6(p) => self.line(d, &format!("prefix6 {} {} /{};", p.low, p.high, p.bits)),
            Stmt::FixedPrefix6(p) => self.line(d, &format!("fixed-prefix6 {}/{};", p.addr, p.bits)),
            Stmt::Pool(p) => self.block(d, if p.v6 { "pool6" } else { "pool" }, &p.body),
            Stmt::Permit(p) => self.line(
                d,
                &format!("{} {};", if p.allow { "allow" } else { "deny" }, p.permit),
            ),
            Stmt::PoolFailover(_, Some(n)) => {
                self.line(d, &format!("failover peer {};", quote(n.as_bytes())))
            }
            // ISC leaves the `;` after `no failover peer` to the next statement, where it is
            // an error; so the canonical form has none.
            Stmt::PoolFailover(_, None) => self.line(d, "no failover peer"),
            Stmt::Host(h) => {
                self.line(d, &format!("host {} {{", h.name));
                if let Some(hw) = &h.hardware {
                    self.line(d + 1, &format!("hardware {hw};"));
                }
                if let Some(a) = h.fixed {
                    self.line(d + 1, &format!("fixed-address {a};"));
                }
                self.stmts(d + 1, &h.body);
                self.line(d, "}");
            }
            Stmt::Group(g) => match &g.name {
                Some(n) => self.block(d, &format!("group {}", quote(n.as_bytes())), &g.body),
                None => self.block(d, "group", &g.body),
            },
            Stmt::Class(c) => {
                let kw = match c.kind {
                    ClassKind::Class => "class",
                    ClassKind::VendorClass => "vendor-class",
                    ClassKind::UserClass => "user-class",
                };
                let head = format!("{kw} {}", quote(c.name.as_bytes()));
                match &c.body {
                    Some(b) => self.block(d, &head, b),
                    None => self.line(d, &format!("{head};")),
                }
            }
            Stmt::Subclass(c) => {
                let head = format!("subclass {} {}", quote(c.class.as_bytes()), c.value);
                match &c.body {
                    Some(b) => self.block(d, &head, b),
                    None => self.line(d, &format!("{head};")),
                }
            }
            Stmt::MatchIf(_, e) => self.line(d, &format!("match if {e};")),
            Stmt::Match(_, e) => self.line(d, &format!("match {e};")),
            Stmt::SpawnWith(_, e) => self.line(d, &format!("spawn with {e};")),
            Stmt::LeaseLimit(_, n) => self.line(d, &format!("lease limit {n};")),
            Stmt::FailoverPeer(p) => self.failover_peer(d, p),
            Stmt::FailoverPeerRef(_, n) => {
                self.line(d, &format!("failover peer {};", quote(n.as_bytes())))
            }
            Stmt::FailoverState(st) => {
                self.line(
                    d,
                    &format!("failover peer {} state {{", quote(st.name.as_bytes())),
                );
                for it in &st.items {
                    let t = match it {
                        FailoverStateItem::My(s, at) | FailoverStateItem::Partner(s, at) => {
                            let who = if matches!(it, FailoverStateItem::My(..)) {
                                "my"
                            } else {
                                "partner"
                            };
                            match at {
                                Some(date) => format!("{who} state {} at {date};", s.as_str()),
                                None => format!("{who} state {};", s.as_str()),
                            }
                        }
                        FailoverStateItem::Mclt(n) => format!("mclt {n};"),
                    };
                    self.line(d + 1, &t);
                }
                self.line(d, "}");
            }
            Stmt::Hardware(_, h) => self.line(d, &format!("hardware {h};")),
            Stmt::FixedAddress(_, a) => {
                let list: Vec<String> = a.iter().map(ToString::to_string).collect();
                self.line(d, &format!("fixed-address {};", list.join(", ")));
            }
            Stmt::FixedAddress6(_, a) => {
                let list: Vec<String> = a.iter().map(ToString::to_string).collect();
                self.line(d, &format!("fixed-address6 {};", list.join(", ")));
            }
            Stmt::Uid(_, v) => self.line(d, &format!("uid {v};")),
            Stmt::HostIdentifier(h) => {
                let t = match h.relays {
                    Some(n) => format!("host-identifier v6relopt {n} {}{};", h.option, h.value),
                    None => format!("host-identifier option {}{};", h.option, h.value),
                };
                self.line(d, &t);
            }
            Stmt::HostGroup(_, n) => self.line(d, &format!("group {};", quote(n.as_bytes()))),
            Stmt::Flag(_, f) => self.line(
                d,
                match f {
                    DeclFlag::Dynamic => "dynamic;",
                    DeclFlag::Deleted => "deleted;",
                    DeclFlag::Static => "static;",
                },
            ),
            Stmt::Authoritative(_, true) => self.line(d, "authoritative;"),
            Stmt::Authoritative(_, false) => self.line(d, "not authoritative;"),
            Stmt::ServerDuid(_, s) => self.line(d, &format!("server-duid {s};")),
            Stmt::LeaseIdFormat(_, LeaseIdFormat::Octal) => self.line(d, "lease-id-format octal;"),
            Stmt::LeaseIdFormat(_, LeaseIdFormat::Hex) => self.line(d, "lease-id-format hex;"),
            Stmt::Interface(_, n) => self.line(d, &format!("interface {};", quote(n.as_bytes()))),
            Stmt::OptionSpace(_, o) => self.multiline(d, &o.to_string()),
            Stmt::OptionDef(_, o) => self.multiline(d, &o.to_string()),
        }
    }

    fn failover_peer(&mut self, d: usize, p: &FailoverPeer) {
        self.line(d, &format!("failover peer {} {{", quote(p.name.as_bytes())));
        let i = d + 1;
        match p.role {
            Some(FailoverRole::Primary) => self.line(i, "primary;"),
            Some(FailoverRole::Secondary) => self.line(i, "secondary;"),
            None => {}
        }
        for (prefix, side) in [("", &p.me), ("peer ", &p.partner)] {
            if let Some(a) = &side.address {
                self.line(i, &format!("{prefix}address {a};"));
            }
            if let Some(n) = side.port {
                self.line(i, &format!("{prefix}port {n};"));
            }
            if let Some(n) = side.max_response_delay {
                self.line(i, &format!("{prefix}max-response-delay {n};"));
            }
            if let Some(n) = side.max_unacked_updates {
                self.line(i, &format!("{prefix}max-unacked-updates {n};"));
            }
        }
        let nums = [
            ("mclt", p.mclt),
            ("split", p.split),
            ("load balance max seconds", p.load_balance_max_seconds),
            ("max-lease-misbalance", p.max_lease_misbalance),
            ("max-lease-ownership", p.max_lease_ownership),
            ("min-balance", p.min_balance),
            ("max-balance", p.max_balance),
            ("auto-partner-down", p.auto_partner_down),
        ];
        for (kw, v) in nums {
            if let Some(n) = v {
                self.line(i, &format!("{kw} {n};"));
            }
        }
        if let Some(h) = &p.hba {
            self.line(i, &format!("hba {};", hex_list(h)));
        }
        self.line(d, "}");
    }
}

/// Prints statements at the given depth (two spaces per level), `include` as a line.
pub fn print_statements(body: &[Stmt], depth: usize) -> String {
    let mut out = String::new();
    Printer {
        out: &mut out,
        mode: IncludeMode::Line,
    }
    .stmts(depth, body);
    out
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer {
            out: &mut out,
            mode: IncludeMode::Line,
        }
        .stmt(0, self);
        f.write_str(out.trim_end_matches('\n'))
    }
}

/// The main file's canonical text (`include` lines kept; see [`Config::render_files`]).
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_statements(&self.statements, 0))
    }
}

impl Config {
    /// One file: every `include` replaced by the statements it read.
    pub fn to_flat_string(&self) -> String {
        let mut out = String::new();
        Printer {
            out: &mut out,
            mode: IncludeMode::Inline,
        }
        .stmts(0, &self.statements);
        out
    }

    /// Every file read, main file first, as canonical text: `(name, text)`. Reading these
    /// back (with a loader that serves them under the same names) gives the same AST.
    pub fn render_files(&self) -> Vec<(Rc<str>, String)> {
        let mut texts: Vec<Option<String>> = vec![None; self.files.len()];
        if let Some(t) = texts.first_mut() {
            *t = Some(print_statements(&self.statements, 0));
        }
        fn walk(body: &[Stmt], texts: &mut Vec<Option<String>>) {
            for s in body {
                let inner: &[Stmt] = match s {
                    Stmt::Include(i) => {
                        if let Some(slot) = i.file.and_then(|id| texts.get_mut(id as usize)) {
                            if slot.is_none() {
                                *slot = Some(print_statements(&i.statements, 0));
                            }
                        }
                        &i.statements
                    }
                    Stmt::SharedNetwork(n) => &n.body,
                    Stmt::Subnet(n) => &n.body,
                    Stmt::Subnet6(n) => &n.body,
                    Stmt::Pool(p) => &p.body,
                    Stmt::Host(h) => &h.body,
                    Stmt::Group(g) => &g.body,
                    Stmt::Class(c) => c.body.as_deref().unwrap_or(&[]),
                    Stmt::Subclass(c) => c.body.as_deref().unwrap_or(&[]),
                    _ => &[],
                };
                walk(inner, texts);
            }
        }
        walk(&self.statements, &mut texts);
        self.files
            .iter()
            .zip(texts)
            .map(|(n, t)| (n.clone(), t.unwrap_or_default()))
            .collect()
    }
}

impl Stmt {
    /// Where the statement was written.
    pub fn span(&self) -> Span {
        match self {
            Stmt::Exec(s, _)
            | Stmt::PoolFailover(s, _)
            | Stmt::MatchIf(s, _)
            | Stmt::Match(s, _)
            | Stmt::SpawnWith(s, _)
            | Stmt::LeaseLimit(s, _)
            | Stmt::FailoverPeerRef(s, _)
            | Stmt::Hardware(s, _)
            | Stmt::FixedAddress(s, _)
            | Stmt::FixedAddress6(s, _)
            | Stmt::Uid(s, _)
            | Stmt::HostGroup(s, _)
            | Stmt::Flag(s, _)
            | Stmt::Authoritative(s, _)
            | Stmt::ServerDuid(s, _)
            | Stmt::LeaseIdFormat(s, _)
            | Stmt::Interface(s, _)
            | Stmt::OptionSpace(s, _)
            | Stmt::OptionDef(s, _) => *s,
            Stmt::Include(x) => x.span,
            Stmt::SharedNetwork(x) => x.span,
            Stmt::Subnet(x) => x.span,
            Stmt::Subnet6(x) => x.span,
            Stmt::Range(x) => x.span,
            Stmt::Range6(x) => x.span,
            Stmt::Prefix6(x) => x.span,
            Stmt::FixedPrefix6(x) => x.span,
            Stmt::Pool(x) => x.span,
            Stmt::Permit(x) => x.span,
            Stmt::Host(x) => x.span,
            Stmt::Group(x) => x.span,
            Stmt::Class(x) => x.span,
            Stmt::Subclass(x) => x.span,
            Stmt::HostIdentifier(x) => x.span,
            Stmt::FailoverPeer(x) => x.span,
            Stmt::FailoverState(x) => x.span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_small() {
        // A configuration can hold 100,000 hosts: a host is one `Stmt` (its hardware
        // address and fixed address are fields, its body usually empty), and rare or large
        // payloads are boxed to keep every statement this size.
        assert!(
            std::mem::size_of::<Stmt>() <= 88,
            "{}",
            std::mem::size_of::<Stmt>()
        );
        let h = crate::parser::parse_config(
            "t.conf",
            &mut crate::MemLoader::single(
                "t.conf",
                "host a { hardware ethernet 0:1:2:3:4:5; fixed-address 192.0.2.1; }",
            ),
            crate::ParseOptions::default(),
        );
        let Some(Stmt::Host(h)) = h.config.statements.first() else {
            panic!("not a host");
        };
        assert!(h.body.is_empty() && h.hardware.is_some() && h.fixed.is_some());
    }

    #[test]
    fn host_names_inline_and_on_the_heap() {
        assert_eq!(std::mem::size_of::<HostName>(), 24);
        for name in [
            "",
            "h000001",
            "a.b.c",
            "exactly-22-bytes-long!",
            "twenty-three-bytes-long",
        ] {
            let h = HostName::from(name);
            assert_eq!(h, name);
            assert_eq!(h.to_string(), name);
            assert_eq!(format!("{h:?}"), format!("{name:?}"));
            assert_eq!(
                matches!(h.0, NameRepr::Inline { .. }),
                name.len() <= INLINE_NAME
            );
        }
        assert_ne!(HostName::from("a"), HostName::from("b"));
    }

    #[test]
    fn address_lists_of_one_are_inline() {
        let a = |n| AddrOrName::Addr(std::net::Ipv4Addr::new(192, 0, 2, n));
        let one = AddrList::from_vec(vec![a(1)]);
        assert!(matches!(one, AddrList::One(_)));
        assert_eq!(&one[..], [a(1)]);
        let two = AddrList::from_vec(vec![a(1), a(2)]);
        assert_eq!(&two[..], [a(1), a(2)]);
        assert!(AddrList::from_vec(Vec::new()).is_empty());
    }
}
