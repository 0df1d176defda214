//! The server's input loop: frames from the framer, literal verdicts, state checks, and the
//! commands the machine answers itself.

use mail_sansio::sasl::{Mechanism, SaslServer, SaslServerConfig, ServerStep};

use super::{Enabled, Kind, Phase, Server, ServerEvent, Updates, decode_options, text_of};
use crate::command::{Command, CommandBody, FetchModifier, SearchKey, SearchReturnOption};
use crate::error::Error;
use crate::frame::{Frame, FrameError, FrameErrorKind};
use crate::response::{
    Capability, Code, Condition, Continuation, Data, Response, Status, StatusKind,
};
use crate::state::State;
use crate::types::{SeqSetOrSaved, Tag};

/// What one step of the loop achieved.
pub(super) type Step = Result<Option<ServerEvent>, Error>;

/// Commands that run alone: they change the state, the selected mailbox or the message
/// numbers, or take over the connection (RFC 9051 §5.5). The others (FETCH, STORE, SEARCH,
/// LIST, STATUS, ...) may run side by side, and their answers still go out in order.
fn exclusive(body: &CommandBody) -> bool {
    matches!(
        body,
        CommandBody::Login { .. }
            | CommandBody::Authenticate { .. }
            | CommandBody::StartTls
            | CommandBody::Logout
            | CommandBody::Select { .. }
            | CommandBody::Examine { .. }
            | CommandBody::Close
            | CommandBody::Unselect
            | CommandBody::Expunge
            | CommandBody::UidExpunge(_)
            | CommandBody::Move { .. }
            | CommandBody::Idle
            | CommandBody::Enable(_)
            | CommandBody::Compress { .. }
            | CommandBody::Unauthenticate
    )
}

/// In which states a command is valid (RFC 9051 §6): `Err` gives the refusal text.
fn allowed(body: &CommandBody, state: State) -> Result<(), &'static str> {
    use CommandBody as C;
    let authenticated = matches!(state, State::Authenticated | State::Selected);
    match body {
        C::Other { .. } => Err("Unknown command"),
        C::Capability | C::Noop | C::Logout | C::Id(_) => Ok(()),
        C::StartTls | C::Login { .. } | C::Authenticate { .. } if authenticated => {
            Err("Already authenticated")
        }
        C::StartTls | C::Login { .. } | C::Authenticate { .. } => Ok(()),
        _ if !authenticated => Err("Command not allowed before authentication"),
        C::Check
        | C::Close
        | C::Unselect
        | C::Expunge
        | C::UidExpunge(_)
        | C::Search { .. }
        | C::Sort { .. }
        | C::Thread { .. }
        | C::Fetch { .. }
        | C::Store { .. }
        | C::Copy { .. }
        | C::Move { .. }
            if state != State::Selected =>
        {
            Err("No mailbox selected")
        }
        C::Enable(_) if state == State::Selected => {
            Err("ENABLE is only allowed before a mailbox is selected")
        }
        _ => Ok(()),
    }
}

/// Whether a command names messages with `$`, the saved search result (RFC 5182): it waits
/// for a SEARCH that saves one.
fn uses_saved(body: &CommandBody) -> bool {
    use CommandBody as C;
    match body {
        C::Fetch { set, .. }
        | C::Store { set, .. }
        | C::Copy { set, .. }
        | C::Move { set, .. }
        | C::UidExpunge(set) => matches!(set, SeqSetOrSaved::Saved),
        C::Search { criteria, .. }
        | C::Sort {
            search: criteria, ..
        }
        | C::Thread {
            search: criteria, ..
        } => criteria.iter().any(key_uses_saved),
        _ => false,
    }
}

/// Whether a search key, at any depth, is `$` or `UID $`.
fn key_uses_saved(key: &SearchKey) -> bool {
    match key {
        SearchKey::SequenceSet(set) | SearchKey::Uid(set) => {
            matches!(set, SeqSetOrSaved::Saved)
        }
        SearchKey::Not(k) => key_uses_saved(k),
        SearchKey::Or(a, b) => key_uses_saved(a) || key_uses_saved(b),
        SearchKey::And(keys) => keys.iter().any(key_uses_saved),
        _ => false,
    }
}

/// Whether a SEARCH's `RETURN` asks to save the result.
fn saves(options: Option<&Vec<SearchReturnOption>>) -> bool {
    options.is_some_and(|o| o.contains(&SearchReturnOption::Save))
}

/// The command's name for the machine's status texts.
fn name(body: &CommandBody) -> &'static str {
    use CommandBody as C;
    match body {
        C::Select { .. } => "SELECT",
        C::Examine { .. } => "EXAMINE",
        C::Create { .. } => "CREATE",
        C::Delete(_) => "DELETE",
        C::Rename { .. } => "RENAME",
        C::Subscribe(_) => "SUBSCRIBE",
        C::Unsubscribe(_) => "UNSUBSCRIBE",
        C::List { .. } => "LIST",
        C::Lsub { .. } => "LSUB",
        C::Namespace => "NAMESPACE",
        C::Status { .. } => "STATUS",
        C::Append { .. } => "APPEND",
        C::Id(_) => "ID",
        C::Check => "CHECK",
        C::Close => "CLOSE",
        C::Expunge | C::UidExpunge(_) => "EXPUNGE",
        C::Search { .. } => "SEARCH",
        C::Sort { .. } => "SORT",
        C::Thread { .. } => "THREAD",
        C::Unauthenticate => "UNAUTHENTICATE",
        C::Fetch { .. } => "FETCH",
        C::Store { .. } => "STORE",
        C::Copy { .. } => "COPY",
        C::Move { .. } => "MOVE",
        C::GetQuota(_) | C::GetQuotaRoot(_) => "GETQUOTA",
        C::SetQuota { .. } => "SETQUOTA",
        C::GetMetadata { .. } => "GETMETADATA",
        C::SetMetadata { .. } => "SETMETADATA",
        _ => "Command",
    }
}

/// The tag at the start of a unit or line, if it is a valid one.
pub(super) fn tag_of(bytes: &[u8]) -> Option<Tag> {
    let end = bytes
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    Tag::try_from(bytes.get(..end)?).ok()
}

/// The command word after the tag, upper-cased (`UID` commands give `UID`).
fn verb_of(bytes: &[u8]) -> Vec<u8> {
    bytes
        .split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .nth(1)
        .unwrap_or_default()
        .to_ascii_uppercase()
}

impl Server {
    /// Runs the input loop until an event, a wait, or a fatal error.
    pub(super) fn step(&mut self) -> Step {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Ok(Some(event));
            }
            if self.closing {
                return Ok(None);
            }
            match self.phase {
                Phase::StartTls if self.injected > 0 => {
                    let bytes = self.injected;
                    return Err(self.fail(Error::TlsInjection { bytes }, None));
                }
                Phase::Compress if self.injected > 0 => {
                    let bytes = self.injected;
                    return Err(self.fail(Error::CompressionInjection { bytes }, None));
                }
                Phase::StartTls | Phase::Compress | Phase::AuthWait(_) => return Ok(None),
                _ => {}
            }
            if let Some(command) = self.held.take() {
                if self.must_wait(&command.body) {
                    self.held = Some(command);
                    return Ok(None);
                }
                match self.dispatch(*command)? {
                    Some(event) => return Ok(Some(event)),
                    None => continue,
                }
            }
            if self.exclusive_open() || self.fetch_stream.is_some() {
                // A streamed FETCH literal is going out: a `+` must not land inside it.
                return Ok(None);
            }
            let Some(frame) = self.framer.next_frame(&mut self.input) else {
                return self.at_end_of_input();
            };
            let progress = match self.phase {
                Phase::Auth(_) => self.auth_frame(frame)?,
                Phase::Idle { .. } => self.idle_frame(frame)?,
                _ => self.command_frame(frame)?,
            };
            if let Some(event) = progress {
                return Ok(Some(event));
            }
        }
    }

    /// Whether a command read must wait for the open ones: it runs alone, it reads `$` while
    /// a SEARCH that saves it is open, or it saves `$` while a SEARCH, SORT or THREAD is open
    /// (the application may still be resolving its keys against the old `$`) (RFC 5182
    /// §2.1).
    fn must_wait(&self, body: &CommandBody) -> bool {
        let open =
            |f: fn(&Kind) -> bool| self.slots.iter().any(|s| s.status.is_none() && f(&s.kind));
        let saving = matches!(body, CommandBody::Search { return_options, .. }
            if saves(return_options.as_ref()));
        exclusive(body) && self.has_open_slots()
            || uses_saved(body)
                && open(|k| matches!(k, Kind::Search { esearch, .. } if saves(esearch.as_ref())))
            || saving
                && open(|k| {
                    matches!(
                        k,
                        Kind::Search { .. } | Kind::Sort { .. } | Kind::Thread { .. }
                    )
                })
    }

    /// Whether a command that runs alone is open (nothing more is read until it is done).
    fn exclusive_open(&self) -> bool {
        self.slots.iter().any(|s| s.status.is_none() && s.exclusive)
            && !matches!(self.phase, Phase::Auth(_) | Phase::Idle { .. })
    }

    /// No complete frame is buffered: wait, or end the session after the client's EOF.
    fn at_end_of_input(&mut self) -> Step {
        if !self.eof {
            return Ok(None);
        }
        if self.append.is_some() || !self.framer.is_between_units() || !self.input.is_empty() {
            self.append = None;
            return Err(self.fail(
                Error::UnexpectedEof {
                    state: "reading a command",
                },
                None,
            ));
        }
        if !self.has_open_slots() {
            self.state = State::Logout;
            self.closing = true;
        }
        Ok(None)
    }

    fn command_frame(&mut self, frame: Frame) -> Step {
        match frame {
            Frame::Unit(unit) => {
                if self.append.is_some() {
                    return self.append_unit_end(&unit);
                }
                let options = self.decode_options();
                match Command::from_unit(&unit, &options) {
                    Ok(command) => {
                        if self.must_wait(&command.body) {
                            self.held = Some(Box::new(command));
                            return Ok(None);
                        }
                        self.dispatch(command)
                    }
                    Err(e) => {
                        let tag = tag_of(unit.bytes());
                        let text = format!("Error in IMAP command: {}", e.kind);
                        self.bad_command(tag, Condition::Bad, None, &text)
                    }
                }
            }
            Frame::LiteralAnnounced { len, .. } => self.literal_verdict(len),
            Frame::LiteralStart {
                prefix,
                len,
                binary,
                sync,
            } => self.append_literal_start(&prefix, len, binary, sync),
            Frame::LiteralChunk(bytes) => {
                if self.append.as_ref().is_some_and(|run| !run.poisoned) {
                    self.queued.push_back(ServerEvent::AppendChunk(bytes));
                }
                Ok(None)
            }
            Frame::LiteralEnd => {
                if self.append.as_ref().is_some_and(|run| !run.poisoned) {
                    self.queued.push_back(ServerEvent::AppendEnd);
                }
                Ok(None)
            }
            Frame::Error(e) => self.frame_error(e),
        }
    }

    pub(super) fn decode_options(&self) -> crate::command::DecodeOptions {
        let mut options = decode_options(&self.config, self.enabled.utf8);
        options.limits = self.config.limits.clone();
        options
    }

    /// A dropped unit: answer it (`BAD`, or `NO [TOOBIG]` for a literal too large), count it.
    fn frame_error(&mut self, error: FrameError) -> Step {
        if self
            .append
            .take()
            .is_some_and(|run| run.emitted > 0 && !run.poisoned)
        {
            self.queued.push_back(ServerEvent::AppendAborted);
        }
        if error.is_fatal() {
            return Err(self.fail(Error::Framing(error), Some("Input cannot be framed")));
        }
        let tag = error.tag().and_then(|t| Tag::try_from(t.clone()).ok());
        let limits = self.framer.limits();
        match error.kind() {
            FrameErrorKind::LiteralTooLarge { limit, .. }
                if limit == limits.max_literal && limits.max_non_sync_literal < limit =>
            {
                // A synchronising literal: the client waits, nothing was sent (RFC 7888 §4).
                self.reply(
                    tag,
                    Condition::No,
                    Some(Code::TooBig),
                    "Literal too large",
                    Updates::None,
                );
                Ok(None)
            }
            FrameErrorKind::LiteralTooLarge { .. } => {
                self.bad_command(tag, Condition::Bad, Some(Code::TooBig), "Literal too large")
            }
            FrameErrorKind::UnitTooLarge { .. } => {
                self.bad_command(tag, Condition::Bad, Some(Code::TooBig), "Command too long")
            }
            FrameErrorKind::LineTooLong { .. } => {
                self.bad_command(tag, Condition::Bad, None, "Line too long")
            }
            FrameErrorKind::BareNewline => {
                self.bad_command(tag, Condition::Bad, None, "Bare CR or LF in command")
            }
            _ => self.bad_command(tag, Condition::Bad, None, "Invalid command framing"),
        }
    }

    /// A synchronising literal waits for `+`: accept it, or refuse it without reading its
    /// data (RFC 9051 §7.5, RFC 7888 §4, security-anchors §3.1).
    fn literal_verdict(&mut self, len: u64) -> Step {
        let (tag, appending) = match &self.append {
            Some(run) => (run.tag.clone(), true),
            None => {
                let unit = self.framer.unit_so_far(&self.input);
                (tag_of(unit), verb_of(unit) == b"APPEND")
            }
        };
        let authenticated = matches!(self.state, State::Authenticated | State::Selected);
        let line_limit = if authenticated {
            self.config.limits.line
        } else {
            self.config.limits.line_before_auth
        } as u64;
        let refusal = if !self.config.login_allowed(self.tls) && !authenticated {
            Some((
                Condition::Bad,
                Some(Code::PrivacyRequired),
                "Run STARTTLS first",
                true,
            ))
        } else if appending && !authenticated {
            Some((
                Condition::Bad,
                None,
                "Command not allowed before authentication",
                true,
            ))
        } else if appending && len > self.config.append_limit() {
            Some((
                Condition::No,
                Some(Code::TooBig),
                "Message too large",
                false,
            ))
        } else if !appending && len > line_limit {
            Some((
                Condition::Bad,
                Some(Code::TooBig),
                "Literal too large",
                true,
            ))
        } else {
            None
        };
        let Some((condition, code, text, counted)) = refusal else {
            self.framer.accept_literal();
            let go = Response::Continuation(Continuation {
                code: None,
                text: text_of("Ready for literal data"),
            });
            self.write_now(&go);
            return Ok(None);
        };
        self.framer.refuse_literal();
        if self
            .append
            .take()
            .is_some_and(|run| run.emitted > 0 && !run.poisoned)
        {
            self.queued.push_back(ServerEvent::AppendAborted);
        }
        if counted {
            self.bad_command(tag, condition, code, text)
        } else {
            self.reply(tag, condition, code, text, Updates::None);
            Ok(None)
        }
    }

    /// Counts a bad command and answers it, or ends the session past the budget.
    pub(super) fn bad_command(
        &mut self,
        tag: Option<Tag>,
        condition: Condition,
        code: Option<Code>,
        text: &str,
    ) -> Step {
        self.bad = self.bad.saturating_add(1);
        let limit = if self.state == State::NotAuthenticated {
            self.config.bad_commands_before_login
        } else {
            self.config.bad_commands
        };
        if self.bad > limit {
            return Err(self.fail(
                Error::TooManyBadCommands { limit },
                Some("Too many invalid commands"),
            ));
        }
        self.reply(tag, condition, code, text, Updates::None);
        Ok(None)
    }

    /// Runs one command the machine may start now.
    pub(super) fn dispatch(&mut self, command: Command) -> Step {
        let Command { tag, body } = command;
        let authenticated = matches!(self.state, State::Authenticated | State::Selected);
        if !authenticated && !self.config.login_allowed(self.tls) {
            // ARCHITECTURE.md: with TLS required, only what leads to TLS before the switch.
            match body {
                CommandBody::Capability
                | CommandBody::StartTls
                | CommandBody::Logout
                | CommandBody::Noop => {}
                CommandBody::Login { .. } | CommandBody::Authenticate { .. } => {
                    return self.bad_command(
                        Some(tag),
                        Condition::No,
                        Some(Code::PrivacyRequired),
                        "Run STARTTLS first",
                    );
                }
                _ => {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        Some(Code::PrivacyRequired),
                        "Run STARTTLS first",
                    );
                }
            }
        }
        if let Err(text) = allowed(&body, self.state) {
            return self.bad_command(Some(tag), Condition::Bad, None, text);
        }
        let x = &self.config.extensions;
        match body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.reply_with_data(tag, vec![Data::Capability(caps)], "CAPABILITY completed");
                Ok(None)
            }
            CommandBody::Noop => {
                self.reply(
                    Some(tag),
                    Condition::Ok,
                    None,
                    "NOOP completed",
                    Updates::All,
                );
                Ok(None)
            }
            CommandBody::Check => {
                self.reply(
                    Some(tag),
                    Condition::Ok,
                    None,
                    "CHECK completed",
                    Updates::All,
                );
                Ok(None)
            }
            CommandBody::Logout => {
                // RFC 9051 §6.1.3: the BYE, then the tagged OK.
                let bye = Status {
                    kind: StatusKind::Bye,
                    code: None,
                    text: text_of("Logging out"),
                };
                let bytes = self.encode(|e| bye.encode(e));
                self.reply_after(
                    bytes,
                    Some(tag),
                    Condition::Ok,
                    None,
                    "LOGOUT completed",
                    Updates::None,
                );
                self.state = State::Logout;
                self.closing = true;
                Ok(None)
            }
            CommandBody::StartTls => self.starttls(tag),
            CommandBody::Login { username, password } => self.login(tag, username, password),
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => self.authenticate(tag, &mechanism, initial_response),
            CommandBody::Enable(names) if x.enable => self.enable(tag, &names),
            CommandBody::Idle if x.idle => {
                let token = self.open_slot(tag, Kind::Idle, true, Updates::All, "IDLE");
                self.write_now(&Response::Continuation(Continuation {
                    code: None,
                    text: text_of("idling"),
                }));
                self.phase = Phase::Idle { token: token.0 };
                self.write_updates(Updates::All);
                Ok(None)
            }
            CommandBody::Unselect if x.unselect => {
                self.deselect();
                self.reply(
                    Some(tag),
                    Condition::Ok,
                    None,
                    "UNSELECT completed",
                    Updates::None,
                );
                Ok(None)
            }
            CommandBody::Compress { algorithm } if x.compress => {
                if self.compressed {
                    self.reply(
                        Some(tag),
                        Condition::No,
                        Some(Code::CompressionActive),
                        "Compression already active",
                        Updates::None,
                    );
                } else if !algorithm.eq_ignore_ascii_case("DEFLATE") {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        None,
                        "Unknown compression algorithm",
                    );
                } else {
                    self.reply(
                        Some(tag),
                        Condition::Ok,
                        None,
                        "DEFLATE active",
                        Updates::None,
                    );
                    self.phase = Phase::Compress;
                    self.injected = self.input.len();
                    self.input.clear();
                }
                Ok(None)
            }
            CommandBody::Select { mailbox, params } => self.select(tag, mailbox, params, false),
            CommandBody::Examine { mailbox, params } => self.select(tag, mailbox, params, true),
            CommandBody::Close => {
                let read_only = self.view.as_ref().is_none_or(|v| v.is_read_only());
                let token = self.open_slot(tag, Kind::Close, true, Updates::None, "CLOSE");
                Ok(Some(ServerEvent::Close { token, read_only }))
            }
            CommandBody::Expunge | CommandBody::UidExpunge(_) => {
                if self.view.as_deref().is_some_and(super::View::is_read_only) {
                    return self.read_only(tag);
                }
                let uids = match body {
                    CommandBody::UidExpunge(set) => match self.resolve(&set, true) {
                        Some(uids) => Some(uids),
                        None => return self.invalid_set(tag),
                    },
                    _ => None,
                };
                let token = self.open_slot(tag, Kind::Other, true, Updates::All, "EXPUNGE");
                Ok(Some(ServerEvent::Expunge { token, uids }))
            }
            CommandBody::Fetch {
                uid,
                set,
                attributes,
                modifiers,
            } => {
                let Some(uids) = self.resolve(&set, uid) else {
                    return self.invalid_set(tag);
                };
                for m in &modifiers {
                    match m {
                        FetchModifier::ChangedSince(_) if x.condstore => {
                            self.enabled.condstore = true;
                        }
                        FetchModifier::Vanished if uid && self.enabled.qresync => {}
                        _ => {
                            return self.bad_command(
                                Some(tag),
                                Condition::Bad,
                                None,
                                "Unsupported FETCH modifier",
                            );
                        }
                    }
                }
                let kind = Kind::Fetch { uid };
                let updates = Self::updates_for(&kind, uid);
                let token = self.open_slot(tag, kind, false, updates, "FETCH");
                Ok(Some(ServerEvent::Fetch {
                    token,
                    uid,
                    uids,
                    attributes,
                    modifiers,
                }))
            }
            CommandBody::Store {
                uid,
                set,
                unchanged_since,
                action,
                silent,
                item,
            } => {
                if self.view.as_deref().is_some_and(super::View::is_read_only) {
                    return self.read_only(tag);
                }
                let Some(uids) = self.resolve(&set, uid) else {
                    return self.invalid_set(tag);
                };
                if unchanged_since.is_some() {
                    if !x.condstore {
                        return self.bad_command(
                            Some(tag),
                            Condition::Bad,
                            None,
                            "CONDSTORE is not offered",
                        );
                    }
                    self.enabled.condstore = true;
                }
                let kind = Kind::Fetch { uid };
                let updates = Self::updates_for(&kind, uid);
                let token = self.open_slot(tag, kind, false, updates, "STORE");
                Ok(Some(ServerEvent::Store {
                    token,
                    uid,
                    uids,
                    unchanged_since,
                    action,
                    silent,
                    item,
                }))
            }
            CommandBody::Search {
                uid,
                return_options,
                charset,
                criteria,
            } => {
                if return_options.is_some() && !(x.esearch || x.imap4rev2) {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        None,
                        "ESEARCH is not offered",
                    );
                }
                if saves(return_options.as_ref()) && !self.searchres() {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        None,
                        "SEARCHRES is not offered",
                    );
                }
                let kind = Kind::Search {
                    uid,
                    esearch: return_options.clone(),
                };
                let updates = Self::updates_for(&kind, uid);
                let token = self.open_slot(tag, kind, false, updates, "SEARCH");
                Ok(Some(ServerEvent::Search {
                    token,
                    uid,
                    return_options,
                    charset,
                    criteria,
                }))
            }
            CommandBody::Sort {
                uid,
                return_options,
                criteria,
                charset,
                search,
            } if x.sort => {
                if return_options.is_some() {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        None,
                        "ESORT is not offered",
                    );
                }
                let kind = Kind::Sort { uid };
                let updates = Self::updates_for(&kind, uid);
                let token = self.open_slot(tag, kind, false, updates, "SORT");
                Ok(Some(ServerEvent::Sort {
                    token,
                    uid,
                    criteria,
                    charset,
                    search,
                }))
            }
            CommandBody::Thread {
                uid,
                algorithm,
                charset,
                search,
            } if !x.thread.is_empty() => {
                let Some(algorithm) = x
                    .thread
                    .iter()
                    .find(|a| a.as_bytes().eq_ignore_ascii_case(algorithm.as_bytes()))
                    .cloned()
                else {
                    return self.bad_command(
                        Some(tag),
                        Condition::Bad,
                        None,
                        "Unknown THREAD algorithm",
                    );
                };
                let kind = Kind::Thread { uid };
                let updates = Self::updates_for(&kind, uid);
                let token = self.open_slot(tag, kind, false, updates, "THREAD");
                Ok(Some(ServerEvent::Thread {
                    token,
                    uid,
                    algorithm,
                    charset,
                    search,
                }))
            }
            CommandBody::Unauthenticate if x.unauthenticate => {
                let token = self.open_slot(
                    tag,
                    Kind::Unauthenticate,
                    true,
                    Updates::None,
                    "UNAUTHENTICATE",
                );
                Ok(Some(ServerEvent::Unauthenticate { token }))
            }
            CommandBody::Copy { uid, set, mailbox } => self.copy(tag, uid, &set, mailbox, false),
            CommandBody::Move { uid, set, mailbox } if x.r#move => {
                if self.view.as_deref().is_some_and(super::View::is_read_only) {
                    return self.read_only(tag);
                }
                self.copy(tag, uid, &set, mailbox, true)
            }
            CommandBody::Append { mailbox, messages } => self.append_whole(tag, mailbox, messages),
            body @ (CommandBody::Create { .. }
            | CommandBody::Delete(_)
            | CommandBody::Rename { .. }
            | CommandBody::Subscribe(_)
            | CommandBody::Unsubscribe(_)
            | CommandBody::List { .. }
            | CommandBody::Lsub { .. }
            | CommandBody::Status { .. }
            | CommandBody::GetQuota(_)
            | CommandBody::GetQuotaRoot(_)
            | CommandBody::SetQuota { .. }
            | CommandBody::GetMetadata { .. }
            | CommandBody::SetMetadata { .. }) => {
                let name = name(&body);
                let token = self.open_slot(tag, Kind::Other, false, Updates::All, name);
                Ok(Some(ServerEvent::Command { token, body }))
            }
            body @ CommandBody::Namespace if x.namespace => {
                let token = self.open_slot(tag, Kind::Other, false, Updates::All, "NAMESPACE");
                Ok(Some(ServerEvent::Command { token, body }))
            }
            body @ CommandBody::Id(_) if x.id => {
                let token = self.open_slot(tag, Kind::Other, false, Updates::All, "ID");
                Ok(Some(ServerEvent::Command { token, body }))
            }
            _ => self.bad_command(Some(tag), Condition::Bad, None, "Unknown command"),
        }
    }

    fn read_only(&mut self, tag: Tag) -> Step {
        self.reply(
            Some(tag),
            Condition::No,
            Some(Code::ReadOnly),
            "Mailbox is read-only",
            Updates::All,
        );
        Ok(None)
    }

    fn invalid_set(&mut self, tag: Tag) -> Step {
        self.bad_command(
            Some(tag),
            Condition::Bad,
            None,
            "Invalid message sequence number",
        )
    }

    /// Untagged data and a tagged OK the machine decided.
    fn reply_with_data(&mut self, tag: Tag, data: Vec<Data>, text: &str) {
        let mut bytes = bytes::BytesMut::new();
        for d in data {
            bytes.extend_from_slice(&self.encode(|e| Response::Data(d).encode(e)));
        }
        self.reply_after(bytes, Some(tag), Condition::Ok, None, text, Updates::All);
    }

    /// STARTTLS (RFC 9051 §6.2.1): the OK, then nothing is read until the handshake; bytes
    /// already buffered behind the command line are the injection the contract forbids.
    fn starttls(&mut self, tag: Tag) -> Step {
        if self.tls || self.config.tls != crate::config::TlsMode::Required {
            return self.bad_command(Some(tag), Condition::Bad, None, "STARTTLS not available");
        }
        self.reply(
            Some(tag),
            Condition::Ok,
            None,
            "Begin TLS negotiation now",
            Updates::None,
        );
        self.phase = Phase::StartTls;
        self.injected = self.input.len();
        self.input.clear();
        Ok(None)
    }

    /// LOGIN through the shared PLAIN machine, so that LOGIN and AUTHENTICATE PLAIN apply
    /// the same identity rules and hand out the same [`Credentials`].
    ///
    /// [`Credentials`]: mail_sansio::sasl::Credentials
    fn login(
        &mut self,
        tag: Tag,
        username: crate::types::AString,
        password: mail_sansio::Secret<crate::types::AString>,
    ) -> Step {
        let mut message = Vec::with_capacity(2 + username.len() + password.expose().len());
        message.push(0);
        message.extend_from_slice(username.as_bytes());
        message.push(0);
        message.extend_from_slice(password.expose().as_bytes());
        let message = mail_sansio::Secret::new(message);
        let step = SaslServer::new(Mechanism::Plain, SaslServerConfig::new())
            .and_then(|mut sasl| sasl.step(message.expose()));
        match step {
            Ok(ServerStep::Verify(credentials)) => {
                let token = self.open_slot(tag, Kind::Login, true, Updates::None, "LOGIN");
                Ok(Some(ServerEvent::Login { token, credentials }))
            }
            _ => {
                self.reply(
                    Some(tag),
                    Condition::No,
                    Some(Code::AuthenticationFailed),
                    "Authentication failed",
                    Updates::None,
                );
                self.count_auth_failure()?;
                Ok(None)
            }
        }
    }

    /// ENABLE (RFC 5161): turns on what is offered, answers `* ENABLED` with what changed.
    fn enable(&mut self, tag: Tag, names: &[crate::types::Atom]) -> Step {
        let x = &self.config.extensions;
        let mut enabled = Vec::new();
        let before: Enabled = self.enabled;
        for name in names {
            let cap = Capability::from_atom(name.clone());
            match cap {
                Capability::CondStore if x.condstore => {
                    if !self.enabled.condstore {
                        enabled.push(cap);
                    }
                    self.enabled.condstore = true;
                }
                Capability::QResync if x.qresync => {
                    if !before.qresync {
                        enabled.push(cap);
                    }
                    self.enabled.qresync = true;
                    self.enabled.condstore = true;
                }
                Capability::Utf8Accept if x.utf8_accept => {
                    if !before.utf8 {
                        enabled.push(cap);
                    }
                    self.enabled.utf8 = true;
                }
                Capability::Imap4Rev2 if x.imap4rev2 => {
                    if !before.rev2 {
                        enabled.push(cap);
                    }
                    self.enabled.rev2 = true;
                    self.enabled.utf8 = true;
                }
                _ => {}
            }
        }
        self.reply_with_data(tag, vec![Data::Enabled(enabled)], "ENABLE completed");
        Ok(None)
    }

    /// SELECT or EXAMINE: the previous mailbox is closed first (RFC 9051 §6.3.2).
    fn select(
        &mut self,
        tag: Tag,
        mailbox: crate::types::Mailbox,
        params: crate::command::SelectParams,
        read_only: bool,
    ) -> Step {
        let x = &self.config.extensions;
        if params.qresync.is_some() && !self.enabled.qresync {
            return self.bad_command(Some(tag), Condition::Bad, None, "QRESYNC is not enabled");
        }
        if params.condstore {
            if !x.condstore {
                return self.bad_command(
                    Some(tag),
                    Condition::Bad,
                    None,
                    "CONDSTORE is not offered",
                );
            }
            self.enabled.condstore = true;
        }
        let was_selected = self.view.is_some();
        self.deselect();
        let name = if read_only { "EXAMINE" } else { "SELECT" };
        let token = self.open_slot(tag, Kind::Select { read_only }, true, Updates::None, name);
        if was_selected {
            let closed = Response::Status(Status {
                kind: StatusKind::Untagged(Condition::Ok),
                code: Some(Code::Closed),
                text: text_of("Previous mailbox closed"),
            });
            let bytes = self.encode(|e| closed.encode(e));
            let index = self.slots.len() - 1;
            self.write_for(index, &bytes);
        }
        Ok(Some(ServerEvent::Select {
            token,
            mailbox,
            read_only,
            params,
        }))
    }

    /// COPY or MOVE of the messages a set names.
    fn copy(
        &mut self,
        tag: Tag,
        uid: bool,
        set: &SeqSetOrSaved,
        mailbox: crate::types::Mailbox,
        moved: bool,
    ) -> Step {
        let Some(uids) = self.resolve(set, uid) else {
            return self.invalid_set(tag);
        };
        let name = if moved { "MOVE" } else { "COPY" };
        let token = self.open_slot(tag, Kind::Other, moved, Updates::All, name);
        Ok(Some(ServerEvent::Copy {
            token,
            uid,
            uids,
            mailbox,
            moved,
        }))
    }

    /// A line during IDLE: DONE ends it (RFC 2177); anything else is `BAD` and ends it too.
    fn idle_frame(&mut self, frame: Frame) -> Step {
        let Phase::Idle { token } = self.phase else {
            return Ok(None);
        };
        let done = match &frame {
            Frame::Unit(unit) => {
                let options = self.decode_options();
                crate::command::IdleDone::decode_with(unit.bytes(), &options).is_ok()
            }
            Frame::LiteralAnnounced { .. } => {
                self.framer.refuse_literal();
                false
            }
            _ => false,
        };
        self.phase = Phase::Command;
        let (condition, text) = if done {
            (Condition::Ok, "IDLE terminated")
        } else {
            (Condition::Bad, "Expected DONE")
        };
        self.finish_slot(token, condition, None, text);
        Ok(None)
    }
}
