//! Interop with a real Dovecot POP3 server on loopback, started by
//! `examples/interop/ci-dovecot.sh`: plain + STLS and POP3S, CAPA, login, STAT, LIST, UIDL,
//! RETR (byte-identical to the seeded Maildir files), TOP, DELE + QUIT commit.
//!
//! Reads `MAILSANSIO_DOVECOT_POP3*` from the peers env file (`$MAILSANSIO_PEERS_ENV`, default
//! `/tmp/mailsansio-peers.env`). The tests are ignored unless asked for (`-- --ignored`, as
//! `.ci/run` does after `examples/interop/start-peers.sh`), and then fail when the file or
//! the peer is missing. The `Client` is driven over a blocking `TcpStream`, with rustls for
//! TLS: all I/O lives in this test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::disallowed_methods)] // the driver reads the real clock

use mail_sansio::testing::{BlockingConn as Conn, PeersEnv};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_sansio::Session;
use pop3_proto::{
    Client, ClientConfig, ClientEvent, CommandKind, MessageNumber, Password, TlsMode, Username,
};

/// Dovecot sessions of different tests must not interleave (DELE changes the maildrop).
static LOCK: Mutex<()> = Mutex::new(());

struct Peer {
    pop3: String,
    pop3s: String,
    ca: PathBuf,
    user: String,
    pass: String,
    maildir: PathBuf,
}

/// The Dovecot peer; fails the test when it was not started.
fn peer() -> Peer {
    let env = PeersEnv::load("ci-dovecot.sh");
    let get = |k: &str| env.get(k);
    Peer {
        pop3: env.require("MAILSANSIO_DOVECOT_POP3"),
        pop3s: env.require("MAILSANSIO_DOVECOT_POP3S"),
        ca: get("MAILSANSIO_DOVECOT_POP3_CA")
            .unwrap_or_else(|| env.require("MAILSANSIO_DOVECOT_CA"))
            .into(),
        user: get("MAILSANSIO_DOVECOT_POP3_USER").unwrap_or_else(|| "test".into()),
        pass: get("MAILSANSIO_DOVECOT_POP3_PASS").unwrap_or_else(|| "secret".into()),
        maildir: env.require("MAILSANSIO_DOVECOT_POP3_MAILDIR").into(),
    }
}

/// Runs the client's loop over a real socket (the run loop of the crate docs).
struct Driver {
    client: Client,
    conn: Conn,
    ca: PathBuf,
}

impl Driver {
    fn connect(addr: &str, tls: TlsMode, ca: &Path) -> Self {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let conn = if tls == TlsMode::Implicit {
            Conn::tls(tcp, ca)
        } else {
            Conn::Plain(tcp)
        };
        Self {
            client: Client::new(ClientConfig::new(tls), Instant::now()),
            conn,
            ca: ca.to_owned(),
        }
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.client.poll_transmit() {
            if std::env::var("POP3_DEBUG").is_ok() {
                eprintln!("C: {:?}", String::from_utf8_lossy(&bytes));
            }
            self.conn.write_all(&bytes).unwrap();
        }
    }

    /// The next event, doing whatever I/O it takes.
    fn event(&mut self) -> ClientEvent {
        loop {
            self.flush();
            match self.client.poll_event() {
                Ok(Some(event)) => return event,
                Ok(None) => {}
                Err(e) => panic!("client error: {e}"),
            }
            // Parsing may have produced bytes to send (PASS after USER, SASL responses).
            self.flush();
            if self.client.wants_tls() {
                self.conn.upgrade(&self.ca);
                self.client.handle_tls_established(Instant::now());
                continue;
            }
            assert!(
                !self.client.is_closed(),
                "closed while waiting for an event"
            );
            let mut buf = [0u8; 16384];
            let n = self.conn.read(&mut buf).unwrap();
            if n == 0 {
                self.client.handle_eof(Instant::now());
            } else {
                if std::env::var("POP3_DEBUG").is_ok() {
                    eprintln!("S: {:?}", String::from_utf8_lossy(&buf[..n.min(300)]));
                }
                self.client.handle_input(Instant::now(), &buf[..n]);
            }
        }
    }

    /// Events up to and including the first for which `last` is true.
    fn until(&mut self, mut last: impl FnMut(&ClientEvent) -> bool) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        loop {
            let e = self.event();
            if let ClientEvent::Failed { command, text, .. } = &e {
                panic!("{command} failed: {text}");
            }
            let done = last(&e);
            events.push(e);
            if done {
                return events;
            }
        }
    }

    fn completed(&mut self, kind: CommandKind) -> Vec<ClientEvent> {
        self.until(|e| matches!(e, ClientEvent::Completed { command, .. } if *command == kind))
    }

    fn data(&mut self, kind: CommandKind) -> Vec<u8> {
        let mut out = Vec::new();
        for e in self.completed(kind) {
            if let ClientEvent::Data(b) = e {
                out.extend_from_slice(&b);
            }
        }
        out
    }

    fn login(&mut self, peer: &Peer) {
        let ready = self.until(|e| matches!(e, ClientEvent::Ready));
        assert!(
            matches!(ready.first(), Some(ClientEvent::Greeting(_))),
            "{ready:?}"
        );
        assert!(self.client.is_tls());
        let caps = self.client.capabilities().unwrap();
        assert!(
            caps.user() && caps.uidl() && caps.top() && !caps.stls(),
            "{caps:?}"
        );
        self.client
            .login(
                &Username::try_from(peer.user.as_str()).unwrap(),
                &Password::try_from(peer.pass.as_str()).unwrap(),
            )
            .unwrap();
        self.until(|e| matches!(e, ClientEvent::LoggedIn));
    }

    fn stat(&mut self) -> pop3_proto::Stat {
        self.client.stat().unwrap();
        self.completed(CommandKind::Stat)
            .into_iter()
            .find_map(|e| match e {
                ClientEvent::Stat(s) => Some(s),
                _ => None,
            })
            .unwrap()
    }

    fn quit(&mut self) -> Vec<MessageNumber> {
        self.client.quit().unwrap();
        let events = self.until(|e| matches!(e, ClientEvent::Closed { .. }));
        match events.last() {
            Some(ClientEvent::Closed { deleted }) => deleted.clone(),
            _ => unreachable!(),
        }
    }
}

/// Every message file of the Maildir.
fn maildir_files(maildir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                out.push((entry.path(), bytes));
            }
        }
    }
    out
}

/// STAT, LIST, UIDL, RETR of every message (compared with the files), TOP, QUIT.
fn read_everything(addr: &str, tls: TlsMode, peer: &Peer) {
    let mut d = Driver::connect(addr, tls, &peer.ca);
    d.login(peer);
    let stat = d.stat();
    assert!(stat.count >= 4, "{stat:?}");

    d.client.list(None).unwrap();
    let scans: Vec<_> = d
        .completed(CommandKind::List)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Scan(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(scans.len() as u64, stat.count);
    assert_eq!(scans.iter().map(|s| s.size).sum::<u64>(), stat.size);

    d.client.uidl(None).unwrap();
    let uids: Vec<_> = d
        .completed(CommandKind::Uidl)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::UniqueId(u) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(uids.len(), scans.len());

    let files = maildir_files(&peer.maildir);
    let mut seen_dots = false;
    for scan in &scans {
        d.client.retr(scan.number).unwrap();
        let body = d.data(CommandKind::Retr);
        assert_eq!(body.len() as u64, scan.size, "RETR {} size", scan.number);
        assert!(
            files.iter().any(|(_, f)| *f == body),
            "RETR {} matches no Maildir file byte for byte",
            scan.number
        );
        if body.windows(14).any(|w| w == b"\r\n..two dots\r\n") {
            seen_dots = true;
        }
        // TOP n 0: the header and the blank line.
        d.client.top(scan.number, 0).unwrap();
        let top = d.data(CommandKind::Top);
        let end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(top, body[..end], "TOP {} 0", scan.number);
    }
    assert!(seen_dots, "the dot-stuffing message was not retrieved");
    assert_eq!(d.quit(), Vec::<MessageNumber>::new());
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn dovecot_stls_session() {
    let peer = peer();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    read_everything(&peer.pop3, TlsMode::Required, &peer);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn dovecot_pop3s_session() {
    let peer = peer();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    read_everything(&peer.pop3s, TlsMode::Implicit, &peer);
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn dovecot_dele_commits_on_quit_only() {
    let peer = peer();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // A message of our own, so the seeded ones stay for the other tests.
    let stamp = format!(
        "{}.{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let marker = format!("<dele-{stamp}@example.test>");
    let content = format!(
        "From: a@example.test\r\nSubject: delete me\r\nMessage-ID: {marker}\r\n\r\n.dot\r\nbye\r\n"
    );
    // Leftovers of an interrupted run would shift the message numbers.
    for (old, _) in maildir_files(&peer.maildir) {
        if old.to_string_lossy().contains("pop3interop") {
            let _ = std::fs::remove_file(old);
        }
    }
    let path = peer
        .maildir
        .join("new")
        .join(format!("1800000000.{stamp}.pop3interop"));
    if let Err(e) = std::fs::write(&path, &content) {
        panic!(
            "the DELE test writes to the peer's Maildir: {}: {e}",
            path.display()
        );
    }
    let find = || {
        maildir_files(&peer.maildir)
            .into_iter()
            .any(|(_, b)| b.windows(marker.len()).any(|w| w == marker.as_bytes()))
    };

    // DELE then EOF-free RSET: nothing is removed.
    let mut d = Driver::connect(&peer.pop3s, TlsMode::Implicit, &peer.ca);
    d.login(&peer);
    let before = d.stat();
    let n = MessageNumber::new(u32::try_from(before.count).unwrap()).unwrap();
    d.client.retr(n).unwrap();
    assert_eq!(d.data(CommandKind::Retr), content.as_bytes());
    d.client.dele(n).unwrap();
    d.completed(CommandKind::Dele);
    d.client.rset().unwrap();
    d.completed(CommandKind::Rset);
    assert_eq!(d.quit(), Vec::<MessageNumber>::new());
    assert!(find(), "RSET must keep the message");

    // DELE then QUIT: the server commits.
    let mut d = Driver::connect(&peer.pop3, TlsMode::Required, &peer.ca);
    d.login(&peer);
    assert_eq!(d.stat(), before);
    d.client.dele(n).unwrap();
    d.completed(CommandKind::Dele);
    assert_eq!(d.stat().count, before.count - 1);
    assert_eq!(d.quit(), vec![n]);
    assert!(!find(), "QUIT must remove the message");

    let mut d = Driver::connect(&peer.pop3s, TlsMode::Implicit, &peer.ca);
    d.login(&peer);
    assert_eq!(d.stat().count, before.count - 1);
    d.quit();
}
