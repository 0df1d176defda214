//! How the client hands out a RETR body read in small pieces: in pieces of about
//! `BODY_PIECE` octets rather than one event per read, with the same bytes as a whole read,
//! the end of the body seen as soon as its last octet arrives, and nothing lost at EOF.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use bytes::BytesMut;
use mail_sansio::Session;
use mail_sansio::dot::{BareNewline, DotStuffer};
use pop3_proto::client::BODY_PIECE;
use pop3_proto::{
    Client, ClientConfig, ClientEvent, Error, MessageNumber, Password, TlsMode, Username,
};

/// A client logged in, with RETR 1 sent.
fn retrieving(policy: BareNewline) -> (Client, Instant) {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut config = ClientConfig::new(TlsMode::DangerousPlaintext);
    config.body_bare_newline = policy;
    let mut client = Client::new(config, now);
    client.handle_input(now, b"+OK ready\r\n+OK\r\nUSER\r\n.\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client
        .login(
            &Username::try_from("u").unwrap(),
            &Password::try_from("p").unwrap(),
        )
        .unwrap();
    client.handle_input(now, b"+OK\r\n+OK\r\n");
    while let Ok(Some(_)) = client.poll_event() {}
    client.retr(MessageNumber::new(1).unwrap()).unwrap();
    while client.poll_transmit().is_some() {}
    (client, now)
}

/// What one run gave: the body, the size of each `Data` piece, and the other events, each
/// with the number of octets fed when it came out.
#[derive(Debug, Default)]
struct Run {
    body: Vec<u8>,
    pieces: Vec<usize>,
    events: Vec<(usize, String)>,
}

/// Feeds `wire` in pieces of the given sizes (cycled), draining events after each.
fn feed(policy: BareNewline, wire: &[u8], sizes: &[usize], eof: bool) -> Run {
    let (mut client, now) = retrieving(policy);
    let mut run = Run::default();
    let mut fed = 0;
    let mut sizes = sizes.iter().cycle();
    let drain = |client: &mut Client, fed: usize, run: &mut Run| {
        loop {
            match client.poll_event() {
                Ok(Some(ClientEvent::Data(bytes))) => {
                    run.pieces.push(bytes.len());
                    run.body.extend_from_slice(&bytes);
                }
                Ok(Some(event)) => run.events.push((fed, format!("{event:?}"))),
                Ok(None) => break,
                Err(error) => {
                    run.events.push((fed, format!("error: {error}")));
                    break;
                }
            }
        }
    };
    while fed < wire.len() {
        let n = (*sizes.next().unwrap()).clamp(1, wire.len() - fed);
        client.handle_input(now, &wire[fed..fed + n]);
        fed += n;
        drain(&mut client, fed, &mut run);
    }
    if eof {
        client.handle_eof(now);
        drain(&mut client, fed, &mut run);
    }
    run
}

/// A body of `lines` lines, some starting with a dot, some ending with one.
fn body(lines: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..lines {
        match i % 9 {
            0 => body.extend_from_slice(b".a line starting with a dot\r\n"),
            3 => body.extend_from_slice(b"a sentence that ends.\r\n"),
            5 => body.extend_from_slice(b".\r\n"),
            _ => body.extend_from_slice(format!("line {i} of ordinary text\r\n").as_bytes()),
        }
    }
    body
}

fn wire(body: &[u8]) -> Vec<u8> {
    let mut wire = b"+OK message follows\r\n".to_vec();
    wire.extend_from_slice(&DotStuffer::stuff(body));
    wire
}

#[test]
fn octet_by_octet_the_body_comes_in_pieces_and_ends_at_its_last_octet() {
    let body = body(4000);
    let mut wire = wire(&body);
    let end = wire.len();
    wire.extend_from_slice(b"+OK late\r\n");
    let run = feed(BareNewline::Reject, &wire, &[1], false);
    assert_eq!(run.body, body);
    // Every piece but the last two (the body's tail, and its part cut at the terminator)
    // is at least about BODY_PIECE octets.
    let small = run.pieces.iter().filter(|&&n| n < BODY_PIECE - 64).count();
    assert!(small <= 2, "{:?}", run.pieces);
    assert!(run.pieces.len() <= body.len() / (BODY_PIECE - 64) + 2);
    assert!(run.pieces.iter().all(|&n| n <= BODY_PIECE));
    let completed = run
        .events
        .iter()
        .find(|(_, e)| e.starts_with("Completed"))
        .expect("Completed");
    assert_eq!(completed.0, end, "the body ended as its last octet arrived");
}

#[test]
fn any_split_gives_the_same_body_and_the_end_on_time() {
    let body = body(300);
    let wire = wire(&body);
    let whole = feed(BareNewline::Reject, &wire, &[usize::MAX], false);
    assert_eq!(whole.body, body);
    assert_eq!(whole.events.len(), 1);
    for sizes in [
        &[1][..],
        &[2],
        &[3],
        &[5, 1, 1],
        &[7, 2],
        &[1, 1, 4096],
        &[4095, 1],
        &[4097],
        &[13, 1000, 1],
    ] {
        let run = feed(BareNewline::Reject, &wire, sizes, false);
        assert_eq!(run.body, body, "{sizes:?}");
        assert_eq!(run.events, whole.events, "{sizes:?}");
    }
}

#[test]
fn the_terminator_split_anywhere_is_found_at_once() {
    // Short bodies, so that the end falls at every place relative to the held octets.
    for body in [
        &b""[..],
        b"x\r\n",
        b".\r\n",
        b"a.\r\n",
        b"..\r\n\r\n",
        b"abc\r\n.x\r\n",
    ] {
        let wire = wire(body);
        for first in 1..wire.len() {
            for size in [1, 2, 3] {
                let mut sizes = vec![first];
                sizes.extend(std::iter::repeat_n(size, wire.len()));
                let run = feed(BareNewline::Reject, &wire, &sizes, false);
                assert_eq!(run.body, body, "{body:?} {first} {size}");
                assert_eq!(run.events.len(), 1, "{body:?} {first} {size}");
                assert_eq!(run.events[0].0, wire.len(), "{body:?} {first} {size}");
            }
        }
    }
}

#[test]
fn bare_newlines_before_a_dot_do_not_end_the_body_under_any_policy() {
    let body_wire = b"+OK\r\nx\n.\r\ny\r.\r\nz\n.\n.\r\nend\r\n.\r\n";
    for policy in [
        BareNewline::Reject,
        BareNewline::Normalise,
        BareNewline::Keep,
    ] {
        let whole = feed(policy, body_wire, &[usize::MAX], false);
        assert_eq!(whole.events.len(), 1, "{policy:?}: {:?}", whole.events);
        for size in [1, 2, 3, 5] {
            let run = feed(policy, body_wire, &[size], false);
            assert_eq!(run.body, whole.body, "{policy:?} {size}");
            assert_eq!(run.events, whole.events, "{policy:?} {size}");
        }
    }
}

#[test]
fn eof_hands_out_what_is_held_before_the_error() {
    let body = body(40);
    let mut wire = wire(&body);
    wire.truncate(wire.len() - 3);
    let run = feed(BareNewline::Reject, &wire, &[1], true);
    assert_eq!(run.body, body);
    assert_eq!(run.events.len(), 1);
    assert!(run.events[0].1.starts_with("error:"), "{:?}", run.events);
}

#[test]
fn held_octets_stay_within_one_piece() {
    // Nothing is handed out before BODY_PIECE octets, and then all of them are.
    let body = [&[b'a'; 98][..], b"\r\n"]
        .concat()
        .repeat(3 * BODY_PIECE / 100);
    let wire = wire(&body);
    let (mut client, now) = retrieving(BareNewline::Reject);
    let header = b"+OK message follows\r\n".len();
    let mut out = BytesMut::new();
    for (i, octet) in wire.iter().enumerate() {
        client.handle_input(now, &[*octet]);
        while let Ok(Some(event)) = client.poll_event() {
            if let ClientEvent::Data(bytes) = event {
                out.extend_from_slice(&bytes);
            }
        }
        let body_fed = (i + 1).saturating_sub(header).min(body.len());
        assert!(body_fed - out.len() < BODY_PIECE, "{i}");
    }
    assert_eq!(&out[..], &body[..]);
    assert!(!matches!(
        client.poll_event(),
        Err(Error::UnexpectedEof { .. })
    ));
}
