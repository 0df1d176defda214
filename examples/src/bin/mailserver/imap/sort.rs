//! SORT and THREAD (RFC 5256) over SEARCH's keys: the sort keys ARRIVAL, CC, DATE, FROM,
//! SIZE, SUBJECT (the base subject of §2.1), TO, and DISPLAYFROM/DISPLAYTO (RFC 5957), each
//! with REVERSE; THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (§2.2, §2.3 and §3).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use imap_proto::command::{SearchKey, SortCriterion, SortKey};
use imap_proto::response::{Code, Thread};
use imap_proto::server::{Server, Token};
use imap_proto::types::{AString, Atom};
use mail_parser::{Addr, Address, HeaderValue};

use super::search::{Key, prepare, uses_modseq};
use super::{ImapConn, fetch, mime, no};
use crate::store::Account;

/// What SORT and THREAD know of one matching message.
#[derive(Debug, Default)]
struct Info {
    uid: u32,
    size: u64,
    /// INTERNALDATE, seconds since 1970.
    arrival: i64,
    /// The Date: field in UTC, or INTERNALDATE without a valid one (RFC 5256 §2.2).
    date: i64,
    /// The base subject (§2.1), and whether taking it off removed a `Re:`/`Fwd:` (§2.1's
    /// "reply or forward").
    subject: String,
    reply: bool,
    /// The first address's mailbox (local part) of From, To and Cc.
    from: String,
    to: String,
    cc: String,
    /// RFC 5957: the first address's display name, else its address.
    display_from: String,
    display_to: String,
    /// Message-ID and the ids it refers to (References, else In-Reply-To), for THREAD.
    message_id: Option<String>,
    references: Vec<String>,
}

/// i;ascii-casemap (RFC 4790): ASCII letters compare without case.
fn casemap(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn first<'a, 'x>(addr: Option<&'a Address<'x>>) -> Option<&'a Addr<'x>> {
    addr.and_then(Address::first)
}

fn mailbox_of(addr: Option<&Address<'_>>) -> String {
    let a = first(addr).and_then(|a| a.address.as_deref()).unwrap_or("");
    casemap(a.rsplit_once('@').map_or(a, |(local, _)| local))
}

fn display_of(addr: Option<&Address<'_>>) -> String {
    let a = first(addr);
    let name = a
        .and_then(|a| a.name.as_deref())
        .filter(|n| !n.trim().is_empty());
    casemap(
        name.or_else(|| a.and_then(|a| a.address.as_deref()))
            .unwrap_or(""),
    )
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

fn info(uid: u32, size: u64, arrival: i64, raw: Option<&[u8]>) -> Info {
    let mut out = Info {
        uid,
        size,
        arrival,
        date: arrival,
        ..Info::default()
    };
    let Some(msg) = raw.and_then(mime::parse) else {
        return out;
    };
    if let Some(d) = msg.date().filter(|d| d.is_valid()) {
        out.date = d.to_timestamp();
    }
    let (subject, reply) = base_subject(msg.subject().unwrap_or(""));
    out.subject = subject;
    out.reply = reply;
    out.from = mailbox_of(msg.from());
    out.to = mailbox_of(msg.to());
    out.cc = mailbox_of(msg.cc());
    out.display_from = display_of(msg.from());
    out.display_to = display_of(msg.to());
    out.message_id = msg
        .message_id()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    out.references = ids(msg.references());
    if out.references.is_empty() {
        out.references = ids(msg.in_reply_to()).into_iter().take(1).collect();
    }
    out.references.retain(|r| !r.is_empty());
    out
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: what follows one, if `s` starts with one.
fn blob(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('[')?;
    let end = rest.find([']', '['])?;
    rest[end..]
        .strip_prefix(']')
        .map(|r| r.trim_start_matches([' ', '\t']))
}

/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`: what follows one.
fn refwd(s: &str) -> Option<&str> {
    let lower = s.get(..3).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("fwd") {
        &s[3..]
    } else if lower.starts_with("fw") || lower.starts_with("re") {
        &s[2..]
    } else {
        return None;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = blob(rest).unwrap_or(rest);
    rest.strip_prefix(':')
}

/// `subj-leader = (*subj-blob subj-refwd) / WSP`: what follows one.
fn leader(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_prefix([' ', '\t']) {
        return Some(rest);
    }
    let mut t = s;
    while let Some(rest) = blob(t) {
        t = rest;
    }
    refwd(t)
}

/// The base subject of RFC 5256 §2.1 (decoded, whitespace collapsed, `Re:`, `Fwd:`,
/// `[blob]` and `(fwd)` taken off, `[fwd: ...]` unwrapped), case-mapped for comparison, and
/// whether a `Re:`/`Fwd:` was taken off (which REFERENCES' subject grouping uses).
pub(super) fn base_subject(subject: &str) -> (String, bool) {
    // (1) Whitespace runs become one space.
    let collapsed = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s = collapsed.as_str();
    let mut reply = false;
    loop {
        // (2) Trailing "(fwd)" and whitespace.
        loop {
            s = s.trim_end_matches([' ', '\t']);
            let n = s.len();
            match s.get(n.saturating_sub(5)..) {
                Some(tail) if n >= 5 && tail.eq_ignore_ascii_case("(fwd)") => {
                    s = &s[..n - 5];
                    reply = true;
                }
                _ => break,
            }
        }
        // (3)-(5) Leaders, and a blob when something is left after it.
        loop {
            let before = s.len();
            while let Some(rest) = leader(s) {
                // Not whitespace: a Re:/Fwd: came off.
                reply |= !s.starts_with([' ', '\t']);
                s = rest;
            }
            if let Some(rest) = blob(s)
                && !rest.is_empty()
            {
                s = rest;
            }
            if s.len() == before {
                break;
            }
        }
        // (6) "[fwd:" ... "]".
        let n = s.len();
        if n >= 6 && s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("[fwd:")) && s.ends_with(']')
        {
            s = &s[5..n - 1];
            reply = true;
            continue;
        }
        break;
    }
    (casemap(s), reply)
}

fn compare(a: &Info, b: &Info, criteria: &[SortCriterion]) -> Ordering {
    for c in criteria {
        let o = match &c.key {
            SortKey::Arrival => a.arrival.cmp(&b.arrival),
            SortKey::Cc => a.cc.cmp(&b.cc),
            SortKey::Date => a.date.cmp(&b.date),
            SortKey::From => a.from.cmp(&b.from),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Subject => a.subject.cmp(&b.subject),
            SortKey::To => a.to.cmp(&b.to),
            SortKey::DisplayFrom => a.display_from.cmp(&b.display_from),
            SortKey::DisplayTo => a.display_to.cmp(&b.display_to),
            _ => Ordering::Equal,
        };
        let o = if c.reverse { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    // Equal by every criterion: mailbox order (RFC 5256 §3).
    a.uid.cmp(&b.uid)
}

fn needs_content(criteria: &[SortCriterion]) -> bool {
    criteria
        .iter()
        .any(|c| !matches!(c.key, SortKey::Arrival | SortKey::Size))
}

/// Messages by date, then mailbox order.
fn by_date(infos: &[Info]) -> impl Fn(&usize, &usize) -> Ordering + '_ {
    |a, b| {
        let (a, b) = (&infos[*a], &infos[*b]);
        a.date.cmp(&b.date).then(a.uid.cmp(&b.uid))
    }
}

/// THREAD=ORDEREDSUBJECT (RFC 5256 §3): by base subject, then date; each subject's first
/// message is the parent of the others.
fn ordered_subject(infos: &[Info]) -> Vec<Thread> {
    let mut order: Vec<usize> = (0..infos.len()).collect();
    order.sort_by(|a, b| {
        infos[*a]
            .subject
            .cmp(&infos[*b].subject)
            .then_with(|| by_date(infos)(a, b))
    });
    let mut threads: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in order {
        match threads.last_mut() {
            Some((parent, kids)) if infos[*parent].subject == infos[i].subject => kids.push(i),
            _ => threads.push((i, Vec::new())),
        }
    }
    threads.sort_by(|a, b| by_date(infos)(&a.0, &b.0));
    threads
        .into_iter()
        .map(|(parent, kids)| {
            let mut t = Thread {
                members: vec![infos[parent].uid],
                children: Vec::new(),
            };
            if let [only] = kids.as_slice() {
                t.members.push(infos[*only].uid);
            } else {
                t.children = kids
                    .iter()
                    .map(|k| Thread {
                        members: vec![infos[*k].uid],
                        children: Vec::new(),
                    })
                    .collect();
            }
            t
        })
        .collect()
}

/// A container of THREAD=REFERENCES (RFC 5256 §2.2 step 1): a message, or a dummy for an
/// id only referred to.
#[derive(Debug, Default, Clone)]
struct Node {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Forest {
    nodes: Vec<Node>,
}

impl Forest {
    fn add(&mut self, msg: Option<usize>) -> usize {
        self.nodes.push(Node {
            msg,
            ..Node::default()
        });
        self.nodes.len() - 1
    }

    /// Whether `b` is `a` or one of its ancestors.
    fn reaches(&self, mut a: usize, b: usize) -> bool {
        for _ in 0..=self.nodes.len() {
            if a == b {
                return true;
            }
            match self.nodes[a].parent {
                Some(p) => a = p,
                None => return false,
            }
        }
        true
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.nodes[child].parent.take() {
            self.nodes[p].children.retain(|&c| c != child);
        }
    }

    /// Makes `parent` the parent of `child` unless that makes a loop.
    fn link(&mut self, parent: usize, child: usize) -> bool {
        if self.reaches(parent, child) {
            return false;
        }
        self.unlink(child);
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
        true
    }

    /// The date a container sorts by: its message's, or for a dummy its earliest child's
    /// (its first once siblings are sorted). Dummies are only at the top after pruning, so
    /// this goes down a level or two.
    fn date(&self, infos: &[Info], n: usize) -> (i64, u32) {
        match self.nodes[n].msg {
            Some(m) => (infos[m].date, infos[m].uid),
            None => self.nodes[n]
                .children
                .iter()
                .map(|&c| self.date(infos, c))
                .min()
                .unwrap_or((i64::MAX, u32::MAX)),
        }
    }

    /// The base subject of a root, and whether it is a reply.
    fn subject<'i>(&self, infos: &'i [Info], n: usize) -> Option<(&'i str, bool)> {
        let m = self.nodes[n].msg.or_else(|| {
            self.nodes[n]
                .children
                .first()
                .and_then(|&c| self.nodes[c].msg)
        })?;
        let info = &infos[m];
        (!info.subject.is_empty()).then_some((info.subject.as_str(), info.reply))
    }

    /// Step 4: dummies without children go; a dummy's children take its place, except at
    /// the root when there are several of them. Iterative (a References chain can be long).
    fn prune(&mut self, roots: Vec<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut work: Vec<(usize, bool)> = roots.into_iter().rev().map(|r| (r, true)).collect();
        while let Some((n, root)) = work.pop() {
            let kids = self.nodes[n].children.clone();
            if self.nodes[n].msg.is_none() && (kids.is_empty() || !root || kids.len() == 1) {
                // Promote the children to this level.
                for &k in &kids {
                    self.nodes[k].parent = self.nodes[n].parent;
                }
                if let Some(p) = self.nodes[n].parent {
                    let siblings = &mut self.nodes[p].children;
                    if let Some(at) = siblings.iter().position(|&c| c == n) {
                        siblings.splice(at..=at, kids.iter().copied());
                    }
                }
                self.nodes[n].children.clear();
                work.extend(kids.into_iter().rev().map(|k| (k, root)));
                continue;
            }
            if root {
                out.push(n);
            }
            work.extend(kids.into_iter().rev().map(|k| (k, false)));
        }
        out
    }

    /// Step 5: roots with the same base subject are brought together.
    fn group(&mut self, infos: &[Info], roots: Vec<usize>) -> Vec<usize> {
        let mut table: HashMap<String, usize> = HashMap::new();
        for &r in &roots {
            let Some((subject, reply)) = self.subject(infos, r) else {
                continue;
            };
            match table.get(subject) {
                None => {
                    table.insert(subject.to_owned(), r);
                }
                Some(&old) => {
                    let old_reply = self.subject(infos, old).is_some_and(|s| s.1);
                    let replace = (self.nodes[r].msg.is_none() && self.nodes[old].msg.is_some())
                        || (old_reply && !reply);
                    if replace {
                        table.insert(subject.to_owned(), r);
                    }
                }
            }
        }
        let mut out: Vec<usize> = Vec::new();
        // `new` takes the place of root `old` in the output (or its place to come).
        let replace =
            |out: &mut Vec<usize>, old: usize, new: usize| match out.iter().position(|&o| o == old)
            {
                Some(at) => out[at] = new,
                None => out.push(new),
            };
        for r in roots {
            if self.nodes[r].parent.is_some() {
                // Put under another root already.
                continue;
            }
            let Some((subject, reply)) = self.subject(infos, r) else {
                out.push(r);
                continue;
            };
            let Some(&t) = table.get(subject) else {
                out.push(r);
                continue;
            };
            if t == r {
                if !out.contains(&r) {
                    out.push(r);
                }
                continue;
            }
            let (r_dummy, t_dummy) = (self.nodes[r].msg.is_none(), self.nodes[t].msg.is_none());
            let t_reply = self.subject(infos, t).is_some_and(|s| s.1);
            if r_dummy && t_dummy {
                for k in std::mem::take(&mut self.nodes[r].children) {
                    self.nodes[k].parent = None;
                    self.link(t, k);
                }
            } else if t_dummy {
                self.link(t, r);
            } else if r_dummy {
                // The table's message joins this dummy, which takes its place.
                self.link(r, t);
                table.insert(subject.to_owned(), r);
                replace(&mut out, t, r);
            } else if !t_reply && reply {
                self.link(t, r);
            } else {
                // Neither is the other's reply: siblings under a new dummy.
                let d = self.add(None);
                self.link(d, t);
                self.link(d, r);
                table.insert(subject.to_owned(), d);
                replace(&mut out, t, d);
            }
        }
        out
    }

    /// The tree under `n` as the machine's [`Thread`], siblings by date.
    fn thread(&mut self, infos: &[Info], n: usize) -> Thread {
        let mut top = Thread::default();
        // (node, path of child indexes from `top` to the thread that receives it)
        let mut work: Vec<(usize, Vec<usize>)> = vec![(n, Vec::new())];
        while let Some((mut n, path)) = work.pop() {
            let mut t = &mut top;
            for &i in &path {
                t = &mut t.children[i];
            }
            loop {
                if let Some(m) = self.nodes[n].msg {
                    t.members.push(infos[m].uid);
                }
                let mut kids = self.nodes[n].children.clone();
                kids.sort_by_key(|&k| self.date(infos, k));
                if let [only] = kids.as_slice() {
                    n = *only;
                    continue;
                }
                for (i, k) in kids.into_iter().enumerate() {
                    t.children.push(Thread::default());
                    let mut p = path.clone();
                    p.push(i);
                    work.push((k, p));
                }
                break;
            }
        }
        top
    }
}

/// THREAD=REFERENCES (RFC 5256 §2.2 and §3).
fn references(infos: &[Info]) -> Vec<Thread> {
    let mut forest = Forest { nodes: Vec::new() };
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (i, info) in infos.iter().enumerate() {
        // (1A) The message's container: a dummy made for its id earlier, or a new one (a
        // duplicate id counts as none).
        let me = match info
            .message_id
            .as_ref()
            .and_then(|id| by_id.get(id).copied())
        {
            Some(n) if forest.nodes[n].msg.is_none() => {
                forest.nodes[n].msg = Some(i);
                n
            }
            _ => {
                let n = forest.add(Some(i));
                if let Some(id) = &info.message_id {
                    by_id.entry(id.clone()).or_insert(n);
                }
                n
            }
        };
        // (1B) Each reference is the parent of the next, unless linked already or a loop.
        let mut previous: Option<usize> = None;
        for id in &info.references {
            let n = *by_id.entry(id.clone()).or_insert_with(|| forest.add(None));
            if let Some(p) = previous
                && forest.nodes[n].parent.is_none()
                && p != n
            {
                forest.link(p, n);
            }
            previous = Some(n);
        }
        // (1C) The last reference is the message's parent (replacing any other).
        match previous {
            Some(p) if p != me => {
                if !forest.link(p, me) {
                    forest.unlink(me);
                }
            }
            _ => forest.unlink(me),
        }
    }
    // (2) The root set; (4) pruning; (5) subject grouping; (6) siblings by date.
    let roots: Vec<usize> = (0..forest.nodes.len())
        .filter(|&n| forest.nodes[n].parent.is_none())
        .collect();
    let roots = forest.prune(roots);
    let mut roots = forest.group(infos, roots);
    roots.sort_by_key(|&r| forest.date(infos, r));
    roots.into_iter().map(|r| forest.thread(infos, r)).collect()
}

fn seconds(time: std::time::SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl ImapConn {
    /// The matching messages with what sorting and threading need.
    async fn infos(&mut self, account: &Account, key: &Key, content: bool) -> Vec<Info> {
        let hits = self.evaluate(account, key).await;
        let Some(sel) = self.selected.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(hits.len());
        for (uid, _) in hits {
            let Some(m) = sel.view.by_uid(uid) else {
                continue;
            };
            let raw = if content {
                fetch::read(account, &sel.folder, m).await.ok()
            } else {
                None
            };
            out.push(info(uid, m.size, seconds(m.internal_date), raw.as_deref()));
        }
        out
    }

    pub(super) async fn sort(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        criteria: &[SortCriterion],
        charset: &AString,
        search: &[SearchKey],
    ) {
        if let Some(c) = criteria.iter().find(|c| matches!(c.key, SortKey::Other(_))) {
            let _ = server.complete(
                token,
                imap_proto::server::Completion::bad(super::text(&format!(
                    "unknown sort key {:?}",
                    c.key
                ))),
            );
            return;
        }
        let Some(key) = prepare(server, token, Some(charset), search) else {
            return;
        };
        let mut infos = self.infos(account, &key, needs_content(criteria)).await;
        infos.sort_by(|a, b| compare(a, b, criteria));
        let uids: Vec<u32> = infos.iter().map(|i| i.uid).collect();
        let modseq = if uses_modseq(&key) {
            self.selected.as_ref().and_then(|sel| {
                uids.iter()
                    .filter_map(|&u| sel.view.by_uid(u).map(|m| m.modseq))
                    .max()
            })
        } else {
            None
        };
        let _ = server.send_sort(token, &uids, modseq);
    }

    pub(super) async fn thread(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        algorithm: &Atom,
        charset: &AString,
        search: &[SearchKey],
    ) {
        let name = algorithm.as_str().unwrap_or("").to_ascii_uppercase();
        if name != "ORDEREDSUBJECT" && name != "REFERENCES" {
            let _ = server.complete(token, no(Some(Code::Cannot), "unknown algorithm"));
            return;
        }
        let Some(key) = prepare(server, token, Some(charset), search) else {
            return;
        };
        let infos = self.infos(account, &key, true).await;
        let threads = if name == "REFERENCES" {
            references(&infos)
        } else {
            ordered_subject(&infos)
        };
        let _ = server.send_thread(token, threads);
    }
}

#[cfg(test)]
mod tests {
    use super::{Info, base_subject, ordered_subject, references};
    use imap_proto::response::Thread;

    fn msg(uid: u32, date: i64, subject: &str, id: &str, refs: &[&str]) -> Info {
        let (subject, reply) = base_subject(subject);
        Info {
            uid,
            date,
            subject,
            reply,
            message_id: (!id.is_empty()).then(|| id.to_owned()),
            references: refs.iter().map(|r| (*r).to_owned()).collect(),
            ..Info::default()
        }
    }

    fn wire(threads: &[Thread]) -> String {
        fn one(t: &Thread, out: &mut String) {
            out.push('(');
            let members: Vec<String> = t.members.iter().map(u32::to_string).collect();
            out.push_str(&members.join(" "));
            for c in &t.children {
                if !out.ends_with(['(', ')']) {
                    out.push(' ');
                }
                one(c, out);
            }
            out.push(')');
        }
        let mut out = String::new();
        for t in threads {
            one(t, &mut out);
        }
        out
    }

    #[test]
    fn references_survive_loops_and_duplicates() {
        let infos = [
            // Each refers to the other: no loop is made.
            msg(1, 1, "a", "a@x", &["b@x"]),
            msg(2, 2, "b", "b@x", &["a@x"]),
            // Refers to itself; the same id again.
            msg(3, 3, "c", "c@x", &["c@x"]),
            msg(4, 4, "d", "c@x", &[]),
            // A chain through ids never seen, with a loop inside.
            msg(5, 5, "e", "e@x", &["p@x", "q@x", "p@x"]),
        ];
        let got = wire(&references(&infos));
        for uid in 1..=5 {
            assert_eq!(got.matches(&uid.to_string()).count(), 1, "{uid} in {got}");
        }
    }

    #[test]
    fn references_group_by_subject_whatever_the_order() {
        // A reply whose parent is missing comes before the thread start in the mailbox.
        let infos = [
            msg(1, 5, "Re: talk", "r@x", &["gone@x"]),
            msg(2, 1, "talk", "t@x", &[]),
            msg(3, 3, "other", "o@x", &[]),
            msg(4, 4, "talk", "t2@x", &[]),
        ];
        assert_eq!(wire(&references(&infos)), "((2 1)(4))(3)");
        assert_eq!(wire(&ordered_subject(&infos)), "(2 (4)(1))(3)");
    }

    #[test]
    fn references_deep_chain() {
        let ids: Vec<String> = (0..5000).map(|i| format!("{i}@x")).collect();
        let infos: Vec<Info> = (0..5000u32)
            .map(|i| {
                let refs: Vec<&str> = ids.iter().take(i as usize).map(String::as_str).collect();
                let mut m = msg(i + 1, i64::from(i), "deep", &ids[i as usize], &[]);
                m.references = refs.iter().rev().take(1).map(|r| (*r).to_owned()).collect();
                m
            })
            .collect();
        let threads = references(&infos);
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].members.len(), 5000);
    }

    #[test]
    fn base_subjects() {
        let cases = [
            ("Re: hello", "HELLO", true),
            ("RE: Re: re:hello", "HELLO", true),
            ("Fwd: [list] Re: hello (fwd)", "HELLO", true),
            ("[fwd: Re: hello]", "HELLO", true),
            ("[list] hello", "HELLO", false),
            ("[list]", "[LIST]", false),
            ("  hello \t world  ", "HELLO WORLD", false),
            ("Re [x]: hi", "HI", true),
            ("Fw: hi", "HI", true),
            ("Reply to you", "REPLY TO YOU", false),
            ("", "", false),
            ("Grüße", "GRüßE", false),
        ];
        for (subject, base, reply) in cases {
            assert_eq!(
                base_subject(subject),
                (base.to_owned(), reply),
                "{subject:?}"
            );
        }
    }
}
