//! The IMAP side: IMAP4rev1 with STARTTLS on `--imap-port` (TLS required before login) and
//! over implicit TLS on `--imaps-port`, on the `imap_proto` server machine and the shared
//! store.
//!
//! - `mod.rs`: the session loop (TLS, COMPRESS, the store's change notifications and a
//!   refresh timer for other programs' changes), logins through the same checks as SMTP and
//!   POP3, and the dispatch of the machine's events;
//! - `mailbox.rs`: SELECT/EXAMINE, the updates pushed to a selected session, STORE, COPY,
//!   MOVE, EXPUNGE, CLOSE;
//! - `fetch.rs`: FETCH; `mime.rs`: ENVELOPE, BODYSTRUCTURE and sections (mail-parser);
//! - `search.rs`: SEARCH; `sort.rs`: SORT and THREAD; `folders.rs`: LIST, LSUB, CREATE, DELETE, RENAME,
//!   (UN)SUBSCRIBE, STATUS, NAMESPACE, QUOTA, ID; `append.rs`: APPEND streamed into the
//!   store; `transport.rs`: TCP, TLS and DEFLATE.

mod append;
mod fetch;
mod folders;
mod mailbox;
mod mime;
mod search;
mod sort;
mod transport;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examples::driver::Conn;
use imap_proto::response::{Capability, Code, Text};
use imap_proto::server::{Completion, Server, ServerConfig, ServerEvent, Token};
use imap_proto::types::Atom;
use imap_proto::{Error, TlsMode};
use mail_sansio::Secret;
use mail_sansio::Session;
use mail_sansio::sasl::{Credentials, Mechanism};

use crate::Ctx;
use crate::auth::{self, Outcome, Scram, ScramStart};
use crate::keys;
use crate::store::Account;
use crate::users::{Users, authorise, sasl_settings};

use mailbox::Selected;
use transport::Transport;

/// How long the STARTTLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a selected folder is looked at for changes made by other programs (Dovecot, a
/// MUA on the Maildir, another `mailserver` process); changes made through this store wake
/// the session at once.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Largest APPEND: the same as the largest message SMTP takes.
const APPEND_LIMIT: u64 = 50 * 1024 * 1024;

fn text(s: &str) -> Text {
    Text::try_from(s).unwrap_or_default()
}

/// `NO [code] text`.
pub(super) fn no(code: Option<Code>, what: &str) -> Completion {
    Completion::no(code, text(what))
}

/// The machine's configuration for one port.
pub(crate) fn config(users: &Users, implicit: bool, encrypt: bool) -> ServerConfig {
    let mut config = ServerConfig::compatible(if implicit {
        TlsMode::Implicit
    } else {
        TlsMode::Required
    });
    config.greeting = text("mailserver IMAP ready");
    // PLAIN (the default), LOGIN, and the mechanisms that never send the password itself,
    // when some user's entry can do them (as on the SMTP and POP3 ports); not with --encrypt,
    // where reading mail needs the password to open the user's key (keys.rs).
    config.sasl.push(Mechanism::Login.into());
    if !encrypt && users.offers_cram_md5() {
        config.sasl.push(Mechanism::CramMd5.into());
    }
    if !encrypt && users.offers_scram() {
        config.sasl.push(Mechanism::ScramSha256.into());
    }
    config.append_limit = Some(APPEND_LIMIT);
    let mut other = vec![
        Capability::Children,
        Capability::SpecialUse,
        Capability::ListExtended,
        Capability::ListStatus,
        Capability::StatusSize,
        Capability::Binary,
        Capability::Quota,
        // DISPLAYFROM and DISPLAYTO (RFC 5957), beside SORT.
        Capability::SortDisplay,
    ];
    if let Some(storage) = Atom::from_static("STORAGE") {
        other.push(Capability::QuotaRes(storage));
    }
    config.extensions.other = other;
    config.extensions.sort = true;
    config.extensions.thread = ["REFERENCES", "ORDEREDSUBJECT"]
        .into_iter()
        .filter_map(Atom::from_static)
        .collect();
    config.extensions.searchres = true;
    config.extensions.unauthenticate = true;
    config
}

/// One IMAP connection's application state.
#[derive(Debug)]
pub(crate) struct ImapConn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    service: &'static str,
    /// The logged-in user's mail.
    account: Option<Account>,
    /// The selected folder.
    selected: Option<Selected>,
    /// The APPEND being received.
    append: append::Appending,
    /// A SCRAM exchange whose result the machine has not told.
    scram: Scram,
    /// Set when the session must end with `* BYE` and this text (the selected folder was
    /// recreated under it).
    ending: Option<&'static str>,
}

impl ImapConn {
    fn new(ctx: Arc<Ctx>, peer: SocketAddr, service: &'static str) -> Self {
        Self {
            ctx,
            peer,
            service,
            account: None,
            selected: None,
            append: append::Appending::default(),
            scram: Scram::default(),
            ending: None,
        }
    }

    fn log(&self, what: &str) {
        println!("{} {}: {what}", self.service, self.peer);
    }

    /// The logged-in account (every event after login has one).
    fn account(&self) -> Option<Account> {
        self.account.clone()
    }

    /// Checks a password or a CRAM-MD5 proof, then logs in; `password` (the password
    /// mechanisms) unlocks the user's key (`--encrypt`).
    async fn check(
        &mut self,
        server: &mut Server,
        token: Token,
        user: &str,
        mechanism: &str,
        password: Option<Secret<String>>,
        verify: impl FnOnce(&Users) -> crate::users::Verdict + Send + 'static,
    ) {
        let outcome = auth::check(
            &self.ctx,
            self.service,
            self.peer.ip(),
            user,
            mechanism,
            verify,
        )
        .await;
        self.login(server, token, outcome, password).await;
    }

    /// Logs in a user whose credentials checked out, or says why not (the failure is logged
    /// already).
    async fn login(
        &mut self,
        server: &mut Server,
        token: Token,
        outcome: Outcome,
        password: Option<Secret<String>>,
    ) {
        if self.ctx.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = server.complete(token, no(Some(Code::Unavailable), "shutting down"));
            return;
        }
        let user = match outcome {
            Outcome::Ok(user) => user,
            Outcome::Failed => {
                let _ = server.complete(
                    token,
                    no(Some(Code::AuthenticationFailed), "authentication failed"),
                );
                return;
            }
            Outcome::Locked => {
                let _ = server.complete(
                    token,
                    no(
                        Some(Code::Unavailable),
                        "too many failed logins from your address, try again later",
                    ),
                );
                return;
            }
            Outcome::Unsupported => {
                let _ = server.complete(
                    token,
                    no(
                        Some(Code::AuthenticationFailed),
                        "mechanism not available for this user, use PLAIN or LOGIN",
                    ),
                );
                return;
            }
        };
        let store = self.ctx.store.clone();
        let name = user.clone();
        let ready = tokio::task::spawn_blocking(move || store.ensure_user(&name))
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r);
        if let Err(e) = ready {
            self.log(&format!("cannot open the mailbox of {user}: {e}"));
            let _ = server.complete(token, no(Some(Code::Unavailable), "mailbox unavailable"));
            return;
        }
        // With a key pair, the password opens it for the session (keys.rs).
        let key = match keys::at_login(&self.ctx, &user, password).await {
            Ok(key) => key,
            Err(why) => {
                self.log(&format!("{user} cannot read their mail: {why:?}"));
                let code = match why {
                    keys::Refused::Unavailable => Code::Unavailable,
                    _ => Code::AuthenticationFailed,
                };
                let _ = server.complete(token, no(Some(code), why.text()));
                return;
            }
        };
        self.log(&format!("logged in as {user}"));
        self.account = Some(self.ctx.store.account(&user).with_key(key));
        let _ = server.accept(token);
    }

    async fn on_login_event(&mut self, server: &mut Server, event: ServerEvent) {
        match event {
            ServerEvent::Login { token, credentials } => match credentials {
                Credentials::Password {
                    authzid,
                    authcid,
                    password,
                } => {
                    let name = authcid.clone();
                    let kept = password.clone();
                    self.check(
                        server,
                        token,
                        &authcid,
                        auth::PASSWORD,
                        Some(kept),
                        move |u| {
                            u.check(&name, password.expose())
                                .authorise(authzid.as_deref())
                        },
                    )
                    .await;
                }
                Credentials::CramMd5(proof) => {
                    let name = proof.user().to_owned();
                    self.check(server, token, &name, auth::CRAM_MD5, None, move |u| {
                        u.check_cram_md5(&proof)
                    })
                    .await;
                }
                _ => {
                    let _ = server
                        .complete(token, no(Some(Code::AuthenticationFailed), "not supported"));
                }
            },
            ServerEvent::SaslConfig { token, .. } => match sasl_settings(&self.ctx.domain) {
                Some(config) => {
                    let _ = server.provide_sasl_config(token, config);
                }
                None => {
                    let _ = server.complete(token, no(Some(Code::Unavailable), "try later"));
                }
            },
            ServerEvent::ScramCredentials { token, authcid, .. } => {
                let ip = self.peer.ip();
                match self.scram.start(&self.ctx, self.service, ip, &authcid) {
                    ScramStart::Keys(keys) => {
                        let _ = server.provide_scram_credentials(token, keys);
                    }
                    ScramStart::Locked => self.login(server, token, Outcome::Locked, None).await,
                    ScramStart::Unsupported => {
                        self.login(server, token, Outcome::Unsupported, None).await;
                    }
                    ScramStart::Unavailable => {
                        let _ = server.complete(token, no(Some(Code::Unavailable), "try later"));
                    }
                }
            }
            ServerEvent::SaslAuthenticated {
                token,
                authcid,
                authzid,
            } => {
                let user = self.ctx.users.canonical(&authcid);
                let outcome = match authorise(user, authzid.as_deref()) {
                    Some(user) => Outcome::Ok(user),
                    None => {
                        let ip = self.peer.ip();
                        let delay = self.ctx.guard.fail(self.service, ip, &authcid, auth::SCRAM);
                        tokio::time::sleep(delay).await;
                        Outcome::Failed
                    }
                };
                self.login(server, token, outcome, None).await;
            }
            _ => {}
        }
    }

    /// One event from the machine; a FETCH writes its output to `io` as it goes.
    async fn on_event(&mut self, server: &mut Server, io: &mut Transport, event: ServerEvent) {
        // After SCRAM keys, anything but success means the machine refused the proof.
        if matches!(event, ServerEvent::SaslAuthenticated { .. }) {
            self.scram.succeeded();
        } else {
            let delay = self.scram.settle(&self.ctx, self.service, self.peer.ip());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        if matches!(
            event,
            ServerEvent::Login { .. }
                | ServerEvent::SaslConfig { .. }
                | ServerEvent::ScramCredentials { .. }
                | ServerEvent::SaslAuthenticated { .. }
        ) {
            self.on_login_event(server, event).await;
            return;
        }
        let Some(account) = self.account() else {
            if let Some(token) = event.token() {
                let _ = server.complete(token, no(None, "not logged in"));
            }
            return;
        };
        match event {
            ServerEvent::Select {
                token,
                mailbox,
                read_only,
                params,
            } => {
                self.select(server, &account, token, &mailbox, read_only, params)
                    .await;
            }
            ServerEvent::Fetch {
                token,
                uid,
                uids,
                attributes,
                modifiers,
            } => {
                self.fetch(
                    server,
                    io,
                    &account,
                    token,
                    uid,
                    uids,
                    &attributes,
                    &modifiers,
                )
                .await;
            }
            ServerEvent::Store {
                token,
                uid,
                uids,
                unchanged_since,
                action,
                silent,
                item,
                ..
            } => {
                self.store(
                    server,
                    &account,
                    token,
                    uid,
                    &uids,
                    unchanged_since,
                    action,
                    silent,
                    item,
                )
                .await;
            }
            ServerEvent::Search {
                token,
                charset,
                criteria,
                return_options,
                ..
            } => {
                self.search(
                    server,
                    &account,
                    token,
                    charset.as_ref(),
                    &criteria,
                    return_options.is_some(),
                )
                .await;
            }
            ServerEvent::Sort {
                token,
                criteria,
                charset,
                search,
                ..
            } => {
                self.sort(server, &account, token, &criteria, &charset, &search)
                    .await;
            }
            ServerEvent::Thread {
                token,
                algorithm,
                charset,
                search,
                ..
            } => {
                self.thread(server, &account, token, &algorithm, &charset, &search)
                    .await;
            }
            ServerEvent::Unauthenticate { token } => {
                // RFC 8437: the user's mail, key and selected folder are let go (no
                // expunge); TLS and COMPRESS stay.
                self.append.discard();
                self.selected = None;
                self.account = None;
                self.log(&format!("unauthenticated {}", account.user()));
                let _ = server.accept(token);
            }
            ServerEvent::Copy {
                token,
                uids,
                mailbox,
                moved,
                ..
            } => {
                self.copy(server, &account, token, &uids, &mailbox, moved)
                    .await;
            }
            ServerEvent::Expunge { token, uids } => {
                self.expunge(server, &account, token, uids.as_deref()).await;
            }
            ServerEvent::Close { token, read_only } => {
                self.close(server, &account, token, read_only).await;
            }
            ServerEvent::AppendStart {
                mailbox,
                flags,
                date,
                size,
                ..
            } => {
                self.append_start(&account, &mailbox, &flags, date, size)
                    .await;
            }
            ServerEvent::AppendChunk(bytes) => self.append_chunk(bytes).await,
            ServerEvent::AppendEnd => self.append_end().await,
            ServerEvent::AppendAborted => self.append_aborted(&account).await,
            ServerEvent::Append { token, mailbox, .. } => {
                self.append_done(server, &account, token, &mailbox).await
            }
            ServerEvent::Command { token, body } => {
                self.command(server, &account, token, body).await;
            }
            other => {
                if let Some(token) = other.token() {
                    let _ = server.complete(token, no(Some(Code::Cannot), "not supported"));
                }
            }
        }
    }
}

impl Drop for ImapConn {
    fn drop(&mut self) {
        // A SCRAM exchange the client gave up on after the machine's NO.
        let _ = self.scram.settle(&self.ctx, self.service, self.peer.ip());
    }
}

/// Why a session ended other than by LOGOUT.
#[derive(Debug)]
pub(crate) enum Ended {
    Io(std::io::Error),
    Eof,
    Protocol(Error),
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o: {e}"),
            Self::Eof => f.write_str("connection closed by peer"),
            Self::Protocol(e) => write!(f, "protocol: {e}"),
        }
    }
}

impl From<std::io::Error> for Ended {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Serves one IMAP connection (TLS already up for IMAPS) until it ends.
pub(crate) async fn serve(
    ctx: Arc<Ctx>,
    conn: Conn,
    peer: SocketAddr,
    service: &'static str,
    implicit: bool,
) -> Result<(), Ended> {
    let mut server = Server::new(
        config(&ctx.users, implicit, ctx.store.encrypting()),
        Instant::now(),
    );
    let mut conn_state = ImapConn::new(ctx.clone(), peer, service);
    let mut io = Transport::new(conn);
    let result = run(&ctx, &mut io, &mut server, &mut conn_state).await;
    conn_state.append.discard();
    io.shutdown().await;
    result
}

/// What the session loop woke for.
enum Woke {
    /// The selected folder changed through this store.
    Changed,
    /// Time to look for other programs' changes.
    Timer,
    /// Input (`false`: end of stream).
    Read(bool),
    /// The machine's deadline.
    Deadline,
}

/// Writes out what the machine has queued.
pub(super) async fn flush(io: &mut Transport, server: &mut Server) -> Result<(), Ended> {
    while let Some(bytes) = server.poll_transmit() {
        io.write_all(&bytes).await?;
    }
    Ok(())
}

async fn run(
    ctx: &Ctx,
    io: &mut Transport,
    server: &mut Server,
    conn: &mut ImapConn,
) -> Result<(), Ended> {
    let mut input = Vec::new();
    let mut eof = false;
    let mut next_refresh = tokio::time::Instant::now() + REFRESH_EVERY;
    loop {
        // Write what is queued, then hand every event over; an answer may queue more.
        let failure = loop {
            flush(io, server).await?;
            match server.poll_event() {
                Ok(Some(event)) => conn.on_event(server, io, event).await,
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        flush(io, server).await?;
        if let Some(e) = failure {
            return Err(Ended::Protocol(e));
        }
        if let Some(why) = conn.ending.take() {
            io.write_all(format!("* BYE {why}\r\n").as_bytes()).await?;
            return Ok(());
        }
        if server.wants_tls() {
            io.start_tls(&ctx.acceptor, HANDSHAKE_TIMEOUT).await?;
            server.handle_tls_established(Instant::now());
            continue;
        }
        if server.wants_compression() {
            io.start_deflate();
            server.handle_compression_started(Instant::now());
            continue;
        }
        if server.is_closed() {
            return Ok(());
        }
        if eof {
            return Err(Ended::Eof);
        }
        let deadline = server.poll_timeout();
        let reading = server.wants_input();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let selected = conn.selected.is_some();
        let changed = async {
            match conn.selected.as_mut() {
                Some(s) => s.changed().await,
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            biased;
            () = changed => Woke::Changed,
            () = tokio::time::sleep_until(next_refresh), if selected => Woke::Timer,
            read = io.read(&mut input), if reading => Woke::Read(read?),
            () = sleep => Woke::Deadline,
        };
        match woke {
            Woke::Changed => conn.refresh(server).await,
            Woke::Timer => {
                next_refresh = tokio::time::Instant::now() + REFRESH_EVERY;
                conn.refresh(server).await;
            }
            Woke::Read(true) => server.handle_input(Instant::now(), &input),
            Woke::Read(false) => {
                eof = true;
                server.handle_eof(Instant::now());
            }
            Woke::Deadline => server.handle_timeout(Instant::now()),
        }
    }
}
