//! Replays `tests/traces/*.trace` against the client and the server, whole, byte by byte and
//! in random splits.
//!
//! File names choose the roles: `client-*` only as the client, `server-*` only as the server,
//! anything else as both. Directives beyond the runner's own (`@tls`, `@eof`, ...):
//!
//! * `@c WORDS` — the client application acts: `login USER PASS`, `apop USER SECRET`,
//!   `auth-plain USER PASS`, `stat`, `list [N]`, `uidl [N]`, `retr N`, `top N L`, `dele N`,
//!   `rset`, `noop`, `capa`, `quit`, or `expect TEXT`.
//! * `@s WORDS` — the server application: `reject-login CODE`, `commit-fail`,
//!   `retrieve-fail`, or `expect TEXT`.
//!
//! `expect-none TEXT` checks that no later event matches.
//! `expect TEXT` looks for the next logged event (after the last one matched) whose rendering
//! contains TEXT. RETR/TOP data pieces are joined into one `Data:<escaped bytes>` entry, so
//! the log does not depend on how the input was split.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use mail_sansio::testing::trace::{self, Call, EventLog, Role, Trace};
use pop3_proto::{
    Client, ClientConfig, ClientEvent, Maildrop, MessageNumber, Password, ResponseCode, Server,
    ServerConfig, ServerEvent, Text, Timestamp, TlsMode, Uid, Username, wire_size,
};

/// The maildrop every server trace sees after login (user `test`, password `secret`).
const MESSAGES: [&[u8]; 3] = [
    b"Subject: a\r\n\r\nline1\r\n.line2\r\n",
    b".\r\n..x\r\n.hidden\r\na\r\n",
    b"Subject: t\r\nX: y\r\n\r\nb1\r\nb2\r\nb3\r\nb4\r\n",
];

#[derive(Default)]
struct Log {
    events: EventLog,
    reject_login: Option<ResponseCode>,
    commit_fail: bool,
    retrieve_fail: bool,
}

fn maildrop() -> Maildrop {
    let mut m = Maildrop::new();
    for (i, msg) in MESSAGES.iter().enumerate() {
        m.push(
            wire_size(msg),
            Uid::try_from(format!("uid-{}", i + 1)).unwrap(),
        )
        .unwrap();
    }
    m
}

fn n(s: &str) -> MessageNumber {
    MessageNumber::new(s.parse().unwrap()).unwrap()
}

fn client_config(name: &str) -> ClientConfig {
    let mut config = client_config_tls(name);
    config.capa_after_login = name.contains("recapa-login");
    config
}

fn client_config_tls(name: &str) -> ClientConfig {
    if name.contains("plaintext") {
        ClientConfig::new(TlsMode::DangerousPlaintext)
    } else if name.contains("implicit") {
        ClientConfig::new(TlsMode::Implicit)
    } else {
        ClientConfig::new(TlsMode::Required)
    }
}

fn server_config(name: &str) -> ServerConfig {
    let mut config = if name.contains("plaintext") {
        ServerConfig::new(TlsMode::DangerousPlaintext)
    } else if name.contains("implicit") {
        ServerConfig::new(TlsMode::Implicit)
    } else {
        ServerConfig::new(TlsMode::Required)
    };
    config.greeting = Text::try_from("POP3 server ready").unwrap();
    if name.contains("cram") {
        config
            .sasl
            .push(mail_sansio::sasl::Mechanism::CramMd5.into());
    }
    config
}

fn client_directive(client: &mut Client, log: &mut Log, words: &[&str]) {
    let r = match words {
        ["login", u, p] => client.login(
            &Username::try_from(*u).unwrap(),
            &Password::try_from(*p).unwrap(),
        ),
        ["apop", u, s] => client.apop(&Username::try_from(*u).unwrap(), s),
        ["auth-plain", u, p] => client
            .authenticate(mail_sansio::sasl::SaslClient::plain(None, u, p.to_string()).unwrap()),
        ["stat"] => client.stat(),
        ["list"] => client.list(None),
        ["list", m] => client.list(Some(n(m))),
        ["uidl"] => client.uidl(None),
        ["uidl", m] => client.uidl(Some(n(m))),
        ["retr", m] => client.retr(n(m)),
        ["top", m, l] => client.top(n(m), l.parse().unwrap()),
        ["dele", m] => client.dele(n(m)),
        ["rset"] => client.rset(),
        ["noop"] => client.noop(),
        ["capa"] => client.capa(),
        ["quit"] => client.quit(),
        ["expect", ..] => {
            log.events.expect(&words[1..].join(" ")).unwrap();
            Ok(())
        }
        ["expect-none", ..] => {
            log.events.expect_none(&words[1..].join(" ")).unwrap();
            Ok(())
        }
        ["refused", what @ ..] => {
            // The call must be refused locally (nothing sent).
            let r = client_directive_result(client, what);
            assert!(r.is_err(), "{what:?} should have been refused");
            Ok(())
        }
        other => panic!("unknown client directive {other:?}"),
    };
    r.unwrap_or_else(|e| panic!("{words:?}: {e}"));
}

fn client_directive_result(
    client: &mut Client,
    words: &[&str],
) -> Result<(), pop3_proto::SendError> {
    match words {
        ["login", u, p] => client.login(
            &Username::try_from(*u).unwrap(),
            &Password::try_from(*p).unwrap(),
        ),
        ["apop", u, s] => client.apop(&Username::try_from(*u).unwrap(), s),
        ["stat"] => client.stat(),
        ["retr", m] => client.retr(n(m)),
        other => panic!("unknown refusal directive {other:?}"),
    }
}

fn server_event(server: &mut Server, log: &mut Log, event: ServerEvent) {
    log.events.push(format!("{event:?}"));
    match event {
        ServerEvent::Login { username, password } => {
            if let Some(code) = log.reject_login.clone() {
                server
                    .reject_login(Some(code), Text::try_from("refused").unwrap())
                    .unwrap();
            } else if username.as_str() == "test" && password.expose() == "secret" {
                server.accept_login(maildrop()).unwrap();
            } else {
                server
                    .reject_login(
                        Some(ResponseCode::Auth),
                        Text::try_from("invalid credentials").unwrap(),
                    )
                    .unwrap();
            }
        }
        ServerEvent::Apop {
            username,
            digest,
            timestamp,
        } => {
            let expected = pop3_proto::ApopDigest::compute(&timestamp, "tanstaaf");
            if username.as_str() == "mrose" && expected.matches(&digest) {
                server.accept_login(maildrop()).unwrap();
            } else {
                server
                    .reject_login(Some(ResponseCode::Auth), Text::try_from("no").unwrap())
                    .unwrap();
            }
        }
        ServerEvent::SaslVerify(mail_sansio::sasl::Credentials::Password {
            authcid,
            password,
            ..
        }) => {
            if authcid == "test" && password.expose() == "secret" {
                server.accept_login(maildrop()).unwrap();
            } else {
                server
                    .reject_login(
                        Some(ResponseCode::Auth),
                        Text::try_from("invalid credentials").unwrap(),
                    )
                    .unwrap();
            }
        }
        ServerEvent::SaslConfig { .. } => {
            // RFC 2195 §2's example challenge, so the example response verifies.
            let config = mail_sansio::sasl::SaslServerConfig::new()
                .with_cram_md5_challenge("<1896.697170952@postoffice.reston.mci.net>");
            server.provide_sasl_config(config).unwrap();
        }
        ServerEvent::SaslVerify(mail_sansio::sasl::Credentials::CramMd5(proof)) => {
            if proof.user() == "tim" && proof.verify(b"tanstaaftanstaaf") {
                server.accept_login(maildrop()).unwrap();
            } else {
                server
                    .reject_login(Some(ResponseCode::Auth), Text::try_from("no").unwrap())
                    .unwrap();
            }
        }
        ServerEvent::Retrieve { message, .. } => {
            if log.retrieve_fail {
                server
                    .reject_retrieve(
                        Some(ResponseCode::SysTemp),
                        Text::try_from("try later").unwrap(),
                    )
                    .unwrap();
                return;
            }
            let body = MESSAGES[usize::try_from(message.get()).unwrap() - 1];
            // Hand the message over in small pieces, as storage might.
            for piece in body.chunks(5) {
                server.send_data(piece).unwrap();
            }
            server.finish_data().unwrap();
        }
        ServerEvent::Commit { .. } => {
            let result = if log.commit_fail {
                Err(Text::try_from("some deleted messages not removed").unwrap())
            } else {
                Ok(())
            };
            server.commit_result(result).unwrap();
        }
        other => panic!("unexpected server event {other:?}"),
    }
}

fn server_directive(log: &mut Log, words: &[&str]) {
    match words {
        ["reject-login", "IN-USE"] => log.reject_login = Some(ResponseCode::InUse),
        ["reject-login", "LOGIN-DELAY"] => log.reject_login = Some(ResponseCode::LoginDelay),
        ["commit-fail"] => log.commit_fail = true,
        ["retrieve-fail"] => log.retrieve_fail = true,
        ["expect", ..] => log.events.expect(&words[1..].join(" ")).unwrap(),
        ["expect-none", ..] => log.events.expect_none(&words[1..].join(" ")).unwrap(),
        other => panic!("unknown server directive {other:?}"),
    }
}

fn run_client(t: &Trace) -> Result<(), trace::TraceFailure> {
    let log = Rc::new(RefCell::new(Log::default()));
    let name = t.name.clone();
    let make_log = log.clone();
    trace::replay_all(
        t,
        Role::Client,
        move |now: Instant| {
            *make_log.borrow_mut() = Log::default();
            Client::new(client_config(&name), now)
        },
        move |client: &mut Client, call: Call<'_, ClientEvent>, _now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(ClientEvent::Data(bytes)) => log.events.push_data(&bytes),
                Call::Event(event) => {
                    if std::env::var("TRACE_DEBUG").is_ok() {
                        eprintln!("client event {event:?}");
                    }
                    log.events.push(format!("{event:?}"))
                }
                Call::Directive(d) => {
                    let words: Vec<&str> = d.split_whitespace().collect();
                    match words.split_first() {
                        Some((&"c", rest)) => client_directive(client, &mut log, rest),
                        Some((&"s", _)) => {}
                        _ => panic!("unknown directive {d:?}"),
                    }
                }
            }
        },
    )
}

fn run_server(t: &Trace) -> Result<(), trace::TraceFailure> {
    let log = Rc::new(RefCell::new(Log::default()));
    let name = t.name.clone();
    let make_log = log.clone();
    trace::replay_all(
        t,
        Role::Server,
        move |now: Instant| {
            *make_log.borrow_mut() = Log::default();
            if name.contains("apop") {
                let ts = Timestamp::try_from("<1896.697170952@dbc.mtview.ca.us>").unwrap();
                Server::with_apop(server_config(&name), ts, now)
            } else {
                Server::new(server_config(&name), now)
            }
        },
        move |server: &mut Server, call: Call<'_, ServerEvent>, _now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(event) => server_event(server, &mut log, event),
                Call::Directive(d) => {
                    let words: Vec<&str> = d.split_whitespace().collect();
                    match words.split_first() {
                        Some((&"s", rest)) => server_directive(&mut log, rest),
                        Some((&"c", _)) => {}
                        _ => panic!("unknown directive {d:?}"),
                    }
                }
            }
        },
    )
}

#[test]
fn traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    // TRACE=part replays only matching files; TRACE_SKIP=part skips them.
    let (only, skip) = (
        std::env::var("TRACE").ok(),
        std::env::var("TRACE_SKIP").ok(),
    );
    let keep = |name: &str| {
        only.as_ref().is_none_or(|f| name.contains(f.as_str()))
            && skip.as_ref().is_none_or(|f| !name.contains(f.as_str()))
    };
    // A `client-` trace is replayed by the client, a `server-` one by the server, any other
    // by both.
    let files = trace::replay_dir(&dir, keep, |t, _| {
        if !t.name.starts_with("server-") {
            run_client(t)?;
        }
        if !t.name.starts_with("client-") {
            run_server(t)?;
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(only.is_some() || files > 0, "no traces");
    eprintln!("{files} trace files passed");
}
