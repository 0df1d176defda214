//! `mailserver` in Dovecot's seat: a real Postfix (started by
//! `examples/interop/ci-postfix-lmtp.sh`, `virtual_transport = lmtp:inet:127.0.0.1:24025`)
//! receives a message over SMTP for three users of lmtp.test and hands it to
//! `mailserver --lmtp-port 24025` over LMTP. alice gets it, and reads it over POP3
//! byte-identical; ghost is unknown (`550 5.1.1` at RCPT); full is over `--quota` (`552 5.2.2`
//! after the body, RFC 2033 §4.2: one reply per recipient). Postfix's log shows each
//! recipient's fate with our reply text.
//!
//! Reads `MAILSANSIO_LMTP_POSTFIX_*` from the peers env file (`$MAILSANSIO_PEERS_ENV`,
//! default `/tmp/mailsansio-peers.env`). Ignored unless asked for (`-- --ignored`), and then
//! fails when the peer is missing.

mod common;

use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::MailServer;
use mail_sansio::testing::PeersEnv;

struct Postfix {
    smtp: String,
    lmtp_port: String,
    log: String,
    ca: String,
}

fn peer() -> Postfix {
    let env = PeersEnv::load("ci-postfix-lmtp.sh");
    let domain = env.require("MAILSANSIO_LMTP_POSTFIX_DOMAIN");
    assert_eq!(
        domain, "lmtp.test",
        "the Postfix LMTP peer must serve lmtp.test"
    );
    let lmtp = env.require("MAILSANSIO_LMTP_POSTFIX_LMTP");
    Postfix {
        smtp: env.require("MAILSANSIO_LMTP_POSTFIX_SMTP"),
        lmtp_port: lmtp.rsplit_once(':').map(|(_, p)| p.to_owned()).unwrap(),
        log: env.require("MAILSANSIO_LMTP_POSTFIX_LOG"),
        ca: env.require("MAILSANSIO_LMTP_POSTFIX_CA"),
    }
}

/// The message without the trace fields added on its way (Return-Path, Received).
fn without_trace(stored: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stored);
    let mut lines = text.split("\r\n").peekable();
    while let Some(line) = lines.peek() {
        let trace = ["Return-Path:", "Received:", "\t", " "]
            .iter()
            .any(|p| line.starts_with(p));
        if !trace {
            break;
        }
        lines.next();
    }
    lines.collect::<Vec<_>>().join("\r\n").into_bytes()
}

/// Postfix's log lines for the message whose Message-ID holds `token`, once every one of
/// `rcpts` has a final status.
fn postfix_lines(postfix: &Postfix, token: &str, rcpts: &[&str], server: &MailServer) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(&postfix.log).unwrap_or_default();
        let queue_id = log
            .lines()
            .find(|l| l.contains(&format!("message-id=<{token}@")))
            .and_then(|l| l.split(": ").nth(1))
            .map(str::to_owned);
        if let Some(id) = queue_id {
            let mine: Vec<&str> = log
                .lines()
                .filter(|l| l.contains(&format!(": {id}: ")))
                .collect();
            let done = rcpts.iter().all(|r| {
                mine.iter().any(|l| {
                    l.contains(&format!("to=<{r}>"))
                        && (l.contains("status=sent") || l.contains("status=bounced"))
                })
            });
            if done {
                return mine.join("\n");
            }
        }
        assert!(
            Instant::now() < deadline,
            "Postfix did not settle every recipient\n--- postfix log\n{log}\n--- mailserver log\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn postfix_hands_mail_to_mailserver_over_lmtp() {
    let postfix = peer();
    let server = MailServer::start_with(
        "lmtp.test",
        "alice:secret-a\nfull:secret-f\n",
        &[
            "--lmtp-port",
            &postfix.lmtp_port,
            "--quota",
            "8K",
            "--dns",
            "127.0.0.1:9",
        ],
    );
    let lmtp = format!("127.0.0.1:{}", postfix.lmtp_port);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&lmtp).is_err() {
        assert!(
            Instant::now() < deadline,
            "no LMTP on {lmtp}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // full already holds 9000 octets: over the 8K quota whatever comes.
    let full_cur = server.data().join("full/Maildir/cur");
    std::fs::write(full_cur.join("1.seed.host,S=9000:2,S"), vec![b'x'; 9000]).unwrap();

    let token = format!("lmtp-postfix-{}-{}", std::process::id(), server.smtp);
    let message = format!(
        "From: Sender <sender@outside.test>\r\nTo: alice@lmtp.test, ghost@lmtp.test, \
         full@lmtp.test\r\nSubject: {token}\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\
         Message-ID: <{token}@outside.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Hello,\r\n.leading dot\r\n..two\r\n.\r\ncaf\u{e9}\r\n\r\n-- \r\nSender\r\n"
    );
    let file = server.dir.join("message.eml");
    std::fs::write(&file, &message).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--server", &postfix.smtp, "--ca", &postfix.ca])
        .args(["--helo", "outside.test", "--from", "sender@outside.test"])
        .args(["--to", "alice@lmtp.test", "--to", "ghost@lmtp.test"])
        .args(["--to", "full@lmtp.test"])
        .arg(&file)
        .output()
        .unwrap();
    server.check("smtp-send to Postfix", &out);

    let rcpts = ["alice@lmtp.test", "ghost@lmtp.test", "full@lmtp.test"];
    let lines = postfix_lines(&postfix, &token, &rcpts, &server);
    let line_for = |rcpt: &str| {
        lines
            .lines()
            .find(|l| l.contains(&format!("to=<{rcpt}>")))
            .unwrap_or_default()
            .to_owned()
    };
    let relay = format!("relay=127.0.0.1[127.0.0.1]:{}", postfix.lmtp_port);
    let alice = line_for("alice@lmtp.test");
    assert!(alice.contains(&relay), "{lines}");
    assert!(
        alice.contains("status=sent (250 2.0.0 <alice@lmtp.test> delivered as "),
        "{lines}"
    );
    let ghost = line_for("ghost@lmtp.test");
    assert!(
        ghost.contains("status=bounced")
            && ghost.contains("said: 550 5.1.1 <ghost@lmtp.test> no such user here")
            && ghost.contains("(in reply to RCPT TO command)"),
        "{lines}"
    );
    let full = line_for("full@lmtp.test");
    assert!(
        full.contains("status=bounced")
            && full.contains("said: 552 5.2.2 <full@lmtp.test> mailbox full")
            && full.contains("(in reply to end of DATA command)"),
        "{lines}"
    );

    // alice reads it over POP3, byte for byte; full got no copy.
    let out = Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(["--server", &format!("127.0.0.1:{}", server.pop3)])
        .arg("--ca")
        .arg(server.ca())
        .args(["--user", "alice", "retrieve", "1"])
        .env("POP3_PASSWORD", "secret-a")
        .output()
        .unwrap();
    server.check("pop3-client retrieve 1", &out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Return-Path: <sender@outside.test>\r\n"),
        "{text}"
    );
    assert!(
        text.contains("by lmtp.test (mail-sansio mailserver) with LMTP id "),
        "{text}"
    );
    assert!(
        text.contains("by front.lmtp.test (Postfix) with ESMTPS"),
        "{text}"
    );
    assert_eq!(without_trace(&out.stdout), message.as_bytes(), "{text}");
    assert_eq!(server.maildir_files("full").len(), 1, "{}", server.log());
    let log = server.log();
    assert!(
        log.contains("<full@lmtp.test> over quota: 9000 of 8192 octets"),
        "{log}"
    );
}
