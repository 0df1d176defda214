//! Configuration: TLS mode, limits and per-side options.

use std::time::Duration;

use mail_sansio::line::BareNewline;

use crate::types::Text;

/// Longest command line, CRLF included (RFC 2449 §4: 255 octets).
pub const MAX_COMMAND_LINE: usize = 255;

/// Longest response line, CRLF included (RFC 2449 §4: 512 octets for the first line).
pub const MAX_RESPONSE_LINE: usize = 512;

/// How TLS is used (RFC 8314, RFC 2595).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// TLS from the first byte (port 995, RFC 8314 §3.3): the session starts secured and STLS
    /// is neither offered nor used.
    Implicit,
    /// STLS (RFC 2595 §4) before any credentials. A client fails if the server does not offer
    /// it or refuses it; a server offers it, advertises no USER or SASL, and refuses every
    /// command but CAPA, STLS, QUIT and NOOP until it is done (as the SMTP server does).
    #[default]
    Required,
    /// No TLS at all: credentials travel in the clear. Only for tests and loopback.
    DangerousPlaintext,
}

/// Limits on what a peer can make the machine hold or do. Every field has an RFC-derived
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line, CRLF included (RFC 2449 §4: 255).
    pub command_line: usize,
    /// Longest client line inside an AUTH exchange, CRLF included (RFC 5034 §4 puts no bound
    /// on continuation lines; 12288 as RFC 4954 does for SMTP).
    pub auth_line: usize,
    /// Longest status line or multi-line listing line, CRLF included (RFC 2449 §4: 512).
    pub response_line: usize,
    /// Most capability lines kept from one CAPA answer.
    pub capabilities: usize,
    /// Bad commands (unknown, malformed, wrong state) tolerated after login before the
    /// server closes the connection (Dovecot counts 20, Exim 3; this crate 10).
    pub bad_commands: u32,
    /// Bad commands tolerated before login (security checklist: 3).
    pub bad_commands_before_login: u32,
    /// Failed logins (USER/PASS, APOP, AUTH) tolerated before the server closes.
    pub auth_failures: u32,
    /// Most SASL challenge/response round trips in one AUTH.
    pub sasl_steps: u32,
    /// Inactivity autologout timer (RFC 1939 §3: at least 10 minutes). For a client, how long
    /// to wait for an answer before failing.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command_line: MAX_COMMAND_LINE,
            auth_line: 12288,
            response_line: MAX_RESPONSE_LINE,
            capabilities: 256,
            bad_commands: 10,
            bad_commands_before_login: 3,
            auth_failures: 3,
            sasl_steps: 10,
            idle_timeout: Duration::from_secs(600),
        }
    }
}

/// Client options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How TLS is used.
    pub tls: TlsMode,
    /// Limits.
    pub limits: Limits,
    /// What to do with a bare CR or LF inside a RETR or TOP body. Default `Keep`: the octets
    /// are delivered as received (only `CRLF.CRLF` ends the body either way).
    pub body_bare_newline: BareNewline,
    /// Send CAPA again right after login (RFC 2449 §5: capabilities may change; for example
    /// `LOGIN-DELAY` or `EXPIRE` per user). The answer arrives as
    /// [`ClientEvent::Capabilities`](crate::ClientEvent::Capabilities) after `LoggedIn`.
    pub capa_after_login: bool,
}

impl ClientConfig {
    /// Options for `tls`, with default limits.
    pub fn new(tls: TlsMode) -> Self {
        Self {
            tls,
            limits: Limits::default(),
            body_bare_newline: BareNewline::Keep,
            capa_after_login: false,
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new(TlsMode::Required)
    }
}

/// Server options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How TLS is used. `Required` offers STLS and accepts only CAPA, STLS, QUIT and NOOP
    /// until it is done.
    pub tls: TlsMode,
    /// Limits.
    pub limits: Limits,
    /// Greeting text after `+OK` (the APOP timestamp, if any, is appended).
    pub greeting: Text,
    /// SASL mechanisms offered (`SASL` capability, `AUTH`). When TLS is required all of them,
    /// challenge-response ones included, are hidden and refused before STLS.
    pub sasl: Vec<crate::types::MechanismName>,
    /// Whether USER/PASS is offered.
    pub user_pass: bool,
    /// `IMPLEMENTATION` capability text, if any.
    pub implementation: Option<Text>,
    /// `LOGIN-DELAY` capability in seconds, if any (RFC 2449 §6.5).
    pub login_delay: Option<u64>,
    /// `EXPIRE` capability, if any (RFC 2449 §6.7).
    pub expire: Option<crate::capability::Expire>,
    /// Whether to offer and accept `UTF8` (RFC 6856).
    pub utf8: bool,
}

impl ServerConfig {
    /// Options for `tls`, with USER/PASS and PLAIN offered and default limits.
    pub fn new(tls: TlsMode) -> Self {
        Self {
            tls,
            limits: Limits::default(),
            greeting: Text::from_wire(b"POP3 server ready"),
            sasl: vec![mail_sansio::sasl::Mechanism::Plain.into()],
            user_pass: true,
            implementation: None,
            login_delay: None,
            expire: None,
            utf8: false,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new(TlsMode::Required)
    }
}
