//! Real IMAP clients from Debian against `mailserver`, over STARTTLS and implicit TLS, each
//! scripted and checked by what it stored or printed, and the server's side checked with
//! `imap-client`:
//!
//! - mbsync (isync): a two-way sync of INBOX, Sent, Drafts and a folder it creates; the run
//!   after each sync changes nothing (the same files, the same server state); local flag
//!   changes, a local deletion and new local messages reach the server, server-side ones the
//!   Maildir;
//! - offlineimap3: the same folders into a Maildir, a local flag and message pushed back;
//! - fetchmail: the unseen INBOX messages through an MDA into an mbox, marked \Seen on the
//!   server, nothing fetched the second time;
//! - neomutt under a terminal (`script`): every INBOX message copied to an mbox, one flagged.
//!
//! The clients come from `examples/interop/ci-imap-clients.sh` (start-peers.sh runs it).
//! Each test starts its own `mailserver`. `MAILSANSIO_IMAP_CLIENTS_PEER=dovecot` runs the
//! same checks against the Dovecot of `ci-dovecot-imap.sh` instead (one at a time: they share
//! its account), to tell a client's quirk from a server bug.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use common::MailServer;
use mail_sansio::testing::PeersEnv;

/// Against Dovecot the tests share one account: one at a time.
static DOVECOT: Mutex<()> = Mutex::new(());

/// Where the clients connect, and what they log in with.
struct Target {
    /// The name in the server's certificate (the clients check it), resolving to 127.0.0.1.
    name: &'static str,
    imap: u16,
    imaps: u16,
    /// The certificate to trust (the server's self-signed one, or the peer's CA).
    ca: PathBuf,
    user: String,
    pass: String,
    /// A directory for the clients' configuration, state and mail.
    work: PathBuf,
    server: Option<MailServer>,
    _guard: Option<std::sync::MutexGuard<'static, ()>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    StartTls,
    Implicit,
}

impl Target {
    fn start(test: &str) -> Self {
        PeersEnv::load("ci-imap-clients.sh").require("MAILSANSIO_IMAP_CLIENTS");
        let work = std::env::temp_dir().join(format!(
            "mailsansio-imap-clients-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        if std::env::var("MAILSANSIO_IMAP_CLIENTS_PEER").as_deref() == Ok("dovecot") {
            let guard = DOVECOT
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let env = PeersEnv::load("ci-dovecot-imap.sh");
            let port = |key: &str| -> u16 {
                let addr = env.require(key);
                addr.rsplit_once(':').unwrap().1.parse().unwrap()
            };
            return Self {
                name: "localhost",
                imap: port("MAILSANSIO_DOVECOT_IMAP"),
                imaps: port("MAILSANSIO_DOVECOT_IMAPS"),
                ca: env.require("MAILSANSIO_DOVECOT_IMAP_CA").into(),
                user: env
                    .get("MAILSANSIO_DOVECOT_IMAP_USER")
                    .unwrap_or_else(|| "test".into()),
                pass: env
                    .get("MAILSANSIO_DOVECOT_IMAP_PASS")
                    .unwrap_or_else(|| "secret".into()),
                work,
                server: None,
                _guard: Some(guard),
            };
        }
        let server = MailServer::start();
        let (imap, imaps) = (server.imap, server.imaps);
        Self {
            name: "localhost",
            imap,
            imaps,
            ca: server.ca(),
            user: "alice".into(),
            pass: "secret-a".into(),
            work,
            server: Some(server),
            _guard: None,
        }
    }

    fn port(&self, tls: Tls) -> u16 {
        match tls {
            Tls::StartTls => self.imap,
            Tls::Implicit => self.imaps,
        }
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A file holding the password (read by PassCmd, remotepassfile, ...), mode 0600.
    fn pass_file(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.work.join("pass");
        std::fs::write(&path, format!("{}\n", self.pass)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// `imap-client ARGS` over IMAPS; its stdout. Panics with the server log on failure.
    fn imap(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_imap-client"))
            .args(["--server", &format!("{}:{}", self.name, self.imaps)])
            .args(["--tls", "implicit", "--user", &self.user])
            .arg("--ca")
            .arg(&self.ca)
            .args(args)
            .env("IMAP_PASSWORD", &self.pass)
            .output()
            .unwrap();
        self.check(&format!("imap-client {args:?}"), &out);
        String::from_utf8(out.stdout).unwrap()
    }

    /// Appends a message with a unique subject (and Message-ID) to `folder`, with `flags`.
    fn append(&self, folder: &str, subject: &str, flags: &[&str]) -> u32 {
        let path = self.work.join(format!("{subject}.eml"));
        std::fs::write(&path, message(subject)).unwrap();
        let out = self.imap(&["append", folder, path.to_str().unwrap()]);
        let uid: u32 = out
            .trim()
            .strip_prefix("appended uid ")
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no APPENDUID: {out}"));
        if !flags.is_empty() {
            let uid = uid.to_string();
            let mut args = vec!["flag", folder, &uid];
            let changes: Vec<String> = flags.iter().map(|f| format!("+{f}")).collect();
            args.extend(changes.iter().map(String::as_str));
            self.imap(&args);
        }
        uid
    }

    /// The folder's messages on the server: subject → flags (without `\Recent`, which
    /// depends on who looked first).
    fn folder(&self, folder: &str) -> BTreeMap<String, Vec<String>> {
        self.imap(&["fetch", folder, "1:*"])
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 5, "{line:?}");
                let mut flags: Vec<String> = fields[2]
                    .split(' ')
                    .filter(|f| !f.is_empty() && *f != "\\Recent")
                    .map(str::to_owned)
                    .collect();
                flags.sort();
                (fields[4].to_owned(), flags)
            })
            .collect()
    }

    fn check(&self, what: &str, out: &Output) {
        if !out.status.success() {
            panic!(
                "{what} failed: {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- server log\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.server
                    .as_ref()
                    .map(MailServer::log)
                    .unwrap_or_default()
            );
        }
    }

    /// Runs a client with a private HOME under `dir`, for at most a minute.
    fn client(&self, dir: &Path, program: &str, args: &[&str]) -> Output {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        Command::new("timeout")
            .args(["-k", "5", "60", program])
            .args(args)
            .current_dir(dir)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env_remove("MAIL")
            .env_remove("MAILDIR")
            .env_remove("NETRC")
            .env_remove("FETCHMAILHOME")
            .env_remove("MUTTRC")
            .env_remove("NEOMUTTRC")
            .output()
            .unwrap()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.work);
        }
    }
}

/// A message whose subject (and Message-ID) is `subject`.
fn message(subject: &str) -> String {
    format!(
        "From: Carol <carol@example.test>\r\nTo: Alice <alice@example.test>\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@clients.example.test>\r\n\
         Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nThis is {subject}.\r\n"
    )
}

/// A word unique to this test run, for subjects.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}x{}", std::process::id(), nanos % 1_000_000_000)
}

/// The messages of a Maildir folder: subject → (file name, Maildir flags).
fn maildir(dir: &Path) -> BTreeMap<String, (PathBuf, String)> {
    let mut found = BTreeMap::new();
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let subject = text
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap_or_default()
                .trim_end()
                .to_owned();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let flags = name
                .rsplit_once(":2,")
                .map(|(_, f)| f.to_owned())
                .unwrap_or_default();
            found.insert(subject, (path, flags));
        }
    }
    found
}

/// Every message file under `dir` (relative paths), for "nothing changed".
fn files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if matches!(
                path.parent()
                    .and_then(Path::file_name)
                    .and_then(|n| n.to_str()),
                Some("cur" | "new")
            ) {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Sets Maildir flags on a message file (mbsync and offlineimap read them from the name).
fn set_maildir_flags(path: &Path, flags: &str) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let base = name.split_once(":2,").map_or(name.as_str(), |(b, _)| b);
    let cur = path.parent().unwrap().parent().unwrap().join("cur");
    std::fs::rename(path, cur.join(format!("{base}:2,{flags}"))).unwrap();
}

/// Puts a new message into a Maildir folder, as a local mail client would.
fn deliver_local(folder: &Path, subject: &str) {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(folder.join(sub)).unwrap();
    }
    let name = format!("{}.{subject}.local", run_id());
    std::fs::write(folder.join("new").join(name), message(subject)).unwrap();
}

fn output(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// --- mbsync ---------------------------------------------------------------------------------

fn mbsync(tls: Tls) {
    let t = Target::start(&format!("mbsync-{tls:?}"));
    let d = t.dir("mbsync");
    let id = run_id();
    let s = |n: &str| format!("mbsync-{n}-{id}");
    t.append("INBOX", &s("read"), &["\\Seen"]);
    t.append("INBOX", &s("unread"), &[]);
    t.append("Sent", &s("sent"), &["\\Seen"]);
    t.append("Drafts", &s("draft"), &["\\Draft"]);
    let created = format!("Projects{id}");
    let ssl = match tls {
        Tls::StartTls => "STARTTLS",
        Tls::Implicit => "IMAPS",
    };
    let rc = d.join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount far\nHost {name}\nPort {port}\nUser {user}\nPassCmd \"cat {pass}\"\n\
             SSLType {ssl}\nSSLVersions TLSv1.2 TLSv1.3\nSystemCertificates no\n\
             CertificateFile {ca}\n\n\
             IMAPStore far\nAccount far\n\n\
             MaildirStore near\nPath {mail}/\nInbox {mail}/INBOX\nSubFolders Verbatim\n\n\
             Channel sync\nFar :far:\nNear :near:\nPatterns INBOX Sent Drafts {created}\n\
             Create Both\nExpunge Both\nSync All\nSyncState *\n",
            name = t.name,
            port = t.port(tls),
            user = t.user,
            pass = t.pass_file().display(),
            ca = t.ca.display(),
            mail = d.join("mail").display(),
        ),
    )
    .unwrap();
    let mail = d.join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    let run = |what: &str| {
        let out = t.client(&d, "mbsync", &["-c", rc.to_str().unwrap(), "-a"]);
        t.check(&format!("mbsync {what}"), &out);
    };
    let unchanged = |what: &str| {
        let (local, server) = (files(&mail), folders(&t, &created));
        run(what);
        assert_eq!(files(&mail), local, "{what} changed the Maildir");
        assert_eq!(folders(&t, &created), server, "{what} changed the server");
    };

    // 1: everything pulled, with its flags.
    run("run 1");
    for folder in ["INBOX", "Sent", "Drafts"] {
        let local = maildir(&mail.join(folder));
        let server = t.folder(folder);
        assert_eq!(
            local.keys().collect::<Vec<_>>(),
            server.keys().collect::<Vec<_>>(),
            "{folder}"
        );
    }
    let inbox = maildir(&mail.join("INBOX"));
    assert_eq!(inbox[&s("read")].1, "S");
    assert_eq!(inbox[&s("unread")].1, "");
    assert_eq!(maildir(&mail.join("Drafts"))[&s("draft")].1, "D");
    unchanged("run 2");

    // Changes on both sides: local flags, a local deletion, a new local message and folder;
    // a new server message and a server-side flag.
    set_maildir_flags(&inbox[&s("unread")].0, "FS");
    std::fs::remove_file(&maildir(&mail.join("Sent"))[&s("sent")].0).unwrap();
    deliver_local(&mail.join("Drafts"), &s("local-draft"));
    deliver_local(&mail.join(&created), &s("project"));
    t.append("INBOX", &s("new-on-server"), &[]);
    let draft_uid = t.imap(&["fetch", "Drafts", "1:*"]);
    let draft_uid = draft_uid
        .lines()
        .find(|l| l.ends_with(&s("draft")))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    t.imap(&["flag", "Drafts", &draft_uid, "+\\Flagged"]);

    run("run 3");
    let inbox = t.folder("INBOX");
    assert_eq!(inbox[&s("unread")], ["\\Flagged", "\\Seen"], "{inbox:?}");
    assert!(!t.folder("Sent").contains_key(&s("sent")), "not expunged");
    assert!(t.folder("Drafts").contains_key(&s("local-draft")));
    assert!(t.folder(&created).contains_key(&s("project")));
    assert!(maildir(&mail.join("INBOX")).contains_key(&s("new-on-server")));
    assert_eq!(maildir(&mail.join("Drafts"))[&s("draft")].1, "DF");
    unchanged("run 4");
}

/// The server's state of the folders mbsync syncs.
fn folders(t: &Target, created: &str) -> Vec<BTreeMap<String, Vec<String>>> {
    let mut all: Vec<_> = ["INBOX", "Sent", "Drafts"]
        .iter()
        .map(|f| t.folder(f))
        .collect();
    let listed = t.imap(&["list"]);
    if listed
        .lines()
        .any(|l| l.split('\t').next() == Some(created))
    {
        all.push(t.folder(created));
    }
    all
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn mbsync_two_way_sync_starttls() {
    mbsync(Tls::StartTls);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn mbsync_two_way_sync_imaps() {
    mbsync(Tls::Implicit);
}

// --- offlineimap ----------------------------------------------------------------------------

fn offlineimap(tls: Tls) {
    let t = Target::start(&format!("offlineimap-{tls:?}"));
    let d = t.dir("offlineimap");
    let id = run_id();
    let s = |n: &str| format!("offlineimap-{n}-{id}");
    t.append("INBOX", &s("read"), &["\\Seen"]);
    t.append("INBOX", &s("unread"), &[]);
    t.append("Sent", &s("sent"), &["\\Seen", "\\Answered"]);
    let mail = d.join("mail");
    let (ssl, starttls) = match tls {
        Tls::StartTls => ("no", "yes"),
        Tls::Implicit => ("yes", "no"),
    };
    let rc = d.join("offlineimaprc");
    std::fs::write(
        &rc,
        format!(
            "[general]\naccounts = test\nmetadata = {meta}\nui = basic\n\n\
             [Account test]\nlocalrepository = local\nremoterepository = remote\n\n\
             [Repository local]\ntype = Maildir\nlocalfolders = {mail}\n\n\
             [Repository remote]\ntype = IMAP\nremotehost = {name}\nremoteport = {port}\n\
             remoteuser = {user}\nremotepassfile = {pass}\nssl = {ssl}\nstarttls = {starttls}\n\
             sslcacertfile = {ca}\nipv6 = no\n\
             folderfilter = lambda f: f in ['INBOX', 'Sent', 'Drafts']\ncreatefolders = False\n",
            meta = d.join("meta").display(),
            mail = mail.display(),
            name = t.name,
            port = t.port(tls),
            user = t.user,
            pass = t.pass_file().display(),
            ca = t.ca.display(),
        ),
    )
    .unwrap();
    let run = |what: &str| {
        let out = t.client(
            &d,
            "offlineimap",
            &["-o", "-u", "basic", "-c", rc.to_str().unwrap()],
        );
        t.check(&format!("offlineimap {what}"), &out);
        let log = output(&out);
        assert!(
            !log.contains("ERROR") && !log.contains("WARNING"),
            "offlineimap {what}: {log}"
        );
    };
    run("run 1");
    for folder in ["INBOX", "Sent", "Drafts"] {
        let local = maildir(&mail.join(folder));
        let server = t.folder(folder);
        assert_eq!(
            local.keys().collect::<Vec<_>>(),
            server.keys().collect::<Vec<_>>(),
            "{folder}"
        );
    }
    let inbox = maildir(&mail.join("INBOX"));
    assert_eq!(inbox[&s("read")].1, "S");
    assert_eq!(inbox[&s("unread")].1, "");
    assert_eq!(maildir(&mail.join("Sent"))[&s("sent")].1, "RS");

    set_maildir_flags(&inbox[&s("unread")].0, "F");
    deliver_local(&mail.join("Drafts"), &s("local-draft"));
    run("run 2");
    assert_eq!(t.folder("INBOX")[&s("unread")], ["\\Flagged"]);
    assert!(t.folder("Drafts").contains_key(&s("local-draft")));

    let (local, server) = (files(&mail), t.folder("INBOX"));
    run("run 3");
    assert_eq!(files(&mail), local, "run 3 changed the Maildir");
    assert_eq!(t.folder("INBOX"), server, "run 3 changed the server");
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn offlineimap_sync_starttls() {
    offlineimap(Tls::StartTls);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn offlineimap_sync_imaps() {
    offlineimap(Tls::Implicit);
}

// --- fetchmail ------------------------------------------------------------------------------

/// The subjects of the messages in an mbox file.
fn mbox_subjects(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut subjects: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Subject: "))
        .map(|s| s.trim_end().to_owned())
        .collect();
    subjects.sort();
    subjects
}

fn fetchmail(tls: Tls) {
    let t = Target::start(&format!("fetchmail-{tls:?}"));
    let d = t.dir("fetchmail");
    let id = run_id();
    let s = |n: &str| format!("fetchmail-{n}-{id}");
    t.append("INBOX", &s("one"), &[]);
    t.append("INBOX", &s("two"), &[]);
    t.append("INBOX", &s("already-read"), &["\\Seen"]);
    let unseen_before: Vec<String> = t
        .folder("INBOX")
        .into_iter()
        .filter(|(_, flags)| !flags.iter().any(|f| f == "\\Seen"))
        .map(|(subject, _)| subject)
        .collect();
    let mbox = d.join("out.mbox");
    // The MDA appends each message to an mbox, "From " lines in bodies quoted.
    let mda = d.join("mda.sh");
    std::fs::write(
        &mda,
        format!(
            "#!/bin/sh\n{{ echo 'From fetchmail  Thu Jan  1 00:00:00 1970'; sed 's/^>*From />&/'; echo; }} >> '{}'\n",
            mbox.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&mda, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let ssl = match tls {
        // Without `ssl`, `sslproto` makes STARTTLS mandatory.
        Tls::StartTls => "",
        Tls::Implicit => "ssl",
    };
    let local_user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned();
    let rc = d.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\nset no syslog\n\
             poll 127.0.0.1 service {port} protocol IMAP\n\
             \x20   user \"{user}\" password \"{pass}\" is \"{local_user}\" here\n\
             \x20   folder INBOX\n    keep\n    {ssl} sslproto 'TLS1.2+'\n    sslcertck\n\
             \x20   sslcertfile \"{ca}\"\n    sslcommonname {name}\n    mda \"{mda}\"\n",
            port = t.port(tls),
            user = t.user,
            pass = t.pass,
            ca = t.ca.display(),
            name = t.name,
            mda = mda.display(),
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let args = [
        "-f",
        rc.to_str().unwrap(),
        "-i",
        d.join("fetchids").to_str().unwrap(),
        "--pidfile",
        d.join("fetchmail.pid").to_str().unwrap(),
    ]
    .map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = t.client(&d, "fetchmail", &args);
    t.check("fetchmail run 1", &out);
    let mut expected = unseen_before.clone();
    expected.sort();
    assert_eq!(mbox_subjects(&mbox), expected, "{}", output(&out));
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert!(text.contains(&format!("This is {}.", s("one"))), "{text}");
    // `keep`: still on the server, now \Seen.
    let inbox = t.folder("INBOX");
    for subject in &unseen_before {
        assert!(inbox[subject].iter().any(|f| f == "\\Seen"), "{inbox:?}");
    }
    // Nothing new: exit 1 ("no mail"), nothing appended.
    let out = t.client(&d, "fetchmail", &args);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    assert_eq!(mbox_subjects(&mbox), expected);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn fetchmail_starttls() {
    fetchmail(Tls::StartTls);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn fetchmail_imaps() {
    fetchmail(Tls::Implicit);
}

// --- neomutt --------------------------------------------------------------------------------

fn neomutt(tls: Tls) {
    let t = Target::start(&format!("neomutt-{tls:?}"));
    let d = t.dir("neomutt");
    let id = run_id();
    let s = |n: &str| format!("neomutt-{n}-{id}");
    t.append("INBOX", &s("one"), &["\\Seen"]);
    t.append("INBOX", &s("flag-me"), &[]);
    let url = match tls {
        Tls::StartTls => format!("imap://{}@{}:{}/INBOX", t.user, t.name, t.imap),
        Tls::Implicit => format!("imaps://{}@{}:{}/INBOX", t.user, t.name, t.imaps),
    };
    let mbox = d.join("out.mbox");
    let rc = d.join("neomuttrc");
    std::fs::write(
        &rc,
        format!(
            "set imap_user = \"{user}\"\nset imap_pass = \"{pass}\"\n\
             set ssl_ca_certificates_file = \"{ca}\"\nset certificate_file = \"{certs}\"\n\
             set ssl_force_tls = yes\nset ssl_starttls = yes\nset ssl_verify_host = yes\n\
             set ssl_verify_dates = yes\nset imap_passive = yes\nset header_cache = \"\"\n\
             set message_cachedir = \"\"\nset folder = \"{dir}\"\nset spoolfile = \"{url}\"\n\
             set mbox_type = mbox\nset record = \"\"\nset move = no\nset confirmcreate = no\n\
             set confirmappend = no\nset quit = yes\nset wait_key = no\nset mark_old = no\n",
            user = t.user,
            pass = t.pass,
            ca = t.ca.display(),
            certs = d.join("certificates").display(),
            dir = d.display(),
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Tag all, copy them to an mbox; flag one; write the changes back; quit. A certificate
    // neomutt cannot verify stops at its accept/reject prompt instead, and the time limit
    // ends it.
    let keys = format!(
        "push '<tag-pattern>~A<enter><tag-prefix><copy-message>{mbox}<enter>\
         <untag-pattern>~A<enter><tag-pattern>~s {flag}<enter><tag-prefix><flag-message>\
         <sync-mailbox><quit>'",
        mbox = mbox.display(),
        flag = s("flag-me"),
    );
    let command = format!("neomutt -n -F '{}' -f '{url}' -e \"{keys}\"", rc.display());
    let out = t.client(&d, "script", &["-qec", &command, "/dev/null"]);
    t.check("neomutt", &out);
    let server = t.folder("INBOX");
    let mut expected: Vec<String> = server.keys().cloned().collect();
    expected.sort();
    assert_eq!(mbox_subjects(&mbox), expected, "{}", output(&out));
    assert!(
        server[&s("flag-me")].iter().any(|f| f == "\\Flagged"),
        "{server:?}\n{}",
        output(&out)
    );
    assert!(!server[&s("one")].iter().any(|f| f == "\\Flagged"));
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn neomutt_starttls() {
    neomutt(Tls::StartTls);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn neomutt_imaps() {
    neomutt(Tls::Implicit);
}
