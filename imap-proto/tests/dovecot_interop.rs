//! Interop with a real Dovecot IMAP server on loopback, started by
//! `examples/interop/ci-dovecot-imap.sh`: STARTTLS on a 143-style port and implicit TLS on a
//! 993-style port; LOGIN, AUTHENTICATE PLAIN and SCRAM-SHA-256; LIST, SELECT, FETCH with
//! BODYSTRUCTURE and a streamed body, STORE, APPEND, COPY, MOVE, EXPUNGE; IDLE woken by a
//! second connection's APPEND; CONDSTORE/QRESYNC resynchronisation.
//!
//! Reads `MAILSANSIO_DOVECOT_IMAP*` from the peers env file (`$MAILSANSIO_PEERS_ENV`, default
//! `/tmp/mailsansio-peers.env`). The tests are ignored unless asked for (`-- --ignored`, as
//! `.ci/run` does after `examples/interop/start-peers.sh`), and then fail when the file or
//! the peer is missing. The [`Client`] is driven over a blocking `TcpStream`, with rustls for
//! TLS: all I/O lives in this test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
#![allow(clippy::disallowed_methods)] // the driver reads the real clock

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use imap_proto::client::{Client, ClientConfig, ClientEvent};
use imap_proto::command::{Command, CommandBody};
use imap_proto::response::{BodyStructure, Capability, Code, Condition, Data, FetchItem, Payload};
use imap_proto::types::{Mailbox, Tag};
use imap_proto::{Parsed, TlsMode};
use mail_sansio::Session;
use mail_sansio::sasl::{SaslClient, ScramClientConfig};
use mail_sansio::testing::{BlockingConn as Conn, PeersEnv};

/// Tests share one account: they run one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Peer {
    imap: String,
    imaps: String,
    ca: PathBuf,
    user: String,
    pass: String,
}

/// The Dovecot peer; fails the test when it was not started.
fn peer() -> Peer {
    let env = PeersEnv::load("ci-dovecot-imap.sh");
    Peer {
        imap: env.require("MAILSANSIO_DOVECOT_IMAP"),
        imaps: env.require("MAILSANSIO_DOVECOT_IMAPS"),
        ca: env.require("MAILSANSIO_DOVECOT_IMAP_CA").into(),
        user: env
            .get("MAILSANSIO_DOVECOT_IMAP_USER")
            .unwrap_or_else(|| "test".into()),
        pass: env
            .get("MAILSANSIO_DOVECOT_IMAP_PASS")
            .unwrap_or_else(|| "secret".into()),
    }
}

fn debug() -> bool {
    std::env::var("IMAP_DEBUG").is_ok()
}

/// Runs the client's loop over a real socket (the run loop of `mail_sansio::Session`).
struct Driver {
    client: Client,
    conn: Conn,
    ca: PathBuf,
}

impl Driver {
    fn connect(addr: &str, config: ClientConfig, ca: &Path) -> Self {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let conn = if config.tls == TlsMode::Implicit {
            Conn::tls(tcp, ca)
        } else {
            Conn::Plain(tcp)
        };
        let mut d = Self {
            client: Client::new(config, Instant::now()),
            conn,
            ca: ca.to_owned(),
        };
        let events = d.until(|e| matches!(e, ClientEvent::Ready { .. }));
        assert!(d.client.is_tls(), "{events:?}");
        d
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.client.poll_transmit() {
            if debug() {
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
                if debug() {
                    eprintln!("S: {:?}", String::from_utf8_lossy(&buf[..n.min(400)]));
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
            let done = last(&e);
            events.push(e);
            if done {
                return events;
            }
        }
    }

    /// The events of the command with `tag`, its `Completed` last.
    fn finish(&mut self, tag: &Tag) -> Vec<ClientEvent> {
        self.until(|e| matches!(e, ClientEvent::Completed { tag: t, .. } if t == tag))
    }

    /// Sends `line` (a command without its tag), expects OK; returns its events.
    fn ok(&mut self, line: &str) -> Vec<ClientEvent> {
        let tag = self.client.send_command(body(line)).unwrap();
        let events = self.finish(&tag);
        assert!(events.last().unwrap().is_ok(), "{line}: {events:?}");
        events
    }

    fn login(&mut self, peer: &Peer) {
        let tag = self.client.login(&peer.user, &peer.pass).unwrap();
        let events = self.finish(&tag);
        assert!(events.last().unwrap().is_ok(), "{events:?}");
        assert!(self.client.is_authenticated());
    }

    fn logout(mut self) {
        let tag = self.client.logout().unwrap();
        let events = self.finish(&tag);
        assert!(
            events.iter().any(|e| matches!(e, ClientEvent::Bye(_))),
            "{events:?}"
        );
        assert!(self.client.is_closed());
    }
}

/// The command body of `line` (no tag; trace-like `\r\n` not needed: real CRLF allowed).
fn body(line: &str) -> CommandBody {
    let mut bytes = b"X ".to_vec();
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    let Parsed::Complete { value, .. } = Command::decode(&bytes).unwrap() else {
        panic!("incomplete command {line:?}");
    };
    value.body
}

/// A folder name unique to this run and test.
fn folder(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "mailsansio-{test}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn data(events: &[ClientEvent]) -> impl Iterator<Item = &Data> {
    events.iter().filter_map(|e| match e {
        ClientEvent::Data(d) => Some(d),
        _ => None,
    })
}

fn fetches(events: &[ClientEvent]) -> Vec<&imap_proto::response::Fetch> {
    data(events)
        .filter_map(|d| match d {
            Data::Fetch(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn config(tls: TlsMode) -> ClientConfig {
    ClientConfig::new(tls).with_tracking(true)
}

fn nonce() -> String {
    let mut bytes = [0u8; 24];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn message(subject: &str) -> String {
    format!(
        "From: Carol <carol@example.test>\r\nTo: Test <test@example.test>\r\nSubject: {subject}\r\n\r\nBody of {subject}.\r\n"
    )
}

fn append(d: &mut Driver, folder: &str, flags: &str, subject: &str) -> u32 {
    let msg = message(subject);
    let events = d.ok(&format!(
        "APPEND {folder} ({flags}) {{{}}}\r\n{msg}",
        msg.len()
    ));
    match events.last() {
        Some(ClientEvent::Completed {
            code: Some(Code::AppendUid { uids, .. }),
            ..
        }) => uids.iter(u32::MAX).next().unwrap(),
        other => panic!("no APPENDUID: {other:?}"),
    }
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn starttls_login_list_select_fetch_bodystructure() {
    let _guard = lock();
    let peer = peer();
    let mut cfg = config(TlsMode::Required);
    // Stream any literal above 64 octets: the message bodies arrive as chunk events.
    cfg.limits.literal_stream_threshold = 64;
    let mut d = Driver::connect(&peer.imap, cfg, &peer.ca);
    // The plaintext capabilities were forgotten and read again inside TLS.
    let caps = d.client.capabilities().unwrap().to_vec();
    assert!(!caps.contains(&Capability::StartTls), "{caps:?}");
    assert!(caps.contains(&Capability::SaslIr), "{caps:?}");
    d.login(&peer);
    // Dovecot lists more capabilities after login ([CAPABILITY] in the tagged OK).
    assert!(d.client.has_capability(&Capability::Move));
    assert!(d.client.has_capability(&Capability::CondStore));

    let events = d.ok("LIST \"\" *");
    let names: Vec<String> = data(&events)
        .filter_map(|d| match d {
            Data::List(l) => Some(l.mailbox.to_utf8().unwrap()),
            _ => None,
        })
        .collect();
    for name in ["INBOX", "Drafts", "Sent", "Trash"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }

    let events = d.client.examine(Mailbox::Inbox).unwrap();
    let events = d.finish(&events);
    assert!(events.last().unwrap().is_ok(), "{events:?}");
    assert!(d.client.is_read_only());
    let m = d.client.mailbox().unwrap();
    assert!(m.exists() >= 2);
    assert!(m.uid_validity().is_some() && m.uid_next().is_some());

    let events = d.ok("FETCH 1:2 (UID FLAGS ENVELOPE BODYSTRUCTURE)");
    let f = fetches(&events);
    assert_eq!(f.len(), 2, "{events:?}");
    let structure = f[1]
        .items
        .iter()
        .find_map(|i| match i {
            FetchItem::BodyStructure(b) => Some(b),
            _ => None,
        })
        .unwrap();
    let BodyStructure::Multipart { parts, subtype, .. } = structure.as_ref() else {
        panic!("{structure:?}");
    };
    assert!(subtype.as_bytes().eq_ignore_ascii_case(b"mixed"));
    assert_eq!(parts.len(), 2, "{parts:?}");
    let envelope = f[1]
        .items
        .iter()
        .find_map(|i| match i {
            FetchItem::Envelope(e) => Some(e),
            _ => None,
        })
        .unwrap();
    assert!(format!("{:?}", envelope.subject).contains("multipart"));
    let m = d.client.mailbox().unwrap();
    assert!(m.uid(1).is_some() && m.uid(2).is_some());
    assert!(
        m.message(1)
            .unwrap()
            .flags
            .as_ref()
            .unwrap()
            .iter()
            .any(|f| f.to_string() == "\\Seen")
    );

    // The first message, streamed: chunks, then the FETCH with a Streamed payload.
    let events = d.ok("FETCH 1 BODY.PEEK[]");
    let mut body = Vec::new();
    for e in &events {
        if let ClientEvent::LiteralChunk(bytes) = e {
            body.extend_from_slice(bytes);
        }
    }
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with("From: Alice"), "{text}");
    assert!(
        text.ends_with("Hello from the first message.\r\n"),
        "{text}"
    );
    let item = &fetches(&events)[0].items[0];
    assert!(
        matches!(item, FetchItem::BodySection { data: Payload::Streamed { len }, .. } if *len == text.len() as u64),
        "{item:?}"
    );
    d.logout();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn imaps_authenticate_plain() {
    let _guard = lock();
    let peer = peer();
    let mut d = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    let sasl = SaslClient::plain(None, &peer.user, peer.pass.clone()).unwrap();
    let tag = d.client.authenticate(sasl).unwrap();
    let events = d.finish(&tag);
    assert!(events.last().unwrap().is_ok(), "{events:?}");
    assert!(d.client.has_capability(&Capability::Idle));
    d.ok("NOOP");
    d.logout();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn scram_sha_256_both_ports() {
    let _guard = lock();
    let peer = peer();
    for (addr, tls) in [
        (&peer.imaps, TlsMode::Implicit),
        (&peer.imap, TlsMode::Required),
    ] {
        let mut d = Driver::connect(addr, config(tls), &peer.ca);
        let sasl = SaslClient::scram(ScramClientConfig::new(
            &peer.user,
            peer.pass.clone(),
            &nonce(),
        ))
        .unwrap();
        let tag = d.client.authenticate(sasl).unwrap();
        let events = d.finish(&tag);
        // The client checked the server's signature before reporting success.
        assert!(events.last().unwrap().is_ok(), "{events:?}");
        d.ok("STATUS INBOX (MESSAGES UIDNEXT)");
        d.logout();
    }
    // A wrong password is refused without failing the session.
    let mut d = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    let sasl = SaslClient::scram(ScramClientConfig::new(
        &peer.user,
        "wrong".to_owned(),
        &nonce(),
    ))
    .unwrap();
    let tag = d.client.authenticate(sasl).unwrap();
    let events = d.finish(&tag);
    assert!(
        matches!(
            events.last(),
            Some(ClientEvent::Completed {
                condition: Condition::No,
                ..
            })
        ),
        "{events:?}"
    );
    assert!(!d.client.is_authenticated());
    d.logout();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn append_store_copy_move_expunge() {
    let _guard = lock();
    let peer = peer();
    let mut d = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    d.login(&peer);
    let (a, b) = (folder("a"), folder("b"));
    d.ok(&format!("CREATE {a}"));
    d.ok(&format!("CREATE {b}"));
    let uid1 = append(&mut d, &a, "\\Seen", "one");
    let uid2 = append(&mut d, &a, "", "two");
    let uid3 = append(&mut d, &a, "\\Draft", "three");
    assert!(uid1 < uid2 && uid2 < uid3);

    d.ok(&format!("SELECT {a}"));
    assert!(!d.client.is_read_only());
    d.ok("UID FETCH 1:* (UID FLAGS)");
    let m = d.client.mailbox().unwrap();
    assert_eq!(m.exists(), 3);
    assert_eq!(
        (m.uid(1), m.uid(2), m.uid(3)),
        (Some(uid1), Some(uid2), Some(uid3))
    );

    let events = d.ok(&format!("UID STORE {uid2} +FLAGS (\\Flagged $Work)"));
    assert_eq!(fetches(&events).len(), 1, "{events:?}");
    let flags = d
        .client
        .mailbox()
        .unwrap()
        .message(2)
        .unwrap()
        .flags
        .clone();
    let flags: Vec<String> = flags.unwrap().iter().map(ToString::to_string).collect();
    assert!(flags.contains(&"\\Flagged".to_owned()) && flags.contains(&"$Work".to_owned()));

    let events = d.ok(&format!("UID COPY {uid1} {b}"));
    assert!(
        matches!(
            events.last(),
            Some(ClientEvent::Completed {
                code: Some(Code::CopyUid { .. }),
                ..
            })
        ),
        "{events:?}"
    );
    // MOVE: the source message goes away with an EXPUNGE, renumbering the rest.
    d.ok(&format!("UID MOVE {uid2} {b}"));
    let m = d.client.mailbox().unwrap();
    assert_eq!(m.exists(), 2);
    assert_eq!((m.uid(1), m.uid(2)), (Some(uid1), Some(uid3)));

    d.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    let events = d.ok("EXPUNGE");
    assert!(
        data(&events).any(|d| matches!(d, Data::Expunge(1))),
        "{events:?}"
    );
    let m = d.client.mailbox().unwrap();
    assert_eq!(m.exists(), 1);
    assert_eq!(m.uid(1), Some(uid3));
    assert_eq!(m.seq(uid3), Some(1));

    let events = d.ok(&format!("STATUS {b} (MESSAGES)"));
    assert!(format!("{events:?}").contains("Messages(2)"), "{events:?}");
    d.ok("CLOSE");
    assert!(d.client.selected().is_none() && d.client.mailbox().is_none());
    d.ok(&format!("DELETE {a}"));
    d.ok(&format!("DELETE {b}"));
    d.logout();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn idle_woken_by_another_connections_append() {
    let _guard = lock();
    let peer = peer();
    let mut watcher = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    watcher.login(&peer);
    let f = folder("idle");
    watcher.ok(&format!("CREATE {f}"));
    watcher.ok(&format!("SELECT {f}"));
    assert_eq!(watcher.client.mailbox().unwrap().exists(), 0);
    let idle = watcher.client.idle().unwrap();
    watcher.until(|e| matches!(e, ClientEvent::Idling { .. }));

    let mut writer = Driver::connect(&peer.imap, config(TlsMode::Required), &peer.ca);
    writer.login(&peer);
    append(&mut writer, &f, "", "wake up");
    writer.logout();

    let events = watcher.until(|e| matches!(e, ClientEvent::Data(Data::Exists(1))));
    assert!(!events.iter().any(|e| e.tag().is_some()), "{events:?}");
    assert_eq!(watcher.client.mailbox().unwrap().exists(), 1);
    watcher.client.idle_done().unwrap();
    let events = watcher.finish(&idle);
    assert!(events.last().unwrap().is_ok(), "{events:?}");
    watcher.ok("CLOSE");
    watcher.ok(&format!("DELETE {f}"));
    watcher.logout();
}

#[test]
#[ignore = "needs the interop peers: bash examples/interop/start-peers.sh"]
fn condstore_qresync_resync() {
    let _guard = lock();
    let peer = peer();
    let mut d = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    d.login(&peer);
    let f = folder("qresync");
    d.ok(&format!("CREATE {f}"));
    let uids: Vec<u32> = (0..4)
        .map(|i| append(&mut d, &f, "", &format!("m{i}")))
        .collect();
    d.ok("ENABLE QRESYNC");
    assert!(d.client.enabled().contains(&Capability::QResync));
    d.ok(&format!("SELECT {f} (CONDSTORE)"));
    d.ok("UID FETCH 1:* (UID FLAGS MODSEQ)");
    let m = d.client.mailbox().unwrap();
    let validity = m.uid_validity().unwrap();
    let modseq = m.highest_modseq().unwrap();
    assert_eq!(m.exists(), 4);
    d.ok("CLOSE");

    // Another connection changes the folder while this one is away.
    let mut other = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    other.login(&peer);
    other.ok(&format!("SELECT {f}"));
    other.ok(&format!("UID STORE {} +FLAGS.SILENT (\\Flagged)", uids[0]));
    other.ok(&format!("UID STORE {} +FLAGS.SILENT (\\Deleted)", uids[1]));
    other.ok("EXPUNGE");
    other.logout();

    // QRESYNC: only what changed since `modseq` comes back, expunges as VANISHED (EARLIER).
    let known = format!("{}:{}", uids[0], uids[3]);
    let events = d.ok(&format!(
        "SELECT {f} (QRESYNC ({validity} {modseq} {known}))"
    ));
    let vanished: Vec<_> = data(&events)
        .filter_map(|d| match d {
            Data::Vanished { earlier, uids } => Some((*earlier, uids.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(vanished, vec![(true, uids[1].to_string())], "{events:?}");
    let changed = fetches(&events);
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0].uid(), Some(uids[0]));
    let m = d.client.mailbox().unwrap();
    assert_eq!(m.exists(), 3);
    assert!(m.highest_modseq().unwrap() > modseq);
    assert_eq!(m.uid_validity(), Some(validity));

    // An expunge while selected arrives as VANISHED and renumbers the tracker by UID.
    d.ok("UID FETCH 1:* (UID)");
    let mut other = Driver::connect(&peer.imaps, config(TlsMode::Implicit), &peer.ca);
    other.login(&peer);
    other.ok(&format!("SELECT {f}"));
    other.ok(&format!("UID STORE {} +FLAGS.SILENT (\\Deleted)", uids[2]));
    other.ok("EXPUNGE");
    other.logout();
    let events = d.ok("NOOP");
    assert!(
        data(&events).any(|d| matches!(d, Data::Vanished { earlier: false, .. })),
        "{events:?}"
    );
    let m = d.client.mailbox().unwrap();
    assert_eq!(m.exists(), 2);
    assert_eq!((m.uid(1), m.uid(2)), (Some(uids[0]), Some(uids[3])));
    d.ok("CLOSE");
    d.ok(&format!("DELETE {f}"));
    d.logout();
}
