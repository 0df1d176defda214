//! Python's smtplib/poplib, raw sockets and curl against the `mailserver` binary over real TCP.
//!
//! Each test starts its own server on free loopback ports with a temporary data directory and
//! a users file, waits for the ports, runs a script from `examples/interop/mailserver/` and
//! kills the server when done. Ignored unless asked for (`-- --ignored`): they need python3 and curl, which
//! `examples/interop/start-peers.sh` installs.

mod common;

use std::process::Command;

use common::{FakeDns, MailServer, need};

/// Starts a server and runs a script of `examples/interop/mailserver/` against it.
fn run_python(script: &str, args: &[&str]) -> MailServer {
    need("python3");
    let server = MailServer::start();
    server.python(script, args);
    server
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn smtplib_plain_and_starttls() {
    let server = run_python("clients.py", &["smtp"]);
    // Plain, then STARTTLS to alice and postmaster (alice's alias): one copy each.
    assert_eq!(server.maildir_files("alice").len(), 2, "{}", server.log());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn smtplib_submission_and_smtps() {
    let server = run_python("clients.py", &["submission", "smtps"]);
    // AUTH PLAIN, LOGIN and CRAM-MD5 on submission, then implicit TLS.
    assert_eq!(server.maildir_files("alice").len(), 4, "{}", server.log());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn poplib_stls_list_retrieve_delete() {
    let server = run_python("clients.py", &["pop3"]);
    assert!(server.maildir_files("bob").is_empty(), "{}", server.log());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn logs_hold_no_secrets() {
    let server = run_python("clients.py", &["submission", "pop3"]);
    let log = server.log();
    assert!(log.contains("authenticated as bob"), "{log}");
    for secret in ["secret-a", "secret-b", "AHNlY3JldC1h", "c2VjcmV0LW"] {
        assert!(!log.contains(secret), "log contains {secret}:\n{log}");
    }
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn purge_erases_a_mailbox() {
    let server = run_python("clients.py", &["smtp"]);
    assert!(!server.maildir_files("alice").is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_mailserver"))
        .arg("--data")
        .arg(server.data())
        .args(["purge", "alice"])
        .output()
        .unwrap();
    server.check("mailserver purge alice", &out);
    assert!(server.maildir_files("alice").is_empty());
    assert!(!server.data().join("alice").exists());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn curl_smtp_and_pop3() {
    need("curl");
    let server = MailServer::start();
    let message = server.dir.join("message.txt");
    let body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: curl\r\n\r\nsent by curl\r\n.dot\r\n";
    std::fs::write(&message, body).unwrap();
    let ca = server.ca();
    let curl = |label: &str, url: &str, port: u16, args: &[&str]| {
        // `localhost` for the certificate's name, 127.0.0.1 for the socket.
        let out = Command::new("curl")
            .args(["-sS", "--cacert", ca.to_str().unwrap()])
            .args([
                "--connect-to",
                &format!("localhost:{port}:127.0.0.1:{port}"),
            ])
            .arg(url.replace("PORT", &port.to_string()))
            .args(args)
            .output()
            .unwrap();
        server.check(label, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let message = message.to_str().unwrap();
    let send = ["--user", "bob:secret-b", "--mail-from", "bob@example.test"];
    let send = [
        &send[..],
        &["--mail-rcpt", "alice@example.test", "-T", message],
    ]
    .concat();
    // Submission with STARTTLS required and AUTH, then implicit TLS.
    let submission = [&["--ssl-reqd"][..], &send].concat();
    curl(
        "curl smtp submission",
        "smtp://localhost:PORT",
        server.submission,
        &submission,
    );
    curl("curl smtps", "smtps://localhost:PORT", server.smtps, &send);
    // POP3 with STLS: list, then retrieve message 1.
    let alice = ["--user", "alice:secret-a"];
    let list = [&["--ssl-reqd"][..], &alice].concat();
    let listing = curl(
        "curl pop3 list",
        "pop3://localhost:PORT/",
        server.pop3,
        &list,
    );
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let got = curl(
        "curl pop3s retrieve",
        "pop3s://localhost:PORT/1",
        server.pop3s,
        &alice,
    );
    assert!(
        got.starts_with("Return-Path: <bob@example.test>\r\n"),
        "{got}"
    );
    assert!(got.ends_with(body), "{got}");
    // DELE through a custom request, then QUIT commits it.
    let dele = [&["-X", "DELE", "-I"][..], &alice].concat();
    curl(
        "curl pop3s DELE",
        "pop3s://localhost:PORT/1",
        server.pop3s,
        &dele,
    );
    assert_eq!(server.maildir_files("alice").len(), 1, "{}", server.log());
}

// The server-side adversarial cases of the security checklist (§8: 1, 2, 4, 12–22, 53),
// over real TCP; see `examples/interop/mailserver/adversarial.py`.

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn adversarial_starttls_injection() {
    run_python("adversarial.py", &["starttls", "stls"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn adversarial_smuggling_and_dot_stuffing() {
    run_python("adversarial.py", &["smuggling", "unstuff", "pipelining"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn adversarial_limits_and_syntax() {
    run_python(
        "adversarial.py",
        &[
            "longline",
            "rcpts",
            "params",
            "auth",
            "bdat",
            "badcommands",
            "pop3",
        ],
    );
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn adversarial_oversized_message() {
    let server = run_python("adversarial.py", &["size"]);
    assert!(server.maildir_files("alice").is_empty(), "{}", server.log());
    // The partial message was removed from the incoming directory too.
    let incoming = std::fs::read_dir(server.data().join("incoming"))
        .unwrap()
        .count();
    assert_eq!(incoming, 0, "{}", server.log());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn relay_by_mx_to_another_server_and_bounce() {
    need("python3");
    let dns = FakeDns::start();
    let b = MailServer::start_with("b.test", "carol:secret-c\n", &[]);
    let relay_port = b.smtp.to_string();
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    let a = MailServer::start_with(
        "a.test",
        "alice:secret-a\n",
        &["--dns", &dns_addr, "--relay-port", &relay_port],
    );
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.python_env(
            "relay.py",
            &[],
            &[
                ("MSB_POP3S", b.pop3s.to_string()),
                ("MSB_CA", b.ca().display().to_string()),
            ],
        );
    }));
    if let Err(e) = result {
        println!("--- server B log\n{}", b.log());
        std::panic::resume_unwind(e);
    }
    // Everything left the spool.
    let spool = std::fs::read_dir(a.data().join("spool")).unwrap().count();
    assert_eq!(spool, 0, "{}", a.log());
}
