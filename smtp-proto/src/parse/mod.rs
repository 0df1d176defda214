//! Private grammar helpers shared by the codec types, hand-written: one pass over the bytes
//! with table lookups and word-at-a-time checks, each function under the ABNF rule it reads.

pub(crate) mod class;
pub(crate) mod literal;
pub(crate) mod path;
pub(crate) mod reply;
pub(crate) mod xtext;

use crate::error::{ParseError, ParseErrorKind};

/// `1*DIGIT` as a `u64`, overflow is an error (never wrapped).
pub(crate) fn number(
    bytes: &[u8],
    max_digits: usize,
    what: &'static str,
    rule: &'static str,
) -> Result<u64, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::new(ParseErrorKind::Syntax, 0, rule));
    }
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(ParseError::new(ParseErrorKind::Syntax, i, rule));
        }
        if i >= max_digits {
            return Err(ParseError::new(
                ParseErrorKind::NumberOverflow { what },
                i,
                rule,
            ));
        }
        let digit = u64::from(b - b'0');
        // Nineteen digits are below 10^19 < u64::MAX: only the twentieth can overflow.
        value = if i < 19 {
            value * 10 + digit
        } else {
            value
                .checked_mul(10)
                .and_then(|v| v.checked_add(digit))
                .ok_or(ParseError::new(
                    ParseErrorKind::NumberOverflow { what },
                    i,
                    rule,
                ))?
        };
    }
    Ok(value)
}

/// Up to eight octets as an array, the missing ones `fill`.
#[inline(always)]
fn padded(octets: &[u8], fill: u8) -> [u8; 8] {
    let mut word = [fill; 8];
    for (w, &o) in word.iter_mut().zip(octets) {
        *w = o;
    }
    word
}

/// Whether `keyword` is `word` (upper-case letters, digits and `-` only) in any case. Letters are
/// compared with bit 0x20 set on both sides, which only folds case; other octets compare
/// exactly. With `word` a constant this is a few word-wide operations.
#[inline(always)]
pub(crate) fn is_word<const N: usize>(keyword: &[u8], word: &[u8; N]) -> bool {
    if keyword.len() != N {
        return false;
    }
    if N < 8 {
        return octets_match(
            padded(keyword.get(..N).unwrap_or_default(), 0),
            padded(word.get(..N).unwrap_or_default(), 0),
        );
    }
    // Eight octets at a time from the front, the last eight overlapping the ones before.
    let mut at = 0;
    loop {
        let at_here = at.min(N - 8);
        let (Some(k), Some(w)) = (
            keyword.get(at_here..at_here + 8),
            word.get(at_here..at_here + 8),
        ) else {
            return false;
        };
        if !octets_match(padded(k, 0), padded(w, 0)) {
            return false;
        }
        if at_here == N - 8 {
            return true;
        }
        at += 8;
    }
}

/// Whether `keyword` equals `word` where letters of `word` match either case. `word` holds
/// upper-case letters, digits, `-` and zero padding: of these only the letters have bit 0x40
/// set, so shifting that bit down gives the 0x20 that folds exactly the letters.
#[inline(always)]
fn octets_match(keyword: [u8; 8], word: [u8; 8]) -> bool {
    let word = u64::from_le_bytes(word);
    let fold = (word & u64::from_ne_bytes([0x40; 8])) >> 1;
    (u64::from_le_bytes(keyword) | fold) == (word | fold)
}

/// The first CR, LF or NUL in `bytes`, if any.
pub(crate) fn find_forbidden(bytes: &[u8]) -> Option<(usize, u8)> {
    memchr::memchr3(b'\r', b'\n', 0, bytes).map(|i| (i, bytes.get(i).copied().unwrap_or(0)))
}

/// Splits `bytes` at the first space.
pub(crate) fn split_word(bytes: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b' ', bytes) {
        Some(i) => (
            bytes.get(..i).unwrap_or_default(),
            bytes.get(i + 1..).unwrap_or_default(),
        ),
        None => (bytes, &[]),
    }
}

/// Whether `bytes` is a valid date-time in the shape of RFC 3339 §5.6 (checked loosely: the
/// allowed characters and a sane length).
pub(crate) fn is_date_time(bytes: &[u8]) -> bool {
    (10..=40).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.iter().all(|b| {
            b.is_ascii_digit() || matches!(b, b'T' | b't' | b'Z' | b'z' | b':' | b'.' | b'+' | b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_only_letters() {
        assert!(is_word(b"8bitMIME", b"8BITMIME"));
        assert!(is_word(b"mt-priority", b"MT-PRIORITY"));
        // Only letters fold: 0x18 | 0x20 is `8`, 0x0d | 0x20 is `-`.
        assert!(!is_word(b"\x18BITMIME", b"8BITMIME"));
        assert!(!is_word(b"CRAM\x0dMD5", b"CRAM-MD5"));
        assert!(!is_word(b"PIPELININ", b"PIPELINING"));
        assert!(!is_word(b"SIZ", b"SIZE"));
    }
}
