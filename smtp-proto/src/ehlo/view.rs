//! One extension of an [`EhloReply`](super::EhloReply) seen in place, wherever the reply keeps
//! it: equality, hashing and encoding work on these, so they allocate nothing and do not
//! depend on how the reply stores an extension.

use std::hash::{Hash, Hasher};

use bytes::BytesMut;

use super::Capability;
use super::store::{
    BINARY_MIME, CHUNKING, DSN, EIGHT_BIT_MIME, ENHANCED_STATUS_CODES, PIPELINING, REQUIRETLS,
    SMTPUTF8, STARTTLS,
};
use crate::types::MechanismName;

/// AUTH's mechanism names.
#[derive(Debug, Clone, Copy)]
pub(super) enum Names<'a> {
    /// Separated by SP, upper case.
    Text(&'a str),
    /// As pushed.
    List(&'a [MechanismName]),
}

impl<'a> Names<'a> {
    pub(super) fn iter(self) -> impl Iterator<Item = &'a str> + Clone {
        let (text, list) = match self {
            Self::Text(t) => (t, &[][..]),
            Self::List(l) => ("", l),
        };
        text.split(' ')
            .filter(|w| !w.is_empty())
            .chain(list.iter().map(MechanismName::as_str))
    }
}

/// An other keyword's parameters.
#[derive(Debug, Clone, Copy)]
pub(super) enum Params<'a> {
    /// Separated by SP.
    Text(&'a str),
    /// As pushed.
    List(&'a [String]),
}

impl<'a> Params<'a> {
    pub(super) fn iter(self) -> impl Iterator<Item = &'a str> + Clone {
        let (text, list) = match self {
            Self::Text(t) => (t, &[][..]),
            Self::List(l) => ("", l),
        };
        text.split(' ')
            .filter(|w| !w.is_empty())
            .chain(list.iter().map(String::as_str))
    }
}

/// One extension.
#[derive(Debug, Clone, Copy)]
pub(super) enum View<'a> {
    /// A keyword without parameters, by tag.
    Simple(u8),
    Size(Option<u64>),
    Auth(Names<'a>),
    /// `RCPTMAX`, `MAILMAX`, `RCPTDOMAINMAX`.
    Limits([Option<u64>; 3]),
    /// Keyword and parameters.
    Other(&'a str, Params<'a>),
}

/// The keyword of a tag without parameters.
fn simple_word(tag: u8) -> &'static str {
    match tag {
        PIPELINING => "PIPELINING",
        EIGHT_BIT_MIME => "8BITMIME",
        SMTPUTF8 => "SMTPUTF8",
        CHUNKING => "CHUNKING",
        BINARY_MIME => "BINARYMIME",
        DSN => "DSN",
        ENHANCED_STATUS_CODES => "ENHANCEDSTATUSCODES",
        STARTTLS => "STARTTLS",
        REQUIRETLS => "REQUIRETLS",
        _ => "",
    }
}

impl<'a> View<'a> {
    /// A capability kept whole.
    pub(super) fn of(c: &'a Capability) -> Self {
        match c {
            Capability::Size(n) => Self::Size(*n),
            Capability::Pipelining => Self::Simple(PIPELINING),
            Capability::EightBitMime => Self::Simple(EIGHT_BIT_MIME),
            Capability::SmtpUtf8 => Self::Simple(SMTPUTF8),
            Capability::Chunking => Self::Simple(CHUNKING),
            Capability::BinaryMime => Self::Simple(BINARY_MIME),
            Capability::Dsn => Self::Simple(DSN),
            Capability::EnhancedStatusCodes => Self::Simple(ENHANCED_STATUS_CODES),
            Capability::StartTls => Self::Simple(STARTTLS),
            Capability::RequireTls => Self::Simple(REQUIRETLS),
            Capability::Auth(m) => Self::Auth(Names::List(m)),
            Capability::Limits {
                rcpt_max,
                mail_max,
                rcpt_domain_max,
            } => Self::Limits([*rcpt_max, *mail_max, *rcpt_domain_max]),
            Capability::Other { keyword, params } => Self::Other(keyword, Params::List(params)),
        }
    }

    /// The capability as an owned value.
    pub(super) fn to_capability(self) -> Capability {
        match self {
            Self::Simple(tag) => match tag {
                PIPELINING => Capability::Pipelining,
                EIGHT_BIT_MIME => Capability::EightBitMime,
                SMTPUTF8 => Capability::SmtpUtf8,
                CHUNKING => Capability::Chunking,
                BINARY_MIME => Capability::BinaryMime,
                DSN => Capability::Dsn,
                ENHANCED_STATUS_CODES => Capability::EnhancedStatusCodes,
                STARTTLS => Capability::StartTls,
                _ => Capability::RequireTls,
            },
            Self::Size(n) => Capability::Size(n),
            Self::Auth(names) => Capability::Auth(
                names
                    .iter()
                    .filter_map(|n| MechanismName::parse(n.as_bytes()))
                    .collect(),
            ),
            Self::Limits([rcpt_max, mail_max, rcpt_domain_max]) => Capability::Limits {
                rcpt_max,
                mail_max,
                rcpt_domain_max,
            },
            Self::Other(keyword, params) => Capability::Other {
                keyword: keyword.to_owned(),
                params: params.iter().map(str::to_owned).collect(),
            },
        }
    }

    /// `ehlo-line`, without the reply code and CRLF.
    pub(super) fn encode(self, out: &mut BytesMut) {
        match self {
            Self::Simple(tag) => out.extend_from_slice(simple_word(tag).as_bytes()),
            Self::Size(n) => {
                out.extend_from_slice(b"SIZE");
                if let Some(n) = n {
                    out.extend_from_slice(b" ");
                    write_number(out, n);
                }
            }
            Self::Auth(names) => {
                out.extend_from_slice(b"AUTH");
                for m in names.iter() {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(m.as_bytes());
                }
            }
            Self::Limits([rcpt_max, mail_max, rcpt_domain_max]) => {
                out.extend_from_slice(b"LIMITS");
                for (name, v) in [
                    (&b" MAILMAX="[..], mail_max),
                    (b" RCPTMAX=", rcpt_max),
                    (b" RCPTDOMAINMAX=", rcpt_domain_max),
                ] {
                    if let Some(v) = v {
                        out.extend_from_slice(name);
                        write_number(out, v);
                    }
                }
            }
            Self::Other(keyword, params) => {
                out.extend_from_slice(keyword.as_bytes());
                for p in params.iter() {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(p.as_bytes());
                }
            }
        }
    }
}

/// `n` in decimal, without a `String`.
fn write_number(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

impl PartialEq for View<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Simple(a), Self::Simple(b)) => a == b,
            (Self::Size(a), Self::Size(b)) => a == b,
            (Self::Auth(a), Self::Auth(b)) => a.iter().eq(b.iter()),
            (Self::Limits(a), Self::Limits(b)) => a == b,
            (Self::Other(ka, pa), Self::Other(kb, pb)) => ka == kb && pa.iter().eq(pb.iter()),
            _ => false,
        }
    }
}

impl Hash for View<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Simple(tag) => (0u8, tag).hash(state),
            Self::Size(n) => (1u8, n).hash(state),
            Self::Auth(names) => {
                2u8.hash(state);
                for n in names.iter() {
                    n.hash(state);
                }
            }
            Self::Limits(l) => (3u8, l).hash(state),
            Self::Other(keyword, params) => {
                (4u8, keyword).hash(state);
                for p in params.iter() {
                    p.hash(state);
                }
            }
        }
    }
}
