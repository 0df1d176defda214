//! `smtp-send`: send one message, through a submission server or directly to the recipients'
//! MX hosts. The message (RFC 5322, CRLF or LF line endings) comes from FILE or stdin.
//!
//! ```text
//! smtp-send --server localhost:2587 --ca mail-data/tls/cert.pem --user demo \
//!           --from demo@example.test --to demo@example.test message.eml
//! ```
//!
//! TLS is required by default: STARTTLS must be offered and succeed before anything else is
//! sent (`--tls implicit` for port 465 style). The password comes from `$SMTP_PASSWORD`, never
//! from the command line. Exit status: 0 sent to every recipient, 1 refused (for some or all),
//! 2 temporary failure or connection problem, 64 bad usage.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use examples::driver::{Conn, TlsUpgrade};
use examples::submit::{self, Report};
use mx_resolve::wire::Name;
use mx_resolve::{LookupConfig, Outcome};
use smtp_proto::types::Domain;
use smtp_proto::{ClientConfig, Envelope, TlsMode};
use tokio::net::TcpStream;

const USAGE: &str = "\
usage: smtp-send (--server HOST[:PORT] | --mx) --from ADDR --to ADDR [--to ADDR...] [FILE]
  --server HOST[:PORT]  submission server (port 587, or 465 with --tls implicit)
  --mx                  deliver to each recipient domain's MX hosts (port 25 or --port)
  --tls MODE            required (default: STARTTLS before anything else), implicit,
                        opportunistic (STARTTLS when offered), dangerous-plaintext
  --user NAME           AUTH as NAME, password from $SMTP_PASSWORD
  --auth MECH           plain (default), login, cram-md5 or scram-sha-256
  --ca FILE             trust the certificates in FILE (for a self-signed server)
  --insecure            accept any certificate (still encrypted, not authenticated)
  --dns ADDR[:PORT]     resolver for --mx (default: /etc/resolv.conf)
  --port N              port for --mx (default 25)
  --helo NAME           name to greet with (default localhost)";

#[derive(Debug)]
struct Args {
    server: Option<String>,
    mx: bool,
    tls: TlsMode,
    user: Option<String>,
    auth: String,
    ca: Option<PathBuf>,
    insecure: bool,
    dns: Option<SocketAddr>,
    port: u16,
    helo: String,
    from: Option<String>,
    to: Vec<String>,
    file: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        server: None,
        mx: false,
        tls: TlsMode::Required,
        user: None,
        auth: "plain".to_owned(),
        ca: None,
        insecure: false,
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
                a.tls = match value("--tls")?.as_str() {
                    "required" => TlsMode::Required,
                    "implicit" => TlsMode::Implicit,
                    "opportunistic" => TlsMode::Opportunistic,
                    "dangerous-plaintext" => TlsMode::DangerousPlaintextOnly,
                    other => return Err(format!("unknown tls mode {other:?}")),
                }
            }
            "--user" => a.user = Some(value("--user")?),
            "--auth" => a.auth = value("--auth")?,
            "--ca" => a.ca = Some(PathBuf::from(value("--ca")?)),
            "--insecure" => a.insecure = true,
            "--dns" => {
                let v = value("--dns")?;
                a.dns = Some(
                    v.parse()
                        .or_else(|_| v.parse().map(|ip| SocketAddr::new(ip, 53)))
                        .map_err(|_| format!("bad resolver {v:?}"))?,
                );
            }
            "--port" => {
                let v = value("--port")?;
                a.port = v.parse().map_err(|_| format!("bad port {v:?}"))?;
            }
            "--helo" => a.helo = value("--helo")?,
            "--from" => a.from = Some(value("--from")?),
            "--to" => a.to.push(value("--to")?),
            "-h" | "--help" => return Err(String::new()),
            _ if !arg.starts_with("--") && a.file.is_none() => a.file = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg:?}")),
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
    Ok(a)
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

/// Sends to one host; returns the report, or why no answer was obtained.
async fn send_to(
    args: &Args,
    addr: SocketAddr,
    host: &str,
    tls: TlsMode,
    rcpts: &[String],
    message: &[u8],
) -> Result<Report, String> {
    let envelope = Envelope::parse(
        args.from.as_deref().unwrap_or(""),
        rcpts.iter().map(String::as_str),
    )
    .map_err(|e| format!("bad address: {e}"))?
    // Size, 8BITMIME and BINARYMIME as the content needs (a message holding NUL or
    // over-long lines is only sent where BINARYMIME is offered, never altered).
    .for_body(message);
    let helo = Domain::try_from(args.helo.as_str()).map_err(|e| format!("bad --helo: {e}"))?;
    let mut config = ClientConfig::new(helo);
    config.tls = tls;
    let auth = match &args.user {
        Some(user) => {
            let password = std::env::var("SMTP_PASSWORD")
                .map_err(|_| "--user needs the password in $SMTP_PASSWORD".to_owned())?;
            Some(examples::auth::sasl_client(&args.auth, user, password)?)
        }
        None => None,
    };
    let connector =
        examples::tls::connector(args.ca.as_deref(), args.insecure).map_err(|e| e.to_string())?;
    let name = examples::tls::server_name(host)
        .or_else(|_| examples::tls::server_name(&addr.ip().to_string()))
        .map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let conn = if tls == TlsMode::Implicit {
        Conn::connect_tls(tcp, &connector, name.clone())
            .await
            .map_err(|e| format!("tls with {host}: {e}"))?
    } else {
        Conn::plain(tcp)
    };
    let upgrade = TlsUpgrade::Client(connector, name);
    let (report, ended) = submit::send(
        conn,
        Some(&upgrade),
        config,
        auth,
        envelope,
        message,
        rcpts.len(),
    )
    .await;
    if report.result.is_none() && report.auth_failed.is_none() && report.local_error.is_none() {
        return Err(match ended {
            Err(e) => format!("{host}: {e}"),
            Ok(()) => format!("{host}: session ended without an answer"),
        });
    }
    Ok(report)
}

/// Prints what happened to each recipient; returns the exit status.
fn summarise(host: &str, rcpts: &[String], report: &Report) -> u8 {
    if let Some(reply) = &report.auth_failed {
        println!("{host}: authentication failed: {}", reply.text_lossy());
        return 1;
    }
    if let Some(e) = &report.local_error {
        println!("{host}: {e}");
    }
    let mut status = 0;
    for (rcpt, reply) in rcpts.iter().zip(&report.recipients) {
        let refused = reply.as_ref().filter(|r| !r.code().is_positive());
        let outcome = match (refused, &report.result) {
            (Some(r), _) => Err(r),
            (None, Some(Ok(r))) => Ok(r),
            (None, Some(Err((_, r)))) => Err(r),
            (None, None) => {
                println!("<{rcpt}>: not sent");
                status = status.max(2);
                continue;
            }
        };
        match outcome {
            Ok(r) => println!("<{rcpt}>: sent ({} {})", r.code().get(), r.text_lossy()),
            Err(r) => {
                println!("<{rcpt}>: refused ({} {})", r.code().get(), r.text_lossy());
                status = status.max(if r.code().is_transient() { 2 } else { 1 });
            }
        }
    }
    status
}

async fn via_server(args: &Args, server: &str, message: &[u8]) -> u8 {
    let default_port = if args.tls == TlsMode::Implicit {
        465
    } else {
        587
    };
    let (host, port) = match server.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => match p.parse() {
            Ok(p) => (h.trim_matches(['[', ']']).to_owned(), p),
            Err(_) => return usage(&format!("bad port in {server:?}")),
        },
        _ => (server.to_owned(), default_port),
    };
    let addr = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(mut addrs) => match addrs.next() {
            Some(a) => a,
            None => {
                println!("{host}: no address");
                return 2;
            }
        },
        Err(e) => {
            println!("{host}: {e}");
            return 2;
        }
    };
    match send_to(args, addr, &host, args.tls, &args.to, message).await {
        Ok(report) => summarise(&host, &args.to, &report),
        Err(e) => {
            println!("{e}");
            2
        }
    }
}

async fn via_mx(args: &Args, message: &[u8]) -> u8 {
    let Some(resolver) = args.dns.or_else(examples::mx::system_resolver) else {
        return usage("no resolver in /etc/resolv.conf; use --dns");
    };
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rcpt in &args.to {
        let domain = rcpt.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        by_domain
            .entry(domain.to_ascii_lowercase())
            .or_default()
            .push(rcpt.clone());
    }
    let mut status = 0;
    for (domain, rcpts) in by_domain {
        let name = match Name::domain(&domain) {
            Ok(n) => n,
            Err(e) => {
                println!("{domain}: {e}");
                status = status.max(1);
                continue;
            }
        };
        let targets =
            match examples::mx::lookup(name, LookupConfig::with_resolvers(vec![resolver])).await {
                Ok(Outcome::Targets(t)) => t,
                Ok(other) => {
                    println!("{domain}: no mail exchanger: {other:?}");
                    status = status.max(if other.is_permanent() { 1 } else { 2 });
                    continue;
                }
                Err(e) => {
                    println!("{domain}: dns: {e}");
                    status = status.max(2);
                    continue;
                }
            };
        let mut done = false;
        'hosts: for target in targets {
            let host = target.host.to_string().trim_end_matches('.').to_owned();
            for ip in target.addresses {
                let addr = SocketAddr::new(ip, args.port);
                match send_to(args, addr, &host, args.tls, &rcpts, message).await {
                    Ok(report) => {
                        status = status.max(summarise(&host, &rcpts, &report));
                        done = true;
                        break 'hosts;
                    }
                    Err(e) => println!("{e}; trying the next address"),
                }
            }
        }
        if !done {
            println!("{domain}: no mail exchanger answered");
            status = status.max(2);
        }
    }
    status
}

fn usage(why: &str) -> u8 {
    if !why.is_empty() {
        eprintln!("smtp-send: {why}");
    }
    eprintln!("{USAGE}");
    64
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => return ExitCode::from(usage(&e)),
    };
    let message = match read_message(args.file.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("smtp-send: cannot read the message: {e}");
            return ExitCode::from(64);
        }
    };
    let status = match &args.server {
        Some(server) => via_server(&args, server, &message).await,
        None => via_mx(&args, &message).await,
    };
    ExitCode::from(status)
}
