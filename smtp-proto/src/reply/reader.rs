//! The reply reader shared by [`Reply::decode`](super::Reply::decode),
//! [`EhloReply::decode`](crate::EhloReply::decode) and the [`ReplyAssembler`](super::ReplyAssembler):
//! one pass over the bytes, each line's end found eight octets at a time (the first CR, LF or
//! NUL must be its CRLF, which also proves the line clean), its code checked digit by digit or
//! compared as one word with the first line's, and its text recorded as a span of the input
//! rather than copied. Nothing is allocated for a reply of up to [`INLINE_LINES`] lines.

use crate::error::{ParseError, ParseErrorKind};
use crate::parse::reply::{enhanced_code, reply_line};

use super::{EnhancedStatusCode, ReplyCode, ReplyLimits};

/// Lines whose spans are kept inline while a reply is read; a longer reply moves them to the
/// heap. Sixteen covers the EHLO replies of common servers (eight to fifteen lines).
pub(crate) const INLINE_LINES: usize = 16;

/// Octets a reply may hold whatever its [`ReplyLimits`]: spans are 32-bit offsets.
pub(crate) const MAX_REPLY: usize = u32::MAX as usize;

/// The grammar rule named in reply-line errors.
const RULE: &str = "Reply-line";

/// Where each line's text lies in a buffer, in line order: `start | end << 32` for the octets
/// `[start, end)`, the form [`Reply`](super::Reply) keeps them in.
#[derive(Debug, Clone)]
pub(crate) struct Spans {
    /// Spans pushed.
    len: usize,
    /// The first [`INLINE_LINES`] spans.
    inline: [u64; INLINE_LINES],
    /// All spans, once there are more than fit inline.
    heap: Vec<u64>,
}

impl Default for Spans {
    fn default() -> Self {
        Self {
            len: 0,
            inline: [0; INLINE_LINES],
            heap: Vec::new(),
        }
    }
}

impl Spans {
    /// Adds the span `[start, end)`; both are at most [`MAX_REPLY`] (the limits ensure it).
    #[inline(always)]
    pub(crate) fn push(&mut self, start: usize, end: usize) {
        self.push_packed(start.min(MAX_REPLY) as u64 | (end.min(MAX_REPLY) as u64) << 32);
    }

    /// Adds a span already packed as `start | end << 32`.
    #[inline(always)]
    pub(crate) fn push_packed(&mut self, span: u64) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = span;
        } else {
            self.spill(span);
        }
        self.len += 1;
    }

    #[cold]
    fn spill(&mut self, span: u64) {
        if self.heap.is_empty() {
            self.heap.reserve(INLINE_LINES * 2);
            self.heap.extend_from_slice(&self.inline);
        }
        self.heap.push(span);
    }

    /// The spans in line order.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u64] {
        match self.inline.get(..self.len) {
            Some(inline) => inline,
            None => &self.heap,
        }
    }
}

/// The octets of `buf` that `span` (`start | end << 32`) names.
#[inline(always)]
pub(crate) fn span_of(buf: &[u8], span: u64) -> &[u8] {
    let (start, end) = (span as u32 as usize, (span >> 32) as usize);
    buf.get(start..end).unwrap_or_default()
}

/// What is known of a reply after some of its lines.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineState {
    /// The code of the first line.
    pub(crate) code: Option<ReplyCode>,
    /// The enhanced status code of the first line, if any.
    pub(crate) enhanced: Option<EnhancedStatusCode>,
    /// Lines accepted.
    pub(crate) lines: usize,
    /// Octets accepted, CRLFs included.
    pub(crate) total: usize,
}

/// One accepted line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted {
    /// Its code, the reply's.
    pub(crate) code: ReplyCode,
    /// Whether it ends the reply.
    pub(crate) last: bool,
    /// Where its text starts (after code, separator and a repeated enhanced status code).
    pub(crate) text_start: usize,
}

impl LineState {
    /// Takes one line without its CRLF, known to hold no CR, LF or NUL and to fit
    /// `limits.max_line`: checks its code against the first line's and the reply against its
    /// limits. Error offsets are relative to the line.
    #[inline]
    pub(crate) fn accept(
        &mut self,
        line: &[u8],
        limits: &ReplyLimits,
    ) -> Result<Accepted, ParseError> {
        let (code, last, mut text) =
            reply_line(line).ok_or(ParseError::new(ParseErrorKind::InvalidReplyCode, 0, RULE))?;
        let code = ReplyCode::new_unchecked(code);
        let first = match self.code {
            None => {
                self.code = Some(code);
                true
            }
            Some(expected) if expected != code => {
                return Err(ParseError::new(
                    ParseErrorKind::CodeMismatch {
                        expected: expected.get(),
                        found: code.get(),
                    },
                    0,
                    RULE,
                ));
            }
            Some(_) => false,
        };
        self.total += line.len() + 2;
        if self.lines >= limits.max_lines {
            return Err(ParseError::new(
                ParseErrorKind::TooManyLines {
                    limit: limits.max_lines,
                },
                0,
                RULE,
            ));
        }
        let max_total = limits.max_total.min(MAX_REPLY);
        if self.total > max_total {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "reply",
                    limit: max_total,
                },
                0,
                RULE,
            ));
        }
        // Only text that starts like `d.` can hold an enhanced status code.
        if text.get(1) == Some(&b'.') {
            if first {
                if let Some((c, s, d, rest)) = enhanced_code(text)
                    && u16::from(c) == code.get() / 100
                {
                    self.enhanced = Some(EnhancedStatusCode::new_unchecked(c, s, d));
                    text = rest;
                }
            } else if let Some(e) = self.enhanced
                && let Some((c, s, d, rest)) = enhanced_code(text)
                && (c, s, d) == (e.class(), e.subject(), e.detail())
            {
                text = rest;
            }
        }
        self.lines += 1;
        Ok(Accepted {
            code,
            last,
            text_start: line.len() - text.len(),
        })
    }
}

/// What framing learned of a reply besides its lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    /// The reply code.
    pub(crate) code: ReplyCode,
    /// The enhanced status code of the first line, if any.
    pub(crate) enhanced: Option<EnhancedStatusCode>,
    /// Octets of the input the reply takes, its last CRLF included.
    pub(crate) consumed: usize,
}

fn line_too_long(limits: &ReplyLimits, at: usize) -> ParseError {
    ParseError::new(
        ParseErrorKind::TooLong {
            what: "line",
            limit: limits.max_line,
        },
        at,
        RULE,
    )
}

/// Checks a line that holds a CR, LF or NUL before its CRLF, or has no CRLF yet, and finds its
/// end the careful way (this order decides which error a line with several faults gets):
/// `Ok(Some(n))` for a good line of `n` octets before CRLF, `Ok(None)` if more input is needed.
#[cold]
pub(crate) fn careful_line(rest: &[u8], limits: &ReplyLimits) -> Result<Option<usize>, ParseError> {
    let Some(lf) = memchr::memchr(b'\n', rest) else {
        if rest.len() >= limits.max_line {
            return Err(line_too_long(limits, 0));
        }
        return Ok(None);
    };
    if lf + 1 > limits.max_line {
        return Err(line_too_long(limits, 0));
    }
    let Some(end) = lf
        .checked_sub(1)
        .filter(|&end| rest.get(end) == Some(&b'\r'))
    else {
        return Err(ParseError::new(ParseErrorKind::BareNewline, lf, RULE));
    };
    let line = rest.get(..end).unwrap_or_default();
    check_bytes(line)?;
    Ok(Some(end))
}

/// Rejects a bare CR or a NUL inside a line given without its CRLF.
#[inline]
pub(crate) fn check_bytes(line: &[u8]) -> Result<(), ParseError> {
    match memchr::memchr2(b'\r', 0, line) {
        None => Ok(()),
        Some(i) => Err(ParseError::new(
            if line.get(i) == Some(&b'\r') {
                ParseErrorKind::BareNewline
            } else {
                ParseErrorKind::ForbiddenByte(0)
            },
            i,
            RULE,
        )),
    }
}

/// Octets of a word whose value is below 0x20, as the high bit of each. Only the lowest flag
/// is exact (a borrow may flag the octet above a true one), which is all the caller uses.
#[inline(always)]
const fn below_space(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    word.wrapping_sub(ONES * 0x20) & !word & HIGH
}

/// Whether `b` may end a line's text: CR, LF or NUL.
#[inline(always)]
const fn is_end(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0)
}

/// Octets of a 16-octet word whose value is below 0x20, as the high bit of each; as
/// [`below_space`], only the lowest flag is exact.
#[inline(always)]
const fn below_space16(word: u128) -> u128 {
    const ONES: u128 = u128::from_ne_bytes([0x01; 16]);
    const HIGH: u128 = u128::from_ne_bytes([0x80; 16]);
    word.wrapping_sub(ONES * 0x20) & !word & HIGH
}

/// The first CR, LF or NUL in `hay`. Reply lines are short, so sixteen octets at a time in a
/// plain word beats a vector search's set-up; other control octets (a TAB) are stepped over.
#[inline(always)]
fn find_cr_lf_nul(hay: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(chunk) = hay.get(i..i + 16) {
        let Ok(octets) = <[u8; 16]>::try_from(chunk) else {
            break;
        };
        let flagged = below_space16(u128::from_le_bytes(octets));
        if flagged == 0 {
            i += 16;
            continue;
        }
        let at = i + (flagged.trailing_zeros() / 8) as usize;
        if hay.get(at).copied().is_some_and(is_end) {
            return Some(at);
        }
        i = at + 1;
    }
    while let Some(chunk) = hay.get(i..i + 8) {
        let Ok(octets) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let flagged = below_space(u64::from_le_bytes(octets));
        if flagged == 0 {
            i += 8;
            continue;
        }
        let at = i + (flagged.trailing_zeros() / 8) as usize;
        if hay.get(at).copied().is_some_and(is_end) {
            return Some(at);
        }
        i = at + 1;
    }
    let tail = hay.get(i..).unwrap_or_default();
    tail.iter().position(|&b| is_end(b)).map(|j| i + j)
}

/// `%x32-35 %x30-35 %x30-39`, the three octets of `word` from its low end.
#[inline(always)]
const fn valid_code(word: u32) -> bool {
    let [a, b, c, _] = word.to_le_bytes();
    matches!(a, b'2'..=b'5') && matches!(b, b'0'..=b'5') && c.is_ascii_digit()
}

#[cold]
fn invalid_code(at: usize) -> ParseError {
    ParseError::new(ParseErrorKind::InvalidReplyCode, at, RULE)
}

/// The error for a line whose code (three octets of `found`) is not the first line's.
#[cold]
fn wrong_code(expected: u32, found: u32) -> ParseError {
    let value = |word: u32| {
        let [a, b, c, _] = word.to_le_bytes();
        u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
    };
    let kind = if valid_code(found) {
        ParseErrorKind::CodeMismatch {
            expected: value(expected),
            found: value(found),
        }
    } else {
        ParseErrorKind::InvalidReplyCode
    };
    ParseError::new(kind, 0, RULE)
}

/// Frames one reply at the front of `input` (lines end with CRLF), calling `on_line` with the
/// span `[start, end)` of each line's text in `input` as the line is accepted, and whether the
/// first line had an enhanced status code: `Ok(None)` if the reply is not complete yet. Error
/// offsets are relative to `input`. Spans are below [`MAX_REPLY`].
///
/// The same checks as [`LineState::accept`], in the same order, with the code of every line
/// after the first compared as three octets with the first's.
#[inline(always)]
pub(crate) fn frame(
    input: &[u8],
    limits: &ReplyLimits,
    mut on_line: impl FnMut(usize, usize, bool),
) -> Result<Option<Head>, ParseError> {
    let max_total = limits.max_total.min(MAX_REPLY);
    let mut head_word = 0;
    let mut enhanced: Option<EnhancedStatusCode> = None;
    let mut lines = 0;
    let mut pos = 0;
    let mut rest = input;
    loop {
        // A good line ends at its first CR, LF or NUL, which is a CR followed by LF.
        let len = match find_cr_lf_nul(rest) {
            Some(i) if rest.get(i..i + 2) == Some(b"\r\n") => {
                if i + 2 > limits.max_line {
                    return Err(line_too_long(limits, pos));
                }
                i
            }
            _ => match careful_line(rest, limits).map_err(|e| e.shifted(pos))? {
                Some(len) => len,
                None => return Ok(None),
            },
        };
        // Code and separator as one little-endian word (the CR stands in for the separator of
        // a code-only line): every line after the first repeats the first's three digits.
        let word = match rest.first_chunk::<4>() {
            Some(&head4) if len >= 3 => u32::from_le_bytes(head4),
            _ => return Err(invalid_code(pos)),
        };
        let (last, text_start) = match (word >> 24) as u8 {
            b'-' if len >= 4 => (false, 4),
            b' ' if len >= 4 => (true, 4),
            b'\r' if len == 3 => (true, 3),
            _ => return Err(invalid_code(pos)),
        };
        let word = word & 0x00ff_ffff;
        if lines == 0 {
            if !valid_code(word) {
                return Err(invalid_code(pos));
            }
            head_word = word;
        } else if word != head_word {
            return Err(wrong_code(head_word, word).shifted(pos));
        }
        if lines >= limits.max_lines {
            return Err(ParseError::new(
                ParseErrorKind::TooManyLines {
                    limit: limits.max_lines,
                },
                pos,
                RULE,
            ));
        }
        if pos + len + 2 > max_total {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "reply",
                    limit: max_total,
                },
                pos,
                RULE,
            ));
        }
        let mut start = text_start;
        // Only text that starts like `d.` can hold an enhanced status code.
        if len > text_start + 1 && rest.get(text_start + 1) == Some(&b'.') {
            let text = rest.get(text_start..len).unwrap_or_default();
            if lines == 0 {
                if let Some((c, s, d, after)) = enhanced_code(text)
                    && u32::from(c + b'0') == word & 0xff
                {
                    enhanced = Some(EnhancedStatusCode::new_unchecked(c, s, d));
                    start = len - after.len();
                }
            } else if let Some(e) = enhanced
                && let Some((c, s, d, after)) = enhanced_code(text)
                && (c, s, d) == (e.class(), e.subject(), e.detail())
            {
                start = len - after.len();
            }
        }
        // Both offsets are below `max_total`, checked above, so they fit 32 bits.
        on_line(pos + start, pos + len, enhanced.is_some());
        lines += 1;
        pos += len + 2;
        rest = rest.get(len + 2..).unwrap_or_default();
        if last {
            let [a, b, c, _] = head_word.to_le_bytes();
            let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            return Ok(Some(Head {
                code: ReplyCode::new_unchecked(code),
                enhanced,
                consumed: pos,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_line_end() {
        for hay in [
            &b""[..],
            b"abc",
            b"250 ok\r\n",
            b"250 a\tb\x01c\x7f\x80\xff and more text\r\n",
            b"\n",
            b"0123456789abcdef\0",
            b"0123456\r",
            b"01234567\t\t\t\t\t\t\t\t\n",
        ] {
            let expected = hay.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0));
            assert_eq!(find_cr_lf_nul(hay), expected, "{hay:?}");
        }
        for len in 0..40 {
            for at in 0..len {
                for end in [b'\r', b'\n', 0] {
                    let mut hay = vec![b'\t'; len];
                    hay[at] = end;
                    assert_eq!(find_cr_lf_nul(&hay), Some(at));
                }
            }
        }
    }
}
