//! Message flags (RFC 9051 §2.3.2, §9 `flag`, `flag-perm`, `flag-fetch`).

use std::fmt;

use super::Atom;
use crate::error::InvalidValue;

/// A flag that can be stored on a message:
/// `flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword /
/// flag-extension`.
///
/// System flags are recognised in any case (`\SEEN` is [`Flag::Seen`]) and written in the
/// RFC's case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// A keyword: `flag-keyword = "$MDNSent" / "$Forwarded" / ... / atom` (no backslash).
    Keyword(Atom),
    /// `flag-extension = "\" atom`: a future system flag; holds the atom without `\`.
    Extension(Atom),
}

impl Flag {
    /// The system flag named `name` (without `\`), ignoring case.
    pub(crate) fn system(name: &[u8]) -> Option<Self> {
        const SYSTEM: [(&[u8], Flag); 5] = [
            (b"Answered", Flag::Answered),
            (b"Flagged", Flag::Flagged),
            (b"Deleted", Flag::Deleted),
            (b"Seen", Flag::Seen),
            (b"Draft", Flag::Draft),
        ];
        SYSTEM
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| f.clone())
    }

    /// The flag for `\name` (a system flag or an extension).
    pub(crate) fn from_backslashed(name: Atom) -> Self {
        Self::system(name.as_bytes()).unwrap_or(Self::Extension(name))
    }

    /// The keyword `name` (e.g. `$Forwarded`).
    pub fn keyword(name: &str) -> Result<Self, InvalidValue> {
        Atom::try_from(name).map(Self::Keyword)
    }

    /// The wire form without the leading `\` of system flags, and whether it has one.
    pub(crate) fn parts(&self) -> (bool, &[u8]) {
        match self {
            Self::Answered => (true, b"Answered"),
            Self::Flagged => (true, b"Flagged"),
            Self::Deleted => (true, b"Deleted"),
            Self::Seen => (true, b"Seen"),
            Self::Draft => (true, b"Draft"),
            Self::Keyword(a) => (false, a.as_bytes()),
            Self::Extension(a) => (true, a.as_bytes()),
        }
    }
}

impl TryFrom<&str> for Flag {
    type Error = InvalidValue;

    /// `\Seen`, `\Foo` (extension) or `$Forwarded` (keyword). `\Recent` and `\*` are not
    /// flags that can be stored: they are [`FlagFetch::Recent`] and [`FlagPerm::Any`].
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        match value.strip_prefix('\\') {
            Some(name) => {
                let atom = Atom::try_from(name)?;
                if atom.eq_ignore_ascii_case("Recent") {
                    return Err(InvalidValue::Syntax {
                        what: "flag",
                        reason: "\\Recent cannot be stored",
                    });
                }
                Ok(Self::from_backslashed(atom))
            }
            None => Self::keyword(value),
        }
    }
}

impl fmt::Display for Flag {
    /// The wire form, e.g. `\Seen` or `$Forwarded`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (backslash, name) = self.parts();
        if backslash {
            f.write_str("\\")?;
        }
        f.write_str(&String::from_utf8_lossy(name))
    }
}

/// A flag in a `PERMANENTFLAGS` response code: `flag-perm = flag / "\*"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm {
    /// A flag.
    Flag(Flag),
    /// `\*`: new keywords can be created.
    Any,
}

impl fmt::Display for FlagPerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => flag.fmt(f),
            Self::Any => f.write_str("\\*"),
        }
    }
}

impl From<Flag> for FlagPerm {
    fn from(value: Flag) -> Self {
        Self::Flag(value)
    }
}

/// A flag in a FETCH response: `flag-fetch = flag / "\Recent"` (RFC 3501; RFC 9051 keeps
/// `\Recent` as `obsolete-flag-recent`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch {
    /// A flag.
    Flag(Flag),
    /// `\Recent`: first session to see the message (IMAP4rev1 only).
    Recent,
}

impl fmt::Display for FlagFetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => flag.fmt(f),
            Self::Recent => f.write_str("\\Recent"),
        }
    }
}

impl From<Flag> for FlagFetch {
    fn from(value: Flag) -> Self {
        Self::Flag(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_text() {
        assert_eq!(Flag::try_from("\\SEEN").unwrap(), Flag::Seen);
        assert_eq!(Flag::try_from("\\seen").unwrap().to_string(), "\\Seen");
        assert!(matches!(
            Flag::try_from("\\Foo").unwrap(),
            Flag::Extension(_)
        ));
        assert!(matches!(
            Flag::try_from("$Forwarded").unwrap(),
            Flag::Keyword(_)
        ));
        assert!(Flag::try_from("\\Recent").is_err());
        assert!(Flag::try_from("\\").is_err());
        assert!(Flag::try_from("a b").is_err());
        assert!(Flag::try_from("\\*").is_err());
    }
}
