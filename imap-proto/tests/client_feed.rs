//! The client fed in small pieces, down to one octet per call, reports the same events as
//! when fed the whole stream, each as soon as its last octet arrives: `poll_event` skips the
//! framer only while the framer could not hand out anything (inside a kept literal, or inside
//! a line that has not reached its limit).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use imap_proto::command::Command;
use imap_proto::types::Mailbox;
use imap_proto::{Client, ClientConfig, Parsed, TlsMode};
use mail_sansio::Session;

/// Drains events and output; the events' `Debug` forms.
fn settle(client: &mut Client) -> Vec<String> {
    let mut events = Vec::new();
    loop {
        match client.poll_event() {
            Ok(Some(event)) => events.push(format!("{event:?}")),
            Ok(None) => break,
            Err(error) => {
                events.push(format!("error: {error}"));
                break;
            }
        }
    }
    while client.poll_transmit().is_some() {}
    events
}

/// A client with a mailbox selected and a UID FETCH in flight.
fn fetching(config: ClientConfig, now: Instant) -> Client {
    let mut client = Client::new(config, now);
    client.handle_input(now, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
    settle(&mut client);
    client.login("joe", "secret").unwrap();
    client.handle_input(now, b"A1 OK [CAPABILITY IMAP4rev1] logged in\r\n");
    settle(&mut client);
    client.select(Mailbox::Inbox).unwrap();
    settle(&mut client);
    client.handle_input(now, b"* 7 EXISTS\r\nA2 OK [READ-WRITE] done\r\n");
    settle(&mut client);
    let Ok(Parsed::Complete { value: fetch, .. }) =
        Command::decode(b"X UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n")
    else {
        panic!("the FETCH command does not decode");
    };
    client.send_command(fetch.body).unwrap();
    settle(&mut client);
    client
}

fn config() -> ClientConfig {
    let mut config = ClientConfig::new(TlsMode::DangerousPlaintext);
    config.limits.literal_stream_threshold = 1000;
    config.limits.line = 200;
    config.skip_unparsable = true;
    config
}

/// Feeds `wire` in pieces of the given sizes (cycled); each event with the number of octets
/// fed when it came out. Literal chunks are left out (their sizes follow the pieces).
fn feed(wire: &[u8], sizes: &[usize]) -> Vec<(usize, String)> {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = fetching(config(), now);
    let mut events = Vec::new();
    let mut fed = 0;
    for &size in sizes.iter().cycle() {
        if fed == wire.len() {
            break;
        }
        let n = size.clamp(1, wire.len() - fed);
        client.handle_input(now, &wire[fed..fed + n]);
        fed += n;
        for event in settle(&mut client) {
            if !event.starts_with("LiteralChunk") {
                events.push((fed, event));
            }
        }
    }
    events
}

/// The stream, and where each of its units ends.
fn stream() -> (Vec<u8>, Vec<usize>) {
    let mut wire = Vec::new();
    let mut ends = Vec::new();
    let unit = |wire: &mut Vec<u8>, ends: &mut Vec<usize>, bytes: &[u8]| {
        wire.extend_from_slice(bytes);
        ends.push(wire.len());
    };
    for i in 0..6 {
        let body = format!("Subject: {i}\r\n\r\n{}\r\n", "text ".repeat(20 * i));
        let fetch = format!(
            "* {} FETCH (UID {} FLAGS (\\Seen) BODY[] {{{}}}\r\n{body})\r\n",
            i + 1,
            100 + i,
            body.len()
        );
        unit(&mut wire, &mut ends, fetch.as_bytes());
        unit(
            &mut wire,
            &mut ends,
            format!("* {} RECENT\r\n", i).as_bytes(),
        );
    }
    // A line over the limit: reported when it reaches the limit, then skipped.
    let long = format!("* 1 FETCH (UID 5 FLAGS ({}))\r\n", "\\Seen ".repeat(60));
    let at_limit = wire.len() + 200;
    wire.extend_from_slice(long.as_bytes());
    ends.push(at_limit);
    // A streamed literal: its start, its end, then the FETCH.
    let body = "x".repeat(3000);
    let start = format!("* 9 FETCH (UID 109 BODY[] {{{}}}\r\n", body.len());
    unit(&mut wire, &mut ends, start.as_bytes());
    unit(&mut wire, &mut ends, body.as_bytes());
    unit(&mut wire, &mut ends, b")\r\n");
    unit(&mut wire, &mut ends, b"* OK [ALERT] the end\r\n");
    (wire, ends)
}

#[test]
fn one_octet_at_a_time_gives_every_event_at_its_last_octet() {
    let (wire, ends) = stream();
    let whole = feed(&wire, &[usize::MAX]);
    let bytewise = feed(&wire, &[1]);
    let names: Vec<_> = bytewise.iter().map(|(_, e)| e.clone()).collect();
    let whole_names: Vec<_> = whole.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(names, whole_names);
    assert!(
        names.iter().any(|e| e.starts_with("Unparsable")),
        "{names:?}"
    );
    assert!(!names.iter().any(|e| e.starts_with("error")), "{names:?}");
    let at: Vec<_> = bytewise.iter().map(|(fed, _)| *fed).collect();
    let mut expected = ends;
    expected.dedup();
    let mut seen = at;
    seen.dedup();
    assert_eq!(seen, expected, "{bytewise:?}");
}

#[test]
fn any_split_gives_the_same_events() {
    let (wire, _) = stream();
    let whole: Vec<_> = feed(&wire, &[usize::MAX])
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    for sizes in [
        &[2][..],
        &[3],
        &[1, 7],
        &[5, 1, 1],
        &[64, 1],
        &[199, 1, 1],
        &[1000],
    ] {
        let events: Vec<_> = feed(&wire, sizes).into_iter().map(|(_, e)| e).collect();
        assert_eq!(events, whole, "{sizes:?}");
    }
}

#[test]
fn eof_inside_a_line_is_reported() {
    let now = mail_sansio::testing::FakeClock::start().now();
    let mut client = fetching(config(), now);
    for octet in b"* 3 EXI" {
        client.handle_input(now, &[*octet]);
        assert_eq!(settle(&mut client), Vec::<String>::new());
    }
    client.handle_eof(now);
    let events = settle(&mut client);
    assert_eq!(events.len(), 1);
    assert!(events[0].starts_with("error"), "{events:?}");
}
