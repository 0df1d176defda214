//! Client configuration: the TLS mode, the codec's limits and leniency, timeouts, and whether
//! the mailbox state is tracked.

use std::time::Duration;

use crate::config::{Leniency, Limits, TlsMode};

/// Client options. Start from [`ClientConfig::new`] (STARTTLS required) and change the fields
/// that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How TLS is used. [`TlsMode::Required`] (the default) makes a missing or refused
    /// STARTTLS, or a PREAUTH greeting in plaintext, a fatal error before anything is sent
    /// that the application asked for; [`TlsMode::Implicit`] means the driver completed TLS
    /// before creating the session (port 993, RFC 8314); [`TlsMode::DangerousPlaintext`]
    /// never uses TLS and lets credentials cross the network in clear text.
    pub tls: TlsMode,
    /// The codec's limits on what the server sends: line length (the client reads every
    /// line with [`Limits::line`], 64 KiB, since it trusts the server it chose more than a
    /// server trusts anonymous clients), literal sizes, the size above which FETCH literals
    /// stream as chunk events, nesting depths.
    pub limits: Limits,
    /// Which known server quirks to accept (all off: the RFC grammar only).
    pub leniency: Leniency,
    /// A response that does not parse (or that the framer dropped for a limit) is reported as
    /// [`ClientEvent::Unparsable`](super::ClientEvent::Unparsable) and skipped instead of
    /// failing the session. Exchange 2013 sends `[COPYUID ...]` as a bare line after
    /// `UID MOVE` (imap-anchors §6.2 item 15); with this on, the next response is read
    /// normally. Off by default: a skipped tagged status leaves its command waiting.
    pub skip_unparsable: bool,
    /// Keep the selected mailbox's state ([`Client::mailbox`](super::Client::mailbox)):
    /// the sequence number to UID map, flags, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, kept
    /// right across EXISTS, EXPUNGE and VANISHED. Costs a few octets per message; off by
    /// default.
    pub track_mailbox: bool,
    /// Waiting for the greeting or for a command's response: 5 minutes (as SMTP's RFC 5321
    /// §4.5.3.2; IMAP names none, and a server that is still working sends untagged data,
    /// which re-arms the timer).
    pub response_timeout: Duration,
    /// Waiting for the TLS handshake after the STARTTLS go-ahead: 5 minutes (a server that
    /// says OK and then goes silent must not hang the client; CVE-2011-1947 pattern).
    pub tls_timeout: Duration,
    /// How long one IDLE lasts before the client ends it with DONE itself: 29 minutes (RFC
    /// 2177 §3: servers may log out a client idle for 30). The command then completes and
    /// the application starts a new IDLE.
    pub idle_refresh: Duration,
    /// SASL challenges answered per AUTHENTICATE before the client cancels with `*`: 8
    /// (security-anchors §4.2: cap the round trips).
    pub sasl_steps: u32,
    /// Octets of one decoded SASL challenge: 12288 (as RFC 4954 §4 for SMTP).
    pub sasl_challenge: usize,
}

impl ClientConfig {
    /// Options for `tls`, with default limits, strict parsing, no mailbox tracking.
    pub fn new(tls: TlsMode) -> Self {
        Self {
            tls,
            limits: Limits::default(),
            leniency: Leniency::strict(),
            skip_unparsable: false,
            track_mailbox: false,
            response_timeout: Duration::from_secs(300),
            tls_timeout: Duration::from_secs(300),
            idle_refresh: Duration::from_secs(29 * 60),
            sasl_steps: 8,
            sasl_challenge: 12_288,
        }
    }

    /// These options with the mailbox-state tracker on or off.
    #[must_use]
    pub fn with_tracking(mut self, on: bool) -> Self {
        self.track_mailbox = on;
        self
    }

    /// These options with `leniency`.
    #[must_use]
    pub fn with_leniency(mut self, leniency: Leniency) -> Self {
        self.leniency = leniency;
        self
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new(TlsMode::Required)
    }
}
