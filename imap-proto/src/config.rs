//! Limits with their RFC defaults, the [`Leniency`] switches for real-world quirks, and the
//! [`TlsMode`] both sides share.

/// How TLS is used on the connection (ARCHITECTURE.md, the STARTTLS contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TlsMode {
    /// TLS from the first byte (port 993, RFC 8314 §3.3): the driver runs the handshake
    /// before creating the session; STARTTLS is neither offered nor used.
    Implicit,
    /// STARTTLS (RFC 9051 §6.2.1) before anything else. A client fails when the server does
    /// not offer it, refuses it or greets with PREAUTH in plaintext; a server offers it with
    /// `LOGINDISABLED` and accepts only CAPABILITY, STARTTLS, LOGOUT and NOOP until it is done.
    #[default]
    Required,
    /// No TLS at all: credentials travel in the clear. Only for tests and loopback.
    DangerousPlaintext,
}

/// Limits; every default cites where it comes from (DESIGN.md, "Limits").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Line octets before authentication, CRLF included: 8 KiB (RFC 9051 §4 asks servers to
    /// accept lines of at least 8000 octets; a short limit bounds what an anonymous peer costs).
    pub line_before_auth: usize,
    /// Line octets after authentication: 64 KiB (RFC 7162 §4 asks for at least 8192; long
    /// UID sets and SEARCH results need more).
    pub line: usize,
    /// Largest non-synchronising literal under LITERAL-: 4096 octets (RFC 7888 §4). A larger
    /// `{n+}` is refused with `BAD [TOOBIG]`.
    pub non_sync_literal: u64,
    /// Largest literal accepted at all: 64 MiB (no RFC default; APPENDLIMIT, RFC 7889,
    /// advertises it).
    pub literal: u64,
    /// Literals longer than this stream as start/chunk/end events instead of being kept in
    /// the unit: 64 KiB.
    pub literal_stream_threshold: u64,
    /// Octets of one unit (a line plus the literals kept in it): 8 MiB.
    pub unit: usize,
    /// Nesting depth of a BODYSTRUCTURE: 8 (DESIGN.md; real messages rarely pass 5).
    pub body_depth: u32,
    /// Nesting depth of parenthesised lists and SEARCH keys: 16 (DESIGN.md).
    pub list_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            line_before_auth: 8 * 1024,
            line: 64 * 1024,
            non_sync_literal: 4096,
            literal: 64 * 1024 * 1024,
            literal_stream_threshold: 64 * 1024,
            unit: 8 * 1024 * 1024,
            body_depth: 8,
            list_depth: 16,
        }
    }
}

/// Runtime switches for the ways real peers break the grammar. [`Leniency::strict`] (the
/// default) turns every one off; [`Leniency::lenient`] turns every one on. Encoders never
/// write any of these quirks.
///
/// Each switch names the peers seen doing it (imap-anchors §6.2, issue trackers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Leniency {
    /// Extra spaces: before `)` (`* 1 FETCH (UID 19436 )`, qq.com; `* FLAGS (\Seen )`,
    /// SurgeMail), at the end of a line (`* SEARCH 1 2 `), and doubled between items
    /// (`UID 1  FLAGS ()`).
    pub extra_spaces: bool,
    /// A status response with no text (`A1 OK`, `* OK [HIGHESTMODSEQ 1]`, Gmail; RFC 7162
    /// errata 5055).
    pub missing_text: bool,
    /// A continuation request with no text: `+` with no space after it.
    pub bare_continuation: bool,
    /// `NIL` where a string is required (BODYSTRUCTURE parameters, Mail.ru) is read as the
    /// empty string.
    pub nil_as_empty_string: bool,
    /// Lines ending in LF without CR (seen from some proxies and test servers).
    pub bare_lf: bool,
    /// Negative numbers where an unsigned one is required (`RFC822.SIZE -1`) and numbers
    /// above their range (`* 4294967296 EXISTS`) are accepted and flagged instead of failing
    /// the response.
    pub negative_numbers: bool,
    /// A NUL inside a plain `{n}` literal (only `~{n}` may hold one) is accepted.
    pub nul_in_literal: bool,
    /// A mailbox name that is not canonical modified UTF-7 (`&AGE-` for `a`, two runs side by
    /// side), or that holds 8-bit octets without UTF8=ACCEPT, is accepted as it is.
    pub non_canonical_utf7: bool,
    /// 8-bit octets that are not UTF-8 inside a quoted string (legacy servers sending
    /// Latin-1 subjects and names) are accepted as they are.
    pub raw_8bit: bool,
    /// Dates that bend `date-time`: a day not padded to two characters (`1-Jan-2024`) and
    /// a missing zone.
    pub loose_date_time: bool,
    /// A multipart BODYSTRUCTURE with no parts, `("ALTERNATIVE")` (Gmail, for a
    /// `message/rfc822` part whose body it could not parse; MailKit #1841).
    pub empty_multipart: bool,
    /// `MODSEQ (n)` inside an ESEARCH response, where RFC 7162 has `MODSEQ n` (MailKit #323).
    pub modseq_in_parens: bool,
}

impl Leniency {
    /// Every switch off: the RFC grammar only.
    pub const fn strict() -> Self {
        Self {
            extra_spaces: false,
            missing_text: false,
            bare_continuation: false,
            nil_as_empty_string: false,
            bare_lf: false,
            negative_numbers: false,
            nul_in_literal: false,
            non_canonical_utf7: false,
            raw_8bit: false,
            loose_date_time: false,
            empty_multipart: false,
            modseq_in_parens: false,
        }
    }

    /// Every switch on: accept whatever the known peers send.
    pub const fn lenient() -> Self {
        Self {
            extra_spaces: true,
            missing_text: true,
            bare_continuation: true,
            nil_as_empty_string: true,
            bare_lf: true,
            negative_numbers: true,
            nul_in_literal: true,
            non_canonical_utf7: true,
            raw_8bit: true,
            loose_date_time: true,
            empty_multipart: true,
            modseq_in_parens: true,
        }
    }
}
