//! xtext (RFC 3461 §4) and utf-8-addr-xtext (RFC 6533 §3).

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::parse::class::{XPLAIN, class};

const RULE: &str = "xtext";

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Whether `input` is xtext with nothing encoded, all printable ASCII: then it is its own
/// decoded value.
pub(crate) fn is_plain(input: &[u8]) -> bool {
    input.iter().fold(XPLAIN, |acc, &b| acc & class(b)) != 0
}

/// Decodes `xtext = *( xchar / hexchar )`, `hexchar = "+" 2(HEXDIG)`; when `unicode` is set
/// also `"\x{" 1*6HEXDIG "}"` (utf-8-addr-xtext). The result must be UTF-8 without controls,
/// so a decoded CR, LF or NUL can never reach a spool file (Exim CVE-2020-28026).
pub(crate) fn decode(input: &[u8], unicode: bool) -> Result<Cow<'_, str>, ParseError> {
    // Fast path, one pass: nothing encoded, all printable ASCII, so the input is the value.
    if is_plain(input) {
        return std::str::from_utf8(input)
            .map(Cow::Borrowed)
            .map_err(|_| ParseError::new(ParseErrorKind::InvalidUtf8, 0, RULE));
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => {
                let (Some(h), Some(l)) = (
                    input.get(i + 1).copied().and_then(hex),
                    input.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(ParseError::new(ParseErrorKind::Syntax, i, RULE));
                };
                out.push(h << 4 | l);
                i += 3;
            }
            b'\\'
                if unicode
                    && input.get(i + 1) == Some(&b'x')
                    && input.get(i + 2) == Some(&b'{') =>
            {
                let mut j = i + 3;
                let mut cp: u32 = 0;
                while let Some(d) = input.get(j).copied().and_then(hex) {
                    if j - (i + 3) >= 6 {
                        return Err(ParseError::new(ParseErrorKind::Syntax, j, RULE));
                    }
                    cp = cp << 4 | u32::from(d);
                    j += 1;
                }
                if j == i + 3 || input.get(j) != Some(&b'}') {
                    return Err(ParseError::new(ParseErrorKind::Syntax, j, RULE));
                }
                let c =
                    char::from_u32(cp).ok_or(ParseError::new(ParseErrorKind::Syntax, i, RULE))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = j + 1;
            }
            b'=' => return Err(ParseError::new(ParseErrorKind::Syntax, i, RULE)),
            33..=126 => {
                out.push(b);
                i += 1;
            }
            0x80..=0xff if unicode => {
                out.push(b);
                i += 1;
            }
            _ => return Err(ParseError::new(ParseErrorKind::ForbiddenByte(b), i, RULE)),
        }
    }
    if let Some(pos) = out.iter().position(|&b| b < 0x20 || b == 0x7f) {
        let byte = out.get(pos).copied().unwrap_or(0);
        return Err(ParseError::new(
            ParseErrorKind::ForbiddenByte(byte),
            0,
            RULE,
        ));
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| ParseError::new(ParseErrorKind::InvalidUtf8, 0, RULE))
}

/// Encodes as xtext; with `unicode`, non-ASCII characters become `\x{HEX}` (RFC 6533).
pub(crate) fn encode(value: &str, unicode: bool, out: &mut bytes::BytesMut) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for c in value.chars() {
        let cu = u32::from(c);
        if (33..=126).contains(&cu) && c != '+' && c != '=' && !(unicode && c == '\\') {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else if unicode && cu >= 0x80 {
            out.extend_from_slice(format!("\\x{{{cu:X}}}").as_bytes());
        } else {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                let digit = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
                out.extend_from_slice(&[b'+', digit(b >> 4), digit(b & 15)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(decode(b"a+40b.example", false).unwrap(), "a@b.example");
        assert_eq!(decode(b"caf\\x{E9}", true).unwrap(), "caf\u{e9}");
        assert!(decode(b"x+0D+0AX-Injected:+20y", false).is_err());
        assert!(decode(b"a+4", false).is_err());
        assert!(decode(b"a=b", false).is_err());
        assert!(decode(b"+00", false).is_err());
        let mut out = bytes::BytesMut::new();
        encode("a+b=c d", false, &mut out);
        assert_eq!(&out[..], b"a+2Bb+3Dc+20d");
        let mut out = bytes::BytesMut::new();
        encode("caf\u{e9}", true, &mut out);
        assert_eq!(&out[..], b"caf\\x{E9}");
    }
}
