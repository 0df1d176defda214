//! The blocking std example accepts a pipelined transaction and prints the message.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server even when an assertion fails.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prints_a_received_message() {
    let port = common::free_port();
    let mut child = Guard(
        Command::new(env!("CARGO_BIN_EXE_blocking-smtp-server"))
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("no server: {e}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut replies = String::new();
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line}");
    w.write_all(b"EHLO client.example\r\n").unwrap();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.starts_with("250 ") {
            break;
        }
    }
    // PIPELINING: the envelope and DATA in one write; the body after 354.
    w.write_all(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        .unwrap();
    for _ in 0..3 {
        line.clear();
        r.read_line(&mut line).unwrap();
        replies.push_str(&line);
    }
    w.write_all(b"Subject: blocking\r\n\r\n..dot-stuffed line\r\n.\r\nQUIT\r\n")
        .unwrap();
    r.read_to_string(&mut replies).unwrap();
    drop(child);
    let mut out = String::new();
    BufReader::new(stdout).read_to_string(&mut out).unwrap();
    assert!(
        replies.contains("354 ") && replies.contains("221 "),
        "{replies}"
    );
    assert!(out.contains("Subject: blocking"), "{out}");
    assert!(out.contains("\n.dot-stuffed line"), "{out}");
}
