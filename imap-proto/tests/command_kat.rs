//! Known-answer tests for commands: bytes → value and value → exact bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use imap_proto::command::*;
use imap_proto::{EncodeOptions, Parsed};

fn dec(s: &[u8]) -> Command {
    match Command::decode(s) {
        Ok(Parsed::Complete { value, consumed }) => {
            assert_eq!(consumed, s.len(), "{}", String::from_utf8_lossy(s));
            value
        }
        other => panic!("{}: {other:?}", String::from_utf8_lossy(s)),
    }
}

fn enc(c: &Command) -> Vec<u8> {
    c.encoded(EncodeOptions::client()).into_bytes().to_vec()
}

/// Lines already in the encoder's canonical form: decode, then encode back byte for byte.
const CANONICAL: &[&str] = &[
    "a CAPABILITY\r\n",
    "a NOOP\r\n",
    "a LOGOUT\r\n",
    "a STARTTLS\r\n",
    "a AUTHENTICATE PLAIN\r\n",
    "a AUTHENTICATE PLAIN =\r\n",
    "a AUTHENTICATE PLAIN AHRlc3QAc2VjcmV0\r\n",
    "a LOGIN alice secret\r\n",
    "a LOGIN \"al ice\" \"p\\\"w\"\r\n",
    "a SELECT INBOX\r\n",
    "a SELECT INBOX (CONDSTORE)\r\n",
    "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
    "a SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n",
    "a EXAMINE blurdybloop\r\n",
    "a CREATE owatagusiam/\r\n",
    "a CREATE MySent (USE (\\Sent))\r\n",
    "a CREATE x (USE (\\Sent \\Trash \\Foo))\r\n",
    "a DELETE blurdybloop\r\n",
    "a RENAME blurdybloop sarasoop\r\n",
    "a SUBSCRIBE #news.comp.mail.mime\r\n",
    "a UNSUBSCRIBE #news.comp.mail.mime\r\n",
    "a LIST \"\" \"\"\r\n",
    "a LIST #news.comp.mail.misc *\r\n",
    "a LIST ~/Mail/ %\r\n",
    "a LIST (SUBSCRIBED) \"\" *\r\n",
    "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %\r\n",
    "a LIST \"\" (INBOX Drafts Sent/*)\r\n",
    "a LIST \"\" % RETURN (CHILDREN)\r\n",
    "a LIST (SUBSCRIBED) \"\" * RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n",
    "a LSUB #news. comp.mail.*\r\n",
    "a NAMESPACE\r\n",
    "a STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
    "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT MAILBOXID DELETED-STORAGE)\r\n",
    "a APPEND saved-messages (\\Seen) {5}\r\nhello\r\n",
    "a APPEND saved-messages (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nhello\r\n",
    "a APPEND INBOX ~{3}\r\n\0ab\r\n",
    "a APPEND INBOX {1}\r\na (\\Flagged) {1}\r\nb \" 1-Jan-2024 00:00:00 +0000\" ~{1}\r\nc\r\n",
    "a IDLE\r\n",
    "a ENABLE CONDSTORE QRESYNC\r\n",
    "a ID NIL\r\n",
    "a ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)\r\n",
    "a UNSELECT\r\n",
    "a UNAUTHENTICATE\r\n",
    "a CHECK\r\n",
    "a CLOSE\r\n",
    "a EXPUNGE\r\n",
    "a UID EXPUNGE 3000:3002\r\n",
    "a SEARCH ALL\r\n",
    "a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
    "a SEARCH CHARSET UTF-8 TEXT {8}\r\nXX\r\nXXXX\r\n",
    "a SEARCH RETURN (MIN MAX COUNT) UNDELETED UNKEYWORD $Junk\r\n",
    "a SEARCH RETURN () ALL\r\n",
    "a SEARCH RETURN (SAVE) SINCE 1-Feb-1994\r\n",
    "a UID SEARCH UID $ SMALLER 4096\r\n",
    "a SEARCH $\r\n",
    "a SEARCH OR (FROM a TO b) NOT (SEEN DELETED) 1:5,7 UID 2:*\r\n",
    "a SEARCH HEADER Message-ID \"<x y>\" LARGER 10 SMALLER 20\r\n",
    "a SEARCH MODSEQ 620162338\r\n",
    "a SEARCH MODSEQ \"/flags/\\\\Draft\" all 620162338\r\n",
    "a SEARCH OLDER 3600 YOUNGER 60\r\n",
    "a SEARCH EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9\r\n",
    "a SEARCH SAVEDBEFORE 1-Jan-2024 SAVEDON 2-Jan-2024 SAVEDSINCE 3-Jan-2024 SAVEDATESUPPORTED\r\n",
    "a SEARCH X-GM-RAW \"has:attachment in:unread\" X-GM-MSGID 1278455344230334865 X-GM-THRID 1 X-GM-LABELS foo\r\n",
    "a SEARCH NEW OLD RECENT ANSWERED UNANSWERED DRAFT UNDRAFT FLAGGED UNFLAGGED SEEN UNSEEN DELETED UNDELETED\r\n",
    "a SEARCH BCC a BODY b CC c SUBJECT d TEXT e TO f BEFORE 1-Jan-2000 ON 2-Jan-2000 SENTBEFORE 3-Jan-2000 SENTON 4-Jan-2000 SENTSINCE 5-Jan-2000 KEYWORD x\r\n",
    "a FETCH 2:4 ALL\r\n",
    "a FETCH 1 FAST\r\n",
    "a FETCH 1 FULL\r\n",
    "a FETCH 12 FLAGS\r\n",
    "a FETCH 12 BODY[HEADER]\r\n",
    "a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
    "a FETCH 1 (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID)\r\n",
    "a FETCH 1 (BODY[] BODY.PEEK[1.2.MIME] BODY[1.TEXT]<0.2048> BODY[3.HEADER.FIELDS.NOT (X-A)] BODY[TEXT] BODY[4.2])\r\n",
    "a FETCH 1 (BINARY[] BINARY.PEEK[1.2]<100.200> BINARY.SIZE[3] BINARY.SIZE[])\r\n",
    "a FETCH 1:* (MODSEQ SAVEDATE EMAILID THREADID PREVIEW PREVIEW (LAZY) X-GM-MSGID X-GM-THRID X-GM-LABELS)\r\n",
    "a FETCH 1:* (FLAGS UID) (CHANGEDSINCE 12345)\r\n",
    "a UID FETCH 300:500 FLAGS (CHANGEDSINCE 12345 VANISHED)\r\n",
    "a FETCH 1 PREVIEW (CHANGEDSINCE 1)\r\n",
    "a STORE 2:4 +FLAGS (\\Deleted)\r\n",
    "a STORE 2:4 -FLAGS.SILENT (\\Seen $Forwarded)\r\n",
    "a STORE 2:4 FLAGS ()\r\n",
    "a STORE 1 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n",
    "a UID STORE 1 +X-GM-LABELS (foo \"\\\\Inbox\")\r\n",
    "a UID STORE $ -X-GM-LABELS.SILENT (bar)\r\n",
    "a COPY 2:4 MEETING\r\n",
    "a UID COPY 1:* \"a b\"\r\n",
    "a MOVE 1 Trash\r\n",
    "a UID MOVE 42 Trash\r\n",
    "a SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n",
    "a UID SORT (REVERSE DATE ARRIVAL DISPLAYFROM) US-ASCII ALL\r\n",
    "a SORT RETURN (MIN COUNT) (DATE) UTF-8 UNDELETED\r\n",
    "a THREAD ORDEREDSUBJECT UTF-8 SINCE 5-Mar-2000\r\n",
    "a UID THREAD REFERENCES US-ASCII TEXT \"gewp gewp\"\r\n",
    "a GETQUOTA \"\"\r\n",
    "a GETQUOTAROOT INBOX\r\n",
    "a SETQUOTA \"\" (STORAGE 512)\r\n",
    "a SETQUOTA x ()\r\n",
    "a GETMETADATA \"\" /shared/comment\r\n",
    "a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/private/a /shared/b)\r\n",
    "a GETMETADATA (DEPTH 1) INBOX /private/a\r\n",
    "a SETMETADATA INBOX (/private/comment \"My comment\")\r\n",
    "a SETMETADATA INBOX (/private/comment NIL /shared/x ~{2}\r\n\0a)\r\n",
    "a COMPRESS DEFLATE\r\n",
    "a XYZZY\r\n",
    "a X-FOO 1 (a \"b c\" (d)) {3}\r\nx\r\n\r\n",
];

#[test]
fn canonical_lines_round_trip_byte_for_byte() {
    let mut bad = Vec::new();
    for line in CANONICAL {
        let c = match Command::decode(line.as_bytes()) {
            Ok(Parsed::Complete { value, consumed }) if consumed == line.len() => value,
            other => {
                bad.push(format!("{line:?}: {other:?}"));
                continue;
            }
        };
        let out = enc(&c);
        if out != line.as_bytes() {
            bad.push(format!("{line:?} -> {:?}", String::from_utf8_lossy(&out)));
        }
        assert_eq!(dec(&out), c);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
