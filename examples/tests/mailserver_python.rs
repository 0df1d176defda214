//! Python's smtplib/poplib, raw sockets and curl against the `mailserver` binary over real TCP.
//!
//! Each test starts its own server on free loopback ports with a temporary data directory and
//! a users file, waits for the ports, runs a script from `examples/interop/mailserver/` and
//! kills the server when done. Skipped (with a note) when python3 is not installed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running mailserver; killed and its data directory removed on drop.
struct MailServer {
    child: Child,
    dir: PathBuf,
    domain: String,
    smtp: u16,
    submission: u16,
    smtps: u16,
    pop3: u16,
    pop3s: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl MailServer {
    fn start() -> Self {
        // Nothing answers at port 9: outbound mail stays queued (temporary failure).
        Self::start_with(
            "example.test",
            "alice:secret-a\nbob:secret-b\n",
            &["--dns", "127.0.0.1:9"],
        )
    }

    fn start_with(domain: &str, users_file: &str, extra: &[&str]) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mailserver-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let users = dir.join("users");
        std::fs::write(&users, users_file).unwrap();
        let [smtp, submission, smtps, pop3, pop3s] = [(); 5].map(|()| free_port());
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
            .arg("--data")
            .arg(dir.join("data"))
            .arg("--users")
            .arg(&users)
            .args(["--smtp-port", &smtp.to_string()])
            .args(["--submission-port", &submission.to_string()])
            .args(["--smtps-port", &smtps.to_string()])
            .args(["--pop3-port", &pop3.to_string()])
            .args(["--pop3s-port", &pop3s.to_string()])
            .args(["--imap-port", "0", "--imaps-port", "0"])
            .args(["--domain", domain])
            .args(extra)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start mailserver");
        let server = Self {
            child,
            dir,
            domain: domain.to_owned(),
            smtp,
            submission,
            smtps,
            pop3,
            pop3s,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [
            self.smtp,
            self.submission,
            self.smtps,
            self.pop3,
            self.pop3s,
        ] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "mailserver did not open port {port}:\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn ca(&self) -> PathBuf {
        self.dir.join("data/tls/cert.pem")
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("MS_HOST", "127.0.0.1")
            .env("MS_SMTP", self.smtp.to_string())
            .env("MS_SUBMISSION", self.submission.to_string())
            .env("MS_SMTPS", self.smtps.to_string())
            .env("MS_POP3", self.pop3.to_string())
            .env("MS_POP3S", self.pop3s.to_string())
            .env("MS_CA", self.ca())
            .env("MS_DOMAIN", &self.domain);
    }

    /// Runs `python3 SCRIPT ARGS...` from the interop directory; panics with its output and
    /// the server log on failure.
    fn python(&self, script: &str, args: &[&str]) {
        self.python_env(script, args, &[]);
    }

    fn python_env(&self, script: &str, args: &[&str], env: &[(&str, String)]) {
        let mut cmd = Command::new("python3");
        cmd.arg(script).args(args).current_dir(scripts_dir());
        self.env(&mut cmd);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let out = cmd.output().expect("run python3");
        self.check(&format!("python3 {script} {}", args.join(" ")), &out);
    }

    fn check(&self, what: &str, out: &Output) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{what}:\n{stdout}{stderr}");
        assert!(
            out.status.success(),
            "{what} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- server log\n{}",
            self.log()
        );
    }

    fn maildir_files(&self, user: &str) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.data().join(user).join("Maildir").join(sub);
            if let Ok(rd) = std::fs::read_dir(dir) {
                files.extend(rd.map(|e| e.unwrap().path()));
            }
        }
        files
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/mailserver")
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn python_available() -> bool {
    if have("python3", "--version") {
        return true;
    }
    println!("skipped: python3 is not installed");
    false
}

#[test]
fn smtplib_plain_and_starttls() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("clients.py", &["smtp"]);
    // Plain, then STARTTLS to alice and postmaster (alice's alias): one copy each.
    assert_eq!(server.maildir_files("alice").len(), 2, "{}", server.log());
}

#[test]
fn smtplib_submission_and_smtps() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("clients.py", &["submission", "smtps"]);
    assert_eq!(server.maildir_files("alice").len(), 3, "{}", server.log());
}

#[test]
fn poplib_stls_list_retrieve_delete() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("clients.py", &["pop3"]);
    assert!(server.maildir_files("bob").is_empty(), "{}", server.log());
}

#[test]
fn logs_hold_no_secrets() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("clients.py", &["submission", "pop3"]);
    let log = server.log();
    assert!(log.contains("authenticated as bob"), "{log}");
    for secret in ["secret-a", "secret-b", "AHNlY3JldC1h", "c2VjcmV0LW"] {
        assert!(!log.contains(secret), "log contains {secret}:\n{log}");
    }
}

#[test]
fn purge_erases_a_mailbox() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("clients.py", &["smtp"]);
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
fn curl_smtp_and_pop3() {
    if !have("curl", "--version") {
        println!("skipped: curl is not installed");
        return;
    }
    let server = MailServer::start();
    let message = server.dir.join("message.txt");
    let body = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: curl\r\n\r\nsent by curl\r\n.dot\r\n";
    std::fs::write(&message, body).unwrap();
    let ca = server.ca();
    let ca = ca.to_str().unwrap();
    // Submission with STARTTLS required and AUTH.
    let out = Command::new("curl")
        .args(["-sS", "--ssl-reqd", "--cacert", ca])
        .args([
            "--connect-to",
            &format!("localhost:{0}:127.0.0.1:{0}", server.submission),
        ])
        .arg(format!("smtp://localhost:{}", server.submission))
        .args(["--user", "bob:secret-b", "--mail-from", "bob@example.test"])
        .args(["--mail-rcpt", "alice@example.test", "-T"])
        .arg(&message)
        .output()
        .unwrap();
    server.check("curl smtp submission", &out);
    // Implicit TLS.
    let out = Command::new("curl")
        .args(["-sS", "--cacert", ca])
        .args([
            "--connect-to",
            &format!("localhost:{0}:127.0.0.1:{0}", server.smtps),
        ])
        .arg(format!("smtps://localhost:{}", server.smtps))
        .args(["--user", "bob:secret-b", "--mail-from", "bob@example.test"])
        .args(["--mail-rcpt", "alice@example.test", "-T"])
        .arg(&message)
        .output()
        .unwrap();
    server.check("curl smtps", &out);
    // POP3 with STLS: list, then retrieve message 1.
    let out = Command::new("curl")
        .args(["-sS", "--ssl-reqd", "--cacert", ca])
        .args([
            "--connect-to",
            &format!("localhost:{0}:127.0.0.1:{0}", server.pop3),
        ])
        .arg(format!("pop3://localhost:{}/", server.pop3))
        .args(["--user", "alice:secret-a"])
        .output()
        .unwrap();
    server.check("curl pop3 list", &out);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let out = Command::new("curl")
        .args(["-sS", "--cacert", ca])
        .args([
            "--connect-to",
            &format!("localhost:{0}:127.0.0.1:{0}", server.pop3s),
        ])
        .arg(format!("pop3s://localhost:{}/1", server.pop3s))
        .args(["--user", "alice:secret-a"])
        .output()
        .unwrap();
    server.check("curl pop3s retrieve", &out);
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        got.starts_with("Return-Path: <bob@example.test>\r\n"),
        "{got}"
    );
    assert!(got.ends_with(body), "{got}");
    // DELE through a custom request, then QUIT commits it.
    let out = Command::new("curl")
        .args(["-sS", "--cacert", ca, "-X", "DELE", "-I"])
        .args([
            "--connect-to",
            &format!("localhost:{0}:127.0.0.1:{0}", server.pop3s),
        ])
        .arg(format!("pop3s://localhost:{}/1", server.pop3s))
        .args(["--user", "alice:secret-a"])
        .output()
        .unwrap();
    server.check("curl pop3s DELE", &out);
    assert_eq!(server.maildir_files("alice").len(), 1, "{}", server.log());
}

// The server-side adversarial cases of the security checklist (§8: 1, 2, 4, 12–22, 53),
// over real TCP; see `examples/interop/mailserver/adversarial.py`.

#[test]
fn adversarial_starttls_injection() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("adversarial.py", &["starttls", "stls"]);
}

#[test]
fn adversarial_smuggling_and_dot_stuffing() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("adversarial.py", &["smuggling", "unstuff", "pipelining"]);
}

#[test]
fn adversarial_limits_and_syntax() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python(
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
fn adversarial_oversized_message() {
    if !python_available() {
        return;
    }
    let server = MailServer::start();
    server.python("adversarial.py", &["size"]);
    assert!(server.maildir_files("alice").is_empty(), "{}", server.log());
    // The partial message was removed from the incoming directory too.
    let incoming = std::fs::read_dir(server.data().join("incoming"))
        .unwrap()
        .count();
    assert_eq!(incoming, 0, "{}", server.log());
}

/// `fake_dns.py`: a tiny DNS server for the relay test; killed on drop.
struct FakeDns {
    child: Child,
    port: u16,
}

impl FakeDns {
    fn start() -> Self {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["fake_dns.py", "0"])
            .current_dir(scripts_dir())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start fake_dns.py");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .expect("fake_dns.py prints its port");
        Self { child, port }
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn relay_by_mx_to_another_server_and_bounce() {
    if !python_available() {
        return;
    }
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
