//! `\Recent` (RFC 3501 §2.3.2): a message is recent for exactly one session, the first to
//! select its folder read-write after it arrived. The claim is Maildir's own: a message in
//! `new/` has been seen by no client yet, and the session that moves it to `cur/` (under
//! the folder's lock) is the one it is recent for, as Dovecot does it.

use std::fs;
use std::io;

use super::lock::sync_dir;
use super::ops::LOCK;
use super::{Account, Result, names};

impl Account {
    /// Moves every message of folder `name` still in `new/` to `cur/` (flags unchanged, so
    /// no modseq changes) and returns their UIDs, ascending: the messages recent for the
    /// caller's session. Another session's claim (or another program's move) that got there
    /// first leaves a message out.
    pub(crate) fn claim_recent(&self, name: &str) -> Result<Vec<u32>> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        let _lock = self.shared().locks.lock(&dir, LOCK)?;
        let mut synced = self.sync_locked(&dir, &[])?;
        let mut claimed = Vec::new();
        for m in synced.messages.iter_mut().filter(|m| m.recent) {
            let file = format!("{}:2,{}", m.base(), m.letters());
            match fs::rename(m.path(&dir), dir.join("cur").join(&file)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
            m.file = file;
            m.recent = false;
            claimed.push(m.uid);
        }
        if !claimed.is_empty() {
            sync_dir(&dir.join("new"))?;
            sync_dir(&dir.join("cur"))?;
            synced.save(&dir, false)?;
        }
        Ok(claimed)
    }
}
