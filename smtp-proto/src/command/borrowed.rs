//! [`CommandRef`]: a command parsed in place, its values borrowed from the line.
//!
//! One pass over the line: the verb is four bytes folded into one integer, and each argument
//! is read by its own grammar with byte-class tables (paths, domains, parameters), which
//! already refuse CR, LF and NUL. Only free text (VRFY, NOOP, HELP, unknown verbs) is searched
//! for them separately, and a line that fails is searched once more so that a forbidden byte
//! is always the error reported, wherever the grammar stopped.

use bytes::Bytes;
use mail_sansio::{Parsed, Secret};

use super::{
    AUTH, BDAT, BURL, Command, DATA, EHLO, ETRN, EXPN, HELO, HELP, LHLO, MAIL, MAX_AUTH_LINE, NOOP,
    ParseOptions, QUIT, RCPT, RSET, STAR, VRFY, err, fold, last_marker,
};
use crate::error::{ParseError, ParseErrorKind};
use crate::parse;
use crate::types::{
    DomainRef, ForwardPathRef, MailParametersRef, MechanismName, RcptParametersRef, ReversePathRef,
    Text,
};

/// One client command, borrowed from the line it was parsed from: what [`Command`] holds, as
/// views into the input. Every check of [`Command::decode`] is made; [`CommandRef::into_owned`]
/// copies the values out without checking them again, when they must outlive the input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandRef<'a> {
    /// `HELO SP Domain` (RFC 5321 §4.1.1.1).
    Helo(DomainRef<'a>),
    /// `EHLO SP ( Domain / address-literal )`.
    Ehlo(DomainRef<'a>),
    /// `LHLO` (RFC 2033 §4.1), LMTP's EHLO.
    Lhlo(DomainRef<'a>),
    /// `MAIL FROM:Reverse-path [SP Mail-parameters]`.
    Mail {
        /// The return path.
        from: ReversePathRef<'a>,
        /// Typed parameters.
        params: MailParametersRef<'a>,
    },
    /// `RCPT TO:Forward-path [SP Rcpt-parameters]`.
    Rcpt {
        /// The recipient.
        to: ForwardPathRef<'a>,
        /// Typed parameters.
        params: RcptParametersRef<'a>,
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
    Vrfy(&'a str),
    /// `EXPN SP String`.
    Expn(&'a str),
    /// `HELP [SP String]`.
    Help(Option<&'a str>),
    /// `NOOP [SP String]`.
    Noop(Option<&'a str>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207), no argument.
    StartTls,
    /// `AUTH SP sasl-mech [SP initial-response]` (RFC 4954 §4); `=` is an empty response.
    Auth {
        /// The mechanism.
        mechanism: MechanismName,
        /// The base64 initial response as sent (redacted in Debug).
        initial_response: Option<Secret<&'a str>>,
    },
    /// `ETRN SP node` (RFC 1985).
    Etrn(&'a str),
    /// `BURL SP absolute-URI [SP "LAST"]` (RFC 4468).
    Burl {
        /// The URL.
        url: &'a str,
        /// Whether this completes the message.
        last: bool,
    },
    /// A verb this crate does not know, with its raw line (without CRLF).
    Unknown(&'a [u8]),
}

/// The error for the first CR, LF or NUL of `line`, if it holds one.
fn forbidden(line: &[u8]) -> Option<ParseError> {
    parse::find_forbidden(line).map(|(i, b)| err(ParseErrorKind::ForbiddenByte(b), i, "command"))
}

/// A line with a verb this crate does not know: kept whole, unless it holds a forbidden byte.
fn unknown(line: &[u8]) -> Result<CommandRef<'_>, ParseError> {
    match forbidden(line) {
        Some(e) => Err(e),
        None => Ok(CommandRef::Unknown(line)),
    }
}

/// `String` and other free text: any octets but CR, LF and NUL, UTF-8.
#[inline(always)]
fn text<'a>(arg: &'a [u8], offset: usize, rule: &'static str) -> Result<&'a str, ParseError> {
    if let Some(e) = forbidden(arg) {
        return Err(e);
    }
    std::str::from_utf8(arg).map_err(|_| err(ParseErrorKind::InvalidUtf8, offset, rule))
}

/// How many decimal digits `n` has.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

impl<'a> CommandRef<'a> {
    /// Decodes one command line from the front of `input` (it must end with CRLF), with strict
    /// [`ParseOptions`]. A line longer than [`MAX_AUTH_LINE`] is an error. Inlined: the
    /// command is then built straight into the caller's result instead of being returned
    /// through memory and copied (what [`Command::decode`] converts).
    #[inline(always)]
    pub fn decode(input: &'a [u8]) -> Result<Parsed<Self>, ParseError> {
        // Fast path: the argument-less verbs of every pipelined transaction, `VERB CRLF`.
        if let Some((head, b"\r\n")) = input
            .split_first_chunk::<4>()
            .and_then(|(h, rest)| rest.split_first_chunk::<2>().map(|(crlf, _)| (h, crlf)))
        {
            let value = match fold(head) {
                DATA => Some(Self::Data),
                RSET => Some(Self::Rset),
                QUIT => Some(Self::Quit),
                NOOP => Some(Self::Noop(None)),
                _ => None,
            };
            if let Some(value) = value {
                return Ok(Parsed::Complete { value, consumed: 6 });
            }
        }
        let Some(lf) = memchr::memchr(b'\n', input) else {
            if input.len() >= MAX_AUTH_LINE {
                return Err(too_long());
            }
            return Ok(Parsed::Incomplete);
        };
        if lf + 1 > MAX_AUTH_LINE {
            return Err(too_long());
        }
        let line = match lf.checked_sub(1) {
            Some(end) if input.get(end) == Some(&b'\r') => input.get(..end).unwrap_or_default(),
            _ => return Err(err(ParseErrorKind::BareNewline, lf, "command")),
        };
        let value = Self::from_line_with(line, ParseOptions::default())?;
        Ok(Parsed::Complete {
            value,
            consumed: lf + 1,
        })
    }

    /// Parses one command line (without its CRLF), strictly.
    pub fn from_line(line: &'a [u8]) -> Result<Self, ParseError> {
        Self::from_line_with(line, ParseOptions::default())
    }

    /// Parses one command line (without its CRLF) with the given leniencies. Unknown verbs are
    /// returned as [`CommandRef::Unknown`], not as errors.
    #[inline(always)]
    pub fn from_line_with(line: &'a [u8], options: ParseOptions) -> Result<Self, ParseError> {
        let mut line = line;
        if options.trailing_whitespace {
            while let Some((b' ' | b'\t', rest)) = line.split_last() {
                line = rest;
            }
        }
        // A forbidden byte is the error, wherever the grammar stopped.
        Self::parse_line(line, options).map_err(|e| forbidden(line).unwrap_or(e))
    }

    /// ```text
    /// command = verb [SP argument]   ; the verb is four letters, or STARTTLS
    /// ```
    #[inline(always)]
    fn parse_line(line: &'a [u8], options: ParseOptions) -> Result<Self, ParseError> {
        let Some(head) = line.first_chunk::<4>() else {
            return unknown(line);
        };
        let verb = fold(head);
        let (sep, arg) = match line.get(4) {
            None => (false, &b""[..]),
            Some(b' ') => (true, line.get(5..).unwrap_or_default()),
            Some(_) if verb == STAR => (false, line.get(4..).unwrap_or_default()),
            Some(_) => return unknown(line),
        };
        let no_arg = |cmd: Self| {
            if sep {
                Err(err(ParseErrorKind::UnexpectedArgument, 4, "command"))
            } else {
                Ok(cmd)
            }
        };
        match verb {
            HELO | EHLO | LHLO => {
                // The argument names the client, not a mailbox: its errors carry the command's
                // rule, so the reply is 501 5.5.4 rather than an address code (RFC 3463).
                let rule = match verb {
                    HELO => "helo",
                    EHLO => "ehlo",
                    _ => "lhlo",
                };
                if arg.is_empty() {
                    return Err(err(ParseErrorKind::MissingArgument, 4, rule));
                }
                let d = DomainRef::parse(arg).map_err(|e| e.shifted(5).in_rule(rule))?;
                Ok(match verb {
                    HELO => Self::Helo(d),
                    EHLO => Self::Ehlo(d),
                    _ => Self::Lhlo(d),
                })
            }
            MAIL => {
                let rest =
                    prefix(arg, b"FROM:", options).ok_or(err(ParseErrorKind::Syntax, 5, "mail"))?;
                let base = line.len() - rest.len();
                let (from, len) = ReversePathRef::parse(rest).map_err(|e| e.shifted(base))?;
                let params = params(rest, len, base)?;
                let params =
                    MailParametersRef::parse(params).map_err(|e| e.shifted(base + len + 1))?;
                Ok(Self::Mail { from, params })
            }
            RCPT => {
                let rest =
                    prefix(arg, b"TO:", options).ok_or(err(ParseErrorKind::Syntax, 5, "rcpt"))?;
                let base = line.len() - rest.len();
                let (to, len) = ForwardPathRef::parse(rest).map_err(|e| e.shifted(base))?;
                let params = params(rest, len, base)?;
                let params =
                    RcptParametersRef::parse(params).map_err(|e| e.shifted(base + len + 1))?;
                Ok(Self::Rcpt { to, params })
            }
            DATA => no_arg(Self::Data),
            RSET => no_arg(Self::Rset),
            QUIT => no_arg(Self::Quit),
            STAR => {
                if !arg
                    .get(..4)
                    .is_some_and(|t| t.eq_ignore_ascii_case(b"TTLS"))
                    || sep
                {
                    return unknown(line);
                }
                match arg.get(4) {
                    None => Ok(Self::StartTls),
                    Some(b' ') => Err(err(ParseErrorKind::UnexpectedArgument, 8, "command")),
                    Some(_) => unknown(line),
                }
            }
            BDAT => {
                let (size, marker) = parse::split_word(arg);
                let size = parse::number(size, 20, "BDAT chunk-size", "chunk-size")
                    .map_err(|e| e.shifted(5))?;
                let last = last_marker(marker, 6 + decimal_len(size), "end-marker")?;
                Ok(Self::Bdat { size, last })
            }
            VRFY | EXPN | ETRN => {
                if arg.is_empty() {
                    return Err(err(ParseErrorKind::MissingArgument, 4, "String"));
                }
                let t = text(arg, 5, "String")?;
                Ok(match verb {
                    VRFY => Self::Vrfy(t),
                    EXPN => Self::Expn(t),
                    _ => Self::Etrn(t),
                })
            }
            HELP | NOOP => {
                let t = if arg.is_empty() {
                    None
                } else {
                    Some(text(arg, 5, "String")?)
                };
                Ok(if verb == HELP {
                    Self::Help(t)
                } else {
                    Self::Noop(t)
                })
            }
            AUTH => {
                let (mech, ir) = parse::split_word(arg);
                let mechanism = MechanismName::parse(mech).ok_or(err(
                    ParseErrorKind::Syntax,
                    5,
                    "sasl-mech",
                ))?;
                let initial_response = if ir.is_empty() {
                    None
                } else if ir == b"="
                    || ir
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                {
                    Some(Secret::new(text(ir, 6 + mech.len(), "initial-response")?))
                } else {
                    return Err(err(
                        ParseErrorKind::Syntax,
                        6 + mech.len(),
                        "initial-response",
                    ));
                };
                Ok(Self::Auth {
                    mechanism,
                    initial_response,
                })
            }
            BURL => {
                let (url, marker) = parse::split_word(arg);
                if url.is_empty() {
                    return Err(err(ParseErrorKind::MissingArgument, 4, "absolute-URI"));
                }
                let last = last_marker(marker, 6 + url.len(), "end-marker")?;
                Ok(Self::Burl {
                    url: text(url, 5, "absolute-URI")?,
                    last,
                })
            }
            _ => unknown(line),
        }
    }

    /// The verb as sent, for logs (upper case for known verbs).
    pub fn verb(&self) -> &'a str {
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

    /// The owned [`Command`]: the values are copied (inline when short), not checked again.
    #[inline(always)]
    pub fn into_owned(self) -> Command {
        match self {
            Self::Helo(d) => Command::Helo(d.into_owned()),
            Self::Ehlo(d) => Command::Ehlo(d.into_owned()),
            Self::Lhlo(d) => Command::Lhlo(d.into_owned()),
            Self::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_owned(),
            },
            Self::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_owned(),
            },
            Self::Data => Command::Data,
            Self::Bdat { size, last } => Command::Bdat { size, last },
            Self::Rset => Command::Rset,
            Self::Vrfy(t) => Command::Vrfy(Text::from_trusted(t)),
            Self::Expn(t) => Command::Expn(Text::from_trusted(t)),
            Self::Help(t) => Command::Help(t.map(Text::from_trusted)),
            Self::Noop(t) => Command::Noop(t.map(Text::from_trusted)),
            Self::Quit => Command::Quit,
            Self::StartTls => Command::StartTls,
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism,
                initial_response: initial_response
                    .map(|ir| Secret::new(Text::from_trusted(ir.expose()))),
            },
            Self::Etrn(t) => Command::Etrn(Text::from_trusted(t)),
            Self::Burl { url, last } => Command::Burl {
                url: Text::from_trusted(url),
                last,
            },
            Self::Unknown(line) => Command::Unknown(Bytes::copy_from_slice(line)),
        }
    }
}

impl From<CommandRef<'_>> for Command {
    fn from(command: CommandRef<'_>) -> Self {
        command.into_owned()
    }
}

#[cold]
fn too_long() -> ParseError {
    err(
        ParseErrorKind::TooLong {
            what: "line",
            limit: MAX_AUTH_LINE,
        },
        0,
        "command",
    )
}

/// `FROM:` / `TO:`, case-insensitive, with an optional space after the colon if allowed.
#[inline(always)]
fn prefix<'a>(arg: &'a [u8], word: &[u8], options: ParseOptions) -> Option<&'a [u8]> {
    let head = arg.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = arg.get(word.len()..)?;
    if options.space_after_colon {
        return Some(rest.strip_prefix(b" ").unwrap_or(rest));
    }
    Some(rest)
}

/// What follows the path: nothing, or SP and parameters.
#[inline(always)]
fn params(rest: &[u8], len: usize, base: usize) -> Result<&[u8], ParseError> {
    match rest.get(len) {
        None => Ok(&[]),
        Some(b' ') => Ok(rest.get(len + 1..).unwrap_or_default()),
        Some(_) => Err(err(ParseErrorKind::Syntax, base + len, "Path")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_point_into_the_line() {
        let line = b"MAIL FROM:<a@b.example> SIZE=10 X-A=1 AUTH=x+40y Y";
        let Ok(CommandRef::Mail { from, params }) = CommandRef::from_line(line) else {
            panic!("not a MAIL");
        };
        let mailbox = from.mailbox().copied();
        assert_eq!(
            mailbox.map(|m| (m.local_part(), m.domain())),
            Some(("a", "b.example"))
        );
        assert_eq!(params.size, Some(10));
        assert_eq!(
            params.auth,
            Some(crate::types::MailAuthRef::Identity("x@y".into()))
        );
        let other: Vec<_> = params.other.iter().collect();
        assert_eq!(other, [("X-A", Some("1")), ("Y", None)]);
        assert!(!params.is_empty());
        let owned = CommandRef::from_line(line).map(CommandRef::into_owned);
        assert_eq!(owned, Command::from_line(line));
        let Ok(CommandRef::Rcpt { to, params }) = CommandRef::from_line(
            b"RCPT TO:<Postmaster> ORCPT=rfc822;a+2Bb@c RRVS=2014-04-03T23:01:00Z",
        ) else {
            panic!("not a RCPT");
        };
        assert_eq!(to, ForwardPathRef::Postmaster);
        assert_eq!(params.orcpt.as_ref().map(|o| o.address()), Some("a+b@c"));
        assert_eq!(
            params.rrvs.map(|r| r.date_time),
            Some("2014-04-03T23:01:00Z")
        );
        assert!(params.other.is_empty());
        assert_eq!(
            CommandRef::from_line(b"NOOP a\0b").unwrap_err().kind,
            ParseErrorKind::ForbiddenByte(0)
        );
        assert_eq!(
            CommandRef::from_line(b"MAIL FROM:<a@b\0c>")
                .unwrap_err()
                .offset,
            14
        );
        assert_eq!(CommandRef::from_line(b"XYZW\0").unwrap_err().offset, 4);
    }
}
