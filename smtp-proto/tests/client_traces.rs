//! Replays `tests/traces/client-*.trace` against [`Client`] (Role::Client), whole, byte by
//! byte and in random splits.
//!
//! `# config: WORDS` lines choose the configuration: `tls=required|opportunistic|implicit|none`
//! (default `required`), `plaintext-auth`, `no-ir` (no SASL initial response), `no-chunking`,
//! `lmtp`.
//!
//! Directives (the application's actions and checks):
//! - `@mail FROM TO... [+8bit] [+binary] [+size=N]`: `send_mail`; `<>` is the null path; escapes
//!   allowed.
//! - `@data TEXT` (trace escapes), `@finish`, `@abort`, `@quit`, `@command LINE` (`send_command`).
//! - `@auth plain|login|xoauth2|external|cram-md5 USER [SECRET]`, `@auth scram USER PASS NONCE`:
//!   `authenticate`.
//! - `@expect TEXT`: the next logged event or refused call (`SendError: ...`) containing TEXT.
//! - `@expect-none TEXT`: no such entry after the cursor.
//! - `@expect-error TEXT`: the session has failed with an error whose message contains TEXT.

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

use mail_sansio::Session;
use mail_sansio::sasl::{SaslClient, ScramClientConfig};
use mail_sansio::testing::trace::{self, Call, EventLog, Role, Trace};
use smtp_proto::types::Domain;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, SendError, TlsMode};

#[derive(Default)]
struct Log {
    events: EventLog,
}

impl Log {
    fn result(&mut self, result: Result<(), SendError>) {
        if let Err(e) = result {
            self.events.push(format!("SendError: {e} ({e:?})"));
        }
    }
}

fn config(text: &str) -> ClientConfig {
    let mut c = ClientConfig::new(Domain::try_from("client.example").unwrap());
    for line in text.lines().filter_map(|l| l.strip_prefix("# config:")) {
        for word in line.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            match key {
                "tls" => {
                    c.tls = match value {
                        "required" => TlsMode::Required,
                        "implicit" => TlsMode::Implicit,
                        "none" => TlsMode::DangerousPlaintextOnly,
                        "opportunistic" => TlsMode::Opportunistic,
                        other => panic!("unknown tls mode {other}"),
                    }
                }
                "plaintext-auth" => c.dangerous_plaintext_auth = true,
                "no-ir" => c.initial_response = false,
                "no-chunking" => c.chunking = false,
                "lmtp" => c.lmtp = true,
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

fn mail(client: &mut Client, words: &[&str]) -> Result<(), SendError> {
    let mut addresses = Vec::new();
    let mut eight_bit = false;
    let mut binary = false;
    let mut size = None;
    for word in words {
        match *word {
            "+8bit" => eight_bit = true,
            "+binary" => binary = true,
            w if w.starts_with("+size=") => size = Some(w[6..].parse().unwrap()),
            w => addresses.push(String::from_utf8(unescape(w)).unwrap()),
        }
    }
    let from = match addresses[0].as_str() {
        "<>" => "",
        other => other,
    };
    let mut envelope = Envelope::parse(from, addresses[1..].iter().map(String::as_str))?
        .with_eight_bit(eight_bit)
        .with_binary(binary);
    if let Some(size) = size {
        envelope = envelope.with_size(size);
    }
    client.send_mail(envelope)
}

fn auth(client: &mut Client, words: &[&str]) -> Result<(), SendError> {
    let secret = words.get(2).map(|s| (*s).to_owned()).unwrap_or_default();
    let sasl = match words[0] {
        "plain" => SaslClient::plain(None, words[1], secret),
        "login" => SaslClient::login(words[1], secret),
        "xoauth2" => SaslClient::xoauth2(words[1], secret),
        "external" => SaslClient::external(words.get(1).copied()),
        "cram-md5" => SaslClient::cram_md5(words[1], secret),
        "scram" => SaslClient::scram(ScramClientConfig::new(words[1], secret, words[3])),
        other => panic!("unknown mechanism {other}"),
    }
    .unwrap();
    client.authenticate(sasl)
}

fn directive(client: &mut Client, log: &mut Log, text: &str) {
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let words: Vec<&str> = rest.split_whitespace().collect();
    match verb {
        "mail" => {
            let r = mail(client, &words);
            log.result(r);
        }
        "data" => {
            let r = client.send_data(&unescape(rest));
            log.result(r);
        }
        "finish" => {
            let r = client.finish_data();
            log.result(r);
        }
        "command" => {
            let command = smtp_proto::Command::from_line(&unescape(rest)).unwrap();
            let r = client.send_command(&command);
            log.result(r);
        }
        "abort" => {
            let r = client.abort_message();
            log.result(r);
        }
        "quit" => {
            let r = client.quit();
            log.result(r);
        }
        "auth" => {
            let r = auth(client, &words);
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
        move |client: &mut Client, call: Call<'_, ClientEvent>, _now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(event) => log.events.push(format!("{event:?}")),
                Call::Directive(d) => directive(client, &mut log, d),
            }
        },
    )
}

#[test]
fn client_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    // SMTP_TRACE=part replays only the files whose names contain it.
    let filter = std::env::var("SMTP_TRACE").ok();
    let keep = |name: &str| {
        name.starts_with("client-") && filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
    };
    let count = trace::replay_dir(&dir, keep, run).unwrap_or_else(|e| panic!("{e}"));
    assert!(filter.is_some() || count >= 1, "only {count} client traces");
}
