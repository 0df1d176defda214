//! Where a server session is.
//!
//! ```text
//!                 greeting delay
//!  [Greeting] ─────────────────────▶ [Connected] ──EHLO/HELO/LHLO accepted──▶ [Ready]
//!      │ input before the greeting       ▲  │ STARTTLS (220)                    │  ▲  │ AUTH
//!      ▼                                 │  ▼                                   │  │  ▼
//!  [Closed] ◀── QUIT, 421, errors    [TlsHandshake] ── handshake: forget all ───┘  │ [Auth] ─ 235/535 ─┐
//!                                                                                   │                   │
//!        [Ready] ◀──────────────────────────────────────────────────────────────────┴───────────────────┘
//!           │ MAIL accepted                     RSET, EHLO, final reply
//!           ▼                                          ▲
//!        [Mail] ── RCPT accepted ──▶ [Recipients] ── DATA (354) / BDAT ──▶ [Body] ──┘
//! ```
//!
//! Replies the application owes keep their place in the queue: PIPELINING never reorders them.

/// The coarse state of a [`Server`](crate::server::Server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Holding the greeting back (greeting delay).
    Greeting,
    /// Greeting sent; no accepted EHLO/HELO yet.
    Connected,
    /// STARTTLS accepted; waiting for the handshake.
    TlsHandshake,
    /// EHLO/HELO accepted, no transaction.
    Ready,
    /// A SASL exchange is running.
    Auth,
    /// MAIL given, no recipient yet.
    Mail,
    /// At least one recipient given.
    Recipients,
    /// Reading a DATA or BDAT body.
    Body,
    /// The session has ended.
    Closed,
}
