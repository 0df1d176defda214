//! The POP3 server machine on arbitrary client input split into chunks: never panics, and
//! gives the same events and replies whether the input arrives whole or in pieces.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;
use pop3_proto::{Maildrop, Server, ServerConfig, ServerEvent, Text, TlsMode, Uid};

fn run(pieces: &[&[u8]], now: Instant) -> (Vec<String>, Vec<u8>) {
    let mut server = Server::new(ServerConfig::new(TlsMode::DangerousPlaintext), now);
    let mut log = Vec::new();
    let mut sent = Vec::new();
    for piece in pieces {
        server.handle_input(now, piece);
        loop {
            while let Some(b) = server.poll_transmit() {
                sent.extend_from_slice(&b);
            }
            match server.poll_event() {
                Ok(Some(event)) => {
                    log.push(format!("{event:?}"));
                    match event {
                        ServerEvent::Login { .. } | ServerEvent::Apop { .. } => {
                            let mut m = Maildrop::new();
                            m.push(12, Uid::try_from("a").unwrap()).unwrap();
                            m.push(0, Uid::try_from("b").unwrap()).unwrap();
                            server.accept_login(m).unwrap();
                        }
                        ServerEvent::Retrieve { .. } => {
                            server.send_data(b"H: v\r\n\r\n.x\n").unwrap();
                            server.finish_data().unwrap();
                        }
                        ServerEvent::Commit { .. } => server.commit_result(Ok(())).unwrap(),
                        _ => server
                            .reject_login(None, Text::try_from("no").unwrap())
                            .unwrap(),
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Fatal and sticky: nothing more to compare.
                    log.push(format!("error {e}"));
                    while let Some(b) = server.poll_transmit() {
                        sent.extend_from_slice(&b);
                    }
                    return (log, sent);
                }
            }
        }
    }
    server.handle_eof(now);
    while let Some(b) = server.poll_transmit() {
        sent.extend_from_slice(&b);
    }
    if let Err(e) = server.poll_event() {
        log.push(format!("error {e}"));
    }
    while let Some(b) = server.poll_transmit() {
        sent.extend_from_slice(&b);
    }
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
    assert_eq!(run(&pieces, now), whole);
});
