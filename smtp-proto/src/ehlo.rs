//! The EHLO reply (RFC 5321 §4.1.1.1): the server's domain and its typed service extensions.
//!
//! Unknown keywords are kept ([`Capability::Other`]); the writer always terminates the reply
//! and never puts an enhanced status code on it (RFC 2034 §4).

use bytes::{Bytes, BytesMut};
use mail_sansio::Parsed;

use crate::error::{InvalidValue, ParseError, ParseErrorKind};
use crate::parse;
use crate::reply::{Reply, ReplyCode, ReplyLimits};
use crate::types::{MechanismName, Text};

/// One EHLO keyword with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `SIZE [limit]` (RFC 1870); `None` or `Some(0)` means no fixed limit.
    Size(Option<u64>),
    /// `PIPELINING` (RFC 2920).
    Pipelining,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `CHUNKING` (RFC 3030).
    Chunking,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime,
    /// `DSN` (RFC 3461).
    Dsn,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `AUTH mech...` (RFC 4954).
    Auth(Vec<MechanismName>),
    /// `LIMITS` (RFC 9422).
    Limits {
        /// `RCPTMAX=`: recipients per transaction.
        rcpt_max: Option<u64>,
        /// `MAILMAX=`: transactions per session.
        mail_max: Option<u64>,
        /// `RCPTDOMAINMAX=`: recipient domains per transaction.
        rcpt_domain_max: Option<u64>,
    },
    /// Any other keyword, kept as sent (keyword upper-cased).
    Other {
        /// `ehlo-keyword`.
        keyword: String,
        /// `ehlo-param`s.
        params: Vec<String>,
    },
}

impl Capability {
    /// An unknown extension: `ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`,
    /// `ehlo-param = 1*(%d33-126)`.
    pub fn other(keyword: &str, params: &[&str]) -> Result<Self, InvalidValue> {
        let k = keyword.as_bytes();
        if !(k.first().is_some_and(u8::is_ascii_alphanumeric)
            && k.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(InvalidValue::Syntax {
                what: "ehlo-keyword",
                reason: "ALPHA / DIGIT / -",
            });
        }
        if params
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| (33..=126).contains(&b)))
        {
            return Err(InvalidValue::Syntax {
                what: "ehlo-param",
                reason: "printable ASCII without space",
            });
        }
        Ok(Self::Other {
            keyword: keyword.to_ascii_uppercase(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let word: &str = match self {
            Self::Size(None) => "SIZE",
            Self::Size(Some(n)) => {
                out.extend_from_slice(format!("SIZE {n}").as_bytes());
                return;
            }
            Self::Pipelining => "PIPELINING",
            Self::EightBitMime => "8BITMIME",
            Self::SmtpUtf8 => "SMTPUTF8",
            Self::Chunking => "CHUNKING",
            Self::BinaryMime => "BINARYMIME",
            Self::Dsn => "DSN",
            Self::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
            Self::StartTls => "STARTTLS",
            Self::RequireTls => "REQUIRETLS",
            Self::Auth(mechs) => {
                out.extend_from_slice(b"AUTH");
                for m in mechs {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(m.as_str().as_bytes());
                }
                return;
            }
            Self::Limits {
                rcpt_max,
                mail_max,
                rcpt_domain_max,
            } => {
                out.extend_from_slice(b"LIMITS");
                for (name, v) in [
                    ("MAILMAX", mail_max),
                    ("RCPTMAX", rcpt_max),
                    ("RCPTDOMAINMAX", rcpt_domain_max),
                ] {
                    if let Some(v) = v {
                        out.extend_from_slice(format!(" {name}={v}").as_bytes());
                    }
                }
                return;
            }
            Self::Other { keyword, params } => {
                out.extend_from_slice(keyword.as_bytes());
                for p in params {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(p.as_bytes());
                }
                return;
            }
        };
        out.extend_from_slice(word.as_bytes());
    }

    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`.
    fn parse(line: &[u8]) -> Option<Self> {
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let keyword = words.next()?;
        if !keyword
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        type Make = fn() -> Capability;
        const SIMPLE: [(&[u8], Make); 9] = [
            (b"PIPELINING", || Capability::Pipelining),
            (b"8BITMIME", || Capability::EightBitMime),
            (b"SMTPUTF8", || Capability::SmtpUtf8),
            (b"CHUNKING", || Capability::Chunking),
            (b"BINARYMIME", || Capability::BinaryMime),
            (b"DSN", || Capability::Dsn),
            (b"ENHANCEDSTATUSCODES", || Capability::EnhancedStatusCodes),
            (b"STARTTLS", || Capability::StartTls),
            (b"REQUIRETLS", || Capability::RequireTls),
        ];
        let rest_start = keyword.len();
        let has_params = line
            .get(rest_start..)
            .is_some_and(|r| r.iter().any(|&b| b != b' '));
        if !has_params {
            for (word, cap) in SIMPLE {
                if keyword.len() == word.len() && keyword.eq_ignore_ascii_case(word) {
                    return Some(cap());
                }
            }
        }
        let rest: Vec<&[u8]> = words.collect();
        if keyword.eq_ignore_ascii_case(b"SIZE") {
            return match rest.as_slice() {
                [] => Some(Self::Size(None)),
                // Saturate rather than fail the whole EHLO reply (security-anchors §8 item 28).
                [n] => Some(Self::Size(Some(
                    parse::number(n, 20, "SIZE", "size").unwrap_or(u64::MAX),
                ))),
                _ => None,
            };
        }
        if keyword.eq_ignore_ascii_case(b"AUTH") {
            return Some(Self::Auth(
                rest.iter()
                    .filter_map(|m| MechanismName::parse(m))
                    .collect(),
            ));
        }
        if keyword.eq_ignore_ascii_case(b"LIMITS") {
            let (mut rcpt_max, mut mail_max, mut rcpt_domain_max) = (None, None, None);
            for p in &rest {
                let (k, v) = p.split_at_checked(memchr::memchr(b'=', p)?)?;
                let n = parse::number(v.get(1..)?, 20, "LIMITS", "limit-value").ok()?;
                if k.eq_ignore_ascii_case(b"RCPTMAX") {
                    rcpt_max = Some(n);
                } else if k.eq_ignore_ascii_case(b"MAILMAX") {
                    mail_max = Some(n);
                } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                    rcpt_domain_max = Some(n);
                }
            }
            return Some(Self::Limits {
                rcpt_max,
                mail_max,
                rcpt_domain_max,
            });
        }
        let keyword = String::from_utf8_lossy(keyword).to_ascii_uppercase();
        let params = rest
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        Some(Self::Other { keyword, params })
    }
}

/// The positive reply to EHLO/LHLO: the server's domain, optional greeting text, extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EhloReply {
    domain: Text,
    greeting: Option<Text>,
    capabilities: Vec<Capability>,
}

impl EhloReply {
    /// A reply naming `domain` (no spaces), with no extensions yet.
    pub fn new(domain: &str) -> Result<Self, InvalidValue> {
        if domain.is_empty() || domain.contains(' ') {
            return Err(InvalidValue::Syntax {
                what: "ehlo domain",
                reason: "one word",
            });
        }
        Ok(Self {
            domain: Text::try_from(domain)?,
            greeting: None,
            capabilities: Vec::new(),
        })
    }

    /// A reply naming a validated domain.
    pub(crate) fn for_domain(domain: &crate::types::Domain) -> Self {
        Self {
            domain: Text::from_trusted(domain.as_str().to_owned()),
            greeting: None,
            capabilities: Vec::new(),
        }
    }

    /// Sets the text after the domain on the first line.
    pub fn with_greeting(mut self, greeting: &str) -> Result<Self, InvalidValue> {
        self.greeting = Some(Text::try_from(greeting)?);
        Ok(self)
    }

    /// Adds an extension.
    pub fn push(&mut self, capability: Capability) {
        self.capabilities.push(capability);
    }

    /// The server's domain (first word of the first line).
    pub fn domain(&self) -> &str {
        self.domain.as_str()
    }

    /// The greeting text after the domain.
    pub fn greeting(&self) -> Option<&str> {
        self.greeting.as_ref().map(Text::as_str)
    }

    /// The extensions, in order.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// Whether an extension matching `f` is present.
    pub fn has(&self, f: impl Fn(&Capability) -> bool) -> bool {
        self.capabilities.iter().any(f)
    }

    /// The SIZE limit: `None` if SIZE is not offered, `Some(None)` if offered without a limit.
    pub fn size(&self) -> Option<Option<u64>> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::Size(n) => Some(n.filter(|&n| n > 0)),
            _ => None,
        })
    }

    /// The SASL mechanisms offered (empty if AUTH is not offered).
    pub fn auth_mechanisms(&self) -> &[MechanismName] {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::Auth(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Writes `250-domain` ... `250 LAST`, or a single `250 domain` with no extensions.
    pub fn encode(&self, out: &mut BytesMut) {
        self.encode_with_code(ReplyCode::OK, out);
    }

    pub(crate) fn encode_with_code(&self, code: ReplyCode, out: &mut BytesMut) {
        let digits = code.to_string();
        out.extend_from_slice(digits.as_bytes());
        out.extend_from_slice(if self.capabilities.is_empty() {
            b" "
        } else {
            b"-"
        });
        out.extend_from_slice(self.domain.as_str().as_bytes());
        if let Some(g) = &self.greeting {
            out.extend_from_slice(b" ");
            out.extend_from_slice(g.as_str().as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        let n = self.capabilities.len();
        for (i, c) in self.capabilities.iter().enumerate() {
            out.extend_from_slice(digits.as_bytes());
            out.extend_from_slice(if i + 1 == n { b" " } else { b"-" });
            c.encode(out);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Decodes an EHLO reply from the front of `input` (default [`ReplyLimits`]).
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        match Reply::decode_with(input, &ReplyLimits::default())? {
            Parsed::Complete { value, consumed } => Ok(Parsed::Complete {
                value: Self::from_reply(&value)?,
                consumed,
            }),
            Parsed::Incomplete => Ok(Parsed::Incomplete),
        }
    }

    /// Interprets a decoded 250 reply as an EHLO reply. Lines that are not valid keywords are
    /// skipped; the first word of the first line is the domain.
    pub fn from_reply(reply: &Reply) -> Result<Self, ParseError> {
        if reply.code() != ReplyCode::OK {
            return Err(ParseError::new(
                ParseErrorKind::InvalidReplyCode,
                0,
                "ehlo-ok-rsp",
            ));
        }
        let mut lines = reply.lines();
        let first = lines.next().unwrap_or_default();
        let (domain, greet) = parse::split_word(first);
        let clean = |b: &[u8]| Text::from_trusted(String::from_utf8_lossy(b).into_owned());
        let mut out = Self {
            domain: clean(domain),
            greeting: (!greet.is_empty()).then(|| clean(greet)),
            capabilities: Vec::new(),
        };
        if reply.enhanced().is_some() {
            // A server that wrongly prefixed an enhanced code: keep the text as sent.
            return Ok(out);
        }
        out.capabilities = lines.filter_map(Capability::parse).collect();
        Ok(out)
    }

    /// This reply as a generic [`Reply`].
    pub fn to_reply(&self) -> Reply {
        let mut first = self.domain.as_str().to_owned();
        if let Some(g) = &self.greeting {
            first.push(' ');
            first.push_str(g.as_str());
        }
        let mut lines = vec![Bytes::from(first)];
        for c in &self.capabilities {
            let mut b = BytesMut::new();
            c.encode(&mut b);
            lines.push(b.freeze());
        }
        Reply::from_parts(ReplyCode::OK, None, lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let input = b"250-mx.example hello\r\n250-SIZE 1000\r\n250-PIPELINING\r\n250-AUTH PLAIN login X-FOO\r\n250-LIMITS RCPTMAX=10\r\n250-X-VENDOR a b\r\n250 STARTTLS\r\n";
        let Parsed::Complete { value, consumed } = EhloReply::decode(input).unwrap() else {
            panic!()
        };
        assert_eq!(consumed, input.len());
        assert_eq!(value.domain(), "mx.example");
        assert_eq!(value.size(), Some(Some(1000)));
        assert_eq!(
            value.auth_mechanisms(),
            &[
                MechanismName::from(mail_sansio::sasl::Mechanism::Plain),
                MechanismName::from(mail_sansio::sasl::Mechanism::Login),
                MechanismName::parse(b"X-FOO").unwrap()
            ]
        );
        assert!(
            value.has(|c| matches!(c, Capability::Other { keyword, .. } if keyword == "X-VENDOR"))
        );
        assert!(value.has(|c| matches!(
            c,
            Capability::Limits {
                rcpt_max: Some(10),
                ..
            }
        )));
        let mut out = BytesMut::new();
        value.encode(&mut out);
        assert_eq!(EhloReply::decode(&out).unwrap().complete().unwrap(), value);
        let bare = EhloReply::new("mx.example").unwrap();
        let mut out = BytesMut::new();
        bare.encode(&mut out);
        assert_eq!(&out[..], b"250 mx.example\r\n");
        let big = b"250-x\r\n250 SIZE 99999999999999999999999\r\n";
        assert_eq!(
            EhloReply::decode(big).unwrap().complete().unwrap().size(),
            Some(Some(u64::MAX))
        );
    }
}
