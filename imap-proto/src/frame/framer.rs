//! The framer's state machine.

use bytes::{Buf, Bytes, BytesMut};

use super::scan::{
    Announcement, CR, Dropped, FirstLine, HEAD, LF, TAIL, announcement, concat,
    is_status_or_continuation, tag_of,
};
use super::{Frame, FrameError, FrameErrorKind, FrameLimits, LiteralSpan, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Searching the current line, which starts at `line_start` in the buffer.
    Line,
    /// A sync literal's announcement line ends at `at`; waiting for the machine.
    Verdict { at: usize, len: u64, binary: bool },
    /// The machine refused: drop the unit up to `at`.
    Refused { at: usize },
    /// Waiting for a kept literal's data at `start..start + len`.
    Kept {
        start: usize,
        len: usize,
        sync: bool,
        binary: bool,
    },
    /// A literal to stream was announced by the line ending at `at`.
    StreamStart {
        at: usize,
        len: u64,
        sync: bool,
        binary: bool,
    },
    /// Streaming a literal's data.
    Stream { remaining: u64 },
    /// The streamed data is complete.
    StreamEnd,
    /// Dropping a literal's data (the unit is being dropped).
    Drain { remaining: u64 },
    /// Dropping a line as it arrives (over-long, or the unit is being dropped).
    Discard,
    /// A fatal error was reported.
    Failed,
}

/// What one step of the framer produced.
enum Step {
    /// Nothing until more input arrives.
    Wait,
    /// Hand this out.
    Emit(Frame),
    /// The state changed; go on.
    Again,
}

/// Splits IMAP input into [`Frame`]s; see the [module docs](super).
///
/// Like `mail_sansio::line::LineFramer`, the framer works on the caller's buffer and takes
/// units off its front, so a session can check for bytes injected after STARTTLS between
/// units.
#[derive(Debug, Clone)]
pub struct Framer {
    /// Reading responses (client side) rather than commands (server side).
    responses: bool,
    limits: FrameLimits,
    bare_lf: bool,
    state: State,
    /// Where the current line starts in the buffer.
    line_start: usize,
    /// Bytes of the current line already searched, from the buffer's start.
    scanned: usize,
    /// The current line holds a bare CR or LF.
    bare: bool,
    /// The unit's bytes taken out of the buffer when a literal started streaming.
    held: Option<Bytes>,
    literals: Vec<LiteralSpan>,
    /// Set once the unit's first line has ended.
    first: Option<FirstLine>,
    dropped: Dropped,
    scanned_total: u64,
}

impl Framer {
    /// A framer for the commands a server reads: reports sync literals for a verdict.
    pub fn commands(limits: FrameLimits) -> Self {
        Self::new(limits, false)
    }

    /// A framer for the responses a client reads: no verdicts, no non-sync literals.
    pub fn responses(limits: FrameLimits) -> Self {
        Self::new(limits, true)
    }

    fn new(limits: FrameLimits, responses: bool) -> Self {
        Self {
            responses,
            limits,
            bare_lf: false,
            state: State::Line,
            line_start: 0,
            scanned: 0,
            bare: false,
            held: None,
            literals: Vec::new(),
            first: None,
            dropped: Dropped::default(),
            scanned_total: 0,
        }
    }

    /// Accepts a bare LF as a line ending (`Leniency::bare_lf`). A bare CR is always an error.
    #[must_use]
    pub fn with_bare_lf(mut self, accept: bool) -> Self {
        self.bare_lf = accept;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &FrameLimits {
        &self.limits
    }

    /// Replaces the limits; they apply from the next octet searched.
    pub fn set_limits(&mut self, limits: FrameLimits) {
        self.limits = limits;
    }

    /// Changes the line limit, as a server does after authentication (8 KiB to 64 KiB).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.limits.max_line = max_line;
    }

    /// Whether a sync literal waits for [`accept_literal`](Self::accept_literal) or
    /// [`refuse_literal`](Self::refuse_literal).
    pub fn awaiting_verdict(&self) -> bool {
        matches!(self.state, State::Verdict { .. })
    }

    /// Whether the framer is between units, with nothing of the next one searched: after a
    /// unit such as STARTTLS, whatever is left in the buffer arrived behind it.
    pub fn is_between_units(&self) -> bool {
        self.state == State::Line
            && self.line_start == 0
            && self.held.is_none()
            && self.first.is_none()
    }

    /// Octets searched for line endings so far: the linearity tests check that it stays a
    /// small multiple of the input however the input is split.
    pub fn scanned_bytes(&self) -> u64 {
        self.scanned_total
    }

    /// While a sync literal awaits its verdict: the unit's bytes in `buf` up to the
    /// announcement (after a streamed literal of the same unit, the bytes since it; the
    /// earlier ones were in its [`Frame::LiteralStart`]). Empty otherwise.
    pub fn unit_so_far<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        match self.state {
            State::Verdict { at, .. } => buf.get(..at).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The machine sent `+`: the literal's data comes next. Returns false (and does
    /// nothing) when no literal waits.
    pub fn accept_literal(&mut self) -> bool {
        let State::Verdict { at, len, binary } = self.state else {
            return false;
        };
        self.state = self.literal_state(at, len, true, binary);
        true
    }

    /// The machine answered `NO`/`BAD` instead of `+`: the client does not send the data
    /// (RFC 9051 §7.5), so the unit is dropped and framing resumes at the next line. Returns
    /// false (and does nothing) when no literal waits.
    pub fn refuse_literal(&mut self) -> bool {
        let State::Verdict { at, .. } = self.state else {
            return false;
        };
        self.state = State::Refused { at };
        true
    }

    /// Forgets the unit in progress; call after taking bytes out of the buffer by other
    /// means (the STARTTLS handshake, COMPRESS).
    pub fn reset(&mut self) {
        self.start_unit();
    }

    /// Takes the next frame off the front of `buf`, or returns `None` until more input
    /// arrives (or, on the server side, until a verdict on an announced literal).
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        loop {
            let step = match self.state {
                State::Line => self.scan_line(buf),
                State::Verdict { .. } => Step::Wait,
                State::Refused { at } => {
                    buf.advance(at.min(buf.len()));
                    self.start_unit();
                    Step::Again
                }
                State::Kept {
                    start,
                    len,
                    sync,
                    binary,
                } => self.kept(buf, start, len, sync, binary),
                State::StreamStart {
                    at,
                    len,
                    sync,
                    binary,
                } => self.stream_start(buf, at, len, sync, binary),
                State::Stream { remaining } => Self::stream(buf, remaining, &mut self.state),
                State::StreamEnd => {
                    self.state = State::Line;
                    self.line_start = 0;
                    self.scanned = 0;
                    self.bare = false;
                    Step::Emit(Frame::LiteralEnd)
                }
                State::Drain { remaining } => self.drain(buf, remaining),
                State::Discard => self.discard(buf),
                State::Failed => {
                    buf.clear();
                    Step::Wait
                }
            };
            match step {
                Step::Wait => return None,
                Step::Emit(frame) => return Some(frame),
                Step::Again => {}
            }
        }
    }

    fn start_unit(&mut self) {
        self.state = State::Line;
        self.line_start = 0;
        self.scanned = 0;
        self.bare = false;
        self.held = None;
        self.literals.clear();
        self.first = None;
        self.dropped.clear();
    }

    fn held_len(&self) -> usize {
        self.held.as_ref().map_or(0, Bytes::len)
    }

    /// Right after [`next_frame`](Self::next_frame) returned `None` with `buf_len` octets
    /// in the buffer: `(quiet, line_limit)`, where `next_frame` gives nothing until the
    /// buffer holds `quiet` octets, and, when `line_limit` is not 0, nothing while only
    /// octets other than LF are added and the buffer stays shorter than `line_limit` (inside
    /// a line only an LF or the line's limit can end something). A session uses it to answer
    /// `poll_event` without calling the framer for each small read.
    pub(crate) fn quiet(&self, buf_len: usize) -> (usize, usize) {
        let next = buf_len.saturating_add(1);
        match self.state {
            State::Line => (next, self.line_limit().0),
            State::Kept { start, len, .. } => (start.saturating_add(len).max(next), 0),
            _ => (next, 0),
        }
    }

    /// Where the current line must have ended (after its LF) by, and the error if it has
    /// not: the line limit, or the room left in the unit when that is less.
    fn line_limit(&self) -> (usize, FrameErrorKind) {
        let kept = self.held_len().saturating_add(self.line_start);
        let unit_room = self.limits.max_unit.saturating_sub(kept);
        let (budget, too_long) = if unit_room < self.limits.max_line {
            (
                unit_room,
                FrameErrorKind::UnitTooLarge {
                    limit: self.limits.max_unit,
                },
            )
        } else {
            (
                self.limits.max_line,
                FrameErrorKind::LineTooLong {
                    limit: self.limits.max_line,
                },
            )
        };
        // The line's end (after its LF) may not pass `limit_end`.
        (self.line_start.saturating_add(budget), too_long)
    }

    /// Searches the current line for its end, never past what its limits allow.
    fn scan_line(&mut self, buf: &mut BytesMut) -> Step {
        let (limit_end, too_long) = self.line_limit();
        loop {
            let region_end = buf.len().min(limit_end);
            let from = self.scanned.max(self.line_start).min(region_end);
            let region = buf.get(from..region_end).unwrap_or_default();
            let hit = memchr::memchr2(CR, LF, region);
            self.scanned_total = self
                .scanned_total
                .saturating_add(hit.map_or(region.len(), |i| i + 1) as u64);
            let Some(i) = hit.map(|i| from + i) else {
                self.scanned = region_end;
                if region_end == limit_end {
                    return self.start_dropping_line(buf, limit_end, too_long);
                }
                return Step::Wait;
            };
            if buf.get(i) == Some(&LF) {
                // A bare LF: a CRLF's LF is consumed with its CR below.
                if !self.bare_lf {
                    self.bare = true;
                }
                return self.line_end(buf, i + 1, i);
            }
            // A CR: only CRLF ends a line.
            if i + 1 >= limit_end {
                return self.start_dropping_line(buf, limit_end, too_long);
            }
            match buf.get(i + 1) {
                None => {
                    self.scanned = i;
                    return Step::Wait;
                }
                Some(&LF) => return self.line_end(buf, i + 2, i),
                Some(_) => {
                    self.bare = true;
                    self.scanned = i + 1;
                }
            }
        }
    }

    /// The current line cannot end within its limit: report, then drop the unit so far and
    /// the rest of the line as it arrives.
    fn start_dropping_line(
        &mut self,
        buf: &mut BytesMut,
        upto: usize,
        kind: FrameErrorKind,
    ) -> Step {
        self.dropped.clear();
        let first_line = self.first.is_none();
        let line = buf.get(self.line_start..upto).unwrap_or_default();
        self.dropped.push(line, first_line);
        let tag = if first_line {
            tag_of(line.get(..HEAD).unwrap_or(line), true)
        } else {
            self.tag()
        };
        buf.advance(upto.min(buf.len()));
        self.forget_unit();
        self.state = State::Discard;
        Step::Emit(Frame::Error(FrameError {
            kind,
            tag,
            fatal: false,
        }))
    }

    /// Forgets the unit's bytes once it is known to be dropped.
    fn forget_unit(&mut self) {
        self.held = None;
        self.literals.clear();
        self.line_start = 0;
        self.scanned = 0;
        self.bare = false;
    }

    fn tag(&self) -> Option<Bytes> {
        self.first.as_ref().and_then(|first| first.tag.clone())
    }

    /// A line of a unit being dropped: find its end without keeping it.
    fn discard(&mut self, buf: &mut BytesMut) -> Step {
        let hit = memchr::memchr(LF, buf);
        self.scanned_total = self
            .scanned_total
            .saturating_add(hit.map_or(buf.len(), |i| i + 1) as u64);
        let first_line = self.first.is_none();
        let Some(i) = hit else {
            self.dropped.push(buf, first_line);
            buf.clear();
            return Step::Wait;
        };
        if let Some(part) = buf.get(..i) {
            self.dropped.push(part, first_line);
        }
        buf.advance(i + 1);
        let dropped = std::mem::take(&mut self.dropped);
        let had_cr = dropped.tail.last() == Some(&CR);
        let content_len = dropped.len.saturating_sub(u64::from(had_cr));
        let tail_end = dropped.tail.len() - usize::from(had_cr);
        let tail = dropped.tail.get(..tail_end).unwrap_or_default();
        let tail = tail
            .get(tail.len().saturating_sub(TAIL)..)
            .unwrap_or_default();
        if first_line {
            let head_len = dropped
                .head
                .len()
                .min(usize::try_from(content_len).unwrap_or(usize::MAX));
            let head = dropped.head.get(..head_len).unwrap_or_default();
            self.first = Some(self.first_line(head, content_len > HEAD as u64));
        }
        let announcement = self.announcement_of(tail, content_len > TAIL as u64);
        self.dropped = dropped;
        self.dropped.clear();
        let tag = self.tag();
        if self.after_dropped_line(announcement) {
            Step::Again
        } else {
            Step::Emit(Frame::Error(FrameError {
                kind: FrameErrorKind::LiteralSizeOverflow,
                tag,
                fatal: true,
            }))
        }
    }

    /// The announcement at the end of a line, unless the line is a status response.
    fn announcement_of(&self, tail: &[u8], cut: bool) -> Option<Announcement> {
        if self.first.as_ref().is_some_and(|first| first.no_literals) {
            return None;
        }
        announcement(tail, cut)
    }

    /// A line of a dropped unit ended, maybe announcing a literal: the unit ends, or its
    /// literal is drained. False when the literal's end cannot be found (fatal).
    fn after_dropped_line(&mut self, announcement: Option<Announcement>) -> bool {
        match announcement {
            // The client waits for a `+` that will not come: the unit ends here too.
            None => self.start_unit(),
            Some(announcement) if !self.responses && announcement.sync => self.start_unit(),
            Some(Announcement { len: None, .. }) => {
                self.start_unit();
                self.state = State::Failed;
                return false;
            }
            Some(Announcement {
                len: Some(remaining),
                ..
            }) => self.state = State::Drain { remaining },
        }
        true
    }

    /// The unit is dropped at the end of one of its lines (ending at `end`) for `kind`:
    /// report it, and follow the rest of it if the line announced a literal.
    fn drop_at_line_end(
        &mut self,
        buf: &mut BytesMut,
        end: usize,
        kind: FrameErrorKind,
        announcement: Option<Announcement>,
    ) -> Step {
        buf.advance(end.min(buf.len()));
        self.forget_unit();
        let tag = self.tag();
        let fatal = !self.after_dropped_line(announcement);
        let kind = if fatal {
            FrameErrorKind::LiteralSizeOverflow
        } else {
            kind
        };
        Step::Emit(Frame::Error(FrameError { kind, tag, fatal }))
    }

    fn drain(&mut self, buf: &mut BytesMut, remaining: u64) -> Step {
        let n = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        buf.advance(n);
        let remaining = remaining - n as u64;
        if remaining == 0 {
            self.dropped.clear();
            self.state = State::Discard;
            Step::Again
        } else {
            self.state = State::Drain { remaining };
            Step::Wait
        }
    }

    /// The current line ends at `end` (after its line ending), its content at `content_end`.
    fn line_end(&mut self, buf: &mut BytesMut, end: usize, content_end: usize) -> Step {
        let content = buf.get(self.line_start..content_end).unwrap_or_default();
        if self.first.is_none() {
            let head = content.get(..HEAD).unwrap_or(content);
            self.first = Some(self.first_line(head, content.len() > HEAD));
        }
        let tail = content
            .get(content.len().saturating_sub(TAIL)..)
            .unwrap_or_default();
        let announcement = self.announcement_of(tail, content.len() > TAIL);
        if self.bare {
            return self.drop_at_line_end(buf, end, FrameErrorKind::BareNewline, announcement);
        }
        let Some(announcement) = announcement else {
            return self.complete(buf, end);
        };
        if let Err(kind) = self.check(&announcement, end) {
            return self.drop_at_line_end(buf, end, kind, Some(announcement));
        }
        let len = announcement.len.unwrap_or_default();
        if !self.responses && announcement.sync {
            self.state = State::Verdict {
                at: end,
                len,
                binary: announcement.binary,
            };
            return Step::Emit(Frame::LiteralAnnounced {
                len,
                binary: announcement.binary,
            });
        }
        self.state = self.literal_state(end, len, announcement.sync, announcement.binary);
        Step::Again
    }

    /// Whether a literal announced by a line ending at `end` fits the limits.
    fn check(&self, announcement: &Announcement, end: usize) -> Result<(), FrameErrorKind> {
        let limits = &self.limits;
        if self.literals.len() >= limits.max_literals {
            return Err(FrameErrorKind::TooManyLiterals {
                limit: limits.max_literals,
            });
        }
        if self.responses && !announcement.sync {
            return Err(FrameErrorKind::NonSyncLiteralInResponse);
        }
        let len = announcement
            .len
            .ok_or(FrameErrorKind::LiteralSizeOverflow)?;
        let limit = if !self.responses && !announcement.sync {
            limits.max_non_sync_literal.min(limits.max_literal)
        } else {
            limits.max_literal
        };
        if len > limit {
            return Err(FrameErrorKind::LiteralTooLarge { len, limit });
        }
        if len <= limits.literal_stream_threshold {
            let kept = (self.held_len() as u64)
                .saturating_add(end as u64)
                .saturating_add(len);
            if kept > limits.max_unit as u64 {
                return Err(FrameErrorKind::UnitTooLarge {
                    limit: limits.max_unit,
                });
            }
        }
        Ok(())
    }

    /// Where to go once a literal of `len` octets, announced by the line ending at `at`, is
    /// known to come.
    fn literal_state(&self, at: usize, len: u64, sync: bool, binary: bool) -> State {
        match usize::try_from(len) {
            Ok(kept) if len <= self.limits.literal_stream_threshold => State::Kept {
                start: at,
                len: kept,
                sync,
                binary,
            },
            _ => State::StreamStart {
                at,
                len,
                sync,
                binary,
            },
        }
    }

    fn kept(
        &mut self,
        buf: &mut BytesMut,
        start: usize,
        len: usize,
        sync: bool,
        binary: bool,
    ) -> Step {
        let end = start.saturating_add(len);
        if buf.len() < end {
            return Step::Wait;
        }
        self.literals.push(LiteralSpan {
            offset: self.held_len().saturating_add(start),
            len: len as u64,
            sync,
            binary,
            streamed: false,
        });
        self.state = State::Line;
        self.line_start = end;
        self.scanned = end;
        self.bare = false;
        Step::Again
    }

    fn stream_start(
        &mut self,
        buf: &mut BytesMut,
        at: usize,
        len: u64,
        sync: bool,
        binary: bool,
    ) -> Step {
        let part = buf.split_to(at.min(buf.len())).freeze();
        let prefix = match self.held.take() {
            None => part,
            Some(held) => concat(&held, &part),
        };
        self.literals.push(LiteralSpan {
            offset: prefix.len(),
            len,
            sync,
            binary,
            streamed: true,
        });
        self.held = Some(prefix.clone());
        self.line_start = 0;
        self.scanned = 0;
        self.state = State::Stream { remaining: len };
        Step::Emit(Frame::LiteralStart {
            prefix,
            len,
            binary,
            sync,
        })
    }

    fn stream(buf: &mut BytesMut, remaining: u64, state: &mut State) -> Step {
        if buf.is_empty() {
            return Step::Wait;
        }
        let n = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let chunk = buf.split_to(n).freeze();
        let remaining = remaining - n as u64;
        *state = if remaining == 0 {
            State::StreamEnd
        } else {
            State::Stream { remaining }
        };
        Step::Emit(Frame::LiteralChunk(chunk))
    }

    /// The unit ends with the line ending at `end`.
    fn complete(&mut self, buf: &mut BytesMut, end: usize) -> Step {
        let tail = buf.split_to(end.min(buf.len())).freeze();
        let bytes = match self.held.take() {
            None => tail,
            Some(held) => concat(&held, &tail),
        };
        let literals = std::mem::take(&mut self.literals);
        self.start_unit();
        Step::Emit(Frame::Unit(Unit { bytes, literals }))
    }

    /// Reads the tag and kind of a unit from the first [`HEAD`] content bytes of its first
    /// line (`cut`: the line goes on past them).
    fn first_line(&self, head: &[u8], cut: bool) -> FirstLine {
        let tag = tag_of(head, cut);
        let no_literals = self.responses && is_status_or_continuation(head, cut);
        FirstLine { tag, no_literals }
    }
}
