//! Error types: fatal session errors, local misuse, parse failures and invalid values.

/// A value could not be built because the grammar forbids it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidValue {
    /// An empty value where at least one octet is required.
    #[error("{what} is empty")]
    Empty {
        /// Which value.
        what: &'static str,
    },
    /// The value is longer than its limit.
    #[error("{what} is longer than {limit} octets")]
    TooLong {
        /// Which value.
        what: &'static str,
        /// The limit in octets.
        limit: usize,
    },
    /// The value holds an octet its grammar forbids (for example CR, LF, NUL or space).
    #[error("{what} contains the forbidden octet 0x{octet:02x}")]
    ForbiddenOctet {
        /// Which value.
        what: &'static str,
        /// The first forbidden octet.
        octet: u8,
    },
    /// The value does not have the required shape.
    #[error("{what} is malformed")]
    Malformed {
        /// Which value.
        what: &'static str,
    },
    /// Message numbers start at 1 (RFC 1939 §3).
    #[error("message number 0 does not exist")]
    MessageNumberZero,
}

/// A command, response or listing line could not be decoded.
///
/// Names the grammar rule and the byte offset; never echoes the input, which may hold a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line is longer than the limit (RFC 2449 §4: 255 octets for a command, 512 for a
    /// response line), CRLF included.
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in octets, CRLF included.
        limit: usize,
    },
    /// A CR not followed by LF, or a LF not preceded by CR.
    #[error("bare CR or LF at offset {offset}")]
    BareNewline {
        /// Offset of the offending octet.
        offset: usize,
    },
    /// The input does not match the rule.
    #[error("syntax error in {rule} at offset {offset}")]
    Syntax {
        /// The ABNF rule being parsed.
        rule: &'static str,
        /// Offset of the first octet that does not fit.
        offset: usize,
    },
    /// A number does not fit its type (sizes and counts are u64, message numbers u32).
    #[error("number out of range in {rule} at offset {offset}")]
    NumberOutOfRange {
        /// The ABNF rule being parsed.
        rule: &'static str,
        /// Offset of the number.
        offset: usize,
    },
    /// The command keyword is not one this crate knows.
    #[error("unknown command")]
    UnknownCommand,
    /// A value in the line breaks its rule.
    #[error("invalid value in {rule}: {source}")]
    InvalidValue {
        /// The ABNF rule being parsed.
        rule: &'static str,
        /// What is wrong with the value.
        source: InvalidValue,
    },
}

/// A fatal session error, returned by the `poll_event` of [`Server`](crate::Server) and of
/// [`Client`](crate::Client), and then on every later call.
///
/// Any goodbye line the machine owes the peer still comes out of `poll_transmit`. Variants
/// raised by one side only say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent something that does not parse.
    #[error("malformed input from peer: {0}")]
    Parse(#[from] ParseError),
    /// Client: the peer closed the connection in the middle of an exchange (for example before
    /// the `.` that ends a multi-line response): what arrived so far is not complete.
    #[error("peer closed the connection while {state}")]
    UnexpectedEof {
        /// What the machine was doing or waiting for.
        state: &'static str,
    },
    /// Bytes arrived after the STLS line or its `+OK` and before the TLS handshake (RFC 2595
    /// §4); they were discarded and the session failed (STARTTLS injection).
    #[error("{bytes} plaintext bytes injected after stls")]
    TlsInjection {
        /// How many bytes were received and discarded.
        bytes: usize,
    },
    /// Client: TLS is required ([`TlsMode::Required`](crate::TlsMode::Required)) but the
    /// server does not offer STLS or refused it.
    #[error("tls required but the server {reason}")]
    TlsUnavailable {
        /// What the server did (`"does not offer STLS"`, `"refused STLS"`).
        reason: &'static str,
    },
    /// Client: the server greeting was `-ERR` or not a POP3 greeting.
    #[error("server refused the connection: {0}")]
    GreetingRejected(String),
    /// Client: the server answered something that does not fit the command it answers.
    #[error("unexpected response from server: {0}")]
    UnexpectedResponse(&'static str),
    /// Client: a SASL exchange failed locally (bad challenge, too many steps).
    #[error("sasl exchange failed: {0}")]
    Sasl(String),
    /// A limit from [`Limits`](crate::Limits) was exceeded.
    #[error("limit exceeded: {0}")]
    LimitExceeded(&'static str),
    /// Server: the client sent too many bad commands; the session was closed.
    #[error("more than {limit} bad commands")]
    TooManyBadCommands {
        /// The limit that was passed ([`Limits::bad_commands`](crate::Limits::bad_commands),
        /// or [`Limits::bad_commands_before_login`](crate::Limits::bad_commands_before_login)
        /// before login).
        limit: u32,
    },
    /// Nothing arrived for [`Limits::idle_timeout`](crate::Limits::idle_timeout): the server's
    /// autologout timer (RFC 1939 §3; the session was closed), or the client's wait for a
    /// response.
    #[error("timed out after {seconds} seconds")]
    Timeout {
        /// The timeout in seconds.
        seconds: u64,
    },
    /// Server: the peer closed the connection without QUIT: nothing was committed.
    #[error("connection closed by peer without quit")]
    ClosedWithoutQuit,
}

/// The application called a `send_*` method of [`Server`](crate::Server) or
/// [`Client`](crate::Client) at the wrong time or with a wrong value. The session state is
/// unchanged. Variants raised by one side only say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The command or call is not allowed in the current state (RFC 1939 §3); the message
    /// names it.
    #[error("not allowed now: {0}")]
    WrongState(&'static str),
    /// Server: no event is waiting for this answer.
    #[error("no pending {0} to answer")]
    NothingPending(&'static str),
    /// The session is closed or failed.
    #[error("session closed")]
    Closed,
    /// Client: the session is not ready for commands yet (greeting, CAPA or STLS still running).
    #[error("session is not ready for commands yet")]
    NotReady,
    /// Client: USER/PASS, AUTH or APOP would send credentials without TLS.
    #[error("refusing to send credentials without tls")]
    PlaintextCredentials,
    /// Client: APOP needs a valid timestamp in the greeting.
    #[error("the greeting carries no valid apop timestamp")]
    NoApopTimestamp,
    /// A value is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The message number is out of range or the message is deleted.
    #[error("no such message {0}")]
    NoSuchMessage(u32),
    /// A size or count overflowed u64.
    #[error("size overflow")]
    Overflow,
}
