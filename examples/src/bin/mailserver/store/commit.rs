//! Commit: making a staged delivery durable, in the thread that wrote it.
//!
//! A delivery ([`Account::stage`]) writes its message into the folder's `tmp/` once; then
//! [`Store::commit`], in the same blocking thread: fsyncs the files, renames each into
//! `new/`, fsyncs each `new/` directory, and only then returns (SMTP sends its `250` after
//! that). The durability is that of [`Account::append`] (file, rename, directory, all
//! fsynced before the answer). Concurrent deliveries share what can be shared: the kernel
//! takes their file fsyncs together (one journal commit for all that wait, with a journal;
//! the disk cache flushes merged, without), and the directory fsyncs are shared here
//! ([`DirSyncs`]): a delivery whose rename came while its directory was being fsynced
//! waits for the next fsync, which one of the waiters runs for all of them.
//!
//! An earlier design had one committer thread take turns for everyone (fsync a batch's
//! files, rename them, fsync the directories, answer): each delivery also waited for the
//! round in progress, and the hops between threads cost as much again on a loaded machine.
//! It took half the rate of this one.
//!
//! Then a second thread gives the new messages their UIDs, off the path of the answers:
//! each folder that got mail is synced once for all the deliveries that came while it was
//! busy (a sync reads the whole folder; doing it per message made ingest quadratic). A
//! reader that comes first numbers them itself: a file in `new/` that no uidlist names gets
//! the next UID.
//!
//! What a crash leaves: files in `tmp/` never renamed (removed at start by
//! [`Store::recover`], as their process is gone), or messages renamed into `new/` whose
//! delivery was not answered (the client retries: at most a duplicate, never a loss).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use super::deliver::Staged;
use super::lock::sync_dir;
use super::ops::LOCK;
use super::{Account, Shared, Store};

/// The most files of one delivery fsynced at once.
const PARALLEL: usize = 8;

/// A folder that got mail, for the numberer.
pub(super) type Numbered = (Account, PathBuf);

/// The numberer thread's queue.
fn start_numberer() -> Option<mpsc::Sender<Numbered>> {
    let (tx, rx) = mpsc::channel();
    match std::thread::Builder::new()
        .name("uid-numberer".to_owned())
        .spawn(move || numberer(rx))
    {
        Ok(_) => Some(tx),
        Err(e) => {
            // The messages are in `new/` all the same: the next sync numbers them.
            println!("store: cannot start the UID numberer: {e}");
            None
        }
    }
}

/// Fsyncs `files` (their results, in order), up to [`PARALLEL`] at a time: a message for
/// several users with key pairs is one file per key.
fn fsync_all(files: &[&fs::File]) -> Vec<io::Result<()>> {
    if files.len() <= 1 {
        return files.iter().map(|f| f.sync_all()).collect();
    }
    let chunk = files.len().div_ceil(PARALLEL);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|f| f.sync_all()).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(io::Error::other("fsync thread panicked"))])
            })
            .collect()
    })
}

/// Gives UIDs to what was delivered: each folder that got mail is synced once for every
/// delivery that came while it was busy or resting, off the path of the answers.
fn numberer(rx: mpsc::Receiver<Numbered>) {
    while let Ok(first) = rx.recv() {
        let mut folders = vec![first];
        for (account, folder) in rx.try_iter() {
            if !folders.iter().any(|(_, f)| *f == folder) {
                folders.push((account, folder));
            }
        }
        let started = Instant::now();
        for (account, folder) in folders {
            number(&account, &folder);
        }
        // A sync reads the whole folder and rewrites its uidlist: under a steady stream of
        // deliveries, rest four times as long as that took (the mail coming meanwhile is
        // numbered together), so that numbering takes at most a fifth of a core.
        let rest = (started.elapsed() * 4).clamp(Duration::from_millis(10), Duration::from_secs(2));
        std::thread::sleep(rest);
    }
}

/// Syncs `folder`, which gives the messages new in it their UIDs.
fn number(account: &Account, folder: &Path) {
    let synced = account
        .shared()
        .locks
        .lock(folder, LOCK)
        .and_then(|_lock| account.sync_locked(folder, &[]));
    if let Err(e) = synced {
        // The messages are in `new/` all the same: the next sync numbers them.
        println!("store: {}: cannot give UIDs: {e}", folder.display());
    }
}

/// Every file fsynced, renamed, every directory fsynced once, then the folders' watchers
/// woken; the folders, to be numbered. On error nothing of the delivery stays, renamed or
/// not.
fn durable(shared: &Shared, files: &[Staged]) -> io::Result<Vec<Numbered>> {
    let handles: Vec<&fs::File> = files.iter().map(|s| &s.file).collect();
    let done = (|| {
        for (staged, fsynced) in files.iter().zip(fsync_all(&handles)) {
            fsynced?;
            fs::rename(&staged.tmp, &staged.dest)?;
        }
        let mut dirs: Vec<&Path> = files.iter().filter_map(|s| s.dest.parent()).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            shared.dir_syncs.sync(dir).map_err(|e| {
                io::Error::new(e.kind(), format!("{}: fsync failed: {e}", dir.display()))
            })?;
        }
        Ok(())
    })();
    if let Err(e) = done {
        for s in files {
            let _ = fs::remove_file(&s.tmp);
            let _ = fs::remove_file(&s.dest);
        }
        return Err(e);
    }
    let mut folders: Vec<Numbered> = Vec::new();
    for staged in files {
        staged.account.notify(&staged.canonical);
        let folder = staged.folder();
        if !folders.iter().any(|(_, f)| *f == folder) {
            folders.push((staged.account.clone(), folder));
        }
    }
    Ok(folders)
}

/// The directory fsyncs of concurrent deliveries, shared: a delivery whose rename came
/// while its directory was being fsynced waits for the next fsync, which one of the waiters
/// runs for all of them (leader and followers). Each concurrent fsync of the same directory
/// would write its block, its inode and flush the disk's cache again.
#[derive(Debug, Default)]
pub(super) struct DirSyncs {
    dirs: Mutex<HashMap<PathBuf, DirSync>>,
    changed: Condvar,
}

/// One directory's fsyncs: how many were started and finished, and how the recent ones
/// went.
#[derive(Debug, Default)]
struct DirSync {
    started: u64,
    finished: u64,
    running: bool,
    /// The number and error of the fsyncs that failed while threads waited (forgotten
    /// with the entry, once none waits).
    failed: Vec<(u64, io::ErrorKind)>,
    /// Threads waiting for a later fsync.
    waiting: usize,
}

impl DirSyncs {
    /// Fsyncs `dir`, or waits for an fsync of it that started after this call (it covers
    /// every change made to the directory before). Blocking.
    fn sync(&self, dir: &Path) -> io::Result<()> {
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        // Any fsync started from now on will do; one running now may have missed us.
        let need = dirs.entry(dir.to_path_buf()).or_default().started + 1;
        let mut waited = false;
        loop {
            let state = dirs.entry(dir.to_path_buf()).or_default();
            if waited && (state.finished >= need || !state.running) {
                state.waiting -= 1;
                waited = false;
            }
            if state.finished >= need {
                // The first fsync that started after the call covers it: its outcome.
                let failed = state.failed.iter().find(|(n, _)| *n == need);
                let outcome = failed.map_or(Ok(()), |(_, kind)| Err(io::Error::from(*kind)));
                if state.waiting == 0 && !state.running {
                    dirs.remove(dir);
                }
                return outcome;
            }
            if !state.running {
                state.running = true;
                state.started += 1;
                let number = state.started;
                drop(dirs);
                let result = sync_dir(dir);
                dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
                let state = dirs.entry(dir.to_path_buf()).or_default();
                state.running = false;
                state.finished = number;
                if let Err(e) = &result {
                    state.failed.push((number, e.kind()));
                }
                if state.waiting == 0 {
                    dirs.remove(dir);
                } else {
                    self.changed.notify_all();
                }
                return result;
            }
            if !waited {
                state.waiting += 1;
                waited = true;
            }
            dirs = self
                .changed
                .wait(dirs)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Shared {
    fn numberer(&self) -> Option<&mpsc::Sender<Numbered>> {
        self.numberer.get_or_init(start_numberer).as_ref()
    }
}

impl Store {
    /// Makes the staged messages durable in their folders' `new/` (blocking I/O: fsync,
    /// rename, directory fsync), sharing the file system's journal commits with every
    /// delivery committed at the same time. Only once it returns `Ok` may the delivery be
    /// answered; on failure the messages are removed. A second thread gives the UIDs.
    pub(crate) fn commit(&self, files: Vec<Staged>) -> io::Result<()> {
        let folders = durable(&self.shared, &files)?;
        if let Some(numberer) = self.shared.numberer() {
            for folder in folders {
                let _ = numberer.send(folder);
            }
        }
        Ok(())
    }

    /// [`Self::commit`] with the UIDs given before it returns (the slow paths: LMTP,
    /// bounces).
    pub(crate) fn commit_blocking(&self, files: Vec<Staged>) -> io::Result<()> {
        for (account, folder) in durable(&self.shared, &files)? {
            number(&account, &folder);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::Scratch;

    /// Concurrent fsyncs of one directory all answer, and leave nothing behind.
    #[test]
    fn shared_dir_syncs() {
        let dir = Scratch::new("dirsync");
        let new = dir.0.join("new");
        fs::create_dir_all(&new).unwrap();
        let syncs = DirSyncs::default();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (syncs, new) = (&syncs, &new);
                s.spawn(move || {
                    for i in 0..10 {
                        fs::write(new.join(format!("{t}.{i}")), b"x").unwrap();
                        syncs.sync(new).unwrap();
                    }
                });
            }
        });
        assert!(syncs.dirs.lock().unwrap().is_empty());
        // A directory that cannot be fsynced says so, to every waiter.
        let gone = dir.0.join("gone");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert!(syncs.sync(&gone).is_err()));
            }
        });
        assert!(syncs.dirs.lock().unwrap().is_empty());
    }
}
