//! Unit tests of the client machine; the conversations are in `tests/traces/client-*.trace`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use mail_sansio::Session;

use super::{Client, ClientConfig, ClientEvent, ClientState};
use crate::command::{AppendData, AppendMessage, CommandBody};
use crate::config::TlsMode;
use crate::types::Mailbox;

/// Feeds `input`, answers nothing, returns the events and what was sent.
fn feed(client: &mut Client, now: Instant, input: &[u8]) -> (Vec<ClientEvent>, Vec<u8>) {
    client.handle_input(now, input);
    drain(client)
}

fn drain(client: &mut Client) -> (Vec<ClientEvent>, Vec<u8>) {
    let mut events = Vec::new();
    let mut sent = Vec::new();
    loop {
        while let Some(bytes) = client.poll_transmit() {
            sent.extend_from_slice(&bytes);
        }
        match client.poll_event() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    while let Some(bytes) = client.poll_transmit() {
        sent.extend_from_slice(&bytes);
    }
    (events, sent)
}

/// A client over implicit TLS, logged in, with `caps` after login.
fn logged_in(now: Instant, caps: &str) -> Client {
    let mut client = Client::new(ClientConfig::new(TlsMode::Implicit), now);
    let caps = if caps.is_empty() {
        String::new()
    } else {
        format!(" {caps}")
    };
    let greeting = format!("* OK [CAPABILITY IMAP4rev1{caps}] hi\r\n");
    let (events, _) = feed(&mut client, now, greeting.as_bytes());
    assert!(matches!(events.last(), Some(ClientEvent::Ready { .. })));
    client.login("u", "p").unwrap();
    let ok = format!("A1 OK [CAPABILITY IMAP4rev1{caps}] in\r\n");
    let (events, sent) = feed(&mut client, now, ok.as_bytes());
    assert_eq!(sent, b"A1 LOGIN u p\r\n");
    assert!(events.last().unwrap().is_ok());
    client
}

#[test]
fn fetch_seq_of_a_streamed_prefix() {
    let seq = |p: &'static [u8]| super::read::fetch_seq(&Bytes::from_static(p));
    assert_eq!(seq(b"* 12 FETCH (BODY[] {9}\r\n"), Some(12));
    assert_eq!(seq(b"* 12 fetch (BODY[] {9}\r\n"), Some(12));
    assert_eq!(seq(b"* 12 XFETCH (x {9}\r\n"), None);
    assert_eq!(seq(b"* LIST () \"/\" {9}\r\n"), None);
    assert_eq!(seq(b"* 99999999999 FETCH (x {9}\r\n"), None);
}

#[test]
fn tags_are_unique_and_follow_each_other() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = logged_in(now, "");
    let a = client.send_command(CommandBody::Namespace).unwrap();
    let b = client.send_command(CommandBody::Namespace).unwrap();
    // LOGIN's OK carried the capabilities: no CAPABILITY was needed after it.
    assert_eq!((a.as_bytes(), b.as_bytes()), (&b"A2"[..], &b"A3"[..]));
    assert_eq!(client.in_flight(), 2);
}

#[test]
fn exclusive_commands_wait_and_hold_the_rest() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = logged_in(now, "");
    client.send_command(CommandBody::Namespace).unwrap();
    client.select(Mailbox::Inbox).unwrap();
    client.send_command(CommandBody::Namespace).unwrap();
    let (_, sent) = drain(&mut client);
    assert_eq!(sent, b"A2 NAMESPACE\r\n");
    assert_eq!((client.in_flight(), client.queued()), (1, 2));
    let (_, sent) = feed(&mut client, now, b"A2 OK done\r\n");
    assert_eq!(sent, b"A3 SELECT INBOX\r\n");
    let (events, sent) = feed(
        &mut client,
        now,
        b"* 0 EXISTS\r\nA3 OK [READ-WRITE] done\r\n",
    );
    assert_eq!(sent, b"A4 NAMESPACE\r\n");
    assert!(events.last().unwrap().is_ok());
    assert_eq!(client.state(), ClientState::Selected);
}

#[test]
fn response_timer_runs_only_while_waiting() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = logged_in(now, "");
    assert_eq!(client.poll_timeout(), None);
    let later = now + Duration::from_secs(1000);
    client.send_command(CommandBody::Noop).unwrap();
    drain(&mut client);
    // Sent with no clock: the first timeout call re-arms at its own time.
    client.handle_timeout(later);
    assert_eq!(
        client.poll_timeout(),
        Some(later + Duration::from_secs(300))
    );
    client.handle_timeout(later + Duration::from_secs(299));
    assert!(client.poll_event().is_ok());
    client.handle_timeout(later + Duration::from_secs(300));
    assert!(client.poll_event().is_err());
}

#[test]
fn tls_established_without_a_go_ahead_changes_nothing() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = Client::new(ClientConfig::new(TlsMode::Required), now);
    client.handle_tls_established(now);
    assert!(!client.is_tls());
    assert_eq!(client.state(), ClientState::Greeting);
}

#[test]
fn streamed_append_of_ten_mebibytes_is_never_held() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = logged_in(now, "");
    let len = 10 * 1024 * 1024;
    let body = CommandBody::Append {
        mailbox: Mailbox::Inbox,
        messages: vec![AppendMessage {
            flags: Vec::new(),
            date: None,
            data: AppendData::Streamed {
                len: len as u64,
                binary: false,
            },
        }],
    };
    let tag = client.send_command(body).unwrap();
    let (_, sent) = drain(&mut client);
    assert_eq!(sent, b"A2 APPEND INBOX {10485760}\r\n");
    let (events, _) = feed(&mut client, now, b"+ go\r\n");
    assert!(matches!(
        &events[..],
        [ClientEvent::AppendData { len: 10485760, .. }]
    ));
    let chunk = vec![b'x'; 64 * 1024];
    let mut total = 0;
    while total < len {
        client.send_append_data(&chunk).unwrap();
        let out = client.poll_transmit().unwrap();
        total += chunk.len();
        if total < len {
            assert_eq!(out.len(), chunk.len());
        } else {
            assert_eq!(out.len(), chunk.len() + 2, "the command's CRLF follows");
        }
    }
    assert!(client.send_append_data(b"x").is_err());
    let (events, _) = feed(&mut client, now, b"A2 OK [APPENDUID 1 1] done\r\n");
    assert_eq!(events.last().unwrap().tag(), Some(&tag));
}

#[test]
fn idle_done_while_idle_is_queued() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = logged_in(now, "IDLE");
    client.send_command(CommandBody::Namespace).unwrap();
    let tag = client.idle().unwrap();
    client.idle_done().unwrap();
    let (_, sent) = drain(&mut client);
    assert_eq!(sent, b"A2 NAMESPACE\r\n");
    let (_, sent) = feed(&mut client, now, b"A2 OK done\r\n");
    assert_eq!(sent, b"A3 IDLE\r\n");
    let (events, sent) = feed(&mut client, now, b"+ idling\r\n");
    assert_eq!(sent, b"DONE\r\n");
    assert!(matches!(&events[..], [ClientEvent::Idling { .. }]));
    let (events, _) = feed(&mut client, now, b"A3 OK done\r\n");
    assert_eq!(events.last().unwrap().tag(), Some(&tag));
}

#[test]
fn plaintext_credentials_need_the_dangerous_mode() {
    let now = mail_sansio::testing::FakeClock::start().now();
    for (tls, allowed) in [
        (TlsMode::DangerousPlaintext, true),
        (TlsMode::Implicit, true),
    ] {
        let mut client = Client::new(ClientConfig::new(tls), now);
        feed(&mut client, now, b"* OK [CAPABILITY IMAP4rev1] hi\r\n");
        assert_eq!(client.login("u", "p").is_ok(), allowed);
    }
    let mut client = Client::new(ClientConfig::new(TlsMode::DangerousPlaintext), now);
    feed(&mut client, now, b"* OK [CAPABILITY IMAP4rev1] hi\r\n");
    let sasl = mail_sansio::sasl::SaslClient::plain(None, "u", "p".to_owned()).unwrap();
    assert!(client.authenticate(sasl).is_ok());
}
