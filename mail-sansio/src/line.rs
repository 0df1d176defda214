//! CRLF line framing with a length limit.
//!
//! Every mail protocol is line-based until a body starts. [`LineFramer`] takes one line at a
//! time off the front of the session's input buffer, so the same buffer can be handed to the
//! body reader ([`crate::dot::DotUnstuffer`]) or checked for STARTTLS injection between lines.
//!
//! The framer remembers how far it has searched, so feeding a line one byte at a time costs
//! the same as feeding it whole, and an over-long line is dropped as it arrives instead of
//! being buffered: memory stays within the limit whatever the peer sends.

use bytes::{Buf, Bytes, BytesMut};

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// What to do with a CR or LF that is not part of a CRLF pair.
///
/// RFC 5321 §2.3.8 forbids bare CR and LF; accepting them is what made SMTP smuggling
/// possible, so [`BareNewline::Reject`] is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BareNewline {
    /// A bare CR or LF is a protocol error: the line (or body) containing it is rejected.
    #[default]
    Reject,
    /// A bare LF (or, in bodies, a bare CR) counts as a line ending and becomes CRLF. In line
    /// framing a bare CR is still rejected. A body still ends only on `CRLF.CRLF`.
    Normalise,
    /// Bare CR and LF are ordinary data; only CRLF ends a line.
    Keep,
}

/// One unit taken off the input by [`LineFramer::next_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A complete line, without its line ending.
    Line(Bytes),
    /// A line longer than the limit was skipped up to and including its line ending.
    ///
    /// Reported once, when the line ends, so a server answers it in command order
    /// (RFC 5321 §4.5.3.1.10: `500 Line too long`).
    TooLong {
        /// The line's length in octets, line ending included.
        length: usize,
    },
    /// Under [`BareNewline::Reject`] (or a bare CR under [`BareNewline::Normalise`]): the line
    /// contained a bare CR or ended in a bare LF. It was dropped.
    BareNewline {
        /// The line's length in octets, line ending included.
        length: usize,
    },
}

/// One unit found at the front of the input by [`LineFramer::next_in_place`]: a line is
/// left where it lies, for a caller that parses it in the buffer and then drops it.
///
/// Exhaustive: a line, or one of the two ways a line is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InPlace {
    /// A line: its content is the first `content` octets of the buffer and its line ending
    /// runs to `total`. Still in the buffer: the caller drops it with `advance(total)`. A bare
    /// CR inside the content is not looked for: that is the caller's check (see
    /// [`LineFramer::next_in_place`]).
    Line {
        /// The content's length, line ending excluded.
        content: usize,
        /// The line's length, line ending included.
        total: usize,
    },
    /// As [`Frame::TooLong`]: dropped.
    TooLong {
        /// The line's length in octets, line ending included.
        length: usize,
    },
    /// A line ending in a bare LF under [`BareNewline::Reject`]: dropped.
    BareNewline {
        /// The line's length in octets, line ending included.
        length: usize,
    },
}

/// Splits a byte stream into CRLF-terminated lines of bounded length.
///
/// The caller owns the input buffer; see the [module docs](self).
///
/// ```
/// use bytes::BytesMut;
/// use mail_sansio::line::{Frame, LineFramer};
///
/// let mut framer = LineFramer::new(512);
/// let mut input = BytesMut::from(&b"EHLO client.example\r\nQUI"[..]);
/// assert_eq!(framer.next_frame(&mut input), Some(Frame::Line("EHLO client.example".into())));
/// assert_eq!(framer.next_frame(&mut input), None); // "QUI" waits for its CRLF
/// input.extend_from_slice(b"T\r\n");
/// assert_eq!(framer.next_frame(&mut input), Some(Frame::Line("QUIT".into())));
/// ```
#[derive(Debug, Clone)]
pub struct LineFramer {
    max_line: usize,
    bare_newline: BareNewline,
    /// Octets at the front of the buffer already known to hold no line ending.
    scanned: usize,
    /// While an over-long line is being skipped: the octets dropped so far.
    skipped: Option<usize>,
    /// While skipping: whether the last dropped octet was a CR (for a CRLF split across reads).
    skipped_cr: bool,
}

impl LineFramer {
    /// A framer for lines of at most `max_line` octets, line ending included, that rejects
    /// bare CR and LF.
    pub fn new(max_line: usize) -> Self {
        Self {
            max_line,
            bare_newline: BareNewline::Reject,
            scanned: 0,
            skipped: None,
            skipped_cr: false,
        }
    }

    /// Sets the policy for bare CR and LF.
    #[must_use]
    pub fn with_bare_newline(mut self, policy: BareNewline) -> Self {
        self.bare_newline = policy;
        self
    }

    /// The line limit in octets, line ending included.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Changes the line limit, for example after authentication or for an AUTH line.
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// Forgets what was searched; call after taking bytes out of the buffer by other means.
    pub fn reset(&mut self) {
        self.scanned = 0;
        self.skipped = None;
        self.skipped_cr = false;
    }

    /// Whether an over-long line is being skipped (its end has not arrived yet).
    pub fn is_skipping(&self) -> bool {
        self.skipped.is_some()
    }

    /// Records that the first `len` octets of the buffer hold no LF, for a caller that
    /// appended octets it had already looked at (a one-octet read that is not a LF), so that
    /// the next search starts after them.
    #[inline(always)]
    pub fn mark_searched(&mut self, len: usize) {
        self.scanned = len;
    }

    /// Takes the next frame off the front of `buf`, or returns `None` until more input arrives.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        match self.next_in_place(buf)? {
            InPlace::Line { content, total } => {
                let has_bare_cr = buf
                    .get(..content)
                    .is_some_and(|content| memchr::memchr(CR, content).is_some());
                if has_bare_cr && self.bare_newline != BareNewline::Keep {
                    buf.advance(total);
                    return Some(Frame::BareNewline { length: total });
                }
                let line = buf.split_to(content).freeze();
                buf.advance(total - content);
                Some(Frame::Line(line))
            }
            InPlace::TooLong { length } => Some(Frame::TooLong { length }),
            InPlace::BareNewline { length } => Some(Frame::BareNewline { length }),
        }
    }

    /// Finds the next line at the front of `buf` and leaves it there, or returns `None` until
    /// more input arrives. Over-long lines and (under [`BareNewline::Reject`]) lines ending in
    /// a bare LF are dropped and reported as [`next_frame`](Self::next_frame) reports them.
    ///
    /// Unlike `next_frame`, a bare CR inside a line is not looked for: a caller whose grammar
    /// refuses CR anyway checks only a line that failed to parse, and so reads each line once.
    ///
    /// ```
    /// use bytes::{Buf, BytesMut};
    /// use mail_sansio::line::{InPlace, LineFramer};
    ///
    /// let mut framer = LineFramer::new(512);
    /// let mut input = BytesMut::from(&b"NOOP\r\nQUIT\r\n"[..]);
    /// let Some(InPlace::Line { content, total }) = framer.next_in_place(&mut input) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(&input[..content], b"NOOP");
    /// input.advance(total);
    /// assert_eq!(&input[..], b"QUIT\r\n");
    /// ```
    #[inline]
    pub fn next_in_place(&mut self, buf: &mut BytesMut) -> Option<InPlace> {
        if let Some(dropped) = self.skipped {
            return self.skip(buf, dropped);
        }
        loop {
            let from = self.scanned.min(buf.len());
            let Some(lf) = buf
                .get(from..)
                .and_then(|rest| memchr::memchr(LF, rest))
                .map(|i| from + i)
            else {
                self.wait_for_more(buf);
                return None;
            };
            let has_cr = lf > 0 && buf.get(lf - 1) == Some(&CR);
            if !has_cr && self.bare_newline == BareNewline::Keep {
                // A bare LF is data here: keep searching after it.
                self.scanned = lf + 1;
                continue;
            }
            let total = lf + 1;
            self.scanned = 0;
            if total > self.max_line {
                buf.advance(total);
                return Some(InPlace::TooLong { length: total });
            }
            if !has_cr && self.bare_newline == BareNewline::Reject {
                buf.advance(total);
                return Some(InPlace::BareNewline { length: total });
            }
            let content = if has_cr { lf - 1 } else { lf };
            return Some(InPlace::Line { content, total });
        }
    }

    /// No line ending in `buf` yet: wait, or start skipping if the line can no longer fit.
    #[cold]
    fn wait_for_more(&mut self, buf: &mut BytesMut) {
        // The line still needs at least its LF, so it is too long once the buffer holds
        // `max_line` octets without one.
        if buf.len() >= self.max_line && !buf.is_empty() {
            self.skipped_cr = buf.last() == Some(&CR);
            self.skipped = Some(buf.len());
            buf.clear();
            self.scanned = 0;
        } else {
            self.scanned = buf.len();
        }
    }

    /// Drops the rest of an over-long line, reporting it once its line ending arrives.
    #[cold]
    fn skip(&mut self, buf: &mut BytesMut, dropped: usize) -> Option<InPlace> {
        let mut from = 0;
        while let Some(lf) = buf.get(from..).and_then(|rest| memchr::memchr(LF, rest)) {
            let lf = from + lf;
            let has_cr = match lf.checked_sub(1) {
                Some(before) => buf.get(before) == Some(&CR),
                None => self.skipped_cr,
            };
            if has_cr || self.bare_newline != BareNewline::Keep {
                let length = dropped.saturating_add(lf + 1);
                buf.advance(lf + 1);
                self.reset();
                return Some(InPlace::TooLong { length });
            }
            from = lf + 1;
        }
        self.skipped_cr = buf.last().map_or(self.skipped_cr, |&last| last == CR);
        self.skipped = Some(dropped.saturating_add(buf.len()));
        buf.clear();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framer: &mut LineFramer, input: &[u8]) -> Vec<Frame> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for &byte in input {
            buf.extend_from_slice(&[byte]);
            while let Some(frame) = framer.next_frame(&mut buf) {
                out.push(frame);
            }
        }
        out
    }

    fn line(text: &str) -> Frame {
        Frame::Line(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn splits_crlf_lines() {
        let mut framer = LineFramer::new(512);
        let got = frames(&mut framer, b"HELO a\r\n\r\nNOOP\r\n");
        assert_eq!(got, vec![line("HELO a"), line(""), line("NOOP")]);
    }

    #[test]
    fn limit_counts_the_line_ending() {
        let mut framer = LineFramer::new(6);
        let got = frames(&mut framer, b"NOOP\r\nNOOPX\r\nNOOP\r\n");
        assert_eq!(
            got,
            vec![line("NOOP"), Frame::TooLong { length: 7 }, line("NOOP")]
        );
    }

    #[test]
    fn over_long_line_is_dropped_as_it_arrives_and_reported_once() {
        let mut framer = LineFramer::new(512);
        let mut buf = BytesMut::new();
        for _ in 0..1000 {
            buf.extend_from_slice(&[b'a'; 100]);
            assert_eq!(framer.next_frame(&mut buf), None);
            assert!(buf.len() < 512);
        }
        buf.extend_from_slice(b"\r\nQUIT\r\n");
        assert_eq!(
            framer.next_frame(&mut buf),
            Some(Frame::TooLong { length: 100_002 })
        );
        assert_eq!(framer.next_frame(&mut buf), Some(line("QUIT")));
    }

    #[test]
    fn strict_rejects_bare_lf_and_bare_cr() {
        let mut framer = LineFramer::new(512);
        let got = frames(&mut framer, b"RSET\nNO\rOP\r\nQUIT\r\n");
        assert_eq!(
            got,
            vec![
                Frame::BareNewline { length: 5 },
                Frame::BareNewline { length: 7 },
                line("QUIT")
            ]
        );
    }

    #[test]
    fn normalise_accepts_bare_lf() {
        let mut framer = LineFramer::new(512).with_bare_newline(BareNewline::Normalise);
        let got = frames(&mut framer, b"RSET\nQUIT\r\nA\rB\r\n");
        assert_eq!(
            got,
            vec![line("RSET"), line("QUIT"), Frame::BareNewline { length: 5 }]
        );
    }

    #[test]
    fn keep_leaves_bare_newlines_in_the_line() {
        let mut framer = LineFramer::new(512).with_bare_newline(BareNewline::Keep);
        let got = frames(&mut framer, b"A\nB\rC\r\n");
        assert_eq!(got, vec![line("A\nB\rC")]);
    }

    #[test]
    fn keep_skips_to_a_crlf_split_across_reads() {
        let mut framer = LineFramer::new(4).with_bare_newline(BareNewline::Keep);
        let got = frames(&mut framer, b"ABCDE\nF\r\nOK\r\n");
        assert_eq!(got, vec![Frame::TooLong { length: 9 }, line("OK")]);
    }

    /// In place, a line stays in the buffer and a bare CR inside it is left for the caller,
    /// while a bare LF ending and an over-long line are dropped as `next_frame` drops them.
    #[test]
    fn in_place_leaves_the_line_and_its_bare_cr() {
        let mut framer = LineFramer::new(8);
        let mut input = BytesMut::from(&b"A\rB\r\nC\nTOO LONG!\r\n"[..]);
        let first = framer.next_in_place(&mut input);
        assert_eq!(
            first,
            Some(InPlace::Line {
                content: 3,
                total: 5
            })
        );
        assert_eq!(&input[..3], b"A\rB");
        input.advance(5);
        let bare = framer.next_in_place(&mut input);
        assert_eq!(bare, Some(InPlace::BareNewline { length: 2 }));
        let long = framer.next_in_place(&mut input);
        assert_eq!(long, Some(InPlace::TooLong { length: 11 }));
        assert_eq!(framer.next_in_place(&mut input), None);
        assert!(input.is_empty());
    }
}
