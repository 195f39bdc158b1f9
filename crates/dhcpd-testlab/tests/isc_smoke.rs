//! The lab works end to end with the oracle: ISC dhcpd serves a real dhclient in a lab
//! namespace, the hook script configures the lease, and the lease reaches ISC's lease file.

use std::process::{Command, Stdio};
use std::time::Duration;

use dhcpd_testlab::{Lab, hook_script};

#[test]
fn isc_dhcpd_gives_dhclient_a_lease_in_the_lab() {
    let isc = std::env::var("ISC_DHCPD").unwrap_or_else(|_| "/usr/sbin/dhcpd".into());
    if !std::path::Path::new(&isc).exists() {
        if std::env::var_os("DHCPD_RS_NO_ORACLE").is_some() {
            eprintln!("ORACLE TESTS DID NOT RUN: ISC dhcpd not installed");
            return;
        }
        panic!("ISC dhcpd ({isc}) is not installed: run scripts/install-test-deps.sh");
    }
    let mut lab = Lab::new("iscsmoke").expect("lab");
    let srv = lab.add_host("srv").expect("srv");
    let cli = lab.add_host("cli").expect("cli");
    lab.connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .expect("srv eth0");
    lab.connect(&cli, "lan", "eth0", &[]).expect("cli eth0");
    let dir = std::env::temp_dir().join(format!("drs-iscsmoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = dir.join("dhcpd.conf");
    std::fs::write(
        &conf,
        "ddns-update-style none;\nping-check false;\nauthoritative;\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {\n  range 198.51.100.50 198.51.100.60;\n\
           option routers 198.51.100.1;\n  default-lease-time 600;\n}\n",
    )
    .expect("conf");
    let leases = dir.join("dhcpd.leases");
    std::fs::write(&leases, "").expect("leases");
    let mut server = lab.command(&srv, &isc);
    server
        .args(["-4", "-f", "-d", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(&leases)
        .args(["-pf"])
        .arg(dir.join("dhcpd.pid"))
        .arg("eth0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    lab.spawn(server).expect("start ISC dhcpd");
    std::thread::sleep(Duration::from_millis(500));
    let out = lab
        .exec(
            &cli,
            &[
                "dhclient",
                "-1",
                "-v",
                "-sf",
                hook_script().to_str().expect("utf8"),
                "-lf",
                dir.join("dhclient.leases").to_str().expect("utf8"),
                "-pf",
                dir.join("dhclient.pid").to_str().expect("utf8"),
                "eth0",
            ],
            Duration::from_secs(20),
        )
        .expect("run dhclient");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "dhclient failed:\n{log}");
    let got = lab.addrs(&cli, "eth0");
    assert_eq!(
        got,
        vec!["198.51.100.50".parse::<std::net::Ipv4Addr>().expect("ip")],
        "{log}"
    );
    let text = std::fs::read_to_string(&leases).expect("lease file");
    assert!(text.contains("lease 198.51.100.50 {"), "{text}");
    // dhclient daemonises after binding only without -1; end any it left, by PID file.
    if let Ok(pid) = std::fs::read_to_string(dir.join("dhclient.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}
