//! The `tokio-codec` adapters of smtp-proto and pop3-proto on arbitrary bytes: never a panic,
//! and the same items (and the same first fatal error) whether the input arrives whole or in
//! pieces. The first byte picks the codec and seeds the piece sizes.
#![no_main]

use std::fmt::Debug;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

/// Every item the codec yields for `data` fed in pieces of the sizes `sizes` cycles through
/// (all of it at once when empty), then `decode_eof`; stops at the first error.
fn items<D>(mut codec: D, data: &[u8], sizes: &[usize]) -> Vec<String>
where
    D: Decoder,
    D::Item: Debug,
    D::Error: Debug,
{
    let mut out = Vec::new();
    let mut buf = BytesMut::new();
    let mut rest = data;
    let mut turn = 0;
    while !rest.is_empty() {
        let n = sizes.get(turn % sizes.len().max(1)).copied().unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(n.clamp(1, rest.len()));
        rest = tail;
        turn += 1;
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => out.push(format!("{item:?}")),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    return out;
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => out.push(format!("{item:?}")),
            Ok(None) => break,
            Err(e) => {
                out.push(format!("error {e:?}"));
                break;
            }
        }
    }
    out
}

fn check<D>(make: impl Fn() -> D, data: &[u8], seed: u8)
where
    D: Decoder,
    D::Item: Debug,
    D::Error: Debug,
{
    let whole = items(make(), data, &[]);
    let sizes: Vec<usize> = (0..8).map(|i| usize::from(seed.rotate_left(i) % 9) + 1).collect();
    assert_eq!(items(make(), data, &sizes), whole, "pieces {sizes:?}");
    assert_eq!(items(make(), data, &[1]), whole, "byte by byte");
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    match first % 4 {
        0 => check(smtp_proto::codec::CommandCodec::new, data, first),
        1 => check(smtp_proto::codec::ReplyCodec::new, data, first),
        2 => check(pop3_proto::codec::CommandCodec::new, data, first),
        _ => check(pop3_proto::codec::ResponseCodec::new, data, first),
    }
});
