//! The dot-unstuffer as it was before it took stuffed dots without ending a chunk, kept as
//! the reference that the faster paths must match byte for byte.

use bytes::{Buf, Bytes, BytesMut};
use mail_sansio::dot::{BareNewline, BodyFrame};
use memchr::memchr2;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const DOT: u8 = b'.';

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

/// The unstuffer as it was before blocks took stuffed dots: one chunk per dot.
#[derive(Debug, Clone)]
pub(crate) struct OldUnstuffer {
    policy: BareNewline,
    state: State,
    /// Received octets consumed so far, for error offsets.
    consumed: u64,
    /// The first bare CR or LF under [`BareNewline::Reject`]; output is withheld after it.
    rejected_at: Option<u64>,
    /// A normalised bare newline still owes a CRLF to the output.
    owe_crlf: bool,
}

impl OldUnstuffer {
    /// An unstuffer at the start of a body.
    pub(crate) fn new(policy: BareNewline) -> Self {
        Self {
            policy,
            state: State::LineStart { strict: true },
            consumed: 0,
            rejected_at: None,
            owe_crlf: false,
        }
    }

    /// Whether the terminator has been read.
    pub(crate) fn is_finished(&self) -> bool {
        self.state == State::Done && !self.owe_crlf
    }

    /// Received octets consumed so far (stuffing and terminator included).
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Takes the next piece of body off the front of `buf`, or returns `None` until more
    /// input arrives (and forever once the body has ended).
    pub(crate) fn next_frame(&mut self, buf: &mut BytesMut) -> Option<BodyFrame> {
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
                            _ => {
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

/// What [`OldUnstuffer::scan`] found.
enum Step {
    /// `len` octets of body, then `drop` octets (a stuffed dot or a bare newline) to discard.
    Emit { len: usize, drop: usize },
    /// `len` octets of body, then the `.CRLF` terminator.
    End { len: usize },
}
