//! `mailserver` files and start-up output: the store, the spool, the users files and the rest
//! of the data directory are created 0600 (files) and 0700 (directories); a data directory
//! left open by an older version is closed; the demo password is printed only when the demo
//! user is created, and later starts point to the file.

mod common;
mod mailserver_support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{MailServer, free_port};
use mailserver_support::{Client, sasl, smtps};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file and directory under `dir` (not `dir` itself).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if path.is_dir() {
            walk(&path, out);
        }
    }
}

#[test]
fn store_spool_and_data_are_private() {
    let server = MailServer::start();
    // A local delivery (the store) and a message for another domain (the spool).
    let mut c = Client::plain(server.smtp);
    assert!(c.reply().starts_with("220 "));
    c.smtp("EHLO client.example");
    assert!(
        c.smtp("MAIL FROM:<x@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(c.smtp("RCPT TO:<alice@example.test>").starts_with("250 "));
    assert!(c.smtp("DATA").starts_with("354 "));
    c.send_raw(b"Subject: local\r\n\r\nhello\r\n.\r\n");
    assert!(c.reply().starts_with("250 "));
    let (mut s, _) = smtps(server.smtps, &server.ca());
    assert!(
        s.smtp_auth("PLAIN", sasl("PLAIN", "alice", "secret-a"))
            .starts_with("235 ")
    );
    assert!(s.smtp("MAIL FROM:<alice@example.test>").starts_with("250 "));
    assert!(
        s.smtp("RCPT TO:<carol@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(s.smtp("DATA").starts_with("354 "));
    s.send_raw(b"From: <alice@example.test>\r\nSubject: out\r\n\r\nhello\r\n.\r\n");
    assert!(s.reply().starts_with("250 "));

    let data = server.data();
    assert_eq!(mode(&data), 0o700);
    let mut all = Vec::new();
    walk(&data, &mut all);
    assert!(!server.maildir_files("alice").is_empty());
    let spool = std::fs::read_dir(data.join("spool")).unwrap().count();
    assert!(spool >= 2, "the message is queued");
    for path in &all {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "{}", path.display());
    }
    assert!(all.len() > 20, "{all:?}");
}

/// Starts the server with the demo user in `data` and returns what it printed at start.
fn demo_start(data: &Path) -> String {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
        .arg("--data")
        .arg(data)
        .args(["--smtp-port", &port.to_string()])
        .args(["--submission-port", "0", "--smtps-port", "0"])
        .args(["--pop3-port", "0", "--pop3s-port", "0"])
        .args(["--dns", "127.0.0.1:9"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut startup = String::new();
    while !startup.contains("mail for @") {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        startup.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    startup
}

#[test]
fn demo_password_is_printed_once() {
    let dir = std::env::temp_dir().join(format!("mailserver-demo-once-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = demo_start(&dir);
    let file = std::fs::read_to_string(dir.join("demo-users")).unwrap();
    let password = file.trim().strip_prefix("demo:").unwrap().to_owned();
    assert!(
        first.contains(&format!(
            "demo user: demo@example.test password {password} "
        )),
        "{first}"
    );
    assert_eq!(mode(&dir.join("demo-users")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let second = demo_start(&dir);
    assert!(!second.contains(&password), "printed again:\n{second}");
    assert!(
        second.contains(&format!(
            "demo user: demo@example.test, password in {}",
            dir.join("demo-users").display()
        )),
        "{second}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_open_data_directory_is_closed_at_start() {
    let dir = std::env::temp_dir().join(format!("mailserver-demo-open-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let demo = dir.join("demo-users");
    std::fs::write(&demo, "demo:old-password\n").unwrap();
    std::fs::set_permissions(&demo, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = demo_start(&dir);
    assert!(!out.contains("old-password"), "{out}");
    assert!(out.contains("permissions set to 0700"), "{out}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&demo), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}
