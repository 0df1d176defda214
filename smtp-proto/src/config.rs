//! Server configuration: limits with their RFC defaults, TLS mode, extensions, presets.

use std::time::Duration;

use mail_sansio::line::BareNewline;
use mail_sansio::sasl::Mechanism;

use crate::command::ParseOptions;
use crate::ehlo::{Capability, EhloReply};
use crate::types::{Domain, MechanismName, Text};

/// How TLS is used on the connection (DESIGN.md, the STARTTLS contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// TLS from the first byte (RFC 8314, port 465): the driver runs the handshake before
    /// creating the session; STARTTLS is not offered.
    Implicit,
    /// STARTTLS is offered and must be used first: before it only EHLO, HELO, NOOP, STARTTLS
    /// and QUIT are accepted (530 5.7.0, RFC 3207 §4); AUTH is neither offered nor accepted.
    Required,
    /// STARTTLS is offered; plaintext mail is accepted (an MX relay, RFC 3207 §4); AUTH still
    /// needs TLS unless [`ServerConfig::dangerous_plaintext_auth`] is set.
    Opportunistic,
    /// No TLS at all; only for tests and loopback.
    DangerousPlaintextOnly,
}

/// The server's limits; every default cites where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Command line octets incl. CRLF: 512 (RFC 5321 §4.5.3.1.4). Longer → 500 5.5.6.
    pub command_line: usize,
    /// AUTH command and SASL response lines: 12288 (RFC 4954 §4).
    pub auth_line: usize,
    /// Text line octets in a DATA body incl. CRLF: 1000 (RFC 5321 §4.5.3.1.6); `None` = no
    /// limit. Longer → 500 5.5.6 after the end of data.
    pub text_line: Option<usize>,
    /// Recipients per transaction: 1000 (RFC 5321 §4.5.3.1.8 asks for at least 100). More →
    /// 452 4.5.3.
    pub recipients: usize,
    /// Message size in octets, advertised with SIZE (RFC 1870): 25 MiB. Larger → 552 5.3.4
    /// after the end of data; a BDAT chunk that alone is larger → 552 5.3.4 and the session
    /// closes, since it could not be read and dropped within the limit.
    pub message_size: u64,
    /// Bad commands (syntax errors, bad sequence, unknown) before 421 and close: 10.
    pub bad_commands: u32,
    /// Unknown verbs before authentication before 421: 3.
    pub unknown_commands: u32,
    /// Waiting for a command: 5 minutes (RFC 5321 §4.5.3.2.7).
    pub command_timeout: Duration,
    /// Waiting for body bytes: 3 minutes per block (RFC 5321 §4.5.3.2.5).
    pub data_timeout: Duration,
    /// SASL exchanges (334 continuations) per AUTH: 8.
    pub sasl_steps: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            command_line: 512,
            auth_line: 12288,
            text_line: Some(1000),
            recipients: 1000,
            message_size: 25 * 1024 * 1024,
            bad_commands: 10,
            unknown_commands: 3,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(180),
            sasl_steps: 8,
        }
    }
}

/// Which service extensions the server offers in its EHLO reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extensions {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030 §3; offered only with CHUNKING). When off, `MAIL BODY=BINARYMIME`
    /// gets 555 5.5.4; when on, DATA after it gets 503 5.5.1 and BDAT delivers the octets
    /// untouched.
    pub binary_mime: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034); when on, the server's replies carry enhanced codes.
    pub enhanced_status_codes: bool,
    /// REQUIRETLS (RFC 8689), only offered under TLS.
    pub requiretls: bool,
    /// SIZE (RFC 1870) with [`ServerLimits::message_size`].
    pub size: bool,
    /// LIMITS RCPTMAX (RFC 9422).
    pub limits: bool,
    /// SASL mechanisms offered once TLS is up (or always, with
    /// [`ServerConfig::dangerous_plaintext_auth`]); PLAIN and LOGIN by default. Add CRAM-MD5 or
    /// SCRAM-SHA-256 only if the application answers
    /// [`ServerEvent::SaslConfig`](crate::ServerEvent::SaslConfig) and, for SCRAM,
    /// [`ServerEvent::ScramCredentials`](crate::ServerEvent::ScramCredentials).
    pub auth: Vec<MechanismName>,
    /// Answer VRFY with an event; when off, 252 2.5.0 (RFC 5321 §3.5.3).
    pub vrfy: bool,
    /// Answer EXPN with an event; when off, 502 5.5.1.
    pub expn: bool,
    /// Answer HELP with 214; when off, 502 5.5.1.
    pub help: bool,
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binary_mime: true,
            dsn: true,
            enhanced_status_codes: true,
            requiretls: true,
            size: true,
            limits: false,
            auth: vec![Mechanism::Plain.into(), Mechanism::Login.into()],
            vrfy: false,
            expn: false,
            help: false,
        }
    }
}

/// Server configuration. Start from [`ServerConfig::strict`] or [`ServerConfig::compatible`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's host name, first word of the greeting and the EHLO reply.
    pub domain: Domain,
    /// Text after the domain in the greeting.
    pub greeting: Text,
    /// TLS mode.
    pub tls: TlsMode,
    /// Limits.
    pub limits: ServerLimits,
    /// Extensions offered.
    pub extensions: Extensions,
    /// LMTP (RFC 2033): LHLO instead of EHLO, one reply per recipient after the body.
    pub lmtp: bool,
    /// Wait this long before the greeting; a client that talks first gets 554 and is closed
    /// (early-talker detection, as Postfix postscreen's greet pause).
    pub greeting_delay: Option<Duration>,
    /// Bare CR or LF in command lines and bodies (RFC 5321 §2.3.8; SMTP smuggling).
    pub bare_newline: BareNewline,
    /// Command-line leniencies.
    pub parse: ParseOptions,
    /// Accept AUTH without TLS. Credentials then cross the network in clear text. Ignored
    /// with [`TlsMode::Required`], which refuses AUTH before STARTTLS (538 5.7.11).
    pub dangerous_plaintext_auth: bool,
    /// Answer pipelined commands when PIPELINING was not negotiated (HELO or not offered)
    /// instead of failing with 554 5.5.0 on a body that arrives before 354.
    pub allow_unnegotiated_pipelining: bool,
}

impl ServerConfig {
    /// The strict preset (Postfix-like): bare CR/LF rejected, RFC line limits, exact command
    /// syntax, AUTH only under TLS.
    pub fn strict(domain: Domain) -> Self {
        Self {
            domain,
            greeting: Text::from_trusted("ESMTP"),
            tls: TlsMode::Opportunistic,
            limits: ServerLimits::default(),
            extensions: Extensions::default(),
            lmtp: false,
            greeting_delay: None,
            bare_newline: BareNewline::Reject,
            parse: ParseOptions::default(),
            dangerous_plaintext_auth: false,
            allow_unnegotiated_pipelining: false,
        }
    }

    /// The compatible preset: a bare LF or CR in a body is normalised to CRLF (Postfix 3.9's
    /// `smtpd_forbid_bare_newline = normalize`; only CRLF.CRLF still ends DATA), no text-line limit,
    /// `MAIL FROM: <a@b>` and trailing spaces accepted. Each switch relaxes one RFC 5321
    /// clause (§2.3.8, §4.5.3.1.6, §4.1.2).
    pub fn compatible(domain: Domain) -> Self {
        let mut c = Self::strict(domain);
        c.bare_newline = BareNewline::Normalise;
        c.limits.text_line = None;
        c.parse = ParseOptions::lenient();
        c.allow_unnegotiated_pipelining = true;
        c
    }
}

impl ServerConfig {
    /// Whether AUTH may run: under TLS, or without it only when TLS is not required and
    /// [`ServerConfig::dangerous_plaintext_auth`] is set. [`TlsMode::Required`] means no AUTH
    /// before the switch, whatever else is set (ARCHITECTURE.md, STARTTLS).
    pub(crate) fn auth_allowed(&self, tls_active: bool) -> bool {
        tls_active || (self.dangerous_plaintext_auth && self.tls != TlsMode::Required)
    }

    /// The SASL mechanisms offered: only under TLS unless plaintext AUTH is allowed
    /// (RFC 4954 §4, RFC 3207 §4), and only those of [`Extensions::auth`] the shared SASL
    /// machines know (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, EXTERNAL, CRAM-MD5,
    /// SCRAM-SHA-256[-PLUS]). CRAM-MD5 and SCRAM take their per-exchange challenge or nonce from
    /// the application ([`ServerEvent::SaslConfig`](crate::ServerEvent::SaslConfig)); `-PLUS`
    /// also needs the TLS channel binding in those settings.
    pub fn offered_mechanisms(&self, tls_active: bool) -> Vec<MechanismName> {
        if !self.auth_allowed(tls_active) {
            return Vec::new();
        }
        self.extensions
            .auth
            .iter()
            .filter(|m| m.known().is_some())
            .cloned()
            .collect()
    }

    /// The EHLO/LHLO reply this configuration gives (RFC 5321 §4.1.1.1): the domain, then the
    /// extensions. STARTTLS only before TLS (RFC 3207 §4.2), AUTH only when
    /// [`offered_mechanisms`](Self::offered_mechanisms) allows and before authentication
    /// (RFC 4954 §4), REQUIRETLS only under TLS (RFC 8689 §2).
    pub fn ehlo_reply(&self, tls_active: bool, authenticated: bool) -> EhloReply {
        let mut r = EhloReply::for_domain(&self.domain);
        let x = &self.extensions;
        let starttls =
            !tls_active && matches!(self.tls, TlsMode::Required | TlsMode::Opportunistic);
        let caps: [(bool, Capability); 9] = [
            (x.pipelining, Capability::Pipelining),
            (x.size, Capability::Size(Some(self.limits.message_size))),
            (x.eight_bit_mime, Capability::EightBitMime),
            (x.smtputf8, Capability::SmtpUtf8),
            (x.chunking, Capability::Chunking),
            (x.chunking && x.binary_mime, Capability::BinaryMime),
            (x.dsn, Capability::Dsn),
            (x.enhanced_status_codes, Capability::EnhancedStatusCodes),
            (starttls, Capability::StartTls),
        ];
        for (on, cap) in caps {
            if on {
                r.push(cap);
            }
        }
        let mechs = self.offered_mechanisms(tls_active);
        if !mechs.is_empty() && !authenticated {
            r.push(Capability::Auth(mechs));
        }
        if x.requiretls && tls_active {
            r.push(Capability::RequireTls);
        }
        if x.limits {
            r.push(Capability::Limits {
                rcpt_max: Some(self.limits.recipients as u64),
                mail_max: None,
                rcpt_domain_max: None,
            });
        }
        r
    }
}
