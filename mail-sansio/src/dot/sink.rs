//! Where the body goes while [`DotUnstuffer`](super::DotUnstuffer) reads it: left in the input
//! buffer for zero-copy chunks, or appended to one buffer of the caller's.

use bytes::BytesMut;

/// Stuffed dots closer together than this many octets are taken out by moving the text
/// between them within the buffer (cheap for short runs, and one chunk for many dots);
/// farther apart, the chunk ends before the dot instead (cheap for long runs: nothing moves).
pub(super) const COMPACT_SPAN: usize = 512;

/// How much read body [`Append`] lets build up before copying it out: small enough to be
/// copied from the cache, a page so that a copy's loads and stores do not keep meeting at
/// the same page offset (2 KiB ran up to a fifth slower with output and input so placed).
pub(super) const FLUSH: usize = 4096;

/// Where a pass of [`DotUnstuffer::scan`](super::DotUnstuffer::scan) stands: `buf[..w]` is body ready to hand out,
/// `buf[w..r]` is left over from moving text back over taken-out dots, and reading goes on
/// at `r` or later.
#[derive(Debug, Default)]
pub(super) struct Cursor {
    pub(super) w: usize,
    pub(super) r: usize,
    /// The last stuffed dot taken out in this pass.
    pub(super) last_dot: Option<usize>,
}

/// Where the body goes while [`DotUnstuffer::scan`](super::DotUnstuffer::scan) reads it.
pub(super) trait Sink {
    /// Takes out the stuffed dot at `d`, or returns the chunk `(len, drop)` that ends before
    /// it. `since_dot` is how far the front of the buffer is from the previous dot.
    fn dot(
        &mut self,
        buf: &mut [u8],
        cur: &mut Cursor,
        d: usize,
        since_dot: usize,
    ) -> Option<(usize, usize)>;

    /// How far reading may run ahead of [`flush`](Self::flush).
    const RUN: usize;

    /// Ends the pass at `end`: the chunk `(len, drop)` to take off the buffer.
    fn finish(&mut self, buf: &mut [u8], cur: &Cursor, end: usize) -> (usize, usize);

    /// Everything before `upto` has been read and holds no stuffed dot after `cur.r`.
    fn flush(&mut self, _buf: &[u8], _cur: &mut Cursor, _upto: usize) {}
}

/// The body stays in the input buffer and is handed out in zero-copy chunks.
pub(super) struct InPlace;

impl Sink for InPlace {
    /// Nothing is copied: a pass of blocks runs whole.
    const RUN: usize = usize::MAX / 2;

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
pub(super) struct Append<'a>(pub(super) &'a mut BytesMut);

impl Sink for Append<'_> {
    const RUN: usize = FLUSH;

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
