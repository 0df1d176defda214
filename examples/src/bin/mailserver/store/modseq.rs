//! The per-folder `mailserver-modseq` file: CONDSTORE/QRESYNC state.
//!
//! ```text
//! M1 V1767225600 H42 F0
//! 1 17 S
//! 3 42 FS
//! X2 40
//! ```
//!
//! The header: format 1, the UIDVALIDITY it belongs to (a different one in the uidlist makes
//! this file void), HIGHESTMODSEQ (`H`) and the expunge floor (`F`). Then one line per
//! message: UID, modseq, and the flag letters it had when last synced (`-` for none); then
//! `X` lines: UIDs expunged and the modseq of their expunge, oldest first, at most
//! [`MAX_EXPUNGED`]. When older ones are dropped, `F` becomes the highest modseq dropped:
//! a client whose last known modseq is below `F` cannot be told exactly what vanished.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use super::lock::{read_optional, write_atomic};

/// The file name.
pub(super) const FILE: &str = "mailserver-modseq";
/// How many expunged UIDs a folder remembers for QRESYNC's VANISHED (EARLIER).
pub(crate) const MAX_EXPUNGED: usize = 10_000;

/// One message's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub(super) modseq: u64,
    /// The flag letters last seen (the info suffix after `:2,`).
    pub(super) letters: String,
}

/// A folder's modseq state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ModState {
    pub(super) uidvalidity: u32,
    pub(super) highest: u64,
    pub(super) floor: u64,
    pub(super) records: BTreeMap<u32, Record>,
    pub(super) expunged: VecDeque<(u32, u64)>,
    changed: bool,
}

impl ModState {
    /// Reads the file. An absent or unreadable file, or one for another UIDVALIDITY, gives
    /// an empty state for `uidvalidity`, where every message gets a new modseq: starting at
    /// 1 for a `new_folder` (its UIDVALIDITY is new too), else at the clock in microseconds,
    /// above any modseq a client can have seen for this UIDVALIDITY, with the expunge floor
    /// there too (what vanished before is unknown).
    pub(super) fn read(dir: &Path, uidvalidity: u32, new_folder: bool) -> std::io::Result<Self> {
        let text = read_optional(&dir.join(FILE))?;
        let parsed = text.and_then(|t| Self::parse(&t));
        Ok(match parsed {
            Some(s) if s.uidvalidity == uidvalidity => s,
            _ => {
                let start = if new_folder {
                    1
                } else {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(1))
                };
                Self {
                    uidvalidity,
                    highest: start,
                    floor: if new_folder { 0 } else { start },
                    changed: true,
                    ..Self::default()
                }
            }
        })
    }

    fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let mut state = Self::default();
        let mut header = lines.next()?.split(' ');
        if header.next()? != "M1" {
            return None;
        }
        for f in header {
            let (key, value) = (f.get(..1)?, f.get(1..)?);
            match key {
                "V" => state.uidvalidity = value.parse().ok()?,
                "H" => state.highest = value.parse().ok()?,
                "F" => state.floor = value.parse().ok()?,
                _ => {}
            }
        }
        for line in lines.filter(|l| !l.is_empty()) {
            let mut parts = line.split(' ');
            let first = parts.next()?;
            let modseq: u64 = parts.next()?.parse().ok()?;
            if let Some(uid) = first.strip_prefix('X') {
                state.expunged.push_back((uid.parse().ok()?, modseq));
            } else {
                let letters = match parts.next()? {
                    "-" => String::new(),
                    l => l.to_owned(),
                };
                state
                    .records
                    .insert(first.parse().ok()?, Record { modseq, letters });
            }
        }
        Some(state)
    }

    /// The next modseq, now HIGHESTMODSEQ.
    pub(super) fn bump(&mut self) -> u64 {
        self.highest += 1;
        self.changed = true;
        self.highest
    }

    /// Records a message's (new) modseq and flag letters.
    pub(super) fn set(&mut self, uid: u32, modseq: u64, letters: &str) {
        self.records.insert(
            uid,
            Record {
                modseq,
                letters: letters.to_owned(),
            },
        );
        self.changed = true;
    }

    /// Records that `uid` was expunged, with a new modseq.
    pub(super) fn expunge(&mut self, uid: u32) -> u64 {
        let modseq = self.bump();
        self.records.remove(&uid);
        self.expunged.push_back((uid, modseq));
        while self.expunged.len() > MAX_EXPUNGED {
            if let Some((_, m)) = self.expunged.pop_front() {
                self.floor = self.floor.max(m);
            }
        }
        modseq
    }

    /// Writes the file if anything changed (crash-safely; the caller holds the lock).
    pub(super) fn save(&mut self, dir: &Path) -> std::io::Result<()> {
        if !self.changed {
            return Ok(());
        }
        let mut text = format!(
            "M1 V{} H{} F{}\n",
            self.uidvalidity, self.highest, self.floor
        );
        for (uid, r) in &self.records {
            let letters = if r.letters.is_empty() {
                "-"
            } else {
                &r.letters
            };
            text.push_str(&format!("{uid} {} {letters}\n", r.modseq));
        }
        for (uid, m) in &self.expunged {
            text.push_str(&format!("X{uid} {m}\n"));
        }
        write_atomic(dir, FILE, text.as_bytes())?;
        self.changed = false;
        Ok(())
    }
}
