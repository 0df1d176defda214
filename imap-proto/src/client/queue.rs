//! What the client has sent or will send: command names, which commands may be pipelined,
//! and which state each one needs (RFC 9051 §3, §5.5).

use std::collections::VecDeque;

use bytes::Bytes;
use mail_sansio::sasl::SaslClient;

use crate::command::CommandBody;
use crate::types::{Mailbox, Tag};

/// What the machine must do when a command completes or the server asks for more.
#[derive(Debug)]
pub(super) enum Kind {
    /// CAPABILITY the machine sent itself (after the greeting, TLS or login).
    AutoCapability,
    /// STARTTLS, sent by the machine per the TLS mode.
    StartTls,
    /// LOGIN.
    Login,
    /// AUTHENTICATE with its SASL exchange.
    Authenticate(Box<AuthRun>),
    /// SELECT or EXAMINE of this mailbox.
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// EXAMINE.
        read_only: bool,
    },
    /// CLOSE or UNSELECT: no mailbox is selected afterwards.
    Deselect,
    /// UNAUTHENTICATE (RFC 8437): back to the not-authenticated state.
    Unauthenticate,
    /// IDLE.
    Idle(IdleRun),
    /// COMPRESS DEFLATE (RFC 4978): its tagged OK is the last uncompressed line.
    Compress,
    /// LOGOUT.
    Logout,
    /// Anything else: the untagged data it causes is passed on as it comes.
    Other,
}

/// A running SASL exchange.
#[derive(Debug)]
pub(super) struct AuthRun {
    pub(super) sasl: SaslClient,
    /// Challenges answered so far.
    pub(super) steps: u32,
    /// The client sent `*`: the server must answer BAD.
    pub(super) cancelled: bool,
}

/// A running IDLE.
#[derive(Debug, Default)]
pub(super) struct IdleRun {
    /// The server's `+` arrived.
    pub(super) idling: bool,
    /// The application asked for DONE (maybe before the `+`: it goes out when the `+` does).
    pub(super) done_requested: bool,
    /// DONE went out.
    pub(super) done_sent: bool,
}

/// A command waiting in the queue: encoded only when it is sent, so that the literal forms
/// follow the capabilities known then.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) tag: Tag,
    pub(super) body: CommandBody,
    pub(super) kind: Kind,
}

/// A command on the wire, waiting for its tagged status.
#[derive(Debug)]
pub(super) struct InFlight {
    pub(super) tag: Tag,
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) exclusive: bool,
    /// What is still to send, each piece after one `+` (the data of synchronising
    /// literals, RFC 9051 §4.3).
    pub(super) rest: VecDeque<Piece>,
}

/// Bytes of a command sent after a continuation request.
#[derive(Debug)]
pub(super) struct Piece {
    /// A streamed APPEND literal: the application sends this many octets first
    /// ([`Client::send_append_data`](super::Client::send_append_data)).
    pub(super) data_len: Option<u64>,
    /// The rest of the command up to its next synchronising literal.
    pub(super) bytes: Bytes,
}

impl Kind {
    /// Whether the command logs in.
    pub(super) fn is_login(&self) -> bool {
        matches!(self, Self::Login | Self::Authenticate(_))
    }
}

/// The command's name as the application sees it in
/// [`ClientEvent::Completed`](super::ClientEvent::Completed).
pub(super) fn name(body: &CommandBody) -> &'static str {
    use CommandBody as B;
    let pick = |uid: bool, with: &'static str, without: &'static str| {
        if uid { with } else { without }
    };
    match body {
        B::Capability => "CAPABILITY",
        B::Noop => "NOOP",
        B::Logout => "LOGOUT",
        B::StartTls => "STARTTLS",
        B::Authenticate { .. } => "AUTHENTICATE",
        B::Login { .. } => "LOGIN",
        B::Select { .. } => "SELECT",
        B::Examine { .. } => "EXAMINE",
        B::Create { .. } => "CREATE",
        B::Delete(_) => "DELETE",
        B::Rename { .. } => "RENAME",
        B::Subscribe(_) => "SUBSCRIBE",
        B::Unsubscribe(_) => "UNSUBSCRIBE",
        B::List { .. } => "LIST",
        B::Lsub { .. } => "LSUB",
        B::Namespace => "NAMESPACE",
        B::Status { .. } => "STATUS",
        B::Append { .. } => "APPEND",
        B::Idle => "IDLE",
        B::Enable(_) => "ENABLE",
        B::Id(_) => "ID",
        B::Unselect => "UNSELECT",
        B::Unauthenticate => "UNAUTHENTICATE",
        B::Check => "CHECK",
        B::Close => "CLOSE",
        B::Expunge => "EXPUNGE",
        B::UidExpunge(_) => "UID EXPUNGE",
        B::Search { uid, .. } => pick(*uid, "UID SEARCH", "SEARCH"),
        B::Fetch { uid, .. } => pick(*uid, "UID FETCH", "FETCH"),
        B::Store { uid, .. } => pick(*uid, "UID STORE", "STORE"),
        B::Copy { uid, .. } => pick(*uid, "UID COPY", "COPY"),
        B::Move { uid, .. } => pick(*uid, "UID MOVE", "MOVE"),
        B::Sort { uid, .. } => pick(*uid, "UID SORT", "SORT"),
        B::Thread { uid, .. } => pick(*uid, "UID THREAD", "THREAD"),
        B::GetQuota(_) => "GETQUOTA",
        B::GetQuotaRoot(_) => "GETQUOTAROOT",
        B::SetQuota { .. } => "SETQUOTA",
        B::GetMetadata { .. } => "GETMETADATA",
        B::SetMetadata { .. } => "SETMETADATA",
        B::Compress { .. } => "COMPRESS",
        _ => "OTHER",
    }
}

/// Whether the command is sent alone: only once every earlier command has completed, and
/// nothing goes out after it until it completes.
///
/// RFC 9051 §5.5: a command that changes the state (login, STARTTLS, ENABLE) or the selected
/// mailbox must not be pipelined with commands that depend on it, and commands that may
/// expunge messages (EXPUNGE, MOVE, NOOP, CHECK, IDLE, whose responses may carry EXPUNGE)
/// would shift the sequence numbers a pipelined FETCH, STORE or SEARCH was written with.
/// Everything else (STATUS, LIST, UID FETCH, APPEND, ...) pipelines.
pub(super) fn exclusive(body: &CommandBody) -> bool {
    use CommandBody as B;
    match body {
        B::StartTls
        | B::Authenticate { .. }
        | B::Login { .. }
        | B::Select { .. }
        | B::Examine { .. }
        | B::Unselect
        | B::Close
        | B::Unauthenticate
        | B::Idle
        | B::Enable(_)
        | B::Compress { .. }
        | B::Expunge
        | B::UidExpunge(_)
        | B::Move { .. }
        | B::Noop
        | B::Check
        | B::Logout => true,
        B::Capability
        | B::Create { .. }
        | B::Delete(_)
        | B::Rename { .. }
        | B::Subscribe(_)
        | B::Unsubscribe(_)
        | B::List { .. }
        | B::Lsub { .. }
        | B::Namespace
        | B::Status { .. }
        | B::Append { .. }
        | B::Id(_)
        | B::Search { .. }
        | B::Fetch { .. }
        | B::Store { .. }
        | B::Copy { .. }
        | B::Sort { .. }
        | B::Thread { .. }
        | B::GetQuota(_)
        | B::GetQuotaRoot(_)
        | B::SetQuota { .. }
        | B::GetMetadata { .. }
        | B::SetMetadata { .. } => false,
        // Unknown commands may do anything.
        _ => true,
    }
}

/// The state a command needs (RFC 9051 §6): any, authenticated, or a selected mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// Any state (CAPABILITY, NOOP, LOGOUT, ID).
    Any,
    /// Not authenticated (LOGIN, AUTHENTICATE, STARTTLS).
    NotAuthenticated,
    /// Authenticated or selected.
    Authenticated,
    /// A selected mailbox.
    Selected,
}

/// What [`Needs`] a command has.
pub(super) fn needs(body: &CommandBody) -> Needs {
    use CommandBody as B;
    match body {
        B::Capability | B::Noop | B::Logout | B::Id(_) | B::Other { .. } => Needs::Any,
        B::StartTls | B::Authenticate { .. } | B::Login { .. } => Needs::NotAuthenticated,
        B::Check
        | B::Close
        | B::Expunge
        | B::UidExpunge(_)
        | B::Search { .. }
        | B::Fetch { .. }
        | B::Store { .. }
        | B::Copy { .. }
        | B::Move { .. }
        | B::Sort { .. }
        | B::Thread { .. }
        | B::Unselect => Needs::Selected,
        _ => Needs::Authenticated,
    }
}

/// The tag of the `n`th command: `A1`, `A2`, ... (RFC 9051 §2.2.1: unique per command).
pub(super) fn tag(n: u64) -> Tag {
    Tag::from_checked(Bytes::from(format!("A{n}")))
}
