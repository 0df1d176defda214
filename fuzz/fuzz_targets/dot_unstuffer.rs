//! The unstuffer on arbitrary input: never panics, gives the same body however the input is
//! split, ends only on CRLF.CRLF, and reads back exactly what the stuffer wrote.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mail_sansio::dot::{BareNewline, BodyFrame, DotStuffer, DotUnstuffer};

fn unstuff(policy: BareNewline, pieces: &[&[u8]]) -> (Vec<u8>, Option<BodyFrame>, Vec<u8>) {
    let mut unstuffer = DotUnstuffer::new(policy);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut end = None;
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = unstuffer.next_frame(&mut buf) {
            match frame {
                BodyFrame::Chunk(bytes) => body.extend_from_slice(&bytes),
                other => end = Some(other),
            }
        }
    }
    (body, end, buf.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else { return };
    let policy = match control % 3 {
        0 => BareNewline::Reject,
        1 => BareNewline::Normalise,
        _ => BareNewline::Keep,
    };
    let step = usize::from(control / 3 % 11) + 1;
    let whole = unstuff(policy, &[data]);
    let pieces: Vec<&[u8]> = data.chunks(step).collect();
    assert_eq!(whole, unstuff(policy, &pieces));
    let ends = data.starts_with(b".\r\n") || data.windows(5).any(|w| w == b"\r\n.\r\n");
    assert_eq!(whole.1.is_some(), ends);

    // Whatever the body, the stuffed form reads back as one body with nothing left over.
    let wire = DotStuffer::stuff(data);
    let (_, end, rest) = unstuff(BareNewline::Reject, &[&wire]);
    assert_eq!(end, Some(BodyFrame::End));
    assert!(rest.is_empty());
});
