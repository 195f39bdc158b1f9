//! Serving: the process ISC dhcpd runs on RHEL, in ISC's order — read the configuration,
//! rewrite the lease file, open every socket and file as root, write the PID file, give up
//! root (`-user`/`-group`, `-chroot`), detach unless `-f`/`-d`, tell systemd `READY=1`, log
//! `Server starting service.`, then run the event loop. SIGTERM/SIGINT stop with the journal
//! flushed; SIGHUP reloads the configuration, checked first (ISC cannot do this): on any
//! error the old configuration keeps serving and the error is logged.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use dhcpd_conf::{Loader, ParseOptions, ParseOutput, parse_config};
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;
use dhcpd_leases::db::LeaseDb;
use dhcpd_leases::parse::LoadOptions;
use dhcpd_server::event_loop::{self, Exit, Io, ServedInterface};
use dhcpd_server::journal::Journal;
use dhcpd_sys::packet::PacketSocket;
use dhcpd_sys::{iface, notify, privs, signals, syslog, udp};

use crate::leasefile;

/// What serving needs from the command line.
pub struct ServeArgs<'a> {
    /// `-cf`.
    pub conf: &'a str,
    /// `-lf`.
    pub leases: &'a str,
    /// `-pf`.
    pub pid: &'a str,
    /// `-lf` was given.
    pub lf_given: bool,
    /// `--no-pid`.
    pub no_pid: bool,
    /// `-f`.
    pub foreground: bool,
    /// `-d`.
    pub debug: bool,
    /// `-q`.
    pub quiet: bool,
    /// `-p` (server port; clients are on port + 1).
    pub port: u16,
    /// `-user`, `-group`, `-chroot`.
    pub user: Option<&'a str>,
    /// `-group`.
    pub group: Option<&'a str>,
    /// `-chroot`.
    pub chroot: Option<&'a str>,
    /// Interface names.
    pub interfaces: &'a [String],
}

fn host_interfaces() -> Vec<IfaceInfo> {
    iface::interfaces()
        .into_iter()
        .filter(|i| i.up && !i.loopback)
        .filter_map(|i| {
            Some(IfaceInfo {
                index: i.index,
                name: i.name,
                mac: i.mac?,
                addrs: i.ipv4,
            })
        })
        .collect()
}

fn fatal(err: &mut impl Write, msg: &str) -> ExitCode {
    log::error!("{msg}");
    let _ = writeln!(err, "{msg}\n\nexiting.");
    ExitCode::from(1)
}

/// Builds the engine for a configuration and loads the lease file's current state into it.
fn engine_for(
    out: &ParseOutput,
    a: &ServeArgs<'_>,
    lease_path: &Path,
) -> Result<(Server, Vec<String>), String> {
    let model = Model::from_config(&out.config);
    let (mut srv, log) = Server::new(
        model,
        out.registry.clone(),
        &host_interfaces(),
        a.interfaces,
        a.port.saturating_add(1),
    )
    .map_err(|e| e.0)?;
    let src = std::fs::read(lease_path).map_err(|e| format!("{}: {e}", lease_path.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let db = LeaseDb::load(
        &lease_path.display().to_string(),
        &src,
        &LoadOptions {
            now,
            ..LoadOptions::default()
        },
    );
    srv.load_leases(&db.state);
    Ok((srv, log))
}

/// Serves until stopped. `out` is the configuration already read and checked.
pub fn serve(
    a: &ServeArgs<'_>,
    out: ParseOutput,
    loader: &mut dyn Loader,
    err: &mut impl Write,
) -> ExitCode {
    let logger =
        syslog::SysLogger::new("dhcpd", "/dev/log", true, log::LevelFilter::Info).install();
    logger.set_mirror(a.debug || a.foreground);
    // Resolve the identity while /etc is visible.
    let id = match privs::resolve(a.user, a.group) {
        Ok(id) => id,
        Err(e) => return fatal(err, &e.0),
    };
    let inv = leasefile::Invocation {
        conf: a.conf,
        leases: a.leases,
        pid: a.pid,
        lf_given: a.lf_given,
        quiet: a.quiet,
        test: false,
    };
    let started = match leasefile::startup(&inv, &out.config, err) {
        Ok(Some(s)) => s,
        Ok(None) => return ExitCode::SUCCESS,
        Err(m) => return fatal(err, &m),
    };
    let (mut engine, startup_log) = match engine_for(&out, a, &started.path) {
        Ok(x) => x,
        Err(m) => return fatal(err, &m),
    };
    for l in &startup_log {
        log::info!("{l}");
    }
    let mut ifaces = Vec::new();
    for (index, name) in engine.served() {
        let mac = host_interfaces()
            .into_iter()
            .find(|i| i.index == index)
            .map_or([0; 6], |i| i.mac);
        match PacketSocket::open(index, a.port) {
            Ok(sock) => ifaces.push(ServedInterface {
                name,
                index,
                mac,
                sock,
            }),
            Err(e) => return fatal(err, &format!("Can't open packet socket on {name}: {e}")),
        }
    }
    let udp_sock = match udp::open_udp(a.port) {
        Ok(s) => s,
        Err(e) => return fatal(err, &format!("Can't bind to dhcp address: {e}")),
    };
    let mut sigs = match signals::server_signals() {
        Ok(s) => s,
        Err(e) => return fatal(err, &format!("signals: {e}")),
    };
    if let Err(e) = privs::chown_to(&started.path, id) {
        return fatal(err, &e.0);
    }
    if !a.no_pid {
        if let Err(e) = dhcpd_sys::durable::write_pid_file(Path::new(a.pid)) {
            log::error!("Can't create PID file {}: {e}.", a.pid);
        }
    }
    if let Some(dir) = a.chroot {
        if let Err(e) = privs::enter_chroot(dir) {
            return fatal(err, &e.0);
        }
    }
    if let Err(e) = privs::drop_to(id) {
        return fatal(err, &e.0);
    }
    if !a.foreground && !a.debug {
        if let Err(e) = privs::daemonize() {
            return fatal(err, &e.0);
        }
    }
    let mut io = Io {
        ifaces,
        udp: udp_sock,
        port: a.port,
        journal: Journal::from_file(started.file),
    };
    notify::ready("serving");
    log::info!("Server starting service.");
    loop {
        match event_loop::run(&mut engine, &mut io, &mut sigs) {
            Ok(Exit::Stop) => {
                notify::stopping();
                if !a.no_pid {
                    let _ = std::fs::remove_file(a.pid);
                }
                return ExitCode::SUCCESS;
            }
            Ok(Exit::Reload) => {
                notify::reloading(false);
                reload(a, loader, &started.path, &mut engine);
                notify::reloading(true);
            }
            Err(e) => return fatal(err, &format!("event loop: {e}")),
        }
    }
}

/// SIGHUP: read the configuration again; keep serving the old one if it has any error.
fn reload(a: &ServeArgs<'_>, loader: &mut dyn Loader, lease_path: &Path, engine: &mut Server) {
    log::info!("Reloading configuration {} (SIGHUP).", a.conf);
    let out = parse_config(a.conf, loader, ParseOptions::default());
    if out.has_errors() {
        for d in out.diagnostics.iter().filter(|d| d.is_error()) {
            log::error!("{d}");
        }
        log::error!("Configuration file errors encountered -- keeping the running configuration");
        return;
    }
    match engine_for(&out, a, lease_path) {
        Ok((new, lines)) => {
            if new.served() != engine.served() {
                log::error!(
                    "The new configuration serves other interfaces; a restart is needed for that -- keeping the running configuration"
                );
                return;
            }
            for l in lines {
                log::info!("{l}");
            }
            *engine = new;
            log::info!("Configuration reloaded.");
        }
        Err(m) => log::error!("{m} -- keeping the running configuration"),
    }
}
