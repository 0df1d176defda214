//! `mx-lookup DOMAIN [--dns ADDR:PORT]`: where does mail for DOMAIN go?
//!
//! Runs the Sans-IO `mx_resolve::MxLookup` machine through the tokio driver in
//! `examples::mx` (one UDP socket, plus a TCP connection per resolver when a
//! reply is truncated).
//! Prints one line per target, `mx PREFERENCE HOST ADDRESS...` (or
//! `implicit-mx ...` when the domain has no MX records), or one line saying
//! why there is none. The default resolver is the first `nameserver` in
//! /etc/resolv.conf.
//!
//! Exit status: 0 with targets, 1 when the domain has no usable target, 2
//! on a temporary failure, 64 on bad usage.

use std::net::SocketAddr;
use std::process::ExitCode;

use examples::mx::{lookup_noting, system_resolver};
use mx_resolve::wire::Name;
use mx_resolve::{Event, LookupConfig, Outcome};

const USAGE: &str = "usage: mx-lookup DOMAIN [--dns ADDR:PORT]";

fn describe(domain: &Name, outcome: &Outcome) -> (String, ExitCode) {
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
            (lines.join("\n"), ExitCode::SUCCESS)
        }
        Outcome::NullMx => (
            format!("null-mx: {domain} accepts no mail (RFC 7505) {status}"),
            ExitCode::from(1),
        ),
        Outcome::NoSuchDomain => (
            format!("no-such-domain: {domain} does not exist {status}"),
            ExitCode::from(1),
        ),
        Outcome::LoopsBackToMyself => (
            format!("loops-back-to-myself: mail for {domain} loops back to myself {status}"),
            ExitCode::from(1),
        ),
        Outcome::PermFail(reason) => (
            format!("perm-fail: {domain}: {reason} {status}"),
            ExitCode::from(1),
        ),
        Outcome::TempFail(reason) => (
            format!("temp-fail: {domain}: {reason} {status}"),
            ExitCode::from(2),
        ),
        other => (format!("unknown outcome: {other:?}"), ExitCode::from(2)),
    }
}

async fn run(domain: Name, resolver: SocketAddr) -> std::io::Result<ExitCode> {
    let config = LookupConfig::with_resolvers(vec![resolver]);
    let outcome = lookup_noting(domain.clone(), config, |event| {
        if let Event::Diagnostic(d) = event {
            eprintln!("note: {d:?}");
        }
    })
    .await?;
    let (text, code) = describe(&domain, &outcome);
    println!("{text}");
    Ok(code)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut domain = None;
    let mut resolver = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dns" => match args.next().and_then(|a| a.parse::<SocketAddr>().ok()) {
                Some(addr) => resolver = Some(addr),
                None => {
                    eprintln!("--dns needs ADDR:PORT\n{USAGE}");
                    return ExitCode::from(64);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if domain.is_none() && !arg.starts_with('-') => domain = Some(arg),
            _ => {
                eprintln!("unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(64);
            }
        }
    }
    let Some(domain) = domain else {
        eprintln!("{USAGE}");
        return ExitCode::from(64);
    };
    let domain = match Name::domain(&domain) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mx-lookup: {e}");
            return ExitCode::from(64);
        }
    };
    let Some(resolver) = resolver.or_else(system_resolver) else {
        eprintln!("mx-lookup: no nameserver in /etc/resolv.conf; use --dns ADDR:PORT");
        return ExitCode::from(64);
    };
    match run(domain, resolver).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mx-lookup: {e}");
            ExitCode::from(2)
        }
    }
}
