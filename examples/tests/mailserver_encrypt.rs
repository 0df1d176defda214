//! `mailserver --encrypt` over real TCP and real files: a message delivered over SMTP is in no
//! file of the data directory in clear, POP3 (the example `pop3-client`) returns it byte for
//! byte with the plaintext's size in LIST, the mechanisms that never show the password are
//! not offered for reading mail, and a password change (`mailserver passwd`) keeps the mail
//! readable without touching its files.

mod common;
mod mailserver_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{MailServer, run_mailserver};
use mailserver_support::{Client, capa_mechanisms, pop3s};

/// A line no file of the data directory may hold once the message is stored.
const SECRET_LINE: &str = "The eagle lands at midnight (plaintext marker 4711)";

fn message() -> Vec<u8> {
    format!(
        "From: <bob@example.test>\r\nTo: <alice@example.test>\r\nSubject: rendezvous\r\n\r\n\
         {SECRET_LINE}\r\n.a line that starts with a dot\r\nFrom the harbour\r\n\
         caf\u{e9} \u{2014} 8-bit text\r\nlast line\r\n"
    )
    .into_bytes()
}

/// Delivers `body` to `rcpt` over plain SMTP on port 2525 (no AUTH needed for local mail).
fn deliver(server: &MailServer, rcpt: &str, body: &[u8]) -> String {
    let mut c = Client::plain(server.smtp);
    assert!(c.reply().starts_with("220 "));
    assert!(c.smtp("EHLO client.example").starts_with("250"));
    assert!(c.smtp("MAIL FROM:<bob@example.test>").starts_with("250"));
    let rcpt = c.smtp(&format!("RCPT TO:<{rcpt}>"));
    assert!(rcpt.starts_with("250"), "{rcpt}");
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
    c.smtp("QUIT");
    reply
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `pop3-client retrieve N` over POP3S: the message's bytes (stdout is a pipe: byte for
/// byte), or the failure.
fn retrieve(server: &MailServer, user: &str, password: &str, n: u32) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(["--server", &format!("127.0.0.1:{}", server.pop3s)])
        .args(["--tls", "implicit", "--ca"])
        .arg(server.ca())
        .args(["--user", user, "retrieve", &n.to_string()])
        .env("POP3_PASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn mail_is_encrypted_at_rest_and_read_back_byte_for_byte() {
    let server = MailServer::start_with(
        "example.test",
        "alice:secret-a\nbob:secret-b\n",
        &["--dns", "127.0.0.1:9", "--encrypt", "--auth-delay", "100ms"],
    );
    let data = server.data();
    // The users file holds their passwords: their key pairs were made at start.
    for user in ["alice", "bob"] {
        let public = std::fs::read_to_string(data.join(user).join("mailserver-key.pub")).unwrap();
        assert!(public.starts_with("age1pq1"), "{public}");
        let private = std::fs::read(data.join(user).join("mailserver-key.age")).unwrap();
        assert!(private.starts_with(b"age-encryption.org/v1\n-> scrypt "));
        assert!(!contains(&private, b"AGE-SECRET-KEY"));
    }
    let body = message();
    let reply = deliver(&server, "alice@example.test", &body);
    assert!(reply.starts_with("250 "), "{reply}\n{}", server.log());

    // No file of the data directory holds the message in clear (nor its subject).
    let all = files(&data);
    assert!(
        all.iter()
            .any(|p| p.to_string_lossy().contains("/Maildir/new/"))
    );
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        for needle in [SECRET_LINE.as_bytes(), b"rendezvous", b"eagle"] {
            assert!(
                !contains(&bytes, needle),
                "{} holds {:?} in clear",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
    let stored = server.maildir_files("alice");
    assert_eq!(stored.len(), 1);
    let on_disk = std::fs::read(&stored[0]).unwrap();
    assert!(on_disk.starts_with(b"age-encryption.org/v1\n"));

    // POP3 returns exactly what was delivered (with the trace fields added at delivery).
    let out = retrieve(&server, "alice", "secret-a", 1);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let got = out.stdout;
    assert!(got.starts_with(b"Return-Path: <bob@example.test>\r\nReceived: "));
    assert!(got.ends_with(&body), "{}", String::from_utf8_lossy(&got));
    // The name's S= and LIST give the plaintext's size, not the file's.
    let name = stored[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.contains(&format!(",S={},", got.len())), "{name}");
    assert_ne!(on_disk.len(), got.len());
    let mut p = pop3s(server.pop3s, &server.ca());
    // Reading mail needs the password: no CRAM-MD5 or SCRAM although the entries allow them.
    assert_eq!(capa_mechanisms(&mut p), ["PLAIN", "LOGIN"]);
    assert!(p.pop3("USER alice").starts_with("+OK"));
    assert!(p.pop3("PASS secret-a").starts_with("+OK"));
    assert_eq!(p.pop3("LIST 1"), format!("+OK 1 {}", got.len()));
    assert_eq!(p.pop3("STAT"), format!("+OK 1 {}", got.len()));
    // Flags stay usable: RETR then QUIT with DELE removes it.
    assert!(p.pop3("DELE 1").starts_with("+OK"));
    assert!(p.pop3("QUIT").starts_with("+OK"));
    assert!(server.maildir_files("alice").is_empty());

    // The log holds neither the message nor a password.
    let log = server.log();
    for secret in [SECRET_LINE, "rendezvous", "secret-a", "secret-b"] {
        assert!(!log.contains(secret), "log holds {secret}:\n{log}");
    }
}

#[test]
fn a_password_change_keeps_the_mail_readable() {
    let mut server = MailServer::start_with(
        "example.test",
        "alice:old-password\n",
        &["--dns", "127.0.0.1:9", "--encrypt", "--auth-delay", "100ms"],
    );
    let body = message();
    assert!(deliver(&server, "alice@example.test", &body).starts_with("250 "));
    assert!(
        deliver(
            &server,
            "alice@example.test",
            b"Subject: two\r\n\r\nsecond\r\n"
        )
        .starts_with("250 ")
    );
    let before: Vec<(PathBuf, Vec<u8>)> = server
        .maildir_files("alice")
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    assert_eq!(before.len(), 2);

    let data = server.data();
    let users = server.dir.join("users");
    let (d, u) = (data.to_str().unwrap(), users.to_str().unwrap());
    // A wrong old password changes nothing.
    let out = run_mailserver(
        &["--data", d, "--users", u, "passwd", "alice"],
        "nope\nnew-password\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));
    // adduser cannot set a password the key would not open.
    let out = run_mailserver(
        &["--data", d, "--users", u, "--encrypt", "adduser", "alice"],
        "x\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("passwd alice"));
    let out = run_mailserver(
        &["--data", d, "--users", u, "passwd", "alice"],
        "old-password\nnew-password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("key re-encrypted"));
    let entry = std::fs::read_to_string(&users).unwrap();
    assert!(entry.starts_with("alice:{ARGON2ID}$argon2id$"), "{entry}");
    assert!(!entry.contains("password"));

    // The server reads the users file at start.
    server.restart(&["--dns", "127.0.0.1:9", "--encrypt", "--auth-delay", "100ms"]);
    // The messages' files were not touched: only the key was re-encrypted.
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    let out = retrieve(&server, "alice", "old-password", 1);
    assert!(!out.status.success(), "the old password still works");
    let out = retrieve(&server, "alice", "new-password", 1);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.ends_with(&body));
    let out = retrieve(&server, "alice", "new-password", 2);
    assert!(out.stdout.ends_with(b"Subject: two\r\n\r\nsecond\r\n"));
    // Mail delivered after the change is encrypted to the same key.
    assert!(
        deliver(
            &server,
            "alice@example.test",
            b"Subject: three\r\n\r\nthird\r\n"
        )
        .starts_with("250 ")
    );
    let out = retrieve(&server, "alice", "new-password", 3);
    assert!(out.stdout.ends_with(b"Subject: three\r\n\r\nthird\r\n"));
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(audit.contains(" action=passwd user=alice\n"), "{audit}");
    assert!(!audit.contains("password"), "{audit}");
}

#[test]
fn a_hashed_user_gets_a_key_at_adduser_and_mail_waits_for_users_without_one() {
    // A user added with --encrypt has a key pair from the start.
    let dir = std::env::temp_dir().join(format!("mailserver-encrypt-add-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (data, users) = (dir.join("data"), dir.join("users"));
    let (d, u) = (data.to_str().unwrap(), users.to_str().unwrap());
    let out = run_mailserver(
        &["--data", d, "--users", u, "--encrypt", "adduser", "carol"],
        "pw-c\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("carol/mailserver-key.pub").is_file());
    assert!(data.join("carol/mailserver-key.age").is_file());
    std::fs::remove_dir_all(&dir).unwrap();

    // A hashed entry from elsewhere (Dovecot's, password `secret`) has none: mail for the
    // user is refused for now, until a login with the password makes one.
    const ARGON2ID: &str = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Umx58yahBPBz1qIdkYJm5Q$7dg+iXqblBZPFGed020ZZi8u0B51etkCSS0TTQ8fJOo";
    let server = MailServer::start_with(
        "example.test",
        &format!("dave:{ARGON2ID}\n"),
        &["--dns", "127.0.0.1:9", "--encrypt"],
    );
    assert!(
        server.log().contains("no key pair yet for dave"),
        "{}",
        server.log()
    );
    let reply = deliver(
        &server,
        "dave@example.test",
        b"Subject: early\r\n\r\nearly\r\n",
    );
    assert!(reply.starts_with("451 "), "{reply}");
    assert!(server.maildir_files("dave").is_empty());
    let mut p = pop3s(server.pop3s, &server.ca());
    assert!(p.pop3("USER dave").starts_with("+OK"));
    assert!(p.pop3("PASS secret").starts_with("+OK"), "{}", server.log());
    p.pop3("QUIT");
    assert!(server.data().join("dave/mailserver-key.pub").is_file());
    assert!(deliver(&server, "dave@example.test", &message()).starts_with("250 "));
    let out = retrieve(&server, "dave", "secret", 1);
    assert!(out.stdout.ends_with(&message()));
}

/// IMAP lines up to the tagged answer of `tag`.
fn imap(c: &mut Client, tag: &str, command: &str) -> Vec<String> {
    c.send(&format!("{tag} {command}"));
    let mut lines = Vec::new();
    loop {
        // Empty lines are the message's (the client times out if the server goes quiet).
        let line = c.line();
        assert!(lines.len() < 1000, "no answer to {tag}: {lines:?}");
        let done = line.starts_with(&format!("{tag} "));
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[test]
fn imap_reads_the_plaintext_with_the_password_only() {
    let server = MailServer::start_with(
        "example.test",
        "alice:secret-a\n",
        &["--dns", "127.0.0.1:9", "--encrypt", "--auth-delay", "100ms"],
    );
    let body = message();
    assert!(deliver(&server, "alice@example.test", &body).starts_with("250 "));
    let plain = retrieve(&server, "alice", "secret-a", 1).stdout;
    let mut c = Client::tls(server.imaps, &server.ca());
    assert!(c.line().starts_with("* OK"));
    let caps = imap(&mut c, "a0", "CAPABILITY").join(" ");
    assert!(caps.contains("AUTH=PLAIN"), "{caps}");
    assert!(
        !caps.contains("AUTH=CRAM-MD5") && !caps.contains("AUTH=SCRAM"),
        "{caps}"
    );
    let login = imap(&mut c, "a1", "LOGIN alice secret-a");
    assert!(login.last().unwrap().starts_with("a1 OK"), "{login:?}");
    imap(&mut c, "a2", "SELECT INBOX");
    let fetch = imap(&mut c, "a3", "FETCH 1 (RFC822.SIZE BODY.PEEK[])").join("\r\n");
    assert!(
        fetch.contains(&format!("RFC822.SIZE {}", plain.len())),
        "{fetch}"
    );
    assert!(fetch.contains(SECRET_LINE), "{fetch}");
    assert!(
        fetch.contains(&format!("BODY[] {{{}}}", plain.len())),
        "{fetch}"
    );
    imap(&mut c, "a4", "LOGOUT");
}
