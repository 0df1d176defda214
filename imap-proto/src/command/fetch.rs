//! FETCH attribute requests and modifiers (RFC 9051 §6.4.5 and extensions).

use std::num::NonZeroU64;

use crate::command::shared::Section;

/// What a FETCH asks for: a macro or a list of attributes.
///
/// ```abnf
/// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
///         fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttributes {
    /// `ALL`: `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    All,
    /// `FAST`: `(FLAGS INTERNALDATE RFC822.SIZE)`.
    Fast,
    /// `FULL`: `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    Full,
    /// Attributes, written bare when there is one and in parentheses otherwise (non-empty).
    List(Vec<FetchAttribute>),
}

impl FetchAttributes {
    /// The attributes a macro stands for (RFC 9051 §6.4.5); a list as it is.
    pub fn expand(&self) -> Vec<FetchAttribute> {
        use FetchAttribute as A;
        match self {
            Self::All => vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
            Self::Fast => vec![A::Flags, A::InternalDate, A::Rfc822Size],
            Self::Full => vec![
                A::Flags,
                A::InternalDate,
                A::Rfc822Size,
                A::Envelope,
                A::Body,
            ],
            Self::List(list) => list.clone(),
        }
    }
}

/// One FETCH attribute request (RFC 9051 §9 `fetch-att`, with RFC 3501's `RFC822*`, CONDSTORE
/// `MODSEQ`, SAVEDATE, OBJECTID, PREVIEW and Gmail's `X-GM-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchAttribute {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (RFC 3501).
    Rfc822,
    /// `RFC822.HEADER` (RFC 3501).
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT` (RFC 3501).
    Rfc822Text,
    /// `BODY`: the non-extensible body structure.
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    BodySection {
        /// `BODY.PEEK`: do not set `\Seen`.
        peek: bool,
        /// Which part (part numbers must be non-zero; `MIME` needs a part number).
        section: Section,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[part]<partial>` (RFC 3516).
    Binary {
        /// `BINARY.PEEK`.
        peek: bool,
        /// The part numbers (non-zero), outermost first; empty for the whole message.
        part: Vec<u32>,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize {
        /// The part numbers (non-zero).
        part: Vec<u32>,
    },
    /// `MODSEQ` (RFC 7162).
    ModSeq,
    /// `SAVEDATE` (RFC 8514).
    SaveDate,
    /// `EMAILID` (RFC 8474).
    EmailId,
    /// `THREADID` (RFC 8474).
    ThreadId,
    /// `PREVIEW` or `PREVIEW (LAZY)` (RFC 8970).
    Preview {
        /// `LAZY`: only if the server has it at hand.
        lazy: bool,
    },
    /// Gmail's `X-GM-MSGID`.
    GmMsgId,
    /// Gmail's `X-GM-THRID`.
    GmThrId,
    /// Gmail's `X-GM-LABELS`.
    GmLabels,
}

/// A partial range `<offset.length>` (RFC 9051: `partial = "<" number64 "." nz-number64 ">"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// The first octet.
    pub offset: u64,
    /// How many octets at most.
    pub length: NonZeroU64,
}

/// A FETCH modifier (RFC 7162 §3.1.4.1, §3.2.6).
///
/// ```abnf
/// fetch-modifier = chgsince-fetch-mod / "VANISHED"
/// chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchModifier {
    /// `CHANGEDSINCE n`.
    ChangedSince(u64),
    /// `VANISHED` (QRESYNC, with `UID FETCH` only).
    Vanished,
}
