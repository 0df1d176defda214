//! The selected mailbox as the client sees it, and the pushed updates that change it.
//!
//! The view is the sequence number to UID map of the client's last knowledge: it changes
//! only when an EXISTS or EXPUNGE reaches the output, never when the application pushes one,
//! so every sequence number the machine writes or reads is the one the client means.

use std::num::NonZeroU32;

use super::{Kind, Server, Updates};
use crate::error::SendError;
use crate::response::{Data, Fetch, FetchItem, Response};
use crate::types::{FlagFetch, SeqBound, SeqRange, SeqSetOrSaved, SequenceSet};

use super::event::Update;

/// The selected mailbox as the client knows it: its UIDs in message-number order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    uids: Vec<u32>,
    read_only: bool,
}

impl View {
    pub(super) fn new(uids: Vec<u32>, read_only: bool) -> Self {
        Self { uids, read_only }
    }

    /// How many messages the client knows of (its last EXISTS, less the EXPUNGEs since).
    pub fn len(&self) -> u32 {
        u32::try_from(self.uids.len()).unwrap_or(u32::MAX)
    }

    /// Whether the mailbox is empty for the client.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// The UID of message `seq` (1-based).
    pub fn uid(&self, seq: u32) -> Option<u32> {
        let index = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.uids.get(index).copied()
    }

    /// The message number of `uid`, if the client knows that message.
    pub fn seq(&self, uid: u32) -> Option<u32> {
        let index = self.uids.binary_search(&uid).ok()?;
        u32::try_from(index + 1).ok()
    }

    /// The UIDs, in message-number order.
    pub fn uids(&self) -> &[u32] {
        &self.uids
    }

    /// Opened with EXAMINE (or the mailbox is read-only).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The UIDs a sequence set names, ascending and without duplicates: by message number
    /// (`uid: false`, `None` when a number is past the end, which is `BAD`), or by UID (UIDs
    /// that do not exist are left out). Work is bounded by the mailbox's size, never by the
    /// numbers written (`1:4294967295` costs what the mailbox holds).
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Option<Vec<u32>> {
        let mut picked = vec![false; self.uids.len()];
        for range in set.ranges() {
            if uid {
                let largest = self.uids.last().copied().unwrap_or(0);
                let (a, b) = bounds(*range, largest);
                let (lo, hi) = (a.min(b), a.max(b));
                // RFC 9051 §6.4.9: `n:*` includes the last UID even when n is larger.
                let (lo, hi) = if matches!(
                    range,
                    SeqRange::Range(_, SeqBound::Last) | SeqRange::Range(SeqBound::Last, _)
                ) && lo > largest
                {
                    (largest, largest)
                } else {
                    (lo, hi)
                };
                let start = self.uids.partition_point(|&u| u < lo);
                let end = self.uids.partition_point(|&u| u <= hi);
                for flag in picked.get_mut(start..end).unwrap_or_default() {
                    *flag = true;
                }
            } else {
                let (a, b) = bounds(*range, self.len());
                let (lo, hi) = (a.min(b), a.max(b));
                if hi > self.len() {
                    return None;
                }
                if lo == 0 {
                    continue; // `*` in an empty mailbox
                }
                let start = usize::try_from(lo - 1).unwrap_or(usize::MAX);
                let end = usize::try_from(hi).unwrap_or(usize::MAX);
                for flag in picked.get_mut(start..end).unwrap_or_default() {
                    *flag = true;
                }
            }
        }
        Some(
            self.uids
                .iter()
                .zip(picked)
                .filter_map(|(&u, p)| p.then_some(u))
                .collect(),
        )
    }

    fn push(&mut self, uid: u32) -> bool {
        if self.uids.last().is_some_and(|&last| last >= uid) {
            return false;
        }
        self.uids.push(uid);
        true
    }

    fn remove(&mut self, uid: u32) -> Option<u32> {
        let seq = self.seq(uid)?;
        let index = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.uids.remove(index);
        Some(seq)
    }
}

fn bounds(range: SeqRange, largest: u32) -> (u32, u32) {
    range.bounds(largest)
}

/// A set of UIDs in the compact wire form (`1:3,7`).
pub(super) fn uid_set(uids: &[u32]) -> Option<SequenceSet> {
    let mut ranges = Vec::new();
    let mut iter = uids.iter().copied().filter_map(NonZeroU32::new).peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while let Some(&next) = iter.peek() {
            if last.get().checked_add(1) == Some(next.get()) {
                last = next;
                iter.next();
            } else {
                break;
            }
        }
        ranges.push(if first == last {
            SeqRange::Single(SeqBound::Value(first))
        } else {
            SeqRange::Range(SeqBound::Value(first), SeqBound::Value(last))
        });
    }
    SequenceSet::new(ranges).ok()
}

impl Server {
    /// Pushes a change to the selected mailbox; see [`Update`] for when and how it reaches
    /// the client. Call it for every change, including those this session's own commands
    /// made (an EXPUNGE's messages, a MOVE's sources, an APPEND to the selected mailbox):
    /// duplicates are ignored.
    pub fn push(&mut self, update: Update) -> Result<(), SendError> {
        if self.error.is_some() || self.closing {
            return Err(SendError::Closed);
        }
        if self.view.is_none() {
            return Err(SendError::WrongState("no mailbox is selected"));
        }
        self.updates.push_back(update);
        if self.is_idle() && self.slots.len() == 1 {
            self.write_updates(Updates::All);
        }
        Ok(())
    }

    /// The UIDs a sequence set of the current command names in the client's view (see
    /// [`View::resolve`]); for SEARCH, SORT and THREAD keys with message numbers or UIDs.
    /// `$` is the saved search result (SEARCHRES, RFC 5182), the same for message numbers
    /// and UIDs, without the messages expunged since; empty until a `SEARCH RETURN (SAVE)`
    /// succeeds. `None` when no mailbox is selected, a message number is past the end, or
    /// the set is `$` and SEARCHRES is not offered.
    pub fn resolve(&self, set: &SeqSetOrSaved, uid: bool) -> Option<Vec<u32>> {
        let view = self.view.as_ref()?;
        match set {
            SeqSetOrSaved::Set(set) => view.resolve(set, uid),
            SeqSetOrSaved::Saved if self.searchres() => Some(
                self.saved
                    .iter()
                    .copied()
                    .filter(|&u| view.seq(u).is_some())
                    .collect(),
            ),
            SeqSetOrSaved::Saved => None,
        }
    }

    /// Writes the pending updates `policy` allows, in order, applying each to the view.
    pub(super) fn write_updates(&mut self, policy: Updates) {
        if policy == Updates::None || self.view.is_none() {
            return;
        }
        let mut exists_pending = false;
        let mut vanished: Vec<u32> = Vec::new();
        while let Some(update) = self.updates.front() {
            let Some(view) = self.view.as_mut() else {
                break;
            };
            let expunge = matches!(update, Update::Expunged { uid } if view.seq(*uid).is_some());
            if expunge && policy == Updates::NoExpunge {
                break;
            }
            let Some(update) = self.updates.pop_front() else {
                break;
            };
            let mut responses: Vec<Data> = Vec::new();
            match update {
                Update::Exists { uid } => {
                    if !vanished.is_empty() {
                        responses.push(vanished_data(&vanished));
                        vanished.clear();
                    }
                    exists_pending |= view.push(uid);
                }
                Update::Expunged { uid } => {
                    if exists_pending {
                        responses.push(Data::Exists(view.len()));
                        exists_pending = false;
                    }
                    if let Some(seq) = view.remove(uid) {
                        if self.enabled.qresync {
                            vanished.push(uid);
                        } else {
                            responses.push(Data::Expunge(seq));
                        }
                    }
                }
                Update::Flags { uid, flags, modseq } => {
                    if exists_pending {
                        responses.push(Data::Exists(view.len()));
                        exists_pending = false;
                    }
                    if !vanished.is_empty() {
                        responses.push(vanished_data(&vanished));
                        vanished.clear();
                    }
                    if let Some(seq) = view.seq(uid) {
                        let mut items = vec![FetchItem::Flags(
                            flags.into_iter().map(FlagFetch::Flag).collect(),
                        )];
                        if self.enabled.qresync {
                            items.push(FetchItem::Uid(uid));
                        }
                        if let Some(m) = modseq.filter(|_| self.enabled.condstore) {
                            items.push(FetchItem::ModSeq(m));
                        }
                        responses.push(Data::Fetch(Fetch { seq, items }));
                    }
                }
            }
            for data in responses {
                self.write_now(&Response::Data(data));
            }
        }
        if !vanished.is_empty() {
            self.write_now(&Response::Data(vanished_data(&vanished)));
        }
        if exists_pending && let Some(view) = &self.view {
            let n = view.len();
            self.write_now(&Response::Data(Data::Exists(n)));
        }
    }

    /// Closes the selected mailbox: the view and the updates not sent are dropped.
    pub(super) fn deselect(&mut self) {
        self.view = None;
        self.updates.clear();
        self.saved.clear();
        if self.state == crate::state::State::Selected {
            self.state = crate::state::State::Authenticated;
        }
    }

    /// Whether the slot's command reads message numbers (FETCH, STORE, SEARCH): no EXPUNGE
    /// may be sent while answering it (RFC 9051 §7.5.1).
    pub(super) fn updates_for(kind: &Kind, uid: bool) -> Updates {
        match kind {
            Kind::Fetch { .. } | Kind::Search { .. } | Kind::Sort { .. } | Kind::Thread { .. }
                if !uid =>
            {
                Updates::NoExpunge
            }
            _ => Updates::All,
        }
    }
}

fn vanished_data(uids: &[u32]) -> Data {
    match uid_set(uids) {
        Some(uids) => Data::Vanished {
            earlier: false,
            uids,
        },
        None => Data::Exists(0),
    }
}
