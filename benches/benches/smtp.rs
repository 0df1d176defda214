//! SMTP: our codec and server beside Stalwart's `smtp-proto` 0.2 on the same bytes.
//!
//! - `smtp_commands`: a pipelined command stream (EHLO, MAIL with SIZE and BODY, two RCPT of
//!   which one has NOTIFY/ORCPT, DATA, RSET, NOOP, QUIT) parsed command by command: our
//!   `Command::decode` beside Stalwart's `Request::parse`. Same work on both sides: each finds
//!   the line end in a byte slice and parses every command fully, and each result is observed
//!   in place through `black_box(&result)` and dropped. Values are materialised the way each
//!   API gives them: ours are owned (`Command` outlives the input buffer), Stalwart's are
//!   `Cow<str>` borrowed from the input where no unescaping is needed, so any copy we make is
//!   on our side of the ledger. (An earlier version moved our command out of `Parsed` into a
//!   local before observing it, a copy of the whole enum that Stalwart's loop did not make.)
//! - `smtp_reply`: an 8-line EHLO reply (169 octets), decoded whole from one slice; each side
//!   drops its result inside the timed loop. `ours_reply`: `Reply::decode` frames and checks
//!   every line (CRLF, same code on every line, enhanced status codes, the default
//!   `ReplyLimits`) and returns an owned `Reply` (one allocation: the bytes and a table of line
//!   spans). `stalwart_reply`: `ResponseReceiver::parse` returns a `Response<String>` whose
//!   message is the lines' text joined with LF in one `String`. `ours_ehlo`:
//!   `EhloReply::decode` frames the reply the same way and builds the domain and greeting (one
//!   string), a `Vec` of typed capabilities and AUTH's `Vec<MechanismName>` (each name is its
//!   own allocation in mail-sansio): five allocations. `stalwart_ehlo`:
//!   `EhloResponse::<String>::parse` keeps the host name (one `String`) and records extensions
//!   and AUTH mechanisms as bit flags, SIZE as a number.
//! - `smtp_transcript`: a whole session with a 4 KiB message through our `Server` (framing,
//!   parsing, state, replies, unstuffing), beside Stalwart's receivers on the same bytes
//!   (parsing and unstuffing only: it has no state machine).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail_sansio::Session;
use smtp_proto::types::Domain;
use smtp_proto::{Command, EhloReply, Parsed, Reply, Server, ServerConfig, ServerEvent, TlsMode};
use stalwart_smtp_proto as stalwart;

const GROUP: &[u8] = b"EHLO client.example.org\r\n\
MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME\r\n\
RCPT TO:<alice@example.com>\r\n\
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n\
DATA\r\n\
RSET\r\n\
NOOP\r\n\
QUIT\r\n";
const PER_GROUP: u64 = 8;
const REPEAT: usize = 64;

const EHLO: &[u8] = b"250-mx.example.com Hello client.example.org\r\n\
250-PIPELINING\r\n\
250-SIZE 52428800\r\n\
250-8BITMIME\r\n\
250-SMTPUTF8\r\n\
250-CHUNKING\r\n\
250-ENHANCEDSTATUSCODES\r\n\
250 AUTH PLAIN LOGIN\r\n";

fn commands(c: &mut Criterion) {
    let stream = GROUP.repeat(REPEAT);
    let mut group = c.benchmark_group("smtp_commands");
    group.throughput(Throughput::Elements(PER_GROUP * REPEAT as u64));
    group.bench_function("ours", |b| {
        b.iter(|| {
            let mut rest = black_box(&stream[..]);
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
            assert_eq!(n, PER_GROUP as usize * REPEAT);
        })
    });
    group.bench_function("stalwart", |b| {
        b.iter(|| {
            let mut iter = black_box(&stream[..]).iter();
            let mut n = 0;
            while iter.len() > 0 {
                let r = stalwart::Request::parse(&mut iter);
                black_box(&r);
                assert!(r.is_ok());
                n += 1;
            }
            assert_eq!(n, PER_GROUP as usize * REPEAT);
        })
    });
    group.finish();
}

fn replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("smtp_reply");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ours_reply", |b| {
        b.iter(|| black_box(Reply::decode(black_box(EHLO)).unwrap()))
    });
    group.bench_function("ours_ehlo", |b| {
        b.iter(|| black_box(EhloReply::decode(black_box(EHLO)).unwrap()))
    });
    group.bench_function("stalwart_reply", |b| {
        b.iter(|| {
            let mut r = stalwart::response::parser::ResponseReceiver::default();
            black_box(r.parse(&mut black_box(EHLO).iter()).unwrap())
        })
    });
    group.bench_function("stalwart_ehlo", |b| {
        b.iter(|| {
            black_box(stalwart::EhloResponse::<String>::parse(&mut black_box(EHLO).iter()).unwrap())
        })
    });
    group.finish();
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
    let mut config = ServerConfig::strict(Domain::try_from("mx.example.com").unwrap());
    config.tls = TlsMode::Implicit;
    config.allow_unnegotiated_pipelining = true;
    #[allow(
        clippy::disallowed_methods,
        reason = "a bench harness is a driver; the clock is only a starting point"
    )]
    let start = Instant::now();
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

criterion_group!(benches, commands, replies, transcript);
criterion_main!(benches);
