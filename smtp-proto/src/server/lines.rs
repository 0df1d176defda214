//! Command and SASL lines framed in place in the server's input buffer: the line is parsed
//! where it lies and only then dropped, with no copy and no reference count.
//!
//! The same rules as [`mail_sansio::line::LineFramer`] under `Reject` or `Normalise`: the
//! search resumes where it stopped, so a line fed one octet at a time is scanned once; a line
//! longer than the limit is dropped as it arrives and reported once when it ends.

use bytes::{Buf, BytesMut};

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// One unit found at the front of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line {
    /// A line: its content is the first `content` octets of the input, its line ending runs
    /// to `total`. Still in the buffer; the caller drops it with `advance(total)`. A bare CR
    /// in the content is not looked for here: every grammar refuses it, so only a line that
    /// failed to parse is searched for one.
    Complete { content: usize, total: usize },
    /// A line longer than the limit, dropped.
    TooLong,
    /// A line ending in a bare LF under the strict policy, dropped.
    BareNewline,
}

/// The framer's state between calls.
#[derive(Debug, Default)]
pub(super) struct Lines {
    /// Octets at the front of the buffer already known to hold no LF.
    scanned: usize,
    /// While an over-long line is being skipped: the octets dropped so far.
    skipped: Option<usize>,
}

impl Lines {
    /// Forgets what was searched; after taking bytes out of the buffer by other means.
    pub(super) fn reset(&mut self) {
        *self = Self::default();
    }

    /// Records that all of a buffer of `len` octets holds no LF (input appended with none).
    #[inline(always)]
    pub(super) fn scanned_to(&mut self, len: usize) {
        self.scanned = len;
    }

    /// Whether nothing is being skipped, so appended octets need no look but for a LF.
    #[inline(always)]
    pub(super) fn is_plain(&self) -> bool {
        self.skipped.is_none()
    }

    /// The next line at the front of `buf`, or `None` until more input arrives. `normalise`:
    /// a bare LF ends a line (else it is [`Line::BareNewline`]).
    #[inline]
    pub(super) fn next(
        &mut self,
        buf: &mut BytesMut,
        max_line: usize,
        normalise: bool,
    ) -> Option<Line> {
        if let Some(dropped) = self.skipped {
            return self.skip(buf, dropped);
        }
        let from = self.scanned.min(buf.len());
        let Some(lf) = buf
            .get(from..)
            .and_then(|rest| memchr::memchr(LF, rest))
            .map(|i| from + i)
        else {
            // The line still needs its LF, so it is too long once the buffer holds
            // `max_line` octets without one.
            if buf.len() >= max_line && !buf.is_empty() {
                self.skipped = Some(buf.len());
                buf.clear();
                self.scanned = 0;
            } else {
                self.scanned = buf.len();
            }
            return None;
        };
        let has_cr = lf > 0 && buf.get(lf - 1) == Some(&CR);
        let total = lf + 1;
        self.scanned = 0;
        if total > max_line {
            buf.advance(total);
            return Some(Line::TooLong);
        }
        if !has_cr && !normalise {
            buf.advance(total);
            return Some(Line::BareNewline);
        }
        let content = if has_cr { lf - 1 } else { lf };
        Some(Line::Complete { content, total })
    }

    /// Drops the rest of an over-long line, reporting it once its line ending arrives (any LF
    /// ends it: under neither policy is a bare LF data).
    #[cold]
    fn skip(&mut self, buf: &mut BytesMut, dropped: usize) -> Option<Line> {
        if let Some(lf) = memchr::memchr(LF, buf) {
            buf.advance(lf + 1);
            self.reset();
            return Some(Line::TooLong);
        }
        self.skipped = Some(dropped.saturating_add(buf.len()));
        buf.clear();
        None
    }
}

/// Whether `content` holds a CR: a bare one, since the line ending is not part of it.
pub(super) fn has_bare_cr(content: &[u8]) -> bool {
    memchr::memchr(CR, content).is_some()
}

#[cfg(test)]
mod tests {
    use mail_sansio::line::{BareNewline, Frame, LineFramer};

    use super::*;

    /// Every input of up to six octets over the bytes that matter, fed whole and one octet at
    /// a time, under both policies: the same frames as the shared `LineFramer`.
    #[test]
    fn frames_as_the_line_framer_does() {
        const ALPHABET: &[u8] = b"a\r\n";
        for normalise in [false, true] {
            let policy = if normalise {
                BareNewline::Normalise
            } else {
                BareNewline::Reject
            };
            for len in 0..=7u32 {
                for mut n in 0..ALPHABET.len().pow(len) {
                    let mut s = Vec::new();
                    for _ in 0..len {
                        s.push(ALPHABET[n % ALPHABET.len()]);
                        n /= ALPHABET.len();
                    }
                    for piece in [1, s.len().max(1)] {
                        let (mut framer, mut lines) = (LineFramer::new(4), Lines::default());
                        framer = framer.with_bare_newline(policy);
                        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
                        let (mut want, mut got) = (Vec::new(), Vec::new());
                        for chunk in s.chunks(piece) {
                            a.extend_from_slice(chunk);
                            b.extend_from_slice(chunk);
                            while let Some(f) = framer.next_frame(&mut a) {
                                want.push(f);
                            }
                            while let Some(l) = lines.next(&mut b, 4, normalise) {
                                got.push(match l {
                                    Line::Complete { content, total } => {
                                        let line = b.split_to(content).freeze();
                                        b.advance(total - content);
                                        if has_bare_cr(&line) {
                                            Frame::BareNewline { length: total }
                                        } else {
                                            Frame::Line(line)
                                        }
                                    }
                                    Line::TooLong => Frame::TooLong { length: 0 },
                                    Line::BareNewline => Frame::BareNewline { length: 0 },
                                });
                            }
                        }
                        let strip = |f: Frame| match f {
                            Frame::TooLong { .. } => Frame::TooLong { length: 0 },
                            Frame::BareNewline { .. } => Frame::BareNewline { length: 0 },
                            f => f,
                        };
                        let want: Vec<_> = want.into_iter().map(strip).collect();
                        let got: Vec<_> = got.into_iter().map(strip).collect();
                        assert_eq!(got, want, "{s:?} {normalise} {piece}");
                        assert_eq!(a, b, "{s:?}");
                    }
                }
            }
        }
    }
}
