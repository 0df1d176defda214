//! The session states of RFC 1939 §3, shared by [`Client`](crate::Client) and
//! [`Server`](crate::Server).
//!
//! ```text
//!             greeting (+OK)
//!                  |
//!                  v
//!   +-----------------------------+   STLS +OK   +--------------+
//!   |        AUTHORIZATION        |------------->| TLS handshake|
//!   |  CAPA STLS USER PASS APOP   |<-------------| (nothing is  |
//!   |  AUTH UTF8 NOOP QUIT        |  TLS is up:  |  read or     |
//!   |  (TLS required, before it:  |  forget all  |  parsed)     |
//!   |   CAPA STLS NOOP QUIT only) |              +--------------+
//!   +-----------------------------+
//!         |                 |
//!         | PASS/APOP/AUTH  | QUIT
//!         | +OK (maildrop   |   (nothing to commit)
//!         |     locked)     v
//!         v              CLOSED
//!   +-----------------------------+
//!   |         TRANSACTION         |  EOF, error, autologout timer:
//!   |  STAT LIST RETR DELE NOOP   |-------------------------------> CLOSED
//!   |  RSET TOP UIDL CAPA QUIT    |  (deletions are NOT committed)
//!   +-----------------------------+
//!                  | QUIT
//!                  v
//!   +-----------------------------+
//!   |           UPDATE            |  the server commits the DELE marks,
//!   |  +OK (done) / -ERR (failed) |  answers, and closes
//!   +-----------------------------+
//!                  |
//!                  v
//!               CLOSED
//! ```

/// Where a session stands (RFC 1939 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Waiting for (client) or sending (server) the greeting.
    Greeting,
    /// Before login: CAPA, STLS, USER/PASS, APOP, AUTH, UTF8, QUIT; the server answers NOOP
    /// too (RFC 1939 has it only after login, so the client does not send it). With TLS
    /// required and before it, the server accepts only CAPA, STLS, NOOP and QUIT.
    Authorization,
    /// STLS was agreed: waiting for the TLS handshake.
    TlsHandshake,
    /// Logged in, the maildrop is locked.
    Transaction,
    /// QUIT in TRANSACTION: deletions are being committed.
    Update,
    /// The session is over.
    Closed,
}
