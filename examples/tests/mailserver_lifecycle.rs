//! `mailserver` start-up and shutdown: the demo user, services turned off with port 0, and a
//! clean exit on Ctrl-C (SIGINT): accepted mail kept, sessions still open refused new
//! transactions (421) but allowed to QUIT.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::free_port;

fn read_reply(r: &mut impl BufRead) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return all;
        }
    }
}

#[test]
fn demo_user_port_zero_and_clean_shutdown() {
    let dir = std::env::temp_dir().join(format!("mailserver-lifecycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailserver"))
        .arg("--data")
        .arg(&dir)
        .args(["--smtp-port", &port.to_string()])
        .args(["--submission-port", "0", "--smtps-port", "0"])
        .args([
            "--pop3-port",
            "0",
            "--pop3s-port",
            "0",
            "--imap-port",
            "0",
            "--imaps-port",
            "0",
            "--dns",
            "127.0.0.1:9",
        ])
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
    let kill = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if !startup.contains("demo user: demo@example.test password ") {
        kill(&mut child);
        panic!("no demo credentials printed:\n{startup}");
    }
    assert_eq!(startup.matches("listening:").count(), 1, "{startup}");
    let demo = std::fs::read_to_string(dir.join("demo-users")).unwrap();
    let password = demo.trim().strip_prefix("demo:").unwrap().to_owned();
    assert!(startup.contains(&password));

    // One message, accepted before the signal.
    let mut smtp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    smtp.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut r = BufReader::new(smtp.try_clone().unwrap());
    assert!(read_reply(&mut r).starts_with("220 "));
    for (cmd, code) in [
        ("EHLO client.example", "250"),
        ("MAIL FROM:<a@elsewhere.example>", "250"),
        ("RCPT TO:<demo@example.test>", "250"),
        ("DATA", "354"),
        ("Subject: before shutdown\r\n\r\nhello\r\n.", "250"),
        ("QUIT", "221"),
    ] {
        smtp.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        let reply = read_reply(&mut r);
        if !reply.starts_with(code) {
            kill(&mut child);
            panic!("{cmd}: {reply}");
        }
    }

    // A session open across the signal: its next transaction is refused, QUIT still works.
    let mut open = TcpStream::connect(("127.0.0.1", port)).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut open_r = BufReader::new(open.try_clone().unwrap());
    assert!(read_reply(&mut open_r).starts_with("220 "));
    open.write_all(b"EHLO client.example\r\n").unwrap();
    assert!(read_reply(&mut open_r).starts_with("250"));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Wait for the listener to close, then try to start a transaction.
    let closed_by = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() && Instant::now() < closed_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    open.write_all(b"MAIL FROM:<a@elsewhere.example>\r\n")
        .unwrap();
    let refused = read_reply(&mut open_r);
    open.write_all(b"QUIT\r\n").unwrap();
    let bye = read_reply(&mut open_r);
    drop(open);
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            kill(&mut child);
            panic!("mailserver did not exit after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(exit.success(), "{exit:?}\n{rest}");
    assert!(
        rest.contains("shutting down") && rest.contains("bye"),
        "{rest}"
    );
    assert!(refused.starts_with("421 4.3.2"), "{refused}");
    assert!(bye.starts_with("221"), "{bye}");
    let new = std::fs::read_dir(dir.join("demo/Maildir/new"))
        .unwrap()
        .count();
    assert_eq!(new, 1);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port closed after exit"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
