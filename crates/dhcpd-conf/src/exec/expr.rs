//! The expression parsers: ISC's `parse_expression`, `parse_non_binary` and the typed
//! wrappers `parse_boolean_expression`, `parse_data_expression`, `parse_numeric_expression`.

use super::{BinOp, Expr, ExprContext, NamedConst, Parsed};
use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::options::c_atoi;
use crate::parser::Parser;

fn to_parsed(e: Option<Expr>, lose: bool) -> Parsed<Expr> {
    match (e, lose) {
        (Some(e), _) => Parsed::Ok(e),
        (None, true) => Parsed::Failed,
        (None, false) => Parsed::NotMine,
    }
}

fn named_const(kw: Kw) -> Option<NamedConst> {
    Some(match kw {
        Kw::Formerr => NamedConst::FormErr,
        Kw::Noerror => NamedConst::NoError,
        Kw::Notauth => NamedConst::NotAuth,
        Kw::Notimp => NamedConst::NotImp,
        Kw::Notzone => NamedConst::NotZone,
        Kw::Nxdomain => NamedConst::NxDomain,
        Kw::Nxrrset => NamedConst::NxRrset,
        Kw::Refused => NamedConst::Refused,
        Kw::Servfail => NamedConst::ServFail,
        Kw::Yxdomain => NamedConst::YxDomain,
        Kw::Yxrrset => NamedConst::YxRrset,
        Kw::Booting => NamedConst::Booting,
        Kw::Reboot => NamedConst::Reboot,
        Kw::Select => NamedConst::Select,
        Kw::Request => NamedConst::Request,
        Kw::Bound => NamedConst::Bound,
        Kw::Renew => NamedConst::Renew,
        Kw::Rebind => NamedConst::Rebind,
        _ => return None,
    })
}

/// ISC's shared error exits of `parse_non_binary`.
enum Bail {
    /// `nolparen`
    LParen,
    /// `nodata`
    Data,
    /// `nocomma`
    Comma,
    /// `nonum`
    Num,
    /// `norparen`
    RParen,
}

fn bail(c: &mut Cursor<'_>, lose: &mut bool, how: Bail) -> Option<Expr> {
    match how {
        Bail::LParen => {
            c.error_help(
                "left parenthesis expected.",
                "function arguments are written in parentheses",
            );
            *lose = true;
        }
        Bail::Data => {
            if !*lose {
                c.error_help(
                    "expecting data expression.",
                    "write a data expression: a string, hex bytes, option NAME, substring(…) …",
                );
                c.skip_to_semi();
                *lose = true;
            }
        }
        Bail::Comma => {
            c.error_help("comma expected.", "separate the arguments with `,`");
            *lose = true;
        }
        Bail::Num => {
            if !*lose {
                c.error_help(
                    "expecting numeric expression.",
                    "write a number or a numeric expression like extract-int(…)",
                );
                c.skip_to_semi();
                *lose = true;
            }
        }
        Bail::RParen => {
            c.error_help(
                "right parenthesis expected.",
                "close the argument list with `)`",
            );
            *lose = true;
        }
    }
    None
}

impl Parser<'_> {
    /// ISC's `parse_boolean_expression` for callers that do not need ISC's `lose` flag:
    /// `None` when there is no boolean expression (an error may have been reported; compare
    /// [`Cursor::diag_count`], or use [`Parser::boolean_expression`] to get the flag).
    pub(crate) fn parse_boolean_expression(&mut self, c: &mut Cursor<'_>) -> Option<Expr> {
        let mut lose = false;
        self.boolean_expression(c, &mut lose)
    }

    /// ISC's `parse_data_expression` without the `lose` flag (see
    /// [`Parser::parse_boolean_expression`]).
    pub(crate) fn parse_data_expression(&mut self, c: &mut Cursor<'_>) -> Option<Expr> {
        let mut lose = false;
        self.data_expression(c, &mut lose)
    }

    /// ISC's `parse_numeric_expression` without the `lose` flag (see
    /// [`Parser::parse_boolean_expression`]).
    pub(crate) fn parse_numeric_expression(&mut self, c: &mut Cursor<'_>) -> Option<Expr> {
        let mut lose = false;
        self.numeric_expression(c, &mut lose)
    }

    /// ISC's `parse_expression` with no left-hand side: an expression of any type, parsed in
    /// `context`.
    pub(crate) fn parse_expression(
        &mut self,
        c: &mut Cursor<'_>,
        context: ExprContext,
    ) -> Parsed<Expr> {
        let mut lose = false;
        let e = self.expression(c, &mut lose, context, None, None);
        to_parsed(e, lose)
    }

    /// ISC's `parse_boolean_expression`: `None` with `*lose` set when an error was reported,
    /// `None` with `*lose` unset when there was no expression (the caller reports).
    pub(crate) fn boolean_expression(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
    ) -> Option<Expr> {
        let e = self.expression(c, lose, ExprContext::Boolean, None, None)?;
        if !e.is_boolean() && !matches!(e, Expr::Variable(_) | Expr::FunCall(..)) {
            c.error_help(
                "Expecting a boolean expression.",
                "write a condition, like option NAME = \"value\", exists NAME, known …",
            );
            *lose = true;
            return None;
        }
        Some(e)
    }

    /// ISC's `parse_data_expression` (see [`Parser::boolean_expression`] for `lose`).
    pub(crate) fn data_expression(&mut self, c: &mut Cursor<'_>, lose: &mut bool) -> Option<Expr> {
        let e = self.expression(c, lose, ExprContext::Data, None, None)?;
        if !e.is_data() && !matches!(e, Expr::Variable(_) | Expr::FunCall(..)) {
            c.error_help(
                "Expecting a data expression.",
                "write a string, hex bytes, option NAME, substring(…), concat(…) …",
            );
            *lose = true;
            return None;
        }
        Some(e)
    }

    /// ISC's `parse_numeric_expression` (see [`Parser::boolean_expression`] for `lose`).
    pub(crate) fn numeric_expression(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
    ) -> Option<Expr> {
        let e = self.expression(c, lose, ExprContext::Numeric, None, None)?;
        if !e.is_numeric() && !matches!(e, Expr::Variable(_) | Expr::FunCall(..)) {
            c.error_help(
                "Expecting a numeric expression.",
                "write a number or extract-int(…), lease-time …",
            );
            *lose = true;
            return None;
        }
        Some(e)
    }

    /// ISC's `parse_expression`: operands joined by binary operators, with ISC's peculiar
    /// precedence handling (a tighter operator takes the whole rest of the expression).
    pub(super) fn expression(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        mut context: ExprContext,
        plhs: Option<Expr>,
        mut binop: Option<BinOp>,
    ) -> Option<Expr> {
        let mut lhs = plhs;
        loop {
            let Some(mut rhs) = self.non_binary(c, lose, context) else {
                if lhs.is_some() && !*lose {
                    c.error_help(
                        "expecting right-hand side.",
                        "an operator needs an operand after it",
                    );
                    *lose = true;
                    c.skip_to_semi();
                }
                return None;
            };
            let mut next_op = match c.peek_kind() {
                TokKind::Punct(b'!') => {
                    c.skip();
                    if !c.peek_is(b'=') {
                        c.error_help(
                            "! in boolean context without =",
                            "write `!=` for not-equal, or `not EXPR`",
                        );
                        *lose = true;
                        c.skip_to_semi();
                        return None;
                    }
                    Some(BinOp::NotEqual)
                }
                TokKind::Punct(b'=') => Some(BinOp::Equal),
                TokKind::Punct(b'~') => {
                    c.skip();
                    match c.peek_kind() {
                        TokKind::Punct(b'~') => Some(BinOp::IRegexMatch),
                        TokKind::Punct(b'=') => Some(BinOp::RegexMatch),
                        _ => {
                            c.error_help(
                                "expecting ~= or ~~ operator",
                                "`~=` matches a regular expression, `~~` ignoring case",
                            );
                            *lose = true;
                            c.skip_to_semi();
                            return None;
                        }
                    }
                }
                TokKind::Kw(Kw::And) => Some(BinOp::And),
                TokKind::Kw(Kw::Or) => Some(BinOp::Or),
                TokKind::Punct(b'+') => Some(BinOp::Add),
                TokKind::Punct(b'-') => Some(BinOp::Subtract),
                TokKind::Punct(b'/') => Some(BinOp::Divide),
                TokKind::Punct(b'*') => Some(BinOp::Multiply),
                TokKind::Punct(b'%') => Some(BinOp::Remainder),
                TokKind::Punct(b'&') => Some(BinOp::BinaryAnd),
                TokKind::Punct(b'|') => Some(BinOp::BinaryOr),
                TokKind::Punct(b'^') => Some(BinOp::BinaryXor),
                _ => None,
            };
            if next_op.is_some() {
                context = rhs.context();
            }
            let Some(l) = lhs.take() else {
                match next_op {
                    None => return Some(rhs),
                    Some(op) => {
                        lhs = Some(rhs);
                        binop = Some(op);
                        c.skip();
                        continue;
                    }
                }
            };
            if let (Some(b), Some(n)) = (binop, next_op) {
                if b.precedence() < n.precedence() {
                    c.skip();
                    match self.expression(c, lose, n.operand_context(), Some(rhs), Some(n)) {
                        Some(r) => rhs = r,
                        None => {
                            if !*lose {
                                c.error("expecting a subexpression");
                                *lose = true;
                            }
                            return None;
                        }
                    }
                    next_op = None;
                }
            }
            let Some(b) = binop else {
                // A left-hand side always comes with its operator.
                return Some(l);
            };
            let rc = rhs.context();
            let lc = l.context();
            if rc != ExprContext::Any && lc != ExprContext::Any && rc != lc {
                c.error_help(
                    "illegal expression relating different types",
                    "both sides of an operator must be of the same type (data, numeric or boolean)",
                );
                c.skip_to_semi();
                *lose = true;
                return None;
            }
            let bad = match b {
                BinOp::Equal | BinOp::NotEqual => {
                    (rc == ExprContext::Boolean).then_some("expecting data/numeric expression")
                }
                BinOp::RegexMatch | BinOp::IRegexMatch => {
                    (rc != ExprContext::Data).then_some("expecting data expression")
                }
                BinOp::And | BinOp::Or => (!matches!(rc, ExprContext::Boolean | ExprContext::Any))
                    .then_some("expecting boolean expressions"),
                _ => (!matches!(rc, ExprContext::Numeric | ExprContext::Any))
                    .then_some("expecting numeric expressions"),
            };
            if let Some(msg) = bad {
                c.error_help(
                    msg,
                    format!("the right side of `{}` has the wrong type", b.symbol()),
                );
                c.skip_to_semi();
                *lose = true;
                return None;
            }
            let combined = Expr::Binary(b, Box::new(l), Box::new(rhs));
            match next_op {
                None => return Some(combined),
                Some(n) => {
                    c.skip();
                    lhs = Some(combined);
                    binop = Some(n);
                }
            }
        }
    }

    /// Parses `(` DATA `,` … for functions with a fixed argument list; each argument is
    /// (`numeric`, error exit).
    fn args(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        kinds: &[(bool, Bail)],
    ) -> Option<Vec<Expr>> {
        if !c.next().is_punct(b'(') {
            bail(c, lose, Bail::LParen);
            return None;
        }
        let mut out = Vec::new();
        for (k, (numeric, how)) in kinds.iter().enumerate() {
            if k > 0 && !c.next().is_punct(b',') {
                bail(c, lose, Bail::Comma);
                return None;
            }
            let e = if *numeric {
                self.numeric_expression(c, lose)
            } else {
                self.data_expression(c, lose)
            };
            match e {
                Some(e) => out.push(e),
                None => {
                    let how = match how {
                        Bail::Num => Bail::Num,
                        _ => Bail::Data,
                    };
                    bail(c, lose, how);
                    return None;
                }
            }
        }
        if !c.next().is_punct(b')') {
            bail(c, lose, Bail::RParen);
            return None;
        }
        Some(out)
    }

    /// ISC's `parse_non_binary`: one operand (literal, function, unary `not`, parentheses).
    pub(super) fn non_binary(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        context: ExprContext,
    ) -> Option<Expr> {
        self.nested(c, lose, |p, c, lose| p.non_binary_at(c, lose, context))
    }

    fn non_binary_at(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        context: ExprContext,
    ) -> Option<Expr> {
        let t = *c.peek();
        let bx = Box::new;
        let e = match t.kind {
            TokKind::Kw(Kw::Check) => {
                c.skip();
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help("string expected.", "write check \"COLLECTION\"");
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let name = c.string(&s);
                if name != "default" {
                    c.error_help(
                        "unknown collection.",
                        "the only collection is \"default\"; to test class membership use a class's match rules",
                    );
                    *lose = true;
                    return None;
                }
                Expr::Check(name)
            }
            TokKind::Kw(Kw::Not) => {
                c.skip();
                let Some(inner) = self.non_binary(c, lose, ExprContext::Boolean) else {
                    if !*lose {
                        c.error_help("expression expected", "write a condition after `not`");
                        c.skip_to_semi();
                    }
                    *lose = true;
                    return None;
                };
                if !inner.is_boolean() {
                    *lose = true;
                    c.error_help(
                        "boolean expression expected",
                        "`not` applies to a condition",
                    );
                    c.skip_to_semi();
                    return None;
                }
                Expr::Not(bx(inner))
            }
            TokKind::Punct(b'(') => {
                c.skip();
                let Some(inner) = self.expression(c, lose, context, None, None) else {
                    if !*lose {
                        c.error_help("expression expected", "write an expression inside `( )`");
                        c.skip_to_semi();
                    }
                    *lose = true;
                    return None;
                };
                if !c.next().is_punct(b')') {
                    *lose = true;
                    c.error_help("right paren expected", "close the group with `)`");
                    c.skip_to_semi();
                    return None;
                }
                inner
            }
            TokKind::Kw(kw @ (Kw::Exists | Kw::Option | Kw::ConfigOption)) => {
                c.skip();
                let Some(name) = self.parse_option_name(c, false) else {
                    *lose = true;
                    return None;
                };
                match kw {
                    Kw::Exists => Expr::Exists(name),
                    Kw::Option => Expr::Option(name),
                    _ => Expr::ConfigOption(name),
                }
            }
            TokKind::Kw(Kw::Static) => {
                c.skip();
                Expr::Static
            }
            TokKind::Kw(Kw::Known) => {
                c.skip();
                Expr::Known
            }
            TokKind::Kw(Kw::Substring) => {
                c.skip();
                let mut a = self.args(
                    c,
                    lose,
                    &[(false, Bail::Data), (true, Bail::Num), (true, Bail::Num)],
                )?;
                let len = a.pop()?;
                let off = a.pop()?;
                let data = a.pop()?;
                Expr::Substring(bx(data), bx(off), bx(len))
            }
            TokKind::Kw(Kw::Suffix) => {
                c.skip();
                let mut a = self.args(c, lose, &[(false, Bail::Data), (true, Bail::Num)])?;
                let len = a.pop()?;
                let data = a.pop()?;
                Expr::Suffix(bx(data), bx(len))
            }
            TokKind::Kw(kw @ (Kw::Lcase | Kw::Ucase)) => {
                c.skip();
                let mut a = self.args(c, lose, &[(false, Bail::Data)])?;
                let d = bx(a.pop()?);
                if kw == Kw::Lcase {
                    Expr::Lcase(d)
                } else {
                    Expr::Ucase(d)
                }
            }
            TokKind::Kw(kw @ (Kw::Concat | Kw::Pick | Kw::PickFirstValue)) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    return bail(c, lose, Bail::LParen);
                }
                let mut items = Vec::new();
                loop {
                    match self.data_expression(c, lose) {
                        Some(e) => items.push(e),
                        None => return bail(c, lose, Bail::Data),
                    }
                    let t = c.next();
                    if kw == Kw::Concat && items.len() == 1 {
                        if !t.is_punct(b',') {
                            return bail(c, lose, Bail::Comma);
                        }
                        continue;
                    }
                    if t.is_punct(b',') {
                        continue;
                    }
                    if !t.is_punct(b')') {
                        return bail(c, lose, Bail::RParen);
                    }
                    break;
                }
                if kw == Kw::Concat {
                    Expr::Concat(items)
                } else {
                    Expr::PickFirstValue(items)
                }
            }
            TokKind::Kw(Kw::BinaryToAscii) => {
                c.skip();
                let mut a = self.args(
                    c,
                    lose,
                    &[
                        (true, Bail::Data),
                        (true, Bail::Data),
                        (false, Bail::Data),
                        (false, Bail::Data),
                    ],
                )?;
                let buf = a.pop()?;
                let sep = a.pop()?;
                let width = a.pop()?;
                let base = a.pop()?;
                Expr::BinaryToAscii(bx(base), bx(width), bx(sep), bx(buf))
            }
            TokKind::Kw(Kw::Reverse) => {
                c.skip();
                let mut a = self.args(c, lose, &[(true, Bail::Data), (false, Bail::Data)])?;
                let buf = a.pop()?;
                let width = a.pop()?;
                Expr::Reverse(bx(width), bx(buf))
            }
            TokKind::Kw(Kw::V6relay) => {
                c.skip();
                let mut a = self.args(c, lose, &[(true, Bail::Data), (false, Bail::Data)])?;
                let opt = a.pop()?;
                let relay = a.pop()?;
                Expr::V6Relay(bx(relay), bx(opt))
            }
            TokKind::Kw(Kw::Packet) => {
                c.skip();
                let mut a = self.args(c, lose, &[(true, Bail::Num), (true, Bail::Num)])?;
                let len = a.pop()?;
                let off = a.pop()?;
                Expr::Packet(bx(off), bx(len))
            }
            TokKind::Kw(Kw::Hardware) => {
                c.skip();
                Expr::Hardware
            }
            TokKind::Kw(Kw::LeasedAddress) => {
                c.skip();
                Expr::LeasedAddress
            }
            TokKind::Kw(Kw::ClientState) => {
                c.skip();
                Expr::ClientState
            }
            TokKind::Kw(Kw::Filename) => {
                c.skip();
                Expr::Filename
            }
            TokKind::Kw(Kw::ServerName) => {
                c.skip();
                Expr::ServerName
            }
            TokKind::Kw(Kw::LeaseTime) => {
                c.skip();
                Expr::LeaseTime
            }
            TokKind::Kw(Kw::Null) => {
                c.skip();
                Expr::Null
            }
            TokKind::Kw(Kw::HostDeclName) => {
                c.skip();
                Expr::HostDeclName
            }
            TokKind::Str => {
                c.skip();
                Expr::ConstData {
                    bytes: c.text(&t).to_vec(),
                    hex: false,
                }
            }
            TokKind::Kw(kw @ (Kw::ExtractInt | Kw::EncodeInt)) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    c.error_help(
                        "left parenthesis expected.",
                        "function arguments are written in parentheses",
                    );
                    *lose = true;
                    return None;
                }
                let inner = if kw == Kw::ExtractInt {
                    match self.data_expression(c, lose) {
                        Some(e) => e,
                        None => {
                            if !*lose {
                                c.error_help(
                                    "expecting data expression.",
                                    "extract-int takes data and a width: extract-int(DATA, 8|16|32)",
                                );
                                c.skip_to_semi();
                                *lose = true;
                            }
                            return None;
                        }
                    }
                } else {
                    match self.numeric_expression(c, lose) {
                        Some(e) => e,
                        None => {
                            c.error_help(
                                "expecting numeric expression.",
                                "encode-int takes a number and a width: encode-int(NUM, 8|16|32)",
                            );
                            c.skip_to_semi();
                            *lose = true;
                            return None;
                        }
                    }
                };
                if !c.next().is_punct(b',') {
                    c.error_help("comma expected.", "write the width after a comma");
                    *lose = true;
                    return None;
                }
                let n = c.next();
                if n.kind != TokKind::Number {
                    c.error_help("number expected.", "the width is 8, 16 or 32");
                    *lose = true;
                    return None;
                }
                let bits = c_atoi(c.text(&n));
                if !matches!(bits, 8 | 16 | 32) {
                    c.error_help(
                        format!("unsupported integer size {bits}"),
                        "the width is 8, 16 or 32",
                    );
                    *lose = true;
                    c.skip_to_semi();
                    return None;
                }
                if !c.next().is_punct(b')') {
                    c.error_help(
                        "right parenthesis expected.",
                        "close the argument list with `)`",
                    );
                    *lose = true;
                    return None;
                }
                if kw == Kw::ExtractInt {
                    Expr::ExtractInt(bx(inner), bits as u8)
                } else {
                    Expr::EncodeInt(bx(inner), bits as u8)
                }
            }
            TokKind::Number
                if matches!(context, ExprContext::Numeric | ExprContext::DataOrNumeric) =>
            {
                c.skip();
                Expr::ConstInt(i64::from(c_atoi(c.text(&t))))
            }
            TokKind::Number | TokKind::NumberOrName => {
                // Not an error of its own when it fails: ISC returns without `lose`.
                let bytes = c.parse_cshl()?;
                Expr::ConstData { bytes, hex: true }
            }
            TokKind::Kw(kw) if named_const(kw).is_some() => {
                c.skip();
                Expr::Named(named_const(kw)?)
            }
            TokKind::Kw(Kw::Defined) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    return bail(c, lose, Bail::LParen);
                }
                let v = c.next();
                if !matches!(v.kind, TokKind::Name | TokKind::NumberOrName) {
                    let shown = c.string(&v);
                    c.error_help(
                        format!("{shown} can't be a variable name"),
                        "variable names cannot be keywords, strings or numbers",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let name = c.string(&v);
                if !c.next().is_punct(b')') {
                    return bail(c, lose, Bail::RParen);
                }
                Expr::VariableExists(name)
            }
            TokKind::Kw(Kw::Gethostname) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    return bail(c, lose, Bail::LParen);
                }
                if !c.next().is_punct(b')') {
                    return bail(c, lose, Bail::RParen);
                }
                Expr::GetHostName
            }
            TokKind::Kw(Kw::Gethostbyname) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    return bail(c, lose, Bail::LParen);
                }
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help(
                        "Expecting quoted literal: \"foo.example.com\"",
                        "gethostbyname takes a quoted host name",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let name = c.string(&s);
                if !c.next().is_punct(b')') {
                    return bail(c, lose, Bail::RParen);
                }
                Expr::HostLookup(name)
            }
            TokKind::Name => {
                c.skip();
                let name = c.string(&t);
                if !c.peek_is(b'(') {
                    Expr::Variable(name)
                } else {
                    c.skip();
                    let mut args = Vec::new();
                    let end = loop {
                        match self.expression(c, lose, ExprContext::Any, None, None) {
                            Some(e) => args.push(e),
                            None => {
                                if !*lose {
                                    c.error_help(
                                        "expecting expression.",
                                        "write the function's arguments separated by commas",
                                    );
                                    *lose = true;
                                }
                                c.skip_to_semi();
                                return None;
                            }
                        }
                        let t = c.next();
                        if !t.is_punct(b',') {
                            break t;
                        }
                    };
                    if !end.is_punct(b')') {
                        c.error_help(
                            "Right parenthesis expected.",
                            "close the argument list with `)`",
                        );
                        c.skip_to_semi();
                        *lose = true;
                        return None;
                    }
                    Expr::FunCall(name, args)
                }
            }
            _ => return None,
        };
        Some(e)
    }
}
