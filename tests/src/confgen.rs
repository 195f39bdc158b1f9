//! A seeded, deterministic generator of `dhcpd.conf` files for differential testing against
//! ISC dhcpd, and mutations that break them the way people break them.
//!
//! [`generate`] builds one configuration from a seed: global parameters, options of every value
//! type, option spaces and option code definitions (arrays, records, encapsulation), keys and
//! zones, failover peers (primary or secondary) with the pools that refer to them, classes
//! (`match if` with substring/option/hardware/concat/binary-to-ascii/and/or/not/=/~=/~~,
//! `match` + subclasses, `spawn with`, `lease limit`), shared networks, subnets with ranges and
//! pools (allow/deny permit lists), hosts (hardware, fixed-address, uid, host-identifier),
//! groups, if/elsif/else, switch, `on commit`/`on expiry`/`on release`, set/unset/log/execute,
//! supersede/default/prepend/append and `NAME = EXPR;` parameters.
//!
//! Then, unless [`Mutation::None`] was picked, one [`Mutation`] is applied. Addresses come only
//! from the documentation networks 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737).
//!
//! The same seed always gives the same file (the PRNG is SplitMix64, written out here).

use std::fmt;

/// SplitMix64: small, fast, and good enough to pick grammar productions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One element of a slice. Panics on an empty slice: callers pass non-empty literals.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How a generated configuration was broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// Unbroken: ISC should accept it.
    None,
    /// One `;` removed.
    DropSemicolon,
    /// One `}` removed.
    DropRbrace,
    /// `};` instead of `}`.
    SemicolonAfterRbrace,
    /// A statement keyword with a letter dropped or two letters swapped.
    MisspeltKeyword,
    /// `filename pxelinux.0;` (a file name with a dot, not quoted).
    UnquotedFilename,
    /// A range address outside its subnet.
    RangeOutsideSubnet,
    /// `subnet A netmask M` where A has host bits set.
    HostBitsInSubnet,
    /// The same host declared twice.
    DuplicateHost,
    /// A number too large for its type.
    NumberTooLarge,
    /// A malformed hardware address.
    BadMac,
    /// An option name that does not exist.
    UnknownOption,
    /// A pool refers to a failover peer that was never declared.
    UndeclaredPeer,
    /// A permit or subclass refers to a class that was never declared.
    UndeclaredClass,
    /// A zone refers to a key that was never declared.
    UndeclaredKey,
    /// A key loses its `secret` line (ISC 4.4.3 crashes on it).
    KeyWithoutSecret,
}

impl Mutation {
    /// Every mutation that breaks something, in a fixed order.
    pub const BREAKING: [Mutation; 15] = [
        Mutation::DropSemicolon,
        Mutation::DropRbrace,
        Mutation::SemicolonAfterRbrace,
        Mutation::MisspeltKeyword,
        Mutation::UnquotedFilename,
        Mutation::RangeOutsideSubnet,
        Mutation::HostBitsInSubnet,
        Mutation::DuplicateHost,
        Mutation::NumberTooLarge,
        Mutation::BadMac,
        Mutation::UnknownOption,
        Mutation::UndeclaredPeer,
        Mutation::UndeclaredClass,
        Mutation::UndeclaredKey,
        Mutation::KeyWithoutSecret,
    ];

    /// A short kebab-case name, used in file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Mutation::None => "none",
            Mutation::DropSemicolon => "drop-semicolon",
            Mutation::DropRbrace => "drop-rbrace",
            Mutation::SemicolonAfterRbrace => "semicolon-after-rbrace",
            Mutation::MisspeltKeyword => "misspelt-keyword",
            Mutation::UnquotedFilename => "unquoted-filename",
            Mutation::RangeOutsideSubnet => "range-outside-subnet",
            Mutation::HostBitsInSubnet => "host-bits-in-subnet",
            Mutation::DuplicateHost => "duplicate-host",
            Mutation::NumberTooLarge => "number-too-large",
            Mutation::BadMac => "bad-mac",
            Mutation::UnknownOption => "unknown-option",
            Mutation::UndeclaredPeer => "undeclared-peer",
            Mutation::UndeclaredClass => "undeclared-class",
            Mutation::UndeclaredKey => "undeclared-key",
            Mutation::KeyWithoutSecret => "key-without-secret",
        }
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generated configuration.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed it was generated from.
    pub seed: u64,
    /// The mutation applied.
    pub mutation: Mutation,
    /// Where the mutation was applied (1-based line of the file, before the mutation when it
    /// removed a line); 0 when unmutated.
    pub mutated_line: usize,
    /// The constructs the file contains (for triage).
    pub features: Vec<&'static str>,
    /// The file's text.
    pub text: String,
}

/// What a line is, for the mutations that need to find a particular kind of line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    Plain,
    /// `range LO HI;`
    Range,
    /// `subnet A netmask M {`, with A's last octet.
    Subnet,
    /// `hardware TYPE MAC;`
    Hardware,
    /// `filename "…";`
    Filename,
    /// `failover peer "NAME";` (reference)
    PeerRef(String),
    /// A class referred to by name (`allow members of "C";`, `subclass "C" …`).
    ClassRef(String),
    /// `key NAME;` inside a zone.
    KeyRef(String),
    /// `secret "…";` inside a key.
    KeySecret,
    /// A statement holding the number `.0`, which is too large when replaced by `.1`.
    Number(String, String),
    /// `option NAME …;` with the option's name.
    Opt(String),
}

#[derive(Debug, Clone)]
struct Line {
    indent: usize,
    text: String,
    tag: Tag,
}

/// A subnet of one of the two documentation /24s.
#[derive(Debug, Clone, Copy)]
struct Net {
    /// Third-party /24: 0 = 198.51.100, 1 = 203.0.113.
    which: usize,
    /// First address's last octet.
    base: u8,
    /// Prefix length, 24..=28.
    prefix: u8,
}

const NETS: [&str; 2] = ["198.51.100", "203.0.113"];

impl Net {
    fn size(self) -> usize {
        1usize << (32 - self.prefix as usize)
    }
    fn addr(self, host: usize) -> String {
        format!("{}.{}", NETS[self.which], self.base as usize + host)
    }
    fn mask(self) -> String {
        let m: u32 = !0u32 << (32 - self.prefix as u32);
        format!("255.255.255.{}", m & 0xff)
    }
    fn broadcast(self) -> String {
        self.addr(self.size() - 1)
    }
}

struct Gen {
    rng: Rng,
    lines: Vec<Line>,
    depth: usize,
    /// (first line, last line) of every host declaration.
    hosts: Vec<(usize, usize)>,
    features: Vec<&'static str>,
    host_count: usize,
    mac_count: usize,
    var_count: usize,
    /// Declared option spaces with their (option name, value) samples.
    spaces: Vec<(String, Vec<(String, String)>)>,
    /// Declared site options (dhcp space) with a sample value.
    site_options: Vec<(String, String)>,
    classes: Vec<String>,
    submatch_classes: Vec<String>,
    keys: Vec<String>,
    peers: Vec<String>,
    /// Peers that no pool refers to yet.
    unreferenced_peers: Vec<String>,
}

impl Gen {
    fn feature(&mut self, f: &'static str) {
        if !self.features.contains(&f) {
            self.features.push(f);
        }
    }

    fn push(&mut self, text: impl Into<String>, tag: Tag) -> usize {
        self.lines.push(Line {
            indent: self.depth,
            text: text.into(),
            tag,
        });
        self.lines.len() - 1
    }

    fn line(&mut self, text: impl Into<String>) -> usize {
        self.push(text, Tag::Plain)
    }

    fn open(&mut self, head: impl Into<String>) -> usize {
        let head = head.into();
        let i = self.push(format!("{head} {{"), Tag::Plain);
        self.depth += 1;
        i
    }

    fn open_tagged(&mut self, head: impl Into<String>, tag: Tag) -> usize {
        let head = head.into();
        let i = self.push(format!("{head} {{"), tag);
        self.depth += 1;
        i
    }

    fn close(&mut self) -> usize {
        self.depth = self.depth.saturating_sub(1);
        self.line("}")
    }

    fn mac(&mut self) -> String {
        self.mac_count += 1;
        let n = self.mac_count;
        format!(
            "00:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            self.rng.below(256),
            0x10 + self.rng.below(0x60),
            self.rng.below(256),
            (n >> 8) & 0xff,
            n & 0xff
        )
    }

    fn hex_bytes(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| format!("{:02x}", self.rng.below(256)))
            .collect::<Vec<_>>()
            .join(":")
    }

    fn ip_any(&mut self) -> String {
        format!("{}.{}", self.rng.pick(&NETS), self.rng.range(1, 254))
    }

    fn ip_list(&mut self, max: usize) -> String {
        let n = self.rng.range(1, max);
        (0..n).map(|_| self.ip_any()).collect::<Vec<_>>().join(", ")
    }

    fn word(&mut self) -> &'static str {
        const WORDS: [&str; 8] = [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
        ];
        WORDS[self.rng.below(WORDS.len())]
    }

    // ---------------------------------------------------------------------------------------
    // Options and parameters

    /// One `option NAME VALUE;` statement of a built-in or declared option.
    fn option_stmt(&mut self) {
        let k = self.rng.below(24);
        let (name, value, number): (&str, String, Option<(&str, &str)>) = match k {
            0 => ("domain-name-servers", self.ip_list(3), None),
            1 => ("routers", self.ip_list(2), None),
            2 => ("ntp-servers", self.ip_list(2), None),
            3 => (
                "domain-name",
                format!("\"{}.example.org\"", self.word()),
                None,
            ),
            4 => {
                self.feature("option-domain-list");
                let n = self.rng.range(1, 3);
                let v = (0..n)
                    .map(|i| format!("\"{}{i}.example.net\"", self.word()))
                    .collect::<Vec<_>>()
                    .join(", ");
                ("domain-search", v, None)
            }
            5 => {
                self.feature("option-signed-int");
                let v = *self.rng.pick(&["-18000", "3600", "0", "-1"]);
                ("time-offset", v.to_string(), None)
            }
            6 => ("default-ip-ttl", "64".into(), Some(("64", "256"))),
            7 => ("interface-mtu", "1500".into(), Some(("1500", "65536"))),
            8 => {
                self.feature("option-boolean");
                let v = *self.rng.pick(&["on", "off", "true", "false"]);
                ("ip-forwarding", v.to_string(), None)
            }
            9 => ("host-name", format!("\"{}\"", self.word()), None),
            10 => ("netbios-name-servers", self.ip_list(2), None),
            11 => ("netbios-node-type", "8".into(), Some(("8", "300"))),
            12 => (
                "dhcp-lease-time",
                "7200".into(),
                Some(("7200", "4294967296")),
            ),
            13 => {
                self.feature("option-hex");
                let v = format!("01:04:{}", self.hex_bytes(4));
                ("vendor-encapsulated-options", v, None)
            }
            14 => {
                self.feature("option-hex");
                let v = format!("01:{}", self.hex_bytes(6));
                ("dhcp-client-identifier", v, None)
            }
            15 => ("tftp-server-name", format!("\"{}\"", self.ip_any()), None),
            16 => ("bootfile-name", "\"undionly.kpxe\"".into(), None),
            17 => {
                self.feature("option-record-array");
                let v = format!(
                    "{} {}, {} {}",
                    self.ip_any(),
                    self.ip_any(),
                    self.ip_any(),
                    self.ip_any()
                );
                ("static-routes", v, None)
            }
            18 => {
                self.feature("option-uint8-array");
                ("dhcp-parameter-request-list", "1, 3, 6, 15".into(), None)
            }
            19 => ("nis-domain", "\"nis.example.org\"".into(), None),
            20 => ("max-dgram-reassembly", "576".into(), Some(("576", "70000"))),
            21 => {
                self.feature("option-bool-and-ip-list");
                let v = format!("true {}", self.ip_list(2));
                ("slp-directory-agent", v, None)
            }
            22 => {
                if let Some((space, opts)) = self.spaces.first().cloned() {
                    self.feature("option-in-declared-space");
                    let (n, v) = opts[self.rng.below(opts.len())].clone();
                    let full = format!("{space}.{n}");
                    self.push(format!("option {full} {v};"), Tag::Opt(full.clone()));
                    return;
                }
                ("log-servers", self.ip_list(2), None)
            }
            _ => {
                if !self.site_options.is_empty() {
                    self.feature("option-site-defined");
                    let (n, v) = self.site_options[self.rng.below(self.site_options.len())].clone();
                    self.push(format!("option {n} {v};"), Tag::Opt(n.clone()));
                    return;
                }
                ("all-subnets-local", "on".into(), None)
            }
        };
        let text = format!("option {name} {value};");
        let tag = match number {
            Some((small, big)) => Tag::Number(small.into(), big.into()),
            None => Tag::Opt(name.to_string()),
        };
        self.push(text, tag);
    }

    /// One server parameter (`NAME VALUE;`, allow/deny, authoritative …).
    /// `exec`: inside if/switch/on bodies, where only executable statements are allowed (no
    /// `authoritative`, no allow/deny).
    fn parameter(&mut self, global: bool) {
        self.parameter_in(global, false);
    }

    fn parameter_in(&mut self, global: bool, exec: bool) {
        let mut k = self.rng.below(if global { 26 } else { 18 });
        if exec && (k == 7 || k == 8) {
            k = 0;
        }
        match k {
            0 => {
                let v = *self.rng.pick(&["600", "3600", "86400", "43200"]);
                self.push(
                    format!("default-lease-time {v};"),
                    Tag::Number(v.into(), "4294967296".into()),
                );
            }
            1 => {
                let v = *self.rng.pick(&["7200", "86400", "604800"]);
                self.push(
                    format!("max-lease-time {v};"),
                    Tag::Number(v.into(), "99999999999".into()),
                );
            }
            2 => {
                self.push(
                    "min-lease-time 300;",
                    Tag::Number("300".into(), "4294967297".into()),
                );
            }
            3 => {
                let v = *self.rng.pick(&["on", "off", "true", "false"]);
                let n = *self.rng.pick(&[
                    "one-lease-per-client",
                    "ping-check",
                    "use-host-decl-names",
                    "get-lease-hostnames",
                    "update-static-leases",
                    "update-conflict-detection",
                    "echo-client-id",
                ]);
                self.feature("param-boolean");
                self.line(format!("{n} {v};"));
            }
            4 => {
                self.push("filename \"pxelinux.0\";", Tag::Filename);
            }
            5 => {
                let ip = self.ip_any();
                self.line(format!("next-server {ip};"));
            }
            6 => {
                self.line("server-name \"boot.example.org\";");
            }
            7 => {
                self.feature("allow-deny-flags");
                let verb = *self.rng.pick(&["allow", "deny", "ignore"]);
                let what = *self.rng.pick(&[
                    "unknown-clients",
                    "bootp",
                    "booting",
                    "declines",
                    "client-updates",
                    "dynamic-bootp",
                ]);
                self.line(format!("{verb} {what};"));
            }
            8 => {
                let a = *self.rng.pick(&["authoritative;", "not authoritative;"]);
                self.line(a);
            }
            9 => {
                self.push("min-secs 5;", Tag::Number("5".into(), "256".into()));
            }
            10 => {
                self.line("ddns-domainname \"example.org.\";");
            }
            11 => {
                self.push(
                    "ddns-ttl 300;",
                    Tag::Number("300".into(), "4294967296".into()),
                );
            }
            12 => {
                self.feature("param-expression");
                let e = self.data_expr(2);
                self.line(format!("ddns-hostname = {e};"));
            }
            13 => {
                self.feature("option-expression");
                let e = self.data_expr(2);
                self.line(format!("option host-name = {e};"));
            }
            14 => {
                self.feature("supersede-default-prepend-append");
                let verb = *self
                    .rng
                    .pick(&["supersede", "default", "prepend", "append"]);
                let ip = self.ip_any();
                self.line(format!("{verb} domain-name-servers {ip};"));
            }
            15 => {
                self.push(
                    "adaptive-lease-time-threshold 50;",
                    Tag::Number("50".into(), "256".into()),
                );
            }
            16 => {
                self.push(
                    "dynamic-bootp-lease-length 3600;",
                    Tag::Number("3600".into(), "4294967296".into()),
                );
            }
            17 => {
                self.line("ping-timeout 1;");
            }
            18 => {
                let v = *self.rng.pick(&["none", "interim", "standard"]);
                self.feature("ddns-update-style");
                self.line(format!("ddns-update-style {v};"));
            }
            19 => {
                let v = *self.rng.pick(&["local7", "daemon", "local0", "syslog"]);
                self.line(format!("log-facility {v};"));
            }
            20 => {
                self.line("lease-file-name \"/var/lib/dhcp/dhcpd.leases\";");
            }
            21 => {
                self.feature("db-time-format");
                let v = *self.rng.pick(&["local", "default"]);
                self.line(format!("db-time-format {v};"));
            }
            22 => {
                self.line("ddns-rev-domainname \"in-addr.arpa.\";");
            }
            23 => {
                self.push(
                    "omapi-port 7911;",
                    Tag::Number("7911".into(), "65536".into()),
                );
            }
            24 => {
                self.line("stash-agent-options true;");
            }
            _ => {
                self.push(
                    "abandon-lease-time 3600;",
                    Tag::Number("3600".into(), "4294967296".into()),
                );
            }
        }
    }

    fn params_and_options(&mut self, n: usize, global: bool) {
        for _ in 0..n {
            if self.rng.chance(50) {
                self.option_stmt();
            } else {
                self.parameter(global);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Expressions

    fn option_ref(&mut self) -> String {
        let mut names: Vec<String> = [
            "vendor-class-identifier",
            "dhcp-client-identifier",
            "host-name",
            "user-class",
            "agent.circuit-id",
            "agent.remote-id",
            "dhcp-parameter-request-list",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some((space, opts)) = self.spaces.first() {
            names.push(format!("{space}.{}", opts[0].0));
        }
        names[self.rng.below(names.len())].clone()
    }

    fn data_expr(&mut self, depth: usize) -> String {
        let k = if depth == 0 {
            self.rng.below(4)
        } else {
            self.rng.below(14)
        };
        match k {
            0 => {
                let o = self.option_ref();
                format!("option {o}")
            }
            1 => "hardware".into(),
            2 => format!("\"{}\"", self.word()),
            3 => {
                let n = self.rng.range(1, 4);
                self.hex_bytes(n)
            }
            4 => {
                self.feature("expr-substring");
                let d = self.data_expr(depth - 1);
                format!(
                    "substring ({d}, {}, {})",
                    self.rng.below(4),
                    self.rng.range(1, 9)
                )
            }
            5 => {
                self.feature("expr-concat");
                let a = self.data_expr(depth - 1);
                let b = self.data_expr(depth - 1);
                format!("concat ({a}, {b})")
            }
            6 => {
                self.feature("expr-binary-to-ascii");
                let d = self.data_expr(depth - 1);
                let base = *self.rng.pick(&["16", "10", "8"]);
                let sep = *self.rng.pick(&["\":\"", "\".\"", "\"-\"", "\"\""]);
                format!("binary-to-ascii ({base}, 8, {sep}, {d})")
            }
            7 => {
                self.feature("expr-suffix");
                let d = self.data_expr(depth - 1);
                format!("suffix ({d}, {})", self.rng.range(1, 6))
            }
            8 => {
                self.feature("expr-case");
                let d = self.data_expr(depth - 1);
                let f = *self.rng.pick(&["lcase", "ucase"]);
                format!("{f} ({d})")
            }
            9 => {
                self.feature("expr-pick-first-value");
                let a = self.data_expr(depth - 1);
                let b = self.data_expr(depth - 1);
                format!("pick-first-value ({a}, {b})")
            }
            10 => {
                self.feature("expr-encode-int");
                format!("encode-int ({}, 32)", self.rng.below(1000))
            }
            11 => {
                self.feature("expr-packet");
                format!("packet ({}, {})", self.rng.below(240), self.rng.range(1, 6))
            }
            12 => {
                self.feature("expr-config-option");
                "config-option domain-name".into()
            }
            _ => {
                self.feature("expr-reverse");
                let d = self.data_expr(depth - 1);
                format!("reverse (1, {d})")
            }
        }
    }

    fn bool_expr(&mut self, depth: usize) -> String {
        let k = if depth == 0 {
            self.rng.below(5)
        } else {
            self.rng.below(10)
        };
        match k {
            0 => {
                let o = self.option_ref();
                format!(
                    "substring (option {o}, 0, {}) = \"{}\"",
                    self.rng.range(3, 9),
                    self.word()
                )
            }
            1 => {
                self.feature("expr-exists");
                let o = self.option_ref();
                format!("exists {o}")
            }
            2 => {
                self.feature("expr-hardware");
                let mac = self.mac();
                format!("hardware = 1:{mac}")
            }
            3 => {
                self.feature("expr-known");
                (*self.rng.pick(&["known", "not known", "static"])).to_string()
            }
            4 => {
                let d = self.data_expr(1);
                let op = *self.rng.pick(&["=", "!="]);
                let v = self.data_expr(0);
                format!("{d} {op} {v}")
            }
            5 => {
                self.feature("expr-regex");
                let d = self.data_expr(1);
                let op = *self.rng.pick(&["~=", "~~"]);
                let re =
                    *self
                        .rng
                        .pick(&["\"^PXEClient\"", "\"^00:1[0-9a-f]\"", "\"iPXE$\"", "\".*\""]);
                format!("{d} {op} {re}")
            }
            6 => {
                self.feature("expr-and-or");
                let a = self.bool_expr(depth - 1);
                let b = self.bool_expr(depth - 1);
                let op = *self.rng.pick(&["and", "or"]);
                if self.rng.chance(50) {
                    format!("({a}) {op} ({b})")
                } else {
                    format!("{a} {op} {b}")
                }
            }
            7 => {
                self.feature("expr-not");
                let a = self.bool_expr(depth - 1);
                format!("not ({a})")
            }
            8 => {
                self.feature("expr-extract-int");
                // Parenthesised: ISC rejects a numeric comparison as the right operand of
                // `and`/`or` ("illegal expression relating different types").
                format!(
                    "(extract-int (option dhcp-message-type, 8) = {})",
                    self.rng.range(1, 8)
                )
            }
            _ => {
                let a = self.bool_expr(depth - 1);
                format!("({a})")
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Executable statements

    fn exec_stmt(&mut self, depth: usize, in_on: bool) {
        let k = self.rng.below(if depth == 0 { 7 } else { 10 });
        match k {
            0 => self.option_stmt(),
            1 => {
                self.feature("exec-set");
                self.var_count += 1;
                let v = format!("var{}", self.var_count);
                let e = if in_on && self.rng.chance(50) {
                    "binary-to-ascii (10, 8, \".\", leased-address)".to_string()
                } else {
                    self.data_expr(2)
                };
                self.line(format!("set {v} = {e};"));
                if self.rng.chance(30) {
                    self.feature("exec-unset");
                    self.line(format!("unset {v};"));
                }
            }
            2 => {
                self.feature("exec-log");
                let pri = *self.rng.pick(&["info", "debug", "error"]);
                let e = self.data_expr(2);
                if self.rng.chance(70) {
                    self.line(format!("log ({pri}, {e});"));
                } else {
                    self.line(format!("log ({e});"));
                }
            }
            3 => {
                self.feature("exec-execute");
                let e = self.data_expr(1);
                self.line(format!(
                    "execute (\"/usr/local/sbin/dhcp-hook\", \"commit\", {e});"
                ));
            }
            4 => {
                self.feature("supersede-default-prepend-append");
                let verb = *self
                    .rng
                    .pick(&["supersede", "default", "prepend", "append"]);
                let ip = self.ip_any();
                self.line(format!("{verb} routers {ip};"));
            }
            5 => {
                self.feature("param-expression");
                let e = self.data_expr(2);
                self.line(format!("ddns-hostname = {e};"));
            }
            6 => self.parameter_in(false, true),
            7 => self.if_stmt(depth - 1, in_on),
            8 => {
                self.feature("exec-switch");
                self.open("switch (option vendor-class-identifier)");
                let w = self.word();
                self.line(format!("case \"{w}\":"));
                self.depth += 1;
                self.exec_stmt(0, in_on);
                self.depth -= 1;
                self.line("default:");
                self.depth += 1;
                self.exec_stmt(0, in_on);
                self.depth -= 1;
                self.close();
            }
            _ => {
                if in_on {
                    self.exec_stmt(0, in_on);
                } else {
                    self.on_stmt();
                }
            }
        }
    }

    fn if_stmt(&mut self, depth: usize, in_on: bool) {
        self.feature("exec-if");
        let c = self.bool_expr(2);
        self.open(format!("if {}", if_condition(c)));
        for _ in 0..self.rng.range(1, 2) {
            self.exec_stmt(depth, in_on);
        }
        self.close();
        for _ in 0..self.rng.below(2) {
            self.feature("exec-elsif");
            let c = if_condition(self.bool_expr(1));
            // ISC writes `} elsif … {`; the closing brace of the previous branch stays on its
            // own line so that drop-rbrace mutations can find it.
            self.open(format!("elsif {c}"));
            self.exec_stmt(depth, in_on);
            self.close();
        }
        if self.rng.chance(50) {
            self.feature("exec-else");
            self.open("else");
            self.exec_stmt(depth, in_on);
            self.close();
        }
    }

    fn on_stmt(&mut self) {
        self.feature("exec-on");
        let ev = *self
            .rng
            .pick(&["commit", "expiry", "release", "commit or release"]);
        self.open(format!("on {ev}"));
        for _ in 0..self.rng.range(1, 3) {
            self.exec_stmt(1, true);
        }
        self.close();
    }

    // ---------------------------------------------------------------------------------------
    // Declarations

    fn option_space(&mut self) {
        self.feature("option-space");
        let name = format!("{}sp", self.word());
        if self.spaces.iter().any(|(n, _)| *n == name) {
            return;
        }
        if self.rng.chance(30) {
            self.feature("option-space-widths");
            self.line(format!(
                "option space {name} code width 1 length width 1 hash size 3;"
            ));
        } else {
            self.line(format!("option space {name};"));
        }
        let defs: [(&str, &str, &str, &str); 8] = [
            ("server", "ip-address", "198.51.100.9", "option-def-ip"),
            ("label", "text", "\"label\"", "option-def-text"),
            (
                "servers",
                "array of ip-address",
                "198.51.100.9, 203.0.113.9",
                "option-def-array",
            ),
            (
                "rec",
                "{ ip-address, unsigned integer 16, text }",
                "198.51.100.9 5060 \"sip\"",
                "option-def-record",
            ),
            ("flag", "boolean", "true", "option-def-boolean"),
            ("num", "signed integer 32", "-5", "option-def-int"),
            ("blob", "string", "01:02:03", "option-def-string"),
            ("count", "unsigned integer 8", "7", "option-def-int"),
        ];
        let mut opts = Vec::new();
        let n = self.rng.range(2, defs.len());
        for (code, (oname, ty, val, feat)) in defs.iter().take(n).enumerate() {
            self.feature(feat);
            self.line(format!("option {name}.{oname} code {} = {ty};", code + 1));
            opts.push((oname.to_string(), val.to_string()));
        }
        if self.rng.chance(50) {
            self.feature("option-def-encapsulate");
            let enc = format!("{name}-encap");
            self.line(format!(
                "option {enc} code {} = encapsulate {name};",
                224 + self.spaces.len()
            ));
        }
        if self.rng.chance(30) {
            self.feature("vendor-option-space");
            self.line(format!("vendor-option-space {name};"));
        }
        self.spaces.push((name, opts));
    }

    fn site_option_defs(&mut self) {
        self.feature("option-def-site");
        let defs: [(&str, &str, &str); 5] = [
            (
                "rfc3442-routes",
                "array of unsigned integer 8",
                "24, 198, 51, 100, 198, 51, 100, 1",
            ),
            ("wpad-url", "text", "\"http://wpad.example.org/wpad.dat\""),
            (
                "tftp-list",
                "array of ip-address",
                "198.51.100.3, 203.0.113.3",
            ),
            ("pxe-arch", "unsigned integer 16", "7"),
            (
                "site-rec",
                "{ unsigned integer 8, ip-address }",
                "1 198.51.100.4",
            ),
        ];
        let codes = [121usize, 252, 150, 240, 241];
        for i in 0..self.rng.range(1, defs.len()) {
            let (n, ty, v) = defs[i];
            self.line(format!("option {n} code {} = {ty};", codes[i]));
            self.site_options.push((n.to_string(), v.to_string()));
        }
    }

    fn key_and_zone(&mut self) {
        self.feature("key");
        let name = format!("{}-key", self.word());
        if self.keys.contains(&name) {
            return;
        }
        let quoted = self.rng.chance(40);
        let alg = *self.rng.pick(&["hmac-md5", "hmac-sha256", "HMAC-SHA512"]);
        self.open(if quoted {
            format!("key \"{name}\"")
        } else {
            format!("key {name}")
        });
        self.line(format!("algorithm {alg};"));
        self.push("secret \"c3R1YmtleXN0dWJrZXk=\";", Tag::KeySecret);
        let end = self.close();
        if self.rng.chance(40) {
            self.lines[end].text = "};".into();
        }
        self.keys.push(name.clone());
        for z in 0..self.rng.range(1, 2) {
            self.feature("zone");
            let zname = if z == 0 {
                format!("{}.example.org.", self.word())
            } else {
                "100.51.198.in-addr.arpa.".to_string()
            };
            self.open(format!("zone {zname}"));
            let p = self.ip_any();
            self.line(format!("primary {p};"));
            if self.rng.chance(40) {
                let s = self.ip_any();
                self.line(format!("secondary {s};"));
            }
            let kref = if self.rng.chance(50) {
                format!("\"{name}\"")
            } else {
                name.clone()
            };
            self.push(format!("key {kref};"), Tag::KeyRef(kref.clone()));
            self.close();
        }
    }

    fn failover_peer(&mut self) {
        let name = format!("fo-{}", self.word());
        if self.peers.contains(&name) {
            return;
        }
        let primary = self.rng.chance(50);
        self.feature(if primary {
            "failover-primary"
        } else {
            "failover-secondary"
        });
        self.open(format!("failover peer \"{name}\""));
        let (me, them) = ("198.51.100.2", "198.51.100.3");
        let (port, pport) = if primary { (647, 847) } else { (847, 647) };
        let mut stmts: Vec<(String, Tag)> = vec![
            (
                (if primary { "primary;" } else { "secondary;" }).into(),
                Tag::Plain,
            ),
            (
                format!("address {}", if primary { me } else { them }) + ";",
                Tag::Plain,
            ),
            (
                format!("port {port};"),
                Tag::Number(port.to_string(), "65536".into()),
            ),
            (
                format!("peer address {};", if primary { them } else { me }),
                Tag::Plain,
            ),
            (format!("peer port {pport};"), Tag::Plain),
            ("max-response-delay 60;".into(), Tag::Plain),
            ("max-unacked-updates 10;".into(), Tag::Plain),
            ("load balance max seconds 3;".into(), Tag::Plain),
        ];
        if primary {
            stmts.push(("mclt 3600;".into(), Tag::Plain));
            if self.rng.chance(70) {
                stmts.push(("split 128;".into(), Tag::Number("128".into(), "257".into())));
            } else {
                self.feature("failover-hba");
                let hba = (0..32).map(|_| "ff").collect::<Vec<_>>().join(":");
                stmts.push((format!("hba {hba};"), Tag::Plain));
            }
        }
        if self.rng.chance(40) {
            self.feature("failover-balance");
            stmts.push(("max-lease-misbalance 15;".into(), Tag::Plain));
            stmts.push(("max-lease-ownership 10;".into(), Tag::Plain));
            stmts.push(("min-balance 60;".into(), Tag::Plain));
            stmts.push(("max-balance 3600;".into(), Tag::Plain));
        }
        if self.rng.chance(30) {
            stmts.push(("auto-partner-down 0;".into(), Tag::Plain));
        }
        for (s, t) in stmts {
            self.push(s, t);
        }
        self.close();
        self.peers.push(name.clone());
        self.unreferenced_peers.push(name);
    }

    fn class(&mut self) {
        let name = format!("class-{}", self.classes.len() + self.submatch_classes.len());
        let kind = self.rng.below(4);
        self.open(format!("class \"{name}\""));
        match kind {
            0 | 1 => {
                self.feature("class-match-if");
                let e = self.bool_expr(3);
                self.line(format!("match if {e};"));
            }
            2 => {
                self.feature("class-match");
                let e = if self.rng.chance(50) {
                    "option vendor-class-identifier".to_string()
                } else {
                    "substring (hardware, 1, 3)".to_string()
                };
                self.line(format!("match {e};"));
            }
            _ => {
                self.feature("class-spawn");
                self.line("match if exists dhcp-client-identifier;");
                self.line("spawn with option dhcp-client-identifier;");
            }
        }
        if self.rng.chance(30) {
            self.feature("class-lease-limit");
            self.push(
                "lease limit 4;",
                Tag::Number("4".into(), "4294967296".into()),
            );
        }
        for _ in 0..self.rng.below(3) {
            self.exec_stmt(1, false);
        }
        self.close();
        if kind == 2 {
            self.submatch_classes.push(name.clone());
            for i in 0..self.rng.range(1, 3) {
                self.feature("subclass");
                let v = if i % 2 == 0 {
                    format!("\"{}\"", self.word())
                } else {
                    self.hex_bytes(3)
                };
                let quoted = format!("\"{name}\"");
                if self.rng.chance(50) {
                    self.push(
                        format!("subclass {quoted} {v};"),
                        Tag::ClassRef(quoted.clone()),
                    );
                } else {
                    self.open_tagged(format!("subclass {quoted} {v}"), Tag::ClassRef(quoted));
                    self.option_stmt();
                    self.close();
                }
            }
        } else {
            self.classes.push(name);
        }
    }

    fn host(&mut self, net: Option<Net>, fixed: &mut usize) {
        self.host_count += 1;
        let n = self.host_count;
        let name = match self.rng.below(3) {
            0 => format!("host-{n}"),
            1 => format!("pc{n:02}.example.org"),
            _ => format!("{n}{}", self.word()),
        };
        self.feature("host");
        let start = self.open(format!("host {name}"));
        let ident = self.rng.below(6);
        match ident {
            0..=2 => {
                self.feature("host-hardware");
                let t = *self
                    .rng
                    .pick(&["ethernet", "ethernet", "ethernet", "token-ring", "fddi"]);
                let mac = self.mac();
                self.push(format!("hardware {t} {mac};"), Tag::Hardware);
            }
            3 => {
                self.feature("host-uid");
                let v = if self.rng.chance(50) {
                    format!("01:{}", self.mac())
                } else {
                    format!("\"client-{n}\"")
                };
                self.line(format!("uid {v};"));
            }
            4 => {
                self.feature("host-identifier");
                let w = self.word();
                self.line(format!("host-identifier option agent.circuit-id \"{w}\";"));
            }
            _ => {
                self.feature("host-hardware");
                let mac = self.mac();
                self.push(format!("hardware ethernet {mac};"), Tag::Hardware);
            }
        }
        if let Some(net) = net
            && *fixed < net.size() / 2
        {
            self.feature("host-fixed-address");
            let a = net.addr(*fixed);
            *fixed += 1;
            if self.rng.chance(20) && *fixed < net.size() / 2 {
                self.feature("host-fixed-address-list");
                let b = net.addr(*fixed);
                *fixed += 1;
                self.line(format!("fixed-address {a}, {b};"));
            } else {
                self.line(format!("fixed-address {a};"));
            }
        } else if self.rng.chance(30) {
            self.feature("host-fixed-address-name");
            let w = self.word();
            self.line(format!("fixed-address {w}.example.org;"));
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(70) {
                self.option_stmt();
            } else {
                self.exec_stmt(1, false);
            }
        }
        let end = self.close();
        self.hosts.push((start, end));
    }

    fn pool(&mut self, net: Net, lo: usize, hi: usize) {
        self.feature("pool");
        self.open("pool");
        let mut failover = false;
        if let Some(peer) = self.unreferenced_peers.pop().or_else(|| {
            if !self.peers.is_empty() && self.rng.chance(50) {
                Some(self.peers[self.rng.below(self.peers.len())].clone())
            } else {
                None
            }
        }) {
            self.feature("pool-failover-ref");
            let q = format!("\"{peer}\"");
            self.push(format!("failover peer {q};"), Tag::PeerRef(q.clone()));
            failover = true;
        }
        if failover {
            self.line("deny dynamic bootp clients;");
        }
        for _ in 0..self.rng.below(3) {
            self.feature("pool-permits");
            let verb = *self.rng.pick(&["allow", "deny"]);
            let k = self.rng.below(6);
            let permit = match k {
                0 | 1 if !self.classes.is_empty() || !self.submatch_classes.is_empty() => {
                    self.feature("pool-members-of");
                    let all: Vec<String> = self
                        .classes
                        .iter()
                        .chain(self.submatch_classes.iter())
                        .cloned()
                        .collect();
                    let c = all[self.rng.below(all.len())].clone();
                    let q = format!("\"{c}\"");
                    self.push(format!("{verb} members of {q};"), Tag::ClassRef(q));
                    continue;
                }
                2 => "known-clients",
                3 => "unknown-clients",
                4 => "known clients",
                _ => "all clients",
            };
            self.line(format!("{verb} {permit};"));
        }
        self.push(
            format!("range {} {};", net.addr(lo), net.addr(hi)),
            Tag::Range,
        );
        for _ in 0..self.rng.below(2) {
            self.option_stmt();
        }
        self.close();
    }

    fn subnet(&mut self, net: Net, hosts_inside: bool) {
        self.feature("subnet");
        let head = format!("subnet {} netmask {}", net.addr(0), net.mask());
        self.open_tagged(head, Tag::Subnet);
        let size = net.size();
        if self.rng.chance(70) {
            let r = net.addr(1);
            self.line(format!("option routers {r};"));
        }
        if self.rng.chance(40) {
            let m = net.mask();
            self.line(format!("option subnet-mask {m};"));
        }
        if self.rng.chance(30) {
            let b = net.broadcast();
            self.line(format!("option broadcast-address {b};"));
        }
        // Two subnets of one shared network with `interface` make ISC complain that the network
        // "can't be connected to two interfaces": at most one per file.
        if self.rng.chance(10) && !self.features.contains(&"interface") {
            self.feature("interface");
            self.line("interface eth0;");
        }
        let n = self.rng.below(3);
        self.params_and_options(n, false);
        // Dynamic addresses live in the upper half, fixed ones in the lower half.
        let lo = size / 2;
        let hi = size - 2;
        let parts = self.rng.range(1, 3);
        let step = (hi - lo + 1) / parts;
        for p in 0..parts {
            let a = lo + p * step;
            let b = if p + 1 == parts { hi } else { a + step - 1 };
            let b = a + self.rng.below(b - a + 1);
            if !self.unreferenced_peers.is_empty() || self.rng.chance(40) {
                self.pool(net, a, b);
            } else {
                let k = self.rng.below(5);
                if k == 0 && self.peers.is_empty() {
                    self.feature("range-dynamic-bootp");
                    self.push(
                        format!("range dynamic-bootp {} {};", net.addr(a), net.addr(b)),
                        Tag::Range,
                    );
                } else if k == 1 {
                    self.feature("range-single");
                    self.push(format!("range {};", net.addr(a)), Tag::Range);
                } else {
                    self.push(
                        format!("range {} {};", net.addr(a), net.addr(b)),
                        Tag::Range,
                    );
                }
            }
        }
        let mut fixed = 2;
        if hosts_inside {
            self.feature("host-in-subnet");
            for _ in 0..self.rng.range(1, 2) {
                self.host(Some(net), &mut fixed);
            }
        }
        if self.rng.chance(20) {
            self.if_stmt(1, false);
        }
        self.close();
    }

    fn nets(&mut self) -> Vec<Net> {
        let mut out = Vec::new();
        for which in 0..2 {
            if which == 1 && self.rng.chance(30) {
                continue;
            }
            let mut cursor = 0usize;
            let count = self.rng.range(1, 3);
            for _ in 0..count {
                let prefix = *self.rng.pick(&[24u8, 25, 26, 27, 28]);
                let size = 1usize << (32 - prefix as usize);
                let start = cursor.div_ceil(size) * size;
                if start + size > 256 {
                    break;
                }
                out.push(Net {
                    which,
                    base: start as u8,
                    prefix,
                });
                cursor = start + size;
            }
        }
        out
    }
}

/// ISC reads `if (A) or (B) {` as `if (A)` followed by garbage ("left brace expected"): a
/// condition starting with `(` is wrapped in one more pair.
fn if_condition(c: String) -> String {
    if c.starts_with('(') {
        format!("({c})")
    } else {
        c
    }
}

/// Generates the configuration of case `seed` with the given mutation. When the mutation does
/// not apply to the generated file (no host to duplicate, …) other variants of the seed are
/// tried, and as a last resort [`Mutation::DropSemicolon`] is applied instead.
pub fn generate(seed: u64, mutation: Mutation) -> Case {
    for attempt in 0..16u64 {
        let (lines, hosts, features) = generate_lines(seed.wrapping_add(attempt << 48));
        let mut rng = Rng::new(seed ^ 0x005e_ed0f_0000 ^ attempt);
        if let Some((lines, at)) = apply(&mut rng, lines, &hosts, mutation) {
            return Case {
                seed,
                mutation,
                mutated_line: at,
                features,
                text: render(&lines),
            };
        }
    }
    let (lines, hosts, features) = generate_lines(seed);
    let mut rng = Rng::new(seed);
    let (lines, at) =
        apply(&mut rng, lines.clone(), &hosts, Mutation::DropSemicolon).unwrap_or((lines, 0));
    Case {
        seed,
        mutation: Mutation::DropSemicolon,
        mutated_line: at,
        features,
        text: render(&lines),
    }
}

/// The mutation case number `i` of a run gets: every third case is unmutated, the others go
/// through [`Mutation::BREAKING`] in turn.
pub fn mutation_for_case(i: usize) -> Mutation {
    if i % 3 == 0 {
        Mutation::None
    } else {
        Mutation::BREAKING[(i - i / 3 - 1) % Mutation::BREAKING.len()]
    }
}

fn render(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        for _ in 0..l.indent {
            s.push_str("  ");
        }
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

type Generated = (Vec<Line>, Vec<(usize, usize)>, Vec<&'static str>);

fn generate_lines(seed: u64) -> Generated {
    let mut g = Gen {
        rng: Rng::new(seed),
        lines: Vec::new(),
        depth: 0,
        hosts: Vec::new(),
        features: Vec::new(),
        host_count: 0,
        mac_count: 0,
        var_count: 0,
        spaces: Vec::new(),
        site_options: Vec::new(),
        classes: Vec::new(),
        submatch_classes: Vec::new(),
        keys: Vec::new(),
        peers: Vec::new(),
        unreferenced_peers: Vec::new(),
    };
    g.line(format!(
        "# generated by dhcpd-system-tests confgen, seed {seed}"
    ));
    let n = g.rng.range(1, 6);
    g.params_and_options(n, true);
    if g.rng.chance(35) {
        g.option_space();
    }
    if g.rng.chance(25) {
        g.site_option_defs();
    }
    if g.rng.chance(30) {
        g.key_and_zone();
    }
    if g.rng.chance(30) {
        g.failover_peer();
    }
    for _ in 0..g.rng.below(4) {
        g.class();
    }
    if g.rng.chance(25) {
        g.if_stmt(1, false);
    }
    if g.rng.chance(20) {
        g.on_stmt();
    }
    let nets = g.nets();
    let mut i = 0;
    while i < nets.len() {
        let remaining = nets.len() - i;
        let style = g.rng.below(5);
        if style == 0 && remaining >= 1 {
            g.feature("shared-network");
            let take = g.rng.range(1, remaining.min(3));
            let name = if g.rng.chance(50) {
                format!("\"{}-net\"", g.word())
            } else {
                format!("{}-net", g.word())
            };
            g.open(format!("shared-network {name}"));
            let n = g.rng.below(2);
            g.params_and_options(n, false);
            for k in 0..take {
                let hosts = g.rng.chance(20);
                g.subnet(nets[i + k], hosts);
            }
            g.close();
            i += take;
        } else if style == 1 {
            g.feature("group");
            let head = if g.rng.chance(50) {
                "group".to_string()
            } else {
                format!("group \"{}-group\"", g.word())
            };
            g.open(head);
            let n = g.rng.range(1, 2);
            g.params_and_options(n, false);
            g.subnet(nets[i], false);
            g.close();
            i += 1;
        } else {
            let hosts = g.rng.chance(20);
            g.subnet(nets[i], hosts);
            i += 1;
        }
    }
    // Hosts at global scope and in groups, with fixed addresses of the first subnet.
    let mut fixed = nets.first().map(|n| n.size() / 4).unwrap_or(0);
    let first = nets.first().copied();
    for _ in 0..g.rng.below(3) {
        g.host(first, &mut fixed);
    }
    if g.rng.chance(40) {
        g.feature("group");
        g.open("group");
        let n = g.rng.range(1, 2);
        g.params_and_options(n, false);
        for _ in 0..g.rng.range(1, 3) {
            g.host(first, &mut fixed);
        }
        g.close();
    }
    let (lines, hosts, features) = (g.lines, g.hosts, g.features);
    (lines, hosts, features)
}

const KEYWORDS: [&str; 16] = [
    "subnet",
    "range",
    "host",
    "option",
    "default-lease-time",
    "max-lease-time",
    "pool",
    "class",
    "shared-network",
    "group",
    "hardware",
    "fixed-address",
    "authoritative;",
    "failover",
    "filename",
    "allow",
];

const UNKNOWN_OPTIONS: [(&str, &str); 6] = [
    ("domain-name-servers", "domain-name-server"),
    ("routers", "router"),
    ("ntp-servers", "ntp-server"),
    ("domain-search", "search-domains"),
    ("host-name", "hostname"),
    ("broadcast-address", "broadcast"),
];

/// Applies `m`, returning the lines and the 1-based line where it happened, or `None` when the
/// file has no place for it.
fn apply(
    rng: &mut Rng,
    mut lines: Vec<Line>,
    hosts: &[(usize, usize)],
    m: Mutation,
) -> Option<(Vec<Line>, usize)> {
    let pick = |rng: &mut Rng, lines: &[Line], f: &dyn Fn(&Line) -> bool| -> Option<usize> {
        let idx: Vec<usize> = (0..lines.len()).filter(|&i| f(&lines[i])).collect();
        if idx.is_empty() {
            None
        } else {
            Some(idx[rng.below(idx.len())])
        }
    };
    match m {
        Mutation::None => Some((lines, 0)),
        Mutation::DropSemicolon => {
            let i = pick(rng, &lines, &|l| l.text.ends_with(';'))?;
            lines[i].text.pop();
            Some((lines, i + 1))
        }
        Mutation::DropRbrace => {
            let i = pick(rng, &lines, &|l| l.text == "}" || l.text == "};")?;
            lines.remove(i);
            Some((lines, i + 1))
        }
        Mutation::SemicolonAfterRbrace => {
            let i = pick(rng, &lines, &|l| l.text == "}")?;
            lines[i].text.push(';');
            Some((lines, i + 1))
        }
        Mutation::MisspeltKeyword => {
            let i = pick(rng, &lines, &|l| {
                KEYWORDS.iter().any(|k| l.text.starts_with(k))
            })?;
            let text = lines[i].text.clone();
            let end = text.find([' ', ';']).unwrap_or(text.len());
            let word: Vec<char> = text[..end].chars().collect();
            if word.len() < 3 {
                return None;
            }
            let mut w = word.clone();
            if rng.chance(50) {
                w.remove(rng.range(1, word.len() - 1));
            } else {
                let p = rng.range(1, word.len() - 2);
                w.swap(p, p + 1);
                if w == word {
                    w.remove(p);
                }
            }
            let new: String = w.into_iter().collect();
            lines[i].text = format!("{new}{}", &text[end..]);
            Some((lines, i + 1))
        }
        Mutation::UnquotedFilename => {
            let name = *rng.pick(&[
                "pxelinux.0",
                "undionly.kpxe",
                "boot/grub/x86_64-efi/core.efi",
            ]);
            match pick(rng, &lines, &|l| l.tag == Tag::Filename) {
                Some(i) => {
                    lines[i].text = format!("filename {name};");
                    Some((lines, i + 1))
                }
                None => {
                    lines.insert(
                        1,
                        Line {
                            indent: 0,
                            text: format!("filename {name};"),
                            tag: Tag::Filename,
                        },
                    );
                    Some((lines, 2))
                }
            }
        }
        Mutation::RangeOutsideSubnet => {
            let i = pick(rng, &lines, &|l| l.tag == Tag::Range)?;
            let t = lines[i].text.clone();
            let (from, to) = if t.contains(NETS[0]) {
                (NETS[0], NETS[1])
            } else {
                (NETS[1], NETS[0])
            };
            lines[i].text = if rng.chance(50) {
                t.replacen(from, to, 1)
            } else {
                t.replace(from, to)
            };
            Some((lines, i + 1))
        }
        Mutation::HostBitsInSubnet => {
            let i = pick(rng, &lines, &|l| l.tag == Tag::Subnet)?;
            let t = lines[i].text.clone();
            // "subnet A.B.C.D netmask …": add one to D.
            let addr = t.split_whitespace().nth(1)?;
            let (head, last) = addr.rsplit_once('.')?;
            let d: u32 = last.parse().ok()?;
            let new = format!("{head}.{}", d + 1 + rng.below(3) as u32);
            lines[i].text = t.replacen(addr, &new, 1);
            Some((lines, i + 1))
        }
        Mutation::DuplicateHost => {
            let (s, e) = *hosts.get(rng.below(hosts.len().max(1)))?;
            let copy: Vec<Line> = lines[s..=e].to_vec();
            // Put the copy at the end of the file, at global scope.
            let base = copy.first().map(|l| l.indent).unwrap_or(0);
            let at = lines.len() + 1;
            for mut l in copy {
                l.indent -= base;
                lines.push(l);
            }
            Some((lines, at))
        }
        Mutation::NumberTooLarge => {
            let i = pick(rng, &lines, &|l| matches!(l.tag, Tag::Number(..)))?;
            if let Tag::Number(small, big) = lines[i].tag.clone() {
                // Replace the last occurrence: the value, not a digit of the name.
                let t = lines[i].text.clone();
                let at = t.rfind(&small)?;
                lines[i].text = format!("{}{big}{}", &t[..at], &t[at + small.len()..]);
            }
            Some((lines, i + 1))
        }
        Mutation::BadMac => {
            let i = pick(rng, &lines, &|l| l.tag == Tag::Hardware)?;
            let t = lines[i].text.clone();
            let mac = t.trim_end_matches(';').rsplit(' ').next()?.to_string();
            let bad = match rng.below(5) {
                0 => format!("{}:zz", &mac[..mac.len() - 3]),
                1 => mac.replace(':', "-"),
                2 => format!("{mac}:"),
                3 => mac.replace(':', ""),
                _ => format!("{}:1ab", &mac[..mac.len() - 3]),
            };
            lines[i].text = t.replacen(&mac, &bad, 1);
            Some((lines, i + 1))
        }
        Mutation::UnknownOption => {
            let i = pick(rng, &lines, &|l| match &l.tag {
                Tag::Opt(n) => UNKNOWN_OPTIONS.iter().any(|(k, _)| k == n),
                _ => false,
            })?;
            if let Tag::Opt(n) = lines[i].tag.clone() {
                let (_, typo) = UNKNOWN_OPTIONS.iter().find(|(k, _)| *k == n)?;
                lines[i].text =
                    lines[i]
                        .text
                        .replacen(&format!("option {n} "), &format!("option {typo} "), 1);
            }
            Some((lines, i + 1))
        }
        Mutation::UndeclaredPeer => {
            let i = pick(rng, &lines, &|l| matches!(l.tag, Tag::PeerRef(_)))?;
            if let Tag::PeerRef(q) = lines[i].tag.clone() {
                lines[i].text = lines[i].text.replace(&q, "\"no-such-peer\"");
            }
            Some((lines, i + 1))
        }
        Mutation::UndeclaredClass => {
            let i = pick(rng, &lines, &|l| matches!(l.tag, Tag::ClassRef(_)))?;
            if let Tag::ClassRef(q) = lines[i].tag.clone() {
                lines[i].text = lines[i].text.replacen(&q, "\"no-such-class\"", 1);
            }
            Some((lines, i + 1))
        }
        Mutation::UndeclaredKey => {
            let i = pick(rng, &lines, &|l| matches!(l.tag, Tag::KeyRef(_)))?;
            if let Tag::KeyRef(q) = lines[i].tag.clone() {
                let _ = q;
                lines[i].text = "key no-such-key;".to_string();
            }
            Some((lines, i + 1))
        }
        Mutation::KeyWithoutSecret => {
            let i = pick(rng, &lines, &|l| matches!(l.tag, Tag::KeySecret))?;
            lines.remove(i);
            Some((lines, i + 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_file() {
        for i in 0..30 {
            let m = mutation_for_case(i);
            assert_eq!(generate(i as u64, m).text, generate(i as u64, m).text);
        }
        assert_ne!(
            generate(1, Mutation::None).text,
            generate(2, Mutation::None).text
        );
    }

    #[test]
    fn every_breaking_mutation_changes_the_file() {
        for (i, m) in Mutation::BREAKING.iter().enumerate() {
            for seed in 0..10u64 {
                let seed = seed * 100 + i as u64;
                let base = generate(seed, Mutation::None);
                let broken = generate(seed, *m);
                assert_ne!(base.text, broken.text, "{m} seed {seed} changed nothing");
            }
        }
    }

    #[test]
    fn only_documentation_addresses() {
        for seed in 0..200u64 {
            let c = generate(seed, mutation_for_case(seed as usize));
            for tok in c.text.split(|ch: char| !(ch.is_ascii_digit() || ch == '.')) {
                let parts: Vec<&str> = tok.split('.').collect();
                if parts.len() == 4 && parts.iter().all(|p| !p.is_empty()) {
                    let net = parts[..3].join(".");
                    assert!(
                        net == "198.51.100" || net == "203.0.113" || net == "255.255.255",
                        "seed {seed}: address {tok} outside the documentation networks"
                    );
                }
            }
        }
    }

    #[test]
    fn mutations_cycle_through_all_kinds() {
        let kinds: std::collections::BTreeSet<Mutation> = (0..60).map(mutation_for_case).collect();
        assert_eq!(kinds.len(), Mutation::BREAKING.len() + 1);
    }
}
