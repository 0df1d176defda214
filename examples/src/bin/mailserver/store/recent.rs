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

#[cfg(test)]
mod tests {
    use super::super::tests::{Scratch, put};
    use super::super::{Flag, FlagOp, Flags, INBOX};

    #[test]
    fn claimed_once_flags_and_modseqs_kept() {
        let scratch = Scratch::new("recent");
        let alice = scratch.store().account("alice");
        alice.ensure_inbox().unwrap();
        put(&alice, INBOX, "Subject: one\r\n\r\n1\r\n");
        put(&alice, INBOX, "Subject: two\r\n\r\n2\r\n");
        let before = alice.open(INBOX).unwrap();
        assert!(before.messages.iter().all(|m| m.recent));
        assert_eq!(alice.claim_recent(INBOX).unwrap(), [1, 2]);
        // Nothing left for a second session.
        assert_eq!(alice.claim_recent(INBOX).unwrap(), Vec::<u32>::new());
        let after = alice.open(INBOX).unwrap();
        assert!(after.messages.iter().all(|m| !m.recent));
        assert_eq!(after.highest_modseq, before.highest_modseq);
        let modseqs =
            |v: &crate::store::View| -> Vec<u64> { v.messages.iter().map(|m| m.modseq).collect() };
        assert_eq!(modseqs(&after), modseqs(&before));
        // The files moved to cur/ keep their UIDs and take flags as before.
        alice
            .set_flags(
                INBOX,
                &[2],
                FlagOp::Add,
                &Flags::new().with(Flag::Seen),
                None,
            )
            .unwrap();
        put(&alice, INBOX, "Subject: three\r\n\r\n3\r\n");
        assert_eq!(alice.claim_recent(INBOX).unwrap(), [3]);
        let view = alice.open(INBOX).unwrap();
        let uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
        assert_eq!(uids, [1, 2, 3]);
        assert!(view.messages[1].flags.contains(Flag::Seen));
    }
}
