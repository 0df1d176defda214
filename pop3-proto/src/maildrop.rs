//! The server's view of a locked maildrop: sizes, unique-ids and deletion marks.

use crate::error::SendError;
use crate::response::{ScanListing, Stat, UniqueIdListing};
use crate::types::{MessageNumber, Uid};

#[derive(Debug, Clone)]
struct Entry {
    size: u64,
    uid: Uid,
    deleted: bool,
}

/// The messages of a maildrop, as the application hands them over after a login.
///
/// Message numbers are positions in this list, from 1 (RFC 1939 §3), and stay stable for the
/// session; DELE only marks, RSET unmarks, and only QUIT commits.
#[derive(Debug, Clone, Default)]
pub struct Maildrop {
    entries: Vec<Entry>,
    total: u64,
}

impl Maildrop {
    /// An empty maildrop.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a message of `size` octets (as sent: CRLF line endings, before dot-stuffing;
    /// see [`wire_size`]) with its unique-id.
    pub fn push(&mut self, size: u64, uid: Uid) -> Result<MessageNumber, SendError> {
        let total = self.total.checked_add(size).ok_or(SendError::Overflow)?;
        let number = u32::try_from(self.entries.len() + 1)
            .ok()
            .and_then(MessageNumber::new)
            .ok_or(SendError::Overflow)?;
        self.entries.push(Entry {
            size,
            uid,
            deleted: false,
        });
        self.total = total;
        Ok(number)
    }

    /// How many messages, deleted ones included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the maildrop holds no message at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn entry(&self, n: MessageNumber) -> Option<&Entry> {
        self.entries
            .get(usize::try_from(n.get() - 1).ok()?)
            .filter(|e| !e.deleted)
    }

    /// The message's size and unique-id, unless it does not exist or is marked deleted.
    pub fn get(&self, n: MessageNumber) -> Option<(u64, &Uid)> {
        self.entry(n).map(|e| (e.size, &e.uid))
    }

    /// Whether the message exists and is marked deleted.
    pub fn is_deleted(&self, n: MessageNumber) -> bool {
        usize::try_from(n.get() - 1)
            .ok()
            .and_then(|i| self.entries.get(i))
            .is_some_and(|e| e.deleted)
    }

    /// STAT: count and size of the messages not marked deleted.
    pub fn stat(&self) -> Stat {
        let (count, size) = self
            .entries
            .iter()
            .filter(|e| !e.deleted)
            .fold((0u64, 0u64), |(c, s), e| {
                (c.saturating_add(1), s.saturating_add(e.size))
            });
        Stat { count, size }
    }

    /// LIST without argument.
    pub fn scan_listings(&self) -> impl Iterator<Item = ScanListing> + '_ {
        self.live().map(|(number, e)| ScanListing {
            number,
            size: e.size,
        })
    }

    /// UIDL without argument.
    pub fn unique_ids(&self) -> impl Iterator<Item = UniqueIdListing> + '_ {
        self.live().map(|(number, e)| UniqueIdListing {
            number,
            uid: e.uid.clone(),
        })
    }

    fn live(&self) -> impl Iterator<Item = (MessageNumber, &Entry)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.deleted)
            .filter_map(|(i, e)| {
                let n = u32::try_from(i + 1).ok().and_then(MessageNumber::new)?;
                Some((n, e))
            })
    }

    /// Marks a message deleted; false if it does not exist or is already marked.
    pub(crate) fn delete(&mut self, n: MessageNumber) -> bool {
        let Some(e) = usize::try_from(n.get() - 1)
            .ok()
            .and_then(|i| self.entries.get_mut(i))
        else {
            return false;
        };
        if e.deleted {
            return false;
        }
        e.deleted = true;
        true
    }

    /// RSET: unmarks every message.
    pub(crate) fn reset(&mut self) {
        for e in &mut self.entries {
            e.deleted = false;
        }
    }

    /// The marked messages, in order.
    pub fn deleted(&self) -> Vec<(MessageNumber, Uid)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.deleted)
            .filter_map(|(i, e)| {
                let n = u32::try_from(i + 1).ok().and_then(MessageNumber::new)?;
                Some((n, e.uid.clone()))
            })
            .collect()
    }
}

/// The size POP3 reports for a message body (RFC 1939 §5: sizes count CRLF line endings):
/// bare CR and bare LF count as CRLF, as the server sends them, and a missing final line
/// ending is counted as the server adds it. Dot-stuffing is not counted.
pub fn wire_size(body: &[u8]) -> u64 {
    let mut size: u64 = 0;
    let mut prev_cr = false;
    let mut at_line_start = true;
    for &b in body {
        match b {
            b'\r' => {
                if prev_cr {
                    size += 2;
                }
                prev_cr = true;
                at_line_start = false;
            }
            b'\n' => {
                size += 2;
                prev_cr = false;
                at_line_start = true;
            }
            _ => {
                if prev_cr {
                    size += 2;
                }
                prev_cr = false;
                size += 1;
                at_line_start = false;
            }
        }
    }
    if prev_cr || !at_line_start {
        size += 2;
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_sansio::dot::DotStuffer;

    #[test]
    fn wire_size_matches_stuffer() {
        for body in [
            &b""[..],
            b"a",
            b"a\r\n",
            b"a\nb\rc\r\n",
            b"\r",
            b"\r\r\n\n",
            b".x\r\n..\r\n",
        ] {
            let stuffed = DotStuffer::stuff(body);
            // Remove the terminator and the stuffing dots to get what the size counts.
            let mut unstuffed = Vec::new();
            for line in stuffed[..stuffed.len() - 3].split_inclusive(|&b| b == b'\n') {
                unstuffed.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
            }
            assert_eq!(wire_size(body), unstuffed.len() as u64, "{body:?}");
        }
    }

    #[test]
    fn marks() {
        let mut m = Maildrop::new();
        let one = m.push(10, Uid::try_from("a").unwrap()).unwrap();
        m.push(u64::MAX - 10, Uid::try_from("b").unwrap()).unwrap();
        assert_eq!(
            m.push(1, Uid::try_from("c").unwrap()),
            Err(SendError::Overflow)
        );
        assert!(m.delete(one));
        assert!(!m.delete(one));
        assert_eq!(m.stat().count, 1);
        assert!(m.get(one).is_none());
        m.reset();
        assert_eq!(m.stat().count, 2);
    }
}
