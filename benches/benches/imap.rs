//! IMAP codec benchmarks beside imap-codec on the same bytes.
//!
//! Groups (each part adds its own functions to the `criterion_group!` list at the end):
//! - `imap_client_commands`: a client command stream as a server reads it (LOGIN, SELECT,
//!   UID FETCH with `BODY.PEEK[HEADER.FIELDS (...)]`, UID STORE, UID SEARCH, APPEND with a
//!   literal, IDLE and DONE), decoded command by command. Every contender reads the same
//!   bytes: `imap-proto/framed` is the server machine's path (the bytes in a `BytesMut`, the
//!   `Framer` cuts units without a copy, `Command::from_unit`); `imap-proto/decode` is
//!   `Command::decode(&[u8])`, which copies each unit into a `Bytes` the command owns;
//!   `imap-codec` is `CommandCodec::decode(&[u8])`, which borrows the input.
//! - `imap_fetch_stream`: 50 FETCH responses with FLAGS, INTERNALDATE, ENVELOPE and a nested
//!   BODYSTRUCTURE with extension data, beside djc's imap-proto and imap-codec.
//! - `imap_search_10k`: one `* SEARCH` with 10 000 numbers.
//! - `imap_literal_1mib`: a FETCH with a 1 MiB `BODY[]` literal, through the framer (streamed
//!   as zero-copy chunks) and as a whole unit, beside djc's slicing.
//! - `imap_byte_by_byte`: FETCH responses with small literals fed one octet at a time into one
//!   `BytesMut` and framed after every octet, 1 KiB, 64 KiB and 1 MiB of them: the time per
//!   octet (the throughput) must not depend on the size.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::decode::Decoder as _;
use imap_codec::{CommandCodec, IdleDoneCodec};
use imap_proto::Parsed;
use imap_proto::command::{Command, IdleDone};

/// One round of a client session: every command, then IDLE and its DONE.
fn command_round(n: usize) -> Vec<u8> {
    let message = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n"
        .to_owned()
        + &"Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n".repeat(30);
    let mut s = String::new();
    s += &format!("a{n}1 LOGIN alice \"correct horse battery staple\"\r\n");
    s += &format!("a{n}2 SELECT INBOX (CONDSTORE)\r\n");
    s += &format!(
        "a{n}3 UID FETCH 1:1000 (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS \
         (From To Cc Subject Date Message-ID References In-Reply-To)])\r\n"
    );
    s += &format!("a{n}4 UID STORE 10:20,25,31:33 +FLAGS.SILENT (\\Seen \\Answered)\r\n");
    s += &format!("a{n}5 UID SEARCH UNSEEN SINCE 1-Jan-2024 NOT DELETED FROM \"bob\"\r\n");
    s += &format!(
        "a{n}6 APPEND Sent (\\Seen) \" 7-Feb-2024 21:52:25 +0100\" {{{}}}\r\n{message}\r\n",
        message.len()
    );
    s += &format!("a{n}7 UID FETCH 42 (BODY.PEEK[1.2] BODYSTRUCTURE)\r\n");
    s += &format!("a{n}8 IDLE\r\n");
    s += "DONE\r\n";
    s += &format!("a{n}9 NOOP\r\n");
    s.into_bytes()
}

/// Decodes the stream with imap-proto; returns the number of commands.
fn ours(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        if input.starts_with(b"DONE")
            && let Ok(Parsed::Complete { consumed, .. }) = IdleDone::decode(input)
        {
            input = &input[consumed..];
            continue;
        }
        match Command::decode(input) {
            Ok(Parsed::Complete { value, consumed }) => {
                black_box(&value);
                input = &input[consumed..];
                n += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    n
}

/// Decodes the stream with imap-codec; returns the number of commands.
fn theirs(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        if input.starts_with(b"DONE") {
            let (rest, done) = IdleDoneCodec::default().decode(input).unwrap();
            black_box(&done);
            input = rest;
            continue;
        }
        match CommandCodec::default().decode(input) {
            Ok((rest, value)) => {
                black_box(&value);
                input = rest;
                n += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    n
}

/// Frames the stream as the server machine does (zero copy) and decodes every unit; returns
/// the number of commands.
fn ours_framed(buf: &mut bytes::BytesMut) -> usize {
    use imap_proto::command::DecodeOptions;
    use imap_proto::frame::{Frame, FrameLimits, Framer};
    let options = DecodeOptions::strict();
    let mut framer = Framer::commands(FrameLimits::from_limits(&Default::default(), true));
    let mut n = 0;
    while let Some(frame) = framer.next_frame(buf) {
        match frame {
            Frame::Unit(unit) => {
                if unit.bytes().starts_with(b"DONE") {
                    black_box(IdleDone::decode(unit.bytes()).unwrap());
                    continue;
                }
                black_box(Command::from_unit(&unit, &options).unwrap());
                n += 1;
            }
            // The server answers `+` and the client sends the data, already in the buffer.
            Frame::LiteralAnnounced { .. } => {
                framer.accept_literal();
            }
            other => panic!("{other:?}"),
        }
    }
    n
}

fn imap_client_commands(c: &mut Criterion) {
    let stream: Vec<u8> = (0..10).flat_map(command_round).collect();
    assert_eq!(ours(&stream), theirs(&stream));
    assert_eq!(
        ours_framed(&mut bytes::BytesMut::from(&stream[..])),
        theirs(&stream)
    );
    let mut g = c.benchmark_group("imap_client_commands");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("imap-proto/framed", |b| {
        b.iter_batched_ref(
            || bytes::BytesMut::from(&stream[..]),
            ours_framed,
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("imap-proto/decode", |b| b.iter(|| ours(black_box(&stream))));
    g.bench_function("imap-codec", |b| b.iter(|| theirs(black_box(&stream))));
    g.finish();
}

// ---- responses (client side): FETCH stream, 10k SEARCH, 1 MiB literal -----------------------

/// One realistic FETCH response: flags, size, date, an ENVELOPE and a multipart
/// BODYSTRUCTURE with extension data (text, html, a PDF attachment).
fn fetch_response(n: usize) -> Vec<u8> {
    format!(
        "* {n} FETCH (UID {uid} RFC822.SIZE {size} FLAGS (\\Seen $Forwarded) INTERNALDATE \
         \"17-Jul-2024 02:44:25 -0700\" ENVELOPE (\"Wed, 17 Jul 2024 02:23:25 -0700\" \
         \"Re: quarterly report {n}\" ((\"Alice Example\" NIL \"alice\" \"example.org\")) \
         ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \
         \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.com\")(NIL NIL \"carol\" \
         \"example.net\")) NIL NIL \"<prev-{n}@example.org>\" \"<msg-{n}@example.org>\") \
         BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \
         \"QUOTED-PRINTABLE\" 1315 42 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") \
         NIL NIL \"QUOTED-PRINTABLE\" 4205 80 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \
         \"=_alt_{n}\") NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \
         \"BASE64\" 245000 NIL (\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\")) NIL NIL) \"MIXED\" \
         (\"BOUNDARY\" \"=_mixed_{n}\") NIL NIL NIL))\r\n",
        uid = 40000 + n,
        size = 250_000 + n,
    )
    .into_bytes()
}

/// Decodes a stream of responses with imap-proto; returns the count.
fn responses_ours(mut input: &[u8]) -> usize {
    use imap_proto::response::Response;
    let mut n = 0;
    while !input.is_empty() {
        match Response::decode(input) {
            Ok(Parsed::Complete { value, consumed }) => {
                black_box(&value);
                input = &input[consumed..];
                n += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    n
}

/// The same with djc's imap-proto.
fn responses_djc(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        match djc_imap_proto::Response::parse(input) {
            Ok((rest, value)) => {
                black_box(&value);
                input = rest;
                n += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    n
}

/// The same with imap-codec.
fn responses_codec(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        match imap_codec::ResponseCodec::default().decode(input) {
            Ok((rest, value)) => {
                black_box(&value);
                input = rest;
                n += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    n
}

fn imap_fetch_stream(c: &mut Criterion) {
    let stream: Vec<u8> = (1..=50).flat_map(fetch_response).collect();
    assert_eq!(responses_ours(&stream), 50);
    assert_eq!(responses_djc(&stream), 50);
    assert_eq!(responses_codec(&stream), 50);
    let mut g = c.benchmark_group("imap_fetch_stream");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("imap-proto", |b| {
        b.iter(|| responses_ours(black_box(&stream)))
    });
    g.bench_function("djc-imap-proto", |b| {
        b.iter(|| responses_djc(black_box(&stream)))
    });
    g.bench_function("imap-codec", |b| {
        b.iter(|| responses_codec(black_box(&stream)))
    });
    g.finish();
}

fn imap_search_10k(c: &mut Criterion) {
    let mut line = b"* SEARCH".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..10_000 {
        // A deterministic spread of 1..=99999 (about 60 KB, under the 64 KiB line limit).
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        line.extend_from_slice(format!(" {}", 1 + (x >> 8) % 99_999).as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    assert_eq!(responses_ours(&line), 1);
    assert_eq!(responses_djc(&line), 1);
    assert_eq!(responses_codec(&line), 1);
    let mut g = c.benchmark_group("imap_search_10k");
    g.throughput(Throughput::Bytes(line.len() as u64));
    g.bench_function("imap-proto", |b| {
        b.iter(|| responses_ours(black_box(&line)))
    });
    g.bench_function("djc-imap-proto", |b| {
        b.iter(|| responses_djc(black_box(&line)))
    });
    g.bench_function("imap-codec", |b| {
        b.iter(|| responses_codec(black_box(&line)))
    });
    g.finish();
}

fn imap_literal_1mib(c: &mut Criterion) {
    use bytes::{Bytes, BytesMut};
    use imap_proto::command::DecodeOptions;
    use imap_proto::frame::{Frame, FrameLimits, Framer};
    use imap_proto::response::Response;

    let body: Vec<u8> = (0..1 << 20).map(|k| b"abcdefghij\r\n"[k % 12]).collect();
    let mut input = format!("* 1 FETCH (UID 7 BODY[] {{{}}}\r\n", body.len()).into_bytes();
    input.extend_from_slice(&body);
    input.extend_from_slice(b")\r\n");
    let unit = Bytes::from(input.clone());
    let options = DecodeOptions::strict();
    assert_eq!(responses_djc(&input), 1);
    let mut g = c.benchmark_group("imap_literal_1mib");
    g.throughput(Throughput::Bytes(input.len() as u64));
    // The session's path: the framer streams the literal as zero-copy chunks (it is above
    // the 64 KiB threshold) and the grammar parses the unit around it.
    g.bench_function("imap-proto/framed", |b| {
        b.iter_batched(
            || BytesMut::from(&input[..]),
            |mut buf| {
                let mut framer =
                    Framer::responses(FrameLimits::from_limits(&Default::default(), true));
                // Frames are returned, so that freeing the 1 MiB buffer is not timed.
                let mut frames = Vec::with_capacity(8);
                while let Some(frame) = framer.next_frame(&mut buf) {
                    if let Frame::Unit(unit) = &frame {
                        black_box(Response::from_unit(unit, &options).unwrap());
                    }
                    frames.push(frame);
                }
                (buf, frames)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // A unit kept whole (literal in place): the grammar slices it and checks it for NUL.
    g.bench_function("imap-proto/whole-unit", |b| {
        b.iter(|| black_box(Response::from_bytes(black_box(&unit), &options).unwrap()))
    });
    g.bench_function("djc-imap-proto", |b| {
        b.iter(|| responses_djc(black_box(&input)))
    });
    g.bench_function("imap-codec", |b| {
        b.iter(|| responses_codec(black_box(&input)))
    });
    g.finish();
}

/// FETCH responses, each with a 100-octet `BODY[HEADER]` literal, repeated to `size` octets.
fn small_literal_stream(size: usize) -> Vec<u8> {
    let header = "Subject: x\r\n".repeat(9) + "From: a@example.org\r\n\r\n";
    let header = &header[..100];
    let mut out = Vec::with_capacity(size + 256);
    let mut n = 1;
    while out.len() < size {
        out.extend_from_slice(
            format!(
                "* {n} FETCH (UID {n} FLAGS (\\Seen) BODY[HEADER] {{{}}}\r\n{header})\r\n",
                header.len()
            )
            .as_bytes(),
        );
        n += 1;
    }
    out
}

/// Feeds `input` one octet at a time into one buffer, framing after each; returns the number
/// of units.
fn feed_byte_by_byte(input: &[u8]) -> usize {
    use bytes::BytesMut;
    use imap_proto::frame::{Frame, FrameLimits, Framer};
    let mut framer = Framer::responses(FrameLimits::from_limits(&Default::default(), true));
    let mut buf = BytesMut::with_capacity(4096);
    let mut units = 0;
    for &b in input {
        buf.extend_from_slice(&[b]);
        while let Some(frame) = framer.next_frame(&mut buf) {
            if let Frame::Unit(unit) = frame {
                black_box(&unit);
                units += 1;
            }
        }
    }
    units
}

fn imap_byte_by_byte(c: &mut Criterion) {
    let mut g = c.benchmark_group("imap_byte_by_byte");
    for (name, size) in [("1KiB", 1 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let input = small_literal_stream(size);
        let responses = input.windows(8).filter(|w| w == b" FETCH (").count();
        assert_eq!(feed_byte_by_byte(&input), responses);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| b.iter(|| feed_byte_by_byte(black_box(&input))));
    }
    g.finish();
}

criterion_group!(
    benches,
    imap_client_commands,
    imap_fetch_stream,
    imap_search_10k,
    imap_literal_1mib,
    imap_byte_by_byte
);
criterion_main!(benches);
