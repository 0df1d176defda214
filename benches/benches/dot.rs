//! Dot-unstuffing a 1 MiB body: our streaming unstuffer beside a plain copy (the physical
//! limit) and Stalwart's `smtp-proto` `DataReceiver`, on the same bytes.

use std::hint::black_box;

use benches::{message_body, stuffed};
use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_sansio::dot::{BareNewline, BodyFrame, DotUnstuffer};

fn unstuffing(c: &mut Criterion) {
    let wire = stuffed(&message_body(1 << 20));
    let mut group = c.benchmark_group("dot_unstuff_1MiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("memcpy", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(wire.len());
            out.extend_from_slice(black_box(&wire));
            black_box(out)
        })
    });

    // As a session does: the input is copied into its buffer (handle_input), then the body
    // is handed out as zero-copy chunks.
    group.bench_function("mail_sansio", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&wire[..]));
            let mut unstuffer = DotUnstuffer::new(BareNewline::Reject);
            let mut total = 0;
            while let Some(frame) = unstuffer.next_frame(&mut buf) {
                match frame {
                    BodyFrame::Chunk(chunk) => total += chunk.len(),
                    _ => break,
                }
            }
            black_box(total)
        })
    });

    // The same, with the chunks then copied into one Vec, as Stalwart's receiver outputs.
    group.bench_function("mail_sansio_into_vec", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&wire[..]));
            let mut unstuffer = DotUnstuffer::new(BareNewline::Reject);
            let mut out = Vec::with_capacity(wire.len());
            while let Some(frame) = unstuffer.next_frame(&mut buf) {
                match frame {
                    BodyFrame::Chunk(chunk) => out.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            black_box(out)
        })
    });

    group.bench_function("stalwart_smtp_proto", |b| {
        b.iter(|| {
            let mut receiver = stalwart_smtp_proto::request::receiver::DataReceiver::new();
            let mut out = Vec::with_capacity(wire.len());
            let done = receiver.ingest(&mut black_box(&wire[..]).iter(), &mut out);
            assert!(done);
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(benches, unstuffing);
criterion_main!(benches);
