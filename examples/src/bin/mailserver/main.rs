//! `mailserver`: a small local mail server on the Sans-IO machines (SMTP, submission, POP3).
//!
//! `cargo run -p examples --bin mailserver` serves on 127.0.0.1:
//!
//! | port | service |
//! |---|---|
//! | 2525 | SMTP for the local domain, STARTTLS offered |
//! | 2587 | submission: STARTTLS required before AUTH, AUTH before MAIL (530 5.7.0) |
//! | 2465 | submission over implicit TLS |
//! | 2110 | POP3, STLS required before login |
//! | 2995 | POP3 over implicit TLS |
//!
//! Mail for `NAME@DOMAIN` goes to `DATA/NAME/Maildir/new` (written to `incoming/`, fsynced,
//! renamed; the 250 reply comes after that), with Return-Path and Received fields.
//! `postmaster@DOMAIN` goes to the user `postmaster`, else to the first user. Mail for other
//! domains is refused without AUTH (`550 5.7.1`); from authenticated clients it is spooled and
//! delivered by MX lookup with opportunistic STARTTLS, retried with backoff, and bounced to
//! the sender on permanent failure (see `relay.rs`). POP3 serves INBOX (`new` and `cur`) and
//! deletes only at QUIT.
//! One mail store (`store/`: Maildir++ as Dovecot lays it out, with UIDs, keywords, modseqs,
//! folders, locks and change notifications) serves SMTP delivery and POP3, and is built for
//! IMAP: what POP3 deletes is gone for every other session.
//! Logs name peers, users and message ids; never passwords or SASL data.

mod args;
mod pop3;
mod relay;
mod smtp;
#[allow(
    dead_code,
    reason = "the store's API is built for the IMAP service (next); SMTP and POP3 use part of it"
)]
mod store;
mod users;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examples::driver::{self, Conn, TlsUpgrade};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use args::{Args, Command};
use smtp::{Service, SmtpConn};
use store::Store;
use users::Users;

/// At most this many connections at once; more are closed at once.
const MAX_CONNECTIONS: usize = 256;
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connections in flight may take to finish after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What every connection shares.
pub(crate) struct Ctx {
    pub(crate) domain: String,
    pub(crate) users: Users,
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
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Smtp(s) => s.name(),
            Self::Pop3 { implicit: false } => "pop3",
            Self::Pop3 { implicit: true } => "pop3s",
        }
    }

    fn implicit_tls(self) -> bool {
        matches!(
            self,
            Self::Smtp(Service::Submissions) | Self::Pop3 { implicit: true }
        )
    }
}

fn smtp_config(ctx: &Ctx, service: Service) -> Result<smtp_proto::ServerConfig, String> {
    let domain = smtp_proto::types::Domain::try_from(ctx.domain.as_str())
        .map_err(|e| format!("bad domain {:?}: {e}", ctx.domain))?;
    let mut config = smtp_proto::ServerConfig::strict(domain);
    // Beside PLAIN and LOGIN, the mechanisms that never send the password itself.
    config.extensions.auth.extend([
        smtp_proto::types::MechanismName::from(mail_sansio::sasl::Mechanism::CramMd5),
        mail_sansio::sasl::Mechanism::ScramSha256.into(),
    ]);
    config.tls = match service {
        Service::Relay => smtp_proto::TlsMode::Opportunistic,
        Service::Submission => smtp_proto::TlsMode::Required,
        Service::Submissions => smtp_proto::TlsMode::Implicit,
    };
    Ok(config)
}

fn pop3_config(implicit: bool) -> pop3_proto::ServerConfig {
    let mut config = pop3_proto::ServerConfig::new(if implicit {
        pop3_proto::TlsMode::Implicit
    } else {
        pop3_proto::TlsMode::Required
    });
    // PLAIN (the default), LOGIN, and the mechanisms that never send the password itself.
    config.sasl.extend([
        mail_sansio::sasl::Mechanism::Login.into(),
        mail_sansio::sasl::Mechanism::CramMd5.into(),
        mail_sansio::sasl::Mechanism::ScramSha256.into(),
    ]);
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
            let mut session = pop3_proto::Server::new(pop3_config(implicit), Instant::now());
            let mut handler = pop3::Pop3Conn::new(ctx.clone(), peer, kind.name());
            driver::run(conn, &mut session, &mut handler, Some(&upgrade))
                .await
                .map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => println!("{} {peer}: closed", kind.name()),
        Err(e) => println!("{} {peer}: closed: {e}", kind.name()),
    }
}

async fn serve(
    ctx: Arc<Ctx>,
    kind: Kind,
    listener: TcpListener,
    limit: Arc<Semaphore>,
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
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            println!("{} {peer}: too many connections, closed", kind.name());
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            connection(ctx, kind, tcp, peer).await;
            drop(permit);
        });
    }
}

fn load_users(args: &Args) -> Result<Users, String> {
    match &args.users {
        Some(path) => Users::load(path),
        None => {
            let (users, name, password) =
                Users::demo(&args.data).map_err(|e| format!("cannot create demo user: {e}"))?;
            println!(
                "demo user: {name}@{} password {password} (from {}; use --users FILE for your own)",
                args.domain,
                args.data.join("demo-users").display()
            );
            Ok(users)
        }
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
        Ok(true) => println!("erased the mailbox of {name} in {}", args.data.display()),
        Ok(false) => println!("{name} has no mailbox in {}", args.data.display()),
        Err(e) => return Err(format!("cannot erase the mailbox of {name}: {e}")),
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

async fn run(args: Args) -> Result<(), String> {
    if let Command::Purge(name) = &args.command {
        return purge(&args, name);
    }
    let data: &Path = &args.data;
    std::fs::create_dir_all(data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let store = Store::new(args.data.clone());
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
    for name in users.names() {
        store
            .ensure_user(name)
            .map_err(|e| format!("cannot create the mailbox of {name}: {e}"))?;
    }
    let acceptor = tls(&args)?;
    let relay = relay::Relay::new(
        &args.data,
        args.domain.clone(),
        args.dns,
        args.relay_port,
        store.clone(),
    )
    .map_err(|e| format!("cannot create the spool: {e}"))?;
    let ctx = Arc::new(Ctx {
        domain: args.domain.clone(),
        users,
        store,
        locks: pop3::Locks::default(),
        acceptor,
        relay,
        stopping: std::sync::atomic::AtomicBool::new(false),
    });
    match args.dns.or_else(examples::mx::system_resolver) {
        Some(dns) => println!(
            "relay: mail for other domains (authenticated clients only) goes by MX, resolver {dns}, port {}",
            args.relay_port
        ),
        None => println!("relay: no resolver (use --dns); mail for other domains stays queued"),
    }
    let relay_task = tokio::spawn(relay::Relay::run(ctx.clone()));
    let services = [
        (args.smtp_port, Kind::Smtp(Service::Relay)),
        (args.submission_port, Kind::Smtp(Service::Submission)),
        (args.smtps_port, Kind::Smtp(Service::Submissions)),
        (args.pop3_port, Kind::Pop3 { implicit: false }),
        (args.pop3s_port, Kind::Pop3 { implicit: true }),
    ];
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
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
            limit.clone(),
            stop_rx.clone(),
        )));
    }
    println!("mail for @{} goes to {}", ctx.domain, data.display());
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
    while limit.available_permits() < MAX_CONNECTIONS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open = MAX_CONNECTIONS - limit.available_permits();
    if open > 0 {
        println!("closing {open} connections still open (their messages were not accepted)");
    }
    relay_task.abort();
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
