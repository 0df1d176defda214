//! `imap-client` against the `mailserver` binary over real TCP, and the one store behind
//! every protocol:
//!
//! - end to end: `smtp-send` submits a message, an `imap-client idle INBOX --once` sees it
//!   arrive (EXISTS), `imap-client fetch --body` returns it byte for byte, `imap-client move`
//!   puts it in Trash, and `pop3-client list` no longer lists it;
//! - append, flag and move over STARTTLS and IMAPS, then Dovecot's `doveadm` reads the Maildir
//!   that IMAP wrote with the same UIDs, flags and keywords (needs dovecot-core, from the
//!   interop peers).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::MailServer;

/// A mailserver with IMAP on free ports.
struct Server {
    ms: MailServer,
    imap: u16,
    imaps: u16,
}

impl Server {
    fn start() -> Self {
        let ms = MailServer::start();
        let (imap, imaps) = (ms.imap, ms.imaps);
        Self { ms, imap, imaps }
    }

    /// `imap-client` as `user`: STARTTLS on the IMAP port, or implicit TLS on the IMAPS one
    /// (not a port the client knows: `--tls implicit`).
    fn imap_client(&self, user: &str, imaps: bool) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imap-client"));
        let (port, tls) = if imaps {
            (self.imaps, "implicit")
        } else {
            (self.imap, "required")
        };
        cmd.args(["--server", &format!("localhost:{port}"), "--tls", tls])
            .arg("--ca")
            .arg(self.ms.ca())
            .args(["--user", user])
            .env("IMAP_PASSWORD", password(user));
        cmd
    }

    fn imap(&self, user: &str, imaps: bool, args: &[&str]) -> Output {
        self.imap_client(user, imaps).args(args).output().unwrap()
    }

    /// Runs `imap-client ARGS`, expects success; its stdout.
    fn ok(&self, user: &str, imaps: bool, args: &[&str]) -> Vec<u8> {
        let out = self.imap(user, imaps, args);
        assert!(
            out.status.success(),
            "imap-client {args:?}: {}\n--- server log\n{}",
            text(&out),
            self.ms.log()
        );
        out.stdout
    }

    fn ok_text(&self, user: &str, imaps: bool, args: &[&str]) -> String {
        String::from_utf8(self.ok(user, imaps, args)).unwrap()
    }

    fn pop3_list(&self, user: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_pop3-client"))
            .args(["--server", &format!("localhost:{}", self.ms.pop3)])
            .arg("--ca")
            .arg(self.ms.ca())
            .args(["--user", user, "list"])
            .env("POP3_PASSWORD", password(user))
            .output()
            .unwrap();
        assert!(out.status.success(), "pop3-client list: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }
}

fn password(user: &str) -> &'static str {
    match user {
        "alice" => "secret-a",
        _ => "secret-b",
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const MESSAGE: &[u8] = b"From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n\
Subject: end to end\r\nMessage-ID: <e2e@example.test>\r\n\r\nHello Bob,\r\n.a leading dot\r\n\
..two\r\n.\r\n\r\n-- \r\nAlice\r\n";

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

/// The number after `prefix` on a line of `out`.
fn number_after(out: &str, prefix: &str) -> u32 {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in {out:?}"))
}

#[test]
fn smtp_delivery_wakes_idle_fetch_move_and_pop3_no_longer_lists() {
    let server = Server::start();
    let mut idle = server
        .imap_client("bob", false)
        .args(["idle", "INBOX", "--once"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(idle.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        "idling in INBOX with 0 messages\n",
        "{}",
        server.ms.log()
    );

    let file = server.ms.dir.join("message.eml");
    std::fs::write(&file, MESSAGE).unwrap();
    let sent = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args(["--server", &format!("localhost:{}", server.ms.submission)])
        .arg("--ca")
        .arg(server.ms.ca())
        .args(["--user", "alice", "--from", "alice@example.test"])
        .args(["--to", "bob@example.test"])
        .arg(&file)
        .env("SMTP_PASSWORD", "secret-a")
        .output()
        .unwrap();
    assert!(sent.status.success(), "smtp-send: {}", text(&sent));

    let deadline = Instant::now() + Duration::from_secs(30);
    while idle.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = idle.kill();
            panic!("idle --once did not end: {}", server.ms.log());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = idle.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "{rest}\n{}", server.ms.log());
    assert!(rest.starts_with("exists 1\n"), "{rest}");
    let uid = number_after(&rest, "new uid ").to_string();

    // Byte for byte: the stored file, and the sent message after the trace fields.
    let fetched = server.ok("bob", true, &["fetch", "INBOX", &uid, "--body"]);
    let files = server.ms.maildir_files("bob");
    assert_eq!(files.len(), 1);
    assert_eq!(fetched, std::fs::read(&files[0]).unwrap());
    assert_eq!(without_trace(&fetched), MESSAGE);
    assert_eq!(server.pop3_list("bob").lines().count(), 1);

    let moved = server.ok_text("bob", false, &["move", "INBOX", &uid, "Trash"]);
    let new_uid = number_after(&moved, &format!("moved uid {uid} to uid ")).to_string();
    let trashed = server.ok("bob", false, &["fetch", "Trash", &new_uid, "--body"]);
    assert_eq!(trashed, fetched);
    assert_eq!(
        server.pop3_list("bob"),
        "",
        "POP3 still lists the moved message"
    );
    let out = server.imap("bob", false, &["fetch", "INBOX", &uid, "--body"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
}

#[test]
fn append_flag_move_over_both_ports() {
    let server = Server::start();
    let list = server.ok_text("alice", false, &["list"]);
    for (name, attr) in [
        ("INBOX", ""),
        ("Sent", "\\Sent"),
        ("Drafts", "\\Drafts"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
    ] {
        assert!(
            list.lines()
                .any(|l| l.split('\t').next() == Some(name) && l.contains(attr)),
            "{name} {attr}: {list}"
        );
    }
    let file = server.ms.dir.join("append.eml");
    std::fs::write(&file, MESSAGE).unwrap();
    let file = file.to_str().unwrap();
    for imaps in [false, true] {
        let out = server.ok_text("alice", imaps, &["append", "Drafts", file]);
        let uid = number_after(&out, "appended uid ").to_string();
        let body = server.ok("alice", imaps, &["fetch", "Drafts", &uid, "--body"]);
        assert_eq!(body, MESSAGE);
        let flags = server.ok_text(
            "alice",
            imaps,
            &["flag", "Drafts", &uid, "+\\Seen", "+\\Flagged", "+$Work"],
        );
        for f in ["\\Seen", "\\Flagged", "$Work"] {
            assert!(flags.contains(f), "{flags}");
        }
        let flags = server.ok_text("alice", imaps, &["flag", "Drafts", &uid, "-\\Flagged"]);
        assert!(!flags.contains("\\Flagged"), "{flags}");
    }
    let state = server.ok_text("alice", true, &["select", "Drafts"]);
    assert!(state.contains("exists 2\n"), "{state}");
    let moved = server.ok_text("alice", true, &["move", "Drafts", "1", "Trash"]);
    assert!(moved.starts_with("moved uid 1 to uid "), "{moved}");
    let summary = server.ok_text("alice", true, &["fetch", "Drafts", "1:*"]);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(summary.starts_with("2\t"), "{summary}");
}

/// `doveadm` on a copy of `user`'s Maildir (the server's data directory is 0700; Dovecot
/// refuses to read mail as root, so it reads the copy as nobody), its index in memory.
fn doveadm(maildir_home: &Path, user: &str, args: &[&str]) -> String {
    let run = maildir_home.join("dovecot-run");
    std::fs::create_dir_all(&run).unwrap();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut conf = format!(
        "base_dir = {run}\nstate_dir = {run}\nlog_path = /dev/stderr\nssl = no\n\
         mail_location = maildir:{home}/Maildir:INDEX=MEMORY\n",
        run = run.display(),
        home = maildir_home.display()
    );
    if root {
        conf.push_str("mail_uid = nobody\nmail_gid = nogroup\n");
    }
    let conf_file = maildir_home.join("dovecot.conf");
    std::fs::write(&conf_file, conf).unwrap();
    let out = Command::new("doveadm")
        .arg("-c")
        .arg(&conf_file)
        .args(args)
        .env("USER", user)
        .env("HOME", maildir_home)
        .output()
        .expect("doveadm (dovecot-core, installed by the interop peers)");
    assert!(out.status.success(), "doveadm {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn doveadm_reads_what_imap_wrote() {
    mail_sansio::testing::PeersEnv::load("ci-dovecot-imap.sh").require("MAILSANSIO_DOVECOT_IMAP");
    let server = Server::start();
    let file = server.ms.dir.join("m.eml");
    let mut want = Vec::new();
    for (n, flags) in [
        (1, &["+\\Seen", "+\\Answered"][..]),
        (2, &[][..]),
        (3, &["+\\Flagged", "+$Forwarded", "+Work"][..]),
        (4, &["+\\Deleted"][..]),
    ] {
        std::fs::write(&file, format!("Subject: m{n}\r\n\r\nbody {n}\r\n")).unwrap();
        let out = server.ok_text("alice", true, &["append", "INBOX", file.to_str().unwrap()]);
        let uid = number_after(&out, "appended uid ");
        if !flags.is_empty() {
            let uid = uid.to_string();
            let mut args = vec!["flag", "INBOX", &uid];
            args.extend(flags);
            server.ok("alice", true, &args);
        }
        want.push(uid);
    }
    // The second is moved away, so the UIDs have a hole (and \Deleted stays a flag).
    server.ok(
        "alice",
        true,
        &["move", "INBOX", &want[1].to_string(), "Trash"],
    );
    let summary = server.ok_text("alice", true, &["fetch", "INBOX", "1:*"]);
    let ours: Vec<(String, Vec<String>)> = summary
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let mut flags: Vec<String> = f[2]
                .split(' ')
                .filter(|x| !x.is_empty() && *x != "\\Recent")
                .map(str::to_owned)
                .collect();
            flags.sort();
            (f[0].to_owned(), flags)
        })
        .collect();
    assert_eq!(ours.len(), 3, "{summary}");

    let copy = server.ms.dir.join("copy");
    let home = copy.join("alice");
    std::fs::create_dir_all(&home).unwrap();
    let cp = Command::new("cp")
        .arg("-a")
        .arg(server.ms.data().join("alice").join("Maildir"))
        .arg(&home)
        .status()
        .unwrap();
    assert!(cp.success());
    let chmod = Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(chmod.success());
    let fetched = doveadm(
        &home,
        "alice",
        &["fetch", "uid flags", "mailbox", "INBOX", "all"],
    );
    let theirs: Vec<(String, Vec<String>)> = fetched
        .split("uid: ")
        .skip(1)
        .map(|rec| {
            let mut lines = rec.lines();
            let uid = lines.next().unwrap().trim().to_owned();
            let mut flags: Vec<String> = lines
                .find_map(|l| l.strip_prefix("flags:"))
                .unwrap_or("")
                .split(' ')
                .filter(|x| !x.is_empty() && *x != "\\Recent")
                .map(str::to_owned)
                .collect();
            flags.sort();
            (uid, flags)
        })
        .collect();
    assert_eq!(theirs, ours, "{fetched}");
    let trash = doveadm(&home, "alice", &["fetch", "uid", "mailbox", "Trash", "all"]);
    assert_eq!(trash.matches("uid: ").count(), 1, "{trash}");
}
