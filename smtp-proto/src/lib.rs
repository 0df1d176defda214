//! Sans-IO SMTP (RFC 5321) codec and server state machine, with STARTTLS, for the
//! mail-sansio workspace.
#![forbid(unsafe_code)]

pub mod command;
pub mod config;
pub mod ehlo;
pub mod error;
mod parse;
pub mod reply;
pub mod server;
pub mod state;
pub mod types;

pub use command::{Command, ParseOptions};
pub use config::{Config, Extensions, Limits, TlsMode};
pub use ehlo::{Capability, EhloReply};
pub use error::{Error, InvalidValue, ParseError, ParseErrorKind, SendError};
pub use mail_sansio::Parsed;
pub use reply::{EnhancedStatusCode, Reply, ReplyAssembler, ReplyCode, ReplyLimits};
pub use server::{AbortReason, Event, HelloVerb, Server, Token};
