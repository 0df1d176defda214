//! The framer's work is linear in the bytes fed, however they are split: every byte is
//! searched for a line ending once ([`Framer::scanned_bytes`] counts it), and a kept literal's
//! data not at all. Wall-clock cost per byte is measured in `benches/`, not here.

mod frame_common;

use bytes::BytesMut;
use frame_common::{Ev, run};
use imap_proto::frame::{Frame, FrameLimits, Framer};

const MIB: usize = 1 << 20;

fn big_limits() -> FrameLimits {
    let mut limits = FrameLimits::default();
    limits.max_line = 2 * MIB;
    limits.max_unit = 4 * MIB;
    limits.max_literal = 4 * MIB as u64;
    limits.literal_stream_threshold = 4 * MIB as u64;
    limits.max_literals = usize::MAX;
    limits
}

/// Feeds `input` byte by byte and returns (units, bytes scanned).
fn byte_by_byte(mut framer: Framer, input: &[u8]) -> (usize, u64) {
    let mut buf = BytesMut::new();
    let mut units = 0;
    for &byte in input {
        buf.extend_from_slice(&[byte]);
        while let Some(frame) = framer.next_frame(&mut buf) {
            match frame {
                Frame::Unit(_) => units += 1,
                Frame::LiteralAnnounced { .. } => {
                    framer.accept_literal();
                }
                _ => {}
            }
        }
    }
    (units, framer.scanned_bytes())
}

// One 1 MiB line fed byte by byte: scanned once.
#[test]
fn one_mib_line_byte_by_byte() {
    let mut input = b"* SEARCH".to_vec();
    while input.len() < MIB {
        input.extend_from_slice(b" 4294967295");
    }
    input.extend_from_slice(b"\r\n");
    let (units, scanned) = byte_by_byte(Framer::responses(big_limits()), &input);
    assert_eq!(units, 1);
    // Each byte once; the CR is looked at again when its LF arrives.
    assert!(
        scanned <= input.len() as u64 + 1,
        "{scanned} for {}",
        input.len()
    );
}

// A 1 MiB kept literal fed byte by byte: its data is never scanned.
#[test]
fn one_mib_literal_byte_by_byte() {
    let mut input = format!("* 1 FETCH (BODY[] {{{MIB}}}\r\n").into_bytes();
    input.extend(std::iter::repeat_n(b'\n', MIB));
    input.extend_from_slice(b")\r\n");
    let (units, scanned) = byte_by_byte(Framer::responses(big_limits()), &input);
    assert_eq!(units, 1);
    assert!(scanned < 64, "{scanned}");
}

// ruby/net-imap PR #642: a response full of zero-length literals, on both sides, byte by
// byte: the work per byte stays constant as the input grows.
#[test]
fn many_zero_length_literals_stay_linear() {
    for (framer, start) in [
        (Framer::responses(big_limits()), &b"* 1 FETCH (X ("[..]),
        (Framer::commands(big_limits()), &b"A1 SEARCH"[..]),
    ] {
        let mut per_byte = Vec::new();
        for count in [1_000, 10_000, 100_000] {
            let mut input = start.to_vec();
            for _ in 0..count {
                input.extend_from_slice(b" {0}\r\n");
            }
            input.extend_from_slice(b"))\r\n");
            let (units, scanned) = byte_by_byte(framer.clone(), &input);
            assert_eq!(units, 1);
            assert!(
                scanned <= 2 * input.len() as u64,
                "{scanned} for {}",
                input.len()
            );
            per_byte.push(scanned as f64 / input.len() as f64);
        }
        let spread = per_byte.iter().cloned().fold(0.0, f64::max)
            - per_byte.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread < 0.05, "{per_byte:?}");
    }
}

// The same with the literal limit in force: the unit is dropped after the limit, and the rest
// is drained line by line at the same cost.
#[test]
fn literal_count_limit_cuts_the_storm_short() {
    let mut input = b"* 1 FETCH (X (".to_vec();
    for _ in 0..100_000 {
        input.extend_from_slice(b" {0}\r\n");
    }
    input.extend_from_slice(b"))\r\n* 2 EXISTS\r\n");
    let pieces: Vec<&[u8]> = input.chunks(7).collect();
    let got = run(Framer::responses(FrameLimits::default()), &pieces, |_| true);
    assert!(matches!(got.events.first(), Some(Ev::Error { .. })));
    assert_eq!(got.events.len(), 2);
    assert!(got.scanned <= 2 * input.len() as u64);
}

// Streaming a literal larger than the threshold byte by byte: chunks come out as they arrive
// and the buffer never grows.
#[test]
fn streamed_literal_byte_by_byte() {
    let mut limits = FrameLimits::default();
    limits.literal_stream_threshold = 1024;
    let mut input = format!("* 1 FETCH (BODY[] {{{MIB}}}\r\n").into_bytes();
    input.extend(std::iter::repeat_n(b'x', MIB));
    input.extend_from_slice(b")\r\n");
    let pieces: Vec<&[u8]> = input.chunks(1).collect();
    let got = run(Framer::responses(limits), &pieces, |_| true);
    assert_eq!(got.events.len(), 4);
    assert!(got.max_buffered <= 32);
    assert!(got.scanned < 64);
}
