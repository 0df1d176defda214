//! Cleaning up after a process that was killed: run once at start, before serving.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use super::Store;
use super::lock::{STALE_AFTER, TEMP_SUFFIX, is_stale_lock, older_than, process_alive, temp_owner};

/// A file in a `tmp/` older than this is a delivery that was never finished (the Maildir
/// specification's 36 hours).
pub(super) const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 3600);

/// When this process made its first store: a file of ours with our own pid that is older
/// than that was left by an earlier process that had the same pid (a restarted container).
static STARTED: OnceLock<SystemTime> = OnceLock::new();

/// Notes when this process started using the store ([`Store::new`]).
pub(super) fn note_start() {
    STARTED.get_or_init(SystemTime::now);
}

/// The pid in one of our message names (`SECS.MMICROSPPIDQN.mailserver`, see
/// `unique_name`, with `,S=..` or `:2,..` after it in a folder).
fn message_owner(name: &str) -> Option<u32> {
    let (_, rest) = name.split_once(".M")?;
    let (_, rest) = rest.split_once('P')?;
    let (pid, rest) = rest.split_once('Q')?;
    rest.contains(".mailserver").then(|| pid.parse().ok())?
}

/// Whether a message file of ours was left by a process that is gone: one that never
/// reached a Maildir (a spool file) or was never renamed out of `tmp/` was never answered,
/// so the sender still has it.
fn orphan(name: &str, meta: &fs::Metadata) -> bool {
    let Some(pid) = message_owner(name) else {
        return false;
    };
    if pid != std::process::id() {
        return !process_alive(pid);
    }
    let started = STARTED.get().copied().unwrap_or_else(SystemTime::now);
    let margin = Duration::from_secs(1);
    meta.modified().is_ok_and(|m| m + margin < started)
}

/// What [`Store::recover`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// Unfinished messages in `tmp/` and `incoming/`.
    pub(crate) messages: usize,
    /// Control-file temps, stale dotlocks and `work/` leftovers.
    pub(crate) control: usize,
}

/// Whether a temp of ours (`NAME.PID.N.mailserver-tmp`) belongs to no running writer.
fn stale_temp(path: &Path, name: &str) -> bool {
    let owner_gone = temp_owner(name).is_some_and(|pid| !process_alive(pid));
    owner_gone || fs::symlink_metadata(path).is_ok_and(|m| older_than(&m, STALE_AFTER))
}

fn remove(path: &Path) -> io::Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match result {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Store {
    /// Removes what a killed process left behind, in every user's folders:
    ///
    /// - files in `tmp/` (and in `DATA/incoming/`) older than 36 hours, or written by a
    ///   process of ours that is gone (their names say which): deliveries that never
    ///   finished, never answered, or spool files whose message is in the Maildirs already
    ///   (younger files of another live process may belong to a delivery it is running);
    /// - our control-file temps (`*.mailserver-tmp`: a uidlist, keywords, modseq or
    ///   subscriptions file half written; the real file was never replaced) and `work/`
    ///   leftovers (half-created or half-deleted folders), when the process that wrote them
    ///   is gone or they are older than two minutes;
    /// - stale dotlocks (`*.lock`), by the same rule as taking one over.
    pub(crate) fn recover(&self) -> io::Result<Recovered> {
        let mut done = Recovered::default();
        self.clean_tmp(&self.incoming(), &mut done)?;
        let users = match fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(e),
        };
        for user in users {
            let home = user?.path();
            let md = home.join("Maildir");
            if !md.is_dir() {
                continue;
            }
            self.clean_folder(&md, &mut done)?;
            for entry in fs::read_dir(&md)? {
                let entry = entry?;
                let is_folder = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with('.'))
                    && entry.path().join("cur").is_dir();
                if is_folder {
                    self.clean_folder(&entry.path(), &mut done)?;
                }
            }
            let work = home.join("work");
            if let Ok(entries) = fs::read_dir(&work) {
                for entry in entries {
                    let entry = entry?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if stale_temp(&entry.path(), &name) {
                        remove(&entry.path())?;
                        done.control += 1;
                    }
                }
            }
        }
        Ok(done)
    }

    /// One folder directory: its `tmp/`, its control temps and its dotlocks.
    fn clean_folder(&self, dir: &Path, done: &mut Recovered) -> io::Result<()> {
        self.clean_tmp(&dir.join("tmp"), done)?;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let stale = if name.ends_with(TEMP_SUFFIX) {
                stale_temp(&path, &name)
            } else if name.ends_with(".lock") {
                is_stale_lock(&path)
            } else {
                false
            };
            if stale {
                remove(&path)?;
                done.control += 1;
            }
        }
        Ok(())
    }

    fn clean_tmp(&self, tmp: &Path, done: &mut Recovered) -> io::Result<()> {
        let entries = match fs::read_dir(tmp) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            let name = entry.file_name();
            let left = orphan(&name.to_string_lossy(), &meta);
            if meta.is_file() && (left || older_than(&meta, TMP_MAX_AGE)) {
                remove(&entry.path())?;
                done.messages += 1;
            }
        }
        Ok(())
    }
}
