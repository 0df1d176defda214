//! `imap-client` against a real Dovecot over TCP (the peer of
//! `examples/interop/ci-dovecot-imap.sh`): STARTTLS and implicit TLS, list, select, fetch
//! (summary, headers, the message byte for byte), append, flag, move, idle --once woken by
//! another connection's APPEND, and the exit codes of the failures.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_sansio::testing::PeersEnv;

/// The tests share the peer's INBOX (an IDLE would see another test's APPEND).
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Peer {
    imap: String,
    imaps: String,
    ca: PathBuf,
    user: String,
    pass: String,
}

fn peer() -> Peer {
    let env = PeersEnv::load("ci-dovecot-imap.sh");
    Peer {
        imap: env.require("MAILSANSIO_DOVECOT_IMAP"),
        imaps: env.require("MAILSANSIO_DOVECOT_IMAPS"),
        ca: env.require("MAILSANSIO_DOVECOT_IMAP_CA").into(),
        user: env
            .get("MAILSANSIO_DOVECOT_IMAP_USER")
            .unwrap_or_else(|| "test".into()),
        pass: env
            .get("MAILSANSIO_DOVECOT_IMAP_PASS")
            .unwrap_or_else(|| "secret".into()),
    }
}

impl Peer {
    /// `imap-client` over implicit TLS (`imaps`) or STARTTLS, trusting the peer's CA.
    fn cmd(&self, imaps: bool) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imap-client"));
        let server = if imaps { &self.imaps } else { &self.imap };
        // The peer's ports are not the usual ones: say which TLS they want.
        let tls = if imaps { "implicit" } else { "required" };
        // "localhost" is the name in the peer's certificate.
        let server = server.replace("127.0.0.1", "localhost");
        cmd.args(["--server", &server, "--tls", tls, "--user", &self.user])
            .arg("--ca")
            .arg(&self.ca)
            .env("IMAP_PASSWORD", &self.pass);
        cmd
    }

    fn run(&self, imaps: bool, args: &[&str]) -> Output {
        self.cmd(imaps).args(args).output().unwrap()
    }

    fn ok(&self, imaps: bool, args: &[&str]) -> String {
        let out = self.run(imaps, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
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

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{}-{nanos}", std::process::id())
}

/// A message file with a unique subject; returns its path and bytes.
fn message(subject: &str) -> (PathBuf, Vec<u8>) {
    let body = format!(
        "From: Carol <carol@example.test>\r\nTo: Test <test@example.test>\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@example.test>\r\n\r\n\
         Hello,\r\n.a line with a leading dot\r\n\r\n-- \r\nCarol\r\n"
    );
    let path = std::env::temp_dir().join(format!("{subject}.eml"));
    std::fs::write(&path, &body).unwrap();
    (path, body.into_bytes())
}

/// `appended uid N uidvalidity V` → N.
fn appended_uid(out: &str) -> u32 {
    out.trim()
        .strip_prefix("appended uid ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no uid in {out:?}"))
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn list_select_fetch_over_starttls_and_imaps() {
    let _guard = lock();
    let peer = peer();
    for imaps in [false, true] {
        let list = peer.ok(imaps, &["list"]);
        let names: Vec<&str> = list
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        for name in ["INBOX", "Drafts", "Sent", "Trash"] {
            assert!(names.contains(&name), "{list}");
        }
        assert!(
            list.contains("Trash\t\\Trash") || list.contains(" \\Trash"),
            "{list}"
        );

        let state = peer.ok(imaps, &["select", "INBOX"]);
        for key in ["exists ", "uidvalidity ", "uidnext ", "flags \\Answered"] {
            assert!(state.lines().any(|l| l.starts_with(key)), "{state}");
        }
        assert!(state.contains("access read-write"), "{state}");

        // The two seeded messages (UIDs in the order Dovecot read the files): UID, size,
        // flags, from, subject.
        let summary = peer.ok(imaps, &["fetch", "INBOX", "1:*"]);
        let lines: Vec<Vec<&str>> = summary.lines().map(|l| l.split('\t').collect()).collect();
        assert!(lines.iter().all(|l| l.len() == 5), "{summary}");
        let seeded = |subject: &str| {
            lines
                .iter()
                .find(|l| l[4] == subject)
                .unwrap_or_else(|| panic!("no {subject}: {summary}"))
                .clone()
        };
        let (plain, multipart) = (seeded("plain"), seeded("multipart"));
        assert!(plain[2].contains("\\Seen"), "{summary}");
        assert_eq!(plain[3], "alice@example.test");
        assert_eq!(multipart[3], "bob@example.test");

        let headers = peer.ok(imaps, &["fetch", "INBOX", multipart[0], "--headers"]);
        assert!(
            headers.starts_with("From: Bob <bob@example.test>\r\n"),
            "{headers:?}"
        );
        assert!(headers.ends_with("boundary=\"b1\"\r\n\r\n"), "{headers:?}");
        let body = peer.ok(imaps, &["fetch", "INBOX", plain[0], "--body"]);
        assert!(
            body.ends_with("Hello from the first message.\r\n"),
            "{body:?}"
        );
    }
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn append_fetch_flag_move() {
    let _guard = lock();
    let peer = peer();
    let subject = unique("imap-client");
    let (path, bytes) = message(&subject);
    let out = peer.ok(false, &["append", "INBOX", path.to_str().unwrap()]);
    let uid = appended_uid(&out).to_string();

    // Byte for byte, over both transports.
    for imaps in [false, true] {
        let out = peer.run(imaps, &["fetch", "INBOX", &uid, "--body"]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(out.stdout, bytes);
    }

    let flags = peer.ok(
        true,
        &["flag", "INBOX", &uid, "+\\Seen", "+\\Flagged", "+$Work"],
    );
    let line = flags.trim();
    assert!(line.starts_with(&format!("{uid}\t")), "{flags}");
    for f in ["\\Seen", "\\Flagged", "$Work"] {
        assert!(line.contains(f), "{flags}");
    }
    let flags = peer.ok(true, &["flag", "INBOX", &uid, "-\\Flagged"]);
    assert!(
        !flags.contains("\\Flagged") && flags.contains("\\Seen"),
        "{flags}"
    );
    let summary = peer.ok(false, &["fetch", "INBOX", &uid]);
    assert!(
        summary.contains(&subject) && summary.contains("\\Seen"),
        "{summary}"
    );

    let moved = peer.ok(true, &["move", "INBOX", &uid, "Trash"]);
    let new_uid = moved
        .trim()
        .strip_prefix(&format!("moved uid {uid} to uid "))
        .unwrap_or_else(|| panic!("{moved}"))
        .to_owned();
    let out = peer.run(true, &["fetch", "Trash", &new_uid, "--body"]);
    assert_eq!(out.stdout, bytes, "{}", text(&out));
    // Gone from INBOX: fetching it is an error (69), and moving it again too.
    let out = peer.run(true, &["fetch", "INBOX", &uid, "--body"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    let out = peer.run(true, &["move", "INBOX", &uid, "Trash"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn idle_once_sees_another_connections_append() {
    let _guard = lock();
    let peer = peer();
    let mut idle = peer
        .cmd(false)
        .args(["idle", "INBOX", "--once"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(idle.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("idling in INBOX with "), "{first:?}");

    let subject = unique("idle");
    let (path, _) = message(&subject);
    let out = peer.ok(true, &["append", "INBOX", path.to_str().unwrap()]);
    let uid = appended_uid(&out);

    let deadline = Instant::now() + Duration::from_secs(30);
    while idle.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = idle.kill();
            panic!("idle --once did not end after the APPEND");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = idle.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(out.status.success(), "{}\n{rest}", text(&out));
    assert!(rest.lines().any(|l| l.starts_with("exists ")), "{rest}");
    assert!(rest.contains(&format!("new uid {uid}\n")), "{rest}");
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn failures_have_their_exit_codes() {
    let _guard = lock();
    let peer = peer();
    // A wrong password: 77, the server's words on stderr.
    let out = peer
        .cmd(true)
        .env("IMAP_PASSWORD", "wrong")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(77), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AUTHENTICATIONFAILED"),
        "{}",
        text(&out)
    );
    // A folder that does not exist: 69.
    let out = peer.run(false, &["select", "No such folder"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    // A certificate from an unknown CA (the public roots only): 78, explained.
    let server = peer.imaps.replace("127.0.0.1", "localhost");
    let out = Command::new(env!("CARGO_BIN_EXE_imap-client"))
        .args(["--server", &server, "--tls", "implicit", "--user", "test"])
        .arg("list")
        .env("IMAP_PASSWORD", &peer.pass)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--ca"),
        "{}",
        text(&out)
    );
    // STARTTLS on the implicit-TLS port: no greeting comes in plaintext; 75, with advice.
    let out = Command::new(env!("CARGO_BIN_EXE_imap-client"))
        .args(["--server", &server, "--tls", "required", "--user", "test"])
        .args(["--greeting-timeout", "1", "list"])
        .env("IMAP_PASSWORD", &peer.pass)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls implicit"),
        "{}",
        text(&out)
    );
}

#[test]
fn help_and_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_imap-client"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "fetch FOLDER UIDSET",
        "idle FOLDER",
        "exit status",
        "IMAP_PASSWORD",
    ] {
        assert!(help.contains(word), "{help}");
    }
    for bad in [
        &["--server", "x", "--user", "u", "flag", "INBOX", "1", "Seen"][..],
        &["--server", "x", "--user", "u", "fetch", "INBOX", "a:b"],
        &["--server", "x", "--user", "u", "list", "--body"],
        &["--server", "x", "--user", "u", "frobnicate"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_imap-client"))
            .args(bad)
            .env("IMAP_PASSWORD", "x")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", text(&out));
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}
