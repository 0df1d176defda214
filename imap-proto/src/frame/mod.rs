//! The framer: input chunks in, IMAP *units* out.
//!
//! A unit is one line plus every literal it announces, contiguous, exactly as it came off the
//! wire (line endings included): `A1 LOGIN {5}\r\nalice {6}\r\nsecret\r\n` is one unit. The
//! grammar then parses a unit in one pass, literals inline, and never sees half a command.
//!
//! # What the framer decides, and why
//!
//! - **Announcements.** A line announces a literal when its last bytes before the line ending
//!   are `{n}`, `{n+}`, `~{n}` or `~{n+}`. Nothing else is an announcement: `{5}` in the middle
//!   of a line is not, and neither is `"{5}"` (the line ends in `"`). The framer does *not*
//!   track quoted strings. A quoted string cannot hold CR or LF, so a line whose end is inside
//!   an open quote is already malformed; and servers do send stray quotes (go-imap #659,
//!   unescaped quotes in BODYSTRUCTURE), where quote tracking would miss the `BODY[] {n}` at the
//!   end of the same line and read the message body as responses. Looking at the line end only
//!   keeps the framing right in that case and costs nothing per byte.
//! - **Status lines never announce.** On the client side a status response (`* OK`, `A1 NO`,
//!   `* BYE`, ... ) or a continuation request (`+ ...`) ends in free text, which may end in
//!   `{5}` (a server echoing a mailbox name): those lines end their unit, so such text cannot
//!   make the client swallow the next response.
//! - **Only the last 32 bytes of a line are looked at** for an announcement, and the first 64
//!   for the tag and the status check, whatever the line's length: the same rule holds for a
//!   line that is dropped as it arrives, so decisions never depend on how the input was split.
//!   A run of digits too long for that window (`{` + 29 zeros + `5}`) counts as an announcement
//!   too large to accept, never as plain text.
//! - **Sizes are parsed with checked arithmetic** and never allocate: the buffer grows only by
//!   what the peer actually sent. A kept literal's data is never scanned.
//! - **Linear however split.** The framer remembers how far it searched the current line, so
//!   every byte is searched once (a trailing CR is looked at again when its LF may follow).
//!   [`Framer::scanned_bytes`] counts it, and the tests check it.
//!
//! # Literals
//!
//! A literal of at most [`FrameLimits::literal_stream_threshold`] octets stays in the unit. A
//! larger one streams: [`Frame::LiteralStart`] (with the unit so far), [`Frame::LiteralChunk`]s
//! (zero-copy slices of the input) and [`Frame::LiteralEnd`]; the unit handed over at the end
//! still holds the `{n}\r\n` announcement but not the data, and [`Unit::literals`] marks that
//! literal [`streamed`](LiteralSpan::streamed), so the grammar yields a marker there.
//!
//! # Server side: verdicts on synchronising literals
//!
//! A client sends a `{n}` literal's data only after the server's `+` (RFC 9051 §7.5). The
//! framer reading commands ([`Framer::commands`]) therefore stops at each sync announcement
//! with [`Frame::LiteralAnnounced`] and waits for [`Framer::accept_literal`] (the machine sends
//! `+`) or [`Framer::refuse_literal`] (the machine sent `NO`/`BAD [TOOBIG]`; the data never
//! comes, the unit is dropped and framing resumes with the next line). A sync literal over the
//! limits is refused by the framer itself with a [`Frame::Error`].
//!
//! # Errors and resynchronisation
//!
//! An error drops the whole unit it happens in, and is reported once, as [`Frame::Error`], as
//! soon as it is known (with the unit's tag when it has one), so a server can answer
//! `tag BAD` and a client can give up on a runaway response. The framer then keeps following
//! the unit's structure while dropping the rest of it, so literal data is never read as lines:
//! an over-long line is dropped as it arrives (memory stays within the limits plus one read),
//! and a literal that cannot be kept is drained octet by octet without being buffered. On the
//! server side a sync announcement inside a dropped unit ends it (the client waits for a `+`
//! that does not come). The one fatal error is a literal whose size does not fit in 64 bits
//! and that the peer will send anyway (a non-sync literal, or any literal in a response): its
//! end cannot be found.
//!
//! Non-sync literals over [`FrameLimits::max_non_sync_literal`] (LITERAL-, RFC 7888 §4) are
//! drained rather than fatal: the client has already sent them, draining costs no memory, the
//! bytes are never interpreted, and the connection survives a client that misjudged the
//! 4096-octet rule. The machine can still close it on the error.
//!
//! ```
//! use bytes::BytesMut;
//! use imap_proto::frame::{Frame, FrameLimits, Framer};
//!
//! let mut framer = Framer::responses(FrameLimits::default());
//! let mut input = BytesMut::from(&b"* LIST () \"/\" {7}\r\nfoo bar\r\nA1 OK"[..]);
//! let Some(Frame::Unit(unit)) = framer.next_frame(&mut input) else { unreachable!() };
//! assert_eq!(&unit.bytes()[..], b"* LIST () \"/\" {7}\r\nfoo bar\r\n");
//! assert_eq!(unit.literals()[0].offset, 19);
//! assert_eq!(framer.next_frame(&mut input), None); // "A1 OK" waits for its CRLF
//! ```

mod framer;
mod scan;

use bytes::Bytes;

use crate::config::Limits;

pub use framer::Framer;

/// The framer's limits. Memory per connection stays within `max_unit` plus one read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FrameLimits {
    /// Octets of one line, line ending and announcement included (each line of a unit
    /// separately). A server raises it after authentication ([`Framer::set_max_line`]).
    pub max_line: usize,
    /// Largest literal accepted at all, kept or streamed.
    pub max_literal: u64,
    /// Largest non-synchronising literal (`{n+}`) a server accepts: 4096 under LITERAL-
    /// (RFC 7888 §4); set it to `max_literal` when LITERAL+ is advertised.
    pub max_non_sync_literal: u64,
    /// Literals longer than this stream instead of being kept in the unit.
    pub literal_stream_threshold: u64,
    /// Octets kept for one unit: its lines and kept literals (streamed data not counted).
    pub max_unit: usize,
    /// Literals in one unit, kept or streamed: bounds the work a unit full of `{0}` costs.
    pub max_literals: usize,
}

impl FrameLimits {
    /// Limits taken from the crate's [`Limits`]; `authenticated` picks the line limit.
    pub fn from_limits(limits: &Limits, authenticated: bool) -> Self {
        Self {
            max_line: if authenticated {
                limits.line
            } else {
                limits.line_before_auth
            },
            max_literal: limits.literal,
            max_non_sync_literal: limits.non_sync_literal,
            literal_stream_threshold: limits.literal_stream_threshold,
            max_unit: limits.unit,
            max_literals: Self::DEFAULT_MAX_LITERALS,
        }
    }

    /// Default for [`FrameLimits::max_literals`]: room for any real command or response
    /// (ID's 30 pairs, MULTIAPPEND batches) while a hostile `{0}` storm stays cheap.
    pub const DEFAULT_MAX_LITERALS: usize = 1024;
}

impl Default for FrameLimits {
    /// The [`Limits`] defaults before authentication.
    fn default() -> Self {
        Self::from_limits(&Limits::default(), false)
    }
}

/// Where one literal's data sits in a [`Unit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiteralSpan {
    /// Offset in [`Unit::bytes`] where the data starts, right after the announcement's line
    /// ending. For a streamed literal nothing of it is there: the line goes on at this offset.
    pub offset: usize,
    /// The announced length.
    pub len: u64,
    /// `{n}` (true) or `{n+}` (false).
    pub sync: bool,
    /// `~{n}`: literal8 (RFC 3516), which may hold NUL.
    pub binary: bool,
    /// The data went out as [`Frame::LiteralChunk`]s and is not in the unit.
    pub streamed: bool,
}

/// One line plus all its literals, as they came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    bytes: Bytes,
    literals: Vec<LiteralSpan>,
}

impl Unit {
    /// The unit's bytes, final line ending included. Kept literals are in place after their
    /// announcements; streamed ones are missing (see [`LiteralSpan::streamed`]).
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The unit's bytes, for slicing values out of them without a copy.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The unit's literals in order.
    pub fn literals(&self) -> &[LiteralSpan] {
        &self.literals
    }

    /// The literal whose data starts at `offset`: what the grammar asks after reading an
    /// announcement, to learn whether the data is there or was streamed.
    pub fn literal_at(&self, offset: usize) -> Option<&LiteralSpan> {
        self.literals
            .binary_search_by_key(&offset, |span| span.offset)
            .ok()
            .and_then(|i| self.literals.get(i))
    }

    /// The unit's bytes and literals.
    pub fn into_parts(self) -> (Bytes, Vec<LiteralSpan>) {
        (self.bytes, self.literals)
    }
}

/// What [`Framer::next_frame`] hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A complete unit.
    Unit(Unit),
    /// Server side only: the client announced a synchronising literal within the limits and
    /// waits for `+`. Answer with [`Framer::accept_literal`] or [`Framer::refuse_literal`];
    /// until then the framer hands out nothing. [`Framer::unit_so_far`] shows the command.
    LiteralAnnounced {
        /// The announced length.
        len: u64,
        /// `~{n}` (literal8).
        binary: bool,
    },
    /// A literal longer than the stream threshold starts; its data follows as chunks.
    LiteralStart {
        /// The unit so far, up to and including the announcement's line ending (data of
        /// earlier streamed literals left out), so the tag and command can be read.
        prefix: Bytes,
        /// The announced length.
        len: u64,
        /// `~{n}` (literal8).
        binary: bool,
        /// `{n}` (true) or `{n+}` (false).
        sync: bool,
    },
    /// Data of the streaming literal, as it arrived.
    LiteralChunk(Bytes),
    /// The streaming literal is complete; the unit continues.
    LiteralEnd,
    /// The current unit is dropped (see the [module docs](self)); the rest of it is skipped
    /// silently and framing goes on after it, unless the error [is fatal](FrameError::is_fatal).
    Error(FrameError),
}

/// Why a unit was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct FrameError {
    kind: FrameErrorKind,
    tag: Option<Bytes>,
    fatal: bool,
}

impl FrameError {
    /// What went wrong (the first problem in the unit).
    pub fn kind(&self) -> FrameErrorKind {
        self.kind
    }

    /// The dropped unit's tag, when it starts with one, so a server can answer
    /// `tag BAD [TOOBIG]` and a client can fail the right command.
    pub fn tag(&self) -> Option<&Bytes> {
        self.tag.as_ref()
    }

    /// The input can no longer be framed: the framer drops everything from now on, and the
    /// connection must close.
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }
}

/// The kinds of [`FrameError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameErrorKind {
    /// A line is longer than [`FrameLimits::max_line`].
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in octets.
        limit: usize,
    },
    /// The unit's lines and kept literals exceed [`FrameLimits::max_unit`].
    #[error("command or response longer than {limit} octets")]
    UnitTooLarge {
        /// The limit in octets.
        limit: usize,
    },
    /// The unit announces more than [`FrameLimits::max_literals`] literals.
    #[error("more than {limit} literals in one command or response")]
    TooManyLiterals {
        /// The limit.
        limit: usize,
    },
    /// A literal is larger than [`FrameLimits::max_literal`] (or, non-sync on the server
    /// side, [`FrameLimits::max_non_sync_literal`]): RFC 7888 `[TOOBIG]`.
    #[error("literal of {len} octets larger than {limit}")]
    LiteralTooLarge {
        /// The announced length.
        len: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// An announced literal size does not fit in 64 bits.
    #[error("literal size does not fit in 64 bits")]
    LiteralSizeOverflow,
    /// A line holds a bare CR, or ends in a bare LF while bare LF is not accepted.
    #[error("bare cr or lf")]
    BareNewline,
    /// A response announced a non-synchronising literal, which only clients may send
    /// (RFC 7888 §3).
    #[error("non-synchronizing literal in a response")]
    NonSyncLiteralInResponse,
}
