//! SIGTERM/SIGINT (stop, lease file flushed) and SIGHUP (reload) as a mio event source.

pub use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
pub use signal_hook_mio::v1_0::Signals;

/// Registers the signals the server handles.
pub fn server_signals() -> std::io::Result<Signals> {
    Signals::new([SIGTERM, SIGINT, SIGHUP])
}
