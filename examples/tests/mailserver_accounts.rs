//! `mailserver` accounts over real TCP: Dovecot passwd-file entries hashed with ARGON2ID and
//! SCRAM-SHA-256 log in with every mechanism their entry allows (SMTP and POP3), the others are
//! refused for that user alone; CRAM-MD5 and SCRAM are offered only when some user can use
//! them; plaintext entries warn at start-up; `adduser`/`deluser` write hashed entries from a
//! password read on standard input.

mod common;
mod mailserver_support;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::MailServer;
use mailserver_support::{capa_mechanisms, ehlo_mechanisms, pop3s, sasl, smtps};

/// `doveadm pw -s ARGON2ID -p secret` and `doveadm pw -s SCRAM-SHA-256 -p secret` (Dovecot
/// 2.3): the password is `secret`.
const ARGON2ID: &str = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$Umx58yahBPBz1qIdkYJm5Q$7dg+iXqblBZPFGed020ZZi8u0B51etkCSS0TTQ8fJOo";
const SCRAM: &str = "{SCRAM-SHA-256}4096,QnPpgi8Glb7xMCD1pf4kwQ==,QQXI2MKUVsakZkTTpPF8wEnZYIHMi6WB4hPmOUT9z4A=,ytYXOmQgyRSFs37ocJZfyPxzhrQ6mZY4KBQ4CFuwpiI=";

const ALL: [&str; 4] = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"];

/// What each user may do: `(user, password, mechanisms that work)`; the others of [`ALL`]
/// are refused for that user (534 5.7.9 / `-ERR [AUTH]`).
const USERS: [(&str, &str, &[&str]); 3] = [
    ("argon", "secret", &["PLAIN", "LOGIN"]),
    ("scram", "secret", &["PLAIN", "LOGIN", "SCRAM-SHA-256"]),
    ("plain", "pw-plain", &ALL),
];

fn users_file() -> String {
    // Dovecot's extra fields after a hashed password are ignored.
    format!("argon:{ARGON2ID}:1000:1000::/home/argon::\nscram:{SCRAM}\nplain:{{PLAIN}}pw-plain\n")
}

#[test]
fn hashed_users_log_in_with_each_offered_mechanism() {
    let server = MailServer::start_with(
        "example.test",
        &users_file(),
        &["--dns", "127.0.0.1:9", "--auth-delay", "100ms"],
    );
    let ca = server.ca();
    let (mut c, ehlo) = smtps(server.smtps, &ca);
    assert_eq!(ehlo_mechanisms(&ehlo), ALL, "{ehlo}");
    c.smtp("QUIT");
    let mut p = pop3s(server.pop3s, &ca);
    assert_eq!(capa_mechanisms(&mut p), ALL);
    p.pop3("QUIT");

    for (user, password, works) in USERS {
        for mech in ALL {
            // SMTP (submissions).
            let (mut c, _) = smtps(server.smtps, &ca);
            let reply = c.smtp_auth(mech, sasl(mech, user, password));
            if works.contains(&mech) {
                assert!(reply.starts_with("235 "), "smtp {user} {mech}: {reply}");
                let mail = c.smtp(&format!("MAIL FROM:<{user}@example.test>"));
                assert!(mail.starts_with("250 "), "{mail}");
            } else {
                assert!(
                    reply.starts_with("534 5.7.9"),
                    "smtp {user} {mech}: {reply}"
                );
            }
            c.smtp("QUIT");

            // POP3 (pop3s).
            let mut p = pop3s(server.pop3s, &ca);
            let answer = p.pop3_auth(mech, sasl(mech, user, password));
            if works.contains(&mech) {
                assert!(answer.starts_with("+OK"), "pop3 {user} {mech}: {answer}");
                assert!(p.pop3("STAT").starts_with("+OK 0 0"));
            } else {
                assert!(
                    answer.starts_with("-ERR [AUTH]"),
                    "pop3 {user} {mech}: {answer}"
                );
            }
            p.pop3("QUIT");
        }
        // USER/PASS works with every entry.
        let mut p = pop3s(server.pop3s, &ca);
        assert!(p.pop3(&format!("USER {user}")).starts_with("+OK"));
        let answer = p.pop3(&format!("PASS {password}"));
        assert!(answer.starts_with("+OK"), "USER/PASS {user}: {answer}");
        p.pop3("QUIT");
    }

    // Wrong passwords still fail with each mechanism the entry allows.
    for (user, _, works) in USERS {
        let mech = works[works.len() - 1];
        let (mut c, _) = smtps(server.smtps, &ca);
        let reply = c.smtp_auth(mech, sasl(mech, user, "wrong"));
        assert!(reply.starts_with("535 "), "{user} {mech}: {reply}");
    }

    let log = server.log();
    // Refusing a mechanism is not a failed password; nothing secret is logged.
    assert!(
        !log.contains(
            "auth failed: service=submissions addr=127.0.0.1 user=argon mechanism=CRAM-MD5"
        ),
        "{log}"
    );
    assert!(
        log.contains(
            "auth refused: service=submissions addr=127.0.0.1 user=argon mechanism=CRAM-MD5"
        ),
        "{log}"
    );
    assert!(
        log.contains(
            "auth refused: service=pop3s addr=127.0.0.1 user=argon mechanism=SCRAM-SHA-256"
        ),
        "{log}"
    );
    assert!(
        !log.contains("secret") && !log.contains("pw-plain") && !log.contains("Umx58"),
        "{log}"
    );
    // No plaintext warning for the hashed users, one for the plaintext one.
    assert!(log.contains("plaintext passwords for plain;"), "{log}");
}

#[test]
fn mechanisms_are_offered_only_when_some_user_can_use_them() {
    for (users, expected) in [
        (format!("argon:{ARGON2ID}\n"), &["PLAIN", "LOGIN"][..]),
        (
            format!("argon:{ARGON2ID}\nscram:{SCRAM}\n"),
            &["PLAIN", "LOGIN", "SCRAM-SHA-256"][..],
        ),
    ] {
        let server = MailServer::start_with("example.test", &users, &["--dns", "127.0.0.1:9"]);
        let (mut c, ehlo) = smtps(server.smtps, &server.ca());
        assert_eq!(ehlo_mechanisms(&ehlo), expected, "{ehlo}");
        // Asking anyway: not offered.
        let reply = c.smtp("AUTH CRAM-MD5");
        assert!(reply.starts_with("504 "), "{reply}");
        let mut p = pop3s(server.pop3s, &server.ca());
        assert_eq!(capa_mechanisms(&mut p), expected);
        assert!(
            !server.log().contains("plaintext passwords"),
            "{}",
            server.log()
        );
    }
}

fn mailserver(args: &[&str], stdin: &str) -> std::process::Output {
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

#[test]
fn adduser_and_deluser_write_hashed_entries() {
    let dir = std::env::temp_dir().join(format!("mailserver-adduser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("users");
    let f = file.to_str().unwrap();
    std::fs::write(&file, "# our users\nkeep:{PLAIN}x:1000:1000::/home/keep\n").unwrap();

    let out = mailserver(&["--users", f, "adduser", "Alice"], "pass of alice\n");
    assert!(out.status.success(), "{out:?}");
    let out = mailserver(
        &["--users", f, "--scheme", "SCRAM-SHA-256", "adduser", "bob"],
        "pass of bob\r\n",
    );
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        ["# our users", "keep:{PLAIN}x:1000:1000::/home/keep"]
    );
    assert!(
        lines[2].starts_with("alice:{ARGON2ID}$argon2id$v=19$"),
        "{text}"
    );
    assert!(lines[3].starts_with("bob:{SCRAM-SHA-256}10000,"), "{text}");
    assert_eq!(lines.len(), 4);
    assert!(!text.contains("pass of"), "{text}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A new password for an existing user replaces its line.
    let out = mailserver(&["--users", f, "adduser", "alice"], "new pass\n");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("new password"));
    let out = mailserver(&["--users", f, "adduser", "nobody"], "");
    assert!(!out.status.success(), "an empty password is refused");
    let out = mailserver(&["--users", f, "deluser", "keep"], "");
    assert!(out.status.success(), "{out:?}");
    let out = mailserver(&["--users", f, "deluser", "keep"], "");
    assert!(!out.status.success(), "no such user");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(text.matches("alice:").count(), 1, "{text}");
    let users = text.clone();

    // The server takes them: alice with PLAIN, bob with SCRAM (no plaintext anywhere).
    let server = MailServer::start_with("example.test", &users, &["--dns", "127.0.0.1:9"]);
    let (mut c, ehlo) = smtps(server.smtps, &server.ca());
    assert_eq!(
        ehlo_mechanisms(&ehlo),
        ["PLAIN", "LOGIN", "SCRAM-SHA-256"],
        "{ehlo}"
    );
    let reply = c.smtp_auth("PLAIN", sasl("PLAIN", "alice", "new pass"));
    assert!(reply.starts_with("235 "), "{reply}\n{}", server.log());
    let (mut c, _) = smtps(server.smtps, &server.ca());
    let reply = c.smtp_auth("SCRAM-SHA-256", sasl("SCRAM-SHA-256", "bob", "pass of bob"));
    assert!(reply.starts_with("235 "), "{reply}\n{}", server.log());
    assert!(
        !server.log().contains("plaintext passwords"),
        "{}",
        server.log()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
