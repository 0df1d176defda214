//! Response codes: the bracketed `[...]` after OK, NO, BAD, BYE and PREAUTH.
//!
//! Every code of RFC 3501/9051 and of the extensions in the crate's list is typed. Anything
//! else, and a known code whose arguments do not follow its grammar in lenient mode, is kept as
//! [`Code::Other`] with its raw text, e.g. Outlook 365's
//! `[Error="Cross Server access ..." Proxy=host:1993:SSL Service=Imap4]`.

use bytes::Bytes;

use crate::response::Capability;
use crate::response::ObjectId;
use crate::types::{AString, FlagPerm, SequenceSet};

/// A response code.
///
/// ```abnf
/// resp-text-code = "ALERT" / "BADCHARSET" [SP "(" charset *(SP charset) ")" ] /
///                  capability-data / "PARSE" /
///                  "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
///                  "READ-ONLY" / "READ-WRITE" / "TRYCREATE" /
///                  "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
///                  "UNSEEN" SP nz-number /
///                  atom [SP 1*<any TEXT-CHAR except "]">]      ; RFC 3501 §9
/// resp-code-apnd = "APPENDUID" SP nz-number SP append-uid       ; RFC 4315
/// resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set ; RFC 4315
/// resp-text-code =/ "UIDNOTSTICKY" / "HIGHESTMODSEQ" SP mod-sequence-value /
///                   "NOMODSEQ" / "MODIFIED" SP sequence-set / "CLOSED" ; RFC 4315, 7162
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// `ALERT`: the text must be shown to the user.
    Alert,
    /// `BADCHARSET`, with the charsets the server supports (may be empty). The encoder leaves
    /// out a charset that would need a literal: a status line cannot carry one.
    BadCharset(Vec<AString>),
    /// `CAPABILITY ...`: the capabilities, saving a CAPABILITY round trip.
    Capability(Vec<Capability>),
    /// `PARSE`: the server could not parse a message's headers.
    Parse,
    /// `PERMANENTFLAGS (...)`.
    PermanentFlags(Vec<FlagPerm>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`: the target mailbox does not exist but could be created.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(u32),
    /// `UIDVALIDITY n`. The grammar says nz-number; `0` (modern-email defects #52) is accepted
    /// in lenient mode and kept so that the application can report it.
    UidValidity(u32),
    /// `UNSEEN n`.
    Unseen(u32),
    /// `APPENDUID uidvalidity uid-set` (RFC 4315; a set for MULTIAPPEND).
    AppendUid {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// The UIDs given to the appended messages.
        uids: SequenceSet,
    },
    /// `COPYUID uidvalidity source-set dest-set` (RFC 4315; also sent for MOVE).
    CopyUid {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// The source UIDs.
        source: SequenceSet,
        /// The UIDs in the target, in the same order.
        destination: SequenceSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315).
    UidNotSticky,
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(u64),
    /// `NOMODSEQ` (RFC 7162).
    NoModSeq,
    /// `MODIFIED set` (RFC 7162): messages that failed UNCHANGEDSINCE.
    Modified(SequenceSet),
    /// `CLOSED` (RFC 7162): the previous mailbox is closed.
    Closed,
    /// `TOOBIG` (RFC 4469, RFC 7888).
    TooBig,
    /// `UNAVAILABLE` (RFC 5530).
    Unavailable,
    /// `AUTHENTICATIONFAILED` (RFC 5530).
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED` (RFC 5530).
    AuthorizationFailed,
    /// `EXPIRED` (RFC 5530).
    Expired,
    /// `PRIVACYREQUIRED` (RFC 5530).
    PrivacyRequired,
    /// `CONTACTADMIN` (RFC 5530).
    ContactAdmin,
    /// `NOPERM` (RFC 5530).
    NoPerm,
    /// `INUSE` (RFC 5530).
    InUse,
    /// `EXPUNGEISSUED` (RFC 5530).
    ExpungeIssued,
    /// `CORRUPTION` (RFC 5530).
    Corruption,
    /// `SERVERBUG` (RFC 5530).
    ServerBug,
    /// `CLIENTBUG` (RFC 5530).
    ClientBug,
    /// `CANNOT` (RFC 5530).
    Cannot,
    /// `LIMIT` (RFC 5530).
    Limit,
    /// `OVERQUOTA` (RFC 5530).
    OverQuota,
    /// `ALREADYEXISTS` (RFC 5530).
    AlreadyExists,
    /// `NONEXISTENT` (RFC 5530).
    NonExistent,
    /// `HASCHILDREN` (RFC 9051).
    HasChildren,
    /// `MAILBOXID (id)` (RFC 8474).
    MailboxId(ObjectId),
    /// `COMPRESSIONACTIVE` (RFC 4978).
    CompressionActive,
    /// `USEATTR` (RFC 6154).
    UseAttr,
    /// `NOTSAVED` (RFC 5182).
    NotSaved,
    /// `UNKNOWN-CTE` (RFC 3516).
    UnknownCte,
    /// `METADATA LONGENTRIES n` (RFC 5464).
    MetadataLongEntries(u32),
    /// `METADATA MAXSIZE n` (RFC 5464).
    MetadataMaxSize(u32),
    /// `METADATA TOOMANY` (RFC 5464).
    MetadataTooMany,
    /// `METADATA NOPRIVATE` (RFC 5464).
    MetadataNoPrivate,
    /// Any other code, kept as the raw text between `[` and `]`.
    Other(OtherCode),
}

/// An unknown response code: the raw octets between `[` and `]`.
///
/// The name is the leading atom; the rest is kept untouched (it may hold quoted strings, as
/// Outlook's `Error="..."` does). Built from the wire or through [`OtherCode::new`], which
/// refuses what could not be read back the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherCode(Bytes);

impl OtherCode {
    /// Validates raw code text: non-empty, starts with an atom character, no CR, LF or NUL,
    /// and no `]` outside a quoted string.
    pub fn new(raw: impl Into<Bytes>) -> Result<Self, crate::error::InvalidValue> {
        let raw = raw.into();
        if code_text_ok(&raw) {
            Ok(Self(raw))
        } else {
            Err(crate::error::InvalidValue::Syntax {
                what: "response code",
                reason: "not readable back as one code",
            })
        }
    }

    pub(crate) fn from_wire(raw: Bytes) -> Self {
        Self(raw)
    }

    /// The raw text between the brackets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The code name: the leading run of atom characters.
    pub fn name(&self) -> &[u8] {
        let end = self
            .0
            .iter()
            .position(|&b| !is_atom(b))
            .unwrap_or(self.0.len());
        self.0.get(..end).unwrap_or_default()
    }
}

fn is_atom(b: u8) -> bool {
    crate::types::string::class::is(b, crate::types::string::class::ATOM)
}

/// Checks that `raw` would be read back as the same unknown code.
fn code_text_ok(raw: &[u8]) -> bool {
    let Some(&first) = raw.first() else {
        return false;
    };
    if !is_atom(first) {
        return false;
    }
    let mut quoted = false;
    let mut escaped = false;
    for &b in raw {
        if matches!(b, b'\r' | b'\n' | 0) {
            return false;
        }
        if quoted {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = false;
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b']' {
            return false;
        }
    }
    !quoted
}

/// Names of the codes without arguments, with their variants, for lookup and encoding.
pub(crate) const SIMPLE_CODES: &[(&str, Code)] = &[
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("NOMODSEQ", Code::NoModSeq),
    ("CLOSED", Code::Closed),
    ("TOOBIG", Code::TooBig),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("OVERQUOTA", Code::OverQuota),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("HASCHILDREN", Code::HasChildren),
    ("COMPRESSIONACTIVE", Code::CompressionActive),
    ("USEATTR", Code::UseAttr),
    ("NOTSAVED", Code::NotSaved),
    ("UNKNOWN-CTE", Code::UnknownCte),
];
