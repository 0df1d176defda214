//! LMTP in Dovecot's seat (`--lmtp-port PORT`, off by default): an MTA such as Postfix
//! (`virtual_transport = lmtp:inet:127.0.0.1:PORT`) hands over mail for the local domain,
//! and it goes into the same store as mail received by SMTP.
//!
//! RFC 2033: `LHLO` instead of EHLO, and after the body one reply per accepted recipient, in
//! RCPT order (§4.2), so the MTA learns each recipient's fate on its own. Unknown users are
//! refused at RCPT (`550 5.1.1`); a user whose quota (`--quota`) the message would exceed
//! gets `552 5.2.2` after the body while the others get their copy (`250 2.0.0`); a disk
//! error is `451 4.3.0` for that recipient only. Each `250` goes out once that copy is on
//! disk (fsynced, renamed, directory fsynced).
//!
//! LMTP has no authentication: the listener binds to 127.0.0.1 whatever `--listen` says,
//! and only loopback peers are served. No TLS, no AUTH, no relaying: recipients must be in
//! the local domain.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use examples::driver::{self, Conn, Handler};
use smtp_proto::types::{Domain, ForwardPath, ReversePath, Text};
use smtp_proto::{
    EnhancedStatusCode, Reply, ReplyCode, Server, ServerConfig, ServerEvent, TlsMode, Token,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Ctx;
use crate::store::{rfc5322_date, unique_name};

const NAME: &str = "lmtp";

fn reply(code: u16, esc: (u8, u16, u16), text: &str) -> Reply {
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::LOCAL_ERROR);
    let esc = EnhancedStatusCode::new(esc.0, esc.1, esc.2).ok();
    Reply::new(code, esc, text)
        .or_else(|_| Reply::new(code, esc, "error"))
        .unwrap_or_else(|_| unreachable!("static reply text is valid"))
}

/// Binds 127.0.0.1:`port` and serves LMTP until `stop` changes.
pub(crate) async fn listen(
    ctx: Arc<Ctx>,
    port: u16,
    stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, String> {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({NAME}): {e}"))?;
    println!("listening: {NAME} on {addr} (loopback only)");
    Ok(tokio::spawn(serve(ctx, listener, stop)))
}

async fn serve(ctx: Arc<Ctx>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                println!("{NAME}: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            println!("{NAME} {peer}: refused: not a loopback address");
            continue;
        }
        let Ok(permit) = ctx.guard.admit(peer.ip()) else {
            println!("{NAME} {peer}: refused: too many connections");
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            connection(ctx, tcp, peer).await;
            drop(permit);
        });
    }
}

fn config(domain: &str) -> Result<ServerConfig, String> {
    let domain = Domain::try_from(domain).map_err(|e| format!("bad domain {domain:?}: {e}"))?;
    let mut config = ServerConfig::strict(domain);
    config.lmtp = true;
    config.tls = TlsMode::DangerousPlaintextOnly;
    config.extensions.auth.clear();
    config.extensions.requiretls = false;
    config.greeting = Text::try_from("LMTP").map_err(|e| e.to_string())?;
    Ok(config)
}

async fn connection(ctx: Arc<Ctx>, tcp: TcpStream, peer: SocketAddr) {
    let config = match config(&ctx.domain) {
        Ok(c) => c,
        Err(e) => {
            println!("{NAME}: {e}");
            return;
        }
    };
    println!("{NAME} {peer}: connected");
    let mut session = Server::new(config, Instant::now());
    let mut handler = LmtpConn {
        ctx,
        peer,
        lhlo: String::new(),
        txn: None,
    };
    match driver::run(Conn::plain(tcp), &mut session, &mut handler, None).await {
        Ok(()) => println!("{NAME} {peer}: closed"),
        Err(e) => println!("{NAME} {peer}: closed: {e}"),
    }
}

/// One accepted recipient: the users who get a copy (one, or an alias's), and the address.
#[derive(Debug)]
struct Rcpt {
    users: Vec<String>,
    address: String,
}

/// A message being received.
#[derive(Debug)]
struct Txn {
    from: ReversePath,
    rcpts: Vec<Rcpt>,
    file: Option<(PathBuf, tokio::fs::File)>,
    failed: bool,
}

#[derive(Debug)]
struct LmtpConn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    lhlo: String,
    txn: Option<Txn>,
}

impl LmtpConn {
    fn log(&self, what: &str) {
        println!("{NAME} {}: {what}", self.peer);
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

    /// RCPT: a user or alias of the local domain, or postmaster.
    fn rcpt(&self, to: &ForwardPath) -> Result<Rcpt, Reply> {
        let postmaster = || vec![self.ctx.users.postmaster().to_owned()];
        let mailbox = match to {
            ForwardPath::Postmaster => {
                return Ok(Rcpt {
                    users: postmaster(),
                    address: "postmaster".to_owned(),
                });
            }
            ForwardPath::Mailbox(m) => m,
        };
        let address = mailbox.to_string();
        if !mailbox.domain().eq_ignore_ascii_case(&self.ctx.domain) {
            let text = format!("<{address}> not a local domain");
            return Err(reply(550, (5, 1, 2), &text));
        }
        let local = mailbox.local_part().to_ascii_lowercase();
        let users = if local == "postmaster" {
            postmaster()
        } else if self.ctx.users.exists(&local) {
            vec![local]
        } else if let Some(users) = self.ctx.aliases.recipients(mailbox.as_str()) {
            users.to_vec()
        } else {
            return Err(reply(
                550,
                (5, 1, 1),
                &format!("<{address}> no such user here"),
            ));
        };
        Ok(Rcpt { users, address })
    }

    /// The Received field of the final delivery (RFC 5321 §4.4, RFC 3848 `LMTP`).
    fn trace_header(&self, txn: &Txn, id: &str) -> String {
        let ip = self.peer.ip();
        let mut h = format!(
            "Received: from {} ({ip} [{ip}])\r\n\tby {} (mail-sansio mailserver) with LMTP id {id}",
            self.lhlo, self.ctx.domain
        );
        if let [one] = txn.rcpts.as_slice() {
            h.push_str(&format!("\r\n\tfor <{}>", one.address));
        }
        h.push_str(&format!(";\r\n\t{}\r\n", rfc5322_date(SystemTime::now())));
        h
    }

    async fn body(&mut self, chunk: &[u8]) {
        let Some(mut txn) = self.txn.take() else {
            return;
        };
        if !txn.failed
            && let Err(e) = self.write_body(&mut txn, chunk).await
        {
            self.log(&format!("cannot write message: {e}"));
            txn.failed = true;
        }
        self.txn = Some(txn);
    }

    async fn write_body(&self, txn: &mut Txn, chunk: &[u8]) -> std::io::Result<()> {
        if txn.file.is_none() {
            let id = unique_name();
            let path = self.ctx.store.incoming().join(&id);
            let mut file = tokio::fs::File::create(&path).await?;
            file.write_all(self.trace_header(txn, &id).as_bytes())
                .await?;
            txn.file = Some((path, file));
        }
        if let Some((_, file)) = txn.file.as_mut() {
            file.write_all(chunk).await?;
        }
        Ok(())
    }

    /// End of data: each recipient's copy, and its own reply (RFC 2033 §4.2).
    async fn complete(&mut self, server: &mut Server, token: Token) {
        // An empty body still gets its trace field.
        self.body(&[]).await;
        let Some(txn) = self.txn.take() else {
            self.answer(server, token, Some(reply(503, (5, 5, 1), "no transaction")));
            return;
        };
        let path = txn.file.as_ref().map(|(p, _)| p.clone());
        let n = txn.rcpts.len();
        let replies = match self.finish(txn).await {
            Ok(replies) => replies,
            Err(e) => {
                self.log(&format!("delivery failed: {e}"));
                vec![reply(451, (4, 3, 0), "local error in processing"); n]
            }
        };
        if let Some(path) = path {
            let _ = tokio::fs::remove_file(&path).await;
        }
        if let Err(e) = server.send_replies(token, &replies) {
            self.log(&format!("cannot answer: {e}"));
        }
    }

    async fn finish(&self, txn: Txn) -> std::io::Result<Vec<Reply>> {
        let Some((path, file)) = txn.file else {
            return Err(std::io::Error::other("no message file"));
        };
        if txn.failed {
            return Err(std::io::Error::other("message could not be written"));
        }
        file.sync_all().await?;
        drop(file);
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let from = txn
            .from
            .mailbox()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let rcpts: Vec<(Vec<String>, String)> = txn
            .rcpts
            .into_iter()
            .map(|r| (r.users, r.address))
            .collect();
        let ctx = self.ctx.clone();
        let (lines, replies) =
            tokio::task::spawn_blocking(move || deliver(&ctx, &path, &id, &from, &rcpts))
                .await
                .map_err(std::io::Error::other)?;
        for line in lines {
            self.log(&line);
        }
        Ok(replies)
    }
}

/// Delivers the message file to each recipient in turn (blocking I/O): the reply for each,
/// and what to log. A user named twice (two addresses, an alias) gets one copy.
fn deliver(
    ctx: &Ctx,
    path: &std::path::Path,
    id: &str,
    from: &str,
    rcpts: &[(Vec<String>, String)],
) -> (Vec<String>, Vec<Reply>) {
    let return_path = format!("Return-Path: <{from}>\r\n");
    let size = std::fs::metadata(path).map_or(0, |m| m.len()) + return_path.len() as u64;
    let mut delivered: Vec<String> = Vec::new();
    let mut log = Vec::new();
    let mut replies = Vec::new();
    for (users, address) in rcpts {
        let mut outcome = Ok(());
        for user in users {
            if delivered.contains(user) {
                continue;
            }
            outcome = match ctx.store.over_quota(user, size) {
                Ok(None) => ctx
                    .store
                    .deliver(path, std::slice::from_ref(user), from)
                    .map_err(|e| Err(std::io::Error::from(e))),
                Ok(Some(usage)) => Err(Ok(usage)),
                Err(e) => Err(Err(e)),
            };
            if outcome.is_err() {
                break;
            }
            delivered.push(user.clone());
        }
        let r = match outcome {
            Ok(()) => {
                log.push(format!("delivered {id} from <{from}> to <{address}>"));
                reply(250, (2, 0, 0), &format!("<{address}> delivered as {id}"))
            }
            Err(Ok(usage)) => {
                let quota = ctx.store.quota().unwrap_or_default();
                log.push(format!(
                    "<{address}> over quota: {usage} of {quota} octets used, message {size}"
                ));
                reply(552, (5, 2, 2), &format!("<{address}> mailbox full"))
            }
            Err(Err(e)) => {
                log.push(format!("<{address}> delivery failed: {e}"));
                reply(
                    451,
                    (4, 3, 0),
                    &format!("<{address}> local error, try again"),
                )
            }
        };
        replies.push(r);
    }
    (log, replies)
}

impl Drop for LmtpConn {
    fn drop(&mut self) {
        // A transaction cut off mid-way was never acknowledged: drop its partial file.
        self.discard();
    }
}

impl LmtpConn {
    fn discard(&mut self) {
        if let Some(Txn {
            file: Some((path, _)),
            ..
        }) = self.txn.take()
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Handler<Server> for LmtpConn {
    async fn on_event(&mut self, server: &mut Server, event: ServerEvent) {
        match event {
            ServerEvent::Hello { token, domain, .. } => {
                self.lhlo = domain.to_string();
                self.discard();
                self.answer(server, token, None);
            }
            ServerEvent::Mail { token, from, .. } => {
                self.discard();
                if self.ctx.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = reply(421, (4, 3, 2), "shutting down, try again later");
                    self.answer(server, token, Some(r));
                    return;
                }
                self.txn = Some(Txn {
                    from,
                    rcpts: Vec::new(),
                    file: None,
                    failed: false,
                });
                self.answer(server, token, None);
            }
            ServerEvent::Rcpt { token, to, .. } => match self.rcpt(&to) {
                Ok(rcpt) => {
                    if let Some(txn) = self.txn.as_mut() {
                        txn.rcpts.push(rcpt);
                    }
                    self.answer(server, token, None);
                }
                Err(r) => {
                    self.log(&format!("refused: {}", r.text_lossy()));
                    self.answer(server, token, Some(r));
                }
            },
            ServerEvent::BodyChunk(chunk) => self.body(&chunk).await,
            ServerEvent::MessageComplete { token, .. } => self.complete(server, token).await,
            ServerEvent::MessageAborted(reason) => {
                self.log(&format!("message refused: {reason:?}"));
                self.discard();
            }
            ServerEvent::Vrfy { token, .. } | ServerEvent::Expn { token, .. } => {
                self.answer(server, token, None);
            }
            _ => {}
        }
    }
}
