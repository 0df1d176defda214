//! Replies built line by line, for a client that frames its input itself.

use crate::error::{ParseError, ParseErrorKind};

use super::reader::{LineState, Spans, check_bytes};
use super::{Reply, ReplyLimits};

/// Builds a [`Reply`] from framed lines (e.g. from `mail_sansio::line::LineFramer`), so a client
/// reads replies in time linear in the input however it is split.
///
/// The text of the lines so far is kept in one buffer that is reused from reply to reply; a
/// finished reply copies it out with one allocation.
#[derive(Debug, Clone)]
pub struct ReplyAssembler {
    limits: ReplyLimits,
    state: LineState,
    buf: Vec<u8>,
    spans: Spans,
}

impl ReplyAssembler {
    /// An assembler with the given caps.
    pub fn new(limits: ReplyLimits) -> Self {
        Self {
            limits,
            state: LineState::default(),
            buf: Vec::new(),
            spans: Spans::default(),
        }
    }

    /// Whether a reply has been started and not finished.
    pub fn is_partial(&self) -> bool {
        self.state.code.is_some()
    }

    /// Feeds one line without its CRLF; returns the reply when this was its last line. On an
    /// error the assembler is reset.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        let result = self.push_inner(line);
        if result.is_err() {
            self.state = LineState::default();
            self.buf.clear();
            self.spans = Spans::default();
        }
        result
    }

    fn push_inner(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        if line.len() + 2 > self.limits.max_line {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    what: "line",
                    limit: self.limits.max_line,
                },
                0,
                "Reply-line",
            ));
        }
        check_bytes(line)?;
        let accepted = self.state.accept(line, &self.limits)?;
        let start = self.buf.len();
        self.buf
            .extend_from_slice(line.get(accepted.text_start..).unwrap_or_default());
        self.spans.push(start, self.buf.len());
        if accepted.last {
            let reply =
                Reply::from_spans(accepted.code, self.state.enhanced, &self.buf, &self.spans);
            self.state = LineState::default();
            self.buf.clear();
            self.spans = Spans::default();
            return Ok(Some(reply));
        }
        Ok(None)
    }
}
