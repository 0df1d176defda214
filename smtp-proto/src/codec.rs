//! tokio-util codecs (feature `tokio-codec`): SMTP commands and replies framed line by line,
//! for `tokio_util::codec::Framed` and friends.
//!
//! - [`CommandCodec`], the server side: decodes the client's [`Command`]s, encodes [`Reply`]s
//!   and [`EhloReply`]s.
//! - [`ReplyCodec`], the client side: decodes the server's [`Reply`]s (multi-line replies
//!   assembled into one value), encodes [`Command`]s.
//!
//! Both frame with [`LineFramer`], the framer the [`Server`](crate::Server) and
//! [`Client`](crate::Client) use: it remembers how far it has searched, so input split
//! anywhere costs the same as input read whole, and it drops an over-long line as it arrives,
//! so a codec never buffers more than its line limit whatever the peer sends.
//!
//! # What a codec does not do
//!
//! The codecs frame command and reply *lines* and nothing else. An SMTP session is more than
//! a stream of lines, and everything below needs the state machines, [`Server`](crate::Server)
//! and [`Client`](crate::Client), or code of your own:
//!
//! - DATA bodies: after `354` the client sends text lines ending in `CRLF.CRLF` (dot-stuffed,
//!   RFC 5321 §4.5.2). [`CommandCodec`] would read them as commands. Take the buffered bytes
//!   out with `Framed::read_buffer_mut` and read the body with [`mail_sansio::dot`].
//! - BDAT chunks (RFC 3030): the `size` octets after a `BDAT` line are raw bytes, not lines.
//! - STARTTLS (RFC 3207): once `STARTTLS` (server) or its `220` (client) has been read, any
//!   byte already buffered behind it was sent in plaintext and must be discarded before the
//!   handshake (CVE-2011-0411), then the session starts again. `Framed::into_parts` gives the
//!   buffer to check; the codecs do not track this.
//! - AUTH (RFC 4954): SASL response lines are not commands, but [`CommandCodec`] parses every
//!   line as one (most come out as [`Command::Unknown`], one longer than the command line
//!   limit as an error). Read them from `Framed::read_buffer_mut` or use the server.
//! - PIPELINING (RFC 2920), sequencing and counting bad commands: which commands may be
//!   grouped, which reply answers which command, when to close after too many errors.
//!
//! ```
//! use bytes::BytesMut;
//! use smtp_proto::codec::CommandCodec;
//! use smtp_proto::{Command, Reply, ReplyCode};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = CommandCodec::new();
//! let mut input = BytesMut::from(&b"NOOP\r\nMAIL FROM:<a@b> SIZE=x\r\nQU"[..]);
//! assert_eq!(codec.decode(&mut input)?, Some(Ok(Command::Noop(None))));
//! // A malformed command is one item; the line is consumed and the next one follows.
//! let Some(Err(bad)) = codec.decode(&mut input)? else { unreachable!() };
//! assert_eq!(bad.recommended_reply().0.get(), 501);
//! assert_eq!(codec.decode(&mut input)?, None); // "QU" waits for its CRLF
//!
//! let mut output = BytesMut::new();
//! codec.encode(&Reply::new(ReplyCode::OK, None, "OK").unwrap(), &mut output)?;
//! assert_eq!(&output[..], b"250 OK\r\n");
//! # Ok::<(), smtp_proto::codec::CodecError>(())
//! ```

use std::io;

use bytes::BytesMut;
use mail_sansio::line::{BareNewline, Frame, LineFramer};
use tokio_util::codec::Decoder;

use crate::command::{Command, ParseOptions};
use crate::config::{ServerConfig, ServerLimits};
use crate::ehlo::EhloReply;
use crate::error::{ParseError, ParseErrorKind};
use crate::reply::{Reply, ReplyAssembler, ReplyLimits};

/// What a codec reports: the transport failed, or the peer's bytes cannot be read.
///
/// tokio-util's `Framed` ends its stream after the first error, so every error here is fatal
/// for the connection. Malformed *commands*, which a server answers and then goes on, are
/// not errors of [`CommandCodec`] but items (see its docs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing failed, or the peer closed the connection inside a line or a
    /// multi-line reply (`UnexpectedEof`).
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The peer's bytes break the grammar or a limit, and the stream cannot be read further.
    #[error("malformed input: {0}")]
    Parse(#[from] ParseError),
}

fn too_long(limit: usize, rule: &'static str) -> ParseError {
    ParseError::new(
        ParseErrorKind::TooLong {
            what: "line",
            limit,
        },
        0,
        rule,
    )
}

fn closed_inside(what: &str) -> CodecError {
    CodecError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("connection closed inside {what}"),
    ))
}

/// Whether `line` is an AUTH command, which may be longer than other commands (RFC 4954 §4).
fn is_auth(line: &[u8]) -> bool {
    line.get(..4)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"AUTH"))
        && matches!(line.get(4), None | Some(b' '))
}

/// The server side: decodes the client's commands, encodes replies.
///
/// Each item is one command line: `Ok(command)`, or the [`ParseError`] the line gave. The
/// line is consumed either way and the next item is the next line, so a server answers the
/// error (with [`ParseError::recommended_reply`], as [`Server`](crate::Server) does) and reads
/// on. That covers the framing errors too:
///
/// - a line longer than [`ServerLimits::command_line`] (an AUTH line:
///   [`ServerLimits::auth_line`]) is [`ParseErrorKind::TooLong`] (`500 5.5.6`, RFC 5321
///   §4.5.3.1.10). Its bytes are dropped as they arrive and it is reported once, when its line
///   ending comes;
/// - a line with a bare CR or ending in a bare LF is [`ParseErrorKind::BareNewline`] (SMTP
///   smuggling) unless the codec was built from a [`ServerConfig`] that normalises them.
///
/// The decoder's own `Err` is only for I/O, including a connection closed inside a line.
/// The codec does not count bad lines: close the connection after
/// [`ServerLimits::bad_commands`] of them, as the server does. See the [module docs](self) for
/// what needs the state machine (DATA, BDAT, STARTTLS, AUTH, PIPELINING).
#[derive(Debug, Clone)]
pub struct CommandCodec {
    framer: LineFramer,
    command_line: usize,
    options: ParseOptions,
}

impl CommandCodec {
    /// The strict codec: RFC limits (command line 512 octets, AUTH 12288), exact command
    /// syntax, bare CR and LF rejected.
    pub fn new() -> Self {
        let limits = ServerLimits::default();
        Self::build(
            limits.command_line,
            limits.auth_line,
            ParseOptions::default(),
            BareNewline::Reject,
        )
    }

    /// A codec that frames and parses as a [`Server`](crate::Server) with `config` does: its
    /// line limits, its [`ParseOptions`], and its bare-newline policy (anything but
    /// [`BareNewline::Reject`] makes a bare LF end a line; a bare CR is still rejected).
    pub fn from_config(config: &ServerConfig) -> Self {
        let bare_newline = if config.bare_newline == BareNewline::Reject {
            BareNewline::Reject
        } else {
            BareNewline::Normalise
        };
        Self::build(
            config.limits.command_line,
            config.limits.auth_line,
            config.parse,
            bare_newline,
        )
    }

    fn build(
        command_line: usize,
        auth_line: usize,
        options: ParseOptions,
        bare_newline: BareNewline,
    ) -> Self {
        Self {
            framer: LineFramer::new(auth_line.max(command_line)).with_bare_newline(bare_newline),
            command_line,
            options,
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
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        let Some(frame) = self.framer.next_frame(src) else {
            return Ok(None);
        };
        Ok(Some(match frame {
            Frame::Line(line) if line.len() + 2 > self.command_line && !is_auth(&line) => {
                Err(too_long(self.command_line, "command"))
            }
            Frame::Line(line) => Command::from_line_with(&line, self.options),
            Frame::TooLong { .. } => Err(too_long(self.framer.max_line(), "command")),
            Frame::BareNewline { .. } => {
                Err(ParseError::new(ParseErrorKind::BareNewline, 0, "command"))
            }
            _ => Err(ParseError::new(ParseErrorKind::Syntax, 0, "command")),
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
        src.clear();
        self.framer.reset();
        Err(closed_inside("a command line"))
    }
}

mail_sansio::line_encoders!(CommandCodec, CodecError: Reply, EhloReply);

/// The client side: decodes the server's replies, encodes commands.
///
/// A multi-line reply (`250-…` lines up to `250 …`, RFC 5321 §4.2.1) comes out as one
/// [`Reply`] once its last line has arrived. Lines are assembled as they arrive
/// ([`ReplyAssembler`]), so the cost stays linear however the input is split.
///
/// Every error is fatal, as in [`Client`](crate::Client): a reply line longer than
/// [`ReplyLimits::max_line`] (reported as soon as the limit is passed, without buffering the
/// rest), a reply with too many lines or octets, a bare CR or LF, a line without a valid code
/// or with another code than the reply's first line. The decoder's `Err` is
/// [`CodecError::Parse`] then; a connection closed inside a reply is an `UnexpectedEof`
/// [`CodecError::Io`].
///
/// Which reply answers which command, PIPELINING, the body after `354`, BDAT and the STARTTLS
/// reset are left to the caller: see the [module docs](self), or use the
/// [`Client`](crate::Client).
#[derive(Debug, Clone)]
pub struct ReplyCodec {
    framer: LineFramer,
    assembler: ReplyAssembler,
}

impl ReplyCodec {
    /// A codec with the client's default caps (8192 octets per line, 100 lines, 64 KiB).
    pub fn new() -> Self {
        Self::with_limits(ReplyLimits::default())
    }

    /// A codec with the given caps ([`ReplyLimits::strict`] for RFC 5321's 512-octet lines).
    pub fn with_limits(limits: ReplyLimits) -> Self {
        Self {
            framer: LineFramer::new(limits.max_line).with_bare_newline(BareNewline::Reject),
            assembler: ReplyAssembler::new(limits),
        }
    }
}

impl Default for ReplyCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for ReplyCodec {
    type Item = Reply;
    type Error = CodecError;

    /// Takes the next whole reply off `src`, or `None` until its last line has arrived.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Reply>, CodecError> {
        loop {
            match self.framer.next_frame(src) {
                Some(Frame::Line(line)) => {
                    if let Some(reply) = self.assembler.push_line(&line)? {
                        return Ok(Some(reply));
                    }
                }
                Some(Frame::TooLong { .. }) => {
                    return Err(too_long(self.framer.max_line(), "Reply-line").into());
                }
                // Fail as soon as the cap is passed, not when the line finally ends.
                None if self.framer.is_skipping() => {
                    return Err(too_long(self.framer.max_line(), "Reply-line").into());
                }
                None => return Ok(None),
                Some(Frame::BareNewline { .. }) => {
                    return Err(
                        ParseError::new(ParseErrorKind::BareNewline, 0, "Reply-line").into(),
                    );
                }
                Some(_) => {
                    return Err(ParseError::new(ParseErrorKind::Syntax, 0, "Reply-line").into());
                }
            }
        }
    }

    /// As [`decode`](Self::decode); a partial line or an unfinished multi-line reply left at
    /// the end of the input is an `UnexpectedEof` error.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Reply>, CodecError> {
        if let Some(reply) = self.decode(src)? {
            return Ok(Some(reply));
        }
        if src.is_empty() && !self.assembler.is_partial() {
            return Ok(None);
        }
        src.clear();
        self.framer.reset();
        Err(closed_inside("a reply"))
    }
}

mail_sansio::line_encoders!(ReplyCodec, CodecError: Command);

#[cfg(all(test, feature = "tokio-codec"))]
mod tests {
    use mail_sansio::testing::codec::decode_pieces;
    use proptest::prelude::*;
    use tokio_util::codec::Encoder;

    use super::*;
    use crate::reply::ReplyCode;
    use crate::types::Domain;

    fn bytewise<D: Decoder>(codec: &mut D, input: &[u8]) -> Vec<Result<D::Item, String>>
    where
        D::Error: std::fmt::Display,
    {
        decode_pieces(codec, input.chunks(1))
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

    /// Pieces that make commands, replies and the framing cases likely.
    fn wire() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop::sample::select(vec![
            &b"EHLO a.example"[..],
            b"MAIL FROM:<a@b.example>",
            b"AUTH PLAIN ",
            b"QUIT",
            b"250",
            b"250-",
            b"250 ",
            b"354 go",
            b"2.0.0 ",
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

    const SMALL_REPLIES: ReplyLimits = ReplyLimits {
        max_line: 40,
        max_lines: 4,
        max_total: 120,
    };

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary input never panics, and the items do not depend on how it is split.
        #[test]
        fn split_does_not_matter(
            input in wire(),
            points in prop::collection::vec(0usize..800, 0..12),
        ) {
            let mut config = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
            config.limits.command_line = 30;
            config.limits.auth_line = 60;
            let commands = decode_pieces(&mut CommandCodec::from_config(&config), [&input[..]]);
            let chunks = cut(&input, points);
            prop_assert_eq!(
                &decode_pieces(&mut CommandCodec::from_config(&config), chunks.iter().copied()),
                &commands
            );
            prop_assert_eq!(&bytewise(&mut CommandCodec::from_config(&config), &input), &commands);

            let replies = decode_pieces(&mut ReplyCodec::with_limits(SMALL_REPLIES), [&input[..]]);
            prop_assert_eq!(
                &decode_pieces(&mut ReplyCodec::with_limits(SMALL_REPLIES), chunks.iter().copied()),
                &replies
            );
            prop_assert_eq!(&bytewise(&mut ReplyCodec::with_limits(SMALL_REPLIES), &input), &replies);
        }

        /// What the client codec encodes, the server codec decodes, and back.
        #[test]
        fn round_trip(
            lines in prop::collection::vec("([a-zA-Z][ -~]{0,30})?", 1..4),
            code in prop::sample::select(vec![220u16, 250, 334, 354, 421, 550]),
        ) {
            let reply = Reply::multiline(ReplyCode::new(code).unwrap(), None, &lines).unwrap();
            let mut wire = BytesMut::new();
            CommandCodec::new().encode(&reply, &mut wire).unwrap();
            prop_assert_eq!(ReplyCodec::new().decode(&mut wire).unwrap(), Some(reply));
            prop_assert!(wire.is_empty());
        }
    }

    fn whole<D: Decoder>(codec: &mut D, input: &[u8]) -> Vec<Result<D::Item, String>>
    where
        D::Error: std::fmt::Display,
    {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    break;
                }
            }
        }
        out
    }

    fn kind(item: &Result<Result<Command, ParseError>, String>) -> Option<&ParseErrorKind> {
        match item {
            Ok(Err(e)) => Some(&e.kind),
            _ => None,
        }
    }

    #[test]
    fn commands_whole_and_byte_by_byte() {
        let input = b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nQUIT\r\n";
        let got = whole(&mut CommandCodec::new(), input);
        assert_eq!(got.len(), 5);
        assert_eq!(
            got[0],
            Ok(Ok(Command::Ehlo(
                Domain::try_from("client.example").unwrap()
            )))
        );
        assert_eq!(got[3], Ok(Ok(Command::Data)));
        assert_eq!(got[4], Ok(Ok(Command::Quit)));
        assert_eq!(bytewise(&mut CommandCodec::new(), input), got);
    }

    #[test]
    fn over_long_command_is_one_item_and_the_next_line_follows() {
        let mut input = b"NOOP ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 600));
        input.extend_from_slice(b"\r\nQUIT\r\n");
        for got in [
            whole(&mut CommandCodec::new(), &input),
            bytewise(&mut CommandCodec::new(), &input),
        ] {
            assert_eq!(got.len(), 2, "{got:?}");
            assert_eq!(
                kind(&got[0]),
                Some(&ParseErrorKind::TooLong {
                    what: "line",
                    limit: 512
                })
            );
            assert_eq!(got[1], Ok(Ok(Command::Quit)));
        }
    }

    #[test]
    fn auth_line_may_be_longer_but_not_unbounded() {
        let mut auth = b"AUTH PLAIN ".to_vec();
        auth.extend(std::iter::repeat_n(b'A', 4000));
        auth.extend_from_slice(b"\r\n");
        let got = whole(&mut CommandCodec::new(), &auth);
        assert!(matches!(got[..], [Ok(Ok(Command::Auth { .. }))]), "{got:?}");

        // Past the AUTH limit the line is dropped as it arrives: the buffer stays bounded.
        let mut codec = CommandCodec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"AUTH PLAIN ");
        for _ in 0..100 {
            buf.extend_from_slice(&[b'A'; 1000]);
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
            assert!(buf.len() < 12288);
        }
        buf.extend_from_slice(b"\r\nRSET\r\n");
        let item = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(
            item.unwrap_err().kind,
            ParseErrorKind::TooLong {
                what: "line",
                limit: 12288
            }
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Ok(Command::Rset)));
    }

    #[test]
    fn bare_newlines() {
        let input = b"RSET\nNOOP\r\nRS\rET\r\nQUIT\r\n";
        let got = whole(&mut CommandCodec::new(), input);
        // The bare LF ends the refused line: what follows it is the next line.
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(kind(&got[0]), Some(&ParseErrorKind::BareNewline));
        assert_eq!(got[1], Ok(Ok(Command::Noop(None))));
        assert_eq!(kind(&got[2]), Some(&ParseErrorKind::BareNewline));
        assert_eq!(got[3], Ok(Ok(Command::Quit)));
        assert_eq!(bytewise(&mut CommandCodec::new(), input), got);

        // The compatible preset ends a line on a bare LF, as its server does.
        let config = ServerConfig::compatible(Domain::try_from("mx.example").unwrap());
        let got = whole(&mut CommandCodec::from_config(&config), b"RSET\nQUIT\r\n");
        assert_eq!(got, vec![Ok(Ok(Command::Rset)), Ok(Ok(Command::Quit))]);
    }

    #[test]
    fn config_limits_and_options() {
        let mut config = ServerConfig::compatible(Domain::try_from("mx.example").unwrap());
        config.limits.command_line = 12;
        let mut codec = CommandCodec::from_config(&config);
        let got = whole(&mut codec, b"MAIL FROM: <a@b>\r\nNOOP  \r\n");
        assert_eq!(
            kind(&got[0]),
            Some(&ParseErrorKind::TooLong {
                what: "line",
                limit: 12
            })
        );
        assert_eq!(got[1], Ok(Ok(Command::Noop(None))));
        config.limits.command_line = 512;
        let got = whole(
            &mut CommandCodec::from_config(&config),
            b"MAIL FROM: <a@b>\r\n",
        );
        assert!(matches!(got[..], [Ok(Ok(Command::Mail { .. }))]), "{got:?}");
    }

    #[test]
    fn eof_inside_a_command_line() {
        let got = whole(&mut CommandCodec::new(), b"QUIT\r\nNOO");
        assert_eq!(got[0], Ok(Ok(Command::Quit)));
        assert!(got[1].as_ref().unwrap_err().contains("closed inside"));
        assert_eq!(whole(&mut CommandCodec::new(), b""), vec![]);
    }

    #[test]
    fn encodes_replies() {
        let mut codec = CommandCodec::new();
        let mut out = BytesMut::new();
        let reply = Reply::multiline(ReplyCode::OK, None, ["a", "b"]).unwrap();
        codec.encode(&reply, &mut out).unwrap();
        codec.encode(reply, &mut out).unwrap();
        let ehlo = EhloReply::new("mx.example").unwrap();
        codec.encode(&ehlo, &mut out).unwrap();
        codec.encode(ehlo, &mut out).unwrap();
        assert_eq!(
            &out[..],
            b"250-a\r\n250 b\r\n250-a\r\n250 b\r\n250 mx.example\r\n250 mx.example\r\n"
        );
    }

    #[test]
    fn multi_line_replies_assembled() {
        let input =
            b"220 mx ready\r\n250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n354 go\r\n";
        let got = whole(&mut ReplyCodec::new(), input);
        assert_eq!(got.len(), 3, "{got:?}");
        let ehlo = got[1].as_ref().unwrap();
        assert_eq!(ehlo.code(), ReplyCode::OK);
        assert_eq!(
            ehlo.lines().collect::<Vec<_>>(),
            [&b"mx.example"[..], b"PIPELINING", b"SIZE 100"]
        );
        assert_eq!(got[2].as_ref().unwrap().code(), ReplyCode::START_INPUT);
        assert_eq!(bytewise(&mut ReplyCodec::new(), input), got);
    }

    #[test]
    fn reply_errors_are_fatal() {
        let bad: [(&[u8], &str); 5] = [
            (b"250 ok\n", "bare cr or lf"),
            (b"25O ok\r\n", "invalid reply code"),
            (b"250-a\r\n251 b\r\n", "differs"),
            (b"250-a\r\n", "closed inside a reply"),
            (b"250 o", "closed inside a reply"),
        ];
        for (input, want) in bad {
            for got in [
                whole(&mut ReplyCodec::new(), input),
                bytewise(&mut ReplyCodec::new(), input),
            ] {
                let last = got.last().unwrap().as_ref().unwrap_err();
                assert!(last.contains(want), "{input:?}: {last}");
            }
        }
    }

    #[test]
    fn over_long_reply_line_fails_early() {
        let mut codec = ReplyCodec::with_limits(ReplyLimits::strict());
        let mut buf = BytesMut::from(&b"250 "[..]);
        buf.extend_from_slice(&[b'x'; 600]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                CodecError::Parse(ParseError {
                    kind: ParseErrorKind::TooLong { limit: 512, .. },
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn encodes_commands() {
        let mut codec = ReplyCodec::new();
        let mut out = BytesMut::new();
        codec.encode(&Command::Rset, &mut out).unwrap();
        codec
            .encode(
                Command::Ehlo(Domain::try_from("client.example").unwrap()),
                &mut out,
            )
            .unwrap();
        assert_eq!(&out[..], b"RSET\r\nEHLO client.example\r\n");
    }
}
