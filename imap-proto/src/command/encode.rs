//! Commands to wire bytes, through the [`Encoder`], which picks every string's form (atom,
//! quoted or literal) from its content: no argument can put CR, LF or NUL on the line.

use super::{
    AppendData, Command, CommandBody, EntryKind, FetchAttribute, FetchAttributes, FetchModifier,
    ListMailbox, ListReturnOption, ListSelectOption, MetadataDepth, MetadataValue, Partial,
    SearchKey, SearchReturnOption, SelectParams, SortKey, SpecialUse, StatusAttribute, StoreAction,
    StoreItem,
};
use crate::command::shared::{Section, SectionText, Token};
use crate::encode::{EncodeOptions, Encoded, Encoder};
use crate::types::string::class;
use crate::types::{AString, SeqSetOrSaved};

impl Command {
    /// Appends the command, final CRLF included. A client must stop at each of the
    /// encoder's sync-literal points and wait for the server's `+`.
    pub fn encode(&self, enc: &mut Encoder) {
        enc.tag(&self.tag).sp();
        self.body.encode(enc);
        enc.crlf();
    }

    /// The command encoded alone with `options`.
    pub fn encoded(&self, options: EncodeOptions) -> Encoded {
        let mut enc = Encoder::new(options);
        self.encode(&mut enc);
        enc.finish()
    }
}

/// `UID ` before the commands that have a UID form.
fn uid_prefix(enc: &mut Encoder, uid: bool) {
    if uid {
        enc.keyword("UID ");
    }
}

impl CommandBody {
    /// Appends the command name and arguments (no tag, no CRLF).
    pub fn encode(&self, enc: &mut Encoder) {
        match self {
            Self::Capability => {
                enc.keyword("CAPABILITY");
            }
            Self::Noop => {
                enc.keyword("NOOP");
            }
            Self::Logout => {
                enc.keyword("LOGOUT");
            }
            Self::StartTls => {
                enc.keyword("STARTTLS");
            }
            Self::Namespace => {
                enc.keyword("NAMESPACE");
            }
            Self::Idle => {
                enc.keyword("IDLE");
            }
            Self::Unselect => {
                enc.keyword("UNSELECT");
            }
            Self::Unauthenticate => {
                enc.keyword("UNAUTHENTICATE");
            }
            Self::Check => {
                enc.keyword("CHECK");
            }
            Self::Close => {
                enc.keyword("CLOSE");
            }
            Self::Expunge => {
                enc.keyword("EXPUNGE");
            }
            Self::Authenticate {
                mechanism,
                initial_response,
            } => {
                enc.keyword("AUTHENTICATE ").atom(mechanism);
                if let Some(ir) = initial_response {
                    let text = mail_sansio::sasl::wire::encode_initial_response(ir.expose());
                    enc.sp().raw(text.expose().as_bytes());
                }
            }
            Self::Login { username, password } => {
                enc.keyword("LOGIN ")
                    .astring(username)
                    .sp()
                    .astring(password.expose());
            }
            Self::Select { mailbox, params } => {
                enc.keyword("SELECT ").mailbox(mailbox);
                select_params(enc, params);
            }
            Self::Examine { mailbox, params } => {
                enc.keyword("EXAMINE ").mailbox(mailbox);
                select_params(enc, params);
            }
            Self::Create {
                mailbox,
                special_use,
            } => {
                enc.keyword("CREATE ").mailbox(mailbox);
                if !special_use.is_empty() {
                    enc.keyword(" (USE ");
                    enc.list(special_use, special_use_attr);
                    enc.keyword(")");
                }
            }
            Self::Delete(m) => {
                enc.keyword("DELETE ").mailbox(m);
            }
            Self::Rename { from, to } => {
                enc.keyword("RENAME ").mailbox(from).sp().mailbox(to);
            }
            Self::Subscribe(m) => {
                enc.keyword("SUBSCRIBE ").mailbox(m);
            }
            Self::Unsubscribe(m) => {
                enc.keyword("UNSUBSCRIBE ").mailbox(m);
            }
            Self::List {
                selection,
                reference,
                patterns,
                return_options,
            } => list(enc, selection, reference, patterns, return_options),
            Self::Lsub { reference, pattern } => {
                enc.keyword("LSUB ").mailbox(reference).sp();
                list_mailbox(enc, pattern);
            }
            Self::Status { mailbox, items } => {
                enc.keyword("STATUS ").mailbox(mailbox).sp();
                enc.list(items, status_att);
            }
            Self::Append { mailbox, messages } => {
                enc.keyword("APPEND ").mailbox(mailbox);
                for m in messages {
                    if !m.flags.is_empty() {
                        enc.sp().flag_list(&m.flags);
                    }
                    if let Some(d) = &m.date {
                        enc.sp().date_time(d);
                    }
                    enc.sp();
                    match &m.data {
                        AppendData::Literal(s) => {
                            enc.literal(s);
                        }
                        AppendData::Literal8(l) => {
                            enc.literal8(l);
                        }
                        AppendData::Streamed { len, binary } => {
                            // The announcement only: the caller sends the data.
                            enc.streamed_literal(*len, *binary);
                        }
                    }
                }
            }
            Self::Enable(caps) => {
                enc.keyword("ENABLE");
                for c in caps {
                    enc.sp().atom(c);
                }
            }
            Self::Id(params) => {
                enc.keyword("ID ");
                match params {
                    None => {
                        enc.nil();
                    }
                    Some(pairs) => {
                        enc.list(pairs, |e, (k, v)| {
                            e.string(k).sp().nstring(v);
                        });
                    }
                }
            }
            Self::UidExpunge(set) => {
                enc.keyword("UID EXPUNGE ").seq_set_or_saved(set);
            }
            Self::Search {
                uid,
                return_options,
                charset,
                criteria,
            } => {
                uid_prefix(enc, *uid);
                enc.keyword("SEARCH");
                return_opts(enc, return_options.as_deref());
                if let Some(c) = charset {
                    enc.keyword(" CHARSET ").astring(c);
                }
                for k in criteria {
                    enc.sp();
                    search_key(enc, k);
                }
            }
            Self::Fetch {
                uid,
                set,
                attributes,
                modifiers,
            } => {
                uid_prefix(enc, *uid);
                enc.keyword("FETCH ").seq_set_or_saved(set).sp();
                fetch_attributes(enc, attributes);
                if !modifiers.is_empty() {
                    enc.sp().list(modifiers, |e, m| match m {
                        FetchModifier::ChangedSince(n) => {
                            e.keyword("CHANGEDSINCE ").number(*n);
                        }
                        FetchModifier::Vanished => {
                            e.keyword("VANISHED");
                        }
                    });
                }
            }
            Self::Store {
                uid,
                set,
                unchanged_since,
                action,
                silent,
                item,
            } => {
                uid_prefix(enc, *uid);
                enc.keyword("STORE ").seq_set_or_saved(set).sp();
                if let Some(n) = unchanged_since {
                    enc.keyword("(UNCHANGEDSINCE ").number(*n).keyword(") ");
                }
                enc.keyword(match action {
                    StoreAction::Replace => "",
                    StoreAction::Add => "+",
                    StoreAction::Remove => "-",
                });
                match item {
                    StoreItem::Flags(flags) => {
                        enc.keyword(if *silent { "FLAGS.SILENT " } else { "FLAGS " });
                        enc.flag_list(flags);
                    }
                    StoreItem::GmLabels(labels) => {
                        enc.keyword(if *silent {
                            "X-GM-LABELS.SILENT "
                        } else {
                            "X-GM-LABELS "
                        });
                        enc.list(labels, |e, l| {
                            e.astring(l);
                        });
                    }
                }
            }
            Self::Copy { uid, set, mailbox } => {
                uid_prefix(enc, *uid);
                enc.keyword("COPY ")
                    .seq_set_or_saved(set)
                    .sp()
                    .mailbox(mailbox);
            }
            Self::Move { uid, set, mailbox } => {
                uid_prefix(enc, *uid);
                enc.keyword("MOVE ")
                    .seq_set_or_saved(set)
                    .sp()
                    .mailbox(mailbox);
            }
            Self::Sort {
                uid,
                return_options,
                criteria,
                charset,
                search,
            } => {
                uid_prefix(enc, *uid);
                enc.keyword("SORT");
                return_opts(enc, return_options.as_deref());
                enc.sp().list(criteria, |e, c| {
                    if c.reverse {
                        e.keyword("REVERSE ");
                    }
                    sort_key(e, &c.key);
                });
                enc.sp().astring(charset);
                for k in search {
                    enc.sp();
                    search_key(enc, k);
                }
            }
            Self::Thread {
                uid,
                algorithm,
                charset,
                search,
            } => {
                uid_prefix(enc, *uid);
                enc.keyword("THREAD ").atom(algorithm).sp().astring(charset);
                for k in search {
                    enc.sp();
                    search_key(enc, k);
                }
            }
            Self::GetQuota(root) => {
                enc.keyword("GETQUOTA ").astring(root);
            }
            Self::GetQuotaRoot(m) => {
                enc.keyword("GETQUOTAROOT ").mailbox(m);
            }
            Self::SetQuota { root, limits } => {
                enc.keyword("SETQUOTA ").astring(root).sp();
                enc.list(limits, |e, (name, n)| {
                    e.atom(name).sp().number(*n);
                });
            }
            Self::GetMetadata {
                max_size,
                depth,
                mailbox,
                entries,
            } => {
                enc.keyword("GETMETADATA ");
                if max_size.is_some() || depth.is_some() {
                    enc.keyword("(");
                    if let Some(n) = max_size {
                        enc.keyword("MAXSIZE ").number(*n);
                        if depth.is_some() {
                            enc.sp();
                        }
                    }
                    if let Some(d) = depth {
                        enc.keyword(match d {
                            MetadataDepth::Zero => "DEPTH 0",
                            MetadataDepth::One => "DEPTH 1",
                            MetadataDepth::Infinity => "DEPTH infinity",
                        });
                    }
                    enc.keyword(") ");
                }
                enc.mailbox(mailbox).sp();
                match entries.as_slice() {
                    [one] => {
                        enc.astring(one);
                    }
                    many => {
                        enc.list(many, |e, a| {
                            e.astring(a);
                        });
                    }
                }
            }
            Self::SetMetadata { mailbox, entries } => {
                enc.keyword("SETMETADATA ").mailbox(mailbox).sp();
                enc.list(entries, |e, (name, value)| {
                    e.astring(name).sp();
                    match value {
                        MetadataValue::String(s) => {
                            e.nstring(s);
                        }
                        MetadataValue::Literal8(l) => {
                            e.literal8(l);
                        }
                    }
                });
            }
            Self::Compress { algorithm } => {
                enc.keyword("COMPRESS ").atom(algorithm);
            }
            Self::Other { name, args } => {
                enc.atom(name);
                for t in args {
                    enc.sp();
                    token(enc, t);
                }
            }
        }
    }
}

/// ` (CONDSTORE QRESYNC (...))`, nothing when there is no parameter.
fn select_params(enc: &mut Encoder, params: &SelectParams) {
    if !params.condstore && params.qresync.is_none() {
        return;
    }
    enc.keyword(" (");
    if params.condstore {
        enc.keyword("CONDSTORE");
        if params.qresync.is_some() {
            enc.sp();
        }
    }
    if let Some(q) = &params.qresync {
        enc.keyword("QRESYNC (")
            .number(q.uid_validity.get())
            .sp()
            .number(q.mod_seq.get());
        if let Some(k) = &q.known_uids {
            enc.sp().seq_set_or_saved(k);
        }
        if let Some((seqs, uids)) = &q.seq_match {
            enc.keyword(" (")
                .seq_set_or_saved(seqs)
                .sp()
                .seq_set_or_saved(uids)
                .keyword(")");
        }
        enc.keyword(")");
    }
    enc.keyword(")");
}

/// `\Sent` and the other special uses.
fn special_use_attr(enc: &mut Encoder, u: &SpecialUse) {
    match u {
        SpecialUse::All => enc.keyword("\\All"),
        SpecialUse::Archive => enc.keyword("\\Archive"),
        SpecialUse::Drafts => enc.keyword("\\Drafts"),
        SpecialUse::Flagged => enc.keyword("\\Flagged"),
        SpecialUse::Junk => enc.keyword("\\Junk"),
        SpecialUse::Sent => enc.keyword("\\Sent"),
        SpecialUse::Trash => enc.keyword("\\Trash"),
        SpecialUse::Other(a) => enc.keyword("\\").atom(a),
    };
}

/// `LIST`, in the basic form when nothing needs the extended one.
fn list(
    enc: &mut Encoder,
    selection: &[ListSelectOption],
    reference: &crate::types::Mailbox,
    patterns: &[ListMailbox],
    return_options: &[ListReturnOption],
) {
    enc.keyword("LIST ");
    if !selection.is_empty() {
        enc.list(selection, |e, o| {
            match o {
                ListSelectOption::Subscribed => e.keyword("SUBSCRIBED"),
                ListSelectOption::Remote => e.keyword("REMOTE"),
                ListSelectOption::RecursiveMatch => e.keyword("RECURSIVEMATCH"),
                ListSelectOption::SpecialUse => e.keyword("SPECIAL-USE"),
                ListSelectOption::Other(a) => e.atom(a),
            };
        });
        enc.sp();
    }
    enc.mailbox(reference).sp();
    match patterns {
        [one] => list_mailbox(enc, one),
        many => {
            enc.list(many, list_mailbox);
        }
    }
    if !return_options.is_empty() {
        enc.keyword(" RETURN ");
        enc.list(return_options, |e, o| {
            match o {
                ListReturnOption::Subscribed => e.keyword("SUBSCRIBED"),
                ListReturnOption::Children => e.keyword("CHILDREN"),
                ListReturnOption::SpecialUse => e.keyword("SPECIAL-USE"),
                ListReturnOption::Status(items) => e.keyword("STATUS ").list(items, status_att),
                ListReturnOption::Other(a) => e.atom(a),
            };
        });
    }
}

/// A LIST pattern: bare when every octet is a `list-char`, else a string.
fn list_mailbox(enc: &mut Encoder, p: &ListMailbox) {
    let b = p.as_bytes();
    if !b.is_empty() && class::span(b, class::LIST) == b.len() {
        enc.raw(b);
    } else {
        enc.string(p.as_string());
    }
}

/// A STATUS attribute name.
fn status_att(enc: &mut Encoder, a: &StatusAttribute) {
    match a {
        StatusAttribute::Messages => enc.keyword("MESSAGES"),
        StatusAttribute::Recent => enc.keyword("RECENT"),
        StatusAttribute::UidNext => enc.keyword("UIDNEXT"),
        StatusAttribute::UidValidity => enc.keyword("UIDVALIDITY"),
        StatusAttribute::Unseen => enc.keyword("UNSEEN"),
        StatusAttribute::Deleted => enc.keyword("DELETED"),
        StatusAttribute::Size => enc.keyword("SIZE"),
        StatusAttribute::HighestModSeq => enc.keyword("HIGHESTMODSEQ"),
        StatusAttribute::AppendLimit => enc.keyword("APPENDLIMIT"),
        StatusAttribute::MailboxId => enc.keyword("MAILBOXID"),
        StatusAttribute::DeletedStorage => enc.keyword("DELETED-STORAGE"),
        StatusAttribute::Other(a) => enc.atom(a),
    };
}

/// ` RETURN (...)`, nothing for `None`.
fn return_opts(enc: &mut Encoder, opts: Option<&[SearchReturnOption]>) {
    let Some(opts) = opts else { return };
    enc.keyword(" RETURN ");
    enc.list(opts, |e, o| {
        match o {
            SearchReturnOption::Min => e.keyword("MIN"),
            SearchReturnOption::Max => e.keyword("MAX"),
            SearchReturnOption::All => e.keyword("ALL"),
            SearchReturnOption::Count => e.keyword("COUNT"),
            SearchReturnOption::Save => e.keyword("SAVE"),
            SearchReturnOption::Other(a) => e.atom(a),
        };
    });
}

/// A SORT key name.
fn sort_key(enc: &mut Encoder, k: &SortKey) {
    match k {
        SortKey::Arrival => enc.keyword("ARRIVAL"),
        SortKey::Cc => enc.keyword("CC"),
        SortKey::Date => enc.keyword("DATE"),
        SortKey::From => enc.keyword("FROM"),
        SortKey::Size => enc.keyword("SIZE"),
        SortKey::Subject => enc.keyword("SUBJECT"),
        SortKey::To => enc.keyword("TO"),
        SortKey::DisplayFrom => enc.keyword("DISPLAYFROM"),
        SortKey::DisplayTo => enc.keyword("DISPLAYTO"),
        SortKey::Other(a) => enc.atom(a),
    };
}

/// One search key.
pub(crate) fn search_key(enc: &mut Encoder, k: &SearchKey) {
    use SearchKey as K;
    let s = |enc: &mut Encoder, word: &'static str, v: &AString| {
        enc.keyword(word).sp().astring(v);
    };
    let d = |enc: &mut Encoder, word: &'static str, v: &crate::types::Date| {
        enc.keyword(word).sp().date(v);
    };
    let n = |enc: &mut Encoder, word: &'static str, v: u64| {
        enc.keyword(word).sp().number(v);
    };
    match k {
        K::All => {
            enc.keyword("ALL");
        }
        K::Answered => {
            enc.keyword("ANSWERED");
        }
        K::Deleted => {
            enc.keyword("DELETED");
        }
        K::Draft => {
            enc.keyword("DRAFT");
        }
        K::Flagged => {
            enc.keyword("FLAGGED");
        }
        K::New => {
            enc.keyword("NEW");
        }
        K::Old => {
            enc.keyword("OLD");
        }
        K::Recent => {
            enc.keyword("RECENT");
        }
        K::Seen => {
            enc.keyword("SEEN");
        }
        K::Unanswered => {
            enc.keyword("UNANSWERED");
        }
        K::Undeleted => {
            enc.keyword("UNDELETED");
        }
        K::Undraft => {
            enc.keyword("UNDRAFT");
        }
        K::Unflagged => {
            enc.keyword("UNFLAGGED");
        }
        K::Unseen => {
            enc.keyword("UNSEEN");
        }
        K::SaveDateSupported => {
            enc.keyword("SAVEDATESUPPORTED");
        }
        K::Bcc(v) => s(enc, "BCC", v),
        K::Body(v) => s(enc, "BODY", v),
        K::Cc(v) => s(enc, "CC", v),
        K::From(v) => s(enc, "FROM", v),
        K::Subject(v) => s(enc, "SUBJECT", v),
        K::Text(v) => s(enc, "TEXT", v),
        K::To(v) => s(enc, "TO", v),
        K::GmRaw(v) => s(enc, "X-GM-RAW", v),
        K::GmLabels(v) => s(enc, "X-GM-LABELS", v),
        K::Before(v) => d(enc, "BEFORE", v),
        K::On(v) => d(enc, "ON", v),
        K::Since(v) => d(enc, "SINCE", v),
        K::SentBefore(v) => d(enc, "SENTBEFORE", v),
        K::SentOn(v) => d(enc, "SENTON", v),
        K::SentSince(v) => d(enc, "SENTSINCE", v),
        K::SavedBefore(v) => d(enc, "SAVEDBEFORE", v),
        K::SavedOn(v) => d(enc, "SAVEDON", v),
        K::SavedSince(v) => d(enc, "SAVEDSINCE", v),
        K::Larger(v) => n(enc, "LARGER", *v),
        K::Smaller(v) => n(enc, "SMALLER", *v),
        K::GmMsgId(v) => n(enc, "X-GM-MSGID", *v),
        K::GmThrId(v) => n(enc, "X-GM-THRID", *v),
        K::Older(v) => n(enc, "OLDER", u64::from(v.get())),
        K::Younger(v) => n(enc, "YOUNGER", u64::from(v.get())),
        K::Keyword(a) => {
            enc.keyword("KEYWORD ").atom(a);
        }
        K::Unkeyword(a) => {
            enc.keyword("UNKEYWORD ").atom(a);
        }
        K::Header(name, value) => {
            enc.keyword("HEADER ").astring(name).sp().astring(value);
        }
        K::Uid(set) => {
            enc.keyword("UID ").seq_set_or_saved(set);
        }
        K::SequenceSet(set) => {
            seq(enc, set);
        }
        K::EmailId(id) => {
            enc.keyword("EMAILID ").raw(id.as_bytes());
        }
        K::ThreadId(id) => {
            enc.keyword("THREADID ").raw(id.as_bytes());
        }
        K::Not(k) => {
            enc.keyword("NOT ");
            search_key(enc, k);
        }
        K::Or(a, b) => {
            enc.keyword("OR ");
            search_key(enc, a);
            enc.sp();
            search_key(enc, b);
        }
        K::And(keys) => {
            enc.list(keys, search_key);
        }
        K::ModSeq { entry, mod_seq } => {
            enc.keyword("MODSEQ ");
            if let Some((flag, kind)) = entry {
                let (backslash, name) = flag.parts();
                let mut content = Vec::with_capacity(8 + name.len());
                content.extend_from_slice(b"/flags/");
                if backslash {
                    content.push(b'\\');
                }
                content.extend_from_slice(name);
                enc.string_bytes(&content).sp().keyword(match kind {
                    EntryKind::Private => "priv ",
                    EntryKind::Shared => "shared ",
                    EntryKind::All => "all ",
                });
            }
            enc.number(*mod_seq);
        }
    }
}

/// A sequence set or `$`.
fn seq(enc: &mut Encoder, set: &SeqSetOrSaved) {
    enc.seq_set_or_saved(set);
}

/// `ALL` / `FAST` / `FULL` / one attribute / `(attributes)`.
fn fetch_attributes(enc: &mut Encoder, a: &FetchAttributes) {
    match a {
        FetchAttributes::All => {
            enc.keyword("ALL");
        }
        FetchAttributes::Fast => {
            enc.keyword("FAST");
        }
        FetchAttributes::Full => {
            enc.keyword("FULL");
        }
        FetchAttributes::List(list) => match list.as_slice() {
            [one] => fetch_att(enc, one),
            many => {
                enc.list(many, fetch_att);
            }
        },
    }
}

/// One fetch attribute.
fn fetch_att(enc: &mut Encoder, a: &FetchAttribute) {
    use FetchAttribute as A;
    match a {
        A::Envelope => {
            enc.keyword("ENVELOPE");
        }
        A::Flags => {
            enc.keyword("FLAGS");
        }
        A::InternalDate => {
            enc.keyword("INTERNALDATE");
        }
        A::Rfc822 => {
            enc.keyword("RFC822");
        }
        A::Rfc822Header => {
            enc.keyword("RFC822.HEADER");
        }
        A::Rfc822Size => {
            enc.keyword("RFC822.SIZE");
        }
        A::Rfc822Text => {
            enc.keyword("RFC822.TEXT");
        }
        A::Body => {
            enc.keyword("BODY");
        }
        A::BodyStructure => {
            enc.keyword("BODYSTRUCTURE");
        }
        A::Uid => {
            enc.keyword("UID");
        }
        A::ModSeq => {
            enc.keyword("MODSEQ");
        }
        A::SaveDate => {
            enc.keyword("SAVEDATE");
        }
        A::EmailId => {
            enc.keyword("EMAILID");
        }
        A::ThreadId => {
            enc.keyword("THREADID");
        }
        A::GmMsgId => {
            enc.keyword("X-GM-MSGID");
        }
        A::GmThrId => {
            enc.keyword("X-GM-THRID");
        }
        A::GmLabels => {
            enc.keyword("X-GM-LABELS");
        }
        A::Preview { lazy } => {
            enc.keyword(if *lazy { "PREVIEW (LAZY)" } else { "PREVIEW" });
        }
        A::BodySection {
            peek,
            section,
            partial,
        } => {
            enc.keyword(if *peek { "BODY.PEEK" } else { "BODY" });
            section_spec(enc, section);
            partial_range(enc, *partial);
        }
        A::Binary {
            peek,
            part,
            partial,
        } => {
            enc.keyword(if *peek { "BINARY.PEEK[" } else { "BINARY[" });
            part_numbers(enc, part);
            enc.keyword("]");
            partial_range(enc, *partial);
        }
        A::BinarySize { part } => {
            enc.keyword("BINARY.SIZE[");
            part_numbers(enc, part);
            enc.keyword("]");
        }
    }
}

/// `1.2.3`.
fn part_numbers(enc: &mut Encoder, part: &[u32]) {
    for (k, n) in part.iter().enumerate() {
        if k > 0 {
            enc.keyword(".");
        }
        enc.number(*n);
    }
}

/// `[section-spec]`.
pub(crate) fn section_spec(enc: &mut Encoder, s: &Section) {
    enc.keyword("[");
    part_numbers(enc, &s.part);
    if let Some(t) = &s.text {
        if !s.part.is_empty() {
            enc.keyword(".");
        }
        match t {
            SectionText::Header => {
                enc.keyword("HEADER");
            }
            SectionText::Text => {
                enc.keyword("TEXT");
            }
            SectionText::Mime => {
                enc.keyword("MIME");
            }
            SectionText::HeaderFields(f) => {
                enc.keyword("HEADER.FIELDS ").list(f, |e, a| {
                    e.astring(a);
                });
            }
            SectionText::HeaderFieldsNot(f) => {
                enc.keyword("HEADER.FIELDS.NOT ").list(f, |e, a| {
                    e.astring(a);
                });
            }
        }
    }
    enc.keyword("]");
}

/// `<offset.length>`.
fn partial_range(enc: &mut Encoder, p: Option<Partial>) {
    if let Some(p) = p {
        enc.keyword("<")
            .number(p.offset)
            .keyword(".")
            .number(p.length.get())
            .keyword(">");
    }
}

/// A generic token. An atom-like token whose octets could break the line (space, CR, LF,
/// NUL, parentheses, quotes) is written as a string (or a literal8 if it holds NUL).
fn token(enc: &mut Encoder, t: &Token) {
    match t {
        Token::Atom(b) => {
            let safe = !b.is_empty()
                && b.iter()
                    .all(|&c| c > b' ' && c < 0x7f && !matches!(c, b'(' | b')' | b'"' | b'{'));
            if safe {
                enc.raw(b);
            } else if memchr::memchr(0, b).is_some() {
                enc.literal8(&crate::types::Literal8::from_checked(b.clone()));
            } else {
                enc.string_bytes(b);
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
