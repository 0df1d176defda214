//! End to end with a real MTA: `smtp-send` submits to `mailserver` (domain a.test), which
//! looks up the MX of b.test (a stub DNS: 127.0.0.1) and relays with opportunistic STARTTLS
//! to Postfix (started by `examples/interop/ci-mailserver.sh`), which delivers into a
//! Maildir. The message arrives byte-identical: Postfix stores LF line endings (the Maildir
//! convention) and adds its trace fields on top; nothing else changes.
//!
//! Reads `MAILSANSIO_POSTFIX_*` from the peers env file (`$MAILSANSIO_PEERS_ENV`, default
//! `/tmp/mailsansio-peers.env`). The tests are ignored unless asked for (`-- --ignored`) and
//! then fail when the peer or python3 (the fake DNS) is missing.

mod common;

use mail_sansio::testing::PeersEnv;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{FakeDns, MailServer, need};

struct Postfix {
    smtp_port: String,
    maildir: PathBuf,
    ca: String,
}

/// The Postfix peer; fails the test when it, or python3 for the fake DNS, is missing.
fn peer() -> Postfix {
    let env = PeersEnv::load("ci-mailserver.sh");
    let smtp = env.require("MAILSANSIO_POSTFIX_SMTP");
    let maildir = env.require("MAILSANSIO_POSTFIX_MAILDIR");
    let domain = env.require("MAILSANSIO_POSTFIX_DOMAIN");
    assert_eq!(domain, "b.test", "the Postfix peer must serve b.test");
    need("python3"); // for the fake DNS
    Postfix {
        smtp_port: smtp.rsplit_once(':').map(|(_, p)| p.to_owned()).unwrap(),
        maildir: PathBuf::from(maildir),
        ca: env.require("MAILSANSIO_POSTFIX_CA"),
    }
}

/// Postfix's copy without its leading trace fields, with CRLF line endings again.
fn body_of(stored: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stored);
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.peek() {
        let trace = [
            "Return-Path:",
            "X-Original-To:",
            "Delivered-To:",
            "Received:",
            "\t",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if !trace {
            break;
        }
        lines.next();
    }
    let rest: Vec<&str> = lines.collect();
    rest.join("\r\n").into_bytes()
}

/// Waits for the message carrying `token` in Postfix's Maildir.
fn wait_for(postfix: &Postfix, token: &str, log: impl Fn() -> String) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = std::fs::read_dir(postfix.maildir.join("new"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .find(|m| String::from_utf8_lossy(m).contains(token));
        if let Some(m) = found {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "Postfix did not receive the message\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn message(token: &str) -> String {
    format!(
        "From: Alice <alice@a.test>\r\nTo: Carol <carol@b.test>\r\nSubject: {token}\r\n\
         Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{token}@a.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\nHello Carol,\r\n.leading dot\r\n..two\r\n\
         .\r\ncaf\u{e9}\r\n\r\n-- \r\nAlice\r\n"
    )
}

fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn smtp_send_to_mailserver_relayed_by_mx_to_postfix() {
    let postfix = peer();
    let dns = FakeDns::start();
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let server = MailServer::start_with(
        "a.test",
        "alice:secret-a\n",
        &["--dns", &dns_addr, "--relay-port", &postfix.smtp_port],
    );
    let token = format!("relay-{}-{}", std::process::id(), server.smtp);
    let message = message(&token);
    let file = server.dir.join("message.eml");
    std::fs::write(&file, &message).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--server", &format!("localhost:{}", server.submission)])
        .arg("--ca")
        .arg(server.ca())
        .args([
            "--user",
            "alice",
            "--from",
            "alice@a.test",
            "--to",
            "carol@b.test",
        ])
        .arg(&file)
        .env("SMTP_PASSWORD", "secret-a")
        .output()
        .unwrap();
    assert_ok(&out);
    let stored = wait_for(&postfix, &token, || server.log());
    let text = String::from_utf8_lossy(&stored);
    assert!(
        text.contains("by mx.b.test (Postfix) with ESMTPS"),
        "{text}"
    );
    assert!(
        text.contains("by a.test (mail-sansio mailserver) with ESMTPSA"),
        "{text}"
    );
    // Our Received field (folded) sits between Postfix's and the message.
    assert_eq!(body_of(&stored), message.into_bytes(), "{text}");
    let spool = std::fs::read_dir(server.data().join("spool"))
        .unwrap()
        .count();
    assert_eq!(spool, 0, "{}", server.log());
}

/// `smtp-send --mx` straight to Postfix: TLS required (the default) and the certificate
/// checked against the MX host name.
#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn smtp_send_direct_to_postfix_with_verified_starttls() {
    let postfix = peer();
    let ca = postfix.ca.clone();
    let dns = FakeDns::start();
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let token = format!("direct-{}-{}", std::process::id(), dns.port);
    let message = message(&token);
    let file = std::env::temp_dir().join(format!("{token}.eml"));
    std::fs::write(&file, &message).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--mx", "--dns", &dns_addr, "--port", &postfix.smtp_port])
        .args(["--ca", &ca, "--helo", "a.test"])
        .args(["--from", "alice@a.test", "--to", "carol@b.test"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert_ok(&out);
    let stored = wait_for(&postfix, &token, String::new);
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains("with ESMTPS"), "{text}");
    assert_eq!(body_of(&stored), message.into_bytes(), "{text}");
}
