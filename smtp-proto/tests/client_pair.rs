//! The client against the crate's own [`Server`] with `mail_sansio::testing::Pair`: plain,
//! STARTTLS, AUTH, PIPELINING, DATA and BDAT, partly refused recipients, and a proptest that
//! the server receives exactly the (normalised) body whatever the split of the bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use mail_sansio::Session;
use mail_sansio::dot::DotStuffer;
use mail_sansio::sasl::{Credentials, SaslClient};
use mail_sansio::testing::{FakeClock, Pair, Side};
use proptest::prelude::*;
use smtp_proto::types::{Domain, MechanismName};
use smtp_proto::{
    Client, ClientConfig, ClientEvent, EnhancedStatusCode, Envelope, Reply, ReplyCode, Server,
    ServerConfig, ServerEvent, Stage, TlsMode,
};

/// What the client should do once ready.
#[derive(Clone)]
struct Script {
    auth: Option<(String, String)>,
    messages: Vec<(Envelope, Vec<Vec<u8>>)>,
}

/// What both sides reported.
#[derive(Default, Debug)]
struct Outcome {
    client: Vec<String>,
    /// Bodies the server received, one per completed message.
    bodies: Vec<Vec<u8>>,
    current: Vec<u8>,
    recipients: Vec<String>,
}

fn server_config(tls: TlsMode, tweak: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    let mut config = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    config.tls = tls;
    tweak(&mut config);
    config
}

fn client_config(tls: TlsMode) -> ClientConfig {
    let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    config.tls = tls;
    config
}

fn refuse(code: u16, text: &str) -> Reply {
    Reply::new(
        ReplyCode::new(code).unwrap(),
        Some(EnhancedStatusCode::new(5, 1, 1).unwrap()),
        text,
    )
    .unwrap()
}

/// Runs a session; the server refuses recipients whose local part starts with `refuse` and
/// credentials other than user/pencil.
fn run(
    client: ClientConfig,
    server: ServerConfig,
    script: Script,
    seed: Option<u64>,
) -> (Outcome, String) {
    let clock = FakeClock::start();
    let client = Client::new(client, clock.now());
    let server = Server::new(server, clock.now());
    let mut pair = Pair::new(client, server, clock);
    if let Some(seed) = seed {
        pair = pair.with_split_seed(seed);
    }
    let mut out = Outcome::default();
    let mut messages = script.messages.into_iter();
    let mut pending: Option<Vec<Vec<u8>>> = None;
    let mut auth = script.auth;
    let result = pair.run(|client, server, event| match event {
        Side::Client(event) => {
            out.client.push(format!("{event:?}"));
            let mut next_message =
                |client: &mut Client, pending: &mut Option<Vec<Vec<u8>>>| match messages.next() {
                    Some((envelope, body)) => {
                        *pending = Some(body);
                        client.send_mail(envelope).unwrap();
                    }
                    None => client.quit().unwrap(),
                };
            match event {
                ClientEvent::Ready => match auth.take() {
                    Some((user, pass)) => {
                        let sasl = SaslClient::plain(None, &user, pass).unwrap();
                        client.authenticate(sasl).unwrap();
                    }
                    None => next_message(client, &mut pending),
                },
                ClientEvent::Authenticated
                | ClientEvent::MessageSent { .. }
                | ClientEvent::MessageFailed { .. } => next_message(client, &mut pending),
                ClientEvent::AuthFailed { .. } => client.quit().unwrap(),
                ClientEvent::DataReady { .. } => {
                    for chunk in pending.take().unwrap_or_default() {
                        client.send_data(&chunk).unwrap();
                    }
                    client.finish_data().unwrap();
                }
                _ => {}
            }
        }
        Side::Server(event) => match event {
            ServerEvent::Hello { token, .. } | ServerEvent::Mail { token, .. } => {
                server.accept(token).unwrap();
            }
            ServerEvent::Rcpt { token, to, .. } => {
                let to = to
                    .mailbox()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                if to.starts_with("refuse") {
                    server
                        .send_reply(token, refuse(550, "no such user"))
                        .unwrap();
                } else {
                    out.recipients.push(to);
                    server.accept(token).unwrap();
                }
            }
            ServerEvent::Auth { token, credentials } => match credentials {
                Credentials::Password {
                    authcid, password, ..
                } if authcid == "user" && password.expose() == "pencil" => {
                    server.accept(token).unwrap();
                }
                _ => server
                    .send_reply(token, refuse(535, "bad credentials"))
                    .unwrap(),
            },
            ServerEvent::BodyChunk(chunk) => out.current.extend_from_slice(&chunk),
            ServerEvent::MessageComplete { token, .. } => {
                out.bodies.push(std::mem::take(&mut out.current));
                let queued = Reply::new(ReplyCode::OK, None, "queued as 4F2A").unwrap();
                server.send_reply(token, queued).unwrap();
            }
            _ => {}
        },
    });
    let transcript = pair.transcript_text();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    assert!(pair.client.is_closed(), "{transcript}");
    (out, transcript)
}

fn one(from: &str, to: &[&str], body: &[u8]) -> Script {
    Script {
        auth: None,
        messages: vec![(
            Envelope::parse(from, to.iter().copied()).unwrap(),
            vec![body.to_vec()],
        )],
    }
}

#[test]
fn plain_session_without_extensions() {
    let server = server_config(TlsMode::DangerousPlaintextOnly, |c| {
        c.extensions.pipelining = false;
        c.extensions.chunking = false;
    });
    let (out, transcript) = run(
        client_config(TlsMode::DangerousPlaintextOnly),
        server,
        one("a@client.example", &["b@mx.example"], b"Hi\r\n.dot\r\n"),
        None,
    );
    assert_eq!(out.bodies, vec![b"Hi\r\n.dot\r\n".to_vec()]);
    assert!(transcript.contains("C: DATA\n"), "{transcript}");
    assert!(transcript.contains("C: ..dot\n"), "{transcript}");
    assert!(!transcript.contains("STARTTLS"), "{transcript}");
    assert!(out.client.iter().any(|e| e.contains("queued as 4F2A")));
}

#[test]
fn starttls_then_auth_plain_then_pipelined_bdat() {
    let mut script = one(
        "a@client.example",
        &["b@mx.example", "refuse@mx.example", "c@mx.example"],
        b"Subject: x\r\n\r\nbody\r\n",
    );
    script.auth = Some(("user".into(), "pencil".into()));
    let (out, transcript) = run(
        client_config(TlsMode::Required),
        server_config(TlsMode::Required, |_| {}),
        script,
        None,
    );
    let starttls = transcript.find("C: STARTTLS").unwrap();
    let auth = transcript.find("C: AUTH PLAIN").unwrap();
    assert!(starttls < auth, "{transcript}");
    assert_eq!(transcript.matches("C: EHLO client.example").count(), 2);
    assert!(
        transcript.contains("C: MAIL FROM:<a@client.example> SIZE=")
            || transcript.contains("C: MAIL FROM:<a@client.example>\n"),
        "{transcript}"
    );
    assert!(transcript.contains("C: BDAT 20\n"), "{transcript}");
    assert_eq!(out.recipients, ["b@mx.example", "c@mx.example"]);
    assert_eq!(out.bodies, vec![b"Subject: x\r\n\r\nbody\r\n".to_vec()]);
    let recipients: Vec<_> = out
        .client
        .iter()
        .filter(|e| e.starts_with("Recipient"))
        .collect();
    assert_eq!(recipients.len(), 3);
    assert!(recipients[1].contains("550"));
    assert!(out.client.iter().any(|e| e.starts_with("Authenticated")));
}

#[test]
fn pipelined_data_when_chunking_is_off() {
    let mut client = client_config(TlsMode::Opportunistic);
    client.chunking = false;
    let (out, transcript) = run(
        client,
        server_config(TlsMode::Opportunistic, |_| {}),
        one(
            "a@client.example",
            &["b@mx.example", "c@mx.example"],
            b".\r\n..\r\nx",
        ),
        None,
    );
    // MAIL, both RCPT and DATA leave in one write (RFC 2920).
    assert!(
        transcript.contains(
            "C: MAIL FROM:<a@client.example>\nC: RCPT TO:<b@mx.example>\nC: RCPT TO:<c@mx.example>\nC: DATA\n"
        ),
        "{transcript}"
    );
    assert!(
        transcript.contains("C: ..\nC: ...\nC: x\nC: .\n"),
        "{transcript}"
    );
    assert_eq!(out.bodies, vec![b".\r\n..\r\nx\r\n".to_vec()]);
}

#[test]
fn all_recipients_refused_then_next_message() {
    let script = Script {
        auth: None,
        messages: vec![
            (
                Envelope::parse(
                    "a@client.example",
                    ["refuse1@mx.example", "refuse2@mx.example"],
                )
                .unwrap(),
                vec![b"lost\r\n".to_vec()],
            ),
            (
                Envelope::parse("a@client.example", ["ok@mx.example"]).unwrap(),
                vec![b"second\r\n".to_vec()],
            ),
        ],
    };
    for chunking in [true, false] {
        let mut client = client_config(TlsMode::Opportunistic);
        client.chunking = chunking;
        let (out, transcript) = run(
            client,
            server_config(TlsMode::Opportunistic, |_| {}),
            script.clone(),
            None,
        );
        assert_eq!(out.bodies, vec![b"second\r\n".to_vec()], "{transcript}");
        let failed = out
            .client
            .iter()
            .find(|e| e.starts_with("MessageFailed"))
            .unwrap();
        assert!(
            failed.contains(&format!("{:?}", Stage::Recipients)),
            "{failed}"
        );
        assert!(transcript.contains("C: RSET\n"), "{transcript}");
    }
}

#[test]
fn wrong_password_is_reported_and_nothing_is_sent() {
    let mut script = one("a@client.example", &["b@mx.example"], b"x\r\n");
    script.auth = Some(("user".into(), "wrong".into()));
    let (out, transcript) = run(
        client_config(TlsMode::Required),
        server_config(TlsMode::Required, |_| {}),
        script,
        None,
    );
    assert!(out.client.iter().any(|e| e.starts_with("AuthFailed")));
    assert!(!transcript.contains("MAIL FROM"), "{transcript}");
}

#[test]
fn eight_bit_and_smtputf8_only_when_needed() {
    let body = "Subject: caf\u{e9}\r\n\r\n\u{e9}\r\n".as_bytes();
    let envelope = Envelope::parse("a@client.example", ["b@mx.example"])
        .unwrap()
        .for_body(body);
    let script = Script {
        auth: None,
        messages: vec![
            (envelope, vec![body.to_vec()]),
            (
                Envelope::parse("a@client.example", ["j\u{f6}rg@mx.example"]).unwrap(),
                vec![b"ascii\r\n".to_vec()],
            ),
        ],
    };
    let (out, transcript) = run(
        client_config(TlsMode::Opportunistic),
        server_config(TlsMode::Opportunistic, |c| {
            c.extensions.auth = vec![MechanismName::from(mail_sansio::sasl::Mechanism::Plain)]
        }),
        script,
        None,
    );
    assert_eq!(out.bodies.len(), 2, "{transcript}");
    assert!(
        transcript.contains("C: MAIL FROM:<a@client.example> SIZE=22 BODY=8BITMIME\n"),
        "{transcript}"
    );
    assert!(
        transcript.contains("C: MAIL FROM:<a@client.example> SMTPUTF8\n"),
        "{transcript}"
    );
    assert_eq!(transcript.matches("C: MAIL").count(), 2, "{transcript}");
}

fn body_strategy() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let line = prop_oneof![
        Just(b".".to_vec()),
        Just(b"..".to_vec()),
        Just(b".x".to_vec()),
        Just(b"text".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b' ')],
            0..12
        ),
    ];
    let ending = prop_oneof![
        Just(&b"\r\n"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b""[..])
    ];
    proptest::collection::vec((line, ending), 0..8).prop_flat_map(|lines| {
        let body: Vec<u8> = lines
            .iter()
            .flat_map(|(l, e)| l.iter().chain(e.iter()).copied())
            .collect();
        let len = body.len();
        mail_sansio::testing::strategies::split_points(len, 4).prop_map(move |points| {
            mail_sansio::testing::strategies::split_at_points(&body, &points)
        })
    })
}

/// What the server should receive: the body with bare CR/LF as CRLF and a final CRLF.
fn normalised(body: &[u8]) -> Vec<u8> {
    let stuffed = DotStuffer::stuff(body);
    let mut input = bytes::BytesMut::from(&stuffed[..]);
    let mut unstuffer = mail_sansio::dot::DotUnstuffer::new(mail_sansio::dot::BareNewline::Reject);
    let mut out = Vec::new();
    while let Some(frame) = unstuffer.next_frame(&mut input) {
        match frame {
            mail_sansio::dot::BodyFrame::Chunk(c) => out.extend_from_slice(&c),
            _ => break,
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn server_receives_the_normalised_body(
        chunks in body_strategy(),
        seed in any::<u64>(),
        chunking in any::<bool>(),
        pipelining in any::<bool>(),
    ) {
        let body: Vec<u8> = chunks.concat();
        let mut client = client_config(TlsMode::Opportunistic);
        client.chunking = chunking;
        let server = server_config(TlsMode::Opportunistic, |c| c.extensions.pipelining = pipelining);
        let script = Script {
            auth: None,
            messages: vec![(
                Envelope::parse("a@client.example", ["b@mx.example"]).unwrap(),
                chunks,
            )],
        };
        let (out, transcript) = run(client, server, script, Some(seed));
        prop_assert_eq!(&out.bodies, &vec![normalised(&body)], "{}", transcript);
    }
}

#[test]
fn lmtp_gives_one_delivery_per_accepted_recipient() {
    for chunking in [false, true] {
        let mut client = client_config(TlsMode::DangerousPlaintextOnly);
        client.lmtp = true;
        client.chunking = chunking;
        let server = server_config(TlsMode::DangerousPlaintextOnly, |c| c.lmtp = true);
        let (out, transcript) = run(
            client,
            server,
            one(
                "a@client.example",
                &["b@mx.example", "refuse@mx.example", "c@mx.example"],
                b"lmtp body\r\n",
            ),
            None,
        );
        assert!(
            transcript.contains("C: LHLO client.example\n"),
            "{transcript}"
        );
        assert_eq!(out.bodies, vec![b"lmtp body\r\n".to_vec()]);
        let deliveries: Vec<_> = out
            .client
            .iter()
            .filter(|e| e.starts_with("Delivery"))
            .collect();
        assert_eq!(deliveries.len(), 2, "{:#?}", out.client);
        assert!(deliveries[0].contains("index: 0") && deliveries[1].contains("index: 2"));
        assert!(out.client.iter().any(|e| e.starts_with("MessageSent")));
    }
}

#[test]
fn dsn_parameters_go_out_only_when_offered() {
    use smtp_proto::types::{
        ForwardPath, MailParameters, Mailbox, Notify, Orcpt, RcptParameters, Ret, Text,
    };
    let mut mail = MailParameters::default();
    mail.ret = Some(Ret::Headers);
    mail.envid = Some(Text::try_from("QQ314159").unwrap());
    let mut rcpt = RcptParameters::default();
    rcpt.notify = Some(Notify::On {
        success: true,
        failure: true,
        delay: false,
    });
    rcpt.orcpt = Some(Orcpt::new("rfc822", "b@mx.example").unwrap());
    let to = ForwardPath::Mailbox(Mailbox::try_from("b@mx.example").unwrap());
    let envelope = Envelope::parse("a@client.example", [])
        .unwrap()
        .with_parameters(mail)
        .to_with(to, rcpt);
    let script = Script {
        auth: None,
        messages: vec![(envelope.clone(), vec![b"dsn\r\n".to_vec()])],
    };
    let (out, transcript) = run(
        client_config(TlsMode::Opportunistic),
        server_config(TlsMode::Opportunistic, |_| {}),
        script,
        None,
    );
    assert_eq!(out.bodies.len(), 1, "{transcript}");
    assert!(
        transcript.contains("RET=HDRS ENVID=QQ314159"),
        "{transcript}"
    );
    assert!(
        transcript.contains(
            "C: RCPT TO:<b@mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@mx.example\n"
        ),
        "{transcript}"
    );

    // Without DSN the client refuses locally and sends nothing.
    let clock = FakeClock::start();
    let mut client = Client::new(client_config(TlsMode::DangerousPlaintextOnly), clock.now());
    client.handle_input(clock.now(), b"220 mx.example\r\n");
    client.poll_event().unwrap();
    client.poll_transmit();
    client.handle_input(clock.now(), b"250 mx.example\r\n");
    assert_eq!(client.poll_event().unwrap(), Some(ClientEvent::Ready));
    assert_eq!(
        client.send_mail(envelope),
        Err(smtp_proto::SendError::NotOffered("DSN"))
    );
    assert_eq!(client.poll_transmit(), None);
}
