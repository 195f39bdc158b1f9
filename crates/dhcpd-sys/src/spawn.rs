//! Starting `execute` commands without waiting for them, and reaping them later without
//! blocking (the event loop calls [`Children::reap`] on each turn).

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};

/// Commands started and not yet reaped.
#[derive(Debug, Default)]
pub struct Children {
    running: Vec<(String, Child)>,
}

/// A command that ended with a nonzero wait status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The command (argv\[0\]), as given.
    pub command: String,
    /// The raw wait status (what ISC prints: `exit 1` is 256).
    pub status: i32,
}

impl Children {
    /// No children.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many started commands have not been reaped yet.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether every started command has been reaped.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Starts `command` (looked up through `PATH` like `execvp`) with `args`; argv\[0\] is
    /// `command`. Returns at once; the error is the one of the fork or exec.
    pub fn spawn(&mut self, command: &[u8], args: &[Vec<u8>]) -> io::Result<()> {
        let child = Command::new(OsStr::from_bytes(command))
            .args(args.iter().map(|a| OsStr::from_bytes(a)))
            .spawn()?;
        self.running
            .push((String::from_utf8_lossy(command).into_owned(), child));
        Ok(())
    }

    /// Reaps every child that has ended (never blocks) and returns those that failed.
    pub fn reap(&mut self) -> Vec<Failed> {
        let mut failed = Vec::new();
        self.running
            .retain_mut(|(command, child)| match child.try_wait() {
                Ok(None) => true,
                Ok(Some(st)) => {
                    let status = st.into_raw();
                    if status != 0 {
                        failed.push(Failed {
                            command: command.clone(),
                            status,
                        });
                    }
                    false
                }
                // Already reaped elsewhere (or SIGCHLD ignored): nothing left to wait for.
                Err(_) => false,
            });
        failed
    }
}

/// An error as C's `%m` prints it (`No such file or directory`), without Rust's
/// ` (os error N)` suffix.
pub fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn reap_all(c: &mut Children) -> Vec<Failed> {
        let start = Instant::now();
        let mut out = Vec::new();
        while !c.is_empty() && start.elapsed() < Duration::from_secs(10) {
            out.extend(c.reap());
            std::thread::sleep(Duration::from_millis(10));
        }
        out
    }

    #[test]
    fn success_and_failure_statuses() {
        let mut c = Children::new();
        c.spawn(b"/bin/sh", &[b"-c".to_vec(), b"exit 0".to_vec()])
            .expect("spawn");
        c.spawn(b"/bin/sh", &[b"-c".to_vec(), b"exit 3".to_vec()])
            .expect("spawn");
        let failed = reap_all(&mut c);
        assert!(c.is_empty());
        assert_eq!(
            failed,
            [Failed {
                command: "/bin/sh".into(),
                status: 3 << 8
            }]
        );
    }

    #[test]
    fn missing_program_is_an_error() {
        let mut c = Children::new();
        let e = c
            .spawn(b"/nonexistent/dhcpd-rs-test", &[])
            .expect_err("no such program");
        assert_eq!(strerror(&e), "No such file or directory");
        assert!(c.is_empty());
    }
}
