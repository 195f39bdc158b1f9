//! Executing scopes: the options and parameters in force for one client, found by running
//! the statements of its scopes from the outermost to the innermost (ISC's
//! `execute_statements_in_scope`), plus the side effects those statements ask for.
//!
//! The [`OptionSet`] is what the reply builder reads: per option space, option code → value
//! bytes (already evaluated). Server parameters (`default-lease-time`, `authoritative`-like
//! flags, `filename`, …) live in the `server` space like every other option, as in ISC.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use dhcpd_conf::exec::{Executable, OptionOp};
use dhcpd_conf::options::{Atom, IntKind, OptionValue};
use dhcpd_wire::options::Registry;

use crate::model::{HostM, Model, ScopeId};

/// Options in force, by space and code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionSet {
    spaces: HashMap<String, BTreeMap<u32, Vec<u8>>>,
}

impl OptionSet {
    /// The value of an option.
    pub fn get(&self, space: &str, code: u32) -> Option<&[u8]> {
        self.spaces.get(space)?.get(&code).map(Vec::as_slice)
    }

    /// `option` / `supersede`: sets the value.
    pub fn set(&mut self, space: &str, code: u32, value: Vec<u8>) {
        self.spaces
            .entry(space.to_string())
            .or_default()
            .insert(code, value);
    }

    /// `default`: sets the value only when none is set.
    pub fn set_default(&mut self, space: &str, code: u32, value: Vec<u8>) {
        self.spaces
            .entry(space.to_string())
            .or_default()
            .entry(code)
            .or_insert(value);
    }

    /// `prepend`: puts `value` before the current value.
    pub fn prepend(&mut self, space: &str, code: u32, mut value: Vec<u8>) {
        let slot = self
            .spaces
            .entry(space.to_string())
            .or_default()
            .entry(code)
            .or_default();
        value.extend_from_slice(slot);
        *slot = value;
    }

    /// `append`: puts `value` after the current value.
    pub fn append(&mut self, space: &str, code: u32, value: &[u8]) {
        self.spaces
            .entry(space.to_string())
            .or_default()
            .entry(code)
            .or_default()
            .extend_from_slice(value);
    }

    /// Removes an option.
    pub fn remove(&mut self, space: &str, code: u32) {
        if let Some(s) = self.spaces.get_mut(space) {
            s.remove(&code);
        }
    }

    /// Every option of a space, by code.
    pub fn space(&self, space: &str) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        self.spaces
            .get(space)
            .into_iter()
            .flat_map(|m| m.iter().map(|(c, v)| (*c, v.as_slice())))
    }

    /// A server parameter by name.
    pub fn server(&self, reg: &Registry, name: &str) -> Option<&[u8]> {
        let code = reg.lookup_name("server", name)?.code();
        self.get("server", code)
    }

    /// A 32-bit server parameter (lease times, ...).
    pub fn server_u32(&self, reg: &Registry, name: &str) -> Option<u32> {
        let v = self.server(reg, name)?;
        Some(match *v {
            [a, b, c, d, ..] => u32::from_be_bytes([a, b, c, d]),
            [a, b] => u32::from(u16::from_be_bytes([a, b])),
            [a] | [a, _, _] => u32::from(a),
            [] => return None,
        })
    }

    /// A boolean server parameter (`ping-check`, `one-lease-per-client`, ...).
    pub fn server_flag(&self, reg: &Registry, name: &str) -> Option<bool> {
        self.server(reg, name)
            .and_then(|v| v.first())
            .map(|&b| b != 0)
    }

    /// An address-valued server parameter (`next-server`, `server-identifier` is in dhcp).
    pub fn server_addr(&self, reg: &Registry, name: &str) -> Option<Ipv4Addr> {
        match *self.server(reg, name)? {
            [a, b, c, d, ..] => Some(Ipv4Addr::new(a, b, c, d)),
            _ => None,
        }
    }
}

/// Something a statement asks for besides setting options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `log (…)`: priority name (`info` when none) and the text.
    Log(String, String),
    /// `execute ("cmd", args…)`.
    Execute {
        /// The program.
        command: Vec<u8>,
        /// Its arguments, evaluated.
        args: Vec<Vec<u8>>,
    },
    /// `add "class";`
    AddClass(String),
    /// `set NAME = VALUE;` on the lease's binding scope.
    Set(String, Vec<u8>),
    /// `unset NAME;`
    Unset(String),
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
    /// The client's host declaration, if any.
    pub host: Option<&'a HostM>,
    /// Classes the client is in (indices into `model.classes`).
    pub classes: &'a [usize],
}

/// Runs the statements of `scopes` (outermost first) into `out`, collecting side effects.
pub fn execute_scopes(
    ctx: &EvalCtx<'_>,
    scopes: &[ScopeId],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    for &s in scopes {
        if let Some(scope) = ctx.model.scopes.get(s) {
            execute(ctx, &scope.stmts, out, effects);
        }
    }
}

/// Runs a list of statements. (Expressions and conditionals: see [`crate::eval`] once it
/// lands; constant option values are handled here.)
pub fn execute(
    ctx: &EvalCtx<'_>,
    stmts: &[Executable],
    out: &mut OptionSet,
    effects: &mut Vec<Effect>,
) {
    let _ = effects;
    for st in stmts {
        if let Executable::Option { op, name, value } = st {
            let Some(def) = ctx.registry.lookup_name(&name.space, &name.name) else {
                continue;
            };
            let Some(bytes) = constant_value(value) else {
                continue;
            };
            let (space, code) = (name.space.as_str(), def.code());
            match op {
                OptionOp::Option | OptionOp::Supersede | OptionOp::Parameter | OptionOp::Send => {
                    out.set(space, code, bytes)
                }
                OptionOp::Default => out.set_default(space, code, bytes),
                OptionOp::Prepend => out.prepend(space, code, bytes),
                OptionOp::Append => out.append(space, code, &bytes),
            }
        }
    }
}

/// The wire bytes of a constant option value (records concatenated in order).
pub fn constant_value(v: &OptionValue) -> Option<Vec<u8>> {
    let OptionValue::Values(groups) = v else {
        return match v {
            OptionValue::None => Some(Vec::new()),
            _ => None,
        };
    };
    let mut out = Vec::new();
    for g in groups {
        for a in g {
            encode_atom(a, &mut out)?;
        }
    }
    Some(out)
}

fn encode_atom(a: &Atom, out: &mut Vec<u8>) -> Option<()> {
    match a {
        Atom::Addr(dhcpd_conf::basic::AddrOrName::Addr(ip)) => out.extend_from_slice(&ip.octets()),
        Atom::Addr(dhcpd_conf::basic::AddrOrName::Name(_)) => return None,
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
            for label in n.split('.').filter(|l| !l.is_empty()) {
                out.push(u8::try_from(label.len()).ok()?);
                out.extend_from_slice(label.as_bytes());
            }
            out.push(0);
        }
        Atom::DomainList(names) => {
            for n in names {
                out.extend_from_slice(n);
            }
        }
        Atom::Enum(_, v) => out.push(*v as u8),
        Atom::SpaceName(_) | Atom::KeyName(_) | Atom::Empty => {}
    }
    Some(())
}

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
}
