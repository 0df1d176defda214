//! Is a name a host name? RFC 1123 §2.1 label syntax, the all-digit
//! top-level rule and IPv4 literals, for owned names and for names still
//! compressed inside a message.

use std::net::{IpAddr, Ipv4Addr};

/// What a name is as an MX exchange (RFC 5321 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// Letters, digits and hyphens, with a top-level label not all digits.
    Hostname,
    /// An IPv4 address literal such as `192.0.2.1`.
    IpLiteral(Ipv4Addr),
    /// Anything else (`_mx.example`, raw UTF-8, the root).
    Neither,
}

/// Class bit: a letter, digit or hyphen.
const LDH: u8 = 1;
/// Class bit: a letter or digit.
const ALNUM: u8 = 2;
/// Class bit: a digit.
const DIGIT: u8 = 4;

/// The class bits of every octet.
#[allow(
    clippy::indexing_slicing,
    reason = "b < 256; a const block cannot call get_mut"
)]
const OCTET_CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_digit() {
            LDH | ALNUM | DIGIT
        } else if c.is_ascii_alphabetic() {
            LDH | ALNUM
        } else if c == b'-' {
            LDH
        } else {
            0
        };
        b += 1;
    }
    table
};

/// The class bits of `b`.
#[inline]
fn octet_class(b: u8) -> u8 {
    OCTET_CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// The class bits all octets of `label` share, and whether it is a
/// `let-dig-hyp` label (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1):
/// `label = let-dig [ *61( let-dig / "-" ) let-dig ]`.
#[inline]
fn label_class(label: &[u8]) -> (u8, bool) {
    let class = label.iter().fold(u8::MAX, |acc, &b| acc & octet_class(b));
    let edges = match (label.first(), label.last()) {
        (Some(&a), Some(&z)) => octet_class(a) & octet_class(z),
        _ => 0,
    };
    (class, class & LDH != 0 && edges & ALNUM != 0)
}

/// Whether `label` is a host name label.
pub(crate) fn is_ldh_label(label: &[u8]) -> bool {
    label_class(label).1
}

/// What a run of labels adds up to: enough to decide [`HostKind`] for a
/// name made of several runs (compression pointers join runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelRun {
    labels: u8,
    all_ldh: bool,
    last_digits: bool,
}

impl LabelRun {
    /// No labels.
    pub(crate) const EMPTY: Self = Self {
        labels: 0,
        all_ldh: true,
        last_digits: false,
    };

    /// Adds the next label.
    #[inline]
    pub(crate) fn push(&mut self, label: &[u8]) {
        let (class, ldh) = label_class(label);
        self.all_ldh &= ldh;
        self.last_digits = class & DIGIT != 0;
        self.labels = self.labels.saturating_add(1);
    }

    /// This run followed by `tail`.
    #[inline]
    pub(crate) fn then(self, tail: Self) -> Self {
        Self {
            labels: self.labels.saturating_add(tail.labels),
            all_ldh: self.all_ldh && tail.all_ldh,
            last_digits: if tail.labels > 0 {
                tail.last_digits
            } else {
                self.last_digits
            },
        }
    }

    /// The verdict for a whole name; `literal` reads the IPv4 literal
    /// when the labels may spell one (four labels, all digits at the end).
    pub(crate) fn kind(self, literal: impl FnOnce() -> Option<IpAddr>) -> HostKind {
        match (self.labels, self.last_digits, self.all_ldh) {
            (0, _, _) => HostKind::Neither,
            (4, true, true) => match literal() {
                Some(IpAddr::V4(address)) => HostKind::IpLiteral(address),
                _ => HostKind::Neither,
            },
            (_, false, true) => HostKind::Hostname,
            _ => HostKind::Neither,
        }
    }
}

/// The IPv4 address four labels spell (`192.0.2.1`): each one to three
/// digits, no leading zero, at most 255.
pub(crate) fn ipv4_literal<'a>(labels: impl Iterator<Item = &'a [u8]>) -> Option<IpAddr> {
    let mut octets = [0u8; 4];
    let mut count = 0;
    for label in labels {
        let slot = octets.get_mut(count)?;
        if label.is_empty() || label.len() > 3 || !label.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if label.len() > 1 && label.first() == Some(&b'0') {
            return None;
        }
        *slot = std::str::from_utf8(label).ok()?.parse().ok()?;
        count += 1;
    }
    (count == 4).then(|| IpAddr::V4(Ipv4Addr::from(octets)))
}

/// Slots of a [`RunMemo`] (direct-mapped by offset).
const MEMO_SLOTS: usize = 8;

/// What the suffixes of one message that compression pointers lead to add
/// up to, so sibling names (`mx1.example.com`, `mx2.example.com`) classify
/// their shared suffix once.
#[derive(Debug)]
pub(crate) struct RunMemo {
    /// (offset, summary) per slot; offset 0 (inside the header, never a
    /// pointer target) marks an empty slot.
    slots: [(u16, LabelRun); MEMO_SLOTS],
}

impl RunMemo {
    pub(crate) fn new() -> Self {
        Self {
            slots: [(0, LabelRun::EMPTY); MEMO_SLOTS],
        }
    }

    pub(crate) fn get(&self, at: usize) -> Option<LabelRun> {
        match self.slots.get(at % MEMO_SLOTS) {
            Some(&(pos, run)) if usize::from(pos) == at => Some(run),
            _ => None,
        }
    }

    pub(crate) fn put(&mut self, at: usize, run: LabelRun) {
        if let (Some(slot), Ok(pos)) = (self.slots.get_mut(at % MEMO_SLOTS), u16::try_from(at)) {
            *slot = (pos, run);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(labels: &[&str]) -> HostKind {
        let mut run = LabelRun::EMPTY;
        for l in labels {
            run.push(l.as_bytes());
        }
        run.kind(|| ipv4_literal(labels.iter().map(|l| l.as_bytes())))
    }

    #[test]
    fn verdicts() {
        assert_eq!(kind(&["mx", "example", "com"]), HostKind::Hostname);
        assert_eq!(kind(&["a-b", "x1"]), HostKind::Hostname);
        assert_eq!(kind(&["_mx", "example"]), HostKind::Neither);
        assert_eq!(kind(&["-a", "example"]), HostKind::Neither);
        assert_eq!(kind(&["a-", "example"]), HostKind::Neither);
        assert_eq!(kind(&["a", "123"]), HostKind::Neither);
        assert_eq!(kind(&[]), HostKind::Neither);
        assert_eq!(
            kind(&["192", "0", "2", "1"]),
            HostKind::IpLiteral("192.0.2.1".parse().unwrap())
        );
        assert_eq!(kind(&["192", "0", "2", "256"]), HostKind::Neither);
        assert_eq!(kind(&["192", "00", "2", "1"]), HostKind::Neither);
        assert_eq!(kind(&["1", "2", "3", "4", "5"]), HostKind::Neither);
    }

    #[test]
    fn runs_join() {
        let mut head = LabelRun::EMPTY;
        head.push(b"mx");
        let mut tail = LabelRun::EMPTY;
        tail.push(b"example");
        tail.push(b"42");
        assert_eq!(head.then(tail).kind(|| None), HostKind::Neither);
        assert_eq!(tail.then(LabelRun::EMPTY), tail);
        assert_eq!(LabelRun::EMPTY.then(head).kind(|| None), HostKind::Hostname);
    }
}
