//! Typed MAIL and RCPT parameters (RFC 5321 §4.1.2 `Mail-parameters` / `Rcpt-parameters`).

use std::fmt;

use bytes::BytesMut;

use crate::error::{InvalidValue, ParseError, ParseErrorKind};
use crate::parse::class::{ASCII, ATEXT, KEYWORD, VALUE, class};
use crate::parse::{self, xtext};

/// An ASCII `atext` byte, as in an ORCPT address type.
const ATEXT_ASCII: u16 = ATEXT | ASCII;

use super::Text;
use super::small::SplitStr;

/// RFC 3461 §4.4: ENVID is at most 100 characters.
const MAX_ENVID: usize = 100;
/// RFC 3461 §4.2: ORCPT is at most 500 characters.
const MAX_ORCPT: usize = 500;

/// `BODY=` (RFC 6152 §2, RFC 3030 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BINARYMIME` (RFC 3030; BDAT only).
    BinaryMime,
}

impl Body {
    fn as_str(self) -> &'static str {
        match self {
            Self::SevenBit => "7BIT",
            Self::EightBitMime => "8BITMIME",
            Self::BinaryMime => "BINARYMIME",
        }
    }
}

/// `RET=` (RFC 3461 §4.3): how much of the message a DSN returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`.
    Full,
    /// `HDRS`.
    Headers,
}

/// `AUTH=` on MAIL (RFC 4954 §5): the authenticated submitter, or `<>` for unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailAuth {
    /// `AUTH=<>`.
    Unknown,
    /// The submitter's mailbox (xtext decoded).
    Identity(Text),
}

/// `BY=` (RFC 2852 §4): deliver-by time in seconds, mode and trace flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// `by-time`: seconds, ±999999999.
    pub seconds: i32,
    /// `by-mode`.
    pub mode: DeliverByMode,
    /// The `T` trace flag.
    pub trace: bool,
}

/// The `by-mode` of [`DeliverBy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliverByMode {
    /// `N`: notify if late.
    Notify,
    /// `R`: return if late.
    Return,
}

/// `NOTIFY=` (RFC 3461 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NEVER`.
    Never,
    /// Any combination of `SUCCESS`, `FAILURE`, `DELAY` (at least one).
    On {
        /// `SUCCESS`.
        success: bool,
        /// `FAILURE`.
        failure: bool,
        /// `DELAY`.
        delay: bool,
    },
}

/// `ORCPT=addr-type;xtext` (RFC 3461 §4.2), decoded; `utf-8` type uses utf-8-addr-xtext (RFC 6533).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    /// `addr-type;address` (decoded), split at the `;`.
    text: SplitStr<37>,
}

impl fmt::Debug for Orcpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orcpt")
            .field("addr_type", &self.addr_type())
            .field("address", &self.address())
            .finish()
    }
}

impl Orcpt {
    /// Builds an ORCPT; the type is an atom, the address has no control characters.
    pub fn new(addr_type: &str, address: &str) -> Result<Self, InvalidValue> {
        if addr_type.is_empty()
            || !addr_type
                .bytes()
                .all(|b| parse::path::is_atext(b) && b.is_ascii())
        {
            return Err(InvalidValue::Syntax {
                what: "ORCPT",
                reason: "address type must be an atom",
            });
        }
        if let Some(b) = address.bytes().find(|&b| b < 0x20 || b == 0x7f) {
            return Err(InvalidValue::ForbiddenByte {
                what: "ORCPT",
                byte: b,
            });
        }
        if address.len() > MAX_ORCPT {
            return Err(InvalidValue::TooLong {
                what: "ORCPT",
                limit: MAX_ORCPT,
            });
        }
        Ok(Self::from_parts(addr_type, address))
    }

    /// The address type, e.g. `rfc822` or `utf-8`.
    pub fn addr_type(&self) -> &str {
        self.text
            .as_str()
            .get(..self.text.split())
            .unwrap_or_default()
    }

    /// The decoded original recipient.
    pub fn address(&self) -> &str {
        self.text
            .as_str()
            .get(self.text.split() + 1..)
            .unwrap_or_default()
    }

    /// Joins the checked parts, inline when short.
    fn from_parts(addr_type: &str, address: &str) -> Self {
        Self {
            text: SplitStr::join(addr_type, b';', address),
        }
    }

    /// `addr-type;address` with nothing encoded, ASCII, split at `semi`.
    fn from_ascii(v: &[u8], semi: usize) -> Option<Self> {
        SplitStr::from_bytes(v, semi, true)
            .ok()
            .map(|text| Self { text })
    }

    fn is_utf8_type(&self) -> bool {
        self.addr_type().eq_ignore_ascii_case("utf-8")
    }
}

/// `RRVS=date-time[;C|R]` (RFC 7293 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rrvs {
    /// The RFC 3339 date-time, as sent.
    pub date_time: DateTime,
    /// `C` (continue) or `R` (reject) when given.
    pub action: Option<char>,
}

/// An RFC 3339 `date-time` (checked for its character set and length).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(
    clippy::box_collection,
    reason = "one thin pointer keeps the parameters small"
)]
pub struct DateTime(Box<String>);

impl DateTime {
    /// The date-time as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for DateTime {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if parse::is_date_time(value.as_bytes()) {
            Ok(Self(Box::new(value.to_owned())))
        } else {
            Err(InvalidValue::Syntax {
                what: "date-time",
                reason: "not an RFC 3339 date-time",
            })
        }
    }
}

/// A parameter this crate does not type, kept as sent: `esmtp-keyword ["=" esmtp-value]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    keyword: String,
    value: Option<String>,
}

impl Parameter {
    /// ```text
    /// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    /// esmtp-value   = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)
    /// ```
    pub fn new(keyword: &str, value: Option<&str>) -> Result<Self, InvalidValue> {
        if !is_keyword(keyword.as_bytes()) {
            return Err(InvalidValue::Syntax {
                what: "parameter keyword",
                reason: "ALPHA / DIGIT / -",
            });
        }
        if let Some(v) = value
            && !is_value(v.as_bytes())
        {
            return Err(InvalidValue::Syntax {
                what: "parameter value",
                reason: "printable, no space or =",
            });
        }
        Ok(Self {
            keyword: keyword.to_owned(),
            value: value.map(str::to_owned),
        })
    }

    /// The keyword as sent.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The raw value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

fn is_keyword(b: &[u8]) -> bool {
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
}

/// `esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)`: every byte above SP but DEL and `=`.
fn is_value(b: &[u8]) -> bool {
    is_value_of(b, b.iter().fold(VALUE | ASCII, |acc, &c| acc & class(c)))
}

/// [`is_value`] given the classes all of `b`'s bytes share.
fn is_value_of(b: &[u8], classes: u16) -> bool {
    !b.is_empty()
        && classes & VALUE != 0
        && (classes & ASCII != 0 || std::str::from_utf8(b).is_ok())
}

/// The parameters of MAIL FROM, typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct MailParameters {
    /// `SIZE=` declared message size in octets (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` envelope identifier, xtext decoded (RFC 3461), ≤ 100 characters.
    pub envid: Option<Text>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `AUTH=` (RFC 4954 §5).
    pub auth: Option<MailAuth>,
    /// `MT-PRIORITY=` −9 to 9 (RFC 6710).
    pub mt_priority: Option<i8>,
    /// `HOLDFOR=` seconds (RFC 4865).
    pub hold_for: Option<u32>,
    /// `HOLDUNTIL=` date-time (RFC 4865).
    pub hold_until: Option<DateTime>,
    /// `BY=` (RFC 2852).
    pub by: Option<DeliverBy>,
    /// Parameters not typed above, in order.
    pub other: Vec<Parameter>,
}

/// The parameters of RCPT TO, typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RcptParameters {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<Orcpt>,
    /// `RRVS=` (RFC 7293).
    pub rrvs: Option<Rrvs>,
    /// Parameters not typed above, in order.
    pub other: Vec<Parameter>,
}

fn err(kind: ParseErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset, "esmtp-param")
}

/// ```text
/// Mail-parameters = esmtp-param *(SP esmtp-param)
/// esmtp-param     = esmtp-keyword ["=" esmtp-value]
/// esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// ```
/// Yields (offset, keyword, value) for each parameter, in one pass over the bytes; repeated
/// spaces are tolerated.
#[inline(always)]
fn each_param<'a>(
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

fn to_string(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

fn keep(other: &mut Vec<Parameter>, key: &[u8], value: Option<&[u8]>) {
    other.push(Parameter {
        keyword: to_string(key),
        value: value.map(to_string),
    });
}

impl MailParameters {
    /// `Mail-parameters = esmtp-param *(SP esmtp-param)`.
    #[inline]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParseError> {
        let mut p = Self::default();
        each_param(input, |at, key, value| {
            let bad = |name| err(ParseErrorKind::InvalidParameter(name), at);
            match key.len() {
                4 if parse::is_word(key, b"SIZE") => {
                    let v = need(value, "SIZE", at)?;
                    let n = parse::number(v, 20, "SIZE", "size-value")
                        .map_err(|e| e.shifted(at + 5))?;
                    set(&mut p.size, n, "SIZE", at)
                }
                4 if parse::is_word(key, b"BODY") => {
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
                8 if parse::is_word(key, b"SMTPUTF8") => {
                    flag(&mut p.smtputf8, value, "SMTPUTF8", at)
                }
                10 if parse::is_word(key, b"REQUIRETLS") => {
                    flag(&mut p.requiretls, value, "REQUIRETLS", at)
                }
                3 if parse::is_word(key, b"RET") => {
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
                5 if parse::is_word(key, b"ENVID") => {
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
                    set(&mut p.envid, Text::from_trusted(&v), "ENVID", at)
                }
                4 if parse::is_word(key, b"AUTH") => {
                    let v = need(value, "AUTH", at)?;
                    let a = if v == b"<>" {
                        MailAuth::Unknown
                    } else {
                        MailAuth::Identity(Text::from_trusted(
                            &xtext::decode(v, false).map_err(|_| bad("AUTH"))?,
                        ))
                    };
                    set(&mut p.auth, a, "AUTH", at)
                }
                11 if parse::is_word(key, b"MT-PRIORITY") => {
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
                7 if parse::is_word(key, b"HOLDFOR") => {
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
                9 if parse::is_word(key, b"HOLDUNTIL") => {
                    let v = need(value, "HOLDUNTIL", at)?;
                    if !parse::is_date_time(v) {
                        return Err(bad("HOLDUNTIL"));
                    }
                    set(
                        &mut p.hold_until,
                        DateTime(Box::new(to_string(v))),
                        "HOLDUNTIL",
                        at,
                    )
                }
                2 if parse::is_word(key, b"BY") => {
                    let v = need(value, "BY", at)?;
                    set(&mut p.by, parse_by(v).ok_or(bad("BY"))?, "BY", at)
                }
                _ => {
                    keep(&mut p.other, key, value);
                    Ok(())
                }
            }
        })?;
        Ok(p)
    }

    /// Writes ` KEY=value` for every parameter set, typed ones first.
    pub fn encode(&self, out: &mut BytesMut) {
        if let Some(n) = self.size {
            out.extend_from_slice(format!(" SIZE={n}").as_bytes());
        }
        if let Some(b) = self.body {
            out.extend_from_slice(b" BODY=");
            out.extend_from_slice(b.as_str().as_bytes());
        }
        if self.smtputf8 {
            out.extend_from_slice(b" SMTPUTF8");
        }
        if let Some(r) = self.ret {
            out.extend_from_slice(match r {
                Ret::Full => b" RET=FULL",
                Ret::Headers => b" RET=HDRS",
            });
        }
        if let Some(e) = &self.envid {
            out.extend_from_slice(b" ENVID=");
            xtext::encode(e.as_str(), false, out);
        }
        if self.requiretls {
            out.extend_from_slice(b" REQUIRETLS");
        }
        match &self.auth {
            Some(MailAuth::Unknown) => out.extend_from_slice(b" AUTH=<>"),
            Some(MailAuth::Identity(t)) => {
                out.extend_from_slice(b" AUTH=");
                xtext::encode(t.as_str(), false, out);
            }
            None => {}
        }
        if let Some(n) = self.mt_priority {
            out.extend_from_slice(format!(" MT-PRIORITY={n}").as_bytes());
        }
        if let Some(n) = self.hold_for {
            out.extend_from_slice(format!(" HOLDFOR={n}").as_bytes());
        }
        if let Some(d) = &self.hold_until {
            out.extend_from_slice(b" HOLDUNTIL=");
            out.extend_from_slice(d.0.as_bytes());
        }
        if let Some(by) = &self.by {
            let mode = match by.mode {
                DeliverByMode::Notify => 'N',
                DeliverByMode::Return => 'R',
            };
            let t = if by.trace { "T" } else { "" };
            out.extend_from_slice(format!(" BY={};{mode}{t}", by.seconds).as_bytes());
        }
        encode_other(&self.other, out);
    }
}

fn encode_other(other: &[Parameter], out: &mut BytesMut) {
    for p in other {
        out.extend_from_slice(b" ");
        out.extend_from_slice(p.keyword.as_bytes());
        if let Some(v) = &p.value {
            out.extend_from_slice(b"=");
            out.extend_from_slice(v.as_bytes());
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

impl RcptParameters {
    /// `Rcpt-parameters = esmtp-param *(SP esmtp-param)`.
    #[inline]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParseError> {
        let mut p = Self::default();
        each_param(input, |at, key, value| {
            let bad = |name| err(ParseErrorKind::InvalidParameter(name), at);
            match key.len() {
                6 if parse::is_word(key, b"NOTIFY") => {
                    let v = need(value, "NOTIFY", at)?;
                    let n = if parse::is_word(v, b"NEVER") {
                        Notify::Never
                    } else {
                        let (mut s, mut f, mut d) = (false, false, false);
                        for item in v.split(|&b| b == b',') {
                            let slot = if parse::is_word(item, b"SUCCESS") {
                                &mut s
                            } else if parse::is_word(item, b"FAILURE") {
                                &mut f
                            } else if parse::is_word(item, b"DELAY") {
                                &mut d
                            } else {
                                return Err(bad("NOTIFY"));
                            };
                            if *slot {
                                return Err(bad("NOTIFY"));
                            }
                            *slot = true;
                        }
                        Notify::On {
                            success: s,
                            failure: f,
                            delay: d,
                        }
                    };
                    set(&mut p.notify, n, "NOTIFY", at)
                }
                5 if parse::is_word(key, b"ORCPT") => {
                    let v = need(value, "ORCPT", at)?;
                    let semi = v.iter().position(|&b| b == b';').ok_or(bad("ORCPT"))?;
                    let (ty, addr) = (
                        v.get(..semi).unwrap_or_default(),
                        v.get(semi + 1..).unwrap_or_default(),
                    );
                    let type_ok =
                        !ty.is_empty() && ty.iter().all(|&b| class(b) & ATEXT_ASCII == ATEXT_ASCII);
                    let o = if type_ok && xtext::is_plain(addr) {
                        // Nothing encoded: `v` is already `addr-type;address`, all ASCII.
                        if addr.len() > MAX_ORCPT {
                            return Err(bad("ORCPT"));
                        }
                        Orcpt::from_ascii(v, semi).ok_or(bad("ORCPT"))?
                    } else {
                        let unicode = ty.eq_ignore_ascii_case(b"utf-8");
                        let addr = xtext::decode(addr, unicode).map_err(|e| match e.kind {
                            ParseErrorKind::ForbiddenByte(b) => {
                                err(ParseErrorKind::ForbiddenByte(b), at)
                            }
                            _ => bad("ORCPT"),
                        })?;
                        let ty = std::str::from_utf8(ty).map_err(|_| bad("ORCPT"))?;
                        if !type_ok || addr.len() > MAX_ORCPT {
                            return Err(bad("ORCPT"));
                        }
                        Orcpt::from_parts(ty, &addr)
                    };
                    set(&mut p.orcpt, o, "ORCPT", at)
                }
                4 if parse::is_word(key, b"RRVS") => {
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
                    set(
                        &mut p.rrvs,
                        Rrvs {
                            date_time: DateTime(Box::new(to_string(dt))),
                            action,
                        },
                        "RRVS",
                        at,
                    )
                }
                _ => {
                    keep(&mut p.other, key, value);
                    Ok(())
                }
            }
        })?;
        Ok(p)
    }

    /// Writes ` KEY=value` for every parameter set, typed ones first.
    pub fn encode(&self, out: &mut BytesMut) {
        match self.notify {
            Some(Notify::Never) => out.extend_from_slice(b" NOTIFY=NEVER"),
            Some(Notify::On {
                success,
                failure,
                delay,
            }) => {
                out.extend_from_slice(b" NOTIFY=");
                let items: Vec<&str> =
                    [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")]
                        .into_iter()
                        .filter_map(|(on, s)| on.then_some(s))
                        .collect();
                out.extend_from_slice(items.join(",").as_bytes());
            }
            None => {}
        }
        if let Some(o) = &self.orcpt {
            out.extend_from_slice(b" ORCPT=");
            out.extend_from_slice(o.addr_type().as_bytes());
            out.extend_from_slice(b";");
            xtext::encode(o.address(), o.is_utf8_type(), out);
        }
        if let Some(r) = &self.rrvs {
            out.extend_from_slice(b" RRVS=");
            out.extend_from_slice(r.date_time.0.as_bytes());
            if let Some(a) = r.action {
                out.extend_from_slice(format!(";{a}").as_bytes());
            }
        }
        encode_other(&self.other, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_params() {
        let p = MailParameters::parse(b"SIZE=1000 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 MT-PRIORITY=-3 BY=120;RT HOLDFOR=60 AUTH=<> X-FOO=bar Y").unwrap();
        assert_eq!(p.size, Some(1000));
        assert_eq!(p.body, Some(Body::EightBitMime));
        assert!(p.smtputf8);
        assert_eq!(p.ret, Some(Ret::Headers));
        assert_eq!(p.envid.as_ref().map(Text::as_str), Some("QQ314159"));
        assert_eq!(p.mt_priority, Some(-3));
        assert_eq!(
            p.by,
            Some(DeliverBy {
                seconds: 120,
                mode: DeliverByMode::Return,
                trace: true
            })
        );
        assert_eq!(p.other.len(), 2);
        let mut out = BytesMut::new();
        p.encode(&mut out);
        assert_eq!(MailParameters::parse(out.get(1..).unwrap()).unwrap(), p);
        for bad in [
            &b"SIZE=9999999999999999999999999"[..],
            b"SIZE=99999999999999999999",
            b"BODY=8BITMIME BODY=7BIT",
            b"BODY=9BIT",
            b"SMTPUTF8=yes",
            b"ENVID=x+0D+0Ay",
            b"MT-PRIORITY=10",
        ] {
            assert!(
                MailParameters::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!("ENVID={}", "a".repeat(101));
        assert!(MailParameters::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn parameter_boundaries() {
        let offsets = |input: &[u8]| {
            let mut seen = Vec::new();
            each_param(input, |at, key, value| {
                seen.push((at, key.to_vec(), value.map(<[u8]>::to_vec)));
                Ok(())
            })
            .map(|()| seen)
            .map_err(|e| (e.offset, e.kind))
        };
        assert_eq!(
            offsets(b"A=1  B C-D=x=").unwrap_err(),
            (11, ParseErrorKind::Syntax)
        );
        assert_eq!(
            offsets(b"A=1  B  ").unwrap(),
            vec![
                (0, b"A".to_vec(), Some(b"1".to_vec())),
                (5, b"B".to_vec(), None)
            ]
        );
        for (bad, offset) in [
            (&b"=1"[..], 0),
            (b"-A", 0),
            (b"A=", 2),
            (b"A B_C", 2),
            (b"A=\x01", 2),
            (b"A=\xff", 2),
        ] {
            assert_eq!(offsets(bad).unwrap_err().0, offset, "{bad:?}");
        }
        assert_eq!(
            offsets(b"A=\r").unwrap_err().1,
            ParseErrorKind::ForbiddenByte(b'\r')
        );
        assert_eq!(offsets("K=\u{e9}t\u{e9}".as_bytes()).unwrap().len(), 1);
        let orcpt = RcptParameters::parse(b"ORCPT=rfc822;a@b.example").unwrap();
        assert_eq!(
            orcpt.orcpt.as_ref().map(Orcpt::address),
            Some("a@b.example")
        );
        let orcpt = RcptParameters::parse(b"ORCPT=rfc822;a+2Bb@c").unwrap();
        assert_eq!(orcpt.orcpt.as_ref().map(Orcpt::address), Some("a+b@c"));
        assert!(RcptParameters::parse(b"ORCPT=rf(c;a@b").is_err());
    }

    #[test]
    fn rcpt_params() {
        let p =
            RcptParameters::parse(b"NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b.example").unwrap();
        assert_eq!(
            p.notify,
            Some(Notify::On {
                success: true,
                failure: true,
                delay: false
            })
        );
        assert_eq!(p.orcpt.as_ref().map(Orcpt::address), Some("a@b.example"));
        assert!(RcptParameters::parse(b"NOTIFY=NEVER,SUCCESS").is_err());
        assert!(RcptParameters::parse(b"ORCPT=rfc822;x+0D+0AX:y").is_err());
        let p = RcptParameters::parse(b"RRVS=2014-04-03T23:01:00Z;C").unwrap();
        assert_eq!(p.rrvs.unwrap().action, Some('C'));
    }
}
