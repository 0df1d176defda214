//! `mailserver` in Postfix's seat: `smtp-send` submits a message to
//! `mailserver --deliver lmtp:127.0.0.1:24024`, which hands it over LMTP (BDAT, as Dovecot
//! offers CHUNKING) to a real Dovecot (started by `examples/interop/ci-dovecot-lmtp.sh`).
//! dave gets it, and Dovecot's POP3 returns it byte-identical under Dovecot's and our trace
//! fields. full is over its Dovecot quota (`552 5.2.2`, permanent): bounced to the sender,
//! whose bounce goes to Dovecot too. fulltemp is over quota with `quota_full_tempfail`
//! (`452 4.2.2`, temporary): it stays in the spool, to be retried.
//!
//! Reads `MAILSANSIO_LMTP_DOVECOT_*` from the peers env file (`$MAILSANSIO_PEERS_ENV`,
//! default `/tmp/mailsansio-peers.env`). Ignored unless asked for (`-- --ignored`), and then
//! fails when the peer is missing.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::MailServer;
use mail_sansio::testing::PeersEnv;

struct Dovecot {
    lmtp: String,
    pop3: String,
    ca: String,
    pass: String,
    maildirs: PathBuf,
}

fn peer() -> Dovecot {
    let env = PeersEnv::load("ci-dovecot-lmtp.sh");
    Dovecot {
        lmtp: env.require("MAILSANSIO_LMTP_DOVECOT_LMTP"),
        pop3: env.require("MAILSANSIO_LMTP_DOVECOT_POP3"),
        ca: env.require("MAILSANSIO_LMTP_DOVECOT_CA"),
        pass: env.require("MAILSANSIO_LMTP_DOVECOT_PASS"),
        maildirs: env.require("MAILSANSIO_LMTP_DOVECOT_MAILDIRS").into(),
    }
}

/// The message without the trace fields added on its way (Return-Path, Delivered-To,
/// Received).
fn without_trace(stored: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stored);
    let mut lines = text.split("\r\n").peekable();
    while let Some(line) = lines.peek() {
        let trace = ["Return-Path:", "Delivered-To:", "Received:", "\t", " "]
            .iter()
            .any(|p| line.starts_with(p));
        if !trace {
            break;
        }
        lines.next();
    }
    lines.collect::<Vec<_>>().join("\r\n").into_bytes()
}

fn pop3(d: &Dovecot, server: &MailServer, user: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(["--server", &d.pop3, "--ca", &d.ca, "--user", user])
        .args(args)
        .env("POP3_PASSWORD", &d.pass)
        .output()
        .unwrap();
    server.check(&format!("pop3-client {user} {args:?}"), &out);
    out.stdout
}

/// Over Dovecot's POP3: the message of `user` that contains `token`.
fn retrieve(d: &Dovecot, server: &MailServer, user: &str, token: &str) -> Option<Vec<u8>> {
    let listing = pop3(d, server, user, &["list"]);
    let count = String::from_utf8_lossy(&listing).lines().count();
    (1..=count).rev().find_map(|n| {
        let m = pop3(d, server, user, &["retrieve", &n.to_string()]);
        String::from_utf8_lossy(&m).contains(token).then_some(m)
    })
}

/// Waits until the mailserver log holds every one of `lines`.
fn wait_log(server: &MailServer, lines: &[String]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = server.log();
        if lines.iter().all(|l| log.contains(l.as_str())) {
            return log;
        }
        assert!(Instant::now() < deadline, "waited for {lines:#?}\n{log}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn mailserver_hands_local_mail_to_dovecot_over_lmtp() {
    let d = peer();
    let target = format!("lmtp:{}", d.lmtp);
    let server = MailServer::start_with(
        "lmtp.test",
        "alice:secret-a\ndave:secret-d\nfull:secret-f\nfulltemp:secret-t\n",
        &["--deliver", &target, "--dns", "127.0.0.1:9"],
    );
    let token = format!("lmtp-dovecot-{}-{}", std::process::id(), server.smtp);
    // Over 1K, so that it does not fit the quota of full and fulltemp.
    let mut message = format!(
        "From: Alice <alice@lmtp.test>\r\nTo: dave@lmtp.test, full@lmtp.test, \
         fulltemp@lmtp.test\r\nSubject: {token}\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\
         Message-ID: <{token}@lmtp.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Hello Dave,\r\n.leading dot\r\n..two\r\n.\r\ncaf\u{e9}\r\n"
    );
    for i in 0..30 {
        message.push_str(&format!("line {i:02} of a body longer than a kilobyte\r\n"));
    }
    message.push_str("\r\n-- \r\nAlice\r\n");
    let file = server.dir.join("message.eml");
    std::fs::write(&file, &message).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--server", &format!("localhost:{}", server.submission)])
        .arg("--ca")
        .arg(server.ca())
        .args(["--user", "alice", "--from", "alice@lmtp.test"])
        .args(["--to", "dave@lmtp.test", "--to", "full@lmtp.test"])
        .args(["--to", "fulltemp@lmtp.test"])
        .arg(&file)
        .env("SMTP_PASSWORD", "secret-a")
        .output()
        .unwrap();
    server.check("smtp-send to mailserver", &out);

    let log = wait_log(
        &server,
        &[
            format!("deliver: {target}: 3 recipients, body by BDAT"),
            "delivered to <dave@lmtp.test>".to_owned(),
            "<full@lmtp.test> failed: 552 5.2.2 <full@lmtp.test> Quota exceeded".to_owned(),
            "<fulltemp@lmtp.test> deferred: 452 4.2.2 <fulltemp@lmtp.test> Quota exceeded"
                .to_owned(),
        ],
    );

    // dave reads it from Dovecot, byte for byte under the trace fields.
    let got = retrieve(&d, &server, "dave", &token).expect("dave got the message");
    let text = String::from_utf8_lossy(&got);
    // Dovecot's trace field, then ours.
    assert!(
        text.starts_with("Return-Path: <alice@lmtp.test>\r\n"),
        "{text}"
    );
    assert!(text.contains(" with LMTP\r\n"), "{text}");
    assert!(
        text.contains("by lmtp.test (mail-sansio mailserver) with ESMTPSA"),
        "{text}"
    );
    assert_eq!(without_trace(&got), message.as_bytes(), "{text}\n{log}");

    // full: refused for good, bounced to alice (the bounce went by LMTP to Dovecot too).
    let bounce = wait_for_pop3(&d, &server, "alice", &token);
    let bounce = String::from_utf8_lossy(&bounce);
    assert!(bounce.contains("Status: 5.2.2"), "{bounce}");
    assert!(
        bounce.contains("Final-Recipient: rfc822; full@lmtp.test"),
        "{bounce}"
    );
    assert!(!bounce.contains("fulltemp@lmtp.test>:"), "{bounce}");
    let full_new = d.maildirs.join("full/Maildir/new");
    let full_copies = std::fs::read_dir(&full_new).map_or(0, |r| {
        r.flatten()
            .filter(|e| {
                std::fs::read(e.path()).is_ok_and(|m| String::from_utf8_lossy(&m).contains(&token))
            })
            .count()
    });
    assert_eq!(full_copies, 0);

    // fulltemp: refused for now, still in the spool for the next attempt.
    let spool = server.data().join("spool");
    let envelopes: Vec<String> = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "env"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(envelopes.len(), 1, "{envelopes:?}\n{log}");
    let env = &envelopes[0];
    assert!(
        env.contains("from alice@lmtp.test\n") && env.contains("attempts 1\n"),
        "{env}"
    );
    let rcpts: Vec<&str> = env.lines().filter(|l| l.starts_with("rcpt ")).collect();
    assert_eq!(rcpts, ["rcpt fulltemp@lmtp.test"], "{env}");
}

/// The message of `user` holding `token`, once Dovecot has it.
fn wait_for_pop3(d: &Dovecot, server: &MailServer, user: &str, token: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(m) = retrieve(d, server, user, token) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "{user} got no message with {token}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
