//! How ISC turns values into lease-file text: quoted strings with octal escapes, colon hex,
//! hardware addresses, dates, relay-agent sub-options.

use chrono::{DateTime, FixedOffset};

use crate::model::{HardwareAddr, NEVER};

/// C's `isascii(c) && isprint(c)` in the "C" locale.
pub fn is_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// ISC's `quotify_buf` with `"` as the enclosing character: printable ASCII as itself, `"`
/// and `\` preceded by a backslash, every other byte as `\` and three octal digits.
pub fn quote(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() + 2);
    out.push('"');
    out.push_str(&escape(data));
    out.push('"');
    out
}

/// The inside of [`quote`] (ISC's `quotify_string`, without the quotes).
pub fn escape(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &c in data {
        if c == b'"' || c == b'\\' {
            out.push('\\');
            out.push(c as char);
        } else if is_print(c) {
            out.push(c as char);
        } else {
            out.push('\\');
            for shift in [6, 3, 0] {
                out.push(char::from(b'0' + (c >> shift & 7)));
            }
        }
    }
    out
}

/// Lowercase two-digit hex joined by `:` (ISC's `print_hex_only` / `buf_to_hex`).
pub fn colon_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for (i, b) in data.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// ISC's `db_printable`: every byte printable ASCII, and no `"` or `\`.
pub fn db_printable(s: &[u8]) -> bool {
    s.iter().all(|&c| is_print(c) && c != b'"' && c != b'\\')
}

/// How identifiers (uid, IA ids, the server DUID) are written (`lease-id-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaseIdFormat {
    /// `octal` (the default): a quoted string with octal escapes.
    #[default]
    Octal,
    /// `hex`: unquoted colon hex.
    Hex,
}

impl LeaseIdFormat {
    /// ISC's `format_lease_id`.
    pub fn format(self, data: &[u8]) -> String {
        match self {
            LeaseIdFormat::Octal => quote(data),
            LeaseIdFormat::Hex => colon_hex(data),
        }
    }
}

/// How dates are written (`db-time-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DbTimeFormat {
    /// `default`: `W YYYY/MM/DD HH:MM:SS;` in UTC.
    #[default]
    Default,
    /// `local`: `epoch N; # Www Mmm DD HH:MM:SS YYYY`, the comment in local time. The crate
    /// has no clock or time-zone database, so the caller gives the local offset from UTC in
    /// seconds.
    Local {
        /// Local time minus UTC, in seconds.
        utc_offset: i32,
    },
}

impl DbTimeFormat {
    /// ISC's `print_time`: the date followed by `;` (and, in local format, the comment), or
    /// `None` for a time ISC cannot print (negative or out of range).
    pub fn print(self, t: i64) -> Option<String> {
        if t == NEVER {
            return Some("never;".to_string());
        }
        if t < 0 {
            return None;
        }
        if self == DbTimeFormat::Default && t <= LAST_4_DIGIT_YEAR {
            return Some(default_date(t));
        }
        let utc = DateTime::from_timestamp(t, 0)?;
        match self {
            DbTimeFormat::Default => Some(utc.format("%w %Y/%m/%d %H:%M:%S;").to_string()),
            DbTimeFormat::Local { utc_offset } => {
                let zone = FixedOffset::east_opt(utc_offset)?;
                let local = utc.with_timezone(&zone);
                Some(format!(
                    "epoch {t}; {}",
                    local.format("# %a %b %d %H:%M:%S %Y")
                ))
            }
        }
    }
}

/// 9999-12-31 23:59:59 UTC: the last time [`default_date`] writes (later ones, with more
/// than four digits of year, go through chrono).
const LAST_4_DIGIT_YEAR: i64 = 253_402_300_799;

/// `W YYYY/MM/DD HH:MM:SS;` (UTC) for `0 <= t <= LAST_4_DIGIT_YEAR`, what chrono's
/// `%w %Y/%m/%d %H:%M:%S;` gives, written by hand (it is on the path of every lease written).
fn default_date(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // 1970-01-01 was a Thursday.
    let wday = (days + 4).rem_euclid(7);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = String::with_capacity(22);
    let two = |out: &mut String, v: i64| {
        out.push(char::from(b'0' + (v / 10 % 10) as u8));
        out.push(char::from(b'0' + (v % 10) as u8));
    };
    out.push(char::from(b'0' + wday as u8));
    out.push(' ');
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    out.push('/');
    two(&mut out, month);
    out.push('/');
    two(&mut out, day);
    out.push(' ');
    two(&mut out, secs / 3600);
    out.push(':');
    two(&mut out, secs / 60 % 60);
    out.push(':');
    two(&mut out, secs % 60);
    out.push(';');
    out
}

/// `TYPE MAC` as ISC writes a hardware address (`hardware_types[]` and `print_hw_addr`).
pub fn hardware(hw: &HardwareAddr) -> String {
    let name = match hw.htype {
        1 => "ethernet".to_string(),
        6 => "token-ring".to_string(),
        8 => "fddi".to_string(),
        32 => "infiniband".to_string(),
        n => format!("unknown-{n}"),
    };
    format!("{name} {}", colon_hex(hw.addr()))
}

/// The format of a relay agent sub-option, as ISC's agent option table gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentFormat {
    /// `X`: text if printable, else colon hex.
    Data,
    /// `I`: an IPv4 address.
    Ip,
    /// `L`: an unsigned 32-bit number.
    U32,
    /// `Z`: no data.
    Empty,
}

/// ISC's `agent` option space: (code, name, format).
pub const AGENT_OPTIONS: [(u8, &str, AgentFormat); 6] = [
    (1, "circuit-id", AgentFormat::Data),
    (2, "remote-id", AgentFormat::Data),
    (3, "agent-id", AgentFormat::Ip),
    (4, "DOCSIS-device-class", AgentFormat::U32),
    (5, "link-selection", AgentFormat::Ip),
    (19, "relay-port", AgentFormat::Empty),
];

/// The name and format of agent sub-option `code` (`unknown-N`, data, when ISC has none).
pub fn agent_option(code: u8) -> (String, AgentFormat) {
    AGENT_OPTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, n, f)| ((*n).to_string(), *f))
        .unwrap_or_else(|| (format!("unknown-{code}"), AgentFormat::Data))
}

/// The agent sub-option called `name` (case-insensitive; `unknown-N` for any code).
pub fn agent_option_by_name(name: &str) -> Option<(u8, AgentFormat)> {
    if let Some((c, _, f)) = AGENT_OPTIONS
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
    {
        return Some((*c, *f));
    }
    let n = name.strip_prefix("unknown-")?;
    let code: u8 = n.parse().ok()?;
    Some((code, AgentFormat::Data))
}

/// ISC's `pretty_escape` (used for text option values): non-printables as octal (a trailing
/// NUL is dropped), and `" ' $ \` \ | &` preceded by a backslash.
fn pretty_escape(data: &[u8]) -> String {
    let mut out = String::new();
    for (i, &c) in data.iter().enumerate() {
        if !is_print(c) {
            if !(i + 1 == data.len() && c == 0) {
                out.push('\\');
                for shift in [6, 3, 0] {
                    out.push(char::from(b'0' + (c >> shift & 7)));
                }
            }
        } else if matches!(c, b'"' | b'\'' | b'$' | b'`' | b'\\' | b'|' | b'&') {
            out.push('\\');
            out.push(c as char);
        } else {
            out.push(c as char);
        }
    }
    out
}

/// ISC's `pretty_print_option` (with commas and quotes) for an agent sub-option value.
pub fn agent_value(code: u8, data: &[u8]) -> String {
    let (_, fmt) = agent_option(code);
    match fmt {
        AgentFormat::Data => {
            let text_ok = match data.iter().position(|&c| !is_print(c)) {
                None => true,
                Some(k) => k + 1 == data.len() && data[k] == 0,
            };
            if text_ok {
                format!("\"{}\"", pretty_escape(data))
            } else {
                data.iter()
                    .map(|b| format!("{b:x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
        }
        AgentFormat::Ip => match data {
            [a, b, c, d, ..] => format!("{a}.{b}.{c}.{d}"),
            _ => "<error>".to_string(),
        },
        AgentFormat::U32 => match data {
            [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]).to_string(),
            _ => "<error>".to_string(),
        },
        AgentFormat::Empty => String::new(),
    }
}

/// ISC's `parse_date_core` arithmetic: seconds since 1970 of `W YYYY/MM/DD HH:MM:SS [OFFSET]`
/// as written (the numbers as ISC's `int`s, wrapping, never a panic). Years from 2038
/// (138 after 1900) on are [`NEVER`]; a month outside 1-12 counts no days, where ISC would
/// index its table blindly. Used for lease-file dates and for dhcpd.conf's failover `state`
/// blocks alike.
pub fn isc_date_secs(
    year: i32,
    month: i32,
    day: i32,
    hour: i32,
    min: i32,
    sec: i32,
    tzoff: i32,
) -> i64 {
    let year = if year > 1900 { year - 1900 } else { year };
    if year >= 138 {
        return NEVER;
    }
    const MONTHS: [i32; 11] = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let mon = month.wrapping_sub(1);
    let month_days = usize::try_from(mon.wrapping_sub(1))
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or(0);
    let leap = i32::from(mon > 1 && (year.wrapping_sub(72) & 3) == 0);
    let days = 365i32
        .wrapping_mul(year.wrapping_sub(70))
        .wrapping_add(year.wrapping_sub(69) / 4)
        .wrapping_add(month_days)
        .wrapping_add(leap)
        .wrapping_add(day)
        .wrapping_sub(1);
    let secs = days
        .wrapping_mul(24)
        .wrapping_add(hour)
        .wrapping_mul(60)
        .wrapping_add(min)
        .wrapping_mul(60)
        .wrapping_add(sec)
        .wrapping_add(tzoff);
    i64::from(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_isc() {
        assert_eq!(
            quote(&[1, b'$', b'e', 0x11, 0xd9, 0xa6, 0xb3]),
            r#""\001$e\021\331\246\263""#
        );
        assert_eq!(quote(b"a \"b\\"), r#""a \"b\\""#);
    }

    #[test]
    fn hand_written_dates_are_chronos() {
        let chrono = |t: i64| {
            DateTime::from_timestamp(t, 0).map(|d| d.format("%w %Y/%m/%d %H:%M:%S;").to_string())
        };
        let mut t: i64 = 0;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        while t <= LAST_4_DIGIT_YEAR {
            assert_eq!(Some(default_date(t)), chrono(t), "{t}");
            // Irregular steps through the whole range, and every second around a few dates.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += 1 + (x % 40_000_000) as i64;
        }
        for base in [
            0,
            951_782_400,
            2_147_483_647,
            4_107_542_400,
            LAST_4_DIGIT_YEAR - 200_000,
        ] {
            for t in base..base + 200_000 {
                assert_eq!(Some(default_date(t)), chrono(t), "{t}");
            }
        }
        assert_eq!(
            DbTimeFormat::Default.print(LAST_4_DIGIT_YEAR + 1),
            chrono(LAST_4_DIGIT_YEAR + 1)
        );
    }

    #[test]
    fn dates_in_both_formats() {
        // 2030-01-01 00:00:00 UTC was a Tuesday.
        assert_eq!(
            DbTimeFormat::Default.print(1_893_456_000).as_deref(),
            Some("2 2030/01/01 00:00:00;")
        );
        assert_eq!(
            DbTimeFormat::Local { utc_offset: 0 }
                .print(1_893_456_000)
                .as_deref(),
            Some("epoch 1893456000; # Tue Jan 01 00:00:00 2030")
        );
        assert_eq!(
            DbTimeFormat::Local { utc_offset: 3600 }
                .print(1_893_456_000)
                .as_deref(),
            Some("epoch 1893456000; # Tue Jan 01 01:00:00 2030")
        );
        assert_eq!(
            DbTimeFormat::Default.print(NEVER).as_deref(),
            Some("never;")
        );
        assert_eq!(DbTimeFormat::Default.print(-1), None);
    }

    #[test]
    fn agent_values() {
        assert_eq!(agent_value(1, b"lab-port-9"), "\"lab-port-9\"");
        assert_eq!(agent_value(1, &[0, 1, 3, 0xe9]), "0:1:3:e9");
        assert_eq!(agent_value(2, b"a$b\0"), "\"a\\$b\"");
        assert_eq!(agent_value(3, &[10, 0, 0, 1]), "10.0.0.1");
        assert_eq!(agent_option(77).0, "unknown-77");
    }

    #[test]
    fn hardware_types() {
        let hw = HardwareAddr::new(1, &[0x24, 0x65, 0xd9]).expect("short");
        assert_eq!(hardware(&hw), "ethernet 24:65:d9");
        let hw = HardwareAddr::new(9, &[]).expect("empty");
        assert_eq!(hardware(&hw), "unknown-9 ");
    }
}
