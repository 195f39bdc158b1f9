//! What the engine tests share: a server on one interface (eth0, 198.51.100.x/24) for a
//! configuration text, the client packets they send it and the actions it queues.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::SystemTime;

use dhcpd_conf::ast::Config;
use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;
use dhcpd_core::{Action, Engine, Level, Received};
use dhcpd_wire::message::{Message, MessageType, OpCode, OptionList, RawOption, Vendor};

/// A server for `text` (which must parse without errors) on eth0, 198.51.100.1/24, with
/// replies to clients on port 68.
pub fn server_from_text(text: &str) -> Server {
    server_at(text, 1).0
}

/// A server for `text` (which must parse without errors) on eth0 with address
/// 198.51.100.`host`/24 and MAC 02:00:00:00:00:`host`, with replies to clients on port 68;
/// and the configuration read.
pub fn server_at(text: &str, host: u8) -> (Server, Config) {
    let mut l = MemLoader::single("t.conf", text);
    let out = parse_config("t.conf", &mut l, ParseOptions::default());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let eth0 = IfaceInfo {
        index: 2,
        name: "eth0".into(),
        mac: [2, 0, 0, 0, 0, host],
        addrs: vec![(Ipv4Addr::new(198, 51, 100, host), 24)],
    };
    let server = Server::new(
        Model::from_config(&out.config),
        out.registry,
        &[eth0],
        &[],
        68,
    )
    .expect("server")
    .0;
    (server, out.config)
}

/// A client's BOOTREQUEST of type `ty` from hardware address `chaddr` (Ethernet) with
/// transaction id `xid`: option 53, then `opts` in order. ciaddr, giaddr and hops are left
/// empty for the caller to set.
pub fn request(ty: MessageType, chaddr: [u8; 6], xid: u32, opts: &[(u8, &[u8])]) -> Message {
    let mut hw = [0u8; 16];
    hw[..6].copy_from_slice(&chaddr);
    Message {
        op: OpCode::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr: hw,
        sname: Default::default(),
        file: Default::default(),
        vendor: Vendor::Options(OptionList::with_end(
            std::iter::once((53u8, &[u8::from(ty)][..]))
                .chain(opts.iter().copied())
                .map(|(c, v)| RawOption::new(c, v.to_vec()).expect("option")),
        )),
    }
}

/// [`request`], encoded.
pub fn packet(ty: MessageType, chaddr: [u8; 6], xid: u32, opts: &[(u8, &[u8])]) -> Vec<u8> {
    request(ty, chaddr, xid, opts).to_vec().expect("encode")
}

/// Hands `payload` to the engine at `now` as received on eth0 from `src` (address, port) to
/// `dst`. The frame's source MAC is 02:00:00:00:00:09 (the engine reads the client's from
/// chaddr).
pub fn receive(
    s: &mut Server,
    now: SystemTime,
    src: (Ipv4Addr, u16),
    dst: Ipv4Addr,
    payload: &[u8],
) {
    s.handle_packet(
        now,
        &Received {
            ifindex: 2,
            src_mac: [2, 0, 0, 0, 0, 9],
            src_ip: src.0,
            dst_ip: dst,
            src_port: src.1,
            payload,
        },
    );
}

/// A client's broadcast: 0.0.0.0:68 to 255.255.255.255.
pub fn broadcast(s: &mut Server, now: SystemTime, payload: &[u8]) {
    receive(
        s,
        now,
        (Ipv4Addr::UNSPECIFIED, 68),
        Ipv4Addr::BROADCAST,
        payload,
    );
}

/// The address offered to the DISCOVER `payload` broadcast at `now` (the last OFFER sent
/// at once), if any; the other actions are dropped.
pub fn offered(s: &mut Server, now: SystemTime, payload: &[u8]) -> Option<Ipv4Addr> {
    broadcast(s, now, payload);
    drain(s)
        .sent
        .iter()
        .filter(|m| m.message_type() == Some(MessageType::Offer))
        .map(|m| m.yiaddr)
        .next_back()
}

/// Everything the engine had queued, by kind, each in the order queued.
#[derive(Debug, Default)]
pub struct Drained {
    /// Log lines with their level.
    pub logs: Vec<(Level, String)>,
    /// Lease records committed ([`Action::Commit`]), each with the reply that waited for it.
    pub commits: Vec<(String, Option<Message>)>,
    /// Replies sent at once ([`Action::Send`]).
    pub sent: Vec<Message>,
    /// Every reply, sent at once or after its commit.
    pub replies: Vec<Message>,
    /// Records of a failover peer's leases, each with the BNDACK that waits for it.
    pub commit_acks: Vec<(String, dhcpd_failover::Message)>,
    /// Addresses pinged.
    pub pings: Vec<Ipv4Addr>,
    /// Commands executed, with their arguments.
    pub execs: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    /// DNS updates sent.
    pub dns: Vec<(SocketAddrV4, Vec<u8>)>,
}

impl Drained {
    /// The log lines without their level.
    pub fn log_lines(&self) -> Vec<String> {
        self.logs.iter().map(|(_, l)| l.clone()).collect()
    }

    /// The records committed ([`Action::Commit`]).
    pub fn records(&self) -> Vec<String> {
        self.commits.iter().map(|(r, _)| r.clone()).collect()
    }
}

/// Polls every action the engine has queued; replies are decoded.
pub fn drain(s: &mut Server) -> Drained {
    let mut d = Drained::default();
    let decode = |t: &dhcpd_core::Transmit| Message::from_bytes(&t.payload).expect("reply");
    while let Some(a) = s.poll_action() {
        match a {
            Action::Log(l, t) => d.logs.push((l, t)),
            Action::Send(t) => {
                let m = decode(&t);
                d.sent.push(m.clone());
                d.replies.push(m);
            }
            Action::Commit { record, then } => {
                let m = then.as_ref().map(decode);
                d.replies.extend(m.clone());
                d.commits.push((record, m));
            }
            Action::CommitAck { record, ack, .. } => d.commit_acks.push((record, ack)),
            Action::Ping { addr, .. } => d.pings.push(addr),
            Action::Execute { command, args } => d.execs.push((command, args)),
            Action::DnsSend { to, payload } => d.dns.push((to, payload)),
        }
    }
    d
}
