//! `TlsMode::Required` over real TCP against the `mailserver` binary: before STARTTLS/STLS the
//! submission and POP3 ports accept only what leads to TLS, and advertise no way to log in
//! (issue 10: `curl --user demo:PW pop3://localhost:2110/1` used to log in with CRAM-MD5 and
//! read mail in cleartext).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{MailServer, need};

/// A plaintext connection to a port of the server.
struct Plain {
    write: TcpStream,
    read: BufReader<TcpStream>,
}

impl Plain {
    fn connect(port: u16) -> Self {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Self {
            read: BufReader::new(tcp.try_clone().unwrap()),
            write: tcp,
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.read.read_line(&mut line).unwrap();
        line
    }

    fn send(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// Sends `line` and reads one POP3 status line.
    fn pop3(&mut self, line: &str) -> String {
        self.send(line);
        self.line()
    }

    /// Sends `line` and reads a whole SMTP reply.
    fn smtp(&mut self, line: &str) -> String {
        self.send(line);
        let mut all = String::new();
        loop {
            let l = self.line();
            all.push_str(&l);
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
}

#[test]
fn pop3_port_refuses_login_before_stls() {
    let server = MailServer::start();
    let mut c = Plain::connect(server.pop3);
    assert!(c.line().starts_with("+OK"));
    assert!(c.pop3("CAPA").starts_with("+OK"));
    let mut caps = Vec::new();
    loop {
        let line = c.line();
        if line == ".\r\n" || line.is_empty() {
            break;
        }
        caps.push(line.trim_end().to_owned());
    }
    assert!(caps.iter().any(|c| c == "STLS"), "{caps:?}");
    assert!(
        !caps.iter().any(|c| c.starts_with("SASL") || c == "USER"),
        "a way to log in advertised before STLS: {caps:?}"
    );
    // Three refusals: the budget before login (a fourth closes).
    for command in ["AUTH CRAM-MD5", "AUTH SCRAM-SHA-256", "USER alice"] {
        let answer = c.pop3(command);
        assert!(
            answer.starts_with("-ERR") && answer.contains("TLS required"),
            "{command}: {answer}"
        );
    }
    assert!(c.pop3("NOOP").starts_with("+OK"));
    assert!(c.pop3("QUIT").starts_with("+OK"));
    assert!(!server.log().contains("logged in as"), "{}", server.log());
}

#[test]
fn submission_port_refuses_auth_before_starttls() {
    let server = MailServer::start();
    let mut c = Plain::connect(server.submission);
    assert!(c.line().starts_with("220 "));
    let ehlo = c.smtp("EHLO client.example");
    assert!(
        ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    assert!(c.smtp("AUTH CRAM-MD5").starts_with("538 "));
    assert!(c.smtp("MAIL FROM:<alice@example.test>").starts_with("530 "));
    assert!(c.smtp("RSET").starts_with("530 "));
    assert!(c.smtp("NOOP").starts_with("250 "));
    assert!(c.smtp("QUIT").starts_with("221 "));
}

#[test]
#[ignore = "needs python3 and curl: bash examples/interop/start-peers.sh"]
fn curl_pop3_logs_in_only_over_tls() {
    need("curl");
    let server = MailServer::start();
    // One message for alice, over implicit TLS submission.
    let message = server.dir.join("message.txt");
    std::fs::write(&message, "Subject: hi\r\n\r\nhello\r\n").unwrap();
    let ca = server.ca();
    let curl = |url: String, args: &[&str]| {
        // `localhost` for the certificate's name, 127.0.0.1 for the socket.
        let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
        Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert", ca.to_str().unwrap()])
            .args([
                "--connect-to",
                &format!("localhost:{port}:127.0.0.1:{port}"),
            ])
            .arg(url)
            .args(args)
            .output()
            .unwrap()
    };
    let sent = curl(
        format!("smtps://localhost:{}", server.smtps),
        &[
            "--user",
            "alice:secret-a",
            "--mail-from",
            "alice@example.test",
            "--mail-rcpt",
            "alice@example.test",
            "-T",
            message.to_str().unwrap(),
        ],
    );
    server.check("curl smtps", &sent);
    let pop3 = format!("pop3://localhost:{}/1", server.pop3);
    // What the README's users type without --ssl-reqd: no login in cleartext, no mail.
    let plain = curl(pop3.clone(), &["--user", "alice:secret-a"]);
    assert!(
        !plain.status.success() && !String::from_utf8_lossy(&plain.stdout).contains("hello"),
        "curl read mail in cleartext: {plain:?}\n{}",
        server.log()
    );
    // With --ssl-reqd curl sends STLS first and logs in inside TLS.
    let tls = curl(pop3, &["--ssl-reqd", "--user", "alice:secret-a"]);
    server.check("curl pop3 --ssl-reqd", &tls);
    assert!(String::from_utf8_lossy(&tls.stdout).ends_with("hello\r\n"));
}
