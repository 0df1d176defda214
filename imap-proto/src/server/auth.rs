//! AUTHENTICATE (RFC 9051 §6.2.2, SASL-IR RFC 4959) through the shared SASL machines: the
//! command, the `+` exchange, `*` cancellation, and the decisions the application owes in the
//! middle of it (a fresh CRAM-MD5 challenge or SCRAM nonce, the stored SCRAM keys).

use mail_sansio::Secret;
use mail_sansio::sasl::{
    self, Mechanism, MechanismName, SaslError, SaslServer, SaslServerConfig, ServerStep,
};

use super::dispatch::Step;
use super::{Kind, Phase, Server, ServerEvent, Token, Updates};
use crate::error::SendError;
use crate::frame::Frame;
use crate::response::{Code, Condition, Continuation, Response, Text};
use crate::types::{Atom, Tag};

/// An exchange waiting for the client's response to a challenge.
#[derive(Debug)]
pub(super) struct AuthRun {
    sasl: SaslServer,
    steps: u32,
    token: u64,
}

/// A decision the application owes in the middle of an exchange.
#[derive(Debug)]
pub(super) enum AuthWait {
    /// CRAM-MD5 or SCRAM needs a fresh challenge or nonce ([`ServerEvent::SaslConfig`]).
    Config {
        mechanism: Mechanism,
        initial: Option<Secret<Vec<u8>>>,
    },
    /// SCRAM needs the user's stored keys ([`ServerEvent::ScramCredentials`]).
    Scram { sasl: SaslServer, steps: u32 },
}

/// Whether the machine runs this mechanism only with a per-exchange challenge or nonce from
/// the application (it never makes up randomness).
const fn needs_config(mechanism: Mechanism) -> bool {
    matches!(
        mechanism,
        Mechanism::CramMd5 | Mechanism::ScramSha256 | Mechanism::ScramSha256Plus
    )
}

impl Server {
    /// Answers [`ServerEvent::SaslConfig`] with the settings for this exchange (see
    /// [`Server::set_sasl_config`]); the machine then sends the first challenge.
    pub fn provide_sasl_config(
        &mut self,
        token: Token,
        config: SaslServerConfig,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        if self.slots.get(index).map(|s| &s.kind) != Some(&Kind::SaslConfig) {
            return Err(SendError::WrongState(
                "provide_sasl_config answers ServerEvent::SaslConfig",
            ));
        }
        let Phase::AuthWait(wait) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(SendError::UnknownToken(token.0));
        };
        let AuthWait::Config {
            mechanism, initial, ..
        } = *wait
        else {
            return Err(SendError::UnknownToken(token.0));
        };
        if let Some(slot) = self.slots.get_mut(index) {
            slot.kind = Kind::Login;
        }
        let progress = self.start_sasl(token.0, mechanism, config, initial);
        self.after_answer(progress);
        Ok(())
    }

    /// Answers [`ServerEvent::ScramCredentials`] with the user's stored SCRAM keys (made-up
    /// ones for an unknown user, so that the proof fails like a wrong password).
    pub fn provide_scram_credentials(
        &mut self,
        token: Token,
        credentials: sasl::ScramCredentials,
    ) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        if self.slots.get(index).map(|s| &s.kind) != Some(&Kind::ScramCredentials) {
            return Err(SendError::WrongState(
                "provide_scram_credentials answers ServerEvent::ScramCredentials",
            ));
        }
        let Phase::AuthWait(wait) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Err(SendError::UnknownToken(token.0));
        };
        let AuthWait::Scram {
            mut sasl, steps, ..
        } = *wait
        else {
            return Err(SendError::UnknownToken(token.0));
        };
        if let Some(slot) = self.slots.get_mut(index) {
            slot.kind = Kind::Login;
        }
        let step = sasl.provide_scram_credentials(credentials);
        let progress = self.sasl_result(token.0, sasl, steps, step);
        self.after_answer(progress);
        Ok(())
    }

    /// Refuses the bearer token of an XOAUTH2 or OAUTHBEARER [`ServerEvent::Login`]
    /// ([`Credentials::Token`](sasl::Credentials::Token)) with an error challenge: `error`
    /// is the JSON of RFC 7628 §3.2.2 (`{"status":"invalid_token","scope":"mail"}`), sent
    /// base64-encoded as a `+` continuation. The client must answer it, with an empty line
    /// for XOAUTH2 or `AQ==` (%x01) for OAUTHBEARER; the machine then ends the command with
    /// `NO [AUTHENTICATIONFAILED]` and counts a failed login (anything else is `NO` too).
    /// [`Server::complete`] with `NO` still refuses without the challenge.
    pub fn reject_token(&mut self, token: Token, error: &[u8]) -> Result<(), SendError> {
        let index = self.slot_index(token)?;
        let run = match self.token_check.take() {
            Some(run)
                if run.token == token.0
                    && self.slots.get(index).map(|s| &s.kind) == Some(&Kind::Login) =>
            {
                run
            }
            other => {
                self.token_check = other;
                return Err(SendError::WrongState(
                    "reject_token answers an XOAUTH2 or OAUTHBEARER ServerEvent::Login",
                ));
            }
        };
        let AuthRun {
            mut sasl,
            steps,
            token: run_token,
        } = *run;
        let Ok(challenge) = sasl.reject_token(error) else {
            return Err(SendError::WrongState(
                "the token exchange cannot be refused now",
            ));
        };
        let text = sasl::wire::encode_challenge(&challenge);
        let text = Text::try_from(text.as_str()).unwrap_or_default();
        self.write_now(&Response::Continuation(Continuation { code: None, text }));
        self.phase = Phase::Auth(Box::new(AuthRun {
            sasl,
            steps: steps + 1,
            token: run_token,
        }));
        Ok(())
    }

    /// Keeps the event an application call led to for the next `poll_event`; a fatal error
    /// is already recorded by [`Server::fail`].
    fn after_answer(&mut self, progress: Step) {
        if let Ok(Some(event)) = progress {
            self.queued.push_back(event);
        }
    }

    /// ```text
    /// authenticate = "AUTHENTICATE" SP auth-type [SP initial-resp] *(CRLF base64)
    /// initial-resp = (base64 / "=")                          ; RFC 9051 §9, RFC 4959
    /// ```
    pub(super) fn authenticate(
        &mut self,
        tag: Tag,
        mechanism: &Atom,
        initial: Option<Secret<Vec<u8>>>,
    ) -> Step {
        let name = MechanismName::parse(mechanism.as_bytes());
        let known = name
            .as_ref()
            .filter(|n| self.config.sasl.contains(n))
            .and_then(MechanismName::known);
        let Some(known) = known else {
            self.reply(
                Some(tag),
                Condition::No,
                None,
                "Unsupported authentication mechanism",
                Updates::None,
            );
            self.count_auth_failure()?;
            return Ok(None);
        };
        if initial.is_some() && !self.config.extensions.sasl_ir {
            return self.bad_command(Some(tag), Condition::Bad, None, "SASL-IR is not offered");
        }
        let token = self.open_slot(tag, Kind::Login, true, Updates::None, "AUTHENTICATE");
        // Settings given in advance belong to this exchange, whatever its mechanism.
        match self.sasl_config.take() {
            Some(config) => self.start_sasl(token.0, known, *config, initial),
            None if needs_config(known) => {
                self.phase = Phase::AuthWait(Box::new(AuthWait::Config {
                    mechanism: known,
                    initial,
                }));
                if let Some(slot) = self.slots.back_mut() {
                    slot.kind = Kind::SaslConfig;
                }
                Ok(Some(ServerEvent::SaslConfig {
                    token,
                    mechanism: MechanismName::from(known),
                }))
            }
            None => self.start_sasl(token.0, known, SaslServerConfig::new(), initial),
        }
    }

    /// Starts the SASL machine and feeds it the initial response, if any.
    fn start_sasl(
        &mut self,
        token: u64,
        mechanism: Mechanism,
        config: SaslServerConfig,
        initial: Option<Secret<Vec<u8>>>,
    ) -> Step {
        // RFC 5802 §6: a client that says it could have used -PLUS was downgraded.
        let plus = self
            .config
            .sasl
            .contains(&MechanismName::from(Mechanism::ScramSha256Plus));
        let Ok(mut sasl) = SaslServer::new(mechanism, config.with_plus_offered(plus)) else {
            self.finish_slot(
                token,
                Condition::No,
                Some(Code::Unavailable),
                "Authentication unavailable",
            );
            return Ok(None);
        };
        let step = match initial {
            Some(ir) => sasl.step(ir.expose()),
            None => sasl.start(),
        };
        self.sasl_result(token, sasl, 0, step)
    }

    /// Acts on one SASL step: a `+` challenge, an event for the application, or the
    /// machine's refusal.
    fn sasl_result(
        &mut self,
        token: u64,
        sasl: SaslServer,
        steps: u32,
        result: Result<ServerStep, SaslError>,
    ) -> Step {
        self.phase = Phase::Command;
        match result {
            Ok(
                ServerStep::Challenge(challenge)
                | ServerStep::Success {
                    server_final: Some(challenge),
                    ..
                },
            ) => {
                // RFC 9051 §6.2.2: SCRAM's server-final goes out as one more challenge,
                // answered by an empty line.
                if steps >= self.config.sasl_steps {
                    return self.auth_failed(
                        token,
                        Condition::No,
                        Some(Code::AuthenticationFailed),
                        "Too many authentication steps",
                    );
                }
                let text = sasl::wire::encode_challenge(&challenge);
                let text = Text::try_from(text.as_str()).unwrap_or_default();
                self.write_now(&Response::Continuation(Continuation { code: None, text }));
                self.phase = Phase::Auth(Box::new(AuthRun {
                    sasl,
                    steps: steps + 1,
                    token,
                }));
                Ok(None)
            }
            Ok(ServerStep::Verify(credentials)) => {
                if matches!(credentials, sasl::Credentials::Token { .. }) {
                    // Kept for an error challenge (Server::reject_token).
                    self.token_check = Some(Box::new(AuthRun { sasl, steps, token }));
                }
                Ok(Some(ServerEvent::Login {
                    token: Token(token),
                    credentials,
                }))
            }
            Ok(ServerStep::NeedScramCredentials { authcid, authzid }) => {
                self.phase = Phase::AuthWait(Box::new(AuthWait::Scram { sasl, steps }));
                if let Some(slot) = self.slots.iter_mut().find(|s| s.token == token) {
                    slot.kind = Kind::ScramCredentials;
                }
                Ok(Some(ServerEvent::ScramCredentials {
                    token: Token(token),
                    authcid,
                    authzid,
                }))
            }
            Ok(ServerStep::Success {
                authcid,
                authzid,
                server_final: None,
            }) => Ok(Some(ServerEvent::SaslAuthenticated {
                token: Token(token),
                authcid,
                authzid,
            })),
            Ok(_) => {
                self.finish_slot(
                    token,
                    Condition::No,
                    Some(Code::Unavailable),
                    "Authentication unavailable",
                );
                Ok(None)
            }
            Err(error) => self.sasl_failure(token, &error),
        }
    }

    /// Ends an exchange the machine refused, and counts a failed login.
    fn auth_failed(
        &mut self,
        token: u64,
        condition: Condition,
        code: Option<Code>,
        text: &str,
    ) -> Step {
        self.finish_slot(token, condition, code, text);
        self.count_auth_failure()?;
        Ok(None)
    }

    /// The machine's answer to a failed exchange: `*` is `BAD` (RFC 9051 §6.2.2), bad
    /// base64 too, anything else `NO [AUTHENTICATIONFAILED]`.
    fn sasl_failure(&mut self, token: u64, error: &SaslError) -> Step {
        match error {
            SaslError::Cancelled => {
                self.auth_failed(token, Condition::Bad, None, "Authentication cancelled")
            }
            SaslError::InvalidBase64 { .. } | SaslError::TooLong { .. } => {
                self.auth_failed(token, Condition::Bad, None, "Invalid base64 response")
            }
            _ => self.auth_failed(
                token,
                Condition::No,
                Some(Code::AuthenticationFailed),
                "Authentication failed",
            ),
        }
    }

    /// A client line during the exchange: base64, an empty line, or `*`.
    pub(super) fn auth_frame(&mut self, frame: Frame) -> Step {
        let Phase::Auth(run) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return Ok(None);
        };
        let AuthRun {
            mut sasl,
            steps,
            token,
        } = *run;
        let line = match frame {
            Frame::Unit(unit) => unit.into_bytes(),
            Frame::LiteralAnnounced { .. } => {
                self.framer.refuse_literal();
                return self.auth_failed(token, Condition::Bad, None, "Invalid base64 response");
            }
            _ => {
                return self.auth_failed(token, Condition::Bad, None, "Invalid base64 response");
            }
        };
        let line = line.strip_suffix(b"\r\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let step = sasl::wire::decode_response(line, self.config.limits.line_before_auth)
            .and_then(|response| sasl.step(response.expose()));
        self.sasl_result(token, sasl, steps, step)
    }
}
