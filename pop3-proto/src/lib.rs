//! Sans-IO POP3 (RFC 1939) codec and client/server state machines.
#![forbid(unsafe_code)]

pub mod capability;
pub mod client;
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
pub use types::{ApopDigest, Mechanism, MessageNumber, Password, Text, Timestamp, Uid, Username};
