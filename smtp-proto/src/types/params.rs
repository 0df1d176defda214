//! Typed MAIL and RCPT parameters (RFC 5321 §4.1.2 `Mail-parameters` / `Rcpt-parameters`).

use std::fmt;

use bytes::BytesMut;

use crate::error::InvalidValue;
#[cfg(test)]
use crate::error::ParseError;
use crate::parse::class::{ASCII, VALUE, class};
use crate::parse::{self, xtext};

use super::Text;
use super::params_ref::{self, MAX_ORCPT};
#[cfg(test)]
use super::params_ref::{MailParametersRef, RcptParametersRef};
use super::small::SplitStr;

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
    pub(super) fn from_parts(addr_type: &str, address: &str) -> Self {
        Self {
            text: SplitStr::join(addr_type, b';', address),
        }
    }

    /// `addr-type;address` with nothing encoded, ASCII, split at `semi`.
    pub(super) fn from_checked(v: &[u8], semi: usize) -> Self {
        Self {
            text: SplitStr::from_checked(v, semi),
        }
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
pub struct DateTime(pub(super) Box<String>);

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
    pub(super) keyword: String,
    pub(super) value: Option<String>,
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
    params_ref::is_value_of(b, b.iter().fold(VALUE | ASCII, |acc, &c| acc & class(c)))
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

impl MailParameters {
    /// `Mail-parameters = esmtp-param *(SP esmtp-param)`.
    #[cfg(test)]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParseError> {
        MailParametersRef::parse(input).map(MailParametersRef::into_owned)
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

impl RcptParameters {
    /// `Rcpt-parameters = esmtp-param *(SP esmtp-param)`.
    #[cfg(test)]
    pub(crate) fn parse(input: &[u8]) -> Result<Self, ParseError> {
        RcptParametersRef::parse(input).map(RcptParametersRef::into_owned)
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
    use crate::error::ParseErrorKind;

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
            params_ref::each_param(input, |at, key, value| {
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
