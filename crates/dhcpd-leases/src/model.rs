//! The records of a lease file and the in-memory state they build.
//!
//! Times are seconds since the Unix epoch (`i64`), as ISC's `TIME`: `0` means "not set" (the
//! field is not written) and [`NEVER`] (`0x7fffffff`) is written `never;`.

use std::net::Ipv4Addr;

pub use dhcpd_conf::basic::{AddrOrName, HardwareAddr};
pub use dhcpd_conf::exec::Executable;

/// ISC's `MAX_TIME`: an infinite time, written `never;`.
pub const NEVER: i64 = 0x7fff_ffff;

/// A lease's binding state (ISC's `FTS_*`, in ISC's numeric order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingState {
    /// `free` (1).
    Free,
    /// `active` (2).
    Active,
    /// `expired` (3).
    Expired,
    /// `released` (4).
    Released,
    /// `abandoned` (5).
    Abandoned,
    /// `reset` (6).
    Reset,
    /// `backup` (7).
    Backup,
}

impl BindingState {
    /// Every state, in ISC's order.
    pub const ALL: [BindingState; 7] = [
        BindingState::Free,
        BindingState::Active,
        BindingState::Expired,
        BindingState::Released,
        BindingState::Abandoned,
        BindingState::Reset,
        BindingState::Backup,
    ];

    /// The word written in the lease file.
    pub fn name(self) -> &'static str {
        match self {
            BindingState::Free => "free",
            BindingState::Active => "active",
            BindingState::Expired => "expired",
            BindingState::Released => "released",
            BindingState::Abandoned => "abandoned",
            BindingState::Reset => "reset",
            BindingState::Backup => "backup",
        }
    }
}

/// The value of a `set NAME = VALUE;` binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingValue {
    /// Data (`"text"` or a colon-separated hex list); always written back as a quoted string.
    Data(Vec<u8>),
    /// A number, written `%N`.
    Numeric(i64),
    /// `true` or `false`.
    Boolean(bool),
}

/// One variable bound on a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The variable's name.
    pub name: String,
    /// Its value.
    pub value: BindingValue,
}

/// A relay agent information sub-option stored with the lease (`option agent.NAME VALUE;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOption {
    /// The sub-option code (1 = circuit-id, 2 = remote-id ...).
    pub code: u8,
    /// The sub-option's data as on the wire.
    pub data: Vec<u8>,
}

/// The class a lease is billed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Billing {
    /// `billing class "NAME";`
    Class(String),
    /// `billing subclass "NAME" VALUE;`
    Subclass {
        /// The spawning class.
        class: String,
        /// The subclass key.
        value: Vec<u8>,
    },
}

/// The statements of an `on expiry|release { … }` block, as `dhcpd-conf` parses them (option
/// values given as constants are kept as their bytes, as ISC keeps them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// The statements, never empty (ISC keeps no list for an empty block).
    pub stmts: Vec<Executable>,
}

/// What runs when a lease is released.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OnRelease {
    /// Nothing.
    #[default]
    None,
    /// The same statements as `on expiry` (written `on expiry or release { … }`).
    SameAsExpiry,
    /// Its own statements.
    Own(Statements),
}

/// A DHCPv4 lease (`lease ADDR { … }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The leased address.
    pub addr: Ipv4Addr,
    /// `starts` (0 = not set).
    pub starts: i64,
    /// `ends`.
    pub ends: i64,
    /// `tstp`: the time the partner was told the lease expires (failover).
    pub tstp: i64,
    /// `tsfp`: the expiry time the partner acknowledged.
    pub tsfp: i64,
    /// `atsfp`: the actual time sent from the partner.
    pub atsfp: i64,
    /// `cltt`: client's last transaction time.
    pub cltt: i64,
    /// `binding state`.
    pub binding_state: BindingState,
    /// `next binding state` (written only when it differs from the binding state).
    pub next_binding_state: BindingState,
    /// `rewind binding state` (written only when it differs from the binding state).
    pub rewind_binding_state: BindingState,
    /// `reserved;`
    pub reserved: bool,
    /// `dynamic-bootp;`
    pub bootp: bool,
    /// `billing class …;`
    pub billing: Option<Billing>,
    /// `hardware TYPE MAC;`
    pub hardware: Option<HardwareAddr>,
    /// `uid …;` (empty = none).
    pub uid: Vec<u8>,
    /// `set NAME = VALUE;` in ISC's list order, which is the order they are written in
    /// (ISC puts a newly bound variable at the front of the list).
    pub bindings: Vec<Binding>,
    /// `option agent.NAME VALUE;` in file order.
    pub agent_options: Vec<AgentOption>,
    /// `client-hostname "…";`
    pub client_hostname: Option<Vec<u8>>,
    /// `on expiry { … }`
    pub on_expiry: Option<Statements>,
    /// `on release { … }`
    pub on_release: OnRelease,
}

impl Lease {
    /// A free lease with nothing recorded.
    pub fn new(addr: Ipv4Addr) -> Self {
        Lease {
            addr,
            starts: 0,
            ends: 0,
            tstp: 0,
            tsfp: 0,
            atsfp: 0,
            cltt: 0,
            binding_state: BindingState::Free,
            next_binding_state: BindingState::Free,
            rewind_binding_state: BindingState::Free,
            reserved: false,
            bootp: false,
            billing: None,
            hardware: None,
            uid: Vec::new(),
            bindings: Vec::new(),
            agent_options: Vec::new(),
            client_hostname: None,
            on_expiry: None,
            on_release: OnRelease::None,
        }
    }

    /// Binds a variable the way ISC does: a new name goes to the front of the list, an
    /// existing one (names compare without case) keeps its place and gets the new value.
    pub fn bind(&mut self, name: &str, value: BindingValue) {
        match self
            .bindings
            .iter_mut()
            .find(|b| b.name.eq_ignore_ascii_case(name))
        {
            Some(b) => b.value = value,
            None => self.bindings.insert(
                0,
                Binding {
                    name: name.to_string(),
                    value,
                },
            ),
        }
    }

    /// The value of a bound variable.
    pub fn binding(&self, name: &str) -> Option<&BindingValue> {
        self.bindings
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
            .map(|b| &b.value)
    }
}

/// A host declaration stored in the lease file (created or deleted through OMAPI).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Host {
    /// The host's name.
    pub name: String,
    /// `dynamic;`: created at run time.
    pub dynamic: bool,
    /// `deleted;`: a rubout cancelling a host of this name.
    pub deleted: bool,
    /// `hardware TYPE MAC;`
    pub hardware: Option<HardwareAddr>,
    /// `uid …;` (empty = none).
    pub uid: Vec<u8>,
    /// `fixed-address A, B;`
    pub fixed_address: Vec<AddrOrName>,
    /// `group "NAME";`
    pub group: Option<String>,
    /// The host's other statements (options and parameters, executable statements).
    pub statements: Vec<Executable>,
}

/// A group declaration stored in the lease file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// `dynamic;`
    pub dynamic: bool,
    /// `static;`
    pub is_static: bool,
    /// `deleted;`
    pub deleted: bool,
    /// The group's statements.
    pub statements: Vec<Executable>,
}

/// Which class a `class`/`subclass` record is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClassKey {
    /// `class "NAME"`.
    Class(String),
    /// `subclass "NAME" VALUE`.
    Subclass(String, Vec<u8>),
}

/// A spawned (dynamic) class or subclass stored in the lease file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// The class.
    pub key: ClassKey,
    /// `deleted;` (otherwise `dynamic;` is written).
    pub deleted: bool,
    /// `lease limit N;` (0 = none).
    pub lease_limit: u32,
    /// The class's statements (options, parameters, executable statements). `match`,
    /// `match if` and `spawn with` are read but not kept: ISC does not write them back.
    pub statements: Vec<Executable>,
}

/// A failover protocol state (ISC's `enum failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailoverStateName {
    /// `unknown-state`
    Unknown,
    /// `startup`
    Startup,
    /// `normal`
    Normal,
    /// `communications-interrupted`
    CommunicationsInterrupted,
    /// `partner-down`
    PartnerDown,
    /// `potential-conflict`
    PotentialConflict,
    /// `recover`
    Recover,
    /// `paused`
    Paused,
    /// `shutdown`
    Shutdown,
    /// `recover-done`
    RecoverDone,
    /// `resolution-interrupted`
    ResolutionInterrupted,
    /// `conflict-done`
    ConflictDone,
    /// `recover-wait`
    RecoverWait,
}

impl FailoverStateName {
    /// Every state.
    pub const ALL: [FailoverStateName; 13] = [
        FailoverStateName::Unknown,
        FailoverStateName::Startup,
        FailoverStateName::Normal,
        FailoverStateName::CommunicationsInterrupted,
        FailoverStateName::PartnerDown,
        FailoverStateName::PotentialConflict,
        FailoverStateName::Recover,
        FailoverStateName::Paused,
        FailoverStateName::Shutdown,
        FailoverStateName::RecoverDone,
        FailoverStateName::ResolutionInterrupted,
        FailoverStateName::ConflictDone,
        FailoverStateName::RecoverWait,
    ];

    /// The word ISC writes.
    pub fn name(self) -> &'static str {
        match self {
            FailoverStateName::Unknown => "unknown-state",
            FailoverStateName::Startup => "startup",
            FailoverStateName::Normal => "normal",
            FailoverStateName::CommunicationsInterrupted => "communications-interrupted",
            FailoverStateName::PartnerDown => "partner-down",
            FailoverStateName::PotentialConflict => "potential-conflict",
            FailoverStateName::Recover => "recover",
            FailoverStateName::Paused => "paused",
            FailoverStateName::Shutdown => "shutdown",
            FailoverStateName::RecoverDone => "recover-done",
            FailoverStateName::ResolutionInterrupted => "resolution-interrupted",
            FailoverStateName::ConflictDone => "conflict-done",
            FailoverStateName::RecoverWait => "recover-wait",
        }
    }

    /// The state called `word` (case-insensitive).
    pub fn from_name(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(word))
    }
}

/// One side's state and the time it was entered ("start time of state").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerState {
    /// The state.
    pub state: FailoverStateName,
    /// When it was entered.
    pub stos: i64,
}

/// A `failover peer "NAME" state { … }` record as read: each part is present only if the
/// record contained it (ISC updates only what a record gives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverStateRecord {
    /// The peer's name.
    pub peer: String,
    /// `my state S at DATE;`
    pub me: Option<PeerState>,
    /// `partner state S at DATE;`
    pub partner: Option<PeerState>,
    /// `mclt N;` (secondary only).
    pub mclt: Option<u32>,
}

/// The complete failover state of one peer, as ISC writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverState {
    /// The peer's name.
    pub peer: String,
    /// This server's state.
    pub me: PeerState,
    /// The partner's state.
    pub partner: PeerState,
    /// The MCLT; `Some` exactly when this server is the secondary (only the secondary writes
    /// it).
    pub mclt: Option<u32>,
}

impl FailoverState {
    /// The state of a peer before any record was read: both sides `unknown-state` at time 0.
    pub fn new(peer: &str) -> Self {
        let unknown = PeerState {
            state: FailoverStateName::Unknown,
            stos: 0,
        };
        FailoverState {
            peer: peer.to_string(),
            me: unknown,
            partner: unknown,
            mclt: None,
        }
    }

    /// Applies a record read from the file.
    pub fn apply(&mut self, rec: &FailoverStateRecord) {
        if let Some(me) = rec.me {
            self.me = me;
        }
        if let Some(p) = rec.partner {
            self.partner = p;
        }
        if rec.mclt.is_some() {
            self.mclt = rec.mclt;
        }
    }
}

/// The kind of a DHCPv6 identity association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IaKind {
    /// `ia-na`
    Na,
    /// `ia-ta`
    Ta,
    /// `ia-pd`
    Pd,
}

/// A DHCPv6 `ia-na|ia-ta|ia-pd` record, kept as read and written back untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IaRecord {
    /// Which kind.
    pub kind: IaKind,
    /// IAID (4 bytes) followed by the client DUID.
    pub id: Vec<u8>,
    /// The record's text from the keyword to the closing `}`.
    pub text: String,
}

/// The byte order named by `authoring-byte-order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByteOrder {
    /// `little-endian`
    #[default]
    Little,
    /// `big-endian`
    Big,
}

impl ByteOrder {
    /// The word written in the file.
    pub fn name(self) -> &'static str {
        match self {
            ByteOrder::Little => "little-endian",
            ByteOrder::Big => "big-endian",
        }
    }
}

/// One top-level record of a lease file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `authoring-byte-order …;`
    AuthoringByteOrder(ByteOrder),
    /// `server-duid …;`
    ServerDuid(Vec<u8>),
    /// `lease …`
    Lease(Lease),
    /// `host …`
    Host(Host),
    /// `group …`
    Group(Group),
    /// `class …` / `subclass …`
    Class(Class),
    /// `failover peer "…" state { … }`
    FailoverState(FailoverStateRecord),
    /// `ia-na` / `ia-ta` / `ia-pd`
    Ia(IaRecord),
}
