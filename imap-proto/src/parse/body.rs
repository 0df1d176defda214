//! BODY / BODYSTRUCTURE and ENVELOPE (RFC 9051 §9, RFC 3501 §9).
//!
//! The body parser recurses once per nested part and draws on the BODYSTRUCTURE nesting budget
//! ([`Limits::body_depth`](crate::Limits::body_depth)): `(` × 100 000 fails at the limit with
//! no stack growth past it (security-anchors §8 item 42). Extension data (`body-extension`)
//! nests on the list budget.

use bytes::Bytes;

use super::primitives::{
    byte, close_paren, lenient_number, nil, nstring as nstring_any, number64, open_paren, sp,
    string as string_any,
};
use super::{Cx, Nest, PResult};
use crate::response::{
    Address, BodyExtension, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail,
    MultipartExtension, SingleKind, SinglePartExtension,
};
use crate::types::string::class;
use crate::types::{IString, NString};

/// A quoted string of plain 7-bit characters (no escape), the common case, in one pass.
#[inline]
fn plain_quoted<'a>(cx: &Cx<'_>, i: &'a [u8]) -> Option<(&'a [u8], IString)> {
    let body = i.strip_prefix(b"\"")?;
    let n = class::span(body, class::QUOTED);
    match (body.get(n), body.get(..n), body.get(n + 1..)) {
        (Some(b'"'), Some(run), Some(after)) => {
            Some((after, IString::from_checked(shared(cx, run))))
        }
        _ => None,
    }
}

/// `run` as a [`Bytes`]: a static one for the MIME vocabulary a BODYSTRUCTURE is mostly made
/// of (types, subtypes, encodings, parameter names, charsets, dispositions), byte for byte as
/// sent, so that those strings cost no reference count; a slice of the unit otherwise.
#[inline]
fn shared(cx: &Cx<'_>, run: &[u8]) -> Bytes {
    match known(run) {
        Some(word) => Bytes::from_static(word),
        None => cx.slice(run),
    }
}

/// The static copy of a common MIME token (exact bytes, upper case as servers send them, and
/// the lower-case charsets), `None` for anything else.
fn known(run: &[u8]) -> Option<&'static [u8]> {
    // Dispatch on the length first: most runs are rejected by one comparison.
    let candidates: &[&'static [u8]] = match run.len() {
        3 => &[b"PDF", b"GIF", b"PNG", b"ZIP", b"CSV"],
        4 => &[
            b"TEXT", b"HTML", b"NAME", b"7BIT", b"8BIT", b"JPEG", b"TYPE",
        ],
        5 => &[
            b"PLAIN", b"IMAGE", b"MIXED", b"UTF-8", b"utf-8", b"AUDIO", b"VIDEO", b"DELSP",
        ],
        6 => &[
            b"BASE64", b"BINARY", b"INLINE", b"RFC822", b"FORMAT", b"SIGNED", b"REPORT", b"FLOWED",
        ],
        7 => &[b"MESSAGE", b"CHARSET", b"RELATED"],
        8 => &[
            b"BOUNDARY",
            b"FILENAME",
            b"US-ASCII",
            b"us-ascii",
            b"CALENDAR",
        ],
        10 => &[b"ATTACHMENT", b"ISO-8859-1", b"iso-8859-1"],
        11 => &[b"APPLICATION", b"ALTERNATIVE"],
        12 => &[b"OCTET-STREAM"],
        15 => &[b"DELIVERY-STATUS"],
        16 => &[b"QUOTED-PRINTABLE"],
        _ => return None,
    };
    candidates.iter().copied().find(|word| *word == run)
}

/// `string`, with the plain quoted string handled here (most strings of a BODYSTRUCTURE).
#[inline]
fn string<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, IString> {
    match plain_quoted(cx, i) {
        Some(ok) => Ok(ok),
        None => string_any(cx, i),
    }
}

/// `nstring`, with the plain quoted string and `NIL` handled here (most fields of an
/// ENVELOPE and a BODYSTRUCTURE).
#[inline]
fn nstring<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, NString> {
    if let Some((rest, s)) = plain_quoted(cx, i) {
        return Ok((rest, NString(Some(s))));
    }
    if let [b'N' | b'n', b'I' | b'i', b'L' | b'l', rest @ ..] = i
        && !rest.first().is_some_and(|&b| class::is(b, class::ASTRING))
    {
        return Ok((rest, NString::NIL));
    }
    nstring_any(cx, i)
}

/// ```abnf
/// body = "(" (body-type-1part / body-type-mpart) ")"
/// ```
pub(crate) fn body<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyStructure> {
    let (i, ()) = open_paren(i)?;
    let _depth = cx.nest(Nest::Body, i)?;
    if i.first() == Some(&b'(') {
        return multipart(cx, i);
    }
    single(cx, i)
}

/// Whether the next byte (after lenient spaces) opens a body part.
fn next_part<'a>(cx: &Cx<'_>, i: &'a [u8]) -> Option<&'a [u8]> {
    if i.first() == Some(&b'(') {
        return Some(i);
    }
    if cx.leniency.extra_spaces {
        let n = i.iter().take_while(|&&b| b == b' ').count();
        let rest = i.get(n..).unwrap_or_default();
        if n > 0 && rest.first() == Some(&b'(') {
            cx.quirk();
            return Some(rest);
        }
    }
    None
}

/// ```abnf
/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
/// body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
///                   *(SP body-extension)]]]
/// ```
///
/// Called after the outer `(`, with the input at the first part's `(`.
fn multipart<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyStructure> {
    // Most multiparts have two parts; two parts also stay under the allocator's per-thread
    // cache size (a part is a few hundred octets).
    let mut parts = Vec::with_capacity(2);
    let mut i = i;
    while let Some(at) = next_part(cx, i) {
        let (rest, part) = body(cx, at)?;
        parts.push(part);
        i = rest;
    }
    let (i, ()) = sp(cx, i)?;
    let (i, subtype) = string(cx, i)?;
    let mut extension = MultipartExtension::default();
    let mut i = i;
    if let Ok((rest, ())) = sp(cx, i)
        && rest.first() != Some(&b')')
    {
        let (rest, params) = body_fld_param(cx, rest)?;
        let (rest, tail) = extension_tail(cx, rest)?;
        extension = MultipartExtension { params, tail };
        i = rest;
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((
        i,
        BodyStructure::Multipart {
            parts,
            subtype,
            extension,
        },
    ))
}

/// ```abnf
/// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
/// body-type-basic = media-basic SP body-fields
/// body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
/// body-type-text  = media-text SP body-fields SP body-fld-lines
/// body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
///                   *(SP body-extension)]]]
/// ```
///
/// Lenient (`empty_multipart`): `("ALTERNATIVE")`, a multipart without parts (Gmail, MailKit
/// #1841).
fn single<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyStructure> {
    let (i, media_type) = string(cx, i)?;
    if cx.leniency.empty_multipart
        && let Ok((rest, ())) = close_paren(cx, i)
    {
        cx.quirk();
        return Ok((
            rest,
            BodyStructure::Multipart {
                parts: Vec::new(),
                subtype: media_type,
                extension: MultipartExtension::default(),
            },
        ));
    }
    let (i, ()) = sp(cx, i)?;
    let (i, subtype) = string(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, fields) = body_fields(cx, i)?;
    let is = |s: &IString, w: &[u8]| s.as_bytes().eq_ignore_ascii_case(w);
    let (i, kind) = if is(&media_type, b"TEXT") {
        let (i, ()) = sp(cx, i)?;
        let (i, lines) = number64(cx, i)?;
        (i, SingleKind::Text { subtype, lines })
    } else if is(&media_type, b"MESSAGE")
        && (is(&subtype, b"RFC822") || is(&subtype, b"GLOBAL"))
        && i.get(..2) == Some(b" (")
    {
        let (i, ()) = sp(cx, i)?;
        let (i, env) = envelope(cx, i)?;
        let (i, ()) = sp(cx, i)?;
        let (i, inner) = body(cx, i)?;
        let (i, ()) = sp(cx, i)?;
        let (i, lines) = number64(cx, i)?;
        (
            i,
            SingleKind::Message {
                subtype,
                envelope: Box::new(env),
                body: Box::new(inner),
                lines,
            },
        )
    } else {
        (
            i,
            SingleKind::Basic {
                media_type,
                subtype,
            },
        )
    };
    let mut extension = SinglePartExtension::default();
    let mut i = i;
    if let Ok((rest, ())) = sp(cx, i)
        && rest.first() != Some(&b')')
    {
        let (rest, md5) = nstring(cx, rest)?;
        let (rest, tail) = extension_tail(cx, rest)?;
        extension = SinglePartExtension { md5, tail };
        i = rest;
    }
    let (i, ()) = close_paren(cx, i)?;
    Ok((
        i,
        BodyStructure::Single {
            kind,
            fields,
            extension,
        },
    ))
}

/// ```abnf
/// body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
///                   body-fld-octets
/// body-fld-id     = nstring
/// body-fld-desc   = nstring
/// body-fld-enc    = (DQUOTE ("7BIT" / "8BIT" / "BINARY" / "BASE64"/ "QUOTED-PRINTABLE")
///                   DQUOTE) / string
/// body-fld-octets = number
/// ```
///
/// Lenient: a NIL encoding (`nil_as_empty_string`, imap-codec #41) and a negative size
/// (`negative_numbers`, read as 0).
fn body_fields<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyFields> {
    let (i, params) = body_fld_param(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, id) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, description) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, encoding) = string(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, octets) = lenient_number(cx, i)?;
    Ok((
        i,
        BodyFields {
            params,
            id,
            description,
            encoding,
            octets: octets.unwrap_or(0),
        },
    ))
}

/// ```abnf
/// body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
/// ```
///
/// Lenient (`nil_as_empty_string`): a NIL value (`("boundary" NIL)`, Mail.ru) is the empty
/// string; `()` is no parameters.
fn body_fld_param<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<(IString, IString)>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    let (mut i, ()) = open_paren(i)?;
    let mut out = Vec::with_capacity(1);
    if cx.leniency.nil_as_empty_string
        && let Ok((rest, ())) = close_paren(cx, i)
    {
        cx.quirk();
        return Ok((rest, out));
    }
    loop {
        let (rest, k) = string(cx, i)?;
        let (rest, ()) = sp(cx, rest)?;
        let (rest, v) = string(cx, rest)?;
        out.push((k, v));
        if let Ok((rest, ())) = close_paren(cx, rest) {
            return Ok((rest, out));
        }
        let (rest, ()) = sp(cx, rest)?;
        i = rest;
    }
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
fn extension_tail<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ExtensionTail> {
    let mut tail = ExtensionTail::default();
    let Some(i) = more(cx, i) else {
        return Ok((i, tail));
    };
    let (i, dsp) = body_fld_dsp(cx, i)?;
    tail.disposition = dsp;
    let Some(i) = more(cx, i) else {
        return Ok((i, tail));
    };
    let (i, lang) = body_fld_lang(cx, i)?;
    tail.language = lang;
    let Some(i) = more(cx, i) else {
        return Ok((i, tail));
    };
    let (mut i, loc) = nstring(cx, i)?;
    tail.location = loc;
    while let Some(rest) = more(cx, i) {
        let (rest, ext) = body_extension(cx, rest)?;
        tail.extensions.push(ext);
        i = rest;
    }
    Ok((i, tail))
}

/// After `SP`, when another field follows (not `)`); the input past the space. `None` leaves
/// the input where it was.
fn more<'a>(cx: &Cx<'_>, i: &'a [u8]) -> Option<&'a [u8]> {
    match sp(cx, i) {
        Ok((rest, ())) if rest.first() != Some(&b')') => Some(rest),
        _ => None,
    }
}

/// ```abnf
/// body-fld-dsp = "(" string SP body-fld-param ")" / nil
/// ```
fn body_fld_dsp<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<Disposition>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    let (i, ()) = open_paren(i)?;
    let (i, kind) = string(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, params) = body_fld_param(cx, i)?;
    let (i, ()) = close_paren(cx, i)?;
    Ok((i, Some(Disposition { kind, params })))
}

/// ```abnf
/// body-fld-lang = nstring / "(" string *(SP string) ")"
/// ```
fn body_fld_lang<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<IString>> {
    if i.first() == Some(&b'(') {
        let (mut i, ()) = open_paren(i)?;
        let mut out = Vec::new();
        loop {
            let (rest, s) = string(cx, i)?;
            out.push(s);
            if let Ok((rest, ())) = close_paren(cx, rest) {
                return Ok((rest, out));
            }
            let (rest, ()) = sp(cx, rest)?;
            i = rest;
        }
    }
    let (i, s) = nstring(cx, i)?;
    Ok((i, s.0.into_iter().collect()))
}

/// ```abnf
/// body-extension = nstring / number / number64 /
///                  "(" body-extension *(SP body-extension) ")"
/// ```
fn body_extension<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyExtension> {
    match i.first() {
        Some(b'(') => {
            let (mut i, ()) = open_paren(i)?;
            let _depth = cx.nest(Nest::List, i)?;
            let mut out = Vec::new();
            loop {
                let (rest, e) = body_extension(cx, i)?;
                out.push(e);
                if let Ok((rest, ())) = close_paren(cx, rest) {
                    return Ok((rest, BodyExtension::List(out)));
                }
                let (rest, ()) = sp(cx, rest)?;
                i = rest;
            }
        }
        Some(b) if b.is_ascii_digit() => {
            let (i, n) = number64(cx, i)?;
            Ok((i, BodyExtension::Number(n)))
        }
        _ => {
            let (i, s) = nstring(cx, i)?;
            Ok((i, BodyExtension::NString(s)))
        }
    }
}

/// ```abnf
/// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
///            env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"
/// ```
pub(crate) fn envelope<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Envelope> {
    let (i, ()) = open_paren(i)?;
    let (i, date) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, subject) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, from) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, sender) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, reply_to) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, to) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, cc) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, bcc) = address_list(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, in_reply_to) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, message_id) = nstring(cx, i)?;
    let (i, ()) = close_paren(cx, i)?;
    Ok((
        i,
        Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        },
    ))
}

/// ```abnf
/// env-from = "(" 1*address ")" / nil        ; and the other address lists
/// ```
///
/// Lenient (`extra_spaces`): spaces between addresses (imap-codec's
/// `quirk_spaces_between_addresses`) and an empty `()`.
fn address_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Address>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, Vec::new()));
    }
    let (mut i, ()) = open_paren(i)?;
    // Most address lists hold one address.
    let mut out = Vec::with_capacity(1);
    if cx.leniency.extra_spaces
        && let Ok((rest, ())) = close_paren(cx, i)
    {
        cx.quirk();
        return Ok((rest, out));
    }
    loop {
        let (rest, a) = address(cx, i)?;
        out.push(a);
        match next_part(cx, rest) {
            Some(at) => i = at,
            None => {
                let (rest, ()) = close_paren(cx, rest)?;
                return Ok((rest, out));
            }
        }
    }
}

/// ```abnf
/// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
/// ```
fn address<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Address> {
    let (i, ()) = byte(i, b'(', "address")?;
    let (i, name) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, adl) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, mailbox) = nstring(cx, i)?;
    let (i, ()) = sp(cx, i)?;
    let (i, host) = nstring(cx, i)?;
    let (i, ()) = close_paren(cx, i)?;
    Ok((
        i,
        Address {
            name,
            adl,
            mailbox,
            host,
        },
    ))
}
