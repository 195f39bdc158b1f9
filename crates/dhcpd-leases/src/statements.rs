//! Executable statements as ISC writes them into a lease file (`write_statements` and
//! `write_expression`): each statement on its own line at an indentation, expressions broken
//! before "fat" sub-expressions and wherever a line would pass column 79.
//!
//! The statements are parsed by `dhcpd-conf`; this module only prints them. Where ISC's own
//! printer writes something that does not read back (or reads back as something else), we
//! write what does, and say so at the spot:
//!
//! * `add "C";` and `return EXPR;` keep their `;` and expression (ISC drops them);
//! * a binary operand that would group differently without parentheses gets them (ISC
//!   writes none), and so does a binary operand of `not`;
//! * `on transmission` keeps its event word (ISC writes none);
//! * `define`, function definitions, `filename` and `server-name` (on which ISC's writer
//!   stops with a fatal error) are written in `dhcpd.conf` form;
//! * the DNS result keywords (`nxdomain` …) stay keywords (ISC writes its internal result
//!   codes); the client-state keywords are written as ISC's numbers.

use std::fmt::Write as _;

use dhcpd_conf::exec::{AllowVerb, OptionOp};
use dhcpd_conf::exec::{Else, Event, Executable, Expr, IfStmt, LogPriority, NamedConst};
use dhcpd_conf::options::{Atom, IntKind, OptionName, OptionValue};
use dhcpd_wire::options::{Format, FormatItem, Registry, value};

/// The text being written and what ISC's printer needs to know about the options.
struct W<'a> {
    out: &'a mut String,
    registry: Option<&'a Registry>,
}

/// Whether ISC starts a new line before this expression when it is not the first thing
/// printed (`is_compound_expression`).
fn compound(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Substring(..)
            | Expr::Suffix(..)
            | Expr::Option(_)
            | Expr::Concat(_)
            | Expr::EncodeInt(..)
            | Expr::BinaryToAscii(..)
            | Expr::Reverse(..)
            | Expr::PickFirstValue(_)
            | Expr::ConfigOption(_)
            | Expr::ExtractInt(..)
            | Expr::V6Relay(..)
    )
}

/// The number ISC stores for a client-state keyword (`None` for the DNS result keywords,
/// written as keywords).
fn client_state_number(k: NamedConst) -> Option<u8> {
    Some(match k {
        NamedConst::Reboot => 1,
        NamedConst::Booting => 2,
        NamedConst::Select => 3,
        NamedConst::Request => 4,
        NamedConst::Bound => 5,
        NamedConst::Renew => 6,
        NamedConst::Rebind => 7,
        _ => return None,
    })
}

fn is_print(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// A name in double quotes. ISC writes the bytes as they are; a `"`, `\` or unprintable byte
/// is escaped here so that the text reads back to the same name.
fn quoted(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            _ if is_print(b) => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

impl W<'_> {
    /// A new line indented by `indent` blanks (`indent_spaces`).
    fn newline(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// `token_print_indent`: a token with an optional prefix and suffix, wrapped at column
    /// 79. Returns the new column.
    fn tok(&mut self, col: usize, indent: usize, prefix: &str, suffix: &str, buf: &str) -> usize {
        let len = prefix.len() + buf.len();
        let mut col = col;
        if col + len > 79 {
            if indent + len < 79 {
                self.newline(indent);
                col = indent;
            } else {
                self.newline(col);
                col = if len > 79 { 0 } else { 79 - len - 1 };
            }
        } else if !prefix.is_empty() {
            self.out.push_str(prefix);
            col += prefix.len();
        }
        self.out.push_str(buf);
        col += buf.len();
        if !suffix.is_empty() {
            if col + suffix.len() > 79 {
                self.newline(indent);
                col = indent;
            } else {
                self.out.push_str(suffix);
                col += suffix.len();
            }
        }
        col
    }

    /// `token_indent_data_string`: printable ASCII as a quoted string, anything else as
    /// colon-separated hex.
    fn data(&mut self, col: usize, indent: usize, prefix: &str, suffix: &str, d: &[u8]) -> usize {
        // ISC writes the bytes between the quotes as they are, so a `"` or `\` would not read
        // back: such data is written in hex.
        if d.iter().all(|&b| is_print(b) && b != b'"' && b != b'\\') {
            let s = format!("\"{}\"", String::from_utf8_lossy(d));
            return self.tok(col, indent, prefix, suffix, &s);
        }
        let mut col = col;
        for (i, b) in d.iter().enumerate() {
            let last = i + 1 == d.len();
            col = self.tok(
                col,
                indent,
                if i == 0 { prefix } else { "" },
                if last { suffix } else { "" },
                &format!("{b:02x}"),
            );
            if !last {
                col = self.tok(col, indent, prefix, suffix, ":");
            }
        }
        col
    }

    /// An option name: `option NAME` or `option SPACE.NAME` (ISC names the space unless it is
    /// `dhcp`).
    fn option_name(&mut self, col: usize, indent: usize, kw: &str, o: &OptionName) -> usize {
        let col = self.tok(col, indent, "", "", kw);
        if o.space != "dhcp" {
            let col = self.tok(col, indent, " ", "", &o.space);
            let col = self.tok(col, indent, "", "", ".");
            self.tok(col, indent, "", "", &o.name)
        } else {
            self.tok(col, indent, " ", "", &o.name)
        }
    }

    /// `NAME (A, B …)` where ISC puts each argument after a `,` at `scol`; the first
    /// argument is written at `first_indent`.
    fn call(
        &mut self,
        col: usize,
        indent: usize,
        name: &str,
        args: &[&Expr],
        first_indent: Option<usize>,
    ) -> usize {
        let col = self.tok(col, indent, "", "", name);
        let mut col = self.tok(col, indent, " ", "", "(");
        let scol = col;
        for (i, a) in args.iter().enumerate() {
            if i == 0 {
                col = self.expr(a, col, first_indent.unwrap_or(scol), true);
            } else {
                col = self.tok(col, scol, "", " ", ",");
                col = self.expr(a, col, scol, false);
            }
        }
        self.tok(col, indent, "", "", ")")
    }

    /// `extract-int (E, N)` / `encode-int (E, N)`.
    fn int_call(&mut self, col: usize, indent: usize, name: &str, e: &Expr, bits: u8) -> usize {
        let col = self.tok(col, indent, "", "", name);
        let col = self.tok(col, indent, " ", "", "(");
        let scol = col;
        let col = self.expr(e, col, indent, true);
        let col = self.tok(col, scol, "", " ", ",");
        let col = self.tok(col, scol, " ", "", &bits.to_string());
        self.tok(col, indent, "", "", ")")
    }

    /// `concat (…)` of `items`, which ISC holds as a left-leaning chain: `concat (A, B, C)`
    /// is `concat (concat (A, B), C)`.
    fn concat(&mut self, items: &[Expr], col: usize, indent: usize, firstp: bool) -> usize {
        let mut col = col;
        if !firstp {
            self.newline(indent);
            col = indent;
        }
        col = self.tok(col, indent, "", "", "concat");
        col = self.tok(col, indent, " ", "", "(");
        let scol = col;
        let mut node = items;
        let mut first = true;
        loop {
            // This node: its first operand (the chain so far) and its last item.
            let (cdr, init) = match node {
                [] => break,
                [only] => {
                    col = self.expr(only, col, scol, first);
                    break;
                }
                [init @ .., last] => (last, init),
            };
            col = match init {
                [a] => self.expr(a, col, scol, first),
                _ => self.concat(init, col, scol, first),
            };
            first = false;
            col = self.tok(col, scol, "", " ", ",");
            if let Expr::Concat(inner) = cdr {
                node = inner;
                continue;
            }
            col = self.expr(cdr, col, scol, false);
            break;
        }
        self.tok(col, indent, "", "", ")")
    }

    /// A binary operand: parenthesised where ISC's flat form would read back differently.
    fn operand(
        &mut self,
        e: &Expr,
        col: usize,
        indent: usize,
        firstp: bool,
        parens: bool,
    ) -> usize {
        if parens && matches!(e, Expr::Binary(..)) {
            let col = self.tok(col, indent, "", "", "(");
            let col = self.expr(e, col, indent, true);
            self.tok(col, indent, "", "", ")")
        } else {
            self.expr(e, col, indent, firstp)
        }
    }

    /// `write_expression`. Returns the new column.
    fn expr(&mut self, e: &Expr, col: usize, indent: usize, firstp: bool) -> usize {
        let mut col = col;
        if !firstp && compound(e) && !matches!(e, Expr::Concat(_)) {
            self.newline(indent);
            col = indent;
        }
        match e {
            Expr::Null => self.tok(col, indent, "", "", "null"),
            Expr::Check(n) => {
                let col = self.tok(col, indent, "", "", "check");
                self.tok(col, indent, " ", "", &quoted(n.as_bytes()))
            }
            Expr::Binary(op, l, r) => {
                let parens = !dhcpd_conf::exec::flat_ok(e);
                let col = self.operand(l, col, indent, true, parens);
                let col = self.tok(col, indent, " ", " ", op.symbol());
                self.operand(r, col, indent + 2, false, parens)
            }
            Expr::Substring(d, o, l) => {
                let col = self.tok(col, indent, "", "", "substring");
                let col = self.tok(col, indent, " ", "", "(");
                let scol = col;
                let col = self.expr(d, col, scol, true);
                let col = self.tok(col, indent, "", " ", ",");
                let col = self.expr(o, col, indent, false);
                let col = self.tok(col, scol, "", " ", ",");
                let col = self.expr(l, col, scol, false);
                self.tok(col, indent, "", "", ")")
            }
            Expr::Suffix(d, l) => self.call(col, indent, "suffix", &[d, l], None),
            Expr::Lcase(d) => self.call(col, indent, "lcase", &[d], None),
            Expr::Ucase(d) => self.call(col, indent, "ucase", &[d], None),
            Expr::Concat(items) => self.concat(items, col, indent, firstp),
            Expr::HostLookup(n) => {
                let col = self.tok(col, indent, "", "", "gethostbyname");
                let col = self.tok(col, indent, " ", "", "(");
                let col = self.tok(col, indent, "", "", &quoted(n.as_bytes()));
                self.tok(col, indent, "", "", ")")
            }
            Expr::Not(x) => {
                let col = self.tok(col, indent, "", " ", "not");
                // ISC writes no parentheses; `not A and B` reads back as `(not A) and B`.
                self.operand(x, col, indent + 2, true, true)
            }
            Expr::Option(o) => self.option_name(col, indent, "option", o),
            Expr::ConfigOption(o) => self.option_name(col, indent, "config-option", o),
            Expr::Exists(o) => self.option_name(col, indent, "exists", o),
            Expr::Hardware => self.tok(col, indent, "", "", "hardware"),
            Expr::Packet(o, l) => self.call(col, indent, "packet", &[o, l], Some(indent)),
            Expr::ConstData { bytes, .. } => self.data(col, indent, "", "", bytes),
            Expr::ExtractInt(x, bits) => self.int_call(col, indent, "extract-int", x, *bits),
            Expr::EncodeInt(x, bits) => self.int_call(col, indent, "encode-int", x, *bits),
            Expr::ConstInt(n) => self.tok(col, indent, "", "", &(*n as u64).to_string()),
            Expr::Named(k) => match client_state_number(*k) {
                Some(n) => self.tok(col, indent, "", "", &n.to_string()),
                None => self.tok(col, indent, "", "", k.keyword()),
            },
            Expr::Known => self.tok(col, indent, "", "", "known"),
            Expr::Static => self.tok(col, indent, "", "", "static"),
            Expr::Reverse(w, d) => self.call(col, indent, "reverse", &[w, d], None),
            Expr::LeasedAddress => self.tok(col, indent, "", "", "leased-address"),
            Expr::ClientState => self.tok(col, indent, "", "", "client-state"),
            Expr::BinaryToAscii(b, w, s, d) => {
                self.call(col, indent, "binary-to-ascii", &[b, w, s, d], None)
            }
            Expr::HostDeclName => self.tok(col, indent, "", "", "host-decl-name"),
            Expr::PickFirstValue(items) => {
                let v: Vec<&Expr> = items.iter().collect();
                self.call(col, indent, "pick-first-value", &v, None)
            }
            Expr::LeaseTime => self.tok(col, indent, "", "", "lease-time"),
            // ISC restarts the column at the indentation for these two.
            Expr::Variable(v) => self.tok(indent, indent, "", "", v),
            Expr::VariableExists(v) => {
                let col = self.tok(indent, indent, "", "", "defined");
                let col = self.tok(col, indent, " ", "", "(");
                let col = self.tok(col, indent, "", "", v);
                self.tok(col, indent, "", "", ")")
            }
            Expr::GetHostName => self.tok(col, indent, "", "", "gethostname()"),
            Expr::FunCall(name, args) => {
                let mut col = self.tok(indent, indent, "", "", name);
                col = self.tok(col, indent, " ", "", "(");
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        col = self.tok(col, indent, "", " ", ",");
                    }
                    col = self.expr(a, col, indent, i == 0);
                }
                self.tok(col, indent, "", "", ")")
            }
            Expr::V6Relay(r, o) => self.call(col, indent, "v6relay", &[r, o], None),
            // Not in ISC's printer (it stops with a fatal error).
            Expr::Filename => self.tok(col, indent, "", "", "filename"),
            Expr::ServerName => self.tok(col, indent, "", "", "server-name"),
        }
    }

    /// The wire bytes of an option value written as constants, through the option's format.
    fn option_bytes(&self, name: &OptionName, groups: &[Vec<Atom>]) -> Option<Vec<u8>> {
        let reg = self.registry?;
        let def = reg
            .lookup_name(&name.space, &name.name)
            .or_else(|| reg.lookup_code(&name.space, name.code))?;
        encode_values(def.format(), groups)
    }

    /// `supersede|default|append|prepend SPACE.NAME = VALUE;`
    fn option(&mut self, indent: usize, op: OptionOp, name: &OptionName, value: &OptionValue) {
        let s = match op {
            OptionOp::Default => "default",
            OptionOp::Append => "append",
            OptionOp::Prepend => "prepend",
            _ => "supersede",
        };
        let (t, dot) = if name.space == "dhcp" {
            ("", "")
        } else {
            (name.space.as_str(), ".")
        };
        let bytes = match value {
            OptionValue::None => Some(Vec::new()),
            OptionValue::Expr(_) => None,
            OptionValue::Values(groups) => match self.option_bytes(name, groups) {
                Some(b) => Some(b),
                None => {
                    // A value we cannot turn into bytes here (a host name that ISC would
                    // look up): written as in dhcpd.conf, which reads back the same.
                    self.newline(indent);
                    let _ = write!(self.out, "{s} {t}{dot}{}{value};", name.name);
                    return;
                }
            },
        };
        self.newline(indent);
        let _ = write!(self.out, "{s} {t}{dot}{} = ", name.name);
        let col = indent + s.len() + t.len() + dot.len() + name.name.len() + 4;
        match (value, bytes) {
            (OptionValue::Expr(e), _) => {
                self.expr(e, col, indent + 8, true);
            }
            (_, Some(b)) => {
                self.data(col, indent + 8, "", "", &b);
            }
            _ => {}
        }
        self.out.push(';');
    }

    /// An `if` statement and its `elsif`/`else` chain.
    fn if_stmt(&mut self, s: &IfStmt, indent: usize) {
        self.newline(indent);
        self.out.push_str("if ");
        let mut x = s;
        let mut col = self.cond(&x.cond, indent + 3);
        loop {
            self.tok(col, indent, " ", "", "{");
            self.statements(&x.then, indent + 2);
            let next = match &x.otherwise {
                Some(Else::ElseIf(i) | Else::Elsif(i)) => Some(&**i),
                Some(Else::Block(b)) => match &b[..] {
                    [Executable::If(i)] => Some(i),
                    _ => {
                        if !b.is_empty() {
                            self.newline(indent);
                            self.out.push_str("} else {");
                            self.statements(b, indent + 2);
                        }
                        None
                    }
                },
                None => None,
            };
            let Some(n) = next else { break };
            self.newline(indent);
            self.out.push_str("} elsif ");
            x = n;
            col = self.cond(&x.cond, indent + 6);
        }
        self.newline(indent);
        self.out.push('}');
    }

    /// The condition of an `if`/`elsif`, at column `col`. A condition starting with `(`
    /// would make the reader take the parenthesised part for the whole condition, so such
    /// a condition is put in parentheses as a whole.
    fn cond(&mut self, e: &Expr, col: usize) -> usize {
        let mut probe = String::new();
        W {
            out: &mut probe,
            registry: self.registry,
        }
        .expr(e, col, col, true);
        if probe.starts_with('(') {
            let c = self.tok(col, col, "", "", "(");
            let c = self.expr(e, c, col, true);
            self.tok(c, col, "", "", ")")
        } else {
            self.expr(e, col, col, true)
        }
    }

    /// `write_statements`: each statement on a new line at `indent` blanks.
    fn statements(&mut self, stmts: &[Executable], indent: usize) {
        for s in stmts {
            self.statement(s, indent);
        }
    }

    fn statement(&mut self, s: &Executable, indent: usize) {
        match s {
            Executable::On { events, body } => {
                self.newline(indent);
                self.out.push_str("on ");
                let mut sep = "";
                for (ev, word) in [
                    (Event::Expiry, "expiry"),
                    (Event::Commit, "commit"),
                    (Event::Release, "release"),
                    (Event::Transmission, "transmission"),
                ] {
                    if events.contains(&ev) {
                        self.out.push_str(sep);
                        self.out.push_str(word);
                        sep = " or ";
                    }
                }
                match body {
                    Some(b) if !b.is_empty() => {
                        self.out.push_str(" {");
                        self.statements(b, indent + 2);
                        self.newline(indent);
                        self.out.push('}');
                    }
                    _ => self.out.push(';'),
                }
            }
            Executable::Switch { expr, body } => {
                self.newline(indent);
                self.out.push_str("switch (");
                let col = self.expr(expr, indent + 7, indent + 7, true);
                let col = self.tok(col, indent + 7, "", "", ")");
                self.tok(col, indent, " ", "", "{");
                self.statements(body, indent + 2);
                self.newline(indent);
                self.out.push('}');
            }
            Executable::Case(e) => {
                self.newline(indent.saturating_sub(1));
                self.out.push_str("case ");
                let col = self.expr(e, indent + 5, indent + 5, true);
                self.tok(col, indent + 5, "", "", ":");
            }
            Executable::SwitchDefault => {
                self.newline(indent.saturating_sub(1));
                self.out.push_str("default: ");
            }
            Executable::If(i) => self.if_stmt(i, indent),
            Executable::Eval(e) => {
                self.newline(indent);
                self.out.push_str("eval ");
                self.expr(e, indent + 5, indent + 5, true);
                self.out.push(';');
            }
            Executable::Return(e) => {
                // ISC writes `return;`, which does not read back.
                self.newline(indent);
                self.out.push_str("return ");
                self.expr(e, indent + 7, indent + 7, true);
                self.out.push(';');
            }
            Executable::Add(c) => {
                // ISC leaves out the `;`, and the statement does not read back.
                self.newline(indent);
                let _ = write!(self.out, "add {};", quoted(c.as_bytes()));
            }
            Executable::Break => {
                self.newline(indent);
                self.out.push_str("break;");
            }
            Executable::Option { op, name, value } => self.option(indent, *op, name, value),
            Executable::AllowDeny { verb, flag } => {
                // ISC keeps these as `supersede server.FLAG = BYTE;`.
                let name = self
                    .registry
                    .and_then(|r| r.lookup_code("server", flag.server_code()))
                    .map_or_else(|| flag.keyword().to_string(), |d| d.name().to_string());
                let b = match verb {
                    AllowVerb::Allow => 1u8,
                    AllowVerb::Deny => 0,
                    AllowVerb::Ignore => 2,
                };
                self.newline(indent);
                let _ = write!(self.out, "supersede server.{name} = {b:02x};");
            }
            Executable::Set { name, value } | Executable::Define { name, value } => {
                self.newline(indent);
                let define = matches!(s, Executable::Define { .. });
                self.out.push_str(if define { "define " } else { "set " });
                let kwlen = if define { 7 } else { 4 };
                let col = self.tok(indent + kwlen, indent + kwlen, "", "", name);
                self.tok(col, indent + kwlen, " ", " ", "=");
                let col = self.expr(value, indent + 3, indent + 3, false);
                self.tok(col, indent + 4, " ", "", ";");
            }
            Executable::Unset(n) => {
                self.newline(indent);
                self.out.push_str("unset ");
                let col = self.tok(indent + 6, indent + 6, "", "", n);
                self.tok(col, indent + 6, " ", "", ";");
            }
            Executable::Log { priority, expr } => {
                self.newline(indent);
                self.out.push_str("log ");
                let col = self.tok(indent + 4, indent + 4, "", "", "(");
                let p = match priority.unwrap_or(LogPriority::Debug) {
                    LogPriority::Fatal => "fatal,",
                    LogPriority::Error => "error,",
                    LogPriority::Debug => "debug,",
                    LogPriority::Info => "info,",
                };
                self.tok(col, indent + 4, "", " ", p);
                let col = self.expr(expr, indent + 4, indent + 4, false);
                self.tok(col, indent + 4, "", "", ");");
            }
            Executable::Execute { command, args } => {
                self.newline(indent);
                let col = self.tok(indent + 4, indent + 4, "", "", "execute");
                let col = self.tok(col, indent + 4, " ", "", "(");
                let cmd = quoted(command);
                let mut col = self.tok(col, indent + 4, "", "", &cmd);
                for a in args {
                    col = self.tok(col, indent + 4, "", " ", ",");
                    col = self.expr(a, col, indent + 4, false);
                }
                self.tok(col, indent + 4, "", "", ");");
            }
            Executable::ParseVendorOption => {
                self.newline(indent);
                self.out.push_str("parse-vendor-option;");
            }
            Executable::Function { .. } => {
                // ISC's writer stops with a fatal error on a function definition; written in
                // dhcpd.conf form, one line per statement.
                let mut text = String::new();
                s.write_indented(&mut text, 0);
                for line in text.lines() {
                    self.newline(indent);
                    self.out.push_str(line);
                }
            }
            // Not statements in ISC (they change the server's settings when read): nothing
            // is kept, nothing written.
            Executable::Zone(_) | Executable::Key(_) | Executable::DbTimeFormat(_) => {}
        }
    }
}

/// Appends `stmts` as ISC's `write_statements` does at `indent` blanks: each statement
/// starts on a new line. `registry` gives the formats of options whose values were written as
/// constants (without it they are written in `dhcpd.conf` form).
pub fn write_statements(
    out: &mut String,
    stmts: &[Executable],
    indent: usize,
    registry: Option<&Registry>,
) {
    W { out, registry }.statements(stmts, indent);
}

/// The wire bytes of constant option values (ISC's `parse_option_token` for each atom).
/// `None` when a value cannot be encoded here (a host name where an address goes).
pub fn encode_values(format: &Format, groups: &[Vec<Atom>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for g in groups {
        for a in g {
            encode_atom(format, a, &mut out)?;
        }
    }
    Some(out)
}

fn encode_atom(format: &Format, a: &Atom, out: &mut Vec<u8>) -> Option<()> {
    use dhcpd_conf::basic::AddrOrName;
    use dhcpd_wire::options::value::Value;
    match a {
        Atom::Addr(AddrOrName::Addr(ip)) => out.extend_from_slice(&ip.octets()),
        Atom::Addr(AddrOrName::Name(_)) => return None,
        Atom::Addr6(ip) => out.extend_from_slice(&ip.octets()),
        Atom::Int(kind, v) => match kind {
            IntKind::U8 | IntKind::I8 => out.push(*v as u8),
            IntKind::U16 | IntKind::I16 => out.extend_from_slice(&(*v as u16).to_be_bytes()),
            IntKind::U32 | IntKind::I32 => out.extend_from_slice(&v.to_be_bytes()),
        },
        Atom::LeaseTime(v) => out.extend_from_slice(&v.to_be_bytes()),
        Atom::Flag(b) => out.push(*b),
        Atom::Text(t) => out.extend_from_slice(t),
        Atom::Data { bytes, .. } => out.extend_from_slice(bytes),
        Atom::DomainName(n) => {
            let f = Format::parse("d").ok()?;
            out.extend(value::encode(&f, &[Value::DomainName(n.clone())]).ok()?);
        }
        Atom::DomainList(names) => {
            let compressed = format
                .items()
                .contains(&FormatItem::DomainList { compressed: true });
            let f = Format::parse(if compressed { "Dc" } else { "D" }).ok()?;
            let names = names.iter().map(|n| presentation(n)).collect();
            out.extend(value::encode(&f, &[Value::DomainList(names)]).ok()?);
        }
        Atom::Enum(_, v) => {
            let width = format
                .items()
                .iter()
                .find(|i| matches!(i, FormatItem::Enumeration(_)))
                .and_then(FormatItem::fixed_width)
                .unwrap_or(1);
            let bytes = v.to_be_bytes();
            out.extend_from_slice(bytes.get(4usize.saturating_sub(width)..)?);
        }
        Atom::SpaceName(n) | Atom::KeyName(n) => out.extend_from_slice(n.as_bytes()),
        Atom::Empty => {}
    }
    Some(())
}

/// A name as read (bytes, possibly with `\` escapes) in the presentation form the wire
/// encoder takes: bytes outside printable ASCII as `\DDD`.
fn presentation(name: &[u8]) -> String {
    let cut = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    let mut s = String::with_capacity(cut);
    for &b in &name[..cut] {
        if (0x21..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\{b:03}");
        }
    }
    s
}
