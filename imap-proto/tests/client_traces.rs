//! Replays `tests/traces/client-*.trace` against [`Client`] (Role::Client), whole, byte by
//! byte and in random splits.
//!
//! `# config: WORDS` lines choose the configuration: `tls=required|implicit|none` (default
//! `required`), `track` (the mailbox tracker), `skip` (skip unparsable responses),
//! `lenient` (every leniency switch), `stream=N` (literals above N octets stream).
//!
//! Directives (the application's actions and checks):
//! - `@command LINE`: `send_command` with the command decoded from `tag LINE` (trace
//!   escapes allowed, so `APPEND INBOX {5}\r\nhello` works); the client re-encodes it with
//!   its own tag and literal forms.
//! - `@append-streamed MAILBOX LEN...`: APPEND with streamed messages;
//!   `@append-data TEXT`: `send_append_data`.
//! - `@login USER PASS`, `@auth plain|login|xoauth2 USER SECRET`,
//!   `@auth scram USER PASS NONCE`, `@idle`, `@done`, `@logout`.
//! - `@expect TEXT`: the next logged event or refused call (`SendError: ...`) containing TEXT.
//! - `@expect-none TEXT`: no such entry after the cursor.
//! - `@expect-error TEXT`: the session has failed with an error whose message contains TEXT.
//! - `@tracker TEXT`: the tracker's summary (`exists=N uids=a,b,- uidvalidity=V uidnext=N
//!   modseq=M`) contains TEXT.
//! - `@state NAME`: the client's state is `NAME` (`Debug` of [`ClientState`]).
//! - `@compress`: the client must want compression; the driver switches
//!   (`handle_compression_started`). The trace's lines stay uncompressed: the runner checks
//!   where the switch happens, not DEFLATE (tests/pair.rs compresses for real).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use imap_proto::client::{Client, ClientConfig, ClientEvent};
use imap_proto::command::{AppendData, AppendMessage, Command, CommandBody};
use imap_proto::types::Mailbox;
use imap_proto::{Leniency, Parsed, SendError, TlsMode};
use mail_sansio::Session;
use mail_sansio::sasl::{SaslClient, ScramClientConfig};
use mail_sansio::testing::trace::{self, Call, EventLog, Role, Trace};

#[derive(Default)]
struct Log {
    events: EventLog,
}

impl Log {
    fn result<T: std::fmt::Debug>(&mut self, result: Result<T, SendError>) {
        match result {
            Ok(tag) => self.events.push(format!("Sent {tag:?}")),
            Err(e) => self.events.push(format!("SendError: {e} ({e:?})")),
        }
    }
}

fn config(text: &str) -> ClientConfig {
    let mut c = ClientConfig::new(TlsMode::Required);
    for line in text.lines().filter_map(|l| l.strip_prefix("# config:")) {
        for word in line.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            match key {
                "tls" => {
                    c.tls = match value {
                        "required" => TlsMode::Required,
                        "implicit" => TlsMode::Implicit,
                        "none" => TlsMode::DangerousPlaintext,
                        other => panic!("unknown tls mode {other}"),
                    }
                }
                "track" => c.track_mailbox = true,
                "skip" => c.skip_unparsable = true,
                "lenient" => c.leniency = Leniency::lenient(),
                "stream" => c.limits.literal_stream_threshold = value.parse().unwrap(),
                other => panic!("unknown config word {other}"),
            }
        }
    }
    c
}

/// The trace escapes `\r \n \t \0 \xHH \\`.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
            }
            other => panic!("bad escape {other:?}"),
        }
    }
    out
}

fn command(client: &mut Client, line: &str) -> Result<imap_proto::types::Tag, SendError> {
    let mut bytes = b"X ".to_vec();
    bytes.extend_from_slice(&unescape(line));
    bytes.extend_from_slice(b"\r\n");
    let Parsed::Complete { value, .. } = Command::decode(&bytes).unwrap() else {
        panic!("incomplete command {line:?}");
    };
    client.send_command(value.body)
}

fn auth(client: &mut Client, words: &[&str]) -> Result<imap_proto::types::Tag, SendError> {
    let secret = words.get(2).map(|s| (*s).to_owned()).unwrap_or_default();
    let sasl = match words[0] {
        "plain" => SaslClient::plain(None, words[1], secret),
        "login" => SaslClient::login(words[1], secret),
        "xoauth2" => SaslClient::xoauth2(words[1], secret),
        "scram" => SaslClient::scram(ScramClientConfig::new(words[1], secret, words[3])),
        other => panic!("unknown mechanism {other}"),
    }
    .unwrap();
    client.authenticate(sasl)
}

fn tracker_summary(client: &Client) -> String {
    let Some(m) = client.mailbox() else {
        return "no tracker".into();
    };
    let uids: Vec<String> = (1..=m.exists())
        .map(|seq| m.uid(seq).map_or("-".into(), |u| u.to_string()))
        .collect();
    format!(
        "exists={} uids={} uidvalidity={:?} uidnext={:?} modseq={:?} read_only={}",
        m.exists(),
        uids.join(","),
        m.uid_validity(),
        m.uid_next(),
        m.highest_modseq(),
        m.is_read_only()
    )
}

fn directive(client: &mut Client, log: &mut Log, text: &str, now: Instant) {
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let words: Vec<&str> = rest.split_whitespace().collect();
    match verb {
        "command" => {
            let r = command(client, rest);
            log.result(r);
        }
        "login" => {
            let r = client.login(words[0], words[1]);
            log.result(r);
        }
        "auth" => {
            let r = auth(client, &words);
            log.result(r);
        }
        "append-streamed" => {
            // MAILBOX LEN [LEN...]: one streamed message per length.
            let messages = words[1..]
                .iter()
                .map(|len| AppendMessage {
                    flags: Vec::new(),
                    date: None,
                    data: AppendData::Streamed {
                        len: len.parse().unwrap(),
                        binary: false,
                    },
                })
                .collect();
            let body = CommandBody::Append {
                mailbox: Mailbox::try_from(words[0]).unwrap(),
                messages,
            };
            let r = client.send_command(body);
            log.result(r);
        }
        "append-data" => {
            let r = client.send_append_data(&unescape(rest)).map(|()| "data");
            log.result(r);
        }
        "idle" => {
            let r = client.idle();
            log.result(r);
        }
        "done" => {
            let r = client.idle_done();
            log.result(r);
        }
        "logout" => {
            let r = client.logout();
            log.result(r);
        }
        "expect" => log.events.expect(rest).unwrap(),
        "expect-none" => log.events.expect_none(rest).unwrap(),
        "expect-error" => match client.poll_event() {
            Err(e) => assert!(
                e.to_string().contains(rest),
                "error {e:?} does not mention {rest:?}"
            ),
            Ok(other) => panic!("expected an error mentioning {rest:?}, got {other:?}"),
        },
        "tracker" => {
            let summary = tracker_summary(client);
            assert!(summary.contains(rest), "tracker {summary:?} lacks {rest:?}");
        }
        "compress" => {
            assert!(
                client.wants_compression(),
                "the client must want compression"
            );
            client.handle_compression_started(now);
        }
        "state" => {
            let state = format!("{:?}", client.state());
            assert_eq!(state, rest, "client state");
        }
        other => panic!("unknown directive {other:?}"),
    }
}

fn run(t: &Trace, text: &str) -> Result<(), trace::TraceFailure> {
    let log = Rc::new(RefCell::new(Log::default()));
    let make_log = log.clone();
    let cfg = config(text);
    trace::replay_all(
        t,
        Role::Client,
        move |now: Instant| {
            *make_log.borrow_mut() = Log::default();
            Client::new(cfg.clone(), now)
        },
        move |client: &mut Client, call: Call<'_, ClientEvent>, now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(ClientEvent::LiteralChunk(bytes)) => log.events.push_data(&bytes),
                Call::Event(event) => log.events.push(format!("{event:?}")),
                Call::Directive(d) => directive(client, &mut log, d, now),
            }
        },
    )
}

#[test]
fn client_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    // IMAP_TRACE=part replays only the files whose names contain it.
    let filter = std::env::var("IMAP_TRACE").ok();
    let keep = |name: &str| {
        name.starts_with("client-") && filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
    };
    let count = trace::replay_dir(&dir, keep, run).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        filter.is_some() || count >= 20,
        "only {count} client traces"
    );
}
