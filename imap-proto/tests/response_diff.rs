//! Differential test: our response decoder beside djc's `imap-proto` 0.17 and `imap-codec`
//! 2.0 (default `quirk` features plus every `ext_*`) on one corpus: the parse matrix of
//! imap-anchors §1a, RFC 3501/9051 §8 lines and extension responses.
//!
//! Every row states what each parser does. Where a peer disagrees with us, the row's note
//! names the RFC rule that decides; where the peers agree with each other on a value, we
//! must give the same value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder as _;
use imap_proto::Parsed;
use imap_proto::command::DecodeOptions;
use imap_proto::response::{Data, FetchItem, Response};

/// Our decoder: the whole input is one response.
fn ours(input: &[u8], options: &DecodeOptions) -> Option<Response> {
    match Response::decode_with(input, options) {
        Ok(Parsed::Complete { value, consumed }) if consumed == input.len() => Some(value),
        _ => None,
    }
}

fn djc(input: &[u8]) -> bool {
    matches!(djc_imap_proto::Response::parse(input), Ok((rest, _)) if rest.is_empty())
}

fn codec(input: &[u8]) -> bool {
    matches!(ResponseCodec::default().decode(input), Ok((rest, _)) if rest.is_empty())
}

/// One corpus row: the input, whether (our strict, our lenient, djc, imap-codec) accept it,
/// and why the disagreeing side is wrong (empty when all agree).
struct Row {
    input: &'static [u8],
    expect: [bool; 4],
    note: &'static str,
}

const Y: bool = true;
const N: bool = false;

#[rustfmt::skip]
const CORPUS: &[Row] = &[
    Row { input: b"* CAPABILITY IMAP4rev2 IDLE\r\n", expect: [Y, Y, N, Y],
          note: "RFC 9051 §9 capability-data: an IMAP4rev2 server need not list IMAP4rev1; djc requires it" },
    Row { input: b"* CAPABILITY IMAP4rev1 IDLE \r\n", expect: [N, Y, Y, Y],
          note: "RFC 3501 §9 capability-data has no trailing SP: strict refuses, lenient (qq.com, SurgeMail) accepts" },
    Row { input: b"* LIST (\\NoInferiors) NIL \"INBOX\"\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* LIST () \"/\" {7}\r\nfoo bar\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* 1 FETCH (UID 19436 )\r\n", expect: [N, Y, Y, N],
          note: "RFC 3501 §9 msg-att: SP only between items; lenient accepts qq.com's trailing space, imap-codec has no quirk for it" },
    Row { input: b"* FLAGS (\\Answered \\Seen $Forwarded )\r\n", expect: [N, Y, Y, N],
          note: "RFC 3501 §9 flag-list: SP only between flags; lenient accepts SurgeMail's" },
    Row { input: b"* OK [HIGHESTMODSEQ 13632]\r\n", expect: [N, Y, Y, Y],
          note: "RFC 9051 §9 resp-text: the code is followed by SP even when text is omitted; Gmail omits both (RFC 7162 errata 5055)" },
    Row { input: b"+\r\n", expect: [N, Y, Y, Y],
          note: "RFC 9051 §9 continue-req = \"+\" SP (resp-text / base64): the SP is required" },
    Row { input: b"* SEARCH 1 2 \r\n", expect: [N, Y, Y, Y],
          note: "RFC 3501 §9 mailbox-data SEARCH: *(SP nz-number), no trailing SP" },
    Row { input: b"* ESEARCH (TAG \"A1\") UID ALL 1:3,5 MODSEQ 9\r\n", expect: [Y, Y, N, N],
          note: "RFC 4731 §3.1 esearch-response and RFC 7162 §3.1.5 MODSEQ return data: valid, both peers lack ESEARCH" },
    Row { input: b"* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)(\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1) \"alternative\" (\"boundary\" NIL) NIL NIL))\r\n", expect: [Y, Y, Y, Y],
          note: "RFC 3501 §9 body-fld-param values are strings: strict keeps the FETCH and marks only BODYSTRUCTURE invalid (item-level recovery); lenient reads NIL as \"\" (Mail.ru)" },
    Row { input: b"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL NIL 10 1))\r\n", expect: [Y, Y, Y, Y],
          note: "RFC 3501 §9 body-fld-enc is a string, never NIL: strict marks the item invalid, lenient reads \"\"" },
    Row { input: b"* NAMESPACE ((\"\" NIL)) NIL NIL\r\n", expect: [Y, Y, N, Y],
          note: "RFC 2342 §5 Namespace_Delimiter may be nil; djc refuses it" },
    Row { input: b"A1 OK [Error=\"x y\" Proxy=a:1:SSL] done\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* 3 EXISTS\n", expect: [N, Y, N, N],
          note: "RFC 3501 §9 CRLF: a bare LF is refused unless the bare_lf switch is on" },
    Row { input: b"* 1 FETCH (X-GM-LABELS (\"\\\\Inbox\" \"\\\\Sent\"))\r\n", expect: [Y, Y, Y, N],
          note: "Gmail's X-GM-LABELS is an extension item; imap-codec has no X-GM-* support" },
    Row { input: b"* 1 FETCH (BINARY[1] ~{3}\r\n\x00ab)\r\n", expect: [Y, Y, N, Y],
          note: "RFC 3516 §4.3 msg-att-static BINARY takes a literal8; djc has no literal8" },
    Row { input: b"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 )\r\n", expect: [N, Y, Y, N],
          note: "RFC 3501 §9 status-att-list: SP only between attributes" },
    Row { input: b"* 1 FETCH (RFC822.SIZE -1)\r\n", expect: [Y, Y, Y, N],
          note: "RFC 3501 §9 number is unsigned: strict marks the item invalid and keeps the FETCH, lenient reads 0" },
    Row { input: b"A1 OK\r\n", expect: [N, Y, Y, N],
          note: "RFC 9051 §9 resp-cond-state = (\"OK\" / \"NO\" / \"BAD\") SP resp-text: the SP is required" },
    Row { input: b"* 1 FETCH (EMAILID (M6d99ac3275bb4e))\r\n", expect: [Y, Y, Y, N],
          note: "RFC 8474 §7 msg-att-static EMAILID: valid; imap-codec has no OBJECTID" },
    Row { input: b"* 1 FETCH (UID 1  FLAGS ())\r\n", expect: [N, Y, N, N],
          note: "RFC 3501 §9 msg-att: one SP between items" },
    Row { input: b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n", expect: [Y, Y, N, Y],
          note: "RFC 3501 §8 itself sends the non-extensible BODY form (msg-att-static \"BODY\" SP body); djc refuses it" },
    Row { input: b"* OK [UIDVALIDITY 0] x\r\n", expect: [Y, Y, Y, Y],
          note: "RFC 3501 §9 UIDVALIDITY takes nz-number: strict keeps it as a generic code (atom [SP text]), lenient as UidValidity(0)" },
    Row { input: b"* 4294967296 EXISTS\r\n", expect: [N, Y, N, N],
          note: "RFC 3501 §9 number is 32-bit: strict refuses, lenient clamps and counts a quirk" },
    Row { input: b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n", expect: [Y, Y, N, Y],
          note: "RFC 5256 §5 thread-members may end in a thread-nested list (the RFC's own example); djc refuses nested threads" },
    Row { input: b"* VANISHED (EARLIER) 41,43:116\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* ENABLED CONDSTORE QRESYNC\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* QUOTA \"\" (STORAGE 10 512)\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* ID NIL\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* SEARCH 2 5 6 (MODSEQ 917162500)\r\n", expect: [Y, Y, N, Y],
          note: "RFC 7162 §3.1.5 mailbox-data =/ SEARCH ... [SP search-sort-mod-seq]; djc refuses the suffix" },
    Row { input: b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n", expect: [Y, Y, Y, Y], note: "" },
    Row { input: b"* 1 FETCH (BODY[] {5+}\r\nhello)\r\n", expect: [N, N, N, Y],
          note: "RFC 7888 §4: non-synchronizing literals are for client commands; a response may not carry one (security-anchors §8 item 43, imap-codec #332); imap-codec accepts it" },
    Row { input: b"* ID (\"a\")\r\n", expect: [N, N, N, N], note: "" },
];

#[test]
fn corpus_matrix() {
    let mut report = String::new();
    for row in CORPUS {
        let got = [
            ours(row.input, &DecodeOptions::strict()).is_some(),
            ours(row.input, &DecodeOptions::lenient()).is_some(),
            djc(row.input),
            codec(row.input),
        ];
        if got != row.expect {
            report += &format!(
                "{:?}: got {got:?}, expected {:?}\n",
                String::from_utf8_lossy(row.input),
                row.expect
            );
        }
        if got.iter().any(|&g| g != got[0]) && row.note.is_empty() {
            report += &format!(
                "{:?}: disagreement {got:?} without a note\n",
                String::from_utf8_lossy(row.input)
            );
        }
    }
    assert!(report.is_empty(), "\n{report}");
}

/// Where all three parse a FETCH, the facts they extract agree.
#[test]
fn fetch_values_agree_with_djc() {
    let input: &[u8] =
        b"* 7 FETCH (UID 42 RFC822.SIZE 1234 FLAGS (\\Seen $Junk) BODY[] {5}\r\nhello)\r\n";
    let Some(Response::Data(Data::Fetch(f))) = ours(input, &DecodeOptions::strict()) else {
        panic!()
    };
    let (_, djc_r) = djc_imap_proto::Response::parse(input).unwrap();
    let djc_imap_proto::Response::Fetch(seq, attrs) = djc_r else {
        panic!()
    };
    assert_eq!(seq, f.seq);
    for attr in attrs {
        match attr {
            djc_imap_proto::AttributeValue::Uid(u) => assert_eq!(f.uid(), Some(u)),
            djc_imap_proto::AttributeValue::Rfc822Size(n) => {
                assert!(f.items.contains(&FetchItem::Rfc822Size(u64::from(n))));
            }
            djc_imap_proto::AttributeValue::BodySection { data, .. } => {
                let ours_data = f.items.iter().find_map(|i| match i {
                    FetchItem::BodySection { data, .. } => {
                        data.data().map(|d| d.as_bytes().to_vec())
                    }
                    _ => None,
                });
                assert_eq!(ours_data.as_deref(), data.as_deref());
            }
            djc_imap_proto::AttributeValue::Flags(flags) => {
                let Some(FetchItem::Flags(ours_flags)) =
                    f.items.iter().find(|i| matches!(i, FetchItem::Flags(_)))
                else {
                    panic!()
                };
                assert_eq!(flags.len(), ours_flags.len());
            }
            _ => {}
        }
    }
}

/// SEARCH numbers agree with both peers.
#[test]
fn search_values_agree() {
    let input: &[u8] = b"* SEARCH 2 84 882 4294967295\r\n";
    let Some(Response::Data(Data::Search { numbers, .. })) = ours(input, &DecodeOptions::strict())
    else {
        panic!()
    };
    let (_, r) = djc_imap_proto::Response::parse(input).unwrap();
    let djc_imap_proto::Response::MailboxData(djc_imap_proto::MailboxDatum::Search(d)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(d, numbers);
    let (_, r) = ResponseCodec::default().decode(input).unwrap();
    let imap_codec::imap_types::response::Response::Data(
        imap_codec::imap_types::response::Data::Search(c, _),
    ) = r
    else {
        panic!("{r:?}")
    };
    let c: Vec<u32> = c.iter().map(|n| n.get()).collect();
    assert_eq!(c, numbers);
}
