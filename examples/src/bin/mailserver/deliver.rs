//! Local delivery in Postfix's seat: `--deliver lmtp:HOST:PORT` hands mail for local users
//! to an LMTP server (RFC 2033; Dovecot's `lmtp` service, typically) instead of writing it
//! into the built-in store.
//!
//! A message accepted for local users is queued in the relay's spool (`relay.rs`) with the
//! users' addresses (`NAME@DOMAIN`), and the relay's delivery runs hand it over with the
//! smtp-proto client in LMTP mode: `LHLO`, MAIL and RCPT pipelined, the body with BDAT when
//! the server offers CHUNKING (DATA otherwise), then one reply per accepted recipient
//! ([`smtp_proto::ClientEvent::Delivery`]). Each recipient is settled on its own: delivered,
//! refused for good (5yz: bounced to the sender, as for remote mail), or refused for now
//! (4yz, or no answer: kept in the spool and retried with the relay's backoff, for up to
//! five days). The 250 to the SMTP client comes once the message is in the spool, on disk.
//!
//! The LMTP connection is plaintext: LMTP carries no authentication and belongs on loopback
//! or a private network (Postfix's `lmtp:inet:` transport does the same).

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use examples::driver::{self, Conn, Handler};
use smtp_proto::types::Domain;
use smtp_proto::{Capability, Client, ClientConfig, ClientEvent, Envelope, Reply, TlsMode};
use tokio::net::TcpStream;

use crate::Ctx;

/// How long connecting to the LMTP server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one LMTP session may take.
const SESSION_TIMEOUT: Duration = Duration::from_secs(600);

/// Where `--deliver lmtp:HOST:PORT` hands local mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LmtpTarget {
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl LmtpTarget {
    /// Parses the `--deliver` value: `store` (the default: `None`), `lmtp:HOST:PORT`, or
    /// Postfix's spelling `lmtp:inet:HOST:PORT`; an IPv6 host goes in brackets.
    pub(crate) fn parse(value: &str) -> Result<Option<Self>, String> {
        if value == "store" {
            return Ok(None);
        }
        let bad = || format!("bad --deliver {value:?} (store, or lmtp:HOST:PORT)");
        let rest = value.strip_prefix("lmtp:").ok_or_else(bad)?;
        let rest = rest.strip_prefix("inet:").unwrap_or(rest);
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() || port == 0 || host.contains(['/', ' ']) {
            return Err(bad());
        }
        Ok(Some(Self {
            host: host.to_owned(),
            port,
        }))
    }
}

impl std::fmt::Display for LmtpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "lmtp:[{}]:{}", self.host, self.port)
        } else {
            write!(f, "lmtp:{}:{}", self.host, self.port)
        }
    }
}

/// Delivers a complete message file to local `users` (blocking I/O): into the store, or,
/// with `--deliver lmtp:...`, into the spool for the LMTP server. Either way the message is
/// on disk when this returns. The caller removes `file`.
pub(crate) fn local(ctx: &Ctx, file: &Path, users: &[String], from: &str) -> io::Result<()> {
    if ctx.relay.lmtp().is_none() {
        return ctx
            .store
            .deliver(file, users, from)
            .map_err(io::Error::from);
    }
    let rcpts: Vec<String> = users
        .iter()
        .map(|u| format!("{u}@{}", ctx.domain))
        .collect();
    ctx.relay.enqueue(file, from, &rcpts)?;
    ctx.relay.wake();
    Ok(())
}

/// What one LMTP session said about each recipient.
#[derive(Debug)]
struct Session<'a> {
    envelope: Option<Envelope>,
    message: &'a [u8],
    /// The reply to each RCPT.
    rcpt: Vec<Option<Reply>>,
    /// The reply after the body, per accepted recipient (RFC 2033 §4.2).
    delivery: Vec<Option<Reply>>,
    /// Why the transaction failed, if it did (MAIL, every RCPT, DATA, a BDAT chunk, or
    /// every delivery).
    failure: Option<Reply>,
    local_error: Option<String>,
    chunking: bool,
}

impl Session<'_> {
    /// One reply per recipient: a refused RCPT's, else the reply after the body, else the
    /// refusal of the whole transaction; `None` when the server never said.
    fn replies(self) -> Vec<Option<Reply>> {
        let failure = self.failure;
        self.rcpt
            .into_iter()
            .zip(self.delivery)
            .map(|(rcpt, delivery)| match rcpt {
                Some(r) if !r.code().is_positive() => Some(r),
                _ => delivery.or_else(|| failure.clone()),
            })
            .collect()
    }
}

impl Handler<Client> for Session<'_> {
    async fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        match event {
            ClientEvent::Ready => {
                self.chunking = client
                    .capabilities()
                    .is_some_and(|e| e.has(|c| *c == Capability::Chunking));
                let Some(envelope) = self.envelope.take() else {
                    let _ = client.quit();
                    return;
                };
                if let Err(e) = client.send_mail(envelope) {
                    self.local_error = Some(e.to_string());
                    let _ = client.quit();
                }
            }
            ClientEvent::Recipient { index, reply, .. } => {
                if let Some(slot) = self.rcpt.get_mut(index) {
                    *slot = Some(reply);
                }
            }
            ClientEvent::Delivery { index, reply, .. } => {
                if let Some(slot) = self.delivery.get_mut(index) {
                    *slot = Some(reply);
                }
            }
            ClientEvent::DataReady { .. } => match client.send_data(self.message) {
                Ok(()) => {
                    let _ = client.finish_data();
                }
                // Never end a body that was not sent whole: the session times out instead.
                Err(e) => self.local_error = Some(format!("body: {e}")),
            },
            ClientEvent::MessageSent { .. } => {
                let _ = client.quit();
            }
            ClientEvent::MessageFailed { reply, .. } => {
                self.failure = Some(reply);
                let _ = client.quit();
            }
            _ => {}
        }
    }
}

/// One LMTP session that hands `message` to `rcpts`: one reply per recipient (`None`: the
/// server said nothing final about it, such as when the connection broke after the body),
/// or `Err` when no answer about the message was obtained at all.
pub(crate) async fn session(
    target: &LmtpTarget,
    helo: &str,
    from: &str,
    rcpts: &[String],
    message: &[u8],
) -> Result<Vec<Option<Reply>>, String> {
    let envelope = Envelope::parse(from, rcpts.iter().map(String::as_str))
        .map_err(|e| format!("bad envelope: {e}"))?
        // 8BITMIME or BINARYMIME as the content needs; SIZE= when offered.
        .for_body(message);
    let helo = Domain::try_from(helo).map_err(|e| format!("bad local domain: {e}"))?;
    let mut config = ClientConfig::new(helo);
    config.lmtp = true;
    config.tls = TlsMode::DangerousPlaintextOnly;
    let connect = TcpStream::connect((target.host.as_str(), target.port));
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect: {e}"))?;
    let mut client = Client::new(config, Instant::now());
    let mut handler = Session {
        envelope: Some(envelope),
        message,
        rcpt: vec![None; rcpts.len()],
        delivery: vec![None; rcpts.len()],
        failure: None,
        local_error: None,
        chunking: false,
    };
    let run = driver::run(Conn::plain(tcp), &mut client, &mut handler, None);
    let ended = tokio::time::timeout(SESSION_TIMEOUT, run)
        .await
        .map_err(|_| "session timed out".to_owned())?;
    if let Some(e) = handler.local_error.take() {
        return Err(e);
    }
    let chunking = handler.chunking;
    let replies = handler.replies();
    if replies.iter().all(Option::is_none) {
        return Err(match ended {
            Err(e) => e.to_string(),
            Ok(()) => "session ended without an answer".to_owned(),
        });
    }
    println!(
        "deliver: {target}: {} recipients, body by {}",
        rcpts.len(),
        if chunking { "BDAT" } else { "DATA" }
    );
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = |host: &str, port| {
            Ok(Some(LmtpTarget {
                host: host.to_owned(),
                port,
            }))
        };
        assert_eq!(LmtpTarget::parse("store"), Ok(None));
        assert_eq!(LmtpTarget::parse("lmtp:127.0.0.1:24"), t("127.0.0.1", 24));
        assert_eq!(
            LmtpTarget::parse("lmtp:inet:localhost:2424"),
            t("localhost", 2424)
        );
        assert_eq!(LmtpTarget::parse("lmtp:[::1]:24"), t("::1", 24));
        assert_eq!(t("::1", 24).unwrap().unwrap().to_string(), "lmtp:[::1]:24");
        for bad in [
            "lmtp:host",
            "lmtp::24",
            "smtp:host:25",
            "lmtp:h:0",
            "lmtp:unix:/run/x",
        ] {
            assert!(LmtpTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
