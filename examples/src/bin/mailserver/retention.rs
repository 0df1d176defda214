//! `--retain-days N`: messages older than N days are deleted, at start-up and every hour,
//! from every folder of every mailbox in the data directory (by INTERNALDATE, the file's
//! mtime) and from the outbound spool (bounces waiting to go out included; a queued
//! message that old is dropped without a bounce). Leftovers of interrupted receptions in
//! `incoming/` are removed at start by the store's recovery already. Deleting needs no key:
//! an encrypted message goes like any other. Each sweep that removed something is one line
//! on stdout and in the audit log, with counts only.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::store::Store;
use crate::{Ctx, audit, users};

/// How often the sweep runs after the one at start-up.
const EVERY: Duration = Duration::from_secs(3600);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Swept {
    /// Messages in mailboxes.
    pub(crate) messages: usize,
    /// Queued messages in the spool.
    pub(crate) spool: usize,
}

/// One sweep over `data` (blocking I/O): everything older than `days` days goes.
pub(crate) fn sweep(data: &Path, store: &Store, days: u32) -> io::Result<Swept> {
    let cutoff = SystemTime::now()
        .checked_sub(Duration::from_secs(u64::from(days) * 86_400))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut swept = Swept::default();
    for entry in fs::read_dir(data)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !users::valid_name(&name) || !entry.path().join("Maildir").is_dir() {
            continue;
        }
        let account = store.account(&name);
        for folder in account.list_folders()? {
            if !folder.exists() {
                continue;
            }
            let view = account.open(&folder.name)?;
            let old: Vec<u32> = view
                .messages
                .iter()
                .filter(|m| m.internal_date < cutoff)
                .map(|m| m.uid)
                .collect();
            if !old.is_empty() {
                swept.messages += account.remove(&folder.name, &old)?.len();
            }
        }
    }
    swept.spool = sweep_spool(&data.join("spool"), cutoff)?;
    Ok(swept)
}

/// Removes the queued messages of the spool whose `ID.eml` was written before `cutoff`,
/// each with its `ID.env` (removed first, as the relay does); returns how many.
fn sweep_spool(dir: &Path, cutoff: SystemTime) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some(id) = name.strip_suffix(".eml") else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if !old {
            continue;
        }
        match fs::remove_file(dir.join(format!("{id}.env"))) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if removed > 0 {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(removed)
}

/// One sweep, logged: on stdout and, when something went, in the audit log.
fn sweep_logged(data: &Path, store: &Store, days: u32) {
    match sweep(data, store, days) {
        Ok(s) if s == Swept::default() => {}
        Ok(s) => {
            println!(
                "retention: removed {} messages and {} spooled older than {days} days",
                s.messages, s.spool
            );
            audit::note(
                data,
                "retention",
                None,
                &format!("messages={} spool={} days={days}", s.messages, s.spool),
            );
        }
        Err(e) => println!("retention: sweep failed: {e}"),
    }
}

/// The sweep at start-up (done when this returns), then every hour in the background.
pub(crate) async fn start(ctx: Arc<Ctx>, data: &Path, days: u32) -> tokio::task::JoinHandle<()> {
    let (d, store) = (data.to_owned(), ctx.store.clone());
    let _ = tokio::task::spawn_blocking(move || sweep_logged(&d, &store, days)).await;
    let data = data.to_owned();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let (d, store) = (data.clone(), ctx.store.clone());
            let _ = tokio::task::spawn_blocking(move || sweep_logged(&d, &store, days)).await;
        }
    })
}
