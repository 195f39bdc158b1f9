//! Shared by the lab tests: which server is under test, starting a server in a lab namespace,
//! building client messages, and the scripted probe (`examples/dhcp_probe.rs`).
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd, target_dir};
use dhcpd_testlab::Lab;
use dhcpd_wire::message::{Message, MessageType};

/// Whether the tests run against ISC dhcpd (`DHCPD_RS_SUBJECT=isc`).
pub fn is_isc() -> bool {
    std::env::var("DHCPD_RS_SUBJECT").as_deref() == Ok("isc")
}

/// The server under test: ours, or ISC's with `DHCPD_RS_SUBJECT=isc`.
pub fn subject() -> PathBuf {
    if is_isc() {
        isc_dhcpd().expect("DHCPD_RS_SUBJECT=isc but ISC dhcpd is not installed")
    } else {
        our_dhcpd()
    }
}

/// A server process in a lab namespace, with its files in `dir`.
pub struct ServerRun {
    /// Its PID (as the lab started it).
    pub pid: u32,
    /// Configuration, leases, log live here.
    pub dir: PathBuf,
}

impl ServerRun {
    /// Its log so far (stderr with `-d`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
    /// The lease file.
    pub fn leases(&self) -> String {
        std::fs::read_to_string(self.dir.join("dhcpd.leases")).unwrap_or_default()
    }
    /// The configuration path.
    pub fn conf(&self) -> PathBuf {
        self.dir.join("dhcpd.conf")
    }
}

/// Starts `program` (`-4 -f -d`) in `ns` on `ifaces` with `conf` and an empty lease file in
/// `dir` (or the lease file already there), plus `extra` arguments; waits until it logs
/// `Server starting service.` (at most 5 s).
pub fn start_server(
    lab: &mut Lab,
    ns: &str,
    program: &Path,
    dir: &Path,
    conf: &str,
    ifaces: &[&str],
    extra: &[&str],
) -> ServerRun {
    std::fs::write(dir.join("dhcpd.conf"), conf).expect("conf");
    if !dir.join("dhcpd.leases").exists() {
        std::fs::write(dir.join("dhcpd.leases"), "").expect("leases");
    }
    let mut cmd = lab.command(ns, program.to_str().expect("utf8"));
    cmd.args(["-4", "-f", "-d", "-cf"])
        .arg(dir.join("dhcpd.conf"))
        .arg("-lf")
        .arg(dir.join("dhcpd.leases"))
        .arg("-pf")
        .arg(dir.join("dhcpd.pid"))
        .args(extra)
        .args(ifaces)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).expect("log"));
    let pid = lab.spawn(cmd).expect("start server");
    let run = ServerRun {
        pid,
        dir: dir.to_path_buf(),
    };
    let up = Lab::wait_for(Duration::from_secs(5), || {
        run.log().contains("Server starting service.")
    });
    assert!(up, "{} did not start:\n{}", program.display(), run.log());
    run
}

/// A lab with a server host (`srv`, eth0 198.51.100.1/24) and `n` client hosts (`c0`, …)
/// on segment `lan`, unnumbered.
pub struct Net {
    /// The lab (dropped last).
    pub lab: Lab,
    /// Server namespace.
    pub srv: String,
    /// The server's MAC.
    pub srv_mac: String,
    /// Client namespaces.
    pub clients: Vec<String>,
    /// Scratch directory.
    pub dir: TempDir,
}

impl Net {
    /// Builds it.
    pub fn new(tag: &str, n: usize) -> Net {
        let mut lab = Lab::new(tag).expect("lab (root needed)");
        let srv = lab.add_host("srv").expect("srv");
        let srv_mac = lab
            .connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
            .expect("srv eth0");
        let mut clients = Vec::new();
        for i in 0..n {
            let c = lab.add_host(&format!("c{i}")).expect("client");
            lab.connect(&c, "lan", "eth0", &[]).expect("client eth0");
            clients.push(c);
        }
        let dir = TempDir::new(tag).expect("tempdir");
        Net {
            lab,
            srv,
            srv_mac,
            clients,
            dir,
        }
    }

    /// Starts the server under test on eth0 with `conf`.
    pub fn serve(&mut self, conf: &str) -> ServerRun {
        let dir = self.dir.path().to_path_buf();
        let srv = self.srv.clone();
        start_server(&mut self.lab, &srv, &subject(), &dir, conf, &["eth0"], &[])
    }

    /// Runs a shell command line in `ns` (bounded), returning (success, stdout+stderr).
    pub fn sh(&self, ns: &str, script: &str, secs: u64) -> (bool, String) {
        let out = self
            .lab
            .exec(ns, &["sh", "-c", script], Duration::from_secs(secs))
            .expect("sh");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// Sets the MAC of a client's eth0.
    pub fn set_mac(&self, ns: &str, mac: &str) {
        let (ok, out) = self.sh(ns, &format!("ip link set eth0 address {mac}"), 5);
        assert!(ok, "{out}");
    }
}

/// The probe binary (built by `cargo test` with the examples).
pub fn probe_bin() -> PathBuf {
    let p = target_dir()
        .join("debug")
        .join("examples")
        .join("dhcp_probe");
    assert!(
        p.is_file(),
        "{} missing: `cargo test -p dhcpd-system-tests` builds it",
        p.display()
    );
    p
}

/// A reply as the probe saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Ethernet destination.
    pub dst_mac: String,
    /// IPv4 destination.
    pub dst_ip: Ipv4Addr,
    /// UDP destination port.
    pub dst_port: u16,
    /// The message bytes.
    pub payload: Vec<u8>,
}

impl Reply {
    /// Parsed message.
    pub fn msg(&self) -> Message {
        Message::from_bytes(&self.payload).expect("reply parses")
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// Sends one message from `ns` with the probe and returns the replies.
pub fn probe(
    lab: &Lab,
    ns: &str,
    wait_ms: u64,
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    dst_mac: &str,
    payload: &[u8],
) -> Vec<Reply> {
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    let out = lab
        .exec(
            ns,
            &[
                probe_bin().to_str().expect("utf8"),
                "eth0",
                &wait_ms.to_string(),
                &format!("{}:{}", src.0, src.1),
                &format!("{}:{}", dst.0, dst.1),
                dst_mac,
                &hex,
            ],
            Duration::from_secs(wait_ms / 1000 + 5),
        )
        .expect("probe");
    assert!(
        out.status.success(),
        "probe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                ["REPLY", mac, ip, port, hex] => Some(Reply {
                    dst_mac: (*mac).to_string(),
                    dst_ip: ip.parse().ok()?,
                    dst_port: port.parse().ok()?,
                    payload: unhex(hex),
                }),
                _ => None,
            }
        })
        .collect()
}

/// A client message, built byte by byte as a client would send it.
#[derive(Debug, Clone)]
pub struct Pkt {
    /// Hardware address.
    pub mac: [u8; 6],
    /// DHCP message type (`None`: BOOTP).
    pub kind: Option<MessageType>,
    /// Transaction id.
    pub xid: u32,
    /// `ciaddr`.
    pub ciaddr: Ipv4Addr,
    /// `giaddr` (sent from it, port 67, as a relay).
    pub giaddr: Ipv4Addr,
    /// Flags (0x8000 = broadcast).
    pub flags: u16,
    /// Options after 53, in order.
    pub opts: Vec<(u8, Vec<u8>)>,
    /// Hop count.
    pub hops: u8,
}

impl Pkt {
    /// A DHCP message of `kind` from `mac`.
    pub fn dhcp(mac: [u8; 6], kind: MessageType, xid: u32) -> Pkt {
        Pkt {
            mac,
            kind: Some(kind),
            xid,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            flags: 0,
            opts: Vec::new(),
            hops: 0,
        }
    }
    /// A BOOTP request.
    pub fn bootp(mac: [u8; 6], xid: u32) -> Pkt {
        Pkt {
            kind: None,
            ..Pkt::dhcp(mac, MessageType::Discover, xid)
        }
    }
    /// Adds an option.
    pub fn opt(mut self, code: u8, data: &[u8]) -> Pkt {
        self.opts.push((code, data.to_vec()));
        self
    }
    /// Adds an address option.
    pub fn addr(self, code: u8, a: Ipv4Addr) -> Pkt {
        self.opt(code, &a.octets())
    }
    /// Sets ciaddr.
    pub fn ciaddr(mut self, a: Ipv4Addr) -> Pkt {
        self.ciaddr = a;
        self
    }
    /// Relayed through `giaddr` (hops 1).
    pub fn relayed(mut self, g: Ipv4Addr) -> Pkt {
        self.giaddr = g;
        self.hops = 1;
        self
    }
    /// Sets the broadcast flag.
    pub fn broadcast(mut self) -> Pkt {
        self.flags = 0x8000;
        self
    }
    /// The wire bytes (vendor area at least 64 bytes, as a 300-byte BOOTP packet).
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; 236];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        b[3] = self.hops;
        b[4..8].copy_from_slice(&self.xid.to_be_bytes());
        b[10..12].copy_from_slice(&self.flags.to_be_bytes());
        b[12..16].copy_from_slice(&self.ciaddr.octets());
        b[24..28].copy_from_slice(&self.giaddr.octets());
        b[28..34].copy_from_slice(&self.mac);
        b.extend_from_slice(&[99, 130, 83, 99]);
        if let Some(k) = self.kind {
            b.extend_from_slice(&[53, 1, u8::from(k)]);
        }
        for (c, d) in &self.opts {
            b.push(*c);
            b.push(u8::try_from(d.len()).expect("short option"));
            b.extend_from_slice(d);
        }
        b.push(255);
        while b.len() < 300 {
            b.push(0);
        }
        b
    }
}
