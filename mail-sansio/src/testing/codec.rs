//! Test support for tokio-util codecs (feature `testing-codec`): feed a `Decoder` in pieces
//! directly, or through a real `Framed` over an in-memory duplex pipe, and check that how the
//! bytes were split does not matter.

use bytes::BytesMut;
use futures_util::StreamExt as _;
use tokio::io::{AsyncWriteExt as _, duplex};
use tokio_util::codec::{Decoder, Framed};

/// Every item `codec` yields for `pieces` fed one after the other, then `decode_eof`; stops at
/// the first error, which ends the list as text.
pub fn decode_pieces<'a, D>(
    codec: &mut D,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<D::Item, String>>
where
    D: Decoder,
    D::Error: std::fmt::Display,
{
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => out.push(Ok(item)),
            Ok(None) => return out,
            Err(e) => {
                out.push(Err(e.to_string()));
                return out;
            }
        }
    }
}

/// Writes `pieces` one after the other into a duplex pipe, letting the reader run between
/// them, and collects every item (errors as text) of a `Framed` with `codec` on the other end.
pub async fn read_through<D>(codec: D, pieces: &[&[u8]]) -> Vec<Result<D::Item, String>>
where
    D: Decoder,
    D::Error: std::fmt::Display,
{
    let (mut writer, reader) = duplex(64);
    let mut framed = Framed::new(reader, codec);
    let write = async move {
        for piece in pieces {
            // Fails once the reader has stopped after an error: the rest is never read.
            if writer.write_all(piece).await.is_err() {
                return;
            }
            tokio::task::yield_now().await;
        }
        let _ = writer.shutdown().await;
    };
    let read = async move {
        let mut items = Vec::new();
        while let Some(item) = framed.next().await {
            items.push(item.map_err(|e| e.to_string()));
        }
        items
    };
    tokio::join!(write, read).1
}

/// The items of [`read_through`] for `input` whole, after checking that every split in two
/// and the byte-by-byte feed give the same; the error names the split that differed.
pub async fn split_everywhere<D, F>(
    make: F,
    input: &[u8],
) -> Result<Vec<Result<D::Item, String>>, String>
where
    D: Decoder,
    D::Item: PartialEq + std::fmt::Debug,
    D::Error: std::fmt::Display,
    F: Fn() -> D,
{
    let whole = read_through(make(), &[input]).await;
    for at in 1..input.len() {
        let (a, b) = input.split_at_checked(at).unwrap_or((input, &[]));
        let split = read_through(make(), &[a, b]).await;
        if split != whole {
            return Err(format!("split at {at}: {split:?} != {whole:?}"));
        }
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let single = read_through(make(), &bytes).await;
    if single != whole {
        return Err(format!("byte by byte: {single:?} != {whole:?}"));
    }
    Ok(whole)
}
