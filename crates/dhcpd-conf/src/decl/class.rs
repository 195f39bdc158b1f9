//! class, vendor-class, user-class and subclass declarations (ISC's
//! `parse_class_declaration`).

use super::{Scope, atoi_tok, span_at};
use crate::ast::{Bytes, Class, ClassKind, DeclFlag, Span, Stmt, Subclass};
use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::parser::Parser;

impl Parser<'_> {
    /// ISC's `parse_class_declaration` (keyword `kw` consumed).
    pub(super) fn parse_class_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        kw: Kw,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let t = c.next();
        if t.kind != TokKind::Str {
            c.error_help(
                "Expecting class name",
                "class names are quoted strings: class \"NAME\" { ... }",
            );
            c.skip_to_semi();
            return;
        }
        let name = c.string(&t);
        let exists = self.decls.class_exists(&name);
        let is_class = kw == Kw::Class;
        if !exists && !is_class {
            c.error_help(
                format!("no class named {name}"),
                "declare the class (class \"NAME\" { ... }) before its subclasses",
            );
            c.skip_to_semi();
            return;
        }
        let value = if kw == Kw::Subclass {
            let p = *c.peek();
            match p.kind {
                TokKind::Str => {
                    c.skip();
                    Some(Bytes::String(c.text(&p).to_vec()))
                }
                TokKind::Number | TokKind::NumberOrName => match c.parse_cshl() {
                    Some(v) => Some(Bytes::Hex(v)),
                    None => return,
                },
                _ => {
                    c.error_help(
                        "Expecting string or hex list.",
                        "a subclass value is a quoted string or hex bytes like 1:0:16:3e:1:2:3",
                    );
                    return;
                }
            }
        } else {
            None
        };
        let superclass = !is_class;
        let make = |body: Option<Vec<Stmt>>| match (kw, &value) {
            (Kw::Subclass, Some(v)) => Stmt::Subclass(Box::new(Subclass {
                span,
                class: name.clone(),
                value: v.clone(),
                body,
            })),
            _ => Stmt::Class(Box::new(Class {
                span,
                kind: match kw {
                    Kw::VendorClass => ClassKind::VendorClass,
                    Kw::UserClass => ClassKind::UserClass,
                    _ => ClassKind::Class,
                },
                name: name.clone(),
                body,
            })),
        };
        if superclass && c.peek_is(b';') {
            c.skip();
            out.push(make(None));
            return;
        }
        if !c.parse_lbrace() {
            return;
        }
        let mut body = Vec::new();
        let mut declaration = false;
        let mut deleted = false;
        let mut matched_once = false;
        let mut submatched_once = false;
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
                TokKind::Kw(k @ (Kw::Dynamic | Kw::Deleted)) => {
                    c.skip();
                    deleted |= k == Kw::Deleted;
                    if !c.parse_semi() {
                        break;
                    }
                    body.push(Stmt::Flag(
                        sspan,
                        if k == Kw::Dynamic {
                            DeclFlag::Dynamic
                        } else {
                            DeclFlag::Deleted
                        },
                    ));
                }
                TokKind::Kw(Kw::Match) => {
                    if superclass {
                        c.error_help(
                            "invalid match in subclass.",
                            "a subclass is selected by its value; `match` belongs in the parent class",
                        );
                        c.skip_to_semi();
                        break;
                    }
                    c.skip();
                    if c.peek_is_kw(Kw::If) {
                        c.skip();
                        if matched_once {
                            c.error_help(
                                "A class may only have one 'match if' clause.",
                                "combine the conditions with `and` / `or` in one `match if`",
                            );
                            c.skip_to_semi();
                            break;
                        }
                        matched_once = true;
                        let n = c.diag_count();
                        match self.parse_boolean_expression(c) {
                            Some(e) => {
                                if c.parse_semi() {
                                    body.push(Stmt::MatchIf(sspan, Box::new(e)));
                                }
                            }
                            None => {
                                if c.diag_count() == n {
                                    c.error_help(
                                        "expecting boolean expr.",
                                        "write match if CONDITION; (for example: match if option vendor-class-identifier = \"PXEClient\";)",
                                    );
                                    c.skip_to_semi();
                                }
                            }
                        }
                    } else if !self.submatch(c, &mut submatched_once, false, sspan, &mut body) {
                        break;
                    }
                }
                TokKind::Kw(Kw::Spawn) => {
                    c.skip();
                    if superclass {
                        c.error_help(
                            "invalid spawn in subclass.",
                            "`spawn with` belongs in the parent class",
                        );
                        c.skip_to_semi();
                        break;
                    }
                    if !c.next().is_kw(Kw::With) {
                        c.error_help(
                            "expecting with after spawn",
                            "write spawn with DATA-EXPRESSION;",
                        );
                        c.skip_to_semi();
                        break;
                    }
                    if !self.submatch(c, &mut submatched_once, true, sspan, &mut body) {
                        break;
                    }
                }
                TokKind::Kw(Kw::Lease) => {
                    c.skip();
                    let l = c.next();
                    if !l.is_kw(Kw::Limit) {
                        c.error_help("expecting \"limit\"", "write lease limit N;");
                        if !l.is_punct(b';') {
                            c.skip_to_semi();
                        }
                        break;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting a number", "write lease limit N;");
                        if !n.is_punct(b';') {
                            c.skip_to_semi();
                        }
                        break;
                    }
                    let limit = atoi_tok(c, &n);
                    if c.parse_semi() {
                        body.push(Stmt::LeaseLimit(sspan, limit));
                    }
                }
                _ => {
                    declaration =
                        self.parse_statement(c, Scope::Class, None, declaration, &mut body);
                }
            }
        }
        if deleted {
            if is_class {
                self.decls.classes.remove(&name);
            }
        } else if is_class && !exists {
            self.decls.classes.insert(name.clone());
        }
        out.push(make(Some(body)));
    }

    /// The `match DATA;` / `spawn with DATA;` part (ISC's `submatch:` label). `false`: ISC
    /// leaves the class body.
    fn submatch(
        &mut self,
        c: &mut Cursor<'_>,
        once: &mut bool,
        spawn: bool,
        span: Span,
        body: &mut Vec<Stmt>,
    ) -> bool {
        if *once {
            c.error_help(
                "can't override existing submatch/spawn.",
                "a class has one `match` or `spawn with` expression",
            );
            c.skip_to_semi();
            return false;
        }
        *once = true;
        let n = c.diag_count();
        match self.parse_data_expression(c) {
            Some(e) => {
                if c.parse_semi() {
                    body.push(if spawn {
                        Stmt::SpawnWith(span, Box::new(e))
                    } else {
                        Stmt::Match(span, Box::new(e))
                    });
                }
            }
            None => {
                if c.diag_count() == n {
                    c.error_help(
                        "expecting data expr.",
                        "write a data expression, for example: match option vendor-class-identifier;",
                    );
                    c.skip_to_semi();
                }
            }
        }
        true
    }
}
