//! Test support for the protocol crates (feature `testing`).
//!
//! - [`FakeClock`]: time that moves only when a test says so.
//! - [`Pair`]: runs a client and a server [`Session`](crate::Session) against each other in
//!   memory, with a hook to tamper with bytes in flight.
//! - [`trace`]: replays `.trace` transcripts against a session, whole, byte by byte and in
//!   random splits.
//! - [`strategies`]: proptest strategies that split input into chunks.

mod clock;
mod pair;
pub mod strategies;
pub mod trace;

pub use clock::FakeClock;
pub use pair::{Direction, Pair, PairError, Side};
