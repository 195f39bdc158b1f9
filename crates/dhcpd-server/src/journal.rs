//! The lease journal: every committed lease is appended to `dhcpd.leases`, and whatever
//! depends on it (a DHCPACK, a failover BNDACK) is released only after the append is on disk.
//!
//! Group commit: during one turn of the event loop the server [`stage`](Journal::stage)s every
//! record it commits, each with the replies that wait for it; at the end of the turn
//! [`flush`](Journal::flush) writes them all and calls `fdatasync` **once**, then hands back
//! every waiter whose record is durable. Many ACKs share one fsync; none skips it.
//!
//! Pipelined mode (what the event loop uses): [`begin_flush`](Journal::begin_flush) hands the
//! staged batch to a writer thread, which appends it, calls `fdatasync` and wakes the loop;
//! [`poll_flush`](Journal::poll_flush) then returns the batch's waiters. Meanwhile the loop
//! keeps reading packets, sends replies that wait for nothing (OFFERs) and stages the next
//! batch, so a slow disk no longer stops the sockets from being read (a 5-30 ms fdatasync
//! at 10,000 packets/s would overflow the socket buffers). At most one batch is in flight;
//! its waiters are released only after its sync succeeded, exactly as with [`flush`].
//! [`flush`](Journal::flush) waits for the batch in flight, then syncs the rest.
//!
//! A write or sync error (disk full, I/O error) puts the journal in the failed state: the
//! records of that batch are not confirmed (their replies are never sent), every later
//! `stage` is refused, and the error is returned so the server can log it loudly. Bytes
//! already on disk are never rewritten by the journal, so nothing durable is damaged; a
//! partial record at the end of the file (from a crash or a full disk) is ignored by the
//! lease-file reader, as ISC's is.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;

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

/// A batch for the writer thread: the bytes, and whom to wake when they are durable.
enum Job {
    Batch(Vec<u8>, Option<Arc<mio::Waker>>),
}

/// The writer thread and its channels.
#[derive(Debug)]
struct Writer {
    jobs: Sender<Job>,
    done: Receiver<(io::Result<()>, Vec<u8>)>,
    thread: JoinHandle<AppendFile>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Batch(b, _) => write!(f, "Batch({} bytes)", b.len()),
        }
    }
}

fn writer_thread(
    mut file: AppendFile,
    jobs: Receiver<Job>,
    done: Sender<(io::Result<()>, Vec<u8>)>,
) -> AppendFile {
    // Ends when the journal drops its sender.
    while let Ok(Job::Batch(bytes, waker)) = jobs.recv() {
        let result = file.append(&bytes).and_then(|()| file.sync());
        if done.send((result, bytes)).is_err() {
            break;
        }
        if let Some(w) = waker {
            let _ = w.wake();
        }
    }
    file
}

/// A batch handed to the writer thread and not yet confirmed.
#[derive(Debug)]
struct InFlight<W> {
    waiters: Vec<W>,
    records: u64,
}

/// The journal. `W` is whatever waits for a record: a reply to send, a BNDACK, a token.
#[derive(Debug)]
pub struct Journal<W> {
    /// The file, unless the writer thread holds it.
    file: Option<AppendFile>,
    writer: Option<Writer>,
    in_flight: Option<InFlight<W>>,
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
            file: Some(file),
            writer: None,
            in_flight: None,
            buf: Vec::with_capacity(64 * 1024),
            waiting: Vec::new(),
            staged_records: 0,
            failed: false,
            stats: JournalStats::default(),
        }
    }

    /// Replaces the file after a successful rewrite; clears the failed state. Call it after
    /// [`flush`](Journal::flush): a batch still in flight is waited for and its waiters are
    /// dropped.
    pub fn reopen(&mut self, file: AppendFile) {
        let _ = self.wait_in_flight();
        self.stop_writer();
        self.file = Some(file);
        self.failed = false;
    }

    /// Ends the writer thread (if any), taking the file back.
    fn stop_writer(&mut self) {
        if let Some(w) = self.writer.take() {
            drop(w.jobs);
            if let Ok(file) = w.thread.join() {
                if self.file.is_none() {
                    self.file = Some(file);
                }
            }
        }
    }

    /// Whether a batch is with the writer thread.
    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Pipelined flush, step 1: hands everything staged to the writer thread (started on
    /// first use), which wakes `waker` once it is durable or failed. Does nothing while a
    /// batch is already in flight (the staged records go with the next one) or when nothing
    /// is staged. When the journal has stopped, the staged waiters are dropped and
    /// [`JournalError::Stopped`] is returned.
    pub fn begin_flush(&mut self, waker: &Arc<mio::Waker>) -> Result<(), JournalError> {
        if self.in_flight.is_some() || (self.buf.is_empty() && self.waiting.is_empty()) {
            return Ok(());
        }
        if self.failed {
            self.buf.clear();
            self.waiting.clear();
            self.staged_records = 0;
            return Err(JournalError::Stopped);
        }
        if self.writer.is_none() {
            let Some(file) = self.file.take() else {
                self.failed = true;
                return Err(JournalError::Stopped);
            };
            let (jobs, job_rx) = channel();
            let (done_tx, done) = channel();
            let thread = std::thread::Builder::new()
                .name("lease-journal".into())
                .spawn(move || writer_thread(file, job_rx, done_tx))
                .map_err(JournalError::Io)?;
            self.writer = Some(Writer { jobs, done, thread });
        }
        let bytes = std::mem::replace(&mut self.buf, Vec::with_capacity(64 * 1024));
        let sent = self
            .writer
            .as_ref()
            .is_some_and(|w| w.jobs.send(Job::Batch(bytes, Some(waker.clone()))).is_ok());
        let waiters = std::mem::take(&mut self.waiting);
        let records = std::mem::take(&mut self.staged_records);
        if !sent {
            self.failed = true;
            return Err(JournalError::Io(io::Error::other(
                "the lease-file writer thread has ended",
            )));
        }
        self.in_flight = Some(InFlight { waiters, records });
        Ok(())
    }

    /// Pipelined flush, step 2: the result of the batch in flight once the writer thread is
    /// done with it (`None` while it is still working or when nothing is in flight). `Ok`
    /// carries the batch's waiters, in staging order, now free to proceed; on `Err` they are
    /// dropped and the journal stops.
    pub fn poll_flush(&mut self) -> Option<Result<Vec<W>, JournalError>> {
        self.in_flight.as_ref()?;
        let r = match self.writer.as_ref()?.done.try_recv() {
            Ok(r) => Ok(r),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Err(()),
        };
        Some(self.finish(r))
    }

    /// Blocks until the batch in flight (if any) is done; its result, as `poll_flush`.
    fn wait_in_flight(&mut self) -> Option<Result<Vec<W>, JournalError>> {
        self.in_flight.as_ref()?;
        let r = self.writer.as_ref()?.done.recv().map_err(|_| ());
        Some(self.finish(r))
    }

    fn finish(&mut self, r: Result<(io::Result<()>, Vec<u8>), ()>) -> Result<Vec<W>, JournalError> {
        let Some(batch) = self.in_flight.take() else {
            return Ok(Vec::new());
        };
        match r {
            Ok((Ok(()), bytes)) => {
                self.stats.records += batch.records;
                self.stats.syncs += 1;
                self.stats.bytes += bytes.len() as u64;
                Ok(batch.waiters)
            }
            Ok((Err(e), _)) => {
                self.failed = true;
                Err(JournalError::Io(e))
            }
            Err(()) => {
                self.failed = true;
                Err(JournalError::Io(io::Error::other(
                    "the lease-file writer thread has ended",
                )))
            }
        }
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
    /// sent) and the journal stops. A batch in flight (pipelined mode) is waited for first
    /// and its waiters come first.
    pub fn flush(&mut self) -> Result<Vec<W>, JournalError> {
        let mut released = match self.wait_in_flight() {
            None => Vec::new(),
            Some(Ok(w)) => w,
            Some(Err(e)) => {
                self.buf.clear();
                self.waiting.clear();
                self.staged_records = 0;
                return Err(e);
            }
        };
        if self.buf.is_empty() && self.waiting.is_empty() {
            return Ok(released);
        }
        if self.failed {
            self.buf.clear();
            self.waiting.clear();
            self.staged_records = 0;
            return Err(JournalError::Stopped);
        }
        // The rest is written here, on this thread: take the file back from the writer.
        self.stop_writer();
        let Some(file) = self.file.as_mut() else {
            self.failed = true;
            return Err(JournalError::Stopped);
        };
        let result = file.append(&self.buf).and_then(|()| file.sync());
        let waiters = std::mem::take(&mut self.waiting);
        let n = std::mem::take(&mut self.staged_records);
        let bytes = self.buf.len() as u64;
        self.buf.clear();
        match result {
            Ok(()) => {
                self.stats.records += n;
                self.stats.syncs += 1;
                self.stats.bytes += bytes;
                released.extend(waiters);
                Ok(released)
            }
            Err(e) => {
                self.failed = true;
                Err(JournalError::Io(e))
            }
        }
    }
}

impl<W> Drop for Journal<W> {
    fn drop(&mut self) {
        self.stop_writer();
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

    fn wait_result<W>(j: &mut Journal<W>) -> Result<Vec<W>, JournalError> {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(r) = j.poll_flush() {
                return r;
            }
            assert!(
                std::time::Instant::now() < end,
                "the writer thread never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn pipelined_batches_release_waiters_only_after_their_sync() {
        let dir = std::env::temp_dir().join(format!("dhcpd-journal-pipe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let _ = std::fs::remove_file(&path);
        let mut poll = mio::Poll::new().expect("poll");
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(7)).expect("waker"));
        let mut j: Journal<u32> = Journal::open(&path).expect("open");
        for i in 0..50 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        j.begin_flush(&waker).expect("begin");
        assert!(j.in_flight());
        // Staged while the first batch is with the writer: they wait for the next batch.
        for i in 50..100 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        j.begin_flush(&waker).expect("a second begin is a no-op");
        // The writer wakes the loop once the batch is durable.
        let mut events = mio::Events::with_capacity(4);
        poll.poll(&mut events, Some(std::time::Duration::from_secs(30)))
            .expect("poll");
        assert!(events.iter().any(|e| e.token() == mio::Token(7)), "woken");
        let first = wait_result(&mut j).expect("first batch");
        assert_eq!(first, (0..50).collect::<Vec<_>>());
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 50, "only the first batch is written");
        assert!(!j.in_flight());
        j.begin_flush(&waker).expect("second batch");
        for i in 100..110 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        // `flush` waits for the batch in flight, then syncs the rest itself.
        let rest = j.flush().expect("flush");
        assert_eq!(rest, (50..110).collect::<Vec<_>>());
        assert_eq!(j.stats().syncs, 3);
        assert_eq!(j.stats().records, 110);
        let text = std::fs::read_to_string(&path).expect("read");
        let want: String = (0..110).map(|i| format!("lease {i}\n")).collect();
        assert_eq!(text, want);
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_pipelined_batch_releases_nothing_and_stops_the_journal() {
        // Every write to /dev/full fails with ENOSPC.
        let Ok(file) = AppendFile::open(Path::new("/dev/full")) else {
            return; // no /dev/full on this system
        };
        let poll = mio::Poll::new().expect("poll");
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(1)).expect("waker"));
        let mut j: Journal<u32> = Journal::from_file(file);
        j.stage(b"lease 1\n", 1).expect("stage");
        j.begin_flush(&waker).expect("begin");
        assert!(matches!(wait_result(&mut j), Err(JournalError::Io(_))));
        assert!(j.is_failed());
        assert!(matches!(
            j.stage(b"lease 2\n", 2),
            Err(JournalError::Stopped)
        ));
        assert_eq!(j.stats().syncs, 0);
    }
}
