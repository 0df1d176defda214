//! The selected folder: SELECT/EXAMINE, the changes pushed to the client (from this
//! session, other sessions, SMTP and POP3), STORE, COPY, MOVE, EXPUNGE and CLOSE.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use imap_proto::command::{QResync, SelectParams, StoreAction, StoreItem};
use imap_proto::response::{Code, Condition, Data, FetchItem, Response, Status, StatusKind};
use imap_proto::server::{Completion, MailboxSnapshot, Server, Token, Update};
use imap_proto::types::{
    Atom, Date, DateTime, Flag, FlagFetch, FlagPerm, Mailbox, SeqSetOrSaved, SequenceSet,
};
use tokio::sync::watch;

use super::{ImapConn, mime, no, text};
use crate::store::{self, Account, FlagOp, Flags, View};

/// Summaries kept per selected folder before the cache starts again.
const CACHE_ENTRIES: usize = 4096;

/// The folder a session has selected, as last told to the client.
#[derive(Debug)]
pub(crate) struct Selected {
    /// Canonical name.
    pub(super) folder: String,
    pub(super) view: View,
    pub(super) read_only: bool,
    watch: watch::Receiver<u64>,
    /// ENVELOPE and BODYSTRUCTURE by UID.
    summaries: HashMap<u32, Arc<mime::Summary>>,
    /// The messages `\Recent` for this session (see `store/recent.rs`): claimed from
    /// `new/` by a read-write SELECT and at each refresh that finds new messages; for
    /// EXAMINE, those no session has claimed yet (EXAMINE claims nothing).
    pub(super) recent: HashSet<u32>,
}

impl Selected {
    /// Waits until the folder changes through this store.
    pub(super) async fn changed(&mut self) {
        if self.watch.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// The FETCH flags of a message, with `\Recent` when it is recent for this session.
    pub(super) fn flags_of(&self, uid: u32, flags: &Flags) -> Vec<FlagFetch> {
        let mut out = fetch_flags(flags);
        if self.recent.contains(&uid) {
            out.push(FlagFetch::Recent);
        }
        out
    }

    pub(super) fn summary(&self, uid: u32) -> Option<Arc<mime::Summary>> {
        self.summaries.get(&uid).cloned()
    }

    pub(super) fn keep_summary(&mut self, uid: u32, summary: Arc<mime::Summary>) {
        if self.summaries.len() >= CACHE_ENTRIES {
            self.summaries.clear();
        }
        self.summaries.insert(uid, summary);
    }

    /// Records flags and modseqs this session set, so the next refresh does not report
    /// them again.
    fn record(&mut self, changed: &[(u32, Flags, u64)]) {
        for (uid, flags, modseq) in changed {
            if let Ok(i) = self.view.messages.binary_search_by_key(uid, |m| m.uid)
                && let Some(m) = self.view.messages.get_mut(i)
            {
                m.flags = flags.clone();
                m.modseq = *modseq;
            }
        }
    }

    /// Forgets messages this session removed (and pushed).
    fn forget(&mut self, uids: &[u32]) {
        let gone: HashSet<u32> = uids.iter().copied().collect();
        self.view.messages.retain(|m| !gone.contains(&m.uid));
        for uid in uids {
            self.summaries.remove(uid);
            self.recent.remove(uid);
        }
    }
}

/// A folder name from the wire, as the store names it.
pub(super) fn folder_name(mailbox: &Mailbox) -> Option<String> {
    mailbox.to_utf8().ok()
}

/// The IMAP flags of a message.
pub(super) fn imap_flags(flags: &Flags) -> Vec<Flag> {
    let mut out: Vec<Flag> = flags
        .system()
        .map(|f| match f {
            store::Flag::Answered => Flag::Answered,
            store::Flag::Flagged => Flag::Flagged,
            store::Flag::Deleted => Flag::Deleted,
            store::Flag::Seen => Flag::Seen,
            store::Flag::Draft => Flag::Draft,
        })
        .collect();
    out.extend(
        flags
            .keywords()
            .iter()
            .filter_map(|k| Atom::try_from(k.as_str()).ok())
            .map(Flag::Keyword),
    );
    out
}

pub(super) fn fetch_flags(flags: &Flags) -> Vec<FlagFetch> {
    imap_flags(flags).into_iter().map(FlagFetch::Flag).collect()
}

/// The store's flags for IMAP flags (`\Recent` and other extension flags are not stored).
pub(super) fn store_flags(flags: &[Flag]) -> Flags {
    let mut out = Flags::new();
    for f in flags {
        match f {
            Flag::Answered => out.insert(store::Flag::Answered),
            Flag::Flagged => out.insert(store::Flag::Flagged),
            Flag::Deleted => out.insert(store::Flag::Deleted),
            Flag::Seen => out.insert(store::Flag::Seen),
            Flag::Draft => out.insert(store::Flag::Draft),
            Flag::Keyword(k) => {
                if let Some(k) = k.as_str() {
                    out.insert_keyword(k);
                }
            }
            Flag::Extension(_) => {}
        }
    }
    out
}

/// The compact set form of ascending UIDs or numbers (`1:3,7`).
pub(super) fn number_set(numbers: &[u32]) -> Option<SequenceSet> {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut iter = sorted.iter().copied().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while iter.peek() == Some(&(last.wrapping_add(1))) {
            last = iter.next().unwrap_or(last);
        }
        if !out.is_empty() {
            out.push(',');
        }
        if first == last {
            out.push_str(&first.to_string());
        } else {
            out.push_str(&format!("{first}:{last}"));
        }
    }
    SequenceSet::try_from(out.as_str()).ok()
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u8::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u8::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// INTERNALDATE (UTC) of a file time.
pub(super) fn internal_date(time: SystemTime) -> Option<DateTime> {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let rest = secs.rem_euclid(86_400);
    let date = Date::new(u16::try_from(y).ok()?, m, d).ok()?;
    DateTime::new(
        date,
        u8::try_from(rest / 3600).ok()?,
        u8::try_from(rest % 3600 / 60).ok()?,
        u8::try_from(rest % 60).ok()?,
        0,
    )
    .ok()
}

/// The calendar day (UTC) of a file time, for SEARCH BEFORE/ON/SINCE.
pub(super) fn day_of(time: SystemTime) -> (i64, u8, u8) {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    civil(secs.div_euclid(86_400))
}

/// How many `(seq, uid)` pairs of QRESYNC's sequence match data are looked at.
const SEQ_MATCH_PAIRS: usize = 100_000;

/// What QRESYNC's `SELECT` reports as `VANISHED (EARLIER)` (RFC 7162 §3.2.5.2): the UIDs
/// expunged since the client's modseq, only those among its known UIDs when it sent them.
/// When the modseq is older than the expunges the folder remembers, every known UID (every
/// UID below UIDNEXT without the list) that is not in the folder, above the last point where
/// the client's sequence match data still agrees with the folder: when the client's message
/// number `s` is still UID `u`, nothing below `u` was expunged since.
fn qresync_vanished(view: &View, q: &QResync) -> Option<SequenceSet> {
    let largest = view.uidnext.saturating_sub(1);
    let known = match &q.known_uids {
        Some(SeqSetOrSaved::Set(set)) => Some(set),
        _ => None,
    };
    let in_known = |u: u32| known.is_none_or(|k| k.contains(u, largest));
    let gone = view.vanished_since(q.mod_seq.get());
    let mut out: Vec<(u32, u32)> = gone
        .uids
        .iter()
        .filter(|&&u| in_known(u))
        .map(|&u| (u, u))
        .collect();
    if !gone.complete {
        let mut floor = 1;
        if let Some((SeqSetOrSaved::Set(seqs), SeqSetOrSaved::Set(uids))) = &q.seq_match {
            let pairs = seqs.iter(view.exists()).zip(uids.iter(largest));
            for (seq, uid) in pairs.take(SEQ_MATCH_PAIRS) {
                if view.seq_of(uid) == Some(seq) {
                    floor = floor.max(uid.saturating_add(1));
                }
            }
        }
        let spans: Vec<(u32, u32)> = match known {
            Some(k) => k.ranges().iter().map(|r| r.bounds(largest)).collect(),
            None => vec![(1, largest)],
        };
        let present: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
        for (a, b) in spans {
            let (a, b) = (a.min(b).max(floor), a.max(b).min(largest));
            if a > b {
                continue;
            }
            let mut next = a;
            let start = present.partition_point(|&u| u < a);
            for &u in present.get(start..).unwrap_or_default() {
                if u > b {
                    break;
                }
                if u > next {
                    out.push((next, u - 1));
                }
                next = u.saturating_add(1);
            }
            if next <= b {
                out.push((next, b));
            }
        }
    }
    range_set(out)
}

/// The set form of UID ranges in any order, overlapping or not.
fn range_set(mut ranges: Vec<(u32, u32)>) -> Option<SequenceSet> {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let text: Vec<String> = merged
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}:{b}")
            }
        })
        .collect();
    SequenceSet::try_from(text.join(",").as_str()).ok()
}

/// A store error as the tagged NO.
pub(super) fn store_error(e: &store::Error) -> Completion {
    let code = match e {
        store::Error::NoSuchFolder => Code::NonExistent,
        store::Error::AlreadyExists => Code::AlreadyExists,
        store::Error::BadName(_) | store::Error::NotAllowed(_) => Code::Cannot,
        store::Error::NoSuchMessage => Code::ExpungeIssued,
        store::Error::TooManyKeywords => Code::Limit,
        store::Error::LockTimeout => Code::InUse,
        _ => Code::ServerBug,
    };
    no(Some(code), &e.to_string())
}

/// Runs a blocking store call.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> store::Result<T> + Send + 'static,
) -> store::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| store::Error::Io(std::io::Error::other(e)))
        .and_then(|r| r)
}

impl ImapConn {
    pub(super) async fn select(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        mailbox: &Mailbox,
        read_only: bool,
        params: SelectParams,
    ) {
        self.selected = None;
        let Some(name) = folder_name(mailbox) else {
            let _ = server.complete(token, no(Some(Code::NonExistent), "no such folder"));
            return;
        };
        // \Recent: a read-write SELECT claims what no session has seen (store/recent.rs),
        // before the view is taken so that every claimed message is in it.
        let claimed = if read_only {
            Vec::new()
        } else {
            let (a, n) = (account.clone(), name.clone());
            match blocking(move || a.claim_recent(&n)).await {
                Ok(uids) => uids,
                // No such folder: the open below says so.
                Err(store::Error::NoSuchFolder) => Vec::new(),
                Err(e) => {
                    self.log(&format!("cannot claim recent messages: {e}"));
                    Vec::new()
                }
            }
        };
        let a = account.clone();
        let view = match blocking(move || a.open(&name)).await {
            Ok(v) => v,
            Err(e) => {
                let _ = server.complete(token, store_error(&e));
                return;
            }
        };
        let Ok(mut watch) = account.watch(&view.folder) else {
            let _ = server.complete(token, no(Some(Code::ServerBug), "cannot watch folder"));
            return;
        };
        watch.borrow_and_update();
        let mut flags = vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ];
        for k in &view.keywords {
            if let Ok(a) = Atom::try_from(k.as_str()) {
                flags.push(Flag::Keyword(a));
            }
        }
        let mut permanent: Vec<FlagPerm> = flags.iter().cloned().map(FlagPerm::Flag).collect();
        if view.can_create_keywords {
            permanent.push(FlagPerm::Any);
        }
        let recent: HashSet<u32> = if read_only {
            view.messages
                .iter()
                .filter(|m| m.recent)
                .map(|m| m.uid)
                .collect()
        } else {
            claimed.into_iter().collect()
        };
        let snapshot = MailboxSnapshot {
            uids: view.messages.iter().map(|m| m.uid).collect(),
            flags,
            permanent_flags: permanent,
            uid_validity: view.uidvalidity,
            uid_next: view.uidnext,
            highest_modseq: Some(view.highest_modseq.max(1)),
            recent: u32::try_from(
                view.messages
                    .iter()
                    .filter(|m| recent.contains(&m.uid))
                    .count(),
            )
            .unwrap_or(u32::MAX),
            first_unseen: view
                .messages
                .iter()
                .find(|m| !m.flags.contains(store::Flag::Seen))
                .map(|m| m.uid),
            read_only: false,
        };
        if server.open_mailbox(token, snapshot).is_err() {
            let _ = server.complete(token, no(Some(Code::ServerBug), "cannot open"));
            return;
        }
        // QRESYNC (RFC 7162 §3.2.5): what vanished and what changed since the client's
        // modseq, when its UIDVALIDITY is still right.
        if let Some(q) = &params.qresync
            && q.uid_validity.get() == view.uidvalidity
        {
            let since = q.mod_seq.get();
            if let Some(uids) = qresync_vanished(&view, q) {
                let _ = server.send_response(
                    token,
                    Response::Data(Data::Vanished {
                        earlier: true,
                        uids,
                    }),
                );
            }
            for m in view.messages.iter().filter(|m| m.modseq > since) {
                let mut flags = fetch_flags(&m.flags);
                if recent.contains(&m.uid) {
                    flags.push(FlagFetch::Recent);
                }
                let items = vec![FetchItem::Flags(flags), FetchItem::ModSeq(m.modseq)];
                let _ = server.send_fetch(token, m.uid, items);
            }
        }
        self.log(&format!(
            "{} {} ({} messages)",
            if read_only { "examine" } else { "select" },
            view.folder,
            view.messages.len()
        ));
        self.selected = Some(Selected {
            folder: view.folder.clone(),
            view,
            read_only,
            watch,
            summaries: HashMap::new(),
            recent,
        });
        let _ = server.accept(token);
    }

    /// Looks at the selected folder again and pushes what changed.
    pub(super) async fn refresh(&mut self, server: &mut Server) {
        if server.selected().is_none() {
            self.selected = None;
        }
        let (Some(sel), Some(account)) = (self.selected.as_mut(), self.account.clone()) else {
            return;
        };
        sel.watch.borrow_and_update();
        let folder = sel.folder.clone();
        let a = account.clone();
        let fresh = match blocking(move || a.open(&folder)).await {
            Ok(v) => v,
            Err(store::Error::NoSuchFolder) => {
                // Deleted or renamed away: every message is gone for this session.
                let mut empty = sel.view.clone();
                empty.messages.clear();
                empty
            }
            Err(e) => {
                println!("imap: cannot refresh {}: {e}", sel.folder);
                return;
            }
        };
        // The store says what changed (View::refresh): expunges, then new messages, then
        // flags, which is the order the machine wants them pushed.
        let largest = sel.view.messages.last().map_or(0, |m| m.uid);
        let changes = sel.view.refresh(fresh);
        if changes.uidvalidity_changed {
            // The folder was recreated: the client's UIDs mean nothing any more, and IMAP
            // has no way to tell a selected session but to end it (RFC 9051 §2.3.1.1); the
            // session loop sends the BYE.
            println!(
                "{} {}: {} was recreated (UIDVALIDITY changed): ending the session",
                self.service, self.peer, sel.folder
            );
            self.ending =
                Some("selected folder was recreated (UIDVALIDITY changed), select it again");
            return;
        }
        if changes.is_empty() {
            return;
        }
        for uid in changes.vanished {
            sel.summaries.remove(&uid);
            sel.recent.remove(&uid);
            let _ = server.push(Update::Expunged { uid });
        }
        let arrived: Vec<u32> = sel
            .view
            .messages
            .iter()
            .map(|m| m.uid)
            .filter(|&u| u > largest)
            .collect();
        if !sel.read_only && !arrived.is_empty() {
            // New messages: this session claims those no other has (\Recent).
            let (a, folder) = (account.clone(), sel.folder.clone());
            if let Ok(uids) = blocking(move || a.claim_recent(&folder)).await {
                sel.recent.extend(uids);
            }
        }
        for uid in arrived {
            let _ = server.push(Update::Exists { uid });
        }
        for uid in changes.flags {
            if let Some(m) = sel.view.by_uid(uid) {
                let _ = server.push(Update::Flags {
                    uid,
                    flags: imap_flags(&m.flags),
                    modseq: Some(m.modseq),
                });
            }
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of ServerEvent::Store"
    )]
    pub(super) async fn store(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        uid_command: bool,
        uids: &[u32],
        unchanged_since: Option<u64>,
        action: StoreAction,
        silent: bool,
        item: StoreItem,
    ) {
        let Some(sel) = self.selected.as_mut() else {
            let _ = server.complete(token, no(None, "no folder selected"));
            return;
        };
        let StoreItem::Flags(list) = item else {
            let _ = server.complete(token, no(Some(Code::Cannot), "labels are not supported"));
            return;
        };
        let flags = store_flags(&list);
        let op = match action {
            StoreAction::Replace => FlagOp::Replace,
            StoreAction::Add => FlagOp::Add,
            StoreAction::Remove => FlagOp::Remove,
        };
        let (a, folder, set) = (account.clone(), sel.folder.clone(), uids.to_vec());
        let update =
            match blocking(move || a.set_flags(&folder, &set, op, &flags, unchanged_since)).await {
                Ok(u) => u,
                Err(e) => {
                    let _ = server.complete(token, store_error(&e));
                    return;
                }
            };
        sel.record(&update.messages);
        let condstore = server.condstore_enabled();
        let changed: HashSet<u32> = update.changed.iter().copied().collect();
        for (uid, flags, modseq) in &update.messages {
            if update.modified.contains(uid) {
                continue;
            }
            let mut items = Vec::new();
            if !silent {
                items.push(FetchItem::Flags(sel.flags_of(*uid, flags)));
            }
            if condstore && (!silent || changed.contains(uid)) {
                items.push(FetchItem::ModSeq(*modseq));
            }
            if !items.is_empty() {
                let _ = server.send_fetch(token, *uid, items);
            }
        }
        if update.modified.is_empty() {
            let _ = server.accept(token);
            return;
        }
        let numbers: Vec<u32> = if uid_command {
            update.modified.clone()
        } else {
            update
                .modified
                .iter()
                .filter_map(|&u| server.selected().and_then(|v| v.seq(u)))
                .collect()
        };
        let completion = match number_set(&numbers) {
            Some(set) => Completion::ok().with_code(Code::Modified(set)),
            None => Completion::ok(),
        };
        let _ = server.complete(token, completion);
    }

    pub(super) async fn copy(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        uids: &[u32],
        mailbox: &Mailbox,
        moved: bool,
    ) {
        let Some(sel) = self.selected.as_mut() else {
            let _ = server.complete(token, no(None, "no folder selected"));
            return;
        };
        let Some(dest) = folder_name(mailbox) else {
            let _ = server.complete(token, no(Some(Code::TryCreate), "no such folder"));
            return;
        };
        let (a, folder, set, to) = (account.clone(), sel.folder.clone(), uids.to_vec(), dest);
        let done = blocking(move || {
            if moved {
                a.move_messages(&folder, &set, &to)
            } else {
                a.copy(&folder, &set, &to)
            }
        })
        .await;
        let transfer = match done {
            Ok(t) => t,
            Err(store::Error::NoSuchFolder) => {
                let _ = server.complete(token, no(Some(Code::TryCreate), "no such folder"));
                return;
            }
            Err(e) => {
                let _ = server.complete(token, store_error(&e));
                return;
            }
        };
        let source: Vec<u32> = transfer.uids.iter().map(|(s, _)| *s).collect();
        let dest: Vec<u32> = transfer.uids.iter().map(|(_, d)| *d).collect();
        let code = match (number_set(&source), number_set(&dest)) {
            (Some(source), Some(destination)) => Some(Code::CopyUid {
                uid_validity: transfer.uidvalidity,
                source,
                destination,
            }),
            _ => None,
        };
        if moved {
            if let Some(code) = code.clone() {
                let _ = server.send_response(
                    token,
                    Response::Status(Status {
                        kind: StatusKind::Untagged(Condition::Ok),
                        code: Some(code),
                        text: text("moved"),
                    }),
                );
            }
            for uid in &source {
                let _ = server.push(Update::Expunged { uid: *uid });
            }
            sel.forget(&source);
        }
        // Into the selected folder itself: announce the new messages now.
        self.refresh(server).await;
        let completion = match code.filter(|_| !moved) {
            Some(code) => Completion::ok().with_code(code),
            None => Completion::ok(),
        };
        let _ = server.complete(token, completion);
    }

    pub(super) async fn expunge(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        uids: Option<&[u32]>,
    ) {
        let Some(sel) = self.selected.as_mut() else {
            let _ = server.complete(token, no(None, "no folder selected"));
            return;
        };
        let (a, folder, set) = (
            account.clone(),
            sel.folder.clone(),
            uids.map(<[u32]>::to_vec),
        );
        match blocking(move || a.expunge(&folder, set.as_deref())).await {
            Ok(removed) => {
                for uid in &removed {
                    let _ = server.push(Update::Expunged { uid: *uid });
                }
                sel.forget(&removed);
                let _ = server.accept(token);
            }
            Err(e) => {
                let _ = server.complete(token, store_error(&e));
            }
        }
    }

    pub(super) async fn close(
        &mut self,
        server: &mut Server,
        account: &Account,
        token: Token,
        read_only: bool,
    ) {
        if let Some(sel) = self.selected.take()
            && !read_only
            && !sel.read_only
        {
            let (a, folder) = (account.clone(), sel.folder.clone());
            if let Err(e) = blocking(move || a.expunge(&folder, None)).await {
                let _ = server.complete(token, store_error(&e));
                return;
            }
        }
        let _ = server.accept(token);
    }
}
