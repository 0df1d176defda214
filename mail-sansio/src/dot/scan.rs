//! The state machine under [`DotUnstuffer`]: reads a pass of body off the buffer, line by
//! line where it must and block by block where it can.

use std::sync::LazyLock;

use memchr::memchr2;
use memchr::memmem::Finder;

use super::simd::{BARE, BLOCK, plain_run, window_events};
use super::sink::{Cursor, FLUSH, Sink};
use super::unstuffer::{DotUnstuffer, State};
use super::{BareNewline, CR, DOT, LF};

/// Blocks read in one pass; then one line is read by searching for its end, which also
/// moves on where no whole block is left.
const PASS_BLOCKS: usize = 64;

/// The `\n.` searcher for the paths that look only at line starts, built once: building a
/// searcher per search cost more than the search on short runs.
static LF_DOT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n."));

impl DotUnstuffer {
    /// Reads body off the front of `buf` until a chunk ends, handing stuffed dots to `sink`.
    pub(super) fn scan<S: Sink>(&mut self, buf: &mut [u8], sink: &mut S) -> Step {
        let mut cur = Cursor::default();
        let mut p = 0;
        // Whether the next line is read in blocks rather than by searching for its end: blocks
        // are cheaper on lines of any length (see `plain_run`), but after a pass of them one
        // line is searched, so that reading moves on where no whole block is left.
        let mut by_blocks = true;
        loop {
            match self.state {
                State::Done => return self.finish(buf, sink, &cur, 0, 0),
                State::LineStart { strict } => {
                    let rest = buf.get(p..).unwrap_or_default();
                    match rest {
                        [] | [DOT] | [DOT, CR] => return self.finish(buf, sink, &cur, p, 0),
                        [DOT, CR, LF, ..] if strict => {
                            if p == 0 {
                                return Step::End;
                            }
                            // Hand out the body's tail first; the terminator is read next call.
                            return self.finish(buf, sink, &cur, p, 0);
                        }
                        [DOT, ..] if strict || !rest.starts_with(b".\r\n") => {
                            // A stuffed dot: take it out and carry on with the line.
                            self.state = State::Text;
                            if let Some(step) = self.dot(buf, sink, &mut cur, p) {
                                return step;
                            }
                            p += 1;
                        }
                        _ => self.state = State::Text,
                    }
                }
                State::Text if self.policy == BareNewline::Keep || self.rejected_at.is_some() => {
                    // Bare CR and LF are data (or, once rejected, the rest is only read to its
                    // end): only a CRLF followed by a dot needs a look.
                    let rest = buf.get(p..).unwrap_or_default();
                    // A window at a time, so that `Append` copies what it read from the cache.
                    let window = rest.get(..FLUSH + 1).unwrap_or(rest);
                    match LF_DOT.find(window) {
                        Some(i) => {
                            let after_crlf = (p + i)
                                .checked_sub(1)
                                .is_some_and(|cr| buf.get(cr) == Some(&CR));
                            p += i + 1;
                            if after_crlf {
                                self.state = State::LineStart { strict: true };
                            }
                        }
                        None if window.len() < rest.len() => {
                            // No line start in the window holds a dot (the window's last octet
                            // is looked at again, in case it is an LF).
                            p += FLUSH;
                            if p >= cur.r + FLUSH && self.rejected_at.is_none() {
                                sink.flush(buf, &mut cur, p);
                            }
                        }
                        None if rest.ends_with(b"\r\n") => {
                            p = buf.len();
                            self.state = State::LineStart { strict: true };
                        }
                        None if rest.ends_with(b"\r") => {
                            return self.finish(buf, sink, &cur, buf.len() - 1, 0);
                        }
                        None => return self.finish(buf, sink, &cur, buf.len(), 0),
                    }
                }
                State::Text => {
                    if by_blocks
                        && buf.get(p) != Some(&LF)
                        && self.consumed + p as u64 >= self.exact_until
                    {
                        by_blocks = false;
                        match self.blocks(buf, sink, &mut cur, p) {
                            Blocks::Stop(step) => return step,
                            Blocks::Resume { at, line_start } => {
                                p = at;
                                if line_start {
                                    self.state = State::LineStart { strict: true };
                                    continue;
                                }
                            }
                            Blocks::Bare { at, line_start } => {
                                p = at;
                                self.exact_until = self.consumed + (at + BLOCK) as u64;
                                if line_start {
                                    self.state = State::LineStart { strict: true };
                                    continue;
                                }
                            }
                        }
                    }
                    // One line ending at a time, for what blocks cannot take.
                    let rest = buf.get(p..).unwrap_or_default();
                    let Some(i) = memchr2(CR, LF, rest) else {
                        return self.finish(buf, sink, &cur, buf.len(), 0);
                    };
                    let at = p + i;
                    by_blocks = true;
                    match rest.get(i..).unwrap_or_default() {
                        [CR] => return self.finish(buf, sink, &cur, at, 0),
                        [CR, LF, ..] => {
                            p = at + 2;
                            self.state = State::LineStart { strict: true };
                            if p >= cur.r + FLUSH && self.rejected_at.is_none() {
                                sink.flush(buf, &mut cur, p);
                            }
                        }
                        _ => match self.policy {
                            BareNewline::Normalise => {
                                self.owe_crlf = true;
                                self.state = State::LineStart { strict: false };
                                return self.finish(buf, sink, &cur, at, 1);
                            }
                            BareNewline::Reject | BareNewline::Keep => {
                                if self.policy == BareNewline::Reject && self.rejected_at.is_none()
                                {
                                    // Hand out what came before, then withhold the rest.
                                    if at > 0 {
                                        return self.finish(buf, sink, &cur, at, 0);
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

    /// Reads whole blocks from `p`, which is inside a line and not on an LF, checking each
    /// for CR/LF pairing and stuffed dots at once.
    ///
    /// On ordinary mail almost every block is plain, so the cost is one vectorised pass; a
    /// block with dots in it is looked at position by position, and the dots go to `sink`
    /// without leaving the block path. Only a bare CR or LF (or the end of the body) leaves.
    fn blocks<S: Sink>(
        &mut self,
        buf: &mut [u8],
        sink: &mut S,
        cur: &mut Cursor,
        mut p: usize,
    ) -> Blocks {
        // Past the last dot taken out here: reading goes on after it.
        let mut after_dot = 0;
        let pass_end = p + PASS_BLOCKS * BLOCK;
        while p < pass_end {
            // Plain blocks first, many in one call, until `sink` wants to copy them out.
            let (at, found) = plain_run(buf, p, pass_end.min(p + S::RUN));
            p = at;
            if p >= cur.r + FLUSH {
                sink.flush(buf, cur, p);
            }
            let (Some(window), true) = (buf.get(p..p + BLOCK + 2), found != 0) else {
                if buf.len() < p + BLOCK + 2 {
                    break;
                }
                continue;
            };
            if found & BARE == 0 {
                // Only line starts with dots: the searcher finds them (their CRLFs were
                // checked), which costs less than looking at every position.
                let mut from = p + 1;
                while let Some(i) = buf.get(from..p + BLOCK + 2).and_then(|w| LF_DOT.find(w)) {
                    let d = from + i + 1;
                    if let Some(stop) = self.block_dot(buf, sink, cur, d) {
                        return Blocks::Stop(stop);
                    }
                    after_dot = d + 1;
                    from = d + 1;
                }
                p += BLOCK;
                continue;
            }
            let events = window_events(window);
            for (word_at, word) in events.chunks_exact(8).enumerate() {
                let mut word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                while word != 0 {
                    let byte = word.trailing_zeros() / 8;
                    let flags = (word >> (byte * 8)) as u8;
                    word &= !(0xff << (byte * 8));
                    let k = p + word_at * 8 + byte as usize;
                    if flags & BARE != 0 {
                        // The pair at `k` is a bare CR or LF. An LF at `k` is a CRLF's (its
                        // pair was checked), so the bare one is at `k + 1`, a line start.
                        let line_start = buf.get(k) == Some(&LF);
                        let at = if line_start { k + 1 } else { k.max(after_dot) };
                        return Blocks::Bare { at, line_start };
                    }
                    // A line start after a CRLF (its pair was checked), holding a dot.
                    let d = k + 2;
                    if let Some(stop) = self.block_dot(buf, sink, cur, d) {
                        return Blocks::Stop(stop);
                    }
                    after_dot = d + 1;
                }
            }
            p += BLOCK;
        }
        if after_dot > p {
            // A dot at `p` or `p + 1` was taken out: go on after it.
            Blocks::Resume {
                at: after_dot,
                line_start: false,
            }
        } else if buf.get(p) == Some(&LF) {
            // The last block ended between CR and LF (its pair was checked).
            Blocks::Resume {
                at: p + 1,
                line_start: true,
            }
        } else {
            Blocks::Resume {
                at: p,
                line_start: false,
            }
        }
    }

    /// A dot at `d` on a line start that [`blocks`](Self::blocks) found: the terminator (or
    /// maybe one, when the input ends) stops the pass there; a stuffed dot is taken out.
    fn block_dot<S: Sink>(
        &mut self,
        buf: &mut [u8],
        sink: &mut S,
        cur: &mut Cursor,
        d: usize,
    ) -> Option<Step> {
        match buf.get(d + 1..).unwrap_or_default() {
            [] | [CR] | [CR, LF, ..] => {
                self.state = State::LineStart { strict: true };
                Some(self.finish(buf, sink, cur, d, 0))
            }
            _ => {
                self.state = State::Text;
                self.dot(buf, sink, cur, d)
            }
        }
    }

    /// Takes out the stuffed dot at `d`, or ends the pass there when `sink` says so.
    fn dot<S: Sink>(
        &mut self,
        buf: &mut [u8],
        sink: &mut S,
        cur: &mut Cursor,
        d: usize,
    ) -> Option<Step> {
        if self.rejected_at.is_some() {
            // Nothing is handed out any more: the dot need not be taken out.
            return None;
        }
        let (len, drop) = sink.dot(buf, cur, d, self.since_dot)?;
        self.since_dot = 1;
        Some(Step::Emit { len, drop })
    }

    /// Ends the pass at `end`, then drops `skip` more octets.
    fn finish<S: Sink>(
        &mut self,
        buf: &mut [u8],
        sink: &mut S,
        cur: &Cursor,
        end: usize,
        skip: usize,
    ) -> Step {
        self.since_dot = match cur.last_dot {
            Some(dot) => (end + skip).saturating_sub(dot),
            None => self.since_dot.saturating_add(end + skip),
        };
        if self.rejected_at.is_some() {
            return Step::Emit {
                len: 0,
                drop: end + skip,
            };
        }
        let (len, drop) = sink.finish(buf, cur, end);
        Step::Emit {
            len,
            drop: drop + skip,
        }
    }
}

/// How [`DotUnstuffer::blocks`] left off.
enum Blocks {
    /// The pass ends.
    Stop(Step),
    /// No whole block is left: go on at `at`, inside a line or at a line start whose dot,
    /// if any, was already taken out.
    Resume { at: usize, line_start: bool },
    /// A bare CR or LF at or after `at`: read from there line by line.
    Bare { at: usize, line_start: bool },
}

/// What [`DotUnstuffer::scan`] found.
pub(super) enum Step {
    /// `len` octets of body, then `drop` octets (stuffed dots, a bare newline, text moved
    /// back over them) to discard.
    Emit { len: usize, drop: usize },
    /// The `.CRLF` terminator is at the front of the buffer.
    End,
}
