//! Mailboxes and the paths of MAIL and RCPT (RFC 5321 §4.1.2).

use std::fmt;

use bytes::BytesMut;

use crate::error::InvalidValue;
use crate::parse::path;

use super::small::SplitStr;

/// `Mailbox = Local-part "@" ( Domain / address-literal )`: local part ≤ 64 octets (quotes
/// kept, so it can be relayed unchanged), domain ≤ 255 octets; UTF-8 allowed (RFC 6531).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The mailbox text, split at the `@`.
    pub(super) text: SplitStr<29>,
}

impl Mailbox {
    /// The whole mailbox, `local@domain`.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// The local part as written (a quoted local part keeps its quotes).
    pub fn local_part(&self) -> &str {
        self.as_str().get(..self.text.split()).unwrap_or_default()
    }

    /// The domain or address literal.
    pub fn domain(&self) -> &str {
        self.as_str()
            .get(self.text.split() + 1..)
            .unwrap_or_default()
    }

    /// Whether the mailbox is pure ASCII; if not it needs SMTPUTF8 (RFC 6531 §3.4).
    pub fn is_ascii(&self) -> bool {
        self.text.as_bytes().is_ascii()
    }
}

impl TryFrom<&str> for Mailbox {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let bytes = value.as_bytes();
        let (len, at) = path::mailbox(bytes)?;
        if len != bytes.len() {
            let byte = bytes.get(len).copied().unwrap_or(0);
            if byte == b'\r' || byte == b'\n' || byte == 0 {
                return Err(InvalidValue::ForbiddenByte {
                    what: "mailbox",
                    byte,
                });
            }
            return Err(InvalidValue::Syntax {
                what: "mailbox",
                reason: "text after the domain",
            });
        }
        if len + 2 > path::MAX_PATH {
            return Err(InvalidValue::TooLong {
                what: "path",
                limit: path::MAX_PATH,
            });
        }
        Ok(Self {
            text: SplitStr::new(value, at),
        })
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("text", &self.as_str())
            .field("at", &self.text.split())
            .finish()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MAIL FROM path: a mailbox or the null path `<>` of bounces (RFC 5321 §4.5.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`: no return path (delivery status notifications).
    Null,
    /// A return mailbox.
    Mailbox(Mailbox),
}

impl ReversePath {
    /// The mailbox, unless null.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Self::Null => None,
            Self::Mailbox(m) => Some(m),
        }
    }

    /// Writes `<...>`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(b"<");
        if let Self::Mailbox(m) = self {
            out.extend_from_slice(m.text.as_bytes());
        }
        out.extend_from_slice(b">");
    }
}

/// The RCPT TO path: a mailbox or the bare `<Postmaster>` (RFC 5321 §4.5.1), which is matched
/// case-insensitively and is distinct from `<>` (never a valid recipient).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<postmaster>` with no domain: the postmaster of the receiving server.
    Postmaster,
    /// A recipient mailbox.
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// The mailbox, unless the bare postmaster.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Self::Postmaster => None,
            Self::Mailbox(m) => Some(m),
        }
    }

    /// Writes `<...>`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Self::Postmaster => out.extend_from_slice(b"<Postmaster>"),
            Self::Mailbox(m) => {
                out.extend_from_slice(b"<");
                out.extend_from_slice(m.text.as_bytes());
                out.extend_from_slice(b">");
            }
        }
    }
}
