//! Dot-stuffing (RFC 5321 §4.5.2, RFC 1939 §3): bodies that end with `CRLF.CRLF`.
//!
//! [`DotStuffer`] prepares a body for sending; [`DotUnstuffer`] reads one back. Both stream:
//! neither ever holds a whole message.
//!
//! The unstuffer ends a body only on `CRLF.CRLF` (or `.CRLF` as the first line). None of the
//! lookalike endings used for SMTP smuggling (`LF.LF`, `LF.CRLF`, `CRLF.LF`, `CR.CR`, and
//! so on) ever ends it; whether their bare CR or LF is rejected, normalised or kept is the
//! [`BareNewline`] policy.

use std::sync::LazyLock;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr2;
use memchr::memmem::Finder;

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
    policy: BareNewline,
    state: State,
    /// Received octets consumed so far, for error offsets.
    consumed: u64,
    /// The first bare CR or LF under [`BareNewline::Reject`]; output is withheld after it.
    rejected_at: Option<u64>,
    /// A normalised bare newline still owes a CRLF to the output.
    owe_crlf: bool,
    /// Received octets from the last stuffed dot taken out to the front of the buffer
    /// (`usize::MAX` before the first): decides whether the next dot ends a chunk or is
    /// compacted away (see [`COMPACT_SPAN`]).
    since_dot: usize,
    /// Until this received octet, lines are read one by one rather than in blocks: a block
    /// found a bare newline there, and retrying blocks at every such newline would cost a
    /// block per newline.
    exact_until: u64,
}

/// Stuffed dots closer together than this many octets are taken out by moving the text
/// between them within the buffer (cheap for short runs, and one chunk for many dots);
/// farther apart, the chunk ends before the dot instead (cheap for long runs: nothing moves).
const COMPACT_SPAN: usize = 512;

/// Lines at least this long are read by searching for their ends (`memchr2`, which takes
/// 32 octets at a time or more) rather than in blocks (16 at a time, three checks each): the
/// search's fixed cost per call is paid back past about this length.
const LONG_LINE: usize = 160;

/// Blocks read in one pass before the length of the next line is looked at again.
const PASS_BLOCKS: usize = 64;

/// How much read body [`Append`] lets build up before copying it out.
const FLUSH: usize = 2048;

/// The `\n.` searcher for the paths that look only at line starts, built once: building a
/// searcher per search cost more than the search on short runs.
static LF_DOT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n."));

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

    /// Reads body off the front of `buf` until a chunk ends, handing stuffed dots to `sink`.
    fn scan<S: Sink>(&mut self, buf: &mut [u8], sink: &mut S) -> Step {
        let mut cur = Cursor::default();
        let mut p = 0;
        // Whether the next line is read in blocks rather than by searching for its end: a
        // search per line is cheaper on long lines, blocks on short ones (see `LONG_LINE`).
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
                        // After a pass of blocks, the next line's length decides again.
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
                    by_blocks = i < LONG_LINE;
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
        for _ in 0..PASS_BLOCKS {
            let Some(window) = buf.get(p..p + BLOCK + 2) else {
                break;
            };
            let found = window_flags(window);
            if found == 0 {
                p += BLOCK;
                if p >= cur.r + FLUSH {
                    sink.flush(buf, cur, p);
                }
                continue;
            }
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

impl From<BodyEnd> for BodyFrame {
    fn from(end: BodyEnd) -> Self {
        match end {
            BodyEnd::End => Self::End,
            BodyEnd::Rejected { offset } => Self::Rejected { offset },
        }
    }
}

/// Where a pass of [`DotUnstuffer::scan`] stands: `buf[..w]` is body ready to hand out,
/// `buf[w..r]` is left over from moving text back over taken-out dots, and reading goes on
/// at `r` or later.
#[derive(Debug, Default)]
struct Cursor {
    w: usize,
    r: usize,
    /// The last stuffed dot taken out in this pass.
    last_dot: Option<usize>,
}

/// Where the body goes while [`DotUnstuffer::scan`] reads it.
trait Sink {
    /// Takes out the stuffed dot at `d`, or returns the chunk `(len, drop)` that ends before
    /// it. `since_dot` is how far the front of the buffer is from the previous dot.
    fn dot(
        &mut self,
        buf: &mut [u8],
        cur: &mut Cursor,
        d: usize,
        since_dot: usize,
    ) -> Option<(usize, usize)>;

    /// Ends the pass at `end`: the chunk `(len, drop)` to take off the buffer.
    fn finish(&mut self, buf: &mut [u8], cur: &Cursor, end: usize) -> (usize, usize);

    /// Everything before `upto` has been read and holds no stuffed dot after `cur.r`.
    fn flush(&mut self, _buf: &[u8], _cur: &mut Cursor, _upto: usize) {}
}

/// The body stays in the input buffer and is handed out in zero-copy chunks.
struct InPlace;

impl Sink for InPlace {
    fn dot(
        &mut self,
        buf: &mut [u8],
        cur: &mut Cursor,
        d: usize,
        since_dot: usize,
    ) -> Option<(usize, usize)> {
        let span = match cur.last_dot {
            Some(last) => d.saturating_sub(last),
            None => since_dot.saturating_add(d),
        };
        if span >= COMPACT_SPAN {
            // A long run before this dot: rather than moving it, end the chunk (before it,
            // if text is being moved: what follows is read again next pass).
            return Some(if cur.w < cur.r {
                (cur.w, cur.r - cur.w)
            } else {
                (d, 1)
            });
        }
        if cur.w < cur.r {
            buf.copy_within(cur.r..d, cur.w);
        }
        cur.w += d - cur.r;
        cur.r = d + 1;
        cur.last_dot = Some(d);
        None
    }

    fn finish(&mut self, buf: &mut [u8], cur: &Cursor, end: usize) -> (usize, usize) {
        if cur.w < cur.r {
            buf.copy_within(cur.r..end, cur.w);
            (cur.w + end - cur.r, cur.r - cur.w)
        } else {
            (end, 0)
        }
    }
}

/// The body is appended to the caller's buffer; the input is only read.
struct Append<'a>(&'a mut BytesMut);

impl Sink for Append<'_> {
    fn dot(
        &mut self,
        buf: &mut [u8],
        cur: &mut Cursor,
        d: usize,
        _since_dot: usize,
    ) -> Option<(usize, usize)> {
        self.0
            .extend_from_slice(buf.get(cur.r..d).unwrap_or_default());
        cur.r = d + 1;
        cur.last_dot = Some(d);
        None
    }

    fn finish(&mut self, buf: &mut [u8], cur: &Cursor, end: usize) -> (usize, usize) {
        self.0
            .extend_from_slice(buf.get(cur.r..end).unwrap_or_default());
        (0, end)
    }

    /// Copies what was read while it is still in the cache, rather than in one pass at the
    /// end, which would read the whole input again.
    fn flush(&mut self, buf: &[u8], cur: &mut Cursor, upto: usize) {
        self.0
            .extend_from_slice(buf.get(cur.r..upto).unwrap_or_default());
        cur.r = upto;
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

/// Flag in [`window_events`]: the pair at this position is a bare CR or LF.
const BARE: u8 = 1;
/// Flag in [`window_events`]: the line after the LF after this position starts with a dot.
const DOT_LINE: u8 = 2;

/// Which of [`BARE`] and [`DOT_LINE`] a window of `BLOCK + 2` octets holds: for every
/// position `k` below `BLOCK`, whether the octet at `k` is a CR but the one at `k + 1` is not
/// an LF or the other way round, and whether that LF is followed by a dot. Zero for plain
/// text.
///
/// Branch-free over fixed-length slices, so the compiler vectorises it (SSE2 already takes
/// 16 octets at a time); the `+ 2` lets each block check the line start after its last LF.
fn window_flags(window: &[u8]) -> u8 {
    let (Some(xs), Some(ys), Some(zs)) = (
        window.get(..BLOCK),
        window.get(1..BLOCK + 1),
        window.get(2..BLOCK + 2),
    ) else {
        return BARE;
    };
    let (mut bare, mut dot) = (0u8, 0u8);
    for ((&x, &y), &z) in xs.iter().zip(ys).zip(zs) {
        let lf = y == LF;
        bare |= u8::from((x == CR) != lf);
        dot |= u8::from(lf & (z == DOT));
    }
    (bare * BARE) | (dot * DOT_LINE)
}

/// The same checks as [`window_flags`], position by position: [`BARE`] and [`DOT_LINE`].
fn window_events(window: &[u8]) -> [u8; BLOCK] {
    let mut events = [0u8; BLOCK];
    if let (Some(xs), Some(ys), Some(zs)) = (
        window.get(..BLOCK),
        window.get(1..BLOCK + 1),
        window.get(2..BLOCK + 2),
    ) {
        for (((event, &x), &y), &z) in events.iter_mut().zip(xs).zip(ys).zip(zs) {
            let lf = y == LF;
            *event = (u8::from((x == CR) != lf) * BARE) | (u8::from(lf & (z == DOT)) * DOT_LINE);
        }
    }
    events
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
    /// `len` octets of body, then `drop` octets (stuffed dots, a bare newline, text moved
    /// back over them) to discard.
    Emit { len: usize, drop: usize },
    /// The `.CRLF` terminator is at the front of the buffer.
    End,
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
