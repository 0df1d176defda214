//! Error types: [`ParseError`] (bytes from the peer that break the grammar),
//! [`InvalidValue`] (a value the application tried to build), [`Error`] (fatal, returned
//! sticky by a session's `poll_event`) and [`SendError`] (local misuse of a session, state
//! unchanged), the last two shared by the client and the server as in `smtp-proto` and
//! `pop3-proto`.

use std::fmt;

/// Bytes from the peer that do not follow the grammar.
///
/// Carries what went wrong, the byte offset into the decoded unit, the grammar rule and, when
/// the decoder attached it, the first line of the unit with secrets removed: the arguments of
/// `LOGIN` and `AUTHENTICATE` are replaced by `<redacted>`, SASL exchange lines are never shown,
/// literal contents never appear and control bytes are escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset} (rule {rule}){}", DisplayLine(.line.as_deref()))]
#[non_exhaustive]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the unit (line plus literals) where the problem was found.
    pub offset: usize,
    /// The ABNF rule (RFC 9051 name) being parsed.
    pub rule: &'static str,
    /// The offending line, redacted (see the type's documentation); `None` if not attached.
    pub line: Option<Box<str>>,
}

/// Formats the optional line after the error message.
struct DisplayLine<'a>(Option<&'a str>);

impl fmt::Display for DisplayLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " in line `{line}`"),
            None => Ok(()),
        }
    }
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes do not match the rule.
    #[error("syntax error")]
    Syntax,
    /// The unit ended in the middle of the rule.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// A line ended with a bare LF or held a bare CR.
    #[error("bare cr or lf")]
    BareNewline,
    /// A value is longer than its limit.
    #[error("{what} longer than {limit} octets")]
    TooLong {
        /// The value that was too long.
        what: &'static str,
        /// The limit in octets.
        limit: u64,
    },
    /// A number does not fit its type (never wrapped).
    #[error("number overflows {what}")]
    NumberOverflow {
        /// The value that overflowed.
        what: &'static str,
    },
    /// A negative number where the grammar has an unsigned one (RFC 9051 `number`).
    #[error("negative number")]
    NegativeNumber,
    /// Zero where the grammar needs a non-zero number (`nz-number`).
    #[error("zero where a non-zero number is required")]
    Zero,
    /// A byte that may not appear here (NUL in a literal, CR in a quoted string, ...).
    #[error("forbidden byte {0:#04x}")]
    ForbiddenByte(u8),
    /// Text that must be UTF-8 is not.
    #[error("invalid utf-8")]
    InvalidUtf8,
    /// Lists or body structures nest deeper than the limit.
    #[error("nesting deeper than {limit}")]
    TooDeep {
        /// The nesting limit.
        limit: u32,
    },
    /// The bytes match the syntax but the value is invalid (a day 31 in April, a
    /// non-canonical modified UTF-7 name, ...).
    #[error("{0}")]
    InvalidValue(InvalidValue),
}

impl ParseError {
    /// An error without a line.
    pub(crate) const fn new(kind: ParseErrorKind, offset: usize, rule: &'static str) -> Self {
        Self {
            kind,
            offset,
            rule,
            line: None,
        }
    }

    #[allow(dead_code, reason = "used by the command and response decoders")]
    /// Returns the same error with the offset moved by `by` (found in a sub-slice).
    #[must_use]
    pub(crate) const fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.saturating_add(by);
        self
    }

    #[allow(dead_code, reason = "used by the command and response decoders")]
    /// Attaches the first line of `unit`, with the arguments of LOGIN and AUTHENTICATE
    /// redacted.
    #[must_use]
    pub(crate) fn with_line(mut self, unit: &[u8]) -> Self {
        self.line = Some(redact_line(unit).into_boxed_str());
        self
    }

    #[allow(dead_code, reason = "used by the command and response decoders")]
    /// Attaches a placeholder: the line was a secret (a SASL response) and is not shown.
    #[must_use]
    pub(crate) fn with_secret_line(mut self) -> Self {
        self.line = Some("<redacted>".into());
        self
    }
}

/// How many octets of a line an error shows.
const SHOWN_LINE: usize = 160;

/// Commands whose arguments are credentials (RFC 9051 §6.2.2, §6.2.3).
const SECRET_COMMANDS: [&[u8]; 2] = [b"LOGIN", b"AUTHENTICATE"];

/// The first line of `unit`, at most [`SHOWN_LINE`] octets, control and 8-bit bytes escaped,
/// and everything after `tag LOGIN` / `tag AUTHENTICATE mechanism` replaced by `<redacted>`.
fn redact_line(unit: &[u8]) -> String {
    let end = memchr::memchr2(b'\r', b'\n', unit).unwrap_or(unit.len());
    let line = unit.get(..end).unwrap_or(unit);
    let mut words = line.splitn(3, |&b| b == b' ');
    let (tag, verb) = (words.next(), words.next());
    let mut shown = line;
    if let (Some(tag), Some(verb)) = (tag, verb) {
        let verb_is = |v: &[u8]| verb.eq_ignore_ascii_case(v);
        let verb_end = tag.len() + 1 + verb.len();
        if verb_is(SECRET_COMMANDS[0]) {
            shown = line.get(..verb_end).unwrap_or(line);
        } else if verb_is(SECRET_COMMANDS[1]) {
            // Keep the mechanism name, drop the initial response (SASL-IR).
            let mech_end = line
                .get(verb_end + 1..)
                .and_then(|rest| rest.iter().position(|&b| b == b' '))
                .map_or(line.len(), |p| verb_end + 1 + p);
            shown = line.get(..mech_end).unwrap_or(line);
        }
    }
    let redacted = shown.len() < line.len();
    let mut out = String::with_capacity(shown.len().min(SHOWN_LINE) + 16);
    for &b in shown.iter().take(SHOWN_LINE) {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if redacted {
        out.push_str(" <redacted>");
    } else if shown.len() > SHOWN_LINE {
        out.push_str("...");
    }
    out
}

/// A value rejected when building it (the local application's mistake, not the peer's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidValue {
    /// A byte the value may not hold (CR, LF, NUL, an atom-special in an atom...).
    #[error("{what} contains forbidden byte {byte:#04x}")]
    ForbiddenByte {
        /// The value.
        what: &'static str,
        /// The offending byte.
        byte: u8,
    },
    /// The value may not be empty.
    #[error("{what} is empty")]
    Empty {
        /// The value.
        what: &'static str,
    },
    /// The value is longer than its limit.
    #[error("{what} longer than {limit} octets")]
    TooLong {
        /// The value.
        what: &'static str,
        /// The limit in octets.
        limit: u64,
    },
    /// Zero where only non-zero numbers are valid (sequence numbers, UIDs).
    #[error("{what} is zero")]
    Zero {
        /// The value.
        what: &'static str,
    },
    /// A number or date field outside its range.
    #[error("{what} out of range")]
    OutOfRange {
        /// The value.
        what: &'static str,
    },
    /// The value does not follow its grammar.
    #[error("invalid {what}: {reason}")]
    Syntax {
        /// The value.
        what: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
}

impl From<ParseError> for InvalidValue {
    fn from(err: ParseError) -> Self {
        match err.kind {
            ParseErrorKind::InvalidValue(v) => v,
            ParseErrorKind::ForbiddenByte(byte) => Self::ForbiddenByte {
                what: err.rule,
                byte,
            },
            ParseErrorKind::TooLong { what, limit } => Self::TooLong { what, limit },
            ParseErrorKind::NumberOverflow { what } => Self::OutOfRange { what },
            ParseErrorKind::Zero => Self::Zero { what: err.rule },
            _ => Self::Syntax {
                what: err.rule,
                reason: "does not match the grammar",
            },
        }
    }
}

/// A fatal session error, returned (sticky) by `poll_event` of the client (and the server);
/// the connection must be closed. A goodbye (`* BYE`), if any, still comes out of
/// `poll_transmit`. Variants raised by one side only say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes arrived after the STARTTLS line (server) or its tagged `OK` (client) and before
    /// the TLS handshake (RFC 9051 §6.2.1, CVE-2011-0411 class); they were discarded unparsed.
    #[error("{bytes} plaintext bytes injected after starttls")]
    TlsInjection {
        /// How many bytes were discarded.
        bytes: usize,
    },
    /// Client: TLS is required ([`TlsMode::Required`](crate::TlsMode::Required)) and the
    /// server does not offer STARTTLS, refused it, or greeted with PREAUTH in plaintext (a
    /// downgrade: the session would be authenticated without TLS).
    #[error("tls required but the server {reason}")]
    TlsUnavailable {
        /// What the server did (`"does not offer starttls"`, `"refused starttls"`, ...).
        reason: &'static str,
    },
    /// Nothing arrived within the configured time: the client's wait for a greeting, a
    /// response or the TLS handshake (or the server's autologout timer).
    #[error("timed out after {seconds} seconds")]
    Timeout {
        /// The timeout in seconds.
        seconds: u64,
    },
    /// The peer closed the connection in the middle of a command, a response or the session.
    #[error("peer closed the connection while {state}")]
    UnexpectedEof {
        /// What the machine was doing or waiting for.
        state: &'static str,
    },
    /// Server: too many bad commands; `* BYE` was sent.
    #[error("more than {limit} bad commands")]
    TooManyBadCommands {
        /// The configured limit.
        limit: u32,
    },
    /// Server: a limit of the configuration was passed (`"authentication failures"`:
    /// [`ServerConfig::auth_failures`](crate::server::ServerConfig::auth_failures)); `* BYE`
    /// was sent. The same variant as POP3's.
    #[error("limit exceeded: {0}")]
    LimitExceeded(&'static str),
    /// Bytes arrived after COMPRESS and before the driver switched to the compressed stream
    /// (server: after the command line, RFC 4978 §3: the client waits for the tagged OK;
    /// client: after the tagged OK); they cannot be told apart from compressed data, so they
    /// were discarded.
    #[error("{bytes} bytes sent after compress before the switch")]
    CompressionInjection {
        /// How many bytes were discarded.
        bytes: usize,
    },
    /// Client: a response from the server does not parse (and
    /// `ClientConfig::skip_unparsable` is off).
    #[error("bad response: {0}")]
    BadResponse(ParseError),
    /// The input can no longer be framed. Client: the response stream can no longer be
    /// followed, or a unit was dropped by the framer (a line or literal over the limits).
    /// Server: the command stream cannot be cut into commands any more (a fatal framer
    /// error: a literal whose size does not fit in 64 bits, so its end cannot be found);
    /// `* BYE` was sent.
    #[error("bad response framing: {0}")]
    Framing(crate::frame::FrameError),
    /// Client: the server refused the connection with a `* BYE` greeting.
    #[error("server refused the connection: {text}")]
    Rejected {
        /// The greeting's text.
        text: String,
    },
    /// Client: the server sent something the protocol does not allow here (a tagged status
    /// with a tag no command carries, a continuation request nobody waits for, ...).
    #[error("unexpected response from server: {0}")]
    UnexpectedResponse(&'static str),
    /// Client: the server reported AUTHENTICATE success but the SASL exchange does not allow
    /// it (a SCRAM server that did not prove it knows the password): do not trust it.
    #[error("sasl: {0}")]
    Sasl(mail_sansio::sasl::SaslError),
}

/// Local misuse of a session: the call was refused and the state is unchanged. Variants
/// raised by one side only say which.
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
    /// Server: the token does not name a command waiting for an answer (already answered,
    /// or unknown).
    #[error("no pending command for token {0}")]
    UnknownToken(u64),
    /// Server: the UID is not in the selected mailbox as the client sees it (expunged, or
    /// never announced with EXISTS).
    #[error("uid {uid} is not in the client's view of the mailbox")]
    UnknownUid {
        /// The UID given.
        uid: u32,
    },
    /// Client: the greeting, capabilities or STARTTLS are still running; wait for
    /// `ClientEvent::Ready`.
    #[error("session is not ready for commands yet")]
    NotReady,
    /// Client: LOGIN or a plaintext SASL mechanism would send credentials without TLS; that
    /// needs [`TlsMode::DangerousPlaintext`](crate::TlsMode::DangerousPlaintext).
    #[error("refusing to send credentials without tls")]
    PlaintextCredentials,
    /// Client: the server advertises `LOGINDISABLED` (RFC 9051 §6.2.3): LOGIN would be
    /// refused, and sending the password anyway would expose it for nothing.
    #[error("the server advertises logindisabled")]
    LoginDisabled,
    /// Client: the command needs a capability the server did not advertise.
    #[error("the server does not offer {0}")]
    NotOffered(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_authenticate_are_redacted() {
        let e = ParseError::new(ParseErrorKind::Syntax, 9, "astring")
            .with_line(b"A1 LOGIN joe s3cret\r\n");
        assert_eq!(e.line.as_deref(), Some("A1 LOGIN <redacted>"));
        assert!(!e.to_string().contains("s3cret"));
        let e = ParseError::new(ParseErrorKind::Syntax, 9, "x")
            .with_line(b"A1 authenticate PLAIN AGpvZQBzM2NyZXQ=\r\n");
        assert_eq!(e.line.as_deref(), Some("A1 authenticate PLAIN <redacted>"));
        let e =
            ParseError::new(ParseErrorKind::Syntax, 0, "x").with_line(b"A1 SELECT \x01{3}\r\nabc");
        assert_eq!(e.line.as_deref(), Some("A1 SELECT \\x01{3}"));
        let e = ParseError::new(ParseErrorKind::Syntax, 0, "x").with_secret_line();
        assert_eq!(e.line.as_deref(), Some("<redacted>"));
    }
}
