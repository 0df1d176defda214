//! The encoder: validated values to wire bytes.
//!
//! [`Encoder`] appends to a [`BytesMut`] and picks each string's form from its content: an
//! atom when it is one, a quoted string when that is safe, a literal otherwise. CR, LF and NUL
//! can never land inside an atom or a quoted string, because the types cannot hold NUL (but
//! [`Literal8`]) and CR/LF force a literal.
//!
//! A client must stop after a synchronising literal's `{n}\r\n` and wait for the server's `+`
//! (RFC 9051 §4.3). [`Encoded::sync_literals`] records those points. `{n+}` (RFC 7888) is
//! written only when [`EncodeOptions`] says the server allows it, and never by a server,
//! whose literals need no go-ahead.

use bytes::{BufMut, Bytes, BytesMut};

use crate::types::string::class;
use crate::types::{
    AString, Atom, Date, DateTime, Flag, FlagFetch, FlagPerm, IString, Literal8, Mailbox, NString,
    SeqBound, SeqRange, SeqSetOrSaved, SequenceSet, Tag,
};

/// Which side writes: a client's synchronising literals wait for `+`, a server's do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client writes commands.
    Client,
    /// The server writes responses.
    Server,
}

/// What the peer accepts, which decides the form of strings and literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Who writes.
    pub side: Side,
    /// The server advertised LITERAL+ (RFC 7888): every client literal may be `{n+}`.
    pub literal_plus: bool,
    /// The server advertised LITERAL- (RFC 7888, implied by IMAP4rev2): client literals of
    /// at most 4096 octets may be `{n+}`.
    pub literal_minus: bool,
    /// UTF-8 is enabled (IMAP4rev2 or `ENABLE UTF8=ACCEPT`): quoted strings may carry UTF-8.
    pub utf8: bool,
}

impl EncodeOptions {
    /// A client talking to a server that advertised nothing: synchronising literals, 7-bit
    /// quoted strings.
    pub const fn client() -> Self {
        Self {
            side: Side::Client,
            literal_plus: false,
            literal_minus: false,
            utf8: false,
        }
    }

    /// A server: plain literals (no go-ahead needed), 7-bit quoted strings.
    pub const fn server() -> Self {
        Self {
            side: Side::Server,
            literal_plus: false,
            literal_minus: false,
            utf8: false,
        }
    }

    /// Sets [`EncodeOptions::literal_plus`].
    #[must_use]
    pub const fn with_literal_plus(mut self, on: bool) -> Self {
        self.literal_plus = on;
        self
    }

    /// Sets [`EncodeOptions::literal_minus`].
    #[must_use]
    pub const fn with_literal_minus(mut self, on: bool) -> Self {
        self.literal_minus = on;
        self
    }

    /// Sets [`EncodeOptions::utf8`].
    #[must_use]
    pub const fn with_utf8(mut self, on: bool) -> Self {
        self.utf8 = on;
        self
    }
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self::client()
    }
}

/// Largest literal a client may send as `{n+}` under LITERAL- (RFC 7888 §4).
pub const LITERAL_MINUS_MAX: usize = 4096;

/// Longest content written as a quoted string; longer content goes in a literal, so that one
/// argument cannot push a line past the peer's limit.
pub const MAX_QUOTED: usize = 1024;

/// Encoded bytes, with the points where a client must wait for a continuation request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    bytes: Bytes,
    sync_literals: Vec<usize>,
    streamed_literals: Vec<usize>,
}

impl Encoded {
    /// All the bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the bytes out.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Offsets just after each synchronising literal announcement (`{n}\r\n`): a client sends
    /// up to there, then waits for `+` before sending the rest. Empty for a server.
    pub fn sync_literals(&self) -> &[usize] {
        &self.sync_literals
    }

    /// The sync points of [`sync_literals`](Self::sync_literals) that announce a literal
    /// whose data is not in these bytes ([`AppendData::Streamed`]): after the server's `+` the
    /// client sends the data itself, then the bytes from this offset on.
    ///
    /// [`AppendData::Streamed`]: crate::command::AppendData::Streamed
    pub fn streamed_literals(&self) -> &[usize] {
        &self.streamed_literals
    }

    /// The bytes cut at each synchronising literal: send a piece, wait for `+`, send the next.
    pub fn pieces(&self) -> impl Iterator<Item = Bytes> + '_ {
        let ends = self
            .sync_literals
            .iter()
            .copied()
            .chain(std::iter::once(self.bytes.len()));
        let mut start = 0usize;
        ends.filter_map(move |end| {
            let piece =
                (start < end && end <= self.bytes.len()).then(|| self.bytes.slice(start..end));
            start = end.max(start);
            piece
        })
    }
}

/// Writes wire bytes for validated values into a buffer.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: BytesMut,
    options: EncodeOptions,
    sync_literals: Vec<usize>,
    streamed_literals: Vec<usize>,
}

impl Encoder {
    /// An encoder with an empty buffer.
    pub fn new(options: EncodeOptions) -> Self {
        Self::with_buffer(BytesMut::new(), options)
    }

    /// An encoder that appends to `buf` (sync-literal offsets count from the buffer's start).
    pub fn with_buffer(buf: BytesMut, options: EncodeOptions) -> Self {
        Self {
            buf,
            options,
            sync_literals: Vec::new(),
            streamed_literals: Vec::new(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> EncodeOptions {
        self.options
    }

    /// Octets written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes and the synchronising literal points.
    pub fn finish(self) -> Encoded {
        Encoded {
            bytes: self.buf.freeze(),
            sync_literals: self.sync_literals,
            streamed_literals: self.streamed_literals,
        }
    }

    /// The buffer, for callers that ignore the literal points (servers).
    pub fn into_buffer(self) -> BytesMut {
        self.buf
    }

    /// Appends bytes the crate knows are well-formed (keywords, punctuation).
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    #[allow(dead_code, reason = "used by the command and response decoders")]
    /// Appends a keyword or punctuation of the grammar.
    pub(crate) fn keyword(&mut self, word: &'static str) -> &mut Self {
        self.raw(word.as_bytes())
    }

    /// `SP`.
    pub fn sp(&mut self) -> &mut Self {
        self.buf.put_u8(b' ');
        self
    }

    /// `CRLF`, the end of a line.
    pub fn crlf(&mut self) -> &mut Self {
        self.raw(b"\r\n")
    }

    /// `NIL`.
    pub fn nil(&mut self) -> &mut Self {
        self.raw(b"NIL")
    }

    /// A tag.
    pub fn tag(&mut self, tag: &Tag) -> &mut Self {
        self.raw(tag.as_bytes())
    }

    /// An atom.
    pub fn atom(&mut self, atom: &Atom) -> &mut Self {
        self.raw(atom.as_bytes())
    }

    /// `number` (or any unsigned number: `nz-number`, `number64`).
    pub fn number(&mut self, n: impl Into<u64>) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut n: u64 = n.into();
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                // n % 10 < 10.
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(digits.get(at..).unwrap_or_default())
    }

    /// A string: quoted when possible, else a literal.
    pub fn string(&mut self, s: &IString) -> &mut Self {
        self.string_bytes(s.as_bytes())
    }

    /// `string` for content that is known to hold no NUL.
    pub(crate) fn string_bytes(&mut self, content: &[u8]) -> &mut Self {
        if quotable(content, self.options.utf8) {
            self.quoted_unchecked(content)
        } else {
            self.literal_bytes(content, false)
        }
    }

    /// An astring: an atom when the content is one (never `NIL`), else a string.
    pub fn astring(&mut self, s: &AString) -> &mut Self {
        self.astring_bytes(s.as_bytes())
    }

    /// `astring` for content that is known to hold no NUL.
    pub(crate) fn astring_bytes(&mut self, content: &[u8]) -> &mut Self {
        if is_astring_atom(content) {
            self.raw(content)
        } else {
            self.string_bytes(content)
        }
    }

    /// An nstring: `NIL` or a string.
    pub fn nstring(&mut self, s: &NString) -> &mut Self {
        match &s.0 {
            Some(s) => self.string(s),
            None => self.nil(),
        }
    }

    /// A string always written as a literal (APPEND message data).
    pub fn literal(&mut self, s: &IString) -> &mut Self {
        self.literal_bytes(s.as_bytes(), false)
    }

    /// A `literal8` (`~{n}`, RFC 3516): may hold NUL. Only valid where the grammar allows it
    /// (APPEND with BINARY, BINARY fetch data).
    pub fn literal8(&mut self, s: &Literal8) -> &mut Self {
        self.literal_bytes(s.as_bytes(), true)
    }

    /// Writes a client's `{n}` (or `~{n}`) and CRLF for a literal whose data the caller
    /// sends after the server's `+`, and records the point (see
    /// [`Encoded::streamed_literals`]). A server writes the announcement alone.
    pub(crate) fn streamed_literal(&mut self, len: u64, binary: bool) -> &mut Self {
        if binary {
            self.buf.put_u8(b'~');
        }
        self.buf.put_u8(b'{');
        self.number(len);
        self.raw(b"}\r\n");
        if self.options.side == Side::Client {
            self.sync_literals.push(self.buf.len());
            self.streamed_literals.push(self.buf.len());
        }
        self
    }

    /// Writes `{n}` / `{n+}` / `~{n}`, CRLF and the data; records a client's sync points.
    fn literal_bytes(&mut self, data: &[u8], binary: bool) -> &mut Self {
        let o = self.options;
        let client = o.side == Side::Client;
        let non_sync =
            client && (o.literal_plus || (o.literal_minus && data.len() <= LITERAL_MINUS_MAX));
        if binary {
            self.buf.put_u8(b'~');
        }
        self.buf.put_u8(b'{');
        self.number(data.len() as u64);
        if non_sync {
            self.buf.put_u8(b'+');
        }
        self.raw(b"}\r\n");
        if client && !non_sync {
            self.sync_literals.push(self.buf.len());
        }
        self.raw(data)
    }

    /// Writes `content` between double quotes, escaping `"` and `\`; the caller checked
    /// [`quotable`].
    fn quoted_unchecked(&mut self, content: &[u8]) -> &mut Self {
        self.buf.reserve(content.len() + 2);
        self.buf.put_u8(b'"');
        let mut rest = content;
        while let Some(j) = memchr::memchr2(b'"', b'\\', rest) {
            let (run, tail) = rest.split_at(j);
            self.buf.extend_from_slice(run);
            self.buf.put_u8(b'\\');
            if let Some((&c, after)) = tail.split_first() {
                self.buf.put_u8(c);
                rest = after;
            } else {
                rest = tail;
            }
        }
        self.buf.extend_from_slice(rest);
        self.buf.put_u8(b'"');
        self
    }

    /// A mailbox: `INBOX`, or the wire name as an astring.
    pub fn mailbox(&mut self, m: &Mailbox) -> &mut Self {
        match m {
            Mailbox::Inbox => self.raw(b"INBOX"),
            Mailbox::Other(name) => self.astring_bytes(name.as_bytes()),
        }
    }

    /// `seq-number`.
    fn seq_bound(&mut self, b: SeqBound) -> &mut Self {
        match b {
            SeqBound::Value(n) => self.number(n.get()),
            SeqBound::Last => self.raw(b"*"),
        }
    }

    /// A sequence set, e.g. `1:3,5,7:*`.
    pub fn sequence_set(&mut self, set: &SequenceSet) -> &mut Self {
        for (k, r) in set.ranges().iter().enumerate() {
            if k > 0 {
                self.buf.put_u8(b',');
            }
            match *r {
                SeqRange::Single(b) => self.seq_bound(b),
                SeqRange::Range(a, b) => self.seq_bound(a).raw(b":").seq_bound(b),
            };
        }
        self
    }

    /// A sequence set or `$`.
    pub fn seq_set_or_saved(&mut self, set: &SeqSetOrSaved) -> &mut Self {
        match set {
            SeqSetOrSaved::Set(s) => self.sequence_set(s),
            SeqSetOrSaved::Saved => self.raw(b"$"),
        }
    }

    /// A flag, e.g. `\Seen` or `$Forwarded`.
    pub fn flag(&mut self, flag: &Flag) -> &mut Self {
        let (backslash, name) = flag.parts();
        if backslash {
            self.buf.put_u8(b'\\');
        }
        self.raw(name)
    }

    /// A `flag-perm`.
    pub fn flag_perm(&mut self, flag: &FlagPerm) -> &mut Self {
        match flag {
            FlagPerm::Flag(f) => self.flag(f),
            FlagPerm::Any => self.raw(b"\\*"),
        }
    }

    /// A `flag-fetch`.
    pub fn flag_fetch(&mut self, flag: &FlagFetch) -> &mut Self {
        match flag {
            FlagFetch::Flag(f) => self.flag(f),
            FlagFetch::Recent => self.raw(b"\\Recent"),
        }
    }

    /// `"(" [item *(SP item)] ")"`.
    pub fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.buf.put_u8(b'(');
        for (k, v) in items.iter().enumerate() {
            if k > 0 {
                self.buf.put_u8(b' ');
            }
            item(self, v);
        }
        self.buf.put_u8(b')');
        self
    }

    /// A flag list, `(\Seen $Forwarded)`.
    pub fn flag_list(&mut self, flags: &[Flag]) -> &mut Self {
        self.list(flags, |e, f| {
            e.flag(f);
        })
    }

    /// A `date-time`, quoted: `" 1-Feb-2024 09:05:00 +0100"`.
    pub fn date_time(&mut self, dt: &DateTime) -> &mut Self {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(28);
        // Writing to a String cannot fail.
        let _ = write!(s, "\"{dt}\"");
        self.raw(s.as_bytes())
    }

    /// A search `date`: `1-Feb-2024`.
    pub fn date(&mut self, d: &Date) -> &mut Self {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(11);
        // Writing to a String cannot fail.
        let _ = write!(s, "{d}");
        self.raw(s.as_bytes())
    }
}

/// Whether `content` can be written as a quoted string: not too long, printable US-ASCII
/// and space only (UTF-8 too when `utf8`), never CR, LF, NUL or another control.
pub(crate) fn quotable(content: &[u8], utf8: bool) -> bool {
    if content.len() > MAX_QUOTED {
        return false;
    }
    if content.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    utf8 && content.iter().all(|&b| b >= 0x20 && b != 0x7f) && std::str::from_utf8(content).is_ok()
}

/// Whether `content` can be written as the atom form of an astring: `1*ASTRING-CHAR`, and
/// not `NIL` (which a reader of an nstring-like position could take for nil).
pub(crate) fn is_astring_atom(content: &[u8]) -> bool {
    !content.is_empty()
        && class::span(content, class::ASTRING) == content.len()
        && !content.eq_ignore_ascii_case(b"NIL")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(options: EncodeOptions, f: impl FnOnce(&mut Encoder)) -> Encoded {
        let mut e = Encoder::new(options);
        f(&mut e);
        e.finish()
    }

    #[test]
    fn astring_forms() {
        let cases: [(&str, &[u8]); 7] = [
            ("abc", b"abc"),
            ("a]b", b"a]b"),
            ("a b", b"\"a b\""),
            ("", b"\"\""),
            ("NIL", b"\"NIL\""),
            ("a\"b\\", b"\"a\\\"b\\\\\""),
            ("x\r\ny", b"{4}\r\nx\r\ny"),
        ];
        for (content, wire) in cases {
            let s = AString::try_from(content).unwrap();
            let out = enc(EncodeOptions::client(), |e| {
                e.astring(&s);
            });
            assert_eq!(out.as_bytes(), wire, "{content:?}");
        }
    }

    #[test]
    fn streamed_append_literal_is_a_sync_point() {
        use crate::command::{AppendData, AppendMessage, Command, CommandBody};
        use crate::types::{Mailbox, Tag};
        let message = |len| AppendMessage {
            flags: Vec::new(),
            date: None,
            data: AppendData::Streamed { len, binary: false },
        };
        let command = Command::new(
            Tag::try_from("A1").unwrap(),
            CommandBody::Append {
                mailbox: Mailbox::Inbox,
                messages: vec![message(3), message(5)],
            },
        );
        // Even with LITERAL+: the data is not there to send without waiting.
        let out = command.encoded(EncodeOptions::client().with_literal_plus(true));
        assert_eq!(out.as_bytes(), b"A1 APPEND INBOX {3}\r\n {5}\r\n\r\n");
        assert_eq!(out.sync_literals(), &[21, 27]);
        assert_eq!(out.streamed_literals(), &[21, 27]);
        let server = command.encoded(EncodeOptions::server());
        assert!(server.sync_literals().is_empty() && server.streamed_literals().is_empty());
    }

    #[test]
    fn literal_forms() {
        let s = IString::try_from("x\ny").unwrap();
        let out = enc(EncodeOptions::client(), |e| {
            e.raw(b"A1 X ").string(&s).crlf();
        });
        assert_eq!(out.as_bytes(), b"A1 X {3}\r\nx\ny\r\n");
        assert_eq!(out.sync_literals(), &[10]);
        let pieces: Vec<_> = out.pieces().collect();
        assert_eq!(
            pieces,
            vec![Bytes::from("A1 X {3}\r\n"), Bytes::from("x\ny\r\n")]
        );

        let plus = EncodeOptions::client().with_literal_plus(true);
        let out = enc(plus, |e| {
            e.string(&s);
        });
        assert_eq!(out.as_bytes(), b"{3+}\r\nx\ny");
        assert!(out.sync_literals().is_empty());

        let minus = EncodeOptions::client().with_literal_minus(true);
        let big = IString::try_from(vec![b'\n'; LITERAL_MINUS_MAX + 1]).unwrap();
        let out = enc(minus, |e| {
            e.string(&big);
        });
        assert!(out.as_bytes().starts_with(b"{4097}\r\n"));
        assert_eq!(out.sync_literals(), &[8]);

        // A server never writes {n+} and never waits.
        let server = EncodeOptions::server().with_literal_plus(true);
        let out = enc(server, |e| {
            e.string(&s);
        });
        assert_eq!(out.as_bytes(), b"{3}\r\nx\ny");
        assert!(out.sync_literals().is_empty());
    }

    #[test]
    fn utf8_quoting() {
        let s = IString::try_from("café").unwrap();
        let out = enc(EncodeOptions::client(), |e| {
            e.string(&s);
        });
        assert_eq!(out.as_bytes(), "{5}\r\ncafé".as_bytes());
        let out = enc(EncodeOptions::client().with_utf8(true), |e| {
            e.string(&s);
        });
        assert_eq!(out.as_bytes(), "\"café\"".as_bytes());
    }

    #[test]
    fn numbers_and_sets() {
        let out = enc(EncodeOptions::client(), |e| {
            e.number(0u32)
                .sp()
                .number(u32::MAX)
                .sp()
                .number(u64::MAX)
                .sp();
            e.sequence_set(&SequenceSet::try_from("1:3,5,*:7").unwrap());
        });
        assert_eq!(
            out.as_bytes(),
            b"0 4294967295 18446744073709551615 1:3,5,*:7"
        );
    }
}
