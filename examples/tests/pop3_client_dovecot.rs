//! `pop3-client` against Dovecot (started by `examples/interop/ci-dovecot.sh`): STLS and
//! POP3S, list, and every seeded message retrieved byte for byte. Nothing is deleted (the
//! seeded maildrop is shared with pop3-proto's interop test).
//!
//! Reads `MAILSANSIO_DOVECOT_POP3*` from the peers env file (`$MAILSANSIO_PEERS_ENV`, default
//! `/tmp/mailsansio-peers.env`). The test is ignored unless asked for (`-- --ignored`), and
//! then fails when they are absent.

use mail_sansio::testing::PeersEnv;
use std::path::PathBuf;
use std::process::{Command, Output};

struct Dovecot {
    pop3: String,
    pop3s: String,
    ca: String,
    user: String,
    pass: String,
    maildir: PathBuf,
}

/// The Dovecot peer; fails the test when it was not started.
fn peer() -> Dovecot {
    let env = PeersEnv::load("ci-dovecot.sh");
    let get = |k: &str| env.get(k);
    Dovecot {
        pop3: env.require("MAILSANSIO_DOVECOT_POP3"),
        pop3s: env.require("MAILSANSIO_DOVECOT_POP3S"),
        ca: get("MAILSANSIO_DOVECOT_POP3_CA")
            .unwrap_or_else(|| env.require("MAILSANSIO_DOVECOT_CA")),
        user: get("MAILSANSIO_DOVECOT_POP3_USER").unwrap_or_else(|| "test".into()),
        pass: get("MAILSANSIO_DOVECOT_POP3_PASS").unwrap_or_else(|| "secret".into()),
        maildir: env.require("MAILSANSIO_DOVECOT_POP3_MAILDIR").into(),
    }
}

fn pop3_client(d: &Dovecot, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pop3-client"))
        .args(["--ca", &d.ca, "--user", &d.user])
        .args(args)
        .env("POP3_PASSWORD", &d.pass)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pop3-client {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The seeded messages, oldest first (Dovecot numbers them in that order).
fn seeded(d: &Dovecot) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = ["cur", "new"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(d.maildir.join(sub)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn list_and_retrieve_over_stls_and_pop3s() {
    let d = peer();
    let messages = seeded(&d);
    assert!(!messages.is_empty());

    let out = pop3_client(&d, &["--server", &d.pop3, "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listing.lines().count(), messages.len(), "{listing}");
    for (line, m) in listing.lines().zip(&messages) {
        let size: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(size, m.len(), "{line}");
    }

    for (i, m) in messages.iter().enumerate() {
        let n = (i + 1).to_string();
        let out = pop3_client(
            &d,
            &["--server", &d.pop3s, "--tls", "implicit", "retrieve", &n],
        );
        assert_eq!(&out.stdout, m, "message {n}");
    }
}
