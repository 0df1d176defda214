//! SEARCH keys and return options (RFC 9051 §6.4.4 and extensions).

use std::num::NonZeroU32;

use crate::command::shared::ObjectId;
use crate::types::{AString, Atom, Date, Flag, SeqSetOrSaved};

/// One search key (RFC 9051 §9 `search-key`, plus RFC 3501's `NEW`/`OLD`/`RECENT`, CONDSTORE
/// `MODSEQ`, WITHIN `OLDER`/`YOUNGER`, OBJECTID, SAVEDATE and Gmail's `X-GM-*`).
///
/// `And` is a parenthesised list; a list of keys at the top of a command is also an AND.
/// Nesting (`And`, `Not`, `Or`) is bounded by the list depth limit when decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchKey {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC string`.
    Bcc(AString),
    /// `BEFORE date`.
    Before(Date),
    /// `BODY string`.
    Body(AString),
    /// `CC string`.
    Cc(AString),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM string`.
    From(AString),
    /// `HEADER field-name string`.
    Header(AString, AString),
    /// `KEYWORD flag-keyword`.
    Keyword(Atom),
    /// `LARGER n`.
    Larger(u64),
    /// `NEW` (RFC 3501).
    New,
    /// `NOT key`.
    Not(Box<Self>),
    /// `OLD` (RFC 3501).
    Old,
    /// `ON date`.
    On(Date),
    /// `OR key key`.
    Or(Box<Self>, Box<Self>),
    /// `RECENT` (RFC 3501).
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date`.
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `SINCE date`.
    Since(Date),
    /// `SMALLER n`.
    Smaller(u64),
    /// `SUBJECT string`.
    Subject(AString),
    /// `TEXT string`.
    Text(AString),
    /// `TO string`.
    To(AString),
    /// `UID set`.
    Uid(SeqSetOrSaved),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag-keyword`.
    Unkeyword(Atom),
    /// `UNSEEN`.
    Unseen,
    /// A bare sequence set (or `$`).
    SequenceSet(SeqSetOrSaved),
    /// `(key key ...)`: every key must match (non-empty).
    And(Vec<Self>),
    /// `MODSEQ ["/flags/flag" kind] n` (RFC 7162 §3.1.5).
    ModSeq {
        /// The metadata item the mod-sequence is about.
        entry: Option<(Flag, EntryKind)>,
        /// The mod-sequence.
        mod_seq: u64,
    },
    /// `OLDER seconds` (RFC 5032).
    Older(NonZeroU32),
    /// `YOUNGER seconds` (RFC 5032).
    Younger(NonZeroU32),
    /// `EMAILID id` (RFC 8474).
    EmailId(ObjectId),
    /// `THREADID id` (RFC 8474).
    ThreadId(ObjectId),
    /// `SAVEDBEFORE date` (RFC 8514).
    SavedBefore(Date),
    /// `SAVEDON date` (RFC 8514).
    SavedOn(Date),
    /// `SAVEDSINCE date` (RFC 8514).
    SavedSince(Date),
    /// `SAVEDATESUPPORTED` (RFC 8514).
    SaveDateSupported,
    /// Gmail's `X-GM-RAW string`.
    GmRaw(AString),
    /// Gmail's `X-GM-MSGID n`.
    GmMsgId(u64),
    /// Gmail's `X-GM-THRID n`.
    GmThrId(u64),
    /// Gmail's `X-GM-LABELS label`.
    GmLabels(AString),
}

/// The kind of a `MODSEQ` search entry (RFC 7162 §3.1.5): `entry-type-req = "priv" /
/// "shared" / "all"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// `priv`.
    Private,
    /// `shared`.
    Shared,
    /// `all`.
    All,
}

/// A SEARCH (or SORT) return option (RFC 4731 §3.1, SEARCHRES RFC 5182, PARTIAL RFC 9394).
///
/// ```abnf
/// search-return-opt = "MIN" / "MAX" / "ALL" / "COUNT" / "SAVE" / search-ret-opt-ext
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchReturnOption {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (SEARCHRES).
    Save,
    /// Another option name (without value).
    Other(Atom),
}
