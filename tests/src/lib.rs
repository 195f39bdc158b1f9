//! Helpers for dhcpd-rs's system tests: tests that run whole programs.
//!
//! * [`our_dhcpd`] finds our `dhcpd` binary (`DHCPD_RS_BIN`, else `target/release/dhcpd` or
//!   `target/debug/dhcpd` of this workspace) and fails naming what to build when there is none.
//! * [`isc_dhcpd`] finds the oracle, ISC dhcpd 4.4.3 (`ISC_DHCPD`, else `/usr/sbin/dhcpd`). When
//!   it is absent the test fails loudly, unless `DHCPD_RS_NO_ORACLE=1`: then it prints
//!   `ORACLE TESTS DID NOT RUN: ISC dhcpd not installed` and the caller returns.
//! * [`run_check`] runs `PROGRAM -4 -t -cf FILE` in a directory with a timeout, and
//!   [`first_positional_error`] reads the first `FILE line N: message` out of its output.
//! * [`TempDir`] is a scratch directory removed on drop; [`corpus_dir`] finds the shared corpus.
//!
//! The generator of random configurations used by the differential test is in [`confgen`].

pub mod confgen;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the workspace root when relative),
/// else `target/` in the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// Our `dhcpd` binary: `DHCPD_RS_BIN` when set, else the newer of `target/release/dhcpd` and
/// `target/debug/dhcpd`. Panics, naming the command to run, when none exists.
pub fn our_dhcpd() -> PathBuf {
    if let Some(p) = std::env::var_os("DHCPD_RS_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "DHCPD_RS_BIN={} does not exist: build it with `cargo build --release -p dhcpd` \
             (or unset DHCPD_RS_BIN to use target/{{release,debug}}/dhcpd)",
            p.display()
        );
        return p;
    }
    let target = target_dir();
    let candidates = [
        target.join("release").join("dhcpd"),
        target.join("debug").join("dhcpd"),
    ];
    let newest = candidates
        .iter()
        .filter_map(|p| {
            let m = fs::metadata(p).ok()?.modified().ok()?;
            Some((m, p.clone()))
        })
        .max_by_key(|(m, _)| *m)
        .map(|(_, p)| p);
    match newest {
        Some(p) => p,
        None => panic!(
            "our dhcpd binary was not found (looked at DHCPD_RS_BIN, {} and {}): build it first \
             with `cargo build -p dhcpd` (or `cargo build --release -p dhcpd`), or run \
             scripts/test.sh, which builds it",
            candidates[0].display(),
            candidates[1].display()
        ),
    }
}

/// The oracle, ISC dhcpd: `ISC_DHCPD` when set, else `/usr/sbin/dhcpd`.
///
/// Returns `None` only when it is absent **and** `DHCPD_RS_NO_ORACLE=1`; then it has printed
/// `ORACLE TESTS DID NOT RUN: ISC dhcpd not installed` and the caller must return. When it is
/// absent otherwise, it panics: a missing oracle must never look like a passing test.
pub fn isc_dhcpd() -> Option<PathBuf> {
    let path = std::env::var_os("ISC_DHCPD")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/dhcpd"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("DHCPD_RS_NO_ORACLE").as_deref() == Ok("1") {
        println!("ORACLE TESTS DID NOT RUN: ISC dhcpd not installed");
        eprintln!("ORACLE TESTS DID NOT RUN: ISC dhcpd not installed");
        return None;
    }
    panic!(
        "ISC dhcpd (the oracle) not found at {}: install it (bash scripts/install-test-deps.sh, \
         package isc-dhcp-server), point ISC_DHCPD at it, or set DHCPD_RS_NO_ORACLE=1 to skip \
         the oracle tests explicitly",
        path.display()
    );
}

/// The shared corpus: `DHCPD_RS_CORPUS`, else `../shared/corpus` beside the repository.
/// Panics, naming the path, when it has no `conf/` directory.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("DHCPD_RS_CORPUS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/corpus"));
    assert!(
        dir.join("conf").is_dir(),
        "the shared corpus is missing: {} has no conf/ (set DHCPD_RS_CORPUS)",
        dir.display()
    );
    dir
}

/// A scratch directory under the system temporary directory, removed (with its contents) when
/// dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh, empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("{prefix}-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Copies the directory tree `src` into `dst` (created when missing), files and directories only.
pub fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(&entry.path(), &to)?;
        } else if ty.is_file() {
            fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// What one run of a program printed and how it ended.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The exit code; `None` when killed by a signal (a crash) or by the timeout.
    pub code: Option<i32>,
    /// Whether the timeout killed it.
    pub timed_out: bool,
    /// Standard output and standard error, interleaved in the order they were written.
    pub output: String,
}

impl RunResult {
    /// Whether the program accepted the configuration (exit status 0).
    pub fn accepted(&self) -> bool {
        self.code == Some(0)
    }

    /// A short description of how it ended: `exit 0`, `exit 1`, `killed by a signal`, `timed out`.
    pub fn status_text(&self) -> String {
        match (self.code, self.timed_out) {
            (_, true) => "timed out".to_string(),
            (Some(c), false) => format!("exit {c}"),
            (None, false) => "killed by a signal".to_string(),
        }
    }
}

/// Runs `program -4 -t -cf FILE` with `cwd` as the working directory, killing it after
/// `timeout`. Standard input is empty; the environment is inherited.
pub fn run_check(
    program: &Path,
    cwd: &Path,
    file: &str,
    timeout: Duration,
) -> std::io::Result<RunResult> {
    run_with_args(program, cwd, &["-4", "-t", "-cf", file], timeout)
}

/// Runs `program ARGS…` with `cwd` as the working directory, killing it after `timeout`.
pub fn run_with_args(
    program: &Path,
    cwd: &Path,
    args: &[&str],
    timeout: Duration,
) -> std::io::Result<RunResult> {
    // One file for both streams keeps the order in which the program wrote its lines.
    let scratch = TempDir::new("dhcpd-rs-run")?;
    let out_path = scratch.path().join("output");
    let out = fs::File::create(&out_path)?;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(out))
        .spawn()?;
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut bytes = Vec::new();
    fs::File::open(&out_path)?.read_to_end(&mut bytes)?;
    Ok(RunResult {
        code: if timed_out { None } else { status.code() },
        timed_out,
        output: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A positional error as ISC prints it: `FILE line N: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionalError {
    /// The file name as printed.
    pub file: String,
    /// The line number.
    pub line: u32,
    /// The message after `: `.
    pub message: String,
    /// The source line printed under it (empty when absent).
    pub source: String,
}

/// Splits `FILE line N: message` into its parts; `None` for any other line.
pub fn split_positional(line: &str) -> Option<(String, u32, String)> {
    let idx = line.find(" line ")?;
    let (file, rest) = (&line[..idx], &line[idx + 6..]);
    let colon = rest.find(": ")?;
    let n: u32 = rest[..colon].parse().ok()?;
    Some((file.to_string(), n, rest[colon + 2..].to_string()))
}

/// The first `FILE line N: message` line of a program's output whose FILE is `file` (the name
/// given with `-cf`), with the source line printed after it.
pub fn first_positional_error(output: &str, file: &str) -> Option<PositionalError> {
    let mut lines = output.lines();
    while let Some(l) = lines.next() {
        if let Some((f, line, message)) = split_positional(l)
            && f == file
        {
            return Some(PositionalError {
                file: f,
                line,
                message,
                source: lines.next().unwrap_or("").to_string(),
            });
        }
    }
    None
}

/// ISC's banner lines and the other lines that are never an error, for [`first_message`].
fn is_noise(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("Internet Systems Consortium DHCP Server")
        || l.starts_with("Copyright ")
        || l == "All rights reserved."
        || l.starts_with("For info, please visit")
        || l.starts_with("dhcpd-rs ")
        || l.starts_with("Free Software under the GNU GPL")
        || l.starts_with("See docs/compatibility.md")
        || l.starts_with("Config file:")
        || l.starts_with("Database file:")
        || l.starts_with("PID file:")
        || l.starts_with("WARNING")
        || l.starts_with("Warning")
}

/// The first line of a program's output that is neither banner nor warning: the first error
/// message for a rejected configuration (positional or not). Used for reports only.
pub fn first_message(output: &str) -> Option<String> {
    output
        .lines()
        .find(|l| !is_noise(l))
        .map(|l| l.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_errors_are_found_after_banner_and_warnings() {
        let out = "Internet Systems Consortium DHCP Server 4.4.3-P1\nCopyright 2004-2022 Internet Systems Consortium.\nAll rights reserved.\nFor info, please visit https://www.isc.org/software/dhcp/\nWARNING: Host declarations are global.\nother.conf line 2: not this one\nx\n^\ndhcpd.conf line 9: semicolon expected.\n  range 1 2\n  ^\n";
        let e = first_positional_error(out, "dhcpd.conf").expect("an error");
        assert_eq!(e.line, 9);
        assert_eq!(e.message, "semicolon expected.");
        assert_eq!(e.source, "  range 1 2");
        assert_eq!(
            first_message(out).as_deref(),
            Some("other.conf line 2: not this one")
        );
        assert_eq!(
            first_positional_error("no error here\n", "dhcpd.conf"),
            None
        );
    }

    #[test]
    fn split_positional_rejects_other_lines() {
        assert_eq!(
            split_positional("a.conf line 0: expecting a parameter or declaration"),
            Some((
                "a.conf".into(),
                0,
                "expecting a parameter or declaration".into()
            ))
        );
        assert_eq!(
            split_positional("bad range, address 1.2.3.4 not in subnet"),
            None
        );
        assert_eq!(split_positional("x line y: z"), None);
    }

    #[test]
    fn run_check_reports_exit_status_and_output() {
        let dir = TempDir::new("dhcpd-rs-selftest").expect("tempdir");
        let r = run_with_args(
            Path::new("/bin/sh"),
            dir.path(),
            &["-c", "echo out; echo err >&2; exit 3"],
            Duration::from_secs(5),
        )
        .expect("run /bin/sh");
        assert_eq!(r.code, Some(3));
        assert!(!r.accepted());
        assert!(r.output.contains("out\n") && r.output.contains("err\n"));
        let r = run_with_args(
            Path::new("/bin/sh"),
            dir.path(),
            &["-c", "sleep 5"],
            Duration::from_millis(100),
        )
        .expect("run /bin/sh");
        assert!(r.timed_out);
        assert_eq!(r.status_text(), "timed out");
    }
}
