//! Commands from the RFC examples, the anchors' parse matrix (imap-anchors §1a), the tricky
//! inputs of imap-anchors §6.2 (items 21, 23, 27, 29) and security-anchors §8 (items 30–47
//! that reach the command grammar), leniency switches and error reports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::{Bytes, BytesMut};
use imap_proto::command::*;
use imap_proto::frame::{Frame, FrameLimits, Framer};
use imap_proto::types::*;
use imap_proto::{EncodeOptions, Leniency, ParseError, ParseErrorKind, Parsed};

fn dec_with(s: &[u8], o: &DecodeOptions) -> Result<Command, ParseError> {
    match Command::decode_with(s, o)? {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, s.len(), "{}", String::from_utf8_lossy(s));
            Ok(value)
        }
        Parsed::Incomplete => panic!("incomplete: {}", String::from_utf8_lossy(s)),
    }
}

fn dec(s: &[u8]) -> Command {
    dec_with(s, &DecodeOptions::strict()).unwrap()
}

fn err(s: &[u8]) -> ParseError {
    match Command::decode(s) {
        Err(e) => e,
        other => panic!("{}: {other:?}", String::from_utf8_lossy(s)),
    }
}

fn enc(c: &Command) -> String {
    String::from_utf8(c.encoded(EncodeOptions::client()).into_bytes().to_vec()).unwrap()
}

fn astr(s: &str) -> AString {
    AString::try_from(s).unwrap()
}

/// RFC 3501 §8 and RFC 9051 §8: the client side of the example session, lower case as there.
#[test]
fn rfc_example_sessions() {
    let c = dec(b"a001 login mrc secret\r\n");
    assert_eq!(c.tag.as_bytes(), b"a001");
    match &c.body {
        CommandBody::Login { username, password } => {
            assert_eq!(username.as_bytes(), b"mrc");
            assert_eq!(password.expose().as_bytes(), b"secret");
        }
        b => panic!("{b:?}"),
    }
    assert_eq!(enc(&c), "a001 LOGIN mrc secret\r\n");
    // Debug never shows the password.
    assert!(!format!("{c:?}").contains("secret"));

    let c = dec(b"a002 select inbox\r\n");
    assert_eq!(
        c.body,
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            params: SelectParams::default()
        }
    );
    assert_eq!(enc(&c), "a002 SELECT INBOX\r\n");

    let c = dec(b"a003 fetch 12 full\r\n");
    assert!(matches!(
        c.body,
        CommandBody::Fetch {
            uid: false,
            attributes: FetchAttributes::Full,
            ..
        }
    ));
    assert_eq!(enc(&c), "a003 FETCH 12 FULL\r\n");

    let c = dec(b"a004 fetch 12 body[header]\r\n");
    match &c.body {
        CommandBody::Fetch {
            attributes: FetchAttributes::List(a),
            ..
        } => assert_eq!(
            a,
            &[FetchAttribute::BodySection {
                peek: false,
                section: Section {
                    part: vec![],
                    text: Some(SectionText::Header)
                },
                partial: None
            }]
        ),
        b => panic!("{b:?}"),
    }
    assert_eq!(enc(&c), "a004 FETCH 12 BODY[HEADER]\r\n");

    let c = dec(b"a005 store 12 +flags \\deleted\r\n");
    match &c.body {
        CommandBody::Store {
            action,
            silent,
            item,
            unchanged_since,
            ..
        } => {
            assert_eq!(*action, StoreAction::Add);
            assert!(!silent);
            assert_eq!(*unchanged_since, None);
            assert_eq!(item, &StoreItem::Flags(vec![Flag::Deleted]));
        }
        b => panic!("{b:?}"),
    }
    assert_eq!(enc(&c), "a005 STORE 12 +FLAGS (\\Deleted)\r\n");

    assert_eq!(dec(b"a006 logout\r\n").body, CommandBody::Logout);
}

/// imap-anchors §1a: the commands both Rust anchors fail.
#[test]
fn parse_matrix_commands_the_anchors_fail() {
    let c = dec(b"A1 SEARCH RETURN (MIN MAX ALL COUNT SAVE) UNSEEN\r\n");
    match c.body {
        CommandBody::Search {
            return_options: Some(r),
            criteria,
            ..
        } => {
            assert_eq!(r.len(), 5);
            assert_eq!(criteria, vec![SearchKey::Unseen]);
        }
        b => panic!("{b:?}"),
    }
    let c = dec(b"A1 LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n");
    match c.body {
        CommandBody::List {
            selection,
            patterns,
            return_options,
            ..
        } => {
            assert_eq!(selection, vec![ListSelectOption::Subscribed]);
            assert_eq!(patterns[0].as_bytes(), b"*");
            assert_eq!(
                return_options,
                vec![
                    ListReturnOption::Children,
                    ListReturnOption::Status(vec![
                        StatusAttribute::Messages,
                        StatusAttribute::Unseen
                    ])
                ]
            );
        }
        b => panic!("{b:?}"),
    }
    let c = dec(b"A1 CREATE x (USE (\\Sent))\r\n");
    assert!(
        matches!(c.body, CommandBody::Create { ref special_use, .. } if special_use == &[SpecialUse::Sent])
    );
    let c = dec(b"A1 APPEND INBOX (\\Seen) {3}\r\nabc {3}\r\ndef\r\n");
    assert!(matches!(c.body, CommandBody::Append { ref messages, .. } if messages.len() == 2));
    assert_eq!(
        dec(b"A1 UNAUTHENTICATE\r\n").body,
        CommandBody::Unauthenticate
    );
    let c = dec(b"A1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n");
    assert!(
        matches!(c.body, CommandBody::Login { ref username, .. } if username.as_bytes() == b"alice")
    );
    // Bare LF: only with the switch.
    assert_eq!(err(b"A1 NOOP\n").kind, ParseErrorKind::BareNewline);
    let lenient = DecodeOptions::strict().with_leniency(Leniency::lenient());
    assert_eq!(
        dec_with(b"A1 NOOP\n", &lenient).unwrap().body,
        CommandBody::Noop
    );
}

/// imap-anchors §6.2 item 21: `LOGIN {29+}` / `{9+}` (new Outlook) decodes; the 4096 rule and
/// TOOBIG are the framer's and the machine's.
#[test]
fn item_21_non_sync_login() {
    let user = "someone.with.a.long@name.example";
    let mut line = format!(
        "A1 LOGIN {{{}+}}\r\n{user} {{9+}}\r\nsecret123\r\n",
        user.len()
    )
    .into_bytes();
    let c = dec(&line);
    assert!(
        matches!(c.body, CommandBody::Login { ref username, ref password }
        if username.as_bytes() == user.as_bytes() && password.expose().as_bytes() == b"secret123")
    );
    // Half of it is incomplete, never an error.
    line.truncate(30);
    assert_eq!(Command::decode(&line).unwrap(), Parsed::Incomplete);
}

/// imap-anchors §6.2 item 23: AUTHENTICATE corner cases.
#[test]
fn item_23_authenticate() {
    let c = dec(b"A2 AUTHENTICATE PLAIN\r\n");
    assert!(matches!(
        c.body,
        CommandBody::Authenticate {
            initial_response: None,
            ..
        }
    ));
    let c = dec(b"A3 AUTHENTICATE PLAIN =\r\n");
    match &c.body {
        CommandBody::Authenticate {
            initial_response: Some(ir),
            ..
        } => assert!(ir.expose().is_empty()),
        b => panic!("{b:?}"),
    }
    assert_eq!(enc(&c), "A3 AUTHENTICATE PLAIN =\r\n");
    let c = dec(b"A4 AUTHENTICATE PLAIN AHRlc3QAc2VjcmV0\r\n");
    match &c.body {
        CommandBody::Authenticate {
            initial_response: Some(ir),
            ..
        } => {
            assert_eq!(ir.expose().as_slice(), b"\0test\0secret");
        }
        b => panic!("{b:?}"),
    }
    assert!(!format!("{c:?}").contains("test"));
    // Bad base64 in the initial response: an error that shows neither the response...
    let e = err(b"A5 AUTHENTICATE PLAIN AHRlc3QAc2VjcmV0=x\r\n");
    let shown = e.to_string();
    assert!(!shown.contains("AHRlc3Q"), "{shown}");
    // The continuation lines.
    let d = |s: &[u8]| match AuthenticateData::decode(s).unwrap() {
        Parsed::Complete { value, .. } => value,
        Parsed::Incomplete => panic!(),
    };
    assert_eq!(d(b"*\r\n"), AuthenticateData::Cancel);
    assert!(matches!(d(b"\r\n"), AuthenticateData::Data(ref x) if x.expose().is_empty()));
    assert!(
        matches!(d(b"AHRlc3QAc2VjcmV0\r\n"), AuthenticateData::Data(ref x) if x.expose() == b"\0test\0secret")
    );
    let e = AuthenticateData::decode(b"not base64!\r\n").unwrap_err();
    assert!(!e.to_string().contains("base64!"), "{e}");
    assert_eq!(
        AuthenticateData::decode(b"AHRl").unwrap(),
        Parsed::Incomplete
    );
    let mut e = imap_proto::Encoder::new(EncodeOptions::client());
    AuthenticateData::Cancel.encode(&mut e);
    AuthenticateData::Data(mail_sansio::Secret::new(vec![])).encode(&mut e);
    IdleDone.encode(&mut e);
    assert_eq!(e.finish().as_bytes(), b"*\r\n\r\nDONE\r\n");
}

/// IDLE ends with DONE (any case), which is not a command.
#[test]
fn idle_done() {
    assert_eq!(dec(b"A5 IDLE\r\n").body, CommandBody::Idle);
    assert_eq!(
        IdleDone::decode(b"DONE\r\nA6 NOOP\r\n").unwrap(),
        Parsed::Complete {
            value: IdleDone,
            consumed: 6
        }
    );
    assert!(matches!(
        IdleDone::decode(b"done\r\n").unwrap(),
        Parsed::Complete { .. }
    ));
    assert!(IdleDone::decode(b"DONE \r\n").is_err());
    assert!(IdleDone::decode_with(b"DONE \r\n", &DecodeOptions::lenient()).is_ok());
    assert!(IdleDone::decode(b"A6 NOOP\r\n").is_err());
    assert_eq!(IdleDone::decode(b"DON").unwrap(), Parsed::Incomplete);
}

/// imap-anchors §6.2 item 27: a header value that carries a command goes out as a literal,
/// and decodes back as one command.
#[test]
fn item_27_injection_goes_out_as_a_literal() {
    let evil = "x\"\r\nX1 STORE 1:* +FLAGS (\\Deleted)";
    let c = Command::new(
        Tag::try_from("A1").unwrap(),
        CommandBody::Search {
            uid: false,
            return_options: None,
            charset: None,
            criteria: vec![SearchKey::Header(astr("Subject"), astr(evil))],
        },
    );
    let out = c.encoded(EncodeOptions::client());
    assert_eq!(
        out.as_bytes(),
        format!("A1 SEARCH HEADER Subject {{{}}}\r\n{evil}\r\n", evil.len()).as_bytes()
    );
    // A client stops after `{n}\r\n` for the server's `+`.
    assert_eq!(
        out.sync_literals(),
        &["A1 SEARCH HEADER Subject {35}\r\n".len()]
    );
    assert_eq!(dec(out.as_bytes()), c);
    // Server side: a quoted string cannot hold CR LF; what the injection counts on is that the
    // line ends there, so the encoder must never write it inline.
    assert!(Command::decode(b"A1 SEARCH SUBJECT \"a\r\nb\"\r\n").is_err());
}

/// imap-anchors §6.2 item 29: pipelined commands decode one after the other.
#[test]
fn item_29_pipelined() {
    let input = b"tag1 STATUS a (MESSAGES)\r\ntag2 STATUS b (MESSAGES)\r\ntag3 CREATE c\r\n";
    let mut rest = &input[..];
    let mut tags = Vec::new();
    while !rest.is_empty() {
        let Parsed::Complete { value, consumed } = Command::decode(rest).unwrap() else {
            panic!()
        };
        tags.push(String::from_utf8(value.tag.as_bytes().to_vec()).unwrap());
        rest = &rest[consumed..];
    }
    assert_eq!(tags, ["tag1", "tag2", "tag3"]);
}

/// security-anchors §8 item 30: literal sizes that overflow or are not numbers.
#[test]
fn item_30_literal_sizes() {
    let e = err(b"a APPEND INBOX {18446744073709551616}\r\n");
    assert!(
        matches!(e.kind, ParseErrorKind::NumberOverflow { .. }),
        "{e}"
    );
    let e = err(b"a APPEND INBOX {99999999999}\r\n");
    assert!(
        matches!(
            e.kind,
            ParseErrorKind::TooLong {
                what: "literal",
                ..
            }
        ),
        "{e}"
    );
    for bad in [
        &b"a APPEND INBOX {-1}\r\n"[..],
        b"a APPEND INBOX {1a}\r\n",
        b"a APPEND INBOX {}\r\n",
    ] {
        assert!(
            Command::decode(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // `{10}x`: no CRLF right after the announcement, so no literal: the line is broken.
    assert!(Command::decode(b"a APPEND INBOX {3}x\r\n").is_err());
}

/// security-anchors §8 items 32 and 33: nesting is bounded, in both directions.
#[test]
fn items_32_33_nesting() {
    let mut o = DecodeOptions::strict();
    o.limits.line = 4 << 20;
    o.limits.unit = 4 << 20;
    let deep = [b"a SEARCH ".as_slice(), &vec![b'('; 1_000_000], b"ALL\r\n"].concat();
    let e = dec_with(&deep, &o).unwrap_err();
    assert!(
        matches!(e.kind, ParseErrorKind::TooDeep { limit: 16 }),
        "{e}"
    );
    let nots = [
        b"a SEARCH ".as_slice(),
        &b"NOT ".repeat(100_000),
        b"ALL\r\n",
    ]
    .concat();
    let e = dec_with(&nots, &o).unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::TooDeep { .. }), "{e}");
    let ors = [
        b"a SEARCH ".as_slice(),
        &b"OR ALL ".repeat(100_000),
        b"ALL\r\n",
    ]
    .concat();
    assert!(matches!(
        dec_with(&ors, &o).unwrap_err().kind,
        ParseErrorKind::TooDeep { .. }
    ));
    // Default limits: the line is too long before any nesting counts.
    assert!(matches!(err(&deep).kind, ParseErrorKind::TooLong { .. }));
    // Limit 2.
    let mut two = DecodeOptions::strict();
    two.limits.list_depth = 2;
    assert!(dec_with(b"a SEARCH ((ALL))\r\n", &two).is_ok());
    assert!(matches!(
        dec_with(b"a SEARCH (((ALL)))\r\n", &two).unwrap_err().kind,
        ParseErrorKind::TooDeep { limit: 2 }
    ));
    assert!(dec_with(b"a SEARCH ((ALL)))\r\n", &two).is_err());
    assert!(dec_with(b"a SEARCH ((ALL)\r\n", &two).is_err());
}

/// security-anchors §8 items 34–37: quoted strings, NUL, 8-bit atoms, bare CR, literal8.
#[test]
fn items_34_to_37() {
    let e = err(b"a LOGIN \"user\r\n");
    let line = e.line.as_deref().unwrap();
    assert!(!line.contains("user"), "{line}");
    assert!(line.contains("<redacted>"), "{line}");
    let e = err(b"a LOGIN \"us\x00er\" pw\r\n");
    assert!(!e.to_string().contains("us"), "{e}");
    assert!(Command::decode(b"a SELECT INB\xffOX\r\n").is_err());
    assert_eq!(err(b"a NOOP\rb NOOP\r\n").kind, ParseErrorKind::BareNewline);
    assert!(Command::decode(b"a LOGIN ~{5}\r\nalice pw\r\n").is_err());
    // NUL in a plain literal is refused; in a literal8 APPEND it is data.
    assert!(Command::decode(b"a APPEND INBOX {3}\r\na\0b\r\n").is_err());
    assert!(Command::decode(b"a APPEND INBOX ~{3}\r\na\0b\r\n").is_ok());
}

/// security-anchors §8 item 38: sequence sets.
#[test]
fn item_38_sequence_sets() {
    let e = err(b"a FETCH 0 FLAGS\r\n");
    assert_eq!((e.kind.clone(), e.offset), (ParseErrorKind::Zero, 8), "{e}");
    for bad in [
        &b"a FETCH 1:5, FLAGS\r\n"[..],
        b"a FETCH 1:4294967296 FLAGS\r\n",
        b"a FETCH *:* FLAGS x\r\n",
    ] {
        assert!(
            Command::decode(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let c = dec(b"a FETCH 1:4294967295,* FLAGS\r\n");
    assert_eq!(enc(&c), "a FETCH 1:4294967295,* FLAGS\r\n");
}

/// security-anchors §8 item 39: non-canonical or broken modified UTF-7 names are refused in
/// strict mode; UTF-8 passes through when enabled.
#[test]
fn item_39_mailbox_names() {
    for name in [
        "&",
        "&Jjo",
        "&Jjo!",
        "&U,BTFw-&ZeVnLIqe-",
        "&AGE-",
        // (`&AAA-`, which decodes to NUL, is the mailbox type's to refuse.)
        "&2AA-",
    ] {
        let line = format!("a SELECT \"{name}\"\r\n");
        assert!(Command::decode(line.as_bytes()).is_err(), "{name}");
    }
    assert!(
        Command::decode("a SELECT \"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"\r\n".as_bytes()).is_ok()
    );
    let utf8 = DecodeOptions::strict().with_utf8(true);
    assert!(dec_with("a SELECT \"Отправленные\"\r\n".as_bytes(), &utf8).is_ok());
}

/// security-anchors §8 item 46: a mailbox with CRLF cannot be built; quotes and backslashes
/// are escaped and round-trip.
#[test]
fn item_46_encoder_injection() {
    assert!(Mailbox::from_utf8_raw("INBOX\r\na2 DELETE Trash").is_err());
    // Through modified UTF-7 the controls are base64 inside `&...-`: one line, round trip.
    let m = Mailbox::from_utf8("INBOX\r\na2 DELETE Trash").unwrap();
    let c = Command::new(Tag::try_from("a1").unwrap(), CommandBody::Delete(m));
    let line = enc(&c);
    assert_eq!(line.matches("\r\n").count(), 1, "{line}");
    assert_eq!(dec(line.as_bytes()), c);
    let m = Mailbox::from_utf8("foo\"\\bar").unwrap();
    let c = Command::new(Tag::try_from("a1").unwrap(), CommandBody::Delete(m));
    assert_eq!(enc(&c), "a1 DELETE \"foo\\\"\\\\bar\"\r\n");
    assert_eq!(dec(enc(&c).as_bytes()), c);
}

/// Runtime leniency switches.
#[test]
fn leniency() {
    let lenient = DecodeOptions::lenient();
    for line in [
        &b"a NOOP \r\n"[..],
        b"a SEARCH ALL \r\n",
        b"a FETCH 1 (FLAGS  UID )\r\n",
        b"a STATUS INBOX (MESSAGES )\r\n",
        b"a UID  FETCH 1 FLAGS\r\n",
    ] {
        assert!(
            Command::decode(line).is_err(),
            "{}",
            String::from_utf8_lossy(line)
        );
        assert!(
            dec_with(line, &lenient).is_ok(),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // Non-canonical modified UTF-7 with its switch.
    assert!(dec_with(b"a SELECT &AGE-\r\n", &lenient).is_ok());
}

/// Errors carry the offset, the rule, and the line with LOGIN/AUTHENTICATE secrets redacted.
#[test]
fn error_reports() {
    let e = err(b"a FETCH 1 (FLAGS BOGUS)\r\n");
    assert_eq!(e.offset, 17);
    assert_eq!(e.rule, "fetch-att");
    assert_eq!(e.line.as_deref(), Some("a FETCH 1 (FLAGS BOGUS)"));
    let e = err(b"a LOGIN alice \"unterminated\r\n");
    assert!(!e.to_string().contains("alice"), "{e}");
    let e = err(b"a AUTHENTICATE PLAIN !!!!\r\n");
    let line = e.line.as_deref().unwrap();
    assert!(line.contains("PLAIN") && !line.contains("!!!!"), "{line}");
    // Case-insensitive names; unknown commands are Other, never a failure.
    let c = dec(b"a xunknown 1 (a b) \"c\"\r\n");
    assert!(
        matches!(c.body, CommandBody::Other { ref name, ref args } if name.as_bytes() == b"xunknown" && args.len() == 3)
    );
    assert!(matches!(
        dec(b"A Uid Fetch 1 Flags\r\n").body,
        CommandBody::Fetch { uid: true, .. }
    ));
}

/// The zero-copy entry from the framer: an APPEND whose literal streamed out yields the
/// marker, and the values of a kept unit share its buffer.
#[test]
fn framer_units() {
    let mut limits = FrameLimits::default();
    limits.literal_stream_threshold = 4;
    let mut framer = Framer::commands(limits);
    let mut input =
        BytesMut::from(&b"a APPEND INBOX (\\Seen) {10+}\r\n0123456789\r\nb LOGIN x y\r\n"[..]);
    let mut units = Vec::new();
    while let Some(f) = framer.next_frame(&mut input) {
        if let Frame::Unit(u) = f {
            units.push(u);
        }
    }
    assert_eq!(units.len(), 2);
    let c = Command::from_unit(&units[0], &DecodeOptions::strict()).unwrap();
    match c.body {
        CommandBody::Append { messages, .. } => {
            assert_eq!(
                messages[0].data,
                AppendData::Streamed {
                    len: 10,
                    binary: false
                }
            );
            assert_eq!(messages[0].flags, vec![Flag::Seen]);
        }
        b => panic!("{b:?}"),
    }
    let c = Command::from_unit(&units[1], &DecodeOptions::strict()).unwrap();
    assert!(matches!(c.body, CommandBody::Login { .. }));
    let unit = Bytes::from_static(b"a SELECT Drafts\r\n");
    let c = Command::from_bytes(&unit, &DecodeOptions::strict()).unwrap();
    let CommandBody::Select {
        mailbox: Mailbox::Other(name),
        ..
    } = c.body
    else {
        panic!()
    };
    assert_eq!(name.as_bytes().as_ptr(), unit[9..].as_ptr());
}
