//! Sending: the application's commands and the checks before them, the pipelining rules,
//! literals cut at their synchronising points, streamed APPEND data, IDLE's DONE.

use std::collections::VecDeque;

use mail_sansio::Secret;
use mail_sansio::sasl::SaslClient;

use super::queue::{self, AuthRun, IdleRun, InFlight, Kind, Needs, Piece, Queued};
use super::{Client, MailboxState, Phase};
use crate::command::{AppendData, Command, CommandBody, IdleDone, SelectParams};
use crate::config::TlsMode;
use crate::encode::{EncodeOptions, Encoder};
use crate::error::SendError;
use crate::response::Capability;
use crate::types::{AString, Atom, Mailbox, Tag};

impl Client {
    /// Sends a command; returns the tag its
    /// [`ClientEvent::Completed`](super::ClientEvent::Completed) will carry.
    ///
    /// LOGIN goes through the checks of [`Client::login`], IDLE through [`Client::idle`],
    /// LOGOUT through [`Client::logout`]. STARTTLS is sent by the machine itself and
    /// AUTHENTICATE needs [`Client::authenticate`]. `COMPRESS DEFLATE` (RFC 4978) needs the
    /// server's `COMPRESS=DEFLATE` and is refused once compression is active or asked for;
    /// after its tagged OK the driver switches streams ([`Client::wants_compression`]). A
    /// command that needs a state the session is not in (FETCH with no mailbox selected or
    /// being selected, SELECT before login) is refused.
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
            CommandBody::Compress { algorithm } => {
                self.check_compress(algorithm.as_bytes())?;
                Kind::Compress
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
    /// ([`Error::Sasl`](crate::Error::Sasl)).
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

    /// IDLE (RFC 2177, RFC 9051 §6.3.13): [`ClientEvent::Idling`](super::ClientEvent::Idling)
    /// when the server accepts, then unsolicited data until [`Client::idle_done`]. Needs the
    /// `IDLE` capability (or IMAP4rev2, where it is built in).
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

    /// Sends octets of a streamed APPEND literal, after
    /// [`ClientEvent::AppendData`](super::ClientEvent::AppendData). An APPEND whose message
    /// is [`AppendData::Streamed`] announces the length only, so that a large message never
    /// has to be held whole; once the server's `+` arrives the application sends exactly that
    /// many octets, in pieces of any size, and the machine goes on with the rest of the
    /// command.
    pub fn send_append_data(&mut self, data: &[u8]) -> Result<(), SendError> {
        if self.error.is_some() || self.closing {
            return Err(SendError::Closed);
        }
        let Some(remaining) = self.streaming else {
            return Err(SendError::WrongState(
                "send_append_data: no streamed literal is open",
            ));
        };
        let len = data.len() as u64;
        if len > remaining {
            return Err(SendError::WrongState(
                "send_append_data: more octets than the literal announced",
            ));
        }
        self.out.extend_from_slice(data);
        self.streaming = Some(remaining - len);
        if remaining == len {
            self.end_streamed_literal();
        }
        Ok(())
    }

    /// The streamed literal is complete: the rest of its command goes out, up to the next
    /// synchronising literal.
    pub(super) fn end_streamed_literal(&mut self) {
        self.streaming = None;
        let Some(tag) = self.cont.clone() else {
            return;
        };
        let Some(f) = self.in_flight.iter_mut().find(|f| f.tag == tag) else {
            return;
        };
        if let Some(piece) = f.rest.pop_front() {
            self.out.extend_from_slice(&piece.bytes);
        }
        if f.rest.is_empty() {
            self.cont = None;
            self.flush_queue();
        }
    }

    /// LOGOUT (RFC 9051 §6.1.3): the server answers `* BYE` and the tagged OK, then closes.
    pub fn logout(&mut self) -> Result<Tag, SendError> {
        self.send_command(CommandBody::Logout)
    }

    pub(super) fn check_open(&self) -> Result<(), SendError> {
        if self.error.is_some() || self.closing || self.logout_sent || self.bye {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    pub(super) fn check_ready(&self) -> Result<(), SendError> {
        self.check_open()?;
        if self.phase == Phase::Ready {
            Ok(())
        } else {
            Err(SendError::NotReady)
        }
    }

    pub(super) fn credentials_allowed(&self) -> bool {
        self.tls || self.config.tls == TlsMode::DangerousPlaintext
    }

    /// Whether a login is sent or queued.
    pub(super) fn login_pending(&self) -> bool {
        self.in_flight.iter().any(|f| f.kind.is_login())
            || self.queue.iter().any(|q| q.kind.is_login())
    }

    /// Whether a SELECT or EXAMINE is sent or queued.
    pub(super) fn select_pending(&self) -> bool {
        let select = |k: &Kind| matches!(k, Kind::Select { .. });
        self.in_flight.iter().any(|f| select(&f.kind)) || self.queue.iter().any(|q| select(&q.kind))
    }

    pub(super) fn check_login_state(&self) -> Result<(), SendError> {
        if self.authenticated || self.login_pending() {
            Err(SendError::WrongState(
                "login: already authenticated or logging in",
            ))
        } else {
            Ok(())
        }
    }

    pub(super) fn check_login(&self) -> Result<(), SendError> {
        self.check_login_state()?;
        if self.has_capability(&Capability::LoginDisabled) {
            return Err(SendError::LoginDisabled);
        }
        if !self.credentials_allowed() {
            return Err(SendError::PlaintextCredentials);
        }
        Ok(())
    }

    pub(super) fn check_idle(&self) -> Result<(), SendError> {
        if self.has_capability(&Capability::Idle) || self.has_capability(&Capability::Imap4Rev2) {
            Ok(())
        } else {
            Err(SendError::NotOffered("IDLE"))
        }
    }

    /// Refuses COMPRESS unless it can run: DEFLATE, offered by the server, not active or
    /// asked for already (RFC 4978 §3).
    fn check_compress(&self, algorithm: &[u8]) -> Result<(), SendError> {
        if !algorithm.eq_ignore_ascii_case(b"DEFLATE") {
            return Err(SendError::WrongState("compress: only deflate is supported"));
        }
        if self.compressed || self.compress_pending || self.compress_requested() {
            return Err(SendError::WrongState(
                "compress: compression is already active",
            ));
        }
        let offered = self.capabilities().is_some_and(|caps| {
            caps.iter().any(|c| {
                matches!(c, Capability::Compress(a) if a.as_bytes().eq_ignore_ascii_case(b"DEFLATE"))
            })
        });
        if !offered {
            return Err(SendError::WrongState(
                "compress: the server does not offer compress=deflate",
            ));
        }
        Ok(())
    }

    /// Whether a COMPRESS is queued or in flight.
    fn compress_requested(&self) -> bool {
        self.queue.iter().any(|q| matches!(q.kind, Kind::Compress))
            || self
                .in_flight
                .iter()
                .any(|f| matches!(f.kind, Kind::Compress))
    }

    /// Refuses a command whose state cannot hold when it runs.
    pub(super) fn check_needs(&self, body: &CommandBody) -> Result<(), SendError> {
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
    pub(super) fn submit(&mut self, body: CommandBody, kind: Kind) -> Tag {
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
    pub(super) fn send_internal(&mut self, body: CommandBody, kind: Kind) {
        self.tags = self.tags.saturating_add(1);
        let tag = queue::tag(self.tags);
        if self.in_flight.is_empty() {
            self.stale = true;
        }
        self.queue.push_front(Queued { tag, body, kind });
        self.flush_queue();
    }

    /// Sends queued commands while the pipelining rules allow.
    pub(super) fn flush_queue(&mut self) {
        // After COMPRESS's OK nothing goes out until the driver compresses.
        while self.cont.is_none() && !self.closing && self.error.is_none() && !self.compress_pending
        {
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
    pub(super) fn transmit(&mut self, q: Queued, exclusive: bool) {
        let Queued { tag, body, kind } = q;
        if let Kind::Select { mailbox, read_only } = &kind {
            self.start_select(mailbox.clone(), *read_only);
        }
        let name = queue::name(&body);
        // The lengths of the streamed APPEND literals, in the order they are announced.
        let mut streamed_lens: VecDeque<u64> = match &body {
            CommandBody::Append { messages, .. } => messages
                .iter()
                .filter_map(|m| match m.data {
                    AppendData::Streamed { len, .. } => Some(len),
                    _ => None,
                })
                .collect(),
            _ => VecDeque::new(),
        };
        let encoded = Command::new(tag.clone(), body).encoded(self.encode_options());
        let points = encoded.sync_literals().to_vec();
        let streamed = encoded.streamed_literals().to_vec();
        let bytes = encoded.into_bytes();
        let mut rest = VecDeque::new();
        let (mut start, mut data_len) = (0usize, None);
        for end in points.into_iter().chain(std::iter::once(bytes.len())) {
            if end < start || end > bytes.len() {
                continue;
            }
            let piece = bytes.slice(start..end);
            if start == 0 {
                self.out.extend_from_slice(&piece);
            } else {
                rest.push_back(Piece {
                    data_len,
                    bytes: piece,
                });
            }
            data_len = if streamed.contains(&end) {
                streamed_lens.pop_front()
            } else {
                None
            };
            start = end;
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
    pub(super) fn start_select(&mut self, mailbox: Mailbox, read_only: bool) {
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
    pub(super) fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::client()
            .with_literal_plus(self.has_capability(&Capability::LiteralPlus))
            .with_literal_minus(
                self.has_capability(&Capability::LiteralMinus)
                    || self.has_capability(&Capability::Imap4Rev2),
            )
            .with_utf8(self.decode.utf8)
    }

    /// Writes DONE for the running IDLE.
    pub(super) fn send_done(&mut self) {
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
}
