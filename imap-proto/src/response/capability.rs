//! Capabilities (RFC 3501 §7.2.1, RFC 9051 §7.2.2) and the extensions that add one.
//!
//! Names compare case-insensitively on the wire; decoding maps every spelling of a known name
//! to its variant, and encoding writes the canonical (RFC) spelling. Anything else is kept as
//! [`Capability::Other`] with the atom as sent, never a failure.

use crate::types::Atom;

/// One capability name from `* CAPABILITY`, a `[CAPABILITY ...]` code or `* ENABLED`.
///
/// ```abnf
/// capability = ("AUTH=" auth-type) / atom   ; RFC 3501 §9
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `IMAP4rev1` (RFC 3501).
    Imap4Rev1,
    /// `IMAP4rev2` (RFC 9051); a server may advertise it without `IMAP4rev1`.
    Imap4Rev2,
    /// `AUTH=<mechanism>`: a SASL mechanism the server offers.
    Auth(Atom),
    /// `LOGINDISABLED`: LOGIN is refused (usually until STARTTLS).
    LoginDisabled,
    /// `STARTTLS`.
    StartTls,
    /// `IDLE` (RFC 2177).
    Idle,
    /// `LITERAL+` (RFC 7888): non-synchronising literals of any size.
    LiteralPlus,
    /// `LITERAL-` (RFC 7888): non-synchronising literals up to 4096 octets.
    LiteralMinus,
    /// `SASL-IR` (RFC 4959): initial response on the AUTHENTICATE line.
    SaslIr,
    /// `ENABLE` (RFC 5161).
    Enable,
    /// `CONDSTORE` (RFC 7162).
    CondStore,
    /// `QRESYNC` (RFC 7162).
    QResync,
    /// `UIDPLUS` (RFC 4315).
    UidPlus,
    /// `MOVE` (RFC 6851).
    Move,
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `ID` (RFC 2971).
    Id,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `CHILDREN` (RFC 3348).
    Children,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// `CREATE-SPECIAL-USE` (RFC 6154).
    CreateSpecialUse,
    /// `LIST-EXTENDED` (RFC 5258).
    ListExtended,
    /// `LIST-STATUS` (RFC 5819).
    ListStatus,
    /// `ESEARCH` (RFC 4731).
    ESearch,
    /// `SEARCHRES` (RFC 5182).
    SearchRes,
    /// `SORT` (RFC 5256).
    Sort,
    /// `SORT=DISPLAY` (RFC 5957).
    SortDisplay,
    /// `THREAD=<algorithm>` (RFC 5256).
    Thread(Atom),
    /// `BINARY` (RFC 3516).
    Binary,
    /// `UTF8=ACCEPT` (RFC 6855).
    Utf8Accept,
    /// `UTF8=ONLY` (RFC 6855).
    Utf8Only,
    /// `QUOTA` (RFC 9208).
    Quota,
    /// `QUOTA=RES-<resource>` (RFC 9208).
    QuotaRes(Atom),
    /// `QUOTASET` (RFC 9208).
    QuotaSet,
    /// `METADATA` (RFC 5464).
    Metadata,
    /// `METADATA-SERVER` (RFC 5464).
    MetadataServer,
    /// `COMPRESS=<algorithm>` (RFC 4978).
    Compress(Atom),
    /// `STATUS=SIZE` (RFC 8438).
    StatusSize,
    /// `OBJECTID` (RFC 8474).
    ObjectId,
    /// `SAVEDATE` (RFC 8514).
    SaveDate,
    /// `PREVIEW` (RFC 8970).
    Preview,
    /// `APPENDLIMIT` or `APPENDLIMIT=<n>` (RFC 7889).
    AppendLimit(Option<u32>),
    /// `MULTIAPPEND` (RFC 3502).
    MultiAppend,
    /// `UNAUTHENTICATE` (RFC 8437).
    Unauthenticate,
    /// `ACL` (RFC 4314).
    Acl,
    /// `WITHIN` (RFC 5032).
    Within,
    /// `ESORT` (RFC 5267).
    ESort,
    /// `X-GM-EXT-1`: Gmail's X-GM-MSGID, X-GM-THRID and X-GM-LABELS.
    XGmExt1,
    /// Any other capability, kept as sent.
    Other(Atom),
}

/// Spelling table for the parameterless capabilities: (canonical name, variant).
const SIMPLE: &[(&str, Capability)] = &[
    ("IMAP4rev1", Capability::Imap4Rev1),
    ("IMAP4rev2", Capability::Imap4Rev2),
    ("LOGINDISABLED", Capability::LoginDisabled),
    ("STARTTLS", Capability::StartTls),
    ("IDLE", Capability::Idle),
    ("LITERAL+", Capability::LiteralPlus),
    ("LITERAL-", Capability::LiteralMinus),
    ("SASL-IR", Capability::SaslIr),
    ("ENABLE", Capability::Enable),
    ("CONDSTORE", Capability::CondStore),
    ("QRESYNC", Capability::QResync),
    ("UIDPLUS", Capability::UidPlus),
    ("MOVE", Capability::Move),
    ("NAMESPACE", Capability::Namespace),
    ("ID", Capability::Id),
    ("UNSELECT", Capability::Unselect),
    ("CHILDREN", Capability::Children),
    ("SPECIAL-USE", Capability::SpecialUse),
    ("CREATE-SPECIAL-USE", Capability::CreateSpecialUse),
    ("LIST-EXTENDED", Capability::ListExtended),
    ("LIST-STATUS", Capability::ListStatus),
    ("ESEARCH", Capability::ESearch),
    ("SEARCHRES", Capability::SearchRes),
    ("SORT", Capability::Sort),
    ("SORT=DISPLAY", Capability::SortDisplay),
    ("BINARY", Capability::Binary),
    ("UTF8=ACCEPT", Capability::Utf8Accept),
    ("UTF8=ONLY", Capability::Utf8Only),
    ("QUOTA", Capability::Quota),
    ("QUOTASET", Capability::QuotaSet),
    ("METADATA", Capability::Metadata),
    ("METADATA-SERVER", Capability::MetadataServer),
    ("STATUS=SIZE", Capability::StatusSize),
    ("OBJECTID", Capability::ObjectId),
    ("SAVEDATE", Capability::SaveDate),
    ("PREVIEW", Capability::Preview),
    ("APPENDLIMIT", Capability::AppendLimit(None)),
    ("MULTIAPPEND", Capability::MultiAppend),
    ("UNAUTHENTICATE", Capability::Unauthenticate),
    ("ACL", Capability::Acl),
    ("WITHIN", Capability::Within),
    ("ESORT", Capability::ESort),
    ("X-GM-EXT-1", Capability::XGmExt1),
];

/// Prefixes of the capabilities that carry a parameter after `=`.
const PREFIXED: &[&str] = &[
    "AUTH=",
    "THREAD=",
    "QUOTA=RES-",
    "COMPRESS=",
    "APPENDLIMIT=",
];

impl Capability {
    /// Classifies an atom from the wire (case-insensitive).
    pub fn from_atom(atom: Atom) -> Self {
        let bytes = atom.as_bytes();
        for (name, cap) in SIMPLE {
            if bytes.eq_ignore_ascii_case(name.as_bytes()) {
                return cap.clone();
            }
        }
        for (index, prefix) in PREFIXED.iter().enumerate() {
            let Some(head) = bytes.get(..prefix.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(prefix.as_bytes()) {
                continue;
            }
            let Some(rest) = bytes.get(prefix.len()..) else {
                continue;
            };
            if index == 4 {
                return match parse_u32(rest) {
                    Some(n) => Self::AppendLimit(Some(n)),
                    None => Self::Other(atom),
                };
            }
            let Ok(param) = Atom::try_from(atom.as_shared().slice(prefix.len()..)) else {
                return Self::Other(atom);
            };
            return match index {
                0 => Self::Auth(param),
                1 => Self::Thread(param),
                2 => Self::QuotaRes(param),
                _ => Self::Compress(param),
            };
        }
        Self::Other(atom)
    }

    /// The canonical spelling of a parameterless capability, `None` for the others.
    pub(crate) fn simple_name(&self) -> Option<&'static str> {
        SIMPLE
            .iter()
            .find(|(_, cap)| cap == self)
            .map(|(name, _)| *name)
    }

    /// Writes the capability as one atom.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(name) = self.simple_name() {
            out.extend_from_slice(name.as_bytes());
            return;
        }
        let (prefix, param): (&str, &[u8]) = match self {
            Self::Auth(a) => ("AUTH=", a.as_bytes()),
            Self::Thread(a) => ("THREAD=", a.as_bytes()),
            Self::QuotaRes(a) => ("QUOTA=RES-", a.as_bytes()),
            Self::Compress(a) => ("COMPRESS=", a.as_bytes()),
            Self::AppendLimit(Some(n)) => {
                out.extend_from_slice(b"APPENDLIMIT=");
                out.extend_from_slice(n.to_string().as_bytes());
                return;
            }
            Self::Other(a) => ("", a.as_bytes()),
            // Every parameterless variant is in SIMPLE.
            _ => ("", b"IMAP4rev1"),
        };
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(param);
    }
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}
