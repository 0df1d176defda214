//! Known-answer tests of the framer: units, literals, verdicts, limits and resynchronisation
//! (imap-anchors §6.2 items 8, 17–21; security-anchors §8 items 30, 31, 41, 43).

mod frame_common;

use frame_common::{Ev, Lit, assert_every_split, bytewise, client, kept, run, server, unit, whole};
use imap_proto::frame::{FrameErrorKind, FrameLimits, Framer};

fn error(kind: FrameErrorKind, tag: Option<&str>) -> Ev {
    Ev::Error {
        kind,
        tag: tag.map(|t| t.as_bytes().to_vec()),
        fatal: false,
    }
}

fn limits() -> FrameLimits {
    FrameLimits::default()
}

fn limits_with(change: impl FnOnce(&mut FrameLimits)) -> FrameLimits {
    let mut limits = limits();
    change(&mut limits);
    limits
}

// §6.2 item 8: a mailbox name as a literal, whole, in three chunks and at every split.
#[test]
fn list_with_literal_mailbox() {
    let input = b"* LIST () \"/\" {7}\r\nfoo bar\r\n";
    let expected = vec![unit(input, &[kept(19, 7)])];
    assert_eq!(whole(client(), input), expected);
    let pieces: [&[u8]; 3] = [b"* LIST () \"/\" {7", b"}\r\nfoo", b" bar\r\n"];
    assert_eq!(run(client(), &pieces, |_| true).events, expected);
    assert_every_split(client, input, &expected);
}

// §6.2 item 17: `{0}` is an empty literal, NIL is no literal at all.
#[test]
fn empty_literal_and_nil() {
    let input = b"* 2 FETCH (BODY[] {0}\r\n)\r\n* 2 FETCH (BODY[] NIL)\r\n";
    let expected = vec![
        unit(b"* 2 FETCH (BODY[] {0}\r\n)\r\n", &[kept(23, 0)]),
        unit(b"* 2 FETCH (BODY[] NIL)\r\n", &[]),
    ];
    assert_every_split(client, input, &expected);
}

// §6.2 item 18: nothing inside a literal is interpreted.
#[test]
fn literal_holding_protocol_text() {
    let body = b"A1 OK done\r\n)\r\n* BYE\r\n{99}\r\n";
    let mut input = format!("* 3 FETCH (BODY[] {{{}}}\r\n", body.len()).into_bytes();
    let offset = input.len();
    input.extend_from_slice(body);
    input.extend_from_slice(b")\r\nA1 OK done\r\n");
    let first_len = input.len() - b"A1 OK done\r\n".len();
    let expected = vec![
        unit(&input[..first_len], &[kept(offset, body.len() as u64)]),
        unit(b"A1 OK done\r\n", &[]),
    ];
    assert_every_split(client, &input, &expected);
}

// §6.2 item 20: literal8 with NUL in it; the framer leaves the NUL rule to the grammar.
#[test]
fn literal8_with_nul() {
    let input = b"* 1 FETCH (BINARY[1] ~{3}\r\n\x00ab)\r\n";
    let lit = Lit {
        binary: true,
        ..kept(27, 3)
    };
    assert_every_split(client, input, &[unit(input, &[lit])]);
}

// §6.2 item 21: the new Outlook's `LOGIN {29+}`: no verdict asked, one unit.
#[test]
fn non_sync_login() {
    let user = b"someone.with.a.long@name.test";
    let mut input = b"A1 LOGIN {29+}\r\n".to_vec();
    input.extend_from_slice(user);
    input.extend_from_slice(b" {9+}\r\npassw0rd!\r\nA2 NOOP\r\n");
    let first_len = input.len() - b"A2 NOOP\r\n".len();
    let non_sync = |offset, len| Lit {
        sync: false,
        ..kept(offset, len)
    };
    let expected = vec![
        unit(&input[..first_len], &[non_sync(16, 29), non_sync(52, 9)]),
        unit(b"A2 NOOP\r\n", &[]),
    ];
    assert_every_split(server, &input, &expected);
}

// §6.2 item 21 with LITERAL- (4096): a larger non-sync literal is drained, never read as
// commands, and reported once with the tag; the next command frames normally.
#[test]
fn oversized_non_sync_literal_is_drained() {
    let mut input = b"A1 APPEND INBOX {5000+}\r\n".to_vec();
    let attack: Vec<u8> = b"A9 DELETE INBOX\r\n{1}\r\n"
        .iter()
        .copied()
        .cycle()
        .take(5000)
        .collect();
    input.extend_from_slice(&attack);
    input.extend_from_slice(b" {3+}\r\nabc\r\nA2 NOOP\r\n");
    let expected = vec![
        error(
            FrameErrorKind::LiteralTooLarge {
                len: 5000,
                limit: 4096,
            },
            Some("A1"),
        ),
        unit(b"A2 NOOP\r\n", &[]),
    ];
    assert_eq!(whole(server(), &input), expected);
    assert_eq!(bytewise(server(), &input), expected);
    // Drained as it arrives: the buffer never holds the literal.
    let pieces: Vec<&[u8]> = input.chunks(100).collect();
    let run = run(server(), &pieces, |_| true);
    assert_eq!(run.events, expected);
    assert!(run.max_buffered < 200, "{}", run.max_buffered);
}

// Security §8 item 30/41: huge sizes are refused without allocating; on the server a sync
// announcement is refused (no `+`), so the next line is a command again.
#[test]
fn huge_sync_sizes_are_refused_on_the_server() {
    for (size, kind) in [
        (
            "18446744073709551615",
            FrameErrorKind::LiteralTooLarge {
                len: u64::MAX,
                limit: limits().max_literal,
            },
        ),
        ("99999999999999999999", FrameErrorKind::LiteralSizeOverflow),
        ("18446744073709551616", FrameErrorKind::LiteralSizeOverflow),
    ] {
        let input = format!("a APPEND INBOX {{{size}}}\r\nb NOOP\r\n");
        let expected = vec![error(kind, Some("a")), unit(b"b NOOP\r\n", &[])];
        assert_every_split(server, input.as_bytes(), &expected);
    }
}

// Not announcements: the grammar rejects these lines, the framer just ends the unit.
#[test]
fn malformed_announcements_are_plain_lines() {
    for line in [
        "a APPEND INBOX {-1}\r\n",
        "a APPEND INBOX {1a}\r\n",
        "a APPEND INBOX {10}x\r\n",
        "a APPEND INBOX {}\r\n",
        "A1 LOGIN \"a{5}\" x\r\n",
        "A1 LOGIN x \"{5}\"\r\n",
    ] {
        assert_eq!(
            whole(server(), line.as_bytes()),
            vec![unit(line.as_bytes(), &[])]
        );
    }
}

// A quoted string left open at the line end is malformed anyway; the framer does not track
// quotes, so `{5}` there is an announcement (see the module docs for why).
#[test]
fn open_quote_does_not_hide_an_announcement() {
    let input = b"* 1 FETCH (ENVELOPE (\"a\"b\" NIL) BODY[] {5}\r\nhello)\r\n";
    assert_eq!(whole(client(), input), vec![unit(input, &[kept(44, 5)])]);
}

// Security §8 item 41: a client cannot refuse; a size over 64 bits cannot be drained.
#[test]
fn huge_sizes_in_responses() {
    let input = b"* 1 FETCH (BODY[] {99999999999999999999}\r\nA1 OK\r\n";
    let expected = vec![Ev::Error {
        kind: FrameErrorKind::LiteralSizeOverflow,
        tag: None,
        fatal: true,
    }];
    assert_every_split(client, input, &expected);
    // Over the literal limit but countable: drained, then the next response.
    let small = limits_with(|l| l.max_literal = 10);
    let input = b"A7 FETCH (BODY[] {20}\r\n01234567890123456789)\r\nA1 OK\r\n";
    let expected = vec![
        error(
            FrameErrorKind::LiteralTooLarge { len: 20, limit: 10 },
            Some("A7"),
        ),
        unit(b"A1 OK\r\n", &[]),
    ];
    assert_every_split(|| Framer::responses(small.clone()), input, &expected);
}

// Security §8 item 43: `{n+}` in a response is framed (the server sends the data) and dropped.
#[test]
fn non_sync_literal_in_a_response() {
    let input = b"* 1 FETCH (BODY[] {5+}\r\nhello)\r\n* 2 EXISTS\r\n";
    let expected = vec![
        error(FrameErrorKind::NonSyncLiteralInResponse, None),
        unit(b"* 2 EXISTS\r\n", &[]),
    ];
    assert_every_split(client, input, &expected);
}

// Status responses and continuation requests end in text, never in a literal.
#[test]
fn status_text_never_announces() {
    let input =
        b"* OK [ALERT] folder {5}\r\nA1 NO no such mailbox {12}\r\n+ go {3}\r\n* 1 EXISTS\r\n";
    let expected = vec![
        unit(b"* OK [ALERT] folder {5}\r\n", &[]),
        unit(b"A1 NO no such mailbox {12}\r\n", &[]),
        unit(b"+ go {3}\r\n", &[]),
        unit(b"* 1 EXISTS\r\n", &[]),
    ];
    assert_every_split(client, input, &expected);
    // On the server side the same bytes are commands, and `{5}` announces.
    let events = whole(server(), b"* OK {5}\r\n");
    assert!(matches!(events.first(), Some(Ev::Announced { len: 5, .. })));
}

#[test]
fn server_asks_for_a_verdict_on_sync_literals() {
    let input = b"A1 LOGIN {5}\r\nalice {6}\r\nsecret\r\n";
    let expected = vec![
        Ev::Announced {
            len: 5,
            binary: false,
            so_far: b"A1 LOGIN {5}\r\n".to_vec(),
        },
        Ev::Announced {
            len: 6,
            binary: false,
            so_far: b"A1 LOGIN {5}\r\nalice {6}\r\n".to_vec(),
        },
        unit(input, &[kept(14, 5), kept(25, 6)]),
    ];
    assert_every_split(server, input, &expected);
    // No verdict, no progress.
    let mut framer = server();
    let mut buf = bytes::BytesMut::from(&input[..]);
    assert!(matches!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::LiteralAnnounced { len: 5, .. })
    ));
    assert!(framer.awaiting_verdict());
    assert_eq!(framer.next_frame(&mut buf), None);
    assert_eq!(framer.next_frame(&mut buf), None);
    assert!(framer.accept_literal());
    assert!(!framer.accept_literal());
}

// §6.2 item 22 from the server's side: after `NO [TOOBIG]` the client does not send the data,
// so what follows the announcement is the next command.
#[test]
fn refused_literal_resumes_at_the_next_line() {
    let input = b"A4 APPEND INBOX {30000000}\r\nA5 NOOP\r\n";
    let got = run(server(), &[input], |_| false).events;
    assert_eq!(
        got,
        vec![
            Ev::Announced {
                len: 30_000_000,
                binary: false,
                so_far: b"A4 APPEND INBOX {30000000}\r\n".to_vec()
            },
            unit(b"A5 NOOP\r\n", &[]),
        ]
    );
}

#[test]
fn large_literals_stream() {
    let small = limits_with(|l| l.literal_stream_threshold = 4);
    let input = b"* 1 FETCH (BODY[] {10}\r\n0123456789 FLAGS (\\Seen) BODY[1] {3}\r\nabc)\r\n";
    let expected = vec![
        Ev::Start {
            prefix: b"* 1 FETCH (BODY[] {10}\r\n".to_vec(),
            len: 10,
            binary: false,
            sync: true,
        },
        Ev::Data(b"0123456789".to_vec()),
        Ev::End,
        unit(
            b"* 1 FETCH (BODY[] {10}\r\n FLAGS (\\Seen) BODY[1] {3}\r\nabc)\r\n",
            &[
                Lit {
                    streamed: true,
                    ..kept(24, 10)
                },
                kept(52, 3),
            ],
        ),
    ];
    assert_every_split(|| Framer::responses(small.clone()), input, &expected);
    // Two streamed literals in one unit: the second prefix holds the first's announcement.
    let input = b"A1 APPEND INBOX {5+}\r\nhello {6+}\r\nworld!\r\n";
    let expected = vec![
        Ev::Start {
            prefix: b"A1 APPEND INBOX {5+}\r\n".to_vec(),
            len: 5,
            binary: false,
            sync: false,
        },
        Ev::Data(b"hello".to_vec()),
        Ev::End,
        Ev::Start {
            prefix: b"A1 APPEND INBOX {5+}\r\n {6+}\r\n".to_vec(),
            len: 6,
            binary: false,
            sync: false,
        },
        Ev::Data(b"world!".to_vec()),
        Ev::End,
        unit(
            b"A1 APPEND INBOX {5+}\r\n {6+}\r\n\r\n",
            &[
                Lit {
                    sync: false,
                    streamed: true,
                    ..kept(22, 5)
                },
                Lit {
                    sync: false,
                    streamed: true,
                    ..kept(29, 6)
                },
            ],
        ),
    ];
    assert_every_split(|| Framer::commands(small.clone()), input, &expected);
}

#[test]
fn streamed_chunks_are_slices_of_the_input() {
    let small = limits_with(|l| l.literal_stream_threshold = 0);
    let mut framer = Framer::responses(small);
    let mut buf = bytes::BytesMut::from(&b"* 1 FETCH (BODY[] {4}\r\nab"[..]);
    assert!(matches!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::LiteralStart { len: 4, .. })
    ));
    assert_eq!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::LiteralChunk("ab".into()))
    );
    assert_eq!(framer.next_frame(&mut buf), None);
    buf.extend_from_slice(b"cd)\r\n");
    assert_eq!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::LiteralChunk("cd".into()))
    );
    assert_eq!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::LiteralEnd)
    );
    let Some(imap_proto::frame::Frame::Unit(unit)) = framer.next_frame(&mut buf) else {
        panic!("no unit");
    };
    assert_eq!(unit.literal_at(23).map(|l| l.streamed), Some(true));
    assert_eq!(unit.literal_at(22), None);
}

#[test]
fn bare_lf_is_an_error_unless_accepted() {
    let input = b"A1 NOOP\nA2 LOGIN {1}\n";
    // Strict: each line is dropped; the sync announcement ends its (dropped) unit.
    assert_every_split(
        server,
        input,
        &[
            error(FrameErrorKind::BareNewline, Some("A1")),
            error(FrameErrorKind::BareNewline, Some("A2")),
        ],
    );
    // Lenient: LF ends lines and announcements.
    let lenient = || server().with_bare_lf(true);
    let mut input = input.to_vec();
    input.extend_from_slice(b"x\n");
    assert_every_split(
        lenient,
        &input,
        &[
            unit(b"A1 NOOP\n", &[]),
            Ev::Announced {
                len: 1,
                binary: false,
                so_far: b"A2 LOGIN {1}\n".to_vec(),
            },
            unit(b"A2 LOGIN {1}\nx\n", &[kept(13, 1)]),
        ],
    );
}

#[test]
fn bare_cr_is_always_an_error() {
    let input = b"a NOOP\rb NOOP\r\nc NOOP\r\n";
    let expected = vec![
        error(FrameErrorKind::BareNewline, Some("a")),
        unit(b"c NOOP\r\n", &[]),
    ];
    assert_every_split(server, input, &expected);
    assert_every_split(|| server().with_bare_lf(true), input, &expected);
}

// A strict client: a bare LF after an announcement still frames the literal, so its bytes
// are not read as responses.
#[test]
fn dropped_units_keep_their_literal_framing() {
    let input = b"* 1 FETCH (BODY[] {7}\n* BYE\r\n)\r\n* 2 EXISTS\r\n";
    let expected = vec![
        error(FrameErrorKind::BareNewline, None),
        unit(b"* 2 EXISTS\r\n", &[]),
    ];
    assert_every_split(client, input, &expected);
}

#[test]
fn over_long_lines_are_dropped_as_they_arrive() {
    let short = limits_with(|l| l.max_line = 64);
    let mut input = b"A1 SEARCH TEXT ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100_000));
    input.extend_from_slice(b"\r\nA2 NOOP\r\n");
    let expected = vec![
        error(FrameErrorKind::LineTooLong { limit: 64 }, Some("A1")),
        unit(b"A2 NOOP\r\n", &[]),
    ];
    let pieces: Vec<&[u8]> = input.chunks(1000).collect();
    let got = run(Framer::commands(short.clone()), &pieces, |_| true);
    assert_eq!(got.events, expected);
    assert!(got.max_buffered <= 1000, "{}", got.max_buffered);
    assert_eq!(whole(Framer::commands(short.clone()), &input), expected);
    assert_eq!(bytewise(Framer::commands(short), &input), expected);
}

#[test]
fn line_limit_counts_the_line_ending() {
    let exact = limits_with(|l| l.max_line = 9);
    let input = b"A1 NOOP\r\nA2 NOOPX\r\nA3 NOOP\r\n";
    let expected = vec![
        unit(b"A1 NOOP\r\n", &[]),
        error(FrameErrorKind::LineTooLong { limit: 9 }, Some("A2")),
        unit(b"A3 NOOP\r\n", &[]),
    ];
    assert_every_split(|| Framer::commands(exact.clone()), input, &expected);
}

// An over-long line that ends in an announcement: the literal is drained (client side) so
// its bytes are never read as responses.
#[test]
fn over_long_line_with_announcement() {
    let short = limits_with(|l| l.max_line = 20);
    let input = b"* 1 FETCH (FLAGS (\\Seen) BODY[] {9}\r\n* 2 BYE\r\n)\r\n* 3 EXISTS\r\n";
    let expected = vec![
        error(FrameErrorKind::LineTooLong { limit: 20 }, None),
        unit(b"* 3 EXISTS\r\n", &[]),
    ];
    assert_every_split(|| Framer::responses(short.clone()), input, &expected);
}

#[test]
fn line_limit_can_be_raised_at_runtime() {
    let mut framer = Framer::commands(limits_with(|l| l.max_line = 10));
    let mut buf = bytes::BytesMut::from(&b"A1 LOGIN a b\r\n"[..]);
    assert!(matches!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::Error(_))
    ));
    framer.set_max_line(100);
    buf.extend_from_slice(b"A2 SELECT INBOX\r\n");
    assert!(matches!(
        framer.next_frame(&mut buf),
        Some(imap_proto::frame::Frame::Unit(_))
    ));
}

#[test]
fn unit_and_literal_count_limits() {
    let tight = limits_with(|l| l.max_unit = 40);
    // The kept literal would pass 40 octets: refused on the server (sync).
    let input = b"A1 LOGIN {30}\r\nA2 NOOP\r\n";
    let expected = vec![
        error(FrameErrorKind::UnitTooLarge { limit: 40 }, Some("A1")),
        unit(b"A2 NOOP\r\n", &[]),
    ];
    assert_every_split(|| Framer::commands(tight.clone()), input, &expected);
    // Lines after kept literals count too.
    let input =
        b"* 1 FETCH (BODY[] {3}\r\nabc FLAGS (\\Seen \\Answered \\Draft))\r\n* 2 EXISTS\r\n";
    let expected = vec![
        error(FrameErrorKind::UnitTooLarge { limit: 40 }, None),
        unit(b"* 2 EXISTS\r\n", &[]),
    ];
    assert_every_split(|| Framer::responses(tight.clone()), input, &expected);

    let few = limits_with(|l| l.max_literals = 2);
    let input = b"* ID ({0}\r\n {0}\r\n {0}\r\n {0}\r\n)\r\n* 1 EXISTS\r\n";
    let expected = vec![
        error(FrameErrorKind::TooManyLiterals { limit: 2 }, None),
        unit(b"* 1 EXISTS\r\n", &[]),
    ];
    assert_every_split(|| Framer::responses(few.clone()), input, &expected);
}

#[test]
fn tags_of_dropped_units() {
    let short = limits_with(|l| l.max_line = 8);
    let input = b"abcdefghijkl NOOP\r\n+ x\r\n* OK hello\r\nA1]x NOOP\r\n";
    let got = whole(Framer::responses(short), input);
    let tags: Vec<Option<Vec<u8>>> = got
        .iter()
        .map(|ev| match ev {
            Ev::Error { tag, .. } => tag.clone(),
            _ => Some(b"unit".to_vec()),
        })
        .collect();
    assert_eq!(
        tags,
        vec![
            // Reported when the limit is passed: a tag longer than the limit is unknown.
            None,
            Some(b"unit".to_vec()),
            None,
            Some(b"A1]x".to_vec())
        ]
    );
}

// After a fatal error nothing more comes out.
#[test]
fn fatal_error_is_final() {
    let mut framer = server();
    let mut buf = bytes::BytesMut::from(&b"A1 X {99999999999999999999+}\r\nA2 NOOP\r\n"[..]);
    let Some(imap_proto::frame::Frame::Error(error)) = framer.next_frame(&mut buf) else {
        panic!("no error");
    };
    assert!(error.is_fatal());
    assert_eq!(error.tag().map(|t| &t[..]), Some(&b"A1"[..]));
    assert_eq!(framer.next_frame(&mut buf), None);
    buf.extend_from_slice(b"A3 NOOP\r\n");
    assert_eq!(framer.next_frame(&mut buf), None);
}

#[test]
fn units_are_split_off_without_copying() {
    let mut framer = client();
    let mut buf = bytes::BytesMut::from(&b"* 1 FETCH (BODY[] {5}\r\nhello)\r\n* 2 EXISTS\r\n"[..]);
    let base = buf.as_ptr();
    let Some(imap_proto::frame::Frame::Unit(unit)) = framer.next_frame(&mut buf) else {
        panic!("no unit");
    };
    assert_eq!(unit.bytes().as_ptr(), base);
    assert!(framer.is_between_units());
}
