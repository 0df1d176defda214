//! The SMTP side: what the application decides for each `smtp_proto::ServerEvent`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use examples::driver::Handler;
use mail_sansio::sasl::Credentials;
use smtp_proto::types::{ForwardPath, ReversePath};
use smtp_proto::{EnhancedStatusCode, HelloVerb, Reply, ReplyCode, Server, ServerEvent, Token};

use crate::Ctx;
use crate::aliases::from_addresses;
use crate::auth::{self, Outcome, Scram, ScramStart};
use crate::store::{Plain, Sizes, Staged, Store, return_path_field, rfc5322_date, unique_name};
use crate::users::sasl_settings;

/// Which SMTP service a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Port 25 style: mail for the local domain, STARTTLS offered, no AUTH.
    Relay,
    /// Port 587 style: STARTTLS, then AUTH, then mail.
    Submission,
    /// Port 465 style: implicit TLS, then AUTH, then mail.
    Submissions,
}

impl Service {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Relay => "smtp",
            Self::Submission => "submission",
            Self::Submissions => "submissions",
        }
    }
}

/// Where an accepted recipient's copy goes.
#[derive(Debug)]
enum Rcpt {
    /// A local user (and the address as given).
    Local(String, String),
    /// A local alias: its users (and the address as given).
    Alias(Vec<String>, String),
    /// Another domain: the spool.
    Remote(String),
}

/// A message being received.
#[derive(Debug)]
struct Txn {
    from: ReversePath,
    /// Local users, without duplicates.
    users: Vec<String>,
    /// Recipients in other domains (authenticated clients only), relayed by MX.
    remote: Vec<String>,
    /// The recipients as given, for the trace field.
    rcpts: Vec<String>,
    /// The message as received so far.
    spool: Spool,
    failed: bool,
    /// Submission: the header so far, until its end, for the `From:` check.
    header: Option<Vec<u8>>,
}

/// A message being received: in memory, and in a file in `incoming/` once it outgrows
/// [`SPILL`]. It is written to disk once: a small one straight into each recipient's
/// Maildir (`Store::stage_delivery`), a big one into the spool file, which starts with the
/// Return-Path field when every recipient is local (`linkable`), so that the Maildirs get
/// hard links to it rather than copies.
#[derive(Debug, Default)]
struct Spool {
    /// The queue id, and the file's name in `incoming/`.
    id: String,
    /// Octets not yet in the file.
    buf: Vec<u8>,
    file: Option<(PathBuf, std::fs::File)>,
    /// The message's sizes, Return-Path field not included.
    sizes: Sizes,
    /// The file starts with the Return-Path field: it is what the Maildirs get.
    linkable: bool,
}

/// The octets kept in memory before they go to the spool file.
const SPILL: usize = 256 * 1024;

impl Spool {
    /// Writes what is buffered to the spool file (blocking I/O), creating it first.
    fn flush(&mut self, incoming: &std::path::Path, field: &str) -> std::io::Result<()> {
        use std::io::Write;
        if self.file.is_none() {
            let path = incoming.join(&self.id);
            let mut file = std::fs::File::create_new(&path)?;
            self.file = Some((path, file.try_clone()?));
            if self.linkable {
                file.write_all(field.as_bytes())?;
            }
        }
        if let Some((_, file)) = self.file.as_mut() {
            file.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }
}

/// The most header a submitted message may have (the `From:` check reads it whole).
const MAX_HEADER: usize = 256 * 1024;

/// One SMTP connection's application state.
#[derive(Debug)]
pub(crate) struct SmtpConn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    service: Service,
    helo: Option<(HelloVerb, String)>,
    user: Option<String>,
    txn: Option<Txn>,
    /// A SCRAM exchange whose result the machine has not told.
    scram: Scram,
}

fn reply(code: u16, esc: (u8, u16, u16), text: &str) -> Reply {
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::LOCAL_ERROR);
    let esc = EnhancedStatusCode::new(esc.0, esc.1, esc.2).ok();
    Reply::new(code, esc, text)
        .or_else(|_| Reply::new(code, esc, "error"))
        .unwrap_or_else(|_| unreachable!("static reply text is valid"))
}

impl SmtpConn {
    pub(crate) fn new(ctx: Arc<Ctx>, peer: SocketAddr, service: Service) -> Self {
        Self {
            ctx,
            peer,
            service,
            helo: None,
            user: None,
            txn: None,
            scram: Scram::default(),
        }
    }

    fn submission(&self) -> bool {
        self.service != Service::Relay
    }

    fn log(&self, what: &str) {
        println!("{} {}: {what}", self.service.name(), self.peer);
    }

    fn answer(&self, server: &mut Server, token: Token, r: Option<Reply>) {
        let result = match r {
            None => server.accept(token),
            Some(r) => server.send_reply(token, r),
        };
        if let Err(e) = result {
            self.log(&format!("cannot answer: {e}"));
        }
    }

    /// RCPT: local users and postmaster; other domains only for authenticated clients.
    fn rcpt(&mut self, server: &Server, to: &ForwardPath) -> Result<Rcpt, Reply> {
        let mailbox = match to {
            ForwardPath::Postmaster => {
                return Ok(Rcpt::Local(
                    self.ctx.users.postmaster().to_owned(),
                    "postmaster".to_owned(),
                ));
            }
            ForwardPath::Mailbox(m) => m,
        };
        let domain = mailbox.domain().to_ascii_lowercase();
        if domain == self.ctx.domain {
            let local = mailbox.local_part().to_ascii_lowercase();
            if local == "postmaster" {
                return Ok(Rcpt::Local(
                    self.ctx.users.postmaster().to_owned(),
                    mailbox.to_string(),
                ));
            }
            if self.ctx.users.exists(&local) {
                return Ok(Rcpt::Local(local, mailbox.to_string()));
            }
            if let Some(users) = self.ctx.aliases.recipients(mailbox.as_str()) {
                return Ok(Rcpt::Alias(users.to_vec(), mailbox.to_string()));
            }
            return Err(reply(550, (5, 1, 1), "no such user here"));
        }
        // Other domains: only from authenticated clients on the submission ports (2525 has
        // no AUTH, so is_authenticated() is false there anyway).
        if self.submission() && server.is_authenticated() {
            if domain.starts_with('[') {
                return Err(reply(550, (5, 1, 2), "address literals are not relayed"));
            }
            return Ok(Rcpt::Remote(mailbox.to_string()));
        }
        Err(reply(550, (5, 7, 1), "relaying denied"))
    }

    /// The Received field put in front of the message (RFC 5321 §4.4; Return-Path is added
    /// at final delivery).
    fn trace_header(&self, server: &Server, txn: &Txn, id: &str) -> String {
        let (verb, helo) = self
            .helo
            .clone()
            .unwrap_or((HelloVerb::Helo, "unknown".to_owned()));
        // RFC 3848 protocol types.
        let mut with = match verb {
            HelloVerb::Helo => "SMTP".to_owned(),
            _ => "ESMTP".to_owned(),
        };
        if verb != HelloVerb::Helo {
            if server.is_tls() {
                with.push('S');
            }
            if server.is_authenticated() {
                with.push('A');
            }
        }
        let ip = self.peer.ip();
        let mut h = String::new();
        h.push_str(&format!(
            "Received: from {helo} ({ip} [{ip}])\r\n\tby {} (mail-sansio mailserver) with {with} id {id}",
            self.ctx.domain
        ));
        if let [one] = txn.rcpts.as_slice() {
            h.push_str(&format!("\r\n\tfor <{one}>"));
        }
        h.push_str(&format!(";\r\n\t{}\r\n", rfc5322_date(SystemTime::now())));
        h
    }

    async fn body(&mut self, server: &Server, chunk: &[u8]) {
        let Some(mut txn) = self.txn.take() else {
            return;
        };
        if let Some(header) = txn.header.as_mut()
            && header.len() <= MAX_HEADER
            && header_end(header).is_none()
        {
            header.extend_from_slice(chunk);
        }
        if !txn.failed
            && let Err(e) = self.write_body(server, &mut txn, chunk).await
        {
            self.log(&format!("cannot write message: {e}"));
            txn.failed = true;
        }
        self.txn = Some(txn);
    }

    async fn write_body(
        &self,
        server: &Server,
        txn: &mut Txn,
        chunk: &[u8],
    ) -> std::io::Result<()> {
        if txn.spool.id.is_empty() {
            let id = unique_name();
            let header = self.trace_header(server, txn, &id);
            txn.spool.id = id;
            txn.spool.linkable = txn.remote.is_empty() && self.ctx.relay.lmtp().is_none();
            txn.spool.sizes.add(header.as_bytes());
            txn.spool.buf.extend_from_slice(header.as_bytes());
        }
        txn.spool.sizes.add(chunk);
        txn.spool.buf.extend_from_slice(chunk);
        if txn.spool.buf.len() >= SPILL {
            self.spill(txn).await?;
        }
        Ok(())
    }

    /// Moves what is buffered into the spool file.
    async fn spill(&self, txn: &mut Txn) -> std::io::Result<()> {
        let mut spool = std::mem::take(&mut txn.spool);
        let incoming = self.ctx.store.incoming();
        let field = return_path_field(&reverse_path(&txn.from));
        let (spool, result) = tokio::task::spawn_blocking(move || {
            let r = spool.flush(&incoming, &field);
            (spool, r)
        })
        .await
        .map_err(std::io::Error::other)?;
        txn.spool = spool;
        result
    }

    /// End of data: fsync, deliver into every Maildir, then (only then) 250.
    async fn complete(&mut self, server: &mut Server, token: Token) {
        // An empty body still gets its trace fields.
        self.body(server, &[]).await;
        let Some(txn) = self.txn.take() else {
            self.answer(server, token, Some(reply(503, (5, 5, 1), "no transaction")));
            return;
        };
        if let Err(r) = self.check_from(&txn) {
            if let Some((path, _)) = &txn.spool.file {
                let _ = tokio::fs::remove_file(path).await;
            }
            self.answer(server, token, Some(r));
            return;
        }
        let result = self.finish(txn).await;
        match result {
            Ok(id) => {
                self.answer(
                    server,
                    token,
                    Some(reply(250, (2, 0, 0), &format!("OK queued as {id}"))),
                );
            }
            Err(e) => {
                self.log(&format!("delivery failed: {e}"));
                self.answer(
                    server,
                    token,
                    Some(reply(451, (4, 3, 0), "local error in processing")),
                );
            }
        }
    }

    async fn finish(&self, mut txn: Txn) -> std::io::Result<String> {
        let spool = std::mem::take(&mut txn.spool);
        if txn.failed || spool.id.is_empty() {
            if let Some((path, _)) = &spool.file {
                let _ = tokio::fs::remove_file(path).await;
            }
            return Err(std::io::Error::other("message could not be written"));
        }
        let id = spool.id.clone();
        let from = reverse_path(&txn.from);
        if spool.linkable {
            self.deliver_local(spool, &txn.users, &from).await?;
        } else {
            self.deliver_queued(spool, &txn, &from).await?;
        }
        let mut to = txn.users.clone();
        to.extend(txn.remote.iter().map(|r| format!("<{r}> (queued)")));
        self.log(&format!("accepted {id} from <{from}> for {}", to.join(",")));
        Ok(id)
    }

    /// Every recipient is a local user of the store: the message is written once into
    /// their Maildirs (or hard-linked from the spool file) and made durable there
    /// (`store/commit.rs`), sharing the fsyncs with other connections' deliveries.
    /// Returns once it is.
    async fn deliver_local(
        &self,
        mut spool: Spool,
        users: &[String],
        from: &str,
    ) -> std::io::Result<()> {
        let store = self.ctx.store.clone();
        let field = return_path_field(from);
        let users = users.to_vec();
        // Written and made durable in one blocking task: no hop to another thread between.
        tokio::task::spawn_blocking(move || {
            let committed = stage(&store, &mut spool, &users, &field).and_then(|s| store.commit(s));
            // The Maildirs hold their own links: the spool's name goes.
            if let Some((path, _)) = &spool.file {
                let _ = std::fs::remove_file(path);
            }
            committed
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Remote recipients, or local delivery by LMTP: the spool file, fsynced, is queued
    /// for the relay (local users of the store get their copies from it first).
    async fn deliver_queued(&self, mut spool: Spool, txn: &Txn, from: &str) -> std::io::Result<()> {
        let ctx = self.ctx.clone();
        let (users, remote, f) = (txn.users.clone(), txn.remote.clone(), from.to_owned());
        // Local copies and the spool entry are all on disk before the 250 goes out.
        let (path, done) = tokio::task::spawn_blocking(move || {
            let field = return_path_field(&f);
            if let Err(e) = spool.flush(&ctx.store.incoming(), &field) {
                return (spool.file.map(|(p, _)| p), Err(e));
            }
            let Some((path, file)) = spool.file.take() else {
                return (None, Err(std::io::Error::other("no message file")));
            };
            let done = (|| {
                file.sync_all()?;
                drop(file);
                if !users.is_empty() {
                    // Into the store, or queued for the LMTP server (`--deliver`).
                    crate::deliver::local(&ctx, &path, &users, &f)?;
                }
                if !remote.is_empty() {
                    ctx.relay.enqueue(&path, &f, &remote)?;
                }
                Ok::<_, std::io::Error>(())
            })();
            (Some(path), done)
        })
        .await
        .map_err(std::io::Error::other)?;
        if let Some(path) = path {
            let _ = tokio::fs::remove_file(&path).await;
        }
        done?;
        if !txn.remote.is_empty() {
            self.ctx.relay.wake();
        }
        Ok(())
    }

    /// Submission: the envelope sender must be the user's (`553 5.7.1` otherwise); `<>`
    /// (a notification) is allowed, its `From:` is checked at the end of DATA.
    fn check_sender(&self, from: &ReversePath) -> Result<(), Reply> {
        let (Some(user), Some(mailbox)) = (self.user.as_deref(), from.mailbox()) else {
            return Ok(());
        };
        if self
            .ctx
            .aliases
            .may_send_as(user, &self.ctx.domain, mailbox.as_str())
        {
            return Ok(());
        }
        self.log(&format!(
            "sender <{mailbox}> refused: not an address of {user}"
        ));
        Err(reply(
            553,
            (5, 7, 1),
            &format!("sender address not owned by user {user}"),
        ))
    }

    /// Submission, end of DATA: every address of the `From:` field must be the user's, as
    /// for the envelope. `550 5.7.1` otherwise (RFC 5321 §4.3.2 has no 553 after DATA).
    fn check_from(&self, txn: &Txn) -> Result<(), Reply> {
        let (Some(user), Some(header)) = (self.user.as_deref(), txn.header.as_deref()) else {
            return Ok(());
        };
        let Some(end) = header_end(header) else {
            self.log("message refused: header too long or not ended");
            return Err(reply(
                550,
                (5, 6, 0),
                "message header too long or not ended",
            ));
        };
        let fields = from_fields(header.get(..end).unwrap_or_default());
        if fields.len() > 1 {
            return Err(reply(550, (5, 6, 0), "more than one From: field"));
        }
        for address in fields.iter().flat_map(|f| from_addresses(f)) {
            if !self
                .ctx
                .aliases
                .may_send_as(user, &self.ctx.domain, &address)
            {
                self.log(&format!(
                    "From: <{address}> refused: not an address of {user}"
                ));
                return Err(reply(
                    550,
                    (5, 7, 1),
                    &format!("From: address not owned by user {user}"),
                ));
            }
        }
        Ok(())
    }

    fn discard(&mut self) {
        if let Some(Txn {
            spool: Spool {
                file: Some((path, _)),
                ..
            },
            ..
        }) = self.txn.take()
        {
            let _ = std::fs::remove_file(path);
        }
    }

    async fn auth(&mut self, server: &mut Server, token: Token, credentials: Credentials) {
        let service = self.service.name();
        let ip = self.peer.ip();
        let outcome = match credentials {
            Credentials::Password {
                authzid,
                authcid,
                password,
            } => {
                let name = authcid.clone();
                auth::check(&self.ctx, service, ip, &authcid, auth::PASSWORD, move |u| {
                    u.check(&name, password.expose())
                        .authorise(authzid.as_deref())
                })
                .await
            }
            Credentials::CramMd5(proof) => {
                let name = proof.user().to_owned();
                auth::check(&self.ctx, service, ip, &name, auth::CRAM_MD5, move |u| {
                    u.check_cram_md5(&proof)
                })
                .await
            }
            _ => Outcome::Unsupported,
        };
        self.logged_in(server, token, outcome);
    }

    /// Answers an AUTH exchange that needs a fresh challenge (CRAM-MD5) or nonce (SCRAM).
    fn sasl_config(&mut self, server: &mut Server, token: Token) {
        let Some(config) = sasl_settings(&self.ctx.domain) else {
            self.answer(
                server,
                token,
                Some(reply(454, (4, 7, 0), "try again later")),
            );
            return;
        };
        if let Err(e) = server.provide_sasl_config(token, config) {
            self.log(&format!("sasl config refused: {e}"));
        }
    }

    /// SCRAM needs the user's keys.
    fn scram_credentials(&mut self, server: &mut Server, token: Token, authcid: &str) {
        let started = self
            .scram
            .start(&self.ctx, self.service.name(), self.peer.ip(), authcid);
        let keys = match started {
            ScramStart::Keys(keys) => keys,
            ScramStart::Locked => return self.logged_in(server, token, Outcome::Locked),
            ScramStart::Unsupported => {
                return self.logged_in(server, token, Outcome::Unsupported);
            }
            ScramStart::Unavailable => {
                let r = reply(454, (4, 7, 0), "try again later");
                return self.answer(server, token, Some(r));
            }
        };
        if let Err(e) = server.provide_scram_credentials(token, keys) {
            self.log(&format!("scram credentials refused: {e}"));
        }
    }

    fn logged_in(&mut self, server: &mut Server, token: Token, outcome: Outcome) {
        let r = match outcome {
            Outcome::Ok(user) => {
                // The user name only: never the password or the SASL exchange.
                self.log(&format!("authenticated as {user}"));
                self.user = Some(user);
                return self.answer(server, token, None);
            }
            // The "auth failed" line is logged already.
            Outcome::Failed => reply(535, (5, 7, 8), "authentication credentials invalid"),
            Outcome::Locked => reply(
                454,
                (4, 7, 0),
                "too many failed logins from your address, try again later",
            ),
            // RFC 4954 §6: the mechanism is weaker than this user's entry permits.
            Outcome::Unsupported => reply(
                534,
                (5, 7, 9),
                "mechanism not available for this user, use PLAIN",
            ),
        };
        self.answer(server, token, Some(r));
    }
}

impl Drop for SmtpConn {
    fn drop(&mut self) {
        // A transaction cut off mid-way was never acknowledged: drop its partial file.
        self.discard();
        // A SCRAM exchange the client gave up on after the machine's 535.
        let _ = self
            .scram
            .settle(&self.ctx, self.service.name(), self.peer.ip());
    }
}

/// Where the header ends (the offset of the empty line's CRLF), if it does within the limit.
fn header_end(header: &[u8]) -> Option<usize> {
    if header.starts_with(b"\r\n") {
        return Some(0);
    }
    header
        .windows(4)
        .take(MAX_HEADER)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 2)
}

/// The unfolded values of the `From:` fields of a header.
fn from_fields(header: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(header);
    let mut fields: Vec<String> = Vec::new();
    let mut in_from = false;
    for line in text.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if in_from && let Some(last) = fields.last_mut() {
                last.push_str(line);
            }
            continue;
        }
        in_from = false;
        if let Some((name, value)) = line.split_once(':')
            && name.trim_end().eq_ignore_ascii_case("from")
        {
            in_from = true;
            fields.push(value.to_owned());
        }
    }
    fields
}

impl Handler<Server> for SmtpConn {
    async fn on_event(&mut self, server: &mut Server, event: ServerEvent) {
        // After SCRAM keys, anything but success means the machine refused the proof.
        if matches!(event, ServerEvent::SaslAuthenticated { .. }) {
            self.scram.succeeded();
        } else {
            let delay = self
                .scram
                .settle(&self.ctx, self.service.name(), self.peer.ip());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        match event {
            ServerEvent::Hello {
                token,
                verb,
                domain,
            } => {
                self.helo = Some((verb, domain.to_string()));
                self.discard();
                self.answer(server, token, None);
            }
            ServerEvent::Mail { token, from, .. } => {
                self.discard();
                if self.ctx.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    // Shutting down: messages already started are finished, new ones refused.
                    let r = reply(421, (4, 3, 2), "shutting down, try again later");
                    self.answer(server, token, Some(r));
                    return;
                }
                let needs_auth = self.submission() && !server.is_authenticated();
                if needs_auth {
                    self.answer(
                        server,
                        token,
                        Some(reply(530, (5, 7, 0), "authentication required")),
                    );
                    return;
                }
                if let Err(r) = self.check_sender(&from) {
                    self.answer(server, token, Some(r));
                    return;
                }
                self.txn = Some(Txn {
                    from,
                    users: Vec::new(),
                    remote: Vec::new(),
                    rcpts: Vec::new(),
                    spool: Spool::default(),
                    failed: false,
                    header: self.user.is_some().then(Vec::new),
                });
                self.answer(server, token, None);
            }
            ServerEvent::Rcpt { token, to, .. } => match self.rcpt(server, &to) {
                Ok(rcpt) => {
                    if let Some(txn) = self.txn.as_mut() {
                        match rcpt {
                            Rcpt::Local(user, address) => {
                                if !txn.users.contains(&user) {
                                    txn.users.push(user);
                                }
                                txn.rcpts.push(address);
                            }
                            Rcpt::Alias(users, address) => {
                                for user in users {
                                    if !txn.users.contains(&user) {
                                        txn.users.push(user);
                                    }
                                }
                                txn.rcpts.push(address);
                            }
                            Rcpt::Remote(address) => {
                                if !txn.remote.contains(&address) {
                                    txn.remote.push(address.clone());
                                }
                                txn.rcpts.push(address);
                            }
                        }
                    }
                    self.answer(server, token, None);
                }
                Err(r) => self.answer(server, token, Some(r)),
            },
            ServerEvent::BodyChunk(chunk) => self.body(server, &chunk).await,
            ServerEvent::MessageComplete { token, .. } => self.complete(server, token).await,
            ServerEvent::MessageAborted(reason) => {
                self.log(&format!("message refused: {reason:?}"));
                self.discard();
            }
            ServerEvent::Auth { token, credentials } => {
                self.auth(server, token, credentials).await;
            }
            ServerEvent::SaslConfig { token, .. } => self.sasl_config(server, token),
            ServerEvent::ScramCredentials { token, authcid, .. } => {
                self.scram_credentials(server, token, &authcid);
            }
            ServerEvent::SaslAuthenticated {
                token,
                authcid,
                authzid,
            } => {
                let outcome = match self.ctx.users.canonical(&authcid) {
                    Some(user) => match crate::users::authorise(Some(user), authzid.as_deref()) {
                        Some(user) => Outcome::Ok(user),
                        None => {
                            let ip = self.peer.ip();
                            let service = self.service.name();
                            let delay = self.ctx.guard.fail(service, ip, &authcid, auth::SCRAM);
                            tokio::time::sleep(delay).await;
                            Outcome::Failed
                        }
                    },
                    None => Outcome::Failed,
                };
                self.logged_in(server, token, outcome);
            }
            ServerEvent::Vrfy { token, .. } | ServerEvent::Expn { token, .. } => {
                self.answer(server, token, None);
            }
            _ => {}
        }
    }
}

/// The envelope sender, empty for `<>`.
fn reverse_path(from: &ReversePath) -> String {
    from.mailbox().map(|m| m.to_string()).unwrap_or_default()
}

/// Writes the message into the users' Maildirs (blocking I/O): from memory, or as hard
/// links to the spool file (which starts with the Return-Path field) for the users without
/// a key pair, and sealed from it for those with one.
fn stage(
    store: &Store,
    spool: &mut Spool,
    users: &[String],
    field: &str,
) -> std::io::Result<Vec<Staged>> {
    if spool.file.is_none() {
        let buf = &spool.buf;
        let staged = store.stage_delivery(
            users,
            || Ok(std::io::Read::chain(field.as_bytes(), buf.as_slice())),
            None,
        )?;
        return Ok(staged);
    }
    spool.flush(&store.incoming(), field)?;
    let Some((path, _)) = &spool.file else {
        return Err(std::io::Error::other("no message file"));
    };
    let mut sizes = Sizes::default();
    sizes.add(field.as_bytes());
    sizes.size += spool.sizes.size;
    sizes.vsize += spool.sizes.vsize;
    let plain = Plain { path, sizes };
    Ok(store.stage_delivery(users, || std::fs::File::open(path), Some(plain))?)
}
