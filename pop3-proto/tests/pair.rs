//! Client and server run against each other in memory: messages arrive byte-identical
//! (after the CRLF normalisation POP3 requires), whatever the split; SASL and UPDATE work
//! end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::rc::Rc;

use mail_sansio::Session;
use mail_sansio::sasl::{self, Credentials, SaslClient, ScramClientConfig, ScramCredentials};
use mail_sansio::testing::strategies::mail_bytes;
use mail_sansio::testing::{FakeClock, Pair, Side};
use pop3_proto::{
    Client, ClientConfig, ClientEvent, CommandKind, Maildrop, MessageNumber, Password, Server,
    ServerConfig, ServerEvent, Text, TlsMode, Uid, Username, wire_size,
};
use proptest::prelude::*;

/// What a POP3 client reads back for `body`: bare CR and LF become CRLF and a missing final
/// line ending is added (RFC 1939 §3: the multi-line response is made of CRLF lines).
fn normalise(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                out.extend_from_slice(b"\r\n");
                i += 2;
            }
            (b'\r' | b'\n', _) => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[derive(Default)]
struct Outcome {
    messages: Vec<Vec<u8>>,
    current: Vec<u8>,
    deleted_by_server: Option<Vec<MessageNumber>>,
    closed: Option<Vec<MessageNumber>>,
}

/// Logs in, retrieves every message, deletes the first, and quits.
fn run_session(
    bodies: &[Vec<u8>],
    split_seed: Option<u64>,
    login: impl Fn(&mut Client) + 'static,
    tls: TlsMode,
) -> Outcome {
    let clock = FakeClock::start();
    let client = Client::new(ClientConfig::new(tls), clock.now());
    let mut server_config = ServerConfig::new(tls);
    server_config.sasl = vec![
        pop3_proto::parse_mechanism("PLAIN").unwrap(),
        pop3_proto::parse_mechanism("SCRAM-SHA-256").unwrap(),
        pop3_proto::parse_mechanism("OAUTHBEARER").unwrap(),
    ];
    let mut server = Server::new(server_config, clock.now());
    server.set_sasl_config(
        sasl::SaslServerConfig::new().with_scram_nonce("srvnonce-0123456789abcdef"),
    );
    let mut pair = Pair::new(client, server, clock);
    if let Some(seed) = split_seed {
        pair = pair.with_split_seed(seed);
    }
    let out = Rc::new(RefCell::new(Outcome::default()));
    let o = out.clone();
    let bodies = bodies.to_vec();
    let count = bodies.len();
    let result = pair.run(move |client, server, side| {
        let mut o = o.borrow_mut();
        match side {
            Side::Client(ClientEvent::Ready) => login(client),
            Side::Client(ClientEvent::LoggedIn) => {
                for n in 1..=count {
                    client.retr(MessageNumber::new(n as u32).unwrap()).unwrap();
                }
                if count > 0 {
                    client.dele(MessageNumber::new(1).unwrap()).unwrap();
                }
                client.quit().unwrap();
            }
            Side::Client(ClientEvent::Data(bytes)) => o.current.extend_from_slice(&bytes),
            Side::Client(ClientEvent::Completed {
                command: CommandKind::Retr,
                ..
            }) => {
                let m = std::mem::take(&mut o.current);
                o.messages.push(m);
            }
            Side::Client(ClientEvent::Closed { deleted }) => o.closed = Some(deleted),
            Side::Client(ClientEvent::Failed { command, text, .. }) => {
                panic!("{command} failed: {text}")
            }
            Side::Client(_) => {}
            Side::Server(ServerEvent::Login { username, password }) => {
                assert_eq!((username.as_str(), password.expose()), ("test", "secret"));
                server.accept_login(maildrop(&bodies)).unwrap();
            }
            Side::Server(ServerEvent::SaslVerify(creds)) => {
                match creds {
                    Credentials::Password {
                        authcid, password, ..
                    } => assert_eq!(
                        (authcid.as_str(), password.expose().as_str()),
                        ("test", "secret")
                    ),
                    Credentials::Token { token, .. } => {
                        assert_eq!(token.expose(), &"tok".repeat(100))
                    }
                    other => panic!("{other:?}"),
                }
                server.accept_login(maildrop(&bodies)).unwrap();
            }
            Side::Server(ServerEvent::ScramCredentials { authcid, .. }) => {
                assert_eq!(authcid, "test");
                let stored = ScramCredentials::derive("secret", b"salt-salt-salt-1", 4096).unwrap();
                server.provide_scram_credentials(stored).unwrap();
            }
            Side::Server(ServerEvent::SaslAuthenticated { authcid, .. }) => {
                assert_eq!(authcid, "test");
                server.accept_login(maildrop(&bodies)).unwrap();
            }
            Side::Server(ServerEvent::Retrieve { message, top }) => {
                assert!(top.is_none());
                let body = &bodies[message.get() as usize - 1];
                for piece in body.chunks(7) {
                    server.send_data(piece).unwrap();
                }
                server.finish_data().unwrap();
            }
            Side::Server(ServerEvent::Commit { deleted }) => {
                o.deleted_by_server = Some(deleted.iter().map(|(n, _)| *n).collect());
                server.commit_result(Ok(())).unwrap();
            }
            Side::Server(other) => panic!("unexpected {other:?}"),
        }
    });
    if let Err(e) = result {
        panic!("session failed: {e}\n{}", pair.transcript_text());
    }
    assert!(pair.client.is_closed() && pair.server.is_closed());
    Rc::try_unwrap(out).ok().unwrap().into_inner()
}

fn maildrop(bodies: &[Vec<u8>]) -> Maildrop {
    let mut m = Maildrop::new();
    for (i, b) in bodies.iter().enumerate() {
        m.push(wire_size(b), Uid::try_from(format!("u{i}")).unwrap())
            .unwrap();
    }
    m
}

fn user_pass(client: &mut Client) {
    client
        .login(
            &Username::try_from("test").unwrap(),
            &Password::try_from("secret").unwrap(),
        )
        .unwrap();
}

#[test]
fn dot_transparency_part_c_1() {
    let bodies = vec![
        b".\r\n..x\r\n.hidden\r\na\r\n".to_vec(),
        b"no final newline".to_vec(),
        b"".to_vec(),
        b".".to_vec(),
        b"bare\nlf\rcr\r\n.\n".to_vec(),
    ];
    let out = run_session(&bodies, None, user_pass, TlsMode::Required);
    let expected: Vec<Vec<u8>> = bodies.iter().map(|b| normalise(b)).collect();
    assert_eq!(out.messages, expected);
    assert_eq!(
        out.deleted_by_server,
        Some(vec![MessageNumber::new(1).unwrap()])
    );
    assert_eq!(out.closed, Some(vec![MessageNumber::new(1).unwrap()]));
}

#[test]
fn large_header_line_in_retr_part_c_13() {
    // A 70 000-octet header line inside RETR is fine (only status lines are capped).
    let mut body = b"X-Long: ".to_vec();
    body.extend(std::iter::repeat_n(b'a', 70_000));
    body.extend_from_slice(b"\r\n\r\nbody\r\n");
    let out = run_session(
        std::slice::from_ref(&body),
        Some(7),
        user_pass,
        TlsMode::Implicit,
    );
    assert_eq!(out.messages, vec![body]);
}

#[test]
fn binary_and_100k_line_part_c_4() {
    let mut body = b"a\0b\xff\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'z', 100_000));
    body.extend_from_slice(b"\r\n");
    let out = run_session(
        std::slice::from_ref(&body),
        None,
        user_pass,
        TlsMode::Required,
    );
    assert_eq!(out.messages, vec![body]);
}

#[test]
fn sasl_plain_scram_and_long_oauthbearer() {
    let bodies = vec![b"hello\r\n".to_vec()];
    let plain = |c: &mut Client| {
        c.authenticate(SaslClient::plain(None, "test", "secret".to_owned()).unwrap())
            .unwrap();
    };
    assert_eq!(
        run_session(&bodies, None, plain, TlsMode::Required).messages,
        bodies
    );

    let scram = |c: &mut Client| {
        let config = ScramClientConfig::new("test", "secret".to_owned(), "clientnonce-0123456789");
        c.authenticate(SaslClient::scram(config).unwrap()).unwrap();
    };
    assert_eq!(
        run_session(&bodies, Some(3), scram, TlsMode::Required).messages,
        bodies
    );

    // RFC 5034 §4: an initial response that would make the AUTH line exceed 255 octets is
    // sent after the first (empty) challenge instead.
    let oauth = |c: &mut Client| {
        let token = "tok".repeat(100);
        c.authenticate(
            SaslClient::oauthbearer(Some("test"), Some("localhost"), Some(995), token).unwrap(),
        )
        .unwrap();
    };
    assert_eq!(
        run_session(&bodies, None, oauth, TlsMode::Implicit).messages,
        bodies
    );
}

#[test]
fn server_skips_endless_line_before_login() {
    // Part C 13, issue 10: 1 MiB without CRLF before login is skipped (the framer holds at
    // most the 255-octet limit), answered -ERR once it ends, and the session goes on.
    let clock = FakeClock::start();
    let mut server = Server::new(ServerConfig::new(TlsMode::Required), clock.now());
    while server.poll_transmit().is_some() {}
    let chunk = vec![b'a'; 4096];
    for _ in 0..256 {
        server.handle_input(clock.now(), &chunk);
        assert!(matches!(server.poll_event(), Ok(None)));
        assert_eq!(server.poll_transmit(), None);
    }
    server.handle_input(clock.now(), b"\r\nQUIT\r\n");
    assert!(matches!(server.poll_event(), Ok(None)));
    let mut sent = Vec::new();
    while let Some(b) = server.poll_transmit() {
        sent.extend_from_slice(&b);
    }
    assert_eq!(sent, b"-ERR line too long\r\n+OK bye\r\n");
    assert!(server.poll_event().is_ok());
    assert!(server.is_closed());
}

#[test]
fn client_rejects_huge_uidl_line() {
    // Security §8 item 48: a 10 000-octet UIDL line is an error, not an allocation.
    let clock = FakeClock::start();
    let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), clock.now());
    client.handle_input(clock.now(), b"+OK hi\r\n+OK\r\n.\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client
        .login(
            &Username::try_from("u").unwrap(),
            &Password::try_from("p").unwrap(),
        )
        .unwrap();
    client.handle_input(clock.now(), b"+OK\r\n+OK\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client.uidl(None).unwrap();
    let mut line = b"+OK\r\n1 ".to_vec();
    line.extend(std::iter::repeat_n(b'A', 10_000));
    line.extend_from_slice(b"\r\n.\r\n");
    client.handle_input(clock.now(), &line);
    let err = loop {
        match client.poll_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error"),
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("line longer than 512"), "{err}");
}

#[test]
fn server_rejects_wrong_answers() {
    let clock = FakeClock::start();
    let mut server = Server::new(ServerConfig::new(TlsMode::Implicit), clock.now());
    assert!(server.accept_login(Maildrop::new()).is_err());
    assert!(server.send_data(b"x").is_err());
    assert!(server.commit_result(Ok(())).is_err());
    assert!(
        server
            .reject_login(None, Text::try_from("no").unwrap())
            .is_err()
    );
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    mail_bytes(300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Issue 4: the pair delivers byte-identical messages for arbitrary bodies (lines
    /// starting with dots, no final newline, bare CR/LF), whatever the split.
    #[test]
    fn pair_delivers_bodies(bodies in proptest::collection::vec(arb_body(), 1..4), seed in any::<u64>()) {
        let out = run_session(&bodies, Some(seed), user_pass, TlsMode::Required);
        let expected: Vec<Vec<u8>> = bodies.iter().map(|b| normalise(b)).collect();
        prop_assert_eq!(out.messages, expected);
        for b in &bodies {
            prop_assert_eq!(wire_size(b), normalise(b).len() as u64);
        }
    }

    /// Arbitrary bytes never panic either machine, fed in arbitrary pieces.
    #[test]
    fn arbitrary_input_never_panics(data in mail_bytes(600), cuts in proptest::collection::vec(1usize..40, 0..30)) {
        let clock = FakeClock::start();
        let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), clock.now());
        let mut server = Server::new(ServerConfig::new(TlsMode::DangerousPlaintext), clock.now());
        let mut rest = &data[..];
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*cut.next().unwrap_or(&7)).min(rest.len());
            let (piece, tail) = rest.split_at(n);
            rest = tail;
            client.handle_input(clock.now(), piece);
            server.handle_input(clock.now(), piece);
            for _ in 0..1000 {
                match client.poll_event() {
                    Ok(Some(ClientEvent::Ready)) => {
                        let _ = client.login(&Username::try_from("u").unwrap(), &Password::try_from("p").unwrap());
                    }
                    Ok(Some(ClientEvent::LoggedIn)) => {
                        let _ = client.retr(MessageNumber::new(1).unwrap());
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            for _ in 0..1000 {
                match server.poll_event() {
                    Ok(Some(ServerEvent::Login { .. })) => {
                        let mut m = Maildrop::new();
                        m.push(3, Uid::try_from("x").unwrap()).unwrap();
                        let _ = server.accept_login(m);
                    }
                    Ok(Some(ServerEvent::Retrieve { .. })) => {
                        let _ = server.send_data(&data);
                        let _ = server.finish_data();
                    }
                    Ok(Some(ServerEvent::Commit { .. })) => {
                        let _ = server.commit_result(Ok(()));
                    }
                    Ok(Some(_)) => {
                        let _ = server.reject_login(None, Text::try_from("no").unwrap());
                    }
                    _ => break,
                }
            }
            while client.poll_transmit().is_some() {}
            while server.poll_transmit().is_some() {}
        }
        client.handle_eof(clock.now());
        server.handle_eof(clock.now());
        let _ = client.poll_event();
        let _ = server.poll_event();
    }
}
