//! The client state machine: greeting, EHLO with HELO fallback, STARTTLS per [`TlsMode`], AUTH
//! through the shared SASL machines, transactions with PIPELINING, DATA or BDAT, RSET and QUIT.
//!
//! See [`Client`].

mod actions;
mod body;
mod config;
mod event;
mod replies;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use mail_sansio::Session;
use mail_sansio::dot::DotStuffer;
use mail_sansio::line::{BareNewline, Frame, LineFramer};
use mail_sansio::sasl::{SaslClient, SaslError};

pub use config::{ClientConfig, ClientLimits};
pub use event::{ClientEvent, Envelope, Stage};

use body::{BodyWriter, Normaliser};

use crate::command::Command;
use crate::config::TlsMode;
use crate::ehlo::{EhloReply, Extension};
use crate::error::{Error, ParseError, ParseErrorKind, SendError};
use crate::reply::{Reply, ReplyAssembler};
use crate::types::{ForwardPath, RcptParameters};

/// Where a [`Client`] is.
///
/// ```text
///  [Greeting] ─220─▶ [Hello] ─EHLO 250 (HELO on 500/502)─▶ STARTTLS offered and wanted?
///                       ▲                                      │ yes            │ no
///                       │ handshake: forget capabilities       ▼                ▼
///                       └──────────────── [TlsHandshake] ◀─220─ [StartTls]   [Ready] ◀──────────┐
///                                                                              │ AUTH ─▶ [Auth] ┤
///                                                                              │ send_mail      │
///                                                                              ▼                │
///                  [Quit] ◀─ quit ─ [Ready]     [Envelope] ─DataReady─▶ [Body] ─finish_data─▶ [Finishing]
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientState {
    /// Waiting for the greeting.
    Greeting,
    /// EHLO or HELO sent.
    Hello,
    /// STARTTLS sent.
    StartTls,
    /// The go-ahead arrived; the driver runs the TLS handshake.
    TlsHandshake,
    /// Waiting for the application: AUTH, a message or QUIT.
    Ready,
    /// A SASL exchange is running.
    Auth,
    /// MAIL and RCPT sent; waiting for their replies (and DATA's 354).
    Envelope,
    /// The application sends the body.
    Body,
    /// The body ended; waiting for the final reply (or, after a failure, for RSET's).
    Finishing,
    /// QUIT sent.
    Quit,
    /// The session has ended.
    Closed,
}

/// A reply the client waits for, in command order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    Bdat {
        last: bool,
    },
    /// LMTP: the reply after the body for the accepted recipient at this index.
    Delivery(usize),
    Rset,
    Quit,
    /// A command sent with [`Client::send_command`].
    Other,
}

impl Expect {
    const fn name(self) -> &'static str {
        match self {
            Self::Greeting => "greeting",
            Self::Ehlo => "ehlo",
            Self::Helo => "helo",
            Self::StartTls => "starttls",
            Self::Auth => "auth",
            Self::Mail => "mail",
            Self::Rcpt(_) => "rcpt",
            Self::Data => "data",
            Self::DataEnd => "end of data",
            Self::Bdat { .. } => "bdat",
            Self::Delivery(_) => "lmtp delivery",
            Self::Rset => "rset",
            Self::Quit => "quit",
            Self::Other => "command",
        }
    }
}

/// A command of a transaction without PIPELINING, waiting for the reply to the previous one
/// (RFC 3030 §4.2: without PIPELINING each BDAT waits for the reply to the one before).
#[derive(Debug)]
struct Held {
    bytes: BytesMut,
    expects: Vec<Expect>,
    /// A BDAT chunk (dropped when an earlier chunk is refused), not RSET.
    chunk: bool,
}

/// A running SASL exchange.
#[derive(Debug)]
struct AuthRun {
    sasl: SaslClient,
    steps: u32,
    /// The local machine failed and `*` was sent: the server must answer 501.
    cancelled: Option<SaslError>,
}

/// The current mail transaction (RFC 5321 §3.3).
#[derive(Debug)]
struct Txn {
    recipients: Vec<(ForwardPath, RcptParameters)>,
    pipelined: bool,
    chunking: bool,
    /// MAIL was accepted and the server's transaction is still open (RSET needed on failure).
    open: bool,
    accepted: usize,
    /// Indices of the accepted recipients, in order (LMTP replies follow them).
    accepted_indices: Vec<usize>,
    /// LMTP: recipients delivered so far.
    delivered: usize,
    answered: usize,
    last_refusal: Option<Reply>,
    failure: Option<(Stage, Reply)>,
    /// The body being sent, between [`ClientEvent::DataReady`] and `finish_data`.
    body: Option<BodyWriter>,
    eight_bit: bool,
    /// `BODY=BINARYMIME`: the body goes out by BDAT unchanged.
    binary: bool,
    /// Octets in the current text line so far (text bodies only).
    line_len: usize,
    sent: u64,
    reset_sent: bool,
    /// The application gave up on the body ([`Client::abort_message`]).
    aborted: bool,
}

/// An SMTP client session. Implements [`mail_sansio::Session`].
///
/// The machine reads the greeting, sends EHLO (HELO if EHLO is refused with 500 or 502), does
/// STARTTLS as the [`TlsMode`] says (and EHLO again once TLS is up) and reports
/// [`ClientEvent::Ready`]. Then the application authenticates ([`Client::authenticate`]), sends
/// messages ([`Client::send_mail`], [`Client::send_data`], [`Client::finish_data`]) and ends with
/// [`Client::quit`]. MAIL, RCPT and DATA are pipelined when the server offers PIPELINING; bodies
/// go out dot-stuffed with DATA, or with BDAT when CHUNKING is offered too.
///
/// A client and a [`Server`](crate::Server) run against each other in memory:
///
/// ```
/// use mail_sansio::sasl::SaslClient;
/// use mail_sansio::testing::{FakeClock, Pair, Side};
/// use smtp_proto::types::Domain;
/// use smtp_proto::{
///     Client, ClientConfig, ClientEvent, Envelope, Server, ServerConfig, ServerEvent,
/// };
///
/// let clock = FakeClock::start();
/// let client = Client::new(ClientConfig::new(Domain::try_from("client.example")?), clock.now());
/// let server = Server::new(ServerConfig::strict(Domain::try_from("mx.example")?), clock.now());
/// let mut pair = Pair::new(client, server, clock);
/// let mut received = Vec::new();
/// pair.run(|client, server, event| match event {
///     Side::Client(ClientEvent::Ready) if !client.is_authenticated() => {
///         let sasl = SaslClient::plain(None, "user", "pencil".to_owned()).unwrap();
///         client.authenticate(sasl).unwrap();
///     }
///     Side::Client(ClientEvent::Authenticated) => {
///         let envelope = Envelope::parse("a@client.example", ["b@mx.example"]).unwrap();
///         client.send_mail(envelope).unwrap();
///     }
///     Side::Client(ClientEvent::DataReady { .. }) => {
///         client.send_data(b"Subject: hi\r\n\r\n.a line with a dot\r\n").unwrap();
///         client.finish_data().unwrap();
///     }
///     Side::Client(ClientEvent::MessageSent { .. }) => client.quit().unwrap(),
///     Side::Client(_) => {}
///     Side::Server(ServerEvent::BodyChunk(chunk)) => received.extend_from_slice(&chunk),
///     Side::Server(event) => {
///         // Accept every hello, credentials, sender, recipient and message.
///         if let Some(token) = event.token() {
///             server.accept(token).unwrap();
///         }
///     }
/// })?;
/// assert_eq!(received, b"Subject: hi\r\n\r\n.a line with a dot\r\n");
/// let transcript = pair.transcript_text();
/// assert!(transcript.contains("C: STARTTLS\n"));
/// assert!(transcript.contains("C: AUTH PLAIN AHVzZXIAcGVuY2ls\n"));
/// assert!(transcript.contains("C: BDAT 35\n"));
/// assert!(transcript.contains("C: BDAT 0 LAST\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    input: BytesMut,
    /// A LF arrived since the framer last found no line in `input`: only then can a reply be
    /// complete, so a read that brings none returns at once.
    lf_pending: bool,
    framer: LineFramer,
    assembler: ReplyAssembler,
    out: BytesMut,
    expect: VecDeque<Expect>,
    events: VecDeque<ClientEvent>,
    state: ClientState,
    tls: bool,
    starttls_refused: bool,
    greeting: Option<Reply>,
    /// The EHLO reply; `None` before it, after TLS until the new one, and after HELO.
    ehlo: Option<EhloReply>,
    auth: Option<AuthRun>,
    authenticated: bool,
    txn: Option<Txn>,
    /// Commands of an unpipelined transaction still to send, one per reply.
    held: VecDeque<Held>,
    error: Option<Error>,
    closing: bool,
    eof: bool,
    last_activity: Instant,
    /// The application sent a command since the clock was last seen: the next
    /// `handle_timeout` re-arms the reply timer at its `now` instead of firing.
    stale: bool,
}

impl Client {
    /// A session for a connection opened at `now` (for [`TlsMode::Implicit`], once TLS is up).
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let framer =
            LineFramer::new(config.limits.reply.max_line).with_bare_newline(BareNewline::Reject);
        let assembler = ReplyAssembler::new(config.limits.reply);
        Self {
            tls: config.tls == TlsMode::Implicit,
            config,
            input: BytesMut::new(),
            lf_pending: false,
            framer,
            assembler,
            out: BytesMut::new(),
            expect: VecDeque::from([Expect::Greeting]),
            events: VecDeque::new(),
            state: ClientState::Greeting,
            starttls_refused: false,
            greeting: None,
            ehlo: None,
            auth: None,
            authenticated: false,
            txn: None,
            held: VecDeque::new(),
            error: None,
            closing: false,
            eof: false,
            last_activity: now,
            stale: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ClientState {
        if self.is_closed() {
            ClientState::Closed
        } else {
            self.state
        }
    }

    /// The server's greeting, once received.
    pub fn greeting(&self) -> Option<&Reply> {
        self.greeting.as_ref()
    }

    /// The current EHLO reply: `None` before it, from the STARTTLS go-ahead until the EHLO
    /// sent inside TLS is answered (nothing learned in plaintext stays visible), and when the
    /// server only understood HELO (no extensions).
    pub fn capabilities(&self) -> Option<&EhloReply> {
        self.ehlo.as_ref()
    }

    /// Whether TLS is active (implicit or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether AUTH succeeded in this session.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    fn offers(&self, extension: Extension) -> bool {
        self.ehlo.as_ref().is_some_and(|e| e.offers(extension))
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.closing {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    fn check_ready(&self, what: &'static str) -> Result<(), SendError> {
        self.check_open()?;
        if self.state == ClientState::Ready && self.expect.is_empty() && self.txn.is_none() {
            Ok(())
        } else {
            Err(SendError::WrongState(what))
        }
    }

    fn write_command(&mut self, command: &Command, expect: Expect) {
        command.encode(&mut self.out);
        self.expect_reply(expect);
    }

    fn expect_reply(&mut self, expect: Expect) {
        self.expect.push_back(expect);
    }

    /// Sends a transaction command now, or, in a transaction without PIPELINING while a reply
    /// is outstanding, holds it until [`Client::release_held`].
    fn send_or_hold(&mut self, bytes: BytesMut, expects: Vec<Expect>, chunk: bool) {
        let pipelined = self.txn.as_ref().is_none_or(|t| t.pipelined);
        if !pipelined && (!self.expect.is_empty() || !self.held.is_empty()) {
            self.held.push_back(Held {
                bytes,
                expects,
                chunk,
            });
        } else {
            self.out.extend_from_slice(&bytes);
            self.expect.extend(expects);
        }
    }

    /// Sends the next held command once every reply is in.
    fn release_held(&mut self) {
        if !self.expect.is_empty() {
            return;
        }
        if let Some(held) = self.held.pop_front() {
            self.out.extend_from_slice(&held.bytes);
            self.expect.extend(held.expects);
        }
    }

    fn write_rcpt(&mut self, txn: &Txn, index: usize) {
        if let Some((to, params)) = txn.recipients.get(index) {
            let command = Command::Rcpt {
                to: to.clone(),
                params: params.clone(),
            };
            self.write_command(&command, Expect::Rcpt(index));
        }
    }

    /// The next complete reply from the input, if any.
    #[inline]
    fn next_reply(&mut self) -> Result<Option<Reply>, Error> {
        // No LF since the framer last ran out of lines, and too few octets for a line to be
        // over-long: the framer would find nothing (it reads each octet once either way).
        if !self.lf_pending
            && self.input.len() < self.framer.max_line()
            && !self.framer.is_skipping()
        {
            return Ok(None);
        }
        self.frame_reply()
    }

    fn frame_reply(&mut self) -> Result<Option<Reply>, Error> {
        let bad = |kind| Error::BadReply(ParseError::new(kind, 0, "Reply-line"));
        loop {
            match self.framer.next_frame(&mut self.input) {
                Some(Frame::Line(line)) => {
                    if let Some(reply) = self.assembler.push_line(&line).map_err(Error::BadReply)? {
                        return Ok(Some(reply));
                    }
                }
                Some(Frame::TooLong { .. }) => {
                    return Err(bad(ParseErrorKind::TooLong {
                        what: "line",
                        limit: self.framer.max_line(),
                    }));
                }
                Some(Frame::BareNewline { .. }) => return Err(bad(ParseErrorKind::BareNewline)),
                Some(_) => return Err(bad(ParseErrorKind::Syntax)),
                None if self.framer.is_skipping() => {
                    // Fail as soon as the cap is passed, not when the line finally ends.
                    return Err(bad(ParseErrorKind::TooLong {
                        what: "line",
                        limit: self.framer.max_line(),
                    }));
                }
                None => {
                    self.lf_pending = false;
                    return Ok(None);
                }
            }
        }
    }

    /// Records a fatal error; nothing more is parsed or queued. Bytes queued before the error
    /// still go out, so what is sent does not depend on how the input was split (after the
    /// STARTTLS go-ahead nothing is ever queued).
    fn fail(&mut self, error: Error) -> Error {
        self.error.get_or_insert(error.clone());
        self.closing = true;
        self.input.clear();
        self.lf_pending = false;
        self.expect.clear();
        self.held.clear();
        self.events.clear();
        self.error.clone().unwrap_or(error)
    }

    fn deadline(&self) -> Option<Instant> {
        if self.closing || self.error.is_some() {
            return None;
        }
        let limits = &self.config.limits;
        let wait: Duration = if self.state == ClientState::TlsHandshake {
            limits.tls_timeout
        } else {
            match self.expect.front()? {
                Expect::DataEnd | Expect::Bdat { last: true } | Expect::Delivery(_) => {
                    limits.data_end_timeout
                }
                _ => limits.reply_timeout,
            }
        };
        self.last_activity.checked_add(wait)
    }
}

/// `BDAT n [LAST]` and the chunk.
fn bdat_bytes(chunk: &[u8], last: bool) -> BytesMut {
    let mut out = BytesMut::with_capacity(chunk.len() + 24);
    Command::Bdat {
        size: chunk.len() as u64,
        last,
    }
    .encode(&mut out);
    out.extend_from_slice(chunk);
    out
}

impl Session for Client {
    type Event = ClientEvent;
    type Error = Error;

    #[inline]
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closing || self.error.is_some() {
            return;
        }
        self.last_activity = now;
        self.stale = false;
        if self.state == ClientState::TlsHandshake {
            // Never parsed (RFC 3207 §4.2, DESIGN.md STARTTLS contract rule 2).
            self.fail(Error::TlsInjection { bytes: bytes.len() });
            return;
        }
        if let [octet] = bytes {
            // One octet at a time (a slow peer, a byte-by-byte reader): no copy call.
            self.lf_pending |= *octet == b'\n';
            self.input.put_u8(*octet);
        } else {
            self.lf_pending |= memchr::memchr(b'\n', bytes).is_some();
            self.input.extend_from_slice(bytes);
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.stale {
            self.stale = false;
            self.last_activity = now;
            return;
        }
        if let Some(deadline) = self.deadline()
            && now >= deadline
        {
            let seconds = deadline
                .saturating_duration_since(self.last_activity)
                .as_secs();
            self.fail(Error::Timeout { seconds });
        }
    }

    /// Switches only once [`Session::wants_tls`] is true: a 220 read before STARTTLS was
    /// handed out by `poll_transmit` cannot be its answer, so nothing changes.
    fn handle_tls_established(&mut self, now: Instant) {
        if !self.wants_tls() {
            return;
        }
        // RFC 3207 §4.2: forget what the server said in plaintext and ask again.
        self.tls = true;
        self.ehlo = None;
        self.input.clear();
        self.lf_pending = false;
        self.framer.reset();
        self.assembler = ReplyAssembler::new(self.config.limits.reply);
        self.last_activity = now;
        self.send_hello(true);
    }

    #[inline]
    fn poll_event(&mut self) -> Result<Option<ClientEvent>, Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            if self.closing {
                // QUIT was answered: whatever follows is not read.
                return Ok(None);
            }
            if self.state == ClientState::TlsHandshake {
                if !self.input.is_empty() || self.assembler.is_partial() {
                    let bytes = self.input.len();
                    return Err(self.fail(Error::TlsInjection { bytes }));
                }
                if self.eof {
                    let state = "tls handshake";
                    return Err(self.fail(Error::UnexpectedEof { state }));
                }
                return Ok(None);
            }
            match self.next_reply() {
                Err(error) => return Err(self.fail(error)),
                Ok(Some(reply)) => {
                    if let Err(error) = self.on_reply(reply) {
                        return Err(self.fail(error));
                    }
                }
                Ok(None) => {
                    if self.eof && !self.closing {
                        if self.state == ClientState::Quit {
                            self.closing = true;
                        } else {
                            let state = self.expect.front().map_or("idle", |e| e.name());
                            return Err(self.fail(Error::UnexpectedEof { state }));
                        }
                    }
                    return Ok(None);
                }
            }
        }
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
        !self.closing && self.error.is_none() && self.state != ClientState::TlsHandshake
    }

    fn wants_tls(&self) -> bool {
        self.state == ClientState::TlsHandshake && self.out.is_empty() && self.error.is_none()
    }

    fn is_closed(&self) -> bool {
        (self.closing || self.error.is_some()) && self.out.is_empty()
    }
}

impl Txn {
    /// The writer for this transaction's body.
    fn body_writer(&self) -> BodyWriter {
        if self.binary {
            BodyWriter::Binary
        } else if self.chunking {
            BodyWriter::Bdat(Normaliser::new())
        } else {
            BodyWriter::Data(DotStuffer::new())
        }
    }
}
