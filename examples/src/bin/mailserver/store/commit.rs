//! Group commit: making staged deliveries durable together.
//!
//! A delivery ([`Account::stage`]) writes its message into the folder's `tmp/` once and
//! hands the files to [`Store::commit`]. One committer thread takes every delivery queued
//! since its last round and, for the whole batch: fsyncs the files (in parallel, so that the
//! file system commits its journal once for many), renames each into `new/`, fsyncs each
//! `new/` directory once, and only then tells every delivery it is durable (SMTP sends its
//! `250` after that). The durability is that of [`Account::append`] (file, rename,
//! directory, all fsynced before the answer); the fsyncs are shared. Then a second thread
//! gives the new messages their UIDs, off the path of the answers: each folder that got
//! mail is synced once for all the deliveries that came while it was busy (a sync reads
//! the whole folder; doing it per message made ingest quadratic). A reader that comes
//! first numbers them itself: a file in `new/` that no uidlist names gets the next UID.
//!
//! What a crash leaves: files in `tmp/` never renamed (removed at start by
//! [`Store::recover`], as their process is gone), or messages renamed into `new/` whose
//! delivery was not answered (the client retries: at most a duplicate, never a loss).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::deliver::Staged;
use super::lock::sync_dir;
use super::ops::LOCK;
use super::{Account, Shared, Store};

/// The most files fsynced at once in one round.
const PARALLEL: usize = 8;

/// One delivery: its files (one per recipient), and whom to tell.
#[derive(Debug)]
pub(super) struct Job {
    files: Vec<Staged>,
    /// Whether the numberer gives the UIDs (else the caller syncs).
    number: bool,
    done: oneshot::Sender<io::Result<()>>,
}

/// The committer thread's queue, started at the first delivery.
pub(super) fn start() -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    let (number, numbers) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("uid-numberer".to_owned())
        .spawn(move || numberer(numbers))
        .and_then(|_| {
            std::thread::Builder::new()
                .name("group-commit".to_owned())
                .spawn(move || {
                    while let Ok(first) = rx.recv() {
                        let mut batch = vec![first];
                        batch.extend(rx.try_iter());
                        round(batch, Some(&number));
                    }
                })
        });
    if let Err(e) = spawned {
        println!("store: cannot start the group commit threads: {e}");
    }
    tx
}

/// Fsyncs `files` (their results, in order), up to [`PARALLEL`] at a time.
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
fn numberer(rx: mpsc::Receiver<(Account, PathBuf)>) {
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
fn number(account: &Account, folder: &std::path::Path) {
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

/// One round: every file fsynced, renamed, every directory fsynced once, then the answers;
/// then the folders go to the numberer.
fn round(batch: Vec<Job>, number: Option<&mpsc::Sender<(Account, PathBuf)>>) {
    let files: Vec<&fs::File> = batch
        .iter()
        .flat_map(|j| &j.files)
        .map(|s| &s.file)
        .collect();
    let mut synced = fsync_all(&files).into_iter();
    // Per job: the first error, or the directories its files went into.
    let mut results: Vec<io::Result<Vec<PathBuf>>> = Vec::with_capacity(batch.len());
    for job in &batch {
        let mut dirs = Vec::new();
        let mut result = Ok(());
        for staged in &job.files {
            let fsynced = synced
                .next()
                .unwrap_or_else(|| Err(io::Error::other("lost")));
            if result.is_err() {
                continue;
            }
            result = fsynced.and_then(|()| fs::rename(&staged.tmp, &staged.dest));
            if let Some(dir) = staged.dest.parent() {
                dirs.push(dir.to_path_buf());
            }
        }
        results.push(result.map(|()| dirs));
    }
    let dirs: BTreeSet<&PathBuf> = results.iter().flatten().flatten().collect();
    let failed_dirs: Vec<(PathBuf, io::ErrorKind)> = dirs
        .into_iter()
        .filter_map(|d| sync_dir(d).err().map(|e| (d.clone(), e.kind())))
        .collect();
    let mut folders: Vec<(Account, PathBuf)> = Vec::new();
    for (job, result) in batch.into_iter().zip(results) {
        let result =
            result.and_then(
                |dirs| match failed_dirs.iter().find(|(d, _)| dirs.contains(d)) {
                    Some((d, kind)) => Err(io::Error::new(
                        *kind,
                        format!("{}: fsync failed", d.display()),
                    )),
                    None => Ok(()),
                },
            );
        match &result {
            // Not answered: nothing of it stays, renamed or not.
            Err(_) => job.files.iter().for_each(|s| {
                let _ = fs::remove_file(&s.tmp);
                let _ = fs::remove_file(&s.dest);
            }),
            Ok(()) if !job.number => job
                .files
                .iter()
                .for_each(|s| s.account.notify(&s.canonical)),
            Ok(()) => {
                for staged in &job.files {
                    staged.account.notify(&staged.canonical);
                    let folder = staged.folder();
                    if !folders.iter().any(|(_, f)| *f == folder) {
                        folders.push((staged.account.clone(), folder));
                    }
                }
            }
        }
        let _ = job.done.send(result);
    }
    for folder in folders {
        if let Some(number) = number {
            let _ = number.send(folder);
        }
    }
}

impl Shared {
    fn committer(&self) -> &mpsc::Sender<Job> {
        self.commit.get_or_init(start)
    }
}

impl Store {
    /// Makes the staged messages durable in their folders' `new/` (fsync, rename, directory
    /// fsync), sharing the fsyncs with every delivery committed at the same time. The
    /// receiver says when (and whether) they are: only then may the delivery be answered.
    /// On failure the messages are removed.
    pub(crate) fn commit(&self, files: Vec<Staged>) -> oneshot::Receiver<io::Result<()>> {
        let (done, rx) = oneshot::channel();
        if files.is_empty() {
            let _ = done.send(Ok(()));
            return rx;
        }
        if let Err(mpsc::SendError(job)) = self.shared.committer().send(Job {
            files,
            number: true,
            done,
        }) {
            job.files.into_iter().for_each(Staged::abandon);
            let _ = job
                .done
                .send(Err(io::Error::other("the committer stopped")));
        }
        rx
    }

    /// [`Self::commit`] done here and now (blocking I/O; the slow paths: LMTP, bounces),
    /// with the UIDs given before it returns.
    pub(crate) fn commit_blocking(&self, files: Vec<Staged>) -> io::Result<()> {
        let folders: Vec<(Account, PathBuf)> = files
            .iter()
            .map(|s| (s.account.clone(), s.folder()))
            .collect();
        let (done, mut rx) = oneshot::channel();
        round(
            vec![Job {
                files,
                number: false,
                done,
            }],
            None,
        );
        rx.try_recv()
            .unwrap_or_else(|_| Err(io::Error::other("no result")))?;
        for (account, folder) in folders {
            number(&account, &folder);
        }
        Ok(())
    }
}
