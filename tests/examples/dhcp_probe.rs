//! A scripted DHCP client (or relay agent) for the differential tests: run inside a lab
//! namespace, it sends one BOOTP/DHCP message as an Ethernet frame and prints every reply a
//! server sends back (to UDP port 68, or to port 67 when acting as a relay).
//!
//! ```text
//! ip netns exec NS dhcp_probe IFACE WAIT_MS SRC_IP:PORT DST_IP:PORT DST_MAC HEX
//! ```
//!
//! Output: one line per reply, `REPLY DST_MAC DST_IP DST_PORT HEX`. It returns 150 ms after the
//! first reply, or after WAIT_MS when nothing comes. Test use only (no root check: it needs
//! CAP_NET_RAW and is only ever started by the tests inside their namespaces).

use std::net::SocketAddrV4;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use dhcpd_sys::packet::PacketSocket;
use dhcpd_wire::frame::{FrameSpec, RxChecksums, build_frame, parse_frame};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn mac(s: &str) -> Option<[u8; 6]> {
    let v: Vec<u8> = s
        .split(':')
        .map(|p| u8::from_str_radix(p, 16).ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

fn ifindex_and_mac(name: &str) -> Option<(u32, [u8; 6])> {
    let idx = std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex")).ok()?;
    let addr = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
    Some((idx.trim().parse().ok()?, mac(addr.trim())?))
}

fn run(args: &[String]) -> Result<(), String> {
    let [iface, wait, src, dst, dst_mac, payload] = args else {
        return Err("usage: dhcp_probe IFACE WAIT_MS SRC_IP:PORT DST_IP:PORT DST_MAC HEX".into());
    };
    let (index, own_mac) = ifindex_and_mac(iface).ok_or("no such interface")?;
    let wait = Duration::from_millis(wait.parse().map_err(|_| "bad WAIT_MS")?);
    let src: SocketAddrV4 = src.parse().map_err(|_| "bad SRC")?;
    let dst: SocketAddrV4 = dst.parse().map_err(|_| "bad DST")?;
    let dst_mac = mac(dst_mac).ok_or("bad DST_MAC")?;
    let payload = unhex(payload).ok_or("bad HEX")?;
    let to_client = PacketSocket::open(index, 68).map_err(|e| e.to_string())?;
    let to_relay = PacketSocket::open(index, 67).map_err(|e| e.to_string())?;
    // Bound UDP sockets keep this namespace's kernel from answering with port unreachable.
    let _u68 = dhcpd_sys::udp::open_udp(68).map_err(|e| e.to_string())?;
    let _u67 = dhcpd_sys::udp::open_udp(67).map_err(|e| e.to_string())?;
    let spec = FrameSpec {
        src_mac: own_mac,
        dst_mac,
        vlan: None,
        src_ip: *src.ip(),
        dst_ip: *dst.ip(),
        src_port: src.port(),
        dst_port: dst.port(),
    };
    let frame = build_frame(&spec, &payload).map_err(|e| e.to_string())?;
    to_client.send(&frame).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut deadline = start + wait;
    let mut got = false;
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline {
        for sock in [&to_client, &to_relay] {
            while let Ok(Some(meta)) = sock.recv(&mut buf) {
                let Some(data) = buf.get(..meta.len) else {
                    continue;
                };
                let Ok(f) = parse_frame(data, RxChecksums { udp: false }) else {
                    continue;
                };
                // Only server replies (source port 67, BOOTREPLY), never our own request.
                if f.src_port != 67 || f.payload.first() != Some(&2) {
                    continue;
                }
                let m = f.dst_mac;
                println!(
                    "REPLY {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} {} {} {}",
                    m[0],
                    m[1],
                    m[2],
                    m[3],
                    m[4],
                    m[5],
                    f.dst_ip,
                    f.dst_port,
                    hex(f.payload)
                );
                if !got {
                    got = true;
                    deadline = deadline.min(Instant::now() + Duration::from_millis(150));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dhcp_probe: {e}");
            ExitCode::from(2)
        }
    }
}
