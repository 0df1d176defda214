//! What the client reports ([`ClientEvent`]) and the envelope of a message ([`Envelope`]).

use mail_sansio::sasl::SaslError;

use crate::error::InvalidValue;
use crate::reply::Reply;
use crate::types::{ForwardPath, MailParameters, Mailbox, RcptParameters, ReversePath};

/// Which step of a mail transaction failed (see [`ClientEvent::MessageFailed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// MAIL FROM was refused.
    Mail,
    /// Every RCPT TO was refused; the reply is the last refusal.
    Recipients,
    /// DATA was refused (no 354).
    Data,
    /// The body was refused: the reply after the final `.` or to a BDAT chunk.
    Body,
}

/// An event from [`Client::poll_event`](mail_sansio::Session::poll_event). Each says which call
/// the application makes next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Greeting, EHLO (or HELO) and, per the [`TlsMode`](crate::TlsMode), STARTTLS and the
    /// second EHLO are done. Next: [`Client::authenticate`](super::Client::authenticate),
    /// [`Client::send_mail`](super::Client::send_mail) or [`Client::quit`](super::Client::quit).
    /// [`Client::capabilities`](super::Client::capabilities) holds what the server offers.
    Ready,
    /// AUTH succeeded (235). Next: [`Client::send_mail`](super::Client::send_mail) or
    /// [`Client::quit`](super::Client::quit).
    Authenticated,
    /// AUTH failed: the server refused (`reply`), or the local SASL machine failed on a
    /// challenge (`error`; the client sent `*` and `reply` is the server's answer to it). Next:
    /// [`Client::authenticate`](super::Client::authenticate) with other credentials,
    /// [`Client::send_mail`](super::Client::send_mail) or [`Client::quit`](super::Client::quit).
    AuthFailed {
        /// The server's final reply to the exchange.
        reply: Reply,
        /// Why the client cancelled, if it did.
        error: Option<SaslError>,
    },
    /// The server answered one RCPT TO (accepted when the reply is 2yz). One per recipient,
    /// in envelope order, unless MAIL was refused (then only
    /// [`MessageFailed`](Self::MessageFailed) comes). Needs no call.
    Recipient {
        /// Position in [`Envelope::recipients`].
        index: usize,
        /// The recipient.
        to: ForwardPath,
        /// The server's reply.
        reply: Reply,
    },
    /// At least one recipient was accepted and the server waits for the body (354, or BDAT
    /// with CHUNKING). Next: [`Client::send_data`](super::Client::send_data) any number of
    /// times, then [`Client::finish_data`](super::Client::finish_data) (or, with BDAT,
    /// [`Client::abort_message`](super::Client::abort_message)).
    DataReady {
        /// How many recipients were accepted.
        accepted: usize,
    },
    /// The server took responsibility for the message; the reply text usually names the queue
    /// id. Next: [`Client::send_mail`](super::Client::send_mail) or
    /// [`Client::quit`](super::Client::quit).
    MessageSent {
        /// The final reply (250).
        reply: Reply,
    },
    /// The message was not accepted. The client has already closed the transaction (RSET where
    /// one was open). Next: [`Client::send_mail`](super::Client::send_mail) or
    /// [`Client::quit`](super::Client::quit).
    MessageFailed {
        /// Which step failed.
        stage: Stage,
        /// The server's refusal.
        reply: Reply,
    },
    /// The message was abandoned with [`Client::abort_message`](super::Client::abort_message)
    /// and the transaction reset. Next: [`Client::send_mail`](super::Client::send_mail) or
    /// [`Client::quit`](super::Client::quit).
    MessageAborted,
    /// LMTP (RFC 2033 §4.2): the server's reply after the body for one accepted recipient,
    /// in RCPT order. Needs no call; [`MessageSent`](Self::MessageSent) (at least one
    /// delivered) or [`MessageFailed`](Self::MessageFailed) follows the last one.
    Delivery {
        /// Position in [`Envelope::recipients`].
        index: usize,
        /// The recipient.
        to: ForwardPath,
        /// The server's reply for this recipient.
        reply: Reply,
    },
    /// The reply to a command sent with [`Client::send_command`](super::Client::send_command).
    /// Next: any call allowed when ready.
    Reply {
        /// The server's reply.
        reply: Reply,
    },
}

/// The envelope of one message: return path, recipients and what the body needs.
///
/// The client adds `SIZE=`, `BODY=8BITMIME`, `BODY=BINARYMIME` and `SMTPUTF8` itself, only when
/// the server offers them and the message needs them (RFC 1870, RFC 6152, RFC 3030, RFC 6531).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub(crate) from: ReversePath,
    pub(crate) recipients: Vec<(ForwardPath, RcptParameters)>,
    pub(crate) params: MailParameters,
    pub(crate) size: Option<u64>,
    pub(crate) eight_bit: bool,
    pub(crate) binary: bool,
}

impl Envelope {
    /// An envelope with a return path and no recipients yet.
    pub fn new(from: ReversePath) -> Self {
        Self {
            from,
            recipients: Vec::new(),
            params: MailParameters::default(),
            size: None,
            eight_bit: false,
            binary: false,
        }
    }

    /// Parses addresses: `from` empty is the null path `<>`; a recipient `postmaster` (any
    /// case) is the bare `<Postmaster>`. CR, LF and NUL are rejected.
    pub fn parse<'a>(
        from: &str,
        to: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidValue> {
        let from = if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::try_from(from)?)
        };
        let mut envelope = Self::new(from);
        for rcpt in to {
            let path = if rcpt.eq_ignore_ascii_case("postmaster") {
                ForwardPath::Postmaster
            } else {
                ForwardPath::Mailbox(Mailbox::try_from(rcpt)?)
            };
            envelope = envelope.to(path);
        }
        Ok(envelope)
    }

    /// Adds a recipient.
    #[must_use]
    pub fn to(self, to: ForwardPath) -> Self {
        self.to_with(to, RcptParameters::default())
    }

    /// Adds a recipient with RCPT parameters (DSN `NOTIFY=`, `ORCPT=`...).
    #[must_use]
    pub fn to_with(mut self, to: ForwardPath, params: RcptParameters) -> Self {
        self.recipients.push((to, params));
        self
    }

    /// MAIL parameters to send (DSN `RET=`/`ENVID=`, `REQUIRETLS`...). `SIZE`, `BODY` and
    /// `SMTPUTF8` are replaced by the client's own choice.
    #[must_use]
    pub fn with_parameters(mut self, params: MailParameters) -> Self {
        self.params = params;
        self
    }

    /// Declares the body size in octets (checked against the server's SIZE limit and sent as
    /// `SIZE=` when offered).
    #[must_use]
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Declares that the body holds octets above 127 (`BODY=8BITMIME`, RFC 6152).
    #[must_use]
    pub fn with_eight_bit(mut self, eight_bit: bool) -> Self {
        self.eight_bit = eight_bit;
        self
    }

    /// Declares binary content (`BODY=BINARYMIME`, RFC 3030 §3): the body goes out by BDAT
    /// exactly as given, without line-ending normalisation. The server must offer BINARYMIME
    /// and CHUNKING, otherwise [`Client::send_mail`](super::Client::send_mail) refuses the
    /// message before anything is sent: a binary body is never sent over DATA or altered.
    #[must_use]
    pub fn with_binary(mut self, binary: bool) -> Self {
        self.binary = binary;
        self
    }

    /// Declares size, 8-bit and binary content from the whole body, when it is at hand. The
    /// body is binary when it holds a NUL, a CR outside CRLF, or a line longer than 998
    /// octets (RFC 5321 §4.5.3.1.6, RFC 2045 §2.8). A bare LF is the line ending of a Unix
    /// text file: such a body is text, sent with CRLF line endings, and the declared size
    /// counts the CRs added. Call `with_binary(true)` afterwards to send it unchanged instead.
    #[must_use]
    pub fn for_body(self, body: &[u8]) -> Self {
        let eight_bit = !body.is_ascii();
        let binary = super::body::is_binary(body);
        let added_crs = if binary {
            0
        } else {
            body.iter().filter(|&&b| b == b'\n').count()
                - memchr::memmem::find_iter(body, b"\r\n").count()
        };
        self.with_size((body.len() + added_crs) as u64)
            .with_eight_bit(eight_bit)
            .with_binary(binary)
    }

    /// The declared message size (`SIZE=`), if any.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Whether the envelope declares binary content (`BODY=BINARYMIME`).
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The return path.
    pub fn from(&self) -> &ReversePath {
        &self.from
    }

    /// The recipients, in order.
    pub fn recipients(&self) -> impl ExactSizeIterator<Item = &ForwardPath> {
        self.recipients.iter().map(|(to, _)| to)
    }

    /// Whether any address is non-ASCII, so the transaction needs SMTPUTF8 (RFC 6531 §3.4).
    pub fn needs_smtputf8(&self) -> bool {
        let ascii = |m: Option<&Mailbox>| m.is_none_or(Mailbox::is_ascii);
        !ascii(self.from.mailbox()) || self.recipients.iter().any(|(to, _)| !ascii(to.mailbox()))
    }
}
