//! What the engine tests share: a server on one interface (eth0, 198.51.100.1/24) for a
//! configuration text.

use std::net::Ipv4Addr;

use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;

/// A server for `text` (which must parse without errors) on eth0, 198.51.100.1/24, with
/// replies to clients on port 68.
pub fn server_from_text(text: &str) -> Server {
    let mut l = MemLoader::single("t.conf", text);
    let out = parse_config("t.conf", &mut l, ParseOptions::default());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let eth0 = IfaceInfo {
        index: 2,
        name: "eth0".into(),
        mac: [2, 0, 0, 0, 0, 1],
        addrs: vec![(Ipv4Addr::new(198, 51, 100, 1), 24)],
    };
    Server::new(
        Model::from_config(&out.config),
        out.registry,
        &[eth0],
        &[],
        68,
    )
    .expect("server")
    .0
}
