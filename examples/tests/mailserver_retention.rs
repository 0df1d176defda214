//! Retention, portability and audit over real TCP and real files: `--retain-days` removes
//! only what is older (mailboxes, their folders, the spool), `mailserver export` writes an
//! mbox that Python's `mailbox` module reads back (with `--encrypt`, opened with the user's
//! password), and the audit log has one line per act, without content or passwords.

mod common;
mod mailserver_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{MailServer, need, run_mailserver};
use mailserver_support::Client;

const DAY: Duration = Duration::from_secs(86_400);

/// Delivers `body` to `rcpt` over plain SMTP on port 2525.
fn deliver(server: &MailServer, rcpt: &str, body: &[u8]) {
    let mut c = Client::plain(server.smtp);
    assert!(c.reply().starts_with("220 "));
    assert!(c.smtp("EHLO client.example").starts_with("250"));
    assert!(c.smtp("MAIL FROM:<bob@example.test>").starts_with("250"));
    assert!(c.smtp(&format!("RCPT TO:<{rcpt}>")).starts_with("250"));
    assert!(c.smtp("DATA").starts_with("354 "));
    let mut stuffed = Vec::new();
    for line in body.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            stuffed.push(b'.');
        }
        stuffed.extend_from_slice(line);
    }
    stuffed.extend_from_slice(b".\r\n");
    c.send_raw(&stuffed);
    let reply = c.reply();
    assert!(reply.starts_with("250 "), "{reply}\n{}", server.log());
    c.smtp("QUIT");
}

/// Sets a file's mtime `age` back.
fn age(path: &Path, age: Duration) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn retention_deletes_only_what_is_older() {
    let mut server = MailServer::start_with(
        "example.test",
        "alice:secret-a\nbob:secret-b\n",
        &["--dns", "127.0.0.1:9", "--encrypt"],
    );
    deliver(
        &server,
        "alice@example.test",
        b"Subject: old\r\n\r\nold\r\n",
    );
    let old = server.maildir_files("alice").remove(0);
    deliver(
        &server,
        "alice@example.test",
        b"Subject: new\r\n\r\nnew\r\n",
    );
    let recent: Vec<_> = server
        .maildir_files("alice")
        .into_iter()
        .filter(|p| *p != old)
        .collect();
    deliver(
        &server,
        "bob@example.test",
        b"Subject: bob's old\r\n\r\nold\r\n",
    );
    let data = server.data();
    // alice's first message and bob's are 10 days old; alice's second is 5 days old.
    age(&old, 10 * DAY);
    age(&recent[0], 5 * DAY);
    age(&server.maildir_files("bob")[0], 10 * DAY);
    // One in another folder.
    let sent = data.join("alice/Maildir/.Sent/cur/1000.old.host,S=3:2,S");
    std::fs::write(&sent, b"x\r\n").unwrap();
    age(&sent, 30 * DAY);
    // The spool: a message queued 10 days ago (a bounce waiting to go out), one queued now.
    let spool = data.join("spool");
    for (id, days) in [("old", 10), ("recent", 0)] {
        let eml = spool.join(format!("{id}.eml"));
        std::fs::write(&eml, b"Subject: queued\r\n\r\nq\r\n").unwrap();
        let env = "from \nqueued 0\nattempts 0\nnext 99999999999\nrcpt x@elsewhere.test\n";
        std::fs::write(spool.join(format!("{id}.env")), env).unwrap();
        age(&eml, days * DAY);
    }

    server.restart(&["--dns", "127.0.0.1:9", "--encrypt", "--retain-days", "7"]);
    let left = server.maildir_files("alice");
    assert_eq!(left, recent, "{}", server.log());
    assert!(server.maildir_files("bob").is_empty());
    assert!(!sent.exists());
    assert!(!spool.join("old.eml").exists() && !spool.join("old.env").exists());
    assert!(spool.join("recent.eml").exists() && spool.join("recent.env").exists());
    let log = server.log();
    assert!(
        log.contains("retention: removed 3 messages and 1 spooled older than 7 days"),
        "{log}"
    );
    // What is left still reads, and the POP3 numbering is consistent.
    let mut p = mailserver_support::pop3s(server.pop3s, &server.ca());
    assert!(p.pop3("USER alice").starts_with("+OK"));
    assert!(p.pop3("PASS secret-a").starts_with("+OK"));
    assert!(p.pop3("STAT").starts_with("+OK 1 "));
    p.send("RETR 1");
    assert!(p.line().starts_with("+OK"));
    let mut lines = Vec::new();
    loop {
        let line = p.line();
        if line == "." {
            break;
        }
        lines.push(line);
    }
    assert_eq!(lines.last().map(String::as_str), Some("new"), "{lines:?}");
    p.pop3("QUIT");
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(
        audit.contains(" action=retention messages=3 spool=1 days=7\n"),
        "{audit}"
    );
}

#[test]
fn the_audit_log_has_every_act_and_no_content() {
    let dir = std::env::temp_dir().join(format!("mailserver-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (data, users) = (dir.join("data"), dir.join("users"));
    let (d, u) = (data.to_str().unwrap(), users.to_str().unwrap());
    let run = |args: &[&str], stdin: &str| {
        let mut all = vec!["--data", d, "--users", u, "--encrypt"];
        all.extend_from_slice(args);
        let out = run_mailserver(&all, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&["adduser", "erin"], "pw-one\n");
    run(&["passwd", "erin"], "pw-one\npw-two\n");
    // A message in erin's mailbox, encrypted the way the server stores it.
    std::fs::create_dir_all(data.join("erin/Maildir/new")).unwrap();
    let out = run(&["export", "erin"], "pw-two\n");
    assert!(out.stdout.is_empty(), "no mail yet");
    run(&["deluser", "erin"], "");
    run(&["purge", "erin"], "");
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    let actions: Vec<&str> = audit
        .lines()
        .map(|l| {
            let (time, rest) = l.split_once(' ').unwrap();
            assert!(time.len() == 20 && time.ends_with('Z'), "{l}");
            rest
        })
        .collect();
    assert_eq!(
        actions,
        [
            "action=adduser user=erin",
            "action=passwd user=erin",
            "action=export user=erin messages=0",
            "action=deluser user=erin",
            "action=purge user=erin",
        ]
    );
    assert!(!audit.contains("pw-"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The messages `export` must give back: folding lines that start with `From ` (quoted in
/// mbox), `>From ` (quoted once more in mboxrd), a dot line and 8-bit text.
const MESSAGES: [&str; 3] = [
    "Subject: one\r\n\r\nFrom the start of a line\r\n>From a quoted line\r\n.dot\r\n",
    "Subject: two\r\nX-Text: caf\u{e9}\r\n\r\nsecret plaintext of two\r\n",
    "Subject: three\r\n\r\nFrom\r\nFrom  two spaces\r\nlast\r\n",
];

/// Python's `mailbox` reads the mbox: the messages with one `>` taken from `>+From ` lines
/// (mboxrd), as JSON `[[from_line, hex_bytes], ...]`.
const READ_MBOX: &str = r#"
import json, mailbox, re, sys
box = mailbox.mbox(sys.argv[1], create=False)
out = []
for key in box.keys():
    raw = box.get_bytes(key)
    raw = re.sub(rb'(?m)^>(>*From )', rb'\1', raw)
    out.append([box[key].get_from(), raw.hex()])
print(json.dumps(out))
"#;

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn export_round_trips_through_python_mailbox() {
    need("python3");
    let server = MailServer::start_with(
        "example.test",
        "alice:secret-a\nbob:secret-b\n",
        &["--dns", "127.0.0.1:9", "--encrypt"],
    );
    for m in MESSAGES {
        deliver(&server, "alice@example.test", m.as_bytes());
    }
    let data = server.data();
    let d = data.to_str().unwrap();
    // A wrong password gets nothing.
    let out = run_mailserver(&["--data", d, "export", "alice"], "secret-b\n");
    assert!(!out.status.success() && out.stdout.is_empty());
    let out = run_mailserver(&["--data", d, "export", "alice"], "secret-a\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mbox = server.dir.join("alice.mbox");
    std::fs::write(&mbox, &out.stdout).unwrap();
    let script = server.dir.join("read_mbox.py");
    std::fs::write(&script, READ_MBOX).unwrap();
    let read = Command::new("python3")
        .arg(&script)
        .arg(&mbox)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let text = String::from_utf8(read.stdout).unwrap();
    // [["bob@example.test Sat Nov 28 12:00:00 2026", "hex"], ...] without a JSON crate.
    let entries: Vec<(String, Vec<u8>)> = text
        .trim()
        .trim_start_matches("[[")
        .trim_end_matches("]]")
        .split("], [")
        .map(|e| {
            let (from, hex) = e.split_once("\", \"").unwrap();
            let hex = hex.trim_end_matches('"');
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (from.trim_start_matches('"').to_owned(), bytes)
        })
        .collect();
    assert_eq!(entries.len(), MESSAGES.len(), "{text}");
    for ((from, bytes), original) in entries.iter().zip(MESSAGES) {
        assert!(from.starts_with("bob@example.test "), "{from}");
        let got = String::from_utf8(bytes.clone()).unwrap();
        // The delivered message, Return-Path and Received first, with LF line ends.
        assert!(
            got.starts_with("Return-Path: <bob@example.test>\n"),
            "{got}"
        );
        let want = original.replace("\r\n", "\n");
        assert!(got.ends_with(&want), "{got:?}\nwant {want:?}");
    }
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(
        audit.contains(" action=export user=alice messages=3\n"),
        "{audit}"
    );
    assert!(!audit.contains("secret"), "{audit}");
}
