//! Parsers for the primitive rules of RFC 9051 §9 (with the RFC 3501 forms still in use),
//! shared by the command and response grammars.
//!
//! The hot tokens are hand-written scanners (byte-class tables, `memchr`): atoms, numbers,
//! sequence sets, quoted strings. The leniency hooks live here too, so both grammars bend the
//! same way: [`sp`] (doubled spaces), [`close_paren`] (a space before `)`), [`crlf`] (trailing
//! spaces, bare LF), [`string`] (NIL as ""), [`lenient_number`] (negative numbers).

use std::num::NonZeroU32;

use bytes::Bytes;

use super::{Cx, Nest, PErr, PResult, fail, syntax};
use crate::error::{InvalidValue, ParseErrorKind};
use crate::types::string::class;
use crate::types::utf7::{self, Strictness};
use crate::types::{
    AString, Atom, Date, DateTime, Flag, FlagFetch, FlagPerm, IString, Literal8, Mailbox,
    MailboxName, NString, SeqBound, SeqRange, SeqSetOrSaved, SequenceSet, Tag,
};

/// A value whose literal data may have been streamed out by the framer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Streamable<T> {
    /// The value, data included.
    Value(T),
    /// A literal of `len` octets whose data went out as literal events; `binary` for `~{n}`.
    Streamed {
        /// The announced length.
        len: u64,
        /// Whether it was a literal8.
        binary: bool,
    },
}

/// An error built from an [`InvalidValue`] at `at`.
fn invalid<'a, O>(at: &'a [u8], rule: &'static str, v: InvalidValue) -> PResult<'a, O> {
    fail(at, rule, ParseErrorKind::InvalidValue(v))
}

/// Matches one byte.
#[inline]
pub(crate) fn byte<'a>(i: &'a [u8], b: u8, rule: &'static str) -> PResult<'a, ()> {
    match i.split_first() {
        Some((&c, rest)) if c == b => Ok((rest, ())),
        _ => syntax(i, rule),
    }
}

/// Matches `word` ignoring ASCII case (ABNF strings are case-insensitive, RFC 5234 §2.3).
#[inline]
pub(crate) fn keyword<'a>(i: &'a [u8], word: &'static str) -> PResult<'a, ()> {
    match (i.get(..word.len()), i.get(word.len()..)) {
        (Some(head), Some(rest)) if head.eq_ignore_ascii_case(word.as_bytes()) => Ok((rest, ())),
        _ => syntax(i, word),
    }
}

/// ```abnf
/// SP = %x20
/// ```
///
/// Lenient (`extra_spaces`): one or more.
pub(crate) fn sp<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ()> {
    let (rest, ()) = byte(i, b' ', "SP")?;
    if cx.leniency.extra_spaces {
        let n = rest.iter().take_while(|&&b| b == b' ').count();
        if n > 0 {
            cx.quirk();
        }
        return Ok((rest.get(n..).unwrap_or_default(), ()));
    }
    Ok((rest, ()))
}

/// Skips spaces when `extra_spaces` is on (before `)` and at the end of a line).
fn skip_extra_spaces<'a>(cx: &Cx<'_>, i: &'a [u8]) -> &'a [u8] {
    if !cx.leniency.extra_spaces {
        return i;
    }
    let n = i.iter().take_while(|&&b| b == b' ').count();
    if n > 0 {
        cx.quirk();
    }
    i.get(n..).unwrap_or_default()
}

/// ```abnf
/// CRLF = CR LF
/// ```
///
/// Lenient: trailing spaces before it (`extra_spaces`, `* SEARCH 1 2 `), LF alone (`bare_lf`).
pub(crate) fn crlf<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ()> {
    let i = skip_extra_spaces(cx, i);
    match i {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        [b'\n', rest @ ..] if cx.leniency.bare_lf => {
            cx.quirk();
            Ok((rest, ()))
        }
        [b'\n', ..] | [b'\r', ..] => fail(i, "CRLF", ParseErrorKind::BareNewline),
        _ => syntax(i, "CRLF"),
    }
}

/// `"("`.
pub(crate) fn open_paren(i: &[u8]) -> PResult<'_, ()> {
    byte(i, b'(', "(")
}

/// `")"`; lenient (`extra_spaces`): spaces before it (`* 1 FETCH (UID 19436 )`, qq.com).
pub(crate) fn close_paren<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ()> {
    byte(skip_extra_spaces(cx, i), b')', ")")
}

/// ```abnf
/// nil = "NIL"
/// ```
///
/// Not followed by another atom character (`NILS` is an atom, not NIL and `S`); `]` may
/// follow (`[CODE NIL]`).
pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    let (rest, ()) = keyword(i, "NIL")?;
    match rest.first() {
        Some(&b) if class::is(b, class::ATOM) => syntax(i, "nil"),
        _ => Ok((rest, ())),
    }
}

/// Scans `1*DIGIT` in one pass: the value (`None` on overflow of `u64`) and the input after
/// the digits. Hot: every number of a FETCH stream or SEARCH result goes through here.
#[inline]
fn scan_digits<'a>(i: &'a [u8], rule: &'static str) -> PResult<'a, Option<u64>> {
    let mut value: Option<u64> = Some(0);
    let mut n = 0usize;
    for &b in i {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value.and_then(|v| v.checked_mul(10)?.checked_add(u64::from(d)));
        n += 1;
    }
    if n == 0 {
        return syntax(i, rule);
    }
    Ok((i.get(n..).unwrap_or_default(), value))
}

/// Scans `1*DIGIT` and returns what follows (value ignored).
#[inline]
fn digits<'a>(i: &'a [u8], rule: &'static str) -> PResult<'a, ()> {
    scan_digits(i, rule).map(|(rest, _)| (rest, ()))
}

/// ```abnf
/// number = 1*DIGIT
///          ; Unsigned 32-bit integer
///          ; (0 <= n < 4,294,967,296)
/// ```
pub(crate) fn number<'a>(_cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u32> {
    if i.first() == Some(&b'-') {
        return fail(i, "number", ParseErrorKind::NegativeNumber);
    }
    let (rest, v) = scan_digits(i, "number")?;
    match v.and_then(|v| u32::try_from(v).ok()) {
        Some(v) => Ok((rest, v)),
        None => fail(
            i,
            "number",
            ParseErrorKind::NumberOverflow { what: "number" },
        ),
    }
}

/// `number`, bent by `negative_numbers`: a negative number (`RFC822.SIZE -1`) or one above
/// `u32::MAX` (`* 4294967296 EXISTS`) gives `None` (flagged) instead of an error.
pub(crate) fn lenient_number<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<u32>> {
    match number(cx, i) {
        Ok((rest, v)) => Ok((rest, Some(v))),
        Err(e) if cx.leniency.negative_numbers => {
            let body = i.strip_prefix(b"-").unwrap_or(i);
            let (rest, _) = digits(body, "number").map_err(|_| e)?;
            cx.quirk();
            Ok((rest, None))
        }
        Err(e) => Err(e),
    }
}

/// ```abnf
/// nz-number = digit-nz *DIGIT
///             ; Non-zero unsigned 32-bit integer
///             ; (0 < n < 4,294,967,296)
/// ```
pub(crate) fn nz_number<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, NonZeroU32> {
    let (rest, v) = number(cx, i).map_err(|e| e.map(|e| rename(e, "nz-number")))?;
    match NonZeroU32::new(v) {
        // `digit-nz` first: "01" is not an nz-number.
        Some(n) if i.first() != Some(&b'0') => Ok((rest, n)),
        Some(_) => syntax(i, "nz-number"),
        None => fail(i, "nz-number", ParseErrorKind::Zero),
    }
}

/// Names the rule of an error from a sub-rule.
fn rename<'a>(mut e: PErr<'a>, rule: &'static str) -> PErr<'a> {
    e.rule = rule;
    if let ParseErrorKind::NumberOverflow { what } = &mut e.kind {
        *what = rule;
    }
    e
}

/// ```abnf
/// number64 = 1*DIGIT
///            ; Unsigned 63-bit integer
///            ; (0 <= n <= 9,223,372,036,854,775,807)
/// ```
///
/// Accepts the whole unsigned 64-bit range: RFC 7162 `mod-sequence-value` servers send
/// `18446744073709551615` (imap-anchors §6.2 item 30), and refusing it gains nothing.
pub(crate) fn number64<'a>(_cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u64> {
    if i.first() == Some(&b'-') {
        return fail(i, "number64", ParseErrorKind::NegativeNumber);
    }
    let (rest, v) = scan_digits(i, "number64")?;
    match v {
        Some(v) => Ok((rest, v)),
        None => fail(
            i,
            "number64",
            ParseErrorKind::NumberOverflow { what: "number64" },
        ),
    }
}

/// ```abnf
/// nz-number64 = digit-nz *DIGIT
/// ```
pub(crate) fn nz_number64<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u64> {
    let (rest, v) = number64(cx, i).map_err(|e| e.map(|e| rename(e, "nz-number64")))?;
    match v {
        0 => fail(i, "nz-number64", ParseErrorKind::Zero),
        _ if i.first() == Some(&b'0') => syntax(i, "nz-number64"),
        v => Ok((rest, v)),
    }
}

/// ```abnf
/// atom = 1*ATOM-CHAR
/// ATOM-CHAR = <any CHAR except atom-specials>
/// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
/// ```
///
/// Returns the atom's bytes (for keyword matching without building a value).
#[inline]
pub(crate) fn atom_raw(i: &[u8]) -> PResult<'_, &[u8]> {
    let n = class::span(i, class::ATOM);
    if n == 0 {
        return syntax(i, "atom");
    }
    let (a, rest) = i.split_at(n);
    Ok((rest, a))
}

/// `atom` as a value.
pub(crate) fn atom<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Atom> {
    let (rest, a) = atom_raw(i)?;
    Ok((rest, Atom::from_checked(cx.slice(a))))
}

/// ```abnf
/// tag = 1*<any ASTRING-CHAR except "+">
/// ```
pub(crate) fn tag<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Tag> {
    let n = class::span(i, class::TAG);
    if n == 0 {
        return syntax(i, "tag");
    }
    let (t, rest) = i.split_at(n);
    Ok((rest, Tag::from_checked(cx.slice(t))))
}

/// ```abnf
/// quoted = DQUOTE *QUOTED-CHAR DQUOTE
/// QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials /
///               UTF8-2 / UTF8-3 / UTF8-4
/// quoted-specials = DQUOTE / "\"
/// ```
///
/// CR, LF and NUL end in an error (item 27: no command can hide in a quoted string). 8-bit
/// octets must form UTF-8 (RFC 9051's `UTF8-2 / UTF8-3 / UTF8-4`). The content is shared with
/// the unit unless it has escapes.
pub(crate) fn quoted<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, IString> {
    let (body, ()) = byte(i, b'"', "quoted")?;
    // Fastest path, one table-driven pass: 7-bit QUOTED-CHARs without escape up to the
    // closing quote (header values, body parameters: most strings of a FETCH response).
    let n = class::span(body, class::QUOTED);
    if let (Some(b'"'), Some(run), Some(after)) = (body.get(n), body.get(..n), body.get(n + 1..)) {
        return Ok((after, IString::from_checked(cx.slice(run))));
    }
    // General path: escapes and UTF-8.
    let mut pos = 0usize;
    let mut escaped: Option<Vec<u8>> = None;
    loop {
        let rest = body.get(pos..).unwrap_or_default();
        let Some(j) = memchr::memchr2(b'"', b'\\', rest) else {
            // No closing quote: point at the first byte that cannot be inside one, if any.
            check_quoted_run(cx, rest)?;
            return fail(
                body.get(body.len()..).unwrap_or_default(),
                "quoted",
                ParseErrorKind::UnexpectedEnd,
            );
        };
        let run = rest.get(..j).unwrap_or_default();
        check_quoted_run(cx, run)?;
        if let Some(buf) = escaped.as_mut() {
            buf.extend_from_slice(run);
        }
        match rest.get(j..) {
            Some([b'"', after @ ..]) => {
                let value = match escaped {
                    Some(buf) => Bytes::from(buf),
                    None => cx.slice(body.get(..pos + j).unwrap_or_default()),
                };
                return Ok((after, IString::from_checked(value)));
            }
            Some([b'\\', c @ (b'"' | b'\\'), ..]) => {
                let buf = escaped.get_or_insert_with(|| {
                    let mut v = Vec::with_capacity(body.len().min(4096));
                    v.extend_from_slice(body.get(..pos + j).unwrap_or_default());
                    v
                });
                buf.push(*c);
                pos += j + 2;
            }
            Some(at) => return syntax(at, "quoted"),
            None => return syntax(rest, "quoted"),
        }
    }
}

/// Checks a run of a quoted string between escapes: no CR, LF or NUL; 8-bit only as UTF-8.
fn check_quoted_run<'a>(cx: &Cx<'_>, run: &'a [u8]) -> Result<(), nom::Err<PErr<'a>>> {
    if let Some(k) = memchr::memchr3(b'\r', b'\n', 0, run) {
        let at = run.get(k..).unwrap_or_default();
        let b = at.first().copied().unwrap_or_default();
        return Err(nom::Err::Error(PErr::new(
            at,
            "quoted",
            ParseErrorKind::ForbiddenByte(b),
        )));
    }
    if !run.is_ascii()
        && let Err(e) = std::str::from_utf8(run)
    {
        if cx.leniency.raw_8bit {
            cx.quirk();
            return Ok(());
        }
        let at = run.get(e.valid_up_to()..).unwrap_or_default();
        return Err(nom::Err::Error(PErr::new(
            at,
            "quoted",
            ParseErrorKind::InvalidUtf8,
        )));
    }
    Ok(())
}

/// Parses a literal announcement `"{" number64 ["+"] "}" CRLF` (after an optional `~`
/// handled by the caller) and returns the length and the input after the CRLF.
fn literal_head<'a>(cx: &Cx<'_>, i: &'a [u8], rule: &'static str) -> PResult<'a, u64> {
    let (i, ()) = byte(i, b'{', rule)?;
    let (i, len) = number64(cx, i).map_err(|e| e.map(|e| rename(e, rule)))?;
    let i = i.strip_prefix(b"+").unwrap_or(i);
    let (i, ()) = byte(i, b'}', rule)?;
    match i {
        [b'\r', b'\n', rest @ ..] => Ok((rest, len)),
        // The framer only cuts units at CRLF (or bare LF when told); accept what it accepted.
        [b'\n', rest @ ..] if cx.leniency.bare_lf => Ok((rest, len)),
        _ => syntax(i, rule),
    }
}

/// Takes the `len` octets of a literal's data, or the streamed marker.
fn literal_data<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
    len: u64,
    binary: bool,
    rule: &'static str,
) -> PResult<'a, Streamable<&'a [u8]>> {
    if cx.is_streamed(i) {
        return Ok((i, Streamable::Streamed { len, binary }));
    }
    let n = usize::try_from(len).unwrap_or(usize::MAX);
    match (i.get(..n), i.get(n..)) {
        (Some(data), Some(rest)) => Ok((rest, Streamable::Value(data))),
        _ => fail(
            i.get(i.len()..).unwrap_or_default(),
            rule,
            ParseErrorKind::UnexpectedEnd,
        ),
    }
}

/// ```abnf
/// literal = "{" number64 ["+"] "}" CRLF *CHAR8
///           ; <number64> represents the number of CHAR8s.
///           ; A non-synchronizing literal is distinguished from
///           ; a synchronizing literal by the presence of "+"
///           ; before the closing "}".
/// CHAR8 = %x01-ff
/// ```
///
/// Data or the streamed marker. A NUL is an error (only `literal8` holds NUL).
pub(crate) fn literal_streamable<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Streamable<IString>> {
    let (data_at, len) = literal_head(cx, i, "literal")?;
    let (rest, data) = literal_data(cx, data_at, len, false, "literal")?;
    Ok((
        rest,
        match data {
            Streamable::Value(d) => {
                if let Some(k) = memchr::memchr(0, d) {
                    return fail(
                        d.get(k..).unwrap_or_default(),
                        "literal",
                        ParseErrorKind::ForbiddenByte(0),
                    );
                }
                Streamable::Value(IString::from_checked(cx.slice(d)))
            }
            Streamable::Streamed { len, binary } => Streamable::Streamed { len, binary },
        },
    ))
}

/// `literal` whose data must be in the unit.
pub(crate) fn literal<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, IString> {
    match literal_streamable(cx, i)? {
        (rest, Streamable::Value(v)) => Ok((rest, v)),
        (_, Streamable::Streamed { .. }) => syntax(i, "literal"),
    }
}

/// ```abnf
/// literal8 = "~{" number64 ["+"] "}" CRLF *OCTET
///            ; <number64> represents the number of OCTETs in the response string.
/// ```
///
/// Also takes a plain `literal` (any octet but NUL; with `nul_in_literal`, NUL too), since
/// every place that allows literal8 allows a literal: `BINARY[1] {3}`.
pub(crate) fn literal8_streamable<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
) -> PResult<'a, Streamable<Literal8>> {
    let (head, binary) = match i.strip_prefix(b"~") {
        Some(rest) => (rest, true),
        None => (i, false),
    };
    let (data_at, len) = literal_head(cx, head, "literal8")?;
    let (rest, data) = literal_data(cx, data_at, len, binary, "literal8")?;
    Ok((
        rest,
        match data {
            Streamable::Value(d) => {
                if !binary && let Some(k) = memchr::memchr(0, d) {
                    if !cx.leniency.nul_in_literal {
                        return fail(
                            d.get(k..).unwrap_or_default(),
                            "literal",
                            ParseErrorKind::ForbiddenByte(0),
                        );
                    }
                    cx.quirk();
                }
                Streamable::Value(Literal8::from_checked(cx.slice(d)))
            }
            Streamable::Streamed { len, binary } => Streamable::Streamed { len, binary },
        },
    ))
}

/// `literal8` (or a plain literal) whose data must be in the unit.
pub(crate) fn literal8<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Literal8> {
    match literal8_streamable(cx, i)? {
        (rest, Streamable::Value(v)) => Ok((rest, v)),
        (_, Streamable::Streamed { .. }) => syntax(i, "literal8"),
    }
}

/// ```abnf
/// string = quoted / literal
/// ```
///
/// Lenient (`nil_as_empty_string`): `NIL` is the empty string (Mail.ru BODYSTRUCTURE).
pub(crate) fn string<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, IString> {
    match i.first() {
        Some(b'"') => quoted(cx, i),
        Some(b'{') => literal(cx, i),
        Some(b'N' | b'n') if cx.leniency.nil_as_empty_string => {
            let (rest, ()) = nil(i).map_err(|e| e.map(|e| rename(e, "string")))?;
            cx.quirk();
            Ok((rest, IString::empty()))
        }
        _ => syntax(i, "string"),
    }
}

/// ```abnf
/// nstring = string / nil
/// ```
pub(crate) fn nstring<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, NString> {
    match i.first() {
        Some(b'N' | b'n') => {
            let (rest, ()) = nil(i).map_err(|e| e.map(|e| rename(e, "nstring")))?;
            Ok((rest, NString::NIL))
        }
        _ => {
            let (rest, s) = string(cx, i).map_err(|e| e.map(|e| rename(e, "nstring")))?;
            Ok((rest, NString(Some(s))))
        }
    }
}

/// `nstring` whose literal may have been streamed (`BODY[] {1048576}`).
pub(crate) fn nstring_streamable<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Streamable<NString>> {
    if i.first() == Some(&b'{') {
        let (rest, v) = literal_streamable(cx, i)?;
        return Ok((
            rest,
            match v {
                Streamable::Value(s) => Streamable::Value(NString(Some(s))),
                Streamable::Streamed { len, binary } => Streamable::Streamed { len, binary },
            },
        ));
    }
    let (rest, v) = nstring(cx, i)?;
    Ok((rest, Streamable::Value(v)))
}

/// ```abnf
/// astring = 1*ASTRING-CHAR / string
/// ASTRING-CHAR = ATOM-CHAR / resp-specials
/// ```
pub(crate) fn astring<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AString> {
    match i.first() {
        Some(b'"') => quoted(cx, i).map(|(r, s)| (r, AString::from(s))),
        Some(b'{') => literal(cx, i).map(|(r, s)| (r, AString::from(s))),
        _ => {
            let n = class::span(i, class::ASTRING);
            if n == 0 {
                return syntax(i, "astring");
            }
            let (a, rest) = i.split_at(n);
            Ok((rest, AString::from_checked(cx.slice(a))))
        }
    }
}

/// ```abnf
/// mailbox = "INBOX" / astring
///           ; INBOX is case-insensitive. All case variants of
///           ; INBOX (e.g., "iNbOx") MUST be interpreted as INBOX
///           ; not as an astring.
/// ```
///
/// Without UTF-8 enabled the name must be canonical modified UTF-7 (imap-anchors §6.2 item
/// 26: `&AGE-` is rejected); `non_canonical_utf7` lets any name through. CR, LF and NUL are
/// never accepted in a name.
pub(crate) fn mailbox<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Mailbox> {
    let (rest, name) = astring(cx, i).map_err(|e| e.map(|e| rename(e, "mailbox")))?;
    let wire = name.into_bytes();
    if let Err(v) = MailboxName::check(&wire) {
        return invalid(i, "mailbox", v);
    }
    if !cx.utf8 && !is_inbox(&wire) {
        let checked = if wire.is_ascii() {
            utf7::decode(&wire, Strictness::Canonical).map(drop)
        } else {
            Err(InvalidValue::Syntax {
                what: "mailbox name",
                reason: "8-bit octets without utf8=accept",
            })
        };
        if let Err(v) = checked {
            if !cx.leniency.non_canonical_utf7 {
                return invalid(i, "mailbox", v);
            }
            cx.quirk();
        }
    } else if cx.utf8 && !wire.is_ascii() && std::str::from_utf8(&wire).is_err() {
        return fail(i, "mailbox", ParseErrorKind::InvalidUtf8);
    }
    Ok((rest, mailbox_from_wire(wire)))
}

/// Whether a wire name is INBOX.
fn is_inbox(wire: &[u8]) -> bool {
    wire.eq_ignore_ascii_case(b"INBOX")
}

/// The [`Mailbox`] of an already checked wire name.
fn mailbox_from_wire(wire: Bytes) -> Mailbox {
    if is_inbox(&wire) {
        Mailbox::Inbox
    } else {
        Mailbox::Other(MailboxName::from_checked(wire))
    }
}

/// ```abnf
/// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
///        flag-keyword / flag-extension
///        ; Does not include "\Recent"
/// flag-extension = "\" atom
///        ; Future expansion.  Client implementations
///        ; MUST accept flag-extension flags.  Server
///        ; implementations MUST NOT generate
///        ; flag-extension flags except as defined by
///        ; a future Standard or Standards Track
///        ; revisions of this specification.
/// flag-keyword = "$MDNSent" / "$Forwarded" / "$Junk" / "$NotJunk" / "$Phishing" / atom
/// ```
pub(crate) fn flag<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Flag> {
    match i.strip_prefix(b"\\") {
        Some(name) => {
            let (rest, a) = atom(cx, name).map_err(|e| e.map(|e| rename(e, "flag")))?;
            Ok((rest, Flag::from_backslashed(a)))
        }
        None => {
            let (rest, a) = atom(cx, i).map_err(|e| e.map(|e| rename(e, "flag")))?;
            Ok((rest, Flag::Keyword(a)))
        }
    }
}

/// ```abnf
/// flag-fetch = flag / obsolete-flag-recent
/// obsolete-flag-recent = "\Recent"
/// ```
pub(crate) fn flag_fetch<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FlagFetch> {
    let (rest, f) = flag(cx, i)?;
    Ok((
        rest,
        match f {
            Flag::Extension(a) if a.eq_ignore_ascii_case("Recent") => FlagFetch::Recent,
            f => FlagFetch::Flag(f),
        },
    ))
}

/// ```abnf
/// flag-perm = flag / "\*"
/// ```
pub(crate) fn flag_perm<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FlagPerm> {
    if let Some(rest) = i.strip_prefix(b"\\*") {
        return Ok((rest, FlagPerm::Any));
    }
    let (rest, f) = flag(cx, i)?;
    Ok((rest, FlagPerm::Flag(f)))
}

/// `"(" [item *(SP item)] ")"`: a parenthesised list, drawing on the list nesting budget;
/// lenient spaces before `)` and doubled between items come from [`sp`] and [`close_paren`].
pub(crate) fn paren_list<'a, T>(
    cx: &Cx<'_>,
    i: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut i, ()) = open_paren(i)?;
    let _depth = cx.nest(Nest::List, i)?;
    let mut items = Vec::new();
    if let Ok((rest, ())) = close_paren(cx, i) {
        return Ok((rest, items));
    }
    loop {
        let (rest, v) = item(i)?;
        items.push(v);
        if let Ok((rest, ())) = close_paren(cx, rest) {
            return Ok((rest, items));
        }
        let (rest, ()) = sp(cx, rest)?;
        i = rest;
    }
}

/// ```abnf
/// flag-list = "(" [flag *(SP flag)] ")"
/// ```
pub(crate) fn flag_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Flag>> {
    paren_list(cx, i, |i| flag(cx, i))
}

/// ```abnf
/// seq-number = nz-number / "*"
///              ; message sequence number (COPY, FETCH, STORE
///              ; commands) or unique identifier (UID COPY,
///              ; UID FETCH, UID STORE commands).
///              ; * represents the largest number in use.
/// ```
#[inline]
pub(crate) fn seq_number<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SeqBound> {
    if let Some(rest) = i.strip_prefix(b"*") {
        return Ok((rest, SeqBound::Last));
    }
    let (rest, n) = nz_number(cx, i).map_err(|e| e.map(|e| rename(e, "seq-number")))?;
    Ok((rest, SeqBound::Value(n)))
}

/// ```abnf
/// sequence-set = (seq-number / seq-range) ["," sequence-set]
///                ; set of seq-number values, regardless of order.
///                ; Servers MAY coalesce overlaps and/or execute
///                ; the sequence in any order.
/// seq-range    = seq-number ":" seq-number
///                ; two seq-number values and all values between
///                ; these two regardless of order.
/// ```
pub(crate) fn sequence_set<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SequenceSet> {
    let mut ranges = Vec::new();
    let mut i = i;
    loop {
        let (rest, a) = seq_number(cx, i)?;
        let (rest, r) = match rest.strip_prefix(b":") {
            Some(after) => {
                let (after, b) = seq_number(cx, after)?;
                (after, SeqRange::Range(a, b))
            }
            None => (rest, SeqRange::Single(a)),
        };
        ranges.push(r);
        match rest.strip_prefix(b",") {
            Some(after) => i = after,
            None => return Ok((rest, SequenceSet::from_checked(ranges))),
        }
    }
}

/// ```abnf
/// sequence-set =/ seq-last-command
///                 ; Allow for "result of the last command"
///                 ; indicator.
/// seq-last-command = "$"
/// ```
pub(crate) fn seq_set_or_saved<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SeqSetOrSaved> {
    if let Some(rest) = i.strip_prefix(b"$") {
        return Ok((rest, SeqSetOrSaved::Saved));
    }
    let (rest, s) = sequence_set(cx, i)?;
    Ok((rest, SeqSetOrSaved::Set(s)))
}

/// `TryFrom<&str>` for [`SequenceSet`]: the whole text must be one sequence set.
pub(crate) fn parse_sequence_set_text(text: &[u8]) -> Result<SequenceSet, InvalidValue> {
    super::parse_whole(text, sequence_set).map_err(InvalidValue::from)
}

/// `date-month`: `"Jan" / "Feb" / ... / "Dec"`, ignoring case.
fn date_month<'a>(i: &'a [u8]) -> PResult<'a, u8> {
    let Some(name) = i.get(..3) else {
        return syntax(i, "date-month");
    };
    for (k, m) in crate::types::datetime::MONTHS.iter().enumerate() {
        if name.eq_ignore_ascii_case(m.as_bytes()) {
            // k < 12.
            let month = u8::try_from(k + 1).unwrap_or(1);
            return Ok((i.get(3..).unwrap_or_default(), month));
        }
    }
    syntax(i, "date-month")
}

/// Exactly `n` digits as a number.
fn fixed_digits<'a>(i: &'a [u8], n: usize, rule: &'static str) -> PResult<'a, u16> {
    match i.get(..n) {
        Some(d) if d.iter().all(u8::is_ascii_digit) => {
            let v = d
                .iter()
                .fold(0u16, |acc, &b| acc * 10 + u16::from(b - b'0'));
            Ok((i.get(n..).unwrap_or_default(), v))
        }
        _ => syntax(i, rule),
    }
}

/// One or two digits (`date-day = 1*2DIGIT`).
fn day_digits<'a>(i: &'a [u8]) -> PResult<'a, u8> {
    let n = i.iter().take(2).take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return syntax(i, "date-day");
    }
    let (rest, v) = fixed_digits(i, n, "date-day")?;
    Ok((rest, u8::try_from(v).unwrap_or(u8::MAX)))
}

/// Narrows a parsed field to `u8` (the field has at most two digits).
fn small(v: u16) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

/// ```abnf
/// date-text = date-day "-" date-month "-" date-year
/// date-day  = 1*2DIGIT
///             ; Day of month
/// date-year = 4DIGIT
/// ```
fn date_text<'a>(i: &'a [u8]) -> PResult<'a, Date> {
    let start = i;
    let (i, day) = day_digits(i)?;
    let (i, ()) = byte(i, b'-', "date-text")?;
    let (i, month) = date_month(i)?;
    let (i, ()) = byte(i, b'-', "date-text")?;
    let (i, year) = fixed_digits(i, 4, "date-year")?;
    match Date::new(year, month, day) {
        Ok(d) => Ok((i, d)),
        Err(v) => invalid(start, "date", v),
    }
}

/// ```abnf
/// date = date-text / DQUOTE date-text DQUOTE
/// ```
pub(crate) fn date<'a>(_cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Date> {
    match i.strip_prefix(b"\"") {
        Some(inner) => {
            let (rest, d) = date_text(inner)?;
            let (rest, ()) = byte(rest, b'"', "date")?;
            Ok((rest, d))
        }
        None => date_text(i),
    }
}

/// ```abnf
/// date-time      = DQUOTE date-day-fixed "-" date-month "-" date-year
///                  SP time SP zone DQUOTE
/// date-day-fixed = (SP DIGIT) / 2DIGIT
///                  ; Fixed-format version of date-day
/// time           = 2DIGIT ":" 2DIGIT ":" 2DIGIT
///                  ; Hours minutes seconds
/// zone           = ("+" / "-") 4DIGIT
///                  ; Signed four-digit value of hhmm representing
///                  ; hours and minutes east of Greenwich (that is,
///                  ; the amount that the given time differs from
///                  ; Universal Time).  Subtracting the timezone
///                  ; from the given time will give the UT form.
///                  ; The Universal Time zone is "+0000".
/// ```
///
/// Lenient (`loose_date_time`): a day of one digit without its padding space, and no zone
/// (read as `+0000`).
pub(crate) fn date_time<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, DateTime> {
    let start = i;
    let (i, ()) = byte(i, b'"', "date-time")?;
    let (i, day) = match i {
        [b' ', d @ b'0'..=b'9', rest @ ..] => (rest, *d - b'0'),
        [a @ b'0'..=b'9', b @ b'0'..=b'9', rest @ ..] => (rest, (*a - b'0') * 10 + (*b - b'0')),
        [d @ b'0'..=b'9', rest @ ..] if cx.leniency.loose_date_time => {
            cx.quirk();
            (rest, *d - b'0')
        }
        _ => return syntax(i, "date-day-fixed"),
    };
    let (i, ()) = byte(i, b'-', "date-time")?;
    let (i, month) = date_month(i)?;
    let (i, ()) = byte(i, b'-', "date-time")?;
    let (i, year) = fixed_digits(i, 4, "date-year")?;
    let (i, ()) = byte(i, b' ', "date-time")?;
    let (i, hour) = fixed_digits(i, 2, "time")?;
    let (i, ()) = byte(i, b':', "time")?;
    let (i, minute) = fixed_digits(i, 2, "time")?;
    let (i, ()) = byte(i, b':', "time")?;
    let (i, second) = fixed_digits(i, 2, "time")?;
    let (i, zone) = match i {
        [b' ', sign @ (b'+' | b'-'), rest @ ..] => {
            let (rest, hhmm) = fixed_digits(rest, 4, "zone")?;
            let (hh, mm) = (hhmm / 100, hhmm % 100);
            if mm > 59 {
                return invalid(i, "zone", InvalidValue::OutOfRange { what: "zone" });
            }
            // hh <= 99 and mm <= 59, so this fits an i16.
            let minutes = i16::try_from(hh * 60 + mm).unwrap_or(i16::MAX);
            (rest, if *sign == b'-' { -minutes } else { minutes })
        }
        [b'"', ..] if cx.leniency.loose_date_time => {
            cx.quirk();
            (i, 0)
        }
        _ => return syntax(i, "zone"),
    };
    let (i, ()) = byte(i, b'"', "date-time")?;
    let built = Date::new(year, month, day)
        .and_then(|d| DateTime::new(d, small(hour), small(minute), small(second), zone));
    match built {
        Ok(dt) => Ok((i, dt)),
        Err(v) => invalid(start, "date-time", v),
    }
}

/// ```abnf
/// text = 1*TEXT-CHAR
/// TEXT-CHAR = <any CHAR except CR and LF>
/// ```
///
/// Returns the bytes up to the line end (8-bit allowed: RFC 9051 `resp-text` is UTF-8, and
/// servers send Latin-1 too). May be empty; the caller decides whether empty text is allowed.
pub(crate) fn text_raw(i: &[u8]) -> PResult<'_, &[u8]> {
    let n = memchr::memchr2(b'\r', b'\n', i).unwrap_or(i.len());
    let (t, rest) = i.split_at(n);
    if let Some(k) = memchr::memchr(0, t) {
        return fail(
            t.get(k..).unwrap_or_default(),
            "text",
            ParseErrorKind::ForbiddenByte(0),
        );
    }
    Ok((rest, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Leniency, Limits};

    /// Runs `p` on `input` with `leniency`; returns the value and what is left.
    fn run<T>(
        input: &[u8],
        leniency: Leniency,
        p: impl for<'a> Fn(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
    ) -> Result<(T, Vec<u8>), crate::error::ParseError> {
        let unit = Bytes::copy_from_slice(input);
        let limits = Limits::default();
        let cx = Cx::new(&unit, leniency, &limits);
        match p(&cx, cx.input()) {
            Ok((rest, v)) => Ok((v, rest.to_vec())),
            Err(e) => Err(cx.error(e)),
        }
    }

    fn strict<T>(
        input: &[u8],
        p: impl for<'a> Fn(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
    ) -> Result<(T, Vec<u8>), crate::error::ParseError> {
        run(input, Leniency::strict(), p)
    }

    #[test]
    fn numbers() {
        assert_eq!(strict(b"4294967295 ", number).unwrap().0, u32::MAX);
        let e = strict(b"4294967296", number).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::NumberOverflow { what: "number" });
        assert_eq!(
            strict(b"-1", number).unwrap_err().kind,
            ParseErrorKind::NegativeNumber
        );
        assert_eq!(
            strict(b"0", nz_number).unwrap_err().kind,
            ParseErrorKind::Zero
        );
        assert!(strict(b"01", nz_number).is_err());
        assert_eq!(
            strict(b"18446744073709551615", number64).unwrap().0,
            u64::MAX
        );
        assert!(strict(b"18446744073709551616", number64).is_err());
        let (v, rest) = run(b"-1)", Leniency::lenient(), lenient_number).unwrap();
        let unit = Bytes::from_static(b"-1");
        let limits = Limits::default();
        let cx = Cx::new(&unit, Leniency::lenient(), &limits);
        assert!(lenient_number(&cx, cx.input()).is_ok_and(|(_, v)| v.is_none()));
        assert_eq!(cx.quirks(), 1);
        assert_eq!((v, rest.as_slice()), (None, &b")"[..]));
        assert_eq!(
            run(b"4294967296", Leniency::lenient(), lenient_number)
                .unwrap()
                .0,
            None
        );
    }

    #[test]
    fn quoted_strings() {
        let (s, rest) = strict(br#""a\"b\\c" x"#, quoted).unwrap();
        assert_eq!(s.as_bytes(), br#"a"b\c"#);
        assert_eq!(rest, b" x");
        assert_eq!(strict(br#""""#, quoted).unwrap().0.as_bytes(), b"");
        for bad in [
            &b"\"a\r\nb\""[..],
            b"\"a\nb\"",
            b"\"a\0b\"",
            b"\"a\\xb\"",
            b"\"abc",
            b"\"\xff\"",
        ] {
            assert!(strict(bad, quoted).is_err(), "{bad:?}");
        }
        assert_eq!(
            strict("\"é\"".as_bytes(), quoted).unwrap().0.as_bytes(),
            "é".as_bytes()
        );
        // Latin-1 from a legacy server: only with `raw_8bit`.
        let e = strict(b"\"caf\xe9\"", quoted).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
        assert_eq!(e.offset, 4);
        let (s, _) = run(b"\"caf\xe9\"", Leniency::lenient(), quoted).unwrap();
        assert_eq!(s.as_bytes(), b"caf\xe9");
        assert_eq!(Leniency::default(), Leniency::strict());
    }

    #[test]
    fn literals() {
        let (s, rest) = strict(b"{5}\r\nab\r\ncZ", string).unwrap();
        assert_eq!(
            (s.as_bytes(), rest.as_slice()),
            (&b"ab\r\nc"[..], &b"Z"[..])
        );
        assert_eq!(strict(b"{3+}\r\nabc", string).unwrap().0.as_bytes(), b"abc");
        assert_eq!(strict(b"{0}\r\n", string).unwrap().0.as_bytes(), b"");
        assert!(strict(b"{3}\r\nab", string).is_err());
        assert!(strict(b"{3}\r\na\0b", string).is_err());
        assert!(strict(b"{99999999999999999999}\r\n", string).is_err());
        let (l, _) = strict(b"~{3}\r\n\0ab", literal8).unwrap();
        assert_eq!(l.as_bytes(), b"\0ab");
        assert!(strict(b"{3}\r\n\0ab", literal8).is_err());
        assert!(run(b"{3}\r\n\0ab", Leniency::lenient(), literal8).is_ok());
    }

    #[test]
    fn astrings_and_nil() {
        assert_eq!(strict(b"a]b c", astring).unwrap().0.as_bytes(), b"a]b");
        assert!(strict(b"(x", astring).is_err());
        assert_eq!(strict(b"NIL)", nstring).unwrap().0, NString::NIL);
        assert_eq!(strict(b"nil)", nstring).unwrap().0, NString::NIL);
        assert!(strict(b"NILS", nstring).is_err());
        assert!(strict(b"NIL", string).is_err());
        assert_eq!(
            run(b"NIL", Leniency::lenient(), string).unwrap().0,
            IString::empty()
        );
        // A mailbox literally named NIL (item 7).
        assert_eq!(strict(b"NIL", astring).unwrap().0.as_bytes(), b"NIL");
    }

    #[test]
    fn mailboxes() {
        assert_eq!(strict(b"inbox", mailbox).unwrap().0, Mailbox::Inbox);
        assert_eq!(strict(b"\"InBoX\"", mailbox).unwrap().0, Mailbox::Inbox);
        assert!(strict(b"\"&AGE-\"", mailbox).is_err());
        assert!(run(b"\"&AGE-\"", Leniency::lenient(), mailbox).is_ok());
        let m = strict(b"\"[Gmail]/G&APY-nderilmi&AV8- Postalar\"", mailbox)
            .unwrap()
            .0;
        assert_eq!(m.to_utf8().unwrap(), "[Gmail]/Gönderilmiş Postalar");
        assert!(strict("\"Gönderilmiş\"".as_bytes(), mailbox).is_err());
        let unit = Bytes::from("\"Gönderilmiş\"");
        let limits = Limits::default();
        let cx = Cx::new(&unit, Leniency::strict(), &limits).with_utf8(true);
        assert!(mailbox(&cx, cx.input()).is_ok());
    }

    #[test]
    fn flags() {
        let (l, _) = strict(b"(\\Seen \\answered $Forwarded \\X)", flag_list).unwrap();
        assert_eq!(l.len(), 4);
        assert_eq!(l.first(), Some(&Flag::Seen));
        assert!(strict(b"(\\Seen )", flag_list).is_err());
        assert!(run(b"(\\Seen $Forwarded )", Leniency::lenient(), flag_list).is_ok());
        assert_eq!(strict(b"()", flag_list).unwrap().0, vec![]);
        assert_eq!(
            strict(b"\\Recent", flag_fetch).unwrap().0,
            FlagFetch::Recent
        );
        assert_eq!(strict(b"\\*", flag_perm).unwrap().0, FlagPerm::Any);
    }

    #[test]
    fn sequence_sets() {
        let (s, rest) = strict(b"1:3,5,*:7,9 ", sequence_set).unwrap();
        assert_eq!(s.to_string(), "1:3,5,*:7,9");
        assert_eq!(rest, b" ");
        assert!(strict(b"0", sequence_set).is_err());
        assert!(strict(b"1,", sequence_set).is_err());
        assert!(strict(b"4294967296", sequence_set).is_err());
        assert_eq!(
            strict(b"$", seq_set_or_saved).unwrap().0,
            SeqSetOrSaved::Saved
        );
    }

    #[test]
    fn dates() {
        let (d, _) = strict(b"\" 1-Feb-2024 09:05:00 -0130\"", date_time).unwrap();
        assert_eq!(d.to_string(), " 1-Feb-2024 09:05:00 -0130");
        assert_eq!(d.zone_minutes(), -90);
        assert!(strict(b"\"31-Apr-2024 09:05:00 +0000\"", date_time).is_err());
        assert!(strict(b"\"1-Feb-2024 09:05:00 +0000\"", date_time).is_err());
        assert!(
            run(
                b"\"1-Feb-2024 09:05:00 +0000\"",
                Leniency::lenient(),
                date_time
            )
            .is_ok()
        );
        assert!(strict(b"\"01-Feb-2024 24:05:00 +0000\"", date_time).is_err());
        assert!(strict(b"\"01-Feb-2024 09:05:00 +0060\"", date_time).is_err());
        assert_eq!(
            strict(b"1-feb-2024", date).unwrap().0,
            Date::new(2024, 2, 1).unwrap()
        );
        assert_eq!(
            strict(b"\"01-Feb-2024\"", date).unwrap().0,
            Date::new(2024, 2, 1).unwrap()
        );
    }

    #[test]
    fn spaces_and_line_ends() {
        assert!(strict(b"  ", sp).is_ok_and(|(_, r)| r == b" "));
        assert!(run(b"  x", Leniency::lenient(), sp).is_ok_and(|(_, r)| r == b"x"));
        assert!(strict(b" \r\n", crlf).is_err());
        assert!(run(b" \r\n", Leniency::lenient(), crlf).is_ok());
        assert_eq!(
            strict(b"\n", crlf).unwrap_err().kind,
            ParseErrorKind::BareNewline
        );
        assert!(run(b"\n", Leniency::lenient(), crlf).is_ok());
    }

    #[test]
    fn streamed_literals_give_a_marker() {
        use crate::frame::LiteralSpan;
        // The framer kept `{5}\r\n` and streamed the five octets out.
        let unit = Bytes::from_static(b"{5}\r\n) {2}\r\nab)");
        let spans = [
            LiteralSpan {
                offset: 5,
                len: 5,
                sync: true,
                binary: false,
                streamed: true,
            },
            LiteralSpan {
                offset: 12,
                len: 2,
                sync: true,
                binary: false,
                streamed: false,
            },
        ];
        let limits = Limits::default();
        let cx = Cx::new(&unit, Leniency::strict(), &limits).with_literals(&spans);
        let (rest, v) = nstring_streamable(&cx, cx.input()).unwrap();
        assert_eq!(
            v,
            Streamable::Streamed {
                len: 5,
                binary: false
            }
        );
        assert_eq!(rest, b") {2}\r\nab)");
        let (rest, v) = nstring_streamable(&cx, rest.get(2..).unwrap()).unwrap();
        assert_eq!(
            v,
            Streamable::Value(NString(Some(IString::try_from("ab").unwrap())))
        );
        assert_eq!(rest, b")");
        // Where a value must be whole, a streamed literal is an error.
        assert!(string(&cx, cx.input()).is_err());
    }

    #[test]
    fn nesting_budget() {
        fn nested<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, u32> {
            if i.first() == Some(&b'(') {
                let (rest, v) = paren_list(cx, i, |i| nested(cx, i))?;
                Ok((rest, v.into_iter().max().unwrap_or(0) + 1))
            } else {
                number(cx, i)
            }
        }
        let ok = format!("{}1{}", "(".repeat(16), ")".repeat(16));
        assert_eq!(strict(ok.as_bytes(), nested).unwrap().0, 17);
        let deep = format!("{}1{}", "(".repeat(17), ")".repeat(17));
        let e = strict(deep.as_bytes(), nested).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TooDeep { limit: 16 });
        // The guard gives the level back: siblings do not add up.
        let wide = format!("({})", vec!["((((1))))"; 40].join(" "));
        assert!(strict(wide.as_bytes(), nested).is_ok());
    }
}
