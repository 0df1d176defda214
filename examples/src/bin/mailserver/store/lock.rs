//! Folder locks (an in-process lock, then Dovecot's `dovecot-uidlist.lock` dotlock) and
//! crash-safe file replacement.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::{Error, Result};

/// Dovecot's `MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT`: a dotlock untouched this long is stale.
pub(super) const STALE_AFTER: Duration = Duration::from_secs(120);
/// How long to wait for a dotlock another process holds before giving up.
const WAIT_AT_MOST: Duration = Duration::from_secs(30);
/// The host part of our lock files and temp names: `PID:mailserver`.
const HOST: &str = "mailserver";
/// The suffix of our temp files for control files.
pub(super) const TEMP_SUFFIX: &str = ".mailserver-tmp";

/// The paths locked by this process, so its threads queue on a condition variable instead of
/// polling the dotlock.
#[derive(Debug, Default)]
pub(super) struct LockTable {
    held: Mutex<HashSet<PathBuf>>,
    released: Condvar,
}

/// A held lock: released (dotlock removed, then the in-process entry) when dropped.
#[derive(Debug)]
pub(super) struct Lock<'a> {
    table: &'a LockTable,
    path: PathBuf,
    dotlock: bool,
}

impl LockTable {
    /// Locks `dir` for writing: in process, then with `dir/NAME.lock` (a Dovecot dotlock:
    /// created exclusively, holding `PID:mailserver`).
    pub(super) fn lock(&self, dir: &Path, name: &str) -> Result<Lock<'_>> {
        let path = dir.join(format!("{name}.lock"));
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            while held.contains(&path) {
                held = self.released.wait(held).unwrap_or_else(|e| e.into_inner());
            }
            held.insert(path.clone());
        }
        let mut lock = Lock {
            table: self,
            path,
            dotlock: false,
        };
        dotlock(&lock.path)?;
        lock.dotlock = true;
        Ok(lock)
    }

    /// Locks two folders in a fixed order (no deadlock between a COPY from A to B and one
    /// from B to A). One lock when they are the same folder.
    pub(super) fn lock_two(
        &self,
        a: &Path,
        b: &Path,
        name: &str,
    ) -> Result<(Lock<'_>, Option<Lock<'_>>)> {
        if a == b {
            return Ok((self.lock(a, name)?, None));
        }
        if a < b {
            let first = self.lock(a, name)?;
            let second = self.lock(b, name)?;
            Ok((first, Some(second)))
        } else {
            let second = self.lock(b, name)?;
            let first = self.lock(a, name)?;
            Ok((first, Some(second)))
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        if self.dotlock {
            let _ = fs::remove_file(&self.path);
        }
        let mut held = self.table.held.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.path);
        drop(held);
        self.table.released.notify_all();
    }
}

/// Creates the dotlock `path`, waiting while a live holder has it and taking over a stale one.
fn dotlock(path: &Path) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut f) => {
                f.write_all(format!("{}:{HOST}", std::process::id()).as_bytes())?;
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        if is_stale_lock(path) {
            // Two takers may race here; only one create_new can win afterwards.
            let _ = fs::remove_file(path);
            continue;
        }
        if started.elapsed() > WAIT_AT_MOST {
            return Err(Error::LockTimeout);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Whether a lock file was left by a process that is gone, or is older than [`STALE_AFTER`].
pub(super) fn is_stale_lock(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if older_than(&meta, STALE_AFTER) {
        return true;
    }
    let owner = fs::read_to_string(path).ok().and_then(|s| {
        let (pid, host) = s.trim().split_once(':')?;
        (host == HOST).then(|| pid.parse::<u32>().ok()).flatten()
    });
    owner.is_some_and(|pid| !process_alive(pid))
}

/// Whether `meta`'s mtime is more than `age` ago.
pub(super) fn older_than(meta: &fs::Metadata, age: Duration) -> bool {
    meta.modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|d| d > age)
}

/// Whether process `pid` exists (Linux `/proc`; elsewhere every process counts as alive and
/// only the age makes a lock stale).
pub(super) fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// The pid in one of our temp names (`NAME.PID.N.mailserver-tmp`).
pub(super) fn temp_owner(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(TEMP_SUFFIX)?;
    let mut parts = stem.rsplitn(3, '.');
    let _n = parts.next()?;
    parts.next()?.parse().ok()
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `dir/name` with `bytes` crash-safely: a temp file in the same directory, fsync,
/// rename over the old file, fsync the directory.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!("{name}.{}.{n}{TEMP_SUFFIX}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&temp, dir.join(name))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// fsyncs a directory, so the renames and unlinks in it are on disk.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Reads a file, `None` when there is none.
pub(super) fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
