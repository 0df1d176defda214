//! The server side: one [`SaslServer`] per exchange, for any mechanism.

use super::cram_md5;
use super::oauth::{parse_oauthbearer, parse_xoauth2};
use super::plain::{
    LOGIN_PASSWORD, LOGIN_USERNAME, parse_external, parse_login_password, parse_login_username,
    parse_plain,
};
use super::scram_server::ScramServer;
use super::wire::check_length;
use super::{ChannelBinding, Credentials, Mechanism, SaslError, ScramCredentials};

/// Default cap on one decoded client response (RFC 4954 §4's 12288-octet AUTH line holds at
/// most 9216 decoded octets; tokens stay well below).
pub const DEFAULT_MAX_RESPONSE: usize = 12_288;
/// Default cap on a user name or authzid (RFC 4616 §2 requires accepting 255 octets).
pub const DEFAULT_MAX_IDENTITY: usize = 1024;

/// Settings for one server exchange. The nonce and challenge must be fresh for every exchange,
/// so build one per `AUTH`/`AUTHENTICATE` command.
#[derive(Debug, Clone)]
pub struct SaslServerConfig {
    cram_md5_challenge: Option<Vec<u8>>,
    scram_nonce: Option<String>,
    channel_bindings: Vec<ChannelBinding>,
    plus_offered: bool,
    max_response: usize,
    max_identity: usize,
}

impl Default for SaslServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SaslServerConfig {
    /// No challenge, nonce or channel binding; default limits.
    pub const fn new() -> Self {
        Self {
            cram_md5_challenge: None,
            scram_nonce: None,
            channel_bindings: Vec::new(),
            plus_offered: false,
            max_response: DEFAULT_MAX_RESPONSE,
            max_identity: DEFAULT_MAX_IDENTITY,
        }
    }

    /// The CRAM-MD5 challenge, from the caller's random source: RFC 2195 suggests
    /// `<random.timestamp@hostname>`; put at least 18 random octets (base64-encoded) in it.
    #[must_use]
    pub fn with_cram_md5_challenge(mut self, challenge: impl Into<Vec<u8>>) -> Self {
        self.cram_md5_challenge = Some(challenge.into());
        self
    }

    /// The SCRAM server nonce part, from the caller's random source: at least 18 random octets,
    /// base64-encoded (printable ASCII without `,`).
    #[must_use]
    pub fn with_scram_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.scram_nonce = Some(nonce.into());
        self
    }

    /// Adds the connection's channel binding of one type (call once per type the TLS layer can
    /// give, e.g. `tls-exporter` and `tls-server-end-point`).
    #[must_use]
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_bindings.push(binding);
        self
    }

    /// Whether the mechanism list sent to this client included `SCRAM-SHA-256-PLUS`: then a
    /// client that sends `y` was fooled by a downgrade and is refused (RFC 5802 §6).
    #[must_use]
    pub const fn with_plus_offered(mut self, offered: bool) -> Self {
        self.plus_offered = offered;
        self
    }

    /// Cap on one decoded client response in octets.
    #[must_use]
    pub const fn with_max_response(mut self, octets: usize) -> Self {
        self.max_response = octets;
        self
    }

    /// Cap on user names and authzids in octets.
    #[must_use]
    pub const fn with_max_identity(mut self, octets: usize) -> Self {
        self.max_identity = octets;
        self
    }

    /// The cap on one decoded client response.
    pub const fn max_response(&self) -> usize {
        self.max_response
    }
}

/// What the server does next after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerStep {
    /// Send this challenge to the client (base64 it with
    /// [`wire::encode_challenge`](super::wire::encode_challenge)) and feed the client's
    /// response to [`SaslServer::step`].
    Challenge(Vec<u8>),
    /// The application must check these credentials and answer with the protocol's success or
    /// failure reply (for tokens, failure may first go through [`SaslServer::reject_token`]).
    Verify(Credentials),
    /// SCRAM: look up the user's stored credentials and pass them to
    /// [`SaslServer::provide_scram_credentials`]. For an unknown user pass made-up ones (see
    /// [`ScramCredentials::derive`]) so the proof fails like a wrong password.
    NeedScramCredentials {
        /// The identity whose credentials are needed.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// SCRAM: the client proved it knows the password. The application still decides whether
    /// `authcid` may act as `authzid`. Send `server_final` as additional data with success
    /// where the protocol allows it; otherwise (SMTP, POP3, IMAP) send it as a challenge, read
    /// the client's empty response, feed it to [`SaslServer::step`] (which answers `Success`
    /// again with `server_final: None`), then reply with success.
    Success {
        /// The identity the client wants to act as.
        authzid: Option<String>,
        /// The authenticated identity.
        authcid: String,
        /// The server-final message (`v=...`), when still to be sent.
        server_final: Option<Vec<u8>>,
    },
}

/// Where the exchange is.
enum State {
    /// Nothing received; [`SaslServer::start`] or an initial response comes next.
    Start,
    /// Waiting for the first (or only) client message.
    AwaitFirst,
    LoginAwaitPassword(String),
    CramMd5Await,
    Scram(Box<ScramServer>),
    /// Success sent with `server_final`; one empty response may still come.
    ScramFinalAck {
        authzid: Option<String>,
        authcid: String,
    },
    /// `Verify(Token)` handed out; [`SaslServer::reject_token`] is still possible.
    TokenVerify,
    /// The error JSON was sent; the client's acknowledgement comes next.
    TokenErrorSent,
    Complete,
    Failed,
}

/// A server-side SASL exchange for one mechanism.
///
/// Feed it the decoded client messages ([`wire::decode_response`](super::wire::decode_response))
/// and act on each [`ServerStep`]. After an error, or once complete, every call fails.
pub struct SaslServer {
    mechanism: Mechanism,
    config: SaslServerConfig,
    state: State,
    /// Whether `start` or `step` has been called.
    started: bool,
}

impl std::fmt::Debug for SaslServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslServer")
            .field("mechanism", &self.mechanism)
            .field("complete", &self.is_complete())
            .field("failed", &matches!(self.state, State::Failed))
            .finish_non_exhaustive()
    }
}

impl SaslServer {
    /// Starts an exchange. Fails when the configuration lacks what the mechanism needs: a
    /// CRAM-MD5 challenge, a SCRAM nonce, channel binding data for `-PLUS`.
    pub fn new(mechanism: Mechanism, config: SaslServerConfig) -> Result<Self, SaslError> {
        let state = match mechanism {
            Mechanism::CramMd5 => match &config.cram_md5_challenge {
                Some(challenge) if !challenge.is_empty() => State::Start,
                _ => return Err(SaslError::MissingConfig("cram-md5 challenge")),
            },
            Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => {
                let nonce = config
                    .scram_nonce
                    .clone()
                    .ok_or(SaslError::MissingConfig("scram server nonce"))?;
                State::Scram(Box::new(ScramServer::new(
                    mechanism,
                    nonce,
                    config.channel_bindings.clone(),
                    config.plus_offered,
                    config.max_identity,
                )?))
            }
            _ => State::Start,
        };
        Ok(Self {
            mechanism,
            config,
            state,
            started: false,
        })
    }

    /// Starts from a mechanism name as the client sent it (case-insensitive).
    pub fn from_name(name: &[u8], config: SaslServerConfig) -> Result<Self, SaslError> {
        let mechanism = Mechanism::from_name(name).ok_or(SaslError::UnknownMechanism)?;
        Self::new(mechanism, config)
    }

    /// The mechanism of this exchange.
    pub const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Whether the exchange has reached its end: credentials handed out for checking, or SCRAM
    /// success.
    pub const fn is_complete(&self) -> bool {
        matches!(
            self.state,
            State::Complete | State::TokenVerify | State::ScramFinalAck { .. }
        )
    }

    /// Starts without an initial response: returns the first challenge (empty for the
    /// mechanisms where the client speaks first, `Username:` for LOGIN, the challenge for
    /// CRAM-MD5). Call it or [`step`](Self::step) with the initial response, not both.
    pub fn start(&mut self) -> Result<ServerStep, SaslError> {
        if self.started {
            return Err(self.misuse("start after the exchange began"));
        }
        self.started = true;
        let challenge = match (&self.state, self.mechanism) {
            (State::Start, Mechanism::Login) => LOGIN_USERNAME.to_vec(),
            (State::Start, Mechanism::CramMd5) => {
                self.state = State::CramMd5Await;
                return Ok(ServerStep::Challenge(
                    self.config.cram_md5_challenge.clone().unwrap_or_default(),
                ));
            }
            // The SCRAM machine itself waits for client-first.
            (State::Scram(_), _) => return Ok(ServerStep::Challenge(Vec::new())),
            _ => Vec::new(),
        };
        self.state = State::AwaitFirst;
        Ok(ServerStep::Challenge(challenge))
    }

    /// Feeds one decoded client message: the initial response when called first (an empty
    /// slice is an empty initial response, `=` on the wire), otherwise the response to the last
    /// challenge. Any error fails the exchange.
    pub fn step(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        match self.state {
            State::Failed => return Err(SaslError::AlreadyFailed),
            State::Complete | State::TokenVerify => return Err(SaslError::AlreadyComplete),
            _ => {}
        }
        self.started = true;
        let result = check_length("sasl response", response.len(), self.config.max_response)
            .and_then(|()| self.dispatch(response));
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn dispatch(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        let max_identity = self.config.max_identity;
        let state = std::mem::replace(&mut self.state, State::Failed);
        let (next, step) = match (state, self.mechanism) {
            (State::Scram(mut scram), _) => {
                let step = scram.step(response)?;
                match &step {
                    ServerStep::Success {
                        authzid, authcid, ..
                    } => (
                        State::ScramFinalAck {
                            authzid: authzid.clone(),
                            authcid: authcid.clone(),
                        },
                        step,
                    ),
                    _ => (State::Scram(scram), step),
                }
            }
            (State::ScramFinalAck { authzid, authcid }, _) => {
                if !response.is_empty() {
                    return Err(SaslError::malformed(
                        self.mechanism,
                        "response to server-final must be empty",
                    ));
                }
                let step = ServerStep::Success {
                    authzid,
                    authcid,
                    server_final: None,
                };
                (State::Complete, step)
            }
            (State::Start | State::AwaitFirst, Mechanism::Plain) => (
                State::Complete,
                ServerStep::Verify(parse_plain(response, max_identity)?),
            ),
            (State::Start | State::AwaitFirst, Mechanism::External) => (
                State::Complete,
                ServerStep::Verify(parse_external(response, max_identity)?),
            ),
            (State::Start | State::AwaitFirst, Mechanism::XOAuth2) => (
                State::TokenVerify,
                ServerStep::Verify(parse_xoauth2(response, max_identity)?),
            ),
            (State::Start | State::AwaitFirst, Mechanism::OAuthBearer) => (
                State::TokenVerify,
                ServerStep::Verify(parse_oauthbearer(response, max_identity)?),
            ),
            // LOGIN's initial response, where sent, is the user name.
            (State::Start | State::AwaitFirst, Mechanism::Login) => (
                State::LoginAwaitPassword(parse_login_username(response, max_identity)?),
                ServerStep::Challenge(LOGIN_PASSWORD.to_vec()),
            ),
            (State::LoginAwaitPassword(username), _) => (
                State::Complete,
                ServerStep::Verify(parse_login_password(username, response)?),
            ),
            (State::Start, Mechanism::CramMd5) => {
                return Err(SaslError::malformed(
                    Mechanism::CramMd5,
                    "cram-md5 has no initial response",
                ));
            }
            (State::CramMd5Await, _) => {
                let challenge = self
                    .config
                    .cram_md5_challenge
                    .as_deref()
                    .unwrap_or_default();
                let proof = cram_md5::parse_response(challenge, response, max_identity)?;
                (
                    State::Complete,
                    ServerStep::Verify(Credentials::CramMd5(proof)),
                )
            }
            (State::TokenErrorSent, mechanism) => {
                let expected: &[u8] = if mechanism == Mechanism::OAuthBearer {
                    b"\x01"
                } else {
                    b""
                };
                return Err(if response == expected {
                    SaslError::AuthenticationFailed
                } else {
                    SaslError::malformed(mechanism, "unexpected response to the error challenge")
                });
            }
            _ => return Err(SaslError::OutOfSequence("client response")),
        };
        self.state = next;
        Ok(step)
    }

    /// Answers [`ServerStep::NeedScramCredentials`] with the user's stored credentials and
    /// returns the server-first challenge.
    pub fn provide_scram_credentials(
        &mut self,
        credentials: ScramCredentials,
    ) -> Result<ServerStep, SaslError> {
        let State::Scram(scram) = &mut self.state else {
            return Err(self.misuse("scram credentials"));
        };
        let result = scram.provide(credentials);
        if result
            .as_ref()
            .is_err_and(|error| !matches!(error, SaslError::OutOfSequence(_)))
        {
            self.state = State::Failed;
        }
        result
    }

    /// Refuses the token of a [`Credentials::Token`] with an error JSON (RFC 7628 §3.2.2, e.g.
    /// `{"status":"invalid_token"}`) and returns it as the challenge to send. The client's
    /// answer, fed to [`step`](Self::step), then yields [`SaslError::AuthenticationFailed`]:
    /// reply with the protocol's failure.
    pub fn reject_token(&mut self, error_json: &[u8]) -> Result<Vec<u8>, SaslError> {
        if !matches!(self.state, State::TokenVerify) {
            return Err(self.misuse("token rejection"));
        }
        self.state = State::TokenErrorSent;
        Ok(error_json.to_vec())
    }

    /// The error for a call in the wrong state; keeps the state unless it already failed.
    fn misuse(&self, what: &'static str) -> SaslError {
        match self.state {
            State::Failed => SaslError::AlreadyFailed,
            State::Complete => SaslError::AlreadyComplete,
            _ => SaslError::OutOfSequence(what),
        }
    }
}
