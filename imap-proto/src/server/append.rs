//! APPEND and MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502): message bodies reach the application
//! as [`ServerEvent::AppendStart`] / [`ServerEvent::AppendChunk`] / [`ServerEvent::AppendEnd`],
//! whether the framer kept a literal in the unit (small) or streamed it out (large).
//!
//! A streamed literal starts before its command is complete, so the machine reads the command
//! so far, the framer's prefix closed right after the literal being streamed, to learn the
//! mailbox, flags and date before the first chunk goes out.

use bytes::{Bytes, BytesMut};

use super::dispatch::{Step, tag_of};
use super::{Kind, Server, ServerEvent, Updates};
use crate::command::{AppendData, AppendMessage, Command, CommandBody};
use crate::error::{ParseError, ParseErrorKind};
use crate::frame::{LiteralSpan, Unit};
use crate::parse::Cx;
use crate::response::{Code, Condition};
use crate::state::State;
use crate::types::{Mailbox, Tag};

/// An APPEND whose literal data is streaming.
#[derive(Debug)]
pub(super) struct AppendRun {
    /// The command's tag (`None` when the unit starts with no valid one).
    pub(super) tag: Option<Tag>,
    /// Messages whose events were queued.
    pub(super) emitted: usize,
    /// The streamed literals of the unit so far.
    spans: Vec<LiteralSpan>,
    /// The command was refused (and answered): its remaining bytes are dropped silently.
    pub(super) poisoned: bool,
}

/// Parses `bytes` as a command whose `spans` were streamed out.
fn parse(
    bytes: &Bytes,
    spans: &[LiteralSpan],
    options: &crate::command::DecodeOptions,
) -> Result<Command, ParseError> {
    let cx = Cx::new(bytes, options.leniency, &options.limits)
        .with_utf8(options.utf8)
        .with_literals(spans);
    match crate::parse::command::command(&cx, cx.input()) {
        Ok(([], command)) => Ok(command),
        Ok((rest, _)) => Err(ParseError::new(
            ParseErrorKind::Syntax,
            cx.offset(rest),
            "command",
        )),
        Err(e) => Err(cx.error(e)),
    }
}

impl Server {
    /// A literal starts streaming: it must be an APPEND's message.
    pub(super) fn append_literal_start(
        &mut self,
        prefix: &Bytes,
        len: u64,
        binary: bool,
        sync: bool,
    ) -> Step {
        let mut run = match self.append.take() {
            Some(run) => run,
            None => Box::new(AppendRun {
                tag: tag_of(prefix),
                emitted: 0,
                spans: Vec::new(),
                poisoned: false,
            }),
        };
        if run.poisoned {
            self.append = Some(run);
            return Ok(None);
        }
        run.spans.push(LiteralSpan {
            offset: prefix.len(),
            len,
            sync,
            binary,
            streamed: true,
        });
        let mut closed = BytesMut::with_capacity(prefix.len() + 2);
        closed.extend_from_slice(prefix);
        closed.extend_from_slice(b"\r\n");
        let closed = closed.freeze();
        let options = self.decode_options();
        let parsed = parse(&closed, &run.spans, &options);
        let authenticated = matches!(self.state, State::Authenticated | State::Selected);
        let refusal = match &parsed {
            Ok(Command {
                body: CommandBody::Append { messages, .. },
                ..
            }) if authenticated => {
                if messages.len() > 1 && !self.config.extensions.multiappend {
                    Some("MULTIAPPEND is not offered")
                } else {
                    None
                }
            }
            Ok(Command {
                body: CommandBody::Append { .. },
                ..
            }) => Some("Command not allowed before authentication"),
            Ok(_) => Some("Literal too large"),
            Err(_) => Some("Error in IMAP command APPEND"),
        };
        if let Some(text) = refusal {
            let aborted = run.emitted > 0;
            run.poisoned = true;
            let tag = run.tag.clone();
            self.append = Some(run);
            if aborted {
                self.queued.push_back(ServerEvent::AppendAborted);
            }
            let code = (text == "Literal too large").then_some(Code::TooBig);
            return self.bad_command(tag, Condition::Bad, code, text);
        }
        if let Ok(Command {
            body: CommandBody::Append { mailbox, messages },
            ..
        }) = parsed
        {
            self.queue_messages(&mailbox, &messages, run.emitted);
            run.emitted = messages.len();
        }
        self.append = Some(run);
        Ok(None)
    }

    /// The unit of an APPEND whose literal streamed is complete.
    pub(super) fn append_unit_end(&mut self, unit: &Unit) -> Step {
        let Some(run) = self.append.take() else {
            return Ok(None);
        };
        if run.poisoned {
            return Ok(None);
        }
        let options = self.decode_options();
        match Command::from_unit(unit, &options) {
            Ok(Command {
                tag,
                body: CommandBody::Append { mailbox, messages },
            }) => {
                self.queue_messages(&mailbox, &messages, run.emitted);
                self.finish_append(tag, mailbox, messages.len());
                Ok(None)
            }
            _ => {
                self.queued.push_back(ServerEvent::AppendAborted);
                self.bad_command(
                    run.tag,
                    Condition::Bad,
                    None,
                    "Error in IMAP command APPEND",
                )
            }
        }
    }

    /// An APPEND whose literals were all kept in the unit.
    pub(super) fn append_whole(
        &mut self,
        tag: Tag,
        mailbox: Mailbox,
        messages: Vec<AppendMessage>,
    ) -> Step {
        if messages.len() > 1 && !self.config.extensions.multiappend {
            return self.bad_command(
                Some(tag),
                Condition::Bad,
                None,
                "MULTIAPPEND is not offered",
            );
        }
        self.queue_messages(&mailbox, &messages, 0);
        self.finish_append(tag, mailbox, messages.len());
        Ok(None)
    }

    /// Queues the events of `messages[from..]`: whole ones for kept literals, the start only
    /// for a streamed one (its chunks follow from the framer).
    fn queue_messages(&mut self, mailbox: &Mailbox, messages: &[AppendMessage], from: usize) {
        for message in messages.iter().skip(from) {
            let (size, binary, data) = match &message.data {
                AppendData::Literal(s) => (s.len() as u64, false, Some(s.as_shared().clone())),
                AppendData::Literal8(s) => (s.len() as u64, true, Some(s.as_shared().clone())),
                AppendData::Streamed { len, binary } => (*len, *binary, None),
            };
            self.queued.push_back(ServerEvent::AppendStart {
                mailbox: mailbox.clone(),
                flags: message.flags.clone(),
                date: message.date,
                size,
                binary,
            });
            if let Some(data) = data {
                if !data.is_empty() {
                    self.queued.push_back(ServerEvent::AppendChunk(data));
                }
                self.queued.push_back(ServerEvent::AppendEnd);
            }
        }
    }

    fn finish_append(&mut self, tag: Tag, mailbox: Mailbox, messages: usize) {
        let token = self.open_slot(tag, Kind::Other, false, Updates::All, "APPEND");
        self.queued.push_back(ServerEvent::Append {
            token,
            mailbox,
            messages,
        });
    }
}
