//! The client against the crate's own [`Server`] for RFC 3030: BDAT without PIPELINING (every
//! chunk waits for its reply) and BINARYMIME bodies delivered unchanged, in random splits.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use mail_sansio::testing::{FakeClock, Pair, Side};
use proptest::prelude::*;
use smtp_proto::types::Domain;
use smtp_proto::{
    Client, ClientConfig, ClientEvent, Envelope, Server, ServerConfig, ServerEvent, TlsMode,
};

fn configs(tweak: impl FnOnce(&mut ServerConfig)) -> (ClientConfig, ServerConfig) {
    let mut client = ClientConfig::new(Domain::try_from("client.example").unwrap());
    client.tls = TlsMode::DangerousPlaintextOnly;
    let mut server = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    server.tls = TlsMode::DangerousPlaintextOnly;
    tweak(&mut server);
    (client, server)
}

/// What a run produced: the client's events, the bodies the server received, the
/// `BODY=` value of each MAIL and the transcript.
struct Outcome {
    client: Vec<String>,
    bodies: Vec<Vec<u8>>,
    bodies_declared: Vec<String>,
    transcript: String,
}

/// Sends one message whose body goes out in `pieces`.
fn run(
    client: ClientConfig,
    server: ServerConfig,
    envelope: Envelope,
    pieces: Vec<Vec<u8>>,
    seed: Option<u64>,
) -> Outcome {
    let clock = FakeClock::start();
    let client = Client::new(client, clock.now());
    let server = Server::new(server, clock.now());
    let mut pair = Pair::new(client, server, clock);
    if let Some(seed) = seed {
        pair = pair.with_split_seed(seed);
    }
    let mut envelope = Some(envelope);
    let mut out = Outcome {
        client: Vec::new(),
        bodies: Vec::new(),
        bodies_declared: Vec::new(),
        transcript: String::new(),
    };
    let mut current = Vec::new();
    let result = pair.run(|client, server, event| match event {
        Side::Client(event) => {
            out.client.push(format!("{event:?}"));
            match event {
                ClientEvent::Ready => match envelope.take() {
                    Some(e) => {
                        if let Err(error) = client.send_mail(e) {
                            out.client.push(format!("SendError: {error:?}"));
                            client.quit().unwrap();
                        }
                    }
                    None => client.quit().unwrap(),
                },
                ClientEvent::DataReady { .. } => {
                    for piece in &pieces {
                        if let Err(error) = client.send_data(piece) {
                            out.client.push(format!("SendError: {error:?}"));
                        }
                    }
                    client.finish_data().unwrap();
                }
                ClientEvent::MessageSent { .. } | ClientEvent::MessageFailed { .. } => {
                    client.quit().unwrap();
                }
                _ => {}
            }
        }
        Side::Server(event) => match event {
            ServerEvent::Mail { token, params, .. } => {
                out.bodies_declared
                    .push(params.body.map(|b| format!("{b:?}")).unwrap_or_default());
                server.accept(token).unwrap();
            }
            ServerEvent::Hello { token, .. } | ServerEvent::Rcpt { token, .. } => {
                server.accept(token).unwrap();
            }
            ServerEvent::BodyChunk(chunk) => current.extend_from_slice(&chunk),
            ServerEvent::MessageComplete { token, .. } => {
                out.bodies.push(std::mem::take(&mut current));
                server.accept(token).unwrap();
            }
            _ => {}
        },
    });
    out.transcript = pair.transcript_text();
    result.unwrap_or_else(|e| panic!("{e}\n{}", out.transcript));
    out
}

fn envelope() -> Envelope {
    Envelope::parse("a@client.example", ["b@mx.example", "c@mx.example"]).unwrap()
}

#[test]
fn bdat_without_pipelining_waits_for_each_chunk() {
    let (client, server) = configs(|c| c.extensions.pipelining = false);
    let pieces = vec![b"Subject: x\r\n".to_vec(), b"\r\n.body\r\n".to_vec()];
    let out = run(client, server, envelope(), pieces, None);
    assert_eq!(out.bodies, vec![b"Subject: x\r\n\r\n.body\r\n".to_vec()]);
    let t = &out.transcript;
    assert!(!t.contains("C: DATA"), "{t}");
    // Each BDAT follows the reply to the one before.
    let first = t.find("C: BDAT 12\n").unwrap();
    let second = t.find("C: BDAT 9\n").unwrap();
    let last = t.find("C: BDAT 0 LAST\n").unwrap();
    let reply = |from: usize| from + t[from..].find("S: 250").unwrap();
    assert!(reply(first) < second && reply(second) < last, "{t}");
    // MAIL and RCPTs are not pipelined either.
    let rcpt = t.find("C: RCPT TO:<b@mx.example>").unwrap();
    assert!(reply(t.find("C: MAIL").unwrap()) < rcpt, "{t}");
}

#[test]
fn pipelining_and_chunking_still_pipeline_the_chunks() {
    let (client, server) = configs(|_| {});
    let pieces = vec![b"one\r\n".to_vec(), b"two\r\n".to_vec()];
    let out = run(client, server, envelope(), pieces, None);
    assert_eq!(out.bodies, vec![b"one\r\ntwo\r\n".to_vec()]);
    assert!(
        out.transcript
            .contains("C: BDAT 5\nC: one\nC: BDAT 5\nC: two\nC: BDAT 0 LAST\n")
    );
}

#[test]
fn without_chunking_data_is_used() {
    let (client, server) = configs(|c| {
        c.extensions.pipelining = false;
        c.extensions.chunking = false;
    });
    let out = run(client, server, envelope(), vec![b"x\r\n".to_vec()], None);
    assert_eq!(out.bodies, vec![b"x\r\n".to_vec()]);
    assert!(out.transcript.contains("C: DATA\n"), "{}", out.transcript);
}

#[test]
fn binary_body_goes_out_unchanged_with_binarymime() {
    let mut body = b"Content-Type: application/octet-stream\r\n\r\n.\0\n\r\xff".to_vec();
    body.extend(std::iter::repeat_n(b'x', 2000));
    let envelope = envelope().for_body(&body);
    assert!(envelope.is_binary());
    for pipelining in [true, false] {
        let (client, server) = configs(|c| c.extensions.pipelining = pipelining);
        let pieces = vec![body[..7].to_vec(), body[7..].to_vec()];
        let out = run(client, server, envelope.clone(), pieces, None);
        assert_eq!(out.bodies, vec![body.clone()], "{}", out.transcript);
        assert_eq!(out.bodies_declared, vec!["BinaryMime".to_owned()]);
        assert!(
            out.transcript.contains("BODY=BINARYMIME"),
            "{}",
            out.transcript
        );
        assert!(
            out.transcript.contains("BDAT 0 LAST\n"),
            "{}",
            out.transcript
        );
    }
}

#[test]
fn binary_body_is_refused_before_mail_without_binarymime() {
    let body = b"a\0b\r\n";
    for tweak in [
        (|c: &mut ServerConfig| c.extensions.binary_mime = false) as fn(&mut ServerConfig),
        |c: &mut ServerConfig| c.extensions.chunking = false,
    ] {
        let (client, server) = configs(tweak);
        let out = run(client, server, envelope().for_body(body), vec![], None);
        assert!(
            out.client
                .iter()
                .any(|e| e.contains("NotOffered(\"BINARYMIME with CHUNKING\")")),
            "{:?}",
            out.client
        );
        assert!(!out.transcript.contains("MAIL FROM"), "{}", out.transcript);
        assert!(out.bodies.is_empty());
    }
}

#[test]
fn text_bodies_are_not_binary() {
    let text = envelope().for_body(b"Subject: caf\xc3\xa9\r\n\r\nbody\r\n");
    assert!(!text.is_binary());
    // A Unix text file is text: its LFs become CRLF, and the declared size counts them.
    let bare_lf = envelope().for_body(b"Subject: x\n\nbody\r\n");
    assert!(!bare_lf.is_binary());
    assert_eq!(bare_lf.size(), Some(20));
    assert!(bare_lf.with_binary(true).is_binary());
    assert!(envelope().for_body(b"a\rb\r\n").is_binary());
}

#[test]
fn nul_or_long_lines_in_a_text_body_are_refused_and_not_sent() {
    for chunking in [true, false] {
        let (mut client, server) = configs(|_| {});
        client.chunking = chunking;
        let pieces = vec![
            b"ok\r\n".to_vec(),
            vec![b'y'; 500],
            vec![b'y'; 499],
            b"\0".to_vec(),
            b"\r\nend\r\n".to_vec(),
        ];
        let out = run(client, server, envelope(), pieces, None);
        let refused = out
            .client
            .iter()
            .filter(|e| e.contains("BinaryBody"))
            .count();
        assert_eq!(refused, 2, "{:?}", out.client);
        let mut expected = b"ok\r\n".to_vec();
        expected.extend(std::iter::repeat_n(b'y', 500));
        expected.extend_from_slice(b"\r\nend\r\n");
        assert_eq!(out.bodies, vec![expected]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn binary_bodies_arrive_byte_identical(
        pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..6),
        seed in any::<u64>(),
        pipelining in any::<bool>(),
    ) {
        let (client, server) = configs(|c| c.extensions.pipelining = pipelining);
        let envelope = envelope().with_binary(true);
        let out = run(client, server, envelope, pieces.clone(), Some(seed));
        prop_assert_eq!(&out.bodies, &vec![pieces.concat()], "{}", out.transcript);
    }

    #[test]
    fn unpipelined_bdat_delivers_the_normalised_body(
        pieces in proptest::collection::vec(proptest::collection::vec(32u8..127, 0..40), 0..6),
        seed in any::<u64>(),
    ) {
        let (client, server) = configs(|c| c.extensions.pipelining = false);
        let out = run(client, server, envelope(), pieces.clone(), Some(seed));
        let mut expected = pieces.concat();
        if !expected.is_empty() {
            expected.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(&out.bodies, &vec![expected]);
    }
}

#[test]
fn lmtp_without_pipelining_holds_the_last_chunk_and_reads_every_delivery() {
    let (mut client, server) = configs(|c| {
        c.lmtp = true;
        c.extensions.pipelining = false;
    });
    client.lmtp = true;
    let pieces = vec![b"one\r\n".to_vec(), b"two\r\n".to_vec()];
    let out = run(client, server, envelope(), pieces, None);
    assert_eq!(out.bodies, vec![b"one\r\ntwo\r\n".to_vec()]);
    let deliveries = out
        .client
        .iter()
        .filter(|e| e.starts_with("Delivery"))
        .count();
    assert_eq!(deliveries, 2, "{:?}", out.client);
    assert!(out.client.iter().any(|e| e.starts_with("MessageSent")));
    assert!(
        out.transcript.contains("C: LHLO client.example"),
        "{}",
        out.transcript
    );
}
