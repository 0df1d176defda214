//! What IMAP says about a message's MIME structure: ENVELOPE, BODY and BODYSTRUCTURE, the
//! octets of `BODY[section]`, and the decoded octets of `BINARY[part]`.
//!
//! The MIME parsing is `mail-parser` (Stalwart's): it gives every part's header and body
//! offsets in the raw message, which is what IMAP sections are made of, and the parsed
//! header values (addresses, content types with RFC 2231 parameters) ENVELOPE and
//! BODYSTRUCTURE need. This module only maps its tree onto the IMAP grammar.

use std::borrow::Cow;

use base64::Engine;
use imap_proto::command::{Section, SectionText};
use imap_proto::response::{
    Address, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail, MultipartExtension,
    SingleKind, SinglePartExtension,
};
use imap_proto::types::{IString, NString};
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

/// ENVELOPE and BODYSTRUCTURE of one message: small, so a session keeps them per UID.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub(crate) envelope: Envelope,
    pub(crate) structure: BodyStructure,
}

/// Parses `raw`; a message `mail-parser` cannot read at all is one empty text part.
pub(crate) fn parse(raw: &[u8]) -> Option<Message<'_>> {
    MessageParser::default().parse(raw)
}

/// The ENVELOPE and BODYSTRUCTURE of `raw`.
pub(crate) fn summary(raw: &[u8]) -> Summary {
    match parse(raw) {
        Some(msg) => {
            let root = msg.root_part();
            Summary {
                envelope: envelope(&msg),
                structure: structure(&msg, root, 0),
            }
        }
        None => Summary {
            envelope: Envelope::default(),
            structure: BodyStructure::Single {
                kind: SingleKind::Text {
                    subtype: istr("PLAIN"),
                    lines: count_lines(raw),
                },
                fields: BodyFields {
                    params: vec![(istr("CHARSET"), istr("US-ASCII"))],
                    encoding: istr("7BIT"),
                    octets: u32::try_from(raw.len()).unwrap_or(u32::MAX),
                    ..BodyFields::default()
                },
                extension: SinglePartExtension::default(),
            },
        },
    }
}

/// BODY: BODYSTRUCTURE without the extension data.
pub(crate) fn without_extensions(body: &BodyStructure) -> BodyStructure {
    match body {
        BodyStructure::Single { kind, fields, .. } => {
            let kind = match kind {
                SingleKind::Message {
                    subtype,
                    envelope,
                    body,
                    lines,
                } => SingleKind::Message {
                    subtype: subtype.clone(),
                    envelope: envelope.clone(),
                    body: Box::new(without_extensions(body)),
                    lines: *lines,
                },
                other => other.clone(),
            };
            BodyStructure::Single {
                kind,
                fields: fields.clone(),
                extension: SinglePartExtension::default(),
            }
        }
        BodyStructure::Multipart { parts, subtype, .. } => BodyStructure::Multipart {
            parts: parts.iter().map(without_extensions).collect(),
            subtype: subtype.clone(),
            extension: MultipartExtension::default(),
        },
        other => other.clone(),
    }
}

fn istr(s: &str) -> IString {
    IString::try_from(s.replace('\0', " ")).unwrap_or_default()
}

fn nstr(s: Option<&str>) -> NString {
    NString(s.map(istr))
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr_count(bytes, b'\n')
}

fn memchr_count(bytes: &[u8], byte: u8) -> u64 {
    bytes.iter().filter(|&&b| b == byte).count() as u64
}

/// The octets from `start` to `end` (offsets as mail-parser gives them) of `msg`'s
/// buffer. A message/rfc822 part's own buffer starts where its header does, while its
/// offsets count from the top of the outer message (or from 0 when it was decoded from
/// base64 or quoted-printable first): the first part's header offset is the base.
fn slice<'a>(msg: &'a Message<'_>, start: u32, end: u32) -> &'a [u8] {
    let raw = msg.raw_message();
    let base = msg.parts.first().map_or(0, |p| p.offset_header as usize);
    let end = (end as usize).saturating_sub(base).min(raw.len());
    let start = (start as usize).saturating_sub(base).min(end);
    raw.get(start..end).unwrap_or_default()
}

/// A header field's raw value in `part` (first occurrence), unfolded and trimmed.
fn raw_header(msg: &Message<'_>, part: &MessagePart<'_>, name: &str) -> Option<String> {
    let h = part
        .headers
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))?;
    let raw = slice(msg, h.offset_start, h.offset_end);
    let text = String::from_utf8_lossy(raw);
    let unfolded: String = text.chars().filter(|&c| c != '\r' && c != '\n').collect();
    Some(unfolded.trim().to_owned())
}

/// A display name for an ENVELOPE address: as it is when ASCII, else an RFC 2047 encoded
/// word (mail-parser gives it decoded; IMAP sends header text undecoded).
fn encoded_word(name: &str) -> String {
    if name.is_ascii() {
        name.to_owned()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(name.as_bytes())
        )
    }
}

fn address(addr: &mail_parser::Addr<'_>) -> Address {
    let (mailbox, host) = match addr.address.as_deref() {
        Some(a) => match a.rsplit_once('@') {
            Some((local, host)) => (Some(local), Some(host)),
            None => (Some(a), None),
        },
        None => (None, None),
    };
    Address {
        name: NString(addr.name.as_deref().map(|n| istr(&encoded_word(n)))),
        adl: NString::NIL,
        mailbox: nstr(mailbox),
        // RFC 3501: a missing host is the group syntax; give an address without a domain
        // an empty one instead.
        host: NString(Some(istr(host.unwrap_or("")))),
    }
}

fn addresses(value: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    let mut out = Vec::new();
    match value {
        Some(mail_parser::Address::List(list)) => out.extend(list.iter().map(address)),
        Some(mail_parser::Address::Group(groups)) => {
            for g in groups {
                match &g.name {
                    Some(name) => {
                        out.push(Address {
                            mailbox: nstr(Some(&encoded_word(name))),
                            ..Address::default()
                        });
                        out.extend(g.addresses.iter().map(address));
                        out.push(Address::default());
                    }
                    None => out.extend(g.addresses.iter().map(address)),
                }
            }
        }
        None => {}
    }
    out
}

/// ENVELOPE (RFC 9051 §7.5.2): header texts as they are, addresses parsed; Sender and
/// Reply-To default to From.
pub(crate) fn envelope(msg: &Message<'_>) -> Envelope {
    let root = msg.root_part();
    let raw = |name: &str| NString(raw_header(msg, root, name).map(|v| istr(&v)));
    let from = addresses(msg.from());
    let sender = match msg.sender() {
        Some(s) => addresses(Some(s)),
        None => from.clone(),
    };
    let reply_to = match msg.reply_to() {
        Some(s) => addresses(Some(s)),
        None => from.clone(),
    };
    Envelope {
        date: raw("Date"),
        subject: raw("Subject"),
        from,
        sender,
        reply_to,
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        bcc: addresses(msg.bcc()),
        in_reply_to: raw("In-Reply-To"),
        message_id: raw("Message-ID"),
    }
}

fn params(ct: Option<&mail_parser::ContentType<'_>>) -> Vec<(IString, IString)> {
    ct.and_then(|c| c.attributes())
        .unwrap_or_default()
        .iter()
        .map(|a| (istr(&a.name.to_ascii_uppercase()), istr(&a.value)))
        .collect()
}

fn tail(part: &MessagePart<'_>) -> ExtensionTail {
    let disposition = part.content_disposition().map(|d| Disposition {
        kind: istr(&d.ctype().to_ascii_uppercase()),
        params: params(Some(d)),
    });
    let language = match part.content_language() {
        mail_parser::HeaderValue::Text(t) => vec![istr(t)],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| istr(t)).collect(),
        _ => Vec::new(),
    };
    ExtensionTail {
        disposition,
        language,
        location: nstr(part.content_location()),
        extensions: Vec::new(),
    }
}

/// The octets of `part`'s body in `msg`'s buffer.
fn body_bytes<'a>(msg: &'a Message<'_>, part: &MessagePart<'_>) -> &'a [u8] {
    slice(msg, part.offset_body, part.offset_end)
}

/// A part's content type, with RFC 2045's defaults.
fn content_type(part: &MessagePart<'_>, digest: bool) -> (String, String) {
    match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_uppercase(),
            ct.subtype()
                .map_or_else(|| "PLAIN".to_owned(), str::to_ascii_uppercase),
        ),
        None if digest => ("MESSAGE".to_owned(), "RFC822".to_owned()),
        None => ("TEXT".to_owned(), "PLAIN".to_owned()),
    }
}

const MAX_DEPTH: usize = 8;

/// BODYSTRUCTURE of `part` of `msg` (RFC 9051 §7.5.2), nested parts at most [`MAX_DEPTH`]
/// deep (deeper ones are described as opaque).
fn structure(msg: &Message<'_>, part: &MessagePart<'_>, depth: usize) -> BodyStructure {
    structure_in(msg, part, depth, false)
}

fn structure_in(
    msg: &Message<'_>,
    part: &MessagePart<'_>,
    depth: usize,
    digest: bool,
) -> BodyStructure {
    let (media, subtype) = content_type(part, digest);
    if depth < MAX_DEPTH
        && let PartType::Multipart(children) = &part.body
    {
        let is_digest = subtype == "DIGEST";
        let parts: Vec<BodyStructure> = children
            .iter()
            .filter_map(|&id| msg.parts.get(id as usize))
            .map(|p| structure_in(msg, p, depth + 1, is_digest))
            .collect();
        if !parts.is_empty() {
            return BodyStructure::Multipart {
                parts,
                subtype: istr(&subtype),
                extension: MultipartExtension {
                    params: params(part.content_type()),
                    tail: tail(part),
                },
            };
        }
    }
    let body = body_bytes(msg, part);
    let lines = count_lines(body);
    let mut fields = BodyFields {
        params: params(part.content_type()),
        id: nstr(part.content_id().map(|id| format!("<{id}>")).as_deref()),
        description: nstr(part.content_description()),
        encoding: istr(
            &part
                .content_transfer_encoding()
                .unwrap_or("7BIT")
                .to_ascii_uppercase(),
        ),
        octets: u32::try_from(body.len()).unwrap_or(u32::MAX),
    };
    let kind = match (&part.body, media.as_str()) {
        (PartType::Message(nested), _) if depth < MAX_DEPTH => SingleKind::Message {
            subtype: istr(&subtype),
            envelope: Box::new(envelope(nested)),
            body: Box::new(structure(nested, nested.root_part(), depth + 1)),
            lines,
        },
        (_, "TEXT") => {
            if fields.params.is_empty() {
                fields.params = vec![(istr("CHARSET"), istr("US-ASCII"))];
            }
            SingleKind::Text {
                subtype: istr(&subtype),
                lines,
            }
        }
        // A message/rfc822 that could not be parsed, or a multipart without parts: opaque.
        (_, "MESSAGE" | "MULTIPART") | (PartType::Multipart(_), _) => SingleKind::Basic {
            media_type: istr("APPLICATION"),
            subtype: istr("OCTET-STREAM"),
        },
        _ => SingleKind::Basic {
            media_type: istr(&media),
            subtype: istr(&subtype),
        },
    };
    BodyStructure::Single {
        kind,
        fields,
        extension: SinglePartExtension {
            md5: nstr(raw_header(msg, part, "Content-MD5").as_deref()),
            tail: tail(part),
        },
    }
}

/// Finds the part a section path names: `(message whose buffer the offsets refer to,
/// part)`. The empty path is the message itself.
fn locate<'m, 'x>(
    msg: &'m Message<'x>,
    path: &[u32],
) -> Option<(&'m Message<'x>, &'m MessagePart<'x>)> {
    let mut cur_msg = msg;
    let mut cur = msg.parts.first()?;
    for (i, &n) in path.iter().enumerate() {
        // A message/rfc822 part below the top: its parts are those of the enclosed message.
        if i > 0
            && let PartType::Message(nested) = &cur.body
        {
            cur_msg = nested;
            cur = nested.parts.first()?;
        }
        match &cur.body {
            PartType::Multipart(children) => {
                let id = *children.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
                cur = cur_msg.parts.get(id as usize)?;
            }
            _ if n == 1 => {}
            _ => return None,
        }
    }
    Some((cur_msg, cur))
}

/// The header block of a part (with the blank line that ends it).
fn header_bytes<'a>(msg: &'a Message<'_>, part: &MessagePart<'_>) -> &'a [u8] {
    slice(msg, part.offset_header, part.offset_body)
}

/// The header fields of a header block, each with its continuation lines.
fn fields(header: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < header.len() {
        let end = header
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(header.len(), |p| i + p + 1);
        let line = header.get(i..end).unwrap_or_default();
        let next_continues = header.get(end).is_some_and(|&b| b == b' ' || b == b'\t');
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !next_continues {
            out.push(header.get(start..end).unwrap_or_default());
            start = end;
        }
        i = end;
    }
    out
}

fn field_name(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    field.get(..end).unwrap_or_default().trim_ascii()
}

/// `HEADER.FIELDS` (`keep: true`) or `HEADER.FIELDS.NOT` of a header block, with the
/// blank line.
fn header_fields(header: &[u8], names: &[Vec<u8>], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields(header) {
        let name = field_name(f);
        let listed = names.iter().any(|n| n.eq_ignore_ascii_case(name));
        if listed == keep {
            out.extend_from_slice(f);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// HEADER, TEXT and HEADER.FIELDS of a part are those of the message it encloses (of the
/// message itself at the top).
fn enclosed<'m, 'x>(
    top: bool,
    m: &'m Message<'x>,
    part: &'m MessagePart<'x>,
) -> Option<(&'m Message<'x>, &'m MessagePart<'x>)> {
    if top {
        return Some((m, part));
    }
    match &part.body {
        PartType::Message(nested) => Some((nested, nested.parts.first()?)),
        _ => None,
    }
}

/// The octets `BODY[section]` names, or `None` when the message has no such part.
pub(crate) fn section<'r>(raw: &'r [u8], section: &Section) -> Option<Cow<'r, [u8]>> {
    if section.part.is_empty() && section.text.is_none() {
        return Some(Cow::Borrowed(raw));
    }
    let msg = parse(raw)?;
    let (m, part) = locate(&msg, &section.part)?;
    let top = section.part.is_empty();
    let enclosed = |m, p| enclosed(top, m, p);
    let bytes: Vec<u8> = match &section.text {
        None => body_bytes(m, part).to_vec(),
        Some(SectionText::Mime) => header_bytes(m, part).to_vec(),
        Some(SectionText::Header) => {
            let (m, p) = enclosed(m, part)?;
            header_bytes(m, p).to_vec()
        }
        Some(SectionText::Text) => {
            let (m, p) = enclosed(m, part)?;
            let end = if top { u32::MAX } else { p.offset_end };
            slice(m, p.offset_body, end).to_vec()
        }
        Some(SectionText::HeaderFields(names) | SectionText::HeaderFieldsNot(names)) => {
            let keep = matches!(section.text, Some(SectionText::HeaderFields(_)));
            let (m, p) = enclosed(m, part)?;
            let names: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
            header_fields(header_bytes(m, p), &names, keep)
        }
        Some(_) => return None,
    };
    Some(Cow::Owned(bytes))
}

/// `BINARY[part]` (RFC 3516): the part's body with its transfer encoding undone; `None`
/// when there is no such part, `Some(Err(()))` for an encoding the server cannot undo
/// (`[UNKNOWN-CTE]`).
pub(crate) fn binary(raw: &[u8], part: &[u32]) -> Option<Result<Vec<u8>, ()>> {
    if part.is_empty() {
        return Some(Ok(raw.to_vec()));
    }
    let msg = parse(raw)?;
    let (m, p) = locate(&msg, part)?;
    if matches!(p.body, PartType::Multipart(_)) {
        return None;
    }
    let body = body_bytes(m, p);
    let cte = p
        .content_transfer_encoding()
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    Some(match cte.as_str() {
        "base64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            mail_parser::decoders::base64::base64_decode(&clean).ok_or(())
        }
        "quoted-printable" => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body).ok_or(())
        }
        "7bit" | "8bit" | "binary" => Ok(body.to_vec()),
        _ => Err(()),
    })
}

/// The text SEARCH looks in: `(headers, body)`, decoded (RFC 2047 words, transfer
/// encodings, charsets) where mail-parser can.
pub(crate) fn search_text(raw: &[u8]) -> (String, String) {
    let Some(msg) = parse(raw) else {
        return (String::new(), String::from_utf8_lossy(raw).into_owned());
    };
    let mut headers = String::from_utf8_lossy(header_bytes(&msg, msg.root_part())).into_owned();
    for h in msg.root_part().headers.iter() {
        if let Some(t) = h.value().as_text() {
            headers.push('\n');
            headers.push_str(t);
        }
    }
    let mut body = String::new();
    for p in msg.parts.iter() {
        if let Some(t) = p.text_contents() {
            body.push_str(t);
            body.push('\n');
        }
    }
    (headers, body)
}

/// One header's text for SEARCH and SORT: the decoded values of every `name` field, and
/// for address fields the addresses too.
pub(crate) fn header_text(msg: &Message<'_>, name: &str) -> String {
    let mut out = String::new();
    for h in msg.root_part().headers.iter() {
        if !h.name().eq_ignore_ascii_case(name) {
            continue;
        }
        out.push_str(&String::from_utf8_lossy(slice(
            msg,
            h.offset_start,
            h.offset_end,
        )));
        match h.value() {
            mail_parser::HeaderValue::Text(t) => out.push_str(t),
            mail_parser::HeaderValue::TextList(l) => {
                for t in l {
                    out.push_str(t);
                    out.push(' ');
                }
            }
            mail_parser::HeaderValue::Address(a) => {
                for addr in a.iter() {
                    if let Some(n) = &addr.name {
                        out.push_str(n);
                        out.push(' ');
                    }
                    if let Some(e) = &addr.address {
                        out.push_str(e);
                        out.push(' ');
                    }
                }
            }
            _ => {}
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &[u8] = b"From: Al <al@example.test>\r\nTo: b@example.test\r\nSubject: hi\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\npreamble\r\n--xx\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\nworld\r\n--xx\r\n\
Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: c@example.test\r\n\r\ninner body\r\n\
--xx\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
aGVsbG8=\r\n--xx--\r\n";

    fn sec(part: &[u32], text: Option<SectionText>) -> Section {
        Section {
            part: part.to_vec(),
            text,
        }
    }

    #[test]
    fn sections() {
        let get = |s: Section| String::from_utf8(section(MULTI, &s).unwrap().into_owned()).unwrap();
        assert!(get(sec(&[], Some(SectionText::Header))).ends_with("boundary=\"xx\"\r\n\r\n"));
        assert!(get(sec(&[], Some(SectionText::Text))).starts_with("preamble\r\n--xx"));
        assert_eq!(get(sec(&[1], None)), "hello\r\nworld");
        assert_eq!(
            get(sec(&[1], Some(SectionText::Mime))),
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        );
        assert_eq!(
            get(sec(&[2], Some(SectionText::Header))),
            "Subject: inner\r\nFrom: c@example.test\r\n\r\n"
        );
        assert_eq!(get(sec(&[2, 1], None)), "inner body");
        assert_eq!(get(sec(&[2], Some(SectionText::Text))), "inner body");
        let fields = SectionText::HeaderFields(vec!["subject".try_into().unwrap()]);
        assert_eq!(get(sec(&[], Some(fields))), "Subject: hi\r\n\r\n");
        assert!(section(MULTI, &sec(&[9], None)).is_none());
        assert_eq!(binary(MULTI, &[3]), Some(Ok(b"hello".to_vec())));
    }

    #[test]
    fn structure_and_envelope() {
        let s = summary(MULTI);
        let BodyStructure::Multipart { parts, subtype, .. } = &s.structure else {
            panic!("{:?}", s.structure)
        };
        assert_eq!(subtype.as_bytes(), b"MIXED");
        assert_eq!(parts.len(), 3);
        assert!(matches!(
            &parts[1],
            BodyStructure::Single {
                kind: SingleKind::Message { .. },
                ..
            }
        ));
        assert_eq!(s.envelope.subject.as_bytes(), Some(&b"hi"[..]));
        assert_eq!(
            s.envelope.from[0].host.as_bytes(),
            Some(&b"example.test"[..])
        );
        assert_eq!(s.envelope.sender, s.envelope.from);
        let plain = summary(b"Subject: x\r\n\r\nbody\r\n");
        assert!(matches!(
            plain.structure,
            BodyStructure::Single {
                kind: SingleKind::Text { lines: 1, .. },
                ..
            }
        ));
    }
}
