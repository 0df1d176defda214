//! `smtp-send`: send one message, through a submission server or directly to the recipients'
//! MX hosts. The message (RFC 5322, CRLF or LF line endings) comes from FILE or stdin.
//!
//! ```text
//! smtp-send --server localhost:2587 --ca mail-data/tls/cert.pem --user demo \
//!           --from demo@example.test --to demo@example.test message.eml
//! ```
//!
//! TLS is required by default: STARTTLS must be offered and succeed before anything else is
//! sent; the usual implicit-TLS ports (465, 2465) start TLS at once. The password comes from
//! `$SMTP_PASSWORD`, never from the command line, and is never sent without TLS unless
//! `--dangerous-plaintext-auth` says so. The report (one line per recipient) goes to stdout,
//! errors to stderr, peer text with control characters escaped. Exit status: see
//! [`examples::cli::Exit`] (0 sent to every recipient, 64 usage, 69 refused for good, 75
//! temporary failure, 76 protocol, 77 authentication, 78 certificate).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{self, Exit, Failure};
use examples::client::{self, Connect};
use examples::display::{safe, smtp_reply};
use examples::driver::{Runner, TlsUpgrade};
use examples::submit::{self, Mail, Report};
use mx_resolve::wire::Name;
use mx_resolve::{LookupConfig, Outcome};
use smtp_proto::types::Domain;
use smtp_proto::{ClientConfig, Envelope, TlsMode};

const PROGRAM: &str = "smtp-send";

const USAGE: &str = "\
usage: smtp-send (--server HOST[:PORT] | --mx) --from ADDR --to ADDR [--to ADDR...] [FILE]";

const HELP: &str = "\
options:
  --server HOST[:PORT]  submission server (port 587; 465 and 2465 mean --tls implicit)
  --mx                  deliver to each recipient domain's MX hosts (port 25 or --port)
  --tls MODE            required (default: STARTTLS before anything else),
                        implicit (TLS at once; the default on ports 465 and 2465),
                        opportunistic (STARTTLS when offered),
                        dangerous-plaintext (never TLS; no password without the next flag)
  --dangerous-plaintext-auth
                        allow AUTH without TLS (the password travels in clear)
  --user NAME           AUTH as NAME, password from $SMTP_PASSWORD
  --auth MECH           plain (default), login, cram-md5 or scram-sha-256
  --ca FILE             trust the certificates in FILE (for a self-signed server)
  --insecure            accept any certificate (still encrypted, not authenticated)
  --tls-timeout SECONDS how long a TLS handshake may take (default 10)
  --greeting-timeout SECONDS
                        how long to wait for a plaintext greeting (default 10)
  --dns ADDR[:PORT]     resolver for --mx (default: /etc/resolv.conf)
  --port N              port for --mx (default 25)
  --helo NAME           name to greet with (default localhost)
The report (one line per recipient) goes to stdout, errors to stderr.";

#[derive(Debug)]
struct Args {
    server: Option<String>,
    mx: bool,
    /// `None`: inferred from the port.
    tls: Option<TlsMode>,
    plaintext_auth: bool,
    user: Option<String>,
    auth: String,
    ca: Option<PathBuf>,
    insecure: bool,
    tls_timeout: Duration,
    greeting_timeout: Duration,
    dns: Option<SocketAddr>,
    port: u16,
    helo: String,
    from: Option<String>,
    to: Vec<String>,
    file: Option<PathBuf>,
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn parse_args() -> Result<Parsed, String> {
    let mut a = Args {
        server: None,
        mx: false,
        tls: None,
        plaintext_auth: false,
        user: None,
        auth: "plain".to_owned(),
        ca: None,
        insecure: false,
        tls_timeout: client::TLS_TIMEOUT,
        greeting_timeout: client::GREETING_TIMEOUT,
        dns: None,
        port: 25,
        helo: "localhost".to_owned(),
        from: None,
        to: Vec::new(),
        file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--server" => a.server = Some(value("--server")?),
            "--mx" => a.mx = true,
            "--tls" => {
                a.tls = Some(match value("--tls")?.as_str() {
                    "required" => TlsMode::Required,
                    "implicit" => TlsMode::Implicit,
                    "opportunistic" => TlsMode::Opportunistic,
                    "dangerous-plaintext" => TlsMode::DangerousPlaintextOnly,
                    other => return Err(format!("unknown tls mode {}", safe(other))),
                })
            }
            "--dangerous-plaintext-auth" => a.plaintext_auth = true,
            "--user" => a.user = Some(value("--user")?),
            "--auth" => a.auth = value("--auth")?,
            "--ca" => a.ca = Some(PathBuf::from(value("--ca")?)),
            "--insecure" => a.insecure = true,
            "--tls-timeout" => a.tls_timeout = cli::seconds("--tls-timeout", &value(&arg)?)?,
            "--greeting-timeout" => {
                a.greeting_timeout = cli::seconds("--greeting-timeout", &value(&arg)?)?;
            }
            "--dns" => a.dns = Some(cli::resolver(&value("--dns")?)?),
            "--port" => {
                let v = value("--port")?;
                a.port = v.parse().map_err(|_| format!("bad port {}", safe(&v)))?;
            }
            "--helo" => a.helo = value("--helo")?,
            "--from" => a.from = Some(value("--from")?),
            "--to" => a.to.push(value("--to")?),
            "-h" | "--help" => return Ok(Parsed::Help),
            _ if !arg.starts_with("--") && a.file.is_none() => a.file = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {}", safe(&arg))),
        }
    }
    if a.server.is_some() == a.mx {
        return Err("give exactly one of --server and --mx".to_owned());
    }
    if a.from.is_none() || a.to.is_empty() {
        return Err("--from and at least one --to are needed".to_owned());
    }
    if a.mx && a.user.is_some() {
        return Err("--user goes with --server".to_owned());
    }
    Ok(Parsed::Run(Box::new(a)))
}

/// CRLF line endings, as SMTP needs (the client machine also turns bare LF into CRLF).
fn read_message(file: Option<&PathBuf>) -> std::io::Result<Vec<u8>> {
    match file {
        Some(path) => std::fs::read(path),
        None => {
            let mut m = Vec::new();
            std::io::stdin().read_to_end(&mut m)?;
            Ok(m)
        }
    }
}

/// The TLS mode: as given, or implicit on the ports that imply it, else required.
fn tls_for(args: &Args, port: u16) -> TlsMode {
    args.tls.unwrap_or(if cli::implies_tls(port) {
        TlsMode::Implicit
    } else {
        TlsMode::Required
    })
}

/// Why an SMTP session failed, for stderr. `first` is what the server sent first.
fn smtp_failure(e: smtp_proto::Error, host: &str, greeted: bool, first: &[u8]) -> Failure {
    use smtp_proto::Error as E;
    match e {
        E::BadReply(_) if !greeted => Failure::new(
            Exit::Protocol,
            format!(
                "{host}'s greeting is not an SMTP greeting: \"{}\"",
                examples::display::first_line(first, 120)
            ),
        ),
        E::BadReply(p) => Failure::new(
            Exit::Protocol,
            format!("{host} sent a malformed reply: {}", safe(&p.to_string())),
        ),
        E::Rejected { code, .. } | E::ServiceClosing { code, .. } => {
            let exit = if (400..500).contains(&code) {
                Exit::TempFail
            } else {
                Exit::Unavailable
            };
            Failure::new(exit, format!("{host}: {}", safe(&e.to_string())))
        }
        E::TlsUnavailable { .. } => Failure::new(
            Exit::Unavailable,
            format!(
                "{host}: {}\nif the port expects TLS at once, use --tls implicit",
                safe(&e.to_string())
            ),
        ),
        E::Timeout { .. } | E::UnexpectedEof { .. } => {
            Failure::new(Exit::TempFail, format!("{host}: {}", safe(&e.to_string())))
        }
        other => Failure::new(
            Exit::Protocol,
            format!("{host}: {}", safe(&other.to_string())),
        ),
    }
}

/// Sends to one host; returns the report, or why no answer was obtained.
async fn send_to(
    args: &Args,
    addr: SocketAddr,
    host: &str,
    tls: TlsMode,
    rcpts: &[String],
    message: &[u8],
) -> Result<Report, Failure> {
    let usage = |m: String| Failure::new(Exit::Usage, m);
    let envelope = Envelope::parse(
        args.from.as_deref().unwrap_or(""),
        rcpts.iter().map(String::as_str),
    )
    .map_err(|e| usage(format!("bad address: {e}")))?
    // Size, 8BITMIME and BINARYMIME as the content needs (a message holding NUL or
    // over-long lines is only sent where BINARYMIME is offered, never altered).
    .for_body(message);
    let helo =
        Domain::try_from(args.helo.as_str()).map_err(|e| usage(format!("bad --helo: {e}")))?;
    let mut config = ClientConfig::new(helo);
    config.tls = tls;
    config.limits.tls_timeout = args.tls_timeout;
    config.dangerous_plaintext_auth = args.plaintext_auth;
    let auth = match &args.user {
        Some(_) if tls == TlsMode::DangerousPlaintextOnly && !args.plaintext_auth => {
            return Err(cli::plaintext_refusal());
        }
        Some(user) => {
            let password = std::env::var("SMTP_PASSWORD")
                .map_err(|_| usage("--user needs the password in $SMTP_PASSWORD".to_owned()))?;
            Some(examples::auth::sasl_client(&args.auth, user, password).map_err(usage)?)
        }
        None => None,
    };
    let connector = examples::tls::connector(args.ca.as_deref(), args.insecure)
        .map_err(|e| Failure::new(Exit::NoInput, format!("--ca: {e}")))?;
    let name = examples::tls::server_name(host)
        .or_else(|_| examples::tls::server_name(&addr.ip().to_string()))
        .map_err(|e| usage(e.to_string()))?;
    let conn = client::connect(&Connect {
        host,
        addr,
        implicit_tls: tls == TlsMode::Implicit,
        connector: &connector,
        name: name.clone(),
        tls_timeout: args.tls_timeout,
        greeting_timeout: args.greeting_timeout,
        ca: args.ca.as_deref(),
    })
    .await?;
    let upgrade = TlsUpgrade::Client(connector, name);
    let mut runner = Runner::new(args.tls_timeout, 512);
    let mail = Mail {
        config,
        auth,
        envelope,
        message,
        recipients: rcpts.len(),
    };
    let (report, ended) = submit::send_with(&mut runner, conn, Some(&upgrade), mail).await;
    if report.result.is_none() && report.auth_failed.is_none() && report.local_error.is_none() {
        return Err(match ended {
            Err(e) => client::driver_failure(e, host, args.ca.as_deref(), |e| {
                smtp_failure(e, host, report.greeted, runner.first_input())
            }),
            Ok(()) => Failure::new(
                Exit::TempFail,
                format!("{host}: session ended without an answer"),
            ),
        });
    }
    Ok(report)
}

/// Prints what happened to each recipient on stdout (and why on stderr); returns the exit
/// status.
fn summarise(host: &str, rcpts: &[String], report: &Report) -> Exit {
    let not_sent = |exit: Exit| {
        for rcpt in rcpts {
            println!("<{}>: not sent", safe(rcpt));
        }
        exit
    };
    if let Some(reply) = &report.auth_failed {
        eprintln!(
            "{PROGRAM}: {host}: authentication failed: {}",
            smtp_reply(reply)
        );
        let exit = if reply.code().is_transient() {
            Exit::TempFail
        } else {
            Exit::NoPerm
        };
        return not_sent(exit);
    }
    if report.plaintext_refused {
        cli::plaintext_refusal().report(PROGRAM);
        return not_sent(Exit::NoPerm);
    }
    let mut status = Exit::Ok;
    if let Some(e) = &report.local_error {
        eprintln!("{PROGRAM}: {host}: {}", safe(e));
        status = if e.starts_with("auth") {
            Exit::NoPerm
        } else {
            Exit::Unavailable
        };
    }
    for (rcpt, reply) in rcpts.iter().zip(&report.recipients) {
        let rcpt = safe(rcpt);
        let refused = reply.as_ref().filter(|r| !r.code().is_positive());
        let outcome = match (refused, &report.result) {
            (Some(r), _) => Err(r),
            (None, Some(Ok(r))) => Ok(r),
            (None, Some(Err((_, r)))) => Err(r),
            (None, None) => {
                println!("<{rcpt}>: not sent");
                status = status.worst(Exit::Unavailable);
                continue;
            }
        };
        match outcome {
            Ok(r) => println!("<{rcpt}>: sent ({})", smtp_reply(r)),
            Err(r) => {
                println!("<{rcpt}>: refused ({})", smtp_reply(r));
                status = status.worst(if r.code().is_transient() {
                    Exit::TempFail
                } else {
                    Exit::Unavailable
                });
            }
        }
    }
    status
}

async fn via_server(args: &Args, server: &str, message: &[u8]) -> Exit {
    let default_port = match args.tls {
        Some(TlsMode::Implicit) => 465,
        _ => 587,
    };
    let (host, port) = match cli::host_port(server, default_port) {
        Ok(hp) => hp,
        Err(e) => return Failure::new(Exit::Usage, safe(&e)).report(PROGRAM),
    };
    let addr = match client::resolve(&host, port).await {
        Ok(a) => a,
        Err(f) => return f.report(PROGRAM),
    };
    match send_to(args, addr, &host, tls_for(args, port), &args.to, message).await {
        Ok(report) => summarise(&host, &args.to, &report),
        Err(failure) => {
            for rcpt in &args.to {
                println!("<{}>: not sent", safe(rcpt));
            }
            failure.report(PROGRAM)
        }
    }
}

async fn via_mx(args: &Args, message: &[u8]) -> Exit {
    let Some(resolver) = args.dns.or_else(examples::mx::system_resolver) else {
        return Failure::new(
            Exit::Config,
            "no resolver in /etc/resolv.conf; use --dns ADDR",
        )
        .report(PROGRAM);
    };
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rcpt in &args.to {
        let domain = rcpt.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        by_domain
            .entry(domain.to_ascii_lowercase())
            .or_default()
            .push(rcpt.clone());
    }
    let mut status = Exit::Ok;
    for (domain, rcpts) in by_domain {
        let shown = safe(&domain);
        let not_sent = |failure: Failure| {
            for rcpt in &rcpts {
                println!("<{}>: not sent", safe(rcpt));
            }
            failure.report(PROGRAM)
        };
        let name = match Name::domain(&domain) {
            Ok(n) => n,
            Err(e) => {
                let f = Failure::new(
                    Exit::Unavailable,
                    format!("{shown}: {}", safe(&e.to_string())),
                );
                status = status.worst(not_sent(f));
                continue;
            }
        };
        let targets =
            match examples::mx::lookup(name, LookupConfig::with_resolvers(vec![resolver])).await {
                Ok(Outcome::Targets(t)) => t,
                Ok(other) => {
                    let exit = if other.is_permanent() {
                        Exit::Unavailable
                    } else {
                        Exit::TempFail
                    };
                    let why = safe(&format!("{other:?}"));
                    let f = Failure::new(exit, format!("{shown}: no mail exchanger: {why}"));
                    status = status.worst(not_sent(f));
                    continue;
                }
                Err(e) => {
                    let f = Failure::new(Exit::TempFail, format!("{shown}: dns: {e}"));
                    status = status.worst(not_sent(f));
                    continue;
                }
            };
        let mut done = false;
        let mut failed = Exit::Ok;
        'hosts: for target in targets {
            let host = target.host.to_string().trim_end_matches('.').to_owned();
            let tls = tls_for(args, args.port);
            for ip in target.addresses {
                let addr = SocketAddr::new(ip, args.port);
                match send_to(args, addr, &host, tls, &rcpts, message).await {
                    Ok(report) => {
                        status = status.worst(summarise(&host, &rcpts, &report));
                        done = true;
                        break 'hosts;
                    }
                    Err(f) => {
                        failed = failed.worst(f.exit);
                        Failure::new(f.exit, format!("{}\ntrying the next address", f.message))
                            .report(PROGRAM);
                    }
                }
            }
        }
        if !done {
            let exit = if failed == Exit::Ok {
                Exit::TempFail
            } else {
                failed
            };
            let f = Failure::new(exit, format!("{shown}: no mail exchanger answered"));
            status = status.worst(not_sent(f));
        }
    }
    status
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            println!("{USAGE}\n{HELP}\n{}", cli::EXIT_CODES);
            return ExitCode::SUCCESS;
        }
        Err(e) => return cli::usage_error(PROGRAM, &e, USAGE),
    };
    let message = match read_message(args.file.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            return Failure::new(Exit::NoInput, format!("cannot read the message: {e}"))
                .report(PROGRAM)
                .into();
        }
    };
    let status = match &args.server {
        Some(server) => via_server(&args, server, &message).await,
        None => via_mx(&args, &message).await,
    };
    status.into()
}
