//! Checks of the built-in tables against ISC 4.4.3 (`common/tables.c`,
//! `server/stables.c`) and of the registry's ISC replacement rules.

use super::*;

fn def<'a>(reg: &'a Registry, space: &str, name: &str) -> &'a OptionDef {
    reg.lookup_name(space, name)
        .unwrap_or_else(|| panic!("{space}.{name} should be built in"))
}

#[test]
fn every_builtin_format_parses_and_round_trips() {
    for space in BUILTIN_SPACES {
        for o in space.options {
            let f = Format::parse(o.format)
                .unwrap_or_else(|e| panic!("{}.{} format {:?}: {e}", space.name, o.name, o.format));
            assert_eq!(f.as_str(), o.format);
            assert_eq!(Format::from_items(f.items()).as_ref(), Ok(&f));
        }
    }
}

#[test]
fn builtin_counts_match_isc_4_4_3() {
    let count = |name: &str| {
        BUILTIN_SPACES
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.options.len())
    };
    // 128 table rows in tables.c minus 9 under `#if 0`.
    assert_eq!(count("dhcp"), Some(119));
    assert_eq!(count("agent"), Some(6));
    assert_eq!(count("fqdn"), Some(8));
    assert_eq!(count("nwip"), Some(11));
    assert_eq!(count("vendor-class"), Some(1));
    assert_eq!(count("vendor"), Some(1));
    assert_eq!(count("isc"), Some(2));
    assert_eq!(count("dhcp6"), Some(64));
    assert_eq!(count("vsio"), Some(1));
    assert_eq!(count("isc6"), Some(4));
    assert_eq!(count("server"), Some(80));
}

#[test]
fn spot_check_dhcp_space_against_tables_c() {
    let reg = Registry::new();
    let cases: &[(&str, u32, &str)] = &[
        ("subnet-mask", 1, "I"),
        ("time-offset", 2, "l"),
        ("routers", 3, "IA"),
        ("host-name", 12, "t"),
        ("boot-size", 13, "S"),
        ("domain-name", 15, "t"),
        ("ip-forwarding", 19, "f"),
        ("policy-filter", 21, "IIA"),
        ("default-ip-ttl", 23, "B"),
        ("path-mtu-plateau-table", 25, "SA"),
        ("static-routes", 33, "IIA"),
        ("vendor-encapsulated-options", 43, "E."),
        ("netbios-node-type", 46, "B"),
        ("dhcp-lease-time", 51, "L"),
        ("dhcp-option-overload", 52, "B"),
        ("dhcp-message-type", 53, "B"),
        ("dhcp-parameter-request-list", 55, "BA"),
        ("vendor-class-identifier", 60, "X"),
        ("dhcp-client-identifier", 61, "X"),
        ("nwip-suboptions", 63, "Enwip."),
        ("streettalk-directory-assistance-server", 76, "IA"),
        ("slp-directory-agent", 78, "fIa"),
        ("slp-service-scope", 79, "fto"),
        ("fqdn", 81, "Efqdn."),
        ("relay-agent-information", 82, "Eagent."),
        ("bcms-controller-names", 88, "D"),
        ("pxe-system-type", 93, "Sa"),
        ("pxe-interface-id", 94, "BBB"),
        ("pxe-client-id", 97, "BX"),
        ("v6-only-preferred", 108, "L"),
        ("domain-search", 119, "Dc"),
        ("vivco", 124, "Evendor-class."),
        ("vivso", 125, "Evendor."),
        ("v4-lost", 137, "d"),
        ("sip-ua-cs-domains", 141, "Dc"),
        ("rdnss-selection", 146, "BIID"),
        ("tftp-server-address", 150, "Ia"),
        ("v4-portparams", 159, "BBS"),
        ("loader-configfile", 209, "t"),
        ("loader-reboottime", 211, "L"),
        ("option-6rd", 212, "BB6Ia"),
        ("v4-access-domain", 213, "d"),
    ];
    for &(name, code, format) in cases {
        let d = def(&reg, "dhcp", name);
        assert_eq!(
            (d.code(), d.format_str(), d.space()),
            (code, format, "dhcp"),
            "{name}"
        );
        let by_code = reg.lookup_code("dhcp", code).map(OptionDef::name);
        assert_eq!(by_code, Some(name));
    }
}

#[test]
fn if_zero_entries_are_absent() {
    let reg = Registry::new();
    for name in ["pxe-undefined-1", "pxe-undefined-8", "pxelinux-magic"] {
        assert!(reg.lookup_name("dhcp", name).is_none(), "{name}");
    }
    for code in [80, 83, 84, 90, 121, 128, 135, 208, 249, 252] {
        assert!(reg.lookup_code("dhcp", code).is_none(), "dhcp code {code}");
    }
    for name in ["auth", "user-class", "vendor-class"] {
        assert!(reg.lookup_name("dhcp6", name).is_none(), "dhcp6.{name}");
    }
}

#[test]
fn spot_check_other_spaces() {
    let reg = Registry::new();
    let cases: &[(&str, &str, u32, &str)] = &[
        ("agent", "circuit-id", 1, "X"),
        ("agent", "remote-id", 2, "X"),
        ("agent", "DOCSIS-device-class", 4, "L"),
        ("agent", "link-selection", 5, "I"),
        ("agent", "relay-port", 19, "Z"),
        ("fqdn", "no-client-update", 1, "f"),
        ("fqdn", "rcode2", 5, "B"),
        ("fqdn", "fqdn", 8, "t"),
        ("nwip", "illegal-1", 1, ""),
        ("nwip", "primary-dss", 11, "I"),
        ("vendor-class", "isc", 2495, "X"),
        ("vendor", "isc", 2495, "Eisc."),
        ("isc", "update-assist", 2, "X"),
        ("dhcp6", "client-id", 1, "X"),
        ("dhcp6", "oro", 6, "SA"),
        ("dhcp6", "status-code", 13, "Nstatus-codes.to"),
        ("dhcp6", "rapid-commit", 14, "Z"),
        ("dhcp6", "vendor-opts", 17, "Evsio."),
        ("dhcp6", "reconf-msg", 19, "Ndhcpv6-messages."),
        ("dhcp6", "info-refresh-time", 32, "T"),
        (
            "dhcp6",
            "fqdn",
            39,
            "Efqdn6-if-you-see-me-its-a-bug-bug-bug.",
        ),
        ("dhcp6", "lq-relay-data", 47, "6X"),
        ("dhcp6", "rdnss-selection", 74, "6BD"),
        ("dhcp6", "relay-source-port", 135, "S"),
        ("dhcp6", "ipv6-address-andsf", 143, "6A"),
        ("vsio", "isc", 2495, "Eisc6."),
        ("isc6", "4o6-interface", 60000, "t"),
        ("isc6", "4o6-source-address", 60001, "6"),
        ("server", "default-lease-time", 1, "T"),
        ("server", "filename", 15, "t"),
        ("server", "vendor-option-space", 19, "U"),
        ("server", "omapi-key", 36, "k"),
        ("server", "ddns-update-style", 39, "Nddns-styles."),
        ("server", "log-facility", 44, "Nsyslog-facilities."),
        ("server", "delayed-ack", 58, "S"),
        ("server", "dhcp-cache-threshold", 78, "B"),
        ("server", "prefix-length-mode", 87, "Nprefix_length_modes."),
        ("server", "check-secs-byte-order", 92, "f"),
        ("server", "ping-timeout-ms", 100, "T"),
    ];
    for &(space, name, code, format) in cases {
        let d = def(&reg, space, name);
        assert_eq!((d.code(), d.format_str()), (code, format), "{space}.{name}");
        assert_eq!(
            reg.lookup_code(space, code).map(OptionDef::name),
            Some(name)
        );
    }
    // LDAP and EUI-64 parameters are not compiled into the Linux build.
    assert!(reg.lookup_name("server", "ldap-server").is_none());
    assert!(reg.lookup_name("server", "use-eui-64").is_none());
}

#[test]
fn space_widths_and_parents() {
    let reg = Registry::new();
    let widths = |n: &str| reg.space(n).map(|s| (s.code_width(), s.length_width()));
    assert_eq!(widths("dhcp"), Some((1, 1)));
    assert_eq!(widths("agent"), Some((1, 1)));
    assert_eq!(widths("vendor"), Some((4, 1)));
    assert_eq!(widths("isc"), Some((2, 2)));
    assert_eq!(widths("dhcp6"), Some((2, 2)));
    assert_eq!(widths("vsio"), Some((4, 0)));
    assert_eq!(reg.dhcp().end_code(), 255);
    assert_eq!(reg.space("agent").map(OptionSpace::end_code), Some(0));
    let parent = reg.space("agent").and_then(OptionSpace::parent).cloned();
    assert_eq!(
        parent,
        Some(ParentOption {
            space: "dhcp".into(),
            code: 82
        })
    );
    // Every E<space>. in a built-in format names a built-in space whose
    // parent is that option.
    for s in BUILTIN_SPACES {
        for o in s.options {
            let Ok(f) = Format::parse(o.format) else {
                continue;
            };
            if let Some(Encapsulation::Space(enc)) = f.encapsulation() {
                let p = reg.space(enc).and_then(OptionSpace::parent);
                assert_eq!(
                    p.map(|p| (p.space.as_str(), p.code)),
                    Some((s.name, o.code))
                );
            }
        }
    }
}

#[test]
fn name_and_code_lookups_agree_for_all_builtins() {
    let reg = Registry::new();
    for s in BUILTIN_SPACES {
        let space = reg.space(s.name).expect("builtin space");
        assert_eq!(space.options().count(), s.options.len(), "{}", s.name);
        for o in s.options {
            let by_name = space
                .lookup_name(&o.name.to_ascii_uppercase())
                .expect("by name");
            let by_code = space.lookup_code(o.code).expect("by code");
            assert_eq!(by_name, by_code);
            assert_eq!(by_name.name(), o.name);
        }
    }
}

#[test]
fn enumerations() {
    let e = enumeration("ddns-styles").expect("builtin");
    assert_eq!(e.value("interim"), Some(2));
    assert_eq!(e.value("Interim"), None);
    assert_eq!(e.keyword(3), Some("standard"));
    assert_eq!(enumeration("status-codes").map(|e| e.width), Some(2));
    assert_eq!(
        enumeration("syslog-facilities").and_then(|e| e.value("local7")),
        Some(184)
    );
    // Every N<name>. in a built-in format names a known enumeration.
    for s in BUILTIN_SPACES {
        for o in s.options {
            let Ok(f) = Format::parse(o.format) else {
                continue;
            };
            for item in f.items() {
                if let FormatItem::Enumeration(name) = item {
                    assert!(enumeration(name).is_some(), "{}.{}: {name}", s.name, o.name);
                }
            }
        }
    }
}

#[test]
fn user_space_and_definitions() {
    let mut reg = Registry::new();
    let sp = reg
        .declare_space(SpaceDecl {
            name: "Foo".into(),
            code_width: 2,
            length_width: 2,
            hash_size: Some(3),
        })
        .expect("valid");
    assert_eq!(
        (sp.code_width(), sp.length_width(), sp.hash_size()),
        (2, 2, Some(3))
    );
    let f = Format::parse("t").expect("valid");
    reg.define(Some("foo"), "bar", 1, f).expect("valid");
    assert_eq!(reg.lookup_name("FOO", "BAR").map(OptionDef::code), Some(1));
    assert_eq!(reg.lookup_code("foo", 1).map(OptionDef::space), Some("Foo"));
    assert_eq!(
        reg.declare_space(SpaceDecl {
            code_width: 3,
            ..SpaceDecl::new("x")
        })
        .err(),
        Some(RegistryError::InvalidCodeWidth { width: 3 })
    );
    assert_eq!(
        reg.declare_space(SpaceDecl {
            length_width: 0,
            ..SpaceDecl::new("x")
        })
        .err(),
        Some(RegistryError::InvalidLengthWidth { width: 0 })
    );
    let err = reg.define(Some("nope"), "a", 1, Format::string()).err();
    assert_eq!(
        err,
        Some(RegistryError::NoSuchSpace {
            space: "nope".into()
        })
    );
}

#[test]
fn redeclared_space_starts_empty_but_dhcp_default_survives() {
    let mut reg = Registry::new();
    reg.declare_space(SpaceDecl::new("foo")).expect("valid");
    reg.define(Some("foo"), "a", 1, Format::string())
        .expect("valid");
    reg.declare_space(SpaceDecl::new("foo")).expect("valid");
    assert!(reg.lookup_name("foo", "a").is_none());
    // `option space dhcp;` hides dhcp.* but not unqualified names.
    reg.declare_space(SpaceDecl::new("dhcp")).expect("valid");
    assert!(reg.lookup_name("dhcp", "routers").is_none());
    assert!(matches!(reg.resolve(None, "routers"), Ok(Resolved::Defined(d)) if d.code() == 3));
}

#[test]
fn redefinition_follows_isc_rules() {
    let mut reg = Registry::new();
    // New name on an existing code: the code now maps to the new option; the
    // old name still resolves to the old definition.
    reg.define(None, "foo", 3, Format::string()).expect("valid");
    assert_eq!(reg.lookup_code("dhcp", 3).map(OptionDef::name), Some("foo"));
    assert_eq!(
        reg.lookup_name("dhcp", "routers")
            .map(OptionDef::format_str),
        Some("IA")
    );
    // Known name with a new code: old code entry disappears.
    reg.define(None, "subnet-mask", 250, Format::parse("t").expect("valid"))
        .expect("valid");
    assert!(reg.lookup_code("dhcp", 1).is_none());
    assert_eq!(
        reg.lookup_name("dhcp", "SUBNET-MASK").map(OptionDef::code),
        Some(250)
    );
    // unknown-1 now manufactures an X option.
    let r = reg.resolve(None, "unknown-1").expect("resolves");
    assert_eq!(r, Resolved::Unknown(OptionDef::unknown("dhcp", 1)));
    // Encapsulation sets the parent of the encapsulated space.
    reg.declare_space(SpaceDecl::new("ztp")).expect("valid");
    reg.define(None, "ztp-opts", 43, Format::parse("Eztp.").expect("valid"))
        .expect("valid");
    let p = reg.space("ztp").and_then(OptionSpace::parent).cloned();
    assert_eq!(
        p,
        Some(ParentOption {
            space: "dhcp".into(),
            code: 43
        })
    );
    let err = reg
        .define(None, "x", 200, Format::parse("Enope.").expect("valid"))
        .err();
    assert_eq!(
        err,
        Some(RegistryError::UnknownEncapsulatedSpace {
            space: "nope".into()
        })
    );
}

#[test]
fn resolve_like_parse_option_name() {
    let reg = Registry::new();
    assert!(
        matches!(reg.resolve(Some("agent"), "unknown-1"), Ok(Resolved::Defined(d)) if d.name() == "circuit-id")
    );
    assert!(
        matches!(reg.resolve(Some("agent"), "unknown-9"), Ok(Resolved::Unknown(d)) if d.format_str() == "X" && d.code() == 9)
    );
    assert_eq!(
        reg.resolve(None, "unknown-255").err(),
        Some(RegistryError::IllegalCode {
            space: "dhcp".into(),
            end_code: 255
        })
    );
    assert_eq!(
        reg.resolve(None, "unknown-0x10")
            .err()
            .map(|e| e.to_string()),
        Some("Option codes 0 and 255 are illegal in the dhcp space.".to_string())
    );
    assert_eq!(
        reg.resolve(None, "pxe-undefined-1")
            .err()
            .map(|e| e.to_string()),
        Some("unknown option dhcp.pxe-undefined-1".to_string())
    );
    assert_eq!(
        reg.resolve(Some("bogus"), "x").err().map(|e| e.to_string()),
        Some("no option space named bogus.".to_string())
    );
    assert_eq!(unknown_option_code("UNKNOWN-200"), Some(200));
    assert_eq!(unknown_option_code("unknown-12x"), Some(12));
    assert_eq!(unknown_option_code("routers"), None);
}
