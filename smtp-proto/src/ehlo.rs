//! The EHLO reply (RFC 5321 §4.1.1.1): the server's domain and its typed service extensions.
//!
//! Unknown keywords are kept ([`Capability::Other`]); the writer always terminates the reply
//! and never puts an enhanced status code on it (RFC 2034 §4).

use std::fmt;

use bytes::BytesMut;
use mail_sansio::Parsed;

use crate::error::{InvalidValue, ParseError, ParseErrorKind};
use crate::parse;
use crate::reply::{Reply, ReplyCode, ReplyLimits, reader};
use crate::types::MechanismName;

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

    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`; `None` for a line that is not one, which
    /// the EHLO reply skips. Known keywords are found by length, then compared as whole words
    /// ignoring the case of their letters; they are checked and allocate nothing. Any other
    /// keyword is checked octet by octet.
    #[inline]
    fn parse(line: &[u8]) -> Option<Self> {
        let mut rest = line;
        while let [b' ', after @ ..] = rest {
            rest = after;
        }
        // Guess the keyword's length from its first octets: a known keyword confirms the
        // guess (it holds no space); for any other the end is searched for below.
        let guess = match (
            rest.first().map(|b| b | 0x20),
            rest.get(1).map(|b| b | 0x20),
        ) {
            (Some(b'd'), _) => 3,
            (Some(b'a'), _) | (Some(b's'), Some(b'i')) => 4,
            (Some(b'l'), _) => 6,
            (Some(b'8' | b'c'), _) | (Some(b's'), Some(b'm' | b't')) => 8,
            (Some(b'p' | b'b' | b'r'), _) => 10,
            (Some(b'e'), _) => 19,
            _ => 0,
        };
        let len = if guess > 0 && (rest.len() == guess || rest.get(guess) == Some(&b' ')) {
            guess
        } else {
            rest.iter().position(|&b| b == b' ').unwrap_or(rest.len())
        };
        let (keyword, params) = rest.split_at_checked(len)?;
        let mut words = Words(params);
        let mut first = words.next();
        if first.is_none()
            && let Some(cap) = Self::simple(keyword)
        {
            return Some(cap);
        }
        match keyword.len() {
            4 if parse::is_word(keyword, b"SIZE") => {
                return match (first, words.next()) {
                    (None, _) => Some(Self::Size(None)),
                    // Saturate rather than fail the whole EHLO reply (security-anchors §8 item 28).
                    (Some(n), None) => Some(Self::Size(Some(
                        parse::number(n, 20, "SIZE", "size").unwrap_or(u64::MAX),
                    ))),
                    _ => None,
                };
            }
            4 if parse::is_word(keyword, b"AUTH") => {
                // Servers list a handful of mechanisms: room for four at once.
                let mut mechs = if first.is_some() {
                    Vec::with_capacity(4)
                } else {
                    Vec::new()
                };
                while let Some(m) = first {
                    if let Some(m) = MechanismName::parse(m) {
                        mechs.push(m);
                    }
                    first = words.next();
                }
                return Some(Self::Auth(mechs));
            }
            6 if parse::is_word(keyword, b"LIMITS") => {
                let (mut rcpt_max, mut mail_max, mut rcpt_domain_max) = (None, None, None);
                while let Some(p) = first {
                    let (k, v) = p.split_at_checked(memchr::memchr(b'=', p)?)?;
                    let n = parse::number(v.get(1..)?, 20, "LIMITS", "limit-value").ok()?;
                    if k.eq_ignore_ascii_case(b"RCPTMAX") {
                        rcpt_max = Some(n);
                    } else if k.eq_ignore_ascii_case(b"MAILMAX") {
                        mail_max = Some(n);
                    } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                        rcpt_domain_max = Some(n);
                    }
                    first = words.next();
                }
                return Some(Self::Limits {
                    rcpt_max,
                    mail_max,
                    rcpt_domain_max,
                });
            }
            _ => {}
        }
        // Not a known keyword: the guessed length may have cut it wrong, so find its end.
        let len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let (keyword, params) = rest.split_at_checked(len)?;
        if keyword.is_empty() || !keyword.iter().all(|&b| is_keyword_octet(b)) {
            return None;
        }
        // The keyword is ASCII (checked above), so it is UTF-8 as it stands.
        let keyword = std::str::from_utf8(keyword)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let params = Words(params)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        Some(Self::Other { keyword, params })
    }

    /// The keywords that take no parameter.
    #[inline(always)]
    fn simple(keyword: &[u8]) -> Option<Self> {
        let k = keyword;
        Some(match k.len() {
            3 if parse::is_word(k, b"DSN") => Self::Dsn,
            8 if parse::is_word(k, b"8BITMIME") => Self::EightBitMime,
            8 if parse::is_word(k, b"SMTPUTF8") => Self::SmtpUtf8,
            8 if parse::is_word(k, b"CHUNKING") => Self::Chunking,
            8 if parse::is_word(k, b"STARTTLS") => Self::StartTls,
            10 if parse::is_word(k, b"PIPELINING") => Self::Pipelining,
            10 if parse::is_word(k, b"BINARYMIME") => Self::BinaryMime,
            10 if parse::is_word(k, b"REQUIRETLS") => Self::RequireTls,
            19 if parse::is_word(k, b"ENHANCEDSTATUSCODES") => Self::EnhancedStatusCodes,
            _ => return None,
        })
    }
}

/// `ALPHA / DIGIT / "-"`, the octets of an `ehlo-keyword`.
#[inline(always)]
fn is_keyword_octet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The words of `*( SP ehlo-param )`: runs of octets between spaces, empty ones skipped.
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let start = self.0.iter().position(|&b| b != b' ')?;
        let rest = self.0.get(start..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let (word, after) = rest.split_at_checked(len)?;
        self.0 = after;
        Some(word)
    }
}

/// The positive reply to EHLO/LHLO: the server's domain, optional greeting text, extensions.
///
/// Domain and greeting share one string (the first line's text), kept inside the reply when it
/// is short, so a decoded reply allocates the extension list and what unknown extensions and
/// AUTH carry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EhloReply {
    /// The domain, then SP and the greeting when there is one (`None` and an empty greeting
    /// differ by that SP).
    first: FirstLine,
    /// Octets of `first` that are the domain.
    domain_len: usize,
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
        check_text(domain)?;
        Ok(Self {
            first: FirstLine::new(domain),
            domain_len: domain.len(),
            capabilities: Vec::new(),
        })
    }

    /// A reply naming a validated domain.
    pub(crate) fn for_domain(domain: &crate::types::Domain) -> Self {
        Self {
            first: FirstLine::new(domain.as_str()),
            domain_len: domain.as_str().len(),
            capabilities: Vec::new(),
        }
    }

    /// Sets the text after the domain on the first line.
    pub fn with_greeting(mut self, greeting: &str) -> Result<Self, InvalidValue> {
        check_text(greeting)?;
        let mut first = String::with_capacity(self.domain_len + 1 + greeting.len());
        first.push_str(self.domain());
        first.push(' ');
        first.push_str(greeting);
        self.first = FirstLine::new(&first);
        Ok(self)
    }

    /// Adds an extension.
    pub fn push(&mut self, capability: Capability) {
        self.capabilities.push(capability);
    }

    /// The server's domain (first word of the first line).
    pub fn domain(&self) -> &str {
        self.first
            .as_str()
            .get(..self.domain_len)
            .unwrap_or_default()
    }

    /// The greeting text after the domain.
    pub fn greeting(&self) -> Option<&str> {
        self.first.as_str().get(self.domain_len + 1..)
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
        let digits = code.digits();
        out.extend_from_slice(&digits);
        out.extend_from_slice(if self.capabilities.is_empty() {
            b" "
        } else {
            b"-"
        });
        out.extend_from_slice(self.first.as_str().as_bytes());
        out.extend_from_slice(b"\r\n");
        let n = self.capabilities.len();
        for (i, c) in self.capabilities.iter().enumerate() {
            out.extend_from_slice(&digits);
            out.extend_from_slice(if i + 1 == n { b" " } else { b"-" });
            c.encode(out);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Decodes an EHLO reply from the front of `input` (default [`ReplyLimits`]).
    ///
    /// The lines are framed and checked exactly as [`Reply::decode`] does, and the extensions
    /// are read straight from the input, without building the [`Reply`].
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        let mut spans = reader::Spans::default();
        let Some(head) = reader::frame(input, &ReplyLimits::default(), &mut spans)? else {
            return Ok(Parsed::Incomplete);
        };
        let value = Self::from_lines(head.code, head.enhanced.is_some(), spans.lines(input))?;
        Ok(Parsed::Complete {
            value,
            consumed: head.consumed,
        })
    }

    /// Interprets a decoded 250 reply as an EHLO reply. Lines that are not valid keywords are
    /// skipped; the first word of the first line is the domain.
    pub fn from_reply(reply: &Reply) -> Result<Self, ParseError> {
        Self::from_lines(reply.code(), reply.enhanced().is_some(), reply.lines())
    }

    /// `ehlo-ok-rsp` from its code and line texts.
    fn from_lines<'a>(
        code: ReplyCode,
        enhanced: bool,
        mut lines: impl ExactSizeIterator<Item = &'a [u8]>,
    ) -> Result<Self, ParseError> {
        if code != ReplyCode::OK {
            return Err(ParseError::new(
                ParseErrorKind::InvalidReplyCode,
                0,
                "ehlo-ok-rsp",
            ));
        }
        let (first, domain_len) = first_line(lines.next().unwrap_or_default());
        let capabilities = if enhanced {
            // A server that wrongly prefixed an enhanced code: keep the text as sent.
            Vec::new()
        } else {
            let mut capabilities = Vec::with_capacity(lines.len());
            for line in lines {
                // A line that is one keyword without parameters, the usual case, is matched
                // here; anything else takes the full parser.
                if let Some(capability) =
                    Capability::simple(line).or_else(|| Capability::parse(line))
                {
                    capabilities.push(capability);
                }
            }
            capabilities
        };
        Ok(Self {
            first,
            domain_len,
            capabilities,
        })
    }

    /// This reply as a generic [`Reply`].
    pub fn to_reply(&self) -> Reply {
        let mut lines = Vec::with_capacity(self.capabilities.len() + 1);
        lines.push(BytesMut::from(self.first.as_str().as_bytes()));
        for c in &self.capabilities {
            let mut b = BytesMut::new();
            c.encode(&mut b);
            lines.push(b);
        }
        Reply::from_trusted_lines(ReplyCode::OK, None, lines.iter().map(|l| &l[..]))
    }
}

impl fmt::Debug for EhloReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Written as `Text("...")`, as when domain and greeting were kept as `Text`s.
        struct TextDebug<'a>(&'a str);
        impl fmt::Debug for TextDebug<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple("Text").field(&self.0).finish()
            }
        }
        f.debug_struct("EhloReply")
            .field("domain", &TextDebug(self.domain()))
            .field("greeting", &self.greeting().map(TextDebug))
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

/// Octets of a first line kept inside the reply: a host name and a short greeting fit.
const INLINE_FIRST: usize = 46;

/// The first line's text (domain, then SP and greeting): inline when it fits, boxed above. The
/// representation is canonical (inline exactly when it fits, unused octets zero), so derived
/// equality and hashing are those of the string.
#[derive(Clone, PartialEq, Eq, Hash)]
enum FirstLine {
    /// `len` octets of `buf`, UTF-8 when stored.
    Inline { len: u8, buf: [u8; INLINE_FIRST] },
    /// Longer text.
    Heap(Box<str>),
}

impl FirstLine {
    #[inline]
    fn new(s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut buf = [0; INLINE_FIRST];
        match (u8::try_from(bytes.len()), buf.get_mut(..bytes.len())) {
            (Ok(len), Some(dst)) => {
                dst.copy_from_slice(bytes);
                Self::Inline { len, buf }
            }
            _ => Self::Heap(s.into()),
        }
    }

    /// ASCII octets (so UTF-8 as they are).
    #[inline]
    fn from_ascii(bytes: &[u8]) -> Self {
        let mut buf = [0; INLINE_FIRST];
        match (u8::try_from(bytes.len()), buf.get_mut(..bytes.len())) {
            (Ok(len), Some(dst)) => {
                dst.copy_from_slice(bytes);
                Self::Inline { len, buf }
            }
            _ => Self::Heap(std::str::from_utf8(bytes).unwrap_or_default().into()),
        }
    }

    /// The octets, UTF-8.
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(s) => s.as_bytes(),
        }
    }

    /// The text. Inline octets were UTF-8 when stored; safe code checks them again, a few
    /// instructions for a short line.
    fn as_str(&self) -> &str {
        match self {
            Self::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Self::Heap(s) => s,
        }
    }
}

/// Text that may go on the wire: no CR, LF or NUL.
fn check_text(text: &str) -> Result<(), InvalidValue> {
    match parse::find_forbidden(text.as_bytes()) {
        Some((_, byte)) => Err(InvalidValue::ForbiddenByte { what: "text", byte }),
        None => Ok(()),
    }
}

/// The first line's text as domain and greeting: the domain is its first word, the greeting
/// the rest after one SP when that rest is not empty. Non-UTF-8 bytes are replaced.
fn first_line(text: &[u8]) -> (FirstLine, usize) {
    let (keep, domain_len) = match memchr::memchr(b' ', text) {
        // No greeting: drop the lone SP so that the reply equals one built without it.
        Some(sp) if sp + 1 == text.len() => (text.get(..sp).unwrap_or_default(), sp),
        Some(sp) => (text, sp),
        None => (text, text.len()),
    };
    if keep.is_ascii() {
        return (FirstLine::from_ascii(keep), domain_len);
    }
    // A replacement character holds no SP, so the first SP still ends the domain.
    let first = match std::str::from_utf8(keep) {
        Ok(s) => FirstLine::new(s),
        Err(_) => FirstLine::new(&String::from_utf8_lossy(keep)),
    };
    let domain_len = first
        .as_bytes()
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(first.as_bytes().len());
    (first, domain_len)
}

#[cfg(test)]
mod tests {
    use mail_sansio::sasl::Mechanism;

    use super::*;

    #[test]
    fn known_words_and_mechanisms() {
        for (line, cap) in [
            (&b"pipelining"[..], Some(Capability::Pipelining)),
            (b"  STARTTLS  ", Some(Capability::StartTls)),
            (b"\x18BITMIME", None),
            (
                b"SIZEX",
                Some(Capability::Other {
                    keyword: "SIZEX".into(),
                    params: vec![],
                }),
            ),
            (b"SIZE", Some(Capability::Size(None))),
            (b"size 10", Some(Capability::Size(Some(10)))),
            (b"SIZE 1 2", None),
            (
                b"DSNX 1",
                Some(Capability::Other {
                    keyword: "DSNX".into(),
                    params: vec!["1".into()],
                }),
            ),
            (
                b"PIPELINING x",
                Some(Capability::Other {
                    keyword: "PIPELINING".into(),
                    params: vec!["x".into()],
                }),
            ),
            (b"AUTH", Some(Capability::Auth(vec![]))),
            (
                b"auth login BAD_NAME_THAT_IS_TOO_LONG_FOR_SASL",
                Some(Capability::Auth(vec![Mechanism::Login.into()])),
            ),
            (b"X_Y", None),
            // The guessed length of LIMITS (6) covers "login " and must not be trusted.
            (
                b"login ",
                Some(Capability::Other {
                    keyword: "LOGIN".into(),
                    params: vec![],
                }),
            ),
            (
                b"pa bcdefghi x",
                Some(Capability::Other {
                    keyword: "PA".into(),
                    params: vec!["bcdefghi".into(), "x".into()],
                }),
            ),
            (
                b"AUTHX a",
                Some(Capability::Other {
                    keyword: "AUTHX".into(),
                    params: vec!["a".into()],
                }),
            ),
            (b"", None),
            (b"   ", None),
        ] {
            assert_eq!(Capability::parse(line), cap, "{line:?}");
        }
    }

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
                MechanismName::from(Mechanism::Plain),
                MechanismName::from(Mechanism::Login),
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
        // First lines inline and boxed, with and without a greeting, and non-UTF-8.
        for (domain, greeting) in [
            ("mx.example", None),
            ("mx.example", Some("hi there")),
            (
                "a-very-long-host-name.of-a-mail-exchanger.example.net",
                None,
            ),
            (
                "mx.example",
                Some("a greeting long enough not to fit inside the reply itself"),
            ),
        ] {
            let mut built = EhloReply::new(domain).unwrap();
            if let Some(g) = greeting {
                built = built.with_greeting(g).unwrap();
            }
            built.push(Capability::Pipelining);
            let mut out = BytesMut::new();
            built.encode(&mut out);
            let decoded = EhloReply::decode(&out).unwrap().complete().unwrap();
            assert_eq!(decoded, built);
            assert_eq!((decoded.domain(), decoded.greeting()), (domain, greeting));
        }
        let odd = EhloReply::decode(b"250 mx.example caf\xe9 \r\n")
            .unwrap()
            .complete()
            .unwrap();
        assert_eq!(odd.greeting(), Some("caf\u{fffd} "));
        let bare = EhloReply::decode(b"250 mx.example \r\n")
            .unwrap()
            .complete()
            .unwrap();
        assert_eq!(bare, EhloReply::new("mx.example").unwrap());
        let big = b"250-x\r\n250 SIZE 99999999999999999999999\r\n";
        assert_eq!(
            EhloReply::decode(big).unwrap().complete().unwrap().size(),
            Some(Some(u64::MAX))
        );
    }
}
