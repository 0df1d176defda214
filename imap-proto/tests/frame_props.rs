//! Properties of the framer: any split of a stream gives the same frames as one buffer (literal
//! chunks merged), arbitrary bytes never panic, memory stays within the unit limit, and units
//! put back together give the input.

mod frame_common;

use frame_common::{Ev, run};
use imap_proto::frame::{FrameLimits, Framer};
use mail_sansio::testing::strategies::{chunked, mail_bytes};
use proptest::prelude::*;

/// IMAP-shaped input: tokens that make lines, announcements and literals, plus hostile ones.
fn imap_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"A1 "[..]),
        Just(&b"* "[..]),
        Just(&b"+ "[..]),
        Just(&b"OK "[..]),
        Just(&b"FETCH (BODY[] "[..]),
        Just(&b"{3}\r\n"[..]),
        Just(&b"{0}\r\n"[..]),
        Just(&b"{5+}\r\n"[..]),
        Just(&b"~{2}\r\n"[..]),
        Just(&b"{12}\r\n"[..]),
        Just(&b"{40}\r\n"[..]),
        Just(&b"{99999999999999999999}\r\n"[..]),
        Just(&b"{18446744073709551615+}\r\n"[..]),
        Just(&b"\"q{4}\""[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"}"[..]),
        Just(&b"{"[..]),
        Just(&b"abc"[..]),
        Just(&b" "[..]),
        Just(&b")"[..]),
    ];
    proptest::collection::vec(token, 0..48).prop_map(|tokens| tokens.concat())
}

/// Small limits so that random input breaks each of them.
fn limits(line: usize, unit: usize, threshold: u64, literals: usize) -> FrameLimits {
    let mut limits = FrameLimits::default();
    limits.max_line = line;
    limits.max_unit = unit;
    limits.literal_stream_threshold = threshold;
    limits.max_literals = literals;
    limits.max_literal = 30;
    limits.max_non_sync_literal = 8;
    limits
}

fn framers(limits: &FrameLimits, bare_lf: bool) -> [Framer; 2] {
    [
        Framer::commands(limits.clone()).with_bare_lf(bare_lf),
        Framer::responses(limits.clone()).with_bare_lf(bare_lf),
    ]
}

/// A deterministic verdict, so that runs can be compared: refuse odd lengths.
fn verdict(len: u64) -> bool {
    len.is_multiple_of(2)
}

fn check_split_invariance(input: &[u8], pieces: &[Vec<u8>], limits: &FrameLimits, bare_lf: bool) {
    let pieces: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
    for framer in framers(limits, bare_lf) {
        let whole = run(framer.clone(), &[input], verdict);
        let split = run(framer, &pieces, verdict);
        assert_eq!(whole.events, split.events);
        assert_eq!(whole.left, split.left);
        // Memory: what stays buffered is within the unit limit (verdicts are given at once).
        assert!(
            split.max_buffered <= limits.max_unit.max(1),
            "{}",
            split.max_buffered
        );
        // Linear: every byte searched at most twice (once more for a CR at a piece's end).
        assert!(split.scanned <= 2 * input.len() as u64 + pieces.len() as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_split_gives_the_same_frames(
        (input, pieces) in imap_bytes().prop_flat_map(|input| (Just(input.clone()), chunked(input))),
        line in 1usize..40,
        unit in 1usize..120,
        threshold in 0u64..16,
        literals in 1usize..6,
        bare_lf in any::<bool>(),
    ) {
        check_split_invariance(&input, &pieces, &limits(line, unit, threshold, literals), bare_lf);
    }

    #[test]
    fn roomy_limits_give_the_same_frames(
        (input, pieces) in imap_bytes().prop_flat_map(|input| (Just(input.clone()), chunked(input))),
        bare_lf in any::<bool>(),
    ) {
        check_split_invariance(&input, &pieces, &limits(1 << 16, 1 << 20, 1 << 10, 1 << 10), bare_lf);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        (input, pieces) in mail_bytes(256).prop_flat_map(|input| (Just(input.clone()), chunked(input))),
        line in 1usize..64,
        bare_lf in any::<bool>(),
    ) {
        check_split_invariance(&input, &pieces, &limits(line, 256, 8, 4), bare_lf);
    }

    /// Up to the first error, the units and streamed literals put back together are the input.
    #[test]
    fn frames_rebuild_the_input(
        (input, pieces) in imap_bytes().prop_flat_map(|input| (Just(input.clone()), chunked(input))),
        threshold in 0u64..16,
    ) {
        let pieces: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
        let limits = limits(1 << 16, 1 << 20, threshold, 1 << 10);
        let got = run(Framer::responses(limits).with_bare_lf(true), &pieces, |_| true);
        let mut rebuilt = Vec::new();
        let mut streamed: Vec<Vec<u8>> = Vec::new();
        for ev in &got.events {
            match ev {
                // A dropped unit: what came before it is checked.
                Ev::Error { .. } => break,
                Ev::Data(data) => streamed.push(data.clone()),
                Ev::Unit(bytes, lits) => {
                    // Put each streamed literal's data back at its offset.
                    let mut at = 0;
                    let mut data = streamed.drain(..);
                    for lit in lits.iter().filter(|lit| lit.streamed) {
                        rebuilt.extend_from_slice(&bytes[at..lit.offset]);
                        rebuilt.extend_from_slice(&data.next().unwrap_or_default());
                        at = lit.offset;
                    }
                    rebuilt.extend_from_slice(&bytes[at..]);
                }
                _ => {}
            }
        }
        // A unit still in progress has taken bytes of its own: the rest is a prefix.
        prop_assert!(input.starts_with(&rebuilt));
    }
}
