//! `mailserver`: a small local mail server on the Sans-IO machines (SMTP, submission, POP3).
//!
//! `cargo run -p examples --bin mailserver` serves on 127.0.0.1:
//!
//! | port | service |
//! |---|---|
//! | 2525 | SMTP for the local domain, STARTTLS offered, no AUTH and no relaying |
//! | 2587 | submission: STARTTLS required before AUTH, AUTH before MAIL (530 5.7.0) |
//! | 2465 | submission over implicit TLS |
//! | 2110 | POP3, STLS required before login |
//! | 2995 | POP3 over implicit TLS |
//!
//! Mail for `NAME@DOMAIN` goes to `DATA/NAME/Maildir/new` (written once into the Maildir's
//! `tmp/`, then fsynced, renamed and the directory fsynced, the fsyncs shared with the
//! other deliveries of the moment where they can be; the 250 reply comes after that, see
//! `store/commit.rs`), with Return-Path and Received fields.
//! `postmaster@DOMAIN` goes to the user `postmaster`, else to the first user. Mail for other
//! domains is refused on 2525 (`550 5.7.1`); from authenticated clients on the submission
//! ports it is spooled and delivered by MX lookup with opportunistic STARTTLS, retried with
//! backoff, and bounced to the sender on permanent failure (see `relay.rs`). A submitted
//! message's envelope sender and `From:` must be the user's (see `aliases.rs`). POP3 serves
//! INBOX (`new` and `cur`) and deletes only at QUIT.
//!
//! Users come from a Dovecot passwd-file (`users.rs`; `admin.rs` adds and removes them);
//! failed logins are slowed and locked out per address, and connections capped (`abuse.rs`).
//! Everything under the data directory is created 0600 (files) and 0700 (directories): the
//! process umask is 077.
//! One mail store (`store/`: Maildir++ as Dovecot lays it out, with UIDs, keywords, modseqs,
//! folders, locks and change notifications) serves SMTP delivery and POP3, and is built for
//! IMAP: what POP3 deletes is gone for every other session.
//! Logs name peers, users and message ids; never passwords or SASL data.

mod abuse;
mod admin;
mod aliases;
mod args;
mod audit;
mod auth;
mod deliver;
mod export;
mod imap;
mod keys;
mod lmtp;
mod pop3;
mod relay;
mod retention;
mod smtp;
mod store;
mod users;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use examples::driver::{self, Conn, TlsUpgrade};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use abuse::{Full, Guard};
use aliases::Aliases;
use args::{Args, Command};
use smtp::{Service, SmtpConn};
use store::Store;
use users::Users;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connections in flight may take to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Connections over a cap that are told so (421 or `-ERR [SYS/TEMP]`) at once; more are
/// closed without a word.
const REFUSALS_AT_ONCE: usize = 64;
/// How long telling one of them may take (the TLS handshake on the implicit-TLS ports too).
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);

/// What every connection shares.
pub(crate) struct Ctx {
    pub(crate) domain: String,
    pub(crate) users: Users,
    /// Who may send as what (`--aliases`).
    pub(crate) aliases: Aliases,
    /// Login failures and connection counts per address.
    pub(crate) guard: Arc<Guard>,
    pub(crate) store: Store,
    pub(crate) locks: pop3::Locks,
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) relay: relay::Relay,
    /// Set on Ctrl-C: sessions still open finish what they started but start nothing new.
    pub(crate) stopping: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("domain", &self.domain)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Smtp(Service),
    Pop3 { implicit: bool },
    Imap { implicit: bool },
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Smtp(s) => s.name(),
            Self::Pop3 { implicit: false } => "pop3",
            Self::Pop3 { implicit: true } => "pop3s",
            Self::Imap { implicit: false } => "imap",
            Self::Imap { implicit: true } => "imaps",
        }
    }

    fn implicit_tls(self) -> bool {
        matches!(
            self,
            Self::Smtp(Service::Submissions)
                | Self::Pop3 { implicit: true }
                | Self::Imap { implicit: true }
        )
    }
}

fn smtp_config(ctx: &Ctx, service: Service) -> Result<smtp_proto::ServerConfig, String> {
    let domain = smtp_proto::types::Domain::try_from(ctx.domain.as_str())
        .map_err(|e| format!("bad domain {:?}: {e}", ctx.domain))?;
    let mut config = smtp_proto::ServerConfig::strict(domain);
    if service == Service::Relay {
        // The relay-in port takes mail for the local domain only: no AUTH at all (so no
        // AUTH line in EHLO, and `504 5.5.4` to AUTH, before and after STARTTLS: with no
        // mechanism, lifting the TLS requirement offers nothing).
        config.extensions.auth.clear();
        config.dangerous_plaintext_auth = true;
    } else {
        // Beside PLAIN and LOGIN, the mechanisms that never send the password itself, when
        // some user's entry can do them.
        config.extensions.auth.extend(extra_mechanisms(&ctx.users));
    }
    config.tls = match service {
        Service::Relay => smtp_proto::TlsMode::Opportunistic,
        Service::Submission => smtp_proto::TlsMode::Required,
        Service::Submissions => smtp_proto::TlsMode::Implicit,
    };
    Ok(config)
}

/// CRAM-MD5 when some user has a plaintext entry, SCRAM-SHA-256 when some user has a
/// plaintext or SCRAM entry (a user whose entry cannot do one is refused at AUTH).
fn extra_mechanisms(users: &Users) -> Vec<smtp_proto::types::MechanismName> {
    let mut m = Vec::new();
    if users.offers_cram_md5() {
        m.push(mail_sansio::sasl::Mechanism::CramMd5.into());
    }
    if users.offers_scram() {
        m.push(mail_sansio::sasl::Mechanism::ScramSha256.into());
    }
    m
}

fn pop3_config(users: &Users, implicit: bool, encrypt: bool) -> pop3_proto::ServerConfig {
    let mut config = pop3_proto::ServerConfig::new(if implicit {
        pop3_proto::TlsMode::Implicit
    } else {
        pop3_proto::TlsMode::Required
    });
    // PLAIN (the default), LOGIN, and the mechanisms that never send the password itself;
    // not with --encrypt, where reading mail needs the password to open the key (keys.rs).
    config.sasl.push(mail_sansio::sasl::Mechanism::Login.into());
    if !encrypt {
        config.sasl.extend(extra_mechanisms(users));
    }
    config
}

async fn connection(ctx: Arc<Ctx>, kind: Kind, tcp: TcpStream, peer: SocketAddr) {
    let conn = if kind.implicit_tls() {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, Conn::accept_tls(tcp, &ctx.acceptor)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                println!("{} {peer}: tls handshake failed: {e}", kind.name());
                return;
            }
            Err(_) => {
                println!("{} {peer}: tls handshake timed out", kind.name());
                return;
            }
        }
    } else {
        Conn::plain(tcp)
    };
    println!("{} {peer}: connected", kind.name());
    let upgrade = TlsUpgrade::Server(ctx.acceptor.clone());
    let result = match kind {
        Kind::Smtp(service) => {
            let config = match smtp_config(&ctx, service) {
                Ok(c) => c,
                Err(e) => {
                    println!("{e}");
                    return;
                }
            };
            let mut session = smtp_proto::Server::new(config, Instant::now());
            let mut handler = SmtpConn::new(ctx.clone(), peer, service);
            driver::run(conn, &mut session, &mut handler, Some(&upgrade))
                .await
                .map_err(|e| e.to_string())
        }
        Kind::Pop3 { implicit } => {
            let config = pop3_config(&ctx.users, implicit, ctx.store.encrypting());
            let mut session = pop3_proto::Server::new(config, Instant::now());
            let mut handler = pop3::Pop3Conn::new(ctx.clone(), peer, kind.name());
            driver::run(conn, &mut session, &mut handler, Some(&upgrade))
                .await
                .map_err(|e| e.to_string())
        }
        Kind::Imap { implicit } => imap::serve(ctx.clone(), conn, peer, kind.name(), implicit)
            .await
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => println!("{} {peer}: closed", kind.name()),
        Err(e) => println!("{} {peer}: closed: {e}", kind.name()),
    }
}

/// Tells a connection over a cap so in its protocol (over TLS on the implicit-TLS ports),
/// then closes it.
async fn refuse(ctx: Arc<Ctx>, kind: Kind, tcp: TcpStream, full: Full) {
    let why = match full {
        Full::Total => "too many connections",
        Full::Address => "too many connections from your address",
    };
    let line = match kind {
        Kind::Smtp(_) => format!("421 4.7.0 {} {why}, try again later\r\n", ctx.domain),
        Kind::Pop3 { .. } => format!("-ERR [SYS/TEMP] {why}, try again later\r\n"),
        Kind::Imap { .. } => format!("* BYE [UNAVAILABLE] {why}, try again later\r\n"),
    };
    let tell = async {
        if kind.implicit_tls() {
            let mut tls = ctx.acceptor.accept(tcp).await?;
            tls.write_all(line.as_bytes()).await?;
            tls.flush().await?;
            tls.shutdown().await
        } else {
            let mut tcp = tcp;
            tcp.write_all(line.as_bytes()).await?;
            tcp.shutdown().await
        }
    };
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, tell).await;
}

async fn serve(
    ctx: Arc<Ctx>,
    kind: Kind,
    listener: TcpListener,
    refusals: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                println!("{}: accept failed: {e}", kind.name());
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let permit = match ctx.guard.admit(peer.ip()) {
            Ok(p) => p,
            Err(full) => {
                let p = ctx.guard.policy();
                let (what, n) = match full {
                    Full::Total => ("in total", p.max_connections),
                    Full::Address => ("from this address", p.max_per_address),
                };
                println!(
                    "{} {peer}: refused: {n} connections open {what}",
                    kind.name()
                );
                if let Ok(slot) = refusals.clone().try_acquire_owned() {
                    let ctx = ctx.clone();
                    tokio::spawn(async move {
                        refuse(ctx, kind, tcp, full).await;
                        drop(slot);
                    });
                }
                continue;
            }
        };
        // Replies are whole lines written at once: none should wait for an ACK (Nagle).
        let _ = tcp.set_nodelay(true);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            connection(ctx, kind, tcp, peer).await;
            drop(permit);
        });
    }
}

/// Creates every user's mailbox where missing. A new mailbox is a score of fsyncs: done by
/// several threads at once, whose fsyncs the disk takes together (ten thousand new users
/// took minutes one by one).
fn ensure_users(store: &Store, users: &Users) -> Result<(), String> {
    const THREADS: usize = 16;
    let names: Vec<&str> = users.names().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..THREADS.min(names.len()) {
            s.spawn(|| {
                while let Some(name) = names.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Err(e) = store.ensure_user(name) {
                        let mut failed = failed.lock().unwrap_or_else(PoisonError::into_inner);
                        failed.get_or_insert(format!("cannot create the mailbox of {name}: {e}"));
                        next.store(names.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    match failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn load_users(args: &Args) -> Result<Users, String> {
    match &args.users {
        Some(path) => {
            let users = Users::load(path)?;
            let mode = std::fs::metadata(path).map_or(0, |m| m.permissions().mode());
            if mode & 0o077 != 0 {
                println!(
                    "warning: {} can be read by other users (mode {:o}): chmod 600 it",
                    path.display(),
                    mode & 0o777
                );
            }
            let plain = users.plaintext();
            if !plain.is_empty() {
                println!(
                    "warning: {}: plaintext passwords for {}; hash them with `mailserver --users {} adduser NAME`",
                    path.display(),
                    plain.join(", "),
                    path.display()
                );
            }
            Ok(users)
        }
        None => {
            let (users, name, created) =
                Users::demo(&args.data).map_err(|e| format!("cannot create demo user: {e}"))?;
            let file = args.data.join("demo-users");
            match created {
                // Printed once, when it is made: not in every later log.
                Some(password) => println!(
                    "demo user: {name}@{} password {password} (new; kept in {}, mode 0600; use --users FILE for your own)",
                    args.domain,
                    file.display()
                ),
                None => println!(
                    "demo user: {name}@{}, password in {} (use --users FILE for your own)",
                    args.domain,
                    file.display()
                ),
            }
            Ok(users)
        }
    }
}

/// Raises the open-file limit to what the connection cap needs (a connection is a socket,
/// and a file while a message is written or read: counted for one in two, as an idle
/// connection has none); lowers the cap when the limit cannot be raised.
fn open_files(policy: &mut abuse::Policy) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let connections = policy.max_connections as u64;
    let want = connections.saturating_add(connections / 2) + 64;
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= want {
        return;
    }
    let raised = limit.maximum.unwrap_or(u64::MAX).min(want);
    let have = if raised > current
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        )
        .is_ok()
    {
        raised
    } else {
        current
    };
    if have < want {
        let cap = usize::try_from(have.saturating_sub(64) * 2 / 3)
            .unwrap_or(1)
            .max(1);
        println!(
            "warning: the open-file limit is {have}: --max-connections lowered from {} to {cap}",
            policy.max_connections
        );
        policy.max_connections = cap;
    }
}

fn tls(args: &Args) -> Result<TlsAcceptor, String> {
    let (cert, key) = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => {
            let names = vec![
                "localhost".to_owned(),
                args.domain.clone(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ];
            let files = examples::tls::self_signed(&args.data.join("tls"), &names)
                .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
            println!(
                "tls: self-signed certificate {} ({})",
                files.cert.display(),
                if files.created { "new" } else { "kept" }
            );
            (files.cert, files.key)
        }
    };
    examples::tls::acceptor(&cert, &key)
        .map_err(|e| format!("cannot load {} / {}: {e}", cert.display(), key.display()))
}

fn purge(args: &Args, name: &str) -> Result<(), String> {
    let name = name.to_ascii_lowercase();
    if !users::valid_name(&name) {
        return Err(format!("{name:?} is not a valid user name"));
    }
    let store = Store::new(args.data.clone());
    match store.purge(&name) {
        Ok(true) => {
            audit::note(&args.data, "purge", Some(&name), "");
            println!("erased the mailbox of {name} in {}", args.data.display())
        }
        Ok(false) => println!("{name} has no mailbox in {}", args.data.display()),
        Err(e) => return Err(format!("cannot erase the mailbox of {name}: {e}")),
    }
    Ok(())
}

/// `export NAME`: the mbox on stdout, what was done on stderr.
fn export(args: &Args, name: &str) -> Result<(), String> {
    let name = name.to_ascii_lowercase();
    if !users::valid_name(&name) {
        return Err(format!("{name:?} is not a valid user name"));
    }
    if !args.data.join(&name).join("Maildir").is_dir() {
        return Err(format!("{name} has no mailbox in {}", args.data.display()));
    }
    let store = Store::new(args.data.clone()).with_encryption(args.encrypt);
    let key = export::unlock(&store, &name, || {
        admin::ask_password(&format!("password for {name}: "))
    })?;
    let account = store.account(&name).with_key(key);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let count = export::mbox(&account, &mut out)?;
    audit::note(
        &args.data,
        "export",
        Some(&name),
        &format!("messages={count}"),
    );
    eprintln!("exported {count} messages of {name}");
    Ok(())
}

/// With `--encrypt`: key pairs for the users whose password the users file holds; the
/// others get theirs at their first login with a password (mail for them waits until then).
fn ensure_keys(store: &Store, users: &Users) -> Result<(), String> {
    let mut waiting = Vec::new();
    for name in users.names() {
        if store.has_key(name) {
            continue;
        }
        match users.plaintext_password(name) {
            Some(password) => {
                store
                    .create_key(name, password.expose())
                    .map_err(|e| format!("cannot make the key pair of {name}: {e}"))?;
                println!("keys: made the key pair of {name}");
            }
            None => waiting.push(name),
        }
    }
    if !waiting.is_empty() {
        println!(
            "warning: no key pair yet for {}: mail for them is refused for now (451) until \
             their first POP3 or IMAP login with a password, or \
             `mailserver --encrypt adduser NAME`",
            waiting.join(", ")
        );
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn run(mut args: Args) -> Result<(), String> {
    // Mail, the spool, the users file, keys: nobody but this user reads what is made here.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    match &args.command {
        Command::Serve => {}
        Command::Purge(name) => return purge(&args, name),
        Command::Export(name) => return export(&args, name),
        Command::AddUser(name) | Command::DelUser(name) | Command::Passwd(name) => {
            let Some(path) = &args.users else {
                return Err("adduser, deluser and passwd need --users FILE".to_owned());
            };
            // The key pairs (--encrypt) and the audit log are in the data directory.
            let store = Store::new(args.data.clone()).with_encryption(args.encrypt);
            let (done, action) = match &args.command {
                Command::AddUser(_) => {
                    (admin::adduser(path, name, args.scheme, &store)?, "adduser")
                }
                Command::Passwd(_) => (admin::passwd(path, name, args.scheme, &store)?, "passwd"),
                _ => (admin::deluser(path, name)?, "deluser"),
            };
            audit::note(&args.data, action, Some(&name.to_ascii_lowercase()), "");
            println!("{done}");
            return Ok(());
        }
    }
    let data: &Path = &args.data;
    std::fs::create_dir_all(data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    // A directory made by an older version (0755) is closed now; what is in it then cannot
    // be reached by others either.
    if users::tighten(data, 0o700).map_err(|e| format!("cannot chmod {}: {e}", data.display()))? {
        println!("{}: permissions set to 0700", data.display());
    }
    let store = Store::new(args.data.clone())
        .with_quota(args.quota)
        .with_encryption(args.encrypt);
    std::fs::create_dir_all(store.incoming())
        .map_err(|e| format!("cannot create {}: {e}", store.incoming().display()))?;
    // What a killed process left: unfinished deliveries, half-written control files.
    match store.recover() {
        Ok(r) if r != store::Recovered::default() => println!(
            "store: removed {} unfinished messages and {} stale temp or lock files",
            r.messages, r.control
        ),
        Ok(_) => {}
        Err(e) => println!("store: cleanup at start failed: {e}"),
    }
    let users = load_users(&args)?;
    let aliases = match &args.aliases {
        Some(path) => {
            let a = Aliases::load(path, &users)?;
            println!("aliases: {} entries from {}", a.len(), path.display());
            a
        }
        None => Aliases::default(),
    };
    open_files(&mut args.policy);
    ensure_users(&store, &users)?;
    if args.encrypt {
        ensure_keys(&store, &users)?;
        println!(
            "encryption at rest: new mail is encrypted to each user's key (age), which opens \
             with their password only"
        );
    }
    let acceptor = tls(&args)?;
    let relay = relay::Relay::new(
        &args.data,
        args.domain.clone(),
        args.dns,
        args.relay_port,
        store.clone(),
    )
    .map(|r| r.with_lmtp(args.deliver.clone()))
    .map_err(|e| format!("cannot create the spool: {e}"))?;
    let ctx = Arc::new(Ctx {
        domain: args.domain.clone(),
        users,
        aliases,
        guard: Arc::new(Guard::new(args.policy.clone())),
        store,
        locks: pop3::Locks::default(),
        acceptor,
        relay,
        stopping: std::sync::atomic::AtomicBool::new(false),
    });
    match args.dns.or_else(examples::mx::system_resolver) {
        Some(dns) => println!(
            "relay: mail for other domains (authenticated submission only) goes by MX, resolver {dns}, port {}",
            args.relay_port
        ),
        None => println!("relay: no resolver (use --dns); mail for other domains stays queued"),
    }
    // Old mail goes before anything is served, then every hour.
    let retention_task = match args.retain_days {
        Some(days) => Some(retention::start(ctx.clone(), data, days).await),
        None => None,
    };
    let relay_task = tokio::spawn(relay::Relay::run(ctx.clone()));
    let services = [
        (args.smtp_port, Kind::Smtp(Service::Relay)),
        (args.submission_port, Kind::Smtp(Service::Submission)),
        (args.smtps_port, Kind::Smtp(Service::Submissions)),
        (args.pop3_port, Kind::Pop3 { implicit: false }),
        (args.pop3s_port, Kind::Pop3 { implicit: true }),
        (args.imap_port, Kind::Imap { implicit: false }),
        (args.imaps_port, Kind::Imap { implicit: true }),
    ];
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut listeners = Vec::new();
    for (port, kind) in services {
        if port == 0 {
            continue;
        }
        let addr = SocketAddr::new(args.listen, port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} ({}): {e}", kind.name()))?;
        println!("listening: {} on {addr}", kind.name());
        listeners.push(tokio::spawn(serve(
            ctx.clone(),
            kind,
            listener,
            refusals.clone(),
            stop_rx.clone(),
        )));
    }
    if args.lmtp_port != 0 {
        listeners.push(lmtp::listen(ctx.clone(), args.lmtp_port, stop_rx.clone()).await?);
    }
    match &args.deliver {
        Some(target) => println!("mail for @{} goes to {target} (LMTP)", ctx.domain),
        None => println!("mail for @{} goes to {}", ctx.domain, data.display()),
    }
    if let Some(quota) = args.quota {
        println!("quota: {quota} octets per user");
    }
    shutdown_signal().await;
    println!("shutting down: no new connections; waiting for those in flight");
    let _ = stop_tx.send(true);
    ctx.stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    for l in listeners {
        let _ = l.await;
    }
    // Accepted mail is already on disk; transactions still open were never acknowledged.
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while ctx.guard.open() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open = ctx.guard.open();
    if open > 0 {
        println!("closing {open} connections still open (their messages were not accepted)");
    }
    relay_task.abort();
    if let Some(task) = retention_task {
        task.abort();
    }
    println!("bye");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(64);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailserver: {e}");
            ExitCode::FAILURE
        }
    }
}
