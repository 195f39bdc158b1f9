//! Expressions whose ISC behaviour is subtle, checked against the real ISC dhcpd 4.4.3: ISC
//! serves a lab segment with a configuration that logs expressions (`log (info, "EV:" …)`),
//! one crafted DHCPDISCOVER is sent to it, and the lines it logs must be the ones our
//! evaluation of the same configuration over the same packet bytes produces.

use std::process::Stdio;
use std::time::Duration;

use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
use dhcpd_core::classify::{Member, classify_all};
use dhcpd_core::model::Model;
use dhcpd_core::scope::{Effect, EvalCtx, OptionSet, execute_scopes};
use dhcpd_testlab::Lab;
use dhcpd_wire::message::Message;

const CONF: &str = r#"ddns-update-style none;
ping-check false;
authoritative;
define twice (the-arg) { return concat(the-arg, the-arg); }
set tw = twice("ab");
log (info, concat("EV:set-from-call=", tw));
log (info, concat("EV:call-as-data=", twice("zz")));
log (info, concat("EV:fqdn-host=", option fqdn.hostname));
log (info, concat("EV:fqdn-domain=", option fqdn.domainname));
log (info, concat("EV:fqdn-fqdn=", option fqdn.fqdn));
log (info, concat("EV:fqdn-ncu=", binary-to-ascii(10, 8, "", option fqdn.no-client-update)));
if option nis-domain = option nis-servers { log (info, "EV:nothing-equals-nothing"); }
if option nis-domain != "x" { log (info, "EV:nothing-differs-from-something"); }
if not (option nis-domain = "x" and true = true) { log (info, "EV:not-nothing-runs"); }
if option nis-domain = "x" or option host-name = "PRINTER-7" { log (info, "EV:or-nothing-false"); }
log (info, concat("EV:pfv=", pick-first-value(option nis-domain, "", "later")));
if option host-name ~~ "^print" { log (info, "EV:icase"); }
if option host-name ~= "^print" { log (info, "EV:case"); }
if option host-name ~= "[0-9]$" { log (info, "EV:digit-class"); }
log (info, concat("EV:hw=", binary-to-ascii(16, 8, ":", hardware)));
log (info, concat("EV:b2a-base1=", binary-to-ascii(1, 8, ",", 0:7)));
log (info, concat("EV:substr-past-end=[", substring(option host-name, 100, 1), "]"));
log (info, concat("EV:suffix=", suffix(option host-name, 3)));
log (info, concat("EV:reverse=", binary-to-ascii(10, 8, ".", reverse(1, hardware))));
log (info, concat("EV:extract16=", binary-to-ascii(10, 16, "", encode-int(extract-int(hardware, 16), 16))));
switch (option host-name) {
  case "PRINTER-7":
    log (info, "EV:case-matched");
    if true = true { log (info, "EV:in-if"); break; }
    log (info, "EV:after-if");
  default:
    log (info, "EV:default-reached");
}
class "known-at-classify" { match if known; log (info, "EV:class-known"); }
class "unknown-at-classify" { match if not known; log (info, "EV:class-unknown"); }
if known { log (info, "EV:known-at-exec"); }
host printer { hardware ethernet 02:00:00:00:00:07; }
subnet 198.51.100.0 netmask 255.255.255.0 {
  range 198.51.100.50 198.51.100.60;
}
"#;

/// A DHCPDISCOVER from 02:00:00:00:00:07 with host-name "PRINTER-7", an FQDN option in DNS
/// wire form, and a parameter request list.
fn discover() -> Vec<u8> {
    let mut b = vec![0u8; 236];
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    b[4..8].copy_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    b[10] = 0x80; // broadcast
    b[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 7]);
    b.extend_from_slice(&[99, 130, 83, 99]);
    b.extend_from_slice(&[53, 1, 1]);
    b.extend_from_slice(&[12, 9]);
    b.extend_from_slice(b"PRINTER-7");
    let name = b"\x07printer\x07example\x03com\x00";
    b.extend_from_slice(&[81, 3 + name.len() as u8, 0x04 | 0x01, 0, 0]);
    b.extend_from_slice(name);
    b.extend_from_slice(&[55, 3, 1, 3, 6]);
    b.push(255);
    while b.len() < 300 {
        b.push(0);
    }
    b
}

/// What our evaluation logs for the configuration and packet, in ISC's order: global scope
/// statements, then the classes the packet is in (their statements run after the global
/// scope's in ISC's ack_lease, as the subnet has none).
fn ours(bytes: &[u8]) -> Vec<String> {
    let mut l = MemLoader::single("t.conf", CONF);
    let out = parse_config("t.conf", &mut l, ParseOptions::default());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let model = Model::from_config(&out.config);
    let msg = Message::from_bytes(bytes).expect("packet");
    let mut ctx = EvalCtx {
        now: 0,
        model: &model,
        registry: &out.registry,
        packet: Some(&msg),
        lease: None,
        host: None,
        classes: &[],
    };
    let classes = classify_all(&ctx);
    ctx.host = model.hosts.first();
    let mut set = OptionSet::default();
    let mut fx = Vec::new();
    execute_scopes(&ctx, &[0], &mut set, &mut fx);
    for m in &classes.members {
        if let Member::Class(c) = m {
            execute_scopes(&ctx, &[model.classes[*c].scope], &mut set, &mut fx);
        }
    }
    fx.iter()
        .filter_map(|e| match e {
            Effect::Log(p, t) if p == "info" && t.starts_with("EV:") => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn our_expressions_log_what_isc_logs() {
    let isc = std::env::var("ISC_DHCPD").unwrap_or_else(|_| "/usr/sbin/dhcpd".into());
    if !std::path::Path::new(&isc).exists() {
        if std::env::var_os("DHCPD_RS_NO_ORACLE").is_some() {
            eprintln!("ORACLE TESTS DID NOT RUN: ISC dhcpd not installed");
            return;
        }
        panic!("ISC dhcpd ({isc}) is not installed: run scripts/install-test-deps.sh");
    }
    let packet = discover();
    let expected = ours(&packet);

    let mut lab = Lab::new("evaloracle").expect("lab");
    let srv = lab.add_host("srv").expect("srv");
    let cli = lab.add_host("cli").expect("cli");
    lab.connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .expect("srv eth0");
    lab.connect(&cli, "lan", "eth0", &["198.51.100.9/24"])
        .expect("cli eth0");
    let dir = std::env::temp_dir().join(format!("drs-evaloracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = dir.join("dhcpd.conf");
    std::fs::write(&conf, CONF).expect("conf");
    let leases = dir.join("dhcpd.leases");
    std::fs::write(&leases, "").expect("leases");
    let log = dir.join("dhcpd.log");
    let log_file = std::fs::File::create(&log).expect("log file");
    let mut server = lab.command(&srv, &isc);
    server
        .args(["-4", "-f", "-d", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(&leases)
        .arg("-pf")
        .arg(dir.join("dhcpd.pid"))
        .arg("eth0")
        .stdout(Stdio::null())
        .stderr(log_file);
    lab.spawn(server).expect("start ISC dhcpd");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        Lab::wait_for(Duration::from_secs(10), || read().contains("Sending on")),
        "ISC did not start:\n{}",
        read()
    );
    let hex: String = packet.iter().map(|b| format!("{b:02x}")).collect();
    let script = format!(
        "import socket\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)\n\
         s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')\n\
         s.bind(('0.0.0.0', 68))\n\
         s.sendto(bytes.fromhex('{hex}'), ('255.255.255.255', 67))\n"
    );
    let out = lab
        .exec(&cli, &["python3", "-c", &script], Duration::from_secs(10))
        .expect("send the packet");
    assert!(
        out.status.success(),
        "sending failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        Lab::wait_for(Duration::from_secs(10), || read().contains("DHCPOFFER")),
        "ISC did not answer:\n{}",
        read()
    );
    // ISC also runs the global statements (without a packet) when it starts: take the lines
    // logged after it started serving.
    let text = read();
    let served = text
        .split_once("Server starting service.")
        .map_or("", |(_, after)| after);
    let got: Vec<String> = served
        .lines()
        .filter(|l| l.starts_with("EV:"))
        .map(str::to_string)
        .collect();
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got, expected, "ISC's log:\n{text}");
}
