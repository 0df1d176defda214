//! The mail store behind `mailserver`, over real TCP: SMTP delivery and POP3 deletion show
//! in the Dovecot-compatible files (UID list, modseq file), the special folders exist with
//! their subscriptions, and a UID is never given twice.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::MailServer;

fn smtp_send(server: &MailServer, body: &str) {
    let message = server.dir.join("message.eml");
    std::fs::write(&message, body).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--server", &format!("localhost:{}", server.submission)])
        .arg("--ca")
        .arg(server.ca())
        .args(["--user", "alice", "--from", "alice@example.test"])
        .args(["--to", "bob@example.test"])
        .arg(&message)
        .env("SMTP_PASSWORD", "secret-a")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());
}

fn pop3_client(server: &MailServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(["--server", &format!("localhost:{}", server.pop3)])
        .arg("--ca")
        .arg(server.ca())
        .args(["--user", "bob"])
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

/// The UIDs the uidlist of `maildir` names, once it names `want`: a delivery's UIDs are
/// given just after its 250 (the group commit's numberer), so they may take a moment.
fn uids_become(maildir: &Path, want: &[u32]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let uids = listed_uids(maildir);
        if uids == want || std::time::Instant::now() > deadline {
            assert_eq!(uids, want);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The UIDs the uidlist of `maildir` names.
fn listed_uids(maildir: &Path) -> Vec<u32> {
    let list = std::fs::read_to_string(maildir.join("dovecot-uidlist")).unwrap();
    assert!(list.starts_with("3 V"), "{list}");
    list.lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn delivery_and_pop3_deletes_go_through_the_store() {
    let server = MailServer::start();
    let maildir = server.data().join("bob/Maildir");
    // Every user has the special folders, subscribed, from the start.
    for folder in [".Drafts", ".Sent", ".Trash", ".Junk"] {
        assert!(maildir.join(folder).join("cur").is_dir(), "{folder}");
        assert!(
            maildir.join(folder).join("maildirfolder").is_file(),
            "{folder}"
        );
    }
    let subscriptions = std::fs::read_to_string(maildir.join("subscriptions")).unwrap();
    assert!(subscriptions.starts_with("V\t2\n\n"), "{subscriptions:?}");
    assert!(
        subscriptions.lines().any(|l| l == "Sent"),
        "{subscriptions:?}"
    );

    smtp_send(&server, "Subject: one\r\n\r\nfirst\r\n");
    smtp_send(&server, "Subject: two\r\n\r\nsecond\r\n");
    uids_become(&maildir, &[1, 2]);

    let out = pop3_client(&server, &["delete", "1"]);
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());
    assert_eq!(listed_uids(&maildir), [2]);
    // The expunge is remembered with its modseq, for IMAP's QRESYNC.
    let modseq = std::fs::read_to_string(maildir.join("mailserver-modseq")).unwrap();
    assert!(modseq.lines().any(|l| l.starts_with("X1 ")), "{modseq}");

    smtp_send(&server, "Subject: three\r\n\r\nthird\r\n");
    uids_become(&maildir, &[2, 3]);
    let out = pop3_client(&server, &["retrieve", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        out.stdout.ends_with(b"Subject: three\r\n\r\nthird\r\n"),
        "{}",
        text(&out)
    );
    assert!(!maildir.join("dovecot-uidlist.lock").exists());
}
