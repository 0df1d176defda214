//! Mailbox names (RFC 9051 §5.1, RFC 3501 §5.1.3, RFC 6855).
//!
//! A [`Mailbox`] keeps the name as it travels on the wire: modified UTF-7 in IMAP4rev1, raw
//! UTF-8 once UTF8=ACCEPT is enabled or under IMAP4rev2. [`Mailbox::from_utf8`] and
//! [`Mailbox::to_utf8`] convert between that and the text a user sees. `INBOX` is
//! case-insensitive and always becomes [`Mailbox::Inbox`].

use std::fmt;

use bytes::Bytes;

use super::utf7;
use crate::error::InvalidValue;

/// A mailbox name other than INBOX, in its wire form.
///
/// Any octet but NUL, CR and LF (those could only travel in a literal, and no server stores
/// such a name). The empty name is valid: `LIST "" "*"` uses it as a reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxName(Bytes);

impl MailboxName {
    /// Checks the wire form: no NUL, CR or LF.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        match memchr::memchr3(0, b'\r', b'\n', bytes) {
            Some(i) => Err(InvalidValue::ForbiddenByte {
                what: "mailbox name",
                byte: bytes.get(i).copied().unwrap_or_default(),
            }),
            None => Ok(()),
        }
    }

    /// Wraps bytes the parser has already checked.
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        debug_assert!(Self::check(&bytes).is_ok());
        Self(bytes)
    }

    /// The wire form (modified UTF-7, or UTF-8 under UTF8=ACCEPT).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The wire form as a shared buffer.
    pub fn as_shared(&self) -> &Bytes {
        &self.0
    }

    /// Takes the wire form out.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl AsRef<[u8]> for MailboxName {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A mailbox (RFC 9051 §9): `mailbox = "INBOX" / astring`, where `INBOX` is
/// case-insensitive and every other name is case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mailbox {
    /// The user's INBOX, whatever case it was written in.
    Inbox,
    /// Any other name, wire form kept.
    Other(MailboxName),
}

impl Mailbox {
    /// The mailbox whose wire form is `wire` (`inbox` in any case is [`Mailbox::Inbox`]).
    pub(crate) fn from_wire(wire: Bytes) -> Self {
        if wire.eq_ignore_ascii_case(b"INBOX") {
            Self::Inbox
        } else {
            Self::Other(MailboxName(wire))
        }
    }

    /// The mailbox for the user-visible name `name`, encoded in modified UTF-7 (IMAP4rev1
    /// without UTF8=ACCEPT).
    ///
    /// ```
    /// use imap_proto::types::Mailbox;
    /// let m = Mailbox::from_utf8("Tom & Jerry").unwrap();
    /// assert_eq!(m.as_bytes(), b"Tom &- Jerry");
    /// assert_eq!(Mailbox::from_utf8("inbox").unwrap(), Mailbox::Inbox);
    /// ```
    pub fn from_utf8(name: &str) -> Result<Self, InvalidValue> {
        let wire = utf7::encode_utf7(name);
        MailboxName::check(wire.as_bytes())?;
        Ok(Self::from_wire(Bytes::from(wire)))
    }

    /// The mailbox for `name` sent as raw UTF-8 (after `ENABLE UTF8=ACCEPT`, RFC 6855 §3, or
    /// under IMAP4rev2).
    pub fn from_utf8_raw(name: &str) -> Result<Self, InvalidValue> {
        MailboxName::check(name.as_bytes())?;
        Ok(Self::from_wire(Bytes::copy_from_slice(name.as_bytes())))
    }

    /// The user-visible name.
    ///
    /// A name of printable US-ASCII is decoded as modified UTF-7, strictly (non-canonical forms
    /// are an error); a name with 8-bit octets is raw UTF-8 (RFC 6855) and returned as it is. A
    /// session that has enabled UTF8=ACCEPT should read [`Mailbox::as_bytes`] instead, since
    /// there `&` has no special meaning.
    pub fn to_utf8(&self) -> Result<String, InvalidValue> {
        match self {
            Self::Inbox => Ok("INBOX".to_owned()),
            Self::Other(name) => {
                let wire = name.as_bytes();
                if wire.is_ascii() {
                    utf7::decode_utf7(wire)
                } else {
                    std::str::from_utf8(wire)
                        .map(str::to_owned)
                        .map_err(|_| InvalidValue::Syntax {
                            what: "mailbox name",
                            reason: "8-bit name is not utf-8",
                        })
                }
            }
        }
    }

    /// The wire form: `INBOX`, or the name as sent.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inbox => b"INBOX",
            Self::Other(name) => name.as_bytes(),
        }
    }

    /// Whether this is INBOX.
    pub fn is_inbox(&self) -> bool {
        matches!(self, Self::Inbox)
    }
}

impl TryFrom<Bytes> for Mailbox {
    type Error = InvalidValue;

    /// The mailbox whose wire form is `value`, as it would be sent (no encoding applied).
    fn try_from(value: Bytes) -> Result<Self, Self::Error> {
        MailboxName::check(&value)?;
        Ok(Self::from_wire(value))
    }
}

impl TryFrom<&[u8]> for Mailbox {
    type Error = InvalidValue;

    /// The mailbox whose wire form is `value`, as it would be sent (no encoding applied).
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::try_from(Bytes::copy_from_slice(value))
    }
}

impl TryFrom<&str> for Mailbox {
    type Error = InvalidValue;

    /// The mailbox whose wire form is `value` (no encoding applied: use
    /// [`Mailbox::from_utf8`] for a user-visible name).
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::try_from(value.as_bytes())
    }
}

impl fmt::Display for Mailbox {
    /// The user-visible name when it decodes (leniently: an old client's non-canonical
    /// modified UTF-7 still shows as text), else the wire form (lossy).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Ok(name) = self.to_utf8() {
            return f.write_str(&name);
        }
        match utf7::decode(self.as_bytes(), utf7::Strictness::Lenient) {
            Ok(name) => f.write_str(&name),
            Err(_) => f.write_str(&String::from_utf8_lossy(self.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_any_case() {
        for s in ["INBOX", "inbox", "InBoX"] {
            assert_eq!(Mailbox::try_from(s).unwrap(), Mailbox::Inbox);
        }
        assert!(!Mailbox::try_from("INBOX.Sent").unwrap().is_inbox());
    }

    #[test]
    fn names_reject_line_breaks() {
        assert!(Mailbox::try_from("a\r\nb").is_err());
        // A control character is not printable: modified UTF-7 writes it in BASE64.
        assert_eq!(Mailbox::from_utf8("a\nb").unwrap().as_bytes(), b"a&AAo-b");
        assert!(Mailbox::try_from("").is_ok());
    }

    #[test]
    fn raw_utf8() {
        let m = Mailbox::from_utf8_raw("Отправленные").unwrap();
        assert_eq!(m.as_bytes(), "Отправленные".as_bytes());
        assert_eq!(m.to_utf8().unwrap(), "Отправленные");
    }
}
