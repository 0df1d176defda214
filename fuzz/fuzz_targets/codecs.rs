//! The `tokio-codec` adapters of smtp-proto and pop3-proto on arbitrary bytes: never a panic,
//! and the same items (and the same first fatal error) whether the input arrives whole or in
//! pieces. The first byte picks the codec and seeds the piece sizes.
#![no_main]

use std::fmt::{Debug, Display};

use libfuzzer_sys::fuzz_target;
use mail_sansio::testing::codec::decode_pieces;
use tokio_util::codec::Decoder;

fn check<D>(make: impl Fn() -> D, data: &[u8], seed: u8)
where
    D: Decoder,
    D::Item: Debug,
    D::Error: Display,
{
    let whole = format!("{:?}", decode_pieces(&mut make(), [data]));
    let sizes: Vec<usize> = (0..8).map(|i| usize::from(seed.rotate_left(i) % 9) + 1).collect();
    let mut pieces = Vec::new();
    let mut rest = data;
    for n in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*n).min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    let split = format!("{:?}", decode_pieces(&mut make(), pieces));
    assert_eq!(split, whole, "pieces {sizes:?}");
    let single = format!("{:?}", decode_pieces(&mut make(), data.chunks(1)));
    assert_eq!(single, whole, "byte by byte");
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
