//! `mailserver --lmtp-port` over TCP, without peers: LHLO, and after the body one reply per
//! accepted recipient (RFC 2033 §4.2): a delivery, and `552 5.2.2` for a user over
//! `--quota`; an unknown user refused at RCPT. (With a real Postfix in front:
//! `lmtp_postfix.rs`.)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{MailServer, free_port};

/// Reads one reply (all its lines).
fn reply(r: &mut impl BufRead) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.ends_with("\r\n"), "{all}{line:?}");
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return all;
        }
    }
}

#[test]
fn one_reply_per_recipient_after_the_body() {
    let port = free_port();
    let server = MailServer::start_with(
        "example.test",
        "alice:secret-a\nfull:secret-f\n",
        &[
            "--lmtp-port",
            &port.to_string(),
            "--quota",
            "4K",
            "--dns",
            "127.0.0.1:9",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let tcp = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(t) => break t,
            Err(e) => assert!(Instant::now() < deadline, "{e}\n{}", server.log()),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let full_cur = server.data().join("full/Maildir/cur");
    std::fs::write(full_cur.join("1.seed.host,S=5000:2,S"), vec![b'x'; 5000]).unwrap();

    let mut w = tcp.try_clone().unwrap();
    let mut r = BufReader::new(tcp);
    assert!(reply(&mut r).starts_with("220 example.test LMTP"));
    w.write_all(b"EHLO mta.example\r\n").unwrap();
    assert!(reply(&mut r).starts_with("500 "), "LMTP wants LHLO");
    w.write_all(b"LHLO mta.example\r\n").unwrap();
    let lhlo = reply(&mut r);
    assert!(
        lhlo.contains("250-PIPELINING") && !lhlo.contains("STARTTLS"),
        "{lhlo}"
    );
    assert!(!lhlo.contains("AUTH"), "{lhlo}");
    // Pipelined, as Postfix sends it.
    w.write_all(
        b"MAIL FROM:<s@mta.example>\r\nRCPT TO:<alice@example.test>\r\n\
          RCPT TO:<ghost@example.test>\r\nRCPT TO:<full@example.test>\r\n\
          RCPT TO:<bob@elsewhere.example>\r\nDATA\r\n",
    )
    .unwrap();
    assert!(reply(&mut r).starts_with("250 2.1.0"));
    assert!(reply(&mut r).starts_with("250 2.1.5"));
    assert_eq!(
        reply(&mut r),
        "550 5.1.1 <ghost@example.test> no such user here\r\n"
    );
    assert!(reply(&mut r).starts_with("250 2.1.5"));
    assert!(reply(&mut r).starts_with("550 5.1.2"));
    assert!(reply(&mut r).starts_with("354 "));
    let body = "Subject: lmtp\r\n\r\n.dot\r\n";
    w.write_all(b"Subject: lmtp\r\n\r\n..dot\r\n.\r\n").unwrap();
    let first = reply(&mut r);
    assert!(
        first.starts_with("250 2.0.0 <alice@example.test> delivered as "),
        "{first}"
    );
    assert_eq!(
        reply(&mut r),
        "552 5.2.2 <full@example.test> mailbox full\r\n"
    );
    w.write_all(b"QUIT\r\n").unwrap();
    assert!(reply(&mut r).starts_with("221 "));

    let files = server.maildir_files("alice");
    assert_eq!(files.len(), 1);
    let stored = String::from_utf8(std::fs::read(&files[0]).unwrap()).unwrap();
    assert!(stored.starts_with("Return-Path: <s@mta.example>\r\nReceived: from mta.example"));
    assert!(
        stored.contains("with LMTP id ") && stored.ends_with(body),
        "{stored}"
    );
    assert_eq!(server.maildir_files("full").len(), 1, "only the seed");
}
