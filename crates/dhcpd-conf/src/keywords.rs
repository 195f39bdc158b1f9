//! The reserved words of ISC dhcpd 4.4's lexer.
//!
//! A word in this table is a keyword token wherever it appears (matched case-insensitively);
//! positions that take an identifier accept keywords too (see [`crate::lexer::Token::is_identifier`]).
//! The list was taken, as facts, from the keyword switch of ISC's lexer (306 words).

/// A reserved word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Kw {
    Abandoned,
    Active,
    Add,
    Address,
    After,
    Algorithm,
    Alias,
    All,
    Allow,
    Also,
    And,
    AnycastMac,
    Append,
    Array,
    At,
    Atsfp,
    Authenticated,
    Authentication,
    AuthoringByteOrder,
    Authoritative,
    AutoPartnerDown,
    BackoffCutoff,
    Backup,
    Balance,
    BigEndian,
    Billing,
    BinaryToAscii,
    Binding,
    Boolean,
    BootUnknownClients,
    Booting,
    Bootp,
    Bound,
    Break,
    Case,
    Check,
    Ciaddr,
    Class,
    ClientHostname,
    ClientIdentifier,
    ClientState,
    ClientUpdates,
    Clients,
    Close,
    Cltt,
    Code,
    Commit,
    CommunicationsInterrupted,
    Compressed,
    Concat,
    ConfigOption,
    ConflictDone,
    Connect,
    Create,
    DbTimeFormat,
    Debug,
    Declines,
    Default,
    DefaultDuid,
    DefaultLeaseTime,
    Define,
    Defined,
    Delete,
    Deleted,
    Deny,
    Disconnect,
    DoForwardUpdate,
    DoForwardUpdates,
    Domain,
    DomainList,
    DomainName,
    Duplicates,
    Dynamic,
    DynamicBootp,
    DynamicBootpLeaseCutoff,
    DynamicBootpLeaseLength,
    Else,
    Elsif,
    En,
    Encapsulate,
    EncodeInt,
    Ends,
    Epoch,
    Error,
    Ethernet,
    Eval,
    Execute,
    Exists,
    Expire,
    Expired,
    Expiry,
    ExtractInt,
    Failover,
    Fatal,
    Fddi,
    Filename,
    FixedAddress,
    FixedAddress6,
    FixedPrefix6,
    Formerr,
    Free,
    Function,
    GetLeaseHostnames,
    Gethostbyname,
    Gethostname,
    Giaddr,
    Group,
    Hardware,
    Hash,
    Hba,
    Help,
    Hex,
    Host,
    HostDeclName,
    HostIdentifier,
    Hostname,
    IaNa,
    IaPd,
    IaTa,
    Iaaddr,
    Iaprefix,
    Identifier,
    If,
    Ignore,
    Include,
    Infiniband,
    Infinite,
    Info,
    InitialDelay,
    InitialInterval,
    Integer,
    Interface,
    IpAddress,
    Ip6Address,
    Is,
    Key,
    KeyAlgorithm,
    Known,
    KnownClients,
    Lcase,
    Lease,
    LeaseIdFormat,
    LeaseTime,
    Lease6,
    LeasedAddress,
    Leasequery,
    Length,
    Let,
    Limit,
    LittleEndian,
    Ll,
    Llt,
    Load,
    Local,
    Log,
    Match,
    Max,
    MaxBalance,
    MaxLeaseMisbalance,
    MaxLeaseOwnership,
    MaxLeaseTime,
    MaxLife,
    MaxResponseDelay,
    MaxTransmitIdle,
    MaxUnackedUpdates,
    Mclt,
    Media,
    Medium,
    Members,
    MinBalance,
    MinLeaseTime,
    MinSecs,
    My,
    Nameserver,
    Netmask,
    Never,
    New,
    Next,
    NextServer,
    No,
    Noerror,
    Normal,
    Not,
    Notauth,
    Notimp,
    Notzone,
    Null,
    Nxdomain,
    Nxrrset,
    Octal,
    Of,
    Omapi,
    On,
    OneLeasePerClient,
    Open,
    Option,
    Or,
    Owner,
    Packet,
    ParseVendorOption,
    Partner,
    PartnerDown,
    Paused,
    Peer,
    Pick,
    PickFirstValue,
    Pool,
    Pool6,
    Port,
    PotentialConflict,
    PreferredLife,
    Prefix6,
    Prepend,
    Primary,
    Primary6,
    Pseudo,
    Range,
    Range6,
    Rebind,
    Reboot,
    RecontactInterval,
    Recover,
    RecoverDone,
    RecoverWait,
    Refresh,
    Refused,
    Reject,
    Release,
    Released,
    Remove,
    Renew,
    Request,
    Require,
    Reserved,
    Reset,
    ResolutionInterrupted,
    Retry,
    Return,
    Reverse,
    Rewind,
    Script,
    Search,
    Secondary,
    Secondary6,
    Seconds,
    Secret,
    Select,
    SelectTimeout,
    Send,
    Server,
    ServerDuid,
    ServerIdentifier,
    ServerName,
    Servfail,
    Set,
    SharedNetwork,
    Shutdown,
    Siaddr,
    Signed,
    Size,
    Space,
    Spawn,
    Split,
    Starts,
    Startup,
    State,
    Static,
    String,
    Subclass,
    Subnet,
    Subnet6,
    Substring,
    Suffix,
    Supersede,
    Switch,
    Temporary,
    Text,
    Timeout,
    Timestamp,
    TokenRing,
    Transmission,
    Tsfp,
    Tstp,
    Ucase,
    Uid,
    Unauthenticated,
    Unknown,
    UnknownClients,
    UnknownState,
    Unset,
    Unsigned,
    Update,
    UseHostDeclNames,
    UseLeaseAddrForDefaultRoute,
    UserClass,
    V6relay,
    V6relopt,
    Vendor,
    VendorClass,
    Width,
    With,
    Yiaddr,
    Yxdomain,
    Yxrrset,
    Zerolen,
    Zone,
}

/// Every keyword with its spelling, sorted by spelling (for binary search).
pub(crate) const KEYWORDS: &[(&str, Kw)] = &[
    ("abandoned", Kw::Abandoned),
    ("active", Kw::Active),
    ("add", Kw::Add),
    ("address", Kw::Address),
    ("after", Kw::After),
    ("algorithm", Kw::Algorithm),
    ("alias", Kw::Alias),
    ("all", Kw::All),
    ("allow", Kw::Allow),
    ("also", Kw::Also),
    ("and", Kw::And),
    ("anycast-mac", Kw::AnycastMac),
    ("append", Kw::Append),
    ("array", Kw::Array),
    ("at", Kw::At),
    ("atsfp", Kw::Atsfp),
    ("authenticated", Kw::Authenticated),
    ("authentication", Kw::Authentication),
    ("authoring-byte-order", Kw::AuthoringByteOrder),
    ("authoritative", Kw::Authoritative),
    ("auto-partner-down", Kw::AutoPartnerDown),
    ("backoff-cutoff", Kw::BackoffCutoff),
    ("backup", Kw::Backup),
    ("balance", Kw::Balance),
    ("big-endian", Kw::BigEndian),
    ("billing", Kw::Billing),
    ("binary-to-ascii", Kw::BinaryToAscii),
    ("binding", Kw::Binding),
    ("boolean", Kw::Boolean),
    ("boot-unknown-clients", Kw::BootUnknownClients),
    ("booting", Kw::Booting),
    ("bootp", Kw::Bootp),
    ("bound", Kw::Bound),
    ("break", Kw::Break),
    ("case", Kw::Case),
    ("check", Kw::Check),
    ("ciaddr", Kw::Ciaddr),
    ("class", Kw::Class),
    ("client-hostname", Kw::ClientHostname),
    ("client-identifier", Kw::ClientIdentifier),
    ("client-state", Kw::ClientState),
    ("client-updates", Kw::ClientUpdates),
    ("clients", Kw::Clients),
    ("close", Kw::Close),
    ("cltt", Kw::Cltt),
    ("code", Kw::Code),
    ("commit", Kw::Commit),
    ("communications-interrupted", Kw::CommunicationsInterrupted),
    ("compressed", Kw::Compressed),
    ("concat", Kw::Concat),
    ("config-option", Kw::ConfigOption),
    ("conflict-done", Kw::ConflictDone),
    ("connect", Kw::Connect),
    ("create", Kw::Create),
    ("db-time-format", Kw::DbTimeFormat),
    ("debug", Kw::Debug),
    ("declines", Kw::Declines),
    ("default", Kw::Default),
    ("default-duid", Kw::DefaultDuid),
    ("default-lease-time", Kw::DefaultLeaseTime),
    ("define", Kw::Define),
    ("defined", Kw::Defined),
    ("delete", Kw::Delete),
    ("deleted", Kw::Deleted),
    ("deny", Kw::Deny),
    ("disconnect", Kw::Disconnect),
    ("do-forward-update", Kw::DoForwardUpdate),
    ("do-forward-updates", Kw::DoForwardUpdates),
    ("domain", Kw::Domain),
    ("domain-list", Kw::DomainList),
    ("domain-name", Kw::DomainName),
    ("duplicates", Kw::Duplicates),
    ("dynamic", Kw::Dynamic),
    ("dynamic-bootp", Kw::DynamicBootp),
    ("dynamic-bootp-lease-cutoff", Kw::DynamicBootpLeaseCutoff),
    ("dynamic-bootp-lease-length", Kw::DynamicBootpLeaseLength),
    ("else", Kw::Else),
    ("elsif", Kw::Elsif),
    ("en", Kw::En),
    ("encapsulate", Kw::Encapsulate),
    ("encode-int", Kw::EncodeInt),
    ("ends", Kw::Ends),
    ("epoch", Kw::Epoch),
    ("error", Kw::Error),
    ("ethernet", Kw::Ethernet),
    ("eval", Kw::Eval),
    ("execute", Kw::Execute),
    ("exists", Kw::Exists),
    ("expire", Kw::Expire),
    ("expired", Kw::Expired),
    ("expiry", Kw::Expiry),
    ("extract-int", Kw::ExtractInt),
    ("failover", Kw::Failover),
    ("fatal", Kw::Fatal),
    ("fddi", Kw::Fddi),
    ("filename", Kw::Filename),
    ("fixed-address", Kw::FixedAddress),
    ("fixed-address6", Kw::FixedAddress6),
    ("fixed-prefix6", Kw::FixedPrefix6),
    ("formerr", Kw::Formerr),
    ("free", Kw::Free),
    ("function", Kw::Function),
    ("get-lease-hostnames", Kw::GetLeaseHostnames),
    ("gethostbyname", Kw::Gethostbyname),
    ("gethostname", Kw::Gethostname),
    ("giaddr", Kw::Giaddr),
    ("group", Kw::Group),
    ("hardware", Kw::Hardware),
    ("hash", Kw::Hash),
    ("hba", Kw::Hba),
    ("help", Kw::Help),
    ("hex", Kw::Hex),
    ("host", Kw::Host),
    ("host-decl-name", Kw::HostDeclName),
    ("host-identifier", Kw::HostIdentifier),
    ("hostname", Kw::Hostname),
    ("ia-na", Kw::IaNa),
    ("ia-pd", Kw::IaPd),
    ("ia-ta", Kw::IaTa),
    ("iaaddr", Kw::Iaaddr),
    ("iaprefix", Kw::Iaprefix),
    ("identifier", Kw::Identifier),
    ("if", Kw::If),
    ("ignore", Kw::Ignore),
    ("include", Kw::Include),
    ("infiniband", Kw::Infiniband),
    ("infinite", Kw::Infinite),
    ("info", Kw::Info),
    ("initial-delay", Kw::InitialDelay),
    ("initial-interval", Kw::InitialInterval),
    ("integer", Kw::Integer),
    ("interface", Kw::Interface),
    ("ip-address", Kw::IpAddress),
    ("ip6-address", Kw::Ip6Address),
    ("is", Kw::Is),
    ("key", Kw::Key),
    ("key-algorithm", Kw::KeyAlgorithm),
    ("known", Kw::Known),
    ("known-clients", Kw::KnownClients),
    ("lcase", Kw::Lcase),
    ("lease", Kw::Lease),
    ("lease-id-format", Kw::LeaseIdFormat),
    ("lease-time", Kw::LeaseTime),
    ("lease6", Kw::Lease6),
    ("leased-address", Kw::LeasedAddress),
    ("leasequery", Kw::Leasequery),
    ("length", Kw::Length),
    ("let", Kw::Let),
    ("limit", Kw::Limit),
    ("little-endian", Kw::LittleEndian),
    ("ll", Kw::Ll),
    ("llt", Kw::Llt),
    ("load", Kw::Load),
    ("local", Kw::Local),
    ("log", Kw::Log),
    ("match", Kw::Match),
    ("max", Kw::Max),
    ("max-balance", Kw::MaxBalance),
    ("max-lease-misbalance", Kw::MaxLeaseMisbalance),
    ("max-lease-ownership", Kw::MaxLeaseOwnership),
    ("max-lease-time", Kw::MaxLeaseTime),
    ("max-life", Kw::MaxLife),
    ("max-response-delay", Kw::MaxResponseDelay),
    ("max-transmit-idle", Kw::MaxTransmitIdle),
    ("max-unacked-updates", Kw::MaxUnackedUpdates),
    ("mclt", Kw::Mclt),
    ("media", Kw::Media),
    ("medium", Kw::Medium),
    ("members", Kw::Members),
    ("min-balance", Kw::MinBalance),
    ("min-lease-time", Kw::MinLeaseTime),
    ("min-secs", Kw::MinSecs),
    ("my", Kw::My),
    ("nameserver", Kw::Nameserver),
    ("netmask", Kw::Netmask),
    ("never", Kw::Never),
    ("new", Kw::New),
    ("next", Kw::Next),
    ("next-server", Kw::NextServer),
    ("no", Kw::No),
    ("noerror", Kw::Noerror),
    ("normal", Kw::Normal),
    ("not", Kw::Not),
    ("notauth", Kw::Notauth),
    ("notimp", Kw::Notimp),
    ("notzone", Kw::Notzone),
    ("null", Kw::Null),
    ("nxdomain", Kw::Nxdomain),
    ("nxrrset", Kw::Nxrrset),
    ("octal", Kw::Octal),
    ("of", Kw::Of),
    ("omapi", Kw::Omapi),
    ("on", Kw::On),
    ("one-lease-per-client", Kw::OneLeasePerClient),
    ("open", Kw::Open),
    ("option", Kw::Option),
    ("or", Kw::Or),
    ("owner", Kw::Owner),
    ("packet", Kw::Packet),
    ("parse-vendor-option", Kw::ParseVendorOption),
    ("partner", Kw::Partner),
    ("partner-down", Kw::PartnerDown),
    ("paused", Kw::Paused),
    ("peer", Kw::Peer),
    ("pick", Kw::Pick),
    ("pick-first-value", Kw::PickFirstValue),
    ("pool", Kw::Pool),
    ("pool6", Kw::Pool6),
    ("port", Kw::Port),
    ("potential-conflict", Kw::PotentialConflict),
    ("preferred-life", Kw::PreferredLife),
    ("prefix6", Kw::Prefix6),
    ("prepend", Kw::Prepend),
    ("primary", Kw::Primary),
    ("primary6", Kw::Primary6),
    ("pseudo", Kw::Pseudo),
    ("range", Kw::Range),
    ("range6", Kw::Range6),
    ("rebind", Kw::Rebind),
    ("reboot", Kw::Reboot),
    ("recontact-interval", Kw::RecontactInterval),
    ("recover", Kw::Recover),
    ("recover-done", Kw::RecoverDone),
    ("recover-wait", Kw::RecoverWait),
    ("refresh", Kw::Refresh),
    ("refused", Kw::Refused),
    ("reject", Kw::Reject),
    ("release", Kw::Release),
    ("released", Kw::Released),
    ("remove", Kw::Remove),
    ("renew", Kw::Renew),
    ("request", Kw::Request),
    ("require", Kw::Require),
    ("reserved", Kw::Reserved),
    ("reset", Kw::Reset),
    ("resolution-interrupted", Kw::ResolutionInterrupted),
    ("retry", Kw::Retry),
    ("return", Kw::Return),
    ("reverse", Kw::Reverse),
    ("rewind", Kw::Rewind),
    ("script", Kw::Script),
    ("search", Kw::Search),
    ("secondary", Kw::Secondary),
    ("secondary6", Kw::Secondary6),
    ("seconds", Kw::Seconds),
    ("secret", Kw::Secret),
    ("select", Kw::Select),
    ("select-timeout", Kw::SelectTimeout),
    ("send", Kw::Send),
    ("server", Kw::Server),
    ("server-duid", Kw::ServerDuid),
    ("server-identifier", Kw::ServerIdentifier),
    ("server-name", Kw::ServerName),
    ("servfail", Kw::Servfail),
    ("set", Kw::Set),
    ("shared-network", Kw::SharedNetwork),
    ("shutdown", Kw::Shutdown),
    ("siaddr", Kw::Siaddr),
    ("signed", Kw::Signed),
    ("size", Kw::Size),
    ("space", Kw::Space),
    ("spawn", Kw::Spawn),
    ("split", Kw::Split),
    ("starts", Kw::Starts),
    ("startup", Kw::Startup),
    ("state", Kw::State),
    ("static", Kw::Static),
    ("string", Kw::String),
    ("subclass", Kw::Subclass),
    ("subnet", Kw::Subnet),
    ("subnet6", Kw::Subnet6),
    ("substring", Kw::Substring),
    ("suffix", Kw::Suffix),
    ("supersede", Kw::Supersede),
    ("switch", Kw::Switch),
    ("temporary", Kw::Temporary),
    ("text", Kw::Text),
    ("timeout", Kw::Timeout),
    ("timestamp", Kw::Timestamp),
    ("token-ring", Kw::TokenRing),
    ("transmission", Kw::Transmission),
    ("tsfp", Kw::Tsfp),
    ("tstp", Kw::Tstp),
    ("ucase", Kw::Ucase),
    ("uid", Kw::Uid),
    ("unauthenticated", Kw::Unauthenticated),
    ("unknown", Kw::Unknown),
    ("unknown-clients", Kw::UnknownClients),
    ("unknown-state", Kw::UnknownState),
    ("unset", Kw::Unset),
    ("unsigned", Kw::Unsigned),
    ("update", Kw::Update),
    ("use-host-decl-names", Kw::UseHostDeclNames),
    (
        "use-lease-addr-for-default-route",
        Kw::UseLeaseAddrForDefaultRoute,
    ),
    ("user-class", Kw::UserClass),
    ("v6relay", Kw::V6relay),
    ("v6relopt", Kw::V6relopt),
    ("vendor", Kw::Vendor),
    ("vendor-class", Kw::VendorClass),
    ("width", Kw::Width),
    ("with", Kw::With),
    ("yiaddr", Kw::Yiaddr),
    ("yxdomain", Kw::Yxdomain),
    ("yxrrset", Kw::Yxrrset),
    ("zerolen", Kw::Zerolen),
    ("zone", Kw::Zone),
];

/// Slots in [`LOOKUP`]: a power of two, over three times the number of keywords, so probe
/// sequences stay short.
const LOOKUP_BITS: u32 = 10;
const LOOKUP_MASK: usize = (1 << LOOKUP_BITS) - 1;
/// An empty slot of [`LOOKUP`].
const EMPTY: u16 = u16::MAX;

/// The first eight bytes of a word (fewer: zero-padded), little-endian, with ASCII capitals
/// folded to lower case (so for keywords, which are lower case, it is their first eight bytes).
const fn folded_prefix(word: &[u8]) -> u64 {
    let mut p = 0u64;
    let mut i = 0;
    while i < word.len() && i < 8 {
        p |= (word[i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    p
}

/// [`folded_prefix`] of `text[..len]`, eight bytes at a time when `text` has eight: one
/// load, masked to `len` bytes, and the capitals of all eight folded together (the same bit
/// trick as the standard library's `make_ascii_lowercase`).
fn folded_prefix_fast(text: &[u8], len: usize) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let Some(head) = text.first_chunk::<8>() else {
        return folded_prefix(text.get(..len).unwrap_or(text));
    };
    let mut x = u64::from_le_bytes(*head);
    if len < 8 {
        x &= (1u64 << (8 * len)) - 1;
    }
    let low7 = x & !HIGH;
    let above_z = low7.wrapping_add((0x7f - u64::from(b'Z')) * ONES);
    let from_a = low7.wrapping_add((0x80 - u64::from(b'A')) * ONES);
    let upper = !x & (from_a ^ above_z) & HIGH;
    x | (upper >> 2)
}

/// The hash of a word (given its length and [`folded_prefix`]): the length, the first eight
/// bytes and the last byte, mixed and multiplied into the top bits. Hashing a fixed part instead of
/// every byte keeps the lexer's per-word cost flat; the comparison in [`Kw::lookup`] decides.
const fn word_hash(len: usize, prefix: u64, last: u8) -> usize {
    let x = prefix
        ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ ((last.to_ascii_lowercase() as u64) << 40);
    let x = x ^ (x >> 29);
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - LOOKUP_BITS)) as usize
}

/// [`word_hash`] of a keyword.
const fn keyword_hash(word: &[u8]) -> usize {
    let last = if word.is_empty() {
        0
    } else {
        word[word.len() - 1]
    };
    word_hash(word.len(), folded_prefix(word), last)
}

/// The first eight bytes of every keyword ([`folded_prefix`]), in [`KEYWORDS`] order.
const PREFIXES: [u64; KEYWORDS.len()] = {
    let mut t = [0u64; KEYWORDS.len()];
    let mut k = 0;
    while k < KEYWORDS.len() {
        t[k] = folded_prefix(KEYWORDS[k].0.as_bytes());
        k += 1;
    }
    t
};

/// The last eight bytes of every keyword longer than eight ([`folded_prefix`] of them; 0 for
/// the others), in [`KEYWORDS`] order.
const SUFFIXES: [u64; KEYWORDS.len()] = {
    let mut t = [0u64; KEYWORDS.len()];
    let mut k = 0;
    while k < KEYWORDS.len() {
        let w = KEYWORDS[k].0.as_bytes();
        if w.len() > 8 {
            t[k] = folded_prefix(w.split_at(w.len() - 8).1);
        }
        k += 1;
    }
    t
};

/// Open-addressing hash table from [`word_hash`] to indexes into [`KEYWORDS`] (linear
/// probing), built at compile time.
const LOOKUP: [u16; 1 << LOOKUP_BITS] = {
    let mut table = [EMPTY; 1 << LOOKUP_BITS];
    let mut k = 0;
    while k < KEYWORDS.len() {
        let mut slot = keyword_hash(KEYWORDS[k].0.as_bytes());
        while table[slot] != EMPTY {
            slot = (slot + 1) & LOOKUP_MASK;
        }
        table[slot] = k as u16;
        k += 1;
    }
    table
};

impl Kw {
    /// Looks a word up, case-insensitively.
    pub fn lookup(word: &[u8]) -> Option<Kw> {
        Self::lookup_in(word, word.len())
    }

    /// Looks up the word `text[..len]` (the lexer passes the rest of the file, so that the
    /// first eight bytes are one load even for a shorter word).
    pub fn lookup_in(text: &[u8], len: usize) -> Option<Kw> {
        let word = text.get(..len)?;
        let &last = word.last()?;
        let prefix = folded_prefix_fast(text, len);
        let mut slot = word_hash(len, prefix, last);
        loop {
            let k = usize::from(LOOKUP[slot]);
            let (w, kw) = *KEYWORDS.get(k)?;
            // The first eight bytes decide most words at once; a longer keyword's last eight
            // (and, past 16, the middle) are compared only when they match.
            if PREFIXES[k] == prefix
                && w.len() == len
                && (len <= 8
                    || (SUFFIXES[k] == folded_prefix_fast(&word[len - 8..], 8)
                        && (len <= 16
                            || w.as_bytes()[8..len - 8].eq_ignore_ascii_case(&word[8..len - 8]))))
            {
                return Some(kw);
            }
            slot = (slot + 1) & LOOKUP_MASK;
        }
    }

    /// The keyword as written in dhcpd.conf (lower case).
    pub fn as_str(self) -> &'static str {
        // KEYWORDS is sorted by spelling and the enum is declared in the same order.
        KEYWORDS[self as usize].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_matches_enum_order() {
        for (i, (w, k)) in KEYWORDS.iter().enumerate() {
            assert_eq!(*k as usize, i, "{w}");
            if i > 0 {
                assert!(KEYWORDS[i - 1].0 < *w);
            }
        }
        assert_eq!(KEYWORDS.len(), 306);
    }

    #[test]
    fn probe_sequences_stay_short() {
        // The sampled hash must still spread the keywords: no keyword more than a few slots
        // from its home, so a lookup (hit or miss) touches few entries.
        let mut worst = 0;
        for (w, _) in KEYWORDS {
            let home = keyword_hash(w.as_bytes());
            let mut slot = home;
            let mut probes = 0;
            while KEYWORDS[usize::from(LOOKUP[slot])].0 != *w {
                slot = (slot + 1) & LOOKUP_MASK;
                probes += 1;
            }
            worst = worst.max(probes);
        }
        assert!(worst <= 4, "worst probe length {worst}");
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(Kw::lookup(b"SUBNET"), Some(Kw::Subnet));
        assert_eq!(
            Kw::lookup(b"Default-Lease-Time"),
            Some(Kw::DefaultLeaseTime)
        );
        assert_eq!(Kw::lookup(b"domain-name-servers"), None);
        assert_eq!(Kw::Subnet.as_str(), "subnet");
        assert_eq!(Kw::lookup(b""), None);
        assert_eq!(Kw::lookup(b"subnet6x"), None);
        assert_eq!(Kw::lookup(b"fixed-addresS"), Some(Kw::FixedAddress));
        assert_eq!(Kw::lookup(b"FIXED-ADDRESSES"), None);
        assert_eq!(Kw::lookup(b"hosT"), Some(Kw::Host));
        assert_eq!(Kw::lookup(b"h\xc3\xa9"), None);
        // Folding touches capitals only: `@` and `[` sit next to them.
        assert_eq!(
            folded_prefix_fast(b"@AZ[az`{-09_\xc1", 8),
            folded_prefix(b"@AZ[az`{")
        );
        for b in 0..=255u8 {
            let w = [b; 9];
            for len in 0..=9 {
                assert_eq!(
                    folded_prefix_fast(&w, len),
                    folded_prefix(&w[..len]),
                    "{b} {len}"
                );
            }
        }
        assert_eq!(Kw::lookup_in(b"host h1 {", 4), Some(Kw::Host));
        assert_eq!(Kw::lookup_in(b"hostname", 4), Some(Kw::Host));
        assert_eq!(Kw::lookup_in(b"host", 5), None);
        // Longer than 16: prefix, middle and suffix all count.
        assert_eq!(
            Kw::lookup(b"use-lease-addr-for-default-route"),
            Some(Kw::UseLeaseAddrForDefaultRoute)
        );
        assert_eq!(Kw::lookup(b"use-lease-addr-XXX-default-route"), None);
    }

    #[test]
    fn every_keyword_is_found_in_both_cases() {
        for (w, k) in KEYWORDS {
            assert_eq!(Kw::lookup(w.as_bytes()), Some(*k), "{w}");
            assert_eq!(
                Kw::lookup(w.to_ascii_uppercase().as_bytes()),
                Some(*k),
                "{w}"
            );
        }
    }
}
