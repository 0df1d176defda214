//! Reading commands and answering what the RFCs fully decide.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mail_sansio::Secret;
use mail_sansio::line::Frame;
use mail_sansio::sasl::{Mechanism, SaslError, SaslServer, ServerStep};

use super::{Auth, Pending, Retrieval, Server, ServerEvent, TopFilter, allowed};
use crate::command::{AuthResponse, Command};
use crate::error::{Error, ParseError};
use crate::response::ResponseCode;
use crate::state::State;
use crate::types::{MechanismName, MessageNumber};
use mail_sansio::dot::DotStuffer;

impl Server {
    pub(super) fn next_event(&mut self) -> Result<Option<ServerEvent>, Error> {
        loop {
            if let Some(error) = &self.error {
                return Err(error.clone());
            }
            if let Some(event) = self.queued.take() {
                return Ok(Some(event));
            }
            if self.closing || self.pending.is_some() {
                return Ok(None);
            }
            if self.state == State::TlsHandshake {
                if self.injected > 0 {
                    // RFC 2595 §4 / STARTTLS contract: plaintext after STLS is never acted on.
                    let bytes = self.injected;
                    self.fail_with(Error::TlsInjection { bytes }, None);
                    continue;
                }
                return Ok(None);
            }
            let Some(frame) = self.framer.next_frame(&mut self.input) else {
                if self.eof {
                    self.fail_with(Error::ClosedWithoutQuit, None);
                    continue;
                }
                return Ok(None);
            };
            let event = match frame {
                Frame::Line(line) => self.handle_line(&line),
                // The framer skipped the line, holding at most the limit; answered in
                // command order and counted, as the SMTP server does (RFC 2449 §4).
                Frame::TooLong { .. } => {
                    self.end_auth();
                    self.bad_command("line too long");
                    None
                }
                _ => {
                    self.end_auth();
                    self.bad_command("bare CR or LF in command");
                    None
                }
            };
            if event.is_some() {
                return Ok(event);
            }
        }
    }

    fn end_auth(&mut self) {
        if self.auth.take().is_some() {
            self.framer.set_max_line(self.config.limits.command_line);
        }
    }

    fn handle_line(&mut self, line: &[u8]) -> Option<ServerEvent> {
        if let Some(auth) = self.auth.take() {
            return self.auth_response(auth, line);
        }
        let cmd = match Command::parse_line(line) {
            Ok(cmd) => cmd,
            Err(ParseError::UnknownCommand) => {
                self.bad_command("unknown command");
                return None;
            }
            Err(_) => {
                self.bad_command("syntax error");
                return None;
            }
        };
        if self.stls_offered()
            && !matches!(
                cmd,
                Command::Capa | Command::Stls | Command::Quit | Command::Noop
            )
        {
            self.refuse_before_tls(&cmd);
            return None;
        }
        if !allowed(&cmd, self.state) {
            let text = format!("{} not allowed in this state", cmd.kind());
            self.bad_command(&text);
            return None;
        }
        match cmd {
            Command::Capa => {
                self.reply_ok("capability list follows");
                for cap in self.capabilities().as_slice() {
                    let mut line = bytes::BytesMut::new();
                    cap.encode(&mut line);
                    if line.first() == Some(&b'.') {
                        self.out.extend_from_slice(b".");
                    }
                    self.out.extend_from_slice(&line);
                    self.out.extend_from_slice(b"\r\n");
                }
                self.out.extend_from_slice(b".\r\n");
                None
            }
            Command::Quit => {
                if self.state == State::Transaction {
                    self.state = State::Update;
                    self.pending = Some(Pending::Commit);
                    Some(ServerEvent::Commit {
                        deleted: self.maildrop.deleted(),
                    })
                } else {
                    self.reply_ok("bye");
                    self.close();
                    None
                }
            }
            Command::Stls => {
                if !self.stls_offered() {
                    self.bad_command("STLS not available");
                    return None;
                }
                self.reply_ok("begin TLS negotiation");
                self.state = State::TlsHandshake;
                self.stls_flushed = false;
                self.injected = self.input.len();
                self.input.clear();
                None
            }
            Command::Utf8 => {
                if self.config.utf8 {
                    self.utf8 = true;
                    self.reply_ok("UTF8 enabled");
                } else {
                    self.bad_command("UTF8 not supported");
                }
                None
            }
            Command::User(name) => {
                if !self.config.user_pass {
                    self.bad_command("USER not supported");
                } else {
                    self.user = Some(name);
                    self.reply_ok("send PASS");
                }
                None
            }
            Command::Pass(password) => match self.user.take() {
                Some(username) => {
                    self.pending = Some(Pending::Login);
                    Some(ServerEvent::Login { username, password })
                }
                None => {
                    self.bad_command("USER first");
                    None
                }
            },
            Command::Apop { name, digest } => {
                let Some(timestamp) = self.apop_timestamp.clone() else {
                    self.bad_command("APOP not supported");
                    return None;
                };
                self.pending = Some(Pending::Login);
                Some(ServerEvent::Apop {
                    username: name,
                    digest,
                    timestamp,
                })
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => self.start_auth(
                &mechanism,
                initial_response.as_ref().map(|r| r.expose().as_slice()),
            ),
            Command::Stat => {
                let stat = self.maildrop.stat();
                self.reply_ok(&format!("{} {}", stat.count, stat.size));
                None
            }
            Command::List(None) => {
                let stat = self.maildrop.stat();
                self.reply_ok(&format!("{} messages ({} octets)", stat.count, stat.size));
                let mut out = std::mem::take(&mut self.out);
                for listing in self.maildrop.scan_listings() {
                    listing.encode(&mut out);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b".\r\n");
                self.out = out;
                None
            }
            Command::Uidl(None) => {
                self.reply_ok("unique-id listing follows");
                let mut out = std::mem::take(&mut self.out);
                for listing in self.maildrop.unique_ids() {
                    listing.encode(&mut out);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b".\r\n");
                self.out = out;
                None
            }
            Command::List(Some(n)) => {
                match self.maildrop.get(n) {
                    Some((size, _)) => self.reply_ok(&format!("{n} {size}")),
                    None => self.no_such_message(n),
                }
                None
            }
            Command::Uidl(Some(n)) => {
                match self.maildrop.get(n).map(|(_, uid)| uid.to_string()) {
                    Some(uid) => self.reply_ok(&format!("{n} {uid}")),
                    None => self.no_such_message(n),
                }
                None
            }
            Command::Retr(n) => self.retrieve(n, None),
            Command::Top { message, lines } => self.retrieve(message, Some(lines)),
            Command::Dele(n) => {
                if self.maildrop.delete(n) {
                    self.reply_ok(&format!("message {n} deleted"));
                } else {
                    self.no_such_message(n);
                }
                None
            }
            Command::Noop => {
                self.reply_ok("");
                None
            }
            Command::Rset => {
                self.maildrop.reset();
                let stat = self.maildrop.stat();
                self.reply_ok(&format!(
                    "maildrop has {} messages ({} octets)",
                    stat.count, stat.size
                ));
                None
            }
        }
    }

    fn no_such_message(&mut self, n: MessageNumber) {
        if self.maildrop.is_deleted(n) {
            self.reply_err(None, &format!("message {n} already deleted"));
        } else {
            self.reply_err(None, "no such message");
        }
    }

    fn retrieve(&mut self, n: MessageNumber, top: Option<u64>) -> Option<ServerEvent> {
        let Some((size, _)) = self.maildrop.get(n) else {
            self.no_such_message(n);
            return None;
        };
        self.pending = Some(Pending::Retrieve(Retrieval {
            started: false,
            size,
            top: top.map(TopFilter::new),
            stuffer: DotStuffer::new(),
        }));
        Some(ServerEvent::Retrieve { message: n, top })
    }

    /// With TLS required, before STLS: only what leads to TLS is accepted (ARCHITECTURE.md,
    /// STARTTLS). Credentials get `[AUTH]` (RFC 3206) so a client does not retry them as they
    /// are; every refusal counts as a bad command.
    fn refuse_before_tls(&mut self, cmd: &Command) {
        let code = matches!(
            cmd,
            Command::User(_) | Command::Pass(_) | Command::Apop { .. } | Command::Auth { .. }
        )
        .then_some(ResponseCode::Auth);
        self.reply_err(code, "TLS required first: send STLS");
        self.bad_commands = self.bad_commands.saturating_add(1);
        let limit = self.config.limits.bad_commands_before_login;
        if self.bad_commands > limit {
            self.fail_with(
                Error::TooManyBadCommands { limit },
                Some("too many bad commands"),
            );
        }
    }

    fn auth_failed(&mut self, code: Option<ResponseCode>, text: &str) {
        self.end_auth();
        self.framer.set_max_line(self.config.limits.command_line);
        self.reply_err(code, text);
        self.auth_failures = self.auth_failures.saturating_add(1);
        if self.auth_failures > self.config.limits.auth_failures {
            self.fail_with(
                Error::LimitExceeded("authentication failures"),
                Some("too many authentication failures"),
            );
        }
    }

    pub(super) fn start_auth(
        &mut self,
        mechanism: &MechanismName,
        initial: Option<&[u8]>,
    ) -> Option<ServerEvent> {
        if !self.config.sasl.contains(mechanism) {
            self.auth_failed(None, "unsupported authentication mechanism");
            return None;
        }
        let needs_config = mechanism
            .known()
            .is_some_and(|m| m == Mechanism::CramMd5 || m.is_scram());
        if needs_config && self.sasl_config.is_none() {
            self.pending = Some(Pending::SaslConfig {
                mechanism: mechanism.clone(),
                initial: initial.map(|i| Secret::new(i.to_vec())),
            });
            return Some(ServerEvent::SaslConfig {
                mechanism: mechanism.clone(),
            });
        }
        let config = self.sasl_config.take().unwrap_or_default();
        let sasl = match SaslServer::from_name(mechanism.as_str().as_bytes(), config) {
            Ok(sasl) => sasl,
            Err(SaslError::UnknownMechanism) => {
                self.auth_failed(None, "unsupported authentication mechanism");
                return None;
            }
            Err(_) => {
                self.auth_failed(Some(ResponseCode::SysTemp), "mechanism not available now");
                return None;
            }
        };
        let mut sasl = Box::new(sasl);
        self.sasl_steps = 0;
        self.framer.set_max_line(self.config.limits.auth_line);
        let step = match initial {
            Some(ir) => sasl.step(ir),
            None => sasl.start(),
        };
        self.sasl_next(sasl, step)
    }

    fn auth_response(&mut self, auth: Auth, line: &[u8]) -> Option<ServerEvent> {
        let mut sasl = match auth {
            Auth::Challenge(s) | Auth::ScramFinal(s) => s,
        };
        match AuthResponse::parse_line(line) {
            Ok(AuthResponse::Cancel) => {
                self.auth_failed(None, "authentication cancelled");
                None
            }
            Ok(AuthResponse::Data(data)) => {
                let step = sasl.step(data.expose());
                self.sasl_next(sasl, step)
            }
            Err(_) => {
                self.auth_failed(None, "invalid base64 in authentication exchange");
                None
            }
        }
    }

    /// Acts on one SASL step: send a challenge, or raise the event that decides.
    pub(super) fn sasl_next(
        &mut self,
        sasl: Box<SaslServer>,
        step: Result<ServerStep, SaslError>,
    ) -> Option<ServerEvent> {
        match step {
            Err(_) => {
                self.auth_failed(Some(ResponseCode::Auth), "authentication failed");
                None
            }
            Ok(ServerStep::Challenge(challenge)) => {
                self.send_challenge(&challenge);
                self.auth = Some(Auth::Challenge(sasl));
                self.check_sasl_steps();
                None
            }
            Ok(ServerStep::Verify(credentials)) => {
                self.framer.set_max_line(self.config.limits.command_line);
                self.pending = Some(Pending::Login);
                Some(ServerEvent::SaslVerify(credentials))
            }
            Ok(ServerStep::NeedScramCredentials { authcid, authzid }) => {
                self.auth = Some(Auth::Challenge(sasl));
                self.pending = Some(Pending::Scram);
                Some(ServerEvent::ScramCredentials { authcid, authzid })
            }
            Ok(ServerStep::Success {
                server_final: Some(server_final),
                ..
            }) => {
                // RFC 5034 §4 has no success data: server-final goes out as a challenge.
                self.send_challenge(&server_final);
                self.auth = Some(Auth::ScramFinal(sasl));
                self.check_sasl_steps();
                None
            }
            Ok(ServerStep::Success {
                authcid,
                authzid,
                server_final: None,
            }) => {
                self.framer.set_max_line(self.config.limits.command_line);
                self.pending = Some(Pending::Login);
                Some(ServerEvent::SaslAuthenticated { authcid, authzid })
            }
            Ok(_) => {
                self.auth_failed(
                    Some(ResponseCode::SysTemp),
                    "authentication step not supported",
                );
                None
            }
        }
    }

    fn send_challenge(&mut self, challenge: &[u8]) {
        self.out.extend_from_slice(b"+ ");
        self.out
            .extend_from_slice(STANDARD.encode(challenge).as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn check_sasl_steps(&mut self) {
        self.sasl_steps = self.sasl_steps.saturating_add(1);
        if self.sasl_steps > self.config.limits.sasl_steps {
            self.auth = None;
            self.fail_with(
                Error::LimitExceeded("sasl round trips"),
                Some("too many authentication steps"),
            );
        }
    }
}
