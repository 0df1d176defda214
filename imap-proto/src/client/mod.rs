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
mod send;
#[cfg(test)]
mod tests;
mod tracker;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use mail_sansio::Session;
use mail_sansio::sasl::SaslError;

pub use config::ClientConfig;
pub use event::ClientEvent;
pub use tracker::{MailboxState, MessageState};

use queue::{InFlight, Kind, Queued};

use crate::command::{CommandBody, DecodeOptions};
use crate::config::TlsMode;
use crate::error::Error;
use crate::frame::{FrameLimits, Framer};
use crate::response::{Capability, Greeting};
use crate::types::{Mailbox, Tag};

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
///   [`SaslClient`](mail_sansio::sasl::SaslClient); a challenge it refuses is answered with `*`.
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
/// A session over implicit TLS, with the server's bytes scripted:
///
/// ```
/// use imap_proto::client::{Client, ClientConfig, ClientEvent};
/// use imap_proto::types::Mailbox;
/// use imap_proto::TlsMode;
/// use mail_sansio::Session;
/// use mail_sansio::testing::FakeClock;
///
/// let now = FakeClock::start().now();
/// let mut client = Client::new(ClientConfig::new(TlsMode::Implicit).with_tracking(true), now);
/// client.handle_input(now, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
/// assert!(matches!(client.poll_event()?, Some(ClientEvent::Capabilities(_))));
/// assert_eq!(client.poll_event()?, Some(ClientEvent::Ready { preauth: false }));
///
/// let login = client.login("joe", "secret")?;
/// let select = client.select(Mailbox::Inbox)?; // waits: SELECT is not pipelined
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"A1 LOGIN joe secret\r\n");
/// client.handle_input(now, b"A1 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n");
/// while let Some(event) = client.poll_event()? {
///     if let ClientEvent::Completed { tag, .. } = &event {
///         assert_eq!(tag, &login);
///     }
/// }
/// assert_eq!(&client.poll_transmit().unwrap()[..], b"A2 SELECT INBOX\r\n");
/// client.handle_input(now, b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n");
/// client.handle_input(now, b"A2 OK [READ-WRITE] done\r\n");
/// let mut events = Vec::new();
/// while let Some(event) = client.poll_event()? {
///     events.push(event);
/// }
/// assert!(events.last().is_some_and(|e| e.is_ok() && e.tag() == Some(&select)));
/// assert_eq!(client.mailbox().map(|m| (m.exists(), m.uid_validity())), Some((2, Some(7))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// Octets of a streamed APPEND literal the application still owes.
    streaming: Option<u64>,
    tags: u64,
    events: VecDeque<ClientEvent>,
    injected: usize,
    /// COMPRESS's tagged OK was read: nothing is parsed or sent until the driver switches.
    compress_pending: bool,
    /// COMPRESS=DEFLATE is active (RFC 4978).
    compressed: bool,
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
    /// `poll_event` has nothing to report while `input` is shorter than this: the framer
    /// needs more octets first (the rest of a literal, or the end of a line). A one-octet
    /// `handle_input` inside a line moves it on unless the octet is an LF or the line
    /// reaches its limit, so feeding octet by octet costs an append and a few compares per
    /// octet. Set only where `next_event` found nothing to report (no event queued, no
    /// error, not closing, input parsed); 0 (no quiet) from the moment anything else may
    /// change: events are queued only inside `next_event`, which clears it first, and
    /// `fail`, EOF, TLS and COMPRESS clear it too.
    quiet: usize,
    /// The quiet length is moved on only below this (the line's limit; 0 outside a line).
    quiet_limit: usize,
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
            streaming: None,
            tags: 0,
            events: VecDeque::new(),
            injected: 0,
            compress_pending: false,
            compressed: false,
            bye: false,
            logout_sent: false,
            closing: false,
            eof: false,
            error: None,
            last_activity: now,
            idle_since: None,
            stale: false,
            quiet: 0,
            quiet_limit: 0,
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

    /// Whether the driver should start compressing now (RFC 4978): the tagged OK to
    /// `COMPRESS DEFLATE` was read and nothing is left to send uncompressed, so every later
    /// byte in both directions is DEFLATE data. Compress what
    /// [`poll_transmit`](Session::poll_transmit) gives from now on, decompress what arrives
    /// before [`handle_input`](Session::handle_input), and call
    /// [`Client::handle_compression_started`]. Bytes that arrive after the OK and before the
    /// switch fail the session with [`Error::CompressionInjection`], as STARTTLS's do.
    pub fn wants_compression(&self) -> bool {
        self.compress_pending && self.out.is_empty() && self.injected == 0 && self.error.is_none()
    }

    /// The driver compresses both directions from now on; reading responses and sending the
    /// commands that waited resumes. Called while [`Client::wants_compression`] is false it
    /// switches nothing.
    pub fn handle_compression_started(&mut self, now: Instant) {
        if !self.wants_compression() {
            return;
        }
        self.compress_pending = false;
        self.compressed = true;
        self.quiet = 0;
        self.input.clear();
        self.framer.reset();
        self.last_activity = now;
        self.flush_queue();
    }

    /// Whether COMPRESS=DEFLATE is active (after [`Client::handle_compression_started`]).
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Records a fatal error; nothing more is parsed or sent. Bytes queued before it still
    /// go out.
    fn fail(&mut self, error: Error) -> Error {
        let error = self.error.get_or_insert(error).clone();
        self.quiet = 0;
        self.closing = true;
        self.input.clear();
        self.queue.clear();
        self.in_flight.clear();
        self.events.clear();
        self.cont = None;
        self.streaming = None;
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

    // Inline, with the checks below, so that a driver fed one octet at a time pays little
    // per call (benches/benches/feed.rs).
    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if let [byte] = bytes {
            let len = self.input.len();
            if len < self.quiet {
                // Quiet: no error, not closing, nothing held back (see `quiet`).
                self.last_activity = now;
                self.stale = false;
                self.input.put_u8(*byte);
                if len + 1 == self.quiet && len + 1 < self.quiet_limit && *byte != b'\n' {
                    self.quiet = len + 2;
                }
                return;
            }
        }
        if self.closing || self.error.is_some() {
            return;
        }
        self.last_activity = now;
        self.stale = false;
        if self.phase == Phase::TlsHandshake || self.compress_pending {
            // Never parsed (RFC 9051 §6.2.1, the STARTTLS contract rule 2; RFC 4978 §3).
            self.injected = self.injected.saturating_add(bytes.len());
            return;
        }
        if let [byte] = bytes {
            // No length-generic copy for one octet.
            self.input.put_u8(*byte);
        } else {
            self.input.extend_from_slice(bytes);
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
        self.quiet = 0;
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
        self.quiet = 0;
        self.input.clear();
        self.framer.reset();
        self.phase = Phase::Setup;
        self.last_activity = now;
        self.send_internal(CommandBody::Capability, Kind::AutoCapability);
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
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline()
    }

    fn wants_input(&self) -> bool {
        !self.closing
            && self.error.is_none()
            && self.phase != Phase::TlsHandshake
            && !self.compress_pending
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
