//! The host's network interfaces (name, index, MAC, IPv4 addresses).

use std::net::Ipv4Addr;

/// One interface as the server needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Name (`eth0`).
    pub name: String,
    /// Kernel index.
    pub index: u32,
    /// Hardware address, when it is Ethernet-like.
    pub mac: Option<[u8; 6]>,
    /// IPv4 addresses with their prefix lengths.
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    /// Administratively up.
    pub up: bool,
    /// The loopback interface.
    pub loopback: bool,
}

/// Every interface of the host (of the current network namespace).
pub fn interfaces() -> Vec<Interface> {
    pnet_datalink::interfaces()
        .into_iter()
        .map(|i| Interface {
            mac: i.mac.map(|m| m.octets()),
            ipv4: i
                .ips
                .iter()
                .filter_map(|n| match n.ip() {
                    std::net::IpAddr::V4(a) => Some((a, n.prefix())),
                    std::net::IpAddr::V6(_) => None,
                })
                .collect(),
            up: i.is_up(),
            loopback: i.is_loopback(),
            index: i.index,
            name: i.name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed() {
        let all = super::interfaces();
        let lo = all
            .iter()
            .find(|i| i.loopback)
            .expect("a loopback interface");
        assert!(lo.index > 0);
    }
}
