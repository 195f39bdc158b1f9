//! ISC dhcpd's choice, order and placement of reply options, as pure
//! functions.
//!
//! The server evaluates the options it has for a client (by code, in the
//! order it stored them) and hands them here with the facts of the request
//! ([`ReplyParams`]). Three steps reproduce what ISC's `cons_options` and
//! `store_options` do:
//!
//! 1. [`priority_list`]: the codes to try, highest priority first — the
//!    protocol header (53, 54, 51, 58, 59, 56, 50, 92), then either the
//!    client's parameter request list (with 118 when configured, 61 under
//!    `echo-client-id`, 81 when the client sent one, 1 last on answers to
//!    DISCOVER/REQUEST; 82 is never taken from the list), or without a list
//!    1, 3, 6, 12, 81, every configured option in ISC's option-hash order,
//!    the encapsulating options and 43. Duplicates are dropped (first wins)
//!    and 1 is moved before 3 (RFC 2132 §3.3).
//! 2. [`max_option_len`] / [`effective_max_message_size`]: the size of the
//!    options field from option 57 (at least 576 and at most 1500 bytes of
//!    IP datagram), 64 bytes for BOOTP, 312 otherwise.
//! 3. [`build_reply_options`]: places each option with a value, in priority
//!    order, in the options field, or (when free) `file` then `sname`,
//!    splitting options over 255 bytes (RFC 3396) and options that fit
//!    nowhere whole; then option 52, the relay agent information (82)
//!    echoed last, the end option, and padding to the 300-byte BOOTP
//!    minimum.
//!
//! [`bootp_vendor_echo`] covers the BOOTP request without a valid magic
//! cookie that ISC answers by copying the vendor area back (unless
//! `always-reply-rfc1048`).

use std::borrow::Cow;

use crate::error::{Area, Result, WireError};
use crate::message::OPTION_OVERLOAD;
use crate::message::{BootField, DhcpOption, Entry, Message, MessageType, OptionList, RawOption};
use crate::packet::{FILE_LEN, HEADER_LEN, MAGIC_COOKIE, SNAME_LEN};

/// The smallest BOOTP message ISC sends (bytes of UDP payload).
pub const BOOTP_MIN_LEN: usize = 300;
/// IP datagram size below which option 57 is raised (RFC 2132 §9.10).
pub const DHCP_MTU_MIN: usize = 576;
/// IP datagram size above which option 57 is capped by ISC.
pub const DHCP_MTU_MAX: usize = 1500;
/// BOOTP header plus IPv4 and UDP headers.
const DHCP_FIXED_LEN: usize = HEADER_LEN + 20 + 8;
/// Options field (cookie included) of a 576-byte datagram.
pub const DHCP_MIN_OPTION_LEN: usize = DHCP_MTU_MIN - DHCP_FIXED_LEN;
/// Options field (cookie included) of a 1500-byte datagram.
pub const DHCP_MAX_OPTION_LEN: usize = DHCP_MTU_MAX - DHCP_FIXED_LEN;
/// Option 82, relay agent information.
pub const AGENT_OPTIONS: u8 = 82;

/// ISC's protocol header of the priority list.
const HEADER_CODES: [u8; 8] = [53, 54, 51, 58, 59, 56, 50, 92];
/// Without a parameter request list, these follow the header.
const DEFAULT_CODES: [u8; 5] = [1, 3, 6, 12, 81];
const SUBNET_MASK: u8 = 1;
const ROUTERS: u8 = 3;
const CLIENT_IDENTIFIER: u8 = 61;
const FQDN: u8 = 81;
const SUBNET_SELECTION: u8 = 118;
const VENDOR_ENCAPSULATED: u8 = 43;

/// Which boot fields the reply leaves free for options (ISC fills `file`
/// when no `filename` is set and `sname` when no `server-name` is set; never
/// for BOOTP, DHCPINFORM or DHCPNAK replies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overload {
    /// `file` may carry options.
    pub file: bool,
    /// `sname` may carry options.
    pub sname: bool,
}

/// The facts of the request and reply that steer ISC's option choice.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplyParams<'a> {
    /// The parameter request list in force: the scope's
    /// `dhcp-parameter-request-list` if configured, else the client's
    /// option 55 (joined). `None` or empty: ISC's default list. ISC passes
    /// none for DHCPNAK.
    pub prl: Option<&'a [u8]>,
    /// Type of the message answered; DISCOVER and REQUEST get the subnet
    /// mask at lowest priority when a list is given.
    pub request_type: Option<MessageType>,
    /// The client sent an FQDN option (81).
    pub client_sent_fqdn: bool,
    /// `echo-client-id` is on (61 joins the list).
    pub echo_client_id: bool,
    /// The maximum DHCP message size in force (see
    /// [`effective_max_message_size`]); `None` when there is none.
    pub max_message_size: Option<u16>,
    /// For a BOOTP reply: the length of the request's BOOTP message. (ISC
    /// also adds the subnet's netmask as option 1 to a BOOTP reply when none
    /// is configured; that is the caller's part, as is passing no request
    /// list, no overload and no maximum message size but the client's.)
    pub bootp_request_len: Option<usize>,
    /// Boot fields free for options.
    pub overload: Overload,
    /// NUL-terminate text options (clients that ISC flags as terminating
    /// their strings); the codes whose format has text are in
    /// `text_codes`.
    pub terminate: bool,
    /// Codes whose ISC format contains text (`t` or `k`); used with
    /// `terminate`. See [`crate::options::Format::has_text`].
    pub text_codes: &'a [u8],
    /// Codes of options that encapsulate an option space with values
    /// configured (ISC's universe order), added to the default list.
    pub encapsulations: &'a [u8],
}

/// A server option handed to [`build_reply_options`]: a code and its final
/// value, owned ([`DhcpOption`]) or borrowed (`(u8, &[u8])`), so that a
/// server can pass values it keeps without copying them per reply.
pub trait ReplyOption {
    /// The option code.
    fn code(&self) -> u8;
    /// The value (any length; split when placed).
    fn data(&self) -> &[u8];
}

impl ReplyOption for DhcpOption {
    fn code(&self) -> u8 {
        self.code
    }
    fn data(&self) -> &[u8] {
        &self.data
    }
}

impl ReplyOption for (u8, &[u8]) {
    fn code(&self) -> u8 {
        self.0
    }
    fn data(&self) -> &[u8] {
        self.1
    }
}

/// The maximum message size ISC uses: for DHCPOFFER/DHCPACK the lease state
/// takes the client's option 57 when it is exactly 2 bytes, or else the
/// configured option 57 when the client sent none (`from_lease_state`);
/// then the client's option 57 (its first two bytes, if at least two) wins
/// when smaller. DHCPINFORM and DHCPNAK start from nothing
/// (`from_lease_state = false`). A result of 0 means none.
pub fn effective_max_message_size(
    client: Option<&[u8]>,
    configured: Option<&[u8]>,
    from_lease_state: bool,
) -> Option<u16> {
    let be16 = |d: &[u8]| u16::from_be_bytes([d[0], d[1]]);
    let mut mms = 0;
    if from_lease_state {
        match client {
            Some(d) if d.len() == 2 => mms = be16(d),
            Some(_) => {}
            None => {
                if let Some(d) = configured.filter(|d| d.len() == 2) {
                    mms = be16(d);
                }
            }
        }
    }
    if let Some(d) = client.filter(|d| d.len() >= 2) {
        let i = be16(d);
        if mms == 0 || i < mms {
            mms = i;
        }
    }
    (mms != 0).then_some(mms)
}

/// Size of the options field (magic cookie included, relay agent
/// information excluded) for a reply: from the maximum message size, raised
/// to a 576-byte and capped at a 1500-byte IP datagram; without one, 64
/// bytes for BOOTP (or what the BOOTP request used, if it was at least 300
/// bytes), else 312 (a 576-byte datagram).
pub fn max_option_len(max_message_size: Option<u16>, bootp_request_len: Option<usize>) -> usize {
    match (max_message_size, bootp_request_len) {
        (Some(mms), _) => {
            let mms = usize::from(mms);
            if mms < DHCP_MTU_MIN {
                DHCP_MIN_OPTION_LEN
            } else if mms > DHCP_MTU_MAX {
                DHCP_MAX_OPTION_LEN
            } else {
                mms - DHCP_FIXED_LEN
            }
        }
        (None, Some(len)) if len >= 64 + HEADER_LEN => len - HEADER_LEN,
        (None, Some(_)) => 64,
        (None, None) => DHCP_MIN_OPTION_LEN,
    }
}

/// ISC's option hash bucket of a code (17 buckets).
fn option_hash(code: u8) -> usize {
    let c = usize::from(code);
    ((c & 31) + ((c >> 5) & 31)) % 17
}

/// The codes ISC tries, in order, after removing duplicates and moving the
/// subnet mask before the routers. `options` are the server's options in
/// the order it stored them (only their codes matter here).
pub fn priority_list<O: ReplyOption>(params: &ReplyParams<'_>, options: &[O]) -> Vec<u8> {
    let mut list: Vec<u8> = Vec::with_capacity(64);
    list.extend_from_slice(&HEADER_CODES);
    match params.prl.filter(|p| !p.is_empty()) {
        Some(prl) => {
            if options.iter().any(|o| o.code() == SUBNET_SELECTION) {
                list.push(SUBNET_SELECTION);
            }
            if params.echo_client_id {
                list.push(CLIENT_IDENTIFIER);
            }
            // ISC's list holds 300 entries.
            let room = 300 - list.len();
            list.extend(
                prl.iter()
                    .take(room)
                    .copied()
                    .filter(|&c| c != AGENT_OPTIONS),
            );
            if params.client_sent_fqdn {
                list.push(FQDN);
            }
            if matches!(
                params.request_type,
                Some(MessageType::Discover | MessageType::Request)
            ) {
                list.push(SUBNET_MASK);
            }
        }
        None => {
            list.extend_from_slice(&DEFAULT_CODES);
            // Hash buckets in order; within a bucket the most recently
            // stored option first.
            for bucket in 0..17 {
                list.extend(
                    options
                        .iter()
                        .rev()
                        .map(|o| o.code())
                        .filter(|&c| option_hash(c) == bucket && c != AGENT_OPTIONS),
                );
            }
            list.extend(
                params
                    .encapsulations
                    .iter()
                    .copied()
                    .filter(|&c| c != AGENT_OPTIONS),
            );
            list.push(VENDOR_ENCAPSULATED);
        }
    }
    list.truncate(300);
    // Drop later duplicates.
    let mut seen = [false; 256];
    list.retain(|&c| !std::mem::replace(&mut seen[usize::from(c)], true));
    // Subnet mask before routers.
    if let (Some(r), Some(m)) = (
        list.iter().position(|&c| c == ROUTERS),
        list.iter().position(|&c| c == SUBNET_MASK),
    ) && r < m
    {
        list.swap(r, m);
    }
    list
}

/// The placed reply options: the options field and, when overloaded, the
/// `file`/`sname` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyOptions {
    /// The options field after the magic cookie (option 52, option 82 and
    /// the end option included; zero padding to the 300-byte minimum in
    /// the trailer).
    pub options: OptionList,
    /// Options placed in `file` (ends with an end option), if any.
    pub file: Option<OptionList>,
    /// Options placed in `sname`, if any.
    pub sname: Option<OptionList>,
}

impl ReplyOptions {
    /// Puts the options into `msg` (vendor area, and `file`/`sname` when
    /// used).
    pub fn apply(self, msg: &mut Message) {
        msg.vendor = crate::message::Vendor::Options(self.options);
        if let Some(f) = self.file {
            msg.file = BootField::Options(f);
        }
        if let Some(s) = self.sname {
            msg.sname = BootField::Options(s);
        }
    }
}

/// A byte area being filled, as ISC's `store_options` fills its buffer.
struct AreaFill {
    /// Usable bytes.
    end: usize,
    used: usize,
    /// Options only (the caller adds option 52, option 82 and the end).
    items: Vec<Entry>,
}

impl AreaFill {
    fn new(end: usize, capacity: usize) -> AreaFill {
        AreaFill {
            end,
            used: 0,
            items: Vec::with_capacity(capacity),
        }
    }
}

/// Stores `options` (already in priority order, values final) as ISC's
/// `store_options` does. `last_relaxed` says the last option is also the
/// last of the priority list, which lets it use the bytes otherwise kept
/// for option 52 when nothing went to `file`/`sname`.
fn store(
    options: &[(u8, Cow<'_, [u8]>)],
    last_relaxed: bool,
    main_len: usize,
    file: bool,
    sname: bool,
) -> [AreaFill; 3] {
    let mut areas = [
        // Room for every option, option 52, two instances of option 82 and the end.
        AreaFill::new(main_len, options.len() + 4),
        AreaFill::new(if file { FILE_LEN } else { 0 }, 0),
        AreaFill::new(if sname { SNAME_LEN } else { 0 }, 0),
    ];
    for (n, (code, data)) in options.iter().enumerate() {
        let is_last = last_relaxed && n + 1 == options.len();
        let saved: [(usize, usize); 3] = [0, 1, 2].map(|a| (areas[a].used, areas[a].items.len()));
        let mut data: &[u8] = data;
        let mut splitup = data.len() > 255;
        while !data.is_empty() {
            let len = data.len();
            let [main, f, s] = &areas;
            let whole = if splitup {
                None
            } else if (f.used == 0 && s.used == 0 && is_last && main.used + 2 + len < main.end)
                || main.used + 5 + len < main.end
            {
                Some(0)
            } else if f.end > 0 && f.used + 3 + len < f.end {
                Some(1)
            } else if s.end > 0 && s.used + 3 + len < s.end {
                Some(2)
            } else {
                None
            };
            let (area, room) = match whole {
                Some(a) => (a, len),
                None => {
                    splitup = true;
                    if main.used + 6 < main.end {
                        (0, main.end - main.used - 5)
                    } else if f.end > 0 && f.used + 4 < f.end {
                        (1, f.end - f.used - 3)
                    } else if s.end > 0 && s.used + 4 < s.end {
                        (2, s.end - s.used - 3)
                    } else {
                        // Fits nowhere: roll this option back.
                        for (a, (used, count)) in areas.iter_mut().zip(saved) {
                            a.used = used;
                            a.items.truncate(count);
                        }
                        break;
                    }
                }
            };
            let n = room.min(len).min(255);
            let (head, tail) = data.split_at(n);
            let a = &mut areas[area];
            a.items
                .push(Entry::Option(RawOption::from_short(*code, head)));
            a.used += 2 + n;
            data = tail;
        }
    }
    areas
}

/// Chooses, orders and places the reply options as ISC does.
///
/// `options` are the server's options for this client by code, values
/// final (encapsulations done), in the order the server stored them;
/// options with empty values are never sent, as in ISC. Option 82 in
/// `options` is the relay agent information to echo (placed after option
/// 52, with room added for it). Fails only if option 52 does not fit, as
/// ISC then sends nothing.
pub fn build_reply_options<O: ReplyOption>(
    params: &ReplyParams<'_>,
    options: &[O],
) -> Result<ReplyOptions> {
    let order = priority_list(params, options);
    let value = |code: u8| {
        options
            .iter()
            .find(|o| o.code() == code && !o.data().is_empty())
            .map(ReplyOption::data)
    };
    let mut chosen: Vec<(u8, Cow<'_, [u8]>)> = Vec::with_capacity(options.len());
    let mut last_relaxed = false;
    for (i, &code) in order.iter().enumerate() {
        let Some(data) = value(code) else { continue };
        let data = if params.terminate && params.text_codes.contains(&code) {
            let mut d = Vec::with_capacity(data.len() + 1);
            d.extend_from_slice(data);
            d.push(0);
            Cow::Owned(d)
        } else {
            Cow::Borrowed(data)
        };
        chosen.push((code, data));
        last_relaxed = i + 1 == order.len();
    }

    // Relay agent information, stored on its own (1024-byte buffer, the
    // only entry of its priority list).
    let agent: Vec<Entry> = match value(AGENT_OPTIONS) {
        Some(d) => {
            let one = [(AGENT_OPTIONS, Cow::Borrowed(d))];
            let [main, ..] = store(&one, true, 1024, false, false);
            main.items
        }
        None => Vec::new(),
    };
    let agent_size: usize = agent
        .iter()
        .map(|e| match e {
            Entry::Option(o) => 2 + o.data().len(),
            Entry::Pad | Entry::End => 1,
        })
        .sum();

    // ISC adds the agent options' room and caps the total at a 1500-byte
    // datagram (which also caps a large BOOTP request's size).
    let mb_size = (max_option_len(params.max_message_size, params.bootp_request_len) + agent_size)
        .min(DHCP_MAX_OPTION_LEN);
    let main_max = if mb_size > agent_size {
        mb_size - agent_size
    } else {
        mb_size
    };
    let cookie = MAGIC_COOKIE.len();
    let main_len = main_max.saturating_sub(cookie);
    let [main, file, sname] = store(
        &chosen,
        last_relaxed,
        main_len,
        params.overload.file,
        params.overload.sname,
    );

    let mut entries: Vec<Entry> = main.items;
    let mut index = cookie + main.used;
    let overload = u8::from(!file.items.is_empty()) | (u8::from(!sname.items.is_empty()) << 1);
    if overload != 0 {
        if mb_size < agent_size + index + 3 {
            return Err(WireError::AreaOverflow {
                area: Area::Options,
                len: index + 3,
                capacity: mb_size - agent_size,
            });
        }
        entries.push(Entry::Option(RawOption::from_short(
            OPTION_OVERLOAD,
            &[overload],
        )));
        index += 3;
    }
    // ISC drops the agent options (logging an error) when they do not fit.
    if agent_size > 0 && mb_size - index >= agent_size {
        entries.extend(agent);
        index += agent_size;
    }
    if index < mb_size {
        entries.push(Entry::End);
        index += 1;
    }
    let trailer = crate::message::zero_trailer(BOOTP_MIN_LEN.saturating_sub(HEADER_LEN + index));
    let list = |a: AreaFill| {
        (!a.items.is_empty()).then(|| {
            let mut entries = a.items;
            entries.push(Entry::End);
            OptionList {
                entries,
                trailer: Cow::Borrowed(&[]),
            }
        })
    };
    Ok(ReplyOptions {
        options: OptionList { entries, trailer },
        file: list(file),
        sname: list(sname),
    })
}

/// ISC's answer to a BOOTP request whose options could not be read (no
/// magic cookie, or options that do not parse): unless
/// `always-reply-rfc1048` is set, the request's vendor area is copied back,
/// zero-padded so the reply has at least 300 bytes. Returns the vendor
/// bytes (everything after the 236-byte header), or `None` when ISC builds
/// RFC 1048 options instead.
pub fn bootp_vendor_echo(
    request: &[u8],
    options_valid: bool,
    always_reply_rfc1048: bool,
) -> Option<Vec<u8>> {
    if options_valid || always_reply_rfc1048 {
        return None;
    }
    let mut vendor = request.get(HEADER_LEN..).unwrap_or_default().to_vec();
    let min = BOOTP_MIN_LEN - HEADER_LEN;
    if vendor.len() < min {
        vendor.resize(min, 0);
    }
    Some(vendor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(code: u8, len: usize) -> DhcpOption {
        DhcpOption {
            code,
            data: vec![code; len],
        }
    }

    #[test]
    fn hash_matches_isc_buckets() {
        assert_eq!(option_hash(1), 1);
        assert_eq!(option_hash(17), 0);
        assert_eq!(option_hash(32), 1);
        assert_eq!(option_hash(255), (31 + 7) % 17);
    }

    #[test]
    fn default_list_follows_hash_order() {
        let options = [
            opt(15, 3),
            opt(1, 4),
            opt(3, 4),
            opt(6, 4),
            opt(28, 4),
            opt(11, 4),
        ];
        let params = ReplyParams::default();
        let list = priority_list(&params, &options);
        // 28 and 11 share bucket 11: the later stored (11) comes first;
        // 15 is in bucket 15.
        assert_eq!(
            list,
            [
                53, 54, 51, 58, 59, 56, 50, 92, 1, 3, 6, 12, 81, 11, 28, 15, 43
            ]
        );
    }

    #[test]
    fn prl_list_rules() {
        let prl = [3, 82, 1, 3, 6];
        let params = ReplyParams {
            prl: Some(&prl),
            request_type: Some(MessageType::Discover),
            client_sent_fqdn: true,
            echo_client_id: true,
            ..ReplyParams::default()
        };
        let list = priority_list(&params, &[opt(118, 4)]);
        assert_eq!(list, [53, 54, 51, 58, 59, 56, 50, 92, 118, 61, 1, 3, 6, 81]);
        let params = ReplyParams {
            prl: Some(&prl),
            request_type: Some(MessageType::Inform),
            ..ReplyParams::default()
        };
        assert_eq!(
            priority_list::<DhcpOption>(&params, &[]),
            [53, 54, 51, 58, 59, 56, 50, 92, 1, 3, 6]
        );
    }

    #[test]
    fn max_message_size_rules() {
        assert_eq!(max_option_len(None, None), 312);
        assert_eq!(max_option_len(Some(300), None), 312);
        assert_eq!(max_option_len(Some(1000), None), 1000 - 264);
        assert_eq!(max_option_len(Some(9000), None), 1236);
        assert_eq!(max_option_len(None, Some(241)), 64);
        assert_eq!(max_option_len(None, Some(548)), 312);
        // A 2000-byte BOOTP request: the reply is still capped at 1500 bytes.
        let params = ReplyParams {
            bootp_request_len: Some(2000),
            ..ReplyParams::default()
        };
        let r = build_reply_options(
            &params,
            &[
                opt(15, 250),
                opt(12, 250),
                opt(14, 250),
                opt(17, 250),
                opt(18, 250),
                opt(40, 250),
            ],
        )
        .unwrap();
        let len = 240 + r.options.encoded_len();
        assert!(len <= 236 + DHCP_MAX_OPTION_LEN, "{len}");
        assert_eq!(r.options.options().count(), 4);
        let c = 1000u16.to_be_bytes();
        let k = 800u16.to_be_bytes();
        assert_eq!(
            effective_max_message_size(Some(&c), Some(&k), true),
            Some(1000)
        );
        assert_eq!(effective_max_message_size(None, Some(&k), true), Some(800));
        assert_eq!(effective_max_message_size(None, Some(&k), false), None);
        assert_eq!(
            effective_max_message_size(Some(&[3, 0, 9]), Some(&k), true),
            Some(768)
        );
        assert_eq!(effective_max_message_size(Some(&[0, 0]), None, true), None);
    }

    #[test]
    fn big_option_goes_to_file_and_small_ones_stay_in_front() {
        // 300 of 308 bytes taken, then a 100-byte option that only fits in
        // `file`, then a 2-byte option that still fits the main area.
        let all = [
            opt(53, 1),
            opt(54, 4),
            opt(43, 100),
            opt(12, 2),
            opt(15, 240),
        ];
        let params = ReplyParams {
            prl: Some(&[15, 43, 12]),
            overload: Overload {
                file: true,
                sname: true,
            },
            ..ReplyParams::default()
        };
        let r = build_reply_options(&params, &all).unwrap();
        let main: Vec<u8> = r.options.options().map(|o| o.code()).collect();
        assert_eq!(main, [53, 54, 15, 12, 52]);
        let file: Vec<u8> = r
            .file
            .as_ref()
            .unwrap()
            .options()
            .map(|o| o.code())
            .collect();
        assert_eq!(file, [43]);
        assert!(r.sname.is_none());
        assert_eq!(r.options.options().last().unwrap().data(), &[1]);
    }

    #[test]
    fn nothing_fits_rolls_back() {
        let params = ReplyParams {
            prl: Some(&[15]),
            ..ReplyParams::default()
        };
        // Far more than the 308-byte options field, no overload: the
        // option is split as far as it goes and then dropped whole.
        let r = build_reply_options(&params, &[opt(53, 1), opt(15, 2000)]).unwrap();
        let codes: Vec<u8> = r.options.options().map(|o| o.code()).collect();
        assert_eq!(codes, [53]);
    }

    #[test]
    fn text_options_get_a_nul_when_terminating() {
        let params = ReplyParams {
            prl: Some(&[15, 12]),
            terminate: true,
            text_codes: &[15],
            ..ReplyParams::default()
        };
        let r = build_reply_options(&params, &[opt(15, 3), opt(12, 2)]).unwrap();
        let data: Vec<&[u8]> = r.options.options().map(|o| o.data()).collect();
        assert_eq!(data, [&[15, 15, 15, 0][..], &[12, 12][..]]);
    }

    #[test]
    fn empty_values_are_not_sent() {
        let params = ReplyParams {
            prl: Some(&[15, 12]),
            ..ReplyParams::default()
        };
        let r = build_reply_options(&params, &[opt(15, 0), opt(12, 2)]).unwrap();
        let codes: Vec<u8> = r.options.options().map(|o| o.code()).collect();
        assert_eq!(codes, [12]);
    }

    #[test]
    fn vendor_echo() {
        let mut req = vec![1u8; 236];
        req.extend_from_slice(&[7; 64]);
        assert_eq!(bootp_vendor_echo(&req, false, false), Some(vec![7; 64]));
        assert_eq!(bootp_vendor_echo(&req, false, true), None);
        assert_eq!(bootp_vendor_echo(&req, true, false), None);
        assert_eq!(
            bootp_vendor_echo(&req[..240], false, false),
            Some(vec![7, 7, 7, 7].into_iter().chain([0; 60]).collect())
        );
    }
}
