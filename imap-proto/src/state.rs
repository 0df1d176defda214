//! The connection states of RFC 9051 §3, shared by the server and the client.
//!
//! ```text
//!                 connection established
//!      +--------------------------------------------+
//!      |               server greeting              |
//!      +--------------------------------------------+
//!            || (1)            || (2)         || (3)
//!            VV                ||             ||
//!  +-----------------+         ||             ||
//!  |Not Authenticated|         ||             ||
//!  |  CAPABILITY     |  STARTTLS OK: TLS handshake, then
//!  |  NOOP LOGOUT    |  everything learned before it is forgotten
//!  |  STARTTLS LOGIN |  (TLS required: only CAPABILITY, STARTTLS,
//!  |  AUTHENTICATE   |   NOOP and LOGOUT before the switch)
//!  +-----------------+         ||             ||
//!   || (7)   || (4)            ||             ||
//!   ||       VV                VV             ||
//!   ||     +----------------------------+     ||
//!   ||     |       Authenticated        |<=++ ||
//!   ||     | SELECT EXAMINE CREATE LIST |  || ||
//!   ||     | APPEND STATUS IDLE ENABLE  |  || ||
//!   ||     | COMPRESS NAMESPACE ...     |  || ||
//!   ||     +----------------------------+  || ||
//!   ||       || (7)   || (5)               || ||
//!   ||       ||       VV                   || ||
//!   ||       ||  +----------------------+  || ||
//!   ||       ||  |       Selected       |==++ ||
//!   ||       ||  | FETCH STORE SEARCH   | (6) ||
//!   ||       ||  | COPY MOVE EXPUNGE    |     ||
//!   ||       ||  | CLOSE UNSELECT ...   |     ||
//!   ||       ||  +----------------------+     ||
//!   ||       ||     || (7)                    ||
//!   VV       VV     VV                        VV
//!  +--------------------------------------------+
//!  |                   Logout                   |
//!  +--------------------------------------------+
//!                        ||
//!                        VV
//!         both sides close the connection
//!
//! (1) connection without pre-authentication (OK greeting)
//! (2) pre-authenticated connection (PREAUTH greeting)
//! (3) rejected connection (BYE greeting)
//! (4) successful LOGIN or AUTHENTICATE command
//! (5) successful SELECT or EXAMINE command
//! (6) CLOSE or UNSELECT command, unsuccessful SELECT or EXAMINE command
//! (7) LOGOUT command, server shutdown, or connection closed
//! ```
//!
//! Within a state a session may be in the middle of something that is not a state of its own
//! in the RFC (a STARTTLS or COMPRESS switch, an AUTHENTICATE exchange, IDLE, an APPEND
//! literal); each machine reports those through its own questions (`wants_tls`, ...).

/// Where a connection stands (RFC 9051 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// After an OK greeting: only CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN and
    /// AUTHENTICATE (and ID, ENABLE where offered) are valid.
    NotAuthenticated,
    /// Logged in (or PREAUTH), no mailbox selected.
    Authenticated,
    /// A mailbox is selected (read-write after SELECT, read-only after EXAMINE).
    Selected,
    /// LOGOUT, a BYE, or the connection is closing.
    Logout,
}

impl State {
    /// The state's name as RFC 9051 §3 writes it, for logs and error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::NotAuthenticated => "not authenticated",
            Self::Authenticated => "authenticated",
            Self::Selected => "selected",
            Self::Logout => "logout",
        }
    }
}
