//! The SMTP server machine on arbitrary client input split into chunks: never panics, and
//! gives the same events and replies whether the input arrives whole or in pieces.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;
use smtp_proto::types::Domain;
use smtp_proto::{Server, ServerConfig, ServerEvent, TlsMode};

fn run(pieces: &[&[u8]], now: Instant) -> (Vec<String>, Vec<u8>) {
    let mut config = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    config.tls = TlsMode::Implicit;
    // A body before 354 is refused or not depending on how input is split; allow it here.
    config.allow_unnegotiated_pipelining = true;
    config.limits.message_size = 300;
    config.limits.recipients = 5;
    let mut server = Server::new(config, now);
    let mut log = Vec::new();
    let mut sent = Vec::new();
    let mut body = Vec::new();
    while let Some(b) = server.poll_transmit() {
        sent.extend_from_slice(&b);
    }
    for piece in pieces {
        server.handle_input(now, piece);
        loop {
            while let Some(b) = server.poll_transmit() {
                sent.extend_from_slice(&b);
            }
            match server.poll_event() {
                Ok(Some(ServerEvent::BodyChunk(chunk))) => body.extend_from_slice(&chunk),
                Ok(Some(event)) => {
                    log.push(format!("{event:?} after {} body octets", body.len()));
                    if let Some(token) = event.token() {
                        server.accept(token).unwrap();
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    log.push("error".into());
                    break;
                }
            }
        }
        while let Some(b) = server.poll_transmit() {
            sent.extend_from_slice(&b);
        }
        if server.is_closed() {
            break;
        }
    }
    log.push(format!("body {body:?}"));
    (log, sent)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let whole = run(&[data], now);
    let step = usize::from(cut % 16) + 1;
    let pieces: Vec<&[u8]> = data.chunks(step).collect();
    let split = run(&pieces, now);
    assert_eq!(whole, split);
});
