//! End to end: our dhcpd serves real DHCP clients in a network-namespace lab (TEST-NET-2/3
//! only), exactly as it would on a RHEL host: raw packet socket, lease file, log lines.
//! Each test starts the same way with ISC dhcpd when `DHCPD_RS_SUBJECT=isc`, so the suite can
//! be run against the real ISC (the conformance model).

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::Duration;

use dhcpd_system_tests::{TempDir, isc_dhcpd, our_dhcpd};
use dhcpd_testlab::Lab;

/// The server under test: ours, or ISC's with `DHCPD_RS_SUBJECT=isc`.
fn subject() -> std::path::PathBuf {
    match std::env::var("DHCPD_RS_SUBJECT").as_deref() {
        Ok("isc") => isc_dhcpd().expect("DHCPD_RS_SUBJECT=isc but ISC dhcpd is not installed"),
        _ => our_dhcpd(),
    }
}

const CONF: &str = "ddns-update-style none;\nping-check false;\nauthoritative;\n\
default-lease-time 600;\nmax-lease-time 7200;\n\
option domain-name \"lab.example\";\noption domain-name-servers 198.51.100.53;\n\
subnet 198.51.100.0 netmask 255.255.255.0 {\n  range 198.51.100.50 198.51.100.60;\n\
  option routers 198.51.100.1;\n}\n\
host fixed-client {\n  hardware ethernet 02:00:00:00:09:09;\n  fixed-address 198.51.100.9;\n}\n";

struct Setup {
    lab: Lab,
    _srv: String,
    cli: String,
    dir: TempDir,
    server_pid: u32,
}

fn start(tag: &str, conf: &str) -> Setup {
    let mut lab = Lab::new(tag).expect("lab (root needed)");
    let srv = lab.add_host("srv").expect("srv");
    let cli = lab.add_host("cli").expect("cli");
    lab.connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .expect("srv eth0");
    lab.connect(&cli, "lan", "eth0", &[]).expect("cli eth0");
    let dir = TempDir::new("serve").expect("tempdir");
    std::fs::write(dir.path().join("dhcpd.conf"), conf).expect("conf");
    std::fs::write(dir.path().join("dhcpd.leases"), "").expect("leases");
    let mut cmd = lab.command(&srv, subject().to_str().expect("utf8"));
    cmd.args(["-4", "-f", "-d", "-cf"])
        .arg(dir.path().join("dhcpd.conf"))
        .arg("-lf")
        .arg(dir.path().join("dhcpd.leases"))
        .arg("-pf")
        .arg(dir.path().join("dhcpd.pid"))
        .arg("eth0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("server.log")).expect("log"));
    let server_pid = lab.spawn(cmd).expect("start server");
    std::thread::sleep(Duration::from_millis(400));
    Setup {
        lab,
        _srv: srv,
        cli,
        dir,
        server_pid,
    }
}

impl Setup {
    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn leases(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dhcpd.leases")).unwrap_or_default()
    }

    /// Runs `dhclient -1` (one attempt, exits when bound or after its timeout).
    fn dhclient(&self, extra: &[&str]) -> std::process::Output {
        let d = self.dir.path();
        let lf = d.join("dhclient.leases");
        let pf = d.join("dhclient.pid");
        self.lab
            .dhclient(&self.cli, &lf, &pf, extra)
            .expect("dhclient")
    }
}

#[test]
fn dhclient_gets_a_lease_renews_and_releases() {
    let mut s = start("dora", CONF);
    let out = s.dhclient(&[]);
    let log = format!(
        "{}\n--- server ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.server_log()
    );
    assert!(out.status.success(), "dhclient failed:\n{log}");
    let got = s.lab.addrs(&s.cli, "eth0");
    assert_eq!(got, vec![Ipv4Addr::new(198, 51, 100, 50)], "{log}");
    let leases = s.leases();
    assert!(leases.contains("lease 198.51.100.50 {"), "{leases}\n{log}");
    assert!(leases.contains("binding state active;"), "{leases}");
    let slog = s.server_log();
    for want in [
        "DHCPDISCOVER from ",
        "DHCPOFFER on 198.51.100.50 to ",
        "DHCPREQUEST for 198.51.100.50",
        "DHCPACK on 198.51.100.50 to ",
    ] {
        assert!(slog.contains(want), "server log lacks {want:?}:\n{slog}");
    }
    // Renew: dhclient again with its lease file asks for the same address (INIT-REBOOT).
    let out = s.dhclient(&[]);
    assert!(out.status.success());
    assert_eq!(
        s.lab.addrs(&s.cli, "eth0"),
        vec![Ipv4Addr::new(198, 51, 100, 50)]
    );
    // Release.
    let out = s.dhclient(&["-r"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        Lab::wait_for(Duration::from_secs(3), || s
            .server_log()
            .contains("DHCPRELEASE of 198.51.100.50")),
        "{}",
        s.server_log()
    );
    let leases = s.leases();
    let last = leases
        .rsplit("lease 198.51.100.50 {")
        .next()
        .unwrap_or_default();
    assert!(last.contains("binding state free;"), "{leases}");
    let pid = s.server_pid;
    let status = s.lab.stop(pid).expect("server was running");
    // ISC is simply killed by SIGTERM; ours stops cleanly with the journal flushed (exit 0).
    if std::env::var("DHCPD_RS_SUBJECT").as_deref() != Ok("isc") {
        assert!(
            status.success(),
            "server exit on SIGTERM: {status:?}\n{}",
            s.server_log()
        );
    }
}

#[test]
fn a_host_gets_its_fixed_address() {
    let s = start("fixed", CONF);
    let cli = s.cli.clone();
    // Give the client the host's MAC.
    let st = s
        .lab
        .exec(
            &cli,
            &["ip", "link", "set", "eth0", "address", "02:00:00:00:09:09"],
            Duration::from_secs(5),
        )
        .expect("ip");
    assert!(st.status.success());
    let out = s.dhclient(&[]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.server_log()
    );
    assert_eq!(
        s.lab.addrs(&cli, "eth0"),
        vec![Ipv4Addr::new(198, 51, 100, 9)]
    );
    assert!(
        !s.leases().contains("198.51.100.9"),
        "a fixed address is not a lease"
    );
}

#[test]
fn on_commit_execute_runs_when_dhclient_gets_a_lease() {
    // The file goes in the test's own directory; the path is known only after it exists.
    let dir = TempDir::new("hookfile").expect("tempdir");
    let file = dir.path().join("committed");
    let conf = format!(
        "{CONF}on commit {{ execute (\"/bin/sh\", \"-c\", \"echo committed > {}\"); }}\n\
         on expiry or release {{ log (info, \"gone\"); }}\n",
        file.display()
    );
    let s = start("hooks", &conf);
    let out = s.dhclient(&[]);
    let log = format!(
        "{}\n--- server ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.server_log()
    );
    assert!(out.status.success(), "dhclient failed:\n{log}");
    assert!(
        Lab::wait_for(Duration::from_secs(5), || file.exists()),
        "on commit did not run:\n{log}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "committed\n",
        "{log}"
    );
    // ISC keeps the expiry/release statements with the lease, in the lease file.
    let leases = s.leases();
    assert!(
        leases.contains("on expiry or release {") && leases.contains("log (info, \"gone\");"),
        "{leases}"
    );
}
