//! The string-like values of the grammar: [`Tag`], [`Atom`], [`IString`], [`AString`],
//! [`NString`] and [`Literal8`].
//!
//! Each holds its content as [`Bytes`]: decoded values are slices of the framed unit they came
//! from (no copy), built values own a fresh buffer. The wire form (atom, quoted or literal) is not
//! stored: the [`Encoder`](crate::encode::Encoder) picks it from the content, so a value can
//! never be written in a form that breaks the line apart.

use std::fmt;

use bytes::Bytes;

use crate::error::InvalidValue;

/// Byte classes of RFC 9051 §9, one table lookup per byte.
pub(crate) mod class {
    /// `ATOM-CHAR = <any CHAR except atom-specials>`.
    pub(crate) const ATOM: u8 = 1;
    /// `ASTRING-CHAR = ATOM-CHAR / resp-specials` (adds `]`).
    pub(crate) const ASTRING: u8 = 2;
    /// `<ASTRING-CHAR except "+">`: the characters of a tag.
    pub(crate) const TAG: u8 = 4;
    /// `QUOTED-CHAR` without escape: `<any TEXT-CHAR except quoted-specials>` (7-bit: the
    /// UTF-8 forms are checked apart).
    pub(crate) const QUOTED: u8 = 8;
    /// `list-char = ATOM-CHAR / list-wildcards / resp-specials` (LIST patterns).
    pub(crate) const LIST: u8 = 16;

    /// The class bits of every byte value.
    pub(crate) static TABLE: [u8; 256] = build();

    #[allow(
        clippy::indexing_slicing,
        reason = "const evaluation: an index out of range fails the build, never a run"
    )]
    const fn build() -> [u8; 256] {
        let mut t = [0u8; 256];
        let mut b = 0x21usize; // CTL (0x00-0x1F) and SP are atom-specials
        while b < 0x7f {
            let c = b as u8;
            // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials /
            //                 resp-specials
            // list-wildcards = "%" / "*"; quoted-specials = DQUOTE / "\"; resp-specials = "]"
            let special = matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']');
            let mut bits = 0u8;
            if !special {
                bits |= ATOM | ASTRING | LIST;
                if c != b'+' {
                    bits |= TAG;
                }
            }
            if c == b']' {
                bits |= ASTRING | TAG | LIST;
            }
            if c == b'%' || c == b'*' {
                bits |= LIST;
            }
            if c != b'"' && c != b'\\' {
                bits |= QUOTED;
            }
            t[b] = bits;
            b += 1;
        }
        // TEXT-CHAR = <any CHAR except CR and LF>; CHAR = %x01-7F. The grammar lets controls
        // such as TAB sit inside a quoted string; the encoder still never writes them there.
        let mut c = 0x01usize;
        while c < 0x21 {
            if c != 0x0d && c != 0x0a {
                t[c] |= QUOTED;
            }
            c += 1;
        }
        t[0x7f] |= QUOTED;
        t
    }

    /// Whether `b` is in class `bits`.
    #[inline]
    pub(crate) fn is(b: u8, bits: u8) -> bool {
        TABLE.get(usize::from(b)).copied().unwrap_or(0) & bits != 0
    }

    /// Length of the longest prefix of `input` whose bytes are all in class `bits`.
    #[inline]
    pub(crate) fn span(input: &[u8], bits: u8) -> usize {
        input
            .iter()
            .position(|&b| !is(b, bits))
            .unwrap_or(input.len())
    }
}

/// Checks that `bytes` is non-empty and every byte is in `class`.
fn check_class(what: &'static str, bytes: &[u8], bits: u8) -> Result<(), InvalidValue> {
    if bytes.is_empty() {
        return Err(InvalidValue::Empty { what });
    }
    match bytes.iter().find(|&&b| !class::is(b, bits)) {
        Some(&byte) => Err(InvalidValue::ForbiddenByte { what, byte }),
        None => Ok(()),
    }
}

/// Checks that `bytes` holds no NUL (`CHAR8 = %x01-ff`, the content of a string).
fn check_no_nul(what: &'static str, bytes: &[u8]) -> Result<(), InvalidValue> {
    match memchr::memchr(0, bytes) {
        Some(_) => Err(InvalidValue::ForbiddenByte { what, byte: 0 }),
        None => Ok(()),
    }
}

/// Implements `TryFrom<&str>`, `TryFrom<&[u8]>`, `TryFrom<Bytes>`, `TryFrom<String>` and
/// `TryFrom<Vec<u8>>` through one `check(&[u8])` function.
macro_rules! bytes_value {
    ($ty:ident, $check:expr) => {
        impl $ty {
            /// The content, without any quoting.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The content as a shared buffer.
            pub fn as_shared(&self) -> &Bytes {
                &self.0
            }

            /// Takes the content out.
            pub fn into_bytes(self) -> Bytes {
                self.0
            }

            /// The content as text, when it is UTF-8.
            pub fn as_str(&self) -> Option<&str> {
                std::str::from_utf8(&self.0).ok()
            }

            /// Wraps bytes the parser has already checked.
            #[allow(dead_code, reason = "not every value is built by a parser")]
            pub(crate) fn from_checked(bytes: Bytes) -> Self {
                debug_assert!(($check)(&bytes[..]).is_ok());
                Self(bytes)
            }
        }

        impl TryFrom<Bytes> for $ty {
            type Error = InvalidValue;
            fn try_from(value: Bytes) -> Result<Self, Self::Error> {
                ($check)(&value[..])?;
                Ok(Self(value))
            }
        }

        impl TryFrom<&[u8]> for $ty {
            type Error = InvalidValue;
            fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
                ($check)(value)?;
                Ok(Self(Bytes::copy_from_slice(value)))
            }
        }

        impl TryFrom<Vec<u8>> for $ty {
            type Error = InvalidValue;
            fn try_from(value: Vec<u8>) -> Result<Self, Self::Error> {
                ($check)(&value[..])?;
                Ok(Self(Bytes::from(value)))
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = InvalidValue;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::try_from(value.as_bytes())
            }
        }

        impl TryFrom<String> for $ty {
            type Error = InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::try_from(value.into_bytes())
            }
        }

        impl AsRef<[u8]> for $ty {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            /// The content, lossily decoded as UTF-8 (not the wire form).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&String::from_utf8_lossy(&self.0))
            }
        }
    };
}

/// A command tag (RFC 9051 §9): `tag = 1*<any ASTRING-CHAR except "+">`.
///
/// The client picks it and the server echoes it in the tagged status, so it is what ties a
/// completion to its command. `+` is excluded because a line starting with `+` is a
/// continuation request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(Bytes);

impl Tag {
    /// Checks the `tag` rule.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        check_class("tag", bytes, class::TAG)
    }
}
bytes_value!(Tag, Tag::check);

/// An atom (RFC 9051 §9): `atom = 1*ATOM-CHAR`, where `ATOM-CHAR` is any printable US-ASCII
/// character except `( ) { SP % * " \ ]`.
///
/// Atoms are case-insensitive where the grammar uses them as keywords; [`Atom`] keeps the case
/// it was given and compares byte for byte. Use [`Atom::eq_ignore_ascii_case`] for keywords.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(Bytes);

impl Atom {
    /// Checks the `atom` rule.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        check_class("atom", bytes, class::ATOM)
    }

    /// Whether the atom equals `other`, ignoring ASCII case (IMAP keywords are
    /// case-insensitive).
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }

    /// The atom's bytes from `start` on (`AUTH=PLAIN` from 5 is `PLAIN`), sharing the buffer;
    /// `None` when nothing is left or `start` is past the end. Any non-empty part of an atom
    /// is an atom.
    pub fn slice_from(&self, start: usize) -> Option<Self> {
        (start < self.0.len()).then(|| Self(self.0.slice(start..)))
    }

    /// An atom from a static string the caller knows is valid; `None` if it is not.
    pub fn from_static(s: &'static str) -> Option<Self> {
        Self::check(s.as_bytes()).ok()?;
        Some(Self(Bytes::from_static(s.as_bytes())))
    }
}
bytes_value!(Atom, Atom::check);

/// A string (RFC 9051 §9): `string = quoted / literal`; this holds the content.
///
/// Any octet but NUL (`CHAR8 = %x01-ff`). The encoder writes it quoted when that is possible
/// (no CR or LF, 8-bit only when UTF-8 is allowed, not too long) and as a literal otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct IString(Bytes);

impl IString {
    /// Checks that the content can be sent as a string: no NUL.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        check_no_nul("string", bytes)
    }

    /// The empty string `""`.
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    /// The length of the content in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
bytes_value!(IString, IString::check);

/// An astring (RFC 9051 §9): `astring = 1*ASTRING-CHAR / string`; this holds the content.
///
/// Any octet but NUL. The encoder writes an atom when the content is one (never for `NIL`, so
/// that no reader mistakes it for a nil), a quoted string when it can and a literal otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AString(Bytes);

impl AString {
    /// Checks that the content can be sent as an astring: no NUL.
    pub(crate) fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        check_no_nul("astring", bytes)
    }

    /// The length of the content in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
bytes_value!(AString, AString::check);

impl From<IString> for AString {
    fn from(value: IString) -> Self {
        Self(value.0)
    }
}

impl From<Atom> for AString {
    fn from(value: Atom) -> Self {
        Self(value.0)
    }
}

impl From<AString> for IString {
    fn from(value: AString) -> Self {
        Self(value.0)
    }
}

/// An nstring (RFC 9051 §9): `nstring = string / nil`. `None` is `NIL`, which differs from
/// the empty string `""`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NString(pub Option<IString>);

impl NString {
    /// `NIL`.
    pub const NIL: Self = Self(None);

    /// The content, `None` for `NIL`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        self.0.as_ref().map(IString::as_bytes)
    }

    /// Whether this is `NIL`.
    pub fn is_nil(&self) -> bool {
        self.0.is_none()
    }
}

impl From<IString> for NString {
    fn from(value: IString) -> Self {
        Self(Some(value))
    }
}

impl From<Option<IString>> for NString {
    fn from(value: Option<IString>) -> Self {
        Self(value)
    }
}

/// The content of a literal8 (RFC 3516 / RFC 9051 §9): `literal8 = "~{" number64 ["+"] "}" CRLF
/// *OCTET`. Any octet, NUL included: BINARY fetches and APPEND of binary content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Literal8(Bytes);

impl Literal8 {
    /// Any bytes form a literal8.
    pub(crate) fn check(_bytes: &[u8]) -> Result<(), InvalidValue> {
        Ok(())
    }

    /// The length of the content in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
bytes_value!(Literal8, Literal8::check);

impl From<IString> for Literal8 {
    fn from(value: IString) -> Self {
        Self(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_legal_atom_char() {
        // imaptest `atoms`: every character an atom may hold.
        let all = "!#$&'+,-.:;<=>?@^_`|}~[/0aZ";
        assert!(Atom::try_from(all).is_ok());
        for c in [
            "(", ")", "{", " ", "%", "*", "\"", "\\", "]", "\x7f", "\x01", "é",
        ] {
            assert!(Atom::try_from(c).is_err(), "{c:?}");
        }
        assert!(Atom::try_from("").is_err());
    }

    #[test]
    fn atom_suffix() {
        let a = Atom::try_from("AUTH=PLAIN").unwrap();
        assert_eq!(a.slice_from(5).unwrap().as_bytes(), b"PLAIN");
        assert!(a.slice_from(10).is_none());
        assert!(a.slice_from(99).is_none());
    }

    #[test]
    fn tag_excludes_plus_allows_bracket() {
        assert!(Tag::try_from("A1]").is_ok());
        assert!(Tag::try_from("A+1").is_err());
        assert!(Tag::try_from("*").is_err());
        assert!(Tag::try_from("").is_err());
    }

    #[test]
    fn strings_reject_nul_only() {
        assert!(IString::try_from("a\r\nb").is_ok());
        assert!(IString::try_from("a\0b").is_err());
        assert!(AString::try_from(&b"\xff"[..]).is_ok());
        assert!(Literal8::try_from(&b"\0"[..]).is_ok());
    }
}
