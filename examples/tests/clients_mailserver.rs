//! `smtp-send` and `pop3-client` against the `mailserver` binary over real TCP: submission
//! with STARTTLS and implicit TLS, AUTH (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256), direct delivery by MX lookup, list, retrieve,
//! delete; strict TLS by default.

mod common;

use std::process::{Command, Output};

use common::{FakeDns, MailServer, need};

const MESSAGE: &[u8] = b"From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n\
Subject: from smtp-send\r\n\r\nHello Bob,\r\n.a leading dot\r\n..two\r\n.\r\n\r\n-- \r\nAlice\r\n";

fn smtp_send(server: &MailServer, args: &[&str], password: &str) -> Output {
    let message = server.dir.join("message.eml");
    std::fs::write(&message, MESSAGE).unwrap();
    Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(args)
        .arg(&message)
        .env("SMTP_PASSWORD", password)
        .output()
        .unwrap()
}

fn pop3_client(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(args)
        .env("POP3_PASSWORD", "secret-b")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The message as stored, without the Return-Path and Received fields added on delivery.
fn without_trace(stored: &[u8]) -> &[u8] {
    let mut rest = stored;
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let line = &rest[..end];
        let trace = line.starts_with(b"Return-Path:")
            || line.starts_with(b"Received:")
            || line.starts_with(b"\t");
        if !trace {
            return rest;
        }
        rest = &rest[end..];
    }
}

#[test]
fn smtp_send_submission_then_pop3_client() {
    let server = MailServer::start();
    let ca = server.ca().display().to_string();
    let submission = format!("localhost:{}", server.submission);
    let smtps = format!("127.0.0.1:{}", server.smtps);
    let common = [
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
        "--user",
        "alice",
    ];

    // STARTTLS (required by default) + AUTH PLAIN.
    let mut args = vec!["--server", &submission, "--ca", &ca];
    args.extend(common);
    let out = smtp_send(&server, &args, "secret-a");
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());

    // Implicit TLS.
    let mut args = vec!["--server", &smtps, "--tls", "implicit", "--ca", &ca];
    args.extend(common);
    let out = smtp_send(&server, &args, "secret-a");
    assert!(out.status.success(), "{}", text(&out));

    // A wrong password is refused (exit 77), whatever the mechanism.
    for mech in ["plain", "cram-md5", "scram-sha-256"] {
        let mut args = vec!["--server", &submission, "--ca", &ca, "--auth", mech];
        args.extend(common);
        let out = smtp_send(&server, &args, "wrong");
        assert_eq!(out.status.code(), Some(77), "{mech}: {}", text(&out));
    }

    // Strict by default: a self-signed certificate without --ca is not trusted (exit 78).
    let mut args = vec!["--server", &submission];
    args.extend(common);
    let out = smtp_send(&server, &args, "secret-a");
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(text(&out).contains("self-signed"), "{}", text(&out));
    assert!(text(&out).contains("--ca FILE"), "{}", text(&out));

    // Without TLS the submission port refuses everything (530), and no password is sent.
    let mut args = vec!["--server", &submission, "--tls", "dangerous-plaintext"];
    args.extend(&common[..4]);
    let out = smtp_send(&server, &args, "");
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    assert!(text(&out).contains("530"), "{}", text(&out));

    // LOGIN, and the mechanisms that never send the password: CRAM-MD5, SCRAM-SHA-256.
    for mech in ["login", "cram-md5", "scram-sha-256"] {
        let mut args = vec!["--server", &submission, "--ca", &ca, "--auth", mech];
        args.extend(["--from", "alice@example.test", "--to", "alice@example.test"]);
        args.extend(["--user", "alice"]);
        let out = smtp_send(&server, &args, "secret-a");
        assert!(
            out.status.success(),
            "{mech}: {}\n{}",
            text(&out),
            server.log()
        );
    }
    assert_eq!(server.maildir_files("alice").len(), 3, "{}", server.log());
    assert!(!server.log().contains("secret-a"));

    assert_eq!(server.maildir_files("bob").len(), 2, "{}", server.log());

    // pop3-client: STLS (required by default), list, retrieve byte-identical, delete.
    let pop3 = format!("localhost:{}", server.pop3);
    let pop3s = format!("localhost:{}", server.pop3s);
    let base = ["--ca", &ca, "--user", "bob"];
    let out = pop3_client(&[&["--server", &pop3][..], &base, &["list"]].concat());
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listing.lines().count(), 2, "{listing}");

    let out = pop3_client(
        &[
            &["--server", &pop3s, "--tls", "implicit"][..],
            &base,
            &["retrieve", "1"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        out.stdout
            .starts_with(b"Return-Path: <alice@example.test>\r\n")
    );
    assert_eq!(without_trace(&out.stdout), MESSAGE);

    // Deleting a message that does not exist deletes nothing (RSET before QUIT).
    let out = pop3_client(&[&["--server", &pop3][..], &base, &["delete", "1", "9"]].concat());
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    assert_eq!(server.maildir_files("bob").len(), 2);

    let out = pop3_client(&[&["--server", &pop3][..], &base, &["delete", "1"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.maildir_files("bob").len(), 1);

    let out = pop3_client(&[&["--server", &pop3][..], &base, &["stat"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 messages"));

    // AUTH on POP3 too, with every mechanism the server offers.
    for mech in ["plain", "login", "cram-md5", "scram-sha-256"] {
        let args = [&["--server", &pop3, "--auth", mech][..], &base, &["stat"]].concat();
        let out = pop3_client(&args);
        assert!(
            out.status.success(),
            "{mech}: {}\n{}",
            text(&out),
            server.log()
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 messages"));
    }
    assert!(!server.log().contains("secret-b"));
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn smtp_send_direct_by_mx() {
    need("python3");
    let dns = FakeDns::start();
    let server = MailServer::start_with("b.test", "carol:secret-c\n", &[]);
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let port = server.smtp.to_string();
    // The MX host name (mx.b.test) is not in the self-signed certificate: --insecure.
    let args = [
        "--mx",
        "--dns",
        &dns_addr,
        "--port",
        &port,
        "--insecure",
        "--from",
        "alice@a.test",
        "--to",
        "carol@b.test",
        "--to",
        "nobody@b.test",
        "--to",
        "x@nx.test",
    ];
    let out = smtp_send(&server, &args, "");
    let report = text(&out);
    assert_eq!(out.status.code(), Some(69), "{report}\n{}", server.log());
    assert!(report.contains("<carol@b.test>: sent"), "{report}");
    assert!(report.contains("<nobody@b.test>: refused (550"), "{report}");
    assert!(
        report.contains("nx.test: no mail exchanger: NoSuchDomain"),
        "{report}"
    );
    let files = server.maildir_files("carol");
    assert_eq!(files.len(), 1);
    let stored = std::fs::read(&files[0]).unwrap();
    assert_eq!(without_trace(&stored), MESSAGE);
    assert!(
        String::from_utf8_lossy(&stored).contains("with ESMTPS"),
        "STARTTLS was used"
    );
}
