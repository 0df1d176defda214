//! A small immutable string kept inline when it fits, so the common short mailbox or domain of
//! a command costs no allocation (most are well under 30 octets).

use std::fmt;
use std::hash::{Hash, Hasher};

/// An immutable UTF-8 string: inline up to `N` octets (N < 256), boxed above. The
/// representation is canonical (inline exactly when it fits), so equality of representations
/// is equality of strings.
#[derive(Clone)]
pub(crate) enum SmallStr<const N: usize> {
    /// `len` octets of `buf`, validated UTF-8 when built.
    Inline { len: u8, buf: [u8; N] },
    /// Longer strings.
    Heap(Box<str>),
}

impl<const N: usize> SmallStr<N> {
    /// Copies `s`.
    #[inline(always)]
    pub(crate) fn new(s: &str) -> Self {
        let bytes = s.as_bytes();
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= N => Self::Inline {
                len,
                buf: inline_copy(bytes),
            },
            _ => Self::Heap(s.into()),
        }
    }

    /// Copies `bytes`, checking them as UTF-8 unless `utf8` says they are known to be (an
    /// ASCII command line): short ones are stored as bytes with no check at all.
    #[inline(always)]
    pub(crate) fn from_bytes(bytes: &[u8], utf8: bool) -> Result<Self, std::str::Utf8Error> {
        match u8::try_from(bytes.len()) {
            Ok(len) if utf8 && bytes.len() <= N => Ok(Self::Inline {
                len,
                buf: inline_copy(bytes),
            }),
            _ => std::str::from_utf8(bytes).map(Self::new),
        }
    }

    /// Copies `bytes` already validated as UTF-8 (a borrowed view's): no second check
    /// unless they are too long to keep inline.
    #[inline(always)]
    pub(crate) fn from_checked(bytes: &[u8]) -> Self {
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= N => Self::Inline {
                len,
                buf: inline_copy(bytes),
            },
            _ => Self::Heap(std::str::from_utf8(bytes).unwrap_or_default().into()),
        }
    }

    /// The string's bytes, without the UTF-8 check [`SmallStr::as_str`] repeats.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(s) => s.as_bytes(),
        }
    }

    /// The string. Inline bytes were UTF-8 when stored; safe code re-checks them, which for
    /// the short strings kept inline is a few instructions.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, buf } => buf
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Self::Heap(s) => s,
        }
    }
}

/// Copies at most `N` bytes into a zeroed array without calling `memcpy`: for a dozen bytes
/// the call costs more than the copy.
#[inline(always)]
fn inline_copy<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut buf = [0u8; N];
    copy_at(&mut buf, 0, bytes);
    buf
}

/// Copies `src` into `buf` from `at`, as much as fits, with a fixed number of fixed-size moves
/// whatever the length (two overlapping pieces cover any length between one piece and two):
/// no loop, no byte-wise tail.
#[inline(always)]
fn copy_at(buf: &mut [u8], at: usize, src: &[u8]) {
    let Some(buf) = buf.get_mut(at..) else {
        return;
    };
    let len = src.len().min(buf.len());
    match len {
        32.. => {
            let mut i = 0;
            while i + 16 <= len {
                piece::<16>(buf, i, src);
                i += 16;
            }
            piece::<16>(buf, len - 16, src);
        }
        16..32 => {
            piece::<16>(buf, 0, src);
            piece::<16>(buf, len - 16, src);
        }
        8..16 => {
            piece::<8>(buf, 0, src);
            piece::<8>(buf, len - 8, src);
        }
        4..8 => {
            piece::<4>(buf, 0, src);
            piece::<4>(buf, len - 4, src);
        }
        _ => {
            for (d, s) in buf.iter_mut().zip(src).take(len) {
                *d = *s;
            }
        }
    }
}

/// Copies the `K` bytes of `src` at `at` to the same place in `buf`.
#[inline(always)]
fn piece<const K: usize>(buf: &mut [u8], at: usize, src: &[u8]) {
    if let (Some(d), Some(s)) = (buf.get_mut(at..at + K), src.get(at..at + K)) {
        d.copy_from_slice(s);
    }
}

impl<const N: usize> PartialEq for SmallStr<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for SmallStr<N> {}

impl<const N: usize> Hash for SmallStr<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> fmt::Debug for SmallStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A [`SmallStr`]-like string with one split position (the `@` of a mailbox, the `;` of an
/// ORCPT), packed so a mailbox is 32 octets and an ORCPT 40: smaller commands move faster.
#[derive(Clone)]
pub(crate) enum SplitStr<const N: usize> {
    /// `len` octets of `buf`, validated UTF-8 when built; `split < len`.
    Inline { len: u8, split: u8, buf: [u8; N] },
    /// Longer strings.
    Heap { text: Box<str>, split: usize },
}

impl<const N: usize> SplitStr<N> {
    /// Copies `s`; `split` is an offset inside it.
    #[inline(always)]
    pub(crate) fn new(s: &str, split: usize) -> Self {
        let bytes = s.as_bytes();
        match (u8::try_from(bytes.len()), u8::try_from(split)) {
            (Ok(len), Ok(split)) if bytes.len() <= N => Self::Inline {
                len,
                split,
                buf: inline_copy(bytes),
            },
            _ => Self::Heap {
                text: s.into(),
                split,
            },
        }
    }

    /// Copies `bytes`, checking them as UTF-8 unless `utf8` says they are known to be.
    #[cfg(test)]
    pub(crate) fn from_bytes(
        bytes: &[u8],
        split: usize,
        utf8: bool,
    ) -> Result<Self, std::str::Utf8Error> {
        match (u8::try_from(bytes.len()), u8::try_from(split)) {
            (Ok(len), Ok(split)) if utf8 && bytes.len() <= N => Ok(Self::Inline {
                len,
                split,
                buf: inline_copy(bytes),
            }),
            _ => std::str::from_utf8(bytes).map(|s| Self::new(s, split)),
        }
    }

    /// Copies `bytes` already validated as UTF-8 (a borrowed view's), split at `split`: no
    /// second check unless they are too long to keep inline.
    #[inline(always)]
    pub(crate) fn from_checked(bytes: &[u8], split: usize) -> Self {
        match (u8::try_from(bytes.len()), u8::try_from(split)) {
            (Ok(len), Ok(split)) if bytes.len() <= N => Self::Inline {
                len,
                split,
                buf: inline_copy(bytes),
            },
            _ => Self::Heap {
                text: std::str::from_utf8(bytes).unwrap_or_default().into(),
                split,
            },
        }
    }

    /// `first`, the ASCII `sep`, `second`; split at `sep`.
    pub(crate) fn join(first: &str, sep: u8, second: &str) -> Self {
        let split = first.len();
        let len = split + 1 + second.len();
        match (u8::try_from(len), u8::try_from(split)) {
            (Ok(len8), Ok(split8)) if sep.is_ascii() && len <= N => {
                let mut buf = [0u8; N];
                copy_at(&mut buf, 0, first.as_bytes());
                if let Some(d) = buf.get_mut(split) {
                    *d = sep;
                }
                copy_at(&mut buf, split + 1, second.as_bytes());
                Self::Inline {
                    len: len8,
                    split: split8,
                    buf,
                }
            }
            _ => {
                let mut text = String::with_capacity(len);
                text.push_str(first);
                text.push(char::from(sep));
                text.push_str(second);
                Self::Heap {
                    text: text.into_boxed_str(),
                    split,
                }
            }
        }
    }

    /// The whole string's bytes, without the UTF-8 check [`SplitStr::as_str`] repeats.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf, .. } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap { text, .. } => text.as_bytes(),
        }
    }

    /// The whole string.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, buf, .. } => buf
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Self::Heap { text, .. } => text,
        }
    }

    /// The split position.
    pub(crate) fn split(&self) -> usize {
        match self {
            Self::Inline { split, .. } => usize::from(*split),
            Self::Heap { split, .. } => *split,
        }
    }
}

impl<const N: usize> PartialEq for SplitStr<N> {
    fn eq(&self, other: &Self) -> bool {
        self.split() == other.split() && self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for SplitStr<N> {}

impl<const N: usize> Hash for SplitStr<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
        self.split().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_every_length() {
        let src: Vec<u8> = (1..=60).collect();
        for len in 0..=60 {
            for at in [0, 1, 7] {
                let mut buf = [0u8; 48];
                copy_at(&mut buf, at, &src[..len]);
                let fits = len.min(48 - at);
                assert_eq!(&buf[at..at + fits], &src[..fits], "{len} {at}");
                assert!(buf[..at].iter().all(|&b| b == 0));
                assert!(buf[at + fits..].iter().all(|&b| b == 0), "{len} {at}");
            }
        }
    }

    #[test]
    fn inline_and_heap_round_trip() {
        let short = SmallStr::<8>::new("a@b");
        assert!(matches!(short, SmallStr::Inline { len: 3, .. }));
        assert_eq!(short.as_str(), "a@b");
        let exact = SmallStr::<8>::new("12345678");
        assert!(matches!(exact, SmallStr::Inline { .. }));
        assert_eq!(exact.as_str(), "12345678");
        let long = SmallStr::<8>::new("123456789");
        assert!(matches!(long, SmallStr::Heap(_)));
        assert_eq!(long.as_str(), "123456789");
        assert_eq!(SmallStr::<8>::new("jos\u{e9}").as_str(), "jos\u{e9}");
        assert_eq!(format!("{short:?}"), "\"a@b\"");
        assert_eq!(SmallStr::<8>::new("").as_str(), "");
        let split = SplitStr::<8>::new("a@b", 1);
        assert!(matches!(split, SplitStr::Inline { .. }));
        assert_eq!((split.as_str(), split.split()), ("a@b", 1));
        let split = SplitStr::<8>::from_bytes(b"abcd@efgh", 4, false).unwrap();
        assert!(matches!(split, SplitStr::Heap { .. }));
        assert_eq!((split.as_str(), split.split()), ("abcd@efgh", 4));
        assert!(SplitStr::<8>::from_bytes(b"\xff@b", 1, false).is_err());
        assert!(
            SplitStr::<8>::from_bytes(b"a@b", 1, true).unwrap() == SplitStr::<8>::new("a@b", 1)
        );
        assert_eq!(
            SmallStr::<8>::from_bytes(b"abc", true).unwrap(),
            SmallStr::<8>::new("abc")
        );
        assert!(SmallStr::<8>::from_bytes(b"\xff", false).is_err());
        assert!(SplitStr::<8>::new("a;b", 1) != SplitStr::<8>::new("a;b", 2));
        assert_eq!(SplitStr::<8>::join("ab", b';', "cd").as_str(), "ab;cd");
        let heap = SplitStr::<4>::join("ab", b';', "cd");
        assert!(matches!(heap, SplitStr::Heap { .. }));
        assert_eq!((heap.as_str(), heap.split()), ("ab;cd", 2));
    }
}
