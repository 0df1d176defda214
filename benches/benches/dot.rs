//! Dot-unstuffing a 1 MiB body of each shape in [`benches::body_shapes`]: our streaming
//! unstuffer beside Stalwart's `smtp-proto` `DataReceiver` and a plain copy, on the same bytes.
//!
//! Each contender starts from the received bytes in memory and ends with the body available
//! to the application:
//! - `strict_chunks` / `keep_chunks`: ours, handing out zero-copy chunks of the buffer the
//!   bytes were read into ([`DotUnstuffer::next_frame`]);
//! - `strict_contiguous` / `keep_contiguous`: ours, appending the body to one buffer
//!   ([`DotUnstuffer::unstuff_into`]), as a server storing the body would;
//! - `stalwart`: Stalwart's, which copies the body into an output `Vec` (its API);
//! - `memcpy`: a plain copy of the wire bytes, the limit for anything that copies.
//!
//! `keep` treats bare CR and LF as data, which is what Stalwart does; `strict` (our default,
//! [`BareNewline::Reject`]) also checks that every line ending is a CRLF, which is the SMTP
//! smuggling defence.
//!
//! A copy's speed depends on where its output sits relative to its input (4K aliasing: a load
//! whose address matches an earlier store's in the low 12 bits waits for it). Every contender
//! that copies runs twice: `same4k`, output at the same offset within a 4 KiB page as the
//! input, and `apart`, half a page away.
//!
//! Buffers are reused across iterations so that the allocator's page faults are not what is
//! measured. With `DOT_ROUNDS=n` in the environment the bench instead runs every contender
//! once per round, interleaved, for `n` rounds, and prints the median GB/s of each and its
//! ratio to Stalwart's, which is steadier than separate runs on a busy machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{body_shapes, stuffed};
use bytes::{Buf, BytesMut};
use criterion::{Criterion, Throughput};
use mail_sansio::dot::{BareNewline, BodyEnd, BodyFrame, DotUnstuffer};
use stalwart_smtp_proto::request::receiver::DataReceiver;

const PAGE: usize = 4096;

/// Output placements, as the output's offset from the input within a 4 KiB page.
const PLACEMENTS: [(&str, usize); 2] = [("same4k", 0), ("apart", PAGE / 2)];

/// Ours, zero-copy: the body's length, read chunk by chunk.
fn chunks(buf: &mut BytesMut, policy: BareNewline) -> usize {
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

/// Ours, into one buffer.
fn contiguous(buf: &mut BytesMut, out: &mut BytesMut, policy: BareNewline) -> usize {
    out.clear();
    let end = DotUnstuffer::new(policy).unstuff_into(buf, out);
    assert_eq!(end, Some(BodyEnd::End));
    out.len()
}

/// Stalwart's, into one `Vec`.
fn stalwart(wire: &[u8], out: &mut Vec<u8>) -> usize {
    let mut receiver = DataReceiver::new();
    out.clear();
    assert!(receiver.ingest(&mut wire.iter(), out));
    out.len()
}

/// Fills `buf` with `wire` again, its first octet `delta` octets after `out` within a page,
/// reusing `buf`'s memory, as a session's input buffer is reused from read to read.
fn refill(buf: &mut BytesMut, wire: &[u8], out: usize, delta: usize) {
    buf.clear();
    // Takes back the front of the same allocation once the last pass consumed it all.
    buf.reserve(wire.len() + 2 * PAGE);
    let pad = (out + delta + PAGE - buf.as_ptr() as usize % PAGE) % PAGE;
    buf.resize(pad, 0);
    buf.advance(pad);
    buf.extend_from_slice(wire);
}

/// One contender, with its output placement where it copies.
#[derive(Clone, Copy)]
enum Contender {
    Memcpy(usize),
    Stalwart(usize),
    Contiguous(BareNewline, usize),
    Chunks(BareNewline),
}

impl Contender {
    fn all() -> Vec<(String, Self)> {
        let mut all = Vec::new();
        for (place, delta) in PLACEMENTS {
            all.push((format!("memcpy/{place}"), Self::Memcpy(delta)));
            all.push((format!("stalwart/{place}"), Self::Stalwart(delta)));
            all.push((
                format!("strict_contiguous/{place}"),
                Self::Contiguous(BareNewline::Reject, delta),
            ));
            all.push((
                format!("keep_contiguous/{place}"),
                Self::Contiguous(BareNewline::Keep, delta),
            ));
        }
        all.push(("strict_chunks".into(), Self::Chunks(BareNewline::Reject)));
        all.push(("keep_chunks".into(), Self::Chunks(BareNewline::Keep)));
        all
    }
}

/// The buffers one shape's contenders use, allocated once.
struct Buffers {
    wire: Vec<u8>,
    /// Our input, as the session's input buffer.
    input: BytesMut,
    /// Our output for `unstuff_into`.
    out: BytesMut,
    /// Stalwart's input and output (and the plain copy's).
    stalwart_in: BytesMut,
    stalwart_out: Vec<u8>,
}

impl Buffers {
    fn new(wire: Vec<u8>) -> Self {
        let len = wire.len() + 2 * PAGE;
        Self {
            wire,
            input: BytesMut::with_capacity(len),
            out: BytesMut::with_capacity(len),
            stalwart_in: BytesMut::with_capacity(len),
            stalwart_out: Vec::with_capacity(len),
        }
    }

    /// Writes the output buffer over and the input afresh, as a read would, so that every
    /// contender starts alike: both in the cache as far as they fit. (Without the output's
    /// write, a contender whose output buffer the one before it had just used started warm,
    /// and one after a contender with another buffer cold.)
    fn setup(&mut self, contender: Contender) {
        let len = self.wire.len();
        match contender {
            Contender::Memcpy(delta) | Contender::Stalwart(delta) => {
                self.stalwart_out.clear();
                self.stalwart_out.resize(len, 0);
                let out = self.stalwart_out.as_ptr() as usize;
                refill(&mut self.stalwart_in, &self.wire, out, delta);
            }
            Contender::Contiguous(_, delta) => {
                self.out.clear();
                self.out.resize(len, 0);
                let out = self.out.as_ptr() as usize;
                refill(&mut self.input, &self.wire, out, delta);
            }
            Contender::Chunks(_) => refill(&mut self.input, &self.wire, 0, 0),
        }
    }

    /// The timed part; returns the body's length.
    fn run(&mut self, contender: Contender) -> usize {
        match contender {
            Contender::Memcpy(_) => {
                self.stalwart_out.clear();
                self.stalwart_out.extend_from_slice(&self.stalwart_in);
                self.stalwart_out.len()
            }
            Contender::Stalwart(_) => stalwart(&self.stalwart_in, &mut self.stalwart_out),
            Contender::Contiguous(policy, _) => contiguous(&mut self.input, &mut self.out, policy),
            Contender::Chunks(policy) => chunks(&mut self.input, policy),
        }
    }

    /// Times `iters` runs, each after its (untimed) setup.
    fn time(&mut self, contender: Contender, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            self.setup(contender);
            let start = Instant::now();
            black_box(self.run(contender));
            total += start.elapsed();
        }
        total
    }
}

fn unstuffing(c: &mut Criterion) {
    for (shape, body) in body_shapes(1 << 20) {
        let mut buffers = Buffers::new(stuffed(&body));
        let mut group = c.benchmark_group(format!("dot_unstuff/{shape}"));
        group.throughput(Throughput::Bytes(buffers.wire.len() as u64));
        for (name, contender) in Contender::all() {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| buffers.time(contender, iters))
            });
        }
        group.finish();
    }
}

/// Runs every contender once per round, interleaved, and prints medians and ratios.
fn rounds(count: usize, filter: Option<&str>) {
    println!(
        "| shape | contender | GB/s, median of {count} | × Stalwart same4k | × Stalwart apart |"
    );
    println!("|---|---|---|---|---|");
    for (shape, body) in body_shapes(1 << 20) {
        if filter.is_some_and(|f| !shape.contains(f)) {
            continue;
        }
        let mut buffers = Buffers::new(stuffed(&body));
        let only = std::env::var("DOT_ONLY").ok();
        let contenders: Vec<_> = Contender::all()
            .into_iter()
            .filter(|(name, _)| {
                name.starts_with("stalwart")
                    || only.as_deref().is_none_or(|only| name.contains(only))
            })
            .collect();
        let mut seconds = vec![Vec::with_capacity(count); contenders.len()];
        for _ in 0..count {
            for ((_, contender), times) in contenders.iter().zip(&mut seconds) {
                times.push(buffers.time(*contender, 1).as_secs_f64());
            }
        }
        let medians: Vec<f64> = benches::medians(&mut seconds);
        let median = |name: &str| {
            contenders
                .iter()
                .zip(&medians)
                .find(|((n, _), _)| n == name)
                .map_or(f64::NAN, |(_, m)| *m)
        };
        let (same, apart) = (median("stalwart/same4k"), median("stalwart/apart"));
        for ((name, _), m) in contenders.iter().zip(&medians) {
            println!(
                "| {shape} | {name} | {:.1} | {:.2} | {:.2} |",
                buffers.wire.len() as f64 / m / 1e9,
                same / m,
                apart / m
            );
        }
    }
}

fn main() {
    if let Ok(count) = std::env::var("DOT_ROUNDS") {
        let filter = std::env::var("DOT_SHAPE").ok();
        rounds(count.parse().unwrap_or(21), filter.as_deref());
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    unstuffing(&mut criterion);
    criterion.final_summary();
}
