//! Giving up root after start-up, in ISC's order: look the user and group up while /etc is
//! visible, chroot, open everything, then setgroups → setgid → setuid, and check that root
//! cannot be regained.

use std::fmt;

use nix::unistd::{Gid, Group, Uid, User, chdir, chroot, setgid, setgroups, setuid};

/// A privilege step that failed, with ISC's wording where ISC has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivError(pub String);

impl fmt::Display for PrivError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PrivError {}

/// The identity to switch to, resolved before any chroot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// User id (`-user`).
    pub uid: Option<Uid>,
    /// Group id (`-group`, else the user's primary group).
    pub gid: Option<Gid>,
}

/// Resolves `-user` and `-group` (names or numbers).
pub fn resolve(user: Option<&str>, group: Option<&str>) -> Result<Identity, PrivError> {
    let mut id = Identity {
        uid: None,
        gid: None,
    };
    if let Some(u) = user {
        if !Uid::effective().is_root() {
            return Err(PrivError("you must be root to set user".into()));
        }
        let pw = match u.parse::<u32>() {
            Ok(n) => User::from_uid(Uid::from_raw(n)).ok().flatten(),
            Err(_) => User::from_name(u).ok().flatten(),
        }
        .ok_or_else(|| PrivError(format!("no such user: {u}")))?;
        id.uid = Some(pw.uid);
        id.gid = Some(pw.gid);
    }
    if let Some(g) = group {
        if !Uid::effective().is_root() {
            return Err(PrivError("you must be root to set group".into()));
        }
        let gr = match g.parse::<u32>() {
            Ok(n) => Group::from_gid(Gid::from_raw(n)).ok().flatten(),
            Err(_) => Group::from_name(g).ok().flatten(),
        }
        .ok_or_else(|| PrivError(format!("no such group: {g}")))?;
        id.gid = Some(gr.gid);
    }
    Ok(id)
}

/// `-chroot DIR`: chroot and chdir("/").
pub fn enter_chroot(dir: &str) -> Result<(), PrivError> {
    if !Uid::effective().is_root() {
        return Err(PrivError("you must be root to use chroot".into()));
    }
    chroot(dir).map_err(|e| PrivError(format!("chroot(\"{dir}\"): {}", e.desc())))?;
    chdir("/").map_err(|e| PrivError(format!("chdir(\"/\"): {}", e.desc())))
}

/// Switches to `id` for good. Call after every socket and file is open, before any thread.
pub fn drop_to(id: Identity) -> Result<(), PrivError> {
    if id.uid.is_none() && id.gid.is_none() {
        return Ok(());
    }
    setgroups(&[]).map_err(|e| PrivError(format!("setgroups: {}", e.desc())))?;
    if let Some(g) = id.gid {
        setgid(g).map_err(|e| PrivError(format!("setgid({g}): {}", e.desc())))?;
    }
    if let Some(u) = id.uid {
        setuid(u).map_err(|e| PrivError(format!("setuid({u}): {}", e.desc())))?;
        if !u.is_root() && setuid(Uid::from_raw(0)).is_ok() {
            return Err(PrivError(
                "root privileges could be regained after setuid".into(),
            ));
        }
    }
    Ok(())
}

/// Gives a file to the identity the server will run as (ISC on Fedora/RHEL does this for the
/// lease file, so that the unprivileged server can keep writing it).
pub fn chown_to(path: &std::path::Path, id: Identity) -> Result<(), PrivError> {
    if id.uid.is_none() && id.gid.is_none() {
        return Ok(());
    }
    nix::unistd::chown(path, id.uid, id.gid)
        .map_err(|e| PrivError(format!("chown {}: {}", path.display(), e.desc())))
}

/// Detaches from the terminal as ISC does when started without `-f`/`-d` (fork, new
/// session). Returns in the child only; the parent exits 0.
pub fn daemonize() -> Result<(), PrivError> {
    nix::unistd::daemon(true, false)
        .map_err(|e| PrivError(format!("Can't fork daemon: {}", e.desc())))
}
