//! Decoding responses and greetings: finding a unit's end in a byte slice, and running the
//! grammar over a unit (zero copy when the caller framed it).

use bytes::Bytes;
use mail_sansio::Parsed;

use super::{Greeting, Response};
use crate::command::DecodeOptions;
use crate::error::{ParseError, ParseErrorKind};
use crate::frame::{LiteralSpan, Unit};
use crate::parse::{Cx, PResult};

impl Response {
    /// Decodes one response from the front of `input` with strict [`DecodeOptions`]: the line
    /// and the literals it announces. [`Parsed::Incomplete`] until all of them are there.
    ///
    /// ```
    /// use imap_proto::Parsed;
    /// use imap_proto::response::{Data, Response};
    ///
    /// let Parsed::Complete { value, consumed } = Response::decode(b"* 3 EXISTS\r\n")? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(value, Response::Data(Data::Exists(3)));
    /// assert_eq!(consumed, 12);
    /// # Ok::<(), imap_proto::ParseError>(())
    /// ```
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &DecodeOptions::default())
    }

    /// [`Response::decode`] with `options` (leniency, limits, UTF-8).
    ///
    /// The unit is copied once into a [`Bytes`]; the response's values share it. A session
    /// that frames its input with the [`Framer`](crate::frame::Framer) uses
    /// [`Response::from_unit`], which copies nothing, and after an error goes on with the next
    /// unit the framer cut; a caller of this function resynchronises by skipping to the next
    /// line end itself.
    pub fn decode_with(input: &[u8], options: &DecodeOptions) -> Result<Parsed<Self>, ParseError> {
        let Some(end) = unit_end(input, options)? else {
            return Ok(Parsed::Incomplete);
        };
        let unit = crate::parse::copy_unit(input.get(..end).unwrap_or(input));
        let value = parse_unit(&unit, &[], options, crate::parse::response::response)?;
        Ok(Parsed::Complete {
            value,
            consumed: end,
        })
    }

    /// Decodes a complete unit (one line and the literals it announces, data in place) that
    /// the caller framed. The values are slices of `unit`: nothing is copied.
    pub fn from_bytes(unit: &Bytes, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(unit, &[], options, crate::parse::response::response)
    }

    /// Decodes a unit from the [`Framer`](crate::frame::Framer), without a copy. A literal the
    /// framer streamed out (`BODY[] {1048576}` above the threshold) yields
    /// [`Payload::Streamed`](super::Payload::Streamed) in a FETCH item that carries message
    /// content; anywhere else it makes that item [`FetchItem::Invalid`](super::FetchItem::Invalid)
    /// or the response an error.
    ///
    /// A line that is not a response at all (Exchange 2013 sends `[COPYUID 124 10 233]` with
    /// no `*` after UID MOVE) is an error for that unit only: the framer has already cut it,
    /// so the next unit decodes normally.
    pub fn from_unit(unit: &Unit, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(
            unit.bytes(),
            unit.literals(),
            options,
            crate::parse::response::response,
        )
    }
}

impl Greeting {
    /// Decodes the greeting from the front of `input` with strict [`DecodeOptions`].
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &DecodeOptions::default())
    }

    /// [`Greeting::decode`] with `options`.
    pub fn decode_with(input: &[u8], options: &DecodeOptions) -> Result<Parsed<Self>, ParseError> {
        let Some(end) = unit_end(input, options)? else {
            return Ok(Parsed::Incomplete);
        };
        let unit = crate::parse::copy_unit(input.get(..end).unwrap_or(input));
        let value = parse_unit(&unit, &[], options, crate::parse::response::greeting)?;
        Ok(Parsed::Complete {
            value,
            consumed: end,
        })
    }

    /// Decodes a greeting unit that the caller framed, without a copy.
    pub fn from_bytes(unit: &Bytes, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(unit, &[], options, crate::parse::response::greeting)
    }

    /// Decodes a greeting unit from the [`Framer`](crate::frame::Framer), without a copy.
    pub fn from_unit(unit: &Unit, options: &DecodeOptions) -> Result<Self, ParseError> {
        parse_unit(
            unit.bytes(),
            unit.literals(),
            options,
            crate::parse::response::greeting,
        )
    }
}

/// Runs `grammar` over a whole unit; trailing bytes are an error.
fn parse_unit<T>(
    unit: &Bytes,
    literals: &[LiteralSpan],
    options: &DecodeOptions,
    grammar: for<'a> fn(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
) -> Result<T, ParseError> {
    // `{n+}` is for client commands only (RFC 7888 §4, security-anchors §8 item 43).
    let non_sync = if literals.is_empty() {
        non_sync_literal(unit)
    } else {
        literals.iter().find(|l| !l.sync).map(|l| l.offset)
    };
    if let Some(at) = non_sync {
        return Err(ParseError::new(ParseErrorKind::Syntax, at, "literal").with_line(unit));
    }
    let cx = Cx::new(unit, options.leniency, &options.limits)
        .with_utf8(options.utf8)
        .with_literals(literals);
    match grammar(&cx, cx.input()) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(
            ParseError::new(ParseErrorKind::Syntax, cx.offset(rest), "response").with_line(unit),
        ),
        Err(e) => Err(cx.error(e).with_line(unit)),
    }
}

/// The end of the first response unit of `input`, `None` when more input is needed.
///
/// Follows the framer's rules: a line announces a literal only when it ends in `{n}` (or
/// `~{n}`, or `{n+}`, which the grammar then refuses), and a status line (`* OK`, `tag NO`,
/// `+ ...`) never does, since its end is free text. Linear in the bytes looked at: literal
/// data is skipped, not scanned.
fn unit_end(input: &[u8], options: &DecodeOptions) -> Result<Option<usize>, ParseError> {
    let limits = &options.limits;
    let mut pos = 0usize;
    let mut first = true;
    loop {
        let rest = input.get(pos..).unwrap_or_default();
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            if rest.len() >= limits.line {
                return Err(too_long("line", limits.line as u64, pos, input));
            }
            return Ok(None);
        };
        if lf >= limits.line {
            return Err(too_long("line", limits.line as u64, pos, input));
        }
        let line_end = pos + lf + 1;
        let line = rest.get(..lf).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if first && is_status_line(line) {
            return Ok(Some(line_end));
        }
        first = false;
        let Some(len) = announcement(line, pos, input)? else {
            return Ok(Some(line_end));
        };
        if len > limits.literal {
            return Err(too_long("literal", limits.literal, pos + line.len(), input));
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        pos = line_end.saturating_add(len);
        if pos > limits.unit {
            return Err(too_long("unit", limits.unit as u64, 0, input));
        }
        if pos > input.len() {
            return Ok(None);
        }
    }
}

/// The offset of the first `{n+}` announcement of a unit, walking its lines and skipping
/// literal data.
fn non_sync_literal(unit: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    loop {
        let rest = unit.get(pos..)?;
        let lf = memchr::memchr(b'\n', rest)?;
        let line = rest.get(..lf)?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if pos == 0 && is_status_line(line) {
            return None;
        }
        let inner = line.strip_suffix(b"}")?;
        let open = memchr::memrchr(b'{', inner)?;
        let digits = inner.get(open + 1..)?;
        if digits.ends_with(b"+") {
            return Some(pos + open);
        }
        let len = digits.iter().try_fold(0usize, |acc, &d| {
            d.is_ascii_digit()
                .then(|| acc.checked_mul(10)?.checked_add(usize::from(d - b'0')))
                .flatten()
        })?;
        pos = pos.checked_add(lf + 1)?.checked_add(len)?;
    }
}

/// Whether a first line is a status response or a continuation request, whose end is text.
fn is_status_line(line: &[u8]) -> bool {
    if line.first() == Some(&b'+') {
        return true;
    }
    let mut words = line.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    let word = words.next().unwrap_or_default();
    ["OK", "NO", "BAD", "BYE", "PREAUTH"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w.as_bytes()))
}

/// A [`ParseErrorKind::TooLong`] error.
fn too_long(what: &'static str, limit: u64, offset: usize, input: &[u8]) -> ParseError {
    ParseError::new(ParseErrorKind::TooLong { what, limit }, offset, what).with_line(input)
}

/// The length a line announces when it ends in `{n}`, `{n+}` or `~{n}`.
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
