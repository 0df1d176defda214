//! What the application asks of the client: AUTH, a message (envelope, body pieces, end),
//! other commands and QUIT. Each call is refused with the session unchanged when it does not
//! fit the state.

use bytes::BytesMut;
use mail_sansio::sasl::{SaslClient, wire};

use super::body::{BodyWriter, text_line_len};
use super::{AuthRun, Client, ClientState, Envelope, Expect, Txn, bdat_bytes};
use crate::command::Command;
use crate::ehlo::{EhloReply, Extension};
use crate::error::SendError;
use crate::types::{Body, MechanismName};

impl Client {
    /// Starts AUTH with a SASL exchange (RFC 4954). The first message goes with the command when
    /// the mechanism allows it
    /// ([`ClientConfig::initial_response`](super::ClientConfig::initial_response); an empty one as
    /// `=`); `334` challenges are answered by the machine, and a local SASL error cancels with `*`.
    /// Ends with [`ClientEvent::Authenticated`](super::ClientEvent::Authenticated) or
    /// [`ClientEvent::AuthFailed`](super::ClientEvent::AuthFailed).
    ///
    /// Refused unless the session is [`ClientState::Ready`], TLS is active (or
    /// [`ClientConfig::dangerous_plaintext_auth`](super::ClientConfig::dangerous_plaintext_auth) is
    /// set) and the server offers the mechanism.
    pub fn authenticate(&mut self, mut sasl: SaslClient) -> Result<(), SendError> {
        self.check_ready("authenticate only when ready and outside a transaction")?;
        if self.authenticated {
            return Err(SendError::WrongState("already authenticated"));
        }
        if !self.tls && !self.config.dangerous_plaintext_auth {
            return Err(SendError::PlaintextCredentials);
        }
        let mechanism = MechanismName::from(sasl.mechanism());
        let offered = self
            .ehlo
            .as_ref()
            .is_some_and(|e| e.offers_mechanism(sasl.mechanism()));
        if !offered {
            return Err(SendError::NotOffered("this sasl mechanism"));
        }
        sasl = sasl.with_max_challenge(self.config.limits.sasl_challenge);
        let initial = if self.config.initial_response {
            sasl.initial_response()
        } else {
            None
        };
        self.out.extend_from_slice(b"AUTH ");
        self.out.extend_from_slice(mechanism.as_str().as_bytes());
        if let Some(ir) = initial {
            self.out.extend_from_slice(b" ");
            let encoded = wire::encode_initial_response(ir.expose());
            self.out.extend_from_slice(encoded.expose().as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
        self.auth = Some(AuthRun {
            sasl,
            steps: 0,
            cancelled: None,
        });
        self.state = ClientState::Auth;
        self.expect_reply(Expect::Auth);
        self.stale = true;
        Ok(())
    }

    /// Starts a message: MAIL FROM and every RCPT TO (pipelined with DATA when the server offers
    /// PIPELINING). Adds `SIZE=`, `BODY=8BITMIME` or `BODY=BINARYMIME`, and `SMTPUTF8` when the
    /// message needs them. One
    /// [`ClientEvent::Recipient`](super::ClientEvent::Recipient) per recipient follows, then
    /// [`ClientEvent::DataReady`](super::ClientEvent::DataReady) or
    /// [`ClientEvent::MessageFailed`](super::ClientEvent::MessageFailed).
    ///
    /// Refused (state unchanged) outside [`ClientState::Ready`], without recipients, when the
    /// message needs an extension the server does not offer, or when the declared size exceeds
    /// the server's SIZE limit.
    pub fn send_mail(&mut self, envelope: Envelope) -> Result<(), SendError> {
        self.check_ready("send_mail only when ready and outside a transaction")?;
        if envelope.recipients.is_empty() {
            return Err(SendError::NoRecipients);
        }
        let smtputf8 = envelope.needs_smtputf8();
        if smtputf8 && !self.offers(Extension::SmtpUtf8) {
            return Err(SendError::NotOffered("SMTPUTF8"));
        }
        if envelope.binary {
            // RFC 3030 §3: binary content only with BODY=BINARYMIME and BDAT, never over DATA.
            let offered = self.offers(Extension::BinaryMime) && self.offers(Extension::Chunking);
            if !offered {
                return Err(SendError::NotOffered("BINARYMIME with CHUNKING"));
            }
            if !self.config.chunking {
                return Err(SendError::WrongState(
                    "a binary body needs BDAT but ClientConfig::chunking is off",
                ));
            }
        } else if envelope.eight_bit && !self.offers(Extension::EightBitMime) {
            return Err(SendError::NotOffered("8BITMIME"));
        }
        let size_cap = self.ehlo.as_ref().and_then(EhloReply::size);
        if let (Some(size), Some(Some(limit))) = (envelope.size, size_cap)
            && size > limit
        {
            return Err(SendError::TooLarge { size, limit });
        }
        let mut params = envelope.params;
        let dsn = params.ret.is_some()
            || params.envid.is_some()
            || envelope
                .recipients
                .iter()
                .any(|(_, p)| p.notify.is_some() || p.orcpt.is_some());
        if dsn && !self.offers(Extension::Dsn) {
            return Err(SendError::NotOffered("DSN"));
        }
        if params.requiretls && !self.offers(Extension::RequireTls) {
            return Err(SendError::NotOffered("REQUIRETLS"));
        }
        params.size = envelope.size.filter(|_| size_cap.is_some());
        params.body = if envelope.binary {
            Some(Body::BinaryMime)
        } else {
            envelope.eight_bit.then_some(Body::EightBitMime)
        };
        params.smtputf8 = smtputf8;

        let pipelined = self.offers(Extension::Pipelining);
        // RFC 3030 §4.2: BDAT does not need PIPELINING; without it each chunk waits for the
        // reply to the one before.
        let chunking = self.config.chunking && self.offers(Extension::Chunking);
        let mut line = BytesMut::new();
        Command::Mail {
            from: envelope.from,
            params,
        }
        .encode(&mut line);
        self.out.extend_from_slice(&line);
        self.expect_reply(Expect::Mail);
        let txn = Txn {
            recipients: envelope.recipients,
            pipelined,
            chunking,
            open: false,
            accepted: 0,
            accepted_indices: Vec::new(),
            delivered: 0,
            answered: 0,
            last_refusal: None,
            failure: None,
            body: None,
            eight_bit: envelope.eight_bit,
            binary: envelope.binary,
            line_len: 0,
            sent: 0,
            reset_sent: false,
            aborted: false,
        };
        if pipelined {
            for index in 0..txn.recipients.len() {
                self.write_rcpt(&txn, index);
            }
            if !chunking {
                self.write_command(&Command::Data, Expect::Data);
            }
        }
        self.txn = Some(txn);
        self.state = ClientState::Envelope;
        self.stale = true;
        Ok(())
    }

    /// Sends the next piece of the body, after
    /// [`ClientEvent::DataReady`](super::ClientEvent::DataReady). Pieces may split anywhere; bare
    /// CR and LF become CRLF, and with DATA every line starting with `.` is stuffed. With BDAT each
    /// non-empty piece is one chunk. A binary message ([`Envelope::with_binary`]) goes out
    /// exactly as given.
    ///
    /// Refused (nothing sent) when no body is open, when the piece holds an octet above 127 in
    /// a message not declared 8-bit, a NUL or a line over 998 octets in a message not declared
    /// binary, or when the body would exceed the server's SIZE limit.
    pub fn send_data(&mut self, chunk: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        let limit = self.ehlo.as_ref().and_then(EhloReply::size).flatten();
        let Some(txn) = self.txn.as_mut().filter(|t| t.body.is_some()) else {
            return Err(SendError::WrongState(
                "no message body is open: wait for ClientEvent::DataReady",
            ));
        };
        let mut line_len = txn.line_len;
        if !txn.binary {
            if !txn.eight_bit && !chunk.is_ascii() {
                return Err(SendError::EightBitBody);
            }
            line_len = text_line_len(line_len, chunk).ok_or(SendError::BinaryBody)?;
        }
        let size = txn.sent.saturating_add(chunk.len() as u64);
        if let Some(limit) = limit
            && size > limit
        {
            return Err(SendError::TooLarge { size, limit });
        }
        txn.sent = size;
        txn.line_len = line_len;
        match txn.body.as_mut() {
            Some(BodyWriter::Data(stuffer)) => stuffer.encode(chunk, &mut self.out),
            Some(BodyWriter::Bdat(normaliser)) => {
                let mut piece = BytesMut::new();
                normaliser.encode(chunk, &mut piece);
                if !piece.is_empty() {
                    let bytes = bdat_bytes(&piece, false);
                    self.send_or_hold(bytes, vec![Expect::Bdat { last: false }], true);
                }
            }
            Some(BodyWriter::Binary) if !chunk.is_empty() => {
                let bytes = bdat_bytes(chunk, false);
                self.send_or_hold(bytes, vec![Expect::Bdat { last: false }], true);
            }
            Some(BodyWriter::Binary) | None => {}
        }
        self.stale = true;
        Ok(())
    }

    /// Ends the body (`.` after DATA, `BDAT n LAST` with CHUNKING). In LMTP mode one
    /// [`ClientEvent::Delivery`](super::ClientEvent::Delivery) per accepted recipient comes
    /// first. The final reply comes as
    /// [`ClientEvent::MessageSent`](super::ClientEvent::MessageSent) or
    /// [`ClientEvent::MessageFailed`](super::ClientEvent::MessageFailed).
    pub fn finish_data(&mut self) -> Result<(), SendError> {
        self.check_open()?;
        let Some(txn) = self.txn.as_mut().filter(|t| t.body.is_some()) else {
            return Err(SendError::WrongState(
                "no message body is open: wait for ClientEvent::DataReady",
            ));
        };
        let body = txn.body.take();
        // LMTP (RFC 2033 §4.2): one reply per accepted recipient, in RCPT order, instead of
        // the single reply after the body.
        let finals = |single: Expect| -> Vec<Expect> {
            if self.config.lmtp {
                txn.accepted_indices
                    .iter()
                    .map(|&i| Expect::Delivery(i))
                    .collect()
            } else {
                vec![single]
            }
        };
        let (end, expects) = match body {
            Some(BodyWriter::Data(mut stuffer)) => {
                let mut end = BytesMut::new();
                stuffer.finish(&mut end);
                (end, finals(Expect::DataEnd))
            }
            Some(BodyWriter::Bdat(mut normaliser)) => {
                let mut tail = BytesMut::new();
                normaliser.finish(&mut tail);
                (bdat_bytes(&tail, true), finals(Expect::Bdat { last: true }))
            }
            Some(BodyWriter::Binary) => {
                (bdat_bytes(b"", true), finals(Expect::Bdat { last: true }))
            }
            None => return Ok(()),
        };
        let chunk = txn.chunking;
        self.send_or_hold(end, expects, chunk);
        self.state = ClientState::Finishing;
        self.stale = true;
        Ok(())
    }

    /// Gives up on a BDAT body before [`Client::finish_data`]: RSET ends the transaction (RFC
    /// 3030 §4) and [`ClientEvent::MessageAborted`](super::ClientEvent::MessageAborted) follows
    /// its reply. A DATA body cannot be cut short (any ending would deliver a truncated
    /// message): that call is refused, and the application closes the connection instead.
    pub fn abort_message(&mut self) -> Result<(), SendError> {
        self.check_open()?;
        let Some(txn) = self.txn.as_mut().filter(|t| t.body.is_some()) else {
            return Err(SendError::WrongState(
                "no message body is open: wait for ClientEvent::DataReady",
            ));
        };
        if !txn.chunking {
            return Err(SendError::WrongState(
                "a DATA body cannot be aborted: close the connection",
            ));
        }
        txn.body = None;
        txn.aborted = true;
        txn.reset_sent = true;
        // Chunks not sent yet are dropped; RSET follows the outstanding reply.
        self.held.retain(|h| !h.chunk);
        let mut rset = BytesMut::new();
        Command::Rset.encode(&mut rset);
        self.send_or_hold(rset, vec![Expect::Rset], false);
        self.state = ClientState::Finishing;
        self.stale = true;
        Ok(())
    }

    /// Sends a command whose reply the machine only passes on: NOOP, RSET, VRFY, EXPN, HELP, ETRN
    /// (or an unknown verb). The reply comes as [`ClientEvent::Reply`](super::ClientEvent::Reply).
    /// The commands that change the session have their own methods and are refused here.
    pub fn send_command(&mut self, command: &Command) -> Result<(), SendError> {
        self.check_ready("send_command only when ready and outside a transaction")?;
        if !matches!(
            command,
            Command::Noop(_)
                | Command::Rset
                | Command::Vrfy(_)
                | Command::Expn(_)
                | Command::Help(_)
                | Command::Etrn(_)
                | Command::Unknown(_)
        ) {
            return Err(SendError::WrongState(
                "send_command takes NOOP, RSET, VRFY, EXPN, HELP, ETRN or an unknown verb",
            ));
        }
        if let Command::Unknown(line) = command
            && (line.is_empty() || line.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0))
        {
            return Err(SendError::Invalid(crate::error::InvalidValue::Syntax {
                what: "command",
                reason: "empty or containing cr, lf or nul",
            }));
        }
        self.write_command(command, Expect::Other);
        self.stale = true;
        Ok(())
    }

    /// Sends QUIT (RFC 5321 §4.1.1.10); the session closes on the reply or when the server
    /// closes. Refused unless [`ClientState::Ready`] (inside a transaction, wait for its last
    /// event; before Ready, simply close the connection).
    pub fn quit(&mut self) -> Result<(), SendError> {
        self.check_ready("quit only when ready and outside a transaction")?;
        self.write_command(&Command::Quit, Expect::Quit);
        self.state = ClientState::Quit;
        self.stale = true;
        Ok(())
    }
}
