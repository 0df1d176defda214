//! `pop3-client`: list, retrieve and delete messages on a POP3 server.
//!
//! ```text
//! POP3_PASSWORD=... pop3-client --server localhost:2110 --ca mail-data/tls/cert.pem \
//!                   --user demo list
//! pop3-client ... retrieve 1 > message.eml
//! pop3-client ... delete 1 2
//! ```
//!
//! TLS is required by default (STLS before the credentials); the usual implicit-TLS ports
//! (995, 2995) start TLS at once. The password comes from `$POP3_PASSWORD`, and is never sent
//! without TLS unless `--dangerous-plaintext-auth` says so. Deletions are committed by QUIT
//! (RFC 1939 §6): if anything fails before, nothing is deleted. Results go to stdout (a
//! retrieved message byte for byte, or escaped on a terminal), errors to stderr, peer text
//! with control characters escaped. Exit status: see [`examples::cli::Exit`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{self, Exit, Failure};
use examples::client::{self, Connect};
use examples::display::{for_terminal, safe};
use examples::driver::{Handler, Runner, TlsUpgrade};
use pop3_proto::{
    Client, ClientConfig, ClientEvent, CommandKind, MessageNumber, Password, ResponseCode, TlsMode,
    Username,
};

const PROGRAM: &str = "pop3-client";

const USAGE: &str = "\
usage: pop3-client --server HOST[:PORT] --user NAME [OPTIONS] COMMAND";

const HELP: &str = "\
commands:
  stat                  message count and size
  list                  number, size and unique-id of each message
  retrieve N            write message N to stdout
  delete N [N...]       delete these messages (committed at QUIT)
options:
  --tls MODE            required (default: STLS before login),
                        implicit (TLS at once; the default on ports 995 and 2995),
                        dangerous-plaintext (never TLS; no password without the next flag)
  --dangerous-plaintext-auth
                        allow USER/PASS or AUTH without TLS (the password travels in clear)
  --ca FILE             trust the certificates in FILE (for a self-signed server)
  --insecure            accept any certificate (still encrypted, not authenticated)
  --auth MECH           AUTH with plain, login, cram-md5 or scram-sha-256 (default USER/PASS)
  --tls-timeout SECONDS how long a TLS handshake may take (default 10)
  --greeting-timeout SECONDS
                        how long to wait for a plaintext greeting (default 10)
the password comes from $POP3_PASSWORD; results go to stdout, errors to stderr.";

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
    /// `None`: inferred from the port.
    tls: Option<TlsMode>,
    plaintext_auth: bool,
    ca: Option<PathBuf>,
    insecure: bool,
    tls_timeout: Duration,
    greeting_timeout: Duration,
    action: Action,
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn number(s: &str) -> Result<MessageNumber, String> {
    s.parse::<u32>()
        .ok()
        .and_then(|n| MessageNumber::try_from(n).ok())
        .ok_or(format!("bad message number {}", safe(s)))
}

fn parse_args() -> Result<Parsed, String> {
    let (mut server, mut user, mut tls, mut ca, mut insecure) = (None, None, None, None, false);
    let (mut tls_timeout, mut greeting_timeout) = (client::TLS_TIMEOUT, client::GREETING_TIMEOUT);
    let mut plaintext_auth = false;
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
                tls = Some(match value("--tls")?.as_str() {
                    "required" => TlsMode::Required,
                    "implicit" => TlsMode::Implicit,
                    "dangerous-plaintext" => TlsMode::DangerousPlaintext,
                    other => return Err(format!("unknown tls mode {}", safe(other))),
                })
            }
            "--dangerous-plaintext-auth" => plaintext_auth = true,
            "--ca" => ca = Some(PathBuf::from(value("--ca")?)),
            "--insecure" => insecure = true,
            "--tls-timeout" => tls_timeout = cli::seconds("--tls-timeout", &value(&arg)?)?,
            "--greeting-timeout" => {
                greeting_timeout = cli::seconds("--greeting-timeout", &value(&arg)?)?;
            }
            "-h" | "--help" => return Ok(Parsed::Help),
            _ if arg.starts_with("--") => return Err(format!("unknown flag {}", safe(&arg))),
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
            _ => return Err(format!("bad command {}", safe(&words.join(" ")))),
        },
        None => return Err("no command".to_owned()),
    };
    Ok(Parsed::Run(Box::new(Args {
        server: server.ok_or("--server is needed")?,
        user: user.ok_or("--user is needed")?,
        auth,
        tls,
        plaintext_auth,
        ca,
        insecure,
        tls_timeout,
        greeting_timeout,
        action,
    })))
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
    failure: Option<Failure>,
    logged_in: bool,
    quit_sent: bool,
    closed: bool,
    out: std::io::Stdout,
    /// Stdout is a terminal: a retrieved message is escaped, not written byte for byte.
    terminal: bool,
}

impl Script {
    fn fail(&mut self, client: &mut Client, why: Failure) {
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
                    let refused = pop3_proto::SendError::PlaintextCredentials.to_string();
                    let failure = if e == refused {
                        cli::plaintext_refusal()
                    } else {
                        Failure::new(Exit::NoPerm, format!("login: {}", safe(&e)))
                    };
                    self.fail(client, failure);
                }
            }
            ClientEvent::LoggedIn => {
                self.logged_in = true;
                if let Err(e) = self.run_action(client) {
                    let failure = Failure::new(Exit::Unavailable, safe(&e.to_string()));
                    self.fail(client, failure);
                }
            }
            ClientEvent::Stat(stat) => {
                println!("{} messages, {} octets", stat.count, stat.size);
            }
            ClientEvent::Scan(s) => self.sizes.push((s.number.get(), s.size)),
            ClientEvent::UniqueId(u) => self.uids.push(safe(u.uid.as_str())),
            ClientEvent::Data(bytes) => {
                let _ = if self.terminal {
                    self.out.write_all(for_terminal(&bytes).as_bytes())
                } else {
                    self.out.write_all(&bytes)
                };
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
                        let failure = Failure::new(Exit::TempFail, format!("quit: {e}"));
                        self.fail(client, failure);
                    }
                }
            }
            ClientEvent::Failed {
                command,
                code,
                text,
            } => {
                let exit = match (&code, command) {
                    (
                        Some(
                            ResponseCode::SysTemp | ResponseCode::InUse | ResponseCode::LoginDelay,
                        ),
                        _,
                    ) => Exit::TempFail,
                    (
                        _,
                        CommandKind::User
                        | CommandKind::Pass
                        | CommandKind::Apop
                        | CommandKind::Auth,
                    ) => Exit::NoPerm,
                    _ => Exit::Unavailable,
                };
                let code = code.map(|c| format!("[{c}] ")).unwrap_or_default();
                let why = format!(
                    "{command} refused: -ERR {}{}",
                    safe(&code),
                    safe(text.as_str())
                );
                self.fail(client, Failure::new(exit, why));
            }
            ClientEvent::Closed { deleted } => {
                self.closed = true;
                if !deleted.is_empty() {
                    let list: Vec<String> = deleted.iter().map(|n| n.get().to_string()).collect();
                    println!("deleted {}", list.join(" "));
                }
            }
            _ => {}
        }
    }
}

/// Why a POP3 session failed, for stderr. `first` is what the server sent first.
fn pop3_failure(e: pop3_proto::Error, host: &str, greeted: bool, first: &[u8]) -> Failure {
    use pop3_proto::Error as E;
    let text = safe(&e.to_string());
    match e {
        E::Parse(_) | E::GreetingRejected(_) if !greeted && !first.starts_with(b"-ERR") => {
            Failure::new(
                Exit::Protocol,
                format!(
                    "{host}'s greeting is not a POP3 greeting: \"{}\"",
                    examples::display::first_line(first, 120)
                ),
            )
        }
        E::GreetingRejected(_) => Failure::new(Exit::Unavailable, format!("{host}: {text}")),
        E::TlsUnavailable { .. } => Failure::new(
            Exit::Unavailable,
            format!("{host}: {text}\nif the port expects TLS at once, use --tls implicit"),
        ),
        E::Timeout { .. } | E::UnexpectedEof { .. } => {
            Failure::new(Exit::TempFail, format!("{host}: {text}"))
        }
        _ => Failure::new(Exit::Protocol, format!("{host}: {text}")),
    }
}

async fn run(args: Args) -> Exit {
    let usage = |m: String| Failure::new(Exit::Usage, m).report(PROGRAM);
    let default_port = match args.tls {
        Some(TlsMode::Implicit) => 995,
        _ => 110,
    };
    let (host, port) = match cli::host_port(&args.server, default_port) {
        Ok(hp) => hp,
        Err(e) => return usage(safe(&e)),
    };
    let tls = args.tls.unwrap_or(if cli::implies_tls(port) {
        TlsMode::Implicit
    } else {
        TlsMode::Required
    });
    if tls == TlsMode::DangerousPlaintext && !args.plaintext_auth {
        return cli::plaintext_refusal().report(PROGRAM);
    }
    let Some(password) = std::env::var("POP3_PASSWORD")
        .ok()
        .and_then(|p| Password::try_from(p).ok())
    else {
        return usage("put the password in $POP3_PASSWORD".to_owned());
    };
    let Ok(user) = Username::try_from(args.user.as_str()) else {
        return usage("bad user name".to_owned());
    };
    let (connector, name) = match client::tls_for_host(&host, args.ca.as_deref(), args.insecure) {
        Ok(set_up) => set_up,
        Err(f) => return f.report(PROGRAM),
    };
    let addr = match client::resolve(&host, port).await {
        Ok(a) => a,
        Err(f) => return f.report(PROGRAM),
    };
    let conn = match client::connect(&Connect {
        host: &host,
        addr,
        implicit_tls: tls == TlsMode::Implicit,
        connector: &connector,
        name: name.clone(),
        tls_timeout: args.tls_timeout,
        greeting_timeout: args.greeting_timeout,
        ca: args.ca.as_deref(),
    })
    .await
    {
        Ok(c) => c,
        Err(f) => return f.report(PROGRAM),
    };
    let mut client = Client::new(ClientConfig::new(tls), std::time::Instant::now());
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
        terminal: std::io::stdout().is_terminal(),
    };
    let upgrade = TlsUpgrade::Client(connector, name);
    let mut runner = Runner::new(args.tls_timeout, 512);
    let ended = runner
        .run(conn, &mut client, &mut script, Some(&upgrade))
        .await;
    let _ = script.out.flush();
    if let Some(failure) = script.failure {
        return failure.report(PROGRAM);
    }
    match ended {
        Ok(()) if script.quit_sent => Exit::Ok,
        Ok(()) => {
            Failure::new(Exit::TempFail, format!("{host}: session ended early")).report(PROGRAM)
        }
        Err(e) => {
            let greeted = client.greeting().is_some();
            client::driver_failure(e, &host, args.ca.as_deref(), |e| {
                pop3_failure(e, &host, greeted, runner.first_input())
            })
            .report(PROGRAM)
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match parse_args() {
        Ok(Parsed::Run(args)) => run(*args).await.into(),
        Ok(Parsed::Help) => {
            println!("{USAGE}\n{HELP}\n{}", cli::EXIT_CODES);
            ExitCode::SUCCESS
        }
        Err(why) => cli::usage_error(PROGRAM, &why, USAGE),
    }
}
