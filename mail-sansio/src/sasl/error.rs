//! The one error type of the SASL machines and wire helpers.

use super::Mechanism;

/// Why a SASL step, a wire decode or a constructor failed.
///
/// Messages are lowercase, name the limit or the value at fault, and never contain secret bytes
/// (passwords, tokens, proofs, decoded responses). After a step returns an error the machine is
/// failed: every later step returns [`SaslError::AlreadyFailed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The client sent `*` (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2): answer with the
    /// protocol's "authentication cancelled" reply (SMTP `501`, POP3 `-ERR`, IMAP `BAD`).
    #[error("sasl exchange cancelled by the client")]
    Cancelled,
    /// The mechanism name is not one this crate implements.
    #[error("unknown sasl mechanism")]
    UnknownMechanism,
    /// Text that must be base64 is not strict RFC 4648 base64.
    #[error("invalid base64 at offset {offset}: {reason}")]
    InvalidBase64 {
        /// Byte offset of the problem in the encoded text.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A line, message or field is longer than its limit; checked before any decoding.
    #[error("{what} of {length} octets exceeds the limit of {limit}")]
    TooLong {
        /// Which value was too long.
        what: &'static str,
        /// Its length in octets.
        length: usize,
        /// The configured limit in octets.
        limit: usize,
    },
    /// A message does not follow the mechanism's grammar.
    #[error("malformed {mechanism} message: {reason}")]
    Malformed {
        /// The mechanism whose grammar was violated.
        mechanism: Mechanism,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A value given to a constructor cannot be used (a NUL in a username, an empty nonce...).
    #[error("invalid {what}: {reason}")]
    InvalidValue {
        /// Which value.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The server configuration lacks something the mechanism needs (a CRAM-MD5 challenge, a
    /// SCRAM nonce, channel binding data for `-PLUS`).
    #[error("missing server configuration: {0}")]
    MissingConfig(&'static str),
    /// SCRAM server: the client proof does not match the stored key (wrong password).
    #[error("authentication failed: client proof does not match")]
    InvalidProof,
    /// The application rejected the credentials (OAuth error exchange finished).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// SCRAM client: the server's `v=` signature is wrong, so the server does not know the
    /// password and must not be trusted.
    #[error("server signature does not match")]
    ServerSignatureMismatch,
    /// SCRAM client: the server reported success without a verifiable final message.
    #[error("server final message with the server signature is missing")]
    MissingServerSignature,
    /// SCRAM client: the server sent `e=` (RFC 5802 §7 server-error-value, sanitised).
    #[error("server reported error {0:?}")]
    ServerError(String),
    /// SCRAM server: the client's `c=` channel binding does not match this connection's.
    #[error("channel binding data does not match")]
    ChannelBindingMismatch,
    /// SCRAM server: the client sent `y` (it supports channel binding and believes the server
    /// does not) although `-PLUS` was offered: someone removed it from the list (RFC 5802 §6).
    #[error("channel binding downgrade: client says -plus was not offered but it was")]
    ChannelBindingDowngrade,
    /// Channel binding was requested or omitted where the mechanism does not allow it, or with a
    /// type this side does not have.
    #[error("channel binding error: {0}")]
    ChannelBinding(&'static str),
    /// SCRAM: the nonce does not extend or repeat the expected one.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// SCRAM client: the server's iteration count is outside the configured range (low counts
    /// weaken the hash, huge ones are a CPU denial of service).
    #[error("iteration count {count} outside the allowed range {min}..={max}")]
    IterationCount {
        /// The count the server sent.
        count: u32,
        /// Lowest accepted count.
        min: u32,
        /// Highest accepted count.
        max: u32,
    },
    /// A step was attempted after the exchange completed.
    #[error("sasl exchange already complete")]
    AlreadyComplete,
    /// A step was attempted after the exchange failed.
    #[error("sasl exchange already failed")]
    AlreadyFailed,
    /// A call that does not fit the exchange's current state (named in the message).
    #[error("unexpected {0}")]
    OutOfSequence(&'static str),
    /// A cryptographic primitive refused its input (never expected with HMAC).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl SaslError {
    /// Shorthand for [`SaslError::Malformed`].
    pub(crate) const fn malformed(mechanism: Mechanism, reason: &'static str) -> Self {
        Self::Malformed { mechanism, reason }
    }

    /// Shorthand for [`SaslError::InvalidValue`].
    pub(crate) const fn invalid(what: &'static str, reason: &'static str) -> Self {
        Self::InvalidValue { what, reason }
    }
}
