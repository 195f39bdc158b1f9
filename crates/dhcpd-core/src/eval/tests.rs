//! Expressions against hand-written packets. Each configuration is real dhcpd.conf text; the
//! expressions come from its `eval …;` statements.

use std::net::Ipv4Addr;

use dhcpd_conf::{MemLoader, ParseOptions, ParseOutput, parse_config};
use dhcpd_leases::model::Lease;

use super::*;
use crate::model::Model;
use crate::scope::{EvalCtx, OptionSet};

pub(crate) struct Conf {
    pub out: ParseOutput,
    pub model: Model,
}

pub(crate) fn conf(text: &str) -> Conf {
    let mut l = MemLoader::single("t.conf", text);
    let out = parse_config("t.conf", &mut l, ParseOptions::default());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let model = Model::from_config(&out.config);
    Conf { out, model }
}

/// A BOOTREQUEST from 00:16:3e:00:00:01 with these options (then an end option), as bytes.
pub(crate) fn packet_bytes(opts: &[(u8, &[u8])]) -> Vec<u8> {
    let mut b = vec![0u8; 236];
    b[0] = 1; // op
    b[1] = 1; // htype
    b[2] = 6; // hlen
    b[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    b[28..34].copy_from_slice(&[0x00, 0x16, 0x3e, 0x00, 0x00, 0x01]);
    b.extend_from_slice(&[99, 130, 83, 99]);
    for (code, data) in opts {
        b.push(*code);
        b.push(data.len() as u8);
        b.extend_from_slice(data);
    }
    b.push(255);
    b
}

pub(crate) fn packet(opts: &[(u8, &[u8])]) -> Message {
    Message::from_bytes(&packet_bytes(opts)).expect("valid packet")
}

/// The expression of the `i`th `eval` statement at the top of the configuration.
fn expr(c: &Conf, i: usize) -> &Expr {
    let evals: Vec<&Expr> = c.model.scopes[0]
        .stmts
        .iter()
        .filter_map(|s| match s {
            Executable::Eval(e) => Some(e),
            _ => None,
        })
        .collect();
    evals[i]
}

struct Run<'a> {
    c: &'a Conf,
    packet: Option<&'a Message>,
    lease: Option<&'a Lease>,
    host: Option<&'a crate::model::HostM>,
    now: i64,
}

impl<'a> Run<'a> {
    fn new(c: &'a Conf, packet: Option<&'a Message>) -> Run<'a> {
        Run {
            c,
            packet,
            lease: None,
            host: None,
            now: 1_000_000,
        }
    }

    fn with<R>(&self, out: Option<&mut OptionSet>, f: impl FnOnce(&mut Machine<'_, '_>) -> R) -> R {
        let ctx = EvalCtx {
            now: self.now,
            model: &self.c.model,
            registry: &self.c.out.registry,
            packet: self.packet,
            lease: self.lease,
            host: self.host,
            classes: &[],
        };
        let mut env = Env::for_lease(self.lease);
        let mut effects = Vec::new();
        let mut m = Machine {
            ctx: &ctx,
            env: &mut env,
            out,
            effects: &mut effects,
        };
        f(&mut m)
    }

    fn data(&self, i: usize) -> Option<Vec<u8>> {
        self.with(None, |m| m.data(expr(self.c, i)))
    }

    fn boolean(&self, i: usize) -> Option<bool> {
        self.with(None, |m| m.boolean(expr(self.c, i)))
    }

    fn numeric(&self, i: usize) -> Option<u64> {
        self.with(None, |m| m.numeric(expr(self.c, i)))
    }
}

#[test]
fn string_functions() {
    let c = conf(
        "eval substring(\"abcdef\", 2, 3);\n\
         eval substring(\"abc\", 5, 1);\n\
         eval substring(\"abc\", 1, 100);\n\
         eval suffix(\"abcdef\", 2);\n\
         eval suffix(\"ab\", 9);\n\
         eval lcase(\"AbC\");\n\
         eval ucase(\"AbC\");\n\
         eval concat(\"a\", \"b\", \"c\");\n\
         eval concat(\"a\", null);\n\
         eval substring(null, 0, 1);\n\
         eval reverse(2, 1:2:3:4:5:6);\n\
         eval reverse(4, 1:2:3:4:5:6);\n\
         eval pick-first-value(null, option host-name, \"\", \"x\");\n\
         eval encode-int(258, 16);\n\
         eval encode-int(258, 8);\n\
         eval encode-int(1, 32);\n",
    );
    let r = Run::new(&c, None);
    assert_eq!(r.data(0).as_deref(), Some(&b"cde"[..]));
    assert_eq!(
        r.data(1).as_deref(),
        Some(&b""[..]),
        "offset past the end: empty"
    );
    assert_eq!(r.data(2).as_deref(), Some(&b"bc"[..]));
    assert_eq!(r.data(3).as_deref(), Some(&b"ef"[..]));
    assert_eq!(r.data(4).as_deref(), Some(&b"ab"[..]));
    assert_eq!(r.data(5).as_deref(), Some(&b"abc"[..]));
    assert_eq!(r.data(6).as_deref(), Some(&b"ABC"[..]));
    assert_eq!(r.data(7).as_deref(), Some(&b"abc"[..]));
    assert_eq!(r.data(8), None, "concat with nothing is nothing");
    assert_eq!(r.data(9), None);
    assert_eq!(r.data(10), Some(vec![5, 6, 3, 4, 1, 2]));
    assert_eq!(r.data(11), None, "6 bytes are not a multiple of 4");
    assert_eq!(
        r.data(12),
        Some(Vec::new()),
        "no packet: the option is nothing; an empty string is something"
    );
    assert_eq!(r.data(13), Some(vec![1, 2]));
    assert_eq!(r.data(14), Some(vec![2]));
    assert_eq!(r.data(15), Some(vec![0, 0, 0, 1]));
}

#[test]
fn binary_to_ascii_and_numbers() {
    let c = conf(
        "eval binary-to-ascii(10, 8, \".\", c0:0:2:1);\n\
         eval binary-to-ascii(16, 8, \":\", 0:16:3e:a);\n\
         eval binary-to-ascii(8, 16, \"-\", 1:0:0:8);\n\
         eval binary-to-ascii(10, 12, \".\", 1);\n\
         eval binary-to-ascii(10, 16, \".\", 1:2:3);\n\
         eval binary-to-ascii(2, 8, \"\", 5);\n\
         eval binary-to-ascii(1, 8, \",\", 0:7);\n\
         eval extract-int(1:2:3:4, 32);\n\
         eval extract-int(1:2, 16);\n\
         eval extract-int(1, 16);\n\
         eval extract-int(ff:2, 8);\n\
         eval extract-int(encode-int(2 + (3 * 4), 32), 32);\n\
         eval extract-int(encode-int(7 / 0, 32), 32);\n\
         eval extract-int(encode-int(7 % 4, 32), 32);\n\
         eval extract-int(encode-int(6 & 3 | 8, 32), 32);\n",
    );
    let r = Run::new(&c, None);
    assert_eq!(r.data(0).as_deref(), Some(&b"192.0.2.1"[..]));
    assert_eq!(r.data(1).as_deref(), Some(&b"0:16:3e:a"[..]));
    assert_eq!(r.data(2).as_deref(), Some(&b"400-10"[..]));
    assert_eq!(r.data(3), None, "width 12 is refused");
    assert_eq!(r.data(4), None, "3 bytes are not 16-bit numbers");
    assert_eq!(r.data(5).as_deref(), Some(&b"101"[..]));
    assert_eq!(
        r.data(6).as_deref(),
        Some(&b"0,00"[..]),
        "base 1 as ISC's digit counting does it"
    );
    assert_eq!(r.numeric(7), Some(0x0102_0304));
    assert_eq!(r.numeric(8), Some(0x0102));
    assert_eq!(r.numeric(9), None, "too short for 16 bits");
    assert_eq!(r.numeric(10), Some(0xff));
    assert_eq!(r.numeric(11), Some(14));
    assert_eq!(r.numeric(12), None, "division by zero is nothing");
    assert_eq!(r.numeric(13), Some(3));
    assert_eq!(r.numeric(14), Some(10));
}

#[test]
fn nothing_rules_of_booleans() {
    let c = conf(
        "eval option host-name = option domain-name;\n\
         eval option host-name != option domain-name;\n\
         eval option host-name = \"x\";\n\
         eval option host-name != \"x\";\n\
         eval not (option host-name = \"x\");\n\
         eval substring(option host-name, 0, 1) = \"x\" and \"a\" = \"a\";\n\
         eval \"a\" = \"b\" and substring(null, 0, 1) = \"x\";\n\
         eval \"a\" = \"a\" or substring(null, 0, 1) = \"x\";\n\
         eval option host-name ~= \"x\" or \"a\" = \"b\";\n\
         eval option host-name ~= \"x\" or option host-name ~= \"y\";\n\
         eval not (option host-name ~= \"x\");\n\
         eval \"a\" = 1:2;\n\
         eval 1 = 1;\n\
         eval exists host-name;\n",
    );
    let r = Run::new(&c, None);
    assert_eq!(r.boolean(0), Some(true), "nothing equals nothing");
    assert_eq!(r.boolean(1), Some(false));
    assert_eq!(
        r.boolean(2),
        Some(false),
        "nothing is not equal to something"
    );
    assert_eq!(r.boolean(3), Some(true));
    assert_eq!(r.boolean(4), Some(true));
    assert_eq!(r.boolean(5), None, "false-or-nothing left side: nothing");
    assert_eq!(r.boolean(6), None, "and: false left side is still nothing");
    assert_eq!(
        r.boolean(7),
        Some(true),
        "or: true left side short-circuits"
    );
    assert_eq!(r.boolean(8), Some(false), "or: nothing counts as false");
    assert_eq!(r.boolean(9), None, "or of two nothings");
    assert_eq!(r.boolean(10), None, "not nothing");
    assert_eq!(r.boolean(11), Some(false));
    assert_eq!(r.boolean(12), Some(true), "numbers compare as numbers");
    assert_eq!(r.boolean(13), Some(false), "no packet: nothing exists");
}

#[test]
fn packet_options_hardware_and_raw_fields() {
    let c = conf(
        "eval option host-name;\n\
         eval hardware;\n\
         eval packet(0, 4);\n\
         eval packet(236, 100);\n\
         eval packet(400, 1);\n\
         eval exists host-name;\n\
         eval exists domain-name;\n\
         eval option dhcp-client-identifier;\n\
         eval filename;\n\
         eval server-name;\n\
         eval known;\n\
         eval binary-to-ascii(16, 8, \":\", substring(hardware, 1, 6));\n",
    );
    let mut bytes = packet_bytes(&[(12, b"printer"), (61, &[1, 0, 0x16, 0x3e, 0, 0, 1])]);
    bytes[108..113].copy_from_slice(b"pxe.0");
    let m = Message::from_bytes(&bytes).expect("packet");
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.data(0).as_deref(), Some(&b"printer"[..]));
    assert_eq!(r.data(1), Some(vec![1, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01]));
    assert_eq!(r.data(2), Some(vec![1, 1, 6, 0]));
    assert_eq!(
        r.data(3).as_deref(),
        Some(&bytes[236..]),
        "cut at the packet's end"
    );
    assert_eq!(r.data(4), None, "offset past the packet");
    assert_eq!(r.boolean(5), Some(true));
    assert_eq!(r.boolean(6), Some(false));
    assert_eq!(r.data(7), Some(vec![1, 0, 0x16, 0x3e, 0, 0, 1]));
    assert_eq!(r.data(8).as_deref(), Some(&b"pxe.0"[..]));
    assert_eq!(r.data(9), None, "an empty sname field is nothing");
    assert_eq!(r.boolean(10), Some(false), "no host declaration");
    assert_eq!(r.data(11).as_deref(), Some(&b"0:16:3e:0:0:1"[..]));
    // An empty host-name option is dropped, as ISC does.
    let m = packet(&[(12, b"")]);
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.boolean(5), Some(false));
    // RFC 3396: instances are joined.
    let m = packet(&[(12, b"prin"), (12, b"ter")]);
    assert_eq!(
        Run::new(&c, Some(&m)).data(0).as_deref(),
        Some(&b"printer"[..])
    );
}

#[test]
fn relay_agent_and_fqdn_sub_options() {
    let c = conf(
        "eval option agent.circuit-id;\n\
         eval option agent.remote-id;\n\
         eval exists agent.circuit-id;\n\
         eval option fqdn.hostname;\n\
         eval option fqdn.domainname;\n\
         eval option fqdn.fqdn;\n\
         eval option fqdn.server-update;\n\
         eval option fqdn.no-client-update;\n\
         eval option fqdn.encoded;\n",
    );
    // Option 82 with circuit-id "eth0/1", remote-id 1:2:3, and a duplicate circuit-id (the
    // first is the one found).
    let agent = [&[1u8, 6][..], b"eth0/1", &[2, 3, 1, 2, 3], &[1, 1, b'x']].concat();
    // Option 81, flags S (server updates), ASCII name.
    let fqdn = [&[1u8, 0, 0][..], b"laptop.example.com"].concat();
    let m = packet(&[(82, &agent), (81, &fqdn)]);
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.data(0).as_deref(), Some(&b"eth0/1"[..]));
    assert_eq!(r.data(1), Some(vec![1, 2, 3]));
    assert_eq!(r.boolean(2), Some(true));
    assert_eq!(r.data(3).as_deref(), Some(&b"laptop"[..]));
    assert_eq!(r.data(4).as_deref(), Some(&b"example.com"[..]));
    assert_eq!(r.data(5).as_deref(), Some(&b"laptop.example.com"[..]));
    assert_eq!(r.data(6), Some(vec![1]));
    assert_eq!(r.data(7), Some(vec![0]));
    assert_eq!(r.data(8), Some(vec![0]));
    // The DNS-encoded form (flag E): ISC's domain name keeps the leading dot.
    let fqdn = [&[4u8 | 2, 0, 0][..], b"\x06laptop\x07example\x03com\x00"].concat();
    let m = packet(&[(81, &fqdn)]);
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.data(3).as_deref(), Some(&b"laptop"[..]));
    assert_eq!(r.data(4).as_deref(), Some(&b".example.com"[..]));
    assert_eq!(r.data(5).as_deref(), Some(&b"laptop.example.com"[..]));
    assert_eq!(r.data(7), Some(vec![1]));
    assert_eq!(r.data(8), Some(vec![1]));
    // A malformed agent option: what precedes the bad sub-option is kept.
    let m = packet(&[(82, &[2, 1, 9, 1, 200, 0])]);
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.data(1), Some(vec![9]));
    assert_eq!(r.boolean(2), Some(false));
}

#[test]
fn regular_expressions() {
    let c = conf(
        "eval option vendor-class-identifier ~= \"^MSFT [0-9]+\\\\.0$\";\n\
         eval option vendor-class-identifier ~= \"^msft\";\n\
         eval option vendor-class-identifier ~~ \"^msft\";\n\
         eval option vendor-class-identifier ~= \"[\";\n\
         eval option vendor-class-identifier ~= \"[[:digit:]]\\\\.\";\n\
         eval option host-name ~= \"x\";\n\
         eval \"a.b\" ~= \"a[.]b\";\n\
         eval \"a\\\\b\" ~= \"a[\\\\]b\";\n\
         eval \"line1\\nline2\" ~= \"1.l\";\n",
    );
    let m = packet(&[(60, b"MSFT 5.0")]);
    let r = Run::new(&c, Some(&m));
    assert_eq!(r.boolean(0), Some(true));
    assert_eq!(r.boolean(1), Some(false));
    assert_eq!(r.boolean(2), Some(true), "~~ ignores case");
    assert_eq!(
        r.boolean(3),
        Some(false),
        "a pattern that does not compile: false"
    );
    assert_eq!(r.boolean(4), Some(true), "POSIX classes");
    assert_eq!(r.boolean(5), None, "absent option: nothing");
    assert_eq!(r.boolean(6), Some(true));
    assert_eq!(
        r.boolean(7),
        Some(true),
        "a backslash in brackets is literal"
    );
    assert_eq!(r.boolean(8), Some(true), "`.` matches a newline");
}

#[test]
fn lease_host_and_time_expressions() {
    let c = conf(
        "host printer { hardware ethernet 00:16:3e:00:00:01; fixed-address 198.51.100.7; }\n\
         eval leased-address;\n\
         eval lease-time;\n\
         eval host-decl-name;\n\
         eval static;\n\
         eval known;\n\
         eval binary-to-ascii(10, 8, \".\", leased-address);\n\
         eval hardware;\n",
    );
    let mut lease = Lease::new(Ipv4Addr::new(198, 51, 100, 7));
    lease.ends = 1_000_600;
    lease.hardware = dhcpd_leases::model::HardwareAddr::new(1, &[0, 0x16, 0x3e, 0, 0, 1]);
    let m = packet(&[]);
    let mut r = Run::new(&c, Some(&m));
    assert_eq!(r.data(0), None, "no lease");
    assert_eq!(r.numeric(1), None);
    r.lease = Some(&lease);
    assert_eq!(r.data(0), Some(vec![198, 51, 100, 7]));
    assert_eq!(r.numeric(1), Some(600));
    assert_eq!(r.data(2), None, "no host");
    assert_eq!(r.boolean(3), Some(false));
    r.host = Some(&c.model.hosts[0]);
    assert_eq!(r.data(2).as_deref(), Some(&b"printer"[..]));
    assert_eq!(
        r.boolean(3),
        Some(true),
        "the lease is the host's fixed address"
    );
    assert_eq!(r.boolean(4), Some(true));
    assert_eq!(r.data(5).as_deref(), Some(&b"198.51.100.7"[..]));
    r.now = 2_000_000;
    assert_eq!(r.numeric(1), None, "an expired lease has no lease time");
    // Without a packet, `hardware` is the lease's and `known` is nothing.
    r.packet = None;
    assert_eq!(r.data(6), Some(vec![1, 0, 0x16, 0x3e, 0, 0, 1]));
    assert_eq!(r.boolean(4), None);
}

#[test]
fn variables_and_functions() {
    let c = conf(
        "set avar = \"x\";\n\
         define twice (the-arg) { return concat(the-arg, the-arg); }\n\
         set b = twice(\"ab\");\n\
         set n = extract-int(03, 8);\n\
         set tvar = avar = \"x\";\n\
         unset avar;\n\
         set u = null;\n\
         define logit (the-arg) { set leaked = the-arg; set n = extract-int(09, 8); log(info, concat(\"in f: \", the-arg)); }\n\
         eval logit(\"arg\");\n\
         set c = twice(\"a\", \"b\");\n\
         if twice(\"q\") = \"qq\" { set d = \"called\"; }\n\
         set e = substring(twice(\"zz\"), 0, 1);\n\
         eval defined(leaked);\n\
         eval defined(avar);\n",
    );
    let m = packet(&[]);
    let r = Run::new(&c, Some(&m));
    let mut set = OptionSet::default();
    r.with(Some(&mut set), |mach| {
        let stmts = &c.model.scopes[0].stmts;
        let _ = mach.run(stmts, false);
        let env = &*mach.env;
        assert_eq!(env.get("b"), Some(&Value::Data(b"abab".to_vec())));
        assert_eq!(
            env.get("TVAR"),
            Some(&Value::Boolean(true)),
            "names ignore case"
        );
        assert_eq!(env.get("avar"), None, "unset");
        assert!(!env.defined("u"));
        assert_eq!(
            env.get("n"),
            Some(&Value::Numeric(9)),
            "a function sees and changes its caller's variables"
        );
        assert!(
            !env.defined("leaked"),
            "new variables of a function die with it"
        );
        assert!(!env.defined("c"), "wrong argument count: nothing");
        assert_eq!(env.get("d"), Some(&Value::Data(b"called".to_vec())));
        assert!(
            !env.defined("e"),
            "a call used directly as data yields nothing (ISC)"
        );
        assert_eq!(mach.boolean(expr(&c, 1)), Some(false));
        assert_eq!(mach.boolean(expr(&c, 2)), Some(false));
        let fx = &*mach.effects;
        assert!(fx.contains(&Effect::Set("b".into(), b"abab".to_vec())));
        assert!(fx.contains(&Effect::Unset("avar".into())));
        assert!(fx.contains(&Effect::Bind {
            name: "n".into(),
            value: BindingValue::Numeric(9)
        }));
        assert!(fx.contains(&Effect::Log("info".into(), "in f: arg".into())));
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Set(n, _) if n == "leaked")),
            "function-local variables are not the lease's"
        );
    });
}

#[test]
fn lease_bindings_are_variables() {
    let c = conf("eval binding-name = \"v\";\neval defined(other);\n");
    let mut lease = Lease::new(Ipv4Addr::new(198, 51, 100, 7));
    lease.bind(
        "binding-name",
        dhcpd_leases::model::BindingValue::Data(b"v".to_vec()),
    );
    let mut r = Run::new(&c, None);
    r.lease = Some(&lease);
    assert_eq!(r.boolean(0), Some(true));
    assert_eq!(r.boolean(1), Some(false));
}

#[test]
fn parse_vendor_option_decodes_option_43() {
    let c = conf(
        "option space pxe;\noption pxe.mtftp-ip code 1 = ip-address;\n\
         option pxe.boot-item code 71 = unsigned integer 32;\n\
         vendor-option-space pxe;\n\
         parse-vendor-option;\n\
         eval option pxe.mtftp-ip;\n\
         eval option pxe.boot-item;\n",
    );
    let m = packet(&[(43, &[1, 4, 10, 0, 0, 1, 71, 4, 0, 0, 0, 9, 255])]);
    let r = Run::new(&c, Some(&m));
    let mut set = OptionSet::default();
    r.with(Some(&mut set), |mach| {
        assert_eq!(
            mach.data(expr(&c, 0)),
            None,
            "not decoded before parse-vendor-option"
        );
        let _ = mach.run(&c.model.scopes[0].stmts, false);
        assert_eq!(mach.data(expr(&c, 0)), Some(vec![10, 0, 0, 1]));
        assert_eq!(mach.data(expr(&c, 1)), Some(vec![0, 0, 0, 9]));
    });
}

#[test]
fn posix_translation_keeps_bytes() {
    let re = compile_posix(b"^\xff[a-c]+$", false).expect("compiles");
    assert!(re.is_match(b"\xffabc"));
    assert!(!re.is_match(b"\xfeabc"));
    assert!(compile_posix(b"a[b", false).is_none());
    assert!(
        compile_posix(b"[]a]", false)
            .expect("compiles")
            .is_match(b"]")
    );
    assert!(
        compile_posix(b"[^]a]", false)
            .expect("compiles")
            .is_match(b"b")
    );
    assert!(compile_posix(b"\\", false).is_none());
}

#[test]
fn no_panics_on_odd_input() {
    // Every expression kind over hostile packets and values: only nothing, never a panic.
    let c = conf(
        "eval substring(option host-name, 4294967295, 4294967295);\n\
         eval suffix(option host-name, 18446744073709551615);\n\
         eval packet(18446744073709551615, 18446744073709551615);\n\
         eval reverse(0, option host-name);\n\
         eval binary-to-ascii(0, 8, \".\", option host-name);\n\
         eval extract-int(option host-name, 32);\n\
         eval option fqdn.fqdn;\n\
         eval option agent.circuit-id;\n\
         eval hardware;\n",
    );
    let fqdn_variants: [&[u8]; 6] = [
        &[4],
        &[4, 0, 0],
        &[4, 0, 0, 63],
        &[4, 0, 0, 5, b'a'],
        &[0, 0, 0, 0],
        &[4, 0, 0, 64, 1, 1, 1],
    ];
    for f in fqdn_variants {
        let mut bytes = packet_bytes(&[(12, b"x"), (81, f), (82, &[1, 9, 1])]);
        bytes[2] = 200; // hlen beyond chaddr
        let m = Message::from_bytes(&bytes).expect("packet");
        let r = Run::new(&c, Some(&m));
        for i in 0..9 {
            let _ = r.data(i);
            let _ = r.numeric(i);
            let _ = r.boolean(i);
        }
        assert_eq!(r.data(8), None, "hlen > 16: nothing");
    }
}
