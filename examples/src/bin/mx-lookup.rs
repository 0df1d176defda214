//! `mx-lookup DOMAIN [--dns ADDR[:PORT]]`: where does mail for DOMAIN go?
//!
//! Runs the Sans-IO `mx_resolve::MxLookup` machine through the tokio driver in
//! `examples::mx` (one UDP socket, plus a TCP connection per resolver when a
//! reply is truncated).
//! Prints one line per target, `mx PREFERENCE HOST ADDRESS...` (or
//! `implicit-mx ...` when the domain has no MX records), or one line saying
//! why there is none. The default resolver is the first `nameserver` in
//! /etc/resolv.conf.
//!
//! Names from DNS answers are printed with control characters escaped. Exit status (the same
//! scheme as the other clients, [`examples::cli::Exit`]): 0 with targets, 69 when the domain
//! has no usable target, 75 on a temporary failure, 64 on bad usage, 78 without a resolver.

use std::net::SocketAddr;
use std::process::ExitCode;

use examples::cli::{self, Exit, Failure};
use examples::display::{controls, safe};
use examples::mx::{lookup_noting, system_resolver};
use mx_resolve::wire::Name;
use mx_resolve::{Event, LookupConfig, Outcome};

const PROGRAM: &str = "mx-lookup";

const USAGE: &str = "usage: mx-lookup DOMAIN [--dns ADDR[:PORT]]";

const HELP: &str = "\
options:
  --dns ADDR[:PORT]     the resolver to ask (port 53 by default; default: the first
                        nameserver in /etc/resolv.conf)
prints one line per target, `mx PREFERENCE HOST ADDRESS...` (`implicit-mx` without MX
records), or one line saying why there is none";

fn describe(domain: &Name, outcome: &Outcome) -> (String, Exit) {
    let status = outcome.enhanced_status().unwrap_or("");
    match outcome {
        Outcome::Targets(targets) => {
            let lines: Vec<String> = targets
                .iter()
                .map(|t| {
                    let kind = if t.implicit { "implicit-mx" } else { "mx" };
                    let addrs: Vec<String> = t.addresses.iter().map(|a| a.to_string()).collect();
                    format!("{kind} {} {} {}", t.preference, t.host, addrs.join(" "))
                })
                .collect();
            (lines.join("\n"), Exit::Ok)
        }
        Outcome::NullMx => (
            format!("null-mx: {domain} accepts no mail (RFC 7505) {status}"),
            Exit::Unavailable,
        ),
        Outcome::NoSuchDomain => (
            format!("no-such-domain: {domain} does not exist {status}"),
            Exit::Unavailable,
        ),
        Outcome::LoopsBackToMyself => (
            format!("loops-back-to-myself: mail for {domain} loops back to myself {status}"),
            Exit::Unavailable,
        ),
        Outcome::PermFail(reason) => (
            format!("perm-fail: {domain}: {reason} {status}"),
            Exit::Unavailable,
        ),
        Outcome::TempFail(reason) => (
            format!("temp-fail: {domain}: {reason} {status}"),
            Exit::TempFail,
        ),
        other => (format!("unknown outcome: {other:?}"), Exit::TempFail),
    }
}

async fn run(domain: Name, resolver: SocketAddr) -> std::io::Result<Exit> {
    let config = LookupConfig::with_resolvers(vec![resolver]);
    let outcome = lookup_noting(domain.clone(), config, |event| {
        if let Event::Diagnostic(d) = event {
            eprintln!("{PROGRAM}: note: {}", controls(&format!("{d:?}")));
        }
    })
    .await?;
    let (text, code) = describe(&domain, &outcome);
    // DNS names come escaped (RFC 1035 `\DDD`); the rest is escaped here all the same.
    for line in text.lines() {
        println!("{}", controls(line));
    }
    Ok(code)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut domain = None;
    let mut resolver = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dns" => match args.next().map(|a| cli::resolver(&a)) {
                Some(Ok(addr)) => resolver = Some(addr),
                Some(Err(e)) => return cli::usage_error(PROGRAM, &safe(&e), USAGE),
                None => return cli::usage_error(PROGRAM, "--dns needs ADDR[:PORT]", USAGE),
            },
            "-h" | "--help" => {
                println!("{USAGE}\n{HELP}\n{}", cli::EXIT_CODES);
                return ExitCode::SUCCESS;
            }
            _ if domain.is_none() && !arg.starts_with('-') => domain = Some(arg),
            _ => {
                let why = format!("unexpected argument {}", safe(&arg));
                return cli::usage_error(PROGRAM, &why, USAGE);
            }
        }
    }
    let Some(domain) = domain else {
        return cli::usage_error(PROGRAM, "no domain", USAGE);
    };
    let domain = match Name::domain(&domain) {
        Ok(d) => d,
        Err(e) => return cli::usage_error(PROGRAM, &safe(&e.to_string()), USAGE),
    };
    let Some(resolver) = resolver.or_else(system_resolver) else {
        let f = Failure::new(
            Exit::Config,
            "no nameserver in /etc/resolv.conf; use --dns ADDR[:PORT]",
        );
        return f.report(PROGRAM).into();
    };
    match run(domain, resolver).await {
        Ok(code) => code.into(),
        Err(e) => Failure::new(Exit::TempFail, format!("resolver {resolver}: {e}"))
            .report(PROGRAM)
            .into(),
    }
}
