//! `mailserver` submission rules over real TCP: the envelope sender must belong to the
//! authenticated user (`553 5.7.1`), and so must the `From:` field (`550 5.7.1` at the end of
//! DATA), unless `--aliases` allows it; the relay-in port 2525 has no AUTH and relays nothing.

mod common;
mod mailserver_support;

use std::sync::atomic::{AtomicU32, Ordering};

use common::MailServer;
use mailserver_support::{Client, sasl, smtps};

const USERS: &str = "alice:secret-a\nbob:secret-b\nlistbot:secret-l\n";
const ALIASES: &str =
    "# sender aliases\nsales@example.test: alice\n@alice.example: alice\n*: listbot\n";

fn start() -> MailServer {
    static N: AtomicU32 = AtomicU32::new(0);
    let aliases = std::env::temp_dir().join(format!(
        "mailserver-aliases-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&aliases, ALIASES).unwrap();
    let server = MailServer::start_with(
        "example.test",
        USERS,
        &[
            "--dns",
            "127.0.0.1:9",
            "--aliases",
            aliases.to_str().unwrap(),
        ],
    );
    // Read at start-up.
    let _ = std::fs::remove_file(&aliases);
    server
}

fn logged_in(server: &MailServer, user: &str, password: &str) -> Client {
    let (mut c, _) = smtps(server.smtps, &server.ca());
    let reply = c.smtp_auth("PLAIN", sasl("PLAIN", user, password));
    assert!(reply.starts_with("235 "), "{reply}");
    c
}

/// MAIL, RCPT, DATA with `From: from`: the reply to the end of DATA.
fn send(c: &mut Client, envelope: &str, from: &str, to: &str) -> String {
    let mail = c.smtp(&format!("MAIL FROM:<{envelope}>"));
    assert!(mail.starts_with("250 "), "{mail}");
    assert!(c.smtp(&format!("RCPT TO:<{to}>")).starts_with("250 "));
    assert!(c.smtp("DATA").starts_with("354 "));
    c.send_raw(
        format!("From: {from}\r\nTo: <{to}>\r\nSubject: test\r\n\r\nhello\r\n.\r\n").as_bytes(),
    );
    c.reply()
}

#[test]
fn spoofed_envelope_sender_gets_553() {
    let server = start();
    let mut c = logged_in(&server, "alice", "secret-a");
    for spoofed in [
        "bob@example.test",
        "alice@elsewhere.example",
        "sales@example.test.evil",
    ] {
        let reply = c.smtp(&format!("MAIL FROM:<{spoofed}>"));
        assert!(reply.starts_with("553 5.7.1 "), "{spoofed}: {reply}");
    }
    // Her own address (any case), her aliases, and the null sender of notifications.
    for own in [
        "alice@example.test",
        "ALICE@Example.Test",
        "sales@example.test",
        "me@alice.example",
        "",
    ] {
        let reply = c.smtp(&format!("MAIL FROM:<{own}>"));
        assert!(reply.starts_with("250 "), "{own}: {reply}");
        assert!(c.smtp("RSET").starts_with("250 "));
    }
    // bob does not own alice's alias; listbot may send as anyone.
    let mut b = logged_in(&server, "bob", "secret-b");
    assert!(
        b.smtp("MAIL FROM:<sales@example.test>")
            .starts_with("553 5.7.1 ")
    );
    let mut l = logged_in(&server, "listbot", "secret-l");
    assert!(l.smtp("MAIL FROM:<bob@example.test>").starts_with("250 "));
    assert!(
        server
            .log()
            .contains("sender <bob@example.test> refused: not an address of alice")
    );
}

#[test]
fn spoofed_from_field_is_refused_at_the_end_of_data() {
    let server = start();
    let mut c = logged_in(&server, "alice", "secret-a");
    for from in [
        "Bob <bob@example.test>",
        "\"alice@example.test\" <bob@example.test>",
        "Alice <alice@example.test>, Bob <bob@example.test>",
        "(alice@example.test) bob@example.test",
    ] {
        let reply = send(&mut c, "alice@example.test", from, "bob@example.test");
        assert!(reply.starts_with("550 5.7.1 "), "From: {from}: {reply}");
    }
    assert!(server.maildir_files("bob").is_empty(), "nothing delivered");
    for from in [
        "Alice <alice@example.test>",
        "=?utf-8?q?Al=C3=AFce?= <Alice@Example.test>",
        "Sales <sales@example.test>",
    ] {
        let reply = send(&mut c, "alice@example.test", from, "bob@example.test");
        assert!(reply.starts_with("250 "), "From: {from}: {reply}");
    }
    assert_eq!(server.maildir_files("bob").len(), 3);
    // The aliases file lets listbot use any From:.
    let mut l = logged_in(&server, "listbot", "secret-l");
    let reply = send(
        &mut l,
        "listbot@example.test",
        "Bob <bob@example.test>",
        "alice@example.test",
    );
    assert!(reply.starts_with("250 "), "{reply}");
    // Mail for the alias reaches its user.
    let reply = send(
        &mut l,
        "listbot@example.test",
        "x@y.example",
        "sales@example.test",
    );
    assert!(reply.starts_with("250 "), "{reply}");
    assert_eq!(server.maildir_files("alice").len(), 2);
}

#[test]
fn relay_in_port_offers_no_auth_and_relays_nothing() {
    let server = MailServer::start();
    let mut c = Client::plain(server.smtp);
    assert!(c.reply().starts_with("220 "));
    let ehlo = c.smtp("EHLO client.example");
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    let reply = c.smtp("AUTH PLAIN AGFsaWNlAHNlY3JldC1h");
    assert!(reply.starts_with("504 "), "{reply}");
    assert!(c.smtp("STARTTLS").starts_with("220 "));
    c.start_tls(&server.ca());
    let ehlo = c.smtp("EHLO client.example");
    assert!(ehlo.starts_with("250") && !ehlo.contains("AUTH"), "{ehlo}");
    let reply = c.smtp("AUTH PLAIN AGFsaWNlAHNlY3JldC1h");
    assert!(reply.starts_with("504 "), "{reply}");
    assert!(c.smtp("MAIL FROM:<alice@example.test>").starts_with("250 "));
    let reply = c.smtp("RCPT TO:<carol@elsewhere.example>");
    assert!(reply.starts_with("550 5.7.1 "), "{reply}");
    // Mail for the local domain is what this port is for.
    assert!(c.smtp("RCPT TO:<alice@example.test>").starts_with("250 "));
    assert!(!server.log().contains("authenticated as"));
}
