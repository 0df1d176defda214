//! Test support for the protocol crates (feature `testing`).
//!
//! - [`FakeClock`]: time that moves only when a test says so.
//! - [`Pair`]: runs a client and a server [`Session`](crate::Session) against each other in
//!   memory, with a hook to tamper with bytes in flight.
//! - [`trace`]: replays `.trace` transcripts against a session, whole, byte by byte and in
//!   random splits.
//! - [`strategies`]: proptest strategies that split input into chunks.
//! - [`PeersEnv`]: what the interop scripts say about the real peers they started.
//! - `codec` (feature `testing-codec`): feeds tokio-util codecs in pieces, directly or through
//!   a real `Framed`.
//! - `BlockingConn` (feature `testing-tls`): a blocking TCP or rustls connection for interop
//!   tests against real servers.

mod clock;
#[cfg(feature = "testing-codec")]
pub mod codec;
mod pair;
mod peers;
pub mod strategies;
#[cfg(feature = "testing-tls")]
mod tls;
pub mod trace;

pub use clock::FakeClock;
pub use pair::{Direction, Pair, PairError, Side};
pub use peers::PeersEnv;
#[cfg(feature = "testing-tls")]
pub use tls::BlockingConn;
