//! What the client does with each reply: the session steps (greeting, EHLO/HELO, STARTTLS,
//! AUTH) and the transaction steps (MAIL, RCPT, DATA, BDAT, RSET, QUIT).

use mail_sansio::sasl::{SaslError, wire};

use super::{Client, ClientEvent, ClientState, Expect, Stage};
use crate::command::Command;
use crate::config::TlsMode;
use crate::ehlo::{EhloReply, Extension};
use crate::error::Error;
use crate::reply::Reply;

impl Client {
    /// Handles one reply against the oldest outstanding command.
    pub(super) fn on_reply(&mut self, reply: Reply) -> Result<(), Error> {
        let code = reply.code().get();
        let Some(expect) = self.expect.pop_front() else {
            return Err(if code == 421 {
                closing(&reply)
            } else {
                Error::UnexpectedReply {
                    code,
                    state: "idle",
                }
            });
        };
        if code == 421 && expect != Expect::Quit {
            // RFC 5321 §3.8: the server is shutting the channel, whatever the command was.
            return Err(closing(&reply));
        }
        match expect {
            Expect::Greeting => self.on_greeting(reply),
            Expect::Ehlo => self.on_ehlo(reply),
            Expect::Helo => self.on_helo(reply),
            Expect::StartTls => self.on_starttls(&reply),
            Expect::Auth => self.on_auth(reply),
            Expect::Quit => {
                self.closing = true;
                Ok(())
            }
            Expect::Other => {
                self.ready(ClientEvent::Reply { reply });
                Ok(())
            }
            Expect::Mail
            | Expect::Rcpt(_)
            | Expect::Data
            | Expect::DataEnd
            | Expect::Bdat { .. }
            | Expect::Delivery(_)
            | Expect::Rset => {
                self.on_txn_reply(expect, reply);
                Ok(())
            }
        }
    }

    fn on_greeting(&mut self, reply: Reply) -> Result<(), Error> {
        if reply.code().get() != 220 {
            return Err(rejected(&reply, "greeting"));
        }
        self.greeting = Some(reply);
        self.send_hello(true);
        Ok(())
    }

    /// Sends EHLO (or HELO after EHLO was refused).
    pub(super) fn send_hello(&mut self, extended: bool) {
        let domain = self.config.helo_name.clone();
        if self.config.lmtp {
            self.write_command(&Command::Lhlo(domain), Expect::Ehlo);
        } else if extended {
            self.write_command(&Command::Ehlo(domain), Expect::Ehlo);
        } else {
            self.write_command(&Command::Helo(domain), Expect::Helo);
        }
        self.state = ClientState::Hello;
    }

    fn on_ehlo(&mut self, reply: Reply) -> Result<(), Error> {
        match reply.code().get() {
            250 => {
                self.ehlo = Some(EhloReply::from_reply(&reply).map_err(Error::BadReply)?);
                self.after_hello()
            }
            // RFC 5321 §4.1.4: an old server that does not know EHLO; HELO gets no extensions,
            // so no STARTTLS either.
            500 | 502 if self.config.tls != TlsMode::Required && !self.config.lmtp => {
                self.send_hello(false);
                Ok(())
            }
            500 | 502 => Err(Error::TlsUnavailable { code: None }),
            _ => Err(rejected(&reply, "ehlo")),
        }
    }

    fn on_helo(&mut self, reply: Reply) -> Result<(), Error> {
        if reply.code().get() != 250 {
            return Err(rejected(&reply, "helo"));
        }
        self.ehlo = None;
        self.after_hello()
    }

    /// STARTTLS per the TLS mode, or ready.
    fn after_hello(&mut self) -> Result<(), Error> {
        let offered = self.offers(Extension::StartTls);
        let start = match self.config.tls {
            _ if self.tls => false,
            TlsMode::Required if !offered => return Err(Error::TlsUnavailable { code: None }),
            TlsMode::Required => true,
            TlsMode::Opportunistic => offered && !self.starttls_refused,
            _ => false,
        };
        if start {
            self.write_command(&Command::StartTls, Expect::StartTls);
            self.state = ClientState::StartTls;
        } else {
            self.ready(ClientEvent::Ready);
        }
        Ok(())
    }

    fn ready(&mut self, event: ClientEvent) {
        self.state = ClientState::Ready;
        self.events.push_back(event);
    }

    fn on_starttls(&mut self, reply: &Reply) -> Result<(), Error> {
        let code = reply.code().get();
        if code == 220 {
            // Nothing after this reply is parsed; poll_event fails on any byte left over.
            // The plaintext capabilities are forgotten now, not at the handshake.
            self.state = ClientState::TlsHandshake;
            self.ehlo = None;
            return Ok(());
        }
        if self.config.tls == TlsMode::Required {
            return Err(Error::TlsUnavailable { code: Some(code) });
        }
        // Opportunistic: carry on in plaintext (RFC 3207 §4.1 allows it for a relay).
        self.starttls_refused = true;
        self.ready(ClientEvent::Ready);
        Ok(())
    }

    fn on_auth(&mut self, reply: Reply) -> Result<(), Error> {
        let code = reply.code().get();
        let Some(mut run) = self.auth.take() else {
            return Err(Error::UnexpectedReply {
                code,
                state: "auth",
            });
        };
        match code {
            334 if run.cancelled.is_none() => {
                run.steps += 1;
                let text = reply.lines().next().unwrap_or_default();
                let max_encoded = self.config.limits.sasl_challenge.saturating_mul(4) / 3 + 4;
                let answer = if run.steps > self.config.limits.sasl_steps {
                    Err(SaslError::OutOfSequence("challenge beyond the step limit"))
                } else {
                    wire::decode_challenge(text, max_encoded)
                        .and_then(|challenge| run.sasl.step(&challenge))
                };
                match answer {
                    Ok(response) => {
                        let line = wire::encode_response(response.expose());
                        self.out.extend_from_slice(line.expose().as_bytes());
                    }
                    Err(error) => {
                        // RFC 4954 §4: `*` cancels; the server answers 501.
                        self.out.extend_from_slice(b"*");
                        run.cancelled = Some(error);
                    }
                }
                self.out.extend_from_slice(b"\r\n");
                self.auth = Some(run);
                self.expect_reply(Expect::Auth);
                Ok(())
            }
            334 => Err(Error::UnexpectedReply {
                code,
                state: "auth after cancel",
            }),
            235 => {
                if let Some(error) = run.cancelled {
                    return Err(Error::Sasl(error));
                }
                run.sasl.finish(None).map_err(Error::Sasl)?;
                self.authenticated = true;
                self.ready(ClientEvent::Authenticated);
                Ok(())
            }
            _ => {
                self.ready(ClientEvent::AuthFailed {
                    reply,
                    error: run.cancelled,
                });
                Ok(())
            }
        }
    }

    /// MAIL, RCPT, DATA, end of data, BDAT and RSET replies.
    fn on_txn_reply(&mut self, expect: Expect, reply: Reply) {
        let Some(mut txn) = self.txn.take() else {
            return;
        };
        let positive = reply.code().is_positive();
        match expect {
            Expect::Mail if positive => {
                txn.open = true;
                if !txn.pipelined {
                    self.write_rcpt(&txn, 0);
                }
            }
            Expect::Mail => {
                txn.failure.get_or_insert((Stage::Mail, reply));
            }
            Expect::Rcpt(index) => {
                txn.answered += 1;
                if txn.open {
                    if positive {
                        txn.accepted += 1;
                        txn.accepted_indices.push(index);
                    } else {
                        txn.last_refusal = Some(reply.clone());
                    }
                    if let Some((to, _)) = txn.recipients.get(index) {
                        self.events.push_back(ClientEvent::Recipient {
                            index,
                            to: to.clone(),
                            reply,
                        });
                    }
                }
                let all = txn.answered == txn.recipients.len();
                if txn.open && !txn.pipelined && !all {
                    self.write_rcpt(&txn, index + 1);
                } else if txn.open && all {
                    if txn.accepted == 0 {
                        if let Some(refusal) = txn.last_refusal.take() {
                            txn.failure.get_or_insert((Stage::Recipients, refusal));
                        }
                    } else if txn.chunking {
                        self.open_body(&mut txn);
                    } else if !txn.pipelined {
                        self.write_command(&Command::Data, Expect::Data);
                    }
                }
            }
            Expect::Data if reply.code().get() == 354 => {
                if txn.failure.is_some() || txn.accepted == 0 {
                    // RFC 2920 §3.1: DATA was pipelined and accepted although no recipient
                    // was; send an empty body so the server leaves the data state.
                    self.out.extend_from_slice(b".\r\n");
                    self.expect_reply(Expect::DataEnd);
                } else {
                    self.open_body(&mut txn);
                }
            }
            Expect::Data => {
                txn.failure.get_or_insert((Stage::Data, reply));
            }
            Expect::DataEnd => {
                // The transaction ends with the end of data, whatever the reply.
                txn.open = false;
                if txn.failure.is_none() {
                    self.ready(if positive {
                        ClientEvent::MessageSent { reply }
                    } else {
                        ClientEvent::MessageFailed {
                            stage: Stage::Body,
                            reply,
                        }
                    });
                    return;
                }
            }
            Expect::Bdat { last } => {
                if !positive {
                    txn.body = None;
                    // RFC 3030 §4.2: the rest of the message is not sent.
                    self.held.retain(|h| !h.chunk);
                    txn.failure.get_or_insert((Stage::Body, reply));
                } else if last && txn.failure.is_none() {
                    self.ready(ClientEvent::MessageSent { reply });
                    return;
                }
            }
            Expect::Delivery(index) => {
                txn.open = false;
                if positive {
                    txn.delivered += 1;
                }
                if let Some((to, _)) = txn.recipients.get(index) {
                    self.events.push_back(ClientEvent::Delivery {
                        index,
                        to: to.clone(),
                        reply: reply.clone(),
                    });
                }
                let more = matches!(self.expect.front(), Some(Expect::Delivery(_)));
                if !more && txn.failure.is_none() {
                    self.ready(if txn.delivered > 0 {
                        ClientEvent::MessageSent { reply }
                    } else {
                        ClientEvent::MessageFailed {
                            stage: Stage::Body,
                            reply,
                        }
                    });
                    return;
                }
            }
            Expect::Rset => txn.open = false,
            _ => {}
        }
        self.release_held();
        self.settle(txn);
    }

    fn open_body(&mut self, txn: &mut super::Txn) {
        txn.body = Some(txn.body_writer());
        self.state = ClientState::Body;
        self.events.push_back(ClientEvent::DataReady {
            accepted: txn.accepted,
        });
    }

    /// After a failure, once every outstanding reply is in: RSET if the server's transaction
    /// is still open, then report the failure.
    fn settle(&mut self, mut txn: super::Txn) {
        if txn.aborted && txn.failure.is_none() {
            if self.expect.is_empty() {
                self.ready(ClientEvent::MessageAborted);
            } else {
                self.txn = Some(txn);
            }
            return;
        }
        let Some((stage, reply)) = txn.failure.clone() else {
            self.txn = Some(txn);
            return;
        };
        if !self.expect.is_empty() {
            self.txn = Some(txn);
            return;
        }
        if txn.open && !txn.reset_sent {
            txn.reset_sent = true;
            txn.body = None;
            self.write_command(&Command::Rset, Expect::Rset);
            self.state = ClientState::Finishing;
            self.txn = Some(txn);
            return;
        }
        self.ready(ClientEvent::MessageFailed { stage, reply });
    }
}

fn closing(reply: &Reply) -> Error {
    Error::ServiceClosing {
        code: reply.code().get(),
        text: reply.text_lossy(),
    }
}

fn rejected(reply: &Reply, state: &'static str) -> Error {
    Error::Rejected {
        code: reply.code().get(),
        state,
        text: reply.text_lossy(),
    }
}
