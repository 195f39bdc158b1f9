//! Logging as ISC does on RHEL: syslog lines on `/dev/log` (which journald reads, so
//! `journalctl -u dhcpd` shows them with the identifier `dhcpd`), facility from `log-facility`
//! (default daemon), and with `-d` a plain copy of each message on standard error.
//!
//! Written by hand (about 100 lines) rather than with the `syslog` crate: we need the stderr
//! mirror, a fallback to stderr when nothing listens on `/dev/log` (containers, CI), a
//! facility that changes after the config is read, and no extra time crate.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Syslog facility numbers, by the names `log-facility` accepts.
pub fn facility_code(name: &str) -> Option<u8> {
    Some(match name {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => return None,
    })
}

/// The logger. Install once with [`SysLogger::install`].
#[derive(Debug)]
pub struct SysLogger {
    ident: String,
    path: String,
    sock: Mutex<Option<UnixDatagram>>,
    /// When connecting to the syslog socket last failed: reconnect at most once a second, so a
    /// machine without a syslog daemon does not pay a socket()+connect() per log line.
    last_failure: Mutex<Option<std::time::Instant>>,
    facility: AtomicU8,
    mirror: AtomicBool,
    level: LevelFilter,
}

fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

impl SysLogger {
    /// A logger writing to the syslog socket at `path` (normally `/dev/log`).
    pub fn new(ident: &str, path: &str, mirror_stderr: bool, level: LevelFilter) -> Self {
        SysLogger {
            ident: ident.to_string(),
            path: path.to_string(),
            sock: Mutex::new(None),
            last_failure: Mutex::new(None),
            facility: AtomicU8::new(3),
            mirror: AtomicBool::new(mirror_stderr),
            level,
        }
    }

    /// Installs it as the `log` logger; the socket is opened now, so it survives a chroot.
    pub fn install(self) -> &'static SysLogger {
        let me: &'static SysLogger = Box::leak(Box::new(self));
        me.connect();
        if log::set_logger(me).is_ok() {
            log::set_max_level(me.level);
        }
        me
    }

    fn connect(&self) {
        let s = UnixDatagram::unbound().and_then(|s| s.connect(&self.path).map(|()| s));
        if let Ok(mut g) = self.sock.lock() {
            *g = s.ok();
        }
    }

    /// Sets the facility (from `log-facility`).
    pub fn set_facility(&self, code: u8) {
        self.facility.store(code, Ordering::Relaxed);
    }

    /// Turns the stderr copy on or off (`-d`).
    pub fn set_mirror(&self, on: bool) {
        self.mirror.store(on, Ordering::Relaxed);
    }

    /// The syslog line for a message (RFC 3164, local time, as glibc's syslog(3) writes it).
    pub fn format_line(
        &self,
        level: Level,
        msg: &str,
        now: chrono::DateTime<chrono::Local>,
    ) -> String {
        let pri = u16::from(self.facility.load(Ordering::Relaxed)) * 8 + u16::from(severity(level));
        format!(
            "<{pri}>{} {}[{}]: {msg}",
            now.format("%b %e %H:%M:%S"),
            self.ident,
            std::process::id()
        )
    }

    fn send(&self, line: &str) -> bool {
        let Ok(mut g) = self.sock.lock() else {
            return false;
        };
        for attempt in 0..2 {
            if let Some(s) = g.as_ref() {
                if s.send(line.as_bytes()).is_ok() {
                    return true;
                }
            }
            if attempt == 0 {
                let mut last = self.last_failure.lock().ok();
                let recent = last
                    .as_ref()
                    .and_then(|l| l.as_ref())
                    .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
                if recent {
                    *g = None;
                    return false;
                }
                *g = UnixDatagram::unbound()
                    .and_then(|s| s.connect(&self.path).map(|()| s))
                    .ok();
                if let Some(l) = last.as_mut() {
                    **l = g.is_none().then(std::time::Instant::now);
                }
            }
        }
        false
    }
}

impl Log for SysLogger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= self.level
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let msg = r.args().to_string();
        let sent = self.send(&self.format_line(r.level(), &msg, chrono::Local::now()));
        if self.mirror.load(Ordering::Relaxed) || !sent {
            let _ = writeln!(std::io::stderr().lock(), "{msg}");
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_a_syslog_socket() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).expect("bind");
        let l = SysLogger::new(
            "dhcpd",
            path.to_str().expect("utf8"),
            false,
            LevelFilter::Info,
        );
        l.connect();
        l.set_facility(facility_code("local7").expect("local7"));
        assert!(l.send(&l.format_line(Level::Info, "DHCPACK on x", chrono::Local::now())));
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).expect("recv");
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("<190>"), "{got}"); // local7 (23) * 8 + info (6)
        assert!(got.ends_with("]: DHCPACK on x"), "{got}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reconnects_at_most_once_a_second_when_nothing_listens() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-log2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let l = SysLogger::new(
            "dhcpd",
            path.to_str().expect("utf8"),
            false,
            LevelFilter::Info,
        );
        assert!(!l.send("no syslog yet"), "nothing listens");
        let rx = UnixDatagram::bind(&path).expect("bind");
        assert!(
            !l.send("still within the second"),
            "no reconnect within a second"
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(l.send("reconnected"), "reconnects after a second");
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).expect("recv");
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with("reconnected"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
