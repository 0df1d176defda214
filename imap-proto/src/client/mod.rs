//! The client state machine (RFC 9051, RFC 3501): greeting, CAPABILITY, STARTTLS per
//! [`TlsMode`], LOGIN and AUTHENTICATE through the shared SASL machines, tagged commands with
//! pipelining, literals with their continuation requests, IDLE, and the optional
//! mailbox-state tracker.
//!
//! See [`Client`].

mod config;
mod event;
mod queue;
mod read;
mod tracker;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mail_sansio::sasl::{SaslClient, SaslError};
use mail_sansio::{Secret, Session};

pub use config::ClientConfig;
pub use event::ClientEvent;
pub use tracker::{MailboxState, MessageState};

use queue::{AuthRun, IdleRun, InFlight, Kind, Needs, Queued};

use crate::command::{Command, CommandBody, DecodeOptions, IdleDone, SelectParams};
use crate::config::TlsMode;
use crate::encode::{EncodeOptions, Encoder};
use crate::error::{Error, SendError};
use crate::frame::{FrameLimits, Framer};
use crate::response::{Capability, Greeting};
use crate::types::{AString, Atom, Mailbox, Tag};

/// Where a [`Client`] is (RFC 9051 §3, plus the steps before the application can act).
///
/// ```text
///  [Greeting] ─* OK─▶ [Setup: CAPABILITY, STARTTLS?] ─tagged OK─▶ [TlsHandshake] ─┐
///      │ * PREAUTH           │ ▲                                                   │
///      │                     │ └──────────── CAPABILITY again ◀───────────────────┘
///      ▼                     ▼ Ready
///  [Authenticated] ◀─LOGIN/AUTHENTICATE OK─ [NotAuthenticated]
///      │ ▲                                        ▲
///      │ └─CLOSE/UNSELECT OK─┐                    └─ UNAUTHENTICATE OK
///      ▼ SELECT/EXAMINE OK   │
///  [Selected] ───────────────┘        LOGOUT ─▶ [Logout] ─BYE, OK, end of stream─▶ [Closed]
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientState {
    /// Waiting for the greeting.
    Greeting,
    /// Reading capabilities, and doing STARTTLS when the [`TlsMode`] asks for it.
    Setup,
    /// The STARTTLS go-ahead arrived; the driver runs the TLS handshake.
    TlsHandshake,
    /// Ready; not logged in.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// LOGOUT was sent.
    Logout,
    /// The session has ended.
    Closed,
}

/// Where the setup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Setup,
    TlsHandshake,
    Ready,
}

/// The selected mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selected {
    mailbox: Mailbox,
    read_only: bool,
}

/// An IMAP client session. Implements [`mail_sansio::Session`].
///
/// The machine reads the greeting, asks for the capabilities (unless the greeting carried
/// them), does STARTTLS as the [`TlsMode`] says (and asks again once TLS is up) and reports
/// [`ClientEvent::Ready`]. Then the application logs in ([`Client::login`],
/// [`Client::authenticate`]) and sends typed commands with [`Client::send_command`], which
/// returns each command's [`Tag`]; the command ends with a [`ClientEvent::Completed`]
/// carrying that tag, after the untagged data it caused.
///
/// What the machine does by itself:
/// - **Tags** `A1`, `A2`, ... and the correlation of each tagged status with its command; a
///   tagged status with a tag no command carries is a fatal error (security-anchors §8
///   item 44).
/// - **Pipelining** (RFC 9051 §5.5): commands go out at once, except those that change the
///   state or the selected mailbox, or may expunge messages (LOGIN, SELECT, EXPUNGE, MOVE,
///   NOOP, IDLE, ...): they wait until every earlier command completed, and later ones wait
///   for them.
/// - **Literals**: a string that needs one is sent as `{n}` and the rest of the command waits
///   for the server's `+` (RFC 9051 §4.3); `{n+}` only when the server advertises LITERAL+,
///   or LITERAL- (or IMAP4rev2) and the literal has at most 4096 octets (RFC 7888). A tagged
///   `NO [TOOBIG]` or `BAD` instead of `+` completes the command and the literal is never
///   sent.
/// - **AUTHENTICATE**: the initial response goes on the command line when SASL-IR is
///   offered (`=` when empty, RFC 4959); each challenge is answered by the
///   [`SaslClient`]; a challenge it refuses is answered with `*`.
/// - **STARTTLS** per [`TlsMode::Required`]: no STARTTLS offered, a refusal, or a PREAUTH
///   greeting in plaintext is fatal ([`Error::TlsUnavailable`]); bytes after the go-ahead
///   are [`Error::TlsInjection`]; nothing received in plaintext is shown to the application
///   or kept after TLS. LOGIN is refused locally while `LOGINDISABLED` is advertised.
/// - **Capabilities** are read again after TLS and after login, from the `[CAPABILITY]` code
///   of the tagged OK when the server sends one.
/// - **IDLE** ends with DONE when [`Client::idle_done`] is called, even before the server's
///   `+` arrived (DONE then follows it), or after [`ClientConfig::idle_refresh`].
/// - **Literals in responses** larger than [`Limits::literal_stream_threshold`] (message
///   bodies) stream as [`ClientEvent::LiteralChunk`]s.
///
/// [`Limits::literal_stream_threshold`]: crate::Limits::literal_stream_threshold
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    input: BytesMut,
    framer: Framer,
    decode: DecodeOptions,
    out: BytesMut,
    phase: Phase,
    tls: bool,
    greeting: Option<Greeting>,
    preauth: bool,
    capabilities: Option<Vec<Capability>>,
    enabled: Vec<Capability>,
    authenticated: bool,
    selected: Option<Selected>,
    tracker: Option<MailboxState>,
    /// QRESYNC: the state of the mailbox being selected, waiting for `[CLOSED]` to end the
    /// responses about the previous one (RFC 7162 §3.2.11).
    next_tracker: Option<MailboxState>,
    queue: VecDeque<Queued>,
    in_flight: Vec<InFlight>,
    /// The command that waits for a continuation request; nothing else is written meanwhile.
    cont: Option<Tag>,
    tags: u64,
    events: VecDeque<ClientEvent>,
    injected: usize,
    bye: bool,
    logout_sent: bool,
    closing: bool,
    eof: bool,
    error: Option<Error>,
    last_activity: Instant,
    /// When the running IDLE was accepted, for [`ClientConfig::idle_refresh`].
    idle_since: Option<Instant>,
    /// The application sent a command since the clock was last seen: the next
    /// `handle_timeout` re-arms the response timer at its `now` instead of firing.
    stale: bool,
}

impl Client {
    /// A session for a connection opened at `now` (for [`TlsMode::Implicit`], once TLS is
    /// up).
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let framer = Framer::responses(FrameLimits::from_limits(&config.limits, true))
            .with_bare_lf(config.leniency.bare_lf);
        let mut decode = DecodeOptions::default().with_leniency(config.leniency);
        decode.limits = config.limits.clone();
        Self {
            tls: config.tls == TlsMode::Implicit,
            config,
            input: BytesMut::new(),
            framer,
            decode,
            out: BytesMut::new(),
            phase: Phase::Greeting,
            greeting: None,
            preauth: false,
            capabilities: None,
            enabled: Vec::new(),
            authenticated: false,
            selected: None,
            tracker: None,
            next_tracker: None,
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            cont: None,
            tags: 0,
            events: VecDeque::new(),
            injected: 0,
            bye: false,
            logout_sent: false,
            closing: false,
            eof: false,
            error: None,
            last_activity: now,
            idle_since: None,
            stale: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ClientState {
        if self.is_closed() || self.error.is_some() {
            return ClientState::Closed;
        }
        if self.logout_sent {
            return ClientState::Logout;
        }
        match self.phase {
            Phase::Greeting => ClientState::Greeting,
            Phase::Setup => ClientState::Setup,
            Phase::TlsHandshake => ClientState::TlsHandshake,
            Phase::Ready if self.selected.is_some() => ClientState::Selected,
            Phase::Ready if self.authenticated => ClientState::Authenticated,
            Phase::Ready => ClientState::NotAuthenticated,
        }
    }

    /// The server's greeting, once received. With STARTTLS it was read in plaintext: show
    /// it, never act on it.
    pub fn greeting(&self) -> Option<&Greeting> {
        self.greeting.as_ref()
    }

    /// The server's capabilities: `None` before they are known, and from the STARTTLS
    /// go-ahead until they are read again inside TLS (nothing learned in plaintext stays
    /// visible).
    pub fn capabilities(&self) -> Option<&[Capability]> {
        self.capabilities.as_deref()
    }

    /// Whether the server advertises `capability`.
    pub fn has_capability(&self, capability: &Capability) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(|caps| caps.contains(capability))
    }

    /// What `ENABLE` turned on (`* ENABLED`, RFC 5161).
    pub fn enabled(&self) -> &[Capability] {
        &self.enabled
    }

    /// Whether TLS is active (implicit or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session is authenticated (LOGIN or AUTHENTICATE succeeded, or PREAUTH).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The selected mailbox, once SELECT or EXAMINE succeeded.
    pub fn selected(&self) -> Option<&Mailbox> {
        self.selected.as_ref().map(|s| &s.mailbox)
    }

    /// Whether the selected mailbox is read-only (EXAMINE, or `[READ-ONLY]`).
    pub fn is_read_only(&self) -> bool {
        self.selected.as_ref().is_some_and(|s| s.read_only)
    }

    /// The selected mailbox's state, when [`ClientConfig::track_mailbox`] is on: from the
    /// moment SELECT or EXAMINE is sent (its untagged responses fill it) until another
    /// mailbox is selected, CLOSE or UNSELECT completes, or the SELECT fails.
    pub fn mailbox(&self) -> Option<&MailboxState> {
        self.tracker.as_ref()
    }

    /// How many commands were sent and wait for their tagged status.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// How many commands wait to be sent (behind one that is not pipelined, or behind a
    /// literal waiting for `+`).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Sends a command; returns the tag its [`ClientEvent::Completed`] will carry.
    ///
    /// LOGIN goes through the checks of [`Client::login`], IDLE through [`Client::idle`],
    /// LOGOUT through [`Client::logout`]. STARTTLS is sent by the machine itself and
    /// AUTHENTICATE needs [`Client::authenticate`]; COMPRESS is not supported (the driver
    /// would have to switch streams). A command that needs a state the session is not in
    /// (FETCH with no mailbox selected or being selected, SELECT before login) is refused.
    pub fn send_command(&mut self, body: CommandBody) -> Result<Tag, SendError> {
        self.check_ready()?;
        let kind = match &body {
            CommandBody::StartTls => {
                return Err(SendError::WrongState(
                    "starttls: the client sends it itself, as its tls mode says",
                ));
            }
            CommandBody::Authenticate { .. } => {
                return Err(SendError::WrongState(
                    "authenticate: use Client::authenticate, which runs the sasl exchange",
                ));
            }
            CommandBody::Compress { .. } => {
                return Err(SendError::WrongState(
                    "compress: not supported by this client",
                ));
            }
            CommandBody::Login { .. } => {
                self.check_login()?;
                Kind::Login
            }
            CommandBody::Idle => {
                self.check_idle()?;
                Kind::Idle(IdleRun::default())
            }
            CommandBody::Select { mailbox, .. } => Kind::Select {
                mailbox: mailbox.clone(),
                read_only: false,
            },
            CommandBody::Examine { mailbox, .. } => Kind::Select {
                mailbox: mailbox.clone(),
                read_only: true,
            },
            CommandBody::Close | CommandBody::Unselect => Kind::Deselect,
            CommandBody::Unauthenticate => Kind::Unauthenticate,
            CommandBody::Logout => Kind::Logout,
            _ => Kind::Other,
        };
        self.check_needs(&body)?;
        if matches!(kind, Kind::Logout) {
            self.logout_sent = true;
        }
        Ok(self.submit(body, kind))
    }

    /// LOGIN (RFC 9051 §6.2.3). Refused while the server advertises `LOGINDISABLED`, and
    /// without TLS unless the mode is [`TlsMode::DangerousPlaintext`].
    pub fn login(&mut self, username: &str, password: &str) -> Result<Tag, SendError> {
        let body = CommandBody::Login {
            username: AString::try_from(username)?,
            password: Secret::new(AString::try_from(password)?),
        };
        self.send_command(body)
    }

    /// AUTHENTICATE (RFC 9051 §6.2.2) with `sasl`. The first client message goes on the
    /// command line when the server offers SASL-IR (RFC 4959); challenges are answered by
    /// `sasl`. Mechanisms that send the password (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) are
    /// refused without TLS unless the mode is [`TlsMode::DangerousPlaintext`]. A SCRAM server
    /// that reports success without proving it knows the password fails the session
    /// ([`Error::Sasl`]).
    pub fn authenticate(&mut self, mut sasl: SaslClient) -> Result<Tag, SendError> {
        self.check_ready()?;
        self.check_login_state()?;
        if sasl.mechanism().is_plaintext() && !self.credentials_allowed() {
            return Err(SendError::PlaintextCredentials);
        }
        let mechanism = Atom::try_from(sasl.mechanism().name())?;
        let initial_response = if self.has_capability(&Capability::SaslIr) {
            sasl.initial_response()
        } else {
            None
        };
        let body = CommandBody::Authenticate {
            mechanism,
            initial_response,
        };
        let run = AuthRun {
            sasl,
            steps: 0,
            cancelled: false,
        };
        Ok(self.submit(body, Kind::Authenticate(Box::new(run))))
    }

    /// SELECT `mailbox` (RFC 9051 §6.3.2).
    pub fn select(&mut self, mailbox: Mailbox) -> Result<Tag, SendError> {
        self.send_command(CommandBody::Select {
            mailbox,
            params: SelectParams::default(),
        })
    }

    /// EXAMINE `mailbox` (RFC 9051 §6.3.3): SELECT, read-only.
    pub fn examine(&mut self, mailbox: Mailbox) -> Result<Tag, SendError> {
        self.send_command(CommandBody::Examine {
            mailbox,
            params: SelectParams::default(),
        })
    }

    /// IDLE (RFC 2177, RFC 9051 §6.3.13): [`ClientEvent::Idling`] when the server accepts,
    /// then unsolicited data until [`Client::idle_done`]. Needs the `IDLE` capability (or
    /// IMAP4rev2, where it is built in).
    pub fn idle(&mut self) -> Result<Tag, SendError> {
        self.send_command(CommandBody::Idle)
    }

    /// Ends the running IDLE with DONE. Called before the server's `+` arrived, DONE is
    /// queued and goes out right after it (sending it earlier would be read as a command).
    pub fn idle_done(&mut self) -> Result<(), SendError> {
        if self.error.is_some() || self.closing {
            return Err(SendError::Closed);
        }
        if let Some(q) = self.queue.iter_mut().find_map(|q| match &mut q.kind {
            Kind::Idle(run) => Some(run),
            _ => None,
        }) {
            q.done_requested = true;
            return Ok(());
        }
        let Some(run) = self.in_flight.iter_mut().find_map(|f| match &mut f.kind {
            Kind::Idle(run) => Some(run),
            _ => None,
        }) else {
            return Err(SendError::WrongState("idle_done: no IDLE is running"));
        };
        if run.done_requested || run.done_sent {
            return Err(SendError::WrongState(
                "idle_done: DONE was already asked for",
            ));
        }
        run.done_requested = true;
        if run.idling {
            self.send_done();
        }
        Ok(())
    }

    /// LOGOUT (RFC 9051 §6.1.3): the server answers `* BYE` and the tagged OK, then closes.
    pub fn logout(&mut self) -> Result<Tag, SendError> {
        self.send_command(CommandBody::Logout)
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.closing || self.logout_sent || self.bye {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    fn check_ready(&self) -> Result<(), SendError> {
        self.check_open()?;
        if self.phase == Phase::Ready {
            Ok(())
        } else {
            Err(SendError::NotReady)
        }
    }

    fn credentials_allowed(&self) -> bool {
        self.tls || self.config.tls == TlsMode::DangerousPlaintext
    }

    /// Whether a login is sent or queued.
    fn login_pending(&self) -> bool {
        self.in_flight.iter().any(|f| f.kind.is_login())
            || self.queue.iter().any(|q| q.kind.is_login())
    }

    /// Whether a SELECT or EXAMINE is sent or queued.
    fn select_pending(&self) -> bool {
        let select = |k: &Kind| matches!(k, Kind::Select { .. });
        self.in_flight.iter().any(|f| select(&f.kind)) || self.queue.iter().any(|q| select(&q.kind))
    }

    fn check_login_state(&self) -> Result<(), SendError> {
        if self.authenticated || self.login_pending() {
            Err(SendError::WrongState(
                "login: already authenticated or logging in",
            ))
        } else {
            Ok(())
        }
    }

    fn check_login(&self) -> Result<(), SendError> {
        self.check_login_state()?;
        if self.has_capability(&Capability::LoginDisabled) {
            return Err(SendError::LoginDisabled);
        }
        if !self.credentials_allowed() {
            return Err(SendError::PlaintextCredentials);
        }
        Ok(())
    }

    fn check_idle(&self) -> Result<(), SendError> {
        if self.has_capability(&Capability::Idle) || self.has_capability(&Capability::Imap4Rev2) {
            Ok(())
        } else {
            Err(SendError::NotOffered("IDLE"))
        }
    }

    /// Refuses a command whose state cannot hold when it runs.
    fn check_needs(&self, body: &CommandBody) -> Result<(), SendError> {
        let name = queue::name(body);
        let authenticated = self.authenticated || self.login_pending();
        match queue::needs(body) {
            Needs::Any | Needs::NotAuthenticated => Ok(()),
            Needs::Authenticated if authenticated => Ok(()),
            Needs::Selected if self.selected.is_some() || self.select_pending() => Ok(()),
            _ => Err(SendError::WrongState(name)),
        }
    }

    /// Queues a command and sends what may go now.
    fn submit(&mut self, body: CommandBody, kind: Kind) -> Tag {
        self.tags = self.tags.saturating_add(1);
        let tag = queue::tag(self.tags);
        if self.in_flight.is_empty() {
            self.stale = true;
        }
        self.queue.push_back(Queued {
            tag: tag.clone(),
            body,
            kind,
        });
        self.flush_queue();
        tag
    }

    /// A command the machine decides on (CAPABILITY, STARTTLS): ahead of the application's.
    fn send_internal(&mut self, body: CommandBody, kind: Kind) {
        self.tags = self.tags.saturating_add(1);
        let tag = queue::tag(self.tags);
        if self.in_flight.is_empty() {
            self.stale = true;
        }
        self.queue.push_front(Queued { tag, body, kind });
        self.flush_queue();
    }

    /// Sends queued commands while the pipelining rules allow.
    fn flush_queue(&mut self) {
        while self.cont.is_none() && !self.closing && self.error.is_none() {
            let Some(front) = self.queue.front() else {
                return;
            };
            let exclusive = queue::exclusive(&front.body);
            if self.in_flight.iter().any(|f| f.exclusive) || exclusive && !self.in_flight.is_empty()
            {
                return;
            }
            let Some(q) = self.queue.pop_front() else {
                return;
            };
            self.transmit(q, exclusive);
        }
    }

    /// Encodes a command with the literal forms the server allows and writes it up to its
    /// first synchronising literal.
    fn transmit(&mut self, q: Queued, exclusive: bool) {
        let Queued { tag, body, kind } = q;
        if let Kind::Select { mailbox, read_only } = &kind {
            self.start_select(mailbox.clone(), *read_only);
        }
        let name = queue::name(&body);
        let encoded = Command::new(tag.clone(), body).encoded(self.encode_options());
        let mut rest: VecDeque<Bytes> = encoded.pieces().collect();
        if let Some(first) = rest.pop_front() {
            self.out.extend_from_slice(&first);
        }
        if !rest.is_empty() || matches!(kind, Kind::Authenticate(_) | Kind::Idle(_)) {
            self.cont = Some(tag.clone());
        }
        self.in_flight.push(InFlight {
            tag,
            name,
            kind,
            exclusive,
            rest,
        });
    }

    /// SELECT/EXAMINE went out: the previous mailbox is deselected (RFC 9051 §6.3.2), at once
    /// or, with QRESYNC enabled, at the `[CLOSED]` code.
    fn start_select(&mut self, mailbox: Mailbox, read_only: bool) {
        let state = self
            .config
            .track_mailbox
            .then(|| MailboxState::new(mailbox, read_only));
        if self.selected.is_some() && self.enabled.contains(&Capability::QResync) {
            self.next_tracker = state;
        } else {
            self.selected = None;
            self.tracker = state;
            self.next_tracker = None;
        }
    }

    /// What the encoder may use, from the capabilities known now.
    fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::client()
            .with_literal_plus(self.has_capability(&Capability::LiteralPlus))
            .with_literal_minus(
                self.has_capability(&Capability::LiteralMinus)
                    || self.has_capability(&Capability::Imap4Rev2),
            )
            .with_utf8(self.decode.utf8)
    }

    /// Writes DONE for the running IDLE.
    fn send_done(&mut self) {
        let mut enc = Encoder::new(EncodeOptions::client());
        IdleDone.encode(&mut enc);
        self.out.extend_from_slice(&enc.into_buffer());
        if let Some(run) = self.in_flight.iter_mut().find_map(|f| match &mut f.kind {
            Kind::Idle(run) => Some(run),
            _ => None,
        }) {
            run.done_sent = true;
        }
        self.cont = None;
        self.idle_since = None;
        self.stale = true;
    }

    /// Records a fatal error; nothing more is parsed or sent. Bytes queued before it still
    /// go out.
    fn fail(&mut self, error: Error) -> Error {
        let error = self.error.get_or_insert(error).clone();
        self.closing = true;
        self.input.clear();
        self.queue.clear();
        self.in_flight.clear();
        self.events.clear();
        self.cont = None;
        error
    }

    /// Whether what the server says now may be shown and kept: not in plaintext when TLS is
    /// required (it will be forgotten at the handshake anyway).
    fn trusted(&self) -> bool {
        self.tls || self.config.tls != TlsMode::Required
    }

    fn deadline(&self) -> Option<Instant> {
        if self.closing || self.error.is_some() {
            return None;
        }
        let wait: Duration = match self.phase {
            Phase::TlsHandshake => self.config.tls_timeout,
            _ if self.idle_since.is_some() => {
                return self
                    .idle_since
                    .and_then(|since| since.checked_add(self.config.idle_refresh));
            }
            Phase::Greeting | Phase::Setup => self.config.response_timeout,
            Phase::Ready if !self.in_flight.is_empty() => self.config.response_timeout,
            Phase::Ready => return None,
        };
        self.last_activity.checked_add(wait)
    }
}

impl Session for Client {
    type Event = ClientEvent;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closing || self.error.is_some() {
            return;
        }
        self.last_activity = now;
        self.stale = false;
        if self.phase == Phase::TlsHandshake {
            // Never parsed (RFC 9051 §6.2.1, the STARTTLS contract rule 2).
            self.injected = self.injected.saturating_add(bytes.len());
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.stale {
            self.stale = false;
            self.last_activity = now;
            if self.idle_since.is_some() {
                self.idle_since = Some(now);
            }
            return;
        }
        let Some(deadline) = self.deadline() else {
            return;
        };
        if now < deadline {
            return;
        }
        if self.idle_since.is_some() {
            // RFC 2177 §3: end the IDLE before the server's autologout; the application
            // starts a new one at the Completed event.
            self.last_activity = now;
            self.send_done();
            self.stale = false;
            return;
        }
        let seconds = deadline
            .saturating_duration_since(self.last_activity)
            .as_secs();
        self.fail(Error::Timeout { seconds });
    }

    /// Switches only once [`Session::wants_tls`] is true: an OK read before STARTTLS was
    /// handed out by `poll_transmit` cannot be its answer, so nothing changes.
    fn handle_tls_established(&mut self, now: Instant) {
        if !self.wants_tls() {
            return;
        }
        // RFC 9051 §6.2.1: forget what the server said in plaintext and ask again.
        self.tls = true;
        self.capabilities = None;
        self.input.clear();
        self.framer.reset();
        self.phase = Phase::Setup;
        self.last_activity = now;
        self.send_internal(CommandBody::Capability, Kind::AutoCapability);
    }

    fn poll_event(&mut self) -> Result<Option<ClientEvent>, Error> {
        self.next_event()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline()
    }

    fn wants_input(&self) -> bool {
        !self.closing && self.error.is_none() && self.phase != Phase::TlsHandshake
    }

    fn wants_tls(&self) -> bool {
        self.phase == Phase::TlsHandshake
            && self.out.is_empty()
            && self.error.is_none()
            && self.injected == 0
    }

    fn is_closed(&self) -> bool {
        (self.closing || self.error.is_some()) && self.out.is_empty()
    }
}

/// The SASL error standing for "too many round trips".
fn too_many_steps() -> SaslError {
    SaslError::OutOfSequence("more sasl challenges than the client answers")
}
