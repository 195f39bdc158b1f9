//! systemd readiness (`Type=notify`): `READY=1` once serving, `STOPPING=1` on the way out,
//! `RELOADING=1` around a SIGHUP reload. A no-op outside systemd.

use sd_notify::NotifyState;

/// Tells systemd the service is ready.
pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells systemd the service is stopping.
pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

/// Tells systemd a reload started (`done = false`) or finished (`done = true`).
pub fn reloading(done: bool) {
    let state = if done {
        NotifyState::Ready
    } else {
        NotifyState::Reloading
    };
    let _ = sd_notify::notify(&[state]);
}
