//! The private grammar: nom parsers over complete, framed units.
//!
//! The framer (`frame`) hands the grammar one unit at a time: a line plus its literals, kept in
//! place (`{n}\r\n` followed by the n octets), in one [`Bytes`]. The parsers run over `&[u8]`
//! slices of that unit and build values with [`Cx::slice`], which returns a [`Bytes`] that
//! shares the unit's buffer: decoding copies nothing but escaped quoted strings.
//!
//! Every parser takes the context [`Cx`] first: the unit, the [`Leniency`] switches, whether
//! UTF-8 is enabled, and the nesting budget. nom stays inside this module tree: no nom type
//! appears in a public signature. Hot tokens (atoms, numbers, sequence sets, quoted strings)
//! are hand-written scanners that return nom results, so the grammar composes them with nom's
//! combinators.

use std::cell::Cell;

use bytes::Bytes;

use crate::config::{Leniency, Limits};
use crate::error::{ParseError, ParseErrorKind};
use crate::frame::LiteralSpan;

pub(crate) mod body;
pub(crate) mod command;
pub(crate) mod fetch_attr;
pub(crate) mod primitives;
pub(crate) mod response;
#[cfg(test)]
mod roundtrip;
pub(crate) mod search;

/// The error every parser returns: where (the remaining input), which rule, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PErr<'a> {
    /// The input from the point of failure on (a suffix of a slice of the unit).
    pub(crate) at: &'a [u8],
    /// The rule being parsed; empty until a parser or `nom::error::context` names it.
    pub(crate) rule: &'static str,
    /// What went wrong.
    pub(crate) kind: ParseErrorKind,
}

impl<'a> PErr<'a> {
    /// An error at `at`.
    pub(crate) const fn new(at: &'a [u8], rule: &'static str, kind: ParseErrorKind) -> Self {
        Self { at, rule, kind }
    }
}

impl<'a> nom::error::ParseError<&'a [u8]> for PErr<'a> {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        let kind = if input.is_empty() {
            ParseErrorKind::UnexpectedEnd
        } else {
            ParseErrorKind::Syntax
        };
        Self::new(input, "", kind)
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, report the one that got further: that is the one the
    /// input most likely meant.
    fn or(self, other: Self) -> Self {
        if other.at.len() < self.at.len() {
            other
        } else {
            self
        }
    }
}

impl<'a> nom::error::ContextError<&'a [u8]> for PErr<'a> {
    /// `nom::error::context("rule", p)` names the rule of an error that has no name yet.
    fn add_context(_input: &'a [u8], ctx: &'static str, mut other: Self) -> Self {
        if other.rule.is_empty() {
            other.rule = ctx;
        }
        other
    }
}

/// The result of every parser.
pub(crate) type PResult<'a, O> = nom::IResult<&'a [u8], O, PErr<'a>>;

/// A recoverable error (alternatives may still match) at `at`.
pub(crate) fn fail<'a, O>(
    at: &'a [u8],
    rule: &'static str,
    kind: ParseErrorKind,
) -> PResult<'a, O> {
    Err(nom::Err::Error(PErr::new(at, rule, kind)))
}

/// A syntax error (or unexpected end when `at` is empty) at `at`.
pub(crate) fn syntax<'a, O>(at: &'a [u8], rule: &'static str) -> PResult<'a, O> {
    let kind = if at.is_empty() {
        ParseErrorKind::UnexpectedEnd
    } else {
        ParseErrorKind::Syntax
    };
    fail(at, rule, kind)
}

/// Which nesting budget a parser draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nest {
    /// BODYSTRUCTURE parts ([`Limits::body_depth`]).
    Body,
    /// Parenthesised lists, SEARCH keys, generic token trees ([`Limits::list_depth`]).
    List,
}

/// The parse context: the unit being parsed, the switches, the nesting budget.
#[derive(Debug)]
pub(crate) struct Cx<'u> {
    /// The whole unit; every input slice points into it.
    unit: &'u Bytes,
    /// The leniency switches.
    pub(crate) leniency: Leniency,
    /// UTF-8 is enabled (IMAP4rev2 or UTF8=ACCEPT): mailbox names are raw UTF-8, not
    /// modified UTF-7.
    pub(crate) utf8: bool,
    /// The unit's literals as the framer found them (ascending offsets); the streamed ones
    /// have no data in the unit.
    literals: &'u [LiteralSpan],
    /// Remaining BODYSTRUCTURE depth.
    body_left: Cell<u32>,
    /// Remaining list depth.
    list_left: Cell<u32>,
    /// The configured depths, for error messages.
    body_limit: u32,
    /// The configured list depth.
    list_limit: u32,
    /// How many quirks the lenient switches let through in this unit.
    quirks: Cell<u32>,
}

impl<'u> Cx<'u> {
    /// A context over `unit`.
    pub(crate) fn new(unit: &'u Bytes, leniency: Leniency, limits: &Limits) -> Self {
        Self {
            unit,
            leniency,
            utf8: false,
            literals: &[],
            body_left: Cell::new(limits.body_depth),
            list_left: Cell::new(limits.list_depth),
            body_limit: limits.body_depth,
            list_limit: limits.list_depth,
            quirks: Cell::new(0),
        }
    }

    /// Sets whether UTF-8 is enabled.
    #[must_use]
    pub(crate) fn with_utf8(mut self, utf8: bool) -> Self {
        self.utf8 = utf8;
        self
    }

    /// Sets the unit's literals ([`crate::frame::Unit::literals`]), so that the literal
    /// parsers yield a [`Streamable::Streamed`](primitives::Streamable::Streamed) marker where
    /// the framer streamed the data out.
    #[must_use]
    pub(crate) fn with_literals(mut self, literals: &'u [LiteralSpan]) -> Self {
        self.literals = literals;
        self
    }

    /// The whole unit as the first parser's input.
    pub(crate) fn input(&self) -> &'u [u8] {
        self.unit
    }

    /// Offset of `sub` in the unit (the unit's length if `sub` is not inside it).
    pub(crate) fn offset(&self, sub: &[u8]) -> usize {
        let base = self.unit.as_ptr() as usize;
        let at = sub.as_ptr() as usize;
        if at >= base && at <= base + self.unit.len() {
            at - base
        } else {
            self.unit.len()
        }
    }

    /// `sub` as a [`Bytes`] sharing the unit's buffer (a copy if `sub` is not inside it).
    pub(crate) fn slice(&self, sub: &[u8]) -> Bytes {
        let start = self.offset(sub);
        match start.checked_add(sub.len()) {
            Some(end) if end <= self.unit.len() && !sub.is_empty() => self.unit.slice(start..end),
            _ => Bytes::copy_from_slice(sub),
        }
    }

    /// Whether the literal whose data would start at `data` (just after its CRLF) was
    /// streamed out by the framer.
    pub(crate) fn is_streamed(&self, data: &[u8]) -> bool {
        if self.literals.is_empty() {
            return false;
        }
        let at = self.offset(data);
        self.literals
            .binary_search_by_key(&at, |span| span.offset)
            .ok()
            .and_then(|k| self.literals.get(k))
            .is_some_and(|span| span.streamed)
    }

    /// Counts one quirk accepted by a lenient switch.
    pub(crate) fn quirk(&self) {
        self.quirks.set(self.quirks.get().saturating_add(1));
    }

    /// How many quirks the lenient switches let through so far.
    #[allow(
        dead_code,
        reason = "for the session layer (issue 12), which counts what leniency let through"
    )]
    pub(crate) fn quirks(&self) -> u32 {
        self.quirks.get()
    }

    /// Enters one level of nesting; the level is left when the guard drops. Fails with
    /// [`ParseErrorKind::TooDeep`] at `at` when the budget is spent.
    pub(crate) fn nest<'a>(
        &self,
        which: Nest,
        at: &'a [u8],
    ) -> Result<DepthGuard<'_>, nom::Err<PErr<'a>>> {
        let (cell, limit, rule) = match which {
            Nest::Body => (&self.body_left, self.body_limit, "body"),
            Nest::List => (&self.list_left, self.list_limit, "list"),
        };
        match cell.get().checked_sub(1) {
            Some(left) => {
                cell.set(left);
                Ok(DepthGuard(cell))
            }
            // A failure, not an error: no alternative may retry the same depth.
            None => Err(nom::Err::Failure(PErr::new(
                at,
                rule,
                ParseErrorKind::TooDeep { limit },
            ))),
        }
    }

    /// Turns a nom error into a [`ParseError`] with its offset in the unit.
    pub(crate) fn error(&self, err: nom::Err<PErr<'_>>) -> ParseError {
        match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => {
                let rule = if e.rule.is_empty() { "?" } else { e.rule };
                ParseError::new(e.kind, self.offset(e.at), rule)
            }
            nom::Err::Incomplete(_) => {
                ParseError::new(ParseErrorKind::UnexpectedEnd, self.unit.len(), "?")
            }
        }
    }
}

/// One level of nesting, given back when dropped.
#[derive(Debug)]
pub(crate) struct DepthGuard<'c>(&'c Cell<u32>);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_add(1));
    }
}

/// Units up to this many octets are copied into one allocation that holds the reference count
/// and the octets together (see [`copy_unit`]).
const INLINE_UNIT: usize = 240;

/// A short unit's octets, stored in the same allocation as the [`Bytes`] reference count.
struct InlineUnit {
    /// How many octets of `buf` are the unit.
    len: usize,
    /// The octets, then zeros.
    buf: [u8; INLINE_UNIT],
}

impl AsRef<[u8]> for InlineUnit {
    fn as_ref(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// A copy of `input` as a [`Bytes`] the decoded values share, for the `decode(&[u8])` entry
/// points. A command or a short response fits in one allocation (octets and reference count
/// together); `Bytes::copy_from_slice` would take two (the octets, then the shared header the
/// first slice of it allocates).
pub(crate) fn copy_unit(input: &[u8]) -> Bytes {
    let mut buf = [0u8; INLINE_UNIT];
    match buf.get_mut(..input.len()) {
        Some(head) => {
            head.copy_from_slice(input);
            Bytes::from_owner(InlineUnit {
                len: input.len(),
                buf,
            })
        }
        None => Bytes::copy_from_slice(input),
    }
}

/// Runs `parser` over the whole of `input` with strict settings, for the `TryFrom<&str>`
/// conversions that accept a value's wire form: trailing bytes are an error.
pub(crate) fn parse_whole<T>(
    input: &[u8],
    parser: impl for<'a> FnOnce(&Cx<'_>, &'a [u8]) -> PResult<'a, T>,
) -> Result<T, ParseError> {
    let unit = Bytes::copy_from_slice(input);
    let limits = Limits::default();
    let cx = Cx::new(&unit, Leniency::strict(), &limits);
    match parser(&cx, cx.input()) {
        Ok(([], value)) => Ok(value),
        Ok((rest, _)) => Err(ParseError::new(
            ParseErrorKind::Syntax,
            cx.offset(rest),
            "end of value",
        )),
        Err(e) => Err(cx.error(e)),
    }
}
