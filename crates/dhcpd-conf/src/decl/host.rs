//! host and group declarations (ISC's `parse_host_declaration`, `parse_group_declaration`).

use super::{HostCtx, Scope, atoi_tok, span_at};
use crate::ast::{Bytes, DeclFlag, Group, Host, HostIdentifier, Span, Stmt};
use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::parser::Parser;

/// ISC's `print_hex_or_string`: quoted when printable, else colon-separated hex.
fn hex_or_string(data: &[u8]) -> String {
    if data.iter().all(|b| (0x20..0x7f).contains(b)) {
        format!("\"{}\"", String::from_utf8_lossy(data))
    } else {
        data.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl Parser<'_> {
    /// ISC's `parse_host_declaration` (keyword consumed).
    pub(super) fn parse_host_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        // The name is read into a reused buffer (taken, like the body buffer below): the AST
        // keeps short names inline.
        let mut name = std::mem::take(&mut self.decls.host_name);
        if !c.parse_host_name_into(&mut name) {
            c.error_help(
                "expecting a name for host declaration.",
                "host names are unquoted: host NAME { ... }",
            );
            c.skip_to_semi();
            return;
        }
        if !c.parse_lbrace() {
            return;
        }
        let mut ctx = HostCtx {
            name: &name,
            ..HostCtx::default()
        };
        // Statements are collected in a reused buffer, then copied into a body of the exact
        // size: hosts are numerous and their bodies short (taken, so a nested host, which
        // is an error, gets a buffer of its own).
        let mut body = std::mem::take(&mut self.decls.host_body);
        body.clear();
        let mut declaration = false;
        let mut deleted = false;
        let mut uid_len = None::<Vec<u8>>;
        let mut has_host_id = false;
        loop {
            if self.aborted {
                return;
            }
            let t = *c.peek();
            let sspan = span_at(c, t.pos);
            match t.kind {
                TokKind::Punct(b'}') => {
                    c.skip();
                    break;
                }
                TokKind::Eof => {
                    c.skip();
                    c.error_help("unexpected end of file", "a `}` is missing");
                    break;
                }
                TokKind::Kw(kw @ (Kw::Dynamic | Kw::Deleted)) => {
                    c.skip();
                    if kw == Kw::Deleted {
                        deleted = true;
                    }
                    if !c.parse_semi() {
                        break;
                    }
                    body.push(Stmt::Flag(
                        sspan,
                        if kw == Kw::Dynamic {
                            DeclFlag::Dynamic
                        } else {
                            DeclFlag::Deleted
                        },
                    ));
                }
                TokKind::Kw(Kw::Group) => {
                    c.skip();
                    let g = c.next();
                    if g.kind != TokKind::Str && !g.is_identifier() {
                        c.error_help(
                            "expecting string or identifier.",
                            "write group \"NAME\"; with the name of a declared group",
                        );
                        c.skip_to_rbrace(1);
                        break;
                    }
                    let gname = c.string(&g);
                    if !self.decls.groups.contains_key(&gname) {
                        c.error_help(
                            format!("unknown group {gname} in host {name}"),
                            "declare the named group (group \"NAME\" { ... }) before the host",
                        );
                    }
                    if !c.parse_semi() {
                        break;
                    }
                    body.push(Stmt::HostGroup(sspan, gname));
                }
                TokKind::Kw(Kw::Uid) => {
                    c.skip();
                    if let Some(prev) = uid_len.as_ref().filter(|u| !u.is_empty()) {
                        c.error_help(
                            format!("Host '{name}' already has a uid '{}'", hex_or_string(prev)),
                            "a host has one uid",
                        );
                        c.skip_to_rbrace(1);
                        break;
                    }
                    let value = if c.peek().kind == TokKind::Str {
                        let s = c.next();
                        Some(Bytes::String(c.text(&s).to_vec()))
                    } else {
                        match c.parse_byte_aggregate(None, b':', 16) {
                            Some(v) => Some(Bytes::Hex(v)),
                            None => {
                                c.error_help(
                                    "expecting hex list.",
                                    "write the uid as a quoted string or hex bytes like 01:00:16:3e:01:02:03",
                                );
                                c.skip_to_semi();
                                None
                            }
                        }
                    };
                    uid_len = Some(match &value {
                        Some(Bytes::String(s) | Bytes::Hex(s)) => s.clone(),
                        None => Vec::new(),
                    });
                    if !c.parse_semi() {
                        break;
                    }
                    if let Some(v) = value {
                        body.push(Stmt::Uid(sspan, v));
                    }
                }
                TokKind::Kw(Kw::HostIdentifier) => {
                    if has_host_id {
                        c.error_help(
                            "only one host-identifier allowed per host",
                            "remove the second host-identifier",
                        );
                        c.skip_to_rbrace(1);
                        break;
                    }
                    c.skip();
                    match self.parse_host_identifier(c, sspan) {
                        Ok(h) => {
                            has_host_id = true;
                            body.push(Stmt::HostIdentifier(Box::new(h)));
                        }
                        Err(()) => break,
                    }
                }
                _ => {
                    declaration = self.parse_statement(
                        c,
                        Scope::Host,
                        Some(&mut ctx),
                        declaration,
                        &mut body,
                    );
                }
            }
        }
        if self.aborted {
            return;
        }
        if deleted {
            self.decls.hosts.remove(&name);
        } else if !self.decls.hosts.insert(&name) {
            c.error_help(
                format!("host {name}: already exists"),
                "host names must be unique; rename or remove one of the declarations",
            );
        }
        // A boxed slice of exactly the body's statements: the buffer stays for the next host.
        let mut exact = Vec::with_capacity(body.len());
        exact.append(&mut body);
        self.decls.host_body = body;
        out.push(Stmt::Host(Host {
            span,
            name: name.as_str().into(),
            hardware: ctx.hardware,
            fixed: ctx.fixed,
            body: exact.into_boxed_slice(),
        }));
        self.decls.host_name = name;
    }

    /// The rest of `host-identifier` (keyword consumed). `Err`: ISC leaves the host body.
    fn parse_host_identifier(
        &mut self,
        c: &mut Cursor<'_>,
        span: Span,
    ) -> Result<HostIdentifier, ()> {
        let t = c.next();
        let mut relays = None;
        if t.is_kw(Kw::V6relopt) {
            let n = c.next();
            if n.kind != TokKind::Number {
                c.error_help(
                    "host-identifier v6relopt must have a number",
                    "write host-identifier v6relopt N OPTION VALUE;",
                );
                c.skip_to_rbrace(1);
                return Err(());
            }
            let r = atoi_tok(c, &n);
            if r < 0 {
                c.error_help(
                    "host-identifier v6relopt must have a number >= 0",
                    "the relay count cannot be negative",
                );
                c.skip_to_rbrace(1);
                return Err(());
            }
            relays = Some(r);
        } else if !t.is_kw(Kw::Option) {
            c.error_help(
                "host-identifier must be an option or v6relopt",
                "write host-identifier option NAME VALUE;",
            );
            c.skip_to_rbrace(1);
            return Err(());
        }
        let option = self.parse_option_name(c, true).ok_or(())?;
        if !option.known {
            c.error_help(
                format!("unknown option {}.{}", option.space, option.name),
                "check the option name",
            );
            c.skip_to_rbrace(1);
            return Err(());
        }
        let Some(value) = self.parse_option_data(c, &option) else {
            c.skip_to_rbrace(1);
            return Err(());
        };
        if !c.parse_semi() {
            c.skip_to_rbrace(1);
            return Err(());
        }
        Ok(HostIdentifier {
            span,
            relays,
            option,
            value,
        })
    }

    /// ISC's `parse_group_declaration` (keyword consumed).
    pub(super) fn parse_group_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let mut name = None;
        let t = *c.peek();
        if t.is_identifier() || t.kind == TokKind::Str {
            c.skip();
            name = Some(c.string(&t));
        }
        if !c.parse_lbrace() {
            return;
        }
        // Statements are collected in a reused buffer, then copied into a body of the exact
        // size: hosts are numerous and their bodies short (taken, so a nested host, which
        // is an error, gets a buffer of its own).
        let mut body = std::mem::take(&mut self.decls.host_body);
        body.clear();
        let mut declaration = false;
        let (mut deleted, mut dynamic, mut stat) = (false, false, false);
        loop {
            if self.aborted {
                return;
            }
            let t = *c.peek();
            let sspan = span_at(c, t.pos);
            let flag = match t.kind {
                TokKind::Punct(b'}') => {
                    c.skip();
                    break;
                }
                TokKind::Eof => {
                    c.skip();
                    c.error_help("unexpected end of file", "a `}` is missing");
                    break;
                }
                TokKind::Kw(Kw::Deleted) => Some(DeclFlag::Deleted),
                TokKind::Kw(Kw::Dynamic) => Some(DeclFlag::Dynamic),
                TokKind::Kw(Kw::Static) => Some(DeclFlag::Static),
                _ => None,
            };
            if let Some(f) = flag {
                c.skip();
                if c.parse_semi() {
                    body.push(Stmt::Flag(sspan, f));
                }
                deleted |= f == DeclFlag::Deleted;
                dynamic |= f == DeclFlag::Dynamic;
                stat |= f == DeclFlag::Static;
                // ISC goes on to parse a statement right after the flag (no `continue`).
                if self.aborted {
                    return;
                }
            }
            declaration = self.parse_statement(c, Scope::Group, None, declaration, &mut body);
        }
        if let Some(n) = &name {
            // ISC's delete_group / supersede_group.
            let dynamic_only = dynamic && !stat;
            match (deleted, self.decls.groups.get(n).copied()) {
                (true, Some(true)) => {
                    self.decls.groups.remove(n);
                }
                (true, _) => {}
                (false, Some(true)) => {
                    // The old dynamic entry leaves the hash; the new one is not added.
                    self.decls.groups.remove(n);
                }
                (false, Some(false)) => {}
                (false, None) => {
                    self.decls.groups.insert(n.clone(), dynamic_only);
                }
            }
        }
        out.push(Stmt::Group(Box::new(Group { span, name, body })));
    }
}
