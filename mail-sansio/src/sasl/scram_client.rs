//! The client half of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 §5, RFC 7677).

use std::fmt;

use super::credentials::{check_identity, check_secret};
use super::gs2::{CbindFlag, Gs2Header, ct_eq, escape_saslname};
use super::scram::{
    DEFAULT_MAX_ITERATIONS, DEFAULT_MIN_ITERATIONS, KEY_LEN, attribute, h, hmac, is_printable,
    salted_password, xor,
};
use super::wire::{decode_base64, encode_challenge};
use super::{ChannelBinding, Mechanism, SaslError, saslprep};
use crate::Secret;

/// Settings for a SCRAM client, passed to [`SaslClient::scram`](super::SaslClient::scram).
///
/// The client nonce comes from the caller's random source: use at least 18 random octets,
/// base64-encoded (24 printable characters); it must not contain `,`.
#[derive(Clone)]
pub struct ScramClientConfig {
    username: String,
    password: Secret<String>,
    nonce: String,
    authzid: Option<String>,
    binding: Option<ChannelBinding>,
    binding_supported: bool,
    min_iterations: u32,
    max_iterations: u32,
}

impl ScramClientConfig {
    /// A client for `username` with `password` and a fresh `client_nonce`, without channel
    /// binding (`n,,` — see [`channel_binding`](Self::channel_binding) and
    /// [`binding_supported`](Self::binding_supported)).
    pub fn new(username: &str, password: impl Into<Secret<String>>, client_nonce: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.into(),
            nonce: client_nonce.to_owned(),
            authzid: None,
            binding: None,
            binding_supported: false,
            min_iterations: DEFAULT_MIN_ITERATIONS,
            max_iterations: DEFAULT_MAX_ITERATIONS,
        }
    }

    /// Asks to act as `authzid` (`a=` in the GS2 header).
    #[must_use]
    pub fn authzid(mut self, authzid: &str) -> Self {
        self.authzid = Some(authzid.to_owned());
        self
    }

    /// Uses SCRAM-SHA-256-PLUS bound to this channel (`p=<type>`). Only when the server
    /// offered `SCRAM-SHA-256-PLUS`.
    #[must_use]
    pub fn channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.binding = Some(binding);
        self
    }

    /// Says that this client could bind to the channel but the server did not offer `-PLUS`
    /// (`y,,`), so a server that did offer it detects the downgrade (RFC 5802 §6). Set it
    /// whenever the TLS layer can give binding data and the server's list lacked `-PLUS`.
    #[must_use]
    pub const fn binding_supported(mut self, supported: bool) -> Self {
        self.binding_supported = supported;
        self
    }

    /// Accepted iteration counts; the defaults are [`DEFAULT_MIN_ITERATIONS`] (RFC 7677 §4)
    /// and [`DEFAULT_MAX_ITERATIONS`].
    #[must_use]
    pub const fn iteration_range(mut self, min: u32, max: u32) -> Self {
        self.min_iterations = min;
        self.max_iterations = max;
        self
    }
}

impl fmt::Debug for ScramClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClientConfig")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("authzid", &self.authzid)
            .field("binding", &self.binding)
            .field("binding_supported", &self.binding_supported)
            .field("min_iterations", &self.min_iterations)
            .field("max_iterations", &self.max_iterations)
            .finish_non_exhaustive()
    }
}

/// Where the client is in the exchange.
enum State {
    Initial,
    SentClientFirst { client_first_bare: String },
    SentClientFinal { server_signature: [u8; KEY_LEN] },
    Verified,
}

/// The SCRAM client machine (states only; [`SaslClient`](super::SaslClient) adds the common
/// failure and completion handling).
pub(crate) struct ScramClient {
    mechanism: Mechanism,
    gs2_header: String,
    cbind_input: Vec<u8>,
    username: String,
    password: Secret<String>,
    nonce: String,
    min_iterations: u32,
    max_iterations: u32,
    state: State,
}

impl ScramClient {
    /// Validates the configuration.
    pub(crate) fn new(config: ScramClientConfig) -> Result<Self, SaslError> {
        check_identity("scram username", &config.username)?;
        check_secret("scram password", config.password.expose())?;
        let username = saslprep(&config.username)?.into_owned();
        // Fail now rather than mid-exchange if the password cannot be prepared.
        saslprep(config.password.expose())?;
        if !is_printable(config.nonce.as_bytes()) {
            return Err(SaslError::invalid(
                "scram client nonce",
                "must be printable ascii without a comma",
            ));
        }
        if let Some(authzid) = &config.authzid {
            check_identity("scram authzid", authzid)?;
        }
        if config.min_iterations == 0 || config.min_iterations > config.max_iterations {
            return Err(SaslError::invalid(
                "scram iteration range",
                "min must be at least 1 and at most max",
            ));
        }
        let (mechanism, cbind) = match &config.binding {
            Some(binding) => (
                Mechanism::ScramSha256Plus,
                CbindFlag::Used(binding.name().to_owned()),
            ),
            None if config.binding_supported => {
                (Mechanism::ScramSha256, CbindFlag::SupportedNotUsed)
            }
            None => (Mechanism::ScramSha256, CbindFlag::No),
        };
        let gs2_header = Gs2Header {
            cbind,
            authzid: config.authzid,
        }
        .encode();
        let mut cbind_input = gs2_header.clone().into_bytes();
        if let Some(binding) = &config.binding {
            cbind_input.extend_from_slice(binding.data());
        }
        Ok(Self {
            mechanism,
            gs2_header,
            cbind_input,
            username,
            password: config.password,
            nonce: config.nonce,
            min_iterations: config.min_iterations,
            max_iterations: config.max_iterations,
            state: State::Initial,
        })
    }

    pub(crate) const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    pub(crate) const fn has_started(&self) -> bool {
        !matches!(self.state, State::Initial)
    }

    pub(crate) const fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    pub(crate) const fn awaits_server_final(&self) -> bool {
        matches!(self.state, State::SentClientFinal { .. })
    }

    /// ```text
    /// client-first-message      = gs2-header client-first-message-bare
    /// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    /// ```
    pub(crate) fn client_first(&mut self) -> Result<Vec<u8>, SaslError> {
        if self.has_started() {
            return Err(SaslError::OutOfSequence(
                "second scram client-first message",
            ));
        }
        let client_first_bare = format!("n={},r={}", escape_saslname(&self.username), self.nonce);
        let message = format!("{}{client_first_bare}", self.gs2_header).into_bytes();
        self.state = State::SentClientFirst { client_first_bare };
        Ok(message)
    }

    /// Answers the server-first message with the client-final message.
    ///
    /// ```text
    /// server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
    ///                        ["," extensions]
    /// client-final-message = channel-binding "," nonce ["," extensions] "," proof
    /// ```
    pub(crate) fn server_first(&mut self, message: &[u8]) -> Result<Vec<u8>, SaslError> {
        let State::SentClientFirst { client_first_bare } = &self.state else {
            return Err(SaslError::OutOfSequence("scram server-first message"));
        };
        let bad = |reason| SaslError::malformed(self.mechanism, reason);
        let server_first =
            std::str::from_utf8(message).map_err(|_| bad("server-first message is not utf-8"))?;
        let mut parts = message.split(|&b| b == b',');
        let first = parts.next().unwrap_or_default();
        if attribute(first, b'm').is_some() {
            return Err(bad("unsupported mandatory extension"));
        }
        let nonce = attribute(first, b'r').ok_or(bad("server-first must start with r="))?;
        let salt = parts
            .next()
            .and_then(|part| attribute(part, b's'))
            .ok_or(bad("server-first lacks s= after the nonce"))?;
        let iterations = parts
            .next()
            .and_then(|part| attribute(part, b'i'))
            .ok_or(bad("server-first lacks i= after the salt"))?;
        if !is_printable(nonce) {
            return Err(bad("nonce must be printable without a comma"));
        }
        if nonce.len() <= self.nonce.len() || !nonce.starts_with(self.nonce.as_bytes()) {
            return Err(SaslError::NonceMismatch);
        }
        let salt = decode_base64(salt, message.len())?;
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        let iterations = parse_iterations(iterations).ok_or(bad("i= is not a number"))?;
        if iterations < self.min_iterations || iterations > self.max_iterations {
            return Err(SaslError::IterationCount {
                count: iterations,
                min: self.min_iterations,
                max: self.max_iterations,
            });
        }

        let client_final_without_proof = format!(
            "c={},r={}",
            encode_challenge(&self.cbind_input),
            String::from_utf8_lossy(nonce)
        );
        let auth_message =
            format!("{client_first_bare},{server_first},{client_final_without_proof}");
        let salted = salted_password(self.password.expose(), &salt, iterations)?;
        let client_key = hmac(&salted, b"Client Key")?;
        let stored_key = h(&client_key);
        let client_signature = hmac(&stored_key, auth_message.as_bytes())?;
        let proof = xor(&client_key, &client_signature);
        let server_key = hmac(&salted, b"Server Key")?;
        let server_signature = hmac(&server_key, auth_message.as_bytes())?;

        let message = format!(
            "{client_final_without_proof},p={}",
            encode_challenge(&proof)
        );
        self.state = State::SentClientFinal { server_signature };
        Ok(message.into_bytes())
    }

    /// Checks the server-final message.
    ///
    /// ```text
    /// server-final-message = (server-error / verifier) ["," extensions]
    /// server-error = "e=" server-error-value
    /// verifier     = "v=" base64
    /// ```
    pub(crate) fn server_final(&mut self, message: &[u8]) -> Result<(), SaslError> {
        let State::SentClientFinal { server_signature } = &self.state else {
            return Err(SaslError::OutOfSequence("scram server-final message"));
        };
        let first = message.split(|&b| b == b',').next().unwrap_or_default();
        if let Some(error) = attribute(first, b'e') {
            return Err(SaslError::ServerError(sanitise_server_error(error)));
        }
        let verifier = attribute(first, b'v').ok_or(SaslError::MissingServerSignature)?;
        let verifier = decode_base64(verifier, message.len())
            .map_err(|_| SaslError::ServerSignatureMismatch)?;
        if !ct_eq(&verifier, server_signature) {
            return Err(SaslError::ServerSignatureMismatch);
        }
        self.state = State::Verified;
        Ok(())
    }
}

/// `iteration-count = "i=" posit-number`; `None` when not a number that fits in `u32`.
fn parse_iterations(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Keeps the printable ASCII of a `server-error-value`, at most 64 characters.
fn sanitise_server_error(value: &[u8]) -> String {
    value
        .iter()
        .take(64)
        .map(|&b| {
            if (0x20..0x7F).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_numbers() {
        assert_eq!(parse_iterations(b"4096"), Some(4096));
        assert_eq!(parse_iterations(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_iterations(b"4294967296"), None);
        assert_eq!(parse_iterations(b"99999999999999999999"), None);
        assert_eq!(parse_iterations(b"-1"), None);
        assert_eq!(parse_iterations(b""), None);
    }

    #[test]
    fn server_errors_are_sanitised() {
        assert_eq!(sanitise_server_error(b"invalid-proof"), "invalid-proof");
        assert_eq!(sanitise_server_error(b"a\r\nb\xff"), "a??b?");
        assert_eq!(sanitise_server_error(&[b'x'; 100]).len(), 64);
    }
}
