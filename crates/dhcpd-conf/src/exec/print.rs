//! The canonical printer: dhcpd.conf text that parses back to the same AST.

use std::fmt::{self, Write};

use super::{
    BinOp, DbTimeFormat, Else, Event, Executable, Expr, IfStmt, Key, LogPriority, OptionOp, Zone,
    write_quoted,
};

/// The operands and operators of a binary expression, left to right, as they would be
/// written without parentheses.
fn flatten<'a>(e: &'a Expr, out: &mut Vec<Result<&'a Expr, BinOp>>) {
    if let Expr::Binary(op, l, r) = e {
        flatten(l, out);
        out.push(Err(*op));
        flatten(r, out);
    } else {
        out.push(Ok(e));
    }
}

/// ISC's `parse_expression` on an already tokenised operand/operator sequence: the tree the
/// text without parentheses would give.
fn reparse(
    seq: &[Result<&Expr, BinOp>],
    pos: &mut usize,
    plhs: Option<Expr>,
    mut binop: Option<BinOp>,
) -> Option<Expr> {
    let mut lhs = plhs;
    loop {
        let mut rhs = seq.get(*pos)?.ok()?.clone();
        *pos += 1;
        let mut next = seq.get(*pos).and_then(|x| x.err());
        let Some(l) = lhs.take() else {
            match next {
                None => return Some(rhs),
                Some(n) => {
                    *pos += 1;
                    lhs = Some(rhs);
                    binop = Some(n);
                    continue;
                }
            }
        };
        let b = binop?;
        if let Some(n) = next {
            if b.precedence() < n.precedence() {
                *pos += 1;
                rhs = reparse(seq, pos, Some(rhs), Some(n))?;
                next = None;
            }
        }
        let combined = Expr::Binary(b, Box::new(l), Box::new(rhs));
        match next {
            None => return Some(combined),
            Some(n) => {
                *pos += 1;
                lhs = Some(combined);
                binop = Some(n);
            }
        }
    }
}

/// Whether the binary expression reads back the same when written without parentheses
/// (ISC's own printer never writes any).
pub fn flat_ok(e: &Expr) -> bool {
    let mut seq = Vec::new();
    flatten(e, &mut seq);
    let mut pos = 0;
    reparse(&seq, &mut pos, None, None).as_ref() == Some(e) && pos == seq.len()
}

/// A binary expression written without parentheses.
struct Flat<'a>(&'a Expr);

impl fmt::Display for Flat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Expr::Binary(op, l, r) => write!(f, "{} {} {}", Flat(l), op.symbol(), Flat(r)),
            other => write!(f, "{other}"),
        }
    }
}

/// An operand of a binary operator or of `not`: parenthesised when it is itself a binary
/// expression.
struct Operand<'a>(&'a Expr);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.0, Expr::Binary(..)) {
            write!(f, "({})", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[&Expr]) -> fmt::Result {
    f.write_char('(')?;
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    f.write_char(')')
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Check(n) => {
                f.write_str("check ")?;
                write_quoted(f, n.as_bytes())
            }
            Expr::Exists(o) => write!(f, "exists {o}"),
            Expr::Known => f.write_str("known"),
            Expr::Static => f.write_str("static"),
            Expr::VariableExists(v) => write!(f, "defined ({v})"),
            Expr::Not(e) => write!(f, "not {}", Operand(e)),
            Expr::Binary(op, l, r) => {
                // ISC's precedence is unusual: write the expression as ISC would read it,
                // with parentheses only where the plain form would group differently.
                if flat_ok(self) {
                    write!(f, "{}", Flat(self))
                } else {
                    write!(f, "{} {} {}", Operand(l), op.symbol(), Operand(r))
                }
            }
            Expr::Substring(d, o, l) => {
                f.write_str("substring ")?;
                list(f, &[d, o, l])
            }
            Expr::Suffix(d, l) => {
                f.write_str("suffix ")?;
                list(f, &[d, l])
            }
            Expr::Lcase(d) => {
                f.write_str("lcase ")?;
                list(f, &[d])
            }
            Expr::Ucase(d) => {
                f.write_str("ucase ")?;
                list(f, &[d])
            }
            Expr::Option(o) => write!(f, "option {o}"),
            Expr::ConfigOption(o) => write!(f, "config-option {o}"),
            Expr::Hardware => f.write_str("hardware"),
            Expr::Packet(o, l) => {
                f.write_str("packet ")?;
                list(f, &[o, l])
            }
            Expr::ConstData { bytes, hex } => {
                if *hex && !bytes.is_empty() {
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            f.write_char(':')?;
                        }
                        write!(f, "{b:02x}")?;
                    }
                    Ok(())
                } else {
                    write_quoted(f, bytes)
                }
            }
            Expr::Concat(items) => {
                f.write_str("concat ")?;
                list(f, &items.iter().collect::<Vec<_>>())
            }
            Expr::BinaryToAscii(b, w, s, d) => {
                f.write_str("binary-to-ascii ")?;
                list(f, &[b, w, s, d])
            }
            Expr::Reverse(w, d) => {
                f.write_str("reverse ")?;
                list(f, &[w, d])
            }
            Expr::PickFirstValue(items) => {
                f.write_str("pick-first-value ")?;
                list(f, &items.iter().collect::<Vec<_>>())
            }
            Expr::EncodeInt(e, bits) => write!(f, "encode-int ({e}, {bits})"),
            Expr::ExtractInt(e, bits) => write!(f, "extract-int ({e}, {bits})"),
            Expr::HostLookup(n) => {
                f.write_str("gethostbyname (")?;
                write_quoted(f, n.as_bytes())?;
                f.write_char(')')
            }
            Expr::LeasedAddress => f.write_str("leased-address"),
            Expr::HostDeclName => f.write_str("host-decl-name"),
            Expr::Filename => f.write_str("filename"),
            Expr::ServerName => f.write_str("server-name"),
            Expr::Null => f.write_str("null"),
            Expr::GetHostName => f.write_str("gethostname ()"),
            Expr::V6Relay(n, d) => {
                f.write_str("v6relay ")?;
                list(f, &[n, d])
            }
            Expr::ConstInt(n) => write!(f, "{n}"),
            Expr::Named(k) => f.write_str(k.keyword()),
            Expr::LeaseTime => f.write_str("lease-time"),
            Expr::ClientState => f.write_str("client-state"),
            Expr::Variable(v) => f.write_str(v),
            Expr::FunCall(name, args) => {
                write!(f, "{name} ")?;
                list(f, &args.iter().collect::<Vec<_>>())
            }
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("    ");
    }
}

fn block(out: &mut String, body: &[Executable], indent: usize) {
    out.push_str("{\n");
    for s in body {
        s.write_indented(out, indent + 1);
        out.push('\n');
    }
    pad(out, indent);
    out.push('}');
}

fn if_text(out: &mut String, s: &IfStmt, indent: usize) {
    let cond = s.cond.to_string();
    if cond.starts_with('(') {
        // `if (` makes ISC expect the condition to end at the matching `)`.
        let _ = write!(out, "({cond}) ");
    } else {
        let _ = write!(out, "{cond} ");
    }
    block(out, &s.then, indent);
    match &s.otherwise {
        None => {}
        Some(Else::Block(b)) => {
            out.push_str(" else ");
            block(out, b, indent);
        }
        Some(Else::ElseIf(i)) => {
            out.push_str(" else if ");
            if_text(out, i, indent);
        }
        Some(Else::Elsif(i)) => {
            out.push_str(" elsif ");
            if_text(out, i, indent);
        }
    }
}

fn zone_text(out: &mut String, z: &Zone, indent: usize) {
    let _ = writeln!(out, "zone {} {{", z.name);
    let addrs = |v: &[String]| v.join(", ");
    for (kw, list) in [("primary", &z.primary), ("secondary", &z.secondary)] {
        if !list.is_empty() {
            pad(out, indent + 1);
            let v: Vec<String> = list.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "{kw} {};", addrs(&v));
        }
    }
    for (kw, list) in [("primary6", &z.primary6), ("secondary6", &z.secondary6)] {
        if !list.is_empty() {
            pad(out, indent + 1);
            let v: Vec<String> = list.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "{kw} {};", addrs(&v));
        }
    }
    if let Some(k) = &z.key {
        pad(out, indent + 1);
        out.push_str("key ");
        let _ = write_quoted(out, k.as_bytes());
        out.push_str(";\n");
    }
    pad(out, indent);
    out.push('}');
}

/// Standard base64 (with padding), as `parse_base64` reads it back.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                s.push(T[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn key_text(out: &mut String, k: &Key, indent: usize) {
    out.push_str("key ");
    let _ = write_quoted(out, k.name.as_bytes());
    out.push_str(" {\n");
    if let Some(a) = &k.algorithm {
        pad(out, indent + 1);
        let _ = writeln!(out, "algorithm {a};");
    }
    if let Some(s) = &k.secret {
        pad(out, indent + 1);
        let _ = writeln!(out, "secret \"{}\";", base64(s));
    }
    pad(out, indent);
    out.push('}');
}

impl Executable {
    /// Appends the statement at `indent` levels (four blanks each); nested statements go on
    /// their own lines. No newline after the last line.
    pub fn write_indented(&self, out: &mut String, indent: usize) {
        pad(out, indent);
        match self {
            Executable::Option { op, name, value } => {
                if *op != OptionOp::Parameter {
                    out.push_str(op.keyword());
                    out.push(' ');
                }
                let _ = write!(out, "{name}{value};");
            }
            Executable::If(s) => {
                out.push_str("if ");
                if_text(out, s, indent);
            }
            Executable::Switch { expr, body } => {
                let _ = write!(out, "switch ({expr}) ");
                block(out, body, indent);
            }
            Executable::Case(e) => {
                let _ = write!(out, "case {e}:");
            }
            Executable::SwitchDefault => out.push_str("default:"),
            Executable::On { events, body } => {
                out.push_str("on ");
                for (i, e) in events.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" or ");
                    }
                    out.push_str(match e {
                        Event::Expiry => "expiry",
                        Event::Commit => "commit",
                        Event::Release => "release",
                        Event::Transmission => "transmission",
                    });
                }
                match body {
                    None => out.push(';'),
                    Some(b) => {
                        out.push(' ');
                        block(out, b, indent);
                    }
                }
            }
            Executable::Set { name, value } => {
                let _ = write!(out, "set {name} = {value};");
            }
            Executable::Define { name, value } => {
                let _ = write!(out, "define {name} = {value};");
            }
            Executable::Function {
                define,
                name,
                args,
                body,
            } => {
                let _ = write!(
                    out,
                    "{} {name} ({}) ",
                    if *define { "define" } else { "set" },
                    args.join(", ")
                );
                block(out, body, indent);
            }
            Executable::Unset(n) => {
                let _ = write!(out, "unset {n};");
            }
            Executable::Eval(e) => {
                let _ = write!(out, "eval {e};");
            }
            Executable::Execute { command, args } => {
                out.push_str("execute (");
                let _ = write_quoted(out, command);
                for a in args {
                    let _ = write!(out, ", {a}");
                }
                out.push_str(");");
            }
            Executable::Log { priority, expr } => {
                out.push_str("log (");
                if let Some(p) = priority {
                    out.push_str(match p {
                        LogPriority::Fatal => "fatal, ",
                        LogPriority::Error => "error, ",
                        LogPriority::Debug => "debug, ",
                        LogPriority::Info => "info, ",
                    });
                }
                let _ = write!(out, "{expr});");
            }
            Executable::Add(c) => {
                out.push_str("add ");
                let _ = write_quoted(out, c.as_bytes());
                out.push(';');
            }
            Executable::Break => out.push_str("break;"),
            Executable::Return(e) => {
                let _ = write!(out, "return {e};");
            }
            Executable::AllowDeny { verb, flag } => {
                let v = match verb {
                    super::AllowVerb::Allow => "allow",
                    super::AllowVerb::Deny => "deny",
                    super::AllowVerb::Ignore => "ignore",
                };
                let _ = write!(out, "{v} {};", flag.keyword());
            }
            Executable::Zone(z) => zone_text(out, z, indent),
            Executable::Key(k) => key_text(out, k, indent),
            Executable::DbTimeFormat(d) => out.push_str(match d {
                DbTimeFormat::Default => "db-time-format default;",
                DbTimeFormat::Local => "db-time-format local;",
            }),
            Executable::ParseVendorOption => out.push_str("parse-vendor-option;"),
        }
    }
}

impl fmt::Display for Executable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_indented(&mut s, 0);
        f.write_str(&s)
    }
}
