//! Message flags and their Maildir letters in the `:2,` info suffix.

use std::fmt;

use super::keywords::Keywords;
use super::{Error, Result};

/// An IMAP system flag that Maildir stores as a letter (`\Recent` is not stored: it is "still
/// in `new/`", [`super::Message::recent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Flag {
    /// `\Answered`, Maildir `R` (replied).
    Answered,
    /// `\Flagged`, Maildir `F`.
    Flagged,
    /// `\Deleted`, Maildir `T` (trashed).
    Deleted,
    /// `\Seen`, Maildir `S`.
    Seen,
    /// `\Draft`, Maildir `D`.
    Draft,
}

impl Flag {
    /// Every system flag.
    pub(crate) const ALL: [Self; 5] = [
        Self::Answered,
        Self::Flagged,
        Self::Deleted,
        Self::Seen,
        Self::Draft,
    ];

    /// The Maildir info letter.
    pub(crate) fn letter(self) -> char {
        match self {
            Self::Answered => 'R',
            Self::Flagged => 'F',
            Self::Deleted => 'T',
            Self::Seen => 'S',
            Self::Draft => 'D',
        }
    }

    fn from_letter(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.letter() == c)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The IMAP name, with its backslash.
    pub(crate) fn imap_name(self) -> &'static str {
        match self {
            Self::Answered => "\\Answered",
            Self::Flagged => "\\Flagged",
            Self::Deleted => "\\Deleted",
            Self::Seen => "\\Seen",
            Self::Draft => "\\Draft",
        }
    }
}

/// The flags of a message: system flags and keywords (compared ignoring ASCII case, kept
/// in the spelling first seen, sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    system: u8,
    keywords: Vec<String>,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagOp {
    /// `+FLAGS`.
    Add,
    /// `-FLAGS`.
    Remove,
    /// `FLAGS`.
    Replace,
}

impl Flags {
    /// No flags.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// These flags and `flag`.
    pub(crate) fn with(mut self, flag: Flag) -> Self {
        self.insert(flag);
        self
    }

    /// These flags and the keyword `name`.
    #[cfg(test)]
    pub(crate) fn with_keyword(mut self, name: &str) -> Self {
        self.insert_keyword(name);
        self
    }

    /// Whether `flag` is set.
    pub(crate) fn contains(&self, flag: Flag) -> bool {
        self.system & flag.bit() != 0
    }

    /// Sets `flag`.
    pub(crate) fn insert(&mut self, flag: Flag) {
        self.system |= flag.bit();
    }

    /// The system flags set, in [`Flag::ALL`] order.
    pub(crate) fn system(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::ALL.into_iter().filter(|f| self.contains(*f))
    }

    /// The keywords, sorted ignoring case.
    pub(crate) fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Whether the keyword `name` is set (ignoring ASCII case).
    pub(crate) fn has_keyword(&self, name: &str) -> bool {
        self.keywords.iter().any(|k| k.eq_ignore_ascii_case(name))
    }

    /// Sets the keyword `name`.
    pub(crate) fn insert_keyword(&mut self, name: &str) {
        if !self.has_keyword(name) {
            self.keywords.push(name.to_owned());
            self.keywords.sort_by_key(|k| k.to_ascii_lowercase());
        }
    }

    /// Clears the keyword `name`.
    pub(crate) fn remove_keyword(&mut self, name: &str) {
        self.keywords.retain(|k| !k.eq_ignore_ascii_case(name));
    }

    /// Whether no flag and no keyword is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.system == 0 && self.keywords.is_empty()
    }

    /// These flags changed by `op` with `other`.
    pub(crate) fn apply(&self, op: FlagOp, other: &Self) -> Self {
        match op {
            FlagOp::Replace => other.clone(),
            FlagOp::Add => {
                let mut out = self.clone();
                out.system |= other.system;
                for k in &other.keywords {
                    out.insert_keyword(k);
                }
                out
            }
            FlagOp::Remove => {
                let mut out = self.clone();
                out.system &= !other.system;
                for k in &other.keywords {
                    out.remove_keyword(k);
                }
                out
            }
        }
    }

    /// Reads the flag letters of an info suffix (what follows `:2,`, up to any `,`); keyword
    /// letters that `keywords` does not name are ignored, as Dovecot does.
    pub(super) fn from_letters(letters: &str, keywords: &Keywords) -> Self {
        let mut flags = Self::new();
        for c in letters.chars().take_while(|&c| c != ',') {
            if let Some(f) = Flag::from_letter(c) {
                flags.insert(f);
            } else if let Some(name) = keywords.name_of(c) {
                flags.insert_keyword(name);
            }
        }
        flags
    }

    /// The info suffix letters for these flags: the system letters, the letters in `keep`
    /// this store does not know (`P`, ...), then the keyword letters, all in ASCII order.
    /// Keywords get letters in `keywords` (which may grow; the caller saves it).
    pub(super) fn to_letters(&self, keep: &str, keywords: &mut Keywords) -> Result<String> {
        let mut letters: Vec<char> = self.system().map(Flag::letter).collect();
        letters.extend(
            keep.chars()
                .take_while(|&c| c != ',')
                .filter(|&c| Flag::from_letter(c).is_none() && !c.is_ascii_lowercase()),
        );
        for k in &self.keywords {
            letters.push(keywords.letter_for(k).ok_or(Error::TooManyKeywords)?);
        }
        letters.sort_unstable();
        letters.dedup();
        let mut out: String = letters.into_iter().collect();
        // Dovecot's rule: anything after a comma in the flags is someone else's; keep it.
        if let Some((_, tail)) = keep.split_once(',') {
            out.push(',');
            out.push_str(tail);
        }
        Ok(out)
    }
}

impl fmt::Display for Flags {
    /// The IMAP list body: `\Seen \Flagged $Forwarded`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for flag in self.system() {
            write!(f, "{sep}{}", flag.imap_name())?;
            sep = " ";
        }
        for k in &self.keywords {
            write!(f, "{sep}{k}")?;
            sep = " ";
        }
        Ok(())
    }
}

/// Splits a Maildir file name into its base (before `:`) and its flag letters (after
/// `:2,`, empty without an info suffix).
pub(super) fn split_name(name: &str) -> (&str, &str) {
    match name.rsplit_once(':') {
        Some((base, info)) => (base, info.strip_prefix("2,").unwrap_or("")),
        None => (name, ""),
    }
}
