//! The per-folder `dovecot-keywords` file: `0 $Forwarded` lines, `0` being the letter `a`.

use std::path::Path;

use super::lock::{read_optional, write_atomic};

/// The file name.
pub(super) const FILE: &str = "dovecot-keywords";
/// Maildir has the letters `a`..=`z` for keywords.
const MAX: usize = 26;

/// The keyword names of a folder, by letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Keywords {
    names: Vec<Option<String>>,
    changed: bool,
}

impl Keywords {
    /// Reads `dir/dovecot-keywords` (none: no keywords). Lines that do not parse are skipped.
    pub(super) fn read(dir: &Path) -> std::io::Result<Self> {
        let mut kw = Self::default();
        let Some(text) = read_optional(&dir.join(FILE))? else {
            return Ok(kw);
        };
        for line in text.lines() {
            let Some((idx, name)) = line.split_once(' ') else {
                continue;
            };
            let Ok(idx) = idx.parse::<usize>() else {
                continue;
            };
            if idx >= MAX || name.is_empty() || name.contains(char::is_whitespace) {
                continue;
            }
            if kw.names.len() <= idx {
                kw.names.resize(idx + 1, None);
            }
            if let Some(slot) = kw.names.get_mut(idx) {
                *slot = Some(name.to_owned());
            }
        }
        Ok(kw)
    }

    /// The keyword of letter `c`.
    pub(super) fn name_of(&self, c: char) -> Option<&str> {
        let idx = (c as usize).checked_sub('a' as usize)?;
        self.names.get(idx)?.as_deref()
    }

    /// The letter of keyword `name` (ignoring ASCII case), giving it the first free letter
    /// if it has none; `None` when all 26 are taken.
    pub(super) fn letter_for(&mut self, name: &str) -> Option<char> {
        let found = self
            .names
            .iter()
            .position(|n| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)));
        let idx = match found {
            Some(i) => i,
            None => {
                let free = self.names.iter().position(Option::is_none);
                let i = match free {
                    Some(i) => i,
                    None if self.names.len() < MAX => {
                        self.names.push(None);
                        self.names.len() - 1
                    }
                    None => return None,
                };
                if let Some(slot) = self.names.get_mut(i) {
                    *slot = Some(name.to_owned());
                }
                self.changed = true;
                i
            }
        };
        char::from_u32('a' as u32 + u32::try_from(idx).ok()?)
    }

    /// Every keyword name defined, in letter order (for FLAGS and PERMANENTFLAGS).
    pub(super) fn all(&self) -> Vec<String> {
        self.names.iter().flatten().cloned().collect()
    }

    /// Whether a new keyword can still be defined.
    pub(super) fn has_room(&self) -> bool {
        self.names.len() < MAX || self.names.iter().any(Option::is_none)
    }

    /// Writes the file if a letter was given out since it was read (crash-safely; the
    /// caller holds the folder lock, as Dovecot requires).
    pub(super) fn save(&mut self, dir: &Path) -> std::io::Result<()> {
        if !self.changed {
            return Ok(());
        }
        let mut text = String::new();
        for (i, name) in self.names.iter().enumerate() {
            if let Some(name) = name {
                text.push_str(&format!("{i} {name}\n"));
            }
        }
        write_atomic(dir, FILE, text.as_bytes())?;
        self.changed = false;
        Ok(())
    }
}
