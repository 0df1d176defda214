//! Sans-IO IMAP (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2): the codec for commands, responses,
//! the greeting and continuation requests, with streaming literals.
//!
//! # Overview
//!
//! The crate never touches a socket, a clock or a thread: bytes go in, values come out, and
//! values encode back to bytes.
//!
//! - [`types`]: validated values ([`types::Tag`], [`types::Atom`], [`types::AString`],
//!   [`types::Mailbox`] with modified UTF-7, [`types::SequenceSet`], [`types::Flag`],
//!   [`types::DateTime`], ...). Decoded values hold [`bytes::Bytes`] slices of the input, so
//!   they are `'static` and cheap to clone, with no copy.
//! - [`encode`]: the [`Encoder`], which picks atom, quoted string or literal from each
//!   value's content and records where a client must wait for a continuation request.
//! - [`config`]: [`Limits`] and the [`Leniency`] switches for real-world quirks (strict by
//!   default).
//! - [`error`]: [`ParseError`] (offset, rule, redacted line) and [`InvalidValue`].
//!
//! # Parsing
//!
//! IMAP's grammar nests (lists, BODYSTRUCTURE) and carries literals, so it is parsed in two
//! steps: a framer cuts the input into units (a line plus its literals, kept in place), then a
//! grammar written with nom runs over each complete unit. Hot tokens (atoms, numbers, sequence
//! sets, quoted strings, the framer) are hand-written scanners. nom is private: no nom type
//! appears in the public API.
//!
//! # Limits
//!
//! See [`Limits`]: line length before and after authentication, literal sizes, the size above
//! which literals stream, and nesting depths. An announced literal size never causes an
//! allocation.
//!
//! # Features
//!
//! - `tokio-codec`: tokio-util `Decoder`/`Encoder`s (module `codec`): commands and responses framed
//!   into whole units, literals included.
//!
//! # Standards
//!
//! RFC 3501, RFC 9051, and the extensions listed in the README (IDLE, ENABLE, ID, UIDPLUS,
//! MOVE, CONDSTORE/QRESYNC, SASL-IR, LITERAL+/LITERAL-, NAMESPACE, SPECIAL-USE, LIST-EXTENDED,
//! LIST-STATUS, ESEARCH, SEARCHRES, UTF8=ACCEPT, QUOTA, METADATA, BINARY, SORT/THREAD,
//! UNSELECT, UNAUTHENTICATE, MULTIAPPEND, STATUS=SIZE, OBJECTID, SAVEDATE, PREVIEW,
//! APPENDLIMIT, COMPRESS, Gmail's X-GM-*).
#![forbid(unsafe_code)]

#[cfg(feature = "tokio-codec")]
pub mod codec;
pub mod command;
pub mod config;
pub mod encode;
pub mod error;
pub mod frame;
mod parse;
pub mod response;
pub mod types;
// Owned by the other parts (each adds its own line): `pub mod command;`
// (commands), `pub mod response;` (responses).

pub use config::{Leniency, Limits};
pub use encode::{EncodeOptions, Encoded, Encoder, Side};
pub use error::{InvalidValue, ParseError, ParseErrorKind};
pub use mail_sansio::Parsed;
