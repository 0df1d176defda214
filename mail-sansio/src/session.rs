//! The verbs every connection-oriented state machine in the workspace speaks.

use std::time::Instant;

use bytes::Bytes;

/// A Sans-IO protocol session: bytes and time go in, events and bytes to send come out.
///
/// Implemented by the client and server machines of `smtp-proto`, `pop3-proto` and `imap-proto`.
/// The session never touches a socket, a clock or a thread, so the same code runs under tokio,
/// blocking `std`, a fuzzer or a unit test.
///
/// # Run loop
///
/// 1. After any `handle_*` or `send_*` call, drain [`poll_transmit`](Self::poll_transmit) to
///    `None`, then [`poll_event`](Self::poll_event) to `Ok(None)`. Handling an event may call a
///    `send_*` method: then start again at step 1.
/// 2. If [`wants_tls`](Self::wants_tls) is true, run the TLS handshake on the same socket and
///    call [`handle_tls_established`](Self::handle_tls_established).
/// 3. If [`is_closed`](Self::is_closed) is true, shut the socket down.
/// 4. Otherwise wait for whatever comes first: readable bytes (only while
///    [`wants_input`](Self::wants_input) is true; when it is false the application owes a
///    decision), the deadline of [`poll_timeout`](Self::poll_timeout), or an application action.
///    Feed it with the matching `handle_*` call and go back to step 1.
pub trait Session {
    /// What the session reports to the application.
    type Event;
    /// A fatal error; once returned by [`poll_event`](Self::poll_event), returned again on every
    /// later call.
    type Error: std::error::Error + Clone + 'static;

    /// Bytes arrived from the peer. Only buffers them: never parses, never fails.
    fn handle_input(&mut self, now: Instant, bytes: &[u8]);
    /// The peer closed its sending side.
    fn handle_eof(&mut self, now: Instant);
    /// Time passed; calls before the deadline of [`poll_timeout`](Self::poll_timeout) do nothing.
    fn handle_timeout(&mut self, now: Instant);
    /// The TLS handshake that [`wants_tls`](Self::wants_tls) asked for has completed.
    fn handle_tls_established(&mut self, now: Instant);
    /// The next event, parsed lazily from buffered input: one event per call.
    fn poll_event(&mut self) -> Result<Option<Self::Event>, Self::Error>;
    /// The next bytes to write to the peer.
    fn poll_transmit(&mut self) -> Option<Bytes>;
    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether reading more input is useful now; false while the application owes a decision.
    fn wants_input(&self) -> bool;
    /// Whether the driver should run the TLS handshake now (STARTTLS was agreed and flushed).
    fn wants_tls(&self) -> bool;
    /// Whether the session has ended and the connection should be closed.
    fn is_closed(&self) -> bool;
}

/// The result of decoding one message from the front of a buffer.
///
/// Partial input is not an error: [`Parsed::Incomplete`] asks for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A whole message was decoded from the first `consumed` octets.
    Complete {
        /// The decoded message.
        value: T,
        /// How many octets of the input it took.
        consumed: usize,
    },
    /// The input ends before the message does; call again with more bytes.
    Incomplete,
}

impl<T> Parsed<T> {
    /// Applies `f` to the value of a complete message.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        match self {
            Self::Complete { value, consumed } => Parsed::Complete {
                value: f(value),
                consumed,
            },
            Self::Incomplete => Parsed::Incomplete,
        }
    }

    /// The value, if the message was complete.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete { value, .. } => Some(value),
            Self::Incomplete => None,
        }
    }
}
