//! SMTP: our codec and server beside Stalwart's `smtp-proto` 0.2 on the same bytes.
//!
//! - `smtp_commands`: a pipelined command stream, 64 groups of EHLO, MAIL with SIZE and BODY,
//!   two RCPT of which one has NOTIFY/ORCPT, RSET and NOOP (384 commands, 12.7 KiB), parsed
//!   command by command. The group has no DATA (a server would read what follows it as a body)
//!   and no QUIT, so a `Server` can be fed exactly these bytes too, again and again.
//!   - `ours`: `Command::decode`, owned values (`Command` outlives the input buffer).
//!   - `ours_ref`: `CommandRef::decode`, the borrowed parse the `Server` uses: paths, domains
//!     and parameter values are views into the input, typed as far as `Command` is, and every
//!     check `Command::decode` makes is made (an owned `Command` is built from it with
//!     `CommandRef::into_owned` only when needed).
//!   - `stalwart`: `Request::parse`, whose values are `Cow<str>` borrowed from the input where
//!     no unescaping is needed, like `ours_ref`.
//!
//!   Same work on every side: each finds the line end in a byte slice and parses every
//!   command fully, and each result is observed in place through `black_box(&result)` and
//!   dropped. (An earlier version moved our command out of `Parsed` into a local before
//!   observing it, a copy of the whole enum that Stalwart's loop did not make.)
//! - `smtp_commands/server`: the same bytes through our whole `Server` in one `handle_input`,
//!   driven as a real driver does: `poll_event` until `None`, accepting every decision
//!   (EHLO, MAIL, RCPT), then `poll_transmit` until `None`. It frames, parses, checks the
//!   sequence, raises owned events and writes every reply. One server reads the stream over
//!   and over, a long pipelined session in its steady state (its buffers have their working
//!   size). Compare it with `ours` and `ours_ref` (the goal is at least half the bare
//!   decoder's throughput).
//! - `smtp_transcript`: a whole session with a 4 KiB message through our `Server` (framing,
//!   parsing, state, replies, unstuffing), beside Stalwart's receivers on the same bytes
//!   (parsing and unstuffing only: it has no state machine).
//!
//! The EHLO and reply decoders are compared in `ehlo.rs`.
//!
//! With `SMTP_ROUNDS=n` in the environment the bench instead times the four `smtp_commands`
//! contenders on a batch of streams once per round, interleaved, for `n` rounds, and prints
//! the median time per command and the ratios of the goals (decoder against Stalwart, server
//! against the decoder), which is steadier than separate runs on a busy machine.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use mail_sansio::Session;
use smtp_proto::types::Domain;
use smtp_proto::{Command, CommandRef, Parsed, Server, ServerConfig, ServerEvent, TlsMode};
use stalwart_smtp_proto as stalwart;

const GROUP: &[u8] = b"EHLO client.example.org\r\n\
MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME\r\n\
RCPT TO:<alice@example.com>\r\n\
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n\
RSET\r\n\
NOOP\r\n";
const PER_GROUP: usize = 6;
const REPEAT: usize = 64;
/// Commands in the stream.
const COMMANDS: usize = PER_GROUP * REPEAT;

/// The command stream of `smtp_commands`.
fn command_stream() -> Vec<u8> {
    GROUP.repeat(REPEAT)
}

fn server_config() -> ServerConfig {
    let mut config = ServerConfig::strict(Domain::try_from("mx.example.com").unwrap());
    config.tls = TlsMode::Implicit;
    config.allow_unnegotiated_pipelining = true;
    config
}

/// `Command::decode` over the stream; returns the commands decoded.
fn ours(stream: &[u8]) -> usize {
    let mut rest = black_box(stream);
    let mut n = 0;
    loop {
        // Observed in place, like Stalwart's result below: moving the command out of
        // `Parsed` would time a copy Stalwart's loop does not make.
        let r = Command::decode(rest);
        black_box(&r);
        let Ok(Parsed::Complete { consumed, .. }) = r else {
            break;
        };
        rest = &rest[consumed..];
        n += 1;
    }
    n
}

/// `CommandRef::decode` over the stream; returns the commands decoded.
fn ours_ref(stream: &[u8]) -> usize {
    let mut rest = black_box(stream);
    let mut n = 0;
    loop {
        let r = CommandRef::decode(rest);
        black_box(&r);
        let Ok(Parsed::Complete { consumed, .. }) = r else {
            break;
        };
        rest = &rest[consumed..];
        n += 1;
    }
    n
}

/// Stalwart's `Request::parse` over the stream; returns the commands parsed.
fn stalwart(stream: &[u8]) -> usize {
    let mut iter = black_box(stream).iter();
    let mut n = 0;
    while iter.len() > 0 {
        let r = stalwart::Request::parse(&mut iter);
        black_box(&r);
        assert!(r.is_ok());
        n += 1;
    }
    n
}

#[allow(
    clippy::disallowed_methods,
    reason = "a bench harness is a driver; the clock is only a starting point"
)]
fn start() -> Instant {
    Instant::now()
}

/// Checks that every contender reads the whole stream, and the server answers every command.
fn check(stream: &[u8], config: &ServerConfig, start: Instant) {
    assert_eq!(ours(stream), COMMANDS);
    assert_eq!(ours_ref(stream), COMMANDS);
    assert_eq!(stalwart(stream), COMMANDS);
    let mut s = Server::new(config.clone(), start);
    let mut ehlo = bytes::BytesMut::new();
    config.ehlo_reply(true, false).encode(&mut ehlo);
    let ehlo_lines = ehlo.iter().filter(|&&b| b == b'\n').count();
    let mut greeting = true;
    for _ in 0..3 {
        let mut sent = Vec::new();
        let events = serve(&mut s, start, stream, |out| sent.extend_from_slice(out));
        assert_eq!(events, 4 * REPEAT);
        assert_eq!(
            sent.iter().filter(|&&b| b == b'\n').count(),
            usize::from(greeting) + REPEAT * (ehlo_lines + PER_GROUP - 1)
        );
        assert!(!s.is_closed());
        greeting = false;
    }
}

fn commands(c: &mut Criterion) {
    let stream = command_stream();
    let config = server_config();
    let start = start();
    check(&stream, &config, start);
    let mut group = c.benchmark_group("smtp_commands");
    group.throughput(Throughput::Elements(COMMANDS as u64));
    group.bench_function("ours", |b| b.iter(|| ours(&stream)));
    group.bench_function("ours_ref", |b| b.iter(|| ours_ref(&stream)));
    group.bench_function("stalwart", |b| b.iter(|| stalwart(&stream)));
    let mut s = Server::new(config.clone(), start);
    group.bench_function("server", |b| {
        b.iter(|| {
            let mut sent = 0;
            black_box(serve(&mut s, start, black_box(&stream), |out| {
                sent += out.len()
            }));
            black_box(sent)
        })
    });
    group.finish();
}

/// `SMTP_ROUNDS=n`: each contender timed on a batch of streams once per round, interleaved,
/// for `n` rounds; prints the median time per command and the ratios the goals name.
fn rounds(count: usize) {
    /// Streams per timed batch (each 384 commands).
    const BATCH: usize = 200;
    let stream = command_stream();
    let config = server_config();
    let start = start();
    check(&stream, &config, start);
    let mut server = Server::new(config.clone(), start);
    let mut time = |i: usize| -> f64 {
        let t = start.elapsed();
        for _ in 0..BATCH {
            black_box(match i {
                0 => ours(&stream),
                1 => ours_ref(&stream),
                2 => stalwart(&stream),
                _ => serve(&mut server, start, black_box(&stream), |out| {
                    black_box(out);
                }),
            });
        }
        (start.elapsed() - t).as_secs_f64() * 1e9 / (BATCH * COMMANDS) as f64
    };
    let mut ns: Vec<Vec<f64>> = (0..4).map(|_| Vec::with_capacity(count)).collect();
    for _ in 0..count {
        for (i, times) in ns.iter_mut().enumerate() {
            times.push(time(i));
        }
    }
    let m: Vec<f64> = benches::medians(&mut ns);
    println!("| ns per command | ours | ours_ref | stalwart | server |");
    println!("|---|---|---|---|---|");
    println!(
        "| median of {count} | {:.1} | {:.1} | {:.1} | {:.1} |",
        m[0], m[1], m[2], m[3]
    );
    println!(
        "stalwart/ours {:.2}x, stalwart/ours_ref {:.2}x, server throughput {:.0}% of ours, {:.0}% of ours_ref",
        m[2] / m[0],
        m[2] / m[1],
        100.0 * m[0] / m[3],
        100.0 * m[1] / m[3]
    );
}

/// The driver loop over `wire` fed whole: accepts every decision and hands each output to
/// `sent`. Returns the number of events.
fn serve(s: &mut Server, now: Instant, wire: &[u8], mut sent: impl FnMut(&[u8])) -> usize {
    s.handle_input(now, wire);
    let mut events = 0;
    while let Ok(Some(event)) = s.poll_event() {
        events += 1;
        if let Some(token) = event.token() {
            s.accept(token).unwrap();
        }
    }
    while let Some(out) = s.poll_transmit() {
        sent(&out);
    }
    events
}

fn transcript_bytes() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"EHLO client.example.org\r\n");
    for _ in 0..4 {
        t.extend_from_slice(b"MAIL FROM:<sender@example.org> SIZE=4096\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
        t.extend_from_slice(&benches::stuffed(&benches::message_body(4096)));
    }
    t.extend_from_slice(b"QUIT\r\n");
    t
}

fn transcript(c: &mut Criterion) {
    let wire = transcript_bytes();
    let config = server_config();
    let start = start();
    let mut group = c.benchmark_group("smtp_transcript");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("ours_server", |b| {
        b.iter(|| {
            let mut s = Server::new(config.clone(), start);
            s.handle_input(start, black_box(&wire));
            let mut body = 0;
            loop {
                match s.poll_event() {
                    Ok(Some(ServerEvent::BodyChunk(c))) => body += c.len(),
                    Ok(Some(event)) => {
                        if let Some(token) = event.token() {
                            s.accept(token).unwrap();
                        }
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            while let Some(out) = s.poll_transmit() {
                black_box(out);
            }
            assert!(s.is_closed());
            black_box(body)
        })
    });
    let mut out = Vec::with_capacity(8192);
    group.bench_function("stalwart_receivers", |b| {
        b.iter(|| {
            let mut iter = black_box(&wire[..]).iter();
            let mut requests = stalwart::request::receiver::RequestReceiver::default();
            let mut body = 0;
            while iter.len() > 0 {
                match requests.ingest(&mut iter) {
                    Ok(stalwart::Request::Data) => {
                        let mut data = stalwart::request::receiver::DataReceiver::new();
                        out.clear();
                        while !data.ingest(&mut iter, &mut out) {}
                        body += out.len();
                    }
                    Ok(r) => {
                        black_box(r);
                    }
                    Err(_) => break,
                }
            }
            black_box(body)
        })
    });
    group.finish();
}

fn main() {
    if let Ok(count) = std::env::var("SMTP_ROUNDS") {
        rounds(count.parse().unwrap_or(21));
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    commands(&mut criterion);
    transcript(&mut criterion);
    criterion.final_summary();
}
