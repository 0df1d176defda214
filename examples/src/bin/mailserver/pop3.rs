//! The POP3 side: logins, the maildrop, RETR/TOP and the deletions at QUIT.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use examples::driver::Handler;
use mail_sansio::Secret;
use mail_sansio::sasl::Credentials;
use pop3_proto::{Maildrop, ResponseCode, Server, ServerEvent, Text, Uid};

use crate::Ctx;
use crate::auth::{self, Outcome, Scram, ScramStart};
use crate::keys;
use crate::store::{self, Account, INBOX};
use crate::users::{authorise, sasl_settings};

/// Messages up to this size are read on the session's own thread (see `retrieve`).
const READ_INLINE: u64 = 256 * 1024;

/// Users whose maildrop is locked by a POP3 session (RFC 1939 §8: one session at a time).
#[derive(Debug, Default)]
pub(crate) struct Locks(Mutex<HashSet<String>>);

/// Releases the lock when the session ends, however it ends.
#[derive(Debug)]
struct LockGuard {
    ctx: Arc<Ctx>,
    user: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.ctx.locks.0.lock() {
            set.remove(&self.user);
        }
    }
}

/// One message of the maildrop: INBOX of the shared store, as POP3 numbers it.
#[derive(Debug, Clone)]
struct Entry {
    /// The message in INBOX (its UID and file).
    message: store::Message,
    /// The POP3 unique-id.
    uidl: String,
    /// Octets as RETR sends them (CRLF line ends, and a final CRLF).
    wire_size: u64,
}

/// The maildrop of `account`: INBOX, oldest first (blocking I/O).
fn maildrop(account: &Account) -> store::Result<Vec<Entry>> {
    let view = account.open(INBOX)?;
    let mut out = Vec::with_capacity(view.messages.len());
    for m in &view.messages {
        out.push(Entry {
            message: m.clone(),
            uidl: m.pop3_uidl().to_owned(),
            wire_size: wire_size(account, m)?,
        });
    }
    Ok(out)
}

/// The size RETR sends: messages are stored with CRLF (SMTP refuses bare line ends), so it
/// is the size on disk, plus the CRLF the server adds when the last line has none.
fn wire_size(account: &Account, message: &store::Message) -> store::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let size = message.size;
    if size == 0 {
        return Ok(0);
    }
    let (mut file, _) = match account.open_file(INBOX, message) {
        Ok(f) => f,
        // Expunged meanwhile (over IMAP): RETR will say so.
        Err(store::Error::NoSuchMessage) => return Ok(size),
        Err(e) => return Err(e),
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    Ok(if last == *b"\n" { size } else { size + 2 })
}

fn text(s: &str) -> Text {
    Text::try_from(s).unwrap_or_default()
}

/// One POP3 connection's application state.
#[derive(Debug)]
pub(crate) struct Pop3Conn {
    ctx: Arc<Ctx>,
    peer: SocketAddr,
    service: &'static str,
    lock: Option<LockGuard>,
    /// The logged-in user's mail.
    account: Option<Account>,
    messages: Vec<Entry>,
    /// A SCRAM exchange whose result the machine has not told.
    scram: Scram,
}

impl Pop3Conn {
    pub(crate) fn new(ctx: Arc<Ctx>, peer: SocketAddr, service: &'static str) -> Self {
        Self {
            ctx,
            peer,
            service,
            lock: None,
            account: None,
            messages: Vec::new(),
            scram: Scram::default(),
        }
    }

    fn log(&self, what: &str) {
        println!("{} {}: {what}", self.service, self.peer);
    }

    /// Checks a password (USER/PASS, PLAIN, LOGIN) or a CRAM-MD5 proof, then logs in;
    /// `password` (the password mechanisms) unlocks the user's key (`--encrypt`).
    async fn check(
        &mut self,
        server: &mut Server,
        user: &str,
        mechanism: &str,
        password: Option<Secret<String>>,
        verify: impl FnOnce(&crate::users::Users) -> crate::users::Verdict + Send + 'static,
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
        self.login(server, outcome, password).await;
    }

    /// Opens the maildrop of a user whose credentials checked out, or says why not (the
    /// failure is logged already). With a key pair, `password` unlocks it for the session.
    async fn login(
        &mut self,
        server: &mut Server,
        outcome: Outcome,
        password: Option<Secret<String>>,
    ) {
        if self.ctx.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = server.reject_login(Some(ResponseCode::SysTemp), text("shutting down"));
            return;
        }
        let user = match outcome {
            Outcome::Ok(user) => user,
            Outcome::Failed => {
                let _ =
                    server.reject_login(Some(ResponseCode::Auth), text("authentication failed"));
                return;
            }
            Outcome::Locked => {
                let _ = server.reject_login(
                    Some(ResponseCode::SysTemp),
                    text("too many failed logins from your address, try again later"),
                );
                return;
            }
            Outcome::Unsupported => {
                let _ = server.reject_login(
                    Some(ResponseCode::Auth),
                    text("mechanism not available for this user, use PLAIN or USER/PASS"),
                );
                return;
            }
        };
        let locked = self
            .ctx
            .locks
            .0
            .lock()
            .map(|mut set| set.insert(user.clone()))
            .unwrap_or(false);
        if !locked {
            let _ = server.reject_login(Some(ResponseCode::InUse), text("maildrop already in use"));
            return;
        }
        let guard = LockGuard {
            ctx: self.ctx.clone(),
            user: user.clone(),
        };
        let key = match keys::at_login(&self.ctx, &user, password).await {
            Ok(key) => key,
            Err(why) => {
                self.log(&format!("{user} cannot read their mail: {why:?}"));
                let code = match why {
                    keys::Refused::Unavailable => ResponseCode::SysTemp,
                    _ => ResponseCode::Auth,
                };
                let _ = server.reject_login(Some(code), text(why.text()));
                return;
            }
        };
        let account = self.ctx.store.account(&user).with_key(key);
        let a = account.clone();
        let listed = tokio::task::spawn_blocking(move || maildrop(&a))
            .await
            .map_err(|e| store::Error::Io(std::io::Error::other(e)))
            .and_then(|r| r);
        let mut maildrop = Maildrop::new();
        let messages = match listed {
            Ok(m) => m,
            Err(e) => {
                self.log(&format!("cannot list mailbox: {e}"));
                let _ =
                    server.reject_login(Some(ResponseCode::SysTemp), text("mailbox unavailable"));
                return;
            }
        };
        for m in &messages {
            let uid = Uid::try_from(m.uidl.as_str()).or_else(|_| Uid::try_from("invalid"));
            if let Ok(uid) = uid {
                let _ = maildrop.push(m.wire_size, uid);
            }
        }
        self.log(&format!(
            "logged in as {user} ({} messages)",
            messages.len()
        ));
        self.messages = messages;
        self.account = Some(account);
        self.lock = Some(guard);
        let _ = server.accept_login(maildrop);
    }

    async fn retrieve(&mut self, server: &mut Server, number: u32) {
        let Some(entry) = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| self.messages.get(i))
        else {
            let _ = server.reject_retrieve(None, text("no such message"));
            return;
        };
        let Some(account) = self.account.clone() else {
            let _ = server.reject_retrieve(None, text("no such message"));
            return;
        };
        let message = entry.message.clone();
        // Messages are at most the SMTP size limit; read whole for simplicity.
        let read_file = move || {
            let (mut file, size) = account.open_file(INBOX, &message)?;
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            std::io::Read::read_to_end(&mut file, &mut bytes)?;
            Ok::<_, store::Error>(bytes)
        };
        // A small message is read right here: handing it to a blocking thread cost more
        // (two thread switches per RETR) than reading it, from the page cache as a rule.
        let read = if entry.wire_size <= READ_INLINE {
            read_file()
        } else {
            tokio::task::spawn_blocking(read_file)
                .await
                .map_err(|e| store::Error::Io(std::io::Error::other(e)))
                .and_then(|r| r)
        };
        match read {
            Ok(bytes) => {
                let _ = server.send_data(&bytes);
                let _ = server.finish_data();
            }
            // Expunged over IMAP since the login.
            Err(store::Error::NoSuchMessage) => {
                let _ = server.reject_retrieve(None, text("message was deleted"));
            }
            Err(e) => {
                self.log(&format!("cannot read message: {e}"));
                let _ = server
                    .reject_retrieve(Some(ResponseCode::SysTemp), text("cannot read message"));
            }
        }
    }

    async fn commit(
        &mut self,
        server: &mut Server,
        deleted: Vec<(pop3_proto::MessageNumber, Uid)>,
    ) {
        let uids: Vec<u32> = deleted
            .iter()
            .filter_map(|(n, _)| {
                usize::try_from(n.get())
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(|i| self.messages.get(i))
                    .map(|e| e.message.uid)
            })
            .collect();
        let count = uids.len();
        let removed = match self.account.clone() {
            Some(account) => tokio::task::spawn_blocking(move || account.remove(INBOX, &uids))
                .await
                .map_err(|e| store::Error::Io(std::io::Error::other(e)))
                .and_then(|r| r),
            None => Ok(Vec::new()),
        };
        let result = match removed {
            Ok(_) => {
                self.log(&format!("quit, {count} messages deleted"));
                Ok(())
            }
            Err(e) => {
                self.log(&format!("cannot delete: {e}"));
                Err(text("some deleted messages not removed"))
            }
        };
        let _ = server.commit_result(result);
        self.lock = None;
    }
}

impl Drop for Pop3Conn {
    fn drop(&mut self) {
        // A SCRAM exchange the client gave up on after the machine's -ERR.
        let _ = self.scram.settle(&self.ctx, self.service, self.peer.ip());
    }
}

impl Handler<Server> for Pop3Conn {
    async fn on_event(&mut self, server: &mut Server, event: ServerEvent) {
        // After SCRAM keys, anything but success means the machine refused the proof.
        if matches!(event, ServerEvent::SaslAuthenticated { .. }) {
            self.scram.succeeded();
        } else {
            let delay = self.scram.settle(&self.ctx, self.service, self.peer.ip());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        match event {
            ServerEvent::Login { username, password } => {
                let name = username.as_str().to_owned();
                let n = name.clone();
                let kept = Secret::new(password.expose().to_owned());
                self.check(server, &name, "USER", Some(kept), move |u| {
                    u.check(&n, password.expose())
                })
                .await;
            }
            ServerEvent::SaslVerify(Credentials::Password {
                authzid,
                authcid,
                password,
            }) => {
                let name = authcid.clone();
                let kept = password.clone();
                self.check(server, &authcid, auth::PASSWORD, Some(kept), move |u| {
                    u.check(&name, password.expose())
                        .authorise(authzid.as_deref())
                })
                .await;
            }
            ServerEvent::SaslVerify(Credentials::CramMd5(proof)) => {
                let name = proof.user().to_owned();
                self.check(server, &name, auth::CRAM_MD5, None, move |u| {
                    u.check_cram_md5(&proof)
                })
                .await;
            }
            ServerEvent::SaslConfig { .. } => match sasl_settings(&self.ctx.domain) {
                Some(config) => {
                    let _ = server.provide_sasl_config(config);
                }
                None => {
                    let _ = server.reject_login(Some(ResponseCode::SysTemp), text("try later"));
                }
            },
            ServerEvent::ScramCredentials { authcid, .. } => {
                let ip = self.peer.ip();
                match self.scram.start(&self.ctx, self.service, ip, &authcid) {
                    ScramStart::Keys(keys) => {
                        let _ = server.provide_scram_credentials(keys);
                    }
                    ScramStart::Locked => self.login(server, Outcome::Locked, None).await,
                    ScramStart::Unsupported => self.login(server, Outcome::Unsupported, None).await,
                    ScramStart::Unavailable => {
                        let _ = server.reject_login(Some(ResponseCode::SysTemp), text("try later"));
                    }
                }
            }
            ServerEvent::SaslAuthenticated { authcid, authzid } => {
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
                self.login(server, outcome, None).await;
            }
            ServerEvent::Retrieve { message, .. } => self.retrieve(server, message.get()).await,
            ServerEvent::Commit { deleted } => self.commit(server, deleted).await,
            _ => {
                // APOP and the token mechanisms are not offered.
                let _ = server.reject_login(Some(ResponseCode::Auth), text("not supported"));
            }
        }
    }
}
