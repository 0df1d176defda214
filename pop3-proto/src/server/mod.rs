//! The server state machine (RFC 1939 §§3–7, RFC 2449, RFC 2595, RFC 5034, RFC 6856).

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use mail_sansio::dot::DotStuffer;
use mail_sansio::line::LineFramer;
use mail_sansio::sasl::{self, Credentials, SaslServer, ScramCredentials};
use mail_sansio::{Secret, Session};

use crate::capability::{Capabilities, Capability};
use crate::command::Command;
use crate::config::{ServerConfig, TlsMode};
use crate::error::{Error, SendError};
use crate::maildrop::Maildrop;
use crate::response::{ResponseCode, StatusLine};
use crate::state::State;
use crate::types::{ApopDigest, MechanismName, MessageNumber, Password, Text, Timestamp, Username};

/// What the server machine asks the application to decide. Each variant names the call that
/// answers it; until then the machine reads no further command (answers stay in order).
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// USER then PASS. Check the password and lock the maildrop, then answer with
    /// [`Server::accept_login`] or [`Server::reject_login`] (`[IN-USE]` when the maildrop is
    /// locked, `[LOGIN-DELAY]`, `[AUTH]` for wrong credentials, `[SYS/TEMP]`).
    Login {
        /// The USER argument.
        username: Username,
        /// The PASS argument.
        password: Password,
    },
    /// APOP (only when the server was built with a timestamp). Look up the user's secret and
    /// compare [`ApopDigest::compute`]`(timestamp, secret)` with `digest` using
    /// [`ApopDigest::matches`]; answer as for [`ServerEvent::Login`].
    Apop {
        /// The mailbox name.
        username: Username,
        /// The digest the client sent.
        digest: ApopDigest,
        /// The timestamp of this session's greeting.
        timestamp: Timestamp,
    },
    /// AUTH reached the point where credentials must be checked (PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER, EXTERNAL, CRAM-MD5). Answer as for [`ServerEvent::Login`].
    SaslVerify(Credentials),
    /// AUTH with a mechanism that needs a fresh challenge or nonce (CRAM-MD5, SCRAM-SHA-256)
    /// and none was given with [`Server::set_sasl_config`]: answer with
    /// [`Server::provide_sasl_config`], with settings built from a cryptographic random
    /// source (the machine makes up no randomness), or refuse with [`Server::reject_login`]
    /// (`[SYS/TEMP]`). The SMTP server asks the same way.
    SaslConfig {
        /// The mechanism the client asked for.
        mechanism: MechanismName,
    },
    /// AUTH with SCRAM needs the user's stored credentials: answer with
    /// [`Server::provide_scram_credentials`] (made-up ones for an unknown user).
    ScramCredentials {
        /// The identity whose credentials are needed.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// AUTH with SCRAM succeeded: the client knows the password. Decide whether `authcid`
    /// may act as `authzid`, lock the maildrop and answer as for [`ServerEvent::Login`].
    SaslAuthenticated {
        /// The authenticated identity.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// RETR (`top: None`) or TOP (`top: Some(lines)`) of an existing, undeleted message.
    /// Stream the whole message with [`Server::send_data`] and end it with
    /// [`Server::finish_data`], or refuse with [`Server::reject_retrieve`] before sending
    /// any data. For TOP the machine cuts the message after the header and `lines` body lines.
    Retrieve {
        /// Which message.
        message: MessageNumber,
        /// TOP's line count, or `None` for RETR.
        top: Option<u64>,
    },
    /// QUIT in TRANSACTION (RFC 1939 §6): remove these messages, release the lock, and answer
    /// with [`Server::commit_result`]. Raised only on QUIT, never on EOF, error or timeout;
    /// `deleted` may be empty.
    Commit {
        /// The messages marked with DELE, with their unique-ids.
        deleted: Vec<(MessageNumber, crate::Uid)>,
    },
}

/// What the application owes.
#[derive(Debug)]
enum Pending {
    /// [`ServerEvent::SaslConfig`]: the AUTH command waits for its settings.
    SaslConfig {
        mechanism: MechanismName,
        initial: Option<Secret<Vec<u8>>>,
    },
    Login,
    Scram,
    Retrieve(Retrieval),
    Commit,
}

#[derive(Debug)]
struct Retrieval {
    started: bool,
    size: u64,
    top: Option<TopFilter>,
    stuffer: DotStuffer,
}

/// Cuts a message after its header and `lines` body lines (RFC 1939 §7, TOP).
#[derive(Debug)]
struct TopFilter {
    in_header: bool,
    line_empty: bool,
    lines_left: u64,
    done: bool,
}

impl TopFilter {
    fn new(lines: u64) -> Self {
        Self {
            in_header: true,
            line_empty: true,
            lines_left: lines,
            done: false,
        }
    }

    /// How much of `data` belongs to the answer.
    fn take(&mut self, data: &[u8]) -> usize {
        if self.done {
            return 0;
        }
        for (i, &b) in data.iter().enumerate() {
            match b {
                b'\n' => {
                    if self.in_header {
                        if self.line_empty {
                            self.in_header = false;
                            if self.lines_left == 0 {
                                self.done = true;
                                return i + 1;
                            }
                        }
                    } else {
                        self.lines_left = self.lines_left.saturating_sub(1);
                        if self.lines_left == 0 {
                            self.done = true;
                            return i + 1;
                        }
                    }
                    self.line_empty = true;
                }
                b'\r' => {}
                _ => self.line_empty = false,
            }
        }
        data.len()
    }
}

#[derive(Debug)]
enum Auth {
    /// Waiting for the client's response to a challenge.
    Challenge(Box<SaslServer>),
    /// server-final was sent as a challenge; the client's empty answer completes SCRAM.
    ScramFinal(Box<SaslServer>),
}

/// A POP3 server session.
///
/// Build it when the connection is accepted (for [`TlsMode::Implicit`], once TLS is up); the
/// greeting is the first transmit. See the [crate docs](crate) for the run loop.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    state: State,
    input: BytesMut,
    framer: LineFramer,
    out: BytesMut,
    tls_active: bool,
    /// STLS `+OK` queued; `wants_tls` once it is handed out.
    stls_flushed: bool,
    /// Octets received between STLS and the handshake.
    injected: usize,
    user: Option<Username>,
    pending: Option<Pending>,
    /// An event produced by an answer, handed out by the next `poll_event`.
    queued: Option<ServerEvent>,
    auth: Option<Auth>,
    sasl_config: Option<sasl::SaslServerConfig>,
    sasl_steps: u32,
    maildrop: Maildrop,
    bad_commands: u32,
    auth_failures: u32,
    apop_timestamp: Option<Timestamp>,
    utf8: bool,
    deadline: Option<Instant>,
    eof: bool,
    error: Option<Error>,
    closing: bool,
}

impl Server {
    /// A session that greets with `+OK <greeting>` and offers no APOP.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        Self::build(config, None, now)
    }

    /// A session that offers APOP with this greeting timestamp. The timestamp must be unique
    /// per connection (RFC 1939 §7: process id and clock, from the application). APOP is weak
    /// (CVE-2007-1558): it is still refused before TLS when TLS is required.
    pub fn with_apop(config: ServerConfig, timestamp: Timestamp, now: Instant) -> Self {
        Self::build(config, Some(timestamp), now)
    }

    fn build(config: ServerConfig, apop_timestamp: Option<Timestamp>, now: Instant) -> Self {
        let framer = LineFramer::new(config.limits.command_line);
        let mut server = Self {
            tls_active: config.tls == TlsMode::Implicit,
            deadline: now.checked_add(config.limits.idle_timeout),
            config,
            state: State::Authorization,
            input: BytesMut::new(),
            framer,
            out: BytesMut::new(),
            stls_flushed: false,
            injected: 0,
            user: None,
            pending: None,
            queued: None,
            auth: None,
            sasl_config: None,
            sasl_steps: 0,
            maildrop: Maildrop::new(),
            bad_commands: 0,
            auth_failures: 0,
            apop_timestamp,
            utf8: false,
            eof: false,
            error: None,
            closing: false,
        };
        let mut text = server.config.greeting.as_str().to_owned();
        if let Some(ts) = &server.apop_timestamp {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(ts.as_str());
        }
        server.reply_ok(&text);
        server
    }

    /// The session state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the session runs over TLS (implicit or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// Whether the client switched to UTF-8 mode (RFC 6856 §2).
    pub fn utf8_enabled(&self) -> bool {
        self.utf8
    }

    /// The maildrop of the logged-in user.
    pub fn maildrop(&self) -> &Maildrop {
        &self.maildrop
    }

    /// Gives the SASL settings (CRAM-MD5 challenge, SCRAM nonce, channel binding) for the
    /// next AUTH exchange. They must be fresh per exchange; without them the machine asks
    /// with [`ServerEvent::SaslConfig`] when a mechanism needs them.
    pub fn set_sasl_config(&mut self, config: sasl::SaslServerConfig) {
        self.sasl_config = Some(config);
    }

    /// Answers [`ServerEvent::SaslConfig`] with the settings for this exchange (see
    /// [`Server::set_sasl_config`]); the machine then sends the first challenge.
    pub fn provide_sasl_config(&mut self, config: sasl::SaslServerConfig) -> Result<(), SendError> {
        self.check_live()?;
        let Some(Pending::SaslConfig { mechanism, initial }) = self.pending.take() else {
            return Err(SendError::NothingPending("sasl config"));
        };
        self.sasl_config = Some(config);
        if let Some(event) =
            self.start_auth(&mechanism, initial.as_ref().map(|i| i.expose().as_slice()))
        {
            self.queued = Some(event);
        }
        Ok(())
    }

    /// TLS is required and not up yet: only CAPA, STLS, QUIT and NOOP are accepted, and no
    /// way to log in is advertised.
    fn stls_offered(&self) -> bool {
        self.config.tls == TlsMode::Required && !self.tls_active
    }

    /// The capabilities for the current state (RFC 2449 §5): before STLS, when TLS is
    /// required, USER and SASL are hidden, since no login is accepted until TLS is up.
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = vec![
            Capability::Top,
            Capability::Uidl,
            Capability::RespCodes,
            Capability::AuthRespCode,
            Capability::Pipelining,
        ];
        if let Some(seconds) = self.config.login_delay {
            caps.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        if let Some(policy) = self.config.expire {
            caps.push(Capability::Expire {
                policy,
                per_user: false,
            });
        }
        if self.state == State::Authorization {
            let login = !self.stls_offered();
            if self.config.user_pass && login {
                caps.push(Capability::User);
            }
            if login && !self.config.sasl.is_empty() {
                caps.push(Capability::Sasl(self.config.sasl.clone()));
            }
            if self.stls_offered() {
                caps.push(Capability::Stls);
            }
            if self.config.utf8 {
                caps.push(Capability::Utf8 { user: true });
            }
        }
        if let Some(text) = &self.config.implementation {
            caps.push(Capability::Implementation(text.clone()));
        }
        Capabilities::new(caps)
    }

    // ----- answers from the application -------------------------------------------------

    /// Answers a login event with success: the maildrop is locked and holds these messages.
    pub fn accept_login(&mut self, maildrop: Maildrop) -> Result<(), SendError> {
        self.check_live()?;
        if !matches!(self.pending, Some(Pending::Login)) {
            return Err(SendError::NothingPending("login"));
        }
        self.pending = None;
        let stat = maildrop.stat();
        self.maildrop = maildrop;
        self.state = State::Transaction;
        self.user = None;
        self.framer.set_max_line(self.config.limits.command_line);
        self.reply_ok(&format!(
            "maildrop has {} messages ({} octets)",
            stat.count, stat.size
        ));
        Ok(())
    }

    /// Answers a login event with failure. Use `[IN-USE]`, `[LOGIN-DELAY]`, `[AUTH]` or
    /// `[SYS/TEMP]` (RFC 2449 §8, RFC 3206) so the client knows whether to retry.
    pub fn reject_login(
        &mut self,
        code: Option<ResponseCode>,
        text: Text,
    ) -> Result<(), SendError> {
        self.check_live()?;
        if !matches!(
            self.pending,
            Some(Pending::Login | Pending::Scram | Pending::SaslConfig { .. })
        ) {
            return Err(SendError::NothingPending("login"));
        }
        self.pending = None;
        self.auth = None;
        self.user = None;
        self.framer.set_max_line(self.config.limits.command_line);
        self.reply(StatusLine::err(code, text));
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures > self.config.limits.auth_failures {
            self.fail_with(
                Error::LimitExceeded("authentication failures"),
                Some("too many authentication failures"),
            );
        }
        Ok(())
    }

    /// Answers [`ServerEvent::ScramCredentials`].
    pub fn provide_scram_credentials(
        &mut self,
        credentials: ScramCredentials,
    ) -> Result<(), SendError> {
        self.check_live()?;
        if !matches!(self.pending, Some(Pending::Scram)) {
            return Err(SendError::NothingPending("scram credentials"));
        }
        let Some(Auth::Challenge(mut sasl)) = self.auth.take() else {
            return Err(SendError::NothingPending("scram credentials"));
        };
        self.pending = None;
        let step = sasl.provide_scram_credentials(credentials);
        if let Some(event) = self.sasl_next(sasl, step) {
            // Only Verify/Success/NeedScram produce events; SCRAM never asks twice, so an
            // event here is a Success without server-final, handled as a login.
            self.queued = Some(event);
        }
        Ok(())
    }

    /// Sends the next piece of the message asked for by [`ServerEvent::Retrieve`]. The bytes
    /// are dot-stuffed; bare CR and LF are sent as CRLF.
    pub fn send_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.check_live()?;
        let Some(Pending::Retrieve(r)) = &mut self.pending else {
            return Err(SendError::NothingPending("retrieve"));
        };
        if !r.started {
            r.started = true;
            let line = match r.top {
                None => format!("+OK {} octets\r\n", r.size),
                Some(_) => "+OK top of message follows\r\n".to_owned(),
            };
            self.out.extend_from_slice(line.as_bytes());
        }
        let take = match &mut r.top {
            Some(filter) => filter.take(data),
            None => data.len(),
        };
        r.stuffer
            .encode(data.get(..take).unwrap_or_default(), &mut self.out);
        Ok(())
    }

    /// Ends the message of [`ServerEvent::Retrieve`] (adds a final CRLF if missing and `.`).
    pub fn finish_data(&mut self) -> Result<(), SendError> {
        self.send_data(&[])?;
        if let Some(Pending::Retrieve(mut r)) = self.pending.take() {
            r.stuffer.finish(&mut self.out);
        }
        Ok(())
    }

    /// Refuses [`ServerEvent::Retrieve`] before any data was sent (for example
    /// `[SYS/TEMP]` when the message cannot be read now).
    pub fn reject_retrieve(
        &mut self,
        code: Option<ResponseCode>,
        text: Text,
    ) -> Result<(), SendError> {
        self.check_live()?;
        match &self.pending {
            Some(Pending::Retrieve(r)) if !r.started => {}
            _ => return Err(SendError::NothingPending("retrieve")),
        }
        self.pending = None;
        self.reply(StatusLine::err(code, text));
        Ok(())
    }

    /// Answers [`ServerEvent::Commit`]: `Ok(())` once every marked message is removed, or
    /// `Err(text)` if some could not be (RFC 1939 §6: `-ERR some deleted messages not
    /// removed`). The session then closes either way.
    pub fn commit_result(&mut self, result: Result<(), Text>) -> Result<(), SendError> {
        self.check_live()?;
        if !matches!(self.pending, Some(Pending::Commit)) {
            return Err(SendError::NothingPending("commit"));
        }
        self.pending = None;
        match result {
            Ok(()) => self.reply_ok("logging out, messages deleted"),
            Err(text) => self.reply(StatusLine::err(Some(ResponseCode::SysTemp), text)),
        }
        self.close();
        Ok(())
    }

    fn check_live(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.state == State::Closed {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    // ----- output helpers ---------------------------------------------------------------

    fn reply(&mut self, line: StatusLine) {
        line.encode(&mut self.out);
    }

    fn reply_ok(&mut self, text: &str) {
        self.out.extend_from_slice(b"+OK");
        if !text.is_empty() {
            self.out.extend_from_slice(b" ");
            self.out.extend_from_slice(text.as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
    }

    fn reply_err(&mut self, code: Option<ResponseCode>, text: &str) {
        self.out.extend_from_slice(b"-ERR");
        if let Some(code) = code {
            self.out.extend_from_slice(format!(" [{code}]").as_bytes());
        }
        if !text.is_empty() {
            self.out.extend_from_slice(b" ");
            self.out.extend_from_slice(text.as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
    }

    fn close(&mut self) {
        self.closing = true;
        self.state = State::Closed;
        self.input.clear();
    }

    fn fail_with(&mut self, error: Error, goodbye: Option<&str>) {
        if let Some(text) = goodbye {
            self.reply_err(None, text);
        }
        self.error = Some(error);
        self.pending = None;
        self.close();
    }

    /// A bad command: answered with `-ERR`, counted, fatal past the limit.
    fn bad_command(&mut self, text: &str) {
        self.reply_err(None, text);
        self.bad_commands = self.bad_commands.saturating_add(1);
        let limit = if self.state == State::Transaction {
            self.config.limits.bad_commands
        } else {
            self.config.limits.bad_commands_before_login
        };
        if self.bad_commands > limit {
            self.fail_with(
                Error::TooManyBadCommands { limit },
                Some("too many bad commands"),
            );
        }
    }
}

mod dispatch;

impl Session for Server {
    type Event = ServerEvent;
    type Error = Error;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closing || self.error.is_some() {
            return;
        }
        if self.state == State::TlsHandshake {
            self.injected = self.injected.saturating_add(bytes.len());
            return;
        }
        self.input.extend_from_slice(bytes);
        self.deadline = now.checked_add(self.config.limits.idle_timeout);
    }

    fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closing || self.error.is_some() || self.pending.is_some() {
            return;
        }
        if self.deadline.is_some_and(|d| now >= d) {
            // RFC 1939 §3: close without UPDATE and without a response.
            let seconds = self.config.limits.idle_timeout.as_secs();
            self.fail_with(Error::Timeout { seconds }, None);
        }
    }

    /// Switches only once [`Session::wants_tls`] is true: before the `+OK` went out the
    /// handshake cannot be the one STLS asked for, so nothing changes; with injected bytes
    /// nothing changes either and `poll_event` reports [`Error::TlsInjection`].
    fn handle_tls_established(&mut self, now: Instant) {
        if self.state != State::TlsHandshake || !self.stls_flushed {
            return;
        }
        if self.injected > 0 {
            return; // poll_event reports it
        }
        self.tls_active = true;
        self.state = State::Authorization;
        self.user = None;
        self.input.clear();
        self.framer = LineFramer::new(self.config.limits.command_line);
        self.deadline = now.checked_add(self.config.limits.idle_timeout);
    }

    fn poll_event(&mut self) -> Result<Option<ServerEvent>, Error> {
        self.next_event()
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            return None;
        }
        if self.state == State::TlsHandshake {
            self.stls_flushed = true;
        }
        Some(self.out.split().freeze())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closing || self.error.is_some() || self.pending.is_some() {
            return None;
        }
        self.deadline
    }

    fn wants_input(&self) -> bool {
        !self.closing && self.error.is_none() && self.pending.is_none()
    }

    fn wants_tls(&self) -> bool {
        self.state == State::TlsHandshake
            && self.stls_flushed
            && self.out.is_empty()
            && self.injected == 0
            && self.error.is_none()
    }

    fn is_closed(&self) -> bool {
        self.closing && self.out.is_empty()
    }
}

/// The state a command is valid in (RFC 1939 §§4–7).
fn allowed(cmd: &Command, state: State) -> bool {
    match cmd {
        // NOOP is answered in every state, as in SMTP and IMAP, so a client that waits
        // before STLS or login can keep the connection open.
        Command::Capa | Command::Quit | Command::Noop => true,
        Command::User(_)
        | Command::Pass(_)
        | Command::Apop { .. }
        | Command::Auth { .. }
        | Command::Stls
        | Command::Utf8 => state == State::Authorization,
        _ => state == State::Transaction,
    }
}
