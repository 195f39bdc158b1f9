//! End to end, with real clients (busybox udhcpc, dhcpcd, dhcrelay) in network-namespace
//! labs (TEST-NET-2/3 only). Every test runs against our dhcpd, or against ISC dhcpd 4.4.3
//! with `DHCPD_RS_SUBJECT=isc`, and must pass against both — except where a test says that
//! ours is deliberately better (SIGHUP reload).
//!
//! Each test is bounded (every client and command runs under a timeout) and removes what it
//! created (the lab ends its processes by PID and deletes its namespaces when dropped).

mod common;

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::Duration;

use common::{Net, Pkt, is_isc, probe, start_server, subject};
use dhcpd_system_tests::isc_dhcpd;
use dhcpd_testlab::{Lab, hook_script};
use dhcpd_wire::message::MessageType;

const BASE: &str = "ddns-update-style none;\nauthoritative;\n\
default-lease-time 600;\nmax-lease-time 7200;\n\
option domain-name \"lab.example\";\n";

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, d)
}

fn conf(extra: &str, subnet_body: &str) -> String {
    format!(
        "{BASE}{extra}\nsubnet 198.51.100.0 netmask 255.255.255.0 {{\n  option routers 198.51.100.1;\n{subnet_body}\n}}\n"
    )
}

/// Runs udhcpc once in `ns` (exits when bound, or after 4 DISCOVERs 1 s apart).
fn udhcpc(net: &Net, ns: &str, extra: &str) -> (bool, String) {
    net.sh(
        ns,
        &format!(
            "exec udhcpc -i eth0 -f -q -n -t 4 -T 1 -A 1 -s {} {extra}",
            hook_script().display()
        ),
        20,
    )
}

/// The last record of `addr` in a lease file.
fn last_record(leases: &str, addr: Ipv4Addr) -> String {
    leases
        .rsplit(&format!("lease {addr} {{"))
        .next()
        .filter(|_| leases.contains(&format!("lease {addr} {{")))
        .and_then(|s| s.split('}').next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn ping_check_abandons_an_address_in_use_and_offers_the_next() {
    let mut net = Net::new("ping", 2);
    let (holder, cli) = (net.clients[0].clone(), net.clients[1].clone());
    // A host already using the first pool address (it answers ping).
    let (ok, out) = net.sh(&holder, "ip addr add 198.51.100.50/24 dev eth0", 5);
    assert!(ok, "{out}");
    // ping-check is ISC's default: not set here.
    let run = net.serve(&conf("", "  range 198.51.100.50 198.51.100.60;"));
    let (ok, out) = udhcpc(&net, &cli, "");
    let log = run.log();
    assert!(ok, "udhcpc got no lease:\n{out}\n--- server ---\n{log}");
    assert_eq!(net.lab.addrs(&cli, "eth0"), vec![ip(51)], "{out}\n{log}");
    assert!(
        log.contains("Abandoning IP address 198.51.100.50: pinged before offer"),
        "{log}"
    );
    assert!(!log.contains("DHCPOFFER on 198.51.100.50"), "{log}");
    let rec = last_record(&run.leases(), ip(50));
    assert!(rec.contains("binding state abandoned;"), "{}", run.leases());
}

#[test]
fn udhcpc_gets_a_lease_renews_and_releases() {
    let mut net = Net::new("udhcpc", 1);
    let cli = net.clients[0].clone();
    net.set_mac(&cli, "02:00:00:00:31:01");
    let run = net.serve(&conf(
        "ping-check false;",
        "  range 198.51.100.50 198.51.100.60;",
    ));
    let hook_log = net.dir.path().join("hook.log");
    let mut cmd = net.lab.command(&cli, "udhcpc");
    cmd.env("DRS_HOOK_LOG", &hook_log)
        .args(["-i", "eth0", "-f", "-t", "5", "-T", "1", "-s"])
        .arg(hook_script())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let pid = net.lab.spawn(cmd).expect("udhcpc");
    let bound = Lab::wait_for(Duration::from_secs(10), || {
        net.lab.addrs(&cli, "eth0") == vec![ip(50)]
    });
    assert!(bound, "not bound:\n{}", run.log());
    let acks = |log: &str| log.matches("DHCPACK on 198.51.100.50").count();
    assert_eq!(acks(&run.log()), 1);
    // Renew (SIGUSR1): a unicast REQUEST from 198.51.100.50, answered through the kernel.
    let sig = |s: &str| {
        std::process::Command::new("kill")
            .args([s, &pid.to_string()])
            .status()
            .expect("kill")
    };
    assert!(sig("-USR1").success());
    assert!(
        Lab::wait_for(Duration::from_secs(8), || acks(&run.log()) == 2),
        "no renewal ACK:\n{}",
        run.log()
    );
    let log = run.log();
    assert!(
        log.contains("DHCPREQUEST for 198.51.100.50 from 02:00:00:00:31:01"),
        "{log}"
    );
    // Release (SIGUSR2).
    assert!(sig("-USR2").success());
    assert!(
        Lab::wait_for(Duration::from_secs(5), || run
            .log()
            .contains("DHCPRELEASE of 198.51.100.50 from 02:00:00:00:31:01")),
        "{}",
        run.log()
    );
    assert!(
        Lab::wait_for(Duration::from_secs(3), || last_record(
            &run.leases(),
            ip(50)
        )
        .contains("binding state free;")),
        "{}",
        run.leases()
    );
    net.lab.stop(pid);
}

/// Runs a shell script in `ns` with private tmpfs on /run and /var/lib/dhcpcd (dhcpcd keeps
/// its state there); `dhcpcd` in the script is the real one, with its own minimal config.
/// `$LOG` in the script is the server log.
fn dhcpcd_script(net: &Net, ns: &str, conf_lines: &str, body: &str, secs: u64) -> (bool, String) {
    let conf = net.dir.path().join(format!("dhcpcd-{ns}.conf"));
    std::fs::write(
        &conf,
        format!("clientid\noption subnet_mask, routers, domain_name\n{conf_lines}\n"),
    )
    .expect("dhcpcd.conf");
    // dhcpcd leaves helper processes behind (privilege separation): its output goes to a
    // file, not to our pipe, so that nothing waits for them; the lab ends them by PID.
    let out_file = net.dir.path().join(format!("dhcpcd-{ns}.out"));
    let script = format!(
        "exec >{} 2>&1\n\
         mount -t tmpfs drs /run && mkdir -p /run/dhcpcd && mount -t tmpfs drs /var/lib/dhcpcd || exit 9\n\
         D=\"dhcpcd -4 -B -d -L -f {} -c /bin/true\"\nLOG={}\n{body}",
        out_file.display(),
        conf.display(),
        net.dir.path().join("server.log").display()
    );
    let (ok, _) = net.sh(ns, &script, secs);
    (ok, std::fs::read_to_string(&out_file).unwrap_or_default())
}

#[test]
fn dhcpcd_gets_a_lease_renews_and_releases() {
    let mut net = Net::new("dhcpcd", 1);
    let cli = net.clients[0].clone();
    let run = net.serve(&conf(
        "ping-check false;",
        "  range 198.51.100.50 198.51.100.60;",
    ));
    let (ok, out) = dhcpcd_script(
        &net,
        &cli,
        "noarp\nrelease",
        "$D eth0 & pid=$!\n\
         for i in $(seq 1 80); do ip -4 -o addr show eth0 | grep -q 'inet ' && break; sleep 0.1; done\n\
         ip -4 -o addr show eth0\n\
         sleep 0.5; $D -n eth0\n\
         for i in $(seq 1 50); do [ $(grep -c 'DHCPACK on' $LOG) -ge 2 ] && break; sleep 0.1; done\n\
         kill -TERM $pid; wait $pid; echo done",
        25,
    );
    let log = run.log();
    assert!(
        ok && out.contains("inet 198.51.100.50/24"),
        "{out}\n--- server ---\n{log}"
    );
    assert_eq!(log.matches("DHCPACK on 198.51.100.50").count(), 2, "{log}");
    assert!(
        log.contains("DHCPRELEASE of 198.51.100.50"),
        "{out}\n--- server ---\n{log}"
    );
    assert!(last_record(&run.leases(), ip(50)).contains("binding state free;"));
}

#[test]
fn dhcpcd_declines_an_address_in_use_which_is_abandoned() {
    let mut net = Net::new("decline", 2);
    let (holder, cli) = (net.clients[0].clone(), net.clients[1].clone());
    // The holder answers ARP for .50 but ignores ping, so the server's ping check passes
    // (as in the corpus capture dhcpcd-decline.pcap).
    let (ok, out) = net.sh(
        &holder,
        "sysctl -q -w net.ipv4.icmp_echo_ignore_all=1 && ip addr add 198.51.100.50/24 dev eth0",
        5,
    );
    assert!(ok, "{out}");
    let run = net.serve(&conf("", "  range 198.51.100.50 198.51.100.60;"));
    let (_, out) = dhcpcd_script(
        &net,
        &cli,
        "",
        "timeout 25 $D -1 eth0; ip -4 -o addr show eth0",
        30,
    );
    let log = run.log();
    assert!(
        log.contains("DHCPDECLINE of 198.51.100.50")
            && log.contains("Abandoning IP address 198.51.100.50: declined"),
        "{out}\n--- server ---\n{log}"
    );
    assert!(last_record(&run.leases(), ip(50)).contains("binding state abandoned;"));
    assert!(
        out.contains("inet 198.51.100.51/24"),
        "{out}\n--- server ---\n{log}"
    );
}

#[test]
fn dhcpcd_inform_is_answered() {
    let mut net = Net::new("inform", 1);
    let cli = net.clients[0].clone();
    let run = net.serve(&conf(
        "ping-check false;",
        "  range 198.51.100.50 198.51.100.60;",
    ));
    let (_, out) = dhcpcd_script(
        &net,
        &cli,
        "",
        // (dhcpcd 9.4.1 crashes on `-1 -s`: it runs until its INFORM is answered, then stops.)
        "$D -s 198.51.100.30/24 eth0 & pid=$!\n\
         for i in $(seq 1 80); do grep -q DHCPACK $LOG && break; sleep 0.1; done\n\
         kill -TERM $pid; wait $pid",
        20,
    );
    let log = run.log();
    assert!(
        log.contains("DHCPINFORM from 198.51.100.30 via eth0"),
        "{out}\n{log}"
    );
    assert!(log.contains("DHCPACK to 198.51.100.30"), "{out}\n{log}");
    assert!(
        !run.leases().contains("lease 198.51.100.30"),
        "no lease for INFORM"
    );
}

#[test]
fn relayed_client_with_option_82_is_served_from_its_subnet() {
    let mut net = Net::new("relay", 0);
    net.lab.add_segment("far").expect("segment");
    let relay = net.lab.add_host("relay").expect("relay");
    let cli = net.lab.add_host("fcli").expect("client");
    net.lab
        .connect(&relay, "lan", "eth0", &["198.51.100.2/24"])
        .expect("relay up");
    net.lab
        .connect(&relay, "far", "eth1", &["203.0.113.1/24"])
        .expect("relay down");
    net.lab.connect(&cli, "far", "eth0", &[]).expect("client");
    let srv = net.srv.clone();
    net.lab
        .route(&srv, "203.0.113.0/24", "198.51.100.2")
        .expect("route");
    let run = net.serve(&format!(
        "{BASE}ping-check false;\n\
         class \"circuit-eth1\" {{ match if option agent.circuit-id = \"eth1\"; }}\n\
         subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.60; }}\n\
         subnet 203.0.113.0 netmask 255.255.255.0 {{\n  option routers 203.0.113.1;\n\
           pool {{ range 203.0.113.50 203.0.113.59; deny members of \"circuit-eth1\"; }}\n\
           pool {{ range 203.0.113.80 203.0.113.89; allow members of \"circuit-eth1\"; }}\n}}\n"
    ));
    let (ok, out) = net.sh(&relay, "sysctl -q -w net.ipv4.ip_forward=1", 5);
    assert!(ok, "{out}");
    let mut cmd = net.lab.command(&relay, "dhcrelay");
    cmd.args([
        "-4",
        "-d",
        "-a",
        "-iu",
        "eth0",
        "-id",
        "eth1",
        "198.51.100.1",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    net.lab.spawn(cmd).expect("dhcrelay");
    std::thread::sleep(Duration::from_millis(500));
    let (ok, out) = udhcpc(&net, &cli, "");
    let log = run.log();
    assert!(ok, "{out}\n--- server ---\n{log}");
    assert_eq!(
        net.lab.addrs(&cli, "eth0"),
        vec![Ipv4Addr::new(203, 0, 113, 80)],
        "{out}\n{log}"
    );
    assert!(log.contains("DHCPACK on 203.0.113.80 to "), "{log}");
    assert!(log.contains("via 203.0.113.1"), "{log}");
}

#[test]
fn class_restricted_pool_and_spawned_lease_limit() {
    let mut net = Net::new("classes", 3);
    let cs = net.clients.clone();
    let run = net.serve(&conf(
        "ping-check false;\n\
         class \"special\" { match if option vendor-class-identifier = \"special\"; }\n\
         class \"per-name\" { match if substring (option vendor-class-identifier, 0, 7) = \"limited\";\n\
           spawn with option host-name; lease limit 1; }",
        "  pool { range 198.51.100.50 198.51.100.59; deny members of \"special\"; }\n\
           pool { range 198.51.100.70 198.51.100.79; allow members of \"special\"; }",
    ));
    let (ok, out) = udhcpc(&net, &cs[0], "-V special");
    assert!(ok, "{out}\n{}", run.log());
    assert_eq!(net.lab.addrs(&cs[0], "eth0"), vec![ip(70)]);
    // Two clients in the same spawned subclass (same host name): the limit of 1 lets only
    // the first one have a lease.
    let (ok, out) = udhcpc(&net, &cs[1], "-V limited -x hostname:same");
    assert!(ok, "{out}\n{}", run.log());
    assert_eq!(net.lab.addrs(&cs[1], "eth0"), vec![ip(50)]);
    let (ok, _) = udhcpc(&net, &cs[2], "-V limited -x hostname:same");
    let log = run.log();
    assert!(
        !ok,
        "the second client of a full subclass got a lease:\n{log}"
    );
    assert!(
        log.contains(
            "no available billing: lease limit reached in all matching classes (last: 'per-name')"
        ),
        "{log}"
    );
    // Another name is another subclass: served.
    let (ok, out) = udhcpc(&net, &cs[2], "-V limited -x hostname:other");
    assert!(ok, "{out}\n{}", run.log());
}

#[test]
fn init_reboot_for_a_wrong_subnet_is_naked_only_when_authoritative() {
    for (authoritative, want_nak) in [("authoritative;", true), ("not authoritative;", false)] {
        let mut net = Net::new("initreboot", 1);
        let cli = net.clients[0].clone();
        let text = format!(
            "ddns-update-style none;\nping-check false;\n{authoritative}\n\
             subnet 198.51.100.0 netmask 255.255.255.0 {{ range 198.51.100.50 198.51.100.60; }}\n"
        );
        let run = net.serve(&text);
        let req = Pkt::dhcp([2, 0, 0, 0, 0x32, 1], MessageType::Request, 0x4242)
            .addr(50, Ipv4Addr::new(203, 0, 113, 77));
        let replies = probe(
            &net.lab,
            &cli,
            1500,
            (Ipv4Addr::UNSPECIFIED, 68),
            (Ipv4Addr::BROADCAST, 67),
            "ff:ff:ff:ff:ff:ff",
            &req.bytes(),
        );
        let log = run.log();
        if want_nak {
            assert_eq!(replies.len(), 1, "{log}");
            assert_eq!(replies[0].msg().message_type(), Some(MessageType::Nak));
            assert!(
                log.contains(
                    "DHCPREQUEST for 203.0.113.77 from 02:00:00:00:32:01 via eth0: wrong network."
                ),
                "{log}"
            );
        } else {
            assert!(replies.is_empty(), "{replies:?}\n{log}");
            assert!(log.contains("ignored (not authoritative)."), "{log}");
        }
    }
}

#[test]
fn a_unicast_reply_leaves_no_arp_entry_on_the_server() {
    let mut net = Net::new("noarp", 1);
    let cli = net.clients[0].clone();
    let run = net.serve(&conf(
        "ping-check false;",
        "  range 198.51.100.50 198.51.100.60;",
    ));
    let (ok, out) = udhcpc(&net, &cli, "");
    assert!(ok, "{out}\n{}", run.log());
    assert!(run.log().contains("DHCPACK on 198.51.100.50"));
    let srv = net.srv.clone();
    let (ok, neigh) = net.sh(&srv, "ip -4 neigh show dev eth0", 5);
    assert!(ok);
    assert!(
        !neigh.contains("198.51.100.50"),
        "the OFFER/ACK went to chaddr without ARP, yet: {neigh}"
    );
}

#[test]
fn after_start_the_server_runs_as_the_given_user() {
    let mut net = Net::new("user", 1);
    let cli = net.clients[0].clone();
    // The lease file is rewritten in its directory, as the user.
    let dir = net.dir.path().to_path_buf();
    let st = std::process::Command::new("chown")
        .args(["nobody:nogroup", dir.to_str().expect("utf8")])
        .status()
        .expect("chown");
    assert!(st.success());
    let srv = net.srv.clone();
    let run = start_server(
        &mut net.lab,
        &srv,
        &subject(),
        &dir,
        &conf("", "  range 198.51.100.50 198.51.100.60;"),
        &["eth0"],
        &["-user", "nobody", "-group", "nogroup"],
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", run.pid)).expect("status");
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        uid.split_whitespace().skip(1).collect::<Vec<_>>(),
        vec!["65534"; 4],
        "{status}"
    );
    // And it still serves (ping check included: the ICMP socket was opened as root).
    let (ok, out) = udhcpc(&net, &cli, "");
    assert!(ok, "{out}\n{}", run.log());
    assert!(run.leases().contains("lease 198.51.100.50 {"));
}

/// Ours only: ISC dhcpd has no reload (SIGHUP ends it). Ours is deliberately better here.
#[test]
fn sighup_keeps_serving_on_a_broken_config_and_picks_up_a_good_one() {
    if is_isc() {
        println!("ISC dhcpd has no SIGHUP reload: this test is for ours only");
        return;
    }
    let mut net = Net::new("hup", 2);
    let cs = net.clients.clone();
    let run = net.serve(&conf(
        "ping-check false;",
        "  range 198.51.100.50 198.51.100.60;",
    ));
    let hup = || {
        assert!(
            std::process::Command::new("kill")
                .args(["-HUP", &run.pid.to_string()])
                .status()
                .expect("kill")
                .success()
        );
    };
    std::fs::write(run.conf(), "subnet 198.51.100.0 netmask {\n").expect("broken conf");
    hup();
    assert!(
        Lab::wait_for(Duration::from_secs(5), || run
            .log()
            .contains("keeping the running configuration")),
        "{}",
        run.log()
    );
    let (ok, out) = udhcpc(&net, &cs[0], "");
    assert!(ok, "{out}\n{}", run.log());
    assert_eq!(net.lab.addrs(&cs[0], "eth0"), vec![ip(50)]);
    std::fs::write(
        run.conf(),
        conf("ping-check false;", "  range 198.51.100.70 198.51.100.80;"),
    )
    .expect("good conf");
    hup();
    assert!(
        Lab::wait_for(Duration::from_secs(5), || run
            .log()
            .contains("Configuration reloaded.")),
        "{}",
        run.log()
    );
    let (ok, out) = udhcpc(&net, &cs[1], "");
    assert!(ok, "{out}\n{}", run.log());
    assert_eq!(net.lab.addrs(&cs[1], "eth0"), vec![ip(70)]);
}

#[test]
fn the_lease_file_is_accepted_by_isc_which_gives_the_same_addresses() {
    let Some(isc) = isc_dhcpd() else { return };
    let mut net = Net::new("rollback", 2);
    let cs = net.clients.clone();
    net.set_mac(&cs[0], "02:00:00:00:33:01");
    net.set_mac(&cs[1], "02:00:00:00:33:02");
    let text = conf("ping-check false;", "  range 198.51.100.50 198.51.100.60;");
    let run = net.serve(&text);
    for c in &cs {
        let (ok, out) = udhcpc(&net, c, "");
        assert!(ok, "{out}\n{}", run.log());
    }
    let first = (net.lab.addrs(&cs[0], "eth0"), net.lab.addrs(&cs[1], "eth0"));
    assert_eq!(first, (vec![ip(50)], vec![ip(51)]));
    net.lab.stop(run.pid);
    // ISC's own check of the lease file.
    let out = std::process::Command::new("timeout")
        .arg("20")
        .arg(&isc)
        .args(["-4", "-T", "-cf"])
        .arg(run.conf())
        .arg("-lf")
        .arg(run.dir.join("dhcpd.leases"))
        .output()
        .expect("dhcpd -T");
    assert!(
        out.status.success(),
        "ISC rejects the lease file:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        run.leases()
    );
    // Roll back: ISC serves from that lease file; the second client asks first and still
    // gets its own address.
    for c in &cs {
        let (ok, _) = net.sh(c, "ip -4 addr flush dev eth0", 5);
        assert!(ok);
    }
    let srv = net.srv.clone();
    let dir = run.dir.clone();
    let isc_run = start_server(&mut net.lab, &srv, &isc, &dir, &text, &["eth0"], &[]);
    for c in [&cs[1], &cs[0]] {
        let (ok, out) = udhcpc(&net, c, "");
        assert!(ok, "{out}\n{}", isc_run.log());
    }
    assert_eq!(
        (net.lab.addrs(&cs[0], "eth0"), net.lab.addrs(&cs[1], "eth0")),
        first,
        "{}",
        isc_run.log()
    );
}
