//! Commands a client sends (RFC 1939 §§5–7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH,
//! RFC 6856 UTF8) and the SASL lines of an AUTH exchange.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::{BufMut, BytesMut};
use mail_sansio::{Parsed, Secret};

use crate::config::MAX_COMMAND_LINE;
use crate::error::ParseError;
use crate::parse;
use crate::types::{ApopDigest, MechanismName, MessageNumber, Password, Username};

/// One POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name` (RFC 1939 §7).
    User(Username),
    /// `PASS string` (RFC 1939 §7); the password may contain spaces.
    Pass(Password),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox name.
        name: Username,
        /// MD5 of the greeting timestamp and the shared secret.
        digest: ApopDigest,
    },
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5): multi-line without argument, single-line with one.
    List(Option<MessageNumber>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(MessageNumber),
    /// `DELE msg` (RFC 1939 §5): only marks the message; it goes away at QUIT.
    Dele(MessageNumber),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5): unmarks every deleted message.
    Rset,
    /// `QUIT` (RFC 1939 §§4, 6): in TRANSACTION it commits the deletions.
    Quit,
    /// `TOP msg n` (RFC 1939 §7): the header and the first `n` body lines.
    Top {
        /// Which message.
        message: MessageNumber,
        /// How many body lines.
        lines: u64,
    },
    /// `UIDL [msg]` (RFC 1939 §7): multi-line without argument, single-line with one.
    Uidl(Option<MessageNumber>),
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH mechanism [initial-response]` (RFC 5034 §4).
    Auth {
        /// The SASL mechanism.
        mechanism: MechanismName,
        /// The initial response, already decoded; `Some` of an empty value is sent as `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `UTF8` (RFC 6856 §2).
    Utf8,
}

/// The name of a command, for events and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `USER`
    User,
    /// `PASS`
    Pass,
    /// `APOP`
    Apop,
    /// `STAT`
    Stat,
    /// `LIST`
    List,
    /// `RETR`
    Retr,
    /// `DELE`
    Dele,
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP`
    Top,
    /// `UIDL`
    Uidl,
    /// `CAPA`
    Capa,
    /// `STLS`
    Stls,
    /// `AUTH`
    Auth,
    /// `UTF8`
    Utf8,
}

impl CommandKind {
    /// The keyword as sent on the wire.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Retr => "RETR",
            Self::Dele => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Top => "TOP",
            Self::Uidl => "UIDL",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl Command {
    /// Which command this is.
    pub const fn kind(&self) -> CommandKind {
        match self {
            Self::User(_) => CommandKind::User,
            Self::Pass(_) => CommandKind::Pass,
            Self::Apop { .. } => CommandKind::Apop,
            Self::Stat => CommandKind::Stat,
            Self::List(_) => CommandKind::List,
            Self::Retr(_) => CommandKind::Retr,
            Self::Dele(_) => CommandKind::Dele,
            Self::Noop => CommandKind::Noop,
            Self::Rset => CommandKind::Rset,
            Self::Quit => CommandKind::Quit,
            Self::Top { .. } => CommandKind::Top,
            Self::Uidl(_) => CommandKind::Uidl,
            Self::Capa => CommandKind::Capa,
            Self::Stls => CommandKind::Stls,
            Self::Auth { .. } => CommandKind::Auth,
            Self::Utf8 => CommandKind::Utf8,
        }
    }

    /// Whether a positive answer to this command is multi-line (RFC 1939 §§5–7, RFC 2449 §5):
    /// LIST and UIDL without argument, RETR, TOP and CAPA.
    pub const fn expects_multi_line(&self) -> bool {
        matches!(
            self,
            Self::List(None) | Self::Uidl(None) | Self::Retr(_) | Self::Top { .. } | Self::Capa
        )
    }

    /// Appends the command line, CRLF included.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.put_slice(self.kind().keyword().as_bytes());
        match self {
            Self::User(name) => put_arg(dst, name.as_str().as_bytes()),
            Self::Pass(pw) => put_arg(dst, pw.expose().as_bytes()),
            Self::Apop { name, digest } => {
                put_arg(dst, name.as_str().as_bytes());
                put_arg(dst, digest.as_str().as_bytes());
            }
            Self::List(Some(n)) | Self::Uidl(Some(n)) | Self::Retr(n) | Self::Dele(n) => {
                put_arg(dst, n.to_string().as_bytes());
            }
            Self::Top { message, lines } => {
                put_arg(dst, message.to_string().as_bytes());
                put_arg(dst, lines.to_string().as_bytes());
            }
            Self::Auth {
                mechanism,
                initial_response,
            } => {
                put_arg(dst, mechanism.as_str().as_bytes());
                if let Some(ir) = initial_response {
                    dst.put_u8(b' ');
                    if ir.expose().is_empty() {
                        dst.put_u8(b'=');
                    } else {
                        dst.put_slice(STANDARD.encode(ir.expose()).as_bytes());
                    }
                }
            }
            Self::Stat
            | Self::List(None)
            | Self::Uidl(None)
            | Self::Noop
            | Self::Rset
            | Self::Quit
            | Self::Capa
            | Self::Stls
            | Self::Utf8 => {}
        }
        dst.put_slice(b"\r\n");
    }

    /// The length of the encoded line, CRLF included.
    pub fn encoded_len(&self) -> usize {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf.len()
    }

    /// Decodes one command line (at most 255 octets, RFC 2449 §4) from the front of `src`.
    ///
    /// ```text
    /// command = keyword *(SP param) CRLF   ; RFC 2449 §3
    /// ```
    pub fn decode(src: &[u8]) -> Result<Parsed<Self>, ParseError> {
        let Some(line) = parse::split_line(src, MAX_COMMAND_LINE)? else {
            return Ok(Parsed::Incomplete);
        };
        Ok(Parsed::Complete {
            value: Self::parse_line(line.content)?,
            consumed: line.consumed,
        })
    }

    /// Parses a command line whose CRLF was already removed (for example by a line framer).
    pub fn parse_line(line: &[u8]) -> Result<Self, ParseError> {
        parse::command::command(line)
    }
}

fn put_arg(dst: &mut BytesMut, arg: &[u8]) {
    dst.put_u8(b' ');
    dst.put_slice(arg);
}

/// A client line inside an AUTH exchange (RFC 5034 §4): base64 data or `*` to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthResponse {
    /// The decoded response (may be empty, sent as an empty line).
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}

impl AuthResponse {
    /// Appends the line, CRLF included.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Self::Data(data) => dst.put_slice(STANDARD.encode(data.expose()).as_bytes()),
            Self::Cancel => dst.put_u8(b'*'),
        }
        dst.put_slice(b"\r\n");
    }

    /// Decodes one AUTH response line from the front of `src`, at most `limit` octets.
    ///
    /// ```text
    /// auth-response = *(base64) / "*"   ; RFC 5034 §4, then CRLF
    /// ```
    pub fn decode(src: &[u8], limit: usize) -> Result<Parsed<Self>, ParseError> {
        let Some(line) = parse::split_line(src, limit)? else {
            return Ok(Parsed::Incomplete);
        };
        Ok(Parsed::Complete {
            value: Self::parse_line(line.content)?,
            consumed: line.consumed,
        })
    }

    /// Parses an AUTH response line whose CRLF was already removed.
    pub fn parse_line(line: &[u8]) -> Result<Self, ParseError> {
        if line == b"*" {
            return Ok(Self::Cancel);
        }
        parse::command::base64(line, "auth-response", 0).map(|d| Self::Data(Secret::new(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(c: &Command) -> String {
        let mut b = BytesMut::new();
        c.encode(&mut b);
        String::from_utf8(b.to_vec()).unwrap()
    }

    fn dec(s: &str) -> Result<Command, ParseError> {
        match Command::decode(s.as_bytes())? {
            Parsed::Complete { value, consumed } => {
                assert_eq!(consumed, s.len());
                Ok(value)
            }
            Parsed::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn known_answers() {
        let n = |x| MessageNumber::new(x).unwrap();
        let table: Vec<(&str, Command)> = vec![
            (
                "USER mrose\r\n",
                Command::User(Username::try_from("mrose").unwrap()),
            ),
            (
                "PASS a b  c\r\n",
                Command::Pass(Password::try_from("a b  c").unwrap()),
            ),
            (
                "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
                Command::Apop {
                    name: Username::try_from("mrose").unwrap(),
                    digest: ApopDigest::try_from("c4c9334bac560ecc979e58001b3e22fb").unwrap(),
                },
            ),
            ("STAT\r\n", Command::Stat),
            ("LIST\r\n", Command::List(None)),
            ("LIST 2\r\n", Command::List(Some(n(2)))),
            ("RETR 1\r\n", Command::Retr(n(1))),
            ("DELE 7\r\n", Command::Dele(n(7))),
            ("NOOP\r\n", Command::Noop),
            ("RSET\r\n", Command::Rset),
            ("QUIT\r\n", Command::Quit),
            (
                "TOP 1 0\r\n",
                Command::Top {
                    message: n(1),
                    lines: 0,
                },
            ),
            ("UIDL\r\n", Command::Uidl(None)),
            ("UIDL 3\r\n", Command::Uidl(Some(n(3)))),
            ("CAPA\r\n", Command::Capa),
            ("STLS\r\n", Command::Stls),
            ("UTF8\r\n", Command::Utf8),
            (
                "AUTH PLAIN\r\n",
                Command::Auth {
                    mechanism: crate::parse_mechanism("PLAIN").unwrap(),
                    initial_response: None,
                },
            ),
            (
                "AUTH PLAIN =\r\n",
                Command::Auth {
                    mechanism: crate::parse_mechanism("PLAIN").unwrap(),
                    initial_response: Some(Secret::new(vec![])),
                },
            ),
            (
                "AUTH PLAIN AHRlc3QAc2VjcmV0\r\n",
                Command::Auth {
                    mechanism: crate::parse_mechanism("PLAIN").unwrap(),
                    initial_response: Some(Secret::new(b"\0test\0secret".to_vec())),
                },
            ),
        ];
        for (wire, cmd) in table {
            assert_eq!(enc(&cmd), wire);
            assert_eq!(dec(wire).unwrap(), cmd, "{wire:?}");
        }
        assert_eq!(dec("list 2\r\n").unwrap(), Command::List(Some(n(2))));
    }

    #[test]
    fn rejects() {
        for bad in [
            "RETR 0\r\n",
            "RETR 4294967296\r\n",
            "RETR +1\r\n",
            "RETR 1 x\r\n",
            "RETR\r\n",
            "TOP 1\r\n",
            "TOP 1 -1\r\n",
            "STAT x\r\n",
            "LIST  1\r\n",
            "USER\r\n",
            "USER a b\r\n",
            "PASS\r\n",
            "AUTH\r\n",
            "AUTH PLAIN !!!\r\n",
            "AUTH PLAIN QQ\r\n",
            "XYZZY\r\n",
            "\r\n",
        ] {
            assert!(dec(bad).is_err(), "{bad:?}");
        }
        assert_eq!(dec("XYZZY\r\n").unwrap_err(), ParseError::UnknownCommand);
        assert!(matches!(
            Command::decode(format!("USER {}\r\n", "a".repeat(250)).as_bytes()),
            Err(ParseError::LineTooLong { limit: 255 })
        ));
        assert_eq!(Command::decode(b"STA").unwrap(), Parsed::Incomplete);
        assert!(Command::decode(b"STAT\n").is_err());
    }

    #[test]
    fn auth_lines() {
        let mut b = BytesMut::new();
        AuthResponse::Cancel.encode(&mut b);
        AuthResponse::Data(Secret::new(vec![])).encode(&mut b);
        assert_eq!(&b[..], b"*\r\n\r\n");
        assert_eq!(
            AuthResponse::parse_line(b"*").unwrap(),
            AuthResponse::Cancel
        );
        assert_eq!(
            AuthResponse::parse_line(b"").unwrap(),
            AuthResponse::Data(Secret::new(vec![]))
        );
        assert!(AuthResponse::parse_line(b"QUJDR").is_err());
        assert!(AuthResponse::parse_line(b"QQ==QQ==").is_err());
    }
}
