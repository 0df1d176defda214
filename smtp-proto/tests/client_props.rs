//! Properties of the client: arbitrary server bytes never panic, and the events, errors and
//! bytes sent do not depend on how the server's bytes are split.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::mem::discriminant;

use mail_sansio::Session;
use mail_sansio::sasl::SaslClient;
use mail_sansio::testing::FakeClock;
use mail_sansio::testing::strategies::{chunked, mail_bytes};
use proptest::prelude::*;
use smtp_proto::types::Domain;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, Error, TlsMode};

/// Everything observable, for comparing runs.
#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<ClientEvent>,
    sent: Vec<u8>,
    error: Option<std::mem::Discriminant<Error>>,
}

fn run(pieces: &[Vec<u8>], tls: TlsMode) -> Run {
    let clock = FakeClock::start();
    let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    config.tls = tls;
    config.dangerous_plaintext_auth = true;
    let mut client = Client::new(config, clock.now());
    let mut out = Run {
        events: Vec::new(),
        sent: Vec::new(),
        error: None,
    };
    let mut authed = false;
    for piece in pieces {
        client.handle_input(clock.now(), piece);
        loop {
            while let Some(bytes) = client.poll_transmit() {
                out.sent.extend_from_slice(&bytes);
            }
            if client.wants_tls() {
                client.handle_tls_established(clock.now());
            }
            match client.poll_event() {
                Ok(Some(event)) => {
                    match &event {
                        ClientEvent::Ready if !authed => {
                            authed = true;
                            let sasl = SaslClient::plain(None, "u", "p".to_owned()).unwrap();
                            if client.authenticate(sasl).is_err() {
                                let _ = client.send_mail(envelope());
                            }
                        }
                        ClientEvent::Ready
                        | ClientEvent::Authenticated
                        | ClientEvent::AuthFailed { .. } => {
                            let _ = client.send_mail(envelope());
                        }
                        ClientEvent::DataReady { .. } => {
                            client.send_data(b".a\r\nb\n.").unwrap();
                            client.finish_data().unwrap();
                        }
                        ClientEvent::MessageSent { .. } | ClientEvent::MessageFailed { .. } => {
                            let _ = client.quit();
                        }
                        _ => {}
                    }
                    out.events.push(event);
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(discriminant(&e));
                    break;
                }
            }
        }
        while let Some(bytes) = client.poll_transmit() {
            out.sent.extend_from_slice(&bytes);
        }
        if out.error.is_some() {
            break;
        }
    }
    out
}

fn envelope() -> Envelope {
    Envelope::parse("a@client.example", ["b@mx.example", "c@mx.example"]).unwrap()
}

/// Server bytes: mostly plausible reply lines, sometimes garbage.
fn server_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"220 mx.example ESMTP\r\n".to_vec()),
        Just(b"250-mx.example\r\n".to_vec()),
        Just(b"250-PIPELINING\r\n".to_vec()),
        Just(b"250-CHUNKING\r\n".to_vec()),
        Just(b"250-AUTH PLAIN\r\n".to_vec()),
        Just(b"250-STARTTLS\r\n".to_vec()),
        Just(b"250 SIZE 100\r\n".to_vec()),
        Just(b"250 2.1.0 OK\r\n".to_vec()),
        Just(b"220 go ahead\r\n".to_vec()),
        Just(b"235 2.7.0 OK\r\n".to_vec()),
        Just(b"334 \r\n".to_vec()),
        Just(b"354 go\r\n".to_vec()),
        Just(b"550 5.1.1 no\r\n".to_vec()),
        Just(b"221 bye\r\n".to_vec()),
        mail_bytes(12),
    ];
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn splitting_never_changes_the_outcome(
        (whole, pieces) in server_bytes().prop_flat_map(|b| (Just(b.clone()), chunked(b))),
        mode in 0u8..4,
    ) {
        let tls = match mode {
            0 => TlsMode::Required,
            1 => TlsMode::Opportunistic,
            2 => TlsMode::Implicit,
            _ => TlsMode::DangerousPlaintextOnly,
        };
        let one = run(&[whole], tls);
        let split = run(&pieces, tls);
        prop_assert_eq!(one, split);
    }

    #[test]
    fn arbitrary_bytes_never_panic(pieces in proptest::collection::vec(any::<Vec<u8>>(), 0..8)) {
        run(&pieces, TlsMode::DangerousPlaintextOnly);
        run(&pieces, TlsMode::Required);
    }
}
