//! Dot-stuffing (RFC 5321 §4.5.2, RFC 1939 §3): bodies that end with `CRLF.CRLF`.
//!
//! [`DotStuffer`] prepares a body for sending; [`DotUnstuffer`] reads one back. Both stream:
//! neither ever holds a whole message.
//!
//! The unstuffer ends a body only on `CRLF.CRLF` (or `.CRLF` as the first line). None of the
//! lookalike endings used for SMTP smuggling (`LF.LF`, `LF.CRLF`, `CRLF.LF`, `CR.CR`, and
//! so on) ever ends it; whether their bare CR or LF is rejected, normalised or kept is the
//! [`BareNewline`] policy.
//!
//! The module is split by concept: `stuffer` writes bodies, `unstuffer` holds the public
//! reading types, `scan` the state machine that reads them, `sink` where the read body goes
//! (zero-copy chunks or one buffer), and `simd` the block checks that take ordinary text
//! many octets at a time, compiled for the CPU's widest vectors at run time.

mod scan;
mod simd;
mod sink;
mod stuffer;
#[cfg(test)]
mod tests;
mod unstuffer;

pub use crate::line::BareNewline;
pub use stuffer::DotStuffer;
pub use unstuffer::{BodyEnd, BodyFrame, DotUnstuffer};

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const DOT: u8 = b'.';
