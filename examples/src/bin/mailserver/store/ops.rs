//! Operations on the messages of a folder: open a view, set flags, expunge, copy, move,
//! read.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::flags::{FlagOp, Flags};
use super::keywords::Keywords;
use super::lock::sync_dir;
use super::sync::{Message, View};
use super::uidlist::Uidlist;
use super::{Account, Body, Error, Flag, Result, names, unique_name};

/// The lock every change to a folder holds: Dovecot's `dovecot-uidlist.lock`.
pub(super) const LOCK: &str = "dovecot-uidlist";

/// The outcome of a STORE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FlagUpdate {
    /// Every message of the set still in the folder, with its flags and modseq after the
    /// change (what FETCH reports), in UID order.
    pub(crate) messages: Vec<(u32, Flags, u64)>,
    /// The UIDs whose flags actually changed.
    pub(crate) changed: Vec<u32>,
    /// The UIDs left alone because their modseq was above UNCHANGEDSINCE (`[MODIFIED]`).
    pub(crate) modified: Vec<u32>,
}

/// The outcome of a COPY or MOVE: `[COPYUID uidvalidity source-uids dest-uids]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Transfer {
    /// The destination folder's UIDVALIDITY.
    pub(crate) uidvalidity: u32,
    /// (source UID, destination UID), in source UID order.
    pub(crate) uids: Vec<(u32, u32)>,
}

impl Account {
    /// Opens folder `name` (SELECT, EXAMINE, STATUS, a POP3 maildrop): syncs it and returns
    /// a snapshot. Sequence numbers are positions in [`View::messages`].
    pub(crate) fn open(&self, name: &str) -> Result<View> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        let _lock = self.shared().locks.lock(&dir, LOCK)?;
        let synced = self.sync_locked(&dir, &[])?;
        Ok(synced.view(&canonical))
    }

    /// STORE: changes the flags of the messages `uids` of folder `name` (UIDs no longer
    /// there are skipped). With `unchanged_since` (CONDSTORE), messages whose modseq is
    /// higher are left alone and listed in [`FlagUpdate::modified`]. Each message changed
    /// gets a new modseq. A keyword the folder has no letter left for fails the whole STORE
    /// with [`Error::TooManyKeywords`] before anything changed.
    pub(crate) fn set_flags(
        &self,
        name: &str,
        uids: &[u32],
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        let lock = self.shared().locks.lock(&dir, LOCK)?;
        let mut synced = self.sync_locked(&dir, &[])?;
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let mut update = FlagUpdate::default();
        // Plan every rename first, so a keyword that does not fit changes nothing.
        let mut plan = Vec::new();
        for (i, m) in synced.messages.iter().enumerate() {
            if !wanted.contains(&m.uid) {
                continue;
            }
            if unchanged_since.is_some_and(|since| m.modseq > since) {
                update.modified.push(m.uid);
                continue;
            }
            let new = m.flags.apply(op, flags);
            if new == m.flags {
                continue;
            }
            let letters = new.to_letters(m.letters(), &mut synced.keywords)?;
            plan.push((i, new, letters));
        }
        synced.keywords.save(&dir)?;
        let mut dirs_touched = [false; 2];
        for (i, new, letters) in plan {
            let Some(m) = synced.messages.get_mut(i) else {
                continue;
            };
            let file = format!("{}:2,{letters}", m.base());
            let from = m.path(&dir);
            let to = dir.join("cur").join(&file);
            match fs::rename(&from, &to) {
                Ok(()) => {}
                // Gone since the sync (another program): the next sync reports it expunged.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
            dirs_touched[usize::from(m.recent)] = true;
            dirs_touched[0] = true;
            m.file = file;
            m.recent = false;
            m.flags = new;
            m.modseq = synced.state.bump();
            let plain = letters.split(',').next().unwrap_or("");
            synced.state.set(m.uid, m.modseq, plain);
            update.changed.push(m.uid);
        }
        for (touched, sub) in dirs_touched.iter().zip(["cur", "new"]) {
            if *touched {
                sync_dir(&dir.join(sub))?;
            }
        }
        synced.save(&dir, false)?;
        update.messages = synced
            .messages
            .iter()
            .filter(|m| wanted.contains(&m.uid))
            .map(|m| (m.uid, m.flags.clone(), m.modseq))
            .collect();
        drop(lock);
        if !update.changed.is_empty() {
            self.notify(&canonical);
        }
        Ok(update)
    }

    /// EXPUNGE (`uids` None) or UID EXPUNGE: removes the messages with `\Deleted` (among
    /// `uids`). Returns the UIDs removed, ascending.
    pub(crate) fn expunge(&self, name: &str, uids: Option<&[u32]>) -> Result<Vec<u32>> {
        self.remove_where(name, |uid, flags| {
            flags.contains(Flag::Deleted) && uids.is_none_or(|set| set.contains(&uid))
        })
    }

    /// Removes the messages `uids` whatever their flags (POP3 DELE at QUIT). Returns the
    /// UIDs removed, ascending.
    pub(crate) fn remove(&self, name: &str, uids: &[u32]) -> Result<Vec<u32>> {
        let set: HashSet<u32> = uids.iter().copied().collect();
        self.remove_where(name, |uid, _| set.contains(&uid))
    }

    fn remove_where(&self, name: &str, pick: impl Fn(u32, &Flags) -> bool) -> Result<Vec<u32>> {
        let canonical = names::canonical(name)?;
        let dir = self.folder_dir(&canonical)?;
        let lock = self.shared().locks.lock(&dir, LOCK)?;
        let mut synced = self.sync_locked(&dir, &[])?;
        let mut removed = Vec::new();
        for m in &synced.messages {
            if !pick(m.uid, &m.flags) {
                continue;
            }
            match fs::remove_file(m.path(&dir)) {
                Ok(()) => removed.push(m.uid),
                Err(e) if e.kind() == io::ErrorKind::NotFound => removed.push(m.uid),
                Err(e) => return Err(e.into()),
            }
        }
        if removed.is_empty() {
            return Ok(removed);
        }
        for sub in ["cur", "new"] {
            sync_dir(&dir.join(sub))?;
        }
        let gone: HashSet<u32> = removed.iter().copied().collect();
        synced.messages.retain(|m| !gone.contains(&m.uid));
        synced.uidlist.entries.retain(|e| !gone.contains(&e.uid));
        for uid in &removed {
            synced.state.expunge(*uid);
        }
        synced.save(&dir, true)?;
        drop(lock);
        self.notify(&canonical);
        Ok(removed)
    }

    /// COPY: copies the messages `uids` of folder `from` (those still there) into folder
    /// `to`, with their flags and INTERNALDATE (hard links where the file system allows).
    pub(crate) fn copy(&self, from: &str, uids: &[u32], to: &str) -> Result<Transfer> {
        self.transfer(from, uids, to, false)
    }

    /// MOVE: like [`Self::copy`], then the messages are gone from `from` (each file is
    /// renamed, so a crash leaves every message in exactly one of the two folders).
    pub(crate) fn move_messages(&self, from: &str, uids: &[u32], to: &str) -> Result<Transfer> {
        self.transfer(from, uids, to, true)
    }

    fn transfer(&self, from: &str, uids: &[u32], to: &str, moving: bool) -> Result<Transfer> {
        let from = names::canonical(from)?;
        let to = names::canonical(to)?;
        let src = self.folder_dir(&from)?;
        let dst = self.folder_dir(&to)?;
        let same = src == dst;
        let locks = self.shared().locks.lock_two(&src, &dst, LOCK)?;
        let synced = self.sync_locked(&src, &[])?;
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let picked: Vec<_> = synced
            .messages
            .iter()
            .filter(|m| wanted.contains(&m.uid))
            .collect();
        let mut dst_keywords = if same {
            synced.keywords.clone()
        } else {
            Keywords::read(&dst)?
        };
        // Names and letters first: a keyword that does not fit changes nothing.
        let mut plan = Vec::with_capacity(picked.len());
        for m in &picked {
            let letters = m.flags.to_letters(m.letters(), &mut dst_keywords)?;
            let base = transferred_base(m.base());
            plan.push((m.uid, m.path(&src), base, letters));
        }
        dst_keywords.save(&dst)?;
        let mut placed = Vec::with_capacity(plan.len());
        for (uid, path, base, letters) in &plan {
            let target = dst.join("cur").join(format!("{base}:2,{letters}"));
            let done = if moving && !same {
                fs::rename(path, &target)
            } else {
                link_or_copy(path, &dst, base, &target)
            };
            match done {
                Ok(()) => placed.push((*uid, base.clone())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        sync_dir(&dst.join("cur"))?;
        if moving && !same {
            sync_dir(&src.join("cur"))?;
            sync_dir(&src.join("new"))?;
        }
        let bases: Vec<String> = placed.iter().map(|(_, b)| b.clone()).collect();
        let after = self.sync_locked(&dst, &bases)?;
        let by_base: std::collections::HashMap<&str, u32> =
            after.messages.iter().map(|m| (m.base(), m.uid)).collect();
        let transfer = Transfer {
            uidvalidity: after.uidlist.uidvalidity,
            uids: placed
                .iter()
                .filter_map(|(uid, base)| by_base.get(base.as_str()).map(|d| (*uid, *d)))
                .collect(),
        };
        if moving {
            if same {
                // MOVE into the same folder: new UIDs, and the old ones are expunged.
                for (uid, _, _, _) in &plan {
                    if let Some(m) = synced.messages.iter().find(|m| m.uid == *uid) {
                        let _ = fs::remove_file(m.path(&src));
                    }
                }
            }
            // The source notices the files are gone and records the expunges.
            self.sync_locked(&src, &[])?;
        }
        drop(locks);
        self.notify(&to);
        if moving && !same {
            self.notify(&from);
        }
        Ok(transfer)
    }

    /// Opens message `uid` of folder `name` for reading, with the size of what reads (the
    /// plaintext of an encrypted message, decrypted with the key of [`Account::with_key`];
    /// [`Error::Locked`] without it). Needs no lock: the file is found by the name the
    /// uidlist knows, else by its base name.
    pub(crate) fn open_message(&self, name: &str, uid: u32) -> Result<(Body, u64)> {
        let dir = self.folder_dir(&names::canonical(name)?)?;
        let path = find_file(&dir, uid)?.ok_or(Error::NoSuchMessage)?;
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            // Renamed for new flags in between: look again.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let path = find_file(&dir, uid)?.ok_or(Error::NoSuchMessage)?;
                fs::File::open(path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::NoSuchMessage,
                    _ => e.into(),
                })?
            }
            Err(e) => return Err(e.into()),
        };
        self.body(file)
    }

    /// Opens `message` of folder `name`, a [`super::View`]'s: by the file name the view
    /// knows (no uidlist to read), else as [`Self::open_message`] does.
    pub(crate) fn open_file(&self, name: &str, message: &Message) -> Result<(Body, u64)> {
        let dir = self.folder_dir(&names::canonical(name)?)?;
        match fs::File::open(message.path(&dir)) {
            Ok(file) => self.body(file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.open_message(name, message.uid),
            Err(e) => Err(e.into()),
        }
    }

    /// The whole of message `uid` of folder `name`.
    pub(crate) fn read_message(&self, name: &str, uid: u32) -> Result<Vec<u8>> {
        let (mut file, size) = self.open_message(name, uid)?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        io::Read::read_to_end(&mut file, &mut bytes)?;
        Ok(bytes)
    }
}

/// The path of message `uid` in folder directory `dir`, if the uidlist names it and its file
/// is there.
fn find_file(dir: &Path, uid: u32) -> Result<Option<PathBuf>> {
    let Some(list) = Uidlist::read(dir)? else {
        return Ok(None);
    };
    let Ok(i) = list.entries.binary_search_by_key(&uid, |e| e.uid) else {
        return Ok(None);
    };
    let Some(entry) = list.entries.get(i) else {
        return Ok(None);
    };
    for sub in ["cur", "new"] {
        let p = dir.join(sub).join(&entry.name);
        if p.is_file() {
            return Ok(Some(p));
        }
    }
    let base = super::flags::split_name(&entry.name).0;
    for sub in ["cur", "new"] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for e in entries {
            let e = e?;
            if let Some(n) = e.file_name().to_str()
                && super::flags::split_name(n).0 == base
            {
                return Ok(Some(e.path()));
            }
        }
    }
    Ok(None)
}

/// A fresh base name for a copy, keeping the `,S=` and `,W=` fields of the original.
fn transferred_base(base: &str) -> String {
    let mut out = unique_name();
    for field in base.split(',').skip(1) {
        if field.starts_with("S=") || field.starts_with("W=") {
            out.push(',');
            out.push_str(field);
        }
    }
    out
}

/// Puts a copy of `src` at `target`: a hard link, or (another file system) a copy written
/// to the folder's `tmp/`, fsynced, with the same mtime, then renamed.
fn link_or_copy(src: &Path, dst: &Path, base: &str, target: &Path) -> io::Result<()> {
    match fs::hard_link(src, target) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let tmp = dst.join("tmp").join(base);
    let result = (|| {
        let mtime = fs::metadata(src)?.modified()?;
        let mut from = fs::File::open(src)?;
        let mut to = fs::File::create_new(&tmp)?;
        io::copy(&mut from, &mut to)?;
        to.set_modified(mtime)?;
        to.sync_all()?;
        fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
