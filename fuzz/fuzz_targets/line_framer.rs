//! The line framer on arbitrary input: never panics, gives the same frames however the input
//! is split, and never buffers more than the limit plus one piece.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_sansio::line::{BareNewline, Frame, LineFramer};

fn frames(policy: BareNewline, max: usize, pieces: &[&[u8]]) -> Vec<Frame> {
    let mut framer = LineFramer::new(max).with_bare_newline(policy);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = framer.next_frame(&mut buf) {
            out.push(frame);
        }
        assert!(buf.len() <= max + piece.len());
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else { return };
    let policy = match control % 3 {
        0 => BareNewline::Reject,
        1 => BareNewline::Normalise,
        _ => BareNewline::Keep,
    };
    let max = usize::from(control / 3) + 1;
    let step = usize::from(control % 7) + 1;
    let whole = frames(policy, max, &[data]);
    let pieces: Vec<&[u8]> = data.chunks(step).collect();
    assert_eq!(whole, frames(policy, max, &pieces));
});
