//! Durability of the lease journal.
//!
//! * Crash: a child process commits leases through the journal as fast as it can and reports
//!   each lease once it is confirmed: by the writer thread right after its sync (pipelined, as
//!   the server sends its DHCPACKs), or, every 16th batch, after a synchronous `flush`. The parent kills it with SIGKILL at a random
//!   moment, 200 times, appending to the same file each time. After every kill every lease the
//!   child reported is in the file, and the file is whole records plus at most one torn record
//!   at the end. Each child starts as the server does: it reads the file and rewrites it
//!   atomically (so a kill during that rewrite is tested too) before appending, and it
//!   rewrites the file again whenever the hourly rule (on a fast clock) says so.
//! * Full disk: the journal on a tiny tmpfs; when the disk fills up, the batch is not confirmed,
//!   the journal stops, and every lease confirmed before is intact.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dhcpd_server::journal::{Journal, JournalError};
use dhcpd_server::rewrite::{LeaseFileRewriter, PeriodicRewrite};

const CHILD_ENV: &str = "DHCPD_JOURNAL_CRASH_CHILD";

/// A lease record in ISC's format; the lease number is encoded in the address and the MAC.
fn record(n: u64) -> String {
    format!(
        "lease 198.51.{}.{} {{\n  starts 6 2026/11/28 04:00:00;\n  ends 6 2026/11/28 16:00:00;\n  cltt 6 2026/11/28 04:00:00;\n  binding state active;\n  next binding state free;\n  rewind binding state free;\n  hardware ethernet 02:00:{:02x}:{:02x}:{:02x}:{:02x};\n  client-hostname \"host-{n}\";\n}}\n",
        100 + (n / 250) % 2,
        1 + n % 250,
        (n >> 24) & 0xff,
        (n >> 16) & 0xff,
        (n >> 8) & 0xff,
        n & 0xff
    )
}

/// Parses the file: the lease numbers of complete records, and whether a torn record ends it.
fn read_back(path: &Path) -> (HashSet<u64>, bool) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut found = HashSet::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let Some(end) = rest.find("}\n") else {
            return (found, true);
        };
        let rec = &rest[..end + 2];
        assert!(
            rec.starts_with("lease 198.51."),
            "garbage in the lease file: {rec:?}"
        );
        let host = rec
            .split("client-hostname \"host-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("record without its number: {rec:?}"));
        assert_eq!(rec, record(host), "record {host} damaged");
        found.insert(host);
        rest = &rest[end + 2..];
    }
    (found, false)
}

/// The child: commits leases in batches of 1..=64 forever, printing each confirmed number
/// (from the journal's writer thread, or after a synchronous flush).
#[test]
#[ignore = "child process of kill_9_never_loses_a_confirmed_lease"]
fn journal_child() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        panic!("run only as the crash test's child");
    };
    let spec = spec.to_string_lossy().into_owned();
    let (path, start) = spec.split_once('|').expect("PATH|START");
    let mut n: u64 = start.parse().expect("start");
    // Start-up as the server does it (and ISC): read the lease file, then rewrite it
    // atomically from what was read (a torn record at the end is dropped), then append.
    let (complete, _torn) = read_back(Path::new(path));
    let mut keep: Vec<u64> = complete.into_iter().collect();
    keep.sort_unstable();
    let text: String = keep.iter().map(|&k| record(k)).collect();
    let backup = format!("{path}~");
    let file =
        dhcpd_sys::durable::replace(Path::new(path), text.as_bytes(), Some(Path::new(&backup)))
            .expect("rewrite the lease file");
    let mut j: Journal<u64> = Journal::from_file(file);
    // As the server does: the writer thread reports each lease itself right after the sync
    // that made it durable (the server sends the DHCPACK there), while this thread goes on
    // staging; a batch followed by a rewrite, and every 16th, goes through the synchronous
    // `flush` instead.
    j.set_deliver(Some(std::sync::Arc::new(|done: Vec<u64>| {
        for d in done {
            let _ = writeln!(std::io::stdout(), "{d}");
        }
        Vec::new()
    })));
    let poll = mio::Poll::new().expect("poll");
    let waker =
        std::sync::Arc::new(mio::Waker::new(poll.registry(), mio::Token(0)).expect("waker"));
    let mut batch = 1u64;
    // The hourly rewrite on a fast clock: 1801 s pass per batch, so every second
    // batch is followed by a rewrite (a kill during one is tested too).
    let mut clock = 0i64;
    let mut rewrite = PeriodicRewrite::new(
        clock,
        Box::new(Compact {
            path: PathBuf::from(path),
        }),
    );
    loop {
        for _ in 0..batch {
            j.stage(record(n).as_bytes(), n).expect("stage");
            n += 1;
        }
        // As the event loop: a turn that commits checks the rewrite rule; a rewrite needs
        // everything on disk first (the synchronous flush), other turns hand the batch over.
        clock += 1801;
        let due = rewrite.due(&j, clock);
        if due || batch % 16 == 0 {
            for done in j.flush().expect("flush") {
                writeln!(std::io::stdout(), "{done}").expect("report");
            }
            if due {
                rewrite.run(&mut j, clock).expect("periodic rewrite");
            }
        } else {
            j.begin_flush(&waker).expect("begin_flush");
            while let Some(r) = j.poll_flush() {
                assert!(r.expect("batch").is_empty(), "all delivered by the writer");
            }
        }
        batch = batch % 64 + 1;
    }
}

/// The child's periodic rewrite: every complete record of the file, in number order.
struct Compact {
    path: PathBuf,
}

impl LeaseFileRewriter for Compact {
    fn rewrite(
        &mut self,
        _now: i64,
    ) -> Result<(dhcpd_sys::durable::AppendFile, Vec<String>), String> {
        let (complete, _torn) = read_back(&self.path);
        let mut keep: Vec<u64> = complete.into_iter().collect();
        keep.sort_unstable();
        let text: String = keep.iter().map(|&k| record(k)).collect();
        let mut backup = self.path.as_os_str().to_owned();
        backup.push("~");
        let file =
            dhcpd_sys::durable::replace(&self.path, text.as_bytes(), Some(Path::new(&backup)))
                .map_err(|e| e.to_string())?;
        Ok((file, Vec::new()))
    }
}

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn kill_9_never_loses_a_confirmed_lease() {
    let dir = std::env::temp_dir().join(format!("dhcpd-journal-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("dhcpd.leases");
    let _ = std::fs::remove_file(&path);
    let exe = std::env::current_exe().expect("test binary");
    let mut confirmed: HashSet<u64> = HashSet::new();
    let mut next = 0u64;
    let mut seed = 0x5eed_u64;
    let started = Instant::now();
    for round in 0..200 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "crash test too slow"
        );
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "journal_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}|{next}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            for line in BufReader::new(stdout).lines() {
                match line.ok().and_then(|l| l.trim().parse::<u64>().ok()) {
                    Some(n) => got.push(n),
                    None => continue,
                }
            }
            got
        });
        std::thread::sleep(Duration::from_micros(2_000 + lcg(&mut seed) % 30_000));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let reported = reader.join().expect("reader");
        let (on_disk, torn) = read_back(&path);
        for n in &reported {
            assert!(
                on_disk.contains(n),
                "round {round}: lease {n} was reported durable but is not in the file"
            );
        }
        confirmed.extend(reported);
        for n in &confirmed {
            assert!(on_disk.contains(n), "round {round}: older lease {n} lost");
        }
        // The next child appends after whatever is there; a torn tail is left as a crash
        // leaves it (the lease reader skips it), and new numbers continue after every number
        // that may have reached the file.
        let _ = torn;
        next = on_disk.iter().max().map_or(next, |m| m + 1).max(next) + 1000;
    }
    eprintln!(
        "crash test: 200 kills, {} leases confirmed, none lost",
        confirmed.len()
    );
    assert!(
        confirmed.len() > 200,
        "the child confirmed too little to mean anything"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tmpfs of a few pages, unmounted on drop.
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(bytes: usize) -> TinyDisk {
        let dir = std::env::temp_dir().join(format!("dhcpd-journal-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes}"),
                "dhcpd-test",
                dir.to_str().expect("utf8"),
            ])
            .status()
            .expect("run mount (the test needs root)");
        assert!(st.success(), "mounting a tmpfs needs root");
        TinyDisk(dir)
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn full_disk_stops_acks_and_keeps_what_was_confirmed() {
    let disk = TinyDisk::mount(64 * 1024);
    let path = disk.0.join("dhcpd.leases");
    let mut j: Journal<u64> = Journal::open(&path).expect("open");
    let mut confirmed = Vec::new();
    let mut n = 0u64;
    let err = loop {
        for _ in 0..7 {
            j.stage(record(n).as_bytes(), n)
                .expect("stage before the failure");
            n += 1;
        }
        match j.flush() {
            Ok(done) => confirmed.extend(done),
            Err(e) => break e,
        }
        assert!(n < 100_000, "a 64 KiB disk never filled up");
    };
    match &err {
        JournalError::Io(e) => assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}"),
        JournalError::Stopped => panic!("first error must be the I/O error"),
    }
    assert!(j.is_failed());
    assert!(matches!(j.stage(b"x", 0), Err(JournalError::Stopped)));
    let (on_disk, _torn) = read_back(&path);
    for c in &confirmed {
        assert!(
            on_disk.contains(c),
            "confirmed lease {c} lost on a full disk"
        );
    }
    assert!(confirmed.len() > 50);
}
