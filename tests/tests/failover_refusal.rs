//! Until dhcpd-rs speaks the failover protocol, it must refuse to serve a configuration with
//! `failover peer` pools (serving them alone could give one address to two clients), after
//! rewriting the lease file as ISC does and before opening any socket. Runs under
//! `unshare -n` so it cannot touch this machine's network whatever happens.

use std::process::Command;

use dhcpd_system_tests::{TempDir, our_dhcpd, workspace_root};

#[test]
fn a_failover_configuration_is_refused_with_the_reason() {
    let dir = TempDir::new("fo-refusal").expect("tempdir");
    let conf = workspace_root().join("examples/failover-primary.conf");
    std::fs::write(dir.path().join("dhcpd.leases"), "").expect("leases");
    let out = Command::new("unshare")
        .arg("-n")
        .arg(our_dhcpd())
        .args(["-4", "-f", "-q", "--no-pid", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(dir.path().join("dhcpd.leases"))
        .output()
        .expect("run dhcpd under unshare -n");
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("does not speak the failover protocol yet"),
        "{text}"
    );
    let leases = std::fs::read_to_string(dir.path().join("dhcpd.leases")).expect("read");
    assert!(
        leases.contains("written by dhcpd-rs"),
        "the lease file is rewritten first: {leases}"
    );
}
