//! Dot-stuffing (RFC 5321 §4.5.2, RFC 1939 §3): bodies that end with `CRLF.CRLF`.
//!
//! [`DotStuffer`] prepares a body for sending; [`DotUnstuffer`] reads one back. Both stream:
//! neither ever holds a whole message.
//!
//! The unstuffer ends a body only on `CRLF.CRLF` (or `.CRLF` as the first line). None of the
//! lookalike endings used for SMTP smuggling (`LF.LF`, `LF.CRLF`, `CRLF.LF`, `CR.CR`, and
//! so on) ever ends it; whether their bare CR or LF is rejected, normalised or kept is the
//! [`BareNewline`] policy.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr2;

pub use crate::line::BareNewline;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const DOT: u8 = b'.';

/// Writes a body with every line start dot-stuffed and a single `.CRLF` terminator.
///
/// Bare CR and bare LF are written as CRLF (RFC 5321 §2.3.8), the first line is stuffed like
/// every other, and a body that does not end with a line ending gets one before the
/// terminator, so the peer always reads back exactly the lines that were meant.
///
/// ```
/// use mail_sansio::dot::DotStuffer;
///
/// let wire = DotStuffer::stuff(b".hidden\n.\r\nlast");
/// assert_eq!(&wire[..], b"..hidden\r\n..\r\nlast\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    pending_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a body.
    pub fn new() -> Self {
        Self {
            at_line_start: true,
            pending_cr: false,
        }
    }

    /// Stuffs a whole body and appends the terminator.
    pub fn stuff(body: &[u8]) -> BytesMut {
        let mut out = BytesMut::with_capacity(body.len() + body.len() / 64 + 5);
        let mut stuffer = Self::new();
        stuffer.encode(body, &mut out);
        stuffer.finish(&mut out);
        out
    }

    /// Stuffs the next piece of the body into `out`. Pieces may split anywhere.
    pub fn encode(&mut self, mut data: &[u8], out: &mut BytesMut) {
        if self.pending_cr && !data.is_empty() {
            // A CR ended the previous piece: CRLF or bare CR, both become one CRLF.
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            if let Some(rest) = data.strip_prefix(b"\n") {
                data = rest;
            }
        }
        while !data.is_empty() {
            if self.at_line_start {
                if data.first() == Some(&DOT) {
                    out.extend_from_slice(b".");
                }
                self.at_line_start = false;
            }
            // Inside a line now: copy whole blocks of ordinary text at once.
            let plain = skip_plain_blocks(data, 0);
            if let Some((text, rest)) = data.split_at_checked(plain).filter(|_| plain > 0) {
                out.extend_from_slice(text);
                self.at_line_start = text.last() == Some(&LF);
                data = rest;
                continue;
            }
            let Some(i) = memchr2(CR, LF, data) else {
                out.extend_from_slice(data);
                self.at_line_start = false;
                return;
            };
            let (text, rest) = data.split_at(i);
            out.extend_from_slice(text);
            match rest {
                [CR] => {
                    self.pending_cr = true;
                    self.at_line_start = false;
                    return;
                }
                [CR, LF, tail @ ..] | [CR | LF, tail @ ..] => {
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                    data = tail;
                }
                // memchr2 found a CR or LF at `i`, so nothing else is possible.
                _ => return,
            }
        }
    }

    /// Ends the body: a line ending if the last line lacks one, then `.CRLF`.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        *self = Self::new();
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
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
    policy: BareNewline,
    state: State,
    /// Received octets consumed so far, for error offsets.
    consumed: u64,
    /// The first bare CR or LF under [`BareNewline::Reject`]; output is withheld after it.
    rejected_at: Option<u64>,
    /// A normalised bare newline still owes a CRLF to the output.
    owe_crlf: bool,
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
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<BodyFrame> {
        loop {
            if self.owe_crlf {
                self.owe_crlf = false;
                if self.rejected_at.is_none() {
                    return Some(BodyFrame::Chunk(Bytes::from_static(b"\r\n")));
                }
            }
            let step = self.scan(buf);
            match step {
                Step::Emit { len, drop } => {
                    let chunk = buf.split_to(len);
                    buf.advance(drop);
                    self.consumed += (len + drop) as u64;
                    if self.rejected_at.is_none() && !chunk.is_empty() {
                        return Some(BodyFrame::Chunk(chunk.freeze()));
                    }
                    if len + drop == 0 && !self.owe_crlf {
                        return None;
                    }
                }
                Step::End { len } => {
                    if len > 0 {
                        // Hand out the body's tail first; the terminator is read next call.
                        let chunk = buf.split_to(len);
                        self.consumed += len as u64;
                        if self.rejected_at.is_none() {
                            return Some(BodyFrame::Chunk(chunk.freeze()));
                        }
                        continue;
                    }
                    buf.advance(3);
                    self.consumed += 3;
                    self.state = State::Done;
                    return Some(match self.rejected_at {
                        Some(offset) => BodyFrame::Rejected { offset },
                        None => BodyFrame::End,
                    });
                }
            }
        }
    }

    /// Finds how much of `buf` is plain body, and what comes after it.
    fn scan(&mut self, buf: &[u8]) -> Step {
        let mut p = 0;
        loop {
            match self.state {
                State::Done => return Step::Emit { len: 0, drop: 0 },
                State::LineStart { strict } => {
                    let rest = buf.get(p..).unwrap_or_default();
                    match rest {
                        [] | [DOT] | [DOT, CR] => return Step::Emit { len: p, drop: 0 },
                        [DOT, CR, LF, ..] if strict => return Step::End { len: p },
                        [DOT, ..] if strict || !rest.starts_with(b".\r\n") => {
                            // A stuffed dot: drop it and carry on with the line.
                            self.state = State::Text;
                            return Step::Emit { len: p, drop: 1 };
                        }
                        _ => self.state = State::Text,
                    }
                }
                State::Text if self.policy == BareNewline::Keep => {
                    // Bare CR and LF are data: only a CRLF followed by a dot needs a look.
                    let rest = buf.get(p..).unwrap_or_default();
                    match memchr::memmem::find(rest, b"\n.") {
                        Some(i) => {
                            let after_crlf = (p + i)
                                .checked_sub(1)
                                .is_some_and(|cr| buf.get(cr) == Some(&CR));
                            p += i + 1;
                            if after_crlf {
                                self.state = State::LineStart { strict: true };
                            }
                        }
                        None if rest.ends_with(b"\r\n") => {
                            p = buf.len();
                            self.state = State::LineStart { strict: true };
                        }
                        None if rest.ends_with(b"\r") => {
                            return Step::Emit {
                                len: buf.len() - 1,
                                drop: 0,
                            };
                        }
                        None => {
                            return Step::Emit {
                                len: buf.len(),
                                drop: 0,
                            };
                        }
                    }
                }
                State::Text => {
                    let skipped = skip_plain_blocks(buf, p);
                    if skipped > p {
                        p = skipped;
                        if buf.get(p - 1) == Some(&LF) {
                            // A block ended with CRLF: the next byte starts a line.
                            self.state = State::LineStart { strict: true };
                            continue;
                        }
                    }
                    let rest = buf.get(p..).unwrap_or_default();
                    let Some(i) = memchr2(CR, LF, rest) else {
                        return Step::Emit {
                            len: buf.len(),
                            drop: 0,
                        };
                    };
                    let at = p + i;
                    match rest.get(i..).unwrap_or_default() {
                        [CR] => return Step::Emit { len: at, drop: 0 },
                        [CR, LF, ..] => {
                            p = at + 2;
                            self.state = State::LineStart { strict: true };
                        }
                        _ => match self.policy {
                            BareNewline::Normalise => {
                                self.owe_crlf = true;
                                self.state = State::LineStart { strict: false };
                                return Step::Emit { len: at, drop: 1 };
                            }
                            BareNewline::Reject | BareNewline::Keep => {
                                if self.policy == BareNewline::Reject && self.rejected_at.is_none()
                                {
                                    // Hand out what came before, then withhold the rest.
                                    if at > 0 {
                                        return Step::Emit { len: at, drop: 0 };
                                    }
                                    self.rejected_at = Some(self.consumed);
                                }
                                p = at + 1;
                            }
                        },
                    }
                }
            }
        }
    }
}

/// The size of the blocks [`skip_plain_blocks`] checks at once.
const BLOCK: usize = 256;

/// Skips whole blocks of ordinary text from `p`, which is inside a line (not at its start).
///
/// A block is ordinary when every CR in it is followed by LF, every LF is preceded by CR, and
/// no LF is followed by a dot. The check is branch-free so the compiler vectorises it; on
/// ordinary mail it replaces one search per line ending with one pass per block. Returns
/// where the first block that needs a closer look begins. When a skipped block ends in CR,
/// the LF after it is skipped too and the search stops there, so the result never splits a
/// CRLF and a line start is always looked at by the caller.
fn skip_plain_blocks(buf: &[u8], mut p: usize) -> usize {
    // An LF here would lack its CR (the CR of a CRLF is consumed with its LF).
    if buf.get(p) == Some(&LF) {
        return p;
    }
    while let (Some(this), Some(next)) = (buf.get(p..p + BLOCK), buf.get(p + 1..p + BLOCK + 1)) {
        let mut odd = 0u8;
        for (&x, &y) in this.iter().zip(next) {
            let cr_without_lf = u8::from(x == CR) ^ u8::from(y == LF);
            let dot_line = u8::from(x == LF) & u8::from(y == DOT);
            odd |= cr_without_lf | dot_line;
        }
        if odd != 0 {
            break;
        }
        p += BLOCK;
        if buf.get(p - 1) == Some(&CR) {
            // Step over the LF and stop: the next byte starts a line, and whether it is a
            // dot was not part of this block's check.
            return p + 1;
        }
    }
    p
}

/// What [`DotUnstuffer::scan`] found.
enum Step {
    /// `len` octets of body, then `drop` octets (a stuffed dot or a bare newline) to discard.
    Emit { len: usize, drop: usize },
    /// `len` octets of body, then the `.CRLF` terminator.
    End { len: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unstuffs `input` fed in pieces of `piece` octets; returns the body, the end frame and
    /// what was left after it.
    fn unstuff(
        policy: BareNewline,
        input: &[u8],
        piece: usize,
    ) -> (Vec<u8>, Option<BodyFrame>, Vec<u8>) {
        let mut unstuffer = DotUnstuffer::new(policy);
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut end = None;
        for part in input.chunks(piece.max(1)) {
            buf.extend_from_slice(part);
            while let Some(frame) = unstuffer.next_frame(&mut buf) {
                match frame {
                    BodyFrame::Chunk(bytes) => body.extend_from_slice(&bytes),
                    other => end = Some(other),
                }
            }
        }
        (body, end, buf.to_vec())
    }

    #[test]
    fn empty_body_and_first_line_dot() {
        for piece in [1, 2, 100] {
            let (body, end, rest) = unstuff(BareNewline::Reject, b".\r\nNEXT", piece);
            assert_eq!(
                (body.as_slice(), end, rest.as_slice()),
                (&b""[..], Some(BodyFrame::End), &b"NEXT"[..])
            );
            let (body, end, _) = unstuff(BareNewline::Reject, b"..x\r\n.\r\n", piece);
            assert_eq!(
                (body.as_slice(), end),
                (&b".x\r\n"[..], Some(BodyFrame::End))
            );
        }
    }

    #[test]
    fn smuggling_endings_never_end_the_body() {
        let endings: [&[u8]; 11] = [
            b"\n.\n",
            b"\n.\r\n",
            b"\r\n.\n",
            b"\r.\r",
            b"\r.\n",
            b"\n.\r",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n\x00.\r\n",
            b"\r\n.\x00\r\n",
            b"\r\n. \r\n",
        ];
        for ending in endings {
            let mut input = b"Subject: x\r\n\r\nhi".to_vec();
            input.extend_from_slice(ending);
            input.extend_from_slice(b"MAIL FROM:<a@b>\r\n");
            for policy in [
                BareNewline::Reject,
                BareNewline::Normalise,
                BareNewline::Keep,
            ] {
                for piece in [1, 3, 1000] {
                    let (_, end, rest) = unstuff(policy, &input, piece);
                    assert_eq!(end, None, "{ending:?} ended the body under {policy:?}");
                    assert!(rest.is_empty() || rest.len() < 3, "{ending:?}: {rest:?}");
                }
            }
        }
    }

    #[test]
    fn reject_reads_to_the_real_end_and_reports_the_offset() {
        let input = b"ok\r\nbad\n.\nMAIL FROM:<a@b>\r\n.\r\nQUIT\r\n";
        for piece in [1, 2, 1000] {
            let (body, end, rest) = unstuff(BareNewline::Reject, input, piece);
            assert_eq!(body, b"ok\r\nbad");
            assert_eq!(end, Some(BodyFrame::Rejected { offset: 7 }));
            assert_eq!(rest, b"QUIT\r\n");
        }
    }

    #[test]
    fn normalise_turns_bare_newlines_into_crlf_but_keeps_the_strict_ending() {
        let input = b"a\nb\rc\n.\r\n..d\r\n.\r\n";
        for piece in [1, 2, 1000] {
            let (body, end, _) = unstuff(BareNewline::Normalise, input, piece);
            assert_eq!(body, b"a\r\nb\r\nc\r\n.\r\n.d\r\n");
            assert_eq!(end, Some(BodyFrame::End));
        }
    }

    #[test]
    fn bare_lf_then_dot_is_data_and_the_body_still_ends() {
        for piece in [1, 2, 1000] {
            let (body, end, _) = unstuff(BareNewline::Keep, b"a\n.\nb\r\n.\r\n", piece);
            assert_eq!(
                (body.as_slice(), end),
                (&b"a\n.\nb\r\n"[..], Some(BodyFrame::End))
            );
            let (body, end, _) = unstuff(BareNewline::Normalise, b"a\n.\nb\r\n.\r\n", piece);
            assert_eq!(
                (body.as_slice(), end),
                (&b"a\r\n\r\nb\r\n"[..], Some(BodyFrame::End))
            );
            let (_, end, _) = unstuff(BareNewline::Reject, b"a\n.\nb\r\n.\r\n", piece);
            assert_eq!(end, Some(BodyFrame::Rejected { offset: 1 }));
        }
    }

    /// A 256-octet block that ends in the CR of a CRLF, followed by a stuffed dot: the dot
    /// must be seen as a line start (a proptest found the block path keeping it).
    #[test]
    fn dot_after_a_block_ending_in_cr_is_unstuffed() {
        let mut input = vec![b'a'; BLOCK - 1];
        input.extend_from_slice(b"\r\n.x");
        input.extend_from_slice(&[b'b'; 300]);
        input.extend_from_slice(b"\r\n.\r\n");
        let mut expected = vec![b'a'; BLOCK - 1];
        expected.extend_from_slice(b"\r\nx");
        expected.extend_from_slice(&[b'b'; 300]);
        expected.extend_from_slice(b"\r\n");
        for policy in [
            BareNewline::Reject,
            BareNewline::Normalise,
            BareNewline::Keep,
        ] {
            for piece in [1, 7, 10_000] {
                let (body, end, _) = unstuff(policy, &input, piece);
                assert_eq!(
                    (&body, end),
                    (&expected, Some(BodyFrame::End)),
                    "{policy:?} {piece}"
                );
            }
        }
        let mut text = vec![b'a'; BLOCK - 1];
        text.extend_from_slice(b"\r\n.x\r\n");
        let mut wire = vec![b'a'; BLOCK - 1];
        wire.extend_from_slice(b"\r\n..x\r\n.\r\n");
        assert_eq!(&DotStuffer::stuff(&text)[..], &wire[..]);
    }

    #[test]
    fn stuffer_normalises_and_terminates_once() {
        assert_eq!(&DotStuffer::stuff(b"")[..], b".\r\n");
        assert_eq!(&DotStuffer::stuff(b"a\r\n")[..], b"a\r\n.\r\n");
        assert_eq!(&DotStuffer::stuff(b"a")[..], b"a\r\n.\r\n");
        assert_eq!(
            &DotStuffer::stuff(b"x\n.\ny\r.\rz\r\n\r\n.")[..],
            b"x\r\n..\r\ny\r\n..\r\nz\r\n\r\n..\r\n.\r\n"
        );
    }

    #[test]
    fn stuffer_handles_a_crlf_split_between_pieces() {
        let mut out = BytesMut::new();
        let mut stuffer = DotStuffer::new();
        stuffer.encode(b"a\r", &mut out);
        stuffer.encode(b"\n.b\r", &mut out);
        stuffer.finish(&mut out);
        assert_eq!(&out[..], b"a\r\n..b\r\n.\r\n");
    }
}
