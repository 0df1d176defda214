//! The STARTTLS contract (ARCHITECTURE.md, rules 2 and 3) at the edges the trace runner cannot
//! reach, because it polls after every piece of input: bytes fed after the go-ahead with no
//! `poll_event` before `handle_tls_established`, and `handle_tls_established` called before
//! the go-ahead was handed out by `poll_transmit`. The same cases are in smtp-proto's
//! `tests/starttls_contract.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Instant;

use mail_sansio::Session;
use pop3_proto::{Client, ClientConfig, Error, Server, ServerConfig, TlsMode};

fn now() -> Instant {
    mail_sansio::testing::FakeClock::start().now()
}

fn drain(s: &mut impl Session) -> String {
    let mut sent = String::new();
    while let Some(b) = s.poll_transmit() {
        sent.push_str(&String::from_utf8_lossy(&b));
    }
    sent
}

/// A server with TLS required, its greeting taken.
fn server() -> Server {
    let mut s = Server::new(ServerConfig::new(TlsMode::Required), now());
    assert!(drain(&mut s).starts_with("+OK"));
    s
}

/// Rule 2: bytes that arrive after the `+OK` and before the handshake are never acted on, and
/// the session fails even when nothing was polled in between.
#[test]
fn server_bytes_after_go_ahead_are_an_injection() {
    let mut s = server();
    let now = now();
    s.handle_input(now, b"STLS\r\n");
    assert!(s.poll_event().unwrap().is_none());
    assert_eq!(drain(&mut s), "+OK begin TLS negotiation\r\n");
    assert!(s.wants_tls());
    s.handle_input(now, b"USER x\r\n");
    assert!(!s.wants_tls(), "wants_tls after injected bytes");
    s.handle_tls_established(now);
    assert!(!s.is_tls(), "switched to TLS over injected bytes");
    assert!(matches!(
        s.poll_event(),
        Err(Error::TlsInjection { bytes: 8 })
    ));
    assert!(!s.wants_tls());
    assert!(s.is_closed());
}

/// Rule 3: the handshake cannot start before the `+OK` went out.
#[test]
fn server_handshake_before_go_ahead_does_not_switch() {
    let mut s = server();
    let now = now();
    s.handle_input(now, b"STLS\r\n");
    assert!(s.poll_event().unwrap().is_none());
    assert!(!s.wants_tls());
    s.handle_tls_established(now);
    assert!(!s.is_tls(), "switched before the +OK was handed out");
    assert_eq!(drain(&mut s), "+OK begin TLS negotiation\r\n");
    assert!(s.wants_tls());
    s.handle_tls_established(now);
    assert!(s.is_tls());
}

/// A client with TLS required whose STLS is queued; the server's CAPA answer has been read.
fn client_at_stls() -> Client {
    let now = now();
    let mut c = Client::new(ClientConfig::new(TlsMode::Required), now);
    c.handle_input(now, b"+OK ready\r\n");
    while c.poll_event().unwrap().is_some() {}
    assert_eq!(drain(&mut c), "CAPA\r\n");
    c.handle_input(now, b"+OK\r\nSTLS\r\nUSER\r\n.\r\n");
    while c.poll_event().unwrap().is_some() {}
    c
}

/// Rule 2 on the client: bytes after the `+OK`, with no poll in between, fail the session.
#[test]
fn client_bytes_after_go_ahead_are_an_injection() {
    let mut c = client_at_stls();
    let now = now();
    assert_eq!(drain(&mut c), "STLS\r\n");
    c.handle_input(now, b"+OK go ahead\r\n");
    while c.poll_event().unwrap().is_some() {}
    assert!(c.wants_tls());
    c.handle_input(now, b"+OK\r\n");
    assert!(!c.wants_tls(), "wants_tls after injected bytes");
    c.handle_tls_established(now);
    assert!(!c.is_tls());
    assert!(matches!(
        c.poll_event(),
        Err(Error::TlsInjection { bytes: 5 })
    ));
}

/// Rule 3 on the client: the go-ahead is the STLS command going out; a `+OK` read before it
/// was handed out does not let the handshake start.
#[test]
fn client_handshake_before_stls_sent_does_not_switch() {
    let mut c = client_at_stls();
    let now = now();
    c.handle_input(now, b"+OK go ahead\r\n");
    while c.poll_event().unwrap().is_some() {}
    assert!(!c.wants_tls());
    c.handle_tls_established(now);
    assert!(!c.is_tls(), "switched before STLS was handed out");
    assert_eq!(drain(&mut c), "STLS\r\n");
    assert!(c.wants_tls());
    c.handle_tls_established(now);
    assert!(c.is_tls());
}

/// Once the switch has begun, no plaintext capability is visible.
#[test]
fn client_capabilities_are_gone_after_go_ahead() {
    let mut c = client_at_stls();
    let now = now();
    assert!(c.capabilities().is_some());
    assert_eq!(drain(&mut c), "STLS\r\n");
    c.handle_input(now, b"+OK go ahead\r\n");
    while c.poll_event().unwrap().is_some() {}
    assert!(c.wants_tls());
    assert!(
        c.capabilities().is_none(),
        "plaintext CAPA answer still visible"
    );
}
