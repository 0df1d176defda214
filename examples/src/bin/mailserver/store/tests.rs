//! The store's tests: layout, UIDs, flags, keywords, folders, concurrency, crash safety.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    // An IMAP session in IDLE on alice's INBOX (before the folder even exists).
    let mut idle = store.account("alice").watch("inbox").unwrap();
    assert!(!idle.has_changed().unwrap());
    for text in ["one\r\n", "two\r\n"] {
        let f = store.incoming().join(unique_name());
        fs::write(&f, text).unwrap();
        store
            .deliver(&f, &["alice".into(), "bob".into()], "a@b.example")
            .unwrap();
        fs::remove_file(&f).unwrap();
    }
    assert!(idle.has_changed().unwrap());
    idle.mark_unchanged();
    let alice = store.account("alice");
    let view = alice.open(INBOX).unwrap();
    assert_eq!(uids(&view), [1, 2]);
    // Opening a folder changes nothing, so it wakes nobody.
    assert!(!idle.has_changed().unwrap());
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

#[test]
fn uids_persist_across_reopen() {
    let dir = Scratch::new("persist");
    let account = dir.store().account("alice");
    account.ensure_inbox().unwrap();
    for n in 0..3 {
        assert_eq!(put(&account, INBOX, &format!("m{n}\r\n")), n + 1);
    }
    let before = account.open(INBOX).unwrap();
    // A new store: nothing in memory carries over.
    let again = dir.store().account("alice").open(INBOX).unwrap();
    assert_eq!(again.uidvalidity, before.uidvalidity);
    assert_eq!(again.uidnext, 4);
    assert_eq!(uids(&again), [1, 2, 3]);
    assert_eq!(again.highest_modseq, before.highest_modseq);
    let list = fs::read_to_string(dir.0.join("alice/Maildir/dovecot-uidlist")).unwrap();
    let header = list.lines().next().unwrap();
    assert!(
        header.starts_with(&format!("3 V{} N4 G", before.uidvalidity)),
        "{header}"
    );
    let guid = header.rsplit_once(" G").unwrap().1;
    assert_eq!(guid.len(), 32);
    assert!(guid.bytes().all(|b| b.is_ascii_hexdigit()));
    for (line, m) in list.lines().skip(1).zip(&again.messages) {
        assert_eq!(line, format!("{} :{}", m.uid, m.file));
    }
}

#[test]
fn uids_are_never_reused_after_expunge_and_restart() {
    let dir = Scratch::new("reuse");
    let account = dir.store().account("alice");
    account.ensure_inbox().unwrap();
    for n in 0..3 {
        put(&account, INBOX, &format!("m{n}\r\n"));
    }
    let deleted = Flags::new().with(Flag::Deleted);
    account
        .set_flags(INBOX, &[2, 3], FlagOp::Add, &deleted, None)
        .unwrap();
    assert_eq!(account.expunge(INBOX, Some(&[3])).unwrap(), [3]);
    assert_eq!(account.expunge(INBOX, None).unwrap(), [2]);
    let account = dir.store().account("alice");
    assert_eq!(put(&account, INBOX, "m3\r\n"), 4);
    assert_eq!(account.remove(INBOX, &[1, 4]).unwrap(), [1, 4]);
    let account = dir.store().account("alice");
    let view = account.open(INBOX).unwrap();
    assert!(view.messages.is_empty());
    assert_eq!(view.uidnext, 5);
    assert_eq!(put(&account, INBOX, "m4\r\n"), 5);
}

#[test]
fn flags_round_trip_through_file_names() {
    let dir = Scratch::new("flags");
    let account = dir.store().account("alice");
    account.ensure_inbox().unwrap();
    put(&account, INBOX, "a\r\n");
    let md = dir.0.join("alice/Maildir");
    assert_eq!(fs::read_dir(md.join("new")).unwrap().count(), 1);
    let seen_flagged = Flags::new().with(Flag::Seen).with(Flag::Flagged);
    let update = account
        .set_flags(INBOX, &[1], FlagOp::Add, &seen_flagged, None)
        .unwrap();
    assert_eq!(update.changed, [1]);
    // Out of new/, into cur/, letters in ASCII order.
    assert_eq!(fs::read_dir(md.join("new")).unwrap().count(), 0);
    let name = files(&md).pop().unwrap();
    assert!(name.ends_with(":2,FS"), "{name}");
    let all = Flags::new()
        .with(Flag::Answered)
        .with(Flag::Draft)
        .with(Flag::Deleted)
        .with(Flag::Seen)
        .with(Flag::Flagged);
    account
        .set_flags(INBOX, &[1], FlagOp::Replace, &all, None)
        .unwrap();
    assert!(files(&md).pop().unwrap().ends_with(":2,DFRST"));
    let view = dir.store().account("alice").open(INBOX).unwrap();
    assert_eq!(view.messages[0].flags, all);
    assert!(!view.messages[0].recent);
    account
        .set_flags(INBOX, &[1], FlagOp::Remove, &seen_flagged, None)
        .unwrap();
    assert!(files(&md).pop().unwrap().ends_with(":2,DRT"));
    // Letters this store does not know (P: passed) and what follows a comma are kept.
    let old = md.join("cur").join(files(&md).pop().unwrap());
    let base = old
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    fs::rename(&old, md.join("cur").join(format!("{base}:2,PT,xyz"))).unwrap();
    let view = account.open(INBOX).unwrap();
    assert_eq!(view.messages[0].flags, Flags::new().with(Flag::Deleted));
    account
        .set_flags(
            INBOX,
            &[1],
            FlagOp::Add,
            &Flags::new().with(Flag::Seen),
            None,
        )
        .unwrap();
    assert_eq!(files(&md).pop().unwrap(), format!("{base}:2,PST,xyz"));
    assert_eq!(
        account.open(INBOX).unwrap().messages[0].flags.to_string(),
        "\\Deleted \\Seen"
    );
}

#[test]
fn keywords_file() {
    let dir = Scratch::new("keywords");
    let account = dir.store().account("alice");
    account.ensure_inbox().unwrap();
    put(&account, INBOX, "a\r\n");
    put(&account, INBOX, "b\r\n");
    let md = dir.0.join("alice/Maildir");
    // Dovecot wrote this one: keep its letters.
    fs::write(md.join("dovecot-keywords"), "0 $Junk\n2 $NonJunk\n").unwrap();
    let flags = Flags::new()
        .with_keyword("$Forwarded")
        .with_keyword("$junk");
    account
        .set_flags(INBOX, &[1], FlagOp::Add, &flags, None)
        .unwrap();
    assert_eq!(
        fs::read_to_string(md.join("dovecot-keywords")).unwrap(),
        "0 $Junk\n1 $Forwarded\n2 $NonJunk\n"
    );
    let name = files(&md).into_iter().find(|n| n.contains(":2,")).unwrap();
    assert!(name.ends_with(":2,ab"), "{name}");
    let view = account.open(INBOX).unwrap();
    assert_eq!(view.keywords, ["$Junk", "$Forwarded", "$NonJunk"]);
    assert!(view.messages[0].flags.has_keyword("$forwarded"));
    assert_eq!(view.messages[0].flags.keywords(), ["$Forwarded", "$Junk"]);
    assert!(view.can_create_keywords);
    // Fill the alphabet; the 27th keyword fails and changes nothing.
    let mut many = Flags::new();
    for i in 0..23 {
        many.insert_keyword(&format!("k{i}"));
    }
    account
        .set_flags(INBOX, &[2], FlagOp::Add, &many, None)
        .unwrap();
    let before = files(&md);
    let err = account
        .set_flags(
            INBOX,
            &[1, 2],
            FlagOp::Add,
            &Flags::new().with_keyword("one-too-many"),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::TooManyKeywords), "{err:?}");
    assert_eq!(files(&md), before);
    assert!(!account.open(INBOX).unwrap().can_create_keywords);
}

#[test]
fn concurrent_deliveries_from_threads() {
    let dir = Scratch::new("threads");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let account = store.account("alice");
            std::thread::spawn(move || {
                (0..10)
                    .map(|n| put(&account, INBOX, &format!("t{t} n{n}\r\n")))
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut got: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (1..=80).collect::<Vec<u32>>());
    // A second store (another process) sees the same.
    let view = dir.store().account("alice").open(INBOX).unwrap();
    assert_eq!(uids(&view), (1..=80).collect::<Vec<u32>>());
    assert_eq!(view.uidnext, 81);
    assert!(!dir.0.join("alice/Maildir/dovecot-uidlist.lock").exists());
}

#[test]
fn concurrent_flags_and_deliveries_from_two_stores() {
    // Two stores share nothing in memory: only the dotlock keeps them apart.
    let dir = Scratch::new("two-stores");
    dir.store().ensure_user("alice").unwrap();
    let a = dir.store().account("alice");
    let b = dir.store().account("alice");
    let deliver = std::thread::spawn(move || {
        for n in 0..20 {
            put(&a, INBOX, &format!("n{n}\r\n"));
        }
    });
    let seen = Flags::new().with(Flag::Seen);
    for _ in 0..20 {
        let all: Vec<u32> = b
            .open(INBOX)
            .unwrap()
            .messages
            .iter()
            .map(|m| m.uid)
            .collect();
        b.set_flags(INBOX, &all, FlagOp::Add, &seen, None).unwrap();
    }
    deliver.join().unwrap();
    let view = b.open(INBOX).unwrap();
    assert_eq!(uids(&view), (1..=20).collect::<Vec<u32>>());
}

#[test]
fn pop3_delete_is_gone_for_imap() {
    let dir = Scratch::new("pop3");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let imap = store.account("alice");
    for n in 0..3 {
        put(&imap, INBOX, &format!("m{n}\r\n"));
    }
    let mut session = imap.open(INBOX).unwrap();
    let mut wake = imap.watch(INBOX).unwrap();
    // POP3 QUIT after DELE 2, in its own handle.
    let pop3 = store.account("alice");
    assert_eq!(pop3.remove(INBOX, &[2]).unwrap(), [2]);
    assert!(wake.has_changed().unwrap());
    wake.mark_unchanged();
    assert!(matches!(
        imap.read_message(INBOX, 2),
        Err(Error::NoSuchMessage)
    ));
    let fresh = dir.store().account("alice").open(INBOX).unwrap();
    assert_eq!(uids(&fresh), [1, 3]);
    let before = session.highest_modseq;
    let changes = session.refresh(imap.open(INBOX).unwrap());
    assert_eq!(changes.expunged, [2]);
    assert_eq!(changes.vanished, [2]);
    assert_eq!(changes.exists, None);
    let vanished = session.vanished_since(before);
    assert_eq!(vanished.uids, [2]);
    assert!(vanished.complete);
    assert!(session.highest_modseq > before);
    assert_eq!(session.seq_of(3), Some(2));
}

#[test]
fn views_report_other_sessions_changes() {
    let dir = Scratch::new("views");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    for n in 0..4 {
        put(&account, INBOX, &format!("m{n}\r\n"));
    }
    let mut one = account.open(INBOX).unwrap();
    let wake = account.watch(INBOX).unwrap();
    let seen = Flags::new().with(Flag::Seen);
    let update = account
        .set_flags(INBOX, &[2], FlagOp::Add, &seen, None)
        .unwrap();
    let modseq = update.messages[0].2;
    assert!(modseq > one.highest_modseq);
    assert!(wake.has_changed().unwrap());
    // CONDSTORE: unchanged since an older modseq fails for that message only.
    let update = account
        .set_flags(
            INBOX,
            &[2, 3],
            FlagOp::Add,
            &seen.clone().with(Flag::Flagged),
            Some(modseq - 1),
        )
        .unwrap();
    assert_eq!(update.modified, [2]);
    assert_eq!(update.changed, [3]);
    account
        .set_flags(
            INBOX,
            &[1, 4],
            FlagOp::Add,
            &Flags::new().with(Flag::Deleted),
            None,
        )
        .unwrap();
    account.expunge(INBOX, None).unwrap();
    put(&account, INBOX, "m4\r\n");
    let changes = one.refresh(account.open(INBOX).unwrap());
    assert_eq!(changes.expunged, [4, 1]);
    assert_eq!(changes.vanished, [1, 4]);
    assert_eq!(changes.exists, Some(3));
    assert_eq!(changes.flags, [2, 3]);
    assert_eq!(uids(&one), [2, 3, 5]);
    assert!(one.refresh(account.open(INBOX).unwrap()).is_empty());
    let status = account.status(INBOX).unwrap();
    assert_eq!(
        (
            status.messages,
            status.unseen,
            status.uidnext,
            status.deleted
        ),
        (3, 1, 6, 0)
    );
    assert_eq!(status.highest_modseq, one.highest_modseq);
    assert_eq!(status.size, 12);
}

#[test]
fn append_with_date_and_flags_copy_and_move() {
    let dir = Scratch::new("copy");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    let date = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let flags = Flags::new().with(Flag::Seen).with_keyword("$Forwarded");
    let (validity, uid) = account
        .append("Drafts", &b"draft\r\n"[..], Some(date), &flags)
        .unwrap();
    assert_eq!(uid, 1);
    let drafts = account.open("Drafts").unwrap();
    assert_eq!(drafts.uidvalidity, validity);
    assert_eq!(drafts.messages[0].internal_date, date);
    assert_eq!(drafts.messages[0].flags, flags);
    put(&account, "Drafts", "second\r\n");
    // Trash has its own keyword letters: $Label1 takes `a` there first.
    account
        .append(
            "Trash",
            &b"x\r\n"[..],
            None,
            &Flags::new().with_keyword("$Label1"),
        )
        .unwrap();
    let copied = account.copy("Drafts", &[1, 2, 99], "Trash").unwrap();
    assert_eq!(copied.uids, [(1, 2), (2, 3)]);
    assert_eq!(
        copied.uidvalidity,
        account.open("Trash").unwrap().uidvalidity
    );
    let trash = account.open("Trash").unwrap();
    let copy = trash.by_uid(2).unwrap();
    assert_eq!(copy.flags, flags);
    assert_eq!(copy.internal_date, date);
    assert!(copy.file.ends_with(":2,Sb"), "{}", copy.file);
    assert_eq!(account.read_message("Trash", 3).unwrap(), b"second\r\n");
    assert_eq!(account.open("Drafts").unwrap().exists(), 2);
    let moved = account.move_messages("Drafts", &[2], INBOX).unwrap();
    assert_eq!(moved.uids, [(2, 1)]);
    assert_eq!(uids(&account.open("Drafts").unwrap()), [1]);
    assert_eq!(account.read_message(INBOX, 1).unwrap(), b"second\r\n");
    assert!(matches!(
        account.copy("Drafts", &[1], "Nowhere"),
        Err(Error::NoSuchFolder)
    ));
    assert!(matches!(
        account.append("Nowhere", &b"x"[..], None, &Flags::new()),
        Err(Error::NoSuchFolder)
    ));
}

#[test]
fn folders_create_rename_delete_list() {
    let dir = Scratch::new("folders");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    let md = dir.0.join("alice/Maildir");
    let list = account.list_folders().unwrap();
    let names: Vec<&str> = list.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
    let sent = list.iter().find(|f| f.name == "Sent").unwrap();
    assert_eq!(sent.attributes, [Attribute::HasNoChildren, Attribute::Sent]);
    assert!(sent.subscribed);
    assert!(md.join(".Sent/maildirfolder").exists());
    assert_eq!(
        fs::read_to_string(md.join("subscriptions")).unwrap(),
        "V\t2\n\nDrafts\nSent\nTrash\nJunk\n"
    );

    account.create_folder("Archive.2026").unwrap();
    account.create_folder("Été").unwrap();
    assert!(md.join(".Archive.2026/cur").is_dir());
    assert!(md.join(".&AMk-t&AOk-/cur").is_dir());
    assert!(matches!(
        account.create_folder("Été"),
        Err(Error::AlreadyExists)
    ));
    assert!(matches!(
        account.create_folder("inbox"),
        Err(Error::AlreadyExists)
    ));
    for bad in ["", "a..b", ".a", "a.", "a/b", "a%", "x\u{1}"] {
        assert!(
            matches!(account.create_folder(bad), Err(Error::BadName(_))),
            "{bad:?}"
        );
    }
    let list = account.list_folders().unwrap();
    let archive = list.iter().find(|f| f.name == "Archive").unwrap();
    assert_eq!(
        archive.attributes,
        [Attribute::NonExistent, Attribute::HasChildren]
    );
    assert!(list.iter().any(|f| f.name == "Été" && f.exists()));

    put(&account, "Archive.2026", "kept\r\n");
    let validity = account.open("Archive.2026").unwrap().uidvalidity;
    account.create_folder("Archive").unwrap();
    account.rename_folder("Archive", "Old").unwrap();
    assert!(md.join(".Old.2026/cur").is_dir());
    assert!(!md.join(".Archive").exists() && !md.join(".Archive.2026").exists());
    let moved = account.open("Old.2026").unwrap();
    assert_eq!((moved.uidvalidity, uids(&moved)), (validity, vec![1]));
    assert!(matches!(
        account.rename_folder("Old", "Old.x"),
        Err(Error::NotAllowed(_))
    ));
    assert!(matches!(
        account.rename_folder("Old", "Sent"),
        Err(Error::AlreadyExists)
    ));

    account.delete_folder("Old").unwrap();
    assert!(matches!(account.open("Old"), Err(Error::NoSuchFolder)));
    assert_eq!(account.open("Old.2026").unwrap().exists(), 1);
    assert!(matches!(
        account.delete_folder(INBOX),
        Err(Error::NotAllowed(_))
    ));
    assert!(matches!(
        account.delete_folder("Gone"),
        Err(Error::NoSuchFolder)
    ));
    assert_eq!(fs::read_dir(dir.0.join("alice/work")).unwrap().count(), 0);

    // A folder made again gets a new UIDVALIDITY.
    account.delete_folder("Old.2026").unwrap();
    account.create_folder("Old.2026").unwrap();
    assert_ne!(account.open("Old.2026").unwrap().uidvalidity, validity);

    // Subscriptions outlive their folder and are listed \NonExistent.
    account.set_subscribed("Old.2026", true).unwrap();
    account.delete_folder("Old.2026").unwrap();
    let list = account.list_folders().unwrap();
    let gone = list.iter().find(|f| f.name == "Old.2026").unwrap();
    assert!(gone.subscribed && !gone.exists());
    account.set_subscribed("Old.2026", false).unwrap();
    assert!(
        !account
            .subscriptions()
            .unwrap()
            .contains(&"Old.2026".to_owned())
    );

    // RENAME INBOX moves its messages and leaves it empty.
    put(&account, INBOX, "in\r\n");
    account.rename_folder("INBOX", "Saved").unwrap();
    assert_eq!(account.open(INBOX).unwrap().exists(), 0);
    assert_eq!(account.read_message("Saved", 1).unwrap(), b"in\r\n");
}

#[test]
fn crash_leftovers_are_handled_at_start() {
    let dir = Scratch::new("crash");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    put(&account, INBOX, "one\r\n");
    put(&account, INBOX, "two\r\n");
    let md = dir.0.join("alice/Maildir");
    let list_before = fs::read_to_string(md.join("dovecot-uidlist")).unwrap();
    let old = SystemTime::now() - Duration::from_secs(40 * 3600);
    // A delivery killed half-way, long ago, and one in progress now.
    let stale_tmp = md.join("tmp/1.M1P1Q1.mailserver");
    fs::write(&stale_tmp, "half a mess").unwrap();
    fs::File::options()
        .write(true)
        .open(&stale_tmp)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let live_tmp = md.join(".Sent/tmp").join(unique_name());
    fs::write(&live_tmp, "being written").unwrap();
    // A uidlist half written by a process that is gone; a lock it left.
    let temp = md.join("dovecot-uidlist.4000000000.0.mailserver-tmp");
    fs::write(&temp, "3 V1 N9\n1 :garb").unwrap();
    fs::write(md.join("dovecot-uidlist.lock"), "4000000000:mailserver").unwrap();
    // A folder deletion cut off after its rename.
    fs::create_dir_all(
        dir.0
            .join("alice/work/delete.4000000000.3.mailserver-tmp/cur"),
    )
    .unwrap();

    let recovered = dir.store().recover().unwrap();
    assert_eq!(recovered.messages, 1);
    assert_eq!(recovered.control, 3);
    assert!(!stale_tmp.exists() && live_tmp.exists() && !temp.exists());
    assert!(!md.join("dovecot-uidlist.lock").exists());
    assert_eq!(fs::read_dir(dir.0.join("alice/work")).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(md.join("dovecot-uidlist")).unwrap(),
        list_before
    );
    assert_eq!(uids(&account.open(INBOX).unwrap()), [1, 2]);
}

#[test]
fn stale_lock_is_taken_over_and_crash_orders_are_repaired() {
    let dir = Scratch::new("repair");
    let store = dir.store();
    store.ensure_user("alice").unwrap();
    let account = store.account("alice");
    put(&account, INBOX, "one\r\n");
    put(&account, INBOX, "two\r\n");
    let md = dir.0.join("alice/Maildir");
    // A lock of a dead process does not block.
    fs::write(md.join("dovecot-uidlist.lock"), "4000000000:mailserver").unwrap();
    let view = account.open(INBOX).unwrap();
    // Killed after a flag rename, before the modseq file: the name wins, with a new modseq.
    let m = &view.messages[0];
    fs::rename(
        md.join("new").join(&m.file),
        md.join("cur").join(format!("{}:2,S", m.base())),
    )
    .unwrap();
    // Killed after an unlink, before the uidlist: reported expunged at the next sync.
    fs::remove_file(md.join("new").join(&view.messages[1].file)).unwrap();
    // A file dropped in by another program gets the next UID.
    fs::write(md.join("new/1.M1P1Q1.elsewhere"), "three\r\n").unwrap();
    let mut session = view.clone();
    let changes = session.refresh(account.open(INBOX).unwrap());
    assert_eq!(changes.expunged, [2]);
    assert_eq!(changes.flags, [1]);
    assert_eq!(changes.exists, Some(2));
    assert_eq!(uids(&session), [1, 3]);
    assert!(session.messages[0].flags.contains(Flag::Seen));
    assert!(session.messages[0].modseq > m.modseq);
    assert_eq!(session.vanished_since(view.highest_modseq).uids, [2]);
    // The modseq file lost: modseqs restart above any a client saw; VANISHED is unknown.
    fs::remove_file(md.join("mailserver-modseq")).unwrap();
    let reset = account.open(INBOX).unwrap();
    assert!(reset.highest_modseq > session.highest_modseq);
    assert!(!reset.vanished_since(session.highest_modseq).complete);
    // A uidlist that does not parse: a new UIDVALIDITY, and the view says so.
    fs::write(md.join("dovecot-uidlist"), "garbage").unwrap();
    let changes = session.refresh(account.open(INBOX).unwrap());
    assert!(changes.uidvalidity_changed);
}

#[test]
fn modified_utf7_names() {
    for (name, wire) in [
        ("Sent", "Sent"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("Été", "&AMk-t&AOk-"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("😀", "&2D3eAA-"),
    ] {
        assert_eq!(utf7::encode(name), wire);
        assert_eq!(utf7::decode(wire).as_deref(), Some(name));
    }
    assert_eq!(utf7::decode("&Jjo"), None);
    assert_eq!(utf7::decode("é"), None);
}
