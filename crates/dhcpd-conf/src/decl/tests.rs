//! Declaration parser tests: ISC's messages at ISC's lines (each expectation was checked
//! against ISC dhcpd 4.4.3 `-t`), and print/parse round trips.

use std::net::Ipv4Addr;

use crate::ast::{Config, FailoverRole, Permit, Stmt};
use crate::diag::Diagnostic;
use crate::{MemLoader, ParseOptions, parse_config};

fn parse_files(files: &[(&str, &str)]) -> (Config, Vec<Diagnostic>) {
    let mut loader = MemLoader::default();
    for (n, t) in files {
        loader.files.insert((*n).to_string(), t.as_bytes().to_vec());
    }
    let out = parse_config(files[0].0, &mut loader, ParseOptions::default());
    (out.config, out.diagnostics)
}

fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
    parse_files(&[("t.conf", text)])
}

/// `(line, message)` of every diagnostic (line 0 for position-less ones).
fn msgs(text: &str) -> Vec<(u32, String)> {
    parse(text)
        .1
        .iter()
        .map(|d| (d.line().unwrap_or(0), d.message.clone()))
        .collect()
}

fn m(line: u32, s: &str) -> (u32, String) {
    (line, s.to_string())
}

#[test]
fn subnet_range_pool_host_are_read_into_typed_nodes() {
    let (cfg, d) = parse(
        "subnet 10.0.0.0 netmask 255.255.255.0 {\n range dynamic-bootp 10.0.0.9 10.0.0.5;\n pool { deny dynamic bootp clients; range 10.0.0.20; }\n}\nhost pc.example { hardware ethernet 0:1:2:3:4:5; fixed-address 10.0.1.1, pc.example.com; }\n",
    );
    assert!(d.is_empty(), "{d:?}");
    let Stmt::Subnet(s) = &cfg.statements[0] else {
        panic!("not a subnet: {:?}", cfg.statements[0]);
    };
    assert_eq!(s.addr, Ipv4Addr::new(10, 0, 0, 0));
    assert_eq!(s.mask, Ipv4Addr::new(255, 255, 255, 0));
    let Stmt::Range(r) = &s.body[0] else {
        panic!("not a range");
    };
    assert!(r.dynamic_bootp);
    assert_eq!(r.high, Some(Ipv4Addr::new(10, 0, 0, 5)));
    let Stmt::Pool(p) = &s.body[1] else {
        panic!("not a pool");
    };
    assert!(
        matches!(&p.body[0], Stmt::Permit(x) if !x.allow && x.permit == Permit::DynamicBootpClients)
    );
    assert!(matches!(&p.body[1], Stmt::Range(r) if r.high.is_none()));
    let Stmt::Host(h) = &cfg.statements[1] else {
        panic!("not a host");
    };
    assert_eq!(h.name, "pc.example");
    assert_eq!(
        h.hardware.map(|hw| hw.to_string()),
        Some("ethernet 00:01:02:03:04:05".to_string())
    );
    assert_eq!(h.fixed, None);
    assert!(matches!(&h.body[0], Stmt::FixedAddress(_, a) if a.len() == 2));
}

#[test]
fn bad_range_is_fatal_and_stops_reading() {
    assert_eq!(
        msgs("subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.1 10.0.1.2;\n}\nfoo bar;\n"),
        vec![(
            0,
            "bad range, address 10.0.1.2 not in subnet 10.0.0.0 netmask 255.255.255.0".into()
        )]
    );
}

#[test]
fn duplicate_leases_hosts_and_overlaps() {
    assert_eq!(
        msgs(
            "subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.1 10.0.0.3;\n range 10.0.0.3 10.0.0.4;\n}\nsubnet 10.0.0.0 netmask 255.255.0.0 { }\nhost a { }\nhost a {\n}\n"
        ),
        vec![
            m(3, "lease 10.0.0.3 is declared twice!"),
            m(0, "Warning: subnet 10.0.0.0/16 overlaps subnet 10.0.0.0/24"),
            m(8, "host a: already exists"),
        ]
    );
}

#[test]
fn scope_rules_of_parse_statement() {
    assert_eq!(
        msgs(
            "host a { authoritative; }\nrange 10.0.0.1 10.0.0.2;\npool { }\nsubnet 10.0.0.0 netmask 255.255.255.0 {\n subnet 10.1.0.0 netmask 255.255.255.0 { }\n hardware ethernet 1:2:3:4:5:6;\n}\n"
        ),
        vec![
            m(1, "authority makes no sense here."),
            m(2, "range declaration not allowed here."),
            m(3, "pool declared outside of network"),
            m(5, "subnet declarations not allowed here."),
            m(6, "hardware address parameter not allowed here."),
        ]
    );
}

#[test]
fn host_warning_is_printed_once_and_host_fields_once() {
    assert_eq!(
        msgs(
            "subnet 10.0.0.0 netmask 255.255.255.0 {\n host a { hardware ethernet 1:2:3:4:5:6;\n hardware ethernet 1:2:3:4:5:6; }\n host b { fixed-address 1.2.3.4; fixed-address 1.2.3.5; }\n}\n"
        )[..3],
        [
            m(
                0,
                "WARNING: Host declarations are global.  They are not limited to the scope you declared them in."
            ),
            m(3, "Host a hardware address already configured."),
            // ISC does not skip the rest: `ethernet ...;` is then read as a statement.
            m(3, "expecting a parameter or declaration"),
        ]
    );
}

#[test]
fn pools_failover_and_the_sanity_check() {
    let peer = "failover peer \"fo\" {\n primary;\n address 10.0.0.1;\n peer address 10.0.0.2;\n split 128;\n mclt 600;\n load balance max seconds 3;\n}\n";
    let (cfg, d) = parse(&format!(
        "{peer}subnet 10.0.0.0 netmask 255.255.255.0 {{ pool {{ failover peer \"fo\"; range 10.0.0.1 10.0.0.9; }} }}\n"
    ));
    assert!(d.is_empty(), "{d:?}");
    let Stmt::FailoverPeer(p) = &cfg.statements[0] else {
        panic!("not a peer");
    };
    assert_eq!(p.role, Some(FailoverRole::Primary));
    assert_eq!(p.split, Some(128));
    assert_eq!(p.mclt, Some(600));
    assert!(p.partner.address.is_some());

    // A peer no pool refers to fails the sanity check (ISC: after parsing, before -t exits).
    let (_, d) = parse(peer);
    assert_eq!(
        d.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
        vec![
            "ERROR: Failover peer, fo, has no referring pools. You must refer to each peer in at least one pool declaration.",
            "Failover configuration sanity check failed"
        ]
    );

    // A reference before the declaration.
    assert_eq!(
        msgs(&format!(
            "subnet 10.0.0.0 netmask 255.255.255.0 {{\n pool {{ failover peer \"fo\"; range 10.0.0.1 10.0.0.9; }}\n}}\n{peer}"
        )),
        vec![m(2, "failover peer fo: not found")]
    );
}

#[test]
fn failover_peer_checks_like_isc() {
    assert_eq!(
        msgs(
            "failover peer \"a\" {\n secondary;\n address 10.0.0.1;\n split 4;\n}\nsubnet 10.0.0.0 netmask 255.0.0.0 {\n failover peer \"b\" { }\n}\n"
        ),
        vec![
            m(4, "secondary may not define load balance settings."),
            m(5, "peer address may not be omitted"),
            m(6, "failover peers may only be defined in shared-network"),
            m(0, "declarations and the outer scope."),
        ]
    );
    // Without `primary;` or `secondary;` ISC's role is primary (its enum's first value).
    assert_eq!(
        msgs("failover peer \"a\" {\n peer address 10.0.0.2;\n}\n"),
        vec![m(3, "primary failover server must have hba or split.")]
    );
    assert_eq!(
        msgs("failover peer \"a\" {\n primary;\n peer address 10.0.0.2;\n split 10;\n}\n"),
        vec![m(5, "primary failover server must have mclt.")]
    );
}

#[test]
fn no_failover_peer_leaves_its_semicolon_behind() {
    // ISC's pool parser does not read the `;` after `no failover peer`.
    assert_eq!(
        msgs(
            "subnet 10.0.0.0 netmask 255.255.255.0 {\n pool {\n  no failover peer;\n  range 10.0.0.1 10.0.0.2;\n }\n}\n"
        ),
        vec![m(3, "expecting a parameter or declaration")]
    );
}

#[test]
fn pool_without_range_and_empty_shared_network() {
    assert_eq!(
        msgs("subnet 10.0.0.0 netmask 255.255.255.0 {\n pool {\n }\n}\nshared-network s {\n}\n"),
        vec![
            m(3, "Pool declaration with no address range."),
            m(0, "Pool declarations must always contain at least"),
            m(0, "one range statement."),
            m(6, "empty shared-network decl"),
        ]
    );
}

#[test]
fn classes_and_subclasses() {
    assert_eq!(
        msgs(
            "class \"a\" { lease limit 4; }\nsubclass \"a\" 1:2:3;\nsubclass \"a\" \"x\" { }\nsubclass \"b\" \"x\";\nsubnet 10.0.0.0 netmask 255.255.255.0 { pool { allow members of \"c\"; range 10.0.0.1; } }\n"
        ),
        vec![m(4, "no class named b"), m(5, "no such class: c")]
    );
    let (cfg, _) = parse("class \"a\" { }\nsubclass \"a\" 1:2:3;\n");
    assert!(matches!(&cfg.statements[1], Stmt::Subclass(s) if s.class == "a" && s.body.is_none()));
}

#[test]
fn expecting_a_declaration_after_a_declaration() {
    assert_eq!(
        msgs("host a { }\n;\n"),
        vec![m(1, "expecting a declaration")]
    );
    assert_eq!(
        msgs("authoritative;\n;\n"),
        vec![m(1, "expecting a parameter or declaration")]
    );
}

#[test]
fn include_reads_in_the_same_scope() {
    let (cfg, d) = parse_files(&[
        (
            "main.conf",
            "subnet 10.0.0.0 netmask 255.255.255.0 {\n include \"ranges.conf\";\n}\n",
        ),
        ("ranges.conf", "range 10.0.0.1 10.0.0.2;\n"),
    ]);
    assert!(d.is_empty(), "{d:?}");
    let Stmt::Subnet(s) = &cfg.statements[0] else {
        panic!("not a subnet");
    };
    let Stmt::Include(i) = &s.body[0] else {
        panic!("not an include");
    };
    assert_eq!(i.file, Some(1));
    assert!(matches!(i.statements[0], Stmt::Range(_)));
}

#[test]
fn include_errors_missing_file_is_fatal_bad_parse_follows() {
    let (_, d) = parse_files(&[("main.conf", "include \"nope.conf\";\nfoo bar;\n")]);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "Can't open nope.conf: No such file or directory"
    );
    let (_, d) = parse_files(&[
        ("main.conf", "\ninclude \"bad.conf\";\n"),
        ("bad.conf", "range 1.2.3.4;\n"),
    ]);
    let got: Vec<_> = d
        .iter()
        .map(|d| {
            (
                d.location.as_ref().map(|l| l.file.to_string()),
                d.line(),
                d.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("bad.conf".into()),
                Some(1),
                "range declaration not allowed here."
            ),
            (Some("main.conf".into()), Some(2), "bad.conf: bad parse."),
        ]
    );
}

const ROUND_TRIP: &str = r#"
failover peer "fo" {
  secondary;
  address 10.0.0.2;
  peer address 10.0.0.1;
  port 519;
  peer port 520;
  max-response-delay 60;
  max-unacked-updates 10;
  load balance max seconds 3;
  max-lease-misbalance 5;
  auto-partner-down 30;
}
failover peer "fo" state { my state normal; partner state recover at 4 2024/01/02 03:04:05; mclt 5; }
class "vendor" { lease limit 5; }
subclass "vendor" "MSFT 5.0";
subclass "vendor" 1:2:3 { }
shared-network "net 1" {
  interface "eth0";
  subnet 10.0.0.0 netmask 255.255.255.0 {
    range dynamic-bootp 10.0.0.200;
  }
  pool {
    failover peer "fo";
    allow members of "vendor";
    deny unknown clients;
    allow after 4 2030/01/01 00:00:00;
    range 10.0.0.10 10.0.0.20;
  }
}
subnet 10.1.0.0 netmask 255.255.0.0 {
  not authoritative;
  host h1 {
    hardware ethernet 00:16:3e:0a:0b:0c;
    fixed-address 10.1.0.5, printer.example.com;
    uid "\001abc";
  }
}
group "g" {
  host h2 { dynamic; hardware token-ring 1:2:3; }
}
host h3 { group "g"; }
authoritative;
lease-id-format hex;
server-duid LLT ethernet 1234 00:16:3e:00:00:01;
"#;

#[test]
fn including_a_directory_fails_to_read_not_to_open() {
    struct DirLoader;
    impl crate::Loader for DirLoader {
        fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
            match path {
                "main.conf" => Ok(b"include \"conf.d\";\n".to_vec()),
                _ => Err("Is a directory".to_string()),
            }
        }
    }
    let out = parse_config("main.conf", &mut DirLoader, ParseOptions::default());
    let got: Vec<_> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(got, vec!["Can't read in conf.d: Is a directory"]);
}

#[test]
fn key_without_algorithm_or_secret_stops_reading() {
    // ISC 4.4.3 dies (SIGSEGV) when it registers such a key: earlier errors are printed,
    // nothing after the key is read, and the run fails without a positional message.
    assert_eq!(
        msgs("key k1 { secret \"c2VjcmV0\"; }\nfoo bar;\n"),
        vec![m(0, "key k1: no algorithm")]
    );
    assert_eq!(
        msgs("default-lease-time x;\ngroup { key \"k2\" { algorithm hmac-sha256; }; }\nfoo;\n"),
        vec![
            m(1, "Bogus number x: digit 33 not in base 10"),
            m(0, "key k2: no secret")
        ]
    );
    // Both present: the key is accepted, however short its secret.
    assert!(msgs("key k3 { algorithm hmac-md5; secret \"\"; }\n").is_empty());
    assert!(msgs("key k4 { algorithm HMAC-SHA512.sig-alg.reg.int; secret \"\"; }\n").is_empty());
    // An algorithm ISC cannot make a TSIG key of: logged, not an error.
    let (_, d) = parse("key k5 { algorithm hmac-sha256.; secret \"YWJj\"; }\n");
    assert_eq!(d.len(), 1);
    assert!(!d[0].is_error());
    assert_eq!(d[0].message, "Unable to create tsec structure for k5");
}

#[test]
fn top_level_statements_run_at_start_up() {
    // ISC runs the top-level statements after reading the file; nested ones wait for clients.
    assert_eq!(
        msgs("authoritative;\nlog (fatal, \"stop here\");\n"),
        vec![m(0, "stop here")]
    );
    assert!(msgs("group { log (fatal, \"x\"); }\non commit { log (fatal, \"y\"); }\n").is_empty());
    assert!(msgs("log (info, \"x\");\nlog (\"y\");\n").is_empty());
    // `add` run without a client: ISC crashes; nested, it waits for a client.
    assert_eq!(
        msgs("class \"c\" { }\nadd \"c\";\n"),
        vec![m(0, "add \"c\": no client to classify at start-up")]
    );
    assert!(msgs("class \"c\" { }\ngroup { add \"c\"; }\nif known { add \"c\"; }\n").is_empty());
    // A parse error comes first: ISC never gets to run anything.
    assert_eq!(
        msgs("log (fatal, \"x\");\nfoo bar;\n"),
        vec![m(2, "semicolon expected.")]
    );
}

#[test]
fn print_then_parse_gives_the_same_ast() {
    let (cfg, d) = parse(ROUND_TRIP);
    assert!(!d.iter().any(Diagnostic::is_error), "{d:?}");
    let text = cfg.to_string();
    let (again, d2) = parse(&text);
    assert_eq!(d, d2, "{text}");
    assert_eq!(cfg.statements, again.statements, "{text}");
    // Printing is canonical: a second round prints the same text.
    assert_eq!(again.to_string(), text);
}

#[test]
fn round_trip_keeps_included_files() {
    let (cfg, d) = parse_files(&[
        (
            "main.conf",
            "subnet 10.0.0.0 netmask 255.255.255.0 { include \"r.conf\"; }\n",
        ),
        ("r.conf", "range 10.0.0.1 10.0.0.2;\n"),
    ]);
    assert!(d.is_empty());
    let files = cfg.render_files();
    assert_eq!(files.len(), 2);
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let (again, d) = parse_files(&refs);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(cfg.statements, again.statements);
    assert!(cfg.to_flat_string().contains("range 10.0.0.1 10.0.0.2;"));
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "subnet",
        "subnet 1.2.3",
        "range 1.2.3.4",
        "failover peer",
        "failover peer x {",
        "failover peer x { peer peer peer",
        "failover peer \"x\" { hba 1:2;",
        "class",
        "subclass \"a\"",
        "pool {",
        "host",
        "host a {",
        "group {",
        "shared-network x {",
        "include",
        "include \"x",
        "subnet 0.0.0.0 netmask 0.0.0.0 { range 0.0.0.0 255.255.255.255; range 1.1.1.1; }",
        "subnet 10.0.0.0 netmask 255.0.255.0 { range 10.0.0.1 10.0.3.3; range 10.0.0.2; }",
        "failover peer \"a\" { split -1; load balance max seconds; port; }",
        "server-duid",
        "server-duid llt fddi",
        "lease-id-format",
        "not",
        "%",
        "failover peer \"a\" { }\nfailover peer \"a\" state { my state partner-down at 4 2024/99/99 99:99:99; }",
    ];
    for i in inputs {
        let _ = parse(i);
        let _ = parse_files(&[("m.conf", &format!("{i}\n}}}}{{{{;;"))]);
    }
}

mod fuzz {
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "subnet",
        "netmask",
        "range",
        "pool",
        "pool6",
        "host",
        "group",
        "class",
        "subclass",
        "shared-network",
        "failover",
        "peer",
        "state",
        "my",
        "partner",
        "at",
        "primary",
        "secondary",
        "address",
        "port",
        "split",
        "hba",
        "mclt",
        "load",
        "balance",
        "max",
        "seconds",
        "allow",
        "deny",
        "members",
        "of",
        "known",
        "clients",
        "after",
        "no",
        "include",
        "hardware",
        "ethernet",
        "fixed-address",
        "fixed-address6",
        "fixed-prefix6",
        "authoritative",
        "not",
        "interface",
        "dynamic-bootp",
        "subnet6",
        "range6",
        "prefix6",
        "temporary",
        "server-duid",
        "llt",
        "ll",
        "en",
        "lease-id-format",
        "lease",
        "limit",
        "match",
        "if",
        "spawn",
        "with",
        "uid",
        "host-identifier",
        "deleted",
        "dynamic",
        "static",
        "vendor-class",
        "user-class",
        "never",
        "epoch",
        "{",
        "}",
        ";",
        "/",
        ":",
        ".",
        ",",
        "%",
        "\"x\"",
        "\"\"",
        "10",
        "0",
        "255",
        "-1",
        "300",
        "1f",
        "zz",
        "10.0.0.0",
        "255.255.255.0",
        "10.0.0.5",
        "2001:db8::",
        "2001:db8::1",
        "\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn token_soup_never_panics(idx in proptest::collection::vec(0..WORDS.len(), 0..80)) {
            let text: Vec<&str> = idx.iter().map(|&i| WORDS[i]).collect();
            let _ = super::parse(&text.join(" "));
        }
    }
}

#[test]
fn self_include_and_deep_nesting_stop_with_an_error() {
    let (_, d) = parse_files(&[("self.conf", "include \"self.conf\";\n")]);
    assert!(
        d.iter().any(|d| d.message.contains("nested more than")),
        "{d:?}"
    );
    // ISC dies of the recursion without a positional message; neither do we give one.
    assert!(d.iter().all(|d| d.line().is_none()), "{d:?}");
    let deep = "group { ".repeat(5000);
    let (_, d) = parse(&deep);
    assert!(
        d.iter().any(|d| d.message.contains("nested more than")),
        "{d:?}"
    );
    let ok = format!("{}{}", "group { ".repeat(20), "} ".repeat(20));
    assert!(parse(&ok).1.is_empty());
}

#[test]
fn nesting_limit_fits_a_small_stack() {
    // The limit must trip long before a thread's stack runs out (debug builds included).
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let (_, d) = parse_files(&[("self.conf", "include \"self.conf\";\n")]);
            assert!(d.iter().any(|d| d.message.contains("nested more than")));
            let (_, d) = parse(&"subnet 10.0.0.0 netmask 255.0.0.0 { pool { group { ".repeat(400));
            assert!(d.iter().any(|d| d.is_error()));
        })
        .expect("thread");
    assert!(t.join().is_ok());
}

#[test]
fn name_set_inserts_removes_and_tells_duplicates() {
    let mut set = super::NameSet::default();
    assert!(set.insert("a"));
    assert!(set.insert("ab"));
    assert!(!set.insert("a"));
    assert!(set.insert("A"), "names are case-sensitive");
    set.remove("a");
    set.remove("never-there");
    assert!(set.insert("a"), "a removed name can be declared again");
    assert!(!set.insert("ab"));
    for n in 0..10_000 {
        assert!(set.insert(&format!("h{n}")));
    }
    for n in 0..10_000 {
        assert!(!set.insert(&format!("h{n}")), "h{n}");
    }
}

#[test]
fn byte_ff_reads_as_isc_end_of_file() {
    let run = |src: &[u8]| {
        let mut l = MemLoader::default();
        l.files.insert("t.conf".into(), src.to_vec());
        parse_config("t.conf", &mut l, ParseOptions::default())
            .diagnostics
            .iter()
            .map(|d| (d.line().unwrap_or(0), d.message.clone()))
            .collect::<Vec<_>>()
    };
    // A UTF-16 file: ISC stops at its first byte and accepts an empty configuration.
    assert!(run(b"\xff\xfes\0u\0b\0").is_empty());
    // Latin-1 `ÿ` in a comment ends the comment: the rest of the line is read.
    assert_eq!(
        run(b"# caf\xff foo bar\n"),
        vec![m(1, "semicolon expected.")]
    );
    // Between top-level statements it ends the configuration.
    assert!(run(b"authoritative;\n\xff garbage garbage\n").is_empty());
}

#[test]
fn whitespace_run_filling_isc_token_buffer_ends_the_parse() {
    // ISC exits at once: no later error is reported, in this file or the one including it.
    let text = format!(
        "subnet 10.0.0.0 netmask 255.0.0.0 {{\n range 10.0.0.1 10.0.0.5;{}}}\nfoo;\n",
        "\n".repeat(1500)
    );
    assert_eq!(
        msgs(&text),
        vec![m(2, "whitespace too long, buffer overflow.")]
    );
    let (_, d) = parse_files(&[
        ("main.conf", "include \"ws.conf\";\nfoo;\n"),
        ("ws.conf", &format!("authoritative;{}", " ".repeat(2000))),
    ]);
    let got: Vec<_> = d.iter().map(|d| (d.line(), d.message.as_str())).collect();
    assert_eq!(
        got,
        vec![(Some(1), "whitespace too long, buffer overflow.")]
    );
}

#[test]
fn nul_byte_token_is_gone_after_a_peek() {
    let run = |src: &[u8]| {
        let mut l = MemLoader::default();
        l.files.insert("t.conf".into(), src.to_vec());
        parse_config("t.conf", &mut l, ParseOptions::default())
            .diagnostics
            .iter()
            .map(|d| (d.line().unwrap_or(0), d.message.clone()))
            .collect::<Vec<_>>()
    };
    // Peeked (between statements, before a number): ISC's token cache drops it.
    assert!(run(b"\0authoritative;\ndefault-lease-time\0 5;\n").is_empty());
    assert_eq!(
        run(b"authoritative;\n\0\nfoo bar;\n"),
        vec![m(3, "semicolon expected.")]
    );
    // Peeked as the next piece of a base64 secret: its (empty) text does not end it.
    assert!(run(b"key k { algorithm hmac-md5; secret YWJj\0YWJj; }\n").is_empty());
    // Read without a peek (where the `;` must be): it is a token, and a wrong one.
    assert_eq!(
        run(b"authoritative\0;\n"),
        vec![m(1, "semicolon expected.")]
    );
}

#[test]
fn start_up_checks_see_the_top_level_of_included_files() {
    let (_, d) = parse_files(&[
        ("main.conf", "include \"g.conf\";\n"),
        ("g.conf", "ddns-update-style ad-hoc;\n"),
    ]);
    let got: Vec<_> = d.iter().map(|d| (d.line(), d.message.as_str())).collect();
    assert_eq!(
        got,
        vec![(None, "ddns-update-style ad_hoc no longer supported")]
    );
    // In a group, an included file's statements are not at the top level.
    let (_, d) = parse_files(&[
        ("main.conf", "group { include \"g.conf\"; }\n"),
        ("g.conf", "log (fatal, \"x\");\n"),
    ]);
    assert!(d.is_empty(), "{d:?}");
}
