//! FETCH data (RFC 3501 §7.4.2, RFC 9051 §7.5.2) and the items of its extensions.

use bytes::Bytes;

use crate::error::ParseError;
use crate::response::{BodyStructure, Envelope, ObjectId, Section, Token};
use crate::types::{AString, DateTime, FlagFetch, IString, Literal8};

/// `* n FETCH (...)`: the items the server sends for one message.
///
/// ```abnf
/// message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
/// msg-att      = "(" (msg-att-dynamic / msg-att-static) *(SP (msg-att-dynamic / msg-att-static)) ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The message sequence number.
    pub seq: u32,
    /// The items, in wire order.
    pub items: Vec<FetchItem>,
}

impl Fetch {
    /// The UID item, if present.
    pub fn uid(&self) -> Option<u32> {
        self.items.iter().find_map(|item| match item {
            FetchItem::Uid(uid) => Some(*uid),
            _ => None,
        })
    }
}

/// One FETCH item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchItem {
    /// `FLAGS (...)`.
    Flags(Vec<FlagFetch>),
    /// `UID n`.
    Uid(u32),
    /// `INTERNALDATE "..."`.
    InternalDate(DateTime),
    /// `RFC822.SIZE n` (number64 in RFC 9051). A negative size (seen in the wild) is an
    /// [`FetchItem::Invalid`] item in strict mode and 0 in lenient mode
    /// (`Leniency::negative_numbers`).
    Rfc822Size(u64),
    /// `RFC822 nstring`: the whole message (RFC 3501 only).
    Rfc822(Payload<IString>),
    /// `RFC822.HEADER nstring` (RFC 3501 only).
    Rfc822Header(Payload<IString>),
    /// `RFC822.TEXT nstring` (RFC 3501 only).
    Rfc822Text(Payload<IString>),
    /// `BODY[section]<origin> nstring`.
    BodySection {
        /// The section.
        section: Section,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
        /// The content.
        data: Payload<IString>,
    },
    /// `BINARY[part]<origin> (nstring / literal8)` (RFC 3516): decoded content, NUL allowed.
    Binary {
        /// The part numbers (empty for the whole message).
        section: Vec<u32>,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
        /// The content.
        data: Payload<Literal8>,
    },
    /// `BINARY.SIZE[part] n` (RFC 3516).
    BinarySize {
        /// The part numbers.
        section: Vec<u32>,
        /// The decoded size in octets.
        size: u32,
    },
    /// `ENVELOPE (...)`.
    Envelope(Box<Envelope>),
    /// `BODY (...)`: the non-extensible structure.
    Body(Box<BodyStructure>),
    /// `BODYSTRUCTURE (...)`.
    BodyStructure(Box<BodyStructure>),
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(u64),
    /// `EMAILID (id)` (RFC 8474).
    EmailId(ObjectId),
    /// `THREADID (id)` or `THREADID NIL` (RFC 8474).
    ThreadId(Option<ObjectId>),
    /// `SAVEDATE "..."` or `SAVEDATE NIL` (RFC 8514).
    SaveDate(Option<DateTime>),
    /// `PREVIEW nstring` (RFC 8970).
    Preview(Option<IString>),
    /// `X-GM-MSGID n` (Gmail).
    GmMsgId(u64),
    /// `X-GM-THRID n` (Gmail).
    GmThrId(u64),
    /// `X-GM-LABELS (...)` (Gmail). System labels (`\Inbox`) keep their backslash; the
    /// encoder quotes them.
    GmLabels(Vec<AString>),
    /// An item this crate does not know, kept as a token tree.
    Other {
        /// The item name as sent (it may carry a `[...]` section).
        name: Bytes,
        /// Its value.
        value: Token,
    },
    /// An item whose value does not follow its grammar (for example an ENVELOPE or
    /// BODYSTRUCTURE with unescaped quotes, go-imap #659). The other items of the FETCH are
    /// still delivered.
    Invalid(InvalidItem),
}

/// An item that failed its grammar: the raw bytes and the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidItem {
    /// The item name as sent.
    pub name: Bytes,
    /// The raw value (everything after the name and its space, to the end of the item).
    pub raw: Bytes,
    /// Why the value was refused; the offset is relative to the start of the unit.
    pub error: ParseError,
}

/// Message content that comes as a string, a literal, or is streamed by the framer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload<T> {
    /// `NIL`: the server has no such content (differs from an empty string).
    Nil,
    /// The content.
    Data(T),
    /// A literal that was larger than the framer's streaming threshold: its octets were
    /// delivered as literal chunk events, this is only its announced length.
    Streamed {
        /// The announced length in octets.
        len: u64,
    },
}

impl<T> Payload<T> {
    /// The content, when it was delivered inline.
    pub fn data(&self) -> Option<&T> {
        match self {
            Self::Data(data) => Some(data),
            _ => None,
        }
    }
}
