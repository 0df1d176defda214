//! Runs a client and a server session against each other in memory.

use std::collections::VecDeque;
use std::fmt;

use bytes::Bytes;

use super::FakeClock;
use super::strategies::seeded_split;
use crate::Session;

/// Which way bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

/// An event from one side of a [`Pair`].
#[derive(Debug)]
pub enum Side<C, S> {
    /// Raised by the client.
    Client(C),
    /// Raised by the server.
    Server(S),
}

/// Why [`Pair::run`] stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairError<C, S> {
    /// The client failed.
    Client(C),
    /// The server failed.
    Server(S),
    /// The two sides kept exchanging without ever going quiet.
    TooManyRounds,
}

impl<C: fmt::Display, S: fmt::Display> fmt::Display for PairError<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => write!(f, "client failed: {e}"),
            Self::Server(e) => write!(f, "server failed: {e}"),
            Self::TooManyRounds => f.write_str("client and server never went quiet"),
        }
    }
}

impl<C: fmt::Debug + fmt::Display, S: fmt::Debug + fmt::Display> std::error::Error
    for PairError<C, S>
{
}

type Tamper = Box<dyn FnMut(Direction, &mut Vec<u8>)>;

/// Drives a client and a server [`Session`] against each other without a network.
///
/// [`run`](Self::run) moves transmitted bytes across, completes TLS when both sides ask for
/// it, passes end-of-file on once a side closes, and hands every event to a callback that
/// plays the application on both sides. It returns when neither side has anything left to
/// do. Bytes can be delivered in seeded random pieces ([`with_split_seed`](Self::with_split_seed))
/// and altered in flight ([`with_tamper`](Self::with_tamper)).
pub struct Pair<C: Session, S: Session> {
    /// The client side.
    pub client: C,
    /// The server side.
    pub server: S,
    /// The time both sides see.
    pub clock: FakeClock,
    tamper: Option<Tamper>,
    split_seed: Option<u64>,
    in_flight: [VecDeque<Bytes>; 2],
    transcript: Vec<(Direction, Bytes)>,
    eof_sent: [bool; 2],
    failed: [bool; 2],
}

impl<C: Session, S: Session> fmt::Debug for Pair<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("transcript", &self.transcript_text())
            .finish_non_exhaustive()
    }
}

impl<C: Session, S: Session> Pair<C, S> {
    /// A pair of freshly made sessions sharing `clock`.
    pub fn new(client: C, server: S, clock: FakeClock) -> Self {
        Self {
            client,
            server,
            clock,
            tamper: None,
            split_seed: None,
            in_flight: [VecDeque::new(), VecDeque::new()],
            transcript: Vec::new(),
            eof_sent: [false; 2],
            failed: [false; 2],
        }
    }

    /// Calls `tamper` on every transmit before it is delivered (and recorded).
    #[must_use]
    pub fn with_tamper(mut self, tamper: impl FnMut(Direction, &mut Vec<u8>) + 'static) -> Self {
        self.tamper = Some(Box::new(tamper));
        self
    }

    /// Delivers each transmit in pseudo-random pieces drawn from `seed`, handling events
    /// between pieces.
    #[must_use]
    pub fn with_split_seed(mut self, seed: u64) -> Self {
        self.split_seed = Some(seed);
        self
    }

    /// Everything sent so far, in order, as delivered.
    pub fn transcript(&self) -> &[(Direction, Bytes)] {
        &self.transcript
    }

    /// The transcript as text: one `C: ` or `S: ` line per line sent, escaped.
    pub fn transcript_text(&self) -> String {
        let mut text = String::new();
        for (direction, bytes) in &self.transcript {
            let prefix = match direction {
                Direction::ClientToServer => "C: ",
                Direction::ServerToClient => "S: ",
            };
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                text.push_str(prefix);
                text.push_str(&super::trace::escape(
                    line.strip_suffix(b"\r\n").unwrap_or(line),
                ));
                text.push('\n');
            }
        }
        text
    }

    /// Runs both sides until neither has anything left to do.
    ///
    /// `app` receives each event with both sessions, so it can answer through their `send_*`
    /// methods. A side's fatal error stops its events but not its last transmits (a goodbye
    /// reply still reaches the peer); the first error is returned once all is quiet.
    pub fn run(
        &mut self,
        mut app: impl FnMut(&mut C, &mut S, Side<C::Event, S::Event>),
    ) -> Result<(), PairError<C::Error, S::Error>> {
        let mut first_error = None;
        for _round in 0..1_000_000 {
            let mut progressed = false;
            progressed |= self.collect(Direction::ClientToServer);
            progressed |= self.collect(Direction::ServerToClient);
            progressed |= self.deliver(Direction::ClientToServer);
            progressed |= self.deliver(Direction::ServerToClient);

            while !self.failed[0] {
                match self.client.poll_event() {
                    Ok(Some(event)) => {
                        progressed = true;
                        app(&mut self.client, &mut self.server, Side::Client(event));
                    }
                    Ok(None) => break,
                    Err(error) => {
                        self.failed[0] = true;
                        progressed = true;
                        first_error.get_or_insert(PairError::Client(error));
                    }
                }
            }
            while !self.failed[1] {
                match self.server.poll_event() {
                    Ok(Some(event)) => {
                        progressed = true;
                        app(&mut self.client, &mut self.server, Side::Server(event));
                    }
                    Ok(None) => break,
                    Err(error) => {
                        self.failed[1] = true;
                        progressed = true;
                        first_error.get_or_insert(PairError::Server(error));
                    }
                }
            }

            // Answers a side gave by itself while reporting no event.
            progressed |= self.collect(Direction::ClientToServer);
            progressed |= self.collect(Direction::ServerToClient);

            let now = self.clock.now();
            if self.client.wants_tls() && self.server.wants_tls() {
                self.client.handle_tls_established(now);
                self.server.handle_tls_established(now);
                progressed = true;
            }
            if !self.eof_sent[0] && self.client.is_closed() && self.in_flight[0].is_empty() {
                self.eof_sent[0] = true;
                self.server.handle_eof(now);
                progressed = true;
            }
            if !self.eof_sent[1] && self.server.is_closed() && self.in_flight[1].is_empty() {
                self.eof_sent[1] = true;
                self.client.handle_eof(now);
                progressed = true;
            }
            if !progressed {
                return first_error.map_or(Ok(()), Err);
            }
        }
        Err(first_error.unwrap_or(PairError::TooManyRounds))
    }

    /// Moves one side's transmits into flight; true if there were any.
    fn collect(&mut self, direction: Direction) -> bool {
        let mut any = false;
        loop {
            let next = match direction {
                Direction::ClientToServer => self.client.poll_transmit(),
                Direction::ServerToClient => self.server.poll_transmit(),
            };
            let Some(bytes) = next else { return any };
            any = true;
            let bytes = match self.tamper.as_mut() {
                Some(tamper) => {
                    let mut owned = bytes.to_vec();
                    tamper(direction, &mut owned);
                    Bytes::from(owned)
                }
                None => bytes,
            };
            self.transcript.push((direction, bytes.clone()));
            let pieces: Vec<Bytes> = match self.split_seed {
                Some(seed) => seeded_split(&bytes, seed ^ self.transcript.len() as u64)
                    .into_iter()
                    .map(|piece| bytes.slice_ref(piece))
                    .collect(),
                None => vec![bytes],
            };
            self.queue(direction).extend(pieces);
        }
    }

    fn queue(&mut self, direction: Direction) -> &mut VecDeque<Bytes> {
        let [to_server, to_client] = &mut self.in_flight;
        match direction {
            Direction::ClientToServer => to_server,
            Direction::ServerToClient => to_client,
        }
    }

    /// Delivers in-flight bytes: one piece when splitting, else everything.
    fn deliver(&mut self, direction: Direction) -> bool {
        let now = self.clock.now();
        let mut any = false;
        while let Some(bytes) = self.queue(direction).pop_front() {
            any = true;
            match direction {
                Direction::ClientToServer => self.server.handle_input(now, &bytes),
                Direction::ServerToClient => self.client.handle_input(now, &bytes),
            }
            if self.split_seed.is_some() {
                break;
            }
        }
        any
    }
}
