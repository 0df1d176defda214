//! The per-folder `dovecot-uidlist` (Dovecot's version 3 format).
//!
//! ```text
//! 3 V1767225600 N4 G0f1e2d3c4b5a69788796a5b4c3d2e1f0
//! 1 :1767225600.M1P2Q0.mailserver,S=120,W=120:2,S
//! 3 W2481 :1767225700.M5P2Q1.mailserver,S=2481:2,
//! ```
//!
//! The header holds UIDVALIDITY (`V`), the next UID (`N`) and the folder GUID (`G`); each
//! line a UID, optional fields, and after ` :` the last known file name. Fields this store
//! does not use (in the header or on a line) are kept when the file is rewritten. Version 1
//! files (`1 UIDVALIDITY NEXTUID`, `UID NAME`: Courier's and old Dovecot's) are read too.

use std::path::Path;

use super::lock::{read_optional, write_atomic};

/// The file name.
pub(super) const FILE: &str = "dovecot-uidlist";

/// One message's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) uid: u32,
    /// The fields between the UID and the name (`W2481`), kept as they are.
    pub(super) fields: String,
    /// The last known file name (the base is what identifies the message).
    pub(super) name: String,
}

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Uidlist {
    pub(super) uidvalidity: u32,
    pub(super) next_uid: u32,
    pub(super) guid: String,
    /// Header fields other than V, N and G.
    extra: Vec<String>,
    /// In UID order.
    pub(super) entries: Vec<Entry>,
}

impl Uidlist {
    /// An empty list for a new folder.
    pub(super) fn new(uidvalidity: u32, guid: String) -> Self {
        Self {
            uidvalidity,
            next_uid: 1,
            guid,
            extra: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Reads `dir/dovecot-uidlist`: `Ok(None)` when there is none or it cannot be parsed
    /// (the caller then starts a new list with a new UIDVALIDITY).
    pub(super) fn read(dir: &Path) -> std::io::Result<Option<Self>> {
        Ok(read_optional(&dir.join(FILE))?.and_then(|t| Self::parse(&t)))
    }

    /// Parses the text of a uidlist.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let header = lines.next()?;
        let mut fields = header.split(' ');
        let version = fields.next()?;
        let mut list = Self::new(0, String::new());
        match version {
            "3" => {
                for f in fields.filter(|f| !f.is_empty()) {
                    let (key, value) =
                        f.split_at(f.char_indices().nth(1).map_or(f.len(), |(i, _)| i));
                    match key {
                        "V" => list.uidvalidity = value.parse().ok()?,
                        "N" => list.next_uid = value.parse().ok()?,
                        "G" => list.guid = value.to_owned(),
                        _ => list.extra.push(f.to_owned()),
                    }
                }
            }
            "1" => {
                list.uidvalidity = fields.next()?.parse().ok()?;
                list.next_uid = fields.next()?.parse().ok()?;
            }
            _ => return None,
        }
        if list.uidvalidity == 0 || list.next_uid == 0 {
            return None;
        }
        for line in lines.filter(|l| !l.is_empty()) {
            let (uid, rest) = line.split_once(' ')?;
            let uid: u32 = uid.parse().ok()?;
            let (fields, name) = if version == "3" {
                match rest.split_once(':') {
                    Some((fields, name)) => (fields.trim_end().to_owned(), name.to_owned()),
                    None => return None,
                }
            } else {
                (String::new(), rest.to_owned())
            };
            // UIDs must grow; a line that breaks the order is dropped (its file gets a new
            // UID at the next sync rather than two messages sharing one).
            if uid == 0 || list.entries.last().is_some_and(|e| e.uid >= uid) {
                continue;
            }
            list.next_uid = list.next_uid.max(uid.saturating_add(1));
            list.entries.push(Entry { uid, fields, name });
        }
        Some(list)
    }

    /// The text of the file.
    pub(super) fn to_text(&self) -> String {
        let mut out = format!("3 V{} N{}", self.uidvalidity, self.next_uid);
        if !self.guid.is_empty() {
            out.push_str(&format!(" G{}", self.guid));
        }
        for f in &self.extra {
            out.push(' ');
            out.push_str(f);
        }
        out.push('\n');
        for e in &self.entries {
            out.push_str(&e.uid.to_string());
            if !e.fields.is_empty() {
                out.push(' ');
                out.push_str(&e.fields);
            }
            out.push_str(" :");
            out.push_str(&e.name);
            out.push('\n');
        }
        out
    }

    /// Writes the file crash-safely (the caller holds the folder lock).
    pub(super) fn save(&self, dir: &Path) -> std::io::Result<()> {
        write_atomic(dir, FILE, self.to_text().as_bytes())
    }
}
