//! The SMTP client sending a message while arbitrary server bytes arrive in arbitrary
//! pieces, with time passing: never panics, fails stickily, and queues nothing once failed.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;
use mail_sansio::sasl::SaslClient;
use smtp_proto::types::Domain;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, TlsMode};

fuzz_target!(|data: &[u8]| {
    let Some((&control, mut data)) = data.split_first() else {
        return;
    };
    let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    config.tls = match control & 3 {
        0 => TlsMode::Required,
        1 => TlsMode::Opportunistic,
        2 => TlsMode::Implicit,
        _ => TlsMode::DangerousPlaintextOnly,
    };
    config.chunking = control & 4 == 0;
    config.initial_response = control & 8 == 0;
    config.dangerous_plaintext_auth = control & 16 == 0;
    let authenticate = control & 32 == 0;
    let mut now = Instant::now();
    let mut client = Client::new(config, now);
    let mut failed = false;
    let mut drained = false;
    let mut authed = false;
    while let Some((&len, rest)) = data.split_first() {
        let take = usize::from(len % 64).min(rest.len());
        let (piece, tail) = rest.split_at(take);
        data = tail;
        if len & 0x40 != 0 {
            now += Duration::from_secs(u64::from(len));
            client.handle_timeout(now);
        }
        client.handle_input(now, piece);
        if len == 0xff {
            client.handle_eof(now);
        }
        loop {
            while client.poll_transmit().is_some() {
                // Bytes queued before the error may still leave, once.
                assert!(!drained, "queued bytes after a fatal error");
            }
            drained |= failed;
            if client.wants_tls() {
                client.handle_tls_established(now);
            }
            match client.poll_event() {
                Ok(Some(event)) => match event {
                    ClientEvent::Ready if authenticate && !authed => {
                        authed = true;
                        let sasl = SaslClient::plain(None, "user", "pencil".to_owned()).unwrap();
                        let _ = client.authenticate(sasl);
                    }
                    ClientEvent::Ready
                    | ClientEvent::Authenticated
                    | ClientEvent::AuthFailed { .. } => {
                        let envelope =
                            Envelope::parse("a@client.example", ["b@mx.example", "c@mx.example"])
                                .unwrap()
                                .for_body(b".dot\r\nbody\n");
                        let _ = client.send_mail(envelope);
                    }
                    ClientEvent::DataReady { .. } => {
                        client.send_data(b".dot\r\n").unwrap();
                        client.send_data(b"body\n").unwrap();
                        client.finish_data().unwrap();
                    }
                    ClientEvent::MessageSent { .. } | ClientEvent::MessageFailed { .. } => {
                        let _ = client.quit();
                    }
                    _ => {}
                },
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    assert!(client.poll_event().is_err(), "errors are sticky");
                    break;
                }
            }
        }
    }
});
