//! A per-user storage quota (`mailserver --quota BYTES`): what a user's mail takes, and
//! whether one more message fits.
//!
//! The usage is the sum of the message sizes in every folder (`cur/` and `new/` of INBOX and
//! of each `.Folder`), read from the `S=` field of the file names this store and Dovecot
//! write, or from the file's length when a name has none. It is counted at each delivery
//! rather than kept in a file (Dovecot's `maildirsize`): a mailbox of a few thousand
//! messages costs one directory scan, and nothing can drift when another program (Dovecot,
//! a MUA on the Maildir) adds or removes files. The IMAP QUOTA extension (RFC 9208,
//! `STORAGE` in units of 1024 octets) can report [`Account::usage`] against
//! [`Store::quota`].

use std::fs;
use std::io;
use std::path::Path;

use super::{Account, Store};

impl Store {
    /// The same store with a storage limit per user, in octets (`None`: no limit).
    pub(crate) fn with_quota(mut self, bytes: Option<u64>) -> Self {
        self.quota = bytes;
        self
    }

    /// The storage limit per user, in octets.
    pub(crate) fn quota(&self) -> Option<u64> {
        self.quota
    }

    /// Whether a message of `size` octets fits in `user`'s quota: `Ok(None)` when it does
    /// (or there is no quota), `Ok(Some(usage))` with the current usage when it does not.
    pub(crate) fn over_quota(&self, user: &str, size: u64) -> io::Result<Option<u64>> {
        let Some(limit) = self.quota else {
            return Ok(None);
        };
        let usage = self.account(user).usage()?;
        Ok((usage.saturating_add(size) > limit).then_some(usage))
    }
}

impl Account {
    /// Octets of mail in every folder of this account (0 for an account not created yet).
    pub(crate) fn usage(&self) -> io::Result<u64> {
        let root = self.maildir();
        let mut total = folder_usage(&root)?;
        let entries = match fs::read_dir(&root) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let is_folder =
                name.to_str().is_some_and(|n| n.starts_with('.')) && entry.file_type()?.is_dir();
            if is_folder {
                total = total.saturating_add(folder_usage(&entry.path())?);
            }
        }
        Ok(total)
    }
}

/// Octets of the messages in one folder directory (`cur/` and `new/`).
fn folder_usage(dir: &Path) -> io::Result<u64> {
    let mut total = 0u64;
    for sub in ["cur", "new"] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let size = match entry.file_name().to_str().and_then(size_in_name) {
                Some(s) => s,
                // A file gone since the listing (expunged meanwhile) takes nothing.
                None => entry.metadata().map_or(0, |m| m.len()),
            };
            total = total.saturating_add(size);
        }
    }
    Ok(total)
}

/// The `S=` field of a Maildir file name (`BASE,S=1234,W=1260:2,S`).
fn size_in_name(name: &str) -> Option<u64> {
    let base = name.split(':').next()?;
    base.split(',')
        .skip(1)
        .find_map(|f| f.strip_prefix("S="))
        .and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Flags, INBOX};

    #[test]
    fn size_fields() {
        assert_eq!(
            size_in_name("1.M2P3Q4.mailserver,S=120,W=124:2,S"),
            Some(120)
        );
        assert_eq!(size_in_name("1.M2P3Q4.host,W=9,S=7"), Some(7));
        assert_eq!(size_in_name("1704103201.pop3seed1.host:2,S"), None);
        assert_eq!(size_in_name("1.x,S=abc"), None);
    }

    #[test]
    fn usage_counts_every_folder_and_the_quota_uses_it() {
        let dir = std::env::temp_dir().join(format!(
            "mailserver-quota-{}-{}",
            std::process::id(),
            super::super::unique_name()
        ));
        let store = Store::new(dir.clone()).with_quota(Some(100));
        store.ensure_user("ann").unwrap();
        let account = store.account("ann");
        assert_eq!(account.usage().unwrap(), 0);
        assert_eq!(store.over_quota("ann", 100).unwrap(), None);
        assert_eq!(store.over_quota("ann", 101).unwrap(), Some(0));
        let body = b"Subject: x\r\n\r\n0123456789\r\n";
        account
            .append(INBOX, &body[..], None, &Flags::default())
            .unwrap();
        account
            .append("Sent", &body[..], None, &Flags::default())
            .unwrap();
        // A file another program wrote, without S= in its name.
        fs::write(account.maildir().join("cur/1.other.host:2,S"), [b'x'; 40]).unwrap();
        let n = body.len() as u64;
        assert_eq!(account.usage().unwrap(), 2 * n + 40);
        assert_eq!(store.over_quota("ann", 100 - 2 * n - 40).unwrap(), None);
        assert_eq!(
            store.over_quota("ann", 100 - 2 * n - 39).unwrap(),
            Some(2 * n + 40)
        );
        assert_eq!(
            Store::new(dir.clone()).over_quota("ann", 1 << 40).unwrap(),
            None
        );
        assert_eq!(store.account("nobody").usage().unwrap(), 0);
        fs::remove_dir_all(dir).unwrap();
    }
}
