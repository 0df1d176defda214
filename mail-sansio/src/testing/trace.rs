//! Replays `.trace` transcripts against a session.
//!
//! # Format
//!
//! One step per line:
//!
//! | line | meaning |
//! |---|---|
//! | `C: text` | the client sends `text` followed by CRLF |
//! | `S: text` | the server sends `text` followed by CRLF |
//! | `C- text`, `S- text` | the same bytes without a CRLF added |
//! | `# ...` | a comment (cite the RFC section or the bug); blank lines are ignored |
//! | `@tls` | the session must want TLS now; the handshake completes |
//! | `@eof` | the peer closes its side |
//! | `@advance 300s` | the clock moves on (`ms`, `s` or `m`) and `handle_timeout` is called |
//! | `@closed` | the session must have closed |
//! | `@error` | the session must have failed with a fatal error |
//! | `@anything else` | handed to the test's callback as [`Call::Directive`] |
//!
//! In `text`, `\r`, `\n`, `\t`, `\0`, `\xHH` and `\\` are escapes, so bare line endings and
//! NULs can be written down.
//!
//! The session under test plays one [`Role`]; the other side's lines are its input, its own
//! lines are what it must send. Whenever input is about to be fed (and at the end), everything
//! the session has sent so far must equal the expected lines so far, byte for byte.
//! [`replay_all`] replays a trace whole, one byte at a time, and in seeded random pieces,
//! handling events after every piece, so a parser that depends on how input is split fails.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::FakeClock;
use super::strategies::seeded_split;
use crate::Session;

/// One step of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Bytes the client sends.
    Client(Vec<u8>),
    /// Bytes the server sends.
    Server(Vec<u8>),
    /// TLS handshake.
    Tls,
    /// The peer closes.
    Eof,
    /// Time passes.
    Advance(Duration),
    /// The session must be closed.
    Closed,
    /// The session must have failed.
    Error,
    /// A directive for the test's callback.
    Directive(String),
}

/// A parsed trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The file name or label, for messages.
    pub name: String,
    /// The steps with their line numbers.
    pub steps: Vec<(usize, Step)>,
}

/// A trace file that cannot be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not of the trace format.
    #[error("{name}:{line}: {reason}")]
    Syntax {
        /// The trace.
        name: String,
        /// The line number (1-based).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Trace {
    /// Parses trace text; `name` labels messages.
    pub fn parse(name: &str, text: &str) -> Result<Self, TraceError> {
        let syntax = |line: usize, reason: String| TraceError::Syntax {
            name: name.to_owned(),
            line,
            reason,
        };
        let mut steps = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let step = if let Some(directive) = line.strip_prefix('@') {
                let directive = directive.trim();
                match directive.split_once(' ') {
                    _ if directive == "tls" => Step::Tls,
                    _ if directive == "eof" => Step::Eof,
                    _ if directive == "closed" => Step::Closed,
                    _ if directive == "error" => Step::Error,
                    Some(("advance", amount)) => Step::Advance(
                        parse_duration(amount.trim())
                            .ok_or_else(|| syntax(number, format!("bad duration {amount:?}")))?,
                    ),
                    _ => Step::Directive(directive.to_owned()),
                }
            } else {
                let (who, crlf, rest) = match line.get(..2) {
                    Some("C:") => ('C', true, line.get(2..)),
                    Some("S:") => ('S', true, line.get(2..)),
                    Some("C-") => ('C', false, line.get(2..)),
                    Some("S-") => ('S', false, line.get(2..)),
                    _ => return Err(syntax(number, format!("unknown line {line:?}"))),
                };
                let rest = rest.unwrap_or_default();
                let text = rest.strip_prefix(' ').unwrap_or(rest);
                let mut bytes = unescape(text).map_err(|reason| syntax(number, reason))?;
                if crlf {
                    bytes.extend_from_slice(b"\r\n");
                }
                if who == 'C' {
                    Step::Client(bytes)
                } else {
                    Step::Server(bytes)
                }
            };
            steps.push((number, step));
        }
        Ok(Self {
            name: name.to_owned(),
            steps,
        })
    }
}

/// Replays the `*.trace` files of `dir` whose names pass `keep`, in name order, with `run`
/// (given the parsed trace and its text, for settings a test keeps in `#` lines). A panic in
/// `run` is that trace's failure. Returns how many were replayed, or every failure, one
/// paragraph each.
pub fn replay_dir(
    dir: impl AsRef<Path>,
    keep: impl Fn(&str) -> bool,
    mut run: impl FnMut(&Trace, &str) -> Result<(), TraceFailure>,
) -> Result<usize, String> {
    let dir = dir.as_ref();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "trace"))
        .collect();
    paths.sort();
    let (mut count, mut failures) = (0, Vec::new());
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !keep(&name) {
            continue;
        }
        count += 1;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(source) => {
                failures.push(TraceError::Io { path, source }.to_string());
                continue;
            }
        };
        let outcome = Trace::parse(&name, &text)
            .map_err(|e| e.to_string())
            .and_then(|trace| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&trace, &text)))
                    .map_err(|panic| {
                        let msg = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_default();
                        format!("{name}: panicked: {msg}")
                    })?
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = outcome {
            failures.push(e);
        }
    }
    if failures.is_empty() {
        Ok(count)
    } else {
        Err(format!(
            "{} of {count} traces failed:\n{}",
            failures.len(),
            failures.join("\n\n")
        ))
    }
}

/// Which side of the conversation the session under test plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The session is the client: `S:` lines are its input, `C:` lines its output.
    Client,
    /// The session is the server: `C:` lines are its input, `S:` lines its output.
    Server,
}

/// How input is cut into pieces before it is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each block of consecutive input lines in one piece.
    Whole,
    /// One octet at a time.
    ByteByByte,
    /// Pseudo-random pieces of 1 to 7 octets drawn from the seed.
    Seeded(u64),
}

/// What the test's callback is given.
#[derive(Debug)]
pub enum Call<'a, E> {
    /// An event from the session: answer it through the session's `send_*` methods.
    Event(E),
    /// An `@` line the runner does not know.
    Directive(&'a str),
}

/// A trace that did not replay as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceFailure {
    /// The trace's name.
    pub trace: String,
    /// The line at which the difference showed.
    pub line: usize,
    /// How the input was split.
    pub split: Split,
    /// What went wrong, with expected and actual bytes escaped.
    pub message: String,
}

impl fmt::Display for TraceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({:?}): {}",
            self.trace, self.line, self.split, self.message
        )
    }
}

impl std::error::Error for TraceFailure {}

/// Replays `trace` once with the given split.
///
/// `make` builds the session at the clock's first reading; `app` plays the application,
/// receiving every event and every unknown directive with the current time.
pub fn replay<M, F, A>(
    trace: &Trace,
    role: Role,
    split: Split,
    make: F,
    app: A,
) -> Result<(), TraceFailure>
where
    M: Session,
    M::Event: fmt::Debug,
    F: FnOnce(Instant) -> M,
    A: FnMut(&mut M, Call<'_, M::Event>, Instant),
{
    let mut clock = FakeClock::start();
    let session = make(clock.now());
    let mut run = Run {
        trace,
        split,
        session,
        app,
        expected: Vec::new(),
        sent: Vec::new(),
        error: None,
        line: 0,
    };
    run.pump(clock.now());
    for (line, step) in &trace.steps {
        run.line = *line;
        let now = clock.now();
        match (step, role) {
            (Step::Client(bytes), Role::Client) | (Step::Server(bytes), Role::Server) => {
                run.expected.extend_from_slice(bytes);
            }
            (Step::Client(bytes), Role::Server) | (Step::Server(bytes), Role::Client) => {
                run.check_sent()?;
                run.feed(now, bytes);
            }
            (Step::Tls, _) => {
                run.check_sent()?;
                if !run.session.wants_tls() {
                    return Err(run.fail("expected the session to want TLS".into()));
                }
                run.session.handle_tls_established(now);
                run.pump(now);
            }
            (Step::Eof, _) => {
                run.check_sent()?;
                run.session.handle_eof(now);
                run.pump(now);
            }
            (Step::Advance(by), _) => {
                run.check_sent()?;
                let now = clock.advance(*by);
                run.session.handle_timeout(now);
                run.pump(now);
            }
            (Step::Closed, _) => {
                run.check_sent()?;
                if !run.session.is_closed() {
                    return Err(run.fail("expected the session to be closed".into()));
                }
            }
            (Step::Error, _) => {
                run.check_sent()?;
                if run.error.is_none() {
                    return Err(run.fail("expected a fatal error, got none".into()));
                }
            }
            (Step::Directive(text), _) => {
                run.check_sent()?;
                (run.app)(&mut run.session, Call::Directive(text), now);
                run.pump(now);
            }
        }
    }
    run.line = trace.steps.last().map_or(0, |(line, _)| *line);
    run.check_sent()
}

/// Replays `trace` whole, byte by byte and in several seeded random splits.
///
/// `make` and `app` are called afresh for every replay; the first failure is returned.
pub fn replay_all<M, F, A>(
    trace: &Trace,
    role: Role,
    mut make: F,
    mut app: A,
) -> Result<(), TraceFailure>
where
    M: Session,
    M::Event: fmt::Debug,
    F: FnMut(Instant) -> M,
    A: FnMut(&mut M, Call<'_, M::Event>, Instant),
{
    let splits = [
        Split::Whole,
        Split::ByteByByte,
        Split::Seeded(1),
        Split::Seeded(0x5eed),
        Split::Seeded(0xdead_beef),
    ];
    for split in splits {
        replay(trace, role, split, &mut make, &mut app)?;
    }
    Ok(())
}

struct Run<'t, M: Session, A> {
    trace: &'t Trace,
    split: Split,
    session: M,
    app: A,
    expected: Vec<u8>,
    sent: Vec<u8>,
    error: Option<String>,
    line: usize,
}

impl<M, A> Run<'_, M, A>
where
    M: Session,
    A: FnMut(&mut M, Call<'_, M::Event>, Instant),
{
    fn feed(&mut self, now: Instant, bytes: &[u8]) {
        match self.split {
            Split::Whole => {
                self.session.handle_input(now, bytes);
                self.pump(now);
            }
            Split::ByteByByte => {
                for byte in bytes.chunks(1) {
                    self.session.handle_input(now, byte);
                    self.pump(now);
                }
            }
            Split::Seeded(seed) => {
                for piece in seeded_split(bytes, seed ^ self.line as u64) {
                    self.session.handle_input(now, piece);
                    self.pump(now);
                }
            }
        }
    }

    /// Drains transmits and events until the session is quiet.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(bytes) = self.session.poll_transmit() {
                self.sent.extend_from_slice(&bytes);
                progressed = true;
            }
            if self.error.is_none() {
                // A session may queue bytes while it answers something itself and reports
                // no event; the next turn of the loop drains them.
                progressed |= self.session.poll_transmit().is_some_and(|bytes| {
                    self.sent.extend_from_slice(&bytes);
                    true
                });
                match self.session.poll_event() {
                    Ok(Some(event)) => {
                        (self.app)(&mut self.session, Call::Event(event), now);
                        progressed = true;
                    }
                    Ok(None) => {
                        progressed |= self.session.poll_transmit().is_some_and(|bytes| {
                            self.sent.extend_from_slice(&bytes);
                            true
                        });
                    }
                    Err(error) => {
                        self.error = Some(error.to_string());
                        progressed = true;
                    }
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn check_sent(&self) -> Result<(), TraceFailure> {
        if self.sent == self.expected {
            return Ok(());
        }
        let common = self
            .sent
            .iter()
            .zip(&self.expected)
            .take_while(|(a, b)| a == b)
            .count();
        let start = self.sent.get(..common).map_or(0, |before| {
            before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        });
        let tail = |bytes: &[u8]| escape(bytes.get(start..).unwrap_or_default());
        let mut message = format!(
            "sent bytes differ from the trace\n  expected: {}\n  sent:     {}",
            tail(&self.expected),
            tail(&self.sent)
        );
        if let Some(error) = &self.error {
            message.push_str(&format!("\n  session error: {error}"));
        }
        Err(self.fail(message))
    }

    fn fail(&self, message: String) -> TraceFailure {
        TraceFailure {
            trace: self.trace.name.clone(),
            line: self.line,
            split: self.split,
            message,
        }
    }
}

/// What the application saw during a replay, one entry per event (or refused call), with a
/// cursor for a trace's expectations: each match consumes the log up to it, so a trace states
/// the order of what it expects without listing everything. Body bytes given in several
/// chunks merge into one `Data:` entry, so the same expectation holds however the input was
/// split.
#[derive(Debug, Default, Clone)]
pub struct EventLog {
    entries: Vec<String>,
    cursor: usize,
}

impl EventLog {
    /// Adds an entry (usually an event's `Debug` form).
    pub fn push(&mut self, entry: impl Into<String>) {
        self.entries.push(entry.into());
    }

    /// Adds body bytes, escaped, to the `Data:` entry at the end (or starts one).
    pub fn push_data(&mut self, bytes: &[u8]) {
        let escaped = escape(bytes);
        match self.entries.last_mut() {
            Some(last) if last.starts_with("Data:") => last.push_str(&escaped),
            _ => self.entries.push(format!("Data:{escaped}")),
        }
    }

    /// Every entry so far.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Moves past the next entry containing `text`; the error shows the whole log.
    pub fn expect(&mut self, text: &str) -> Result<(), String> {
        let unseen = self.entries.get(self.cursor..).unwrap_or_default();
        match unseen.iter().position(|e| e.contains(text)) {
            Some(i) => {
                self.cursor += i + 1;
                Ok(())
            }
            None => Err(format!(
                "no entry matching {text:?} after #{}; log: {:#?}",
                self.cursor, self.entries
            )),
        }
    }

    /// Checks that no entry after the cursor contains `text`.
    pub fn expect_none(&self, text: &str) -> Result<(), String> {
        let unseen = self.entries.get(self.cursor..).unwrap_or_default();
        match unseen.iter().find(|e| e.contains(text)) {
            Some(found) => Err(format!("unexpected entry {found:?}")),
            None => Ok(()),
        }
    }
}

/// Writes bytes with the trace escapes, for messages and transcripts.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\0' => out.push_str("\\0"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out
}

/// Reads the trace escapes.
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = [bytes.next(), bytes.next()];
                let value = match hex {
                    [Some(hi), Some(lo)] => std::str::from_utf8(&[hi, lo])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok()),
                    _ => None,
                };
                out.push(value.ok_or("bad \\x escape: two hex digits expected")?);
            }
            other => {
                return Err(format!(
                    "unknown escape \\{}",
                    other.map(char::from).unwrap_or(' ')
                ));
            }
        }
    }
    Ok(out)
}

fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_dir_keeps_counts_and_reports_failures_and_panics() {
        let dir = std::env::temp_dir().join(format!("trace-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in [
            ("a-ok.trace", "S: hi\n"),
            ("a-bad.trace", "S: hi\n"),
            ("a-panic.trace", "S: hi\n"),
            ("b-skipped.trace", "S: hi\n"),
            ("notes.txt", "not a trace"),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let result = replay_dir(
            &dir,
            |name| name.starts_with("a-"),
            |t, text| {
                assert_eq!(text, "S: hi\n");
                match t.name.as_str() {
                    "a-bad.trace" => Err(TraceFailure {
                        trace: t.name.clone(),
                        line: 1,
                        split: Split::Whole,
                        message: "differs".into(),
                    }),
                    "a-panic.trace" => panic!("boom"),
                    _ => Ok(()),
                }
            },
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let report = result.unwrap_err();
        assert!(report.starts_with("2 of 3 traces failed"), "{report}");
        assert!(
            report.contains("a-bad.trace:1 (Whole): differs"),
            "{report}"
        );
        assert!(report.contains("a-panic.trace: panicked: boom"), "{report}");
    }

    #[test]
    fn event_log_expectations_consume_in_order() {
        let mut log = EventLog::default();
        log.push("Hello a");
        log.push_data(b"x\r");
        log.push_data(b"\n");
        log.push("Done");
        assert_eq!(log.entries()[1], "Data:x\\r\\n");
        assert!(log.expect("Data:x").is_ok());
        assert!(log.expect_none("Hello").is_ok());
        assert!(log.expect("Hello").is_err());
        assert!(log.expect_none("Done").is_err());
        assert!(log.expect("Done").is_ok());
        assert!(log.expect("Done").is_err());
    }

    #[test]
    fn parses_lines_escapes_and_directives() {
        let text = "# comment\nS: 220 hi\nC- DATA\\r\\n.\\n\n@advance 300s\n@tls\n@send x\n";
        let trace = Trace::parse("t", text).unwrap();
        let steps: Vec<Step> = trace.steps.into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            steps,
            vec![
                Step::Server(b"220 hi\r\n".to_vec()),
                Step::Client(b"DATA\r\n.\n".to_vec()),
                Step::Advance(Duration::from_secs(300)),
                Step::Tls,
                Step::Directive("send x".into()),
            ]
        );
    }

    #[test]
    fn rejects_unknown_lines_and_escapes() {
        assert!(Trace::parse("t", "X: hi").is_err());
        assert!(Trace::parse("t", "C: \\q").is_err());
        assert!(Trace::parse("t", "C: \\x4").is_err());
        assert!(Trace::parse("t", "@advance soon").is_err());
    }

    #[test]
    fn escape_and_unescape_round_trip() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
    }
}
