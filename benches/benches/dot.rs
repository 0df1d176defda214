//! Dot-unstuffing a 1 MiB body: our streaming unstuffer beside a plain copy (the physical
//! limit) and Stalwart's `smtp-proto` `DataReceiver`, on the same bytes.
//!
//! Each contender starts from the received bytes in memory and ends with the body available
//! to the application: ours hands out zero-copy chunks of the buffer the bytes were read into;
//! Stalwart's copies them into an output `Vec` (its API). Buffers are reused across iterations
//! so that the allocator's page faults are not what is measured.
//!
//! `keep` treats bare CR and LF as data, which is what Stalwart does; `reject` (our default)
//! also checks that every line ending is a CRLF, which is the SMTP smuggling defence.

use std::hint::black_box;

use benches::{message_body, stuffed};
use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_sansio::dot::{BareNewline, BodyFrame, DotUnstuffer};

fn unstuff(buf: &mut BytesMut, policy: BareNewline) -> usize {
    let mut unstuffer = DotUnstuffer::new(policy);
    let mut total = 0;
    while let Some(frame) = unstuffer.next_frame(buf) {
        match frame {
            BodyFrame::Chunk(chunk) => total += chunk.len(),
            _ => break,
        }
    }
    total
}

fn unstuffing(c: &mut Criterion) {
    let wire = stuffed(&message_body(1 << 20));
    let mut group = c.benchmark_group("dot_unstuff_1MiB");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    let mut out = Vec::with_capacity(wire.len());
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&wire));
            black_box(out.len())
        })
    });

    for (name, policy) in [
        ("mail_sansio_keep", BareNewline::Keep),
        ("mail_sansio_reject", BareNewline::Reject),
    ] {
        // The bytes sit in the session's input buffer, as a read left them.
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || BytesMut::from(&wire[..]),
                |buf| black_box(unstuff(buf, policy)),
                criterion::BatchSize::LargeInput,
            )
        });
    }

    group.bench_function("stalwart_smtp_proto", |b| {
        b.iter(|| {
            let mut receiver = stalwart_smtp_proto::request::receiver::DataReceiver::new();
            out.clear();
            let done = receiver.ingest(&mut black_box(&wire[..]).iter(), &mut out);
            assert!(done);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, unstuffing);
criterion_main!(benches);
