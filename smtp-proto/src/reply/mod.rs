//! SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463).
//!
//! The writer puts the enhanced code on every line of a multi-line reply (RFC 2034 §4) and can
//! never emit a bare CR or LF inside text: [`Reply`] is validated when built. The reader keeps
//! non-UTF-8 text as bytes, accepts code-only lines (`334`) and reports a continuation line
//! whose code differs from the first.

mod assembler;
pub(crate) mod reader;

use std::fmt;
use std::hash::{Hash, Hasher};

use bytes::BytesMut;
use mail_sansio::Parsed;

use crate::error::{InvalidValue, ParseError};
use crate::parse;

pub use assembler::ReplyAssembler;
use reader::{MAX_REPLY, Spans};

/// A three-digit reply code, `%x32-35 %x30-35 %x30-39` (RFC 5321 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// 220: service ready (greeting, STARTTLS go-ahead).
    pub const SERVICE_READY: Self = Self(220);
    /// 221: closing.
    pub const CLOSING: Self = Self(221);
    /// 235: authentication succeeded (RFC 4954).
    pub const AUTH_OK: Self = Self(235);
    /// 250: requested action completed.
    pub const OK: Self = Self(250);
    /// 252: cannot verify, will attempt delivery.
    pub const CANNOT_VERIFY: Self = Self(252);
    /// 334: SASL continuation (RFC 4954).
    pub const AUTH_CONTINUE: Self = Self(334);
    /// 354: start mail input.
    pub const START_INPUT: Self = Self(354);
    /// 421: service not available, closing.
    pub const UNAVAILABLE: Self = Self(421);
    /// 450: mailbox unavailable (temporary).
    pub const MAILBOX_BUSY: Self = Self(450);
    /// 451: local error.
    pub const LOCAL_ERROR: Self = Self(451);
    /// 452: insufficient storage / too many recipients.
    pub const INSUFFICIENT_STORAGE: Self = Self(452);
    /// 500: syntax error, command unrecognised or line too long.
    pub const SYNTAX_ERROR: Self = Self(500);
    /// 501: syntax error in parameters.
    pub const PARAMETER_ERROR: Self = Self(501);
    /// 502: command not implemented.
    pub const NOT_IMPLEMENTED: Self = Self(502);
    /// 503: bad sequence of commands.
    pub const BAD_SEQUENCE: Self = Self(503);
    /// 504: parameter not implemented.
    pub const PARAMETER_NOT_IMPLEMENTED: Self = Self(504);
    /// 530: authentication (or STARTTLS) required.
    pub const AUTH_REQUIRED: Self = Self(530);
    /// 535: authentication credentials invalid.
    pub const AUTH_FAILED: Self = Self(535);
    /// 550: mailbox unavailable.
    pub const MAILBOX_UNAVAILABLE: Self = Self(550);
    /// 552: exceeded storage allocation.
    pub const EXCEEDED_STORAGE: Self = Self(552);
    /// 553: mailbox name not allowed.
    pub const MAILBOX_NAME_NOT_ALLOWED: Self = Self(553);
    /// 554: transaction failed.
    pub const TRANSACTION_FAILED: Self = Self(554);
    /// 555: MAIL/RCPT parameters not recognised.
    pub const PARAMETERS_NOT_RECOGNISED: Self = Self(555);

    /// Validates `%x32-35 %x30-35 %x30-39`.
    pub const fn new(code: u16) -> Result<Self, InvalidValue> {
        if code >= 200 && code < 600 && (code / 10) % 10 <= 5 {
            Ok(Self(code))
        } else {
            Err(InvalidValue::OutOfRange { what: "reply code" })
        }
    }

    pub(crate) const fn new_unchecked(code: u16) -> Self {
        Self(code)
    }

    /// The numeric code.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// 2yz.
    pub const fn is_positive(self) -> bool {
        self.0 / 100 == 2
    }

    /// 3yz.
    pub const fn is_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// 4yz.
    pub const fn is_transient(self) -> bool {
        self.0 / 100 == 4
    }

    /// 5yz.
    pub const fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }

    pub(crate) fn digits(self) -> [u8; 3] {
        [
            (self.0 / 100) as u8 + b'0',
            (self.0 / 10 % 10) as u8 + b'0',
            (self.0 % 10) as u8 + b'0',
        ]
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatusCode {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatusCode {
    /// Validates class 2, 4 or 5 and subject and detail of at most three digits.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Result<Self, InvalidValue> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Ok(Self {
                class,
                subject,
                detail,
            })
        } else {
            Err(InvalidValue::OutOfRange {
                what: "enhanced status code",
            })
        }
    }

    pub(crate) const fn new_unchecked(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }

    /// The class: 2 success, 4 persistent transient failure, 5 permanent failure.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject (RFC 3463 §3: 1 addressing, 2 mailbox, 3 mail system, ...).
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail.
    pub const fn detail(self) -> u16 {
        self.detail
    }
}

impl fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl TryFrom<&str> for EnhancedStatusCode {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        match parse::reply::enhanced_code(value.as_bytes()) {
            Some((c, s, d, rest)) if rest.is_empty() && !value.ends_with(' ') => Self::new(c, s, d),
            _ => Err(InvalidValue::Syntax {
                what: "enhanced status code",
                reason: "class.subject.detail",
            }),
        }
    }
}

/// A reply: a code, an optional enhanced status code (written on every line) and one or more
/// lines of text (bytes; text read from the wire may be non-UTF-8).
///
/// One heap buffer holds the text of all lines followed by the table of where each line lies
/// in it, so a reply costs one allocation whatever its line count and is small to move.
/// Replies compare and hash by code, enhanced code and line texts.
#[derive(Clone)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    /// Octets of `buf` that are text (a decoded reply keeps its wire bytes there); the rest is
    /// the line table, `[start, end)` of each line as two little-endian `u32`s.
    text_len: usize,
    buf: Box<[u8]>,
}

fn check_text(text: &[u8]) -> Result<(), InvalidValue> {
    match parse::find_forbidden(text) {
        Some((_, byte)) => Err(InvalidValue::ForbiddenByte {
            what: "reply text",
            byte,
        }),
        None => Ok(()),
    }
}

fn check_size(len: usize) -> Result<(), InvalidValue> {
    if len > MAX_REPLY {
        return Err(InvalidValue::TooLong {
            what: "reply text",
            limit: MAX_REPLY,
        });
    }
    Ok(())
}

impl Reply {
    /// A single-line reply. `text` may not contain CR, LF or NUL.
    pub fn new(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        text: &str,
    ) -> Result<Self, InvalidValue> {
        Self::multiline(code, enhanced, [text])
    }

    /// A multi-line reply, one entry per line (at least one). No line may contain CR, LF or NUL.
    pub fn multiline<I, S>(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: I,
    ) -> Result<Self, InvalidValue>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut text = Vec::new();
        let mut spans = Spans::default();
        for line in lines {
            let line = line.as_ref();
            check_text(line)?;
            check_size(text.len() + line.len())?;
            let start = text.len();
            text.extend_from_slice(line);
            spans.push(start, text.len());
        }
        Ok(Self::from_spans(code, enhanced, &text, &spans))
    }

    /// A reply from lines already known to be free of CR, LF and NUL.
    pub(crate) fn from_trusted_lines<'a>(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        let mut text = Vec::new();
        let mut spans = Spans::default();
        for line in lines {
            let start = text.len();
            text.extend_from_slice(line);
            spans.push(start, text.len());
        }
        Self::from_spans(code, enhanced, &text, &spans)
    }

    /// A reply whose lines are the `spans` of `text` (at most [`MAX_REPLY`] octets); no spans
    /// make one empty line.
    pub(crate) fn from_spans(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        text: &[u8],
        spans: &Spans,
    ) -> Self {
        let spans = spans.as_slice();
        let table = 8 * spans.len().max(1);
        let mut buf = Vec::with_capacity(text.len() + table);
        buf.extend_from_slice(text);
        if spans.is_empty() {
            buf.extend_from_slice(&[0; 8]);
        }
        for span in spans {
            buf.extend_from_slice(&span.to_le_bytes());
        }
        Self {
            code,
            enhanced,
            text_len: text.len(),
            buf: buf.into_boxed_slice(),
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if the reply carries one.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.enhanced
    }

    /// The text of each line, without code and enhanced code.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        let (text, table) = self.buf.split_at_checked(self.text_len).unwrap_or_default();
        table.chunks_exact(8).map(move |entry| {
            reader::span_of(
                text,
                <[u8; 8]>::try_from(entry).map_or(0, u64::from_le_bytes),
            )
        })
    }

    /// All lines joined with `\n`, non-UTF-8 bytes replaced.
    pub fn text_lossy(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.lines().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            s.push_str(&String::from_utf8_lossy(l));
        }
        s
    }

    /// Writes the reply; the enhanced code goes on every line (RFC 2034 §4).
    pub fn encode(&self, out: &mut BytesMut) {
        let code = self.code.digits();
        let esc = self.enhanced.map(|e| e.to_string());
        let n = self.lines().len();
        for (i, line) in self.lines().enumerate() {
            out.extend_from_slice(&code);
            let last = i + 1 == n;
            match (&esc, line.is_empty()) {
                (None, true) => {
                    if !last {
                        out.extend_from_slice(b"-");
                    }
                }
                (Some(e), true) => {
                    out.extend_from_slice(if last { b" " } else { b"-" });
                    out.extend_from_slice(e.as_bytes());
                }
                (Some(e), false) => {
                    out.extend_from_slice(if last { b" " } else { b"-" });
                    out.extend_from_slice(e.as_bytes());
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(line);
                }
                (None, false) => {
                    out.extend_from_slice(if last { b" " } else { b"-" });
                    out.extend_from_slice(line);
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Decodes one reply from the front of `input` with the default [`ReplyLimits`].
    pub fn decode(input: &[u8]) -> Result<Parsed<Self>, ParseError> {
        Self::decode_with(input, &ReplyLimits::default())
    }

    /// Decodes one reply from the front of `input`; lines end with CRLF.
    pub fn decode_with(input: &[u8], limits: &ReplyLimits) -> Result<Parsed<Self>, ParseError> {
        let mut spans = Spans::default();
        // Offsets below `MAX_REPLY` fit 32 bits.
        let Some(head) = reader::frame(input, limits, |start, end, _| {
            spans.push_packed(start as u64 | (end as u64) << 32);
        })?
        else {
            return Ok(Parsed::Incomplete);
        };
        // The spans point into the input: keep its bytes as they are, one copy.
        let text = input.get(..head.consumed).unwrap_or_default();
        Ok(Parsed::Complete {
            value: Self::from_spans(head.code, head.enhanced, text, &spans),
            consumed: head.consumed,
        })
    }
}

impl PartialEq for Reply {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.enhanced == other.enhanced && self.lines().eq(other.lines())
    }
}

impl Eq for Reply {}

impl Hash for Reply {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code.hash(state);
        self.enhanced.hash(state);
        state.write_usize(self.lines().len());
        for line in self.lines() {
            line.hash(state);
        }
    }
}

/// A line written as a byte string literal, `b"..."`, the way `Bytes` writes itself (trace
/// files match on this form).
struct LineDebug<'a>(&'a [u8]);

impl fmt::Debug for LineDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &b in self.0 {
            match b {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'\\' | b'"' => write!(f, "\\{}", char::from(b))?,
                0 => f.write_str("\\0")?,
                0x20..0x7f => write!(f, "{}", char::from(b))?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Lines<'a>(&'a Reply);
        impl fmt::Debug for Lines<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.lines().map(LineDebug))
                    .finish()
            }
        }
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &Lines(self))
            .finish()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Caps that keep a hostile peer's reply bounded (security-anchors §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Octets per line including CRLF; RFC 5321 §4.5.3.1.5 says 512, real servers send more.
    pub max_line: usize,
    /// Lines per reply.
    pub max_lines: usize,
    /// Octets per reply (at most 4 GiB whatever is set here).
    pub max_total: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self {
            max_line: 8192,
            max_lines: 100,
            max_total: 64 * 1024,
        }
    }
}

impl ReplyLimits {
    /// RFC 5321 §4.5.3.1.5: 512 octets per line.
    pub const fn strict() -> Self {
        Self {
            max_line: 512,
            max_lines: 100,
            max_total: 64 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ParseErrorKind;

    fn dec(s: &[u8]) -> Reply {
        match Reply::decode(s).unwrap() {
            Parsed::Complete { value, consumed } => {
                assert_eq!(consumed, s.len());
                value
            }
            Parsed::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn known_answers() {
        let r = dec(b"334\r\n");
        assert_eq!(r.code().get(), 334);
        assert_eq!(r.lines().next(), Some(&b""[..]));
        let r = dec(b"334 \r\n");
        assert_eq!(r.lines().next(), Some(&b""[..]));
        let r = dec(b"220-mx.example ESMTP\r\n220 ready\r\n");
        assert_eq!(r.lines().len(), 2);
        let r = dec(b"550-5.1.1 no such\r\n550 5.1.1 user\r\n");
        assert_eq!(
            r.enhanced().map(|e| e.to_string()).as_deref(),
            Some("5.1.1")
        );
        assert_eq!(r.text_lossy(), "no such\nuser");
        let r = dec(b"250 caf\xe9\r\n");
        assert_eq!(r.lines().next(), Some(&b"caf\xe9"[..]));
        assert!(matches!(
            Reply::decode(b"250-a\r\n251 b\r\n").unwrap_err().kind,
            ParseErrorKind::CodeMismatch {
                expected: 250,
                found: 251
            }
        ));
        for bad in [&b"2500 x\r\n"[..], b"25\r\n", b"250x\r\n", b"099 x\r\n"] {
            assert!(Reply::decode(bad).is_err());
        }
        assert_eq!(
            Reply::decode(b"250-a\r\n250 b").unwrap(),
            Parsed::Incomplete
        );
        assert!(Reply::decode(b"250 a\n").is_err());
        let many = "250-x\r\n".repeat(200);
        assert!(Reply::decode(many.as_bytes()).is_err());
        // More lines than fit inline while reading: spans move to the heap.
        let mut forty = String::new();
        for i in 0..40 {
            forty.push_str(&format!(
                "250{}2.0.0 line {i}\r\n",
                if i == 39 { ' ' } else { '-' }
            ));
        }
        let r = dec(forty.as_bytes());
        assert_eq!(r.lines().len(), 40);
        assert!(
            r.lines()
                .enumerate()
                .all(|(i, l)| l == format!("line {i}").as_bytes())
        );
        let mut assembler = ReplyAssembler::new(ReplyLimits::default());
        let mut assembled = None;
        for line in forty.split_terminator("\r\n") {
            assembled = assembler.push_line(line.as_bytes()).unwrap();
        }
        assert_eq!(assembled, Some(r.clone()));
        assert_eq!(
            Reply::multiline(r.code(), r.enhanced(), r.lines()).unwrap(),
            r
        );
        let long = vec![b'2'; 10_000];
        assert!(Reply::decode(&long).is_err());
    }

    #[test]
    fn writer() {
        let r = Reply::multiline(
            ReplyCode::MAILBOX_UNAVAILABLE,
            Some(EnhancedStatusCode::new(5, 1, 1).unwrap()),
            ["no", "such user"],
        )
        .unwrap();
        assert_eq!(r.to_string(), "550-5.1.1 no\r\n550 5.1.1 such user\r\n");
        assert!(Reply::new(ReplyCode::OK, None, "a\r\nb").is_err());
        assert!(Reply::new(ReplyCode::OK, None, "a\nb").is_err());
        assert!(Reply::multiline(ReplyCode::OK, None, ["a", "b\r"]).is_err());
        assert_eq!(
            Reply::new(ReplyCode::AUTH_CONTINUE, None, "")
                .unwrap()
                .to_string(),
            "334\r\n"
        );
        assert!(ReplyCode::new(600).is_err());
        assert!(ReplyCode::new(260).is_err());
        assert!(EnhancedStatusCode::try_from("5.7.0").is_ok());
        assert!(EnhancedStatusCode::try_from("3.7.0").is_err());
    }
}
