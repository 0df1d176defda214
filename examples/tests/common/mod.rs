//! The test harness shared by the tests that run `mailserver`: start it on free loopback
//! ports with a temporary data directory and a users file, run scripts and programs against
//! it, kill it on drop.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running mailserver; killed and its data directory removed on drop.
pub struct MailServer {
    pub child: Child,
    pub dir: PathBuf,
    pub domain: String,
    pub smtp: u16,
    pub submission: u16,
    pub smtps: u16,
    pub pop3: u16,
    pub pop3s: u16,
    pub imap: u16,
    pub imaps: u16,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl MailServer {
    pub fn start() -> Self {
        // Nothing answers at port 9: outbound mail stays queued (temporary failure).
        Self::start_with(
            "example.test",
            "alice:secret-a\nbob:secret-b\n",
            &["--dns", "127.0.0.1:9"],
        )
    }

    pub fn start_with(domain: &str, users_file: &str, extra: &[&str]) -> Self {
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
        let [smtp, submission, smtps, pop3, pop3s, imap, imaps] = [(); 7].map(|()| free_port());
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
            .args(["--imap-port", &imap.to_string()])
            .args(["--imaps-port", &imaps.to_string()])
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
            imap,
            imaps,
        };
        server.wait_ready();
        server
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [
            self.smtp,
            self.submission,
            self.smtps,
            self.pop3,
            self.pop3s,
            self.imap,
            self.imaps,
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("data/tls/cert.pem")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn env(&self, cmd: &mut Command) {
        cmd.env("MS_HOST", "127.0.0.1")
            .env("MS_SMTP", self.smtp.to_string())
            .env("MS_SUBMISSION", self.submission.to_string())
            .env("MS_SMTPS", self.smtps.to_string())
            .env("MS_POP3", self.pop3.to_string())
            .env("MS_POP3S", self.pop3s.to_string())
            .env("MS_IMAP", self.imap.to_string())
            .env("MS_IMAPS", self.imaps.to_string())
            .env("MS_CA", self.ca())
            .env("MS_DOMAIN", &self.domain);
    }

    /// Runs `python3 SCRIPT ARGS...` from the interop directory; panics with its output and
    /// the server log on failure.
    pub fn python(&self, script: &str, args: &[&str]) {
        self.python_env(script, args, &[]);
    }

    pub fn python_env(&self, script: &str, args: &[&str], env: &[(&str, String)]) {
        let mut cmd = Command::new("python3");
        cmd.arg(script).args(args).current_dir(scripts_dir());
        self.env(&mut cmd);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let out = cmd.output().expect("run python3");
        self.check(&format!("python3 {script} {}", args.join(" ")), &out);
    }

    pub fn check(&self, what: &str, out: &Output) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{what}:\n{stdout}{stderr}");
        assert!(
            out.status.success(),
            "{what} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- server log\n{}",
            self.log()
        );
    }

    pub fn maildir_files(&self, user: &str) -> Vec<PathBuf> {
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

pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/mailserver")
}

pub fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Fails the test with instructions when `program` is not installed. Tests that call it are
/// `#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]`: that script
/// installs the tools and `cargo test -- --ignored` runs them, so without the tools they show
/// as not run instead of passing.
pub fn need(program: &str) {
    assert!(
        have(program, "--version"),
        "{program} is not installed: run `bash examples/interop/start-peers.sh` (it installs \
         the client tools) or install it by hand"
    );
}

/// `fake_dns.py`: a tiny DNS server for the relay test; killed on drop.
pub struct FakeDns {
    pub child: Child,
    pub port: u16,
}

impl FakeDns {
    pub fn start() -> Self {
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

/// `mailserver ARGS` with `stdin` (for the subcommands: adduser, passwd, export, ...).
pub fn run_mailserver(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

impl MailServer {
    /// Stops the server and starts it again on the same ports and data directory, with
    /// `extra` flags.
    pub fn restart(&mut self, extra: &[&str]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        self.child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
            .arg("--data")
            .arg(self.data())
            .arg("--users")
            .arg(self.dir.join("users"))
            .args(["--smtp-port", &self.smtp.to_string()])
            .args(["--submission-port", &self.submission.to_string()])
            .args(["--smtps-port", &self.smtps.to_string()])
            .args(["--pop3-port", &self.pop3.to_string()])
            .args(["--pop3s-port", &self.pop3s.to_string()])
            .args(["--imap-port", &self.imap.to_string()])
            .args(["--imaps-port", &self.imaps.to_string()])
            .args(["--domain", &self.domain.clone()])
            .args(extra)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        // The old process may still hold a port for a moment.
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.log().matches("listening: pop3s").count() < 2 {
            assert!(Instant::now() < deadline, "no restart:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        self.wait_ready();
    }
}
