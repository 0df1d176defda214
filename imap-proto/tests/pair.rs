//! The imap-proto client and server run against each other in memory
//! ([`mail_sansio::testing::Pair`]): STARTTLS under `TlsMode::Required` on both sides, LOGIN,
//! SELECT, a FETCH with a literal kept whole and a 1 MiB body the server streams in chunks,
//! a 10 MiB APPEND the client streams in chunks (neither side ever holds more than a chunk of
//! it: the test feeds one chunk per round), IDLE woken by a pushed EXISTS, and LOGOUT. The
//! test body plays the client's application step by step; the server's application answers
//! from the event handler, except the FETCH, which the test streams itself.
//!
//! COMPRESS=DEFLATE runs in its own test: each side is wrapped in a driver ([`Deflate`])
//! that switches when its machine says so (`wants_compression`, `handle_compression_started`)
//! and from then on deflates what it sends and inflates what it receives with flate2, so a
//! switch at the wrong byte on either side breaks the stream.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use imap_proto::command::{
    AppendData, AppendMessage, CommandBody, FetchAttribute, FetchAttributes, Section,
};
use imap_proto::response::Capability;
use imap_proto::response::{Condition, Data, FetchItem, Payload};
use imap_proto::server::{MailboxSnapshot, Server, ServerConfig, ServerEvent, Token, Update};
use imap_proto::types::{Atom, Flag, FlagFetch, IString, Mailbox, SeqSetOrSaved};
use imap_proto::{Client, ClientConfig, ClientEvent, ClientState, TlsMode};
use mail_sansio::Session;
use mail_sansio::sasl::Credentials;
use mail_sansio::testing::{FakeClock, Pair, Side};

const CHUNK: usize = 64 * 1024;
const FETCH_BODY: usize = 1 << 20;
const APPEND_BODY: usize = 10 << 20;
const SMALL: &str = "Subject: small\r\n\r\nhello\r\n";

/// The `len` octets of a test message: text lines, no NUL.
fn message(len: usize) -> impl Iterator<Item = u8> {
    b"Lorem ipsum dolor sit amet, 0123456789\r\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
}

/// FNV-1a, to compare 10 MiB without keeping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[derive(Default)]
struct Log {
    /// The client's events, except the literal's chunks.
    client: Vec<ClientEvent>,
    /// The streamed FETCH literal as the client received it.
    fetched: Digest,
    fetched_len: usize,
    largest_fetch_chunk: usize,
    /// The FETCH the test answers itself.
    fetch: Option<(Token, Vec<u32>)>,
    /// The APPEND as the server received it.
    appended: Digest,
    appended_len: usize,
    largest_append_chunk: usize,
    append_started: bool,
    append_ended: bool,
    /// The APPEND's size when it is not [`APPEND_BODY`].
    append_size: Option<usize>,
}

type ImapPair = Pair<Client, Server>;

/// The server's application: logs `joe` in, opens INBOX with UIDs 1..=3, stores the APPEND
/// (and pushes its EXISTS); the FETCH is left to the test.
fn handle(log: &Rc<RefCell<Log>>, server: &mut Server, side: Side<ClientEvent, ServerEvent>) {
    let mut log = log.borrow_mut();
    match side {
        Side::Client(ClientEvent::LiteralChunk(bytes)) => {
            log.fetched.update(&bytes);
            log.fetched_len += bytes.len();
            log.largest_fetch_chunk = log.largest_fetch_chunk.max(bytes.len());
        }
        Side::Client(event) => log.client.push(event),
        Side::Server(ServerEvent::Login { token, credentials }) => {
            let Credentials::Password {
                authcid, password, ..
            } = credentials
            else {
                panic!("not a password")
            };
            assert_eq!(
                (authcid.as_str(), password.expose().as_str()),
                ("joe", "secret")
            );
            server.accept(token).unwrap();
        }
        Side::Server(ServerEvent::Select { token, mailbox, .. }) => {
            assert_eq!(mailbox, Mailbox::Inbox);
            let snapshot = MailboxSnapshot {
                uids: vec![1, 2, 3],
                flags: vec![Flag::Seen],
                permanent_flags: Vec::new(),
                uid_validity: 9,
                uid_next: 4,
                highest_modseq: None,
                recent: 0,
                first_unseen: None,
                read_only: false,
            };
            server.open_mailbox(token, snapshot).unwrap();
            server.accept(token).unwrap();
        }
        Side::Server(ServerEvent::Fetch { token, uids, .. }) => log.fetch = Some((token, uids)),
        Side::Server(ServerEvent::AppendStart { size, mailbox, .. }) => {
            let expected = log.append_size.unwrap_or(APPEND_BODY) as u64;
            assert_eq!((size, mailbox), (expected, Mailbox::Inbox));
            log.append_started = true;
        }
        Side::Server(ServerEvent::AppendChunk(bytes)) => {
            log.appended.update(&bytes);
            log.appended_len += bytes.len();
            log.largest_append_chunk = log.largest_append_chunk.max(bytes.len());
        }
        Side::Server(ServerEvent::AppendEnd) => log.append_ended = true,
        Side::Server(ServerEvent::Append {
            token, messages, ..
        }) => {
            assert_eq!(messages, 1);
            server.push(Update::Exists { uid: 4 }).unwrap();
            server.accept(token).unwrap();
        }
        Side::Server(other) => panic!("unexpected server event {other:?}"),
    }
}

/// Runs the pair until both sides are quiet.
fn run(pair: &mut ImapPair, log: &Rc<RefCell<Log>>) {
    let log = log.clone();
    pair.run(move |_, server, side| handle(&log, server, side))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The client events since the last call.
fn take(log: &Rc<RefCell<Log>>) -> Vec<ClientEvent> {
    std::mem::take(&mut log.borrow_mut().client)
}

/// The last event must be the OK that completes `command`.
fn completed_ok(events: &[ClientEvent], command: &str) {
    match events.last() {
        Some(ClientEvent::Completed {
            command: c,
            condition: Condition::Ok,
            ..
        }) if *c == command => {}
        other => panic!("{command} did not complete with OK: {other:?} in {events:?}"),
    }
}

#[test]
fn client_and_server_run_a_whole_session() {
    let clock = FakeClock::start();
    let client = Client::new(ClientConfig::new(TlsMode::Required), clock.now());
    let server = Server::new(ServerConfig::strict(TlsMode::Required), clock.now());
    let mut pair = Pair::new(client, server, clock);
    let log = Rc::new(RefCell::new(Log::default()));

    // Greeting, STARTTLS, the handshake, CAPABILITY.
    run(&mut pair, &log);
    let events = take(&log);
    assert!(
        matches!(events.last(), Some(ClientEvent::Ready { preauth: false })),
        "{events:?}"
    );
    assert!(pair.client.is_tls() && pair.server.is_tls());
    let transcript = pair.transcript_text();
    // The greeting's capabilities say STARTTLS; after TLS the client asks again.
    assert!(
        transcript.contains("STARTTLS LOGINDISABLED] IMAP server ready\nC: A1 STARTTLS\nS: A1 OK"),
        "{transcript}"
    );
    assert!(
        transcript
            .contains("C: A2 CAPABILITY\nS: * CAPABILITY IMAP4rev1 LITERAL- SASL-IR AUTH=PLAIN"),
        "{transcript}"
    );

    pair.client.login("joe", "secret").unwrap();
    run(&mut pair, &log);
    completed_ok(&take(&log), "LOGIN");
    assert!(pair.client.is_authenticated());

    pair.client.select(Mailbox::Inbox).unwrap();
    run(&mut pair, &log);
    completed_ok(&take(&log), "SELECT");
    assert_eq!(pair.client.state(), ClientState::Selected);

    // FETCH: message 1 with its body as a literal kept whole, message 2 streamed.
    let body_attr = FetchAttribute::BodySection {
        peek: true,
        section: Section::default(),
        partial: None,
    };
    pair.client
        .send_command(CommandBody::Fetch {
            uid: false,
            set: SeqSetOrSaved::try_from("1:2").unwrap(),
            attributes: FetchAttributes::List(vec![FetchAttribute::Flags, body_attr]),
            modifiers: Vec::new(),
        })
        .unwrap();
    run(&mut pair, &log);
    let (token, uids) = log.borrow_mut().fetch.take().expect("no FETCH event");
    assert_eq!(uids, [1, 2]);
    let flags = FetchItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]);
    let small = FetchItem::BodySection {
        section: Section::default(),
        origin: None,
        data: Payload::Data(IString::try_from(SMALL).unwrap()),
    };
    pair.server
        .send_fetch(token, 1, vec![flags.clone(), small.clone()])
        .unwrap();
    let streamed = FetchItem::BodySection {
        section: Section::default(),
        origin: None,
        data: Payload::Streamed {
            len: FETCH_BODY as u64,
        },
    };
    pair.server.start_fetch(token, 2, vec![streamed]).unwrap();
    let body: Vec<u8> = message(FETCH_BODY).collect();
    let mut expected = Digest::default();
    expected.update(&body);
    for piece in body.chunks(CHUNK) {
        pair.server
            .send_fetch_chunk(token, Bytes::copy_from_slice(piece))
            .unwrap();
        run(&mut pair, &log);
    }
    pair.server.end_fetch(token, vec![flags.clone()]).unwrap();
    pair.server.accept(token).unwrap();
    run(&mut pair, &log);
    let events = take(&log);
    completed_ok(&events, "FETCH");
    {
        let log = log.borrow();
        assert_eq!(log.fetched_len, FETCH_BODY);
        assert_eq!(log.fetched, expected);
        assert!(log.largest_fetch_chunk <= CHUNK);
    }
    let fetches: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Data(Data::Fetch(f)) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(fetches.len(), 2, "{events:?}");
    assert_eq!(
        (fetches[0].seq, &fetches[0].items),
        (1, &vec![flags, small])
    );
    assert_eq!(fetches[1].seq, 2);
    assert!(matches!(
        fetches[1].items[..],
        [
            FetchItem::BodySection {
                data: Payload::Streamed { len },
                ..
            },
            FetchItem::Flags(_)
        ] if len == FETCH_BODY as u64
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::LiteralStart { len, .. } if *len == FETCH_BODY as u64
    )));

    // A 10 MiB APPEND streamed by the client, one chunk per round.
    pair.client
        .send_command(CommandBody::Append {
            mailbox: Mailbox::Inbox,
            messages: vec![AppendMessage {
                flags: vec![Flag::Seen],
                date: None,
                data: AppendData::Streamed {
                    len: APPEND_BODY as u64,
                    binary: false,
                },
            }],
        })
        .unwrap();
    run(&mut pair, &log);
    let events = take(&log);
    assert!(
        matches!(events.last(), Some(ClientEvent::AppendData { len, .. }) if *len == APPEND_BODY as u64),
        "{events:?}"
    );
    let chunk: Vec<u8> = message(CHUNK).collect();
    let mut expected = Digest::default();
    for _ in 0..APPEND_BODY / CHUNK {
        pair.client.send_append_data(&chunk).unwrap();
        expected.update(&chunk);
        run(&mut pair, &log);
    }
    let events = take(&log);
    completed_ok(&events, "APPEND");
    assert!(
        events.contains(&ClientEvent::Data(Data::Exists(4))),
        "{events:?}"
    );
    {
        let log = log.borrow();
        assert!(log.append_started && log.append_ended);
        assert_eq!(log.appended_len, APPEND_BODY);
        assert_eq!(log.appended, expected);
        assert!(log.largest_append_chunk <= CHUNK);
    }

    // IDLE, woken by a change the server's application pushes.
    pair.client.idle().unwrap();
    run(&mut pair, &log);
    assert!(matches!(
        take(&log).last(),
        Some(ClientEvent::Idling { .. })
    ));
    assert!(pair.server.is_idle());
    pair.server.push(Update::Exists { uid: 5 }).unwrap();
    run(&mut pair, &log);
    assert_eq!(take(&log), [ClientEvent::Data(Data::Exists(5))]);
    pair.client.idle_done().unwrap();
    run(&mut pair, &log);
    completed_ok(&take(&log), "IDLE");

    pair.client.logout().unwrap();
    run(&mut pair, &log);
    let events = take(&log);
    assert!(events.iter().any(|e| matches!(e, ClientEvent::Bye(_))));
    completed_ok(&events, "LOGOUT");
    assert!(pair.server.is_closed());
}

/// The same session start with the bytes cut in random pieces both ways: STARTTLS, LOGIN and
/// a FETCH with literals come out the same.
#[test]
fn a_session_in_random_pieces() {
    for seed in [1, 7, 0x5eed] {
        let clock = FakeClock::start();
        let client = Client::new(ClientConfig::new(TlsMode::Required), clock.now());
        let server = Server::new(ServerConfig::strict(TlsMode::Required), clock.now());
        let mut pair = Pair::new(client, server, clock).with_split_seed(seed);
        let log = Rc::new(RefCell::new(Log::default()));
        run(&mut pair, &log);
        pair.client.login("joe", "secret").unwrap();
        run(&mut pair, &log);
        pair.client.select(Mailbox::Inbox).unwrap();
        run(&mut pair, &log);
        take(&log);
        pair.client
            .send_command(CommandBody::Fetch {
                uid: true,
                set: SeqSetOrSaved::try_from("3").unwrap(),
                attributes: FetchAttributes::List(vec![FetchAttribute::BodySection {
                    peek: true,
                    section: Section::default(),
                    partial: None,
                }]),
                modifiers: Vec::new(),
            })
            .unwrap();
        run(&mut pair, &log);
        let (token, uids) = log.borrow_mut().fetch.take().unwrap();
        assert_eq!(uids, [3]);
        let item = FetchItem::BodySection {
            section: Section::default(),
            origin: None,
            data: Payload::Streamed {
                len: SMALL.len() as u64,
            },
        };
        pair.server.start_fetch(token, 3, vec![item]).unwrap();
        for piece in SMALL.as_bytes().chunks(5) {
            pair.server
                .send_fetch_chunk(token, Bytes::copy_from_slice(piece))
                .unwrap();
        }
        pair.server.end_fetch(token, Vec::new()).unwrap();
        pair.server.accept(token).unwrap();
        run(&mut pair, &log);
        let events = take(&log);
        completed_ok(&events, "UID FETCH");
        let Some(ClientEvent::Data(Data::Fetch(fetch))) = events.first() else {
            panic!("{events:?}")
        };
        // Below the client's streaming threshold the literal arrives whole.
        let expected = FetchItem::BodySection {
            section: Section::default(),
            origin: None,
            data: Payload::Data(IString::try_from(SMALL).unwrap()),
        };
        assert_eq!(fetch.items, [FetchItem::Uid(3), expected], "seed {seed}");
    }
}

/// The compression switch of both machines (RFC 4978).
trait Switch {
    fn wants_compression(&self) -> bool;
    fn handle_compression_started(&mut self, now: Instant);
}

impl Switch for Client {
    fn wants_compression(&self) -> bool {
        Self::wants_compression(self)
    }
    fn handle_compression_started(&mut self, now: Instant) {
        Self::handle_compression_started(self, now);
    }
}

impl Switch for Server {
    fn wants_compression(&self) -> bool {
        Self::wants_compression(self)
    }
    fn handle_compression_started(&mut self, now: Instant) {
        Self::handle_compression_started(self, now);
    }
}

/// Raw DEFLATE of `input`, ended with a sync flush so the peer can inflate all of it now.
fn deflate(c: &mut flate2::Compress, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut consumed = 0;
    loop {
        let before = c.total_in();
        c.compress_vec(&input[consumed..], &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        consumed += usize::try_from(c.total_in() - before).unwrap();
        if consumed == input.len() && out.len() < out.capacity() {
            return out;
        }
        out.reserve(out.capacity().max(64));
    }
}

/// Inflates `input`, a piece of the peer's stream (cut anywhere).
fn inflate(d: &mut flate2::Decompress, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 4 + 64);
    let mut consumed = 0;
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        let (before_in, before_out) = (d.total_in(), d.total_out());
        d.decompress_vec(&input[consumed..], &mut out, flate2::FlushDecompress::None)
            .unwrap();
        consumed += usize::try_from(d.total_in() - before_in).unwrap();
        let stalled = d.total_in() == before_in && d.total_out() == before_out;
        if consumed == input.len() && (out.len() < out.capacity() || stalled) {
            return out;
        }
        assert!(!stalled, "inflate stalled");
    }
}

/// A driver's compression layer around a machine: plain bytes until the machine wants
/// compression, then it switches and deflates every transmit and inflates every input.
struct Deflate<S> {
    inner: S,
    now: Instant,
    stream: Option<(flate2::Compress, flate2::Decompress)>,
    /// Plaintext octets sent and received after the switch.
    plain: usize,
    /// Compressed octets sent after the switch.
    wire: usize,
}

impl<S: Session + Switch> Deflate<S> {
    fn new(inner: S, now: Instant) -> Self {
        Self {
            inner,
            now,
            stream: None,
            plain: 0,
            wire: 0,
        }
    }

    /// Where a driver checks, after draining events or transmits.
    fn maybe_switch(&mut self) {
        if self.stream.is_none() && self.inner.wants_compression() {
            self.inner.handle_compression_started(self.now);
            self.stream = Some((
                flate2::Compress::new(flate2::Compression::default(), false),
                flate2::Decompress::new(false),
            ));
        }
    }
}

impl<S> Deref for Deflate<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S> DerefMut for Deflate<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S: Session + Switch> Session for Deflate<S> {
    type Event = S::Event;
    type Error = S::Error;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.now = now;
        match &mut self.stream {
            Some((_, d)) => {
                let plain = inflate(d, bytes);
                self.plain += plain.len();
                self.inner.handle_input(now, &plain);
            }
            None => self.inner.handle_input(now, bytes),
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = now;
        self.inner.handle_eof(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.inner.handle_timeout(now);
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.now = now;
        self.inner.handle_tls_established(now);
    }

    fn poll_event(&mut self) -> Result<Option<S::Event>, S::Error> {
        let event = self.inner.poll_event();
        if matches!(event, Ok(None)) {
            self.maybe_switch();
        }
        event
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        let Some(bytes) = self.inner.poll_transmit() else {
            self.maybe_switch();
            return None;
        };
        match &mut self.stream {
            Some((c, _)) => {
                self.plain += bytes.len();
                let wire = deflate(c, &bytes);
                self.wire += wire.len();
                Some(Bytes::from(wire))
            }
            None => Some(bytes),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn wants_input(&self) -> bool {
        self.inner.wants_input()
    }

    fn wants_tls(&self) -> bool {
        self.inner.wants_tls()
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// COMPRESS=DEFLATE (RFC 4978) between the two machines, each behind a driver that deflates
/// once its machine says the compressed stream starts: a SELECT sent while the OK was on its
/// way waits for the switch, then SELECT, a FETCH with a literal kept whole and a 256 KiB
/// body streamed, a 1 MiB APPEND streamed, IDLE and LOGOUT all run compressed, whole and in
/// random pieces.
#[test]
fn compress_deflate_both_ways() {
    const BODY: usize = 256 << 10;
    for seed in [None, Some(3), Some(0x5eed)] {
        let clock = FakeClock::start();
        let now = clock.now();
        let client = Deflate::new(Client::new(ClientConfig::new(TlsMode::Implicit), now), now);
        let server = Deflate::new(
            Server::new(ServerConfig::strict(TlsMode::Implicit), now),
            now,
        );
        let mut pair = Pair::new(client, server, clock);
        if let Some(seed) = seed {
            pair = pair.with_split_seed(seed);
        }
        let log = Rc::new(RefCell::new(Log::default()));
        let run = |pair: &mut Pair<Deflate<Client>, Deflate<Server>>| {
            let log = log.clone();
            pair.run(move |_, server, side| handle(&log, server, side))
                .unwrap_or_else(|e| panic!("seed {seed:?}: {e}"));
        };
        run(&mut pair);
        pair.client.login("joe", "secret").unwrap();
        run(&mut pair);
        completed_ok(&take(&log), "LOGIN");
        let deflate = Capability::Compress(Atom::try_from("DEFLATE").unwrap());
        assert!(pair.client.has_capability(&deflate));

        let compress = CommandBody::Compress {
            algorithm: Atom::try_from("DEFLATE").unwrap(),
        };
        pair.client.send_command(compress.clone()).unwrap();
        // Sent now, it waits for COMPRESS's OK and the switch: it goes out compressed.
        pair.client.select(Mailbox::Inbox).unwrap();
        run(&mut pair);
        let events = take(&log);
        assert!(
            events.iter().any(|e| matches!(
                e,
                ClientEvent::Completed {
                    command: "COMPRESS",
                    condition: Condition::Ok,
                    ..
                }
            )),
            "{events:?}"
        );
        completed_ok(&events, "SELECT");
        assert!(pair.client.is_compressed());
        assert!(pair.client.stream.is_some() && pair.server.stream.is_some());
        assert!(!pair.server.capabilities().contains(&deflate));
        let transcript = pair.transcript_text();
        assert!(
            transcript.contains("C: A2 COMPRESS DEFLATE\nS: A2 OK DEFLATE active\n"),
            "{transcript}"
        );
        // Nothing after the OK is plaintext.
        assert!(!transcript.contains("SELECT INBOX"), "{transcript}");
        assert!(!transcript.contains("EXISTS"), "{transcript}");
        // Once is enough (RFC 4978 §3).
        assert!(pair.client.send_command(compress).is_err());

        // FETCH: message 1 kept whole, message 2 streamed by the server.
        pair.client
            .send_command(CommandBody::Fetch {
                uid: false,
                set: SeqSetOrSaved::try_from("1:2").unwrap(),
                attributes: FetchAttributes::List(vec![FetchAttribute::BodySection {
                    peek: true,
                    section: Section::default(),
                    partial: None,
                }]),
                modifiers: Vec::new(),
            })
            .unwrap();
        run(&mut pair);
        let (token, uids) = log.borrow_mut().fetch.take().expect("no FETCH event");
        assert_eq!(uids, [1, 2]);
        let small = FetchItem::BodySection {
            section: Section::default(),
            origin: None,
            data: Payload::Data(IString::try_from(SMALL).unwrap()),
        };
        pair.server
            .send_fetch(token, 1, vec![small.clone()])
            .unwrap();
        let streamed = FetchItem::BodySection {
            section: Section::default(),
            origin: None,
            data: Payload::Streamed { len: BODY as u64 },
        };
        pair.server.start_fetch(token, 2, vec![streamed]).unwrap();
        let body: Vec<u8> = message(BODY).collect();
        let mut expected = Digest::default();
        expected.update(&body);
        for piece in body.chunks(CHUNK) {
            pair.server
                .send_fetch_chunk(token, Bytes::copy_from_slice(piece))
                .unwrap();
            run(&mut pair);
        }
        pair.server.end_fetch(token, Vec::new()).unwrap();
        pair.server.accept(token).unwrap();
        run(&mut pair);
        let events = take(&log);
        completed_ok(&events, "FETCH");
        assert!(
            events.iter().any(|e| matches!(
                e,
                ClientEvent::Data(Data::Fetch(f)) if f.seq == 1 && f.items == [small.clone()]
            )),
            "{events:?}"
        );
        {
            let log = log.borrow();
            assert_eq!((log.fetched_len, log.fetched), (BODY, expected));
        }

        // A 1 MiB APPEND streamed by the client (APPEND_BODY is for the plaintext test).
        let append_len = 1 << 20;
        log.borrow_mut().append_size = Some(append_len);
        pair.client
            .send_command(CommandBody::Append {
                mailbox: Mailbox::Inbox,
                messages: vec![AppendMessage {
                    flags: Vec::new(),
                    date: None,
                    data: AppendData::Streamed {
                        len: append_len as u64,
                        binary: false,
                    },
                }],
            })
            .unwrap();
        run(&mut pair);
        take(&log);
        let chunk: Vec<u8> = message(CHUNK).collect();
        let mut expected = Digest::default();
        for _ in 0..append_len / CHUNK {
            pair.client.send_append_data(&chunk).unwrap();
            expected.update(&chunk);
            run(&mut pair);
        }
        let events = take(&log);
        completed_ok(&events, "APPEND");
        {
            let log = log.borrow();
            assert_eq!((log.appended_len, log.appended), (append_len, expected));
        }

        pair.client.idle().unwrap();
        run(&mut pair);
        pair.server.push(Update::Exists { uid: 5 }).unwrap();
        run(&mut pair);
        pair.client.idle_done().unwrap();
        run(&mut pair);
        let events = take(&log);
        assert!(
            events.contains(&ClientEvent::Data(Data::Exists(5))),
            "{events:?}"
        );
        completed_ok(&events, "IDLE");

        pair.client.logout().unwrap();
        run(&mut pair);
        completed_ok(&take(&log), "LOGOUT");
        assert!(pair.server.is_closed());
        // Text compresses: the bodies crossed in well under half their size.
        assert!(pair.client.wire + pair.server.wire < (pair.client.plain + pair.server.plain) / 2);
    }
}
