//! Values that commands share with responses: the section of `BODY[...]`, object ids and the
//! generic token tree. `crate::response` re-exports them, so a FETCH request and its answer
//! name a section with one type.

use bytes::Bytes;

use crate::error::InvalidValue;
use crate::types::{AString, IString, Literal8};

/// The section of a `BODY[...]` item.
///
/// ```abnf
/// section         = "[" [section-spec] "]"
/// section-spec    = section-msgtext / (section-part ["." section-text])
/// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
/// section-part    = nz-number *("." nz-number)
/// section-text    = section-msgtext / "MIME"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// The part numbers, outermost first (empty: the whole message).
    pub part: Vec<u32>,
    /// What of that part.
    pub text: Option<SectionText>,
}

/// The text specifier of a [`Section`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SectionText {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS (...)`.
    HeaderFields(Vec<AString>),
    /// `HEADER.FIELDS.NOT (...)`.
    HeaderFieldsNot(Vec<AString>),
    /// `TEXT`.
    Text,
    /// `MIME` (only after a part number).
    Mime,
}

/// A generic token tree: how the arguments of unknown commands are kept.
///
/// ```abnf
/// token = atom-like / string / literal8 / "(" [token *(SP token)] ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Token {
    /// A run of non-special octets: atoms, numbers, `NIL`, `\Flags`.
    Atom(Bytes),
    /// A quoted string or literal: the content.
    String(IString),
    /// A literal8: the content.
    Literal8(Literal8),
    /// A parenthesised list.
    List(Vec<Self>),
}

/// An object identifier (RFC 8474): `objectid = 1*255(ALPHA / DIGIT / "_" / "-")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(Bytes);

impl ObjectId {
    /// Checks the `objectid` rule.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        if bytes.is_empty() {
            return Err(InvalidValue::Empty { what: "objectid" });
        }
        if bytes.len() > 255 {
            return Err(InvalidValue::TooLong {
                what: "objectid",
                limit: 255,
            });
        }
        match bytes
            .iter()
            .find(|&&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            Some(&byte) => Err(InvalidValue::ForbiddenByte {
                what: "objectid",
                byte,
            }),
            None => Ok(()),
        }
    }

    /// Wraps bytes the parser has checked.
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The identifier's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<&str> for ObjectId {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::check(value.as_bytes())?;
        Ok(Self(Bytes::copy_from_slice(value.as_bytes())))
    }
}
