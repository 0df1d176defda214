//! Reading the server's answers and matching them to the commands in flight.

use std::sync::LazyLock;

use mail_sansio::dot::{BodyFrame, DotUnstuffer};
use mail_sansio::line::Frame;
use memchr::memmem::Finder;

use super::{BODY_PIECE, Client, ClientEvent, Op, Reading};
use crate::capability::{Capabilities, Capability};
use crate::command::{AuthResponse, Command, CommandKind};
use crate::config::TlsMode;
use crate::error::{Error, ParseError};
use crate::response::{Response, ScanListing, Status, StatusLine, UniqueIdListing};
use crate::state::State;

/// What a body's terminator looks like from the LF that ends the line before it.
static TERMINATOR: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n.\r\n"));

impl Client {
    pub(super) fn next_event(&mut self) -> Result<Option<ClientEvent>, Error> {
        // Whatever happens here, the quiet length is worked out again on the way out.
        self.quiet = 0;
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            if let Some(error) = &self.error {
                return Err(error.clone());
            }
            if self.closing {
                return Ok(None);
            }
            if self.state == State::TlsHandshake {
                if self.injected > 0 {
                    let bytes = self.injected;
                    self.fail(Error::TlsInjection { bytes });
                    continue;
                }
                return Ok(None);
            }
            if !self.step() {
                if self.eof {
                    let state = if !matches!(self.reading, Reading::Status) {
                        "reading a multi-line response"
                    } else if !self.in_flight.is_empty() {
                        "waiting for a response"
                    } else if self.state == State::Greeting {
                        "waiting for the greeting"
                    } else {
                        "idle"
                    };
                    self.fail(Error::UnexpectedEof { state });
                    continue;
                }
                self.set_quiet();
                return Ok(None);
            }
        }
    }

    /// Nothing was left to report with the input as it is: until what one more octet may
    /// change, `poll_event` answers `None` without looking (see [`Client::quiet`]).
    fn set_quiet(&mut self) {
        self.quiet = self.input.len().saturating_add(1);
        (self.quiet_limit, self.quiet_body) = match self.reading {
            Reading::Body(_) => (BODY_PIECE, true),
            _ => (self.framer.max_line(), false),
        };
    }

    /// Whether a body may end within `input` (which comes right after `consumed` octets of
    /// it): its terminator `CRLF.CRLF` may be split between what the unstuffer took and
    /// what is left, so the input either holds `LF.CRLF` or starts with a tail of the
    /// terminator that ends in its LF. The search goes on where the last one stopped, so
    /// each octet is searched about once.
    fn body_may_end(&mut self, consumed: u64) -> bool {
        let input = &self.input[..];
        if [&b"\n"[..], b"\r\n", b".\r\n"]
            .iter()
            .any(|tail| input.starts_with(tail))
        {
            return true;
        }
        let from = usize::try_from(self.body_searched.saturating_sub(consumed))
            .unwrap_or(usize::MAX)
            .min(input.len())
            .saturating_sub(3);
        // A terminator found stays in the input until the body is read up to it: the next
        // search starts there again.
        let found = TERMINATOR.find(input.get(from..).unwrap_or_default());
        let searched = found.map_or(input.len(), |i| from + i);
        self.body_searched = consumed.saturating_add(searched as u64);
        found.is_some()
    }

    /// Takes one unit off the input; false when more input is needed.
    fn step(&mut self) -> bool {
        if let Reading::Body(unstuffer) = &self.reading {
            // Small pieces of body are held until they add up to `BODY_PIECE` octets (or the
            // body may end in them, or the input ends), so that small reads do not come out
            // as as many `Data` events.
            let consumed = unstuffer.consumed();
            if !self.eof && self.input.len() < BODY_PIECE && !self.body_may_end(consumed) {
                return false;
            }
        }
        if let Reading::Body(unstuffer) = &mut self.reading {
            match unstuffer.next_frame(&mut self.input) {
                None => return false,
                Some(BodyFrame::Chunk(bytes)) => self.events.push_back(ClientEvent::Data(bytes)),
                Some(BodyFrame::End) => {
                    self.reading = Reading::Status;
                    self.framer.reset();
                    self.finish_multi_line();
                }
                Some(BodyFrame::Rejected { offset }) => {
                    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
                    self.fail(Error::Parse(ParseError::BareNewline { offset }));
                }
                Some(_) => self.fail(Error::UnexpectedResponse("unknown body frame")),
            }
            return true;
        }
        let Some(frame) = self.framer.next_frame(&mut self.input) else {
            if self.framer.is_skipping() {
                let limit = self.framer.max_line();
                self.fail(Error::Parse(ParseError::LineTooLong { limit }));
                return true;
            }
            return false;
        };
        match frame {
            Frame::Line(line) => {
                if matches!(self.reading, Reading::Lines) {
                    self.list_line(&line);
                } else {
                    self.status_line(&line);
                }
            }
            Frame::TooLong { .. } => {
                let limit = self.framer.max_line();
                self.fail(Error::Parse(ParseError::LineTooLong { limit }));
            }
            _ => self.fail(Error::Parse(ParseError::BareNewline { offset: 0 })),
        }
        true
    }

    /// One line of a multi-line CAPA, LIST or UIDL answer.
    fn list_line(&mut self, line: &[u8]) {
        if line == b"." {
            self.reading = Reading::Status;
            self.finish_multi_line();
            return;
        }
        // RFC 1939 §3: a line starting with "." has an extra "." on the wire.
        let line = line.strip_prefix(b".").unwrap_or(line);
        let kind = self.in_flight.front().map(Op::kind);
        match kind {
            Some(CommandKind::Capa) => {
                if self.collecting.as_slice().len() >= self.config.limits.capabilities {
                    self.fail(Error::LimitExceeded("capability lines"));
                    return;
                }
                let mut list = std::mem::take(&mut self.collecting).into_vec();
                list.push(Capability::parse(line));
                self.collecting = Capabilities::new(list);
            }
            Some(CommandKind::List) => match ScanListing::parse(line) {
                Ok(scan) => self.events.push_back(ClientEvent::Scan(scan)),
                Err(e) => self.fail(Error::Parse(e)),
            },
            Some(CommandKind::Uidl) => match UniqueIdListing::parse(line) {
                Ok(uid) => self.events.push_back(ClientEvent::UniqueId(uid)),
                Err(e) => self.fail(Error::Parse(e)),
            },
            _ => self.fail(Error::UnexpectedResponse("multi-line answer")),
        }
    }

    /// The terminating `.` of a multi-line answer.
    fn finish_multi_line(&mut self) {
        let Some(op) = self.in_flight.pop_front() else {
            self.fail(Error::UnexpectedResponse("response without a command"));
            return;
        };
        let text = std::mem::take(&mut self.ok_text);
        match op {
            Op::AutoCapa => {
                let caps = std::mem::take(&mut self.collecting);
                self.capabilities = Some(caps.clone());
                self.events.push_back(ClientEvent::Capabilities(caps));
                self.after_capa();
            }
            Op::Plain(Command::Capa) => {
                let caps = std::mem::take(&mut self.collecting);
                self.capabilities = Some(caps.clone());
                self.events.push_back(ClientEvent::Capabilities(caps));
                self.completed(CommandKind::Capa, text);
            }
            op => self.completed(op.kind(), text),
        }
        self.flush_queue();
    }

    fn completed(&mut self, command: CommandKind, text: crate::types::Text) {
        self.events
            .push_back(ClientEvent::Completed { command, text });
    }

    /// After the automatic CAPA: STLS if required, else ready.
    fn after_capa(&mut self) {
        if self.ready {
            return;
        }
        if self.config.tls == TlsMode::Required && !self.tls_active {
            let known = self
                .capabilities
                .as_ref()
                .is_some_and(|c| !c.as_slice().is_empty());
            if known && !self.capabilities.as_ref().is_some_and(Capabilities::stls) {
                self.fail(Error::TlsUnavailable {
                    reason: "does not offer STLS",
                });
                return;
            }
            self.send_internal(Op::Stls, &Command::Stls);
            return;
        }
        self.ready = true;
        self.events.push_back(ClientEvent::Ready);
    }

    fn status_line(&mut self, line: &[u8]) {
        let response = match Response::parse_line(line) {
            Ok(r) => r,
            Err(e) => {
                self.fail(Error::Parse(e));
                return;
            }
        };
        if self.state == State::Greeting {
            match response {
                Response::Status(s) if s.is_ok() => {
                    self.greeting = Some(s.clone());
                    self.events.push_back(ClientEvent::Greeting(s));
                    self.state = State::Authorization;
                    self.send_internal(Op::AutoCapa, &Command::Capa);
                }
                Response::Status(s) => {
                    self.fail(Error::GreetingRejected(s.text.as_str().to_owned()));
                }
                Response::Challenge(_) => {
                    self.fail(Error::UnexpectedResponse("challenge instead of greeting"));
                }
            }
            return;
        }
        match response {
            Response::Challenge(data) => self.challenge(&data),
            Response::Status(s) => self.status(s),
        }
    }

    fn challenge(&mut self, data: &[u8]) {
        let limit = self.config.limits.sasl_steps;
        let Some(Op::Auth(auth)) = self.in_flight.front_mut() else {
            self.fail(Error::UnexpectedResponse("challenge outside AUTH"));
            return;
        };
        auth.steps = auth.steps.saturating_add(1);
        if auth.steps > limit {
            self.fail(Error::LimitExceeded("sasl round trips"));
            return;
        }
        if auth.cancelled {
            self.fail(Error::UnexpectedResponse(
                "challenge after the exchange was cancelled",
            ));
            return;
        }
        let answer = match auth.deferred.take() {
            Some(initial) => Ok(initial),
            None => auth.sasl.step(data),
        };
        match answer {
            Ok(response) => AuthResponse::Data(response).encode(&mut self.out),
            Err(_) => {
                auth.cancelled = true;
                AuthResponse::Cancel.encode(&mut self.out);
            }
        }
    }

    fn status(&mut self, s: StatusLine) {
        let Some(op) = self.in_flight.front() else {
            self.fail(Error::UnexpectedResponse("response without a command"));
            return;
        };
        if s.status == Status::Ok {
            let multi = match op {
                Op::AutoCapa => Some(false),
                Op::Plain(cmd) if cmd.expects_multi_line() => {
                    Some(matches!(cmd, Command::Retr(_) | Command::Top { .. }))
                }
                _ => None,
            };
            if let Some(body) = multi {
                self.ok_text = s.text;
                self.collecting = Capabilities::default();
                self.reading = if body {
                    self.body_searched = 0;
                    Reading::Body(DotUnstuffer::new(self.config.body_bare_newline))
                } else {
                    Reading::Lines
                };
                return;
            }
        }
        let Some(op) = self.in_flight.pop_front() else {
            return;
        };
        if s.status == Status::Ok {
            self.ok(op, s);
        } else {
            self.err(op, s);
        }
        self.flush_queue();
    }

    fn ok(&mut self, op: Op, s: StatusLine) {
        match op {
            Op::AutoCapa => {}
            Op::Stls => {
                // STARTTLS contract: nothing after the +OK is read; bytes already here are
                // an injection.
                self.state = State::TlsHandshake;
                self.capabilities = None;
                self.injected = self.input.len();
                self.input.clear();
            }
            Op::User(password) => {
                self.send_internal(Op::Pass, &Command::Pass(password));
            }
            Op::Pass | Op::Apop => self.logged_in(),
            Op::Auth(mut auth) => {
                if auth.cancelled {
                    self.fail(Error::Sasl("server accepted a cancelled exchange".into()));
                } else if let Err(e) = auth.sasl.finish(None) {
                    self.fail(Error::Sasl(e.to_string()));
                } else {
                    self.logged_in();
                }
            }
            Op::Plain(cmd) => match cmd {
                Command::Stat => match s.stat() {
                    Ok(stat) => {
                        self.events.push_back(ClientEvent::Stat(stat));
                        self.completed(CommandKind::Stat, s.text);
                    }
                    Err(e) => self.fail(Error::Parse(e)),
                },
                Command::List(Some(_)) => match ScanListing::parse(s.text.as_str().as_bytes()) {
                    Ok(scan) => {
                        self.events.push_back(ClientEvent::Scan(scan));
                        self.completed(CommandKind::List, s.text);
                    }
                    Err(e) => self.fail(Error::Parse(e)),
                },
                Command::Uidl(Some(_)) => {
                    match UniqueIdListing::parse(s.text.as_str().as_bytes()) {
                        Ok(uid) => {
                            self.events.push_back(ClientEvent::UniqueId(uid));
                            self.completed(CommandKind::Uidl, s.text);
                        }
                        Err(e) => self.fail(Error::Parse(e)),
                    }
                }
                Command::Dele(n) => {
                    self.deleted.push(n);
                    self.completed(CommandKind::Dele, s.text);
                }
                Command::Rset => {
                    self.deleted.clear();
                    self.completed(CommandKind::Rset, s.text);
                }
                Command::Quit => {
                    let deleted = if self.state == State::Transaction {
                        std::mem::take(&mut self.deleted)
                    } else {
                        Vec::new()
                    };
                    self.events.push_back(ClientEvent::Closed { deleted });
                    self.state = State::Closed;
                    self.closing = true;
                }
                other => self.completed(other.kind(), s.text),
            },
        }
    }

    fn err(&mut self, op: Op, s: StatusLine) {
        let command = op.kind();
        match op {
            Op::AutoCapa => {
                // RFC 2449 §5: a server without CAPA; nothing is known about it.
                self.capabilities = Some(Capabilities::default());
                self.events
                    .push_back(ClientEvent::Capabilities(Capabilities::default()));
                self.after_capa();
                return;
            }
            Op::Stls => {
                self.fail(Error::TlsUnavailable {
                    reason: "refused STLS",
                });
                return;
            }
            Op::Plain(Command::Quit) => {
                self.state = State::Closed;
                self.closing = true;
            }
            _ => {}
        }
        self.events.push_back(ClientEvent::Failed {
            command,
            code: s.code,
            text: s.text,
        });
    }

    fn logged_in(&mut self) {
        self.state = State::Transaction;
        self.events.push_back(ClientEvent::LoggedIn);
        if self.config.capa_after_login {
            self.send_internal(Op::AutoCapa, &Command::Capa);
        }
    }
}
