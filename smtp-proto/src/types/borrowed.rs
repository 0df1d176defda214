//! Borrowed views of the validated values: what [`CommandRef`](crate::CommandRef) holds. Each
//! points into the command line it was parsed from and was checked exactly as its owned
//! counterpart is, so `into_owned` copies it without checking it again.

use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::parse::path::{self, RawPath};

use super::small::{SmallStr, SplitStr};
use super::{Domain, ForwardPath, Mailbox, ReversePath};

/// Text of octets validated as UTF-8 when they were parsed.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A [`Domain`] (`Domain / address-literal`, RFC 5321 §4.1.2) borrowed from the line.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DomainRef<'a>(&'a [u8]);

impl<'a> DomainRef<'a> {
    /// The domain as written.
    pub fn as_str(&self) -> &'a str {
        text(self.0)
    }

    /// Whether this is an address literal such as `[192.0.2.1]`.
    pub fn is_address_literal(&self) -> bool {
        self.0.first() == Some(&b'[')
    }

    /// The owned [`Domain`].
    #[inline]
    pub fn into_owned(self) -> Domain {
        Domain(SmallStr::from_checked(self.0))
    }

    /// ```text
    /// Domain / address-literal
    /// ```
    /// The whole of `bytes`; the common case (ASCII LDH labels) is one pass of table lookups.
    #[inline(always)]
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (len, ascii) = if let Some(len) = path::plain_domain(bytes) {
            (len, true)
        } else if bytes.first() == Some(&b'[') {
            (path::address_literal(bytes)?, true)
        } else {
            (path::domain(bytes)?, false)
        };
        if len != bytes.len() {
            return Err(ParseError::new(ParseErrorKind::Syntax, len, "Domain"));
        }
        if !ascii && std::str::from_utf8(bytes).is_err() {
            return Err(ParseError::new(ParseErrorKind::InvalidUtf8, 0, "Domain"));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for DomainRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DomainRef").field(&self.as_str()).finish()
    }
}

impl fmt::Display for DomainRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A [`Mailbox`] (`Local-part "@" ( Domain / address-literal )`) borrowed from the line.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MailboxRef<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> MailboxRef<'a> {
    /// The whole mailbox, `local@domain`.
    pub fn as_str(&self) -> &'a str {
        text(self.bytes)
    }

    /// The local part as written (a quoted local part keeps its quotes).
    pub fn local_part(&self) -> &'a str {
        text(self.bytes.get(..self.at).unwrap_or_default())
    }

    /// The domain or address literal.
    pub fn domain(&self) -> &'a str {
        text(self.bytes.get(self.at + 1..).unwrap_or_default())
    }

    /// Whether the mailbox is pure ASCII; if not it needs SMTPUTF8 (RFC 6531 §3.4).
    pub fn is_ascii(&self) -> bool {
        self.bytes.is_ascii()
    }

    /// The owned [`Mailbox`].
    #[inline]
    pub fn into_owned(self) -> Mailbox {
        Mailbox {
            text: SplitStr::from_checked(self.bytes, self.at),
        }
    }

    fn from_raw(input: &'a [u8], raw: RawPath) -> Option<Self> {
        match raw {
            RawPath::Mailbox { start, end, at } => Some(Self {
                bytes: input.get(start..end).unwrap_or_default(),
                at,
            }),
            RawPath::Null | RawPath::Postmaster => None,
        }
    }
}

impl fmt::Debug for MailboxRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxRef")
            .field("text", &self.as_str())
            .field("at", &self.at)
            .finish()
    }
}

impl fmt::Display for MailboxRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A [`ReversePath`] borrowed from the line: a mailbox or the null path `<>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReversePathRef<'a> {
    /// `<>`.
    Null,
    /// A return mailbox.
    Mailbox(MailboxRef<'a>),
}

impl<'a> ReversePathRef<'a> {
    /// `Reverse-path = Path / "<>"` at the start of `input`; returns it and its length.
    #[inline(always)]
    pub(crate) fn parse(input: &'a [u8]) -> Result<(Self, usize), ParseError> {
        let (raw, len) = path::path(input)?;
        let value = match raw {
            RawPath::Null => Self::Null,
            // `<postmaster>` without a domain is only a forward path.
            RawPath::Postmaster => return Err(ParseError::new(ParseErrorKind::Syntax, 1, "Path")),
            raw => MailboxRef::from_raw(input, raw).map_or(Self::Null, Self::Mailbox),
        };
        Ok((value, len))
    }

    /// The mailbox, unless null.
    pub fn mailbox(&self) -> Option<&MailboxRef<'a>> {
        match self {
            Self::Null => None,
            Self::Mailbox(m) => Some(m),
        }
    }

    /// The owned [`ReversePath`].
    #[inline]
    pub fn into_owned(self) -> ReversePath {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }
}

/// A [`ForwardPath`] borrowed from the line: a mailbox or the bare `<Postmaster>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardPathRef<'a> {
    /// `<postmaster>` with no domain.
    Postmaster,
    /// A recipient mailbox.
    Mailbox(MailboxRef<'a>),
}

impl<'a> ForwardPathRef<'a> {
    /// `Forward-path = Path / "<Postmaster>"` at the start of `input`; returns it and its
    /// length.
    #[inline(always)]
    pub(crate) fn parse(input: &'a [u8]) -> Result<(Self, usize), ParseError> {
        let (raw, len) = path::path(input)?;
        let value = match raw {
            RawPath::Null => return Err(ParseError::new(ParseErrorKind::Syntax, 1, "Path")),
            RawPath::Postmaster => Self::Postmaster,
            raw => MailboxRef::from_raw(input, raw).map_or(Self::Postmaster, Self::Mailbox),
        };
        Ok((value, len))
    }

    /// The mailbox, unless the bare postmaster.
    pub fn mailbox(&self) -> Option<&MailboxRef<'a>> {
        match self {
            Self::Postmaster => None,
            Self::Mailbox(m) => Some(m),
        }
    }

    /// The owned [`ForwardPath`].
    #[inline]
    pub fn into_owned(self) -> ForwardPath {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }
}
