//! [`DotUnstuffer`] and what it hands out: the public side of reading a body.

use bytes::{Buf, Bytes, BytesMut};

use super::BareNewline;
use super::scan::Step;
use super::sink::{Append, InPlace};

/// One piece of a body taken off the input by [`DotUnstuffer::next_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyFrame {
    /// Body bytes, unstuffed, in order. The body's final CRLF is part of the last chunk.
    Chunk(Bytes),
    /// The terminating `.CRLF` was read and consumed; what follows stays in the buffer.
    End,
    /// The body ended, but under [`BareNewline::Reject`] it held a bare CR or LF at `offset`
    /// (counted in received octets from the body's start). Chunks after it were withheld.
    Rejected {
        /// Where the first bare CR or LF was.
        offset: u64,
    },
}

/// How a body read by [`DotUnstuffer::unstuff_into`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyEnd {
    /// The terminating `.CRLF` was read and consumed; what follows stays in the buffer.
    End,
    /// The body ended, but under [`BareNewline::Reject`] it held a bare CR or LF at `offset`
    /// (counted in received octets from the body's start). Nothing after it was appended.
    Rejected {
        /// Where the first bare CR or LF was.
        offset: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// At the start of a line. `strict` is false after a normalised bare newline: such a
    /// line start unstuffs dots but cannot end the body.
    LineStart { strict: bool },
    /// Inside a line.
    Text,
    /// The terminator was read.
    Done,
}

/// Reads a dot-stuffed body off the front of a buffer, chunk by chunk.
///
/// Starts at a line start, as a body does after `354` or a multi-line `+OK`. Feeding input
/// in any split gives the same bytes in the same order, at a cost linear in the input.
///
/// Two ways to read: [`next_frame`](Self::next_frame) hands out the body as zero-copy chunks
/// of the input buffer, and [`unstuff_into`](Self::unstuff_into) appends it to one buffer of
/// the caller's, for an application that stores the body whole. Both give the same bytes.
///
/// ```
/// use bytes::BytesMut;
/// use mail_sansio::dot::{BareNewline, BodyFrame, DotUnstuffer};
///
/// let mut body = Vec::new();
/// let mut input = BytesMut::from(&b"..dot\r\nsmuggled\n.\nstill body\r\n.\r\nQUIT\r\n"[..]);
/// let mut unstuffer = DotUnstuffer::new(BareNewline::Keep);
/// while let Some(frame) = unstuffer.next_frame(&mut input) {
///     match frame {
///         BodyFrame::Chunk(bytes) => body.extend_from_slice(&bytes),
///         BodyFrame::End => break,
///         _ => unreachable!(),
///     }
/// }
/// assert_eq!(body, b".dot\r\nsmuggled\n.\nstill body\r\n");
/// assert_eq!(&input[..], b"QUIT\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotUnstuffer {
    pub(super) policy: BareNewline,
    pub(super) state: State,
    /// Received octets consumed so far, for error offsets.
    pub(super) consumed: u64,
    /// The first bare CR or LF under [`BareNewline::Reject`]; output is withheld after it.
    pub(super) rejected_at: Option<u64>,
    /// A normalised bare newline still owes a CRLF to the output.
    pub(super) owe_crlf: bool,
    /// Received octets from the last stuffed dot taken out to the front of the buffer
    /// (`usize::MAX` before the first): decides whether the next dot ends a chunk or is
    /// compacted away (see [`COMPACT_SPAN`](super::sink::COMPACT_SPAN)).
    pub(super) since_dot: usize,
    /// Until this received octet, lines are read one by one rather than in blocks: a block
    /// found a bare newline there, and retrying blocks at every such newline would cost a
    /// block per newline.
    pub(super) exact_until: u64,
}

impl DotUnstuffer {
    /// An unstuffer at the start of a body.
    pub fn new(policy: BareNewline) -> Self {
        Self {
            policy,
            state: State::LineStart { strict: true },
            consumed: 0,
            rejected_at: None,
            owe_crlf: false,
            since_dot: usize::MAX,
            exact_until: 0,
        }
    }

    /// Whether the terminator has been read.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done && !self.owe_crlf
    }

    /// Received octets consumed so far (stuffing and terminator included).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Takes the next piece of body off the front of `buf`, or returns `None` until more
    /// input arrives (and forever once the body has ended).
    ///
    /// Chunks are zero-copy: they share `buf`'s memory. Stuffed dots close together are taken
    /// out by moving the text between them within `buf`, so that a body with many of them
    /// (quoted replies, diffs) still comes out in few, large chunks.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<BodyFrame> {
        loop {
            if self.owe_crlf {
                self.owe_crlf = false;
                if self.rejected_at.is_none() {
                    return Some(BodyFrame::Chunk(Bytes::from_static(b"\r\n")));
                }
            }
            match self.scan(buf, &mut InPlace) {
                Step::Emit { len, drop } => {
                    self.consumed += (len + drop) as u64;
                    let chunk = (len > 0).then(|| buf.split_to(len));
                    buf.advance(drop);
                    if let Some(chunk) = chunk.filter(|_| self.rejected_at.is_none()) {
                        return Some(BodyFrame::Chunk(chunk.freeze()));
                    }
                    if len + drop == 0 && !self.owe_crlf {
                        return None;
                    }
                }
                Step::End => return Some(self.end(buf).into()),
            }
        }
    }

    /// Appends all the body that `buf` holds to `out`, taking it off `buf`; returns how the
    /// body ended once the terminator is read, or `None` when more input is needed.
    ///
    /// For an application that keeps the body in one buffer: runs of text are copied once,
    /// straight from the input, with the stuffed dots left out, and what follows the body
    /// stays in `buf`. Gives the same bytes as [`next_frame`](Self::next_frame).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mail_sansio::dot::{BareNewline, BodyEnd, DotUnstuffer};
    ///
    /// let mut unstuffer = DotUnstuffer::new(BareNewline::Reject);
    /// let mut body = BytesMut::new();
    /// let mut input = BytesMut::from(&b"..a\r\n..b\r\n"[..]);
    /// assert_eq!(unstuffer.unstuff_into(&mut input, &mut body), None);
    /// input.extend_from_slice(b".\r\nQUIT\r\n");
    /// assert_eq!(unstuffer.unstuff_into(&mut input, &mut body), Some(BodyEnd::End));
    /// assert_eq!((&body[..], &input[..]), (&b".a\r\n.b\r\n"[..], &b"QUIT\r\n"[..]));
    /// ```
    pub fn unstuff_into(&mut self, buf: &mut BytesMut, out: &mut BytesMut) -> Option<BodyEnd> {
        loop {
            if self.owe_crlf {
                self.owe_crlf = false;
                if self.rejected_at.is_none() {
                    out.extend_from_slice(b"\r\n");
                }
            }
            match self.scan(buf, &mut Append(out)) {
                Step::Emit { len, drop } => {
                    // `Append` has already copied the body out: all of it is dropped here.
                    self.consumed += (len + drop) as u64;
                    buf.advance(len + drop);
                    if len + drop == 0 && !self.owe_crlf {
                        return None;
                    }
                }
                Step::End => return Some(self.end(buf)),
            }
        }
    }

    /// Consumes the terminator at the front of `buf`.
    fn end(&mut self, buf: &mut BytesMut) -> BodyEnd {
        buf.advance(3);
        self.consumed += 3;
        self.state = State::Done;
        match self.rejected_at {
            Some(offset) => BodyEnd::Rejected { offset },
            None => BodyEnd::End,
        }
    }
}

impl From<BodyEnd> for BodyFrame {
    fn from(end: BodyEnd) -> Self {
        match end {
            BodyEnd::End => Self::End,
            BodyEnd::Rejected { offset } => Self::Rejected { offset },
        }
    }
}
