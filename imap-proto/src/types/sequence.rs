//! Sequence sets (RFC 9051 §9 `sequence-set`, RFC 5182 `$`).
//!
//! `*` stays [`SeqBound::Last`]: it means "the largest number in use" and only the mailbox
//! knows that number, so it is never turned into one here. Zero and numbers above `u32::MAX`
//! cannot be built.

use std::fmt;
use std::num::NonZeroU32;

use crate::error::InvalidValue;

/// One end of a range: a number or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqBound {
    /// A message sequence number or UID (`nz-number`).
    Value(NonZeroU32),
    /// `*`: the largest number in use in the mailbox (or the last UID).
    Last,
}

impl SeqBound {
    /// The number, with `*` standing for `largest`.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            Self::Value(n) => n.get(),
            Self::Last => largest,
        }
    }
}

impl From<NonZeroU32> for SeqBound {
    fn from(value: NonZeroU32) -> Self {
        Self::Value(value)
    }
}

impl TryFrom<u32> for SeqBound {
    type Error = InvalidValue;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        NonZeroU32::new(value)
            .map(Self::Value)
            .ok_or(InvalidValue::Zero { what: "seq-number" })
    }
}

impl fmt::Display for SeqBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(n) => n.fmt(f),
            Self::Last => f.write_str("*"),
        }
    }
}

/// One element of a sequence set: `seq-number / seq-range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeqRange {
    /// One number or `*`.
    Single(SeqBound),
    /// `a:b`, kept in the order written (`5:2` and `2:5` mean the same messages, RFC 9051 §9).
    Range(SeqBound, SeqBound),
}

impl SeqRange {
    /// The range as `(low, high)` numbers, `*` standing for `largest`.
    pub fn bounds(self, largest: u32) -> (u32, u32) {
        match self {
            Self::Single(b) => {
                let n = b.resolve(largest);
                (n, n)
            }
            Self::Range(a, b) => {
                let (a, b) = (a.resolve(largest), b.resolve(largest));
                (a.min(b), a.max(b))
            }
        }
    }

    /// Whether `n` is in the range, `*` standing for `largest`.
    pub fn contains(self, n: u32, largest: u32) -> bool {
        let (lo, hi) = self.bounds(largest);
        lo <= n && n <= hi
    }
}

impl fmt::Display for SeqRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(b) => b.fmt(f),
            Self::Range(a, b) => write!(f, "{a}:{b}"),
        }
    }
}

/// A non-empty sequence set: `sequence-set = (seq-number / seq-range) ["," sequence-set]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceSet(Vec<SeqRange>);

impl SequenceSet {
    /// The set of the given ranges; empty is an error (the grammar needs at least one).
    pub fn new(ranges: Vec<SeqRange>) -> Result<Self, InvalidValue> {
        if ranges.is_empty() {
            return Err(InvalidValue::Empty {
                what: "sequence-set",
            });
        }
        Ok(Self(ranges))
    }

    /// Wraps ranges the parser has already read (at least one).
    pub(crate) fn from_checked(ranges: Vec<SeqRange>) -> Self {
        debug_assert!(!ranges.is_empty());
        Self(ranges)
    }

    /// The set `n`.
    pub fn single(n: NonZeroU32) -> Self {
        Self(vec![SeqRange::Single(SeqBound::Value(n))])
    }

    /// The set `a:b`.
    pub fn range(a: SeqBound, b: SeqBound) -> Self {
        Self(vec![SeqRange::Range(a, b)])
    }

    /// `1:*`, every message.
    pub fn all() -> Self {
        Self(vec![SeqRange::Range(
            SeqBound::Value(NonZeroU32::MIN),
            SeqBound::Last,
        )])
    }

    /// The ranges, in the order written.
    pub fn ranges(&self) -> &[SeqRange] {
        &self.0
    }

    /// Whether `n` is in the set, `*` standing for `largest`.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|r| r.contains(n, largest))
    }

    /// The numbers of the set in the order written, `*` standing for `largest` (a range may
    /// repeat numbers another one holds; RFC 9051 lets servers dedupe).
    pub fn iter(&self, largest: u32) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().flat_map(move |r| {
            let (lo, hi) = r.bounds(largest);
            lo..=hi
        })
    }
}

impl fmt::Display for SequenceSet {
    /// The wire form, e.g. `1:3,5,7:*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for r in &self.0 {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            r.fmt(f)?;
        }
        Ok(())
    }
}

impl TryFrom<&str> for SequenceSet {
    type Error = InvalidValue;

    /// Parses the wire form, e.g. `1:3,5,7:*` (`$` is [`SeqSetOrSaved::Saved`]).
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        crate::parse::primitives::parse_sequence_set_text(value.as_bytes())
    }
}

/// A sequence set or `$`, the result saved by the last `SEARCH RETURN (SAVE)` (RFC 5182,
/// RFC 9051 `seq-last-command`). Commands that take a sequence set take this.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SeqSetOrSaved {
    /// A sequence set.
    Set(SequenceSet),
    /// `$`.
    Saved,
}

impl From<SequenceSet> for SeqSetOrSaved {
    fn from(value: SequenceSet) -> Self {
        Self::Set(value)
    }
}

impl fmt::Display for SeqSetOrSaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Set(s) => s.fmt(f),
            Self::Saved => f.write_str("$"),
        }
    }
}

impl TryFrom<&str> for SeqSetOrSaved {
    type Error = InvalidValue;

    /// Parses the wire form: a sequence set or `$`.
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        if value == "$" {
            Ok(Self::Saved)
        } else {
            SequenceSet::try_from(value).map(Self::Set)
        }
    }
}
