//! The optional mailbox-state tracker: what the client knows about the selected mailbox,
//! kept right as untagged responses arrive (RFC 9051 §7.3, §7.4, §7.5; RFC 7162 §3.2.10).
//!
//! Sequence numbers move: `* 3 EXPUNGE` removes message 3 and renumbers every later one, and
//! `* VANISHED` does the same by UID. Applications that keep their own seq→UID table get this
//! wrong often (rust-imap #72, #91, #114: EXPUNGE/EXISTS lost during IDLE), so the machine
//! can keep it, updated before each response is handed out as an event.

use crate::response::{Code, Data, Fetch, FetchItem};
use crate::types::{Flag, FlagFetch, FlagPerm, Mailbox};

/// What is known of one message of the selected mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MessageState {
    /// Its UID, once a FETCH carried it.
    pub uid: Option<u32>,
    /// Its flags, once a FETCH carried them.
    pub flags: Option<Vec<FlagFetch>>,
    /// Its mod-sequence (CONDSTORE), once a FETCH carried it.
    pub modseq: Option<u64>,
}

/// The state of the selected (or examined) mailbox.
///
/// Messages are numbered from 1 as on the wire. A message's UID, flags and mod-sequence are
/// known once the server sent them in a FETCH (ask for `UID FLAGS` after selecting to fill
/// the table); VANISHED (QRESYNC) can only renumber messages whose UIDs are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxState {
    mailbox: Mailbox,
    read_only: bool,
    exists: u32,
    /// The known messages from 1 on; those past the end are known only by their number.
    messages: Vec<MessageState>,
    recent: u32,
    flags: Vec<Flag>,
    permanent_flags: Option<Vec<FlagPerm>>,
    uid_validity: Option<u32>,
    uid_next: Option<u32>,
    highest_modseq: Option<u64>,
    no_modseq: bool,
    unseen: Option<u32>,
}

impl MailboxState {
    /// Messages tracked at most: 4 Mi, some 160 MiB. The table grows only as FETCH responses
    /// fill it, never because of an EXISTS count the server announced.
    pub const TRACKED: usize = 1 << 22;

    /// An empty state for `mailbox`, as SELECT or EXAMINE starts it.
    pub(super) fn new(mailbox: Mailbox, read_only: bool) -> Self {
        Self {
            mailbox,
            read_only,
            exists: 0,
            messages: Vec::new(),
            recent: 0,
            flags: Vec::new(),
            permanent_flags: None,
            uid_validity: None,
            uid_next: None,
            highest_modseq: None,
            no_modseq: false,
            unseen: None,
        }
    }

    /// The mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// Whether it is read-only (EXAMINE, or `[READ-ONLY]`).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// How many messages it holds (EXISTS, less the expunged ones since).
    pub fn exists(&self) -> u32 {
        self.exists
    }

    /// The last RECENT count (IMAP4rev1).
    pub fn recent(&self) -> u32 {
        self.recent
    }

    /// The flags defined in the mailbox (`* FLAGS`).
    pub fn flags(&self) -> &[Flag] {
        &self.flags
    }

    /// The flags the client can change permanently (`[PERMANENTFLAGS]`), once sent.
    pub fn permanent_flags(&self) -> Option<&[FlagPerm]> {
        self.permanent_flags.as_deref()
    }

    /// `[UIDVALIDITY]`: when it differs from the value cached, every cached UID is void.
    pub fn uid_validity(&self) -> Option<u32> {
        self.uid_validity
    }

    /// `[UIDNEXT]`, moved on by the UIDs seen in FETCH responses.
    pub fn uid_next(&self) -> Option<u32> {
        self.uid_next
    }

    /// `[HIGHESTMODSEQ]` (CONDSTORE), moved on by the MODSEQ items seen in FETCH responses.
    pub fn highest_modseq(&self) -> Option<u64> {
        self.highest_modseq
    }

    /// `[NOMODSEQ]`: the mailbox keeps no mod-sequences.
    pub fn no_modseq(&self) -> bool {
        self.no_modseq
    }

    /// `[UNSEEN n]` (IMAP4rev1): the first unseen message when the mailbox was selected.
    pub fn first_unseen(&self) -> Option<u32> {
        self.unseen
    }

    /// What is known of message `seq` (from 1).
    pub fn message(&self, seq: u32) -> Option<&MessageState> {
        let index = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.messages.get(index)
    }

    /// The UID of message `seq`, when known.
    pub fn uid(&self, seq: u32) -> Option<u32> {
        self.message(seq).and_then(|m| m.uid)
    }

    /// The sequence number of the message with `uid`, when its UID is known. UIDs grow with
    /// sequence numbers (RFC 9051 §2.3.1.1), so a binary search over the known ones finds it.
    pub fn seq(&self, uid: u32) -> Option<u32> {
        let index = self.index_of(uid)?;
        u32::try_from(index + 1).ok()
    }

    /// What is known of the messages in sequence order, from message 1 up to the last one a
    /// FETCH told something about (at most [`MailboxState::TRACKED`]).
    pub fn messages(&self) -> &[MessageState] {
        &self.messages
    }

    /// The index of the message with `uid`. Unknown UIDs in between are stepped over.
    fn index_of(&self, uid: u32) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.messages.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            // The nearest message at or after `mid` whose UID is known.
            let known =
                (mid..hi).find_map(|i| self.messages.get(i).and_then(|m| m.uid).map(|u| (i, u)));
            match known {
                None => hi = mid,
                Some((i, u)) if u == uid => return Some(i),
                Some((i, u)) if u < uid => lo = i + 1,
                Some(_) => hi = mid,
            }
        }
        None
    }

    /// Applies untagged data; returns nothing, the caller hands the data on as an event.
    pub(super) fn apply(&mut self, data: &Data) {
        match data {
            Data::Exists(n) => {
                // EXISTS never shrinks the mailbox (RFC 9051 §7.4.1); a smaller one from a
                // broken server is taken as the truth rather than kept inconsistent.
                self.exists = *n;
                self.messages
                    .truncate(usize::try_from(*n).unwrap_or(usize::MAX));
            }
            Data::Recent(n) => self.recent = *n,
            Data::Expunge(seq) => {
                if *seq == 0 || *seq > self.exists {
                    return;
                }
                self.exists -= 1;
                if let Some(index) = usize::try_from(*seq - 1).ok()
                    && index < self.messages.len()
                {
                    self.messages.remove(index);
                }
            }
            // EARLIER: expunged before this session saw them; the count does not change
            // (RFC 7162 §3.2.10). Otherwise every UID listed was in the mailbox.
            Data::Vanished {
                earlier: false,
                uids,
            } => {
                self.messages
                    .retain(|m| m.uid.is_none_or(|u| !uids.contains(u, u32::MAX)));
                let listed = uids.ranges().iter().fold(0u64, |sum, r| {
                    let (lo, hi) = r.bounds(u32::MAX);
                    sum.saturating_add(u64::from(hi - lo) + 1)
                });
                let floor = u32::try_from(self.messages.len()).unwrap_or(u32::MAX);
                let left = u64::from(self.exists).saturating_sub(listed);
                self.exists = u32::try_from(left).unwrap_or(u32::MAX).max(floor);
            }
            Data::Flags(flags) => self.flags.clone_from(flags),
            Data::Fetch(fetch) => self.apply_fetch(fetch),
            _ => {}
        }
    }

    fn apply_fetch(&mut self, fetch: &Fetch) {
        let Some(index) = usize::try_from(fetch.seq)
            .ok()
            .and_then(|s| s.checked_sub(1))
        else {
            return;
        };
        if fetch.seq > self.exists || index >= Self::TRACKED {
            return;
        }
        if index >= self.messages.len() {
            self.messages.resize(index + 1, MessageState::default());
        }
        let Some(message) = self.messages.get_mut(index) else {
            return;
        };
        for item in &fetch.items {
            match item {
                FetchItem::Uid(uid) => {
                    message.uid = Some(*uid);
                    if self.uid_next.is_some_and(|next| *uid >= next) {
                        self.uid_next = uid.checked_add(1);
                    }
                }
                FetchItem::Flags(flags) => message.flags = Some(flags.clone()),
                FetchItem::ModSeq(modseq) => {
                    message.modseq = Some(*modseq);
                    if self.highest_modseq.is_some_and(|h| *modseq > h) {
                        self.highest_modseq = Some(*modseq);
                    }
                }
                _ => {}
            }
        }
    }

    /// Applies a response code of an untagged or tagged status.
    pub(super) fn apply_code(&mut self, code: &Code) {
        match code {
            Code::UidValidity(v) => {
                if self.uid_validity.is_some_and(|old| old != *v) {
                    // Every UID known so far is void (RFC 9051 §2.3.1.1).
                    self.messages.clear();
                }
                self.uid_validity = Some(*v);
            }
            Code::UidNext(n) => self.uid_next = Some(*n),
            Code::HighestModSeq(m) => self.highest_modseq = Some(*m),
            Code::NoModSeq => self.no_modseq = true,
            Code::PermanentFlags(f) => self.permanent_flags = Some(f.clone()),
            Code::ReadOnly => self.read_only = true,
            Code::ReadWrite => self.read_only = false,
            Code::Unseen(n) => self.unseen = Some(*n),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::types::SequenceSet;

    fn fetch_uid(seq: u32, uid: u32) -> Data {
        Data::Fetch(Fetch {
            seq,
            items: vec![FetchItem::Uid(uid)],
        })
    }

    fn state(uids: &[u32]) -> MailboxState {
        let mut s = MailboxState::new(Mailbox::Inbox, false);
        s.apply(&Data::Exists(uids.len() as u32));
        for (i, uid) in uids.iter().enumerate() {
            s.apply(&fetch_uid(i as u32 + 1, *uid));
        }
        s
    }

    #[test]
    fn expunge_renumbers() {
        let mut s = state(&[10, 11, 12, 13]);
        s.apply(&Data::Expunge(2));
        assert_eq!(s.exists(), 3);
        assert_eq!(s.uid(2), Some(12));
        assert_eq!(s.seq(13), Some(3));
        assert_eq!(s.seq(11), None);
        s.apply(&Data::Exists(5));
        assert_eq!(s.exists(), 5);
        assert_eq!(s.uid(5), None);
        s.apply(&fetch_uid(5, 20));
        assert_eq!(s.seq(20), Some(5));
        // Unknown UIDs in the middle are stepped over.
        assert_eq!(s.seq(13), Some(3));
    }

    #[test]
    fn vanished_by_uid() {
        let mut s = state(&[3, 5, 7, 9]);
        s.apply(&Data::Vanished {
            earlier: true,
            uids: SequenceSet::try_from("5").unwrap(),
        });
        assert_eq!(s.exists(), 4);
        s.apply(&Data::Vanished {
            earlier: false,
            uids: SequenceSet::try_from("4:7").unwrap(),
        });
        assert_eq!(s.exists(), 2);
        assert_eq!(s.uid(2), Some(9));
    }

    #[test]
    fn uidvalidity_change_voids_uids() {
        let mut s = state(&[1, 2]);
        s.apply_code(&Code::UidValidity(7));
        assert_eq!(s.uid(1), Some(1));
        s.apply_code(&Code::UidValidity(8));
        assert_eq!(s.uid(1), None);
        assert_eq!(s.exists(), 2);
    }
}
