//! The block checks: whether a run of text is plain (every CR and LF paired, no line
//! starting with a dot), many octets at a time.
//!
//! The hot loops run at the widest SIMD level the CPU has (the default x86_64 target alone
//! gives only SSE2): `pulp` checks the CPU once and calls a `#[target_feature]` function of
//! its own (AVX-512 or AVX2) into which our `#[inline(always)]` loop is compiled. Its unsafe
//! call stays inside `pulp`; nothing unsafe is written or expanded here, and
//! `forbid(unsafe_code)` stays.

use pulp::{Arch, Simd, WithSimd};

use super::{CR, DOT, LF};

/// Flag in [`window_events`]: the pair at this position is a bare CR or LF.
pub(super) const BARE: u8 = 1;
/// Flag in [`window_events`]: the line after the LF after this position starts with a dot.
pub(super) const DOT_LINE: u8 = 2;

/// Which of [`BARE`] and [`DOT_LINE`] a window of `BLOCK + 2` octets holds: for every
/// position `k` below `BLOCK`, whether the octet at `k` is a CR but the one at `k + 1` is not
/// an LF or the other way round, and whether that LF is followed by a dot. Zero for plain
/// text.
///
/// Branch-free over fixed-length slices, so the compiler vectorises it: inlined into the
/// loop of [`plain_run`] at each SIMD level, it takes 16 (SSE2), 32 (AVX2) or 64 (AVX-512)
/// octets at a time.
/// The `+ 2` lets each block check the line start after its last LF.
#[inline(always)]
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
pub(super) fn window_events(window: &[u8]) -> [u8; BLOCK] {
    Arch::new().dispatch(WindowEvents(window))
}

/// [`window_events`] for [`Arch::dispatch`]: compiled at the SIMD level it is given.
struct WindowEvents<'a>(&'a [u8]);

impl WithSimd for WindowEvents<'_> {
    type Output = [u8; BLOCK];

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> [u8; BLOCK] {
        let mut events = [0u8; BLOCK];
        if let (Some(xs), Some(ys), Some(zs)) = (
            self.0.get(..BLOCK),
            self.0.get(1..BLOCK + 1),
            self.0.get(2..BLOCK + 2),
        ) {
            for (((event, &x), &y), &z) in events.iter_mut().zip(xs).zip(ys).zip(zs) {
                let lf = y == LF;
                *event =
                    (u8::from((x == CR) != lf) * BARE) | (u8::from(lf & (z == DOT)) * DOT_LINE);
            }
        }
        events
    }
}

/// Skips plain blocks (see [`window_flags`]) from `p` while a whole window is left and the
/// block starts before `stop`; returns where it stopped and the flags of the block there
/// (zero when it stopped at `stop` or for want of input).
///
/// Run at the CPU's widest SIMD level (AVX-512 or AVX2 where it has them): the loop is the
/// whole cost of reading ordinary mail under strict CR/LF checks.
pub(super) fn plain_run(buf: &[u8], p: usize, stop: usize) -> (usize, u8) {
    Arch::new().dispatch(PlainRun { buf, p, stop })
}

/// [`plain_run`] for [`Arch::dispatch`]: the loop, compiled at the SIMD level it is given.
struct PlainRun<'a> {
    buf: &'a [u8],
    p: usize,
    stop: usize,
}

impl WithSimd for PlainRun<'_> {
    type Output = (usize, u8);

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> (usize, u8) {
        let Self { buf, mut p, stop } = self;
        while p < stop {
            let Some(window) = buf.get(p..p + BLOCK + 2) else {
                break;
            };
            let found = window_flags(window);
            if found != 0 {
                return (p, found);
            }
            p += BLOCK;
        }
        (p, 0)
    }
}

/// The size of the blocks [`skip_plain_blocks`] checks at once.
pub(super) const BLOCK: usize = 256;

/// Skips whole blocks of ordinary text from `p`, which is inside a line (not at its start).
///
/// A block is ordinary when every CR in it is followed by LF, every LF is preceded by CR, and
/// no LF is followed by a dot. The check is branch-free so the compiler vectorises it; on
/// ordinary mail it replaces one search per line ending with one pass per block. Returns
/// where the first block that needs a closer look begins. When a skipped block ends in CR,
/// the LF after it is skipped too and the search stops there, so the result never splits a
/// CRLF and a line start is always looked at by the caller.
pub(super) fn skip_plain_blocks(buf: &[u8], mut p: usize) -> usize {
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
