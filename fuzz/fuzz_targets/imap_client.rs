//! The IMAP client machine on arbitrary server input split into chunks: never panics, and
//! gives the same events (streamed literal chunks joined) whole or in pieces. The
//! application logs in, selects, fetches, appends with a synchronising literal, idles and
//! logs out as the events allow, with the mailbox tracker on.
#![no_main]

use std::time::Instant;

use imap_proto::client::{Client, ClientConfig, ClientEvent};
use imap_proto::command::{Command, CommandBody};
use imap_proto::{Parsed, TlsMode};
use libfuzzer_sys::fuzz_target;
use mail_sansio::Session;

fn body(line: &[u8]) -> CommandBody {
    match Command::decode(line) {
        Ok(Parsed::Complete { value, .. }) => value.body,
        _ => unreachable!("fixed command lines decode"),
    }
}

fn act(client: &mut Client, event: &ClientEvent) {
    // Refusals (wrong state, closed) are part of what is fuzzed: ignore them.
    match event {
        ClientEvent::Ready { .. } => {
            let _ = client.login("u", "p");
        }
        ClientEvent::Completed {
            command: "LOGIN", ..
        } => {
            let _ = client.send_command(body(b"X SELECT INBOX\r\n"));
            let _ = client.send_command(body(b"X UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n"));
            let _ = client.send_command(body(b"X STATUS a (MESSAGES)\r\n"));
            let _ = client.send_command(body(b"X APPEND a {5}\r\nhello\r\n"));
            let _ = client.idle();
        }
        ClientEvent::Idling { .. } => {
            let _ = client.idle_done();
        }
        ClientEvent::Completed {
            command: "IDLE", ..
        } => {
            let _ = client.logout();
        }
        _ => {}
    }
}

fn run(pieces: &[&[u8]], now: Instant) -> Vec<String> {
    let config = ClientConfig::new(TlsMode::DangerousPlaintext).with_tracking(true);
    let mut client = Client::new(config, now);
    let mut log: Vec<String> = Vec::new();
    let mut sent = Vec::new();
    // Streamed literal data, joined: chunk boundaries follow the input's.
    let mut chunk = Vec::new();
    for piece in pieces {
        client.handle_input(now, piece);
        loop {
            while let Some(bytes) = client.poll_transmit() {
                sent.extend_from_slice(&bytes);
            }
            match client.poll_event() {
                Ok(Some(ClientEvent::LiteralChunk(bytes))) => chunk.extend_from_slice(&bytes),
                Ok(Some(event)) => {
                    if !chunk.is_empty() {
                        log.push(format!("chunk {chunk:?}"));
                        chunk.clear();
                    }
                    log.push(format!("{event:?}"));
                    act(&mut client, &event);
                    if let Some(m) = client.mailbox() {
                        log.push(format!("exists {} uid1 {:?}", m.exists(), m.uid(1)));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Fatal and sticky: nothing more to compare.
                    log.push(format!("chunk {chunk:?}"));
                    log.push(format!("error {e}"));
                    // What was queued before the error still goes out.
                    while let Some(bytes) = client.poll_transmit() {
                        sent.extend_from_slice(&bytes);
                    }
                    log.push(format!("sent {sent:?}"));
                    return log;
                }
            }
        }
    }
    log.push(format!("chunk {chunk:?}"));
    client.handle_eof(now);
    if let Err(e) = client.poll_event() {
        log.push(format!("error {e}"));
    }
    while let Some(bytes) = client.poll_transmit() {
        sent.extend_from_slice(&bytes);
    }
    log.push(format!("sent {sent:?}"));
    log
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
