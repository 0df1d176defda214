//! Replays `tests/traces/server-*.trace` against [`Server`], whole, byte by byte and in random
//! splits.
//!
//! `# config: WORDS` lines choose the configuration (`compatible`, `lmtp`, `tls=required`,
//! `tls=implicit`, `tls=none`, `size=N`, `plaintext-auth`, `vrfy`, `expn`, `help`,
//! `recipients=N`, `bare`, `delay=N`, `no-binarymime`, `no-pipelining`, `cram-md5`, `scram`).
//! CRAM-MD5 and SCRAM take the RFC 2195 challenge and the RFC 7677 server nonce when the
//! machine asks for them; the users are `tim`/`tanstaaftanstaaf` (CRAM-MD5) and `user`/`pencil`
//! with the RFC 7677 salt and 4096 iterations (SCRAM); SCRAM success for `user` is accepted. The application accepts everything except: a hello
//! domain starting `reject`, senders and recipients whose local part starts `refuse` (550) or
//! `busy` (452), recipient `multi` (a multi-line 550), LMTP recipients starting `full` (452
//! after the body), and AUTH other than `user`/`pass` or a token `good`.
//!
//! Directives: `@s expect TEXT` (the next logged event containing TEXT), `@s expect-none TEXT`,
//! `@s hold` (hold decisions from now on), `@s release` (answer held decisions, newest first).

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
use std::time::{Duration, Instant};

use mail_sansio::sasl::{Credentials, SaslServerConfig, ScramCredentials};
use mail_sansio::testing::trace::{self, Call, EventLog, Role, Trace};
use smtp_proto::types::{Domain, MechanismName};
use smtp_proto::{
    EnhancedStatusCode, Reply, ReplyCode, Server, ServerConfig, ServerEvent, TlsMode, Token,
};

/// RFC 2195 §2's example challenge.
const RFC2195_CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";
/// RFC 7677 §3's server nonce part and salt (`W22ZaJ0SNY7soEsUEjb6gQ==`).
const RFC7677_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const RFC7677_SALT: [u8; 16] = [
    91, 109, 153, 104, 157, 18, 53, 142, 236, 160, 75, 20, 18, 54, 250, 129,
];

#[derive(Default)]
struct Log {
    events: EventLog,
    hold: bool,
    held: Vec<ServerEvent>,
    rcpts: Vec<String>,
}

pub fn config(text: &str) -> ServerConfig {
    let mut c = ServerConfig::strict(Domain::try_from("mx.example").unwrap());
    c.limits.message_size = 1_000_000;
    for line in text.lines().filter_map(|l| l.strip_prefix("# config:")) {
        for word in line.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            match key {
                "compatible" => {
                    let mut n = ServerConfig::compatible(c.domain.clone());
                    n.limits.message_size = c.limits.message_size;
                    c = n;
                }
                "lmtp" => c.lmtp = true,
                "tls" => {
                    c.tls = match value {
                        "required" => TlsMode::Required,
                        "implicit" => TlsMode::Implicit,
                        "none" => TlsMode::DangerousPlaintextOnly,
                        _ => TlsMode::Opportunistic,
                    }
                }
                "size" => c.limits.message_size = value.parse().unwrap(),
                "recipients" => c.limits.recipients = value.parse().unwrap(),
                "plaintext-auth" => c.dangerous_plaintext_auth = true,
                "vrfy" => c.extensions.vrfy = true,
                "expn" => c.extensions.expn = true,
                "help" => c.extensions.help = true,
                "no-binarymime" => c.extensions.binary_mime = false,
                "cram-md5" => c
                    .extensions
                    .auth
                    .push(MechanismName::from(mail_sansio::sasl::Mechanism::CramMd5)),
                "scram" => c.extensions.auth.push(MechanismName::from(
                    mail_sansio::sasl::Mechanism::ScramSha256,
                )),
                "no-pipelining" => c.extensions.pipelining = false,
                "xoauth2" => c
                    .extensions
                    .auth
                    .push(MechanismName::from(mail_sansio::sasl::Mechanism::XOAuth2)),
                "delay" => c.greeting_delay = Some(Duration::from_secs(value.parse().unwrap())),
                "no-extensions" => {
                    let x = &mut c.extensions;
                    x.pipelining = false;
                    x.eight_bit_mime = false;
                    x.smtputf8 = false;
                    x.chunking = false;
                    x.dsn = false;
                    x.enhanced_status_codes = false;
                    x.size = false;
                    x.requiretls = false;
                    x.auth.clear();
                    c.tls = TlsMode::DangerousPlaintextOnly;
                }
                other => panic!("unknown config word {other}"),
            }
        }
    }
    c
}

fn reply(code: u16, esc: Option<(u8, u16, u16)>, text: &str) -> Reply {
    let esc = esc.map(|(c, s, d)| EnhancedStatusCode::new(c, s, d).unwrap());
    Reply::new(ReplyCode::new(code).unwrap(), esc, text).unwrap()
}

fn local(s: &str) -> String {
    s.split('@')
        .next()
        .unwrap_or_default()
        .trim_start_matches('<')
        .to_owned()
}

/// The application's policy; see the module docs.
fn decide(server: &mut Server, log: &mut Log, event: ServerEvent) {
    let lmtp = server.config().lmtp;
    let answer = |server: &mut Server, token: Token, r: Option<Reply>| match r {
        Some(r) => server.send_reply(token, r).unwrap(),
        None => server.accept(token).unwrap(),
    };
    match event {
        ServerEvent::Hello { token, domain, .. } => {
            let r = domain
                .as_str()
                .starts_with("reject")
                .then(|| reply(550, Some((5, 7, 1)), "go away"));
            answer(server, token, r);
        }
        ServerEvent::Mail { token, from, .. } => {
            log.rcpts.clear();
            let l = from
                .mailbox()
                .map(|m| local(m.as_str()))
                .unwrap_or_default();
            let r = l
                .starts_with("refuse")
                .then(|| reply(550, Some((5, 7, 1)), "sender refused"));
            answer(server, token, r);
        }
        ServerEvent::Rcpt { token, to, .. } => {
            let l = to
                .mailbox()
                .map(|m| local(m.as_str()))
                .unwrap_or_else(|| "postmaster".into());
            let r = if l.starts_with("refuse") {
                Some(reply(550, Some((5, 1, 1)), "no such user"))
            } else if l.starts_with("busy") {
                Some(reply(452, Some((4, 2, 2)), "mailbox full"))
            } else if l == "multi" {
                let esc = EnhancedStatusCode::new(5, 1, 1).unwrap();
                Some(
                    Reply::multiline(
                        ReplyCode::new(550).unwrap(),
                        Some(esc),
                        ["no such user", "try another"],
                    )
                    .unwrap(),
                )
            } else {
                log.rcpts.push(l);
                None
            };
            answer(server, token, r);
        }
        ServerEvent::MessageComplete { token, .. } => {
            if lmtp {
                let replies: Vec<Reply> = log
                    .rcpts
                    .iter()
                    .map(|l| {
                        if l.starts_with("full") {
                            reply(452, Some((4, 2, 2)), "mailbox full")
                        } else {
                            reply(250, Some((2, 0, 0)), "delivered")
                        }
                    })
                    .collect();
                server.send_replies(token, &replies).unwrap();
            } else {
                server
                    .send_reply(token, reply(250, Some((2, 0, 0)), "queued as Q1"))
                    .unwrap();
            }
            log.rcpts.clear();
        }
        ServerEvent::Auth { token, credentials } => {
            let ok = match &credentials {
                Credentials::Password {
                    authcid, password, ..
                } => authcid == "user" && password.expose() == "pass",
                Credentials::Token { token, .. } => token.expose() == "good",
                Credentials::CramMd5(proof) => {
                    proof.user() == "tim" && proof.verify(b"tanstaaftanstaaf")
                }
                _ => false,
            };
            let r =
                (!ok).then(|| reply(535, Some((5, 7, 8)), "Authentication credentials invalid"));
            answer(server, token, r);
        }
        ServerEvent::SaslConfig { token, .. } => {
            let config = SaslServerConfig::new()
                .with_cram_md5_challenge(RFC2195_CHALLENGE)
                .with_scram_nonce(RFC7677_SERVER_NONCE);
            server.provide_sasl_config(token, config).unwrap();
        }
        ServerEvent::ScramCredentials { token, authcid, .. } => {
            // Made-up keys for an unknown user: the proof fails like a wrong password.
            let password = if authcid == "user" {
                "pencil"
            } else {
                "unknown"
            };
            let stored = ScramCredentials::derive(password, &RFC7677_SALT, 4096).unwrap();
            server.provide_scram_credentials(token, stored).unwrap();
        }
        ServerEvent::SaslAuthenticated { token, authcid, .. } => {
            let r = (authcid != "user")
                .then(|| reply(535, Some((5, 7, 8)), "Authentication credentials invalid"));
            answer(server, token, r);
        }
        ServerEvent::Vrfy { token, .. } | ServerEvent::Expn { token, .. } => {
            answer(server, token, None)
        }
        _ => {}
    }
}

fn run(t: &Trace, text: &str) -> Result<(), trace::TraceFailure> {
    let log = Rc::new(RefCell::new(Log::default()));
    let make_log = log.clone();
    let cfg = config(text);
    trace::replay_all(
        t,
        Role::Server,
        move |now: Instant| {
            *make_log.borrow_mut() = Log::default();
            Server::new(cfg.clone(), now)
        },
        move |server: &mut Server, call: Call<'_, ServerEvent>, _now| {
            let mut log = log.borrow_mut();
            match call {
                Call::Event(ServerEvent::BodyChunk(bytes)) => log.events.push_data(&bytes),
                Call::Event(event) => {
                    log.events.push(format!("{event:?}"));
                    if log.hold && !matches!(event, ServerEvent::MessageAborted(_)) {
                        log.held.push(event);
                    } else {
                        decide(server, &mut log, event);
                    }
                }
                Call::Directive(d) => {
                    let words: Vec<&str> = d.split_whitespace().collect();
                    match words.as_slice() {
                        ["s", "expect", ..] => log.events.expect(&words[2..].join(" ")).unwrap(),
                        ["s", "expect-none", ..] => {
                            log.events.expect_none(&words[2..].join(" ")).unwrap();
                        }
                        ["s", "hold"] => log.hold = true,
                        ["s", "release"] => {
                            log.hold = false;
                            let held = std::mem::take(&mut log.held);
                            for event in held.into_iter().rev() {
                                decide(server, &mut log, event);
                            }
                        }
                        other => panic!("unknown directive {other:?}"),
                    }
                }
            }
        },
    )
}

#[test]
fn server_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    // SMTP_TRACE=part replays only the files whose names contain it.
    let filter = std::env::var("SMTP_TRACE").ok();
    let keep = |name: &str| {
        name.starts_with("server-") && filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
    };
    let count = trace::replay_dir(&dir, keep, run).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        filter.is_some() || count >= 25,
        "only {count} server traces"
    );
}
