//! The byte-level rules of the framer: what ends a line's announcement, what a status line
//! looks like, and the start and end of a line that is dropped as it arrives.

use bytes::{Bytes, BytesMut};

pub(super) const CR: u8 = b'\r';
pub(super) const LF: u8 = b'\n';
/// Content bytes at the end of a line that are searched for an announcement.
pub(super) const TAIL: usize = 32;
/// Content bytes at the start of a unit's first line that give its tag and kind.
pub(super) const HEAD: usize = 64;

/// A parsed `{n}` / `{n+}` / `~{n}` / `~{n+}` at a line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Announcement {
    /// `None`: does not fit in 64 bits.
    pub(super) len: Option<u64>,
    pub(super) sync: bool,
    pub(super) binary: bool,
}

/// What the first line of a unit says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FirstLine {
    pub(super) tag: Option<Bytes>,
    /// A status response or continuation request: free text to the end, no literal.
    pub(super) no_literals: bool,
}

/// The start and end of a line being dropped, which is all the framer needs from it.
#[derive(Debug, Clone, Default)]
pub(super) struct Dropped {
    /// The first raw bytes of the line (filled only for a unit's first line).
    pub(super) head: Vec<u8>,
    /// The last raw bytes before the LF (one more than [`TAIL`], for a CR).
    pub(super) tail: Vec<u8>,
    /// Raw octets of the line so far, LF excluded.
    pub(super) len: u64,
}

impl Dropped {
    pub(super) fn clear(&mut self) {
        self.head.clear();
        self.tail.clear();
        self.len = 0;
    }

    pub(super) fn push(&mut self, bytes: &[u8], first_line: bool) {
        if first_line && self.head.len() < HEAD {
            let room = HEAD - self.head.len();
            self.head
                .extend_from_slice(bytes.get(..room).unwrap_or(bytes));
        }
        let keep = TAIL + 1;
        let last = bytes
            .get(bytes.len().saturating_sub(keep)..)
            .unwrap_or(bytes);
        self.tail.extend_from_slice(last);
        let excess = self.tail.len().saturating_sub(keep);
        self.tail.drain(..excess);
        self.len = self.len.saturating_add(bytes.len() as u64);
    }
}

/// The tag a line starts with, from its first [`HEAD`] content bytes (`cut`: the line goes
/// on past them, so a token reaching their end may be longer).
pub(super) fn tag_of(head: &[u8], cut: bool) -> Option<Bytes> {
    let token_len = head.iter().position(|&b| b == b' ');
    let token = head
        .get(..token_len.unwrap_or(head.len()))
        .unwrap_or_default();
    let whole = token_len.is_some() || !cut;
    (whole && is_tag(token)).then(|| Bytes::copy_from_slice(token))
}

/// `tag = 1*<any ASTRING-CHAR except "+">` (RFC 9051 §9).
pub(super) fn is_tag(token: &[u8]) -> bool {
    !token.is_empty() && token.iter().all(|&b| is_tag_char(b))
}

/// ASTRING-CHAR except `+`: no atom-specials but `]`.
pub(super) fn is_tag_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b'+')
}

/// `continue-req`, or `resp-cond-state` / `resp-cond-bye` / a greeting behind `*` or a tag:
/// lines that end in free text (`resp-text`) and never in a literal.
pub(super) fn is_status_or_continuation(head: &[u8], cut: bool) -> bool {
    if head.first() == Some(&b'+') {
        return true;
    }
    let Some(sp) = head.iter().position(|&b| b == b' ') else {
        return false;
    };
    let (token, rest) = head.split_at(sp);
    let rest = rest.get(1..).unwrap_or_default();
    if token != b"*" && !is_tag(token) {
        return false;
    }
    let word_len = rest.iter().position(|&b| b == b' ');
    if word_len.is_none() && cut {
        return false;
    }
    let word = rest
        .get(..word_len.unwrap_or(rest.len()))
        .unwrap_or_default();
    [&b"OK"[..], b"NO", b"BAD", b"BYE", b"PREAUTH"]
        .iter()
        .any(|status| word.eq_ignore_ascii_case(status))
}

/// Parses `["~"] "{" number ["+"] "}"` at the end of `tail`, the last [`TAIL`] content bytes
/// of a line (`cut`: the line has more bytes before them).
pub(super) fn announcement(tail: &[u8], cut: bool) -> Option<Announcement> {
    let rest = tail.strip_suffix(b"}")?;
    let (rest, sync) = match rest.strip_suffix(b"+") {
        Some(rest) => (rest, false),
        None => (rest, true),
    };
    let digits = rest.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let (before, number) = rest.split_at(rest.len() - digits);
    let binary = match before {
        [.., b'~', b'{'] => true,
        [.., b'{'] => false,
        // Digits fill the window: far too long for any size the framer accepts, and an
        // announcement for all the framer can tell. Never read what follows as lines.
        [] if cut => {
            return Some(Announcement {
                len: None,
                sync,
                binary: false,
            });
        }
        _ => return None,
    };
    let len = number.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    Some(Announcement { len, sync, binary })
}

/// One copy of two byte runs, for a unit that had literals streamed out of its middle.
pub(super) fn concat(a: &[u8], b: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(a.len().saturating_add(b.len()));
    out.extend_from_slice(a);
    out.extend_from_slice(b);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(tail: &[u8]) -> Option<Announcement> {
        announcement(tail, false)
    }

    #[test]
    fn announcements_only_at_the_end() {
        assert_eq!(
            ann(b"A1 LOGIN {5}"),
            Some(Announcement {
                len: Some(5),
                sync: true,
                binary: false
            })
        );
        assert_eq!(ann(b"{5+}").map(|a| a.sync), Some(false));
        assert_eq!(ann(b"~{3}").map(|a| a.binary), Some(true));
        assert_eq!(
            ann(b"~{3+}").map(|a| (a.binary, a.sync)),
            Some((true, false))
        );
        assert_eq!(ann(b"A1 LOGIN \"a{5}\" x"), None);
        assert_eq!(ann(b"\"{5}\""), None);
        assert_eq!(ann(b"{}"), None);
        assert_eq!(ann(b"{+}"), None);
        assert_eq!(ann(b"{-1}"), None);
        assert_eq!(ann(b"{1a}"), None);
        assert_eq!(ann(b"x5}"), None);
        assert_eq!(ann(b"{5}}"), None);
        assert_eq!(ann(b"{5++}"), None);
        assert_eq!(
            ann(b"{18446744073709551615}").and_then(|a| a.len),
            Some(u64::MAX)
        );
        let over = ann(b"{18446744073709551616}");
        assert_eq!(over.map(|a| a.len), Some(None));
        assert_eq!(ann(b"{99999999999999999999}").map(|a| a.len), Some(None));
        // Digits filling the whole window of a longer line.
        assert_eq!(
            announcement(
                &[b'1'; TAIL - 1]
                    .iter()
                    .copied()
                    .chain(*b"}")
                    .collect::<Vec<_>>(),
                true
            )
            .map(|a| a.len),
            Some(None)
        );
        assert_eq!(
            announcement(
                &[b'1'; TAIL - 1]
                    .iter()
                    .copied()
                    .chain(*b"}")
                    .collect::<Vec<_>>(),
                false
            ),
            None
        );
    }

    #[test]
    fn status_lines_are_recognised() {
        assert!(is_status_or_continuation(b"* OK hi {5}", false));
        assert!(is_status_or_continuation(b"A1 ok", false));
        assert!(!is_status_or_continuation(b"A1 ok", true));
        assert!(is_status_or_continuation(b"+ {5}", false));
        assert!(is_status_or_continuation(b"* PREAUTH x", false));
        assert!(!is_status_or_continuation(b"* OKAY {5}", false));
        assert!(!is_status_or_continuation(b"* 1 FETCH (BODY[] {5}", false));
        assert!(!is_status_or_continuation(b"* LIST () \"/\" {5}", false));
        assert!(!is_status_or_continuation(b"A(1 OK {5}", false));
    }

    #[test]
    fn tag_chars() {
        assert!(is_tag_char(b'A'));
        assert!(is_tag_char(b']'));
        assert!(!is_tag_char(b'+'));
        assert!(!is_tag_char(b'*'));
        assert!(!is_tag_char(b'{'));
        assert!(!is_tag_char(b' '));
    }
}
