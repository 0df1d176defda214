//! Properties of the line framer, the dot-stuffer and the unstuffer: the same result however
//! the input is split, and stuffing then unstuffing gives back the (normalised) body.

use bytes::BytesMut;
use mail_sansio::dot::{BareNewline, BodyFrame, DotStuffer, DotUnstuffer};
use mail_sansio::line::{Frame, LineFramer};
use mail_sansio::testing::strategies::{chunked, mail_bytes};
use proptest::prelude::*;

const POLICIES: [BareNewline; 3] = [
    BareNewline::Reject,
    BareNewline::Normalise,
    BareNewline::Keep,
];

fn frame_all(framer: &mut LineFramer, pieces: &[Vec<u8>]) -> (Vec<Frame>, usize) {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut peak = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = framer.next_frame(&mut buf) {
            frames.push(frame);
        }
        peak = peak.max(buf.len());
    }
    (frames, peak)
}

/// The unstuffed body, the end frame and the unread rest.
fn unstuff_all(policy: BareNewline, pieces: &[Vec<u8>]) -> (Vec<u8>, Option<BodyFrame>, Vec<u8>) {
    let mut unstuffer = DotUnstuffer::new(policy);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut end = None;
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = unstuffer.next_frame(&mut buf) {
            match frame {
                BodyFrame::Chunk(bytes) => {
                    assert!(end.is_none(), "a chunk after the end");
                    body.extend_from_slice(&bytes);
                }
                other => end = Some(other),
            }
        }
    }
    (body, end, buf.to_vec())
}

/// What the peer should read back: every line ending as CRLF, and a final CRLF.
fn canonical(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&byte) = body.get(i) {
        match byte {
            b'\r' if body.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(byte),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn input_and_split() -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
    mail_bytes(300).prop_flat_map(|data| (Just(data.clone()), chunked(data)))
}

/// Long mail-like text: lines of letters ending in CRLF, with the odd stuffed dot, bare CR or
/// LF, so that whole-block fast paths and their edges are exercised.
fn long_text() -> impl Strategy<Value = Vec<u8>> {
    let line = (0usize..120, 0u8..40).prop_map(|(len, kind)| {
        let mut line: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        match kind {
            0 => line.insert(0, b'.'),
            1 => line.push(b'\r'),
            2 => line.push(b'\n'),
            3 => line.extend_from_slice(b"\r\n."),
            _ => {}
        }
        line.extend_from_slice(b"\r\n");
        line
    });
    proptest::collection::vec(line, 0..40).prop_map(|lines| lines.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn framer_gives_the_same_frames_for_every_split(
        (data, pieces) in input_and_split(),
        max_line in 1usize..40,
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        let (whole, _) = frame_all(&mut LineFramer::new(max_line).with_bare_newline(policy), &[data]);
        let (split, peak) = frame_all(&mut LineFramer::new(max_line).with_bare_newline(policy), &pieces);
        prop_assert_eq!(whole, split);
        // Memory stays bounded by the limit plus the largest piece.
        let largest = pieces.iter().map(Vec::len).max().unwrap_or(0);
        prop_assert!(peak <= max_line + largest);
    }

    #[test]
    fn framed_lines_never_contain_line_endings_unless_kept(
        data in mail_bytes(300),
        policy in prop::sample::select(vec![BareNewline::Reject, BareNewline::Normalise]),
    ) {
        let (frames, _) = frame_all(&mut LineFramer::new(64).with_bare_newline(policy), &[data]);
        for frame in frames {
            if let Frame::Line(line) = frame {
                prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
                prop_assert!(line.len() < 64);
            }
        }
    }

    #[test]
    fn unstuffer_gives_the_same_body_for_every_split(
        (data, pieces) in input_and_split(),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        prop_assert_eq!(unstuff_all(policy, &[data]), unstuff_all(policy, &pieces));
    }

    #[test]
    fn unstuffer_block_path_matches_byte_path(
        data in long_text(),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        let bytes: Vec<Vec<u8>> = data.iter().map(|&b| vec![b]).collect();
        prop_assert_eq!(unstuff_all(policy, &[data]), unstuff_all(policy, &bytes));
    }

    #[test]
    fn stuffer_block_path_matches_byte_path(data in long_text()) {
        let mut bytewise = BytesMut::new();
        let mut stuffer = DotStuffer::new();
        for byte in &data {
            stuffer.encode(std::slice::from_ref(byte), &mut bytewise);
        }
        stuffer.finish(&mut bytewise);
        prop_assert_eq!(&DotStuffer::stuff(&data)[..], &bytewise[..]);
    }

    #[test]
    fn only_crlf_dot_crlf_ends_a_body(
        data in mail_bytes(300),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        let ends = data.starts_with(b".\r\n")
            || data.windows(5).any(|w| w == b"\r\n.\r\n");
        let (_, end, _) = unstuff_all(policy, &[data]);
        prop_assert_eq!(end.is_some(), ends);
    }

    #[test]
    fn stuffing_round_trips(
        (body, pieces) in input_and_split(),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        // Stuff the body in pieces, then read it back in one go.
        let mut wire = BytesMut::new();
        let mut stuffer = DotStuffer::new();
        for piece in &pieces {
            stuffer.encode(piece, &mut wire);
        }
        stuffer.finish(&mut wire);
        prop_assert_eq!(&wire[..], &DotStuffer::stuff(&body)[..]);
        let mut after = wire.to_vec();
        after.extend_from_slice(b"QUIT\r\n");
        let (read, end, rest) = unstuff_all(policy, &[after]);
        prop_assert_eq!(read, canonical(&body));
        prop_assert_eq!(end, Some(BodyFrame::End));
        prop_assert_eq!(rest, b"QUIT\r\n".to_vec());
    }

    #[test]
    fn stuffed_output_has_no_bare_newlines(body in mail_bytes(300)) {
        let wire = DotStuffer::stuff(&body);
        for (i, &byte) in wire.iter().enumerate() {
            match byte {
                b'\r' => prop_assert_eq!(wire.get(i + 1), Some(&b'\n')),
                b'\n' => prop_assert_eq!(i.checked_sub(1).and_then(|j| wire.get(j)), Some(&b'\r')),
                _ => {}
            }
        }
        prop_assert!(wire.ends_with(b"\r\n.\r\n") || &wire[..] == b".\r\n");
    }
}
