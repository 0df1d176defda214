//! Outbound mail: a spool directory, delivery by MX lookup with the SMTP client
//! (opportunistic STARTTLS), retries with backoff, and bounces (RFC 3464) on permanent failure.
//!
//! With `--deliver lmtp:HOST:PORT` mail for local users is queued here too, and handed to
//! that LMTP server instead of an MX (`deliver.rs`): the same retries and bounces.
//!
//! A queued message is two files in `DATA/spool/`: `ID.eml` (the message, with our Received
//! field and no Return-Path, which only the final delivery adds) and `ID.env` (the envelope
//! and retry state, replaced atomically after each attempt). The `.env` is written last and
//! removed first, so a crash never leaves an envelope without its message.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mx_resolve::wire::Name;
use mx_resolve::{LocalIdentity, LookupConfig, Outcome};
use smtp_proto::{Envelope, Reply};
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;

use crate::Ctx;
use crate::deliver::{self, LmtpTarget};
use crate::store::{Store, rfc5322_date, unique_name};
use crate::users::Users;

mod session;

/// Give up on a recipient that still fails temporarily after this long (RFC 5321 §4.5.4.1
/// suggests 4–5 days).
const MAX_AGE: Duration = Duration::from_secs(5 * 24 * 3600);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one message may take over an open session.
const SESSION_TIMEOUT: Duration = Duration::from_secs(600);
/// Messages delivered at once in a run, each by a worker that keeps its connection to the
/// last MX host it used for the next message (Postfix's default concurrency per
/// destination is 20 too).
const WORKERS: usize = 20;

/// Where the mail of a domain goes: MX hosts (name, addresses) in order, or what became of
/// its recipients when there is nowhere to go.
type Route = Result<Vec<(String, Vec<IpAddr>)>, Fate>;

/// The MX lookups of one delivery run, by domain: messages to the same domain share one.
type Routes = Mutex<HashMap<String, Route>>;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The envelope and retry state of a queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    /// Empty for the null reverse-path (bounces).
    from: String,
    queued: u64,
    attempts: u32,
    next: u64,
    rcpts: Vec<String>,
}

impl Queued {
    fn encode(&self) -> String {
        let mut s = format!(
            "from {}\nqueued {}\nattempts {}\nnext {}\n",
            self.from, self.queued, self.attempts, self.next
        );
        for r in &self.rcpts {
            s.push_str(&format!("rcpt {r}\n"));
        }
        s
    }

    fn decode(text: &str) -> Option<Self> {
        let mut q = Self {
            from: String::new(),
            queued: 0,
            attempts: 0,
            next: 0,
            rcpts: Vec::new(),
        };
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "from" => q.from = value.to_owned(),
                "queued" => q.queued = value.parse().ok()?,
                "attempts" => q.attempts = value.parse().ok()?,
                "next" => q.next = value.parse().ok()?,
                "rcpt" => q.rcpts.push(value.to_owned()),
                _ => return None,
            }
        }
        Some(q)
    }
}

/// What became of one recipient in one attempt.
#[derive(Debug, Clone)]
enum Fate {
    Delivered,
    Temporary(String),
    Permanent(String),
}

fn fate_of(reply: &Reply) -> Fate {
    let code = reply.code();
    let esc = reply
        .enhanced()
        .map(|e| format!(" {e}"))
        .unwrap_or_default();
    let text = format!(
        "{}{esc} {}",
        code.get(),
        reply.text_lossy().replace('\n', " ")
    );
    if code.is_positive() {
        Fate::Delivered
    } else if code.is_permanent() {
        Fate::Permanent(text)
    } else {
        Fate::Temporary(text)
    }
}

/// The outbound side of the server.
#[derive(Debug)]
pub(crate) struct Relay {
    spool: PathBuf,
    domain: String,
    dns: Option<SocketAddr>,
    port: u16,
    store: Store,
    wake: Notify,
    /// `--deliver lmtp:...`: where mail for the local domain goes.
    lmtp: Option<LmtpTarget>,
}

impl Relay {
    pub(crate) fn new(
        data: &Path,
        domain: String,
        dns: Option<SocketAddr>,
        port: u16,
        store: Store,
    ) -> io::Result<Self> {
        let spool = data.join("spool");
        fs::create_dir_all(&spool)?;
        Ok(Self {
            spool,
            domain,
            dns,
            port,
            store,
            wake: Notify::new(),
            lmtp: None,
        })
    }

    /// The same relay handing mail for the local domain to an LMTP server (`None`: into
    /// the store, not through the relay).
    pub(crate) fn with_lmtp(mut self, target: Option<LmtpTarget>) -> Self {
        self.lmtp = target;
        self
    }

    /// Where mail for the local domain goes, when not into the store.
    pub(crate) fn lmtp(&self) -> Option<&LmtpTarget> {
        self.lmtp.as_ref()
    }

    /// Queues a complete message file for `rcpts` (blocking I/O). The file is copied; the
    /// caller removes its own.
    pub(crate) fn enqueue(&self, message: &Path, from: &str, rcpts: &[String]) -> io::Result<()> {
        let id = unique_name();
        let eml = self.spool.join(format!("{id}.eml"));
        if fs::hard_link(message, &eml).is_err() {
            fs::copy(message, &eml)?;
            fs::File::open(&eml)?.sync_all()?;
        }
        let now = unix_now();
        let q = Queued {
            from: from.to_owned(),
            queued: now,
            attempts: 0,
            next: now,
            rcpts: rcpts.to_vec(),
        };
        self.write_env(&id, &q)?;
        Ok(())
    }

    /// Starts a delivery run now (after a message was queued).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    fn write_env(&self, id: &str, q: &Queued) -> io::Result<()> {
        let tmp = self.spool.join(format!("{id}.env.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(q.encode().as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, self.spool.join(format!("{id}.env")))?;
        fs::File::open(&self.spool)?.sync_all()
    }

    /// Removes a delivered message. The spool directory is fsynced once at the end of the
    /// run, not per message: until then a crash can only bring a delivered message back,
    /// to be delivered again, never lose one (the envelope goes first, so no envelope is
    /// ever left without its message).
    fn remove(&self, id: &str) -> io::Result<()> {
        fs::remove_file(self.spool.join(format!("{id}.env")))?;
        let _ = fs::remove_file(self.spool.join(format!("{id}.eml")));
        Ok(())
    }

    /// The queued messages due now.
    fn due(&self) -> Vec<(String, Queued)> {
        let now = unix_now();
        let Ok(dir) = fs::read_dir(&self.spool) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in dir.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".env") else {
                continue;
            };
            match fs::read_to_string(item.path())
                .ok()
                .and_then(|t| Queued::decode(&t))
            {
                Some(q) if q.next <= now => out.push((id.to_owned(), q)),
                Some(_) => {}
                None => println!("relay: unreadable envelope {name}, left alone"),
            }
        }
        out
    }

    /// Delivers what is due, forever; wakes every 30 seconds or when a message is queued.
    /// A run hands the due messages to [`WORKERS`] workers at once and ends when they are
    /// done; what was queued meanwhile goes in the next run, which starts at once.
    pub(crate) async fn run(ctx: Arc<Ctx>) {
        let this = &ctx.relay;
        let connector = match examples::tls::connector_insecure() {
            Ok(c) => c,
            Err(e) => {
                println!("relay: no tls: {e}; outbound delivery disabled");
                return;
            }
        };
        loop {
            let due = this.due();
            if !due.is_empty() {
                let workers = WORKERS.min(due.len());
                let queue = Arc::new(Mutex::new(VecDeque::from(due)));
                let routes = Arc::new(Routes::default());
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..workers {
                    let (ctx, queue) = (ctx.clone(), queue.clone());
                    let (routes, connector) = (routes.clone(), connector.clone());
                    set.spawn(async move {
                        let mut conn = session::Cached::default();
                        loop {
                            let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                            let Some((id, q)) = next else { break };
                            let relay = &ctx.relay;
                            let users = &ctx.users;
                            relay
                                .attempt(&id, q, &connector, users, &mut conn, &routes)
                                .await;
                        }
                    });
                }
                while set.join_next().await.is_some() {}
                // The removals of the run (see `remove`).
                if let Err(e) = fs::File::open(&this.spool).and_then(|d| d.sync_all()) {
                    println!("relay: cannot sync the spool: {e}");
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(30), this.wake.notified()).await;
        }
    }

    async fn attempt(
        &self,
        id: &str,
        mut q: Queued,
        connector: &TlsConnector,
        users: &Users,
        conn: &mut session::Cached,
        routes: &Routes,
    ) {
        // Read here, not by a blocking task: the spool is written and read back at once,
        // from the page cache as a rule, and the thread switches cost more than the read.
        let message = match fs::read(self.spool.join(format!("{id}.eml"))) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                println!("relay {id}: cannot read message: {e}");
                return;
            }
        };
        let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &q.rcpts {
            let domain = r.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
            by_domain
                .entry(domain.to_ascii_lowercase())
                .or_default()
                .push(r.clone());
        }
        let mut fates = Vec::new();
        for (domain, rcpts) in by_domain {
            let got = self
                .deliver_domain(&domain, &q.from, &rcpts, &message, connector, conn, routes)
                .await;
            fates.extend(rcpts.into_iter().zip(got));
        }
        q.attempts += 1;
        let now = unix_now();
        let expired = now.saturating_sub(q.queued) > MAX_AGE.as_secs();
        let mut failed = Vec::new();
        let mut remaining = Vec::new();
        for (rcpt, fate) in fates {
            match fate {
                Fate::Delivered => println!("relay {id}: delivered to <{rcpt}>"),
                Fate::Permanent(why) => {
                    println!("relay {id}: <{rcpt}> failed: {why}");
                    failed.push((rcpt, why));
                }
                Fate::Temporary(why) if expired => {
                    println!("relay {id}: <{rcpt}> gave up: {why}");
                    failed.push((
                        rcpt,
                        format!("gave up after {} attempts: {why}", q.attempts),
                    ));
                }
                Fate::Temporary(why) => {
                    println!("relay {id}: <{rcpt}> deferred: {why}");
                    remaining.push(rcpt);
                }
            }
        }
        // Never bounce a bounce (null reverse-path, RFC 5321 §4.5.5).
        if !failed.is_empty()
            && !q.from.is_empty()
            && let Err(e) = self.bounce(&q.from, &failed, &message, users)
        {
            println!("relay {id}: cannot send the bounce: {e}");
        }
        let result = if remaining.is_empty() {
            self.remove(id)
        } else {
            // 1, 2, 4 ... minutes, at most an hour.
            let backoff = 60u64 << q.attempts.min(6);
            q.next = now + backoff.min(3600);
            q.rcpts = remaining;
            self.write_env(id, &q)
        };
        if let Err(e) = result {
            println!("relay {id}: cannot update the spool: {e}");
        }
    }

    /// One fate per recipient of `domain`.
    #[allow(clippy::too_many_arguments)]
    async fn deliver_domain(
        &self,
        domain: &str,
        from: &str,
        rcpts: &[String],
        message: &Arc<Vec<u8>>,
        connector: &TlsConnector,
        conn: &mut session::Cached,
        routes: &Routes,
    ) -> Vec<Fate> {
        let all = |f: Fate| vec![f; rcpts.len()];
        if let Some(target) = &self.lmtp
            && domain == self.domain
        {
            return self.deliver_lmtp(target, from, rcpts, message).await;
        }
        let known = routes.lock().ok().and_then(|r| r.get(domain).cloned());
        let route = match known {
            Some(route) => route,
            None => {
                let route = self.route(domain).await;
                if let Ok(mut r) = routes.lock() {
                    r.insert(domain.to_owned(), route.clone());
                }
                route
            }
        };
        let targets = match route {
            Ok(targets) => targets,
            Err(fate) => return all(fate),
        };
        let envelope = match Envelope::parse(from, rcpts.iter().map(String::as_str)) {
            // Size, 8BITMIME and BINARYMIME as the content needs (a message holding NUL or
            // over-long lines is only sent where BINARYMIME is offered, never altered).
            Ok(e) => e.for_body(message),
            Err(e) => return all(Fate::Temporary(format!("4.4.1 bad envelope: {e}"))),
        };
        let mut last = Fate::Temporary(format!("4.4.1 no answer from any mx of {domain}"));
        for (host, addresses) in targets {
            for ip in addresses {
                let addr = SocketAddr::new(ip, self.port);
                let sent = conn
                    .send(
                        addr,
                        &host,
                        &self.domain,
                        connector,
                        envelope.clone(),
                        message,
                        rcpts.len(),
                    )
                    .await;
                match sent {
                    Ok(fates) => return fates,
                    Err(why) => {
                        println!("relay: {host} {addr}: {why}");
                        last = Fate::Temporary(format!("4.4.1 {host} [{ip}]: {why}"));
                    }
                }
            }
        }
        all(last)
    }

    /// The MX hosts of `domain` and their addresses.
    async fn route(&self, domain: &str) -> Route {
        let Some(resolver) = self.dns.or_else(examples::mx::system_resolver) else {
            return Err(Fate::Temporary("no dns resolver configured".into()));
        };
        let name = match Name::domain(domain) {
            Ok(n) => n,
            Err(e) => return Err(Fate::Permanent(format!("550 5.1.2 bad domain: {e}"))),
        };
        let mut config = LookupConfig::with_resolvers(vec![resolver]);
        if let Ok(me) = Name::domain(&self.domain) {
            config.plan.local = LocalIdentity::new(vec![me], Vec::new());
        }
        let outcome = match examples::mx::lookup(name, config).await {
            Ok(o) => o,
            Err(e) => return Err(Fate::Temporary(format!("dns: {e}"))),
        };
        match outcome {
            Outcome::Targets(targets) => Ok(targets
                .into_iter()
                .map(|t| {
                    let host = t.host.to_string().trim_end_matches('.').to_owned();
                    (host, t.addresses.to_vec())
                })
                .collect()),
            other => {
                let status = other.enhanced_status().unwrap_or("4.4.3");
                let why = format!("{status} mx lookup for {domain}: {other:?}");
                Err(if other.is_permanent() {
                    Fate::Permanent(why)
                } else {
                    Fate::Temporary(why)
                })
            }
        }
    }

    /// Local users by LMTP: one fate per recipient, from its own reply.
    async fn deliver_lmtp(
        &self,
        target: &LmtpTarget,
        from: &str,
        rcpts: &[String],
        message: &[u8],
    ) -> Vec<Fate> {
        match deliver::session(target, &self.domain, from, rcpts, message).await {
            Ok(replies) => replies
                .iter()
                .map(|r| match r {
                    Some(r) => fate_of(r),
                    None => Fate::Temporary(format!("4.4.2 {target}: no reply after the body")),
                })
                .collect(),
            Err(why) => {
                println!("relay: {target}: {why}");
                vec![Fate::Temporary(format!("4.4.1 {target}: {why}")); rcpts.len()]
            }
        }
    }

    /// A delivery status notification (RFC 3464) to `to`, from the null reverse-path.
    fn bounce(
        &self,
        to: &str,
        failed: &[(String, String)],
        original: &[u8],
        users: &Users,
    ) -> io::Result<()> {
        let boundary = format!("{}/{}", unique_name(), self.domain);
        let date = rfc5322_date(SystemTime::now());
        let mut m = format!(
            "From: Mail Delivery System <MAILER-DAEMON@{d}>\r\nTo: <{to}>\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nDate: {date}\r\n\
             Message-ID: <{id}@{d}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
             Your message could not be delivered to these recipients:\r\n\r\n",
            d = self.domain,
            id = unique_name(),
        );
        for (rcpt, why) in failed {
            m.push_str(&format!("<{rcpt}>: {why}\r\n"));
        }
        m.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; {}\r\nArrival-Date: {date}\r\n",
            self.domain
        ));
        for (rcpt, why) in failed {
            let status = why
                .split_whitespace()
                .find(|w| w.starts_with("5.") || w.starts_with("4."))
                .unwrap_or("5.0.0");
            let status = if status.starts_with('4') {
                "5.4.7"
            } else {
                status
            };
            m.push_str(&format!(
                "\r\nFinal-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: {status}\r\n\
                 Diagnostic-Code: smtp; {why}\r\n"
            ));
        }
        // The original header section only (RFC 3462 text/rfc822-headers).
        let header_end = original
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(original.len(), |p| p + 2);
        m.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        ));
        let mut bytes = m.into_bytes();
        bytes.extend_from_slice(original.get(..header_end).unwrap_or_default());
        bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

        let file = self.store.incoming().join(unique_name());
        fs::write(&file, &bytes)?;
        fs::File::open(&file)?.sync_all()?;
        let local = to
            .rsplit_once('@')
            .filter(|(_, d)| d.eq_ignore_ascii_case(&self.domain))
            .map(|(l, _)| l.to_ascii_lowercase());
        let result = match local {
            Some(user) if users.exists(&user) && self.lmtp.is_some() => {
                let address = format!("{user}@{}", self.domain);
                let queued = self.enqueue(&file, "", &[address]);
                self.wake();
                queued
            }
            Some(user) if users.exists(&user) => self
                .store
                .deliver(&file, &[user], "")
                .map_err(io::Error::from),
            Some(user) => {
                println!("relay: bounce for unknown local user {user} dropped");
                Ok(())
            }
            None => self.enqueue(&file, "", &[to.to_owned()]),
        };
        let _ = fs::remove_file(&file);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_file_round_trip() {
        let q = Queued {
            from: String::new(),
            queued: 1,
            attempts: 2,
            next: 3,
            rcpts: vec!["a@b.example".into(), "c@d.example".into()],
        };
        assert_eq!(Queued::decode(&q.encode()), Some(q));
        assert_eq!(Queued::decode("bogus 1\n"), None);
    }
}
