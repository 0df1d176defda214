//! The folder tree: LIST, CREATE, DELETE, RENAME, subscriptions, STATUS, the special-use
//! folders and UIDVALIDITY numbers.

use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::lock::{TEMP_SUFFIX, read_optional, sync_dir, write_atomic};
use super::names::{self, INBOX, SEPARATOR};
use super::{Account, Error, Flag, Result};

/// The lock for changes to the folder tree (ours; Dovecot's is a different file).
const TREE_LOCK: &str = "mailserver-folders";
/// Dovecot's subscription file, in the Maildir root.
const SUBSCRIPTIONS: &str = "subscriptions";
/// Its version 2 header; names follow, one a line, levels separated by tabs.
const SUBSCRIPTIONS_HEADER: &str = "V\t2\n\n";
/// The last UIDVALIDITY given out, in hex (the file Dovecot keeps for the same purpose).
const UIDVALIDITY: &str = "dovecot-uidvalidity";
/// The file that marks a Maildir++ folder.
const FOLDER_MARK: &str = "maildirfolder";

/// The special-use folders every account has (RFC 6154), created with the account.
pub(crate) const SPECIAL: [(&str, Attribute); 4] = [
    ("Drafts", Attribute::Drafts),
    ("Sent", Attribute::Sent),
    ("Trash", Attribute::Trash),
    ("Junk", Attribute::Junk),
];

/// A LIST attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Attribute {
    /// `\NonExistent` (implies `\Noselect`): a level that only has children, or a
    /// subscription to a folder that is gone.
    NonExistent,
    /// `\HasChildren`.
    HasChildren,
    /// `\HasNoChildren`.
    HasNoChildren,
    /// `\Drafts`.
    Drafts,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
    /// `\Junk`.
    Junk,
}

impl Attribute {
    /// Whether this is a special-use attribute (LIST (SPECIAL-USE) returns only those
    /// folders).
    pub(crate) fn is_special_use(self) -> bool {
        matches!(self, Self::Drafts | Self::Sent | Self::Trash | Self::Junk)
    }
}

/// One line of LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FolderInfo {
    /// The name, `.` between levels; INBOX is `INBOX`.
    pub(crate) name: String,
    /// Sorted.
    pub(crate) attributes: Vec<Attribute>,
    /// `\Subscribed`.
    pub(crate) subscribed: bool,
}

impl FolderInfo {
    /// Whether the folder can be selected.
    pub(crate) fn exists(&self) -> bool {
        !self.attributes.contains(&Attribute::NonExistent)
    }
}

/// STATUS, and what SELECT reports besides the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) messages: u32,
    /// Messages still in `new/`.
    pub(crate) recent: u32,
    pub(crate) uidnext: u32,
    pub(crate) uidvalidity: u32,
    pub(crate) unseen: u32,
    /// The sum of the messages' sizes (RFC 8438).
    pub(crate) size: u64,
    pub(crate) highest_modseq: u64,
    /// Messages with `\Deleted` (RFC 9051).
    pub(crate) deleted: u32,
}

static WORK_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name in `work/` (`KIND.PID.N.mailserver-tmp`, so recovery knows whose it is).
fn work_name(kind: &str) -> String {
    let n = WORK_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{kind}.{}.{n}{TEMP_SUFFIX}", std::process::id())
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Account {
    /// Every folder, with its attributes and subscription: INBOX first, then by name.
    /// Levels that only have children, and subscribed folders that are gone, are listed
    /// `\NonExistent`.
    pub(crate) fn list_folders(&self) -> Result<Vec<FolderInfo>> {
        self.ensure_inbox()?;
        let md = self.maildir();
        // name -> exists
        let mut all: BTreeMap<String, bool> = BTreeMap::new();
        for entry in fs::read_dir(&md)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().and_then(names::from_dir_name) else {
                continue;
            };
            if entry.path().join("cur").is_dir() {
                all.insert(name, true);
            }
        }
        let existing: Vec<String> = all.keys().cloned().collect();
        for name in &existing {
            let mut parent = name.as_str();
            while let Some((p, _)) = parent.rsplit_once(SEPARATOR) {
                all.entry(p.to_owned()).or_insert(false);
                parent = p;
            }
        }
        let subscribed = self.subscriptions()?;
        for s in &subscribed {
            if s != INBOX {
                all.entry(s.clone()).or_insert(false);
            }
        }
        let mut out = Vec::with_capacity(all.len() + 1);
        let inbox_children = all.keys().any(|n| names::is_inferior_or_same(n, INBOX));
        out.push(info(INBOX, true, inbox_children, &subscribed));
        for (name, exists) in &all {
            let children = all
                .range::<String, _>((
                    std::ops::Bound::Excluded(name.clone()),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(n, _)| n.starts_with(name.as_str()))
                .any(|(n, _)| names::is_inferior_or_same(n, name));
            out.push(info(name, *exists, children, &subscribed));
        }
        Ok(out)
    }

    /// CREATE: a new, empty folder (built in `work/`, then renamed into place). Levels
    /// above it are not created (they are listed `\NonExistent` until they are).
    pub(crate) fn create_folder(&self, name: &str) -> Result<()> {
        let name = names::canonical(name)?;
        if name == INBOX {
            return Err(Error::AlreadyExists);
        }
        self.ensure_inbox()?;
        let md = self.maildir();
        let _tree = self.shared().locks.lock(&md, TREE_LOCK)?;
        let dir = names::dir_of(&md, &name);
        if dir.exists() {
            return Err(Error::AlreadyExists);
        }
        let work = self.work();
        fs::create_dir_all(&work)?;
        let temp = work.join(work_name("create"));
        let built = (|| {
            for sub in ["cur", "new", "tmp"] {
                fs::create_dir_all(temp.join(sub))?;
            }
            fs::File::create(temp.join(FOLDER_MARK))?.sync_all()?;
            sync_dir(&temp)?;
            fs::rename(&temp, &dir)?;
            sync_dir(&md)
        })();
        if built.is_err() {
            let _ = fs::remove_dir_all(&temp);
        }
        built?;
        Ok(())
    }

    /// DELETE: removes a folder and its messages (its children stay; the level becomes
    /// `\NonExistent` if it has any). The directory is first renamed into `work/`, so a
    /// crash never leaves half a folder visible. INBOX cannot be deleted.
    pub(crate) fn delete_folder(&self, name: &str) -> Result<()> {
        let name = names::canonical(name)?;
        if name == INBOX {
            return Err(Error::NotAllowed("INBOX cannot be deleted"));
        }
        let md = self.maildir();
        let _tree = self.shared().locks.lock(&md, TREE_LOCK)?;
        let dir = self.folder_dir(&name)?;
        let work = self.work();
        fs::create_dir_all(&work)?;
        let doomed = work.join(work_name("delete"));
        {
            let _lock = self.shared().locks.lock(&dir, super::ops::LOCK)?;
            fs::rename(&dir, &doomed)?;
            sync_dir(&md)?;
        }
        fs::remove_dir_all(&doomed)?;
        self.notify(&name);
        Ok(())
    }

    /// RENAME: the folder and every folder below it get the new name; UIDs and
    /// UIDVALIDITY go with them. Renaming INBOX moves its messages into a new folder and
    /// leaves INBOX empty (RFC 9051 §6.3.6). Subscriptions are not changed.
    pub(crate) fn rename_folder(&self, from: &str, to: &str) -> Result<()> {
        let from = names::canonical(from)?;
        let to = names::canonical(to)?;
        if to == INBOX {
            return Err(Error::AlreadyExists);
        }
        if from == INBOX {
            self.create_folder(&to)?;
            let all: Vec<u32> = self.open(INBOX)?.messages.iter().map(|m| m.uid).collect();
            self.move_messages(INBOX, &all, &to)?;
            return Ok(());
        }
        if names::is_inferior_or_same(&to, &from) {
            return Err(Error::NotAllowed("a folder cannot be moved below itself"));
        }
        let md = self.maildir();
        let _tree = self.shared().locks.lock(&md, TREE_LOCK)?;
        self.folder_dir(&from)?;
        let moving: Vec<String> = self
            .list_folders()?
            .into_iter()
            .filter(|f| f.exists() && names::is_inferior_or_same(&f.name, &from))
            .map(|f| f.name)
            .collect();
        let renamed: Vec<(String, String)> = moving
            .iter()
            .map(|old| (old.clone(), format!("{to}{}", &old[from.len()..])))
            .collect();
        for (_, new) in &renamed {
            names::canonical(new)?;
            if names::dir_of(&md, new).exists() {
                return Err(Error::AlreadyExists);
            }
        }
        for (old, new) in &renamed {
            fs::rename(names::dir_of(&md, old), names::dir_of(&md, new))?;
            self.notify(old);
        }
        sync_dir(&md)?;
        Ok(())
    }

    /// The subscribed folder names (Dovecot's `subscriptions` file, version 1 or 2).
    pub(crate) fn subscriptions(&self) -> Result<Vec<String>> {
        let Some(text) = read_optional(&self.maildir().join(SUBSCRIPTIONS))? else {
            return Ok(Vec::new());
        };
        let (v2, body) = match text.strip_prefix(SUBSCRIPTIONS_HEADER) {
            Some(body) => (true, body),
            None => (false, text.as_str()),
        };
        let mut out: Vec<String> = body
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                if v2 {
                    l.split('\t')
                        .collect::<Vec<_>>()
                        .join(&SEPARATOR.to_string())
                } else {
                    l.to_owned()
                }
            })
            .collect();
        out.dedup();
        Ok(out)
    }

    /// SUBSCRIBE (`true`) or UNSUBSCRIBE (`false`). The folder need not exist.
    pub(crate) fn set_subscribed(&self, name: &str, subscribed: bool) -> Result<()> {
        let name = names::canonical(name)?;
        self.ensure_inbox()?;
        let md = self.maildir();
        let _lock = self.shared().locks.lock(&md, SUBSCRIPTIONS)?;
        let mut all = self.subscriptions()?;
        let had = all.contains(&name);
        if had == subscribed {
            return Ok(());
        }
        if subscribed {
            all.push(name);
        } else {
            all.retain(|n| *n != name);
        }
        let mut text = SUBSCRIPTIONS_HEADER.to_owned();
        for n in &all {
            text.push_str(&n.split(SEPARATOR).collect::<Vec<_>>().join("\t"));
            text.push('\n');
        }
        write_atomic(&md, SUBSCRIPTIONS, text.as_bytes())?;
        Ok(())
    }

    /// STATUS of folder `name` (syncs it).
    pub(crate) fn status(&self, name: &str) -> Result<Status> {
        let view = self.open(name)?;
        let m = &view.messages;
        Ok(Status {
            messages: view.exists(),
            recent: count(m.iter().filter(|m| m.recent).count()),
            uidnext: view.uidnext,
            uidvalidity: view.uidvalidity,
            unseen: view.unseen(),
            size: m.iter().map(|m| m.size).sum(),
            highest_modseq: view.highest_modseq,
            deleted: count(m.iter().filter(|m| m.flags.contains(Flag::Deleted)).count()),
        })
    }

    /// Creates and subscribes Drafts, Sent, Trash and Junk where missing.
    pub(crate) fn ensure_special_folders(&self) -> Result<()> {
        for (name, _) in SPECIAL {
            match self.create_folder(name) {
                Ok(()) => self.set_subscribed(name, true)?,
                Err(Error::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A UIDVALIDITY never given before in this account: the clock's seconds, or one more
    /// than the last if the clock has not moved on.
    pub(super) fn next_uidvalidity(&self) -> Result<u32> {
        let md = self.maildir();
        let _lock = self.shared().locks.lock(&md, UIDVALIDITY)?;
        let last = read_optional(&md.join(UIDVALIDITY))?
            .and_then(|t| u32::from_str_radix(t.trim(), 16).ok())
            .unwrap_or(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        let next = now.max(last.wrapping_add(1)).max(1);
        write_atomic(&md, UIDVALIDITY, format!("{next:08x}").as_bytes())?;
        Ok(next)
    }
}

/// The LIST line of a folder.
fn info(name: &str, exists: bool, children: bool, subscribed: &[String]) -> FolderInfo {
    let mut attributes = vec![if children {
        Attribute::HasChildren
    } else {
        Attribute::HasNoChildren
    }];
    if !exists {
        attributes.push(Attribute::NonExistent);
    }
    if let Some((_, a)) = SPECIAL.iter().find(|(n, _)| *n == name) {
        attributes.push(*a);
    }
    attributes.sort_unstable();
    FolderInfo {
        name: name.to_owned(),
        attributes,
        subscribed: subscribed.iter().any(|s| s == name),
    }
}
