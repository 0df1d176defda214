//! The MAIL and RCPT parameter grammar (RFC 5321 §4.1.2 `Mail-parameters` /
//! `Rcpt-parameters` and the extensions' values), read into borrowed views: values point into
//! the line unless xtext had to be decoded. The owned parameters are built from these.

use std::borrow::Cow;
use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::parse::class::{ASCII, ATEXT, KEYWORD, VALUE, class};
use crate::parse::{self, xtext};

use super::Text;
use super::params::{
    Body, DateTime, DeliverBy, DeliverByMode, MailAuth, MailParameters, Notify, Orcpt, Parameter,
    RcptParameters, Ret, Rrvs,
};

/// An ASCII `atext` byte, as in an ORCPT address type.
const ATEXT_ASCII: u16 = ATEXT | ASCII;

/// RFC 3461 §4.4: ENVID is at most 100 characters.
const MAX_ENVID: usize = 100;
/// RFC 3461 §4.2: ORCPT is at most 500 characters.
pub(super) const MAX_ORCPT: usize = 500;

/// Text of octets validated as UTF-8 when they were parsed.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// `AUTH=` on MAIL (RFC 4954 §5), borrowed: see [`MailAuth`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailAuthRef<'a> {
    /// `AUTH=<>`.
    Unknown,
    /// The submitter's mailbox (xtext decoded; borrowed when nothing was encoded).
    Identity(Cow<'a, str>),
}

/// `ORCPT=addr-type;xtext` (RFC 3461 §4.2), borrowed: see [`Orcpt`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OrcptRef<'a> {
    /// `addr-type;xtext` as sent.
    value: &'a [u8],
    /// Where the `;` is.
    semi: usize,
    /// The decoded address when xtext encoded anything; `None` when it is the sent text.
    decoded: Option<Box<str>>,
}

impl<'a> OrcptRef<'a> {
    /// The address type, e.g. `rfc822` or `utf-8`.
    pub fn addr_type(&self) -> &'a str {
        text(self.value.get(..self.semi).unwrap_or_default())
    }

    /// The decoded original recipient.
    pub fn address(&self) -> &str {
        match &self.decoded {
            Some(d) => d,
            None => text(self.value.get(self.semi + 1..).unwrap_or_default()),
        }
    }

    /// The owned [`Orcpt`].
    pub fn into_owned(self) -> Orcpt {
        match &self.decoded {
            None => Orcpt::from_checked(self.value, self.semi),
            Some(address) => Orcpt::from_parts(self.addr_type(), address),
        }
    }
}

impl fmt::Debug for OrcptRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrcptRef")
            .field("addr_type", &self.addr_type())
            .field("address", &self.address())
            .finish()
    }
}

/// `RRVS=date-time[;C|R]` (RFC 7293 §3.1), borrowed: see [`Rrvs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RrvsRef<'a> {
    /// The RFC 3339 date-time, as sent.
    pub date_time: &'a str,
    /// `C` (continue) or `R` (reject) when given.
    pub action: Option<char>,
}

/// The parameters of a command that this crate does not type, in order, as sent: the
/// parameter text is walked again when they are asked for, so keeping them costs nothing.
#[derive(Clone, Copy, Default)]
pub struct OtherParameters<'a> {
    /// The whole parameter text, already checked.
    raw: &'a [u8],
    /// How many of its parameters are untyped.
    count: usize,
    /// Whether `raw` is RCPT's (else MAIL's).
    rcpt: bool,
}

impl<'a> OtherParameters<'a> {
    /// How many there are.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each one's keyword and raw value, in order.
    pub fn iter(&self) -> OtherIter<'a> {
        OtherIter {
            rest: if self.count > 0 { self.raw } else { &[] },
            rcpt: self.rcpt,
        }
    }

    fn into_owned(self) -> Vec<Parameter> {
        self.iter()
            .map(|(keyword, value)| Parameter {
                keyword: keyword.to_owned(),
                value: value.map(str::to_owned),
            })
            .collect()
    }
}

/// The iterator of [`OtherParameters::iter`].
#[derive(Debug, Clone)]
pub struct OtherIter<'a> {
    rest: &'a [u8],
    rcpt: bool,
}

impl<'a> Iterator for OtherIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    /// The parameter text was checked when parsed, so it is words separated by spaces, each
    /// `keyword` or `keyword=value`, neither part holding `=` or a space.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.rest.iter().position(|&b| b != b' ')?;
            let rest = self.rest.get(start..).unwrap_or_default();
            let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            let (word, after) = rest.split_at(end);
            self.rest = after;
            let (key, value) = match memchr::memchr(b'=', word) {
                Some(eq) => (
                    word.get(..eq).unwrap_or_default(),
                    Some(word.get(eq + 1..).unwrap_or_default()),
                ),
                None => (word, None),
            };
            let known = if self.rcpt {
                rcpt_key(key).is_some()
            } else {
                mail_key(key).is_some()
            };
            if !known {
                return Some((text(key), value.map(text)));
            }
        }
    }
}

impl PartialEq for OtherParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}

impl Eq for OtherParameters<'_> {}

impl fmt::Debug for OtherParameters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The parameters of MAIL FROM, typed, borrowed from the line: see [`MailParameters`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MailParametersRef<'a> {
    /// `SIZE=` declared message size in octets (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` envelope identifier, xtext decoded (RFC 3461), ≤ 100 characters.
    pub envid: Option<Cow<'a, str>>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `AUTH=` (RFC 4954 §5).
    pub auth: Option<MailAuthRef<'a>>,
    /// `MT-PRIORITY=` −9 to 9 (RFC 6710).
    pub mt_priority: Option<i8>,
    /// `HOLDFOR=` seconds (RFC 4865).
    pub hold_for: Option<u32>,
    /// `HOLDUNTIL=` date-time (RFC 4865), as sent.
    pub hold_until: Option<&'a str>,
    /// `BY=` (RFC 2852).
    pub by: Option<DeliverBy>,
    /// Parameters not typed above, in order.
    pub other: OtherParameters<'a>,
}

/// The parameters of RCPT TO, typed, borrowed from the line: see [`RcptParameters`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RcptParametersRef<'a> {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<OrcptRef<'a>>,
    /// `RRVS=` (RFC 7293).
    pub rrvs: Option<RrvsRef<'a>>,
    /// Parameters not typed above, in order.
    pub other: OtherParameters<'a>,
}

fn err(kind: ParseErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset, "esmtp-param")
}

/// `esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)` given the classes all of `b`'s
/// bytes share.
pub(super) fn is_value_of(b: &[u8], classes: u16) -> bool {
    !b.is_empty()
        && classes & VALUE != 0
        && (classes & ASCII != 0 || std::str::from_utf8(b).is_ok())
}

/// ```text
/// Mail-parameters = esmtp-param *(SP esmtp-param)
/// esmtp-param     = esmtp-keyword ["=" esmtp-value]
/// esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// ```
/// Yields (offset, keyword, value) for each parameter, in one pass over the bytes; repeated
/// spaces are tolerated.
#[inline(always)]
pub(super) fn each_param<'a>(
    input: &'a [u8],
    mut f: impl FnMut(usize, &'a [u8], Option<&'a [u8]>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut here = 0;
    while let Some(rest) = input.get(here..).filter(|r| !r.is_empty()) {
        let key_len = rest
            .iter()
            .position(|&b| class(b) & KEYWORD == 0)
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at_checked(key_len).unwrap_or_default();
        let key_ok = key.first().is_some_and(u8::is_ascii_alphanumeric);
        match after.split_first() {
            None | Some((b' ', _)) if key.is_empty() => here += 1,
            None | Some((b' ', _)) if key_ok => {
                f(here, key, None)?;
                here += key_len + 1;
            }
            Some((b'=', tail)) if key_ok => {
                // The value runs to the next space; its bytes are classified on the way.
                let (mut end, mut classes) = (tail.len(), VALUE | ASCII);
                for (i, &b) in tail.iter().enumerate() {
                    if b == b' ' {
                        end = i;
                        break;
                    }
                    classes &= class(b);
                }
                let value = tail.get(..end).unwrap_or_default();
                if !is_value_of(value, classes) {
                    if let Some((_, b)) = parse::find_forbidden(value) {
                        return Err(err(ParseErrorKind::ForbiddenByte(b), here));
                    }
                    return Err(err(ParseErrorKind::Syntax, here + key_len + 1));
                }
                f(here, key, Some(value))?;
                here += key_len + 1 + value.len() + 1;
            }
            _ => return Err(err(ParseErrorKind::Syntax, here)),
        }
    }
    Ok(())
}

#[inline(always)]
fn set<T>(slot: &mut Option<T>, value: T, name: &'static str, at: usize) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(err(ParseErrorKind::DuplicateParameter(name), at));
    }
    *slot = Some(value);
    Ok(())
}

fn flag(
    slot: &mut bool,
    value: Option<&[u8]>,
    name: &'static str,
    at: usize,
) -> Result<(), ParseError> {
    if value.is_some() {
        return Err(err(ParseErrorKind::InvalidParameter(name), at));
    }
    if *slot {
        return Err(err(ParseErrorKind::DuplicateParameter(name), at));
    }
    *slot = true;
    Ok(())
}

fn need<'a>(
    value: Option<&'a [u8]>,
    name: &'static str,
    at: usize,
) -> Result<&'a [u8], ParseError> {
    value.ok_or(err(ParseErrorKind::InvalidParameter(name), at))
}

/// The MAIL parameters this crate types.
#[derive(Clone, Copy)]
enum MailKey {
    Size,
    Body,
    SmtpUtf8,
    RequireTls,
    Ret,
    Envid,
    Auth,
    MtPriority,
    HoldFor,
    HoldUntil,
    By,
}

/// Which typed MAIL parameter `key` names, in any case.
#[inline(always)]
fn mail_key(key: &[u8]) -> Option<MailKey> {
    Some(match key.len() {
        4 if parse::is_word(key, b"SIZE") => MailKey::Size,
        4 if parse::is_word(key, b"BODY") => MailKey::Body,
        8 if parse::is_word(key, b"SMTPUTF8") => MailKey::SmtpUtf8,
        10 if parse::is_word(key, b"REQUIRETLS") => MailKey::RequireTls,
        3 if parse::is_word(key, b"RET") => MailKey::Ret,
        5 if parse::is_word(key, b"ENVID") => MailKey::Envid,
        4 if parse::is_word(key, b"AUTH") => MailKey::Auth,
        11 if parse::is_word(key, b"MT-PRIORITY") => MailKey::MtPriority,
        7 if parse::is_word(key, b"HOLDFOR") => MailKey::HoldFor,
        9 if parse::is_word(key, b"HOLDUNTIL") => MailKey::HoldUntil,
        2 if parse::is_word(key, b"BY") => MailKey::By,
        _ => return None,
    })
}

/// The RCPT parameters this crate types.
#[derive(Clone, Copy)]
enum RcptKey {
    Notify,
    Orcpt,
    Rrvs,
}

/// Which typed RCPT parameter `key` names, in any case.
#[inline(always)]
fn rcpt_key(key: &[u8]) -> Option<RcptKey> {
    Some(match key.len() {
        6 if parse::is_word(key, b"NOTIFY") => RcptKey::Notify,
        5 if parse::is_word(key, b"ORCPT") => RcptKey::Orcpt,
        4 if parse::is_word(key, b"RRVS") => RcptKey::Rrvs,
        _ => return None,
    })
}

impl<'a> MailParametersRef<'a> {
    /// `Mail-parameters = esmtp-param *(SP esmtp-param)`.
    #[inline]
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        let mut p = Self::default();
        p.other.raw = input;
        each_param(input, |at, key, value| {
            let bad = |name| err(ParseErrorKind::InvalidParameter(name), at);
            let Some(known) = mail_key(key) else {
                p.other.count += 1;
                return Ok(());
            };
            match known {
                MailKey::Size => {
                    let v = need(value, "SIZE", at)?;
                    let n = parse::number(v, 20, "SIZE", "size-value")
                        .map_err(|e| e.shifted(at + 5))?;
                    set(&mut p.size, n, "SIZE", at)
                }
                MailKey::Body => {
                    let v = need(value, "BODY", at)?;
                    let b = if parse::is_word(v, b"7BIT") {
                        Body::SevenBit
                    } else if parse::is_word(v, b"8BITMIME") {
                        Body::EightBitMime
                    } else if parse::is_word(v, b"BINARYMIME") {
                        Body::BinaryMime
                    } else {
                        return Err(bad("BODY"));
                    };
                    set(&mut p.body, b, "BODY", at)
                }
                MailKey::SmtpUtf8 => flag(&mut p.smtputf8, value, "SMTPUTF8", at),
                MailKey::RequireTls => flag(&mut p.requiretls, value, "REQUIRETLS", at),
                MailKey::Ret => {
                    let v = need(value, "RET", at)?;
                    let r = if parse::is_word(v, b"FULL") {
                        Ret::Full
                    } else if parse::is_word(v, b"HDRS") {
                        Ret::Headers
                    } else {
                        return Err(bad("RET"));
                    };
                    set(&mut p.ret, r, "RET", at)
                }
                MailKey::Envid => {
                    let v = xtext::decode(need(value, "ENVID", at)?, false)
                        .map_err(|_| bad("ENVID"))?;
                    if v.chars().count() > MAX_ENVID {
                        return Err(err(
                            ParseErrorKind::TooLong {
                                what: "ENVID",
                                limit: MAX_ENVID,
                            },
                            at,
                        ));
                    }
                    set(&mut p.envid, v, "ENVID", at)
                }
                MailKey::Auth => {
                    let v = need(value, "AUTH", at)?;
                    let a = if v == b"<>" {
                        MailAuthRef::Unknown
                    } else {
                        MailAuthRef::Identity(xtext::decode(v, false).map_err(|_| bad("AUTH"))?)
                    };
                    set(&mut p.auth, a, "AUTH", at)
                }
                MailKey::MtPriority => {
                    let v = need(value, "MT-PRIORITY", at)?;
                    let (neg, digits) = match v.split_first() {
                        Some((b'-', rest)) => (true, rest),
                        Some((b'+', rest)) => (false, rest),
                        _ => (false, v),
                    };
                    let n = match digits {
                        [d @ b'0'..=b'9'] => (d - b'0') as i8,
                        _ => return Err(bad("MT-PRIORITY")),
                    };
                    set(
                        &mut p.mt_priority,
                        if neg { -n } else { n },
                        "MT-PRIORITY",
                        at,
                    )
                }
                MailKey::HoldFor => {
                    let v = need(value, "HOLDFOR", at)?;
                    let n = parse::number(v, 9, "HOLDFOR", "holdfor-value")
                        .map_err(|e| e.shifted(at + 8))?;
                    set(
                        &mut p.hold_for,
                        u32::try_from(n).map_err(|_| bad("HOLDFOR"))?,
                        "HOLDFOR",
                        at,
                    )
                }
                MailKey::HoldUntil => {
                    let v = need(value, "HOLDUNTIL", at)?;
                    if !parse::is_date_time(v) {
                        return Err(bad("HOLDUNTIL"));
                    }
                    set(&mut p.hold_until, text(v), "HOLDUNTIL", at)
                }
                MailKey::By => {
                    let v = need(value, "BY", at)?;
                    set(&mut p.by, parse_by(v).ok_or(bad("BY"))?, "BY", at)
                }
            }
        })?;
        Ok(p)
    }

    /// Whether no parameter was given.
    pub fn is_empty(&self) -> bool {
        self.size.is_none()
            && self.body.is_none()
            && !self.smtputf8
            && self.ret.is_none()
            && self.envid.is_none()
            && !self.requiretls
            && self.auth.is_none()
            && self.mt_priority.is_none()
            && self.hold_for.is_none()
            && self.hold_until.is_none()
            && self.by.is_none()
            && self.other.is_empty()
    }

    /// The owned [`MailParameters`].
    #[inline]
    pub fn into_owned(self) -> MailParameters {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(|e| Text::from_trusted(&e)),
            requiretls: self.requiretls,
            auth: self.auth.map(|a| match a {
                MailAuthRef::Unknown => MailAuth::Unknown,
                MailAuthRef::Identity(t) => MailAuth::Identity(Text::from_trusted(&t)),
            }),
            mt_priority: self.mt_priority,
            hold_for: self.hold_for,
            hold_until: self.hold_until.map(|d| DateTime(Box::new(d.to_owned()))),
            by: self.by,
            other: if self.other.is_empty() {
                Vec::new()
            } else {
                self.other.into_owned()
            },
        }
    }
}

/// `by-value = by-time ";" by-mode [ by-trace ]`, `by-time = ["-" / "+"] 1*9digit`,
/// `by-mode = "N" / "R"`, `by-trace = "T"` (RFC 2852 §4).
fn parse_by(v: &[u8]) -> Option<DeliverBy> {
    let semi = memchr::memchr(b';', v)?;
    let (time, rest) = (v.get(..semi)?, v.get(semi + 1..)?);
    let (neg, digits) = match time.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, time),
    };
    let n = i32::try_from(parse::number(digits, 9, "BY", "by-time").ok()?).ok()?;
    let (mode, trace) = match rest {
        [m] => (*m, false),
        [m, b'T' | b't'] => (*m, true),
        _ => return None,
    };
    let mode = match mode {
        b'N' | b'n' => DeliverByMode::Notify,
        b'R' | b'r' => DeliverByMode::Return,
        _ => return None,
    };
    Some(DeliverBy {
        seconds: if neg { -n } else { n },
        mode,
        trace,
    })
}

/// ```text
/// notify-esmtp-value = "NEVER" / 1#notify-list-element
/// notify-list-element = "SUCCESS" / "FAILURE" / "DELAY"
/// ```
#[inline(always)]
fn parse_notify(v: &[u8]) -> Option<Notify> {
    if parse::is_word(v, b"NEVER") {
        return Some(Notify::Never);
    }
    let (mut s, mut f, mut d) = (false, false, false);
    for item in v.split(|&b| b == b',') {
        let slot = if parse::is_word(item, b"SUCCESS") {
            &mut s
        } else if parse::is_word(item, b"FAILURE") {
            &mut f
        } else if parse::is_word(item, b"DELAY") {
            &mut d
        } else {
            return None;
        };
        if *slot {
            return None;
        }
        *slot = true;
    }
    Some(Notify::On {
        success: s,
        failure: f,
        delay: d,
    })
}

impl<'a> RcptParametersRef<'a> {
    /// `Rcpt-parameters = esmtp-param *(SP esmtp-param)`.
    #[inline]
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        let mut p = Self::default();
        p.other.raw = input;
        p.other.rcpt = true;
        each_param(input, |at, key, value| {
            let bad = |name| err(ParseErrorKind::InvalidParameter(name), at);
            let Some(known) = rcpt_key(key) else {
                p.other.count += 1;
                return Ok(());
            };
            match known {
                RcptKey::Notify => {
                    let v = need(value, "NOTIFY", at)?;
                    let n = parse_notify(v).ok_or(bad("NOTIFY"))?;
                    set(&mut p.notify, n, "NOTIFY", at)
                }
                RcptKey::Orcpt => {
                    let v = need(value, "ORCPT", at)?;
                    let o = parse_orcpt(v, at)?;
                    set(&mut p.orcpt, o, "ORCPT", at)
                }
                RcptKey::Rrvs => {
                    let v = need(value, "RRVS", at)?;
                    let (dt, action) = match v.split_last() {
                        Some((&a, rest))
                            if rest.last() == Some(&b';')
                                && matches!(a, b'C' | b'R' | b'c' | b'r') =>
                        {
                            (
                                rest.get(..rest.len() - 1).unwrap_or_default(),
                                Some(char::from(a.to_ascii_uppercase())),
                            )
                        }
                        _ => (v, None),
                    };
                    if !parse::is_date_time(dt) {
                        return Err(bad("RRVS"));
                    }
                    let rrvs = RrvsRef {
                        date_time: text(dt),
                        action,
                    };
                    set(&mut p.rrvs, rrvs, "RRVS", at)
                }
            }
        })?;
        Ok(p)
    }

    /// Whether no parameter was given.
    pub fn is_empty(&self) -> bool {
        self.notify.is_none()
            && self.orcpt.is_none()
            && self.rrvs.is_none()
            && self.other.is_empty()
    }

    /// The owned [`RcptParameters`].
    #[inline]
    pub fn into_owned(self) -> RcptParameters {
        RcptParameters {
            notify: self.notify,
            orcpt: self.orcpt.map(OrcptRef::into_owned),
            rrvs: self.rrvs.map(|r| Rrvs {
                date_time: DateTime(Box::new(r.date_time.to_owned())),
                action: r.action,
            }),
            other: if self.other.is_empty() {
                Vec::new()
            } else {
                self.other.into_owned()
            },
        }
    }
}

/// `orcpt-parameter = "ORCPT=" addr-type ";" xtext`, `addr-type = atom` (RFC 3461 §4.2); with
/// type `utf-8` the address is utf-8-addr-xtext (RFC 6533 §3). `at` is the parameter's
/// offset, for errors.
#[inline(always)]
fn parse_orcpt(v: &[u8], at: usize) -> Result<OrcptRef<'_>, ParseError> {
    let bad = || err(ParseErrorKind::InvalidParameter("ORCPT"), at);
    let semi = v.iter().position(|&b| b == b';').ok_or_else(bad)?;
    let (ty, addr) = (
        v.get(..semi).unwrap_or_default(),
        v.get(semi + 1..).unwrap_or_default(),
    );
    let type_ok = !ty.is_empty() && ty.iter().all(|&b| class(b) & ATEXT_ASCII == ATEXT_ASCII);
    if type_ok && xtext::is_plain(addr) {
        // Nothing encoded: `v` is already `addr-type;address`, all ASCII.
        if addr.len() > MAX_ORCPT {
            return Err(bad());
        }
        return Ok(OrcptRef {
            value: v,
            semi,
            decoded: None,
        });
    }
    let unicode = ty.eq_ignore_ascii_case(b"utf-8");
    let addr = xtext::decode(addr, unicode).map_err(|e| match e.kind {
        ParseErrorKind::ForbiddenByte(b) => err(ParseErrorKind::ForbiddenByte(b), at),
        _ => bad(),
    })?;
    if std::str::from_utf8(ty).is_err() || !type_ok || addr.len() > MAX_ORCPT {
        return Err(bad());
    }
    Ok(OrcptRef {
        value: v,
        semi,
        decoded: Some(addr.into()),
    })
}
