//! Known answers for the validated values and the encoder, through the public API only:
//! construction rules, modified UTF-7 (imap-anchors §6.2 item 26), CR/LF injection through
//! arguments (item 27), every legal atom character (imaptest `atoms`), dates and sequence sets.

use std::num::NonZeroU32;

use imap_proto::types::{
    AString, Atom, Date, DateTime, Flag, IString, Literal8, Mailbox, NString, SeqBound, SeqRange,
    SeqSetOrSaved, SequenceSet, Tag, decode_utf7, encode_utf7, is_canonical_utf7,
};
use imap_proto::{EncodeOptions, Encoder, InvalidValue};

fn encode(options: EncodeOptions, f: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut e = Encoder::new(options);
    f(&mut e);
    e.finish().into_bytes().to_vec()
}

#[test]
fn atoms_accept_every_legal_char_and_nothing_else() {
    // imaptest `atoms`: !#$&'+,-.:;<=>?@^_`|}~ and [ are atom characters; `]` only in astrings.
    let legal = "!#$&'+,-.:;<=>?@^_`|}~[";
    for c in legal.chars() {
        assert!(Atom::try_from(c.to_string().as_str()).is_ok(), "{c}");
    }
    assert!(Atom::try_from(legal).is_ok());
    for b in (0u8..=0x20).chain([
        b'(', b')', b'{', b'%', b'*', b'"', b'\\', b']', 0x7f, 0x80, 0xff,
    ]) {
        assert!(
            matches!(Atom::try_from(&[b'a', b][..]), Err(InvalidValue::ForbiddenByte { byte, .. }) if byte == b),
            "{b:#04x}"
        );
    }
    assert!(matches!(
        Atom::try_from(""),
        Err(InvalidValue::Empty { .. })
    ));
    // `~foo` is an atom, not the start of a literal8.
    let a = AString::try_from("~foo").unwrap();
    assert_eq!(
        encode(EncodeOptions::client(), |e| {
            e.astring(&a);
        }),
        b"~foo"
    );
}

#[test]
fn tags() {
    assert!(Tag::try_from("A0001").is_ok());
    assert!(Tag::try_from("a]").is_ok());
    for bad in ["", "A+1", "+", "*", "A 1", "A\r\n", "A{1}", "A\"", "A%"] {
        assert!(Tag::try_from(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn strings_reject_nul_and_keep_everything_else() {
    assert!(IString::try_from("a\0").is_err());
    assert!(AString::try_from(&b"\0"[..]).is_err());
    assert!(IString::try_from(&b"\r\n\xff\x01"[..]).is_ok());
    assert!(Literal8::try_from(&b"\0\r\n"[..]).is_ok());
    assert!(NString::NIL.is_nil());
    assert_eq!(NString::from(IString::empty()).as_bytes(), Some(&b""[..]));
}

#[test]
fn item_27_crlf_injection_becomes_a_literal() {
    // The application searches for a header value holding a command.
    let evil = "x\"\r\nX1 STORE 1:* +FLAGS (\\Deleted)";
    let s = AString::try_from(evil).unwrap();
    for options in [
        EncodeOptions::client(),
        EncodeOptions::client().with_literal_plus(true),
        EncodeOptions::server(),
        EncodeOptions::client().with_utf8(true),
    ] {
        let mut e = Encoder::new(options);
        e.astring(&s);
        let out = e.finish();
        let wire = out.as_bytes();
        let head_end = wire.iter().position(|&b| b == b'\n').unwrap() + 1;
        let (head, data) = wire.split_at(head_end);
        assert!(
            head.starts_with(b"{") && head.ends_with(b"}\r\n"),
            "{head:?}"
        );
        assert_eq!(data, evil.as_bytes());
        let sync = options.side == imap_proto::Side::Client && !options.literal_plus;
        let expected = if sync { vec![head_end] } else { vec![] };
        assert_eq!(out.sync_literals(), expected.as_slice());
    }
    // A mailbox name built from user text cannot carry a line break either.
    assert!(Mailbox::try_from("a\r\nb").is_err());
    assert!(
        !Mailbox::from_utf8("a\r\nb")
            .unwrap()
            .as_bytes()
            .contains(&b'\n')
    );
}

#[test]
fn quoting_is_escaped_and_8bit_needs_utf8() {
    let s = IString::try_from("say \"hi\" \\o/").unwrap();
    assert_eq!(
        encode(EncodeOptions::client(), |e| {
            e.string(&s);
        }),
        br#""say \"hi\" \\o/""#
    );
    let s = IString::try_from("Grüße").unwrap();
    assert_eq!(
        encode(EncodeOptions::client(), |e| {
            e.string(&s);
        }),
        "{7}\r\nGrüße".as_bytes()
    );
    assert_eq!(
        encode(EncodeOptions::client().with_utf8(true), |e| {
            e.string(&s);
        }),
        "\"Grüße\"".as_bytes()
    );
    // A control byte is legal in a quoted string but never written there.
    let s = IString::try_from("a\tb").unwrap();
    assert_eq!(
        encode(EncodeOptions::server(), |e| {
            e.string(&s);
        }),
        b"{3}\r\na\tb"
    );
    // A long value is a literal, so one argument cannot blow the line limit.
    let long = IString::try_from("a".repeat(5000)).unwrap();
    assert!(
        encode(EncodeOptions::client(), |e| {
            e.string(&long);
        })
        .starts_with(b"{5000}\r\n")
    );
}

#[test]
fn literal_plus_and_minus() {
    let small = IString::try_from("a\r\n").unwrap();
    let big = IString::try_from("\n".repeat(4097)).unwrap();
    let minus = EncodeOptions::client().with_literal_minus(true);
    assert!(
        encode(minus, |e| {
            e.string(&small);
        })
        .starts_with(b"{3+}\r\n")
    );
    assert!(
        encode(minus, |e| {
            e.string(&big);
        })
        .starts_with(b"{4097}\r\n")
    );
    let plus = EncodeOptions::client().with_literal_plus(true);
    assert!(
        encode(plus, |e| {
            e.string(&big);
        })
        .starts_with(b"{4097+}\r\n")
    );
    let server = EncodeOptions::server()
        .with_literal_plus(true)
        .with_literal_minus(true);
    assert!(
        encode(server, |e| {
            e.string(&small);
        })
        .starts_with(b"{3}\r\n")
    );
    let bin = Literal8::try_from(&b"\0ab"[..]).unwrap();
    assert_eq!(
        encode(plus, |e| {
            e.literal8(&bin);
        }),
        b"~{3+}\r\n\0ab"
    );
    assert_eq!(
        encode(EncodeOptions::server(), |e| {
            e.literal8(&bin);
        }),
        b"~{3}\r\n\0ab"
    );
}

#[test]
fn pieces_stop_at_each_sync_literal() {
    let mut e = Encoder::new(EncodeOptions::client());
    let a = AString::try_from("a\r\n").unwrap();
    let b = AString::try_from("b\r\n").unwrap();
    e.tag(&Tag::try_from("A1").unwrap());
    e.sp().astring(&a).sp().astring(&b).crlf();
    let out = e.finish();
    let pieces: Vec<_> = out.pieces().map(|p| p.to_vec()).collect();
    assert_eq!(
        pieces,
        vec![
            b"A1 {3}\r\n".to_vec(),
            b"a\r\n {3}\r\n".to_vec(),
            b"b\r\n\r\n".to_vec()
        ]
    );
}

#[test]
fn item_26_modified_utf7_names() {
    for (wire, text) in [
        ("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "Отправленные"),
        ("Tom &- Jerry", "Tom & Jerry"),
        (
            "[Gmail]/G&APY-nderilmi&AV8- Postalar",
            "[Gmail]/Gönderilmiş Postalar",
        ),
    ] {
        let m = Mailbox::try_from(wire).unwrap();
        assert_eq!(m.to_utf8().unwrap(), text);
        // Decode and re-encode byte-identically (SELECT sends the same bytes back).
        let again = Mailbox::from_utf8(&m.to_utf8().unwrap()).unwrap();
        assert_eq!(again.as_bytes(), wire.as_bytes());
        assert_eq!(again, m);
        assert!(is_canonical_utf7(wire.as_bytes()));
    }
    // Non-canonical forms are refused.
    for wire in ["&AGE-", "&", "&AOk", "&AOl-", "&AOk-&AOk-", "&2D0-", "&-&"] {
        assert!(decode_utf7(wire.as_bytes()).is_err(), "{wire}");
        assert!(
            Mailbox::try_from(wire).unwrap().to_utf8().is_err(),
            "{wire}"
        );
    }
    assert_eq!(decode_utf7(b"&-&-").unwrap(), "&&");
    assert_eq!(encode_utf7("~/&"), "~/&-");
    // Raw UTF-8 (UTF8=ACCEPT) passes through untouched.
    let raw = Mailbox::from_utf8_raw("Gönderilmiş").unwrap();
    assert_eq!(raw.as_bytes(), "Gönderilmiş".as_bytes());
    assert_eq!(raw.to_utf8().unwrap(), "Gönderilmiş");
    let quoted = encode(EncodeOptions::client().with_utf8(true), |e| {
        e.mailbox(&raw);
    });
    assert_eq!(quoted, "\"Gönderilmiş\"".as_bytes());
}

#[test]
fn inbox_is_case_insensitive() {
    for s in ["INBOX", "inbox", "InBoX", "iNbOx"] {
        assert_eq!(Mailbox::try_from(s).unwrap(), Mailbox::Inbox);
        assert_eq!(Mailbox::from_utf8(s).unwrap(), Mailbox::Inbox);
    }
    assert_eq!(
        encode(EncodeOptions::client(), |e| {
            e.mailbox(&Mailbox::Inbox);
        }),
        b"INBOX"
    );
    let other = Mailbox::try_from("INBOX/Sub").unwrap();
    assert!(!other.is_inbox());
    // A folder literally named NIL is quoted so no reader takes it for nil (item 7).
    let nil = Mailbox::try_from("NIL").unwrap();
    assert_eq!(
        encode(EncodeOptions::server(), |e| {
            e.mailbox(&nil);
        }),
        b"\"NIL\""
    );
}

#[test]
fn sequence_sets() {
    let s = SequenceSet::try_from("1:3,5,*:7,9").unwrap();
    assert_eq!(
        s.ranges(),
        &[
            SeqRange::Range(
                SeqBound::Value(NonZeroU32::new(1).unwrap()),
                SeqBound::Value(NonZeroU32::new(3).unwrap())
            ),
            SeqRange::Single(SeqBound::Value(NonZeroU32::new(5).unwrap())),
            SeqRange::Range(SeqBound::Last, SeqBound::Value(NonZeroU32::new(7).unwrap())),
            SeqRange::Single(SeqBound::Value(NonZeroU32::new(9).unwrap())),
        ]
    );
    assert_eq!(s.to_string(), "1:3,5,*:7,9");
    assert!(s.contains(8, 10) && s.contains(2, 10) && !s.contains(4, 10));
    assert_eq!(s.iter(8).collect::<Vec<_>>(), vec![1, 2, 3, 5, 7, 8, 9]);
    for bad in [
        "",
        "0",
        "1:0",
        "4294967296",
        "1,,2",
        "1:",
        ":1",
        "1 2",
        "-1",
        "$",
        "1,$",
        "*:*:*",
    ] {
        assert!(SequenceSet::try_from(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        SequenceSet::try_from("4294967295").unwrap().to_string(),
        "4294967295"
    );
    assert_eq!(SeqSetOrSaved::try_from("$").unwrap(), SeqSetOrSaved::Saved);
    assert!(SequenceSet::new(vec![]).is_err());
    assert!(SeqBound::try_from(0).is_err());
    // `*` is never made into a number.
    assert_eq!(SequenceSet::all().to_string(), "1:*");
}

#[test]
fn flags() {
    assert_eq!(Flag::try_from("\\Deleted").unwrap(), Flag::Deleted);
    assert_eq!(
        Flag::try_from("\\deleted").unwrap().to_string(),
        "\\Deleted"
    );
    let mut e = Encoder::new(EncodeOptions::server());
    e.flag_list(&[Flag::Seen, Flag::keyword("$Forwarded").unwrap()]);
    assert_eq!(e.finish().as_bytes(), b"(\\Seen $Forwarded)");
}

#[test]
fn dates() {
    let d = DateTime::try_from(" 1-Feb-2024 09:05:00 +0100").unwrap();
    assert_eq!(
        (d.date().day(), d.date().month(), d.date().year()),
        (1, 2, 2024)
    );
    assert_eq!(d.zone_minutes(), 60);
    assert_eq!(
        encode(EncodeOptions::client(), |e| {
            e.date_time(&d);
        }),
        b"\" 1-Feb-2024 09:05:00 +0100\""
    );
    assert_eq!(
        DateTime::try_from("\"01-feb-2024 09:05:00 +0100\"").unwrap(),
        d
    );
    for bad in [
        "29-Feb-2023 00:00:00 +0000",
        "31-Apr-2024 00:00:00 +0000",
        "00-Jan-2024 00:00:00 +0000",
        "01-Foo-2024 00:00:00 +0000",
        "01-Jan-2024 24:00:00 +0000",
        "01-Jan-2024 00:60:00 +0000",
        "01-Jan-2024 00:00:61 +0000",
        "01-Jan-2024 00:00:00 +0075",
        "01-Jan-2024 00:00:00 0000",
        "1-Jan-2024 00:00:00 +0000",
        "01-Jan-24 00:00:00 +0000",
    ] {
        assert!(DateTime::try_from(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Date::try_from("1-Jan-2024").unwrap(),
        Date::new(2024, 1, 1).unwrap()
    );
    assert_eq!(
        Date::try_from("\"29-Feb-2024\"").unwrap().to_string(),
        "29-Feb-2024"
    );
    assert!(Date::try_from("29-Feb-2023").is_err());
    assert_eq!(
        DateTime::try_from("01-Jan-1970 00:00:00 +0000")
            .unwrap()
            .unix_timestamp(),
        0
    );
    assert_eq!(
        DateTime::try_from("17-Jul-1996 02:44:25 -0700")
            .unwrap()
            .unix_timestamp(),
        837_596_665
    );
}
