//! The periodic lease-file rewrite: without it the journal would grow forever.
//!
//! ISC dhcpd 4.4.3's rule (`commit_leases` in `server/db.c`): each time it commits lease
//! records to disk (so only when something was written since the last rewrite), if **more
//! than** an hour (3600 s) has passed since the last rewrite, it rewrites the whole lease
//! file: a new file
//! with every lease, `dhcpd.leases~` made a hard link to the old one, the new one renamed over
//! `dhcpd.leases`. The hour starts when the server starts (after its start-up rewrite), and
//! the clock is reset when a rewrite is *started*, whether it succeeds or not (a failed
//! rewrite is tried again an hour later, the server keeps appending to the old file).
//!
//! The rule is [`RewritePolicy`]: time comes in as an argument, so it is tested without
//! waiting an hour. The rewrite itself is the caller's [`LeaseFileRewriter`] (the binary
//! knows the configuration's pools and ISC's lease order). Durability: the caller flushes
//! the journal (every staged record durable in the old file) before [`PeriodicRewrite::run`];
//! the new file is written from the old one, fsynced, linked and renamed atomically (see
//! `dhcpd_sys::durable::NewFile`), so every lease an ACK was sent for is on disk in the old
//! file or the new one at every moment.

use dhcpd_sys::durable::AppendFile;

use crate::journal::Journal;

/// ISC's `LEASE_REWRITE_PERIOD`, in seconds.
pub const LEASE_REWRITE_PERIOD: i64 = 3600;

/// ISC's rule for when to rewrite: at a commit, more than `period` seconds after the last
/// rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewritePolicy {
    /// Seconds between rewrites ([`LEASE_REWRITE_PERIOD`]).
    pub period: i64,
    /// When the last rewrite started (ISC's `write_time`), Unix seconds.
    pub write_time: i64,
}

impl RewritePolicy {
    /// The rule as ISC has it, counting from `now` (the start-up rewrite).
    pub fn new(now: i64) -> Self {
        RewritePolicy {
            period: LEASE_REWRITE_PERIOD,
            write_time: now,
        }
    }

    /// Whether records being committed at `now` (`committing`: the journal has records staged
    /// or on their way to disk) call for a rewrite. Turns without a commit never do, as in
    /// ISC, where only `commit_leases` checks the rule.
    pub fn due(&self, now: i64, committing: bool) -> bool {
        committing && now.saturating_sub(self.write_time) > self.period
    }

    /// A rewrite starts at `now` (ISC resets its clock before it knows whether the rewrite
    /// works).
    pub fn started(&mut self, now: i64) {
        self.write_time = now;
    }
}

/// Writes a complete new lease file from the current one, durably, and hands back the new
/// file open for appending, with the lines to log (ISC's `Wrote N leases to leases file.`).
pub trait LeaseFileRewriter {
    /// Rewrites at `now` (Unix seconds). `Err` carries the message to log; the old file is
    /// then left in place and still in use.
    fn rewrite(&mut self, now: i64) -> Result<(AppendFile, Vec<String>), String>;
}

/// The policy and the rewriter, as the event loop holds them.
pub struct PeriodicRewrite {
    /// When.
    pub policy: RewritePolicy,
    /// How.
    pub rewriter: Box<dyn LeaseFileRewriter + Send>,
}

impl std::fmt::Debug for PeriodicRewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodicRewrite")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl PeriodicRewrite {
    /// ISC's rule from `now`, carried out by `rewriter`.
    pub fn new(now: i64, rewriter: Box<dyn LeaseFileRewriter + Send>) -> Self {
        PeriodicRewrite {
            policy: RewritePolicy::new(now),
            rewriter,
        }
    }

    /// Whether the journal's commits at `now` call for a rewrite.
    pub fn due<W>(&self, journal: &Journal<W>, now: i64) -> bool {
        self.policy
            .due(now, journal.has_pending() || journal.in_flight())
    }

    /// Rewrites the file and moves the journal onto the new one. The caller must have
    /// flushed the journal first (nothing staged, nothing in flight): the new file is made
    /// from what is on disk. Returns the lines to log; `Err` the error to log (the journal
    /// then goes on appending to the old file).
    pub fn run<W>(&mut self, journal: &mut Journal<W>, now: i64) -> Result<Vec<String>, String> {
        if journal.has_pending() || journal.in_flight() {
            return Err("lease file rewrite skipped: records not yet on disk".to_string());
        }
        self.policy.started(now);
        let (file, log) = self.rewriter.rewrite(now)?;
        journal.reopen(file);
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isc_rule_a_commit_more_than_an_hour_after_the_last_rewrite() {
        let mut p = RewritePolicy::new(1_000);
        // No commit: never.
        assert!(!p.due(1_000 + 10_000, false));
        // A commit, but exactly an hour is not more than an hour.
        assert!(!p.due(1_000 + 3_600, true));
        assert!(p.due(1_000 + 3_601, true));
        p.started(4_601);
        // The clock restarts.
        assert!(!p.due(4_601 + 3_600, true));
        assert!(p.due(4_601 + 3_601, true));
        // A clock stepped backwards never triggers.
        assert!(!p.due(0, true));
    }

    struct Fake {
        dir: std::path::PathBuf,
        calls: Vec<i64>,
        fail: bool,
    }

    impl LeaseFileRewriter for Fake {
        fn rewrite(&mut self, now: i64) -> Result<(AppendFile, Vec<String>), String> {
            self.calls.push(now);
            if self.fail {
                return Err("Can't create new lease file: No space left on device".into());
            }
            let path = self.dir.join("dhcpd.leases");
            let old = std::fs::read(&path).map_err(|e| e.to_string())?;
            let lines = old.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
            let f = dhcpd_sys::durable::replace(
                &path,
                format!("compacted {lines}\n").as_bytes(),
                Some(&self.dir.join("dhcpd.leases~")),
            )
            .map_err(|e| e.to_string())?;
            Ok((f, vec![format!("Wrote {lines} leases to leases file.")]))
        }
    }

    #[test]
    fn the_journal_moves_to_the_new_file_and_keeps_the_old_as_backup() {
        let dir = std::env::temp_dir().join(format!("dhcpd-rewrite-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let mut j: Journal<u32> = Journal::open(&path).expect("open");
        let fake = Fake {
            dir: dir.clone(),
            calls: Vec::new(),
            fail: false,
        };
        let mut rw = PeriodicRewrite::new(100, Box::new(fake));
        for i in 0..3 {
            j.stage(format!("lease {i}\n").as_bytes(), i)
                .expect("stage");
        }
        assert!(!rw.due(&j, 3_700), "not yet an hour");
        assert!(rw.due(&j, 3_701), "staged records count");
        assert!(rw.run(&mut j, 3_701).is_err(), "refused before a flush");
        assert_eq!(j.flush().expect("flush"), vec![0, 1, 2]);
        let log = rw.run(&mut j, 3_701).expect("rewrite");
        assert_eq!(log, vec!["Wrote 3 leases to leases file.".to_string()]);
        assert_eq!(
            std::fs::read_to_string(dir.join("dhcpd.leases~")).expect("backup"),
            "lease 0\nlease 1\nlease 2\n"
        );
        // Later records go to the new file.
        j.stage(b"lease 3\n", 3).expect("stage");
        assert!(!rw.due(&j, 3_701 + 3_600));
        assert!(rw.due(&j, 3_701 + 3_601));
        assert_eq!(j.flush().expect("flush"), vec![3]);
        assert_eq!(
            std::fs::read_to_string(&path).expect("new"),
            "compacted 3\nlease 3\n"
        );
        assert!(!rw.due(&j, 3_701 + 3_601), "nothing being committed");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_rewrite_keeps_the_old_file_and_waits_another_hour() {
        let dir = std::env::temp_dir().join(format!("dhcpd-rewrite-fail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let mut j: Journal<u32> = Journal::open(&path).expect("open");
        let fake = Fake {
            dir: dir.clone(),
            calls: Vec::new(),
            fail: true,
        };
        let mut rw = PeriodicRewrite::new(0, Box::new(fake));
        j.stage(b"lease 0\n", 0).expect("stage");
        assert!(rw.due(&j, 4_000));
        j.flush().expect("flush");
        assert!(rw.run(&mut j, 4_000).is_err());
        j.stage(b"lease 1\n", 1).expect("stage");
        assert!(!rw.due(&j, 4_001), "the clock restarted");
        assert_eq!(j.flush().expect("flush"), vec![1]);
        assert_eq!(
            std::fs::read_to_string(&path).expect("old"),
            "lease 0\nlease 1\n"
        );
        assert!(!dir.join("dhcpd.leases~").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
