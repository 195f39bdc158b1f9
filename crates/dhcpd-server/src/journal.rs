//! The lease journal: every committed lease is appended to `dhcpd.leases`, and whatever
//! depends on it (a DHCPACK, a failover BNDACK) is released only after the append is on disk.
//!
//! Group commit: during one turn of the event loop the server [`stage`](Journal::stage)s every
//! record it commits, each with the replies that wait for it; at the end of the turn
//! [`flush`](Journal::flush) writes them all and calls `fdatasync` **once**, then hands back
//! every waiter whose record is durable. Many ACKs share one fsync; none skips it.
//!
//! A write or sync error (disk full, I/O error) puts the journal in the failed state: the
//! records of that batch are not confirmed (their replies are never sent), every later
//! `stage` is refused, and the error is returned so the server can log it loudly. Bytes
//! already on disk are never rewritten by the journal, so nothing durable is damaged; a
//! partial record at the end of the file (from a crash or a full disk) is ignored by the
//! lease-file reader, as ISC's is.

use std::io;
use std::path::Path;

use dhcpd_sys::durable::AppendFile;

/// Why the journal refuses to confirm commits.
#[derive(Debug)]
pub enum JournalError {
    /// The file could not be written or synced; the error is the operating system's.
    Io(io::Error),
    /// An earlier error stopped the journal; it stays stopped until the server rewrites the
    /// lease file successfully (or restarts).
    Stopped,
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Io(e) => write!(f, "lease file write failed: {e}"),
            JournalError::Stopped => {
                f.write_str("lease file writes are stopped after an earlier error")
            }
        }
    }
}

impl std::error::Error for JournalError {}

/// Counters for benchmarks and the status log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Records made durable.
    pub records: u64,
    /// fdatasync calls.
    pub syncs: u64,
    /// Bytes appended.
    pub bytes: u64,
}

/// The journal. `W` is whatever waits for a record: a reply to send, a BNDACK, a token.
#[derive(Debug)]
pub struct Journal<W> {
    file: AppendFile,
    buf: Vec<u8>,
    waiting: Vec<W>,
    staged_records: u64,
    failed: bool,
    stats: JournalStats,
}

impl<W> Journal<W> {
    /// Opens the journal on the lease file (appending).
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self::from_file(AppendFile::open(path)?))
    }

    /// Uses an already open lease file (after a rewrite).
    pub fn from_file(file: AppendFile) -> Self {
        Journal {
            file,
            buf: Vec::with_capacity(64 * 1024),
            waiting: Vec::new(),
            staged_records: 0,
            failed: false,
            stats: JournalStats::default(),
        }
    }

    /// Replaces the file after a successful rewrite; clears the failed state.
    pub fn reopen(&mut self, file: AppendFile) {
        self.file = file;
        self.failed = false;
    }

    /// Whether an error has stopped the journal.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Counters so far.
    pub fn stats(&self) -> JournalStats {
        self.stats
    }

    /// Whether anything is staged.
    pub fn has_pending(&self) -> bool {
        !self.buf.is_empty() || !self.waiting.is_empty()
    }

    /// Stages one record (complete lease-file text) and what waits for it.
    pub fn stage(&mut self, record: &[u8], waiter: W) -> Result<(), JournalError> {
        if self.failed {
            return Err(JournalError::Stopped);
        }
        self.buf.extend_from_slice(record);
        self.waiting.push(waiter);
        self.staged_records += 1;
        Ok(())
    }

    /// Stages a record nobody waits for (e.g. an expiry), made durable with the next flush.
    pub fn stage_unwaited(&mut self, record: &[u8]) -> Result<(), JournalError> {
        if self.failed {
            return Err(JournalError::Stopped);
        }
        self.buf.extend_from_slice(record);
        self.staged_records += 1;
        Ok(())
    }

    /// Writes everything staged and syncs once. On success returns every waiter, in staging
    /// order, now free to proceed. On failure the waiters are dropped (their replies are never
    /// sent) and the journal stops.
    pub fn flush(&mut self) -> Result<Vec<W>, JournalError> {
        if self.buf.is_empty() && self.waiting.is_empty() {
            return Ok(Vec::new());
        }
        if self.failed {
            self.buf.clear();
            self.waiting.clear();
            return Err(JournalError::Stopped);
        }
        let result = self.file.append(&self.buf).and_then(|()| self.file.sync());
        let waiters = std::mem::take(&mut self.waiting);
        let n = std::mem::take(&mut self.staged_records);
        let bytes = self.buf.len() as u64;
        self.buf.clear();
        match result {
            Ok(()) => {
                self.stats.records += n;
                self.stats.syncs += 1;
                self.stats.bytes += bytes;
                Ok(waiters)
            }
            Err(e) => {
                self.failed = true;
                Err(JournalError::Io(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_releases_waiters_after_one_sync() {
        let dir = std::env::temp_dir().join(format!("dhcpd-journal-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let _ = std::fs::remove_file(&path);
        let mut j: Journal<u32> = Journal::open(&path).expect("open");
        for i in 0..100 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        assert!(
            std::fs::read(&path).expect("read").is_empty(),
            "nothing before flush"
        );
        let released = j.flush().expect("flush");
        assert_eq!(released, (0..100).collect::<Vec<_>>());
        assert_eq!(j.stats().syncs, 1);
        assert_eq!(j.stats().records, 100);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 100);
        assert!(j.flush().expect("empty flush").is_empty());
        assert_eq!(j.stats().syncs, 1, "an empty flush does not sync");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
