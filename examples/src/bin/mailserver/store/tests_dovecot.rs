//! Dovecot reads a Maildir written by this store with the same UIDs, flags, keywords and
//! folder names (`doveadm`, from the dovecot-core package that
//! `examples/interop/ci-dovecot.sh` installs).
//!
//! `doveadm` runs in-process against the directory (no Dovecot server, no userdb lookup:
//! the user comes from `USER`), with its index in memory. As root it reads as `nobody`,
//! since Dovecot refuses mail access as root; it then cannot take the uidlist lock and says
//! so on stderr, which does not matter for reading.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use super::tests::{Scratch, put};
use super::*;

fn doveadm(data: &Path, user: &str, args: &[&str]) -> String {
    let home = data.join(user);
    let conf = data.join("dovecot.conf");
    let run = data.join("dovecot-run");
    fs::create_dir_all(&run).unwrap();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut text = format!(
        "base_dir = {run}\nstate_dir = {run}\nlog_path = /dev/stderr\nssl = no\n\
         mail_location = maildir:{home}/Maildir:INDEX=MEMORY\n",
        run = run.display(),
        home = home.display()
    );
    if root {
        text.push_str("mail_uid = nobody\nmail_gid = nogroup\n");
    }
    fs::write(&conf, text).unwrap();
    let out = Command::new("doveadm")
        .arg("-c")
        .arg(&conf)
        .args(args)
        .env("USER", user)
        .env("HOME", &home)
        .output()
        .expect("doveadm (apt-get install dovecot-core)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "doveadm {args:?}: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
#[ignore = "needs dovecot: doveadm from dovecot-core (bash examples/interop/ci-dovecot.sh, or start-peers.sh)"]
fn doveadm_reads_what_the_store_wrote() {
    // Asking for this test is asking for the Dovecot peer, as in pop3_client_dovecot.rs.
    mail_sansio::testing::PeersEnv::load("ci-dovecot.sh").require("MAILSANSIO_DOVECOT_POP3");
    let dir = Scratch::new("doveadm");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    for n in 0..4 {
        put(
            &account,
            INBOX,
            &format!("Subject: m{n}\r\n\r\nbody {n}\r\n"),
        );
    }
    let deleted = Flags::new().with(Flag::Deleted);
    account
        .set_flags(INBOX, &[2], FlagOp::Add, &deleted, None)
        .unwrap();
    account.expunge(INBOX, None).unwrap();
    let flags = Flags::new()
        .with(Flag::Seen)
        .with(Flag::Answered)
        .with_keyword("$Forwarded");
    account
        .set_flags(INBOX, &[3], FlagOp::Add, &flags, None)
        .unwrap();
    account
        .set_flags(
            INBOX,
            &[4],
            FlagOp::Add,
            &Flags::new().with(Flag::Flagged),
            None,
        )
        .unwrap();
    account.create_folder("Archive.2026").unwrap();
    account.create_folder("Été").unwrap();
    let date = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    account
        .append(
            "Archive.2026",
            &b"Subject: old\r\n\r\nx\r\n"[..],
            Some(date),
            &Flags::new(),
        )
        .unwrap();
    let inbox = account.open(INBOX).unwrap();
    let data = &dir.0;

    let fetched = doveadm(
        data,
        "alice",
        &["fetch", "uid flags", "mailbox", "INBOX", "all"],
    );
    let got: Vec<(String, String)> = fetched
        .split("uid: ")
        .skip(1)
        .map(|rec| {
            let mut lines = rec.lines();
            let uid = lines.next().unwrap().trim().to_owned();
            let flags = lines
                .find_map(|l| l.strip_prefix("flags:"))
                .unwrap_or("")
                .trim()
                .to_owned();
            (uid, flags)
        })
        .collect();
    let want: Vec<(String, String)> = inbox
        .messages
        .iter()
        .map(|m| (m.uid.to_string(), m.flags.to_string()))
        .collect();
    let sorted = |mut v: Vec<(String, String)>| {
        for (_, f) in &mut v {
            let mut words: Vec<&str> = f.split(' ').collect();
            words.sort_unstable();
            *f = words.join(" ");
        }
        v
    };
    assert_eq!(sorted(got), sorted(want), "{fetched}");

    let status = doveadm(
        data,
        "alice",
        &["mailbox", "status", "messages uidnext uidvalidity", "INBOX"],
    );
    assert!(
        status.contains(&format!(
            "messages=3 uidnext={} uidvalidity={}",
            inbox.uidnext, inbox.uidvalidity
        )),
        "{status}"
    );

    let list = doveadm(data, "alice", &["mailbox", "list"]);
    let mut names: Vec<&str> = list.lines().map(str::trim).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Archive",
            "Archive.2026",
            "Drafts",
            "INBOX",
            "Junk",
            "Sent",
            "Trash",
            "Été"
        ],
        "{list}"
    );
    let archived = doveadm(
        data,
        "alice",
        &[
            "fetch",
            "uid date.received",
            "mailbox",
            "Archive.2026",
            "all",
        ],
    );
    assert!(archived.contains("uid: 1"), "{archived}");
    assert!(archived.contains("2023-11-14 22:13:20"), "{archived}");

    // The other way: Dovecot changes flags and expunges, and the store follows.
    let chmod = Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(data)
        .status();
    assert!(chmod.is_ok_and(|s| s.success()));
    doveadm(
        data,
        "alice",
        &["flags", "add", "\\Flagged", "mailbox", "INBOX", "uid", "3"],
    );
    doveadm(data, "alice", &["expunge", "mailbox", "INBOX", "uid", "4"]);
    let mut view = inbox.clone();
    let changes = view.refresh(account.open(INBOX).unwrap());
    assert_eq!(changes.vanished, [4]);
    assert_eq!(changes.flags, [3]);
    let m = view.by_uid(3).unwrap();
    assert!(m.flags.contains(Flag::Flagged) && m.flags.has_keyword("$Forwarded"));
    assert_eq!(put(&account, INBOX, "after\r\n"), inbox.uidnext);
}
