//! Network-namespace labs for end-to-end tests of dhcpd-rs (and of ISC dhcpd, the oracle).
//!
//! A [`Lab`] owns every namespace, interface and process it creates and removes them when it
//! is dropped (also when a test panics). It never touches the root namespace: each segment is
//! a Linux bridge in a namespace of its own, and each host's veth pair is created *inside* the
//! host's namespace with its peer moved straight into the segment's namespace. Addresses are
//! confined to TEST-NET-2 (198.51.100.0/24) and TEST-NET-3 (203.0.113.0/24); anything else
//! is refused. Every veth has TX checksum offload turned off (a packet-socket reader would see
//! unfilled checksums otherwise) and IPv6 is disabled in every namespace. Every namespace gets
//! an empty private `/etc/netns/NAME/resolv.conf`, and DHCP clients run with
//! [`hook_script`], which refuses to run outside a lab namespace.
//!
//! Needs root (as CI runs); a test calling [`Lab::new`] without it fails with a clear message.

pub mod pcap;

use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether `addr` is inside TEST-NET-2 or TEST-NET-3, the only networks tests may number.
pub fn is_test_net(addr: Ipv4Addr) -> bool {
    let o = addr.octets();
    matches!((o[0], o[1], o[2]), (198, 51, 100) | (203, 0, 113))
}

/// Parses `A.B.C.D/LEN` and checks it is a test network address.
fn test_cidr(cidr: &str) -> io::Result<(Ipv4Addr, u8)> {
    let bad = || io::Error::new(io::ErrorKind::InvalidInput, format!("bad address {cidr:?}"));
    let (a, l) = cidr.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
    let len: u8 = l.parse().map_err(|_| bad())?;
    if !is_test_net(addr) || len < 24 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{cidr} is outside 198.51.100.0/24 and 203.0.113.0/24: refused"),
        ));
    }
    Ok((addr, len))
}

/// The client hook script that only configures lab interfaces.
pub fn hook_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hooks/client-hook.sh")
}

/// Runs a command, failing with its output when it fails.
fn run(cmd: &mut Command) -> io::Result<Output> {
    let out = cmd.output().map_err(|e| {
        io::Error::new(e.kind(), format!("cannot run {:?}: {e}", cmd.get_program()))
    })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{:?} {:?} failed: {}{}",
            cmd.get_program(),
            cmd.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )));
    }
    Ok(out)
}

fn ip(args: &[&str]) -> io::Result<Output> {
    run(Command::new("ip").args(args))
}

/// A lab: segments (bridges), hosts (namespaces) and the processes started in them.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    segments: Vec<(String, String)>,
    children: Vec<Child>,
    next_port: u32,
}

impl Lab {
    /// A lab with one segment called `"lan"`. `tag` (a few letters) names the test in the
    /// namespace names (`drs-TAG-PID-…`).
    pub fn new(tag: &str) -> io::Result<Lab> {
        let uid = run(Command::new("id").arg("-u"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "network-namespace tests need root (CI runs them as root)",
            ));
        }
        for tool in ["ip", "ethtool"] {
            if Command::new(tool)
                .arg("-V")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
            {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{tool} is not installed (scripts/install-test-deps.sh installs it)"),
                ));
            }
        }
        let mut lab = Lab {
            prefix: format!("drs-{tag}-{}", std::process::id()),
            namespaces: Vec::new(),
            segments: Vec::new(),
            children: Vec::new(),
            next_port: 0,
        };
        lab.add_segment("lan")?;
        Ok(lab)
    }

    fn add_namespace(&mut self, name: &str) -> io::Result<String> {
        let ns = format!("{}-{name}", self.prefix);
        ip(&["netns", "add", &ns])?;
        self.namespaces.push(ns.clone());
        let etc = PathBuf::from("/etc/netns").join(&ns);
        std::fs::create_dir_all(&etc)?;
        std::fs::write(etc.join("resolv.conf"), "")?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        run(Command::new("ip").args([
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-q",
            "-w",
            "net.ipv6.conf.all.disable_ipv6=1",
        ]))?;
        run(Command::new("ip").args([
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-q",
            "-w",
            "net.ipv6.conf.default.disable_ipv6=1",
        ]))?;
        Ok(ns)
    }

    /// Adds a segment: a bridge in a namespace of its own.
    pub fn add_segment(&mut self, name: &str) -> io::Result<()> {
        let ns = self.add_namespace(&format!("sw-{name}"))?;
        ip(&["-n", &ns, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &ns, "link", "set", "br0", "up"])?;
        self.segments.push((name.to_string(), ns));
        Ok(())
    }

    /// Adds a host (a namespace) with no interfaces yet; returns the namespace name.
    pub fn add_host(&mut self, name: &str) -> io::Result<String> {
        self.add_namespace(name)
    }

    /// Connects host namespace `ns` to `segment` with an interface called `ifname`, numbered
    /// with `addrs` (`A.B.C.D/LEN`, test networks only). Returns the interface's MAC.
    pub fn connect(
        &mut self,
        ns: &str,
        segment: &str,
        ifname: &str,
        addrs: &[&str],
    ) -> io::Result<String> {
        let checked: Vec<_> = addrs
            .iter()
            .map(|a| test_cidr(a))
            .collect::<io::Result<_>>()?;
        let sw = self
            .segments
            .iter()
            .find(|(n, _)| n == segment)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no segment {segment}"))
            })?;
        self.next_port += 1;
        let port = format!("p{}", self.next_port);
        ip(&[
            "-n", ns, "link", "add", ifname, "type", "veth", "peer", "name", &port, "netns", &sw,
        ])?;
        run(Command::new("ip").args(["netns", "exec", ns, "ethtool", "-K", ifname, "tx", "off"]))?;
        run(Command::new("ip").args(["netns", "exec", &sw, "ethtool", "-K", &port, "tx", "off"]))?;
        ip(&["-n", &sw, "link", "set", &port, "master", "br0", "up"])?;
        ip(&["-n", ns, "link", "set", ifname, "up"])?;
        for (a, l) in checked {
            ip(&["-n", ns, "addr", "add", &format!("{a}/{l}"), "dev", ifname])?;
        }
        let out = ip(&["-n", ns, "-o", "link", "show", ifname])?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split("link/ether ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(str::to_string)
            .ok_or_else(|| io::Error::other(format!("no MAC in {text:?}")))
    }

    /// Adds a route in host `ns` (e.g. to a relayed network via the relay).
    pub fn route(&self, ns: &str, net: &str, via: &str) -> io::Result<()> {
        test_cidr(net)?;
        let v: Ipv4Addr = via
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad gateway"))?;
        if !is_test_net(v) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "gateway outside test nets",
            ));
        }
        ip(&["-n", ns, "route", "add", net, "via", via]).map(drop)
    }

    /// A command that runs inside namespace `ns`.
    pub fn command(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }

    /// Runs a command in `ns` to completion (bounded by `timeout`), returning its output.
    pub fn exec(&self, ns: &str, args: &[&str], timeout: Duration) -> io::Result<Output> {
        let secs = format!("{}", timeout.as_secs().max(1));
        let mut c = Command::new("timeout");
        c.args([secs.as_str(), "ip", "netns", "exec", ns])
            .args(args);
        c.output()
    }

    /// Starts a long-running process in `ns`; it is ended (by its PID) when the lab drops.
    pub fn spawn(&mut self, mut cmd: Command) -> io::Result<u32> {
        let child = cmd.spawn()?;
        let pid = child.id();
        self.children.push(child);
        Ok(pid)
    }

    /// Takes a child started elsewhere (e.g. with piped output) so the lab ends it on drop.
    pub fn adopt(&mut self, child: Child) -> u32 {
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// Ends one process this lab started (SIGTERM, then SIGKILL after 3 s); returns its status.
    pub fn stop(&mut self, pid: u32) -> Option<std::process::ExitStatus> {
        let idx = self.children.iter().position(|c| c.id() == pid)?;
        let mut child = self.children.swap_remove(idx);
        terminate(&mut child)
    }

    /// Runs `dhclient -1 -v` once on eth0 of namespace `ns` (it exits when bound or after its
    /// own timeout; at most 25 s here) with [`hook_script`], lease file `lf`, pid file `pf` and
    /// the `extra` arguments; then ends the dhclient it may have left running, by the PID in
    /// `pf`, and removes `pf`. Its output.
    pub fn dhclient(&self, ns: &str, lf: &Path, pf: &Path, extra: &[&str]) -> io::Result<Output> {
        let utf8 = |p: &Path| {
            p.to_str()
                .map(str::to_owned)
                .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", p.display())))
        };
        let (hook, lf_s, pf_s) = (utf8(&hook_script())?, utf8(lf)?, utf8(pf)?);
        let mut args = vec![
            "dhclient", "-1", "-v", "-sf", &hook, "-lf", &lf_s, "-pf", &pf_s,
        ];
        args.extend_from_slice(extra);
        args.push("eth0");
        let out = self.exec(ns, &args, Duration::from_secs(25))?;
        if let Ok(pid) = std::fs::read_to_string(pf) {
            if let Ok(pid) = pid.trim().parse::<u32>() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
            let _ = std::fs::remove_file(pf);
        }
        Ok(out)
    }

    /// Waits until `pred` holds (polling every 50 ms) or `timeout` passes.
    pub fn wait_for(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if pred() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        pred()
    }

    /// The IPv4 addresses on `ifname` in `ns`.
    pub fn addrs(&self, ns: &str, ifname: &str) -> Vec<Ipv4Addr> {
        let Ok(out) = ip(&["-n", ns, "-4", "-o", "addr", "show", "dev", ifname]) else {
            return Vec::new();
        };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split("inet ").nth(1))
            .filter_map(|s| s.split('/').next())
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

fn terminate(child: &mut Child) -> Option<std::process::ExitStatus> {
    let pid = child.id().to_string();
    let _ = Command::new("kill")
        .args(["-TERM", &pid])
        .stderr(Stdio::null())
        .status();
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().ok()
}

impl Drop for Lab {
    fn drop(&mut self) {
        for mut c in std::mem::take(&mut self.children) {
            terminate(&mut c);
        }
        for ns in self.namespaces.iter().rev() {
            // Processes started in the namespace outside `spawn` (e.g. daemonised clients)
            // are ended by PID too, so the namespace can go.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
            let _ = std::fs::remove_dir_all(PathBuf::from("/etc/netns").join(ns));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_addresses_outside_the_test_nets() {
        assert!(test_cidr("198.51.100.1/24").is_ok());
        assert!(test_cidr("203.0.113.9/24").is_ok());
        for bad in [
            "192.0.2.1/24",
            "10.0.0.1/8",
            "198.51.101.1/24",
            "198.51.100.1/16",
        ] {
            assert!(test_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn two_hosts_ping_each_other_and_everything_is_removed() {
        let names;
        {
            let mut lab = Lab::new("selftest").expect("lab (root needed)");
            let a = lab.add_host("a").expect("host a");
            let b = lab.add_host("b").expect("host b");
            lab.connect(&a, "lan", "eth0", &["198.51.100.1/24"])
                .expect("a");
            lab.connect(&b, "lan", "eth0", &["198.51.100.2/24"])
                .expect("b");
            let out = lab
                .exec(
                    &a,
                    &["ping", "-c", "1", "-W", "2", "198.51.100.2"],
                    Duration::from_secs(5),
                )
                .expect("ping");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert_eq!(lab.addrs(&b, "eth0"), vec![Ipv4Addr::new(198, 51, 100, 2)]);
            names = lab.namespaces.clone();
        }
        let left = String::from_utf8_lossy(
            &Command::new("ip")
                .args(["netns", "list"])
                .output()
                .expect("ip")
                .stdout,
        )
        .into_owned();
        for n in names {
            assert!(!left.contains(&n), "{n} left behind");
        }
    }
}
