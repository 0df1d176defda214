//! The pair driver and the trace runner, exercised on a toy line protocol.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mail_sansio::Session;
use mail_sansio::line::{Frame, LineFramer};
use mail_sansio::testing::trace::{Call, Role, Trace, replay_all};
use mail_sansio::testing::{Direction, FakeClock, Pair, Side};

/// Toy server: greets, echoes lines as events the application answers, `TLS` upgrades,
/// `QUIT` closes, and an idle minute times out.
struct Echo {
    input: BytesMut,
    framer: LineFramer,
    out: VecDeque<Bytes>,
    tls_pending: bool,
    closed: bool,
    deadline: Instant,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("injected {0} octets")]
struct Injected(usize);

impl Echo {
    fn new(now: Instant) -> Self {
        Self {
            input: BytesMut::new(),
            framer: LineFramer::new(16),
            out: VecDeque::from([Bytes::from_static(b"+HELLO\r\n")]),
            tls_pending: false,
            closed: false,
            deadline: now + Duration::from_secs(60),
        }
    }

    fn reply(&mut self, text: &str) {
        self.out.push_back(Bytes::from(format!("{text}\r\n")));
    }
}

impl Session for Echo {
    type Event = String;
    type Error = Injected;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        self.deadline = now + Duration::from_secs(60);
    }
    fn handle_eof(&mut self, _now: Instant) {
        self.closed = true;
    }
    fn handle_timeout(&mut self, now: Instant) {
        if now >= self.deadline && !self.closed {
            self.reply("-TIMEOUT");
            self.closed = true;
        }
    }
    fn handle_tls_established(&mut self, _now: Instant) {
        self.tls_pending = false;
    }
    fn poll_event(&mut self) -> Result<Option<String>, Injected> {
        if self.tls_pending {
            if !self.input.is_empty() {
                return Err(Injected(self.input.len()));
            }
            return Ok(None);
        }
        if self.closed {
            return Ok(None);
        }
        match self.framer.next_frame(&mut self.input) {
            Some(Frame::Line(line)) if &line[..] == b"QUIT" => {
                self.reply("+BYE");
                self.closed = true;
                Ok(None)
            }
            Some(Frame::Line(line)) if &line[..] == b"TLS" => {
                self.reply("+GO");
                self.tls_pending = true;
                Ok(None)
            }
            Some(Frame::Line(line)) => Ok(Some(String::from_utf8_lossy(&line).into_owned())),
            Some(_) => {
                self.reply("-BAD");
                Ok(None)
            }
            None => Ok(None),
        }
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (!self.closed).then_some(self.deadline)
    }
    fn wants_input(&self) -> bool {
        !self.closed
    }
    fn wants_tls(&self) -> bool {
        self.tls_pending && self.out.is_empty()
    }
    fn is_closed(&self) -> bool {
        self.closed && self.out.is_empty()
    }
}

fn answer(session: &mut Echo, call: Call<'_, String>, _now: Instant) {
    match call {
        Call::Event(line) => session.reply(&format!("+{line}")),
        Call::Directive(text) => session.reply(&format!("*{text}")),
    }
}

#[test]
fn trace_replays_in_every_split() {
    let text = "S: +HELLO\nC: hi\nS: +hi\nC: hi\\r\\nthere\nS: +hi\nS: +there\n\
                C- very long line over the limit\\r\\n\nS: -BAD\n@note\nS: *note\n\
                C: TLS\nS: +GO\n@tls\nC: QUIT\nS: +BYE\n@closed\n";
    let trace = Trace::parse("echo", text).unwrap();
    replay_all(&trace, Role::Server, Echo::new, answer).unwrap();
}

#[test]
fn trace_reports_a_difference_with_its_line() {
    let trace = Trace::parse("echo", "S: +HELLO\nC: hi\nS: +ho\nC: QUIT\n").unwrap();
    let failure = replay_all(&trace, Role::Server, Echo::new, answer).unwrap_err();
    assert_eq!(failure.line, 4);
    assert!(failure.message.contains("+ho"), "{failure}");
}

#[test]
fn trace_catches_bytes_injected_after_tls_go_ahead() {
    let trace = Trace::parse("inject", "S: +HELLO\nC: TLS\\r\\nhi\nS: +GO\n@error\n").unwrap();
    replay_all(&trace, Role::Server, Echo::new, answer).unwrap();
}

#[test]
fn trace_advances_the_clock() {
    let trace = Trace::parse(
        "idle",
        "S: +HELLO\n@advance 59s\n@advance 1s\nS: -TIMEOUT\n@closed\n",
    )
    .unwrap();
    replay_all(&trace, Role::Server, Echo::new, answer).unwrap();
}

/// The pair driver with the toy on both ends, the client's greeting and answers played by
/// the callback.
#[test]
fn pair_runs_until_quiet_with_splits_and_tampering() {
    for seed in [None, Some(7), Some(8)] {
        let clock = FakeClock::start();
        let mut pair = Pair::new(Echo::new(clock.now()), Echo::new(clock.now()), clock)
            .with_tamper(|direction, bytes| {
                if direction == Direction::ServerToClient && bytes.starts_with(b"+HELLO") {
                    *bytes = b"hello\r\n".to_vec();
                }
            });
        if let Some(seed) = seed {
            pair = pair.with_split_seed(seed);
        }
        let mut server_events = Vec::new();
        pair.run(|client, server, side| match side {
            Side::Server(line) => {
                if !line.starts_with('+') {
                    server.reply(&format!("+{line}"));
                }
                server_events.push(line);
            }
            Side::Client(line) if line == "hello" => client.reply("ping"),
            Side::Client(line) if line == "+ping" => client.reply("QUIT"),
            Side::Client(_) => {}
        })
        .unwrap();
        assert_eq!(server_events, ["+HELLO", "ping"]);
        assert!(pair.server.is_closed() && pair.client.is_closed());
        assert_eq!(
            pair.transcript_text(),
            "C: +HELLO\nS: hello\nC: ping\nS: +ping\nC: QUIT\nS: +BYE\n"
        );
    }
}
