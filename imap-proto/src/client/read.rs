//! Reading the server: frames, the greeting, status responses, continuation requests and
//! untagged data, and what each means for the commands in flight.

use bytes::Bytes;
use mail_sansio::sasl::wire;

use super::event::frame_error_as_parse;
use super::queue::Kind;
use super::{Client, ClientEvent, Phase, Selected, too_many_steps};
use crate::command::{AuthenticateData, CommandBody};
use crate::config::TlsMode;
use crate::encode::{EncodeOptions, Encoder};
use crate::error::{Error, ParseError};
use crate::frame::Frame;
use crate::response::{
    Capability, Code, Condition, Continuation, Data, Greeting, GreetingKind, Response, Status,
    StatusKind,
};
use crate::types::Tag;

impl Client {
    /// The body of `poll_event`: one event per call, parsing only as far as needed.
    pub(super) fn next_event(&mut self) -> Result<Option<ClientEvent>, Error> {
        // Whatever happens here, the quiet length is worked out again on the way out.
        self.quiet = 0;
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            if self.closing {
                return Ok(None);
            }
            if self.phase == Phase::TlsHandshake {
                if self.injected > 0 {
                    let bytes = self.injected;
                    return Err(self.fail(Error::TlsInjection { bytes }));
                }
                if self.eof {
                    let state = "waiting for the tls handshake";
                    return Err(self.fail(Error::UnexpectedEof { state }));
                }
                return Ok(None);
            }
            if self.compress_pending {
                if self.injected > 0 {
                    let bytes = self.injected;
                    return Err(self.fail(Error::CompressionInjection { bytes }));
                }
                if self.eof {
                    let state = "waiting for the compression switch";
                    return Err(self.fail(Error::UnexpectedEof { state }));
                }
                return Ok(None);
            }
            match self.framer.next_frame(&mut self.input) {
                Some(frame) => {
                    if let Err(error) = self.on_frame(frame) {
                        return Err(self.fail(error));
                    }
                }
                None if self.eof => return self.on_eof(),
                None => {
                    (self.quiet, self.quiet_limit) = self.framer.quiet(self.input.len());
                    return Ok(None);
                }
            }
        }
    }

    /// The server closed its side with nothing left to read.
    fn on_eof(&mut self) -> Result<Option<ClientEvent>, Error> {
        if self.bye || self.logout_sent {
            self.closing = true;
            return Ok(None);
        }
        let state = match self.phase {
            Phase::Greeting => "waiting for the greeting",
            Phase::Setup => "reading capabilities or starting tls",
            Phase::TlsHandshake => "waiting for the tls handshake",
            Phase::Ready if self.in_flight.is_empty() => "the session was open",
            Phase::Ready => "waiting for a response",
        };
        Err(self.fail(Error::UnexpectedEof { state }))
    }

    fn on_frame(&mut self, frame: Frame) -> Result<(), Error> {
        match frame {
            Frame::Unit(unit) if self.phase == Phase::Greeting => {
                let greeting =
                    Greeting::from_unit(&unit, &self.decode).map_err(Error::BadResponse)?;
                self.on_greeting(greeting)
            }
            Frame::Unit(unit) => match Response::from_unit(&unit, &self.decode) {
                Ok(response) => self.on_response(response),
                Err(error) => self.unparsable(error),
            },
            Frame::LiteralStart { .. } if self.phase == Phase::Greeting => {
                // A greeting is a status line, which never announces a literal: this is not
                // an IMAP server. Fail now rather than stream its bytes as message data.
                Err(Error::UnexpectedResponse("literal in the greeting"))
            }
            Frame::LiteralStart { prefix, len, .. } => {
                if self.trusted() {
                    let seq = fetch_seq(&prefix);
                    self.events
                        .push_back(ClientEvent::LiteralStart { seq, prefix, len });
                }
                Ok(())
            }
            Frame::LiteralChunk(bytes) => {
                if self.trusted() {
                    self.events.push_back(ClientEvent::LiteralChunk(bytes));
                }
                Ok(())
            }
            Frame::LiteralEnd => {
                if self.trusted() {
                    self.events.push_back(ClientEvent::LiteralEnd);
                }
                Ok(())
            }
            Frame::Error(error) => {
                if error.is_fatal() || !self.config.skip_unparsable || self.phase != Phase::Ready {
                    return Err(Error::Framing(error));
                }
                self.events
                    .push_back(ClientEvent::Unparsable(frame_error_as_parse(&error)));
                Ok(())
            }
            // Only a server's framer stops at literal announcements.
            _ => Ok(()),
        }
    }

    /// A response that does not parse: fatal, or skipped when so configured.
    fn unparsable(&mut self, error: ParseError) -> Result<(), Error> {
        if self.config.skip_unparsable && self.phase == Phase::Ready {
            self.events.push_back(ClientEvent::Unparsable(error));
            Ok(())
        } else {
            Err(Error::BadResponse(error))
        }
    }

    fn on_greeting(&mut self, greeting: Greeting) -> Result<(), Error> {
        let code = greeting.code.clone();
        match greeting.kind {
            GreetingKind::Bye => {
                let text = String::from_utf8_lossy(greeting.text.as_bytes()).into_owned();
                return Err(Error::Rejected { text });
            }
            GreetingKind::PreAuth if !self.trusted() => {
                // A PREAUTH in plaintext skips STARTTLS altogether: a downgrade (Mutt and
                // NeoMutt abort on it; security-anchors §8 item 8).
                return Err(Error::TlsUnavailable {
                    reason: "greeted with preauth before tls",
                });
            }
            GreetingKind::PreAuth => {
                self.authenticated = true;
                self.preauth = true;
            }
            GreetingKind::Ok => {}
        }
        self.greeting = Some(greeting);
        self.phase = Phase::Setup;
        if let Some(Code::Capability(caps)) = code {
            self.set_capabilities(caps);
        }
        self.advance_setup()
    }

    /// The next step before [`ClientEvent::Ready`]: capabilities, then STARTTLS if needed.
    fn advance_setup(&mut self) -> Result<(), Error> {
        if self.capabilities.is_none() {
            self.send_internal(CommandBody::Capability, Kind::AutoCapability);
            return Ok(());
        }
        if self.config.tls == TlsMode::Required && !self.tls {
            if !self.has_capability(&Capability::StartTls) {
                return Err(Error::TlsUnavailable {
                    reason: "does not offer starttls",
                });
            }
            self.send_internal(CommandBody::StartTls, Kind::StartTls);
            return Ok(());
        }
        self.phase = Phase::Ready;
        self.events.push_back(ClientEvent::Ready {
            preauth: self.preauth,
        });
        self.flush_queue();
        Ok(())
    }

    /// Replaces the capabilities; shown to the application when trusted.
    fn set_capabilities(&mut self, caps: Vec<Capability>) {
        if self.trusted() {
            self.events
                .push_back(ClientEvent::Capabilities(caps.clone()));
        }
        self.capabilities = Some(caps);
    }

    fn on_response(&mut self, response: Response) -> Result<(), Error> {
        match response {
            Response::Continuation(c) => self.on_continuation(c),
            Response::Status(s) => self.on_status(s),
            Response::Data(d) => self.on_data(d),
        }
    }

    fn on_status(&mut self, status: Status) -> Result<(), Error> {
        match status.kind.clone() {
            StatusKind::Tagged(tag, condition) => self.on_tagged(&tag, condition, status),
            StatusKind::Bye => {
                if !self.trusted() {
                    let text = String::from_utf8_lossy(status.text.as_bytes()).into_owned();
                    return Err(Error::Rejected { text });
                }
                self.bye = true;
                self.events.push_back(ClientEvent::Bye(status));
                Ok(())
            }
            StatusKind::PreAuth => Err(Error::UnexpectedResponse("preauth after the greeting")),
            StatusKind::Untagged(_) => {
                if let Some(code) = &status.code {
                    self.apply_code(code);
                }
                if self.trusted() {
                    self.events.push_back(ClientEvent::Status(status));
                }
                Ok(())
            }
        }
    }

    /// A response code of an untagged status, or of a tagged one.
    fn apply_code(&mut self, code: &Code) {
        match code {
            Code::Capability(caps) => self.set_capabilities(caps.clone()),
            Code::Closed => {
                // RFC 7162 §3.2.11: what follows is about the mailbox being selected.
                if let Some(next) = self.next_tracker.take() {
                    self.tracker = Some(next);
                }
                if self.select_pending() {
                    self.selected = None;
                }
            }
            _ => {
                if let Some(tracker) = &mut self.tracker {
                    tracker.apply_code(code);
                }
            }
        }
    }

    fn on_data(&mut self, data: Data) -> Result<(), Error> {
        match data {
            Data::Capability(caps) => {
                self.set_capabilities(caps);
                return Ok(());
            }
            Data::Enabled(ref caps) => {
                for cap in caps {
                    if matches!(cap, Capability::Utf8Accept | Capability::Imap4Rev2) {
                        // RFC 6855 §3, RFC 9051 §6.3.1: names and strings are UTF-8 from now.
                        self.decode.utf8 = true;
                    }
                    if !self.enabled.contains(cap) {
                        self.enabled.push(cap.clone());
                    }
                }
            }
            _ => {}
        }
        if !self.trusted() {
            return Ok(());
        }
        if let Some(tracker) = &mut self.tracker {
            tracker.apply(&data);
        }
        self.events.push_back(ClientEvent::Data(data));
        Ok(())
    }

    fn on_continuation(&mut self, c: Continuation) -> Result<(), Error> {
        let Some(tag) = self.cont.clone() else {
            if self
                .in_flight
                .iter()
                .any(|f| matches!(f.kind, Kind::StartTls))
            {
                return Err(Error::TlsUnavailable {
                    reason: "answered starttls with a continuation request",
                });
            }
            return Err(Error::UnexpectedResponse(
                "continuation request while no command waits for one",
            ));
        };
        let max_steps = self.config.sasl_steps;
        let max_challenge = self.config.sasl_challenge;
        let last_activity = self.last_activity;
        let Some(f) = self.in_flight.iter_mut().find(|f| f.tag == tag) else {
            return Err(Error::UnexpectedResponse(
                "continuation request while no command waits for one",
            ));
        };
        if let Some(len) = f.rest.front_mut().and_then(|piece| piece.data_len.take()) {
            // A streamed APPEND literal: the application sends the data.
            self.streaming = Some(len);
            self.events.push_back(ClientEvent::AppendData { tag, len });
            if len == 0 {
                self.end_streamed_literal();
            }
            return Ok(());
        }
        if let Some(piece) = f.rest.pop_front() {
            // The go-ahead for a synchronising literal: its data and the line after it.
            self.out.extend_from_slice(&piece.bytes);
            if f.rest.is_empty() {
                self.cont = None;
                self.flush_queue();
            }
            return Ok(());
        }
        match &mut f.kind {
            Kind::Authenticate(run) => {
                if run.cancelled {
                    return Err(Error::UnexpectedResponse(
                        "continuation request after the client cancelled authenticate",
                    ));
                }
                run.steps = run.steps.saturating_add(1);
                let answer = if run.steps > max_steps {
                    Err(too_many_steps())
                } else {
                    wire::decode_challenge(c.text.as_bytes(), max_challenge)
                        .and_then(|challenge| run.sasl.step(&challenge))
                };
                let line = match answer {
                    Ok(response) => AuthenticateData::Data(response),
                    Err(error) => {
                        // Never let a bad challenge stall the exchange: `*` makes the server
                        // end it with BAD (RFC 9051 §6.2.2).
                        run.cancelled = true;
                        self.events.push_back(ClientEvent::AuthCancelled {
                            tag: tag.clone(),
                            error,
                        });
                        AuthenticateData::Cancel
                    }
                };
                let mut enc = Encoder::new(EncodeOptions::client());
                line.encode(&mut enc);
                self.out.extend_from_slice(&enc.into_buffer());
                Ok(())
            }
            Kind::Idle(run) => {
                if run.idling {
                    return Err(Error::UnexpectedResponse(
                        "second continuation request during idle",
                    ));
                }
                run.idling = true;
                let done = run.done_requested;
                self.events.push_back(ClientEvent::Idling { tag });
                if done {
                    self.send_done();
                } else {
                    self.idle_since = Some(last_activity);
                }
                Ok(())
            }
            _ => Err(Error::UnexpectedResponse(
                "continuation request while no command waits for one",
            )),
        }
    }

    fn on_tagged(&mut self, tag: &Tag, condition: Condition, status: Status) -> Result<(), Error> {
        let Some(pos) = self.in_flight.iter().position(|f| &f.tag == tag) else {
            return Err(Error::UnexpectedResponse(
                "tagged status for no command in flight",
            ));
        };
        let f = self.in_flight.remove(pos);
        if self.cont.as_ref() == Some(tag) {
            // A literal refused before its `+` is never sent (imap-anchors §6.2 item 22).
            self.cont = None;
            self.streaming = None;
        }
        let ok = condition == Condition::Ok;
        let Status { code, text, .. } = status;
        let completed = |code| ClientEvent::Completed {
            tag: f.tag.clone(),
            command: f.name,
            condition,
            code,
            text: text.clone(),
        };
        match f.kind {
            Kind::AutoCapability => {
                if let Some(Code::Capability(caps)) = code {
                    self.set_capabilities(caps);
                } else if self.capabilities.is_none() {
                    // Refused or not sent: the server offers nothing we can use.
                    self.set_capabilities(Vec::new());
                }
                if self.phase == Phase::Setup {
                    self.advance_setup()?;
                }
            }
            Kind::StartTls => {
                if !ok {
                    return Err(Error::TlsUnavailable {
                        reason: "refused starttls",
                    });
                }
                // The contract: nothing after this line is parsed; capabilities are gone.
                self.phase = Phase::TlsHandshake;
                self.capabilities = None;
                self.injected = self.input.len();
                self.input.clear();
                if self.injected > 0 {
                    let bytes = self.injected;
                    return Err(Error::TlsInjection { bytes });
                }
            }
            Kind::Login | Kind::Authenticate(_) if !ok => {
                self.events.push_back(completed(code));
            }
            Kind::Login | Kind::Authenticate(_) => {
                if let Kind::Authenticate(mut run) = f.kind {
                    // SCRAM: the server must have proved it knows the password.
                    run.sasl.finish(None).map_err(Error::Sasl)?;
                }
                self.authenticated = true;
                // RFC 9051 §6.2.2, §6.2.3: capabilities may change at login.
                match code {
                    Some(Code::Capability(caps)) => {
                        self.set_capabilities(caps.clone());
                        self.events
                            .push_back(completed(Some(Code::Capability(caps))));
                    }
                    other => {
                        self.events.push_back(completed(other));
                        self.send_internal(CommandBody::Capability, Kind::AutoCapability);
                    }
                }
            }
            Kind::Select { mailbox, read_only } => {
                if ok {
                    if let Some(next) = self.next_tracker.take() {
                        self.tracker = Some(next);
                    }
                    let read_only = read_only || code == Some(Code::ReadOnly);
                    if let (Some(code), Some(tracker)) = (&code, &mut self.tracker) {
                        tracker.apply_code(code);
                    }
                    self.selected = Some(Selected { mailbox, read_only });
                } else {
                    // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected.
                    self.selected = None;
                    self.tracker = None;
                    self.next_tracker = None;
                }
                self.events.push_back(completed(code));
            }
            Kind::Deselect => {
                if ok {
                    self.selected = None;
                    self.tracker = None;
                }
                self.events.push_back(completed(code));
            }
            Kind::Unauthenticate => {
                self.events.push_back(completed(code));
                if ok {
                    self.authenticated = false;
                    self.selected = None;
                    self.tracker = None;
                    self.send_internal(CommandBody::Capability, Kind::AutoCapability);
                }
            }
            Kind::Idle(_) => {
                self.idle_since = None;
                self.events.push_back(completed(code));
            }
            Kind::Compress => {
                self.events.push_back(completed(code));
                if ok {
                    // RFC 4978 §3: the OK is the last uncompressed line; anything behind it
                    // cannot be told from compressed data. Nothing is sent until the switch.
                    self.compress_pending = true;
                    self.injected = self.input.len();
                    self.input.clear();
                    if self.injected > 0 {
                        let bytes = self.injected;
                        return Err(Error::CompressionInjection { bytes });
                    }
                    return Ok(());
                }
            }
            Kind::Logout => {
                self.events.push_back(completed(code));
                self.closing = true;
            }
            Kind::Other => {
                if let Some(Code::Capability(caps)) = &code {
                    self.set_capabilities(caps.clone());
                } else if let (Some(code), Some(tracker)) = (&code, &mut self.tracker) {
                    tracker.apply_code(code);
                }
                self.events.push_back(completed(code));
            }
        }
        self.flush_queue();
        Ok(())
    }
}

/// The message number of a `* n FETCH (...` prefix.
pub(super) fn fetch_seq(prefix: &Bytes) -> Option<u32> {
    let rest = prefix.strip_prefix(b"* ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, rest) = rest.split_at_checked(digits)?;
    if !rest.get(..7)?.eq_ignore_ascii_case(b" FETCH ") {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}
