//! The EHLO reply (RFC 5321 §4.1.1.1): the server's domain and its typed service extensions.
//!
//! Unknown keywords are kept ([`Capability::Other`]); the writer always terminates the reply
//! and never puts an enhanced status code on it (RFC 2034 §4).

mod store;
mod view;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use bytes::BytesMut;
use mail_sansio::Parsed;
use mail_sansio::sasl::Mechanism;

use crate::error::{InvalidValue, ParseError, ParseErrorKind};
use crate::parse;
use crate::reply::{Reply, ReplyCode, ReplyLimits, reader};
use crate::types::MechanismName;

use store::Store;
use view::View;

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
}

/// A service extension an EHLO reply may offer, named without its parameters: what
/// [`EhloReply::offers`] looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Extension {
    /// `PIPELINING` (RFC 2920).
    Pipelining = store::PIPELINING,
    /// `8BITMIME` (RFC 6152).
    EightBitMime = store::EIGHT_BIT_MIME,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8 = store::SMTPUTF8,
    /// `CHUNKING` (RFC 3030).
    Chunking = store::CHUNKING,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime = store::BINARY_MIME,
    /// `DSN` (RFC 3461).
    Dsn = store::DSN,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes = store::ENHANCED_STATUS_CODES,
    /// `STARTTLS` (RFC 3207).
    StartTls = store::STARTTLS,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls = store::REQUIRETLS,
    /// `SIZE` (RFC 1870), with or without a limit.
    Size = store::SIZE,
    /// `AUTH` (RFC 4954), whatever mechanisms it lists.
    Auth = store::AUTH,
    /// `LIMITS` (RFC 9422).
    Limits = store::LIMITS,
}

impl Extension {
    /// The keyword, upper case.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Pipelining => "PIPELINING",
            Self::EightBitMime => "8BITMIME",
            Self::SmtpUtf8 => "SMTPUTF8",
            Self::Chunking => "CHUNKING",
            Self::BinaryMime => "BINARYMIME",
            Self::Dsn => "DSN",
            Self::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
            Self::StartTls => "STARTTLS",
            Self::RequireTls => "REQUIRETLS",
            Self::Size => "SIZE",
            Self::Auth => "AUTH",
            Self::Limits => "LIMITS",
        }
    }

    /// Every extension, in tag order.
    const ALL: [Self; 12] = [
        Self::Pipelining,
        Self::EightBitMime,
        Self::SmtpUtf8,
        Self::Chunking,
        Self::BinaryMime,
        Self::Dsn,
        Self::EnhancedStatusCodes,
        Self::StartTls,
        Self::RequireTls,
        Self::Size,
        Self::Auth,
        Self::Limits,
    ];
}

/// The positive reply to EHLO/LHLO: the server's domain, optional greeting text, extensions.
///
/// A decoded reply keeps the known extensions as bits and numbers and every text (first line,
/// AUTH's mechanism names, other keywords) in one buffer held inside the reply when it is
/// short, so decoding the reply of a common server allocates nothing. [`EhloReply::offers`],
/// [`EhloReply::size`] and [`EhloReply::auth_mechanism_names`] read it in place;
/// [`EhloReply::capabilities`] builds the list of owned [`Capability`] values on first use.
#[derive(Clone)]
pub struct EhloReply {
    store: Store,
    /// The extensions as owned values, once asked for.
    list: OnceLock<Box<[Capability]>>,
}

impl EhloReply {
    fn from_store(store: Store) -> Self {
        Self {
            store,
            list: OnceLock::new(),
        }
    }

    /// A reply naming `domain` (no spaces), with no extensions yet.
    pub fn new(domain: &str) -> Result<Self, InvalidValue> {
        if domain.is_empty() || domain.contains(' ') {
            return Err(InvalidValue::Syntax {
                what: "ehlo domain",
                reason: "one word",
            });
        }
        check_text(domain)?;
        Ok(Self::from_store(Store::new(
            domain.as_bytes(),
            domain.len(),
        )))
    }

    /// A reply naming a validated domain.
    pub(crate) fn for_domain(domain: &crate::types::Domain) -> Self {
        let domain = domain.as_str();
        Self::from_store(Store::new(domain.as_bytes(), domain.len()))
    }

    /// Sets the text after the domain on the first line.
    pub fn with_greeting(mut self, greeting: &str) -> Result<Self, InvalidValue> {
        check_text(greeting)?;
        let domain_len = self.store.domain_len;
        let mut first = String::with_capacity(domain_len + 1 + greeting.len());
        first.push_str(self.domain());
        first.push(' ');
        first.push_str(greeting);
        self.store.set_first(&first, domain_len);
        Ok(self)
    }

    /// Adds an extension.
    pub fn push(&mut self, capability: Capability) {
        self.store.push(capability);
        self.list = OnceLock::new();
    }

    /// The server's domain (first word of the first line).
    pub fn domain(&self) -> &str {
        self.store
            .first()
            .get(..self.store.domain_len)
            .unwrap_or_default()
    }

    /// The greeting text after the domain.
    pub fn greeting(&self) -> Option<&str> {
        self.store.first().get(self.store.domain_len + 1..)
    }

    /// Whether the reply offers `extension`, with whatever parameters.
    #[inline]
    pub fn offers(&self, extension: Extension) -> bool {
        self.store.has(extension as u8)
    }

    /// Whether the reply offers an extension named `keyword` (any case), known or not: also
    /// for keywords without an [`Extension`], such as `VRFY` or a vendor's `X-` keyword.
    pub fn offers_keyword(&self, keyword: &str) -> bool {
        Extension::ALL
            .into_iter()
            .any(|e| self.offers(e) && e.keyword().eq_ignore_ascii_case(keyword))
            || self.other_params(keyword).is_some()
    }

    /// The parameters of the first extension named `keyword` (any case) kept as
    /// [`Capability::Other`]; `None` if there is none.
    pub fn other_params(&self, keyword: &str) -> Option<impl Iterator<Item = &str> + Clone + '_> {
        self.store.views().find_map(|v| match v {
            View::Other(k, params) if k.eq_ignore_ascii_case(keyword) => Some(params.iter()),
            _ => None,
        })
    }

    /// The extensions, in order, as owned values; built on the first call.
    pub fn capabilities(&self) -> &[Capability] {
        self.list
            .get_or_init(|| self.store.views().map(View::to_capability).collect())
    }

    /// Whether an extension matching `f` is present. Builds the list of
    /// [`EhloReply::capabilities`]; [`EhloReply::offers`] does not.
    pub fn has(&self, f: impl Fn(&Capability) -> bool) -> bool {
        self.capabilities().iter().any(f)
    }

    /// The SIZE limit: `None` if SIZE is not offered, `Some(None)` if offered without a limit.
    pub fn size(&self) -> Option<Option<u64>> {
        self.offers(Extension::Size)
            .then(|| self.store.size.filter(|&n| n > 0))
    }

    /// The SASL mechanisms offered (empty if AUTH is not offered). Builds the list of
    /// [`EhloReply::capabilities`]; [`EhloReply::auth_mechanism_names`] and
    /// [`EhloReply::offers_mechanism`] do not.
    pub fn auth_mechanisms(&self) -> &[MechanismName] {
        if !self.offers(Extension::Auth) {
            return &[];
        }
        self.capabilities()
            .iter()
            .find_map(|c| match c {
                Capability::Auth(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The names of the SASL mechanisms offered, upper case, in order (none if AUTH is not
    /// offered).
    pub fn auth_mechanism_names(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        let (start, end) = self.store.auth;
        let text = match self.offers(Extension::Auth) {
            true => self.store.text.as_slice().get(start..end),
            false => None,
        };
        std::str::from_utf8(text.unwrap_or_default())
            .unwrap_or_default()
            .split(' ')
            .filter(|n| !n.is_empty())
    }

    /// Whether AUTH lists `mechanism`.
    pub fn offers_mechanism(&self, mechanism: Mechanism) -> bool {
        self.auth_mechanism_names()
            .any(|n| n.eq_ignore_ascii_case(mechanism.name()))
    }

    /// Writes `250-domain` ... `250 LAST`, or a single `250 domain` with no extensions.
    pub fn encode(&self, out: &mut BytesMut) {
        self.encode_with_code(ReplyCode::OK, out);
    }

    pub(crate) fn encode_with_code(&self, code: ReplyCode, out: &mut BytesMut) {
        let digits = code.digits();
        let n = self.store.tags.len();
        out.extend_from_slice(&digits);
        out.extend_from_slice(if n == 0 { b" " } else { b"-" });
        out.extend_from_slice(self.store.first().as_bytes());
        out.extend_from_slice(b"\r\n");
        for (i, view) in self.store.views().enumerate() {
            out.extend_from_slice(&digits);
            out.extend_from_slice(if i + 1 == n { b" " } else { b"-" });
            view.encode(out);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Decodes an EHLO reply from the front of `input` (default [`ReplyLimits`]).
    ///
    /// The lines are framed and checked exactly as [`Reply::decode`] does, and the extensions
    /// are read from each line as it is framed, in the same pass, without building the
    /// [`Reply`].
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        let mut store = Store::new(&[], 0);
        let mut first = true;
        let head = reader::frame(input, &ReplyLimits::default(), |start, end, enhanced| {
            let line = input.get(start..end).unwrap_or_default();
            if first {
                store.first_line(line);
                first = false;
            } else if !enhanced {
                // A server that wrongly prefixed an enhanced code: keep the text as sent.
                store.add_line(line);
            }
        })?;
        let Some(head) = head else {
            return Ok(Parsed::Incomplete);
        };
        check_code(head.code)?;
        Ok(Parsed::Complete {
            value: Self::from_store(store),
            consumed: head.consumed,
        })
    }

    /// Interprets a decoded 250 reply as an EHLO reply. Lines that are not valid keywords are
    /// skipped; the first word of the first line is the domain.
    pub fn from_reply(reply: &Reply) -> Result<Self, ParseError> {
        check_code(reply.code())?;
        let mut lines = reply.lines();
        let mut store = Store::new(&[], 0);
        store.first_line(lines.next().unwrap_or_default());
        if reply.enhanced().is_none() {
            for line in lines {
                store.add_line(line);
            }
        }
        Ok(Self::from_store(store))
    }

    /// This reply as a generic [`Reply`].
    pub fn to_reply(&self) -> Reply {
        let mut lines = Vec::with_capacity(self.store.tags.len() + 1);
        lines.push(BytesMut::from(self.store.first().as_bytes()));
        for view in self.store.views() {
            let mut b = BytesMut::new();
            view.encode(&mut b);
            lines.push(b);
        }
        Reply::from_trusted_lines(ReplyCode::OK, None, lines.iter().map(|l| &l[..]))
    }
}

/// `ehlo-ok-rsp` is a 250.
fn check_code(code: ReplyCode) -> Result<(), ParseError> {
    if code == ReplyCode::OK {
        Ok(())
    } else {
        Err(ParseError::new(
            ParseErrorKind::InvalidReplyCode,
            0,
            "ehlo-ok-rsp",
        ))
    }
}

impl PartialEq for EhloReply {
    fn eq(&self, other: &Self) -> bool {
        self.store.domain_len == other.store.domain_len
            && self.store.first() == other.store.first()
            && self.store.tags.len() == other.store.tags.len()
            && self.store.views().eq(other.store.views())
    }
}

impl Eq for EhloReply {}

impl Hash for EhloReply {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.store.first().hash(state);
        self.store.tags.len().hash(state);
        for view in self.store.views() {
            view.hash(state);
        }
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
            .field("capabilities", &self.capabilities())
            .finish()
    }
}

/// Text that may go on the wire: no CR, LF or NUL.
fn check_text(text: &str) -> Result<(), InvalidValue> {
    match parse::find_forbidden(text.as_bytes()) {
        Some((_, byte)) => Err(InvalidValue::ForbiddenByte { what: "text", byte }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
