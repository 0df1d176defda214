//! tokio-util codecs (feature `tokio-codec`): POP3 command lines and response lines framed
//! one line at a time, for `tokio_util::codec::Framed` and friends.
//!
//! - [`CommandCodec`], the server side: decodes the client's [`Command`]s, encodes
//!   [`Response`] and [`StatusLine`] lines.
//! - [`ResponseCodec`], the client side: decodes the server's response *lines*
//!   ([`Response`]: `+OK`/`-ERR` status lines and SASL challenges), encodes [`Command`]s and
//!   [`AuthResponse`]s.
//!
//! Both frame with [`LineFramer`], as [`Server`](crate::Server) and [`Client`](crate::Client)
//! do: input split anywhere costs the same as input read whole, and an over-long line is
//! dropped as it arrives, so a codec never buffers more than its line limit.
//!
//! # What a codec does not do
//!
//! Whether a `+OK` starts a multi-line answer depends on the command it answers (RFC 1939
//! §3: LIST and UIDL without argument, RETR, TOP, CAPA; see [`Command::expects_multi_line`]).
//! A line codec cannot know that, so:
//!
//! - [`ResponseCodec`] reads status lines only. Use it for commands whose positive answer is
//!   one line. After a `+OK` to a multi-line command, the lines up to `.` are not responses:
//!   read them from `Framed::read_buffer_mut` yourself (dot-unstuffed with
//!   [`mail_sansio::dot::DotUnstuffer`]), or use the [`Client`](crate::Client), which knows
//!   which answers are multi-line. Left to the codec, a listing line is an error and a body
//!   line that happens to start with `+OK` would be taken for a response.
//! - [`CommandCodec`] encodes status lines only; a server writes the lines of a multi-line
//!   answer and the terminating `.` itself (dot-stuffed with
//!   [`mail_sansio::dot::DotStuffer`]), or uses the [`Server`](crate::Server).
//!
//! The state machines also do what no codec does: STLS (RFC 2595: bytes buffered behind the
//! STLS line or its `+OK` were sent in plaintext and must be discarded before the handshake;
//! `Framed::into_parts` gives the buffer to check), AUTH exchanges (RFC 5034: continuation
//! lines are not commands, but [`CommandCodec`] parses every line as one; take them from
//! `Framed::read_buffer_mut` with [`AuthResponse::decode`] instead), the states of RFC 1939
//! §3 and the counting of bad commands.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::codec::CommandCodec;
//! use pop3_proto::{Command, ParseError, StatusLine, Text};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = CommandCodec::new();
//! let mut input = BytesMut::from(&b"STAT\r\nFOO\r\nQU"[..]);
//! assert_eq!(codec.decode(&mut input)?, Some(Ok(Command::Stat)));
//! // A bad command is one item; the line is consumed and the next one follows.
//! assert_eq!(codec.decode(&mut input)?, Some(Err(ParseError::UnknownCommand)));
//! assert_eq!(codec.decode(&mut input)?, None); // "QU" waits for its CRLF
//!
//! let mut output = BytesMut::new();
//! codec.encode(&StatusLine::ok(Text::try_from("1 120").unwrap()), &mut output)?;
//! assert_eq!(&output[..], b"+OK 1 120\r\n");
//! # Ok::<(), pop3_proto::codec::CodecError>(())
//! ```

use std::io;

use bytes::BytesMut;
use mail_sansio::line::{Frame, LineFramer};
use tokio_util::codec::Decoder;

use crate::command::{AuthResponse, Command};
use crate::config::Limits;
use crate::error::ParseError;
use crate::response::{Response, StatusLine};

/// What a codec reports: the transport failed, or the peer's bytes cannot be read.
///
/// tokio-util's `Framed` ends its stream after the first error, so every error here is fatal
/// for the connection. Bad *commands*, which a server answers with `-ERR` and then reads on,
/// are not errors of [`CommandCodec`] but items (see its docs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing failed, or the peer closed the connection inside a line
    /// (`UnexpectedEof`).
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The peer's bytes break the grammar or a limit, and the stream cannot be read further.
    #[error("malformed input: {0}")]
    Parse(#[from] ParseError),
}

/// The [`ParseError`] for a frame that is not a line.
fn framing_error(frame: &Frame, limit: usize) -> ParseError {
    match frame {
        Frame::TooLong { .. } => ParseError::LineTooLong { limit },
        _ => ParseError::BareNewline { offset: 0 },
    }
}

/// What `decode_eof` says when the input ends inside a line.
fn closed_inside_line(src: &mut BytesMut, framer: &mut LineFramer) -> CodecError {
    src.clear();
    framer.reset();
    CodecError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "connection closed inside a line",
    ))
}

/// The server side: decodes the client's commands, encodes status lines.
///
/// Each item is one command line: `Ok(command)`, or the [`ParseError`] the line gave
/// ([`ParseError::UnknownCommand`], a syntax error…). The line is consumed either way and the
/// next item is the next line, so a server answers `-ERR` and reads on, as
/// [`Server`](crate::Server) does. The framing errors are items too:
///
/// - a line longer than [`Limits::command_line`] (255 octets, RFC 2449 §4) is
///   [`ParseError::LineTooLong`]. Its bytes are dropped as they arrive and it is reported
///   once, when its line ending comes. The server closes the connection on such a line before
///   login; do the same;
/// - a line with a bare CR or ending in a bare LF is [`ParseError::BareNewline`].
///
/// The decoder's own `Err` is only for I/O, including a connection closed inside a line.
/// The codec does not know the session's state (RFC 1939 §3) and does not count bad
/// commands; see the [module docs](self) for what else needs the state machine.
#[derive(Debug, Clone)]
pub struct CommandCodec {
    framer: LineFramer,
}

impl CommandCodec {
    /// A codec with RFC 2449's 255-octet command lines.
    pub fn new() -> Self {
        Self::with_limits(&Limits::default())
    }

    /// A codec with [`Limits::command_line`] from `limits`.
    pub fn with_limits(limits: &Limits) -> Self {
        Self {
            framer: LineFramer::new(limits.command_line),
        }
    }
}

impl Default for CommandCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for CommandCodec {
    type Item = Result<Command, ParseError>;
    type Error = CodecError;

    /// Takes the next command line off `src`, or `None` until its line ending has arrived.
    ///
    /// ```text
    /// command = keyword *(SP param) CRLF   ; RFC 2449 §3
    /// ```
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        Ok(self.framer.next_frame(src).map(|frame| match frame {
            Frame::Line(line) => Command::parse_line(&line),
            other => Err(framing_error(&other, self.framer.max_line())),
        }))
    }

    /// As [`decode`](Self::decode); a partial line left at the end of the input is an
    /// `UnexpectedEof` error.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        if src.is_empty() && !self.framer.is_skipping() {
            return Ok(None);
        }
        Err(closed_inside_line(src, &mut self.framer))
    }
}

mail_sansio::line_encoders!(CommandCodec, CodecError: Response, StatusLine);

/// The client side: decodes the server's response lines, encodes commands.
///
/// One item per line: a `+OK`/`-ERR` [`StatusLine`] or a SASL challenge. It does not read
/// the body of a multi-line answer: see the [module docs](self), or use the
/// [`Client`](crate::Client).
///
/// Every error is fatal, as in the [`Client`](crate::Client): a line longer than
/// [`Limits::response_line`] (512 octets, RFC 2449 §4; reported as soon as the limit is
/// passed, without buffering the rest), a bare CR or LF, a line that is not a response. The
/// decoder's `Err` is [`CodecError::Parse`] then; a connection closed inside a line is an
/// `UnexpectedEof` [`CodecError::Io`].
#[derive(Debug, Clone)]
pub struct ResponseCodec {
    framer: LineFramer,
}

impl ResponseCodec {
    /// A codec with RFC 2449's 512-octet response lines.
    pub fn new() -> Self {
        Self::with_limits(&Limits::default())
    }

    /// A codec with [`Limits::response_line`] from `limits`.
    pub fn with_limits(limits: &Limits) -> Self {
        Self {
            framer: LineFramer::new(limits.response_line),
        }
    }
}

impl Default for ResponseCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for ResponseCodec {
    type Item = Response;
    type Error = CodecError;

    /// Takes the next response line off `src`, or `None` until its line ending has arrived.
    ///
    /// ```text
    /// response  = status [SP [resp-code SP] text] CRLF   ; RFC 2449 §3, §8
    /// challenge = "+" SP [base64] CRLF                  ; RFC 5034 §4
    /// ```
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Response>, CodecError> {
        let limit = self.framer.max_line();
        match self.framer.next_frame(src) {
            Some(Frame::Line(line)) => Ok(Some(Response::parse_line(&line)?)),
            Some(other) => Err(framing_error(&other, limit).into()),
            // Fail as soon as the cap is passed, not when the line finally ends.
            None if self.framer.is_skipping() => Err(ParseError::LineTooLong { limit }.into()),
            None => Ok(None),
        }
    }

    /// As [`decode`](Self::decode); a partial line left at the end of the input is an
    /// `UnexpectedEof` error.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Response>, CodecError> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        if src.is_empty() {
            return Ok(None);
        }
        Err(closed_inside_line(src, &mut self.framer))
    }
}

mail_sansio::line_encoders!(ResponseCodec, CodecError: Command, AuthResponse);

#[cfg(all(test, feature = "tokio-codec"))]
mod tests {
    use mail_sansio::testing::codec::decode_pieces;
    use proptest::prelude::*;
    use tokio_util::codec::Encoder;

    use super::*;
    use crate::response::{ResponseCode, Status};
    use crate::types::{MessageNumber, Text, Username};

    fn both<D: Decoder, F: Fn() -> D>(make: F, input: &[u8]) -> Vec<Result<D::Item, String>>
    where
        D::Item: PartialEq + std::fmt::Debug,
        D::Error: std::fmt::Display,
    {
        let whole = decode_pieces(&mut make(), [input]);
        assert_eq!(decode_pieces(&mut make(), input.chunks(1)), whole);
        whole
    }

    /// `input` cut at the given points (in any order, out of range ignored).
    fn cut(input: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
        points.retain(|&p| p < input.len());
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for p in points {
            chunks.push(input.get(from..p).unwrap_or_default());
            from = p;
        }
        chunks.push(input.get(from..).unwrap_or_default());
        chunks
    }

    /// Pieces that make commands, responses and the framing cases likely.
    fn wire() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            &b"USER bob"[..],
            b"RETR 1",
            b"TOP 1 2",
            b"QUIT",
            b"+OK",
            b"-ERR",
            b" [SYS/TEMP]",
            b"+ aGk=",
            b"xxxxxxxxxxxxxxxxxxxx",
            b" ",
            b"\r\n",
            b"\r\n",
            b"\n",
            b"\r",
            b"\0",
            b"\xff",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    fn small() -> Limits {
        Limits {
            command_line: 20,
            response_line: 30,
            ..Limits::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary input never panics, and the items do not depend on how it is split.
        #[test]
        fn split_does_not_matter(
            input in wire(),
            points in prop::collection::vec(0usize..800, 0..12),
        ) {
            let small = small();
            let chunks = cut(&input, points);
            let commands = decode_pieces(&mut CommandCodec::with_limits(&small), [&input[..]]);
            prop_assert_eq!(
                &decode_pieces(&mut CommandCodec::with_limits(&small), chunks.iter().copied()),
                &commands
            );
            prop_assert_eq!(&decode_pieces(&mut CommandCodec::with_limits(&small), input.chunks(1)), &commands);

            let responses = decode_pieces(&mut ResponseCodec::with_limits(&small), [&input[..]]);
            prop_assert_eq!(
                &decode_pieces(&mut ResponseCodec::with_limits(&small), chunks.iter().copied()),
                &responses
            );
            prop_assert_eq!(&decode_pieces(&mut ResponseCodec::with_limits(&small), input.chunks(1)), &responses);
        }
    }

    #[test]
    fn commands_and_bad_lines() {
        let mut input = b"USER bob\r\nRETR 0\r\nLIST\nXYZZY\r\nUIDL ".to_vec();
        input.extend(std::iter::repeat_n(b'9', 300));
        input.extend_from_slice(b"\r\nQUIT\r\nNOO");
        let got = both(CommandCodec::new, &input);
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(
            got[0],
            Ok(Ok(Command::User(Username::try_from("bob").unwrap())))
        );
        assert!(matches!(got[1], Ok(Err(_))), "{:?}", got[1]);
        assert_eq!(got[2], Ok(Err(ParseError::BareNewline { offset: 0 })));
        assert_eq!(got[3], Ok(Err(ParseError::UnknownCommand)));
        assert_eq!(got[4], Ok(Err(ParseError::LineTooLong { limit: 255 })));
        assert_eq!(got[5], Ok(Ok(Command::Quit)));
        assert!(
            got[6]
                .as_ref()
                .unwrap_err()
                .contains("closed inside a line")
        );
    }

    #[test]
    fn over_long_command_is_not_buffered() {
        let mut codec = CommandCodec::new();
        let mut buf = BytesMut::new();
        for _ in 0..50 {
            buf.extend_from_slice(&[b'x'; 1000]);
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
            assert!(buf.len() < 255);
        }
        // Still inside the dropped line at the end of input.
        assert!(codec.decode_eof(&mut buf).is_err());
    }

    #[test]
    fn limits_are_configurable() {
        let limits = Limits {
            command_line: 8,
            ..Limits::default()
        };
        let got = both(
            || CommandCodec::with_limits(&limits),
            b"NOOP\r\nRETR 1\r\nRETR 10\r\n",
        );
        assert_eq!(
            got,
            vec![
                Ok(Ok(Command::Noop)),
                Ok(Ok(Command::Retr(MessageNumber::new(1).unwrap()))),
                Ok(Err(ParseError::LineTooLong { limit: 8 }))
            ]
        );
    }

    #[test]
    fn encodes_status_lines() {
        let mut codec = CommandCodec::new();
        let mut out = BytesMut::new();
        let ok = StatusLine::ok(Text::try_from("ready").unwrap());
        let err = StatusLine::err(Some(ResponseCode::InUse), Text::try_from("locked").unwrap());
        codec.encode(&ok, &mut out).unwrap();
        codec.encode(err, &mut out).unwrap();
        codec.encode(&Response::Status(ok), &mut out).unwrap();
        codec
            .encode(Response::Challenge(b"hi".to_vec()), &mut out)
            .unwrap();
        assert_eq!(
            &out[..],
            b"+OK ready\r\n-ERR [IN-USE] locked\r\n+OK ready\r\n+ aGk=\r\n"
        );
    }

    #[test]
    fn response_lines() {
        let input = b"+OK POP3 ready <1.2@host>\r\n-ERR [SYS/TEMP] later\r\n+ aGk=\r\n";
        let got = both(ResponseCodec::new, input);
        assert_eq!(got.len(), 3, "{got:?}");
        let Ok(Response::Status(greeting)) = &got[0] else {
            panic!("{got:?}")
        };
        assert!(greeting.is_ok());
        assert_eq!(greeting.apop_timestamp().unwrap().as_str(), "<1.2@host>");
        let Ok(Response::Status(err)) = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(
            (err.status, err.code.clone()),
            (Status::Err, Some(ResponseCode::SysTemp))
        );
        assert_eq!(got[2], Ok(Response::Challenge(b"hi".to_vec())));
    }

    #[test]
    fn response_errors_are_fatal() {
        let mut long = b"+OK ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 600));
        let cases: [(&[u8], &str); 4] = [
            (b"+OK a\n+OK b\r\n", "bare CR or LF"),
            (b"1 120\r\n", "syntax error"),
            (&long, "longer than 512"),
            (b"+OK partial", "closed inside a line"),
        ];
        for (input, want) in cases {
            let got = both(ResponseCodec::new, input);
            assert_eq!(got.len(), 1, "{got:?}");
            let err = got[0].as_ref().unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn encodes_commands_and_auth_responses() {
        let mut codec = ResponseCodec::new();
        let mut out = BytesMut::new();
        codec
            .encode(&Command::Retr(MessageNumber::new(3).unwrap()), &mut out)
            .unwrap();
        codec.encode(Command::Quit, &mut out).unwrap();
        codec.encode(&AuthResponse::Cancel, &mut out).unwrap();
        codec
            .encode(
                AuthResponse::Data(mail_sansio::Secret::new(b"hi".to_vec())),
                &mut out,
            )
            .unwrap();
        assert_eq!(&out[..], b"RETR 3\r\nQUIT\r\n*\r\naGk=\r\n");
    }
}
