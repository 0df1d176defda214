//! SASL (RFC 4422) mechanisms as step machines, independent of any protocol's framing.
//!
//! The machines take and give raw, decoded message bytes. The protocol crates do the line
//! work: SMTP `AUTH`/`334` (RFC 4954), POP3 `AUTH`/`+ ` (RFC 5034) and IMAP
//! `AUTHENTICATE`/`+ ` (RFC 9051) strip their framing and use [`wire`] to decode and encode the
//! base64, with its size caps and `*` cancellation.
//!
//! | mechanism | client speaks first | plaintext credentials | server hands out |
//! |---|---|---|---|
//! | `PLAIN` (RFC 4616) | yes | yes | [`Credentials::Password`] |
//! | `LOGIN` (draft-murchison-sasl-login) | no | yes | [`Credentials::Password`] |
//! | `XOAUTH2` | yes | yes (bearer token) | [`Credentials::Token`] |
//! | `OAUTHBEARER` (RFC 7628) | yes | yes (bearer token) | [`Credentials::Token`] |
//! | `EXTERNAL` (RFC 4422 App. A) | yes | no | [`Credentials::External`] |
//! | `CRAM-MD5` (RFC 2195) | no | no | [`Credentials::CramMd5`] |
//! | `SCRAM-SHA-256[-PLUS]` (RFC 5802, 7677) | yes | no | checks the proof itself |
//!
//! There is no randomness and no clock inside: the SCRAM nonces and the CRAM-MD5 challenge come
//! from the caller, who must use at least 18 bytes from a cryptographic random source,
//! base64-encoded. User names and passwords go through the common subset of SASLprep
//! ([`saslprep()`], RFC 4013 without NFKC) in SCRAM; PLAIN, LOGIN and CRAM-MD5 use them as the
//! UTF-8 bytes given. Passwords, tokens and proofs are kept in [`Secret`](crate::Secret) and
//! never appear in `Debug` output or in a [`SaslError`].
//!
//! # Example: SCRAM-SHA-256 from both sides
//!
//! ```
//! use mail_sansio::sasl::{
//!     Mechanism, SaslClient, SaslServer, SaslServerConfig, ScramClientConfig, ScramCredentials,
//!     ServerStep,
//! };
//!
//! let salt = b"0123456789abcdef";
//! let stored = ScramCredentials::derive("pencil", salt, 4096)?;
//!
//! let mut client =
//!     SaslClient::scram(ScramClientConfig::new("user", "pencil".to_owned(), "rOprNGfwEbeRWgbNEkqO"))?;
//! let config = SaslServerConfig::new().with_scram_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
//! let mut server = SaslServer::new(Mechanism::ScramSha256, config)?;
//!
//! // The client-first message goes out with the command (SASL-IR).
//! let client_first = client.initial_response().expect("scram speaks first");
//! let ServerStep::NeedScramCredentials { authcid, .. } = server.step(client_first.expose())? else {
//!     unreachable!()
//! };
//! assert_eq!(authcid, "user");
//! let ServerStep::Challenge(server_first) = server.provide_scram_credentials(stored)? else {
//!     unreachable!()
//! };
//! let client_final = client.step(&server_first)?;
//! let ServerStep::Success { server_final: Some(server_final), .. } =
//!     server.step(client_final.expose())?
//! else {
//!     unreachable!()
//! };
//! // SMTP, POP3 and IMAP send server-final as one more challenge, answered with nothing.
//! let empty = client.step(&server_final)?;
//! assert!(empty.expose().is_empty());
//! assert!(matches!(server.step(empty.expose())?, ServerStep::Success { server_final: None, .. }));
//! client.finish(None)?; // the success reply
//! assert!(client.is_complete());
//! # Ok::<(), mail_sansio::sasl::SaslError>(())
//! ```

mod client;
mod cram_md5;
mod credentials;
mod error;
mod gs2;
mod mechanism;
mod oauth;
mod plain;
mod saslprep;
mod scram;
mod scram_client;
mod scram_server;
mod server;
pub mod wire;

pub use client::{DEFAULT_MAX_CHALLENGE, SaslClient};
pub use cram_md5::CramMd5Proof;
pub use credentials::Credentials;
pub use error::SaslError;
pub use mechanism::{ChannelBinding, Mechanism, MechanismName};
pub use saslprep::saslprep;
pub use scram::{DEFAULT_MAX_ITERATIONS, DEFAULT_MIN_ITERATIONS, ScramCredentials};
pub use scram_client::ScramClientConfig;
pub use server::{
    DEFAULT_MAX_IDENTITY, DEFAULT_MAX_RESPONSE, SaslServer, SaslServerConfig, ServerStep,
};
