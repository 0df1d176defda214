//! The store's tests: layout, UIDs, flags, keywords, folders, concurrency, crash safety.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::*;

/// A fresh data directory, removed when dropped.
pub(super) struct Scratch(pub(super) PathBuf);

impl Scratch {
    pub(super) fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("store-{what}-{}", unique_name()));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(super) fn store(&self) -> Store {
        Store::new(self.0.clone())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub(super) fn put(account: &Account, folder: &str, text: &str) -> u32 {
    account
        .append(folder, text.as_bytes(), None, &Flags::new())
        .unwrap()
        .1
}

fn uids(view: &View) -> Vec<u32> {
    view.messages.iter().map(|m| m.uid).collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = ["cur", "new"]
        .iter()
        .filter_map(|s| fs::read_dir(dir.join(s)).ok())
        .flatten()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn dates() {
    let t = UNIX_EPOCH + Duration::from_secs(0);
    assert_eq!(rfc5322_date(t), "Thu, 1 Jan 1970 00:00:00 +0000");
    let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
    assert_eq!(rfc5322_date(t), "Thu, 29 Feb 2024 12:34:56 +0000");
}

#[test]
fn deliver_list_remove_purge() {
    let dir = Scratch::new("deliver");
    let store = dir.store();
    fs::create_dir_all(store.incoming()).unwrap();
    for text in ["one\r\n", "two\r\n"] {
        let f = store.incoming().join(unique_name());
        fs::write(&f, text).unwrap();
        store
            .deliver(&f, &["alice".into(), "bob".into()], "a@b.example")
            .unwrap();
        fs::remove_file(&f).unwrap();
    }
    let alice = store.account("alice");
    let view = alice.open(INBOX).unwrap();
    assert_eq!(uids(&view), [1, 2]);
    assert_eq!(
        alice.read_message(INBOX, 1).unwrap(),
        b"Return-Path: <a@b.example>\r\none\r\n"
    );
    assert_eq!(view.messages[1].size, 33);
    assert!(view.messages[0].recent);
    assert_ne!(view.messages[0].pop3_uidl(), view.messages[1].pop3_uidl());
    // The file names carry the sizes, like Dovecot's.
    let names = files(&store.root.join("alice/Maildir"));
    assert!(names.iter().all(|n| n.ends_with(",S=33,W=33")), "{names:?}");
    assert_eq!(alice.remove(INBOX, &[1]).unwrap(), [1]);
    assert_eq!(uids(&alice.open(INBOX).unwrap()), [2]);
    assert_eq!(uids(&store.account("bob").open(INBOX).unwrap()), [1, 2]);
    assert!(store.purge("bob").unwrap());
    assert!(
        store
            .account("bob")
            .open(INBOX)
            .unwrap()
            .messages
            .is_empty()
    );
}
