//! tokio-util codecs (feature `tokio-codec`): IMAP input framed into units (a line plus all its
//! literals) for `tokio_util::codec::Framed` and friends.
//!
//! [`UnitCodec`] decodes with the [`Framer`], so a `Framed` reader never sees half a command
//! or response: each item is a whole [`Unit`](crate::frame::Unit) (or a streamed literal's start, chunks and end,
//! or a dropped unit's [`FrameError`]). It is linear in the bytes read however they are split,
//! and its memory stays within [`FrameLimits::max_unit`] plus one read.
//!
//! - [`UnitCodec::commands`], the server side: frames the client's commands. A synchronising
//!   literal comes out as [`Frame::LiteralAnnounced`]: send a continuation request (`+ ...`)
//!   before polling for the next item, or refuse it first with
//!   `framed.codec_mut().refuse_literal()` and answer `tag NO [TOOBIG]` (RFC 7888 §4). If you
//!   do neither, the literal counts as accepted when you poll again.
//! - [`UnitCodec::responses`], the client side: frames the server's responses.
//! - [`CommandCodec`], the server side with the grammar on top: each unit comes out as a
//!   parsed [`Command`] (or the [`ParseError`] to answer with `tag BAD`).
//! - [`ResponseCodec`], the client side with the grammar on top: the first unit is the
//!   [`Greeting`], every later one a [`Response`].
//!
//! Both encode wire bytes as they are (`Bytes` or `&[u8]`, e.g. what
//! [`Encoder`](crate::Encoder) produced). A client sending a command with a synchronising
//! literal must stop after each `{n}\r\n` and wait for the server's `+`
//! ([`Encoded`](crate::Encoded) records where).
//!
//! # What a codec does not do
//!
//! Which response answers which command, AUTHENTICATE and IDLE exchanges, the STARTTLS and
//! COMPRESS switches (any byte buffered behind the command must be checked, see
//! `Framed::read_buffer`), and counting bad commands are the state machines' job.
//!
//! ```
//! use bytes::BytesMut;
//! use imap_proto::codec::UnitCodec;
//! use imap_proto::frame::{Frame, FrameLimits};
//! use tokio_util::codec::Decoder;
//!
//! let mut codec = UnitCodec::commands(FrameLimits::default());
//! let mut input = BytesMut::from(&b"A1 LOGIN {5}\r\n"[..]);
//! // The client waits for `+`: send it, then poll again.
//! assert!(matches!(codec.decode(&mut input)?, Some(Frame::LiteralAnnounced { len: 5, .. })));
//! input.extend_from_slice(b"alice pw\r\n");
//! let Some(Frame::Unit(unit)) = codec.decode(&mut input)? else { unreachable!() };
//! assert_eq!(&unit.bytes()[..], b"A1 LOGIN {5}\r\nalice pw\r\n");
//! # Ok::<(), imap_proto::codec::CodecError>(())
//! ```

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::{Command, DecodeOptions};
use crate::error::ParseError;
use crate::frame::{Frame, FrameError, FrameLimits, Framer};
use crate::response::{Greeting, Response};

/// What a codec reports: the transport failed, or the input can no longer be framed.
///
/// tokio-util's `Framed` ends its stream after the first error, so every error here is fatal
/// for the connection. A dropped unit (a line too long, a literal too large) is not an error
/// but an item, [`Frame::Error`], after which framing goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing failed, or the peer closed the connection inside a unit
    /// (`UnexpectedEof`).
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A fatal framing error ([`FrameError::is_fatal`]): a literal whose size does not fit in
    /// 64 bits, whose end cannot be found.
    #[error("framing failed: {0}")]
    Frame(FrameError),
}

/// Frames IMAP input into [`Frame`]s; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct UnitCodec {
    framer: Framer,
    /// Reading responses (client side).
    responses: bool,
}

impl UnitCodec {
    /// The server side: frames commands, reports each acceptable sync literal.
    pub fn commands(limits: FrameLimits) -> Self {
        Self {
            framer: Framer::commands(limits),
            responses: false,
        }
    }

    /// The client side: frames responses.
    pub fn responses(limits: FrameLimits) -> Self {
        Self {
            framer: Framer::responses(limits),
            responses: true,
        }
    }

    /// Accepts a bare LF as a line ending (`Leniency::bare_lf`).
    #[must_use]
    pub fn with_bare_lf(mut self, accept: bool) -> Self {
        self.framer = self.framer.with_bare_lf(accept);
        self
    }

    /// The framer, to change its limits (a server raises the line limit after login).
    pub fn framer_mut(&mut self) -> &mut Framer {
        &mut self.framer
    }

    /// Refuses the sync literal just reported by [`Frame::LiteralAnnounced`]: its data will
    /// not come, and the unit is dropped. Answer the command with a tagged `NO`/`BAD`.
    /// Returns false when no literal waits.
    pub fn refuse_literal(&mut self) -> bool {
        self.framer.refuse_literal()
    }
}

impl Decoder for UnitCodec {
    type Item = Frame;
    type Error = CodecError;

    /// Takes the next frame off `src`, or `None` until more input arrives. A sync literal
    /// still waiting for a verdict when this is called again counts as accepted.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        self.framer.accept_literal();
        match self.framer.next_frame(src) {
            Some(Frame::Error(error)) if error.is_fatal() => Err(CodecError::Frame(error)),
            frame => Ok(frame),
        }
    }

    /// As [`decode`](Self::decode); a unit left unfinished at the end of the input is an
    /// `UnexpectedEof` error.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() && self.framer.is_between_units() {
            return Ok(None);
        }
        src.clear();
        self.framer.reset();
        let what = if self.responses {
            "a response"
        } else {
            "a command"
        };
        Err(CodecError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("connection closed inside {what}"),
        )))
    }
}

impl Encoder<Bytes> for UnitCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

impl Encoder<&[u8]> for UnitCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item);
        Ok(())
    }
}

/// What [`CommandCodec`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandItem {
    /// A whole command, or why its unit does not parse: answer `tag BAD` and read on.
    Command(Result<Command, ParseError>),
    /// Everything else the framer reports: a sync literal waiting for `+` (see [`UnitCodec`]),
    /// a streamed literal's start, chunks and end (APPEND data over the stream threshold), or
    /// a dropped unit.
    Frame(Frame),
}

/// The server side with the command grammar: [`UnitCodec::commands`] whose units are decoded
/// with [`Command::from_unit`], values sharing the read buffer's bytes.
#[derive(Debug, Clone)]
pub struct CommandCodec {
    units: UnitCodec,
    options: DecodeOptions,
}

impl CommandCodec {
    /// A codec with the framer's `limits` and the grammar's `options`; bare LF follows
    /// `options.leniency.bare_lf`.
    pub fn new(limits: FrameLimits, options: DecodeOptions) -> Self {
        Self {
            units: UnitCodec::commands(limits).with_bare_lf(options.leniency.bare_lf),
            options,
        }
    }

    /// The frame-level codec underneath, to refuse a literal or change the limits.
    pub fn units_mut(&mut self) -> &mut UnitCodec {
        &mut self.units
    }

    /// The grammar's options, to turn UTF-8 on after `ENABLE UTF8=ACCEPT`.
    pub fn options_mut(&mut self) -> &mut DecodeOptions {
        &mut self.options
    }

    fn item(&self, frame: Option<Frame>) -> Option<CommandItem> {
        Some(match frame? {
            Frame::Unit(unit) => CommandItem::Command(Command::from_unit(&unit, &self.options)),
            other => CommandItem::Frame(other),
        })
    }
}

impl Decoder for CommandCodec {
    type Item = CommandItem;
    type Error = CodecError;

    /// As [`UnitCodec::decode`], with each unit parsed.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<CommandItem>, CodecError> {
        let frame = self.units.decode(src)?;
        Ok(self.item(frame))
    }

    /// As [`UnitCodec::decode_eof`], with each unit parsed.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<CommandItem>, CodecError> {
        let frame = self.units.decode_eof(src)?;
        Ok(self.item(frame))
    }
}

impl Encoder<Bytes> for CommandCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.units.encode(item, dst)
    }
}

impl Encoder<&[u8]> for CommandCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        self.units.encode(item, dst)
    }
}

/// What [`ResponseCodec`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseItem {
    /// The first unit: the server's greeting, or why it does not parse.
    Greeting(Result<Greeting, ParseError>),
    /// A whole response, or why its unit does not parse.
    Response(Result<Response, ParseError>),
    /// Everything else the framer reports: a streamed literal's start, chunks and end (message
    /// bodies over the stream threshold), or a dropped unit.
    Frame(Frame),
}

/// The client side with the response grammar: [`UnitCodec::responses`] whose first unit is
/// decoded with [`Greeting::from_unit`] and the others with [`Response::from_unit`].
#[derive(Debug, Clone)]
pub struct ResponseCodec {
    units: UnitCodec,
    options: DecodeOptions,
    greeted: bool,
}

impl ResponseCodec {
    /// A codec with the framer's `limits` and the grammar's `options`; bare LF follows
    /// `options.leniency.bare_lf`.
    pub fn new(limits: FrameLimits, options: DecodeOptions) -> Self {
        Self {
            units: UnitCodec::responses(limits).with_bare_lf(options.leniency.bare_lf),
            options,
            greeted: false,
        }
    }

    /// Expects responses only, no greeting (after STARTTLS, or mid-session).
    #[must_use]
    pub fn without_greeting(mut self) -> Self {
        self.greeted = true;
        self
    }

    /// The frame-level codec underneath, to change the limits.
    pub fn units_mut(&mut self) -> &mut UnitCodec {
        &mut self.units
    }

    /// The grammar's options, to turn UTF-8 on after `ENABLE UTF8=ACCEPT`.
    pub fn options_mut(&mut self) -> &mut DecodeOptions {
        &mut self.options
    }

    fn item(&mut self, frame: Option<Frame>) -> Option<ResponseItem> {
        Some(match frame? {
            Frame::Unit(unit) if !self.greeted => {
                self.greeted = true;
                ResponseItem::Greeting(Greeting::from_unit(&unit, &self.options))
            }
            Frame::Unit(unit) => ResponseItem::Response(Response::from_unit(&unit, &self.options)),
            other => ResponseItem::Frame(other),
        })
    }
}

impl Decoder for ResponseCodec {
    type Item = ResponseItem;
    type Error = CodecError;

    /// As [`UnitCodec::decode`], with each unit parsed.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ResponseItem>, CodecError> {
        let frame = self.units.decode(src)?;
        Ok(self.item(frame))
    }

    /// As [`UnitCodec::decode_eof`], with each unit parsed.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<ResponseItem>, CodecError> {
        let frame = self.units.decode_eof(src)?;
        Ok(self.item(frame))
    }
}

impl Encoder<Bytes> for ResponseCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.units.encode(item, dst)
    }
}

impl Encoder<&[u8]> for ResponseCodec {
    type Error = CodecError;

    /// Writes `item` as it is.
    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        self.units.encode(item, dst)
    }
}
