//! Client classification (ISC's `server/class.c`: `classify_client`, `check_collection`) and
//! the lease-limit (billing) decision of `ack_lease`.
//!
//! ISC classifies a packet as soon as it is received, before it looks for the client's host
//! declaration or lease: match expressions see the packet only — no lease (`leased-address`,
//! `lease-time` are nothing), no host (`known` is false even for a known client), no options
//! being built (`config-option` is nothing). [`classify`] evaluates the same way whatever the
//! context holds.
//!
//! Classes are tried in declaration order. For each class:
//!
//! * `match if EXPR;` that is false or nothing: not a member, next class;
//! * `match if` true and no `match`/`spawn with`: a member;
//! * `match EXPR;` / `spawn with EXPR;` (after `match if`, if any, held): the value (nothing
//!   or empty: no membership) selects the subclass declared with that value (a `vendor-class`
//!   or `user-class` declaration is the subclass of the class of that name whose value is that
//!   name); no such subclass: a spawning class puts the client in the spawned subclass of
//!   that value ([`Member::Spawned`], created by the engine if new), other classes do nothing.
//!
//! A packet is in at most five classes (ISC's `PACKET_MAX_CLASSES`); further matches are
//! dropped with ISC's error message.

use dhcpd_conf::ast::ClassKind;

use crate::eval::{Env, Machine};
use crate::model::{ClassM, Model};
use crate::scope::{Effect, EvalCtx};

/// ISC's `PACKET_MAX_CLASSES`.
pub const MAX_CLASSES: usize = 5;

/// A class a client is in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Member {
    /// A declared class or subclass (an index into [`Model::classes`]).
    Class(usize),
    /// The spawned subclass of spawning class `class` for `value`. Its statements are those of
    /// the spawning class's scope; it has its own lease count under the spawning class's
    /// `lease limit`. The engine keeps the table of spawned subclasses (ISC writes them to the
    /// lease file as `subclass "CLASS" VALUE;` when leases are billed to them).
    Spawned {
        /// The spawning class.
        class: usize,
        /// The `spawn with` value.
        value: Vec<u8>,
    },
}

impl Member {
    /// The class whose scope holds this member's statements (a spawned subclass uses its
    /// spawning class's).
    pub fn scope_class(&self) -> usize {
        match self {
            Member::Class(c) => *c,
            Member::Spawned { class, .. } => *class,
        }
    }

    /// Whether this member is `class` or one of its subclasses (ISC's permit check for
    /// `allow members of "CLASS"`).
    pub fn is_member_of(&self, model: &Model, class: usize) -> bool {
        match self {
            Member::Spawned { class: c, .. } => *c == class,
            Member::Class(c) => *c == class || superclass(model, *c) == Some(class),
        }
    }

    /// The `lease limit` that applies (inherited from the superclass for subclasses, as ISC
    /// copies it when it creates them). `None` or `Some(0)`: no limit.
    pub fn lease_limit(&self, model: &Model) -> Option<i64> {
        match self {
            Member::Class(c) => {
                let cl = model.classes.get(*c)?;
                cl.lease_limit.or_else(|| {
                    superclass(model, *c).and_then(|s| model.classes.get(s)?.lease_limit)
                })
            }
            Member::Spawned { class, .. } => model.classes.get(*class)?.lease_limit,
        }
    }

    /// The class name ISC reports for this member (a subclass reports its superclass's).
    pub fn name<'m>(&self, model: &'m Model) -> &'m str {
        let c = match self {
            Member::Class(c) => superclass(model, *c).unwrap_or(*c),
            Member::Spawned { class, .. } => *class,
        };
        model.classes.get(c).map_or("", |c| c.name.as_str())
    }
}

/// The superclass of a subclass, including the class a `vendor-class`/`user-class`
/// declaration belongs to.
pub fn superclass(model: &Model, class: usize) -> Option<usize> {
    let c = model.classes.get(class)?;
    if let Some(s) = c.superclass {
        return Some(s);
    }
    if c.kind == ClassKind::Class {
        return None;
    }
    // `vendor-class "X"` / `user-class "X"` is the subclass with value "X" of class "X".
    model
        .classes
        .iter()
        .take(class)
        .position(|p| is_collection_class(p) && p.name == c.name)
}

/// The implicit statement of a `vendor-class "X"` / `user-class "X"` declaration: ISC
/// supersedes `vendor-class-identifier` (60) / `user-class` (77) with `X` for its members.
/// Returns the `dhcp` option code and value; the engine applies it after the class's scope.
pub fn implicit_option(model: &Model, class: usize) -> Option<(u32, Vec<u8>)> {
    let c = model.classes.get(class)?;
    match c.kind {
        ClassKind::VendorClass => Some((60, c.name.as_bytes().to_vec())),
        ClassKind::UserClass => Some((77, c.name.as_bytes().to_vec())),
        ClassKind::Class => None,
    }
}

/// A class declared with `class` (not a subclass): the members of ISC's default collection.
fn is_collection_class(c: &ClassM) -> bool {
    c.kind == ClassKind::Class && c.superclass.is_none()
}

/// The result of classifying a client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    /// The classes, in the order matched (at most [`MAX_CLASSES`]).
    pub members: Vec<Member>,
    /// Side effects of the match expressions (functions they call may log …), and ISC's
    /// "too many classes" error.
    pub effects: Vec<Effect>,
}

impl Classification {
    /// Class indices for the members: a spawned subclass is given as its spawning class.
    pub fn class_indices(&self) -> Vec<usize> {
        self.members.iter().map(Member::scope_class).collect()
    }
}

/// Classifies the client of `ctx.packet`: the indices of the classes it is in (a spawned
/// subclass appears as its spawning class; see [`classify_all`] for the details).
pub fn classify(ctx: &EvalCtx<'_>) -> Vec<usize> {
    classify_all(ctx).class_indices()
}

/// Classifies the client of `ctx.packet` as ISC's `classify_client` does (see the module
/// documentation).
pub fn classify_all(ctx: &EvalCtx<'_>) -> Classification {
    let bare = EvalCtx {
        lease: None,
        host: None,
        ..*ctx
    };
    let mut env = Env::new();
    let mut effects = Vec::new();
    let mut m = Machine {
        ctx: &bare,
        env: &mut env,
        out: None,
        effects: &mut effects,
    };
    let (members, _) = collect(&mut m);
    let mut members = members;
    if members.len() > MAX_CLASSES {
        members.truncate(MAX_CLASSES);
        if let Some(p) = ctx.packet {
            let hw = p.client_hardware_address();
            let text = format!("too many classes match {}", print_hw(hw));
            effects.push(Effect::Log("error".into(), text));
        }
    }
    Classification { members, effects }
}

/// ISC's `print_hw_addr`: the address bytes in two-digit hexadecimal, colon-separated.
pub(crate) fn print_hw(hw: &[u8]) -> String {
    hw.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `check "default"` from inside an evaluation: whether any class matches (the options being
/// built are hidden from the match expressions, as in ISC).
pub(crate) fn check_collection(m: &mut Machine<'_, '_>, _ctx: &EvalCtx<'_>) -> bool {
    let saved = m.out.take();
    let (_, matched) = collect(m);
    m.out = saved;
    matched
}

/// The classification walk. Returns the members and ISC's `matched` flag.
fn collect(m: &mut Machine<'_, '_>) -> (Vec<Member>, bool) {
    let model = m.ctx.model;
    let mut members = Vec::new();
    let mut matched = false;
    let mut seen_names: Vec<&str> = Vec::new();
    for (idx, class) in model.classes.iter().enumerate() {
        if !is_collection_class(class) {
            continue;
        }
        // A second `class "X"` updates the first in ISC; the first keeps its place.
        if seen_names.contains(&class.name.as_str()) {
            continue;
        }
        seen_names.push(&class.name);
        let submatch = class.match_expr.as_ref().or(class.spawn.as_ref());
        if let Some(cond) = &class.match_if {
            if m.boolean(cond) != Some(true) {
                continue;
            }
            if submatch.is_none() {
                matched = true;
                members.push(Member::Class(idx));
                continue;
            }
        }
        let Some(sub) = submatch else { continue };
        let Some(value) = m.data(sub).filter(|v| !v.is_empty()) else {
            continue;
        };
        if let Some(found) = find_subclass(model, idx, &value) {
            matched = true;
            members.push(Member::Class(found));
            continue;
        }
        if class.spawn.is_some() {
            members.push(Member::Spawned { class: idx, value });
        }
    }
    (members, matched)
}

/// The declared subclass of `class` with `value`.
fn find_subclass(model: &Model, class: usize, value: &[u8]) -> Option<usize> {
    if let Some(&s) = model.classes.get(class)?.subclasses.get(value) {
        return Some(s);
    }
    let name = &model.classes.get(class)?.name;
    model.classes.iter().enumerate().find_map(|(i, c)| {
        (c.kind != ClassKind::Class
            && c.superclass.is_none()
            && &c.name == name
            && c.name.as_bytes() == value
            && superclass(model, i) == Some(class))
        .then_some(i)
    })
}

/// What the allocator must do about `lease limit` for a lease it is about to offer or ack
/// (ISC's billing in `ack_lease`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Billing {
    /// No class with a limit is involved (or the lease is a fixed address): nothing to do.
    NotBilled,
    /// The lease stays billed to its current class.
    Keep,
    /// Bill the lease to this member (unbilling any previous class first). For an offer of a
    /// lease that is not active, ISC bills only to check and unbills at once: the caller
    /// should not keep the billing then.
    Bill(Member),
    /// Every matching class with a limit is full: ISC logs
    /// `"{msg}: no available billing: lease limit reached in all matching classes (last:
    /// '{last}')"` and does not answer.
    Refuse {
        /// The last class tried (ISC reports a subclass's superclass).
        last: String,
    },
}

/// Decides the billing of a lease for a client in `members`.
///
/// `current`: the member the lease is billed to now, if any; `consumed`: how many leases are
/// billed to a member now (the caller's count, the lease itself included if billed to it).
/// When the current billing is not among `members`, ISC unbills it first: the result is then
/// never [`Billing::Keep`].
pub fn billing(
    model: &Model,
    members: &[Member],
    current: Option<&Member>,
    consumed: impl Fn(&Member) -> usize,
) -> Billing {
    if let Some(cur) = current {
        if members.contains(cur) {
            return Billing::Keep;
        }
    }
    let mut tried = false;
    let mut last = String::new();
    for mem in members {
        let limit = mem.lease_limit(model).unwrap_or(0);
        if limit == 0 {
            continue;
        }
        tried = true;
        let used = consumed(mem);
        if limit > 0 && (used as i64) < limit {
            return Billing::Bill(mem.clone());
        }
        last = mem.name(model).to_string();
    }
    if tried {
        Billing::Refuse { last }
    } else {
        Billing::NotBilled
    }
}

#[cfg(test)]
mod tests;
