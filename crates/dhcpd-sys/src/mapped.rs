//! Files read by mapping them instead of copying them into the heap: `dhcpd -t` on a large
//! configuration (8 MB, 100,000 hosts) spent about a quarter of its page faults copying the
//! file into fresh memory; a populated read-only mapping of the page cache costs one system
//! call and no copy.

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

/// A regular file mapped read-only and private, all its pages mapped at once
/// (`MAP_POPULATE`). Unmapped when dropped.
///
/// The bytes are those of the file as long as nobody rewrites it in place while it is mapped:
/// a file truncated meanwhile makes reading past its new end fail with `SIGBUS` (where
/// `read` would see a shorter file). The configuration reader keeps the mapping only while
/// it parses, a few milliseconds for most files.
#[derive(Debug)]
pub struct MappedFile {
    ptr: NonNull<c_void>,
    len: NonZeroUsize,
}

impl MappedFile {
    /// Maps the whole of `file` (its size now). `Ok(None)`: not a regular file, or empty (read
    /// it instead).
    #[allow(unsafe_code)]
    pub fn map(file: &File) -> io::Result<Option<MappedFile>> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let Some(len) = usize::try_from(meta.len()).ok().and_then(NonZeroUsize::new) else {
            return Ok(None);
        };
        // SAFETY: a new private read-only mapping chosen by the kernel (no address given), so
        // it aliases no memory of ours; `file` is open for reading and `len` is its size.
        let ptr = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_POPULATE,
                file,
                0,
            )
        }?;
        Ok(Some(MappedFile { ptr, len }))
    }
}

impl AsRef<[u8]> for MappedFile {
    #[allow(unsafe_code)]
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr` is a live read-only mapping of `len` bytes (unmapped only in `drop`),
        // which no one in this process writes; the slice borrows `self`, so it cannot outlive
        // the mapping.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len.get()) }
    }
}

impl Drop for MappedFile {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly the mapping made in `map`, unmapped only here; no
        // slice of it can be alive (they borrow `self`).
        let _ = unsafe { munmap(self.ptr, self.len.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_what_read_reads() {
        let dir = std::env::temp_dir().join(format!("dhcpd-sys-mapped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("f.conf");
        let text: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(&text))
            .expect("write");
        let m = MappedFile::map(&File::open(&path).expect("open"))
            .expect("map")
            .expect("regular, non-empty");
        assert_eq!(m.as_ref(), &text[..]);
        drop(m);
        let empty = dir.join("empty.conf");
        std::fs::File::create(&empty).expect("create");
        assert!(
            MappedFile::map(&File::open(&empty).expect("open"))
                .expect("map")
                .is_none()
        );
        assert!(
            MappedFile::map(&File::open(&dir).expect("open dir"))
                .expect("map")
                .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
