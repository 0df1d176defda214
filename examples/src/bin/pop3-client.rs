//! `pop3-client`: list, retrieve and delete messages on a POP3 server.
//!
//! ```text
//! POP3_PASSWORD=... pop3-client --server localhost:2110 --ca mail-data/tls/cert.pem \
//!                   --user demo list
//! pop3-client ... retrieve 1 > message.eml
//! pop3-client ... delete 1 2
//! ```
//!
//! TLS is required by default (STLS before the credentials; `--tls implicit` for port 995
//! style). The password comes from `$POP3_PASSWORD`. Deletions are committed by QUIT
//! (RFC 1939 §6): if anything fails before, nothing is deleted. Exit status: 0 done, 1 refused
//! by the server, 2 connection or TLS problem, 64 bad usage.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use examples::driver::{self, Conn, Handler, TlsUpgrade};
use pop3_proto::{Client, ClientConfig, ClientEvent, MessageNumber, Password, TlsMode, Username};
use tokio::net::TcpStream;

const USAGE: &str = "\
usage: pop3-client --server HOST[:PORT] --user NAME [OPTIONS] COMMAND
commands:
  stat                  message count and size
  list                  number, size and unique-id of each message
  retrieve N            write message N to stdout
  delete N [N...]       delete these messages (committed at QUIT)
options:
  --tls MODE            required (default: STLS before login), implicit, dangerous-plaintext
  --ca FILE             trust the certificates in FILE (for a self-signed server)
  --insecure            accept any certificate (still encrypted, not authenticated)
  --auth MECH           AUTH with plain, login, cram-md5 or scram-sha-256 (default USER/PASS)
the password comes from $POP3_PASSWORD";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Stat,
    List,
    Retrieve(MessageNumber),
    Delete(Vec<MessageNumber>),
}

#[derive(Debug)]
struct Args {
    server: String,
    user: String,
    auth: Option<String>,
    tls: TlsMode,
    ca: Option<PathBuf>,
    insecure: bool,
    action: Action,
}

fn number(s: &str) -> Result<MessageNumber, String> {
    s.parse::<u32>()
        .ok()
        .and_then(|n| MessageNumber::try_from(n).ok())
        .ok_or(format!("bad message number {s:?}"))
}

fn parse_args() -> Result<Args, String> {
    let (mut server, mut user, mut tls, mut ca, mut insecure) =
        (None, None, TlsMode::Required, None, false);
    let mut auth = None;
    let mut words = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(value("--server")?),
            "--user" => user = Some(value("--user")?),
            "--auth" => auth = Some(value("--auth")?),
            "--tls" => {
                tls = match value("--tls")?.as_str() {
                    "required" => TlsMode::Required,
                    "implicit" => TlsMode::Implicit,
                    "dangerous-plaintext" => TlsMode::DangerousPlaintext,
                    other => return Err(format!("unknown tls mode {other:?}")),
                }
            }
            "--ca" => ca = Some(PathBuf::from(value("--ca")?)),
            "--insecure" => insecure = true,
            "-h" | "--help" => return Err(String::new()),
            _ if arg.starts_with("--") => return Err(format!("unknown flag {arg}")),
            _ => words.push(arg),
        }
    }
    let action = match words.split_first() {
        Some((cmd, rest)) => match (cmd.as_str(), rest) {
            ("stat", []) => Action::Stat,
            ("list", []) => Action::List,
            ("retrieve", [n]) => Action::Retrieve(number(n)?),
            ("delete", ns) if !ns.is_empty() => {
                Action::Delete(ns.iter().map(|n| number(n)).collect::<Result<_, _>>()?)
            }
            _ => return Err(format!("bad command {words:?}")),
        },
        None => return Err("no command".to_owned()),
    };
    Ok(Args {
        server: server.ok_or("--server is needed")?,
        user: user.ok_or("--user is needed")?,
        auth,
        tls,
        ca,
        insecure,
        action,
    })
}

/// Logs in, runs the action, QUITs.
struct Script {
    user: Username,
    password: Password,
    /// The SASL mechanism, or USER/PASS.
    auth: Option<String>,
    action: Action,
    /// Commands sent whose answers are still due.
    outstanding: usize,
    uids: Vec<String>,
    sizes: Vec<(u32, u64)>,
    failure: Option<String>,
    logged_in: bool,
    quit_sent: bool,
    closed: bool,
    out: std::io::Stdout,
}

impl Script {
    fn fail(&mut self, client: &mut Client, why: String) {
        if self.failure.is_some() {
            return;
        }
        self.failure = Some(why);
        // QUIT commits deletions: unmark them all first (RFC 1939 §5 RSET).
        if self.logged_in {
            let _ = client.rset();
        }
        self.quit_sent = true;
        let _ = client.quit();
    }

    fn run_action(&mut self, client: &mut Client) -> Result<(), pop3_proto::SendError> {
        match &self.action {
            Action::Stat => client.stat()?,
            Action::List => {
                client.list(None)?;
                client.uidl(None)?;
                self.outstanding += 1;
            }
            Action::Retrieve(n) => client.retr(*n)?,
            Action::Delete(ns) => {
                for n in ns.clone() {
                    client.dele(n)?;
                    self.outstanding += 1;
                }
                self.outstanding -= 1;
            }
        }
        self.outstanding += 1;
        Ok(())
    }
}

impl Handler<Client> for Script {
    async fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        if self.closed {
            return;
        }
        match event {
            ClientEvent::Ready => {
                let sent = match self.auth.as_deref() {
                    None => client
                        .login(&self.user, &self.password)
                        .map_err(|e| e.to_string()),
                    Some(mechanism) => examples::auth::sasl_client(
                        mechanism,
                        self.user.as_str(),
                        self.password.expose().to_owned(),
                    )
                    .and_then(|sasl| client.authenticate(sasl).map_err(|e| e.to_string())),
                };
                if let Err(e) = sent {
                    self.fail(client, format!("login: {e}"));
                }
            }
            ClientEvent::LoggedIn => {
                self.logged_in = true;
                if let Err(e) = self.run_action(client) {
                    self.fail(client, e.to_string());
                }
            }
            ClientEvent::Stat(stat) => {
                println!("{} messages, {} octets", stat.count, stat.size);
            }
            ClientEvent::Scan(s) => self.sizes.push((s.number.get(), s.size)),
            ClientEvent::UniqueId(u) => self.uids.push(u.uid.as_str().to_owned()),
            ClientEvent::Data(bytes) => {
                let _ = self.out.write_all(&bytes);
            }
            ClientEvent::Completed { .. } if self.outstanding > 0 && self.failure.is_none() => {
                self.outstanding -= 1;
                if self.outstanding == 0 {
                    for (i, (n, size)) in self.sizes.iter().enumerate() {
                        let uid = self.uids.get(i).map(String::as_str).unwrap_or("-");
                        println!("{n} {size} {uid}");
                    }
                    let _ = self.out.flush();
                    self.quit_sent = true;
                    if let Err(e) = client.quit() {
                        self.fail(client, format!("quit: {e}"));
                    }
                }
            }
            ClientEvent::Failed {
                command,
                code,
                text,
            } => {
                let code = code.map(|c| format!("[{c}] ")).unwrap_or_default();
                self.fail(
                    client,
                    format!("{command:?} refused: {code}{}", text.as_str()),
                );
            }
            ClientEvent::Closed { deleted } => {
                self.closed = true;
                if !deleted.is_empty() {
                    let list: Vec<String> = deleted.iter().map(|n| n.get().to_string()).collect();
                    eprintln!("deleted {}", list.join(" "));
                }
            }
            _ => {}
        }
    }
}

async fn run(args: Args) -> u8 {
    let (host, port) = match args.server.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h.trim_matches(['[', ']']).to_owned(), p),
            Err(_) => {
                eprintln!("bad port in {:?}", args.server);
                return 64;
            }
        },
        _ => (
            args.server.clone(),
            if args.tls == TlsMode::Implicit {
                995
            } else {
                110
            },
        ),
    };
    let password = match std::env::var("POP3_PASSWORD")
        .ok()
        .and_then(|p| Password::try_from(p).ok())
    {
        Some(p) => p,
        None => {
            eprintln!("pop3-client: put the password in $POP3_PASSWORD");
            return 64;
        }
    };
    let Ok(user) = Username::try_from(args.user.as_str()) else {
        eprintln!("pop3-client: bad user name");
        return 64;
    };
    let connector = match examples::tls::connector(args.ca.as_deref(), args.insecure) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pop3-client: {e}");
            return 64;
        }
    };
    let Ok(name) = examples::tls::server_name(&host) else {
        eprintln!("pop3-client: bad host name {host:?}");
        return 64;
    };
    let tcp = match TcpStream::connect((host.as_str(), port)).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("pop3-client: connect {host}:{port}: {e}");
            return 2;
        }
    };
    let conn = if args.tls == TlsMode::Implicit {
        match Conn::connect_tls(tcp, &connector, name.clone()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("pop3-client: tls with {host}: {e}");
                return 2;
            }
        }
    } else {
        Conn::plain(tcp)
    };
    let mut client = Client::new(ClientConfig::new(args.tls), std::time::Instant::now());
    let mut script = Script {
        user,
        password,
        auth: args.auth,
        action: args.action,
        outstanding: 0,
        uids: Vec::new(),
        sizes: Vec::new(),
        failure: None,
        logged_in: false,
        quit_sent: false,
        closed: false,
        out: std::io::stdout(),
    };
    let upgrade = TlsUpgrade::Client(connector, name);
    let ended = driver::run(conn, &mut client, &mut script, Some(&upgrade)).await;
    if let Some(why) = script.failure {
        eprintln!("pop3-client: {why}");
        return 1;
    }
    match ended {
        Ok(()) if script.quit_sent => 0,
        Ok(()) => {
            eprintln!("pop3-client: session ended early");
            2
        }
        Err(e) => {
            eprintln!("pop3-client: {e}");
            2
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match parse_args() {
        Ok(args) => ExitCode::from(run(args).await),
        Err(why) => {
            if !why.is_empty() {
                eprintln!("pop3-client: {why}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(64)
        }
    }
}
