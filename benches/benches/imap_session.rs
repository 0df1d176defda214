//! A full IMAP server session: the server machine reading a client's transcript (LOGIN,
//! SELECT of a 10 000-message mailbox, FETCH of 200 messages' flags and sizes, STORE,
//! SEARCH, a 1 MiB APPEND streamed, IDLE with pushed changes, LOGOUT) and writing every
//! answer, with the application answering each event at once. The input arrives in 16 KiB
//! reads, as from a socket.

#![allow(clippy::disallowed_methods)] // one real instant to start the machine
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_proto::TlsMode;
use imap_proto::response::FetchItem;
use imap_proto::server::{MailboxSnapshot, Server, ServerConfig, ServerEvent, Update};
use imap_proto::types::{Flag, FlagFetch};
use mail_sansio::Session;

const READ: usize = 16 * 1024;
const MESSAGES: u32 = 10_000;

/// The client's side of the session.
fn transcript() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\n");
    t.extend_from_slice(b"a3 FETCH 1:200 (UID FLAGS RFC822.SIZE)\r\n");
    t.extend_from_slice(b"a4 UID STORE 1:50 +FLAGS.SILENT (\\Seen)\r\n");
    t.extend_from_slice(b"a5 SEARCH UNSEEN\r\n");
    let body = vec![b'x'; 1 << 20];
    t.extend_from_slice(format!("a6 APPEND INBOX (\\Seen) {{{}+}}\r\n", body.len()).as_bytes());
    t.extend_from_slice(&body);
    t.extend_from_slice(b"\r\na7 IDLE\r\n");
    t.extend_from_slice(b"DONE\r\na8 LOGOUT\r\n");
    t
}

fn answer(server: &mut Server, event: ServerEvent, appended: &mut u64) {
    match event {
        ServerEvent::AppendChunk(chunk) => *appended += chunk.len() as u64,
        ServerEvent::Select { token, .. } => {
            let snapshot = MailboxSnapshot {
                uids: (1..=MESSAGES).collect(),
                flags: vec![Flag::Seen, Flag::Deleted],
                permanent_flags: Vec::new(),
                uid_validity: 1,
                uid_next: MESSAGES + 1,
                highest_modseq: Some(1),
                recent: 0,
                first_unseen: Some(1),
                read_only: false,
            };
            server.open_mailbox(token, snapshot).unwrap();
            server.accept(token).unwrap();
        }
        ServerEvent::Fetch { token, uids, .. } => {
            for uid in uids {
                let items = vec![
                    FetchItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
                    FetchItem::Rfc822Size(4096),
                ];
                server.send_fetch(token, uid, items).unwrap();
            }
            server.accept(token).unwrap();
        }
        ServerEvent::Search { token, .. } => {
            let found: Vec<u32> = (51..=MESSAGES).step_by(7).collect();
            server.send_search(token, &found, None).unwrap();
        }
        ServerEvent::Append { token, .. } => {
            server.accept(token).unwrap();
            server.push(Update::Exists { uid: MESSAGES + 1 }).unwrap();
            server.push(Update::Expunged { uid: 3 }).unwrap();
        }
        other => {
            if let Some(token) = other.token() {
                server.accept(token).unwrap();
            }
        }
    }
}

/// Runs the whole session; returns the octets the server wrote.
fn session(input: &[u8], now: Instant) -> usize {
    // LITERAL+ so that the 1 MiB APPEND may come without waiting for "+".
    let mut server = Server::new(ServerConfig::compatible(TlsMode::Implicit), now);
    let mut written = 0;
    let mut appended = 0;
    for read in input.chunks(READ) {
        server.handle_input(now, read);
        loop {
            while let Some(bytes) = server.poll_transmit() {
                written += bytes.len();
            }
            match server.poll_event().unwrap() {
                Some(event) => answer(&mut server, event, &mut appended),
                None => break,
            }
        }
    }
    while let Some(bytes) = server.poll_transmit() {
        written += bytes.len();
    }
    assert!(server.is_closed());
    assert_eq!(appended, 1 << 20);
    written
}

fn server_session(c: &mut Criterion) {
    let input = transcript();
    let now = Instant::now();
    let mut group = c.benchmark_group("imap_session");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("server_full_transcript", |b| {
        b.iter(|| black_box(session(black_box(&input), now)));
    });
    group.finish();
}

criterion_group!(benches, server_session);
criterion_main!(benches);
