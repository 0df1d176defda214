//! Debian's `fail2ban-regex` (installed by `examples/interop/ci-fail2ban.sh`) with
//! `examples/fail2ban/filter.d/mailserver.conf` over a log `mailserver` really wrote: it
//! matches exactly the failed logins (every service and mechanism, locked-out attempts
//! included), with the client's address, and nothing else: not the successes, the lockout
//! notices, the refused mechanisms, nor an address smuggled in a user name.
//!
//! Reads `MAILSANSIO_FAIL2BAN_REGEX` from the peers env file (`$MAILSANSIO_PEERS_ENV`,
//! default `/tmp/mailsansio-peers.env`). The test is ignored unless asked for
//! (`-- --ignored`), and then fails when it is absent.

mod common;
mod mailserver_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::MailServer;
use mail_sansio::testing::PeersEnv;
use mailserver_support::{pop3s, sasl, smtps};

const USERS: &str = "alice:secret-a\nbob:secret-b\n";
/// An argon2 entry (Dovecot's, password `secret`): CRAM-MD5 is refused for it, not failed.
const ARGON: &str = "carol:{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Umx58yahBPBz1qIdkYJm5Q$7dg+iXqblBZPFGed020ZZi8u0B51etkCSS0TTQ8fJOo\n";

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn fail2ban_regex_matches_exactly_the_failed_logins() {
    let regex = PeersEnv::load("ci-fail2ban.sh").require("MAILSANSIO_FAIL2BAN_REGEX");
    let server = MailServer::start_with(
        "example.test",
        &format!("{USERS}{ARGON}"),
        &[
            "--dns",
            "127.0.0.1:9",
            "--auth-delay",
            "10ms",
            "--lockout-after",
            "8",
            "--lockout-time",
            "1h",
        ],
    );
    let ca = server.ca();
    // Successes, which must not match.
    let (mut c, _) = smtps(server.smtps, &ca);
    assert!(
        c.smtp_auth("PLAIN", sasl("PLAIN", "alice", "secret-a"))
            .starts_with("235 ")
    );
    let mut p = pop3s(server.pop3s, &ca);
    assert!(
        p.pop3_auth("SCRAM-SHA-256", sasl("SCRAM-SHA-256", "bob", "secret-b"))
            .starts_with("+OK")
    );
    p.pop3("QUIT");

    // Failures of every kind: 7 before the lockout (the 8th locks), then 2 while locked.
    for mech in ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"] {
        let (mut c, _) = smtps(server.smtps, &ca);
        let reply = c.smtp_auth(mech, sasl(mech, "alice", "wrong"));
        assert!(reply.starts_with("535 "), "{mech}: {reply}");
        c.smtp("QUIT");
    }
    // A user name that tries to name another address, and an unknown user.
    let (mut c, _) = smtps(server.smtps, &ca);
    let reply = c.smtp_auth("PLAIN", sasl("PLAIN", "x addr=10.9.8.7 user=y", "wrong"));
    assert!(reply.starts_with("535 "), "{reply}");
    let mut p = pop3s(server.pop3s, &ca);
    p.pop3("USER nobody");
    assert!(p.pop3("PASS wrong").starts_with("-ERR"));
    // CRAM-MD5 for an argon2 user is refused, not failed: no match.
    let mut p = pop3s(server.pop3s, &ca);
    assert!(
        p.pop3_auth("CRAM-MD5", sasl("CRAM-MD5", "carol", "secret"))
            .starts_with("-ERR [AUTH]")
    );
    let mut p = pop3s(server.pop3s, &ca);
    assert!(
        p.pop3_auth("PLAIN", sasl("PLAIN", "bob", "wrong"))
            .starts_with("-ERR [AUTH]")
    );
    let mut p = pop3s(server.pop3s, &ca);
    assert!(
        p.pop3_auth("PLAIN", sasl("PLAIN", "bob", "wrong"))
            .starts_with("-ERR [AUTH]")
    );
    // Locked out now: refused without a check, still failures.
    let mut p = pop3s(server.pop3s, &ca);
    assert!(
        p.pop3_auth("PLAIN", sasl("PLAIN", "bob", "secret-b"))
            .starts_with("-ERR [SYS/TEMP]")
    );
    let (mut c, _) = smtps(server.smtps, &ca);
    assert!(
        c.smtp_auth("PLAIN", sasl("PLAIN", "alice", "secret-a"))
            .starts_with("454 ")
    );
    drop((c, p));
    std::thread::sleep(Duration::from_millis(300));

    let log = server.log();
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("auth failed: "))
        .collect();
    assert_eq!(failed.len(), 10, "{log}");
    assert_eq!(log.matches("auth lockout: ").count(), 1, "{log}");
    assert!(
        log.contains("auth refused: service=pop3s addr=127.0.0.1 user=carol mechanism=CRAM-MD5"),
        "{log}"
    );
    assert!(
        log.contains("user=x%20addr%3D10.9.8.7%20user%3Dy "),
        "{log}"
    );

    let filter = Path::new(env!("CARGO_MANIFEST_DIR")).join("fail2ban/filter.d/mailserver.conf");
    let logfile = server.dir.join("copy.log");
    std::fs::write(&logfile, &log).unwrap();
    let out = Command::new(&regex)
        .arg("--print-all-matched")
        .arg(&logfile)
        .arg(&filter)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = log.lines().count();
    assert!(
        report.contains(&format!(
            "Lines: {lines} lines, 0 ignored, 10 matched, {} missed",
            lines - 10
        )),
        "{report}"
    );
    // The matched lines are exactly the failures.
    let matched: Vec<&str> = report
        .split("|- Matched line(s):")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("|  "))
        .map(|l| l.trim_start_matches("|  "))
        .collect();
    assert_eq!(matched, failed, "{report}");

    // And the address fail2ban takes from them is the client's: every match is 127.0.0.1.
    let out = Command::new(&regex)
        .args(["--print-all-matched", "--out", "ip"])
        .arg(&logfile)
        .arg(&filter)
        .output()
        .unwrap();
    let ips = String::from_utf8_lossy(&out.stdout);
    let ips: Vec<&str> = ips.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(ips, vec!["127.0.0.1"; 10], "{ips:?}");
}
