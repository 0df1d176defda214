//! Unit tests of the server machine through its public API: state checks, literal refusal,
//! IDLE pushes, QRESYNC VANISHED, pipelined answers out of order, the STARTTLS contract's
//! checks, local misuse (`SendError`), streamed FETCH bodies, THREAD answers and the
//! failed-login budget.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_proto::response::{Code, Data, FetchItem, Payload, Response, Section, Text, Thread};
use imap_proto::server::{
    Completion, MailboxSnapshot, Server, ServerConfig, ServerEvent, Token, Update,
};
use imap_proto::types::{Atom, Flag};
use imap_proto::{Error, SendError, State, TlsMode};
use mail_sansio::Session;
use mail_sansio::testing::FakeClock;

fn output(server: &mut Server) -> String {
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

fn events(server: &mut Server) -> Vec<ServerEvent> {
    let mut all = Vec::new();
    while let Some(e) = server.poll_event().unwrap() {
        all.push(e);
    }
    all
}

fn feed(server: &mut Server, now: Instant, bytes: &[u8]) -> Vec<ServerEvent> {
    server.handle_input(now, bytes);
    events(server)
}

fn snapshot(uids: std::ops::RangeInclusive<u32>) -> MailboxSnapshot {
    MailboxSnapshot {
        uid_next: uids.end() + 1,
        uids: uids.collect(),
        flags: vec![Flag::Seen],
        permanent_flags: Vec::new(),
        uid_validity: 7,
        highest_modseq: Some(3),
        recent: 0,
        first_unseen: None,
        read_only: false,
    }
}

/// A logged-in session with INBOX (UIDs 1..=5) selected, output drained.
fn selected(clock: &FakeClock, config: ServerConfig) -> Server {
    let now = clock.now();
    let mut server = Server::new(config, now);
    output(&mut server);
    let [ServerEvent::Login { token, .. }] = &feed(&mut server, now, b"a LOGIN joe pw\r\n")[..]
    else {
        panic!("no login")
    };
    server.accept(*token).unwrap();
    let [ServerEvent::Select { token, .. }] = &feed(&mut server, now, b"b SELECT INBOX\r\n")[..]
    else {
        panic!("no select")
    };
    server.open_mailbox(*token, snapshot(1..=5)).unwrap();
    server.accept(*token).unwrap();
    assert_eq!(server.state(), State::Selected);
    output(&mut server);
    server
}

fn plaintext() -> ServerConfig {
    ServerConfig::strict(TlsMode::DangerousPlaintext)
}

#[test]
fn states_are_checked_by_the_machine() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(plaintext(), now);
    output(&mut server);
    assert!(feed(&mut server, now, b"a SELECT INBOX\r\nb FETCH 1 FLAGS\r\n").is_empty());
    assert_eq!(
        output(&mut server),
        "a BAD Command not allowed before authentication\r\n\
         b BAD Command not allowed before authentication\r\n"
    );
    assert_eq!(server.state(), State::NotAuthenticated);
}

#[test]
fn refused_literal_bytes_are_never_commands() {
    let clock = FakeClock::start();
    let mut config = plaintext();
    config.limits.non_sync_literal = 4;
    let mut server = selected(&clock, config);
    let now = clock.now();
    // 21 octets of literal that look like commands, then the rest of the line.
    let evs = feed(
        &mut server,
        now,
        b"c CREATE {21+}\r\nd EXPUNGE\r\ne LOGOUT\r\n\r\n",
    );
    assert!(evs.is_empty(), "{evs:?}");
    assert_eq!(output(&mut server), "c BAD [TOOBIG] Literal too large\r\n");
    assert_eq!(server.state(), State::Selected);
    assert!(!server.is_closed());
    // A refused synchronising literal: the client sends nothing, the next line is a command.
    let mut config = plaintext();
    config.append_limit = Some(10);
    let mut server = selected(&clock, config);
    assert!(feed(&mut server, now, b"f APPEND INBOX {11}\r\n").is_empty());
    assert_eq!(output(&mut server), "f NO [TOOBIG] Message too large\r\n");
    assert!(feed(&mut server, now, b"g NOOP\r\n").is_empty());
    assert_eq!(output(&mut server), "g OK NOOP completed\r\n");
}

#[test]
fn idle_pushes_go_out_at_once_and_keep_numbers_right() {
    let clock = FakeClock::start();
    let mut server = selected(&clock, plaintext());
    let now = clock.now();
    // Before IDLE a push waits for a command.
    server.push(Update::Exists { uid: 6 }).unwrap();
    assert_eq!(output(&mut server), "");
    feed(&mut server, now, b"c IDLE\r\n");
    assert_eq!(output(&mut server), "+ idling\r\n* 6 EXISTS\r\n");
    assert!(server.is_idle());
    server.push(Update::Expunged { uid: 1 }).unwrap();
    server.push(Update::Expunged { uid: 1 }).unwrap(); // a duplicate is ignored
    server
        .push(Update::Flags {
            uid: 6,
            flags: vec![Flag::Seen],
            modseq: Some(9),
        })
        .unwrap();
    assert_eq!(
        output(&mut server),
        "* 1 EXPUNGE\r\n* 5 FETCH (FLAGS (\\Seen))\r\n"
    );
    assert_eq!(server.selected().unwrap().uids(), &[2, 3, 4, 5, 6]);
    feed(&mut server, now, b"DONE\r\n");
    assert_eq!(output(&mut server), "c OK IDLE terminated\r\n");
    assert!(!server.is_idle());
}

#[test]
fn qresync_turns_expunges_into_vanished() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(plaintext(), now);
    output(&mut server);
    let evs = feed(&mut server, now, b"a LOGIN joe pw\r\n");
    server.accept(evs[0].token().unwrap()).unwrap();
    feed(&mut server, now, b"e ENABLE QRESYNC\r\n");
    assert!(output(&mut server).contains("* ENABLED QRESYNC\r\ne OK"));
    assert!(server.qresync_enabled() && server.condstore_enabled());
    let evs = feed(&mut server, now, b"b SELECT INBOX\r\n");
    let token = evs[0].token().unwrap();
    server.open_mailbox(token, snapshot(1..=9)).unwrap();
    server.accept(token).unwrap();
    output(&mut server);
    for uid in [2, 3, 4, 7] {
        server.push(Update::Expunged { uid }).unwrap();
    }
    feed(&mut server, now, b"c NOOP\r\n");
    assert_eq!(
        output(&mut server),
        "* VANISHED 2:4,7\r\nc OK NOOP completed\r\n"
    );
    // UID FETCH answers carry the UID; so does any FETCH once QRESYNC is on.
    let evs = feed(&mut server, now, b"d FETCH 2 (FLAGS)\r\n");
    let ServerEvent::Fetch { token, uids, .. } = &evs[0] else {
        panic!()
    };
    assert_eq!(uids, &[5]);
    server
        .send_fetch(*token, 5, vec![FetchItem::Flags(Vec::new())])
        .unwrap();
    server.accept(*token).unwrap();
    assert_eq!(
        output(&mut server),
        "* 2 FETCH (UID 5 FLAGS ())\r\nd OK FETCH completed\r\n"
    );
}

#[test]
fn pipelined_answers_go_out_in_command_order() {
    let clock = FakeClock::start();
    let mut server = selected(&clock, plaintext());
    let now = clock.now();
    let evs = feed(
        &mut server,
        now,
        b"c UID FETCH 1:* (FLAGS)\r\nd STATUS Sent (MESSAGES)\r\ne NOOP\r\n",
    );
    let tokens: Vec<Token> = evs.iter().filter_map(ServerEvent::token).collect();
    assert_eq!(tokens.len(), 2);
    // The STATUS is answered first; nothing may pass the open FETCH.
    let status = Data::Status {
        mailbox: imap_proto::types::Mailbox::try_from("Sent").unwrap(),
        items: vec![imap_proto::response::StatusItem::Messages(4)],
    };
    server
        .send_response(tokens[1], Response::Data(status))
        .unwrap();
    server.accept(tokens[1]).unwrap();
    assert_eq!(output(&mut server), "");
    server.send_fetch(tokens[0], 2, vec![]).unwrap();
    assert_eq!(output(&mut server), "* 2 FETCH (UID 2)\r\n");
    server.accept(tokens[0]).unwrap();
    assert_eq!(
        output(&mut server),
        "c OK FETCH completed\r\n* STATUS Sent (MESSAGES 4)\r\nd OK STATUS completed\r\n\
         e OK NOOP completed\r\n"
    );
}

#[test]
fn misuse_is_refused_and_changes_nothing() {
    let clock = FakeClock::start();
    let mut server = selected(&clock, plaintext());
    let now = clock.now();
    let check = first_token(&mut server, now);
    assert_eq!(server.accept(check), Ok(()));
    output(&mut server);
    let evs = feed(&mut server, now, b"d FETCH 1 FLAGS\r\n");
    let token = evs[0].token().unwrap();
    assert!(matches!(
        server.send_response(token, Response::Data(Data::Exists(9))),
        Err(SendError::WrongState(_))
    ));
    assert_eq!(
        server.send_fetch(token, 99, Vec::new()),
        Err(SendError::UnknownUid { uid: 99 })
    );
    assert!(matches!(
        server.open_mailbox(token, snapshot(1..=2)),
        Err(SendError::WrongState(_))
    ));
    server.accept(token).unwrap();
    assert!(matches!(
        server.accept(token),
        Err(SendError::UnknownToken(_))
    ));
    assert_eq!(output(&mut server), "d OK FETCH completed\r\n");
    // SELECT may not be accepted before the mailbox is opened.
    let evs = feed(&mut server, now, b"e EXAMINE Sent\r\n");
    let token = evs[0].token().unwrap();
    assert!(matches!(
        server.accept(token),
        Err(SendError::WrongState(_))
    ));
    server
        .complete(
            token,
            Completion::no(
                Some(Code::NonExistent),
                Text::try_from("No such mailbox").unwrap(),
            ),
        )
        .unwrap();
    assert!(output(&mut server).ends_with("e NO [NONEXISTENT] No such mailbox\r\n"));
    assert_eq!(server.state(), State::Authenticated);
    assert!(matches!(
        server.push(Update::Exists { uid: 9 }),
        Err(SendError::WrongState(_))
    ));
}

fn first_token(server: &mut Server, now: Instant) -> Token {
    let evs = feed(server, now, b"c CHECK\r\nz LIST \"\" *\r\n");
    evs[0].token().unwrap()
}

#[test]
fn starttls_switches_only_after_the_ok_went_out() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(ServerConfig::strict(TlsMode::Required), now);
    output(&mut server);
    feed(&mut server, now, b"a STARTTLS\r\n");
    // The OK is queued but not handed out: no handshake yet, and an early call is ignored.
    assert!(!server.wants_tls());
    server.handle_tls_established(now);
    assert!(!server.is_tls());
    assert_eq!(output(&mut server), "a OK Begin TLS negotiation now\r\n");
    assert!(server.wants_tls());
    assert!(!server.wants_input());
    server.handle_tls_established(now);
    assert!(server.is_tls());
    let caps = {
        feed(&mut server, now, b"b CAPABILITY\r\n");
        output(&mut server)
    };
    assert!(
        caps.contains("AUTH=PLAIN") && !caps.contains("STARTTLS"),
        "{caps}"
    );
}

#[test]
fn bytes_behind_starttls_are_an_injection() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(ServerConfig::strict(TlsMode::Required), now);
    output(&mut server);
    server.handle_input(now, b"a STARTTLS\r\nb LOGIN eve pw\r\n");
    assert_eq!(server.poll_event(), Err(Error::TlsInjection { bytes: 16 }));
    assert_eq!(output(&mut server), "a OK Begin TLS negotiation now\r\n");
    assert!(!server.wants_tls());
    assert!(server.is_closed());
    // Sticky.
    assert_eq!(server.poll_event(), Err(Error::TlsInjection { bytes: 16 }));
}

#[test]
fn autologout_is_shorter_before_login() {
    let mut clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(plaintext(), now);
    output(&mut server);
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(180)));
    let evs = feed(&mut server, now, b"a LOGIN joe pw\r\n");
    // While the application owes the answer no timer runs.
    assert_eq!(server.poll_timeout(), None);
    server.accept(evs[0].token().unwrap()).unwrap();
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(1800)));
    let later = clock.advance(Duration::from_secs(1800));
    server.handle_timeout(later);
    assert!(output(&mut server).ends_with("* BYE Autologout; idle for too long\r\n"));
    assert_eq!(server.poll_event(), Err(Error::Timeout { seconds: 1800 }));
}

#[test]
fn login_reaches_the_application_as_sasl_credentials() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut server = Server::new(plaintext(), now);
    output(&mut server);
    let evs = feed(&mut server, now, b"a LOGIN \"j\\\"oe\" {2+}\r\npw\r\n");
    let [ServerEvent::Login { credentials, .. }] = &evs[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(credentials.authcid(), Some("j\"oe"));
    assert!(!format!("{evs:?}").contains("pw"));
}

/// A FETCH body of 10 MiB streamed in 64 KiB chunks: every chunk goes out as soon as it is
/// given, so neither the application nor the machine ever holds the message; the response
/// reads back as one FETCH with a literal of the right size.
#[test]
fn a_10_mib_fetch_body_streams_out_chunk_by_chunk() {
    const SIZE: usize = 10 << 20;
    const CHUNK: usize = 64 << 10;
    let clock = FakeClock::start();
    let mut server = selected(&clock, plaintext());
    let now = clock.now();
    let evs = feed(&mut server, now, b"f UID FETCH 4 (BODY.PEEK[] FLAGS)\r\n");
    let token = evs[0].token().unwrap();
    let item = FetchItem::BodySection {
        section: Section::default(),
        origin: None,
        data: Payload::Streamed { len: SIZE as u64 },
    };
    server.start_fetch(token, 4, vec![item]).unwrap();
    let head = output(&mut server);
    assert_eq!(head, format!("* 4 FETCH (UID 4 BODY[] {{{SIZE}}}\r\n"));
    // While the literal is open nothing else may be sent for the command.
    assert!(matches!(
        server.accept(token),
        Err(SendError::WrongState(_))
    ));
    assert!(matches!(
        server.send_fetch(token, 4, Vec::new()),
        Err(SendError::WrongState(_))
    ));
    assert!(matches!(
        server.end_fetch(token, Vec::new()),
        Err(SendError::WrongState(_))
    ));
    assert!(!server.wants_input());
    // A NUL outside a literal8 is refused and nothing is written.
    assert!(matches!(
        server.send_fetch_chunk(token, Bytes::from_static(b"a\0b")),
        Err(SendError::WrongState(_))
    ));
    let chunk = Bytes::from(
        b"0123456789abcdef\r\n"
            .iter()
            .copied()
            .cycle()
            .take(CHUNK)
            .collect::<Vec<u8>>(),
    );
    let mut body_bytes = 0usize;
    let mut largest = 0usize;
    while body_bytes < SIZE {
        server.send_fetch_chunk(token, chunk.clone()).unwrap();
        body_bytes += CHUNK;
        let mut out = 0;
        while let Some(b) = server.poll_transmit() {
            out += b.len();
        }
        assert_eq!(out, CHUNK, "each chunk goes out at once");
        largest = largest.max(out);
    }
    assert!(largest <= CHUNK);
    // One octet too many is refused.
    assert!(matches!(
        server.send_fetch_chunk(token, Bytes::from_static(b"x")),
        Err(SendError::WrongState(_))
    ));
    server
        .end_fetch(token, vec![FetchItem::Flags(Vec::new())])
        .unwrap();
    assert!(server.wants_input());
    server.accept(token).unwrap();
    assert_eq!(
        output(&mut server),
        " FLAGS ())\r\nf OK FETCH completed\r\n"
    );
}

/// An answer streamed for a command behind one still open waits in the machine (responses
/// stay in command order), and goes out once the earlier command is finished.
#[test]
fn a_streamed_fetch_behind_an_open_command_keeps_the_order() {
    let clock = FakeClock::start();
    let mut server = selected(&clock, plaintext());
    let now = clock.now();
    let evs = feed(&mut server, now, b"g FETCH 1 FLAGS\r\nh FETCH 2 BODY[]\r\n");
    let (first, second) = (evs[0].token().unwrap(), evs[1].token().unwrap());
    let item = FetchItem::BodySection {
        section: Section::default(),
        origin: None,
        data: Payload::Streamed { len: 3 },
    };
    server.start_fetch(second, 2, vec![item]).unwrap();
    server
        .send_fetch_chunk(second, Bytes::from_static(b"abc"))
        .unwrap();
    assert_eq!(output(&mut server), "");
    server.send_fetch(first, 1, Vec::new()).unwrap();
    server.accept(first).unwrap();
    server.end_fetch(second, Vec::new()).unwrap();
    server.accept(second).unwrap();
    assert_eq!(
        output(&mut server),
        "* 1 FETCH ()\r\ng OK FETCH completed\r\n* 2 FETCH (BODY[] {3}\r\nabc)\r\nh OK FETCH completed\r\n"
    );
}

/// THREAD answers name only messages the client knows; an unknown UID is refused whole.
#[test]
fn thread_answers_with_unknown_uids_are_refused() {
    let clock = FakeClock::start();
    let mut config = plaintext();
    config.extensions.thread = vec![Atom::try_from("REFERENCES").unwrap()];
    config.extensions.sort = true;
    let mut server = selected(&clock, config);
    let now = clock.now();
    let evs = feed(&mut server, now, b"t THREAD REFERENCES UTF-8 ALL\r\n");
    let token = evs[0].token().unwrap();
    let bad = vec![Thread {
        members: vec![1, 99],
        children: Vec::new(),
    }];
    assert_eq!(
        server.send_thread(token, bad),
        Err(SendError::UnknownUid { uid: 99 })
    );
    assert!(matches!(
        server.send_sort(token, &[1], None),
        Err(SendError::WrongState(_))
    ));
    let good = vec![Thread {
        members: vec![5],
        children: vec![
            Thread {
                members: vec![2],
                children: Vec::new(),
            },
            Thread {
                members: vec![3, 4],
                children: Vec::new(),
            },
        ],
    }];
    server.send_thread(token, good).unwrap();
    assert_eq!(
        output(&mut server),
        "* THREAD (5 (2)(3 4))\r\nt OK THREAD completed\r\n"
    );
}

/// The failed-login budget: the application's NO counts like the machine's, and the error
/// comes from the next `poll_event` after the tagged NO and the BYE went out.
#[test]
fn failed_logins_past_the_budget_end_the_session() {
    let clock = FakeClock::start();
    let now = clock.now();
    let mut config = plaintext();
    config.auth_failures = 1;
    let mut server = Server::new(config, now);
    output(&mut server);
    for (n, tag) in ["a", "b"].into_iter().enumerate() {
        server.handle_input(now, format!("{tag} LOGIN joe pw\r\n").as_bytes());
        let Some(ServerEvent::Login { token, .. }) = server.poll_event().unwrap() else {
            panic!("no login")
        };
        let no = Completion::no(
            Some(Code::AuthenticationFailed),
            Text::try_from("Nope").unwrap(),
        );
        server.complete(token, no).unwrap();
        if n == 0 {
            assert_eq!(output(&mut server), "a NO [AUTHENTICATIONFAILED] Nope\r\n");
            assert_eq!(server.poll_event(), Ok(None));
        }
    }
    assert_eq!(
        output(&mut server),
        "b NO [AUTHENTICATIONFAILED] Nope\r\n* BYE Too many authentication failures\r\n"
    );
    assert_eq!(
        server.poll_event(),
        Err(Error::LimitExceeded("authentication failures"))
    );
    assert!(server.is_closed());
}
