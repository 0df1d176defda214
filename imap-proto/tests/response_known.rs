//! Known-answer tests for responses: the parse matrix of imap-anchors §1a, the tricky inputs
//! of §6.2 that concern responses, the RFC 3501 §8 and RFC 9051 §8 server lines, and the
//! IMAP client-side cases of security-anchors §8.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use bytes::Bytes;
use imap_proto::command::DecodeOptions;
use imap_proto::response::*;
use imap_proto::types::{Flag, FlagFetch, FlagPerm, Mailbox, NString};
use imap_proto::{ParseError, ParseErrorKind, Parsed};

fn decode(input: &[u8], options: &DecodeOptions) -> Result<Response, ParseError> {
    match Response::decode_with(input, options)? {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, input.len(), "consumed all of {input:?}");
            Ok(value)
        }
        Parsed::Incomplete => panic!("incomplete: {:?}", String::from_utf8_lossy(input)),
    }
}

fn strict(input: &[u8]) -> Result<Response, ParseError> {
    decode(input, &DecodeOptions::strict())
}

fn lenient(input: &[u8]) -> Result<Response, ParseError> {
    decode(input, &DecodeOptions::lenient())
}

/// Parses in both modes, asserts both agree, re-encodes and parses back.
fn both(input: &[u8]) -> Response {
    let s = strict(input)
        .unwrap_or_else(|e| panic!("strict {:?}: {e}", String::from_utf8_lossy(input)));
    let l = lenient(input).unwrap();
    assert_eq!(s, l);
    roundtrip(&s);
    s
}

/// Only lenient mode accepts it.
fn lenient_only(input: &[u8]) -> Response {
    assert!(
        strict(input).is_err(),
        "strict accepted {:?}",
        String::from_utf8_lossy(input)
    );
    lenient(input).unwrap_or_else(|e| panic!("lenient {:?}: {e}", String::from_utf8_lossy(input)))
}

fn roundtrip(r: &Response) {
    let bytes = r.encoded().into_bytes();
    let back = strict(&bytes)
        .unwrap_or_else(|e| panic!("re-decode {:?}: {e}", String::from_utf8_lossy(&bytes)));
    assert_eq!(&back, r, "{:?}", String::from_utf8_lossy(&bytes));
}

fn fetch(r: Response) -> Fetch {
    match r {
        Response::Data(Data::Fetch(f)) => f,
        other => panic!("not a FETCH: {other:?}"),
    }
}

fn s(v: &str) -> imap_proto::types::IString {
    imap_proto::types::IString::try_from(v).unwrap()
}

fn ns(v: &str) -> NString {
    NString(Some(s(v)))
}

// ---- §1a parse matrix -------------------------------------------------------------------

#[test]
fn capability_rev2_only() {
    // §6.2 item 1: imap-proto rejects a CAPABILITY without IMAP4rev1.
    let r = both(b"* CAPABILITY IMAP4rev2 IDLE\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Capability(vec![
            Capability::Imap4Rev2,
            Capability::Idle
        ]))
    );
}

#[test]
fn capability_trailing_space() {
    let r = lenient_only(b"* CAPABILITY IMAP4rev1 IDLE \r\n");
    assert_eq!(
        r,
        Response::Data(Data::Capability(vec![
            Capability::Imap4Rev1,
            Capability::Idle
        ]))
    );
}

#[test]
fn capability_typed() {
    let r = both(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN auth=xoauth2 LOGINDISABLED STARTTLS LITERAL+ LITERAL- SASL-IR ENABLE CONDSTORE QRESYNC UIDPLUS MOVE APPENDLIMIT=35651584 THREAD=REFERENCES COMPRESS=DEFLATE X-GM-EXT-1 XYZZY\r\n");
    let Response::Data(Data::Capability(caps)) = r else {
        panic!()
    };
    assert_eq!(caps.len(), 18);
    assert!(matches!(&caps[1], Capability::Auth(a) if a.as_bytes() == b"PLAIN"));
    assert!(matches!(&caps[2], Capability::Auth(a) if a.as_bytes() == b"xoauth2"));
    assert_eq!(caps[13], Capability::AppendLimit(Some(35651584)));
    assert!(matches!(&caps[17], Capability::Other(a) if a.as_bytes() == b"XYZZY"));
}

#[test]
fn list_nil_delimiter() {
    // §6.2 item 6.
    let r = both(b"* LIST (\\NoInferiors) NIL \"INBOX\"\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.delimiter, None);
    assert_eq!(l.mailbox, Mailbox::Inbox);
    assert_eq!(l.attributes, vec![ListAttribute::NoInferiors]);
}

#[test]
fn list_literal_mailbox() {
    // §6.2 item 8.
    let r = both(b"* LIST () \"/\" {7}\r\nfoo bar\r\n");
    let Response::Data(Data::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.mailbox.as_bytes(), b"foo bar");
    assert_eq!(l.delimiter, Some('/'));
}

#[test]
fn list_mailbox_named_nil_or_number() {
    // §6.2 item 7: MailKit #482.
    let Response::Data(Data::List(l)) = both(b"* LIST (\\HasNoChildren) \"/\" NIL\r\n") else {
        panic!()
    };
    assert_eq!(l.mailbox.as_bytes(), b"NIL");
    let Response::Data(Data::List(l)) = both(b"* LIST () \"/\" 200\r\n") else {
        panic!()
    };
    assert_eq!(l.mailbox.as_bytes(), b"200");
}

#[test]
fn list_special_use_and_extended() {
    let Response::Data(Data::List(l)) = both(
        b"* LIST (\\Sent \\HasNoChildren \\Subscribed \\X-Custom) \".\" \"Sent\" (CHILDINFO (\"SUBSCRIBED\") OLDNAME (\"Old\"))\r\n",
    ) else {
        panic!()
    };
    assert_eq!(l.attributes[0], ListAttribute::Sent);
    assert!(matches!(&l.attributes[3], ListAttribute::Extension(a) if a.as_bytes() == b"X-Custom"));
    assert_eq!(l.extended.len(), 2);
    assert!(matches!(&l.extended[1], ListExtendedItem::OldName(m) if m.as_bytes() == b"Old"));
}

#[test]
fn list_modified_utf7() {
    // §6.2 item 26.
    both(b"* LIST () \"/\" \"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-\"\r\n");
    both(b"* LIST () \"/\" \"Tom &- Jerry\"\r\n");
    both(b"* LIST () \"/\" \"[Gmail]/G&APY-nderilmi&AV8- Postalar\"\r\n");
    lenient_only(b"* LIST () \"/\" \"&AGE-\"\r\n");
}

#[test]
fn fetch_trailing_space_qq() {
    // §6.2 item 4 (qq.com, jakartaee/mail-api #209).
    let f = fetch(lenient_only(b"* 1 FETCH (UID 19436 )\r\n"));
    assert_eq!(f.items, vec![FetchItem::Uid(19436)]);
}

#[test]
fn flags_trailing_space_surgemail() {
    let r = lenient_only(b"* FLAGS (\\Answered \\Seen $Forwarded )\r\n");
    let Response::Data(Data::Flags(flags)) = r else {
        panic!()
    };
    assert_eq!(flags.len(), 3);
    assert_eq!(flags[0], Flag::Answered);
}

#[test]
fn status_code_without_text_gmail() {
    // §6.2 item 2.
    let r = lenient_only(b"* OK [HIGHESTMODSEQ 13632]\r\n");
    let Response::Status(st) = r else { panic!() };
    assert_eq!(st.code, Some(Code::HighestModSeq(13632)));
    assert!(st.text.is_empty());
    // The encoder always writes a text.
    let out = Response::Status(st).encoded().into_bytes();
    assert_eq!(&out[..], b"* OK [HIGHESTMODSEQ 13632] completed\r\n");
    let r = lenient_only(b"A1 OK\r\n");
    let Response::Status(st) = r else { panic!() };
    assert_eq!(st.tag().unwrap().as_bytes(), b"A1");
}

#[test]
fn rev2_empty_text_is_strict() {
    // RFC 9051: resp-text = ["[" resp-text-code "]" SP] [text].
    let r = strict(b"A1 OK \r\n").unwrap();
    let Response::Status(st) = r else { panic!() };
    assert!(st.text.is_empty());
}

#[test]
fn bare_continuation() {
    // §6.2 item 3.
    let r = lenient_only(b"+\r\n");
    assert!(matches!(r, Response::Continuation(c) if c.text.is_empty()));
    let r = both(b"+ \r\n");
    assert!(matches!(r, Response::Continuation(c) if c.text.is_empty()));
    let r = both(b"+ Ready for literal data\r\n");
    assert!(
        matches!(r, Response::Continuation(c) if c.text.as_bytes() == b"Ready for literal data")
    );
    let r = both(b"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n");
    assert!(matches!(r, Response::Continuation(_)));
}

#[test]
fn search_trailing_space() {
    let r = lenient_only(b"* SEARCH 1 2 \r\n");
    assert_eq!(
        r,
        Response::Data(Data::Search {
            numbers: vec![1, 2],
            modseq: None
        })
    );
    let r = lenient_only(b"* SEARCH 28219 29170 \r\n");
    assert_eq!(
        r,
        Response::Data(Data::Search {
            numbers: vec![28219, 29170],
            modseq: None
        })
    );
    both(b"* SEARCH\r\n");
    let r = both(b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n");
    assert!(matches!(
        r,
        Response::Data(Data::Search {
            modseq: Some(917162500),
            ..
        })
    ));
}

#[test]
fn esearch_correct_and_broken() {
    // §6.2 item 16.
    let r = both(b"* ESEARCH (TAG \"A1\") UID ALL 1:3,5 MODSEQ 9\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    assert_eq!(e.tag.as_ref().unwrap().as_bytes(), b"A1");
    assert!(e.uid);
    assert_eq!(e.items.len(), 2);
    assert_eq!(e.items[1], ESearchItem::ModSeq(9));
    let r = lenient_only(b"* ESEARCH (TAG \"A1\") UID ALL 1:3,5 MODSEQ (9)\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    assert_eq!(e.items[1], ESearchItem::ModSeq(9));
    let r = both(b"* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800 COUNT 15\r\n");
    let Response::Data(Data::ESearch(e)) = r else {
        panic!()
    };
    assert_eq!(
        e.items,
        vec![
            ESearchItem::Min(7),
            ESearchItem::Max(3800),
            ESearchItem::Count(15)
        ]
    );
    both(b"* ESEARCH (TAG \"A284\")\r\n");
}

#[test]
fn bodystructure_nil_param_value_mailru() {
    // §6.2 item 9: strict rejects only that FETCH item.
    let line = b"* 1 FETCH (UID 5 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" NIL) NIL NIL))\r\n";
    let f = fetch(strict(line).unwrap());
    assert_eq!(f.items[0], FetchItem::Uid(5));
    assert!(matches!(&f.items[1], FetchItem::Invalid(inv) if &inv.name[..] == b"BODYSTRUCTURE"));
    let f = fetch(lenient(line).unwrap());
    let FetchItem::BodyStructure(b) = &f.items[1] else {
        panic!("{:?}", f.items[1])
    };
    let BodyStructure::Multipart {
        parts, extension, ..
    } = &**b
    else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(extension.params[0].1, s(""));
}

#[test]
fn bodystructure_nil_encoding() {
    let line = b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL NIL 10 1))\r\n";
    let f = fetch(strict(line).unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    let f = fetch(lenient(line).unwrap());
    let FetchItem::BodyStructure(b) = &f.items[0] else {
        panic!()
    };
    let BodyStructure::Single { fields, .. } = &**b else {
        panic!()
    };
    assert!(fields.encoding.is_empty());
}

#[test]
fn namespace_nil_delimiter() {
    // §6.2 item 6 (Yahoo Japan): imap-proto fails.
    let r = both(b"* NAMESPACE ((\"\" NIL)) NIL NIL\r\n");
    let Response::Data(Data::Namespace(ns)) = r else {
        panic!()
    };
    assert_eq!(ns.personal.len(), 1);
    assert_eq!(ns.personal[0].delimiter, None);
    assert!(ns.other.is_empty());
    both(b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n");
    both(b"* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n");
}

#[test]
fn outlook_quoted_code() {
    // §6.2 item 14 (ruby/net-imap #597).
    let r = both(b"A1 OK [Error=\"Cross Server access ... [x] y\" Proxy=host:1993:SSL Service=Imap4] AUTHENTICATE completed.\r\n");
    let Response::Status(st) = r else { panic!() };
    let Some(Code::Other(c)) = &st.code else {
        panic!("{:?}", st.code)
    };
    assert_eq!(c.name(), b"Error=");
    assert_eq!(
        c.as_bytes(),
        &b"Error=\"Cross Server access ... [x] y\" Proxy=host:1993:SSL Service=Imap4"[..]
    );
    assert_eq!(st.text.as_bytes(), b"AUTHENTICATE completed.");
    both(b"A1 OK [Error=\"x y\" Proxy=a:1:SSL] done\r\n");
}

#[test]
fn bare_lf_is_rejected_strict() {
    assert!(strict(b"* 3 EXISTS\n").is_err());
    assert_eq!(
        lenient(b"* 3 EXISTS\n").unwrap(),
        Response::Data(Data::Exists(3))
    );
}

#[test]
fn gmail_labels() {
    let f = fetch(both(
        b"* 1 FETCH (X-GM-LABELS (\"\\\\Inbox\" \"\\\\Sent\" Important \"Muy Importante\"))\r\n",
    ));
    let FetchItem::GmLabels(l) = &f.items[0] else {
        panic!()
    };
    assert_eq!(l[0].as_bytes(), b"\\Inbox");
    assert_eq!(l[2].as_bytes(), b"Important");
    let f = fetch(both(b"* 1 FETCH (X-GM-LABELS (\\Inbox \\Important) X-GM-MSGID 1278455344230334865 X-GM-THRID 1266894439832287888)\r\n"));
    let FetchItem::GmLabels(l) = &f.items[0] else {
        panic!()
    };
    assert_eq!(l[0].as_bytes(), b"\\Inbox");
    assert_eq!(f.items[1], FetchItem::GmMsgId(1278455344230334865));
}

#[test]
fn literal8_with_nul() {
    // §6.2 item 20.
    let f = fetch(both(b"* 1 FETCH (BINARY[1] ~{3}\r\n\x00ab)\r\n"));
    let FetchItem::Binary { section, data, .. } = &f.items[0] else {
        panic!()
    };
    assert_eq!(section, &vec![1]);
    assert_eq!(data.data().unwrap().as_bytes(), b"\x00ab");
    // A NUL in a plain literal: rejected in strict mode (the item only), reported in lenient.
    let f = fetch(strict(b"* 1 FETCH (BODY[] {3}\r\n\x00ab UID 4)\r\n").unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    assert_eq!(f.items[1], FetchItem::Uid(4));
    let f = fetch(strict(b"* 1 FETCH (BINARY[1] {3}\r\n\x00ab)\r\n").unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    let f = fetch(lenient(b"* 1 FETCH (BINARY[1] {3}\r\n\x00ab)\r\n").unwrap());
    assert!(matches!(&f.items[0], FetchItem::Binary { .. }));
    both(b"* 1 FETCH (BINARY.SIZE[1.2] 42 BINARY[] NIL)\r\n");
}

#[test]
fn status_trailing_space_and_empty() {
    let r = lenient_only(b"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 )\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Status {
            mailbox: Mailbox::Inbox,
            items: vec![StatusItem::Messages(1), StatusItem::UidNext(2)]
        })
    );
    lenient_only(b"* STATUS INBOX (MESSAGES 1 )\r\n");
    both(b"* STATUS blurdybloop ()\r\n");
    let r = both(b"* STATUS \"Sent\" (MESSAGES 231 UIDNEXT 44292 SIZE 9999999999 HIGHESTMODSEQ 7011231777 APPENDLIMIT NIL MAILBOXID (F2212ea87-6097-4256-9d51-71338625) DELETED 3 UNSEEN 0 UIDVALIDITY 1 RECENT 0 X-FOO 5)\r\n");
    let Response::Data(Data::Status { items, .. }) = r else {
        panic!()
    };
    assert_eq!(items.len(), 11);
}

#[test]
fn negative_rfc822_size() {
    // §6.2 item 30.
    let f = fetch(strict(b"* 1 FETCH (RFC822.SIZE -1)\r\n").unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    let f = fetch(lenient(b"* 1 FETCH (RFC822.SIZE -1)\r\n").unwrap());
    assert_eq!(f.items[0], FetchItem::Rfc822Size(0));
}

#[test]
fn numbers_at_the_edges() {
    // §6.2 item 30.
    let r = strict(b"* OK [UIDVALIDITY 0] x\r\n").unwrap();
    // Strict: a protocol violation kept as an unknown code, not a failure of the session.
    assert!(matches!(
        r,
        Response::Status(Status {
            code: Some(Code::Other(_)),
            ..
        })
    ));
    let r = lenient(b"* OK [UIDVALIDITY 0] x\r\n").unwrap();
    assert!(matches!(
        r,
        Response::Status(Status {
            code: Some(Code::UidValidity(0)),
            ..
        })
    ));
    let f = fetch(both(b"* 1 FETCH (MODSEQ (18446744073709551615))\r\n"));
    assert_eq!(f.items[0], FetchItem::ModSeq(u64::MAX));
    assert!(strict(b"* 4294967296 EXISTS\r\n").is_err());
    assert_eq!(
        lenient(b"* 4294967296 EXISTS\r\n").unwrap(),
        Response::Data(Data::Exists(u32::MAX))
    );
}

#[test]
fn emailid_objectid() {
    let f = fetch(both(
        b"* 1 FETCH (EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9) SAVEDATE NIL)\r\n",
    ));
    assert!(matches!(&f.items[0], FetchItem::EmailId(id) if id.as_bytes() == b"M6d99ac3275bb4e"));
    assert!(matches!(&f.items[1], FetchItem::ThreadId(Some(_))));
    assert_eq!(f.items[2], FetchItem::SaveDate(None));
    both(b"* 1 FETCH (THREADID NIL SAVEDATE \"01-Jan-2024 10:00:00 +0100\" PREVIEW \"Hello there\")\r\n");
}

#[test]
fn double_space() {
    // §6.2 item 5.
    let f = fetch(lenient_only(b"* 1 FETCH (UID 1  FLAGS ())\r\n"));
    assert_eq!(f.items, vec![FetchItem::Uid(1), FetchItem::Flags(vec![])]);
}

// ---- RFC 3501 §8 / RFC 9051 §8 ----------------------------------------------------------

const RFC3501_FETCH_FULL: &[u8] = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";

#[test]
fn rfc3501_section8_full() {
    // §6.2 item 12: the non-extensible BODY form (imap-proto fails it).
    let f = fetch(both(RFC3501_FETCH_FULL));
    assert_eq!(f.seq, 12);
    assert_eq!(f.items.len(), 5);
    assert_eq!(
        f.items[0],
        FetchItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])
    );
    assert_eq!(f.items[2], FetchItem::Rfc822Size(4286));
    let FetchItem::Envelope(e) = &f.items[3] else {
        panic!()
    };
    assert_eq!(e.subject, ns("IMAP4rev1 WG mtg summary and minutes"));
    assert_eq!(e.cc.len(), 2);
    assert_eq!(e.cc[1].mailbox, ns("KLENSIN"));
    assert!(e.bcc.is_empty());
    let FetchItem::Body(b) = &f.items[4] else {
        panic!()
    };
    let BodyStructure::Single { kind, fields, .. } = &**b else {
        panic!()
    };
    assert_eq!(
        kind,
        &SingleKind::Text {
            subtype: s("PLAIN"),
            lines: 92
        }
    );
    assert_eq!(fields.octets, 3028);
}

#[test]
fn rfc3501_section8_server_lines() {
    for line in [
        &b"* OK IMAP4rev1 Service Ready\r\n"[..],
        b"a001 OK LOGIN completed\r\n",
        b"* 18 EXISTS\r\n",
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        b"* 2 RECENT\r\n",
        b"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        b"a002 OK [READ-WRITE] SELECT completed\r\n",
        b"* 12 FETCH (BODY[HEADER] {342}\r\nDate: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n)\r\n",
        b"a004 OK FETCH completed\r\n",
        b"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        b"a005 OK +FLAGS completed\r\n",
        b"* BYE IMAP4rev1 server terminating connection\r\n",
        b"a006 OK LOGOUT completed\r\n",
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        b"* LIST (\\Noselect) \"/\" \"\"\r\n",
        b"* LSUB () \".\" #news.comp.mail.misc\r\n",
        b"* NO [ALERT] System shutdown in 10 minutes\r\n",
        b"A044 BAD No such command as \"BLURDYBLOOP\"\r\n",
        b"* 22 EXPUNGE\r\n",
        b"* 14 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n",
        b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
        b"A003 NO [TRYCREATE] Mailbox doesn't exist\r\n",
    ] {
        both(line);
    }
    let r = both(b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");
    let Response::Status(st) = r else { panic!() };
    assert_eq!(
        st.code,
        Some(Code::PermanentFlags(vec![
            FlagPerm::Flag(Flag::Deleted),
            FlagPerm::Flag(Flag::Seen),
            FlagPerm::Any
        ]))
    );
}

#[test]
fn rfc9051_section8_server_lines() {
    for line in [
        &b"* OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] IMAP4rev2 Service Ready\r\n"[..],
        b"a002 OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] completed\r\n",
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
        b"* LIST () \"/\" INBOX\r\n",
        b"* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok\r\n",
        b"a003 OK [READ-WRITE] SELECT completed\r\n",
        b"* ESEARCH (TAG \"a006\") UID ALL 4392:4394\r\n",
        b"* 12 FETCH (FLAGS (\\Seen) UID 4827313 BINARY.SIZE[1] 1234)\r\n",
        b"* 3 FETCH (BINARY[1] NIL)\r\n",
        b"A OK [CLOSED] x\r\n",
        b"* LIST (\\Marked \\NoInferiors) \"/\" \"inbox\"\r\n",
        b"* OK [HASCHILDREN] x\r\n",
        b"* NO [ALREADYEXISTS] Mailbox already exists\r\n",
        b"* ENABLED CONDSTORE QRESYNC\r\n",
        b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
        b"* VANISHED 405,407,410,425\r\n",
        b"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
        b"* OK [NOMODSEQ] Sorry\r\n",
        b"d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
        b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
        b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        b"A005 NO [UIDNOTSTICKY] Non-persistent UIDs\r\n",
        b"* QUOTA \"\" (STORAGE 10 512)\r\n",
        b"* QUOTAROOT INBOX \"\"\r\n",
        b"* QUOTAROOT comp.mail.mime\r\n",
        b"* METADATA \"\" (/shared/comment \"My comment\")\r\n",
        b"* METADATA INBOX /shared/comment /private/comment\r\n",
        b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
        b"* ID NIL\r\n",
        b"* SORT 2 3 6\r\n",
        b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n",
        b"* THREAD ((3)(5))\r\n",
        b"* NO [OVERQUOTA] Sorry\r\n",
        b"a1 NO [TOOBIG] too big\r\n",
        b"* BAD [CLIENTBUG] x\r\n",
        b"A1 NO [BADCHARSET (UTF-8 US-ASCII)] charset\r\n",
        b"A1 OK [METADATA LONGENTRIES 2199] done\r\n",
        b"* 1 FETCH (BODY[HEADER.FIELDS (From To)]<0> {5}\r\nabcde)\r\n",
        b"* 1 FETCH (BODY[1.2.MIME] NIL BODY[2.TEXT] \"x\" RFC822.HEADER \"h\" RFC822.TEXT NIL RFC822 {0}\r\n)\r\n",
    ] {
        both(line);
    }
    let Response::Data(Data::Thread(t)) = both(b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n") else {
        panic!()
    };
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].members, vec![3, 6]);
    assert_eq!(t[1].children.len(), 2);
}

// ---- §6.2 response items ------------------------------------------------------------

#[test]
fn envelope_groups_and_odd_addresses() {
    // §6.2 item 13.
    let f = fetch(both(b"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL ((\"Calendar <x@google.com>\" NIL \"Google\" NIL)) NIL NIL NIL NIL))\r\n"));
    let FetchItem::Envelope(e) = &f.items[0] else {
        panic!()
    };
    assert!(e.from[0].is_group_start());
    assert!(e.from[1].is_group_end());
    assert_eq!(e.to[0].name, ns("Calendar <x@google.com>"));
}

#[test]
fn unescaped_quotes_item_recovery() {
    // §6.2 item 10 (go-imap #659): the broken BODYSTRUCTURE becomes Invalid, the rest arrives.
    let line = b"* 7 FETCH (UID 42 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL \"\"\"\" \"7bit\" 5 1 NIL NIL NIL) FLAGS (\\Seen) BODY[] {5}\r\nhello)\r\n";
    for r in [strict(line).unwrap(), lenient(line).unwrap()] {
        let f = fetch(r);
        assert_eq!(f.items.len(), 4);
        assert_eq!(f.items[0], FetchItem::Uid(42));
        let FetchItem::Invalid(inv) = &f.items[1] else {
            panic!("{:?}", f.items[1])
        };
        assert_eq!(&inv.name[..], b"BODYSTRUCTURE");
        assert!(inv.raw.starts_with(b"(\"text\""));
        assert!(inv.raw.ends_with(b"NIL)"));
        assert_eq!(
            f.items[2],
            FetchItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])
        );
        assert!(
            matches!(&f.items[3], FetchItem::BodySection { data: Payload::Data(d), .. } if d.as_bytes() == b"hello")
        );
        // An invalid item re-encodes verbatim.
        let again = fetch(
            strict(
                &Response::Data(Data::Fetch(f.clone()))
                    .encoded()
                    .into_bytes(),
            )
            .unwrap(),
        );
        assert_eq!(again, f);
    }
    // A broken ENVELOPE too.
    let f = fetch(strict(b"* 1 FETCH (ENVELOPE (NIL \"s\" x) UID 3)\r\n").unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    assert_eq!(f.items[1], FetchItem::Uid(3));
}

#[test]
fn gmail_empty_multipart() {
    // §6.2 item 11 (MailKit #1841).
    let line = b"* 1 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 100 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"ALTERNATIVE\") 10))\r\n";
    let f = fetch(strict(line).unwrap());
    assert!(matches!(&f.items[0], FetchItem::Invalid(_)));
    let f = fetch(lenient(line).unwrap());
    let FetchItem::BodyStructure(b) = &f.items[0] else {
        panic!("{:?}", f.items[0])
    };
    let BodyStructure::Single {
        kind: SingleKind::Message { body, .. },
        ..
    } = &**b
    else {
        panic!()
    };
    assert!(
        matches!(&**body, BodyStructure::Multipart { parts, subtype, .. } if parts.is_empty() && subtype == &s("ALTERNATIVE"))
    );
    // It re-encodes as it came, and reads back in lenient mode.
    let again = enc(&Response::Data(Data::Fetch(f.clone())));
    assert!(again.contains("(\"ALTERNATIVE\") 10"), "{again}");
    assert_eq!(fetch(lenient(again.as_bytes()).unwrap()), f);
}

#[test]
fn empty_and_nil_literals() {
    // §6.2 item 17.
    let f = fetch(both(b"* 2 FETCH (BODY[] {0}\r\n)\r\n"));
    assert!(
        matches!(&f.items[0], FetchItem::BodySection { data: Payload::Data(d), .. } if d.is_empty())
    );
    let f = fetch(both(b"* 2 FETCH (BODY[] NIL)\r\n"));
    assert!(matches!(
        &f.items[0],
        FetchItem::BodySection {
            data: Payload::Nil,
            ..
        }
    ));
}

#[test]
fn literal_with_protocol_text() {
    // §6.2 item 18.
    let body = b"line\r\nA1 OK done\r\n)\r\n* BYE\r\n{99}\r\n";
    let mut line = format!("* 3 FETCH (BODY[] {{{}}}\r\n", body.len()).into_bytes();
    line.extend_from_slice(body);
    line.extend_from_slice(b")\r\n");
    let f = fetch(both(&line));
    assert!(
        matches!(&f.items[0], FetchItem::BodySection { data: Payload::Data(d), .. } if d.as_bytes() == body)
    );
    // Split at every offset: Incomplete until the whole unit is there.
    for cut in 0..line.len() {
        assert_eq!(
            Response::decode(&line[..cut]).unwrap(),
            Parsed::Incomplete,
            "cut {cut}"
        );
    }
}

#[test]
fn unsolicited_interleaved() {
    // §6.2 item 28.
    let mut input =
        b"* 3 EXPUNGE\r\n* 5 FETCH (FLAGS (\\Seen))\r\n* 7 EXISTS\r\nA6 OK done\r\n".to_vec();
    let mut out = Vec::new();
    while !input.is_empty() {
        let Parsed::Complete { value, consumed } = Response::decode(&input).unwrap() else {
            panic!()
        };
        out.push(value);
        input.drain(..consumed);
    }
    assert_eq!(out.len(), 4);
    assert_eq!(out[0], Response::Data(Data::Expunge(3)));
    assert!(matches!(&out[3], Response::Status(st) if st.tag().unwrap().as_bytes() == b"A6"));
}

#[test]
fn line_without_star_resynchronises() {
    // §6.2 item 15 (Exchange 2013, ruby/net-imap #250): an error for that line only.
    use imap_proto::frame::{Frame, FrameLimits, Framer};
    let mut framer = Framer::responses(FrameLimits::default());
    let mut buf = bytes::BytesMut::from(&b"[COPYUID 124 10 233]\r\nA1 OK done\r\n"[..]);
    let mut results = Vec::new();
    while let Some(frame) = framer.next_frame(&mut buf) {
        if let Frame::Unit(unit) = frame {
            results.push(Response::from_unit(&unit, &DecodeOptions::lenient()));
        }
    }
    assert_eq!(results.len(), 2);
    assert!(results[0].is_err());
    assert!(
        matches!(&results[1], Ok(Response::Status(st)) if st.tag().unwrap().as_bytes() == b"A1")
    );
}

// ---- security-anchors §8 (IMAP client input) ------------------------------------------

#[test]
fn huge_and_negative_literal_announcements() {
    // Item 41 (Thunderbird CVE-2026-4371): no reservation, an error.
    assert!(Response::decode(b"* 1 FETCH (BODY[] {18446744073709551615}\r\n").is_err());
    assert!(Response::decode(b"* 1 FETCH (BODY[] {18446744073709551616}\r\n").is_err());
    assert!(
        strict(b"* 1 FETCH (BODY[] {-1}\r\n)\r\n")
            .map(|r| fetch(r)
                .items
                .iter()
                .all(|i| matches!(i, FetchItem::Invalid(_))))
            .unwrap_or(true)
    );
}

#[test]
fn deep_bodystructure() {
    // Item 42: depth error at the limit, no stack overflow.
    let mut line = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    line.extend(std::iter::repeat_n(b'(', 100_000));
    line.extend_from_slice(b"\r\n");
    let mut opts = DecodeOptions::strict();
    opts.limits.unit = 1 << 20;
    opts.limits.line = 1 << 20;
    assert!(Response::decode_with(&line, &opts).is_err());
    // Eight levels of nesting are fine, nine are not.
    let part = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
    let nested = |n: usize| {
        let mut b = part.to_string();
        for _ in 1..n {
            b = format!("({b} \"mixed\")");
        }
        format!("* 1 FETCH (BODYSTRUCTURE {b})\r\n").into_bytes()
    };
    assert!(matches!(
        &fetch(strict(&nested(8)).unwrap()).items[0],
        FetchItem::BodyStructure(_)
    ));
    assert!(
        matches!(&fetch(strict(&nested(9)).unwrap()).items[0], FetchItem::Invalid(inv) if inv.error.kind == ParseErrorKind::TooDeep { limit: 8 })
    );
    let mut thread = b"* THREAD ".to_vec();
    for _ in 0..100_000 {
        thread.extend_from_slice(b"(1 ");
    }
    thread.extend_from_slice(b"\r\n");
    assert!(Response::decode_with(&thread, &opts).is_err());
}

#[test]
fn non_sync_literal_in_response_is_an_error() {
    // Item 43: the `+` form is for client commands only.
    let r = strict(b"* 1 FETCH (BODY[] {5+}\r\nhello)\r\n");
    // The whole response is not silently accepted as a body.
    if let Ok(r) = r {
        assert!(
            fetch(r)
                .items
                .iter()
                .all(|i| !matches!(i, FetchItem::BodySection { .. }))
        );
    }
}

#[test]
fn malformed_id() {
    // Item 45 (CVE-2026-92240 class).
    for line in [&b"* ID (\r\n"[..], b"* ID (\"a\")\r\n", b"* ID NIL x\r\n"] {
        assert!(strict(line).is_err(), "{line:?}");
        assert!(lenient(line).is_err(), "{line:?}");
    }
}

// ---- other ---------------------------------------------------------------------------

#[test]
fn greetings() {
    use imap_proto::response::{Greeting, GreetingKind};
    let Parsed::Complete { value, .. } =
        Greeting::decode(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] Dovecot ready.\r\n").unwrap()
    else {
        panic!()
    };
    assert_eq!(value.kind, GreetingKind::Ok);
    assert!(matches!(value.code, Some(Code::Capability(ref c)) if c.len() == 2));
    let Parsed::Complete { value, .. } = Greeting::decode(b"* PREAUTH ready\r\n").unwrap() else {
        panic!()
    };
    assert_eq!(value.kind, GreetingKind::PreAuth);
    let Parsed::Complete { value, .. } = Greeting::decode(b"* BYE go away\r\n").unwrap() else {
        panic!()
    };
    assert_eq!(value.kind, GreetingKind::Bye);
    assert!(Greeting::decode(b"* NO nope\r\n").is_err());
    assert!(Greeting::decode(b"A1 OK nope\r\n").is_err());
    assert_eq!(Greeting::decode(b"* OK rea").unwrap(), Parsed::Incomplete);
    let out = value.encoded().into_bytes();
    assert_eq!(&out[..], b"* BYE go away\r\n");
}

#[test]
fn unknown_untagged_and_items_are_token_trees() {
    let r = both(b"* XSTUFF a \"b c\" (1 (2 NIL)) {3}\r\nxyz\r\n");
    let Response::Data(Data::Other {
        number: None,
        name,
        tokens,
    }) = r
    else {
        panic!()
    };
    assert_eq!(name.as_bytes(), b"XSTUFF");
    assert_eq!(tokens.len(), 4);
    let r = both(b"* 5 XFOO bar\r\n");
    assert!(matches!(
        r,
        Response::Data(Data::Other {
            number: Some(5),
            ..
        })
    ));
    let f = fetch(both(
        b"* 1 FETCH (X-UNKNOWN (a b) X-SECTION[1 (A B)]<0> \"v\" UID 9)\r\n",
    ));
    assert!(
        matches!(&f.items[0], FetchItem::Other { name, value: Token::List(l) } if &name[..] == b"X-UNKNOWN" && l.len() == 2)
    );
    assert!(
        matches!(&f.items[1], FetchItem::Other { name, .. } if &name[..] == b"X-SECTION[1 (A B)]<0>")
    );
    assert_eq!(f.items[2], FetchItem::Uid(9));
    let Response::Data(Data::Enabled(caps)) = both(b"* ENABLED UTF8=ACCEPT\r\n") else {
        panic!()
    };
    assert_eq!(caps, vec![Capability::Utf8Accept]);
}

#[test]
fn bodystructure_full_multipart() {
    let line = b"* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 1315 42 NIL NIL NIL NIL)((\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 2345 50 NIL NIL NIL NIL)(\"IMAGE\" \"PNG\" (\"NAME\" \"a.png\") \"<id@x>\" \"logo\" \"BASE64\" 4000 NIL (\"INLINE\" (\"FILENAME\" \"a.png\")) NIL NIL) \"RELATED\" (\"BOUNDARY\" \"b2\") NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 9000 \"md5sum\" (\"ATTACHMENT\" (\"FILENAME\" \"x.pdf\")) (\"en\" \"de\") \"http://x\" 1 (2 \"three\")) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL \"en\" NIL))\r\n";
    let f = fetch(both(line));
    let FetchItem::BodyStructure(b) = &f.items[0] else {
        panic!()
    };
    let BodyStructure::Multipart {
        parts,
        subtype,
        extension,
    } = &**b
    else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(subtype, &s("MIXED"));
    assert_eq!(extension.tail.language, vec![s("en")]);
    let BodyStructure::Single { extension: pdf, .. } = &parts[2] else {
        panic!()
    };
    assert_eq!(pdf.md5, ns("md5sum"));
    assert_eq!(pdf.tail.language.len(), 2);
    assert_eq!(pdf.tail.extensions.len(), 2);
}

#[test]
fn message_rfc822_part() {
    let line = b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 2 1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (\"Mon, 1 Jan 2024 00:00:00 +0000\" \"inner\" NIL NIL NIL NIL NIL NIL NIL \"<a@b>\") (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 2 NIL NIL NIL NIL) 12 NIL NIL NIL NIL) \"mixed\"))\r\n";
    let f = fetch(both(line));
    let FetchItem::BodyStructure(b) = &f.items[0] else {
        panic!()
    };
    let BodyStructure::Multipart { parts, .. } = &**b else {
        panic!()
    };
    let BodyStructure::Single {
        kind: SingleKind::Message {
            envelope, lines, ..
        },
        ..
    } = &parts[1]
    else {
        panic!()
    };
    assert_eq!(envelope.subject, ns("inner"));
    assert_eq!(*lines, 12);
}

#[test]
fn zero_copy_from_bytes() {
    let unit = Bytes::from_static(b"* 1 FETCH (BODY[] {5}\r\nhello)\r\n");
    let r = Response::from_bytes(&unit, &DecodeOptions::strict()).unwrap();
    let f = fetch(r);
    let FetchItem::BodySection {
        data: Payload::Data(d),
        ..
    } = &f.items[0]
    else {
        panic!()
    };
    // The content shares the unit's buffer.
    assert_eq!(d.as_shared().as_ptr(), unit[23..].as_ptr());
}

// ---- framed input: streamed literals and chunk boundaries -------------------------------

/// Frames `input` fed in the given pieces and decodes every unit.
fn framed(pieces: &[&[u8]], threshold: u64) -> Vec<Result<Response, ParseError>> {
    use imap_proto::frame::{Frame, FrameLimits, Framer};
    let mut limits = FrameLimits::default();
    limits.literal_stream_threshold = threshold;
    let mut framer = Framer::responses(limits);
    let mut buf = bytes::BytesMut::new();
    let mut out = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = framer.next_frame(&mut buf) {
            if let Frame::Unit(unit) = frame {
                out.push(Response::from_unit(&unit, &DecodeOptions::strict()));
            }
        }
    }
    out
}

#[test]
fn streamed_literal_is_a_marker() {
    let input = b"* 4 FETCH (UID 9 BODY[] {10}\r\n0123456789 FLAGS (\\Seen))\r\n";
    let out = framed(&[input], 4);
    assert_eq!(out.len(), 1);
    let f = fetch(out[0].clone().unwrap());
    assert_eq!(f.items[0], FetchItem::Uid(9));
    assert!(matches!(
        &f.items[1],
        FetchItem::BodySection {
            data: Payload::Streamed { len: 10 },
            ..
        }
    ));
    assert_eq!(
        f.items[2],
        FetchItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])
    );
    // Below the threshold the data is in the unit.
    let f = fetch(framed(&[input], 1024)[0].clone().unwrap());
    assert!(
        matches!(&f.items[1], FetchItem::BodySection { data: Payload::Data(d), .. } if d.as_bytes() == b"0123456789")
    );
    // literal8 streams too.
    let out = framed(&[b"* 1 FETCH (BINARY[] ~{6}\r\n\x00\x01\x02abc)\r\n"], 2);
    let f = fetch(out[0].clone().unwrap());
    assert!(matches!(
        &f.items[0],
        FetchItem::Binary {
            data: Payload::Streamed { len: 6 },
            ..
        }
    ));
}

#[test]
fn chunk_boundaries_everywhere() {
    // §6.2 item 19: items 8, 17 and 18 split at every offset give the same responses.
    let body = b"line\r\nA1 OK done\r\n)\r\n* BYE\r\n{99}\r\n";
    let mut item18 = format!("* 3 FETCH (BODY[] {{{}}}\r\n", body.len()).into_bytes();
    item18.extend_from_slice(body);
    item18.extend_from_slice(b")\r\n");
    let mut input = b"* LIST () \"/\" {7}\r\nfoo bar\r\n* 2 FETCH (BODY[] {0}\r\n)\r\n".to_vec();
    input.extend_from_slice(&item18);
    input.extend_from_slice(b"A1 OK done\r\n");
    let whole: Vec<Response> = framed(&[&input], 1 << 20)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(whole.len(), 4);
    for cut in 1..input.len() {
        let (a, b) = input.split_at(cut);
        let split: Vec<Response> = framed(&[a, b], 1 << 20)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(split, whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let one_by_one: Vec<Response> = framed(&bytes, 1 << 20)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(one_by_one, whole);
}

// ---- encoder known answers ------------------------------------------------------------

fn enc(r: &Response) -> String {
    String::from_utf8(r.encoded().into_bytes().to_vec()).unwrap()
}

#[test]
fn encode_known_answers() {
    use imap_proto::types::Tag;
    let ok = Response::Status(Status {
        kind: StatusKind::Tagged(Tag::try_from("a1").unwrap(), Condition::Ok),
        code: Some(Code::CopyUid {
            uid_validity: 38505,
            source: "304,319:320".try_into().unwrap(),
            destination: "3956:3958".try_into().unwrap(),
        }),
        text: Text::try_from("Done").unwrap(),
    });
    assert_eq!(
        enc(&ok),
        "a1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"
    );
    // An empty text gets a placeholder; a text never starts with `[` without a code.
    let bye = Response::Status(Status {
        kind: StatusKind::Bye,
        code: None,
        text: Text::empty(),
    });
    assert_eq!(enc(&bye), "* BYE closing\r\n");
    assert!(Text::try_from("[ALERT] x").is_err());
    assert!(Text::try_from("a\r\nb").is_err());
    let cont = Response::Continuation(Continuation {
        code: None,
        text: Text::empty(),
    });
    assert_eq!(enc(&cont), "+ \r\n");
    // A mailbox named NIL is quoted, a NIL delimiter is NIL, a quote delimiter is escaped.
    let list = Response::Data(Data::List(MailboxList {
        attributes: vec![ListAttribute::HasNoChildren, ListAttribute::Sent],
        delimiter: None,
        mailbox: Mailbox::try_from("NIL").unwrap(),
        extended: vec![],
    }));
    assert_eq!(
        enc(&list),
        "* LIST (\\HasNoChildren \\Sent) NIL \"NIL\"\r\n"
    );
    let list = Response::Data(Data::List(MailboxList {
        attributes: vec![],
        delimiter: Some('"'),
        mailbox: Mailbox::Inbox,
        extended: vec![],
    }));
    assert_eq!(enc(&list), "* LIST () \"\\\"\" INBOX\r\n");
    let esearch = Response::Data(Data::ESearch(ESearch {
        tag: Some(s("A1")),
        uid: true,
        items: vec![
            ESearchItem::All("1:3,5".try_into().unwrap()),
            ESearchItem::ModSeq(9),
        ],
    }));
    assert_eq!(
        enc(&esearch),
        "* ESEARCH (TAG \"A1\") UID ALL 1:3,5 MODSEQ 9\r\n"
    );
    // Content with CR LF goes in a literal, never `{n+}` even through a LITERAL+ client encoder.
    let fetch = Response::Data(Data::Fetch(Fetch {
        seq: 3,
        items: vec![
            FetchItem::Uid(7),
            FetchItem::BodySection {
                section: Section::default(),
                origin: None,
                data: Payload::Data(s("a\r\nb")),
            },
        ],
    }));
    assert_eq!(enc(&fetch), "* 3 FETCH (UID 7 BODY[] {4}\r\na\r\nb)\r\n");
    let mut client =
        imap_proto::Encoder::new(imap_proto::EncodeOptions::client().with_literal_plus(true));
    fetch.encode(&mut client);
    let out = client.finish();
    assert_eq!(
        out.as_bytes(),
        b"* 3 FETCH (UID 7 BODY[] {4}\r\na\r\nb)\r\n"
    );
    assert!(out.sync_literals().is_empty());
    // BODYSTRUCTURE extension data in its shortest form: only up to the last field set.
    let b = BodyStructure::Single {
        kind: SingleKind::Text {
            subtype: s("PLAIN"),
            lines: 2,
        },
        fields: BodyFields {
            params: vec![(s("CHARSET"), s("UTF-8"))],
            id: NString(None),
            description: NString(None),
            encoding: s("7BIT"),
            octets: 10,
        },
        extension: SinglePartExtension {
            md5: NString(None),
            tail: ExtensionTail {
                disposition: Some(Disposition {
                    kind: s("INLINE"),
                    params: vec![],
                }),
                ..ExtensionTail::default()
            },
        },
    };
    let r = Response::Data(Data::Fetch(Fetch {
        seq: 1,
        items: vec![FetchItem::BodyStructure(Box::new(b))],
    }));
    assert_eq!(
        enc(&r),
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7BIT\" 10 2 NIL (\"INLINE\" NIL)))\r\n"
    );
}
