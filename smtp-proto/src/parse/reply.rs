//! Reply-line grammar (RFC 5321 §4.2) and enhanced status codes (RFC 3463 §2), by hand: both
//! are a few fixed-shape bytes, checked in place without a parser framework.

/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
/// Reply-code = %x32-35 %x30-35 %x30-39
/// ```
/// On a line without its CRLF: (code, whether it is the last line, text).
#[inline]
pub(crate) fn reply_line(line: &[u8]) -> Option<(u16, bool, &[u8])> {
    let (&[a, b, c], rest) = line.split_first_chunk::<3>()?;
    if !(matches!(a, b'2'..=b'5') && matches!(b, b'0'..=b'5') && c.is_ascii_digit()) {
        return None;
    }
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    match rest.split_first() {
        None => Some((code, true, rest)),
        Some((b' ', text)) => Some((code, true, text)),
        Some((b'-', text)) => Some((code, false, text)),
        Some(_) => None,
    }
}

/// `1*3digit` at the front of `bytes`: the value and what follows the digits.
#[inline]
fn digits3(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let mut value = 0u16;
    let mut n = 0;
    for &b in bytes.iter().take(3) {
        if !b.is_ascii_digit() {
            break;
        }
        value = value * 10 + u16::from(b - b'0');
        n += 1;
    }
    (n > 0).then(|| (value, bytes.get(n..).unwrap_or_default()))
}

/// ```text
/// status-code = class "." subject "." detail
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
/// Followed by SP or the end of the text. Returns (class, subject, detail, rest after the SP).
#[inline]
pub(crate) fn enhanced_code(text: &[u8]) -> Option<(u8, u16, u16, &[u8])> {
    let (&[class, b'.'], rest) = text.split_first_chunk::<2>()? else {
        return None;
    };
    if !matches!(class, b'2' | b'4' | b'5') {
        return None;
    }
    let (subject, rest) = digits3(rest)?;
    let rest = rest.strip_prefix(b".")?;
    let (detail, rest) = digits3(rest)?;
    let rest = match rest.split_first() {
        None => rest,
        Some((b' ', after)) => after,
        Some(_) => return None,
    };
    Some((class - b'0', subject, detail, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(reply_line(b"250 ok"), Some((250, true, &b"ok"[..])));
        assert_eq!(reply_line(b"250-ok"), Some((250, false, &b"ok"[..])));
        assert_eq!(reply_line(b"334"), Some((334, true, &b""[..])));
        assert_eq!(reply_line(b"559-"), Some((559, false, &b""[..])));
        assert_eq!(reply_line(b"2500 x"), None);
        assert_eq!(reply_line(b"250x"), None);
        assert_eq!(reply_line(b"25"), None);
        assert_eq!(reply_line(b"099 x"), None);
        assert_eq!(reply_line(b"260 x"), None);
        assert_eq!(reply_line(b"600 x"), None);
        assert_eq!(enhanced_code(b"5.7.0 no"), Some((5, 7, 0, &b"no"[..])));
        assert_eq!(enhanced_code(b"2.1.5"), Some((2, 1, 5, &b""[..])));
        assert_eq!(
            enhanced_code(b"4.123.999  x"),
            Some((4, 123, 999, &b" x"[..]))
        );
        assert_eq!(enhanced_code(b"2.1.5x"), None);
        assert_eq!(enhanced_code(b"3.1.5 x"), None);
        assert_eq!(enhanced_code(b"5.1234.1 x"), None);
        assert_eq!(enhanced_code(b"5..1 x"), None);
        assert_eq!(enhanced_code(b"5.1. x"), None);
        assert_eq!(enhanced_code(b"5.1"), None);
        assert_eq!(enhanced_code(b"5"), None);
    }
}
