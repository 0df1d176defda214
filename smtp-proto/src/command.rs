//! SMTP commands (RFC 5321 §4.1 and the service extensions), decoded straight from a line.
//!
//! The verb is matched on its first four bytes, case-insensitively, with one integer compare;
//! simple commands allocate nothing. [`CommandRef`] parses a line in place, its values
//! borrowed from it; [`Command`] is its owned form, built from it.

mod borrowed;

use bytes::{Bytes, BytesMut};
use mail_sansio::{Parsed, Secret};

pub use borrowed::CommandRef;

use crate::error::{ParseError, ParseErrorKind};
use crate::parse;
use crate::types::{
    Domain, ForwardPath, MailParameters, MechanismName, RcptParameters, ReversePath, Text,
};

/// RFC 4954 §4: an AUTH line with its initial response may be 12288 octets.
pub const MAX_AUTH_LINE: usize = 12288;

/// One client command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `HELO SP Domain` (RFC 5321 §4.1.1.1).
    Helo(Domain),
    /// `EHLO SP ( Domain / address-literal )`.
    Ehlo(Domain),
    /// `LHLO` (RFC 2033 §4.1), LMTP's EHLO.
    Lhlo(Domain),
    /// `MAIL FROM:Reverse-path [SP Mail-parameters]`.
    Mail {
        /// The return path.
        from: ReversePath,
        /// Typed parameters.
        params: MailParameters,
    },
    /// `RCPT TO:Forward-path [SP Rcpt-parameters]`.
    Rcpt {
        /// The recipient.
        to: ForwardPath,
        /// Typed parameters.
        params: RcptParameters,
    },
    /// `DATA`.
    Data,
    /// `BDAT SP chunk-size [SP "LAST"]` (RFC 3030 §2).
    Bdat {
        /// Octets of the chunk that follows the line.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `VRFY SP String`.
    Vrfy(Text),
    /// `EXPN SP String`.
    Expn(Text),
    /// `HELP [SP String]`.
    Help(Option<Text>),
    /// `NOOP [SP String]`.
    Noop(Option<Text>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207), no argument.
    StartTls,
    /// `AUTH SP sasl-mech [SP initial-response]` (RFC 4954 §4); `=` is an empty response.
    Auth {
        /// The mechanism.
        mechanism: MechanismName,
        /// The base64 initial response as sent (redacted in Debug).
        initial_response: Option<Secret<Text>>,
    },
    /// `ETRN SP node` (RFC 1985).
    Etrn(Text),
    /// `BURL SP absolute-URI [SP "LAST"]` (RFC 4468).
    Burl {
        /// The URL.
        url: Text,
        /// Whether this completes the message.
        last: bool,
    },
    /// A verb this crate does not know, with its raw line (without CRLF).
    Unknown(Bytes),
}

/// Leniencies for real-world clients; each is off in the strict preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept `MAIL FROM: <a@b>` (a space after the colon; RFC 5321 has none).
    pub space_after_colon: bool,
    /// Ignore trailing spaces and tabs on a command line.
    pub trailing_whitespace: bool,
}

impl ParseOptions {
    /// Both leniencies on.
    pub const fn lenient() -> Self {
        Self {
            space_after_colon: true,
            trailing_whitespace: true,
        }
    }
}

const fn fold(b: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*b) | 0x2020_2020
}

const HELO: u32 = fold(b"helo");
const EHLO: u32 = fold(b"ehlo");
const LHLO: u32 = fold(b"lhlo");
const MAIL: u32 = fold(b"mail");
const RCPT: u32 = fold(b"rcpt");
const DATA: u32 = fold(b"data");
const BDAT: u32 = fold(b"bdat");
const RSET: u32 = fold(b"rset");
const VRFY: u32 = fold(b"vrfy");
const EXPN: u32 = fold(b"expn");
const HELP: u32 = fold(b"help");
const NOOP: u32 = fold(b"noop");
const QUIT: u32 = fold(b"quit");
const STAR: u32 = fold(b"star");
const AUTH: u32 = fold(b"auth");
const ETRN: u32 = fold(b"etrn");
const BURL: u32 = fold(b"burl");

fn err(kind: ParseErrorKind, offset: usize, rule: &'static str) -> ParseError {
    ParseError::new(kind, offset, rule)
}

fn last_marker(arg: &[u8], offset: usize, rule: &'static str) -> Result<bool, ParseError> {
    match arg {
        [] => Ok(false),
        a if a.eq_ignore_ascii_case(b"LAST") => Ok(true),
        _ => Err(err(ParseErrorKind::Syntax, offset, rule)),
    }
}

impl Command {
    /// Decodes one command line from the front of `input` (it must end with CRLF), with strict
    /// [`ParseOptions`]. A line longer than [`MAX_AUTH_LINE`] is an error.
    #[inline]
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Ok(match CommandRef::decode(input)? {
            Parsed::Complete { value, consumed } => Parsed::Complete {
                value: value.into_owned(),
                consumed,
            },
            Parsed::Incomplete => Parsed::Incomplete,
        })
    }

    /// Parses one command line (without its CRLF), strictly.
    pub fn from_line(line: &[u8]) -> Result<Self, ParseError> {
        Self::from_line_with(line, ParseOptions::default())
    }

    /// Parses one command line (without its CRLF) with the given leniencies. Unknown verbs are
    /// returned as [`Command::Unknown`], not as errors.
    #[inline]
    pub fn from_line_with(line: &[u8], options: ParseOptions) -> Result<Self, ParseError> {
        CommandRef::from_line_with(line, options).map(CommandRef::into_owned)
    }

    /// The verb as sent, for logs (upper case for known verbs).
    pub fn verb(&self) -> &str {
        match self {
            Self::Helo(_) => "HELO",
            Self::Ehlo(_) => "EHLO",
            Self::Lhlo(_) => "LHLO",
            Self::Mail { .. } => "MAIL",
            Self::Rcpt { .. } => "RCPT",
            Self::Data => "DATA",
            Self::Bdat { .. } => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy(_) => "VRFY",
            Self::Expn(_) => "EXPN",
            Self::Help(_) => "HELP",
            Self::Noop(_) => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth { .. } => "AUTH",
            Self::Etrn(_) => "ETRN",
            Self::Burl { .. } => "BURL",
            Self::Unknown(line) => {
                let (verb, _) = parse::split_word(line);
                std::str::from_utf8(verb).unwrap_or("?")
            }
        }
    }

    /// Writes the command and its CRLF.
    pub fn encode(&self, out: &mut BytesMut) {
        let put = |out: &mut BytesMut, verb: &[u8], arg: Option<&str>| {
            out.extend_from_slice(verb);
            if let Some(a) = arg {
                out.extend_from_slice(b" ");
                out.extend_from_slice(a.as_bytes());
            }
        };
        match self {
            Self::Helo(d) => put(out, b"HELO", Some(d.as_str())),
            Self::Ehlo(d) => put(out, b"EHLO", Some(d.as_str())),
            Self::Lhlo(d) => put(out, b"LHLO", Some(d.as_str())),
            Self::Mail { from, params } => {
                out.extend_from_slice(b"MAIL FROM:");
                from.encode(out);
                params.encode(out);
            }
            Self::Rcpt { to, params } => {
                out.extend_from_slice(b"RCPT TO:");
                to.encode(out);
                params.encode(out);
            }
            Self::Data => out.extend_from_slice(b"DATA"),
            Self::Bdat { size, last } => {
                out.extend_from_slice(format!("BDAT {size}").as_bytes());
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Self::Rset => out.extend_from_slice(b"RSET"),
            Self::Vrfy(t) => put(out, b"VRFY", Some(t.as_str())),
            Self::Expn(t) => put(out, b"EXPN", Some(t.as_str())),
            Self::Help(t) => put(out, b"HELP", t.as_ref().map(Text::as_str)),
            Self::Noop(t) => put(out, b"NOOP", t.as_ref().map(Text::as_str)),
            Self::Quit => out.extend_from_slice(b"QUIT"),
            Self::StartTls => out.extend_from_slice(b"STARTTLS"),
            Self::Auth {
                mechanism,
                initial_response,
            } => {
                put(out, b"AUTH", Some(mechanism.as_str()));
                if let Some(ir) = initial_response {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(ir.expose().as_str().as_bytes());
                }
            }
            Self::Etrn(t) => put(out, b"ETRN", Some(t.as_str())),
            Self::Burl { url, last } => {
                put(out, b"BURL", Some(url.as_str()));
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Self::Unknown(line) => out.extend_from_slice(line),
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Command {
        Command::from_line(s.as_bytes()).unwrap()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            p("ehlo client.example"),
            Command::Ehlo(Domain::try_from("client.example").unwrap())
        );
        assert_eq!(p("QUIT"), Command::Quit);
        assert_eq!(p("StartTLS"), Command::StartTls);
        assert!(Command::from_line(b"STARTTLS x").is_err());
        assert!(Command::from_line(b"DATA x").is_err());
        assert!(matches!(p("STARTTLSX"), Command::Unknown(_)));
        assert!(matches!(p("FOOBAR baz"), Command::Unknown(_)));
        assert!(matches!(p("X"), Command::Unknown(_)));
        assert_eq!(
            p("BDAT 10 LAST"),
            Command::Bdat {
                size: 10,
                last: true
            }
        );
        assert_eq!(
            p("BDAT 0"),
            Command::Bdat {
                size: 0,
                last: false
            }
        );
        assert!(Command::from_line(b"BDAT 18446744073709551616 LAST").is_err());
        assert!(Command::from_line(b"BDAT 1234567890123456789012").is_err());
        let Command::Mail { from, params } = p("MAIL FROM:<> SIZE=10") else {
            panic!()
        };
        assert_eq!(from, ReversePath::Null);
        assert_eq!(params.size, Some(10));
        assert_eq!(
            p("RCPT TO:<PostMaster>"),
            Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: RcptParameters::default()
            }
        );
        assert!(Command::from_line(b"RCPT TO:<>").is_err());
        assert!(Command::from_line(b"MAIL FROM:<>>>>").is_err());
        assert!(Command::from_line(b"MAIL FROM:<a@b.example>x").is_err());
        assert!(Command::from_line(b"MAIL FROM: <a@b.example>").is_err());
        assert!(
            Command::from_line_with(b"MAIL FROM: <a@b.example>", ParseOptions::lenient()).is_ok()
        );
        let Command::Rcpt { to, .. } = p("RCPT TO:<@a.example,@b.example:u@c.example>") else {
            panic!()
        };
        assert_eq!(to.mailbox().unwrap().as_str(), "u@c.example");
        let Command::Rcpt { to, .. } = p("RCPT TO:<\"john doe\"@example.org>") else {
            panic!()
        };
        assert_eq!(to.mailbox().unwrap().local_part(), "\"john doe\"");
        let Command::Auth {
            mechanism,
            initial_response,
        } = p("AUTH plain AGEAYg==")
        else {
            panic!()
        };
        assert_eq!(
            mechanism,
            MechanismName::from(mail_sansio::sasl::Mechanism::Plain)
        );
        assert_eq!(initial_response.unwrap().expose().as_str(), "AGEAYg==");
        assert!(Command::from_line(b"AUTH PLAIN a b").is_err());
        assert_eq!(p("NOOP"), Command::Noop(None));
        assert!(Command::from_line(b"VRFY").is_err());
        assert_eq!(
            Command::decode(b"RSET\r\nQUIT").unwrap(),
            Parsed::Complete {
                value: Command::Rset,
                consumed: 6
            }
        );
        assert_eq!(Command::decode(b"RSE").unwrap(), Parsed::Incomplete);
        assert!(Command::decode(b"RSET\n").is_err());
        assert!(Command::from_line_with(b"RSET  ", ParseOptions::lenient()).is_ok());
        assert!(Command::from_line(b"MAIL FROM:<a@b> FOO=BAR").is_ok());
    }
}
