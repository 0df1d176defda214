//! Allocation counts and idle memory, proven exactly with a counting allocator
//! (`benches::counting`): allocations are deterministic, so these are tests, not benches.
//!
//! - SMTP `Command::decode` allocates nothing per command on a pipelined stream with VRFY,
//!   NOOP and HELP arguments (the issue measured 0.31 per command with VRFY and AUTH, Stalwart
//!   0.08). Text arguments are kept inline up to 22 octets; an AUTH initial response longer
//!   than that (most are: PLAIN of a real address and password is about 40) costs exactly one
//!   allocation, which is counted separately.
//! - A whole SMTP `Server` in one long pipelined session (EHLO, then transactions of MAIL,
//!   RCPT with DSN parameters, DATA with a body, RSET, NOOP, VRFY) allocates nothing per
//!   command once warm.
//! - An idle `Server` of each protocol, right after its greeting was taken: `size_of` plus
//!   the heap it owns stays within 1 KiB for SMTP, POP3 and IMAP.
//!
//! `cargo test -p benches --test alloc -- --nocapture` prints the numbers;
//! `MAILSANSIO_ALLOC_TRACE=1` adds a backtrace for every allocation counted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Instant;

use benches::counting::{self, Counting};
use mail_sansio::{Parsed, Session};

#[global_allocator]
static ALLOC: Counting = Counting;

/// A pipelined command stream with every common verb, VRFY and a short AUTH among them.
const STREAM: &[u8] = b"EHLO client.example.org\r\n\
MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME\r\n\
RCPT TO:<alice@example.com>\r\n\
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n\
DATA\r\n\
RSET\r\n\
VRFY postmaster\r\n\
HELP MAIL\r\n\
AUTH PLAIN AGEAc2VjcmV0\r\n\
NOOP\r\n\
QUIT\r\n";

/// Decodes `stream` command by command; returns (commands, allocations).
fn decode_all(stream: &[u8]) -> (u64, u64) {
    let before = counting::snapshot();
    let commands = counting::trace(|| {
        let mut rest = stream;
        let mut n = 0u64;
        while let Ok(Parsed::Complete { value, consumed }) = smtp_proto::Command::decode(rest) {
            std::hint::black_box(&value);
            drop(value);
            rest = &rest[consumed..];
            n += 1;
        }
        n
    });
    (commands, counting::snapshot().allocs - before.allocs)
}

#[test]
fn smtp_decoder_allocates_nothing_per_command() {
    let (commands, allocs) = decode_all(&STREAM.repeat(16));
    assert_eq!(commands, 176);
    println!(
        "smtp decoder: {allocs} allocations for {commands} commands ({:.3} per command)",
        allocs as f64 / commands as f64
    );
    assert_eq!(allocs, 0, "allocations in Command::decode");
    // A realistic AUTH PLAIN (a full address and password): one allocation for its response.
    let auth = b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGNvcnJlY3QgaG9yc2U=\r\n".repeat(16);
    let (commands, allocs) = decode_all(&auth);
    println!(
        "smtp decoder: {allocs} allocations for {commands} AUTH commands with a 44-octet response"
    );
    assert_eq!((commands, allocs), (16, 16));
}

/// One transaction of the long session: pipelined envelope, a body, then more commands.
fn transaction(body: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(
        b"MAIL FROM:<sender@example.org> SIZE=4096 BODY=8BITMIME\r\n\
RCPT TO:<alice@example.com>\r\n\
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n\
DATA\r\n",
    );
    t.extend_from_slice(body);
    t.extend_from_slice(b"RSET\r\nNOOP\r\nVRFY postmaster\r\nNOOP hello\r\n");
    t
}

const COMMANDS_PER_TRANSACTION: u64 = 8;

/// Feeds `wire` whole, accepts every decision, drains the output. Returns the events seen.
fn run_smtp(server: &mut smtp_proto::Server, now: Instant, wire: &[u8]) -> u64 {
    use smtp_proto::ServerEvent;
    server.handle_input(now, wire);
    let mut events = 0;
    loop {
        while let Some(out) = server.poll_transmit() {
            std::hint::black_box(out);
        }
        match server.poll_event() {
            Ok(Some(event)) => {
                events += 1;
                if let ServerEvent::BodyChunk(chunk) = &event {
                    std::hint::black_box(chunk);
                }
                if let Some(token) = event.token() {
                    server.accept(token).unwrap();
                }
            }
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    while let Some(out) = server.poll_transmit() {
        std::hint::black_box(out);
    }
    events
}

fn smtp_config() -> smtp_proto::ServerConfig {
    let mut config = smtp_proto::ServerConfig::strict(
        smtp_proto::types::Domain::try_from("mx.example.com").unwrap(),
    );
    config.tls = smtp_proto::TlsMode::Implicit;
    config.allow_unnegotiated_pipelining = true;
    config.extensions.vrfy = true;
    config
}

#[test]
fn smtp_server_allocates_nothing_per_command_in_a_long_session() {
    #[allow(clippy::disallowed_methods, reason = "a fixed starting point")]
    let now = Instant::now();
    let body = benches::stuffed(&benches::message_body(4096));
    let txn = transaction(&body);
    let mut server = smtp_proto::Server::new(smtp_config(), now);
    run_smtp(&mut server, now, b"EHLO client.example.org\r\n");
    // Warm up: buffers reach their working size.
    for _ in 0..4 {
        run_smtp(&mut server, now, &txn);
    }
    let rounds = 64;
    let before = counting::snapshot();
    counting::trace(|| {
        for _ in 0..rounds {
            run_smtp(&mut server, now, &txn);
        }
    });
    let allocs = counting::snapshot().allocs - before.allocs;
    let commands = rounds * COMMANDS_PER_TRANSACTION;
    println!(
        "smtp server: {allocs} allocations for {commands} commands ({:.3} per command)",
        allocs as f64 / commands as f64
    );
    assert!(!server.is_closed());
    assert_eq!(allocs, 0, "allocations in the Server's steady state");
}

/// `size_of` plus the heap a session allocated, built by `make` with its configuration
/// already built, after its greeting was taken. Returns (size_of, heap).
fn idle<S: Session>(make: impl FnOnce() -> S) -> (usize, i64, S) {
    let before = counting::snapshot().live;
    let mut session = counting::trace(make);
    while let Some(out) = session.poll_transmit() {
        std::hint::black_box(out);
    }
    let heap = counting::snapshot().live - before;
    (std::mem::size_of::<S>(), heap, session)
}

fn report(name: &str, size: usize, heap: i64, config_heap: i64) {
    println!(
        "idle {name} server: size_of {size} + heap {heap} = {} bytes (its configuration owns {config_heap} more on the heap)",
        size as i64 + heap
    );
}

/// Heap bytes that building `f`'s value leaves live.
fn heap_of<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let before = counting::snapshot().live;
    let value = f();
    (value, counting::snapshot().live - before)
}

#[allow(clippy::disallowed_methods, reason = "a fixed starting point")]
fn now() -> Instant {
    Instant::now()
}

#[test]
fn idle_smtp_server_fits_in_1_kib() {
    let now = now();
    let (config, config_heap) = heap_of(smtp_config);
    let (size, heap, server) = idle(|| smtp_proto::Server::new(config, now));
    report("SMTP", size, heap, config_heap);
    drop(server);
    assert!(size as i64 + heap <= 1024);
}

#[test]
fn idle_pop3_server_fits_in_1_kib() {
    let now = now();
    let (config, config_heap) =
        heap_of(|| pop3_proto::ServerConfig::new(pop3_proto::TlsMode::Implicit));
    let (size, heap, server) = idle(|| pop3_proto::Server::new(config, now));
    report("POP3", size, heap, config_heap);
    drop(server);
    assert!(size as i64 + heap <= 1024);
}

#[test]
fn idle_imap_server_fits_in_1_kib() {
    let now = now();
    let (config, config_heap) =
        heap_of(|| imap_proto::ServerConfig::strict(imap_proto::TlsMode::Implicit));
    let (size, heap, server) = idle(|| imap_proto::Server::new(config, now));
    report("IMAP", size, heap, config_heap);
    drop(server);
    assert!(size as i64 + heap <= 1024);
}

#[test]
fn smtp_server_answers_out_of_order_without_allocating() {
    use smtp_proto::ServerEvent;
    let now = now();
    let mut server = smtp_proto::Server::new(smtp_config(), now);
    run_smtp(&mut server, now, b"EHLO client.example.org\r\n");
    let mut tokens = Vec::with_capacity(8);
    let mut round = |server: &mut smtp_proto::Server| {
        run_smtp(server, now, b"MAIL FROM:<sender@example.org>\r\n");
        // Pipelined RCPTs are read while earlier ones are undecided; answer the last first,
        // so every reply but one waits behind another.
        server.handle_input(
            now,
            b"RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\n",
        );
        while let Ok(Some(event)) = server.poll_event() {
            if let ServerEvent::Rcpt { token, .. } = event {
                tokens.push(token);
            }
        }
        assert_eq!(tokens.len(), 3);
        while let Some(token) = tokens.pop() {
            server.accept(token).unwrap();
        }
        run_smtp(server, now, b"RSET\r\n");
    };
    for _ in 0..4 {
        round(&mut server);
    }
    let before = counting::snapshot();
    counting::trace(|| {
        for _ in 0..64 {
            round(&mut server);
        }
    });
    let allocs = counting::snapshot().allocs - before.allocs;
    println!("smtp server, answers out of order: {allocs} allocations for 320 commands");
    assert_eq!(allocs, 0);
}
