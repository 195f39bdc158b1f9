//! Option names, spaces, definitions and values in the configuration (ISC's `common/parse.c`
//! `parse_option_name`, `parse_option_space_decl`, `parse_option_code_definition`,
//! `parse_option_data`, `parse_option_token`, `parse_option_statement`).
//!
//! The option tables themselves (built-in spaces, the `server` parameter space, formats) are
//! [`dhcpd_wire::options`]; [`OptionState`] holds the [`Registry`] a configuration is read
//! against, which `option space` and `option … code …` statements change as they are read.
// The entry points are called by the declaration parser (decl.rs), which lands separately.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fmt;
use std::net::Ipv6Addr;

use dhcpd_wire::options::{Format, Registry, SpaceDecl, enumeration};

use crate::basic::{AddrOrName, atoi};
use crate::cursor::Cursor;
use crate::exec::{Executable, Expr, write_quoted};
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::parser::Parser;

/// Option spaces and definitions known while parsing, plus the names of the TSIG keys declared
/// so far (zones refer to them).
#[derive(Debug, Clone, Default)]
pub struct OptionState {
    /// Built-in spaces (including the `server` parameter space) and the configuration's own.
    pub registry: Registry,
    /// Names of the `key` statements read so far (case-sensitive, as ISC compares them).
    pub keys: HashSet<String>,
    /// How many executable-statement blocks (`if`, `on`, `switch`, function bodies) enclose
    /// the statement being read (see [`Parser::option_statement`]).
    pub(crate) block_depth: u32,
}

impl OptionState {
    /// The built-in spaces. The v6 spaces are always present, as in ISC (which registers all
    /// of them whatever the protocol).
    pub fn new(v6: bool) -> Self {
        let _ = v6;
        OptionState {
            registry: Registry::new(),
            keys: HashSet::new(),
            block_depth: 0,
        }
    }
}

/// An option as named in the configuration: `[SPACE.]NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OptionName {
    /// The space as written (`None` when the name had no `SPACE.`: the `dhcp` space, or the
    /// `server` space for a bare parameter statement).
    pub written_space: Option<String>,
    /// The option space the name was resolved in (`dhcp`, `server`, a user space ...).
    pub space: String,
    /// The option name as written (`unknown-N` for options known only by code).
    pub name: String,
    /// The option code (0 for a name being defined that had no earlier definition).
    pub code: u32,
    /// Whether the option was defined when the name was read (`unknown-N` names count as
    /// known, as in ISC). Only an `option NAME code …` definition has an unknown name.
    pub known: bool,
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(space) = &self.written_space {
            write!(f, "{space}.")?;
        }
        f.write_str(&self.name)
    }
}

/// `option space NAME [code width W] [length width L] [hash size N];`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpaceDecl {
    /// The space name.
    pub name: String,
    /// The width clauses in the order written.
    pub clauses: Vec<SpaceClause>,
}

/// One clause of an `option space` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceClause {
    /// `code width N`
    CodeWidth(u8),
    /// `length width N`
    LengthWidth(u8),
    /// `hash size N`
    HashSize(u32),
}

impl fmt::Display for OptionSpaceDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "option space {}", self.name)?;
        for c in &self.clauses {
            match c {
                SpaceClause::CodeWidth(w) => write!(f, " code width {w}")?,
                SpaceClause::LengthWidth(w) => write!(f, " length width {w}")?,
                SpaceClause::HashSize(n) => write!(f, " hash size {n}")?,
            }
        }
        f.write_str(";")
    }
}

/// `option [SPACE.]NAME code CODE = TYPE;`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDef {
    /// The option being defined.
    pub name: OptionName,
    /// Its code.
    pub code: u32,
    /// The ISC format string the type translates to (`"Ba"`, `"IA"`, `"Eipxe."` ...).
    pub format: String,
}

/// Splits a format made by `parse_option_code_definition` into (type text, array-of) items and
/// the trailing array marker.
fn format_types(format: &str) -> (Vec<(String, bool)>, Option<u8>) {
    let b = format.as_bytes();
    let mut items: Vec<(String, bool)> = Vec::new();
    let mut tail = None;
    let mut i = 0;
    while i < b.len() {
        let text: String = match b[i] {
            b'f' => "boolean".into(),
            b'b' => "signed integer 8".into(),
            b'B' => "unsigned integer 8".into(),
            b's' => "signed integer 16".into(),
            b'S' => "unsigned integer 16".into(),
            b'l' => "signed integer 32".into(),
            b'L' => "unsigned integer 32".into(),
            b'I' => "ip-address".into(),
            b'6' => "ip6-address".into(),
            b'd' => "domain-name".into(),
            b'D' => {
                if b.get(i + 1) == Some(&b'c') {
                    i += 1;
                    "domain-list compressed".into()
                } else {
                    "domain-list".into()
                }
            }
            b't' => "text".into(),
            b'X' => "string".into(),
            b'Z' => "zerolen".into(),
            b'E' => {
                let rest = &format[i + 1..];
                let end = rest.find('.').unwrap_or(rest.len());
                i += end + 1;
                format!("encapsulate {}", &rest[..end])
            }
            c @ (b'a' | b'A') => {
                if i + 1 == b.len() {
                    tail = Some(c);
                } else if let Some(last) = items.last_mut() {
                    last.1 = true;
                }
                i += 1;
                continue;
            }
            other => format!("?{}", other as char),
        };
        items.push((text, false));
        i += 1;
    }
    (items, tail)
}

impl fmt::Display for OptionDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "option {} code {} = ", self.name, self.code)?;
        let (items, tail) = format_types(&self.format);
        let one = |f: &mut fmt::Formatter<'_>, (t, arr): &(String, bool)| {
            if *arr {
                write!(f, "array of {t}")
            } else {
                f.write_str(t)
            }
        };
        let record = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            f.write_str("{ ")?;
            for (k, it) in items.iter().enumerate() {
                if k > 0 {
                    f.write_str(", ")?;
                }
                one(f, it)?;
            }
            f.write_str(" }")
        };
        match (tail, items.len()) {
            (Some(b'A'), _) => {
                f.write_str("array of ")?;
                record(f)?;
            }
            (Some(_), 1) => {
                f.write_str("array of ")?;
                one(f, &items[0])?;
            }
            (Some(_), _) => {
                // `{ a, b }` followed by an array of the last item inside the record.
                f.write_str("{ ")?;
                for (k, it) in items.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    if k + 1 == items.len() {
                        write!(f, "array of {}", it.0)?;
                    } else {
                        one(f, it)?;
                    }
                }
                f.write_str(" }")?;
            }
            (None, 1) => one(f, &items[0])?,
            (None, _) => record(f)?,
        }
        f.write_str(";")
    }
}

/// An integer format letter's width and signedness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntKind {
    /// `b`
    I8,
    /// `B`
    U8,
    /// `s`
    I16,
    /// `S`
    U16,
    /// `l`
    I32,
    /// `L`
    U32,
}

/// One value of an option, parsed through one format letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// `I`: an IPv4 address or a host name.
    Addr(AddrOrName),
    /// `6`: an IPv6 address.
    Addr6(Ipv6Addr),
    /// `b B s S l L`: a number (the bits of its value, as ISC stores it).
    Int(IntKind, u32),
    /// `T`: seconds, `u32::MAX` for `infinite`.
    LeaseTime(u32),
    /// `f`: 0 (`false`/`off`), 1 (`true`/`on`) or 2 (`ignore`).
    Flag(u8),
    /// `t`: text (a string, or an identifier standing for itself).
    Text(Vec<u8>),
    /// `X` or `E`: a string (`hex` false) or colon-separated hexadecimal bytes.
    Data {
        /// The bytes.
        bytes: Vec<u8>,
        /// Written as hexadecimal.
        hex: bool,
    },
    /// `d`: an unquoted domain name.
    DomainName(String),
    /// `D`: quoted domain names separated by commas.
    DomainList(Vec<Vec<u8>>),
    /// `N`: a keyword of the named enumeration, and its value.
    Enum(String, u32),
    /// `U`: an option space name.
    SpaceName(String),
    /// `k`: a key name.
    KeyName(String),
    /// `Z`: nothing.
    Empty,
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_str(":")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Addr(a) => write!(f, "{a}"),
            Atom::Addr6(a) => write!(f, "{a}"),
            Atom::Int(k, v) => match k {
                IntKind::I8 => write!(f, "{}", *v as u8 as i8),
                IntKind::I16 => write!(f, "{}", *v as u16 as i16),
                IntKind::I32 => write!(f, "{}", *v as i32),
                _ => write!(f, "{v}"),
            },
            Atom::LeaseTime(u32::MAX) => f.write_str("infinite"),
            Atom::LeaseTime(v) => write!(f, "{v}"),
            Atom::Flag(0) => f.write_str("false"),
            Atom::Flag(1) => f.write_str("true"),
            Atom::Flag(_) => f.write_str("ignore"),
            Atom::Text(t) => write_quoted(f, t),
            Atom::Data { bytes, hex: true } if !bytes.is_empty() => write_hex(f, bytes),
            Atom::Data { bytes, .. } => write_quoted(f, bytes),
            Atom::DomainName(n) => f.write_str(n),
            Atom::DomainList(names) => {
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_quoted(f, n)?;
                }
                Ok(())
            }
            Atom::Enum(k, _) => f.write_str(k),
            Atom::SpaceName(n) => f.write_str(n),
            Atom::KeyName(n) => write_quoted(f, n.as_bytes()),
            Atom::Empty => Ok(()),
        }
    }
}

/// The value of an option statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// No value (`option NAME;;` — ISC consumes the first `;` and requires a second).
    None,
    /// `= DATA-EXPR`, evaluated per packet.
    Expr(Expr),
    /// Values through the option's format: groups separated by commas, each a record of atoms
    /// separated by blanks.
    Values(Vec<Vec<Atom>>),
}

impl fmt::Display for OptionValue {
    /// The text after the option name (with its leading blank), without the `;`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::None => f.write_str(";"),
            OptionValue::Expr(e) => write!(f, " = {e}"),
            OptionValue::Values(groups) => {
                for (g, group) in groups.iter().enumerate() {
                    f.write_str(if g > 0 { ", " } else { " " })?;
                    let mut first = true;
                    for a in group {
                        if matches!(a, Atom::Empty) {
                            continue;
                        }
                        if !first {
                            f.write_str(" ")?;
                        }
                        first = false;
                        write!(f, "{a}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// ISC's `MRns_name_pton` checks: `Some(wire length)` when `name` is a valid domain name.
pub fn domain_name_ok(name: &[u8]) -> bool {
    let mut total = 1usize; // the root label
    let mut label = 0usize;
    let mut i = 0;
    while i < name.len() {
        let c = name[i];
        i += 1;
        if c == b'\\' {
            let Some(&e) = name.get(i) else { break };
            i += 1;
            if e.is_ascii_digit() {
                let d2 = name.get(i).copied();
                let d3 = name.get(i + 1).copied();
                match (d2, d3) {
                    (Some(a), Some(b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
                        let n = u32::from(e - b'0') * 100
                            + u32::from(a - b'0') * 10
                            + u32::from(b - b'0');
                        if n > 255 {
                            return false;
                        }
                        i += 2;
                    }
                    _ => return false,
                }
            }
            label += 1;
            total += 1;
        } else if c == b'.' {
            if label > 63 {
                return false;
            }
            if i == name.len() {
                return total + usize::from(label > 0) <= 255;
            }
            if label == 0 || name.get(i) == Some(&b'.') {
                return false;
            }
            total += 1;
            label = 0;
        } else {
            label += 1;
            total += 1;
        }
    }
    if label > 63 {
        return false;
    }
    total + usize::from(label > 0) <= 255
}

/// ISC's `atoi` on a token's text, as C's `int`.
pub(crate) fn c_atoi(text: &[u8]) -> i32 {
    atoi(text) as i32
}

impl Parser<'_> {
    /// ISC's `parse_option_name`: `[SPACE.]NAME`. With `allocate` (an `option` statement at
    /// the top of a scope, which may turn out to be a definition) an unknown name is returned
    /// with `known == false` (the caller reports `unknown option SPACE.NAME` unless `code`
    /// follows); otherwise it is an error (`no option named …`). Errors are reported and
    /// `None` returned.
    pub(crate) fn parse_option_name(
        &mut self,
        c: &mut Cursor<'_>,
        allocate: bool,
    ) -> Option<OptionName> {
        let t = c.next();
        if !t.is_identifier() {
            c.error_help(
                "expecting identifier after option keyword.",
                "write an option name, like `option routers 192.0.2.1;`",
            );
            if !t.is_punct(b';') {
                c.skip_to_semi();
            }
            return None;
        }
        let first = c.string(&t);
        let (written_space, name) = if c.peek_is(b'.') {
            c.skip();
            let t2 = c.next();
            if !t2.is_identifier() {
                c.error_help(
                    "expecting identifier after '.'",
                    "write SPACE.NAME, like `option agent.circuit-id …`",
                );
                if !t2.is_punct(b';') {
                    c.skip_to_semi();
                }
                return None;
            }
            let name = c.string(&t2);
            if self.opts.registry.space(&first).is_none() {
                c.error_help(
                    format!("no option space named {first}."),
                    "declare it first with `option space NAME;`",
                );
                c.skip_to_semi();
                return None;
            }
            (Some(first), name)
        } else {
            (None, first)
        };
        let space_name = match &written_space {
            Some(s) => self
                .opts
                .registry
                .space(s)
                .map_or_else(|| s.clone(), |sp| sp.name().to_string()),
            None => self.opts.registry.dhcp().name().to_string(),
        };
        let resolved = self.opts.registry.resolve(written_space.as_deref(), &name);
        let code = match resolved {
            Ok(r) => r.def().code(),
            Err(dhcpd_wire::options::RegistryError::IllegalCode { space, end_code }) => {
                c.error_help(
                    format!("Option codes 0 and {end_code} are illegal in the {space} space."),
                    "unknown-N names an option by code; N must be a real option code",
                );
                c.skip_to_semi();
                return None;
            }
            Err(_) if allocate => {
                return Some(OptionName {
                    written_space,
                    space: space_name,
                    name,
                    code: 0,
                    known: false,
                });
            }
            Err(_) => {
                c.error_help(
                    format!("no option named {name} in space {space_name}"),
                    "check the spelling, or define the option with `option NAME code N = TYPE;` at the top level",
                );
                c.skip_to_semi();
                return None;
            }
        };
        Some(OptionName {
            written_space,
            space: space_name,
            name,
            code,
            known: true,
        })
    }

    /// The ISC format string of a named option (`X` for an undefined `unknown-N`).
    pub(crate) fn option_format(&self, name: &OptionName) -> String {
        let reg = &self.opts.registry;
        if name.written_space.is_none() && name.space == "server" {
            if let Some(d) = reg.lookup_name("server", &name.name) {
                return d.format_str().to_string();
            }
        }
        match reg.resolve(name.written_space.as_deref(), &name.name) {
            Ok(r) => r.def().format_str().to_string(),
            Err(_) => "X".to_string(),
        }
    }

    /// The `dhcp-server-identifier` option, for `server-identifier ADDR;` (ISC's shorthand
    /// for `option dhcp-server-identifier ADDR;`).
    pub(crate) fn server_identifier_option(&self) -> OptionName {
        let name = self.opts.registry.lookup_code("dhcp", 54).map_or_else(
            || "dhcp-server-identifier".to_string(),
            |d| d.name().to_string(),
        );
        OptionName {
            written_space: None,
            space: "dhcp".to_string(),
            name,
            code: 54,
            known: true,
        }
    }

    /// ISC's `parse_option_space_decl`; the next token is `space` (checked by the caller).
    /// The space is declared in the registry when the statement is valid.
    pub(crate) fn parse_option_space_decl(
        &mut self,
        c: &mut Cursor<'_>,
    ) -> Option<OptionSpaceDecl> {
        c.skip(); // `space`
        let t = c.next();
        if !t.is_identifier() {
            c.error_help("expecting identifier.", "write `option space NAME;`");
            c.skip_to_semi();
            return None;
        }
        let name = c.string(&t);
        let mut decl = SpaceDecl::new(name.clone());
        let mut clauses = Vec::new();
        loop {
            let t = c.next();
            match t.kind {
                TokKind::Punct(b';') => break,
                TokKind::Kw(Kw::Code) => {
                    if !c.next().is_kw(Kw::Width) {
                        c.error_help("expecting width token.", "write `code width 1`, 2 or 4");
                        return None;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number 1, 2, 4.", "write `code width 1`, 2 or 4");
                        return None;
                    }
                    let w = c_atoi(c.text(&n));
                    if !matches!(w, 1 | 2 | 4) {
                        c.error_help(
                            format!("invalid code width ({w}), expecting a 1, 2 or 4."),
                            "option codes are 1, 2 or 4 bytes wide",
                        );
                        return None;
                    }
                    decl.code_width = w as u8;
                    clauses.push(SpaceClause::CodeWidth(w as u8));
                }
                TokKind::Kw(Kw::Length) => {
                    if !c.next().is_kw(Kw::Width) {
                        c.error_help("expecting width token.", "write `length width 1` or 2");
                        return None;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number 1 or 2.", "write `length width 1` or 2");
                        return None;
                    }
                    let w = c_atoi(c.text(&n));
                    if !matches!(w, 1 | 2) {
                        c.error_help(
                            format!("invalid length width ({w}) expecting 1 or 2."),
                            "option lengths are 1 or 2 bytes wide",
                        );
                        return None;
                    }
                    decl.length_width = w as u8;
                    clauses.push(SpaceClause::LengthWidth(w as u8));
                }
                TokKind::Kw(Kw::Hash) => {
                    if !c.next().is_kw(Kw::Size) {
                        c.error_help("expecting size token.", "write `hash size N`");
                        return None;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting a 10base number", "write `hash size N`");
                        return None;
                    }
                    let h = c_atoi(c.text(&n));
                    if h < 0 {
                        c.error_help(
                            format!("invalid hash length: {h}"),
                            "the hash size must be positive",
                        );
                        return None;
                    }
                    decl.hash_size = Some(h as u32);
                    clauses.push(SpaceClause::HashSize(h as u32));
                }
                TokKind::Eof => {
                    // ISC loops on the end of file forever printing this; report it once.
                    c.error_help("Unexpected token.", "end the declaration with `;`");
                    return None;
                }
                _ => {
                    c.error_help(
                        "Unexpected token.",
                        "expected `code width N`, `length width N`, `hash size N` or `;`",
                    );
                }
            }
        }
        // The registry accepts what the checks above accepted.
        let _ = self.opts.registry.declare_space(decl);
        Some(OptionSpaceDecl { name, clauses })
    }

    /// ISC's `parse_option_code_definition`, after `option NAME code` (the caller consumed
    /// `code` and checked the scope). Defines the option in the registry when valid.
    pub(crate) fn parse_option_code_definition(
        &mut self,
        c: &mut Cursor<'_>,
        option: OptionName,
    ) -> Option<OptionDef> {
        let t = c.next();
        if t.kind != TokKind::Number {
            c.error_help(
                "expecting option code number.",
                "write `option NAME code N = TYPE;`",
            );
            c.skip_to_semi();
            return None;
        }
        let code = c_atoi(c.text(&t)) as u32;
        if !c.next().is_punct(b'=') {
            c.error_help("expecting \"=\"", "write `option NAME code N = TYPE;`");
            c.skip_to_semi();
            return None;
        }
        let mut arrayp: u32 = 0;
        let mut recordp: u32 = 0;
        let mut no_more_in_record = false;
        let mut has_encapsulation = false;
        let mut buf = String::new();
        let mut tok = c.next();
        if tok.is_kw(Kw::Array) {
            if !c.next().is_kw(Kw::Of) {
                c.error_help("expecting \"of\".", "write `array of TYPE`");
                c.skip_to_semi();
                return None;
            }
            arrayp = 1;
            tok = c.next();
        }
        if tok.is_punct(b'{') {
            recordp = 1;
            tok = c.next();
        }
        // Bails out the way ISC does after a bad type inside or outside a record.
        let bail = |c: &mut Cursor<'_>, recordp: u32| {
            c.skip_to_rbrace(recordp);
            if recordp > 0 {
                c.skip_to_semi();
            }
        };
        loop {
            if has_encapsulation {
                c.error_help(
                    "encapsulate must always be the last item.",
                    "put `encapsulate SPACE` last in the record",
                );
                c.skip_to_semi();
                return None;
            }
            let ty: String = match tok.kind {
                TokKind::Kw(Kw::Array) => {
                    if arrayp > 0 {
                        c.error_help("no nested arrays.", "an array cannot contain arrays");
                        bail(c, recordp);
                        return None;
                    }
                    if !c.next().is_kw(Kw::Of) {
                        c.error_help("expecting \"of\".", "write `array of TYPE`");
                        c.skip_to_semi();
                        return None;
                    }
                    arrayp = recordp + 1;
                    tok = c.next();
                    if recordp > 0 && tok.is_punct(b'{') {
                        c.error_help(
                            "only uniform array inside record.",
                            "an array inside a record must be of one simple type",
                        );
                        c.skip_to_rbrace(recordp + 1);
                        c.skip_to_semi();
                        return None;
                    }
                    continue;
                }
                TokKind::Kw(Kw::Boolean) => "f".into(),
                TokKind::Kw(kw @ (Kw::Integer | Kw::Signed | Kw::Unsigned)) => {
                    let signed = kw != Kw::Unsigned;
                    if kw != Kw::Integer && !c.next().is_kw(Kw::Integer) {
                        c.error_help(
                            "expecting \"integer\" keyword.",
                            "write `signed integer N` or `unsigned integer N`",
                        );
                        bail(c, recordp);
                        return None;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number.", "write the width: 8, 16 or 32");
                        bail(c, recordp);
                        return None;
                    }
                    let l = match (c_atoi(c.text(&n)), signed) {
                        (8, true) => "b",
                        (8, false) => "B",
                        (16, true) => "s",
                        (16, false) => "S",
                        (32, true) => "l",
                        (32, false) => "L",
                        _ => {
                            let shown = c.string(&n);
                            c.error_help(
                                format!("{shown} bit precision is not supported."),
                                "integers are 8, 16 or 32 bits wide",
                            );
                            bail(c, recordp);
                            return None;
                        }
                    };
                    l.into()
                }
                TokKind::Kw(Kw::IpAddress) => "I".into(),
                TokKind::Kw(Kw::Ip6Address) => "6".into(),
                TokKind::Kw(kw @ (Kw::DomainName | Kw::DomainList | Kw::Text | Kw::String)) => {
                    let l = match kw {
                        Kw::DomainName => "d",
                        Kw::Text => "t",
                        Kw::String => "X",
                        _ => {
                            if c.peek_is_kw(Kw::Compressed) {
                                c.skip();
                                "Dc"
                            } else {
                                "D"
                            }
                        }
                    };
                    if arrayp > 0 {
                        c.error_help(
                            "arrays of text strings not yet supported.",
                            "text, string and domain types take the rest of the option; they cannot be arrays",
                        );
                        bail(c, recordp);
                        return None;
                    }
                    no_more_in_record = true;
                    l.into()
                }
                TokKind::Kw(Kw::Encapsulate) => {
                    let sp = c.next();
                    if !sp.is_identifier() {
                        c.error_help(
                            "expecting option space identifier",
                            "write `encapsulate SPACE`",
                        );
                        c.skip_to_semi();
                        return None;
                    }
                    let space = c.string(&sp);
                    if self.opts.registry.space(&space).is_none() {
                        c.error_help(
                            format!("unknown option space {space}"),
                            "declare the space first with `option space NAME;`",
                        );
                        c.skip_to_semi();
                        return None;
                    }
                    has_encapsulation = true;
                    format!("E{space}.")
                }
                TokKind::Kw(Kw::Zerolen) => {
                    if arrayp > 0 {
                        c.error_help(
                            "array incompatible with zerolen.",
                            "a zero-length option has no values to repeat",
                        );
                        bail(c, recordp);
                        return None;
                    }
                    no_more_in_record = true;
                    "Z".into()
                }
                _ => {
                    let shown = c.string(&tok);
                    c.error_help(
                        format!("unknown data type {shown}"),
                        "types are boolean, [un]signed integer 8/16/32, ip-address, ip6-address, text, string, domain-name, domain-list, encapsulate SPACE, zerolen, array of TYPE, { TYPE, … }",
                    );
                    bail(c, recordp);
                    return None;
                }
            };
            if buf.len() + ty.len() > 127 {
                c.error_help("too many types in record.", "use fewer types");
                bail(c, recordp);
                return None;
            }
            buf.push_str(&ty);
            if recordp > 0 {
                tok = c.next();
                if arrayp > recordp {
                    arrayp = 0;
                    buf.push('a');
                }
                if tok.is_punct(b',') {
                    if no_more_in_record {
                        let what = if ty == "t" { "text" } else { "string" };
                        c.error_help(
                            format!("{what} must be at end of record."),
                            "a type that takes the rest of the option must be last",
                        );
                        c.skip_to_rbrace(1);
                        c.skip_to_semi();
                        return None;
                    }
                    tok = c.next();
                    continue;
                }
                if !tok.is_punct(b'}') {
                    c.error_help("expecting right brace.", "end the record with `}`");
                    c.skip_to_rbrace(1);
                    c.skip_to_semi();
                    return None;
                }
            }
            break;
        }
        if !c.parse_semi() {
            c.error_help("semicolon expected.", "end the definition with `;`");
            c.skip_to_semi();
            if recordp > 0 {
                c.skip_to_semi();
            }
            return None;
        }
        if has_encapsulation && arrayp > 0 {
            c.error_help(
                "Arrays of encapsulations don't make sense.",
                "remove `array of`",
            );
            return None;
        }
        if arrayp > 0 {
            buf.push(if arrayp > recordp { 'a' } else { 'A' });
        }
        if let Ok(fmt) = Format::parse(&buf) {
            let _ =
                self.opts
                    .registry
                    .define(option.written_space.as_deref(), &option.name, code, fmt);
        }
        Some(OptionDef {
            name: option,
            code,
            format: buf,
        })
    }

    /// ISC's `parse_option_statement` for `option NAME …` (and `server-identifier`): the value
    /// and its `;`, after the name. `None` when an error was reported.
    pub(crate) fn parse_option_statement(
        &mut self,
        c: &mut Cursor<'_>,
        name: OptionName,
    ) -> Option<Executable> {
        self.option_statement(c, name, crate::exec::OptionOp::Option)
    }

    /// ISC's `parse_option_statement` with the statement's keyword.
    pub(crate) fn option_statement(
        &mut self,
        c: &mut Cursor<'_>,
        name: OptionName,
        op: crate::exec::OptionOp,
    ) -> Option<Executable> {
        let format = self.option_format(&name);
        let value = if c.peek_is(b';') && !format.starts_with('Z') {
            // ISC eats this `;` and then still wants one: `option NAME;;` is the way to give
            // an option no value.
            c.skip();
            OptionValue::None
        } else if c.peek_is(b'=') {
            c.skip();
            // ISC's `lose` is uninitialised here; in the 4.4.3 binary it reads as set for a
            // statement of a declaration's body and as clear inside an executable block, which
            // decides whether "expecting a data expression." is printed.
            let mut lose = self.opts.block_depth == 0;
            match self.data_expression(c, &mut lose) {
                Some(e) => OptionValue::Expr(e),
                None => {
                    if !lose {
                        c.error_help(
                            "expecting a data expression.",
                            "after `=` write a data expression, like concat(\"a\", \"b\")",
                        );
                        c.skip_to_semi();
                    }
                    return None;
                }
            }
        } else {
            self.parse_option_data(c, &name)?
        };
        if !c.parse_semi() {
            return None;
        }
        Some(Executable::Option { op, name, value })
    }

    /// ISC's `parse_option_data`: values through the option's format (without the `;`).
    pub(crate) fn parse_option_data(
        &mut self,
        c: &mut Cursor<'_>,
        option: &OptionName,
    ) -> Option<OptionValue> {
        let fmt_s = self.option_format(option);
        let fmt = fmt_s.as_bytes();
        let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
        let mut groups: Vec<Vec<Atom>> = Vec::new();
        let mut group: Vec<Atom> = Vec::new();
        let mut pos: Option<usize> = None;
        'outer: loop {
            // ISC's `and_again:`: where the next element starts.
            pos = match pos {
                Some(p) if p != 0 && at(p) == b'a' => Some(p - 1),
                None => Some(0),
                Some(p) if at(p) == b'A' => Some(0),
                keep => keep,
            };
            let mut p = pos.unwrap_or(0);
            let uniform = at(p) != b'Z' && at(p + 1).eq_ignore_ascii_case(&b'a');
            loop {
                if at(p) == b'A' || at(p) == b'a' {
                    break;
                }
                if at(p) == b'o' || (at(p + 1) == b'o' && c.peek_is(b';')) {
                    p += 1;
                } else {
                    match self.parse_option_token(c, fmt, &mut p, uniform) {
                        Some(a) => group.push(a),
                        None if at(p + 1) == b'o' => {}
                        None => return None,
                    }
                    p += 1;
                }
                if at(p) == 0 {
                    break;
                }
            }
            pos = Some(p);
            if at(p) == b'A' || at(p) == b'a' {
                if c.peek_is(b',') {
                    c.skip();
                    groups.push(std::mem::take(&mut group));
                    continue 'outer;
                }
                if at(p) == b'A' || at(p + 1) == 0 {
                    break 'outer;
                }
                // An `a` in the middle of a format: go on with the next letter.
                pos = Some(p + 1);
                continue 'outer;
            }
            break 'outer;
        }
        groups.push(group);
        Some(OptionValue::Values(groups))
    }

    /// ISC's `parse_option_token`: one value for the format letter at `fmt[*p]` (which may
    /// move `*p` past a multi-letter item such as `Dc`, `E…​.`, `N….`).
    fn parse_option_token(
        &mut self,
        c: &mut Cursor<'_>,
        fmt: &[u8],
        p: &mut usize,
        uniform: bool,
    ) -> Option<Atom> {
        let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
        let optional = |q: usize| at(q + 1) == b'o';
        match at(*p) {
            b'U' => {
                let t = c.next();
                if !t.is_identifier() {
                    if !optional(*p) {
                        c.error_help("expecting identifier.", "write an option space name");
                        if !t.is_punct(b';') {
                            c.skip_to_semi();
                        }
                    }
                    return None;
                }
                Some(Atom::SpaceName(c.string(&t)))
            }
            l @ (b'E' | b'X') => {
                if l == b'E' {
                    match fmt[*p..].iter().position(|&b| b == b'.') {
                        Some(d) => *p += d,
                        None => {
                            c.error("malformed encapsulation format (bug!)");
                            c.skip_to_semi();
                            return None;
                        }
                    }
                }
                if matches!(c.peek_kind(), TokKind::Number | TokKind::NumberOrName) {
                    let bytes = c.parse_cshl()?;
                    return Some(Atom::Data { bytes, hex: true });
                }
                let t = c.next();
                if t.kind == TokKind::Str {
                    return Some(Atom::Data {
                        bytes: c.text(&t).to_vec(),
                        hex: false,
                    });
                }
                if !optional(*p) {
                    c.error_help(
                        "expecting string or hexadecimal data.",
                        "write a quoted string or hexadecimal bytes like 01:02:03",
                    );
                    c.skip_to_semi();
                }
                None
            }
            b'D' => {
                if at(*p + 1) == b'c' {
                    *p += 1;
                }
                match self.parse_domain_list(c, at(*p) == b'c') {
                    Some(names) => Some(Atom::DomainList(names)),
                    None => {
                        if !optional(*p) {
                            c.skip_to_semi();
                        }
                        None
                    }
                }
            }
            b'd' => {
                let name = c.parse_host_name();
                match name {
                    Some(n) if domain_name_ok(n.as_bytes()) => Some(Atom::DomainName(n)),
                    Some(_) => {
                        c.error("Error assembling domain name: Message too long");
                        c.error_help(
                            "not a valid domain name.",
                            "labels are at most 63 characters, names at most 255",
                        );
                        c.skip_to_semi();
                        None
                    }
                    None => {
                        c.error_help(
                            "not a valid domain name.",
                            "write an unquoted domain name like example.com",
                        );
                        c.skip_to_semi();
                        None
                    }
                }
            }
            b't' => {
                let t = c.next();
                if t.kind != TokKind::Str && !t.is_identifier() {
                    if !optional(*p) {
                        c.error_help("expecting string.", "put the text in double quotes");
                        if !t.is_punct(b';') {
                            c.skip_to_semi();
                        }
                    }
                    return None;
                }
                Some(Atom::Text(c.text(&t).to_vec()))
            }
            b'k' => {
                if c.peek_kind() == TokKind::Str {
                    let t = c.next();
                    return Some(Atom::KeyName(c.string(&t)));
                }
                match c.parse_host_name() {
                    Some(n) => Some(Atom::KeyName(n)),
                    None => {
                        c.error_help("not a valid key name.", "write the name of a `key`");
                        c.skip_to_semi();
                        None
                    }
                }
            }
            b'N' => {
                let start = *p + 1;
                let Some(d) = fmt[*p..].iter().position(|&b| b == b'.') else {
                    c.error("malformed enumeration format (bug!)");
                    c.skip_to_semi();
                    return None;
                };
                *p += d;
                let ename = String::from_utf8_lossy(&fmt[start..*p]).into_owned();
                let t = c.next();
                if !t.is_identifier() {
                    c.error_help("identifier expected", enum_help(&ename));
                    c.skip_to_semi();
                    return None;
                }
                let word = c.string(&t);
                match enumeration(&ename).and_then(|e| e.value(&word)) {
                    Some(v) => Some(Atom::Enum(word, v)),
                    None => {
                        c.error_help("unknown value", enum_help(&ename));
                        c.skip_to_semi();
                        None
                    }
                }
            }
            b'I' => {
                let _ = uniform;
                c.parse_ip_addr_or_hostname().map(Atom::Addr)
            }
            b'6' => c.parse_ip6_addr().map(Atom::Addr6),
            b'T' => {
                let t = c.next();
                if t.is_kw(Kw::Infinite) {
                    return Some(Atom::LeaseTime(u32::MAX));
                }
                self.option_number(c, &t, fmt, *p, 32).map(Atom::LeaseTime)
            }
            l @ (b'L' | b'l' | b's' | b'S' | b'b' | b'B') => {
                let t = c.next();
                let (bits, kind) = match l {
                    b'L' => (32, IntKind::U32),
                    b'l' => (32, IntKind::I32),
                    b's' => (16, IntKind::I16),
                    b'S' => (16, IntKind::U16),
                    b'b' => (8, IntKind::I8),
                    _ => (8, IntKind::U8),
                };
                self.option_number(c, &t, fmt, *p, bits)
                    .map(|v| Atom::Int(kind, v))
            }
            b'f' => {
                let t = c.next();
                let opt = optional(*p);
                if !t.is_identifier() {
                    if !opt {
                        c.error_help("expecting identifier.", "write true, false, on or off");
                        if !t.is_punct(b';') {
                            c.skip_to_semi();
                        }
                    }
                    return None;
                }
                let word = c.string(&t).to_ascii_lowercase();
                match word.as_str() {
                    "true" | "on" => Some(Atom::Flag(1)),
                    "false" | "off" => Some(Atom::Flag(0)),
                    "ignore" => Some(Atom::Flag(2)),
                    _ => {
                        if !opt {
                            c.error_help("expecting boolean.", "write true, false, on or off");
                            if !t.is_punct(b';') {
                                c.skip_to_semi();
                            }
                        }
                        None
                    }
                }
            }
            b'Z' => {
                if !c.peek_is(b';') {
                    c.error_help("semicolon expected.", "this option takes no value");
                    c.skip_to_semi();
                }
                Some(Atom::Empty)
            }
            other => {
                // ISC's message is a C string: a NUL format letter cuts it short.
                c.error(if other == 0 {
                    "Bad format '".to_string()
                } else {
                    format!("Bad format '{}' in parse_option_token.", other as char)
                });
                c.skip_to_semi();
                None
            }
        }
    }

    /// A number for an integer format letter (`check_number` in ISC).
    fn option_number(
        &mut self,
        c: &mut Cursor<'_>,
        t: &crate::lexer::Token,
        fmt: &[u8],
        p: usize,
        bits: u32,
    ) -> Option<u32> {
        if !matches!(t.kind, TokKind::Number | TokKind::NumberOrName) {
            if fmt.get(p + 1) != Some(&b'o') {
                c.error_help(
                    "expecting number.",
                    "write a decimal number (or 0x… for hexadecimal)",
                );
                if !t.is_punct(b';') {
                    c.skip_to_semi();
                }
            }
            return None;
        }
        Some(c.convert_token(t, 0, bits))
    }

    /// ISC's `parse_domain_list`: quoted names separated by commas.
    fn parse_domain_list(&mut self, c: &mut Cursor<'_>, compress: bool) -> Option<Vec<Vec<u8>>> {
        let mut names = Vec::new();
        loop {
            if !names.is_empty() {
                c.skip(); // the comma
            }
            let t = c.next();
            if t.kind != TokKind::Str {
                c.error_help(
                    "Expecting a domain string.",
                    "write domain names in double quotes, separated by commas",
                );
                return None;
            }
            let name = c.text(&t).to_vec();
            // ISC's strings end at a NUL byte.
            let cut = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            if !domain_name_ok(&name[..cut]) {
                c.error_help(
                    format!(
                        "Error {} domain list: Message too long",
                        if compress {
                            "compressing"
                        } else {
                            "assembling"
                        }
                    ),
                    "labels must be 1-63 characters and names at most 255",
                );
                return None;
            }
            names.push(name);
            if !c.peek_is(b',') {
                break;
            }
        }
        Some(names)
    }
}

fn enum_help(name: &str) -> String {
    match enumeration(name) {
        Some(e) => {
            let words: Vec<&str> = e.values.iter().map(|(k, _)| *k).collect();
            format!("one of: {}", words.join(", "))
        }
        None => "a keyword of the enumeration".to_string(),
    }
}

impl Parser<'_> {
    /// The checks ISC's server makes on the global parameters once the configuration is read
    /// (`postconf_initialization`): `ddns-update-style ad-hoc` is refused and `omapi-key`
    /// must name a declared key. Returns whether a fatal error was found (ISC stops there).
    pub(crate) fn check_global_parameters(
        &self,
        config: &crate::ast::Config,
        diags: &mut Vec<crate::diag::Diagnostic>,
    ) -> bool {
        use crate::ast::Stmt;
        use crate::diag::Diagnostic;
        // The last setting at the top level wins, as when ISC executes the statements.
        let mut style = None;
        let mut omapi_key = None;
        // The top level, with the top level of included files in place (ISC reads them into
        // the same group).
        fn flatten<'s>(stmts: &'s [Stmt], out: &mut Vec<&'s Stmt>) {
            for s in stmts {
                match s {
                    Stmt::Include(i) => flatten(&i.statements, out),
                    _ => out.push(s),
                }
            }
        }
        let mut top = Vec::new();
        flatten(&config.statements, &mut top);
        for s in top {
            let Stmt::Exec(_, e) = s else {
                continue;
            };
            if let Executable::Log {
                priority: Some(crate::exec::LogPriority::Fatal),
                expr,
            } = &**e
            {
                // ISC runs the top-level statements once the file is read: `log (fatal, …)`
                // there ends the run (nested scopes and `on` blocks are not run).
                let text = match expr {
                    Expr::ConstData { bytes, hex: false } => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                    _ => "log (fatal, …) at the top level".to_string(),
                };
                diags.push(Diagnostic::error(text).with_help(
                    "ISC dhcpd runs top-level statements at start-up, and a fatal log there stops it",
                ));
                return true;
            }
            if let Executable::Add(class) = &**e {
                // Run at start-up without a client, `add` dereferences the missing packet:
                // ISC 4.4.3 dies of SIGSEGV.
                diags.push(
                    Diagnostic::error(format!("add \"{class}\": no client to classify at start-up"))
                        .with_help(
                            "ISC dhcpd 4.4.3 crashes on `add` at the top level; put it in a class, pool or `on` block",
                        ),
                );
                return true;
            }
            let Executable::Option { name, value, .. } = &**e else {
                continue;
            };
            if *value == OptionValue::None {
                // ISC accepts `NAME;;` but crashes evaluating the empty value at startup.
                diags.push(
                    Diagnostic::error(format!("{name}: option has no value")).with_help(
                        "ISC dhcpd 4.4.3 crashes on a value-less option in the global scope; give it a value or remove it",
                    ),
                );
                return true;
            }
            if name.space != "server" {
                continue;
            }
            let first = match value {
                OptionValue::Values(g) => g.first().and_then(|g| g.first()),
                _ => None,
            };
            match (name.code, first) {
                (39, Some(Atom::Enum(_, v))) => style = Some(*v),
                (36, Some(Atom::KeyName(k))) => omapi_key = Some(k.clone()),
                _ => {}
            }
        }
        if let Some(k) = omapi_key {
            if !self.opts.keys.contains(&k) {
                diags.push(
                    Diagnostic::error(format!("OMAPI key {k}: not found")).with_help(
                        "declare the key with key NAME { algorithm …; secret …; } before using it as omapi-key",
                    ),
                );
                return true;
            }
        }
        if style == Some(1) {
            diags.push(
                Diagnostic::error("ddns-update-style ad_hoc no longer supported")
                    .with_help("use ddns-update-style interim, standard or none"),
            );
            return true;
        }
        false
    }
}
