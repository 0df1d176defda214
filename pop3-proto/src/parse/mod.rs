//! Hand-written parsers for the line-based POP3 grammar. Private: only `crate` types leave it.

pub(crate) mod command;
pub(crate) mod response;

use crate::error::ParseError;

/// One line taken off the front of a buffer.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// The line without its CRLF.
    pub(crate) content: &'a [u8],
    /// Octets consumed, CRLF included.
    pub(crate) consumed: usize,
}

/// Finds the first CRLF-terminated line of `buf`.
///
/// ```text
/// line = *(%x00-09 / %x0B-0C / %x0E-FF) CRLF   ; RFC 1939 §3, RFC 2449 §4 length cap
/// ```
///
/// `Ok(None)` means the line is not complete yet. A bare CR or LF is an error, and so is a
/// line longer than `limit` octets (CRLF included), reported as soon as the limit is passed.
pub(crate) fn split_line(buf: &[u8], limit: usize) -> Result<Option<Line<'_>>, ParseError> {
    let Some(lf) = memchr::memchr(b'\n', buf) else {
        if buf.len() >= limit {
            return Err(ParseError::LineTooLong { limit });
        }
        if let Some(cr) = memchr::memchr(b'\r', buf)
            && cr + 1 < buf.len()
        {
            return Err(ParseError::BareNewline { offset: cr });
        }
        return Ok(None);
    };
    if lf + 1 > limit {
        return Err(ParseError::LineTooLong { limit });
    }
    let before = buf.get(..lf).unwrap_or_default();
    let Some(content) = before.strip_suffix(b"\r") else {
        return Err(ParseError::BareNewline { offset: lf });
    };
    if let Some(cr) = memchr::memchr(b'\r', content) {
        return Err(ParseError::BareNewline { offset: cr });
    }
    Ok(Some(Line {
        content,
        consumed: lf + 1,
    }))
}

/// Parses a decimal number into a u64.
///
/// ```text
/// number = 1*DIGIT   ; RFC 1939 §3, no sign, overflow is an error
/// ```
pub(crate) fn number_u64(
    bytes: &[u8],
    rule: &'static str,
    offset: usize,
) -> Result<u64, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Syntax { rule, offset });
    }
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(ParseError::Syntax {
                rule,
                offset: offset + i,
            });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(ParseError::NumberOutOfRange { rule, offset })?;
    }
    Ok(value)
}

/// Parses a message number: a decimal number from 1 to `u32::MAX`.
///
/// ```text
/// msg = 1*DIGIT   ; RFC 1939 §3: "message-number", never 0
/// ```
pub(crate) fn message_number(
    bytes: &[u8],
    rule: &'static str,
    offset: usize,
) -> Result<crate::MessageNumber, ParseError> {
    let n = number_u64(bytes, rule, offset)?;
    let n = u32::try_from(n).map_err(|_| ParseError::NumberOutOfRange { rule, offset })?;
    crate::MessageNumber::new(n).ok_or(ParseError::InvalidValue {
        rule,
        source: crate::InvalidValue::MessageNumberZero,
    })
}

/// Splits at the first space: `(word, Some(rest))` or `(whole, None)`.
pub(crate) fn split_space(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memchr(b' ', bytes) {
        Some(i) => (bytes.get(..i).unwrap_or_default(), bytes.get(i + 1..)),
        None => (bytes, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert!(split_line(b"abc", 10).unwrap().is_none());
        assert!(split_line(b"abc\r", 10).unwrap().is_none());
        let l = split_line(b"abc\r\nx", 10).unwrap().unwrap();
        assert_eq!((l.content, l.consumed), (&b"abc"[..], 5));
        assert_eq!(
            split_line(b"abc\nx", 10).unwrap_err(),
            ParseError::BareNewline { offset: 3 }
        );
        assert_eq!(
            split_line(b"a\rbc\r\n", 10).unwrap_err(),
            ParseError::BareNewline { offset: 1 }
        );
        assert!(split_line(b"abcdefghi\r\n", 10).is_err());
        assert!(split_line(b"abcdefgh\r\n", 10).unwrap().is_some());
        assert!(split_line(b"abcdefghij", 10).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(number_u64(b"0", "n", 0).unwrap(), 0);
        assert_eq!(
            number_u64(b"18446744073709551615", "n", 0).unwrap(),
            u64::MAX
        );
        assert!(number_u64(b"18446744073709551616", "n", 0).is_err());
        assert!(number_u64(b"99999999999999999999", "n", 0).is_err());
        assert!(number_u64(b"+1", "n", 0).is_err());
        assert!(number_u64(b"-1", "n", 0).is_err());
        assert!(number_u64(b"", "n", 0).is_err());
        assert!(message_number(b"0", "n", 0).is_err());
        assert!(message_number(b"4294967296", "n", 0).is_err());
        assert_eq!(
            message_number(b"4294967295", "n", 0).unwrap().get(),
            u32::MAX
        );
    }
}
