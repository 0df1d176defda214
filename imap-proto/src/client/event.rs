//! What the client reports: [`ClientEvent`].

use bytes::Bytes;
use mail_sansio::sasl::SaslError;

use crate::error::{ParseError, ParseErrorKind};
use crate::response::{Capability, Code, Condition, Data, Status, Text};
use crate::types::Tag;

/// An event from the client's `poll_event`, in the order the server's bytes carried them.
///
/// Every command the application sends ends with exactly one
/// [`Completed`](Self::Completed) carrying its tag; the untagged data it caused comes before.
/// Commands the machine sends itself (CAPABILITY after the greeting, after TLS and after
/// login; STARTTLS) raise no `Completed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The greeting, the capabilities and (per the [`TlsMode`](crate::TlsMode)) STARTTLS and
    /// the capabilities again are done. Next: log in with
    /// [`Client::login`](super::Client::login) or
    /// [`Client::authenticate`](super::Client::authenticate), or, when `preauth` is true
    /// (the greeting was `* PREAUTH`, RFC 9051 §7.1.4), send commands of the authenticated
    /// state with [`Client::send_command`](super::Client::send_command).
    Ready {
        /// The server authenticated the connection already (only over TLS or with
        /// [`TlsMode::DangerousPlaintext`](crate::TlsMode::DangerousPlaintext)).
        preauth: bool,
    },
    /// The server's capabilities as now known, from `* CAPABILITY` or a `[CAPABILITY]` code.
    /// Raised after the greeting, after TLS (the plaintext list is forgotten, RFC 9051 §6.2.1)
    /// and after login (RFC 9051 §6.2.2: the list may change). Needs no call;
    /// [`Client::capabilities`](super::Client::capabilities) holds the same list.
    Capabilities(Vec<Capability>),
    /// Untagged data (`* LIST`, `* 3 EXISTS`, `* 5 FETCH (...)`, `* ENABLED`, ...), solicited
    /// or not, in wire order. The mailbox tracker, when on, was updated before this event.
    Data(Data),
    /// An untagged `* OK/NO/BAD` (an `[ALERT]` must be shown to the user, RFC 9051 §7.1).
    Status(Status),
    /// `* BYE`: the server is closing the connection (after LOGOUT, or on its own: shutdown,
    /// autologout). Commands still in flight will not complete; the session closes at the
    /// server's end of stream.
    Bye(Status),
    /// A literal larger than [`Limits::literal_stream_threshold`](crate::Limits) starts
    /// inside a response, normally a message body in `* n FETCH (BODY[] {len}`. Its octets
    /// follow as [`LiteralChunk`](Self::LiteralChunk)s, then
    /// [`LiteralEnd`](Self::LiteralEnd); the FETCH itself arrives afterwards as
    /// [`Data`](Self::Data) with a [`Payload::Streamed`](crate::response::Payload::Streamed)
    /// item at that place.
    LiteralStart {
        /// The message sequence number, when the literal is inside a `* n FETCH`.
        seq: Option<u32>,
        /// The response so far, up to the literal's announcement (to read the item name).
        prefix: Bytes,
        /// The announced length.
        len: u64,
    },
    /// Octets of the streaming literal, as they arrived.
    LiteralChunk(Bytes),
    /// The streaming literal is complete; the rest of its response follows.
    LiteralEnd,
    /// The server accepted IDLE (`+`): unsolicited data now arrives as
    /// [`Data`](Self::Data) until [`Client::idle_done`](super::Client::idle_done) (or the
    /// [`idle_refresh`](super::ClientConfig::idle_refresh) timer) ends it.
    Idling {
        /// The IDLE command's tag.
        tag: Tag,
    },
    /// The server sent `+` for a streamed APPEND literal
    /// ([`AppendData::Streamed`](crate::command::AppendData::Streamed)): send its `len`
    /// octets with [`Client::send_append_data`](super::Client::send_append_data); the machine
    /// sends the rest of the command after the last one.
    AppendData {
        /// The APPEND command's tag.
        tag: Tag,
        /// The octets to send.
        len: u64,
    },
    /// The local SASL machine refused a server challenge (a malformed or forged one, too many
    /// rounds) and the client cancelled the exchange with `*`; the command's
    /// [`Completed`](Self::Completed) (normally `BAD`) follows.
    AuthCancelled {
        /// The AUTHENTICATE command's tag.
        tag: Tag,
        /// Why the client cancelled.
        error: SaslError,
    },
    /// A command finished: its tagged `OK`, `NO` or `BAD`. After a successful LOGIN or
    /// AUTHENTICATE [`Client::is_authenticated`](super::Client::is_authenticated) is true;
    /// after SELECT or EXAMINE [`Client::selected`](super::Client::selected) names the
    /// mailbox.
    Completed {
        /// The command's tag, as returned when it was sent.
        tag: Tag,
        /// The command's name (`"SELECT"`, `"UID FETCH"`, ...).
        command: &'static str,
        /// OK, NO or BAD.
        condition: Condition,
        /// The response code (`[TOOBIG]`, `[APPENDUID ...]`, `[READ-WRITE]`, ...).
        code: Option<Code>,
        /// The human-readable text.
        text: Text,
    },
    /// A response that does not parse, or that the framer dropped, skipped because
    /// [`ClientConfig::skip_unparsable`](super::ClientConfig::skip_unparsable) is on.
    Unparsable(ParseError),
}

impl ClientEvent {
    /// Whether this is a [`Completed`](Self::Completed) with `OK`.
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Self::Completed {
                condition: Condition::Ok,
                ..
            }
        )
    }

    /// The tag of a [`Completed`](Self::Completed), [`Idling`](Self::Idling),
    /// [`AuthCancelled`](Self::AuthCancelled) or [`AppendData`](Self::AppendData).
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            Self::Completed { tag, .. }
            | Self::Idling { tag }
            | Self::AuthCancelled { tag, .. } => Some(tag),
            _ => None,
        }
    }
}

/// A parse error standing for a unit the framer dropped, for
/// [`ClientEvent::Unparsable`].
pub(super) fn frame_error_as_parse(error: &crate::frame::FrameError) -> ParseError {
    let kind = match error.kind() {
        crate::frame::FrameErrorKind::LineTooLong { limit } => ParseErrorKind::TooLong {
            what: "line",
            limit: limit as u64,
        },
        crate::frame::FrameErrorKind::UnitTooLarge { limit } => ParseErrorKind::TooLong {
            what: "response",
            limit: limit as u64,
        },
        crate::frame::FrameErrorKind::LiteralTooLarge { limit, .. } => ParseErrorKind::TooLong {
            what: "literal",
            limit,
        },
        crate::frame::FrameErrorKind::BareNewline => ParseErrorKind::BareNewline,
        _ => ParseErrorKind::Syntax,
    };
    ParseError {
        kind,
        offset: 0,
        rule: "response",
        line: None,
    }
}
