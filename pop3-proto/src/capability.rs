//! Capabilities announced in answer to CAPA (RFC 2449 §6, RFC 2595 §4, RFC 3206 §6,
//! RFC 5034 §3, RFC 6856 §§2–3).

use bytes::{BufMut, BytesMut};

use crate::error::InvalidValue;
use crate::types::{MechanismName, Text};

/// The EXPIRE policy (RFC 2449 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expire {
    /// `NEVER`: the server never deletes messages by itself.
    Never,
    /// Messages may be deleted this many days after they were first retrieved.
    Days(u64),
}

/// One capability line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `TOP` (RFC 2449 §6.1).
    Top,
    /// `USER`: USER/PASS is accepted (RFC 2449 §6.2).
    User,
    /// `SASL mech...` (RFC 2449 §6.3, RFC 5034 §3).
    Sasl(Vec<MechanismName>),
    /// `RESP-CODES` (RFC 2449 §6.4).
    RespCodes,
    /// `LOGIN-DELAY n [USER]` (RFC 2449 §6.5): seconds between logins; `per_user` when the
    /// value may differ after login.
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u64,
        /// Whether the value is per user (`USER` argument).
        per_user: bool,
    },
    /// `PIPELINING` (RFC 2449 §6.6).
    Pipelining,
    /// `EXPIRE policy [USER]` (RFC 2449 §6.7).
    Expire {
        /// The policy.
        policy: Expire,
        /// Whether the value is per user.
        per_user: bool,
    },
    /// `UIDL` (RFC 2449 §6.8).
    Uidl,
    /// `IMPLEMENTATION text` (RFC 2449 §6.9).
    Implementation(Text),
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH-RESP-CODE` (RFC 3206 §6).
    AuthRespCode,
    /// `UTF8 [USER]` (RFC 6856 §2): `user` when UTF-8 user names and passwords are allowed.
    Utf8 {
        /// The `USER` argument was present.
        user: bool,
    },
    /// `LANG` (RFC 6856 §3).
    Lang,
    /// Any other capability, kept as its tag and parameters.
    Other(OtherCapability),
}

/// A capability this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherCapability {
    name: String,
    params: Vec<String>,
}

impl OtherCapability {
    /// Builds one; tag and parameters are 1*VCHAR (printable ASCII without space).
    pub fn new<S: AsRef<str>>(name: &str, params: &[S]) -> Result<Self, InvalidValue> {
        check_word("capability", name)?;
        let mut out = Vec::with_capacity(params.len());
        for p in params {
            check_word("capability parameter", p.as_ref())?;
            out.push(p.as_ref().to_owned());
        }
        Ok(Self {
            name: name.to_owned(),
            params: out,
        })
    }

    /// The capability tag.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters.
    pub fn params(&self) -> &[String] {
        &self.params
    }
}

fn check_word(what: &'static str, word: &str) -> Result<(), InvalidValue> {
    if word.is_empty() {
        return Err(InvalidValue::Empty { what });
    }
    if word.len() > crate::config::MAX_RESPONSE_LINE {
        return Err(InvalidValue::TooLong {
            what,
            limit: crate::config::MAX_RESPONSE_LINE,
        });
    }
    match word.bytes().find(|b| !(0x21..=0x7e).contains(b)) {
        Some(octet) => Err(InvalidValue::ForbiddenOctet { what, octet }),
        None => Ok(()),
    }
}

impl Capability {
    /// Appends the capability line without CRLF (and without dot-stuffing).
    pub fn encode(&self, dst: &mut BytesMut) {
        let user = |dst: &mut BytesMut, on: bool| {
            if on {
                dst.put_slice(b" USER");
            }
        };
        match self {
            Self::Top => dst.put_slice(b"TOP"),
            Self::User => dst.put_slice(b"USER"),
            Self::Sasl(mechs) => {
                dst.put_slice(b"SASL");
                for m in mechs {
                    dst.put_u8(b' ');
                    dst.put_slice(m.as_str().as_bytes());
                }
            }
            Self::RespCodes => dst.put_slice(b"RESP-CODES"),
            Self::LoginDelay { seconds, per_user } => {
                dst.put_slice(format!("LOGIN-DELAY {seconds}").as_bytes());
                user(dst, *per_user);
            }
            Self::Pipelining => dst.put_slice(b"PIPELINING"),
            Self::Expire { policy, per_user } => {
                match policy {
                    Expire::Never => dst.put_slice(b"EXPIRE NEVER"),
                    Expire::Days(d) => dst.put_slice(format!("EXPIRE {d}").as_bytes()),
                }
                user(dst, *per_user);
            }
            Self::Uidl => dst.put_slice(b"UIDL"),
            Self::Implementation(text) => {
                dst.put_slice(b"IMPLEMENTATION");
                if !text.is_empty() {
                    dst.put_u8(b' ');
                    dst.put_slice(text.as_str().as_bytes());
                }
            }
            Self::Stls => dst.put_slice(b"STLS"),
            Self::AuthRespCode => dst.put_slice(b"AUTH-RESP-CODE"),
            Self::Utf8 { user: u } => {
                dst.put_slice(b"UTF8");
                user(dst, *u);
            }
            Self::Lang => dst.put_slice(b"LANG"),
            Self::Other(o) => {
                dst.put_slice(o.name.as_bytes());
                for p in &o.params {
                    dst.put_u8(b' ');
                    dst.put_slice(p.as_bytes());
                }
            }
        }
    }

    /// Parses one capability line (already unstuffed, without CRLF). Lines that do not fit
    /// a known capability's grammar are kept as [`Capability::Other`], never dropped.
    ///
    /// ```text
    /// capability = capa-tag *(SP param)   ; RFC 2449 §6
    /// ```
    pub fn parse(line: &[u8]) -> Self {
        let text = String::from_utf8_lossy(line);
        let (tag, rest) = match text.split_once(' ') {
            Some((t, r)) => (t, r),
            None => (text.as_ref(), ""),
        };
        let params: Vec<&str> = rest.split(' ').filter(|p| !p.is_empty()).collect();
        let upper = tag.to_ascii_uppercase();
        let parsed = match (upper.as_str(), params.as_slice()) {
            ("TOP", []) => Some(Self::Top),
            ("USER", []) => Some(Self::User),
            ("SASL", mechs) => mechs
                .iter()
                .map(|m| MechanismName::parse(m.as_bytes()))
                .collect::<Option<Vec<_>>>()
                .map(Self::Sasl),
            ("RESP-CODES", []) => Some(Self::RespCodes),
            ("LOGIN-DELAY", [n, rest @ ..]) => per_user(rest).and_then(|per_user| {
                n.parse::<u64>()
                    .ok()
                    .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))
                    .map(|seconds| Self::LoginDelay { seconds, per_user })
            }),
            ("PIPELINING", []) => Some(Self::Pipelining),
            ("EXPIRE", [p, rest @ ..]) => per_user(rest).and_then(|per_user| {
                let policy = if p.eq_ignore_ascii_case("NEVER") {
                    Some(Expire::Never)
                } else if p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse().ok().map(Expire::Days)
                } else {
                    None
                };
                policy.map(|policy| Self::Expire { policy, per_user })
            }),
            ("UIDL", []) => Some(Self::Uidl),
            ("IMPLEMENTATION", _) if rest.len() <= crate::config::MAX_RESPONSE_LINE => {
                Text::try_from(rest).ok().map(Self::Implementation)
            }
            ("STLS", []) => Some(Self::Stls),
            ("AUTH-RESP-CODE", []) => Some(Self::AuthRespCode),
            ("UTF8", rest) => per_user(rest).map(|user| Self::Utf8 { user }),
            ("LANG", []) => Some(Self::Lang),
            _ => None,
        };
        parsed.unwrap_or_else(|| {
            Self::Other(OtherCapability {
                name: tag.to_owned(),
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            })
        })
    }
}

fn per_user(rest: &[&str]) -> Option<bool> {
    match rest {
        [] => Some(false),
        [u] if u.eq_ignore_ascii_case("USER") => Some(true),
        _ => None,
    }
}

/// The capabilities of a server as answered to one CAPA.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities(Vec<Capability>);

impl Capabilities {
    /// Wraps a list.
    pub fn new(list: Vec<Capability>) -> Self {
        Self(list)
    }

    /// The list, to take it apart.
    pub fn into_vec(self) -> Vec<Capability> {
        self.0
    }

    /// The list in the order received.
    pub fn as_slice(&self) -> &[Capability] {
        &self.0
    }

    /// Whether STLS is offered.
    pub fn stls(&self) -> bool {
        self.0.contains(&Capability::Stls)
    }

    /// Whether PIPELINING is offered.
    pub fn pipelining(&self) -> bool {
        self.0.contains(&Capability::Pipelining)
    }

    /// Whether USER/PASS is offered.
    pub fn user(&self) -> bool {
        self.0.contains(&Capability::User)
    }

    /// Whether TOP is offered.
    pub fn top(&self) -> bool {
        self.0.contains(&Capability::Top)
    }

    /// Whether UIDL is offered.
    pub fn uidl(&self) -> bool {
        self.0.contains(&Capability::Uidl)
    }

    /// The SASL mechanisms offered (empty if none).
    pub fn sasl(&self) -> &[MechanismName] {
        self.0
            .iter()
            .find_map(|c| match c {
                Capability::Sasl(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Whether SASL `mechanism` is offered.
    pub fn has_mechanism(&self, mechanism: &str) -> bool {
        self.sasl()
            .iter()
            .any(|m| m.as_str().eq_ignore_ascii_case(mechanism))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_known_answers() {
        let lines = [
            "TOP",
            "USER",
            "SASL PLAIN LOGIN",
            "RESP-CODES",
            "LOGIN-DELAY 900 USER",
            "EXPIRE NEVER",
            "EXPIRE 30",
            "UIDL",
            "UTF8 USER",
            "LANG",
            "IMPLEMENTATION Cyrus POP3 server v2",
            ".X-DOTTED",
            "PIPELINING",
            "STLS",
            "AUTH-RESP-CODE",
        ];
        let caps: Vec<_> = lines
            .iter()
            .map(|l| Capability::parse(l.as_bytes()))
            .collect();
        assert_eq!(
            caps[2],
            Capability::Sasl(vec![
                crate::parse_mechanism("PLAIN").unwrap(),
                crate::parse_mechanism("LOGIN").unwrap()
            ])
        );
        assert_eq!(
            caps[4],
            Capability::LoginDelay {
                seconds: 900,
                per_user: true
            }
        );
        assert_eq!(
            caps[5],
            Capability::Expire {
                policy: Expire::Never,
                per_user: false
            }
        );
        assert_eq!(caps[8], Capability::Utf8 { user: true });
        assert_eq!(
            caps[11],
            Capability::Other(OtherCapability::new::<&str>(".X-DOTTED", &[]).unwrap())
        );
        for (line, cap) in lines.iter().zip(&caps) {
            let mut b = BytesMut::new();
            cap.encode(&mut b);
            assert_eq!(&b[..], line.as_bytes());
        }
        assert!(matches!(
            Capability::parse(b"LOGIN-DELAY x"),
            Capability::Other(_)
        ));
        let set = Capabilities::new(caps);
        assert!(set.stls() && set.pipelining() && set.has_mechanism("plain"));
    }
}
