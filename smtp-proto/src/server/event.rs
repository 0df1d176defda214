//! What the server reports to the application, and how it is answered.

use std::fmt;

use bytes::Bytes;
use mail_sansio::sasl::Credentials;

use crate::types::{
    Domain, ForwardPath, MailParameters, MechanismName, RcptParameters, ReversePath, Text,
};

/// Names one decision the application owes; passed back to [`Server::accept`](super::Server::accept)
/// or [`Server::send_reply`](super::Server::send_reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(pub(crate) u64);

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelloVerb {
    /// `HELO`: no extensions (RFC 5321 §4.1.1.1).
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP, RFC 2033).
    Lhlo,
}

/// Why the machine gave up on a message; the reply was (or will be) sent by the machine,
/// after the end of the body so the session stays in sync. Discard the chunks received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbortReason {
    /// Larger than [`ServerLimits::message_size`](crate::ServerLimits::message_size): 552 5.3.4.
    TooLarge,
    /// A text line longer than [`ServerLimits::text_line`](crate::ServerLimits::text_line):
    /// 500 5.5.6.
    LineTooLong,
    /// A bare CR or LF under the strict policy: 550 5.6.0 (SMTP smuggling defence).
    BareNewline,
}

/// An event from [`Server::poll_event`](mail_sansio::Session::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// HELO, EHLO or LHLO with a syntactically valid domain. Answer with
    /// [`Server::accept`](super::Server::accept) (the machine writes the EHLO reply with the
    /// configured extensions) or reject with [`Server::send_reply`](super::Server::send_reply).
    Hello {
        /// Answer with this token.
        token: Token,
        /// The verb used.
        verb: HelloVerb,
        /// The client's claimed domain.
        domain: Domain,
    },
    /// MAIL FROM, valid and allowed in this state. [`Server::accept`](super::Server::accept)
    /// gives `250 2.1.0`; any other reply from
    /// [`Server::send_reply`](super::Server::send_reply) (4yz/5yz) refuses the transaction.
    Mail {
        /// Answer with this token.
        token: Token,
        /// The return path.
        from: ReversePath,
        /// Its parameters (only extensions that were offered get here). `params.body` is the
        /// declared body type: with `BODY=BINARYMIME` (RFC 3030 §3) the body can only come by
        /// BDAT (DATA gets 503 5.5.1) and its chunks are the octets as sent.
        params: MailParameters,
    },
    /// RCPT TO. [`Server::accept`](super::Server::accept) gives `250 2.1.5`;
    /// [`Server::send_reply`](super::Server::send_reply) with 4yz/5yz refuses this recipient.
    /// Several may be outstanding at once (PIPELINING); replies still go out in order.
    Rcpt {
        /// Answer with this token.
        token: Token,
        /// The recipient.
        to: ForwardPath,
        /// Its parameters.
        params: RcptParameters,
    },
    /// Body bytes of the current message (DATA already unstuffed, or BDAT), in order. Needs no
    /// answer.
    BodyChunk(Bytes),
    /// The message ended. Answer with [`Server::accept`](super::Server::accept) (`250 2.0.0`),
    /// or [`Server::send_reply`](super::Server::send_reply) with the queue id or a refusal;
    /// in LMTP mode [`Server::send_replies`](super::Server::send_replies) gives one reply per
    /// accepted recipient, in RCPT order.
    MessageComplete {
        /// Answer with this token.
        token: Token,
        /// Body octets received (after unstuffing).
        size: u64,
        /// Accepted recipients (LMTP: how many replies are due).
        recipients: usize,
    },
    /// The machine refused the current message; it answers by itself. Needs no answer.
    MessageAborted(AbortReason),
    /// AUTH credentials to check (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, EXTERNAL; for CRAM-MD5
    /// look up the password and call [`CramMd5Proof::verify`](mail_sansio::sasl::CramMd5Proof::verify)).
    /// [`Server::accept`](super::Server::accept) gives `235 2.7.0`;
    /// [`Server::send_reply`](super::Server::send_reply) with e.g. `535 5.7.8` refuses.
    Auth {
        /// Answer with this token.
        token: Token,
        /// What the client presented.
        credentials: Credentials,
    },
    /// AUTH with a mechanism that needs a fresh challenge or nonce (CRAM-MD5, SCRAM-SHA-256),
    /// and none was given with [`Server::set_sasl_config`](super::Server::set_sasl_config).
    /// Answer with [`Server::provide_sasl_config`](super::Server::provide_sasl_config), with
    /// settings built from a cryptographic random source (the machine makes up no randomness),
    /// or refuse with [`Server::send_reply`](super::Server::send_reply) (e.g. `454 4.7.0`).
    SaslConfig {
        /// Answer with this token.
        token: Token,
        /// The mechanism the client asked for.
        mechanism: MechanismName,
    },
    /// SCRAM needs the user's stored keys. Answer with
    /// [`Server::provide_scram_credentials`](super::Server::provide_scram_credentials) (made-up
    /// ones for an unknown user, see
    /// [`ScramCredentials::derive`](mail_sansio::sasl::ScramCredentials::derive)), or refuse
    /// with [`Server::send_reply`](super::Server::send_reply) (e.g. `454 4.7.0`).
    ScramCredentials {
        /// Answer with this token.
        token: Token,
        /// The identity whose keys are needed.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// SCRAM succeeded: the client proved it knows the password (and the server's signature
    /// went out). Decide whether `authcid` may act as `authzid`:
    /// [`Server::accept`](super::Server::accept) gives `235 2.7.0`,
    /// [`Server::send_reply`](super::Server::send_reply) with e.g. `535 5.7.8` refuses.
    SaslAuthenticated {
        /// Answer with this token.
        token: Token,
        /// The authenticated identity.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// VRFY when enabled. Answer with [`Server::send_reply`](super::Server::send_reply)
    /// (`250`, `251`, `252`, `550`, `553`); [`Server::accept`](super::Server::accept) gives
    /// `252 2.5.0`.
    Vrfy {
        /// Answer with this token.
        token: Token,
        /// The argument as sent.
        argument: Text,
    },
    /// EXPN when enabled; answered like [`ServerEvent::Vrfy`].
    Expn {
        /// Answer with this token.
        token: Token,
        /// The argument as sent.
        argument: Text,
    },
}

impl ServerEvent {
    /// The token that answers this event, or `None` for the two events that need no answer
    /// ([`BodyChunk`](Self::BodyChunk) and [`MessageAborted`](Self::MessageAborted)). Saves a
    /// match over every variant where the application answers several alike. (The tokens of
    /// [`SaslConfig`](Self::SaslConfig) and [`ScramCredentials`](Self::ScramCredentials) are
    /// answered with their `provide_*` call or a refusal, not with
    /// [`Server::accept`](super::Server::accept).)
    ///
    /// ```
    /// # use smtp_proto::{SendError, Server, ServerEvent};
    /// fn accept_all(server: &mut Server, event: &ServerEvent) -> Result<(), SendError> {
    ///     match event.token() {
    ///         Some(token) => server.accept(token),
    ///         None => Ok(()),
    ///     }
    /// }
    /// ```
    pub fn token(&self) -> Option<Token> {
        match self {
            Self::Hello { token, .. }
            | Self::Mail { token, .. }
            | Self::Rcpt { token, .. }
            | Self::MessageComplete { token, .. }
            | Self::Auth { token, .. }
            | Self::SaslConfig { token, .. }
            | Self::ScramCredentials { token, .. }
            | Self::SaslAuthenticated { token, .. }
            | Self::Vrfy { token, .. }
            | Self::Expn { token, .. } => Some(*token),
            Self::BodyChunk(_) | Self::MessageAborted(_) => None,
        }
    }
}
