//! The IMAP framer on arbitrary input: never panics, gives the same frames however the input
//! is split (literal chunks merged), keeps no more than the unit limit buffered, and searches
//! each byte at most about twice.
#![no_main]

use bytes::BytesMut;
use imap_proto::frame::{Frame, FrameLimits, Framer};
use libfuzzer_sys::fuzz_target;

struct Run {
    frames: Vec<Frame>,
    scanned: u64,
}

fn frames(mut framer: Framer, max_unit: usize, pieces: &[&[u8]]) -> Run {
    let mut buf = BytesMut::new();
    let mut out: Vec<Frame> = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = framer.next_frame(&mut buf) {
            match frame {
                Frame::LiteralAnnounced { len, .. } => {
                    // A verdict that does not depend on the split.
                    if len % 3 == 0 {
                        framer.refuse_literal();
                    } else {
                        framer.accept_literal();
                    }
                    out.push(frame);
                }
                Frame::LiteralChunk(chunk) => {
                    assert!(!chunk.is_empty());
                    if let Some(Frame::LiteralChunk(last)) = out.last_mut() {
                        let mut joined = BytesMut::from(&last[..]);
                        joined.extend_from_slice(&chunk);
                        *last = joined.freeze();
                    } else {
                        out.push(Frame::LiteralChunk(chunk));
                    }
                }
                other => out.push(other),
            }
        }
        assert!(buf.len() <= max_unit.max(1));
    }
    Run {
        frames: out,
        scanned: framer.scanned_bytes(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else { return };
    let Some((&sizes, data)) = data.split_first() else { return };
    let mut limits = FrameLimits::default();
    limits.max_line = usize::from(sizes & 0x3f) + 1;
    limits.max_unit = usize::from(sizes >> 2) * 4 + 1;
    limits.literal_stream_threshold = u64::from(control >> 4);
    limits.max_literals = usize::from(control & 0x03) + 1;
    limits.max_literal = 40;
    limits.max_non_sync_literal = 10;
    let bare_lf = control & 0x04 != 0;
    let make = || {
        let framer = if control & 0x08 != 0 {
            Framer::responses(limits.clone())
        } else {
            Framer::commands(limits.clone())
        };
        framer.with_bare_lf(bare_lf)
    };
    let step = usize::from(sizes % 7) + 1;
    let whole = frames(make(), limits.max_unit, &[data]);
    let pieces: Vec<&[u8]> = data.chunks(step).collect();
    let split = frames(make(), limits.max_unit, &pieces);
    assert_eq!(whole.frames, split.frames);
    assert!(split.scanned <= 2 * data.len() as u64 + pieces.len() as u64);
});
