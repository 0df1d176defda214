//! The mail store: one Maildir++ tree per user, shared by SMTP delivery, POP3 and IMAP.
//!
//! # Layout (Dovecot-compatible Maildir++)
//!
//! ```text
//! DATA/NAME/Maildir/                 INBOX: cur/ new/ tmp/ + the per-folder files below
//! DATA/NAME/Maildir/.Sent/           a folder (a `maildirfolder` file marks it)
//! DATA/NAME/Maildir/.Archive.2026/   "Archive.2026": `.` is the hierarchy separator
//! DATA/NAME/Maildir/.&AMk-t&AOk-/    "Été": names on disk are modified UTF-7, like Dovecot's
//! DATA/NAME/Maildir/subscriptions    subscribed names (Dovecot's `V\t2` format)
//! DATA/NAME/Maildir/dovecot-uidvalidity   the last UIDVALIDITY given out (hex)
//! DATA/NAME/work/                    scratch space for folder creation and deletion
//! DATA/NAME/mailserver-key.{pub,age} the user's key pair, with `--encrypt` (`crypt.rs`)
//! ```
//!
//! In every folder directory:
//!
//! - messages are files in `new/` (not yet seen by a client) or `cur/`, named
//!   `SECS.MMICROSPPIDQN.mailserver,S=SIZE,W=VSIZE:2,FLAGS`: `S` the size on disk, `W` the
//!   RFC 822 size with CRLF line ends (the same, as messages are stored as received, with
//!   CRLF; an encrypted message's are the plaintext's, see `crypt.rs`). FLAGS are the
//!   Maildir letters `D F P R S T` (draft, flagged, passed, replied, seen, trashed =
//!   `\Deleted`) in ASCII order, then keyword letters `a`–`z`. The file's
//!   mtime is the INTERNALDATE. Letters this store does not know are kept as they are.
//! - `dovecot-keywords`: `0 $Forwarded` lines mapping keyword letters (`0` = `a`) to names;
//!   at most 26 keywords per folder (more are refused with [`Error::TooManyKeywords`]).
//! - `dovecot-uidlist`: `3 V<uidvalidity> N<uidnext> G<guid>` then `<uid> :<filename>`
//!   lines, in UID order. UIDs are given when a folder is synced: files found in `new/` or
//!   `cur/` that the list does not name get the next UIDs, oldest name first. `N` only ever
//!   grows, so a UID is never reused in a folder; a UIDVALIDITY is never given twice to the
//!   same user (the `dovecot-uidvalidity` counter).
//! - `mailserver-modseq`: ours, for CONDSTORE/QRESYNC (Dovecot keeps modseqs in its index
//!   files, which this store does not write): HIGHESTMODSEQ, each message's modseq and the
//!   flags it was last seen with (so flag changes made by another program are noticed and
//!   get a modseq at the next sync), and the last [`MAX_EXPUNGED`] expunged UIDs with their
//!   modseq for VANISHED; older expunges are summarised by a floor (see
//!   [`View::vanished_since`]).
//!
//! # Locking and crash safety
//!
//! Every change to a folder (sync, delivery, flags, expunge, copy, move) holds the folder's
//! `dovecot-uidlist.lock` dotlock, as Dovecot does, plus an in-process lock so the threads of
//! one server never spin on the dotlock. A dotlock is stale, and taken over, when its mtime
//! is older than two minutes (Dovecot's `MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT`) or when it was
//! written by a `mailserver` process that no longer runs. Reading a message needs no lock.
//!
//! Nothing is lost if the process is killed at any point:
//!
//! - messages are written to `tmp/`, fsynced, renamed into `new/` or `cur/`, and the
//!   directory fsynced before anything acknowledges them;
//! - every control file (uidlist, keywords, modseq, subscriptions, uidvalidity) is written to
//!   a `NAME.PID.N.mailserver-tmp` file, fsynced, renamed over the old one, and the directory
//!   fsynced: readers see the old or the new file, never half of one;
//! - the files are written in an order that the next sync repairs: a message file renamed
//!   for new flags before the modseq file was written is noticed by its name; an expunged
//!   file still in the uidlist is reported expunged; a file that is in no uidlist gets a UID.
//!
//! At start, [`Store::recover`] removes what a killed process left: message files in any
//! `tmp/` older than 36 hours (the Maildir rule: a delivery never takes that long), control
//! temps and dotlocks of processes that are gone (or older than two minutes), and the
//! `work/` leftovers of folder creations and deletions.
//!
//! # The API
//!
//! A plain synchronous API: the async services call it through `spawn_blocking`. A
//! [`Store`] is cheap to clone; [`Store::account`] gives a user's [`Account`], whose methods
//! are the operations (deliver/append, folders, views, flags, copy/move, expunge, read,
//! status). An IMAP session keeps a [`View`] of its selected folder and brings it up to date
//! with [`View::refresh`], which says what to report (EXPUNGE, EXISTS, FETCH FLAGS); it
//! waits for changes with [`Account::watch`], which every change made through this store
//! wakes (a delivery wakes IDLE; two sessions see each other's flags and expunges). Changes
//! made by other programs (Dovecot, a MUA on the Maildir) are seen at the next refresh, so
//! an IDLE session should also refresh now and then.

mod commit;
mod crypt;
mod deliver;
mod flags;
mod folders;
mod hub;
mod keywords;
mod lock;
mod modseq;
mod names;
mod ops;
mod quota;
mod recent;
mod recover;
mod sync;
mod uidlist;
mod utf7;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dovecot;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// The API the IMAP service uses; SMTP and POP3 use part of it.
#[allow(unused_imports, reason = "the IMAP service (next) uses the rest")]
pub(crate) use {
    crypt::{Body, Key},
    deliver::{Plain, Sizes, Staged, rfc5322_date, unique_name},
    flags::{Flag, FlagOp, Flags},
    folders::{Attribute, FolderInfo, Status},
    modseq::MAX_EXPUNGED,
    names::{INBOX, SEPARATOR},
    ops::{FlagUpdate, Transfer},
    recover::Recovered,
    sync::{Changes, Message, Vanished, View},
};

/// What can go wrong; IMAP maps each to a response code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    /// The folder does not exist (`[NONEXISTENT]`, `[TRYCREATE]` for APPEND and COPY).
    #[error("no such folder")]
    NoSuchFolder,
    /// CREATE or RENAME onto an existing folder (`[ALREADYEXISTS]`).
    #[error("the folder already exists")]
    AlreadyExists,
    /// A name that cannot be a folder (`[CANNOT]`).
    #[error("invalid folder name: {0}")]
    BadName(&'static str),
    /// Deleting INBOX and the like (`[CANNOT]`).
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    /// The message was expunged (`[EXPUNGEISSUED]` or `[NONEXISTENT]`).
    #[error("no such message")]
    NoSuchMessage,
    /// A 27th keyword in a folder: Maildir has the letters a to z only (`[LIMIT]`).
    #[error("too many keywords in this folder (Maildir allows 26)")]
    TooManyKeywords,
    /// `--encrypt` and the user has no key pair yet: mail for them waits (a temporary
    /// failure) until their first login with a password makes one.
    #[error("the user has no encryption key yet")]
    NoKey,
    /// The message is encrypted and this session has no key that opens it (logged in
    /// without the password), or the password does not open the user's key.
    #[error("encrypted, and the key is not unlocked")]
    Locked,
    /// Another process held the folder lock too long (`[INUSE]`, try again).
    #[error("the folder is locked by another process")]
    LockTimeout,
    /// The disk said no (`[SERVERBUG]` / `[UNAVAILABLE]`).
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::NoSuchFolder | Error::NoSuchMessage => Self::new(io::ErrorKind::NotFound, e),
            Error::AlreadyExists => Self::new(io::ErrorKind::AlreadyExists, e),
            Error::LockTimeout => Self::new(io::ErrorKind::TimedOut, e),
            Error::Locked | Error::NoKey => Self::new(io::ErrorKind::PermissionDenied, e),
            other => Self::other(other),
        }
    }
}

/// The result of every store operation.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The data directory: every user's mail, and the SMTP `incoming/` area.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    root: PathBuf,
    shared: Arc<Shared>,
    /// `--encrypt`: every user needs a key pair before mail is stored for them (`crypt.rs`).
    encrypt: bool,
    /// Octets each user may store (`--quota`, see `quota.rs`); `None`: no limit.
    quota: Option<u64>,
}

/// What every handle of one store shares: the in-process locks and the notification hub.
#[derive(Debug, Default)]
struct Shared {
    locks: lock::LockTable,
    hub: hub::Hub,
    /// The UID numberer's queue (`commit.rs`), once a delivery started it.
    numberer: std::sync::OnceLock<Option<std::sync::mpsc::Sender<commit::Numbered>>>,
    /// The directory fsyncs that concurrent deliveries share (`commit.rs`).
    dir_syncs: commit::DirSyncs,
}

impl Store {
    /// A store rooted at `root` (nothing is created yet).
    pub(crate) fn new(root: PathBuf) -> Self {
        recover::note_start();
        Self {
            root,
            shared: Arc::default(),
            encrypt: false,
            quota: None,
        }
    }

    /// Where SMTP writes messages being received.
    pub(crate) fn incoming(&self) -> PathBuf {
        self.root.join("incoming")
    }

    /// The mail of user `name` (a name `users::valid_name` accepted).
    pub(crate) fn account(&self, name: &str) -> Account {
        Account {
            store: self.clone(),
            user: name.to_owned(),
            home: self.root.join(name),
            key: None,
        }
    }

    /// Creates the user's INBOX and the special folders (Sent, Drafts, Trash, Junk).
    pub(crate) fn ensure_user(&self, name: &str) -> io::Result<()> {
        let account = self.account(name);
        account.ensure_inbox()?;
        account.ensure_special_folders()?;
        Ok(())
    }

    /// Delivers a complete message file into each user's INBOX with a Return-Path field on
    /// top (RFC 5321 §4.4: added at final delivery). Each copy is on disk (fsynced, renamed,
    /// directory fsynced) when this returns. The caller removes `file`.
    pub(crate) fn deliver(&self, file: &Path, users: &[String], return_path: &str) -> Result<()> {
        let field = return_path_field(return_path);
        let staged = self.stage_delivery(
            users,
            || {
                Ok(io::Read::chain(
                    field.as_bytes(),
                    std::fs::File::open(file)?,
                ))
            },
            None,
        )?;
        Ok(self.commit_blocking(staged)?)
    }

    /// Writes a message into each user's INBOX `tmp/` (blocking I/O), for [`Self::commit`]:
    /// read from `open()` for each user with a key pair (one ciphertext per key) and for the
    /// first without; the others without a key pair get hard links to that copy, or to
    /// `plain` when given (a file holding the very octets). On error nothing is left.
    pub(crate) fn stage_delivery<R: io::Read>(
        &self,
        users: &[String],
        mut open: impl FnMut() -> io::Result<R>,
        plain: Option<Plain<'_>>,
    ) -> Result<Vec<Staged>> {
        let mut staged: Vec<Staged> = Vec::with_capacity(users.len());
        let mut linked: Option<usize> = None;
        for user in users {
            let account = self.account(user);
            // `stage` creates INBOX if it is missing.
            let one = (|| {
                let from = match (plain, linked.and_then(|i| staged.get(i))) {
                    (Some(p), _) => Some(p),
                    (None, Some(first)) => Some(first.plain()),
                    (None, None) => None,
                };
                account.stage(INBOX, open()?, None, from)
            })();
            match one {
                Ok(s) => {
                    if linked.is_none() && s.is_plain() {
                        linked = Some(staged.len());
                    }
                    staged.push(s);
                }
                Err(e) => {
                    staged.into_iter().for_each(Staged::abandon);
                    return Err(e);
                }
            }
        }
        Ok(staged)
    }

    /// Erases a user's whole mail directory, key pair included (right to erasure). Returns
    /// whether it existed.
    pub(crate) fn purge(&self, name: &str) -> io::Result<bool> {
        let dir = self.root.join(name);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The field put on top of a message at final delivery (RFC 5321 §4.4).
pub(crate) fn return_path_field(return_path: &str) -> String {
    format!("Return-Path: <{return_path}>\r\n")
}

/// One user's mail: `DATA/NAME/Maildir` and its folders. Cheap to clone; every method is
/// blocking I/O.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    store: Store,
    user: String,
    /// `DATA/NAME`.
    home: PathBuf,
    /// The session's unlocked key, for encrypted messages ([`Account::with_key`]).
    key: Option<Arc<Key>>,
}

impl Account {
    /// The user's name.
    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    /// `DATA/NAME/Maildir`: INBOX, and the root of the folder tree.
    fn maildir(&self) -> PathBuf {
        self.home.join("Maildir")
    }

    /// `DATA/NAME/work`: scratch space on the same file system.
    fn work(&self) -> PathBuf {
        self.home.join("work")
    }

    fn shared(&self) -> &Shared {
        &self.store.shared
    }

    /// Creates INBOX (`Maildir/{cur,new,tmp}`) if it is not there. (Every delivery asks:
    /// three `stat`s when it is.)
    pub(crate) fn ensure_inbox(&self) -> io::Result<()> {
        let md = self.maildir();
        if ["cur", "new", "tmp"]
            .iter()
            .all(|sub| md.join(sub).is_dir())
        {
            return Ok(());
        }
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(md.join(sub))?;
        }
        Ok(())
    }

    /// The directory of folder `name` (already canonical), and whether it exists.
    fn folder_dir(&self, name: &str) -> Result<PathBuf> {
        let canonical = names::canonical(name)?;
        let dir = names::dir_of(&self.maildir(), &canonical);
        if canonical == INBOX {
            self.ensure_inbox()?;
            return Ok(dir);
        }
        if dir.join("cur").is_dir() {
            Ok(dir)
        } else {
            Err(Error::NoSuchFolder)
        }
    }
}
