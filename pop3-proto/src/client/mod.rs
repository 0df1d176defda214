//! The client state machine (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use mail_sansio::Secret;
use mail_sansio::Session;
use mail_sansio::dot::DotUnstuffer;
use mail_sansio::line::LineFramer;
use mail_sansio::sasl::SaslClient;

use crate::capability::Capabilities;
use crate::command::{Command, CommandKind};
use crate::config::{ClientConfig, TlsMode};
use crate::error::{Error, SendError};
use crate::response::{ResponseCode, ScanListing, Stat, StatusLine, UniqueIdListing};
use crate::state::State;
use crate::types::{ApopDigest, MessageNumber, Password, Text, Timestamp, Username};

mod read;

/// What the client machine reports. Every command the application sends ends with exactly
/// one of [`Completed`](Self::Completed), [`Failed`](Self::Failed), [`LoggedIn`](Self::LoggedIn)
/// or [`Closed`](Self::Closed); its data events come before.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server greeted with `+OK` (RFC 1939 §4).
    Greeting(StatusLine),
    /// The answer to CAPA (RFC 2449 §5); empty when the server answered `-ERR`. Sent after
    /// the greeting, again after STLS (RFC 2595 §4: earlier capabilities are forgotten), and
    /// whenever the application sends CAPA.
    Capabilities(Capabilities),
    /// Greeting, CAPA and (per [`TlsMode`]) STLS are done: log in with
    /// [`Client::login`], [`Client::apop`] or [`Client::authenticate`].
    Ready,
    /// PASS, APOP or AUTH succeeded: the session is in TRANSACTION.
    LoggedIn,
    /// The drop listing answering STAT.
    Stat(Stat),
    /// One scan listing answering LIST (one per message, or the single one of `LIST n`).
    Scan(ScanListing),
    /// One unique-id listing answering UIDL.
    UniqueId(UniqueIdListing),
    /// A piece of the message answering RETR or TOP, already unstuffed. The pieces
    /// concatenated are the message; it is complete only at the following `Completed`.
    ///
    /// How pieces are sized: the client holds the body's octets until it has
    /// [`BODY_PIECE`] of them, the body's end may be among them, or the input ends; then it
    /// hands out all it holds, zero-copy, in as few pieces as the unstuffing allows (a
    /// stuffed dot may cut one short). So a body read in small pieces, even one octet at a
    /// time, still comes out in pieces of about 4 KiB, and at most [`BODY_PIECE`] octets
    /// plus one read wait in the client.
    Data(Bytes),
    /// The command succeeded (`+OK`, and for multi-line answers the final `.`).
    Completed {
        /// Which command.
        command: CommandKind,
        /// The text of the `+OK` line.
        text: Text,
    },
    /// The command failed with `-ERR`. For QUIT this means some deletions were not done.
    Failed {
        /// Which command.
        command: CommandKind,
        /// The RFC 2449 response code, if any.
        code: Option<ResponseCode>,
        /// The text of the `-ERR` line.
        text: Text,
    },
    /// QUIT succeeded: the server committed these deletions (empty before login) and the
    /// session is over.
    Closed {
        /// The messages the server removed.
        deleted: Vec<MessageNumber>,
    },
}

/// Octets of body the client collects before it hands them out as [`ClientEvent::Data`]
/// (unless the body may end in them, or the input ends).
pub const BODY_PIECE: usize = 4096;

/// A command that was sent (or is queued) and what its answer means.
#[derive(Debug)]
enum Op {
    /// CAPA sent by the machine itself (after the greeting and after TLS).
    AutoCapa,
    Stls,
    User(Password),
    Pass,
    Apop,
    Auth(Box<AuthOp>),
    Plain(Command),
}

#[derive(Debug)]
struct AuthOp {
    sasl: SaslClient,
    /// An initial response that did not fit the 255-octet AUTH line (RFC 5034 §4): sent in
    /// answer to the first, empty challenge.
    deferred: Option<Secret<Vec<u8>>>,
    steps: u32,
    /// The local SASL machine failed and `*` was sent: the server must answer `-ERR`.
    cancelled: bool,
}

impl Op {
    fn kind(&self) -> CommandKind {
        match self {
            Self::AutoCapa => CommandKind::Capa,
            Self::Stls => CommandKind::Stls,
            Self::User(_) => CommandKind::User,
            Self::Pass => CommandKind::Pass,
            Self::Apop => CommandKind::Apop,
            Self::Auth(_) => CommandKind::Auth,
            Self::Plain(cmd) => cmd.kind(),
        }
    }
}

/// How the answer being read is framed.
#[derive(Debug)]
enum Reading {
    /// A status line (or, during AUTH, a challenge).
    Status,
    /// The lines of a multi-line CAPA, LIST or UIDL answer.
    Lines,
    /// The body of RETR or TOP.
    Body(DotUnstuffer),
}

/// A POP3 client session.
///
/// Build it when the connection is open (for [`TlsMode::Implicit`], once TLS is up). The
/// machine reads the greeting, sends CAPA, and for [`TlsMode::Required`] sends STLS and CAPA
/// again, then reports [`ClientEvent::Ready`]. See the [crate docs](crate) for the run loop.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    input: BytesMut,
    framer: LineFramer,
    out: BytesMut,
    tls_active: bool,
    greeting: Option<StatusLine>,
    capabilities: Option<Capabilities>,
    /// Capabilities being collected from a multi-line CAPA answer.
    collecting: Capabilities,
    ready: bool,
    queue: VecDeque<Op>,
    queued_lines: VecDeque<BytesMut>,
    in_flight: VecDeque<Op>,
    reading: Reading,
    /// DELEs answered `+OK` since the last RSET.
    deleted: Vec<MessageNumber>,
    /// The text of the `+OK` that opened the multi-line answer being read.
    ok_text: Text,
    events: VecDeque<ClientEvent>,
    injected: usize,
    quit_sent: bool,
    eof: bool,
    error: Option<Error>,
    closing: bool,
    /// When input last arrived: the idle timer runs from here.
    last_input: Instant,
    /// `poll_event` has nothing to report while `input` is shorter than this: what the
    /// input holds was searched, and only more octets can change that. A one-octet
    /// `handle_input` moves it on when the octet cannot complete anything (see
    /// [`Client::quiet_octet`]), so feeding octet by octet costs an append and a few
    /// compares per octet. Set only where `next_event` found nothing to report (no event
    /// queued, no error, not closing, not in the TLS handshake); 0 (no quiet) from the
    /// moment anything else may change: events are queued only inside `next_event`, which
    /// clears it first, and `fail`, EOF and TLS clear it too.
    quiet: usize,
    /// The quiet length is not moved on past this: the line limit, or [`BODY_PIECE`].
    quiet_limit: usize,
    /// A body is being read: an LF may end the body rather than a line.
    quiet_body: bool,
    /// Octets of the body searched for its terminator, counted from the body's start.
    body_searched: u64,
}

impl Client {
    /// A session waiting for the greeting.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let framer = LineFramer::new(config.limits.response_line);
        Self {
            tls_active: config.tls == TlsMode::Implicit,
            last_input: now,
            config,
            state: State::Greeting,
            input: BytesMut::new(),
            framer,
            out: BytesMut::new(),
            greeting: None,
            capabilities: None,
            collecting: Capabilities::default(),
            ready: false,
            queue: VecDeque::new(),
            queued_lines: VecDeque::new(),
            in_flight: VecDeque::new(),
            reading: Reading::Status,
            deleted: Vec::new(),
            ok_text: Text::default(),
            events: VecDeque::new(),
            injected: 0,
            quit_sent: false,
            eof: false,
            error: None,
            closing: false,
            quiet: 0,
            quiet_limit: 0,
            quiet_body: false,
            body_searched: 0,
        }
    }

    /// The session state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The greeting, once received.
    pub fn greeting(&self) -> Option<&StatusLine> {
        self.greeting.as_ref()
    }

    /// The APOP timestamp of the greeting, if it holds a valid one.
    pub fn apop_timestamp(&self) -> Option<Timestamp> {
        self.greeting.as_ref().and_then(StatusLine::apop_timestamp)
    }

    /// The capabilities from the last CAPA answer: `None` from the STLS `+OK` on, until CAPA
    /// is answered inside TLS (nothing learned in plaintext stays visible).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Whether the session runs over TLS (implicit or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// Whether [`ClientEvent::Ready`] was reported.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Messages the server acknowledged as marked deleted (cleared by RSET).
    pub fn deleted(&self) -> &[MessageNumber] {
        &self.deleted
    }

    fn credentials_allowed(&self) -> bool {
        self.tls_active || self.config.tls == TlsMode::DangerousPlaintext
    }

    fn check_sendable(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.closing || self.quit_sent {
            return Err(SendError::Closed);
        }
        if !self.ready {
            return Err(SendError::NotReady);
        }
        Ok(())
    }

    fn login_in_progress(&self) -> bool {
        self.in_flight
            .iter()
            .chain(&self.queue)
            .any(|op| matches!(op, Op::User(_) | Op::Pass | Op::Apop | Op::Auth(_)))
    }

    fn check_login(&self) -> Result<(), SendError> {
        self.check_sendable()?;
        if self.state != State::Authorization || self.login_in_progress() {
            return Err(SendError::WrongState("login"));
        }
        Ok(())
    }

    /// Logs in with USER and PASS (RFC 1939 §7). Refused without TLS unless the mode is
    /// [`TlsMode::DangerousPlaintext`]. Ends with [`ClientEvent::LoggedIn`] or
    /// [`ClientEvent::Failed`] (for USER or PASS).
    pub fn login(&mut self, username: &Username, password: &Password) -> Result<(), SendError> {
        self.check_login()?;
        if !self.credentials_allowed() {
            return Err(SendError::PlaintextCredentials);
        }
        self.submit(Op::User(password.clone()), &Command::User(username.clone()));
        Ok(())
    }

    /// Logs in with APOP (RFC 1939 §7). Needs a valid greeting timestamp, and TLS: APOP's MD5
    /// digest leaks password characters to an active attacker (CVE-2007-1558), so it is never
    /// used in plaintext.
    pub fn apop(&mut self, username: &Username, secret: &str) -> Result<(), SendError> {
        self.check_login()?;
        if !self.tls_active {
            return Err(SendError::PlaintextCredentials);
        }
        let timestamp = self.apop_timestamp().ok_or(SendError::NoApopTimestamp)?;
        let digest = ApopDigest::compute(&timestamp, secret);
        self.submit(
            Op::Apop,
            &Command::Apop {
                name: username.clone(),
                digest,
            },
        );
        Ok(())
    }

    /// Logs in with SASL (RFC 5034). The initial response goes with the command when the line
    /// fits in 255 octets, otherwise after the server's first empty challenge (RFC 5034 §4).
    pub fn authenticate(&mut self, mut sasl: SaslClient) -> Result<(), SendError> {
        self.check_login()?;
        if sasl.mechanism().is_plaintext() && !self.credentials_allowed() {
            return Err(SendError::PlaintextCredentials);
        }
        let mechanism = crate::types::MechanismName::from(sasl.mechanism());
        let initial = sasl.initial_response();
        let mut cmd = Command::Auth {
            mechanism: mechanism.clone(),
            initial_response: initial.clone(),
        };
        let mut deferred = None;
        if cmd.encoded_len() > self.config.limits.command_line {
            deferred = initial;
            cmd = Command::Auth {
                mechanism,
                initial_response: None,
            };
        }
        self.submit(
            Op::Auth(Box::new(AuthOp {
                sasl,
                deferred,
                steps: 0,
                cancelled: false,
            })),
            &cmd,
        );
        Ok(())
    }

    /// Sends a command of the TRANSACTION state (STAT, LIST, RETR, DELE, NOOP, RSET, TOP,
    /// UIDL), or CAPA, UTF8 or QUIT. Log in with [`login`](Self::login),
    /// [`apop`](Self::apop) or [`authenticate`](Self::authenticate); STLS is automatic.
    /// Without PIPELINING, commands wait in a queue until the previous answer is complete.
    pub fn send_command(&mut self, command: Command) -> Result<(), SendError> {
        self.check_sendable()?;
        let ok = match &command {
            Command::Capa | Command::Quit => true,
            Command::Utf8 => self.state == State::Authorization,
            Command::User(_)
            | Command::Pass(_)
            | Command::Apop { .. }
            | Command::Auth { .. }
            | Command::Stls => false,
            _ => self.state == State::Transaction,
        };
        if !ok {
            return Err(SendError::WrongState(command.kind().keyword()));
        }
        if command == Command::Quit {
            self.quit_sent = true;
        }
        self.submit(Op::Plain(command.clone()), &command);
        Ok(())
    }

    /// STAT.
    pub fn stat(&mut self) -> Result<(), SendError> {
        self.send_command(Command::Stat)
    }

    /// LIST, for every message (`None`) or one.
    pub fn list(&mut self, message: Option<MessageNumber>) -> Result<(), SendError> {
        self.send_command(Command::List(message))
    }

    /// UIDL, for every message (`None`) or one.
    pub fn uidl(&mut self, message: Option<MessageNumber>) -> Result<(), SendError> {
        self.send_command(Command::Uidl(message))
    }

    /// RETR: the message arrives as [`ClientEvent::Data`] pieces.
    pub fn retr(&mut self, message: MessageNumber) -> Result<(), SendError> {
        self.send_command(Command::Retr(message))
    }

    /// TOP: the header and `lines` body lines, as [`ClientEvent::Data`] pieces.
    pub fn top(&mut self, message: MessageNumber, lines: u64) -> Result<(), SendError> {
        self.send_command(Command::Top { message, lines })
    }

    /// DELE: marks the message; the server removes it only at QUIT.
    pub fn dele(&mut self, message: MessageNumber) -> Result<(), SendError> {
        self.send_command(Command::Dele(message))
    }

    /// RSET: unmarks all deleted messages.
    pub fn rset(&mut self) -> Result<(), SendError> {
        self.send_command(Command::Rset)
    }

    /// NOOP.
    pub fn noop(&mut self) -> Result<(), SendError> {
        self.send_command(Command::Noop)
    }

    /// QUIT: in TRANSACTION the server commits the deletions; see [`ClientEvent::Closed`].
    /// Dropping the client without calling this deletes nothing.
    pub fn quit(&mut self) -> Result<(), SendError> {
        self.send_command(Command::Quit)
    }

    /// CAPA: capabilities may change after login (RFC 2449 §5).
    pub fn capa(&mut self) -> Result<(), SendError> {
        self.send_command(Command::Capa)
    }

    /// Queues `op` and sends it now if nothing is in flight or the server pipelines.
    fn submit(&mut self, op: Op, cmd: &Command) {
        let pipelining = self
            .capabilities
            .as_ref()
            .is_some_and(Capabilities::pipelining);
        let mut line = BytesMut::new();
        cmd.encode(&mut line);
        if self.queue.is_empty() && (self.in_flight.is_empty() || pipelining) {
            self.out.extend_from_slice(&line);
            self.in_flight.push_back(op);
        } else {
            self.queued_lines.push_back(line);
            self.queue.push_back(op);
        }
    }

    /// Sends queued commands once the previous answer is complete.
    fn flush_queue(&mut self) {
        while self.in_flight.is_empty() {
            let (Some(op), Some(line)) = (self.queue.pop_front(), self.queued_lines.pop_front())
            else {
                return;
            };
            self.out.extend_from_slice(&line);
            self.in_flight.push_back(op);
        }
    }

    /// Sends a command the machine itself decided on.
    fn send_internal(&mut self, op: Op, cmd: &Command) {
        cmd.encode(&mut self.out);
        self.in_flight.push_back(op);
    }

    /// Whether `octet`, just appended as the input's last, leaves nothing to report: it
    /// ends no line, or, in a body, cannot be the last LF of the terminator (a `.` two
    /// octets before it, or too few octets to tell).
    #[inline]
    fn quiet_octet(&self, octet: u8) -> bool {
        if octet != b'\n' {
            return true;
        }
        let len = self.input.len();
        self.quiet_body && len >= 4 && self.input.get(len - 3) != Some(&b'.')
    }

    /// The idle deadline.
    fn deadline(&self) -> Option<Instant> {
        self.last_input.checked_add(self.config.limits.idle_timeout)
    }

    fn fail(&mut self, error: Error) {
        self.quiet = 0;
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.closing = true;
        self.state = State::Closed;
        self.input.clear();
    }
}

impl Session for Client {
    type Event = ClientEvent;
    type Error = Error;

    // Inline, with the quiet length, so that a driver fed one octet at a time pays little
    // per call (benches/benches/feed.rs).
    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if let [octet] = bytes {
            let len = self.input.len();
            if len < self.quiet {
                // Quiet: no error, not closing, not in the TLS handshake (see `quiet`).
                self.last_input = now;
                self.input.put_u8(*octet);
                if len + 1 == self.quiet && len + 1 < self.quiet_limit && self.quiet_octet(*octet) {
                    self.quiet = len + 2;
                }
                return;
            }
        }
        if self.closing || self.error.is_some() {
            return;
        }
        if self.state == State::TlsHandshake {
            self.injected = self.injected.saturating_add(bytes.len());
            return;
        }
        self.last_input = now;
        self.input.extend_from_slice(bytes);
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
        self.quiet = 0;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closing || self.error.is_some() {
            return;
        }
        let waiting = self.state == State::Greeting
            || self.state == State::TlsHandshake
            || !self.in_flight.is_empty();
        if waiting && self.deadline().is_some_and(|d| now >= d) {
            let seconds = self.config.limits.idle_timeout.as_secs();
            self.fail(Error::Timeout { seconds });
        }
    }

    /// Switches only once [`Session::wants_tls`] is true: a `+OK` read before STLS was
    /// handed out by `poll_transmit` cannot be its answer, so nothing changes. Bytes injected
    /// after the `+OK` fail the session.
    fn handle_tls_established(&mut self, now: Instant) {
        if self.state != State::TlsHandshake || self.error.is_some() {
            return;
        }
        if self.injected > 0 {
            let bytes = self.injected;
            self.fail(Error::TlsInjection { bytes });
            return;
        }
        if !self.wants_tls() {
            return;
        }
        // RFC 2595 §4: forget what was learned in plaintext and ask again.
        self.tls_active = true;
        self.capabilities = None;
        self.input.clear();
        self.framer = LineFramer::new(self.config.limits.response_line);
        self.state = State::Authorization;
        self.last_input = now;
        self.quiet = 0;
        self.send_internal(Op::AutoCapa, &Command::Capa);
    }

    #[inline]
    fn poll_event(&mut self) -> Result<Option<ClientEvent>, Error> {
        if self.input.len() < self.quiet {
            return Ok(None);
        }
        self.next_event()
    }

    #[inline]
    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            return None;
        }
        Some(self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closing || self.error.is_some() {
            return None;
        }
        let waiting = self.state == State::Greeting
            || self.state == State::TlsHandshake
            || !self.in_flight.is_empty();
        if waiting { self.deadline() } else { None }
    }

    fn wants_input(&self) -> bool {
        !self.closing && self.error.is_none() && self.state != State::TlsHandshake
    }

    fn wants_tls(&self) -> bool {
        self.state == State::TlsHandshake
            && self.error.is_none()
            && self.out.is_empty()
            && self.injected == 0
    }

    fn is_closed(&self) -> bool {
        self.closing && self.out.is_empty()
    }
}
