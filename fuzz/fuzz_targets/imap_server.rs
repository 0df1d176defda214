//! The IMAP server machine on arbitrary client input split into chunks: never panics, and
//! gives the same events and responses whether the input arrives whole or in pieces. The
//! application accepts everything (a mailbox of UIDs 1..=5 for SELECT, every message for
//! SEARCH), so logins, selects, fetches, APPENDs and IDLE are all reached.
#![no_main]

use std::time::Instant;

use imap_proto::server::{Completion, MailboxSnapshot, Server, ServerConfig, ServerEvent};
use imap_proto::TlsMode;
use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;

fn answer(server: &mut Server, event: &ServerEvent) {
    let Some(token) = event.token() else {
        return;
    };
    let result = match event {
        ServerEvent::Select { .. } => {
            let snapshot = MailboxSnapshot {
                uids: (1..=5).collect(),
                flags: Vec::new(),
                permanent_flags: Vec::new(),
                uid_validity: 1,
                uid_next: 6,
                highest_modseq: Some(1),
                recent: 0,
                first_unseen: None,
                read_only: false,
            };
            server
                .open_mailbox(token, snapshot)
                .and_then(|()| server.accept(token))
        }
        ServerEvent::Search { .. } => server.send_search(token, &[1, 3, 5], None),
        ServerEvent::Fetch { uids, .. } => {
            for &uid in uids {
                server.send_fetch(token, uid, Vec::new()).unwrap();
            }
            server.accept(token)
        }
        ServerEvent::SaslConfig { .. } | ServerEvent::ScramCredentials { .. } => {
            server.complete(token, Completion::no(None, Default::default()))
        }
        _ => server.accept(token),
    };
    result.unwrap();
}

fn run(pieces: &[&[u8]], now: Instant) -> (Vec<String>, Vec<u8>) {
    let mut config = ServerConfig::strict(TlsMode::Implicit);
    config.limits.literal_stream_threshold = 16;
    config.bad_commands_before_login = 50;
    config.bad_commands = 50;
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
                Ok(Some(ServerEvent::AppendChunk(chunk))) => body.extend_from_slice(&chunk),
                Ok(Some(event)) => {
                    log.push(format!("{event:?} after {} body octets", body.len()));
                    answer(&mut server, &event);
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
