//! The client against hostile replies (security-anchors §8 items 27-29): every cap holds with
//! bounded input consumed, and timers follow the application's calls.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use mail_sansio::Session;
use mail_sansio::sasl::SaslClient;
use mail_sansio::testing::FakeClock;
use smtp_proto::types::Domain;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, Error, ParseErrorKind, TlsMode};

fn client(tls: TlsMode) -> (Client, FakeClock) {
    let clock = FakeClock::start();
    let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    config.tls = tls;
    (Client::new(config, clock.now()), clock)
}

/// Feeds `bytes` in pieces of `piece` octets until the client fails; returns the error and
/// how many octets it took.
fn feed_until_error(
    client: &mut Client,
    clock: &FakeClock,
    bytes: impl Iterator<Item = u8>,
    piece: usize,
) -> (Error, usize) {
    let mut fed = 0;
    let mut buf = Vec::with_capacity(piece);
    for b in bytes {
        buf.push(b);
        if buf.len() == piece {
            client.handle_input(clock.now(), &buf);
            fed += buf.len();
            buf.clear();
            loop {
                match client.poll_event() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return (e, fed),
                }
            }
        }
    }
    panic!("no error after {fed} octets");
}

fn greet(client: &mut Client, clock: &FakeClock, ehlo: &[u8]) -> Vec<ClientEvent> {
    client.handle_input(clock.now(), b"220 mx.example ESMTP\r\n");
    assert_eq!(client.poll_event(), Ok(None));
    assert_eq!(
        client.poll_transmit().as_deref(),
        Some(&b"EHLO client.example\r\n"[..])
    );
    client.handle_input(clock.now(), ehlo);
    let mut events = Vec::new();
    while let Some(e) = client.poll_event().unwrap() {
        events.push(e);
    }
    events
}

#[test]
fn a_million_continuation_lines_stop_at_the_line_cap() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    let flood = b"250-x\r\n".iter().copied().cycle().take(7_000_000);
    let (error, fed) = feed_until_error(&mut c, &clock, flood, 64);
    assert!(
        matches!(&error, Error::BadReply(e) if matches!(e.kind, ParseErrorKind::TooManyLines { limit: 100 })),
        "{error:?}"
    );
    assert!(fed < 2_000, "read {fed} octets before failing");
    assert!(c.is_closed());
}

#[test]
fn a_one_mib_reply_line_fails_at_the_length_cap() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    let long = b"220 "
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'a', 1 << 20));
    let (error, fed) = feed_until_error(&mut c, &clock, long, 1024);
    assert!(
        matches!(&error, Error::BadReply(e) if matches!(e.kind, ParseErrorKind::TooLong { limit: 8192, .. })),
        "{error:?}"
    );
    assert!(fed <= 8192 + 1024, "read {fed} octets before failing");
}

#[test]
fn a_64_kib_reply_total_is_the_cap() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    let mut line = b"250-".to_vec();
    line.extend(std::iter::repeat_n(b'x', 8000));
    line.extend_from_slice(b"\r\n");
    let flood = line.iter().copied().cycle().take(line.len() * 50);
    let (error, _) = feed_until_error(&mut c, &clock, flood, 4096);
    assert!(
        matches!(&error, Error::BadReply(e) if matches!(e.kind, ParseErrorKind::TooLong { what: "reply", .. })),
        "{error:?}"
    );
}

#[test]
fn bare_line_endings_in_replies_are_errors() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    c.handle_input(clock.now(), b"220 mx.example\n");
    assert!(matches!(
        c.poll_event(),
        Err(Error::BadReply(e)) if e.kind == ParseErrorKind::BareNewline
    ));
    // Sticky.
    assert!(c.poll_event().is_err());
}

#[test]
fn huge_size_saturates_and_huge_auth_lists_are_bounded() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    let events = greet(
        &mut c,
        &clock,
        b"250-mx.example\r\n250-SIZE 99999999999999999999\r\n250 PIPELINING\r\n",
    );
    assert_eq!(events, [ClientEvent::Ready]);
    assert_eq!(c.capabilities().unwrap().size(), Some(Some(u64::MAX)));
    // 10,000 mechanisms on one line pass the line cap: an error, never a huge allocation.
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    c.handle_input(clock.now(), b"220 mx.example ESMTP\r\n");
    c.poll_event().unwrap();
    let mut ehlo = b"250-mx.example\r\n250 AUTH".to_vec();
    for i in 0..10_000 {
        ehlo.extend_from_slice(format!(" X-M{i}").as_bytes());
    }
    ehlo.extend_from_slice(b"\r\n");
    c.handle_input(clock.now(), &ehlo);
    assert!(matches!(c.poll_event(), Err(Error::BadReply(_))));
}

#[test]
fn a_huge_challenge_is_refused_with_a_cancel_or_an_error() {
    let mut config = ClientConfig::new(Domain::try_from("client.example").unwrap());
    config.tls = TlsMode::Implicit;
    config.limits.reply.max_line = 64 * 1024;
    config.limits.reply.max_total = 128 * 1024;
    let clock = FakeClock::start();
    let mut c = Client::new(config, clock.now());
    let events = greet(&mut c, &clock, b"250-mx.example\r\n250 AUTH LOGIN\r\n");
    assert_eq!(events, [ClientEvent::Ready]);
    c.authenticate(SaslClient::login("user", "pass".to_owned()).unwrap())
        .unwrap();
    assert_eq!(c.poll_transmit().as_deref(), Some(&b"AUTH LOGIN\r\n"[..]));
    let mut challenge = b"334 ".to_vec();
    challenge.extend(std::iter::repeat_n(b'A', 40_000));
    challenge.extend_from_slice(b"\r\n");
    c.handle_input(clock.now(), &challenge);
    assert_eq!(c.poll_event(), Ok(None));
    assert_eq!(c.poll_transmit().as_deref(), Some(&b"*\r\n"[..]));
    c.handle_input(clock.now(), b"501 5.7.0 cancelled\r\n");
    match c.poll_event() {
        Ok(Some(ClientEvent::AuthFailed {
            error: Some(error), ..
        })) => assert!(error.to_string().contains("exceeds the limit"), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_reply_timer_starts_when_the_application_sends() {
    let (mut c, mut clock) = client(TlsMode::DangerousPlaintextOnly);
    let events = greet(&mut c, &clock, b"250 mx.example\r\n");
    assert_eq!(events, [ClientEvent::Ready]);
    // Waiting for the application: no deadline.
    assert_eq!(c.poll_timeout(), None);
    let later = clock.advance(Duration::from_secs(1000));
    c.send_mail(Envelope::parse("a@client.example", ["b@mx.example"]).unwrap())
        .unwrap();
    // The deadline computed from old input is re-armed, not fired.
    c.handle_timeout(later);
    assert_eq!(c.poll_event(), Ok(None));
    assert_eq!(c.poll_timeout(), Some(later + Duration::from_secs(300)));
    c.handle_timeout(clock.advance(Duration::from_secs(299)));
    assert_eq!(c.poll_event(), Ok(None));
    c.handle_timeout(clock.advance(Duration::from_secs(1)));
    assert_eq!(c.poll_event(), Err(Error::Timeout { seconds: 300 }));
}

#[test]
fn misuse_leaves_the_session_unchanged() {
    let (mut c, clock) = client(TlsMode::DangerousPlaintextOnly);
    // Nothing is allowed before Ready.
    let envelope = Envelope::parse("a@client.example", ["b@mx.example"]).unwrap();
    assert!(c.send_mail(envelope.clone()).is_err());
    assert!(c.send_data(b"x").is_err());
    assert!(c.finish_data().is_err());
    assert_eq!(c.poll_transmit(), None);
    let events = greet(&mut c, &clock, b"250-mx.example\r\n250 PIPELINING\r\n");
    assert_eq!(events, [ClientEvent::Ready]);
    c.send_mail(envelope).unwrap();
    // DATA before a recipient was accepted: refused, nothing extra sent.
    assert!(c.send_data(b"body").is_err());
    let sent = c.poll_transmit().unwrap();
    assert_eq!(
        &sent[..],
        b"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n"
    );
    assert_eq!(c.poll_transmit(), None);
}
