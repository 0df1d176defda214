//! FETCH attribute requests (RFC 9051 §9 `fetch-att` and the extensions) and modifiers.
//!
//! The attribute name is scanned up to `[`, `<`, a space or `)` and matched once; the section
//! grammar follows it when the name takes one.

use std::num::NonZeroU64;

use super::command::{sp_more, upper};
use super::primitives::{astring, byte, keyword, number64, nz_number, nz_number64, paren_list, sp};
use super::{Cx, PResult, syntax};
use crate::command::shared::{Section, SectionText};
use crate::command::{FetchAttribute, FetchAttributes, FetchModifier, Partial};

/// ```abnf
/// ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")")
/// ```
pub(crate) fn fetch_attributes<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchAttributes> {
    if i.first() == Some(&b'(') {
        let (r, list) = paren_list(cx, i, |a| fetch_att(cx, a))?;
        if list.is_empty() {
            return syntax(i, "fetch-att");
        }
        return Ok((r, FetchAttributes::List(list)));
    }
    let n = name_len(i);
    let (name, r) = i.split_at(n);
    let mut buf = [0u8; 24];
    match upper(name, &mut buf).unwrap_or_default() {
        b"ALL" => Ok((r, FetchAttributes::All)),
        b"FAST" => Ok((r, FetchAttributes::Fast)),
        b"FULL" => Ok((r, FetchAttributes::Full)),
        _ => {
            let (r, a) = fetch_att(cx, i)?;
            Ok((r, FetchAttributes::List(vec![a])))
        }
    }
}

/// Length of an attribute name: letters, digits, `.` and `-`.
fn name_len(i: &[u8]) -> usize {
    i.iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .unwrap_or(i.len())
}

/// ```abnf
/// fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
///             "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
///             "BODY" ["STRUCTURE"] / "UID" /
///             "BODY" section [partial] /
///             "BODY.PEEK" section [partial] /
///             "BINARY" [".PEEK"] section-binary [partial] /
///             "BINARY.SIZE" section-binary
/// fetch-att =/ "MODSEQ"                                   ; RFC 7162
/// fetch-att =/ "SAVEDATE"                                 ; RFC 8514
/// fetch-att =/ "EMAILID" / "THREADID"                     ; RFC 8474
/// fetch-att =/ "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]   ; RFC 8970
/// preview-mod = "LAZY"
/// fetch-att =/ "X-GM-MSGID" / "X-GM-THRID" / "X-GM-LABELS" ; Gmail
/// ```
pub(crate) fn fetch_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchAttribute> {
    use FetchAttribute as A;
    let n = name_len(i);
    let (name, r) = i.split_at(n);
    let mut buf = [0u8; 24];
    let Some(up) = upper(name, &mut buf) else {
        return syntax(i, "fetch-att");
    };
    let simple = match up {
        b"ENVELOPE" => Some(A::Envelope),
        b"FLAGS" => Some(A::Flags),
        b"INTERNALDATE" => Some(A::InternalDate),
        b"RFC822" => Some(A::Rfc822),
        b"RFC822.HEADER" => Some(A::Rfc822Header),
        b"RFC822.SIZE" => Some(A::Rfc822Size),
        b"RFC822.TEXT" => Some(A::Rfc822Text),
        b"BODYSTRUCTURE" => Some(A::BodyStructure),
        b"UID" => Some(A::Uid),
        b"MODSEQ" => Some(A::ModSeq),
        b"SAVEDATE" => Some(A::SaveDate),
        b"EMAILID" => Some(A::EmailId),
        b"THREADID" => Some(A::ThreadId),
        b"X-GM-MSGID" => Some(A::GmMsgId),
        b"X-GM-THRID" => Some(A::GmThrId),
        b"X-GM-LABELS" => Some(A::GmLabels),
        b"BODY" if r.first() != Some(&b'[') => Some(A::Body),
        _ => None,
    };
    if let Some(a) = simple {
        return Ok((r, a));
    }
    match up {
        b"BODY" | b"BODY.PEEK" => {
            let (r, section) = section(cx, r)?;
            let (r, partial) = partial(cx, r)?;
            Ok((
                r,
                A::BodySection {
                    peek: up.len() > 4,
                    section,
                    partial,
                },
            ))
        }
        b"BINARY" | b"BINARY.PEEK" => {
            let (r, part) = section_binary(cx, r)?;
            let (r, partial) = partial(cx, r)?;
            Ok((
                r,
                A::Binary {
                    peek: up.len() > 6,
                    part,
                    partial,
                },
            ))
        }
        b"BINARY.SIZE" => {
            let (r, part) = section_binary(cx, r)?;
            Ok((r, A::BinarySize { part }))
        }
        b"PREVIEW" => {
            // `PREVIEW (LAZY)`; a `(` that does not start with LAZY belongs to the caller
            // (fetch modifiers after a single attribute).
            if let Some(after) = sp_more(cx, r)
                && after.first() == Some(&b'(')
                && after.get(1..).is_some_and(|a| keyword(a, "LAZY").is_ok())
            {
                let (after, _mods) = paren_list(cx, after, |m| keyword(m, "LAZY"))?;
                return Ok((after, A::Preview { lazy: true }));
            }
            Ok((r, A::Preview { lazy: false }))
        }
        _ => syntax(i, "fetch-att"),
    }
}

/// ```abnf
/// section         = "[" [section-spec] "]"
/// section-spec    = section-msgtext / (section-part ["." section-text])
/// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
/// section-part    = nz-number *("." nz-number)
/// section-text    = section-msgtext / "MIME"
/// header-list     = "(" header-fld-name *(SP header-fld-name) ")"
/// header-fld-name = astring
/// ```
pub(crate) fn section<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Section> {
    let (mut i, ()) = byte(i, b'[', "section")?;
    let mut part = Vec::new();
    let mut text = None;
    while i.first().is_some_and(u8::is_ascii_digit) {
        let (r, n) = nz_number(cx, i)?;
        part.push(n.get());
        match r.split_first() {
            Some((b'.', after)) => i = after,
            _ => {
                i = r;
                break;
            }
        }
    }
    if i.first() != Some(&b']') {
        let n = name_len(i);
        let (name, r) = i.split_at(n);
        let mut buf = [0u8; 24];
        let (r, t) = match upper(name, &mut buf).unwrap_or_default() {
            b"HEADER" => (r, SectionText::Header),
            b"TEXT" => (r, SectionText::Text),
            b"MIME" if !part.is_empty() => (r, SectionText::Mime),
            b"HEADER.FIELDS" | b"HEADER.FIELDS.NOT" => {
                let (r, ()) = sp(cx, r)?;
                let (r, fields) = paren_list(cx, r, |f| astring(cx, f))?;
                if fields.is_empty() {
                    return syntax(r, "header-list");
                }
                if name.len() > 13 {
                    (r, SectionText::HeaderFieldsNot(fields))
                } else {
                    (r, SectionText::HeaderFields(fields))
                }
            }
            _ => return syntax(i, "section-text"),
        };
        text = Some(t);
        i = r;
    }
    let (i, ()) = byte(i, b']', "section")?;
    Ok((i, Section { part, text }))
}

/// ```abnf
/// section-binary = "[" [section-part] "]"
/// ```
fn section_binary<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<u32>> {
    let (mut i, ()) = byte(i, b'[', "section-binary")?;
    let mut part = Vec::new();
    if i.first() != Some(&b']') {
        loop {
            let (r, n) = nz_number(cx, i)?;
            part.push(n.get());
            match r.split_first() {
                Some((b'.', after)) => i = after,
                _ => {
                    i = r;
                    break;
                }
            }
        }
    }
    let (i, ()) = byte(i, b']', "section-binary")?;
    Ok((i, part))
}

/// ```abnf
/// partial = "<" number64 "." nz-number64 ">"
/// ```
/// Optional: `None` when the input does not start with `<`.
fn partial<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<Partial>> {
    let Some(r) = i.strip_prefix(b"<") else {
        return Ok((i, None));
    };
    let (r, offset) = number64(cx, r)?;
    let (r, ()) = byte(r, b'.', "partial")?;
    let (r, length) = nz_number64(cx, r)?;
    let (r, ()) = byte(r, b'>', "partial")?;
    match NonZeroU64::new(length) {
        Some(length) => Ok((r, Some(Partial { offset, length }))),
        None => syntax(i, "partial"),
    }
}

/// ```abnf
/// fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"   ; RFC 4466
/// fetch-modifier  =/ chgsince-fetch-mod / "VANISHED"                 ; RFC 7162
/// chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value
/// ```
/// Optional: empty when no `SP (` follows.
pub(crate) fn fetch_modifiers<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<FetchModifier>> {
    let Some(r) = sp_more(cx, i) else {
        return Ok((i, Vec::new()));
    };
    if r.first() != Some(&b'(') {
        return syntax(r, "fetch-modifiers");
    }
    let (r2, mods) = paren_list(cx, r, |m| {
        let n = name_len(m);
        let (name, after) = m.split_at(n);
        let mut buf = [0u8; 24];
        match upper(name, &mut buf).unwrap_or_default() {
            b"CHANGEDSINCE" => {
                let (after, ()) = sp(cx, after)?;
                let (after, v) = number64(cx, after)?;
                Ok((after, FetchModifier::ChangedSince(v)))
            }
            b"VANISHED" => Ok((after, FetchModifier::Vanished)),
            _ => syntax(m, "fetch-modifier"),
        }
    })?;
    if mods.is_empty() {
        return syntax(r, "fetch-modifiers");
    }
    Ok((r2, mods))
}
