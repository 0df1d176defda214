//! What a server hands the application to check, and the identity rules shared by the
//! mechanisms.

use super::{CramMd5Proof, Mechanism, SaslError};
use crate::Secret;

/// Credentials the application must check before it replies with success or failure
/// ([`ServerStep::Verify`](super::ServerStep::Verify)).
///
/// Identities are UTF-8 without control characters; they are given as the client sent them
/// (apply [`saslprep`](super::saslprep()) before comparing if the store holds prepared names).
/// An `authzid` that differs from the authenticated identity asks to act as another user: allow
/// it only for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// PLAIN or LOGIN: check the password.
    Password {
        /// The identity to act as, when the client asked for one (PLAIN only).
        authzid: Option<String>,
        /// The identity whose password this is.
        authcid: String,
        /// The password as sent.
        password: Secret<String>,
    },
    /// XOAUTH2 or OAUTHBEARER: validate the bearer token. On failure answer with
    /// [`SaslServer::reject_token`](super::SaslServer::reject_token) to send the error JSON.
    Token {
        /// Which of the two mechanisms.
        mechanism: Mechanism,
        /// OAUTHBEARER's GS2 `a=` identity.
        authzid: Option<String>,
        /// XOAUTH2's `user=` (OAUTHBEARER carries none: the token names the user).
        user: Option<String>,
        /// The bearer token (without the `Bearer ` scheme).
        token: Secret<String>,
        /// OAUTHBEARER's `host=`, if sent.
        host: Option<String>,
        /// OAUTHBEARER's `port=`, if sent.
        port: Option<u16>,
    },
    /// EXTERNAL: the identity comes from outside SASL (a TLS client certificate); check that it
    /// may act as `authzid`, or use its own identity when `None`.
    External {
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// CRAM-MD5: look up the user's password and call [`CramMd5Proof::verify`].
    CramMd5(CramMd5Proof),
}

impl Credentials {
    /// The authentication identity the client claimed, when the mechanism carries one.
    pub fn authcid(&self) -> Option<&str> {
        match self {
            Self::Password { authcid, .. } => Some(authcid),
            Self::Token { user, .. } => user.as_deref(),
            Self::External { .. } => None,
            Self::CramMd5(proof) => Some(proof.user()),
        }
    }
}

/// Validates an identity (user name, authzid) received from a peer: UTF-8, no control
/// characters, not empty, at most `max` octets.
pub(crate) fn parse_identity(
    bytes: &[u8],
    max: usize,
    mechanism: Mechanism,
) -> Result<String, SaslError> {
    super::wire::check_length("identity", bytes.len(), max)?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SaslError::malformed(mechanism, "identity is not utf-8"))?;
    if text.is_empty() {
        return Err(SaslError::malformed(mechanism, "empty identity"));
    }
    if text.chars().any(char::is_control) {
        return Err(SaslError::malformed(
            mechanism,
            "identity contains a control character",
        ));
    }
    Ok(text.to_owned())
}

/// Validates an identity given to a client constructor.
pub(crate) fn check_identity(what: &'static str, value: &str) -> Result<(), SaslError> {
    if value.is_empty() {
        return Err(SaslError::invalid(what, "empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(SaslError::invalid(what, "contains a control character"));
    }
    Ok(())
}

/// Validates a password or token given to a client constructor: not empty, no NUL.
pub(crate) fn check_secret(what: &'static str, value: &str) -> Result<(), SaslError> {
    if value.is_empty() {
        return Err(SaslError::invalid(what, "empty"));
    }
    if value.contains('\0') {
        return Err(SaslError::invalid(what, "contains nul"));
    }
    Ok(())
}

/// Parses a password received from a peer: UTF-8, not empty, no NUL.
pub(crate) fn parse_password(
    bytes: &[u8],
    mechanism: Mechanism,
) -> Result<Secret<String>, SaslError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SaslError::malformed(mechanism, "password is not utf-8"))?;
    if text.is_empty() {
        return Err(SaslError::malformed(mechanism, "empty password"));
    }
    if text.contains('\0') {
        return Err(SaslError::malformed(mechanism, "password contains nul"));
    }
    Ok(Secret::new(text.to_owned()))
}
