//! Writes the large configuration `scripts/bench-conf.sh` times `dhcpd -t` on: 1,000 subnets
//! (10.0.0.0/24 … 10.3.231.0/24, each with a range and options), 100,000 host declarations
//! (hardware address + fixed address, 100 per subnet) and 1,000 classes (`match if` on the
//! vendor class, every tenth a `match` class with a subclass). Deterministic: no randomness.
//!
//! ```text
//! cargo run -p dhcpd-system-tests --example bench_conf -- OUT.conf
//! ```
//!
//! It uses the private network 10.0.0.0/8: 1,000 subnets do not fit the documentation networks.

use std::fmt::Write as _;

const SUBNETS: usize = 1_000;
const HOSTS_PER_SUBNET: usize = 100;
const CLASSES: usize = 1_000;

fn conf() -> String {
    let mut s = String::with_capacity(16 << 20);
    s.push_str(
        "# dhcpd-rs benchmark configuration (tests/examples/bench_conf.rs)\n\
         authoritative;\n\
         default-lease-time 3600;\n\
         max-lease-time 86400;\n\
         ddns-update-style none;\n\
         option domain-name \"bench.example.org\";\n\
         option domain-name-servers 10.255.0.53, 10.255.1.53;\n\n",
    );
    for c in 0..CLASSES {
        if c % 10 == 9 {
            let _ = writeln!(
                s,
                "class \"class-{c:04}\" {{\n  match option vendor-class-identifier;\n}}\n\
                 subclass \"class-{c:04}\" \"vendor-{c:04}\" {{\n  option domain-name \"c{c}.example.org\";\n}}"
            );
        } else {
            let _ = writeln!(
                s,
                "class \"class-{c:04}\" {{\n  match if substring (option vendor-class-identifier, 0, 10) = \"vendor{c:04}\" or option user-class = \"u{c}\";\n  option host-name = concat (\"c{c}-\", binary-to-ascii (16, 8, \"-\", substring (hardware, 1, 6)));\n}}"
            );
        }
    }
    s.push('\n');
    for n in 0..SUBNETS {
        let (a, b) = (n / 256, n % 256);
        let _ = writeln!(
            s,
            "subnet 10.{a}.{b}.0 netmask 255.255.255.0 {{\n  option routers 10.{a}.{b}.1;\n  \
             option broadcast-address 10.{a}.{b}.255;\n  range 10.{a}.{b}.200 10.{a}.{b}.250;\n}}"
        );
    }
    s.push('\n');
    for n in 0..SUBNETS {
        let (a, b) = (n / 256, n % 256);
        for h in 0..HOSTS_PER_SUBNET {
            let id = n * HOSTS_PER_SUBNET + h;
            let _ = writeln!(
                s,
                "host h{id:06} {{ hardware ethernet 02:00:00:{:02x}:{:02x}:{:02x}; fixed-address 10.{a}.{b}.{}; }}",
                (id >> 16) & 0xff,
                (id >> 8) & 0xff,
                id & 0xff,
                h + 2
            );
        }
    }
    s
}

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: bench_conf OUT.conf");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::write(&out, conf()) {
        eprintln!("cannot write {out}: {e}");
        std::process::exit(1);
    }
}
