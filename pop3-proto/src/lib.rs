//! Sans-IO POP3: a codec and client/server state machines for RFC 1939, with CAPA (RFC 2449),
//! STLS (RFC 2595), SASL (RFC 5034) and UTF8 (RFC 6856).
//!
//! # Overview
//!
//! - The codec: [`Command`] and [`AuthResponse`] (client lines), [`Response`] (`+OK`/`-ERR`
//!   status lines with RFC 2449 [`ResponseCode`]s, hierarchy kept for unknown codes, and SASL
//!   challenges), [`Capability`], [`ScanListing`], [`UniqueIdListing`], [`Stat`]. Every type
//!   has `decode`/`parse` and `encode`; values are validated when built ([`types`]), so CR, LF
//!   and NUL can never reach the wire inside an argument.
//! - [`Server`]: AUTHORIZATION → TRANSACTION → UPDATE (see [`state`]). It answers what the
//!   RFCs decide (syntax, states, CAPA, STAT/LIST/UIDL from the [`Maildrop`], DELE marks, STLS,
//!   SASL framing) and asks the application through [`ServerEvent`]s for credentials, message
//!   bytes (streamed, dot-stuffed by the machine) and the commit at QUIT.
//! - [`Client`]: reads the greeting, sends CAPA, STLS per [`TlsMode`] and CAPA again, then
//!   reports [`ClientEvent::Ready`]. It knows which answers are multi-line, streams RETR/TOP
//!   bodies as unstuffed [`ClientEvent::Data`] chunks, and reports at QUIT what the server
//!   committed.
//!
//! Sizes and counts are `u64` (overflow is an error), message numbers `u32` from 1.
//!
//! # Run loop
//!
//! Both machines implement [`mail_sansio::Session`]. After any `handle_*` or answering call,
//! drain [`poll_transmit`](mail_sansio::Session::poll_transmit) to the socket and
//! [`poll_event`](mail_sansio::Session::poll_event) until `Ok(None)`, answering each event
//! (then drain again: parsing can produce bytes without an event); run the TLS handshake when
//! [`wants_tls`](mail_sansio::Session::wants_tls) says so and call
//! [`handle_tls_established`](mail_sansio::Session::handle_tls_established); close when
//! [`is_closed`](mail_sansio::Session::is_closed); otherwise wait for input (while
//! [`wants_input`](mail_sansio::Session::wants_input)) or the
//! [`poll_timeout`](mail_sansio::Session::poll_timeout) deadline. An `Err` from `poll_event`
//! is fatal; any goodbye line still comes out of `poll_transmit`.
//!
//! A server session, from USER to the commit at QUIT:
//!
//! ```
//! use std::time::Instant;
//! use mail_sansio::Session;
//! use pop3_proto::{Maildrop, Server, ServerConfig, ServerEvent, TlsMode, Uid, wire_size};
//!
//! let message = b"Subject: hi\r\n\r\n.dot\r\n";
//! let now = Instant::now();
//! let mut server = Server::new(ServerConfig::new(TlsMode::DangerousPlaintext), now);
//! server.handle_input(now, b"USER bob\r\nPASS pw\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n");
//!
//! let mut wire = Vec::new();
//! loop {
//!     while let Some(bytes) = server.poll_transmit() {
//!         wire.extend_from_slice(&bytes);
//!     }
//!     match server.poll_event()? {
//!         Some(ServerEvent::Login { username, password }) => {
//!             assert_eq!((username.as_str(), password.expose()), ("bob", "pw"));
//!             let mut maildrop = Maildrop::new();
//!             maildrop.push(wire_size(message), Uid::try_from("msg-1")?)?;
//!             server.accept_login(maildrop)?;
//!         }
//!         Some(ServerEvent::Retrieve { message: n, top: None }) => {
//!             assert_eq!(n.get(), 1);
//!             server.send_data(message)?; // in as many pieces as convenient
//!             server.finish_data()?;
//!         }
//!         Some(ServerEvent::Commit { deleted }) => {
//!             assert_eq!(deleted.len(), 1); // remove them, then:
//!             server.commit_result(Ok(()))?;
//!         }
//!         Some(other) => unreachable!("{other:?}"),
//!         None if server.poll_transmit().is_none() => break,
//!         None => {}
//!     }
//! }
//! assert_eq!(
//!     String::from_utf8(wire)?,
//!     "+OK POP3 server ready\r\n\
//!      +OK send PASS\r\n\
//!      +OK maildrop has 1 messages (21 octets)\r\n\
//!      +OK 1 21\r\n\
//!      +OK 21 octets\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n\
//!      +OK message 1 deleted\r\n\
//!      +OK logging out, messages deleted\r\n"
//! );
//! assert!(server.is_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A client session over implicit TLS (port 995), fed a recorded server transcript:
//!
//! ```
//! use std::time::Instant;
//! use mail_sansio::Session;
//! use pop3_proto::{Client, ClientConfig, ClientEvent, MessageNumber, Password, TlsMode, Username};
//!
//! let now = Instant::now();
//! let mut client = Client::new(ClientConfig::new(TlsMode::Implicit), now);
//! let mut sent = Vec::new();
//! let mut body = Vec::new();
//! let server_lines: &[&[u8]] = &[
//!     b"+OK ready\r\n",
//!     b"+OK\r\nUSER\r\nPIPELINING\r\n.\r\n",
//!     b"+OK\r\n+OK logged in\r\n",
//!     b"+OK 22 octets\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n",
//!     b"+OK bye\r\n",
//! ];
//! for input in server_lines {
//!     client.handle_input(now, input);
//!     while let Some(event) = client.poll_event()? {
//!         match event {
//!             ClientEvent::Ready => {
//!                 client.login(&Username::try_from("bob")?, &Password::try_from("pw")?)?;
//!             }
//!             ClientEvent::LoggedIn => {
//!                 client.retr(MessageNumber::new(1).unwrap())?;
//!                 client.quit()?; // pipelined: the server offers PIPELINING
//!             }
//!             ClientEvent::Data(chunk) => body.extend_from_slice(&chunk),
//!             _ => {}
//!         }
//!     }
//!     while let Some(bytes) = client.poll_transmit() {
//!         sent.extend_from_slice(&bytes);
//!     }
//! }
//! assert_eq!(sent, b"CAPA\r\nUSER bob\r\nPASS pw\r\nRETR 1\r\nQUIT\r\n");
//! assert_eq!(body, b"Subject: hi\r\n\r\n.dot\r\n");
//! assert!(client.is_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # STARTTLS
//!
//! STLS follows the workspace's STARTTLS contract (RFC 2595 §4):
//!
//! 1. Nothing after the STLS command line (server) or its `+OK` (client) is parsed.
//! 2. Bytes that arrived past that line, or before `handle_tls_established`, are discarded and
//!    the session fails with [`Error::TlsInjection`], which says how many there were.
//! 3. `wants_tls()` turns true only once the server's `+OK` was handed out by `poll_transmit`
//!    (client: once its STLS was handed out and the `+OK` read); `handle_tls_established`
//!    before that changes nothing.
//! 4. After the handshake everything learned in plaintext is forgotten: the client re-sends
//!    CAPA; the server forgets a USER given before.
//! 5. [`TlsMode::Implicit`] for port 995, [`TlsMode::Required`] (the default: STLS or a fatal
//!    [`Error::TlsUnavailable`]; until TLS the server accepts only CAPA, STLS, QUIT and NOOP
//!    and advertises no USER or SASL), [`TlsMode::DangerousPlaintext`] for loopback tests
//!    only. APOP is never used by the client without TLS (CVE-2007-1558).
//!
//! # Limits
//!
//! [`Limits`] (on [`ClientConfig`] and [`ServerConfig`]): command line 255 octets and response
//! line 512 (RFC 2449 §4), AUTH continuation lines 12288, capability lines, bad commands (10
//! after login, 3 before; an over-long command line is skipped, answered `-ERR` and counted
//! as one, as in smtp-proto), failed logins,
//! SASL round trips, and the 10-minute autologout timer (RFC 1939 §3) reported through
//! `poll_timeout`. Bodies are never buffered whole: they stream in chunks both ways, and
//! only `CRLF.CRLF` ends them. Bare CR or LF in a command or status line is an error.
//!
//! # Features
//!
//! Quirks are runtime switches on the configs, never cargo features (for example
//! [`ClientConfig::body_bare_newline`]). Tests use `mail-sansio`'s `testing` feature.
//!
//! - `tokio-codec` (off by default): the `codec` module, tokio-util `Decoder`/`Encoder`s that
//!   frame lines with the same limits as the state machines: `CommandCodec` for a server
//!   (commands in, status lines out) and `ResponseCodec` for a client (status lines in,
//!   commands out). Whether a `+OK` starts a multi-line answer depends on the command, so the
//!   bodies of LIST, UIDL, RETR, TOP and CAPA answers, STLS and AUTH need [`Server`] or
//!   [`Client`].
//!
//! # Standards
//!
//! RFC 1939 (POP3), RFC 2449 (CAPA, response codes, PIPELINING), RFC 2595 (STLS), RFC 3206
//! (`[SYS/*]`, `[AUTH]`), RFC 5034 (SASL), RFC 6856 (UTF8), RFC 8314 (implicit TLS).
#![forbid(unsafe_code)]

pub mod capability;
pub mod client;
#[cfg(feature = "tokio-codec")]
pub mod codec;
pub mod command;
pub mod config;
pub mod error;
pub mod maildrop;
mod parse;
pub mod response;
pub mod server;
pub mod state;
pub mod types;

pub use capability::{Capabilities, Capability, Expire, OtherCapability};
pub use client::{Client, ClientEvent};
pub use command::{AuthResponse, Command, CommandKind};
pub use config::{ClientConfig, Limits, ServerConfig, TlsMode};
pub use error::{Error, InvalidValue, ParseError, SendError};
pub use maildrop::{Maildrop, wire_size};
pub use response::{
    Response, ResponseCode, ScanListing, Stat, Status, StatusLine, UniqueIdListing, UnknownCode,
};
pub use server::{Server, ServerEvent};
pub use state::State;
pub use types::{
    ApopDigest, MechanismName, MessageNumber, Password, Text, Timestamp, Uid, Username,
    parse_mechanism,
};
