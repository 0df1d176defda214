//! Replays `tests/traces/server-*.trace` against [`Server`], whole, byte by byte and in random
//! splits.
//!
//! `# config: WORDS` lines choose the configuration: `tls=required` (default), `tls=implicit`,
//! `tls=none`, `compatible`, `literal-plus`, `rev2`, `cram-md5`, `scram`, `no-multiappend`,
//! `bad=N` (bad commands after login), `bad-before-login=N`, `append-limit=N`,
//! `stream=N` (literals above N octets stream), `non-sync=N` (LITERAL- limit), `preauth`
//! (PREAUTH greeting), `sort`, `thread=ALG,ALG`, `searchres`, `unauthenticate`, `oauth`
//! (XOAUTH2 and OAUTHBEARER offered), `auth-failures=N`.
//!
//! The application logs in `joe`/`secret` (and `user`/`pencil` for SCRAM, `tim` for CRAM-MD5
//! with RFC 2195's secret, and the bearer token `good`; any other token gets the error
//! challenge of `Server::reject_token`) and refuses anyone else with
//! `NO [AUTHENTICATIONFAILED]`. Every
//! other event waits for directives, which answer the oldest unanswered event (or the N-th
//! with a leading number: `@2 ok`):
//!
//! - `@open UIDS [uidvalidity=N] [uidnext=N] [modseq=N] [examine]`: open the mailbox
//!   (`UIDS` like `1:18` or `4,7,9`; `-` for none);
//! - `@send LINE`: an untagged response, decoded with the crate's response grammar (`\r\n`
//!   escapes allowed); a FETCH's message number is turned into the UID the view gives it;
//! - `@search UID...`: SEARCH results; `@ok [TEXT]`, `@status LINE` (a tagged status
//!   decoded for its condition, code and text);
//! - `@sort UID...`: SORT results in order; `@thread THREADS`: THREAD results, written as
//!   after `* THREAD` but with UIDs;
//! - `@fetch-start LEN LINE`: a streamed FETCH response, with the items of the FETCH
//!   response `LINE` then `BODY[]` with a literal of `LEN` octets; `@fetch-chunk TEXT` its
//!   octets; `@fetch-end LINE` the items of the FETCH response `LINE` after it;
//! - `@push exists UID`, `@push expunge UID`, `@push flags UID FLAG...`;
//! - `@compress`: the session must want compression; the driver switches;
//! - `@expect TEXT`, `@expect-none TEXT`: the event log.

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

use bytes::Bytes;
use imap_proto::TlsMode;
use imap_proto::response::{Code, Data, FetchItem, Payload, Response, Section, StatusKind, Text};
use imap_proto::server::{
    Completion, MailboxSnapshot, Server, ServerConfig, ServerEvent, Token, Update,
};
use imap_proto::types::{Atom, Flag, FlagPerm};
use mail_sansio::sasl::{Credentials, Mechanism, SaslServerConfig, ScramCredentials};
use mail_sansio::testing::trace::{self, Call, EventLog, Role, Trace};

/// RFC 2195 §2's example challenge.
const RFC2195_CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";
/// RFC 7677 §3's server nonce part and salt.
const RFC7677_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const RFC7677_SALT: [u8; 16] = [
    91, 109, 153, 104, 157, 18, 53, 142, 236, 160, 75, 20, 18, 54, 250, 129,
];

#[derive(Default)]
struct Log {
    events: EventLog,
    /// Every event's token in order, and whether it was answered.
    pending: Vec<(Token, bool)>,
}

pub fn config(text: &str) -> (ServerConfig, bool) {
    let mut c = ServerConfig::strict(TlsMode::Required);
    let mut preauth = false;
    for line in text.lines().filter_map(|l| l.strip_prefix("# config:")) {
        for word in line.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            match key {
                "tls" => {
                    c.tls = match value {
                        "required" => TlsMode::Required,
                        "implicit" => TlsMode::Implicit,
                        _ => TlsMode::DangerousPlaintext,
                    }
                }
                "compatible" => {
                    let tls = c.tls;
                    c = ServerConfig::compatible(tls);
                }
                "literal-plus" => c.extensions.literal_plus = true,
                "rev2" => c.extensions.imap4rev2 = true,
                "cram-md5" => c.sasl.push(Mechanism::CramMd5.into()),
                "scram" => c.sasl.push(Mechanism::ScramSha256.into()),
                "login-mech" => c.sasl.push(Mechanism::Login.into()),
                "no-multiappend" => c.extensions.multiappend = false,
                "bad" => c.bad_commands = value.parse().unwrap(),
                "bad-before-login" => c.bad_commands_before_login = value.parse().unwrap(),
                "append-limit" => c.append_limit = Some(value.parse().unwrap()),
                "stream" => c.limits.literal_stream_threshold = value.parse().unwrap(),
                "non-sync" => c.limits.non_sync_literal = value.parse().unwrap(),
                "preauth" => preauth = true,
                "sort" => c.extensions.sort = true,
                "thread" => {
                    c.extensions.thread = value
                        .split(',')
                        .map(|a| Atom::try_from(a).unwrap())
                        .collect();
                }
                "searchres" => c.extensions.searchres = true,
                "unauthenticate" => c.extensions.unauthenticate = true,
                "oauth" => {
                    c.sasl.push(Mechanism::XOAuth2.into());
                    c.sasl.push(Mechanism::OAuthBearer.into());
                }
                "auth-failures" => c.auth_failures = value.parse().unwrap(),
                other => panic!("unknown config word {other}"),
            }
        }
    }
    (c, preauth)
}

/// The trace escapes `\r`, `\n` and `\\` in a directive's argument.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = text.bytes();
    while let Some(b) = chars.next() {
        match (b, b == b'\\') {
            (_, true) => match chars.next() {
                Some(b'r') => out.push(b'\r'),
                Some(b'n') => out.push(b'\n'),
                Some(other) => out.push(other),
                None => out.push(b'\\'),
            },
            (b, false) => out.push(b),
        }
    }
    out
}

fn uids(text: &str) -> Vec<u32> {
    if text == "-" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once(':') {
            Some((a, b)) => out.extend(a.parse::<u32>().unwrap()..=b.parse::<u32>().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

fn standard_flags() -> Vec<Flag> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

/// The application's automatic answers (logins); everything else waits for directives.
fn decide(server: &mut Server, log: &mut Log, event: ServerEvent) {
    match event {
        ServerEvent::Login { token, credentials } => {
            let ok = match &credentials {
                Credentials::Password {
                    authcid, password, ..
                } => (authcid == "joe" || authcid == "mrc") && password.expose() == "secret",
                Credentials::CramMd5(proof) => {
                    proof.user() == "tim" && proof.verify(b"tanstaaftanstaaf")
                }
                Credentials::Token { token: bearer, .. } => {
                    if bearer.expose() != "good" {
                        let json = br#"{"status":"invalid_token","scope":"mail"}"#;
                        server.reject_token(token, json).unwrap();
                        return;
                    }
                    true
                }
                _ => false,
            };
            if ok {
                server.accept(token).unwrap();
            } else {
                refuse_login(server, token);
            }
        }
        ServerEvent::SaslConfig { token, .. } => {
            let config = SaslServerConfig::new()
                .with_cram_md5_challenge(RFC2195_CHALLENGE)
                .with_scram_nonce(RFC7677_SERVER_NONCE);
            server.provide_sasl_config(token, config).unwrap();
        }
        ServerEvent::ScramCredentials { token, authcid, .. } => {
            let password = if authcid == "user" { "pencil" } else { "x" };
            let stored = ScramCredentials::derive(password, &RFC7677_SALT, 4096).unwrap();
            server.provide_scram_credentials(token, stored).unwrap();
        }
        ServerEvent::SaslAuthenticated { token, authcid, .. } => {
            if authcid == "user" {
                server.accept(token).unwrap();
            } else {
                refuse_login(server, token);
            }
        }
        other => {
            if let Some(token) = other.token() {
                log.pending.push((token, false));
            }
        }
    }
}

fn refuse_login(server: &mut Server, token: Token) {
    let no = Completion::no(
        Some(Code::AuthenticationFailed),
        Text::try_from("Authentication failed").unwrap(),
    );
    server.complete(token, no).unwrap();
}

fn directive(server: &mut Server, log: &mut Log, d: &str, now: Instant) {
    let (index, rest) = match d.split_once(' ') {
        Some((n, rest)) if n.parse::<usize>().is_ok() => {
            (Some(n.parse::<usize>().unwrap() - 1), rest)
        }
        _ => (None, d),
    };
    let (word, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    let index = index.or_else(|| log.pending.iter().position(|(_, done)| !done));
    let token = || log.pending[index.expect("no pending event")].0;
    let answered = |log: &mut Log| {
        if let Some(i) = index {
            log.pending[i].1 = true;
        }
    };
    match word {
        "expect" => log.events.expect(arg).unwrap(),
        "expect-none" => log.events.expect_none(arg).unwrap(),
        "open" => {
            let mut words = arg.split_whitespace();
            let uid_list = uids(words.next().unwrap());
            let mut snapshot = MailboxSnapshot {
                uid_next: uid_list.last().map_or(1, |u| u + 1),
                uids: uid_list,
                flags: standard_flags(),
                permanent_flags: standard_flags()
                    .into_iter()
                    .map(FlagPerm::Flag)
                    .chain([FlagPerm::Any])
                    .collect(),
                uid_validity: 1,
                highest_modseq: None,
                recent: 0,
                first_unseen: None,
                read_only: false,
            };
            for w in words {
                let (k, v) = w.split_once('=').unwrap_or((w, ""));
                match k {
                    "uidvalidity" => snapshot.uid_validity = v.parse().unwrap(),
                    "uidnext" => snapshot.uid_next = v.parse().unwrap(),
                    "modseq" => snapshot.highest_modseq = Some(v.parse().unwrap()),
                    "recent" => snapshot.recent = v.parse().unwrap(),
                    "unseen" => snapshot.first_unseen = Some(v.parse().unwrap()),
                    "examine" => snapshot.read_only = true,
                    other => panic!("unknown open word {other}"),
                }
            }
            server.open_mailbox(token(), snapshot).unwrap();
        }
        "send" => {
            let mut line = unescape(arg);
            line.extend_from_slice(b"\r\n");
            let response = Response::decode(&line).unwrap().complete().unwrap();
            match response {
                Response::Data(Data::Fetch(fetch)) => {
                    let uid = server.selected().unwrap().uid(fetch.seq).unwrap();
                    server.send_fetch(token(), uid, fetch.items).unwrap();
                }
                other => server.send_response(token(), other).unwrap(),
            }
        }
        "search" => {
            let found: Vec<u32> = arg.split_whitespace().map(|w| w.parse().unwrap()).collect();
            let t = token();
            server.send_search(t, &found, None).unwrap();
            answered(log);
        }
        "sort" => {
            let found: Vec<u32> = arg.split_whitespace().map(|w| w.parse().unwrap()).collect();
            let t = token();
            server.send_sort(t, &found, None).unwrap();
            answered(log);
        }
        "thread" => {
            let line = format!("* THREAD {arg}\r\n");
            let Response::Data(Data::Thread(threads)) = Response::decode(line.as_bytes())
                .unwrap()
                .complete()
                .unwrap()
            else {
                panic!("not threads: {arg}");
            };
            let t = token();
            server.send_thread(t, threads).unwrap();
            answered(log);
        }
        "fetch-start" => {
            let (len, line) = arg.split_once(' ').unwrap();
            let mut items = fetch_line(line).1;
            items.push(FetchItem::BodySection {
                section: Section::default(),
                origin: None,
                data: Payload::Streamed {
                    len: len.parse().unwrap(),
                },
            });
            let uid = server.selected().unwrap().uid(fetch_line(line).0).unwrap();
            server.start_fetch(token(), uid, items).unwrap();
        }
        "fetch-chunk" => server
            .send_fetch_chunk(token(), Bytes::from(unescape(arg)))
            .unwrap(),
        "fetch-end" => server.end_fetch(token(), fetch_line(arg).1).unwrap(),
        "ok" => {
            let t = token();
            let completion = if arg.is_empty() {
                Completion::ok()
            } else {
                Completion {
                    text: Text::try_from(arg).unwrap(),
                    ..Completion::ok()
                }
            };
            server.complete(t, completion).unwrap();
            answered(log);
        }
        "status" => {
            let mut line = unescape(arg);
            line.extend_from_slice(b"\r\n");
            let Response::Status(status) = Response::decode(&line).unwrap().complete().unwrap()
            else {
                panic!("not a status: {arg}");
            };
            let StatusKind::Tagged(_, condition) = status.kind else {
                panic!("not tagged: {arg}");
            };
            let completion = Completion {
                condition,
                code: status.code,
                text: status.text,
            };
            let t = token();
            server.complete(t, completion).unwrap();
            answered(log);
        }
        "compress" => {
            assert!(
                server.wants_compression(),
                "the session must want compression"
            );
            server.handle_compression_started(now);
        }
        "push" => {
            let mut words = arg.split_whitespace();
            let kind = words.next().unwrap();
            let uid: u32 = words.next().unwrap().parse().unwrap();
            let update = match kind {
                "exists" => Update::Exists { uid },
                "expunge" => Update::Expunged { uid },
                "flags" => Update::Flags {
                    uid,
                    flags: words
                        .map(|f| {
                            Flag::try_from(String::from_utf8(unescape(f)).unwrap().as_str())
                                .unwrap()
                        })
                        .collect(),
                    modseq: None,
                },
                other => panic!("unknown push {other}"),
            };
            server.push(update).unwrap();
        }
        other => panic!("unknown directive {other:?}"),
    }
}

/// The message number and items of a FETCH response line.
fn fetch_line(line: &str) -> (u32, Vec<FetchItem>) {
    let mut bytes = unescape(line);
    bytes.extend_from_slice(b"\r\n");
    match Response::decode(&bytes).unwrap().complete().unwrap() {
        Response::Data(Data::Fetch(fetch)) => (fetch.seq, fetch.items),
        other => panic!("not a FETCH response: {other:?}"),
    }
}

fn run(t: &Trace, text: &str) -> Result<(), trace::TraceFailure> {
    let log = Rc::new(RefCell::new(Log::default()));
    let make_log = log.clone();
    let (cfg, preauth) = config(text);
    trace::replay_all(
        t,
        Role::Server,
        move |now: Instant| {
            *make_log.borrow_mut() = Log::default();
            if preauth {
                Server::new_preauth(cfg.clone(), now).unwrap()
            } else {
                Server::new(cfg.clone(), now)
            }
        },
        move |server: &mut Server, call: Call<'_, ServerEvent>, now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(ServerEvent::AppendChunk(bytes)) => log.events.push_data(&bytes),
                Call::Event(event) => {
                    log.events.push(format!("{event:?}"));
                    decide(server, &mut log, event);
                }
                Call::Directive(d) => directive(server, &mut log, d, now),
            }
        },
    )
}

#[test]
fn server_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    // IMAP_TRACE=part replays only the files whose names contain it.
    let filter = std::env::var("IMAP_TRACE").ok();
    let keep = |name: &str| {
        name.starts_with("server-") && filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
    };
    let count = trace::replay_dir(&dir, keep, run).unwrap_or_else(|e| panic!("{e}"));
    assert!(filter.is_some() || count >= 1, "only {count} server traces");
}
