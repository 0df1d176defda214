//! The STARTTLS contract (ARCHITECTURE.md, rules 2 and 3) at the edges the trace runner cannot
//! reach, because it polls after every piece of input: bytes fed after the go-ahead with no
//! `poll_event` before `handle_tls_established`, and `handle_tls_established` called before
//! the go-ahead was handed out by `poll_transmit`. The same cases are in pop3-proto's
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
use smtp_proto::types::Domain;
use smtp_proto::{Client, ClientConfig, Error, Server, ServerConfig, ServerEvent, TlsMode};

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

/// A server with TLS required, greeted and past EHLO, its replies taken.
fn server_after_ehlo() -> Server {
    let mut config = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    config.tls = TlsMode::Required;
    let now = now();
    let mut s = Server::new(config, now);
    drain(&mut s);
    s.handle_input(now, b"EHLO c.example\r\n");
    match s.poll_event() {
        Ok(Some(ServerEvent::Hello { token, .. })) => s.accept(token).unwrap(),
        other => panic!("expected hello, got {other:?}"),
    }
    assert_eq!(s.poll_event(), Ok(None));
    assert!(drain(&mut s).contains("STARTTLS"));
    s
}

/// Rule 2: bytes that arrive after the 220 and before the handshake are never acted on, and
/// the session fails even when nothing was polled in between.
#[test]
fn server_bytes_after_go_ahead_are_an_injection() {
    let mut s = server_after_ehlo();
    let now = now();
    s.handle_input(now, b"STARTTLS\r\n");
    assert_eq!(s.poll_event(), Ok(None));
    assert_eq!(drain(&mut s), "220 2.0.0 Ready to start TLS\r\n");
    assert!(s.wants_tls());
    let injected = b"RCPT TO:<x@y.example>\r\n";
    s.handle_input(now, injected);
    assert!(!s.wants_tls(), "wants_tls after injected bytes");
    s.handle_tls_established(now);
    assert!(!s.is_tls(), "switched to TLS over injected bytes");
    assert_eq!(
        s.poll_event(),
        Err(Error::TlsInjection {
            bytes: injected.len()
        })
    );
    assert!(!s.wants_tls());
    assert_eq!(drain(&mut s), "");
    assert!(s.is_closed());
}

/// Rule 3: the handshake cannot start before the 220 went out, or the 220 would be sent
/// inside TLS.
#[test]
fn server_handshake_before_go_ahead_does_not_switch() {
    let mut s = server_after_ehlo();
    let now = now();
    s.handle_input(now, b"STARTTLS\r\n");
    assert_eq!(s.poll_event(), Ok(None));
    assert!(!s.wants_tls());
    s.handle_tls_established(now);
    assert!(!s.is_tls(), "switched before the 220 was handed out");
    assert_eq!(drain(&mut s), "220 2.0.0 Ready to start TLS\r\n");
    assert!(s.wants_tls());
    s.handle_tls_established(now);
    assert!(s.is_tls());
    assert!(!s.wants_tls());
}

/// A client with TLS required whose STARTTLS is queued; the server's EHLO reply has been read.
fn client_at_starttls() -> Client {
    let mut config = ClientConfig::new(Domain::try_from("c.example").unwrap());
    config.tls = TlsMode::Required;
    let now = now();
    let mut c = Client::new(config, now);
    c.handle_input(now, b"220 mx.example ESMTP\r\n");
    assert_eq!(c.poll_event(), Ok(None));
    assert_eq!(drain(&mut c), "EHLO c.example\r\n");
    c.handle_input(now, b"250-mx.example\r\n250 STARTTLS\r\n");
    assert_eq!(c.poll_event(), Ok(None));
    assert!(c.capabilities().is_some());
    c
}

/// Rule 2 on the client: bytes after the 220, with no poll in between, fail the session.
#[test]
fn client_bytes_after_go_ahead_are_an_injection() {
    let mut c = client_at_starttls();
    let now = now();
    assert_eq!(drain(&mut c), "STARTTLS\r\n");
    c.handle_input(now, b"220 go ahead\r\n");
    assert_eq!(c.poll_event(), Ok(None));
    assert!(c.wants_tls());
    c.handle_input(now, b"250 AUTH PLAIN\r\n");
    assert!(!c.wants_tls());
    c.handle_tls_established(now);
    assert!(!c.is_tls());
    assert!(matches!(
        c.poll_event(),
        Err(Error::TlsInjection { bytes: 16 })
    ));
}

/// Rule 3 on the client: the go-ahead is the STARTTLS command going out; a 220 read before it
/// was handed out does not let the handshake start.
#[test]
fn client_handshake_before_starttls_sent_does_not_switch() {
    let mut c = client_at_starttls();
    let now = now();
    c.handle_input(now, b"220 go ahead\r\n");
    assert_eq!(c.poll_event(), Ok(None));
    assert!(!c.wants_tls());
    c.handle_tls_established(now);
    assert!(!c.is_tls(), "switched before STARTTLS was handed out");
    assert_eq!(drain(&mut c), "STARTTLS\r\n");
    assert!(c.wants_tls());
    c.handle_tls_established(now);
    assert!(c.is_tls());
}

/// Once the switch has begun, no plaintext capability is visible (rule 4 starts at the 220).
#[test]
fn client_capabilities_are_gone_after_go_ahead() {
    let mut c = client_at_starttls();
    let now = now();
    assert_eq!(drain(&mut c), "STARTTLS\r\n");
    c.handle_input(now, b"220 go ahead\r\n");
    assert_eq!(c.poll_event(), Ok(None));
    assert!(c.wants_tls());
    assert!(
        c.capabilities().is_none(),
        "plaintext EHLO answer still visible"
    );
    c.handle_tls_established(now);
    assert!(c.capabilities().is_none());
    assert_eq!(drain(&mut c), "EHLO c.example\r\n");
}
