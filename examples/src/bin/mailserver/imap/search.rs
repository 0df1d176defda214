//! SEARCH (flags, dates, sizes, header and text with CHARSET UTF-8, UID and sequence sets,
//! MODSEQ) and ESEARCH's RETURN through the machine's `send_search`.

use std::collections::HashSet;

use imap_proto::command::SearchKey;
use imap_proto::response::Code;
use imap_proto::server::{Server, Token};
use imap_proto::types::{AString, Date};
use mail_parser::Message as Parsed;

use super::mailbox::day_of;
use super::{ImapConn, fetch, mime, no};
use crate::store::{self, Account, Message};

/// A search key with its sets resolved and its strings lower-cased.
#[derive(Debug)]
pub(super) enum Key {
    Const(bool),
    Flag(store::Flag, bool),
    /// `\Recent` for this session (or not).
    Recent(bool),
    Keyword(String, bool),
    Set(HashSet<u32>),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
    Larger(u64),
    Smaller(u64),
    /// INTERNALDATE before/on/since (-1, 0, 1) a day.
    Internal(std::cmp::Ordering, (i64, u8, u8)),
    /// The Date: field's day.
    Sent(std::cmp::Ordering, (i64, u8, u8)),
    /// A header's text contains (empty: the header is there).
    Header(String, String),
    Body(String),
    Text(String),
    ModSeq(u64),
}

fn lower(s: &AString) -> String {
    String::from_utf8_lossy(s.as_bytes()).to_lowercase()
}

fn day(d: &Date) -> (i64, u8, u8) {
    (i64::from(d.year()), d.month(), d.day())
}

/// Whether the key reads the message file.
fn needs_content(k: &Key) -> bool {
    match k {
        Key::Sent(..) | Key::Header(..) | Key::Body(_) | Key::Text(_) => true,
        Key::Not(k) => needs_content(k),
        Key::Or(a, b) => needs_content(a) || needs_content(b),
        Key::And(keys) => keys.iter().any(needs_content),
        _ => false,
    }
}

pub(super) fn uses_modseq(k: &Key) -> bool {
    match k {
        Key::ModSeq(_) => true,
        Key::Not(k) => uses_modseq(k),
        Key::Or(a, b) => uses_modseq(a) || uses_modseq(b),
        Key::And(keys) => keys.iter().any(uses_modseq),
        _ => false,
    }
}

/// Resolves the client's keys; `None` for a sequence set the machine refuses (`$` or a
/// number past the end).
fn resolve(server: &Server, key: &SearchKey) -> Option<Key> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    use store::Flag as F;
    Some(match key {
        SearchKey::All => Key::Const(true),
        SearchKey::Answered => Key::Flag(F::Answered, true),
        SearchKey::Unanswered => Key::Flag(F::Answered, false),
        SearchKey::Deleted => Key::Flag(F::Deleted, true),
        SearchKey::Undeleted => Key::Flag(F::Deleted, false),
        SearchKey::Draft => Key::Flag(F::Draft, true),
        SearchKey::Undraft => Key::Flag(F::Draft, false),
        SearchKey::Flagged => Key::Flag(F::Flagged, true),
        SearchKey::Unflagged => Key::Flag(F::Flagged, false),
        SearchKey::Seen => Key::Flag(F::Seen, true),
        SearchKey::Unseen => Key::Flag(F::Seen, false),
        // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
        SearchKey::Recent => Key::Recent(true),
        SearchKey::Old => Key::Recent(false),
        SearchKey::New => Key::And(vec![Key::Recent(true), Key::Flag(F::Seen, false)]),
        SearchKey::Keyword(k) => {
            Key::Keyword(String::from_utf8_lossy(k.as_bytes()).into_owned(), true)
        }
        SearchKey::Unkeyword(k) => {
            Key::Keyword(String::from_utf8_lossy(k.as_bytes()).into_owned(), false)
        }
        SearchKey::Larger(n) => Key::Larger(*n),
        SearchKey::Smaller(n) => Key::Smaller(*n),
        SearchKey::Before(d) => Key::Internal(Less, day(d)),
        SearchKey::On(d) => Key::Internal(Equal, day(d)),
        SearchKey::Since(d) => Key::Internal(Greater, day(d)),
        SearchKey::SentBefore(d) => Key::Sent(Less, day(d)),
        SearchKey::SentOn(d) => Key::Sent(Equal, day(d)),
        SearchKey::SentSince(d) => Key::Sent(Greater, day(d)),
        SearchKey::From(s) => Key::Header("from".into(), lower(s)),
        SearchKey::To(s) => Key::Header("to".into(), lower(s)),
        SearchKey::Cc(s) => Key::Header("cc".into(), lower(s)),
        SearchKey::Bcc(s) => Key::Header("bcc".into(), lower(s)),
        SearchKey::Subject(s) => Key::Header("subject".into(), lower(s)),
        SearchKey::Header(name, value) => Key::Header(lower(name), lower(value)),
        SearchKey::Body(s) => Key::Body(lower(s)),
        SearchKey::Text(s) => Key::Text(lower(s)),
        SearchKey::Uid(set) => Key::Set(server.resolve(set, true)?.into_iter().collect()),
        SearchKey::SequenceSet(set) => Key::Set(server.resolve(set, false)?.into_iter().collect()),
        SearchKey::Not(k) => Key::Not(Box::new(resolve(server, k)?)),
        SearchKey::Or(a, b) => {
            Key::Or(Box::new(resolve(server, a)?), Box::new(resolve(server, b)?))
        }
        SearchKey::And(keys) => Key::And(
            keys.iter()
                .map(|k| resolve(server, k))
                .collect::<Option<Vec<_>>>()?,
        ),
        SearchKey::ModSeq { mod_seq, .. } => Key::ModSeq(*mod_seq),
        // Not offered (OBJECTID, SAVEDATE, WITHIN, X-GM-EXT-1): nothing matches.
        _ => Key::Const(false),
    })
}

/// What a message offers to text keys, read when a key needs it.
struct Content {
    raw: Vec<u8>,
    texts: Option<(String, String)>,
}

impl Content {
    fn parsed(&self) -> Option<Parsed<'_>> {
        mime::parse(&self.raw)
    }

    fn texts(&mut self) -> &(String, String) {
        let raw = &self.raw;
        self.texts.get_or_insert_with(|| {
            let (h, b) = mime::search_text(raw);
            (h.to_lowercase(), b.to_lowercase())
        })
    }
}

fn sent_day(c: &Content) -> Option<(i64, u8, u8)> {
    let msg = c.parsed()?;
    let d = msg.date()?;
    Some((i64::from(d.year), d.month, d.day))
}

fn matches(k: &Key, m: &Message, recent: &HashSet<u32>, c: &mut Option<Content>) -> bool {
    match k {
        Key::Const(b) => *b,
        Key::Recent(want) => recent.contains(&m.uid) == *want,
        Key::Flag(f, want) => m.flags.contains(*f) == *want,
        Key::Keyword(name, want) => m.flags.has_keyword(name) == *want,
        Key::Set(set) => set.contains(&m.uid),
        Key::Not(k) => !matches(k, m, recent, c),
        Key::Or(a, b) => matches(a, m, recent, c) || matches(b, m, recent, c),
        Key::And(keys) => keys.iter().all(|k| matches(k, m, recent, c)),
        Key::Larger(n) => m.size > *n,
        Key::Smaller(n) => m.size < *n,
        Key::Internal(ord, d) => day_of(m.internal_date).cmp(d) == *ord,
        Key::ModSeq(n) => m.modseq >= *n,
        Key::Sent(ord, d) => c
            .as_ref()
            .and_then(sent_day)
            .is_some_and(|day| day.cmp(d) == *ord),
        Key::Header(name, value) => c.as_ref().is_some_and(|c| {
            c.parsed().is_some_and(|msg| {
                let present = msg
                    .root_part()
                    .headers
                    .iter()
                    .any(|h| h.name().eq_ignore_ascii_case(name));
                present && mime::header_text(&msg, name).to_lowercase().contains(value)
            })
        }),
        Key::Body(s) => c.as_mut().is_some_and(|c| c.texts().1.contains(s)),
        Key::Text(s) => c.as_mut().is_some_and(|c| {
            let (h, b) = c.texts();
            h.contains(s) || b.contains(s)
        }),
    }
}

/// The search keys of a SEARCH, SORT or THREAD, resolved; `None` when the command was
/// answered already (an unknown charset, a bad message set).
pub(super) fn prepare(
    server: &mut Server,
    token: Token,
    charset: Option<&AString>,
    criteria: &[SearchKey],
) -> Option<Key> {
    if let Some(cs) = charset {
        let cs = String::from_utf8_lossy(cs.as_bytes()).to_ascii_uppercase();
        if cs != "UTF-8" && cs != "US-ASCII" {
            let code = Code::BadCharset(
                ["UTF-8", "US-ASCII"]
                    .iter()
                    .filter_map(|c| AString::try_from(*c).ok())
                    .collect(),
            );
            let _ = server.complete(token, no(Some(code), "charset not supported"));
            return None;
        }
    }
    let Some(keys) = criteria
        .iter()
        .map(|k| resolve(server, k))
        .collect::<Option<Vec<Key>>>()
    else {
        let _ = server.complete(
            token,
            imap_proto::server::Completion::bad(super::text("invalid message set")),
        );
        return None;
    };
    Some(Key::And(keys))
}

impl ImapConn {
    pub(super) async fn search(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        charset: Option<&AString>,
        criteria: &[SearchKey],
        _esearch: bool,
    ) {
        let Some(key) = prepare(server, token, charset, criteria) else {
            return;
        };
        let hits = self.evaluate(account, &key).await;
        let modseq = uses_modseq(&key)
            .then(|| hits.iter().map(|(_, m)| *m).max())
            .flatten();
        let uids: Vec<u32> = hits.iter().map(|(u, _)| *u).collect();
        let _ = server.send_search(token, &uids, modseq);
    }

    /// The messages of the selected folder that match: `(uid, modseq)`, in UID order.
    pub(super) async fn evaluate(&mut self, account: &Account, key: &Key) -> Vec<(u32, u64)> {
        let Some(sel) = self.selected.as_ref() else {
            return Vec::new();
        };
        let content = needs_content(key);
        let mut hits = Vec::new();
        for m in &sel.view.messages {
            let mut c = None;
            if content {
                match fetch::read(account, &sel.folder, m).await {
                    Ok(raw) => c = Some(Content { raw, texts: None }),
                    Err(_) => continue,
                }
            }
            if matches(key, m, &sel.recent, &mut c) {
                hits.push((m.uid, m.modseq));
            }
        }
        hits
    }
}
