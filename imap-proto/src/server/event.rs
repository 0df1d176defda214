//! What the server reports to the application, and the values the application answers with.

use std::fmt;

use bytes::Bytes;
use mail_sansio::sasl::{Credentials, MechanismName};

use crate::command::{
    CommandBody, FetchAttributes, FetchModifier, SearchKey, SearchReturnOption, SelectParams,
    SortCriterion, StoreAction, StoreItem,
};
use crate::response::{Code, Condition, Text};
use crate::types::{AString, Atom, DateTime, Flag, FlagPerm, Mailbox};

/// Names one command the application owes an answer to; passed back to
/// [`Server::accept`](super::Server::accept), [`Server::complete`](super::Server::complete)
/// and the `send_*` calls. Answers may come in any order: the machine writes them in command
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(pub(crate) u64);

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An event from the server's [`poll_event`](mail_sansio::Session::poll_event).
///
/// Every event with a token is a command the application must finish with
/// [`Server::accept`](super::Server::accept) (tagged `OK`, with the machine's text and the
/// state change the command implies) or [`Server::complete`](super::Server::complete) (the
/// application's own `OK`/`NO`/`BAD`), after any untagged data it sends with
/// [`Server::send_response`](super::Server::send_response) and
/// [`Server::send_fetch`](super::Server::send_fetch). Message numbers never reach the
/// application: the machine turns the client's sequence numbers into UIDs and back, so the
/// application works in UIDs only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// LOGIN, or AUTHENTICATE with PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, EXTERNAL or CRAM-MD5
    /// (for CRAM-MD5 look up the password and call
    /// [`CramMd5Proof::verify`](mail_sansio::sasl::CramMd5Proof::verify)). LOGIN goes through
    /// the same SASL machine as PLAIN, so the identity rules are the same.
    /// [`Server::accept`](super::Server::accept) logs in (`OK [CAPABILITY ...]`);
    /// [`Server::complete`](super::Server::complete) with `NO [AUTHENTICATIONFAILED]`
    /// refuses.
    Login {
        /// Answer with this token.
        token: Token,
        /// What the client presented.
        credentials: Credentials,
    },
    /// AUTHENTICATE with a mechanism that needs a fresh challenge or nonce (CRAM-MD5,
    /// SCRAM-SHA-256) and none was given with
    /// [`Server::set_sasl_config`](super::Server::set_sasl_config). Answer with
    /// [`Server::provide_sasl_config`](super::Server::provide_sasl_config) (settings from a
    /// cryptographic random source: the machine makes up no randomness) or refuse with
    /// [`Server::complete`](super::Server::complete). The SMTP and POP3 servers ask the same
    /// way.
    SaslConfig {
        /// Answer with this token.
        token: Token,
        /// The mechanism the client asked for.
        mechanism: MechanismName,
    },
    /// SCRAM needs the user's stored keys. Answer with
    /// [`Server::provide_scram_credentials`](super::Server::provide_scram_credentials)
    /// (made-up ones for an unknown user) or refuse with
    /// [`Server::complete`](super::Server::complete).
    ScramCredentials {
        /// Answer with this token.
        token: Token,
        /// The identity whose keys are needed.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// SCRAM succeeded (the client knows the password): decide whether `authcid` may act as
    /// `authzid`, and answer as for [`ServerEvent::Login`].
    SaslAuthenticated {
        /// Answer with this token.
        token: Token,
        /// The authenticated identity.
        authcid: String,
        /// The identity the client wants to act as.
        authzid: Option<String>,
    },
    /// SELECT (`read_only: false`) or EXAMINE. Open the mailbox and answer with
    /// [`Server::open_mailbox`](super::Server::open_mailbox) (the machine writes FLAGS,
    /// EXISTS, UIDVALIDITY, ... and the tagged `OK [READ-WRITE]`), or refuse with
    /// [`Server::complete`](super::Server::complete) (`NO [NONEXISTENT]`). Any mailbox that
    /// was selected is already closed (`* OK [CLOSED]` went out).
    Select {
        /// Answer with this token.
        token: Token,
        /// The mailbox.
        mailbox: Mailbox,
        /// EXAMINE.
        read_only: bool,
        /// `CONDSTORE` and `QRESYNC` parameters. With QRESYNC, send `VANISHED (EARLIER)` and
        /// the changed messages' FETCH after [`Server::open_mailbox`](super::Server::open_mailbox)
        /// and before [`Server::accept`](super::Server::accept).
        params: SelectParams,
    },
    /// `[UID] FETCH`. Send one [`Server::send_fetch`](super::Server::send_fetch) per message
    /// (in any order), then [`Server::accept`](super::Server::accept).
    Fetch {
        /// Answer with this token.
        token: Token,
        /// `UID FETCH` (the machine adds the `UID` item to every answer).
        uid: bool,
        /// The messages, as UIDs in ascending order: only messages the client knows (a
        /// sequence number past the end was answered `BAD` by the machine; UIDs that do not
        /// exist are left out, RFC 9051 §6.4.8).
        uids: Vec<u32>,
        /// What to fetch (macros expanded with [`FetchAttributes::expand`]).
        attributes: FetchAttributes,
        /// `CHANGEDSINCE`, `VANISHED`.
        modifiers: Vec<FetchModifier>,
    },
    /// `[UID] STORE`. Change the flags, send the new flags with
    /// [`Server::send_fetch`](super::Server::send_fetch) unless `silent` (and for the
    /// messages CONDSTORE says changed), then [`Server::accept`](super::Server::accept), or
    /// [`Server::complete`](super::Server::complete) with `OK [MODIFIED set]`.
    Store {
        /// Answer with this token.
        token: Token,
        /// `UID STORE`.
        uid: bool,
        /// The messages, as UIDs in ascending order.
        uids: Vec<u32>,
        /// `UNCHANGEDSINCE` (CONDSTORE).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        action: StoreAction,
        /// `.SILENT`.
        silent: bool,
        /// The flags.
        item: StoreItem,
    },
    /// `[UID] SEARCH`. Evaluate the keys (a key with message numbers: see
    /// [`Server::resolve`](super::Server::resolve)) and answer with
    /// [`Server::send_search`](super::Server::send_search), which writes `* SEARCH` or
    /// `* ESEARCH` as the command asked and completes it.
    Search {
        /// Answer with this token.
        token: Token,
        /// `UID SEARCH`.
        uid: bool,
        /// `RETURN (...)`: `None` for the classic `* SEARCH` answer.
        return_options: Option<Vec<SearchReturnOption>>,
        /// `CHARSET`.
        charset: Option<AString>,
        /// The keys, all of which must match.
        criteria: Vec<SearchKey>,
    },
    /// `[UID] SORT` (RFC 5256), offered with [`Extensions::sort`](super::Extensions::sort).
    /// Evaluate the search keys as for [`ServerEvent::Search`], order the matches by the
    /// criteria, and answer with [`Server::send_sort`](super::Server::send_sort) (UIDs in
    /// sort order), which writes `* SORT` with message numbers or UIDs and completes it.
    Sort {
        /// Answer with this token.
        token: Token,
        /// `UID SORT`.
        uid: bool,
        /// The sort criteria, most significant first (non-empty).
        criteria: Vec<SortCriterion>,
        /// The charset of the search strings.
        charset: AString,
        /// The search keys, all of which must match.
        search: Vec<SearchKey>,
    },
    /// `[UID] THREAD` (RFC 5256) with one of the algorithms of
    /// [`Extensions::thread`](super::Extensions::thread). Evaluate the search keys, build the
    /// threads, and answer with [`Server::send_thread`](super::Server::send_thread) (a tree of
    /// UIDs), which writes `* THREAD` with message numbers or UIDs and completes it.
    Thread {
        /// Answer with this token.
        token: Token,
        /// `UID THREAD`.
        uid: bool,
        /// The algorithm, one of those offered (`REFERENCES`, `ORDEREDSUBJECT`, ...).
        algorithm: Atom,
        /// The charset of the search strings.
        charset: AString,
        /// The search keys, all of which must match.
        search: Vec<SearchKey>,
    },
    /// `UNAUTHENTICATE` (RFC 8437), offered with
    /// [`Extensions::unauthenticate`](super::Extensions::unauthenticate): release what the
    /// session holds for the user (any selected mailbox is closed without expunging) and
    /// answer with [`Server::accept`](super::Server::accept); the session is then not
    /// authenticated again, with ENABLE and SEARCHRES state forgotten (TLS and COMPRESS
    /// stay), and the OK carries the capabilities for that state. A `NO` from
    /// [`Server::complete`](super::Server::complete) leaves the user logged in.
    Unauthenticate {
        /// Answer with this token.
        token: Token,
    },
    /// `[UID] COPY` (`moved: false`) or `[UID] MOVE`. Copy the messages; for MOVE, push
    /// their expunges with [`Server::push`](super::Server::push) (the machine sends them
    /// before the tagged OK). Answer with [`Server::complete`](super::Server::complete)
    /// (`OK [COPYUID ...]`; for MOVE send COPYUID untagged with
    /// [`Server::send_response`](super::Server::send_response), RFC 6851 §4.3) or
    /// `NO [TRYCREATE]`.
    Copy {
        /// Answer with this token.
        token: Token,
        /// `UID COPY`/`UID MOVE`.
        uid: bool,
        /// The messages, as UIDs in ascending order.
        uids: Vec<u32>,
        /// The destination.
        mailbox: Mailbox,
        /// MOVE.
        moved: bool,
    },
    /// EXPUNGE (`uids: None`) or `UID EXPUNGE` (only those UIDs). Remove the `\Deleted`
    /// messages, push each with [`Server::push`](super::Server::push)
    /// ([`Update::Expunged`]), then [`Server::accept`](super::Server::accept).
    Expunge {
        /// Answer with this token.
        token: Token,
        /// `UID EXPUNGE`'s UIDs, in ascending order.
        uids: Option<Vec<u32>>,
    },
    /// CLOSE: remove the `\Deleted` messages silently (no push needed) and answer with
    /// [`Server::accept`](super::Server::accept); the mailbox is then closed. After EXAMINE
    /// nothing is removed.
    Close {
        /// Answer with this token.
        token: Token,
        /// The mailbox was opened with EXAMINE: remove nothing.
        read_only: bool,
    },
    /// An APPEND message starts; its octets follow as [`ServerEvent::AppendChunk`]s and end
    /// with [`ServerEvent::AppendEnd`]. Under MULTIAPPEND several messages follow each other;
    /// keep them until [`ServerEvent::Append`] (all or none are stored, RFC 3502 §6.3.11).
    /// Needs no answer.
    AppendStart {
        /// The destination.
        mailbox: Mailbox,
        /// Flags to set.
        flags: Vec<Flag>,
        /// The internal date to give it.
        date: Option<DateTime>,
        /// The message's size in octets, as announced.
        size: u64,
        /// Sent as literal8 (BINARY): may hold NUL.
        binary: bool,
    },
    /// Octets of the current APPEND message, in order. Needs no answer.
    AppendChunk(Bytes),
    /// The current APPEND message is complete. Needs no answer.
    AppendEnd,
    /// The APPEND command is complete: store its messages and answer with
    /// [`Server::complete`](super::Server::complete) (`OK [APPENDUID ...]`, or
    /// `NO [TRYCREATE]`). A message appended to the selected mailbox is announced with
    /// [`Server::push`](super::Server::push).
    Append {
        /// Answer with this token.
        token: Token,
        /// The destination.
        mailbox: Mailbox,
        /// How many messages came.
        messages: usize,
    },
    /// The APPEND in progress was dropped (its remaining bytes broke the grammar or a limit,
    /// and the machine answered `BAD`): discard the messages received so far. Needs no
    /// answer.
    AppendAborted,
    /// Any other command the application owns: CREATE, DELETE, RENAME, SUBSCRIBE,
    /// UNSUBSCRIBE, LIST, LSUB, STATUS, NAMESPACE, ID, GETQUOTA, GETQUOTAROOT, SETQUOTA,
    /// GETMETADATA, SETMETADATA, CHECK. Send its untagged data with
    /// [`Server::send_response`](super::Server::send_response) (`* LIST`, `* STATUS`,
    /// `* NAMESPACE`, ...), then [`Server::accept`](super::Server::accept) or
    /// [`Server::complete`](super::Server::complete).
    Command {
        /// Answer with this token.
        token: Token,
        /// The command.
        body: CommandBody,
    },
}

impl ServerEvent {
    /// The token that answers this event, or `None` for the APPEND stream events, which
    /// need no answer. Saves a match over every variant where the application answers several
    /// alike.
    ///
    /// ```
    /// # use imap_proto::server::{Server, ServerEvent};
    /// # use imap_proto::SendError;
    /// fn accept_all(server: &mut Server, event: &ServerEvent) -> Result<(), SendError> {
    ///     match event.token() {
    ///         Some(token) => server.accept(token),
    ///         None => Ok(()),
    ///     }
    /// }
    /// ```
    pub fn token(&self) -> Option<Token> {
        match self {
            Self::Login { token, .. }
            | Self::SaslConfig { token, .. }
            | Self::ScramCredentials { token, .. }
            | Self::SaslAuthenticated { token, .. }
            | Self::Select { token, .. }
            | Self::Fetch { token, .. }
            | Self::Store { token, .. }
            | Self::Search { token, .. }
            | Self::Sort { token, .. }
            | Self::Thread { token, .. }
            | Self::Unauthenticate { token }
            | Self::Copy { token, .. }
            | Self::Expunge { token, .. }
            | Self::Close { token, .. }
            | Self::Append { token, .. }
            | Self::Command { token, .. } => Some(*token),
            Self::AppendStart { .. }
            | Self::AppendChunk(_)
            | Self::AppendEnd
            | Self::AppendAborted => None,
        }
    }
}

/// The tagged status that finishes a command: the machine adds the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// OK, NO or BAD.
    pub condition: Condition,
    /// The response code (`[TRYCREATE]`, `[APPENDUID ...]`, ...).
    pub code: Option<Code>,
    /// Human-readable text; empty gets the machine's text for the command.
    pub text: Text,
}

impl Completion {
    /// `OK` with the machine's text.
    pub const fn ok() -> Self {
        Self {
            condition: Condition::Ok,
            code: None,
            text: Text::empty(),
        }
    }

    /// `NO` with `code` and `text`.
    pub const fn no(code: Option<Code>, text: Text) -> Self {
        Self {
            condition: Condition::No,
            code,
            text,
        }
    }

    /// `BAD` with `text`.
    pub const fn bad(text: Text) -> Self {
        Self {
            condition: Condition::Bad,
            code: None,
            text,
        }
    }

    /// This completion with `code`.
    #[must_use]
    pub fn with_code(mut self, code: Code) -> Self {
        self.code = Some(code);
        self
    }
}

/// What the application tells [`Server::open_mailbox`](super::Server::open_mailbox) about the
/// mailbox it opened for SELECT or EXAMINE (RFC 9051 §6.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSnapshot {
    /// The UIDs of the messages, in ascending order: message `n` is `uids[n - 1]`. The
    /// machine keeps this list as the client's view and keeps it right across EXISTS and
    /// EXPUNGE.
    pub uids: Vec<u32>,
    /// `* FLAGS`: the flags defined in the mailbox.
    pub flags: Vec<Flag>,
    /// `[PERMANENTFLAGS]`: the flags the client can change for good (`\*` for new keywords);
    /// empty for a read-only mailbox.
    pub permanent_flags: Vec<FlagPerm>,
    /// `[UIDVALIDITY]`.
    pub uid_validity: u32,
    /// `[UIDNEXT]`.
    pub uid_next: u32,
    /// `[HIGHESTMODSEQ]` (CONDSTORE), `None` for `[NOMODSEQ]`.
    pub highest_modseq: Option<u64>,
    /// `* n RECENT` for IMAP4rev1 clients (0 for servers without `\Recent`).
    pub recent: u32,
    /// `[UNSEEN n]` for IMAP4rev1 clients: the first unseen message's UID, if any.
    pub first_unseen: Option<u32>,
    /// The mailbox can only be read (`[READ-ONLY]` even after SELECT).
    pub read_only: bool,
}

/// A change to the selected mailbox, pushed with [`Server::push`](super::Server::push) at any
/// time (from another session's APPEND, a delivery, a flag change...). The machine sends it
/// where RFC 9051 allows: at once during IDLE; otherwise before the tagged status of the
/// next command that allows it (never an EXPUNGE while answering FETCH, STORE or SEARCH,
/// RFC 9051 §7.5.1), in the order pushed, with sequence numbers computed from the client's
/// view at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// A new message with this UID (larger than every UID so far): `* n EXISTS`.
    Exists {
        /// The new message's UID.
        uid: u32,
    },
    /// The message with this UID was removed: `* n EXPUNGE`, or `* VANISHED uid` once the
    /// client enabled QRESYNC. Pushing a UID the client no longer sees does nothing, so
    /// every session can be told of every expunge.
    Expunged {
        /// The removed message's UID.
        uid: u32,
    },
    /// The message's flags changed: `* n FETCH (FLAGS (...))`, with `UID` once QRESYNC is
    /// enabled and `MODSEQ` once CONDSTORE is.
    Flags {
        /// The message's UID.
        uid: u32,
        /// All its flags now.
        flags: Vec<Flag>,
        /// Its new mod-sequence (CONDSTORE).
        modseq: Option<u64>,
    },
}
