//! Error types: [`ParseError`] (peer bytes), [`InvalidValue`] (construction), [`Error`] (fatal,
//! session) and [`SendError`] (local misuse of a session), each shared by the server and the
//! client.

use mail_sansio::sasl::SaslError;

use crate::reply::{EnhancedStatusCode, ReplyCode};

/// Bytes from the peer that do not follow the grammar.
///
/// Carries what went wrong, the byte offset into the decoded input and the grammar rule, never
/// the raw bytes (they may hold credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset} (rule {rule})")]
#[non_exhaustive]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the input where the problem was found.
    pub offset: usize,
    /// The ABNF rule (RFC name) being parsed.
    pub rule: &'static str,
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes do not match the rule.
    #[error("syntax error")]
    Syntax,
    /// A line ended with a bare LF or held a bare CR.
    #[error("bare cr or lf")]
    BareNewline,
    /// A value is longer than its limit.
    #[error("{what} longer than {limit} octets")]
    TooLong {
        /// The value that was too long.
        what: &'static str,
        /// The limit in octets.
        limit: usize,
    },
    /// A number does not fit its type (never wrapped).
    #[error("number overflows {what}")]
    NumberOverflow {
        /// The value that overflowed.
        what: &'static str,
    },
    /// A parameter was given twice.
    #[error("duplicate parameter {0}")]
    DuplicateParameter(&'static str),
    /// A parameter value is not one of the allowed values.
    #[error("invalid value for parameter {0}")]
    InvalidParameter(&'static str),
    /// Text that must be UTF-8 is not.
    #[error("invalid utf-8")]
    InvalidUtf8,
    /// A control byte (CR, LF, NUL, ...) appeared where it may not.
    #[error("forbidden byte {0:#04x}")]
    ForbiddenByte(u8),
    /// The command takes no argument but got one.
    #[error("unexpected argument")]
    UnexpectedArgument,
    /// The command needs an argument.
    #[error("missing argument")]
    MissingArgument,
    /// A reply line does not start with a valid three-digit code.
    #[error("invalid reply code")]
    InvalidReplyCode,
    /// A continuation line carries another code than the first line.
    #[error("continuation line code {found} differs from {expected}")]
    CodeMismatch {
        /// The code of the first line.
        expected: u16,
        /// The code of the offending line.
        found: u16,
    },
    /// A reply has more lines than its limit.
    #[error("reply longer than {limit} lines")]
    TooManyLines {
        /// The limit in lines.
        limit: usize,
    },
}

impl ParseError {
    pub(crate) const fn new(kind: ParseErrorKind, offset: usize, rule: &'static str) -> Self {
        Self { kind, offset, rule }
    }

    /// Returns the same error with the offset moved by `by` (the error was found in a sub-slice).
    pub(crate) const fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.saturating_add(by);
        self
    }

    /// Returns the same error charged to the enclosing `rule` (the error was found in a part
    /// whose own rule would give the wrong reply, such as the domain of EHLO).
    pub(crate) const fn in_rule(mut self, rule: &'static str) -> Self {
        self.rule = rule;
        self
    }

    /// Whether the error is inside a path or mailbox (RFC 3463 X.1.3 / X.1.7).
    fn is_address_rule(&self) -> bool {
        matches!(
            self.rule,
            "Path"
                | "Mailbox"
                | "Domain"
                | "Dot-string"
                | "Quoted-string"
                | "Local-part"
                | "address-literal"
                | "IPv4-address-literal"
                | "IPv6-address-literal"
                | "General-address-literal"
                | "Standardized-tag"
                | "A-d-l"
        )
    }

    /// The reply a server should send for a command that failed with this error, so that
    /// applications need not invent codes (RFC 5321 §4.2.2, RFC 3463, RFC 6531 §3.7.4).
    pub fn recommended_reply(&self) -> (ReplyCode, EnhancedStatusCode) {
        use ParseErrorKind as K;
        let esc = |s, d| EnhancedStatusCode::new_unchecked(5, s, d);
        match &self.kind {
            K::TooLong { what, .. } if *what == "line" => {
                (ReplyCode::new_unchecked(500), esc(5, 6))
            }
            _ if matches!(self.rule, "helo" | "ehlo" | "lhlo") => {
                (ReplyCode::new_unchecked(501), esc(5, 4))
            }
            K::TooLong { what, .. }
                if what.contains("path") || what.contains("part") || what.contains("domain") =>
            {
                (ReplyCode::new_unchecked(501), esc(1, 3))
            }
            K::NumberOverflow { what } if *what == "SIZE" => {
                (ReplyCode::new_unchecked(552), esc(3, 4))
            }
            K::InvalidUtf8 if self.is_address_rule() => (ReplyCode::new_unchecked(501), esc(6, 7)),
            _ if self.is_address_rule() => (ReplyCode::new_unchecked(501), esc(1, 3)),
            K::DuplicateParameter(_) | K::InvalidParameter(_) | K::NumberOverflow { .. } => {
                (ReplyCode::new_unchecked(501), esc(5, 4))
            }
            _ => (ReplyCode::new_unchecked(501), esc(5, 4)),
        }
    }
}

/// A value rejected when building it (the local application's mistake, not the peer's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidValue {
    /// A CR, LF, NUL or other control byte inside a value that goes on the wire.
    #[error("{what} contains forbidden byte {byte:#04x}")]
    ForbiddenByte {
        /// The value.
        what: &'static str,
        /// The offending byte.
        byte: u8,
    },
    /// The value is longer than its limit.
    #[error("{what} longer than {limit} octets")]
    TooLong {
        /// The value.
        what: &'static str,
        /// The limit in octets.
        limit: usize,
    },
    /// The value does not follow its grammar.
    #[error("invalid {what}: {reason}")]
    Syntax {
        /// The value.
        what: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A number outside its range.
    #[error("{what} out of range")]
    OutOfRange {
        /// The value.
        what: &'static str,
    },
}

impl From<ParseError> for InvalidValue {
    fn from(err: ParseError) -> Self {
        match err.kind {
            ParseErrorKind::ForbiddenByte(byte) => Self::ForbiddenByte {
                what: err.rule,
                byte,
            },
            ParseErrorKind::TooLong { what, limit } => Self::TooLong { what, limit },
            ParseErrorKind::NumberOverflow { what } => Self::OutOfRange { what },
            _ => Self::Syntax {
                what: err.rule,
                reason: "does not match the grammar",
            },
        }
    }
}

/// A fatal session error, returned (sticky) by the `poll_event` of [`Server`](crate::Server)
/// and of [`Client`](crate::Client); the connection must be closed. A goodbye reply, if any,
/// still comes out of `poll_transmit`. Variants raised by one side only say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes arrived after the STARTTLS line (server) or its `220` (client) and before the TLS
    /// handshake (CVE-2011-0411 class); they were discarded unparsed.
    #[error("{bytes} plaintext bytes injected after starttls")]
    TlsInjection {
        /// How many bytes were discarded.
        bytes: usize,
    },
    /// Server: the peer spoke before the greeting (early talker); 554 was sent.
    #[error("peer sent {bytes} bytes before the greeting")]
    EarlyTalker {
        /// How many bytes arrived early.
        bytes: usize,
    },
    /// Server: the peer sent a body or further commands before the 354 reply to DATA
    /// (RFC 2920 §3.1).
    #[error("protocol synchronization error: {bytes} bytes before the 354 reply")]
    Synchronization {
        /// How many bytes arrived early.
        bytes: usize,
    },
    /// Server: too many bad or unknown commands; 421 was sent.
    #[error("more than {limit} bad commands")]
    TooManyBadCommands {
        /// The configured limit.
        limit: u32,
    },
    /// No command (server), or no reply or TLS handshake (client), within the configured
    /// timeout; the server sent 421.
    #[error("timed out after {seconds} seconds")]
    Timeout {
        /// The timeout in seconds.
        seconds: u64,
    },
    /// Server: a BDAT chunk larger than the whole message size limit (RFC 3030 §2, RFC 1870
    /// §6): it could not be read and dropped within the limits, so 552 was sent and the
    /// session closed.
    #[error("bdat chunk of {size} octets exceeds the message size limit of {limit}")]
    ChunkTooLarge {
        /// The announced chunk size.
        size: u64,
        /// [`ServerLimits::message_size`](crate::ServerLimits::message_size).
        limit: u64,
    },
    /// Client: TLS is required ([`TlsMode::Required`](crate::TlsMode::Required)) and the
    /// server does not offer STARTTLS (nor EHLO), or refused it.
    #[error("tls required but the server {}", tls_unavailable(*.code))]
    TlsUnavailable {
        /// The server's reply code to STARTTLS when it refused it; `None` when STARTTLS was
        /// not offered.
        code: Option<u16>,
    },
    /// The peer closed the connection in the middle of a message, command or session.
    #[error("peer closed the connection in {state}")]
    UnexpectedEof {
        /// Where the session was.
        state: &'static str,
    },
    /// Client: a reply from the server could not be parsed or broke a limit.
    #[error("bad reply: {0}")]
    BadReply(ParseError),
    /// Client: the server refused the session (greeting 554, EHLO and HELO refused).
    #[error("server refused the session with {code} in {state}: {text}")]
    Rejected {
        /// The reply code.
        code: u16,
        /// Where the session was.
        state: &'static str,
        /// The reply text.
        text: String,
    },
    /// Client: the server is closing the connection (421, RFC 5321 §3.8).
    #[error("server closing the connection with {code}: {text}")]
    ServiceClosing {
        /// The reply code.
        code: u16,
        /// The reply text.
        text: String,
    },
    /// Client: the server sent a reply no command asked for, or one the protocol does not
    /// allow here.
    #[error("unexpected reply {code} in {state}")]
    UnexpectedReply {
        /// The reply code.
        code: u16,
        /// Where the session was.
        state: &'static str,
    },
    /// Client: the server reported AUTH success but the SASL exchange does not allow it (a
    /// SCRAM server that did not prove it knows the password): do not trust this server.
    #[error("sasl: {0}")]
    Sasl(SaslError),
}

/// The end of [`Error::TlsUnavailable`]'s message.
fn tls_unavailable(code: Option<u16>) -> String {
    match code {
        Some(code) => format!("answered starttls with {code}"),
        None => "does not offer starttls".to_owned(),
    }
}

/// Local misuse of a [`Server`](crate::Server) or [`Client`](crate::Client): the call was
/// refused and the state is unchanged. Variants raised by one side only say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The call does not fit the session's state (named in the message).
    #[error("not allowed now: {0}")]
    WrongState(&'static str),
    /// The session is closed or failed.
    #[error("session closed")]
    Closed,
    /// A value given was invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// Server: the token does not name a pending decision (already answered, or unknown).
    #[error("no pending decision for token {0}")]
    UnknownToken(u64),
    /// Server: the reply code is not allowed for this decision.
    #[error("reply code {code} not allowed here: {reason}")]
    BadReply {
        /// The code given.
        code: u16,
        /// What was expected.
        reason: &'static str,
    },
    /// Client: AUTH would send credentials without TLS; that needs
    /// [`ClientConfig::dangerous_plaintext_auth`](crate::ClientConfig::dangerous_plaintext_auth).
    #[error("refusing to send credentials without tls")]
    PlaintextCredentials,
    /// Client: the message or call needs a service extension the server did not offer.
    #[error("the server does not offer {0}")]
    NotOffered(&'static str),
    /// Client: the message is larger than the server's SIZE limit (RFC 1870).
    #[error("message of {size} octets exceeds the server's limit of {limit}")]
    TooLarge {
        /// The declared or sent size.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// Client: the body holds octets above 127 but the envelope did not declare 8-bit content
    /// ([`Envelope::with_eight_bit`](crate::Envelope::with_eight_bit)).
    #[error("8-bit body octet in a message declared 7bit")]
    EightBitBody,
    /// Client: the body holds a NUL or a line longer than 998 octets but the envelope did not
    /// declare binary content ([`Envelope::with_binary`](crate::Envelope::with_binary)): it
    /// would be damaged or refused as text.
    #[error("nul or line over 998 octets in a message not declared binary")]
    BinaryBody,
    /// Client: the envelope has no recipient.
    #[error("envelope without recipients")]
    NoRecipients,
}
