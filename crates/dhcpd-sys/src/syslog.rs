//! Logging as ISC does on RHEL: syslog lines on `/dev/log` (which journald reads, so
//! `journalctl -u dhcpd` shows them with the identifier `dhcpd`), facility from `log-facility`
//! (default daemon), and with `-d` a plain copy of each message on standard error. As ISC
//! (glibc's `syslog(3)` without `LOG_CONS`), a line nothing listens for on `/dev/log` is
//! lost once start-up is over; during start-up every line is mirrored anyway.
//!
//! Written by hand rather than with the `syslog` crate: we need the stderr mirror, a facility
//! that changes after the config is read, batching, and no extra time crate.
//!
//! Batching: a thread that calls [`batch_this_thread`] (the event loop) keeps its lines until
//! [`log::Log::flush`] (`log::logger().flush()`, once per loop turn): then the mirror gets one
//! `write` for all of them and syslog one `sendmmsg`, in the order they were logged. Other
//! threads log at once. The syslog time stamp is formatted once a second.

use std::cell::RefCell;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use log::{Level, LevelFilter, Log, Metadata, Record};
use nix::libc;

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

/// Lines a batching thread has logged and not yet flushed.
#[derive(Debug, Default)]
struct Batch {
    /// Our process ID (a batching thread starts after any daemonizing fork).
    pid: u32,
    /// The stderr copy (each line ends in a newline).
    mirror: Vec<u8>,
    /// Syslog datagrams, back to back; `ends` marks where each ends.
    syslog: Vec<u8>,
    ends: Vec<usize>,
}

thread_local! {
    static BATCH: RefCell<Option<Batch>> = const { RefCell::new(None) };
}

/// Turns batching on or off for the calling thread (see the module comment). Turning it off
/// flushes what is kept.
pub fn batch_this_thread(on: bool) {
    if on {
        BATCH.with(|b| {
            let mut b = b.borrow_mut();
            if b.is_none() {
                *b = Some(Batch {
                    pid: std::process::id(),
                    ..Batch::default()
                });
            }
        });
    } else {
        log::logger().flush();
        BATCH.with(|b| *b.borrow_mut() = None);
    }
}

/// The syslog time stamp (`Nov 28 07:02:15`, local time) of the current second, cached.
#[derive(Debug, Default)]
struct Stamp {
    second: i64,
    text: String,
}

/// The logger. Install once with [`SysLogger::install`].
#[derive(Debug)]
pub struct SysLogger {
    ident: String,
    path: String,
    sock: Mutex<Option<UnixDatagram>>,
    stamp: Mutex<Stamp>,
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
            stamp: Mutex::new(Stamp::default()),
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

    /// Appends the syslog line for `msg` at the current time to `out`; the time stamp is
    /// formatted at most once a second.
    fn format_now(&self, level: Level, msg: &str, pid: u32, out: &mut Vec<u8>) {
        let pri = u16::from(self.facility.load(Ordering::Relaxed)) * 8 + u16::from(severity(level));
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let second = i64::try_from(second).unwrap_or(i64::MAX);
        if let Ok(mut st) = self.stamp.lock() {
            if st.second != second || st.text.is_empty() {
                // A zone's offset only changes on a second boundary: caching per second is exact.
                st.second = second;
                st.text = chrono::Local::now().format("%b %e %H:%M:%S").to_string();
            }
            let _ = write!(out, "<{pri}>{} {}[{pid}]: {msg}", st.text, self.ident);
        }
    }

    /// Whether a connect may be tried now (at most once a second after a failure); notes
    /// the outcome.
    fn reconnect(&self, g: &mut Option<UnixDatagram>) {
        let mut last = self.last_failure.lock().ok();
        let recent = last
            .as_ref()
            .and_then(|l| l.as_ref())
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
        if recent {
            *g = None;
            return;
        }
        *g = UnixDatagram::unbound()
            .and_then(|s| s.connect(&self.path).map(|()| s))
            .ok();
        if let Some(l) = last.as_mut() {
            **l = g.is_none().then(std::time::Instant::now);
        }
    }

    /// Sends a batch of datagrams (`bytes` cut at `ends`), reconnecting once as [`send`]
    /// does; what cannot be sent is dropped.
    fn send_batch(&self, bytes: &[u8], ends: &[usize]) {
        let Ok(mut g) = self.sock.lock() else {
            return;
        };
        let mut msgs = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in ends {
            if let Some(m) = bytes.get(start..end) {
                msgs.push(m);
            }
            start = end;
        }
        let mut done = 0;
        let mut retried = false;
        while done < msgs.len() {
            let res = match g.as_ref() {
                Some(s) => send_many(s, msgs.get(done..).unwrap_or_default()),
                None => Err(std::io::Error::from(std::io::ErrorKind::NotConnected)),
            };
            match res {
                Ok(n) if n > 0 => done += n,
                _ if !retried => {
                    retried = true;
                    self.reconnect(&mut g);
                    if g.is_none() {
                        return;
                    }
                }
                _ => return,
            }
        }
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
                self.reconnect(&mut g);
                if g.is_none() {
                    return false;
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
        let mirror = self.mirror.load(Ordering::Relaxed);
        let batched = BATCH.with(|b| {
            let mut b = b.borrow_mut();
            let Some(b) = b.as_mut() else {
                return false;
            };
            self.format_now(r.level(), "", b.pid, &mut b.syslog);
            let msg_start = b.syslog.len();
            let _ = write!(b.syslog, "{}", r.args());
            b.ends.push(b.syslog.len());
            if mirror {
                let Batch { syslog, mirror, .. } = b;
                mirror.extend_from_slice(syslog.get(msg_start..).unwrap_or_default());
                mirror.push(b'\n');
            }
            true
        });
        if batched {
            return;
        }
        let msg = r.args().to_string();
        let mut line = Vec::with_capacity(msg.len() + 48);
        self.format_now(r.level(), &msg, std::process::id(), &mut line);
        self.send(&String::from_utf8(line).unwrap_or_default());
        if mirror {
            let _ = writeln!(std::io::stderr().lock(), "{msg}");
        }
    }

    /// Sends what this thread has batched (see the module comment).
    fn flush(&self) {
        let taken = BATCH.with(|b| {
            b.borrow_mut().as_mut().and_then(|b| {
                (!b.ends.is_empty() || !b.mirror.is_empty()).then(|| Batch {
                    pid: b.pid,
                    mirror: std::mem::take(&mut b.mirror),
                    syslog: std::mem::take(&mut b.syslog),
                    ends: std::mem::take(&mut b.ends),
                })
            })
        });
        let Some(mut taken) = taken else {
            return;
        };
        if !taken.ends.is_empty() {
            self.send_batch(&taken.syslog, &taken.ends);
        }
        if !taken.mirror.is_empty() {
            let _ = std::io::stderr().lock().write_all(&taken.mirror);
        }
        // Keep the buffers' capacity for the next turn.
        taken.syslog.clear();
        taken.ends.clear();
        taken.mirror.clear();
        BATCH.with(|b| {
            if let Some(b) = b.borrow_mut().as_mut() {
                if b.ends.is_empty() && b.mirror.is_empty() {
                    *b = taken;
                }
            }
        });
    }
}

/// `sendmmsg` on a connected datagram socket: sends the first messages of `msgs` (at most
/// 1,024) in one system call; returns how many went.
#[allow(unsafe_code)]
fn send_many(sock: &UnixDatagram, msgs: &[&[u8]]) -> std::io::Result<usize> {
    let msgs = msgs.get(..msgs.len().min(1024)).unwrap_or_default();
    let mut iovs: Vec<libc::iovec> = msgs
        .iter()
        .map(|m| libc::iovec {
            iov_base: m.as_ptr().cast_mut().cast(),
            iov_len: m.len(),
        })
        .collect();
    let mut hdrs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = std::ptr::from_mut(iov);
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    let n = u32::try_from(hdrs.len()).unwrap_or(1024);
    // SAFETY: `hdrs` holds `n` initialised headers, each pointing to one iovec in `iovs`,
    // which points into a live `&[u8]` of the stated length; all outlive the call, and the
    // kernel only reads the buffers.
    let rc = unsafe { libc::sendmmsg(sock.as_raw_fd(), hdrs.as_mut_ptr(), n, 0) };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
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

    #[test]
    fn a_batching_thread_sends_its_lines_in_order_on_flush() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-log3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).expect("bind");
        rx.set_nonblocking(true).expect("nonblocking");
        let l = SysLogger::new(
            "dhcpd",
            path.to_str().expect("utf8"),
            false,
            LevelFilter::Info,
        );
        l.connect();
        batch_this_thread(true);
        for i in 0..3 {
            l.log(
                &Record::builder()
                    .args(format_args!("DHCPACK {i}"))
                    .level(Level::Info)
                    .build(),
            );
        }
        let mut buf = [0u8; 256];
        assert!(rx.recv(&mut buf).is_err(), "nothing before the flush");
        l.flush();
        for i in 0..3 {
            let n = rx.recv(&mut buf).expect("a line after the flush");
            let got = String::from_utf8_lossy(&buf[..n]).into_owned();
            assert!(got.starts_with("<30>"), "{got}"); // daemon (3) * 8 + info (6)
            assert!(
                got.ends_with(&format!("[{}]: DHCPACK {i}", std::process::id())),
                "{got}"
            );
        }
        assert!(rx.recv(&mut buf).is_err(), "each line once");
        batch_this_thread(false);
        l.log(
            &Record::builder()
                .args(format_args!("at once"))
                .level(Level::Info)
                .build(),
        );
        let n = rx.recv(&mut buf).expect("unbatched lines go at once");
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with("]: at once"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
