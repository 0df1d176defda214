//! APPEND (and MULTIAPPEND): each message streams from the machine's chunks into the store's
//! `append`, which writes it to the folder's `tmp/`, fsyncs and renames it; the messages of
//! one command are kept only if all of them are (RFC 3502).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use imap_proto::response::Code;
use imap_proto::server::{Completion, Server, Token};
use imap_proto::types::{DateTime, Flag, Mailbox};
use tokio::sync::mpsc;

use super::mailbox::{folder_name, number_set, store_error, store_flags};
use super::{ImapConn, no};
use crate::store::{self, Account};

/// Chunks in flight between the session and the writing thread.
const CHANNEL: usize = 8;

/// Feeds the store's blocking writer from the session's chunks.
struct ChunkReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.current = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.current.get(..n)) {
            dst.copy_from_slice(src);
        }
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// One message being written.
#[derive(Debug)]
struct Writing {
    folder: String,
    tx: mpsc::Sender<Bytes>,
    task: tokio::task::JoinHandle<store::Result<(u32, u32)>>,
}

/// Why an APPEND failed.
#[derive(Debug)]
enum Failure {
    Store(store::Error),
    OverQuota,
    BadName,
}

/// The APPEND being received.
#[derive(Debug, Default)]
pub(crate) struct Appending {
    writing: Option<Writing>,
    /// `(folder, uidvalidity, uid)` of the messages stored so far.
    stored: Vec<(String, u32, u32)>,
    failure: Option<Failure>,
}

impl Appending {
    /// Drops a message half written (its `tmp/` file stays for the store's recovery).
    pub(crate) fn discard(&mut self) {
        if let Some(w) = self.writing.take() {
            w.task.abort();
        }
    }
}

/// An APPEND date as a file time.
fn file_time(date: DateTime) -> Option<SystemTime> {
    let secs = u64::try_from(date.unix_timestamp()).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

impl ImapConn {
    pub(super) async fn append_start(
        &mut self,
        account: &Account,
        mailbox: &Mailbox,
        flags: &[Flag],
        date: Option<DateTime>,
        size: u64,
    ) {
        if self.append.failure.is_some() {
            return;
        }
        let Some(folder) = folder_name(mailbox) else {
            self.append.failure = Some(Failure::BadName);
            return;
        };
        let store = self.ctx.store.clone();
        let user = account.user().to_owned();
        let over = tokio::task::spawn_blocking(move || store.over_quota(&user, size))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        if over.is_some() {
            self.append.failure = Some(Failure::OverQuota);
            return;
        }
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (a, flags, date) = (
            account.clone(),
            store_flags(flags),
            date.and_then(file_time),
        );
        let name = folder.clone();
        let task = tokio::task::spawn_blocking(move || {
            let reader = ChunkReader {
                rx,
                current: Bytes::new(),
            };
            a.append(&name, reader, date, &flags)
        });
        self.append.writing = Some(Writing { folder, tx, task });
    }

    pub(super) async fn append_chunk(&mut self, bytes: Bytes) {
        if let Some(w) = &self.append.writing {
            // A writer that stopped (no such folder) reports why at the end.
            let _ = w.tx.send(bytes).await;
        }
    }

    pub(super) async fn append_end(&mut self) {
        let Some(w) = self.append.writing.take() else {
            return;
        };
        drop(w.tx);
        let result = w
            .task
            .await
            .map_err(|e| store::Error::Io(std::io::Error::other(e)))
            .and_then(|r| r);
        match result {
            Ok((validity, uid)) => self.append.stored.push((w.folder, validity, uid)),
            Err(e) => {
                if self.append.failure.is_none() {
                    self.append.failure = Some(Failure::Store(e));
                }
            }
        }
    }

    /// Removes what an APPEND stored before it failed.
    async fn append_undo(&mut self, account: &Account) {
        self.append.discard();
        for (folder, _, uid) in std::mem::take(&mut self.append.stored) {
            let a = account.clone();
            let _ = tokio::task::spawn_blocking(move || a.remove(&folder, &[uid])).await;
        }
    }

    pub(super) async fn append_aborted(&mut self, account: &Account) {
        self.append_undo(account).await;
        self.append.failure = None;
    }

    pub(super) async fn append_done(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        _mailbox: &Mailbox,
    ) {
        if let Some(failure) = self.append.failure.take() {
            self.append_undo(account).await;
            let completion = match failure {
                Failure::Store(store::Error::NoSuchFolder) => {
                    no(Some(Code::TryCreate), "no such folder")
                }
                Failure::Store(e) => store_error(&e),
                Failure::OverQuota => no(Some(Code::OverQuota), "quota exceeded"),
                Failure::BadName => no(Some(Code::Cannot), "bad folder name"),
            };
            let _ = server.complete(token, completion);
            return;
        }
        let stored = std::mem::take(&mut self.append.stored);
        let validity = stored.first().map(|(_, v, _)| *v);
        let uids: Vec<u32> = stored.iter().map(|(_, _, u)| *u).collect();
        self.log(&format!("appended {} messages", uids.len()));
        // Into the selected folder: announce them now.
        self.refresh(server).await;
        let completion = match (validity, number_set(&uids)) {
            (Some(uid_validity), Some(uids)) => {
                Completion::ok().with_code(Code::AppendUid { uid_validity, uids })
            }
            _ => Completion::ok(),
        };
        let _ = server.complete(token, completion);
    }
}
