//! Files that must survive a crash or a power cut: the lease journal (append, then fsync
//! before any reply that depends on it) and whole-file rewrites (write a new file, fsync it,
//! keep the old one as a backup, rename atomically, fsync the directory).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An append-only file with explicit durability points.
#[derive(Debug)]
pub struct AppendFile {
    file: File,
    path: PathBuf,
}

impl AppendFile {
    /// Opens (creating, mode 0644) `path` for appending.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().append(true).create(true).open(path)?;
        Ok(AppendFile {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends bytes (not yet durable).
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Makes everything appended so far durable (fdatasync).
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for AppendFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Fsyncs a directory, so that a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `path` with `contents` atomically and durably. The previous file, if any, is kept
/// as `backup` (ISC keeps `dhcpd.leases~`). Returns the new file opened for appending.
pub fn replace(path: &Path, contents: &[u8], backup: Option<&Path>) -> io::Result<AppendFile> {
    let mut new = NewFile::create(path)?;
    new.write_all(contents)?;
    new.commit(backup)
}

/// The next version of a file, written in pieces beside it (`PATH.new`) and put in its place
/// atomically and durably by [`NewFile::commit`] (fsync of the new file, the old one kept as a
/// backup, rename, fsync of the directory). Dropped without a commit, the new file is removed
/// and the old one is left as it was.
#[derive(Debug)]
pub struct NewFile {
    file: File,
    path: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl NewFile {
    /// Starts the next version of `path` (creating or truncating `PATH.new`).
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp)?;
        Ok(NewFile {
            file,
            path: path.to_path_buf(),
            tmp,
            committed: false,
        })
    }

    /// Makes the new file durable and puts it in place of the old one, which is kept as
    /// `backup` when given (as ISC keeps `dhcpd.leases~`). Returns the new file opened for
    /// appending.
    pub fn commit(mut self, backup: Option<&Path>) -> io::Result<AppendFile> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        self.file.flush()?;
        self.file.sync_all()?;
        if let Some(b) = backup {
            match std::fs::remove_file(b) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            match std::fs::hard_link(&self.path, b) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        std::fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        sync_dir(&dir)?;
        AppendFile::open(&self.path)
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the PID file (`PID\n`), as ISC does.
pub fn write_pid_file(path: &Path) -> io::Result<()> {
    let mut f = File::create(path)?;
    writeln!(f, "{}", std::process::id())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_backup_and_appends() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("dhcpd.leases");
        let b = dir.join("dhcpd.leases~");
        std::fs::write(&p, b"old\n").expect("write");
        let mut f = replace(&p, b"new\n", Some(&b)).expect("replace");
        f.append(b"lease\n").expect("append");
        f.sync().expect("sync");
        assert_eq!(std::fs::read(&p).expect("read"), b"new\nlease\n");
        assert_eq!(std::fs::read(&b).expect("read"), b"old\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn new_file_in_pieces_and_abandoned() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-newfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("dhcpd.leases");
        let b = dir.join("dhcpd.leases~");
        std::fs::write(&p, b"old\n").expect("write");
        // Dropped without commit: the old file stays, the new one is gone.
        {
            let mut n = NewFile::create(&p).expect("create");
            n.write_all(b"half").expect("write");
        }
        assert_eq!(std::fs::read(&p).expect("read"), b"old\n");
        assert!(!dir.join("dhcpd.leases.new").exists());
        let mut n = NewFile::create(&p).expect("create");
        n.write_all(b"ne").expect("write");
        n.write_all(b"w\n").expect("write");
        let mut f = n.commit(Some(&b)).expect("commit");
        f.append(b"lease\n").expect("append");
        assert_eq!(std::fs::read(&p).expect("read"), b"new\nlease\n");
        assert_eq!(std::fs::read(&b).expect("read"), b"old\n");
        assert!(!dir.join("dhcpd.leases.new").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
