//! Outbound SMTP sessions that carry several messages: a relay worker keeps its connection
//! to the last MX host it used and sends the next message for that host over it (MAIL after
//! the previous 250, as RFC 5321 §3.3 allows), instead of a new TCP connection, greeting,
//! EHLO and STARTTLS per message.
//!
//! A session runs in its own task, driven by the SMTP client machine; the worker hands it
//! one [`Job`] at a time and waits for the fates. Dropping the [`Cached`] connection ends
//! the session with QUIT.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use examples::driver::{Conn, Handler, Runner, TlsUpgrade};
use rustls::pki_types::ServerName;
use smtp_proto::{Client, ClientConfig, ClientEvent, Envelope, Reply, Stage, TlsMode};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use super::{CONNECT_TIMEOUT, Fate, SESSION_TIMEOUT, fate_of};

/// Messages sent over one connection before it is closed and a new one opened.
const MAX_PER_CONNECTION: u32 = 100;

/// The answer about one message: a fate per recipient, or `Err` when no answer about the
/// message was obtained (try the next address).
type Answer = Result<Vec<Fate>, String>;

/// One message for a session.
struct Job {
    envelope: Envelope,
    message: Arc<Vec<u8>>,
    recipients: usize,
    done: oneshot::Sender<Answer>,
}

/// The message in flight and the replies about it so far.
struct Current {
    job: Job,
    replies: Vec<Option<Reply>>,
}

/// The client side of one session: takes jobs as the machine becomes ready for them.
struct Pipe {
    jobs: mpsc::Receiver<Job>,
    current: Option<Current>,
}

impl Pipe {
    /// Starts the next message, or QUIT when the worker dropped the connection.
    async fn next(&mut self, client: &mut Client) {
        while let Some(job) = self.jobs.recv().await {
            match client.send_mail(job.envelope.clone()) {
                Ok(()) => {
                    let replies = vec![None; job.recipients];
                    self.current = Some(Current { job, replies });
                    return;
                }
                Err(e) => {
                    let _ = job.done.send(Err(format!("cannot send: {e}")));
                }
            }
        }
        let _ = client.quit();
    }

    fn finish(&mut self, result: Result<&Reply, (Stage, &Reply)>) {
        let Some(current) = self.current.take() else {
            return;
        };
        let fates = current
            .replies
            .iter()
            .map(|r| match (&result, r) {
                (_, Some(r)) if !r.code().is_positive() => fate_of(r),
                (Ok(_), _) => Fate::Delivered,
                (Err((Stage::Mail | Stage::Data | Stage::Body, reply)), _) => fate_of(reply),
                (Err((_, reply)), None) => fate_of(reply),
                (Err(_), Some(r)) => fate_of(r),
            })
            .collect();
        let _ = current.job.done.send(Ok(fates));
    }
}

impl Handler<Client> for Pipe {
    async fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        match event {
            ClientEvent::Ready => self.next(client).await,
            ClientEvent::Recipient { index, reply, .. } => {
                if let Some(slot) = self.current.as_mut().and_then(|c| c.replies.get_mut(index)) {
                    *slot = Some(reply);
                }
            }
            ClientEvent::DataReady { .. } => {
                let Some(current) = &self.current else {
                    let _ = client.quit();
                    return;
                };
                // Never end a body that was not sent whole: let the session fail instead.
                let message = current.job.message.clone();
                match client.send_data(&message) {
                    Ok(()) => {
                        let _ = client.finish_data();
                    }
                    Err(e) => {
                        if let Some(current) = self.current.take() {
                            let _ = current.job.done.send(Err(format!("body: {e}")));
                        }
                        let _ = client.quit();
                    }
                }
            }
            ClientEvent::MessageSent { reply } => {
                self.finish(Ok(&reply));
                self.next(client).await;
            }
            ClientEvent::MessageFailed { stage, reply } => {
                self.finish(Err((stage, &reply)));
                self.next(client).await;
            }
            _ => {}
        }
    }
}

/// An open session to one address, in its task.
struct Open {
    addr: SocketAddr,
    jobs: mpsc::Sender<Job>,
    task: JoinHandle<()>,
    sent: u32,
}

impl Open {
    async fn connect(
        addr: SocketAddr,
        host: &str,
        helo: &str,
        connector: &TlsConnector,
    ) -> Result<Self, String> {
        let helo = smtp_proto::types::Domain::try_from(helo)
            .map_err(|e| format!("bad local domain: {e}"))?;
        let mut config = ClientConfig::new(helo);
        // RFC 3207 §4 / RFC 7435: opportunistic between MTAs, certificate not checked.
        config.tls = TlsMode::Opportunistic;
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let name =
            ServerName::try_from(host.to_owned()).unwrap_or_else(|_| ServerName::from(addr.ip()));
        let upgrade = TlsUpgrade::Client(connector.clone(), name);
        let (jobs, rx) = mpsc::channel(1);
        let host = host.to_owned();
        let task = tokio::spawn(async move {
            let mut client = Client::new(config, Instant::now());
            let mut pipe = Pipe {
                jobs: rx,
                current: None,
            };
            let ended = Runner::default()
                .run(Conn::plain(tcp), &mut client, &mut pipe, Some(&upgrade))
                .await;
            let why = match ended {
                Err(e) => e.to_string(),
                Ok(()) => "session ended without an answer".to_owned(),
            };
            if let Some(current) = pipe.current.take() {
                println!("relay: {host} {addr}: {why}");
                let _ = current.job.done.send(Err(why.clone()));
            }
            // Jobs queued behind the end get the same answer.
            pipe.jobs.close();
            while let Ok(job) = pipe.jobs.try_recv() {
                let _ = job.done.send(Err(why.clone()));
            }
        });
        Ok(Self {
            addr,
            jobs,
            task,
            sent: 0,
        })
    }

    async fn send(&mut self, envelope: Envelope, message: &Arc<Vec<u8>>, n: usize) -> Answer {
        let (done, answer) = oneshot::channel();
        let job = Job {
            envelope,
            message: message.clone(),
            recipients: n,
            done,
        };
        self.sent += 1;
        if self.jobs.send(job).await.is_err() {
            return Err("session ended".to_owned());
        }
        match tokio::time::timeout(SESSION_TIMEOUT, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err("session ended without an answer".to_owned()),
            Err(_) => {
                self.task.abort();
                Err("session timed out".to_owned())
            }
        }
    }
}

/// A relay worker's connection, kept from one message to the next.
#[derive(Default)]
pub(super) struct Cached {
    open: Option<Open>,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("addr", &self.open.as_ref().map(|o| o.addr))
            .finish()
    }
}

impl Cached {
    /// Sends `message` to `addr` (`host` is the MX name, for the TLS server name): over the
    /// kept connection when it goes there and still works, else over a new one.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send(
        &mut self,
        addr: SocketAddr,
        host: &str,
        helo: &str,
        connector: &TlsConnector,
        envelope: Envelope,
        message: &Arc<Vec<u8>>,
        recipients: usize,
    ) -> Answer {
        if let Some(mut open) = self.open.take()
            && open.addr == addr
            && open.sent < MAX_PER_CONNECTION
            && !open.task.is_finished()
        {
            match open.send(envelope.clone(), message, recipients).await {
                Ok(fates) => {
                    self.open = Some(open);
                    return Ok(fates);
                }
                // The server may have closed an idle connection: once more on a new one.
                Err(why) => println!("relay: {host} {addr}: kept connection failed: {why}"),
            }
        }
        let mut open = Open::connect(addr, host, helo, connector).await?;
        let answer = open.send(envelope, message, recipients).await;
        if answer.is_ok() {
            self.open = Some(open);
        }
        answer
    }
}
