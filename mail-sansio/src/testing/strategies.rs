//! proptest strategies for feeding input in arbitrary pieces.
//!
//! Chunking invariance is the property every parser here must have: the same events whatever
//! the split. These strategies pick the split.

use proptest::prelude::*;

/// Cuts `data` at the given points (sorted, deduplicated, out-of-range points ignored).
pub fn split_at_points(data: &[u8], points: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = points
        .iter()
        .copied()
        .filter(|&p| p > 0 && p < data.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        pieces.push(data.get(start..cut).unwrap_or_default().to_vec());
        start = cut;
    }
    pieces.push(data.get(start..).unwrap_or_default().to_vec());
    pieces
}

/// Up to `max_cuts` split points for an input of `len` octets.
pub fn split_points(len: usize, max_cuts: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..=len, 0..=max_cuts)
}

/// `data` split into random pieces (including, sometimes, one piece per octet).
pub fn chunked(data: Vec<u8>) -> impl Strategy<Value = Vec<Vec<u8>>> {
    let len = data.len();
    prop_oneof![
        4 => split_points(len, 16).prop_map({
            let data = data.clone();
            move |points| split_at_points(&data, &points)
        }),
        1 => Just(data.iter().map(|&b| vec![b]).collect::<Vec<_>>()),
    ]
}

/// Bytes drawn mostly from the characters that matter to mail framing (CR, LF, dot, NUL,
/// space, letters), so that random input hits line endings and terminators often.
pub fn mail_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            3 => Just(b'\r'),
            3 => Just(b'\n'),
            3 => Just(b'.'),
            1 => Just(0u8),
            1 => Just(b' '),
            4 => b'a'..=b'e',
            1 => any::<u8>(),
        ],
        0..=max_len,
    )
}

/// A deterministic split of `data` into pieces of pseudo-random sizes from `seed`
/// (splitmix64), for replaying a fixed input without proptest.
pub fn seeded_split(data: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let size = usize::try_from(next() % 7).unwrap_or(0) + 1;
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}
