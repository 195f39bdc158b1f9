//! Executing scopes: the options and parameters in force for one client, found by running
//! the statements of its scopes from the outermost to the innermost (ISC's
//! `execute_statements_in_scope`), plus the side effects those statements ask for.
//!
//! The [`OptionSet`] is what the reply builder reads: per option space, option code → value
//! bytes (already evaluated). Server parameters (`default-lease-time`, `authoritative`-like
//! flags, `filename`, …) live in the `server` space like every other option, as in ISC.

use std::net::Ipv4Addr;
use std::rc::Rc;

use dhcpd_conf::exec::{AllowVerb, Else, Event, Executable, Expr, IfStmt, LogPriority, OptionOp};
use dhcpd_conf::options::{OptionName, OptionValue};
use dhcpd_leases::model::BindingValue;
use dhcpd_wire::options::value::{self, Value as WireValue};
use dhcpd_wire::options::{Format, FormatItem, Registry};

use crate::eval::{Env, Function, Machine, Value};
use crate::model::{HostM, Model, ScopeId};

/// One space's options, sorted by code.
type Codes = Vec<(u32, Vec<u8>)>;

/// The constant option statements of a scope's statement list encoded once (the first time
/// the scope runs), so that running the scope for a packet copies their bytes instead of
/// looking the option up and encoding its value again. Valid for the statement list it was
/// built from: [`crate::model::Scope`] resets it whenever its statements change, and each entry
/// also checks it is still looking at the same statement (list length and value address).
#[derive(Debug, Clone, Default)]
pub struct ScopeValues(std::sync::OnceLock<Encoded>);

/// See [`ScopeValues`]: the length of the statement list and, per top-level statement, the
/// encoded value of a constant `option`/`supersede`/`default` statement.
#[derive(Debug, Clone)]
struct Encoded {
    len: usize,
    stmts: Vec<Option<EncodedOption>>,
}

/// One constant option statement, resolved and encoded.
#[derive(Debug, Clone)]
struct EncodedOption {
    /// Address of the statement's value groups (identity check).
    at: usize,
    code: u32,
    /// The value; `None` when it does not encode (the option is set to nothing).
    bytes: Option<Vec<u8>>,
}

impl ScopeValues {
    /// The cache of `stmts`, built from `registry` on first use.
    fn get(&self, stmts: &[Executable], registry: &Registry) -> &Encoded {
        self.0.get_or_init(|| Encoded {
            len: stmts.len(),
            stmts: stmts
                .iter()
                .map(|st| encode_constant(st, registry))
                .collect(),
        })
    }
}

/// The address of a constant option value (what [`EncodedOption::at`] compares).
fn groups_at(groups: &[Vec<dhcpd_conf::options::Atom>]) -> usize {
    groups.as_ptr() as usize
}

/// A statement's [`EncodedOption`], for constant `option`/`supersede`/`default` (and `send`,
/// server parameters) statements whose option is defined; the value encoded as
/// [`Machine::option_statement`] does.
fn encode_constant(st: &Executable, reg: &Registry) -> Option<EncodedOption> {
    let Executable::Option {
        op:
            OptionOp::Option
            | OptionOp::Supersede
            | OptionOp::Parameter
            | OptionOp::Send
            | OptionOp::Default,
        name,
        value: OptionValue::Values(groups),
    } = st
    else {
        return None;
    };
    let def = reg
        .lookup_name(&name.space, &name.name)
        .or_else(|| reg.lookup_code(&name.space, name.code));
    let (code, bytes) = match def {
        Some(d) => (d.code(), encode_values(d.format(), groups)),
        None if name.known => (name.code, encode_values(&Format::string(), groups)),
        None => return None,
    };
    Some(EncodedOption {
        at: groups_at(groups),
        code,
        bytes,
    })
}

/// A space's name, borrowed for the spaces every reply uses (no copy per option set).
type SpaceName = std::borrow::Cow<'static, str>;

/// The name of `space`, without a copy when it is one of the usual ones.
fn space_name(space: &str) -> SpaceName {
    const USUAL: [&str; 3] = ["dhcp", "server", "agent"];
    match USUAL.iter().find(|&&u| u == space) {
        Some(&u) => SpaceName::Borrowed(u),
        None => SpaceName::Owned(space.to_string()),
    }
}

/// Options in force, by space and code.
///
/// Small and built once per reply: the spaces (usually `dhcp` and `server`) are a list in the
/// order of first use, each with its options sorted by code, so that setting and reading an
/// option compares names without building a key.
#[derive(Debug, Clone, Default)]
pub struct OptionSet {
    spaces: Vec<(SpaceName, Codes)>,
    /// Options set by a statement whose value evaluated to nothing: ISC keeps the statement,
    /// so the option exists (a later `default` does not replace it, `append`/`prepend` keep
    /// it nothing) but has no value (it is not sent, `config-option` is nothing). Each
    /// (space, code) at most once.
    undefined: Vec<(String, u32)>,
}

impl PartialEq for OptionSet {
    /// The same options in the same spaces, and the same options set to nothing, whatever
    /// the order the spaces were first used in.
    fn eq(&self, other: &OptionSet) -> bool {
        self.spaces.len() == other.spaces.len()
            && self.undefined.len() == other.undefined.len()
            && self
                .spaces
                .iter()
                .all(|(name, opts)| other.codes(name) == Some(opts))
            && self
                .undefined
                .iter()
                .all(|(s, c)| other.is_undefined(s, *c))
    }
}

impl Eq for OptionSet {}

impl OptionSet {
    /// The options of a space, sorted by code.
    fn codes(&self, space: &str) -> Option<&Codes> {
        self.spaces
            .iter()
            .find(|(name, _)| name == space)
            .map(|(_, opts)| opts)
    }

    /// The options of a space, which is added when it is new.
    fn codes_mut(&mut self, space: &str) -> &mut Codes {
        let i = match self.spaces.iter().position(|(name, _)| name == space) {
            Some(i) => i,
            None => {
                self.spaces.push((space_name(space), Vec::with_capacity(8)));
                self.spaces.len() - 1
            }
        };
        &mut self.spaces[i].1
    }

    /// The value slot of an option, created empty when the option is not set.
    fn slot(&mut self, space: &str, code: u32) -> &mut Vec<u8> {
        let opts = self.codes_mut(space);
        let i = match opts.binary_search_by_key(&code, |(c, _)| *c) {
            Ok(i) => i,
            Err(i) => {
                opts.insert(i, (code, Vec::new()));
                i
            }
        };
        &mut opts[i].1
    }

    fn is_undefined(&self, space: &str, code: u32) -> bool {
        self.undefined.iter().any(|(s, c)| *c == code && s == space)
    }

    fn forget_undefined(&mut self, space: &str, code: u32) {
        if let Some(i) = self
            .undefined
            .iter()
            .position(|(s, c)| *c == code && s == space)
        {
            self.undefined.swap_remove(i);
        }
    }

    /// The value of an option.
    pub fn get(&self, space: &str, code: u32) -> Option<&[u8]> {
        let opts = self.codes(space)?;
        let i = opts.binary_search_by_key(&code, |(c, _)| *c).ok()?;
        Some(opts[i].1.as_slice())
    }

    /// `option` / `supersede`: sets the value.
    pub fn set(&mut self, space: &str, code: u32, value: Vec<u8>) {
        self.forget_undefined(space, code);
        *self.slot(space, code) = value;
    }

    /// `default`: sets the value only when none is set.
    pub fn set_default(&mut self, space: &str, code: u32, value: Vec<u8>) {
        if self.is_undefined(space, code) {
            return;
        }
        let opts = self.codes_mut(space);
        if let Err(i) = opts.binary_search_by_key(&code, |(c, _)| *c) {
            opts.insert(i, (code, value));
        }
    }

    /// `prepend`: puts `value` before the current value.
    pub fn prepend(&mut self, space: &str, code: u32, mut value: Vec<u8>) {
        if self.is_undefined(space, code) {
            return;
        }
        let slot = self.slot(space, code);
        value.extend_from_slice(slot);
        *slot = value;
    }

    /// `append`: puts `value` after the current value.
    pub fn append(&mut self, space: &str, code: u32, value: &[u8]) {
        if self.is_undefined(space, code) {
            return;
        }
        self.slot(space, code).extend_from_slice(value);
    }

    /// Removes an option.
    pub fn remove(&mut self, space: &str, code: u32) {
        self.forget_undefined(space, code);
        if let Some((_, opts)) = self.spaces.iter_mut().find(|(name, _)| name == space) {
            if let Ok(i) = opts.binary_search_by_key(&code, |(c, _)| *c) {
                opts.remove(i);
            }
        }
    }

    /// Marks an option as set by a statement whose value is nothing (see the field).
    pub fn set_undefined(&mut self, space: &str, code: u32) {
        if let Some((_, opts)) = self.spaces.iter_mut().find(|(name, _)| name == space) {
            if let Ok(i) = opts.binary_search_by_key(&code, |(c, _)| *c) {
                opts.remove(i);
            }
        }
        if !self.is_undefined(space, code) {
            self.undefined.push((space.to_string(), code));
        }
    }

    /// Whether a statement set the option (with a value or with nothing).
    pub fn is_set(&self, space: &str, code: u32) -> bool {
        self.get(space, code).is_some() || self.is_undefined(space, code)
    }

    /// Every option of a space, by code.
    pub fn space(&self, space: &str) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        self.codes(space)
            .into_iter()
            .flat_map(|m| m.iter().map(|(c, v)| (*c, v.as_slice())))
    }

    /// A server parameter by name.
    pub fn server(&self, reg: &Registry, name: &str) -> Option<&[u8]> {
        self.param(Param::new(reg, name))
    }

    /// A 32-bit server parameter (lease times, ...).
    pub fn server_u32(&self, reg: &Registry, name: &str) -> Option<u32> {
        self.param_u32(Param::new(reg, name))
    }

    /// A boolean server parameter (`ping-check`, `one-lease-per-client`, ...).
    pub fn server_flag(&self, reg: &Registry, name: &str) -> Option<bool> {
        self.param_flag(Param::new(reg, name))
    }

    /// An address-valued server parameter (`next-server`, `server-identifier` is in dhcp).
    pub fn server_addr(&self, reg: &Registry, name: &str) -> Option<Ipv4Addr> {
        self.param_addr(Param::new(reg, name))
    }

    /// A server parameter whose code was looked up before ([`Param::new`]).
    pub fn param(&self, p: Param) -> Option<&[u8]> {
        self.get("server", p.0?)
    }

    /// [`OptionSet::server_u32`] for a parameter looked up before.
    pub fn param_u32(&self, p: Param) -> Option<u32> {
        let v = self.param(p)?;
        Some(match *v {
            [a, b, c, d, ..] => u32::from_be_bytes([a, b, c, d]),
            [a, b] => u32::from(u16::from_be_bytes([a, b])),
            [a] | [a, _, _] => u32::from(a),
            [] => return None,
        })
    }

    /// [`OptionSet::server_flag`] for a parameter looked up before.
    pub fn param_flag(&self, p: Param) -> Option<bool> {
        self.param(p).and_then(|v| v.first()).map(|&b| b != 0)
    }

    /// [`OptionSet::server_addr`] for a parameter looked up before.
    pub fn param_addr(&self, p: Param) -> Option<Ipv4Addr> {
        match *self.param(p)? {
            [a, b, c, d, ..] => Some(Ipv4Addr::new(a, b, c, d)),
            _ => None,
        }
    }
}

/// A server parameter (an option of the `server` space) by its code, looked up by name once
/// in a registry so that reading it per packet needs no name look-up. Valid for that
/// registry only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param(Option<u32>);

impl Param {
    /// The parameter `name` of `reg` (one that `reg` does not define is never set).
    pub fn new(reg: &Registry, name: &str) -> Param {
        Param(reg.lookup_name("server", name).map(|d| d.code()))
    }
}

/// Something a statement asks for besides setting options.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `log (…)`: ISC's priority name (`fatal`, `error`, `info`, or `debug` — ISC's default
    /// when none is written) and the text. ISC exits after a `fatal` log.
    Log(String, String),
    /// `execute ("cmd", args…)`: only when every argument evaluated (ISC logs
    /// `execute: bad arg N` at debug level and runs nothing otherwise).
    Execute {
        /// The program.
        command: Vec<u8>,
        /// Its arguments, evaluated.
        args: Vec<Vec<u8>>,
    },
    /// `add "class"`: the client joins the class (ISC's `classify`).
    AddClass(String),
    /// `set NAME = VALUE;` of a data value in the scope statements run in (the lease's binding
    /// scope).
    Set(String, Vec<u8>),
    /// `unset NAME;` in that scope — also `set NAME = …` whose value is nothing, which ISC
    /// stores as a binding without a value.
    Unset(String),
    /// `set NAME = VALUE;` of a numeric or boolean value in that scope (data values come as
    /// [`Effect::Set`]).
    Bind {
        /// The variable.
        name: String,
        /// Its value.
        value: BindingValue,
    },
    /// `on EVENTS { … }`: the statements to run when the lease is committed, expires or is
    /// released. ISC stores them on the lease, replacing what an earlier `on` set for the same
    /// event; `body: None` (`on commit;`) clears the event. The lease code runs the stored
    /// `commit` statements after the lease is committed (not for an offer), `expiry` and
    /// `release` ones when that happens, with [`execute`].
    On {
        /// The events.
        events: Vec<Event>,
        /// The statements.
        body: Option<Vec<Executable>>,
    },
}

/// What a statement sees while it runs.
#[derive(Debug, Clone, Copy)]
pub struct EvalCtx<'a> {
    /// Current time, seconds since the epoch.
    pub now: i64,
    /// The served configuration.
    pub model: &'a Model,
    /// Option spaces and definitions.
    pub registry: &'a Registry,
    /// The client's message, when a packet is being answered.
    pub packet: Option<&'a dhcpd_wire::message::Message>,
    /// The client's lease, when there is one.
    pub lease: Option<&'a dhcpd_leases::model::Lease>,
    /// The client's host declaration, if any (`known` is true when there is one).
    pub host: Option<&'a HostM>,
    /// Classes the client is in (indices into `model.classes`).
    pub classes: &'a [usize],
}

/// Runs the statements of `scopes` (outermost first) into `out`, collecting side effects.
///
/// Variables start from the lease's bindings plus the `Set`/`Bind`/`Unset` effects already in
/// `effects`; functions defined by an earlier call are not seen — use [`execute_scopes_in`]
/// with one [`Env`] per client to keep everything.
pub fn execute_scopes(
    ctx: &EvalCtx<'_>,
    scopes: &[ScopeId],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    let mut env = Env::for_lease(ctx.lease);
    env.replay(effects);
    execute_scopes_in(ctx, &mut env, scopes, out, effects);
}

/// [`execute_scopes`] with the caller's environment (variables, functions and the client's
/// decoded options carry over from call to call).
pub fn execute_scopes_in(
    ctx: &EvalCtx<'_>,
    env: &mut Env,
    scopes: &[ScopeId],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    for &s in scopes {
        if let Some(scope) = ctx.model.scopes.get(s) {
            let encoded = scope.values.get(&scope.stmts, ctx.registry);
            let mut m = Machine {
                ctx,
                env,
                out: Some(&mut *out),
                effects,
            };
            let pre = (encoded.len == scope.stmts.len()).then_some(encoded.stmts.as_slice());
            let _ = m.run_with(&scope.stmts, pre, false);
        }
    }
}

/// Runs a list of statements (ISC's `execute_statements`): options, conditionals, variables,
/// side effects. Variables start as for [`execute_scopes`].
pub fn execute(
    ctx: &EvalCtx<'_>,
    stmts: &[Executable],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    let mut env = Env::for_lease(ctx.lease);
    env.replay(effects);
    execute_in(ctx, &mut env, stmts, out, effects);
}

/// [`execute`] with the caller's environment.
pub fn execute_in(
    ctx: &EvalCtx<'_>,
    env: &mut Env,
    stmts: &[Executable],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    let mut m = Machine {
        ctx,
        env,
        out: Some(out),
        effects,
    };
    let _ = m.run(stmts, false);
}

impl Machine<'_, '_> {
    /// Runs statements. `in_function`: inside a function body, where `return` with a value
    /// ends the function (elsewhere ISC evaluates it and goes on). Returns the returned
    /// value. `break` ends the statement list it is in, and only that one (as in ISC, a `break`
    /// inside an `if` inside a `case` leaves the `if` only).
    pub fn run(&mut self, stmts: &[Executable], in_function: bool) -> Option<Value> {
        self.run_with(stmts, None, in_function)
    }

    /// [`Machine::run`] with, for a scope's statement list, its constant option statements
    /// encoded before ([`ScopeValues`]; one entry per statement).
    fn run_with(
        &mut self,
        stmts: &[Executable],
        pre: Option<&[Option<EncodedOption>]>,
        in_function: bool,
    ) -> Option<Value> {
        for (i, st) in stmts.iter().enumerate() {
            match st {
                Executable::Option { op, name, value } => {
                    let known = pre.and_then(|p| p.get(i)).and_then(Option::as_ref);
                    match (known, value) {
                        (Some(e), OptionValue::Values(g)) if e.at == groups_at(g) => {
                            self.encoded_option_statement(*op, name, e);
                        }
                        _ => self.option_statement(*op, name, value),
                    }
                }
                Executable::If(i) => {
                    if let Some(v) = self.run_if(i, in_function) {
                        return Some(v);
                    }
                }
                Executable::Switch { expr, body } => {
                    if let Some(start) = self.find_case(expr, body) {
                        let rest = body.get(start..).unwrap_or_default();
                        if let Some(v) = self.run(rest, in_function) {
                            return Some(v);
                        }
                    }
                }
                Executable::Case(_) | Executable::SwitchDefault => {}
                Executable::On { events, body } => self.effects.push(Effect::On {
                    events: events.clone(),
                    body: body.clone(),
                }),
                // ISC's `define NAME = EXPR;` stores the expression as a broken function
                // binding; here it binds the value like `set`.
                Executable::Set { name, value } | Executable::Define { name, value } => {
                    let v = self.any(value);
                    self.bind(name, v);
                }
                Executable::Function {
                    define,
                    name,
                    args,
                    body,
                } => {
                    // `set NAME (…) { … }` binds nothing in ISC (the function is not a value).
                    let v = define.then(|| {
                        Value::Function(Rc::new(Function {
                            args: args.clone(),
                            body: body.clone(),
                        }))
                    });
                    self.bind(name, v);
                }
                Executable::Unset(name) => {
                    if self.env.unset(name) == Some(true) {
                        self.effects.push(Effect::Unset(name.clone()));
                    }
                }
                Executable::Eval(e) => {
                    let _ = self.any(e);
                }
                Executable::Execute { command, args } => {
                    let mut vals = Vec::with_capacity(args.len());
                    let mut ok = true;
                    for a in args {
                        match self.data(a) {
                            Some(v) => vals.push(v),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        self.effects.push(Effect::Execute {
                            command: command.clone(),
                            args: vals,
                        });
                    }
                }
                Executable::Log { priority, expr } => {
                    if let Some(text) = self.data(expr) {
                        let p = match priority.unwrap_or(LogPriority::Debug) {
                            LogPriority::Fatal => "fatal",
                            LogPriority::Error => "error",
                            LogPriority::Debug => "debug",
                            LogPriority::Info => "info",
                        };
                        self.effects.push(Effect::Log(
                            p.to_string(),
                            String::from_utf8_lossy(&text).into_owned(),
                        ));
                    }
                }
                Executable::Add(class) => self.effects.push(Effect::AddClass(class.clone())),
                Executable::Break => return None,
                Executable::Return(e) => {
                    let v = self.any(e);
                    if in_function && v.is_some() {
                        return v;
                    }
                }
                Executable::AllowDeny { verb, flag } => {
                    let b = match verb {
                        AllowVerb::Allow => 1,
                        AllowVerb::Deny => 0,
                        AllowVerb::Ignore => 2,
                    };
                    if let Some(out) = self.out.as_deref_mut() {
                        out.set("server", flag.server_code(), vec![b]);
                    }
                }
                Executable::ParseVendorOption => self.parse_vendor_option(),
                Executable::Zone(_) | Executable::Key(_) | Executable::DbTimeFormat(_) => {}
            }
        }
        None
    }

    fn run_if(&mut self, i: &IfStmt, in_function: bool) -> Option<Value> {
        if self.boolean(&i.cond) == Some(true) {
            return self.run(&i.then, in_function);
        }
        match &i.otherwise {
            None => None,
            Some(Else::Block(b)) => self.run(b, in_function),
            Some(Else::ElseIf(n) | Else::Elsif(n)) => self.run_if(n, in_function),
        }
    }

    /// ISC's `find_matching_case`: the index of the statement after the matching `case` (or
    /// after `default:` when none matches).
    fn find_case(&mut self, expr: &Expr, body: &[Executable]) -> Option<usize> {
        if expr.is_data() {
            if let Some(v) = self.data(expr) {
                for (i, st) in body.iter().enumerate() {
                    if let Executable::Case(c) = st {
                        if self.data(c).as_ref() == Some(&v) {
                            return Some(i + 1);
                        }
                    }
                }
            }
        } else if let Some(n) = self.numeric(expr) {
            for (i, st) in body.iter().enumerate() {
                if let Executable::Case(c) = st {
                    if self.numeric(c) == Some(n) {
                        return Some(i + 1);
                    }
                }
            }
        }
        body.iter()
            .position(|s| matches!(s, Executable::SwitchDefault))
            .map(|i| i + 1)
    }

    /// `set`: binds and reports a change of the outermost scope.
    fn bind(&mut self, name: &str, v: Option<Value>) {
        let effect = match &v {
            None => Some(Effect::Unset(name.to_string())),
            Some(Value::Data(d)) => Some(Effect::Set(name.to_string(), d.clone())),
            Some(other) => other.to_binding().map(|value| Effect::Bind {
                name: name.to_string(),
                value,
            }),
        };
        if self.env.set(name, v) {
            if let Some(e) = effect {
                self.effects.push(e);
            }
        }
    }

    /// [`Machine::option_statement`] for a constant value encoded before: the same effect
    /// on the option set, without the look-up and the encoding.
    fn encoded_option_statement(&mut self, op: OptionOp, name: &OptionName, e: &EncodedOption) {
        let Some(out) = self.out.as_deref_mut() else {
            return;
        };
        let space = name.space.as_str();
        let code = e.code;
        match (&e.bytes, op) {
            (None, OptionOp::Default) if out.is_set(space, code) => {}
            (None, _) => out.set_undefined(space, code),
            (Some(b), OptionOp::Default) => {
                if !out.is_set(space, code) {
                    out.set_default(space, code, b.clone());
                }
            }
            (Some(b), _) => out.set(space, code, b.clone()),
        }
    }

    /// An option statement (ISC's `set_option`). Values are evaluated now, in this context
    /// (ISC keeps the expression and evaluates it when the reply is built; the difference only
    /// shows if something the expression reads changes in between).
    fn option_statement(&mut self, op: OptionOp, name: &OptionName, value: &OptionValue) {
        let reg = self.ctx.registry;
        let def = reg
            .lookup_name(&name.space, &name.name)
            .or_else(|| reg.lookup_code(&name.space, name.code));
        let (code, format) = match def {
            Some(d) => (d.code(), std::borrow::Cow::Borrowed(d.format())),
            None if name.known => (name.code, std::borrow::Cow::Owned(Format::string())),
            None => return,
        };
        let bytes = match value {
            OptionValue::None => {
                if format.items().first() == Some(&FormatItem::ZeroLength) {
                    Some(Vec::new())
                } else {
                    return;
                }
            }
            OptionValue::Values(groups) => encode_values(&format, groups),
            OptionValue::Expr(e) => self.data(e),
        };
        let Some(out) = self.out.as_deref_mut() else {
            return;
        };
        let space = name.space.as_str();
        let Some(bytes) = bytes else {
            match op {
                OptionOp::Default if out.is_set(space, code) => {}
                _ => out.set_undefined(space, code),
            }
            return;
        };
        let dc = format.items().first() == Some(&FormatItem::DomainList { compressed: true });
        match op {
            OptionOp::Option | OptionOp::Supersede | OptionOp::Parameter | OptionOp::Send => {
                out.set(space, code, bytes)
            }
            OptionOp::Default => out.set_default(space, code, bytes),
            OptionOp::Prepend | OptionOp::Append if dc && out.get(space, code).is_some() => {
                let old = out.get(space, code).unwrap_or_default().to_vec();
                let (first, second) = if op == OptionOp::Append {
                    (old, bytes)
                } else {
                    (bytes, old)
                };
                match concat_domain_lists(&format, &first, &second) {
                    Some(v) => out.set(space, code, v),
                    None => out.set_undefined(space, code),
                }
            }
            OptionOp::Prepend => out.prepend(space, code, bytes),
            OptionOp::Append => out.append(space, code, &bytes),
        }
    }
}

/// ISC's `concat_dclists`: two compressed domain lists decoded, joined and compressed again.
fn concat_domain_lists(format: &Format, a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut names = Vec::new();
    for part in [a, b] {
        for v in value::decode(format, part).ok()? {
            if let WireValue::DomainList(n) = v {
                names.extend(n);
            }
        }
    }
    value::encode(format, &[WireValue::DomainList(names)]).ok()
}

/// The wire bytes of a constant option value (records concatenated in order), without knowing
/// the option's format (domain lists uncompressed, enumerations one byte). Prefer
/// [`encode_values`].
pub fn constant_value(v: &OptionValue) -> Option<Vec<u8>> {
    match v {
        OptionValue::None => Some(Vec::new()),
        OptionValue::Expr(_) => None,
        OptionValue::Values(groups) => encode_values(&Format::string(), groups),
    }
}

pub use dhcpd_conf::encode::encode_values;

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_conf::{MemLoader, ParseOptions, parse_config};

    #[test]
    fn inner_scopes_win_and_defaults_do_not_override() {
        let text = "default-lease-time 600;\noption domain-name \"example.org\";\n\
                    subnet 198.51.100.0 netmask 255.255.255.0 {\n default-lease-time 300;\n \
                    default domain-name \"ignored.example\";\n option routers 198.51.100.1;\n}\n";
        let mut l = MemLoader::single("t.conf", text);
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        let model = Model::from_config(&out.config);
        let ctx = EvalCtx {
            now: 0,
            model: &model,
            registry: &out.registry,
            packet: None,
            lease: None,
            host: None,
            classes: &[],
        };
        let mut set = OptionSet::default();
        let mut fx = Vec::new();
        execute_scopes(
            &ctx,
            &model.chain(model.subnets[0].scope),
            &mut set,
            &mut fx,
        );
        assert_eq!(
            set.server_u32(&out.registry, "default-lease-time"),
            Some(300)
        );
        assert_eq!(set.get("dhcp", 15), Some(&b"example.org"[..]));
        assert_eq!(set.get("dhcp", 3), Some(&[198, 51, 100, 1][..]));
    }

    #[test]
    fn encoded_values_follow_statement_changes() {
        let text = "option routers 198.51.100.1;\ndefault domain-name \"a.example\";\n\
                    default-lease-time 600;\n\
                    subnet 198.51.100.0 netmask 255.255.255.0 {\n option domain-name \"b.example\";\n}\n";
        let mut l = MemLoader::single("t.conf", text);
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        let mut model = Model::from_config(&out.config);
        let run = |model: &Model| {
            let ctx = EvalCtx {
                now: 0,
                model,
                registry: &out.registry,
                packet: None,
                lease: None,
                host: None,
                classes: &[],
            };
            let mut set = OptionSet::default();
            execute_scopes(
                &ctx,
                &model.chain(model.subnets[0].scope),
                &mut set,
                &mut Vec::new(),
            );
            set
        };
        // First run fills the cache, the second reads it: the same options.
        let first = run(&model);
        assert_eq!(first.get("dhcp", 3), Some(&[198, 51, 100, 1][..]));
        assert_eq!(first.get("dhcp", 15), Some(&b"b.example"[..]));
        assert_eq!(
            first.server_u32(&out.registry, "default-lease-time"),
            Some(600)
        );
        assert_eq!(run(&model), first);
        // New global statements (as a run-time change would bring): the new values count.
        let routers = Executable::Option {
            op: OptionOp::Supersede,
            name: OptionName {
                written_space: None,
                space: "dhcp".into(),
                name: "routers".into(),
                code: 3,
                known: true,
            },
            value: OptionValue::Values(vec![vec![dhcpd_conf::options::Atom::Addr(
                dhcpd_conf::basic::AddrOrName::Addr(Ipv4Addr::new(192, 0, 2, 9)),
            )]]),
        };
        model.scopes[0].stmts = vec![routers];
        model.scopes[0].values = ScopeValues::default();
        let second = run(&model);
        assert_eq!(second.get("dhcp", 3), Some(&[192, 0, 2, 9][..]));
        assert_eq!(second.server_u32(&out.registry, "default-lease-time"), None);
        // Even without the reset, a changed statement is not taken from the cache.
        let mut changed = model.scopes[0].stmts.clone();
        if let Some(Executable::Option { value, .. }) = changed.first_mut() {
            *value = OptionValue::Values(vec![vec![dhcpd_conf::options::Atom::Addr(
                dhcpd_conf::basic::AddrOrName::Addr(Ipv4Addr::new(192, 0, 2, 10)),
            )]]);
        }
        let keep = std::mem::replace(&mut model.scopes[0].stmts, changed);
        drop(keep);
        assert_eq!(run(&model).get("dhcp", 3), Some(&[192, 0, 2, 10][..]));
    }

    use crate::eval::tests::{Conf, conf, packet};
    use dhcpd_wire::message::Message;

    /// Runs the global scope's statements for a packet; the options and effects.
    fn run(c: &Conf, m: Option<&Message>) -> (OptionSet, Vec<Effect>) {
        let ctx = EvalCtx {
            now: 0,
            model: &c.model,
            registry: &c.out.registry,
            packet: m,
            lease: None,
            host: None,
            classes: &[],
        };
        let mut set = OptionSet::default();
        let mut fx = Vec::new();
        execute_scopes(&ctx, &[0], &mut set, &mut fx);
        (set, fx)
    }

    fn logs(fx: &[Effect]) -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Log(p, t) => Some(format!("{p}: {t}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn conditionals() {
        let c = conf(
            "if option host-name = \"a1\" { log(info, \"one\"); }\n\
             elsif option host-name = \"b2\" { log(info, \"two\"); }\n\
             else { log(info, \"other\"); }\n\
             if option domain-name = \"x\" { log(info, \"nothing is false\"); }\n\
             else if not exists domain-name { log(\"else if\"); }\n",
        );
        let m = packet(&[(12, b"b2")]);
        assert_eq!(logs(&run(&c, Some(&m)).1), ["info: two", "debug: else if"]);
        let m = packet(&[(12, b"zz")]);
        assert_eq!(
            logs(&run(&c, Some(&m)).1),
            ["info: other", "debug: else if"]
        );
    }

    #[test]
    fn switch_case_default_and_break() {
        let c = conf(
            "switch (option host-name) {\n\
               case \"aa\": log(info, \"aa\");\n\
               case \"bb\": log(info, \"bb\"); break;\n\
               case \"cc\": if true = true { log(info, \"cc\"); break; } log(info, \"after if\");\n\
               default: log(info, \"default\");\n\
             }\n\
             switch (extract-int(option ip-forwarding, 8)) {\n\
               case 1: log(info, \"one\"); break;\n\
               case 0: log(info, \"zero\"); break;\n\
             }\n",
        );
        let got = |name: &[u8]| {
            let m = packet(&[(12, name), (19, &[0])]);
            logs(&run(&c, Some(&m)).1)
        };
        assert_eq!(
            got(b"aa"),
            ["info: aa", "info: bb", "info: zero"],
            "falls through"
        );
        assert_eq!(got(b"bb"), ["info: bb", "info: zero"]);
        assert_eq!(
            got(b"cc"),
            ["info: cc", "info: after if", "info: default", "info: zero"],
            "a break inside an if leaves the if only (ISC)"
        );
        assert_eq!(got(b"zz"), ["info: default", "info: zero"]);
        // No option: the data switch takes default; the numeric one matches nothing.
        let m = packet(&[]);
        assert_eq!(logs(&run(&c, Some(&m)).1), ["info: default"]);
    }

    #[test]
    fn option_statements_with_expressions_and_formats() {
        let c = conf(
            "option domain-name = concat(\"x.\", option host-name);\n\
             option domain-search \"example.com\", \"sub.example.com\";\n\
             append domain-search \"example.org\";\n\
             option routers 198.51.100.1, 198.51.100.2;\n\
             option host-name = null;\n\
             default host-name \"ignored\";\n\
             option nis-domain = option nis-domain;\n\
             append nis-domain \"x\";\n\
             option dhcp-renewal-time 600;\n\
             option default-ip-ttl 64;\n\
             prepend domain-name-servers 192.0.2.53;\n\
             append domain-name-servers 192.0.2.54;\n\
             ddns-update-style none;\n\
             allow bootp;\n\
             deny unknown-clients;\n\
             ignore declines;\n\
             default-lease-time = encode-int(7200, 32);\n\
             option vendor-class-identifier = config-option domain-name;\n",
        );
        let m = packet(&[(12, b"host")]);
        let (set, _) = run(&c, Some(&m));
        let reg = &c.out.registry;
        assert_eq!(set.get("dhcp", 15), Some(&b"x.host"[..]));
        assert_eq!(
            set.get("dhcp", 119),
            Some(&b"\x07example\x03com\x00\x03sub\xc0\x00\x07example\x03org\x00"[..]),
            "compressed list, appended list recompressed"
        );
        assert_eq!(
            set.get("dhcp", 3),
            Some(&[198, 51, 100, 1, 198, 51, 100, 2][..])
        );
        assert_eq!(set.get("dhcp", 12), None, "a value of nothing is not sent");
        assert!(set.is_set("dhcp", 12), "…but `default` does not replace it");
        assert_eq!(
            set.get("dhcp", 40),
            None,
            "appending to nothing stays nothing"
        );
        assert_eq!(set.get("dhcp", 58), Some(&[0, 0, 2, 0x58][..]));
        assert_eq!(set.get("dhcp", 23), Some(&[64][..]));
        assert_eq!(
            set.get("dhcp", 6),
            Some(&[192, 0, 2, 53, 192, 0, 2, 54][..])
        );
        assert_eq!(
            set.server(reg, "ddns-update-style"),
            Some(&[0][..]),
            "enum `none`"
        );
        assert_eq!(set.server_flag(reg, "allow-bootp"), Some(true));
        assert_eq!(set.server(reg, "boot-unknown-clients"), Some(&[0][..]));
        assert_eq!(set.server(reg, "declines"), Some(&[2][..]));
        assert_eq!(set.server_u32(reg, "default-lease-time"), Some(7200));
        assert_eq!(
            set.get("dhcp", 60),
            Some(&b"x.host"[..]),
            "config-option reads the set"
        );
    }

    #[test]
    fn side_effects() {
        let c = conf(
            "class \"extra\" { }\n\
             log(\"default priority\");\n\
             log(error, concat(\"client \", option host-name));\n\
             log(info, option domain-name);\n\
             execute(\"/bin/true\", \"a\", option host-name);\n\
             execute(\"/bin/false\", option domain-name);\n\
             if option host-name = \"h\" { add \"extra\"; }\n\
             on commit { log(info, \"committed\"); }\n\
             on expiry or release;\n",
        );
        let m = packet(&[(12, b"h")]);
        let (_, fx) = run(&c, Some(&m));
        assert_eq!(logs(&fx), ["debug: default priority", "error: client h"]);
        assert!(fx.contains(&Effect::Execute {
            command: b"/bin/true".to_vec(),
            args: vec![b"a".to_vec(), b"h".to_vec()],
        }));
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Execute { command, .. } if command == b"/bin/false")),
            "an argument that is nothing: not run"
        );
        assert!(fx.contains(&Effect::AddClass("extra".into())));
        let ons: Vec<_> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::On { events, body } => Some((events.clone(), body.is_some())),
                _ => None,
            })
            .collect();
        assert_eq!(
            ons,
            [
                (vec![Event::Commit], true),
                (vec![Event::Expiry, Event::Release], false)
            ]
        );
    }

    #[test]
    fn bindings_carry_over_between_calls() {
        let c = conf(
            "set seen = \"yes\";\n\
             group { if seen = \"yes\" { log(info, \"seen\"); } }\n",
        );
        let ctx = EvalCtx {
            now: 0,
            model: &c.model,
            registry: &c.out.registry,
            packet: None,
            lease: None,
            host: None,
            classes: &[],
        };
        let mut set = OptionSet::default();
        let mut fx = Vec::new();
        execute_scopes(&ctx, &[0], &mut set, &mut fx);
        execute_scopes(&ctx, &[1], &mut set, &mut fx);
        assert_eq!(logs(&fx), ["info: seen"]);
    }
}
