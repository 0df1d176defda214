//! SEARCH keys (RFC 9051 §9 `search-key` and the extensions), shared by SEARCH, SORT and
//! THREAD.
//!
//! Parenthesised keys, `NOT` and `OR` each draw one level from the list nesting budget, so
//! `NOT NOT NOT ...` and `((((...` fail at the limit with no stack growth past it
//! (security-anchors §8 item 32).

use super::command::{sp_more, upper};
use super::primitives::{
    astring, atom, atom_raw, date, flag, keyword, number64, nz_number, paren_list, quoted,
    seq_set_or_saved, sp,
};
use super::{Cx, Nest, PResult, fail, syntax};
use crate::command::shared::ObjectId;
use crate::command::{EntryKind, SearchKey, SearchReturnOption};
use crate::error::ParseErrorKind;
use crate::types::AString;

/// `search-key *(SP search-key)`: one or more keys, all of which must match.
pub(crate) fn search_keys<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<SearchKey>> {
    let mut keys = Vec::new();
    let mut i = i;
    loop {
        let (r, k) = search_key(cx, i)?;
        keys.push(k);
        match sp_more(cx, r) {
            Some(after) => i = after,
            None => return Ok((r, keys)),
        }
    }
}

/// ```abnf
/// search-return-opts = SP "RETURN" SP "(" [search-return-opt
///                      *(SP search-return-opt)] ")"                    ; RFC 4731
/// search-return-opt  = "MIN" / "MAX" / "ALL" / "COUNT" /
///                      "SAVE" / search-ret-opt-ext                     ; RFC 5182
/// ```
///
/// Optional: `None` (input untouched) when the next item is not `RETURN`.
pub(crate) fn search_return_opts<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
) -> PResult<'a, Option<Vec<SearchReturnOption>>> {
    let Some(r) = sp_more(cx, i) else {
        return Ok((i, None));
    };
    let Ok((after, ())) = keyword(r, "RETURN") else {
        return Ok((i, None));
    };
    if after.first() != Some(&b' ') {
        return Ok((i, None));
    }
    let (after, ()) = sp(cx, after)?;
    let (after, opts) = paren_list(cx, after, |o| {
        let (o, a) = atom(cx, o)?;
        let mut buf = [0u8; 24];
        Ok((
            o,
            match upper(a.as_bytes(), &mut buf).unwrap_or_default() {
                b"MIN" => SearchReturnOption::Min,
                b"MAX" => SearchReturnOption::Max,
                b"ALL" => SearchReturnOption::All,
                b"COUNT" => SearchReturnOption::Count,
                b"SAVE" => SearchReturnOption::Save,
                _ => SearchReturnOption::Other(a),
            },
        ))
    })?;
    Ok((after, Some(opts)))
}

/// ```abnf
/// search-key = "ALL" / "ANSWERED" / "BCC" SP astring /
///              "BEFORE" SP date / "BODY" SP astring /
///              "CC" SP astring / "DELETED" / "FLAGGED" /
///              "FROM" SP astring / "KEYWORD" SP flag-keyword /
///              "ON" SP date / "SEEN" /
///              "SINCE" SP date / "SUBJECT" SP astring /
///              "TEXT" SP astring / "TO" SP astring /
///              "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
///              "UNKEYWORD" SP flag-keyword / "UNSEEN" /
///              "DRAFT" / "HEADER" SP header-fld-name SP astring /
///              "LARGER" SP number64 / "NOT" SP search-key /
///              "OR" SP search-key SP search-key /
///              "SENTBEFORE" SP date / "SENTON" SP date /
///              "SENTSINCE" SP date / "SMALLER" SP number64 /
///              "UID" SP sequence-set / "UNDRAFT" / sequence-set /
///              "(" search-key *(SP search-key) ")"
/// search-key =/ "NEW" / "OLD" / "RECENT"                             ; RFC 3501
/// search-key =/ search-modsequence                                    ; RFC 7162
/// search-key =/ "OLDER" SP nz-number / "YOUNGER" SP nz-number         ; RFC 5032
/// search-key =/ "EMAILID" SP objectid / "THREADID" SP objectid        ; RFC 8474
/// search-key =/ "SAVEDBEFORE" SP date / "SAVEDON" SP date /
///               "SAVEDSINCE" SP date / "SAVEDATESUPPORTED"             ; RFC 8514
/// search-key =/ "X-GM-RAW" SP astring / "X-GM-MSGID" SP number64 /
///               "X-GM-THRID" SP number64 / "X-GM-LABELS" SP astring    ; Gmail
/// ```
pub(crate) fn search_key<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SearchKey> {
    match i.first() {
        Some(b'(') => {
            let (r, keys) = paren_list(cx, i, |k| search_key(cx, k))?;
            if keys.is_empty() {
                return syntax(i, "search-key");
            }
            return Ok((r, SearchKey::And(keys)));
        }
        Some(b'0'..=b'9' | b'*' | b'$') => {
            let (r, s) = seq_set_or_saved(cx, i)?;
            return Ok((r, SearchKey::SequenceSet(s)));
        }
        _ => {}
    }
    let (r, name) = atom_raw(i)?;
    let mut buf = [0u8; 24];
    let Some(up) = upper(name, &mut buf) else {
        return syntax(i, "search-key");
    };
    // Keys without an argument.
    let bare = match up {
        b"ALL" => Some(SearchKey::All),
        b"ANSWERED" => Some(SearchKey::Answered),
        b"DELETED" => Some(SearchKey::Deleted),
        b"DRAFT" => Some(SearchKey::Draft),
        b"FLAGGED" => Some(SearchKey::Flagged),
        b"NEW" => Some(SearchKey::New),
        b"OLD" => Some(SearchKey::Old),
        b"RECENT" => Some(SearchKey::Recent),
        b"SEEN" => Some(SearchKey::Seen),
        b"UNANSWERED" => Some(SearchKey::Unanswered),
        b"UNDELETED" => Some(SearchKey::Undeleted),
        b"UNDRAFT" => Some(SearchKey::Undraft),
        b"UNFLAGGED" => Some(SearchKey::Unflagged),
        b"UNSEEN" => Some(SearchKey::Unseen),
        b"SAVEDATESUPPORTED" => Some(SearchKey::SaveDateSupported),
        _ => None,
    };
    if let Some(k) = bare {
        return Ok((r, k));
    }
    let (r, ()) = sp(cx, r).map_err(|e| {
        e.map(|mut e| {
            e.rule = "search-key";
            e
        })
    })?;
    let s = |f: fn(AString) -> SearchKey| -> PResult<'a, SearchKey> {
        let (r, v) = astring(cx, r)?;
        Ok((r, f(v)))
    };
    let d = |f: fn(crate::types::Date) -> SearchKey| -> PResult<'a, SearchKey> {
        let (r, v) = date(cx, r)?;
        Ok((r, f(v)))
    };
    let n64 = |f: fn(u64) -> SearchKey| -> PResult<'a, SearchKey> {
        let (r, v) = number64(cx, r)?;
        Ok((r, f(v)))
    };
    match up {
        b"BCC" => s(SearchKey::Bcc),
        b"BODY" => s(SearchKey::Body),
        b"CC" => s(SearchKey::Cc),
        b"FROM" => s(SearchKey::From),
        b"SUBJECT" => s(SearchKey::Subject),
        b"TEXT" => s(SearchKey::Text),
        b"TO" => s(SearchKey::To),
        b"X-GM-RAW" => s(SearchKey::GmRaw),
        b"X-GM-LABELS" => s(SearchKey::GmLabels),
        b"BEFORE" => d(SearchKey::Before),
        b"ON" => d(SearchKey::On),
        b"SINCE" => d(SearchKey::Since),
        b"SENTBEFORE" => d(SearchKey::SentBefore),
        b"SENTON" => d(SearchKey::SentOn),
        b"SENTSINCE" => d(SearchKey::SentSince),
        b"SAVEDBEFORE" => d(SearchKey::SavedBefore),
        b"SAVEDON" => d(SearchKey::SavedOn),
        b"SAVEDSINCE" => d(SearchKey::SavedSince),
        b"LARGER" => n64(SearchKey::Larger),
        b"SMALLER" => n64(SearchKey::Smaller),
        b"X-GM-MSGID" => n64(SearchKey::GmMsgId),
        b"X-GM-THRID" => n64(SearchKey::GmThrId),
        b"KEYWORD" | b"UNKEYWORD" => {
            let (r2, a) = atom(cx, r)?;
            Ok((
                r2,
                if up == b"KEYWORD" {
                    SearchKey::Keyword(a)
                } else {
                    SearchKey::Unkeyword(a)
                },
            ))
        }
        b"HEADER" => {
            let (r, name) = astring(cx, r)?;
            let (r, ()) = sp(cx, r)?;
            let (r, value) = astring(cx, r)?;
            Ok((r, SearchKey::Header(name, value)))
        }
        b"UID" => {
            let (r, set) = seq_set_or_saved(cx, r)?;
            Ok((r, SearchKey::Uid(set)))
        }
        b"OLDER" | b"YOUNGER" => {
            let (r2, n) = nz_number(cx, r)?;
            Ok((
                r2,
                if up == b"OLDER" {
                    SearchKey::Older(n)
                } else {
                    SearchKey::Younger(n)
                },
            ))
        }
        b"EMAILID" | b"THREADID" => {
            let (r2, id) = objectid(cx, r)?;
            Ok((
                r2,
                if up == b"EMAILID" {
                    SearchKey::EmailId(id)
                } else {
                    SearchKey::ThreadId(id)
                },
            ))
        }
        b"NOT" => {
            let _depth = cx.nest(Nest::List, r)?;
            let (r, k) = search_key(cx, r)?;
            Ok((r, SearchKey::Not(Box::new(k))))
        }
        b"OR" => {
            let _depth = cx.nest(Nest::List, r)?;
            let (r, a) = search_key(cx, r)?;
            let (r, ()) = sp(cx, r)?;
            let (r, b) = search_key(cx, r)?;
            Ok((r, SearchKey::Or(Box::new(a), Box::new(b))))
        }
        b"MODSEQ" => modseq(cx, r),
        _ => syntax(i, "search-key"),
    }
}

/// ```abnf
/// objectid = 1*255(ALPHA / DIGIT / "_" / "-")           ; RFC 8474
/// ```
fn objectid<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ObjectId> {
    let (r, raw) = atom_raw(i)?;
    match ObjectId::check(raw) {
        Ok(()) => Ok((r, ObjectId::from_checked(cx.slice(raw)))),
        Err(e) => fail(i, "objectid", ParseErrorKind::InvalidValue(e)),
    }
}

/// ```abnf
/// search-modsequence  = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer  ; RFC 7162
/// search-modseq-ext   = SP entry-name SP entry-type-req
/// entry-name          = entry-flag-name
/// entry-flag-name     = DQUOTE "/flags/" attr-flag DQUOTE
/// entry-type-req      = entry-type-resp / "all"
/// entry-type-resp     = "priv" / "shared"
/// ```
/// (The `SP` after `MODSEQ` is already taken.)
fn modseq<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SearchKey> {
    let mut entry = None;
    let mut i = i;
    if i.first() == Some(&b'"') {
        let (r, name) = quoted(cx, i)?;
        let Some(flag_text) = name
            .as_bytes()
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case(b"/flags/"))
            .and_then(|_| name.as_bytes().get(7..))
        else {
            return syntax(i, "entry-flag-name");
        };
        let owned = bytes::Bytes::copy_from_slice(flag_text);
        let Ok(([], f)) = flag(cx, &owned) else {
            return syntax(i, "entry-flag-name");
        };
        let (r, ()) = sp(cx, r)?;
        let (r, kind) = atom_raw(r)?;
        let kind = match kind {
            k if k.eq_ignore_ascii_case(b"priv") => EntryKind::Private,
            k if k.eq_ignore_ascii_case(b"shared") => EntryKind::Shared,
            k if k.eq_ignore_ascii_case(b"all") => EntryKind::All,
            _ => return syntax(r, "entry-type-req"),
        };
        let (r, ()) = sp(cx, r)?;
        entry = Some((f, kind));
        i = r;
    }
    let (r, mod_seq) = number64(cx, i)?;
    Ok((r, SearchKey::ModSeq { entry, mod_seq }))
}
