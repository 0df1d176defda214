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

    /// Validates `bytes` as UTF-8 and copies them.
    #[inline(always)]
    pub(crate) fn from_utf8(bytes: &[u8]) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(bytes).map(Self::new)
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

/// Copies at most `N` bytes into a zeroed array, eight at a time: a call to `memcpy` for a
/// dozen bytes costs more than the copy, and its byte-wise tail stalls the wide loads that
/// move the value afterwards.
#[inline(always)]
fn inline_copy<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut buf = [0u8; N];
    let mut i = 0;
    while let (Some(s), Some(d)) = (bytes.get(i..i + 8), buf.get_mut(i..i + 8)) {
        d.copy_from_slice(s);
        i += 8;
    }
    for (d, s) in buf.iter_mut().zip(bytes).skip(i) {
        *d = *s;
    }
    buf
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(SmallStr::<8>::from_utf8(b"\xff").is_err());
        assert_eq!(format!("{short:?}"), "\"a@b\"");
        assert_eq!(
            SmallStr::<8>::new(""),
            SmallStr::<8>::from_utf8(b"").unwrap()
        );
    }
}
