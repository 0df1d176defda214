//! Mechanism names (RFC 4422 §3.1) and channel binding values (RFC 5056).

use std::fmt;
use std::str::FromStr;

use super::SaslError;

/// A SASL mechanism this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): authzid, authcid and password in one message.
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login): username and password in two steps.
    Login,
    /// `XOAUTH2` (Google's format): a user name and an OAuth 2.0 bearer token.
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628): an OAuth 2.0 bearer token with a GS2 header.
    OAuthBearer,
    /// `EXTERNAL` (RFC 4422 Appendix A): identity from outside SASL (a TLS client certificate).
    External,
    /// `CRAM-MD5` (RFC 2195): HMAC-MD5 over a server challenge.
    CramMd5,
    /// `SCRAM-SHA-256` (RFC 5802, RFC 7677) without channel binding.
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS`: SCRAM bound to the TLS channel (RFC 5802 §6, RFC 9266).
    ScramSha256Plus,
}

impl Mechanism {
    /// Every mechanism, strongest last.
    pub const ALL: [Self; 8] = [
        Self::Plain,
        Self::Login,
        Self::XOAuth2,
        Self::OAuthBearer,
        Self::External,
        Self::CramMd5,
        Self::ScramSha256,
        Self::ScramSha256Plus,
    ];

    /// The registered name, upper case, as it appears in `AUTH=`, `SASL` and `AUTH` lists.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::External => "EXTERNAL",
            Self::CramMd5 => "CRAM-MD5",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
        }
    }

    /// Parses a mechanism name, ignoring ASCII case (RFC 4422 §3.1 names are upper case, but
    /// peers send `auth=plain`). `None` for names this crate does not implement.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|mechanism| mechanism.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether the credentials travel in a form an eavesdropper can reuse (password or bearer
    /// token): servers must not offer these before TLS when TLS is required, and clients must
    /// not use them over plaintext (RFC 4954 §4, RFC 8314 §4).
    pub const fn is_plaintext(self) -> bool {
        matches!(
            self,
            Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer
        )
    }

    /// Whether the client speaks first, so its first message can travel as an initial response
    /// (SASL-IR, RFC 4959; RFC 4954 `AUTH mech initial-response`).
    pub const fn client_first(self) -> bool {
        !matches!(self, Self::Login | Self::CramMd5)
    }

    /// Whether this is a SCRAM variant.
    pub const fn is_scram(self) -> bool {
        matches!(self, Self::ScramSha256 | Self::ScramSha256Plus)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = SaslError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name.as_bytes()).ok_or(SaslError::UnknownMechanism)
    }
}

/// Longest SASL mechanism name (RFC 4422 §3.1): 20 characters.
const MAX_NAME_LEN: usize = 20;

/// A SASL mechanism name as it appears on the wire, validated and kept upper case; it knows
/// whether it names one of the [`Mechanism`]s this crate implements.
///
/// RFC 4422 §3.1:
///
/// ```text
/// sasl-mech    = 1*20mech-char
/// mech-char    = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
/// ```
///
/// Names compare case-insensitively (they are folded to upper case when parsed).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MechanismName(Repr);

/// A known mechanism needs no copy of its name: EHLO replies and AUTH commands name the
/// usual ones, and decoding them allocates nothing.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Known(Mechanism),
    Other(Box<str>),
}

impl MechanismName {
    /// Parses a mechanism name by the RFC 4422 §3.1 rule
    /// (`sasl-mech = 1*20mech-char`, `mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE`),
    /// accepting lower case and folding it to upper case. `None` if the name breaks the rule.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty()
            || bytes.len() > MAX_NAME_LEN
            || !bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        if let Some(mechanism) = Mechanism::from_name(bytes) {
            return Some(Self::from(mechanism));
        }
        let name = std::str::from_utf8(bytes).ok()?.to_ascii_uppercase();
        Some(Self(Repr::Other(name.into_boxed_str())))
    }

    /// The name as sent on the wire, upper case.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(mechanism) => mechanism.name(),
            Repr::Other(name) => name,
        }
    }

    /// The mechanism this crate implements under this name, if any.
    pub const fn known(&self) -> Option<Mechanism> {
        match &self.0 {
            Repr::Known(mechanism) => Some(*mechanism),
            Repr::Other(_) => None,
        }
    }

    /// Whether the mechanism sends a reusable password or bearer token (PLAIN, LOGIN,
    /// XOAUTH2, OAUTHBEARER); see [`Mechanism::is_plaintext`].
    pub fn is_plaintext(&self) -> bool {
        self.known().is_some_and(Mechanism::is_plaintext)
    }
}

impl From<Mechanism> for MechanismName {
    fn from(mechanism: Mechanism) -> Self {
        Self(Repr::Known(mechanism))
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MechanismName")
            .field(&self.as_str())
            .finish()
    }
}

/// The channel binding of the connection, for `SCRAM-SHA-256-PLUS` (RFC 5056, RFC 5929,
/// RFC 9266).
///
/// The caller takes the bytes from its TLS library: for `tls-exporter` the 32-octet exporter
/// value with label `EXPORTER-Channel-Binding` and no context (the only type defined for
/// TLS 1.3); for `tls-server-end-point` the hash of the server certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    name: String,
    data: Vec<u8>,
}

impl ChannelBinding {
    /// Type name of RFC 9266.
    pub const TLS_EXPORTER: &'static str = "tls-exporter";
    /// Type name of RFC 5929 §4.
    pub const TLS_SERVER_END_POINT: &'static str = "tls-server-end-point";

    /// A binding of any registered type.
    ///
    /// ```text
    /// cb-name = 1*(ALPHA / DIGIT / "." / "-")    ; RFC 5802 §7
    /// ```
    pub fn new(name: &str, data: Vec<u8>) -> Result<Self, SaslError> {
        if !is_cb_name(name.as_bytes()) {
            return Err(SaslError::invalid(
                "channel binding type",
                "must be 1*(ALPHA / DIGIT / \".\" / \"-\")",
            ));
        }
        if data.is_empty() {
            return Err(SaslError::invalid("channel binding data", "empty"));
        }
        Ok(Self {
            name: name.to_owned(),
            data,
        })
    }

    /// A `tls-exporter` binding (RFC 9266).
    pub fn tls_exporter(data: Vec<u8>) -> Result<Self, SaslError> {
        Self::new(Self::TLS_EXPORTER, data)
    }

    /// A `tls-server-end-point` binding (RFC 5929 §4).
    pub fn tls_server_end_point(data: Vec<u8>) -> Result<Self, SaslError> {
        Self::new(Self::TLS_SERVER_END_POINT, data)
    }

    /// The type name, e.g. `tls-exporter`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The binding bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("name", &self.name)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// `cb-name = 1*(ALPHA / DIGIT / "." / "-")`
pub(crate) fn is_cb_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for mechanism in Mechanism::ALL {
            assert_eq!(
                Mechanism::from_name(mechanism.name().as_bytes()),
                Some(mechanism)
            );
            let lower = mechanism.name().to_ascii_lowercase();
            assert_eq!(lower.parse::<Mechanism>(), Ok(mechanism));
            assert_eq!(mechanism.to_string(), mechanism.name());
        }
        assert_eq!(Mechanism::from_name(b"GSSAPI"), None);
        assert_eq!(Mechanism::from_name(b"PLAIN "), None);
        assert_eq!("".parse::<Mechanism>(), Err(SaslError::UnknownMechanism));
    }

    #[test]
    fn plaintext_mechanisms() {
        let plaintext: Vec<_> = Mechanism::ALL
            .into_iter()
            .filter(|m| m.is_plaintext())
            .collect();
        assert_eq!(
            plaintext,
            [
                Mechanism::Plain,
                Mechanism::Login,
                Mechanism::XOAuth2,
                Mechanism::OAuthBearer
            ]
        );
    }

    #[test]
    fn mechanism_names_are_validated_and_folded() {
        let plain = MechanismName::parse(b"plain").unwrap();
        assert_eq!(plain.as_str(), "PLAIN");
        assert_eq!(plain.known(), Some(Mechanism::Plain));
        assert_eq!(plain, MechanismName::from(Mechanism::Plain));
        assert!(plain.is_plaintext());

        let other = MechanismName::parse(b"x-foo_1").unwrap();
        assert_eq!(other.as_str(), "X-FOO_1");
        assert_eq!(other.known(), None);
        assert!(!other.is_plaintext());
        assert_eq!(other.to_string(), "X-FOO_1");
        assert_eq!(format!("{other:?}"), "MechanismName(\"X-FOO_1\")");
        assert_eq!(other, MechanismName::parse(b"X-FOO_1").unwrap());

        assert!(MechanismName::parse(&[b'A'; 20]).is_some());
        assert_eq!(MechanismName::parse(&[b'A'; 21]), None);
        assert_eq!(MechanismName::parse(b""), None);
        assert_eq!(MechanismName::parse(b"PLAIN LOGIN"), None);
        assert_eq!(MechanismName::parse(b"PLAIN."), None);
        assert_eq!(MechanismName::parse("PLÄIN".as_bytes()), None);
    }

    #[test]
    fn mechanism_names_of_known_mechanisms() {
        for mechanism in Mechanism::ALL {
            let name = MechanismName::from(mechanism);
            assert_eq!(name.as_str(), mechanism.name());
            assert_eq!(name.known(), Some(mechanism));
            assert_eq!(name.is_plaintext(), mechanism.is_plaintext());
            let lower = mechanism.name().to_ascii_lowercase();
            assert_eq!(MechanismName::parse(lower.as_bytes()), Some(name));
        }
        assert_eq!(MechanismName::parse(b"GSSAPI").unwrap().known(), None);
    }

    #[test]
    fn channel_binding_names_are_validated() {
        assert!(ChannelBinding::new("tls-exporter", vec![1]).is_ok());
        assert!(ChannelBinding::new("tls,exporter", vec![1]).is_err());
        assert!(ChannelBinding::new("", vec![1]).is_err());
        assert!(ChannelBinding::tls_exporter(Vec::new()).is_err());
        let cb = ChannelBinding::tls_server_end_point(vec![0xAA; 32]).unwrap();
        assert_eq!(
            format!("{cb:?}"),
            "ChannelBinding { name: \"tls-server-end-point\", data_len: 32 }"
        );
    }
}
