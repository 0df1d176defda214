//! AUTH (RFC 4954) through the shared SASL machines: the command, the `334` exchange, and the
//! decisions the application owes in the middle of it (a fresh CRAM-MD5 challenge or SCRAM
//! nonce, the stored SCRAM keys).

use bytes::Buf;
use mail_sansio::Secret;
use mail_sansio::sasl::{self, Mechanism, SaslError, SaslServer, SaslServerConfig, ServerStep};

use super::commands::Progress;
use super::{Phase, Server, ServerEvent, SlotKind, Token, has_bare_cr};
use crate::error::{Error, SendError};
use crate::types::{MechanismName, Text};
use mail_sansio::line::InPlace;

/// A decision the application owes in the middle of an AUTH exchange.
#[derive(Debug)]
pub(super) enum AuthWait {
    /// CRAM-MD5 or SCRAM needs a fresh challenge or nonce ([`ServerEvent::SaslConfig`]).
    Config {
        mechanism: Mechanism,
        /// The decoded initial response, if the client sent one.
        initial: Option<Secret<Vec<u8>>>,
    },
    /// SCRAM needs the user's stored keys ([`ServerEvent::ScramCredentials`]).
    Scram { sasl: SaslServer, steps: u32 },
}

/// Whether the machine runs this mechanism only with a per-exchange challenge or nonce from
/// the application (it never makes up randomness itself).
const fn needs_config(mechanism: Mechanism) -> bool {
    matches!(
        mechanism,
        Mechanism::CramMd5 | Mechanism::ScramSha256 | Mechanism::ScramSha256Plus
    )
}

impl Server {
    /// Gives the SASL settings for the next AUTH exchange: the CRAM-MD5 challenge, the SCRAM
    /// nonce and, for `SCRAM-SHA-256-PLUS`, the TLS channel binding. They must be fresh for
    /// every exchange (at least 18 octets from a cryptographic random source) and are used by
    /// the next AUTH command only, whatever its mechanism. Without them the machine asks with
    /// [`ServerEvent::SaslConfig`] when a mechanism needs them. The same call exists on the POP3
    /// server.
    pub fn set_sasl_config(&mut self, config: SaslServerConfig) {
        self.sasl_config = Some(config);
    }

    /// Answers [`ServerEvent::SaslConfig`] with the settings for this exchange (see
    /// [`Server::set_sasl_config`]); the machine then sends the first challenge. A
    /// configuration that lacks what the mechanism needs gets `454 4.7.0`.
    pub fn provide_sasl_config(
        &mut self,
        token: Token,
        config: SaslServerConfig,
    ) -> Result<(), SendError> {
        if self.slot_kind(token)? != SlotKind::SaslConfig {
            return Err(SendError::WrongState(
                "provide_sasl_config answers ServerEvent::SaslConfig",
            ));
        }
        let Phase::AuthWait(wait) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(SendError::UnknownToken(token.0));
        };
        let AuthWait::Config { mechanism, initial } = *wait else {
            return Err(SendError::UnknownToken(token.0));
        };
        self.close_slot(token);
        let progress = self.start_sasl(mechanism, config, initial);
        self.after_answer(progress);
        Ok(())
    }

    /// Answers [`ServerEvent::ScramCredentials`] with the user's stored SCRAM keys (made-up ones
    /// for an unknown user, so that the proof fails like a wrong password); the machine then
    /// sends server-first.
    pub fn provide_scram_credentials(
        &mut self,
        token: Token,
        credentials: sasl::ScramCredentials,
    ) -> Result<(), SendError> {
        if self.slot_kind(token)? != SlotKind::ScramCredentials {
            return Err(SendError::WrongState(
                "provide_scram_credentials answers ServerEvent::ScramCredentials",
            ));
        }
        let Phase::AuthWait(wait) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(SendError::UnknownToken(token.0));
        };
        let AuthWait::Scram { mut sasl, steps } = *wait else {
            return Err(SendError::UnknownToken(token.0));
        };
        self.close_slot(token);
        let step = sasl.provide_scram_credentials(credentials);
        let progress = self.sasl_result(sasl, steps, step);
        self.after_answer(progress);
        Ok(())
    }

    /// Ends a decision slot whose answer is not a reply of its own (the machine's next
    /// challenge or reply follows it).
    fn close_slot(&mut self, token: Token) {
        if let Some(slot) = self.pending.iter_mut().find(|s| s.token == token.0) {
            slot.reply = Some(0..0);
        }
        self.flush();
    }

    /// Keeps the event an application call led to for the next `poll_event`; a fatal error
    /// is already recorded by [`Server::fail`].
    fn after_answer(&mut self, progress: Result<Progress, Error>) {
        if let Ok(Progress::Event(event)) = progress {
            self.queued = Some(event);
        }
    }

    /// ```text
    /// auth-command = "AUTH" SP sasl-mech [SP initial-response] CRLF   ; RFC 4954 §4
    /// ```
    pub(super) fn auth_command(
        &mut self,
        mechanism: &MechanismName,
        ir: Option<Secret<Text>>,
    ) -> Result<Progress, Error> {
        if !self.config.auth_allowed(self.tls) {
            return self.bad_command(
                538,
                (5, 7, 11),
                "Encryption required for requested authentication mechanism",
            );
        }
        if self.helo.is_none() {
            return self.bad_command(503, (5, 5, 1), "Error: send EHLO first");
        }
        if self.authenticated {
            return self.bad_command(503, (5, 5, 1), "Error: already authenticated");
        }
        if self.txn.is_some() {
            return self.bad_command(
                503,
                (5, 5, 1),
                "Error: AUTH not allowed during a mail transaction",
            );
        }
        let offered = self.offered_mechanisms().contains(mechanism);
        let Some(known) = mechanism.known().filter(|_| offered) else {
            return self.bad_command(504, (5, 5, 4), "Error: unrecognized authentication type");
        };
        // Settings given in advance belong to this exchange, whatever its mechanism.
        let stored = self.sasl_config.take();
        let initial = match ir {
            Some(ir) => match sasl::wire::decode_initial_response(
                ir.expose().as_str().as_bytes(),
                self.config.limits.auth_line,
            ) {
                Ok(decoded) => Some(decoded),
                Err(error) => return self.sasl_failure(error),
            },
            None => None,
        };
        match stored {
            Some(config) => self.start_sasl(known, config, initial),
            None if needs_config(known) => {
                self.phase = Phase::AuthWait(Box::new(AuthWait::Config {
                    mechanism: known,
                    initial,
                }));
                let token = self.open_slot(SlotKind::SaslConfig);
                Ok(Progress::Event(ServerEvent::SaslConfig {
                    token,
                    mechanism: mechanism.clone(),
                }))
            }
            None => self.start_sasl(known, SaslServerConfig::new(), initial),
        }
    }

    /// Starts the SASL machine and feeds it the initial response, if any.
    fn start_sasl(
        &mut self,
        mechanism: Mechanism,
        config: SaslServerConfig,
        initial: Option<Secret<Vec<u8>>>,
    ) -> Result<Progress, Error> {
        // RFC 5802 §6: a client that says it could have used -PLUS was downgraded.
        let plus = self
            .offered_mechanisms()
            .contains(&MechanismName::from(Mechanism::ScramSha256Plus));
        let Ok(mut sasl) = SaslServer::new(mechanism, config.with_plus_offered(plus)) else {
            return self.reply(454, Some((4, 7, 0)), "Temporary authentication failure");
        };
        let step = match initial {
            Some(ir) => sasl.step(ir.expose()),
            None => sasl.start(),
        };
        self.sasl_result(sasl, 0, step)
    }

    /// Acts on one SASL step: a `334` challenge, an event for the application, or the
    /// machine's refusal.
    pub(super) fn sasl_result(
        &mut self,
        sasl: SaslServer,
        steps: u32,
        result: Result<ServerStep, SaslError>,
    ) -> Result<Progress, Error> {
        self.phase = Phase::Command;
        match result {
            Ok(ServerStep::Challenge(challenge))
            | Ok(ServerStep::Success {
                server_final: Some(challenge),
                ..
            }) => {
                // RFC 4954 §4 has no additional data with 235: SCRAM's server-final goes out
                // as one more challenge, answered by an empty line.
                if steps >= self.config.limits.sasl_steps {
                    return self.bad_command(
                        501,
                        (5, 7, 0),
                        "Error: too many authentication steps",
                    );
                }
                let text = sasl::wire::encode_challenge(&challenge);
                self.push_reply(334, None, &text);
                self.phase = Phase::Auth {
                    sasl: Box::new(sasl),
                    steps: steps + 1,
                };
                Ok(Progress::Continue)
            }
            Ok(ServerStep::Verify(credentials)) => {
                let token = self.open_slot(SlotKind::Auth);
                Ok(Progress::Event(ServerEvent::Auth { token, credentials }))
            }
            Ok(ServerStep::NeedScramCredentials { authcid, authzid }) => {
                self.phase = Phase::AuthWait(Box::new(AuthWait::Scram { sasl, steps }));
                let token = self.open_slot(SlotKind::ScramCredentials);
                Ok(Progress::Event(ServerEvent::ScramCredentials {
                    token,
                    authcid,
                    authzid,
                }))
            }
            Ok(ServerStep::Success {
                authcid,
                authzid,
                server_final: None,
            }) => {
                let token = self.open_slot(SlotKind::Auth);
                Ok(Progress::Event(ServerEvent::SaslAuthenticated {
                    token,
                    authcid,
                    authzid,
                }))
            }
            Ok(_) => self.reply(454, Some((4, 7, 0)), "Temporary authentication failure"),
            Err(error) => self.sasl_failure(error),
        }
    }

    /// The machine's reply to a failed exchange.
    fn sasl_failure(&mut self, error: SaslError) -> Result<Progress, Error> {
        self.phase = Phase::Command;
        match error {
            SaslError::Cancelled => self.bad_command(501, (5, 7, 0), "Authentication cancelled"),
            SaslError::InvalidBase64 { .. } => {
                self.bad_command(501, (5, 5, 2), "Error: invalid base64 data")
            }
            SaslError::TooLong { .. } => {
                self.bad_command(500, (5, 5, 6), "Error: authentication exchange too long")
            }
            _ => self.bad_command(535, (5, 7, 8), "Authentication credentials invalid"),
        }
    }

    /// A response line during the exchange.
    pub(super) fn auth_step(&mut self) -> Result<Progress, Error> {
        let line = match self.next_line() {
            None => {
                if self.eof {
                    self.closing = true;
                }
                return Ok(Progress::Wait);
            }
            Some(InPlace::Line { content, total }) => {
                let line = self.input.split_to(content).freeze();
                self.input.advance(total - content);
                if has_bare_cr(&line) {
                    self.phase = Phase::Command;
                    return self.bad_command(500, (5, 5, 2), "Error: bare CR or LF not allowed");
                }
                line
            }
            Some(InPlace::TooLong { .. }) => {
                self.phase = Phase::Command;
                return self.bad_command(500, (5, 5, 6), "Error: authentication exchange too long");
            }
            Some(InPlace::BareNewline { .. }) => {
                self.phase = Phase::Command;
                return self.bad_command(500, (5, 5, 2), "Error: bare CR or LF not allowed");
            }
        };
        let Phase::Auth { sasl, steps } = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Ok(Progress::Continue);
        };
        let mut sasl = *sasl;
        let step = sasl::wire::decode_response(&line, self.config.limits.auth_line)
            .and_then(|r| sasl.step(r.expose()));
        self.sasl_result(sasl, steps, step)
    }
}
