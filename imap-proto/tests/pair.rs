//! The imap-proto client and server run against each other in memory
//! ([`mail_sansio::testing::Pair`]): STARTTLS under `TlsMode::Required` on both sides, LOGIN,
//! SELECT, a FETCH with a literal kept whole and a 1 MiB body the server streams in chunks,
//! a 10 MiB APPEND the client streams in chunks (neither side ever holds more than a chunk of
//! it: the test feeds one chunk per round), IDLE woken by a pushed EXISTS, and LOGOUT. The
//! test body plays the client's application step by step; the server's application answers
//! from the event handler, except the FETCH, which the test streams itself.
//!
//! COMPRESS is not here: the client refuses to send it (`send_command` returns
//! `WrongState`), so the server's COMPRESS transition is covered by
//! `tests/traces/server-compress*.trace` instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use imap_proto::command::{
    AppendData, AppendMessage, CommandBody, FetchAttribute, FetchAttributes, Section,
};
use imap_proto::response::{Condition, Data, FetchItem, Payload};
use imap_proto::server::{MailboxSnapshot, Server, ServerConfig, ServerEvent, Token, Update};
use imap_proto::types::{Flag, FlagFetch, IString, Mailbox, SeqSetOrSaved};
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
            assert_eq!((size, mailbox), (APPEND_BODY as u64, Mailbox::Inbox));
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
