//! Sans-IO SMTP (RFC 5321) and LMTP (RFC 2033): a codec for every command, reply and EHLO
//! capability, and a server state machine with STARTTLS, AUTH, PIPELINING, DATA and BDAT.
//!
//! # Overview
//!
//! The crate never touches a socket, a clock or a thread. Bytes and time go in; events and
//! bytes to send come out, so the same code runs under tokio, blocking `std`, a fuzzer or a
//! unit test.
//!
//! - Codec: [`Command`], [`Reply`], [`EhloReply`] and the validated values of [`types`]
//!   ([`types::Mailbox`], [`types::ReversePath`], [`types::ForwardPath`], typed
//!   [`types::MailParameters`] and [`types::RcptParameters`]). Each decodes with
//!   `decode(&[u8]) -> Result<Parsed<T>, ParseError>` and encodes with
//!   `encode(&self, &mut BytesMut)`. Values are checked when built, so CR, LF and NUL can
//!   never reach the wire inside an argument, and encoding cannot fail.
//! - [`Server`]: implements [`mail_sansio::Session`]. It answers by itself whatever the RFCs
//!   decide (syntax errors, bad sequence, limits, STARTTLS, SASL framing, dot-unstuffing) and
//!   raises a [`ServerEvent`] where the application must decide: accept this hello, sender,
//!   recipient, these credentials, this message. Each event's documentation names the call
//!   that answers it: [`Server::accept`], [`Server::send_reply`] or [`Server::send_replies`].
//!
//! # Run loop
//!
//! After every `handle_*` call or answer, drain [`poll_transmit`](mail_sansio::Session::poll_transmit)
//! and [`poll_event`](mail_sansio::Session::poll_event) until both are empty; answer events now
//! or later (an asynchronous policy lookup): replies always leave in command order, which is
//! what makes server-side PIPELINING (RFC 2920) correct. Call
//! [`handle_timeout`](mail_sansio::Session::handle_timeout) at
//! [`poll_timeout`](mail_sansio::Session::poll_timeout).
//!
//! ```
//! use std::time::Instant;
//!
//! use mail_sansio::Session;
//! use smtp_proto::types::Domain;
//! use smtp_proto::{EnhancedStatusCode, Reply, ReplyCode, Server, ServerConfig, ServerEvent};
//!
//! /// Feeds `input` and plays a permissive application.
//! fn drive(server: &mut Server, input: &[u8], sent: &mut Vec<u8>, body: &mut Vec<u8>) {
//!     server.handle_input(Instant::now(), input);
//!     loop {
//!         while let Some(bytes) = server.poll_transmit() {
//!             sent.extend_from_slice(&bytes);
//!         }
//!         match server.poll_event().expect("no fatal error") {
//!             Some(ServerEvent::BodyChunk(chunk)) => body.extend_from_slice(&chunk),
//!             Some(ServerEvent::MessageComplete { token, .. }) => {
//!                 let esc = EnhancedStatusCode::new(2, 0, 0).unwrap();
//!                 let queued = Reply::new(ReplyCode::OK, Some(esc), "queued as 4F2A").unwrap();
//!                 server.send_reply(token, queued).unwrap();
//!             }
//!             // Hello, Mail, Rcpt: accept each.
//!             Some(event) => {
//!                 if let Some(token) = event.token() {
//!                     server.accept(token).unwrap();
//!                 }
//!             }
//!             None => break,
//!         }
//!     }
//!     while let Some(bytes) = server.poll_transmit() {
//!         sent.extend_from_slice(&bytes);
//!     }
//! }
//!
//! let domain = Domain::try_from("mx.example.org")?;
//! let mut server = Server::new(ServerConfig::strict(domain), Instant::now());
//! let (mut sent, mut body) = (Vec::new(), Vec::new());
//! drive(&mut server, b"EHLO client.example.com\r\n", &mut sent, &mut body);
//! // The client pipelines its envelope (RFC 2920); DATA ends the group.
//! drive(&mut server, b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n", &mut sent, &mut body);
//! drive(&mut server, b"Subject: hi\r\n\r\n..a line with a dot\r\n.\r\nQUIT\r\n", &mut sent, &mut body);
//!
//! assert_eq!(body, b"Subject: hi\r\n\r\n.a line with a dot\r\n");
//! assert_eq!(
//!     String::from_utf8(sent).unwrap(),
//!     "220 mx.example.org ESMTP\r\n\
//!      250-mx.example.org\r\n\
//!      250-PIPELINING\r\n\
//!      250-SIZE 26214400\r\n\
//!      250-8BITMIME\r\n\
//!      250-SMTPUTF8\r\n\
//!      250-CHUNKING\r\n\
//!      250-BINARYMIME\r\n\
//!      250-DSN\r\n\
//!      250-ENHANCEDSTATUSCODES\r\n\
//!      250 STARTTLS\r\n\
//!      250 2.1.0 OK\r\n\
//!      250 2.1.5 OK\r\n\
//!      354 End data with <CR><LF>.<CR><LF>\r\n\
//!      250 2.0.0 queued as 4F2A\r\n\
//!      221 2.0.0 Bye\r\n"
//! );
//! assert!(server.is_closed());
//! # Ok::<(), smtp_proto::InvalidValue>(())
//! ```
//!
//! # STARTTLS
//!
//! The contract shared by the workspace (RFC 3207, CVE-2011-0411): nothing after the
//! `STARTTLS` line is parsed; bytes already received past it, or fed before
//! [`handle_tls_established`](mail_sansio::Session::handle_tls_established), are discarded and
//! the session fails with [`Error::TlsInjection`] naming how many bytes were injected;
//! [`wants_tls`](mail_sansio::Session::wants_tls) turns true only once the `220` has been handed
//! out (client: once its STARTTLS went out and the `220` was read), and `handle_tls_established`
//! before then changes nothing; the client's capabilities are gone from the `220` on; after the
//! handshake the session forgets EHLO, transaction and AUTH state, and the next
//! EHLO reply lists AUTH but not STARTTLS. [`TlsMode::Required`] answers everything but EHLO,
//! HELO, NOOP, STARTTLS and QUIT with `530 5.7.0`; AUTH without TLS is `538 5.7.11` and is not
//! advertised; [`ServerConfig::dangerous_plaintext_auth`] lifts that only when TLS is not required.
//!
//! # AUTH
//!
//! The mechanisms in [`Extensions::auth`] run on the shared SASL machines of
//! [`mail_sansio::sasl`]: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER and EXTERNAL end in
//! [`ServerEvent::Auth`]; CRAM-MD5 (RFC 2195) ends in [`ServerEvent::Auth`] with a proof the
//! application verifies; SCRAM-SHA-256 (RFC 5802, RFC 7677) asks for the user's stored keys
//! ([`ServerEvent::ScramCredentials`]) and ends in [`ServerEvent::SaslAuthenticated`]. The
//! machine makes up no randomness: CRAM-MD5's challenge and SCRAM's nonce come from the
//! application, per exchange, with [`ServerEvent::SaslConfig`] or [`Server::set_sasl_config`]
//! (the same call as on the POP3 server).
//!
//! # Limits
//!
//! Every limit of the server is in [`ServerLimits`] (the client's in [`ClientLimits`]), with
//! its RFC default: command line 512 octets (AUTH 12288), text line 1000, recipients 1000
//! (`452 4.5.3`), message size (`552 5.3.4`, sent after the end of the body, which is read to
//! its real terminator), 10 bad commands and 3 unknown verbs before authentication (`421`). An
//! over-long line gets `500 5.5.6` and the session goes on. Numbers that overflow (`SIZE=`,
//! `BDAT`) are errors, never wrapped; the machine never allocates because the peer announced
//! a size. Body and BDAT bytes are handed out as [`ServerEvent::BodyChunk`]s; the library
//! never holds a whole message.
//!
//! # Features
//!
//! Peer quirks are runtime switches on [`ServerConfig`], never cargo features
//! ([`ServerConfig::compatible`] accepts `MAIL FROM: <a@b>`, trailing spaces and normalises bare
//! newlines in bodies; [`ServerConfig::strict`], the default, rejects bare CR and LF, the SMTP
//! smuggling defence).
//!
//! - `tokio-codec` (off by default): the `codec` module, tokio-util `Decoder`/`Encoder`s that
//!   frame commands and replies line by line (`CommandCodec` for a server, `ReplyCodec` for a
//!   client) with the same limits as the state machines. They frame lines only: DATA bodies,
//!   BDAT chunks, STARTTLS and PIPELINING need [`Server`] or [`Client`].
//!
//! # Standards
//!
//! RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152
//! (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3030 (CHUNKING, BINARYMIME), RFC 3461 and RFC 6533
//! (DSN, xtext), RFC 2034 and RFC 3463 (enhanced status codes), RFC 4954 (AUTH), RFC 2195
//! (CRAM-MD5), RFC 5802 and RFC 7677 (SCRAM-SHA-256), RFC 8689
//! (REQUIRETLS), RFC 9422 (LIMITS), RFC 6710 (MT-PRIORITY), RFC 4865 (FUTURERELEASE),
//! RFC 2852 (DELIVERBY), RFC 7293 (RRVS), RFC 2033 (LMTP).
#![forbid(unsafe_code)]

pub mod client;
#[cfg(feature = "tokio-codec")]
pub mod codec;
pub mod command;
pub mod config;
pub mod ehlo;
pub mod error;
mod parse;
pub mod reply;
pub mod server;
pub mod state;
pub mod types;

pub use client::{Client, ClientConfig, ClientEvent, ClientLimits, ClientState, Envelope, Stage};
pub use command::{Command, CommandRef, ParseOptions};
pub use config::{Extensions, ServerConfig, ServerLimits, TlsMode};
pub use ehlo::{Capability, EhloReply, Extension};
pub use error::{Error, InvalidValue, ParseError, ParseErrorKind, SendError};
pub use mail_sansio::Parsed;
pub use reply::{EnhancedStatusCode, Reply, ReplyAssembler, ReplyCode, ReplyLimits};
pub use server::{AbortReason, HelloVerb, Server, ServerEvent, Token};

/// The server's configuration, under its old name.
#[deprecated(note = "renamed ServerConfig")]
pub type Config = ServerConfig;

/// The server's events, under their old name.
#[deprecated(note = "renamed ServerEvent")]
pub type Event = ServerEvent;

/// The server's limits, under their old name.
#[deprecated(note = "renamed ServerLimits")]
pub type Limits = ServerLimits;

/// The client's fatal errors, now shared with the server.
#[deprecated(note = "merged into Error")]
pub type ClientError = Error;

/// The client's refused calls, now shared with the server.
#[deprecated(note = "merged into SendError")]
pub type ClientSendError = SendError;
