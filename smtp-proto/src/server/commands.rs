//! The server's input loop: command lines, SASL responses, DATA and BDAT bodies.

use bytes::Buf;
use mail_sansio::dot::{BodyFrame, DotUnstuffer};

use super::replies;
use super::{
    AbortReason, Esc, HelloVerb, MailState, Phase, Server, ServerEvent, SlotKind, Txn, has_bare_cr,
};
use crate::command::{Command, CommandRef};
use crate::config::TlsMode;
use crate::error::Error;
use crate::types::{Body, MailParameters, RcptParameters};
use mail_sansio::line::InPlace;

/// What one step of the loop achieved.
pub(super) enum Progress {
    Event(ServerEvent),
    Continue,
    Wait,
}

fn is_verb(line: &[u8], verb: &[u8; 4]) -> bool {
    line.get(..4).is_some_and(|h| h.eq_ignore_ascii_case(verb))
        && matches!(line.get(4), None | Some(b' '))
}

const TOO_MANY: (u16, Esc, &str) = (421, (4, 7, 0), "Error: too many errors");

impl Server {
    /// Runs the input loop until an event, a wait, or a fatal error.
    pub(super) fn step(&mut self) -> Result<Option<ServerEvent>, Error> {
        loop {
            if let Some(event) = self.queued.take() {
                return Ok(Some(event));
            }
            if self.closing {
                return Ok(None);
            }
            let progress = match self.phase {
                Phase::Greeting(_) => {
                    if self.early > 0 {
                        let bytes = self.early;
                        return Err(self.fail(
                            Error::EarlyTalker { bytes },
                            Some((
                                554,
                                (5, 5, 0),
                                "Error: protocol error, talked before the greeting",
                            )),
                        ));
                    }
                    Progress::Wait
                }
                Phase::StartTls => {
                    if self.injected > 0 {
                        let bytes = self.injected;
                        return Err(self.fail(Error::TlsInjection { bytes }, None));
                    }
                    Progress::Wait
                }
                Phase::Command => self.command_step()?,
                Phase::Auth { .. } => self.auth_step()?,
                // The application owes a decision in the middle of an AUTH exchange.
                Phase::AuthWait(_) => Progress::Wait,
                Phase::Data { .. } => self.data_step()?,
                Phase::Bdat { .. } => self.bdat_step()?,
            };
            match progress {
                Progress::Event(e) => return Ok(Some(e)),
                Progress::Continue => {}
                Progress::Wait => return Ok(None),
            }
        }
    }

    /// Counts a bad command and answers it, or ends the session past the budget.
    pub(super) fn bad_command(
        &mut self,
        code: u16,
        esc: Esc,
        text: &str,
    ) -> Result<Progress, Error> {
        self.bad += 1;
        if self.bad > self.config.limits.bad_commands {
            let limit = self.config.limits.bad_commands;
            return Err(self.fail(Error::TooManyBadCommands { limit }, Some(TOO_MANY)));
        }
        self.push_reply(code, Some(esc), text);
        Ok(Progress::Continue)
    }

    pub(super) fn reply(
        &mut self,
        code: u16,
        esc: Option<Esc>,
        text: &str,
    ) -> Result<Progress, Error> {
        self.push_reply(code, esc, text);
        Ok(Progress::Continue)
    }

    fn command_step(&mut self) -> Result<Progress, Error> {
        let (content, total) = match self.held.take() {
            Some(line) => line,
            None => match self.next_line() {
                None => {
                    if self.eof && !self.has_open_slots() {
                        self.closing = true;
                        self.pending.clear();
                        self.parked.clear();
                    } else if !self.eof && self.queued.is_none() {
                        self.idle = true;
                    }
                    return Ok(Progress::Wait);
                }
                Some(InPlace::Line { content, total }) => (content, total),
                Some(InPlace::TooLong { .. }) => {
                    return self.bad_command(500, (5, 5, 6), "Error: line too long");
                }
                Some(InPlace::BareNewline { .. }) => return self.bare_newline(0),
            },
        };
        let line = self.input.get(..content).unwrap_or_default();
        let rcpt = is_verb(line, b"RCPT");
        if self.has_open_slots() {
            // RCPTs may overlap each other (RFC 2920); everything else waits for earlier answers.
            let only_rcpts = self
                .pending
                .iter()
                .all(|s| s.reply.is_some() || s.kind == SlotKind::Rcpt);
            if !(rcpt && only_rcpts) {
                if has_bare_cr(line) {
                    return self.bare_newline(total);
                }
                self.held = Some((content, total));
                return Ok(Progress::Wait);
            }
        }
        if content + 2 > self.config.limits.command_line && !is_verb(line, b"AUTH") {
            if has_bare_cr(line) {
                return self.bare_newline(total);
            }
            self.input.advance(total);
            return self.bad_command(500, (5, 5, 6), "Error: line too long");
        }
        // Parsed where it lies; only what an event carries is copied out.
        let command = match CommandRef::from_line_with(line, self.config.parse) {
            Ok(CommandRef::Unknown(_)) => None,
            Ok(command) => Some(command.into_owned()),
            Err(e) => {
                // Every grammar refuses a CR, so only a line that failed can hold a bare one.
                if has_bare_cr(line) {
                    return self.bare_newline(total);
                }
                let mail = is_verb(line, b"MAIL");
                self.input.advance(total);
                let (code, esc) = e.recommended_reply();
                let esc = (esc.class(), esc.subject(), esc.detail());
                let esc = if mail && esc == (5, 1, 3) {
                    (5, 1, 7)
                } else {
                    esc
                };
                let text = format!("Error: {}", e.kind);
                return self.bad_command(code.get(), esc, &text);
            }
        };
        self.input.advance(total);
        match command {
            None => self.unknown_command(),
            Some(command) => self.dispatch(command),
        }
    }

    /// A line with a bare CR or ending in a bare LF (SMTP smuggling): dropped and answered.
    #[cold]
    fn bare_newline(&mut self, total: usize) -> Result<Progress, Error> {
        self.input.advance(total);
        self.bad_command(500, (5, 5, 2), "Error: bare CR or LF not allowed")
    }

    fn unknown_command(&mut self) -> Result<Progress, Error> {
        if !self.authenticated {
            self.unknown += 1;
            if self.unknown > self.config.limits.unknown_commands {
                let limit = self.config.limits.unknown_commands;
                return Err(self.fail(Error::TooManyBadCommands { limit }, Some(TOO_MANY)));
            }
        }
        self.bad_command(500, (5, 5, 1), "Error: command unrecognized")
    }

    fn dispatch(&mut self, cmd: Command) -> Result<Progress, Error> {
        self.unknown = 0;
        if self.config.tls == TlsMode::Required && !self.tls {
            match cmd {
                Command::Helo(_)
                | Command::Ehlo(_)
                | Command::Lhlo(_)
                | Command::Noop(_)
                | Command::StartTls
                | Command::Quit
                | Command::Auth { .. } => {}
                _ => {
                    return self.bad_command(530, (5, 7, 0), "Must issue a STARTTLS command first");
                }
            }
        }
        let verb = match &cmd {
            Command::Helo(_) => HelloVerb::Helo,
            Command::Ehlo(_) => HelloVerb::Ehlo,
            _ => HelloVerb::Lhlo,
        };
        match cmd {
            Command::Helo(domain) | Command::Ehlo(domain) | Command::Lhlo(domain) => {
                if self.config.lmtp != (verb == HelloVerb::Lhlo) {
                    return self.unknown_command();
                }
                // RFC 5321 §4.1.4: EHLO and HELO end any transaction.
                self.txn = None;
                self.helo = None;
                let token = self.open_slot(SlotKind::Hello(verb));
                Ok(Progress::Event(ServerEvent::Hello {
                    token,
                    verb,
                    domain,
                }))
            }
            Command::Mail { from, params } => {
                if self.helo.is_none() {
                    return self.bad_command(503, (5, 5, 1), "Error: send HELO/EHLO first");
                }
                if self.txn.is_some() {
                    return self.bad_command(503, (5, 5, 1), "Error: nested MAIL command");
                }
                if let Some((code, esc, text)) = self.check_mail_params(&params) {
                    return self.bad_command(code, esc, text);
                }
                if params
                    .size
                    .is_some_and(|n| n > self.config.limits.message_size)
                {
                    return self.reply(
                        552,
                        Some((5, 3, 4)),
                        "Error: message size exceeds fixed limit",
                    );
                }
                if from.mailbox().is_some_and(|m| !m.is_ascii()) && !params.smtputf8 {
                    return self.reply(
                        553,
                        Some((5, 6, 7)),
                        "Error: non-ASCII address needs SMTPUTF8",
                    );
                }
                self.txn = Some(Txn {
                    mail: MailState::Pending,
                    smtputf8: params.smtputf8,
                    binary: params.body == Some(Body::BinaryMime),
                    accepted: 0,
                    pending_rcpts: 0,
                    bdat: false,
                    size: 0,
                    aborted: None,
                });
                let token = self.open_slot(SlotKind::Mail);
                Ok(Progress::Event(ServerEvent::Mail {
                    token,
                    from,
                    params,
                }))
            }
            Command::Rcpt { to, params } => {
                let Some(txn) = self.txn.as_ref().filter(|t| t.mail == MailState::Accepted) else {
                    return self.bad_command(503, (5, 5, 1), "Error: need MAIL command");
                };
                if txn.accepted + txn.pending_rcpts >= self.config.limits.recipients {
                    return self.reply(452, Some((4, 5, 3)), "Error: too many recipients");
                }
                let utf8_ok = txn.smtputf8;
                if let Some((code, esc, text)) = self.check_rcpt_params(&params) {
                    return self.bad_command(code, esc, text);
                }
                if to.mailbox().is_some_and(|m| !m.is_ascii()) && !utf8_ok {
                    return self.reply(
                        553,
                        Some((5, 6, 7)),
                        "Error: non-ASCII address needs SMTPUTF8",
                    );
                }
                if let Some(t) = &mut self.txn {
                    t.pending_rcpts += 1;
                }
                let token = self.open_slot(SlotKind::Rcpt);
                Ok(Progress::Event(ServerEvent::Rcpt { token, to, params }))
            }
            Command::Data => self.data_command(),
            Command::Bdat { size, last } => self.bdat_command(size, last),
            Command::Rset => {
                self.txn = None;
                self.push_canned(&replies::OK);
                Ok(Progress::Continue)
            }
            Command::Noop(_) => {
                self.push_canned(&replies::OK);
                Ok(Progress::Continue)
            }
            Command::Quit => {
                self.push_canned(&replies::BYE);
                self.closing = true;
                Ok(Progress::Continue)
            }
            Command::Vrfy(argument) if self.config.extensions.vrfy => {
                let token = self.open_slot(SlotKind::Verify);
                Ok(Progress::Event(ServerEvent::Vrfy { token, argument }))
            }
            Command::Vrfy(_) => self.reply(
                252,
                Some((2, 5, 0)),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Command::Expn(argument) if self.config.extensions.expn => {
                let token = self.open_slot(SlotKind::Verify);
                Ok(Progress::Event(ServerEvent::Expn { token, argument }))
            }
            Command::Help(_) if self.config.extensions.help => {
                self.reply(214, Some((2, 0, 0)), "See RFC 5321")
            }
            Command::StartTls => self.starttls_command(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth_command(&mechanism, initial_response),
            _ => self.bad_command(502, (5, 5, 1), "Error: command not implemented"),
        }
    }

    /// RFC 5321 §4.1.1.11: parameters of extensions not offered → 555 5.5.4.
    fn check_mail_params(&self, p: &MailParameters) -> Option<(u16, Esc, &'static str)> {
        let x = &self.config.extensions;
        let ehlo = self.helo != Some(HelloVerb::Helo);
        let bad = (555, (5, 5, 4), "Error: unsupported MAIL parameter");
        let unsupported = !p.other.is_empty()
            || p.mt_priority.is_some()
            || p.hold_for.is_some()
            || p.hold_until.is_some()
            || p.by.is_some()
            || (p.size.is_some() && !x.size)
            || (p.smtputf8 && !x.smtputf8)
            || ((p.ret.is_some() || p.envid.is_some()) && !x.dsn)
            || (p.requiretls && !(x.requiretls && self.tls))
            || (p.auth.is_some() && self.offered_mechanisms().is_empty())
            || match p.body {
                Some(Body::EightBitMime) => !x.eight_bit_mime,
                Some(Body::BinaryMime) => !(x.chunking && x.binary_mime),
                _ => false,
            };
        let any = *p != MailParameters::default();
        (unsupported || (any && !ehlo)).then_some(bad)
    }

    fn check_rcpt_params(&self, p: &RcptParameters) -> Option<(u16, Esc, &'static str)> {
        let x = &self.config.extensions;
        let unsupported = !p.other.is_empty()
            || p.rrvs.is_some()
            || ((p.notify.is_some() || p.orcpt.is_some()) && !x.dsn);
        let any = *p != RcptParameters::default();
        (unsupported || (any && self.helo == Some(HelloVerb::Helo))).then_some((
            555,
            (5, 5, 4),
            "Error: unsupported RCPT parameter",
        ))
    }

    fn data_command(&mut self) -> Result<Progress, Error> {
        let Some(txn) = self.txn.as_ref().filter(|t| t.mail == MailState::Accepted) else {
            return self.bad_command(503, (5, 5, 1), "Error: need MAIL command");
        };
        if txn.bdat {
            return self.bad_command(503, (5, 5, 1), "Error: DATA after BDAT");
        }
        if txn.binary {
            return self.bad_command(503, (5, 5, 1), "Error: BODY=BINARYMIME needs BDAT");
        }
        if txn.accepted == 0 {
            return self.reply(554, Some((5, 5, 1)), "Error: no valid recipients");
        }
        if !self.input.is_empty() && !self.config.allow_unnegotiated_pipelining {
            // RFC 2920 §3.1: DATA ends a pipelined group; a body before 354 is a protocol
            // violation (and the smuggling vector Postfix closes the same way).
            let bytes = self.input.len();
            return Err(self.fail(
                Error::Synchronization { bytes },
                Some((554, (5, 5, 0), "Error: SMTP protocol synchronization")),
            ));
        }
        self.push_reply(354, None, "End data with <CR><LF>.<CR><LF>");
        self.phase = Phase::Data {
            unstuffer: DotUnstuffer::new(self.config.bare_newline),
            line_len: 0,
        };
        Ok(Progress::Continue)
    }

    fn bdat_command(&mut self, size: u64, last: bool) -> Result<Progress, Error> {
        let limit = self.config.limits.message_size;
        if size > limit {
            // A refused chunk is read and dropped, which a chunk this size cannot be within
            // the limits: every later command would be swallowed as data (issue 10).
            return Err(self.fail(
                Error::ChunkTooLarge { size, limit },
                Some((
                    552,
                    (5, 3, 4),
                    "Error: chunk larger than the message size limit",
                )),
            ));
        }
        let mut abort = None;
        let fail: Option<(u16, Esc, &'static str)> = if !self.config.extensions.chunking {
            Some((502, (5, 5, 1), "Error: command not implemented"))
        } else {
            match &mut self.txn {
                Some(t) if t.mail == MailState::Accepted && t.accepted > 0 => {
                    t.bdat = true;
                    if t.aborted.is_some() || t.size.saturating_add(size) > limit {
                        if t.aborted.is_none() {
                            t.aborted = Some(AbortReason::TooLarge);
                            abort = Some(AbortReason::TooLarge);
                        }
                        Some((552, (5, 3, 4), "Error: message too large"))
                    } else {
                        None
                    }
                }
                Some(t) if t.mail == MailState::Accepted => {
                    Some((554, (5, 5, 1), "Error: no valid recipients"))
                }
                _ => Some((503, (5, 5, 1), "Error: need MAIL command")),
            }
        };
        if fail.is_some_and(|(code, _, _)| code == 503 || code == 502) {
            self.bad += 1;
            if self.bad > self.config.limits.bad_commands {
                let limit = self.config.limits.bad_commands;
                return Err(self.fail(Error::TooManyBadCommands { limit }, Some(TOO_MANY)));
            }
        }
        // A refused chunk is still read and dropped, so it is never taken for commands
        // (go-smtp #315).
        self.phase = Phase::Bdat {
            remaining: size,
            last,
            chunk: size,
            fail,
        };
        Ok(abort.map_or(Progress::Continue, |r| {
            Progress::Event(ServerEvent::MessageAborted(r))
        }))
    }

    fn starttls_command(&mut self) -> Result<Progress, Error> {
        if self.tls {
            return self.bad_command(503, (5, 5, 1), "Error: TLS already active");
        }
        if !self.offers_starttls() {
            return self.bad_command(502, (5, 5, 1), "Error: command not implemented");
        }
        self.push_reply(220, Some((2, 0, 0)), "Ready to start TLS");
        self.phase = Phase::StartTls;
        self.tls_go_ahead_sent = false;
        if !self.input.is_empty() {
            let bytes = self.input.len();
            return Err(self.fail(Error::TlsInjection { bytes }, None));
        }
        Ok(Progress::Continue)
    }

    fn data_step(&mut self) -> Result<Progress, Error> {
        let text_limit = self.config.limits.text_line;
        let size_limit = self.config.limits.message_size;
        let Phase::Data {
            unstuffer,
            line_len,
        } = &mut self.phase
        else {
            return Ok(Progress::Continue);
        };
        let frame = unstuffer.next_frame(&mut self.input);
        match frame {
            None => {
                if self.eof {
                    return Err(self.fail(Error::UnexpectedEof { state: "DATA" }, None));
                }
                Ok(Progress::Wait)
            }
            Some(BodyFrame::Chunk(chunk)) => {
                let too_long = text_limit.is_some_and(|limit| track_lines(line_len, &chunk, limit));
                let Some(txn) = &mut self.txn else {
                    return Ok(Progress::Continue);
                };
                txn.size = txn.size.saturating_add(chunk.len() as u64);
                if txn.aborted.is_some() {
                    return Ok(Progress::Continue);
                }
                let reason = if txn.size > size_limit {
                    Some(AbortReason::TooLarge)
                } else if too_long {
                    Some(AbortReason::LineTooLong)
                } else {
                    None
                };
                if let Some(r) = reason {
                    txn.aborted = Some(r);
                    return Ok(Progress::Event(ServerEvent::MessageAborted(r)));
                }
                Ok(Progress::Event(ServerEvent::BodyChunk(chunk)))
            }
            Some(BodyFrame::End) => Ok(self.end_message()),
            Some(_) => {
                // Rejected: a bare CR or LF under the strict policy.
                let first = match &mut self.txn {
                    Some(t) if t.aborted.is_none() => {
                        t.aborted = Some(AbortReason::BareNewline);
                        true
                    }
                    _ => false,
                };
                let progress = self.end_message();
                Ok(if first {
                    Progress::Event(ServerEvent::MessageAborted(AbortReason::BareNewline))
                } else {
                    progress
                })
            }
        }
    }

    fn bdat_step(&mut self) -> Result<Progress, Error> {
        let size_limit = self.config.limits.message_size;
        let Phase::Bdat {
            remaining, fail, ..
        } = &mut self.phase
        else {
            return Ok(Progress::Continue);
        };
        if *remaining > 0 {
            if self.input.is_empty() {
                if self.eof {
                    return Err(self.fail(Error::UnexpectedEof { state: "BDAT" }, None));
                }
                return Ok(Progress::Wait);
            }
            let n = usize::try_from(*remaining)
                .unwrap_or(usize::MAX)
                .min(self.input.len());
            let data = self.input.split_to(n).freeze();
            *remaining -= n as u64;
            if fail.is_some() {
                return Ok(Progress::Continue);
            }
            let Some(txn) = &mut self.txn else {
                return Ok(Progress::Continue);
            };
            txn.size = txn.size.saturating_add(n as u64);
            if txn.size > size_limit {
                txn.aborted = Some(AbortReason::TooLarge);
                *fail = Some((552, (5, 3, 4), "Error: message too large"));
                return Ok(Progress::Event(ServerEvent::MessageAborted(
                    AbortReason::TooLarge,
                )));
            }
            return Ok(Progress::Event(ServerEvent::BodyChunk(data)));
        }
        let Phase::Bdat {
            last, chunk, fail, ..
        } = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return Ok(Progress::Continue);
        };
        self.lines.reset();
        if let Some((code, esc, text)) = fail {
            if self.txn.as_ref().is_some_and(|t| t.aborted.is_some()) {
                self.txn = None;
            }
            return self.reply(code, Some(esc), text);
        }
        if last {
            return Ok(self.end_message());
        }
        // Formatted on the stack: a reply per chunk should not cost an allocation.
        let mut buf = [0u8; 40];
        let len = {
            let mut cursor = &mut buf[..];
            let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{chunk} octets received"));
            40 - cursor.len()
        };
        let text = buf
            .get(..len)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or_default();
        self.reply(250, Some((2, 0, 0)), text)
    }

    /// The body ended: the machine's refusal, or the event that asks for the final reply.
    fn end_message(&mut self) -> Progress {
        self.phase = Phase::Command;
        self.lines.reset();
        let Some(txn) = self.txn.take() else {
            return Progress::Continue;
        };
        let n = if self.config.lmtp {
            txn.accepted.max(1)
        } else {
            1
        };
        if let Some(reason) = txn.aborted {
            let (code, esc, text) = match reason {
                AbortReason::TooLarge => (552, (5, 3, 4), "Error: message too large"),
                AbortReason::LineTooLong => (500, (5, 5, 6), "Error: line too long"),
                AbortReason::BareNewline => (550, (5, 6, 0), "Error: bare CR or LF in message"),
            };
            for _ in 0..n {
                self.push_reply(code, Some(esc), text);
            }
            return Progress::Continue;
        }
        let token = self.open_slot(SlotKind::Message {
            recipients: txn.accepted,
        });
        Progress::Event(ServerEvent::MessageComplete {
            token,
            size: txn.size,
            recipients: txn.accepted,
        })
    }
}

/// Tracks the current text line's length across chunks; true if a line exceeded `limit`
/// octets including its CRLF (RFC 5321 §4.5.3.1.6). Each step searches only the stretch the
/// current line may still grow by, backwards, and jumps past the last LF in it: about one
/// search per `limit` octets instead of one per line.
fn track_lines(line_len: &mut usize, chunk: &[u8], limit: usize) -> bool {
    let mut rest = chunk;
    loop {
        let room = limit.saturating_sub(*line_len);
        let window = rest.get(..room).unwrap_or(rest);
        if let Some(lf) = memchr::memrchr(b'\n', window) {
            *line_len = 0;
            rest = rest.get(lf + 1..).unwrap_or_default();
        } else if rest.len() <= room {
            *line_len += rest.len();
            return false;
        } else {
            // No LF within reach: this line is too long. Keep counting from the last LF.
            *line_len = match memchr::memrchr(b'\n', rest) {
                Some(lf) => rest.len() - lf - 1,
                None => *line_len + rest.len(),
            };
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::track_lines;

    /// The line-length check against a plain count, for every way of cutting some bodies.
    #[test]
    fn track_lines_matches_a_plain_count() {
        let bodies: [&[u8]; 5] = [
            b"abc\r\ndefgh\r\n\r\nij\r\n",
            b"abcdefghij\r\nk\r\n",
            b"abcdefghijk",
            b"\n\n\nabcdefgh\nabcdefghi\n",
            b"abcdefgh\r\nabcdefghi",
        ];
        for body in bodies {
            for limit in 0..14 {
                let plain = body
                    .split_inclusive(|&b| b == b'\n')
                    .any(|line| line.len() > limit);
                for cut in 0..=body.len() {
                    let (a, b) = body.split_at(cut);
                    let mut len = 0;
                    let first = track_lines(&mut len, a, limit);
                    let second = track_lines(&mut len, b, limit);
                    assert_eq!(first || second, plain, "{body:?} {limit} {cut}");
                }
            }
        }
    }
}
