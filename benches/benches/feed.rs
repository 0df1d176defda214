//! Byte-by-byte feeding against one buffer, every machine: the same session bytes fed to a
//! machine in one `handle_input` call (`whole`) and one octet per call (`bytewise`), each
//! followed by the driver's run loop (`poll_event` to `None`, answering decisions, and
//! `poll_transmit` to `None`). Sizes 1 KiB, 64 KiB and 1 MiB; the goal is `bytewise` at most
//! 3× slower per byte than `whole`, the same at every size (no rescans, no compaction costs
//! that grow with the buffer).
//!
//! The sessions are command streams (servers) and reply streams (clients), pipelined as a
//! real peer sends them. For POP3 the client also reads a RETR body (multi-line answer); the
//! IMAP client reads a FETCH stream, one 512-octet body in a literal per response.
//!
//! Ratios: compare `bytewise` and `whole` of the same machine and size in the same run.
//!
//! The IMAP client does not meet the 3× goal: whole, it reads a FETCH stream at under 1 ns
//! per octet (a literal kept whole is sliced out of the input, never scanned), while one
//! octet per call costs about 11 ns (the three `Session` calls and the framer's dispatch on
//! its state), flat from 1 KiB to 1 MiB: about 12–20× in one run on 2 shared cores.

#![allow(clippy::disallowed_methods, clippy::unwrap_used)] // one real instant; bench setup

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mail_sansio::Session;

const SIZES: [(usize, &str); 3] = [(1 << 10, "1KiB"), (64 << 10, "64KiB"), (1 << 20, "1MiB")];

/// `head`, then `unit` repeated until the stream is at least `size` octets.
fn stream(head: &[u8], unit: &[u8], size: usize) -> Vec<u8> {
    let mut s = head.to_vec();
    while s.len() < size {
        s.extend_from_slice(unit);
    }
    s
}

/// Feeds `wire` in pieces of `piece` octets, running the driver loop after each; `answer`
/// handles each event. Returns the octets transmitted.
fn drive<S: Session>(
    session: &mut S,
    now: Instant,
    wire: &[u8],
    piece: usize,
    mut answer: impl FnMut(&mut S, S::Event),
) -> usize {
    let mut sent = 0;
    for chunk in wire.chunks(piece) {
        session.handle_input(now, chunk);
        while let Ok(Some(event)) = session.poll_event() {
            answer(session, event);
        }
        while let Some(out) = session.poll_transmit() {
            sent += out.len();
        }
    }
    sent
}

/// Benches `make` then `drive` over `wire` whole and byte by byte, for each size.
fn feed<S: Session>(
    c: &mut Criterion,
    name: &str,
    wire: impl Fn(usize) -> Vec<u8>,
    make: impl Fn(Instant) -> S,
    answer: impl Fn(&mut S, S::Event) + Copy,
) {
    let now = Instant::now();
    let mut group = c.benchmark_group(format!("feed_{name}"));
    for (size, label) in SIZES {
        let wire = wire(size);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        for (mode, piece) in [("whole", usize::MAX), ("bytewise", 1)] {
            group.bench_function(format!("{mode}/{label}"), |b| {
                b.iter_batched_ref(
                    || make(now),
                    |s| black_box(drive(s, now, black_box(&wire), piece, answer)),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn smtp_server(c: &mut Criterion) {
    use smtp_proto::{Server, ServerConfig, TlsMode, types::Domain};
    let mut config = ServerConfig::strict(Domain::try_from("mx.example.com").unwrap());
    config.tls = TlsMode::Implicit;
    config.allow_unnegotiated_pipelining = true;
    feed(
        c,
        "smtp_server",
        |size| {
            stream(
                b"EHLO client.example.org\r\n",
                b"MAIL FROM:<sender@example.org> SIZE=4096 BODY=8BITMIME\r\n\
RCPT TO:<alice@example.com>\r\n\
RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n\
RSET\r\nNOOP\r\n",
                size,
            )
        },
        |now| Server::new(config.clone(), now),
        |s, e| {
            if let Some(token) = e.token() {
                s.accept(token).unwrap();
            }
        },
    );
}

fn smtp_client(c: &mut Criterion) {
    use smtp_proto::{Client, ClientConfig, ClientEvent, Command, TlsMode, types::Domain};
    const UNIT: &[u8] = b"250 2.0.0 OK\r\n";
    feed(
        c,
        "smtp_client",
        |size| stream(b"", UNIT, size),
        |now| {
            let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
            config.tls = TlsMode::DangerousPlaintextOnly;
            let mut client = Client::new(config, now);
            client.handle_input(now, b"220 mx.example ESMTP\r\n");
            while let Ok(Some(_)) = client.poll_event() {}
            while client.poll_transmit().is_some() {}
            client.handle_input(now, b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
            let mut ready = false;
            while let Ok(Some(e)) = client.poll_event() {
                ready |= matches!(e, ClientEvent::Ready);
            }
            assert!(ready);
            // NOOP after NOOP: each reply lets the next one go (the client does not pipeline
            // commands outside a transaction).
            client.send_command(&Command::Noop(None)).unwrap();
            while client.poll_transmit().is_some() {}
            client
        },
        |client, e| {
            if let ClientEvent::Reply { .. } = e {
                black_box(&e);
                client.send_command(&Command::Noop(None)).unwrap();
            }
        },
    );
}

fn pop3_server(c: &mut Criterion) {
    use pop3_proto::{Maildrop, Server, ServerConfig, ServerEvent, TlsMode, Uid};
    feed(
        c,
        "pop3_server",
        |size| {
            stream(
                b"USER u\r\nPASS p\r\n",
                b"STAT\r\nLIST 1\r\nUIDL 1\r\nNOOP\r\nLIST\r\n",
                size,
            )
        },
        |now| Server::new(ServerConfig::new(TlsMode::Implicit), now),
        |s, e| {
            if let ServerEvent::Login { .. } = e {
                let mut m = Maildrop::new();
                m.push(4096, Uid::try_from("a").unwrap()).unwrap();
                m.push(8192, Uid::try_from("b").unwrap()).unwrap();
                s.accept_login(m).unwrap();
            }
        },
    );
}

fn pop3_client(c: &mut Criterion) {
    use pop3_proto::{Client, ClientConfig, MessageNumber, Password, TlsMode, Username};
    feed(
        c,
        "pop3_client",
        |size| {
            let body = benches::message_body(size);
            let mut wire = format!("+OK {} octets\r\n", body.len()).into_bytes();
            wire.extend_from_slice(&benches::stuffed(&body));
            wire
        },
        |now| {
            let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), now);
            client.handle_input(now, b"+OK ready\r\n+OK\r\nUSER\r\n.\r\n");
            while let Ok(Some(_)) = client.poll_event() {}
            client
                .login(
                    &Username::try_from("u").unwrap(),
                    &Password::try_from("p").unwrap(),
                )
                .unwrap();
            client.handle_input(now, b"+OK\r\n+OK\r\n");
            while let Ok(Some(_)) = client.poll_event() {}
            client.retr(MessageNumber::new(1).unwrap()).unwrap();
            while client.poll_transmit().is_some() {}
            client
        },
        |_, e| {
            black_box(e);
        },
    );
}

fn imap_server(c: &mut Criterion) {
    use imap_proto::{Server, ServerConfig, TlsMode};
    feed(
        c,
        "imap_server",
        |size| {
            stream(
                b"a1 LOGIN joe secret\r\n",
                b"a2 NOOP\r\na3 CAPABILITY\r\na4 NOOP\r\n",
                size,
            )
        },
        |now| Server::new(ServerConfig::strict(TlsMode::Implicit), now),
        |s, e| {
            if let Some(token) = e.token() {
                s.accept(token).unwrap();
            }
        },
    );
}

fn imap_client(c: &mut Criterion) {
    use imap_proto::command::Command;
    use imap_proto::types::Mailbox;
    use imap_proto::{Client, ClientConfig, ClientEvent, Parsed, TlsMode};
    /// Drains events and output; whether one of the events was `Completed`.
    fn settle(client: &mut Client) -> bool {
        let mut completed = false;
        while let Ok(Some(e)) = client.poll_event() {
            completed |= matches!(e, ClientEvent::Completed { .. } | ClientEvent::Ready { .. });
        }
        while client.poll_transmit().is_some() {}
        completed
    }
    // One message per response: UID, FLAGS and a 512-octet body in a literal, kept whole
    // (under the streaming threshold), as a mail client's sync reads them.
    let body = benches::message_body(512);
    let mut unit = format!(
        "* 7 FETCH (UID 1007 FLAGS (\\Seen) BODY[] {{{}}}\r\n",
        body.len()
    )
    .into_bytes();
    unit.extend_from_slice(&body);
    unit.extend_from_slice(b")\r\n");
    let Ok(Parsed::Complete { value: fetch, .. }) =
        Command::decode(b"X UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n")
    else {
        panic!("the FETCH command does not decode");
    };
    let make = |now| {
        let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), now);
        client.handle_input(now, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
        assert!(settle(&mut client));
        client.login("joe", "secret").unwrap();
        client.handle_input(now, b"A1 OK [CAPABILITY IMAP4rev1] logged in\r\n");
        assert!(settle(&mut client));
        client.select(Mailbox::Inbox).unwrap();
        settle(&mut client);
        client.handle_input(now, b"* 7 EXISTS\r\nA2 OK [READ-WRITE] done\r\n");
        assert!(settle(&mut client));
        client.send_command(fetch.body.clone()).unwrap();
        settle(&mut client);
        client
    };
    // The stream reads as intended, whole and byte by byte: one FETCH per unit, no error.
    let now = Instant::now();
    let wire = stream(b"", &unit, 64 << 10);
    for piece in [usize::MAX, 1] {
        let mut client = make(now);
        let mut fetches = 0;
        drive(&mut client, now, &wire, piece, |_, e| {
            fetches += usize::from(matches!(e, ClientEvent::Data(_)));
        });
        assert!(matches!(client.poll_event(), Ok(None)));
        assert_eq!(fetches, wire.len() / unit.len());
    }
    feed(
        c,
        "imap_client",
        |size| stream(b"", &unit, size),
        make,
        |_, e| {
            black_box(e);
        },
    );
}

criterion_group!(
    benches,
    smtp_server,
    smtp_client,
    pop3_server,
    pop3_client,
    imap_server,
    imap_client
);
criterion_main!(benches);
