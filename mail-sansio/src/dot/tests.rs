use bytes::BytesMut;

use super::simd::BLOCK;
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
