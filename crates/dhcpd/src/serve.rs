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
use dhcpd_core::FailoverEngine;
use dhcpd_core::engine::failover::setups_from_config;
use dhcpd_core::engine::{IfaceInfo, Server};
use dhcpd_core::model::Model;
use dhcpd_leases::State;
use dhcpd_leases::parse::{LoadOptions, parse_stream};
use dhcpd_server::event_loop::{self, Exit, Io, ServedInterface};
use dhcpd_server::failover_conn::FailoverNet;
use dhcpd_server::journal::Journal;
use dhcpd_server::rewrite::PeriodicRewrite;
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
    /// The control socket (`--control-socket`).
    pub control: &'a str,
}

/// Where the server listens for operator commands (`dhcpd --partner-down NAME`).
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/dhcpd-rs/control.sock";

/// Opens the control socket: its directory is created root-only (0700), the socket 0600.
/// A socket another live server answers on is left alone (then this one has none).
fn open_control(path: &str) -> Option<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let p = Path::new(path);
    if let Some(dir) = p.parent() {
        if !dir.exists() {
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
    }
    if std::os::unix::net::UnixStream::connect(p).is_ok() {
        log::error!("control socket {path}: another server is using it; none opened");
        return None;
    }
    let _ = std::fs::remove_file(p);
    match std::os::unix::net::UnixListener::bind(p) {
        Ok(l) => {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
            if l.set_nonblocking(true).is_err() {
                return None;
            }
            Some(l)
        }
        Err(e) => {
            log::error!("control socket {path}: {e}");
            None
        }
    }
}

/// The `omapi-key`'s key; `Err` for a key we cannot use (only HMAC-MD5 is implemented).
type OmapiKey = Option<Result<dhcpd_server::omapi::Key, String>>;

/// The top-level `omapi-port` and the `omapi-key`'s key (the last setting of each wins, as
/// when ISC executes the statements).
fn omapi_settings(config: &dhcpd_conf::ast::Config) -> (Option<u16>, OmapiKey) {
    use dhcpd_conf::ast::Stmt;
    use dhcpd_conf::exec::Executable;
    use dhcpd_conf::options::{Atom, OptionValue};
    fn walk(
        stmts: &[Stmt],
        port: &mut Option<u16>,
        key: &mut Option<String>,
        keys: &mut Vec<dhcpd_conf::exec::Key>,
    ) {
        for s in stmts {
            match s {
                Stmt::Include(i) => walk(&i.statements, port, key, keys),
                Stmt::Exec(_, e) => {
                    if let Executable::Key(k) = &**e {
                        keys.push(k.clone());
                        continue;
                    }
                    let Executable::Option { name, value, .. } = &**e else {
                        continue;
                    };
                    if name.space != "server" {
                        continue;
                    }
                    let OptionValue::Values(g) = value else {
                        continue;
                    };
                    match (name.code, g.first().and_then(|g| g.first())) {
                        (31, Some(Atom::Int(_, p))) => *port = u16::try_from(*p).ok(),
                        (36, Some(Atom::KeyName(k))) => *key = Some(k.clone()),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    let (mut port, mut key, mut keys) = (None, None, Vec::new());
    walk(&config.statements, &mut port, &mut key, &mut keys);
    let key = key.map(|name| {
        let k = keys
            .iter()
            .rev()
            .find(|k| k.name == name)
            .ok_or_else(|| format!("omapi-key {name}: no such key"))?;
        let alg = k.algorithm.clone().unwrap_or_default();
        let alg = alg.trim_end_matches('.');
        if !(alg.eq_ignore_ascii_case("hmac-md5")
            || alg.eq_ignore_ascii_case(dhcpd_server::omapi::HMAC_MD5))
        {
            return Err(format!(
                "omapi-key {name}: algorithm {alg}: dhcpd-rs's OMAPI signs with hmac-md5 only"
            ));
        }
        let secret = k
            .secret
            .clone()
            .ok_or_else(|| format!("omapi-key {name}: no secret"))?;
        Ok(dhcpd_server::omapi::Key { name, secret })
    });
    (port, key)
}

/// `dhcpd --partner-down NAME` / `--failover-status`: one command to the running server.
pub fn control_client(path: &str, cmd: &str, err: &mut impl Write) -> ExitCode {
    use std::io::{BufRead, BufReader};
    let mut s = match std::os::unix::net::UnixStream::connect(path) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "{path}: {e} (is dhcpd running?)");
            return ExitCode::from(1);
        }
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    if let Err(e) = writeln!(s, "{cmd}") {
        let _ = writeln!(err, "{path}: {e}");
        return ExitCode::from(1);
    }
    let mut line = String::new();
    match BufReader::new(&s).read_line(&mut line) {
        Ok(_) => {
            println!("{}", line.trim_end());
            if line.contains("no such") || line.contains("refused") || line.contains("unknown") {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            let _ = writeln!(err, "{path}: {e}");
            ExitCode::from(1)
        }
    }
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

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Environment variable that shortens ISC's one-hour lease-file rewrite period (seconds),
/// for tests only: ISC has no such setting.
pub const REWRITE_PERIOD_ENV: &str = "DHCPD_RS_LEASE_REWRITE_PERIOD";

/// ISC's hourly lease-file rewrite for this configuration and lease file.
fn periodic_rewrite(config: &dhcpd_conf::ast::Config, path: &Path) -> PeriodicRewrite {
    let mut r = PeriodicRewrite::new(
        unix_now(),
        Box::new(leasefile::Periodic {
            layout: leasefile::Layout::from_config(config),
            path: path.to_path_buf(),
        }),
    );
    if let Some(p) = std::env::var(REWRITE_PERIOD_ENV)
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|p| *p >= 0)
    {
        r.policy.period = p;
    }
    r
}

/// A fatal error: logged (the logger copies it to standard error during start-up, as ISC
/// does), then ISC's last line.
fn fatal(err: &mut impl Write, msg: &str) -> ExitCode {
    log::error!("{msg}");
    let _ = writeln!(err, "\nexiting.");
    ExitCode::from(1)
}

/// Builds the engine for a configuration and loads the lease file's current state into it.
fn engine_for(
    out: &ParseOutput,
    a: &ServeArgs<'_>,
    lease_path: &Path,
) -> Result<(Server, Vec<String>), String> {
    // Host names where addresses go are looked up now (ISC: when used; see names.rs).
    let mut config = out.config.clone();
    for l in crate::names::resolve(&mut config.statements, &mut crate::names::system_lookup) {
        log::error!("{l}");
    }
    let model = Model::from_config(&config);
    let (mut srv, log) = Server::new(
        model,
        out.registry.clone(),
        &host_interfaces(),
        a.interfaces,
        a.port.saturating_add(1),
    )
    .map_err(|e| e.0)?;
    let file =
        std::fs::File::open(lease_path).map_err(|e| format!("{}: {e}", lease_path.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    // Read record by record into the state (the file itself is not held in memory).
    let mut state = State::default();
    // Host records in file order: ISC applies each as it reads it (a rubout, then a new
    // host of the same name).
    let mut hosts = Vec::new();
    parse_stream(
        &lease_path.display().to_string(),
        std::io::BufReader::new(file),
        &LoadOptions {
            now,
            ..LoadOptions::default()
        },
        |_, record| {
            if let Some(r) = record {
                if let dhcpd_leases::Record::Host(h) = &r {
                    hosts.push(h.clone());
                }
                state.apply_record(r);
            }
        },
    )
    .map_err(|e| format!("{}: {e}", lease_path.display()))?;
    srv.load_leases(&state);
    for w in srv.load_hosts(&hosts) {
        log::error!("{}: {w}", lease_path.display());
    }
    let setups = setups_from_config(&out.config)?;
    if !setups.is_empty() {
        srv.enable_failover(setups, &state.failover, std::time::SystemTime::now())?;
    }
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
    // As ISC: every message also goes to standard error until start-up is over; after that
    // only with -d.
    logger.set_mirror(true);
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
    let started = match leasefile::startup(&inv, &out.config, &out.registry, err) {
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
    // ISC's start-up expiry starts the DNS removals of the leases it expired; they go out
    // once the server runs.
    engine.ddns_startup_removals(std::time::SystemTime::now(), &started.ddns_removals);
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
    let links = engine.failover_links();
    let failover = (!links.is_empty()).then(|| FailoverNet::open(links));
    // The control socket only carries failover commands: none without failover.
    let control = failover.as_ref().and_then(|_| open_control(a.control));
    // OMAPI only when `omapi-port` is configured (as ISC).
    let omapi = match omapi_settings(&out.config) {
        (Some(port), key) => {
            let (key, refuse) = match key {
                None => (None, None),
                Some(Ok(k)) => (Some(k), None),
                Some(Err(why)) => {
                    log::error!("{why}; OMAPI connections will be refused");
                    (None, Some(why))
                }
            };
            match dhcpd_server::omapi::OmapiNet::open(port, key, refuse) {
                Ok(o) => Some(o),
                Err(e) => return fatal(err, &format!("Can't start OMAPI protocol: {e}")),
            }
        }
        (None, _) => None,
    };
    // ping-check's ICMP socket needs root: open it now. ISC carries on without it.
    let icmp = match dhcpd_sys::icmp::IcmpSocket::open() {
        Ok(s) => Some(s),
        Err(e) => {
            log::error!("unable to create icmp socket: {e}");
            None
        }
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
        failover,
        control,
        omapi,
        icmp,
        children: dhcpd_sys::spawn::Children::new(),
        rewrite: Some(periodic_rewrite(&out.config, &started.path)),
        outq: Vec::new(),
        ddns: None,
    };
    notify::ready("serving");
    // As ISC: start-up is over before this line, so with -f alone it goes to syslog only.
    logger.set_mirror(a.debug);
    log::info!("Server starting service.");
    loop {
        match event_loop::run(&mut engine, &mut io, &mut sigs) {
            Ok(Exit::Stop) => {
                notify::stopping();
                if io.control.is_some() {
                    let _ = std::fs::remove_file(a.control);
                }
                if !a.no_pid {
                    let _ = std::fs::remove_file(a.pid);
                }
                return ExitCode::SUCCESS;
            }
            Ok(Exit::Reload) => {
                notify::reloading(false);
                if io.failover.is_some() {
                    log::error!(
                        "failover is configured: a reload would restart the failover state machines; restart dhcpd instead -- keeping the running configuration"
                    );
                    notify::reloading(true);
                    continue;
                }
                if let Some(config) = reload(a, loader, &started.path, &mut engine) {
                    // The hourly rewrite follows the new configuration's pools.
                    if let Some(r) = io.rewrite.as_mut() {
                        r.rewriter = Box::new(leasefile::Periodic {
                            layout: leasefile::Layout::from_config(&config),
                            path: started.path.clone(),
                        });
                    }
                }
                notify::reloading(true);
            }
            Err(e) => return fatal(err, &format!("event loop: {e}")),
        }
    }
}

/// SIGHUP: read the configuration again; keep serving the old one if it has any error.
/// Returns the new configuration when it was taken.
fn reload(
    a: &ServeArgs<'_>,
    loader: &mut dyn Loader,
    lease_path: &Path,
    engine: &mut Server,
) -> Option<dhcpd_conf::ast::Config> {
    log::info!("Reloading configuration {} (SIGHUP).", a.conf);
    let out = parse_config(a.conf, loader, ParseOptions::default());
    if out.has_errors() {
        for d in out.diagnostics.iter().filter(|d| d.is_error()) {
            log::error!("{d}");
        }
        log::error!("Configuration file errors encountered -- keeping the running configuration");
        return None;
    }
    match engine_for(&out, a, lease_path) {
        Ok((new, lines)) => {
            if new.served() != engine.served() {
                log::error!(
                    "The new configuration serves other interfaces; a restart is needed for that -- keeping the running configuration"
                );
                return None;
            }
            for l in lines {
                log::info!("{l}");
            }
            *engine = new;
            log::info!("Configuration reloaded.");
            Some(out.config)
        }
        Err(m) => {
            log::error!("{m} -- keeping the running configuration");
            None
        }
    }
}
