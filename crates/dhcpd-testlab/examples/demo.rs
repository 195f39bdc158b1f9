//! The live demo behind `scripts/demo.sh`: a throwaway network-namespace lab (a bridge, a
//! server host at 198.51.100.1/24, a client host), our `dhcpd` serving `examples/basic.conf`
//! on it, and a real `dhclient` getting a lease — the server's log shown as it happens, then
//! the client's address and the lease file. Everything is removed at the end, also on error.
//! It never touches the machine's own network (the root namespace).
//!
//!   cargo run -p dhcpd-testlab --example demo -- target/release/dhcpd examples/basic.conf

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use dhcpd_testlab::{Lab, hook_script};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dhcpd), Some(conf)) = (args.next(), args.next()) else {
        eprintln!("usage: demo DHCPD CONFIG");
        std::process::exit(2);
    };
    if let Err(e) = run(&dhcpd, &conf) {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

fn run(dhcpd: &str, conf: &str) -> Result<(), String> {
    let dhcpd = std::fs::canonicalize(dhcpd).map_err(|e| format!("{dhcpd}: {e}"))?;
    let conf = std::fs::canonicalize(conf).map_err(|e| format!("{conf}: {e}"))?;
    let dir = std::env::temp_dir().join(format!("dhcpd-rs-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let leases = dir.join("dhcpd.leases");
    std::fs::write(&leases, "").map_err(|e| e.to_string())?;

    println!("==> creating a lab: a bridge, host 'srv' (198.51.100.1/24), host 'cli' (no address)");
    let mut lab = Lab::new("demo").map_err(|e| e.to_string())?;
    let srv = lab.add_host("srv").map_err(|e| e.to_string())?;
    let cli = lab.add_host("cli").map_err(|e| e.to_string())?;
    lab.connect(&srv, "lan", "eth0", &["198.51.100.1/24"])
        .map_err(|e| e.to_string())?;
    lab.connect(&cli, "lan", "eth0", &[])
        .map_err(|e| e.to_string())?;

    println!(
        "==> starting: dhcpd -4 -f -d -cf {} -lf {} eth0",
        conf.display(),
        leases.display()
    );
    let mut cmd = lab.command(&srv, dhcpd.to_str().ok_or("path")?);
    cmd.args(["-4", "-f", "-d", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(&leases)
        .arg("--no-pid")
        .arg("eth0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let printer = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            println!("   dhcpd | {line}");
        }
    });
    let pid = child.id();
    lab.adopt(child);
    std::thread::sleep(Duration::from_millis(600));

    println!("==> on 'cli': dhclient -1 eth0");
    let lf = dir.join("dhclient.leases");
    let pf = dir.join("dhclient.pid");
    let out = lab
        .exec(
            &cli,
            &[
                "dhclient",
                "-1",
                "-sf",
                hook_script().to_str().ok_or("path")?,
                "-lf",
                lf.to_str().ok_or("path")?,
                "-pf",
                pf.to_str().ok_or("path")?,
                "eth0",
            ],
            Duration::from_secs(25),
        )
        .map_err(|e| e.to_string())?;
    if let Ok(p) = std::fs::read_to_string(&pf) {
        let _ = Command::new("kill").arg(p.trim()).status();
    }
    let addrs = lab.addrs(&cli, "eth0");
    std::thread::sleep(Duration::from_millis(200));
    let _ = lab.stop(pid);
    let _ = printer.join();
    if !out.status.success() || addrs.is_empty() {
        return Err(format!(
            "dhclient got no lease:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    println!("==> the client's address: {}", addrs[0]);
    println!("==> the lease file ({}):", leases.display());
    let text = std::fs::read_to_string(&leases).map_err(|e| e.to_string())?;
    for line in text.lines() {
        println!("   {line}");
    }
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
    println!("==> lab removed; done");
    Ok(())
}
