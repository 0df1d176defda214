//! The client side: one [`SaslClient`] per exchange, for any mechanism.

use super::credentials::{check_identity, check_secret};
use super::oauth::{check_token, encode_oauthbearer, encode_xoauth2};
use super::plain::encode_plain;
use super::scram_client::{ScramClient, ScramClientConfig};
use super::wire::check_length;
use super::{Mechanism, SaslError, cram_md5};
use crate::Secret;

/// Default cap on one decoded server challenge.
pub const DEFAULT_MAX_CHALLENGE: usize = 12_288;

/// The mechanism and what it needs.
enum Kind {
    /// PLAIN, XOAUTH2, OAUTHBEARER and EXTERNAL: one message, prepared up front.
    OneShot {
        mechanism: Mechanism,
        message: Secret<Vec<u8>>,
    },
    Login {
        username: String,
        password: Secret<String>,
    },
    CramMd5 {
        user: String,
        password: Secret<String>,
    },
    Scram(Box<ScramClient>),
}

/// Where the exchange is (SCRAM keeps its own finer state beside this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    Initial,
    /// This many messages sent.
    Sent(u8),
    /// XOAUTH2/OAUTHBEARER: the server sent an error challenge and was answered.
    TokenRejected,
    Complete,
    Failed,
}

/// A client-side SASL exchange for one mechanism.
///
/// 1. Send the mechanism name with [`initial_response`](Self::initial_response) when the
///    protocol allows SASL-IR (`Some(empty)` goes on the wire as `=`, see
///    [`wire::encode_initial_response`](super::wire::encode_initial_response)).
/// 2. Feed each decoded server challenge to [`step`](Self::step) and send what it returns.
/// 3. On the protocol's success reply call [`finish`](Self::finish), which for SCRAM insists
///    that the server proved it knows the password.
///
/// After an error every call fails.
pub struct SaslClient {
    kind: Kind,
    state: State,
    max_challenge: usize,
    token_error: Option<Vec<u8>>,
}

impl std::fmt::Debug for SaslClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslClient")
            .field("mechanism", &self.mechanism())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl SaslClient {
    const fn with_kind(kind: Kind) -> Self {
        Self {
            kind,
            state: State::Initial,
            max_challenge: DEFAULT_MAX_CHALLENGE,
            token_error: None,
        }
    }

    /// PLAIN (RFC 4616). `authzid` asks to act as another user; usually `None`.
    pub fn plain(
        authzid: Option<&str>,
        authcid: &str,
        password: impl Into<Secret<String>>,
    ) -> Result<Self, SaslError> {
        let password = password.into();
        if let Some(authzid) = authzid {
            check_identity("plain authzid", authzid)?;
        }
        check_identity("plain authcid", authcid)?;
        check_secret("plain password", password.expose())?;
        Ok(Self::with_kind(Kind::OneShot {
            mechanism: Mechanism::Plain,
            message: Secret::new(encode_plain(authzid, authcid, password.expose())),
        }))
    }

    /// LOGIN: answers the first challenge with the user name and the second with the password,
    /// whatever their text (servers differ in the prompts they send).
    pub fn login(username: &str, password: impl Into<Secret<String>>) -> Result<Self, SaslError> {
        let password = password.into();
        check_identity("login username", username)?;
        check_secret("login password", password.expose())?;
        Ok(Self::with_kind(Kind::Login {
            username: username.to_owned(),
            password,
        }))
    }

    /// XOAUTH2 with an OAuth 2.0 access token.
    pub fn xoauth2(user: &str, token: impl Into<Secret<String>>) -> Result<Self, SaslError> {
        let token = token.into();
        check_identity("xoauth2 user", user)?;
        check_token(token.expose())?;
        Ok(Self::with_kind(Kind::OneShot {
            mechanism: Mechanism::XOAuth2,
            message: Secret::new(encode_xoauth2(user, token.expose())),
        }))
    }

    /// OAUTHBEARER (RFC 7628) with an OAuth 2.0 access token; `authzid` is the GS2 `a=`
    /// identity, `host` and `port` those the client connected to.
    pub fn oauthbearer(
        authzid: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
        token: impl Into<Secret<String>>,
    ) -> Result<Self, SaslError> {
        let token = token.into();
        if let Some(authzid) = authzid {
            check_identity("oauthbearer authzid", authzid)?;
        }
        if let Some(host) = host {
            check_identity("oauthbearer host", host)?;
        }
        check_token(token.expose())?;
        Ok(Self::with_kind(Kind::OneShot {
            mechanism: Mechanism::OAuthBearer,
            message: Secret::new(encode_oauthbearer(authzid, host, port, token.expose())),
        }))
    }

    /// EXTERNAL (RFC 4422 Appendix A): the identity comes from the TLS client certificate;
    /// `authzid` asks to act as another identity. Without one the initial response is empty
    /// (and is still sent, as `=`).
    pub fn external(authzid: Option<&str>) -> Result<Self, SaslError> {
        if let Some(authzid) = authzid {
            check_identity("external authzid", authzid)?;
        }
        Ok(Self::with_kind(Kind::OneShot {
            mechanism: Mechanism::External,
            message: Secret::new(authzid.unwrap_or_default().as_bytes().to_vec()),
        }))
    }

    /// CRAM-MD5 (RFC 2195).
    pub fn cram_md5(user: &str, password: impl Into<Secret<String>>) -> Result<Self, SaslError> {
        let password = password.into();
        check_identity("cram-md5 user", user)?;
        check_secret("cram-md5 password", password.expose())?;
        Ok(Self::with_kind(Kind::CramMd5 {
            user: user.to_owned(),
            password,
        }))
    }

    /// SCRAM-SHA-256, or SCRAM-SHA-256-PLUS when the configuration has channel binding.
    pub fn scram(config: ScramClientConfig) -> Result<Self, SaslError> {
        Ok(Self::with_kind(Kind::Scram(Box::new(ScramClient::new(
            config,
        )?))))
    }

    /// Caps the size of one decoded server challenge (default [`DEFAULT_MAX_CHALLENGE`]).
    #[must_use]
    pub const fn with_max_challenge(mut self, octets: usize) -> Self {
        self.max_challenge = octets;
        self
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> Mechanism {
        match &self.kind {
            Kind::OneShot { mechanism, .. } => *mechanism,
            Kind::Login { .. } => Mechanism::Login,
            Kind::CramMd5 { .. } => Mechanism::CramMd5,
            Kind::Scram(scram) => scram.mechanism(),
        }
    }

    /// Whether the exchange ended in success (see [`finish`](Self::finish)).
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The error JSON an XOAUTH2/OAUTHBEARER server sent when it refused the token.
    pub fn token_error(&self) -> Option<&[u8]> {
        self.token_error.as_deref()
    }

    /// The first client message, for sending with the command (SASL-IR). `None` for
    /// mechanisms where the server speaks first (LOGIN, CRAM-MD5) or once the exchange has
    /// started; `Some` of an empty message is an empty initial response (`=` on the wire).
    pub fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        if self.state != State::Initial {
            return None;
        }
        let message = match &mut self.kind {
            Kind::OneShot { message, .. } => message.clone(),
            Kind::Scram(scram) => match scram.client_first() {
                Ok(message) => Secret::new(message),
                Err(_) => {
                    self.state = State::Failed;
                    return None;
                }
            },
            Kind::Login { .. } | Kind::CramMd5 { .. } => return None,
        };
        self.state = State::Sent(1);
        Some(message)
    }

    /// Answers one decoded server challenge. Any error fails the exchange: send the protocol's
    /// cancellation (`*`) and treat the server as untrusted.
    pub fn step(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        match self.state {
            State::Failed => return Err(SaslError::AlreadyFailed),
            State::Complete => return Err(SaslError::AlreadyComplete),
            _ => {}
        }
        let result = check_length("sasl challenge", challenge.len(), self.max_challenge)
            .and_then(|()| self.dispatch(challenge));
        match &result {
            Ok(_) => {}
            Err(_) => self.state = State::Failed,
        }
        result
    }

    fn dispatch(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        let mechanism = self.mechanism();
        let (next, response) = match (&mut self.kind, self.state) {
            (Kind::OneShot { message, .. }, State::Initial) => {
                if !challenge.is_empty() {
                    return Err(SaslError::malformed(
                        mechanism,
                        "the first challenge must be empty",
                    ));
                }
                (State::Sent(1), message.clone())
            }
            (Kind::OneShot { .. }, State::Sent(1))
                if matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) =>
            {
                // The server refused the token and explains why in JSON (RFC 7628 §3.2.2).
                self.token_error = Some(challenge.to_vec());
                let ack = if mechanism == Mechanism::OAuthBearer {
                    vec![0x01]
                } else {
                    Vec::new()
                };
                (State::TokenRejected, Secret::new(ack))
            }
            (Kind::Login { username, .. }, State::Initial) => {
                (State::Sent(1), Secret::new(username.as_bytes().to_vec()))
            }
            (Kind::Login { password, .. }, State::Sent(1)) => (
                State::Sent(2),
                Secret::new(password.expose().as_bytes().to_vec()),
            ),
            (Kind::CramMd5 { user, password }, State::Initial) => {
                if challenge.is_empty() {
                    return Err(SaslError::malformed(mechanism, "empty challenge"));
                }
                let response =
                    cram_md5::client_response(user, password.expose().as_bytes(), challenge)?;
                (State::Sent(1), Secret::new(response))
            }
            (Kind::Scram(scram), State::Initial) => {
                if !challenge.is_empty() {
                    return Err(SaslError::malformed(
                        mechanism,
                        "the first challenge must be empty",
                    ));
                }
                (State::Sent(1), Secret::new(scram.client_first()?))
            }
            (Kind::Scram(scram), State::Sent(1)) => {
                (State::Sent(2), Secret::new(scram.server_first(challenge)?))
            }
            (Kind::Scram(scram), State::Sent(2)) => {
                scram.server_final(challenge)?;
                (State::Complete, Secret::new(Vec::new()))
            }
            _ => {
                return Err(SaslError::OutOfSequence(
                    "challenge after the last client message",
                ));
            }
        };
        self.state = next;
        Ok(response)
    }

    /// Call when the server reports success, with the additional data of the success reply if
    /// the protocol carries any. For SCRAM the server signature must have been verified, by
    /// [`step`](Self::step) or from `additional_data` here; a missing or wrong one is an
    /// error: the server is not who it claims, so do not trust the session.
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        let result = self.check_finish(additional_data);
        self.state = if result.is_ok() {
            State::Complete
        } else {
            State::Failed
        };
        result
    }

    fn check_finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        match self.state {
            State::Failed => return Err(SaslError::AlreadyFailed),
            State::Complete if additional_data.is_none() => return Ok(()),
            State::Initial => return Err(SaslError::OutOfSequence("success before any message")),
            State::TokenRejected => {
                return Err(SaslError::OutOfSequence(
                    "success after the server refused the token",
                ));
            }
            _ => {}
        }
        let data = additional_data.filter(|data| !data.is_empty());
        match (&mut self.kind, self.state) {
            (Kind::Scram(scram), _) => match data {
                Some(data) if scram.awaits_server_final() => {
                    check_length("sasl additional data", data.len(), self.max_challenge)?;
                    scram.server_final(data)
                }
                Some(_) => Err(SaslError::OutOfSequence("additional data with success")),
                None if scram.is_verified() => Ok(()),
                None => Err(SaslError::MissingServerSignature),
            },
            (Kind::Login { .. }, State::Sent(1)) => Err(SaslError::OutOfSequence(
                "success before the password was sent",
            )),
            (_, _) if data.is_some() => {
                Err(SaslError::OutOfSequence("additional data with success"))
            }
            _ => Ok(()),
        }
    }
}
