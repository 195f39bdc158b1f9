//! Tests of the executable-statement, expression and option parsers, with a minimal
//! top-level loop standing in for the declaration parser's `parse_statement`.

use super::*;
use crate::cursor::Cursor;
use crate::diag::Diagnostic;
use crate::keywords::Kw;
use crate::options::{Atom, OptionValue};
use crate::parser::{MemLoader, ParseOptions, Parser};

/// What the test driver read: statements (option definitions and spaces as text).
#[derive(Debug, PartialEq)]
enum Item {
    Exec(Executable),
    Text(String),
}

/// ISC's `parse_statement` for the statements this module owns: `option …` at the top
/// level, otherwise `parse_executable_statement` with ISC's fallback error.
fn run(src: &str) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut loader = MemLoader::default();
    let mut p = Parser::new(&mut loader, ParseOptions::default());
    let mut c = Cursor::new("t.conf".into(), 0, src.as_bytes());
    let mut out = Vec::new();
    while !c.peek().is_eof() && !p.aborted {
        if c.peek_is_kw(Kw::Option) {
            c.skip();
            if c.peek_is_kw(Kw::Space) {
                if let Some(d) = p.parse_option_space_decl(&mut c) {
                    out.push(Item::Text(d.to_string()));
                }
                continue;
            }
            let Some(name) = p.parse_option_name(&mut c, true) else {
                continue;
            };
            if c.peek_is_kw(Kw::Code) {
                c.skip();
                if let Some(d) = p.parse_option_code_definition(&mut c, name) {
                    out.push(Item::Text(d.to_string()));
                }
                continue;
            }
            if !name.known {
                c.error(format!("unknown option {}.{}", name.space, name.name));
                c.skip_to_semi();
                continue;
            }
            if let Some(e) = p.parse_option_statement(&mut c, name) {
                out.push(Item::Exec(e));
            }
            continue;
        }
        match p.parse_executable_statement(&mut c, ExprContext::Any) {
            Parsed::Ok(e) => out.push(Item::Exec(e)),
            Parsed::Failed => {}
            Parsed::NotMine => {
                c.error("expecting a parameter or declaration");
                c.skip_to_semi();
            }
        }
    }
    (out, c.take_diagnostics())
}

fn ok(src: &str) -> Vec<Executable> {
    let (items, diags) = run(src);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{src}: {errors:?}");
    items
        .into_iter()
        .filter_map(|i| match i {
            Item::Exec(e) => Some(e),
            Item::Text(_) => None,
        })
        .collect()
}

/// The first error: (line, message).
fn first_error(src: &str) -> (u32, String) {
    let (_, diags) = run(src);
    let d = diags
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("no error for {src}"));
    (d.line().unwrap_or(0), d.message.clone())
}

/// Parses, prints, parses again: the same statements.
fn round_trip(src: &str) {
    let a = ok(src);
    assert!(!a.is_empty(), "{src}");
    let printed: Vec<String> = a.iter().map(ToString::to_string).collect();
    let text = printed.join("\n");
    let b = ok(&text);
    assert_eq!(a, b, "{src}\n--- printed ---\n{text}");
}

#[test]
fn option_values_by_format() {
    let v = ok("option routers 10.0.0.1, 10.0.0.2;");
    let Executable::Option { op, name, value } = &v[0] else {
        panic!("{v:?}")
    };
    assert_eq!(*op, OptionOp::Option);
    assert_eq!(name.name, "routers");
    assert_eq!(name.code, 3);
    let OptionValue::Values(groups) = value else {
        panic!("{value:?}")
    };
    assert_eq!(groups.len(), 2);
    assert!(matches!(groups[1][0], Atom::Addr(_)));
    for src in [
        "option domain-name \"example.com\";",
        "option domain-name-servers ns1.example.com, 192.0.2.53;",
        "option subnet-mask 255.255.255.0;",
        "option ip-forwarding off;",
        "option dhcp-lease-time 3600;",
        "option time-offset -18000;",
        "option domain-search \"a.example\", \"b.example\";",
        "option dhcp-client-identifier 1:2:3:a:b;",
        "option vendor-encapsulated-options 01:04:0a:00:00:01;",
        "option host-name = concat(\"a-\", binary-to-ascii(16, 8, \"-\", substring(hardware, 1, 6)));",
        "default-lease-time 600;",
        "max-lease-time infinite;",
        "ddns-update-style interim;",
        "log-facility local7;",
        "filename \"pxelinux.0\";",
        "next-server 192.0.2.10;",
        "server-name \"boot\";",
        "option routers;;",
        "authoritative true;",
        "allow bootp;",
        "deny unknown-clients;",
        "ignore client-updates;",
        "ping-check true;",
        "vendor-option-space PXE;",
        "omapi-key omapi_key;",
        "option agent.circuit-id \"x\";",
        "option unknown-200 \"x\";",
        "supersede server.filename \"y\";",
        "option slp-service-scope true \"scope\";",
        "option dhcp-parameter-request-list 1, 3, 6;",
    ] {
        round_trip(src);
    }
}

#[test]
fn parameters_are_server_options() {
    let v = ok("default-lease-time 600; ddns-hostname = concat(\"h\", \"x\");");
    let Executable::Option { op, name, value } = &v[0] else {
        panic!("{v:?}")
    };
    assert_eq!(*op, OptionOp::Parameter);
    assert_eq!((name.space.as_str(), name.code), ("server", 1));
    assert_eq!(
        *value,
        OptionValue::Values(vec![vec![Atom::LeaseTime(600)]])
    );
    assert!(matches!(
        &v[1],
        Executable::Option {
            value: OptionValue::Expr(Expr::Concat(_)),
            ..
        }
    ));
    assert_eq!(v[0].to_string(), "default-lease-time 600;");
}

#[test]
fn option_definitions_and_spaces() {
    let (items, diags) = run("option space ipxe code width 1 length width 1;\n\
         option ipxe.no-pxedhcp code 176 = unsigned integer 8;\n\
         option rfc3442 code 121 = array of unsigned integer 8;\n\
         option rec code 250 = { ip-address, integer 16, text };\n\
         option arr code 251 = array of { ip-address, unsigned integer 8 };\n\
         option enc code 252 = encapsulate ipxe;\n\
         option ipxe.no-pxedhcp 1;\n\
         option rfc3442 24, 10, 0, 0;\n\
         option rec 10.0.0.1 -5 \"tail\";\n\
         option arr 10.0.0.1 1, 10.0.0.2 2;\n");
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let texts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Item::Text(t) => t.clone(),
            Item::Exec(e) => e.to_string(),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "option space ipxe code width 1 length width 1;",
            "option ipxe.no-pxedhcp code 176 = unsigned integer 8;",
            "option rfc3442 code 121 = array of unsigned integer 8;",
            "option rec code 250 = { ip-address, signed integer 16, text };",
            "option arr code 251 = array of { ip-address, unsigned integer 8 };",
            "option enc code 252 = encapsulate ipxe;",
            "option ipxe.no-pxedhcp 1;",
            "option rfc3442 24, 10, 0, 0;",
            "option rec 10.0.0.1 -5 \"tail\";",
            "option arr 10.0.0.1 1, 10.0.0.2 2;",
        ]
    );
}

#[test]
fn definition_errors_match_isc() {
    assert_eq!(
        first_error("option foo code 250 = array of text;").1,
        "arrays of text strings not yet supported."
    );
    assert_eq!(
        first_error("option foo code 250 = array of array of integer 8;").1,
        "no nested arrays."
    );
    assert_eq!(
        first_error("option foo code 250 = { integer 8, array of { text } };").1,
        "only uniform array inside record."
    );
    assert_eq!(
        first_error("option foo code 250 = { ip-address, foo };").1,
        "unknown data type foo"
    );
    assert_eq!(
        first_error("option space x length width 4;").1,
        "invalid length width (4) expecting 1 or 2."
    );
    assert_eq!(
        first_error("option nope.foo 1;").1,
        "no option space named nope."
    );
    assert_eq!(
        first_error("option foo-bar 1;").1,
        "unknown option dhcp.foo-bar"
    );
}

#[test]
fn value_errors_match_isc() {
    assert_eq!(
        first_error("option routers 10.0.0;"),
        (1, "too few numbers.".into())
    );
    assert_eq!(
        first_error("default-lease-time\n600\n600;"),
        (3, "semicolon expected.".into())
    );
    assert_eq!(
        first_error("option ip-forwarding yes;").1,
        "expecting boolean."
    );
    assert_eq!(first_error("log-facility foo;").1, "unknown value");
    assert_eq!(
        first_error("option dhcp-max-message-size 100000;").1,
        "100000 exceeds max (65535) for precision."
    );
    assert_eq!(
        first_error("option domain-name pxe.example;").1,
        "semicolon expected."
    );
    assert_eq!(
        first_error("option domain-search \"a..b\";").1,
        "Error compressing domain list: Message too long"
    );
    assert_eq!(
        first_error("option domain-search a;").1,
        "Expecting a domain string."
    );
    assert_eq!(
        first_error("option routers = 10.0.0.1;").1,
        "semicolon expected."
    );
    assert_eq!(first_error("allow foo;").1, "expecting allow/deny key");
    // ISC adds its generic message after a failed supersede.
    let (_, diags) = run("supersede routers 1.2.3;");
    let msgs: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        ["too few numbers.", "expecting a parameter or declaration"]
    );
}

#[test]
fn conditionals_round_trip() {
    for src in [
        "if option vendor-class-identifier = \"PXEClient\" { filename \"pxe\"; } else { filename \"x\"; }",
        "if exists agent.circuit-id and not known { log (info, \"relay\"); } elsif static { break; } else if known { } else { }",
        "if (substring(option vendor-class-identifier, 0, 9) = \"PXEClient\") { next-server 10.0.0.1; }",
        "if option host-name ~= \"^a.*\" or option host-name ~~ \"B\" { }",
        "if extract-int(option dhcp-message-type, 8) = 3 and ((lease-time + 5) = 10) { }",
        "if ((a = b) and (c = d)) { }",
        "switch (option dhcp-message-type) { case \"a\": break; default: log (\"x\"); }",
        "switch (extract-int(option dhcp-message-type, 8)) { case 1: break; }",
        "on commit or release { set ip = binary-to-ascii(10, 8, \".\", leased-address); execute (\"/bin/true\", ip); }",
        "on expiry;",
        "define gx (arg1, arg2) { return concat(arg1, arg2); }",
        "set x = pick-first-value(option host-name, \"none\");",
        "unset x; eval concat(\"a\", \"b\"); gx(\"a\", 1);",
        "log (error, concat(\"a\", suffix(hardware, 2), reverse(1, hardware), ucase(lcase(\"X\"))));",
        "if defined(x) or check \"default\" { add_ = encode-int(5, 16); }",
        "set y = packet(0, 4); set z = gethostbyname(\"h\"); set w = gethostname();",
        "if client-state = bound or 5 = noerror { }",
        "db-time-format local; parse-vendor-option;",
        "key \"k\" { algorithm hmac-md5; secret \"c3R1YmtleQ==\"; }",
        "key k2 { algorithm hmac-sha256; secret c3R1YmtleQ==; }; zone example.com { primary 10.0.0.1, ns.example.com; key k2; }",
    ] {
        round_trip(src);
    }
}

#[test]
fn precedence_follows_isc() {
    let v = ok("set x = extract-int(hardware, 8) * extract-int(hardware, 8) + 1;");
    let Executable::Set { value, .. } = &v[0] else {
        panic!("{v:?}")
    };
    // ISC: a tighter operator after a looser one takes the rest: a * (b + 1).
    let Expr::Binary(BinOp::Multiply, _, rhs) = value else {
        panic!("{value}")
    };
    assert!(matches!(**rhs, Expr::Binary(BinOp::Add, _, _)));
    let v = ok("if known or static and known { }");
    let Executable::If(s) = &v[0] else { panic!() };
    assert!(matches!(s.cond, Expr::Binary(BinOp::And, _, _)));
}

#[test]
fn expression_errors_match_isc() {
    assert_eq!(first_error("if check \"foo\" { }").1, "unknown collection.");
    assert_eq!(
        first_error("case 1: break;").1,
        "case statement in inappropriate scope."
    );
    assert_eq!(
        first_error("default: break;").1,
        "switch default statement in inappropriate scope."
    );
    assert_eq!(
        first_error("if option host-name { }").1,
        "Expecting a boolean expression."
    );
    assert_eq!(
        first_error("option host-name = 1 = 1;").1,
        "Expecting a data expression."
    );
    assert_eq!(
        first_error("if option host-name = extract-int(hardware, 8) { }").1,
        "illegal expression relating different types"
    );
    assert_eq!(
        first_error("if known ! known { }").1,
        "! in boolean context without ="
    );
    assert_eq!(
        first_error("set known = 1;").1,
        "known can't be a variable name"
    );
    assert_eq!(first_error("zone x { key nokey; }").1, "unknown key nokey");
    assert_eq!(
        first_error("key k { secret \"YOUR_KEY\"; }").1,
        "invalid base64 character 95."
    );
    assert_eq!(first_error("add \"nope\";").1, "class nope: not found");
    // `if (` makes the condition end at the matching `)`.
    assert_eq!(
        first_error("if (a = b) and (c = d) { }").1,
        "left brace expected."
    );
    assert_eq!(
        first_error("if known {\n  hardware;\n}"),
        (2, "right brace expected.".into())
    );
    assert_eq!(
        first_error("if extract-int(option dhcp-message-type, 8) = 3 and lease-time + 5 = 10 { }")
            .1,
        "illegal expression relating different types"
    );
}

#[test]
fn strings_print_back_to_the_same_bytes() {
    let e = Expr::ConstData {
        bytes: vec![0, b'"', b'\\', 0xff, b'a', b'\n'],
        hex: false,
    };
    let src = format!("set x = {e};");
    let v = ok(&src);
    assert_eq!(
        v[0],
        Executable::Set {
            name: "x".into(),
            value: e
        }
    );
}
