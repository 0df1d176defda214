//! Server responses (RFC 3501 §7, RFC 9051 §7): the greeting, status responses, untagged data
//! and continuation requests, decoded and encoded.
//!
//! Values own their data as [`Bytes`] slices of the framed unit they were decoded from, so a
//! [`Response`] is `'static`, cheap to clone and needs no `into_owned`. Decoding is strict by
//! default; each known server quirk is a named switch on [`Leniency`](crate::config::Leniency)
//! with its provenance documented there and a test input in `tests/response_*.rs`.
//!
//! Two recovery rules keep one bad value from losing a whole response:
//! - an unknown response code, capability, FETCH item or untagged response is kept as raw text
//!   or a [`Token`] tree, never a failure;
//! - a FETCH item whose value breaks its grammar (a malformed ENVELOPE or BODYSTRUCTURE) becomes
//!   [`FetchItem::Invalid`] with its raw bytes, and the other items of that FETCH still arrive.
//!
//! # Decoding
//!
//! [`Response::decode`] / [`Response::decode_with`] take bytes and find the unit's end
//! themselves (one copy of the unit); [`Response::from_unit`] takes a unit from the
//! [`Framer`](crate::frame::Framer) with no copy, and turns literals the framer streamed out
//! into [`Payload::Streamed`]. [`Greeting`] has the same three.
//!
//! # Leniency
//!
//! Each switch of [`Leniency`](crate::config::Leniency) that bends the response grammar, the
//! peer seen doing it (imap-anchors §6.2) and its test in `tests/response_known.rs`:
//!
//! | switch | input | seen from | test |
//! |---|---|---|---|
//! | `extra_spaces` | `* 1 FETCH (UID 19436 )`, `* FLAGS (\Seen )`, `* SEARCH 1 2 `, `UID 1  FLAGS ()` | qq.com, SurgeMail | `fetch_trailing_space_qq`, `flags_trailing_space_surgemail`, `double_space` |
//! | `missing_text` | `* OK [HIGHESTMODSEQ 13632]`, `A1 OK` | Gmail (RFC 7162 errata 5055) | `status_code_without_text_gmail` |
//! | `bare_continuation` | `+` | several servers' literal go-ahead | `bare_continuation` |
//! | `nil_as_empty_string` | `("boundary" NIL)`, NIL body-fld-enc | Mail.ru (imap-codec #700, #41) | `bodystructure_nil_param_value_mailru` |
//! | `negative_numbers` | `RFC822.SIZE -1`, `[UIDVALIDITY 0]`, `* 4294967296 EXISTS` | modern-email defects #52 | `negative_rfc822_size`, `numbers_at_the_edges` |
//! | `empty_multipart` | `("ALTERNATIVE")` | Gmail (MailKit #1841) | `gmail_empty_multipart` |
//! | `modseq_in_parens` | `* ESEARCH ... MODSEQ (9)` | MailKit #323 | `esearch_correct_and_broken` |
//! | `bare_lf` | `* 3 EXISTS\n` | proxies, test servers | `bare_lf_is_rejected_strict` |
//! | `non_canonical_utf7` | `* LIST () "/" "&AGE-"` | (item 26) | `list_modified_utf7` |
//!
//! Strict mode still keeps a response whose one item is malformed (the item is
//! [`FetchItem::Invalid`]), and reads a known code with bad arguments (`[UIDVALIDITY 0]`) as
//! an unknown one, as the ABNF's `atom [SP 1*<any TEXT-CHAR except "]">]` alternative says. A
//! line that is not a response (Exchange 2013's bare `[COPYUID ...]`, ruby/net-imap #250) is an
//! error for that unit only; the framer has already found the next one.
//!
//! # Encoding
//!
//! The encoder writes the RFC's forms only: a text after every code (a placeholder when the
//! text is empty), plain `{n}` literals (never `{n+}`, whatever [`Encoder`](crate::Encoder) is
//! passed), NIL for an empty address list or parameter list, and the shortest BODYSTRUCTURE
//! extension data that keeps every field that is set.

mod body;
mod capability;
pub(crate) mod code;
mod decode;
mod encode;
mod envelope;
mod fetch;

use bytes::Bytes;

use crate::error::InvalidValue;
use crate::types::{AString, Atom, Flag, IString, Literal8, Mailbox, NString, SequenceSet, Tag};

/// Shared with commands: one type names a section, an object id or a token tree in a FETCH
/// request and in its answer.
pub use crate::command::{ObjectId, Section, SectionText, Token};
pub use body::{
    BodyExtension, BodyFields, BodyStructure, Disposition, ExtensionTail, MultipartExtension,
    SingleKind, SinglePartExtension,
};
pub use capability::Capability;
pub use code::{Code, OtherCode};
pub use envelope::{Address, Envelope};
pub use fetch::{Fetch, FetchItem, InvalidItem, Payload};

/// The server's first line.
///
/// ```abnf
/// greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF
/// resp-cond-auth = ("OK" / "PREAUTH") SP resp-text
/// resp-cond-bye  = "BYE" SP resp-text
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// OK, PREAUTH or BYE.
    pub kind: GreetingKind,
    /// The response code, often `[CAPABILITY ...]`.
    pub code: Option<Code>,
    /// Human-readable text.
    pub text: Text,
}

/// The three kinds of greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreetingKind {
    /// `* OK`: not authenticated yet.
    Ok,
    /// `* PREAUTH`: already authenticated (for example by the transport).
    PreAuth,
    /// `* BYE`: the server refuses the connection.
    Bye,
}

/// One server response after the greeting.
///
/// ```abnf
/// response      = *(continue-req / response-data) response-done   ; one line of each here
/// response-data = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data / message-data /
///                 capability-data / enable-data) CRLF
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// A status response, tagged or untagged.
    Status(Status),
    /// Untagged data.
    Data(Data),
    /// A continuation request (`+ ...`).
    Continuation(Continuation),
}

/// A status response: `tag OK/NO/BAD`, `* OK/NO/BAD`, `* BYE` or `* PREAUTH`, with an optional
/// code and a text.
///
/// ```abnf
/// response-tagged = tag SP resp-cond-state CRLF
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// resp-text       = ["[" resp-text-code "]" SP] [text]        ; RFC 9051: text optional
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Who the status is for and what it says.
    pub kind: StatusKind,
    /// The response code.
    pub code: Option<Code>,
    /// Human-readable text. Empty only when decoded from an RFC 9051 `OK ` line or, in
    /// lenient mode, from a line with no text (Gmail); the encoder then writes a placeholder
    /// because RFC 3501 readers need one.
    pub text: Text,
}

/// Tagged or untagged, and the condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `tag OK/NO/BAD`: completes the command with that tag.
    Tagged(Tag, Condition),
    /// `* OK/NO/BAD`: information, warning or error not tied to a command.
    Untagged(Condition),
    /// `* BYE`: the server is closing the connection.
    Bye,
    /// `* PREAUTH` (normally only as the greeting).
    PreAuth,
}

/// OK, NO or BAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// Success (or information when untagged).
    Ok,
    /// Operational failure (or a warning when untagged).
    No,
    /// Protocol error.
    Bad,
}

impl Status {
    /// The tag, for a tagged status.
    pub fn tag(&self) -> Option<&Tag> {
        match &self.kind {
            StatusKind::Tagged(tag, _) => Some(tag),
            _ => None,
        }
    }
}

/// A continuation request: the server waits for a literal, an AUTHENTICATE response or DONE.
///
/// ```abnf
/// continue-req = "+" SP (resp-text / base64) CRLF
/// ```
///
/// A SASL challenge is base64 and is kept here as text (base64 characters are text): the
/// session knows when it is in an AUTHENTICATE exchange and reads it as base64 then. An empty
/// text is valid (`+ ` is an empty base64 challenge) and is encoded as `+ `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// The response code.
    pub code: Option<Code>,
    /// The text, or the base64 challenge.
    pub text: Text,
}

/// Human-readable text of a status or continuation (`text = 1*TEXT-CHAR`).
///
/// Any octet but CR, LF and NUL (8-bit text is allowed: RFC 9051 permits UTF-8 and servers send
/// Latin-1). A text built by [`Text::try_from`] may not start with `[` without a code, or it
/// would be read back as a code; text decoded from the wire is kept as it was.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// The empty text (RFC 9051 `[text]` absent).
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    pub(crate) fn from_wire(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The text's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, when it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
        if let Some(&byte) = bytes.iter().find(|&&b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(InvalidValue::ForbiddenByte { what: "text", byte });
        }
        if bytes.first() == Some(&b'[') {
            return Err(InvalidValue::ForbiddenByte {
                what: "text",
                byte: b'[',
            });
        }
        Ok(())
    }
}

impl TryFrom<&str> for Text {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::check(value.as_bytes())?;
        Ok(Self(Bytes::copy_from_slice(value.as_bytes())))
    }
}

impl TryFrom<&[u8]> for Text {
    type Error = InvalidValue;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::check(value)?;
        Ok(Self(Bytes::copy_from_slice(value)))
    }
}

impl TryFrom<Bytes> for Text {
    type Error = InvalidValue;
    fn try_from(value: Bytes) -> Result<Self, Self::Error> {
        Self::check(&value)?;
        Ok(Self(value))
    }
}

/// Untagged data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// `* CAPABILITY ...`.
    Capability(Vec<Capability>),
    /// `* ENABLED ...` (RFC 5161).
    Enabled(Vec<Capability>),
    /// `* LIST ...`.
    List(MailboxList),
    /// `* LSUB ...` (RFC 3501).
    Lsub(MailboxList),
    /// `* STATUS mailbox (...)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The attributes, in wire order.
        items: Vec<StatusItem>,
    },
    /// `* SEARCH n n ...` with the CONDSTORE `(MODSEQ n)` suffix.
    Search {
        /// The matching numbers.
        numbers: Vec<u32>,
        /// The highest mod-sequence of the matches (RFC 7162).
        modseq: Option<u64>,
    },
    /// `* ESEARCH ...` (RFC 4731, RFC 9051).
    ESearch(ESearch),
    /// `* SORT n n ...` (RFC 5256) with the CONDSTORE `(MODSEQ n)` suffix.
    Sort {
        /// The numbers in sort order.
        numbers: Vec<u32>,
        /// The highest mod-sequence of the matches (RFC 7162).
        modseq: Option<u64>,
    },
    /// `* THREAD (...)...` (RFC 5256).
    Thread(Vec<Thread>),
    /// `* FLAGS (...)`.
    Flags(Vec<Flag>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT` (RFC 3501).
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(u32),
    /// `* VANISHED [(EARLIER)] uids` (RFC 7162).
    Vanished {
        /// `(EARLIER)`: an answer to a FETCH with VANISHED, not a fresh expunge.
        earlier: bool,
        /// The expunged UIDs.
        uids: SequenceSet,
    },
    /// `* n FETCH (...)`.
    Fetch(Fetch),
    /// `* NAMESPACE ...` (RFC 2342).
    Namespace(Namespaces),
    /// `* ID (...)` or `* ID NIL` (RFC 2971): field/value pairs.
    Id(Option<Vec<(IString, NString)>>),
    /// `* QUOTA root (...)` (RFC 9208).
    Quota {
        /// The quota root.
        root: AString,
        /// Usage and limit per resource.
        resources: Vec<QuotaResource>,
    },
    /// `* QUOTAROOT mailbox root...` (RFC 9208).
    QuotaRoot {
        /// The mailbox asked about.
        mailbox: Mailbox,
        /// Its quota roots.
        roots: Vec<AString>,
    },
    /// `* METADATA mailbox ...` (RFC 5464).
    Metadata {
        /// The mailbox, or `""` for server annotations.
        mailbox: Mailbox,
        /// Entries with values, or bare entry names (unsolicited change notice).
        items: MetadataItems,
    },
    /// An untagged response this crate does not know, kept as a token tree:
    /// `* [number SP] name [SP tokens]`.
    Other {
        /// A leading number (`* 5 XFOO`).
        number: Option<u32>,
        /// The response name.
        name: Atom,
        /// The rest of the line.
        tokens: Vec<Token>,
    },
}

/// A `LIST` or `LSUB` line.
///
/// ```abnf
/// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
///                [SP mbox-list-extended]
/// mbox-list-extended = "(" [mbox-list-extended-item *(SP mbox-list-extended-item)] ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxList {
    /// Name attributes (`\HasChildren`, `\Sent`, ...).
    pub attributes: Vec<ListAttribute>,
    /// The hierarchy delimiter; `None` for NIL (a flat namespace).
    pub delimiter: Option<char>,
    /// The mailbox. A mailbox named `NIL` or `200` is a name, never nil or a number.
    pub mailbox: Mailbox,
    /// LIST-EXTENDED data items (RFC 5258).
    pub extended: Vec<ListExtendedItem>,
}

/// A mailbox name attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListAttribute {
    /// `\Noinferiors`.
    NoInferiors,
    /// `\Noselect`.
    NoSelect,
    /// `\Marked`.
    Marked,
    /// `\Unmarked`.
    Unmarked,
    /// `\HasChildren` (RFC 3348, 5258).
    HasChildren,
    /// `\HasNoChildren`.
    HasNoChildren,
    /// `\NonExistent` (RFC 5258).
    NonExistent,
    /// `\Subscribed` (RFC 5258).
    Subscribed,
    /// `\Remote` (RFC 5258).
    Remote,
    /// `\All` (RFC 6154).
    All,
    /// `\Archive` (RFC 6154).
    Archive,
    /// `\Drafts` (RFC 6154).
    Drafts,
    /// `\Flagged` (RFC 6154).
    Flagged,
    /// `\Junk` (RFC 6154).
    Junk,
    /// `\Sent` (RFC 6154).
    Sent,
    /// `\Trash` (RFC 6154).
    Trash,
    /// `\Important` (RFC 8457).
    Important,
    /// Any other `\Name`, kept without the backslash.
    Extension(Atom),
}

/// A LIST-EXTENDED data item.
///
/// ```abnf
/// mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val
/// ; CHILDINFO (RFC 5258): "CHILDINFO" SP "(" list-select-base-opt-quoted *(SP ...) ")"
/// ; OLDNAME (RFC 9051):   "OLDNAME" SP "(" mailbox ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListExtendedItem {
    /// `CHILDINFO ("SUBSCRIBED" ...)`.
    ChildInfo(Vec<IString>),
    /// `OLDNAME (mailbox)`: the name before a RENAME.
    OldName(Mailbox),
    /// Any other item.
    Other {
        /// The item tag.
        tag: Atom,
        /// Its value.
        value: Token,
    },
}

/// One attribute of a `* STATUS` response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusItem {
    /// `MESSAGES n`.
    Messages(u32),
    /// `RECENT n` (RFC 3501).
    Recent(u32),
    /// `UIDNEXT n`.
    UidNext(u32),
    /// `UIDVALIDITY n`.
    UidValidity(u32),
    /// `UNSEEN n`.
    Unseen(u32),
    /// `DELETED n` (RFC 9051).
    Deleted(u32),
    /// `SIZE n` (RFC 8438).
    Size(u64),
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(u64),
    /// `APPENDLIMIT n` or `APPENDLIMIT NIL` (RFC 7889).
    AppendLimit(Option<u32>),
    /// `MAILBOXID (id)` (RFC 8474).
    MailboxId(ObjectId),
    /// `DELETED-STORAGE n` (RFC 9208).
    DeletedStorage(u64),
    /// Any other attribute with a numeric value.
    Other {
        /// The attribute name.
        name: Atom,
        /// Its value.
        value: u64,
    },
}

/// `* ESEARCH` data (RFC 4731).
///
/// ```abnf
/// esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
/// search-correlator = SP "(" "TAG" SP tag-string ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ESearch {
    /// The tag of the command this answers.
    pub tag: Option<IString>,
    /// The numbers are UIDs.
    pub uid: bool,
    /// The returned data.
    pub items: Vec<ESearchItem>,
}

/// One `search-return-data` item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ESearchItem {
    /// `MIN n`.
    Min(u32),
    /// `MAX n`.
    Max(u32),
    /// `ALL set`.
    All(SequenceSet),
    /// `COUNT n`.
    Count(u32),
    /// `MODSEQ n` (RFC 7162). `MODSEQ (n)` (MailKit #323) is read in lenient mode.
    ModSeq(u64),
    /// Any other item.
    Other {
        /// The item name.
        name: Atom,
        /// Its value.
        value: Token,
    },
}

/// One thread of a `* THREAD` response (RFC 5256).
///
/// ```abnf
/// thread-list    = "(" (thread-members / thread-nested) ")"
/// thread-members = nz-number *(SP nz-number) [SP thread-nested]
/// thread-nested  = 2*thread-list
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    /// The messages of the thread's trunk, parent first.
    pub members: Vec<u32>,
    /// The branches after the last member (never exactly one on the wire; two or more when
    /// `members` is empty).
    pub children: Vec<Self>,
}

/// `* NAMESPACE` data (RFC 2342, RFC 9051).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespaces {
    /// Personal namespaces (NIL is empty).
    pub personal: Vec<NamespaceDescription>,
    /// Other users' namespaces.
    pub other: Vec<NamespaceDescription>,
    /// Shared namespaces.
    pub shared: Vec<NamespaceDescription>,
}

/// One namespace.
///
/// ```abnf
/// Namespace-Descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) [Namespace-Response-Extensions] ")"
/// Namespace-Response-Extension = SP string SP "(" string *(SP string) ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescription {
    /// The prefix.
    pub prefix: IString,
    /// The hierarchy delimiter; `None` for NIL (Yahoo Japan sends `("" NIL)`).
    pub delimiter: Option<char>,
    /// Extensions: name and values.
    pub extensions: Vec<(IString, Vec<IString>)>,
}

/// One resource of a `* QUOTA` response (RFC 9208).
///
/// ```abnf
/// quota-resource = resource-name SP resource-usage SP resource-limit
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource {
    /// `STORAGE`, `MESSAGE`, `MAILBOX`, `ANNOTATION-STORAGE` or another atom.
    pub name: Atom,
    /// Current usage.
    pub usage: u64,
    /// The limit.
    pub limit: u64,
}

/// The body of a `* METADATA` response (RFC 5464).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataItems {
    /// `(entry value ...)`: values (NIL removes; literal8 allowed).
    Values(Vec<(AString, Option<Literal8>)>),
    /// `entry ...`: entries that changed (unsolicited).
    Entries(Vec<AString>),
}
