//! Encoding responses and greetings through the [`Encoder`].
//!
//! The encoder writes the RFC's canonical forms and never a quirk: a status always has text
//! (an empty one is replaced by a placeholder, since RFC 3501 readers require `1*TEXT-CHAR`),
//! a response never carries a non-synchronising literal (use an [`Encoder`] built with
//! [`EncodeOptions::server`]), and strings are atoms, quoted or literals as their content
//! allows.

use super::{
    Address, BodyExtension, BodyFields, BodyStructure, Capability, Code, Condition, Continuation,
    Data, Disposition, ESearch, ESearchItem, Envelope, ExtensionTail, Fetch, FetchItem, Greeting,
    GreetingKind, ListAttribute, ListExtendedItem, MailboxList, MetadataItems,
    NamespaceDescription, Payload, Response, Section, SectionText, SingleKind, Status, StatusItem,
    StatusKind, Text, Thread, Token,
};
use crate::encode::{EncodeOptions, Encoded, Encoder, Side};
use crate::types::{AString, IString, Literal8};

/// Runs `write` on `enc` when it writes as a server, or on a server-side encoder whose bytes
/// are then appended: a response never carries a non-synchronising literal (RFC 7888 §4),
/// whatever encoder the caller passed.
fn as_server(enc: &mut Encoder, write: impl FnOnce(&mut Encoder)) {
    if enc.options().side == Side::Server {
        write(enc);
        return;
    }
    let mut server = Encoder::new(EncodeOptions::server().with_utf8(enc.options().utf8));
    write(&mut server);
    enc.raw(server.finish().as_bytes());
}

impl Greeting {
    /// Writes the greeting line (always in the server's form, see [`Response::encode`]).
    pub fn encode(&self, enc: &mut Encoder) {
        as_server(enc, |enc| self.write(enc));
    }

    fn write(&self, enc: &mut Encoder) {
        enc.raw(b"* ");
        enc.raw(match self.kind {
            GreetingKind::Ok => b"OK",
            GreetingKind::PreAuth => b"PREAUTH",
            GreetingKind::Bye => b"BYE",
        });
        resp_text(
            enc,
            self.code.as_ref(),
            &self.text,
            placeholder_greeting(self.kind),
        );
        enc.crlf();
    }

    /// The greeting as server bytes.
    pub fn encoded(&self) -> Encoded {
        let mut enc = Encoder::new(EncodeOptions::server());
        self.encode(&mut enc);
        enc.finish()
    }
}

impl Response {
    /// Writes the response: one line, plus the literals it carries.
    ///
    /// Responses are always written in the server's form: plain `{n}` literals, never
    /// `{n+}`. Given a client-side [`Encoder`], the response is written by a server-side one
    /// and its bytes appended.
    pub fn encode(&self, enc: &mut Encoder) {
        as_server(enc, |enc| match self {
            Self::Status(s) => s.write(enc),
            Self::Data(d) => d.write(enc),
            Self::Continuation(c) => c.write(enc),
        });
    }

    /// The response as server bytes.
    pub fn encoded(&self) -> Encoded {
        let mut enc = Encoder::new(EncodeOptions::server());
        self.encode(&mut enc);
        enc.finish()
    }
}

impl Status {
    /// Writes the status line (always in the server's form, see [`Response::encode`]).
    pub fn encode(&self, enc: &mut Encoder) {
        as_server(enc, |enc| self.write(enc));
    }

    fn write(&self, enc: &mut Encoder) {
        let word: &[u8] = match &self.kind {
            StatusKind::Tagged(tag, c) => {
                enc.tag(tag);
                enc.sp();
                condition_word(*c)
            }
            StatusKind::Untagged(c) => {
                enc.raw(b"* ");
                condition_word(*c)
            }
            StatusKind::Bye => {
                enc.raw(b"* ");
                b"BYE"
            }
            StatusKind::PreAuth => {
                enc.raw(b"* ");
                b"PREAUTH"
            }
        };
        enc.raw(word);
        let placeholder = match &self.kind {
            StatusKind::Tagged(_, c) | StatusKind::Untagged(c) => match c {
                Condition::Ok => "completed",
                Condition::No => "failed",
                Condition::Bad => "error",
            },
            StatusKind::Bye => "closing",
            StatusKind::PreAuth => "authenticated",
        };
        resp_text(enc, self.code.as_ref(), &self.text, placeholder);
        enc.crlf();
    }
}

impl Continuation {
    /// Writes the continuation request (`+ text`). An empty text without a code is written as
    /// `+ ` (an empty base64 challenge is valid); a code is always followed by text.
    pub fn encode(&self, enc: &mut Encoder) {
        as_server(enc, |enc| self.write(enc));
    }

    fn write(&self, enc: &mut Encoder) {
        enc.raw(b"+");
        match &self.code {
            None => {
                enc.sp();
                enc.raw(self.text.as_bytes());
            }
            Some(_) => resp_text(enc, self.code.as_ref(), &self.text, "ready"),
        }
        enc.crlf();
    }
}

fn placeholder_greeting(kind: GreetingKind) -> &'static str {
    match kind {
        GreetingKind::Ok => "ready",
        GreetingKind::PreAuth => "authenticated",
        GreetingKind::Bye => "closing",
    }
}

fn condition_word(c: Condition) -> &'static [u8] {
    match c {
        Condition::Ok => b"OK",
        Condition::No => b"NO",
        Condition::Bad => b"BAD",
    }
}

/// `SP ["[" code "]" SP] text`, with `placeholder` for an empty text.
fn resp_text(enc: &mut Encoder, code: Option<&Code>, text: &Text, placeholder: &str) {
    enc.sp();
    if let Some(code) = code {
        enc.raw(b"[");
        code.encode(enc);
        enc.raw(b"] ");
    }
    if text.is_empty() {
        enc.raw(placeholder.as_bytes());
    } else {
        enc.raw(text.as_bytes());
    }
}

impl Code {
    /// Writes the code without its brackets.
    pub fn encode(&self, enc: &mut Encoder) {
        if let Some((name, _)) = super::code::SIMPLE_CODES.iter().find(|(_, c)| c == self) {
            enc.raw(name.as_bytes());
            return;
        }
        match self {
            Self::BadCharset(list) => {
                // A status line ends at its first line end (its text may end in `{n}`), so a
                // charset that would need a literal cannot be written there and is left out.
                let quotable: Vec<&AString> = list
                    .iter()
                    .filter(|s| crate::encode::quotable(s.as_bytes(), enc.options().utf8))
                    .collect();
                enc.raw(b"BADCHARSET");
                if !quotable.is_empty() {
                    enc.sp();
                    enc.list(&quotable, |e, s| {
                        e.astring(s);
                    });
                }
            }
            Self::Capability(caps) => {
                enc.raw(b"CAPABILITY");
                capabilities(enc, caps);
            }
            Self::PermanentFlags(flags) => {
                enc.raw(b"PERMANENTFLAGS ");
                enc.list(flags, |e, f| {
                    e.flag_perm(f);
                });
            }
            Self::UidNext(n) => num_code(enc, b"UIDNEXT ", u64::from(*n)),
            Self::UidValidity(n) => num_code(enc, b"UIDVALIDITY ", u64::from(*n)),
            Self::Unseen(n) => num_code(enc, b"UNSEEN ", u64::from(*n)),
            Self::AppendUid { uid_validity, uids } => {
                num_code(enc, b"APPENDUID ", u64::from(*uid_validity));
                enc.sp();
                enc.sequence_set(uids);
            }
            Self::CopyUid {
                uid_validity,
                source,
                destination,
            } => {
                num_code(enc, b"COPYUID ", u64::from(*uid_validity));
                enc.sp();
                enc.sequence_set(source);
                enc.sp();
                enc.sequence_set(destination);
            }
            Self::HighestModSeq(n) => num_code(enc, b"HIGHESTMODSEQ ", *n),
            Self::Modified(set) => {
                enc.raw(b"MODIFIED ");
                enc.sequence_set(set);
            }
            Self::MailboxId(id) => {
                enc.raw(b"MAILBOXID (");
                enc.raw(id.as_bytes());
                enc.raw(b")");
            }
            Self::MetadataLongEntries(n) => num_code(enc, b"METADATA LONGENTRIES ", u64::from(*n)),
            Self::MetadataMaxSize(n) => num_code(enc, b"METADATA MAXSIZE ", u64::from(*n)),
            Self::MetadataTooMany => {
                enc.raw(b"METADATA TOOMANY");
            }
            Self::MetadataNoPrivate => {
                enc.raw(b"METADATA NOPRIVATE");
            }
            Self::Other(other) => {
                enc.raw(other.as_bytes());
            }
            // Every other variant is in SIMPLE_CODES.
            _ => {
                enc.raw(b"ALERT");
            }
        }
    }
}

fn num_code(enc: &mut Encoder, name: &[u8], n: u64) {
    enc.raw(name);
    enc.number(n);
}

/// `*(SP capability)`.
fn capabilities(enc: &mut Encoder, caps: &[Capability]) {
    let mut buf = Vec::with_capacity(16);
    for cap in caps {
        buf.clear();
        cap.write_to(&mut buf);
        enc.sp();
        enc.raw(&buf);
    }
}

impl Data {
    /// Writes the untagged data line (always in the server's form, see
    /// [`Response::encode`]).
    pub fn encode(&self, enc: &mut Encoder) {
        as_server(enc, |enc| self.write(enc));
    }

    fn write(&self, enc: &mut Encoder) {
        enc.raw(b"* ");
        match self {
            Self::Capability(caps) => {
                enc.raw(b"CAPABILITY");
                capabilities(enc, caps);
            }
            Self::Enabled(caps) => {
                enc.raw(b"ENABLED");
                capabilities(enc, caps);
            }
            Self::List(l) => {
                enc.raw(b"LIST ");
                mailbox_list(enc, l);
            }
            Self::Lsub(l) => {
                enc.raw(b"LSUB ");
                mailbox_list(enc, l);
            }
            Self::Status { mailbox, items } => {
                enc.raw(b"STATUS ");
                enc.mailbox(mailbox);
                enc.sp();
                enc.list(items, status_item);
            }
            Self::Search { numbers, modseq } => {
                enc.raw(b"SEARCH");
                number_list(enc, numbers, *modseq);
            }
            Self::Sort { numbers, modseq } => {
                enc.raw(b"SORT");
                number_list(enc, numbers, *modseq);
            }
            Self::ESearch(e) => esearch(enc, e),
            Self::Thread(threads) => {
                enc.raw(b"THREAD");
                let mut first = true;
                for t in threads.iter().filter(|t| thread_writable(t)) {
                    if first {
                        enc.sp();
                        first = false;
                    }
                    thread(enc, t);
                }
            }
            Self::Flags(flags) => {
                enc.raw(b"FLAGS ");
                enc.flag_list(flags);
            }
            Self::Exists(n) => num_data(enc, *n, b" EXISTS"),
            Self::Recent(n) => num_data(enc, *n, b" RECENT"),
            Self::Expunge(n) => num_data(enc, *n, b" EXPUNGE"),
            Self::Vanished { earlier, uids } => {
                enc.raw(b"VANISHED ");
                if *earlier {
                    enc.raw(b"(EARLIER) ");
                }
                enc.sequence_set(uids);
            }
            Self::Fetch(f) => fetch(enc, f),
            Self::Namespace(ns) => {
                enc.raw(b"NAMESPACE ");
                namespace_list(enc, &ns.personal);
                enc.sp();
                namespace_list(enc, &ns.other);
                enc.sp();
                namespace_list(enc, &ns.shared);
            }
            Self::Id(pairs) => {
                enc.raw(b"ID ");
                match pairs {
                    None => {
                        enc.nil();
                    }
                    Some(pairs) => {
                        enc.list(pairs, |e, (k, v)| {
                            e.string(k);
                            e.sp();
                            e.nstring(v);
                        });
                    }
                }
            }
            Self::Quota { root, resources } => {
                enc.raw(b"QUOTA ");
                enc.astring(root);
                enc.sp();
                enc.list(resources, |e, r| {
                    e.atom(&r.name);
                    e.sp();
                    e.number(r.usage);
                    e.sp();
                    e.number(r.limit);
                });
            }
            Self::QuotaRoot { mailbox, roots } => {
                enc.raw(b"QUOTAROOT ");
                enc.mailbox(mailbox);
                for r in roots {
                    enc.sp();
                    enc.astring(r);
                }
            }
            Self::Metadata { mailbox, items } => {
                enc.raw(b"METADATA ");
                enc.mailbox(mailbox);
                enc.sp();
                match items {
                    MetadataItems::Values(values) => {
                        enc.list(values, |e, (entry, value)| {
                            e.astring(entry);
                            e.sp();
                            match value {
                                None => {
                                    e.nil();
                                }
                                Some(v) => binary_value(e, v),
                            }
                        });
                    }
                    MetadataItems::Entries(entries) => {
                        for (k, entry) in entries.iter().enumerate() {
                            if k > 0 {
                                enc.sp();
                            }
                            enc.astring(entry);
                        }
                    }
                }
            }
            Self::Other {
                number,
                name,
                tokens,
            } => {
                if let Some(n) = number {
                    enc.number(*n);
                    enc.sp();
                }
                enc.atom(name);
                for t in tokens {
                    enc.sp();
                    token(enc, t);
                }
            }
        }
        enc.crlf();
    }
}

fn num_data(enc: &mut Encoder, n: u32, word: &[u8]) {
    enc.number(n);
    enc.raw(word);
}

/// `*(SP nz-number) [SP "(" "MODSEQ" SP n ")"]`.
fn number_list(enc: &mut Encoder, numbers: &[u32], modseq: Option<u64>) {
    for &n in numbers {
        enc.sp();
        enc.number(n);
    }
    if let Some(m) = modseq {
        enc.raw(b" (MODSEQ ");
        enc.number(m);
        enc.raw(b")");
    }
}

fn mailbox_list(enc: &mut Encoder, l: &MailboxList) {
    enc.list(&l.attributes, |e, a| {
        list_attribute(e, a);
    });
    enc.sp();
    delimiter(enc, l.delimiter);
    enc.sp();
    enc.mailbox(&l.mailbox);
    if !l.extended.is_empty() {
        enc.sp();
        enc.list(&l.extended, |e, item| match item {
            ListExtendedItem::ChildInfo(list) => {
                e.raw(b"CHILDINFO ");
                e.list(list, |e, s| {
                    e.string(s);
                });
            }
            ListExtendedItem::OldName(m) => {
                e.raw(b"OLDNAME (");
                e.mailbox(m);
                e.raw(b")");
            }
            ListExtendedItem::Other { tag, value } => {
                e.atom(tag);
                e.sp();
                token(e, value);
            }
        });
    }
}

fn list_attribute(enc: &mut Encoder, a: &ListAttribute) {
    let name: &[u8] = match a {
        ListAttribute::NoInferiors => b"\\Noinferiors",
        ListAttribute::NoSelect => b"\\Noselect",
        ListAttribute::Marked => b"\\Marked",
        ListAttribute::Unmarked => b"\\Unmarked",
        ListAttribute::HasChildren => b"\\HasChildren",
        ListAttribute::HasNoChildren => b"\\HasNoChildren",
        ListAttribute::NonExistent => b"\\NonExistent",
        ListAttribute::Subscribed => b"\\Subscribed",
        ListAttribute::Remote => b"\\Remote",
        ListAttribute::All => b"\\All",
        ListAttribute::Archive => b"\\Archive",
        ListAttribute::Drafts => b"\\Drafts",
        ListAttribute::Flagged => b"\\Flagged",
        ListAttribute::Junk => b"\\Junk",
        ListAttribute::Sent => b"\\Sent",
        ListAttribute::Trash => b"\\Trash",
        ListAttribute::Important => b"\\Important",
        ListAttribute::Extension(atom) => {
            enc.raw(b"\\");
            enc.atom(atom);
            return;
        }
    };
    enc.raw(name);
}

/// A hierarchy delimiter: a quoted character, or NIL. A control character cannot be quoted
/// and is written as NIL.
fn delimiter(enc: &mut Encoder, d: Option<char>) {
    match d {
        Some(c) if !c.is_control() && (c.is_ascii() || enc.options().utf8) => {
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            enc.raw(b"\"");
            if c == '"' || c == '\\' {
                enc.raw(b"\\");
            }
            enc.raw(s.as_bytes());
            enc.raw(b"\"");
        }
        _ => {
            enc.nil();
        }
    }
}

fn status_item(enc: &mut Encoder, item: &StatusItem) {
    let (name, value): (&[u8], u64) = match item {
        StatusItem::Messages(n) => (b"MESSAGES", u64::from(*n)),
        StatusItem::Recent(n) => (b"RECENT", u64::from(*n)),
        StatusItem::UidNext(n) => (b"UIDNEXT", u64::from(*n)),
        StatusItem::UidValidity(n) => (b"UIDVALIDITY", u64::from(*n)),
        StatusItem::Unseen(n) => (b"UNSEEN", u64::from(*n)),
        StatusItem::Deleted(n) => (b"DELETED", u64::from(*n)),
        StatusItem::Size(n) => (b"SIZE", *n),
        StatusItem::HighestModSeq(n) => (b"HIGHESTMODSEQ", *n),
        StatusItem::DeletedStorage(n) => (b"DELETED-STORAGE", *n),
        StatusItem::AppendLimit(None) => {
            enc.raw(b"APPENDLIMIT NIL");
            return;
        }
        StatusItem::AppendLimit(Some(n)) => (b"APPENDLIMIT", u64::from(*n)),
        StatusItem::MailboxId(id) => {
            enc.raw(b"MAILBOXID (");
            enc.raw(id.as_bytes());
            enc.raw(b")");
            return;
        }
        StatusItem::Other { name, value } => {
            enc.atom(name);
            enc.sp();
            enc.number(*value);
            return;
        }
    };
    enc.raw(name);
    enc.sp();
    enc.number(value);
}

fn esearch(enc: &mut Encoder, e: &ESearch) {
    enc.raw(b"ESEARCH");
    if let Some(tag) = &e.tag {
        enc.raw(b" (TAG ");
        enc.string(tag);
        enc.raw(b")");
    }
    if e.uid {
        enc.raw(b" UID");
    }
    for item in &e.items {
        enc.sp();
        match item {
            ESearchItem::Min(n) => num_code(enc, b"MIN ", u64::from(*n)),
            ESearchItem::Max(n) => num_code(enc, b"MAX ", u64::from(*n)),
            ESearchItem::Count(n) => num_code(enc, b"COUNT ", u64::from(*n)),
            ESearchItem::ModSeq(n) => num_code(enc, b"MODSEQ ", *n),
            ESearchItem::All(set) => {
                enc.raw(b"ALL ");
                enc.sequence_set(set);
            }
            ESearchItem::Other { name, value } => {
                enc.atom(name);
                enc.sp();
                token(enc, value);
            }
        }
    }
}

/// Whether a thread can be written (an empty `()` is not a thread).
fn thread_writable(t: &Thread) -> bool {
    !t.members.is_empty() || t.children.iter().any(thread_writable)
}

fn thread(enc: &mut Encoder, t: &Thread) {
    enc.raw(b"(");
    for (k, m) in t.members.iter().enumerate() {
        if k > 0 {
            enc.sp();
        }
        enc.number(*m);
    }
    let mut first = true;
    for child in t.children.iter().filter(|c| thread_writable(c)) {
        if first && !t.members.is_empty() {
            enc.sp();
        }
        first = false;
        thread(enc, child);
    }
    enc.raw(b")");
}

fn namespace_list(enc: &mut Encoder, list: &[NamespaceDescription]) {
    if list.is_empty() {
        enc.nil();
        return;
    }
    enc.raw(b"(");
    for d in list {
        enc.raw(b"(");
        enc.string(&d.prefix);
        enc.sp();
        delimiter(enc, d.delimiter);
        for (name, values) in &d.extensions {
            enc.sp();
            enc.string(name);
            enc.sp();
            enc.list(values, |e, v| {
                e.string(v);
            });
        }
        enc.raw(b")");
    }
    enc.raw(b")");
}

/// Binary content: a string when it holds no NUL, a literal8 otherwise.
fn binary_value(enc: &mut Encoder, v: &Literal8) {
    if memchr::memchr(0, v.as_bytes()).is_some() {
        enc.literal8(v);
    } else {
        enc.string(&IString::from_checked(v.as_shared().clone()));
    }
}

/// A generic token; an atom whose octets could not be read back as one is written as a
/// string (or a literal8 when it holds NUL).
pub(crate) fn token(enc: &mut Encoder, t: &Token) {
    match t {
        Token::Atom(b) => {
            if !b.is_empty() && crate::parse::response::token_atom_len(b) == b.len() {
                enc.raw(b);
            } else if memchr::memchr(0, b).is_some() {
                enc.literal8(&Literal8::from_checked(b.clone()));
            } else {
                enc.string(&IString::from_checked(b.clone()));
            }
        }
        Token::String(s) => {
            enc.string(s);
        }
        Token::Literal8(l) => {
            enc.literal8(l);
        }
        Token::List(items) => {
            enc.list(items, token);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// FETCH

fn fetch(enc: &mut Encoder, f: &Fetch) {
    enc.number(f.seq);
    enc.raw(b" FETCH (");
    let mut first = true;
    for item in &f.items {
        if !item_writable(item) {
            continue;
        }
        if !first {
            enc.sp();
        }
        first = false;
        fetch_item(enc, item);
    }
    enc.raw(b")");
}

/// Whether an item can be written so that it reads back as one item: unknown and invalid
/// items built by hand are checked with the same scanners the decoder uses.
fn item_writable(item: &FetchItem) -> bool {
    match item {
        FetchItem::Other { name, .. } => {
            !name.is_empty() && crate::parse::response::token_atom_len(name) == name.len()
        }
        FetchItem::Invalid(inv) => {
            !inv.name.is_empty()
                && crate::parse::response::token_atom_len(&inv.name) == inv.name.len()
                && crate::parse::response::is_one_value(&inv.raw)
        }
        _ => true,
    }
}

fn fetch_item(enc: &mut Encoder, item: &FetchItem) {
    match item {
        FetchItem::Flags(flags) => {
            enc.raw(b"FLAGS ");
            enc.list(flags, |e, f| {
                e.flag_fetch(f);
            });
        }
        FetchItem::Uid(n) => num_code(enc, b"UID ", u64::from(*n)),
        FetchItem::InternalDate(d) => {
            enc.raw(b"INTERNALDATE ");
            enc.date_time(d);
        }
        FetchItem::Rfc822Size(n) => num_code(enc, b"RFC822.SIZE ", *n),
        FetchItem::Rfc822(p) => {
            enc.raw(b"RFC822 ");
            payload_string(enc, p);
        }
        FetchItem::Rfc822Header(p) => {
            enc.raw(b"RFC822.HEADER ");
            payload_string(enc, p);
        }
        FetchItem::Rfc822Text(p) => {
            enc.raw(b"RFC822.TEXT ");
            payload_string(enc, p);
        }
        FetchItem::BodySection {
            section,
            origin,
            data,
        } => {
            enc.raw(b"BODY");
            section_spec(enc, section);
            origin_spec(enc, *origin);
            enc.sp();
            payload_string(enc, data);
        }
        FetchItem::Binary {
            section,
            origin,
            data,
        } => {
            enc.raw(b"BINARY");
            section_binary(enc, section);
            origin_spec(enc, *origin);
            enc.sp();
            match data {
                Payload::Nil => {
                    enc.nil();
                }
                Payload::Data(v) => binary_value(enc, v),
                Payload::Streamed { len } => streamed(enc, *len, true),
            }
        }
        FetchItem::BinarySize { section, size } => {
            enc.raw(b"BINARY.SIZE");
            section_binary(enc, section);
            enc.sp();
            enc.number(*size);
        }
        FetchItem::Envelope(e) => {
            enc.raw(b"ENVELOPE ");
            envelope(enc, e);
        }
        FetchItem::Body(b) => {
            enc.raw(b"BODY ");
            body(enc, b);
        }
        FetchItem::BodyStructure(b) => {
            enc.raw(b"BODYSTRUCTURE ");
            body(enc, b);
        }
        FetchItem::ModSeq(n) => {
            enc.raw(b"MODSEQ (");
            enc.number(*n);
            enc.raw(b")");
        }
        FetchItem::EmailId(id) => {
            enc.raw(b"EMAILID (");
            enc.raw(id.as_bytes());
            enc.raw(b")");
        }
        FetchItem::ThreadId(id) => {
            enc.raw(b"THREADID ");
            match id {
                Some(id) => {
                    enc.raw(b"(");
                    enc.raw(id.as_bytes());
                    enc.raw(b")");
                }
                None => {
                    enc.nil();
                }
            }
        }
        FetchItem::SaveDate(d) => {
            enc.raw(b"SAVEDATE ");
            match d {
                Some(d) => {
                    enc.date_time(d);
                }
                None => {
                    enc.nil();
                }
            }
        }
        FetchItem::Preview(p) => {
            enc.raw(b"PREVIEW ");
            match p {
                Some(s) => {
                    enc.string(s);
                }
                None => {
                    enc.nil();
                }
            }
        }
        FetchItem::GmMsgId(n) => num_code(enc, b"X-GM-MSGID ", *n),
        FetchItem::GmThrId(n) => num_code(enc, b"X-GM-THRID ", *n),
        FetchItem::GmLabels(labels) => {
            enc.raw(b"X-GM-LABELS ");
            enc.list(labels, |e, l| {
                e.astring(l);
            });
        }
        FetchItem::Other { name, value } => {
            enc.raw(name);
            enc.sp();
            token(enc, value);
        }
        FetchItem::Invalid(inv) => {
            enc.raw(&inv.name);
            enc.sp();
            enc.raw(&inv.raw);
        }
    }
}

/// Message content: NIL, a string (quoted or literal), or the announcement of a literal
/// whose data the caller sends itself.
fn payload_string(enc: &mut Encoder, p: &Payload<IString>) {
    match p {
        Payload::Nil => {
            enc.nil();
        }
        Payload::Data(s) => {
            enc.string(s);
        }
        Payload::Streamed { len } => streamed(enc, *len, false),
    }
}

/// `{n}\r\n` (or `~{n}\r\n`) without the data: the caller streams `len` octets right after
/// these bytes, then the rest of the encoding.
fn streamed(enc: &mut Encoder, len: u64, binary: bool) {
    if binary {
        enc.raw(b"~");
    }
    enc.raw(b"{");
    enc.number(len);
    enc.raw(b"}\r\n");
}

/// `"[" section-spec "]"`.
pub(crate) fn section_spec(enc: &mut Encoder, s: &Section) {
    enc.raw(b"[");
    for (k, p) in s.part.iter().enumerate() {
        if k > 0 {
            enc.raw(b".");
        }
        enc.number(*p);
    }
    if let Some(text) = &s.text {
        if !s.part.is_empty() {
            enc.raw(b".");
        }
        match text {
            SectionText::Header => {
                enc.raw(b"HEADER");
            }
            SectionText::Text => {
                enc.raw(b"TEXT");
            }
            SectionText::Mime => {
                enc.raw(b"MIME");
            }
            SectionText::HeaderFields(names) => {
                enc.raw(b"HEADER.FIELDS ");
                enc.list(names, |e, n| {
                    e.astring(n);
                });
            }
            SectionText::HeaderFieldsNot(names) => {
                enc.raw(b"HEADER.FIELDS.NOT ");
                enc.list(names, |e, n| {
                    e.astring(n);
                });
            }
        }
    }
    enc.raw(b"]");
}

fn section_binary(enc: &mut Encoder, parts: &[u32]) {
    enc.raw(b"[");
    for (k, p) in parts.iter().enumerate() {
        if k > 0 {
            enc.raw(b".");
        }
        enc.number(*p);
    }
    enc.raw(b"]");
}

fn origin_spec(enc: &mut Encoder, origin: Option<u32>) {
    if let Some(o) = origin {
        enc.raw(b"<");
        enc.number(o);
        enc.raw(b">");
    }
}

/// `envelope`.
pub(crate) fn envelope(enc: &mut Encoder, e: &Envelope) {
    enc.raw(b"(");
    enc.nstring(&e.date);
    enc.sp();
    enc.nstring(&e.subject);
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        enc.sp();
        address_list(enc, list);
    }
    enc.sp();
    enc.nstring(&e.in_reply_to);
    enc.sp();
    enc.nstring(&e.message_id);
    enc.raw(b")");
}

fn address_list(enc: &mut Encoder, list: &[Address]) {
    if list.is_empty() {
        enc.nil();
        return;
    }
    enc.raw(b"(");
    for a in list {
        enc.raw(b"(");
        enc.nstring(&a.name);
        enc.sp();
        enc.nstring(&a.adl);
        enc.sp();
        enc.nstring(&a.mailbox);
        enc.sp();
        enc.nstring(&a.host);
        enc.raw(b")");
    }
    enc.raw(b")");
}

/// `body`: the extension data is written in its shortest form that keeps every non-default
/// field.
pub(crate) fn body(enc: &mut Encoder, b: &BodyStructure) {
    enc.raw(b"(");
    match b {
        BodyStructure::Single {
            kind,
            fields,
            extension,
        } => {
            match kind {
                SingleKind::Basic {
                    media_type,
                    subtype,
                } => {
                    enc.string(media_type);
                    enc.sp();
                    enc.string(subtype);
                    enc.sp();
                    body_fields(enc, fields);
                }
                SingleKind::Text { subtype, lines } => {
                    enc.raw(b"\"TEXT\" ");
                    enc.string(subtype);
                    enc.sp();
                    body_fields(enc, fields);
                    enc.sp();
                    enc.number(*lines);
                }
                SingleKind::Message {
                    subtype,
                    envelope: env,
                    body: inner,
                    lines,
                } => {
                    enc.raw(b"\"MESSAGE\" ");
                    enc.string(subtype);
                    enc.sp();
                    body_fields(enc, fields);
                    enc.sp();
                    envelope(enc, env);
                    enc.sp();
                    body(enc, inner);
                    enc.sp();
                    enc.number(*lines);
                }
            }
            if !extension.md5.is_nil() || !extension.tail.is_empty() {
                enc.sp();
                enc.nstring(&extension.md5);
                extension_tail(enc, &extension.tail);
            }
        }
        BodyStructure::Multipart {
            parts,
            subtype,
            extension,
        } => {
            for part in parts {
                body(enc, part);
            }
            // `("ALTERNATIVE")`, Gmail's multipart without parts, has no space before the
            // subtype.
            if !parts.is_empty() {
                enc.sp();
            }
            enc.string(subtype);
            if !extension.params.is_empty() || !extension.tail.is_empty() {
                enc.sp();
                params(enc, &extension.params);
                extension_tail(enc, &extension.tail);
            }
        }
    }
    enc.raw(b")");
}

fn body_fields(enc: &mut Encoder, f: &BodyFields) {
    params(enc, &f.params);
    enc.sp();
    enc.nstring(&f.id);
    enc.sp();
    enc.nstring(&f.description);
    enc.sp();
    enc.string(&f.encoding);
    enc.sp();
    enc.number(f.octets);
}

fn params(enc: &mut Encoder, params: &[(IString, IString)]) {
    if params.is_empty() {
        enc.nil();
        return;
    }
    enc.list(params, |e, (k, v)| {
        e.string(k);
        e.sp();
        e.string(v);
    });
}

fn extension_tail(enc: &mut Encoder, t: &ExtensionTail) {
    let level = if !t.extensions.is_empty() {
        4
    } else if !t.location.is_nil() {
        3
    } else if !t.language.is_empty() {
        2
    } else if t.disposition.is_some() {
        1
    } else {
        0
    };
    if level >= 1 {
        enc.sp();
        disposition(enc, t.disposition.as_ref());
    }
    if level >= 2 {
        enc.sp();
        match t.language.as_slice() {
            [] => {
                enc.nil();
            }
            [one] => {
                enc.string(one);
            }
            many => {
                enc.list(many, |e, s| {
                    e.string(s);
                });
            }
        }
    }
    if level >= 3 {
        enc.sp();
        enc.nstring(&t.location);
    }
    for ext in &t.extensions {
        enc.sp();
        body_extension(enc, ext);
    }
}

fn disposition(enc: &mut Encoder, d: Option<&Disposition>) {
    match d {
        None => {
            enc.nil();
        }
        Some(d) => {
            enc.raw(b"(");
            enc.string(&d.kind);
            enc.sp();
            params(enc, &d.params);
            enc.raw(b")");
        }
    }
}

fn body_extension(enc: &mut Encoder, e: &BodyExtension) {
    match e {
        BodyExtension::NString(s) => {
            enc.nstring(s);
        }
        BodyExtension::Number(n) => {
            enc.number(*n);
        }
        BodyExtension::List(items) if items.is_empty() => {
            enc.nil();
        }
        BodyExtension::List(items) => {
            enc.list(items, body_extension);
        }
    }
}
