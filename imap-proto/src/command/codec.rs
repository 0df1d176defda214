//! Decoding commands: finding a unit's end in a byte slice, running the grammar over it, and
//! the two client lines that are not commands ([`AuthenticateData`], [`IdleDone`]).

use bytes::Bytes;
use mail_sansio::{Parsed, Secret};

use super::Command;
use crate::config::{Leniency, Limits};
use crate::encode::Encoder;
use crate::error::{ParseError, ParseErrorKind};
use crate::frame::{LiteralSpan, Unit};
use crate::parse::Cx;

/// How to decode: leniency switches, limits, and whether UTF-8 is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Quirks to accept (strict by default).
    pub leniency: Leniency,
    /// Line and literal limits, nesting depths.
    pub limits: Limits,
    /// UTF-8 is enabled (IMAP4rev2 or `ENABLE UTF8=ACCEPT`): mailbox names are raw UTF-8
    /// instead of modified UTF-7.
    pub utf8: bool,
}

impl DecodeOptions {
    /// Strict grammar, default limits.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Every leniency switch on, default limits.
    pub fn lenient() -> Self {
        Self {
            leniency: Leniency::lenient(),
            ..Self::default()
        }
    }

    /// These options with `leniency`.
    #[must_use]
    pub fn with_leniency(mut self, leniency: Leniency) -> Self {
        self.leniency = leniency;
        self
    }

    /// These options with UTF-8 on or off.
    #[must_use]
    pub fn with_utf8(mut self, utf8: bool) -> Self {
        self.utf8 = utf8;
        self
    }
}

impl Command {
    /// Decodes one command from the front of `input` with strict [`DecodeOptions`]: the line
    /// and the literals it announces. [`Parsed::Incomplete`] until all of them are there.
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &DecodeOptions::default())
    }

    /// [`Command::decode`] with `options`.
    ///
    /// The unit is copied once into a [`Bytes`]; the command's values share it. Machines
    /// that frame the input themselves use [`Command::from_unit`], which copies nothing.
    pub fn decode_with(input: &[u8], options: &DecodeOptions) -> Result<Parsed<Self>, ParseError> {
        let Some(end) = unit_end(input, options)? else {
            return Ok(Parsed::Incomplete);
        };
        let unit = crate::parse::copy_unit(input.get(..end).unwrap_or(input));
        let value = parse_unit(&unit, &[], options)?;
        Ok(Parsed::Complete {
            value,
            consumed: end,
        })
    }

    /// Decodes a complete unit (one line and the literals it announces, data in place) that
    /// the caller framed. Values are slices of `unit`: nothing is copied.
    pub fn from_bytes(unit: &Bytes, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(unit, &[], options)
    }

    /// Decodes a unit from the [`Framer`](crate::frame::Framer), without a copy. A literal the
    /// framer streamed out yields [`AppendData::Streamed`](super::AppendData::Streamed) in an
    /// `APPEND`, and an error anywhere else.
    pub fn from_unit(unit: &Unit, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(unit.bytes(), unit.literals(), options)
    }
}

/// Runs the command grammar over a whole unit.
fn parse_unit(
    unit: &Bytes,
    literals: &[LiteralSpan],
    options: &DecodeOptions,
) -> Result<Command, ParseError> {
    let cx = Cx::new(unit, options.leniency, &options.limits)
        .with_utf8(options.utf8)
        .with_literals(literals);
    match crate::parse::command::command(&cx, cx.input()) {
        Ok(([], c)) => Ok(c),
        Ok((rest, _)) => {
            Err(ParseError::new(ParseErrorKind::Syntax, cx.offset(rest), "command").with_line(unit))
        }
        Err(e) => Err(cx.error(e).with_line(unit)),
    }
}

/// The end of the first unit of `input` (a line plus the literals it announces), `None` when
/// more input is needed. Linear in the bytes looked at; literal data is skipped, not scanned.
fn unit_end(input: &[u8], options: &DecodeOptions) -> Result<Option<usize>, ParseError> {
    let limits = &options.limits;
    let mut pos = 0usize;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            if rest.len() >= limits.line {
                return Err(too_long("line", limits.line, pos, input));
            }
            return Ok(None);
        };
        if lf >= limits.line {
            return Err(too_long("line", limits.line, pos, input));
        }
        let line_end = pos + lf + 1;
        let line = rest.get(..lf).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(len) = announcement(line, pos, input)? else {
            return Ok(Some(line_end));
        };
        if len > limits.literal {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "literal",
                    limit: limits.literal,
                },
                pos + line.len(),
                "literal",
            )
            .with_line(input));
        }
        // len <= limits.literal, which a usize holds on every supported target.
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        pos = line_end.saturating_add(len);
        if pos > limits.unit {
            return Err(too_long("unit", limits.unit, 0, input));
        }
        if pos > input.len() {
            return Ok(None);
        }
    }
}

/// A [`ParseErrorKind::TooLong`] error.
fn too_long(what: &'static str, limit: usize, offset: usize, input: &[u8]) -> ParseError {
    ParseError::new(
        ParseErrorKind::TooLong {
            what,
            limit: limit as u64,
        },
        offset,
        what,
    )
    .with_line(input)
}

/// The length a line announces when it ends in `{n}`, `{n+}` (or `~{...}`).
fn announcement(line: &[u8], pos: usize, input: &[u8]) -> Result<Option<u64>, ParseError> {
    let Some(inner) = line.strip_suffix(b"}") else {
        return Ok(None);
    };
    let Some(open) = memchr::memrchr(b'{', inner) else {
        return Ok(None);
    };
    let digits = inner.get(open + 1..).unwrap_or_default();
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Ok(None);
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) => n,
            None => {
                return Err(ParseError::new(
                    ParseErrorKind::NumberOverflow { what: "literal" },
                    pos + open,
                    "literal",
                )
                .with_line(input));
            }
        };
    }
    Ok(Some(n))
}

/// A client line inside an `AUTHENTICATE` exchange (RFC 9051 §6.2.2): base64 data, or `*` to
/// cancel.
///
/// ```abnf
/// authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp] *(CRLF base64)
/// base64       = *(4base64-char) [base64-terminal]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticateData {
    /// The decoded response (may be empty: an empty line).
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange; the server answers `BAD`.
    Cancel,
}

impl AuthenticateData {
    /// Decodes one response line from the front of `input` with strict options.
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &DecodeOptions::default())
    }

    /// [`AuthenticateData::decode`] with `options` (`bare_lf`, `extra_spaces` and the line
    /// limit apply). Errors never show the line: it is a secret.
    pub fn decode_with(input: &[u8], options: &DecodeOptions) -> Result<Parsed<Self>, ParseError> {
        let Some((line, consumed)) = split_line(input, options)? else {
            return Ok(Parsed::Incomplete);
        };
        let line = trim_trailing(line, options.leniency);
        let value = if line == b"*" {
            Self::Cancel
        } else {
            match mail_sansio::sasl::wire::decode_base64(line, usize::MAX) {
                Ok(d) => Self::Data(Secret::new(d)),
                Err(_) => {
                    return Err(
                        ParseError::new(ParseErrorKind::Syntax, 0, "base64").with_secret_line()
                    );
                }
            }
        };
        Ok(Parsed::Complete { value, consumed })
    }

    /// Appends the line, CRLF included.
    pub fn encode(&self, enc: &mut Encoder) {
        match self {
            Self::Data(d) => {
                let text = mail_sansio::sasl::wire::encode_response(d.expose());
                enc.raw(text.expose().as_bytes());
            }
            Self::Cancel => {
                enc.keyword("*");
            }
        }
        enc.crlf();
    }
}

/// The `DONE` line that ends `IDLE` (RFC 2177, RFC 9051 §6.3.13): `idle = "IDLE" CRLF "DONE"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdleDone;

impl IdleDone {
    /// Decodes `DONE` CRLF (any case) from the front of `input` with strict options.
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &DecodeOptions::default())
    }

    /// [`IdleDone::decode`] with `options`.
    pub fn decode_with(input: &[u8], options: &DecodeOptions) -> Result<Parsed<Self>, ParseError> {
        let Some((line, consumed)) = split_line(input, options)? else {
            return Ok(Parsed::Incomplete);
        };
        if trim_trailing(line, options.leniency).eq_ignore_ascii_case(b"DONE") {
            Ok(Parsed::Complete {
                value: Self,
                consumed,
            })
        } else {
            Err(ParseError::new(ParseErrorKind::Syntax, 0, "idle").with_line(line))
        }
    }

    /// Appends `DONE` CRLF.
    pub fn encode(&self, enc: &mut Encoder) {
        enc.keyword("DONE").crlf();
    }
}

/// The first line of `input` without its line ending, and the octets it took; `None` when no
/// line ending is there yet. A bare LF is accepted only with `bare_lf`; a CR inside the line
/// is an error.
fn split_line<'a>(
    input: &'a [u8],
    options: &DecodeOptions,
) -> Result<Option<(&'a [u8], usize)>, ParseError> {
    let limit = options.limits.line;
    let Some(lf) = memchr::memchr(b'\n', input) else {
        if input.len() >= limit {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "line",
                    limit: limit as u64,
                },
                0,
                "line",
            ));
        }
        return Ok(None);
    };
    let line = input.get(..lf).unwrap_or_default();
    let line = match line.strip_suffix(b"\r") {
        Some(l) => l,
        None if options.leniency.bare_lf => line,
        None => return Err(ParseError::new(ParseErrorKind::BareNewline, lf, "CRLF")),
    };
    if let Some(cr) = memchr::memchr(b'\r', line) {
        return Err(ParseError::new(ParseErrorKind::BareNewline, cr, "CRLF"));
    }
    Ok(Some((line, lf + 1)))
}

/// `line` without trailing spaces when `extra_spaces` is on.
fn trim_trailing(line: &[u8], leniency: Leniency) -> &[u8] {
    if !leniency.extra_spaces {
        return line;
    }
    let n = line.iter().rev().take_while(|&&b| b == b' ').count();
    line.get(..line.len() - n).unwrap_or(line)
}
