//! The IMAP server machine on arbitrary client input split into chunks: never panics, and
//! gives the same events and responses whether the input arrives whole or in pieces. The
//! application accepts everything (a mailbox of UIDs 1..=5 for SELECT, every message for
//! SEARCH, SORT and THREAD, message 2's body streamed), so logins, selects, fetches,
//! APPENDs, IDLE, SEARCHRES, UNAUTHENTICATE and the XOAUTH2 error challenge are all reached.
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use imap_proto::response::{FetchItem, Payload, Section, Thread};
use imap_proto::server::{Completion, MailboxSnapshot, Server, ServerConfig, ServerEvent};
use imap_proto::types::Atom;
use imap_proto::TlsMode;
use mail_sansio::sasl::{Credentials, Mechanism};
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
        ServerEvent::Sort { .. } => server.send_sort(token, &[5, 1, 3], None),
        ServerEvent::Thread { .. } => {
            let leaf = |uid| Thread {
                members: vec![uid],
                children: Vec::new(),
            };
            let tree = Thread {
                members: vec![1],
                children: vec![leaf(3), leaf(5)],
            };
            server.send_thread(token, vec![tree])
        }
        ServerEvent::Login {
            credentials: Credentials::Token { .. },
            ..
        } => server.reject_token(token, b"{\"status\":\"invalid_token\"}"),
        ServerEvent::Fetch { uids, .. } => {
            for &uid in uids {
                if uid == 2 {
                    // The body streamed in two chunks.
                    let item = FetchItem::BodySection {
                        section: Section::default(),
                        origin: None,
                        data: Payload::Streamed { len: 6 },
                    };
                    server.start_fetch(token, uid, vec![item]).unwrap();
                    server
                        .send_fetch_chunk(token, Bytes::from_static(b"ab\r\n"))
                        .unwrap();
                    server
                        .send_fetch_chunk(token, Bytes::from_static(b"cd"))
                        .unwrap();
                    server.end_fetch(token, Vec::new()).unwrap();
                } else {
                    server.send_fetch(token, uid, Vec::new()).unwrap();
                }
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
    config.auth_failures = 50;
    config.extensions.sort = true;
    config.extensions.thread = vec![Atom::try_from("REFERENCES").unwrap()];
    config.extensions.searchres = true;
    config.extensions.unauthenticate = true;
    config.sasl.push(Mechanism::XOAuth2.into());
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
