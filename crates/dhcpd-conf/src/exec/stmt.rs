//! The statement parsers: ISC's `parse_executable_statement(s)`, `parse_if_statement`,
//! `parse_on_statement`, `parse_switch_statement`, `parse_case_statement`, `parse_zone`,
//! `parse_key` (all `common/parse.c`) and `parse_allow_deny` (`server/confpars.c`).

use super::{
    AllowFlag, AllowVerb, DbTimeFormat, Else, Event, Executable, ExprContext, IfStmt, Key,
    LogPriority, OptionOp, Parsed, Zone,
};
use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::parser::Parser;

impl Parser<'_> {
    /// ISC's `parse_executable_statement`. `ctx` is the `case` context: [`ExprContext::Any`]
    /// outside a `switch`.
    pub(crate) fn parse_executable_statement(
        &mut self,
        c: &mut Cursor<'_>,
        ctx: ExprContext,
    ) -> Parsed<Executable> {
        let mut lose = false;
        match self.exec_statement(c, &mut lose, ctx) {
            Some(e) => Parsed::Ok(e),
            None if lose => Parsed::Failed,
            None => Parsed::NotMine,
        }
    }

    /// ISC's `parse_executable_statements`: statements until one is not parsed (normally at
    /// the closing `}`). `Failed` when a statement failed with `lose` set.
    pub(crate) fn parse_executable_statements(
        &mut self,
        c: &mut Cursor<'_>,
        ctx: ExprContext,
    ) -> Parsed<Vec<Executable>> {
        let mut lose = false;
        let v = self.exec_statements(c, &mut lose, ctx);
        if lose { Parsed::Failed } else { Parsed::Ok(v) }
    }

    pub(super) fn exec_statements(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        ctx: ExprContext,
    ) -> Vec<Executable> {
        let mut out = Vec::new();
        self.opts.block_depth += 1;
        while let Some(s) = self.exec_statement(c, lose, ctx) {
            out.push(s);
            if self.aborted {
                break;
            }
        }
        self.opts.block_depth -= 1;
        out
    }

    fn option_like(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        op: OptionOp,
    ) -> Option<Executable> {
        let Some(name) = self.parse_option_name(c, false) else {
            *lose = true;
            return None;
        };
        self.option_statement(c, name, op)
    }

    /// The statements of a `{ … }` block after its `{`, and the closing `}`. When a statement
    /// fails, ISC skips to the next `}` for `if` and `on` bodies (`skip_to_brace`) but not for
    /// an `else` body: `skip_to_brace` says which.
    fn block_rest(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        skip_to_brace: bool,
    ) -> Option<Vec<Executable>> {
        let body = self.exec_statements(c, lose, ExprContext::Any);
        if *lose {
            if skip_to_brace {
                loop {
                    let t = c.next();
                    if t.is_eof() || t.is_punct(b'}') {
                        break;
                    }
                }
            }
            return None;
        }
        if !c.next().is_punct(b'}') {
            c.error_help("right brace expected.", "close the block with `}`");
            c.skip_to_semi();
            *lose = true;
            return None;
        }
        Some(body)
    }

    pub(super) fn exec_statement(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        ctx: ExprContext,
    ) -> Option<Executable> {
        self.nested(c, lose, |p, c, lose| p.exec_statement_at(c, lose, ctx))
    }

    fn exec_statement_at(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        ctx: ExprContext,
    ) -> Option<Executable> {
        let t = *c.peek();
        match t.kind {
            TokKind::Kw(Kw::DbTimeFormat) => {
                c.skip();
                let v = c.next();
                let fmt = if v.is_kw(Kw::Default) {
                    DbTimeFormat::Default
                } else if v.is_kw(Kw::Local) {
                    DbTimeFormat::Local
                } else {
                    c.error_help(
                        "Expecting 'local' or 'default'.",
                        "write `db-time-format default;` or `db-time-format local;`",
                    );
                    if !v.is_punct(b';') {
                        c.skip_to_semi();
                    }
                    *lose = true;
                    return None;
                };
                if !c.next().is_punct(b';') {
                    c.error_help("Expecting a semicolon.", "end the statement with `;`");
                    *lose = true;
                    return None;
                }
                Some(Executable::DbTimeFormat(fmt))
            }
            TokKind::Kw(Kw::If) => {
                c.skip();
                self.if_statement(c, lose).map(Executable::If)
            }
            TokKind::Kw(Kw::Add) => {
                c.skip();
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help("expecting class name.", "write add \"CLASS\";");
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let name = c.string(&s);
                if !self.decls.class_exists(&name) {
                    c.error_help(
                        format!("class {name}: not found"),
                        "declare the class before this statement",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                if !c.parse_semi() {
                    *lose = true;
                    return None;
                }
                Some(Executable::Add(name))
            }
            TokKind::Kw(Kw::Break) => {
                c.skip();
                if !c.parse_semi() {
                    *lose = true;
                    return None;
                }
                Some(Executable::Break)
            }
            TokKind::Kw(Kw::Send) => {
                c.skip();
                self.option_like(c, lose, OptionOp::Send)
            }
            TokKind::Kw(Kw::Supersede) => {
                c.skip();
                self.option_like(c, lose, OptionOp::Supersede)
            }
            TokKind::Kw(Kw::Option) => {
                c.skip();
                self.option_like(c, lose, OptionOp::Option)
            }
            TokKind::Kw(Kw::Prepend) => {
                c.skip();
                self.option_like(c, lose, OptionOp::Prepend)
            }
            TokKind::Kw(Kw::Append) => {
                c.skip();
                self.option_like(c, lose, OptionOp::Append)
            }
            TokKind::Kw(kw @ (Kw::Allow | Kw::Deny | Kw::Ignore)) => {
                c.skip();
                let verb = match kw {
                    Kw::Allow => AllowVerb::Allow,
                    Kw::Deny => AllowVerb::Deny,
                    _ => AllowVerb::Ignore,
                };
                let flag = self.allow_deny(c)?;
                Some(Executable::AllowDeny { verb, flag })
            }
            TokKind::Kw(Kw::Default) => {
                c.skip();
                if c.peek_is(b':') {
                    c.skip();
                    if ctx == ExprContext::Any {
                        c.error_help(
                            "switch default statement in inappropriate scope.",
                            "`default:` labels belong inside `switch (…) { … }`",
                        );
                        *lose = true;
                        return None;
                    }
                    return Some(Executable::SwitchDefault);
                }
                self.option_like(c, lose, OptionOp::Default)
            }
            TokKind::Kw(Kw::On) => {
                c.skip();
                self.on_statement(c, lose)
            }
            TokKind::Kw(Kw::Switch) => {
                c.skip();
                self.switch_statement(c, lose)
            }
            TokKind::Kw(Kw::Case) => {
                c.skip();
                if ctx == ExprContext::Any {
                    c.error_help(
                        "case statement in inappropriate scope.",
                        "`case` labels belong inside `switch (…) { … }`",
                    );
                    *lose = true;
                    c.skip_to_semi();
                    return None;
                }
                self.case_statement(c, lose, ctx)
            }
            TokKind::Kw(kw @ (Kw::Define | Kw::Set)) => {
                c.skip();
                self.set_statement(c, lose, ctx, kw == Kw::Define)
            }
            TokKind::Kw(Kw::Unset) => {
                c.skip();
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
                if !c.parse_semi() {
                    *lose = true;
                    return None;
                }
                Some(Executable::Unset(name))
            }
            TokKind::Kw(kw @ (Kw::Eval | Kw::Return)) => {
                c.skip();
                let Some(e) = self.expression(c, lose, ExprContext::Data, None, None) else {
                    if !*lose {
                        c.error_help(
                            "expecting data expression.",
                            "write an expression after the keyword",
                        );
                    }
                    c.skip_to_semi();
                    return None;
                };
                if !c.parse_semi() {
                    *lose = true;
                    if kw == Kw::Return {
                        return None;
                    }
                }
                Some(if kw == Kw::Eval {
                    Executable::Eval(e)
                } else {
                    Executable::Return(e)
                })
            }
            TokKind::Kw(Kw::Execute) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    c.error_help(
                        "left parenthesis expected.",
                        "write execute (\"/path/to/program\", ARG …);",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let s = c.next();
                if s.kind != TokKind::Str {
                    c.error_help(
                        "Expecting a quoted string.",
                        "the program to run is a quoted path",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let command = c.text(&s).to_vec();
                let mut args = Vec::new();
                let end = loop {
                    let t = c.next();
                    if !t.is_punct(b',') {
                        break t;
                    }
                    match self.data_expression(c, lose) {
                        Some(e) => args.push(e),
                        None => {
                            if !*lose {
                                c.error_help(
                                    "expecting expression.",
                                    "arguments are data expressions",
                                );
                            }
                            c.skip_to_semi();
                            *lose = true;
                            return None;
                        }
                    }
                };
                if !end.is_punct(b')') {
                    c.error_help(
                        "right parenthesis expected.",
                        "close the argument list with `)`",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                if !c.parse_semi() {
                    *lose = true;
                }
                Some(Executable::Execute { command, args })
            }
            TokKind::Kw(Kw::Log) => {
                c.skip();
                if !c.next().is_punct(b'(') {
                    c.error_help(
                        "left parenthesis expected.",
                        "write log (info, \"message\");",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                let priority = match c.peek_kind() {
                    TokKind::Kw(Kw::Fatal) => Some(LogPriority::Fatal),
                    TokKind::Kw(Kw::Error) => Some(LogPriority::Error),
                    TokKind::Kw(Kw::Debug) => Some(LogPriority::Debug),
                    TokKind::Kw(Kw::Info) => Some(LogPriority::Info),
                    _ => None,
                };
                if priority.is_some() {
                    c.skip();
                    if !c.next().is_punct(b',') {
                        c.error_help("comma expected.", "write log (PRIORITY, MESSAGE);");
                        c.skip_to_semi();
                        *lose = true;
                        return None;
                    }
                }
                let Some(expr) = self.data_expression(c, lose) else {
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                };
                if !c.next().is_punct(b')') {
                    c.error_help(
                        "right parenthesis expected.",
                        "close the argument list with `)`",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                if !c.next().is_punct(b';') {
                    c.error_help("semicolon expected.", "end the statement with `;`");
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
                Some(Executable::Log { priority, expr })
            }
            TokKind::Kw(Kw::ParseVendorOption) => {
                c.skip();
                if !c.parse_semi() {
                    *lose = true;
                    return None;
                }
                Some(Executable::ParseVendorOption)
            }
            TokKind::Kw(Kw::Zone) => {
                c.skip();
                let Some(mut name) = c.parse_host_name() else {
                    c.error_help("expecting hostname.", "write zone NAME { … }");
                    *lose = true;
                    c.skip_to_semi();
                    return None;
                };
                if !name.ends_with('.') {
                    name.push('.');
                }
                let Some(zone) = self.zone(c, name) else {
                    *lose = true;
                    c.skip_to_semi();
                    return None;
                };
                Some(Executable::Zone(zone))
            }
            TokKind::Kw(Kw::Key) => {
                c.skip();
                let Some(key) = self.key(c) else {
                    *lose = true;
                    return None;
                };
                Some(Executable::Key(key))
            }
            _ => {
                if t.is_identifier() {
                    let word = c.string(&t);
                    let def = self.opts.registry.lookup_name("server", &word);
                    if let Some(def) = def {
                        let name = crate::options::OptionName {
                            written_space: None,
                            space: def.space().to_string(),
                            name: word,
                            code: def.code(),
                            known: true,
                        };
                        c.skip();
                        return self.option_statement(c, name, OptionOp::Parameter);
                    }
                }
                if matches!(t.kind, TokKind::Name | TokKind::NumberOrName) {
                    let Some(e) = self.expression(c, lose, ExprContext::Data, None, None) else {
                        if !*lose {
                            c.error_help(
                                "expecting function call.",
                                "a statement starting with a name is a function call: NAME (ARGS);",
                            );
                        } else {
                            *lose = true;
                        }
                        c.skip_to_semi();
                        return None;
                    };
                    if !c.parse_semi() {
                        *lose = true;
                        return None;
                    }
                    return Some(Executable::Eval(e));
                }
                *lose = false;
                None
            }
        }
    }

    /// `set`/`define`: a variable or a function definition.
    fn set_statement(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        ctx: ExprContext,
        define: bool,
    ) -> Option<Executable> {
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
        let t = c.next();
        if t.is_punct(b'(') {
            let mut args = Vec::new();
            let end = loop {
                let a = c.next();
                if a.is_punct(b')') {
                    break a;
                }
                if !matches!(a.kind, TokKind::Name | TokKind::NumberOrName) {
                    c.error_help("expecting argument name", "argument names are identifiers");
                    c.skip_to_rbrace(0);
                    *lose = true;
                    return None;
                }
                args.push(c.string(&a));
                let sep = c.next();
                if !sep.is_punct(b',') {
                    break sep;
                }
            };
            let badx = |c: &mut Cursor<'_>, lose: &mut bool| {
                c.skip_to_semi();
                *lose = true;
            };
            if !end.is_punct(b')') {
                c.error_help("expecting right paren.", "close the argument list with `)`");
                badx(c, lose);
                return None;
            }
            if !c.next().is_punct(b'{') {
                c.error_help(
                    "expecting left brace.",
                    "the function body is written in `{ }`",
                );
                badx(c, lose);
                return None;
            }
            let body = self.exec_statements(c, lose, ctx);
            if *lose {
                badx(c, lose);
                return None;
            }
            if !c.next().is_punct(b'}') {
                c.error_help("expecting rigt brace.", "close the function body with `}`");
                badx(c, lose);
                return None;
            }
            return Some(Executable::Function {
                define,
                name,
                args,
                body,
            });
        }
        if !t.is_punct(b'=') {
            c.error_help(
                format!(
                    "expecting '=' in {} statement.",
                    if define { "define" } else { "set" }
                ),
                format!(
                    "write {} NAME = EXPRESSION;",
                    if define { "define" } else { "set" }
                ),
            );
            c.skip_to_semi();
            *lose = true;
            return None;
        }
        let Some(value) = self.expression(c, lose, ExprContext::Any, None, None) else {
            if !*lose {
                c.error_help("expecting expression.", "write a value after `=`");
            }
            c.skip_to_semi();
            return None;
        };
        if !c.parse_semi() {
            *lose = true;
            return None;
        }
        Some(if define {
            Executable::Define { name, value }
        } else {
            Executable::Set { name, value }
        })
    }

    /// ISC's `parse_if_statement`, after `if` (or `elsif`, or `else if`).
    fn if_statement(&mut self, c: &mut Cursor<'_>, lose: &mut bool) -> Option<IfStmt> {
        let paren = c.peek_is(b'(');
        if paren {
            c.skip();
        }
        let Some(cond) = self.boolean_expression(c, lose) else {
            if !*lose {
                c.error_help(
                    "boolean expression expected.",
                    "write a condition, like option NAME = \"value\"",
                );
            }
            *lose = true;
            return None;
        };
        if paren && !c.next().is_punct(b')') {
            c.error_help("expecting right paren.", "close the condition with `)`");
            *lose = true;
            return None;
        }
        if !c.next().is_punct(b'{') {
            c.error_help(
                "left brace expected.",
                "the statements of an if are written in `{ }`",
            );
            c.skip_to_semi();
            *lose = true;
            return None;
        }
        let then = self.block_rest(c, lose, true)?;
        let otherwise = if c.peek_is_kw(Kw::Else) {
            c.skip();
            if c.peek_is_kw(Kw::If) {
                c.skip();
                let Some(inner) = self.if_statement(c, lose) else {
                    if !*lose {
                        c.error("expecting if statement");
                    }
                    *lose = true;
                    return None;
                };
                Some(Else::ElseIf(Box::new(inner)))
            } else if !c.peek_is(b'{') {
                c.error_help(
                    "left brace or if expected.",
                    "write else { … } or else if …",
                );
                c.skip_to_semi();
                *lose = true;
                return None;
            } else {
                c.skip();
                let body = self.block_rest(c, lose, false)?;
                Some(Else::Block(body))
            }
        } else if c.peek_is_kw(Kw::Elsif) {
            c.skip();
            let Some(inner) = self.if_statement(c, lose) else {
                if !*lose {
                    c.error("expecting conditional.");
                }
                *lose = true;
                return None;
            };
            Some(Else::Elsif(Box::new(inner)))
        } else {
            None
        };
        Some(IfStmt {
            cond,
            then,
            otherwise,
        })
    }

    /// ISC's `parse_on_statement`, after `on` (the entry point of
    /// [`crate::parser::StatementParser::on_statement`]).
    pub(crate) fn parse_on_statement(&mut self, c: &mut Cursor<'_>) -> Parsed<Executable> {
        let mut lose = false;
        match self.on_statement(c, &mut lose) {
            Some(e) => Parsed::Ok(e),
            None if lose => Parsed::Failed,
            None => Parsed::NotMine,
        }
    }

    /// ISC's `parse_on_statement`, after `on`.
    fn on_statement(&mut self, c: &mut Cursor<'_>, lose: &mut bool) -> Option<Executable> {
        let mut events = Vec::new();
        let t = loop {
            let t = c.next();
            let ev = match t.kind {
                TokKind::Kw(Kw::Expiry) => Event::Expiry,
                TokKind::Kw(Kw::Commit) => Event::Commit,
                TokKind::Kw(Kw::Release) => Event::Release,
                TokKind::Kw(Kw::Transmission) => Event::Transmission,
                _ => {
                    c.error_help(
                        "expecting a lease event type",
                        "events are commit, expiry and release (joined with `or`)",
                    );
                    c.skip_to_semi();
                    *lose = true;
                    return None;
                }
            };
            events.push(ev);
            let t = c.next();
            if !t.is_kw(Kw::Or) {
                break t;
            }
        };
        if t.is_punct(b';') {
            return Some(Executable::On { events, body: None });
        }
        if !t.is_punct(b'{') {
            c.error_help(
                "left brace expected.",
                "the statements are written in `{ }`",
            );
            c.skip_to_semi();
            *lose = true;
            return None;
        }
        let body = self.block_rest(c, lose, true)?;
        Some(Executable::On {
            events,
            body: Some(body),
        })
    }

    /// ISC's `parse_switch_statement`, after `switch`.
    fn switch_statement(&mut self, c: &mut Cursor<'_>, lose: &mut bool) -> Option<Executable> {
        let pfui = |c: &mut Cursor<'_>, lose: &mut bool| {
            *lose = true;
            c.skip_to_semi();
        };
        if !c.next().is_punct(b'(') {
            c.error_help("expecting left brace.", "write switch (EXPRESSION) { … }");
            pfui(c, lose);
            return None;
        }
        let Some(expr) = self.expression(c, lose, ExprContext::DataOrNumeric, None, None) else {
            if !*lose {
                c.error_help(
                    "expecting data or numeric expression.",
                    "switch on a data or numeric expression",
                );
                pfui(c, lose);
            }
            return None;
        };
        if !c.next().is_punct(b')') {
            c.error_help("right paren expected.", "close the expression with `)`");
            pfui(c, lose);
            return None;
        }
        if !c.next().is_punct(b'{') {
            c.error_help("left brace expected.", "the cases are written in `{ }`");
            pfui(c, lose);
            return None;
        }
        let ctx = if expr.is_data() {
            ExprContext::Data
        } else {
            ExprContext::Numeric
        };
        let body = self.exec_statements(c, lose, ctx);
        if *lose {
            c.skip_to_rbrace(1);
            return None;
        }
        if !c.next().is_punct(b'}') {
            c.error_help("right brace expected.", "close the switch with `}`");
            pfui(c, lose);
            return None;
        }
        Some(Executable::Switch { expr, body })
    }

    /// ISC's `parse_case_statement`, after `case`.
    fn case_statement(
        &mut self,
        c: &mut Cursor<'_>,
        lose: &mut bool,
        ctx: ExprContext,
    ) -> Option<Executable> {
        let Some(e) = self.expression(c, lose, ctx, None, None) else {
            if !*lose {
                c.error_help(
                    format!(
                        "expecting {} expression.",
                        if ctx == ExprContext::Data {
                            "data"
                        } else {
                            "numeric"
                        }
                    ),
                    "a case label has the type of the switch expression",
                );
            }
            *lose = true;
            c.skip_to_semi();
            return None;
        };
        if !c.next().is_punct(b':') {
            c.error_help("colon expected.", "write case VALUE:");
            *lose = true;
            c.skip_to_semi();
            return None;
        }
        Some(Executable::Case(e))
    }

    /// ISC's `parse_allow_deny`, after `allow`/`deny`/`ignore`. `None` (without `lose`, as
    /// in ISC) when the keyword is not a flag.
    fn allow_deny(&mut self, c: &mut Cursor<'_>) -> Option<AllowFlag> {
        let t = c.next();
        let flag = match t.kind {
            TokKind::Kw(Kw::Bootp) => AllowFlag::Bootp,
            TokKind::Kw(Kw::Booting) => AllowFlag::Booting,
            TokKind::Kw(Kw::DynamicBootp) => AllowFlag::DynamicBootp,
            TokKind::Kw(Kw::UnknownClients) => AllowFlag::UnknownClients,
            TokKind::Kw(Kw::Duplicates) => AllowFlag::Duplicates,
            TokKind::Kw(Kw::Declines) => AllowFlag::Declines,
            TokKind::Kw(Kw::ClientUpdates) => AllowFlag::ClientUpdates,
            TokKind::Kw(Kw::Leasequery) => AllowFlag::Leasequery,
            _ => {
                c.error_help(
                    "expecting allow/deny key",
                    "one of bootp, booting, dynamic-bootp, unknown-clients, duplicates, declines, client-updates, leasequery (pool permits like `members of` go inside a pool)",
                );
                c.skip_to_semi();
                return None;
            }
        };
        c.parse_semi();
        Some(flag)
    }

    /// ISC's `parse_zone`: the `{ … }` of a zone.
    fn zone(&mut self, c: &mut Cursor<'_>, name: String) -> Option<Zone> {
        let mut zone = Zone {
            name,
            ..Zone::default()
        };
        if !c.next().is_punct(b'{') {
            c.error_help(
                "expecting left brace",
                "write zone NAME { primary ADDRESS; key KEY; }",
            );
            return None;
        }
        let mut seen = [false; 4];
        loop {
            let kind = c.peek_kind();
            match kind {
                TokKind::Kw(kw @ (Kw::Primary | Kw::Secondary | Kw::Primary6 | Kw::Secondary6)) => {
                    let (idx, name) = match kw {
                        Kw::Primary => (0, "primary"),
                        Kw::Secondary => (1, "secondary"),
                        Kw::Primary6 => (2, "primary6"),
                        _ => (3, "secondary6"),
                    };
                    if seen[idx] {
                        c.error_help(
                            format!("more than one {name}."),
                            "list all the servers in one statement, separated by commas",
                        );
                        c.skip_to_semi();
                        return None;
                    }
                    seen[idx] = true;
                    c.skip();
                    if idx < 2 {
                        let list = zone_servers(
                            c,
                            |c| c.parse_ip_addr_or_hostname(),
                            "expecting IP addr or hostname.",
                            "write the DNS server's address",
                        )?;
                        if idx == 0 {
                            zone.primary = list;
                        } else {
                            zone.secondary = list;
                        }
                    } else {
                        let list = zone_servers(
                            c,
                            |c| c.parse_ip6_addr(),
                            "expecting IPv6 addr.",
                            "write the DNS server's IPv6 address",
                        )?;
                        if idx == 2 {
                            zone.primary6 = list;
                        } else {
                            zone.secondary6 = list;
                        }
                    }
                }
                TokKind::Kw(Kw::Key) => {
                    c.skip();
                    let name = if c.peek_kind() == TokKind::Str {
                        let s = c.next();
                        c.string(&s)
                    } else {
                        match c.parse_host_name() {
                            Some(n) => n,
                            None => {
                                c.error_help("expecting key name.", "write key KEYNAME;");
                                c.skip_to_semi();
                                return None;
                            }
                        }
                    };
                    if zone.key.is_some() {
                        // ISC stops here (log_fatal).
                        c.error(format!("Multiple key definitions for zone {}.", zone.name));
                        self.aborted = true;
                        return None;
                    }
                    if !self.opts.keys.contains(&name) {
                        c.error_help(
                            format!("unknown key {name}"),
                            "declare the key (key NAME { algorithm …; secret …; }) before the zone, or include the file that does",
                        );
                    } else {
                        zone.key = Some(name);
                    }
                    if !c.parse_semi() {
                        return None;
                    }
                }
                _ => break,
            }
        }
        if !c.next().is_punct(b'}') {
            c.error_help(
                "expecting right brace.",
                "a zone holds primary, secondary, primary6, secondary6 and key statements",
            );
            return None;
        }
        Some(zone)
    }

    /// ISC's `parse_key`, after `key`. Registers the key name.
    fn key(&mut self, c: &mut Cursor<'_>) -> Option<Key> {
        let mut key = Key::default();
        if c.peek_kind() == TokKind::Str {
            let s = c.next();
            key.name = c.string(&s);
        } else {
            match c.parse_host_name() {
                Some(n) => key.name = n,
                None => {
                    c.error_help("expecting key name.", "write key NAME { … }");
                    c.skip_to_semi();
                    return None;
                }
            }
        }
        if !c.next().is_punct(b'{') {
            c.error_help(
                "expecting left brace",
                "write key NAME { algorithm hmac-md5; secret \"BASE64\"; }",
            );
            return None;
        }
        let rbad = |c: &mut Cursor<'_>| {
            c.skip_to_rbrace(1);
        };
        let t = loop {
            let t = c.next();
            match t.kind {
                TokKind::Kw(Kw::Algorithm) => {
                    if key.algorithm.is_some() {
                        c.error_help(
                            format!("key {}: too many algorithms", key.name),
                            "give the algorithm once",
                        );
                        rbad(c);
                        return None;
                    }
                    match c.parse_host_name() {
                        Some(a) => key.algorithm = Some(a),
                        None => {
                            c.error_help(
                                "expecting key algorithm name.",
                                "for example hmac-md5 or hmac-sha256",
                            );
                            rbad(c);
                            return None;
                        }
                    }
                    if !c.parse_semi() {
                        rbad(c);
                        return None;
                    }
                }
                TokKind::Kw(Kw::Secret) => {
                    if key.secret.is_some() {
                        c.error_help(
                            format!("key {}: too many secrets", key.name),
                            "give the secret once",
                        );
                        rbad(c);
                        return None;
                    }
                    match c.parse_base64() {
                        Some(s) => key.secret = Some(s),
                        None => {
                            rbad(c);
                            return None;
                        }
                    }
                    if !c.parse_semi() {
                        rbad(c);
                        return None;
                    }
                }
                _ => break t,
            }
        };
        if !t.is_punct(b'}') {
            c.error_help(
                "expecting right brace.",
                "a key holds `algorithm NAME;` and `secret \"BASE64\";`",
            );
            rbad(c);
            return None;
        }
        if c.peek_is(b';') {
            c.skip();
        }
        if key.algorithm.is_none() || key.secret.is_none() {
            // ISC registers the key at once and, building its TSIG form, dereferences the
            // missing algorithm or secret: 4.4.3 dies of SIGSEGV here, before reading on.
            let missing = if key.algorithm.is_none() {
                "algorithm"
            } else {
                "secret"
            };
            c.push(
                crate::diag::Diagnostic::error(format!("key {}: no {missing}", key.name))
                    .with_help(
                        "ISC dhcpd 4.4.3 crashes on a key without both `algorithm` and `secret`; give both",
                    ),
            );
            self.aborted = true;
            return None;
        }
        if let Some(alg) = &key.algorithm {
            // ISC turns the key into a TSIG key at once and only logs when it cannot: an
            // algorithm other than the HMACs it knows (names completed as it completes them).
            let full = if !alg.contains('.') {
                format!("{alg}.SIG-ALG.REG.INT.")
            } else if alg.ends_with('.') {
                alg.clone()
            } else {
                format!("{alg}.")
            };
            let known = ["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"]
                .iter()
                .any(|h| full.eq_ignore_ascii_case(&format!("HMAC-{h}.SIG-ALG.REG.INT.")));
            if !known {
                self.log_line(
                    c,
                    format!("Unable to create tsec structure for {}", key.name),
                );
            }
        }
        self.opts.keys.insert(key.name.clone());
        Some(key)
    }
}

/// `ADDR[, ADDR…];` of a zone's `primary`/`secondary`/`primary6`/`secondary6` (the keyword
/// already consumed), each address read by `addr`. `None` after ISC's error is reported.
fn zone_servers<T>(
    c: &mut Cursor<'_>,
    mut addr: impl FnMut(&mut Cursor<'_>) -> Option<T>,
    expecting: &str,
    help: &str,
) -> Option<Vec<T>> {
    let mut list = Vec::new();
    let end = loop {
        match addr(c) {
            Some(a) => list.push(a),
            None => {
                c.error_help(expecting, help);
                c.skip_to_semi();
                return None;
            }
        }
        let t = c.next();
        if !t.is_punct(b',') {
            break t;
        }
    };
    if !end.is_punct(b';') {
        c.error_help("expecting semicolon.", "end the statement with `;`");
        c.skip_to_semi();
        return None;
    }
    Some(list)
}
