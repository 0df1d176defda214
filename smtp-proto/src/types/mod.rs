//! Validated values: every value that reaches the wire is checked when built, so encoding
//! cannot fail and CR, LF and NUL can never be smuggled inside an argument.

mod borrowed;
mod params;
mod params_ref;
mod path;
mod small;

use std::fmt;
use std::net::IpAddr;

pub use borrowed::{DomainRef, ForwardPathRef, MailboxRef, ReversePathRef};
pub use params::{
    Body, DeliverBy, DeliverByMode, MailAuth, MailParameters, Notify, Orcpt, Parameter,
    RcptParameters, Ret, Rrvs,
};
pub use params_ref::{
    MailAuthRef, MailParametersRef, OrcptRef, OtherIter, OtherParameters, RcptParametersRef,
    RrvsRef,
};
pub use path::{ForwardPath, Mailbox, ReversePath};

use crate::error::InvalidValue;

/// Free text in a command argument or reply line: any bytes but CR, LF and NUL, UTF-8.
///
/// Kept inline up to 22 octets (a VRFY or NOOP argument, a HELP topic), boxed above: decoding
/// the usual command allocates nothing, and the type stays three words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(small::SmallStr<22>);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.as_bytes().is_empty()
    }

    pub(crate) fn from_trusted(s: &str) -> Self {
        Self(small::SmallStr::new(s))
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::from_trusted("")
    }
}

impl TryFrom<&str> for Text {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if let Some((_, byte)) = crate::parse::find_forbidden(value.as_bytes()) {
            return Err(InvalidValue::ForbiddenByte { what: "text", byte });
        }
        Ok(Self::from_trusted(value))
    }
}

impl TryFrom<String> for Text {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::try_from(value.as_str())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain name or address literal (RFC 5321 §4.1.2 `Domain / address-literal`), at most
/// 255 octets; U-labels are allowed (RFC 6531).
///
/// An address literal is an address, not just bracketed text (RFC 5321 §4.1.3):
/// `[192.0.2.1]` (four octets 0-255, no leading zeros, since some parsers read `010` as
/// octal) or `[IPv6:2001:db8::1]` (the RFC 5321 forms; the tag in any case). General literals
/// (`[tag:text]`) are refused: IANA has registered no tag but `IPv6`, so no conforming peer
/// sends one, and the application could not route to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(small::SmallStr<22>);

impl Domain {
    /// The domain as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether this is an address literal such as `[192.0.2.1]`.
    pub fn is_address_literal(&self) -> bool {
        self.0.as_bytes().first() == Some(&b'[')
    }

    /// The address of an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), `None` for a
    /// domain name; read again from the text, which is short, rather than stored in every
    /// domain.
    pub fn address_literal(&self) -> Option<IpAddr> {
        if !self.is_address_literal() {
            return None;
        }
        crate::parse::literal::address_literal(self.0.as_bytes())
            .ok()
            .map(|(_, ip)| ip)
    }

    /// `Domain / address-literal`, the whole of `bytes`; `utf8` says `bytes` are known to be
    /// UTF-8 (the command line is classified once, not field by field).
    #[inline(always)]
    pub(crate) fn parse_in(bytes: &[u8], utf8: bool) -> Result<Self, crate::ParseError> {
        let len = if let Some(len) = crate::parse::path::plain_domain(bytes) {
            len
        } else if bytes.first() == Some(&b'[') {
            crate::parse::path::address_literal(bytes)?
        } else {
            crate::parse::path::domain(bytes)?
        };
        if len != bytes.len() {
            return Err(crate::ParseError::new(
                crate::ParseErrorKind::Syntax,
                len,
                "Domain",
            ));
        }
        small::SmallStr::from_bytes(bytes, utf8)
            .map(Self)
            .map_err(|_| crate::ParseError::new(crate::ParseErrorKind::InvalidUtf8, 0, "Domain"))
    }
}

impl TryFrom<&str> for Domain {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Ok(Self::parse_in(value.as_bytes(), true)?)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SASL mechanism name (RFC 4422 §3.1: 1 to 20 of `A-Z 0-9 - _`), case-insensitive; shared
/// with the other protocol crates.
pub use mail_sansio::sasl::MechanismName;
