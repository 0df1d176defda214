//! Syncing a folder (what is on disk against its uidlist and modseq file) and the [`View`]
//! an IMAP session keeps of its selected folder.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use super::flags::{Flags, split_name};
use super::keywords::Keywords;
use super::modseq::ModState;
use super::uidlist::{Entry, Uidlist};
use super::{Account, Result};

/// One message of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// The UID (never reused in the folder).
    pub(crate) uid: u32,
    /// The modseq of the last change (CONDSTORE).
    pub(crate) modseq: u64,
    /// Its flags.
    pub(crate) flags: Flags,
    /// RFC822.SIZE: the `S=` of the file name, else the octets on disk (messages are
    /// stored with CRLF, as received; an encrypted message's `S=` is the plaintext's).
    pub(crate) size: u64,
    /// INTERNALDATE: the file's mtime.
    pub(crate) internal_date: SystemTime,
    /// Still in `new/`: delivered and not yet given flags by a client (`\Recent`).
    pub(crate) recent: bool,
    /// The file name (in `new/` when `recent`, else in `cur/`).
    pub(super) file: String,
}

impl Message {
    /// The POP3 unique-id: the base of the file name up to its first `,` (stable when
    /// flags change, and what earlier versions of this server gave).
    pub(crate) fn pop3_uidl(&self) -> &str {
        let (base, _) = split_name(&self.file);
        base.split(',').next().unwrap_or(base)
    }

    /// The file name's base (without the `:2,` info), which identifies the message on disk.
    pub(super) fn base(&self) -> &str {
        split_name(&self.file).0
    }

    /// The flag letters of the file name.
    pub(super) fn letters(&self) -> &str {
        split_name(&self.file).1
    }

    /// The path of the file in folder directory `dir`.
    pub(super) fn path(&self, dir: &Path) -> std::path::PathBuf {
        dir.join(if self.recent { "new" } else { "cur" })
            .join(&self.file)
    }
}

/// What a client may be told has vanished since a modseq (QRESYNC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Vanished {
    /// UIDs expunged after the modseq, ascending.
    pub(crate) uids: Vec<u32>,
    /// False when the modseq is older than what the folder remembers
    /// ([`super::MAX_EXPUNGED`]): then also report as vanished every UID the client names
    /// that is not in the folder any more (RFC 7162 §3.2.5.2 allows that).
    pub(crate) complete: bool,
}

/// A snapshot of a folder: sequence numbers are positions in `messages` plus one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct View {
    /// The folder's canonical name.
    pub(crate) folder: String,
    pub(crate) uidvalidity: u32,
    pub(crate) uidnext: u32,
    pub(crate) highest_modseq: u64,
    /// In UID order.
    pub(crate) messages: Vec<Message>,
    /// The keywords defined in the folder (FLAGS), in letter order.
    pub(crate) keywords: Vec<String>,
    /// Whether new keywords can still be stored (`\*` in PERMANENTFLAGS).
    pub(crate) can_create_keywords: bool,
    /// Expunged UIDs and their modseqs, oldest first.
    expunged: Vec<(u32, u64)>,
    /// The highest modseq of an expunge no longer remembered.
    expunge_floor: u64,
}

/// What changed between a session's view and the folder now: what to tell the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// The folder was recreated or its uidlist lost: the session must end (BYE) or reselect.
    pub(crate) uidvalidity_changed: bool,
    /// Sequence numbers to send as EXPUNGE, in this order (highest first, so each stays
    /// valid after the ones before).
    pub(crate) expunged: Vec<u32>,
    /// The same messages by UID, ascending (VANISHED for QRESYNC sessions).
    pub(crate) vanished: Vec<u32>,
    /// The new message count, when it changed after the expunges (EXISTS).
    pub(crate) exists: Option<u32>,
    /// UIDs of messages still there whose flags or modseq changed (FETCH FLAGS/MODSEQ).
    pub(crate) flags: Vec<u32>,
}

impl Changes {
    /// Whether there is nothing to report.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl View {
    /// The number of messages (EXISTS).
    pub(crate) fn exists(&self) -> u32 {
        u32::try_from(self.messages.len()).unwrap_or(u32::MAX)
    }

    /// The sequence number of `uid`.
    pub(crate) fn seq_of(&self, uid: u32) -> Option<u32> {
        let i = self.messages.binary_search_by_key(&uid, |m| m.uid).ok()?;
        u32::try_from(i + 1).ok()
    }

    /// The message with `uid`.
    pub(crate) fn by_uid(&self, uid: u32) -> Option<&Message> {
        let i = self.messages.binary_search_by_key(&uid, |m| m.uid).ok()?;
        self.messages.get(i)
    }

    /// The number of messages without `\Seen`.
    pub(crate) fn unseen(&self) -> u32 {
        let n = self
            .messages
            .iter()
            .filter(|m| !m.flags.contains(super::Flag::Seen))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// UIDs expunged after `modseq` (QRESYNC's VANISHED (EARLIER)).
    pub(crate) fn vanished_since(&self, modseq: u64) -> Vanished {
        let mut uids: Vec<u32> = self
            .expunged
            .iter()
            .filter(|(_, m)| *m > modseq)
            .map(|(u, _)| *u)
            .collect();
        uids.sort_unstable();
        uids.dedup();
        Vanished {
            uids,
            complete: modseq >= self.expunge_floor,
        }
    }

    /// Brings this view up to `fresh` (a later [`Account::open`] of the same folder) and
    /// says what to report, in order: EXPUNGE (or VANISHED), EXISTS, FETCH.
    pub(crate) fn refresh(&mut self, fresh: Self) -> Changes {
        let mut changes = Changes::default();
        if fresh.uidvalidity != self.uidvalidity {
            changes.uidvalidity_changed = true;
            *self = fresh;
            return changes;
        }
        let now: HashMap<u32, &Message> = fresh.messages.iter().map(|m| (m.uid, m)).collect();
        for (i, m) in self.messages.iter().enumerate().rev() {
            match now.get(&m.uid) {
                None => {
                    changes
                        .expunged
                        .push(u32::try_from(i + 1).unwrap_or(u32::MAX));
                    changes.vanished.push(m.uid);
                }
                Some(n) if n.modseq != m.modseq || n.flags != m.flags => {
                    changes.flags.push(m.uid);
                }
                Some(_) => {}
            }
        }
        changes.vanished.reverse();
        changes.flags.reverse();
        let remaining = self.messages.len() - changes.expunged.len();
        if fresh.messages.len() != remaining {
            changes.exists = Some(fresh.exists());
        }
        *self = fresh;
        changes
    }
}

/// A folder after a sync, still under its lock.
#[derive(Debug)]
pub(super) struct Synced {
    pub(super) uidlist: Uidlist,
    pub(super) keywords: Keywords,
    pub(super) state: ModState,
    /// In UID order.
    pub(super) messages: Vec<Message>,
}

impl Synced {
    /// The view of the folder named `folder`.
    pub(super) fn view(&self, folder: &str) -> View {
        View {
            folder: folder.to_owned(),
            uidvalidity: self.uidlist.uidvalidity,
            uidnext: self.uidlist.next_uid,
            highest_modseq: self.state.highest,
            messages: self.messages.clone(),
            keywords: self.keywords.all(),
            can_create_keywords: self.keywords.has_room(),
            expunged: self.state.expunged.iter().copied().collect(),
            expunge_floor: self.state.floor,
        }
    }

    /// Saves the uidlist (the file names it knows are updated) and the modseq file.
    pub(super) fn save(&mut self, dir: &Path, uidlist_changed: bool) -> io::Result<()> {
        if uidlist_changed {
            let names: HashMap<u32, &str> = self
                .messages
                .iter()
                .map(|m| (m.uid, m.file.as_str()))
                .collect();
            for e in &mut self.uidlist.entries {
                if let Some(n) = names.get(&e.uid) {
                    e.name = (*n).to_owned();
                }
            }
            self.uidlist.save(dir)?;
        }
        self.state.save(dir)
    }
}

/// A message file found on disk.
#[derive(Debug)]
struct Found {
    file: String,
    in_new: bool,
    size: u64,
    mtime: SystemTime,
}

/// Lists `new/` and `cur/`, by base name.
fn scan(dir: &Path) -> io::Result<HashMap<String, Found>> {
    let mut found = HashMap::new();
    for (sub, in_new) in [("cur", false), ("new", true)] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(file) = entry.file_name().into_string() else {
                continue;
            };
            if file.starts_with('.') {
                continue;
            }
            // Renamed or removed since the listing: the caller scans again if it matters.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let base = split_name(&file).0.to_owned();
            found.entry(base).or_insert(Found {
                file,
                in_new,
                size: meta.len(),
                mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
    }
    Ok(found)
}

/// The order new files get UIDs in: the time and counter of our names
/// (`SECS.MMICROSPPIDQN.host`), then the name.
fn arrival_key(name: &str) -> (u64, u64, u64, String) {
    let mut parts = name.split('.');
    let secs = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let unique = parts.next().unwrap_or("");
    let number = |tag: char| -> u64 {
        unique
            .split_once(tag)
            .map(|(_, rest)| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    };
    (secs, number('M'), number('Q'), name.to_owned())
}

impl Account {
    /// Syncs folder directory `dir` (the caller holds its lock): files no list names get
    /// UIDs (the bases in `first` before the others, in that order), listed files that are
    /// gone are expunged, flags changed by others get a modseq. The uidlist and the modseq
    /// file are saved when they changed.
    pub(super) fn sync_locked(&self, dir: &Path, first: &[String]) -> Result<Synced> {
        let (mut uidlist, new_folder) = match Uidlist::read(dir)? {
            Some(list) => (list, false),
            None => (Uidlist::new(self.next_uidvalidity()?, guid()), true),
        };
        let keywords = Keywords::read(dir)?;
        let mut state = ModState::read(dir, uidlist.uidvalidity, new_folder)?;
        let mut found = scan(dir)?;
        if uidlist
            .entries
            .iter()
            .any(|e| !found.contains_key(split_name(&e.name).0))
        {
            // A file renamed by another program between two readdir calls would look
            // expunged: look once more before believing it.
            for (base, f) in scan(dir)? {
                found.entry(base).or_insert(f);
            }
        }
        let mut changed = new_folder;
        let mut messages = Vec::with_capacity(found.len());
        let mut kept = Vec::with_capacity(uidlist.entries.len());
        let mut gone = Vec::new();
        for entry in std::mem::take(&mut uidlist.entries) {
            match found.remove(split_name(&entry.name).0) {
                Some(f) => {
                    messages.push(message(entry.uid, f, &keywords));
                    kept.push(entry);
                }
                None => gone.push(entry.uid),
            }
        }
        changed |= !gone.is_empty();
        uidlist.entries = kept;
        // New files: the named ones first, then in arrival order.
        let mut fresh: Vec<(String, Found)> = found.into_iter().collect();
        fresh.sort_by_key(|(base, _)| {
            let pos = first.iter().position(|b| b == base).unwrap_or(usize::MAX);
            (pos, arrival_key(base))
        });
        for (_, f) in fresh {
            let uid = uidlist.next_uid;
            uidlist.next_uid = uid
                .checked_add(1)
                .ok_or_else(|| io::Error::other("UIDs exhausted in this folder (2^32 messages)"))?;
            uidlist.entries.push(Entry {
                uid,
                fields: String::new(),
                name: f.file.clone(),
            });
            messages.push(message(uid, f, &keywords));
            changed = true;
        }
        // Modseqs: expunges first, then new messages and flags changed behind our back.
        let present: HashSet<u32> = messages.iter().map(|m| m.uid).collect();
        let orphans: Vec<u32> = state
            .records
            .keys()
            .filter(|u| !present.contains(u))
            .copied()
            .collect();
        for uid in gone.into_iter().chain(orphans) {
            if state.records.contains_key(&uid) || !state.expunged.iter().any(|(u, _)| *u == uid) {
                state.expunge(uid);
            }
        }
        for m in &mut messages {
            let letters = m.letters().split(',').next().unwrap_or("").to_owned();
            match state.records.get(&m.uid) {
                Some(r) if r.letters == letters => m.modseq = r.modseq,
                _ => {
                    m.modseq = state.bump();
                    state.set(m.uid, m.modseq, &letters);
                }
            }
        }
        let mut synced = Synced {
            uidlist,
            keywords,
            state,
            messages,
        };
        synced.save(dir, changed)?;
        Ok(synced)
    }
}

/// The `S=` field of a Maildir file name (`BASE,S=1234,W=1260:2,S`).
pub(super) fn size_field(name: &str) -> Option<u64> {
    split_name(name)
        .0
        .split(',')
        .skip(1)
        .find_map(|f| f.strip_prefix("S="))
        .and_then(|s| s.parse().ok())
}

/// The message for a found file.
fn message(uid: u32, f: Found, keywords: &Keywords) -> Message {
    let flags = Flags::from_letters(split_name(&f.file).1, keywords);
    Message {
        uid,
        modseq: 0,
        flags,
        // The `S=` of the name when it has one: an encrypted file's is the plaintext's.
        size: size_field(&f.file).unwrap_or(f.size),
        internal_date: f.mtime,
        recent: f.in_new,
        file: f.file,
    }
}

/// A new folder GUID: 128 random bits in hex (from the standard library's randomly keyed
/// hasher, with the time and process mixed in).
fn guid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}
