//! `mailserver` abuse resistance over real TCP: failed logins are slowed (a growing delay per
//! client address) and locked out after repeated failures, the lockout is lifted after its
//! time, successful logins are not slowed; connections are capped per address and in total,
//! and the connection over a cap is told so (`421 4.7.0`, `-ERR [SYS/TEMP]`) before it is
//! closed, on the plain and the implicit-TLS ports.

mod common;
mod mailserver_support;

use std::time::Duration;

use common::MailServer;
use mailserver_support::{Client, pop3s, sasl, smtps, timed};

const USERS: &str = "alice:secret-a\nbob:secret-b\n";

fn smtp_login(server: &MailServer, password: &str) -> (Duration, String) {
    let (mut c, _) = smtps(server.smtps, &server.ca());
    timed(|| c.smtp_auth("PLAIN", sasl("PLAIN", "alice", password)))
}

#[test]
fn failed_logins_are_slowed_then_locked_out_then_lifted() {
    let delay = Duration::from_secs(1);
    let server = MailServer::start_with(
        "example.test",
        USERS,
        &[
            "--dns",
            "127.0.0.1:9",
            "--auth-delay",
            "1s",
            "--auth-delay-max",
            "2s",
            "--lockout-after",
            "3",
            "--lockout-time",
            "6s",
        ],
    );
    // A clean address: a success is answered at once.
    let (took, reply) = smtp_login(&server, "secret-a");
    assert!(reply.starts_with("235 "), "{reply}");
    assert!(took < delay, "a success was slowed: {took:?}");

    // Failures: 1 s, 2 s, then 2 s again (the longest delay) and the lockout.
    for (n, at_least) in [(1, delay), (2, delay * 2)] {
        let (took, reply) = smtp_login(&server, "wrong");
        assert!(reply.starts_with("535 5.7.8"), "{reply}");
        assert!(took >= at_least, "failure {n} answered after {took:?}");
    }
    // The third one over POP3: the count is per address, across services.
    let mut p = pop3s(server.pop3s, &server.ca());
    p.pop3("USER alice");
    let locked_at = std::time::Instant::now();
    let (took, answer) = timed(|| p.pop3("PASS wrong"));
    assert!(answer.starts_with("-ERR [AUTH]"), "{answer}");
    assert!(
        took >= delay * 2 && took < delay * 4,
        "failure 3 answered after {took:?}"
    );
    let log = server.log();
    assert!(
        log.contains("auth lockout: service=pop3s addr=127.0.0.1 user=alice failures=3 seconds=6"),
        "{log}"
    );

    // Locked out: even the right password is refused, at once, without a check.
    let (took, reply) = smtp_login(&server, "secret-a");
    assert!(reply.starts_with("454 4.7.0"), "{reply}");
    assert!(took < delay, "{took:?}");
    let mut p = pop3s(server.pop3s, &server.ca());
    let answer = p.pop3_auth("PLAIN", sasl("PLAIN", "alice", "secret-a"));
    assert!(answer.starts_with("-ERR [SYS/TEMP]"), "{answer}");
    let log = server.log();
    assert!(
        log.contains(
            "auth failed: service=submissions addr=127.0.0.1 user=alice mechanism=PLAIN/LOGIN locked"
        ),
        "{log}"
    );

    assert!(
        locked_at.elapsed() < Duration::from_secs(6),
        "checked while locked"
    );

    // Lifted after its time; the failures are forgotten and a success is not slowed.
    let lifted = locked_at + Duration::from_millis(6300);
    std::thread::sleep(lifted.saturating_duration_since(std::time::Instant::now()));
    let (took, reply) = smtp_login(&server, "secret-a");
    assert!(reply.starts_with("235 "), "{reply}\n{}", server.log());
    assert!(took < delay, "{took:?}");
    let (took, reply) = smtp_login(&server, "wrong");
    assert!(reply.starts_with("535 "), "{reply}");
    assert!(
        took >= delay && took < delay * 2,
        "counting starts again: {took:?}"
    );

    // Every failure is one line, without the password.
    let log = server.log();
    assert_eq!(log.matches("auth failed: ").count(), 6, "{log}");
    assert!(!log.contains("wrong") && !log.contains("secret-a"), "{log}");
}

#[test]
fn scram_failures_are_counted_too() {
    let server = MailServer::start_with(
        "example.test",
        USERS,
        &[
            "--dns",
            "127.0.0.1:9",
            "--auth-delay",
            "300ms",
            "--lockout-after",
            "2",
        ],
    );
    // The protocol machine refuses a bad SCRAM proof itself; the server counts it when the
    // connection ends, or when the next command with an event comes (and serves the delay
    // before answering it).
    let mut p = pop3s(server.pop3s, &server.ca());
    let answer = p.pop3_auth("SCRAM-SHA-256", sasl("SCRAM-SHA-256", "bob", "wrong"));
    assert!(answer.starts_with("-ERR"), "{answer}");
    drop(p);
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log();
    assert!(
        log.contains("auth failed: service=pop3s addr=127.0.0.1 user=bob mechanism=SCRAM-SHA-256"),
        "{log}"
    );

    let (mut c, _) = smtps(server.smtps, &server.ca());
    let reply = c.smtp_auth("SCRAM-SHA-256", sasl("SCRAM-SHA-256", "alice", "wrong"));
    assert!(reply.starts_with("535 "), "{reply}");
    // The next AUTH waits for the second failure's delay (600 ms), which also locked the
    // address out.
    let (took, reply) =
        timed(|| c.smtp_auth("SCRAM-SHA-256", sasl("SCRAM-SHA-256", "alice", "secret-a")));
    assert!(reply.starts_with("454 4.7.0"), "locked out: {reply}");
    assert!(took >= Duration::from_millis(600), "{took:?}");
    let log = server.log();
    assert!(
        log.contains(
            "auth failed: service=submissions addr=127.0.0.1 user=alice mechanism=SCRAM-SHA-256\n"
        ),
        "{log}"
    );
    assert!(
        log.contains("auth lockout: service=submissions addr=127.0.0.1 user=alice failures=2"),
        "{log}"
    );
    assert!(
        log.contains(
            "auth failed: service=submissions addr=127.0.0.1 user=alice mechanism=SCRAM-SHA-256 locked"
        ),
        "{log}"
    );
}

#[test]
fn connections_over_a_cap_are_told_so_then_closed() {
    let server = MailServer::start_with(
        "example.test",
        USERS,
        &[
            "--dns",
            "127.0.0.1:9",
            "--max-per-address",
            "2",
            "--max-connections",
            "3",
        ],
    );
    // The start-up probes (one connection to each of the five ports) must be gone first.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server
        .log()
        .lines()
        .filter(|l| l.contains(": closed") || l.contains(": tls handshake"))
        .count()
        < 5
    {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let ca = server.ca();
    // Two from 127.0.0.1: the cap per address.
    let mut a = Client::plain(server.smtp);
    assert!(a.reply().starts_with("220 "));
    let mut b = pop3s(server.pop3s, &ca);
    let mut over = Client::plain(server.smtp);
    let refusal = over.reply();
    assert!(
        refusal.starts_with("421 4.7.0 ") && refusal.contains("from your address"),
        "{refusal}"
    );
    assert!(over.closed());
    let mut over = Client::plain(server.pop3);
    let refusal = over.line();
    assert!(refusal.starts_with("-ERR [SYS/TEMP] "), "{refusal}");
    assert!(over.closed());
    // Over TLS on the implicit-TLS ports.
    let mut over = Client::tls(server.smtps, &ca);
    let refusal = over.reply();
    assert!(refusal.starts_with("421 4.7.0 "), "{refusal}");
    let mut over = Client::tls(server.pop3s, &ca);
    assert!(over.line().starts_with("-ERR [SYS/TEMP] "));

    // Another address may still come in, up to the total.
    let mut c = Client::plain_from(server.smtp, "127.0.0.2");
    assert!(c.reply().starts_with("220 "));
    let mut d = Client::plain_from(server.smtp, "127.0.0.3");
    let refusal = d.reply();
    assert!(
        refusal.starts_with("421 4.7.0 ") && !refusal.contains("your address"),
        "{refusal}"
    );
    assert!(d.closed());

    // A connection that ends frees its place.
    a.smtp("QUIT");
    b.pop3("QUIT");
    drop((a, b));
    std::thread::sleep(Duration::from_millis(200));
    let mut e = Client::plain(server.smtp);
    assert!(e.reply().starts_with("220 "), "{}", server.log());
    let log = server.log();
    assert!(
        log.contains("refused: 2 connections open from this address"),
        "{log}"
    );
    assert!(
        log.contains("refused: 3 connections open in total"),
        "{log}"
    );
    c.smtp("QUIT");
}
