//! Sans-IO IMAP (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2): the codec for commands, responses,
//! the greeting and continuation requests, with literals that stream, and the client and
//! server state machines built on it.
//!
//! # Overview
//!
//! The crate never touches a socket, a clock or a thread: bytes go in, values come out, and
//! values encode back to bytes, so the same code runs under tokio, blocking `std`, a fuzzer or
//! a unit test.
//!
//! - [`frame`]: the [`Framer`](frame::Framer) cuts a byte stream into units, a line plus its
//!   literals, however the bytes are split; literals above
//!   [`Limits::literal_stream_threshold`] come out as chunks instead of being kept.
//! - [`command`]: [`Command`](command::Command) with every command of RFC 3501/9051 and the
//!   extensions below, decoded from a unit and encoded back.
//! - [`response`]: the [`Greeting`](response::Greeting) and every
//!   [`Response`](response::Response): status responses, untagged data (FETCH with ENVELOPE
//!   and BODYSTRUCTURE fully typed), continuation requests. Unknown codes, capabilities and
//!   items are kept as token trees, never a failure.
//! - [`types`]: validated values ([`types::Tag`], [`types::Atom`], [`types::AString`],
//!   [`types::Mailbox`] with modified UTF-7, [`types::SequenceSet`], [`types::Flag`],
//!   [`types::DateTime`], ...). Decoded values hold [`bytes::Bytes`] slices of the unit they
//!   came from: `'static`, cheap to clone, no copy.
//! - [`encode`]: the [`Encoder`] picks atom, quoted string or literal from each value's
//!   content, so CR, LF and NUL never land inside an atom or a quoted string, and records
//!   where a client must wait for a continuation request ([`Encoded::sync_literals`]).
//! - [`config`]: [`Limits`] and the [`Leniency`] switches for real-world quirks; strict by
//!   default, each switch named after what it accepts.
//! - [`error`]: [`ParseError`] (byte offset, grammar rule, the line with credentials
//!   redacted) and [`InvalidValue`].
//!
//! ```
//! use imap_proto::types::{AString, Mailbox, SequenceSet, Tag};
//! use imap_proto::{EncodeOptions, Encoder};
//!
//! // A folder name as the user sees it, and the bytes IMAP4rev1 sends for it.
//! let sent = Mailbox::from_utf8("Отправленные").unwrap();
//! assert_eq!(sent.as_bytes(), b"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
//!
//! // A value with a line break can only travel as a literal: the client stops after the
//! // announcement and waits for the server's `+`.
//! let mut e = Encoder::new(EncodeOptions::client());
//! e.tag(&Tag::try_from("A1").unwrap()).sp();
//! e.astring(&AString::try_from("two\r\nlines").unwrap()).sp();
//! e.sequence_set(&SequenceSet::try_from("1:*").unwrap()).crlf();
//! let out = e.finish();
//! assert_eq!(out.as_bytes(), b"A1 {10}\r\ntwo\r\nlines 1:*\r\n");
//! assert_eq!(out.sync_literals(), &[9]); // just after "A1 {10}\r\n"
//! ```
//!
//! # Run loop
//!
//! [`Server`] speaks the `mail_sansio::Session` verbs like the SMTP and POP3 machines: feed
//! bytes with `handle_input`, drain `poll_transmit`, then `poll_event` until `Ok(None)`,
//! answering each [`ServerEvent`] through the call its documentation names (its
//! [`token`](ServerEvent::token) says which command); check `wants_tls` (and, for COMPRESS,
//! [`Server::wants_compression`]), `is_closed`, and wait for input or `poll_timeout`.
//! Answers may come later than their event, in any order: the machine writes them in command
//! order, with the tags, and sends the changes pushed with [`Server::push`] where RFC 9051
//! allows. The application works in UIDs; the machine keeps the client's message numbers.
//!
//! ```
//! use std::time::Instant;
//! use imap_proto::server::{MailboxSnapshot, Server, ServerConfig, ServerEvent};
//! use imap_proto::TlsMode;
//! use mail_sansio::Session;
//!
//! let now = Instant::now();
//! let mut server = Server::new(ServerConfig::strict(TlsMode::Implicit), now);
//! server.handle_input(now, b"a LOGIN joe pw\r\nb SELECT INBOX\r\nc FETCH 2 FLAGS\r\n");
//! let mut sent = Vec::new();
//! loop {
//!     while let Some(bytes) = server.poll_transmit() {
//!         sent.extend_from_slice(&bytes);
//!     }
//!     let Some(event) = server.poll_event().unwrap() else { break };
//!     match event {
//!         ServerEvent::Login { token, .. } => server.accept(token).unwrap(),
//!         ServerEvent::Select { token, .. } => {
//!             let mailbox = MailboxSnapshot {
//!                 uids: vec![10, 20, 30],
//!                 flags: vec![],
//!                 permanent_flags: vec![],
//!                 uid_validity: 1,
//!                 uid_next: 31,
//!                 highest_modseq: None,
//!                 recent: 0,
//!                 first_unseen: None,
//!                 read_only: false,
//!             };
//!             server.open_mailbox(token, mailbox).unwrap();
//!             server.accept(token).unwrap();
//!         }
//!         ServerEvent::Fetch { token, uids, .. } => {
//!             assert_eq!(uids, [20]); // message 2 is UID 20
//!             server.send_fetch(token, 20, vec![]).unwrap();
//!             server.accept(token).unwrap();
//!         }
//!         _ => {}
//!     }
//! }
//! let sent = String::from_utf8(sent).unwrap();
//! assert!(sent.ends_with("* 2 FETCH ()\r\nc OK FETCH completed\r\n"));
//! ```
//!
//! The server's answers beyond `accept`/`complete` and `send_fetch`:
//!
//! - a message too large to hold streams out with [`Server::start_fetch`] (the items before
//!   a literal of known size), [`Server::send_fetch_chunk`] (its octets, as
//!   [`bytes::Bytes`]) and [`Server::end_fetch`] (the items after it); no command is read
//!   while the literal is open, and the response keeps its place in command order;
//! - SEARCH, SORT and THREAD (RFC 5256, [`server::Extensions::sort`] and
//!   [`server::Extensions::thread`]) are answered with UIDs through
//!   [`Server::send_search`], [`Server::send_sort`] (in sort order) and
//!   [`Server::send_thread`] (a tree); the machine numbers them. With SEARCHRES
//!   ([`server::Extensions::searchres`]) it keeps a `SEARCH RETURN (SAVE)` result and
//!   resolves `$` itself, for SEARCH keys through [`Server::resolve`];
//! - UNAUTHENTICATE (RFC 8437, [`server::Extensions::unauthenticate`]) is
//!   [`ServerEvent::Unauthenticate`]: `accept` takes the session back to not authenticated
//!   with the capabilities of that state;
//! - an XOAUTH2 or OAUTHBEARER token is refused with the error challenge of RFC 7628 by
//!   [`Server::reject_token`]; after [`server::ServerConfig::auth_failures`] failed logins
//!   the session ends with `* BYE` and [`Error::LimitExceeded`].
//!
//! [`Client`] speaks the same verbs from the other seat. Each `send_command` (or a shortcut
//! such as [`Client::login`] and [`Client::select`]) returns the command's tag; the client
//! waits for `+` before each synchronising literal, pipelines only what RFC 9051 §5.5 allows,
//! and ends every command with exactly one [`ClientEvent::Completed`] carrying that tag.
//! Untagged data arrives as [`ClientEvent::Data`] in wire order, large FETCH bodies as
//! `LiteralStart`/`LiteralChunk`/`LiteralEnd`, and the optional mailbox tracker
//! ([`ClientConfig::with_tracking`], [`Client::mailbox`]) keeps the sequence-number to UID
//! map, flags, UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ across EXPUNGE and VANISHED.
//!
//! # STARTTLS
//!
//! The workspace's STARTTLS contract (ARCHITECTURE.md): nothing after the STARTTLS line is
//! parsed; bytes already buffered behind it, or fed before `handle_tls_established`, fail the
//! session with [`Error::TlsInjection`]; `wants_tls` turns true only once the tagged OK went
//! out through `poll_transmit`; after the handshake everything learned in plaintext is
//! forgotten. With [`TlsMode::Required`] the server accepts only CAPABILITY, STARTTLS, NOOP
//! and LOGOUT before TLS, advertises `LOGINDISABLED` and no `AUTH=`, and counts each refusal
//! as a bad command. The client, under [`TlsMode::Required`], fails on a server that offers no
//! STARTTLS and on a plaintext PREAUTH greeting (a downgrade), refuses LOGIN while
//! `LOGINDISABLED` is advertised, never trusts untagged data received before TLS, and asks
//! for capabilities again after TLS and after login. COMPRESS=DEFLATE (RFC 4978) is the same
//! kind of switch on both sides: [`Server::wants_compression`] (once the tagged OK went out)
//! and [`Client::wants_compression`] (once the tagged OK was read and nothing is left to send
//! uncompressed) say where the compressed stream starts; the driver compresses and calls
//! `handle_compression_started`. Bytes that arrive after the OK and before the switch fail the
//! session with [`Error::CompressionInjection`], as STARTTLS's do.
//!
//! # Parsing
//!
//! IMAP's grammar nests (lists, BODYSTRUCTURE, SEARCH keys) and carries literals, so it is
//! parsed in two steps: the hand-written framer finds unit boundaries in one linear pass, then
//! a grammar written with nom runs over each complete unit. The hot tokens (atoms, numbers,
//! sequence sets, quoted strings) are hand-written scanners with byte-class tables and
//! `memchr`. Every parser quotes its ABNF rule. nom is private: no nom type appears in the
//! public API.
//!
//! # Limits
//!
//! See [`Limits`]: 8 KiB lines before authentication and 64 KiB after, 4096-octet
//! non-synchronising literals (LITERAL-), the size above which literals stream, the size of
//! a unit, and nesting depths (8 for BODYSTRUCTURE, 16 for lists and SEARCH). An announced
//! literal size never causes an allocation.
//!
//! # Features
//!
//! - `tokio-codec`: tokio-util `Decoder`/`Encoder`s in `codec` that frame commands (server
//!   side) and responses (client side) into whole units, literals included.
//!
//! # Standards
//!
//! RFC 3501, RFC 9051, and IDLE (2177), ENABLE (5161), ID (2971), UIDPLUS (4315), MOVE
//! (6851), CONDSTORE/QRESYNC (7162), SASL-IR (4959), LITERAL+/LITERAL- (7888), NAMESPACE
//! (2342), SPECIAL-USE (6154), LIST-EXTENDED (5258), LIST-STATUS (5819), ESEARCH (4731),
//! SEARCHRES (5182), UTF8=ACCEPT (6855), QUOTA (9208), METADATA (5464), BINARY (3516),
//! SORT/THREAD (5256), UNSELECT (3691), UNAUTHENTICATE (8437), MULTIAPPEND (3502),
//! STATUS=SIZE (8438), OBJECTID (8474), SAVEDATE (8514), PREVIEW (8970), APPENDLIMIT (7889),
//! COMPRESS (4978), and Gmail's X-GM-* items. Mailbox names: modified UTF-7 (RFC 3501
//! §5.1.3).
#![forbid(unsafe_code)]

pub mod client;
#[cfg(feature = "tokio-codec")]
pub mod codec;
pub mod command;
pub mod config;
pub mod encode;
pub mod error;
pub mod frame;
mod parse;
pub mod response;
pub mod server;
pub mod state;
pub mod types;

pub use client::{Client, ClientConfig, ClientEvent, ClientState};
pub use config::{Leniency, Limits, TlsMode};
pub use encode::{EncodeOptions, Encoded, Encoder, Side};
pub use error::{Error, InvalidValue, ParseError, ParseErrorKind, SendError};
pub use mail_sansio::Parsed;
pub use server::{Server, ServerConfig, ServerEvent};
pub use state::State;
