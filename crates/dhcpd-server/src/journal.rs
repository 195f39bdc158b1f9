//! The lease journal: every committed lease is appended to `dhcpd.leases`, and whatever
//! depends on it (a DHCPACK, a failover BNDACK) is released only after the append is on disk.
//!
//! Group commit: during one turn of the event loop the server [`stage`](Journal::stage)s every
//! record it commits, each with the replies that wait for it; at the end of the turn
//! [`flush`](Journal::flush) writes them all and calls `fdatasync` **once**, then hands back
//! every waiter whose record is durable. Many ACKs share one fsync; none skips it.
//!
//! Pipelined mode (what the event loop uses): [`begin_flush`](Journal::begin_flush) hands the
//! staged batch, with its waiters, to a writer thread. The writer takes every batch queued
//! by then, appends them with one write, calls `fdatasync` once, and only then releases
//! their waiters: they go, all at once, to the *deliver* function ([`Journal::set_deliver`]) on the
//! writer thread itself (the server sends a DHCPACK right there), and whatever that function
//! hands back, or every waiter when there is none, goes back to the loop, which the writer
//! wakes for it and collects with [`poll_flush`](Journal::poll_flush). Meanwhile the loop
//! keeps reading packets, sends replies that wait for nothing (OFFERs) and stages the next
//! batch, so a slow disk no longer stops the sockets from being read (a 5-30 ms fdatasync at
//! 10,000 packets/s would overflow the socket buffers), and when every waiter is delivered
//! by the writer the loop is not woken at all: one thread hand-off per batch. No waiter is
//! released before the sync of its record succeeded, exactly as with [`flush`].
//! [`flush`](Journal::flush) waits for everything handed over, then syncs the rest itself.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// What the writer thread does with the waiters of a durable batch (all of them at once, in
/// staging order, so that it can send their replies together): it delivers what it can there
/// and then, and returns the rest, which go back to the event loop.
pub type Deliver<W> = Arc<dyn Fn(Vec<W>) -> Vec<W> + Send + Sync>;

/// State shared with the writer thread.
#[derive(Debug, Default)]
struct Shared {
    failed: AtomicBool,
    /// Batches the writer thread has finished with (synced, failed or refused).
    finished: AtomicU64,
    records: AtomicU64,
    syncs: AtomicU64,
    bytes: AtomicU64,
}

impl Shared {
    fn count(&self, records: u64, bytes: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// A batch for the writer thread: the bytes, their waiters, and whom to wake for what comes
/// back.
struct Job<W> {
    bytes: Vec<u8>,
    waiters: Vec<W>,
    records: u64,
    waker: Option<Arc<mio::Waker>>,
}

/// What the writer hands back: waiters for the loop, or the error that stopped the journal.
type Done<W> = Result<Vec<W>, io::Error>;

/// The longest the writer waits for more records before a sync when it is busy (see
/// [`BUSY`]): a DHCPACK leaves up to this much later, and under load many of them share each
/// fdatasync (at 4,000 ACKs/s about 16 instead of 2-3 with a 2 ms wait; each fdatasync costs
/// two disk writes, the data and the inode's new size). Busy or not, no ACK leaves before its
/// sync.
const COMMIT_DELAY: Duration = Duration::from_millis(4);

/// Records one sync should share: at rates where [`COMMIT_DELAY`] would gather more, the
/// writer waits only as long as this many take to arrive, so that the burst of DHCPACKs sent
/// after the sync stays small enough for a relay's or client's socket buffer.
const SYNC_RECORDS: u64 = 32;

/// The writer counts as busy when its previous batch began less than this long ago.
const BUSY: Duration = Duration::from_millis(10);

/// The writer's estimate of the commit rate, from batch to batch.
#[derive(Debug, Default)]
struct CommitRate {
    last_batch: Option<Instant>,
    /// Records of the batch that began at `last_batch`.
    last_records: u64,
    /// Records per second, smoothed.
    per_s: f64,
}

impl CommitRate {
    /// A batch begins now; returns how long to wait for more records before its sync.
    fn delay(&mut self, now: Instant) -> Duration {
        let busy_since = self
            .last_batch
            .map(|t| now.saturating_duration_since(t))
            .filter(|d| *d < BUSY);
        self.last_batch = Some(now);
        let Some(gap) = busy_since else {
            self.per_s = 0.0;
            return Duration::ZERO;
        };
        let sample = self.last_records as f64 / gap.as_secs_f64().max(1e-4);
        self.per_s = if self.per_s == 0.0 {
            sample
        } else {
            0.75 * self.per_s + 0.25 * sample
        };
        let fill = Duration::from_secs_f64(SYNC_RECORDS as f64 / self.per_s.max(1.0));
        fill.min(COMMIT_DELAY)
    }

    /// The batch that began last holds `records`.
    fn taken(&mut self, records: u64) {
        self.last_records = records;
    }
}

/// The writer thread and its channels.
struct Writer<W> {
    jobs: Sender<Job<W>>,
    done: Receiver<Done<W>>,
    thread: JoinHandle<AppendFile>,
}

fn writer_thread<W>(
    mut file: AppendFile,
    jobs: Receiver<Job<W>>,
    done: Sender<Done<W>>,
    shared: Arc<Shared>,
    deliver: Option<Deliver<W>>,
) -> AppendFile {
    let mut rate = CommitRate::default();
    // Ends when the journal drops its sender (after the queued jobs are done).
    while let Ok(first) = jobs.recv() {
        // Busy (the previous batch began less than BUSY ago): give the loop up to
        // COMMIT_DELAY to stage more records, so that they share this sync. The loop does not
        // wake a writer that sleeps here (it is not waiting on the channel).
        let pause = rate.delay(Instant::now());
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        // Everything queued while the previous sync ran, or meanwhile, shares this one.
        let mut batch = vec![first];
        while let Ok(j) = jobs.try_recv() {
            batch.push(j);
        }
        if shared.failed.load(Ordering::Acquire) {
            // Stopped by an earlier error (already reported): nothing is written or released.
            shared
                .finished
                .fetch_add(batch.len() as u64, Ordering::Release);
            continue;
        }
        let taken = batch.len() as u64;
        let waker = batch.iter().rev().find_map(|j| j.waker.clone());
        let records: u64 = batch.iter().map(|j| j.records).sum();
        rate.taken(records);
        let mut bytes = Vec::new();
        let mut waiters = Vec::new();
        for j in batch {
            if bytes.is_empty() {
                bytes = j.bytes;
            } else {
                bytes.extend_from_slice(&j.bytes);
            }
            waiters.extend(j.waiters);
        }
        let back = match file.append(&bytes).and_then(|()| file.sync()) {
            Ok(()) => {
                shared.count(records, bytes.len() as u64);
                let back: Vec<W> = match &deliver {
                    Some(d) => d(waiters),
                    None => waiters,
                };
                shared.finished.fetch_add(taken, Ordering::Release);
                if back.is_empty() {
                    continue;
                }
                Ok(back)
            }
            Err(e) => {
                shared.failed.store(true, Ordering::Release);
                shared.finished.fetch_add(taken, Ordering::Release);
                Err(e)
            }
        };
        if done.send(back).is_err() {
            break;
        }
        if let Some(w) = waker {
            let _ = w.wake();
        }
    }
    file
}

/// The journal. `W` is whatever waits for a record: a reply to send, a BNDACK, a token.
pub struct Journal<W> {
    /// The file, unless the writer thread holds it.
    file: Option<AppendFile>,
    writer: Option<Writer<W>>,
    deliver: Option<Deliver<W>>,
    shared: Arc<Shared>,
    buf: Vec<u8>,
    waiting: Vec<W>,
    staged_records: u64,
    /// Batches handed to writer threads so far (compare `Shared::finished`).
    handed: u64,
}

impl<W> std::fmt::Debug for Journal<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("file", &self.file)
            .field("writer", &self.writer.is_some())
            .field("deliver", &self.deliver.is_some())
            .field("shared", &self.shared)
            .field("staged_bytes", &self.buf.len())
            .field("staged_waiters", &self.waiting.len())
            .finish()
    }
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
            deliver: None,
            shared: Arc::new(Shared::default()),
            buf: Vec::with_capacity(64 * 1024),
            waiting: Vec::new(),
            staged_records: 0,
            handed: 0,
        }
    }

    /// Sets what the writer thread does with the waiters of a durable batch (see
    /// [`Deliver`]); `None`: hand them all back to the loop. Takes effect with the next writer
    /// thread, i.e. after a [`flush`](Journal::flush).
    pub fn set_deliver(&mut self, deliver: Option<Deliver<W>>) {
        self.deliver = deliver;
    }

    /// Replaces the file after a successful rewrite; clears the failed state. Call it after
    /// [`flush`](Journal::flush): whatever the writer thread still hands back is dropped.
    pub fn reopen(&mut self, file: AppendFile) {
        let _ = self.stop_writer();
        self.file = Some(file);
        self.shared.failed.store(false, Ordering::Release);
    }

    /// Ends the writer thread (if any) once it has done every batch handed to it, taking the
    /// file back; returns what it handed back meanwhile, in order.
    fn stop_writer(&mut self) -> Vec<Done<W>> {
        let Some(w) = self.writer.take() else {
            return Vec::new();
        };
        drop(w.jobs);
        match w.thread.join() {
            Ok(file) => {
                if self.file.is_none() {
                    self.file = Some(file);
                }
            }
            Err(_) => self.shared.failed.store(true, Ordering::Release),
        }
        // A writer that died early finished nothing more: nothing is in flight any longer.
        self.handed = self.shared.finished.load(Ordering::Acquire);
        w.done.try_iter().collect()
    }

    fn clear_staged(&mut self) {
        self.buf.clear();
        self.waiting.clear();
        self.staged_records = 0;
    }

    /// Pipelined flush, step 1: hands everything staged to the writer thread (started on
    /// first use). Does nothing when nothing is staged. When the journal has stopped, the
    /// staged waiters are dropped and [`JournalError::Stopped`] is returned. The writer wakes
    /// `waker` only when it hands something back (see [`poll_flush`](Journal::poll_flush)).
    pub fn begin_flush(&mut self, waker: &Arc<mio::Waker>) -> Result<(), JournalError>
    where
        W: Send + 'static,
    {
        if self.buf.is_empty() && self.waiting.is_empty() {
            return Ok(());
        }
        if self.shared.failed.load(Ordering::Acquire) {
            self.clear_staged();
            return Err(JournalError::Stopped);
        }
        if self.writer.is_none() {
            let Some(file) = self.file.take() else {
                self.shared.failed.store(true, Ordering::Release);
                self.clear_staged();
                return Err(JournalError::Stopped);
            };
            let (jobs, job_rx) = channel();
            let (done_tx, done) = channel();
            let shared = self.shared.clone();
            let deliver = self.deliver.clone();
            let thread = std::thread::Builder::new()
                .name("lease-journal".into())
                .spawn(move || writer_thread(file, job_rx, done_tx, shared, deliver))
                .map_err(JournalError::Io)?;
            self.writer = Some(Writer { jobs, done, thread });
        }
        // The next turn's records likely take about as much room as this turn's did.
        let room = self.buf.len().max(1024);
        let job = Job {
            bytes: std::mem::replace(&mut self.buf, Vec::with_capacity(room)),
            waiters: std::mem::take(&mut self.waiting),
            records: std::mem::take(&mut self.staged_records),
            waker: Some(waker.clone()),
        };
        let sent = self
            .writer
            .as_ref()
            .is_some_and(|w| w.jobs.send(job).is_ok());
        if !sent {
            self.shared.failed.store(true, Ordering::Release);
            return Err(JournalError::Io(io::Error::other(
                "the lease-file writer thread has ended",
            )));
        }
        Ok(())
    }

    /// Pipelined flush, step 2: the next thing the writer thread handed back, if any: `Ok`
    /// with waiters of a durable batch that the deliver function did not take (in staging
    /// order), or `Err` when a write or sync failed (that batch's waiters are dropped and the
    /// journal stops). Call it until it returns `None`.
    pub fn poll_flush(&mut self) -> Option<Result<Vec<W>, JournalError>> {
        let r = match self.writer.as_ref()?.done.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                self.shared.failed.store(true, Ordering::Release);
                Err(io::Error::other("the lease-file writer thread has ended"))
            }
        };
        Some(r.map_err(JournalError::Io))
    }

    /// Whether the writer thread has batches it has not finished with (written and synced,
    /// or failed).
    pub fn in_flight(&self) -> bool {
        self.writer.is_some() && self.shared.finished.load(Ordering::Acquire) < self.handed
    }

    /// Whether an error has stopped the journal.
    pub fn is_failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Counters so far.
    pub fn stats(&self) -> JournalStats {
        JournalStats {
            records: self.shared.records.load(Ordering::Relaxed),
            syncs: self.shared.syncs.load(Ordering::Relaxed),
            bytes: self.shared.bytes.load(Ordering::Relaxed),
        }
    }

    /// Whether anything is staged.
    pub fn has_pending(&self) -> bool {
        !self.buf.is_empty() || !self.waiting.is_empty()
    }

    /// Stages one record (complete lease-file text) and what waits for it.
    pub fn stage(&mut self, record: &[u8], waiter: W) -> Result<(), JournalError> {
        if self.is_failed() {
            return Err(JournalError::Stopped);
        }
        self.buf.extend_from_slice(record);
        self.waiting.push(waiter);
        self.staged_records += 1;
        Ok(())
    }

    /// Stages a record nobody waits for (e.g. an expiry), made durable with the next flush.
    pub fn stage_unwaited(&mut self, record: &[u8]) -> Result<(), JournalError> {
        if self.is_failed() {
            return Err(JournalError::Stopped);
        }
        self.buf.extend_from_slice(record);
        self.staged_records += 1;
        Ok(())
    }

    /// Writes everything staged and syncs once. On success returns every waiter, in staging
    /// order, now free to proceed. On failure the waiters are dropped (their replies are never
    /// sent) and the journal stops. What was handed to the writer thread (pipelined mode) is
    /// waited for first, and what it hands back comes first.
    pub fn flush(&mut self) -> Result<Vec<W>, JournalError> {
        let mut released = Vec::new();
        for r in self.stop_writer() {
            match r {
                Ok(w) => released.extend(w),
                Err(e) => {
                    self.clear_staged();
                    return Err(JournalError::Io(e));
                }
            }
        }
        if self.buf.is_empty() && self.waiting.is_empty() {
            return Ok(released);
        }
        if self.is_failed() {
            self.clear_staged();
            return Err(JournalError::Stopped);
        }
        let Some(file) = self.file.as_mut() else {
            self.shared.failed.store(true, Ordering::Release);
            self.clear_staged();
            return Err(JournalError::Stopped);
        };
        let result = file.append(&self.buf).and_then(|()| file.sync());
        let waiters = std::mem::take(&mut self.waiting);
        let n = std::mem::take(&mut self.staged_records);
        let bytes = self.buf.len() as u64;
        self.buf.clear();
        match result {
            Ok(()) => {
                self.shared.count(n, bytes);
                released.extend(waiters);
                Ok(released)
            }
            Err(e) => {
                self.shared.failed.store(true, Ordering::Release);
                Err(JournalError::Io(e))
            }
        }
    }
}

impl<W> Drop for Journal<W> {
    fn drop(&mut self) {
        // The writer finishes what it was handed (a DHCPACK it delivers is durable).
        if let Some(w) = self.writer.take() {
            drop(w.jobs);
            let _ = w.thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_delay_is_zero_when_idle_and_shrinks_as_the_rate_grows() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = CommitRate::default();
        assert_eq!(r.delay(t0), Duration::ZERO, "first batch");
        r.taken(1);
        // The next batch 50 ms later: not busy.
        assert_eq!(r.delay(t0 + ms(50)), Duration::ZERO);
        r.taken(16);
        // 16 records in 4 ms (4,000/s): 32 would take 8 ms, so the longest delay.
        assert_eq!(r.delay(t0 + ms(54)), COMMIT_DELAY);
        // Steadily 80 records per 4 ms (20,000/s): 32 records take 1.6 ms.
        let mut t = t0 + ms(54);
        let mut d = Duration::ZERO;
        for _ in 0..40 {
            r.taken(80);
            t += ms(4);
            d = r.delay(t);
        }
        let us = d.as_micros();
        assert!((1550..=1650).contains(&us), "{us} us");
    }

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

    fn wait_result<W: Send + 'static>(j: &mut Journal<W>) -> Result<Vec<W>, JournalError> {
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
        // Staged while the first batch is with the writer: they go with a later batch.
        for i in 50..100 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        // Without a deliver function the writer hands every waiter back and wakes the loop.
        let mut events = mio::Events::with_capacity(4);
        poll.poll(&mut events, Some(std::time::Duration::from_secs(30)))
            .expect("poll");
        assert!(events.iter().any(|e| e.token() == mio::Token(7)), "woken");
        let first = wait_result(&mut j).expect("first batch");
        assert_eq!(first, (0..50).collect::<Vec<_>>());
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 50, "only the first batch is written");
        j.begin_flush(&waker).expect("second batch");
        for i in 100..110 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        // `flush` waits for what the writer was handed, then syncs the rest itself.
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
    fn the_writer_delivers_after_the_sync_and_hands_back_the_rest() {
        let dir = std::env::temp_dir().join(format!("dhcpd-journal-dlv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let _ = std::fs::remove_file(&path);
        let poll = mio::Poll::new().expect("poll");
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(7)).expect("waker"));
        // The deliver function records, for each waiter, how many records were on disk then.
        let seen = Arc::new(std::sync::Mutex::new(Vec::<(u32, usize)>::new()));
        let (seen2, path2) = (seen.clone(), path.clone());
        let mut j: Journal<u32> = Journal::open(&path).expect("open");
        j.set_deliver(Some(Arc::new(move |ws: Vec<u32>| {
            let on_disk = std::fs::read_to_string(&path2)
                .map(|t| t.lines().count())
                .unwrap_or(0);
            let mut back = Vec::new();
            for w in ws {
                if w % 10 == 0 {
                    back.push(w); // the loop's business
                } else if let Ok(mut s) = seen2.lock() {
                    s.push((w, on_disk));
                }
            }
            back
        })));
        let mut back = Vec::new();
        for round in 0..20u32 {
            for i in round * 5..round * 5 + 5 {
                j.stage(format!("lease {i}\n").as_bytes(), i)
                    .expect("stage");
            }
            j.begin_flush(&waker).expect("begin");
            while let Some(r) = j.poll_flush() {
                back.extend(r.expect("ok"));
            }
        }
        back.extend(j.flush().expect("flush"));
        assert_eq!(back, (0..100).filter(|w| w % 10 == 0).collect::<Vec<_>>());
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), 90);
        for (w, on_disk) in seen {
            assert!(
                on_disk > w as usize,
                "waiter {w} delivered with only {on_disk} records written"
            );
        }
        assert_eq!(j.stats().records, 100);
        assert!(j.stats().syncs <= 20);
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
