//! The option spaces, option definitions and enumerations built into ISC
//! dhcpd 4.4.3 (as compiled for Linux: `common/tables.c`, `server/stables.c`,
//! with every `RFC*_OPTIONS` switch of `includes/site.h` on, `DELAYED_ACK`
//! and `FAILOVER_PROTOCOL` on, LDAP and `EUI_64` off). Entries ISC has under
//! `#if 0` (`pxe-undefined-1..8`, `pxelinux-magic`, DHCPv6 `auth`,
//! `user-class`, `vendor-class`) are not built in and are absent here; the
//! real `dhcpd -t` rejects them as unknown options.
//!
//! These are plain facts (names, codes, format letters); the mutable view used
//! while parsing a configuration is [`Registry`](super::Registry).

/// One built-in option definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinOption {
    /// Option code within its space.
    pub code: u32,
    /// ISC option name (case as ISC spells it, e.g. `DOCSIS-device-class`).
    pub name: &'static str,
    /// ISC format string (see [`Format`](super::Format)).
    pub format: &'static str,
}

/// The option (space, code) whose value carries an encapsulated space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinParent {
    /// Space of the encapsulating option.
    pub space: &'static str,
    /// Code of the encapsulating option.
    pub code: u32,
}

/// One built-in option space ("universe" in ISC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinSpace {
    /// Space name as written in `SPACE.OPTION`.
    pub name: &'static str,
    /// Bytes of the option code on the wire (ISC `tag_size`).
    pub code_width: u8,
    /// Bytes of the option length on the wire (ISC `length_size`; 0 = none).
    pub length_width: u8,
    /// The code that ends an option buffer of this space (255 for `dhcp`),
    /// or 0 when the space has no end option. ISC rejects `unknown-0` and
    /// `unknown-END` in each space.
    pub end_code: u32,
    /// The option that encapsulates this space, if any.
    pub parent: Option<BuiltinParent>,
    /// The options defined in this space, in ISC's table order.
    pub options: &'static [BuiltinOption],
}

const fn opt(code: u32, name: &'static str, format: &'static str) -> BuiltinOption {
    BuiltinOption { code, name, format }
}

const fn parent(space: &'static str, code: u32) -> Option<BuiltinParent> {
    Some(BuiltinParent { space, code })
}

const fn space(
    name: &'static str,
    code_width: u8,
    length_width: u8,
    end_code: u32,
    parent: Option<BuiltinParent>,
    options: &'static [BuiltinOption],
) -> BuiltinSpace {
    BuiltinSpace {
        name,
        code_width,
        length_width,
        end_code,
        parent,
        options,
    }
}

/// Every option space ISC dhcpd 4.4.3 knows without a declaration, in ISC's
/// registration order. `dhcp` is first (the default space). `server` holds
/// the server parameters (`default-lease-time` ...). The
/// `fqdn6-if-you-see-me-its-a-bug-bug-bug` space is ISC's internal shim for
/// DHCPv6 option 39 and has no options of its own.
pub static BUILTIN_SPACES: &[BuiltinSpace] = &[
    space("dhcp", 1, 1, 255, None, DHCP),
    space("nwip", 1, 1, 0, parent("dhcp", 63), NWIP),
    space("fqdn", 1, 1, 0, parent("dhcp", 81), FQDN),
    space("vendor-class", 4, 1, 0, parent("dhcp", 124), VENDOR_CLASS),
    space("vendor", 4, 1, 0, parent("dhcp", 125), VENDOR),
    space("isc", 2, 2, 0, parent("vendor", 2495), ISC),
    space("dhcp6", 2, 2, 0, None, DHCP6),
    space("vsio", 4, 0, 0, parent("dhcp6", 17), VSIO),
    space("isc6", 4, 0, 0, parent("vsio", 2495), ISC6),
    space(
        "fqdn6-if-you-see-me-its-a-bug-bug-bug",
        0,
        0,
        0,
        parent("dhcp6", 39),
        &[],
    ),
    space("agent", 1, 1, 0, parent("dhcp", 82), AGENT),
    space("server", 4, 1, 0, None, SERVER),
];

/// A named set of values for `N<name>.` format items (ISC `struct enumeration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enumeration {
    /// Name used in format strings (`ddns-styles`).
    pub name: &'static str,
    /// Bytes of the value on the wire.
    pub width: u8,
    /// (keyword, value) pairs in ISC's order; keywords match case-sensitively.
    pub values: &'static [(&'static str, u32)],
}

impl Enumeration {
    /// The value of `keyword` (case-sensitive, as ISC's `strcmp`).
    pub fn value(&self, keyword: &str) -> Option<u32> {
        self.values
            .iter()
            .find(|(k, _)| *k == keyword)
            .map(|&(_, v)| v)
    }

    /// The first keyword with this value.
    pub fn keyword(&self, value: u32) -> Option<&'static str> {
        self.values
            .iter()
            .find(|&&(_, v)| v == value)
            .map(|&(k, _)| k)
    }
}

/// The enumerations ISC dhcpd registers (`add_enumeration` in
/// `common/tables.c` and `server/dhcpd.c`; the LDAP ones are not compiled in).
/// Syslog facility values are Linux's (`facility << 3`).
pub static ENUMERATIONS: &[Enumeration] = &[
    Enumeration {
        name: "duid-types",
        width: 2,
        values: &[
            ("duid-llt", 1),
            ("duid-en", 2),
            ("duid-ll", 3),
            ("duid-uuid", 4),
        ],
    },
    Enumeration {
        name: "status-codes",
        width: 2,
        values: &[
            ("success", 0),
            ("UnspecFail", 1),
            ("NoAddrsAvail", 2),
            ("NoBinding", 3),
            ("NotOnLink", 4),
            ("UseMulticast", 5),
            ("NoPrefixAvail", 6),
            ("UnknownQueryType", 7),
            ("MalformedQuery", 8),
            ("NotConfigured", 9),
            ("NotAllowed", 10),
            ("QueryTerminated", 11),
        ],
    },
    Enumeration {
        name: "dhcpv6-messages",
        width: 1,
        values: &[
            ("SOLICIT", 1),
            ("ADVERTISE", 2),
            ("REQUEST", 3),
            ("CONFIRM", 4),
            ("RENEW", 5),
            ("REBIND", 6),
            ("REPLY", 7),
            ("RELEASE", 8),
            ("DECLINE", 9),
            ("RECONFIGURE", 10),
            ("INFORMATION-REQUEST", 11),
            ("RELAY-FORW", 12),
            ("RELAY-REPL", 13),
            ("LEASEQUERY", 14),
            ("LEASEQUERY-REPLY", 15),
            ("LEASEQUERY-DONE", 16),
            ("LEASEQUERY-DATA", 17),
            ("RECONFIGURE-REQUEST", 18),
            ("RECONFIGURE-REPLY", 19),
            ("DHCPV4-QUERY", 20),
            ("DHCPV4-RESPONSE", 21),
        ],
    },
    Enumeration {
        name: "ddns-styles",
        width: 1,
        values: &[("none", 0), ("ad-hoc", 1), ("interim", 2), ("standard", 3)],
    },
    Enumeration {
        name: "syslog-facilities",
        width: 1,
        values: &[
            ("kern", 0),
            ("user", 8),
            ("mail", 16),
            ("daemon", 24),
            ("auth", 32),
            ("syslog", 40),
            ("lpr", 48),
            ("news", 56),
            ("uucp", 64),
            ("cron", 72),
            ("authpriv", 80),
            ("ftp", 88),
            ("local0", 128),
            ("local1", 136),
            ("local2", 144),
            ("local3", 152),
            ("local4", 160),
            ("local5", 168),
            ("local6", 176),
            ("local7", 184),
        ],
    },
    Enumeration {
        name: "prefix_length_modes",
        width: 1,
        values: &[
            ("ignore", 0),
            ("prefer", 1),
            ("exact", 2),
            ("minimum", 3),
            ("maximum", 4),
        ],
    },
];

/// Looks up a built-in enumeration by its exact (case-sensitive) name.
pub fn enumeration(name: &str) -> Option<&'static Enumeration> {
    ENUMERATIONS.iter().find(|e| e.name == name)
}

const DHCP: &[BuiltinOption] = &[
    opt(1, "subnet-mask", "I"),
    opt(2, "time-offset", "l"),
    opt(3, "routers", "IA"),
    opt(4, "time-servers", "IA"),
    opt(5, "ien116-name-servers", "IA"),
    opt(6, "domain-name-servers", "IA"),
    opt(7, "log-servers", "IA"),
    opt(8, "cookie-servers", "IA"),
    opt(9, "lpr-servers", "IA"),
    opt(10, "impress-servers", "IA"),
    opt(11, "resource-location-servers", "IA"),
    opt(12, "host-name", "t"),
    opt(13, "boot-size", "S"),
    opt(14, "merit-dump", "t"),
    opt(15, "domain-name", "t"),
    opt(16, "swap-server", "I"),
    opt(17, "root-path", "t"),
    opt(18, "extensions-path", "t"),
    opt(19, "ip-forwarding", "f"),
    opt(20, "non-local-source-routing", "f"),
    opt(21, "policy-filter", "IIA"),
    opt(22, "max-dgram-reassembly", "S"),
    opt(23, "default-ip-ttl", "B"),
    opt(24, "path-mtu-aging-timeout", "L"),
    opt(25, "path-mtu-plateau-table", "SA"),
    opt(26, "interface-mtu", "S"),
    opt(27, "all-subnets-local", "f"),
    opt(28, "broadcast-address", "I"),
    opt(29, "perform-mask-discovery", "f"),
    opt(30, "mask-supplier", "f"),
    opt(31, "router-discovery", "f"),
    opt(32, "router-solicitation-address", "I"),
    opt(33, "static-routes", "IIA"),
    opt(34, "trailer-encapsulation", "f"),
    opt(35, "arp-cache-timeout", "L"),
    opt(36, "ieee802-3-encapsulation", "f"),
    opt(37, "default-tcp-ttl", "B"),
    opt(38, "tcp-keepalive-interval", "L"),
    opt(39, "tcp-keepalive-garbage", "f"),
    opt(40, "nis-domain", "t"),
    opt(41, "nis-servers", "IA"),
    opt(42, "ntp-servers", "IA"),
    opt(43, "vendor-encapsulated-options", "E."),
    opt(44, "netbios-name-servers", "IA"),
    opt(45, "netbios-dd-server", "IA"),
    opt(46, "netbios-node-type", "B"),
    opt(47, "netbios-scope", "t"),
    opt(48, "font-servers", "IA"),
    opt(49, "x-display-manager", "IA"),
    opt(50, "dhcp-requested-address", "I"),
    opt(51, "dhcp-lease-time", "L"),
    opt(52, "dhcp-option-overload", "B"),
    opt(53, "dhcp-message-type", "B"),
    opt(54, "dhcp-server-identifier", "I"),
    opt(55, "dhcp-parameter-request-list", "BA"),
    opt(56, "dhcp-message", "t"),
    opt(57, "dhcp-max-message-size", "S"),
    opt(58, "dhcp-renewal-time", "L"),
    opt(59, "dhcp-rebinding-time", "L"),
    opt(60, "vendor-class-identifier", "X"),
    opt(61, "dhcp-client-identifier", "X"),
    opt(62, "nwip-domain", "t"),
    opt(63, "nwip-suboptions", "Enwip."),
    opt(64, "nisplus-domain", "t"),
    opt(65, "nisplus-servers", "IA"),
    opt(66, "tftp-server-name", "t"),
    opt(67, "bootfile-name", "t"),
    opt(68, "mobile-ip-home-agent", "IA"),
    opt(69, "smtp-server", "IA"),
    opt(70, "pop-server", "IA"),
    opt(71, "nntp-server", "IA"),
    opt(72, "www-server", "IA"),
    opt(73, "finger-server", "IA"),
    opt(74, "irc-server", "IA"),
    opt(75, "streettalk-server", "IA"),
    opt(76, "streettalk-directory-assistance-server", "IA"),
    opt(77, "user-class", "t"),
    opt(78, "slp-directory-agent", "fIa"),
    opt(79, "slp-service-scope", "fto"),
    opt(81, "fqdn", "Efqdn."),
    opt(82, "relay-agent-information", "Eagent."),
    opt(85, "nds-servers", "IA"),
    opt(86, "nds-tree-name", "t"),
    opt(87, "nds-context", "t"),
    opt(88, "bcms-controller-names", "D"),
    opt(89, "bcms-controller-address", "Ia"),
    opt(91, "client-last-transaction-time", "L"),
    opt(92, "associated-ip", "Ia"),
    opt(93, "pxe-system-type", "Sa"),
    opt(94, "pxe-interface-id", "BBB"),
    opt(97, "pxe-client-id", "BX"),
    opt(98, "uap-servers", "t"),
    opt(99, "geoconf-civic", "X"),
    opt(100, "pcode", "t"),
    opt(101, "tcode", "t"),
    opt(108, "v6-only-preferred", "L"),
    opt(112, "netinfo-server-address", "Ia"),
    opt(113, "netinfo-server-tag", "t"),
    opt(114, "default-url", "t"),
    opt(116, "auto-config", "B"),
    opt(117, "name-service-search", "Sa"),
    opt(118, "subnet-selection", "I"),
    opt(119, "domain-search", "Dc"),
    opt(124, "vivco", "Evendor-class."),
    opt(125, "vivso", "Evendor."),
    opt(136, "pana-agent", "Ia"),
    opt(137, "v4-lost", "d"),
    opt(138, "capwap-ac-v4", "Ia"),
    opt(141, "sip-ua-cs-domains", "Dc"),
    opt(142, "ipv4-address-andsf", "IA"),
    opt(146, "rdnss-selection", "BIID"),
    opt(150, "tftp-server-address", "Ia"),
    opt(159, "v4-portparams", "BBS"),
    opt(160, "v4-captive-portal", "t"),
    opt(209, "loader-configfile", "t"),
    opt(210, "loader-pathprefix", "t"),
    opt(211, "loader-reboottime", "L"),
    opt(212, "option-6rd", "BB6Ia"),
    opt(213, "v4-access-domain", "d"),
];

const NWIP: &[BuiltinOption] = &[
    opt(1, "illegal-1", ""),
    opt(2, "illegal-2", ""),
    opt(3, "illegal-3", ""),
    opt(4, "illegal-4", ""),
    opt(5, "nsq-broadcast", "f"),
    opt(6, "preferred-dss", "IA"),
    opt(7, "nearest-nwip-server", "IA"),
    opt(8, "autoretries", "B"),
    opt(9, "autoretry-secs", "B"),
    opt(10, "nwip-1-1", "f"),
    opt(11, "primary-dss", "I"),
];

const FQDN: &[BuiltinOption] = &[
    opt(1, "no-client-update", "f"),
    opt(2, "server-update", "f"),
    opt(3, "encoded", "f"),
    opt(4, "rcode1", "B"),
    opt(5, "rcode2", "B"),
    opt(6, "hostname", "t"),
    opt(7, "domainname", "t"),
    opt(8, "fqdn", "t"),
];

const VENDOR_CLASS: &[BuiltinOption] = &[opt(2495, "isc", "X")];

const VENDOR: &[BuiltinOption] = &[opt(2495, "isc", "Eisc.")];

const ISC: &[BuiltinOption] = &[opt(1, "media", "t"), opt(2, "update-assist", "X")];

const DHCP6: &[BuiltinOption] = &[
    opt(1, "client-id", "X"),
    opt(2, "server-id", "X"),
    opt(3, "ia-na", "X"),
    opt(4, "ia-ta", "X"),
    opt(5, "ia-addr", "X"),
    opt(6, "oro", "SA"),
    opt(7, "preference", "B"),
    opt(8, "elapsed-time", "S"),
    opt(9, "relay-msg", "X"),
    opt(12, "unicast", "6"),
    opt(13, "status-code", "Nstatus-codes.to"),
    opt(14, "rapid-commit", "Z"),
    opt(17, "vendor-opts", "Evsio."),
    opt(18, "interface-id", "X"),
    opt(19, "reconf-msg", "Ndhcpv6-messages."),
    opt(20, "reconf-accept", "Z"),
    opt(21, "sip-servers-names", "D"),
    opt(22, "sip-servers-addresses", "6A"),
    opt(23, "name-servers", "6A"),
    opt(24, "domain-search", "D"),
    opt(25, "ia-pd", "X"),
    opt(26, "ia-prefix", "X"),
    opt(27, "nis-servers", "6A"),
    opt(28, "nisp-servers", "6A"),
    opt(29, "nis-domain-name", "D"),
    opt(30, "nisp-domain-name", "D"),
    opt(31, "sntp-servers", "6A"),
    opt(32, "info-refresh-time", "T"),
    opt(33, "bcms-server-d", "D"),
    opt(34, "bcms-server-a", "6A"),
    opt(36, "geoconf-civic", "X"),
    opt(37, "remote-id", "X"),
    opt(38, "subscriber-id", "X"),
    opt(39, "fqdn", "Efqdn6-if-you-see-me-its-a-bug-bug-bug."),
    opt(40, "pana-agent", "6A"),
    opt(41, "new-posix-timezone", "t"),
    opt(42, "new-tzdb-timezone", "t"),
    opt(43, "ero", "SA"),
    opt(44, "lq-query", "X"),
    opt(45, "client-data", "X"),
    opt(46, "clt-time", "L"),
    opt(47, "lq-relay-data", "6X"),
    opt(48, "lq-client-link", "6A"),
    opt(51, "v6-lost", "d"),
    opt(52, "capwap-ac-v6", "6a"),
    opt(53, "relay-id", "X"),
    opt(57, "v6-access-domain", "d"),
    opt(58, "sip-ua-cs-list", "D"),
    opt(59, "bootfile-url", "t"),
    opt(60, "bootfile-param", "X"),
    opt(61, "client-arch-type", "SA"),
    opt(62, "nii", "BBB"),
    opt(64, "aftr-name", "d"),
    opt(65, "erp-local-domain-name", "d"),
    opt(74, "rdnss-selection", "6BD"),
    opt(79, "client-linklayer-addr", "X"),
    opt(80, "link-address", "6"),
    opt(82, "solmax-rt", "L"),
    opt(83, "inf-max-rt", "L"),
    opt(87, "dhcpv4-msg", "X"),
    opt(88, "dhcp4-o-dhcp6-server", "6A"),
    opt(103, "v6-captive-portal", "t"),
    opt(135, "relay-source-port", "S"),
    opt(143, "ipv6-address-andsf", "6A"),
];

const VSIO: &[BuiltinOption] = &[opt(2495, "isc", "Eisc6.")];

const ISC6: &[BuiltinOption] = &[
    opt(1, "media", "t"),
    opt(2, "update-assist", "X"),
    opt(60000, "4o6-interface", "t"),
    opt(60001, "4o6-source-address", "6"),
];

const AGENT: &[BuiltinOption] = &[
    opt(1, "circuit-id", "X"),
    opt(2, "remote-id", "X"),
    opt(3, "agent-id", "I"),
    opt(4, "DOCSIS-device-class", "L"),
    opt(5, "link-selection", "I"),
    opt(19, "relay-port", "Z"),
];

const SERVER: &[BuiltinOption] = &[
    opt(1, "default-lease-time", "T"),
    opt(2, "max-lease-time", "T"),
    opt(3, "min-lease-time", "T"),
    opt(4, "dynamic-bootp-lease-cutoff", "T"),
    opt(5, "dynamic-bootp-lease-length", "L"),
    opt(6, "boot-unknown-clients", "f"),
    opt(7, "dynamic-bootp", "f"),
    opt(8, "allow-bootp", "f"),
    opt(9, "allow-booting", "f"),
    opt(10, "one-lease-per-client", "f"),
    opt(11, "get-lease-hostnames", "f"),
    opt(12, "use-host-decl-names", "f"),
    opt(13, "use-lease-addr-for-default-route", "f"),
    opt(14, "min-secs", "B"),
    opt(15, "filename", "t"),
    opt(16, "server-name", "t"),
    opt(17, "next-server", "I"),
    opt(18, "authoritative", "f"),
    opt(19, "vendor-option-space", "U"),
    opt(20, "always-reply-rfc1048", "f"),
    opt(21, "site-option-space", "X"),
    opt(22, "always-broadcast", "f"),
    opt(23, "ddns-domainname", "t"),
    opt(24, "ddns-hostname", "t"),
    opt(25, "ddns-rev-domainname", "t"),
    opt(26, "lease-file-name", "t"),
    opt(27, "pid-file-name", "t"),
    opt(28, "duplicates", "f"),
    opt(29, "declines", "f"),
    opt(30, "ddns-updates", "f"),
    opt(31, "omapi-port", "S"),
    opt(32, "local-port", "S"),
    opt(33, "limited-broadcast-address", "I"),
    opt(34, "remote-port", "S"),
    opt(35, "local-address", "I"),
    opt(36, "omapi-key", "k"),
    opt(37, "stash-agent-options", "f"),
    opt(38, "ddns-ttl", "T"),
    opt(39, "ddns-update-style", "Nddns-styles."),
    opt(40, "client-updates", "f"),
    opt(41, "update-optimization", "f"),
    opt(42, "ping-check", "f"),
    opt(43, "update-static-leases", "f"),
    opt(44, "log-facility", "Nsyslog-facilities."),
    opt(45, "do-forward-updates", "f"),
    opt(46, "ping-timeout", "T"),
    opt(47, "infinite-is-reserved", "f"),
    opt(48, "update-conflict-detection", "f"),
    opt(49, "leasequery", "f"),
    opt(50, "adaptive-lease-time-threshold", "B"),
    opt(51, "do-reverse-updates", "f"),
    opt(52, "fqdn-reply", "f"),
    opt(53, "preferred-lifetime", "T"),
    opt(54, "dhcpv6-lease-file-name", "t"),
    opt(55, "dhcpv6-pid-file-name", "t"),
    opt(56, "limit-addrs-per-ia", "L"),
    opt(57, "limit-prefs-per-ia", "L"),
    opt(58, "delayed-ack", "S"),
    opt(59, "max-ack-delay", "L"),
    opt(78, "dhcp-cache-threshold", "B"),
    opt(79, "dont-use-fsync", "f"),
    opt(80, "ddns-local-address4", "I"),
    opt(81, "ddns-local-address6", "6"),
    opt(82, "ignore-client-uids", "f"),
    opt(83, "log-threshold-low", "B"),
    opt(84, "log-threshold-high", "B"),
    opt(85, "echo-client-id", "f"),
    opt(86, "server-id-check", "f"),
    opt(87, "prefix-length-mode", "Nprefix_length_modes."),
    opt(88, "dhcpv6-set-tee-times", "f"),
    opt(89, "abandon-lease-time", "T"),
    opt(92, "check-secs-byte-order", "f"),
    opt(93, "ddns-dual-stack-mixed-mode", "f"),
    opt(94, "ddns-guard-id-must-match", "f"),
    opt(95, "ddns-other-guard-is-dynamic", "f"),
    opt(96, "release-on-roam", "f"),
    opt(97, "local-address6", "6"),
    opt(98, "bind-local-address6", "f"),
    opt(99, "ping-cltt-secs", "T"),
    opt(100, "ping-timeout-ms", "T"),
];
