//! Python's imaplib, raw IMAP and curl against the `mailserver` binary's IMAP ports over real
//! TCP: STARTTLS on the IMAP port and implicit TLS on the IMAPS port, two sessions on one
//! folder, POP3 deletions seen over IMAP, COMPRESS=DEFLATE, the end-to-end path from
//! `smtp-send` through IDLE to POP3, and the IMAP cases of the security checklist.
//!
//! Each test starts its own server (see `common`); the scripts are in
//! `examples/interop/mailserver/`. Ignored unless asked for (`-- --ignored`): they need
//! python3 and curl, which `examples/interop/start-peers.sh` installs.

mod common;

use std::process::Command;

use common::{MailServer, need};

fn run_imap(cases: &[&str]) -> MailServer {
    need("python3");
    let server = MailServer::start();
    let data = server.data().display().to_string();
    let smtp_send = env!("CARGO_BIN_EXE_smtp-send").to_owned();
    server.python_env(
        "imap_clients.py",
        cases,
        &[("MS_DATA", data), ("MS_SMTP_SEND", smtp_send)],
    );
    server
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn imaplib_over_starttls_and_implicit_tls() {
    let server = run_imap(&["starttls", "imaps"]);
    let log = server.log();
    assert!(log.contains("imap 127.0.0.1"), "{log}");
    assert!(log.contains("imaps 127.0.0.1"), "{log}");
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn two_sessions_and_pop3_see_each_other() {
    run_imap(&["sessions", "pop3"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn smtp_send_idle_fetch_move_then_pop3() {
    run_imap(&["e2e"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn compress_deflate() {
    run_imap(&["compress"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn failed_imap_logins_are_logged_for_fail2ban() {
    need("python3");
    let server = MailServer::start();
    server.python_env("imap_clients.py", &["badlogin"], &[]);
    let log = server.log();
    assert!(
        log.contains("auth failed: service=imaps addr=127.0.0.1 user=alice mechanism=PLAIN/LOGIN"),
        "{log}"
    );
    assert!(!log.contains("wrong-password"), "{log}");
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn adversarial_imap() {
    need("python3");
    let server = MailServer::start();
    server.python("imap_adversarial.py", &[]);
    // No folder name became a path: only the special folders are in the Maildir root.
    let root = server.data().join("alice/Maildir");
    let mut folders: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        [".Drafts", ".Junk", ".Sent", ".Trash"],
        "{}",
        server.log()
    );
    assert!(!server.data().join("etc").exists());
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn curl_list_append_fetch() {
    need("curl");
    let server = MailServer::start();
    let message = server.dir.join("message.txt");
    let body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: curl imap\r\n\r\nappended by curl\r\n";
    std::fs::write(&message, body).unwrap();
    let ca = server.ca();
    let curl = |label: &str, url: &str, port: u16, args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "--cacert", ca.to_str().unwrap()])
            .args(["--user", "alice:secret-a"])
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
    // STARTTLS (required), then implicit TLS.
    let listing = curl(
        "curl imap list",
        "imap://localhost:PORT/",
        server.imap,
        &["--ssl-reqd"],
    );
    assert!(
        listing.contains("\\Trash") && listing.contains("INBOX"),
        "{listing}"
    );
    curl(
        "curl imap append",
        "imap://localhost:PORT/INBOX",
        server.imap,
        &["--ssl-reqd", "-T", message.to_str().unwrap()],
    );
    let got = curl(
        "curl imaps fetch",
        "imaps://localhost:PORT/INBOX;UID=1",
        server.imaps,
        &[],
    );
    assert_eq!(got, body);
    // Without TLS the server offers no login at all.
    let out = Command::new("curl")
        .args(["-sS", "--user", "alice:secret-a"])
        .arg(format!("imap://127.0.0.1:{}/", server.imap))
        .output()
        .unwrap();
    assert!(!out.status.success(), "plaintext login must fail");
}

fn run_extensions(cases: &[&str]) -> MailServer {
    need("python3");
    let server = MailServer::start();
    let data = server.data().display().to_string();
    server.python_env("imap_extensions.py", cases, &[("MS_DATA", data)]);
    server
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn recent_is_per_session() {
    run_extensions(&["recent"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn qresync_vanished_known_uids_and_sequence_match() {
    run_extensions(&["qresync"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn recreated_folder_ends_the_selected_session() {
    let server = run_extensions(&["uidvalidity"]);
    let log = server.log();
    assert!(log.contains("UIDVALIDITY changed"), "{log}");
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn sort_with_imaplib() {
    run_extensions(&["sort"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn thread_references_and_orderedsubject_with_imaplib() {
    run_extensions(&["thread"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn searchres_saves_for_fetch_and_store() {
    run_extensions(&["searchres"]);
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn unauthenticate_then_login_as_someone_else() {
    let server = run_extensions(&["unauthenticate"]);
    let log = server.log();
    assert!(log.contains("unauthenticated alice"), "{log}");
}
