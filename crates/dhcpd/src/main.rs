//! `dhcpd`: dhcpd-rs's server binary, with ISC dhcpd 4.4's command line.
//!
//! What works today: `-t` (check the configuration, with ISC's verdict and error positions).
//! Every other mode says plainly that it is not supported yet rather than pretending.

mod cli;
mod leasefile;
mod names;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use dhcpd_conf::{Loader, ParseOptions, parse_config};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Reads configuration files (and their includes) from the file system. Relative paths are
/// resolved against the current directory, as ISC does.
struct FsLoader;

/// The operating system's text for an I/O error, as ISC prints `strerror(errno)`: "No such
/// file or directory", "Permission denied".
fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Files at least this large are mapped rather than read (see `dhcpd_sys::mapped`): below it
/// copying costs next to nothing, and a mapping's only drawback (`SIGBUS` if the file is
/// truncated while it is parsed) is not worth taking.
const MAP_AT_LEAST: u64 = 1 << 20;

impl Loader for FsLoader {
    fn load(&mut self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| os_error_text(&e))
    }

    fn load_source(&mut self, path: &str) -> Result<dhcpd_conf::Source, String> {
        let file = std::fs::File::open(path).map_err(|e| os_error_text(&e))?;
        let large = file.metadata().is_ok_and(|m| m.len() >= MAP_AT_LEAST);
        if large && let Ok(Some(m)) = dhcpd_sys::mapped::MappedFile::map(&file) {
            return Ok(std::rc::Rc::new(m));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| os_error_text(&e))?;
        Ok(std::rc::Rc::new(bytes))
    }
}

/// Where the files are, after flags, environment and RHEL's defaults.
struct Paths {
    conf: String,
    leases: String,
    pid: String,
}

fn paths(a: &cli::Args) -> Paths {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (conf, leases, pid) = if a.v6 {
        (
            "/etc/dhcp/dhcpd6.conf",
            "/var/lib/dhcpd/dhcpd6.leases",
            "/var/run/dhcpd6.pid",
        )
    } else {
        (
            "/etc/dhcp/dhcpd.conf",
            "/var/lib/dhcpd/dhcpd.leases",
            "/var/run/dhcpd.pid",
        )
    };
    Paths {
        conf: a
            .cf
            .clone()
            .or_else(|| env("PATH_DHCPD_CONF"))
            .unwrap_or_else(|| conf.into()),
        leases: a
            .lf
            .clone()
            .or_else(|| env("PATH_DHCPD_DB"))
            .unwrap_or_else(|| leases.into()),
        pid: a
            .pf
            .clone()
            .or_else(|| env("PATH_DHCPD_PID"))
            .unwrap_or_else(|| pid.into()),
    }
}

fn banner(err: &mut impl Write) {
    let _ = writeln!(
        err,
        "dhcpd-rs {VERSION}, a drop-in replacement for ISC DHCP Server 4.4\n\
         Free Software under the GNU GPL, version 3 or later; no warranty.\n\
         See docs/compatibility.md for what differs from ISC dhcpd."
    );
}

fn fail(err: &mut impl Write, msg: &str) -> ExitCode {
    if !msg.is_empty() {
        let _ = writeln!(err, "{msg}");
    }
    let _ = writeln!(err, "\nexiting.");
    ExitCode::from(1)
}

fn not_supported(err: &mut impl Write, what: &str) -> ExitCode {
    fail(
        err,
        &format!(
            "{what} is not supported by this version of dhcpd-rs yet; only -t (check the \
             configuration) works. See docs/compatibility.md."
        ),
    )
}

/// The parsers recurse on nested blocks and expressions (bounded by
/// `dhcpd_conf::parser::MAX_NESTING`): run on a stack whose size does not depend on the
/// caller's `ulimit -s`. 64 MiB is reserved address space, not memory in use. The stack is
/// switched on the main thread rather than by spawning one: a second thread would allocate
/// from a glibc per-thread arena, which grows a page at a time with an `mprotect` call each
/// (a fifth of `dhcpd -t`'s time on a large configuration), where the main arena grows in
/// large steps.
fn main() -> ExitCode {
    stacker::grow(64 << 20, run)
}

fn run() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut err = std::io::stderr().lock();
    let args = match cli::parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            banner(&mut err);
            let _ = writeln!(err, "{e}\n{}", cli::USAGE);
            return fail(&mut err, "");
        }
    };
    if args.version {
        println!("dhcpd-rs-{VERSION} (compatible with isc-dhcpd-4.4.3-P1)");
        return ExitCode::SUCCESS;
    }
    if args.help {
        println!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    let control = args
        .control_socket
        .clone()
        .unwrap_or_else(|| serve::DEFAULT_CONTROL_SOCKET.to_string());
    if let Some(peer) = &args.partner_down {
        return serve::control_client(&control, &format!("partner-down {peer}"), &mut err);
    }
    if args.failover_status {
        return serve::control_client(&control, "status", &mut err);
    }
    let mut port: u16 = 67;
    if let Some(p) = args
        .port
        .as_ref()
        .or(std::env::var("DHCPD_PORT").ok().as_ref())
    {
        match p.parse::<u16>() {
            Ok(n) if n > 0 && n < u16::MAX => port = n,
            _ => return fail(&mut err, &format!("{p}: bad port number; give 1 to 65534")),
        }
    }
    for (set, flag) in [
        (args.tf.is_some(), "-tf (trace output)"),
        (args.play.is_some(), "-play (trace playback)"),
        (args.dhcp4o6.is_some(), "-4o6 (DHCPv4 over DHCPv6)"),
        (args.server.is_some(), "-s (send replies to another server)"),
    ] {
        if set {
            return not_supported(&mut err, flag);
        }
    }
    if !args.quiet {
        banner(&mut err);
    }
    let paths = paths(&args);
    let out = parse_config(&paths.conf, &mut FsLoader, ParseOptions { v6: args.v6 });
    for d in &out.diagnostics {
        let _ = writeln!(err, "{d}");
    }
    if out.has_errors() {
        let positional = out
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.location.is_some());
        let msg = if positional {
            "Configuration file errors encountered -- exiting"
        } else {
            ""
        };
        return fail(&mut err, msg);
    }
    if args.test_config && !args.test_leases {
        if !args.quiet {
            let _ = writeln!(
                err,
                "Config file: {}\nDatabase file: {}\nPID file: {}",
                paths.conf, paths.leases, paths.pid
            );
        }
        // The process ends now: freeing a large AST node by node only costs time (as ISC,
        // which never frees its configuration).
        std::mem::forget(out);
        return ExitCode::SUCCESS;
    }
    if !args.v6 && !args.test_leases {
        let serve_args = serve::ServeArgs {
            conf: &paths.conf,
            leases: &paths.leases,
            pid: &paths.pid,
            lf_given: args.lf.is_some(),
            no_pid: args.no_pid,
            foreground: args.foreground,
            debug: args.debug,
            quiet: args.quiet,
            port,
            user: args.user.as_deref(),
            group: args.group.as_deref(),
            chroot: args.chroot.as_deref(),
            interfaces: &args.interfaces,
            control: &control,
        };
        return serve::serve(&serve_args, out, &mut FsLoader, &mut err);
    }
    if !args.v6 {
        return leasefile::run(
            &leasefile::Invocation {
                conf: &paths.conf,
                leases: &paths.leases,
                pid: &paths.pid,
                lf_given: args.lf.is_some(),
                quiet: args.quiet,
                test: args.test_leases,
            },
            &out.config,
            &out.registry,
            &mut err,
        );
    }
    if args.test_leases {
        return not_supported(&mut err, "-T (checking the lease file)");
    }
    if args.v6 {
        return fail(
            &mut err,
            "DHCPv6 service is not supported by dhcpd-rs: -6 only checks a DHCPv6 \
             configuration with -t. Keep ISC dhcpd (or use Kea) for DHCPv6.",
        );
    }
    not_supported(&mut err, "Serving DHCP")
}
