//! Validated values: once built, each one encodes to wire bytes that parse back unchanged.
//!
//! Construction goes through `TryFrom`/`new`, which rejects CR, LF, NUL and anything else the
//! grammar forbids, so no argument can ever start a second command on the wire.

use std::fmt;
use std::num::NonZeroU32;

use mail_sansio::Secret;

use crate::error::InvalidValue;

/// A message number (RFC 1939 §3): 1 for the first message of the maildrop, stable for the
/// whole session. Zero is not a message number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(NonZeroU32);

impl MessageNumber {
    /// The number, or `None` for zero.
    pub const fn new(number: u32) -> Option<Self> {
        match NonZeroU32::new(number) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The number as sent on the wire.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl TryFrom<u32> for MessageNumber {
    type Error = InvalidValue;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value).ok_or(InvalidValue::MessageNumberZero)
    }
}

impl fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest unique-id (RFC 1939 §7, UIDL): 70 characters.
pub const MAX_UID_LEN: usize = 70;

/// A unique-id listing value (RFC 1939 §7): 1 to 70 characters in 0x21–0x7E.
///
/// The range excludes space, controls and 8-bit octets, so a `Uid` is safe to print; it may
/// still contain `/` or `..`, so never use it as a path name without escaping it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(String);

impl Uid {
    /// The unique-id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the RFC 1939 §7 rule: `1*70` octets of `%x21-7E`.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        if bytes.is_empty() {
            return Err(InvalidValue::Empty { what: "unique-id" });
        }
        if bytes.len() > MAX_UID_LEN {
            return Err(InvalidValue::TooLong {
                what: "unique-id",
                limit: MAX_UID_LEN,
            });
        }
        if let Some(&b) = bytes.iter().find(|b| !(0x21..=0x7e).contains(*b)) {
            return Err(InvalidValue::ForbiddenOctet {
                what: "unique-id",
                octet: b,
            });
        }
        Ok(())
    }
}

impl TryFrom<&str> for Uid {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::check(value.as_bytes())?;
        Ok(Self(value.to_owned()))
    }
}

impl TryFrom<String> for Uid {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::check(value.as_bytes())?;
        Ok(Self(value))
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `bytes` holds no control octet (0x00–0x1F, 0x7F) and, unless `allow_space`,
/// no space. This is what keeps arguments from breaking a command line apart.
fn check_arg(what: &'static str, bytes: &[u8], allow_space: bool) -> Result<(), InvalidValue> {
    if bytes.is_empty() {
        return Err(InvalidValue::Empty { what });
    }
    if bytes.len() > crate::config::MAX_COMMAND_LINE {
        return Err(InvalidValue::TooLong {
            what,
            limit: crate::config::MAX_COMMAND_LINE,
        });
    }
    match bytes
        .iter()
        .find(|&&b| b < 0x20 || b == 0x7f || (b == b' ' && !allow_space))
    {
        Some(&octet) => Err(InvalidValue::ForbiddenOctet { what, octet }),
        None => Ok(()),
    }
}

/// A mailbox name for USER and APOP (RFC 1939 §7): one argument, so no space and no control
/// characters. UTF-8 is allowed (RFC 6856 `UTF8 USER`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Username {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        check_arg("user name", value.as_bytes(), false)?;
        Ok(Self(value.to_owned()))
    }
}

impl TryFrom<String> for Username {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_arg("user name", value.as_bytes(), false)?;
        Ok(Self(value))
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The PASS argument (RFC 1939 §7). It may contain spaces (the server takes the rest of the
/// line), never control characters. Printing it shows `Secret(..)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Secret<String>);

impl Password {
    /// The password; every read of it is easy to find.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl TryFrom<&str> for Password {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        check_arg("password", value.as_bytes(), true)?;
        Ok(Self(Secret::new(value.to_owned())))
    }
}

impl TryFrom<String> for Password {
    type Error = InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_arg("password", value.as_bytes(), true)?;
        Ok(Self(Secret::new(value)))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Longest SASL mechanism name (RFC 4422 §3.1): 20 characters.
pub const MAX_MECHANISM_LEN: usize = 20;

/// A SASL mechanism name (RFC 4422 §3.1): 1–20 of `A-Z 0-9 - _`, kept upper case; shared
/// with the other protocol crates.
pub use mail_sansio::sasl::MechanismName;

/// Parses a SASL mechanism name (RFC 4422 §3.1: 1–20 of `A-Z 0-9 - _`, lower case folded),
/// saying why a bad one is refused.
pub fn parse_mechanism(value: &str) -> Result<MechanismName, InvalidValue> {
    MechanismName::parse(value.as_bytes()).ok_or_else(|| mechanism_error(value))
}

/// Why [`MechanismName::parse`] refused `value`.
fn mechanism_error(value: &str) -> InvalidValue {
    const WHAT: &str = "sasl mechanism";
    if value.is_empty() {
        return InvalidValue::Empty { what: WHAT };
    }
    if value.len() > MAX_MECHANISM_LEN {
        return InvalidValue::TooLong {
            what: WHAT,
            limit: MAX_MECHANISM_LEN,
        };
    }
    match value
        .as_bytes()
        .iter()
        .find(|b| !(b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_'))
    {
        Some(&octet) => InvalidValue::ForbiddenOctet { what: WHAT, octet },
        None => InvalidValue::Malformed { what: WHAT },
    }
}

/// Longest APOP timestamp this crate accepts, brackets included.
pub const MAX_TIMESTAMP_LEN: usize = 255;

/// The APOP timestamp of a greeting (RFC 1939 §7): `<`, printable ASCII with an `@`, `>`.
///
/// Validation is strict (CVE-2007-1558 hardening): printable ASCII only, one `@`, at most
/// [`MAX_TIMESTAMP_LEN`] octets. A greeting whose bracketed text fails these rules has no
/// timestamp, so a client will not use APOP with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// The timestamp including its angle brackets, as hashed by APOP.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let bytes = value.as_bytes();
        if bytes.len() > MAX_TIMESTAMP_LEN {
            return Err(InvalidValue::TooLong {
                what: "apop timestamp",
                limit: MAX_TIMESTAMP_LEN,
            });
        }
        let inner = bytes
            .strip_prefix(b"<")
            .and_then(|b| b.strip_suffix(b">"))
            .ok_or(InvalidValue::Malformed {
                what: "apop timestamp",
            })?;
        if let Some(&octet) = inner
            .iter()
            .find(|&&b| !(0x21..=0x7e).contains(&b) || b == b'<' || b == b'>')
        {
            return Err(InvalidValue::ForbiddenOctet {
                what: "apop timestamp",
                octet,
            });
        }
        if inner.iter().filter(|&&b| b == b'@').count() != 1 {
            return Err(InvalidValue::Malformed {
                what: "apop timestamp",
            });
        }
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An APOP digest (RFC 1939 §7): 32 lower-case hex digits of MD5(timestamp ‖ secret).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApopDigest(String);

impl ApopDigest {
    /// Computes the digest the client sends for `timestamp` and the shared `secret`.
    pub fn compute(timestamp: &Timestamp, secret: &str) -> Self {
        use md5::{Digest, Md5};
        let mut hasher = Md5::new();
        hasher.update(timestamp.as_str().as_bytes());
        hasher.update(secret.as_bytes());
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(32);
        for b in digest.iter() {
            hex.push(char::from(
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            ));
            hex.push(char::from(
                HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
            ));
        }
        Self(hex)
    }

    /// The digest as 32 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is the same digest, comparing without an early exit.
    pub fn matches(&self, other: &Self) -> bool {
        self.0
            .bytes()
            .zip(other.0.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
            && self.0.len() == other.0.len()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl TryFrom<&str> for ApopDigest {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if value.len() != 32 {
            return Err(InvalidValue::Malformed {
                what: "apop digest",
            });
        }
        if let Some(&octet) = value.as_bytes().iter().find(|b| !b.is_ascii_hexdigit()) {
            return Err(InvalidValue::ForbiddenOctet {
                what: "apop digest",
                octet,
            });
        }
        Ok(Self(value.to_ascii_lowercase()))
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApopDigest(..)")
    }
}

/// Free text after a status indicator or in a capability argument: no CR, LF or NUL.
///
/// Text that arrived as invalid UTF-8 is kept with replacement characters; it is for humans.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(String);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn from_wire(bytes: &[u8]) -> Self {
        Self(String::from_utf8_lossy(bytes).into_owned())
    }
}

impl TryFrom<&str> for Text {
    type Error = InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if let Some(&octet) = value
            .as_bytes()
            .iter()
            .find(|&&b| b == b'\r' || b == b'\n' || b == 0)
        {
            return Err(InvalidValue::ForbiddenOctet {
                what: "text",
                octet,
            });
        }
        if value.len() > crate::config::MAX_RESPONSE_LINE {
            return Err(InvalidValue::TooLong {
                what: "text",
                limit: crate::config::MAX_RESPONSE_LINE,
            });
        }
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_known_answer_rfc1939() {
        let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
        let digest = ApopDigest::compute(&ts, "tanstaaf");
        assert_eq!(digest.as_str(), "c4c9334bac560ecc979e58001b3e22fb");
        assert!(digest.matches(&ApopDigest::try_from("C4C9334BAC560ECC979E58001B3E22FB").unwrap()));
    }

    #[test]
    fn uid_rules() {
        assert!(Uid::try_from("whqtswO00WBw418f9t5JxYwZ").is_ok());
        assert!(Uid::try_from("a/b").is_ok());
        assert!(Uid::try_from("").is_err());
        assert!(Uid::try_from("a b").is_err());
        assert!(Uid::try_from("x".repeat(70).as_str()).is_ok());
        assert!(Uid::try_from("x".repeat(71).as_str()).is_err());
        assert!(Uid::try_from("é").is_err());
    }

    #[test]
    fn timestamp_rules() {
        assert!(Timestamp::try_from("<a@b>").is_ok());
        assert!(Timestamp::try_from("<a@b").is_err());
        assert!(Timestamp::try_from("<ab>").is_err());
        assert!(Timestamp::try_from("<\u{80}@x>").is_err());
        assert!(Timestamp::try_from(format!("<{}@b>", "a".repeat(10_000)).as_str()).is_err());
    }

    #[test]
    fn arguments_reject_controls() {
        assert!(Username::try_from("bob\r\nDELE 1").is_err());
        assert!(Username::try_from("bob smith").is_err());
        assert!(Password::try_from("correct horse battery staple").is_ok());
        assert!(Password::try_from("pw\0").is_err());
        assert_eq!(
            format!("{:?}", Password::try_from("pw").unwrap()),
            "Password(..)"
        );
        assert_eq!(parse_mechanism("plain").unwrap().as_str(), "PLAIN");
        assert!(parse_mechanism("PLAIN LOGIN").is_err());
        assert!(MessageNumber::try_from(0).is_err());
    }

    #[test]
    fn mechanism_errors_say_why() {
        let what = "sasl mechanism";
        assert_eq!(parse_mechanism(""), Err(InvalidValue::Empty { what }));
        assert_eq!(
            parse_mechanism(&"A".repeat(21)),
            Err(InvalidValue::TooLong { what, limit: 20 })
        );
        assert_eq!(
            parse_mechanism("PLAIN LOGIN"),
            Err(InvalidValue::ForbiddenOctet { what, octet: b' ' })
        );
        let plain = parse_mechanism("Plain").unwrap();
        assert!(plain.is_plaintext());
        assert_eq!(plain.known(), Some(mail_sansio::sasl::Mechanism::Plain));
        assert!(!parse_mechanism("GSSAPI").unwrap().is_plaintext());
    }
}
