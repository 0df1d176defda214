//! The server state machine: greeting, states (RFC 9051 §3), CAPABILITY, STARTTLS,
//! LOGIN/AUTHENTICATE through the shared SASL machines, literal flow control, APPEND
//! streaming, IDLE, ENABLE, COMPRESS, pushed mailbox updates, and answers in command order
//! under pipelining.
//!
//! See [`Server`] and the state diagram in [`crate::state`].
//!
//! # What the machine decides, and what the application decides
//!
//! The machine answers by itself whatever the RFCs decide: syntax errors and commands in the
//! wrong state (`BAD`, counted against a budget), CAPABILITY, NOOP, LOGOUT, STARTTLS, ENABLE,
//! IDLE, UNSELECT, COMPRESS, the `+` go-ahead for literals (or `NO [TOOBIG]` instead),
//! AUTHENTICATE's challenges, the failed-login budget, and SEARCHRES's saved result. It
//! raises a [`ServerEvent`] where the application owns the answer: credentials, mailboxes,
//! messages, SORT and THREAD orders, UNAUTHENTICATE. Each event names the call that answers
//! it. Large FETCH bodies stream out with [`Server::start_fetch`],
//! [`Server::send_fetch_chunk`] and [`Server::end_fetch`].
//!
//! # Message numbers
//!
//! The application never sees a message sequence number. It gives the selected mailbox's
//! UIDs to [`Server::open_mailbox`], and the machine keeps the client's view of them: it
//! turns the sequence sets of FETCH, STORE, COPY and SEARCH (and `$`) into UIDs, numbers
//! every FETCH, SEARCH, SORT, THREAD and EXPUNGE it writes, and applies the changes pushed with [`Server::push`] at the
//! moment they reach the client, so the numbers stay right across EXPUNGE.

mod answer;
mod append;
mod auth;
mod config;
mod dispatch;
mod event;
mod mailbox;
mod stream;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mail_sansio::Session;
use mail_sansio::sasl::SaslServerConfig;

pub use config::{Extensions, ServerConfig};
pub use event::{Completion, MailboxSnapshot, ServerEvent, Token, Update};
pub use mailbox::View;

use crate::command::DecodeOptions;
use crate::config::TlsMode;
use crate::encode::{EncodeOptions, Encoder};
use crate::error::{Error, SendError};
use crate::frame::{FrameLimits, Framer};
use crate::response::{
    Code, Condition, Greeting, GreetingKind, Response, Status, StatusKind, Text,
};
use crate::state::State;
use crate::types::Tag;

/// Which pushed updates may go out before a command's tagged status (RFC 9051 §7.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Updates {
    /// None (the machine's own `BAD` for a command it could not read).
    None,
    /// All but EXPUNGE/VANISHED: FETCH, STORE and SEARCH by sequence number.
    NoExpunge,
    /// All of them.
    All,
}

/// What a command slot is, for the effects of its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Answered by the machine already.
    Machine,
    /// LOGIN or AUTHENTICATE, waiting for the application's verdict.
    Login,
    /// AUTHENTICATE waiting for [`Server::provide_sasl_config`].
    SaslConfig,
    /// AUTHENTICATE waiting for [`Server::provide_scram_credentials`].
    ScramCredentials,
    /// SELECT or EXAMINE.
    Select { read_only: bool },
    /// `[UID] FETCH` or `[UID] STORE`.
    Fetch { uid: bool },
    /// `[UID] SEARCH`.
    Search {
        uid: bool,
        esearch: Option<Vec<crate::command::SearchReturnOption>>,
    },
    /// `[UID] SORT`.
    Sort { uid: bool },
    /// `[UID] THREAD`.
    Thread { uid: bool },
    /// UNAUTHENTICATE, waiting for the application's confirmation.
    Unauthenticate,
    /// CLOSE.
    Close,
    /// IDLE, ended by DONE.
    Idle,
    /// Any other command the application answers.
    Other,
}

/// One command in the order received; its answer goes out once every earlier one has.
#[derive(Debug)]
struct Slot {
    token: u64,
    tag: Option<Tag>,
    kind: Kind,
    /// No other command runs beside it (RFC 9051 §5.5).
    exclusive: bool,
    updates: Updates,
    /// Untagged responses written while an earlier command was still open.
    buf: BytesMut,
    /// The tagged status, once the command is complete.
    status: Option<BytesMut>,
    /// SELECT: the mailbox was opened with [`Server::open_mailbox`].
    opened: bool,
    /// The command's name, for the machine's status texts.
    name: &'static str,
}

/// Where the input loop is.
#[derive(Debug)]
enum Phase {
    /// Reading commands.
    Command,
    /// AUTHENTICATE: waiting for the client's response to a challenge.
    Auth(Box<auth::AuthRun>),
    /// AUTHENTICATE: the application owes a decision in the middle of the exchange.
    AuthWait(Box<auth::AuthWait>),
    /// IDLE: waiting for DONE.
    Idle { token: u64 },
    /// STARTTLS OK queued: nothing is read until the handshake.
    StartTls,
    /// COMPRESS OK queued: nothing is read until the driver switches.
    Compress,
}

/// What the client turned on with ENABLE (RFC 5161).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Enabled {
    utf8: bool,
    condstore: bool,
    qresync: bool,
    rev2: bool,
}

/// An IMAP server session. Implements [`mail_sansio::Session`].
///
/// Build it when the connection is accepted (for [`TlsMode::Implicit`], once TLS is up):
/// [`Server::new`] greets with `* OK`, [`Server::new_preauth`] with `* PREAUTH`,
/// [`Server::new_refused`] with `* BYE`. Then follow the run loop of the [crate docs](crate).
///
/// ```
/// use std::time::Instant;
/// use imap_proto::server::{Server, ServerConfig, ServerEvent};
/// use imap_proto::TlsMode;
/// use mail_sansio::Session;
///
/// let now = Instant::now();
/// let mut server = Server::new(ServerConfig::strict(TlsMode::Implicit), now);
/// assert!(server.poll_transmit().unwrap().starts_with(b"* OK [CAPABILITY IMAP4rev1"));
/// server.handle_input(now, b"a1 LOGIN joe secret\r\n");
/// let Some(ServerEvent::Login { token, credentials }) = server.poll_event().unwrap() else {
///     unreachable!()
/// };
/// assert_eq!(credentials.authcid(), Some("joe"));
/// server.accept(token).unwrap();
/// assert!(server.poll_transmit().unwrap().starts_with(b"a1 OK [CAPABILITY IMAP4rev1"));
/// ```
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    input: BytesMut,
    framer: Framer,
    out: BytesMut,
    state: State,
    phase: Phase,
    slots: VecDeque<Slot>,
    next_token: u64,
    /// Events waiting for `poll_event` (an APPEND's stream, an answer's follow-up).
    queued: VecDeque<ServerEvent>,
    /// The selected mailbox as the client sees it (boxed, as every rarely used part, so that
    /// an idle session stays small).
    view: Option<Box<View>>,
    /// Pushed updates not yet sent.
    updates: VecDeque<Update>,
    enabled: Enabled,
    tls: bool,
    go_ahead_sent: bool,
    injected: usize,
    compressed: bool,
    /// The APPEND whose literal is streaming.
    append: Option<Box<append::AppendRun>>,
    /// A command read but not started: it waits for the commands before it.
    held: Option<Box<crate::command::Command>>,
    sasl_config: Option<Box<SaslServerConfig>>,
    /// An XOAUTH2/OAUTHBEARER exchange whose token the application is checking: kept so
    /// that [`Server::reject_token`] can send the error challenge.
    token_check: Option<Box<auth::AuthRun>>,
    /// Failed logins so far ([`ServerConfig::auth_failures`]).
    auth_failures: u32,
    /// The SEARCHRES result variable (RFC 5182): UIDs, ascending.
    saved: Vec<u32>,
    /// A FETCH response whose literal the application is streaming.
    fetch_stream: Option<Box<stream::FetchStream>>,
    bad: u32,
    error: Option<Box<Error>>,
    closing: bool,
    eof: bool,
    last_activity: Instant,
}

impl Server {
    /// A session that greets with `* OK [CAPABILITY ...]`.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        let mut server = Self::build(config, now);
        let caps = server.capabilities();
        let text = server.config.greeting.clone();
        server.greet(GreetingKind::Ok, Some(Code::Capability(caps)), text);
        server
    }

    /// A session that is authenticated already (by the transport: a UNIX socket, a client
    /// certificate checked by the driver) and greets with `* PREAUTH`. With
    /// [`TlsMode::Required`] a plaintext PREAUTH would skip TLS, so that is refused.
    pub fn new_preauth(config: ServerConfig, now: Instant) -> Result<Self, SendError> {
        if config.tls == TlsMode::Required {
            return Err(SendError::WrongState(
                "PREAUTH over plaintext while TLS is required",
            ));
        }
        let mut server = Self::build(config, now);
        server.login_succeeded();
        let caps = server.capabilities();
        let text = server.config.greeting.clone();
        server.greet(GreetingKind::PreAuth, Some(Code::Capability(caps)), text);
        Ok(server)
    }

    /// A session that refuses the connection with `* BYE text` and closes.
    pub fn new_refused(config: ServerConfig, text: Text, now: Instant) -> Self {
        let mut server = Self::build(config, now);
        server.greet(GreetingKind::Bye, None, text);
        server.state = State::Logout;
        server.closing = true;
        server
    }

    fn build(config: ServerConfig, now: Instant) -> Self {
        let framer = Framer::commands(Self::frame_limits(&config, false))
            .with_bare_lf(config.leniency.bare_lf);
        Self {
            tls: config.tls == TlsMode::Implicit,
            config,
            input: BytesMut::new(),
            framer,
            // Empty until there is something to send: an idle session holds no buffer.
            out: BytesMut::new(),
            state: State::NotAuthenticated,
            phase: Phase::Command,
            slots: VecDeque::new(),
            next_token: 1,
            queued: VecDeque::new(),
            view: None,
            updates: VecDeque::new(),
            enabled: Enabled::default(),
            go_ahead_sent: false,
            injected: 0,
            compressed: false,
            append: None,
            held: None,
            sasl_config: None,
            token_check: None,
            auth_failures: 0,
            saved: Vec::new(),
            fetch_stream: None,
            bad: 0,
            error: None,
            closing: false,
            eof: false,
            last_activity: now,
        }
    }

    /// The framer's limits: before login, lines and every literal within the pre-login line
    /// limit (Dovecot holds pre-login literals to the line length, CVE-2026-27857); after it,
    /// the full limits.
    fn frame_limits(config: &ServerConfig, authenticated: bool) -> FrameLimits {
        let mut limits = FrameLimits::from_limits(&config.limits, authenticated);
        if !authenticated {
            limits.max_literal = limits
                .max_literal
                .min(config.limits.line_before_auth as u64);
        }
        limits.max_non_sync_literal = if config.extensions.literal_plus {
            limits.max_literal
        } else {
            config.limits.non_sync_literal.min(limits.max_literal)
        };
        limits
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Where the session is (RFC 9051 §3).
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether TLS is active (implicit or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The selected mailbox as the client sees it, if one is selected.
    pub fn selected(&self) -> Option<&View> {
        self.view.as_deref()
    }

    /// Whether the client enabled UTF-8 (`UTF8=ACCEPT` or `IMAP4rev2`).
    pub fn utf8_enabled(&self) -> bool {
        self.enabled.utf8
    }

    /// Whether the client enabled QRESYNC (expunges go out as VANISHED).
    pub fn qresync_enabled(&self) -> bool {
        self.enabled.qresync
    }

    /// Whether the client enabled CONDSTORE (or QRESYNC, which implies it, or used a
    /// CONDSTORE parameter, RFC 7162 §3.1).
    pub fn condstore_enabled(&self) -> bool {
        self.enabled.condstore
    }

    /// Whether an IDLE is in progress.
    pub fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle { .. })
    }

    /// The capabilities for the current state (see [`ServerConfig::capabilities`]).
    pub fn capabilities(&self) -> Vec<crate::response::Capability> {
        let authenticated = matches!(self.state, State::Authenticated | State::Selected);
        self.config
            .capabilities(self.tls, authenticated, self.compressed)
    }

    /// Gives the SASL settings for the next AUTHENTICATE exchange: the CRAM-MD5 challenge,
    /// the SCRAM nonce and, for `SCRAM-SHA-256-PLUS`, the TLS channel binding. They must be
    /// fresh for every exchange; without them the machine asks with
    /// [`ServerEvent::SaslConfig`] when a mechanism needs them. The same call exists on the
    /// SMTP and POP3 servers.
    pub fn set_sasl_config(&mut self, config: SaslServerConfig) {
        self.sasl_config = Some(Box::new(config));
    }

    // ----- output ----------------------------------------------------------------------

    fn encoder_options(&self) -> EncodeOptions {
        EncodeOptions::server().with_utf8(self.enabled.utf8)
    }

    /// Encodes with the session's options into a fresh buffer.
    fn encode(&self, write: impl FnOnce(&mut Encoder)) -> BytesMut {
        let mut enc = Encoder::new(self.encoder_options());
        write(&mut enc);
        enc.into_buffer()
    }

    fn greet(&mut self, kind: GreetingKind, code: Option<Code>, text: Text) {
        let greeting = Greeting { kind, code, text };
        let bytes = self.encode(|e| greeting.encode(e));
        self.out.extend_from_slice(&bytes);
    }

    /// Writes an untagged response or continuation that belongs to no command, now.
    fn write_now(&mut self, response: &Response) {
        let bytes = self.encode(|e| response.encode(e));
        self.out.extend_from_slice(&bytes);
    }

    /// Writes untagged bytes for the slot at `index`: straight out for the oldest open
    /// command, into its buffer otherwise.
    fn write_for(&mut self, index: usize, bytes: &[u8]) {
        if index == 0 {
            self.out.extend_from_slice(bytes);
        } else if let Some(slot) = self.slots.get_mut(index) {
            slot.buf.extend_from_slice(bytes);
        }
    }

    fn slot_index(&self, token: Token) -> Result<usize, SendError> {
        if self.error.is_some() || self.closing {
            return Err(SendError::Closed);
        }
        if self
            .fetch_stream
            .as_ref()
            .is_some_and(|s| s.token == token.0)
        {
            return Err(SendError::WrongState(
                "a streamed FETCH response is open: finish it with end_fetch",
            ));
        }
        self.slots
            .iter()
            .position(|s| s.token == token.0 && s.status.is_none() && s.kind != Kind::Machine)
            .ok_or(SendError::UnknownToken(token.0))
    }

    /// Opens a slot for a command the application answers.
    fn open_slot(
        &mut self,
        tag: Tag,
        kind: Kind,
        exclusive: bool,
        updates: Updates,
        name: &'static str,
    ) -> Token {
        let token = self.next_token;
        self.next_token += 1;
        self.slots.push_back(Slot {
            token,
            tag: Some(tag),
            kind,
            exclusive,
            updates,
            buf: BytesMut::new(),
            status: None,
            opened: false,
            name,
        });
        Token(token)
    }

    /// Queues a tagged (or, without a tag, untagged) status the machine decided, in command
    /// order.
    fn reply(
        &mut self,
        tag: Option<Tag>,
        condition: Condition,
        code: Option<Code>,
        text: &str,
        updates: Updates,
    ) {
        self.reply_after(BytesMut::new(), tag, condition, code, text, updates);
    }

    /// [`Server::reply`] after the untagged responses in `data`.
    fn reply_after(
        &mut self,
        data: BytesMut,
        tag: Option<Tag>,
        condition: Condition,
        code: Option<Code>,
        text: &str,
        updates: Updates,
    ) {
        let kind = match &tag {
            Some(tag) => StatusKind::Tagged(tag.clone(), condition),
            None => StatusKind::Untagged(condition),
        };
        let status = Status {
            kind,
            code,
            text: text_of(text),
        };
        let bytes = self.encode(|e| status.encode(e));
        self.slots.push_back(Slot {
            token: 0,
            tag,
            kind: Kind::Machine,
            exclusive: false,
            updates,
            buf: data,
            status: Some(bytes),
            opened: false,
            name: "",
        });
        self.flush();
    }

    /// Writes the completed commands at the front of the queue, with the pushed updates the
    /// last of them allows.
    fn flush(&mut self) {
        loop {
            let Some(front) = self.slots.front_mut() else {
                return;
            };
            if !front.buf.is_empty() {
                let buf = front.buf.split();
                self.out.extend_from_slice(&buf);
            }
            let Some(status) = front.status.take() else {
                return;
            };
            let updates = front.updates;
            if self.slots.len() == 1 {
                self.write_updates(updates);
            }
            self.out.extend_from_slice(&status);
            self.slots.pop_front();
        }
    }

    /// Whether a command the application answers is open.
    fn has_open_slots(&self) -> bool {
        self.slots.iter().any(|s| s.status.is_none())
    }

    /// A fatal error: the goodbye still goes out, then the session closes.
    fn fail(&mut self, error: Error, bye: Option<&str>) -> Error {
        self.flush();
        self.slots.clear();
        if let Some(text) = bye {
            let status = Status {
                kind: StatusKind::Bye,
                code: None,
                text: text_of(text),
            };
            let bytes = self.encode(|e| status.encode(e));
            self.out.extend_from_slice(&bytes);
        }
        self.state = State::Logout;
        self.closing = true;
        self.input.clear();
        self.queued.clear();
        self.error = Some(Box::new(error.clone()));
        error
    }

    /// The state change of a successful login: the full line limit, the capabilities after
    /// login.
    fn login_succeeded(&mut self) {
        self.state = State::Authenticated;
        self.bad = 0;
        self.auth_failures = 0;
        self.framer
            .set_limits(Self::frame_limits(&self.config, true));
    }

    /// Counts a failed login; past [`ServerConfig::auth_failures`] the session ends with
    /// `* BYE` (after the tagged status already queued).
    fn count_auth_failure(&mut self) -> Result<(), Error> {
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures > self.config.auth_failures {
            return Err(self.fail(
                Error::LimitExceeded("authentication failures"),
                Some("Too many authentication failures"),
            ));
        }
        Ok(())
    }

    /// UNAUTHENTICATE succeeded (RFC 8437 §3): back to not authenticated, with everything
    /// tied to the user forgotten; TLS and COMPRESS stay.
    fn unauthenticated(&mut self) {
        self.deselect();
        self.state = State::NotAuthenticated;
        self.enabled = Enabled::default();
        self.bad = 0;
        self.sasl_config = None;
        self.token_check = None;
        self.framer
            .set_limits(Self::frame_limits(&self.config, false));
    }

    /// Whether SAVE and `$` are available (RFC 5182, and always for IMAP4rev2 clients).
    fn searchres(&self) -> bool {
        let x = &self.config.extensions;
        x.searchres && (x.esearch || x.imap4rev2) || self.enabled.rev2
    }

    /// The autologout deadline (RFC 9051 §5.4), or `None` while the application owes an
    /// answer.
    fn deadline(&self) -> Option<Instant> {
        if self.closing || self.has_open_slots() && !self.is_idle() {
            return None;
        }
        self.last_activity.checked_add(self.timeout())
    }

    fn timeout(&self) -> Duration {
        match self.state {
            State::NotAuthenticated => self.config.login_timeout,
            _ => self.config.autologout,
        }
    }

    // ----- transport transitions ---------------------------------------------------------

    /// Whether the driver should start compressing now (RFC 4978): the tagged OK to COMPRESS
    /// went out through [`poll_transmit`](Session::poll_transmit), so every later byte in
    /// both directions is DEFLATE data. Compress what `poll_transmit` gives from now on,
    /// decompress what arrives before [`handle_input`](Session::handle_input), and call
    /// [`Server::handle_compression_started`].
    pub fn wants_compression(&self) -> bool {
        matches!(self.phase, Phase::Compress)
            && self.go_ahead_sent
            && self.out.is_empty()
            && self.injected == 0
            && self.error.is_none()
    }

    /// The driver compresses both directions from now on; reading commands resumes. Called
    /// while [`Server::wants_compression`] is false it switches nothing.
    pub fn handle_compression_started(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::Compress) || !self.go_ahead_sent || self.injected > 0 {
            return;
        }
        self.phase = Phase::Command;
        self.compressed = true;
        self.go_ahead_sent = false;
        self.input.clear();
        self.framer.reset();
        self.last_activity = now;
    }
}

/// Text for the machine's own responses (static ASCII without CR, LF or a leading `[`).
fn text_of(text: &str) -> Text {
    Text::try_from(text).unwrap_or_default()
}

impl Session for Server {
    type Event = ServerEvent;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closing {
            return;
        }
        self.last_activity = now;
        if matches!(self.phase, Phase::StartTls | Phase::Compress) {
            // Never parsed: counted, discarded, fatal (RFC 9051 §6.2.1, CVE-2011-0411).
            self.injected = self.injected.saturating_add(bytes.len());
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closing {
            return;
        }
        if let Some(deadline) = self.deadline()
            && now >= deadline
        {
            let seconds = self.timeout().as_secs();
            self.fail(
                Error::Timeout { seconds },
                Some("Autologout; idle for too long"),
            );
        }
    }

    /// Switches only once [`Session::wants_tls`] is true: before the OK went out the
    /// handshake cannot be the one STARTTLS asked for, so nothing changes; with injected bytes
    /// nothing changes either and `poll_event` reports [`Error::TlsInjection`].
    fn handle_tls_established(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::StartTls) || !self.go_ahead_sent || self.injected > 0 {
            return;
        }
        // RFC 9051 §6.2.1: forget everything learned before TLS.
        self.tls = true;
        self.phase = Phase::Command;
        self.go_ahead_sent = false;
        self.input.clear();
        self.framer.reset();
        self.sasl_config = None;
        self.last_activity = now;
    }

    fn poll_event(&mut self) -> Result<Option<ServerEvent>, Error> {
        if let Some(e) = &self.error {
            return Err(Error::clone(e));
        }
        self.step()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            return None;
        }
        if matches!(self.phase, Phase::StartTls | Phase::Compress) && self.slots.is_empty() {
            self.go_ahead_sent = true;
        }
        Some(self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline()
    }

    fn wants_input(&self) -> bool {
        !self.closing
            && self.fetch_stream.is_none()
            && !matches!(
                self.phase,
                Phase::StartTls | Phase::Compress | Phase::AuthWait(_)
            )
    }

    fn wants_tls(&self) -> bool {
        matches!(self.phase, Phase::StartTls)
            && self.go_ahead_sent
            && self.out.is_empty()
            && self.injected == 0
            && self.error.is_none()
    }

    fn is_closed(&self) -> bool {
        self.closing && self.out.is_empty()
    }
}

/// The decode options for the session's state.
fn decode_options(config: &ServerConfig, utf8: bool) -> DecodeOptions {
    DecodeOptions::strict()
        .with_leniency(config.leniency)
        .with_utf8(utf8)
}
