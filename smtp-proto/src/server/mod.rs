//! The server state machine: greeting, EHLO, STARTTLS, AUTH, transactions, DATA and BDAT,
//! PIPELINING with replies in command order, LMTP.
//!
//! See [`Server`] and the state diagram in [`crate::state`].

mod auth;
mod commands;
mod event;
mod replies;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use mail_sansio::Session;
use mail_sansio::dot::DotUnstuffer;
use mail_sansio::line::{BareNewline, InPlace, LineFramer};
use mail_sansio::sasl::{SaslServer, SaslServerConfig};

pub use event::{AbortReason, HelloVerb, ServerEvent, Token};

use crate::config::{ServerConfig, TlsMode};
use crate::ehlo::EhloReply;
use crate::error::{Error, SendError};
use crate::reply::Reply;
use crate::state::State;

/// Enhanced status code as a tuple, for the machine's own replies.
pub(crate) type Esc = (u8, u16, u16);

/// What a reply slot is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Ready,
    Hello(HelloVerb),
    Mail,
    Rcpt,
    Auth,
    /// [`ServerEvent::SaslConfig`]: answered by [`Server::provide_sasl_config`] or a refusal.
    SaslConfig,
    /// [`ServerEvent::ScramCredentials`]: answered by [`Server::provide_scram_credentials`] or a
    /// refusal.
    ScramCredentials,
    Message {
        recipients: usize,
    },
    Verify,
}

/// One reply in command order; the front is sent once filled.
#[derive(Debug)]
struct Slot {
    token: u64,
    kind: SlotKind,
    /// Once answered: where the reply's octets lie in [`Server::parked`] (empty when the
    /// answer is no reply of its own).
    reply: Option<std::ops::Range<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MailState {
    Pending,
    Accepted,
}

/// The current mail transaction (RFC 5321 §3.3).
#[derive(Debug)]
struct Txn {
    mail: MailState,
    smtputf8: bool,
    binary: bool,
    accepted: usize,
    pending_rcpts: usize,
    bdat: bool,
    size: u64,
    aborted: Option<AbortReason>,
}

/// Where the session is.
#[derive(Debug)]
enum Phase {
    /// Greeting delayed until this instant.
    Greeting(Instant),
    Command,
    /// Waiting for a SASL response line.
    Auth {
        sasl: Box<SaslServer>,
        steps: u32,
    },
    /// Waiting for the application in the middle of an AUTH exchange; no input is read.
    AuthWait(Box<auth::AuthWait>),
    /// DATA body.
    Data {
        unstuffer: DotUnstuffer,
        line_len: usize,
    },
    /// BDAT chunk: octets still to read, LAST, and the machine's reply when the chunk fails.
    Bdat {
        remaining: u64,
        last: bool,
        chunk: u64,
        fail: Option<(u16, Esc, &'static str)>,
    },
    /// 220 queued for STARTTLS; waiting for the handshake.
    StartTls,
}

/// An SMTP (or LMTP) server session. Implements [`mail_sansio::Session`].
///
/// The machine answers by itself whatever RFC 5321 decides (syntax, sequence, limits,
/// STARTTLS, SASL framing) and raises a [`ServerEvent`] where the application must decide.
/// Each decision is answered with [`Server::accept`], [`Server::send_reply`] or
/// [`Server::send_replies`] (the event's [`token`](ServerEvent::token) names it), now or later;
/// replies always go out in command order.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    input: BytesMut,
    /// Command and SASL lines, framed in place in `input`.
    lines: LineFramer,
    /// Set when the input loop stopped for want of a line ending in the command phase:
    /// input without a LF then only needs appending, and `poll_event` has nothing to do.
    idle: bool,
    out: BytesMut,
    pending: VecDeque<Slot>,
    /// Replies that wait behind an earlier decision, one after another; emptied (its storage
    /// kept) whenever nothing is pending, so answering out of order allocates nothing once
    /// the buffer has grown.
    parked: BytesMut,
    next_token: u64,
    phase: Phase,
    /// A line at the front of `input` (content and total length) that waits behind an
    /// earlier decision.
    held: Option<(usize, usize)>,
    /// The encoded EHLO reply for (TLS, authenticated), built at the first EHLO after either
    /// changed: the same bytes every time, so one EHLO after another costs a copy.
    ehlo_cache: Option<(bool, bool, Box<[u8]>)>,
    helo: Option<HelloVerb>,
    tls: bool,
    tls_go_ahead_sent: bool,
    authenticated: bool,
    txn: Option<Txn>,
    /// SASL settings for the next AUTH ([`Server::set_sasl_config`]).
    sasl_config: Option<SaslServerConfig>,
    /// An event an application call led to, handed out by the next `poll_event`.
    queued: Option<ServerEvent>,
    bad: u32,
    unknown: u32,
    error: Option<Error>,
    closing: bool,
    eof: bool,
    early: usize,
    injected: usize,
    last_activity: Instant,
}

impl Server {
    /// A session for a connection accepted at `now`. Without a greeting delay the greeting is
    /// queued at once; with [`TlsMode::Implicit`] the driver has already completed TLS.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        let phase = match config.greeting_delay {
            Some(d) if !d.is_zero() => Phase::Greeting(now.checked_add(d).unwrap_or(now)),
            _ => Phase::Command,
        };
        let mut server = Self {
            lines: command_lines(&config),
            tls: config.tls == TlsMode::Implicit,
            config,
            // Both buffers start empty: an idle session owns no heap but its greeting until
            // input arrives, and each grows to the session's working size, then is reused.
            input: BytesMut::new(),
            idle: false,
            out: BytesMut::new(),
            pending: VecDeque::new(),
            parked: BytesMut::new(),
            next_token: 1,
            phase,
            held: None,
            ehlo_cache: None,
            helo: None,
            tls_go_ahead_sent: false,
            authenticated: false,
            txn: None,
            sasl_config: None,
            queued: None,
            bad: 0,
            unknown: 0,
            error: None,
            closing: false,
            eof: false,
            early: 0,
            injected: 0,
            last_activity: now,
        };
        if matches!(server.phase, Phase::Command) {
            server.greet();
        }
        server
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether TLS is active (implicit or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether AUTH succeeded in this session.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Where the session is, for logs and tests.
    pub fn state(&self) -> State {
        match (&self.phase, self.closing) {
            (_, true) => State::Closed,
            (Phase::Greeting(_), _) => State::Greeting,
            (Phase::StartTls, _) => State::TlsHandshake,
            (Phase::Auth { .. } | Phase::AuthWait(_), _) => State::Auth,
            (Phase::Data { .. } | Phase::Bdat { .. }, _) => State::Body,
            (Phase::Command, _) => match (&self.txn, self.helo) {
                (Some(t), _) if t.accepted > 0 || t.pending_rcpts > 0 => State::Recipients,
                (Some(_), _) => State::Mail,
                (None, Some(_)) => State::Ready,
                (None, None) => State::Connected,
            },
        }
    }

    /// Answers a decision with the machine's positive reply (see each [`ServerEvent`]).
    pub fn accept(&mut self, token: Token) -> Result<(), SendError> {
        let kind = self.slot_kind(token)?;
        let (canned, times) = match kind {
            SlotKind::Hello(HelloVerb::Helo) => {
                let reply = EhloReply::for_domain(&self.config.domain);
                self.fill(token, kind, true, |out| reply.encode(out));
                return Ok(());
            }
            SlotKind::Hello(_) => {
                let (tls, auth) = (self.tls, self.authenticated);
                let cache = match self.ehlo_cache.take() {
                    Some(cache) if (cache.0, cache.1) == (tls, auth) => cache,
                    _ => {
                        let mut bytes = BytesMut::new();
                        self.config.ehlo_reply(tls, auth).encode(&mut bytes);
                        (tls, auth, Vec::from(bytes).into_boxed_slice())
                    }
                };
                self.fill(token, kind, true, |out| out.extend_from_slice(&cache.2));
                self.ehlo_cache = Some(cache);
                return Ok(());
            }
            SlotKind::Mail => (&replies::MAIL_OK, 1),
            SlotKind::Rcpt => (&replies::RCPT_OK, 1),
            SlotKind::Auth => (&replies::AUTH_OK, 1),
            SlotKind::Verify => (&replies::CANNOT_VERIFY, 1),
            SlotKind::Message { recipients } if self.config.lmtp => {
                (&replies::OK, recipients.max(1))
            }
            SlotKind::Message { .. } => (&replies::OK, 1),
            SlotKind::SaslConfig => {
                return Err(SendError::WrongState(
                    "answer ServerEvent::SaslConfig with provide_sasl_config",
                ));
            }
            SlotKind::ScramCredentials => {
                return Err(SendError::WrongState(
                    "answer ServerEvent::ScramCredentials with provide_scram_credentials",
                ));
            }
            SlotKind::Ready => return Err(SendError::UnknownToken(token.0)),
        };
        let bytes = self.canned(canned);
        self.fill(token, kind, true, |out| {
            for _ in 0..times {
                out.extend_from_slice(bytes);
            }
        });
        Ok(())
    }

    /// Answers a decision with the application's own reply. A 2yz reply to a MAIL, RCPT or
    /// AUTH event accepts; 4yz/5yz refuses. For a hello event only refusals are allowed (use
    /// [`Server::accept`] so the EHLO reply lists the extensions). In LMTP mode a reply to
    /// [`ServerEvent::MessageComplete`] is repeated for every recipient.
    pub fn send_reply(&mut self, token: Token, reply: Reply) -> Result<(), SendError> {
        let kind = self.slot_kind(token)?;
        let code = reply.code();
        if code.is_intermediate() {
            return Err(SendError::BadReply {
                code: code.get(),
                reason: "3yz replies are sent by the machine",
            });
        }
        if matches!(kind, SlotKind::Hello(_)) && code.is_positive() {
            return Err(SendError::BadReply {
                code: code.get(),
                reason: "accept a hello with Server::accept",
            });
        }
        if matches!(kind, SlotKind::SaslConfig | SlotKind::ScramCredentials) && code.is_positive() {
            return Err(SendError::BadReply {
                code: code.get(),
                reason: "only a refusal ends an exchange before the client's proof",
            });
        }
        let n = match kind {
            SlotKind::Message { recipients } if self.config.lmtp => recipients.max(1),
            _ => 1,
        };
        self.fill(token, kind, code.is_positive(), |out| {
            for _ in 0..n {
                reply.encode(out);
            }
        });
        Ok(())
    }

    /// LMTP (RFC 2033 §4.2): one reply per accepted recipient, in RCPT order, for
    /// [`ServerEvent::MessageComplete`].
    pub fn send_replies(&mut self, token: Token, replies: &[Reply]) -> Result<(), SendError> {
        let kind = self.slot_kind(token)?;
        let SlotKind::Message { recipients } = kind else {
            return Err(SendError::WrongState(
                "send_replies answers a complete message",
            ));
        };
        let expected = if self.config.lmtp {
            recipients.max(1)
        } else {
            1
        };
        if replies.len() != expected {
            return Err(SendError::BadReply {
                code: 0,
                reason: "one reply per accepted recipient",
            });
        }
        if let Some(r) = replies.iter().find(|r| r.code().is_intermediate()) {
            return Err(SendError::BadReply {
                code: r.code().get(),
                reason: "3yz replies are sent by the machine",
            });
        }
        self.fill(token, kind, true, |out| {
            for r in replies {
                r.encode(out);
            }
        });
        Ok(())
    }

    fn slot_kind(&self, token: Token) -> Result<SlotKind, SendError> {
        if self.closing && self.error.is_some() {
            return Err(SendError::Closed);
        }
        self.pending
            .iter()
            .find(|s| s.token == token.0 && s.reply.is_none() && s.kind != SlotKind::Ready)
            .map(|s| s.kind)
            .ok_or(SendError::UnknownToken(token.0))
    }

    /// Stores an answer and applies what it means for the session. The answer to the oldest
    /// outstanding decision, the usual case, is written straight to the output.
    fn fill(
        &mut self,
        token: Token,
        kind: SlotKind,
        positive: bool,
        write: impl FnOnce(&mut BytesMut),
    ) {
        self.idle = false;
        if self.pending.front().is_some_and(|s| s.token == token.0) {
            write(&mut self.out);
            self.pending.pop_front();
        } else if let Some(slot) = self.pending.iter_mut().find(|s| s.token == token.0) {
            let start = self.parked.len();
            write(&mut self.parked);
            slot.reply = Some(start..self.parked.len());
        }
        match kind {
            SlotKind::Hello(verb) if positive => self.helo = Some(verb),
            SlotKind::Mail => match (&mut self.txn, positive) {
                (Some(t), true) => t.mail = MailState::Accepted,
                _ => self.txn = None,
            },
            SlotKind::Rcpt => {
                if let Some(t) = &mut self.txn {
                    t.pending_rcpts = t.pending_rcpts.saturating_sub(1);
                    if positive {
                        t.accepted += 1;
                    }
                }
            }
            SlotKind::Auth => {
                self.authenticated = positive;
                self.phase = Phase::Command;
            }
            // A refusal in the middle of an exchange ends it.
            SlotKind::SaslConfig | SlotKind::ScramCredentials => self.phase = Phase::Command,
            _ => {}
        }
        self.flush();
    }

    /// Moves filled replies at the front of the queue to the output.
    fn flush(&mut self) {
        while let Some(front) = self.pending.front_mut() {
            let Some(reply) = front.reply.take() else {
                break;
            };
            self.out
                .extend_from_slice(self.parked.get(reply).unwrap_or_default());
            self.pending.pop_front();
        }
        if self.pending.is_empty() {
            self.parked.clear();
        }
    }

    /// A canned reply as this session writes it (with enhanced status codes or not).
    fn canned(&self, reply: &replies::Canned) -> &'static [u8] {
        if self.config.extensions.enhanced_status_codes {
            reply.enhanced
        } else {
            reply.plain
        }
    }

    /// Queues a canned reply, behind any outstanding decision.
    fn push_canned(&mut self, reply: &replies::Canned) {
        let bytes = self.canned(reply);
        if self.pending.is_empty() {
            self.out.extend_from_slice(bytes);
        } else {
            let start = self.parked.len();
            self.parked.extend_from_slice(bytes);
            self.pending.push_back(Slot {
                token: 0,
                kind: SlotKind::Ready,
                reply: Some(start..self.parked.len()),
            });
        }
    }

    /// Queues a reply the machine decided, behind any outstanding decision.
    fn push_reply(&mut self, code: u16, esc: Option<Esc>, text: &str) {
        let esc = esc.filter(|_| self.config.extensions.enhanced_status_codes);
        if self.pending.is_empty() {
            write_reply(&mut self.out, code, esc, text);
        } else {
            let start = self.parked.len();
            write_reply(&mut self.parked, code, esc, text);
            self.pending.push_back(Slot {
                token: 0,
                kind: SlotKind::Ready,
                reply: Some(start..self.parked.len()),
            });
        }
    }

    /// Opens a decision slot and returns its token.
    fn open_slot(&mut self, kind: SlotKind) -> Token {
        let token = self.next_token;
        self.next_token += 1;
        self.pending.push_back(Slot {
            token,
            kind,
            reply: None,
        });
        Token(token)
    }

    fn has_open_slots(&self) -> bool {
        self.pending.iter().any(|s| s.reply.is_none())
    }

    /// `220 domain greeting`, written straight to the output.
    fn greet(&mut self) {
        let domain = self.config.domain.as_str();
        let greeting = self.config.greeting.as_str().trim_end();
        self.out.reserve(domain.len() + greeting.len() + 7);
        self.out.extend_from_slice(b"220 ");
        self.out.extend_from_slice(domain.as_bytes());
        if !greeting.is_empty() {
            self.out.extend_from_slice(b" ");
            self.out.extend_from_slice(greeting.as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
    }

    /// A fatal error: the goodbye reply (if any) still goes out, then the session closes.
    fn fail(&mut self, error: Error, goodbye: Option<(u16, Esc, &str)>) -> Error {
        self.flush();
        self.pending.clear();
        self.parked.clear();
        if let Some((code, esc, text)) = goodbye {
            let text = format!("{} {text}", self.config.domain);
            let esc = Some(esc).filter(|_| self.config.extensions.enhanced_status_codes);
            write_reply(&mut self.out, code, esc, &text);
        }
        self.closing = true;
        self.idle = false;
        self.held = None;
        self.input.clear();
        self.error = Some(error.clone());
        error
    }

    /// [`Session::handle_input`] past its one-octet fast path.
    fn take_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closing {
            return;
        }
        self.last_activity = now;
        if self.idle {
            let len = self.input.len() + bytes.len();
            if memchr::memchr(b'\n', bytes).is_none()
                && len < self.max_line()
                && !self.lines.is_skipping()
            {
                self.input.extend_from_slice(bytes);
                self.lines.mark_searched(len);
                return;
            }
            self.idle = false;
        }
        match self.phase {
            Phase::Greeting(_) => self.early += bytes.len(),
            Phase::StartTls => {
                // Never parsed: counted, discarded, fatal (RFC 3207 §4, CVE-2011-0411).
                self.injected += bytes.len();
                return;
            }
            _ => {}
        }
        self.input.extend_from_slice(bytes);
    }

    /// The longest line the framer keeps: an AUTH line or a command line.
    #[inline]
    fn max_line(&self) -> usize {
        self.lines.max_line()
    }

    /// The next line at the front of the input, framed in place.
    fn next_line(&mut self) -> Option<InPlace> {
        self.lines.next_in_place(&mut self.input)
    }

    fn offers_starttls(&self) -> bool {
        !self.tls && matches!(self.config.tls, TlsMode::Required | TlsMode::Opportunistic)
    }

    fn offered_mechanisms(&self) -> Vec<crate::types::MechanismName> {
        self.config.offered_mechanisms(self.tls)
    }

    fn deadline(&self) -> Option<Instant> {
        if self.closing || self.has_open_slots() {
            return None;
        }
        let timeout: Duration = match self.phase {
            Phase::Greeting(at) => return Some(at),
            Phase::Data { .. } | Phase::Bdat { .. } => self.config.limits.data_timeout,
            _ => self.config.limits.command_timeout,
        };
        self.last_activity.checked_add(timeout)
    }
}

/// Writes `code[ esc] text CRLF`, digit by digit: replies are written for every command, and
/// the formatting machinery costs more than the reply.
pub(crate) fn write_reply(out: &mut BytesMut, code: u16, esc: Option<Esc>, text: &str) {
    out.reserve(20 + text.len());
    put_decimal(out, code);
    out.extend_from_slice(b" ");
    if let Some((class, subject, detail)) = esc {
        put_decimal(out, u16::from(class));
        out.extend_from_slice(b".");
        put_decimal(out, subject);
        out.extend_from_slice(b".");
        put_decimal(out, detail);
        out.extend_from_slice(b" ");
    }
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The framer for command and SASL lines: as long as the longer of the two limits (each is
/// then checked where the line is read), and a bare LF ends a line unless the policy is
/// strict (`Keep` is for bodies: in a command line a bare LF is never data).
fn command_lines(config: &ServerConfig) -> LineFramer {
    let max_line = config.limits.auth_line.max(config.limits.command_line);
    let policy = match config.bare_newline {
        BareNewline::Reject => BareNewline::Reject,
        _ => BareNewline::Normalise,
    };
    LineFramer::new(max_line).with_bare_newline(policy)
}

/// Whether a line's content holds a CR: a bare one, since the line ending is not part of it.
/// Every command grammar refuses a CR, so only a line that failed to parse is searched.
fn has_bare_cr(content: &[u8]) -> bool {
    memchr::memchr(b'\r', content).is_some()
}

/// Writes `n` in decimal without leading zeros.
fn put_decimal(out: &mut BytesMut, n: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
        start -= 1;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

impl Session for Server {
    type Event = ServerEvent;
    type Error = Error;

    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        // Waiting for a line ending (never while closing): an octet that is not one only
        // extends the line, up to the limit past which the framer starts dropping octets.
        if self.idle
            && let [octet] = bytes
            && *octet != b'\n'
            && self.input.len() + 1 < self.max_line()
            && !self.lines.is_skipping()
        {
            self.last_activity = now;
            self.input.put_u8(*octet);
            self.lines.mark_searched(self.input.len());
            return;
        }
        self.take_input(now, bytes);
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
        self.idle = false;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closing {
            return;
        }
        self.idle = false;
        if let Phase::Greeting(at) = self.phase {
            if now >= at && self.early == 0 {
                self.phase = Phase::Command;
                self.last_activity = now;
                self.greet();
            }
            return;
        }
        if let Some(deadline) = self.deadline()
            && now >= deadline
        {
            let seconds = match self.phase {
                Phase::Data { .. } | Phase::Bdat { .. } => self.config.limits.data_timeout,
                _ => self.config.limits.command_timeout,
            }
            .as_secs();
            self.fail(
                Error::Timeout { seconds },
                Some((421, (4, 4, 2), "Error: timeout exceeded")),
            );
        }
    }

    /// Switches only once [`Session::wants_tls`] is true: before the 220 went out the
    /// handshake cannot be the one STARTTLS asked for, so nothing changes; with injected bytes
    /// nothing changes either and `poll_event` reports [`Error::TlsInjection`] (as in POP3).
    fn handle_tls_established(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::StartTls) || !self.tls_go_ahead_sent {
            return;
        }
        if self.injected > 0 {
            return; // poll_event reports it
        }
        // RFC 3207 §4.2: forget everything learned before TLS.
        self.tls = true;
        self.helo = None;
        self.txn = None;
        self.authenticated = false;
        self.phase = Phase::Command;
        self.input.clear();
        self.held = None;
        self.lines.reset();
        self.idle = false;
        self.last_activity = now;
    }

    #[inline]
    fn poll_event(&mut self) -> Result<Option<ServerEvent>, Error> {
        if self.idle {
            return Ok(None);
        }
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.step()
    }

    #[inline]
    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            return None;
        }
        if matches!(self.phase, Phase::StartTls) && self.pending.is_empty() {
            self.tls_go_ahead_sent = true;
        }
        Some(self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline()
    }

    fn wants_input(&self) -> bool {
        !self.closing && !self.has_open_slots() && !matches!(self.phase, Phase::StartTls)
    }

    fn wants_tls(&self) -> bool {
        matches!(self.phase, Phase::StartTls)
            && self.tls_go_ahead_sent
            && self.out.is_empty()
            && self.injected == 0
            && self.error.is_none()
    }

    fn is_closed(&self) -> bool {
        self.closing && self.out.is_empty()
    }
}
