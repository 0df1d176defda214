//! Validated values: once built, each one encodes to wire bytes that parse back equal.
//!
//! Construction goes through `TryFrom` (`&str`, `&[u8]`, `Bytes`, ...) or `new`, which rejects
//! whatever the grammar forbids: CR, LF and NUL can never reach the wire inside an argument.
//! Decoded values hold [`bytes::Bytes`] slices of the input, so they are `'static` and cheap to
//! clone.

pub(crate) mod datetime;
mod flag;
mod mailbox;
mod sequence;
pub(crate) mod string;
pub(crate) mod utf7;

pub use datetime::{Date, DateTime};
pub use flag::{Flag, FlagFetch, FlagPerm};
pub use mailbox::{Mailbox, MailboxName};
pub use sequence::{SeqBound, SeqRange, SeqSetOrSaved, SequenceSet};
pub use string::{AString, Atom, IString, Literal8, NString, Tag};
pub use utf7::{decode_utf7, encode_utf7, is_canonical_utf7};
