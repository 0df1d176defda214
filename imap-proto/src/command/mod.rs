//! Client commands (RFC 3501, RFC 9051 and the extensions of the crate docs), decoded from a
//! framed unit and encoded through the [`Encoder`](crate::encode::Encoder).
//!
//! A [`Command`] is a tag and a [`CommandBody`], one variant per command. The `UID` forms are
//! the same variants with `uid: true`. Commands this crate does not know decode as
//! [`CommandBody::Other`] with their arguments as a [`Token`] tree, so a server can answer them
//! `BAD` with the right tag instead of failing the connection.
//!
//! Two client lines are not commands: the answers inside an `AUTHENTICATE` exchange
//! ([`AuthenticateData`]) and the `DONE` that ends `IDLE` ([`IdleDone`]). Each has its own
//! decoder, since only the state machine knows when one is due.
//!
//! Values hold [`Bytes`](bytes::Bytes) slices of the unit they were decoded from: decoding
//! copies nothing but escaped quoted strings, and a `Command` is `'static`.

use std::num::{NonZeroU32, NonZeroU64};

use mail_sansio::Secret;

use crate::types::{
    AString, Atom, DateTime, Flag, IString, Literal8, Mailbox, NString, SeqSetOrSaved, Tag,
};

mod codec;
mod encode;
mod fetch;
mod search;
pub(crate) mod shared;

pub use codec::{AuthenticateData, DecodeOptions, IdleDone};
pub use fetch::{FetchAttribute, FetchAttributes, FetchModifier, Partial};
pub use search::{EntryKind, SearchKey, SearchReturnOption};
pub use shared::{ObjectId, Section, SectionText, Token};

/// One client command: `command = tag SP (command-any / command-auth / command-nonauth /
/// command-select) CRLF` (RFC 9051 §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The tag the server echoes in the tagged status.
    pub tag: Tag,
    /// What the command asks for.
    pub body: CommandBody,
}

impl Command {
    /// A command with `tag` and `body`.
    pub const fn new(tag: Tag, body: CommandBody) -> Self {
        Self { tag, body }
    }
}

/// The body of a [`Command`]: one variant per command.
///
/// Sequence sets are [`SeqSetOrSaved`] everywhere, since SEARCHRES (RFC 5182) lets `$` stand
/// for any of them. Lists that the grammar requires to be non-empty (`ENABLE` capabilities,
/// `STATUS` items, `APPEND` messages, SEARCH keys, SORT criteria) must be non-empty when
/// encoded; decoding never produces an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandBody {
    /// `CAPABILITY` (RFC 9051 §6.1.1).
    Capability,
    /// `NOOP` (RFC 9051 §6.1.2).
    Noop,
    /// `LOGOUT` (RFC 9051 §6.1.3).
    Logout,
    /// `STARTTLS` (RFC 9051 §6.2.1).
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (RFC 9051 §6.2.2, SASL-IR RFC 4959).
    Authenticate {
        /// The SASL mechanism name.
        mechanism: Atom,
        /// The decoded initial response; `Some` of an empty value is sent as `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `LOGIN userid password` (RFC 9051 §6.2.3).
    Login {
        /// The user name.
        username: AString,
        /// The password (redacted in `Debug`).
        password: Secret<AString>,
    },
    /// `SELECT mailbox [(params)]` (RFC 9051 §6.3.2, CONDSTORE/QRESYNC RFC 7162).
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// `CONDSTORE` and `QRESYNC` parameters.
        params: SelectParams,
    },
    /// `EXAMINE mailbox [(params)]` (RFC 9051 §6.3.3).
    Examine {
        /// The mailbox.
        mailbox: Mailbox,
        /// `CONDSTORE` and `QRESYNC` parameters.
        params: SelectParams,
    },
    /// `CREATE mailbox [(USE (attrs))]` (RFC 9051 §6.3.4, CREATE-SPECIAL-USE RFC 6154).
    Create {
        /// The mailbox.
        mailbox: Mailbox,
        /// The special uses asked for; empty: no `USE` parameter.
        special_use: Vec<SpecialUse>,
    },
    /// `DELETE mailbox` (RFC 9051 §6.3.5).
    Delete(Mailbox),
    /// `RENAME from to` (RFC 9051 §6.3.6).
    Rename {
        /// The existing mailbox.
        from: Mailbox,
        /// Its new name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox` (RFC 9051 §6.3.7).
    Subscribe(Mailbox),
    /// `UNSUBSCRIBE mailbox` (RFC 9051 §6.3.8).
    Unsubscribe(Mailbox),
    /// `LIST` (RFC 9051 §6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819).
    ///
    /// With no selection options, one pattern and no return options it is encoded in the basic
    /// form `LIST reference pattern`.
    List {
        /// Selection options (`(SUBSCRIBED)`, ...).
        selection: Vec<ListSelectOption>,
        /// The reference name (often `""`).
        reference: Mailbox,
        /// One or more patterns (`*` and `%` wildcards).
        patterns: Vec<ListMailbox>,
        /// Return options (`RETURN (CHILDREN STATUS (...))`).
        return_options: Vec<ListReturnOption>,
    },
    /// `LSUB reference pattern` (RFC 3501 §6.3.9).
    Lsub {
        /// The reference name.
        reference: Mailbox,
        /// The pattern.
        pattern: ListMailbox,
    },
    /// `NAMESPACE` (RFC 9051 §6.3.10, RFC 2342).
    Namespace,
    /// `STATUS mailbox (items)` (RFC 9051 §6.3.11).
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The attributes asked for (non-empty).
        items: Vec<StatusAttribute>,
    },
    /// `APPEND mailbox message...` (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, BINARY RFC 3516).
    Append {
        /// The destination mailbox.
        mailbox: Mailbox,
        /// One message, or several under MULTIAPPEND (non-empty).
        messages: Vec<AppendMessage>,
    },
    /// `IDLE` (RFC 9051 §6.3.13, RFC 2177); the client ends it with [`IdleDone`].
    Idle,
    /// `ENABLE capability...` (RFC 9051 §6.3.1, RFC 5161).
    Enable(Vec<Atom>),
    /// `ID (field value ...)` or `ID NIL` (RFC 2971).
    Id(Option<Vec<(IString, NString)>>),
    /// `UNSELECT` (RFC 9051 §6.4.2, RFC 3691).
    Unselect,
    /// `UNAUTHENTICATE` (RFC 8437).
    Unauthenticate,
    /// `CHECK` (RFC 3501 §6.4.1).
    Check,
    /// `CLOSE` (RFC 9051 §6.4.1).
    Close,
    /// `EXPUNGE` (RFC 9051 §6.4.3).
    Expunge,
    /// `UID EXPUNGE set` (RFC 9051 §6.4.9, UIDPLUS RFC 4315).
    UidExpunge(SeqSetOrSaved),
    /// `[UID] SEARCH [RETURN (...)] [CHARSET x] keys` (RFC 9051 §6.4.4, ESEARCH RFC 4731,
    /// SEARCHRES RFC 5182).
    Search {
        /// `UID SEARCH`.
        uid: bool,
        /// `RETURN (...)`; `None` asks for the classic `* SEARCH` answer, `Some` of an empty
        /// list for `RETURN ()` (ESEARCH with `ALL`).
        return_options: Option<Vec<SearchReturnOption>>,
        /// `CHARSET x`.
        charset: Option<AString>,
        /// The keys, all of which must match (non-empty).
        criteria: Vec<SearchKey>,
    },
    /// `[UID] FETCH set attributes [(modifiers)]` (RFC 9051 §6.4.5, CONDSTORE/QRESYNC).
    Fetch {
        /// `UID FETCH`.
        uid: bool,
        /// The messages.
        set: SeqSetOrSaved,
        /// What to fetch.
        attributes: FetchAttributes,
        /// `CHANGEDSINCE n`, `VANISHED`.
        modifiers: Vec<FetchModifier>,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags` (RFC 9051 §6.4.6),
    /// and Gmail's `X-GM-LABELS` form.
    Store {
        /// `UID STORE`.
        uid: bool,
        /// The messages.
        set: SeqSetOrSaved,
        /// `UNCHANGEDSINCE n` (CONDSTORE).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        action: StoreAction,
        /// `.SILENT`: no untagged FETCH answers.
        silent: bool,
        /// The flags or labels.
        item: StoreItem,
    },
    /// `[UID] COPY set mailbox` (RFC 9051 §6.4.7).
    Copy {
        /// `UID COPY`.
        uid: bool,
        /// The messages.
        set: SeqSetOrSaved,
        /// The destination.
        mailbox: Mailbox,
    },
    /// `[UID] MOVE set mailbox` (RFC 9051 §6.4.8, RFC 6851).
    Move {
        /// `UID MOVE`.
        uid: bool,
        /// The messages.
        set: SeqSetOrSaved,
        /// The destination.
        mailbox: Mailbox,
    },
    /// `[UID] SORT [RETURN (...)] (criteria) charset keys` (RFC 5256, ESORT RFC 5267).
    Sort {
        /// `UID SORT`.
        uid: bool,
        /// ESORT return options; `None` for the classic `* SORT` answer.
        return_options: Option<Vec<SearchReturnOption>>,
        /// The sort criteria (non-empty).
        criteria: Vec<SortCriterion>,
        /// The charset of the search strings.
        charset: AString,
        /// The search keys (non-empty).
        search: Vec<SearchKey>,
    },
    /// `[UID] THREAD algorithm charset keys` (RFC 5256).
    Thread {
        /// `UID THREAD`.
        uid: bool,
        /// `ORDEREDSUBJECT`, `REFERENCES`, ...
        algorithm: Atom,
        /// The charset of the search strings.
        charset: AString,
        /// The search keys (non-empty).
        search: Vec<SearchKey>,
    },
    /// `GETQUOTA root` (RFC 9208).
    GetQuota(AString),
    /// `GETQUOTAROOT mailbox` (RFC 9208).
    GetQuotaRoot(Mailbox),
    /// `SETQUOTA root (resource limit ...)` (RFC 9208).
    SetQuota {
        /// The quota root.
        root: AString,
        /// Resource names (`STORAGE`, `MESSAGE`, ...) with their limits.
        limits: Vec<(Atom, u64)>,
    },
    /// `GETMETADATA [(options)] mailbox entries` (RFC 5464).
    GetMetadata {
        /// `MAXSIZE n`.
        max_size: Option<u32>,
        /// `DEPTH 0|1|infinity`.
        depth: Option<MetadataDepth>,
        /// The mailbox; the empty name is the server.
        mailbox: Mailbox,
        /// Entry names (non-empty).
        entries: Vec<AString>,
    },
    /// `SETMETADATA mailbox (entry value ...)` (RFC 5464).
    SetMetadata {
        /// The mailbox; the empty name is the server.
        mailbox: Mailbox,
        /// Entries with their values; `NIL` removes an entry (non-empty).
        entries: Vec<(AString, MetadataValue)>,
    },
    /// `COMPRESS algorithm` (RFC 4978).
    Compress {
        /// `DEFLATE`.
        algorithm: Atom,
    },
    /// A command this crate does not know, with its arguments as a token tree.
    Other {
        /// The command name.
        name: Atom,
        /// The arguments.
        args: Vec<Token>,
    },
}

/// Parameters of `SELECT` and `EXAMINE`.
///
/// ```abnf
/// select-params = SP "(" select-param *(SP select-param) ")"     ; RFC 4466
/// select-param  =/ "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
///                  mod-sequence-value [SP known-uids] [SP seq-match-data] ")"  ; RFC 7162
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectParams {
    /// `CONDSTORE`.
    pub condstore: bool,
    /// `QRESYNC (...)`.
    pub qresync: Option<QResync>,
}

/// The `QRESYNC` select parameter (RFC 7162 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QResync {
    /// The UIDVALIDITY the client last saw.
    pub uid_validity: NonZeroU32,
    /// The last known mod-sequence.
    pub mod_seq: NonZeroU64,
    /// The UIDs the client knows.
    pub known_uids: Option<SeqSetOrSaved>,
    /// `(known-sequence-set known-uid-set)`.
    pub seq_match: Option<(SeqSetOrSaved, SeqSetOrSaved)>,
}

/// A special use (RFC 6154 §2): `use-attr = "\All" / "\Archive" / "\Drafts" / "\Flagged" /
/// "\Junk" / "\Sent" / "\Trash" / use-attr-ext`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecialUse {
    /// `\All`.
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`.
    Flagged,
    /// `\Junk`.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
    /// Another `\name`: the name without the backslash.
    Other(Atom),
}

/// A LIST selection option (RFC 5258 §3.1): `mbox-list-sopt = "SUBSCRIBED" / "REMOTE" /
/// "RECURSIVEMATCH" / "SPECIAL-USE" / option-extension`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListSelectOption {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `REMOTE`.
    Remote,
    /// `RECURSIVEMATCH`.
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// Another option name (without value).
    Other(Atom),
}

/// A LIST return option (RFC 5258 §3.2, RFC 5819, RFC 6154): `return-option = "SUBSCRIBED" /
/// "CHILDREN" / "STATUS" SP "(" status-att *(SP status-att) ")" / "SPECIAL-USE" /
/// option-extension`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListReturnOption {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `CHILDREN`.
    Children,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// `STATUS (items)` (non-empty).
    Status(Vec<StatusAttribute>),
    /// Another option name (without value).
    Other(Atom),
}

/// A LIST pattern: `list-mailbox = 1*list-char / string` (RFC 9051 §9), the content.
///
/// Any octet but NUL; the encoder writes it bare when every octet is a `list-char` (which
/// keeps `*` and `%` unquoted), quoted or as a literal otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ListMailbox(IString);

impl ListMailbox {
    /// The pattern's content.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The pattern as a string value.
    pub const fn as_string(&self) -> &IString {
        &self.0
    }
}

impl From<IString> for ListMailbox {
    fn from(value: IString) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for ListMailbox {
    type Error = crate::error::InvalidValue;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        IString::try_from(value).map(Self)
    }
}

/// A STATUS attribute request (RFC 9051 §6.3.11 and extensions).
///
/// ```abnf
/// status-att = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" / "DELETED" / "SIZE" /
///              "RECENT" / "HIGHESTMODSEQ" / "APPENDLIMIT" / "MAILBOXID" / "DELETED-STORAGE"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusAttribute {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (RFC 3501).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (RFC 9051).
    Deleted,
    /// `SIZE` (RFC 8438).
    Size,
    /// `HIGHESTMODSEQ` (RFC 7162).
    HighestModSeq,
    /// `APPENDLIMIT` (RFC 7889).
    AppendLimit,
    /// `MAILBOXID` (RFC 8474).
    MailboxId,
    /// `DELETED-STORAGE` (RFC 9208).
    DeletedStorage,
    /// Another attribute name.
    Other(Atom),
}

/// One message of an `APPEND` (RFC 3502 `append-message = append-opts SP append-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set on the new message.
    pub flags: Vec<Flag>,
    /// The internal date to give it.
    pub date: Option<DateTime>,
    /// The message itself.
    pub data: AppendData,
}

/// The data of an appended message: `append-data = literal / literal8` (RFC 3502, RFC 3516).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppendData {
    /// A plain literal `{n}` (no NUL).
    Literal(IString),
    /// A literal8 `~{n}` (BINARY): any octet.
    Literal8(Literal8),
    /// A literal the framer streamed out as start/chunk/end events instead of keeping it in
    /// the unit: only its length is here. Encoding one writes the announcement only (the
    /// caller sends the data itself).
    Streamed {
        /// The announced length.
        len: u64,
        /// Whether it was announced as literal8 (`~{n}`).
        binary: bool,
    },
}

/// How `STORE` changes the flags: `FLAGS`, `+FLAGS` or `-FLAGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreAction {
    /// Replace the flags.
    Replace,
    /// Add to the flags (`+`).
    Add,
    /// Remove from the flags (`-`).
    Remove,
}

/// What `STORE` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreItem {
    /// `FLAGS (flag ...)`.
    Flags(Vec<Flag>),
    /// Gmail's `X-GM-LABELS (label ...)`.
    GmLabels(Vec<AString>),
}

/// One SORT criterion (RFC 5256 §3, RFC 5957): `sort-criterion = ["REVERSE" SP] sort-key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// A SORT key (RFC 5256 §3, DISPLAYFROM/DISPLAYTO RFC 5957).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortKey {
    /// `ARRIVAL`.
    Arrival,
    /// `CC`.
    Cc,
    /// `DATE`.
    Date,
    /// `FROM`.
    From,
    /// `SIZE`.
    Size,
    /// `SUBJECT`.
    Subject,
    /// `TO`.
    To,
    /// `DISPLAYFROM`.
    DisplayFrom,
    /// `DISPLAYTO`.
    DisplayTo,
    /// Another key.
    Other(Atom),
}

/// `DEPTH` of `GETMETADATA` (RFC 5464 §4.2.2): `"0" / "1" / "infinity"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetadataDepth {
    /// `0`: the entry only.
    Zero,
    /// `1`: the entry and its children.
    One,
    /// `infinity`: the whole subtree.
    Infinity,
}

/// A `SETMETADATA` value (RFC 5464 §5): `value = nstring / literal8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataValue {
    /// A string, or `NIL` to remove the entry.
    String(NString),
    /// A literal8 (may hold NUL).
    Literal8(Literal8),
}
