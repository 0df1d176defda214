//! The unstuffer's block path, its in-place removal of stuffed dots and `unstuff_into` give
//! byte for byte what the unstuffer gave before them (one chunk per stuffed dot, line by
//! line), for any input, any split and every policy.

#[path = "support/old_unstuffer.rs"]
#[allow(dead_code, clippy::all)]
mod old_unstuffer;

use bytes::BytesMut;
use mail_sansio::dot::{BareNewline, BodyEnd, BodyFrame, DotUnstuffer};
use mail_sansio::testing::strategies::{chunked, mail_bytes};
use old_unstuffer::OldUnstuffer;
use proptest::prelude::*;

const POLICIES: [BareNewline; 3] = [
    BareNewline::Reject,
    BareNewline::Normalise,
    BareNewline::Keep,
];

/// Body, end, unread rest and octets consumed.
type Outcome = (Vec<u8>, Option<BodyFrame>, Vec<u8>, u64);

fn old(policy: BareNewline, input: &[u8]) -> Outcome {
    let mut unstuffer = OldUnstuffer::new(policy);
    let mut buf = BytesMut::from(input);
    let mut body = Vec::new();
    let mut end = None;
    while let Some(frame) = unstuffer.next_frame(&mut buf) {
        match frame {
            BodyFrame::Chunk(bytes) => body.extend_from_slice(&bytes),
            other => end = Some(other),
        }
    }
    (body, end, buf.to_vec(), unstuffer.consumed())
}

fn frames(policy: BareNewline, pieces: &[Vec<u8>]) -> Outcome {
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
                    assert!(!bytes.is_empty(), "an empty chunk");
                    body.extend_from_slice(&bytes);
                }
                other => end = Some(other),
            }
        }
    }
    (body, end, buf.to_vec(), unstuffer.consumed())
}

fn into(policy: BareNewline, pieces: &[Vec<u8>]) -> Outcome {
    let mut unstuffer = DotUnstuffer::new(policy);
    let mut buf = BytesMut::new();
    let mut body = BytesMut::new();
    let mut end = None;
    for piece in pieces {
        buf.extend_from_slice(piece);
        if let Some(done) = unstuffer.unstuff_into(&mut buf, &mut body) {
            assert!(end.is_none(), "two ends");
            end = Some(done.into());
        }
    }
    assert_eq!(unstuffer.is_finished(), end.is_some());
    (body.to_vec(), end, buf.to_vec(), unstuffer.consumed())
}

/// Mail-like text long enough for whole blocks: runs of text, stuffed and unstuffed dots,
/// bare and paired line endings, terminators and their lookalikes, 8-bit octets.
fn long_mail() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => (1usize..400, any::<u8>()).prop_map(|(len, seed)| {
            (0..len).map(|i| b'a' + ((i + usize::from(seed)) % 26) as u8).collect()
        }),
        6 => Just(b"\r\n".to_vec()),
        3 => Just(b"\r\n..".to_vec()),
        2 => Just(b"\r\n.".to_vec()),
        1 => Just(b"\r\n.\r\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => Just(b"\n".to_vec()),
        1 => Just(b"\n.".to_vec()),
        1 => Just(b".".to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1..20),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn input_and_split(
    data: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
    data.prop_flat_map(|data| (Just(data.clone()), chunked(data)))
}

/// Cuts `data` into pieces of `size`.
fn pieces(data: &[u8], size: usize) -> Vec<Vec<u8>> {
    data.chunks(size.max(1)).map(<[u8]>::to_vec).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn both_paths_match_the_old_unstuffer_on_mail_like_text(
        (data, split) in input_and_split(long_mail()),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        let expected = old(policy, &data);
        prop_assert_eq!(&frames(policy, std::slice::from_ref(&data)), &expected);
        prop_assert_eq!(&frames(policy, &split), &expected);
        prop_assert_eq!(&into(policy, std::slice::from_ref(&data)), &expected);
        prop_assert_eq!(&into(policy, &split), &expected);
    }

    #[test]
    fn both_paths_match_the_old_unstuffer_on_arbitrary_bytes(
        (data, split) in input_and_split(mail_bytes(1200)),
        policy in prop::sample::select(POLICIES.to_vec()),
    ) {
        let expected = old(policy, &data);
        prop_assert_eq!(&frames(policy, std::slice::from_ref(&data)), &expected);
        prop_assert_eq!(&frames(policy, &split), &expected);
        prop_assert_eq!(&into(policy, &split), &expected);
    }
}

/// The smuggling endings, after enough text for the block path, end no body under any
/// policy on either path, however split; the real terminator after them does.
#[test]
fn smuggling_endings_never_end_the_body_on_the_block_path() {
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
    let mut text = Vec::new();
    for line in 0..120 {
        // Dots on some lines, then a stretch of plain lines longer than any window.
        if line % 3 == 1 && line < 60 {
            text.push(b'.');
        }
        text.extend((0..=(line * 7) % 90).map(|i| b'a' + (i % 26) as u8));
        text.extend_from_slice(b"\r\n");
    }
    for prefix in [0, 1, 255, 256, 257, 300, text.len()] {
        for ending in endings {
            let mut input = text.get(..prefix).unwrap_or(&text).to_vec();
            input.extend_from_slice(b"hi");
            input.extend_from_slice(ending);
            input.extend_from_slice(&text);
            input.extend_from_slice(b"MAIL FROM:<a@b>\r\n");
            for policy in POLICIES {
                let expected = old(policy, &input);
                assert_eq!(
                    expected.1, None,
                    "{ending:?} ended the body under {policy:?}"
                );
                for size in [1, 3, 7, 256, 100_000] {
                    let split = pieces(&input, size);
                    assert_eq!(
                        frames(policy, &split),
                        expected,
                        "{ending:?} {policy:?} {size}"
                    );
                    assert_eq!(
                        into(policy, &split),
                        expected,
                        "{ending:?} {policy:?} {size}"
                    );
                }
                let mut ended = input.clone();
                ended.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
                let expected = old(policy, &ended);
                assert!(matches!(
                    expected.1,
                    Some(BodyFrame::End | BodyFrame::Rejected { .. })
                ));
                assert_eq!(expected.2, b"QUIT\r\n");
                for size in [1, 5, 256, 100_000] {
                    let split = pieces(&ended, size);
                    assert_eq!(
                        frames(policy, &split),
                        expected,
                        "{ending:?} {policy:?} {size}"
                    );
                    assert_eq!(
                        into(policy, &split),
                        expected,
                        "{ending:?} {policy:?} {size}"
                    );
                }
            }
        }
    }
}

/// Dots spaced around the compaction span and the block size: each dot either ends a chunk
/// or is moved over, and the body is the same either way.
#[test]
fn dots_at_every_spacing_give_the_old_body() {
    for spacing in [
        1, 2, 3, 5, 60, 250, 254, 255, 256, 257, 258, 500, 511, 512, 513, 1000,
    ] {
        let mut input = Vec::new();
        for line in 0..200 {
            input.push(b'.');
            input.extend((0..spacing).map(|i| b'a' + ((i + line) % 26) as u8));
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b".\r\nNEXT");
        for policy in POLICIES {
            let expected = old(policy, &input);
            assert_eq!(expected.1, Some(BodyFrame::End));
            for size in [1, 13, 4096, 1 << 20] {
                let split = pieces(&input, size);
                assert_eq!(
                    frames(policy, &split),
                    expected,
                    "{spacing} {policy:?} {size}"
                );
                assert_eq!(
                    into(policy, &split),
                    expected,
                    "{spacing} {policy:?} {size}"
                );
            }
        }
    }
}

#[test]
fn unstuff_into_reports_the_rejection_offset() {
    let mut unstuffer = DotUnstuffer::new(BareNewline::Reject);
    let mut input = BytesMut::from(&b"ok\r\nbad\n.\nMAIL FROM:<a@b>\r\n.\r\nQUIT\r\n"[..]);
    let mut body = BytesMut::new();
    assert_eq!(
        unstuffer.unstuff_into(&mut input, &mut body),
        Some(BodyEnd::Rejected { offset: 7 })
    );
    assert_eq!(
        (&body[..], &input[..]),
        (&b"ok\r\nbad"[..], &b"QUIT\r\n"[..])
    );
}
