//! ISC dhcpd's command line, read with clap.
//!
//! ISC compares each argument with `strcmp`: single-dash long flags (`-cf FILE`), no bundling
//! (`-fd` is unknown), no `=` forms, and a flag's value is the next argument even when it starts
//! with `-`. clap has no single-dash long options, so [`shim`] first rewrites ISC's argv into
//! clap's spelling with a table of ISC's flags (a valued flag and its value become one
//! `--flag=value` argument, so values starting with `-` survive); anything else starting with
//! `-` is refused there with ISC's own message, so clap never sees a spelling ISC would reject.

use clap::Parser;

/// What a valued or plain ISC flag is called in clap.
struct Flag {
    isc: &'static str,
    clap: &'static str,
    takes_value: bool,
}

const FLAGS: &[Flag] = &[
    Flag {
        isc: "-p",
        clap: "port",
        takes_value: true,
    },
    Flag {
        isc: "-f",
        clap: "foreground",
        takes_value: false,
    },
    Flag {
        isc: "-d",
        clap: "debug",
        takes_value: false,
    },
    Flag {
        isc: "-q",
        clap: "quiet",
        takes_value: false,
    },
    Flag {
        isc: "-t",
        clap: "test-config",
        takes_value: false,
    },
    Flag {
        isc: "-T",
        clap: "test-leases",
        takes_value: false,
    },
    Flag {
        isc: "-4",
        clap: "v4",
        takes_value: false,
    },
    Flag {
        isc: "-6",
        clap: "v6",
        takes_value: false,
    },
    Flag {
        isc: "-4o6",
        clap: "dhcp4o6",
        takes_value: true,
    },
    Flag {
        isc: "-s",
        clap: "server",
        takes_value: true,
    },
    Flag {
        isc: "-cf",
        clap: "cf",
        takes_value: true,
    },
    Flag {
        isc: "-lf",
        clap: "lf",
        takes_value: true,
    },
    Flag {
        isc: "-pf",
        clap: "pf",
        takes_value: true,
    },
    Flag {
        isc: "-tf",
        clap: "tf",
        takes_value: true,
    },
    Flag {
        isc: "-play",
        clap: "play",
        takes_value: true,
    },
    Flag {
        isc: "-user",
        clap: "user",
        takes_value: true,
    },
    Flag {
        isc: "-group",
        clap: "group",
        takes_value: true,
    },
    Flag {
        isc: "-chroot",
        clap: "chroot",
        takes_value: true,
    },
    Flag {
        isc: "--no-pid",
        clap: "no-pid",
        takes_value: false,
    },
    Flag {
        isc: "--partner-down",
        clap: "partner-down",
        takes_value: true,
    },
    Flag {
        isc: "--failover-status",
        clap: "failover-status",
        takes_value: false,
    },
    Flag {
        isc: "--control-socket",
        clap: "control-socket",
        takes_value: true,
    },
    Flag {
        isc: "--version",
        clap: "version",
        takes_value: false,
    },
    Flag {
        isc: "--help",
        clap: "help",
        takes_value: false,
    },
    Flag {
        isc: "-h",
        clap: "help",
        takes_value: false,
    },
];

/// ISC's usage text (printed after a command-line error, and for `--help`).
pub const USAGE: &str = "Usage: dhcpd [-p <UDP port #>] [-f] [-d] [-q] [-t|-T]
             [-4|-6] [-cf config-file] [-lf lease-file]
             [-user user] [-group group] [-chroot dir]
             [-tf trace-output-file]
             [-play trace-input-file]
             [-pf pid-file] [--no-pid] [-s server]
             [if0 [...ifN]]
       dhcpd {--version|--help|-h}";

/// The command line, after the shim.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "dhcpd",
    disable_help_flag = true,
    disable_version_flag = true,
    override_usage = USAGE,
)]
pub struct Args {
    /// UDP port to listen on (the client port is this plus one).
    #[arg(long = "port")]
    pub port: Option<String>,
    /// Run in the foreground.
    #[arg(long = "foreground")]
    pub foreground: bool,
    /// Log to standard error and run in the foreground.
    #[arg(long = "debug")]
    pub debug: bool,
    /// Do not print the banner.
    #[arg(long = "quiet")]
    pub quiet: bool,
    /// Check the configuration file and exit.
    #[arg(long = "test-config")]
    pub test_config: bool,
    /// Check the configuration and lease files and exit.
    #[arg(long = "test-leases")]
    pub test_leases: bool,
    /// DHCPv4 (the default).
    #[arg(long = "v4")]
    pub v4: bool,
    /// DHCPv6 (checking only; serving DHCPv6 is not supported).
    #[arg(long = "v6")]
    pub v6: bool,
    /// DHCPv4-over-DHCPv6 port.
    #[arg(long = "dhcp4o6")]
    pub dhcp4o6: Option<String>,
    /// Address to send replies from (with -s, for testing).
    #[arg(long = "server")]
    pub server: Option<String>,
    /// Configuration file.
    #[arg(long = "cf")]
    pub cf: Option<String>,
    /// Lease file.
    #[arg(long = "lf")]
    pub lf: Option<String>,
    /// PID file.
    #[arg(long = "pf")]
    pub pf: Option<String>,
    /// Trace output file.
    #[arg(long = "tf")]
    pub tf: Option<String>,
    /// Trace input file to play back.
    #[arg(long = "play")]
    pub play: Option<String>,
    /// User to run as after start-up.
    #[arg(long = "user")]
    pub user: Option<String>,
    /// Group to run as after start-up.
    #[arg(long = "group")]
    pub group: Option<String>,
    /// Directory to chroot into after start-up.
    #[arg(long = "chroot")]
    pub chroot: Option<String>,
    /// Do not write a PID file.
    #[arg(long = "no-pid")]
    pub no_pid: bool,
    /// Tell the running server that the failover peer NAME is down (ISC: omshell
    /// `set local-state = 4` on the failover-state object).
    #[arg(long = "partner-down")]
    pub partner_down: Option<String>,
    /// Ask the running server for its failover states.
    #[arg(long = "failover-status")]
    pub failover_status: bool,
    /// The server's control socket (default /run/dhcpd-rs/control.sock).
    #[arg(long = "control-socket")]
    pub control_socket: Option<String>,
    /// Print the version and exit.
    #[arg(long = "version")]
    pub version: bool,
    /// Print the usage and exit.
    #[arg(long = "help")]
    pub help: bool,
    /// Interfaces to serve (all with a matching subnet when none is given).
    pub interfaces: Vec<String>,
}

/// A command-line error, in ISC's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// `Unknown command -x`.
    Unknown(String),
    /// `No argument for command: -cf `.
    NoArgument(String),
    /// `Server cannot run in both IPv4 and IPv6 mode at the same time.`
    BothFamilies,
    /// Anything clap itself refused (should not happen after the shim).
    Other(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Unknown(a) => write!(f, "Unknown command {a}"),
            CliError::NoArgument(a) => write!(f, "No argument for command: {a} "),
            CliError::BothFamilies => {
                f.write_str("Server cannot run in both IPv4 and IPv6 mode at the same time.")
            }
            CliError::Other(e) => f.write_str(e),
        }
    }
}

/// Rewrites ISC's argv (without the program name) into clap's spelling. Interface names may
/// stand anywhere (ISC allows `dhcpd eth0 -f`); they are moved after a final `--`.
pub fn shim(args: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::with_capacity(args.len() + 1);
    let mut names = Vec::new();
    let mut family: Option<&str> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match FLAGS.iter().find(|f| f.isc == a) {
            Some(flag) if flag.takes_value => {
                let v = it.next().ok_or_else(|| CliError::NoArgument(a.clone()))?;
                out.push(format!("--{}={v}", flag.clap));
            }
            Some(flag) => {
                if matches!(a.as_str(), "-4" | "-6") {
                    if family.is_some_and(|f| f != a) {
                        return Err(CliError::BothFamilies);
                    }
                    family = Some(a);
                }
                out.push(format!("--{}", flag.clap));
            }
            None if a.starts_with('-') => return Err(CliError::Unknown(a.clone())),
            None => names.push(a.clone()),
        }
    }
    if !names.is_empty() {
        out.push("--".into());
        out.extend(names);
    }
    Ok(out)
}

/// Parses ISC's argv (without the program name).
pub fn parse(args: &[String]) -> Result<Args, CliError> {
    let shimmed = shim(args)?;
    let mut full = vec!["dhcpd".to_string()];
    full.extend(shimmed);
    Args::try_parse_from(full).map_err(|e| CliError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Result<Args, CliError> {
        parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn isc_spellings() {
        let a = p(&[
            "-t",
            "-cf",
            "/etc/dhcp/dhcpd.conf",
            "-lf",
            "-weird",
            "-4",
            "-q",
        ])
        .expect("ok");
        assert!(a.test_config && a.v4 && a.quiet);
        assert_eq!(a.cf.as_deref(), Some("/etc/dhcp/dhcpd.conf"));
        assert_eq!(a.lf.as_deref(), Some("-weird"), "values may start with -");
    }

    #[test]
    fn interfaces_anywhere() {
        let a = p(&["-f", "eth0", "eth1", "-d", "-user", "dhcpd", "eth2"]).expect("ok");
        assert_eq!(a.interfaces, vec!["eth0", "eth1", "eth2"]);
        assert!(a.foreground && a.debug);
        assert_eq!(a.user.as_deref(), Some("dhcpd"));
    }

    #[test]
    fn isc_errors() {
        assert_eq!(p(&["-fd"]).unwrap_err(), CliError::Unknown("-fd".into()));
        assert_eq!(
            p(&["--cf=x"]).unwrap_err(),
            CliError::Unknown("--cf=x".into())
        );
        assert_eq!(p(&["-cf"]).unwrap_err(), CliError::NoArgument("-cf".into()));
        assert_eq!(p(&["-4", "-6"]).unwrap_err(), CliError::BothFamilies);
        assert_eq!(
            p(&["-6", "eth0", "-4"]).unwrap_err(),
            CliError::BothFamilies
        );
        assert_eq!(
            CliError::NoArgument("-cf".into()).to_string(),
            "No argument for command: -cf "
        );
    }
}
