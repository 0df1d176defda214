//! Client configuration: the name to greet with, the TLS mode, reply caps and timeouts.

use std::time::Duration;

use crate::config::TlsMode;
use crate::reply::ReplyLimits;
use crate::types::Domain;

/// Client limits; every default cites where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientLimits {
    /// Caps on one reply from the server: 8192 octets per line, 100 lines, 64 KiB in all
    /// (security-anchors §4.1, the dart `mailer` fix GHSA-8jpq-5wmr-fpqm). A longer reply is a
    /// fatal [`Error::BadReply`](crate::Error::BadReply).
    pub reply: ReplyLimits,
    /// Waiting for the greeting or a reply to a command: 5 minutes (RFC 5321 §4.5.3.2.1–4).
    pub reply_timeout: Duration,
    /// Waiting for the reply after the end of a message body: 10 minutes (RFC 5321 §4.5.3.2.6).
    pub data_end_timeout: Duration,
    /// Waiting for the TLS handshake after the STARTTLS go-ahead: 5 minutes (a server that
    /// says `220` and then goes silent must not hang the client; CVE-2011-1947 pattern).
    pub tls_timeout: Duration,
    /// SASL challenges answered per AUTH before the client cancels with `*`: 8
    /// (security-anchors §4.2: cap the round trips).
    pub sasl_steps: u32,
    /// Octets of one decoded SASL challenge: 12288 (RFC 4954 §4 line limit).
    pub sasl_challenge: usize,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            reply: ReplyLimits::default(),
            reply_timeout: Duration::from_secs(300),
            data_end_timeout: Duration::from_secs(600),
            tls_timeout: Duration::from_secs(300),
            sasl_steps: 8,
            sasl_challenge: 12_288,
        }
    }
}

/// Client configuration. Start from [`ClientConfig::new`] (STARTTLS required) and change the
/// fields that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO (RFC 5321 §4.1.1.1: the client's fully qualified domain
    /// name, or an address literal).
    pub helo_name: Domain,
    /// How TLS is used. [`TlsMode::Required`] (the default) makes a missing or refused STARTTLS
    /// a fatal error before anything sensitive is sent; [`TlsMode::Opportunistic`] is for MX
    /// relays (RFC 3207 §4, RFC 7672 without DANE); [`TlsMode::Implicit`] means the driver
    /// completed TLS before creating the session (RFC 8314, port 465);
    /// [`TlsMode::DangerousPlaintextOnly`] never uses TLS.
    pub tls: TlsMode,
    /// Allow AUTH without TLS. Credentials then cross the network in clear text.
    pub dangerous_plaintext_auth: bool,
    /// Send the first SASL message with the AUTH command (RFC 4954 §4 initial response). When
    /// off the client waits for an empty `334` challenge first, as some servers require.
    pub initial_response: bool,
    /// Send bodies with BDAT when the server offers CHUNKING (RFC 3030): pipelined when it
    /// offers PIPELINING too, otherwise one chunk at a time, each after the reply to the one
    /// before. When off (or CHUNKING is not offered), DATA with dot-stuffing.
    pub chunking: bool,
    /// LMTP (RFC 2033): LHLO instead of EHLO (no HELO fallback) and one reply per accepted
    /// recipient after the body ([`ClientEvent::Delivery`](super::ClientEvent::Delivery)).
    pub lmtp: bool,
    /// Limits.
    pub limits: ClientLimits,
}

impl ClientConfig {
    /// A configuration that greets as `helo_name`, requires STARTTLS, sends initial responses
    /// and uses CHUNKING when offered.
    pub fn new(helo_name: Domain) -> Self {
        Self {
            helo_name,
            tls: TlsMode::Required,
            dangerous_plaintext_auth: false,
            initial_response: true,
            chunking: true,
            lmtp: false,
            limits: ClientLimits::default(),
        }
    }
}
