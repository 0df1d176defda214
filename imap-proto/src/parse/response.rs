//! The response grammar (RFC 9051 §9, RFC 3501 §9 and the extensions' ABNF): greeting, status
//! responses, untagged data, continuation requests, response codes and FETCH items.
//!
//! Written with nom over one framed unit. The hot paths are hand-written: the FETCH item name
//! dispatch (one scan, then a match on length and bytes), the number lists of SEARCH and SORT,
//! and the value skipper that item-level recovery uses.

use bytes::Bytes;

use super::body::{body, envelope};
use super::primitives::{
    self as p, Streamable, astring, atom, atom_raw, byte, close_paren, crlf, date_time, flag,
    flag_fetch, flag_perm, keyword, mailbox, nil, nstring, nstring_streamable, number, number64,
    nz_number, open_paren, paren_list, quoted, sequence_set, sp, string, tag, text_raw,
};
use super::{Cx, Nest, PResult, fail, syntax};
use crate::error::ParseErrorKind;
use crate::response::code::SIMPLE_CODES;
use crate::response::{
    Capability, Code, Condition, Continuation, Data, ESearch, ESearchItem, Fetch, FetchItem,
    Greeting, GreetingKind, InvalidItem, ListAttribute, ListExtendedItem, MailboxList,
    MetadataItems, NamespaceDescription, Namespaces, ObjectId, OtherCode, Payload, QuotaResource,
    Response, Section, SectionText, Status, StatusItem, StatusKind, Text, Thread, Token,
};
use crate::types::string::class;
use crate::types::{AString, Atom, IString, Literal8, NString};

// ---------------------------------------------------------------------------------------------
// Entry points

/// ```abnf
/// greeting       = "*" SP (resp-cond-auth / resp-cond-bye) CRLF
/// resp-cond-auth = ("OK" / "PREAUTH") SP resp-text
/// resp-cond-bye  = "BYE" SP resp-text
/// ```
pub(crate) fn greeting<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Greeting> {
    let (i, ()) = byte(i, b'*', "greeting")?;
    let (i, ()) = sp(cx, i)?;
    let (rest, word) = atom_raw(i)?;
    let kind = if word.eq_ignore_ascii_case(b"OK") {
        GreetingKind::Ok
    } else if word.eq_ignore_ascii_case(b"PREAUTH") {
        GreetingKind::PreAuth
    } else if word.eq_ignore_ascii_case(b"BYE") {
        GreetingKind::Bye
    } else {
        return syntax(i, "greeting");
    };
    let (rest, (code, text)) = status_tail(cx, rest)?;
    let (rest, ()) = crlf(cx, rest)?;
    Ok((rest, Greeting { kind, code, text }))
}

/// ```abnf
/// response = continue-req / response-data / response-tagged    ; one unit at a time
/// ```
pub(crate) fn response<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Response> {
    match i.first() {
        Some(b'+') => continue_req(cx, i).map(|(r, c)| (r, Response::Continuation(c))),
        Some(b'*') => untagged(cx, i),
        _ => tagged(cx, i).map(|(r, s)| (r, Response::Status(s))),
    }
}

/// ```abnf
/// continue-req = "+" SP (resp-text / base64) CRLF
/// ```
///
/// Lenient (`bare_continuation`): `+` alone on its line.
fn continue_req<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Continuation> {
    let (i, ()) = byte(i, b'+', "continue-req")?;
    // Only a line end right after `+` is the bare form: `+  ` is `+`, SP and the text " ",
    // which lenient line-end spaces must not swallow.
    if cx.leniency.bare_continuation
        && matches!(i.first(), Some(b'\r' | b'\n'))
        && let Ok((rest, ())) = crlf(cx, i)
    {
        cx.quirk();
        return Ok((
            rest,
            Continuation {
                code: None,
                text: Text::empty(),
            },
        ));
    }
    let (i, ()) = byte(i, b' ', "continue-req")?;
    let (i, (code, text)) = resp_text(cx, i)?;
    let (i, ()) = crlf(cx, i)?;
    Ok((i, Continuation { code, text }))
}

/// ```abnf
/// response-tagged = tag SP resp-cond-state CRLF
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// ```
fn tagged<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Status> {
    let (i, t) = tag(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (rest, word) = atom_raw(i)?;
    let Some(cond) = condition(word) else {
        return syntax(i, "resp-cond-state");
    };
    let (rest, (code, text)) = status_tail(cx, rest)?;
    let (rest, ()) = crlf(cx, rest)?;
    Ok((
        rest,
        Status {
            kind: StatusKind::Tagged(t, cond),
            code,
            text,
        },
    ))
}

/// `OK`, `NO` or `BAD`, ignoring case.
fn condition(word: &[u8]) -> Option<Condition> {
    if word.eq_ignore_ascii_case(b"OK") {
        Some(Condition::Ok)
    } else if word.eq_ignore_ascii_case(b"NO") {
        Some(Condition::No)
    } else if word.eq_ignore_ascii_case(b"BAD") {
        Some(Condition::Bad)
    } else {
        None
    }
}

/// `SP resp-text` after a status keyword.
///
/// Lenient (`missing_text`): nothing at all before the line end (`A1 OK`, Gmail).
fn status_tail<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Option<Code>, Text)> {
    if i.first() != Some(&b' ') {
        if cx.leniency.missing_text && crlf(cx, i).is_ok() {
            cx.quirk();
            return Ok((i, (None, Text::empty())));
        }
        return syntax(i, "resp-text");
    }
    resp_text(cx, i.get(1..).unwrap_or_default())
}

/// ```abnf
/// resp-text = ["[" resp-text-code "]" SP] [text]     ; RFC 9051 (RFC 3501: text required)
/// ```
///
/// A `[` that does not open a valid code is text (the optional part does not match). Lenient
/// (`missing_text`): a code with nothing after its `]` (`* OK [HIGHESTMODSEQ 13632]`, Gmail,
/// RFC 7162 errata 5055).
fn resp_text<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Option<Code>, Text)> {
    if let Some(after) = i.strip_prefix(b"[")
        && let Ok((rest, code)) = resp_text_code(cx, after)
        && let Some(rest) = rest.strip_prefix(b"]")
    {
        if let Some(rest) = rest.strip_prefix(b" ") {
            let (rest, t) = text_raw(rest)?;
            return Ok((rest, (Some(code), Text::from_wire(cx.slice(t)))));
        }
        if matches!(rest.first(), Some(b'\r' | b'\n') | None) {
            if cx.leniency.missing_text {
                cx.quirk();
                return Ok((rest, (Some(code), Text::empty())));
            }
            return syntax(rest, "resp-text");
        }
    }
    let (rest, t) = text_raw(i)?;
    Ok((rest, (None, Text::from_wire(cx.slice(t)))))
}

// ---------------------------------------------------------------------------------------------
// Response codes

/// ```abnf
/// resp-text-code = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")" ] /
///                  capability-data / "PARSE" /
///                  "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
///                  "READ-ONLY" / "READ-WRITE" / "TRYCREATE" /
///                  "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
///                  "UNSEEN" SP nz-number / resp-code-apnd / resp-code-copy /
///                  "UIDNOTSTICKY" / "HIGHESTMODSEQ" SP mod-sequence-value /
///                  "NOMODSEQ" / "MODIFIED" SP sequence-set / "CLOSED" /
///                  "MAILBOXID" SP "(" objectid ")" / "METADATA" SP (...) /
///                  atom [SP 1*<any TEXT-CHAR except "]">]
/// ```
///
/// Returns with the input at the closing `]`. A known name whose arguments break their rule
/// falls back to the last alternative (the generic code), as the ABNF says.
fn resp_text_code<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Code> {
    if let Ok((rest, code)) = known_code(cx, i)
        && rest.first() == Some(&b']')
    {
        return Ok((rest, code));
    }
    generic_code(cx, i)
}

/// `atom [SP 1*<any TEXT-CHAR except "]">]`, kept raw. A `]` inside a closed quoted string
/// does not end it (Outlook 365 puts quoted strings in its codes).
fn generic_code<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Code> {
    let first = i.first().copied().unwrap_or(0);
    if !class::is(first, class::ATOM) {
        return syntax(i, "resp-text-code");
    }
    let end = code_end(i);
    let Some(end) = end else {
        return syntax(i, "resp-text-code");
    };
    let (raw, rest) = i.split_at(end);
    Ok((rest, Code::Other(OtherCode::from_wire(cx.slice(raw)))))
}

/// Offset of the `]` that closes a generic code: quote-aware when the quotes close on the
/// line, the first `]` otherwise.
fn code_end(i: &[u8]) -> Option<usize> {
    let line_end = memchr::memchr2(b'\r', b'\n', i).unwrap_or(i.len());
    let line = i.get(..line_end)?;
    let mut quoted = false;
    let mut escaped = false;
    for (k, &b) in line.iter().enumerate() {
        if b == 0 {
            return None;
        }
        if quoted {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = false;
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b']' {
            return Some(k);
        }
    }
    memchr::memchr(b']', line)
}

/// The typed codes.
fn known_code<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Code> {
    let (rest, name) = atom_raw(i)?;
    for (n, code) in SIMPLE_CODES {
        if name.eq_ignore_ascii_case(n.as_bytes()) {
            return Ok((rest, code.clone()));
        }
    }
    let upper = Upper::new(name);
    match upper.as_bytes() {
        b"BADCHARSET" => {
            if rest.first() != Some(&b' ') {
                return Ok((rest, Code::BadCharset(Vec::new())));
            }
            let (rest, ()) = sp(cx, rest)?;
            let (rest, list) = paren_list(cx, rest, |i| astring(cx, i))?;
            Ok((rest, Code::BadCharset(list)))
        }
        b"CAPABILITY" => {
            let (rest, caps) = capabilities(cx, rest)?;
            Ok((rest, Code::Capability(caps)))
        }
        b"PERMANENTFLAGS" => {
            let (rest, ()) = sp(cx, rest)?;
            let (rest, flags) = paren_list(cx, rest, |i| flag_perm(cx, i))?;
            Ok((rest, Code::PermanentFlags(flags)))
        }
        b"UIDNEXT" => {
            let (rest, n) = sp_nz_number(cx, rest)?;
            Ok((rest, Code::UidNext(n)))
        }
        b"UIDVALIDITY" => {
            let (rest, ()) = sp(cx, rest)?;
            // `UIDVALIDITY 0` (modern-email defects #52): kept in lenient mode so the
            // application can report it; strict mode reads it as a generic code.
            let (rest, n) = number(cx, rest)?;
            if n == 0 {
                if !cx.leniency.negative_numbers {
                    return fail(rest, "nz-number", ParseErrorKind::Zero);
                }
                cx.quirk();
            }
            Ok((rest, Code::UidValidity(n)))
        }
        b"UNSEEN" => {
            let (rest, n) = sp_nz_number(cx, rest)?;
            Ok((rest, Code::Unseen(n)))
        }
        b"APPENDUID" => {
            let (rest, uid_validity) = sp_nz_number(cx, rest)?;
            let (rest, ()) = sp(cx, rest)?;
            let (rest, uids) = sequence_set(cx, rest)?;
            Ok((rest, Code::AppendUid { uid_validity, uids }))
        }
        b"COPYUID" => {
            let (rest, uid_validity) = sp_nz_number(cx, rest)?;
            let (rest, ()) = sp(cx, rest)?;
            let (rest, source) = sequence_set(cx, rest)?;
            let (rest, ()) = sp(cx, rest)?;
            let (rest, destination) = sequence_set(cx, rest)?;
            Ok((
                rest,
                Code::CopyUid {
                    uid_validity,
                    source,
                    destination,
                },
            ))
        }
        b"HIGHESTMODSEQ" => {
            let (rest, ()) = sp(cx, rest)?;
            let (rest, n) = number64(cx, rest)?;
            Ok((rest, Code::HighestModSeq(n)))
        }
        b"MODIFIED" => {
            let (rest, ()) = sp(cx, rest)?;
            let (rest, set) = sequence_set(cx, rest)?;
            Ok((rest, Code::Modified(set)))
        }
        b"MAILBOXID" => {
            let (rest, ()) = sp(cx, rest)?;
            let (rest, id) = paren_objectid(cx, rest)?;
            Ok((rest, Code::MailboxId(id)))
        }
        b"METADATA" => {
            let (rest, ()) = sp(cx, rest)?;
            let (after, word) = atom_raw(rest)?;
            let w = Upper::new(word);
            match w.as_bytes() {
                b"LONGENTRIES" => {
                    let (after, n) = sp_number(cx, after)?;
                    Ok((after, Code::MetadataLongEntries(n)))
                }
                b"MAXSIZE" => {
                    let (after, n) = sp_number(cx, after)?;
                    Ok((after, Code::MetadataMaxSize(n)))
                }
                b"TOOMANY" => Ok((after, Code::MetadataTooMany)),
                b"NOPRIVATE" => Ok((after, Code::MetadataNoPrivate)),
                _ => syntax(rest, "resp-text-code"),
            }
        }
        _ => syntax(i, "resp-text-code"),
    }
}

/// An ASCII-uppercased copy of a short keyword, on the stack (longer ones never match).
struct Upper {
    buf: [u8; 24],
    len: usize,
}

impl Upper {
    #[inline]
    fn new(word: &[u8]) -> Self {
        let mut buf = [0u8; 24];
        let len = if word.len() <= buf.len() {
            word.len()
        } else {
            0
        };
        for (d, s) in buf.iter_mut().zip(word.iter()).take(len) {
            *d = s.to_ascii_uppercase();
        }
        Self { buf, len }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// `SP nz-number` as a `u32`.
fn sp_nz_number<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u32> {
    let (i, ()) = sp(cx, i)?;
    let (i, n) = nz_number(cx, i)?;
    Ok((i, n.get()))
}

/// `SP number`.
fn sp_number<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u32> {
    let (i, ()) = sp(cx, i)?;
    number(cx, i)
}

/// ```abnf
/// objectid = 1*255(ALPHA / DIGIT / "_" / "-")     ; RFC 8474
/// ```
fn objectid<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ObjectId> {
    let n = i
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    if n == 0 || n > 255 {
        return syntax(i, "objectid");
    }
    let (id, rest) = i.split_at(n);
    Ok((rest, ObjectId::from_checked(cx.slice(id))))
}

/// `"(" objectid ")"`.
fn paren_objectid<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ObjectId> {
    let (i, ()) = open_paren(i)?;
    let (i, id) = objectid(cx, i)?;
    let (i, ()) = close_paren(cx, i)?;
    Ok((i, id))
}

// ---------------------------------------------------------------------------------------------
// Untagged responses

/// Whether `i` is at the end of the line (after lenient trailing spaces).
#[inline]
fn at_eol(cx: &Cx<'_>, i: &[u8]) -> bool {
    let i = if cx.leniency.extra_spaces {
        let n = i.iter().take_while(|&&b| b == b' ').count();
        i.get(n..).unwrap_or_default()
    } else {
        i
    };
    matches!(i.first(), Some(b'\r' | b'\n') | None)
}

/// `*(SP item)` up to the end of the line or a `]` (the end is not consumed).
fn sp_items<'a, T>(
    cx: &Cx<'_>,
    mut i: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let mut out = Vec::new();
    loop {
        if at_eol(cx, i) || i.first() == Some(&b']') {
            return Ok((i, out));
        }
        let (rest, ()) = sp(cx, i)?;
        if at_eol(cx, rest) {
            // `* CAPABILITY IMAP4rev1 IDLE `: the lenient CRLF takes the spaces.
            if !cx.leniency.extra_spaces {
                return syntax(rest, "SP");
            }
            return Ok((rest, out));
        }
        let (rest, v) = item(rest)?;
        out.push(v);
        i = rest;
    }
}

/// ```abnf
/// capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)
/// capability      = ("AUTH=" auth-type) / atom
/// ```
///
/// IMAP4rev1 is not required: an IMAP4rev2-only server lists only `IMAP4rev2` (RFC 9051
/// `capability-data` requires that one instead; we take either).
fn capabilities<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Capability>> {
    sp_items(cx, i, |i| {
        let (rest, a) = atom_raw(i)?;
        Ok((rest, Capability::from_atom(Atom::from_checked(cx.slice(a)))))
    })
}

/// ```abnf
/// response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data /
///                 capability-data / enable-data) CRLF
/// ```
fn untagged<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Response> {
    let (i, ()) = byte(i, b'*', "response-data")?;
    let (i, ()) = sp(cx, i)?;
    if i.first().is_some_and(u8::is_ascii_digit) {
        let (rest, data) = message_data(cx, i)?;
        let (rest, ()) = crlf(cx, rest)?;
        return Ok((rest, Response::Data(data)));
    }
    let (rest, word) = atom_raw(i)?;
    let upper = Upper::new(word);
    let status_kind = match upper.as_bytes() {
        b"OK" => Some(StatusKind::Untagged(Condition::Ok)),
        b"NO" => Some(StatusKind::Untagged(Condition::No)),
        b"BAD" => Some(StatusKind::Untagged(Condition::Bad)),
        b"BYE" => Some(StatusKind::Bye),
        b"PREAUTH" => Some(StatusKind::PreAuth),
        _ => None,
    };
    if let Some(kind) = status_kind {
        let (rest, (code, text)) = status_tail(cx, rest)?;
        let (rest, ()) = crlf(cx, rest)?;
        return Ok((rest, Response::Status(Status { kind, code, text })));
    }
    let (rest, data) = match upper.as_bytes() {
        b"CAPABILITY" => capabilities(cx, rest).map(|(r, c)| (r, Data::Capability(c)))?,
        b"ENABLED" => capabilities(cx, rest).map(|(r, c)| (r, Data::Enabled(c)))?,
        b"LIST" => mailbox_list(cx, rest).map(|(r, l)| (r, Data::List(l)))?,
        b"LSUB" => mailbox_list(cx, rest).map(|(r, l)| (r, Data::Lsub(l)))?,
        b"STATUS" => status_data(cx, rest)?,
        b"SEARCH" => {
            let (r, (numbers, modseq)) = number_list(cx, rest)?;
            (r, Data::Search { numbers, modseq })
        }
        b"SORT" => {
            let (r, (numbers, modseq)) = number_list(cx, rest)?;
            (r, Data::Sort { numbers, modseq })
        }
        b"ESEARCH" => esearch(cx, rest).map(|(r, e)| (r, Data::ESearch(e)))?,
        b"THREAD" => thread_data(cx, rest).map(|(r, t)| (r, Data::Thread(t)))?,
        b"FLAGS" => {
            let (r, ()) = sp(cx, rest)?;
            let (r, flags) = paren_list(cx, r, |i| flag(cx, i))?;
            (r, Data::Flags(flags))
        }
        b"VANISHED" => vanished(cx, rest)?,
        b"NAMESPACE" => namespace(cx, rest).map(|(r, n)| (r, Data::Namespace(n)))?,
        b"ID" => id_data(cx, rest).map(|(r, d)| (r, Data::Id(d)))?,
        b"QUOTA" => quota(cx, rest)?,
        b"QUOTAROOT" => quota_root(cx, rest)?,
        b"METADATA" => metadata(cx, rest)?,
        _ => {
            let name = Atom::from_checked(cx.slice(word));
            let (r, tokens) = sp_items(cx, rest, |i| token(cx, i))?;
            (
                r,
                Data::Other {
                    number: None,
                    name,
                    tokens,
                },
            )
        }
    };
    let (rest, ()) = crlf(cx, rest)?;
    Ok((rest, Response::Data(data)))
}

/// ```abnf
/// message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
/// mailbox-data =/ number SP "EXISTS" / number SP "RECENT"
/// ```
///
/// Lenient (`negative_numbers`): a number above `u32::MAX` (`* 4294967296 EXISTS`) is
/// clamped to `u32::MAX` and counted as a quirk.
fn message_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (rest, n) = p::lenient_number(cx, i)?;
    let n = n.unwrap_or(u32::MAX);
    let (rest, ()) = sp(cx, rest)?;
    let (after, word) = atom_raw(rest)?;
    let upper = Upper::new(word);
    match upper.as_bytes() {
        b"EXISTS" => Ok((after, Data::Exists(n))),
        b"RECENT" => Ok((after, Data::Recent(n))),
        b"EXPUNGE" => Ok((after, Data::Expunge(n))),
        b"FETCH" => {
            let (after, ()) = sp(cx, after)?;
            let (after, items) = msg_att(cx, after)?;
            Ok((after, Data::Fetch(Fetch { seq: n, items })))
        }
        _ => {
            let name = Atom::from_checked(cx.slice(word));
            let (r, tokens) = sp_items(cx, after, |i| token(cx, i))?;
            Ok((
                r,
                Data::Other {
                    number: Some(n),
                    name,
                    tokens,
                },
            ))
        }
    }
}

/// ```abnf
/// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
///                [SP mbox-list-extended]
/// mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
/// mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val
/// ```
fn mailbox_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, MailboxList> {
    let (i, ()) = sp(cx, i)?;
    let (i, attributes) = paren_list(cx, i, |i| list_attribute(cx, i))?;
    let (i, ()) = sp(cx, i)?;
    let (i, delimiter) = delimiter(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, mailbox) = mailbox(cx, i)?;
    let mut extended = Vec::new();
    let mut i = i;
    if !at_eol(cx, i) {
        let (rest, ()) = sp(cx, i)?;
        let (rest, items) = paren_list(cx, rest, |i| list_extended_item(cx, i))?;
        extended = items;
        i = rest;
    }
    Ok((
        i,
        MailboxList {
            attributes,
            delimiter,
            mailbox,
            extended,
        },
    ))
}

/// ```abnf
/// mbx-list-oflag = "\Noinferiors" / child-mbox-flag / "\Subscribed" / "\Remote" / flag-extension
/// mbx-list-sflag = "\NonExistent" / "\Noselect" / "\Marked" / "\Unmarked"
/// use-attr       = "\All" / "\Archive" / "\Drafts" / "\Flagged" / "\Junk" / "\Sent" / "\Trash"
/// ```
fn list_attribute<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListAttribute> {
    let (i, ()) = byte(i, b'\\', "mbx-list-flags")?;
    let (rest, name) = atom_raw(i)?;
    const KNOWN: [(&[u8], ListAttribute); 17] = [
        (b"NOINFERIORS", ListAttribute::NoInferiors),
        (b"NOSELECT", ListAttribute::NoSelect),
        (b"MARKED", ListAttribute::Marked),
        (b"UNMARKED", ListAttribute::Unmarked),
        (b"HASCHILDREN", ListAttribute::HasChildren),
        (b"HASNOCHILDREN", ListAttribute::HasNoChildren),
        (b"NONEXISTENT", ListAttribute::NonExistent),
        (b"SUBSCRIBED", ListAttribute::Subscribed),
        (b"REMOTE", ListAttribute::Remote),
        (b"ALL", ListAttribute::All),
        (b"ARCHIVE", ListAttribute::Archive),
        (b"DRAFTS", ListAttribute::Drafts),
        (b"FLAGGED", ListAttribute::Flagged),
        (b"JUNK", ListAttribute::Junk),
        (b"SENT", ListAttribute::Sent),
        (b"TRASH", ListAttribute::Trash),
        (b"IMPORTANT", ListAttribute::Important),
    ];
    for (n, a) in &KNOWN {
        if name.eq_ignore_ascii_case(n) {
            return Ok((rest, a.clone()));
        }
    }
    Ok((
        rest,
        ListAttribute::Extension(Atom::from_checked(cx.slice(name))),
    ))
}

/// `DQUOTE QUOTED-CHAR DQUOTE / nil`: a hierarchy delimiter.
fn delimiter<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<char>> {
    if i.first() != Some(&b'"') {
        let (rest, ()) = nil(i)?;
        return Ok((rest, None));
    }
    let (rest, s) = quoted(cx, i)?;
    let mut chars = s.as_str().map(str::chars);
    match chars.as_mut().map(|c| (c.next(), c.next())) {
        Some((Some(c), None)) => Ok((rest, Some(c))),
        _ => syntax(i, "QUOTED-CHAR"),
    }
}

/// `CHILDINFO (...)`, `OLDNAME (mailbox)` or any `tag SP tagged-ext-val`.
fn list_extended_item<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListExtendedItem> {
    let (rest, name) = atom_raw(i)?;
    let (rest, ()) = sp(cx, rest)?;
    if name.eq_ignore_ascii_case(b"CHILDINFO") {
        let (rest, list) = paren_list(cx, rest, |i| string(cx, i))?;
        return Ok((rest, ListExtendedItem::ChildInfo(list)));
    }
    if name.eq_ignore_ascii_case(b"OLDNAME") {
        let (r, ()) = open_paren(rest)?;
        let (r, m) = mailbox(cx, r)?;
        let (r, ()) = close_paren(cx, r)?;
        return Ok((r, ListExtendedItem::OldName(m)));
    }
    let (rest, value) = token(cx, rest)?;
    Ok((
        rest,
        ListExtendedItem::Other {
            tag: Atom::from_checked(cx.slice(name)),
            value,
        },
    ))
}

/// ```abnf
/// mailbox-data =/ "STATUS" SP mailbox SP "(" [status-att-list] ")"
/// status-att-list = status-att-val *(SP status-att-val)
/// ```
fn status_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (i, ()) = sp(cx, i)?;
    let (i, mailbox) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, items) = paren_list(cx, i, |i| status_att(cx, i))?;
    Ok((i, Data::Status { mailbox, items }))
}

/// ```abnf
/// status-att-val = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) /
///                  ("UIDVALIDITY" SP nz-number) / ("UNSEEN" SP number) /
///                  ("DELETED" SP number) / ("SIZE" SP number64) / ("RECENT" SP number) /
///                  ("HIGHESTMODSEQ" SP mod-sequence-valzer) / ("APPENDLIMIT" SP (number / nil)) /
///                  ("MAILBOXID" SP "(" objectid ")") / ("DELETED-STORAGE" SP number64)
/// ```
fn status_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, StatusItem> {
    let (rest, name) = atom_raw(i)?;
    let (rest, ()) = sp(cx, rest)?;
    let upper = Upper::new(name);
    let n32 = |r| number(cx, r);
    match upper.as_bytes() {
        b"MESSAGES" => n32(rest).map(|(r, n)| (r, StatusItem::Messages(n))),
        b"RECENT" => n32(rest).map(|(r, n)| (r, StatusItem::Recent(n))),
        b"UIDNEXT" => n32(rest).map(|(r, n)| (r, StatusItem::UidNext(n))),
        b"UIDVALIDITY" => n32(rest).map(|(r, n)| (r, StatusItem::UidValidity(n))),
        b"UNSEEN" => n32(rest).map(|(r, n)| (r, StatusItem::Unseen(n))),
        b"DELETED" => n32(rest).map(|(r, n)| (r, StatusItem::Deleted(n))),
        b"SIZE" => number64(cx, rest).map(|(r, n)| (r, StatusItem::Size(n))),
        b"HIGHESTMODSEQ" => number64(cx, rest).map(|(r, n)| (r, StatusItem::HighestModSeq(n))),
        b"DELETED-STORAGE" => number64(cx, rest).map(|(r, n)| (r, StatusItem::DeletedStorage(n))),
        b"APPENDLIMIT" => {
            if let Ok((r, ())) = nil(rest) {
                return Ok((r, StatusItem::AppendLimit(None)));
            }
            n32(rest).map(|(r, n)| (r, StatusItem::AppendLimit(Some(n))))
        }
        b"MAILBOXID" => paren_objectid(cx, rest).map(|(r, id)| (r, StatusItem::MailboxId(id))),
        _ => {
            let (r, value) = number64(cx, rest)?;
            Ok((
                r,
                StatusItem::Other {
                    name: Atom::from_checked(cx.slice(name)),
                    value,
                },
            ))
        }
    }
}

/// ```abnf
/// mailbox-data =/ "SEARCH" *(SP nz-number) [SP search-sort-mod-seq]
/// sort-data    = "SORT" *(SP nz-number) [SP search-sort-mod-seq]
/// search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"
/// ```
///
/// A hand-written loop: a SEARCH answer can hold tens of thousands of numbers.
fn number_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Vec<u32>, Option<u64>)> {
    let mut numbers = Vec::with_capacity(i.len() / 6);
    let mut i = i;
    loop {
        match i {
            [b' ', d, ..] if d.is_ascii_digit() => {
                let digits = i.get(1..).unwrap_or_default();
                let (rest, n) = scan_nz_u32(digits)
                    .ok_or(())
                    .or_else(|()| nz_number(cx, digits).map(|(r, n)| (r, n.get())))?;
                numbers.push(n);
                i = rest;
            }
            [b' ', b'(', ..] => {
                let (rest, ()) = sp(cx, i)?;
                let (rest, ()) = open_paren(rest)?;
                let (rest, ()) = keyword(rest, "MODSEQ")?;
                let (rest, ()) = sp(cx, rest)?;
                let (rest, m) = number64(cx, rest)?;
                let (rest, ()) = close_paren(cx, rest)?;
                return Ok((rest, (numbers, Some(m))));
            }
            [b' ', b' ', ..] if cx.leniency.extra_spaces => {
                cx.quirk();
                i = i.get(1..).unwrap_or_default();
            }
            _ => return Ok((i, (numbers, None))),
        }
    }
}

/// Fast path of `nz-number`: up to 9 digits (no overflow possible), not starting with `0`,
/// not followed by another digit. `None` sends the caller to the general parser.
#[inline]
fn scan_nz_u32(i: &[u8]) -> Option<(&[u8], u32)> {
    let mut n: u32 = 0;
    let mut k = 0;
    for &b in i.iter().take(9) {
        if !b.is_ascii_digit() {
            break;
        }
        n = n * 10 + u32::from(b - b'0');
        k += 1;
    }
    let rest = i.get(k..)?;
    if k == 0 || n == 0 || i.first() == Some(&b'0') || rest.first().is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    Some((rest, n))
}

/// ```abnf
/// esearch-response  = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
/// search-correlator = SP "(" "TAG" SP tag-string ")"
/// search-return-data = "MIN" SP nz-number / "MAX" SP nz-number / "ALL" SP sequence-set /
///                      "COUNT" SP number / "MODSEQ" SP mod-sequence-value /
///                      search-modifier-name SP search-return-value
/// ```
///
/// Lenient (`extra_spaces` family, MailKit #323): `MODSEQ (n)`.
fn esearch<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ESearch> {
    let mut out = ESearch::default();
    let mut i = i;
    if let Some(rest) = i.strip_prefix(b" (") {
        let (rest, ()) = keyword(rest, "TAG")?;
        let (rest, ()) = sp(cx, rest)?;
        let (rest, t) = if rest.first() == Some(&b'"') || rest.first() == Some(&b'{') {
            string(cx, rest)?
        } else {
            astring(cx, rest).map(|(r, a)| (r, IString::from(a)))?
        };
        let (rest, ()) = close_paren(cx, rest)?;
        out.tag = Some(t);
        i = rest;
    }
    if let Some(rest) = i.strip_prefix(b" ")
        && let Ok((after, word)) = atom_raw(rest)
        && word.eq_ignore_ascii_case(b"UID")
    {
        out.uid = true;
        i = after;
    }
    loop {
        if at_eol(cx, i) {
            return Ok((i, out));
        }
        let (rest, ()) = sp(cx, i)?;
        if at_eol(cx, rest) {
            if !cx.leniency.extra_spaces {
                return syntax(rest, "SP");
            }
            return Ok((rest, out));
        }
        let (rest, name) = atom_raw(rest)?;
        let (rest, ()) = sp(cx, rest)?;
        let upper = Upper::new(name);
        let (rest, item) = match upper.as_bytes() {
            b"MIN" => nz_number(cx, rest).map(|(r, n)| (r, ESearchItem::Min(n.get())))?,
            b"MAX" => nz_number(cx, rest).map(|(r, n)| (r, ESearchItem::Max(n.get())))?,
            b"COUNT" => number(cx, rest).map(|(r, n)| (r, ESearchItem::Count(n)))?,
            b"ALL" => sequence_set(cx, rest).map(|(r, s)| (r, ESearchItem::All(s)))?,
            b"MODSEQ" => {
                if rest.first() == Some(&b'(') && cx.leniency.modseq_in_parens {
                    cx.quirk();
                    let (r, ()) = open_paren(rest)?;
                    let (r, n) = number64(cx, r)?;
                    let (r, ()) = close_paren(cx, r)?;
                    (r, ESearchItem::ModSeq(n))
                } else {
                    number64(cx, rest).map(|(r, n)| (r, ESearchItem::ModSeq(n)))?
                }
            }
            _ => {
                let (r, value) = token(cx, rest)?;
                (
                    r,
                    ESearchItem::Other {
                        name: Atom::from_checked(cx.slice(name)),
                        value,
                    },
                )
            }
        };
        out.items.push(item);
        i = rest;
    }
}

/// ```abnf
/// thread-data    = "THREAD" [SP 1*thread-list]
/// thread-list    = "(" (thread-members / thread-nested) ")"
/// thread-members = nz-number *(SP nz-number) [SP thread-nested]
/// thread-nested  = 2*thread-list
/// ```
fn thread_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Thread>> {
    if at_eol(cx, i) {
        return Ok((i, Vec::new()));
    }
    let (mut i, ()) = sp(cx, i)?;
    let mut out = Vec::new();
    while i.first() == Some(&b'(') {
        let (rest, t) = thread_list(cx, i)?;
        out.push(t);
        i = rest;
    }
    Ok((i, out))
}

/// One `thread-list`. A single nested list (not allowed by `2*thread-list`) is accepted: it
/// has only one reading.
fn thread_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Thread> {
    let (i, ()) = open_paren(i)?;
    let _depth = cx.nest(Nest::List, i)?;
    let mut t = Thread::default();
    let mut i = i;
    loop {
        if i.first().is_some_and(u8::is_ascii_digit) {
            let (rest, n) = nz_number(cx, i)?;
            t.members.push(n.get());
            i = rest;
            if let Some(rest) = i.strip_prefix(b" ") {
                i = rest;
                continue;
            }
        }
        break;
    }
    while i.first() == Some(&b'(') {
        let (rest, child) = thread_list(cx, i)?;
        t.children.push(child);
        i = rest;
    }
    if t.members.is_empty() && t.children.is_empty() {
        return syntax(i, "thread-list");
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((i, t))
}

/// ```abnf
/// expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids
/// ```
fn vanished<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (mut i, ()) = sp(cx, i)?;
    let mut earlier = false;
    if i.first() == Some(&b'(') {
        let (r, ()) = open_paren(i)?;
        let (r, ()) = keyword(r, "EARLIER")?;
        let (r, ()) = close_paren(cx, r)?;
        let (r, ()) = sp(cx, r)?;
        earlier = true;
        i = r;
    }
    let (i, uids) = sequence_set(cx, i)?;
    Ok((i, Data::Vanished { earlier, uids }))
}

/// ```abnf
/// namespace-response = "NAMESPACE" SP namespace SP namespace SP namespace
/// namespace = nil / "(" 1*namespace-descr ")"
/// namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
///                   [namespace-response-extensions] ")"
/// namespace-response-extensions = *namespace-response-extension
/// namespace-response-extension = SP string SP "(" string *(SP string) ")"
/// ```
fn namespace<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Namespaces> {
    let (i, ()) = sp(cx, i)?;
    let (i, personal) = namespace_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, other) = namespace_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, shared) = namespace_list(cx, i)?;
    Ok((
        i,
        Namespaces {
            personal,
            other,
            shared,
        },
    ))
}

fn namespace_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<NamespaceDescription>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    let (mut i, ()) = open_paren(i)?;
    let _depth = cx.nest(Nest::List, i)?;
    let mut out = Vec::new();
    loop {
        let (rest, d) = namespace_descr(cx, i)?;
        out.push(d);
        i = rest;
        if cx.leniency.extra_spaces && i.first() == Some(&b' ') && i.get(1) == Some(&b'(') {
            cx.quirk();
            i = i.get(1..).unwrap_or_default();
        }
        if i.first() != Some(&b'(') {
            break;
        }
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((i, out))
}

fn namespace_descr<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, NamespaceDescription> {
    let (i, ()) = open_paren(i)?;
    let (i, prefix) = string(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (mut i, delimiter) = delimiter(cx, i)?;
    let mut extensions = Vec::new();
    while i.first() == Some(&b' ') {
        let (rest, ()) = sp(cx, i)?;
        if rest.first() == Some(&b')') {
            i = rest;
            break;
        }
        let (rest, name) = string(cx, rest)?;
        let (rest, ()) = sp(cx, rest)?;
        let (rest, values) = paren_list(cx, rest, |i| string(cx, i))?;
        extensions.push((name, values));
        i = rest;
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((
        i,
        NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        },
    ))
}

/// ```abnf
/// id-response = "ID" SP id-params-list
/// id-params-list = "(" *(string SP nstring) ")" / nil     ; RFC 2971 (pairs space-separated)
/// ```
fn id_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<Vec<(IString, NString)>>> {
    let (i, ()) = sp(cx, i)?;
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    let (rest, pairs) = paren_list(cx, i, |i| {
        let (i, k) = string(cx, i)?;
        let (i, ()) = sp(cx, i)?;
        let (i, v) = nstring(cx, i)?;
        Ok((i, (k, v)))
    })?;
    Ok((rest, Some(pairs)))
}

/// ```abnf
/// quota-response = "QUOTA" SP quota-root-name SP quota-list
/// quota-list     = "(" quota-resource *(SP quota-resource) ")"
/// quota-resource = resource-name SP resource-usage SP resource-limit
/// ```
fn quota<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (i, ()) = sp(cx, i)?;
    let (i, root) = astring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, resources) = paren_list(cx, i, |i| {
        let (i, name) = atom(cx, i)?;
        let (i, ()) = sp(cx, i)?;
        let (i, usage) = number64(cx, i)?;
        let (i, ()) = sp(cx, i)?;
        let (i, limit) = number64(cx, i)?;
        Ok((i, QuotaResource { name, usage, limit }))
    })?;
    Ok((i, Data::Quota { root, resources }))
}

/// ```abnf
/// quotaroot-response = "QUOTAROOT" SP mailbox *(SP quota-root-name)
/// ```
fn quota_root<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (i, ()) = sp(cx, i)?;
    let (i, mailbox) = mailbox(cx, i)?;
    let (i, roots) = sp_items(cx, i, |i| astring(cx, i))?;
    Ok((i, Data::QuotaRoot { mailbox, roots }))
}

/// ```abnf
/// metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)
/// entry-values  = "(" entry-value *(SP entry-value) ")"
/// entry-value   = entry SP value
/// entry-list    = entry *(SP entry)
/// value         = nstring / literal8
/// entry         = astring
/// ```
fn metadata<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Data> {
    let (i, ()) = sp(cx, i)?;
    let (i, mailbox) = mailbox(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    if i.first() == Some(&b'(') {
        let (i, values) = paren_list(cx, i, |i| {
            let (i, entry) = astring(cx, i)?;
            let (i, ()) = sp(cx, i)?;
            let (i, value) = metadata_value(cx, i)?;
            Ok((i, (entry, value)))
        })?;
        return Ok((
            i,
            Data::Metadata {
                mailbox,
                items: MetadataItems::Values(values),
            },
        ));
    }
    let (i, first) = astring(cx, i)?;
    let (i, mut rest) = sp_items(cx, i, |i| astring(cx, i))?;
    rest.insert(0, first);
    Ok((
        i,
        Data::Metadata {
            mailbox,
            items: MetadataItems::Entries(rest),
        },
    ))
}

/// `nstring / literal8`.
fn metadata_value<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<Literal8>> {
    match i.first() {
        Some(b'~' | b'{') => p::literal8(cx, i).map(|(r, v)| (r, Some(v))),
        _ => nstring(cx, i).map(|(r, s)| (r, s.0.map(Literal8::from))),
    }
}

// ---------------------------------------------------------------------------------------------
// FETCH

/// Items a FETCH usually has room for: small enough (4 × 144 octets) to stay in the
/// allocator's per-thread cache, which larger requests miss.
const ITEMS_CAPACITY: usize = 4;

/// ```abnf
/// msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
/// ```
///
/// Item-level recovery: an item whose value breaks its grammar becomes
/// [`FetchItem::Invalid`] when the value's extent can still be found (balanced parentheses,
/// strings and literals); the other items survive.
fn msg_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<FetchItem>> {
    let (mut i, ()) = open_paren(i)?;
    let mut items = Vec::with_capacity(ITEMS_CAPACITY);
    if let Ok((rest, ())) = close_paren(cx, i) {
        return Ok((rest, items));
    }
    loop {
        let (rest, item) = fetch_item(cx, i)?;
        items.push(item);
        if let Ok((rest, ())) = close_paren(cx, rest) {
            return Ok((rest, items));
        }
        let (rest, ()) = sp(cx, rest)?;
        i = rest;
    }
}

/// The length of a FETCH item name's keyword part: letters, digits, `.`, `-`, `_`.
#[inline]
fn item_name_len(i: &[u8]) -> usize {
    i.iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'))
        .unwrap_or(i.len())
}

/// Which typed item a name is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemName {
    Flags,
    Uid,
    InternalDate,
    Rfc822Size,
    Rfc822,
    Rfc822Header,
    Rfc822Text,
    Body,
    BodyStructure,
    Binary,
    BinarySize,
    Envelope,
    ModSeq,
    EmailId,
    ThreadId,
    SaveDate,
    Preview,
    GmMsgId,
    GmThrId,
    GmLabels,
}

/// Matches an item name on its length first, then its bytes (ignoring case).
#[inline]
fn classify_item(name: &[u8]) -> Option<ItemName> {
    let eq = |w: &[u8]| name.eq_ignore_ascii_case(w);
    let n = match name.len() {
        3 if eq(b"UID") => ItemName::Uid,
        4 if eq(b"BODY") => ItemName::Body,
        5 if eq(b"FLAGS") => ItemName::Flags,
        6 if eq(b"RFC822") => ItemName::Rfc822,
        6 if eq(b"MODSEQ") => ItemName::ModSeq,
        6 if eq(b"BINARY") => ItemName::Binary,
        7 if eq(b"EMAILID") => ItemName::EmailId,
        7 if eq(b"PREVIEW") => ItemName::Preview,
        8 if eq(b"ENVELOPE") => ItemName::Envelope,
        8 if eq(b"THREADID") => ItemName::ThreadId,
        8 if eq(b"SAVEDATE") => ItemName::SaveDate,
        10 if eq(b"X-GM-MSGID") => ItemName::GmMsgId,
        10 if eq(b"X-GM-THRID") => ItemName::GmThrId,
        11 if eq(b"RFC822.SIZE") => ItemName::Rfc822Size,
        11 if eq(b"RFC822.TEXT") => ItemName::Rfc822Text,
        11 if eq(b"BINARY.SIZE") => ItemName::BinarySize,
        11 if eq(b"X-GM-LABELS") => ItemName::GmLabels,
        12 if eq(b"INTERNALDATE") => ItemName::InternalDate,
        13 if eq(b"RFC822.HEADER") => ItemName::Rfc822Header,
        13 if eq(b"BODYSTRUCTURE") => ItemName::BodyStructure,
        _ => return None,
    };
    Some(n)
}

/// One `msg-att-dynamic / msg-att-static`, or an unknown item as a token tree.
fn fetch_item<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchItem> {
    let n = item_name_len(i);
    if n == 0 {
        return syntax(i, "msg-att");
    }
    let (word, after) = i.split_at(n);
    let Some(kind) = classify_item(word) else {
        return other_item(cx, i);
    };
    // Items with a section: the name runs to the end of the section and origin.
    let (value_at, head) = match kind {
        ItemName::Body if after.first() == Some(&b'[') => {
            let (rest, section) = section(cx, after)?;
            let (rest, origin) = origin(cx, rest)?;
            let (rest, ()) = sp(cx, rest)?;
            (rest, Head::Body(section, origin))
        }
        ItemName::Binary | ItemName::BinarySize => {
            let (rest, section) = section_binary(cx, after)?;
            let (rest, origin) = if kind == ItemName::Binary {
                origin(cx, rest)?
            } else {
                (rest, None)
            };
            let (rest, ()) = sp(cx, rest)?;
            (rest, Head::Binary(section, origin))
        }
        _ => {
            let (rest, ()) = sp(cx, after)?;
            (rest, Head::Plain)
        }
    };
    match item_value(cx, value_at, kind, head) {
        Ok(ok) => Ok(ok),
        Err(nom::Err::Incomplete(n)) => Err(nom::Err::Incomplete(n)),
        Err(err) => {
            // Item-level recovery: find the value's extent without its grammar.
            let Ok((rest, ())) = skip_value(cx, value_at) else {
                return Err(err);
            };
            let name_len = cx.offset(value_at).saturating_sub(cx.offset(i));
            let name = i.get(..name_len).unwrap_or_default();
            let name = trim_trailing_spaces(name);
            let raw_len = cx.offset(rest).saturating_sub(cx.offset(value_at));
            let raw = value_at.get(..raw_len).unwrap_or_default();
            Ok((
                rest,
                FetchItem::Invalid(InvalidItem {
                    name: cx.slice(name),
                    raw: cx.slice(raw),
                    error: cx.error(err),
                }),
            ))
        }
    }
}

fn trim_trailing_spaces(mut s: &[u8]) -> &[u8] {
    while let Some((b' ', head)) = s.split_last() {
        s = head;
    }
    s
}

/// What came with the item name.
enum Head {
    Plain,
    Body(Section, Option<u32>),
    Binary(Vec<u32>, Option<u32>),
}

/// The value of a typed item.
fn item_value<'a>(cx: &Cx<'_>, i: &'a [u8], kind: ItemName, head: Head) -> PResult<'a, FetchItem> {
    match (kind, head) {
        (ItemName::Body, Head::Body(section, origin)) => {
            let (rest, data) = payload_nstring(cx, i)?;
            Ok((
                rest,
                FetchItem::BodySection {
                    section,
                    origin,
                    data,
                },
            ))
        }
        (ItemName::Binary, Head::Binary(section, origin)) => {
            let (rest, data) = payload_binary(cx, i)?;
            Ok((
                rest,
                FetchItem::Binary {
                    section,
                    origin,
                    data,
                },
            ))
        }
        (ItemName::BinarySize, Head::Binary(section, _)) => {
            let (rest, size) = number(cx, i)?;
            Ok((rest, FetchItem::BinarySize { section, size }))
        }
        (ItemName::Flags, _) => {
            let (rest, flags) = paren_list(cx, i, |i| flag_fetch(cx, i))?;
            Ok((rest, FetchItem::Flags(flags)))
        }
        (ItemName::Uid, _) => {
            let (rest, n) = match scan_nz_u32(i) {
                Some(v) => v,
                None => nz_number(cx, i).map(|(r, n)| (r, n.get()))?,
            };
            Ok((rest, FetchItem::Uid(n)))
        }
        (ItemName::InternalDate, _) => {
            let (rest, d) = date_time(cx, i)?;
            Ok((rest, FetchItem::InternalDate(d)))
        }
        (ItemName::Rfc822Size, _) => {
            if i.first() == Some(&b'-') && cx.leniency.negative_numbers {
                // `RFC822.SIZE -1` (seen from broken servers): read as 0 and flagged.
                let (rest, _) = number64(cx, i.get(1..).unwrap_or_default())?;
                cx.quirk();
                return Ok((rest, FetchItem::Rfc822Size(0)));
            }
            let (rest, n) = number64(cx, i)?;
            Ok((rest, FetchItem::Rfc822Size(n)))
        }
        (ItemName::Rfc822, _) => payload_nstring(cx, i).map(|(r, d)| (r, FetchItem::Rfc822(d))),
        (ItemName::Rfc822Header, _) => {
            payload_nstring(cx, i).map(|(r, d)| (r, FetchItem::Rfc822Header(d)))
        }
        (ItemName::Rfc822Text, _) => {
            payload_nstring(cx, i).map(|(r, d)| (r, FetchItem::Rfc822Text(d)))
        }
        (ItemName::Body, _) => body(cx, i).map(|(r, b)| (r, FetchItem::Body(Box::new(b)))),
        (ItemName::BodyStructure, _) => {
            body(cx, i).map(|(r, b)| (r, FetchItem::BodyStructure(Box::new(b))))
        }
        (ItemName::Envelope, _) => {
            envelope(cx, i).map(|(r, e)| (r, FetchItem::Envelope(Box::new(e))))
        }
        (ItemName::ModSeq, _) => {
            let (r, ()) = open_paren(i)?;
            let (r, n) = number64(cx, r)?;
            let (r, ()) = close_paren(cx, r)?;
            Ok((r, FetchItem::ModSeq(n)))
        }
        (ItemName::EmailId, _) => paren_objectid(cx, i).map(|(r, id)| (r, FetchItem::EmailId(id))),
        (ItemName::ThreadId, _) => {
            if let Ok((r, ())) = nil(i) {
                return Ok((r, FetchItem::ThreadId(None)));
            }
            paren_objectid(cx, i).map(|(r, id)| (r, FetchItem::ThreadId(Some(id))))
        }
        (ItemName::SaveDate, _) => {
            if let Ok((r, ())) = nil(i) {
                return Ok((r, FetchItem::SaveDate(None)));
            }
            date_time(cx, i).map(|(r, d)| (r, FetchItem::SaveDate(Some(d))))
        }
        (ItemName::Preview, _) => nstring(cx, i).map(|(r, s)| (r, FetchItem::Preview(s.0))),
        (ItemName::GmMsgId, _) => number64(cx, i).map(|(r, n)| (r, FetchItem::GmMsgId(n))),
        (ItemName::GmThrId, _) => number64(cx, i).map(|(r, n)| (r, FetchItem::GmThrId(n))),
        (ItemName::GmLabels, _) => {
            let (r, labels) = paren_list(cx, i, |i| gm_label(cx, i))?;
            Ok((r, FetchItem::GmLabels(labels)))
        }
        (ItemName::Binary | ItemName::BinarySize, Head::Plain | Head::Body(..)) => {
            syntax(i, "section-binary")
        }
    }
}

/// A Gmail label: an astring, or a system label written as a flag (`\Inbox`), kept with its
/// backslash.
fn gm_label<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AString> {
    if let Some(name) = i.strip_prefix(b"\\") {
        let (rest, a) = atom_raw(name)?;
        let whole = i.get(..a.len() + 1).unwrap_or_default();
        return Ok((rest, AString::from_checked(cx.slice(whole))));
    }
    astring(cx, i)
}

/// `nstring` for message content, streamed literals included.
fn payload_nstring<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Payload<IString>> {
    let (rest, v) = nstring_streamable(cx, i)?;
    Ok((
        rest,
        match v {
            Streamable::Value(NString(Some(s))) => Payload::Data(s),
            Streamable::Value(NString(None)) => Payload::Nil,
            Streamable::Streamed { len, .. } => Payload::Streamed { len },
        },
    ))
}

/// `nstring / literal8` for BINARY content, streamed literals included.
fn payload_binary<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Payload<Literal8>> {
    match i.first() {
        Some(b'~' | b'{') => {
            let (rest, v) = p::literal8_streamable(cx, i)?;
            Ok((
                rest,
                match v {
                    Streamable::Value(l) => Payload::Data(l),
                    Streamable::Streamed { len, .. } => Payload::Streamed { len },
                },
            ))
        }
        _ => {
            let (rest, s) = nstring(cx, i)?;
            Ok((
                rest,
                s.0.map_or(Payload::Nil, |s| Payload::Data(Literal8::from(s))),
            ))
        }
    }
}

/// ```abnf
/// section         = "[" [section-spec] "]"
/// section-spec    = section-msgtext / (section-part ["." section-text])
/// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
/// section-part    = nz-number *("." nz-number)
/// section-text    = section-msgtext / "MIME"
/// header-list     = "(" header-fld-name *(SP header-fld-name) ")"
/// ```
pub(crate) fn section<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Section> {
    let (mut i, ()) = byte(i, b'[', "section")?;
    let mut out = Section::default();
    if let Some(rest) = i.strip_prefix(b"]") {
        return Ok((rest, out));
    }
    // section-part
    while i.first().is_some_and(u8::is_ascii_digit) {
        let (rest, n) = nz_number(cx, i)?;
        out.part.push(n.get());
        match rest.strip_prefix(b".") {
            Some(after) => i = after,
            None => {
                i = rest;
                break;
            }
        }
    }
    if i.first() != Some(&b']') {
        let (rest, word) = atom_raw(i)?;
        let upper = Upper::new(word);
        let (rest, text) = match upper.as_bytes() {
            b"HEADER" => (rest, SectionText::Header),
            b"TEXT" => (rest, SectionText::Text),
            b"MIME" if !out.part.is_empty() => (rest, SectionText::Mime),
            b"HEADER.FIELDS" | b"HEADER.FIELDS.NOT" => {
                let (r, ()) = sp(cx, rest)?;
                let (r, names) = paren_list(cx, r, |i| astring(cx, i))?;
                if upper.as_bytes().len() == 13 {
                    (r, SectionText::HeaderFields(names))
                } else {
                    (r, SectionText::HeaderFieldsNot(names))
                }
            }
            _ => return syntax(i, "section-text"),
        };
        out.text = Some(text);
        i = rest;
    }
    let (i, ()) = byte(i, b']', "section")?;
    Ok((i, out))
}

/// ```abnf
/// section-binary = "[" [section-part] "]"
/// ```
fn section_binary<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<u32>> {
    let (mut i, ()) = byte(i, b'[', "section-binary")?;
    let mut parts = Vec::new();
    if let Some(rest) = i.strip_prefix(b"]") {
        return Ok((rest, parts));
    }
    loop {
        let (rest, n) = nz_number(cx, i)?;
        parts.push(n.get());
        match rest.strip_prefix(b".") {
            Some(after) => i = after,
            None => {
                let (rest, ()) = byte(rest, b']', "section-binary")?;
                return Ok((rest, parts));
            }
        }
    }
}

/// `["<" number ">"]`: the origin octet of a partial fetch.
fn origin<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<u32>> {
    let Some(rest) = i.strip_prefix(b"<") else {
        return Ok((i, None));
    };
    let (rest, n) = number(cx, rest)?;
    let (rest, ()) = byte(rest, b'>', "origin")?;
    Ok((rest, Some(n)))
}

/// An unknown item: `name [section] [<origin>] SP token`.
fn other_item<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchItem> {
    let n = token_atom_len(i);
    if n == 0 {
        return syntax(i, "msg-att");
    }
    let (name, rest) = i.split_at(n);
    let (rest, ()) = sp(cx, rest)?;
    let (rest, value) = token(cx, rest)?;
    Ok((
        rest,
        FetchItem::Other {
            name: cx.slice(name),
            value,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Token trees and the value skipper

/// Length of a token atom: bytes other than SP, `(`, `)`, `"`, `{`, CR, LF and NUL, where a
/// `[` opens a section in which anything but CR, LF and NUL goes up to the matching `]`.
pub(crate) fn token_atom_len(i: &[u8]) -> usize {
    let mut k = 0;
    let mut bracket = 0usize;
    while let Some(&b) = i.get(k) {
        match b {
            b'\r' | b'\n' | 0 => break,
            b'[' => bracket += 1,
            b']' if bracket > 0 => bracket -= 1,
            b' ' | b'(' | b')' | b'"' | b'{' if bracket == 0 => break,
            _ => {}
        }
        k += 1;
    }
    if bracket > 0 {
        // An unclosed `[`: the atom stops before it.
        return memchr::memchr(b'[', i.get(..k).unwrap_or_default()).unwrap_or(k);
    }
    k
}

/// ```abnf
/// token = token-atom / string / literal8 / "(" [token *(SP token)] ")"
/// ```
pub(crate) fn token<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Token> {
    match i.first() {
        Some(b'(') => {
            let (rest, list) = paren_list(cx, i, |i| token(cx, i))?;
            Ok((rest, Token::List(list)))
        }
        Some(b'"') => quoted(cx, i).map(|(r, s)| (r, Token::String(s))),
        Some(b'{') => p::literal(cx, i).map(|(r, s)| (r, Token::String(s))),
        Some(b'~') if i.get(1) == Some(&b'{') => {
            p::literal8(cx, i).map(|(r, s)| (r, Token::Literal8(s)))
        }
        _ => {
            let n = token_atom_len(i);
            if n == 0 {
                return syntax(i, "token");
            }
            let (a, rest) = i.split_at(n);
            Ok((rest, Token::Atom(cx.slice(a))))
        }
    }
}

/// Skips one value without its grammar: balanced parentheses, quoted strings (escapes
/// honoured), literals and literal8s (streamed ones too), token atoms. No recursion: depth is
/// a counter, so no input can exhaust the stack here.
pub(crate) fn skip_value<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ()> {
    let mut depth = 0usize;
    let mut i = i;
    loop {
        match i.first() {
            Some(b'(') => {
                depth += 1;
                i = i.get(1..).unwrap_or_default();
                continue;
            }
            Some(b')') if depth > 0 => {
                depth -= 1;
                i = i.get(1..).unwrap_or_default();
            }
            Some(b' ') if depth > 0 => {
                i = i.get(1..).unwrap_or_default();
                continue;
            }
            Some(b'"') => i = skip_quoted(i)?,
            Some(b'{') => i = skip_literal(cx, i)?,
            Some(b'~') if i.get(1) == Some(&b'{') => {
                i = skip_literal(cx, i.get(1..).unwrap_or_default())?
            }
            _ => {
                let n = token_atom_len(i);
                if n == 0 {
                    return syntax(i, "value");
                }
                i = i.get(n..).unwrap_or_default();
            }
        }
        if depth == 0 {
            return Ok((i, ()));
        }
    }
}

/// Skips `"{" number64 ["+"] "}" CRLF` and the data (whatever octets it holds), or only the
/// announcement when the framer streamed the data out.
fn skip_literal<'a>(cx: &Cx<'_>, i: &'a [u8]) -> Result<&'a [u8], nom::Err<super::PErr<'a>>> {
    let (rest, ()) = byte(i, b'{', "literal")?;
    let (rest, len) = number64(cx, rest)?;
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    let (rest, ()) = byte(rest, b'}', "literal")?;
    let rest = match rest {
        [b'\r', b'\n', rest @ ..] => rest,
        [b'\n', rest @ ..] if cx.leniency.bare_lf => rest,
        _ => return syntax(rest, "literal").map(|(r, ())| r),
    };
    if cx.is_streamed(rest) {
        return Ok(rest);
    }
    let n = usize::try_from(len).unwrap_or(usize::MAX);
    match rest.get(n..) {
        Some(after) => Ok(after),
        None => syntax(rest.get(rest.len()..).unwrap_or_default(), "literal").map(|(r, ())| r),
    }
}

/// Whether `raw` is exactly one value for [`skip_value`] (what an invalid FETCH item keeps).
pub(crate) fn is_one_value(raw: &[u8]) -> bool {
    let unit = Bytes::copy_from_slice(raw);
    let limits = crate::config::Limits::default();
    let cx = Cx::new(&unit, crate::config::Leniency::strict(), &limits);
    matches!(skip_value(&cx, cx.input()), Ok(([], ())))
}

/// Skips a quoted string, escapes honoured; CR, LF or the end of input before the closing
/// quote is an error.
fn skip_quoted(i: &[u8]) -> Result<&[u8], nom::Err<super::PErr<'_>>> {
    let mut k = 1;
    loop {
        match i.get(k) {
            Some(b'\\') => k += 2,
            Some(b'"') => return Ok(i.get(k + 1..).unwrap_or_default()),
            Some(b'\r' | b'\n') | None => {
                return Err(nom::Err::Error(super::PErr::new(
                    i.get(k..).unwrap_or_default(),
                    "quoted",
                    ParseErrorKind::Syntax,
                )));
            }
            Some(_) => k += 1,
        }
    }
}
